//! Attachments of cases and of the organisation, and downloads by content id (spec §2.2).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::render_alerts as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::multipart::{Input, MAX_UPLOAD};
use crate::service::attachments::{self, Parent};

pub fn router() -> Router<App> {
    Router::new()
        .route("/case/{id}/attachments", post(add_to_case).get(list_case))
        .route("/case/{id}/attachment/{att}", delete(delete_from_case))
        .route("/case/{id}/attachment/{att}/download", get(download_from_case))
        .route("/attachment", post(add_to_org).get(list_org))
        .route("/attachment/{id}", delete(delete_from_org))
        .route("/attachment/{id}/download", get(download))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

fn created(list: Vec<crate::storage::attachments::Usage>) -> Response {
    let out: Vec<Value> = list.iter().map(render::attachment).collect();
    (StatusCode::CREATED, axum::Json(json!({"attachments": out}))).into_response()
}

async fn add_to_case(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    input: Input,
) -> Result<Response, ApiError> {
    Ok(created(attachments::add(&app, &caller, Parent::Case(&id), &input.files).await?))
}

async fn list_case(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = attachments::list(&app, &caller, Parent::Case(&id)).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::attachment).collect())))
}

async fn delete_from_case(
    State(app): State<App>,
    caller: Caller,
    Path((id, att)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    attachments::delete(&app, &caller, Parent::Case(&id), &att).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn download_from_case(
    State(app): State<App>,
    caller: Caller,
    Path((id, att)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    Ok(super::download::file(attachments::download_from(&app, &caller, Parent::Case(&id), &att).await?))
}

async fn add_to_org(State(app): State<App>, caller: Caller, input: Input) -> Result<Response, ApiError> {
    Ok(created(attachments::add(&app, &caller, Parent::Organisation, &input.files).await?))
}

async fn list_org(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let list = attachments::list(&app, &caller, Parent::Organisation).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::attachment).collect())))
}

async fn delete_from_org(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    attachments::delete(&app, &caller, Parent::Organisation, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct DownloadParams {
    name: Option<String>,
    #[serde(rename = "asZip")]
    as_zip: Option<String>,
}

/// Any content the caller may see, by SHA-256; `?asZip=true` wraps it in a zip.
async fn download(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<DownloadParams>,
) -> Result<Response, ApiError> {
    let d = attachments::download(&app, &caller, &id, q.name.as_deref()).await?;
    let zip = q.as_zip.is_some_and(|v| matches!(v.as_str(), "true" | "True" | "1"));
    Ok(super::download::file(if zip { d.zipped() } else { d }))
}
