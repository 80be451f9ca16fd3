//! Platform status, health and licence (spec §4.6). No authentication needed.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;

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

/// `connectors.misp` as TheHive's MISP connector reports it: `{enabled, status, servers:
/// [{name, version, status, url, purpose}]}`. The server URLs are internal addresses: only
/// a signed-in caller sees them.
async fn misp_connector(app: &App, signed_in: bool) -> Value {
    let c = match crate::service::misp::status::connector(app).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "MISP connector status unavailable");
            return json!({"enabled": false, "status": "ERROR", "servers": []});
        }
    };
    let servers: Vec<Value> = c
        .servers
        .iter()
        .map(|s| {
            let mut v = json!({"name": s.name, "status": s.status, "purpose": s.purpose});
            if let Some(version) = &s.version {
                v["version"] = json!(version);
            }
            if signed_in {
                v["url"] = json!(s.url);
            }
            v
        })
        .collect();
    json!({"enabled": c.enabled, "status": c.status, "servers": servers})
}

async fn status(State(app): State<App>, caller: Result<Caller, ApiError>) -> axum::Json<Value> {
    let misp = misp_connector(&app, caller.is_ok()).await;
    axum::Json(json!({
        "versions": {
            "TheHive": env!("CARGO_PKG_VERSION"),
            "Waggle": env!("CARGO_PKG_VERSION"),
            "Scalligraph": env!("CARGO_PKG_VERSION"),
            "Play": "none",
        },
        "connectors": {"misp": misp},
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
