//! Domain values → TheHive v1 JSON. Optional values that are absent are omitted, never
//! `null` (spec §0.4); every object carries the `_id/_type/_createdBy/_createdAt` meta.

use serde_json::{Map, Value, json};

use crate::auth::permissions;
use crate::ids::render_id;
use crate::service::organisations::OrganisationView;
use crate::service::users::UserView;
use crate::storage::audit::AuditEntry;
use crate::storage::meta::Meta;
use crate::storage::observable_types::ObservableType;
use crate::storage::profiles::Profile;

/// The meta fields of an object, to which the caller adds its own.
pub fn base(ty: &str, id: i64, meta: &Meta) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("_id".into(), json!(render_id(id)));
    m.insert("_type".into(), json!(ty));
    m.insert("_createdBy".into(), json!(meta.created_by));
    m.insert("_createdAt".into(), json!(meta.created_at));
    if let Some(by) = &meta.updated_by {
        m.insert("_updatedBy".into(), json!(by));
    }
    if let Some(at) = meta.updated_at {
        m.insert("_updatedAt".into(), json!(at));
    }
    m
}

/// Inserts `key` only when the value is present.
pub fn put_opt<T: serde::Serialize>(m: &mut Map<String, Value>, key: &str, v: Option<T>) {
    if let Some(v) = v {
        m.insert(key.into(), json!(v));
    }
}

pub fn organisation(v: &OrganisationView) -> Value {
    let o = &v.org;
    let mut m = base("Organisation", o.id, &o.meta);
    m.insert("name".into(), json!(o.name));
    m.insert("description".into(), json!(o.description));
    m.insert("taskRule".into(), json!(o.task_rule));
    m.insert("observableRule".into(), json!(o.observable_rule));
    m.insert("locked".into(), json!(o.locked));
    m.insert("links".into(), json!(v.links));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// A user as seen from organisation `org_id`. `with_organisations` adds the membership
/// list, which TheHive only includes for the current user and login answers.
pub fn user(v: &UserView, org_id: i64, with_organisations: bool) -> Value {
    let u = &v.user;
    let mut m = base("User", u.id, &u.meta);
    m.insert("login".into(), json!(u.login));
    m.insert("name".into(), json!(u.name));
    put_opt(&mut m, "email", u.email.as_ref());
    m.insert("type".into(), json!(u.user_type));
    m.insert("hasKey".into(), json!(u.api_key_hash.is_some()));
    m.insert("hasPassword".into(), json!(u.password_hash.is_some()));
    m.insert("hasMFA".into(), json!(u.totp_secret.is_some()));
    m.insert("locked".into(), json!(u.locked));
    if let Some(member) = v.membership_in(org_id) {
        let in_admin = member.organisation == crate::auth::ADMIN_ORG;
        m.insert("profile".into(), json!(member.profile));
        m.insert("organisation".into(), json!(member.organisation));
        let perms: Vec<String> = permissions::effective(&member.permissions, in_admin).into_iter().collect();
        m.insert("permissions".into(), json!(perms));
    }
    let default_org = u
        .default_organisation_id
        .and_then(|id| v.memberships.iter().find(|m| m.organisation_id == id))
        .or(v.memberships.first());
    put_opt(&mut m, "defaultOrganisation", default_org.map(|m| &m.organisation));
    let orgs: Vec<Value> = if with_organisations {
        v.memberships
            .iter()
            .map(|m| json!({"organisationId": render_id(m.organisation_id), "organisation": m.organisation, "profile": m.profile}))
            .collect()
    } else {
        Vec::new()
    };
    m.insert("organisations".into(), Value::Array(orgs));
    put_opt(&mut m, "avatar", u.avatar.as_ref().map(|_| format!("/api/v1/user/{}/avatar/1", render_id(u.id))));
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

pub fn profile(p: &Profile) -> Value {
    let mut m = base("Profile", p.id, &p.meta);
    let admin = permissions::is_admin_profile(&p.permissions);
    m.insert("name".into(), json!(p.name));
    m.insert("permissions".into(), json!(p.permissions));
    m.insert("editable".into(), json!(permissions::is_editable(&p.name)));
    m.insert("isAdmin".into(), json!(admin));
    m.insert("forAdmin".into(), json!(admin));
    m.insert("forOrg".into(), json!(!admin));
    Value::Object(m)
}

pub fn observable_type(t: &ObservableType) -> Value {
    let mut m = base("ObservableType", t.id, &t.meta);
    m.insert("name".into(), json!(t.name));
    m.insert("isAttachment".into(), json!(t.is_attachment));
    Value::Object(m)
}

pub fn audit(a: &AuditEntry) -> Value {
    let mut m = Map::new();
    m.insert("_id".into(), json!(render_id(a.id)));
    m.insert("_type".into(), json!("Audit"));
    m.insert("_createdBy".into(), json!(a.created_by));
    m.insert("_createdAt".into(), json!(a.created_at));
    m.insert("operation".into(), json!(a.operation));
    m.insert("requestId".into(), json!(a.request_id));
    m.insert("objectType".into(), json!(a.object_type));
    put_opt(&mut m, "objectId", a.object_id.map(render_id));
    put_opt(&mut m, "rootId", a.root_id.map(render_id));
    m.insert("details".into(), a.details.clone());
    m.insert("base".into(), json!(a.main_action));
    if let Some(id) = a.object_id {
        m.insert("obj".into(), json!({"_type": a.object_type, "_id": render_id(id)}));
    }
    m.insert("summary".into(), json!({}));
    Value::Object(m)
}
