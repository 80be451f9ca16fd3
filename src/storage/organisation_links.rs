//! Links between organisations (spec §1.12): directed edges, always written in pairs by the
//! service layer. A link from A to B lets A see B and share its cases with B; its
//! `link_type` names the sharing profile that decides whether A's new cases are shared with
//! B automatically (`default`: no, `supervised`, `notify`: yes).
//!
//! Reads here are about organisations the caller already resolved through
//! `organisations::find` (which applies `visibility::organisation`).

use super::db::{Row, Tx};
use super::error::StorageError;
use crate::args;

/// One outgoing link of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub to_organisation_id: i64,
    pub to_organisation: String,
    /// How `from` treats `to` (the sharing profile applied to `from`'s new cases).
    pub link_type: String,
    /// How `to` treats `from`.
    pub other_link_type: String,
}

fn from_row(row: &Row) -> Result<Link, StorageError> {
    Ok(Link {
        to_organisation_id: row.get("to_organisation_id")?,
        to_organisation: row.get("name")?,
        link_type: row.get("link_type")?,
        other_link_type: row.get("other_link_type")?,
    })
}

/// The outgoing links of `org_id`, by name of the other organisation.
pub async fn list(tx: &mut Tx, org_id: i64) -> Result<Vec<Link>, StorageError> {
    let rows = tx
        .fetch_all(
            "SELECT l.to_organisation_id, o.name, l.link_type, l.other_link_type FROM organisation_link l \
             JOIN organisation o ON o.id = l.to_organisation_id WHERE l.from_organisation_id = $1 ORDER BY o.name",
            args![org_id],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// The link from `from` to `to`, if any.
pub async fn find(tx: &mut Tx, from: i64, to: i64) -> Result<Option<Link>, StorageError> {
    let row = tx
        .fetch_optional(
            "SELECT l.to_organisation_id, o.name, l.link_type, l.other_link_type FROM organisation_link l \
             JOIN organisation o ON o.id = l.to_organisation_id \
             WHERE l.from_organisation_id = $1 AND l.to_organisation_id = $2",
            args![from, to],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Creates or retypes the edge `from → to`.
pub async fn upsert(
    tx: &mut Tx,
    from: i64,
    to: i64,
    link_type: &str,
    other_link_type: &str,
    by: &str,
    now: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO organisation_link (from_organisation_id, to_organisation_id, link_type, other_link_type, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (from_organisation_id, to_organisation_id) \
         DO UPDATE SET link_type = excluded.link_type, other_link_type = excluded.other_link_type",
        args![from, to, link_type, other_link_type, by, now],
    )
    .await?;
    Ok(())
}

/// Removes the edge `from → to`; returns whether it existed.
pub async fn delete(tx: &mut Tx, from: i64, to: i64) -> Result<bool, StorageError> {
    let n = tx
        .execute(
            "DELETE FROM organisation_link WHERE from_organisation_id = $1 AND to_organisation_id = $2",
            args![from, to],
        )
        .await?;
    Ok(n > 0)
}
