//! Task logs (spec §1.5): markdown entries on a task, visible with their task
//! (`visibility::log`).

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use super::visibility;
use crate::args;

#[derive(Debug, Clone)]
pub struct Log {
    pub id: i64,
    pub task_id: i64,
    pub message: String,
    pub date: i64,
    pub deleted: bool,
    pub include_in_timeline: Option<i64>,
    pub meta: Meta,
}

fn select() -> String {
    let meta = META_COLUMNS.split(", ").map(|c| format!("l.{c}")).collect::<Vec<_>>().join(", ");
    format!("SELECT l.id, l.task_id, l.message, l.date, l.deleted, l.include_in_timeline, {meta} FROM log l")
}

fn from_row(row: &Row) -> Result<Log, StorageError> {
    Ok(Log {
        id: row.get("id")?,
        task_id: row.get("task_id")?,
        message: row.get("message")?,
        date: row.get("date")?,
        deleted: row.get("deleted")?,
        include_in_timeline: row.get("include_in_timeline")?,
        meta: Meta::from_row(row)?,
    })
}

pub async fn insert(
    tx: &mut Tx,
    task_id: i64,
    message: &str,
    include_in_timeline: Option<i64>,
    by: &str,
    now: i64,
) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO log (task_id, message, date, include_in_timeline, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        args![task_id, message, now, include_in_timeline, by, now],
    )
    .await
}

/// A log visible to `scope`, by `~id`.
pub async fn find(tx: &mut Tx, scope: &Scope, id: &str) -> Result<Option<Log>, StorageError> {
    let Some(id) = crate::ids::parse_id(id) else { return Ok(None) };
    let sql = format!("{} WHERE l.id = $1 AND {}", select(), visibility::log("l", 2));
    let row = tx.fetch_optional(&sql, args![id, scope.organisation_id()]).await?;
    row.as_ref().map(from_row).transpose()
}

/// The logs of a visible task, oldest first; logs flagged deleted (TheHive 4) are hidden.
pub async fn list_for_task(tx: &mut Tx, scope: &Scope, task_id: i64) -> Result<Vec<Log>, StorageError> {
    let sql = format!(
        "{} WHERE l.task_id = $1 AND l.deleted = FALSE AND {} ORDER BY l.date, l.id",
        select(),
        visibility::log("l", 2)
    );
    let rows = tx.fetch_all(&sql, args![task_id, scope.organisation_id()]).await?;
    rows.iter().map(from_row).collect()
}

pub async fn update(
    tx: &mut Tx,
    id: i64,
    message: Option<&str>,
    include_in_timeline: Option<Option<i64>>,
    deleted: Option<bool>,
    by: &str,
    now: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE log SET message = COALESCE($1, message), \
         include_in_timeline = CASE WHEN $2 THEN $3 ELSE include_in_timeline END, deleted = COALESCE($4, deleted), \
         updated_by = $5, updated_at = $6 WHERE id = $7",
        args![message, include_in_timeline.is_some(), include_in_timeline.flatten(), deleted, by, now, id],
    )
    .await?;
    Ok(())
}

/// Deletes a log; its attachment uses go with it (FK), and content nothing else uses is
/// collected.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    let used = super::attachments::ids_used_by(tx, "u.log_id = $1", id).await?;
    tx.execute("DELETE FROM cortex_action WHERE object_kind = 'log' AND object_id = $1", args![id]).await?;
    tx.execute("DELETE FROM log WHERE id = $1", args![id]).await?;
    super::attachments::collect_garbage(tx, &used).await
}
