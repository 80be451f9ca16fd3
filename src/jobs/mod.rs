//! Background work, started next to the HTTP server by `app::serve` and stopped with it.
//!
//! Each worker is a loop over `tokio::time::interval` (missed ticks skipped, never
//! bunched) that `select!`s on the shutdown signal, and whose body is one call to a unit of
//! work exposed by the service layer (e.g. `service::misp::sync::run_due`), so tests drive
//! that unit directly, with any `now`, without timers. Workers never take the process
//! down: a failed unit is logged and the next tick tries again.

pub mod misp;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::App;

/// The running workers and the switch that stops them.
pub struct Workers {
    stop: watch::Sender<bool>,
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

/// Starts every worker the configuration enables.
pub fn spawn(app: &App) -> Workers {
    let (stop, rx) = watch::channel(false);
    let mut handles = Vec::new();
    if app.config.misp.poller {
        handles.push(("misp-poller", tokio::spawn(misp::poll(app.clone(), rx.clone()))));
    }
    Workers { stop, handles }
}

impl Workers {
    /// Signals every worker and waits for them; a worker that panicked is reported.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for (name, handle) in self.handles {
            if let Err(e) = handle.await {
                tracing::error!(worker = name, error = %e, "background worker ended abnormally");
            }
        }
    }
}
