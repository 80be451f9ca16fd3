//! Session login and logout (spec §4.3), and the sliding inactivity timeout.

use axum::http::{HeaderMap, HeaderValue};

use super::extract::SESSION_COOKIE;
use crate::app::App;
use crate::auth::caller::{check_password, choose_organisation};
use crate::auth::{AuthMethod, Caller, secrets};
use crate::error::ApiError;
use crate::storage::{sessions, users};

/// How often at most a session's deadline is pushed forward (a write), per session.
const TOUCH_EVERY_MS: i64 = 60_000;

fn timeout_ms(app: &App) -> i64 {
    app.config.session_timeout_minutes.max(1) * 60_000
}

/// `POST /login`: checks the password (and TOTP), opens a session, returns the cookie.
pub async fn login(
    app: &App,
    headers: &HeaderMap,
    addr: Option<std::net::IpAddr>,
    body: &serde_json::Value,
) -> Result<(i64, Option<i64>, HeaderValue), ApiError> {
    crate::service::object(body)?;
    let login = crate::service::req_str(body, "user")?;
    let password = crate::service::req_str(body, "password")?;
    let code = crate::service::opt_str(body, "code")?;
    let requested = crate::service::opt_str(body, "organisation")?;
    let mut tx = app.store.write().await?;
    let user = check_password(app, &mut tx, &login, &password, code.as_deref(), addr).await?;
    let memberships = users::memberships(&mut tx, user.id).await?;
    let org = choose_organisation(&user, &memberships, requested.as_deref(), None)?.organisation_id;
    let token = secrets::new_token(32);
    let now = crate::clock::now_ms();
    sessions::purge_expired(&mut tx, now).await?;
    sessions::insert(&mut tx, &secrets::sha256_hex(token.as_bytes()), user.id, Some(org), now, now + timeout_ms(app))
        .await?;
    tx.commit().await?;
    Ok((user.id, Some(org), cookie(headers, &token, None)))
}

/// `Set-Cookie` for the session. `Secure` when the request came over HTTPS (as a proxy
/// reports it), so that plain-HTTP local use still works.
fn cookie(headers: &HeaderMap, token: &str, max_age: Option<i64>) -> HeaderValue {
    let secure =
        headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let mut c = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `GET|POST /logout`: ends the session if there is one, and clears the cookie.
pub async fn logout(app: &App, headers: &HeaderMap) -> Result<HeaderValue, ApiError> {
    if let Some(token) = super::extract::session_token(headers) {
        let mut tx = app.store.write().await?;
        sessions::delete(&mut tx, &secrets::sha256_hex(token.as_bytes())).await?;
        tx.commit().await?;
    }
    Ok(cookie(headers, "", Some(0)))
}

/// Slides a session's deadline forward (at most once a minute) and remembers an
/// organisation switch made with `X-Organisation`, as TheHive does.
pub async fn keep_alive(app: &App, caller: &Caller, org_switched: bool) -> Result<(), ApiError> {
    let AuthMethod::Session { token_hash, expires_at, organisation_id } = &caller.method else {
        return Ok(());
    };
    let now = crate::clock::now_ms();
    let due = expires_at - now < timeout_ms(app) - TOUCH_EVERY_MS;
    let switched = org_switched && *organisation_id != Some(caller.organisation_id);
    if due || switched {
        let mut tx = app.store.write().await?;
        sessions::touch(&mut tx, token_hash, Some(caller.organisation_id), now + timeout_ms(app)).await?;
        tx.commit().await?;
    }
    Ok(())
}
