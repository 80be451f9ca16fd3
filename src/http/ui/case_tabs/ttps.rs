//! The TTPs tab: the case's procedures (an ATT&CK technique observed, when, in which
//! tactic), adding one picked from the imported catalogue, editing one in place (tactic,
//! day, description) and removing one. The form readers here serve the alert's TTPs too.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::outcome;
use crate::app::App;
use crate::error::ApiError;
use crate::http::ui::error::UiError;
use crate::http::ui::form::UiForm;
use crate::http::ui::listing;
use crate::http::ui::page::{Ctx, Ui};
use crate::service::cases::{self, CaseView};
use crate::service::procedures::{self, ParentRef};
use crate::service::query::EntityView;
use crate::storage::patterns::Procedure;

pub fn router() -> Router<App> {
    Router::new()
        .route("/cases/{number}/ttps", get(show).post(add))
        .route("/cases/{number}/ttps/{id}", post(change))
        .route("/cases/{number}/ttps/{id}/delete", post(remove))
}

/// How many catalogue entries the technique picker offers (MITRE's enterprise matrix has
/// about 800 techniques and sub-techniques).
const PICKER_SIZE: i64 = 2000;

/// The ATT&CK tactics, in matrix order (the `tactic` of a procedure).
pub const TACTICS: &[&str] = &[
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

#[derive(Template)]
#[template(path = "ui/case/ttps.html")]
struct Ttps<'a> {
    ctx: &'a Ctx,
    c: &'a CaseView,
    tab: &'a str,
    procedures: &'a [Procedure],
    /// The catalogue for the picker: (ATT&CK id, name).
    patterns: &'a [(String, String)],
    tactics: &'a [&'a str],
    /// Where the rows' forms post (`/cases/12/ttps`).
    ttp_base: String,
    can_manage: bool,
    error: Option<&'a str>,
    values: &'a UiForm,
}

/// The catalogue for the technique picker: (ATT&CK id, name), revoked ones left out.
pub async fn catalogue(app: &App, ui: &Ui) -> Result<Vec<(String, String)>, ApiError> {
    Ok(listing::first(app, &ui.caller, "listPattern", ("patternId", "asc"), PICKER_SIZE)
        .await?
        .into_iter()
        .filter_map(|v| match v {
            EntityView::Pattern(p) if !p.revoked => Some((p.mitre_id, p.name)),
            _ => None,
        })
        .collect())
}

/// The "Add a TTP" form as the service's procedure input.
pub fn new_procedure(form: &UiForm) -> Result<procedures::ProcedureInput, ApiError> {
    let mut body = json!({"patternId": form.get("patternId").map(pattern_id)});
    if let Some(t) = form.get("tactic") {
        body["tactic"] = json!(t);
    }
    if let Some(d) = form.get("description") {
        body["description"] = json!(d);
    }
    if let Some(day) = form.get("occurDate") {
        // An unreadable date is refused by the service with the field named.
        body["occurDate"] = listing::day_ms(day).map(|ms| json!(ms)).unwrap_or_else(|| json!(day));
    }
    procedures::parse(&body, crate::clock::now_ms())
}

/// The row's edit form as a procedure update: a blank tactic or description clears it,
/// and the day changes the time only when it is another day (the time of day is kept).
pub fn procedure_change(form: &UiForm, current: &Procedure) -> Value {
    let mut body = json!({
        "tactic": form.get("tactic"),
        "description": form.get("description"),
    });
    if let Some(day) = form.get("occurDate")
        && day != crate::http::ui::format::day(&current.occur_date)
    {
        body["occurDate"] = listing::day_ms(day).map(|ms| json!(ms)).unwrap_or_else(|| json!(day));
    }
    body
}

/// Changes one procedure of the page it was edited on (`parent`).
pub async fn change_procedure(
    app: &App,
    ui: &Ui,
    parent: ParentRef<'_>,
    id: &str,
    form: &UiForm,
) -> Result<(), ApiError> {
    procedures::update_within(app, &ui.caller, Some(parent), id, |current| procedure_change(form, current)).await
}

async fn render(app: &App, ui: &Ui, number: &str, error: Option<&str>, values: &UiForm) -> Result<Response, UiError> {
    let c = cases::get(app, &ui.caller, number).await?;
    let number = c.case.number.to_string();
    let mut list = procedures::list(app, &ui.caller, ParentRef::Case(&number)).await?;
    list.sort_by_key(|p| std::cmp::Reverse(p.occur_date));
    let patterns = catalogue(app, ui).await?;
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let title = format!("TTPs · #{} {}", c.case.number, c.case.title);
    let page = Ttps {
        ctx: &ui.ctx,
        c: &c,
        tab: "ttps",
        procedures: &list,
        patterns: &patterns,
        tactics: TACTICS,
        ttp_base: format!("/cases/{number}/ttps"),
        can_manage: super::can(&c, "manageProcedure"),
        error,
        values,
    };
    ui.page_with_status(status, &title, page)
}

async fn show(State(app): State<App>, ui: Ui, Path(number): Path<String>) -> Result<Response, UiError> {
    render(&app, &ui, &number, None, &UiForm::default()).await
}

/// The technique field takes `T1059.001` or `T1059.001 · Name` (what the picker shows).
fn pattern_id(v: &str) -> &str {
    v.split_whitespace().next().unwrap_or_default()
}

async fn add(State(app): State<App>, ui: Ui, Path(number): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let result = match new_procedure(&form) {
        Ok(input) => procedures::create(&app, &ui.caller, ParentRef::Case(&number), &[input]).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let to = format!("/cases/{number}/ttps");
    outcome(result, &to, "created", |msg| async move { render(&app, &ui, &number, Some(&msg), &form).await }).await
}

async fn change(
    State(app): State<App>,
    ui: Ui,
    Path((number, id)): Path<(String, String)>,
    form: UiForm,
) -> Result<Response, UiError> {
    let result = change_procedure(&app, &ui, ParentRef::Case(&number), &id, &form).await;
    let to = format!("/cases/{number}/ttps");
    outcome(result, &to, "saved", |msg| async move { render(&app, &ui, &number, Some(&msg), &UiForm::default()).await })
        .await
}

async fn remove(
    State(app): State<App>,
    ui: Ui,
    Path((number, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let result = procedures::delete(&app, &ui.caller, &[id], Some(ParentRef::Case(&number))).await;
    let to = format!("/cases/{number}/ttps");
    outcome(
        result,
        &to,
        "deleted",
        |msg| async move { render(&app, &ui, &number, Some(&msg), &UiForm::default()).await },
    )
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn technique_field_takes_the_picker_label() {
        assert_eq!(super::pattern_id("T1059.001 · Command and Scripting Interpreter"), "T1059.001");
        assert_eq!(super::pattern_id(" T1566 "), "T1566");
    }
}
