//! The signed-in user's own account: name and email, password, API key.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::error::UiError;
use super::form::UiForm;
use super::page::{Ctx, Ui, done, or_show_again};
use crate::app::App;
use crate::service::users::{self, UserView};

pub fn router() -> Router<App> {
    Router::new()
        .route("/profile", get(show).post(update))
        .route("/profile/password", post(change_password))
        .route("/profile/key/renew", post(renew_key))
        .route("/profile/key/reveal", post(reveal_key))
        .route("/profile/key/remove", post(remove_key))
}

#[derive(Template)]
#[template(path = "ui/profile.html")]
struct Profile<'a> {
    ctx: &'a Ctx,
    me: &'a UserView,
    /// The key in clear, right after it was renewed or revealed.
    key: Option<&'a str>,
    error: Option<&'a str>,
}

async fn render(app: &App, ui: &Ui, key: Option<&str>, error: Option<&str>) -> Result<Response, UiError> {
    let me = users::current(app, &ui.caller).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    ui.page_with_status(status, "My profile", Profile { ctx: &ui.ctx, me: &me, key, error })
}

async fn show(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    render(&app, &ui, None, None).await
}

/// Shows the form again with the service's refusal, or goes on with a message.
async fn outcome(
    app: &App,
    ui: &Ui,
    result: Result<(), crate::error::ApiError>,
    code: &str,
) -> Result<Response, UiError> {
    or_show_again(result.map(|()| done("/profile", code)), |msg| async move { render(app, ui, None, Some(&msg)).await })
        .await
}

async fn update(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let body = json!({"name": form.get("name").unwrap_or_default(), "email": form.get("email").unwrap_or_default()});
    let me = crate::ids::render_id(ui.caller.user_id);
    let result = if body["name"] == "" {
        Err(crate::error::ApiError::missing("name"))
    } else {
        users::update(&app, &ui.caller, &me, &body).await
    };
    outcome(&app, &ui, result, "saved").await
}

async fn change_password(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let me = crate::ids::render_id(ui.caller.user_id);
    let result = if form.raw("password") != form.raw("confirm") {
        Err(crate::error::ApiError::BadRequest("The two new passwords differ".into()))
    } else {
        let body = json!({"currentPassword": form.raw("current").unwrap_or_default(), "password": form.raw("password").unwrap_or_default()});
        users::change_password(&app, &ui.caller, &me, &body).await
    };
    outcome(&app, &ui, result, "password").await
}

/// Renewing shows the new key once, on the page that answers the form.
async fn renew_key(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    let key = users::renew_key(&app, &ui.caller, &crate::ids::render_id(ui.caller.user_id)).await?;
    render(&app, &ui, Some(&key), None).await
}

/// Revealing is a POST: reading a credential is worth a CSRF token and an explicit click.
async fn reveal_key(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    let key = users::reveal_key(&app, &ui.caller, &crate::ids::render_id(ui.caller.user_id)).await?;
    render(&app, &ui, Some(&key), None).await
}

async fn remove_key(State(app): State<App>, ui: Ui) -> Result<Response, UiError> {
    let result = users::remove_key(&app, &ui.caller, &crate::ids::render_id(ui.caller.user_id)).await;
    outcome(&app, &ui, result, "key-removed").await
}
