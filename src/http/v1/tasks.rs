//! `/task` and `/log` endpoints (spec §2.1 Tasks and logs, §2.2), plus the task routes
//! nested under a case (`/case/{caseId}/task`). Log bodies may be multipart (`_json` and
//! file parts `attachment`/`attachments`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use serde_json::{Map, Value, json};

use super::render_cases as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::http::multipart::Input;
use crate::service::{logs, tasks};

pub fn router() -> Router<App> {
    Router::new()
        .route("/case/{id}/task", post(create_in_case).get(list_for_case))
        .route("/task", post(create).get(list))
        .route("/task/_bulk", patch(bulk_update))
        .route("/task/{id}", get(get_task).patch(update).delete(delete))
        .route("/task/{id}/actionRequired", get(action_required))
        .route("/task/{id}/actionRequired/{org}", put(set_required))
        .route("/task/{id}/actionDone/{org}", put(set_done))
        .route("/task/{id}/log", post(create_log).get(list_logs))
        .route("/log/{id}", get(get_log).patch(update_log).delete(delete_log))
        .route("/log/{id}/attachments", post(add_attachments))
        .route("/log/{id}/attachments/{att}", axum::routing::delete(delete_attachment))
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, axum::Json(v)).into_response()
}

async fn create_in_case(
    State(app): State<App>,
    caller: Caller,
    Path(case): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let t = tasks::create(&app, &caller, Some(&case), &body).await?;
    Ok(created(render::task(&t)))
}

/// TheHive 4 `POST /task` with `caseId` in the body.
async fn create(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let t = tasks::create(&app, &caller, None, &body).await?;
    Ok(created(render::task(&t)))
}

async fn list(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let all = tasks::list(&app, &caller).await?;
    Ok(axum::Json(Value::Array(all.iter().map(render::task).collect())))
}

async fn list_for_case(
    State(app): State<App>,
    caller: Caller,
    Path(case): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let all = tasks::list_for_case(&app, &caller, &case).await?;
    Ok(axum::Json(Value::Array(all.iter().map(render::task).collect())))
}

async fn get_task(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::task(&tasks::get(&app, &caller, &id).await?)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    tasks::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn bulk_update(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<StatusCode, ApiError> {
    tasks::bulk_update(&app, &caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    tasks::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn action_required(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let flags = tasks::action_required(&app, &caller, &id).await?;
    let map: Map<String, Value> = flags.into_iter().map(|(org, b)| (org, json!(b))).collect();
    Ok(axum::Json(Value::Object(map)))
}

async fn set_required(
    State(app): State<App>,
    caller: Caller,
    Path((id, org)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    tasks::set_action_required(&app, &caller, &id, &org, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_done(
    State(app): State<App>,
    caller: Caller,
    Path((id, org)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    tasks::set_action_required(&app, &caller, &id, &org, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn create_log(
    State(app): State<App>,
    caller: Caller,
    Path(task): Path<String>,
    input: Input,
) -> Result<Response, ApiError> {
    let l = logs::create(&app, &caller, &task, &input.json, &input.files).await?;
    Ok(created(render::log(&l)))
}

async fn list_logs(
    State(app): State<App>,
    caller: Caller,
    Path(task): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let all = logs::list_for_task(&app, &caller, &task).await?;
    Ok(axum::Json(Value::Array(all.iter().map(render::log).collect())))
}

async fn get_log(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::log(&logs::get(&app, &caller, &id).await?)))
}

async fn update_log(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    logs::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_log(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    logs::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /log/{id}/attachments` (multipart `attachments` parts) → `{"attachments": [...]}`.
async fn add_attachments(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    input: Input,
) -> Result<axum::Json<Value>, ApiError> {
    let all = logs::add_attachments(&app, &caller, &id, &input.files).await?;
    let list: Vec<Value> = all.iter().map(super::render_alerts::attachment).collect();
    Ok(axum::Json(json!({ "attachments": list })))
}

async fn delete_attachment(
    State(app): State<App>,
    caller: Caller,
    Path((id, att)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    logs::delete_attachment(&app, &caller, &id, &att).await?;
    Ok(StatusCode::NO_CONTENT)
}
