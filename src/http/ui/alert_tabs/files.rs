//! The alert's attachments: upload (multipart, the CSRF token in the action's query string
//! as on the case's tab), download (always as an attachment) and delete.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::App;
use crate::error::ApiError;
use crate::http::multipart::{Input, MAX_UPLOAD};
use crate::http::ui::case_tabs::files::chosen;
use crate::http::ui::case_tabs::outcome;
use crate::http::ui::error::UiError;
use crate::http::ui::page::{Ctx, Ui};
use crate::service::alerts::{self, AlertView};
use crate::service::attachments::{self, Parent};
use crate::storage::attachments::Usage;

pub fn router() -> Router<App> {
    Router::new()
        .route("/alerts/{id}/files", get(show).post(upload))
        .route("/alerts/{id}/files/{att}/download", get(download))
        .route("/alerts/{id}/files/{att}/delete", post(remove))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

#[derive(Template)]
#[template(path = "ui/alert/files.html")]
struct Files<'a> {
    ctx: &'a Ctx,
    a: &'a AlertView,
    tab: &'a str,
    attachments: &'a [Usage],
    error: Option<&'a str>,
}

async fn render(app: &App, ui: &Ui, id: &str, error: Option<&str>) -> Result<Response, UiError> {
    let a = alerts::get(app, &ui.caller, id).await?;
    let rid = crate::ids::render_id(a.alert.id);
    let attachments = attachments::list(app, &ui.caller, Parent::Alert(&rid)).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Attachments · alert {}", a.alert.title);
    let page = Files { ctx: &ui.ctx, a: &a, tab: "files", attachments: &attachments, error };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    render(&app, &ui, &id, None).await
}

async fn upload(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    input: Result<Input, ApiError>,
) -> Result<Response, UiError> {
    let result = match input.map(chosen) {
        Ok((_, files)) if files.is_empty() => Err(ApiError::missing("attachment")),
        Ok((_, files)) => attachments::add(&app, &ui.caller, Parent::Alert(&id), &files).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let to = format!("/alerts/{id}/files");
    outcome(result, &to, "created", |msg| async move { render(&app, &ui, &id, Some(&msg)).await }).await
}

async fn download(
    State(app): State<App>,
    ui: Ui,
    Path((id, att)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let d = attachments::download_from(&app, &ui.caller, Parent::Alert(&id), &att).await?;
    Ok(crate::http::v1::download::file(d))
}

async fn remove(State(app): State<App>, ui: Ui, Path((id, att)): Path<(String, String)>) -> Result<Response, UiError> {
    let result = attachments::delete(&app, &ui.caller, Parent::Alert(&id), &att).await;
    let to = format!("/alerts/{id}/files");
    outcome(result, &to, "deleted", |msg| async move { render(&app, &ui, &id, Some(&msg)).await }).await
}
