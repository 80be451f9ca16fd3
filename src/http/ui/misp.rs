//! MISP screens (issue 9): the administrator's list of server connections with their sync
//! status and "synchronise now", the form holding every setting of one connection with
//! "test connection", and on a case the "export to MISP" page. Every action calls the same
//! service functions as `/api/v1/connector/misp/...`; the forms only translate fields.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::error::UiError;
use super::form::UiForm;
use super::page::{Ctx, Ui, done, or_show_again};
use crate::app::App;
use crate::error::ApiError;
use crate::ids::render_id;
use crate::service::misp::export;
use crate::service::misp::interval::{self, Interval};
use crate::service::misp::servers::{self, ServerView, TestReport};
use crate::service::misp::settings::format_duration;
use crate::service::misp::sync::{self, RunReport};
use crate::storage::misp::Export;

pub fn router() -> Router<App> {
    Router::new()
        .route("/admin/misp", get(list).post(create))
        .route("/admin/misp/new", get(new_server))
        .route("/admin/misp/sync", post(sync_all))
        .route("/admin/misp/interval", post(set_interval))
        .route("/admin/misp/{id}", get(edit).post(update))
        .route("/admin/misp/{id}/sync", post(sync_one))
        .route("/admin/misp/{id}/delete", post(delete))
        .route("/cases/{number}/misp", get(case_exports).post(export_case))
}

// ---------------------------------------------------------------------------------------
// The list, with status and "synchronise now"
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ui/admin/misp_servers.html")]
struct List<'a> {
    ctx: &'a Ctx,
    servers: &'a [ServerView],
    /// The polling interval shared by the servers without their own.
    interval: Interval,
    /// The configuration file's `[misp] sync_interval_secs`, followed when none is set.
    config_interval: String,
    reports: &'a [RunReport],
    error: Option<&'a str>,
}

/// The shared interval in force, as the server form's placeholder shows it.
async fn interval_of(app: &App) -> String {
    format_duration(interval::effective_secs(app).await)
}

async fn render_list(app: &App, ui: &Ui, reports: &[RunReport], error: Option<&str>) -> Result<Response, UiError> {
    let servers = servers::list(app, &ui.caller).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let interval = interval::get(app, &ui.caller).await?;
    let config_interval = format_duration(app.config.misp.sync_interval_secs.max(1) as i64);
    let page = List { ctx: &ui.ctx, servers: &servers, interval, config_interval, reports, error };
    ui.page_with_status(status, "MISP servers", page)
}

async fn list(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    render_list(&app, &ui, &[], None).await
}

/// Runs in its own task, as the API does: leaving the page does not cut a sync short.
async fn run_sync(app: &App, ui: &Ui, only: Option<String>) -> Result<Vec<RunReport>, ApiError> {
    let (app2, caller) = (app.clone(), ui.caller.clone());
    let task = tokio::spawn(async move { sync::sync_now(&app2, &caller, only.as_deref()).await });
    task.await.map_err(|e| ApiError::Internal(format!("sync task: {e}")))?
}

async fn sync_all(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    let reports = run_sync(&app, &ui, None).await?;
    render_list(&app, &ui, &reports, None).await
}

async fn sync_one(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let reports = run_sync(&app, &ui, Some(id)).await?;
    render_list(&app, &ui, &reports, None).await
}

/// The shared polling interval: a duration (`15m`, `2h`, seconds) or blank to follow the
/// configuration file again.
async fn set_interval(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let value = match form.get("syncInterval") {
        None => Value::Null,
        Some(t) => t.parse::<i64>().map(|n| json!(n)).unwrap_or_else(|_| json!(t)),
    };
    let result =
        interval::set(&app, &ui.caller, &json!({ "syncInterval": value })).await.map(|_| done("/admin/misp", "saved"));
    or_show_again(result, |msg| async move { render_list(&app, &ui, &[], Some(&msg)).await }).await
}

async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let result = servers::delete(&app, &ui.caller, &id).await.map(|()| done("/admin/misp", "deleted"));
    or_show_again(result, |msg| async move { render_list(&app, &ui, &[], Some(&msg)).await }).await
}

// ---------------------------------------------------------------------------------------
// One connection: every setting, "test connection"
// ---------------------------------------------------------------------------------------

/// The form's fields as text, from a saved server or from a submitted form.
pub struct Fields {
    pub name: String,
    pub url: String,
    pub auth_type: String,
    pub username: String,
    pub purpose: String,
    pub proxy: String,
    pub ca_certificate: String,
    pub verify_hostname: bool,
    pub enabled: bool,
    pub timeout: String,
    pub sync_interval: String,
    pub included_orgs: String,
    pub excluded_orgs: String,
    pub tags: String,
    pub case_template: String,
    pub export_case_tags: bool,
    pub export_observable_tags: bool,
    pub export_case_url: bool,
    pub max_age: String,
    pub max_attributes: String,
    pub included_misp_orgs: String,
    pub excluded_misp_orgs: String,
    pub included_tags: String,
    pub excluded_tags: String,
    pub import_unpublished: bool,
    /// An API key was typed (it is not shown again: it must be typed again to be saved).
    pub key_typed: bool,
}

fn lines(list: &[String]) -> String {
    list.join("\n")
}

impl Fields {
    fn blank() -> Fields {
        Fields::from_form(&UiForm(vec![
            ("authType".into(), "key".into()),
            ("purpose".into(), "ImportAndExport".into()),
            ("verifyHostname".into(), "true".into()),
            ("enabled".into(), "true".into()),
            ("includedTheHiveOrganisations".into(), "*".into()),
        ]))
    }

    fn from_view(v: &ServerView) -> Fields {
        let (d, s) = (&v.def, &v.def.stored);
        Fields {
            name: d.name.clone(),
            url: d.url.clone(),
            auth_type: d.auth_type.clone(),
            username: d.username.clone().unwrap_or_default(),
            purpose: d.purpose.clone(),
            proxy: d.proxy.as_deref().map(crate::outbound::display_url).unwrap_or_default(),
            ca_certificate: d.ca_certificate.clone().unwrap_or_default(),
            verify_hostname: d.verify_hostname,
            enabled: d.enabled,
            timeout: s.timeout.map(format_duration).unwrap_or_default(),
            sync_interval: s.sync_interval.map(format_duration).unwrap_or_default(),
            included_orgs: lines(&s.included_the_hive_organisations),
            excluded_orgs: lines(&s.excluded_the_hive_organisations),
            tags: lines(&s.tags),
            case_template: s.case_template.clone().unwrap_or_default(),
            export_case_tags: s.export_case_tags,
            export_observable_tags: s.export_observable_tags,
            export_case_url: s.export_case_url,
            max_age: s.max_age.map(format_duration).unwrap_or_default(),
            max_attributes: s.max_attributes.map(|n| n.to_string()).unwrap_or_default(),
            included_misp_orgs: lines(&s.included_misp_organisations),
            excluded_misp_orgs: lines(&s.excluded_misp_organisations),
            included_tags: lines(&s.included_tags),
            excluded_tags: lines(&s.excluded_tags),
            import_unpublished: s.import_unpublished,
            key_typed: false,
        }
    }

    fn from_form(f: &UiForm) -> Fields {
        let v = |n: &str| f.value(n).to_owned();
        Fields {
            name: v("name"),
            url: v("url"),
            auth_type: v("authType"),
            username: v("username"),
            purpose: v("purpose"),
            proxy: v("proxy"),
            ca_certificate: v("caCertificate"),
            verify_hostname: f.checked("verifyHostname"),
            enabled: f.checked("enabled"),
            timeout: v("timeout"),
            sync_interval: v("syncInterval"),
            included_orgs: v("includedTheHiveOrganisations"),
            excluded_orgs: v("excludedTheHiveOrganisations"),
            tags: v("tags"),
            case_template: v("caseTemplate"),
            export_case_tags: f.checked("exportCaseTags"),
            export_observable_tags: f.checked("exportObservableTags"),
            export_case_url: f.checked("exportCaseUrl"),
            max_age: v("maxAge"),
            max_attributes: v("maxAttributes"),
            included_misp_orgs: v("includedMispOrganisations"),
            excluded_misp_orgs: v("excludedMispOrganisations"),
            included_tags: v("includedTags"),
            excluded_tags: v("excludedTags"),
            import_unpublished: f.checked("importUnpublished"),
            key_typed: f.get("apiKey").is_some(),
        }
    }
}

/// A list field: one entry per line (commas accepted too).
fn list_of(f: &UiForm, name: &str) -> Value {
    let items: Vec<&str> = f.value(name).split(['\n', ',']).map(str::trim).filter(|s| !s.is_empty()).collect();
    json!(items)
}

/// The service's input (the API's MispServer body) from the form. Every setting is sent,
/// so an emptied field clears it; a blank API key keeps the saved one.
fn body_of(f: &UiForm) -> Value {
    let mut m = Map::new();
    for name in ["name", "url", "authType", "purpose"] {
        m.insert(name.into(), json!(f.value(name).trim()));
    }
    for name in ["username", "proxy", "caCertificate", "caseTemplate"] {
        m.insert(name.into(), json!(f.get(name).unwrap_or_default()));
    }
    if let Some(key) = f.get("apiKey") {
        m.insert("apiKey".into(), json!(key));
    }
    for name in
        ["verifyHostname", "enabled", "exportCaseTags", "exportObservableTags", "exportCaseUrl", "importUnpublished"]
    {
        m.insert(name.into(), json!(f.checked(name)));
    }
    for name in [
        "includedTheHiveOrganisations",
        "excludedTheHiveOrganisations",
        "tags",
        "includedMispOrganisations",
        "excludedMispOrganisations",
        "includedTags",
        "excludedTags",
    ] {
        m.insert(name.into(), list_of(f, name));
    }
    // Optional limits: blank clears; numbers stay numbers so the service validates them.
    for name in ["maxAge", "syncInterval", "timeout", "maxAttributes"] {
        let v = match f.get(name) {
            None => Value::Null,
            Some(t) => t.parse::<i64>().map(|n| json!(n)).unwrap_or_else(|_| json!(t)),
        };
        m.insert(name.into(), v);
    }
    Value::Object(m)
}

/// The form shows the proxy without its credentials: sent back unchanged, it keeps them.
fn keep_proxy_credentials(saved: &ServerView, body: &mut Value) {
    let shown = saved.def.proxy.as_deref().map(crate::outbound::display_url);
    if let (Some(shown), Some(m)) = (shown, body.as_object_mut())
        && m.get("proxy").and_then(Value::as_str) == Some(shown.as_str())
    {
        m.remove("proxy");
    }
}

#[derive(Template)]
#[template(path = "ui/admin/misp_server.html")]
struct Form<'a> {
    ctx: &'a Ctx,
    /// `None` for a new server.
    saved: Option<&'a ServerView>,
    f: &'a Fields,
    report: Option<&'a TestReport>,
    error: Option<&'a str>,
    interval: String,
}

impl Form<'_> {
    fn action(&self) -> String {
        match self.saved {
            Some(v) => format!("/admin/misp/{}", render_id(v.row.id)),
            None => "/admin/misp".into(),
        }
    }
    fn has_key(&self) -> bool {
        self.saved.is_some_and(|v| v.row.api_key_sealed.is_some())
    }
}

async fn render_form(
    app: &App,
    ui: &Ui,
    saved: Option<&ServerView>,
    f: &Fields,
    report: Option<&TestReport>,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = match saved {
        Some(v) => format!("MISP server {}", v.row.name),
        None => "New MISP server".into(),
    };
    let page = Form { ctx: &ui.ctx, saved, f, report, error, interval: interval_of(app).await };
    ui.page_with_status(status, &title, page)
}

async fn new_server(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    servers::may_manage(&ui.caller)?;
    render_form(&app, &ui, None, &Fields::blank(), None, None).await
}

/// The form's "Test connection" button submits the form with `intent=test`.
fn wants_test(form: &UiForm) -> bool {
    form.get("intent") == Some("test")
}

async fn create(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    servers::may_manage(&ui.caller)?;
    if wants_test(&form) {
        return test_form(app, ui, form).await;
    }
    let result = servers::create(&app, &ui.caller, &body_of(&form))
        .await
        .map(|v| done(&format!("/admin/misp/{}", render_id(v.row.id)), "created"));
    or_show_again(result, |msg| async move {
        render_form(&app, &ui, None, &Fields::from_form(&form), None, Some(&msg)).await
    })
    .await
}

async fn edit(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let v = servers::get(&app, &ui.caller, &id).await?;
    render_form(&app, &ui, Some(&v), &Fields::from_view(&v), None, None).await
}

async fn update(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    if wants_test(&form) {
        return test_form(app, ui, form).await;
    }
    let v = servers::get(&app, &ui.caller, &id).await?;
    let mut body = body_of(&form);
    keep_proxy_credentials(&v, &mut body);
    let result = servers::update(&app, &ui.caller, &id, &body)
        .await
        .map(|()| done(&format!("/admin/misp/{}", render_id(v.row.id)), "saved"));
    or_show_again(result, |msg| async move {
        render_form(&app, &ui, Some(&v), &Fields::from_form(&form), None, Some(&msg)).await
    })
    .await
}

/// "Test connection" of the form as filled in (a saved server's key is used unless a new
/// one is typed), without saving it.
async fn test_form(app: App, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    servers::may_manage(&ui.caller)?;
    let saved = match form.get("server") {
        Some(id) => Some(servers::get(&app, &ui.caller, id).await?),
        None => None,
    };
    let mut body = body_of(&form);
    if let Some(v) = &saved {
        keep_proxy_credentials(v, &mut body);
        body["server"] = json!(render_id(v.row.id));
    }
    let fields = Fields::from_form(&form);
    match servers::test_unsaved(&app, &ui.caller, &body).await {
        Ok(report) => render_form(&app, &ui, saved.as_ref(), &fields, Some(&report), None).await,
        Err(e) => {
            let saved = saved.as_ref();
            or_show_again(Err(e), |msg| async move { render_form(&app, &ui, saved, &fields, None, Some(&msg)).await })
                .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A case: export to MISP
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ui/case_misp.html")]
struct CaseExports<'a> {
    ctx: &'a Ctx,
    number: i64,
    title: &'a str,
    targets: &'a [String],
    exports: &'a [Export],
    result: Option<&'a export::ExportResult>,
    error: Option<&'a str>,
}

/// A run report (JSON) laid out for reading.
pub fn pretty(report: &str) -> String {
    serde_json::from_str::<Value>(report)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| report.to_owned())
}

pub fn event_url(e: &Export) -> String {
    format!("{}/events/view/{}", crate::outbound::display_url(&e.server_url).trim_end_matches('/'), e.event_id)
}

async fn render_exports(
    app: &App,
    ui: &Ui,
    number: &str,
    result: Option<&export::ExportResult>,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let c = crate::service::cases::get(app, &ui.caller, number).await?;
    let exports = export::exports_of_case(app, &ui.caller, number).await?;
    let targets = export::export_targets(app, &ui.caller).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = CaseExports {
        ctx: &ui.ctx,
        number: c.case.number,
        title: &c.case.title,
        targets: &targets,
        exports: &exports,
        result,
        error,
    };
    ui.page_with_status(status, &format!("#{} {} · MISP", c.case.number, c.case.title), page)
}

async fn case_exports(State(app): State<App>, ui: Ui, Path(number): Path<String>) -> Result<Response, UiError> {
    render_exports(&app, &ui, &number, None, None).await
}

async fn export_case(
    State(app): State<App>,
    ui: Ui,
    headers: HeaderMap,
    Path(number): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let origin = crate::http::v1::misp::origin(&headers);
    let server = form.get("server").unwrap_or_default().to_owned();
    let result = export::export_case(&app, &ui.caller, &number, &server, |id| {
        format!("{origin}/cases/{}/details", render_id(id))
    })
    .await;
    match result {
        Ok(r) => render_exports(&app, &ui, &number, Some(&r), None).await,
        Err(e) => {
            or_show_again(Err(e), |msg| async move { render_exports(&app, &ui, &number, None, Some(&msg)).await }).await
        }
    }
}
