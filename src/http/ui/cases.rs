//! Cases: the list, creating one (from scratch or a template), and the case page with its
//! summary, editing, tasks, observables (with "seen in N other cases"), comments and
//! timeline. Every read and write is a service call; visibility is the service's.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::UiError;
use super::filter_builder::{Advanced, CASE_FIELDS, FieldDef};
use super::form::UiForm;
use super::listing::{self, Slice};
use super::page::{Ctx, Ui, done, or_show_again};
use crate::app::App;
use crate::error::ApiError;
use crate::service::case_templates::{self, CaseTemplateView};
use crate::service::cases::{self, CaseView, status};
use crate::service::observables::{self, ParentRef};
use crate::service::query::EntityView;
use crate::service::{comments, observable_types, tasks, users};
use crate::storage::audit::AuditEntry;
use crate::storage::comments::Comment;
use crate::storage::custom_fields::CustomField;
use crate::storage::observables::Observable;
use crate::storage::tasks::Task;

pub fn router() -> Router<App> {
    Router::new()
        .route("/cases", get(list).post(create))
        .route("/cases/bulk", post(bulk))
        .route("/cases/new", get(new_case))
        .route("/cases/{number}", get(show).post(update))
        .route("/cases/{number}/tasks", post(add_task))
        .route("/cases/{number}/observables", post(add_observables))
        .route("/cases/{number}/comments", post(add_comment))
        .route("/observables/{id}", get(show_observable).post(update_observable))
}

/// Severity, TLP and PAP choices for selects: (value, label).
pub const SEVERITIES: &[(i64, &str)] = &[(1, "LOW"), (2, "MEDIUM"), (3, "HIGH"), (4, "CRITICAL")];
pub const TLPS: &[(i64, &str)] = &[(0, "CLEAR"), (1, "GREEN"), (2, "AMBER"), (3, "AMBER+STRICT"), (4, "RED")];
pub const PAPS: &[(i64, &str)] = &[(0, "CLEAR"), (1, "GREEN"), (2, "AMBER"), (3, "RED")];

/// Tags typed as `a, b, c`.
pub fn tags(form: &UiForm, name: &str) -> Value {
    json!(form.value(name).split(',').map(str::trim).filter(|t| !t.is_empty()).collect::<Vec<_>>())
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, Default)]
struct ListParams {
    /// Quick filter: `mine`, `open`, `flagged` (or nothing: all).
    quick: Option<String>,
    status: Option<String>,
    severity: Option<String>,
    tag: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
}

fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListParams {
    fn filters(&self, me: &str) -> Vec<Value> {
        let mut f = Vec::new();
        let not_closed = json!({"_not": listing::eq("stage", status::STAGE_CLOSED)});
        match filled(&self.quick) {
            Some("mine") => {
                f.push(listing::eq("assignee", me));
                f.push(not_closed);
            }
            Some("open") => f.push(not_closed),
            Some("flagged") => f.push(listing::eq("flag", true)),
            _ => {}
        }
        if let Some(s) = filled(&self.status) {
            f.push(listing::eq("status", s));
        }
        if let Some(s) = filled(&self.severity).and_then(|s| s.parse::<i64>().ok()) {
            f.push(listing::eq("severity", s));
        }
        if let Some(s) = filled(&self.tag) {
            f.push(listing::eq("tags", s));
        }
        if let Some(s) = filled(&self.q) {
            f.push(listing::contains_text("title", s));
        }
        f
    }

    fn sort(&self) -> (&'static str, &'static str) {
        match filled(&self.sort) {
            Some("oldest") => ("number", "asc"),
            Some("severity") => ("severity", "desc"),
            Some("updated") => ("_updatedAt", "desc"),
            _ => ("number", "desc"),
        }
    }

    fn query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("quick", &self.quick),
            ("status", &self.status),
            ("severity", &self.severity),
            ("tag", &self.tag),
            ("q", &self.q),
            ("sort", &self.sort),
        ] {
            if let Some(v) = filled(v) {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }

    fn value(&self, name: &str) -> &str {
        let v = match name {
            "quick" => &self.quick,
            "status" => &self.status,
            "severity" => &self.severity,
            "tag" => &self.tag,
            "q" => &self.q,
            "sort" => &self.sort,
            _ => &None,
        };
        v.as_deref().unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "ui/cases.html")]
struct List<'a> {
    ctx: &'a Ctx,
    cases: &'a [CaseView],
    slice: &'a Slice,
    p: &'a ListParams,
    qs: String,
    statuses: &'a [&'a str],
    severities: &'a [(i64, &'a str)],
    adv: &'a Advanced,
    adv_fields: &'a [FieldDef],
    /// Who the ticked cases may be assigned to.
    members: &'a [String],
    error: Option<&'a str>,
}

/// Logins of the organisation's unlocked users (assignee choices).
pub async fn members(app: &App, ui: &Ui) -> Result<Vec<String>, ApiError> {
    Ok(users::list(app, &ui.caller, None).await?.into_iter().filter(|u| !u.user.locked).map(|u| u.user.login).collect())
}

async fn render_list(
    app: &App,
    ui: &Ui,
    p: &ListParams,
    adv: &Advanced,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let mut filters = p.filters(&ui.caller.login);
    // A row the builder refuses is reported; the list is shown without the builder's rows.
    let adv_error = match adv.filters(CASE_FIELDS) {
        Ok(f) => {
            filters.extend(f);
            None
        }
        Err(e) => Some(e.to_string()),
    };
    let error = error.or(adv_error.as_deref());
    let mut slice = listing::run(app, &ui.caller, "listCase", filters, p.sort(), p.page.unwrap_or(1)).await?;
    let shown: Vec<CaseView> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::Case(c) => Some(*c),
            _ => None,
        })
        .collect();
    let statuses: Vec<&str> = status::BUILTIN.iter().map(|(n, _)| *n).collect();
    let status_code = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let members = members(app, ui).await?;
    let page = List {
        ctx: &ui.ctx,
        cases: &shown,
        slice: &slice,
        p,
        qs: p.query_string() + &adv.query_suffix(),
        statuses: &statuses,
        severities: SEVERITIES,
        adv,
        adv_fields: CASE_FIELDS,
        members: &members,
        error,
    };
    ui.page_with_status(status_code, "Cases", page)
}

async fn list(State(app): State<App>, ui: Ui, Query(p): Query<ListParams>, adv: Advanced) -> Result<Response, UiError> {
    render_list(&app, &ui, &p, &adv, None).await
}

/// Bulk edit from the list: status, severity, assign to me, flag.
async fn bulk(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let ids = form.all("ids");
    let back = form.get("back").and_then(super::error::local_path).unwrap_or("/cases").to_owned();
    let action = form.get("action").unwrap_or_default();
    let change = match action {
        "take" => Some(json!({"assignee": ui.caller.login})),
        s if s.starts_with("assign:") => Some(json!({"assignee": &s["assign:".len()..]})),
        "flag" => Some(json!({"flag": true})),
        "unflag" => Some(json!({"flag": false})),
        s if s.starts_with("status:") => Some(json!({"status": &s["status:".len()..]})),
        s if s.starts_with("severity:") => Some(json!({"severity": &s["severity:".len()..]})),
        _ => None,
    };
    let result = match (ids.is_empty(), change) {
        (true, _) => Err(ApiError::BadRequest("Tick at least one case".into())),
        (_, None) => Err(ApiError::BadRequest("Choose an action".into())),
        (false, Some(mut body)) => {
            body["ids"] = json!(ids);
            cases::bulk_update(&app, &ui.caller, &body).await.map(|()| done(&back, "saved"))
        }
    };
    or_show_again(result, |msg| async move {
        let q = back.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let p: ListParams = serde_json::from_value(Value::Object(
            form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), json!(v))).collect(),
        ))
        .unwrap_or_default();
        render_list(&app, &ui, &p, &Advanced::parse(q), Some(&msg)).await
    })
    .await
}

// ---------------------------------------------------------------- create

#[derive(Template)]
#[template(path = "ui/case_new.html")]
struct NewCase<'a> {
    ctx: &'a Ctx,
    templates: &'a [CaseTemplateView],
    severities: &'a [(i64, &'a str)],
    tlps: &'a [(i64, &'a str)],
    paps: &'a [(i64, &'a str)],
    error: Option<&'a str>,
    values: &'a UiForm,
}

async fn render_new(app: &App, ui: &Ui, error: Option<&str>, values: &UiForm) -> Result<Response, UiError> {
    let templates = case_templates::list(app, &ui.caller).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page =
        NewCase { ctx: &ui.ctx, templates: &templates, severities: SEVERITIES, tlps: TLPS, paps: PAPS, error, values };
    ui.page_with_status(status, "New case", page)
}

async fn new_case(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    render_new(&app, &ui, None, &UiForm::default()).await
}

async fn create(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let mut body = form.json(&["title", "description", "severity", "tlp", "pap", "caseTemplate"]);
    body["tags"] = tags(&form, "tags");
    if body.get("description").is_none() {
        body["description"] = json!("");
    }
    let result =
        cases::create(&app, &ui.caller, &body).await.map(|c| done(&format!("/cases/{}", c.case.number), "created"));
    or_show_again(result, |msg| async move { render_new(&app, &ui, Some(&msg), &form).await }).await
}

// ---------------------------------------------------------------- the case page

/// An observable with how many other cases have seen the same data.
pub struct ObservableRow {
    pub o: Observable,
    pub seen: i64,
}

#[derive(Template)]
#[template(path = "ui/case.html")]
struct CasePage<'a> {
    ctx: &'a Ctx,
    c: &'a CaseView,
    tasks: &'a [Task],
    observables: &'a [ObservableRow],
    comments: &'a [Comment],
    timeline: &'a [AuditEntry],
    members: &'a [String],
    types: &'a [String],
    statuses: &'a [&'a str],
    /// Statuses that close a case (its resolution), and the impact choices.
    closing: &'a [&'a str],
    impacts: &'a [&'a str],
    severities: &'a [(i64, &'a str)],
    tlps: &'a [(i64, &'a str)],
    paps: &'a [(i64, &'a str)],
    can_edit: bool,
    /// Custom field definitions not set on the case yet (to add one).
    unset_fields: &'a [CustomField],
    /// Where and when the case was exported to MISP (shown inline, issue 9).
    misp_exports: &'a [crate::storage::misp::Export],
    error: Option<&'a str>,
}

impl CasePage<'_> {
    fn can(&self, permission: &str) -> bool {
        self.c.user_permissions.iter().any(|p| p == permission)
    }
}

pub async fn observable_rows(app: &App, ui: &Ui, parent: ParentRef<'_>) -> Result<Vec<ObservableRow>, ApiError> {
    let list = observables::list(app, &ui.caller, parent).await?;
    let ids: Vec<i64> = list.iter().map(|o| o.id).collect();
    let stats: HashMap<i64, (i64, bool)> = observables::stats(app, &ui.caller, &ids).await?;
    Ok(list.into_iter().map(|o| ObservableRow { seen: stats.get(&o.id).map(|s| s.0).unwrap_or(0), o }).collect())
}

pub async fn render_case(app: &App, ui: &Ui, number: &str, error: Option<&str>) -> Result<Response, UiError> {
    let c = cases::get(app, &ui.caller, number).await?;
    let number = c.case.number.to_string();
    let tasks = tasks::list_for_case(app, &ui.caller, &number).await?;
    let observables = observable_rows(app, ui, ParentRef::Case(&number)).await?;
    let comments = comments::list_for_case(app, &ui.caller, &number).await?;
    let mut timeline = cases::timeline(app, &ui.caller, &number).await?;
    timeline.sort_by_key(|e| std::cmp::Reverse(e.created_at));
    timeline.truncate(50);
    let members: Vec<String> = users::list(app, &ui.caller, None)
        .await?
        .into_iter()
        .filter(|u| !u.user.locked)
        .map(|u| u.user.login)
        .collect();
    let types: Vec<String> = observable_types::list(app).await?.into_iter().map(|t| t.name).collect();
    let statuses: Vec<&str> = status::BUILTIN.iter().map(|(n, _)| *n).collect();
    let closing: Vec<&str> =
        status::BUILTIN.iter().filter(|(_, stage)| *stage == status::STAGE_CLOSED).map(|(n, _)| *n).collect();
    let status_code = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("#{} {}", c.case.number, c.case.title);
    let can_edit = c.user_permissions.iter().any(|p| p == crate::auth::perm::MANAGE_CASE);
    let unset_fields: Vec<CustomField> = crate::service::custom_fields::list(app)
        .await?
        .into_iter()
        .filter(|d| !c.custom_fields.iter().any(|v| v.field_id == d.id))
        .collect();
    let misp_exports = crate::service::misp::export::exports_of_case(app, &ui.caller, &number).await?;
    let page = CasePage {
        ctx: &ui.ctx,
        c: &c,
        tasks: &tasks,
        observables: &observables,
        comments: &comments,
        timeline: &timeline,
        members: &members,
        types: &types,
        statuses: &statuses,
        closing: &closing,
        impacts: status::IMPACT,
        severities: SEVERITIES,
        tlps: TLPS,
        paps: PAPS,
        can_edit,
        unset_fields: &unset_fields,
        misp_exports: &misp_exports,
        error,
    };
    ui.page_with_status(status_code, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(number): Path<String>) -> Result<Response, UiError> {
    render_case(&app, &ui, &number, None).await
}

/// The end of every form on the case page.
async fn case_outcome(
    app: &App,
    ui: &Ui,
    number: &str,
    result: Result<(), ApiError>,
    code: &str,
) -> Result<Response, UiError> {
    let to = format!("/cases/{number}");
    or_show_again(result.map(|()| done(&to, code)), |msg| async move { render_case(app, ui, number, Some(&msg)).await })
        .await
}

/// Edits the case: the summary form sends every field; closing sends status and summary.
async fn update(State(app): State<App>, ui: Ui, Path(number): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let mut body = form.json(&["title", "severity", "tlp", "pap", "status", "impactStatus"]);
    for (field, nullable) in [("assignee", true), ("summary", true), ("description", false)] {
        if form.0.iter().any(|(k, _)| k == field) {
            body[field] = match form.get(field) {
                Some(v) => json!(v),
                None if nullable => Value::Null,
                None => json!(""),
            };
        }
    }
    if form.0.iter().any(|(k, _)| k == "tags") {
        body["tags"] = tags(&form, "tags");
    }
    if form.checked("flagToggle") {
        let current = cases::get(&app, &ui.caller, &number).await?;
        body["flag"] = json!(!current.case.flag);
    }
    let result = cases::update(&app, &ui.caller, &number, &body).await;
    case_outcome(&app, &ui, &number, result, "saved").await
}

async fn add_task(
    State(app): State<App>,
    ui: Ui,
    Path(number): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let body = form.json(&["title", "group", "description", "assignee"]);
    let result = tasks::create(&app, &ui.caller, Some(&number), &body).await.map(|_| ());
    case_outcome(&app, &ui, &number, result, "created").await
}

/// Adds one observable per line of `data` (TheHive's "add many").
async fn add_observables(
    State(app): State<App>,
    ui: Ui,
    Path(number): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let data: Vec<&str> = form.value("data").lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let body = json!({
        "dataType": form.get("dataType"),
        "data": data,
        "message": form.get("message"),
        "ioc": form.checked("ioc"),
        "sighted": form.checked("sighted"),
        "tags": tags(&form, "tags"),
    });
    let result = observables::create(&app, &ui.caller, ParentRef::Case(&number), &body, &[]).await.and_then(|o| {
        match o.failures.into_iter().next() {
            // Every line that failed is a duplicate or invalid: report the first.
            Some((_, e)) if o.created.is_empty() => Err(e),
            _ => Ok(()),
        }
    });
    case_outcome(&app, &ui, &number, result, "created").await
}

async fn add_comment(
    State(app): State<App>,
    ui: Ui,
    Path(number): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let body = form.json(&["message"]);
    let result = comments::create_in_case(&app, &ui.caller, &number, &body).await.map(|_| ());
    case_outcome(&app, &ui, &number, result, "created").await
}

/// Toggles IOC / sighted on an observable, and goes back where the form was.
async fn update_observable(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let o = observables::get(&app, &ui.caller, &id).await?;
    let mut body = json!({});
    if form.checked("toggleIoc") {
        body["ioc"] = json!(!o.ioc);
    }
    if form.checked("toggleSighted") {
        body["sighted"] = json!(!o.sighted);
    }
    observables::update(&app, &ui.caller, &id, &body).await?;
    let back = form.get("back").and_then(super::error::local_path).unwrap_or("/");
    Ok(done(back, "saved"))
}

#[derive(Template)]
#[template(path = "ui/observable.html")]
struct ObservablePage<'a> {
    ctx: &'a Ctx,
    o: &'a Observable,
    /// Per-observable sharing, for a case's observable and `manageShare`.
    sharing: Option<super::item_sharing::ItemSharing>,
    error: Option<&'a str>,
    /// Where this observable lives: (link, label).
    home: (String, String),
    /// The same data elsewhere, visible to the caller: (link, label, observable).
    elsewhere: Vec<(String, String, &'a Observable)>,
}

/// Link and label of an observable's case or alert (`#12 Title`, `alert Title`).
async fn parent_link(app: &App, ui: &Ui, o: &Observable) -> Result<(String, String), ApiError> {
    use crate::storage::observables::Parent;
    Ok(match o.parent {
        Parent::Case(id) => {
            let c = cases::get(app, &ui.caller, &crate::ids::render_id(id)).await?;
            (format!("/cases/{}", c.case.number), format!("#{} {}", c.case.number, c.case.title))
        }
        Parent::Alert(id) => {
            let a = crate::service::alerts::get(app, &ui.caller, &crate::ids::render_id(id)).await?;
            (format!("/alerts/{}", crate::ids::render_id(id)), format!("Alert: {}", a.alert.title))
        }
    })
}

/// An observable and everywhere else its data was seen (correlation).
async fn show_observable(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    render_observable(&app, &ui, &id, None).await
}

pub async fn render_observable(app: &App, ui: &Ui, id: &str, error: Option<&str>) -> Result<Response, UiError> {
    let o = observables::get(app, &ui.caller, id).await?;
    let similar = observables::similar(app, &ui.caller, id).await?;
    let mut elsewhere = Vec::with_capacity(similar.len());
    for s in &similar {
        let (link, label) = parent_link(app, ui, s).await?;
        elsewhere.push((link, label, s));
    }
    let home = parent_link(app, ui, &o).await?;
    let sharing = match o.parent {
        crate::storage::observables::Parent::Case(case_id) => {
            let c = cases::get(app, &ui.caller, &crate::ids::render_id(case_id)).await?;
            super::item_sharing::section(app, ui, &c, super::item_sharing::Item::Observable(id)).await?
        }
        crate::storage::observables::Parent::Alert(_) => None,
    };
    let title = format!("Observable {}", o.data.as_deref().unwrap_or(&o.data_type));
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    ui.page_with_status(status, &title, ObservablePage { ctx: &ui.ctx, home, o: &o, sharing, error, elsewhere })
}
