//! The meta fields every stored entity carries, and how to read them from a row.

use super::db::Row;
use super::error::StorageError;

/// `_createdBy/_createdAt/_updatedBy/_updatedAt` of TheHive outputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub created_by: String,
    pub created_at: i64,
    pub updated_by: Option<String>,
    pub updated_at: Option<i64>,
}

impl Meta {
    pub fn from_row(row: &Row) -> Result<Meta, StorageError> {
        Ok(Meta {
            created_by: row.get("created_by")?,
            created_at: row.get("created_at")?,
            updated_by: row.get("updated_by")?,
            updated_at: row.get("updated_at")?,
        })
    }
}

/// The column list matching `Meta::from_row`, for SELECTs.
pub const META_COLUMNS: &str = "created_by, created_at, updated_by, updated_at";
