//! Case → MISP event, observable → attribute (spec/misp.md §3).
//!
//! An explicit table close to TheHive 3's (the §3.1 advice): `url` is a `url` (not TheHive
//! 4's `link`), `mail` is `email-src`, hashes are typed by length, and `to_ids` is sent
//! explicitly instead of leaving MISP's per-type default. Pure functions.

use serde_json::{Value, json};

/// MISP's `tlp:` taxonomy names for Waggle's TLP 0..4 (CLEAR, GREEN, AMBER, AMBER+STRICT,
/// RED). `tlp:white` rather than `tlp:clear` for CLEAR: every MISP version knows it.
const TLP_NAMES: [&str; 5] = ["tlp:white", "tlp:green", "tlp:amber", "tlp:amber+strict", "tlp:red"];

/// The `tlp:` tag of a TLP level (out-of-range values clamp to red, the safe side).
pub fn tlp_tag(tlp: i64) -> &'static str {
    TLP_NAMES[tlp.clamp(0, 4) as usize]
}

/// (category, MISP type) of a non-file observable, `None` when it has no MISP equivalent.
pub fn attribute_kind(data_type: &str, data: &str) -> Option<(&'static str, &'static str)> {
    Some(match data_type {
        "hash" => (
            "Payload delivery",
            match data.trim().len() {
                32 => "md5",
                40 => "sha1",
                56 => "sha224",
                64 => "sha256",
                96 => "sha384",
                128 => "sha512",
                _ if data.contains(':') => "ssdeep",
                _ => "other",
            },
        ),
        "filename" => ("Payload delivery", "filename"),
        "fqdn" | "hostname" => ("Network activity", "hostname"),
        "domain" => ("Network activity", "domain"),
        "url" => ("Network activity", "url"),
        "uri_path" => ("Network activity", "uri"),
        "user-agent" => ("Network activity", "user-agent"),
        "ip" => ("Network activity", "ip-dst"),
        "autonomous-system" => ("Network activity", "AS"),
        "mail" => ("Payload delivery", "email-src"),
        "mail-subject" | "mail_subject" => ("Payload delivery", "email-subject"),
        "registry" => ("Persistence mechanism", "regkey"),
        "regexp" | "other" => ("Other", "other"),
        _ => return None,
    })
}

/// What the exporter needs of an observable.
#[derive(Debug, Clone)]
pub struct ExportObservable {
    pub data_type: String,
    /// `None` for files.
    pub data: Option<String>,
    pub message: Option<String>,
    pub tlp: i64,
    pub ioc: bool,
    pub tags: Vec<String>,
    /// File name and content of a file observable.
    pub file: Option<(String, Vec<u8>)>,
}

/// The tags of an attribute: the TLP tag, plus the observable's tags when configured.
fn attribute_tags(o: &ExportObservable, with_tags: bool) -> Vec<Value> {
    let mut tags = vec![json!({"name": tlp_tag(o.tlp)})];
    if with_tags {
        for t in &o.tags {
            if !tags.iter().any(|x| x["name"] == t.as_str()) {
                tags.push(json!({"name": t}));
            }
        }
    }
    tags
}

/// The attribute JSON of a non-file observable (`None` when it has no MISP type).
pub fn attribute_of(o: &ExportObservable, with_tags: bool) -> Option<Value> {
    let data = o.data.as_deref()?;
    let (category, kind) = attribute_kind(&o.data_type, data)?;
    Some(json!({
        "category": category,
        "type": kind,
        "value": data,
        "to_ids": o.ioc,
        "comment": o.message.clone().unwrap_or_default(),
        "Tag": attribute_tags(o, with_tags),
    }))
}

/// A link back to the case (opt-in `exportCaseUrl`).
pub fn case_link_attribute(url: &str) -> Value {
    json!({
        "category": "Internal reference",
        "type": "link",
        "value": url,
        "to_ids": false,
        "comment": "Waggle case",
    })
}

/// The event fields of a case.
pub struct CaseHeader<'a> {
    pub title: &'a str,
    pub severity: i64,
    pub tlp: i64,
    /// Epoch ms.
    pub start_date: i64,
    pub tags: &'a [String],
}

/// `threat_level_id` of a severity: 1 low → 3, 2 → 2, 3 high → 1, 4 critical → 1.
pub fn threat_level_of(severity: i64) -> i64 {
    (4 - severity).clamp(1, 4)
}

/// The event-level fields and tags (shared by create and edit).
pub fn event_fields(c: &CaseHeader<'_>, with_case_tags: bool) -> serde_json::Map<String, Value> {
    let mut tags = vec![json!({"name": tlp_tag(c.tlp)})];
    if with_case_tags {
        for t in c.tags {
            if !tags.iter().any(|x| x["name"] == t.as_str()) {
                tags.push(json!({"name": t}));
            }
        }
    }
    let mut m = serde_json::Map::new();
    m.insert("info".into(), json!(c.title));
    m.insert("date".into(), json!(super::import_map::format_day(c.start_date)));
    m.insert("threat_level_id".into(), json!(threat_level_of(c.severity).to_string()));
    m.insert("analysis".into(), json!("0"));
    m.insert("Tag".into(), Value::Array(tags));
    m
}

/// `POST /events/upload_sample/{eventId}` body for one file.
pub fn sample_upload(name: &str, content: &[u8], comment: Option<&str>, to_ids: bool) -> Value {
    use base64::Engine;
    json!({"request": {
        "category": "Payload delivery",
        "type": "malware-sample",
        "to_ids": to_ids,
        "comment": comment.unwrap_or(name),
        "files": [{"filename": name, "data": base64::engine::general_purpose::STANDARD.encode(content)}],
    }})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_by_length_and_table() {
        assert_eq!(attribute_kind("hash", &"a".repeat(32)), Some(("Payload delivery", "md5")));
        assert_eq!(attribute_kind("hash", &"a".repeat(64)), Some(("Payload delivery", "sha256")));
        assert_eq!(attribute_kind("hash", &"a".repeat(96)), Some(("Payload delivery", "sha384")));
        assert_eq!(attribute_kind("url", "http://x"), Some(("Network activity", "url")));
        assert_eq!(attribute_kind("mail", "a@b"), Some(("Payload delivery", "email-src")));
        assert_eq!(attribute_kind("custom-type", "x"), None);
    }

    #[test]
    fn threat_levels() {
        assert_eq!(threat_level_of(1), 3);
        assert_eq!(threat_level_of(2), 2);
        assert_eq!(threat_level_of(3), 1);
        assert_eq!(threat_level_of(4), 1);
    }

    #[test]
    fn attribute_tags_follow_options() {
        let o = ExportObservable {
            data_type: "ip".into(),
            data: Some("1.2.3.4".into()),
            message: None,
            tlp: 4,
            ioc: true,
            tags: vec!["apt".into()],
            file: None,
        };
        let a = attribute_of(&o, false).unwrap();
        assert_eq!(a["Tag"], json!([{"name": "tlp:red"}]));
        assert_eq!(a["to_ids"], true);
        let a = attribute_of(&o, true).unwrap();
        assert_eq!(a["Tag"][1]["name"], "apt");
    }
}
