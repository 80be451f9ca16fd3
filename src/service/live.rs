//! Live updates: what changed since a client last looked, read from the audit stream with
//! the same visibility rule as `GET /api/v1/audit` (the caller's organisation). The UI turns
//! these into "this page changed" notices; nothing here knows about HTTP.

use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::storage::audit::{self, AuditEntry};

/// How far back one poll looks. A burst larger than this between two polls is reported
/// as the newest entries only, which is enough to say "something changed".
const WINDOW: i64 = 100;

/// The id of the newest entry the caller can see (0 when none): where a stream starts.
pub async fn latest_id(app: &App, caller: &Caller) -> Result<i64, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(audit::list_recent(&mut tx, &caller.scope(), 1).await?.first().map(|e| e.id).unwrap_or(0))
}

/// Visible entries newer than `after`, oldest first.
pub async fn changes_since(app: &App, caller: &Caller, after: i64) -> Result<Vec<AuditEntry>, ApiError> {
    let mut tx = app.store.read().await?;
    let mut recent: Vec<AuditEntry> =
        audit::list_recent(&mut tx, &caller.scope(), WINDOW).await?.into_iter().filter(|e| e.id > after).collect();
    recent.reverse();
    Ok(recent)
}
