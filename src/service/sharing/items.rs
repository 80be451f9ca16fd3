//! Sharing single tasks and observables with organisations the case is already shared with
//! (spec §2.1: `POST /case/task/{id}/shares`, `DELETE /task/{id}/shares`,
//! `POST|DELETE /observable/{id}/shares`, `GET /case/{c}/task/{t}/shares`,
//! `GET /case/{c}/observable/{o}/shares`, and thehive4py's `/task/{id}/shares`).
//!
//! TheHive 4 let anyone unshare (its `DELETE` routes checked no permission): here every
//! change needs `manageShare` on the case, like sharing does.

use serde_json::json;

use super::super::audit::{Action, record};
use super::super::cases;
use super::input;
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::shares::{self, Share};
use crate::storage::{Tx, observables, tasks};

/// What is being shared.
#[derive(Debug, Clone, Copy)]
enum Item {
    Task { id: i64, case_id: i64 },
    Observable { id: i64, case_id: i64 },
}

impl Item {
    fn case_id(self) -> i64 {
        match self {
            Item::Task { case_id, .. } | Item::Observable { case_id, .. } => case_id,
        }
    }

    fn kind(self) -> &'static str {
        match self {
            Item::Task { .. } => "Task",
            Item::Observable { .. } => "Observable",
        }
    }

    fn id(self) -> i64 {
        match self {
            Item::Task { id, .. } | Item::Observable { id, .. } => id,
        }
    }
}

async fn find_task(tx: &mut Tx, caller: &Caller, id: &str) -> Result<Item, ApiError> {
    let t = tasks::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Task"))?;
    Ok(Item::Task { id: t.id, case_id: t.case_id })
}

async fn find_observable(tx: &mut Tx, caller: &Caller, id: &str) -> Result<Item, ApiError> {
    let o = observables::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Observable"))?;
    match o.parent {
        observables::Parent::Case(case_id) => Ok(Item::Observable { id: o.id, case_id }),
        // Alert observables belong to one organisation and are never shared.
        observables::Parent::Alert(_) => Err(ApiError::BadRequest("Observables of alerts cannot be shared".into())),
    }
}

/// Checks `manageShare` on the item's case; returns the case's shares the caller sees.
async fn writable(tx: &mut Tx, caller: &Caller, item: Item) -> Result<(i64, Vec<Share>), ApiError> {
    let access =
        cases::find_for_write(tx, caller, &crate::ids::render_id(item.case_id()), perm::MANAGE_SHARE, "share").await?;
    let list = shares::list_for_case(tx, &caller.scope(), item.case_id()).await?;
    Ok((access.case.number, list))
}

/// The share of the case with organisation `name` (which the caller must see), or a 400.
fn share_named<'s>(list: &'s [Share], number: i64, name: &str) -> Result<&'s Share, ApiError> {
    let by_id = crate::ids::parse_id(name);
    list.iter()
        .find(|s| s.organisation == name || Some(s.organisation_id) == by_id)
        .ok_or_else(|| ApiError::BadRequest(format!("Case #{number} is not shared with organisation {name}")))
}

async fn change(
    app: &App,
    caller: &Caller,
    item_ref: &str,
    is_task: bool,
    body: &serde_json::Value,
    grant: bool,
) -> Result<(), ApiError> {
    let names = input::names(body, "organisations")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let item = if is_task {
        find_task(&mut tx, caller, item_ref).await?
    } else {
        find_observable(&mut tx, caller, item_ref).await?
    };
    let (number, list) = writable(&mut tx, caller, item).await?;
    for name in &names {
        let s = share_named(&list, number, name)?;
        if s.owner {
            // The owner sees every task and observable of its case.
            if grant {
                continue;
            }
            return Err(ApiError::BadRequest(format!(
                "Organisation {} owns case #{number} and sees all of it; it cannot be unshared",
                s.organisation
            )));
        }
        if !grant && s.organisation_id == caller.organisation_id {
            return Err(ApiError::BadRequest("You cannot unshare from your own organisation".into()));
        }
        let changed = match (item, grant) {
            (Item::Task { id, .. }, true) => {
                shares::grant_task(&mut tx, s.id, id).await?;
                true
            }
            (Item::Task { id, .. }, false) => shares::revoke_task(&mut tx, s.id, id).await?,
            (Item::Observable { id, .. }, true) => {
                shares::grant_observable(&mut tx, s.id, id).await?;
                true
            }
            (Item::Observable { id, .. }, false) => shares::revoke_observable(&mut tx, s.id, id).await?,
        };
        if changed {
            let key = if grant { "share" } else { "unshare" };
            record(
                &mut tx,
                caller,
                Action {
                    operation: "update",
                    object_type: item.kind(),
                    object_id: item.id(),
                    root: Some(("Case", item.case_id())),
                    details: json!({ key: {"organisation": s.organisation} }),
                },
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// `POST /case/task/{taskId}/shares` (and `/task/{taskId}/shares`) `{organisations}`.
pub async fn share_task(app: &App, caller: &Caller, task: &str, body: &serde_json::Value) -> Result<(), ApiError> {
    change(app, caller, task, true, body, true).await
}

/// `DELETE /task/{taskId}/shares` `{organisations}`.
pub async fn unshare_task(app: &App, caller: &Caller, task: &str, body: &serde_json::Value) -> Result<(), ApiError> {
    change(app, caller, task, true, body, false).await
}

/// `POST /observable/{obsId}/shares` `{organisations}`.
pub async fn share_observable(app: &App, caller: &Caller, obs: &str, body: &serde_json::Value) -> Result<(), ApiError> {
    change(app, caller, obs, false, body, true).await
}

/// `DELETE /observable/{obsId}/shares` `{organisations}`.
pub async fn unshare_observable(
    app: &App,
    caller: &Caller,
    obs: &str,
    body: &serde_json::Value,
) -> Result<(), ApiError> {
    change(app, caller, obs, false, body, false).await
}

/// The shares (other than the caller's) that see an item; `case_ref`, when the path names
/// the case, must be the item's case. Needs `manageShare` on the case.
async fn item_shares(app: &App, caller: &Caller, case_ref: Option<&str>, item: Item) -> Result<Vec<Share>, ApiError> {
    let mut tx = app.store.read().await?;
    if let Some(c) = case_ref {
        let case = cases::find(&mut tx, caller, c).await?;
        if case.id != item.case_id() {
            return Err(ApiError::not_found(item.kind()));
        }
    }
    writable(&mut tx, caller, item).await?;
    let list = match item {
        Item::Task { id, case_id } => shares::for_task(&mut tx, &caller.scope(), case_id, id).await?,
        Item::Observable { id, case_id } => shares::for_observable(&mut tx, &caller.scope(), case_id, id).await?,
    };
    Ok(list.into_iter().filter(|s| s.organisation_id != caller.organisation_id).collect())
}

/// `GET /case/{caseId}/task/{taskId}/shares` and `GET /task/{taskId}/shares`.
pub async fn task_shares(
    app: &App,
    caller: &Caller,
    case_ref: Option<&str>,
    task: &str,
) -> Result<Vec<Share>, ApiError> {
    let item = {
        let mut tx = app.store.read().await?;
        find_task(&mut tx, caller, task).await?
    };
    item_shares(app, caller, case_ref, item).await
}

/// `GET /case/{caseId}/observable/{obsId}/shares` and `GET /observable/{obsId}/shares`.
pub async fn observable_shares(
    app: &App,
    caller: &Caller,
    case_ref: Option<&str>,
    obs: &str,
) -> Result<Vec<Share>, ApiError> {
    let item = {
        let mut tx = app.store.read().await?;
        find_observable(&mut tx, caller, obs).await?
    };
    item_shares(app, caller, case_ref, item).await
}
