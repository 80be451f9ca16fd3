//! Export of a case's IOC observables to a MISP server as an event (spec/misp.md §3), and
//! the record of where and when each case was exported.
//!
//! The first export creates an unpublished event (distribution "your organisation only",
//! for a human in MISP to review and publish); later exports of the same case to the same
//! server update that event in place (TheHive 3's strategy, §3.3): its fields and tags
//! follow the case, and only the IOCs MISP does not have yet are added, so nothing is
//! duplicated. The export row is written as soon as MISP has assigned the event id, so a
//! retry after a partial failure (a sample upload that failed) edits the same event.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::servers;
use super::settings::ServerDef;
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::integrations::misp::client::{self, Client};
use crate::integrations::misp::export_map::{self, CaseHeader, ExportObservable};
use crate::integrations::misp::model;
use crate::outbound::OutboundError;
use crate::service::audit::{Action, record};
use crate::storage::misp::{self, Export};
use crate::storage::observables::{self, Parent};
use crate::storage::{attachments, cases};

/// What an export did.
#[derive(Debug, Clone)]
pub struct ExportResult {
    pub export: Export,
    /// True when this export created the event (false: it updated it).
    pub created: bool,
    pub attributes_added: usize,
    pub samples_added: usize,
    /// Observables with no MISP equivalent (custom types), left out.
    pub not_exportable: Vec<String>,
}

fn misp_failed(server: &str, e: &OutboundError) -> ApiError {
    ApiError::BadRequest(format!("MISP server {server}: {}", client::explain(e)))
}

/// What the case holds, read in one snapshot.
struct CaseData {
    case: cases::Case,
    iocs: Vec<ExportObservable>,
    previous: Option<Export>,
}

async fn read_case(app: &App, caller: &Caller, case_id: &str, server_id: i64) -> Result<CaseData, ApiError> {
    let mut tx = app.store.read().await?;
    let case = crate::service::cases::find(&mut tx, caller, case_id).await?;
    let access =
        crate::service::cases::require_on_case(&mut tx, caller, case, perm::MANAGE_SHARE, "export case to MISP")
            .await?;
    let case = access.case;
    let mut iocs = Vec::new();
    for o in observables::list_visible(&mut tx, &caller.scope(), Parent::Case(case.id)).await? {
        if !o.ioc {
            continue;
        }
        let file = match &o.file {
            Some(f) => Some((f.name.clone(), attachments::read(&mut tx, &f.sha256).await?)),
            None => None,
        };
        iocs.push(ExportObservable {
            data_type: o.data_type,
            data: o.data,
            message: o.message,
            tlp: o.tlp,
            ioc: o.ioc,
            tags: o.tags,
            file,
        });
    }
    let previous = misp::find_export(&mut tx, case.id, server_id).await?;
    Ok(CaseData { case, iocs, previous })
}

/// Values already in a MISP event: `(type, value)` of every attribute (objects included),
/// and the MD5s of its files.
fn present(event: &Value) -> (HashSet<(String, String)>, HashSet<String>) {
    let e = event.get("Event").unwrap_or(event);
    let mut pairs = HashSet::new();
    let mut md5s = HashSet::new();
    let objects = e.get("Object").and_then(Value::as_array).into_iter().flatten();
    let lists = e
        .get("Attribute")
        .and_then(Value::as_array)
        .into_iter()
        .chain(objects.filter_map(|o| o.get("Attribute").and_then(Value::as_array)));
    for a in lists.flatten() {
        let (Some(t), Some(v)) = (model::text(a, "type"), model::text(a, "value")) else { continue };
        if t == "malware-sample"
            && let Some((_, md5)) = v.rsplit_once('|')
        {
            md5s.insert(md5.to_lowercase());
        }
        if t == "md5" {
            md5s.insert(v.to_lowercase());
        }
        pairs.insert((t, v));
    }
    (pairs, md5s)
}

fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(bytes))
}

/// `POST /connector/misp/export/{caseId}/{mispName}`. `case_url` is the link to the case,
/// exported when the server asks for it.
pub async fn export_case(
    app: &App,
    caller: &Caller,
    case_id: &str,
    server_name: &str,
    case_url: impl Fn(i64) -> String,
) -> Result<ExportResult, ApiError> {
    let not_found = || ApiError::NotFound(format!("MISP server {server_name} not found"));
    let row = {
        let mut tx = app.store.read().await?;
        misp::find(&mut tx, server_name).await?
    };
    // A server that does not serve the caller's organisation does not exist for it.
    let row = row.ok_or_else(not_found)?;
    let def = ServerDef::from_row(&row);
    if !def.serves_organisation(&caller.organisation) {
        return Err(not_found());
    }
    let data = read_case(app, caller, case_id, row.id).await?;
    if !def.enabled || !def.exports() {
        return Err(ApiError::BadRequest(format!("MISP server {} is not configured for export", row.name)));
    }
    let conn = servers::connection(app, &row, &def)
        .map_err(|m| ApiError::BadRequest(format!("MISP server {}: {m}", row.name)))?;
    let client = Client::new(&conn).map_err(|e| misp_failed(&row.name, &e))?;

    let s = &def.stored;
    let mut attributes = Vec::new();
    let mut not_exportable = Vec::new();
    let mut seen = HashSet::new();
    for o in data.iocs.iter().filter(|o| o.file.is_none()) {
        match export_map::attribute_of(o, s.export_observable_tags) {
            Some(a) => {
                let key = (
                    a["type"].as_str().unwrap_or_default().to_owned(),
                    a["value"].as_str().unwrap_or_default().to_owned(),
                );
                if seen.insert(key) {
                    attributes.push(a);
                }
            }
            None => not_exportable.push(format!("{}:{}", o.data_type, o.data.clone().unwrap_or_default())),
        }
    }
    if s.export_case_url {
        attributes.push(export_map::case_link_attribute(&case_url(data.case.id)));
    }
    let header = CaseHeader {
        title: &data.case.title,
        severity: data.case.severity,
        tlp: data.case.tlp,
        start_date: data.case.start_date,
        tags: &data.case.tags,
    };
    let mut fields = export_map::event_fields(&header, s.export_case_tags);

    // Update the previous event when MISP still has it; otherwise create one.
    let previous = match &data.previous {
        Some(p) => match client.event_json(&p.event_id).await {
            Ok(v) => Some((p.event_id.clone(), v)),
            Err(OutboundError::Status { status: 404, .. }) => None,
            Err(e) => return Err(misp_failed(&row.name, &e)),
        },
        None => None,
    };
    let now = crate::clock::now_ms();
    let (event_id, created, added, known_md5s) = match previous {
        Some((event_id, event)) => {
            let (pairs, md5s) = present(&event);
            let new: Vec<Value> = attributes
                .into_iter()
                .filter(|a| {
                    let key = (
                        a["type"].as_str().unwrap_or_default().to_owned(),
                        a["value"].as_str().unwrap_or_default().to_owned(),
                    );
                    !pairs.contains(&key)
                })
                .collect();
            let added = new.len();
            fields.insert("Attribute".into(), Value::Array(new));
            client.edit_event(&event_id, &json!({"Event": fields})).await.map_err(|e| misp_failed(&row.name, &e))?;
            (event_id, false, added, md5s)
        }
        None => {
            let added = attributes.len();
            fields.insert("published".into(), json!(false));
            fields.insert("distribution".into(), json!("0"));
            fields.insert("Attribute".into(), Value::Array(attributes));
            let event_id = client.add_event(&json!({"Event": fields})).await.map_err(|e| misp_failed(&row.name, &e))?;
            (event_id, true, added, HashSet::new())
        }
    };
    // Remember the event before uploading files: a retry must find it.
    let export = {
        let mut tx = app.store.write().await?;
        misp::upsert_export(&mut tx, data.case.id, row.id, &event_id, &caller.login, now).await?;
        let export = misp::find_export(&mut tx, data.case.id, row.id)
            .await?
            .ok_or_else(|| ApiError::Internal("export row vanished".into()))?;
        tx.commit().await?;
        export
    };
    let mut samples = 0;
    for o in &data.iocs {
        let Some((name, content)) = &o.file else { continue };
        if known_md5s.contains(&md5_hex(content)) {
            continue;
        }
        let body = export_map::sample_upload(name, content, o.message.as_deref(), o.ioc);
        client.upload_sample(&event_id, &body).await.map_err(|e| misp_failed(&row.name, &e))?;
        samples += 1;
    }
    let mut tx = app.store.write().await?;
    let action = Action {
        operation: if created { "create" } else { "update" },
        object_type: "MispExport",
        object_id: export.id,
        root: Some(("Case", data.case.id)),
        details: json!({"mispServer": row.name, "eventId": event_id, "attributesAdded": added,
                        "samplesAdded": samples}),
    };
    record(&mut tx, caller, action, now).await?;
    tx.commit().await?;
    Ok(ExportResult { export, created, attributes_added: added, samples_added: samples, not_exportable })
}

/// Where and when a case was exported.
/// The servers the caller may export to: enabled, used for export, serving their
/// organisation (the choice offered on a case).
pub async fn export_targets(app: &App, caller: &Caller) -> Result<Vec<String>, ApiError> {
    let mut tx = app.store.read().await?;
    let rows = misp::list(&mut tx).await?;
    Ok(rows
        .iter()
        .map(ServerDef::from_row)
        .filter(|d| d.enabled && d.exports() && d.serves_organisation(&caller.organisation))
        .map(|d| d.name)
        .collect())
}

pub async fn exports_of_case(app: &App, caller: &Caller, case_id: &str) -> Result<Vec<Export>, ApiError> {
    let mut tx = app.store.read().await?;
    let case = crate::service::cases::find(&mut tx, caller, case_id).await?;
    Ok(misp::exports_of_case(&mut tx, case.id).await?)
}
