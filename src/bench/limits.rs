//! The limits every figure is compared with, measured in the same run: the request rate of
//! a trivial handler on the same server stack and client, and the raw SQLite insert rate of
//! the rows an alert ingestion writes.

use std::path::Path;

use axum::Router;
use axum::routing::get;

use super::load;
use super::stats::Figure;
use crate::storage::SqliteSync;

/// Requests per second of a handler that does nothing, behind Waggle's own middleware.
pub async fn trivial_handler(requests: usize, concurrency: usize) -> Result<Figure, String> {
    let router: Router = Router::new()
        .route("/ping", get(|| async { "pong" }))
        .layer(axum::middleware::from_fn(crate::http::middleware::request_context));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let url = format!("http://{}/ping", listener.local_addr().map_err(|e| e.to_string())?);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
    });
    let client = reqwest::Client::new();
    let fig = load::run("limit: trivial HTTP handler", requests, concurrency, move |_| {
        let (client, url) = (client.clone(), url.clone());
        async move { client.get(&url).send().await.map(|r| r.status().is_success()).unwrap_or(false) }
    })
    .await;
    let _ = tx.send(());
    let _ = server.await;
    Ok(fig)
}

/// Alerts per second written straight into SQLite (see `storage::raw_ingest`).
pub async fn raw_sqlite(db_path: &Path, sync: SqliteSync, alerts: usize, observables: usize) -> Result<Figure, String> {
    let wall = crate::storage::raw_ingest::insert_alerts(db_path, sync, alerts, observables)
        .await
        .map_err(|e| format!("raw insert: {e}"))?;
    let per = wall / alerts.max(1) as u32;
    Ok(Figure::from_samples("limit: raw SQLite insert (alert + 10 observables)", vec![per; alerts], 0, wall))
}
