//! Observable types (spec §1.11): global, managed by the admin organisation.

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::{object, opt_bool, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::{ApiError, ResultExt};
use crate::storage::observable_types::{self, ObservableType};

pub async fn create(app: &App, caller: &Caller, body: &Value) -> Result<ObservableType, ApiError> {
    caller.require(perm::MANAGE_OBSERVABLE_TEMPLATE, "create observable type")?;
    object(body)?;
    let name = req_str(body, "name")?;
    let is_attachment = opt_bool(body, "isAttachment")?.unwrap_or(false);
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let id = observable_types::insert(&mut tx, &name, is_attachment, &caller.login, now).await.on_unique(
        "observable_type_name_key",
        "observable_type.name",
        || ApiError::Create(format!("Observable type {name} already exists")),
    )?;
    let details = json!({"name": name, "isAttachment": is_attachment});
    record(
        &mut tx,
        caller,
        Action { operation: "create", object_type: "ObservableType", object_id: id, root: None, details },
        now,
    )
    .await?;
    let t = observable_types::find(&mut tx, &crate::ids::render_id(id))
        .await?
        .ok_or_else(|| ApiError::Internal("observable type vanished".into()))?;
    tx.commit().await?;
    Ok(t)
}

pub async fn get(app: &App, id_or_name: &str) -> Result<ObservableType, ApiError> {
    let mut tx = app.store.read().await?;
    observable_types::find(&mut tx, id_or_name).await?.ok_or_else(|| ApiError::not_found("ObservableType"))
}

pub async fn list(app: &App) -> Result<Vec<ObservableType>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(observable_types::list(&mut tx).await?)
}

pub async fn delete(app: &App, caller: &Caller, id_or_name: &str) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_OBSERVABLE_TEMPLATE, "delete observable type")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let t = observable_types::find(&mut tx, id_or_name).await?.ok_or_else(|| ApiError::not_found("ObservableType"))?;
    observable_types::delete(&mut tx, t.id).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "ObservableType",
            object_id: t.id,
            root: None,
            details: json!({"name": t.name}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
