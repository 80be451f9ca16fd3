//! `/alert` endpoints (spec §2.1 Alerts, §2.2 TheHive 5 additions, kibana-connector.md).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use serde_json::{Value, json};

use super::render_alerts as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::http::multipart::{Input, MAX_UPLOAD};
use crate::service::attachments::{self, Parent as AttParent};
use crate::service::observables::ParentRef as ObsParent;
use crate::service::procedures::{self, ParentRef as ProcParent};
use crate::service::{alerts, observables};

pub fn router() -> Router<App> {
    Router::new()
        .route("/alert", post(create))
        .route("/alert/_bulk", patch(bulk_update))
        .route("/alert/delete/_bulk", post(bulk_delete))
        .route("/alert/{id}", get(get_alert).patch(update).delete(remove))
        .route("/alert/{id}/read", post(|s, c, p| flag(s, c, p, "read", true)))
        .route("/alert/{id}/markAsRead", post(|s, c, p| flag(s, c, p, "read", true)))
        .route("/alert/{id}/unread", post(|s, c, p| flag(s, c, p, "read", false)))
        .route("/alert/{id}/markAsUnread", post(|s, c, p| flag(s, c, p, "read", false)))
        .route("/alert/{id}/follow", post(|s, c, p| flag(s, c, p, "follow", true)))
        .route("/alert/{id}/unfollow", post(|s, c, p| flag(s, c, p, "follow", false)))
        .route("/alert/{id}/observable", post(create_observable))
        .route("/alert/{id}/artifact", post(create_observable))
        .route("/alert/{id}/comment", post(add_comment).get(list_comments))
        .route("/alert/{id}/procedure", post(create_procedure))
        .route("/alert/{id}/procedures", post(create_procedures))
        .route("/alert/{id}/attachments", post(add_attachments).get(list_attachments))
        .route("/alert/{id}/attachment/{att}", delete(delete_attachment))
        .route("/alert/{id}/attachment/{att}/download", get(download_attachment))
        .route("/alert/{id}/similar", get(similar_cases))
        .route("/alert/{id}/case", post(promote))
        .route("/alert/{id}/createCase", post(promote))
        .route("/alert/{id}/merge/{case}", post(merge))
        .route("/alert/{id}/import/{case}", post(merge))
        .route("/alert/merge/_bulk", post(bulk_merge))
        .route("/alert/{id}/unmerge", post(unmerge))
        .route("/alert/{id}/similar/{other}/observables", get(similar_observables))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

async fn create(State(app): State<App>, caller: Caller, input: Input) -> Result<Response, ApiError> {
    let v = alerts::create(&app, &caller, &input.json, input.files).await?;
    Ok((StatusCode::CREATED, axum::Json(render::alert(&v))).into_response())
}

#[derive(serde::Deserialize)]
struct GetParams {
    /// v0's `?similarity=true`, or `?extraData=similarCases`: adds `extraData.similarCases`.
    similarity: Option<String>,
    #[serde(rename = "extraData")]
    extra_data: Option<String>,
}

async fn get_alert(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<GetParams>,
) -> Result<axum::Json<Value>, ApiError> {
    let v = alerts::get(&app, &caller, &id).await?;
    let mut out = render::alert(&v);
    let wants = q.similarity.as_deref().is_some_and(|s| s == "true" || s == "1")
        || q.extra_data.as_deref().is_some_and(|e| e.split(',').any(|x| x.trim() == "similarCases"));
    if wants {
        let list = alerts::merge::similar_cases(&app, &caller, &id).await?;
        out["extraData"]["similarCases"] = Value::Array(list.iter().map(similar_case).collect());
    }
    Ok(axum::Json(out))
}

/// One `similarCases` entry as TheHive renders it.
fn similar_case(s: &alerts::merge::SimilarCaseView) -> Value {
    json!({
        "case": super::render_cases::case(&s.case),
        "similarObservableCount": s.stats.similar_observables,
        "observableCount": s.stats.observables,
        "similarIocCount": s.stats.similar_iocs,
        "iocCount": s.stats.iocs,
    })
}

async fn promote(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let v = alerts::merge::promote(&app, &caller, &id, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(super::render_cases::case(&v))).into_response())
}

async fn merge(
    State(app): State<App>,
    caller: Caller,
    Path((id, case)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let v = alerts::merge::merge(&app, &caller, &id, &case).await?;
    Ok(axum::Json(super::render_cases::case(&v)))
}

async fn bulk_merge(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<axum::Json<Value>, ApiError> {
    let v = alerts::merge::bulk_merge(&app, &caller, &body).await?;
    Ok(axum::Json(super::render_cases::case(&v)))
}

async fn unmerge(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let v = alerts::merge::unmerge(&app, &caller, &id).await?;
    Ok(axum::Json(render::alert(&v)))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    alerts::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    alerts::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn bulk_update(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<StatusCode, ApiError> {
    alerts::bulk_update(&app, &caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn bulk_delete(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<StatusCode, ApiError> {
    alerts::bulk_delete(&app, &caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn flag(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    name: &'static str,
    value: bool,
) -> Result<StatusCode, ApiError> {
    alerts::set_flag(&app, &caller, &id, name, value).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// 201 with the created observables, or 207 `{success, failure}` when some values failed.
pub(super) fn observables_outcome(o: observables::Outcome) -> Response {
    let created: Vec<Value> = o.created.iter().map(render::observable).collect();
    if o.failures.is_empty() {
        return (StatusCode::CREATED, axum::Json(Value::Array(created))).into_response();
    }
    let failure: Vec<Value> = o
        .failures
        .iter()
        .map(|(object, e)| {
            let mut b = e.body();
            b["object"] = object.clone();
            b
        })
        .collect();
    (StatusCode::MULTI_STATUS, axum::Json(json!({"success": created, "failure": failure}))).into_response()
}

async fn create_observable(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    input: Input,
) -> Result<Response, ApiError> {
    let o = observables::create(&app, &caller, ObsParent::Alert(&id), &input.json, &input.files).await?;
    Ok(observables_outcome(o))
}

async fn add_comment(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let c = alerts::add_comment(&app, &caller, &id, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(render::alert_comment(&c))).into_response())
}

async fn list_comments(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = alerts::comments(&app, &caller, &id).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::alert_comment).collect())))
}

pub(super) async fn one_procedure(
    app: &App,
    caller: &Caller,
    parent: ProcParent<'_>,
    body: &Value,
) -> Result<Response, ApiError> {
    let input = procedures::parse(body, crate::clock::now_ms())?;
    let list = procedures::create(app, caller, parent, std::slice::from_ref(&input)).await?;
    let p = list.first().ok_or_else(|| ApiError::Internal("procedure vanished".into()))?;
    Ok((StatusCode::CREATED, axum::Json(render::procedure(p))).into_response())
}

pub(super) async fn many_procedures(
    app: &App,
    caller: &Caller,
    parent: ProcParent<'_>,
    body: &Value,
) -> Result<Response, ApiError> {
    let inputs = procedures::parse_list(body, "procedures", crate::clock::now_ms())?;
    if inputs.is_empty() {
        return Err(ApiError::missing("procedures"));
    }
    let list = procedures::create(app, caller, parent, &inputs).await?;
    Ok((StatusCode::CREATED, axum::Json(Value::Array(list.iter().map(render::procedure).collect()))).into_response())
}

async fn create_procedure(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    one_procedure(&app, &caller, ProcParent::Alert(&id), &body).await
}

async fn create_procedures(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    many_procedures(&app, &caller, ProcParent::Alert(&id), &body).await
}

async fn add_attachments(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    input: Input,
) -> Result<Response, ApiError> {
    let list = attachments::add(&app, &caller, AttParent::Alert(&id), &input.files).await?;
    let out: Vec<Value> = list.iter().map(render::attachment).collect();
    Ok((StatusCode::CREATED, axum::Json(json!({"attachments": out}))).into_response())
}

async fn list_attachments(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = attachments::list(&app, &caller, AttParent::Alert(&id)).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::attachment).collect())))
}

async fn delete_attachment(
    State(app): State<App>,
    caller: Caller,
    Path((id, att)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    attachments::delete(&app, &caller, AttParent::Alert(&id), &att).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn download_attachment(
    State(app): State<App>,
    caller: Caller,
    Path((id, att)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let d = attachments::download_from(&app, &caller, AttParent::Alert(&id), &att).await?;
    Ok(super::download::file(d))
}

async fn similar_cases(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = alerts::merge::similar_cases(&app, &caller, &id).await?;
    Ok(axum::Json(Value::Array(list.iter().map(similar_case).collect())))
}

async fn similar_observables(
    State(app): State<App>,
    caller: Caller,
    Path((id, other)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = alerts::similar_observables(&app, &caller, &id, &other).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::observable).collect())))
}
