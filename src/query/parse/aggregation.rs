//! The `aggregation` step (spec §3.7): JSON → [`Aggregation`].
//!
//! Kinds: `field`, `count`, `time` (which nest through `_select`) and the
//! metrics `avg`, `min`, `max`, `sum`. Each may carry a `_query` filter.

use serde_json::Value;

use super::{MAX_DEPTH, Object, clip, field_path, filter, json_kind, quote, show};
use crate::query::ast::{
    Aggregation, AggregationKind, AggregationOrderKey, FieldPath, Interval, MetricFunction, Order, TimeUnit,
};
use crate::query::error::QueryError;

/// The step itself: `{"_name": "aggregation", "_agg": "field", ...}`. Its
/// `_name` is the step name, so a top-level aggregation has no own name.
pub(super) fn parse_top(params: &Object, path: &str) -> Result<Aggregation, QueryError> {
    parse(params, path, 0, false)
}

fn parse(params: &Object, path: &str, depth: usize, named: bool) -> Result<Aggregation, QueryError> {
    if depth > MAX_DEPTH {
        return Err(QueryError::TooDeep { path: path.to_owned(), limit: MAX_DEPTH });
    }
    let agg = match params.get("_agg") {
        Some(Value::String(agg)) => agg.as_str(),
        Some(other) => {
            return Err(invalid(
                &format!("{path}._agg"),
                format!("expects an aggregation kind, found {}", json_kind(other)),
            ));
        }
        None => return Err(invalid(path, "missing \"_agg\"".to_owned())),
    };
    let name = if named {
        match params.get("_name") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name.clone()),
            Some(other) => {
                return Err(invalid(&format!("{path}._name"), format!("expects a string, found {}", json_kind(other))));
            }
        }
    } else {
        None
    };
    let filter = match params.get("_query") {
        None | Some(Value::Null) => None,
        Some(query) => Some(filter::parse_filter_at(query, &format!("{path}._query"), depth + 1)?),
    };
    let kind = match agg {
        "field" => {
            let field = required_field(params, "_field", path)?;
            AggregationKind::Field {
                order: orders(params, &field, path)?,
                size: size(params, path)?,
                select: select(params, path, depth)?,
                field,
            }
        }
        "count" => AggregationKind::Count,
        "time" => AggregationKind::Time {
            field: time_field(params, path)?,
            interval: interval(params, path)?,
            select: select(params, path, depth)?,
        },
        "avg" | "min" | "max" | "sum" => AggregationKind::Metric {
            function: match agg {
                "avg" => MetricFunction::Avg,
                "min" => MetricFunction::Min,
                "max" => MetricFunction::Max,
                _ => MetricFunction::Sum,
            },
            field: required_field(params, "_field", path)?,
        },
        other => {
            return Err(invalid(
                &format!("{path}._agg"),
                format!("unknown aggregation \"{}\"; expected field, count, time, avg, min, max or sum", clip(other)),
            ));
        }
    };
    Ok(Aggregation { name, filter, kind })
}

/// `_select`: sub-aggregations computed per bucket.
fn select(params: &Object, path: &str, depth: usize) -> Result<Vec<Aggregation>, QueryError> {
    let select_path = format!("{path}._select");
    let items = match params.get("_select") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(invalid(&select_path, format!("expects an array of aggregations, found {}", json_kind(other))));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let item_path = format!("{select_path}[{i}]");
            match item {
                Value::Object(sub) => parse(sub, &item_path, depth + 1, true),
                other => Err(invalid(&item_path, format!("expects an aggregation object, found {}", json_kind(other)))),
            }
        })
        .collect()
}

/// `_order`: `"-count"`, `"status"` or a list of those. Only the grouped
/// field and `count` can order buckets (§3.7).
fn orders(params: &Object, field: &FieldPath, path: &str) -> Result<Vec<(AggregationOrderKey, Order)>, QueryError> {
    let order_path = format!("{path}._order");
    let specs: Vec<&Value> = match params.get("_order") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    let field_name = field.to_string();
    specs
        .into_iter()
        .map(|spec| {
            let Value::String(spec) = spec else {
                return Err(invalid(
                    &order_path,
                    format!("expects \"[+-]count\" or \"[+-]<field>\", found {}", json_kind(spec)),
                ));
            };
            let (key, order) = match (spec.strip_prefix('-'), spec.strip_prefix('+')) {
                (Some(key), _) => (key, Order::Desc),
                (_, Some(key)) => (key, Order::Asc),
                _ => (spec.as_str(), Order::Asc),
            };
            let key = if key == "count" {
                AggregationOrderKey::Count
            } else if key == field_name {
                AggregationOrderKey::Key
            } else {
                return Err(invalid(
                    &order_path,
                    format!("can only order by \"count\" or \"{field_name}\", not \"{key}\""),
                ));
            };
            Ok((key, order))
        })
        .collect()
}

fn size(params: &Object, path: &str) -> Result<Option<u64>, QueryError> {
    match params.get("_size") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or_else(|| {
            invalid(&format!("{path}._size"), format!("expects a non-negative integer, found {}", show(value)))
        }),
    }
}

/// `_fields`: a list holding the one date field (4.x shape); a plain
/// `_field` string is accepted as well.
fn time_field(params: &Object, path: &str) -> Result<FieldPath, QueryError> {
    if params.contains_key("_field") && !params.contains_key("_fields") {
        return required_field(params, "_field", path);
    }
    let fields_path = format!("{path}._fields");
    match params.get("_fields") {
        Some(Value::Array(items)) => match items.as_slice() {
            [Value::String(name)] => field_path(name).map_err(|reason| invalid(&format!("{fields_path}[0]"), reason)),
            _ => Err(invalid(&fields_path, "expects an array holding exactly one field name".to_owned())),
        },
        Some(other) => {
            Err(invalid(&fields_path, format!("expects an array holding one field name, found {}", json_kind(other))))
        }
        None => Err(invalid(path, "missing \"_fields\"".to_owned())),
    }
}

/// `_interval`: `"1d"` (units `s m h d w M y`), or a number with `_unit`
/// (`"DAYS"`, ...).
fn interval(params: &Object, path: &str) -> Result<Interval, QueryError> {
    let interval_path = format!("{path}._interval");
    let (amount, unit) = match params.get("_interval") {
        Some(Value::String(spec)) => {
            let digits = spec.len() - spec.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let (number, unit) = spec.split_at_checked(digits).unwrap_or((spec, ""));
            let unit = match unit {
                "s" => TimeUnit::Seconds,
                "m" => TimeUnit::Minutes,
                "h" => TimeUnit::Hours,
                "d" => TimeUnit::Days,
                "w" => TimeUnit::Weeks,
                "M" => TimeUnit::Months,
                "y" => TimeUnit::Years,
                _ => {
                    return Err(invalid(
                        &interval_path,
                        format!("expects <number><unit> with a unit among s, m, h, d, w, M, y, found {}", quote(spec)),
                    ));
                }
            };
            let amount = number.parse::<u64>().map_err(|_| {
                invalid(&interval_path, format!("expects <number><unit> such as \"1d\", found {}", quote(spec)))
            })?;
            (amount, unit)
        }
        Some(Value::Number(number)) => {
            let amount = number
                .as_u64()
                .ok_or_else(|| invalid(&interval_path, format!("expects a non-negative integer, found {number}")))?;
            (amount, chrono_unit(params, path)?)
        }
        Some(other) => {
            return Err(invalid(
                &interval_path,
                format!("expects a string such as \"1d\", found {}", json_kind(other)),
            ));
        }
        None => return Err(invalid(path, "missing \"_interval\"".to_owned())),
    };
    if amount == 0 {
        return Err(invalid(&interval_path, "must be at least 1".to_owned()));
    }
    Ok(Interval { amount, unit })
}

/// `_unit`: a Java `ChronoUnit` name, as 4.x reads it.
fn chrono_unit(params: &Object, path: &str) -> Result<TimeUnit, QueryError> {
    let unit_path = format!("{path}._unit");
    let Some(value) = params.get("_unit") else {
        return Err(invalid(path, "a numeric \"_interval\" needs \"_unit\"".to_owned()));
    };
    let unit = value.as_str().map(str::to_ascii_uppercase);
    match unit.as_deref() {
        Some("SECONDS") => Ok(TimeUnit::Seconds),
        Some("MINUTES") => Ok(TimeUnit::Minutes),
        Some("HOURS") => Ok(TimeUnit::Hours),
        Some("DAYS") => Ok(TimeUnit::Days),
        Some("WEEKS") => Ok(TimeUnit::Weeks),
        Some("MONTHS") => Ok(TimeUnit::Months),
        Some("YEARS") => Ok(TimeUnit::Years),
        _ => Err(invalid(
            &unit_path,
            format!("expects one of SECONDS, MINUTES, HOURS, DAYS, WEEKS, MONTHS, YEARS, found {}", show(value)),
        )),
    }
}

fn required_field(params: &Object, key: &str, path: &str) -> Result<FieldPath, QueryError> {
    let key_path = format!("{path}.{key}");
    match params.get(key) {
        Some(Value::String(name)) => field_path(name).map_err(|reason| invalid(&key_path, reason)),
        Some(other) => Err(invalid(&key_path, format!("expects a field name, found {}", json_kind(other)))),
        None => Err(invalid(path, format!("missing \"{key}\""))),
    }
}

fn invalid(path: &str, reason: String) -> QueryError {
    QueryError::InvalidParameter { path: path.to_owned(), reason }
}
