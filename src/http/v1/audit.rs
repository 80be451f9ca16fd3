//! `/audit`: the latest audit entries the caller may see (spec §1.16).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::Value;

use super::render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;

pub fn router() -> Router<App> {
    Router::new().route("/audit", get(list))
}

async fn list(State(app): State<App>, caller: Caller) -> Result<axum::Json<Value>, ApiError> {
    let entries = crate::service::audit::recent(&app, &caller, 10).await?;
    Ok(axum::Json(Value::Array(entries.iter().map(render::audit).collect())))
}
