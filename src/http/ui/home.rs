//! The start page: where the analyst lands after signing in.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use super::error::UiError;
use super::listing::{count, eq};
use super::page::{Ctx, Ui};
use crate::app::App;
use crate::service::cases::status::STAGE_CLOSED;

pub fn router() -> Router<App> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "ui/home.html")]
struct Home<'a> {
    ctx: &'a Ctx,
    /// New alerts, my open cases, my open tasks (organisations other than admin).
    counts: Option<(i64, i64, i64)>,
}

async fn home(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    let counts = if ui.caller.in_admin_org() {
        None
    } else {
        let me = ui.caller.login.as_str();
        let new_alerts = count(&app, &ui.caller, "listAlert", vec![eq("stage", "New")]).await?;
        let my_cases =
            count(&app, &ui.caller, "listCase", vec![eq("assignee", me), json!({"_not": eq("stage", STAGE_CLOSED)})])
                .await?;
        let open_task = json!({"_in": {"_field": "status", "_values": ["Waiting", "InProgress"]}});
        let my_tasks = count(&app, &ui.caller, "listTask", vec![eq("assignee", me), open_task]).await?;
        Some((new_alerts, my_cases, my_tasks))
    };
    ui.page("Home", Home { ctx: &ui.ctx, counts })
}
