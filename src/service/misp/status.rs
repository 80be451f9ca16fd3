//! The connector's status as thehive4py reads it (`GET /connector/misp/status`): per server,
//! its health, last successful sync, last error, events imported and the events waiting
//! for a retry. Any authenticated user may read it (TheHive shows connector status to all);
//! it holds no secret.

use super::servers::ServerView;
use super::settings::ServerDef;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::storage::misp;

pub struct Status {
    pub servers: Vec<ServerView>,
    /// Some server's lease is held right now.
    pub sync_in_progress: bool,
    pub now: i64,
}

/// OK, WARNING (events waiting for a retry), ERROR (the last run failed), NEVER (not run
/// yet) or DISABLED.
pub fn health(v: &ServerView) -> &'static str {
    if !v.row.enabled {
        "DISABLED"
    } else if v.row.status.as_deref() == Some("ERROR") {
        "ERROR"
    } else if !v.failures.is_empty() {
        "WARNING"
    } else if v.row.last_attempt_at.is_none() && v.row.status_checked_at.is_none() {
        "NEVER"
    } else {
        "OK"
    }
}

pub async fn status(app: &App, _caller: &Caller) -> Result<Status, ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.read().await?;
    let mut servers = Vec::new();
    for row in misp::list(&mut tx).await? {
        let failures = misp::failures(&mut tx, row.id, None).await?;
        servers.push(ServerView { def: ServerDef::from_row(&row), row, failures });
    }
    let sync_in_progress = misp::any_lease(&mut tx, now).await?;
    Ok(Status { servers, sync_in_progress, now })
}
