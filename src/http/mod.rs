//! The HTTP edge: routers per API area, middleware, extractors. Handlers translate HTTP to
//! service calls and domain values to TheHive's JSON; they hold no SQL and no rules.

pub mod extract;
pub mod middleware;
pub mod multipart;
pub mod session;
pub mod ui;
pub mod v1;

use axum::Router;
use axum::http::{HeaderMap, Uri};

use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;

/// The whole application, as a table of contents.
pub fn router(app: App) -> Router {
    Router::new()
        // TheHive v1 API (TheHive 5 shapes).
        .nest("/api/v1", v1::router())
        // Unversioned endpoints that TheHive serves outside /v1 and that v1 clients call.
        .merge(v1::status::unversioned_router())
        .merge(v1::misp::unversioned_router())
        // The analyst web UI at `/`, with its own layers (CSP, CSRF, error pages).
        .merge(ui::router(app.clone()))
        .fallback(not_found)
        // Layers wrap the routes added above them; the request context must be the
        // outermost so that every log line, including auth failures, carries its id.
        .layer(axum::middleware::from_fn(middleware::request_context))
        .with_state(app)
}

/// Unknown routes: 404 naming the path for an authenticated caller, 401 otherwise, so that
/// an anonymous client cannot map the API (spec §0.1).
async fn not_found(caller: Result<Caller, ApiError>, uri: Uri, _headers: HeaderMap) -> ApiError {
    match caller {
        Ok(_) => ApiError::NotFound(uri.path().to_owned()),
        Err(e) => e,
    }
}
