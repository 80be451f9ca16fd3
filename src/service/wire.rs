//! Reading TheHive input fields beyond strings and booleans (`service::opt_str` & co.):
//! integers in a range, dates, tag lists. A JSON `null` always means "not given", which is
//! what Kibana sends for every absent field (kibana-connector.md §1.2).

use serde_json::Value;

use crate::error::ApiError;

/// An optional integer (JSON number, or a numeric string as forms send).
pub fn opt_i64(v: &Value, name: &str) -> Result<Option<i64>, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(i) => Ok(Some(i)),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
                _ => Err(ApiError::invalid(name, "integer", &Value::Number(n.clone()))),
            },
        },
        Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().parse::<i64>().ok()),
        Some(other) => Err(ApiError::invalid(name, "integer", other)),
    }
}

/// An optional integer that must lie in `lo..=hi`.
pub fn opt_range(v: &Value, name: &str, lo: i64, hi: i64) -> Result<Option<i64>, ApiError> {
    match opt_i64(v, name)? {
        Some(i) if !(lo..=hi).contains(&i) => {
            Err(ApiError::invalid(name, &format!("integer {lo}..{hi}"), &Value::from(i)))
        }
        other => Ok(other),
    }
}

/// A date: epoch milliseconds, as a number or a numeric string.
pub fn opt_date(v: &Value, name: &str) -> Result<Option<i64>, ApiError> {
    opt_i64(v, name)
        .map_err(|_| ApiError::invalid(name, "date (epoch milliseconds)", v.get(name).unwrap_or(&Value::Null)))
}

/// A tag list: array of strings (a single string is one tag). Blank tags are dropped,
/// duplicates removed, order kept.
pub fn opt_tags(v: &Value, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let list = match v.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::String(s) => out.push(s.clone()),
                    other => return Err(ApiError::invalid(name, "array of strings", other)),
                }
            }
            out
        }
        Some(other) => return Err(ApiError::invalid(name, "array of strings", other)),
    };
    Ok(Some(dedup(list)))
}

/// Trims, drops blanks and duplicates, keeps order.
pub fn dedup(list: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    list.into_iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty() && seen.insert(t.clone())).collect()
}

/// An optional field that must be a string when present and not null.
pub fn opt_string(v: &Value, name: &str) -> Result<Option<String>, ApiError> {
    super::opt_str(v, name)
}

/// A PATCH field that may be set to `null` to clear it: `None` = absent, `Some(None)` = null.
/// Kibana sends `null` for "not provided", so callers decide which fields honour clearing.
pub fn nullable_str(v: &Value, name: &str) -> Result<Option<Option<String>>, ApiError> {
    match v.get(name) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(other) => Err(ApiError::invalid(name, "string", other)),
    }
}

/// A list of `~ids` (bulk endpoints).
pub fn id_list(v: &Value, name: &str) -> Result<Vec<String>, ApiError> {
    match v.get(name) {
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                other => Err(ApiError::invalid(name, "array of ids", other)),
            })
            .collect(),
        Some(Value::Array(_)) | None | Some(Value::Null) => Err(ApiError::missing(name)),
        Some(other) => Err(ApiError::invalid(name, "array of ids", other)),
    }
}

/// SHA-256 hex of an observable's data: the correlation key (`observable.data_hash`).
pub fn data_hash(data: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(data.as_bytes()))
}

/// Prefixes the field names of attribute errors, so that an error inside `observables[2]`
/// names `observables[2].dataType`.
pub fn nest_field(prefix: &str, e: ApiError) -> ApiError {
    use crate::error::AttributeError as A;
    match e {
        ApiError::AttributeChecking(errors) => ApiError::AttributeChecking(
            errors
                .into_iter()
                .map(|a| match a {
                    A::Missing { name } => A::Missing { name: format!("{prefix}.{name}") },
                    A::InvalidFormat { name, format, value } => {
                        A::InvalidFormat { name: format!("{prefix}.{name}"), format, value }
                    }
                    A::Unknown { name } => A::Unknown { name: format!("{prefix}.{name}") },
                })
                .collect(),
        ),
        other => other,
    }
}
