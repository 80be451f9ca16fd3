//! Comments on alerts (spec §1.19, 5.x). Case comments live with cases.

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::Meta;
use crate::args;

#[derive(Debug, Clone)]
pub struct AlertComment {
    pub id: i64,
    pub alert_id: i64,
    pub message: String,
    pub is_edited: bool,
    pub external: bool,
    pub meta: Meta,
}

const SELECT: &str = "SELECT id, alert_id, message, is_edited, external, created_by, created_at, updated_by, updated_at \
    FROM comment";

fn from_row(row: &Row) -> Result<AlertComment, StorageError> {
    Ok(AlertComment {
        id: row.get("id")?,
        alert_id: row.get("alert_id")?,
        message: row.get("message")?,
        is_edited: row.get("is_edited")?,
        external: row.get("external")?,
        meta: Meta::from_row(row)?,
    })
}

pub async fn insert(
    tx: &mut Tx,
    alert_id: i64,
    message: &str,
    external: bool,
    by: &str,
    now: i64,
) -> Result<AlertComment, StorageError> {
    let id = tx
        .fetch_i64(
            "INSERT INTO comment (alert_id, message, external, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            args![alert_id, message, external, by, now],
        )
        .await?;
    let row = tx.fetch_one(&format!("{SELECT} WHERE id = $1"), args![id]).await?;
    from_row(&row)
}

/// Comments of an alert (already checked visible), oldest first.
pub async fn list(tx: &mut Tx, alert_id: i64) -> Result<Vec<AlertComment>, StorageError> {
    let rows = tx.fetch_all(&format!("{SELECT} WHERE alert_id = $1 ORDER BY created_at, id"), args![alert_id]).await?;
    rows.iter().map(from_row).collect()
}
