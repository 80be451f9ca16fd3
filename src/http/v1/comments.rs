//! Case comments (TheHive 5): `/case/{caseId}/comment` and `/comment/{id}`.

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
use crate::service::comments;

pub fn router() -> Router<App> {
    Router::new()
        .route("/case/{id}/comment", post(create).get(list))
        .route("/comment/{id}", get(get_comment).patch(update).delete(delete))
}

async fn create(
    State(app): State<App>,
    caller: Caller,
    Path(case): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let c = comments::create_in_case(&app, &caller, &case, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::comment(&c))).into_response())
}

async fn list(State(app): State<App>, caller: Caller, Path(case): Path<String>) -> Result<axum::Json<Value>, ApiError> {
    let all = comments::list_for_case(&app, &caller, &case).await?;
    Ok(axum::Json(Value::Array(all.iter().map(render::comment).collect())))
}

async fn get_comment(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::comment(&comments::get(&app, &caller, &id).await?)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    comments::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    comments::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
