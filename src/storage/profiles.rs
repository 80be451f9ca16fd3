//! Profiles: named sets of permissions. Permissions are stored as a JSON array of names.

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use crate::args;

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: i64,
    pub name: String,
    pub permissions: Vec<String>,
    pub meta: Meta,
}

fn select() -> String {
    format!("SELECT id, name, permissions, {META_COLUMNS} FROM profile")
}

fn from_row(row: &Row) -> Result<Profile, StorageError> {
    let perms: String = row.get("permissions")?;
    Ok(Profile {
        id: row.get("id")?,
        name: row.get("name")?,
        permissions: serde_json::from_str(&perms)
            .map_err(|e| StorageError::Corrupt(format!("profile.permissions: {e}")))?,
        meta: Meta::from_row(row)?,
    })
}

fn encode(perms: &[String]) -> String {
    serde_json::Value::from(perms.to_vec()).to_string()
}

pub async fn insert(tx: &mut Tx, name: &str, permissions: &[String], by: &str, now: i64) -> Result<i64, StorageError> {
    tx.identity_changed();
    tx.fetch_i64(
        "INSERT INTO profile (name, permissions, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        args![name, encode(permissions), by, now],
    )
    .await
}

/// Profiles are global (not per organisation): every caller may read them.
pub async fn find(tx: &mut Tx, id_or_name: &str) -> Result<Option<Profile>, StorageError> {
    let row = match crate::ids::parse_id(id_or_name) {
        Some(id) => tx.fetch_optional(&format!("{} WHERE id = $1", select()), args![id]).await?,
        None => tx.fetch_optional(&format!("{} WHERE name = $1", select()), args![id_or_name]).await?,
    };
    row.as_ref().map(from_row).transpose()
}

pub async fn list(tx: &mut Tx) -> Result<Vec<Profile>, StorageError> {
    let rows = tx.fetch_all(&format!("{} ORDER BY name", select()), args![]).await?;
    rows.iter().map(from_row).collect()
}

pub async fn update(
    tx: &mut Tx,
    id: i64,
    name: Option<&str>,
    permissions: Option<&[String]>,
    by: &str,
    now: i64,
) -> Result<(), StorageError> {
    tx.identity_changed();
    tx.execute(
        "UPDATE profile SET name = COALESCE($1, name), permissions = COALESCE($2, permissions), \
         updated_by = $3, updated_at = $4 WHERE id = $5",
        args![name, permissions.map(encode), by, now, id],
    )
    .await?;
    Ok(())
}

/// True if any membership, case share or sharing profile uses the profile (a profile in use
/// cannot be deleted).
pub async fn in_use(tx: &mut Tx, id: i64) -> Result<bool, StorageError> {
    let n = tx
        .fetch_i64(
            "SELECT (SELECT COUNT(*) FROM role WHERE profile_id = $1) + (SELECT COUNT(*) FROM share WHERE profile_id = $1) \
             + (SELECT COUNT(*) FROM sharing_profile WHERE profile_id = $1)",
            args![id],
        )
        .await?;
    Ok(n > 0)
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.identity_changed();
    tx.execute("DELETE FROM profile WHERE id = $1", args![id]).await?;
    Ok(())
}
