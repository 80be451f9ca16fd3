//! Case sharing between organisations (spec §1.15, §2.1, §2.2): list, create, reconcile,
//! update and remove the shares of a case; share single tasks and observables (`items`);
//! the sharing rules applied when a case, a task or an observable is created (`hooks`);
//! the sharing profiles of TheHive 5.
//!
//! Rules enforced here:
//! - writes need `manageShare` on the case (the caller's profile *and* its organisation's
//!   share, `cases::require_on_case`); an invisible case answers 404 before any 403;
//! - a case is shared only with organisations the caller's organisation is linked to, never
//!   twice with one organisation, under an existing profile;
//! - the owner's share and the caller's own share are never removed or changed here;
//! - a bad entry refuses the whole request (400) and nothing is written: every request
//!   runs in one transaction.

mod hooks;
pub mod input;
mod items;

use serde_json::json;

pub use hooks::{apply_at_case_creation, ensure_sharing_profiles, on_new_observables, on_new_task};
pub use input::{RULES, ShareInput};
pub use items::{observable_shares, share_observable, share_task, task_shares, unshare_observable, unshare_task};

use super::audit::{Action, record};
use super::cases::{self, CaseAccess};
use crate::app::App;
use crate::auth::{ADMIN_ORG, Caller, perm};
use crate::error::ApiError;
use crate::storage::organisations::{self, Organisation};
use crate::storage::shares::{self, NewShare, Share, SharingProfile};
use crate::storage::{Tx, organisation_links, profiles};

/// A permission profile for a share, resolved from a request, with the rules a sharing
/// profile of that name brings along.
struct Grant {
    profile_id: i64,
    profile: String,
    task_rule: Option<String>,
    observable_rule: Option<String>,
}

/// Profiles given to a share when the request names none.
const DEFAULT_PROFILE: &str = "read-only";

/// Resolves a permission profile name, or a sharing profile name (its permission profile
/// and rules). Unknown names are a 400 naming the field.
async fn grant(tx: &mut Tx, name: &str, field: &str) -> Result<Grant, ApiError> {
    if let Some(p) = profiles::find(tx, name).await? {
        return Ok(Grant { profile_id: p.id, profile: p.name, task_rule: None, observable_rule: None });
    }
    if let Some(sp) = shares::find_sharing_profile(tx, name).await? {
        return Ok(Grant {
            profile_id: sp.profile_id,
            profile: sp.profile,
            task_rule: sp.task_rule,
            observable_rule: sp.observable_rule,
        });
    }
    Err(ApiError::BadRequest(format!("{field}: profile {name} not found")))
}

/// The organisation a share request names: one the caller's organisation is linked to.
/// Unknown and unlinked organisations get the same answer, so the answer says nothing about
/// organisations the caller cannot see.
async fn linked_organisation(tx: &mut Tx, caller: &Caller, name: &str, field: &str) -> Result<Organisation, ApiError> {
    let refuse = || {
        ApiError::BadRequest(format!(
            "{field}: organisation {name} is not linked to organisation {}; cases are shared only with linked organisations",
            caller.organisation
        ))
    };
    let org = organisations::find(tx, &caller.scope(), name).await?.ok_or_else(refuse)?;
    if org.id == caller.organisation_id {
        return Ok(org);
    }
    if org.name == ADMIN_ORG || organisation_links::find(tx, caller.organisation_id, org.id).await?.is_none() {
        return Err(refuse());
    }
    Ok(org)
}

/// A share request entry resolved against the database.
struct Resolved<'a> {
    input: &'a ShareInput,
    org: Organisation,
}

/// The rules of a new share: the request's, else the (sharing) profile's, else the case's,
/// else the owning organisation's default.
async fn rules_for(
    tx: &mut Tx,
    case: &crate::storage::cases::Case,
    input: &ShareInput,
    g: &Grant,
) -> Result<(String, String), ApiError> {
    let owner = organisations::get_by_id(tx, case.organisation_id).await?;
    let pick = |own: &Option<String>, preset: &Option<String>, case_rule: &Option<String>, org_rule: Option<String>| {
        own.clone()
            .or_else(|| preset.clone())
            .or_else(|| case_rule.clone())
            .or(org_rule)
            .unwrap_or_else(|| "manual".to_owned())
    };
    Ok((
        pick(&input.task_rule, &g.task_rule, &case.task_rule, owner.as_ref().map(|o| o.task_rule.clone())),
        pick(&input.observable_rule, &g.observable_rule, &case.observable_rule, owner.map(|o| o.observable_rule)),
    ))
}

/// Creates one share and grants it the existing items its rules take; records it.
async fn create_one(
    tx: &mut Tx,
    caller: &Caller,
    case: &crate::storage::cases::Case,
    org: &Organisation,
    input: &ShareInput,
    field: &str,
    now: i64,
) -> Result<i64, ApiError> {
    let g = grant(tx, input.profile.as_deref().unwrap_or(DEFAULT_PROFILE), &format!("{field}.profile")).await?;
    let (task_rule, observable_rule) = rules_for(tx, case, input, &g).await?;
    let id = shares::insert(
        tx,
        &NewShare {
            case_id: case.id,
            organisation_id: org.id,
            profile_id: g.profile_id,
            owner: false,
            task_rule: Some(&task_rule),
            observable_rule: Some(&observable_rule),
        },
        &caller.login,
        now,
    )
    .await?;
    if input::TAKES_EXISTING.contains(&task_rule.as_str()) {
        shares::grant_existing_tasks(tx, id, case.id).await?;
    }
    if input::TAKES_EXISTING.contains(&observable_rule.as_str()) {
        shares::grant_existing_observables(tx, id, case.id).await?;
    }
    let details = json!({"share": {
        "organisation": org.name, "profile": g.profile, "taskRule": task_rule, "observableRule": observable_rule
    }});
    record(
        tx,
        caller,
        Action { operation: "create", object_type: "Share", object_id: id, root: Some(("Case", case.id)), details },
        now,
    )
    .await?;
    Ok(id)
}

/// Refuses changes to the owner's share and to the caller's own share.
fn check_changeable(caller: &Caller, s: &Share) -> Result<(), ApiError> {
    if s.owner {
        return Err(ApiError::BadRequest(format!(
            "The share of organisation {}, which owns case #{}, cannot be removed or changed",
            s.organisation, s.case_number
        )));
    }
    if s.organisation_id == caller.organisation_id {
        return Err(ApiError::BadRequest("You cannot remove or change the share of your own organisation".into()));
    }
    Ok(())
}

async fn delete_one(tx: &mut Tx, caller: &Caller, s: &Share, now: i64) -> Result<(), ApiError> {
    check_changeable(caller, s)?;
    shares::delete(tx, s.id).await?;
    record(
        tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Share",
            object_id: s.id,
            root: Some(("Case", s.case_id)),
            details: json!({"share": {"organisation": s.organisation, "profile": s.profile}}),
        },
        now,
    )
    .await
}

/// Changes a share's profile and rules (rules newly taking existing items grant them now).
async fn update_one(
    tx: &mut Tx,
    caller: &Caller,
    s: &Share,
    input: &ShareInput,
    field: &str,
    now: i64,
) -> Result<(), ApiError> {
    check_changeable(caller, s)?;
    let g = match &input.profile {
        Some(p) => Some(grant(tx, p, &format!("{field}.profile")).await?),
        None => None,
    };
    let task_rule = input.task_rule.clone().or_else(|| g.as_ref().and_then(|g| g.task_rule.clone()));
    let observable_rule = input.observable_rule.clone().or_else(|| g.as_ref().and_then(|g| g.observable_rule.clone()));
    let unchanged = g.as_ref().is_none_or(|g| g.profile_id == s.profile_id)
        && task_rule.as_ref().is_none_or(|r| Some(r) == s.task_rule.as_ref())
        && observable_rule.as_ref().is_none_or(|r| Some(r) == s.observable_rule.as_ref());
    if unchanged {
        return Ok(());
    }
    shares::update(
        tx,
        s.id,
        g.as_ref().map(|g| g.profile_id),
        task_rule.as_deref(),
        observable_rule.as_deref(),
        &caller.login,
        now,
    )
    .await?;
    if task_rule.as_deref().is_some_and(|r| input::TAKES_EXISTING.contains(&r)) {
        shares::grant_existing_tasks(tx, s.id, s.case_id).await?;
    }
    if observable_rule.as_deref().is_some_and(|r| input::TAKES_EXISTING.contains(&r)) {
        shares::grant_existing_observables(tx, s.id, s.case_id).await?;
    }
    let details = json!({"share": {
        "organisation": s.organisation,
        "profile": g.as_ref().map(|g| g.profile.clone()).unwrap_or_else(|| s.profile.clone()),
        "taskRule": task_rule, "observableRule": observable_rule,
    }});
    record(
        tx,
        caller,
        Action { operation: "update", object_type: "Share", object_id: s.id, root: Some(("Case", s.case_id)), details },
        now,
    )
    .await
}

/// The shares of a case the caller sees, except its own organisation's (TheHive's
/// `GET /case/{id}/shares`).
async fn others(tx: &mut Tx, caller: &Caller, case_id: i64) -> Result<Vec<Share>, ApiError> {
    let all = shares::list_for_case(tx, &caller.scope(), case_id).await?;
    Ok(all.into_iter().filter(|s| s.organisation_id != caller.organisation_id).collect())
}

/// A visible case on which the caller may manage shares.
async fn case_for_sharing(tx: &mut Tx, caller: &Caller, case_ref: &str) -> Result<CaseAccess, ApiError> {
    cases::find_for_write(tx, caller, case_ref, perm::MANAGE_SHARE, "share case").await
}

/// `GET /case/{id}/shares`: any caller who sees the case.
pub async fn list(app: &App, caller: &Caller, case_ref: &str) -> Result<Vec<Share>, ApiError> {
    let mut tx = app.store.read().await?;
    let case = cases::find(&mut tx, caller, case_ref).await?;
    others(&mut tx, caller, case.id).await
}

/// `POST /case/{id}/shares` `{shares: [...]}`: creates shares; an organisation that already
/// has one is an error (TheHive's CreateError).
pub async fn create(
    app: &App,
    caller: &Caller,
    case_ref: &str,
    body: &serde_json::Value,
) -> Result<Vec<Share>, ApiError> {
    let inputs = input::shares_body(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let access = case_for_sharing(&mut tx, caller, case_ref).await?;
    let case = &access.case;
    let existing = shares::list_for_case(&mut tx, &caller.scope(), case.id).await?;
    let mut created = Vec::new();
    for (i, input) in inputs.iter().enumerate().filter(|(_, i)| i.share) {
        let field = format!("shares[{i}]");
        let org = linked_organisation(&mut tx, caller, &input.organisation, &format!("{field}.organisation")).await?;
        if existing.iter().any(|s| s.organisation_id == org.id) || created.iter().any(|(_, o)| *o == org.id) {
            return Err(ApiError::Create(format!(
                "Case #{} is already shared with organisation {}",
                case.number, org.name
            )));
        }
        let id = create_one(&mut tx, caller, case, &org, input, &field, now).await?;
        created.push((id, org.id));
    }
    let out = shares::list_for_case(&mut tx, &caller.scope(), case.id).await?;
    tx.commit().await?;
    Ok(out.into_iter().filter(|s| created.iter().any(|(id, _)| *id == s.id)).collect())
}

/// `PUT /case/{id}/shares` `{shares: [...]}`: makes the case's shares (those the caller
/// sees, other than the owner's and its own) exactly the listed ones: creates the missing,
/// updates the listed, removes the unlisted and those listed with `share: false`.
pub async fn set(app: &App, caller: &Caller, case_ref: &str, body: &serde_json::Value) -> Result<Vec<Share>, ApiError> {
    let inputs = input::shares_body(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let access = case_for_sharing(&mut tx, caller, case_ref).await?;
    let case = &access.case;
    let existing = shares::list_for_case(&mut tx, &caller.scope(), case.id).await?;
    let mut listed: Vec<Resolved> = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let field = format!("shares[{i}]");
        // An organisation that already has a share (the owner's, say) is named by its share,
        // even when the caller is not linked to it.
        let org = match existing.iter().find(|s| s.organisation == input.organisation) {
            Some(s) => organisations::get_by_id(&mut tx, s.organisation_id)
                .await?
                .ok_or_else(|| ApiError::Internal("organisation vanished".into()))?,
            None => linked_organisation(&mut tx, caller, &input.organisation, &format!("{field}.organisation")).await?,
        };
        if listed.iter().any(|r| r.org.id == org.id) {
            return Err(ApiError::BadRequest(format!("{field}: organisation {} is listed twice", org.name)));
        }
        listed.push(Resolved { input, org });
    }
    for (i, r) in listed.iter().enumerate() {
        let field = format!("shares[{i}]");
        match existing.iter().find(|s| s.organisation_id == r.org.id) {
            // The owner's and the caller's own share may be listed as they are.
            Some(s) if (s.owner || s.organisation_id == caller.organisation_id) && r.input.share => {
                let same_profile = r.input.profile.as_ref().is_none_or(|p| *p == s.profile);
                if !same_profile || r.input.task_rule.is_some() || r.input.observable_rule.is_some() {
                    check_changeable(caller, s)?;
                }
            }
            Some(s) if !r.input.share => delete_one(&mut tx, caller, s, now).await?,
            Some(s) => update_one(&mut tx, caller, s, r.input, &field, now).await?,
            None if !r.input.share => {}
            None if r.org.id == caller.organisation_id => {
                return Err(ApiError::Internal("the caller's organisation has no share on a visible case".into()));
            }
            None => {
                create_one(&mut tx, caller, case, &r.org, r.input, &field, now).await?;
            }
        }
    }
    for s in &existing {
        let unlisted = !listed.iter().any(|r| r.org.id == s.organisation_id);
        if unlisted && !s.owner && s.organisation_id != caller.organisation_id {
            delete_one(&mut tx, caller, s, now).await?;
        }
    }
    let out = others(&mut tx, caller, case.id).await?;
    tx.commit().await?;
    Ok(out)
}

/// `DELETE /case/{id}/shares` `{organisations: [...]}`.
pub async fn remove_organisations(
    app: &App,
    caller: &Caller,
    case_ref: &str,
    body: &serde_json::Value,
) -> Result<(), ApiError> {
    let names = input::names(body, "organisations")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let access = case_for_sharing(&mut tx, caller, case_ref).await?;
    let existing = shares::list_for_case(&mut tx, &caller.scope(), access.case.id).await?;
    for name in &names {
        let by_id = crate::ids::parse_id(name);
        let s =
            existing.iter().find(|s| s.organisation == *name || Some(s.organisation_id) == by_id).ok_or_else(|| {
                ApiError::BadRequest(format!("Case #{} is not shared with organisation {name}", access.case.number))
            })?;
        delete_one(&mut tx, caller, s, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A visible share and the caller's right to manage the shares of its case.
async fn share_for_write(tx: &mut Tx, caller: &Caller, share_ref: &str) -> Result<Share, ApiError> {
    let s = shares::find(tx, &caller.scope(), share_ref).await?.ok_or_else(|| ApiError::not_found("Share"))?;
    case_for_sharing(tx, caller, &crate::ids::render_id(s.case_id)).await?;
    Ok(s)
}

/// `DELETE /case/share/{shareId}`.
pub async fn remove(app: &App, caller: &Caller, share_ref: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let s = share_for_write(&mut tx, caller, share_ref).await?;
    delete_one(&mut tx, caller, &s, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /case/shares` `{ids: [...]}`: all or nothing.
pub async fn remove_many(app: &App, caller: &Caller, body: &serde_json::Value) -> Result<(), ApiError> {
    let ids = input::names(body, "ids")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    for id in &ids {
        let s = share_for_write(&mut tx, caller, id).await?;
        delete_one(&mut tx, caller, &s, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `PATCH /case/share/{shareId}` `{profile?, taskRule?, observableRule?}`.
pub async fn update(app: &App, caller: &Caller, share_ref: &str, body: &serde_json::Value) -> Result<Share, ApiError> {
    super::object(body)?;
    let mut fields = body.clone();
    if let Some(m) = fields.as_object_mut() {
        // `organisation` is the share's own; the input reader wants one.
        m.insert("organisation".into(), json!("-"));
    }
    let input = ShareInput::parse(&fields)?;
    if input.profile.is_none() && input.task_rule.is_none() && input.observable_rule.is_none() {
        return Err(ApiError::missing("profile"));
    }
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let s = share_for_write(&mut tx, caller, share_ref).await?;
    update_one(&mut tx, caller, &s, &input, "share", now).await?;
    let out = shares::find(&mut tx, &caller.scope(), &crate::ids::render_id(s.id))
        .await?
        .ok_or_else(|| ApiError::Internal("share vanished".into()))?;
    tx.commit().await?;
    Ok(out)
}

/// `GET /sharingProfile`.
pub async fn sharing_profiles(app: &App, _caller: &Caller) -> Result<Vec<SharingProfile>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(shares::sharing_profiles(&mut tx).await?)
}
