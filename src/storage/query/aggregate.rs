//! The `aggregation` step (spec §3.7) → SQL, run over the entity set the query built.
//!
//! The set arrives as the id subquery `compile.rs` made for it, so the caller's visibility
//! predicate is already inside it and every statement here only narrows it
//! (`ga.id IN (<set>) AND ...`): an aggregation can never count what the caller may not
//! see. One grouped statement per `field` or `time` level, one per metric; a sub-aggregation
//! (`_select`) runs once per bucket on the bucket's narrowed set.
//!
//! Answer shapes follow ScalliGraph's `Aggregation.scala`: `field` → `{"<value>": {<sub
//! results>}}` (empty values left out); `time` → `{"<bucket start ms>": {"<field>": {<sub
//! results>}}}`; `count` → `{"<name>": n}`; `min`/`max` → `{"<name>": v}`; `avg`/`sum` → a
//! bare number, which a parent bucket stores under the aggregation's name. A bucket holds
//! the union of its sub-results (objects are merged into it, as ScalliGraph does).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value as Json, json};

use super::builder::{Builder, CustomFieldDef, Limits, QueryContext};
use super::catalogue::{EntityDef, FieldType, Resolved, custom_value_column};
use super::{RunError, filter};
use crate::query::QueryError;
use crate::query::ast::{
    Aggregation, AggregationKind, AggregationOrderKey, FieldPath, MetricFunction, Order, TimeUnit,
};
use crate::storage::{Backend, Tx, Value};

/// An entity set: a statement selecting ids, and its bound values.
#[derive(Debug, Clone)]
pub struct IdSet {
    pub sql: String,
    pub args: Vec<Value>,
}

/// What every statement of one aggregation needs.
pub struct Exec<'a> {
    pub backend: Backend,
    pub ctx: &'a QueryContext,
    pub limits: Limits,
    pub custom_fields: &'a HashMap<String, CustomFieldDef>,
    pub def: &'static EntityDef,
}

const ALIAS: &str = "ga";
const DAY_MS: i64 = 86_400_000;

type Boxed<'a> = Pin<Box<dyn Future<Output = Result<Json, RunError>> + Send + 'a>>;

/// Runs a top-level aggregation: always a JSON object.
pub async fn run(exec: &Exec<'_>, tx: &mut Tx, set: IdSet, agg: &Aggregation) -> Result<Json, RunError> {
    let out = eval(exec, tx, set, agg).await?;
    Ok(match out {
        Json::Object(_) => out,
        bare => json!({ name_of(agg): bare }),
    })
}

/// The name a result is stored under in its parent bucket.
fn name_of(agg: &Aggregation) -> String {
    if let Some(name) = &agg.name {
        return name.clone();
    }
    match &agg.kind {
        AggregationKind::Count => "count".to_owned(),
        AggregationKind::Field { field, .. } => format!("field_{field}"),
        AggregationKind::Time { field, .. } => format!("time_{field}"),
        AggregationKind::Metric { function, field } => format!("{}_{field}", function.as_str()),
    }
}

fn eval<'a>(exec: &'a Exec<'a>, tx: &'a mut Tx, set: IdSet, agg: &'a Aggregation) -> Boxed<'a> {
    Box::pin(async move {
        let set = match &agg.filter {
            Some(f) => narrow(exec, &set, |b, a| filter::compile(b, exec.def, a, f))?,
            None => set,
        };
        match &agg.kind {
            AggregationKind::Count => {
                let sql = format!("SELECT COUNT(*) FROM ({}) counted", set.sql);
                let n = tx.fetch_i64(&sql, set.args).await?;
                Ok(json!({ name_of(agg): n }))
            }
            AggregationKind::Metric { function, field } => metric(exec, tx, set, *function, field, agg).await,
            AggregationKind::Field { field, order, size, select } => {
                let target = target(exec, field)?;
                let buckets = field_buckets(exec, tx, &set, &target, order, *size).await?;
                let mut out = Map::new();
                for key in buckets {
                    let sub = match select.is_empty() {
                        true => Map::new(),
                        false => {
                            let narrowed = narrow(exec, &set, |b, a| Ok(target.equals(b, a, &key)))?;
                            bucket(exec, tx, narrowed, select).await?
                        }
                    };
                    out.insert(key.label(), Json::Object(sub));
                }
                Ok(Json::Object(out))
            }
            AggregationKind::Time { field, interval, select } => {
                let target = target(exec, field)?;
                let Target::Scalar { ty: FieldType::Date | FieldType::Integer, .. } = &target else {
                    return Err(QueryError::InvalidParameter {
                        path: "aggregation._fields".to_owned(),
                        reason: format!("\"{field}\" is not a date: a time aggregation needs a date field"),
                    }
                    .into());
                };
                let ranges = time_buckets(exec, tx, &set, &target, interval.amount, interval.unit).await?;
                let mut out = Map::new();
                for (start, end) in ranges {
                    let narrowed = narrow(exec, &set, |b, a| Ok(target.within(b, a, start, end)))?;
                    let sub = bucket(exec, tx, narrowed, select).await?;
                    out.insert(start.to_string(), json!({ field.to_string(): sub }));
                }
                Ok(Json::Object(out))
            }
        }
    })
}

/// The results of `select` over one bucket, merged into one object.
async fn bucket(
    exec: &Exec<'_>,
    tx: &mut Tx,
    set: IdSet,
    select: &[Aggregation],
) -> Result<Map<String, Json>, RunError> {
    let mut acc = Map::new();
    for sub in select {
        match eval(exec, tx, set.clone(), sub).await? {
            Json::Object(m) => acc.extend(m),
            bare => {
                acc.insert(name_of(sub), bare);
            }
        }
    }
    Ok(acc)
}

/// `{set} AND cond`, as a new id set.
fn narrow(
    exec: &Exec<'_>,
    set: &IdSet,
    cond: impl FnOnce(&mut Builder, &str) -> Result<String, QueryError>,
) -> Result<IdSet, QueryError> {
    let mut b = Builder::seeded(exec.backend, exec.ctx, exec.limits, exec.custom_fields, set.args.clone());
    let cond = cond(&mut b, ALIAS)?;
    let sql =
        format!("SELECT {ALIAS}.id FROM {t} {ALIAS} WHERE {ALIAS}.id IN ({}) AND {cond}", set.sql, t = exec.def.table);
    Ok(IdSet { sql, args: b.into_args() })
}

/// What a field aggregates over: one value per row, or a tag set.
enum Target {
    /// Catalogue template (`{t}` for the row alias) and its type.
    Scalar {
        template: String,
        ty: FieldType,
    },
    Tags {
        table: &'static str,
        fk: &'static str,
    },
}

fn target(exec: &Exec<'_>, field: &FieldPath) -> Result<Target, QueryError> {
    Ok(match exec.def.resolve(field)? {
        Resolved::Scalar { sql, ty, .. } => Target::Scalar { template: sql, ty },
        Resolved::Tags { table, fk } => Target::Tags { table, fk },
        Resolved::CustomField { owner_kind, name, kind } => {
            let b = Builder::new(exec.backend, exec.ctx, exec.limits, exec.custom_fields);
            let cf = filter::custom_field(&b, exec.def, field, &name, kind)?;
            let (column, ty) = custom_value_column(cf.kind);
            Target::Scalar {
                template: format!(
                    "(SELECT cat_v.{column} FROM custom_field_value cat_v WHERE cat_v.custom_field_id = {} \
                     AND cat_v.owner_kind = '{owner_kind}' AND cat_v.owner_id = {{t}}.id)",
                    cf.id
                ),
                ty,
            }
        }
    })
}

/// One bucket key of a field aggregation, typed as its column.
#[derive(Debug, Clone)]
enum Key {
    Text(String),
    Int(i64),
    Id(i64),
    Float(f64),
    Bool(bool),
}

impl Key {
    fn label(&self) -> String {
        match self {
            Key::Text(s) => s.clone(),
            Key::Int(n) => n.to_string(),
            Key::Id(n) => crate::ids::render_id(*n),
            Key::Float(f) => f.to_string(),
            Key::Bool(b) => b.to_string(),
        }
    }

    fn value(&self) -> Value {
        match self {
            Key::Text(s) => s.clone().into(),
            Key::Int(n) | Key::Id(n) => (*n).into(),
            Key::Float(f) => (*f).into(),
            Key::Bool(b) => (*b).into(),
        }
    }
}

impl Target {
    fn equals(&self, b: &mut Builder, alias: &str, key: &Key) -> String {
        let p = b.bind(key.value());
        match self {
            Target::Scalar { template, .. } => format!("{} = {p}", b.expr(template, alias)),
            Target::Tags { table, fk } => {
                format!("EXISTS (SELECT 1 FROM {table} agt WHERE agt.{fk} = {alias}.id AND agt.tag = {p})")
            }
        }
    }

    fn within(&self, b: &mut Builder, alias: &str, start: i64, end: i64) -> String {
        let Target::Scalar { template, .. } = self else { return "1 = 0".to_owned() };
        let expr = b.expr(template, alias);
        let (s, e) = (b.bind(start), b.bind(end));
        format!("{expr} >= {s} AND {expr} < {e}")
    }
}

/// The keys of a field aggregation, in the asked order, at most `_size` (and never more
/// than the configured page limit).
async fn field_buckets(
    exec: &Exec<'_>,
    tx: &mut Tx,
    set: &IdSet,
    target: &Target,
    order: &[(AggregationOrderKey, Order)],
    size: Option<u64>,
) -> Result<Vec<Key>, RunError> {
    let mut b = Builder::seeded(exec.backend, exec.ctx, exec.limits, exec.custom_fields, set.args.clone());
    let (key_expr, from, ty) = match target {
        Target::Scalar { template, ty } => {
            let expr = b.expr(template, ALIAS);
            let from =
                format!("{t} {ALIAS} WHERE {ALIAS}.id IN ({}) AND {expr} IS NOT NULL", set.sql, t = exec.def.table);
            (expr, from, *ty)
        }
        Target::Tags { table, fk } => {
            ("agt.tag".to_owned(), format!("{table} agt WHERE agt.{fk} IN ({})", set.sql), FieldType::Text)
        }
    };
    let mut keys: Vec<String> = order
        .iter()
        .map(|(k, o)| {
            let dir = if *o == Order::Desc { "DESC" } else { "ASC" };
            match k {
                AggregationOrderKey::Count => format!("COUNT(*) {dir}"),
                AggregationOrderKey::Key => format!("{key_expr} {dir}"),
            }
        })
        .collect();
    if order.is_empty() {
        keys.push("COUNT(*) DESC".to_owned());
    }
    keys.push(format!("{key_expr} ASC"));
    let limit = size.unwrap_or(exec.limits.max_results).min(exec.limits.max_results);
    let sql =
        format!("SELECT {key_expr} AS k FROM {from} GROUP BY {key_expr} ORDER BY {} LIMIT {limit}", keys.join(", "));
    let rows = tx.fetch_all(&sql, b.into_args()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let key = match ty {
            FieldType::Text | FieldType::Json => Key::Text(r.get("k")?),
            FieldType::Integer | FieldType::Date => Key::Int(r.get("k")?),
            FieldType::Id => Key::Id(r.get("k")?),
            FieldType::Float => Key::Float(r.get("k")?),
            FieldType::Bool => Key::Bool(r.get("k")?),
        };
        // ScalliGraph leaves the empty value out.
        if !matches!(&key, Key::Text(s) if s.is_empty()) {
            out.push(key);
        }
    }
    Ok(out)
}

/// The `[start, end)` ranges of the non-empty buckets of a time aggregation, oldest first.
/// Seconds to days are fixed lengths from the epoch; weeks start on Monday; months and
/// years are calendar ones (UTC), months grouped within their year as ScalliGraph does.
async fn time_buckets(
    exec: &Exec<'_>,
    tx: &mut Tx,
    set: &IdSet,
    target: &Target,
    amount: u64,
    unit: TimeUnit,
) -> Result<Vec<(i64, i64)>, RunError> {
    let Target::Scalar { template, .. } = target else { return Ok(Vec::new()) };
    let n = i64::try_from(amount).unwrap_or(i64::MAX);
    let fixed = |ms: i64| n.saturating_mul(ms);
    let mut b = Builder::seeded(exec.backend, exec.ctx, exec.limits, exec.custom_fields, set.args.clone());
    let expr = b.expr(template, ALIAS);
    // Monday 1969-12-29 is 3 days before the epoch.
    const MONDAY_SHIFT: i64 = 3 * DAY_MS;
    let (key_sql, width) = match unit {
        TimeUnit::Seconds => (None, fixed(1000)),
        TimeUnit::Minutes => (None, fixed(60_000)),
        TimeUnit::Hours => (None, fixed(3_600_000)),
        TimeUnit::Days => (None, fixed(DAY_MS)),
        TimeUnit::Weeks => {
            let w = fixed(7 * DAY_MS);
            (Some(format!("((({expr}) + {MONDAY_SHIFT}) / {w}) * {w} - {MONDAY_SHIFT}")), w)
        }
        TimeUnit::Months | TimeUnit::Years => (Some(format!("({expr}) / {DAY_MS}")), 0),
    };
    let key_sql = key_sql.unwrap_or_else(|| format!("(({expr}) / {width}) * {width}"));
    let cap = exec.limits.max_results;
    let sql = format!(
        "SELECT DISTINCT {key_sql} AS k FROM {t} {ALIAS} WHERE {ALIAS}.id IN ({}) AND {expr} IS NOT NULL ORDER BY k",
        set.sql,
        t = exec.def.table
    );
    let rows = tx.fetch_all(&sql, b.into_args()).await?;
    let mut ranges: Vec<(i64, i64)> = Vec::new();
    for r in rows {
        let k: i64 = r.get("k")?;
        let range = match unit {
            TimeUnit::Months | TimeUnit::Years => calendar_bucket(k, n, unit),
            _ => (k, k.saturating_add(width)),
        };
        if ranges.last() != Some(&range) {
            ranges.push(range);
        }
    }
    if ranges.len() as u64 > cap {
        return Err(QueryError::InvalidParameter {
            path: "aggregation._interval".to_owned(),
            reason: format!("the time aggregation makes more than {cap} buckets; use a larger interval"),
        }
        .into());
    }
    Ok(ranges)
}

/// The month or year bucket of the day `day` (days since the epoch).
fn calendar_bucket(day: i64, n: i64, unit: TimeUnit) -> (i64, i64) {
    let (y, m, _) = civil_from_days(day);
    let start_of = |y: i64, m: i64| days_from_civil(y, m, 1) * DAY_MS;
    if unit == TimeUnit::Years {
        let y0 = y.div_euclid(n) * n;
        return (start_of(y0, 1), start_of(y0 + n, 1));
    }
    let m0 = ((m - 1) / n) * n;
    let end_month = m0 + n;
    let end = if end_month >= 12 { start_of(y + 1, 1) } else { start_of(y, end_month + 1) };
    (start_of(y, m0 + 1), end)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01: (year, month 1..12, day 1..31).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `avg`, `min`, `max`, `sum`: numeric fields only (ScalliGraph's rule; dates count as
/// numbers here since Waggle stores them as milliseconds).
async fn metric(
    exec: &Exec<'_>,
    tx: &mut Tx,
    set: IdSet,
    function: MetricFunction,
    field: &FieldPath,
    agg: &Aggregation,
) -> Result<Json, RunError> {
    let not_numeric = || {
        let name = function.as_str();
        let label = format!("{}{}", name[..1].to_ascii_uppercase(), &name[1..]);
        QueryError::InvalidParameter {
            path: "aggregation._field".to_owned(),
            reason: format!(
                "Property {field} in {} can't be cast to number. {label} aggregation is not applicable",
                exec.def.entity
            ),
        }
    };
    let Target::Scalar { template, ty } = target(exec, field)? else { return Err(not_numeric().into()) };
    let integer = match ty {
        FieldType::Integer | FieldType::Date => true,
        FieldType::Float => false,
        _ => return Err(not_numeric().into()),
    };
    let mut b = Builder::seeded(exec.backend, exec.ctx, exec.limits, exec.custom_fields, set.args.clone());
    let expr = b.expr(&template, ALIAS);
    let sql_fn = match function {
        MetricFunction::Avg => "AVG",
        MetricFunction::Min => "MIN",
        MetricFunction::Max => "MAX",
        MetricFunction::Sum => "SUM",
    };
    let as_int = integer && function != MetricFunction::Avg;
    let cast = if as_int { "BIGINT" } else { "DOUBLE PRECISION" };
    let sql = format!(
        "SELECT CAST({sql_fn}({expr}) AS {cast}) AS v FROM {t} {ALIAS} WHERE {ALIAS}.id IN ({})",
        set.sql,
        t = exec.def.table
    );
    let row = tx.fetch_one(&sql, b.into_args()).await?;
    let value = if as_int { json!(row.get::<Option<i64>>("v")?) } else { json!(row.get::<Option<f64>>("v")?) };
    // A sum over nothing is 0, as a Gremlin sum is.
    let value = match (function, value) {
        (MetricFunction::Sum, Json::Null) => json!(0),
        (_, v) => v,
    };
    Ok(match function {
        MetricFunction::Min | MetricFunction::Max => json!({ name_of(agg): value }),
        MetricFunction::Avg | MetricFunction::Sum => value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for day in [-800_000, -1, 0, 59, 11_016, 19_000, 20_454, 2_932_896] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn calendar_buckets() {
        // 2024-08-15: 3-month buckets within the year start in July; years by 10.
        let day = days_from_civil(2024, 8, 15);
        assert_eq!(
            calendar_bucket(day, 3, TimeUnit::Months),
            (days_from_civil(2024, 7, 1) * DAY_MS, days_from_civil(2024, 10, 1) * DAY_MS)
        );
        assert_eq!(calendar_bucket(day, 5, TimeUnit::Months).1, days_from_civil(2024, 11, 1) * DAY_MS);
        let nov = days_from_civil(2024, 11, 15);
        assert_eq!(calendar_bucket(nov, 5, TimeUnit::Months).1, days_from_civil(2025, 1, 1) * DAY_MS);
        assert_eq!(
            calendar_bucket(day, 10, TimeUnit::Years),
            (days_from_civil(2020, 1, 1) * DAY_MS, days_from_civil(2030, 1, 1) * DAY_MS)
        );
    }
}
