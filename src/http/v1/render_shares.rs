//! Shares, sharing profiles and organisation links → TheHive v1 JSON (spec §1.12, §1.15).

use serde_json::{Value, json};

use super::render::{self, base};
use crate::ids::render_id;
use crate::service::organisation_links::LinkView;
use crate::service::organisations::OrganisationView;
use crate::storage::shares::{Share, SharingProfile};

/// `_type: "Share"`: `caseId, profileName, organisationName, owner` (4.x) and the rules (5.x).
pub fn share(s: &Share) -> Value {
    let mut m = base("Share", s.id, &s.meta);
    m.insert("caseId".into(), json!(render_id(s.case_id)));
    m.insert("profileName".into(), json!(s.profile));
    m.insert("organisationName".into(), json!(s.organisation));
    m.insert("owner".into(), json!(s.owner));
    // The owner share sees everything; its rules are meaningless and stored empty.
    let rule = |r: &Option<String>| json!(r.clone().unwrap_or_else(|| if s.owner { "all" } else { "manual" }.into()));
    m.insert("taskRule".into(), rule(&s.task_rule));
    m.insert("observableRule".into(), rule(&s.observable_rule));
    Value::Object(m)
}

pub fn shares(list: &[Share]) -> Value {
    Value::Array(list.iter().map(share).collect())
}

pub fn sharing_profile(p: &SharingProfile) -> Value {
    json!({
        "name": p.name,
        "description": p.description,
        "autoShare": p.auto_share,
        "editable": p.editable,
        "permissionProfile": p.profile,
        "taskRule": p.task_rule.clone().unwrap_or_else(|| "manual".into()),
        "observableRule": p.observable_rule.clone().unwrap_or_else(|| "manual".into()),
    })
}

/// One entry of `GET /organisation/{id}/links`: the linked organisation (as
/// `GET /organisation/{id}` shows it) with the link's types, and its name under
/// `organisation` (TheHive 5 clients read either shape).
pub fn link(v: &LinkView) -> Value {
    let org = OrganisationView { org: v.organisation.clone(), links: Vec::new() };
    let mut value = render::organisation(&org);
    if let Value::Object(m) = &mut value {
        m.remove("links");
        m.insert("linkType".into(), json!(v.link.link_type));
        m.insert("otherLinkType".into(), json!(v.link.other_link_type));
        m.insert("organisation".into(), json!(v.organisation.name));
    }
    value
}
