//! Writing audit rows from the service layer, always inside the mutation's transaction.

use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::storage::audit::{self, AuditEntry, NewAudit};
use crate::storage::{Statement, Tx};

/// What a mutation did, to be recorded by `record`.
pub struct Action<'a> {
    pub operation: &'a str,
    pub object_type: &'a str,
    pub object_id: i64,
    /// The case or alert this action belongs to (its timeline), if any.
    pub root: Option<(&'a str, i64)>,
    pub details: serde_json::Value,
}

/// Records an action of `caller` in the same transaction as the change itself.
pub async fn record(tx: &mut Tx, caller: &Caller, action: Action<'_>, now: i64) -> Result<(), ApiError> {
    audit::insert_many(tx, &[entry(caller, &action)], now).await?;
    Ok(())
}

/// The statements that record several (caller, action) pairs, for a transaction that runs
/// them with its other statements in one call (batched alert ingestion).
pub fn record_statements(actions: &[(&Caller, Action<'_>)], now: i64) -> Vec<Statement> {
    let rows: Vec<NewAudit> = actions.iter().map(|(caller, action)| entry(caller, action)).collect();
    audit::insert_statements(&rows, now)
}

fn entry<'a>(caller: &'a Caller, action: &Action<'a>) -> NewAudit<'a> {
    NewAudit {
        request_id: &caller.request_id,
        created_by: &caller.login,
        organisation_id: Some(caller.organisation_id),
        operation: action.operation,
        object_type: action.object_type,
        object_id: Some(action.object_id),
        root_type: action.root.map(|r| r.0),
        root_id: action.root.map(|r| r.1),
        details: action.details.clone(),
        main_action: true,
    }
}

/// `GET /audit`: the latest entries the caller may see.
pub async fn recent(app: &App, caller: &Caller, limit: i64) -> Result<Vec<AuditEntry>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(audit::list_recent(&mut tx, &caller.scope(), limit).await?)
}
