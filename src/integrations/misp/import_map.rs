//! MISP event → alert, MISP attribute → observables (spec/misp.md §2).
//!
//! TheHive 4's shape with TheHive 3's semantics where 4 is wrong (§2.2 advice): `ioc`
//! follows `to_ids`, TLP comes from `tlp:` tags case-insensitively (with `tlp:clear` and
//! `tlp:amber+strict`, TheHive 5 numbering), the configured alert tags are applied, and `src:<org>` is kept.
//! Pure functions: no I/O, so every rule is unit-tested here.

use std::collections::HashSet;

use super::model::{Attribute, Event, EventHeader};

/// The alert fields an event gives.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertDraft {
    pub source_ref: String,
    pub title: String,
    pub description: String,
    pub severity: i64,
    pub tlp: i64,
    pub pap: i64,
    /// Epoch ms: the event's day, else its last change.
    pub date: i64,
    /// Epoch ms of the event's last change, the sync bookmark of the alert.
    pub last_sync_date: i64,
    pub tags: Vec<String>,
    pub external_link: String,
}

/// Where an observable's data comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Text(String),
    /// A file to download with `GET /attributes/download/{attribute_id}`.
    File {
        attribute_id: String,
        name: String,
        malware_sample: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservableDraft {
    pub data_type: String,
    pub data: Data,
    pub message: Option<String>,
    pub tlp: i64,
    pub ioc: bool,
    pub tags: Vec<String>,
}

impl ObservableDraft {
    /// What makes two drafts the same observable (files: by attribute, since their content
    /// is only known after download; the stored observable de-duplicates on content).
    pub fn key(&self) -> (String, String) {
        match &self.data {
            Data::Text(t) => (self.data_type.clone(), t.clone()),
            Data::File { name, .. } => (self.data_type.clone(), format!("file:{name}")),
        }
    }
}

/// TLP from a `tlp:` tag (case-insensitive), in Waggle's TheHive 5 numbering (TLP 2.0:
/// CLEAR 0, GREEN 1, AMBER 2, AMBER+STRICT 3, RED 4; `white` is TLP 1.0's CLEAR).
pub fn tlp_of_tag(tag: &str) -> Option<i64> {
    let t = tag.trim().to_ascii_lowercase();
    match t.strip_prefix("tlp:")? {
        "white" | "clear" => Some(0),
        "green" => Some(1),
        "amber" => Some(2),
        "amber+strict" => Some(3),
        "red" => Some(4),
        _ => None,
    }
}

/// PAP from a `PAP:` tag (MISP's PAP taxonomy), case-insensitive.
pub fn pap_of_tag(tag: &str) -> Option<i64> {
    let t = tag.trim().to_ascii_lowercase();
    match t.strip_prefix("pap:")? {
        "white" | "clear" => Some(0),
        "green" => Some(1),
        "amber" => Some(2),
        "red" => Some(3),
        _ => None,
    }
}

/// `threat_level_id` 1 High, 2 Medium, 3 Low, 4 Undefined → severity 3, 2, 1, 2.
pub fn severity_of(threat_level_id: Option<i64>) -> i64 {
    match threat_level_id {
        Some(t @ 1..=3) => 4 - t,
        _ => 2,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `YYYY-MM-DD` → epoch ms at 00:00 UTC.
pub fn parse_day(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.get(..2)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400_000)
}

/// Epoch ms → `YYYY-MM-DD` (UTC).
pub fn format_day(ms: i64) -> String {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn push_unique(tags: &mut Vec<String>, t: &str) {
    let t = t.trim();
    if !t.is_empty() && !tags.iter().any(|x| x == t) {
        tags.push(t.to_owned());
    }
}

/// The alert of an event. `base_url` is the MISP server's URL (for `externalLink`).
pub fn alert_of(e: &EventHeader, base_url: &str, extra_tags: &[String]) -> AlertDraft {
    let mut tags = Vec::new();
    push_unique(&mut tags, &format!("src:{}", e.orgc));
    for t in &e.tags {
        push_unique(&mut tags, t);
    }
    for t in extra_tags {
        push_unique(&mut tags, t);
    }
    let day = e.date.as_deref().and_then(parse_day);
    AlertDraft {
        source_ref: e.id.clone(),
        title: format!("#{} {}", e.id, e.info.trim()),
        description: format!(
            "Imported from MISP Event #{}, created at {}",
            e.id,
            e.date.clone().unwrap_or_else(|| format_day(e.timestamp * 1000))
        ),
        severity: severity_of(e.threat_level_id),
        tlp: e.tags.iter().find_map(|t| tlp_of_tag(t)).unwrap_or(2),
        pap: e.tags.iter().find_map(|t| pap_of_tag(t)).unwrap_or(2),
        date: day.unwrap_or(e.timestamp * 1000),
        last_sync_date: e.timestamp * 1000,
        tags,
        external_link: format!("{}/events/view/{}", base_url.trim_end_matches('/'), e.id),
    }
}

/// TheHive 4's default `misp.attribute.mapping` (§2.3): (category, MISP types, TheHive type).
const RULES: &[(&str, &[&str], &str)] = &[
    ("Antivirus detection", &["link"], "url"),
    ("Antivirus detection", &["attachment"], "file"),
    ("Artifacts dropped", HASHES_DROPPED, "hash"),
    ("Artifacts dropped", &["filename"], "filename"),
    ("Artifacts dropped", &["regkey"], "registry"),
    ("Artifacts dropped", &["attachment", "malware-sample"], "file"),
    ("Attribution", &["x509-fingerprint-sha1", "x509-fingerprint-md5", "x509-fingerprint-sha256"], "hash"),
    ("External analysis", HASHES_EXTERNAL, "hash"),
    ("External analysis", &["filename"], "filename"),
    ("External analysis", &["ip-src", "ip-dst"], "ip"),
    ("External analysis", &["hostname"], "hostname"),
    ("External analysis", &["domain"], "domain"),
    ("External analysis", &["url", "link"], "url"),
    ("External analysis", &["regkey"], "registry"),
    ("External analysis", &["AS"], "autonomous-system"),
    ("External analysis", &["attachment", "malware-sample"], "file"),
    ("Internal reference", &["link"], "url"),
    ("Network activity", &["ip-src", "ip-dst"], "ip"),
    ("Network activity", &["domain"], "domain"),
    ("Network activity", &["url", "uri"], "url"),
    ("Network activity", &["AS"], "autonomous-system"),
    ("Network activity", &["attachment"], "file"),
    ("Network activity", HASHES_NETWORK, "hash"),
    ("Payload delivery", HASHES_DELIVERY, "hash"),
    ("Payload delivery", &["filename"], "filename"),
    ("Payload delivery", &["ip-src", "ip-dst"], "ip"),
    ("Payload delivery", &["hostname"], "hostname"),
    ("Payload delivery", &["domain"], "domain"),
    ("Payload delivery", &["email-src", "email-dst", "whois-registrant-email"], "mail"),
    ("Payload delivery", &["email-subject"], "mail-subject"),
    ("Payload delivery", &["url", "link"], "url"),
    ("Payload delivery", &["AS"], "autonomous-system"),
    ("Payload delivery", &["attachment", "malware-sample"], "file"),
    ("Payload installation", HASHES_INSTALLATION, "hash"),
    ("Payload installation", &["filename"], "filename"),
    ("Payload installation", &["attachment", "malware-sample"], "file"),
    ("Persistence mechanism", &["filename"], "filename"),
    ("Persistence mechanism", &["regkey"], "registry"),
    ("Support Tool", &["link"], "url"),
    ("Support Tool", &["attachment"], "file"),
];

const HASHES_DROPPED: &[&str] = &[
    "md5",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "sha512/224",
    "sha512/256",
    "ssdeep",
    "imphash",
    "impfuzzy",
    "authentihash",
    "cdhash",
    "x509-fingerprint-sha1",
    "x509-fingerprint-md5",
    "x509-fingerprint-sha256",
];
const HASHES_EXTERNAL: &[&str] = &[
    "md5",
    "sha1",
    "sha256",
    "x509-fingerprint-sha1",
    "x509-fingerprint-md5",
    "x509-fingerprint-sha256",
    "ja3-fingerprint-md5",
    "hassh-md5",
    "hasshserver-md5",
];
const HASHES_NETWORK: &[&str] = &[
    "x509-fingerprint-md5",
    "x509-fingerprint-sha1",
    "x509-fingerprint-sha256",
    "ja3-fingerprint-md5",
    "hassh-md5",
    "hasshserver-md5",
];
const HASHES_DELIVERY: &[&str] = &[
    "md5",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "sha512/224",
    "sha512/256",
    "ssdeep",
    "imphash",
    "impfuzzy",
    "authentihash",
    "pehash",
    "tlsh",
    "cdhash",
    "x509-fingerprint-sha1",
    "x509-fingerprint-md5",
    "x509-fingerprint-sha256",
    "ja3-fingerprint-md5",
    "hassh-md5",
    "hasshserver-md5",
];
const HASHES_INSTALLATION: &[&str] = &[
    "md5",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "sha512/224",
    "sha512/256",
    "ssdeep",
    "imphash",
    "impfuzzy",
    "authentihash",
    "pehash",
    "tlsh",
    "cdhash",
    "x509-fingerprint-sha1",
    "x509-fingerprint-md5",
    "x509-fingerprint-sha256",
];

/// The Waggle observable type of a MISP (category, type): the mapping rule, else an
/// observable type of the same name, else `other`.
pub fn observable_type(category: &str, kind: &str, known_types: &HashSet<String>) -> String {
    if let Some((_, _, t)) = RULES.iter().rev().find(|(c, types, _)| *c == category && types.contains(&kind)) {
        return (*t).to_owned();
    }
    if known_types.contains(kind) && kind != "file" {
        return kind.to_owned();
    }
    "other".to_owned()
}

fn is_file_kind(kind: &str) -> bool {
    kind == "attachment" || kind == "malware-sample"
}

/// The observables of one attribute (composite types give one per part).
pub fn observables_of(a: &Attribute, alert_tlp: i64, known_types: &HashSet<String>) -> Vec<ObservableDraft> {
    if a.deleted {
        return Vec::new();
    }
    let tlp = a.tags.iter().find_map(|t| tlp_of_tag(t)).unwrap_or(alert_tlp);
    let mut message = a.comment.trim().to_owned();
    if let Some((object, relation)) = &a.object {
        if !message.is_empty() {
            message.push('\n');
        }
        message.push_str(&format!("MISP object {object}, {relation}"));
    }
    let message = Some(message).filter(|m| !m.is_empty());
    let make = |kind: &str, data: Data, data_type: String| {
        let mut tags = Vec::new();
        push_unique(&mut tags, &format!("misp.category=\"{}\"", a.category));
        push_unique(&mut tags, &format!("misp.type=\"{kind}\""));
        for t in &a.tags {
            push_unique(&mut tags, t);
        }
        ObservableDraft { data_type, data, message: message.clone(), tlp, ioc: a.to_ids, tags }
    };
    if is_file_kind(&a.kind) {
        // malware-sample values are `<filename>|<md5>`; attachments are the file name.
        let name = a.value.split('|').next().unwrap_or(&a.value).trim().to_owned();
        let data = Data::File { attribute_id: a.id.clone(), name, malware_sample: a.kind == "malware-sample" };
        return vec![make(&a.kind, data, "file".into())];
    }
    let kinds: Vec<&str> = a.kind.split('|').collect();
    let values: Vec<&str> = if kinds.len() > 1 { a.value.splitn(kinds.len(), '|').collect() } else { vec![&a.value] };
    if values.len() != kinds.len() {
        // A composite whose value lacks a part: keep it whole rather than guess.
        return vec![make(&a.kind, Data::Text(a.value.clone()), "other".into())];
    }
    let parts: Vec<(&str, &str)> = kinds.into_iter().zip(values).collect();
    let types: Vec<String> = parts.iter().map(|(k, _)| observable_type(&a.category, k, known_types)).collect();
    if types.iter().any(|t| t == "file") {
        // TheHive 4: a composite with a file part (e.g. `filename|malware-sample`) is dropped.
        return Vec::new();
    }
    parts
        .iter()
        .zip(types)
        .filter(|((_, v), _)| !v.trim().is_empty())
        .map(|((k, v), t)| make(k, Data::Text(v.trim().to_owned()), t))
        .collect()
}

/// All observables of an event, de-duplicated on (type, data) with the first occurrence
/// kept (and `ioc` true if any duplicate had it).
pub fn observables_of_event(e: &Event, alert_tlp: i64, known_types: &HashSet<String>) -> Vec<ObservableDraft> {
    let mut out: Vec<ObservableDraft> = Vec::new();
    for a in e.live_attributes() {
        for d in observables_of(a, alert_tlp, known_types) {
            match out.iter_mut().find(|x| x.key() == d.key()) {
                Some(existing) => {
                    existing.ioc |= d.ioc;
                    for t in d.tags {
                        push_unique(&mut existing.tags, &t);
                    }
                }
                None => out.push(d),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> HashSet<String> {
        ["url", "domain", "hostname", "filename", "user-agent", "ip", "hash", "file", "other", "mail"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    fn attr(category: &str, kind: &str, value: &str) -> Attribute {
        Attribute {
            id: "1".into(),
            category: category.into(),
            kind: kind.into(),
            value: value.into(),
            to_ids: true,
            comment: String::new(),
            deleted: false,
            tags: Vec::new(),
            object: None,
            data: None,
        }
    }

    #[test]
    fn mapping_rules_and_fallbacks() {
        let t = types();
        assert_eq!(observable_type("Network activity", "ip-dst", &t), "ip");
        assert_eq!(observable_type("Payload delivery", "sha256", &t), "hash");
        assert_eq!(observable_type("Payload delivery", "email-src", &t), "mail");
        assert_eq!(observable_type("Support Tool", "link", &t), "url");
        // No rule for hostname in Network activity: same-name fallback.
        assert_eq!(observable_type("Network activity", "hostname", &t), "hostname");
        assert_eq!(observable_type("Other", "user-agent", &t), "user-agent");
        assert_eq!(observable_type("Other", "text", &t), "other");
        assert_eq!(observable_type("Network activity", "mutex", &t), "other");
    }

    #[test]
    fn composite_split_and_file_composite_dropped() {
        let t = types();
        let obs = observables_of(&attr("Payload delivery", "filename|md5", "a.exe|d41d8cd9"), 2, &t);
        assert_eq!(obs.len(), 2);
        assert_eq!(obs[0].data_type, "filename");
        assert_eq!(obs[1].data_type, "hash");
        assert!(obs[1].tags.contains(&"misp.type=\"md5\"".to_owned()));
        assert!(observables_of(&attr("Payload delivery", "filename|malware-sample", "a|b"), 2, &t).is_empty());
    }

    #[test]
    fn tlp_tags_and_severity() {
        assert_eq!(tlp_of_tag("TLP:GREEN"), Some(1));
        assert_eq!(tlp_of_tag("tlp:clear"), Some(0));
        assert_eq!(tlp_of_tag("tlp:amber+strict"), Some(3));
        assert_eq!(tlp_of_tag("tlp:red"), Some(4));
        assert_eq!(tlp_of_tag("tlpx"), None);
        assert_eq!(severity_of(Some(1)), 3);
        assert_eq!(severity_of(Some(3)), 1);
        assert_eq!(severity_of(Some(4)), 2);
    }

    #[test]
    fn days() {
        assert_eq!(parse_day("2024-02-29"), Some(1_709_164_800_000));
        assert_eq!(format_day(1_709_164_800_000), "2024-02-29");
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2024-13-01"), None);
    }

    #[test]
    fn malware_sample_is_a_file() {
        let obs = observables_of(&attr("Payload delivery", "malware-sample", "evil.exe|abc"), 2, &types());
        assert_eq!(obs[0].data, Data::File { attribute_id: "1".into(), name: "evil.exe".into(), malware_sample: true });
    }
}
