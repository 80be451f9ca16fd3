//! The MISP poller: every tick, sync the MISP servers that are due (`run_due`). Each server
//! is claimed with a lease in the database first, so with several Waggle servers on one
//! PostgreSQL exactly one of them syncs a given MISP server at a time.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use crate::app::App;
use crate::service::misp::sync;

/// How often due servers are looked for: a quarter of the platform interval, between one
/// second and thirty (each server keeps its own schedule and backoff in the database).
pub fn tick(app: &App) -> Duration {
    Duration::from_secs((app.config.misp.sync_interval_secs / 4).clamp(1, 30))
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
