//! Observables of cases and alerts (spec §1.6): creation with one value, a list of values or
//! uploaded files (201, or 207 when some values fail), update, bulk update, delete, file
//! download, and correlation ("seen", similar observables) through the index.

use std::collections::HashMap;

use base64::Engine;
use serde_json::{Value, json};

use super::attachments::{Download, Upload};
use super::audit::{Action, record};
use super::wire::{dedup, opt_date, opt_range, opt_tags};
use super::{object, opt_bool, opt_str, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::observables::{self, NewObservable, Observable, ObservableUpdate, Parent};
use crate::storage::{Tx, alerts, attachments, observable_types};

/// Where a request creates observables, as named in its path.
#[derive(Debug, Clone, Copy)]
pub enum ParentRef<'a> {
    Case(&'a str),
    Alert(&'a str),
}

/// A visible case by `~id` or number: its row id.
pub async fn find_case(tx: &mut Tx, caller: &Caller, id: &str) -> Result<i64, ApiError> {
    observables::visible_case_id(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Case"))
}

/// Resolves a path parent, checking visibility and the permission to add observables.
async fn resolve(tx: &mut Tx, caller: &Caller, parent: ParentRef<'_>) -> Result<Parent, ApiError> {
    match parent {
        ParentRef::Case(id) => {
            let access =
                super::cases::find_for_write(tx, caller, id, perm::MANAGE_OBSERVABLE, "manage observable").await?;
            Ok(Parent::Case(access.case.id))
        }
        ParentRef::Alert(id) => {
            let a = alerts::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Alert"))?;
            caller.require(perm::MANAGE_ALERT, "manage alert")?;
            Ok(Parent::Alert(a.id))
        }
    }
}

/// The permission that guards changes to an observable of this parent (for a case, the
/// organisation's share of the case must grant it too).
async fn require_change(tx: &mut Tx, caller: &Caller, parent: Parent) -> Result<(), ApiError> {
    match parent {
        Parent::Case(c) => {
            super::cases::find_for_write(
                tx,
                caller,
                &crate::ids::render_id(c),
                perm::MANAGE_OBSERVABLE,
                "manage observable",
            )
            .await?;
            Ok(())
        }
        Parent::Alert(_) => caller.require(perm::MANAGE_ALERT, "manage alert"),
    }
}

pub fn audit_root(parent: Parent) -> (&'static str, i64) {
    match parent {
        Parent::Case(id) => ("Case", id),
        Parent::Alert(id) => ("Alert", id),
    }
}

/// One value of an observable input: a text, an uploaded file (index into the request's
/// files), or an attachment already stored (`{id, name, contentType}`).
#[derive(Debug, Clone)]
pub enum SpecValue {
    Data(String),
    File(usize),
    Existing { sha256: String, name: Option<String>, content_type: Option<String> },
}

/// A parsed observable input (before the database is consulted).
#[derive(Debug, Clone)]
pub struct Spec {
    pub data_type: String,
    pub values: Vec<SpecValue>,
    pub message: Option<String>,
    pub tlp: i64,
    pub pap: i64,
    pub ioc: bool,
    pub sighted: bool,
    pub sighted_at: Option<i64>,
    pub ignore_similarity: bool,
    pub tags: Vec<String>,
}

fn existing_ref(v: &Value) -> Result<SpecValue, ApiError> {
    let sha256 = req_str(v, "id").map_err(|_| ApiError::invalid("attachment", "{name, contentType, id}", v))?;
    Ok(SpecValue::Existing { sha256, name: opt_str(v, "name")?, content_type: opt_str(v, "contentType")? })
}

/// Parses one observable input. `files` are the request's uploads; a string `attachment`
/// names one of them (thehive4py's attachment map), and without `data` or `attachment` the
/// parts named `default_file_field` are used (the observable endpoints' `attachment` part).
pub fn parse(v: &Value, files: &[Upload], default_file_field: Option<&str>) -> Result<Spec, ApiError> {
    object(v)?;
    let data_type = req_str(v, "dataType")?;
    let mut values = Vec::new();
    match v.get("data") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => values.push(SpecValue::Data(s.clone())),
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => values.push(SpecValue::Data(s.clone())),
                    other => return Err(ApiError::invalid("data", "string or array of strings", other)),
                }
            }
        }
        Some(other) => return Err(ApiError::invalid("data", "string or array of strings", other)),
    }
    // One observable per non-blank value.
    values.retain(|sv| !matches!(sv, SpecValue::Data(s) if s.trim().is_empty()));
    match v.get("attachment") {
        None | Some(Value::Null) => {}
        Some(Value::String(key)) => {
            let idx = files
                .iter()
                .position(|f| &f.field == key)
                .ok_or_else(|| ApiError::invalid("attachment", "name of a file part", &json!(key)))?;
            values.push(SpecValue::File(idx));
        }
        Some(o @ Value::Object(_)) => values.push(existing_ref(o)?),
        Some(Value::Array(items)) => {
            for item in items {
                values.push(existing_ref(item)?);
            }
        }
        Some(other) => return Err(ApiError::invalid("attachment", "file part or {name, contentType, id}", other)),
    }
    if values.is_empty()
        && let Some(field) = default_file_field
    {
        values.extend(files.iter().enumerate().filter(|(_, f)| f.field == field).map(|(i, _)| SpecValue::File(i)));
    }
    if values.is_empty() {
        return Err(ApiError::missing("data"));
    }
    Ok(Spec {
        data_type,
        values,
        message: opt_str(v, "message")?,
        tlp: opt_range(v, "tlp", 0, 4)?.unwrap_or(2),
        pap: opt_range(v, "pap", 0, 3)?.unwrap_or(2),
        ioc: opt_bool(v, "ioc")?.unwrap_or(false),
        sighted: opt_bool(v, "sighted")?.unwrap_or(false),
        sighted_at: opt_date(v, "sightedAt")?,
        ignore_similarity: opt_bool(v, "ignoreSimilarity")?.unwrap_or(false),
        tags: opt_tags(v, "tags")?.unwrap_or_default(),
    })
}

/// What one value became: the row to insert, and how to name it in a failure report.
pub struct Prepared {
    pub row: NewObservable,
    pub label: Value,
}

/// Observable types by name → isAttachment, read once per transaction.
pub async fn type_table(tx: &mut Tx) -> Result<HashMap<String, bool>, ApiError> {
    Ok(observable_types::list(tx).await?.into_iter().map(|t| (t.name, t.is_attachment)).collect())
}

/// The type table restricted to the types `specs` use: what `prepare` needs, in one small
/// query (the hot ingestion path must not read the whole table per alert).
pub async fn type_table_for(tx: &mut Tx, specs: &[Spec]) -> Result<HashMap<String, bool>, ApiError> {
    type_table_for_all(tx, &[specs]).await
}

/// [`type_table_for`] over the observables of several requests (batched ingestion).
pub async fn type_table_for_all(tx: &mut Tx, lists: &[&[Spec]]) -> Result<HashMap<String, bool>, ApiError> {
    let mut names: Vec<&str> = lists.iter().flat_map(|l| l.iter()).map(|s| s.data_type.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    Ok(observable_types::attachment_flags(tx, &names).await?.into_iter().collect())
}

/// Turns parsed inputs into rows: checks types, stores uploaded files (deduplicated),
/// resolves referenced attachments. Any invalid input fails the whole request.
pub async fn prepare(
    tx: &mut Tx,
    caller: &Caller,
    specs: &[Spec],
    files: &[Upload],
    types: &HashMap<String, bool>,
    now: i64,
) -> Result<Vec<Prepared>, ApiError> {
    let mut out = Vec::new();
    let mut stored: HashMap<usize, i64> = HashMap::new();
    for spec in specs {
        let Some(&is_file) = types.get(&spec.data_type) else {
            return Err(ApiError::invalid("dataType", "an existing observable type", &json!(spec.data_type)));
        };
        for value in &spec.values {
            let (data, data_hash, file, label) = match (value, is_file) {
                (SpecValue::Data(s), false) => (Some(s.clone()), super::wire::data_hash(s), None, json!({"data": s})),
                (SpecValue::Data(s), true) => {
                    // Alerts may carry a file inline as "name;contentType;base64" (spec §1.6).
                    let mut parts = s.splitn(3, ';');
                    let (Some(name), Some(ct), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
                        return Err(ApiError::invalid("data", "a file (attachment) for this dataType", &json!(s)));
                    };
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(b64.trim())
                        .map_err(|_| ApiError::invalid("data", "filename;contentType;base64", &json!(name)))?;
                    let up = Upload::new("data".into(), name.into(), ct.into(), bytes);
                    let blob = up.store(tx, &caller.login, now).await?;
                    (
                        None,
                        blob.sha256.clone(),
                        Some((blob.id, up.filename.clone(), up.content_type.clone())),
                        json!({"attachment": up.filename}),
                    )
                }
                (SpecValue::File(i), true) => {
                    let f = &files[*i];
                    let id = match stored.get(i) {
                        Some(id) => *id,
                        None => {
                            let blob = f.store(tx, &caller.login, now).await?;
                            stored.insert(*i, blob.id);
                            blob.id
                        }
                    };
                    (
                        None,
                        f.sha256.clone(),
                        Some((id, f.filename.clone(), f.content_type.clone())),
                        json!({"attachment": f.filename}),
                    )
                }
                (SpecValue::Existing { sha256, name, content_type }, true) => {
                    if !attachments::visible(tx, &caller.scope(), sha256).await? {
                        return Err(ApiError::not_found("Attachment"));
                    }
                    let blob = attachments::find(tx, sha256).await?.ok_or_else(|| ApiError::not_found("Attachment"))?;
                    let name = name.clone().unwrap_or_else(|| sha256.clone());
                    let ct = content_type.clone().unwrap_or(blob.content_type);
                    (None, blob.sha256, Some((blob.id, name.clone(), ct)), json!({"attachment": name}))
                }
                (_, false) => {
                    return Err(ApiError::invalid(
                        "attachment",
                        "no file for a non-file dataType",
                        &json!(spec.data_type),
                    ));
                }
            };
            out.push(Prepared {
                row: NewObservable {
                    data_type: spec.data_type.clone(),
                    data,
                    data_hash,
                    message: spec.message.clone(),
                    tlp: spec.tlp,
                    pap: spec.pap,
                    ioc: spec.ioc,
                    sighted: spec.sighted,
                    sighted_at: spec.sighted_at.or(if spec.sighted { Some(now) } else { None }),
                    ignore_similarity: spec.ignore_similarity,
                    tags: spec.tags.clone(),
                    file,
                },
                label,
            });
        }
    }
    Ok(out)
}

/// The outcome of a create: TheHive answers 201 with `created`, or 207 with both lists.
pub struct Outcome {
    pub created: Vec<Observable>,
    pub failures: Vec<(Value, ApiError)>,
}

/// `POST /case/{id}/observable`, `POST /alert/{id}/observable|artifact`.
pub async fn create(
    app: &App,
    caller: &Caller,
    parent: ParentRef<'_>,
    body: &Value,
    files: &[Upload],
) -> Result<Outcome, ApiError> {
    let spec = parse(body, files, Some("attachment"))?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let parent = resolve(&mut tx, caller, parent).await?;
    let specs = std::slice::from_ref(&spec);
    let types = type_table_for(&mut tx, specs).await?;
    let prepared = prepare(&mut tx, caller, specs, files, &types, now).await?;
    let rows: Vec<NewObservable> = prepared.iter().map(|p| p.row.clone()).collect();
    let ids = observables::insert_many(&mut tx, parent, &rows, &caller.login, now).await?;
    let mut created_ids = Vec::new();
    let mut failures = Vec::new();
    for (p, id) in prepared.iter().zip(&ids) {
        match id {
            Some(id) => {
                created_ids.push(*id);
                record(
                    &mut tx,
                    caller,
                    Action {
                        operation: "create",
                        object_type: "Observable",
                        object_id: *id,
                        root: Some(audit_root(parent)),
                        details: json!({"dataType": p.row.data_type, "data": p.row.data, "ioc": p.row.ioc}),
                    },
                    now,
                )
                .await?;
            }
            None => failures.push((p.label.clone(), ApiError::Create("Observable already exists".into()))),
        }
    }
    if let Parent::Case(case_id) = parent {
        super::sharing::on_new_observables(&mut tx, caller, case_id, &created_ids).await?;
    }
    if parent_is_alert(parent) && !created_ids.is_empty() {
        alerts::touch(&mut tx, parent_id(parent), &caller.login, now).await?;
    }
    let created = observables::get_many(&mut tx, &created_ids).await?;
    tx.commit().await?;
    if created.is_empty() && failures.len() == 1 {
        // A single value that failed is a plain error, not a multi-status.
        let (_, err) = failures.remove(0);
        return Err(err);
    }
    Ok(Outcome { created, failures })
}

fn parent_is_alert(p: Parent) -> bool {
    matches!(p, Parent::Alert(_))
}

fn parent_id(p: Parent) -> i64 {
    match p {
        Parent::Case(id) | Parent::Alert(id) => id,
    }
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Observable, ApiError> {
    let mut tx = app.store.read().await?;
    observables::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Observable"))
}

/// All visible observables of a case or alert.
pub async fn list(app: &App, caller: &Caller, parent: ParentRef<'_>) -> Result<Vec<Observable>, ApiError> {
    let mut tx = app.store.read().await?;
    let p = match parent {
        ParentRef::Case(id) => Parent::Case(find_case(&mut tx, caller, id).await?),
        ParentRef::Alert(id) => Parent::Alert(
            alerts::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Alert"))?.id,
        ),
    };
    Ok(observables::list_visible(&mut tx, &caller.scope(), p).await?)
}

/// `seen` statistics (TheHive's observable extra data) for observables already visible.
pub async fn stats(app: &App, caller: &Caller, ids: &[i64]) -> Result<HashMap<i64, (i64, bool)>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(observables::seen_stats(&mut tx, &caller.scope(), ids).await?)
}

/// The visible observables elsewhere with the same data (`GET /observable/{id}/similar`).
pub async fn similar(app: &App, caller: &Caller, id: &str) -> Result<Vec<Observable>, ApiError> {
    let mut tx = app.store.read().await?;
    let o = observables::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Observable"))?;
    Ok(observables::similar(&mut tx, &caller.scope(), o.id).await?)
}

/// Reads the updatable fields (§1.6 "Updatable"); unknown keys are ignored, `null` means
/// "not given" except for `message` and `sightedAt`, which it clears.
fn parse_update(body: &Value) -> Result<ObservableUpdate, ApiError> {
    object(body)?;
    Ok(ObservableUpdate {
        data_type: opt_str(body, "dataType")?,
        message: super::wire::nullable_str(body, "message")?,
        tlp: opt_range(body, "tlp", 0, 4)?,
        pap: opt_range(body, "pap", 0, 3)?,
        ioc: opt_bool(body, "ioc")?,
        sighted: opt_bool(body, "sighted")?,
        sighted_at: match body.get("sightedAt") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => Some(opt_date(body, "sightedAt")?),
        },
        ignore_similarity: opt_bool(body, "ignoreSimilarity")?,
        tags: opt_tags(body, "tags")?,
    })
}

async fn apply_update(
    tx: &mut Tx,
    caller: &Caller,
    o: &Observable,
    u: &ObservableUpdate,
    body: &Value,
    types: &HashMap<String, bool>,
    now: i64,
) -> Result<(), ApiError> {
    require_change(tx, caller, o.parent).await?;
    let mut u = u.clone();
    if let Some(add) = opt_tags(body, "addTags")? {
        let mut tags = u.tags.clone().unwrap_or_else(|| o.tags.clone());
        tags.extend(add);
        u.tags = Some(dedup(tags));
    }
    if let Some(remove) = opt_tags(body, "removeTags")? {
        let tags = u.tags.clone().unwrap_or_else(|| o.tags.clone());
        u.tags = Some(tags.into_iter().filter(|t| !remove.contains(t)).collect());
    }
    if let Some(t) = &u.data_type {
        // Only to a type of the same kind (text ↔ text, file ↔ file).
        match types.get(t) {
            None => return Err(ApiError::invalid("dataType", "an existing observable type", &json!(t))),
            Some(is_file) if *is_file != o.file.is_some() => {
                return Err(ApiError::invalid("dataType", "a type of the same kind (file or text)", &json!(t)));
            }
            _ => {}
        }
    }
    if u.sighted == Some(true) && u.sighted_at.is_none() && o.sighted_at.is_none() {
        u.sighted_at = Some(Some(now));
    }
    if u.is_empty() {
        return Ok(());
    }
    let new_type = u.data_type.clone();
    let result = observables::update(tx, o.id, &u, &caller.login, now).await;
    if let (Err(e), Some(t)) = (&result, new_type)
        && e.is_unique_violation()
    {
        return Err(ApiError::Create(format!("Observable {t} already exists")));
    }
    result?;
    let mut details = serde_json::Map::new();
    for key in [
        "dataType",
        "message",
        "tlp",
        "pap",
        "ioc",
        "sighted",
        "sightedAt",
        "ignoreSimilarity",
        "tags",
        "addTags",
        "removeTags",
    ] {
        if let Some(v) = body.get(key) {
            details.insert(key.into(), v.clone());
        }
    }
    record(
        tx,
        caller,
        Action {
            operation: "update",
            object_type: "Observable",
            object_id: o.id,
            root: Some(audit_root(o.parent)),
            details: Value::Object(details),
        },
        now,
    )
    .await
}

/// `PATCH /observable/{id}`.
pub async fn update(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    let u = parse_update(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let o = observables::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Observable"))?;
    let types = type_table(&mut tx).await?;
    apply_update(&mut tx, caller, &o, &u, body, &types, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `PATCH /observable/_bulk` `{ids, ...fields}`: all or nothing.
pub async fn bulk_update(app: &App, caller: &Caller, body: &Value) -> Result<(), ApiError> {
    let ids = super::wire::id_list(body, "ids")?;
    let u = parse_update(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let types = type_table(&mut tx).await?;
    for id in &ids {
        let o =
            observables::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Observable"))?;
        apply_update(&mut tx, caller, &o, &u, body, &types, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `DELETE /observable/{id}`.
pub async fn delete(app: &App, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let o = observables::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Observable"))?;
    require_change(&mut tx, caller, o.parent).await?;
    if let Some(att) = observables::delete(&mut tx, o.id).await? {
        attachments::collect_garbage(&mut tx, &[att]).await?;
    }
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Observable",
            object_id: o.id,
            root: Some(audit_root(o.parent)),
            details: json!({"dataType": o.data_type, "data": o.data}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `GET /observable/{id}/attachment/{attId}/download[?asZip=true]`.
pub async fn download(app: &App, caller: &Caller, id: &str, att: &str, as_zip: bool) -> Result<Download, ApiError> {
    let mut tx = app.store.read().await?;
    let o = observables::find(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Observable"))?;
    let f = o.file.filter(|f| f.sha256 == att || crate::ids::parse_id(att) == Some(f.attachment_id));
    let f = f.ok_or_else(|| ApiError::not_found("Attachment"))?;
    let bytes = attachments::read(&mut tx, &f.sha256).await?;
    let d = Download { name: f.name, content_type: f.content_type, bytes };
    Ok(if as_zip { d.zipped() } else { d })
}
