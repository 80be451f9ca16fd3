//! Alerts (spec §1.7, issue 4): create (with observables, procedures, custom fields),
//! read, update (TheHive 5 status/stage and TheHive 4 read/follow), delete, bulk
//! operations, comments, and correlation with cases. Promotion and merge are in `merge.rs`.

pub mod create;
pub mod fields;
pub mod intake;
pub mod merge;

use serde_json::{Value, json};

use super::attachments::Upload;
use super::audit::{Action, record};
use super::wire::{dedup, id_list, nullable_str, opt_date, opt_range, opt_tags};
use super::{object, opt_bool, opt_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::{ApiError, ResultExt};
use crate::storage::alert_comments::{self, AlertComment};
use crate::storage::alerts::{self, Alert, AlertUpdate};
use crate::storage::observables::{self, Observable, Parent, SimilarCase};
use crate::storage::{Tx, attachments};

/// An alert with what its v1 output needs besides its row.
#[derive(Debug, Clone)]
pub struct Created {
    pub alert: Alert,
    pub custom_fields: Vec<crate::storage::custom_fields::FieldValue>,
}

pub type AlertView = Created;

/// `POST /alert`. Concurrent creates are written together in batches (`intake.rs`); a
/// create with uploaded files (multipart) has a transaction of its own.
pub async fn create(app: &App, caller: &Caller, body: &Value, files: Vec<Upload>) -> Result<AlertView, ApiError> {
    caller.require(perm::MANAGE_ALERT, "create alert")?;
    let now = crate::clock::now_ms();
    let input = create::parse(body, &files, now)?;
    if files.is_empty() {
        return app.alert_intake.submit(caller.clone(), input).await;
    }
    let mut tx = app.store.write().await?;
    let types = super::observables::type_table_for(&mut tx, &input.observables).await?;
    let created = create::create_in_tx(&mut tx, caller, &input, &files, &types, now).await?;
    tx.commit().await?;
    Ok(created)
}

async fn view(tx: &mut Tx, alert: Alert) -> Result<AlertView, ApiError> {
    let custom_fields = fields::values(tx, alert.id).await?;
    Ok(AlertView { alert, custom_fields })
}

pub(crate) async fn find(tx: &mut Tx, caller: &Caller, id: &str) -> Result<Alert, ApiError> {
    alerts::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Alert"))
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<AlertView, ApiError> {
    let mut tx = app.store.read().await?;
    let a = find(&mut tx, caller, id).await?;
    view(&mut tx, a).await
}

/// Reads a PATCH body into an update, against the current alert (for addTags/removeTags
/// and status transitions). `null` means "not given", except for the optional texts
/// `externalLink`, `summary`, `assignee`, `caseTemplate`, which it clears.
async fn parse_update(
    tx: &mut Tx,
    caller: &Caller,
    a: &Alert,
    body: &Value,
    now: i64,
) -> Result<AlertUpdate, ApiError> {
    object(body)?;
    let mut u = AlertUpdate {
        alert_type: opt_str(body, "type")?,
        source: opt_str(body, "source")?,
        source_ref: opt_str(body, "sourceRef")?,
        external_link: nullable_str(body, "externalLink")?,
        title: opt_str(body, "title")?,
        description: opt_str(body, "description")?,
        severity: opt_range(body, "severity", 1, 4)?,
        tlp: opt_range(body, "tlp", 0, 4)?,
        pap: opt_range(body, "pap", 0, 3)?,
        date: opt_date(body, "date")?,
        last_sync_date: opt_date(body, "lastSyncDate")?.map(Some),
        tags: opt_tags(body, "tags")?,
        flag: opt_bool(body, "flag")?,
        read: opt_bool(body, "read")?,
        follow: opt_bool(body, "follow")?,
        summary: nullable_str(body, "summary")?,
        assignee: nullable_str(body, "assignee")?.map(|o| o.map(|l| crate::auth::caller::normalise_login(&l))),
        case_template: nullable_str(body, "caseTemplate")?,
        ..AlertUpdate::default()
    };
    if let Some(add) = opt_tags(body, "addTags")? {
        let mut tags = u.tags.clone().unwrap_or_else(|| a.tags.clone());
        tags.extend(add);
        u.tags = Some(dedup(tags));
    }
    if let Some(remove) = opt_tags(body, "removeTags")? {
        let tags = u.tags.clone().unwrap_or_else(|| a.tags.clone());
        u.tags = Some(tags.into_iter().filter(|t| !remove.contains(t)).collect());
    }
    if let Some(Some(login)) = &u.assignee
        && !alerts::is_member(tx, &caller.scope(), login).await?
    {
        return Err(ApiError::invalid("assignee", "login of a member of the organisation", &json!(login)));
    }
    if let Some(Some(t)) = &u.case_template
        && !alerts::case_template_exists(tx, &caller.scope(), t).await?
    {
        return Err(ApiError::invalid("caseTemplate", "name of an existing case template", &json!(t)));
    }
    if let Some(status) = opt_str(body, "status")? {
        set_status(tx, a, &status, &mut u, now).await?;
    }
    Ok(u)
}

/// TheHive 5's status rules (docs "About statuses"): `Imported` is set by promotion and
/// merge only, and an alert never goes back to the New stage once handled.
async fn set_status(tx: &mut Tx, a: &Alert, status: &str, u: &mut AlertUpdate, now: i64) -> Result<(), ApiError> {
    if status == a.status {
        return Ok(());
    }
    let stage = alerts::status_stage(tx, status)
        .await?
        .ok_or_else(|| ApiError::invalid("status", "a configured alert status", &json!(status)))?;
    match (a.stage.as_str(), stage.as_str()) {
        (_, "Imported") => {
            return Err(ApiError::BadRequest("The Imported status is set by promoting or merging the alert".into()));
        }
        ("InProgress" | "Closed" | "Imported", "New") => {
            return Err(ApiError::BadRequest(format!("An alert in stage {} cannot go back to stage New", a.stage)));
        }
        _ => {}
    }
    if stage == "InProgress" && a.in_progress_date.is_none() {
        u.in_progress_date = Some(now);
    }
    u.closed_date = Some((stage == "Closed").then_some(now));
    u.status = Some(status.to_owned());
    u.stage = Some(stage);
    Ok(())
}

async fn apply_update(tx: &mut Tx, caller: &Caller, a: &Alert, body: &Value, now: i64) -> Result<(), ApiError> {
    let u = parse_update(tx, caller, a, body, now).await?;
    alerts::update(tx, a.id, &u, &caller.login, now).await.on_unique(
        "alert_type_source_ref_key",
        "alert.organisation_id, alert.type, alert.source, alert.source_ref",
        || {
            create::duplicate(
                u.alert_type.as_deref().unwrap_or(&a.alert_type),
                u.source.as_deref().unwrap_or(&a.source),
                u.source_ref.as_deref().unwrap_or(&a.source_ref),
                &caller.organisation,
            )
        },
    )?;
    fields::update(tx, a.id, body, &caller.login, now).await?;
    let mut details = serde_json::Map::new();
    for (k, v) in body.as_object().into_iter().flatten() {
        if !v.is_null() && k != "ids" {
            details.insert(k.clone(), v.clone());
        }
    }
    record(
        tx,
        caller,
        Action {
            operation: "update",
            object_type: "Alert",
            object_id: a.id,
            root: Some(("Alert", a.id)),
            details: Value::Object(details),
        },
        now,
    )
    .await
}

/// `PATCH /alert/{id}`.
pub async fn update(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let a = find(&mut tx, caller, id).await?;
    caller.require(perm::MANAGE_ALERT, "update alert")?;
    apply_update(&mut tx, caller, &a, body, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `PATCH /alert/_bulk` `{ids, ...fields}`: all or nothing.
pub async fn bulk_update(app: &App, caller: &Caller, body: &Value) -> Result<(), ApiError> {
    let ids = id_list(body, "ids")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    for id in &ids {
        let a = find(&mut tx, caller, id).await?;
        caller.require(perm::MANAGE_ALERT, "update alert")?;
        apply_update(&mut tx, caller, &a, body, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `POST /alert/{id}/read|unread|follow|unfollow` (TheHive 4 flags).
pub async fn set_flag(app: &App, caller: &Caller, id: &str, flag: &str, value: bool) -> Result<(), ApiError> {
    let body = json!({ flag: value });
    update(app, caller, id, &body).await
}

async fn delete_in(tx: &mut Tx, caller: &Caller, id: &str, now: i64) -> Result<(), ApiError> {
    let a = find(tx, caller, id).await?;
    caller.require(perm::MANAGE_ALERT, "delete alert")?;
    let atts = alerts::delete(tx, a.id).await?;
    attachments::collect_garbage(tx, &atts).await?;
    record(
        tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Alert",
            object_id: a.id,
            root: Some(("Alert", a.id)),
            details: json!({"type": a.alert_type, "source": a.source, "sourceRef": a.source_ref}),
        },
        now,
    )
    .await
}

/// `DELETE /alert/{id}`.
pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    delete_in(&mut tx, caller, id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /alert/delete/_bulk` `{ids}`: all or nothing.
pub async fn bulk_delete(app: &App, caller: &Caller, body: &Value) -> Result<(), ApiError> {
    let ids = id_list(body, "ids")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    for id in &ids {
        delete_in(&mut tx, caller, id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `POST /alert/{id}/comment` `{message}`.
pub async fn add_comment(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<AlertComment, ApiError> {
    object(body)?;
    let message = super::req_str(body, "message")?;
    let external = opt_bool(body, "external")?.unwrap_or(false);
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let a = find(&mut tx, caller, id).await?;
    caller.require(perm::MANAGE_ALERT, "comment alert")?;
    let c = alert_comments::insert(&mut tx, a.id, &message, external, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "create",
            object_type: "Comment",
            object_id: c.id,
            root: Some(("Alert", a.id)),
            details: json!({"message": message}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

pub async fn comments(app: &App, caller: &Caller, id: &str) -> Result<Vec<AlertComment>, ApiError> {
    let mut tx = app.store.read().await?;
    let a = find(&mut tx, caller, id).await?;
    Ok(alert_comments::list(&mut tx, a.id).await?)
}

/// The cases the caller may see that share observables with the alert, with TheHive's
/// counts, newest case first (`similarCases`).
pub async fn similar_cases(app: &App, caller: &Caller, id: &str) -> Result<Vec<SimilarCase>, ApiError> {
    let mut tx = app.store.read().await?;
    let a = find(&mut tx, caller, id).await?;
    let mut out = observables::similar_cases(&mut tx, &caller.scope(), Parent::Alert(a.id)).await?;
    // Newest case first, then most similar observables (TheHive's ordering).
    out.sort_by(|x, y| y.case_id.cmp(&x.case_id).then(y.similar_observables.cmp(&x.similar_observables)));
    Ok(out)
}

/// `GET /alert/{id}/similar/{alertOrCaseId}/observables`: the alert's observables that have
/// a similar observable in the other case or alert.
pub async fn similar_observables(
    app: &App,
    caller: &Caller,
    id: &str,
    other: &str,
) -> Result<Vec<Observable>, ApiError> {
    let mut tx = app.store.read().await?;
    let a = find(&mut tx, caller, id).await?;
    let other = other_parent(&mut tx, caller, other).await?;
    Ok(observables::similar_between(&mut tx, &caller.scope(), Parent::Alert(a.id), other).await?)
}

/// Resolves `alertOrCaseId`: a case (`~id` or number) or an alert. Row ids are per table,
/// so a `~n` naming both a visible case and a visible alert means the case (the common use:
/// an alert's similar observables in a similar case).
pub(crate) async fn other_parent(tx: &mut Tx, caller: &Caller, id: &str) -> Result<Parent, ApiError> {
    if let Some(c) = observables::visible_case_id(tx, &caller.scope(), id).await? {
        return Ok(Parent::Case(c));
    }
    match alerts::find(tx, &caller.scope(), id).await? {
        Some(a) => Ok(Parent::Alert(a.id)),
        None => Err(ApiError::not_found("Case or alert")),
    }
}
