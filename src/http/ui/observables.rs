//! The observable list: every observable the caller may see, in cases and alerts, narrowed
//! with the advanced filter builder (an IOC hunt: "domain contains evil and IOC", "hash is
//! x or filename is y"). The query service runs it, with the visibility rule of the API.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use super::error::UiError;
use super::filter_builder::{Advanced, ListChrome, OBSERVABLE_FIELDS};
use super::listing::{self, PageParam};
use super::page::Ui;
use crate::app::App;
use crate::service::query::EntityView;
use crate::storage::observables::{Observable, Parent};

pub fn router() -> Router<App> {
    Router::new().route("/observables", get(list))
}

/// An observable with the link to where it lives.
pub struct Row {
    pub o: Observable,
    pub home: String,
    pub home_label: &'static str,
}

#[derive(Template)]
#[template(path = "ui/observables.html")]
struct List<'a> {
    rows: &'a [Row],
    lf: ListChrome<'a>,
    error: Option<&'a str>,
}

async fn list(State(app): State<App>, ui: Ui, Query(p): Query<PageParam>, adv: Advanced) -> Result<Response, UiError> {
    let head = vec![json!({"_name": "listObservable"})];
    let (mut slice, refused) = listing::with_builder(
        &app,
        &ui.caller,
        head,
        &adv,
        OBSERVABLE_FIELDS,
        ("_createdAt", "desc"),
        p.page.unwrap_or(1),
    )
    .await?;
    let rows: Vec<Row> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::Observable(o) => Some(*o),
            _ => None,
        })
        .map(|o| {
            let (home, home_label) = match o.parent {
                Parent::Case(id) => (format!("/cases/{}", crate::ids::render_id(id)), "case"),
                Parent::Alert(id) => (format!("/alerts/{}", crate::ids::render_id(id)), "alert"),
            };
            Row { o, home, home_label }
        })
        .collect();
    let status = if refused.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let lf = ListChrome {
        path: "/observables",
        keep: Vec::new(),
        adv: &adv,
        fields: OBSERVABLE_FIELDS,
        slice: Some(&slice),
    };
    ui.page_with_status(status, "Observables", List { rows: &rows, lf, error: refused.as_deref() })
}
