//! Platform-wide settings changed at run time by administrators: one `platform_setting` row
//! per setting, its value a JSON document. A setting without a row follows the
//! configuration file; the service layer owns that fallback and the validation.

use super::db::Tx;
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use crate::args;

#[derive(Debug, Clone)]
pub struct Setting {
    pub id: i64,
    pub name: String,
    /// JSON.
    pub value: String,
    pub meta: Meta,
}

pub async fn get(tx: &mut Tx, name: &str) -> Result<Option<Setting>, StorageError> {
    let row = tx
        .fetch_optional(
            &format!("SELECT id, name, value, {META_COLUMNS} FROM platform_setting WHERE name = $1"),
            args![name],
        )
        .await?;
    row.map(|r| {
        Ok(Setting { id: r.get("id")?, name: r.get("name")?, value: r.get("value")?, meta: Meta::from_row(&r)? })
    })
    .transpose()
}

/// Creates or replaces a setting; returns its row id.
pub async fn set(tx: &mut Tx, name: &str, value: &str, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO platform_setting (name, value, created_by, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO UPDATE SET value = $2, updated_by = $3, updated_at = $4 RETURNING id",
        args![name, value, by, now],
    )
    .await
}

/// Removes a setting (it follows the configuration file again); returns the removed row id.
pub async fn remove(tx: &mut Tx, name: &str) -> Result<Option<i64>, StorageError> {
    let row = tx.fetch_optional("DELETE FROM platform_setting WHERE name = $1 RETURNING id", args![name]).await?;
    row.map(|r| r.get("id")).transpose()
}
