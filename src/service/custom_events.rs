//! Custom timeline events of a case (TheHive 5, spec §1.16): `POST /case/{id}/customEvent`
//! `{date, endDate?, title, description?}`, read, update and delete through
//! `/customEvent/{id}`. Writing needs `manageCase` on the case (with its share, as every
//! write inside a case); each change is audited in the case's trail. The case timeline
//! (`GET /case/{id}/timeline`) shows the events at their own date.

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::cases;
use super::input::{opt_date, patch_date, patch_str};
use super::{object, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::audit::AuditEntry;
use crate::storage::custom_events::{self, CustomEvent, EventFields};
use crate::storage::{Tx, audit};

fn not_found() -> ApiError {
    ApiError::not_found("CustomEvent")
}

/// Checks `endDate` is not before `date`.
fn check_dates(date: i64, end: Option<i64>) -> Result<(), ApiError> {
    match end {
        Some(e) if e < date => Err(ApiError::invalid("endDate", "date not before date", &json!(e))),
        _ => Ok(()),
    }
}

/// `POST /case/{caseId}/customEvent`: `title` and `date` are required.
pub async fn create(app: &App, caller: &Caller, case_ref: &str, body: &Value) -> Result<CustomEvent, ApiError> {
    object(body)?;
    let title = req_str(body, "title")?;
    let date = opt_date(body, "date")?.ok_or_else(|| ApiError::missing("date"))?;
    let end_date = opt_date(body, "endDate")?;
    check_dates(date, end_date)?;
    let description = patch_str(body, "description", true)?.into_update().flatten();
    let fields =
        EventFields { date: Some(date), end_date: Some(end_date), title: Some(title), description: Some(description) };
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let access = cases::find_for_write(&mut tx, caller, case_ref, perm::MANAGE_CASE, "add a custom event").await?;
    let case_id = access.case.id;
    let id = custom_events::insert(&mut tx, case_id, &fields, &caller.login, now).await?;
    audit_change(&mut tx, caller, "create", id, case_id, json!({"title": fields.title, "date": date}), now).await?;
    let e = reload(&mut tx, caller, id).await?;
    tx.commit().await?;
    Ok(e)
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<CustomEvent, ApiError> {
    let mut tx = app.store.read().await?;
    custom_events::find(&mut tx, &caller.scope(), id).await?.ok_or_else(not_found)
}

/// The events of a visible case, newest first.
pub async fn list_for_case(app: &App, caller: &Caller, case_ref: &str) -> Result<Vec<CustomEvent>, ApiError> {
    let mut tx = app.store.read().await?;
    let case = cases::find(&mut tx, caller, case_ref).await?;
    Ok(custom_events::list_for_case(&mut tx, case.id).await?)
}

/// `PATCH /customEvent/{id}`: `date`, `endDate` (null clears), `title`, `description`.
pub async fn update(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    object(body)?;
    let title = match body.get("title") {
        None => None,
        Some(_) => Some(req_str(body, "title")?),
    };
    let date = match body.get("date") {
        None => None,
        Some(_) => Some(opt_date(body, "date")?.ok_or_else(|| ApiError::missing("date"))?),
    };
    let fields = EventFields {
        date,
        end_date: patch_date(body, "endDate")?.into_update(),
        title,
        description: patch_str(body, "description", true)?.into_update(),
    };
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let e = for_write(&mut tx, caller, id, "update a custom event").await?;
    check_dates(fields.date.unwrap_or(e.date), fields.end_date.unwrap_or(e.end_date))?;
    custom_events::update(&mut tx, e.id, &fields, &caller.login, now).await?;
    let mut details = body.clone();
    if let Some(m) = details.as_object_mut() {
        m.retain(|k, _| matches!(k.as_str(), "date" | "endDate" | "title" | "description"));
    }
    audit_change(&mut tx, caller, "update", e.id, e.case_id, details, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /customEvent/{id}`.
pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let e = for_write(&mut tx, caller, id, "delete a custom event").await?;
    custom_events::delete(&mut tx, e.id).await?;
    audit_change(&mut tx, caller, "delete", e.id, e.case_id, json!({"title": e.title}), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The audit trail of a visible case without the entries about custom events (the events
/// themselves are shown), and its custom events: what `GET /case/{id}/timeline` merges.
pub async fn timeline(
    app: &App,
    caller: &Caller,
    case_ref: &str,
) -> Result<(Vec<AuditEntry>, Vec<CustomEvent>), ApiError> {
    let mut tx = app.store.read().await?;
    let case = cases::find(&mut tx, caller, case_ref).await?;
    let mut entries = audit::list_for_root(&mut tx, &caller.scope(), "Case", case.id, 1000).await?;
    entries.retain(|a| a.object_type != "CustomEvent");
    let events = custom_events::list_for_case(&mut tx, case.id).await?;
    Ok((entries, events))
}

async fn for_write(tx: &mut Tx, caller: &Caller, id: &str, action: &str) -> Result<CustomEvent, ApiError> {
    let e = custom_events::find(tx, &caller.scope(), id).await?.ok_or_else(not_found)?;
    cases::find_for_write(tx, caller, &crate::ids::render_id(e.case_id), perm::MANAGE_CASE, action).await?;
    Ok(e)
}

async fn reload(tx: &mut Tx, caller: &Caller, id: i64) -> Result<CustomEvent, ApiError> {
    custom_events::find(tx, &caller.scope(), &crate::ids::render_id(id))
        .await?
        .ok_or_else(|| ApiError::Internal("custom event vanished".into()))
}

async fn audit_change(
    tx: &mut Tx,
    caller: &Caller,
    operation: &str,
    id: i64,
    case_id: i64,
    details: Value,
    now: i64,
) -> Result<(), ApiError> {
    record(
        tx,
        caller,
        Action { operation, object_type: "CustomEvent", object_id: id, root: Some(("Case", case_id)), details },
        now,
    )
    .await?;
    cases::touch(tx, caller, case_id, now).await
}
