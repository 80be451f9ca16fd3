//! The query DSL's compiler and executor: the one place that turns TheHive's query DSL
//! (parsed by `crate::query`) into SQL, and full-text search into FTS queries.
//!
//! It lives in `storage/` because it is SQL generation, and the architecture keeps all
//! SQL in the storage layer; `crate::query` stays a pure parser. Read in this order:
//! - `catalogue.rs`: per entity, its table and every DSL field → SQL expression + type;
//! - `compile.rs`: the typed tree → one statement (initial operations, traversals, sort,
//!   page, count), with the visibility rule applied to every entity set;
//! - `filter.rs`: filter expressions → SQL predicates, literals checked against types;
//! - `fulltext.rs`: `_string` and the global search over the FTS indexes;
//! - `rows.rs`: the generic loader that reads entities by id for rendering;
//! - `extra.rs`: batched statistics for `extraData` (observableStats, taskStats, ...);
//! - `dialect.rs` and `builder.rs`: the small dialect differences and bound values.
//!
//! The executor returns ids (in order) or a number; the service layer hydrates ids with
//! each entity's own loader, so a query renders objects exactly as the REST API does.

pub mod aggregate;
mod builder;
mod catalogue;
mod compile;
mod dialect;
pub mod extra;
mod filter;
mod fulltext;
pub mod rows;

use std::collections::HashMap;
use std::time::Duration;

pub use builder::{CustomFieldDef, Limits, QueryContext};
pub use fulltext::searchable_entities;

use self::compile::Plan;
use super::db::Tx;
use super::error::StorageError;
use super::observables::{self, Parent, SimilarCase};
use crate::query::ast::{Filter, Initial, Page, Step};
use crate::query::{Entity, QueryError};

/// Why a query produced no answer: the client's fault (400) or the database's.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a query produced.
#[derive(Debug)]
pub enum Outcome {
    /// Ids of `entity` in output order, with the final `page` step (whose `extraData`
    /// the service computes) and the capped total when the page asked for `total`.
    Entities {
        entity: Entity,
        ids: Vec<i64>,
        page: Option<Page>,
        total: Option<i64>,
    },
    Number(i64),
    Strings(Vec<String>),
    /// `similarCases`: per alert (in order), the visible cases sharing observables with it
    /// that pass the step's `caseFilter`, sliced by following `page` steps; `count` when a
    /// count followed.
    SimilarCases {
        cases: Vec<SimilarCase>,
        slice: Option<(u64, u64)>,
        count: bool,
    },
    /// `linkedCases`: the visible cases (in order) whose links the service computes, sliced
    /// by following `page` steps; `count` when a count followed.
    LinkedCases {
        case_ids: Vec<i64>,
        slice: Option<(u64, u64)>,
        count: bool,
    },
    /// `aggregation`: the answer object.
    Aggregation(serde_json::Value),
}

/// Bounds the run time of the statements that follow in `tx` (the query's own
/// transaction); see `Tx::limit_duration`.
pub async fn limit_duration(tx: &mut Tx, limit: Duration) -> Result<(), StorageError> {
    tx.limit_duration(limit).await
}

/// Reads the definitions of the custom fields named in `steps`.
async fn custom_fields(tx: &mut Tx, steps: &[Step]) -> Result<HashMap<String, CustomFieldDef>, StorageError> {
    let names = compile::custom_field_names(steps);
    let mut defs = HashMap::new();
    if names.is_empty() {
        return Ok(defs);
    }
    let placeholders: Vec<String> = (1..=names.len()).map(|n| format!("${n}")).collect();
    let rows = tx
        .fetch_all(
            &format!("SELECT id, name, type FROM custom_field WHERE name IN ({})", placeholders.join(", ")),
            names.iter().map(|n| n.as_str().into()).collect(),
        )
        .await?;
    for row in rows {
        let stored: String = row.get("type")?;
        let kind = catalogue::custom_field_type(&stored)
            .ok_or_else(|| StorageError::Corrupt(format!("custom_field.type {stored:?}")))?;
        defs.insert(row.get("name")?, CustomFieldDef { id: row.get("id")?, kind });
    }
    Ok(defs)
}

/// Compiles and runs a parsed query in `tx`, as `ctx` sees the data.
pub async fn run(
    tx: &mut Tx,
    ctx: &QueryContext,
    limits: Limits,
    initial: &Initial,
    steps: &[Step],
) -> Result<Outcome, RunError> {
    let cfs = custom_fields(tx, steps).await?;
    let plan = compile::compile(tx.backend(), ctx, limits, &cfs, initial, steps)?;
    tracing::debug!(?plan, "compiled query");
    match plan {
        Plan::Entities { entity, sql, args, unpaged, page } => {
            let rows = tx.fetch_all(&sql, args).await?;
            let ids = rows.iter().map(|r| r.get_idx::<i64>(0)).collect::<Result<Vec<_>, _>>()?;
            if unpaged && ids.len() as u64 > limits.max_results {
                return Err(QueryError::InvalidOperation {
                    path: "query".to_owned(),
                    reason: format!(
                        "the query matches more than {} objects; add a \"page\" step \
                         ({{\"_name\": \"page\", \"from\": 0, \"to\": 100}}) or a narrower filter",
                        limits.max_results
                    ),
                }
                .into());
            }
            let wants_total = page.as_ref().is_some_and(|p| p.extra_data.iter().any(|e| e == "total"));
            let total = if wants_total { Some(total(tx, ctx, limits, &cfs, initial, steps).await?) } else { None };
            Ok(Outcome::Entities { entity, ids, page, total })
        }
        Plan::Number { sql, args, cap } => {
            let n = tx.fetch_i64(&sql, args).await?;
            Ok(Outcome::Number(cap_count(n, cap)))
        }
        Plan::Strings { sql, args } => {
            let rows = tx.fetch_all(&sql, args).await?;
            Ok(Outcome::Strings(rows.iter().map(|r| r.get_idx(0)).collect::<Result<_, _>>()?))
        }
        Plan::SimilarCases { sql, args, case_filter, slice, count } => {
            let rows = tx.fetch_all(&sql, args).await?;
            let mut cases = Vec::new();
            for row in rows {
                let alert: i64 = row.get_idx(0)?;
                cases.extend(observables::similar_cases(tx, &ctx.scope, Parent::Alert(alert)).await?);
            }
            if let Some(filter) = case_filter {
                let ids: Vec<String> = cases.iter().map(|c| crate::ids::render_id(c.case_id)).collect();
                let steps = [Step::Filter(Filter::Id(ids)), Step::Filter(filter)];
                let kept = match compile::compile(tx.backend(), ctx, limits, &cfs, &Initial::ListCase, &steps)? {
                    Plan::Entities { sql, args, .. } => tx.fetch_all(&sql, args).await?,
                    _ => Vec::new(),
                };
                let kept: std::collections::HashSet<i64> =
                    kept.iter().map(|r| r.get_idx::<i64>(0)).collect::<Result<_, _>>()?;
                cases.retain(|c| kept.contains(&c.case_id));
            }
            Ok(Outcome::SimilarCases { cases, slice, count })
        }
        Plan::LinkedCases { sql, args, slice, count } => {
            let rows = tx.fetch_all(&sql, args).await?;
            let case_ids = rows.iter().map(|r| r.get_idx::<i64>(0)).collect::<Result<Vec<_>, _>>()?;
            Ok(Outcome::LinkedCases { case_ids, slice, count })
        }
        Plan::Aggregation { entity, sql, args, aggregation } => {
            let exec = aggregate::Exec {
                backend: tx.backend(),
                ctx,
                limits,
                custom_fields: &cfs,
                def: catalogue::require(entity)?,
            };
            let set = aggregate::IdSet { sql, args };
            Ok(Outcome::Aggregation(aggregate::run(&exec, tx, set, &aggregation).await?))
        }
    }
}

/// `X-Total` (spec §3.6): the set before the final page, counted like `limitedCount`.
async fn total(
    tx: &mut Tx,
    ctx: &QueryContext,
    limits: Limits,
    cfs: &HashMap<String, CustomFieldDef>,
    initial: &Initial,
    steps: &[Step],
) -> Result<i64, RunError> {
    let last_page = steps.iter().rposition(|s| matches!(s, Step::Page(_))).unwrap_or(steps.len());
    let mut counted: Vec<Step> = steps[..last_page].to_vec();
    counted.push(Step::LimitedCount);
    match compile::compile(tx.backend(), ctx, limits, cfs, initial, &counted)? {
        Plan::Number { sql, args, cap } => Ok(cap_count(tx.fetch_i64(&sql, args).await?, cap)),
        // A count step always compiles to a number.
        _ => Err(StorageError::Corrupt("total did not compile to a count".into()).into()),
    }
}

/// `limitedCount`: a count that reached the cap is reported as `-cap` ("cap or more").
fn cap_count(n: i64, cap: Option<u64>) -> i64 {
    match cap.map(|c| i64::try_from(c).unwrap_or(i64::MAX)) {
        Some(cap) if n >= cap => -cap,
        _ => n,
    }
}

/// One hit of the global search.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub entity: Entity,
    pub id: i64,
    pub score: f64,
    pub title: Option<String>,
    pub case_id: Option<i64>,
    pub alert_id: Option<i64>,
    pub task_id: Option<i64>,
    pub created_at: i64,
}

/// The global full-text search: the best visible matches over `entities`, ranked.
pub async fn search(
    tx: &mut Tx,
    ctx: &QueryContext,
    limits: Limits,
    text: &str,
    entities: &[Entity],
    from: u64,
    size: u64,
) -> Result<Vec<SearchHit>, RunError> {
    // Candidates per entity type: its most recent matches, enough for deep pages too.
    let window = SEARCH_WINDOW.max(10 * (from + size));
    let mut rows = search_rows(tx, ctx, limits, text, entities, from, size, Some(window)).await?;
    if (rows.len() as u64) < size {
        // Short: the terms match little, or the caller sees little of what they match.
        // Rank every match instead, so that no visible match is ever left out.
        rows = search_rows(tx, ctx, limits, text, entities, from, size, None).await?;
    }
    let mut hits = Vec::with_capacity(rows.len());
    for row in rows {
        let kind: String = row.get("kind")?;
        let entity = searchable_entities()
            .find(|e| e.label() == kind)
            .ok_or_else(|| StorageError::Corrupt(format!("search kind {kind}")))?;
        hits.push(SearchHit {
            entity,
            id: row.get("id")?,
            score: row.get("score")?,
            title: row.get("title")?,
            case_id: row.get("case_id")?,
            alert_id: row.get("alert_id")?,
            task_id: row.get("task_id")?,
            created_at: row.get("created_at")?,
        });
    }
    Ok(hits)
}

/// Compiles a query without running it (no custom field is known), for the fuzz target
/// and for debugging: the SQL text, or why the query is refused.
/// It compiles as a member of organisation 1; nothing is read.
pub fn compile_sql(
    backend: crate::storage::Backend,
    limits: Limits,
    initial: &Initial,
    steps: &[Step],
) -> Result<String, QueryError> {
    let ctx = QueryContext { scope: crate::storage::Scope::new(1, false), user_id: 1, login: "fuzz@local".into() };
    match compile::compile(backend, &ctx, limits, &HashMap::new(), initial, steps)? {
        Plan::Entities { sql, .. }
        | Plan::Number { sql, .. }
        | Plan::Strings { sql, .. }
        | Plan::SimilarCases { sql, .. }
        | Plan::LinkedCases { sql, .. }
        | Plan::Aggregation { sql, .. } => Ok(sql),
    }
}

/// How many recent matches per entity type the global search ranks in its first try.
const SEARCH_WINDOW: u64 = 1000;

#[allow(clippy::too_many_arguments)]
async fn search_rows(
    tx: &mut Tx,
    ctx: &QueryContext,
    limits: Limits,
    text: &str,
    entities: &[Entity],
    from: u64,
    size: u64,
    window: Option<u64>,
) -> Result<Vec<crate::storage::Row>, RunError> {
    let cfs = HashMap::new();
    let mut b = builder::Builder::new(tx.backend(), ctx, limits, &cfs);
    let Some(sql) = fulltext::search_statement(&mut b, text, entities, from, size, window)? else {
        return Ok(Vec::new());
    };
    Ok(tx.fetch_all(&sql, b.into_args()).await?)
}

/// Whether `entity` has a catalogue entry the generic loader can read.
pub fn has_catalogue(entity: Entity) -> bool {
    catalogue::entity(entity).is_some()
}
