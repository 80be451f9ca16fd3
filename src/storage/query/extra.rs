//! Batched reads behind the `extraData` of a query page (spec §3.5): one statement per kind
//! of statistic for all the objects of the page, never one per object. Counts go through
//! the visibility rule, so a statistic never reveals what the caller may not see.

use std::collections::{HashMap, HashSet};

use super::builder::{Builder, Limits, QueryContext};
use super::compile::visibility;
use crate::query::Entity;
use crate::storage::{Row, StorageError, Tx};

fn builder<'a>(
    tx: &Tx,
    ctx: &'a QueryContext,
    empty: &'a HashMap<String, super::builder::CustomFieldDef>,
) -> Builder<'a> {
    Builder::new(tx.backend(), ctx, Limits { max_results: 0, limited_count_threshold: 0 }, empty)
}

fn id_list(b: &mut Builder, ids: &[i64]) -> String {
    ids.iter().map(|id| b.bind(*id)).collect::<Vec<_>>().join(", ")
}

async fn rows(tx: &mut Tx, b: Builder<'_>, sql: &str) -> Result<Vec<Row>, StorageError> {
    tx.fetch_all(sql, b.into_args()).await
}

/// A parent-id column of rows, e.g. (`task`, `case_id`): id → parent id (absent: NULL).
/// `table` and `column` are compile-time names, never client input.
pub async fn parent_ids(
    tx: &mut Tx,
    ctx: &QueryContext,
    table: &'static str,
    column: &'static str,
    ids: &[i64],
) -> Result<HashMap<i64, Option<i64>>, StorageError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let empty = HashMap::new();
    let mut b = builder(tx, ctx, &empty);
    let list = id_list(&mut b, ids);
    let sql = format!("SELECT id, {column} AS parent FROM {table} WHERE id IN ({list})");
    rows(tx, b, &sql).await?.iter().map(|r| Ok((r.get("id")?, r.get("parent")?))).collect()
}

/// `observableStats`: visible observables per case.
pub async fn case_observable_counts(
    tx: &mut Tx,
    ctx: &QueryContext,
    case_ids: &[i64],
) -> Result<HashMap<i64, i64>, StorageError> {
    if case_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let empty = HashMap::new();
    let mut b = builder(tx, ctx, &empty);
    let list = id_list(&mut b, case_ids);
    let visible = visibility(&mut b, Entity::Observable, "o");
    let sql = format!(
        "SELECT o.case_id AS case_id, COUNT(*) AS n FROM observable o WHERE o.case_id IN ({list}) AND {visible} \
         GROUP BY o.case_id"
    );
    rows(tx, b, &sql).await?.iter().map(|r| Ok((r.get("case_id")?, r.get("n")?))).collect()
}

/// `taskStats`: visible, non-cancelled tasks per case and status.
pub async fn case_task_stats(
    tx: &mut Tx,
    ctx: &QueryContext,
    case_ids: &[i64],
) -> Result<HashMap<i64, Vec<(String, i64)>>, StorageError> {
    let mut out: HashMap<i64, Vec<(String, i64)>> = HashMap::new();
    if case_ids.is_empty() {
        return Ok(out);
    }
    let empty = HashMap::new();
    let mut b = builder(tx, ctx, &empty);
    let list = id_list(&mut b, case_ids);
    let visible = visibility(&mut b, Entity::Task, "t");
    let sql = format!(
        "SELECT t.case_id AS case_id, t.status AS status, COUNT(*) AS n FROM task t WHERE t.case_id IN ({list}) \
         AND t.status <> 'Cancel' AND {visible} GROUP BY t.case_id, t.status ORDER BY t.status"
    );
    for r in rows(tx, b, &sql).await? {
        out.entry(r.get("case_id")?).or_default().push((r.get("status")?, r.get("n")?));
    }
    Ok(out)
}

/// `isOwner` and `shareCount`: whether the caller's organisation owns each case, and how
/// many other organisations it is shared with. Only asked for visible cases.
pub async fn case_shares(
    tx: &mut Tx,
    ctx: &QueryContext,
    case_ids: &[i64],
) -> Result<HashMap<i64, (bool, i64)>, StorageError> {
    if case_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let empty = HashMap::new();
    let mut b = builder(tx, ctx, &empty);
    let list = id_list(&mut b, case_ids);
    let org = b.org();
    let sql = format!(
        "SELECT s.case_id AS case_id, \
         CAST(MAX(CASE WHEN s.organisation_id = ${org} AND s.owner = TRUE THEN 1 ELSE 0 END) AS BIGINT) AS mine, \
         COUNT(*) AS n FROM share s WHERE s.case_id IN ({list}) GROUP BY s.case_id"
    );
    rows(tx, b, &sql)
        .await?
        .iter()
        .map(|r| {
            let n: i64 = r.get("n")?;
            let mine: i64 = r.get("mine")?;
            Ok((r.get("case_id")?, (mine == 1, (n - 1).max(0))))
        })
        .collect()
}

/// `actionRequired` on cases: those with a task flagged for the caller's organisation.
pub async fn case_action_required(
    tx: &mut Tx,
    ctx: &QueryContext,
    case_ids: &[i64],
) -> Result<HashSet<i64>, StorageError> {
    if case_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let empty = HashMap::new();
    let mut b = builder(tx, ctx, &empty);
    let list = id_list(&mut b, case_ids);
    let org = b.org();
    let sql = format!(
        "SELECT DISTINCT t.case_id AS id FROM task t JOIN task_action_required r ON r.task_id = t.id \
         WHERE t.case_id IN ({list}) AND r.organisation_id = ${org} AND r.action_required = TRUE"
    );
    rows(tx, b, &sql).await?.iter().map(|r| r.get("id")).collect()
}

/// `actionRequired` on tasks, for the caller's organisation.
pub async fn task_action_required(
    tx: &mut Tx,
    ctx: &QueryContext,
    task_ids: &[i64],
) -> Result<HashSet<i64>, StorageError> {
    if task_ids.is_empty() {
        return Ok(HashSet::new());
    }
    let empty = HashMap::new();
    let mut b = builder(tx, ctx, &empty);
    let list = id_list(&mut b, task_ids);
    let org = b.org();
    let sql = format!(
        "SELECT r.task_id AS id FROM task_action_required r WHERE r.task_id IN ({list}) \
         AND r.organisation_id = ${org} AND r.action_required = TRUE"
    );
    rows(tx, b, &sql).await?.iter().map(|r| r.get("id")).collect()
}

/// `procedureCount` per case.
pub async fn case_procedure_counts(
    tx: &mut Tx,
    ctx: &QueryContext,
    case_ids: &[i64],
) -> Result<HashMap<i64, i64>, StorageError> {
    if case_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let empty = HashMap::new();
    let mut b = builder(tx, ctx, &empty);
    let list = id_list(&mut b, case_ids);
    let sql = format!(
        "SELECT p.case_id AS case_id, COUNT(*) AS n FROM procedure p WHERE p.case_id IN ({list}) GROUP BY p.case_id"
    );
    rows(tx, b, &sql).await?.iter().map(|r| Ok((r.get("case_id")?, r.get("n")?))).collect()
}

/// `alerts` of cases: `(type, source)` of the visible alerts imported into each.
pub async fn case_alerts(
    tx: &mut Tx,
    ctx: &QueryContext,
    case_ids: &[i64],
) -> Result<HashMap<i64, Vec<(String, String)>>, StorageError> {
    let mut out: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    if case_ids.is_empty() {
        return Ok(out);
    }
    let empty = HashMap::new();
    let mut b = builder(tx, ctx, &empty);
    let list = id_list(&mut b, case_ids);
    let visible = visibility(&mut b, Entity::Alert, "a");
    let sql = format!(
        "SELECT a.case_id AS case_id, a.type AS type, a.source AS source FROM alert a \
         WHERE a.case_id IN ({list}) AND {visible} ORDER BY a.id"
    );
    for r in rows(tx, b, &sql).await? {
        out.entry(r.get("case_id")?).or_default().push((r.get("type")?, r.get("source")?));
    }
    Ok(out)
}

/// Case numbers of visible cases (`caseNumber` of alerts).
pub async fn case_numbers(
    tx: &mut Tx,
    ctx: &QueryContext,
    case_ids: &[i64],
) -> Result<HashMap<i64, i64>, StorageError> {
    if case_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let empty = HashMap::new();
    let mut b = builder(tx, ctx, &empty);
    let list = id_list(&mut b, case_ids);
    let visible = visibility(&mut b, Entity::Case, "c");
    let sql = format!("SELECT c.id AS id, c.number AS number FROM cases c WHERE c.id IN ({list}) AND {visible}");
    rows(tx, b, &sql).await?.iter().map(|r| Ok((r.get("id")?, r.get("number")?))).collect()
}
