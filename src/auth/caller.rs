//! Turning request credentials into a `Caller`: who is asking, in which organisation, with
//! which effective permissions. Resolved once per request; everything downstream receives it.

use std::collections::BTreeSet;
use std::net::IpAddr;

use super::identity_cache::Identity;
use super::permissions;
use crate::app::App;
use crate::error::ApiError;
use crate::storage::users::{Membership, User};
use crate::storage::{Scope, Tx, sessions, users};

/// The name of the organisation that administers the platform.
pub const ADMIN_ORG: &str = "admin";

/// How the request authenticated (reported in logs and used by logout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    ApiKey,
    Basic,
    /// The session's deadline and chosen organisation as read, so that keep-alive needs no
    /// second read.
    Session {
        token_hash: String,
        expires_at: i64,
        organisation_id: Option<i64>,
    },
}

/// Credentials as found on the request, not yet checked.
pub enum Credentials {
    ApiKey(String),
    Basic { login: String, password: String, code: Option<String> },
    Session(String),
}

/// An authenticated user acting in one organisation. Only `authenticate` builds one.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub login: String,
    pub organisation_id: i64,
    pub organisation: String,
    pub profile: String,
    pub permissions: BTreeSet<String>,
    pub method: AuthMethod,
    pub request_id: String,
}

impl Caller {
    /// The visibility capability for storage reads.
    pub fn scope(&self) -> Scope {
        Scope::new(self.organisation_id, self.organisation == ADMIN_ORG)
    }

    pub fn in_admin_org(&self) -> bool {
        self.organisation == ADMIN_ORG
    }

    pub fn has(&self, permission: &str) -> bool {
        self.permissions.contains(permission)
    }

    /// Refuses with TheHive's 403 unless the caller holds `permission` in this organisation.
    pub fn require(&self, permission: &str, action: &str) -> Result<(), ApiError> {
        if self.has(permission) { Ok(()) } else { Err(ApiError::forbidden(action, permission)) }
    }
}

fn auth_failure() -> ApiError {
    ApiError::Authentication("Authentication failure".into())
}

/// Checks a login and password (and TOTP code when the account has one), with the failed-
/// login throttle applied before the check. Used by Basic auth and by `POST /login`.
pub async fn check_password(
    app: &App,
    tx: &mut Tx,
    login: &str,
    password: &str,
    code: Option<&str>,
    addr: Option<IpAddr>,
) -> Result<User, ApiError> {
    let login = normalise_login(login);
    let now = crate::clock::now_ms();
    let delay = app.throttle.delay(&login, addr, now);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let user = users::find_unscoped(tx, &login).await?;
    let ok = match &user {
        Some(u) => match &u.password_hash {
            Some(hash) => app.password_cache.verify(password, hash).await,
            None => false,
        },
        None => false,
    };
    let Some(user) = user.filter(|_| ok) else {
        app.throttle.failed(&login, addr, crate::clock::now_ms());
        return Err(auth_failure());
    };
    if user.locked {
        return Err(ApiError::Authentication("Your account is locked".into()));
    }
    if let Some(secret) = &user.totp_secret {
        let Some(code) = code else {
            return Err(ApiError::MultiFactorCodeRequired);
        };
        if !super::totp::verify(secret, code, now) {
            app.throttle.failed(&login, addr, crate::clock::now_ms());
            return Err(ApiError::Authentication("Invalid MFA code".into()));
        }
    }
    app.throttle.succeeded(&login);
    Ok(user)
}

/// Logins are case-insensitive and get the default domain when they have none, as in TheHive.
pub fn normalise_login(login: &str) -> String {
    let login = login.trim().to_lowercase();
    if login.contains('@') || login.is_empty() { login } else { format!("{login}@thehive.local") }
}

/// Authenticates a request and picks its organisation.
pub async fn authenticate(
    app: &App,
    creds: Credentials,
    requested_org: Option<&str>,
    addr: Option<IpAddr>,
    request_id: String,
) -> Result<Caller, ApiError> {
    let (identity, method, session_org) = match creds {
        Credentials::ApiKey(key) => (identity_by_api_key(app, &key).await?, AuthMethod::ApiKey, None),
        Credentials::Basic { login, password, code } => {
            let mut tx = app.store.read().await?;
            let user = check_password(app, &mut tx, &login, &password, code.as_deref(), addr).await?;
            let memberships = users::memberships(&mut tx, user.id).await?;
            (Identity { user, memberships }, AuthMethod::Basic, None)
        }
        Credentials::Session(token) => {
            let mut tx = app.store.read().await?;
            let token_hash = super::secrets::sha256_hex(token.as_bytes());
            let session = sessions::find(&mut tx, &token_hash).await?.ok_or_else(auth_failure)?;
            if session.expires_at < crate::clock::now_ms() {
                return Err(auth_failure());
            }
            let user = users::get_by_id(&mut tx, session.user_id).await?.ok_or_else(auth_failure)?;
            let memberships = users::memberships(&mut tx, user.id).await?;
            let method = AuthMethod::Session {
                token_hash,
                expires_at: session.expires_at,
                organisation_id: session.organisation_id,
            };
            (Identity { user, memberships }, method, session.organisation_id)
        }
    };
    caller_in(identity, method, requested_org, session_org, request_id)
}

/// The user and memberships an API key stands for: from the identity cache when nothing
/// that could change them was committed since they were read, else from the database.
async fn identity_by_api_key(app: &App, key: &str) -> Result<Identity, ApiError> {
    let hash = super::secrets::sha256_hex(key.as_bytes());
    // The epoch is loaded before the read: a change committed during the read makes the
    // entry stale at once instead of letting it outlive the change.
    let epoch = app.store.identity_epoch();
    if let Some(identity) = app.identities.get(&hash, epoch) {
        return Ok(identity);
    }
    let mut tx = app.store.read().await?;
    let user = users::find_by_api_key_hash(&mut tx, &hash).await?.ok_or_else(auth_failure)?;
    let memberships = users::memberships(&mut tx, user.id).await?;
    drop(tx);
    let identity = Identity { user, memberships };
    app.identities.put(hash, epoch, identity.clone());
    Ok(identity)
}

/// The caller a checked user becomes in the organisation the request picks.
fn caller_in(
    Identity { user, memberships }: Identity,
    method: AuthMethod,
    requested_org: Option<&str>,
    session_org: Option<i64>,
    request_id: String,
) -> Result<Caller, ApiError> {
    if user.locked {
        return Err(ApiError::Authentication("Your account is locked".into()));
    }
    let membership = choose_organisation(&user, &memberships, requested_org, session_org)?;
    let permissions = permissions::effective(&membership.permissions, membership.organisation == ADMIN_ORG);
    Ok(Caller {
        user_id: user.id,
        login: user.login,
        organisation_id: membership.organisation_id,
        organisation: membership.organisation.clone(),
        profile: membership.profile.clone(),
        permissions,
        method,
        request_id,
    })
}

/// The organisation a request acts in: the one it asks for (`X-Organisation`, by name or
/// `~id`), else the one chosen in the session, else the user's default, else the oldest
/// membership.
pub fn choose_organisation<'m>(
    user: &User,
    memberships: &'m [Membership],
    requested: Option<&str>,
    session_org: Option<i64>,
) -> Result<&'m Membership, ApiError> {
    if let Some(req) = requested.map(str::trim).filter(|r| !r.is_empty()) {
        let id = crate::ids::parse_id(req);
        return memberships
            .iter()
            .find(|m| Some(m.organisation_id) == id || m.organisation == req)
            .ok_or_else(|| ApiError::Authorization(format!("You are not a member of organisation {req}")));
    }
    let by_id = |id: Option<i64>| id.and_then(|id| memberships.iter().find(|m| m.organisation_id == id));
    by_id(session_org)
        .or_else(|| by_id(user.default_organisation_id))
        .or_else(|| memberships.first())
        .ok_or_else(|| ApiError::Authentication("This user is not a member of any organisation".into()))
}
