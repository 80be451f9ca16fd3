//! Organisations: create, read, list, update (spec §1.12).

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::{object, opt_bool, opt_str, req_str};
use crate::app::App;
use crate::auth::{ADMIN_ORG, Caller, perm};
use crate::error::{ApiError, ResultExt};
use crate::storage::organisations::{self, NewOrganisation, Organisation, OrganisationUpdate};

/// An organisation with what its output needs besides its own row.
pub struct OrganisationView {
    pub org: Organisation,
    pub links: Vec<String>,
}

use super::sharing::RULES;

fn rule(body: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match opt_str(body, name)? {
        Some(r) if !RULES.contains(&r.as_str()) => Err(ApiError::invalid(name, &RULES.join("|"), &json!(r))),
        other => Ok(other),
    }
}

fn check_name(name: &str) -> Result<(), ApiError> {
    if name.contains(['/', '\\', '"', '\'']) || name.starts_with('~') || name.len() > 128 {
        return Err(ApiError::invalid("name", "organisation name", &json!(name)));
    }
    Ok(())
}

pub async fn create(app: &App, caller: &Caller, body: &Value) -> Result<OrganisationView, ApiError> {
    caller.require(perm::MANAGE_ORGANISATION, "create organisation")?;
    object(body)?;
    let name = req_str(body, "name")?;
    check_name(&name)?;
    let description = opt_str(body, "description")?.unwrap_or_default();
    let task_rule = rule(body, "taskRule")?.unwrap_or_else(|| "manual".into());
    let observable_rule = rule(body, "observableRule")?.unwrap_or_else(|| "manual".into());
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let new = NewOrganisation {
        name: &name,
        description: &description,
        task_rule: &task_rule,
        observable_rule: &observable_rule,
    };
    let id = organisations::insert(&mut tx, &new, &caller.login, now).await.on_unique(
        "organisation_name_key",
        "organisation.name",
        || ApiError::Create(format!("Organisation {name} already exists")),
    )?;
    let details = json!({"name": name, "description": description});
    record(
        &mut tx,
        caller,
        Action { operation: "create", object_type: "Organisation", object_id: id, root: None, details },
        now,
    )
    .await?;
    let org = organisations::get_by_id(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::Internal("organisation vanished".into()))?;
    tx.commit().await?;
    Ok(OrganisationView { org, links: Vec::new() })
}

pub async fn get(app: &App, caller: &Caller, id_or_name: &str) -> Result<OrganisationView, ApiError> {
    let mut tx = app.store.read().await?;
    let org = organisations::find(&mut tx, &caller.scope(), id_or_name)
        .await?
        .ok_or_else(|| ApiError::not_found("Organisation"))?;
    let links = organisations::link_names(&mut tx, &caller.scope(), org.id).await?;
    Ok(OrganisationView { org, links })
}

pub async fn list(app: &App, caller: &Caller) -> Result<Vec<OrganisationView>, ApiError> {
    let mut tx = app.store.read().await?;
    let orgs = organisations::list(&mut tx, &caller.scope()).await?;
    let mut out = Vec::with_capacity(orgs.len());
    for org in orgs {
        let links = organisations::link_names(&mut tx, &caller.scope(), org.id).await?;
        out.push(OrganisationView { org, links });
    }
    Ok(out)
}

pub async fn update(app: &App, caller: &Caller, id_or_name: &str, body: &Value) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_ORGANISATION, "update organisation")?;
    object(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let org = organisations::find(&mut tx, &caller.scope(), id_or_name)
        .await?
        .ok_or_else(|| ApiError::not_found("Organisation"))?;
    if org.name == ADMIN_ORG {
        return Err(ApiError::BadRequest("The admin organisation cannot be modified".into()));
    }
    let u = OrganisationUpdate {
        name: opt_str(body, "name")?,
        description: opt_str(body, "description")?,
        task_rule: rule(body, "taskRule")?,
        observable_rule: rule(body, "observableRule")?,
        locked: opt_bool(body, "locked")?,
    };
    if let Some(name) = &u.name {
        check_name(name)?;
    }
    let mut details = serde_json::Map::new();
    for key in ["name", "description", "taskRule", "observableRule", "locked"] {
        if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
            details.insert(key.into(), v.clone());
        }
    }
    organisations::update(&mut tx, org.id, &u, &caller.login, now).await.on_unique(
        "organisation_name_key",
        "organisation.name",
        || ApiError::Create(format!("Organisation {} already exists", u.name.clone().unwrap_or_default())),
    )?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Organisation",
            object_id: org.id,
            root: None,
            details: Value::Object(details),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
