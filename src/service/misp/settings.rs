//! The settings of a MISP server connection: reading them from API input (with TheHive 4's
//! spellings accepted as aliases, spec/misp.md §4), validating them field by field, and
//! their stored form (columns for the connection, one JSON document for the rest).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::storage::misp::MispServer;

pub const PURPOSES: &[&str] = &["ImportOnly", "ExportOnly", "ImportAndExport"];
pub const AUTH_TYPES: &[&str] = &["key", "bearer", "basic", "none"];

/// The JSON-stored part of a server's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stored {
    /// Waggle organisations that receive alerts and may export; `*` = all.
    pub included_the_hive_organisations: Vec<String>,
    pub excluded_the_hive_organisations: Vec<String>,
    /// Tags added to every imported alert.
    pub tags: Vec<String>,
    pub case_template: Option<String>,
    pub export_case_tags: bool,
    pub export_observable_tags: bool,
    pub export_case_url: bool,
    /// Seconds; events last changed longer ago are not imported.
    pub max_age: Option<i64>,
    pub max_attributes: Option<i64>,
    /// MISP organisations (creator, `Orgc`) whose events are imported / never imported.
    pub included_misp_organisations: Vec<String>,
    pub excluded_misp_organisations: Vec<String>,
    /// Events must carry one of these tags / must carry none of these.
    pub included_tags: Vec<String>,
    pub excluded_tags: Vec<String>,
    pub import_unpublished: bool,
    /// Seconds; overrides the shared interval (`super::interval`).
    pub sync_interval: Option<i64>,
    /// Seconds; whole-request deadline of calls to this server.
    pub timeout: Option<i64>,
}

impl Default for Stored {
    fn default() -> Stored {
        Stored {
            included_the_hive_organisations: vec!["*".into()],
            excluded_the_hive_organisations: Vec::new(),
            tags: Vec::new(),
            case_template: None,
            export_case_tags: false,
            export_observable_tags: false,
            export_case_url: false,
            max_age: None,
            max_attributes: None,
            included_misp_organisations: Vec::new(),
            excluded_misp_organisations: Vec::new(),
            included_tags: Vec::new(),
            excluded_tags: Vec::new(),
            import_unpublished: false,
            sync_interval: None,
            timeout: None,
        }
    }
}

/// Everything an administrator sets on a server, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerDef {
    pub name: String,
    pub url: String,
    pub purpose: String,
    pub auth_type: String,
    pub username: Option<String>,
    pub proxy: Option<String>,
    pub ca_certificate: Option<String>,
    pub verify_hostname: bool,
    pub enabled: bool,
    pub stored: Stored,
}

impl ServerDef {
    pub fn from_row(s: &MispServer) -> ServerDef {
        ServerDef {
            name: s.name.clone(),
            url: s.url.clone(),
            purpose: s.purpose.clone(),
            auth_type: s.auth_type.clone(),
            username: s.auth_username.clone(),
            proxy: s.proxy.clone(),
            ca_certificate: s.ca_cert.clone(),
            verify_hostname: s.verify_host,
            enabled: s.enabled,
            // A document written by this code always reads back; defaults cover older ones.
            stored: serde_json::from_str(&s.settings).unwrap_or_default(),
        }
    }

    fn blank() -> ServerDef {
        ServerDef {
            name: String::new(),
            url: String::new(),
            purpose: "ImportAndExport".into(),
            auth_type: "key".into(),
            username: None,
            proxy: None,
            ca_certificate: None,
            verify_hostname: true,
            enabled: true,
            stored: Stored::default(),
        }
    }

    pub fn imports(&self) -> bool {
        self.purpose != "ExportOnly"
    }

    pub fn exports(&self) -> bool {
        self.purpose != "ImportOnly"
    }

    /// Whether the Waggle organisation `org` receives alerts / may export.
    pub fn serves_organisation(&self, org: &str) -> bool {
        let inc = &self.stored.included_the_hive_organisations;
        (inc.is_empty() || inc.iter().any(|o| o == "*" || o == org))
            && !self.stored.excluded_the_hive_organisations.iter().any(|o| o == org)
    }

    /// The outbound HTTP settings of this server.
    pub fn http(&self) -> crate::outbound::Settings {
        let mut s = crate::outbound::Settings {
            ca_pem: self.ca_certificate.clone(),
            verify_hostname: self.verify_hostname,
            proxy: self.proxy.clone(),
            ..crate::outbound::Settings::default()
        };
        if let Some(t) = self.stored.timeout {
            s.timeout = std::time::Duration::from_secs(t.max(1) as u64);
            s.connect_timeout = s.connect_timeout.min(s.timeout);
        }
        s
    }
}

/// A duration in seconds from a number (seconds) or a text such as `7d`, `12h`, `30m`,
/// `45s`, `2w`, `7 days`, `1 hour`.
pub fn parse_duration(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().filter(|s| *s > 0),
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
            let (num, unit) = s.split_at(split);
            let n: i64 = num.parse().ok()?;
            let mult = match unit.trim() {
                "" | "s" | "sec" | "second" | "seconds" => 1,
                "m" | "min" | "minute" | "minutes" => 60,
                "h" | "hour" | "hours" => 3600,
                "d" | "day" | "days" => 86_400,
                "w" | "week" | "weeks" => 604_800,
                _ => return None,
            };
            n.checked_mul(mult).filter(|s| *s > 0)
        }
        _ => None,
    }
}

/// Seconds → the largest exact unit (`7d`, `90m`).
pub fn format_duration(secs: i64) -> String {
    for (unit, n) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs % n == 0 {
            return format!("{}{unit}", secs / n);
        }
    }
    format!("{secs}s")
}

/// The first of `keys` present (and not null) in `body`, dotted keys reaching into objects.
fn pick<'a>(body: &'a Value, keys: &[&str]) -> Option<(&'a Value, String)> {
    keys.iter().find_map(|k| {
        let mut v = body;
        for part in k.split('.') {
            v = v.get(part)?;
        }
        (!v.is_null()).then(|| (v, (*k).to_owned()))
    })
}

fn string(v: &Value, field: &str) -> Result<String, ApiError> {
    v.as_str().map(|s| s.trim().to_owned()).ok_or_else(|| ApiError::invalid(field, "string", v))
}

fn boolean(v: &Value, field: &str) -> Result<bool, ApiError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ApiError::invalid(field, "boolean", v)),
    }
}

fn strings(v: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    let list = v.as_array().ok_or_else(|| ApiError::invalid(field, "list of strings", v))?;
    let mut out: Vec<String> = Vec::new();
    for item in list {
        let s = item.as_str().map(str::trim).filter(|s| !s.is_empty());
        let s = s.ok_or_else(|| ApiError::invalid(field, "list of strings", v))?;
        if !out.iter().any(|x| x == s) {
            out.push(s.to_owned());
        }
    }
    Ok(out)
}

fn opt_text(v: &Value, field: &str) -> Result<Option<String>, ApiError> {
    Ok(Some(string(v, field)?).filter(|s| !s.is_empty()))
}

/// Reads the fields present in `body` over `current` (create: the defaults). Returns the new
/// definition and the API key given, if any. Unknown fields are ignored, as TheHive does.
pub fn apply(body: &Value, current: Option<&ServerDef>) -> Result<(ServerDef, Option<String>), ApiError> {
    if !body.is_object() {
        return Err(ApiError::BadRequest("Request body must be a JSON object".into()));
    }
    let mut d = current.cloned().unwrap_or_else(ServerDef::blank);
    if let Some((v, f)) = pick(body, &["name"]) {
        d.name = string(v, &f)?;
    }
    if d.name.is_empty() {
        return Err(ApiError::missing("name"));
    }
    if d.name.len() > 128 || d.name.contains(['/', '\\', '?', '#']) || d.name.starts_with('~') {
        return Err(ApiError::invalid("name", "name without / \\ ? # and not starting with ~", &json!(d.name)));
    }
    if let Some((v, f)) = pick(body, &["url"]) {
        d.url = string(v, &f)?.trim_end_matches('/').to_owned();
    }
    if d.url.is_empty() {
        return Err(ApiError::missing("url"));
    }
    match reqwest::Url::parse(&d.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
        _ => return Err(ApiError::invalid("url", "http(s) URL", &json!(d.url))),
    }
    if let Some((v, f)) = pick(body, &["purpose"]) {
        let p = string(v, &f)?;
        if !PURPOSES.contains(&p.as_str()) {
            return Err(ApiError::invalid(&f, &PURPOSES.join("|"), v));
        }
        d.purpose = p;
    }
    if let Some((v, f)) = pick(body, &["authType", "auth.type"]) {
        let t = string(v, &f)?;
        if !AUTH_TYPES.contains(&t.as_str()) {
            return Err(ApiError::invalid(&f, &AUTH_TYPES.join("|"), v));
        }
        d.auth_type = t;
    }
    if let Some((v, f)) = pick(body, &["username", "auth.username"]) {
        d.username = opt_text(v, &f)?;
    }
    let key = match pick(body, &["apiKey", "key", "auth.key", "auth.password"]) {
        Some((v, f)) => {
            let k = string(v, &f)?;
            if k.is_empty() {
                return Err(ApiError::invalid(&f, "non-empty API key", &json!("")));
            }
            Some(k)
        }
        None => None,
    };
    if let Some((v, f)) = pick(body, &["proxy", "wsConfig.proxy.url"]) {
        d.proxy = opt_text(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["caCertificate", "caCert"]) {
        d.ca_certificate = opt_text(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["verifyHostname", "verifyHost"]) {
        d.verify_hostname = boolean(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["enabled"]) {
        d.enabled = boolean(v, &f)?;
    }
    let s = &mut d.stored;
    if let Some((v, f)) = pick(body, &["includedTheHiveOrganisations", "includedOrganisations"]) {
        s.included_the_hive_organisations = strings(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["excludedTheHiveOrganisations", "excludedOrganisations"]) {
        s.excluded_the_hive_organisations = strings(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["tags"]) {
        s.tags = strings(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["caseTemplate"]) {
        s.case_template = opt_text(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["exportCaseTags"]) {
        s.export_case_tags = boolean(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["exportObservableTags"]) {
        s.export_observable_tags = boolean(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["exportCaseUrl", "exportTheHiveUrl"]) {
        s.export_case_url = boolean(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["maxAge", "max-age"]) {
        s.max_age = Some(parse_duration(v).ok_or_else(|| ApiError::invalid(&f, "duration (e.g. 7d, 12h)", v))?);
    }
    if let Some((v, f)) = pick(body, &["maxAttributes", "max-attributes"]) {
        s.max_attributes = Some(v.as_i64().filter(|n| *n >= 1).ok_or_else(|| ApiError::invalid(&f, "integer ≥ 1", v))?);
    }
    if let Some((v, f)) = pick(body, &["includedMispOrganisations", "whitelist.organisations"]) {
        s.included_misp_organisations = strings(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["excludedMispOrganisations", "exclusion.organisations"]) {
        s.excluded_misp_organisations = strings(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["includedTags", "whitelist.tags"]) {
        s.included_tags = strings(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["excludedTags", "exclusion.tags"]) {
        s.excluded_tags = strings(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["importUnpublished"]) {
        s.import_unpublished = boolean(v, &f)?;
    }
    if let Some((v, f)) = pick(body, &["syncInterval", "interval"]) {
        let secs = parse_duration(v).filter(|s| *s >= 60);
        s.sync_interval = Some(secs.ok_or_else(|| ApiError::invalid(&f, "duration of at least 1m", v))?);
    }
    if let Some((v, f)) = pick(body, &["timeout"]) {
        let secs = parse_duration(v).filter(|s| *s <= 3600);
        s.timeout = Some(secs.ok_or_else(|| ApiError::invalid(&f, "duration up to 1h", v))?);
    }
    // Explicit nulls clear optional limits.
    for (keys, clear) in [
        (&["maxAge", "max-age"][..], 0),
        (&["maxAttributes", "max-attributes"][..], 1),
        (&["syncInterval", "interval"][..], 2),
        (&["timeout"][..], 3),
    ] {
        if keys.iter().any(|k| body.get(*k).is_some_and(Value::is_null)) {
            match clear {
                0 => s.max_age = None,
                1 => s.max_attributes = None,
                2 => s.sync_interval = None,
                _ => s.timeout = None,
            }
        }
    }
    if d.auth_type == "basic" && d.username.is_none() {
        return Err(ApiError::missing("username"));
    }
    // The connection settings must at least build a client.
    if let Some(pem) = &d.ca_certificate {
        crate::outbound::parse_ca(pem)
            .map_err(|_| ApiError::invalid("caCertificate", "PEM certificate", &Value::Null))?;
    }
    if let Some(proxy) = &d.proxy {
        let only_proxy =
            // Syntax only: the address policy is applied when connecting ([misp] destinations).
            crate::outbound::Settings {
                proxy: Some(proxy.clone()),
                destinations: crate::outbound::Destinations::Any,
                ..crate::outbound::Settings::default()
            };
        let proxy_ok = reqwest::Url::parse(proxy).is_ok_and(|u| u.host_str().is_some());
        if !proxy_ok || crate::outbound::validate(&only_proxy).is_err() {
            return Err(ApiError::invalid(
                "proxy",
                "proxy URL (http://host:port)",
                &json!(crate::outbound::display_url(proxy)),
            ));
        }
    }
    Ok((d, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration(&json!("7d")), Some(604_800));
        assert_eq!(parse_duration(&json!("7 days")), Some(604_800));
        assert_eq!(parse_duration(&json!("90m")), Some(5400));
        assert_eq!(parse_duration(&json!(30)), Some(30));
        assert_eq!(parse_duration(&json!("soon")), None);
        assert_eq!(parse_duration(&json!(-1)), None);
        assert_eq!(format_duration(604_800), "1w");
        assert_eq!(format_duration(5400), "90m");
        assert_eq!(format_duration(61), "61s");
    }

    #[test]
    fn aliases_and_validation() {
        let body = json!({"name": "m", "url": "https://misp.example/", "key": "k",
            "max-age": "2d", "whitelist": {"tags": ["a"]}, "exclusion": {"organisations": ["x"]}});
        let (d, key) = apply(&body, None).unwrap();
        assert_eq!(d.url, "https://misp.example");
        assert_eq!(key.as_deref(), Some("k"));
        assert_eq!(d.stored.max_age, Some(172_800));
        assert_eq!(d.stored.included_tags, vec!["a"]);
        assert_eq!(d.stored.excluded_misp_organisations, vec!["x"]);
        assert!(apply(&json!({"url": "https://x"}), None).is_err());
        assert!(apply(&json!({"name": "m", "url": "ftp://x"}), None).is_err());
        assert!(apply(&json!({"name": "m", "url": "https://x", "purpose": "Both"}), None).is_err());
        // A patch keeps what it does not name; null clears a limit.
        let (d2, _) = apply(&json!({"maxAge": null, "enabled": false}), Some(&d)).unwrap();
        assert_eq!(d2.stored.max_age, None);
        assert!(!d2.enabled);
        assert_eq!(d2.stored.included_tags, vec!["a"]);
    }

    #[test]
    fn organisation_filter() {
        let (mut d, _) = apply(&json!({"name": "m", "url": "https://x"}), None).unwrap();
        assert!(d.serves_organisation("soc"));
        d.stored.excluded_the_hive_organisations = vec!["soc".into()];
        assert!(!d.serves_organisation("soc"));
        d.stored.included_the_hive_organisations = vec!["cert".into()];
        assert!(d.serves_organisation("cert"));
        assert!(!d.serves_organisation("other"));
    }
}
