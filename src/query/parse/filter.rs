//! Filter expressions (spec §3.4): JSON → [`Filter`].
//!
//! Every operator takes its TheHive 5 form `{"_op": {"_field": f, "_value": v}}`
//! and its TheHive 4 compact form `{"_op": {"<field>": v}}`; the top level also
//! takes bare `{"_field": f, "_value": v}` and legacy `{"<field>": v}` equality.
//! Operator bodies are strict: an unexpected key is an error, because it is
//! nearly always a typo (`_values` for `_value`) that would otherwise change
//! what the filter means.

use serde_json::Value;

use super::{MAX_DEPTH, Object, clip, field_path, json_kind, quote, scalar};
use crate::query::ast::{FieldPath, Filter, Scalar};
use crate::query::error::QueryError;

/// Parse one filter expression; `path` names it in errors (e.g. `filter`).
pub fn parse_filter(value: &Value, path: &str) -> Result<Filter, QueryError> {
    parse_filter_at(value, path, 0)
}

/// The `filter` step: the step object minus `_name` is the expression.
pub(super) fn parse_step_filter(params: &Object, path: &str) -> Result<Filter, QueryError> {
    let entries: Vec<(&str, &Value)> =
        params.iter().filter(|(key, _)| key.as_str() != "_name").map(|(key, value)| (key.as_str(), value)).collect();
    parse_entries(&entries, path, 0)
}

pub(super) fn parse_filter_at(value: &Value, path: &str, depth: usize) -> Result<Filter, QueryError> {
    if depth > MAX_DEPTH {
        return Err(QueryError::TooDeep { path: path.to_owned(), limit: MAX_DEPTH });
    }
    let Value::Object(object) = value else {
        return Err(invalid(path, format!("expected a filter object, found {}", json_kind(value))));
    };
    let entries: Vec<(&str, &Value)> = object.iter().map(|(k, v)| (k.as_str(), v)).collect();
    parse_entries(&entries, path, depth)
}

fn parse_entries(entries: &[(&str, &Value)], path: &str, depth: usize) -> Result<Filter, QueryError> {
    // Bare equality is the one form with two keys at this level.
    if entries.iter().any(|(key, _)| matches!(*key, "_field" | "_value")) {
        let (field, value) = field_and_value(entries, path)?;
        let value = scalar(value).map_err(|reason| invalid(&format!("{path}._value"), reason))?;
        return Ok(Filter::Eq { field, value });
    }
    match entries {
        [] => Ok(Filter::Any),
        [(key, value)] => operator(key, value, path, depth),
        _ => Err(invalid(
            path,
            format!("expected exactly one operator, found {} keys: {}", entries.len(), key_list(entries)),
        )),
    }
}

fn operator(key: &str, value: &Value, path: &str, depth: usize) -> Result<Filter, QueryError> {
    let op_path = format!("{path}.{key}");
    let filter = match key {
        "_and" | "_or" => {
            let Value::Array(items) = value else {
                return Err(invalid(&op_path, format!("expects an array of filters, found {}", json_kind(value))));
            };
            let children = items
                .iter()
                .enumerate()
                .map(|(i, item)| parse_filter_at(item, &format!("{op_path}[{i}]"), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            if key == "_and" { Filter::And(children) } else { Filter::Or(children) }
        }
        "_not" => Filter::Not(Box::new(parse_filter_at(value, &op_path, depth + 1)?)),
        // 4.x ignores the operand of `_any`, whatever it is.
        "_any" => Filter::Any,
        "_string" => Filter::Text(string_operand(value, &op_path)?),
        "_id" => Filter::Id(ids(value, &op_path)?),
        "_contains" | "_has" => {
            let name = string_operand(value, &op_path)?;
            Filter::Contains { field: field_path(&name).map_err(|reason| invalid(&op_path, reason))? }
        }
        "_eq" | "_is" | "_ne" | "_lt" | "_lte" | "_gt" | "_gte" => {
            let (field, value) = compared(value, &op_path)?;
            match key {
                "_ne" => Filter::Ne { field, value },
                "_lt" => Filter::Lt { field, value },
                "_lte" => Filter::Lte { field, value },
                "_gt" => Filter::Gt { field, value },
                "_gte" => Filter::Gte { field, value },
                _ => Filter::Eq { field, value },
            }
        }
        "_like" | "_wildcard" | "_startsWith" | "_endsWith" | "_match" => {
            let (field, text) = matched(value, &op_path)?;
            match key {
                "_like" => Filter::Like { field, pattern: text },
                "_wildcard" => Filter::Wildcard { field, pattern: text },
                "_startsWith" => Filter::StartsWith { field, value: text },
                "_endsWith" => Filter::EndsWith { field, value: text },
                _ => Filter::Match { field, value: text },
            }
        }
        "_in" => within(value, &op_path)?,
        "_between" => between(value, &op_path)?,
        _ if key.starts_with('_') => {
            return Err(invalid(path, format!("operator \"{}\" unknown", clip(key))));
        }
        // Deprecated 4.x short form: {"status": "Open"} means equality.
        _ => Filter::Eq {
            field: field_path(key).map_err(|reason| invalid(path, reason))?,
            value: scalar(value).map_err(|reason| invalid(&op_path, reason))?,
        },
    };
    Ok(filter)
}

/// Operand of a comparison: a field and any scalar.
fn compared(operand: &Value, path: &str) -> Result<(FieldPath, Scalar), QueryError> {
    let entries = operand_entries(operand, path)?;
    let (field, value) = field_and_value(&entries, path)?;
    let value_path = value_path(&entries, path);
    let value = scalar(value).map_err(|reason| invalid(&value_path, reason))?;
    Ok((field, value))
}

/// Operand of a text operator: a field and a string.
fn matched(operand: &Value, path: &str) -> Result<(FieldPath, String), QueryError> {
    let entries = operand_entries(operand, path)?;
    let (field, value) = field_and_value(&entries, path)?;
    let value_path = value_path(&entries, path);
    let text = string_operand(value, &value_path)?;
    Ok((field, text))
}

/// `{"_field": f, "_values": [..]}`, or compact `{"<field>": [..]}`.
fn within(operand: &Value, path: &str) -> Result<Filter, QueryError> {
    let entries = operand_entries(operand, path)?;
    let (field, values, values_path) = if has_key(&entries, "_field") {
        only_keys(&entries, &["_field", "_values"], path)?;
        let field = named_field(&entries, path)?;
        let values = get(&entries, "_values").ok_or_else(|| invalid(path, "missing \"_values\"".to_owned()))?;
        (field, values, format!("{path}._values"))
    } else if let [(key, values)] = entries.as_slice() {
        let field = field_path(key).map_err(|reason| invalid(path, reason))?;
        (field, *values, format!("{path}.{key}"))
    } else {
        return Err(invalid(path, "expects {\"_field\": <name>, \"_values\": [...]}".to_owned()));
    };
    let Value::Array(items) = values else {
        return Err(invalid(&values_path, format!("expects an array of values, found {}", json_kind(values))));
    };
    let values = items
        .iter()
        .enumerate()
        .map(|(i, item)| scalar(item).map_err(|reason| invalid(&format!("{values_path}[{i}]"), reason)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Filter::In { field, values })
}

/// `{"_field": f, "_from"?: a, "_to"?: b}`; at least one bound, `null` = none.
fn between(operand: &Value, path: &str) -> Result<Filter, QueryError> {
    let entries = operand_entries(operand, path)?;
    only_keys(&entries, &["_field", "_from", "_to"], path)?;
    let field = named_field(&entries, path)?;
    let bound = |key: &str| -> Result<Option<Scalar>, QueryError> {
        match get(&entries, key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => scalar(value).map(Some).map_err(|reason| invalid(&format!("{path}.{key}"), reason)),
        }
    };
    let from = bound("_from")?;
    let to = bound("_to")?;
    if from.is_none() && to.is_none() {
        return Err(invalid(path, "needs \"_from\", \"_to\" or both".to_owned()));
    }
    Ok(Filter::Between { field, from, to })
}

/// `"~1"` or `["~1", "~2"]`; internal ids always start with `~` (§0.3).
fn ids(value: &Value, path: &str) -> Result<Vec<String>, QueryError> {
    let one = |item: &Value, item_path: &str| match item {
        Value::String(id) if id.starts_with('~') => Ok(id.clone()),
        Value::String(id) => Err(invalid(item_path, format!("id {} must start with \"~\"", quote(id)))),
        other => Err(invalid(item_path, format!("expects an id string, found {}", json_kind(other)))),
    };
    match value {
        Value::Array(items) => items.iter().enumerate().map(|(i, item)| one(item, &format!("{path}[{i}]"))).collect(),
        other => Ok(vec![one(other, path)?]),
    }
}

/// Split `{"_field": f, "_value": v}` or compact `{"<field>": v}`.
fn field_and_value<'a>(entries: &[(&'a str, &'a Value)], path: &str) -> Result<(FieldPath, &'a Value), QueryError> {
    if has_key(entries, "_field") || has_key(entries, "_value") {
        only_keys(entries, &["_field", "_value"], path)?;
        let field = named_field(entries, path)?;
        let value = get(entries, "_value").ok_or_else(|| invalid(path, "missing \"_value\"".to_owned()))?;
        return Ok((field, value));
    }
    match entries {
        [(key, value)] => {
            let field = field_path(key).map_err(|reason| invalid(path, reason))?;
            Ok((field, *value))
        }
        _ => Err(invalid(
            path,
            format!(
                "expects {{\"_field\": <name>, \"_value\": <value>}} or {{\"<field>\": <value>}}, \
                 found {} keys",
                entries.len()
            ),
        )),
    }
}

/// Where the value of a field/value operand sits, for error paths.
fn value_path(entries: &[(&str, &Value)], path: &str) -> String {
    match entries {
        [(key, _)] if *key != "_value" => format!("{path}.{key}"),
        _ => format!("{path}._value"),
    }
}

/// The `_field` entry, which must be a valid field name.
fn named_field(entries: &[(&str, &Value)], path: &str) -> Result<FieldPath, QueryError> {
    let field_key_path = format!("{path}._field");
    match get(entries, "_field") {
        Some(Value::String(name)) => field_path(name).map_err(|reason| invalid(&field_key_path, reason)),
        Some(other) => Err(invalid(&field_key_path, format!("expects a field name, found {}", json_kind(other)))),
        None => Err(invalid(path, "missing \"_field\"".to_owned())),
    }
}

fn operand_entries<'a>(operand: &'a Value, path: &str) -> Result<Vec<(&'a str, &'a Value)>, QueryError> {
    match operand {
        Value::Object(object) => Ok(object.iter().map(|(k, v)| (k.as_str(), v)).collect()),
        other => Err(invalid(
            path,
            format!(
                "expects an object such as {{\"_field\": <name>, \"_value\": <value>}}, found {}",
                json_kind(other)
            ),
        )),
    }
}

fn string_operand(value: &Value, path: &str) -> Result<String, QueryError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(invalid(path, format!("expects a string, found {}", json_kind(other)))),
    }
}

fn only_keys(entries: &[(&str, &Value)], allowed: &[&str], path: &str) -> Result<(), QueryError> {
    match entries.iter().find(|(key, _)| !allowed.contains(key)) {
        None => Ok(()),
        Some((key, _)) => Err(invalid(
            path,
            format!(
                "unexpected key \"{key}\"; expected {}",
                allowed.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn has_key(entries: &[(&str, &Value)], key: &str) -> bool {
    entries.iter().any(|(k, _)| *k == key)
}

fn get<'a>(entries: &[(&str, &'a Value)], key: &str) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn key_list(entries: &[(&str, &Value)]) -> String {
    entries.iter().map(|(key, _)| format!("\"{key}\"")).collect::<Vec<_>>().join(", ")
}

fn invalid(path: &str, reason: String) -> QueryError {
    QueryError::InvalidFilter { path: path.to_owned(), reason }
}
