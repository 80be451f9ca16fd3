//! The audit trail: one row per mutation, written by the service layer inside the
//! mutation's own transaction. It feeds timelines, webhooks and the live stream.

use super::db::{Row, Statement, Tx};
use super::error::StorageError;
use super::placeholders::push_row;
use super::scope::Scope;
use super::visibility;
use crate::args;

/// What the service layer records about a mutation.
pub struct NewAudit<'a> {
    pub request_id: &'a str,
    pub created_by: &'a str,
    pub organisation_id: Option<i64>,
    pub operation: &'a str,
    pub object_type: &'a str,
    pub object_id: Option<i64>,
    pub root_type: Option<&'a str>,
    pub root_id: Option<i64>,
    pub details: serde_json::Value,
    pub main_action: bool,
}

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub created_at: i64,
    pub created_by: String,
    pub organisation_id: Option<i64>,
    pub request_id: String,
    pub operation: String,
    pub object_type: String,
    pub object_id: Option<i64>,
    pub root_type: Option<String>,
    pub root_id: Option<i64>,
    pub details: serde_json::Value,
    pub main_action: bool,
}

/// Inserts audit rows.
pub async fn insert_many(tx: &mut Tx, rows: &[NewAudit<'_>], now: i64) -> Result<(), StorageError> {
    tx.execute_all(insert_statements(rows, now)).await
}

/// The statements that insert audit rows, one per 200 (batched alert ingestion writes many).
pub fn insert_statements(rows: &[NewAudit<'_>], now: i64) -> Vec<Statement> {
    let mut out = Vec::new();
    for chunk in rows.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO audit (created_at, created_by, organisation_id, request_id, operation, object_type, \
             object_id, root_type, root_id, details, main_action) VALUES ",
        );
        let mut binds = Vec::with_capacity(chunk.len() * 11);
        for (i, a) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            push_row(&mut sql, binds.len(), 11);
            binds.extend(args![
                now,
                a.created_by,
                a.organisation_id,
                a.request_id,
                a.operation,
                a.object_type,
                a.object_id,
                a.root_type,
                a.root_id,
                a.details.to_string(),
                a.main_action
            ]);
        }
        out.push(Statement::new(sql, binds));
    }
    out
}

const SELECT: &str = "SELECT id, created_at, created_by, organisation_id, request_id, operation, object_type, object_id, \
     root_type, root_id, details, main_action FROM audit";

fn from_row(row: &Row) -> Result<AuditEntry, StorageError> {
    let details: String = row.get("details")?;
    Ok(AuditEntry {
        id: row.get("id")?,
        created_at: row.get("created_at")?,
        created_by: row.get("created_by")?,
        organisation_id: row.get("organisation_id")?,
        request_id: row.get("request_id")?,
        operation: row.get("operation")?,
        object_type: row.get("object_type")?,
        object_id: row.get("object_id")?,
        root_type: row.get("root_type")?,
        root_id: row.get("root_id")?,
        details: serde_json::from_str(&details).map_err(|e| StorageError::Corrupt(format!("audit.details: {e}")))?,
        main_action: row.get("main_action")?,
    })
}

/// The latest audit entries the caller may see (`visibility::audit`), newest first.
pub async fn list_recent(tx: &mut Tx, scope: &Scope, limit: i64) -> Result<Vec<AuditEntry>, StorageError> {
    let rows = tx
        .fetch_all(
            &format!("{SELECT} WHERE {} ORDER BY id DESC LIMIT $2", visibility::audit("audit", 1)),
            args![scope.organisation_id(), limit],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// One audit entry by id, without visibility: for hydrating ids that a visibility-checked
/// query (storage::query) returned.
pub async fn get_by_id(tx: &mut Tx, id: i64) -> Result<Option<AuditEntry>, StorageError> {
    let row = tx.fetch_optional(&format!("{SELECT} WHERE id = $1"), args![id]).await?;
    row.as_ref().map(from_row).transpose()
}

/// Audit entries whose root (timeline) is `root_type` `root_id` and that the caller may
/// see (a task not shared with the caller's organisation stays off its timeline), newest
/// first.
pub async fn list_for_root(
    tx: &mut Tx,
    scope: &Scope,
    root_type: &str,
    root_id: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, StorageError> {
    let rows = tx
        .fetch_all(
            &format!(
                "{SELECT} WHERE root_type = $1 AND root_id = $2 AND {} ORDER BY id DESC LIMIT $3",
                visibility::audit("audit", 4)
            ),
            args![root_type, root_id, limit, scope.organisation_id()],
        )
        .await?;
    rows.iter().map(from_row).collect()
}
