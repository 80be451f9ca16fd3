//! Tasks: my tasks, and a task's page with its logs (Markdown, with attachments: the log
//! form is multipart, its CSRF token in the action's query string), status and assignee.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::error::UiError;
use super::filter_builder::{Advanced, ListChrome, TASK_FIELDS};
use super::form::UiForm;
use super::item_sharing::{self, Item, ItemSharing};
use super::listing::{self, Slice};
use super::page::{Ctx, Ui, done, or_show_again};
use crate::app::App;
use crate::error::ApiError;
use crate::http::multipart::Input;
use crate::service::cases::{self, CaseView};
use crate::service::logs::{self, LogView};
use crate::service::{tasks, users};
use crate::storage::tasks::Task;

pub fn router() -> Router<App> {
    Router::new()
        .route("/tasks", get(my_tasks))
        .route("/tasks/{id}", get(show).post(update))
        .route("/tasks/{id}/logs", post(add_log))
        .route("/tasks/{id}/logs/{log}/files/{sha256}", get(download_log_file))
        .layer(axum::extract::DefaultBodyLimit::max(crate::http::multipart::MAX_UPLOAD))
}

/// A task with the case it belongs to.
pub struct TaskRow {
    pub t: Task,
    pub case_number: i64,
    pub case_title: String,
}

#[derive(Template)]
#[template(path = "ui/my_tasks.html")]
struct MyTasks<'a> {
    mine: &'a [TaskRow],
    mine_total: i64,
    waiting: &'a [TaskRow],
    waiting_total: i64,
    /// The builder's rows narrow both task tables.
    lf: ListChrome<'a>,
    error: Option<&'a str>,
    /// Open cases assigned to me (the first page; the case list's "My open cases" has all).
    my_cases: &'a [CaseView],
    my_cases_total: i64,
}

async fn rows(app: &App, ui: &Ui, list: Vec<Task>) -> Result<Vec<TaskRow>, ApiError> {
    let mut out = Vec::with_capacity(list.len());
    let mut cache: std::collections::HashMap<i64, (i64, String)> = Default::default();
    for t in list {
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(t.case_id) {
            let c = cases::get(app, &ui.caller, &crate::ids::render_id(t.case_id)).await?;
            slot.insert((c.case.number, c.case.title));
        }
        let (case_number, case_title) = cache.get(&t.case_id).cloned().unwrap_or_default();
        out.push(TaskRow { t, case_number, case_title });
    }
    Ok(out)
}

/// Rows of one task table at most (the builder narrows a longer list).
const TASK_TABLE_SIZE: i64 = 200;

/// One task table: the tasks matching `filters` and the builder's rows, oldest first.
async fn task_table(
    app: &App,
    ui: &Ui,
    mut filters: Vec<Value>,
    adv: &Advanced,
) -> Result<(Slice, Vec<Task>), ApiError> {
    // A refused row is reported once, by the page; here the rows are left out.
    let _ = adv.apply(TASK_FIELDS, &mut filters);
    let head = vec![json!({"_name": "listTask"})];
    let mut slice =
        listing::run_sized(app, &ui.caller, head, filters, ("_createdAt", "asc"), (1, TASK_TABLE_SIZE)).await?;
    let tasks = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            crate::service::query::EntityView::Task(t) => Some(*t),
            _ => None,
        })
        .collect();
    Ok((slice, tasks))
}

/// "My work": open tasks assigned to me, and unassigned waiting tasks of my organisation,
/// both narrowed by the advanced filter.
async fn my_tasks(State(app): State<App>, ui: Ui, adv: Advanced) -> Result<Response, UiError> {
    let me = ui.caller.login.as_str();
    let open = json!({"_or": [listing::eq("status", "Waiting"), listing::eq("status", "InProgress")]});
    let (mine_slice, mine) = task_table(&app, &ui, vec![listing::eq("assignee", me), open], &adv).await?;
    let unassigned = json!({"_not": {"_contains": "assignee"}});
    let (waiting_slice, waiting) =
        task_table(&app, &ui, vec![listing::eq("status", "Waiting"), unassigned], &adv).await?;
    let refused = adv.filters(TASK_FIELDS).err().map(|e| e.to_string());
    let mine = rows(&app, &ui, mine).await?;
    let waiting = rows(&app, &ui, waiting).await?;
    let filters = vec![
        super::listing::eq("assignee", ui.caller.login.as_str()),
        json!({"_not": super::listing::eq("stage", cases::status::STAGE_CLOSED)}),
    ];
    let mut slice = super::listing::run(&app, &ui.caller, "listCase", filters, ("severity", "desc"), 1).await?;
    let my_cases: Vec<CaseView> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            crate::service::query::EntityView::Case(c) => Some(*c),
            _ => None,
        })
        .collect();
    let page = MyTasks {
        mine: &mine,
        mine_total: mine_slice.total,
        waiting: &waiting,
        waiting_total: waiting_slice.total,
        lf: ListChrome { path: "/tasks", keep: Vec::new(), adv: &adv, fields: TASK_FIELDS, slice: None },
        error: refused.as_deref(),
        my_cases: &my_cases,
        my_cases_total: slice.total,
    };
    let status = if refused.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    ui.page_with_status(status, "My tasks", page)
}

#[derive(Template)]
#[template(path = "ui/task.html")]
struct TaskPage<'a> {
    ctx: &'a Ctx,
    t: &'a Task,
    c: &'a CaseView,
    logs: &'a [LogView],
    members: &'a [String],
    can_edit: bool,
    sharing: Option<ItemSharing>,
    error: Option<&'a str>,
}

pub async fn render_task(app: &App, ui: &Ui, id: &str, error: Option<&str>) -> Result<Response, UiError> {
    let t = tasks::get(app, &ui.caller, id).await?;
    let c = cases::get(app, &ui.caller, &crate::ids::render_id(t.case_id)).await?;
    let mut logs = logs::list_for_task(app, &ui.caller, id).await?;
    logs.retain(|l| !l.log.deleted);
    logs.sort_by_key(|l| l.log.date);
    let members: Vec<String> = users::list(app, &ui.caller, None)
        .await?
        .into_iter()
        .filter(|u| !u.user.locked)
        .map(|u| u.user.login)
        .collect();
    let can_edit = c.user_permissions.iter().any(|p| p == crate::auth::perm::MANAGE_TASK);
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Task {}", t.title);
    let sharing = item_sharing::section(app, ui, &c, Item::Task(id)).await?;
    let page = TaskPage { ctx: &ui.ctx, t: &t, c: &c, logs: &logs, members: &members, can_edit, sharing, error };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    render_task(&app, &ui, &id, None).await
}

async fn outcome(app: &App, ui: &Ui, id: &str, result: Result<(), ApiError>, code: &str) -> Result<Response, UiError> {
    let to = format!("/tasks/{id}");
    or_show_again(result.map(|()| done(&to, code)), |msg| async move { render_task(app, ui, id, Some(&msg)).await })
        .await
}

/// Start, close, reopen, take, assign: each button sends the fields it changes.
async fn update(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let mut body = form.json(&["status", "title", "group"]);
    if form.checked("take") {
        body["assignee"] = json!(ui.caller.login);
    } else if form.0.iter().any(|(k, _)| k == "assignee") {
        body["assignee"] = form.get("assignee").map(|a| json!(a)).unwrap_or(serde_json::Value::Null);
    }
    let result = tasks::update(&app, &ui.caller, &id, &body).await;
    outcome(&app, &ui, &id, result, "saved").await
}

async fn add_log(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    input: Result<Input, ApiError>,
) -> Result<Response, UiError> {
    let result = match input.map(super::case_tabs::files::chosen) {
        Ok((form, files)) => {
            let message = form.get("message").and_then(serde_json::Value::as_str).map(str::trim).unwrap_or_default();
            let body = if message.is_empty() { json!({}) } else { json!({ "message": message }) };
            logs::create(&app, &ui.caller, &id, &body, &files).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    outcome(&app, &ui, &id, result, "created").await
}

/// A file of one of the task's logs (the log must be the task's, the task visible).
async fn download_log_file(
    State(app): State<App>,
    ui: Ui,
    Path((id, log, sha256)): Path<(String, String, String)>,
) -> Result<Response, UiError> {
    let logs = logs::list_for_task(&app, &ui.caller, &id).await?;
    let log_id = crate::ids::parse_id(&log).ok_or_else(|| ApiError::not_found("Log"))?;
    let file = logs
        .iter()
        .filter(|l| l.log.id == log_id && !l.log.deleted)
        .flat_map(|l| l.attachments.iter())
        .find(|f| f.blob.sha256 == sha256)
        .ok_or_else(|| ApiError::not_found("Attachment"))?;
    let d = crate::service::attachments::download(&app, &ui.caller, &sha256, Some(&file.name)).await?;
    Ok(crate::http::v1::download::file(d))
}
