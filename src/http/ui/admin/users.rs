//! Users: list per organisation, create, edit, lock and unlock, reset password, API key,
//! memberships (spec §1.13, §4.5).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::app::App;
use crate::auth::{ADMIN_ORG, permissions};
use crate::error::ApiError;
use crate::http::ui::error::UiError;
use crate::http::ui::filter_builder::{Advanced, ListChrome, USER_FIELDS};
use crate::http::ui::form::UiForm;
use crate::http::ui::listing;
use crate::http::ui::page::{Ctx, Ui, done, or_show_again};
use crate::service::query::EntityView;
use crate::service::users::{self, UserView};
use crate::service::{organisations, profiles};
use crate::storage::profiles::Profile;

pub fn router() -> Router<App> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", get(show).post(update))
        .route("/users/{id}/lock", post(lock))
        .route("/users/{id}/unlock", post(unlock))
        .route("/users/{id}/password", post(set_password))
        .route("/users/{id}/key/renew", post(renew_key))
        .route("/users/{id}/key/reveal", post(reveal_key))
        .route("/users/{id}/key/remove", post(remove_key))
        .route("/users/{id}/memberships", post(add_membership))
        .route("/users/{id}/memberships/profile", post(change_profile))
        .route("/users/{id}/memberships/remove", post(remove_membership))
        .route("/users/{id}/reset", post(reset_throttle))
}

#[derive(Deserialize)]
struct OrgParam {
    organisation: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "ui/admin/users.html")]
struct List<'a> {
    ctx: &'a Ctx,
    organisation: &'a str,
    organisation_id: i64,
    organisations: &'a [String],
    users: &'a [UserView],
    profiles: &'a [Profile],
    lf: ListChrome<'a>,
    error: Option<&'a str>,
    values: &'a UiForm,
}

#[derive(Template)]
#[template(path = "ui/admin/user.html")]
struct Detail<'a> {
    ctx: &'a Ctx,
    u: &'a UserView,
    organisations: &'a [String],
    profiles: &'a [Profile],
    key: Option<&'a str>,
    error: Option<&'a str>,
}

/// Profiles that may be given in `org` (admin-scope profiles only in the admin organisation).
fn grantable(all: Vec<Profile>, org: &str) -> Vec<Profile> {
    all.into_iter().filter(|p| org == ADMIN_ORG || !permissions::is_admin_profile(&p.permissions)).collect()
}

/// Names of the organisations the caller can administer users in.
async fn manageable_orgs(app: &App, ui: &Ui) -> Result<Vec<String>, ApiError> {
    if ui.caller.in_admin_org() {
        Ok(organisations::list(app, &ui.caller).await?.into_iter().map(|o| o.org.name).collect())
    } else {
        Ok(vec![ui.caller.organisation.clone()])
    }
}

async fn render_list(
    app: &App,
    ui: &Ui,
    org: Option<&str>,
    error: Option<&str>,
    values: &UiForm,
) -> Result<Response, UiError> {
    render_filtered(app, ui, org, error, values, &Advanced::default(), 1).await
}

async fn render_filtered(
    app: &App,
    ui: &Ui,
    org: Option<&str>,
    error: Option<&str>,
    values: &UiForm,
    adv: &Advanced,
    page: i64,
) -> Result<Response, UiError> {
    let org_name = org.unwrap_or(&ui.caller.organisation).to_owned();
    let org = organisations::get(app, &ui.caller, &org_name).await?;
    // The organisation's members, through the query service like every list.
    let head = vec![json!({"_name": "getOrganisation", "idOrName": org.org.name}), json!({"_name": "users"})];
    let (mut slice, refused) =
        listing::with_builder(app, &ui.caller, head, adv, USER_FIELDS, ("login", "asc"), page).await?;
    let users: Vec<UserView> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::User(u) => Some(*u),
            _ => None,
        })
        .collect();
    let error = error.or(refused.as_deref());
    let organisations = manageable_orgs(app, ui).await?;
    let profiles = grantable(profiles::list(app).await?, &org.org.name);
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Users of {}", org.org.name);
    let page = List {
        ctx: &ui.ctx,
        organisation: &org.org.name,
        organisation_id: org.org.id,
        organisations: &organisations,
        users: &users,
        profiles: &profiles,
        lf: ListChrome {
            path: "/admin/users",
            keep: vec![("organisation", org.org.name.clone())],
            adv,
            fields: USER_FIELDS,
            slice: Some(&slice),
        },
        error,
        values,
    };
    ui.page_with_status(status, &title, page)
}

async fn list(State(app): State<App>, ui: Ui, Query(q): Query<OrgParam>, adv: Advanced) -> Result<Response, UiError> {
    let org = q.organisation.filter(|o| !o.trim().is_empty());
    render_filtered(&app, &ui, org.as_deref(), None, &UiForm::default(), &adv, q.page.unwrap_or(1)).await
}

async fn create(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let mut body = form.json(&["login", "name", "email", "profile", "organisation"]);
    if let Some(p) = form.raw("password") {
        body["password"] = json!(p);
    }
    let result = users::create(&app, &ui.caller, &body)
        .await
        .map(|u| done(&format!("/admin/users/{}", crate::ids::render_id(u.user.id)), "created"));
    let org = form.get("organisation").map(str::to_owned);
    or_show_again(result, |msg| async move { render_list(&app, &ui, org.as_deref(), Some(&msg), &form).await }).await
}

async fn render_detail(
    app: &App,
    ui: &Ui,
    id: &str,
    key: Option<&str>,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let u = users::get(app, &ui.caller, id).await?;
    let organisations = manageable_orgs(app, ui).await?;
    let mut profiles = profiles::list(app).await?;
    if !ui.caller.in_admin_org() {
        profiles = grantable(profiles, &ui.caller.organisation);
    }
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("User {}", u.user.login);
    let page = Detail { ctx: &ui.ctx, u: &u, organisations: &organisations, profiles: &profiles, key, error };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    render_detail(&app, &ui, &id, None, None).await
}

/// The common ending of the user page's forms.
async fn outcome(app: &App, ui: &Ui, id: &str, result: Result<(), ApiError>, code: &str) -> Result<Response, UiError> {
    let to = format!("/admin/users/{id}");
    or_show_again(
        result.map(|()| done(&to, code)),
        |msg| async move { render_detail(app, ui, id, None, Some(&msg)).await },
    )
    .await
}

async fn update(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let body = json!({"name": form.get("name").unwrap_or_default(), "email": form.get("email").unwrap_or_default()});
    let result = if body["name"] == "" {
        Err(ApiError::missing("name"))
    } else {
        users::update(&app, &ui.caller, &id, &body).await
    };
    outcome(&app, &ui, &id, result, "saved").await
}

async fn lock(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let result = users::update(&app, &ui.caller, &id, &json!({"locked": true})).await;
    outcome(&app, &ui, &id, result, "locked").await
}

async fn unlock(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let result = users::update(&app, &ui.caller, &id, &json!({"locked": false})).await;
    outcome(&app, &ui, &id, result, "unlocked").await
}

async fn set_password(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let body = json!({"password": form.raw("password").unwrap_or_default()});
    let result = users::set_password(&app, &ui.caller, &id, &body).await;
    outcome(&app, &ui, &id, result, "password").await
}

async fn renew_key(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let key = users::renew_key(&app, &ui.caller, &id).await?;
    render_detail(&app, &ui, &id, Some(&key), None).await
}

async fn reveal_key(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let key = users::reveal_key(&app, &ui.caller, &id).await?;
    render_detail(&app, &ui, &id, Some(&key), None).await
}

async fn remove_key(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let result = users::remove_key(&app, &ui.caller, &id).await;
    outcome(&app, &ui, &id, result, "key-removed").await
}

/// Adds the account to another organisation (the API's "create an existing login").
async fn add_membership(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let result = async {
        let u = users::get(&app, &ui.caller, &id).await?;
        let body = json!({
            "login": u.user.login, "name": u.user.name,
            "organisation": form.require("organisation")?, "profile": form.require("profile")?,
        });
        users::create(&app, &ui.caller, &body).await.map(|_| ())
    }
    .await;
    outcome(&app, &ui, &id, result, "member-added").await
}

async fn change_profile(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let body = form.json(&["organisation", "profile"]);
    let result = match (form.get("organisation"), form.get("profile")) {
        (Some(_), Some(_)) => users::update(&app, &ui.caller, &id, &body).await,
        (None, _) => Err(ApiError::missing("organisation")),
        (_, None) => Err(ApiError::missing("profile")),
    };
    outcome(&app, &ui, &id, result, "saved").await
}

/// Removes a membership; the account itself goes when its last membership does.
async fn remove_membership(
    State(app): State<App>,
    ui: Ui,
    Path(id): Path<String>,
    form: UiForm,
) -> Result<Response, UiError> {
    let org = form.require("organisation")?.to_owned();
    let result = users::remove(&app, &ui.caller, &id, Some(&org)).await;
    if result.is_ok() && users::get(&app, &ui.caller, &id).await.is_err() {
        return Ok(done("/admin/users", "member-removed"));
    }
    outcome(&app, &ui, &id, result, "member-removed").await
}

/// Clears the failed-login slowdown of an account, as `POST /user/{id}/reset` does.
async fn reset_throttle(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let u = users::get(&app, &ui.caller, &id).await?;
    ui.caller.require(crate::auth::perm::MANAGE_USER, "reset user")?;
    app.throttle.succeeded(&u.user.login);
    Ok(done(&format!("/admin/users/{id}"), "throttle-reset"))
}
