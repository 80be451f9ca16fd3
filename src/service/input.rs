//! Reading typed fields out of TheHive request bodies (JSON objects, or forms whose values
//! are all strings). Every reader names the field in its error, so a bad request answers 400
//! `AttributeCheckingError` saying which field is wrong, before anything is written.
//!
//! The small readers for strings and booleans live in `service/mod.rs`; this module adds
//! numbers, dates, enumerations, tag sets and the "absent / null / value" reading that PATCH
//! needs. It holds no knowledge of any entity.

use serde_json::{Value, json};

use crate::error::ApiError;

/// A PATCH field: absent (leave alone), `null` (clear) or a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    Absent,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// `None` when absent, `Some(None)` when cleared: the storage layer's update encoding.
    pub fn into_update(self) -> Option<Option<T>> {
        match self {
            Patch::Absent => None,
            Patch::Clear => Some(None),
            Patch::Set(v) => Some(Some(v)),
        }
    }
}

/// An integer field, given as a JSON integer or (forms) a numeric string.
pub fn opt_i64(v: &Value, name: &str) -> Result<Option<i64>, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => as_i64(x).map(Some).ok_or_else(|| ApiError::invalid(name, "integer", x)),
    }
}

fn as_i64(x: &Value) -> Option<i64> {
    match x {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

/// A date (epoch milliseconds; TheHive also accepts a numeric string).
pub fn opt_date(v: &Value, name: &str) -> Result<Option<i64>, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => as_i64(x).filter(|d| *d >= 0).map(Some).ok_or_else(|| ApiError::invalid(name, "date", x)),
    }
}

/// An integer in `lo..=hi` (severity, tlp, pap).
pub fn opt_level(v: &Value, name: &str, lo: i64, hi: i64) -> Result<Option<i64>, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(x) => match as_i64(x) {
            Some(n) if (lo..=hi).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid(name, &format!("integer in {lo}..{hi}"), x)),
        },
    }
}

/// A string that must be one of `allowed`.
pub fn opt_enum(v: &Value, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::invalid(name, &allowed.join("|"), other)),
    }
}

/// A set of tags: an array of strings (a single string is accepted as one tag), trimmed,
/// de-duplicated, empty strings dropped, first occurrence order kept.
pub fn opt_tags(v: &Value, name: &str) -> Result<Option<Vec<String>>, ApiError> {
    let items = match v.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => vec![Value::String(s.clone())],
        Some(Value::Array(a)) => a.clone(),
        Some(other) => return Err(ApiError::invalid(name, "array of strings", other)),
    };
    let mut out: Vec<String> = Vec::new();
    for item in &items {
        let Value::String(s) = item else {
            return Err(ApiError::invalid(name, "array of strings", item));
        };
        let t = s.trim();
        if !t.is_empty() && !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(Some(out))
}

/// Union of two tag sets, keeping `first`'s order.
pub fn union_tags(first: &[String], second: &[String]) -> Vec<String> {
    let mut out = first.to_vec();
    for t in second {
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out
}

/// A nullable string for PATCH: absent, `null` (or `""` when `empty_clears`), or a value.
pub fn patch_str(v: &Value, name: &str, empty_clears: bool) -> Result<Patch<String>, ApiError> {
    match v.get(name) {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Clear),
        Some(Value::String(s)) if empty_clears && s.is_empty() => Ok(Patch::Clear),
        Some(Value::String(s)) => Ok(Patch::Set(s.clone())),
        Some(other) => Err(ApiError::invalid(name, "string", other)),
    }
}

/// A nullable date for PATCH.
pub fn patch_date(v: &Value, name: &str) -> Result<Patch<i64>, ApiError> {
    match v.get(name) {
        None => Ok(Patch::Absent),
        Some(Value::Null) => Ok(Patch::Clear),
        Some(_) => Ok(opt_date(v, name)?.map_or(Patch::Clear, Patch::Set)),
    }
}

/// An optional array field; each element is handed back as is.
pub fn opt_array<'a>(v: &'a Value, name: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(other) => Err(ApiError::invalid(name, "array", other)),
    }
}

/// The `ids` of a bulk request: a non-empty array of strings.
pub fn bulk_ids(v: &Value) -> Result<Vec<String>, ApiError> {
    let Some(items) = opt_array(v, "ids")? else {
        return Err(ApiError::missing("ids"));
    };
    if items.is_empty() {
        return Err(ApiError::missing("ids"));
    }
    items
        .iter()
        .map(|i| match i {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(ApiError::invalid("ids", "array of ids", other)),
        })
        .collect()
}

/// Prefixes the field name of attribute errors, so that an error inside `tasks[2]` reads
/// `tasks[2].title`.
pub fn nest(prefix: &str, e: ApiError) -> ApiError {
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

/// An "unknown value" error for a field that names another object (template, custom field).
pub fn unknown(name: &str, what: &str, value: &str) -> ApiError {
    ApiError::invalid(name, &format!("name of an existing {what}"), &json!(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_dates() {
        let v = json!({"severity": 5, "tlp": "3", "pap": 1.0, "d": "1700000000000", "bad": true});
        assert!(opt_level(&v, "severity", 1, 4).is_err());
        assert_eq!(opt_level(&v, "tlp", 0, 4).unwrap(), Some(3));
        assert_eq!(opt_level(&v, "pap", 0, 3).unwrap(), Some(1));
        assert_eq!(opt_date(&v, "d").unwrap(), Some(1_700_000_000_000));
        assert!(opt_date(&v, "bad").is_err());
        assert_eq!(opt_date(&v, "none").unwrap(), None);
    }

    #[test]
    fn tags_are_a_set() {
        let v = json!({"tags": ["a", " a", "b", ""], "bad": [1]});
        assert_eq!(opt_tags(&v, "tags").unwrap(), Some(vec!["a".to_owned(), "b".to_owned()]));
        assert!(opt_tags(&v, "bad").is_err());
    }

    #[test]
    fn patch_reading() {
        let v = json!({"a": null, "b": "", "c": "x"});
        assert_eq!(patch_str(&v, "a", false).unwrap(), Patch::Clear);
        assert_eq!(patch_str(&v, "b", true).unwrap(), Patch::Clear);
        assert_eq!(patch_str(&v, "c", true).unwrap(), Patch::Set("x".into()));
        assert_eq!(patch_str(&v, "z", true).unwrap(), Patch::Absent);
    }

    #[test]
    fn nested_names() {
        let e = nest("tasks[1]", ApiError::missing("title"));
        assert_eq!(e.body()["errors"][0]["name"], "tasks[1].title");
    }
}
