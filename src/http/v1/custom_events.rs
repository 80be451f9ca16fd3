//! Custom timeline events of a case (TheHive 5, spec §2.2): `POST|GET /case/{id}/customEvent`,
//! `GET|PATCH|DELETE /customEvent/{id}`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::render_cases as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::service::custom_events;

pub fn router() -> Router<App> {
    Router::new()
        .route("/case/{id}/customEvent", post(create).get(list))
        .route("/customEvent/{id}", get(get_one).patch(update).delete(delete))
}

async fn create(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let e = custom_events::create(&app, &caller, &id, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::custom_event(&e))).into_response())
}

async fn list(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<axum::Json<Value>, ApiError> {
    let all = custom_events::list_for_case(&app, &caller, &id).await?;
    Ok(axum::Json(Value::Array(all.iter().map(render::custom_event).collect())))
}

async fn get_one(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::custom_event(&custom_events::get(&app, &caller, &id).await?)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    custom_events::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    custom_events::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
