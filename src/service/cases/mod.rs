//! Cases (spec §1.3): create (with template, inline tasks, pages and custom fields), read by
//! `~id` or number, update with TheHive 5's status model, bulk update, delete, timeline.
//!
//! `require_on_case` is the one place that decides whether the caller may change something
//! inside a case: the caller's profile must hold the permission *and* so must the profile
//! of the caller organisation's share of the case (spec §6.1 "entity rule").

mod input;
pub mod links;
pub mod merge;
pub mod status;
mod update;

use serde_json::{Value, json};

pub use input::CaseInput;
pub use update::apply_update;

use super::audit::{Action, record};
use super::custom_fields::{self as cf_service, Resolved};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::audit::AuditEntry;
use crate::storage::cases::{self, Case, NewCase, ShareGrant};
use crate::storage::custom_fields::{self, FieldValue, Owner};
use crate::storage::pages;
use crate::storage::{Tx, case_templates, profiles};

/// A case as its renderer needs it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub case: Case,
    pub custom_fields: Vec<FieldValue>,
    /// What the caller may do on this case: its permissions that its organisation's share
    /// also grants (TheHive 5 `userPermissions`).
    pub user_permissions: Vec<String>,
}

/// A visible case and the caller organisation's share of it.
#[derive(Debug, Clone)]
pub struct CaseAccess {
    pub case: Case,
    pub grant: ShareGrant,
}

/// True if a set of permissions grants `permission` (TheHive 5's `manageX/action` names
/// count for their family too).
fn grants(perms: &[String], permission: &str) -> bool {
    perms.iter().any(|p| p == permission || p.strip_prefix(permission).is_some_and(|rest| rest.starts_with('/')))
}

/// The case `id_or_number` as the caller sees it; 404 when invisible.
pub async fn find(tx: &mut Tx, caller: &Caller, id_or_number: &str) -> Result<Case, ApiError> {
    cases::find(tx, &caller.scope(), id_or_number).await?.ok_or_else(|| ApiError::not_found("Case"))
}

/// Checks that the caller may do `action` needing `permission` on a case it can see: the
/// permission must be in the caller's profile and in its organisation's share profile.
pub async fn require_on_case(
    tx: &mut Tx,
    caller: &Caller,
    case: Case,
    permission: &str,
    action: &str,
) -> Result<CaseAccess, ApiError> {
    let grant = cases::share_of(tx, &caller.scope(), case.id).await?.ok_or_else(|| ApiError::not_found("Case"))?;
    if !effective_permissions(caller, Some(&grant)).iter().any(|p| p == permission) {
        return Err(ApiError::forbidden(action, permission));
    }
    Ok(CaseAccess { case, grant })
}

/// `find` then `require_on_case`: the usual start of a write inside a case.
pub async fn find_for_write(
    tx: &mut Tx,
    caller: &Caller,
    id_or_number: &str,
    permission: &str,
    action: &str,
) -> Result<CaseAccess, ApiError> {
    let case = find(tx, caller, id_or_number).await?;
    require_on_case(tx, caller, case, permission, action).await
}

/// What the caller may do on a case its organisation holds `grant` on: the caller's
/// permissions (profile ∩ organisation scope, resolved at authentication) that the share's
/// profile also grants (spec §6.1 entity rule). A read-only share gives nothing to anyone;
/// no share (an invisible case) gives nothing. This is `extraData.permissions` and
/// `userPermissions` of a case, and what `require_on_case` enforces.
pub fn effective_permissions(caller: &Caller, grant: Option<&ShareGrant>) -> Vec<String> {
    match grant {
        Some(g) => caller.permissions.iter().filter(|p| grants(&g.permissions, p)).cloned().collect(),
        None => Vec::new(),
    }
}

/// Builds the view of a case for the caller.
pub async fn view(tx: &mut Tx, caller: &Caller, case: Case) -> Result<CaseView, ApiError> {
    let custom_fields = custom_fields::values_of(tx, Owner::Case(case.id)).await?;
    let grant = cases::share_of(tx, &caller.scope(), case.id).await?;
    let user_permissions = effective_permissions(caller, grant.as_ref());
    Ok(CaseView { case, custom_fields, user_permissions })
}

/// `view` for many cases in three statements whatever their number (a list page would
/// otherwise cost two round trips per case), in the order given.
pub async fn views(tx: &mut Tx, caller: &Caller, cases: Vec<Case>) -> Result<Vec<CaseView>, ApiError> {
    let owners: Vec<Owner> = cases.iter().map(|c| Owner::Case(c.id)).collect();
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let mut values = custom_fields::values_of_many(tx, &owners).await?;
    let grants = cases::shares_of(tx, &caller.scope(), &ids).await?;
    Ok(cases
        .into_iter()
        .map(|case| {
            let user_permissions = effective_permissions(caller, grants.get(&case.id));
            let custom_fields = values.remove(&case.id).unwrap_or_default();
            CaseView { case, custom_fields, user_permissions }
        })
        .collect())
}

/// `GET /case/{idOrNumber}`.
pub async fn get(app: &App, caller: &Caller, id_or_number: &str) -> Result<CaseView, ApiError> {
    let mut tx = app.store.read().await?;
    let case = find(&mut tx, caller, id_or_number).await?;
    view(&mut tx, caller, case).await
}

/// Visible cases, newest first.
pub async fn list(app: &App, caller: &Caller, limit: i64) -> Result<Vec<CaseView>, ApiError> {
    let mut tx = app.store.read().await?;
    let mut out = Vec::new();
    for case in cases::list(&mut tx, &caller.scope(), limit).await? {
        out.push(view(&mut tx, caller, case).await?);
    }
    Ok(out)
}

/// `POST /case`.
pub async fn create(app: &App, caller: &Caller, body: &Value) -> Result<CaseView, ApiError> {
    caller.require(perm::MANAGE_CASE, "create case")?;
    let input = CaseInput::parse(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let id = create_in(&mut tx, caller, &input, now).await?;
    let case =
        cases::get(&mut tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::Internal("case vanished".into()))?;
    let v = view(&mut tx, caller, case).await?;
    tx.commit().await?;
    Ok(v)
}

/// Values of a template as resolved values (template values fill in after the case's own).
async fn template_values(tx: &mut Tx, template_id: i64) -> Result<Vec<Resolved>, ApiError> {
    let mut out = Vec::new();
    for v in custom_fields::values_of(tx, Owner::CaseTemplate(template_id)).await? {
        if let Some(field) = custom_fields::find(tx, &crate::ids::render_id(v.field_id)).await? {
            out.push(Resolved { field, order: None, value: v.value });
        }
    }
    Ok(out)
}

/// Creates a case inside the caller's transaction and returns its id: number, owner share,
/// template, custom fields, tasks, pages, audit. Alert promotion calls this with its own
/// transaction so that the case and the alert's new state commit together. The caller must
/// hold `manageCase` (checked here too).
pub async fn create_in(tx: &mut Tx, caller: &Caller, input: &CaseInput, now: i64) -> Result<i64, ApiError> {
    caller.require(perm::MANAGE_CASE, "create case")?;
    let scope = caller.scope();
    let template = match &input.case_template {
        Some(name) => Some(
            case_templates::find(tx, &scope, name)
                .await?
                .ok_or_else(|| super::input::unknown("caseTemplate", "case template", name))?,
        ),
        None => None,
    };
    let own_values = match &input.custom_fields {
        Some(v) => cf_service::resolve(tx, v).await?,
        None => Vec::new(),
    };
    let tpl_values = match &template {
        Some(t) => template_values(tx, t.id).await?,
        None => Vec::new(),
    };
    let values = cf_service::merge(own_values, tpl_values);

    let title = match template.as_ref().and_then(|t| t.title_prefix.as_deref()).map(str::trim_end) {
        Some(prefix) if !prefix.is_empty() => format!("{prefix} {}", input.title),
        _ => input.title.clone(),
    };
    let description = input
        .description
        .clone()
        .or_else(|| template.as_ref().and_then(|t| t.description.clone()))
        .ok_or_else(|| ApiError::missing("description"))?;
    let pick = |own: Option<i64>, tpl: Option<i64>| own.or(tpl).unwrap_or(2);
    let tags = match &template {
        Some(t) => super::input::union_tags(&input.tags, &t.tags),
        None => input.tags.clone(),
    };
    let (status, stage) = match &input.status {
        Some(s) => status::resolve(tx, s, input.resolution_status.as_deref(), None).await?,
        None => (status::STAGE_NEW.to_owned(), status::STAGE_NEW.to_owned()),
    };
    let closed = stage == status::STAGE_CLOSED;
    if closed {
        let mandatory = custom_fields::list_mandatory(tx).await?;
        for (f, _, v) in &values {
            if mandatory.iter().any(|m| m.id == f.id) && v.to_json().is_null() {
                return Err(ApiError::missing(&format!("customFields.{}", f.name)));
            }
        }
    }
    let assignee = match &input.assignee {
        Some(a) => {
            super::tasks::check_assignee(tx, caller.organisation_id, a, "assignee").await?;
            a.clone()
        }
        None => caller.login.clone(),
    };
    let summary = input.summary.clone().or_else(|| template.as_ref().and_then(|t| t.summary.clone()));
    let number = cases::next_number(tx).await?;
    let new = NewCase {
        number,
        organisation_id: caller.organisation_id,
        title: &title,
        description: &description,
        severity: pick(input.severity, template.as_ref().and_then(|t| t.severity)),
        tlp: pick(input.tlp, template.as_ref().and_then(|t| t.tlp)),
        pap: pick(input.pap, template.as_ref().and_then(|t| t.pap)),
        start_date: input.start_date.unwrap_or(now),
        end_date: input.end_date.or(closed.then_some(now)),
        flag: input.flag.or(template.as_ref().map(|t| t.flag)).unwrap_or(false),
        status: &status,
        stage: &stage,
        resolution_status: closed.then_some(status.as_str()),
        impact_status: input.impact_status.as_deref(),
        summary: summary.as_deref(),
        assignee: Some(&assignee),
        case_template_id: template.as_ref().map(|t| t.id),
        case_template: template.as_ref().map(|t| t.name.as_str()),
        tags: &tags,
        task_rule: input.task_rule.as_deref(),
        observable_rule: input.observable_rule.as_deref(),
        in_progress_date: (stage != status::STAGE_NEW).then_some(now),
        closed_date: closed.then_some(now),
    };
    let case_id = cases::insert(tx, &new, &caller.login, now).await?;
    // The owner share is what makes the case visible to its organisation (visibility.rs).
    let owner_profile = profiles::find(tx, "org-admin")
        .await?
        .ok_or_else(|| ApiError::Internal("the org-admin profile is missing".into()))?;
    cases::insert_share(tx, case_id, caller.organisation_id, owner_profile.id, true, &caller.login, now).await?;
    for (field, order, value) in &values {
        custom_fields::set_value(tx, Owner::Case(case_id), field.id, *order, value, &caller.login, now).await?;
    }
    let mut details = json!({
        "number": number, "title": title, "severity": new.severity, "tlp": new.tlp, "pap": new.pap,
        "status": status, "tags": tags, "assignee": assignee,
    });
    if let Some(t) = &template {
        details["caseTemplate"] = json!(t.name);
    }
    record(
        tx,
        caller,
        Action { operation: "create", object_type: "Case", object_id: case_id, root: Some(("Case", case_id)), details },
        now,
    )
    .await?;
    if let Some(t) = &template {
        for tt in case_templates::tasks(tx, t.id).await? {
            super::tasks::insert_for_case(tx, caller, case_id, caller.organisation_id, &tt.task, now).await?;
        }
        for pt_id in case_templates::page_template_ids(tx, t.id).await? {
            if let Some(pt) = pages::find_template(tx, &scope, &crate::ids::render_id(pt_id)).await? {
                super::pages::insert_for_case(tx, caller, case_id, &pt.page, now).await?;
            }
        }
    }
    for (i, task) in input.tasks.iter().enumerate() {
        super::tasks::insert_for_case(tx, caller, case_id, caller.organisation_id, task, now)
            .await
            .map_err(|e| super::input::nest(&format!("tasks[{i}]"), e))?;
    }
    for page in &input.pages {
        super::pages::insert_for_case(tx, caller, case_id, page, now).await?;
    }
    // Last, so that shares whose rules take existing tasks take the ones made above.
    super::sharing::apply_at_case_creation(tx, caller, case_id, input.sharing_parameters.as_deref(), now).await?;
    Ok(case_id)
}

/// `PATCH /case/{idOrNumber}`.
pub async fn update(app: &App, caller: &Caller, id_or_number: &str, body: &Value) -> Result<(), ApiError> {
    super::object(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let access = find_for_write(&mut tx, caller, id_or_number, perm::MANAGE_CASE, "update case").await?;
    apply_update(&mut tx, caller, &access, body, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `PATCH /case/_bulk` `{ids, …fields}`: all or nothing, in one transaction.
pub async fn bulk_update(app: &App, caller: &Caller, body: &Value) -> Result<(), ApiError> {
    super::object(body)?;
    let ids = super::input::bulk_ids(body)?;
    let mut fields = body.clone();
    if let Some(m) = fields.as_object_mut() {
        m.remove("ids");
    }
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    for id in &ids {
        let access = find_for_write(&mut tx, caller, id, perm::MANAGE_CASE, "update case").await?;
        apply_update(&mut tx, caller, &access, &fields, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `DELETE /case/{idOrNumber}`: only the owning organisation may delete; everything the
/// case owns goes with it.
pub async fn delete(app: &App, caller: &Caller, id_or_number: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let access = find_for_write(&mut tx, caller, id_or_number, perm::MANAGE_CASE, "delete case").await?;
    if !access.grant.owner {
        // Seeing the case is not owning it: a permission refusal, not a bad request.
        return Err(ApiError::Authorization(format!(
            "Only the organisation that owns case #{} can delete it",
            access.case.number
        )));
    }
    let c = &access.case;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Case",
            object_id: c.id,
            root: Some(("Case", c.id)),
            details: json!({"number": c.number, "title": c.title}),
        },
        now,
    )
    .await?;
    cases::delete(&mut tx, c.id).await?;
    tx.commit().await?;
    Ok(())
}

/// The audit trail of a case (everything whose root is the case), newest first; only for
/// callers who see the case.
pub async fn timeline(app: &App, caller: &Caller, id_or_number: &str) -> Result<Vec<AuditEntry>, ApiError> {
    let mut tx = app.store.read().await?;
    let case = find(&mut tx, caller, id_or_number).await?;
    Ok(crate::storage::audit::list_for_root(&mut tx, &caller.scope(), "Case", case.id, 1000).await?)
}

/// `DELETE /case/customField/{valueId}`: removes one custom field value from a case.
pub async fn delete_custom_field_value(app: &App, caller: &Caller, value_id: &str) -> Result<(), ApiError> {
    let not_found = || ApiError::not_found("CustomField");
    let id = crate::ids::parse_id(value_id).ok_or_else(not_found)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let (kind, case_id) = custom_fields::value_owner(&mut tx, id).await?.ok_or_else(not_found)?;
    if kind != "case" {
        return Err(not_found());
    }
    let case = cases::get(&mut tx, &caller.scope(), case_id).await?.ok_or_else(not_found)?;
    require_on_case(&mut tx, caller, case, perm::MANAGE_CASE, "update case").await?;
    custom_fields::delete_value(&mut tx, id).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Case",
            object_id: case_id,
            root: Some(("Case", case_id)),
            details: json!({"customFieldValueRemoved": value_id}),
        },
        now,
    )
    .await?;
    touch(&mut tx, caller, case_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the case updated and writes nothing else: used when a child changes.
pub(crate) async fn touch(tx: &mut Tx, caller: &Caller, case_id: i64, now: i64) -> Result<(), ApiError> {
    Ok(cases::touch(tx, case_id, &caller.login, now).await?)
}

#[cfg(test)]
mod tests {
    use super::grants;

    #[test]
    fn permission_families() {
        let p = vec!["manageCase/update".to_owned(), "manageTask".to_owned()];
        assert!(grants(&p, "manageCase"));
        assert!(grants(&p, "manageTask"));
        assert!(!grants(&p, "manageCaseTemplate"));
        assert!(!grants(&p, "manageTas"));
    }
}
