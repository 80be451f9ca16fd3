//! `extraData` of a query page (spec §3.5), computed for the whole page at once with the
//! batched statistics of `storage::query::extra`. Unknown names are ignored, as TheHive
//! does; `total` is the `X-Total` header, not a per-object value.
//!
//! | Entity | names |
//! |---|---|
//! | Case | observableStats, taskStats, isOwner, shareCount, permissions, actionRequired, procedureCount, alerts |
//! | Alert | importDate, caseNumber, similarCases |
//! | Observable | seen, isOwner, shareCount |
//! | Task | case, caseId, isOwner, shareCount, actionRequired, actionRequiredMap |
//! | Log | task, taskId, case |

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::hydrate::{EntityView, case_view};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::ids::render_id;
use crate::service::cases::CaseView;
use crate::storage::Tx;
use crate::storage::observables::{self, Parent, SimilarCase};
use crate::storage::query::{QueryContext, extra};
use crate::storage::tasks::{self, Task};

/// One `extraData` value: plain JSON, or objects the HTTP layer renders with the REST
/// renderers.
pub enum Extra {
    Json(Value),
    Case(Box<CaseView>),
    /// A task, with its case under `extraData.case` (a log's `task`).
    Task(Box<Task>, Option<Box<CaseView>>),
    /// An alert's `similarCases`, newest case first.
    SimilarCases(Vec<(CaseView, SimilarCase)>),
}

fn json(v: Value) -> Extra {
    Extra::Json(v)
}

/// Computes the asked `names` for every object of the page, in order.
pub async fn compute(
    tx: &mut Tx,
    caller: &Caller,
    ctx: &QueryContext,
    views: &[EntityView],
    names: &[String],
) -> Result<Vec<Vec<(String, Extra)>>, ApiError> {
    let mut out: Vec<Vec<(String, Extra)>> = views.iter().map(|_| Vec::new()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).filter(|n| *n != "total").collect();
    if names.is_empty() || views.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = views.iter().map(EntityView::id).collect();
    match views.first() {
        Some(EntityView::Case(_)) => cases(tx, ctx, views, &ids, &names, &mut out).await?,
        Some(EntityView::Alert(_)) => alerts(tx, caller, ctx, views, &names, &mut out).await?,
        Some(EntityView::Observable(_)) => observables(tx, caller, ctx, views, &ids, &names, &mut out).await?,
        Some(EntityView::Task(_)) => tasks(tx, caller, ctx, views, &ids, &names, &mut out).await?,
        Some(EntityView::Log(_)) => logs(tx, caller, views, &names, &mut out).await?,
        _ => {}
    }
    Ok(out)
}

async fn cases(
    tx: &mut Tx,
    ctx: &QueryContext,
    views: &[EntityView],
    ids: &[i64],
    names: &[&str],
    out: &mut [Vec<(String, Extra)>],
) -> Result<(), ApiError> {
    let wants = |n: &str| names.contains(&n);
    let observable_counts =
        if wants("observableStats") { extra::case_observable_counts(tx, ctx, ids).await? } else { HashMap::new() };
    let task_stats = if wants("taskStats") { extra::case_task_stats(tx, ctx, ids).await? } else { HashMap::new() };
    let shares =
        if wants("isOwner") || wants("shareCount") { extra::case_shares(tx, ctx, ids).await? } else { HashMap::new() };
    let action =
        if wants("actionRequired") { extra::case_action_required(tx, ctx, ids).await? } else { Default::default() };
    let procedures =
        if wants("procedureCount") { extra::case_procedure_counts(tx, ctx, ids).await? } else { HashMap::new() };
    let linked_alerts = if wants("alerts") { extra::case_alerts(tx, ctx, ids).await? } else { HashMap::new() };
    for (view, extras) in views.iter().zip(out.iter_mut()) {
        let EntityView::Case(v) = view else { continue };
        let id = v.case.id;
        for name in names {
            let value = match *name {
                "observableStats" => json!({"total": observable_counts.get(&id).copied().unwrap_or(0)}),
                "taskStats" => {
                    let mut m = Map::new();
                    let mut total = 0;
                    for (status, n) in task_stats.get(&id).map(Vec::as_slice).unwrap_or_default() {
                        m.insert(status.clone(), json!(n));
                        total += n;
                    }
                    m.insert("total".into(), json!(total));
                    Value::Object(m)
                }
                "isOwner" => json!(shares.get(&id).is_some_and(|s| s.0)),
                "shareCount" => json!(shares.get(&id).map(|s| s.1).unwrap_or(0)),
                "permissions" => json!(v.user_permissions),
                "actionRequired" => json!(action.contains(&id)),
                "procedureCount" => json!(procedures.get(&id).copied().unwrap_or(0)),
                "alerts" => Value::Array(
                    linked_alerts
                        .get(&id)
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                        .iter()
                        .map(|(t, s)| json!({"type": t, "source": s}))
                        .collect(),
                ),
                _ => continue,
            };
            extras.push(((*name).to_owned(), json(value)));
        }
    }
    Ok(())
}

async fn alerts(
    tx: &mut Tx,
    caller: &Caller,
    ctx: &QueryContext,
    views: &[EntityView],
    names: &[&str],
    out: &mut [Vec<(String, Extra)>],
) -> Result<(), ApiError> {
    let case_ids: Vec<i64> = views
        .iter()
        .filter_map(|v| match v {
            EntityView::Alert(a) => a.alert.case_id,
            _ => None,
        })
        .collect();
    let numbers =
        if names.contains(&"caseNumber") { extra::case_numbers(tx, ctx, &case_ids).await? } else { HashMap::new() };
    for (view, extras) in views.iter().zip(out.iter_mut()) {
        let EntityView::Alert(v) = view else { continue };
        for name in names {
            let value = match *name {
                "importDate" => json(json!(v.alert.imported_at)),
                "caseNumber" => json(json!(v.alert.case_id.and_then(|c| numbers.get(&c)))),
                "similarCases" => {
                    let mut list = Vec::new();
                    for stats in observables::similar_cases(tx, &caller.scope(), Parent::Alert(v.alert.id)).await? {
                        if let Some(case) = case_view(tx, caller, stats.case_id).await? {
                            list.push((case, stats));
                        }
                    }
                    // Newest case first, then the most similar observables (TheHive's order).
                    list.sort_by(|(a, x), (b, y)| {
                        b.case
                            .meta
                            .created_at
                            .cmp(&a.case.meta.created_at)
                            .then(y.similar_observables.cmp(&x.similar_observables))
                    });
                    Extra::SimilarCases(list)
                }
                _ => continue,
            };
            extras.push(((*name).to_owned(), value));
        }
    }
    Ok(())
}

async fn observables(
    tx: &mut Tx,
    _caller: &Caller,
    ctx: &QueryContext,
    views: &[EntityView],
    ids: &[i64],
    names: &[&str],
    out: &mut [Vec<(String, Extra)>],
) -> Result<(), ApiError> {
    let seen =
        if names.contains(&"seen") { observables::seen_stats(tx, &ctx.scope, ids).await? } else { HashMap::new() };
    let case_of = |v: &EntityView| match v {
        EntityView::Observable(o) => match o.parent {
            Parent::Case(c) => Some(c),
            Parent::Alert(_) => None,
        },
        _ => None,
    };
    let case_ids: Vec<i64> = views.iter().filter_map(case_of).collect();
    let shares = if names.iter().any(|n| *n == "isOwner" || *n == "shareCount") {
        extra::case_shares(tx, ctx, &case_ids).await?
    } else {
        HashMap::new()
    };
    for (view, extras) in views.iter().zip(out.iter_mut()) {
        let EntityView::Observable(o) = view else { continue };
        let case = case_of(view);
        for name in names {
            let value = match *name {
                "seen" => {
                    let (n, ioc) = seen.get(&o.id).copied().unwrap_or((0, false));
                    json!({"seen": n, "ioc": ioc})
                }
                // An alert's observables belong to the alert's organisation alone.
                "isOwner" => json!(case.is_none_or(|c| shares.get(&c).is_some_and(|s| s.0))),
                "shareCount" => json!(case.and_then(|c| shares.get(&c)).map(|s| s.1).unwrap_or(0)),
                _ => continue,
            };
            extras.push(((*name).to_owned(), json(value)));
        }
    }
    Ok(())
}

async fn tasks(
    tx: &mut Tx,
    caller: &Caller,
    ctx: &QueryContext,
    views: &[EntityView],
    ids: &[i64],
    names: &[&str],
    out: &mut [Vec<(String, Extra)>],
) -> Result<(), ApiError> {
    let case_ids: Vec<i64> = views
        .iter()
        .filter_map(|v| match v {
            EntityView::Task(t) => Some(t.case_id),
            _ => None,
        })
        .collect();
    let shares = if names.iter().any(|n| *n == "isOwner" || *n == "shareCount") {
        extra::case_shares(tx, ctx, &case_ids).await?
    } else {
        HashMap::new()
    };
    let action = if names.contains(&"actionRequired") {
        extra::task_action_required(tx, ctx, ids).await?
    } else {
        Default::default()
    };
    let mut case_views: HashMap<i64, Option<CaseView>> = HashMap::new();
    for (view, extras) in views.iter().zip(out.iter_mut()) {
        let EntityView::Task(t) = view else { continue };
        for name in names {
            let value = match *name {
                "case" => {
                    // Tasks of one case share its view (an absent one is looked up once).
                    let case = match case_views.get(&t.case_id) {
                        Some(cached) => cached.clone(),
                        None => {
                            let fresh = case_view(tx, caller, t.case_id).await?;
                            case_views.insert(t.case_id, fresh.clone());
                            fresh
                        }
                    };
                    match case {
                        Some(c) => Extra::Case(Box::new(c)),
                        None => continue,
                    }
                }
                "caseId" => json(json!(render_id(t.case_id))),
                "isOwner" => json(json!(shares.get(&t.case_id).is_some_and(|s| s.0))),
                "shareCount" => json(json!(shares.get(&t.case_id).map(|s| s.1).unwrap_or(0))),
                "actionRequired" => json(json!(action.contains(&t.id))),
                "actionRequiredMap" => {
                    let map: Map<String, Value> = tasks::action_required(tx, &caller.scope(), t.id, t.case_id)
                        .await?
                        .into_iter()
                        .map(|(org, flag)| (org, json!(flag)))
                        .collect();
                    json(Value::Object(map))
                }
                _ => continue,
            };
            extras.push(((*name).to_owned(), value));
        }
    }
    Ok(())
}

async fn logs(
    tx: &mut Tx,
    caller: &Caller,
    views: &[EntityView],
    names: &[&str],
    out: &mut [Vec<(String, Extra)>],
) -> Result<(), ApiError> {
    let scope = caller.scope();
    for (view, extras) in views.iter().zip(out.iter_mut()) {
        let EntityView::Log(l) = view else { continue };
        let l = &l.log;
        let task = if names.iter().any(|n| *n == "task" || *n == "case") {
            tasks::find(tx, &scope, &render_id(l.task_id)).await?
        } else {
            None
        };
        let case = match &task {
            Some(t) if names.iter().any(|n| *n == "task" || *n == "case") => case_view(tx, caller, t.case_id).await?,
            _ => None,
        };
        for name in names {
            let value = match *name {
                "taskId" => json(json!(render_id(l.task_id))),
                "task" => match &task {
                    Some(t) => Extra::Task(Box::new(t.clone()), case.clone().map(Box::new)),
                    None => continue,
                },
                "case" => match &case {
                    Some(c) => Extra::Case(Box::new(c.clone())),
                    None => continue,
                },
                _ => continue,
            };
            extras.push(((*name).to_owned(), value));
        }
    }
    Ok(())
}
