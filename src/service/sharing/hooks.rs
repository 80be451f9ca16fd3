//! Sharing applied by other services, inside their transactions:
//! - a new case is shared with the linked organisations whose link type (a sharing profile
//!   with `autoShare`) says so, then as its `sharingParameters` say (TheHive 5's local rules
//!   override the global ones);
//! - a new task or case observable goes to the shares whose rule takes new items
//!   (`all`, `upcomingOnly`), and to the share of the organisation that created it.
//!
//! Every creation path calls these: `service::tasks::insert_for_case` (tasks from requests,
//! templates and case creation), `service::observables::create`, and the alert promotion
//! and merge paths (observables copied into a case).

use super::input::{ShareInput, TAKES_NEW};
use super::{create_one, linked_organisation};
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::organisations::Organisation;
use crate::storage::shares::{self, NewSharingProfile};
use crate::storage::{Tx, cases, organisation_links};

/// Gives a new task of `case_id` to the shares that take it.
pub async fn on_new_task(tx: &mut Tx, caller: &Caller, case_id: i64, task_id: i64) -> Result<(), ApiError> {
    Ok(shares::grant_new_task(tx, case_id, task_id, caller.organisation_id, TAKES_NEW).await?)
}

/// Gives new observables of `case_id` to the shares that take them.
pub async fn on_new_observables(tx: &mut Tx, caller: &Caller, case_id: i64, ids: &[i64]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    Ok(shares::grant_new_observables(tx, case_id, ids, caller.organisation_id, TAKES_NEW).await?)
}

/// Shares a case just created by `caller` (after its tasks and pages, so that rules taking
/// existing items take them). `params` are the request's `sharingParameters`.
pub async fn apply_at_case_creation(
    tx: &mut Tx,
    caller: &Caller,
    case_id: i64,
    params: Option<&[ShareInput]>,
    now: i64,
) -> Result<(), ApiError> {
    let mut plan: Vec<(Organisation, ShareInput, String)> = Vec::new();
    for link in organisation_links::list(tx, caller.organisation_id).await? {
        let Some(sp) = shares::find_sharing_profile(tx, &link.link_type).await? else { continue };
        if !sp.auto_share {
            continue;
        }
        let Some(org) = crate::storage::organisations::get_by_id(tx, link.to_organisation_id).await? else { continue };
        let input = ShareInput {
            organisation: org.name.clone(),
            share: true,
            profile: Some(sp.name.clone()),
            task_rule: None,
            observable_rule: None,
        };
        plan.push((org, input, format!("link {}", link.link_type)));
    }
    if let Some(params) = params.filter(|p| !p.is_empty()) {
        caller.require(perm::MANAGE_SHARE, "share case")?;
        for (i, p) in params.iter().enumerate() {
            let field = format!("sharingParameters[{i}]");
            let org = linked_organisation(tx, caller, &p.organisation, &format!("{field}.organisation")).await?;
            if org.id == caller.organisation_id {
                if p.share {
                    continue;
                }
                return Err(ApiError::BadRequest(format!(
                    "{field}: organisation {} owns the case; its share cannot be removed",
                    org.name
                )));
            }
            plan.retain(|(o, _, _)| o.id != org.id);
            if p.share {
                plan.push((org, p.clone(), field));
            }
        }
    }
    if plan.is_empty() {
        return Ok(());
    }
    let case = cases::get(tx, &caller.scope(), case_id)
        .await?
        .ok_or_else(|| ApiError::Internal("the new case is not visible to its owner".into()))?;
    for (org, input, field) in &plan {
        create_one(tx, caller, &case, org, input, field, now).await?;
    }
    Ok(())
}

/// TheHive 5's sharing profiles, which are also the organisation link types.
const BUILT_IN: &[NewSharingProfile<'static>] = &[
    NewSharingProfile {
        name: "default",
        description: "Cases are not shared automatically; users share them by hand",
        auto_share: false,
        profile: "read-only",
        task_rule: "manual",
        observable_rule: "manual",
    },
    NewSharingProfile {
        name: "supervised",
        description: "New cases are shared automatically with the analyst profile",
        auto_share: true,
        profile: "analyst",
        task_rule: "manual",
        observable_rule: "manual",
    },
    NewSharingProfile {
        name: "notify",
        description: "New cases are shared automatically, read-only",
        auto_share: true,
        profile: "read-only",
        task_rule: "manual",
        observable_rule: "manual",
    },
];

/// Creates the built-in sharing profiles that are missing (at every start; idempotent).
pub async fn ensure_sharing_profiles(tx: &mut Tx, by: &str, now: i64) -> Result<(), ApiError> {
    for sp in BUILT_IN {
        shares::ensure_sharing_profile(tx, sp, by, now).await?;
    }
    Ok(())
}
