//! Comments (spec §1.19, TheHive 5): created on cases here (alerts: `service::alerts`),
//! changed through `/comment/{id}` for both. Writing needs `manageCase` on the case (and
//! its share) or `manageAlert`; a comment can be edited or deleted by its author only.

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::cases;
use super::{object, opt_bool, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::Tx;
use crate::storage::comments::{self, Comment, CommentOwner};

/// `POST /case/{caseId}/comment` `{message, external?}`.
pub async fn create_in_case(app: &App, caller: &Caller, case_ref: &str, body: &Value) -> Result<Comment, ApiError> {
    object(body)?;
    let message = req_str(body, "message")?;
    let external = opt_bool(body, "external")?.unwrap_or(false);
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let access = cases::find_for_write(&mut tx, caller, case_ref, perm::MANAGE_CASE, "comment case").await?;
    let case_id = access.case.id;
    let id = comments::insert(&mut tx, CommentOwner::Case(case_id), &message, external, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "create",
            object_type: "Comment",
            object_id: id,
            root: Some(("Case", case_id)),
            details: json!({"message": message}),
        },
        now,
    )
    .await?;
    let c = comments::find(&mut tx, &caller.scope(), &crate::ids::render_id(id))
        .await?
        .ok_or_else(|| ApiError::Internal("comment vanished".into()))?;
    tx.commit().await?;
    Ok(c)
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Comment, ApiError> {
    let mut tx = app.store.read().await?;
    comments::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Comment"))
}

/// The comments of a visible case, oldest first.
pub async fn list_for_case(app: &App, caller: &Caller, case_ref: &str) -> Result<Vec<Comment>, ApiError> {
    let mut tx = app.store.read().await?;
    let case = cases::find(&mut tx, caller, case_ref).await?;
    Ok(comments::list_for(&mut tx, &caller.scope(), CommentOwner::Case(case.id)).await?)
}

/// A comment the caller may change: visible, its author, and `manageCase` on its case (with
/// the share rule) or `manageAlert` for an alert comment. Returns the comment and the root
/// (case or alert) whose timeline records the change.
async fn for_write(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    action: &str,
) -> Result<(Comment, (&'static str, i64)), ApiError> {
    let c = comments::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Comment"))?;
    let root = match (c.case_id, c.alert_id) {
        (Some(case_id), _) => {
            cases::find_for_write(tx, caller, &crate::ids::render_id(case_id), perm::MANAGE_CASE, action).await?;
            ("Case", case_id)
        }
        (None, Some(alert_id)) => {
            caller.require(perm::MANAGE_ALERT, action)?;
            ("Alert", alert_id)
        }
        (None, None) => return Err(ApiError::not_found("Comment")),
    };
    if c.meta.created_by != caller.login {
        return Err(ApiError::Authorization("Only the author of a comment can change it".into()));
    }
    Ok((c, root))
}

/// `PATCH /comment/{id}` `{message}`.
pub async fn update(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    object(body)?;
    let message = req_str(body, "message")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (c, root) = for_write(&mut tx, caller, id, "update comment").await?;
    comments::update(&mut tx, c.id, &message, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Comment",
            object_id: c.id,
            root: Some(root),
            details: json!({"message": message}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /comment/{id}`.
pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (c, root) = for_write(&mut tx, caller, id, "delete comment").await?;
    record(
        &mut tx,
        caller,
        Action { operation: "delete", object_type: "Comment", object_id: c.id, root: Some(root), details: json!({}) },
        now,
    )
    .await?;
    comments::delete(&mut tx, c.id).await?;
    tx.commit().await?;
    Ok(())
}
