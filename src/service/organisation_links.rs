//! Links between organisations (spec §1.12, §2.2 TheHive 5): link, unlink, list, replace
//! all links of an organisation. A link is written in both directions: `linkType` is how
//! the first organisation treats the second (the sharing profile applied to its new
//! cases), `otherLinkType` the reverse. Only linked organisations see each other and share
//! cases; the `admin` organisation is never linked.
//!
//! Unlinking does not withdraw existing shares: the cases already shared stay shared (as in
//! TheHive), only new shares are refused.

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::{object, opt_str, req_str};
use crate::app::App;
use crate::auth::{ADMIN_ORG, Caller, perm};
use crate::error::ApiError;
use crate::storage::organisation_links::{self, Link};
use crate::storage::organisations::{self, Organisation};
use crate::storage::{Tx, shares};

/// An organisation the caller sees, with its outgoing links.
pub struct LinkView {
    pub link: Link,
    pub organisation: Organisation,
}

const DEFAULT_LINK: &str = "default";

async fn visible(tx: &mut Tx, caller: &Caller, id_or_name: &str) -> Result<Organisation, ApiError> {
    organisations::find(tx, &caller.scope(), id_or_name).await?.ok_or_else(|| ApiError::not_found("Organisation"))
}

/// A link type: the name of a sharing profile.
async fn link_type(tx: &mut Tx, body: &Value, name: &str) -> Result<String, ApiError> {
    let t = opt_str(body, name)?.filter(|t| !t.trim().is_empty()).unwrap_or_else(|| DEFAULT_LINK.into());
    if shares::find_sharing_profile(tx, &t).await?.is_none() {
        let known: Vec<String> = shares::sharing_profiles(tx).await?.into_iter().map(|s| s.name).collect();
        return Err(ApiError::invalid(name, &known.join("|"), &json!(t)));
    }
    Ok(t)
}

fn check_linkable(a: &Organisation, b: &Organisation) -> Result<(), ApiError> {
    if a.name == ADMIN_ORG || b.name == ADMIN_ORG {
        return Err(ApiError::BadRequest("The admin organisation cannot be linked".into()));
    }
    if a.id == b.id {
        return Err(ApiError::BadRequest(format!("Organisation {} cannot be linked to itself", a.name)));
    }
    Ok(())
}

async fn write_link(
    tx: &mut Tx,
    caller: &Caller,
    a: &Organisation,
    b: &Organisation,
    types: (&str, &str),
    now: i64,
) -> Result<(), ApiError> {
    organisation_links::upsert(tx, a.id, b.id, types.0, types.1, &caller.login, now).await?;
    organisation_links::upsert(tx, b.id, a.id, types.1, types.0, &caller.login, now).await?;
    record(
        tx,
        caller,
        Action {
            operation: "update",
            object_type: "Organisation",
            object_id: a.id,
            root: None,
            details: json!({"link": {"organisation": b.name, "linkType": types.0, "otherLinkType": types.1}}),
        },
        now,
    )
    .await
}

async fn remove_link(
    tx: &mut Tx,
    caller: &Caller,
    a: &Organisation,
    b: &Organisation,
    now: i64,
) -> Result<bool, ApiError> {
    let one = organisation_links::delete(tx, a.id, b.id).await?;
    let two = organisation_links::delete(tx, b.id, a.id).await?;
    if one || two {
        record(
            tx,
            caller,
            Action {
                operation: "update",
                object_type: "Organisation",
                object_id: a.id,
                root: None,
                details: json!({"unlink": {"organisation": b.name}}),
            },
            now,
        )
        .await?;
    }
    Ok(one || two)
}

/// `PUT /organisation/{id}/link/{otherId}` `{linkType?, otherLinkType?}` (default `default`).
pub async fn link(app: &App, caller: &Caller, a: &str, b: &str, body: &Value) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_ORGANISATION, "link organisations")?;
    object(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let a = visible(&mut tx, caller, a).await?;
    let b = visible(&mut tx, caller, b).await?;
    check_linkable(&a, &b)?;
    let lt = link_type(&mut tx, body, "linkType").await?;
    let olt = link_type(&mut tx, body, "otherLinkType").await?;
    write_link(&mut tx, caller, &a, &b, (&lt, &olt), now).await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /organisation/{id}/link/{otherId}`: 404 if they were not linked.
pub async fn unlink(app: &App, caller: &Caller, a: &str, b: &str) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_ORGANISATION, "unlink organisations")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let a = visible(&mut tx, caller, a).await?;
    let b = visible(&mut tx, caller, b).await?;
    if !remove_link(&mut tx, caller, &a, &b, now).await? {
        return Err(ApiError::NotFound(format!("Organisations {} and {} are not linked", a.name, b.name)));
    }
    tx.commit().await?;
    Ok(())
}

/// `GET /organisation/{id}/links`: the organisations it is linked to, as far as the caller
/// sees them (an organisation sees itself and its links; the admin organisation all).
pub async fn links(app: &App, caller: &Caller, id: &str) -> Result<Vec<LinkView>, ApiError> {
    let mut tx = app.store.read().await?;
    let org = visible(&mut tx, caller, id).await?;
    let mut out = Vec::new();
    for link in organisation_links::list(&mut tx, org.id).await? {
        if let Some(o) =
            organisations::find(&mut tx, &caller.scope(), &crate::ids::render_id(link.to_organisation_id)).await?
        {
            out.push(LinkView { link, organisation: o });
        }
    }
    Ok(out)
}

/// `PUT /organisation/{id}/links` `{links: [{toOrganisation, linkType, otherLinkType}]}`:
/// the organisation's links become exactly these (missing ones created, listed ones
/// retyped, unlisted ones removed), in one transaction.
pub async fn set_links(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_ORGANISATION, "link organisations")?;
    object(body)?;
    let items = match body.get("links") {
        Some(Value::Array(items)) => items.clone(),
        None | Some(Value::Null) => return Err(ApiError::missing("links")),
        Some(other) => return Err(ApiError::invalid("links", "array of links", other)),
    };
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let a = visible(&mut tx, caller, id).await?;
    let mut wanted: Vec<(Organisation, String, String)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = |n: &str| format!("links[{i}].{n}");
        object(item)?;
        let to = req_str(item, "toOrganisation").map_err(|_| ApiError::missing(&field("toOrganisation")))?;
        let b = organisations::find(&mut tx, &caller.scope(), &to)
            .await?
            .ok_or_else(|| ApiError::invalid(&field("toOrganisation"), "an organisation", &json!(to)))?;
        check_linkable(&a, &b)?;
        let lt =
            link_type(&mut tx, item, "linkType").await.map_err(|e| super::input::nest(&format!("links[{i}]"), e))?;
        let olt = link_type(&mut tx, item, "otherLinkType")
            .await
            .map_err(|e| super::input::nest(&format!("links[{i}]"), e))?;
        if wanted.iter().any(|(o, _, _)| o.id == b.id) {
            return Err(ApiError::BadRequest(format!(
                "{}: organisation {} is listed twice",
                field("toOrganisation"),
                b.name
            )));
        }
        wanted.push((b, lt, olt));
    }
    for existing in organisation_links::list(&mut tx, a.id).await? {
        if !wanted.iter().any(|(o, _, _)| o.id == existing.to_organisation_id)
            && let Some(b) = organisations::get_by_id(&mut tx, existing.to_organisation_id).await?
        {
            remove_link(&mut tx, caller, &a, &b, now).await?;
        }
    }
    for (b, lt, olt) in &wanted {
        let current = organisation_links::find(&mut tx, a.id, b.id).await?;
        if current.is_none_or(|c| c.link_type != *lt || c.other_link_type != *olt) {
            write_link(&mut tx, caller, &a, b, (lt, olt), now).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
