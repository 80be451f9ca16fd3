//! The SQL of a case merge (TheHive 5 `POST /case/_merge/{ids}`): what moves from a source
//! case to the merged case, inside the caller's transaction. The service
//! (`service::cases::merge`) decides whether the merge is allowed and in which order.
//!
//! Everything a case owns through a `case_id` column is re-pointed, so nothing is copied and
//! ids stay stable (links to a task or an observable keep working). The only rows that can
//! clash are observables (`observable_case_data_key`) and custom field values (one per field
//! and case): those are resolved here, the merged case keeping what it already holds.

use super::db::Tx;
use super::error::StorageError;
use crate::args;

/// The share profile names of a case per organisation, sorted: two cases can merge only if
/// these sets are equal (TheHive's "same organisation / profile pair" rule).
pub async fn share_set(tx: &mut Tx, case_id: i64) -> Result<Vec<(i64, String, bool)>, StorageError> {
    let rows = tx
        .fetch_all(
            "SELECT s.organisation_id, p.name, s.owner FROM share s JOIN profile p ON p.id = s.profile_id \
             WHERE s.case_id = $1 ORDER BY s.organisation_id",
            args![case_id],
        )
        .await?;
    rows.iter().map(|r| Ok((r.get("organisation_id")?, r.get("name")?, r.get("owner")?))).collect()
}

/// Copies the shares the source case gives to other organisations onto the merged case
/// (same profile and rules), so that they keep seeing what was shared with them.
pub async fn copy_foreign_shares(tx: &mut Tx, from: i64, to: i64, by: &str, now: i64) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO share (case_id, organisation_id, profile_id, owner, task_rule, observable_rule, created_by, \
         created_at) SELECT $1, s.organisation_id, s.profile_id, FALSE, s.task_rule, s.observable_rule, $2, $3 \
         FROM share s WHERE s.case_id = $4 AND s.owner = FALSE ON CONFLICT (case_id, organisation_id) DO NOTHING",
        args![to, by, now, from],
    )
    .await?;
    Ok(())
}

/// One observable of the source case whose data the merged case already holds.
pub struct Duplicate {
    pub source_id: i64,
    pub kept_id: i64,
}

/// Observables of `from` that `to` already has (same data type and data).
pub async fn duplicate_observables(tx: &mut Tx, from: i64, to: i64) -> Result<Vec<Duplicate>, StorageError> {
    let rows = tx
        .fetch_all(
            "SELECT s.id AS source_id, k.id AS kept_id FROM observable s JOIN observable k \
             ON k.case_id = $2 AND k.data_type = s.data_type AND k.data_hash = s.data_hash \
             WHERE s.case_id = $1 ORDER BY s.id",
            args![from, to],
        )
        .await?;
    rows.iter().map(|r| Ok(Duplicate { source_id: r.get("source_id")?, kept_id: r.get("kept_id")? })).collect()
}

/// Re-points everything `from` owns to `to`: tasks, observables (duplicates must be gone),
/// alerts, procedures, pages, comments, case attachments, custom field values the merged
/// case does not have yet, task and observable grants of the shares, and the audit trail
/// (so that the merged case's timeline tells the history of its parts).
pub async fn move_children(tx: &mut Tx, from: i64, to: i64) -> Result<(), StorageError> {
    for table in ["task", "observable", "alert", "alert_merge", "procedure", "page", "comment", "attachment_usage"] {
        tx.execute(&format!("UPDATE {table} SET case_id = $1 WHERE case_id = $2"), args![to, from]).await?;
    }
    tx.execute(
        "UPDATE custom_field_value SET owner_id = $1 WHERE owner_kind = 'case' AND owner_id = $2 \
         AND custom_field_id NOT IN (SELECT k.custom_field_id FROM custom_field_value k \
         WHERE k.owner_kind = 'case' AND k.owner_id = $1)",
        args![to, from],
    )
    .await?;
    // Task and observable grants follow the organisation from the old share to the new one.
    for (table, column) in [("share_task", "task_id"), ("share_observable", "observable_id")] {
        tx.execute(
            &format!(
                "INSERT INTO {table} (share_id, {column}) SELECT n.id, g.{column} FROM {table} g \
                 JOIN share o ON o.id = g.share_id JOIN share n ON n.organisation_id = o.organisation_id \
                 WHERE o.case_id = $1 AND n.case_id = $2 ON CONFLICT DO NOTHING"
            ),
            args![from, to],
        )
        .await?;
    }
    tx.execute("UPDATE audit SET root_id = $1 WHERE root_type = 'Case' AND root_id = $2", args![to, from]).await?;
    Ok(())
}
