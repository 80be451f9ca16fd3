//! TheHive v1 JSON for alerts, observables, attachments, procedures, patterns and alert
//! comments (TheHive 5 shapes; the fields Kibana validates are always present with the
//! right JSON type, kibana-connector.md §1.7).

use serde_json::{Map, Value, json};

use super::render::{base, put_opt};
use crate::ids::render_id;
use crate::service::alerts::AlertView;
use crate::service::attachments::hashes;
use crate::storage::alert_comments::AlertComment;
use crate::storage::attachments::Usage;
use crate::storage::observables::{Observable, Parent};
use crate::storage::patterns::{Pattern, Procedure};

pub use crate::service::cases::status::{pap_label, severity_label, tlp_label};

pub fn alert(v: &AlertView) -> Value {
    let a = &v.alert;
    let mut m = base("Alert", a.id, &a.meta);
    m.insert("type".into(), json!(a.alert_type));
    m.insert("source".into(), json!(a.source));
    m.insert("sourceRef".into(), json!(a.source_ref));
    put_opt(&mut m, "externalLink", a.external_link.as_ref());
    m.insert("title".into(), json!(a.title));
    m.insert("description".into(), json!(a.description));
    m.insert("severity".into(), json!(a.severity));
    m.insert("severityLabel".into(), json!(severity_label(a.severity)));
    m.insert("date".into(), json!(a.date));
    m.insert("tags".into(), json!(a.tags));
    m.insert("tlp".into(), json!(a.tlp));
    m.insert("tlpLabel".into(), json!(tlp_label(a.tlp)));
    m.insert("pap".into(), json!(a.pap));
    m.insert("papLabel".into(), json!(pap_label(a.pap)));
    m.insert("flag".into(), json!(a.flag));
    m.insert("read".into(), json!(a.read));
    m.insert("follow".into(), json!(a.follow));
    m.insert(
        "customFields".into(),
        Value::Array(v.custom_fields.iter().map(super::render_cases::field_value).collect()),
    );
    put_opt(&mut m, "caseTemplate", a.case_template.as_ref());
    m.insert("observableCount".into(), json!(a.observable_count));
    put_opt(&mut m, "caseId", a.case_id.map(render_id));
    m.insert("status".into(), json!(a.status));
    m.insert("stage".into(), json!(a.stage));
    put_opt(&mut m, "assignee", a.assignee.as_ref());
    put_opt(&mut m, "summary", a.summary.as_ref());
    put_opt(&mut m, "lastSyncDate", a.last_sync_date);
    // 5.x stage dates and the durations derived from them.
    let new_date = a.new_date.unwrap_or(a.meta.created_at);
    m.insert("newDate".into(), json!(new_date));
    put_opt(&mut m, "inProgressDate", a.in_progress_date);
    put_opt(&mut m, "closedDate", a.closed_date);
    put_opt(&mut m, "importedDate", a.imported_at);
    m.insert("timeToDetect".into(), json!((new_date - a.date).max(0)));
    put_opt(&mut m, "timeToTriage", a.in_progress_date.map(|d| (d - new_date).max(0)));
    put_opt(&mut m, "timeToQualify", a.imported_at.or(a.closed_date).map(|d| (d - new_date).max(0)));
    put_opt(&mut m, "timeToAcknowledge", a.in_progress_date.map(|d| (d - a.date).max(0)));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

pub fn observable(o: &Observable) -> Value {
    observable_with(o, Map::new())
}

/// An observable with the given extra data (e.g. `seen`).
pub fn observable_with(o: &Observable, extra: Map<String, Value>) -> Value {
    let mut m = base("Observable", o.id, &o.meta);
    m.insert("dataType".into(), json!(o.data_type));
    put_opt(&mut m, "data", o.data.as_ref());
    m.insert("startDate".into(), json!(o.start_date));
    if let Some(f) = &o.file {
        m.insert(
            "attachment".into(),
            json!({
                "_id": render_id(f.attachment_id), "_type": "Attachment", "name": f.name,
                "hashes": [f.sha256, f.sha1, f.md5], "size": f.size, "contentType": f.content_type,
                "id": f.sha256, "extraData": {}
            }),
        );
    }
    m.insert("tlp".into(), json!(o.tlp));
    m.insert("tlpLabel".into(), json!(tlp_label(o.tlp)));
    m.insert("pap".into(), json!(o.pap));
    m.insert("papLabel".into(), json!(pap_label(o.pap)));
    m.insert("tags".into(), json!(o.tags));
    m.insert("ioc".into(), json!(o.ioc));
    m.insert("sighted".into(), json!(o.sighted));
    put_opt(&mut m, "sightedAt", o.sighted_at);
    m.insert("ignoreSimilarity".into(), json!(o.ignore_similarity));
    put_opt(&mut m, "message", o.message.as_ref());
    m.insert("reports".into(), o.reports.clone());
    match o.parent {
        Parent::Case(c) => m.insert("caseId".into(), json!(render_id(c))),
        Parent::Alert(a) => m.insert("alertId".into(), json!(render_id(a))),
    };
    m.insert("extraData".into(), Value::Object(extra));
    Value::Object(m)
}

/// An attachment used by a case, alert or organisation (5.x shape with meta fields).
pub fn attachment(u: &Usage) -> Value {
    let mut m = base("Attachment", u.id, &u.meta);
    m.insert("name".into(), json!(u.name));
    m.insert("hashes".into(), json!(hashes(&u.blob)));
    m.insert("size".into(), json!(u.blob.size));
    m.insert("contentType".into(), json!(u.content_type));
    m.insert("id".into(), json!(u.blob.sha256));
    m.insert("path".into(), json!(format!("/api/v1/attachment/{}/download", u.blob.sha256)));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// "command-and-control" → "Command and Control" (TheHive 5 `tacticLabel`).
pub fn tactic_label(tactic: &str) -> String {
    tactic
        .split('-')
        .enumerate()
        .map(|(i, w)| match w {
            "and" | "of" if i > 0 => w.to_owned(),
            _ => {
                let mut c = w.chars();
                c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn procedure(p: &Procedure) -> Value {
    let mut m = base("Procedure", p.id, &p.meta);
    put_opt(&mut m, "description", p.description.as_ref());
    m.insert("occurDate".into(), json!(p.occur_date));
    m.insert("patternId".into(), json!(p.mitre_id));
    m.insert("patternName".into(), json!(p.pattern_name));
    put_opt(&mut m, "tactic", p.tactic.as_ref());
    put_opt(&mut m, "tacticLabel", p.tactic.as_deref().map(tactic_label));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

pub fn pattern(p: &Pattern) -> Value {
    let mut m = base("Pattern", p.id, &p.meta);
    m.insert("patternId".into(), json!(p.mitre_id));
    m.insert("name".into(), json!(p.name));
    put_opt(&mut m, "description", p.description.as_ref());
    m.insert("tactics".into(), json!(p.tactics));
    m.insert("url".into(), json!(p.url));
    m.insert("patternType".into(), json!(p.pattern_type));
    put_opt(&mut m, "capecId", p.capec_id.as_ref());
    put_opt(&mut m, "capecUrl", p.capec_url.as_ref());
    m.insert("revoked".into(), json!(p.revoked));
    m.insert("dataSources".into(), json!(p.data_sources));
    m.insert("defenseBypassed".into(), json!(p.defense_bypassed));
    put_opt(&mut m, "detection", p.detection.as_ref());
    m.insert("permissionsRequired".into(), json!(p.permissions_required));
    m.insert("platforms".into(), json!(p.platforms));
    m.insert("remoteSupport".into(), json!(p.remote_support));
    m.insert("systemRequirements".into(), json!(p.system_requirements));
    put_opt(&mut m, "version", p.version.as_ref());
    put_opt(&mut m, "parent", p.parent_mitre_id.as_ref());
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// 5.x comment: `createdBy`/`createdAt` without underscore (kibana-connector.md §1.5).
pub fn alert_comment(c: &AlertComment) -> Value {
    let mut m = Map::new();
    m.insert("_id".into(), json!(render_id(c.id)));
    m.insert("_type".into(), json!("Comment"));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(tlp_label(3), "AMBER+STRICT");
        assert_eq!(tlp_label(4), "RED");
        assert_eq!(tactic_label("command-and-control"), "Command and Control");
        assert_eq!(tactic_label("initial-access"), "Initial Access");
    }
}
