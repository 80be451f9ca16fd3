//! Profiles and their permissions (spec §1.14, §6).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::app::App;
use crate::auth::permissions::{self, PERMISSIONS, PermScope};
use crate::http::ui::error::UiError;
use crate::http::ui::filter_builder::{Advanced, ListChrome, PROFILE_FIELDS};
use crate::http::ui::form::UiForm;
use crate::http::ui::listing::{self, PageParam};
use crate::http::ui::page::{Ctx, Ui, done, or_show_again};
use crate::service::profiles;
use crate::service::query::EntityView;
use crate::storage::profiles::Profile;

pub fn router() -> Router<App> {
    Router::new()
        .route("/profiles", get(list).post(create))
        .route("/profiles/{id}", get(show).post(update))
        .route("/profiles/{id}/delete", post(delete))
}

/// One permission as the checkbox list shows it.
pub struct PermissionRow {
    pub name: &'static str,
    pub label: &'static str,
    pub scope: &'static str,
    pub checked: bool,
}

fn rows(selected: &[String]) -> Vec<PermissionRow> {
    PERMISSIONS
        .iter()
        .map(|(name, scope, label)| PermissionRow {
            name,
            label,
            scope: match scope {
                PermScope::Admin => "admin organisation",
                PermScope::Organisation => "organisations",
                PermScope::Both => "everywhere",
            },
            checked: selected.iter().any(|s| s == name),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "ui/admin/profiles.html")]
struct List<'a> {
    ctx: &'a Ctx,
    profiles: &'a [Profile],
    permissions: Vec<PermissionRow>,
    lf: ListChrome<'a>,
    error: Option<&'a str>,
    values: &'a UiForm,
}

#[derive(Template)]
#[template(path = "ui/admin/profile.html")]
struct Detail<'a> {
    ctx: &'a Ctx,
    p: &'a Profile,
    editable: bool,
    admin_profile: bool,
    permissions: Vec<PermissionRow>,
    /// Stored permissions this version does not define (TheHive 5 names), kept as they are.
    other: Vec<&'a String>,
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
    let head = vec![json!({"_name": "listProfile"})];
    let (mut slice, refused) =
        listing::with_builder(app, &ui.caller, head, adv, PROFILE_FIELDS, ("name", "asc"), page).await?;
    let profiles: Vec<Profile> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::Profile(p) => Some(*p),
            _ => None,
        })
        .collect();
    let error = error.or(refused.as_deref());
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let permissions = rows(&values.all("permissions"));
    let lf = ListChrome { path: "/admin/profiles", keep: Vec::new(), adv, fields: PROFILE_FIELDS, slice: Some(&slice) };
    ui.page_with_status(status, "Profiles", List { ctx: &ui.ctx, profiles: &profiles, permissions, lf, error, values })
}

async fn list(State(app): State<App>, ui: Ui, Query(p): Query<PageParam>, adv: Advanced) -> Result<Response, UiError> {
    render_filtered(&app, &ui, None, &UiForm::default(), &adv, p.page.unwrap_or(1)).await
}

fn body(form: &UiForm) -> Value {
    json!({"name": form.get("name"), "permissions": form.all("permissions")})
}

async fn create(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let result = profiles::create(&app, &ui.caller, &body(&form))
        .await
        .map(|p| done(&format!("/admin/profiles/{}", crate::ids::render_id(p.id)), "created"));
    or_show_again(result, |msg| async move { render_list(&app, &ui, Some(&msg), &form).await }).await
}

async fn render_detail(app: &App, ui: &Ui, id: &str, error: Option<&str>) -> Result<Response, UiError> {
    let p = profiles::get(app, id).await?;
    let other = p.permissions.iter().filter(|n| !PERMISSIONS.iter().any(|(k, _, _)| k == n)).collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Profile {}", p.name);
    let page = Detail {
        ctx: &ui.ctx,
        p: &p,
        editable: permissions::is_editable(&p.name),
        admin_profile: permissions::is_admin_profile(&p.permissions),
        permissions: rows(&p.permissions),
        other,
        error,
    };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    render_detail(&app, &ui, &id, None).await
}

async fn update(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    // Permissions this screen does not know are kept, not silently dropped.
    let result = async {
        let current = profiles::get(&app, &id).await?;
        let mut perms = form.all("permissions");
        perms.extend(current.permissions.into_iter().filter(|n| !PERMISSIONS.iter().any(|(k, _, _)| k == n)));
        let body = json!({"name": form.get("name"), "permissions": perms});
        profiles::update(&app, &ui.caller, &id, &body).await
    }
    .await
    .map(|p| done(&format!("/admin/profiles/{}", crate::ids::render_id(p.id)), "saved"));
    or_show_again(result, |msg| async move { render_detail(&app, &ui, &id, Some(&msg)).await }).await
}

async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let result = profiles::delete(&app, &ui.caller, &id).await.map(|()| done("/admin/profiles", "deleted"));
    or_show_again(result, |msg| async move { render_detail(&app, &ui, &id, Some(&msg)).await }).await
}
