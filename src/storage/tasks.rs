//! Tasks of cases (spec §1.4) and their per-organisation "action required" flag. A task is
//! visible through its case's share (`visibility::task`).

use super::db::{Row, Tx, Value};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use super::visibility;
use crate::args;

#[derive(Debug, Clone)]
pub struct Task {
    pub id: i64,
    pub case_id: i64,
    pub title: String,
    pub group: String,
    pub description: Option<String>,
    pub status: String,
    pub flag: bool,
    pub start_date: Option<i64>,
    pub end_date: Option<i64>,
    pub due_date: Option<i64>,
    pub assignee: Option<String>,
    pub order: i64,
    pub mandatory: bool,
    pub meta: Meta,
}

fn select() -> String {
    let meta = META_COLUMNS.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT t.id, t.case_id, t.title, t.group_name, t.description, t.status, t.flag, t.start_date, t.end_date, \
         t.due_date, t.assignee, t.position, t.mandatory, {meta} FROM task t"
    )
}

fn from_row(row: &Row) -> Result<Task, StorageError> {
    Ok(Task {
        id: row.get("id")?,
        case_id: row.get("case_id")?,
        title: row.get("title")?,
        group: row.get("group_name")?,
        description: row.get("description")?,
        status: row.get("status")?,
        flag: row.get("flag")?,
        start_date: row.get("start_date")?,
        end_date: row.get("end_date")?,
        due_date: row.get("due_date")?,
        assignee: row.get("assignee")?,
        order: row.get("position")?,
        mandatory: row.get("mandatory")?,
        meta: Meta::from_row(row)?,
    })
}

/// The fields of a new task (also the shape of a case template's task).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub title: String,
    pub group: String,
    pub description: Option<String>,
    pub status: String,
    pub flag: bool,
    pub start_date: Option<i64>,
    pub end_date: Option<i64>,
    pub due_date: Option<i64>,
    pub assignee: Option<String>,
    pub order: i64,
    pub mandatory: bool,
}

pub async fn insert(tx: &mut Tx, case_id: i64, t: &NewTask, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO task (case_id, title, group_name, description, status, flag, start_date, end_date, due_date, \
         assignee, position, mandatory, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        args![
            case_id,
            t.title.as_str(),
            t.group.as_str(),
            t.description.clone(),
            t.status.as_str(),
            t.flag,
            t.start_date,
            t.end_date,
            t.due_date,
            t.assignee.clone(),
            t.order,
            t.mandatory,
            by,
            now
        ],
    )
    .await
}

/// A task visible to `scope`, by `~id`.
pub async fn find(tx: &mut Tx, scope: &Scope, id: &str) -> Result<Option<Task>, StorageError> {
    let Some(id) = crate::ids::parse_id(id) else { return Ok(None) };
    let sql = format!("{} WHERE t.id = $1 AND {}", select(), visibility::task("t", 2));
    let row = tx.fetch_optional(&sql, args![id, scope.organisation_id()]).await?;
    row.as_ref().map(from_row).transpose()
}

/// The visible tasks of a case, by group then order.
pub async fn list_for_case(tx: &mut Tx, scope: &Scope, case_id: i64) -> Result<Vec<Task>, StorageError> {
    let sql = format!("{} WHERE t.case_id = $1 AND {} ORDER BY t.position, t.id", select(), visibility::task("t", 2));
    let rows = tx.fetch_all(&sql, args![case_id, scope.organisation_id()]).await?;
    rows.iter().map(from_row).collect()
}

/// Every task visible to `scope`, newest first (`GET /task`).
pub async fn list(tx: &mut Tx, scope: &Scope, limit: i64) -> Result<Vec<Task>, StorageError> {
    let sql = format!("{} WHERE {} ORDER BY t.id DESC LIMIT $2", select(), visibility::task("t", 1));
    let rows = tx.fetch_all(&sql, args![scope.organisation_id(), limit]).await?;
    rows.iter().map(from_row).collect()
}

/// Changed fields of a task; `Some(None)` clears a nullable one.
#[derive(Debug, Default, Clone)]
pub struct TaskUpdate {
    pub title: Option<String>,
    pub group: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<String>,
    pub flag: Option<bool>,
    pub start_date: Option<Option<i64>>,
    pub end_date: Option<Option<i64>>,
    pub due_date: Option<Option<i64>>,
    pub assignee: Option<Option<String>>,
    pub order: Option<i64>,
    pub mandatory: Option<bool>,
}

impl TaskUpdate {
    pub fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.group.is_none()
            && self.description.is_none()
            && self.status.is_none()
            && self.flag.is_none()
            && self.start_date.is_none()
            && self.end_date.is_none()
            && self.due_date.is_none()
            && self.assignee.is_none()
            && self.order.is_none()
            && self.mandatory.is_none()
    }
}

pub async fn update(tx: &mut Tx, id: i64, u: &TaskUpdate, by: &str, now: i64) -> Result<(), StorageError> {
    let mut sets: Vec<String> = Vec::new();
    let mut vals: Vec<Value> = Vec::new();
    let mut push = |col: &str, v: Value| {
        vals.push(v);
        sets.push(format!("{col} = ${}", vals.len()));
    };
    if let Some(v) = &u.title {
        push("title", v.clone().into());
    }
    if let Some(v) = &u.group {
        push("group_name", v.clone().into());
    }
    if let Some(v) = &u.description {
        push("description", v.clone().into());
    }
    if let Some(v) = &u.status {
        push("status", v.clone().into());
    }
    if let Some(v) = u.flag {
        push("flag", v.into());
    }
    if let Some(v) = u.start_date {
        push("start_date", v.into());
    }
    if let Some(v) = u.end_date {
        push("end_date", v.into());
    }
    if let Some(v) = u.due_date {
        push("due_date", v.into());
    }
    if let Some(v) = &u.assignee {
        push("assignee", v.clone().into());
    }
    if let Some(v) = u.order {
        push("position", v.into());
    }
    if let Some(v) = u.mandatory {
        push("mandatory", v.into());
    }
    push("updated_by", by.into());
    push("updated_at", now.into());
    vals.push(id.into());
    let sql = format!("UPDATE task SET {} WHERE id = ${}", sets.join(", "), vals.len());
    tx.execute(&sql, vals).await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM cortex_action WHERE object_kind = 'task' AND object_id = $1", args![id]).await?;
    tx.execute(
        "DELETE FROM cortex_action WHERE object_kind = 'log' AND object_id IN (SELECT id FROM log WHERE task_id = $1)",
        args![id],
    )
    .await?;
    let used =
        super::attachments::ids_used_by(tx, "u.log_id IN (SELECT l.id FROM log l WHERE l.task_id = $1)", id).await?;
    tx.execute("DELETE FROM task WHERE id = $1", args![id]).await?;
    super::attachments::collect_garbage(tx, &used).await
}

/// `(organisation name, action required)` for every organisation that sees the task and
/// that the caller sees (itself and the organisations it is linked to).
pub async fn action_required(
    tx: &mut Tx,
    scope: &Scope,
    task_id: i64,
    case_id: i64,
) -> Result<Vec<(String, bool)>, StorageError> {
    let sql = format!(
        "SELECT o.name, COALESCE(a.action_required, FALSE) AS action_required FROM share s \
         JOIN organisation o ON o.id = s.organisation_id \
         LEFT JOIN task_action_required a ON a.task_id = $1 AND a.organisation_id = s.organisation_id \
         WHERE s.case_id = $2 AND {} AND {} ORDER BY o.name",
        visibility::share_grants_task("s", "$1"),
        visibility::organisation_id("s.organisation_id", 3)
    );
    let rows = tx.fetch_all(&sql, args![task_id, case_id, scope.organisation_id()]).await?;
    rows.iter().map(|r| Ok((r.get("name")?, r.get("action_required")?))).collect()
}

pub async fn set_action_required(
    tx: &mut Tx,
    task_id: i64,
    organisation_id: i64,
    required: bool,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO task_action_required (task_id, organisation_id, action_required) VALUES ($1, $2, $3) \
         ON CONFLICT (task_id, organisation_id) DO UPDATE SET action_required = excluded.action_required",
        args![task_id, organisation_id, required],
    )
    .await?;
    Ok(())
}

/// The organisation named `org` if it sees task `task_id` of case `case_id` (task action
/// flags may only name such an organisation).
pub async fn sharing_organisation(
    tx: &mut Tx,
    case_id: i64,
    task_id: i64,
    org: &str,
) -> Result<Option<i64>, StorageError> {
    let (cond, arg): (&str, Value) = match crate::ids::parse_id(org) {
        Some(id) => ("o.id = $2", id.into()),
        None => ("o.name = $2", org.into()),
    };
    let row = tx
        .fetch_optional(
            &format!(
                "SELECT o.id FROM share s JOIN organisation o ON o.id = s.organisation_id WHERE s.case_id = $1 \
                 AND {cond} AND {}",
                visibility::share_grants_task("s", "$3")
            ),
            vec![case_id.into(), arg, task_id.into()],
        )
        .await?;
    row.map(|r| r.get::<i64>("id")).transpose()
}

/// Closes the open tasks of a case being closed (TheHive 4 semantics): in-progress tasks
/// become `Completed`, waiting ones `Cancel`. Returns the ids touched.
pub async fn close_open_tasks(tx: &mut Tx, case_id: i64, by: &str, now: i64) -> Result<Vec<i64>, StorageError> {
    let rows = tx
        .fetch_all(
            "SELECT id FROM task WHERE case_id = $1 AND status IN ('InProgress', 'Waiting') ORDER BY id",
            args![case_id],
        )
        .await?;
    let ids = rows.iter().map(|r| r.get::<i64>("id")).collect::<Result<Vec<_>, _>>()?;
    tx.execute(
        "UPDATE task SET status = 'Completed', end_date = COALESCE(end_date, $1), updated_by = $2, updated_at = $1 \
         WHERE case_id = $3 AND status = 'InProgress'",
        args![now, by, case_id],
    )
    .await?;
    tx.execute(
        "UPDATE task SET status = 'Cancel', updated_by = $1, updated_at = $2 WHERE case_id = $3 AND status = 'Waiting'",
        args![by, now, case_id],
    )
    .await?;
    Ok(ids)
}
