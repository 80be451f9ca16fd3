//! Organisations: list, create, edit (spec §1.12).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use crate::app::App;
use crate::http::ui::error::UiError;
use crate::http::ui::filter_builder::{Advanced, ListChrome, ORGANISATION_FIELDS};
use crate::http::ui::form::UiForm;
use crate::http::ui::listing::{self, PageParam};
use crate::http::ui::page::{Ctx, Ui, done, or_show_again};
use crate::service::organisations::{self, OrganisationView};
use crate::service::query::EntityView;
use crate::service::users::{self, UserView};

pub fn router() -> Router<App> {
    Router::new().route("/organisations", get(list).post(create)).route("/organisations/{id}", get(show).post(update))
}

/// The rules an organisation applies to tasks and observables shared with it.
pub const SHARING_RULES: &[&str] = &["manual", "all", "none", "existingOnly", "upcomingOnly"];

#[derive(Template)]
#[template(path = "ui/admin/organisations.html")]
struct List<'a> {
    ctx: &'a Ctx,
    orgs: &'a [OrganisationView],
    lf: ListChrome<'a>,
    error: Option<&'a str>,
    values: &'a UiForm,
}

#[derive(Template)]
#[template(path = "ui/admin/organisation.html")]
struct Detail<'a> {
    ctx: &'a Ctx,
    o: &'a OrganisationView,
    members: &'a [UserView],
    rules: &'a [&'a str],
    error: Option<&'a str>,
}

async fn render_list(app: &App, ui: &Ui, error: Option<&str>, values: &UiForm) -> Result<Response, UiError> {
    render_filtered(app, ui, error, values, &Advanced::default(), 1).await
}

async fn render_filtered(
    app: &App,
    ui: &Ui,
    error: Option<&str>,
    values: &UiForm,
    adv: &Advanced,
    page: i64,
) -> Result<Response, UiError> {
    let head = vec![json!({"_name": "listOrganisation"})];
    let (mut slice, refused) =
        listing::with_builder(app, &ui.caller, head, adv, ORGANISATION_FIELDS, ("name", "asc"), page).await?;
    let orgs: Vec<OrganisationView> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::Organisation(o) => Some(*o),
            _ => None,
        })
        .collect();
    let error = error.or(refused.as_deref());
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let lf = ListChrome {
        path: "/admin/organisations",
        keep: Vec::new(),
        adv,
        fields: ORGANISATION_FIELDS,
        slice: Some(&slice),
    };
    ui.page_with_status(status, "Organisations", List { ctx: &ui.ctx, orgs: &orgs, lf, error, values })
}

async fn list(State(app): State<App>, ui: Ui, Query(p): Query<PageParam>, adv: Advanced) -> Result<Response, UiError> {
    render_filtered(&app, &ui, None, &UiForm::default(), &adv, p.page.unwrap_or(1)).await
}

async fn create(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let body = form.json(&["name", "description"]);
    let result = organisations::create(&app, &ui.caller, &body)
        .await
        .map(|o| done(&format!("/admin/organisations/{}", crate::ids::render_id(o.org.id)), "created"));
    or_show_again(result, |msg| async move { render_list(&app, &ui, Some(&msg), &form).await }).await
}

async fn render_detail(app: &App, ui: &Ui, id: &str, error: Option<&str>) -> Result<Response, UiError> {
    let o = organisations::get(app, &ui.caller, id).await?;
    // Members are listed only to those who may see them (the service decides); a refusal
    // just leaves the list out, a failure is still a failure.
    let members = match users::list(app, &ui.caller, Some(id)).await {
        Ok(m) => m,
        Err(e) if e.status().is_client_error() => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Organisation {}", o.org.name);
    ui.page_with_status(status, &title, Detail { ctx: &ui.ctx, o: &o, members: &members, rules: SHARING_RULES, error })
}

async fn show(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    render_detail(&app, &ui, &id, None).await
}

async fn update(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let mut body = form.json(&["name", "taskRule", "observableRule"]);
    body["description"] = json!(form.get("description").unwrap_or_default());
    let result = organisations::update(&app, &ui.caller, &id, &body).await;
    // The name may have changed: come back by id.
    let result = match result {
        Ok(()) => organisations::get(&app, &ui.caller, &id)
            .await
            .map(|o| done(&format!("/admin/organisations/{}", crate::ids::render_id(o.org.id)), "saved")),
        Err(e) => Err(e),
    };
    or_show_again(result, |msg| async move { render_detail(&app, &ui, &id, Some(&msg)).await }).await
}
