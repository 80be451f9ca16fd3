//! The MISP connector's routes (thehive-api.md §2.2, thehive4py's `misp` endpoint, and the
//! server administration routes Waggle adds). Under `/api/v1` and, for TheHive 4 clients,
//! `/api`:
//!
//! | Method | Path | |
//! |---|---|---|
//! | GET | `/connector/misp/status` | `{status: {<name>: {...}}, syncInProgress}` (any user) |
//! | GET, POST | `/connector/misp/_syncAlerts` | sync every import server now; 204 when done |
//! | POST | `/connector/misp/export/{caseId}/{mispName}` | export a case's IOCs; 200 with the export |
//! | GET | `/connector/misp/export/{caseId}` | where and when the case was exported |
//! | GET, POST | `/connector/misp/server` | list / create server connections (admin) |
//! | GET, PATCH, DELETE | `/connector/misp/server/{idOrName}` | one connection (admin) |
//! | POST | `/connector/misp/server/{idOrName}/_test` | test a saved connection |
//! | POST | `/connector/misp/server/_test` | test unsaved settings (body as for create) |
//! | POST | `/connector/misp/server/{idOrName}/_sync` | sync one server now; 200 with the run report |
//! | POST | `/connector/misp/case/import` | multipart `_json` + `file` (a MISP event): 201 Case |
//! | GET, PATCH | `/connector/misp/settings` | the polling interval shared by all servers (admin); PATCH `{"syncInterval": 900 \| "15m" \| null}`: 204 |

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::render::{base, put_opt};
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::http::multipart::Input;
use crate::ids::render_id;
use crate::service::misp::interval::{self, Interval};
use crate::service::misp::servers::{self, ServerView};
use crate::service::misp::settings::format_duration;
use crate::service::misp::{case_import, export, status, sync};
use crate::storage::misp::Export;

fn routes() -> Router<App> {
    Router::new()
        .route("/connector/misp/status", get(get_status))
        .route("/connector/misp/_syncAlerts", get(sync_all).post(sync_all))
        .route("/connector/misp/export/{case}/{server}", post(export_case))
        .route("/connector/misp/export/{case}", get(list_exports))
        .route("/connector/misp/case/import", post(import_case))
        .route("/connector/misp/server", get(list).post(create))
        .route("/connector/misp/server/_test", post(test_unsaved))
        .route("/connector/misp/server/{id}", get(get_one).patch(update).delete(delete))
        .route("/connector/misp/server/{id}/_test", post(test))
        .route("/connector/misp/server/{id}/_sync", post(sync_one))
        .route("/connector/misp/settings", get(get_settings).patch(set_settings))
}

/// Mounted under `/api/v1`.
pub fn router() -> Router<App> {
    routes()
}

/// TheHive 4's unversioned paths (`/api/connector/misp/...`).
pub fn unversioned_router() -> Router<App> {
    Router::new().nest("/api", routes())
}

/// The status part of a server (also embedded in the admin view).
fn status_of(v: &ServerView, now: i64) -> Value {
    let r = &v.row;
    let mut m = Map::new();
    m.insert("name".into(), json!(r.name));
    m.insert("url".into(), json!(crate::outbound::display_url(&r.url)));
    m.insert("purpose".into(), json!(r.purpose));
    m.insert("enabled".into(), json!(r.enabled));
    m.insert("status".into(), json!(status::health(v)));
    put_opt(&mut m, "version", r.version.as_ref());
    put_opt(&mut m, "mispOrganisation", r.misp_organisation.as_ref());
    put_opt(&mut m, "lastSync", r.last_sync_at);
    put_opt(&mut m, "lastAttempt", r.last_attempt_at);
    put_opt(&mut m, "nextSync", r.next_sync_at.filter(|_| r.enabled && r.purpose != "ExportOnly"));
    put_opt(&mut m, "lastError", r.last_error.as_ref());
    put_opt(&mut m, "lastErrorDate", r.last_error_at);
    m.insert("eventsImported".into(), json!(r.events_imported));
    m.insert("consecutiveFailures".into(), json!(r.consecutive_failures));
    m.insert("syncInProgress".into(), json!(r.lease_owner.is_some() && r.lease_until.is_some_and(|u| u >= now)));
    m.insert(
        "pendingEvents".into(),
        Value::Array(
            v.failures
                .iter()
                .map(|f| {
                    json!({"event": f.event_id, "attempts": f.attempts, "nextAttempt": f.next_attempt_at,
                                "error": f.last_error})
                })
                .collect(),
        ),
    );
    let last_run: Value = serde_json::from_str(&r.last_run).unwrap_or_else(|_| json!({}));
    m.insert("lastRun".into(), last_run);
    Value::Object(m)
}

/// The administrator's view of a server: settings and status, never the API key.
fn server(v: &ServerView, now: i64) -> Value {
    let (r, d, s) = (&v.row, &v.def, &v.def.stored);
    let mut m = base("MispServer", r.id, &r.meta);
    m.insert("name".into(), json!(d.name));
    m.insert("url".into(), json!(d.url));
    m.insert("purpose".into(), json!(d.purpose));
    m.insert("authType".into(), json!(d.auth_type));
    put_opt(&mut m, "username", d.username.as_ref());
    m.insert("hasApiKey".into(), json!(r.api_key_sealed.is_some()));
    put_opt(&mut m, "proxy", d.proxy.as_deref().map(crate::outbound::display_url));
    put_opt(&mut m, "caCertificate", d.ca_certificate.as_ref());
    m.insert("verifyHostname".into(), json!(d.verify_hostname));
    m.insert("enabled".into(), json!(d.enabled));
    m.insert("includedTheHiveOrganisations".into(), json!(s.included_the_hive_organisations));
    m.insert("excludedTheHiveOrganisations".into(), json!(s.excluded_the_hive_organisations));
    m.insert("tags".into(), json!(s.tags));
    put_opt(&mut m, "caseTemplate", s.case_template.as_ref());
    m.insert("exportCaseTags".into(), json!(s.export_case_tags));
    m.insert("exportObservableTags".into(), json!(s.export_observable_tags));
    m.insert("exportCaseUrl".into(), json!(s.export_case_url));
    put_opt(&mut m, "maxAge", s.max_age.map(format_duration));
    put_opt(&mut m, "maxAttributes", s.max_attributes);
    m.insert("includedMispOrganisations".into(), json!(s.included_misp_organisations));
    m.insert("excludedMispOrganisations".into(), json!(s.excluded_misp_organisations));
    m.insert("includedTags".into(), json!(s.included_tags));
    m.insert("excludedTags".into(), json!(s.excluded_tags));
    m.insert("importUnpublished".into(), json!(s.import_unpublished));
    put_opt(&mut m, "syncInterval", s.sync_interval.map(format_duration));
    put_opt(&mut m, "timeout", s.timeout.map(format_duration));
    m.insert("sync".into(), status_of(v, now));
    Value::Object(m)
}

fn export_json(e: &Export) -> Value {
    let mut m = base("MispExport", e.id, &e.meta);
    m.insert("caseId".into(), json!(render_id(e.case_id)));
    m.insert("mispServer".into(), json!(e.server_name));
    m.insert("eventId".into(), json!(e.event_id));
    m.insert("eventUrl".into(), json!(format!("{}/events/view/{}", e.server_url.trim_end_matches('/'), e.event_id)));
    m.insert("exportedAt".into(), json!(e.exported_at));
    Value::Object(m)
}

async fn get_status(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let s = status::status(&app, &caller).await?;
    let servers: Map<String, Value> = s.servers.iter().map(|v| (v.row.name.clone(), status_of(v, s.now))).collect();
    Ok(axum::Json(json!({"status": servers, "syncInProgress": s.sync_in_progress})))
}

/// Runs in its own task: a client that hangs up does not cut a sync in the middle.
async fn sync_all(State(app): State<App>, caller: Caller) -> Result<StatusCode, ApiError> {
    let task = tokio::spawn(async move { sync::sync_now(&app, &caller, None).await });
    task.await.map_err(|e| ApiError::Internal(format!("sync task: {e}")))??;
    Ok(StatusCode::NO_CONTENT)
}

async fn sync_one(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let task = tokio::spawn(async move { sync::sync_now(&app, &caller, Some(&id)).await });
    let reports = task.await.map_err(|e| ApiError::Internal(format!("sync task: {e}")))??;
    let first = reports.into_iter().next().map(|r| serde_json::to_value(r).unwrap_or(Value::Null));
    Ok(axum::Json(first.unwrap_or_else(|| json!({"ok": false, "error": "the server is disabled or export-only"}))))
}

/// The address users reach this server at, for links back to a case.
pub fn origin(headers: &HeaderMap) -> String {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(|v| v.split(',').next().unwrap_or(v).trim());
    let proto = h("x-forwarded-proto").unwrap_or("http");
    let host = h("x-forwarded-host").or_else(|| h("host")).unwrap_or("localhost");
    format!("{proto}://{host}")
}

async fn export_case(
    State(app): State<App>,
    caller: Caller,
    headers: HeaderMap,
    Path((case, server)): Path<(String, String)>,
) -> Result<axum::Json<Value>, ApiError> {
    let origin = origin(&headers);
    let r =
        export::export_case(&app, &caller, &case, &server, |id| format!("{origin}/cases/{}/details", render_id(id)))
            .await?;
    let mut v = export_json(&r.export);
    if let Value::Object(m) = &mut v {
        m.insert("created".into(), json!(r.created));
        m.insert("attributesAdded".into(), json!(r.attributes_added));
        m.insert("samplesAdded".into(), json!(r.samples_added));
        m.insert("notExported".into(), json!(r.not_exportable));
    }
    Ok(axum::Json(v))
}

async fn list_exports(
    State(app): State<App>,
    caller: Caller,
    Path(case): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let list = export::exports_of_case(&app, &caller, &case).await?;
    Ok(axum::Json(Value::Array(list.iter().map(export_json).collect())))
}

async fn list(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let now = crate::clock::now_ms();
    let list = servers::list(&app, &caller).await?;
    Ok(axum::Json(Value::Array(list.iter().map(|v| server(v, now)).collect())))
}

async fn create(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let v = servers::create(&app, &caller, &body).await?;
    Ok((StatusCode::CREATED, axum::Json(server(&v, crate::clock::now_ms()))).into_response())
}

async fn get_one(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    let v = servers::get(&app, &caller, &id).await?;
    Ok(axum::Json(server(&v, crate::clock::now_ms())))
}

async fn update(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    servers::update(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    servers::delete(&app, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<axum::Json<Value>, ApiError> {
    let report = servers::test(&app, &caller, &id).await?;
    Ok(axum::Json(serde_json::to_value(report).unwrap_or(Value::Null)))
}

async fn test_unsaved(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<axum::Json<Value>, ApiError> {
    let report = servers::test_unsaved(&app, &caller, &body).await?;
    Ok(axum::Json(serde_json::to_value(report).unwrap_or(Value::Null)))
}

async fn import_case(State(app): State<App>, caller: Caller, input: Input) -> Result<Response, ApiError> {
    let v = case_import::import_case(&app, &caller, &input.json, &input.files).await?;
    Ok((StatusCode::CREATED, axum::Json(super::render_cases::case(&v))).into_response())
}

/// The shared polling interval, where it comes from, and the range an administrator may set.
fn settings_json(i: &Interval) -> Value {
    let mut m = Map::new();
    m.insert("syncInterval".into(), json!(i.text()));
    m.insert("syncIntervalSeconds".into(), json!(i.seconds));
    m.insert("source".into(), json!(if i.set.is_some() { "database" } else { "config" }));
    m.insert("minimum".into(), json!(format_duration(interval::MIN_SECS)));
    m.insert("maximum".into(), json!(format_duration(interval::MAX_SECS)));
    if let Some((by, at)) = i.set_by() {
        m.insert("updatedBy".into(), json!(by));
        m.insert("updatedAt".into(), json!(at));
    }
    Value::Object(m)
}

async fn get_settings(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(settings_json(&interval::get(&app, &caller).await?)))
}

async fn set_settings(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<StatusCode, ApiError> {
    interval::set(&app, &caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
