//! The analyst web UI, served by the same binary at `/` (issue 8, house style habit 15).
//!
//! Server-rendered with askama (templates under `templates/ui/`, compile-time checked and
//! auto-escaped), enhanced by one small script of our own (`assets/ui/app.js`) that turns
//! links and forms marked `data-swap` into fetch-based partial swaps. Every screen has one
//! handler: it renders the screen's partial, and wraps it in the layout unless the request
//! came from the script (`HX-Request`). Handlers call the same service functions as the API
//! (no SQL, no permission logic here); they only translate forms to service calls and
//! service results to templates.
//!
//! Layers (the last added wraps the others, so it runs first on the way in):
//! 1. `headers::security` — CSP and friends on every UI response, error pages included.
//! 2. `error::pages` — turns `UiError`s into friendly pages with the request id, and an
//!    expired session into a redirect to the login page.
//! 3. `csrf::guard` — refuses unsafe methods without a valid token; hands out the nonce.

pub mod admin;
pub mod alert_tabs;
pub mod alerts;
pub mod assets;
pub mod case_tabs;
pub mod cases;
pub mod csrf;
pub mod error;
pub mod filter_builder;
pub mod form;
pub mod format;
pub mod headers;
pub mod home;
pub mod item_sharing;
pub mod listing;
pub mod live;
pub mod login;
pub mod misp;
pub mod observables;
pub mod page;
pub mod profile;
pub mod search;
pub mod tasks;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};

use crate::app::App;

/// The UI's routes, as a table of contents.
pub fn router(app: App) -> Router<App> {
    Router::new()
        // Signing in and out, choosing the organisation to act in.
        .merge(login::router())
        // The analyst's own pages.
        .merge(home::router())
        .merge(profile::router())
        // Incident response: alerts, cases, tasks, observables.
        .merge(alerts::router())
        // The alert page's other tabs: TTPs, attachments, custom field values.
        .merge(alert_tabs::router())
        .merge(cases::router())
        // The case page's other tabs: TTPs, attachments, pages, sharing.
        .merge(case_tabs::router())
        .merge(tasks::router())
        // Every visible observable, with the filter builder.
        .merge(observables::router())
        // Sharing one task or observable with the case's other organisations.
        .merge(item_sharing::router())
        .merge(search::router())
        // Server-sent events: "someone changed this page".
        .merge(live::router())
        // Platform and organisation administration.
        .nest("/admin", admin::router())
        // MISP connector: server connections (admin) and export from a case.
        .merge(misp::router())
        // Embedded, cache-busted static files.
        .merge(assets::router())
        // Layers apply to the routes above only, never to the API.
        .layer(from_fn_with_state(app, csrf::guard))
        .layer(from_fn(error::pages))
        .layer(from_fn(headers::security))
}
