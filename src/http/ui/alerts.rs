//! Alerts: the detail page with its observables and similar cases (overlap counts), and
//! the triage actions: mark read, change status, promote to a case, merge into a case.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::cases::{ObservableRow, observable_rows};
use super::error::UiError;
use super::filter_builder::{ALERT_FIELDS, Advanced, FieldDef};
use super::form::UiForm;
use super::listing::{self, Slice};
use super::page::{Ctx, Ui, done, or_show_again};
use crate::app::App;
use crate::error::ApiError;
use crate::service::alerts::merge::{self, SimilarCaseView};
use crate::service::alerts::{self, AlertView};
use crate::service::case_templates::{self, CaseTemplateView};
use crate::service::observables::ParentRef;
use crate::service::query::EntityView;
use crate::storage::alert_comments::AlertComment;
use crate::storage::custom_fields::CustomField;

pub fn router() -> Router<App> {
    Router::new()
        .route("/alerts", get(queue))
        .route("/alerts/bulk", post(bulk))
        .route("/alerts/{id}", get(show).post(update))
        .route("/alerts/{id}/promote", post(promote))
        .route("/alerts/{id}/merge", post(merge_into_case))
        .route("/alerts/{id}/delete", post(delete))
        .route("/alerts/{id}/comments", post(add_comment))
}

/// Statuses an analyst may set by hand (`Imported` is set by promotion and merge only).
pub const STATUSES: &[&str] = &["New", "InProgress", "FalsePositive", "Duplicated", "Ignored", "Other"];

// ---------------------------------------------------------------- the queue

/// The queue's filters, as the filter form sends them (all optional).
#[derive(Deserialize, Default)]
pub struct QueueParams {
    pub status: Option<String>,
    pub severity: Option<String>,
    pub source: Option<String>,
    #[serde(rename = "type")]
    pub alert_type: Option<String>,
    pub tag: Option<String>,
    pub q: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub unread: Option<String>,
    pub sort: Option<String>,
    pub page: Option<i64>,
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl QueueParams {
    fn filters(&self) -> Vec<Value> {
        let mut f = Vec::new();
        if let Some(s) = filled(&self.status) {
            f.push(listing::eq("status", s));
        }
        if let Some(s) = filled(&self.severity).and_then(|s| s.parse::<i64>().ok()) {
            f.push(listing::eq("severity", s));
        }
        if let Some(s) = filled(&self.source) {
            f.push(listing::eq("source", s));
        }
        if let Some(s) = filled(&self.alert_type) {
            f.push(listing::eq("type", s));
        }
        if let Some(s) = filled(&self.tag) {
            f.push(listing::eq("tags", s));
        }
        if let Some(s) = filled(&self.q) {
            f.push(listing::contains_text("title", s));
        }
        let from = filled(&self.from).and_then(listing::day_ms);
        let to = filled(&self.to).and_then(listing::day_ms).map(|d| d + 86_400_000);
        if from.is_some() || to.is_some() {
            f.push(listing::between("date", from, to));
        }
        if filled(&self.unread).is_some() {
            f.push(listing::eq("read", false));
        }
        f
    }

    fn sort(&self) -> (&'static str, &'static str) {
        match filled(&self.sort) {
            Some("date_asc") => ("date", "asc"),
            Some("severity") => ("severity", "desc"),
            Some("title") => ("title", "asc"),
            _ => ("date", "desc"),
        }
    }

    /// The query string of these filters (for pagination links), without `page`.
    pub fn query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.status),
            ("severity", &self.severity),
            ("source", &self.source),
            ("type", &self.alert_type),
            ("tag", &self.tag),
            ("q", &self.q),
            ("from", &self.from),
            ("to", &self.to),
            ("unread", &self.unread),
            ("sort", &self.sort),
        ] {
            if let Some(v) = filled(v) {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }

    pub fn value<'a>(&'a self, name: &str) -> &'a str {
        let v = match name {
            "status" => &self.status,
            "severity" => &self.severity,
            "source" => &self.source,
            "type" => &self.alert_type,
            "tag" => &self.tag,
            "q" => &self.q,
            "from" => &self.from,
            "to" => &self.to,
            "unread" => &self.unread,
            "sort" => &self.sort,
            _ => &None,
        };
        v.as_deref().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "ui/alerts.html")]
struct Queue<'a> {
    ctx: &'a Ctx,
    alerts: &'a [AlertView],
    slice: &'a Slice,
    p: &'a QueueParams,
    qs: String,
    statuses: &'a [&'a str],
    severities: &'a [(i64, &'a str)],
    adv: &'a Advanced,
    adv_fields: &'a [FieldDef],
    /// Who the ticked alerts may be assigned to.
    members: &'a [String],
    error: Option<&'a str>,
}

async fn render_queue(
    app: &App,
    ui: &Ui,
    p: &QueueParams,
    adv: &Advanced,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let mut filters = p.filters();
    // A row the builder refuses is reported; the queue is shown without the builder's rows.
    let adv_error = match adv.filters(ALERT_FIELDS) {
        Ok(f) => {
            filters.extend(f);
            None
        }
        Err(e) => Some(e.to_string()),
    };
    let error = error.or(adv_error.as_deref());
    let mut slice = listing::run(app, &ui.caller, "listAlert", filters, p.sort(), p.page.unwrap_or(1)).await?;
    let alerts: Vec<AlertView> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::Alert(a) => Some(*a),
            _ => None,
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let members = super::cases::members(app, ui).await?;
    let page = Queue {
        ctx: &ui.ctx,
        alerts: &alerts,
        slice: &slice,
        p,
        qs: p.query_string() + &adv.query_suffix(),
        statuses: STATUSES,
        severities: super::cases::SEVERITIES,
        adv,
        adv_fields: ALERT_FIELDS,
        members: &members,
        error,
    };
    ui.page_with_status(status, "Alerts", page)
}

async fn queue(
    State(app): State<App>,
    ui: Ui,
    Query(p): Query<QueueParams>,
    adv: Advanced,
) -> Result<Response, UiError> {
    render_queue(&app, &ui, &p, &adv, None).await
}

/// Bulk actions on the ticked alerts: read/unread, status, take, delete, merge into a
/// case, promote each to its own case.
async fn bulk(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let ids = form.all("ids");
    let back = form.get("back").and_then(super::error::local_path).unwrap_or("/alerts").to_owned();
    let action = form.get("action").unwrap_or_default().to_owned();
    let result: Result<Response, ApiError> = async {
        if ids.is_empty() {
            return Err(ApiError::BadRequest("Tick at least one alert".into()));
        }
        let c = &ui.caller;
        match action.as_str() {
            "read" | "unread" => alerts::bulk_update(&app, c, &json!({"ids": ids, "read": action == "read"})).await?,
            "take" => alerts::bulk_update(&app, c, &json!({"ids": ids, "assignee": c.login})).await?,
            s if s.starts_with("assign:") => {
                alerts::bulk_update(&app, c, &json!({"ids": ids, "assignee": &s["assign:".len()..]})).await?
            }
            "delete" => alerts::bulk_delete(&app, c, &json!({"ids": ids})).await?,
            "merge" => {
                let case = form.require("case")?.trim_start_matches('#').to_owned();
                let v = merge::bulk_merge(&app, c, &json!({"caseId": case, "alertIds": ids})).await?;
                return Ok(done(&format!("/cases/{}", v.case.number), "saved"));
            }
            "promote" => {
                for id in &ids {
                    merge::promote(&app, c, id, &json!({})).await?;
                }
            }
            s if s.starts_with("status:") => {
                alerts::bulk_update(&app, c, &json!({"ids": ids, "status": &s["status:".len()..]})).await?
            }
            _ => return Err(ApiError::BadRequest("Choose an action".into())),
        }
        Ok(done(&back, "saved"))
    }
    .await;
    or_show_again(result, |msg| async move {
        let path_query = back.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let p: QueueParams = serde_urlencoded_params(path_query);
        render_queue(&app, &ui, &p, &Advanced::parse(path_query), Some(&msg)).await
    })
    .await
}

/// Reads queue filters back from a query string (to show the same queue with an error).
fn serde_urlencoded_params(q: &str) -> QueueParams {
    let mut p = QueueParams::default();
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        let v = Some(v.into_owned());
        match k.as_ref() {
            "status" => p.status = v,
            "severity" => p.severity = v,
            "source" => p.source = v,
            "type" => p.alert_type = v,
            "tag" => p.tag = v,
            "q" => p.q = v,
            "from" => p.from = v,
            "to" => p.to = v,
            "unread" => p.unread = v,
            "sort" => p.sort = v,
            "page" => p.page = v.and_then(|s| s.parse().ok()),
            _ => {}
        }
    }
    p
}

// ---------------------------------------------------------------- one alert

#[derive(Template)]
#[template(path = "ui/alert.html")]
struct AlertPage<'a> {
    ctx: &'a Ctx,
    a: &'a AlertView,
    observables: &'a [ObservableRow],
    similar: &'a [SimilarCaseView],
    templates: &'a [CaseTemplateView],
    statuses: &'a [&'a str],
    comments: &'a [AlertComment],
    tab: &'a str,
    /// Custom field definitions not set on the alert yet (to add one).
    unset_fields: &'a [CustomField],
    error: Option<&'a str>,
}

pub async fn render_alert(app: &App, ui: &Ui, id: &str, error: Option<&str>) -> Result<Response, UiError> {
    let a = alerts::get(app, &ui.caller, id).await?;
    let rid = crate::ids::render_id(a.alert.id);
    let observables = observable_rows(app, ui, ParentRef::Alert(&rid)).await?;
    let similar = merge::similar_cases(app, &ui.caller, &rid).await?;
    let templates = case_templates::list(app, &ui.caller).await?;
    let comments = alerts::comments(app, &ui.caller, &rid).await?;
    let unset_fields: Vec<CustomField> = crate::service::custom_fields::list(app)
        .await?
        .into_iter()
        .filter(|d| !a.custom_fields.iter().any(|v| v.field_id == d.id))
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Alert {}", a.alert.title);
    let page = AlertPage {
        ctx: &ui.ctx,
        a: &a,
        observables: &observables,
        similar: &similar,
        templates: &templates,
        statuses: STATUSES,
        comments: &comments,
        tab: "summary",
        unset_fields: &unset_fields,
        error,
    };
    ui.page_with_status(status, &title, page)
}

/// Opening an alert marks it read, as TheHive's alert preview does.
async fn show(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let a = alerts::get(&app, &ui.caller, &id).await?;
    if !a.alert.read && ui.caller.has(crate::auth::perm::MANAGE_ALERT) {
        alerts::set_flag(&app, &ui.caller, &id, "read", true).await?;
    }
    render_alert(&app, &ui, &id, None).await
}

async fn outcome(app: &App, ui: &Ui, id: &str, result: Result<Response, ApiError>) -> Result<Response, UiError> {
    or_show_again(result, |msg| async move { render_alert(app, ui, id, Some(&msg)).await }).await
}

/// Status, read/unread, assignee: each button sends what it changes.
async fn update(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let mut body = form.json(&["status"]);
    if let Some(r) = form.get("read") {
        body["read"] = json!(r == "true");
    }
    if form.checked("take") {
        body["assignee"] = json!(ui.caller.login);
    }
    let to = format!("/alerts/{id}");
    let result = alerts::update(&app, &ui.caller, &id, &body).await.map(|()| done(&to, "saved"));
    outcome(&app, &ui, &id, result).await
}

/// Creates a case from the alert (optionally from a template) and opens it.
async fn promote(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let body = form.json(&["caseTemplate"]);
    let result = merge::promote(&app, &ui.caller, &id, &body)
        .await
        .map(|c| done(&format!("/cases/{}", c.case.number), "created"));
    outcome(&app, &ui, &id, result).await
}

/// Merges the alert into an existing case (a similar case, or one typed by number).
async fn merge_into_case(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let result = match form.get("case") {
        Some(case) => {
            let case = case.trim_start_matches('#').to_owned();
            merge::merge(&app, &ui.caller, &id, &case)
                .await
                .map(|c| done(&format!("/cases/{}", c.case.number), "saved"))
        }
        None => Err(ApiError::missing("case")),
    };
    outcome(&app, &ui, &id, result).await
}

async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let result = alerts::delete(&app, &ui.caller, &id).await.map(|()| done("/alerts", "deleted"));
    outcome(&app, &ui, &id, result).await
}

/// A comment on the alert (Markdown), kept when the alert becomes a case.
async fn add_comment(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let body = form.json(&["message"]);
    let to = format!("/alerts/{id}");
    let result = alerts::add_comment(&app, &ui.caller, &id, &body).await.map(|_| done(&to, "created"));
    outcome(&app, &ui, &id, result).await
}
