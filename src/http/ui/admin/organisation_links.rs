//! Links between organisations (spec §1.12): who may share cases with whom, and under
//! which sharing profile each side's new cases are shared. Managed from the admin
//! organisation; every organisation sees its own links on its page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::App;
use crate::http::ui::error::UiError;
use crate::http::ui::form::UiForm;
use crate::http::ui::page::{Ctx, Ui, done, or_show_again};
use crate::service::organisation_links::{self, LinkView};
use crate::service::organisations::{self, OrganisationView};
use crate::service::sharing;

pub fn router() -> Router<App> {
    Router::new()
        .route("/organisations/{id}/links", get(show).post(link))
        .route("/organisations/{id}/links/{other}/delete", post(unlink))
}

#[derive(Template)]
#[template(path = "ui/admin/organisation_links.html")]
struct Links<'a> {
    ctx: &'a Ctx,
    o: &'a OrganisationView,
    links: &'a [LinkView],
    /// Organisations it could be linked to (not itself, not `admin`, not linked yet).
    candidates: &'a [String],
    /// Sharing profile names (the link types).
    types: &'a [String],
    error: Option<&'a str>,
}

async fn render(app: &App, ui: &Ui, id: &str, error: Option<&str>) -> Result<Response, UiError> {
    let o = organisations::get(app, &ui.caller, id).await?;
    let id = crate::ids::render_id(o.org.id);
    let links = organisation_links::links(app, &ui.caller, &id).await?;
    let candidates: Vec<String> = if ui.ctx.can(crate::auth::perm::MANAGE_ORGANISATION) {
        organisations::list(app, &ui.caller)
            .await?
            .into_iter()
            .map(|v| v.org.name)
            .filter(|n| n != &o.org.name && n != crate::auth::ADMIN_ORG)
            .filter(|n| !links.iter().any(|l| &l.organisation.name == n))
            .collect()
    } else {
        Vec::new()
    };
    let types: Vec<String> = sharing::sharing_profiles(app, &ui.caller).await?.into_iter().map(|s| s.name).collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Links of {}", o.org.name);
    let page = Links { ctx: &ui.ctx, o: &o, links: &links, candidates: &candidates, types: &types, error };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    render(&app, &ui, &id, None).await
}

async fn link(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let to = format!("/admin/organisations/{id}/links");
    let result = match form.require("organisation") {
        Ok(other) => {
            let body = form.json(&["linkType", "otherLinkType"]);
            organisation_links::link(&app, &ui.caller, &id, other, &body).await.map(|()| done(&to, "created"))
        }
        Err(e) => Err(e),
    };
    or_show_again(result, |msg| async move { render(&app, &ui, &id, Some(&msg)).await }).await
}

async fn unlink(
    State(app): State<App>,
    ui: Ui,
    Path((id, other)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let to = format!("/admin/organisations/{id}/links");
    let result = organisation_links::unlink(&app, &ui.caller, &id, &other).await.map(|()| done(&to, "deleted"));
    or_show_again(result, |msg| async move { render(&app, &ui, &id, Some(&msg)).await }).await
}
