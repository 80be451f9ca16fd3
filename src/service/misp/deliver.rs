//! Delivering one MISP event into one organisation: create its alert with all observables,
//! or bring an existing alert up to date, in ONE transaction, so a failure leaves nothing
//! half-imported. Alert and observable rows are written only through the alerts and
//! observables services' transaction-level functions (`create_in_tx`, `prepare`) and the
//! storage functions they use; this module holds no SQL.
//!
//! An alert already imported into a case (and still followed) brings its new observables
//! to the analyst's attention: they are added to the case too, an audit entry on the case
//! records which event brought them (it shows in the case timeline), the alert turns
//! unread, and an unmerge of that alert takes them back out like the rest of the merge.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use crate::app::App;
use crate::auth::integration::INTEGRATION_LOGIN;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::ids::render_id;
use crate::integrations::misp::import_map::{AlertDraft, ObservableDraft};
use crate::service::alerts::create::{AlertInput, create_in_tx};
use crate::service::attachments::Upload;
use crate::service::audit::{Action, record};
use crate::service::observables::{self as obs, Spec, SpecValue};
use crate::storage::alerts::{self, AlertUpdate, NewAlert};
use crate::storage::observables::{self, NewObservable, Parent};
use crate::storage::{Tx, attachments};

/// The alert type of imported events.
pub const ALERT_TYPE: &str = "misp";

/// An observable whose file, if any, has been downloaded.
pub struct Ready {
    pub draft: ObservableDraft,
    pub file: Option<Upload>,
}

/// What delivering an event to one organisation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    Created { alert_id: i64, observables: usize },
    Updated { alert_id: i64, new_observables: usize, removed_observables: usize, added_to_case: Option<i64> },
    Unchanged,
}

/// The permissions the importer acts with in a receiving organisation.
const IMPORTER: &[&str] = &[perm::MANAGE_ALERT, perm::MANAGE_OBSERVABLE];

/// The observable inputs (one spec per observable) and the files they refer to.
fn specs(ready: &[Ready], types: &HashMap<String, bool>) -> (Vec<Spec>, Vec<Upload>) {
    let mut files = Vec::new();
    let mut out = Vec::new();
    for r in ready {
        let d = &r.draft;
        let value = match &r.file {
            Some(f) => {
                files.push(f.clone());
                SpecValue::File(files.len() - 1)
            }
            None => match &d.data {
                crate::integrations::misp::import_map::Data::Text(t) => SpecValue::Data(t.clone()),
                // A file whose download the caller did not provide is not delivered.
                crate::integrations::misp::import_map::Data::File { .. } => continue,
            },
        };
        // An administrator may have removed an observable type the mapping chose.
        let data_type = if types.contains_key(&d.data_type) { d.data_type.clone() } else { "other".to_owned() };
        out.push(Spec {
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
    (out, files)
}

fn merged_tags(current: &[String], draft: &[String]) -> Vec<String> {
    let mut tags = draft.to_vec();
    // Tags an analyst added to the alert stay.
    for t in current {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    tags
}

/// Delivers `draft` with `ready` observables into organisation `org`. `force` re-checks an
/// alert even if its sync date says it is current (retries of failed events).
#[allow(clippy::too_many_arguments)]
pub async fn deliver(
    app: &App,
    org: &(i64, String),
    source: &str,
    draft: &AlertDraft,
    ready: &[Ready],
    case_template: Option<&str>,
    operation_id: &str,
    force: bool,
) -> Result<Delivered, ApiError> {
    let caller = Caller::integration(org.0, &org.1, IMPORTER, operation_id);
    let scope = caller.scope();
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let existing = alerts::find_by_source(&mut tx, &scope, ALERT_TYPE, source, &draft.source_ref).await?;
    if let Some(a) = &existing
        && !force
        && a.last_sync_date.is_some_and(|d| d >= draft.last_sync_date)
    {
        return Ok(Delivered::Unchanged);
    }
    let types = obs::type_table(&mut tx).await?;
    let (specs, files) = specs(ready, &types);
    let Some(a) = existing else {
        // A template that does not exist in this organisation is not an error of the event.
        let template = match case_template {
            Some(t) if alerts::case_template_exists(&mut tx, &scope, t).await? => Some(t.to_owned()),
            _ => None,
        };
        let input = AlertInput {
            alert: NewAlert {
                organisation_id: org.0,
                alert_type: ALERT_TYPE.into(),
                source: source.into(),
                source_ref: draft.source_ref.clone(),
                external_link: Some(draft.external_link.clone()),
                title: draft.title.clone(),
                description: draft.description.clone(),
                severity: draft.severity,
                tlp: draft.tlp,
                pap: draft.pap,
                date: draft.date,
                last_sync_date: Some(draft.last_sync_date),
                tags: draft.tags.clone(),
                flag: false,
                status: "New".into(),
                stage: "New".into(),
                follow: true,
                summary: None,
                assignee: None,
                case_template: template,
            },
            observables: specs,
            procedures: Vec::new(),
            custom_fields: None,
        };
        let created = create_in_tx(&mut tx, &caller, &input, &files, &types, now).await?;
        tx.commit().await?;
        return Ok(Delivered::Created {
            alert_id: created.alert.id,
            observables: created.alert.observable_count as usize,
        });
    };

    // The alert exists: new attributes become new observables, fields follow the event.
    let prepared = obs::prepare(&mut tx, &caller, &specs, &files, &types, now).await?;
    let rows: Vec<NewObservable> = prepared.into_iter().map(|p| p.row).collect();
    let ids = observables::insert_many(&mut tx, Parent::Alert(a.id), &rows, &caller.login, now).await?;
    let new_rows: Vec<(i64, &NewObservable)> =
        ids.iter().zip(&rows).filter_map(|(id, r)| id.map(|id| (id, r))).collect();
    for (id, r) in &new_rows {
        let details = json!({"dataType": r.data_type, "data": r.data, "ioc": r.ioc, "source": "misp"});
        let action = Action {
            operation: "create",
            object_type: "Observable",
            object_id: *id,
            root: Some(("Alert", a.id)),
            details,
        };
        record(&mut tx, &caller, action, now).await?;
    }
    let keep: HashSet<(&str, &str)> = rows.iter().map(|r| (r.data_type.as_str(), r.data_hash.as_str())).collect();
    let removed = remove_gone(&mut tx, &caller, a.id, &keep, now).await?;
    let mut u = AlertUpdate::default();
    let mut changed = serde_json::Map::new();
    macro_rules! diff {
        ($field:ident, $name:expr, $new:expr) => {
            if a.$field != $new {
                changed.insert($name.into(), json!($new));
                u.$field = Some($new);
            }
        };
    }
    diff!(title, "title", draft.title.clone());
    diff!(description, "description", draft.description.clone());
    diff!(severity, "severity", draft.severity);
    diff!(tlp, "tlp", draft.tlp);
    diff!(pap, "pap", draft.pap);
    diff!(date, "date", draft.date);
    let tags = merged_tags(&a.tags, &draft.tags);
    if tags != a.tags {
        changed.insert("tags".into(), json!(tags));
        u.tags = Some(tags);
    }
    if a.external_link.as_deref() != Some(draft.external_link.as_str()) {
        changed.insert("externalLink".into(), json!(draft.external_link));
        u.external_link = Some(Some(draft.external_link.clone()));
    }
    if a.last_sync_date != Some(draft.last_sync_date) {
        u.last_sync_date = Some(Some(draft.last_sync_date));
    }
    if changed.is_empty() && new_rows.is_empty() && removed.is_empty() {
        if u.last_sync_date.is_some() {
            alerts::update(&mut tx, a.id, &u, &caller.login, now).await?;
            tx.commit().await?;
        }
        return Ok(Delivered::Unchanged);
    }
    // Something new: the alert asks for attention again.
    u.read = Some(false);
    alerts::update(&mut tx, a.id, &u, &caller.login, now).await?;
    changed.insert("newObservables".into(), json!(new_rows.len()));
    if !removed.is_empty() {
        changed.insert("removedObservables".into(), json!(removed));
    }
    let action = Action {
        operation: "update",
        object_type: "Alert",
        object_id: a.id,
        root: Some(("Alert", a.id)),
        details: serde_json::Value::Object(changed),
    };
    record(&mut tx, &caller, action, now).await?;

    let mut added_to_case = None;
    if let (Some(case_id), true, false) = (a.case_id, a.follow, new_rows.is_empty()) {
        let copies: Vec<NewObservable> = new_rows.iter().map(|(_, r)| (*r).clone()).collect();
        let case_ids = observables::insert_many(&mut tx, Parent::Case(case_id), &copies, &caller.login, now).await?;
        let new_ids: Vec<i64> = case_ids.iter().flatten().copied().collect();
        crate::service::sharing::on_new_observables(&mut tx, &caller, case_id, &new_ids).await?;
        let merge = alerts::merge_record(&mut tx, a.id).await?.filter(|m| m.case_id == case_id);
        let mut added = Vec::new();
        for (id, r) in case_ids.iter().zip(&copies) {
            let Some(id) = id else { continue };
            if let Some(m) = &merge {
                alerts::record_merge_observable(&mut tx, m.id, *id, true, &[]).await?;
            }
            let details = json!({"dataType": r.data_type, "data": r.data, "ioc": r.ioc, "source": "misp"});
            let action = Action {
                operation: "create",
                object_type: "Observable",
                object_id: *id,
                root: Some(("Case", case_id)),
                details,
            };
            record(&mut tx, &caller, action, now).await?;
            added.push(json!({"dataType": r.data_type, "data": r.data}));
        }
        if !added.is_empty() {
            let details = json!({"mispUpdate": {
                "alert": render_id(a.id), "event": draft.source_ref, "source": source, "newObservables": added,
            }});
            let action = Action {
                operation: "update",
                object_type: "Case",
                object_id: case_id,
                root: Some(("Case", case_id)),
                details,
            };
            record(&mut tx, &caller, action, now).await?;
            added_to_case = Some(case_id);
        }
    }
    tx.commit().await?;
    Ok(Delivered::Updated {
        alert_id: a.id,
        new_observables: new_rows.len(),
        removed_observables: removed.len(),
        added_to_case,
    })
}

/// Removes from alert `alert_id` the observables the importer created that the event no
/// longer has (attributes deleted in MISP, TheHive 4's behaviour, spec §2.6): those whose
/// (dataType, data) key is not in `keep`. Observables an analyst added are never touched,
/// nor is the case the alert went into. Returns what was removed, for the audit entry.
async fn remove_gone(
    tx: &mut Tx,
    caller: &Caller,
    alert_id: i64,
    keep: &HashSet<(&str, &str)>,
    now: i64,
) -> Result<Vec<serde_json::Value>, ApiError> {
    let mut removed = Vec::new();
    for o in observables::list(tx, Parent::Alert(alert_id)).await? {
        if o.meta.created_by != INTEGRATION_LOGIN || keep.contains(&(o.data_type.as_str(), o.data_hash.as_str())) {
            continue;
        }
        if let Some(att) = observables::delete(tx, o.id).await? {
            attachments::collect_garbage(tx, &[att]).await?;
        }
        let data = o.data.clone().or_else(|| o.file.as_ref().map(|f| f.name.clone()));
        let details = json!({"dataType": o.data_type, "data": data, "source": "misp"});
        let action = Action {
            operation: "delete",
            object_type: "Observable",
            object_id: o.id,
            root: Some(("Alert", alert_id)),
            details,
        };
        record(tx, caller, action, now).await?;
        removed.push(json!({"dataType": o.data_type, "data": data}));
    }
    Ok(removed)
}

/// Whether every organisation already has the alert at this sync date (then the event
/// need not even be fetched).
pub async fn all_current(
    app: &App,
    orgs: &[(i64, String)],
    source: &str,
    source_ref: &str,
    last_sync_date: i64,
) -> Result<bool, ApiError> {
    let mut tx = app.store.read().await?;
    for org in orgs {
        let scope = Caller::integration(org.0, &org.1, IMPORTER, "").scope();
        let current = alerts::find_by_source(&mut tx, &scope, ALERT_TYPE, source, source_ref)
            .await?
            .is_some_and(|a| a.last_sync_date.is_some_and(|d| d >= last_sync_date));
        if !current {
            return Ok(false);
        }
    }
    Ok(true)
}
