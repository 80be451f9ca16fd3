//! Alert creation (spec §1.7, §9.2): parsing, and the transaction body.
//!
//! Ingestion is the hot path: the body runs a fixed, small number of statements whatever
//! the number of observables (alert + tags, observable types, multi-row observables + their
//! tags, procedures, audit), and nothing is read back: the answer is built from what was
//! written.

use serde_json::{Value, json};

use super::super::attachments::Upload;
use super::super::audit::{Action, record};
use super::super::observables::{self as obs, Spec};
use super::super::procedures::{self, ProcedureInput};
use super::super::wire::{nest_field, opt_date, opt_range, opt_tags};
use super::super::{object, opt_bool, opt_str, req_str};
use super::Created;
use crate::auth::Caller;
use crate::error::{ApiError, ResultExt};
use crate::storage::alerts::{self, Alert, NewAlert};
use crate::storage::meta::Meta;
use crate::storage::observables::{self, Parent};
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

/// Creates one alert inside `tx`. `types` is the observable type table (read once per
/// transaction by the caller). On error the caller drops the transaction (on SQLite, its
/// savepoint in the store's group commit): nothing of a refused alert is stored.
pub async fn create_in_tx(
    tx: &mut Tx,
    caller: &Caller,
    input: &AlertInput,
    files: &[Upload],
    types: &std::collections::HashMap<String, bool>,
    now: i64,
) -> Result<Created, ApiError> {
    let scope: Scope = caller.scope();
    let mut a = input.alert.clone();
    a.organisation_id = caller.organisation_id;
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
    let id = alerts::insert(tx, &a, &caller.login, now).await.on_unique(
        "alert_type_source_ref_key",
        "alert.organisation_id, alert.type, alert.source, alert.source_ref",
        || duplicate(&a.alert_type, &a.source, &a.source_ref, &caller.organisation),
    )?;
    let prepared = obs::prepare(tx, caller, &input.observables, files, types, now).await?;
    let rows: Vec<_> = prepared.into_iter().map(|p| p.row).collect();
    let created = observables::insert_many(tx, Parent::Alert(id), &rows, &caller.login, now).await?;
    let observable_count = created.iter().flatten().count() as i64;
    procedures::insert(tx, ProcParent::Alert(id), &input.procedures, "procedures", &caller.login, now).await?;
    let custom_fields = match &input.custom_fields {
        Some(v) => super::fields::set_on_create(tx, id, v, &caller.login, now).await?,
        None => Vec::new(),
    };
    record(
        tx,
        caller,
        Action {
            operation: "create",
            object_type: "Alert",
            object_id: id,
            root: Some(("Alert", id)),
            details: json!({"type": a.alert_type, "source": a.source, "sourceRef": a.source_ref,
                            "title": a.title, "observables": observable_count}),
        },
        now,
    )
    .await?;
    let alert = Alert {
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
        meta: Meta { created_by: caller.login.clone(), created_at: now, updated_by: None, updated_at: None },
    };
    Ok(Created { alert, custom_fields })
}
