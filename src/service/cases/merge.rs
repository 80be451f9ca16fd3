//! Case merge (TheHive 5 `POST /api/v1/case/_merge/{id1},{id2},...`, spec §2.1): a new
//! case made of the given cases, which are then removed.
//!
//! TheHive's rules (CaseSrv.merge): at least two cases, all visible (else 404), all with the
//! same organisation/profile share set, the caller's organisation owning them with the
//! `org-admin` profile (else 400). The new case: titles joined with " / ", descriptions and
//! summaries with a blank line, highest severity/TLP/PAP, earliest start date, flagged if
//! any is, tags in order without repeats, status New, assigned to the caller. Tasks,
//! observables, alerts, procedures and custom fields move to it; Waggle also moves pages,
//! comments and case attachments rather than dropping them with the source cases. An
//! observable whose data the merged case already holds is folded into it (tags united,
//! `ioc`/`sighted` kept if either had them), since a case holds a value once.

use serde_json::json;

use super::{CaseView, find_for_write, status, view};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::service::audit::{Action, record};
use crate::storage::cases::{self, NewCase};
use crate::storage::observables::{self, ObservableUpdate};
use crate::storage::{Tx, attachments, case_merge, profiles};

const REFUSED: &str =
    "To be able to merge, cases must have same organisation / profile pair and user must be org-admin";

/// `POST /case/_merge/{ids}`: `ids` is the comma-separated list of `~id`s or numbers.
pub async fn merge(app: &App, caller: &Caller, ids: &str) -> Result<CaseView, ApiError> {
    caller.require(perm::MANAGE_CASE, "merge cases")?;
    let refs: Vec<&str> = ids.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let mut sources = Vec::with_capacity(refs.len());
    for r in refs {
        let access = find_for_write(&mut tx, caller, r, perm::MANAGE_CASE, "merge cases").await?;
        if sources.iter().any(|s: &cases::Case| s.id == access.case.id) {
            return Err(ApiError::BadRequest(format!("Case #{} is given twice", access.case.number)));
        }
        if !access.grant.owner || access.grant.profile != "org-admin" {
            return Err(ApiError::BadRequest(REFUSED.to_owned()));
        }
        sources.push(access.case);
    }
    if sources.len() < 2 {
        return Err(ApiError::BadRequest("At least two cases are needed to merge".to_owned()));
    }
    let shares = case_merge::share_set(&mut tx, sources[0].id).await?;
    for c in &sources[1..] {
        if case_merge::share_set(&mut tx, c.id).await? != shares {
            return Err(ApiError::BadRequest(REFUSED.to_owned()));
        }
    }
    let merged_id = insert_merged(&mut tx, caller, &sources, now).await?;
    case_merge::copy_foreign_shares(&mut tx, sources[0].id, merged_id, &caller.login, now).await?;
    let mut garbage = Vec::new();
    for c in &sources {
        garbage.extend(fold_duplicates(&mut tx, caller, c.id, merged_id, now).await?);
        case_merge::move_children(&mut tx, c.id, merged_id).await?;
        record(
            &mut tx,
            caller,
            Action {
                operation: "delete",
                object_type: "Case",
                object_id: c.id,
                root: Some(("Case", merged_id)),
                details: json!({"number": c.number, "title": c.title, "mergedInto": crate::ids::render_id(merged_id)}),
            },
            now,
        )
        .await?;
        cases::delete(&mut tx, c.id).await?;
    }
    attachments::collect_garbage(&mut tx, &garbage).await?;
    let merged_from: Vec<_> = sources
        .iter()
        .map(|c| json!({"_id": crate::ids::render_id(c.id), "number": c.number, "title": c.title}))
        .collect();
    record(
        &mut tx,
        caller,
        Action {
            operation: "merge",
            object_type: "Case",
            object_id: merged_id,
            root: Some(("Case", merged_id)),
            details: json!({ "cases": merged_from }),
        },
        now,
    )
    .await?;
    let case = cases::get(&mut tx, &caller.scope(), merged_id)
        .await?
        .ok_or_else(|| ApiError::Internal("merged case vanished".into()))?;
    let v = view(&mut tx, caller, case).await?;
    tx.commit().await?;
    Ok(v)
}

/// Creates the merged case and its owner share; returns its id.
async fn insert_merged(tx: &mut Tx, caller: &Caller, sources: &[cases::Case], now: i64) -> Result<i64, ApiError> {
    let title = sources.iter().map(|c| c.title.as_str()).collect::<Vec<_>>().join(" / ");
    let description = sources.iter().map(|c| c.description.as_str()).collect::<Vec<_>>().join("\n\n");
    let summaries: Vec<&str> = sources.iter().filter_map(|c| c.summary.as_deref()).collect();
    let summary = (!summaries.is_empty()).then(|| summaries.join("\n\n"));
    let mut tags: Vec<String> = Vec::new();
    for t in sources.iter().flat_map(|c| c.tags.iter()) {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let max = |f: fn(&cases::Case) -> i64| sources.iter().map(f).max().unwrap_or(2);
    let number = cases::next_number(tx).await?;
    let new = NewCase {
        number,
        organisation_id: caller.organisation_id,
        title: &title,
        description: &description,
        severity: max(|c| c.severity),
        tlp: max(|c| c.tlp),
        pap: max(|c| c.pap),
        start_date: sources.iter().map(|c| c.start_date).min().unwrap_or(now),
        end_date: None,
        flag: sources.iter().any(|c| c.flag),
        status: status::STAGE_NEW,
        stage: status::STAGE_NEW,
        resolution_status: None,
        impact_status: None,
        summary: summary.as_deref(),
        assignee: Some(&caller.login),
        case_template_id: None,
        case_template: None,
        tags: &tags,
        task_rule: None,
        observable_rule: None,
        in_progress_date: None,
        closed_date: None,
    };
    let id = cases::insert(tx, &new, &caller.login, now).await?;
    let owner_profile = profiles::find(tx, "org-admin")
        .await?
        .ok_or_else(|| ApiError::Internal("the org-admin profile is missing".into()))?;
    cases::insert_share(tx, id, caller.organisation_id, owner_profile.id, true, &caller.login, now).await?;
    Ok(id)
}

/// Folds the observables of `from` whose data `to` already holds into the kept one and
/// deletes them; returns the attachments they referenced, for garbage collection.
async fn fold_duplicates(tx: &mut Tx, caller: &Caller, from: i64, to: i64, now: i64) -> Result<Vec<i64>, ApiError> {
    let mut garbage = Vec::new();
    for d in case_merge::duplicate_observables(tx, from, to).await? {
        let both = observables::get_many(tx, &[d.kept_id, d.source_id]).await?;
        let (Some(kept), Some(source)) =
            (both.iter().find(|o| o.id == d.kept_id), both.iter().find(|o| o.id == d.source_id))
        else {
            continue;
        };
        let mut tags = kept.tags.clone();
        for t in &source.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        let u = ObservableUpdate {
            tags: (tags != kept.tags).then_some(tags),
            ioc: (source.ioc && !kept.ioc).then_some(true),
            sighted: (source.sighted && !kept.sighted).then_some(true),
            ..Default::default()
        };
        if !u.is_empty() {
            observables::update(tx, kept.id, &u, &caller.login, now).await?;
        }
        garbage.extend(observables::delete(tx, source.id).await?);
    }
    Ok(garbage)
}
