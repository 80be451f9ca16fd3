//! Observable data types (`ip`, `domain`, `file`, …), global to the platform.

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use crate::args;

#[derive(Debug, Clone)]
pub struct ObservableType {
    pub id: i64,
    pub name: String,
    pub is_attachment: bool,
    pub meta: Meta,
}

fn select() -> String {
    format!("SELECT id, name, is_attachment, {META_COLUMNS} FROM observable_type")
}

fn from_row(row: &Row) -> Result<ObservableType, StorageError> {
    Ok(ObservableType {
        id: row.get("id")?,
        name: row.get("name")?,
        is_attachment: row.get("is_attachment")?,
        meta: Meta::from_row(row)?,
    })
}

pub async fn insert(tx: &mut Tx, name: &str, is_attachment: bool, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO observable_type (name, is_attachment, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        args![name, is_attachment, by, now],
    )
    .await
}

pub async fn find(tx: &mut Tx, id_or_name: &str) -> Result<Option<ObservableType>, StorageError> {
    let row = match crate::ids::parse_id(id_or_name) {
        Some(id) => tx.fetch_optional(&format!("{} WHERE id = $1", select()), args![id]).await?,
        None => tx.fetch_optional(&format!("{} WHERE name = $1", select()), args![id_or_name]).await?,
    };
    row.as_ref().map(from_row).transpose()
}

pub async fn list(tx: &mut Tx) -> Result<Vec<ObservableType>, StorageError> {
    let rows = tx.fetch_all(&format!("{} ORDER BY name", select()), args![]).await?;
    rows.iter().map(from_row).collect()
}

/// `name → is_attachment` for just the given type names (unknown names are absent). The
/// ingestion path asks for the few types a request uses rather than reading the table.
pub async fn attachment_flags(tx: &mut Tx, names: &[&str]) -> Result<Vec<(String, bool)>, StorageError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = String::from("SELECT name, is_attachment FROM observable_type WHERE name IN (");
    for i in 1..=names.len() {
        if i > 1 {
            sql.push_str(", ");
        }
        sql.push('$');
        sql.push_str(&i.to_string());
    }
    sql.push(')');
    let binds = names.iter().map(|n| super::db::Value::from(*n)).collect();
    let rows = tx.fetch_all(&sql, binds).await?;
    rows.iter().map(|r| Ok((r.get("name")?, r.get("is_attachment")?))).collect()
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM observable_type WHERE id = $1", args![id]).await?;
    Ok(())
}
