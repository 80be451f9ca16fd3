//! Task logs (spec §1.5): markdown entries on a task, with optional attachments (multipart
//! file parts `attachment` (4.x) or `attachments` (5.x), stored content-addressed). Writes
//! need `manageTask` on the task's case.

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::cases;
use super::input::{Patch, opt_date, patch_date};
use super::{object, opt_bool, opt_str, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::service::attachments::Upload;
use crate::storage::Tx;
use crate::storage::attachments::{self, Owner, Usage};
use crate::storage::logs::{self, Log};
use crate::storage::tasks::{self, Task};

/// A log with its attachments, for rendering.
#[derive(Debug, Clone)]
pub struct LogView {
    pub log: Log,
    pub attachments: Vec<Usage>,
}

/// A log with its attachments (also used by the query service to hydrate results).
pub(crate) async fn view(tx: &mut Tx, log: Log) -> Result<LogView, ApiError> {
    let attachments = attachments::usages(tx, Owner::Log(log.id)).await?;
    Ok(LogView { log, attachments })
}

/// Stores uploaded files as attachments of a log, each with its audit row.
async fn attach(
    tx: &mut Tx,
    caller: &Caller,
    log_id: i64,
    case_id: i64,
    files: &[Upload],
    now: i64,
) -> Result<(), ApiError> {
    for f in files {
        let blob = f.store(tx, &caller.login, now).await?;
        let id =
            attachments::add_usage(tx, blob.id, &f.filename, &f.content_type, Owner::Log(log_id), &caller.login, now)
                .await?;
        record(
            tx,
            caller,
            Action {
                operation: "create",
                object_type: "Attachment",
                object_id: id,
                root: Some(("Case", case_id)),
                details: json!({"name": f.filename, "id": f.sha256, "size": f.bytes.len(), "log": crate::ids::render_id(log_id)}),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

async fn task_for_write(tx: &mut Tx, caller: &Caller, task: Task, action: &str) -> Result<Task, ApiError> {
    let case = cases::find(tx, caller, &crate::ids::render_id(task.case_id)).await?;
    cases::require_on_case(tx, caller, case, perm::MANAGE_TASK, action).await?;
    Ok(task)
}

async fn log_for_write(tx: &mut Tx, caller: &Caller, id: &str, action: &str) -> Result<(Log, Task), ApiError> {
    let log = logs::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Log"))?;
    let task = tasks::find(tx, &caller.scope(), &crate::ids::render_id(log.task_id))
        .await?
        .ok_or_else(|| ApiError::not_found("Log"))?;
    let task = task_for_write(tx, caller, task, action).await?;
    Ok((log, task))
}

/// `POST /task/{taskId}/log` `{message, includeInTimeline?, startDate? (ignored)}` and its
/// files, in one transaction.
pub async fn create(
    app: &App,
    caller: &Caller,
    task_id: &str,
    body: &Value,
    files: &[Upload],
) -> Result<LogView, ApiError> {
    object(body)?;
    let message = req_str(body, "message")?;
    let include = opt_date(body, "includeInTimeline")?;
    opt_date(body, "startDate")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let task = tasks::find(&mut tx, &caller.scope(), task_id).await?.ok_or_else(|| ApiError::not_found("Task"))?;
    let task = task_for_write(&mut tx, caller, task, "create log").await?;
    let id = logs::insert(&mut tx, task.id, &message, include, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "create",
            object_type: "Log",
            object_id: id,
            root: Some(("Case", task.case_id)),
            details: json!({"message": message, "task": crate::ids::render_id(task.id)}),
        },
        now,
    )
    .await?;
    attach(&mut tx, caller, id, task.case_id, files, now).await?;
    cases::touch(&mut tx, caller, task.case_id, now).await?;
    let log = logs::find(&mut tx, &caller.scope(), &crate::ids::render_id(id))
        .await?
        .ok_or_else(|| ApiError::Internal("log vanished".into()))?;
    let v = view(&mut tx, log).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<LogView, ApiError> {
    let mut tx = app.store.read().await?;
    let log = logs::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Log"))?;
    view(&mut tx, log).await
}

/// The logs of a visible task, oldest first.
pub async fn list_for_task(app: &App, caller: &Caller, task_id: &str) -> Result<Vec<LogView>, ApiError> {
    let mut tx = app.store.read().await?;
    let task = tasks::find(&mut tx, &caller.scope(), task_id).await?.ok_or_else(|| ApiError::not_found("Task"))?;
    let mut out = Vec::new();
    for log in logs::list_for_task(&mut tx, &caller.scope(), task.id).await? {
        out.push(view(&mut tx, log).await?);
    }
    Ok(out)
}

/// `POST /log/{id}/attachments`: adds files to a log; returns the log's attachments.
pub async fn add_attachments(app: &App, caller: &Caller, id: &str, files: &[Upload]) -> Result<Vec<Usage>, ApiError> {
    if files.is_empty() {
        return Err(ApiError::missing("attachments"));
    }
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (log, task) = log_for_write(&mut tx, caller, id, "update log").await?;
    attach(&mut tx, caller, log.id, task.case_id, files, now).await?;
    cases::touch(&mut tx, caller, task.case_id, now).await?;
    let all = attachments::usages(&mut tx, Owner::Log(log.id)).await?;
    tx.commit().await?;
    Ok(all)
}

/// `DELETE /log/{id}/attachments/{attId}` (content id or `~usage id`).
pub async fn delete_attachment(app: &App, caller: &Caller, id: &str, att: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (log, task) = log_for_write(&mut tx, caller, id, "update log").await?;
    let u = attachments::find_usage(&mut tx, Owner::Log(log.id), att)
        .await?
        .ok_or_else(|| ApiError::not_found("Attachment"))?;
    attachments::delete_usage(&mut tx, u.id).await?;
    attachments::collect_garbage(&mut tx, &[u.blob.id]).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Attachment",
            object_id: u.id,
            root: Some(("Case", task.case_id)),
            details: json!({"name": u.name, "id": u.blob.sha256, "log": crate::ids::render_id(log.id)}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `PATCH /log/{id}` `{message?, includeInTimeline?, deleted? (TheHive 4)}`.
pub async fn update(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    object(body)?;
    let message = match opt_str(body, "message")? {
        Some(m) if m.trim().is_empty() => return Err(ApiError::invalid("message", "non-empty string", &json!(m))),
        m => m,
    };
    let include = match patch_date(body, "includeInTimeline")? {
        Patch::Absent => None,
        Patch::Clear => Some(None),
        Patch::Set(d) => Some(Some(d)),
    };
    let deleted = opt_bool(body, "deleted")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (log, task) = log_for_write(&mut tx, caller, id, "update log").await?;
    logs::update(&mut tx, log.id, message.as_deref(), include, deleted, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Log",
            object_id: log.id,
            root: Some(("Case", task.case_id)),
            details: body.clone(),
        },
        now,
    )
    .await?;
    cases::touch(&mut tx, caller, task.case_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /log/{id}`.
pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (log, task) = log_for_write(&mut tx, caller, id, "delete log").await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Log",
            object_id: log.id,
            root: Some(("Case", task.case_id)),
            details: json!({"task": crate::ids::render_id(task.id)}),
        },
        now,
    )
    .await?;
    logs::delete(&mut tx, log.id).await?;
    cases::touch(&mut tx, caller, task.case_id, now).await?;
    tx.commit().await?;
    Ok(())
}
