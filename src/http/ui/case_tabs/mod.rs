//! The case page's other tabs: TTPs (procedures with the ATT&CK catalogue), attachments and
//! file observables, pages, and sharing with other organisations. Each tab is a screen of
//! its own under `/cases/{number}/…`, reached from the tab bar of the case page, so the
//! summary page stays light and each tab loads only what it shows. Handlers call the
//! service layer only; the templates hide what the case's permissions would refuse.

pub mod fields;
pub mod files;
pub mod pages;
pub mod sharing;
pub mod ttps;

use axum::Router;
use axum::response::Response;

use super::error::UiError;
use super::page::{done, or_show_again};
use crate::app::App;
use crate::error::ApiError;
use crate::service::cases::CaseView;

pub fn router() -> Router<App> {
    Router::new()
        .merge(ttps::router())
        .merge(files::router())
        .merge(pages::router())
        .merge(sharing::router())
        .merge(fields::router())
}

/// Whether the caller holds `permission` on this case (profile and share combined).
pub fn can(c: &CaseView, permission: &str) -> bool {
    c.user_permissions.iter().any(|p| p == permission)
}

/// The end of a form on a tab: back to `to` with a fixed message, or the tab again with
/// the service's refusal.
pub async fn outcome<Fut>(
    result: Result<(), ApiError>,
    to: &str,
    code: &str,
    again: impl FnOnce(String) -> Fut,
) -> Result<Response, UiError>
where
    Fut: std::future::Future<Output = Result<Response, UiError>>,
{
    or_show_again(result.map(|()| done(to, code)), again).await
}
