//! MISP's JSON, read leniently into typed values.
//!
//! MISP sends numbers as JSON strings (`"id": "12"`, `"timestamp": "1700000000"`), booleans
//! sometimes as `0/1`, and wraps full events in `{"Event": …}` while `/events/index` returns
//! them flat with tags under `EventTag[].Tag`. The readers below accept all of those
//! spellings and report the first missing required field by name, so a malformed event is
//! rejected with a message an administrator can act on.

use serde_json::Value;

/// A field read as text, whether MISP sent a string or a number.
pub fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A field read as an integer from a string or a number.
pub fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A field read as a boolean from `true/false`, `0/1` or `"0"/"1"`.
pub fn flag(v: &Value, key: &str) -> Option<bool> {
    as_flag(v.get(key)?)
}

fn as_flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.as_str() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn required(v: &Value, key: &str, what: &str) -> Result<String, String> {
    text(v, key).ok_or_else(|| format!("{what} without `{key}`"))
}

/// Tag names of `[{"name": …}]` or `[{"Tag": {"name": …}}]` (index records' `EventTag`).
fn tag_names(list: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(items)) = list else { return Vec::new() };
    items
        .iter()
        .filter_map(|t| text(t, "name").or_else(|| t.get("Tag").and_then(|inner| text(inner, "name"))))
        .collect()
}

/// The event fields the importer uses, from an index record or a full event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventHeader {
    pub id: String,
    pub uuid: Option<String>,
    pub info: String,
    /// `YYYY-MM-DD`
    pub date: Option<String>,
    /// Last change, epoch seconds.
    pub timestamp: i64,
    pub publish_timestamp: i64,
    pub published: bool,
    pub threat_level_id: Option<i64>,
    pub attribute_count: Option<i64>,
    /// The creator organisation (`Orgc.name`): the author of the intelligence.
    pub orgc: String,
    pub tags: Vec<String>,
    /// The uuid of the event this one extends (MISP "extended events"), when it does.
    pub extends_uuid: Option<String>,
}

impl EventHeader {
    /// Reads one event object (flat, not wrapped in `{"Event": …}`).
    pub fn parse(v: &Value) -> Result<EventHeader, String> {
        if !v.is_object() {
            return Err("an event that is not a JSON object".into());
        }
        let id = required(v, "id", "an event")?;
        let what = format!("event #{id}");
        let info = text(v, "info").ok_or_else(|| format!("{what} without `info`"))?;
        let timestamp = int(v, "timestamp").ok_or_else(|| format!("{what} without a numeric `timestamp`"))?;
        let orgc = v
            .get("Orgc")
            .and_then(|o| text(o, "name"))
            .or_else(|| v.get("Org").and_then(|o| text(o, "name")))
            .ok_or_else(|| format!("{what} without `Orgc.name`"))?;
        let mut tags = tag_names(v.get("Tag"));
        for t in tag_names(v.get("EventTag")) {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        Ok(EventHeader {
            info,
            uuid: text(v, "uuid"),
            date: text(v, "date"),
            timestamp,
            publish_timestamp: int(v, "publish_timestamp").unwrap_or(0),
            published: flag(v, "published").unwrap_or(false),
            threat_level_id: int(v, "threat_level_id"),
            attribute_count: int(v, "attribute_count"),
            orgc,
            tags,
            extends_uuid: text(v, "extends_uuid").map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()),
            id,
        })
    }
}

/// One attribute, top-level or inside an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub id: String,
    pub category: String,
    pub kind: String,
    pub value: String,
    pub to_ids: bool,
    pub comment: String,
    pub deleted: bool,
    pub tags: Vec<String>,
    /// `(object name, object_relation)` when the attribute belongs to a MISP object.
    pub object: Option<(String, String)>,
    /// Base64 file content, present in exported/feed events (`withAttachments`).
    pub data: Option<String>,
}

impl Attribute {
    pub fn parse(v: &Value, object: Option<&str>) -> Result<Attribute, String> {
        let id = required(v, "id", "an attribute")?;
        let what = format!("attribute #{id}");
        Ok(Attribute {
            category: text(v, "category").ok_or_else(|| format!("{what} without `category`"))?,
            kind: text(v, "type").ok_or_else(|| format!("{what} without `type`"))?,
            value: text(v, "value").ok_or_else(|| format!("{what} without `value`"))?,
            to_ids: flag(v, "to_ids").unwrap_or(false),
            comment: text(v, "comment").unwrap_or_default(),
            deleted: flag(v, "deleted").unwrap_or(false),
            tags: tag_names(v.get("Tag")),
            object: object.map(|name| (name.to_owned(), text(v, "object_relation").unwrap_or_default())),
            data: text(v, "data").filter(|d| !d.is_empty()),
            id,
        })
    }
}

/// A full event as `GET /events/view/{id}` returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub header: EventHeader,
    /// Top-level attributes, then the attributes of each object in order.
    pub attributes: Vec<Attribute>,
}

impl Event {
    /// Reads `{"Event": {…}}` (or the bare event object).
    pub fn parse(v: &Value) -> Result<Event, String> {
        let e = v.get("Event").unwrap_or(v);
        let header = EventHeader::parse(e)?;
        let mut attributes = Vec::new();
        if let Some(list) = e.get("Attribute") {
            let list = list.as_array().ok_or_else(|| format!("event #{}: `Attribute` is not a list", header.id))?;
            for a in list {
                attributes.push(Attribute::parse(a, None)?);
            }
        }
        if let Some(objects) = e.get("Object") {
            let objects = objects.as_array().ok_or_else(|| format!("event #{}: `Object` is not a list", header.id))?;
            for o in objects {
                if flag(o, "deleted") == Some(true) {
                    continue;
                }
                let name = text(o, "name").unwrap_or_else(|| "object".into());
                for a in o.get("Attribute").and_then(Value::as_array).into_iter().flatten() {
                    attributes.push(Attribute::parse(a, Some(&name))?);
                }
            }
        }
        Ok(Event { header, attributes })
    }

    /// Attributes that count (deleted ones are gone for MISP users too).
    pub fn live_attributes(&self) -> impl Iterator<Item = &Attribute> {
        self.attributes.iter().filter(|a| !a.deleted)
    }
}

/// Reads the `/events/index` answer: a bare array of flat events. Records that cannot be
/// read are returned as errors next to the good ones, so one bad record does not hide the
/// others.
pub fn parse_index(v: &Value) -> Result<Vec<Result<EventHeader, String>>, String> {
    let list = match v {
        Value::Array(list) => list,
        // Some MISP versions and proxies wrap lists; accept `{"response": [...]}`.
        Value::Object(o) => match o.get("response") {
            Some(Value::Array(list)) => list,
            _ => return Err("expected a list of events".into()),
        },
        _ => return Err("expected a list of events".into()),
    };
    Ok(list.iter().map(|e| EventHeader::parse(e.get("Event").unwrap_or(e))).collect())
}

/// `GET /servers/getVersion`.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub version: String,
    pub perm_sync: Option<bool>,
}

impl Version {
    pub fn parse(v: &Value) -> Result<Version, String> {
        Ok(Version {
            version: text(v, "version").ok_or("no `version` in the answer")?,
            perm_sync: flag(v, "perm_sync"),
        })
    }
}

/// `GET /users/view/me`: who the API key belongs to and what its role allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Me {
    pub email: String,
    pub org_id: Option<String>,
    /// Present in the answer of current MISP versions; older ones need
    /// `/organisations/view/{org_id}`.
    pub org_name: Option<String>,
    /// `Role.perm_*` flags that were present in the answer.
    pub permissions: Vec<(String, bool)>,
}

impl Me {
    pub fn parse(v: &Value) -> Result<Me, String> {
        let user = v.get("User").unwrap_or(v);
        let email = text(user, "email").ok_or("no `User.email` in the answer")?;
        let permissions = match v.get("Role") {
            Some(Value::Object(role)) => role
                .iter()
                .filter(|(k, _)| k.starts_with("perm_"))
                .filter_map(|(k, v)| as_flag(v).map(|b| (k.clone(), b)))
                .collect(),
            _ => Vec::new(),
        };
        Ok(Me {
            email,
            org_id: text(user, "org_id"),
            org_name: v.get("Organisation").and_then(|o| text(o, "name")),
            permissions,
        })
    }

    /// `Some(false)` when the role is known to lack `perm`, `None` when not reported.
    pub fn allows(&self, perm: &str) -> Option<bool> {
        self.permissions.iter().find(|(k, _)| k == perm).map(|(_, b)| *b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn index_record_with_event_tags() {
        let v = json!({"id": "7", "info": " x ", "timestamp": "1700000000", "published": true,
            "Orgc": {"name": "CIRCL"}, "EventTag": [{"Tag": {"name": "tlp:green"}}], "attribute_count": "3"});
        let e = EventHeader::parse(&v).unwrap();
        assert_eq!(e.id, "7");
        assert_eq!(e.tags, vec!["tlp:green"]);
        assert_eq!(e.attribute_count, Some(3));
        assert!(e.published);
    }

    #[test]
    fn missing_fields_are_named() {
        let err = EventHeader::parse(&json!({"id": "7", "info": "x", "Orgc": {"name": "o"}})).unwrap_err();
        assert!(err.contains("timestamp"), "{err}");
        let err = parse_index(&json!({"not": "a list"})).unwrap_err();
        assert!(err.contains("list"));
    }

    #[test]
    fn objects_are_flattened() {
        let v = json!({"Event": {"id": "1", "info": "i", "timestamp": 1, "Orgc": {"name": "o"},
            "Attribute": [{"id": "1", "category": "Network activity", "type": "ip-dst", "value": "1.2.3.4", "to_ids": true}],
            "Object": [{"name": "file", "Attribute": [
                {"id": "2", "category": "Payload delivery", "type": "sha256", "value": "ab", "object_relation": "sha256", "to_ids": "1"}]}]}});
        let e = Event::parse(&v).unwrap();
        assert_eq!(e.attributes.len(), 2);
        assert_eq!(e.attributes[1].object, Some(("file".into(), "sha256".into())));
        assert!(e.attributes[1].to_ids);
    }

    #[test]
    fn me_with_role() {
        let v = json!({"User": {"email": "a@b", "org_id": "1"}, "Role": {"perm_add": true, "perm_auth": "0"},
            "Organisation": {"name": "ORGNAME"}});
        let me = Me::parse(&v).unwrap();
        assert_eq!(me.org_name.as_deref(), Some("ORGNAME"));
        assert_eq!(me.allows("perm_add"), Some(true));
        assert_eq!(me.allows("perm_auth"), Some(false));
        assert_eq!(me.allows("perm_site_admin"), None);
    }
}
