//! Organisation links (spec §2.2): `PUT|DELETE /organisation/{id}/link/{otherId}`,
//! `GET|PUT /organisation/{id}/links`.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde_json::Value;

use super::render_shares as render;
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::service::organisation_links;

pub fn router() -> Router<App> {
    Router::new()
        .route("/organisation/{id}/link/{other}", put(link).delete(unlink))
        .route("/organisation/{id}/links", get(links).put(set_links))
}

async fn link(
    State(app): State<App>,
    caller: Caller,
    Path((id, other)): Path<(String, String)>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    organisation_links::link(&app, &caller, &id, &other, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unlink(
    State(app): State<App>,
    caller: Caller,
    Path((id, other)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    organisation_links::unlink(&app, &caller, &id, &other).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn links(State(app): State<App>, caller: Caller, Path(id): Path<String>) -> Result<axum::Json<Value>, ApiError> {
    let list = organisation_links::links(&app, &caller, &id).await?;
    Ok(axum::Json(Value::Array(list.iter().map(render::link).collect())))
}

async fn set_links(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<StatusCode, ApiError> {
    organisation_links::set_links(&app, &caller, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
