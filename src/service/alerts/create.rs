//! Alert creation (spec §1.7, §9.2): parsing, and the transaction body.
//!
//! Ingestion is the hot path: the body runs a fixed, small number of statements whatever
//! the number of alerts and observables (alerts + tags, multi-row observables + their tags,
//! audit; procedures and custom fields per alert that has some), and nothing is read back:
//! the answer is built from what was written.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use super::super::attachments::Upload;
use super::super::audit::{Action, record_statements};
use super::super::observables::{self as obs, Spec};
use super::super::procedures::{self, ProcedureInput};
use super::super::wire::{nest_field, opt_date, opt_range, opt_tags};
use super::super::{object, opt_bool, opt_str, req_str};
use super::Created;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::storage::alerts::{self, Alert, NewAlert};
use crate::storage::meta::Meta;
use crate::storage::observables::{self, ObservableGroup, Parent};
use crate::storage::patterns::ProcParent;
use crate::storage::{Scope, Tx};

/// A create request, parsed and checked for shape (no database needed).
#[derive(Debug, Clone)]
pub struct AlertInput {
    pub alert: NewAlert,
    pub observables: Vec<Spec>,
    pub procedures: Vec<ProcedureInput>,
    pub custom_fields: Option<Value>,
}

/// Reads a required string field that may be empty (`description`), refusing other types.
fn req_text(v: &Value, name: &str) -> Result<String, ApiError> {
    opt_str(v, name)?.ok_or_else(|| ApiError::missing(name))
}

/// Parses `POST /alert` (TheHive 4 and 5 spellings; `null` = absent, as Kibana sends).
pub fn parse(body: &Value, files: &[Upload], now: i64) -> Result<AlertInput, ApiError> {
    object(body)?;
    let observables = match body.get("observables").or_else(|| body.get("artifacts")) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| obs::parse(item, files, None).map_err(|e| nest_field(&format!("observables[{i}]"), e)))
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => return Err(ApiError::invalid("observables", "array of observables", other)),
    };
    let custom_fields = ["customFields", "customFieldValue", "customFieldValues"]
        .iter()
        .find_map(|k| body.get(*k).filter(|v| !v.is_null()).cloned());
    let alert = NewAlert {
        organisation_id: 0,
        alert_type: req_str(body, "type")?,
        source: req_str(body, "source")?,
        source_ref: req_str(body, "sourceRef")?,
        external_link: opt_str(body, "externalLink")?,
        title: req_str(body, "title")?,
        description: req_text(body, "description")?,
        severity: opt_range(body, "severity", 1, 4)?.unwrap_or(2),
        tlp: opt_range(body, "tlp", 0, 4)?.unwrap_or(2),
        pap: opt_range(body, "pap", 0, 3)?.unwrap_or(2),
        date: opt_date(body, "date")?.unwrap_or(now),
        last_sync_date: opt_date(body, "lastSyncDate")?,
        tags: opt_tags(body, "tags")?.unwrap_or_default(),
        flag: opt_bool(body, "flag")?.unwrap_or(false),
        status: opt_str(body, "status")?.unwrap_or_else(|| "New".into()),
        stage: "New".into(),
        follow: opt_bool(body, "follow")?.unwrap_or(true),
        summary: opt_str(body, "summary")?,
        assignee: opt_str(body, "assignee")?.map(|a| crate::auth::caller::normalise_login(&a)),
        case_template: opt_str(body, "caseTemplate")?,
    };
    Ok(AlertInput { alert, observables, procedures: procedures::parse_list(body, "procedures", now)?, custom_fields })
}

/// The error TheHive gives for a duplicate (type, source, sourceRef) (spec §9.2).
pub fn duplicate(alert_type: &str, source: &str, source_ref: &str, organisation: &str) -> ApiError {
    ApiError::Create(format!("Alert {alert_type}:{source}:{source_ref} already exist in organisation {organisation}"))
}

/// One alert to create: who asks, what, and the uploaded files its observables refer to.
pub struct Request<'a> {
    pub caller: &'a Caller,
    pub input: &'a AlertInput,
    pub files: &'a [Upload],
}

/// Creates one alert inside `tx`. `types` is the observable type table (read once per
/// transaction by the caller). On error the caller drops the transaction (on SQLite, its
/// savepoint in the store's group commit): nothing of a refused alert is stored.
pub async fn create_in_tx(
    tx: &mut Tx,
    caller: &Caller,
    input: &AlertInput,
    files: &[Upload],
    types: &HashMap<String, bool>,
    now: i64,
) -> Result<Created, ApiError> {
    let request = Request { caller, input, files };
    let mut outcomes = create_many_in_tx(tx, std::slice::from_ref(&request), types, now).await?;
    outcomes.pop().unwrap_or_else(|| Err(ApiError::Internal("alert creation produced no outcome".into())))
}

/// Creates several alerts inside `tx` with a fixed number of statements for the lot (the
/// batched ingestion of `intake.rs`; [`create_in_tx`] is the batch of one).
///
/// Each request gets its own outcome: a request refused by a check or as a duplicate
/// writes nothing and does not disturb the others. `Err` means a step failed after rows
/// were written (a malformed inline file, an unknown ATT&CK pattern, a bad custom field, a
/// database error): the caller must roll the transaction, or its savepoint, back.
pub async fn create_many_in_tx(
    tx: &mut Tx,
    requests: &[Request<'_>],
    types: &HashMap<String, bool>,
    now: i64,
) -> Result<Vec<Result<Created, ApiError>>, ApiError> {
    let mut outcomes: Vec<Option<Result<Created, ApiError>>> = requests.iter().map(|_| None).collect();
    // Checks that read but write nothing, and one alert per triple within the batch.
    let mut checked: Vec<(usize, NewAlert)> = Vec::with_capacity(requests.len());
    let mut triples = HashSet::new();
    for (i, r) in requests.iter().enumerate() {
        match check(tx, r, types).await {
            Ok(a)
                if triples.insert((
                    a.organisation_id,
                    a.alert_type.clone(),
                    a.source.clone(),
                    a.source_ref.clone(),
                )) =>
            {
                checked.push((i, a))
            }
            Ok(a) => {
                outcomes[i] = Some(Err(duplicate(&a.alert_type, &a.source, &a.source_ref, &r.caller.organisation)))
            }
            Err(e) => outcomes[i] = Some(Err(e)),
        }
    }
    let rows: Vec<(&NewAlert, &str)> = checked.iter().map(|(i, a)| (a, requests[*i].caller.login.as_str())).collect();
    let ids = alerts::insert_many(tx, &rows, now).await?;
    let mut inserted: Vec<(usize, NewAlert, i64)> = Vec::with_capacity(checked.len());
    for ((i, a), id) in checked.into_iter().zip(ids) {
        match id {
            Some(id) => inserted.push((i, a, id)),
            None => {
                let org = &requests[i].caller.organisation;
                outcomes[i] = Some(Err(duplicate(&a.alert_type, &a.source, &a.source_ref, org)));
            }
        }
    }
    let mut observable_rows = Vec::with_capacity(inserted.len());
    for (i, _, _) in &inserted {
        let r = &requests[*i];
        let prepared = obs::prepare(tx, r.caller, &r.input.observables, r.files, types, now).await?;
        // An observable given twice is created once, with the first one's fields.
        let mut keys = HashSet::new();
        let rows: Vec<_> = prepared
            .into_iter()
            .map(|p| p.row)
            .filter(|o| keys.insert((o.data_type.clone(), o.data_hash.clone())))
            .collect();
        observable_rows.push(rows);
    }
    let mut fields = Vec::with_capacity(inserted.len());
    for (i, _, id) in &inserted {
        let r = &requests[*i];
        procedures::insert(tx, ProcParent::Alert(*id), &r.input.procedures, "procedures", &r.caller.login, now).await?;
        fields.push(match &r.input.custom_fields {
            Some(v) => super::fields::set_on_create(tx, *id, v, &r.caller.login, now).await?,
            None => Vec::new(),
        });
    }
    // The rest needs no answer from the database: tags, observables (all new, their alerts
    // being new), the audit rows, sent together.
    let tag_rows: Vec<(i64, &str)> =
        inserted.iter().flat_map(|(_, a, id)| a.tags.iter().map(move |t| (*id, t.as_str()))).collect();
    let mut statements = alerts::tag_statements(&tag_rows);
    let groups: Vec<ObservableGroup> = inserted
        .iter()
        .zip(&observable_rows)
        .map(|((i, _, id), items)| ObservableGroup {
            parent: Parent::Alert(*id),
            items,
            by: &requests[*i].caller.login,
        })
        .collect();
    statements.extend(observables::fresh_statements(&groups, now));
    let counts: Vec<i64> = observable_rows.iter().map(|rows| rows.len() as i64).collect();
    let actions: Vec<(&Caller, Action)> = inserted
        .iter()
        .zip(&counts)
        .map(|((i, a, id), count)| {
            let details = json!({"type": a.alert_type, "source": a.source, "sourceRef": a.source_ref,
                                 "title": a.title, "observables": count});
            let action = Action {
                operation: "create",
                object_type: "Alert",
                object_id: *id,
                root: Some(("Alert", *id)),
                details,
            };
            (requests[*i].caller, action)
        })
        .collect();
    statements.extend(record_statements(&actions, now));
    tx.execute_all(statements).await?;
    for (((i, a, id), observable_count), custom_fields) in inserted.into_iter().zip(counts).zip(fields) {
        let alert = created_alert(a, id, observable_count, &requests[i].caller.login, now);
        outcomes[i] = Some(Ok(Created { alert, custom_fields }));
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(ApiError::Internal("alert creation skipped a request".into()))))
        .collect())
}

/// The checks of one request that need the database but write nothing; returns its row.
async fn check(tx: &mut Tx, r: &Request<'_>, types: &HashMap<String, bool>) -> Result<NewAlert, ApiError> {
    let scope: Scope = r.caller.scope();
    let mut a = r.input.alert.clone();
    a.organisation_id = r.caller.organisation_id;
    if let Some(spec) = r.input.observables.iter().find(|s| !types.contains_key(&s.data_type)) {
        return Err(ApiError::invalid("dataType", "an existing observable type", &json!(spec.data_type)));
    }
    if a.status != "New" {
        let stage = alerts::status_stage(tx, &a.status)
            .await?
            .filter(|s| s != "Imported")
            .ok_or_else(|| ApiError::invalid("status", "a configured alert status (not Imported)", &json!(a.status)))?;
        a.stage = stage;
    }
    if let Some(login) = &a.assignee
        && !alerts::is_member(tx, &scope, login).await?
    {
        return Err(ApiError::invalid("assignee", "login of a member of the organisation", &json!(login)));
    }
    if let Some(t) = &a.case_template
        && !alerts::case_template_exists(tx, &scope, t).await?
    {
        return Err(ApiError::invalid("caseTemplate", "name of an existing case template", &json!(t)));
    }
    Ok(a)
}

/// The answer to a create, built from what was written (nothing is read back).
fn created_alert(a: NewAlert, id: i64, observable_count: i64, by: &str, now: i64) -> Alert {
    Alert {
        id,
        organisation_id: a.organisation_id,
        alert_type: a.alert_type,
        source: a.source,
        source_ref: a.source_ref,
        external_link: a.external_link,
        title: a.title,
        description: a.description,
        severity: a.severity,
        tlp: a.tlp,
        pap: a.pap,
        date: a.date,
        last_sync_date: a.last_sync_date,
        tags: a.tags,
        flag: a.flag,
        in_progress_date: (a.stage == "InProgress").then_some(now),
        closed_date: (a.stage == "Closed").then_some(now),
        status: a.status,
        stage: a.stage,
        read: false,
        follow: a.follow,
        summary: a.summary,
        assignee: a.assignee,
        case_template: a.case_template,
        case_id: None,
        imported_at: None,
        new_date: Some(now),
        observable_count,
        meta: Meta { created_by: by.to_owned(), created_at: now, updated_by: None, updated_at: None },
    }
}
