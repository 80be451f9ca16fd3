//! The alert page's other tabs: TTPs (procedures picked from the ATT&CK catalogue, edited
//! in place) and attachments, each a screen of its own under `/alerts/{id}/…`, and the
//! custom field values edited on the alert's summary. The same service functions as the
//! API's alert endpoints; the templates hide what `manageAlert` would refuse.

pub mod fields;
pub mod files;
pub mod ttps;

use axum::Router;

use crate::app::App;

pub fn router() -> Router<App> {
    Router::new().merge(ttps::router()).merge(files::router()).merge(fields::router())
}
