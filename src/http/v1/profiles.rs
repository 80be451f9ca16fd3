//! `/profile` endpoints (spec §1.14).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::service::profiles;

pub fn router() -> Router<App> {
    Router::new()
        .route("/profile", post(create).get(list))
        .route("/profile/{id}", get(get_one).patch(update).delete(remove))
}

async fn create(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let p = profiles::create(&app, &caller, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::profile(&p))).into_response())
}

async fn list(State(app): State<App>, _caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let list = profiles::list(&app).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::profile).collect())))
}

async fn get_one(
    State(app): State<App>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::profile(&profiles::get(&app, &id).await?)))
}

/// TheHive answers a profile update with 200 and the profile (unlike most updates).
async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::profile(&profiles::update(&app, &caller, &id, &body).await?)))
}

async fn remove(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    profiles::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
