//! The one visibility rule: which rows of organisation-owned data a caller may see.
//!
//! Every read path (get by id, lists, the query compiler, counts, full-text search,
//! correlation, attachments, audit) builds its WHERE clause with these predicates and binds
//! `Scope::organisation_id()` at the given placeholder. Nothing else in the code base may
//! decide visibility; change the rule here and every path follows.
//!
//! The rule (TheHive 4 §1.15):
//! - a case is visible to an organisation iff the organisation has a share on it;
//! - a task or a case observable is visible iff its case is, through a share that owns the
//!   case or that the task/observable was shared with (`share_task`, `share_observable`);
//! - an alert (and its observables, comments, procedures) belongs to exactly one
//!   organisation and is visible to it alone;
//! - the `admin` organisation holds no shares and owns no alerts, so it sees no case data.

/// `case_alias.id` is a case visible to the organisation bound at `$org`.
pub fn case(case_alias: &str, org: usize) -> String {
    format!("EXISTS (SELECT 1 FROM share vs WHERE vs.case_id = {case_alias}.id AND vs.organisation_id = ${org})")
}

/// The case with id expression `case_id_expr` is visible (for children keyed by case id).
pub fn case_id(case_id_expr: &str, org: usize) -> String {
    format!("EXISTS (SELECT 1 FROM share vs WHERE vs.case_id = {case_id_expr} AND vs.organisation_id = ${org})")
}

/// `task_alias` (a `task` row) is visible.
pub fn task(task_alias: &str, org: usize) -> String {
    format!(
        "EXISTS (SELECT 1 FROM share vs WHERE vs.case_id = {task_alias}.case_id AND vs.organisation_id = ${org} \
         AND (vs.owner = TRUE OR EXISTS (SELECT 1 FROM share_task vst WHERE vst.share_id = vs.id AND vst.task_id = {task_alias}.id)))"
    )
}

/// `alert_alias` (an `alert` row) is visible.
pub fn alert(alert_alias: &str, org: usize) -> String {
    format!("{alert_alias}.organisation_id = ${org}")
}

/// The alert with id expression `alert_id_expr` is visible.
pub fn alert_id(alert_id_expr: &str, org: usize) -> String {
    format!("EXISTS (SELECT 1 FROM alert va WHERE va.id = {alert_id_expr} AND va.organisation_id = ${org})")
}

/// `obs_alias` (an `observable` row, in a case or in an alert) is visible.
pub fn observable(obs_alias: &str, org: usize) -> String {
    format!(
        "(({obs_alias}.case_id IS NOT NULL AND EXISTS (SELECT 1 FROM share vs WHERE vs.case_id = {obs_alias}.case_id \
         AND vs.organisation_id = ${org} AND (vs.owner = TRUE OR EXISTS (SELECT 1 FROM share_observable vso \
         WHERE vso.share_id = vs.id AND vso.observable_id = {obs_alias}.id)))) \
         OR ({obs_alias}.alert_id IS NOT NULL AND {}))",
        alert_id(&format!("{obs_alias}.alert_id"), org)
    )
}

/// `log_alias` (a `log` row) is visible iff its task is.
pub fn log(log_alias: &str, org: usize) -> String {
    format!("EXISTS (SELECT 1 FROM task vt WHERE vt.id = {log_alias}.task_id AND {})", task("vt", org))
}

// Entities reached by the query compiler (src/storage/query/). Same rule, more tables.

/// `user_alias` (an `app_user` row) is visible: the admin organisation sees every user,
/// another organisation its own members (as `storage::users::find`).
pub fn user(user_alias: &str, org: usize, admin_org: bool) -> String {
    if admin_org {
        "TRUE".to_owned()
    } else {
        format!("EXISTS (SELECT 1 FROM role vr WHERE vr.user_id = {user_alias}.id AND vr.organisation_id = ${org})")
    }
}

/// `org_alias` (an `organisation` row) is visible: the admin organisation sees all of them,
/// another one itself and the organisations it is linked to (as `storage::organisations`).
pub fn organisation(org_alias: &str, org: usize, admin_org: bool) -> String {
    if admin_org {
        "TRUE".to_owned()
    } else {
        format!(
            "({org_alias}.id = ${org} OR EXISTS (SELECT 1 FROM organisation_link vl \
             WHERE vl.from_organisation_id = ${org} AND vl.to_organisation_id = {org_alias}.id))"
        )
    }
}

/// A row owned by one organisation through its `organisation_id` (case templates, page
/// templates, audit entries).
pub fn owned_by_organisation(alias: &str, org: usize) -> String {
    format!("{alias}.organisation_id = ${org}")
}

/// `share_alias` (a `share` row) is visible iff its case is and the organisation it
/// grants is the caller's or one the caller is linked to (TheHive's `ShareSteps.visible`):
/// a share never reveals the name of an organisation the caller cannot see.
pub fn share(share_alias: &str, org: usize) -> String {
    format!(
        "({} AND ({share_alias}.organisation_id = ${org} OR EXISTS (SELECT 1 FROM organisation_link vsl \
         WHERE vsl.from_organisation_id = ${org} AND vsl.to_organisation_id = {share_alias}.organisation_id)))",
        case_id(&format!("{share_alias}.case_id"), org)
    )
}

/// `share_alias` (a visible `share` row) grants the task with id expression `task_id`: the
/// owner share grants every task of its case, another share the tasks shared with it.
pub fn share_grants_task(share_alias: &str, task_id: &str) -> String {
    format!(
        "({share_alias}.owner = TRUE OR EXISTS (SELECT 1 FROM share_task vgt \
         WHERE vgt.share_id = {share_alias}.id AND vgt.task_id = {task_id}))"
    )
}

/// `share_alias` grants the observable with id expression `obs_id` (as `share_grants_task`).
pub fn share_grants_observable(share_alias: &str, obs_id: &str) -> String {
    format!(
        "({share_alias}.owner = TRUE OR EXISTS (SELECT 1 FROM share_observable vgo \
         WHERE vgo.share_id = {share_alias}.id AND vgo.observable_id = {obs_id}))"
    )
}

/// A row attached to a case or to an alert (`comment`, `procedure`): visible iff its
/// parent is.
pub fn case_or_alert_child(alias: &str, org: usize) -> String {
    format!(
        "(({alias}.case_id IS NOT NULL AND {}) OR ({alias}.alert_id IS NOT NULL AND {}))",
        case_id(&format!("{alias}.case_id"), org),
        alert_id(&format!("{alias}.alert_id"), org)
    )
}

/// `page_alias` (a `page` row): a case page is visible iff its case is; a knowledge-base
/// page belongs to its organisation.
pub fn page(page_alias: &str, org: usize) -> String {
    format!(
        "(({page_alias}.case_id IS NOT NULL AND {}) OR {page_alias}.organisation_id = ${org})",
        case_id(&format!("{page_alias}.case_id"), org)
    )
}

/// `dashboard_alias`: shared dashboards of the organisation, and the caller's private ones.
pub fn dashboard(dashboard_alias: &str, org: usize, login: usize) -> String {
    format!(
        "({dashboard_alias}.organisation_id = ${org} AND ({dashboard_alias}.status = 'Shared' \
         OR {dashboard_alias}.created_by = ${login}))"
    )
}

/// `tag_alias`: the organisation's free tags and the tags of taxonomies it enabled.
pub fn tag(tag_alias: &str, org: usize) -> String {
    format!(
        "({tag_alias}.organisation_id = ${org} OR ({tag_alias}.taxonomy_id IS NOT NULL AND EXISTS \
         (SELECT 1 FROM taxonomy_organisation vx WHERE vx.taxonomy_id = {tag_alias}.taxonomy_id \
         AND vx.organisation_id = ${org} AND vx.enabled = TRUE)))"
    )
}

/// `job_alias` (a `cortex_job` row) is visible iff its observable is.
pub fn cortex_job(job_alias: &str, org: usize) -> String {
    format!(
        "EXISTS (SELECT 1 FROM observable vjo WHERE vjo.id = {job_alias}.observable_id AND {})",
        observable("vjo", org)
    )
}

/// `action_alias` (a `cortex_action` row) is visible iff the object it ran on is.
pub fn cortex_action(action_alias: &str, org: usize) -> String {
    let id = format!("{action_alias}.object_id");
    format!(
        "(({action_alias}.object_kind = 'case' AND {}) \
         OR ({action_alias}.object_kind = 'alert' AND {}) \
         OR ({action_alias}.object_kind = 'task' AND EXISTS (SELECT 1 FROM task vat WHERE vat.id = {id} AND {})) \
         OR ({action_alias}.object_kind = 'log' AND EXISTS (SELECT 1 FROM log val WHERE val.id = {id} AND {})) \
         OR ({action_alias}.object_kind = 'observable' AND EXISTS (SELECT 1 FROM observable vao WHERE vao.id = {id} AND {})))",
        case_id(&id, org),
        alert_id(&id, org),
        task("vat", org),
        log("val", org),
        observable("vao", org)
    )
}

/// `audit_alias` (an `audit` row) is visible iff what it records is:
/// - an entry on a case's timeline needs the case visible; entries about a task, a log or an
///   observable also need that object visible (so a deleted one stays with the owner), and
///   entries about the case's shares are for the owner and the organisation that made them
///   (they name organisations the others may not be linked to);
/// - an entry on an alert's timeline needs the alert visible;
/// - anything else (organisation-level objects) belongs to the organisation that acted.
pub fn audit(audit_alias: &str, org: usize) -> String {
    let a = audit_alias;
    format!(
        "(({a}.root_type = 'Case' AND EXISTS (SELECT 1 FROM share vas WHERE vas.case_id = {a}.root_id \
           AND vas.organisation_id = ${org} AND (vas.owner = TRUE \
             OR ({a}.object_type = 'Task' AND {task}) \
             OR ({a}.object_type = 'Observable' AND {obs}) \
             OR ({a}.object_type = 'Log' AND EXISTS (SELECT 1 FROM log val WHERE val.id = {a}.object_id \
                 AND {log_task})) \
             OR ({a}.object_type = 'Attachment' AND EXISTS (SELECT 1 FROM attachment_usage vau \
                 WHERE vau.id = {a}.object_id AND (vau.case_id IS NOT NULL OR (vau.log_id IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM log vaul WHERE vaul.id = vau.log_id AND {att_task}))))) \
             OR ({a}.object_type = 'Share' AND {a}.organisation_id = ${org}) \
             OR {a}.object_type NOT IN ('Task', 'Observable', 'Log', 'Attachment', 'Share')))) \
         OR ({a}.root_type = 'Alert' AND {alert}) \
         OR ({a}.root_type IS NULL AND {a}.organisation_id = ${org}))",
        task = share_grants_task("vas", &format!("{a}.object_id")),
        obs = share_grants_observable("vas", &format!("{a}.object_id")),
        log_task = share_grants_task("vas", "val.task_id"),
        att_task = share_grants_task("vas", "vaul.task_id"),
        alert = alert_id(&format!("{a}.root_id"), org),
    )
}

/// `attachment_alias` (an `attachment` content row) is visible iff the organisation sees one
/// of its uses: a visible file observable, or an attachment of its own organisation, of a
/// visible case or alert, or of a visible task log.
pub fn attachment(attachment_alias: &str, org: usize) -> String {
    let a = attachment_alias;
    format!(
        "(EXISTS (SELECT 1 FROM observable vto WHERE vto.attachment_id = {a}.id AND {obs}) \
         OR EXISTS (SELECT 1 FROM attachment_usage vtu WHERE vtu.attachment_id = {a}.id AND {usage}))",
        obs = observable("vto", org),
        usage = attachment_usage("vtu", org),
    )
}

/// `usage_alias` (an `attachment_usage` row) is visible: an organisation's own attachment,
/// or one of a visible case, alert or task log.
pub fn attachment_usage(usage_alias: &str, org: usize) -> String {
    let u = usage_alias;
    format!(
        "({u}.organisation_id = ${org} \
         OR ({u}.case_id IS NOT NULL AND {case}) \
         OR ({u}.alert_id IS NOT NULL AND {alert}) \
         OR ({u}.log_id IS NOT NULL AND EXISTS (SELECT 1 FROM log vul WHERE vul.id = {u}.log_id AND {log})))",
        case = case_id(&format!("{u}.case_id"), org),
        alert = alert_id(&format!("{u}.alert_id"), org),
        log = log("vul", org),
    )
}

/// The organisation with id expression `org_id_expr` is the caller's or one it is linked
/// to (for naming organisations in task flags and share lists).
pub fn organisation_id(org_id_expr: &str, org: usize) -> String {
    format!(
        "({org_id_expr} = ${org} OR EXISTS (SELECT 1 FROM organisation_link vol \
         WHERE vol.from_organisation_id = ${org} AND vol.to_organisation_id = {org_id_expr}))"
    )
}

/// The ids of the cases visible to the organisation at `$org`, each exactly once (a case
/// has at most one share per organisation: unique index `share_case_organisation_key`).
/// The same rule as [`case`], in the form that counts all visible cases from the share
/// index alone instead of probing it once per case.
pub fn visible_case_ids(org: usize) -> String {
    format!("SELECT vs.case_id FROM share vs WHERE vs.organisation_id = ${org}")
}

/// [`visible_case_ids`] restricted to the cases whose status is bound at `$status` (a
/// placeholder such as `$3`): `share.case_status` is the trigger-kept copy of
/// `cases.status` (migration 0007), so this is one range of `share (organisation_id,
/// case_status)`.
pub fn visible_case_ids_of_status(org: usize, status: &str) -> String {
    format!("SELECT vs.case_id FROM share vs WHERE vs.organisation_id = ${org} AND vs.case_status = {status}")
}
