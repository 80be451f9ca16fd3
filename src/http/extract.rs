//! Extractors: the authenticated caller, and request bodies with TheHive's error format.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::middleware::RequestId;
use crate::app::App;
use crate::auth::{Caller, Credentials, authenticate};
use crate::error::ApiError;

/// Name of the session cookie, as in TheHive (its UI and scripts look for it).
pub const SESSION_COOKIE: &str = "THEHIVE-SESSION";

/// Reads the credentials a request carries: `Authorization` first, then the session cookie.
pub fn credentials(headers: &HeaderMap) -> Result<Option<Credentials>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| bad_auth())?;
        let (scheme, rest) = value.split_once(' ').ok_or_else(bad_auth)?;
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            return Ok(Some(Credentials::ApiKey(rest.to_owned())));
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD.decode(rest).map_err(|_| bad_auth())?;
            let text = String::from_utf8(decoded).map_err(|_| bad_auth())?;
            let (login, password) = text.split_once(':').ok_or_else(bad_auth)?;
            // TheHive lets Basic carry a TOTP code as a third component: login:password:code.
            let (password, code) = match password.rsplit_once(':') {
                Some((p, c)) if c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()) => (p, Some(c.to_owned())),
                _ => (password, None),
            };
            return Ok(Some(Credentials::Basic { login: login.to_owned(), password: password.to_owned(), code }));
        }
        return Err(bad_auth());
    }
    Ok(session_token(headers).map(Credentials::Session))
}

pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn bad_auth() -> ApiError {
    ApiError::Authentication("Authentication failure".into())
}

pub fn client_addr(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// The organisation asked for with `X-Organisation` (header, or the UI's cookie of that name).
pub fn requested_organisation(headers: &HeaderMap) -> Option<String> {
    headers.get("x-organisation").and_then(|v| v.to_str().ok()).map(str::to_owned).filter(|s| !s.trim().is_empty())
}

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;

    #[tracing::instrument(skip_all)]
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Caller, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let creds = credentials(&parts.headers)?.ok_or_else(bad_auth)?;
        let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
        let org = requested_organisation(&parts.headers);
        let caller = authenticate(app, creds, org.as_deref(), client_addr(parts), request_id).await?;
        super::session::keep_alive(app, &caller, org.is_some()).await?;
        let span = tracing::Span::current();
        span.record("user", caller.login.as_str());
        span.record("org", caller.organisation.as_str());
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// A request body as TheHive accepts it: a JSON object, a URL-encoded form, or nothing
/// (read as `{}`; Kibana sends `{}` even on GET). Malformed input is a 400 `BadRequest`.
pub struct Body(pub serde_json::Value);

const MAX_BODY: usize = 16 * 1024 * 1024;

impl FromRequest<App> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, _app: &App) -> Result<Body, ApiError> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY)
            .await
            .map_err(|e| ApiError::BadRequest(format!("Cannot read request body: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Body(serde_json::Value::Object(Default::default())));
        }
        if is_form {
            let map =
                form_urlencoded_pairs(&bytes).into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
            return Ok(Body(serde_json::Value::Object(map)));
        }
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("Invalid JSON: {e}")))?;
        Ok(Body(value))
    }
}

/// Decodes `a=1&b=x%20y` (no external crate needed for this much).
fn form_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                },
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(bytes)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let pairs = form_urlencoded_pairs(b"user=a%40b.c&password=x+y&e");
        assert_eq!(pairs[0], ("user".into(), "a@b.c".into()));
        assert_eq!(pairs[1], ("password".into(), "x y".into()));
        assert_eq!(pairs[2], ("e".into(), String::new()));
    }

    #[test]
    fn basic_with_totp() {
        let mut h = HeaderMap::new();
        let v = format!("Basic {}", STANDARD.encode("u@x:p:ss:123456"));
        h.insert(header::AUTHORIZATION, v.parse().unwrap());
        match credentials(&h).unwrap() {
            Some(Credentials::Basic { login, password, code }) => {
                assert_eq!((login.as_str(), password.as_str(), code.as_deref()), ("u@x", "p:ss", Some("123456")));
            }
            _ => panic!("expected basic"),
        }
    }
}
