//! Platform status, health and licence (spec §4.6). No authentication needed.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

use crate::app::App;

pub fn router() -> Router<App> {
    Router::new().route("/status", get(status)).route("/license/current", get(license)).route("/health", get(health))
}

/// `/api/status` and `/api/health` are served unversioned as well, as TheHive does.
pub fn unversioned_router() -> Router<App> {
    Router::new()
        .route("/api/status", get(status))
        .route("/api/health", get(health))
        .route("/api/v0/status", get(status))
        .route("/api/v0/health", get(health))
}

async fn status(State(app): State<App>) -> axum::Json<Value> {
    axum::Json(json!({
        "versions": {
            "TheHive": env!("CARGO_PKG_VERSION"),
            "Waggle": env!("CARGO_PKG_VERSION"),
            "Scalligraph": env!("CARGO_PKG_VERSION"),
            "Play": "none",
        },
        "connectors": {},
        "config": {
            "protectDownloadsWith": "malware",
            "authType": ["session", "basic", "local", "key"],
            "capabilities": ["changePassword", "setPassword", "authByKey", "mfa"],
            "ssoAutoLogin": false,
            "pollingDuration": 1000,
            "database": app.store.backend().name(),
        },
        "schemaStatus": [],
    }))
}

/// `Ok` when the database answers, `Error` (503) when it does not.
async fn health(State(app): State<App>) -> impl IntoResponse {
    let ok = match app.store.read().await {
        Ok(mut tx) => tx.fetch_i64("SELECT CAST(1 AS BIGINT)", vec![]).await.is_ok(),
        Err(_) => false,
    };
    if ok { (StatusCode::OK, "Ok") } else { (StatusCode::SERVICE_UNAVAILABLE, "Error") }
}

/// Waggle is free software: a community licence that never expires. thehive4py and
/// TheHive's UI read `fallback.expiresAt` and the limits.
async fn license() -> axum::Json<Value> {
    axum::Json(json!({
        "fallback": {"expiresAt": 32503680000000_i64, "maxUsers": 1_000_000, "maxOrganisations": 1_000_000},
        "current": {"type": "community", "expiresAt": 32503680000000_i64},
        "type": "community",
        "limits": {"users": {"value": 1_000_000}, "organisations": {"value": 1_000_000}},
        "features": [],
    }))
}
