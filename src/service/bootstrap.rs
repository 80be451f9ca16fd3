//! First start on an empty database: the `admin` organisation, the default profiles and
//! observable types, and `admin@thehive.local`. Nothing else is created implicitly.

use crate::app::App;
use crate::auth::{ADMIN_ORG, password, permissions, secrets};
use crate::error::ApiError;
use crate::storage::{observable_types, organisations, profiles, users};

/// The author of built-in objects, as in TheHive.
pub const SYSTEM_USER: &str = "system@thehive.local";
pub const ADMIN_LOGIN: &str = "admin@thehive.local";

/// TheHive's default observable types: (name, isAttachment).
pub const DEFAULT_OBSERVABLE_TYPES: &[(&str, bool)] = &[
    ("autonomous-system", false),
    ("domain", false),
    ("file", true),
    ("filename", false),
    ("fqdn", false),
    ("hash", false),
    ("hostname", false),
    ("ip", false),
    ("mail", false),
    ("mail-subject", false),
    ("other", false),
    ("regexp", false),
    ("registry", false),
    ("uri_path", false),
    ("url", false),
    ("user-agent", false),
];

/// Creates the initial objects if the database has no user yet. Idempotent.
pub async fn bootstrap(app: &App) -> Result<(), ApiError> {
    let mut tx = app.store.write().await?;
    let now = crate::clock::now_ms();
    if users::count(&mut tx).await? > 0 {
        // Built-in sharing profiles added by a later version appear on existing databases.
        super::sharing::ensure_sharing_profiles(&mut tx, SYSTEM_USER, now).await?;
        tx.commit().await?;
        return Ok(());
    }
    let admin_org = organisations::insert(
        &mut tx,
        &organisations::NewOrganisation {
            name: ADMIN_ORG,
            description: "organisation for administration",
            task_rule: "manual",
            observable_rule: "manual",
        },
        SYSTEM_USER,
        now,
    )
    .await?;
    let mut admin_profile = 0;
    for (name, perms) in permissions::default_profiles() {
        let id = profiles::insert(&mut tx, name, &perms, SYSTEM_USER, now).await?;
        if name == "admin" {
            admin_profile = id;
        }
    }
    for (name, is_attachment) in DEFAULT_OBSERVABLE_TYPES {
        observable_types::insert(&mut tx, name, *is_attachment, SYSTEM_USER, now).await?;
    }
    let (password, generated) = match &app.config.admin_password {
        Some(p) => (p.expose().to_owned(), false),
        None => (secrets::new_token(18), true),
    };
    let hash = password::hash(password.clone()).await?;
    let admin = users::insert(
        &mut tx,
        &users::NewUser {
            login: ADMIN_LOGIN,
            name: "Administrator",
            email: None,
            user_type: "Normal",
            password_hash: Some(&hash),
        },
        SYSTEM_USER,
        now,
    )
    .await?;
    users::set_role(&mut tx, admin, admin_org, admin_profile, now).await?;
    super::sharing::ensure_sharing_profiles(&mut tx, SYSTEM_USER, now).await?;
    tx.commit().await?;
    if generated {
        // Printed once, on purpose: this is the only way to learn the generated password.
        tracing::warn!(login = ADMIN_LOGIN, password = %password, "created the administrator account with a generated password; change it after the first login");
    } else {
        tracing::info!(login = ADMIN_LOGIN, "created the administrator account with the configured password");
    }
    Ok(())
}

/// For the benchmark's raw-insert reference database: only the `admin` organisation, so the
/// raw rows have an owner. Not used by the server.
pub async fn seed_admin_org_only(store: &crate::storage::Store) -> Result<(), ApiError> {
    let mut tx = store.write().await?;
    organisations::insert(
        &mut tx,
        &organisations::NewOrganisation {
            name: ADMIN_ORG,
            description: "",
            task_rule: "manual",
            observable_rule: "manual",
        },
        SYSTEM_USER,
        crate::clock::now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
