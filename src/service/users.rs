//! Users, their memberships, passwords and API keys (spec §1.13, §4.5).

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::{object, opt_bool, opt_str, req_str};
use crate::app::App;
use crate::auth::caller::normalise_login;
use crate::auth::{ADMIN_ORG, Caller, password, perm, permissions, secrets};
use crate::error::{ApiError, ResultExt};
use crate::storage::users::{self, Membership, NewUser, User, UserUpdate};
use crate::storage::{Tx, organisations, profiles, sessions};

/// A user with its memberships, enough to render TheHive's user output.
pub struct UserView {
    pub user: User,
    pub memberships: Vec<Membership>,
}

impl UserView {
    /// The membership that describes the user in organisation `org_id` (or the first).
    pub fn membership_in(&self, org_id: i64) -> Option<&Membership> {
        self.memberships.iter().find(|m| m.organisation_id == org_id).or(self.memberships.first())
    }
}

async fn view(tx: &mut Tx, user: User) -> Result<UserView, ApiError> {
    let memberships = users::memberships(tx, user.id).await?;
    Ok(UserView { user, memberships })
}

/// "manageUser over this user": an admin-organisation manager manages everyone; an
/// organisation's manager manages its own members, except platform administrators.
fn can_manage(caller: &Caller, memberships: &[Membership]) -> bool {
    if !caller.has(perm::MANAGE_USER) {
        return false;
    }
    if caller.in_admin_org() {
        return true;
    }
    memberships.iter().any(|m| m.organisation_id == caller.organisation_id)
        && !memberships.iter().any(|m| m.organisation == ADMIN_ORG)
}

fn require_manage(caller: &Caller, memberships: &[Membership], action: &str) -> Result<(), ApiError> {
    if can_manage(caller, memberships) { Ok(()) } else { Err(ApiError::forbidden(action, perm::MANAGE_USER)) }
}

/// The caller as `GET /user/current` shows it.
pub async fn current(app: &App, caller: &Caller) -> Result<UserView, ApiError> {
    let mut tx = app.store.read().await?;
    let user = users::get_by_id(&mut tx, caller.user_id).await?.ok_or_else(|| ApiError::not_found("User"))?;
    view(&mut tx, user).await
}

pub async fn get(app: &App, caller: &Caller, id_or_login: &str) -> Result<UserView, ApiError> {
    let mut tx = app.store.read().await?;
    let user = find_visible(&mut tx, caller, id_or_login).await?;
    view(&mut tx, user).await
}

async fn find_visible(tx: &mut Tx, caller: &Caller, id_or_login: &str) -> Result<User, ApiError> {
    let key =
        if crate::ids::parse_id(id_or_login).is_some() { id_or_login.to_owned() } else { normalise_login(id_or_login) };
    users::find(tx, &caller.scope(), &key).await?.ok_or_else(|| ApiError::not_found("User"))
}

/// Members of the caller's organisation (or of `organisation` for admin-org callers).
pub async fn list(app: &App, caller: &Caller, organisation: Option<&str>) -> Result<Vec<UserView>, ApiError> {
    let mut tx = app.store.read().await?;
    let org_id = match organisation {
        Some(o) => {
            organisations::find(&mut tx, &caller.scope(), o)
                .await?
                .ok_or_else(|| ApiError::not_found("Organisation"))?
                .id
        }
        None => caller.organisation_id,
    };
    if org_id != caller.organisation_id && !caller.in_admin_org() {
        return Err(ApiError::not_found("Organisation"));
    }
    let mut out = Vec::new();
    for user in users::list_in_organisation(&mut tx, org_id).await? {
        out.push(view(&mut tx, user).await?);
    }
    Ok(out)
}

fn check_login(login: &str) -> Result<(), ApiError> {
    let valid = login.len() <= 254
        && login
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
        && !login.contains(char::is_whitespace)
        && !login.starts_with('~');
    if !valid || login == super::bootstrap::SYSTEM_USER {
        return Err(ApiError::invalid("login", "email-like login", &json!(login)));
    }
    Ok(())
}

fn check_type(t: &str) -> Result<(), ApiError> {
    if matches!(t, "Normal" | "Service") { Ok(()) } else { Err(ApiError::invalid("type", "Normal|Service", &json!(t))) }
}

/// Resolves a profile that the caller is allowed to grant in organisation `org_name`.
async fn grantable_profile(
    tx: &mut Tx,
    caller: &Caller,
    name: &str,
    org_name: &str,
) -> Result<profiles::Profile, ApiError> {
    let profile = profiles::find(tx, name).await?.ok_or_else(|| ApiError::not_found("Profile"))?;
    // Admin-scope profiles are only meaningful in the admin organisation, and only its
    // managers may hand them out.
    if permissions::is_admin_profile(&profile.permissions) && (!caller.in_admin_org() || org_name != ADMIN_ORG) {
        return Err(ApiError::BadRequest(format!(
            "Profile {} can only be given in the {ADMIN_ORG} organisation",
            profile.name
        )));
    }
    Ok(profile)
}

/// Checks that the caller may manage memberships of organisation `org_id`.
fn require_manage_org(caller: &Caller, org_id: i64) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_USER, "manage user")?;
    if caller.in_admin_org() || caller.organisation_id == org_id {
        Ok(())
    } else {
        Err(ApiError::forbidden("manage users of another organisation", perm::MANAGE_USER))
    }
}

/// `POST /user`: creates the user, or adds an existing login to the organisation.
pub async fn create(app: &App, caller: &Caller, body: &Value) -> Result<UserView, ApiError> {
    caller.require(perm::MANAGE_USER, "create user")?;
    object(body)?;
    let login = normalise_login(&req_str(body, "login")?);
    check_login(&login)?;
    let name = req_str(body, "name")?;
    let profile_name = req_str(body, "profile")?;
    let email = opt_str(body, "email")?;
    let user_type = opt_str(body, "type")?.unwrap_or_else(|| "Normal".into());
    check_type(&user_type)?;
    let password = opt_str(body, "password")?;
    let hash = match password {
        Some(p) if !p.is_empty() => Some(password::hash(p).await?),
        _ => None,
    };
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let org = match opt_str(body, "organisation")? {
        Some(o) => organisations::find(&mut tx, &caller.scope(), &o)
            .await?
            .ok_or_else(|| ApiError::not_found("Organisation"))?,
        None => organisations::get_by_id(&mut tx, caller.organisation_id)
            .await?
            .ok_or_else(|| ApiError::not_found("Organisation"))?,
    };
    require_manage_org(caller, org.id)?;
    let profile = grantable_profile(&mut tx, caller, &profile_name, &org.name).await?;
    let user_id = match users::find_unscoped(&mut tx, &login).await? {
        Some(existing) => existing.id,
        None => {
            let new = NewUser {
                login: &login,
                name: &name,
                email: email.as_deref(),
                user_type: &user_type,
                password_hash: hash.as_deref(),
            };
            users::insert(&mut tx, &new, &caller.login, now).await.on_unique(
                "app_user_login_key",
                "app_user.login",
                || ApiError::Create(format!("User {login} already exists")),
            )?
        }
    };
    users::set_role(&mut tx, user_id, org.id, profile.id, now).await?;
    let details = json!({"login": login, "name": name, "organisation": org.name, "profile": profile.name});
    record(
        &mut tx,
        caller,
        Action { operation: "create", object_type: "User", object_id: user_id, root: None, details },
        now,
    )
    .await?;
    let user = users::get_by_id(&mut tx, user_id).await?.ok_or_else(|| ApiError::Internal("user vanished".into()))?;
    let v = view(&mut tx, user).await?;
    tx.commit().await?;
    Ok(v)
}

/// `PATCH /user/{id}`: self may change name, email and avatar; the rest needs manageUser.
pub async fn update(app: &App, caller: &Caller, id_or_login: &str, body: &Value) -> Result<(), ApiError> {
    object(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let user = find_visible(&mut tx, caller, id_or_login).await?;
    let memberships = users::memberships(&mut tx, user.id).await?;
    let is_self = user.id == caller.user_id;
    let mut u = UserUpdate { name: opt_str(body, "name")?, ..UserUpdate::default() };
    if let Some(email) = opt_str(body, "email")? {
        u.email = Some(Some(email).filter(|e| !e.is_empty()));
    }
    if let Some(avatar) = opt_str(body, "avatar")? {
        u.avatar = Some(Some(avatar).filter(|a| !a.is_empty()));
    }
    let privileged = ["locked", "profile", "type", "defaultOrganisation", "organisation"];
    let wants_privileged = privileged.iter().any(|k| body.get(*k).is_some_and(|v| !v.is_null()));
    if (!is_self || wants_privileged) && !can_manage(caller, &memberships) {
        return Err(ApiError::forbidden("update user", perm::MANAGE_USER));
    }
    if let Some(locked) = opt_bool(body, "locked")? {
        if locked && is_self {
            return Err(ApiError::Authorization("You cannot lock yourself".into()));
        }
        u.locked = Some(locked);
    }
    if let Some(t) = opt_str(body, "type")? {
        check_type(&t)?;
        u.user_type = Some(t);
    }
    if let Some(d) = opt_str(body, "defaultOrganisation")? {
        let m = memberships
            .iter()
            .find(|m| m.organisation == d || crate::ids::parse_id(&d) == Some(m.organisation_id))
            .ok_or_else(|| ApiError::BadRequest(format!("User is not a member of organisation {d}")))?;
        u.default_organisation_id = Some(Some(m.organisation_id));
    }
    if let Some(profile_name) = opt_str(body, "profile")? {
        let org = match opt_str(body, "organisation")? {
            Some(o) => organisations::find(&mut tx, &caller.scope(), &o)
                .await?
                .ok_or_else(|| ApiError::not_found("Organisation"))?,
            None => organisations::get_by_id(&mut tx, caller.organisation_id)
                .await?
                .ok_or_else(|| ApiError::not_found("Organisation"))?,
        };
        require_manage_org(caller, org.id)?;
        if !memberships.iter().any(|m| m.organisation_id == org.id) {
            return Err(ApiError::BadRequest(format!("User is not a member of organisation {}", org.name)));
        }
        let profile = grantable_profile(&mut tx, caller, &profile_name, &org.name).await?;
        users::set_role(&mut tx, user.id, org.id, profile.id, now).await?;
    }
    users::update(&mut tx, user.id, &u, &caller.login, now).await?;
    if u.locked == Some(true) {
        sessions::delete_for_user(&mut tx, user.id).await?;
    }
    let mut details = serde_json::Map::new();
    for key in ["name", "email", "locked", "profile", "organisation", "type", "defaultOrganisation"] {
        if let Some(v) = body.get(key).filter(|v| !v.is_null()) {
            details.insert(key.into(), v.clone());
        }
    }
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "User",
            object_id: user.id,
            root: None,
            details: Value::Object(details),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /user/{id}`: TheHive locks the account rather than deleting it.
pub async fn lock(app: &App, caller: &Caller, id_or_login: &str) -> Result<(), ApiError> {
    update(app, caller, id_or_login, &json!({"locked": true})).await
}

/// `DELETE /user/{id}/force`: removes the user from an organisation (default: the
/// caller's), and deletes the account when no membership is left.
pub async fn remove(app: &App, caller: &Caller, id_or_login: &str, organisation: Option<&str>) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let user = find_visible(&mut tx, caller, id_or_login).await?;
    if user.id == caller.user_id {
        return Err(ApiError::Authorization("You cannot delete yourself".into()));
    }
    let memberships = users::memberships(&mut tx, user.id).await?;
    require_manage(caller, &memberships, "delete user")?;
    let org_id = match organisation {
        Some(o) => {
            organisations::find(&mut tx, &caller.scope(), o)
                .await?
                .ok_or_else(|| ApiError::not_found("Organisation"))?
                .id
        }
        None => caller.organisation_id,
    };
    require_manage_org(caller, org_id)?;
    let removed = users::remove_role(&mut tx, user.id, org_id).await?;
    if removed == 0 && !memberships.is_empty() && organisation.is_some() {
        return Err(ApiError::BadRequest("User is not a member of that organisation".into()));
    }
    let deleted = users::memberships(&mut tx, user.id).await?.is_empty();
    if deleted {
        users::delete(&mut tx, user.id).await?;
    }
    let operation = if deleted { "delete" } else { "update" };
    record(
        &mut tx,
        caller,
        Action {
            operation,
            object_type: "User",
            object_id: user.id,
            root: None,
            details: json!({"login": user.login, "removedFrom": org_id}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `PUT /user/{id}/organisations`: replaces the user's memberships.
pub async fn set_organisations(
    app: &App,
    caller: &Caller,
    id_or_login: &str,
    body: &Value,
) -> Result<UserView, ApiError> {
    object(body)?;
    let Some(Value::Array(items)) = body.get("organisations") else {
        return Err(ApiError::missing("organisations"));
    };
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let user = find_visible(&mut tx, caller, id_or_login).await?;
    let before = users::memberships(&mut tx, user.id).await?;
    require_manage(caller, &before, "set user organisations")?;
    let mut wanted = Vec::new();
    let mut default = None;
    for item in items {
        let org_name = req_str(item, "organisation")?;
        let profile_name = req_str(item, "profile")?;
        let org = organisations::find(&mut tx, &caller.scope(), &org_name)
            .await?
            .ok_or_else(|| ApiError::not_found("Organisation"))?;
        require_manage_org(caller, org.id)?;
        let profile = grantable_profile(&mut tx, caller, &profile_name, &org.name).await?;
        if opt_bool(item, "default")? == Some(true) {
            default = Some(org.id);
        }
        wanted.push((org.id, profile.id));
    }
    for m in &before {
        if !wanted.iter().any(|(o, _)| *o == m.organisation_id) {
            require_manage_org(caller, m.organisation_id)?;
            users::remove_role(&mut tx, user.id, m.organisation_id).await?;
        }
    }
    for (org_id, profile_id) in &wanted {
        users::set_role(&mut tx, user.id, *org_id, *profile_id, now).await?;
    }
    if default.is_some() {
        let u = UserUpdate { default_organisation_id: Some(default), ..UserUpdate::default() };
        users::update(&mut tx, user.id, &u, &caller.login, now).await?;
    }
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "User",
            object_id: user.id,
            root: None,
            details: json!({"organisations": items}),
        },
        now,
    )
    .await?;
    let user = users::get_by_id(&mut tx, user.id).await?.ok_or_else(|| ApiError::Internal("user vanished".into()))?;
    let v = view(&mut tx, user).await?;
    tx.commit().await?;
    Ok(v)
}

fn check_password_strength(p: &str) -> Result<(), ApiError> {
    if p.is_empty() {
        return Err(ApiError::missing("password"));
    }
    if p.len() > 1024 {
        return Err(ApiError::invalid("password", "at most 1024 bytes", &json!("…")));
    }
    Ok(())
}

/// `POST /user/{id}/password/set` (manager).
pub async fn set_password(app: &App, caller: &Caller, id_or_login: &str, body: &Value) -> Result<(), ApiError> {
    object(body)?;
    let new = req_str(body, "password")?;
    check_password_strength(&new)?;
    let hash = password::hash(new).await?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let user = find_visible(&mut tx, caller, id_or_login).await?;
    let memberships = users::memberships(&mut tx, user.id).await?;
    require_manage(caller, &memberships, "set password")?;
    let u = UserUpdate { password_hash: Some(Some(hash)), ..UserUpdate::default() };
    users::update(&mut tx, user.id, &u, &caller.login, now).await?;
    sessions::delete_for_user(&mut tx, user.id).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "User",
            object_id: user.id,
            root: None,
            details: json!({"password": "<hidden>"}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /user/{id}/password/change` (self only, with the current password).
pub async fn change_password(app: &App, caller: &Caller, id_or_login: &str, body: &Value) -> Result<(), ApiError> {
    object(body)?;
    let current = req_str(body, "currentPassword")?;
    let new = req_str(body, "password")?;
    check_password_strength(&new)?;
    let mut tx = app.store.write().await?;
    let user = find_visible(&mut tx, caller, id_or_login).await?;
    if user.id != caller.user_id {
        return Err(ApiError::Authorization("You can only change your own password".into()));
    }
    let ok = match &user.password_hash {
        Some(h) => password::verify(current, h.clone()).await,
        None => false,
    };
    if !ok {
        return Err(ApiError::Authorization("Authentication failure: wrong current password".into()));
    }
    let hash = password::hash(new).await?;
    let now = crate::clock::now_ms();
    let u = UserUpdate { password_hash: Some(Some(hash)), ..UserUpdate::default() };
    users::update(&mut tx, user.id, &u, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "User",
            object_id: user.id,
            root: None,
            details: json!({"password": "<hidden>"}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /user/{id}/key/renew`: a new API key, returned once in clear.
pub async fn renew_key(app: &App, caller: &Caller, id_or_login: &str) -> Result<String, ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let user = find_visible(&mut tx, caller, id_or_login).await?;
    let memberships = users::memberships(&mut tx, user.id).await?;
    if user.id != caller.user_id {
        require_manage(caller, &memberships, "renew API key")?;
    }
    let key = secrets::new_api_key();
    let sealed = app.sealer.seal(key.as_bytes());
    let u = UserUpdate { api_key: Some(Some((secrets::sha256_hex(key.as_bytes()), sealed))), ..UserUpdate::default() };
    users::update(&mut tx, user.id, &u, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "User",
            object_id: user.id,
            root: None,
            details: json!({"key": "<renewed>"}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// `GET /user/{id}/key`: reveals the key to its owner or a manager.
pub async fn reveal_key(app: &App, caller: &Caller, id_or_login: &str) -> Result<String, ApiError> {
    let mut tx = app.store.read().await?;
    let user = find_visible(&mut tx, caller, id_or_login).await?;
    if user.id != caller.user_id {
        let memberships = users::memberships(&mut tx, user.id).await?;
        require_manage(caller, &memberships, "read API key")?;
    }
    let sealed = user.api_key_sealed.ok_or_else(|| ApiError::NotFound(format!("User {} hasn't key", user.login)))?;
    let key = app
        .sealer
        .open(&sealed)
        .ok_or_else(|| ApiError::Internal("API key cannot be unsealed: the server secret changed".into()))?;
    String::from_utf8(key).map_err(|_| ApiError::Internal("sealed API key is not UTF-8".into()))
}

/// `DELETE /user/{id}/key`.
pub async fn remove_key(app: &App, caller: &Caller, id_or_login: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let user = find_visible(&mut tx, caller, id_or_login).await?;
    if user.id != caller.user_id {
        let memberships = users::memberships(&mut tx, user.id).await?;
        require_manage(caller, &memberships, "remove API key")?;
    }
    let u = UserUpdate { api_key: Some(None), ..UserUpdate::default() };
    users::update(&mut tx, user.id, &u, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "User",
            object_id: user.id,
            root: None,
            details: json!({"key": "<removed>"}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A user by id without visibility: for rendering the caller's own account after login.
pub async fn view_by_id(app: &App, user_id: i64) -> Result<UserView, ApiError> {
    let mut tx = app.store.read().await?;
    let user = users::get_by_id(&mut tx, user_id).await?.ok_or_else(|| ApiError::not_found("User"))?;
    view(&mut tx, user).await
}
