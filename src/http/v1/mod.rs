//! TheHive API v1 (`/api/v1`), TheHive 5 output shapes, TheHive 4 and 5 input spellings.

pub mod audit;
pub mod case_templates;
pub mod cases;
pub mod comments;
pub mod custom_events;
pub mod login;
pub mod misp;
pub mod observable_types;
pub mod organisations;
pub mod pages;
pub mod profiles;
pub mod query;
pub mod render;
pub mod render_cases;
pub mod render_query;
pub mod status;
pub mod tasks;
pub mod users;

pub mod alerts;
pub mod attachments;
pub mod download;
pub mod observables;
pub mod procedures;
pub mod render_alerts;

pub mod organisation_links;
pub mod render_shares;
pub mod shares;

use axum::Router;

use crate::app::App;

pub fn router() -> Router<App> {
    Router::new()
        .merge(status::router())
        .merge(login::router())
        .merge(users::router())
        .merge(organisations::router())
        .merge(profiles::router())
        .merge(observable_types::router())
        .merge(audit::router())
        .merge(query::router())
        .merge(alerts::router())
        .merge(observables::router())
        .merge(attachments::router())
        .merge(procedures::router())
        .merge(cases::router())
        .merge(tasks::router())
        .merge(comments::router())
        .merge(custom_events::router())
        .merge(pages::router())
        .merge(case_templates::router())
        .merge(shares::router())
        .merge(organisation_links::router())
        .merge(misp::router())
}
