//! The sharing tab: which other organisations see the case, under which permission
//! profile, and whether new tasks and observables follow (the share's rules). Sharing is
//! only possible with linked organisations (the service refuses others; the form offers
//! only those).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::outcome;
use crate::app::App;
use crate::auth::permissions::is_admin_profile;
use crate::http::ui::error::UiError;
use crate::http::ui::form::UiForm;
use crate::http::ui::page::{Ctx, Ui};
use crate::service::cases::{self, CaseView};
use crate::service::{organisation_links, profiles, sharing};
use crate::storage::shares::Share;

pub fn router() -> Router<App> {
    Router::new()
        .route("/cases/{number}/sharing", get(show).post(share))
        .route("/cases/{number}/sharing/{id}", post(update))
        .route("/cases/{number}/sharing/{id}/delete", post(unshare))
}

#[derive(Template)]
#[template(path = "ui/case/sharing.html")]
struct Sharing<'a> {
    ctx: &'a Ctx,
    c: &'a CaseView,
    tab: &'a str,
    shares: &'a [Share],
    /// Linked organisations the case is not shared with yet.
    candidates: &'a [String],
    profiles: &'a [String],
    rules: &'a [&'a str],
    error: Option<&'a str>,
}

impl Sharing<'_> {
    fn can_share(&self) -> bool {
        super::can(self.c, crate::auth::perm::MANAGE_SHARE)
    }
}

async fn render(app: &App, ui: &Ui, number: &str, error: Option<&str>) -> Result<Response, UiError> {
    let c = cases::get(app, &ui.caller, number).await?;
    let number = c.case.number.to_string();
    let shares = sharing::list(app, &ui.caller, &number).await?;
    let candidates: Vec<String> = organisation_links::links(app, &ui.caller, &ui.caller.organisation)
        .await?
        .into_iter()
        .map(|l| l.organisation.name)
        .filter(|name| !shares.iter().any(|s| &s.organisation == name))
        .collect();
    let profiles: Vec<String> =
        profiles::list(app).await?.into_iter().filter(|p| !is_admin_profile(&p.permissions)).map(|p| p.name).collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Sharing · #{} {}", c.case.number, c.case.title);
    let page = Sharing {
        ctx: &ui.ctx,
        c: &c,
        tab: "sharing",
        shares: &shares,
        candidates: &candidates,
        profiles: &profiles,
        rules: sharing::RULES,
        error,
    };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(number): Path<String>) -> Result<Response, UiError> {
    render(&app, &ui, &number, None).await
}

async fn share(State(app): State<App>, ui: Ui, Path(number): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let entry = form.json(&["organisation", "profile", "taskRule", "observableRule"]);
    let result = sharing::create(&app, &ui.caller, &number, &json!({ "shares": [entry] })).await.map(|_| ());
    let to = format!("/cases/{number}/sharing");
    outcome(result, &to, "created", |msg| async move { render(&app, &ui, &number, Some(&msg)).await }).await
}

async fn update(
    State(app): State<App>,
    ui: Ui,
    Path((number, id)): Path<(String, String)>,
    form: UiForm,
) -> Result<Response, UiError> {
    let body = form.json(&["profile", "taskRule", "observableRule"]);
    let result = sharing::update(&app, &ui.caller, &id, &body).await.map(|_| ());
    let to = format!("/cases/{number}/sharing");
    outcome(result, &to, "saved", |msg| async move { render(&app, &ui, &number, Some(&msg)).await }).await
}

async fn unshare(
    State(app): State<App>,
    ui: Ui,
    Path((number, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let result = sharing::remove(&app, &ui.caller, &id).await;
    let to = format!("/cases/{number}/sharing");
    outcome(result, &to, "deleted", |msg| async move { render(&app, &ui, &number, Some(&msg)).await }).await
}
