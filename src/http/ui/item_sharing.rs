//! Sharing one task or one observable with an organisation the case is already shared
//! with (TheHive's per-item shares, spec §2.1): the task page and the observable page show
//! which organisations see the item, and offer to share it with the case's other
//! organisations or to take it back. Shown only to those with `manageShare` on the case;
//! the service checks that again, and refuses the owner organisation's unsharing.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use serde_json::json;

use super::error::UiError;
use super::form::UiForm;
use super::page::{Ui, done, or_show_again};
use crate::app::App;
use crate::error::ApiError;
use crate::service::cases::CaseView;
use crate::service::sharing;
use crate::storage::shares::Share;

pub fn router() -> Router<App> {
    Router::new()
        .route("/tasks/{id}/shares", post(share_task))
        .route("/tasks/{id}/shares/remove", post(unshare_task))
        .route("/observables/{id}/shares", post(share_observable))
        .route("/observables/{id}/shares/remove", post(unshare_observable))
}

/// What the item's sharing section shows.
pub struct ItemSharing {
    /// Where its forms post (`/tasks/~12/shares`).
    pub base: String,
    /// Other organisations that see the item.
    pub shared: Vec<Share>,
    /// Organisations the case is shared with that do not see the item yet.
    pub candidates: Vec<String>,
}

/// Which item of the case.
#[derive(Clone, Copy)]
pub enum Item<'a> {
    Task(&'a str),
    Observable(&'a str),
}

/// The sharing section of an item of `case`, or `None` without `manageShare` on it.
pub async fn section(app: &App, ui: &Ui, case: &CaseView, item: Item<'_>) -> Result<Option<ItemSharing>, ApiError> {
    if !super::case_tabs::can(case, crate::auth::perm::MANAGE_SHARE) {
        return Ok(None);
    }
    let (shared, base) = match item {
        Item::Task(id) => (sharing::task_shares(app, &ui.caller, None, id).await?, format!("/tasks/{id}/shares")),
        Item::Observable(id) => {
            (sharing::observable_shares(app, &ui.caller, None, id).await?, format!("/observables/{id}/shares"))
        }
    };
    let candidates = sharing::list(app, &ui.caller, &case.case.number.to_string())
        .await?
        .into_iter()
        .filter(|s| s.organisation_id != ui.caller.organisation_id && !s.owner)
        .filter(|s| !shared.iter().any(|x| x.organisation_id == s.organisation_id))
        .map(|s| s.organisation)
        .collect();
    Ok(Some(ItemSharing { base, shared, candidates }))
}

/// Shares or unshares, then back to the item's page (or its page again with the refusal).
async fn change(app: &App, ui: &Ui, item: Item<'_>, grant: bool, form: &UiForm) -> Result<Response, UiError> {
    let body = json!({"organisations": form.get("organisation").map(|o| vec![o]).unwrap_or_default()});
    let (result, to) = match item {
        Item::Task(id) => {
            let r = if grant {
                sharing::share_task(app, &ui.caller, id, &body).await
            } else {
                sharing::unshare_task(app, &ui.caller, id, &body).await
            };
            (r, format!("/tasks/{id}"))
        }
        Item::Observable(id) => {
            let r = if grant {
                sharing::share_observable(app, &ui.caller, id, &body).await
            } else {
                sharing::unshare_observable(app, &ui.caller, id, &body).await
            };
            (r, format!("/observables/{id}"))
        }
    };
    or_show_again(result.map(|()| done(&to, "saved")), |msg| async move {
        match item {
            Item::Task(id) => super::tasks::render_task(app, ui, id, Some(&msg)).await,
            Item::Observable(id) => super::cases::render_observable(app, ui, id, Some(&msg)).await,
        }
    })
    .await
}

async fn share_task(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    change(&app, &ui, Item::Task(&id), true, &form).await
}

async fn unshare_task(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    change(&app, &ui, Item::Task(&id), false, &form).await
}

async fn share_observable(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    change(&app, &ui, Item::Observable(&id), true, &form).await
}

async fn unshare_observable(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    change(&app, &ui, Item::Observable(&id), false, &form).await
}
