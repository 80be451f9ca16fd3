//! `/organisation` endpoints (spec §1.12).

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
use crate::service::{organisations, users};

pub fn router() -> Router<App> {
    Router::new()
        .route("/organisation", post(create).get(list))
        .route("/organisation/{id}", get(get_one).patch(update))
        .route("/organisation/{id}/user", get(list_users))
}

async fn create(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let v = organisations::create(&app, &caller, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::organisation(&v))).into_response())
}

async fn list(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let orgs = organisations::list(&app, &caller).await?;
    Ok(axum::Json(Value::Array(orgs.iter().map(render::organisation).collect())))
}

async fn get_one(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let v = organisations::get(&app, &caller, &id).await?;
    Ok(axum::Json(render::organisation(&v)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    organisations::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_users(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = users::list(&app, &caller, Some(&id)).await?;
    let org = organisations::get(&app, &caller, &id).await?.org.id;
    Ok(axum::Json(Value::Array(list.iter().map(|u| render::user(u, org, false)).collect())))
}
