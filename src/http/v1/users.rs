//! `/user` endpoints (spec §2.1 Users, §4.5 API keys).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::service::users;

pub fn router() -> Router<App> {
    Router::new()
        .route("/user", post(create))
        .route("/user/current", get(current))
        .route("/user/{id}", get(get_user).patch(update).delete(lock))
        .route("/user/{id}/force", delete(remove))
        .route("/user/{id}/organisations", put(set_organisations))
        .route("/user/{id}/password/set", post(set_password))
        .route("/user/{id}/password/change", post(change_password))
        .route("/user/{id}/key", get(reveal_key).delete(remove_key))
        .route("/user/{id}/key/renew", post(renew_key))
        .route("/user/{id}/reset", post(reset))
}

async fn create(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let v = users::create(&app, &caller, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::user(&v, caller.organisation_id, false))).into_response())
}

/// The current user, with `X-Organisation` and `X-Permissions` headers as TheHive sends.
async fn current(State(app): State<App>, caller: Caller) -> Result<Response, ApiError> {
    let v = users::current(&app, &caller).await?;
    let mut resp = axum::Json(render::user(&v, caller.organisation_id, true)).into_response();
    let perms = caller.permissions.iter().cloned().collect::<Vec<_>>().join(",");
    for (name, value) in [("x-organisation", caller.organisation.as_str()), ("x-permissions", perms.as_str())] {
        if let Ok(v) = HeaderValue::from_str(value) {
            resp.headers_mut().insert(name, v);
        }
    }
    Ok(resp)
}

async fn get_user(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let v = users::get(&app, &caller, &id).await?;
    Ok(axum::Json(render::user(&v, caller.organisation_id, false)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    users::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn lock(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    users::lock(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct OrgParam {
    organisation: Option<String>,
}

async fn remove(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<OrgParam>,
) -> Result<StatusCode, ApiError> {
    users::remove(&app, &caller, &id, q.organisation.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_organisations(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let v = users::set_organisations(&app, &caller, &id, &body).await?;
    let orgs: Vec<_> = v
        .memberships
        .iter()
        .map(|m| json!({"organisationId": crate::ids::render_id(m.organisation_id), "organisation": m.organisation, "profile": m.profile}))
        .collect();
    Ok(axum::Json(json!({ "organisations": orgs })))
}

async fn set_password(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    users::set_password(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn change_password(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    users::change_password(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Keys travel as `text/plain`, as in TheHive.
async fn reveal_key(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<String, ApiError> {
    users::reveal_key(&app, &caller, &id).await
}

async fn renew_key(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<String, ApiError> {
    users::renew_key(&app, &caller, &id).await
}

async fn remove_key(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    users::remove_key(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /user/{id}/reset`: clears the failed-login slowdown of an account.
async fn reset(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let v = users::get(&app, &caller, &id).await?;
    caller.require(crate::auth::perm::MANAGE_USER, "reset user")?;
    app.throttle.succeeded(&v.user.login);
    Ok(StatusCode::NO_CONTENT)
}
