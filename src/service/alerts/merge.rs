//! Promotion of an alert to a case (spec §1.7 "Promote"), merge into an existing case
//! ("Merge", one or many alerts), unmerge (Waggle's own: take a merged alert back out of its
//! case, removing what only it brought), and the correlation views that need case data.
//!
//! A merge leaves a record (`alert_merge*` tables): which case observables and procedures it
//! created, which tags it added to existing observables and to the case, and the exact text
//! it appended to the description. Unmerge replays that record backwards; an observable that
//! a later merge also brought stays, owned by that merge.

use serde_json::{Map, Value, json};

use super::super::audit::{Action, record};
use super::super::cases::{self, CaseView, find as find_case, require_on_case};
use super::super::wire::id_list;
use super::{fields, find};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::alerts::{self, Alert, AlertUpdate, NewMergeRecord};
use crate::storage::cases::{Case, CaseUpdate};
use crate::storage::observables::{self, NewObservable, Observable, Parent, SimilarCase};
use crate::storage::patterns::{self, NewProcedure, ProcParent};
use crate::storage::{Tx, attachments};

/// Status and stage TheHive 5 gives an alert promoted or merged into a case.
const IMPORTED: &str = "Imported";

/// The observable rows that copy `list` into another parent.
fn copies(list: &[Observable]) -> Vec<NewObservable> {
    list.iter()
        .map(|o| NewObservable {
            data_type: o.data_type.clone(),
            data: o.data.clone(),
            data_hash: o.data_hash.clone(),
            message: o.message.clone(),
            tlp: o.tlp,
            pap: o.pap,
            ioc: o.ioc,
            sighted: o.sighted,
            sighted_at: o.sighted_at,
            ignore_similarity: o.ignore_similarity,
            tags: o.tags.clone(),
            file: o.file.as_ref().map(|f| (f.attachment_id, f.name.clone(), f.content_type.clone())),
        })
        .collect()
}

async fn mark_imported(
    tx: &mut Tx,
    caller: &Caller,
    a: &Alert,
    case_id: i64,
    op: &str,
    now: i64,
) -> Result<(), ApiError> {
    let u = AlertUpdate {
        status: Some(IMPORTED.into()),
        stage: Some(IMPORTED.into()),
        case_id: Some(Some(case_id)),
        imported_at: Some(Some(now)),
        read: Some(true),
        ..AlertUpdate::default()
    };
    alerts::update(tx, a.id, &u, &caller.login, now).await?;
    record(
        tx,
        caller,
        Action {
            operation: op,
            object_type: "Alert",
            object_id: a.id,
            root: Some(("Alert", a.id)),
            details: json!({"caseId": crate::ids::render_id(case_id), "status": IMPORTED}),
        },
        now,
    )
    .await
}

async fn case_view(tx: &mut Tx, caller: &Caller, case_id: i64) -> Result<CaseView, ApiError> {
    let case = find_case(tx, caller, &crate::ids::render_id(case_id)).await?;
    cases::view(tx, caller, case).await
}

/// `POST /alert/{id}/case`: creates a case from the alert (body: any case field, e.g.
/// `caseTemplate`, overriding the alert's), copying observables, procedures, custom fields
/// and tags; the alert becomes Imported. An alert that already has a case returns it.
pub async fn promote(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<CaseView, ApiError> {
    super::super::object(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    // Visibility first: an alert the caller cannot see is a 404 whatever its permissions.
    let a = find(&mut tx, caller, id).await?;
    caller.require(perm::MANAGE_ALERT, "promote alert")?;
    caller.require(perm::MANAGE_CASE, "create case")?;
    if let Some(case_id) = a.case_id {
        let v = case_view(&mut tx, caller, case_id).await?;
        return Ok(v);
    }
    // The case input: the alert's fields, then whatever the request overrides.
    let values = fields::values(&mut tx, a.id).await?;
    let mut cf = Map::new();
    for v in &values {
        cf.insert(v.name.clone(), v.value.to_json());
    }
    let mut input = json!({
        "title": a.title, "description": a.description, "severity": a.severity, "tlp": a.tlp, "pap": a.pap,
        "tags": a.tags, "flag": a.flag, "customFields": Value::Object(cf), "assignee": caller.login,
    });
    if let Some(t) = &a.case_template {
        input["caseTemplate"] = json!(t);
    }
    for (k, v) in body.as_object().into_iter().flatten() {
        if !v.is_null() {
            input[k] = v.clone();
        }
    }
    let case_input = cases::CaseInput::parse(&input)?;
    let case_id = cases::create_in(&mut tx, caller, &case_input, now).await?;
    let list = observables::list(&mut tx, Parent::Alert(a.id)).await?;
    let copied = observables::insert_many(&mut tx, Parent::Case(case_id), &copies(&list), &caller.login, now).await?;
    let copied: Vec<i64> = copied.into_iter().flatten().collect();
    crate::service::sharing::on_new_observables(&mut tx, caller, case_id, &copied).await?;
    let procs = patterns::procedures_of(&mut tx, ProcParent::Alert(a.id)).await?;
    let rows: Vec<NewProcedure> = procs
        .iter()
        .map(|p| NewProcedure {
            pattern_id: p.pattern_id,
            occur_date: p.occur_date,
            tactic: p.tactic.clone(),
            description: p.description.clone(),
        })
        .collect();
    patterns::insert_procedures(&mut tx, ProcParent::Case(case_id), &rows, &caller.login, now).await?;
    mark_imported(&mut tx, caller, &a, case_id, "update", now).await?;
    let v = case_view(&mut tx, caller, case_id).await?;
    tx.commit().await?;
    Ok(v)
}

/// The block TheHive appends to the case description on merge.
fn merge_block(a: &Alert) -> String {
    format!("\n  \n#### Merged with alert #{} {}\n\n{}", a.source_ref, a.title, a.description.trim())
}

/// Merges one alert into a case the caller may change, recording what it brought.
async fn merge_one(tx: &mut Tx, caller: &Caller, a: &Alert, case: &Case, now: i64) -> Result<(), ApiError> {
    if a.case_id.is_some() {
        return Err(ApiError::BadRequest(format!("Alert {} is already imported", crate::ids::render_id(a.id))));
    }
    let block = merge_block(a);
    let added_tags: Vec<String> = a.tags.iter().filter(|t| !case.tags.contains(t)).cloned().collect();
    let merge_id = alerts::insert_merge(
        tx,
        &NewMergeRecord {
            alert_id: a.id,
            case_id: case.id,
            previous_status: &a.status,
            previous_stage: &a.stage,
            description_block: &block,
            added_tags: &added_tags,
        },
        &caller.login,
        now,
    )
    .await?;
    // Observables: new ones are created; equal ones (same type and data) get the alert's
    // observable tags (spec §1.7).
    let list = observables::list(tx, Parent::Alert(a.id)).await?;
    let created = observables::insert_many(tx, Parent::Case(case.id), &copies(&list), &caller.login, now).await?;
    let new_ids: Vec<i64> = created.iter().flatten().copied().collect();
    crate::service::sharing::on_new_observables(tx, caller, case.id, &new_ids).await?;
    for (o, id) in list.iter().zip(&created) {
        match id {
            Some(id) => alerts::record_merge_observable(tx, merge_id, *id, true, &[]).await?,
            None => {
                let Some(existing) =
                    observables::find_in(tx, Parent::Case(case.id), &o.data_type, &o.data_hash).await?
                else {
                    continue;
                };
                let new_tags: Vec<String> = o.tags.iter().filter(|t| !existing.tags.contains(t)).cloned().collect();
                if !new_tags.is_empty() {
                    let mut tags = existing.tags.clone();
                    tags.extend(new_tags.iter().cloned());
                    observables::replace_tags(tx, existing.id, &tags, &caller.login, now).await?;
                }
                alerts::record_merge_observable(tx, merge_id, existing.id, false, &new_tags).await?;
            }
        }
    }
    let procs = patterns::procedures_of(tx, ProcParent::Alert(a.id)).await?;
    let rows: Vec<NewProcedure> = procs
        .iter()
        .map(|p| NewProcedure {
            pattern_id: p.pattern_id,
            occur_date: p.occur_date,
            tactic: p.tactic.clone(),
            description: p.description.clone(),
        })
        .collect();
    for pid in patterns::insert_procedures(tx, ProcParent::Case(case.id), &rows, &caller.login, now).await? {
        alerts::record_merge_procedure(tx, merge_id, pid).await?;
    }
    // Custom fields the case does not have yet.
    let case_values =
        crate::storage::custom_fields::values_of(tx, crate::storage::custom_fields::Owner::Case(case.id)).await?;
    let mut next = case_values.iter().map(|v| v.order + 1).max().unwrap_or(0);
    for v in fields::values(tx, a.id).await? {
        if !case_values.iter().any(|c| c.field_id == v.field_id) {
            crate::storage::custom_fields::set_value(
                tx,
                crate::storage::custom_fields::Owner::Case(case.id),
                v.field_id,
                next,
                &v.value,
                &caller.login,
                now,
            )
            .await?;
            next += 1;
        }
    }
    let mut tags = case.tags.clone();
    tags.extend(added_tags.iter().cloned());
    let u = CaseUpdate {
        description: Some(format!("{}{block}", case.description)),
        tags: Some(tags),
        ..CaseUpdate::default()
    };
    crate::storage::cases::update(tx, case.id, &u, &caller.login, now).await?;
    record(
        tx,
        caller,
        Action {
            operation: "merge",
            object_type: "Case",
            object_id: case.id,
            root: Some(("Case", case.id)),
            details: json!({"alert": crate::ids::render_id(a.id), "observables": list.len()}),
        },
        now,
    )
    .await?;
    mark_imported(tx, caller, a, case.id, "merge", now).await
}

/// The target case of a merge, once the alerts were found visible: `manageAlert`, and
/// `manageCase` on the case (its share included).
async fn writable_case(tx: &mut Tx, caller: &Caller, c: Case) -> Result<Case, ApiError> {
    caller.require(perm::MANAGE_ALERT, "merge alert")?;
    Ok(require_on_case(tx, caller, c, perm::MANAGE_CASE, "merge alert into case").await?.case)
}

/// `POST /alert/{id}/merge/{caseId}` (and `/import/{caseId}`): 200 with the case.
pub async fn merge(app: &App, caller: &Caller, id: &str, case_id: &str) -> Result<CaseView, ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let a = find(&mut tx, caller, id).await?;
    let case = find_case(&mut tx, caller, case_id).await?;
    let case = writable_case(&mut tx, caller, case).await?;
    merge_one(&mut tx, caller, &a, &case, now).await?;
    let v = case_view(&mut tx, caller, case.id).await?;
    tx.commit().await?;
    Ok(v)
}

/// `POST /alert/merge/_bulk` `{caseId, alertIds}`: all or nothing.
pub async fn bulk_merge(app: &App, caller: &Caller, body: &Value) -> Result<CaseView, ApiError> {
    super::super::object(body)?;
    let case_id = super::super::req_str(body, "caseId")?;
    let ids = id_list(body, "alertIds")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    for id in &ids {
        find(&mut tx, caller, id).await?;
    }
    let case_row = find_case(&mut tx, caller, &case_id).await?;
    let case_row = writable_case(&mut tx, caller, case_row).await?;
    for id in &ids {
        // Re-read the case: each merge changes its description and tags.
        let case = find_case(&mut tx, caller, &crate::ids::render_id(case_row.id)).await?;
        let a = find(&mut tx, caller, id).await?;
        merge_one(&mut tx, caller, &a, &case, now).await?;
    }
    let v = case_view(&mut tx, caller, case_row.id).await?;
    tx.commit().await?;
    Ok(v)
}

/// `POST /alert/{id}/unmerge`: takes a merged alert back out of its case. Removes the case
/// observables only this merge created (an observable a later merge also brought stays),
/// the tags it added (to observables and to the case), its procedures and its description
/// block; the alert gets back its status from before the merge. Returns the alert.
pub async fn unmerge(app: &App, caller: &Caller, id: &str) -> Result<super::AlertView, ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let a = find(&mut tx, caller, id).await?;
    caller.require(perm::MANAGE_ALERT, "unmerge alert")?;
    let m = alerts::merge_record(&mut tx, a.id).await?.ok_or_else(|| {
        ApiError::BadRequest("This alert was not merged into a case (promoted alerts cannot be unmerged)".into())
    })?;
    let case = find_case(&mut tx, caller, &crate::ids::render_id(m.case_id)).await?;
    let case = require_on_case(&mut tx, caller, case, perm::MANAGE_CASE, "unmerge alert from case").await?.case;
    let mut garbage = Vec::new();
    for (obs_id, created, added) in alerts::merge_observables(&mut tx, m.id).await? {
        if created {
            match alerts::other_merge_of_observable(&mut tx, m.id, obs_id).await? {
                Some(other) => alerts::take_over_observable(&mut tx, other, obs_id).await?,
                None => garbage.extend(observables::delete(&mut tx, obs_id).await?),
            }
        } else if !added.is_empty()
            && let Some(o) = observables::get_many(&mut tx, &[obs_id]).await?.pop()
        {
            let tags: Vec<String> = o.tags.into_iter().filter(|t| !added.contains(t)).collect();
            observables::replace_tags(&mut tx, obs_id, &tags, &caller.login, now).await?;
        }
    }
    for pid in alerts::merge_procedures(&mut tx, m.id).await? {
        patterns::delete_procedure(&mut tx, pid).await?;
    }
    attachments::collect_garbage(&mut tx, &garbage).await?;
    let description = match case.description.find(&m.description_block) {
        Some(pos) => format!("{}{}", &case.description[..pos], &case.description[pos + m.description_block.len()..]),
        None => case.description.clone(),
    };
    let tags: Vec<String> = case.tags.iter().filter(|t| !m.added_tags.contains(t)).cloned().collect();
    let u = CaseUpdate { description: Some(description), tags: Some(tags), ..CaseUpdate::default() };
    crate::storage::cases::update(&mut tx, case.id, &u, &caller.login, now).await?;
    alerts::delete_merge(&mut tx, m.id).await?;
    let au = AlertUpdate {
        status: Some(m.previous_status.clone()),
        stage: Some(m.previous_stage.clone()),
        case_id: Some(None),
        imported_at: Some(None),
        ..AlertUpdate::default()
    };
    alerts::update(&mut tx, a.id, &au, &caller.login, now).await?;
    let details = json!({"alert": crate::ids::render_id(a.id)});
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Case",
            object_id: case.id,
            root: Some(("Case", case.id)),
            details: details.clone(),
        },
        now,
    )
    .await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Alert",
            object_id: a.id,
            root: Some(("Alert", a.id)),
            details: json!({"unmergedFrom": crate::ids::render_id(case.id), "status": m.previous_status}),
        },
        now,
    )
    .await?;
    let a = find(&mut tx, caller, id).await?;
    let v = super::view(&mut tx, a).await?;
    tx.commit().await?;
    Ok(v)
}

/// One `similarCases` entry: the case and TheHive's counts.
pub struct SimilarCaseView {
    pub case: CaseView,
    pub stats: SimilarCase,
}

/// `GET /alert/{id}/similar` and `extraData.similarCases`.
pub async fn similar_cases(app: &App, caller: &Caller, id: &str) -> Result<Vec<SimilarCaseView>, ApiError> {
    let list = super::similar_cases(app, caller, id).await?;
    let mut tx = app.store.read().await?;
    let mut out = Vec::with_capacity(list.len());
    for stats in list {
        let case = case_view(&mut tx, caller, stats.case_id).await?;
        out.push(SimilarCaseView { case, stats });
    }
    // Newest case first, then the most similar observables, then IOCs (TheHive's order).
    out.sort_by(|x, y| {
        y.case
            .case
            .meta
            .created_at
            .cmp(&x.case.case.meta.created_at)
            .then(y.stats.similar_observables.cmp(&x.stats.similar_observables))
            .then(y.stats.similar_iocs.cmp(&x.stats.similar_iocs))
    });
    Ok(out)
}

/// `GET /case/{id}/similar/{alertOrCaseId}/observables`.
pub async fn case_similar_observables(
    app: &App,
    caller: &Caller,
    id: &str,
    other: &str,
) -> Result<Vec<Observable>, ApiError> {
    let mut tx = app.store.read().await?;
    let c = find_case(&mut tx, caller, id).await?;
    let other = super::other_parent(&mut tx, caller, other).await?;
    Ok(observables::similar_between(&mut tx, &caller.scope(), Parent::Case(c.id), other).await?)
}
