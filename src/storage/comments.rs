//! Comments (spec §1.19, TheHive 5) on cases and alerts. A case comment is visible with its
//! case, an alert comment with its alert.

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use super::visibility;
use crate::args;

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: i64,
    pub case_id: Option<i64>,
    pub alert_id: Option<i64>,
    pub message: String,
    pub is_edited: bool,
    pub external: bool,
    pub meta: Meta,
}

fn select() -> String {
    let meta = META_COLUMNS.split(", ").map(|c| format!("m.{c}")).collect::<Vec<_>>().join(", ");
    format!("SELECT m.id, m.case_id, m.alert_id, m.message, m.is_edited, m.external, {meta} FROM comment m")
}

fn from_row(row: &Row) -> Result<Comment, StorageError> {
    Ok(Comment {
        id: row.get("id")?,
        case_id: row.get("case_id")?,
        alert_id: row.get("alert_id")?,
        message: row.get("message")?,
        is_edited: row.get("is_edited")?,
        external: row.get("external")?,
        meta: Meta::from_row(row)?,
    })
}

/// Where a comment lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentOwner {
    Case(i64),
    Alert(i64),
}

pub async fn insert(
    tx: &mut Tx,
    owner: CommentOwner,
    message: &str,
    external: bool,
    by: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let (case, alert) = match owner {
        CommentOwner::Case(c) => (Some(c), None),
        CommentOwner::Alert(a) => (None, Some(a)),
    };
    tx.fetch_i64(
        "INSERT INTO comment (case_id, alert_id, message, external, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        args![case, alert, message, external, by, now],
    )
    .await
}

fn visible(org: usize) -> String {
    visibility::case_or_alert_child("m", org)
}

/// A comment visible to `scope`, by `~id`.
pub async fn find(tx: &mut Tx, scope: &Scope, id: &str) -> Result<Option<Comment>, StorageError> {
    let Some(id) = crate::ids::parse_id(id) else { return Ok(None) };
    let sql = format!("{} WHERE m.id = $1 AND {}", select(), visible(2));
    let row = tx.fetch_optional(&sql, args![id, scope.organisation_id()]).await?;
    row.as_ref().map(from_row).transpose()
}

/// The comments of a visible owner, oldest first.
pub async fn list_for(tx: &mut Tx, scope: &Scope, owner: CommentOwner) -> Result<Vec<Comment>, StorageError> {
    let (col, id) = match owner {
        CommentOwner::Case(c) => ("m.case_id", c),
        CommentOwner::Alert(a) => ("m.alert_id", a),
    };
    let sql = format!("{} WHERE {col} = $1 AND {} ORDER BY m.created_at, m.id", select(), visible(2));
    let rows = tx.fetch_all(&sql, args![id, scope.organisation_id()]).await?;
    rows.iter().map(from_row).collect()
}

pub async fn update(tx: &mut Tx, id: i64, message: &str, by: &str, now: i64) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE comment SET message = $1, is_edited = TRUE, updated_by = $2, updated_at = $3 WHERE id = $4",
        args![message, by, now, id],
    )
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM comment WHERE id = $1", args![id]).await?;
    Ok(())
}
