//! `/case` endpoints (spec §2.1 Cases, §2.2 TheHive 5 additions): create, get by `~id` or
//! number, update, bulk update, delete, timeline.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde_json::{Value, json};

use super::render_cases as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::service::cases;

pub fn router() -> Router<App> {
    Router::new()
        .route("/case", post(create).get(list))
        // Registered before `/case/{id}` so that `_bulk` is not read as a case number.
        .route("/case/_bulk", patch(bulk_update))
        .route("/case/customField/{id}", axum::routing::delete(delete_custom_field_value))
        .route("/case/{id}", get(get_case).patch(update).delete(delete))
        .route("/case/{id}/timeline", get(timeline))
        .route("/case/_merge/{ids}", post(merge))
        .route("/case/{id}/links", get(links))
}

async fn create(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let v = cases::create(&app, &caller, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::case(&v))).into_response())
}

/// Not a TheHive 4 route (lists go through the query DSL); kept for scripts and the UI:
/// the 100 newest visible cases.
async fn list(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let all = cases::list(&app, &caller, 100).await?;
    Ok(axum::Json(Value::Array(all.iter().map(render::case).collect())))
}

async fn get_case(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let v = cases::get(&app, &caller, &id).await?;
    Ok(axum::Json(render::case(&v)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    cases::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn bulk_update(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<StatusCode, ApiError> {
    cases::bulk_update(&app, &caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    cases::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// TheHive 5's `{"events": [...]}`, newest first.
async fn timeline(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    // Audit entries and custom events, merged newest first (a stable sort keeps the trail's
    // own order between equal dates).
    let (entries, custom) = crate::service::custom_events::timeline(&app, &caller, &id).await?;
    let mut dated: Vec<(i64, Value)> = entries.iter().map(|a| (a.created_at, render::timeline_event(a))).collect();
    dated.extend(custom.iter().map(|e| (e.date, render::custom_event_in_timeline(e))));
    dated.sort_by_key(|d| std::cmp::Reverse(d.0));
    let events: Vec<Value> = dated.into_iter().map(|(_, v)| v).collect();
    Ok(axum::Json(json!({ "events": events })))
}

async fn delete_custom_field_value(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    cases::delete_custom_field_value(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// TheHive 5: 201 with the merged case.
async fn merge(State(app): State<App>, caller: Caller, Path(ids): Path<String>) -> Result<Response, ApiError> {
    let v = cases::merge::merge(&app, &caller, &ids).await?;
    Ok((StatusCode::CREATED, axum::Json(render::case(&v))).into_response())
}

/// TheHive 5: each linked case as `GET /case` renders it, plus `linkedWith` (this case's
/// observables that make the link) and `linksCount`.
async fn links(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<axum::Json<Value>, ApiError> {
    let list = cases::links::links(&app, &caller, &id).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::linked_case).collect())))
}
