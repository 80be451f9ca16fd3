//! Applying a case PATCH: only the updatable properties (spec §1.3), everything validated
//! before the first write, status transitions with their side effects (closing closes the
//! open tasks and needs mandatory custom fields filled; reopening clears the end date).

use serde_json::{Map, Value, json};

use super::CaseAccess;
use super::status::{self, IMPACT, STAGE_CLOSED, STAGE_IN_PROGRESS};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::audit::{Action, record};
use crate::service::custom_fields::{self as cf_service, ValueInput, read_values_any};
use crate::service::input::{Patch, opt_date, opt_level, opt_tags, patch_date, patch_str, union_tags};
use crate::service::{opt_bool, opt_str};
use crate::storage::Tx;
use crate::storage::cases::{self, CaseUpdate};
use crate::storage::custom_fields::{self, Owner};

/// Keys a case PATCH understands; anything else is ignored (TheHive ignores unknown and
/// read-only keys on update).
const UPDATABLE: &[&str] = &[
    "title",
    "description",
    "severity",
    "tlp",
    "pap",
    "startDate",
    "endDate",
    "flag",
    "tags",
    "addTags",
    "removeTags",
    "status",
    "resolutionStatus",
    "impactStatus",
    "summary",
    "assignee",
    "user",
    "customFields",
    "customFieldValues",
    "taskRule",
    "observableRule",
];

fn patch_to_update<T>(p: Patch<T>) -> Option<Option<T>> {
    p.into_update()
}

/// Applies `body` to the case in `access` (already checked for `manageCase`).
pub async fn apply_update(
    tx: &mut Tx,
    caller: &Caller,
    access: &CaseAccess,
    body: &Value,
    now: i64,
) -> Result<(), ApiError> {
    crate::service::object(body)?;
    let case = &access.case;
    // Sharing rules must be known ones (the value stored is the one given).
    crate::service::sharing::input::opt_rule(body, "taskRule")?;
    crate::service::sharing::input::opt_rule(body, "observableRule")?;
    let mut u = CaseUpdate {
        title: match opt_str(body, "title")? {
            Some(t) if t.trim().is_empty() => return Err(ApiError::invalid("title", "non-empty string", &json!(t))),
            t => t,
        },
        description: opt_str(body, "description")?,
        severity: opt_level(body, "severity", 1, 4)?,
        tlp: opt_level(body, "tlp", 0, 4)?,
        pap: opt_level(body, "pap", 0, 3)?,
        start_date: opt_date(body, "startDate")?,
        end_date: patch_to_update(patch_date(body, "endDate")?),
        flag: opt_bool(body, "flag")?,
        summary: patch_to_update(patch_str(body, "summary", false)?),
        task_rule: patch_to_update(patch_str(body, "taskRule", true)?),
        observable_rule: patch_to_update(patch_str(body, "observableRule", true)?),
        ..CaseUpdate::default()
    };
    // Tags: a full replacement, then TheHive 5's incremental edits.
    let mut tags = opt_tags(body, "tags")?;
    if let Some(add) = opt_tags(body, "addTags")? {
        tags = Some(union_tags(tags.as_deref().unwrap_or(&case.tags), &add));
    }
    if let Some(remove) = opt_tags(body, "removeTags")? {
        let base = tags.unwrap_or_else(|| case.tags.clone());
        tags = Some(base.into_iter().filter(|t| !remove.contains(t)).collect());
    }
    u.tags = tags;
    // Impact status: one of the three values, or null / "" to clear.
    u.impact_status = match patch_str(body, "impactStatus", true)? {
        Patch::Set(s) if !IMPACT.contains(&s.as_str()) => {
            return Err(ApiError::invalid("impactStatus", &IMPACT.join("|"), &json!(s)));
        }
        p => p.into_update(),
    };
    // Assignee (4.x spells it `user`): a member of the owning organisation, or null.
    let assignee = match patch_str(body, "assignee", true)? {
        Patch::Absent => patch_str(body, "user", true)?,
        p => p,
    };
    u.assignee = match assignee {
        Patch::Set(a) => {
            let login = crate::auth::caller::normalise_login(&a);
            crate::service::tasks::check_assignee(tx, case.organisation_id, &login, "assignee").await?;
            Some(Some(login))
        }
        p => p.into_update(),
    };
    let resolution = patch_str(body, "resolutionStatus", true)?;
    // Custom fields: a whole object/list, and dotted `customFields.<name>` keys.
    let mut cf_inputs: Vec<ValueInput> =
        read_values_any(body, &["customFields", "customFieldValues"])?.unwrap_or_default();
    if let Some(map) = body.as_object() {
        for (k, v) in map {
            if let Some(name) = k.strip_prefix("customFields.").or_else(|| k.strip_prefix("customFieldValues.")) {
                cf_inputs.push(ValueInput { name: name.to_owned(), value: v.clone(), order: None });
            }
        }
    }
    let resolved = cf_service::resolve(tx, &cf_inputs).await?;

    // Status transition.
    let requested = opt_str(body, "status")?;
    let (new_status, new_stage) = match &requested {
        Some(s) => {
            let res = match &resolution {
                Patch::Set(r) => Some(r.as_str()),
                _ => None,
            };
            let (st, sg) = status::resolve(tx, s, res, Some(case)).await?;
            (Some(st), Some(sg))
        }
        None => (None, None),
    };
    let closing = new_stage.as_deref() == Some(STAGE_CLOSED) && case.stage != STAGE_CLOSED;
    let reopening = new_stage.as_deref().is_some_and(|s| s != STAGE_CLOSED) && case.stage == STAGE_CLOSED;
    if let (Some(st), Some(sg)) = (&new_status, &new_stage) {
        if sg == STAGE_CLOSED {
            u.resolution_status = Some(Some(st.clone()));
        } else {
            u.resolution_status = Some(None);
        }
        if sg != STAGE_CLOSED && sg != status::STAGE_NEW && case.in_progress_date.is_none() {
            u.in_progress_date = Some(Some(now));
        }
        u.status = Some(st.clone());
        u.stage = Some(sg.clone());
    } else if let Patch::Clear = resolution {
        u.resolution_status = Some(None);
    }
    if closing {
        u.closed_date = Some(Some(now));
        if u.end_date.is_none() {
            u.end_date = Some(Some(now));
        }
    }
    if reopening {
        u.closed_date = Some(None);
        if u.end_date.is_none() {
            u.end_date = Some(None);
        }
        if u.stage.as_deref() == Some(STAGE_IN_PROGRESS) && case.in_progress_date.is_none() {
            u.in_progress_date = Some(Some(now));
        }
    }

    // Writes.
    let existing = custom_fields::values_of(tx, Owner::Case(case.id)).await?;
    let mut next_order = existing.iter().map(|v| v.order + 1).max().unwrap_or(0);
    for r in &resolved {
        let order = match (r.order, existing.iter().find(|e| e.field_id == r.field.id)) {
            (Some(o), _) => o,
            (None, Some(e)) => e.order,
            (None, None) => {
                next_order += 1;
                next_order - 1
            }
        };
        custom_fields::set_value(tx, Owner::Case(case.id), r.field.id, order, &r.value, &caller.login, now).await?;
    }
    if closing {
        let values = custom_fields::values_of(tx, Owner::Case(case.id)).await?;
        let mandatory = custom_fields::list_mandatory(tx).await?;
        cf_service::check_mandatory_on_close(&values, &mandatory)?;
    }
    cases::update(tx, case.id, &u, &caller.login, now).await?;
    if closing {
        for task_id in crate::storage::tasks::close_open_tasks(tx, case.id, &caller.login, now).await? {
            record(
                tx,
                caller,
                Action {
                    operation: "update",
                    object_type: "Task",
                    object_id: task_id,
                    root: Some(("Case", case.id)),
                    details: json!({"closedWithCase": true}),
                },
                now,
            )
            .await?;
        }
    }
    let mut details = Map::new();
    if let Some(map) = body.as_object() {
        for (k, v) in map {
            if UPDATABLE.contains(&k.as_str()) || k.starts_with("customFields.") {
                details.insert(k.clone(), v.clone());
            }
        }
    }
    if let (Some(st), Some(sg)) = (&new_status, &new_stage) {
        details.insert("status".into(), json!(st));
        details.insert("stage".into(), json!(sg));
    }
    record(
        tx,
        caller,
        Action {
            operation: "update",
            object_type: "Case",
            object_id: case.id,
            root: Some(("Case", case.id)),
            details: Value::Object(details),
        },
        now,
    )
    .await?;
    Ok(())
}
