//! Case sharing endpoints (spec §2.1 "Cases" share rows, §2.2 `PUT|POST /case/{id}/shares`,
//! `GET /sharingProfile`) and thehive4py's `/task/{id}/shares`, `/observable/{id}/shares`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde_json::Value;

use super::render_shares as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::service::sharing;

pub fn router() -> Router<App> {
    Router::new()
        .route("/case/{id}/shares", get(list).post(create).put(set).delete(remove_organisations))
        // Static segments (`shares`, `share`, `task`) win over `/case/{id}`, whatever the order.
        .route("/case/shares", delete(remove_many))
        .route("/case/share/{id}", delete(remove).patch(update))
        .route("/case/task/{id}/shares", post(share_task))
        .route("/case/{id}/task/{task}/shares", get(task_shares_in_case))
        .route("/case/{id}/observable/{obs}/shares", get(observable_shares_in_case))
        .route("/task/{id}/shares", get(task_shares).post(share_task).delete(unshare_task))
        .route("/observable/{id}/shares", get(observable_shares).post(share_observable).delete(unshare_observable))
        .route("/sharingProfile", get(sharing_profiles))
}

type Json = Result<axum::Json<Value>, ApiError>;

async fn list(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Json {
    Ok(axum::Json(render::shares(&sharing::list(&app, &caller, &id).await?)))
}

/// TheHive answers 200 (not 201) with the created shares.
async fn create(State(app): State<App>, caller: Caller, Path(id): Path<String>, Body(body): Body) -> Json {
    Ok(axum::Json(render::shares(&sharing::create(&app, &caller, &id, &body).await?)))
}

async fn set(State(app): State<App>, caller: Caller, Path(id): Path<String>, Body(body): Body) -> Json {
    Ok(axum::Json(render::shares(&sharing::set(&app, &caller, &id, &body).await?)))
}

async fn remove_organisations(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    sharing::remove_organisations(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_many(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<StatusCode, ApiError> {
    sharing::remove_many(&app, &caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    sharing::remove(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn update(State(app): State<App>, caller: Caller, Path(id): Path<String>, Body(body): Body) -> Json {
    Ok(axum::Json(render::share(&sharing::update(&app, &caller, &id, &body).await?)))
}

async fn share_task(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    sharing::share_task(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unshare_task(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    sharing::unshare_task(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn share_observable(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    sharing::share_observable(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unshare_observable(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    sharing::unshare_observable(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn task_shares(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Json {
    Ok(axum::Json(render::shares(&sharing::task_shares(&app, &caller, None, &id).await?)))
}

async fn task_shares_in_case(State(app): State<App>, caller: Caller, Path((case, id)): Path<(String, String)>) -> Json {
    Ok(axum::Json(render::shares(&sharing::task_shares(&app, &caller, Some(&case), &id).await?)))
}

async fn observable_shares(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Json {
    Ok(axum::Json(render::shares(&sharing::observable_shares(&app, &caller, None, &id).await?)))
}

async fn observable_shares_in_case(
    State(app): State<App>,
    caller: Caller,
    Path((case, id)): Path<(String, String)>,
) -> Json {
    Ok(axum::Json(render::shares(&sharing::observable_shares(&app, &caller, Some(&case), &id).await?)))
}

async fn sharing_profiles(State(app): State<App>, caller: Caller) -> Json {
    let list = sharing::sharing_profiles(&app, &caller).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::sharing_profile).collect())))
}
