//! `POST /api/v1/query` (the query DSL, spec §3) and `GET|POST /api/v1/search` (the global
//! full-text search, see `service::search` for its parameters).

use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::{render, render_alerts, render_cases, render_query};
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::extract::Body;
use crate::service::cases::CaseView;
use crate::service::query::{Answer, EntityView, Extra, Item};
use crate::service::{query, search};
use crate::storage::observables::SimilarCase;

pub fn router() -> Router<App> {
    Router::new().route("/query", post(run_query)).route("/search", post(search_post).get(search_get))
}

/// The query string (`?name=cases`) is a label clients add for their logs: ignored.
async fn run_query(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let answer = query::run(&app, &caller, &body).await?;
    Ok(match answer {
        Answer::Number(n) => axum::Json(json!(n)).into_response(),
        Answer::Strings(s) => axum::Json(json!(s)).into_response(),
        Answer::SimilarCases(list) => axum::Json(similar_cases(&list)).into_response(),
        Answer::LinkedCases(list) => {
            axum::Json(Value::Array(list.iter().map(render_cases::linked_case).collect())).into_response()
        }
        Answer::Json(v) => axum::Json(v).into_response(),
        Answer::Entities { items, total, organisation_id, exclude_fields } => {
            let objects: Vec<Value> = items.iter().map(|item| object(item, organisation_id, &exclude_fields)).collect();
            let mut resp = axum::Json(Value::Array(objects)).into_response();
            if let Some(total) = total
                && let Ok(v) = HeaderValue::from_str(&total.to_string())
            {
                resp.headers_mut().insert("x-total", v);
            }
            resp
        }
    })
}

/// One object of a query answer: what its REST `GET` shows, with `extraData` filled and
/// the `excludeFields` of the query removed.
fn object(item: &Item, organisation_id: i64, exclude_fields: &[String]) -> Value {
    let mut value = entity(&item.view, organisation_id);
    if let Value::Object(m) = &mut value {
        if !item.extra.is_empty() || m.contains_key("extraData") {
            let mut extra = match m.remove("extraData") {
                Some(Value::Object(existing)) => existing,
                _ => Map::new(),
            };
            for (name, value) in &item.extra {
                extra.insert(name.clone(), extra_value(value));
            }
            m.insert("extraData".into(), Value::Object(extra));
        }
        for field in exclude_fields {
            m.remove(field);
        }
    }
    value
}

fn entity(view: &EntityView, organisation_id: i64) -> Value {
    match view {
        EntityView::Case(v) => render_cases::case(v),
        EntityView::Alert(v) => render_alerts::alert(v),
        EntityView::Task(t) => render_cases::task(t),
        // The query service hydrates logs with their attachments (sharing branch merge fix).
        EntityView::Log(l) => render_cases::log(l),
        EntityView::Observable(o) => render_alerts::observable(o),
        EntityView::User(v) => render::user(v, organisation_id, false),
        EntityView::Organisation(v) => render::organisation(v),
        EntityView::Profile(p) => render::profile(p),
        EntityView::ObservableType(t) => render::observable_type(t),
        EntityView::Audit(a) => render::audit(a),
        EntityView::CaseTemplate(t) => render_cases::case_template(t),
        EntityView::CustomField(f) => render_cases::custom_field(f),
        EntityView::Comment(c) => render_cases::comment(c),
        EntityView::Page(p) => render_cases::page(p),
        EntityView::PageTemplate(p) => render_cases::page_template(p),
        EntityView::Procedure(p) => render_alerts::procedure(p),
        EntityView::Pattern(p) => render_alerts::pattern(p),
        EntityView::Attachment(u) => render_alerts::attachment(u),
        EntityView::Generic(row) => render_query::generic(row),
    }
}

fn extra_value(extra: &Extra) -> Value {
    match extra {
        Extra::Json(v) => v.clone(),
        Extra::Case(c) => render_cases::case(c),
        Extra::Task(t, case) => {
            let mut task = render_cases::task(t);
            if let Some(case) = case {
                task["extraData"]["case"] = render_cases::case(case);
            }
            task
        }
        Extra::SimilarCases(list) => similar_cases(list),
    }
}

/// `similarCases` entries as `GET /alert/{id}/similar` renders them.
fn similar_cases(list: &[(CaseView, SimilarCase)]) -> Value {
    Value::Array(
        list.iter()
            .map(|(case, s)| {
                json!({
                    "case": render_cases::case(case),
                    "similarObservableCount": s.similar_observables,
                    "observableCount": s.observables,
                    "similarIocCount": s.similar_iocs,
                    "iocCount": s.iocs,
                })
            })
            .collect(),
    )
}

async fn search_post(State(app): State<App>, caller: Caller, Body(body): Body) -> Result<Response, ApiError> {
    let hits = search::search(&app, &caller, &body).await?;
    Ok(axum::Json(Value::Array(hits.iter().map(render_query::search_hit).collect())).into_response())
}

async fn search_get(
    State(app): State<App>,
    caller: Caller,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let params: Map<String, Value> = params.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    let hits = search::search(&app, &caller, &Value::Object(params)).await?;
    Ok(axum::Json(Value::Array(hits.iter().map(render_query::search_hit).collect())).into_response())
}
