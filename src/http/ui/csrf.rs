//! Cross-site request forgery protection for every state-changing UI request.
//!
//! Double-submit, signed and bound to the session: the browser holds a random nonce in the
//! `waggle-csrf` cookie, and every form carries `_csrf = HMAC(key, nonce ‖ SHA-256(session))`
//! (or sends it as `X-CSRF-Token` from script). The guard recomputes the MAC from the two
//! cookies and compares in constant time. A forger can neither read the cookie nor compute
//! the MAC without the server secret, and a token stops working when the session changes
//! (login, logout), so a token lifted from one session is useless in another
//! (OWASP CSRF Prevention Cheat Sheet, "Signed Double-Submit Cookie").
//!
//! The guard is a layer over the whole UI router, so a handler cannot forget it. It holds no
//! page logic and never reads the database.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::error::UiError;
use crate::app::App;
use crate::auth::secrets;
use crate::http::extract::session_token;

/// Name of the cookie that carries the nonce half of the double submit.
pub const CSRF_COOKIE: &str = "waggle-csrf";
/// Name of the form field that carries the token.
pub const CSRF_FIELD: &str = "_csrf";
/// Header the UI script sends the token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Largest URL-encoded form the guard buffers to look for the token.
const MAX_FORM: usize = 2 * 1024 * 1024;

/// The MAC key, derived from the server secret (domain-separated from the sealing key).
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl CsrfKey {
    pub fn new(server_secret: &[u8]) -> CsrfKey {
        let mut h = Sha256::new();
        h.update(b"waggle/csrf/v1\0");
        h.update(server_secret);
        CsrfKey(h.finalize().into())
    }

    fn mac(&self, nonce: &str, session: Option<&str>) -> Hmac<Sha256> {
        // A key of any length is accepted by HMAC; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(nonce.as_bytes());
        mac.update(b"\0");
        mac.update(secrets::sha256_hex(session.unwrap_or_default().as_bytes()).as_bytes());
        mac
    }

    /// The token forms must carry for this nonce and session.
    pub fn token(&self, nonce: &str, session: Option<&str>) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(nonce, session).finalize().into_bytes())
    }

    /// Constant-time check of a presented token.
    pub fn verify(&self, nonce: &str, session: Option<&str>, presented: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(presented.trim()) {
            Ok(bytes) => self.mac(nonce, session).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

/// The nonce of this request (from the cookie, or fresh), put in request extensions so
/// pages can render the matching token.
#[derive(Clone, Debug)]
pub struct CsrfNonce(pub String);

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// True when the request arrived over HTTPS (directly reported by a proxy). Cookies set on
/// such requests get `Secure`.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// The layer: hands out a nonce cookie when there is none, and refuses unsafe methods
/// whose token does not verify.
pub async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let existing = cookie_value(req.headers(), CSRF_COOKIE);
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let Some(nonce) = existing else {
            return UiError::csrf().into_response();
        };
        return match check(&app, &nonce, req).await {
            Ok(mut req) => {
                req.extensions_mut().insert(CsrfNonce(nonce));
                next.run(req).await
            }
            Err(e) => e.into_response(),
        };
    }
    let fresh = existing.is_none();
    let nonce = existing.unwrap_or_else(|| secrets::new_token(18));
    let https = is_https(req.headers());
    let mut req = req;
    req.extensions_mut().insert(CsrfNonce(nonce.clone()));
    let mut resp = next.run(req).await;
    if fresh {
        // Strict: the nonce never travels on cross-site requests, which is the point.
        let secure = if https { "; Secure" } else { "" };
        let c = format!("{CSRF_COOKIE}={nonce}; Path=/; HttpOnly; SameSite=Strict{secure}");
        if let Ok(v) = HeaderValue::from_str(&c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// Finds the token (header, query string for multipart uploads, or form field) and checks
/// it; returns the request with its body restored.
async fn check(app: &App, nonce: &str, req: Request) -> Result<Request, UiError> {
    // A browser tells us outright when a request comes from another site.
    let cross_site = req.headers().get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
    if cross_site {
        return Err(UiError::csrf());
    }
    let session = session_token(req.headers());
    let verify = |t: &str| app.csrf.verify(nonce, session.as_deref(), t);
    if let Some(t) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if verify(t) { Ok(req) } else { Err(UiError::csrf()) };
    }
    if let Some(t) = req.uri().query().and_then(|q| form_value(q.as_bytes(), CSRF_FIELD)) {
        return if verify(&t) { Ok(req) } else { Err(UiError::csrf()) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(UiError::csrf());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM).await.map_err(|_| UiError::payload_too_large())?;
    match form_value(&bytes, CSRF_FIELD) {
        Some(t) if verify(&t) => Ok(Request::from_parts(parts, Body::from(bytes))),
        _ => Err(UiError::csrf()),
    }
}

fn form_value(bytes: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(bytes).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_bound_to_nonce_session_and_key() {
        let key = CsrfKey::new(b"secret");
        let t = key.token("nonce", Some("session"));
        assert!(key.verify("nonce", Some("session"), &t));
        assert!(!key.verify("nonce", Some("other-session"), &t));
        assert!(!key.verify("nonce", None, &t));
        assert!(!key.verify("other-nonce", Some("session"), &t));
        assert!(!CsrfKey::new(b"other").verify("nonce", Some("session"), &t));
        assert!(!key.verify("nonce", Some("session"), "not base64 !"));
        assert!(!key.verify("nonce", Some("session"), ""));
    }
}
