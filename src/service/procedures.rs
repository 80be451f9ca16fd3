//! MITRE ATT&CK patterns (spec §1.22: catalogue import from the STIX bundle, get, delete)
//! and procedures (§1.18: a pattern observed in a case or an alert).

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::wire::{nest_field, opt_date};
use super::{object, opt_str, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::service::attachments::Upload;
use crate::storage::patterns::{self, NewPattern, NewProcedure, Pattern, ProcParent, Procedure, ProcedureUpdate};
use crate::storage::{Tx, alerts};

/// A procedure as given in a request, before its pattern is looked up.
#[derive(Debug, Clone)]
pub struct ProcedureInput {
    pub pattern_id: String,
    pub occur_date: i64,
    pub tactic: Option<String>,
    pub description: Option<String>,
}

/// Reads `{patternId, occurDate, tactic?, description?}`.
pub fn parse(v: &Value, now: i64) -> Result<ProcedureInput, ApiError> {
    object(v)?;
    Ok(ProcedureInput {
        pattern_id: req_str(v, "patternId")?,
        occur_date: opt_date(v, "occurDate")?.unwrap_or(now),
        tactic: opt_str(v, "tactic")?,
        description: opt_str(v, "description")?,
    })
}

/// Reads a list of procedures (`procedures` of an alert), naming `procedures[i]` in errors.
pub fn parse_list(body: &Value, key: &str, now: i64) -> Result<Vec<ProcedureInput>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| parse(item, now).map_err(|e| nest_field(&format!("{key}[{i}]"), e)))
            .collect(),
        Some(other) => Err(ApiError::invalid(key, "array of procedures", other)),
    }
}

/// Resolves patterns (one query) and inserts the procedures under `parent`. An unknown
/// pattern is a 400 naming `{key}[i].patternId`.
pub async fn insert(
    tx: &mut Tx,
    parent: ProcParent,
    inputs: &[ProcedureInput],
    key: &str,
    by: &str,
    now: i64,
) -> Result<Vec<i64>, ApiError> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: Vec<String> = inputs.iter().map(|p| p.pattern_id.clone()).collect();
    let found = patterns::by_mitre_ids(tx, &wanted).await?;
    let mut rows = Vec::with_capacity(inputs.len());
    for (i, p) in inputs.iter().enumerate() {
        let Some((pattern_id, _, tactics)) = found.get(&p.pattern_id) else {
            return Err(ApiError::invalid(
                &format!("{key}[{i}].patternId"),
                "MITRE id of an imported pattern",
                &json!(p.pattern_id),
            ));
        };
        // TheHive fills the tactic from the pattern when the pattern has exactly one.
        let tactic = p.tactic.clone().or_else(|| (tactics.len() == 1).then(|| tactics[0].clone()));
        rows.push(NewProcedure {
            pattern_id: *pattern_id,
            occur_date: p.occur_date,
            tactic,
            description: p.description.clone(),
        });
    }
    Ok(patterns::insert_procedures(tx, parent, &rows, by, now).await?)
}

/// Where a procedure is created, as named in the path.
#[derive(Debug, Clone, Copy)]
pub enum ParentRef<'a> {
    Case(&'a str),
    Alert(&'a str),
}

async fn resolve(tx: &mut Tx, caller: &Caller, parent: ParentRef<'_>) -> Result<ProcParent, ApiError> {
    match parent {
        ParentRef::Case(id) => {
            let access =
                super::cases::find_for_write(tx, caller, id, perm::MANAGE_PROCEDURE, "manage procedure").await?;
            Ok(ProcParent::Case(access.case.id))
        }
        ParentRef::Alert(id) => {
            let a = alerts::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Alert"))?;
            caller.require(perm::MANAGE_ALERT, "manage alert")?;
            Ok(ProcParent::Alert(a.id))
        }
    }
}

fn root(p: ProcParent) -> (&'static str, i64) {
    match p {
        ProcParent::Case(id) => ("Case", id),
        ProcParent::Alert(id) => ("Alert", id),
    }
}

/// `POST /{case|alert}/{id}/procedure` (one) and `.../procedures` `{procedures: [...]}`.
pub async fn create(
    app: &App,
    caller: &Caller,
    parent: ParentRef<'_>,
    inputs: &[ProcedureInput],
) -> Result<Vec<Procedure>, ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let p = resolve(&mut tx, caller, parent).await?;
    let ids = insert(&mut tx, p, inputs, "procedures", &caller.login, now)
        .await
        .map_err(|e| if inputs.len() == 1 { strip_index(e) } else { e })?;
    for (id, input) in ids.iter().zip(inputs) {
        let details = json!({"patternId": input.pattern_id, "occurDate": input.occur_date, "tactic": input.tactic});
        record(
            &mut tx,
            caller,
            Action { operation: "create", object_type: "Procedure", object_id: *id, root: Some(root(p)), details },
            now,
        )
        .await?;
    }
    let out = patterns::procedures_by_ids(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(out)
}

/// For a single procedure the error names `patternId`, not `procedures[0].patternId`.
fn strip_index(e: ApiError) -> ApiError {
    use crate::error::AttributeError as A;
    match e {
        ApiError::AttributeChecking(errs) => ApiError::AttributeChecking(
            errs.into_iter()
                .map(|a| match a {
                    A::InvalidFormat { name, format, value } => {
                        A::InvalidFormat { name: name.rsplit('.').next().unwrap_or(&name).to_owned(), format, value }
                    }
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

pub async fn get(app: &App, caller: &Caller, id: &str) -> Result<Procedure, ApiError> {
    let mut tx = app.store.read().await?;
    patterns::find_procedure(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Procedure"))
}

pub async fn list(app: &App, caller: &Caller, parent: ParentRef<'_>) -> Result<Vec<Procedure>, ApiError> {
    let mut tx = app.store.read().await?;
    let p = resolve_visible(&mut tx, caller, parent).await?;
    Ok(patterns::procedures_of(&mut tx, p).await?)
}

/// The case or alert `parent` names, if the caller may see it.
async fn resolve_visible(tx: &mut Tx, caller: &Caller, parent: ParentRef<'_>) -> Result<ProcParent, ApiError> {
    Ok(match parent {
        ParentRef::Case(id) => ProcParent::Case(super::observables::find_case(tx, caller, id).await?),
        ParentRef::Alert(id) => ProcParent::Alert(
            alerts::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Alert"))?.id,
        ),
    })
}

/// The visible procedure `id`; with `within`, it must also belong to that case or alert
/// (a page edits only its own procedures), else it is not found.
async fn find_within(
    tx: &mut Tx,
    caller: &Caller,
    id: &str,
    within: Option<ParentRef<'_>>,
) -> Result<Procedure, ApiError> {
    let p = patterns::find_procedure(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Procedure"))?;
    if let Some(parent) = within
        && resolve_visible(tx, caller, parent).await? != p.parent
    {
        return Err(ApiError::not_found("Procedure"));
    }
    Ok(p)
}

/// The permission to change a procedure: `manageProcedure` on its case (the organisation's
/// share must grant it too: a read-only share edits nothing), or `manageAlert`.
async fn require_change(tx: &mut Tx, caller: &Caller, p: &Procedure) -> Result<(), ApiError> {
    match p.parent {
        ProcParent::Case(case_id) => {
            super::cases::find_for_write(
                tx,
                caller,
                &crate::ids::render_id(case_id),
                perm::MANAGE_PROCEDURE,
                "manage procedure",
            )
            .await?;
            Ok(())
        }
        ProcParent::Alert(_) => caller.require(perm::MANAGE_ALERT, "manage alert"),
    }
}

/// `PATCH /procedure/{id}`: `description`, `occurDate`, `tactic`.
pub async fn update(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    update_within(app, caller, None, id, |_| body.clone()).await
}

/// [`update`] of a procedure that must belong to `within` (when given), with the body
/// built from the procedure as it is (the UI form keeps the time of an unchanged day).
pub async fn update_within(
    app: &App,
    caller: &Caller,
    within: Option<ParentRef<'_>>,
    id: &str,
    body: impl FnOnce(&Procedure) -> Value,
) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let p = find_within(&mut tx, caller, id, within).await?;
    let body = body(&p);
    object(&body)?;
    let u = ProcedureUpdate {
        occur_date: opt_date(&body, "occurDate")?,
        tactic: super::wire::nullable_str(&body, "tactic")?,
        description: super::wire::nullable_str(&body, "description")?,
    };
    require_change(&mut tx, caller, &p).await?;
    patterns::update_procedure(&mut tx, p.id, &u, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Procedure",
            object_id: p.id,
            root: Some(root(p.parent)),
            details: body,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /procedure/{id}` and `POST /procedure/delete/_bulk {ids}`; with `within`, every
/// procedure must belong to that case or alert.
pub async fn delete(app: &App, caller: &Caller, ids: &[String], within: Option<ParentRef<'_>>) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    for id in ids {
        let p = find_within(&mut tx, caller, id, within).await?;
        require_change(&mut tx, caller, &p).await?;
        patterns::delete_procedure(&mut tx, p.id).await?;
        record(
            &mut tx,
            caller,
            Action {
                operation: "delete",
                object_type: "Procedure",
                object_id: p.id,
                root: Some(root(p.parent)),
                details: json!({"patternId": p.mitre_id}),
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

// ----------------------------------------------------------------------------------------
// Patterns
// ----------------------------------------------------------------------------------------

pub async fn get_pattern(app: &App, id: &str) -> Result<Pattern, ApiError> {
    let mut tx = app.store.read().await?;
    patterns::find(&mut tx, id).await?.ok_or_else(|| ApiError::not_found("Pattern"))
}

/// `GET /pattern/case/{caseId}`.
pub async fn patterns_of_case(app: &App, caller: &Caller, case: &str) -> Result<Vec<Pattern>, ApiError> {
    let mut tx = app.store.read().await?;
    let c = super::observables::find_case(&mut tx, caller, case).await?;
    Ok(patterns::used_by_case(&mut tx, c).await?)
}

pub async fn delete_pattern(app: &App, caller: &Caller, id: &str) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_PATTERN, "delete pattern")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let p = patterns::find(&mut tx, id).await?.ok_or_else(|| ApiError::not_found("Pattern"))?;
    patterns::delete(&mut tx, p.id).await.map_err(|e| {
        if is_fk(&e) { ApiError::BadRequest(format!("Pattern {} is used by procedures", p.mitre_id)) } else { e.into() }
    })?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Pattern",
            object_id: p.id,
            root: None,
            details: json!({"patternId": p.mitre_id}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn is_fk(e: &crate::storage::StorageError) -> bool {
    e.to_string().to_lowercase().contains("foreign key")
}

/// One line of the import report.
pub enum ImportResult {
    Success { mitre_id: String, name: String },
    Failure { message: String },
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Reads one STIX `attack-pattern` object (MITRE's enterprise-attack bundle layout).
fn stix_pattern(o: &Value) -> Option<NewPattern> {
    let refs = o.get("external_references")?.as_array()?;
    let mitre = refs.iter().find(|r| r.get("source_name").and_then(Value::as_str) == Some("mitre-attack"))?;
    let mitre_id = mitre.get("external_id")?.as_str()?.to_owned();
    let capec = refs.iter().find(|r| r.get("source_name").and_then(Value::as_str) == Some("capec"));
    Some(NewPattern {
        mitre_id,
        name: o.get("name").and_then(Value::as_str).unwrap_or_default().to_owned(),
        description: o.get("description").and_then(Value::as_str).map(str::to_owned),
        tactics: o
            .get("kill_chain_phases")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|k| k.get("phase_name").and_then(Value::as_str).map(str::to_owned)).collect())
            .unwrap_or_default(),
        url: mitre.get("url").and_then(Value::as_str).unwrap_or_default().to_owned(),
        capec_id: capec.and_then(|c| c.get("external_id")).and_then(Value::as_str).map(str::to_owned),
        capec_url: capec.and_then(|c| c.get("url")).and_then(Value::as_str).map(str::to_owned),
        revoked: o.get("revoked").and_then(Value::as_bool).unwrap_or(false)
            || o.get("x_mitre_deprecated").and_then(Value::as_bool).unwrap_or(false),
        data_sources: strings(o.get("x_mitre_data_sources")),
        defense_bypassed: strings(o.get("x_mitre_defense_bypassed")),
        detection: o.get("x_mitre_detection").and_then(Value::as_str).map(str::to_owned),
        permissions_required: strings(o.get("x_mitre_permissions_required")),
        platforms: strings(o.get("x_mitre_platforms")),
        remote_support: o.get("x_mitre_remote_support").and_then(Value::as_bool).unwrap_or(false),
        system_requirements: strings(o.get("x_mitre_system_requirements")),
        version: o.get("x_mitre_version").and_then(Value::as_str).map(str::to_owned),
    })
}

/// `POST /pattern/import/attack` (multipart part `file`): imports or refreshes every
/// attack-pattern of the bundle, then links sub-techniques to their technique.
pub async fn import_attack(app: &App, caller: &Caller, files: &[Upload]) -> Result<Vec<ImportResult>, ApiError> {
    caller.require(perm::MANAGE_PATTERN, "import patterns")?;
    let file = files.iter().find(|f| f.field == "file").or(files.first()).ok_or_else(|| ApiError::missing("file"))?;
    let bundle: Value = serde_json::from_slice(&file.bytes)
        .map_err(|e| ApiError::BadRequest(format!("The file is not a STIX JSON bundle: {e}")))?;
    let objects = bundle
        .get("objects")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::BadRequest("The STIX bundle has no objects array".into()))?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let mut results = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for o in objects.iter().filter(|o| o.get("type").and_then(Value::as_str) == Some("attack-pattern")) {
        match stix_pattern(o) {
            Some(p) => {
                let id = patterns::upsert(&mut tx, &p, &caller.login, now).await?;
                ids.insert(p.mitre_id.clone(), id);
                results.push(ImportResult::Success { mitre_id: p.mitre_id, name: p.name });
            }
            None => results.push(ImportResult::Failure {
                message: format!(
                    "attack-pattern {} has no MITRE ATT&CK id",
                    o.get("id").and_then(Value::as_str).unwrap_or("?")
                ),
            }),
        }
    }
    for (mitre, id) in &ids {
        if let Some((parent, _)) = mitre.split_once('.') {
            let parent_id = match ids.get(parent) {
                Some(p) => Some(*p),
                None => patterns::find(&mut tx, parent).await?.map(|p| p.id),
            };
            if let Some(pid) = parent_id {
                patterns::set_parent(&mut tx, *id, pid).await?;
            }
        }
    }
    record(
        &mut tx,
        caller,
        Action {
            operation: "create",
            object_type: "Pattern",
            object_id: 0,
            root: None,
            details: json!({"imported": ids.len()}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(results)
}
