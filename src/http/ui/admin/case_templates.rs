//! Case templates (spec §1.8): the organisation's templates, with the defaults a new case
//! takes (title prefix, severity, TLP, PAP, tags, description) and the tasks it starts
//! with. Tasks are typed one per line as `Group: Title` (or just `Title`), in order.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::app::App;
use crate::http::ui::cases::{PAPS, SEVERITIES, TLPS, tags};
use crate::http::ui::error::UiError;
use crate::http::ui::filter_builder::{Advanced, CASE_TEMPLATE_FIELDS, ListChrome};
use crate::http::ui::form::UiForm;
use crate::http::ui::listing::{self, PageParam};
use crate::http::ui::page::{Ctx, Ui, done, or_show_again};
use crate::service::case_templates::{self, CaseTemplateView};
use crate::service::query::EntityView;

pub fn router() -> Router<App> {
    Router::new()
        .route("/case-templates", get(list).post(create))
        .route("/case-templates/{id}", get(show).post(update))
        .route("/case-templates/{id}/delete", post(delete))
}

/// `Group: Title` lines as the service's task list (the group defaults to `default`).
fn task_lines(typed: &str) -> Value {
    let tasks: Vec<Value> = typed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let (group, title) = match line.split_once(':') {
                Some((g, t)) if !g.trim().is_empty() && !t.trim().is_empty() => (g.trim(), t.trim()),
                _ => ("default", line),
            };
            json!({"title": title, "group": group, "order": i})
        })
        .collect();
    Value::Array(tasks)
}

/// The template's tasks as the textarea shows them.
pub fn tasks_text(t: &CaseTemplateView) -> String {
    t.tasks.iter().map(|tt| format!("{}: {}", tt.task.group, tt.task.title)).collect::<Vec<_>>().join("\n")
}

/// A severity/TLP/PAP default as a select's value (`""`: none).
pub fn level(v: &Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

/// The form's fields as a create/update body.
fn body_of(form: &UiForm) -> Value {
    let mut body = form.json(&["name", "displayName", "titlePrefix", "description", "severity", "tlp", "pap"]);
    for level in ["severity", "tlp", "pap"] {
        if let Some(n) = form.get(level).and_then(|v| v.parse::<i64>().ok()) {
            body[level] = json!(n);
        }
    }
    body["tags"] = tags(form, "tags");
    body["tasks"] = task_lines(form.value("tasks"));
    body
}

#[derive(Template)]
#[template(path = "ui/admin/case_templates.html")]
struct List<'a> {
    ctx: &'a Ctx,
    templates: &'a [CaseTemplateView],
    severities: &'a [(i64, &'a str)],
    tlps: &'a [(i64, &'a str)],
    paps: &'a [(i64, &'a str)],
    lf: ListChrome<'a>,
    error: Option<&'a str>,
    values: &'a UiForm,
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
    let head = vec![json!({"_name": "listCaseTemplate"})];
    let (mut slice, refused) =
        listing::with_builder(app, &ui.caller, head, adv, CASE_TEMPLATE_FIELDS, ("name", "asc"), page).await?;
    let templates: Vec<CaseTemplateView> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::CaseTemplate(t) => Some(*t),
            _ => None,
        })
        .collect();
    let error = error.or(refused.as_deref());
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let lf = ListChrome {
        path: "/admin/case-templates",
        keep: Vec::new(),
        adv,
        fields: CASE_TEMPLATE_FIELDS,
        slice: Some(&slice),
    };
    let page =
        List { ctx: &ui.ctx, templates: &templates, severities: SEVERITIES, tlps: TLPS, paps: PAPS, lf, error, values };
    ui.page_with_status(status, "Case templates", page)
}

async fn list(State(app): State<App>, ui: Ui, Query(p): Query<PageParam>, adv: Advanced) -> Result<Response, UiError> {
    render_filtered(&app, &ui, None, &UiForm::default(), &adv, p.page.unwrap_or(1)).await
}

async fn create(State(app): State<App>, ui: Ui, form: UiForm) -> Result<Response, UiError> {
    let result = case_templates::create(&app, &ui.caller, &body_of(&form))
        .await
        .map(|t| done(&format!("/admin/case-templates/{}", crate::ids::render_id(t.template.id)), "created"));
    or_show_again(result, |msg| async move { render_list(&app, &ui, Some(&msg), &form).await }).await
}

#[derive(Template)]
#[template(path = "ui/admin/case_template.html")]
struct Edit<'a> {
    ctx: &'a Ctx,
    t: &'a CaseTemplateView,
    severities: &'a [(i64, &'a str)],
    tlps: &'a [(i64, &'a str)],
    paps: &'a [(i64, &'a str)],
    error: Option<&'a str>,
}

async fn render_edit(app: &App, ui: &Ui, id: &str, error: Option<&str>) -> Result<Response, UiError> {
    let t = case_templates::get(app, &ui.caller, id).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("Case template {}", t.template.display_name);
    let page = Edit { ctx: &ui.ctx, t: &t, severities: SEVERITIES, tlps: TLPS, paps: PAPS, error };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    render_edit(&app, &ui, &id, None).await
}

async fn update(State(app): State<App>, ui: Ui, Path(id): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let mut body = body_of(&form);
    if let Some(m) = body.as_object_mut() {
        // The name identifies the template in other organisations' exports; kept as is.
        m.remove("name");
    }
    let to = format!("/admin/case-templates/{id}");
    let result = case_templates::update(&app, &ui.caller, &id, &body).await.map(|()| done(&to, "saved"));
    or_show_again(result, |msg| async move { render_edit(&app, &ui, &id, Some(&msg)).await }).await
}

async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let result = case_templates::delete(&app, &ui.caller, &id).await.map(|()| done("/admin/case-templates", "deleted"));
    or_show_again(result, |msg| async move { render_edit(&app, &ui, &id, Some(&msg)).await }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_lines_take_an_optional_group() {
        assert_eq!(
            task_lines("Triage: Read the mail\n\n Contain host \n: odd"),
            json!([
                {"title": "Read the mail", "group": "Triage", "order": 0},
                {"title": "Contain host", "group": "default", "order": 1},
                {"title": ": odd", "group": "default", "order": 2},
            ])
        );
    }
}
