//! Administration screens: organisations, users, profiles and permissions, observable
//! types. What a caller may do is decided by the service layer; these screens only hide
//! the buttons a caller's permissions would refuse anyway.

pub mod attack;
pub mod case_templates;
pub mod custom_fields;
pub mod observable_types;
pub mod organisation_links;
pub mod organisations;
pub mod profiles;
pub mod users;

use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

use super::error::UiError;
use super::page::{Ctx, Ui};
use crate::app::App;

pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(index))
        .merge(organisations::router())
        .merge(users::router())
        .merge(profiles::router())
        .merge(observable_types::router())
        .merge(custom_fields::router())
        .merge(case_templates::router())
        .merge(attack::router())
        .merge(organisation_links::router())
}

#[derive(Template)]
#[template(path = "ui/admin/index.html")]
struct Index<'a> {
    ctx: &'a Ctx,
}

async fn index(ui: Ui) -> Result<Response, UiError> {
    ui.page("Administration", Index { ctx: &ui.ctx })
}
