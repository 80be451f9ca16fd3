//! The import of MISP events as alerts: one run for one server, the unit of work the
//! poller repeats (`run_due`) and "sync now" triggers (`sync_now`).
//!
//! A run, for a server whose lease this process holds:
//! 1. asks MISP its version and who the API key belongs to (the organisation name is the
//!    `source` of the alerts, as in TheHive 4);
//! 2. retries the events that failed before and whose backoff has elapsed;
//! 3. lists the events changed since the cursor (bounded by `maxAge`), page by page, with the
//!    tag and organisation filters sent to MISP *and* applied here (MISP ignores some of them
//!    depending on its settings), then for each event not filtered out: fetches it, downloads
//!    its files, and delivers it to every receiving organisation (`deliver`), each alert in
//!    its own transaction.
//!
//! Faults are contained at the smallest scope: an event that cannot be imported (malformed,
//! a sample that does not download) is recorded with its own backoff and the next events
//! still flow; a run that cannot talk to MISP at all (down, slow, 403, malformed list) is
//! recorded in the server's status and retried with an exponential backoff, the cursor
//! unchanged. Nothing panics, nothing half-imported is committed.

use std::collections::HashSet;

use serde::Serialize;

use super::deliver::{self, Delivered, Ready};
use super::servers;
use super::settings::ServerDef;
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::integrations::misp::client::{self, Client, IndexFilter};
use crate::integrations::misp::import_map::{self, Data};
use crate::integrations::misp::model::{Event, EventHeader};
use crate::integrations::misp::sample;
use crate::outbound::OutboundError;
use crate::service::attachments::Upload;
use crate::storage::misp::{self, MispServer, RunOutcome};

/// How long a claimed server stays ours without renewal.
pub const LEASE_MS: i64 = 10 * 60_000;
/// Events per `/events/index` page.
pub const PAGE: u32 = 100;
/// First retry delay after a failure; doubles per consecutive failure.
pub const RETRY_BASE_MS: i64 = 60_000;
/// Longest delay between retries of a failed event.
pub const EVENT_RETRY_CAP_MS: i64 = 6 * 3_600_000;
/// Longest chain of extended events followed to its root.
const MAX_EXTENSION_DEPTH: usize = 16;
/// Largest unpacked malware sample.
const MAX_SAMPLE: usize = 64 * 1024 * 1024;

/// `base · 2^(attempt-1)`, capped.
pub fn backoff(attempt: i64, cap_ms: i64) -> i64 {
    let exp = (attempt.max(1) - 1).min(20) as u32;
    RETRY_BASE_MS.saturating_mul(1_i64 << exp).min(cap_ms)
}

/// An event a run did not import on purpose.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Skipped {
    pub event: String,
    pub reason: String,
}

/// An event a run could not import; it will be retried.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Failed {
    pub event: String,
    pub error: String,
    pub attempts: i64,
    pub next_attempt: i64,
}

/// What one run did, kept as the server's `lastRun`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub server: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub started_at: i64,
    /// Alerts created (one event delivered to two organisations counts two).
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// Observables added to cases through followed alerts.
    pub added_to_cases: i64,
    pub skipped: Vec<Skipped>,
    pub failed: Vec<Failed>,
    /// Events imported (created or updated at least one alert).
    pub events_imported: i64,
}

/// Everything a run needs about its server.
struct Run<'a> {
    app: &'a App,
    row: MispServer,
    def: ServerDef,
    client: Client,
    source: String,
    orgs: Vec<(i64, String)>,
    known_types: HashSet<String>,
    operation_id: String,
    now: i64,
    report: RunReport,
    /// Events already handled in this run (a retried event also shows in the listing).
    done: HashSet<String>,
}

/// Why the event is not imported, if it is not (§1.6 filters, all enforced here).
pub fn rejected(def: &ServerDef, e: &EventHeader, attribute_count: Option<i64>, now: i64) -> Option<String> {
    let s = &def.stored;
    let lower = |v: &str| v.to_lowercase();
    if !e.published && !s.import_unpublished {
        return Some("not published".into());
    }
    if let Some(max_age) = s.max_age
        && e.timestamp < now / 1000 - max_age
    {
        return Some(format!("last changed more than {} ago (maxAge)", super::settings::format_duration(max_age)));
    }
    if !s.included_misp_organisations.is_empty()
        && !s.included_misp_organisations.iter().any(|o| lower(o) == lower(&e.orgc))
    {
        return Some(format!("organisation {} is not in includedMispOrganisations", e.orgc));
    }
    if s.excluded_misp_organisations.iter().any(|o| lower(o) == lower(&e.orgc)) {
        return Some(format!("organisation {} is in excludedMispOrganisations", e.orgc));
    }
    let has = |tag: &String| e.tags.iter().any(|t| lower(t) == lower(tag));
    if !s.included_tags.is_empty() && !s.included_tags.iter().any(has) {
        return Some("carries none of includedTags".into());
    }
    if let Some(t) = s.excluded_tags.iter().find(|t| has(t)) {
        return Some(format!("carries excluded tag {t}"));
    }
    if let (Some(max), Some(n)) = (s.max_attributes, attribute_count.or(e.attribute_count))
        && n > max
    {
        return Some(format!("{n} attributes, more than maxAttributes ({max})"));
    }
    None
}

/// The server-side part of the filters (MISP may apply them; we check again anyway).
fn index_filter(def: &ServerDef, cursor: Option<i64>, now: i64) -> IndexFilter {
    let s = &def.stored;
    let floor = s.max_age.map(|age| now / 1000 - age);
    let since = match (cursor, floor) {
        (Some(c), Some(f)) => Some(c.max(f)),
        (c, f) => c.or(f),
    };
    let mut tags = s.included_tags.clone();
    tags.extend(s.excluded_tags.iter().map(|t| format!("!{t}")));
    let mut orgs = s.included_misp_organisations.clone();
    orgs.extend(s.excluded_misp_organisations.iter().map(|o| format!("!{o}")));
    IndexFilter { since, tags, orgs, published_only: !s.import_unpublished, page: 1, limit: PAGE }
}

impl Run<'_> {
    /// Records an event failure with its backoff.
    async fn fail_event(&mut self, event: &str, error: String) -> Result<(), ApiError> {
        let now = self.now;
        let mut tx = self.app.store.write().await?;
        let attempts = misp::record_failure(
            &mut tx,
            self.row.id,
            event,
            &error,
            |n| now + backoff(n, EVENT_RETRY_CAP_MS),
            crate::clock::now_ms(),
        )
        .await?;
        tx.commit().await?;
        tracing::warn!(server = %self.row.name, event, attempts, %error, "MISP event not imported");
        self.report.failed.push(Failed {
            event: event.to_owned(),
            error,
            attempts,
            next_attempt: now + backoff(attempts, EVENT_RETRY_CAP_MS),
        });
        Ok(())
    }

    async fn clear_failure(&self, event: &str) -> Result<(), ApiError> {
        let mut tx = self.app.store.write().await?;
        misp::clear_failure(&mut tx, self.row.id, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Downloads the files of an event's observables. Any failure fails the event.
    async fn download(&self, drafts: Vec<import_map::ObservableDraft>) -> Result<Vec<Ready>, String> {
        let mut out = Vec::with_capacity(drafts.len());
        for d in drafts {
            let file = match &d.data {
                Data::Text(_) => None,
                Data::File { attribute_id, name, malware_sample } => {
                    let got = self.client.download(attribute_id).await.map_err(|e| {
                        format!("file of attribute #{attribute_id} not downloaded: {}", client::explain(&e))
                    })?;
                    let (filename, content_type, bytes) = if *malware_sample {
                        match sample::unpack_malware_sample(&got.content, MAX_SAMPLE) {
                            Ok((inner, bytes)) => {
                                (inner.unwrap_or_else(|| name.clone()), "application/octet-stream".to_owned(), bytes)
                            }
                            // Unreadable archive: keep it as MISP served it (TheHive 3's fallback).
                            Err(_) => (format!("{name}.zip"), "application/zip".to_owned(), got.content),
                        }
                    } else {
                        (got.filename.unwrap_or_else(|| name.clone()), got.content_type, got.content)
                    };
                    Some(Upload::new("misp".into(), filename, content_type, bytes))
                }
            };
            out.push(Ready { draft: d, file });
        }
        Ok(out)
    }

    /// The event as its alert shows it: MISP's extended view (the events extending it merged
    /// in), so the alert holds the attributes of the whole chain and a re-sync can tell
    /// which attributes are gone. An event that extends another is folded into the root
    /// event's alert, as TheHive 3 does (spec §1.6): the chain is followed up to its root
    /// (a parent this key cannot see ends it there), whose extended view is imported.
    async fn fetch_folded(&self, id: &str) -> Result<Event, OutboundError> {
        let first = self.client.event_extended(id).await?;
        let Some(mut parent) = first.header.extends_uuid.clone() else { return Ok(first) };
        let mut seen = HashSet::from([first.header.id.clone()]);
        let mut root_id = None;
        for _ in 0..MAX_EXTENSION_DEPTH {
            let e = match self.client.event(&parent).await {
                Ok(e) => e,
                Err(OutboundError::Status { status: 403 | 404, .. }) => break,
                Err(e) => return Err(e),
            };
            if !seen.insert(e.header.id.clone()) {
                break; // a cycle: MISP refuses them, a hand-edited database may not
            }
            root_id = Some(e.header.id.clone());
            match e.header.extends_uuid {
                Some(p) => parent = p,
                None => break,
            }
        }
        let Some(root_id) = root_id else { return Ok(first) };
        let mut root = self.client.event_extended(&root_id).await?;
        // The extension's change is the alert's change.
        root.header.timestamp = root.header.timestamp.max(first.header.timestamp);
        Ok(root)
    }

    /// Imports one event. `index_ts` (from the listing) lets an unchanged event be skipped
    /// without fetching it; retries pass `None` and `force`.
    async fn import_event(&mut self, id: &str, index_ts: Option<i64>, force: bool) -> Result<(), ApiError> {
        if !self.done.insert(id.to_owned()) {
            return Ok(());
        }
        if let Some(ts) = index_ts
            && !force
            && deliver::all_current(self.app, &self.orgs, &self.source, id, ts * 1000).await?
        {
            self.report.unchanged += self.orgs.len() as i64;
            return Ok(());
        }
        let event = match self.fetch_folded(id).await {
            Ok(e) => e,
            Err(OutboundError::Status { status: 404, .. }) if force => {
                // Deleted in MISP since it failed: nothing left to retry.
                self.clear_failure(id).await?;
                self.report.skipped.push(Skipped { event: id.into(), reason: "no longer exists in MISP".into() });
                return Ok(());
            }
            Err(e) => return self.fail_event(id, client::explain(&e)).await,
        };
        let live = event.live_attributes().count() as i64;
        if let Some(reason) = rejected(&self.def, &event.header, Some(live), self.now) {
            self.clear_failure(id).await?;
            self.report.skipped.push(Skipped { event: id.into(), reason });
            return Ok(());
        }
        let alert = import_map::alert_of(&event.header, &self.def.url, &self.def.stored.tags);
        let drafts = import_map::observables_of_event(&event, alert.tlp, &self.known_types);
        let ready = match self.download(drafts).await {
            Ok(r) => r,
            Err(e) => return self.fail_event(id, e).await,
        };
        let mut imported = false;
        for org in self.orgs.clone() {
            let delivered = deliver::deliver(
                self.app,
                &org,
                &self.source,
                &alert,
                &ready,
                self.def.stored.case_template.as_deref(),
                &self.operation_id,
                force,
            )
            .await;
            match delivered {
                Ok(Delivered::Created { .. }) => {
                    self.report.created += 1;
                    imported = true;
                }
                Ok(Delivered::Updated { added_to_case, new_observables, .. }) => {
                    self.report.updated += 1;
                    if added_to_case.is_some() {
                        self.report.added_to_cases += new_observables as i64;
                    }
                    imported = true;
                }
                Ok(Delivered::Unchanged) => self.report.unchanged += 1,
                Err(e) => {
                    let message = match &e {
                        ApiError::Internal(_) => format!("storing the alert in {} failed", org.1),
                        other => format!("alert refused in {}: {other}", org.1),
                    };
                    tracing::error!(server = %self.row.name, event = id, error = %e, "MISP alert not stored");
                    return self.fail_event(id, message).await;
                }
            }
        }
        if imported {
            self.report.events_imported += 1;
        }
        self.clear_failure(id).await
    }

    /// Keeps the lease alive during a long run; false when another process took it.
    async fn renew(&self, owner: &str) -> Result<bool, ApiError> {
        let mut tx = self.app.store.write().await?;
        let ok = misp::renew(&mut tx, self.row.id, owner, crate::clock::now_ms() + LEASE_MS).await?;
        tx.commit().await?;
        Ok(ok)
    }

    /// Retries, then the listing. `Err` is a run failure (MISP unusable); event-level
    /// problems are in the report.
    async fn execute(&mut self, owner: &str, manual: bool) -> Result<Option<i64>, String> {
        let due = if manual { None } else { Some(self.now) };
        let retries = {
            let mut tx = self.app.store.read().await.map_err(|e| e.to_string())?;
            misp::failures(&mut tx, self.row.id, due).await.map_err(|e| e.to_string())?
        };
        for f in retries {
            self.import_event(&f.event_id, None, true).await.map_err(|e| e.to_string())?;
        }
        let mut filter = index_filter(&self.def, self.row.sync_cursor, self.now);
        let mut cursor = self.row.sync_cursor;
        loop {
            let page = self.client.index(&filter).await.map_err(|e| client::explain(&e))?;
            let full = page.len() >= filter.limit as usize;
            for item in page {
                let header = match item {
                    Ok(h) => h,
                    Err(reason) => {
                        self.report
                            .skipped
                            .push(Skipped { event: "?".into(), reason: format!("unreadable: {reason}") });
                        continue;
                    }
                };
                cursor = Some(cursor.map_or(header.timestamp, |c| c.max(header.timestamp)));
                if let Some(reason) = rejected(&self.def, &header, None, self.now) {
                    self.report.skipped.push(Skipped { event: header.id, reason });
                    continue;
                }
                let own = {
                    let mut tx = self.app.store.read().await.map_err(|e| e.to_string())?;
                    misp::is_exported_event(&mut tx, self.row.id, &header.id).await.map_err(|e| e.to_string())?
                };
                if own {
                    self.report.skipped.push(Skipped { event: header.id, reason: "exported from Waggle".into() });
                    continue;
                }
                self.import_event(&header.id, Some(header.timestamp), false).await.map_err(|e| e.to_string())?;
            }
            if !full {
                break;
            }
            if !self.renew(owner).await.map_err(|e| e.to_string())? {
                return Err("the sync lease was lost to another server; stopped".into());
            }
            filter.page += 1;
        }
        Ok(cursor)
    }
}

/// The organisations that receive this server's alerts.
async fn receiving(app: &App, def: &ServerDef) -> Result<Vec<(i64, String)>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(misp::organisation_names(&mut tx).await?.into_iter().filter(|(_, n)| def.serves_organisation(n)).collect())
}

/// The interval between successful runs of a server: its own, or the shared one as it is
/// now (read at the end of each run, so a change applies without a restart).
async fn interval_ms(app: &App, def: &ServerDef) -> i64 {
    let secs = match def.stored.sync_interval {
        Some(own) => own,
        None => super::interval::effective_secs(app).await,
    };
    secs.max(1).saturating_mul(1000)
}

/// Runs one sync of a server whose lease `owner` holds, records its outcome, releases the
/// lease. Never fails: every problem ends up in the report and the server's status.
pub async fn run_claimed(app: &App, server_id: i64, owner: &str, now: i64, manual: bool) -> RunReport {
    let report = run_inner(app, server_id, owner, now, manual).await;
    if let Ok(mut tx) = app.store.write().await {
        let released = misp::release(&mut tx, server_id, owner).await;
        if released.is_ok() {
            let _ = tx.commit().await;
        }
    }
    report
}

async fn run_inner(app: &App, server_id: i64, owner: &str, now: i64, manual: bool) -> RunReport {
    let mut report = RunReport { started_at: now, ..RunReport::default() };
    let row = match app.store.read().await {
        Ok(mut tx) => misp::get(&mut tx, server_id).await,
        Err(e) => Err(e),
    };
    let row = match row {
        Ok(Some(r)) => r,
        Ok(None) => {
            report.error = Some("server deleted".into());
            return report;
        }
        Err(e) => {
            tracing::error!(error = %e, "MISP sync: cannot read the server");
            report.error = Some("database unavailable".into());
            return report;
        }
    };
    report.server = row.name.clone();
    let def = ServerDef::from_row(&row);
    let outcome = prepare_and_execute(app, row.clone(), def.clone(), owner, now, manual, &mut report).await;
    let (ok, cursor, org, version) = match outcome {
        Ok((cursor, org, version)) => (true, cursor, Some(org), version),
        Err(e) => {
            tracing::warn!(server = %row.name, error = %e, "MISP sync failed");
            report.error = Some(e);
            (false, None, None, None)
        }
    };
    report.ok = ok;
    let interval = interval_ms(app, &def).await;
    let next = if ok { now + interval } else { now + backoff(row.consecutive_failures + 1, interval) };
    let error =
        report.error.clone().or_else(|| report.failed.first().map(|f| format!("event #{}: {}", f.event, f.error)));
    let text = serde_json::to_string(&report).unwrap_or_else(|_| "{}".into());
    let outcome = RunOutcome {
        ok,
        cursor,
        events_imported: report.events_imported,
        error: error.as_deref(),
        next_sync_at: next,
        report: &text,
        misp_organisation: org.as_deref(),
        version: version.as_deref(),
    };
    let recorded = async {
        let mut tx = app.store.write().await?;
        misp::record_run(&mut tx, row.id, &outcome, now).await?;
        tx.commit().await
    };
    if let Err(e) = recorded.await {
        tracing::error!(server = %row.name, error = %e, "MISP sync: cannot record the run");
    }
    report
}

async fn prepare_and_execute(
    app: &App,
    row: MispServer,
    def: ServerDef,
    owner: &str,
    now: i64,
    manual: bool,
    report: &mut RunReport,
) -> Result<(Option<i64>, String, Option<String>), String> {
    if !def.enabled || !def.imports() {
        return Err("the server is disabled or export-only".into());
    }
    let conn = servers::connection(app, &row, &def)?;
    let client = Client::new(&conn).map_err(|e| e.to_string())?;
    let version = client.version().await.map_err(|e| client::explain(&e))?;
    let me = client.me().await.map_err(|e| client::explain(&e))?;
    let source = me.org_name.ok_or("MISP did not tell which organisation the API key belongs to")?;
    let orgs = receiving(app, &def).await.map_err(|e| e.to_string())?;
    let known_types = {
        let mut tx = app.store.read().await.map_err(|e| e.to_string())?;
        crate::service::observables::type_table(&mut tx).await.map_err(|e| e.to_string())?.into_keys().collect()
    };
    let mut run = Run {
        app,
        row,
        def,
        client,
        source: source.clone(),
        orgs,
        known_types,
        operation_id: format!("misp-{}", crate::auth::secrets::new_token(6)),
        now,
        report: std::mem::take(report),
        done: HashSet::new(),
    };
    let result = run.execute(owner, manual).await;
    *report = run.report;
    let cursor = result?;
    Ok((cursor, source, Some(version.version)))
}

/// One unit of the poller's work: every import server due at `now` whose lease is free is
/// claimed by `owner` and synced. Servers leased by another process are left alone.
/// Servers are claimed one at a time, just before their run, so a long run does not let
/// the leases of the servers after it expire unused.
pub async fn run_due(app: &App, owner: &str, now: i64) -> Result<Vec<RunReport>, ApiError> {
    let mut reports = Vec::new();
    let mut seen = HashSet::new();
    loop {
        let claimed = {
            let mut tx = app.store.write().await?;
            let mut claimed = None;
            for id in misp::due_for_import(&mut tx, now).await? {
                if seen.insert(id) && misp::claim(&mut tx, id, owner, now, now + LEASE_MS).await? {
                    claimed = Some(id);
                    break;
                }
            }
            tx.commit().await?;
            claimed
        };
        match claimed {
            Some(id) => reports.push(run_claimed(app, id, owner, now, false).await),
            None => return Ok(reports),
        }
    }
}

/// Gives back the leases of an interrupted owner (shutdown during a run).
pub async fn release_all(app: &App, owner: &str) {
    let released = async {
        let mut tx = app.store.write().await?;
        misp::release_all(&mut tx, owner).await?;
        tx.commit().await
    };
    if let Err(e) = released.await {
        tracing::warn!(error = %e, "MISP leases not released; they expire by themselves");
    }
}

/// Claims one server for `owner` regardless of its schedule (manual sync). `false` when
/// another process holds its lease.
pub async fn claim_now(app: &App, server_id: i64, owner: &str, now: i64) -> Result<bool, ApiError> {
    let mut tx = app.store.write().await?;
    let ok = misp::claim(&mut tx, server_id, owner, now, now + LEASE_MS).await?;
    tx.commit().await?;
    Ok(ok)
}

/// "Sync now" (`GET /connector/misp/_syncAlerts`): every enabled import server, at once,
/// failed events retried immediately. A server another process is syncing is skipped
/// (its run is already doing the work).
pub async fn sync_now(app: &App, caller: &Caller, only: Option<&str>) -> Result<Vec<RunReport>, ApiError> {
    if !caller.has(perm::MANAGE_PLATFORM) && !caller.has(perm::MANAGE_ORGANISATION) {
        return Err(ApiError::forbidden("synchronise MISP", perm::MANAGE_PLATFORM));
    }
    let servers = {
        let mut tx = app.store.read().await?;
        match only {
            Some(id) => vec![
                misp::find(&mut tx, id)
                    .await?
                    .ok_or_else(|| ApiError::NotFound(format!("MISP server {id} not found")))?,
            ],
            None => misp::list(&mut tx).await?,
        }
    };
    let owner = format!("manual-{}", crate::auth::secrets::new_token(6));
    let mut reports = Vec::new();
    for s in servers.into_iter().filter(|s| s.enabled && s.purpose != "ExportOnly") {
        let now = crate::clock::now_ms();
        if claim_now(app, s.id, &owner, now).await? {
            reports.push(run_claimed(app, s.id, &owner, now, true).await);
        } else {
            reports.push(RunReport {
                server: s.name,
                ok: true,
                error: Some("a sync of this server is already running".into()),
                started_at: now,
                ..RunReport::default()
            });
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(body: serde_json::Value) -> ServerDef {
        let mut b = json!({"name": "m", "url": "https://misp.example"});
        if let (Some(o), Some(extra)) = (b.as_object_mut(), body.as_object()) {
            o.extend(extra.clone());
        }
        super::super::settings::apply(&b, None).unwrap().0
    }

    fn header(orgc: &str, tags: &[&str], ts: i64) -> EventHeader {
        EventHeader {
            id: "1".into(),
            uuid: None,
            info: "i".into(),
            date: None,
            timestamp: ts,
            publish_timestamp: ts,
            published: true,
            threat_level_id: None,
            attribute_count: Some(5),
            orgc: orgc.into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            extends_uuid: None,
        }
    }

    #[test]
    fn every_filter_rejects() {
        let now = 1_000_000_000_000;
        let h = header("CIRCL", &["tlp:green"], now / 1000);
        assert_eq!(rejected(&def(json!({})), &h, None, now), None);
        assert!(rejected(&def(json!({"includedMispOrganisations": ["other"]})), &h, None, now).is_some());
        assert!(rejected(&def(json!({"includedMispOrganisations": ["circl"]})), &h, None, now).is_none());
        assert!(rejected(&def(json!({"excludedMispOrganisations": ["CIRCL"]})), &h, None, now).is_some());
        assert!(rejected(&def(json!({"includedTags": ["x"]})), &h, None, now).is_some());
        assert!(rejected(&def(json!({"excludedTags": ["TLP:GREEN"]})), &h, None, now).is_some());
        assert!(rejected(&def(json!({"maxAttributes": 4})), &h, None, now).is_some());
        assert!(rejected(&def(json!({"maxAttributes": 4})), &h, Some(3), now).is_none());
        let old = header("CIRCL", &[], now / 1000 - 90_000);
        assert!(rejected(&def(json!({"maxAge": "1d"})), &old, None, now).is_some());
        let mut unpublished = h.clone();
        unpublished.published = false;
        assert!(rejected(&def(json!({})), &unpublished, None, now).is_some());
        assert!(rejected(&def(json!({"importUnpublished": true})), &unpublished, None, now).is_none());
    }

    #[test]
    fn index_filter_combines_cursor_and_age() {
        let now = 1_000_000_000_000;
        let d = def(json!({"maxAge": "1d", "includedTags": ["a"], "excludedTags": ["b"]}));
        let f = index_filter(&d, Some(1), now);
        assert_eq!(f.since, Some(now / 1000 - 86_400));
        assert_eq!(f.tags, vec!["a", "!b"]);
        assert_eq!(index_filter(&def(json!({})), None, now).since, None);
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(1, i64::MAX), 60_000);
        assert_eq!(backoff(3, i64::MAX), 240_000);
        assert_eq!(backoff(30, 3_600_000), 3_600_000);
    }
}
