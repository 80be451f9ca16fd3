//! `/observable/type` endpoints (spec §1.11).

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
use crate::service::observable_types;

pub fn router() -> Router<App> {
    Router::new()
        .route("/observable/type", post(create).get(list))
        .route("/observable/type/{id}", get(get_one).delete(remove))
}

async fn create(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let t = observable_types::create(&app, &caller, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::observable_type(&t))).into_response())
}

async fn list(State(app): State<App>, _caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let list = observable_types::list(&app).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::observable_type).collect())))
}

async fn get_one(
    State(app): State<App>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::observable_type(&observable_types::get(&app, &id).await?)))
}

async fn remove(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    observable_types::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
