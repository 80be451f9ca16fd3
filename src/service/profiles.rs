//! Profiles: sets of permissions (spec §1.14, §6).

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::{object, opt_str, req_str};
use crate::app::App;
use crate::auth::{Caller, perm, permissions};
use crate::error::{ApiError, ResultExt};
use crate::storage::profiles::{self, Profile};

fn parse_permissions(body: &Value) -> Result<Option<Vec<String>>, ApiError> {
    match body.get("permissions") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => {
            let mut perms = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) if !s.is_empty() => perms.push(s.clone()),
                    other => return Err(ApiError::invalid("permissions", "array of permission names", other)),
                }
            }
            perms.sort();
            perms.dedup();
            Ok(Some(perms))
        }
        Some(other) => Err(ApiError::invalid("permissions", "array of permission names", other)),
    }
}

pub async fn create(app: &App, caller: &Caller, body: &Value) -> Result<Profile, ApiError> {
    caller.require(perm::MANAGE_PROFILE, "create profile")?;
    object(body)?;
    let name = req_str(body, "name")?;
    let perms = parse_permissions(body)?.unwrap_or_default();
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let id = profiles::insert(&mut tx, &name, &perms, &caller.login, now).await.on_unique(
        "profile_name_key",
        "profile.name",
        || ApiError::Create(format!("Profile {name} already exists")),
    )?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "create",
            object_type: "Profile",
            object_id: id,
            root: None,
            details: json!({"name": name, "permissions": perms}),
        },
        now,
    )
    .await?;
    let profile = profiles::find(&mut tx, &crate::ids::render_id(id))
        .await?
        .ok_or_else(|| ApiError::Internal("profile vanished".into()))?;
    tx.commit().await?;
    Ok(profile)
}

pub async fn get(app: &App, id_or_name: &str) -> Result<Profile, ApiError> {
    let mut tx = app.store.read().await?;
    profiles::find(&mut tx, id_or_name).await?.ok_or_else(|| ApiError::not_found("Profile"))
}

pub async fn list(app: &App) -> Result<Vec<Profile>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(profiles::list(&mut tx).await?)
}

/// Updates name and/or permissions; answers the updated profile (TheHive answers 200 here).
pub async fn update(app: &App, caller: &Caller, id_or_name: &str, body: &Value) -> Result<Profile, ApiError> {
    caller.require(perm::MANAGE_PROFILE, "update profile")?;
    object(body)?;
    let name = opt_str(body, "name")?;
    let perms = parse_permissions(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let profile = profiles::find(&mut tx, id_or_name).await?.ok_or_else(|| ApiError::not_found("Profile"))?;
    if !permissions::is_editable(&profile.name) {
        return Err(ApiError::BadRequest(format!("Profile {} is not editable", profile.name)));
    }
    profiles::update(&mut tx, profile.id, name.as_deref(), perms.as_deref(), &caller.login, now).await.on_unique(
        "profile_name_key",
        "profile.name",
        || ApiError::Create(format!("Profile {} already exists", name.clone().unwrap_or_default())),
    )?;
    let mut details = serde_json::Map::new();
    if let Some(n) = &name {
        details.insert("name".into(), json!(n));
    }
    if let Some(p) = &perms {
        details.insert("permissions".into(), json!(p));
    }
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Profile",
            object_id: profile.id,
            root: None,
            details: Value::Object(details),
        },
        now,
    )
    .await?;
    let updated = profiles::find(&mut tx, &crate::ids::render_id(profile.id))
        .await?
        .ok_or_else(|| ApiError::Internal("profile vanished".into()))?;
    tx.commit().await?;
    Ok(updated)
}

pub async fn delete(app: &App, caller: &Caller, id_or_name: &str) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_PROFILE, "delete profile")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let profile = profiles::find(&mut tx, id_or_name).await?.ok_or_else(|| ApiError::not_found("Profile"))?;
    if !permissions::is_editable(&profile.name) {
        return Err(ApiError::BadRequest(format!("Profile {} is not editable", profile.name)));
    }
    if profiles::in_use(&mut tx, profile.id).await? {
        return Err(ApiError::BadRequest(format!("Profile {} is used", profile.name)));
    }
    profiles::delete(&mut tx, profile.id).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Profile",
            object_id: profile.id,
            root: None,
            details: json!({"name": profile.name}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
