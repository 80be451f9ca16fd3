//! Signing in and out (spec §4.3), and choosing the organisation to act in.
//!
//! The session is the API's (`http::session`, cookie `THEHIVE-SESSION`), so a user signed in
//! here is signed in to the API from the same browser, and the other way round. The
//! organisation switcher follows the `X-Organisation` rule: the membership is checked by the
//! same `authenticate`, and the choice is remembered in the session.

use std::net::SocketAddr;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::assets;
use super::csrf::CsrfNonce;
use super::error::{UiError, local_path, see_other};
use super::form::UiForm;
use crate::app::App;
use crate::auth::{Credentials, authenticate};
use crate::error::ApiError;
use crate::http::extract::session_token;
use crate::http::middleware::RequestId;
use crate::http::session;

pub fn router() -> Router<App> {
    Router::new()
        .route("/login", get(login_page).post(sign_in))
        .route("/logout", post(sign_out))
        .route("/organisation", post(switch_organisation))
}

#[derive(Template)]
#[template(path = "ui/login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    next: &'a str,
    user: &'a str,
    error: Option<&'a str>,
    /// The account has a second factor and the code is now asked for.
    ask_code: bool,
    css: String,
    js: String,
    icon: String,
}

#[derive(Deserialize)]
struct NextParam {
    next: Option<String>,
}

fn render_login(
    app: &App,
    headers: &HeaderMap,
    nonce: &CsrfNonce,
    status: StatusCode,
    form: (&str, &str, Option<&str>, bool),
) -> Result<Response, UiError> {
    let (next, user, error, ask_code) = form;
    let csrf = app.csrf.token(&nonce.0, session_token(headers).as_deref());
    let html = LoginPage {
        csrf: &csrf,
        next: local_path(next).unwrap_or("/"),
        user,
        error,
        ask_code,
        css: assets::url("app.css"),
        js: assets::url("app.js"),
        icon: assets::url("favicon.svg"),
    }
    .render()?;
    Ok((status, Html(html)).into_response())
}

/// `GET /login`: the form, or straight on when the session is still good.
async fn login_page(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Extension(nonce): axum::Extension<CsrfNonce>,
    Query(q): Query<NextParam>,
) -> Result<Response, UiError> {
    let next = q.next.as_deref().and_then(local_path).unwrap_or("/");
    if let Some(token) = session_token(&headers)
        && authenticate(&app, Credentials::Session(token), None, None, String::new()).await.is_ok()
    {
        return Ok(see_other(next));
    }
    render_login(&app, &headers, &nonce, StatusCode::OK, (next, "", None, false))
}

/// `POST /login`: opens a session and goes where the user was heading.
async fn sign_in(
    State(app): State<App>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Extension(nonce): axum::Extension<CsrfNonce>,
    form: UiForm,
) -> Result<Response, UiError> {
    let next = form.get("next").and_then(local_path).unwrap_or("/").to_owned();
    let user = form.get("user").unwrap_or_default().to_owned();
    let body = json!({
        "user": user,
        "password": form.raw("password").unwrap_or_default(),
        "code": form.get("code"),
    });
    match session::login(&app, &headers, Some(addr.ip()), &body).await {
        Ok((_, _, cookie)) => {
            let mut resp = see_other(&next);
            resp.headers_mut().append(header::SET_COOKIE, cookie);
            Ok(resp)
        }
        Err(ApiError::MultiFactorCodeRequired) => {
            let msg = "Enter the code from your authenticator app.";
            render_login(&app, &headers, &nonce, StatusCode::UNAUTHORIZED, (&next, &user, Some(msg), true))
        }
        Err(e @ (ApiError::Authentication(_) | ApiError::AttributeChecking(_))) => {
            // Same words whether the login or the password was wrong (no account probing).
            let msg = match &e {
                ApiError::Authentication(m) if m.contains("locked") => "This account is locked.",
                ApiError::Authentication(m) if m.contains("MFA") => "The code is not valid.",
                ApiError::AttributeChecking(_) => "Enter your login and password.",
                _ => "Wrong login or password.",
            };
            let ask_code = form.get("code").is_some();
            render_login(&app, &headers, &nonce, StatusCode::UNAUTHORIZED, (&next, &user, Some(msg), ask_code))
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /logout`: ends the session (a POST, so another site cannot log users out).
async fn sign_out(State(app): State<App>, headers: HeaderMap) -> Result<Response, UiError> {
    let cookie = session::logout(&app, &headers).await?;
    let mut resp = see_other("/login");
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(resp)
}

/// `POST /organisation`: acts in another organisation from now on (membership checked).
async fn switch_organisation(
    State(app): State<App>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Extension(request_id): axum::Extension<RequestId>,
    form: UiForm,
) -> Result<Response, UiError> {
    let token = session_token(&headers).ok_or_else(|| ApiError::Authentication("Authentication failure".into()))?;
    let org = form.require("organisation")?;
    let caller = authenticate(&app, Credentials::Session(token), Some(org), Some(addr.ip()), request_id.0).await?;
    session::keep_alive(&app, &caller, true).await?;
    // Home, not back: the page the switch was made on shows the old organisation's data,
    // which may not exist in the new one.
    Ok(super::page::done("/", "switched"))
}
