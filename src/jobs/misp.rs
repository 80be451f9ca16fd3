//! The MISP poller: every tick, sync the MISP servers that are due (`run_due`). Each server
//! is claimed with a lease in the database first, so with several Waggle servers on one
//! PostgreSQL exactly one of them syncs a given MISP server at a time.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use crate::app::App;
use crate::service::misp::sync;

/// How often due servers are looked for: a quarter of the shortest interval an
/// administrator may set at run time (or of the configuration file's, if shorter), at least
/// a second. The schedule itself (the shared interval, each server's own, the backoff) is
/// in the database and read at every tick, so this never needs a restart.
pub fn tick(app: &App) -> Duration {
    let shortest = app.config.misp.sync_interval_secs.min(crate::service::misp::interval::MIN_SECS.unsigned_abs());
    Duration::from_secs((shortest / 4).max(1))
}

/// Runs until `stop` turns true. A run interrupted by shutdown gives its leases back.
pub async fn poll(app: App, mut stop: watch::Receiver<bool>) {
    let owner = format!("poller-{}", crate::auth::secrets::new_token(9));
    let mut interval = tokio::time::interval(tick(&app));
    interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
    tracing::info!(%owner, every_secs = tick(&app).as_secs(), "MISP poller started");
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => break,
        }
        tokio::select! {
            result = sync::run_due(&app, &owner, crate::clock::now_ms()) => match result {
                Ok(reports) => {
                    for r in reports {
                        tracing::info!(server = %r.server, ok = r.ok, created = r.created, updated = r.updated,
                            failed = r.failed.len(), error = r.error.as_deref().unwrap_or(""), "MISP sync run");
                    }
                }
                Err(e) => tracing::error!(error = %e, "MISP poller: cannot look for due servers"),
            },
            _ = stop.changed() => {
                sync::release_all(&app, &owner).await;
                break;
            }
        }
    }
    tracing::info!(%owner, "MISP poller stopped");
}
