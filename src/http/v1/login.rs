//! `/login` and `/logout` (spec §4.3).

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::app::App;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::http::session;

pub fn router() -> Router<App> {
    Router::new().route("/login", post(login)).route("/logout", get(logout).post(logout))
}

async fn login(
    State(app): State<App>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (user_id, org_id, cookie) = session::login(&app, &headers, Some(addr.ip()), &body).await?;
    let view = crate::service::users::view_by_id(&app, user_id).await?;
    let json = super::render::user(&view, org_id.unwrap_or_default(), true);
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(json)).into_response())
}

async fn logout(State(app): State<App>, headers: HeaderMap) -> Result<Response, ApiError> {
    let cookie = session::logout(&app, &headers).await?;
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(serde_json::json!({}))).into_response())
}
