//! Custom fields (spec §1.9): global definitions, managed from the admin organisation.
//! The list, creating one (type, options typed as a comma-separated list), editing its
//! description, group, options and whether it is mandatory, and deleting it (forced
//! deletion removes its values too).

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::app::App;
use crate::error::ApiError;
use crate::http::ui::error::UiError;
use crate::http::ui::filter_builder::{Advanced, CUSTOM_FIELD_FIELDS, ListChrome};
use crate::http::ui::form::UiForm;
use crate::http::ui::listing::{self, PageParam};
use crate::http::ui::page::{Ctx, Ui, done, or_show_again};
use crate::service::custom_fields;
use crate::service::query::EntityView;
use crate::storage::custom_fields::CustomField;

pub fn router() -> Router<App> {
    Router::new()
        .route("/custom-fields", get(list).post(create))
        .route("/custom-fields/{id}", post(update))
        .route("/custom-fields/{id}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "ui/admin/custom_fields.html")]
struct List<'a> {
    ctx: &'a Ctx,
    fields: &'a [CustomField],
    types: &'a [&'a str],
    lf: ListChrome<'a>,
    error: Option<&'a str>,
    values: &'a UiForm,
}

/// `a, b, c` as the field's type wants its options (numbers for numeric types).
fn options(field_type: &str, typed: &str) -> Result<Value, ApiError> {
    let items = typed.split(',').map(str::trim).filter(|s| !s.is_empty());
    let parsed: Result<Vec<Value>, ApiError> = items
        .map(|s| match field_type {
            "integer" => {
                s.parse::<i64>().map(|n| json!(n)).map_err(|_| ApiError::invalid("options", "integer", &json!(s)))
            }
            "float" => s.parse::<f64>().map(|n| json!(n)).map_err(|_| ApiError::invalid("options", "float", &json!(s))),
            _ => Ok(json!(s)),
        })
        .collect();
    parsed.map(Value::Array)
}

/// Options as typed in the edit form.
pub fn options_text(f: &CustomField) -> String {
    f.options
        .iter()
        .map(|o| o.as_str().map(str::to_owned).unwrap_or_else(|| o.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn render_list(
    app: &App,
    ui: &Ui,
    error: Option<&str>,
    values: &UiForm,
    adv: &Advanced,
    page: i64,
) -> Result<Response, UiError> {
    let head = vec![json!({"_name": "listCustomField"})];
    let (mut slice, refused) =
        listing::with_builder(app, &ui.caller, head, adv, CUSTOM_FIELD_FIELDS, ("name", "asc"), page).await?;
    let fields: Vec<CustomField> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::CustomField(f) => Some(*f),
            _ => None,
        })
        .collect();
    let error = error.or(refused.as_deref());
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let lf = ListChrome {
        path: "/admin/custom-fields",
        keep: Vec::new(),
        adv,
        fields: CUSTOM_FIELD_FIELDS,
        slice: Some(&slice),
    };
    let page = List { ctx: &ui.ctx, fields: &fields, types: custom_fields::TYPES, lf, error, values };
    ui.page_with_status(status, "Custom fields", page)
}

async fn render(app: &App, ui: &Ui, error: Option<&str>, values: &UiForm) -> Result<Response, UiError> {
    render_list(app, ui, error, values, &Advanced::default(), 1).await
}

async fn list(State(app): State<App>, ui: Ui, Query(p): Query<PageParam>, adv: Advanced) -> Result<Response, UiError> {
    render_list(&app, &ui, None, &UiForm::default(), &adv, p.page.unwrap_or(1)).await
}

async fn create(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let result = async {
        let mut body = form.json(&["name", "displayName", "type", "group", "description"]);
        body["mandatory"] = json!(form.checked("mandatory"));
        body["options"] = options(form.value("type"), form.value("options"))?;
        custom_fields::create(&app, &ui.caller, &body).await.map(|_| done("/admin/custom-fields", "created"))
    }
    .await;
    or_show_again(result, |msg| async move { render(&app, &ui, Some(&msg), &form).await }).await
}

async fn update(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let result = async {
        let f = custom_fields::get(&app, &id).await?;
        let mut body = form.json(&["displayName", "description"]);
        body["group"] = form.get("group").map(|g| json!(g)).unwrap_or(Value::Null);
        body["mandatory"] = json!(form.checked("mandatory"));
        body["options"] = options(&f.field_type, form.value("options"))?;
        custom_fields::update(&app, &ui.caller, &id, &body).await.map(|()| done("/admin/custom-fields", "saved"))
    }
    .await;
    or_show_again(result, |msg| async move { render(&app, &ui, Some(&msg), &UiForm::default()).await }).await
}

async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let result = custom_fields::delete(&app, &ui.caller, &id, form.checked("force"))
        .await
        .map(|()| done("/admin/custom-fields", "deleted"));
    or_show_again(result, |msg| async move { render(&app, &ui, Some(&msg), &UiForm::default()).await }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_follow_the_type() {
        assert_eq!(options("integer", "1, 2,,3").ok(), Some(json!([1, 2, 3])));
        assert_eq!(options("string", " a , b ").ok(), Some(json!(["a", "b"])));
        assert!(options("integer", "1, x").is_err());
    }
}
