//! `POST /connector/misp/case/import` (TheHive 5, thehive4py's `misp.import_case`): a MISP
//! event exported as JSON (a server answer or a feed file) becomes a case with the event's
//! attributes as observables, in one transaction. The `_json` part may add what a case
//! creation accepts (caseTemplate, assignee, tasks, pages, customFields, taskRule,
//! observableRule); `sharingParameters` are not supported and ignored.

use std::collections::HashMap;

use base64::Engine;
use serde_json::{Value, json};

use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::integrations::misp::import_map::{self, Data};
use crate::integrations::misp::model::Event;
use crate::integrations::misp::sample;
use crate::service::attachments::Upload;
use crate::service::audit::{Action, record};
use crate::service::cases::{CaseInput, CaseView};
use crate::service::observables::{self as obs, Spec, SpecValue};
use crate::storage::observables::{self, NewObservable, Parent};

fn not_an_event() -> ApiError {
    ApiError::BadRequest("Could not convert json to MISP event".into())
}

/// Reads an uploaded event, tolerating the fields feed files leave out (ids, timestamps).
fn read_event(bytes: &[u8]) -> Result<Event, ApiError> {
    let mut v: Value = serde_json::from_slice(bytes).map_err(|_| not_an_event())?;
    let e = match v.get_mut("Event") {
        Some(e) => e,
        None => &mut v,
    };
    let Some(obj) = e.as_object_mut() else { return Err(not_an_event()) };
    if !obj.contains_key("info") {
        return Err(not_an_event());
    }
    if !obj.contains_key("id") {
        let uuid = obj.get("uuid").cloned().unwrap_or_else(|| json!("imported"));
        obj.insert("id".into(), uuid);
    }
    obj.entry("timestamp").or_insert(json!("0"));
    if !obj.contains_key("Orgc") {
        let org = obj.get("Org").cloned().unwrap_or_else(|| json!({"name": "MISP"}));
        obj.insert("Orgc".into(), org);
    }
    Event::parse(&v).map_err(|_| not_an_event())
}

/// The case creation body of an event, with what `_json` adds.
fn case_body(e: &Event, extra: &Value) -> Value {
    let alert = import_map::alert_of(&e.header, "", &[]);
    let mut body = json!({
        "title": e.header.info.trim(),
        "description": format!("Imported from MISP event {} ({}), created at {}",
            e.header.uuid.clone().unwrap_or_else(|| e.header.id.clone()), e.header.orgc,
            e.header.date.clone().unwrap_or_default()),
        "severity": alert.severity, "tlp": alert.tlp, "pap": alert.pap,
        "tags": alert.tags, "startDate": alert.date,
    });
    for key in [
        "caseTemplate",
        "assignee",
        "user",
        "tasks",
        "pages",
        "customFields",
        "customFieldValues",
        "taskRule",
        "observableRule",
    ] {
        if let Some(v) = extra.get(key).filter(|v| !v.is_null()) {
            body[key] = v.clone();
        }
    }
    body
}

pub async fn import_case(app: &App, caller: &Caller, extra: &Value, files: &[Upload]) -> Result<CaseView, ApiError> {
    caller.require(perm::MANAGE_CASE, "import a case from MISP")?;
    let file = files.iter().find(|f| f.field == "file").or(files.first()).ok_or_else(|| ApiError::missing("file"))?;
    let event = read_event(&file.bytes)?;
    let input = CaseInput::parse(&case_body(&event, extra))?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let types = obs::type_table(&mut tx).await?;
    let known = types.keys().cloned().collect();
    let drafts = import_map::observables_of_event(&event, input.tlp.unwrap_or(2), &known);
    // Files travel inline (`data`, base64) in exported events; without it they are left out.
    let inline: HashMap<&str, &str> =
        event.attributes.iter().filter_map(|a| a.data.as_deref().map(|d| (a.id.as_str(), d))).collect();
    let mut uploads = Vec::new();
    let mut specs = Vec::new();
    for d in drafts {
        let value = match &d.data {
            Data::Text(t) => SpecValue::Data(t.clone()),
            Data::File { attribute_id, name, malware_sample } => {
                let Some(b64) = inline.get(attribute_id.as_str()) else { continue };
                let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) else { continue };
                let (name, bytes) = if *malware_sample {
                    match sample::unpack_malware_sample(&bytes, 64 * 1024 * 1024) {
                        Ok((inner, content)) => (inner.unwrap_or_else(|| name.clone()), content),
                        Err(_) => (format!("{name}.zip"), bytes),
                    }
                } else {
                    (name.clone(), bytes)
                };
                uploads.push(Upload::new("misp".into(), name, "application/octet-stream".into(), bytes));
                SpecValue::File(uploads.len() - 1)
            }
        };
        let data_type = if types.contains_key(&d.data_type) { d.data_type.clone() } else { "other".to_owned() };
        specs.push(Spec {
            data_type,
            values: vec![value],
            message: d.message.clone(),
            tlp: d.tlp,
            pap: 2,
            ioc: d.ioc,
            sighted: false,
            sighted_at: None,
            ignore_similarity: false,
            tags: d.tags.clone(),
        });
    }
    let case_id = crate::service::cases::create_in(&mut tx, caller, &input, now).await?;
    let prepared = obs::prepare(&mut tx, caller, &specs, &uploads, &types, now).await?;
    let rows: Vec<NewObservable> = prepared.into_iter().map(|p| p.row).collect();
    let ids = observables::insert_many(&mut tx, Parent::Case(case_id), &rows, &caller.login, now).await?;
    let new_ids: Vec<i64> = ids.iter().flatten().copied().collect();
    crate::service::sharing::on_new_observables(&mut tx, caller, case_id, &new_ids).await?;
    for (id, r) in ids.iter().zip(&rows) {
        let Some(id) = id else { continue };
        let details = json!({"dataType": r.data_type, "data": r.data, "ioc": r.ioc, "source": "misp"});
        let action = Action {
            operation: "create",
            object_type: "Observable",
            object_id: *id,
            root: Some(("Case", case_id)),
            details,
        };
        record(&mut tx, caller, action, now).await?;
    }
    let case = crate::storage::cases::get(&mut tx, &caller.scope(), case_id)
        .await?
        .ok_or_else(|| ApiError::Internal("case vanished".into()))?;
    let view = crate::service::cases::view(&mut tx, caller, case).await?;
    tx.commit().await?;
    Ok(view)
}
