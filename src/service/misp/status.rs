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

/// Every server with its decoded settings and pending events.
async fn all_views(tx: &mut crate::storage::Tx) -> Result<Vec<ServerView>, ApiError> {
    let mut out = Vec::new();
    for row in misp::list(tx).await? {
        let failures = misp::failures(tx, row.id, None).await?;
        out.push(ServerView { def: ServerDef::from_row(&row), row, failures });
    }
    Ok(out)
}

pub async fn status(app: &App, _caller: &Caller) -> Result<Status, ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.read().await?;
    let servers = all_views(&mut tx).await?;
    let sync_in_progress = misp::any_lease(&mut tx, now).await?;
    Ok(Status { servers, sync_in_progress, now })
}

/// One server as TheHive lists it under `connectors.misp.servers` in `/api/status`.
pub struct ConnectorServer {
    pub name: String,
    pub url: String,
    pub purpose: String,
    pub version: Option<String>,
    /// `OK`, `ERROR`, `CHECKING` (not contacted yet) or `DISABLED`.
    pub status: &'static str,
}

/// The connector as TheHive's `/api/status` reports it (`connectors.misp`).
pub struct Connector {
    /// At least one server is enabled.
    pub enabled: bool,
    /// `OK` (every enabled server OK), `WARNING` (some OK, some not), `ERROR` (none OK),
    /// `CHECKING` (none contacted yet) or `DISABLED` (no enabled server).
    pub status: &'static str,
    pub servers: Vec<ConnectorServer>,
}

/// A server's state in TheHive's two words (OK/ERROR), plus the two Waggle knows more
/// precisely: a server not contacted yet and a disabled one. Events waiting for a retry
/// do not make the server unhealthy: MISP answered.
fn connector_status(v: &ServerView) -> &'static str {
    match health(v) {
        "OK" | "WARNING" => "OK",
        "NEVER" => "CHECKING",
        "DISABLED" => "DISABLED",
        _ => "ERROR",
    }
}

/// The aggregate of TheHive's `Connector.updateStatus`: OK when every enabled server is,
/// WARNING when only some are, ERROR when none is.
fn aggregate(states: &[&'static str]) -> &'static str {
    let enabled: Vec<&str> = states.iter().copied().filter(|s| *s != "DISABLED").collect();
    if enabled.is_empty() {
        "DISABLED"
    } else if enabled.iter().all(|s| *s == "OK") {
        "OK"
    } else if enabled.contains(&"OK") {
        "WARNING"
    } else if enabled.iter().all(|s| *s == "CHECKING") {
        "CHECKING"
    } else {
        "ERROR"
    }
}

/// The connector summary of `/api/status`. Public (TheHive serves it to anyone); the
/// handler leaves the URLs out for unauthenticated callers.
pub async fn connector(app: &App) -> Result<Connector, ApiError> {
    let mut tx = app.store.read().await?;
    let mut servers = Vec::new();
    for v in all_views(&mut tx).await? {
        servers.push(ConnectorServer {
            name: v.row.name.clone(),
            url: crate::outbound::display_url(&v.row.url),
            purpose: v.row.purpose.clone(),
            version: v.row.version.clone(),
            status: connector_status(&v),
        });
    }
    let states: Vec<&'static str> = servers.iter().map(|s| s.status).collect();
    Ok(Connector { enabled: servers.iter().any(|s| s.status != "DISABLED"), status: aggregate(&states), servers })
}

#[cfg(test)]
mod tests {
    use super::aggregate;

    #[test]
    fn aggregate_follows_thehive() {
        assert_eq!(aggregate(&[]), "DISABLED");
        assert_eq!(aggregate(&["OK", "OK", "DISABLED"]), "OK");
        assert_eq!(aggregate(&["OK", "ERROR"]), "WARNING");
        assert_eq!(aggregate(&["OK", "CHECKING"]), "WARNING");
        assert_eq!(aggregate(&["ERROR", "CHECKING"]), "ERROR");
        assert_eq!(aggregate(&["CHECKING"]), "CHECKING");
        assert_eq!(aggregate(&["DISABLED"]), "DISABLED");
    }
}
