//! Users and their memberships (roles) in organisations.

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use crate::args;

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub email: Option<String>,
    pub user_type: String,
    pub password_hash: Option<String>,
    pub locked: bool,
    pub api_key_hash: Option<String>,
    pub api_key_sealed: Option<Vec<u8>>,
    pub totp_secret: Option<String>,
    pub default_organisation_id: Option<i64>,
    pub avatar: Option<String>,
    pub meta: Meta,
}

/// One membership: the user is in `organisation` with `profile`.
#[derive(Debug, Clone)]
pub struct Membership {
    pub organisation_id: i64,
    pub organisation: String,
    pub profile_id: i64,
    pub profile: String,
    pub permissions: Vec<String>,
    pub created_at: i64,
}

fn select() -> String {
    format!(
        "SELECT id, login, name, email, user_type, password_hash, locked, api_key_hash, api_key_sealed, totp_secret, \
         default_organisation_id, avatar, {META_COLUMNS} FROM app_user"
    )
}

fn from_row(row: &Row) -> Result<User, StorageError> {
    Ok(User {
        id: row.get("id")?,
        login: row.get("login")?,
        name: row.get("name")?,
        email: row.get("email")?,
        user_type: row.get("user_type")?,
        password_hash: row.get("password_hash")?,
        locked: row.get("locked")?,
        api_key_hash: row.get("api_key_hash")?,
        api_key_sealed: row.get("api_key_sealed")?,
        totp_secret: row.get("totp_secret")?,
        default_organisation_id: row.get("default_organisation_id")?,
        avatar: row.get("avatar")?,
        meta: Meta::from_row(row)?,
    })
}

pub struct NewUser<'a> {
    pub login: &'a str,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub user_type: &'a str,
    pub password_hash: Option<&'a str>,
}

pub async fn insert(tx: &mut Tx, u: &NewUser<'_>, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.identity_changed();
    tx.fetch_i64(
        "INSERT INTO app_user (login, name, email, user_type, password_hash, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        args![u.login, u.name, u.email, u.user_type, u.password_hash, by, now],
    )
    .await
}

/// By `~id` or login, without visibility: for authentication and for checks that follow.
pub async fn find_unscoped(tx: &mut Tx, id_or_login: &str) -> Result<Option<User>, StorageError> {
    let row = match crate::ids::parse_id(id_or_login) {
        Some(id) => tx.fetch_optional(&format!("{} WHERE id = $1", select()), args![id]).await?,
        None => tx.fetch_optional(&format!("{} WHERE login = $1", select()), args![id_or_login]).await?,
    };
    row.as_ref().map(from_row).transpose()
}

pub async fn get_by_id(tx: &mut Tx, id: i64) -> Result<Option<User>, StorageError> {
    let row = tx.fetch_optional(&format!("{} WHERE id = $1", select()), args![id]).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn find_by_api_key_hash(tx: &mut Tx, hash: &str) -> Result<Option<User>, StorageError> {
    let row = tx.fetch_optional(&format!("{} WHERE api_key_hash = $1", select()), args![hash]).await?;
    row.as_ref().map(from_row).transpose()
}

/// A user the caller may see (`visibility::user`: the admin organisation sees every user,
/// another organisation its own members), by `~id` or login.
pub async fn find(tx: &mut Tx, scope: &Scope, id_or_login: &str) -> Result<Option<User>, StorageError> {
    let (cond, arg) = match crate::ids::parse_id(id_or_login) {
        Some(id) => ("id = $2", super::Value::from(id)),
        None => ("login = $2", super::Value::from(id_or_login)),
    };
    let visible = super::visibility::user("app_user", 1, scope.is_admin_org());
    let row = tx
        .fetch_optional(&format!("{} WHERE {visible} AND {cond}", select()), vec![scope.organisation_id().into(), arg])
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Members of an organisation, by login.
pub async fn list_in_organisation(tx: &mut Tx, organisation_id: i64) -> Result<Vec<User>, StorageError> {
    let rows = tx
        .fetch_all(
            &format!("{} WHERE id IN (SELECT user_id FROM role WHERE organisation_id = $1) ORDER BY login", select()),
            args![organisation_id],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// A user's memberships, oldest first (the oldest is the default organisation in 4.x).
pub async fn memberships(tx: &mut Tx, user_id: i64) -> Result<Vec<Membership>, StorageError> {
    let rows = tx
        .fetch_all(
            "SELECT r.organisation_id, o.name AS organisation, r.profile_id, p.name AS profile, p.permissions, r.created_at \
             FROM role r JOIN organisation o ON o.id = r.organisation_id JOIN profile p ON p.id = r.profile_id \
             WHERE r.user_id = $1 ORDER BY r.created_at, r.id",
            args![user_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let perms: String = r.get("permissions")?;
            Ok(Membership {
                organisation_id: r.get("organisation_id")?,
                organisation: r.get("organisation")?,
                profile_id: r.get("profile_id")?,
                profile: r.get("profile")?,
                permissions: serde_json::from_str(&perms)
                    .map_err(|e| StorageError::Corrupt(format!("profile.permissions: {e}")))?,
                created_at: r.get("created_at")?,
            })
        })
        .collect()
}

/// Adds the user to an organisation, or changes the profile if already a member.
pub async fn set_role(
    tx: &mut Tx,
    user_id: i64,
    organisation_id: i64,
    profile_id: i64,
    now: i64,
) -> Result<(), StorageError> {
    tx.identity_changed();
    tx.execute(
        "INSERT INTO role (user_id, organisation_id, profile_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, organisation_id) DO UPDATE SET profile_id = excluded.profile_id",
        args![user_id, organisation_id, profile_id, now],
    )
    .await?;
    Ok(())
}

pub async fn remove_role(tx: &mut Tx, user_id: i64, organisation_id: i64) -> Result<u64, StorageError> {
    tx.identity_changed();
    tx.execute("DELETE FROM role WHERE user_id = $1 AND organisation_id = $2", args![user_id, organisation_id]).await
}

/// Changed fields of a user; `None` leaves a field alone. `Some(None)` clears a nullable one.
#[derive(Default)]
pub struct UserUpdate {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub user_type: Option<String>,
    pub locked: Option<bool>,
    pub password_hash: Option<Option<String>>,
    pub api_key: Option<Option<(String, Vec<u8>)>>,
    pub default_organisation_id: Option<Option<i64>>,
    pub avatar: Option<Option<String>>,
}

pub async fn update(tx: &mut Tx, id: i64, u: &UserUpdate, by: &str, now: i64) -> Result<(), StorageError> {
    tx.identity_changed();
    // Nullable columns use a "set?" flag next to the value so that NULL can be written.
    let (key_hash, key_sealed) = match &u.api_key {
        Some(Some((h, s))) => (Some(h.clone()), Some(s.clone())),
        _ => (None, None),
    };
    tx.execute(
        "UPDATE app_user SET \
           name = COALESCE($1, name), \
           email = CASE WHEN $2 THEN $3 ELSE email END, \
           user_type = COALESCE($4, user_type), \
           locked = COALESCE($5, locked), \
           password_hash = CASE WHEN $6 THEN $7 ELSE password_hash END, \
           api_key_hash = CASE WHEN $8 THEN $9 ELSE api_key_hash END, \
           api_key_sealed = CASE WHEN $8 THEN $10 ELSE api_key_sealed END, \
           default_organisation_id = CASE WHEN $11 THEN $12 ELSE default_organisation_id END, \
           avatar = CASE WHEN $13 THEN $14 ELSE avatar END, \
           updated_by = $15, updated_at = $16 \
         WHERE id = $17",
        args![
            u.name.clone(),
            u.email.is_some(),
            u.email.clone().flatten(),
            u.user_type.clone(),
            u.locked,
            u.password_hash.is_some(),
            u.password_hash.clone().flatten(),
            u.api_key.is_some(),
            key_hash,
            key_sealed,
            u.default_organisation_id.is_some(),
            u.default_organisation_id.flatten(),
            u.avatar.is_some(),
            u.avatar.clone().flatten(),
            by,
            now,
            id
        ],
    )
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.identity_changed();
    tx.execute("DELETE FROM app_user WHERE id = $1", args![id]).await?;
    Ok(())
}

/// Number of users; zero means the database was never bootstrapped.
pub async fn count(tx: &mut Tx) -> Result<i64, StorageError> {
    tx.fetch_i64("SELECT COUNT(*) FROM app_user", args![]).await
}
