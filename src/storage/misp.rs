//! MISP connector rows: server connections (with their sync lease and bookkeeping), events
//! whose import failed and waits for a retry, and case exports.
//!
//! MISP servers are platform configuration, not organisation data, so these reads take no
//! `Scope`; the service layer restricts them to platform administrators. The API key is
//! stored sealed (`auth::secrets::Sealer`) and only leaves this module as those bytes.

use super::db::{Backend, Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use crate::args;

#[derive(Debug, Clone)]
pub struct MispServer {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub purpose: String,
    pub auth_type: String,
    pub auth_username: Option<String>,
    pub api_key_sealed: Option<Vec<u8>>,
    pub proxy: Option<String>,
    pub ca_cert: Option<String>,
    pub verify_host: bool,
    pub enabled: bool,
    /// JSON document, see `service::misp::settings`.
    pub settings: String,
    pub status: Option<String>,
    pub version: Option<String>,
    pub status_checked_at: Option<i64>,
    pub last_sync_at: Option<i64>,
    pub last_error: Option<String>,
    pub events_imported: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<i64>,
    pub sync_cursor: Option<i64>,
    pub next_sync_at: Option<i64>,
    pub consecutive_failures: i64,
    pub last_attempt_at: Option<i64>,
    pub last_error_at: Option<i64>,
    pub last_run: String,
    pub misp_organisation: Option<String>,
    pub meta: Meta,
}

fn select() -> String {
    format!(
        "SELECT id, name, url, purpose, auth_type, auth_username, api_key_encrypted, proxy, ca_cert, verify_host, \
         enabled, settings, status, version, status_checked_at, last_sync_at, last_error, events_imported, \
         lease_owner, lease_until, sync_cursor, next_sync_at, consecutive_failures, last_attempt_at, last_error_at, \
         last_run, misp_organisation, {META_COLUMNS} FROM misp_server"
    )
}

fn from_row(r: &Row) -> Result<MispServer, StorageError> {
    Ok(MispServer {
        id: r.get("id")?,
        name: r.get("name")?,
        url: r.get("url")?,
        purpose: r.get("purpose")?,
        auth_type: r.get("auth_type")?,
        auth_username: r.get("auth_username")?,
        api_key_sealed: r.get("api_key_encrypted")?,
        proxy: r.get("proxy")?,
        ca_cert: r.get("ca_cert")?,
        verify_host: r.get("verify_host")?,
        enabled: r.get("enabled")?,
        settings: r.get("settings")?,
        status: r.get("status")?,
        version: r.get("version")?,
        status_checked_at: r.get("status_checked_at")?,
        last_sync_at: r.get("last_sync_at")?,
        last_error: r.get("last_error")?,
        events_imported: r.get("events_imported")?,
        lease_owner: r.get("lease_owner")?,
        lease_until: r.get("lease_until")?,
        sync_cursor: r.get("sync_cursor")?,
        next_sync_at: r.get("next_sync_at")?,
        consecutive_failures: r.get("consecutive_failures")?,
        last_attempt_at: r.get("last_attempt_at")?,
        last_error_at: r.get("last_error_at")?,
        last_run: r.get("last_run")?,
        misp_organisation: r.get("misp_organisation")?,
        meta: Meta::from_row(r)?,
    })
}

/// The administrator-set part of a server row (insert and full update).
pub struct ServerConfig<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub purpose: &'a str,
    pub auth_type: &'a str,
    pub auth_username: Option<&'a str>,
    pub api_key_sealed: Option<&'a [u8]>,
    pub proxy: Option<&'a str>,
    pub ca_cert: Option<&'a str>,
    pub verify_host: bool,
    pub enabled: bool,
    pub settings: &'a str,
}

/// Inserts a server; a duplicate name violates `misp_server_name_key`.
pub async fn insert(tx: &mut Tx, c: &ServerConfig<'_>, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO misp_server (name, url, purpose, auth_type, auth_username, api_key_encrypted, proxy, ca_cert, \
         verify_host, enabled, settings, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        args![
            c.name,
            c.url,
            c.purpose,
            c.auth_type,
            c.auth_username,
            c.api_key_sealed,
            c.proxy,
            c.ca_cert,
            c.verify_host,
            c.enabled,
            c.settings,
            by,
            now
        ],
    )
    .await
}

/// Replaces the administrator-set columns. The sync bookkeeping is left alone, except that
/// a changed URL starts the cursor over (another MISP has other events).
pub async fn update(
    tx: &mut Tx,
    id: i64,
    c: &ServerConfig<'_>,
    url_changed: bool,
    by: &str,
    now: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE misp_server SET name = $1, url = $2, purpose = $3, auth_type = $4, auth_username = $5, \
         api_key_encrypted = $6, proxy = $7, ca_cert = $8, verify_host = $9, enabled = $10, settings = $11, \
         updated_by = $12, updated_at = $13, \
         sync_cursor = CASE WHEN $14 THEN NULL ELSE sync_cursor END, \
         next_sync_at = NULL, consecutive_failures = 0 WHERE id = $15",
        args![
            c.name,
            c.url,
            c.purpose,
            c.auth_type,
            c.auth_username,
            c.api_key_sealed,
            c.proxy,
            c.ca_cert,
            c.verify_host,
            c.enabled,
            c.settings,
            by,
            now,
            url_changed,
            id
        ],
    )
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM misp_server WHERE id = $1", args![id]).await?;
    Ok(())
}

/// A server by `~id` or name.
pub async fn find(tx: &mut Tx, id_or_name: &str) -> Result<Option<MispServer>, StorageError> {
    let row = match crate::ids::parse_id(id_or_name) {
        Some(id) => tx.fetch_optional(&format!("{} WHERE id = $1", select()), args![id]).await?,
        None => tx.fetch_optional(&format!("{} WHERE name = $1", select()), args![id_or_name]).await?,
    };
    row.as_ref().map(from_row).transpose()
}

pub async fn get(tx: &mut Tx, id: i64) -> Result<Option<MispServer>, StorageError> {
    let row = tx.fetch_optional(&format!("{} WHERE id = $1", select()), args![id]).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(tx: &mut Tx) -> Result<Vec<MispServer>, StorageError> {
    let rows = tx.fetch_all(&format!("{} ORDER BY name", select()), args![]).await?;
    rows.iter().map(from_row).collect()
}

/// PostgreSQL: skip rows another transaction is claiming instead of queueing behind it.
/// SQLite has a single writer, so the plain SELECT inside the write transaction is enough.
fn skip_locked(tx: &Tx) -> &'static str {
    match tx.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    }
}

/// Ids of the import servers due for a sync at `now` whose lease is free.
pub async fn due_for_import(tx: &mut Tx, now: i64) -> Result<Vec<i64>, StorageError> {
    let sql = format!(
        "SELECT id FROM misp_server WHERE enabled = TRUE AND purpose <> 'ExportOnly' \
         AND (next_sync_at IS NULL OR next_sync_at <= $1) \
         AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < $1) ORDER BY id{}",
        skip_locked(tx)
    );
    let rows = tx.fetch_all(&sql, args![now]).await?;
    rows.iter().map(|r| r.get_idx(0)).collect()
}

/// Takes the sync lease of a server for `owner` until `until`, if it is free (or already
/// ours). One conditional UPDATE: on PostgreSQL two servers racing for the row are
/// serialised by the row lock and the loser re-checks the condition and matches nothing.
pub async fn claim(tx: &mut Tx, id: i64, owner: &str, now: i64, until: i64) -> Result<bool, StorageError> {
    let n = tx
        .execute(
            "UPDATE misp_server SET lease_owner = $1, lease_until = $2 WHERE id = $3 \
             AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < $4 OR lease_owner = $1)",
            args![owner, until, id, now],
        )
        .await?;
    Ok(n == 1)
}

/// Extends a lease still held by `owner`; false when it was lost.
pub async fn renew(tx: &mut Tx, id: i64, owner: &str, until: i64) -> Result<bool, StorageError> {
    let n = tx
        .execute("UPDATE misp_server SET lease_until = $1 WHERE id = $2 AND lease_owner = $3", args![until, id, owner])
        .await?;
    Ok(n == 1)
}

pub async fn release(tx: &mut Tx, id: i64, owner: &str) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE misp_server SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
        args![id, owner],
    )
    .await?;
    Ok(())
}

/// True when some server's lease is held (a sync is running somewhere).
pub async fn any_lease(tx: &mut Tx, now: i64) -> Result<bool, StorageError> {
    let n = tx
        .fetch_i64("SELECT COUNT(*) FROM misp_server WHERE lease_owner IS NOT NULL AND lease_until >= $1", args![now])
        .await?;
    Ok(n > 0)
}

/// The outcome of one sync run.
pub struct RunOutcome<'a> {
    pub ok: bool,
    /// New cursor (successful runs only).
    pub cursor: Option<i64>,
    pub events_imported: i64,
    pub error: Option<&'a str>,
    pub next_sync_at: i64,
    pub report: &'a str,
    pub misp_organisation: Option<&'a str>,
    pub version: Option<&'a str>,
}

/// Records a run: success moves the cursor and resets the failure count, failure keeps
/// the cursor and counts up (the caller computed the backoff into `next_sync_at`).
pub async fn record_run(tx: &mut Tx, id: i64, o: &RunOutcome<'_>, now: i64) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE misp_server SET last_attempt_at = $1, next_sync_at = $2, last_run = $3, \
         events_imported = events_imported + $4, \
         sync_cursor = CASE WHEN $5 THEN COALESCE($6, sync_cursor) ELSE sync_cursor END, \
         last_sync_at = CASE WHEN $5 THEN $1 ELSE last_sync_at END, \
         consecutive_failures = CASE WHEN $5 THEN 0 ELSE consecutive_failures + 1 END, \
         last_error = COALESCE($7, last_error), \
         last_error_at = CASE WHEN $7 IS NULL THEN last_error_at ELSE $1 END, \
         status = CASE WHEN $5 THEN 'OK' ELSE 'ERROR' END, status_checked_at = $1, \
         misp_organisation = COALESCE($8, misp_organisation), version = COALESCE($9, version) \
         WHERE id = $10",
        args![
            now,
            o.next_sync_at,
            o.report,
            o.events_imported,
            o.ok,
            o.cursor,
            o.error,
            o.misp_organisation,
            o.version,
            id
        ],
    )
    .await?;
    Ok(())
}

/// Records a connection check (test connection, export): version and organisation.
pub async fn record_check(
    tx: &mut Tx,
    id: i64,
    version: Option<&str>,
    misp_organisation: Option<&str>,
    now: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE misp_server SET version = COALESCE($1, version), misp_organisation = COALESCE($2, misp_organisation), \
         status_checked_at = $3 WHERE id = $4",
        args![version, misp_organisation, now, id],
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Failed events, retried with backoff
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct SyncFailure {
    pub event_id: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: String,
}

/// Records a failed import attempt; `next_attempt_at(attempts)` gives the retry time.
pub async fn record_failure(
    tx: &mut Tx,
    server_id: i64,
    event_id: &str,
    error: &str,
    next_attempt_at: impl Fn(i64) -> i64,
    now: i64,
) -> Result<i64, StorageError> {
    let attempts = tx
        .fetch_optional(
            "SELECT attempts FROM misp_sync_failure WHERE misp_server_id = $1 AND event_id = $2",
            args![server_id, event_id],
        )
        .await?
        .map(|r| r.get::<i64>("attempts"))
        .transpose()?
        .unwrap_or(0)
        + 1;
    tx.execute(
        "INSERT INTO misp_sync_failure (misp_server_id, event_id, attempts, next_attempt_at, last_error, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'system@thehive.local', $6) \
         ON CONFLICT (misp_server_id, event_id) DO UPDATE SET attempts = $3, next_attempt_at = $4, last_error = $5, \
         updated_by = 'system@thehive.local', updated_at = $6",
        args![server_id, event_id, attempts, next_attempt_at(attempts), error, now],
    )
    .await?;
    Ok(attempts)
}

pub async fn clear_failure(tx: &mut Tx, server_id: i64, event_id: &str) -> Result<(), StorageError> {
    tx.execute("DELETE FROM misp_sync_failure WHERE misp_server_id = $1 AND event_id = $2", args![server_id, event_id])
        .await?;
    Ok(())
}

/// Failed events of a server; with `due_at`, only those whose retry time has come.
pub async fn failures(tx: &mut Tx, server_id: i64, due_at: Option<i64>) -> Result<Vec<SyncFailure>, StorageError> {
    let rows = tx
        .fetch_all(
            "SELECT event_id, attempts, next_attempt_at, last_error FROM misp_sync_failure \
             WHERE misp_server_id = $1 AND ($2 IS NULL OR next_attempt_at <= $2) ORDER BY id",
            args![server_id, due_at],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SyncFailure {
                event_id: r.get("event_id")?,
                attempts: r.get("attempts")?,
                next_attempt_at: r.get("next_attempt_at")?,
                last_error: r.get("last_error")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Export {
    pub id: i64,
    pub case_id: i64,
    pub server_id: i64,
    pub server_name: String,
    pub server_url: String,
    pub event_id: String,
    pub exported_at: i64,
    pub meta: Meta,
}

fn export_from_row(r: &Row) -> Result<Export, StorageError> {
    Ok(Export {
        id: r.get("id")?,
        case_id: r.get("case_id")?,
        server_id: r.get("misp_server_id")?,
        server_name: r.get("server_name")?,
        server_url: r.get("server_url")?,
        event_id: r.get("event_id")?,
        exported_at: r.get("exported_at")?,
        meta: Meta::from_row(r)?,
    })
}

const EXPORT_SELECT: &str = "SELECT e.id, e.case_id, e.misp_server_id, s.name AS server_name, s.url AS server_url, \
     e.event_id, e.exported_at, e.created_by, e.created_at, e.updated_by, e.updated_at \
     FROM misp_export e JOIN misp_server s ON s.id = e.misp_server_id";

pub async fn find_export(tx: &mut Tx, case_id: i64, server_id: i64) -> Result<Option<Export>, StorageError> {
    let row = tx
        .fetch_optional(
            &format!("{EXPORT_SELECT} WHERE e.case_id = $1 AND e.misp_server_id = $2"),
            args![case_id, server_id],
        )
        .await?;
    row.as_ref().map(export_from_row).transpose()
}

/// Exports of a case (the caller checked that the case is visible).
pub async fn exports_of_case(tx: &mut Tx, case_id: i64) -> Result<Vec<Export>, StorageError> {
    let rows = tx.fetch_all(&format!("{EXPORT_SELECT} WHERE e.case_id = $1 ORDER BY s.name"), args![case_id]).await?;
    rows.iter().map(export_from_row).collect()
}

/// Records that the case now lives in `event_id` on the server.
pub async fn upsert_export(
    tx: &mut Tx,
    case_id: i64,
    server_id: i64,
    event_id: &str,
    by: &str,
    now: i64,
) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO misp_export (case_id, misp_server_id, event_id, exported_at, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $4) ON CONFLICT (case_id, misp_server_id) DO UPDATE \
         SET event_id = $3, exported_at = $4, updated_by = $5, updated_at = $4 RETURNING id",
        args![case_id, server_id, event_id, now, by],
    )
    .await
}

/// Whether `event_id` on the server is one of our own exports (not to be imported back).
pub async fn is_exported_event(tx: &mut Tx, server_id: i64, event_id: &str) -> Result<bool, StorageError> {
    let n = tx
        .fetch_i64(
            "SELECT COUNT(*) FROM misp_export WHERE misp_server_id = $1 AND event_id = $2",
            args![server_id, event_id],
        )
        .await?;
    Ok(n > 0)
}

/// (id, name) of every organisation but `admin`: the ones an importer may deliver to.
pub async fn organisation_names(tx: &mut Tx) -> Result<Vec<(i64, String)>, StorageError> {
    let rows = tx.fetch_all("SELECT id, name FROM organisation WHERE name <> 'admin' ORDER BY name", args![]).await?;
    rows.iter().map(|r| Ok((r.get("id")?, r.get("name")?))).collect()
}

/// Gives back every lease `owner` holds (a run interrupted by shutdown).
pub async fn release_all(tx: &mut Tx, owner: &str) -> Result<(), StorageError> {
    tx.execute("UPDATE misp_server SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1", args![owner])
        .await?;
    Ok(())
}

/// Sets when a server is next due (the shared polling interval changed).
pub async fn reschedule(tx: &mut Tx, id: i64, next_sync_at: i64) -> Result<(), StorageError> {
    tx.execute("UPDATE misp_server SET next_sync_at = $1 WHERE id = $2", args![next_sync_at, id]).await?;
    Ok(())
}
