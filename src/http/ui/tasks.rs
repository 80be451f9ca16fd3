//! Tasks: my tasks, and a task's page with its logs (Markdown), status and assignee.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::error::UiError;
use super::form::UiForm;
use super::page::{Ctx, Ui, done, or_show_again};
use crate::app::App;
use crate::error::ApiError;
use crate::service::cases::{self, CaseView};
use crate::service::logs::{self, LogView};
use crate::service::{tasks, users};
use crate::storage::tasks::Task;

pub fn router() -> Router<App> {
    Router::new()
        .route("/tasks", get(my_tasks))
        .route("/tasks/{id}", get(show).post(update))
        .route("/tasks/{id}/logs", post(add_log))
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
    waiting: &'a [TaskRow],
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

/// "My work": open tasks assigned to me, and unassigned waiting tasks of my organisation.
async fn my_tasks(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    let all = tasks::list(&app, &ui.caller).await?;
    let open = |t: &Task| matches!(t.status.as_str(), "Waiting" | "InProgress");
    let (mine, waiting): (Vec<Task>, Vec<Task>) = all
        .into_iter()
        .filter(|t| open(t) && (t.assignee.as_deref() == Some(ui.caller.login.as_str()) || t.assignee.is_none()))
        .partition(|t| t.assignee.is_some());
    let waiting: Vec<Task> = waiting.into_iter().filter(|t| t.status == "Waiting").collect();
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
    let page = MyTasks { mine: &mine, waiting: &waiting, my_cases: &my_cases, my_cases_total: slice.total };
    ui.page("My tasks", page)
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
    error: Option<&'a str>,
}

async fn render_task(app: &App, ui: &Ui, id: &str, error: Option<&str>) -> Result<Response, UiError> {
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
    let page = TaskPage { ctx: &ui.ctx, t: &t, c: &c, logs: &logs, members: &members, can_edit, error };
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

async fn add_log(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let body = form.json(&["message"]);
    let result = logs::create(&app, &ui.caller, &id, &body, &[]).await.map(|_| ());
    outcome(&app, &ui, &id, result, "created").await
}
