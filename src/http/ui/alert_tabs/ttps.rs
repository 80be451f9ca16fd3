//! The alert's TTPs: the techniques its source reported or an analyst recorded, added,
//! edited and removed as on a case (they move to the case when the alert is promoted).

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use crate::app::App;
use crate::http::ui::case_tabs::outcome;
use crate::http::ui::case_tabs::ttps::{TACTICS, catalogue, change_procedure, new_procedure};
use crate::http::ui::error::UiError;
use crate::http::ui::form::UiForm;
use crate::http::ui::page::{Ctx, Ui};
use crate::service::alerts::{self, AlertView};
use crate::service::procedures::{self, ParentRef};
use crate::storage::patterns::Procedure;

pub fn router() -> Router<App> {
    Router::new()
        .route("/alerts/{id}/ttps", get(show).post(add))
        .route("/alerts/{id}/ttps/{pid}", post(change))
        .route("/alerts/{id}/ttps/{pid}/delete", post(remove))
}

#[derive(Template)]
#[template(path = "ui/alert/ttps.html")]
struct Ttps<'a> {
    ctx: &'a Ctx,
    a: &'a AlertView,
    tab: &'a str,
    procedures: &'a [Procedure],
    patterns: &'a [(String, String)],
    tactics: &'a [&'a str],
    ttp_base: String,
    can_manage: bool,
    error: Option<&'a str>,
    values: &'a UiForm,
}

async fn render(app: &App, ui: &Ui, id: &str, error: Option<&str>, values: &UiForm) -> Result<Response, UiError> {
    let a = alerts::get(app, &ui.caller, id).await?;
    let rid = crate::ids::render_id(a.alert.id);
    let mut list = procedures::list(app, &ui.caller, ParentRef::Alert(&rid)).await?;
    list.sort_by_key(|p| std::cmp::Reverse(p.occur_date));
    let patterns = catalogue(app, ui).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("TTPs · alert {}", a.alert.title);
    let page = Ttps {
        ctx: &ui.ctx,
        a: &a,
        tab: "ttps",
        procedures: &list,
        patterns: &patterns,
        tactics: TACTICS,
        ttp_base: format!("/alerts/{rid}/ttps"),
        can_manage: ui.caller.has(crate::auth::perm::MANAGE_ALERT),
        error,
        values,
    };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    render(&app, &ui, &id, None, &UiForm::default()).await
}

async fn add(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let result = match new_procedure(&form) {
        Ok(input) => procedures::create(&app, &ui.caller, ParentRef::Alert(&id), &[input]).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let to = format!("/alerts/{id}/ttps");
    outcome(result, &to, "created", |msg| async move { render(&app, &ui, &id, Some(&msg), &form).await }).await
}

async fn change(
    State(app): State<App>,
    ui: Ui,
    Path((id, pid)): Path<(String, String)>,
    form: UiForm,
) -> Result<Response, UiError> {
    let result = change_procedure(&app, &ui, ParentRef::Alert(&id), &pid, &form).await;
    let to = format!("/alerts/{id}/ttps");
    outcome(result, &to, "saved", |msg| async move { render(&app, &ui, &id, Some(&msg), &UiForm::default()).await })
        .await
}

async fn remove(State(app): State<App>, ui: Ui, Path((id, pid)): Path<(String, String)>) -> Result<Response, UiError> {
    let result = procedures::delete(&app, &ui.caller, &[pid], Some(ParentRef::Alert(&id))).await;
    let to = format!("/alerts/{id}/ttps");
    outcome(result, &to, "deleted", |msg| async move { render(&app, &ui, &id, Some(&msg), &UiForm::default()).await })
        .await
}
