//! Running a query of TheHive's DSL (`POST /api/v1/query`, spec §3) for a caller: parse,
//! compile and run it in one read transaction bounded by the statement timeout, then
//! hydrate the ids it returned with each entity's own loader (`hydrate.rs`), so that every
//! object is the one its REST `GET` shows, plus the `extraData` its `page` step asked for
//! (`extra.rs`).
//!
//! Every failure the client can cause is a 400 `BadRequest` naming the offending part;
//! visibility is the storage layer's business (storage::query applies it to every set).

mod extra;
mod hydrate;

use std::time::Duration;

use serde_json::Value;

pub use extra::Extra;
pub use hydrate::EntityView;

use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::query::{QueryError, parse_query};
use crate::service::cases::CaseView;
use crate::storage::observables::SimilarCase;
use crate::storage::query::{self, Limits, Outcome, QueryContext, RunError};
use crate::storage::{Tx, organisations};

/// One object of an answer.
pub struct Item {
    pub view: EntityView,
    /// `extraData` entries asked for by the `page` step, in the order asked.
    pub extra: Vec<(String, Extra)>,
}

/// The answer to a query; its shape decides the response (spec §3.1).
pub enum Answer {
    /// A JSON array of objects. `total` goes to `X-Total`. `organisation_id` is the
    /// organisation whose profile user objects show (the caller's, or `page.organisation`).
    Entities {
        items: Vec<Item>,
        total: Option<i64>,
        organisation_id: i64,
        exclude_fields: Vec<String>,
    },
    Number(i64),
    Strings(Vec<String>),
    /// `similarCases` (spec §3.3): newest case first.
    SimilarCases(Vec<(CaseView, SimilarCase)>),
    /// `linkedCases` (spec §3.3): per case of the set, its linked cases.
    LinkedCases(Vec<crate::service::cases::links::Link>),
    /// `aggregation` (spec §3.7): one object.
    Json(Value),
}

/// The query limits of the configuration, as the storage layer takes them.
pub fn limits(app: &App) -> Limits {
    Limits {
        max_results: app.config.query.max_results,
        limited_count_threshold: app.config.query.limited_count_threshold,
    }
}

pub fn context(caller: &Caller) -> QueryContext {
    QueryContext { scope: caller.scope(), user_id: caller.user_id, login: caller.login.clone() }
}

/// Maps a failed run to the error the client sees: its own mistakes and timeouts are
/// 400s; only a database failure is a 500.
pub fn run_error(app: &App, e: RunError) -> ApiError {
    match e {
        RunError::Query(e) => bad_query(e),
        RunError::Storage(e) if e.is_timeout() => ApiError::BadRequest(format!(
            "The query took longer than {} ms and was stopped; narrow its filter or page it",
            app.config.query.timeout_ms
        )),
        RunError::Storage(e) => e.into(),
    }
}

pub fn bad_query(e: QueryError) -> ApiError {
    ApiError::BadRequest(e.to_string())
}

/// Opens the read transaction a query runs in, with the configured statement timeout.
pub async fn read_tx(app: &App) -> Result<Tx, ApiError> {
    let mut tx = app.store.read().await?;
    query::limit_duration(&mut tx, Duration::from_millis(app.config.query.timeout_ms)).await?;
    Ok(tx)
}

/// `POST /api/v1/query`.
pub async fn run(app: &App, caller: &Caller, body: &Value) -> Result<Answer, ApiError> {
    let parsed = parse_query(body).map_err(bad_query)?;
    let mut tx = read_tx(app).await?;
    let ctx = context(caller);
    let outcome =
        query::run(&mut tx, &ctx, limits(app), &parsed.initial, &parsed.steps).await.map_err(|e| run_error(app, e))?;
    let answer = match outcome {
        Outcome::Number(n) => Answer::Number(n),
        Outcome::Strings(s) => Answer::Strings(s),
        Outcome::SimilarCases { cases, slice, count } => {
            let mut list = Vec::with_capacity(cases.len());
            for stats in cases {
                if let Some(case) = hydrate::case_view(&mut tx, caller, stats.case_id).await? {
                    list.push((case, stats));
                }
            }
            list.sort_by(|(a, x), (b, y)| {
                b.case
                    .meta
                    .created_at
                    .cmp(&a.case.meta.created_at)
                    .then(y.similar_observables.cmp(&x.similar_observables))
            });
            if let Some((from, size)) = slice {
                let from = usize::try_from(from).unwrap_or(usize::MAX);
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                list = list.into_iter().skip(from).take(size).collect();
            }
            if count {
                Answer::Number(i64::try_from(list.len()).unwrap_or(i64::MAX))
            } else {
                Answer::SimilarCases(list)
            }
        }
        Outcome::Aggregation(v) => Answer::Json(v),
        Outcome::LinkedCases { case_ids, slice, count } => {
            let mut list = Vec::new();
            for id in case_ids {
                list.extend(crate::service::cases::links::links_of(&mut tx, caller, id).await?);
            }
            if let Some((from, size)) = slice {
                let from = usize::try_from(from).unwrap_or(usize::MAX);
                let size = usize::try_from(size).unwrap_or(usize::MAX);
                list = list.into_iter().skip(from).take(size).collect();
            }
            if count {
                Answer::Number(i64::try_from(list.len()).unwrap_or(i64::MAX))
            } else {
                Answer::LinkedCases(list)
            }
        }
        Outcome::Entities { entity, ids, page, total } => {
            let organisation_id = match page.as_ref().and_then(|p| p.organisation.as_deref()) {
                Some(name) => organisations::find(&mut tx, &caller.scope(), name)
                    .await?
                    .map(|o| o.id)
                    .unwrap_or(caller.organisation_id),
                None => caller.organisation_id,
            };
            let views = hydrate::hydrate(&mut tx, caller, entity, &ids).await?;
            let names = page.map(|p| p.extra_data).unwrap_or_default();
            let extras = extra::compute(&mut tx, caller, &ctx, &views, &names).await?;
            let items = views.into_iter().zip(extras).map(|(view, extra)| Item { view, extra }).collect();
            Answer::Entities { items, total, organisation_id, exclude_fields: parsed.exclude_fields }
        }
    };
    Ok(answer)
}
