//! Logging set-up. `WAGGLE_LOG` (an env-filter directive) overrides the default level.

use tracing_subscriber::EnvFilter;

pub fn init(default_level: &str) {
    // sqlx reports slow statements at WARN with their full text, which for bulk inserts is
    // megabytes of placeholders; our own request logging already reports slow requests.
    let filter =
        EnvFilter::try_from_env("WAGGLE_LOG").unwrap_or_else(|_| EnvFilter::new(format!("{default_level},sqlx=error")));
    // Ignore the error of a second initialisation (tests initialise once per process).
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}
