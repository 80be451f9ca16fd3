//! Case-model values → TheHive 5 v1 JSON: cases, tasks, logs, comments, pages, case
//! templates, custom fields and timeline events. Same conventions as `render.rs`: absent
//! optionals are omitted, every object carries its meta fields.

use serde_json::{Map, Value, json};

use super::render::{base, put_opt};
use crate::ids::render_id;
use crate::service::case_templates::CaseTemplateView;
use crate::service::cases::CaseView;
use crate::service::cases::status::{pap_label, severity_label, tlp_label};
use crate::service::logs::LogView;
use crate::storage::audit::AuditEntry;
use crate::storage::comments::Comment;
use crate::storage::custom_fields::{CustomField, FieldValue};
use crate::storage::pages::{Page, PageTemplate};
use crate::storage::tasks::Task;

fn levels(m: &mut Map<String, Value>, severity: Option<i64>, tlp: Option<i64>, pap: Option<i64>) {
    if let Some(s) = severity {
        m.insert("severity".into(), json!(s));
        m.insert("severityLabel".into(), json!(severity_label(s)));
    }
    if let Some(t) = tlp {
        m.insert("tlp".into(), json!(t));
        m.insert("tlpLabel".into(), json!(tlp_label(t)));
    }
    if let Some(p) = pap {
        m.insert("pap".into(), json!(p));
        m.insert("papLabel".into(), json!(pap_label(p)));
    }
}

/// A custom field value embedded in a case, alert or template (sorted by `order`).
pub fn field_value(v: &FieldValue) -> Value {
    json!({
        "_id": render_id(v.id),
        "name": v.name,
        "displayName": v.display_name,
        "description": v.description,
        "type": v.field_type,
        "value": v.value.to_json(),
        "order": v.order,
    })
}

pub fn case(v: &CaseView) -> Value {
    let c = &v.case;
    let mut m = base("Case", c.id, &c.meta);
    m.insert("number".into(), json!(c.number));
    m.insert("title".into(), json!(c.title));
    m.insert("description".into(), json!(c.description));
    levels(&mut m, Some(c.severity), Some(c.tlp), Some(c.pap));
    m.insert("startDate".into(), json!(c.start_date));
    put_opt(&mut m, "endDate", c.end_date);
    m.insert("tags".into(), json!(c.tags));
    m.insert("flag".into(), json!(c.flag));
    m.insert("status".into(), json!(c.status));
    m.insert("stage".into(), json!(c.stage));
    put_opt(&mut m, "summary", c.summary.as_ref());
    put_opt(&mut m, "impactStatus", c.impact_status.as_ref());
    put_opt(&mut m, "assignee", c.assignee.as_ref());
    put_opt(&mut m, "caseTemplate", c.case_template.as_ref());
    m.insert("customFields".into(), Value::Array(v.custom_fields.iter().map(field_value).collect()));
    m.insert("userPermissions".into(), json!(v.user_permissions));
    m.insert(
        "access".into(),
        json!({"_kind": if c.access_restricted { "UserAccessKind" } else { "OrganisationAccessKind" }}),
    );
    put_opt(&mut m, "taskRule", c.task_rule.as_ref());
    put_opt(&mut m, "observableRule", c.observable_rule.as_ref());
    let new_date = c.new_date.unwrap_or(c.meta.created_at);
    m.insert("newDate".into(), json!(new_date));
    put_opt(&mut m, "inProgressDate", c.in_progress_date);
    put_opt(&mut m, "closedDate", c.closed_date);
    // TheHive 5's durations: from occurrence to detection (case creation), to the start
    // of work, and to closure.
    m.insert("timeToDetect".into(), json!((new_date - c.start_date).max(0)));
    put_opt(&mut m, "timeToTriage", c.in_progress_date.map(|d| (d - new_date).max(0)));
    put_opt(&mut m, "timeToResolve", c.closed_date.map(|d| (d - new_date).max(0)));
    put_opt(&mut m, "handlingDuration", c.closed_date.map(|d| (d - c.start_date).max(0)));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

pub fn task(t: &Task) -> Value {
    let mut m = base("Task", t.id, &t.meta);
    m.insert("title".into(), json!(t.title));
    m.insert("group".into(), json!(t.group));
    put_opt(&mut m, "description", t.description.as_ref());
    m.insert("status".into(), json!(t.status));
    m.insert("flag".into(), json!(t.flag));
    put_opt(&mut m, "startDate", t.start_date);
    put_opt(&mut m, "endDate", t.end_date);
    put_opt(&mut m, "assignee", t.assignee.as_ref());
    m.insert("order".into(), json!(t.order));
    put_opt(&mut m, "dueDate", t.due_date);
    m.insert("mandatory".into(), json!(t.mandatory));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A task log; 5.x lists its files in `attachments`, 4.x had one `attachment`.
pub fn log(v: &LogView) -> Value {
    let l = &v.log;
    let mut m = base("Log", l.id, &l.meta);
    m.insert("message".into(), json!(l.message));
    m.insert("date".into(), json!(l.date));
    m.insert("owner".into(), json!(l.meta.created_by));
    put_opt(&mut m, "includeInTimeline", l.include_in_timeline);
    let atts: Vec<Value> = v.attachments.iter().map(super::render_alerts::attachment).collect();
    put_opt(&mut m, "attachment", atts.first());
    m.insert("attachments".into(), Value::Array(atts));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// TheHive 5 comments use `createdBy`/`createdAt` without underscore (thehive4py's type);
/// the underscored meta fields are sent too.
pub fn comment(c: &Comment) -> Value {
    let mut m = base("Comment", c.id, &c.meta);
    m.insert("createdBy".into(), json!(c.meta.created_by));
    m.insert("createdAt".into(), json!(c.meta.created_at));
    put_opt(&mut m, "updatedBy", c.meta.updated_by.as_ref());
    put_opt(&mut m, "updatedAt", c.meta.updated_at);
    m.insert("message".into(), json!(c.message));
    m.insert("isEdited".into(), json!(c.is_edited));
    m.insert("external".into(), json!(c.external));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

pub fn page(p: &Page) -> Value {
    let mut m = base("Page", p.id, &p.meta);
    m.insert("title".into(), json!(p.title));
    m.insert("content".into(), json!(p.content));
    m.insert("category".into(), json!(p.category));
    m.insert("order".into(), json!(p.order));
    put_opt(&mut m, "slug", p.slug.as_ref());
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

pub fn page_template(p: &PageTemplate) -> Value {
    let mut m = base("PageTemplate", p.id, &p.meta);
    m.insert("title".into(), json!(p.page.title));
    m.insert("content".into(), json!(p.page.content));
    m.insert("category".into(), json!(p.page.category));
    m.insert("order".into(), json!(p.page.order));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

pub fn custom_field(f: &CustomField) -> Value {
    let mut m = base("CustomField", f.id, &f.meta);
    m.insert("name".into(), json!(f.name));
    m.insert("reference".into(), json!(f.name));
    m.insert("displayName".into(), json!(f.display_name));
    m.insert("group".into(), json!(f.group_name.clone().unwrap_or_default()));
    m.insert("description".into(), json!(f.description));
    m.insert("type".into(), json!(f.field_type));
    m.insert("options".into(), json!(f.options));
    m.insert("mandatory".into(), json!(f.mandatory));
    Value::Object(m)
}

pub fn case_template(v: &CaseTemplateView) -> Value {
    let t = &v.template;
    let mut m = base("CaseTemplate", t.id, &t.meta);
    m.insert("name".into(), json!(t.name));
    m.insert("displayName".into(), json!(t.display_name));
    put_opt(&mut m, "titlePrefix", t.title_prefix.as_ref());
    put_opt(&mut m, "description", t.description.as_ref());
    levels(&mut m, t.severity, t.tlp, t.pap);
    m.insert("tags".into(), json!(t.tags));
    m.insert("flag".into(), json!(t.flag));
    put_opt(&mut m, "summary", t.summary.as_ref());
    m.insert("customFields".into(), Value::Array(v.custom_fields.iter().map(field_value).collect()));
    let tasks: Vec<Value> = v
        .tasks
        .iter()
        .map(|tt| {
            let mut tm = base("Task", tt.id, &tt.meta);
            tm.insert("title".into(), json!(tt.task.title));
            tm.insert("group".into(), json!(tt.task.group));
            put_opt(&mut tm, "description", tt.task.description.as_ref());
            tm.insert("status".into(), json!(tt.task.status));
            tm.insert("flag".into(), json!(tt.task.flag));
            put_opt(&mut tm, "assignee", tt.task.assignee.as_ref());
            tm.insert("order".into(), json!(tt.task.order));
            put_opt(&mut tm, "dueDate", tt.task.due_date);
            tm.insert("mandatory".into(), json!(tt.task.mandatory));
            tm.insert("extraData".into(), json!({}));
            Value::Object(tm)
        })
        .collect();
    m.insert("tasks".into(), Value::Array(tasks));
    m.insert("pageTemplateIds".into(), json!(v.page_template_ids.iter().map(|i| render_id(*i)).collect::<Vec<_>>()));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// Past tense of an audit operation, for timeline event kinds (`TaskCreated`…).
fn past(operation: &str) -> String {
    match operation {
        "create" => "Created".into(),
        "update" => "Updated".into(),
        "delete" => "Deleted".into(),
        other => {
            let mut c = other.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        }
    }
}

/// One timeline event of TheHive 5's `GET /case/{id}/timeline`.
pub fn timeline_event(a: &AuditEntry) -> Value {
    let mut m = Map::new();
    m.insert("date".into(), json!(a.created_at));
    m.insert("kind".into(), json!(format!("{}{}", a.object_type, past(&a.operation))));
    m.insert("entity".into(), json!(a.object_type));
    m.insert("entityId".into(), json!(a.object_id.map(render_id).unwrap_or_default()));
    m.insert("details".into(), a.details.clone());
    m.insert("createdBy".into(), json!(a.created_by));
    Value::Object(m)
}

/// A linked case (`GET /case/{id}/links`, the `linkedCases` query step).
pub fn linked_case(l: &crate::service::cases::links::Link) -> Value {
    let mut v = case(&l.case);
    v["linkedWith"] = Value::Array(l.linked_with.iter().map(super::render_alerts::observable).collect());
    v["linksCount"] = serde_json::json!(l.linked_with.len());
    v
}

/// A custom timeline event (TheHive 5 `customEvent`).
pub fn custom_event(e: &crate::storage::custom_events::CustomEvent) -> Value {
    let mut m = base("CustomEvent", e.id, &e.meta);
    m.insert("caseId".into(), json!(render_id(e.case_id)));
    m.insert("date".into(), json!(e.date));
    put_opt(&mut m, "endDate", e.end_date);
    m.insert("title".into(), json!(e.title));
    put_opt(&mut m, "description", e.description.as_deref());
    Value::Object(m)
}

/// A custom event as a timeline entry, at its own date.
pub fn custom_event_in_timeline(e: &crate::storage::custom_events::CustomEvent) -> Value {
    let mut details = Map::new();
    details.insert("title".into(), json!(e.title));
    put_opt(&mut details, "description", e.description.as_deref());
    let mut m = Map::new();
    m.insert("date".into(), json!(e.date));
    put_opt(&mut m, "endDate", e.end_date);
    m.insert("kind".into(), json!("CustomEvent"));
    m.insert("entity".into(), json!("CustomEvent"));
    m.insert("entityId".into(), json!(render_id(e.id)));
    m.insert("details".into(), Value::Object(details));
    m.insert("createdBy".into(), json!(e.meta.created_by));
    Value::Object(m)
}
