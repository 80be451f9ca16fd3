//! Pages: case pages (`/case/{caseId}/page[/{pageId}]`, TheHive 5), organisation
//! knowledge-base pages (`/page[/{idOrSlug}]`) and page templates (`/pageTemplate`).

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
use crate::service::pages;

pub fn router() -> Router<App> {
    Router::new()
        .route("/case/{id}/page", post(create_in_case).get(list_for_case))
        .route("/case/{id}/page/{page}", get(get_in_case).patch(update_in_case).delete(delete_in_case))
        .route("/page", post(create_kb).get(list_kb))
        .route("/page/{id}", get(get_kb).patch(update_kb).delete(delete_kb))
        .route("/pageTemplate", post(create_template).get(list_templates))
        .route("/pageTemplate/{id}", get(get_template).patch(update_template).delete(delete_template))
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, axum::Json(v)).into_response()
}

fn list_json<T>(items: &[T], f: fn(&T) -> Value) -> axum::Json<Value> {
    axum::Json(Value::Array(items.iter().map(f).collect()))
}

async fn create_in_case(
    State(app): State<App>,
    caller: Caller,
    Path(case): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    Ok(created(render::page(&pages::create_in_case(&app, &caller, &case, &body).await?)))
}

async fn list_for_case(
    State(app): State<App>,
    caller: Caller,
    Path(case): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(list_json(&pages::list_for_case(&app, &caller, &case).await?, render::page))
}

async fn get_in_case(
    State(app): State<App>,
    caller: Caller,
    Path((case, page)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::page(&pages::get_in_case(&app, &caller, &case, &page).await?)))
}

async fn update_in_case(
    State(app): State<App>,
    caller: Caller,
    Path((case, page)): Path<(String, String)>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    pages::update_in_case(&app, &caller, &case, &page, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_in_case(
    State(app): State<App>,
    caller: Caller,
    Path((case, page)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    pages::delete_in_case(&app, &caller, &case, &page).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_kb(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    Ok(created(render::page(&pages::create_in_organisation(&app, &caller, &body).await?)))
}

async fn list_kb(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    Ok(list_json(&pages::list_for_organisation(&app, &caller).await?, render::page))
}

async fn get_kb(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::page(&pages::get_in_organisation(&app, &caller, &id).await?)))
}

async fn update_kb(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    pages::update_in_organisation(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_kb(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    pages::delete_in_organisation(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_template(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    Ok(created(render::page_template(&pages::create_template(&app, &caller, &body).await?)))
}

async fn list_templates(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    Ok(list_json(&pages::list_templates(&app, &caller).await?, render::page_template))
}

async fn get_template(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::page_template(&pages::get_template(&app, &caller, &id).await?)))
}

async fn update_template(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    pages::update_template(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_template(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    pages::delete_template(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
