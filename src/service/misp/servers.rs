//! MISP server connections: create, read, update, delete (platform administrators), and
//! "test connection", which reports the MISP version and any problem with the URL, the
//! TLS settings, the API key or its role's permissions in words an administrator can act
//! on. The API key is sealed before it is stored and is never returned or logged.

use serde::Serialize;
use serde_json::{Value, json};

use super::settings::{self, ServerDef};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::{ApiError, ResultExt};
use crate::integrations::misp::client::{self, Auth, Connection};
use crate::service::audit::{Action, record};
use crate::storage::misp::{self, MispServer, ServerConfig, SyncFailure};

/// Who may configure connectors: platform administrators.
pub const PERMISSION: &str = perm::MANAGE_PLATFORM;

/// Oldest MISP known to work (TheHive 3 documentation: 2.4.73).
const MIN_VERSION: (u32, u32, u32) = (2, 4, 73);

/// A server with its decoded settings and the events waiting for a retry.
#[derive(Debug, Clone)]
pub struct ServerView {
    pub row: MispServer,
    pub def: ServerDef,
    pub failures: Vec<SyncFailure>,
}

/// Refuses callers who may not manage MISP servers (screens check before showing a form).
pub fn may_manage(caller: &Caller) -> Result<(), ApiError> {
    caller.require(PERMISSION, "manage MISP servers")
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("MISP server {id} not found"))
}

fn duplicate(name: &str) -> ApiError {
    ApiError::Create(format!("MISP server {name} already exists"))
}

/// The stored form of a definition.
fn config<'a>(d: &'a ServerDef, sealed: Option<&'a [u8]>, settings: &'a str) -> ServerConfig<'a> {
    ServerConfig {
        name: &d.name,
        url: &d.url,
        purpose: &d.purpose,
        auth_type: &d.auth_type,
        auth_username: d.username.as_deref(),
        api_key_sealed: sealed,
        proxy: d.proxy.as_deref(),
        ca_cert: d.ca_certificate.as_deref(),
        verify_host: d.verify_hostname,
        enabled: d.enabled,
        settings,
    }
}

/// Audit details of a definition: every setting, never the key.
fn details(d: &ServerDef, key_changed: bool) -> Value {
    json!({
        "name": d.name, "url": crate::outbound::display_url(&d.url), "purpose": d.purpose,
        "authType": d.auth_type, "enabled": d.enabled, "verifyHostname": d.verify_hostname,
        "proxy": d.proxy.as_deref().map(crate::outbound::display_url),
        "caCertificate": d.ca_certificate.is_some(), "apiKeyChanged": key_changed,
        "settings": serde_json::to_value(&d.stored).unwrap_or(Value::Null),
    })
}

/// Named Waggle organisations must exist (a typo would silently deliver nowhere).
async fn check_organisations(app: &App, d: &ServerDef) -> Result<(), ApiError> {
    let mut tx = app.store.read().await?;
    let known = misp::organisation_names(&mut tx).await?;
    for (field, list) in [
        ("includedTheHiveOrganisations", &d.stored.included_the_hive_organisations),
        ("excludedTheHiveOrganisations", &d.stored.excluded_the_hive_organisations),
    ] {
        if let Some(bad) = list.iter().find(|o| *o != "*" && !known.iter().any(|(_, n)| n == *o)) {
            return Err(ApiError::invalid(field, "names of existing organisations or *", &json!(bad)));
        }
    }
    Ok(())
}

fn require_key(d: &ServerDef, has_key: bool) -> Result<(), ApiError> {
    if d.auth_type != "none" && !has_key {
        return Err(ApiError::missing("apiKey"));
    }
    Ok(())
}

pub async fn create(app: &App, caller: &Caller, body: &Value) -> Result<ServerView, ApiError> {
    caller.require(PERMISSION, "manage MISP servers")?;
    let (def, key) = settings::apply(body, None)?;
    require_key(&def, key.is_some())?;
    check_organisations(app, &def).await?;
    let sealed = key.map(|k| app.sealer.seal(k.as_bytes()));
    let stored = serde_json::to_string(&def.stored).map_err(|e| ApiError::Internal(e.to_string()))?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let id = misp::insert(&mut tx, &config(&def, sealed.as_deref(), &stored), &caller.login, now).await.on_unique(
        "misp_server_name_key",
        "misp_server.name",
        || duplicate(&def.name),
    )?;
    let d = details(&def, sealed.is_some());
    let action = Action { operation: "create", object_type: "MispServer", object_id: id, root: None, details: d };
    record(&mut tx, caller, action, now).await?;
    let row = misp::get(&mut tx, id).await?.ok_or_else(|| ApiError::Internal("MISP server vanished".into()))?;
    tx.commit().await?;
    Ok(ServerView { def, row, failures: Vec::new() })
}

async fn view(tx: &mut crate::storage::Tx, row: MispServer) -> Result<ServerView, ApiError> {
    let failures = misp::failures(tx, row.id, None).await?;
    Ok(ServerView { def: ServerDef::from_row(&row), row, failures })
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<ServerView, ApiError> {
    caller.require(PERMISSION, "manage MISP servers")?;
    let mut tx = app.store.read().await?;
    let row = misp::find(&mut tx, id).await?.ok_or_else(|| not_found(id))?;
    view(&mut tx, row).await
}

pub async fn list(app: &App, caller: &Caller) -> Result<Vec<ServerView>, ApiError> {
    caller.require(PERMISSION, "manage MISP servers")?;
    let mut tx = app.store.read().await?;
    let mut out = Vec::new();
    for row in misp::list(&mut tx).await? {
        out.push(view(&mut tx, row).await?);
    }
    Ok(out)
}

pub async fn update(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    caller.require(PERMISSION, "manage MISP servers")?;
    let now = crate::clock::now_ms();
    let current = {
        let mut tx = app.store.read().await?;
        misp::find(&mut tx, id).await?.ok_or_else(|| not_found(id))?
    };
    let old = ServerDef::from_row(&current);
    let (def, key) = settings::apply(body, Some(&old))?;
    let sealed = match key {
        Some(k) => Some(app.sealer.seal(k.as_bytes())),
        None => current.api_key_sealed.clone(),
    };
    require_key(&def, sealed.is_some())?;
    check_organisations(app, &def).await?;
    let stored = serde_json::to_string(&def.stored).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut tx = app.store.write().await?;
    // Re-read inside the write transaction: the row may have been deleted meanwhile.
    misp::get(&mut tx, current.id).await?.ok_or_else(|| not_found(id))?;
    let url_changed = def.url != old.url;
    misp::update(&mut tx, current.id, &config(&def, sealed.as_deref(), &stored), url_changed, &caller.login, now)
        .await
        .on_unique("misp_server_name_key", "misp_server.name", || duplicate(&def.name))?;
    let key_changed = sealed != current.api_key_sealed;
    let action = Action {
        operation: "update",
        object_type: "MispServer",
        object_id: current.id,
        root: None,
        details: details(&def, key_changed),
    };
    record(&mut tx, caller, action, now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.require(PERMISSION, "manage MISP servers")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let row = misp::find(&mut tx, id).await?.ok_or_else(|| not_found(id))?;
    misp::delete(&mut tx, row.id).await?;
    let action = Action {
        operation: "delete",
        object_type: "MispServer",
        object_id: row.id,
        root: None,
        details: json!({"name": row.name}),
    };
    record(&mut tx, caller, action, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The client settings of a stored server, the API key unsealed. Fails with a message for
/// the status report when the key cannot be read.
pub fn connection(app: &App, row: &MispServer, def: &ServerDef) -> Result<Connection, String> {
    let secret = match &row.api_key_sealed {
        Some(sealed) => {
            let plain = app
                .sealer
                .open(sealed)
                .ok_or("the stored API key cannot be decrypted (was the server secret changed?); set it again")?;
            Some(String::from_utf8(plain).map_err(|_| "the stored API key is not text; set it again")?)
        }
        None => None,
    };
    connection_with(app, def, secret)
}

fn connection_with(app: &App, def: &ServerDef, secret: Option<String>) -> Result<Connection, String> {
    let need = || "no API key is configured".to_owned();
    let auth = match def.auth_type.as_str() {
        "none" => Auth::None,
        "bearer" => Auth::Bearer(secret.ok_or_else(need)?),
        "basic" => {
            Auth::Basic { username: def.username.clone().unwrap_or_default(), password: secret.ok_or_else(need)? }
        }
        _ => Auth::Key(secret.ok_or_else(need)?),
    };
    let http = crate::outbound::Settings { destinations: app.config.misp.destinations, ..def.http() };
    Ok(Connection { url: def.url.clone(), auth, http })
}

/// One step of a connection test.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub message: String,
}

/// What "test connection" found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestReport {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The MISP organisation of the API key: the `source` of imported alerts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub checks: Vec<Check>,
}

fn parse_version(v: &str) -> Option<(u32, u32, u32)> {
    let mut it = v.trim().split('.').map(|p| p.chars().take_while(char::is_ascii_digit).collect::<String>());
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Runs the checks against a connection.
pub async fn run_checks(conn: &Connection, def: &ServerDef) -> TestReport {
    let mut checks = Vec::new();
    let mut report = TestReport { ok: false, version: None, organisation: None, user: None, checks: Vec::new() };
    let client = match client::Client::new(conn) {
        Ok(c) => c,
        Err(e) => {
            checks.push(Check { name: "settings", ok: false, message: e.to_string() });
            report.checks = checks;
            return report;
        }
    };
    match client.version().await {
        Ok(v) => {
            let recent = parse_version(&v.version).is_some_and(|p| p >= MIN_VERSION);
            let message = if recent {
                format!("MISP {}", v.version)
            } else {
                format!("MISP {} is older than 2.4.73, the oldest version known to work", v.version)
            };
            checks.push(Check { name: "version", ok: recent, message });
            report.version = Some(v.version);
        }
        Err(e) => checks.push(Check { name: "version", ok: false, message: client::explain(&e) }),
    }
    match client.me().await {
        Ok(me) => {
            let org = me.org_name.clone().unwrap_or_default();
            checks.push(Check { name: "apiKey", ok: true, message: format!("API key of {} ({org})", me.email) });
            let mut needed: Vec<(&str, &str)> = vec![("perm_auth", "use the API")];
            if def.exports() {
                needed.push(("perm_add", "create events (export)"));
                needed.push(("perm_modify", "update exported events"));
                needed.push(("perm_tagger", "tag exported events"));
            }
            let missing: Vec<String> = needed
                .iter()
                .filter(|(p, _)| me.allows(p) == Some(false))
                .map(|(p, what)| format!("{p} (needed to {what})"))
                .collect();
            if missing.is_empty() {
                checks.push(Check {
                    name: "permissions",
                    ok: true,
                    message: "the key's role allows what this server is used for".into(),
                });
            } else {
                checks.push(Check {
                    name: "permissions",
                    ok: false,
                    message: format!("the key's role lacks {}", missing.join(", ")),
                });
            }
            report.organisation = me.org_name;
            report.user = Some(me.email);
        }
        Err(e) => checks.push(Check { name: "apiKey", ok: false, message: client::explain(&e) }),
    }
    report.ok = checks.iter().all(|c| c.ok);
    report.checks = checks;
    report
}

/// "Test connection" of a saved server; remembers the version and organisation found.
pub async fn test(app: &App, caller: &Caller, id: &str) -> Result<TestReport, ApiError> {
    caller.require(PERMISSION, "manage MISP servers")?;
    let row = {
        let mut tx = app.store.read().await?;
        misp::find(&mut tx, id).await?.ok_or_else(|| not_found(id))?
    };
    let def = ServerDef::from_row(&row);
    let report = match connection(app, &row, &def) {
        Ok(conn) => run_checks(&conn, &def).await,
        Err(message) => TestReport {
            ok: false,
            version: None,
            organisation: None,
            user: None,
            checks: vec![Check { name: "apiKey", ok: false, message }],
        },
    };
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    misp::record_check(&mut tx, row.id, report.version.as_deref(), report.organisation.as_deref(), now).await?;
    tx.commit().await?;
    Ok(report)
}

/// "Test connection" of settings not saved yet (the form before "save"). A patch of a
/// saved server can be tested by naming it: its stored key is used unless a new one is given.
pub async fn test_unsaved(app: &App, caller: &Caller, body: &Value) -> Result<TestReport, ApiError> {
    caller.require(PERMISSION, "manage MISP servers")?;
    let saved = match body.get("server").and_then(Value::as_str) {
        Some(id) => {
            let mut tx = app.store.read().await?;
            Some(misp::find(&mut tx, id).await?.ok_or_else(|| not_found(id))?)
        }
        None => None,
    };
    let base = saved.as_ref().map(ServerDef::from_row);
    let (def, key) = settings::apply(body, base.as_ref())?;
    let secret = match (key, &saved) {
        (Some(k), _) => Some(k),
        (None, Some(row)) => match &row.api_key_sealed {
            Some(sealed) => app.sealer.open(sealed).and_then(|b| String::from_utf8(b).ok()),
            None => None,
        },
        (None, None) => None,
    };
    match connection_with(app, &def, secret) {
        Ok(conn) => Ok(run_checks(&conn, &def).await),
        Err(_) => Err(ApiError::missing("apiKey")),
    }
}
