//! Procedures (TTPs) and the MITRE ATT&CK pattern catalogue (spec §1.18, §1.22, §2.1).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::render_alerts as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::http::multipart::{Input, MAX_UPLOAD};
use crate::service::procedures::{self, ImportResult, ParentRef};

pub fn router() -> Router<App> {
    Router::new()
        .route("/case/{id}/procedure", post(create_in_case))
        .route("/case/{id}/procedures", post(create_many_in_case))
        .route("/procedure", post(create_v4))
        .route("/procedure/delete/_bulk", post(bulk_delete))
        .route("/procedure/{id}", get(get_procedure).patch(update).delete(remove))
        .route("/pattern/import/attack", post(import))
        .route("/pattern/case/{id}", get(patterns_of_case))
        .route("/pattern/{id}", get(get_pattern).delete(delete_pattern))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

async fn create_in_case(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    super::alerts::one_procedure(&app, &caller, ParentRef::Case(&id), &body).await
}

async fn create_many_in_case(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    super::alerts::many_procedures(&app, &caller, ParentRef::Case(&id), &body).await
}

/// TheHive 4: `POST /procedure` with `caseId` in the body.
async fn create_v4(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let case = crate::service::req_str(&body, "caseId")?;
    super::alerts::one_procedure(&app, &caller, ParentRef::Case(&case), &body).await
}

async fn get_procedure(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::procedure(&procedures::get(&app, &caller, &id).await?)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    procedures::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    procedures::delete(&app, &caller, &[id], None).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn bulk_delete(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<StatusCode, ApiError> {
    let ids = crate::service::wire::id_list(&body, "ids")?;
    procedures::delete(&app, &caller, &ids, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn import(State(app): State<App>, caller: Caller, input: Input) -> Result<Response, ApiError> {
    let results = procedures::import_attack(&app, &caller, &input.files).await?;
    let out: Vec<Value> = results
        .into_iter()
        .map(|r| match r {
            ImportResult::Success { mitre_id, name } => {
                json!({"status": "Success", "mitreId": mitre_id, "patternName": name})
            }
            ImportResult::Failure { message } => json!({"status": "Failure", "message": message}),
        })
        .collect();
    Ok((StatusCode::CREATED, axum::Json(Value::Array(out))).into_response())
}

async fn get_pattern(
    State(app): State<App>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(render::pattern(&procedures::get_pattern(&app, &id).await?)))
}

async fn delete_pattern(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    procedures::delete_pattern(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn patterns_of_case(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = procedures::patterns_of_case(&app, &caller, &id).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::pattern).collect())))
}
