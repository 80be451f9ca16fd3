//! Observable types (spec §1.11): global, managed from the admin organisation.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use crate::app::App;
use crate::http::ui::error::UiError;
use crate::http::ui::filter_builder::{Advanced, ListChrome, OBSERVABLE_TYPE_FIELDS};
use crate::http::ui::form::UiForm;
use crate::http::ui::listing::{self, PageParam};
use crate::http::ui::page::{Ctx, Ui, done, or_show_again};
use crate::service::observable_types;
use crate::service::query::EntityView;
use crate::storage::observable_types::ObservableType;

pub fn router() -> Router<App> {
    Router::new()
        .route("/observable-types", get(list).post(create))
        .route("/observable-types/{id}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "ui/admin/observable_types.html")]
struct List<'a> {
    ctx: &'a Ctx,
    types: &'a [ObservableType],
    lf: ListChrome<'a>,
    error: Option<&'a str>,
    values: &'a UiForm,
}

async fn render_list(
    app: &App,
    ui: &Ui,
    error: Option<&str>,
    values: &UiForm,
    adv: &Advanced,
    page: i64,
) -> Result<Response, UiError> {
    let head = vec![json!({"_name": "listObservableType"})];
    let (mut slice, refused) =
        listing::with_builder(app, &ui.caller, head, adv, OBSERVABLE_TYPE_FIELDS, ("name", "asc"), page).await?;
    let types: Vec<ObservableType> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::ObservableType(t) => Some(*t),
            _ => None,
        })
        .collect();
    let error = error.or(refused.as_deref());
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let lf = ListChrome {
        path: "/admin/observable-types",
        keep: Vec::new(),
        adv,
        fields: OBSERVABLE_TYPE_FIELDS,
        slice: Some(&slice),
    };
    ui.page_with_status(status, "Observable types", List { ctx: &ui.ctx, types: &types, lf, error, values })
}

async fn list(State(app): State<App>, ui: Ui, Query(p): Query<PageParam>, adv: Advanced) -> Result<Response, UiError> {
    render_list(&app, &ui, None, &UiForm::default(), &adv, p.page.unwrap_or(1)).await
}

async fn create(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let body = json!({"name": form.get("name"), "isAttachment": form.checked("isAttachment")});
    let result =
        observable_types::create(&app, &ui.caller, &body).await.map(|_| done("/admin/observable-types", "created"));
    or_show_again(result, |msg| async move { render_list(&app, &ui, Some(&msg), &form, &Advanced::default(), 1).await })
        .await
}

async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let result =
        observable_types::delete(&app, &ui.caller, &id).await.map(|()| done("/admin/observable-types", "deleted"));
    or_show_again(result, |msg| async move {
        render_list(&app, &ui, Some(&msg), &UiForm::default(), &Advanced::default(), 1).await
    })
    .await
}
