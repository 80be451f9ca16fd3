//! The pages tab: the case's Markdown pages (a knowledge base per case, TheHive 5), listed
//! by category; reading one, writing a new one, editing and deleting.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::outcome;
use crate::app::App;
use crate::http::ui::error::UiError;
use crate::http::ui::form::UiForm;
use crate::http::ui::page::{Ctx, Ui};
use crate::service::cases::{self, CaseView};
use crate::service::pages;
use crate::storage::pages::Page;

pub fn router() -> Router<App> {
    Router::new()
        .route("/cases/{number}/pages", get(show).post(create))
        .route("/cases/{number}/pages/{id}", post(update))
        .route("/cases/{number}/pages/{id}/delete", post(remove))
}

#[derive(Template)]
#[template(path = "ui/case/pages.html")]
struct Pages<'a> {
    ctx: &'a Ctx,
    c: &'a CaseView,
    tab: &'a str,
    pages: &'a [Page],
    /// The page being read (`?page=~id`), if any.
    open: Option<&'a Page>,
    /// Show the open page's edit form rather than its text.
    editing: bool,
    error: Option<&'a str>,
    values: &'a UiForm,
}

impl Pages<'_> {
    fn can_write(&self) -> bool {
        super::can(self.c, crate::auth::perm::MANAGE_PAGE)
    }
}

#[derive(Deserialize, Default)]
struct Params {
    page: Option<String>,
    edit: Option<String>,
}

async fn render(
    app: &App,
    ui: &Ui,
    number: &str,
    p: &Params,
    error: Option<&str>,
    values: &UiForm,
) -> Result<Response, UiError> {
    let c = cases::get(app, &ui.caller, number).await?;
    let number = c.case.number.to_string();
    let mut list = pages::list_for_case(app, &ui.caller, &number).await?;
    list.sort_by(|a, b| (&a.category, a.order, &a.title).cmp(&(&b.category, b.order, &b.title)));
    let open = p.page.as_deref().and_then(|id| list.iter().find(|pg| crate::http::ui::format::id(&pg.id) == id));
    if p.page.is_some() && open.is_none() {
        return Err(crate::error::ApiError::not_found("Page").into());
    }
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = match open {
        Some(pg) => format!("{} · #{} {}", pg.title, c.case.number, c.case.title),
        None => format!("Pages · #{} {}", c.case.number, c.case.title),
    };
    let page =
        Pages { ctx: &ui.ctx, c: &c, tab: "pages", pages: &list, open, editing: p.edit.is_some(), error, values };
    ui.page_with_status(status, &title, page)
}

async fn show(
    State(app): State<App>,
    ui: Ui,
    Path(number): Path<String>,
    Query(p): Query<Params>,
) -> Result<Response, UiError> {
    render(&app, &ui, &number, &p, None, &UiForm::default()).await
}

async fn create(State(app): State<App>, ui: Ui, Path(number): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let body = form.json(&["title", "category", "content"]);
    let result = pages::create_in_case(&app, &ui.caller, &number, &body).await;
    let to = match &result {
        Ok(pg) => format!("/cases/{number}/pages?page={}", crate::http::ui::format::id(&pg.id)),
        Err(_) => String::new(),
    };
    outcome(result.map(|_| ()), &to, "created", |msg| async move {
        render(&app, &ui, &number, &Params::default(), Some(&msg), &form).await
    })
    .await
}

async fn update(
    State(app): State<App>,
    ui: Ui,
    Path((number, id)): Path<(String, String)>,
    form: UiForm,
) -> Result<Response, UiError> {
    let mut body = form.json(&["title", "category"]);
    // Content may be emptied on purpose.
    body["content"] = serde_json::json!(form.value("content"));
    let result = pages::update_in_case(&app, &ui.caller, &number, &id, &body).await;
    let to = format!("/cases/{number}/pages?page={id}");
    outcome(result, &to, "saved", |msg| async move {
        let p = Params { page: Some(id), edit: Some("1".into()) };
        render(&app, &ui, &number, &p, Some(&msg), &form).await
    })
    .await
}

async fn remove(
    State(app): State<App>,
    ui: Ui,
    Path((number, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let result = pages::delete_in_case(&app, &ui.caller, &number, &id).await;
    let to = format!("/cases/{number}/pages");
    outcome(result, &to, "deleted", |msg| async move {
        render(&app, &ui, &number, &Params::default(), Some(&msg), &UiForm::default()).await
    })
    .await
}
