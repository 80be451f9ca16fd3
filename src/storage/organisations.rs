//! Organisations: the tenants of the platform.

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use crate::args;

#[derive(Debug, Clone)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub task_rule: String,
    pub observable_rule: String,
    pub locked: bool,
    pub meta: Meta,
}

fn select() -> String {
    format!("SELECT id, name, description, task_rule, observable_rule, locked, {META_COLUMNS} FROM organisation")
}

fn from_row(row: &Row) -> Result<Organisation, StorageError> {
    Ok(Organisation {
        id: row.get("id")?,
        name: row.get("name")?,
        description: row.get("description")?,
        task_rule: row.get("task_rule")?,
        observable_rule: row.get("observable_rule")?,
        locked: row.get("locked")?,
        meta: Meta::from_row(row)?,
    })
}

pub struct NewOrganisation<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub task_rule: &'a str,
    pub observable_rule: &'a str,
}

/// Inserts an organisation. A duplicate name is a unique violation of
/// `organisation_name_key`, for the caller to turn into a client error.
pub async fn insert(tx: &mut Tx, org: &NewOrganisation<'_>, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.identity_changed();
    tx.fetch_i64(
        "INSERT INTO organisation (name, description, task_rule, observable_rule, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        args![org.name, org.description, org.task_rule, org.observable_rule, by, now],
    )
    .await
}

/// Looks an organisation up by `~id` or name without any visibility check: for
/// authentication and administration paths only.
pub async fn find_unscoped(tx: &mut Tx, id_or_name: &str) -> Result<Option<Organisation>, StorageError> {
    let row = match crate::ids::parse_id(id_or_name) {
        Some(id) => tx.fetch_optional(&format!("{} WHERE id = $1", select()), args![id]).await?,
        None => tx.fetch_optional(&format!("{} WHERE name = $1", select()), args![id_or_name]).await?,
    };
    row.as_ref().map(from_row).transpose()
}

pub async fn get_by_id(tx: &mut Tx, id: i64) -> Result<Option<Organisation>, StorageError> {
    let row = tx.fetch_optional(&format!("{} WHERE id = $1", select()), args![id]).await?;
    row.as_ref().map(from_row).transpose()
}

/// An organisation as the caller may see it (`visibility::organisation`: the admin
/// organisation sees all of them, another one itself and those it is linked to).
pub async fn find(tx: &mut Tx, scope: &Scope, id_or_name: &str) -> Result<Option<Organisation>, StorageError> {
    let visible = super::visibility::organisation("organisation", 1, scope.is_admin_org());
    let (cond, arg) = match crate::ids::parse_id(id_or_name) {
        Some(id) => ("id = $2", super::Value::from(id)),
        None => ("name = $2", super::Value::from(id_or_name)),
    };
    let row = tx
        .fetch_optional(&format!("{} WHERE {visible} AND {cond}", select()), vec![scope.organisation_id().into(), arg])
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// All organisations the caller may see, by name.
pub async fn list(tx: &mut Tx, scope: &Scope) -> Result<Vec<Organisation>, StorageError> {
    let visible = super::visibility::organisation("organisation", 1, scope.is_admin_org());
    let rows =
        tx.fetch_all(&format!("{} WHERE {visible} ORDER BY name", select()), args![scope.organisation_id()]).await?;
    rows.iter().map(from_row).collect()
}

/// Names of the organisations `org_id` is linked to that the caller may see (organisation
/// B's links must not tell A about C when A is not linked to C).
pub async fn link_names(tx: &mut Tx, scope: &Scope, org_id: i64) -> Result<Vec<String>, StorageError> {
    let visible = super::visibility::organisation("o", 2, scope.is_admin_org());
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT o.name FROM organisation_link l JOIN organisation o ON o.id = l.to_organisation_id \
                 WHERE l.from_organisation_id = $1 AND {visible} ORDER BY o.name"
            ),
            args![org_id, scope.organisation_id()],
        )
        .await?;
    rows.iter().map(|r| r.get_idx(0)).collect()
}

pub struct OrganisationUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub task_rule: Option<String>,
    pub observable_rule: Option<String>,
    pub locked: Option<bool>,
}

pub async fn update(tx: &mut Tx, id: i64, u: &OrganisationUpdate, by: &str, now: i64) -> Result<(), StorageError> {
    tx.identity_changed();
    tx.execute(
        "UPDATE organisation SET name = COALESCE($1, name), description = COALESCE($2, description), \
         task_rule = COALESCE($3, task_rule), observable_rule = COALESCE($4, observable_rule), \
         locked = COALESCE($5, locked), updated_by = $6, updated_at = $7 WHERE id = $8",
        args![
            u.name.clone(),
            u.description.clone(),
            u.task_rule.clone(),
            u.observable_rule.clone(),
            u.locked,
            by,
            now,
            id
        ],
    )
    .await?;
    Ok(())
}
