//! Tasks of cases (spec §1.4): create on a case, read, update (with TheHive's status side
//! effects), bulk update, delete, and the per-organisation "action required" flag.

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::cases::{self, CaseAccess};
use super::input::{Patch, bulk_ids, opt_date, opt_enum, opt_i64, patch_date, patch_str};
use super::{object, opt_bool, opt_str, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::Tx;
use crate::storage::tasks::{self, NewTask, Task, TaskUpdate};

pub const STATUSES: &[&str] = &["Waiting", "InProgress", "Completed", "Cancel"];

/// Reads a task input (a request body, an element of a case's or template's `tasks`).
/// The assignee is checked against the case's organisation by `insert_for_case`.
pub fn parse_new(v: &Value) -> Result<NewTask, ApiError> {
    object(v)?;
    let assignee = match opt_str(v, "assignee")? {
        Some(a) => Some(a),
        None => opt_str(v, "owner")?,
    };
    Ok(NewTask {
        title: req_str(v, "title")?,
        group: opt_str(v, "group")?.filter(|g| !g.trim().is_empty()).unwrap_or_else(|| "default".into()),
        description: opt_str(v, "description")?,
        status: opt_enum(v, "status", STATUSES)?.unwrap_or_else(|| "Waiting".into()),
        flag: opt_bool(v, "flag")?.unwrap_or(false),
        start_date: opt_date(v, "startDate")?,
        end_date: opt_date(v, "endDate")?,
        due_date: opt_date(v, "dueDate")?,
        assignee: assignee.filter(|a| !a.trim().is_empty()).map(|a| crate::auth::caller::normalise_login(&a)),
        order: opt_i64(v, "order")?.unwrap_or(0),
        mandatory: opt_bool(v, "mandatory")?.unwrap_or(false),
    })
}

/// Checks that `login` may be assigned work on a case of organisation `org_id`.
pub(crate) async fn check_assignee(tx: &mut Tx, org_id: i64, login: &str, field: &str) -> Result<(), ApiError> {
    if crate::storage::cases::is_member(tx, org_id, login).await? {
        Ok(())
    } else {
        Err(ApiError::invalid(field, "login of a user of the organisation", &json!(login)))
    }
}

/// Inserts a task into a case the caller may write, applying the status side effects, and
/// records it on the case's timeline. Returns the task id.
pub(crate) async fn insert_for_case(
    tx: &mut Tx,
    caller: &Caller,
    case_id: i64,
    organisation_id: i64,
    task: &NewTask,
    now: i64,
) -> Result<i64, ApiError> {
    let mut t = task.clone();
    if let Some(a) = &t.assignee {
        check_assignee(tx, organisation_id, a, "assignee").await?;
    }
    match t.status.as_str() {
        "InProgress" => {
            t.start_date = t.start_date.or(Some(now));
        }
        "Completed" | "Cancel" => {
            t.end_date = t.end_date.or(Some(now));
        }
        _ => {}
    }
    let id = tasks::insert(tx, case_id, &t, &caller.login, now).await?;
    super::sharing::on_new_task(tx, caller, case_id, id).await?;
    let details = json!({"title": t.title, "group": t.group, "status": t.status});
    record(
        tx,
        caller,
        Action { operation: "create", object_type: "Task", object_id: id, root: Some(("Case", case_id)), details },
        now,
    )
    .await?;
    Ok(id)
}

/// Loads a visible task and checks `permission` on its case.
async fn task_for_write(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    permission: &str,
    action: &str,
) -> Result<(Task, CaseAccess), ApiError> {
    let task = tasks::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Task"))?;
    let case = cases::find(tx, caller, &crate::ids::render_id(task.case_id)).await?;
    let access = cases::require_on_case(tx, caller, case, permission, action).await?;
    Ok((task, access))
}

/// `POST /case/{caseId}/task`, and TheHive 4's `POST /task` with `caseId` in the body.
pub async fn create(
    app: &App,
    caller: &Caller,
    case_id_or_number: Option<&str>,
    body: &Value,
) -> Result<Task, ApiError> {
    let task = parse_new(body)?;
    let case_ref = match case_id_or_number {
        Some(c) => c.to_owned(),
        None => req_str(body, "caseId")?,
    };
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let access = cases::find_for_write(&mut tx, caller, &case_ref, perm::MANAGE_TASK, "create task").await?;
    let id = insert_for_case(&mut tx, caller, access.case.id, access.case.organisation_id, &task, now).await?;
    cases::touch(&mut tx, caller, access.case.id, now).await?;
    let t = tasks::find(&mut tx, &caller.scope(), &crate::ids::render_id(id))
        .await?
        .ok_or_else(|| ApiError::Internal("task vanished".into()))?;
    tx.commit().await?;
    Ok(t)
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Task, ApiError> {
    let mut tx = app.store.read().await?;
    tasks::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Task"))
}

/// The visible tasks of a case.
pub async fn list_for_case(app: &App, caller: &Caller, case_id_or_number: &str) -> Result<Vec<Task>, ApiError> {
    let mut tx = app.store.read().await?;
    let case = cases::find(&mut tx, caller, case_id_or_number).await?;
    Ok(tasks::list_for_case(&mut tx, &caller.scope(), case.id).await?)
}

/// `GET /task`: every visible task (newest first, capped).
pub async fn list(app: &App, caller: &Caller) -> Result<Vec<Task>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(tasks::list(&mut tx, &caller.scope(), 1000).await?)
}

/// Reads a task PATCH, validating everything before any write.
async fn read_update(
    tx: &mut Tx,
    caller: &Caller,
    task: &Task,
    org_id: i64,
    body: &Value,
    now: i64,
) -> Result<TaskUpdate, ApiError> {
    object(body)?;
    let mut u = TaskUpdate {
        title: match opt_str(body, "title")? {
            Some(t) if t.trim().is_empty() => return Err(ApiError::invalid("title", "non-empty string", &json!(t))),
            t => t,
        },
        group: opt_str(body, "group")?.filter(|g| !g.trim().is_empty()),
        description: patch_str(body, "description", false)?.into_update(),
        status: opt_enum(body, "status", STATUSES)?,
        flag: opt_bool(body, "flag")?,
        start_date: patch_date(body, "startDate")?.into_update(),
        end_date: patch_date(body, "endDate")?.into_update(),
        due_date: patch_date(body, "dueDate")?.into_update(),
        order: opt_i64(body, "order")?,
        mandatory: opt_bool(body, "mandatory")?,
        assignee: None,
    };
    let assignee = match patch_str(body, "assignee", true)? {
        Patch::Absent => patch_str(body, "owner", true)?,
        p => p,
    };
    u.assignee = match assignee {
        Patch::Set(a) => {
            let login = crate::auth::caller::normalise_login(&a);
            check_assignee(tx, org_id, &login, "assignee").await?;
            Some(Some(login))
        }
        p => p.into_update(),
    };
    // Status side effects (spec §1.4): starting sets the start date and takes the task if
    // nobody has it; finishing sets the end date.
    match u.status.as_deref() {
        Some("InProgress") if task.status != "InProgress" => {
            if task.start_date.is_none() && u.start_date.is_none() {
                u.start_date = Some(Some(now));
            }
            if task.assignee.is_none() && u.assignee.is_none() {
                u.assignee = Some(Some(caller.login.clone()));
            }
        }
        Some("Completed" | "Cancel") if task.end_date.is_none() && u.end_date.is_none() => {
            u.end_date = Some(Some(now));
        }
        _ => {}
    }
    Ok(u)
}

async fn apply_update(
    tx: &mut Tx,
    caller: &Caller,
    task: &Task,
    access: &CaseAccess,
    body: &Value,
    now: i64,
) -> Result<(), ApiError> {
    let u = read_update(tx, caller, task, access.case.organisation_id, body, now).await?;
    tasks::update(tx, task.id, &u, &caller.login, now).await?;
    let mut details = body.clone();
    if let Some(m) = details.as_object_mut() {
        m.remove("ids");
    }
    record(
        tx,
        caller,
        Action {
            operation: "update",
            object_type: "Task",
            object_id: task.id,
            root: Some(("Case", task.case_id)),
            details,
        },
        now,
    )
    .await?;
    cases::touch(tx, caller, task.case_id, now).await
}

/// `PATCH /task/{id}`.
pub async fn update(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (task, access) = task_for_write(&mut tx, caller, id, perm::MANAGE_TASK, "update task").await?;
    apply_update(&mut tx, caller, &task, &access, body, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `PATCH /task/_bulk` `{ids, …fields}`: all or nothing.
pub async fn bulk_update(app: &App, caller: &Caller, body: &Value) -> Result<(), ApiError> {
    object(body)?;
    let ids = bulk_ids(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    for id in &ids {
        let (task, access) = task_for_write(&mut tx, caller, id, perm::MANAGE_TASK, "update task").await?;
        apply_update(&mut tx, caller, &task, &access, body, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `DELETE /task/{id}` (TheHive 5): the task and its logs.
pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (task, _) = task_for_write(&mut tx, caller, id, perm::MANAGE_TASK, "delete task").await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Task",
            object_id: task.id,
            root: Some(("Case", task.case_id)),
            details: json!({"title": task.title}),
        },
        now,
    )
    .await?;
    tasks::delete(&mut tx, task.id).await?;
    cases::touch(&mut tx, caller, task.case_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `GET /task/{id}/actionRequired`: `{organisation: flag}` for each organisation sharing
/// the case.
pub async fn action_required(app: &App, caller: &Caller, id: &str) -> Result<Vec<(String, bool)>, ApiError> {
    let mut tx = app.store.read().await?;
    let task = tasks::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Task"))?;
    Ok(tasks::action_required(&mut tx, &caller.scope(), task.id, task.case_id).await?)
}

/// `PUT /task/{id}/actionRequired/{org}` and `…/actionDone/{org}`.
pub async fn set_action_required(
    app: &App,
    caller: &Caller,
    id: &str,
    org: &str,
    required: bool,
) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (task, _) = task_for_write(&mut tx, caller, id, perm::MANAGE_TASK, "update task").await?;
    let org_id = tasks::sharing_organisation(&mut tx, task.case_id, task.id, org)
        .await?
        .ok_or_else(|| ApiError::not_found("Organisation"))?;
    tasks::set_action_required(&mut tx, task.id, org_id, required).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Task",
            object_id: task.id,
            root: Some(("Case", task.case_id)),
            details: json!({"actionRequired": required, "organisation": org}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
