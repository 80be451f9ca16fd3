//! `/observable` endpoints and case observables (spec §2.1 Observables, §2.2).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::render_alerts as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::http::multipart::{Input, MAX_UPLOAD};
use crate::service::observables::{self, ParentRef};

pub fn router() -> Router<App> {
    Router::new()
        .route("/observable/_bulk", patch(bulk_update))
        .route("/observable/{id}", get(get_observable).patch(update).delete(remove))
        .route("/observable/{id}/similar", get(similar))
        .route("/observable/{id}/attachment/{att}/download", get(download))
        .route("/case/{id}/observable", post(create_in_case))
        .route("/case/{id}/artifact", post(create_in_case))
        .route("/case/{id}/similar/{other}/observables", get(similar_between))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

#[derive(Deserialize)]
struct GetParams {
    /// Comma-separated extra data names; `seen` adds TheHive's observable stats.
    #[serde(rename = "extraData")]
    extra_data: Option<String>,
}

async fn get_observable(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<GetParams>,
) -> Result<axum::Json<Value>, ApiError> {
    let o = observables::get(&app, &caller, &id).await?;
    let wants = q.extra_data.unwrap_or_default();
    let mut extra = Map::new();
    if wants.split(',').any(|w| w.trim() == "seen" || w.trim() == "stats") {
        let stats = observables::stats(&app, &caller, &[o.id]).await?;
        let (seen, ioc) = stats.get(&o.id).copied().unwrap_or((0, false));
        extra.insert("seen".into(), json!(seen));
        extra.insert("ioc".into(), json!(ioc));
    }
    Ok(axum::Json(render::observable_with(&o, extra)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    observables::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn bulk_update(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<StatusCode, ApiError> {
    observables::bulk_update(&app, &caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    observables::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The visible observables elsewhere with the same data, each with its case or alert id.
async fn similar(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = observables::similar(&app, &caller, &id).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::observable).collect())))
}

#[derive(Deserialize)]
struct DownloadParams {
    #[serde(rename = "asZip")]
    as_zip: Option<String>,
}

async fn download(
    State(app): State<App>,
    caller: Caller,
    Path((id, att)): Path<(String, String)>,
    Query(q): Query<DownloadParams>,
) -> Result<Response, ApiError> {
    let as_zip = q.as_zip.is_some_and(|v| matches!(v.as_str(), "true" | "True" | "1"));
    let d = observables::download(&app, &caller, &id, &att, as_zip).await?;
    Ok(super::download::file(d))
}

async fn create_in_case(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    input: Input,
) -> Result<Response, ApiError> {
    let o = observables::create(&app, &caller, ParentRef::Case(&id), &input.json, &input.files).await?;
    Ok(super::alerts::observables_outcome(o))
}

async fn similar_between(
    State(app): State<App>,
    caller: Caller,
    Path((id, other)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = crate::service::alerts::merge::case_similar_observables(&app, &caller, &id, &other).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::observable).collect())))
}
