//! The global search box: full-text over everything the caller may see (the query
//! service's ranking), each hit linked to the page that shows it.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::error::UiError;
use super::page::Ui;
use crate::app::App;
use crate::query::Entity;
use crate::service::search;

pub fn router() -> Router<App> {
    Router::new().route("/search", get(results))
}

#[derive(Deserialize)]
struct Params {
    q: Option<String>,
}

/// One hit as the results page shows it.
pub struct Hit {
    pub kind: &'static str,
    pub title: String,
    pub link: Option<String>,
    pub created_at: i64,
}

#[derive(Template)]
#[template(path = "ui/search.html")]
struct Results<'a> {
    q: &'a str,
    hits: &'a [Hit],
}

fn link(entity: Entity, id: i64, case: Option<i64>, alert: Option<i64>, task: Option<i64>) -> Option<String> {
    let r = crate::ids::render_id;
    Some(match entity {
        Entity::Case => format!("/cases/{}", r(id)),
        Entity::Alert => format!("/alerts/{}", r(id)),
        Entity::Task => format!("/tasks/{}", r(id)),
        Entity::Observable => format!("/observables/{}", r(id)),
        Entity::Log => format!("/tasks/{}", r(task?)),
        _ => match (case, alert) {
            (Some(c), _) => format!("/cases/{}", r(c)),
            (None, Some(a)) => format!("/alerts/{}", r(a)),
            _ => return None,
        },
    })
}

async fn results(State(app): State<App>, ui: Ui, Query(p): Query<Params>) -> Result<Response, UiError> {
    let q = p.q.unwrap_or_default();
    let hits = if q.trim().is_empty() {
        Vec::new()
    } else {
        search::search(&app, &ui.caller, &json!({"query": q, "size": 50}))
            .await?
            .into_iter()
            .map(|h| Hit {
                kind: h.entity.label(),
                title: h.title.clone().unwrap_or_else(|| crate::ids::render_id(h.id)),
                link: link(h.entity, h.id, h.case_id, h.alert_id, h.task_id),
                created_at: h.created_at,
            })
            .collect()
    };
    let title = if q.is_empty() { "Search".to_owned() } else { format!("Search: {q}") };
    ui.page(&title, Results { q: &q, hits: &hits })
}
