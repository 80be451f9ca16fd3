//! `/caseTemplate` and `/customField` endpoints (spec §2.1, §2.2).

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::Value;

use super::render_cases as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::service::{case_templates, custom_fields};

pub fn router() -> Router<App> {
    Router::new()
        .route("/caseTemplate", post(create).get(list))
        .route("/caseTemplate/{id}", get(get_template).patch(update).delete(delete))
        .route("/caseTemplate/{id}/pageTemplate/link", post(link_pages).put(link_pages))
        .route("/customField", post(create_field).get(list_fields))
        .route("/customField/{id}", get(get_field).patch(update_field).delete(delete_field))
}

async fn create(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let v = case_templates::create(&app, &caller, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::case_template(&v))).into_response())
}

async fn list(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let all = case_templates::list(&app, &caller).await?;
    Ok(axum::Json(Value::Array(all.iter().map(render::case_template).collect())))
}

async fn get_template(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::case_template(&case_templates::get(&app, &caller, &id).await?)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    case_templates::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn link_pages(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    case_templates::link_page_templates(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    case_templates::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_field(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let f = custom_fields::create(&app, &caller, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::custom_field(&f))).into_response())
}

async fn list_fields(State(app): State<App>, _caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let all = custom_fields::list(&app).await?;
    Ok(axum::Json(Value::Array(all.iter().map(render::custom_field).collect())))
}

async fn get_field(
    State(app): State<App>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::custom_field(&custom_fields::get(&app, &id).await?)))
}

async fn update_field(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    custom_fields::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Force {
    force: Option<String>,
}

/// `?force=true` (thehive4py sends Python's `True`/`False`).
async fn delete_field(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<Force>,
) -> Result<StatusCode, ApiError> {
    let force = q.force.as_deref().is_some_and(|f| f.eq_ignore_ascii_case("true") || f == "1");
    custom_fields::delete(&app, &caller, &id, force).await?;
    Ok(StatusCode::NO_CONTENT)
}
