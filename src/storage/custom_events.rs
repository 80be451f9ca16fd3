//! Custom timeline events of a case (TheHive 5 `customEvent`): a dated entry an analyst adds
//! to the case timeline. Visible with their case (`visibility::case_id`).

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use super::visibility;
use crate::args;

#[derive(Debug, Clone)]
pub struct CustomEvent {
    pub id: i64,
    pub case_id: i64,
    pub date: i64,
    pub end_date: Option<i64>,
    pub title: String,
    pub description: Option<String>,
    pub meta: Meta,
}

fn select() -> String {
    let meta = META_COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ");
    format!("SELECT e.id, e.case_id, e.date, e.end_date, e.title, e.description, {meta} FROM case_custom_event e")
}

fn from_row(row: &Row) -> Result<CustomEvent, StorageError> {
    Ok(CustomEvent {
        id: row.get("id")?,
        case_id: row.get("case_id")?,
        date: row.get("date")?,
        end_date: row.get("end_date")?,
        title: row.get("title")?,
        description: row.get("description")?,
        meta: Meta::from_row(row)?,
    })
}

/// The fields of an event; on update `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Default, Clone)]
pub struct EventFields {
    pub date: Option<i64>,
    pub end_date: Option<Option<i64>>,
    pub title: Option<String>,
    pub description: Option<Option<String>>,
}

pub async fn insert(tx: &mut Tx, case_id: i64, f: &EventFields, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO case_custom_event (case_id, date, end_date, title, description, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        args![
            case_id,
            f.date.unwrap_or(now),
            f.end_date.flatten(),
            f.title.clone().unwrap_or_default(),
            f.description.clone().flatten(),
            by,
            now
        ],
    )
    .await
}

/// An event whose case `scope` sees, by `~id`.
pub async fn find(tx: &mut Tx, scope: &Scope, id: &str) -> Result<Option<CustomEvent>, StorageError> {
    let Some(id) = crate::ids::parse_id(id) else { return Ok(None) };
    let sql = format!("{} WHERE e.id = $1 AND {}", select(), visibility::case_id("e.case_id", 2));
    let row = tx.fetch_optional(&sql, args![id, scope.organisation_id()]).await?;
    row.as_ref().map(from_row).transpose()
}

/// The events of a case (the caller checked its visibility), newest first.
pub async fn list_for_case(tx: &mut Tx, case_id: i64) -> Result<Vec<CustomEvent>, StorageError> {
    let sql = format!("{} WHERE e.case_id = $1 ORDER BY e.date DESC, e.id DESC", select());
    let rows = tx.fetch_all(&sql, args![case_id]).await?;
    rows.iter().map(from_row).collect()
}

pub async fn update(tx: &mut Tx, id: i64, f: &EventFields, by: &str, now: i64) -> Result<(), StorageError> {
    let current = tx
        .fetch_optional("SELECT date, end_date, title, description FROM case_custom_event WHERE id = $1", args![id])
        .await?;
    let Some(row) = current else { return Ok(()) };
    let date = f.date.map_or_else(|| row.get::<i64>("date"), Ok)?;
    let end_date = f.end_date.map_or_else(|| row.get::<Option<i64>>("end_date"), Ok)?;
    let title = f.title.clone().map_or_else(|| row.get::<String>("title"), Ok)?;
    let description = f.description.clone().map_or_else(|| row.get::<Option<String>>("description"), Ok)?;
    tx.execute(
        "UPDATE case_custom_event SET date = $1, end_date = $2, title = $3, description = $4, updated_by = $5, \
         updated_at = $6 WHERE id = $7",
        args![date, end_date, title, description, by, now, id],
    )
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM case_custom_event WHERE id = $1", args![id]).await?;
    Ok(())
}
