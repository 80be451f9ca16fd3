//! The attachments tab: files attached to the case (upload, download, delete) and file
//! observables (upload a sample as an observable of a file type). Uploads are multipart
//! forms, so their CSRF token travels in the action's query string (`?_csrf=`), which the
//! guard accepts for exactly this reason; the script leaves multipart forms to the browser.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::outcome;
use crate::app::App;
use crate::error::ApiError;
use crate::http::multipart::{Input, MAX_UPLOAD};
use crate::http::ui::error::UiError;
use crate::http::ui::page::{Ctx, Ui};
use crate::service::attachments::{self, Parent};
use crate::service::cases::{self, CaseView};
use crate::service::observable_types;
use crate::service::observables::{self, ParentRef};
use crate::storage::attachments::Usage;
use crate::storage::observables::Observable;

pub fn router() -> Router<App> {
    Router::new()
        .route("/cases/{number}/files", get(show).post(upload))
        .route("/cases/{number}/files/observable", post(upload_observable))
        .route("/cases/{number}/files/{att}/download", get(download))
        .route("/cases/{number}/files/{att}/delete", post(remove))
        .route("/observables/{id}/download", get(download_observable))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

#[derive(Template)]
#[template(path = "ui/case/files.html")]
struct Files<'a> {
    ctx: &'a Ctx,
    c: &'a CaseView,
    tab: &'a str,
    attachments: &'a [Usage],
    samples: &'a [Observable],
    /// Observable types whose observables are files.
    file_types: &'a [String],
    error: Option<&'a str>,
}

impl Files<'_> {
    fn can(&self, permission: &str) -> bool {
        super::can(self.c, permission)
    }
}

async fn render(app: &App, ui: &Ui, number: &str, error: Option<&str>) -> Result<Response, UiError> {
    let c = cases::get(app, &ui.caller, number).await?;
    let number = c.case.number.to_string();
    let attachments = attachments::list(app, &ui.caller, Parent::Case(&number)).await?;
    let samples: Vec<Observable> = observables::list(app, &ui.caller, ParentRef::Case(&number))
        .await?
        .into_iter()
        .filter(|o| o.file.is_some())
        .collect();
    let file_types: Vec<String> =
        observable_types::list(app).await?.into_iter().filter(|t| t.is_attachment).map(|t| t.name).collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Attachments · #{} {}", c.case.number, c.case.title);
    let page = Files {
        ctx: &ui.ctx,
        c: &c,
        tab: "files",
        attachments: &attachments,
        samples: &samples,
        file_types: &file_types,
        error,
    };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(number): Path<String>) -> Result<Response, UiError> {
    render(&app, &ui, &number, None).await
}

/// The chosen files of a multipart form; a file input left empty sends a part without name
/// or content, which is no file at all.
pub fn chosen(input: Input) -> (Value, Vec<attachments::Upload>) {
    let files = input.files.into_iter().filter(|f| !f.filename.is_empty() || !f.bytes.is_empty()).collect();
    (input.json, files)
}

async fn upload(
    State(app): State<App>,
    ui: Ui,
    Path(number): Path<String>,
    input: Result<Input, ApiError>,
) -> Result<Response, UiError> {
    let result = match input.map(chosen) {
        Ok((_, files)) if files.is_empty() => Err(ApiError::missing("attachment")),
        Ok((_, files)) => attachments::add(&app, &ui.caller, Parent::Case(&number), &files).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let to = format!("/cases/{number}/files");
    outcome(result, &to, "created", |msg| async move { render(&app, &ui, &number, Some(&msg)).await }).await
}

/// A file observable: `dataType` (a file type), `message`, `tags`, `ioc`, `sighted`, and
/// the file in part `attachment` (the name the service reads, as TheHive's API).
async fn upload_observable(
    State(app): State<App>,
    ui: Ui,
    Path(number): Path<String>,
    input: Result<Input, ApiError>,
) -> Result<Response, UiError> {
    let result = match input.map(chosen) {
        Ok((_, files)) if files.is_empty() => Err(ApiError::missing("attachment")),
        Ok((form, files)) => {
            let text = |k: &str| form.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
            let tags: Vec<&str> =
                text("tags").unwrap_or_default().split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
            let body = json!({
                "dataType": text("dataType").unwrap_or("file"),
                "message": text("message"),
                "tags": tags,
                "ioc": text("ioc").is_some(),
                "sighted": text("sighted").is_some(),
            });
            observables::create(&app, &ui.caller, ParentRef::Case(&number), &body, &files).await.and_then(|o| {
                match o.failures.into_iter().next() {
                    Some((_, e)) if o.created.is_empty() => Err(e),
                    _ => Ok(()),
                }
            })
        }
        Err(e) => Err(e),
    };
    let to = format!("/cases/{number}/files");
    outcome(result, &to, "created", |msg| async move { render(&app, &ui, &number, Some(&msg)).await }).await
}

async fn download(
    State(app): State<App>,
    ui: Ui,
    Path((number, att)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let d = attachments::download_from(&app, &ui.caller, Parent::Case(&number), &att).await?;
    Ok(crate::http::v1::download::file(d))
}

/// A file observable's content (never inline: `Content-Disposition: attachment`).
async fn download_observable(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let o = observables::get(&app, &ui.caller, &id).await?;
    let f = o.file.ok_or_else(|| ApiError::not_found("Attachment"))?;
    let d = observables::download(&app, &ui.caller, &id, &f.sha256, false).await?;
    Ok(crate::http::v1::download::file(d))
}

async fn remove(
    State(app): State<App>,
    ui: Ui,
    Path((number, att)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let result = attachments::delete(&app, &ui.caller, Parent::Case(&number), &att).await;
    let to = format!("/cases/{number}/files");
    outcome(result, &to, "deleted", |msg| async move { render(&app, &ui, &number, Some(&msg)).await }).await
}
