//! Filter expressions (spec §3.4) → an SQL boolean over one row.
//!
//! Semantics, chosen to give TheHive's graph answers with SQL's three-valued logic:
//! - a comparison holds only when the property is present, so `_not` of it also selects
//!   rows where the property is absent (`{"_not": {"_eq": {"assignee": "x"}}}` includes
//!   unassigned cases), and `_ne` requires the property (Gremlin's `has(k, neq(v))`);
//! - `tags` match if any element matches; `_ne` on tags means "has not this tag";
//! - `_like`, `_wildcard`, `_startsWith`, `_endsWith` and `_match` ignore case (ASCII case
//!   only on SQLite); `_like` treats a leading/trailing `*` as wildcards, `_wildcard` also
//!   `*` and `?` inside;
//! - `_match` requires every whitespace-separated token as a substring;
//! - `_string` is a full-text query on entities with an index (fulltext.rs), and matches
//!   everything on the others, as TheHive 4 does.

use super::builder::Builder;
use super::catalogue::{EntityDef, FieldType, Resolved, custom_value_column};
use super::dialect;
use super::fulltext;
use crate::query::QueryError;
use crate::query::ast::{FieldPath, Filter, LikeMatch, Scalar};
use crate::storage::Value;

const TRUE: &str = "1 = 1";
const FALSE: &str = "1 = 0";

/// Compiles `filter` for the row `alias` of entity `def`.
pub fn compile(b: &mut Builder, def: &EntityDef, alias: &str, filter: &Filter) -> Result<String, QueryError> {
    let sql = match filter {
        Filter::Any => TRUE.to_owned(),
        Filter::And(items) | Filter::Or(items) if items.is_empty() => FALSE.to_owned(),
        Filter::And(items) => join(b, def, alias, items, " AND ")?,
        Filter::Or(items) => join(b, def, alias, items, " OR ")?,
        Filter::Not(inner) => format!("NOT ({})", compile(b, def, alias, inner)?),
        Filter::Eq { field, value } => compare(b, def, alias, field, "=", value)?,
        Filter::Ne { field, value } => compare(b, def, alias, field, "<>", value)?,
        Filter::Lt { field, value } => compare(b, def, alias, field, "<", value)?,
        Filter::Lte { field, value } => compare(b, def, alias, field, "<=", value)?,
        Filter::Gt { field, value } => compare(b, def, alias, field, ">", value)?,
        Filter::Gte { field, value } => compare(b, def, alias, field, ">=", value)?,
        Filter::In { field, values } => within(b, def, alias, field, values)?,
        Filter::Between { field, from, to } => between(b, def, alias, field, from.as_ref(), to.as_ref())?,
        Filter::Like { field, pattern } => {
            let pattern = match LikeMatch::classify(pattern) {
                LikeMatch::Contains(s) => format!("%{}%", dialect::like_escape(s)),
                LikeMatch::StartsWith(s) => format!("{}%", dialect::like_escape(s)),
                LikeMatch::EndsWith(s) => format!("%{}", dialect::like_escape(s)),
                LikeMatch::Exact(s) => dialect::like_escape(s),
            };
            like(b, def, alias, field, pattern)?
        }
        Filter::Wildcard { field, pattern } => like(b, def, alias, field, wildcard_pattern(pattern))?,
        Filter::StartsWith { field, value } => like(b, def, alias, field, format!("{}%", dialect::like_escape(value)))?,
        Filter::EndsWith { field, value } => like(b, def, alias, field, format!("%{}", dialect::like_escape(value)))?,
        Filter::Match { field, value } => {
            let tokens: Vec<&str> = value.split_whitespace().collect();
            if tokens.is_empty() {
                return Err(QueryError::FieldType { field: field.to_string(), expected: "words to match".into() });
            }
            let parts = tokens
                .into_iter()
                .map(|t| like(b, def, alias, field, format!("%{}%", dialect::like_escape(t))))
                .collect::<Result<Vec<_>, _>>()?;
            format!("({})", parts.join(" AND "))
        }
        Filter::Contains { field } => present(b, def, alias, field)?,
        Filter::Id(ids) => {
            let ids = ids
                .iter()
                .map(|raw| {
                    crate::ids::parse_id(raw)
                        .ok_or_else(|| QueryError::FieldType { field: "_id".into(), expected: Id.expected().into() })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let list: Vec<String> = ids.into_iter().map(|id| b.bind(id)).collect();
            format!("{alias}.id IN ({})", list.join(", "))
        }
        Filter::Text(query) => match def.fulltext {
            Some(index) => fulltext::predicate(b, index, alias, query)?.unwrap_or_else(|| TRUE.to_owned()),
            None => TRUE.to_owned(),
        },
    };
    Ok(sql)
}

use FieldType::Id;

fn join(b: &mut Builder, def: &EntityDef, alias: &str, items: &[Filter], op: &str) -> Result<String, QueryError> {
    let parts = items.iter().map(|f| compile(b, def, alias, f)).collect::<Result<Vec<_>, _>>()?;
    Ok(format!("({})", parts.join(op)))
}

/// One property of the row, ready for a predicate.
enum Target {
    /// An expression; `nullable` says whether it may be absent.
    Scalar { sql: String, ty: FieldType, nullable: bool },
    /// A property kept in another table, tested with
    /// `EXISTS (SELECT 1 FROM <table> x WHERE x.<owner> = {alias}.id AND <cond on value>)`;
    /// `multi` for sets (tags), false for custom fields (one value per owner). EXISTS rather
    /// than `id IN (...)`: a newest-first page then walks the sort index and probes the
    /// owner's primary key until the page is full (SQLite cannot choose by itself; for
    /// PostgreSQL both are the same semi-join).
    Set { select: String, value: &'static str, ty: FieldType, multi: bool },
}

fn target(b: &mut Builder, def: &EntityDef, alias: &str, field: &FieldPath) -> Result<Target, QueryError> {
    Ok(match def.resolve(field)? {
        Resolved::Scalar { sql, ty, nullable } => Target::Scalar { sql: b.expr(&sql, alias), ty, nullable },
        Resolved::Tags { table, fk } => Target::Set {
            select: format!("SELECT 1 FROM {table} x WHERE x.{fk} = {alias}.id AND"),
            value: "x.tag",
            ty: FieldType::Text,
            multi: true,
        },
        Resolved::CustomField { owner_kind, name, kind } => {
            let cf = custom_field(b, def, field, &name, kind)?;
            let (column, ty) = custom_value_column(cf.kind);
            let select = format!(
                "SELECT 1 FROM custom_field_value x WHERE x.owner_kind = '{owner_kind}' AND x.owner_id = {alias}.id \
                 AND x.custom_field_id = {} AND",
                cf.id
            );
            Target::Set { select, value: column_of(column), ty, multi: false }
        }
    })
}

/// `x.<column>` for a custom field value column (static strings only).
fn column_of(column: &'static str) -> &'static str {
    match column {
        "string_value" => "x.string_value",
        "integer_value" => "x.integer_value",
        "float_value" => "x.float_value",
        "boolean_value" => "x.boolean_value",
        _ => "x.date_value",
    }
}

/// The stored definition of a custom field named in the query; an unknown name, or a
/// `customFields.<name>.<type>` whose type is not the field's, is an unknown property.
pub fn custom_field(
    b: &Builder,
    def: &EntityDef,
    field: &FieldPath,
    name: &str,
    kind: Option<crate::query::ast::CustomFieldType>,
) -> Result<super::builder::CustomFieldDef, QueryError> {
    match b.custom_fields.get(name) {
        Some(cf) if kind.is_none_or(|k| k == cf.kind) => Ok(*cf),
        _ => Err(QueryError::UnknownField { field: field.to_string(), entity: def.entity }),
    }
}

fn compare(
    b: &mut Builder,
    def: &EntityDef,
    alias: &str,
    field: &FieldPath,
    op: &str,
    value: &Scalar,
) -> Result<String, QueryError> {
    let target = target(b, def, alias, field)?;
    if matches!(value, Scalar::Null) {
        let negate = match op {
            "=" => false,
            "<>" => true,
            _ => return Err(type_error(field, "a value to compare with, not null")),
        };
        return Ok(match (target, negate) {
            (Target::Scalar { sql, .. }, false) => format!("{sql} IS NULL"),
            (Target::Scalar { sql, .. }, true) => format!("{sql} IS NOT NULL"),
            (Target::Set { select, value, .. }, false) => format!("NOT EXISTS ({select} {value} IS NOT NULL)"),
            (Target::Set { select, value, .. }, true) => format!("EXISTS ({select} {value} IS NOT NULL)"),
        });
    }
    Ok(match target {
        Target::Scalar { sql, ty, nullable } => {
            let v = literal(field, ty, value)?;
            let p = b.bind(v);
            guard(&sql, nullable, format!("{sql} {op} {p}"))
        }
        Target::Set { select, value: column, ty, multi } => {
            let v = literal(field, ty, value)?;
            let p = b.bind(v);
            match (op, multi) {
                // "has not this tag", not "has a tag other than this one".
                ("<>", true) => format!("NOT EXISTS ({select} {column} = {p})"),
                _ => format!("EXISTS ({select} {column} {op} {p})"),
            }
        }
    })
}

/// A comparison on a nullable expression also requires the value to be present, so that
/// its negation selects the rows without it.
fn guard(sql: &str, nullable: bool, predicate: String) -> String {
    if nullable { format!("({sql} IS NOT NULL AND {predicate})") } else { predicate }
}

fn within(
    b: &mut Builder,
    def: &EntityDef,
    alias: &str,
    field: &FieldPath,
    values: &[Scalar],
) -> Result<String, QueryError> {
    let target = target(b, def, alias, field)?;
    if values.is_empty() {
        return Ok(FALSE.to_owned());
    }
    let ty = match &target {
        Target::Scalar { ty, .. } | Target::Set { ty, .. } => *ty,
    };
    let mut list = Vec::with_capacity(values.len());
    for value in values {
        if matches!(value, Scalar::Null) {
            return Err(type_error(field, ty.expected()));
        }
        let v = literal(field, ty, value)?;
        list.push(b.bind(v));
    }
    let list = list.join(", ");
    Ok(match target {
        Target::Scalar { sql, nullable, .. } => guard(&sql, nullable, format!("{sql} IN ({list})")),
        Target::Set { select, value, .. } => format!("EXISTS ({select} {value} IN ({list}))"),
    })
}

fn between(
    b: &mut Builder,
    def: &EntityDef,
    alias: &str,
    field: &FieldPath,
    from: Option<&Scalar>,
    to: Option<&Scalar>,
) -> Result<String, QueryError> {
    let target = target(b, def, alias, field)?;
    let (expr, ty) = match &target {
        Target::Scalar { sql, ty, .. } => (sql.clone(), *ty),
        Target::Set { value, ty, .. } => ((*value).to_owned(), *ty),
    };
    let mut parts = Vec::new();
    for (bound, op) in [(from, ">="), (to, "<")] {
        match bound {
            None | Some(Scalar::Null) => {}
            Some(value) => {
                let v = literal(field, ty, value)?;
                let p = b.bind(v);
                parts.push(format!("{expr} {op} {p}"));
            }
        }
    }
    let predicate = parts.join(" AND ");
    Ok(match target {
        Target::Scalar { sql, nullable, .. } => guard(&sql, nullable, format!("({predicate})")),
        Target::Set { select, .. } => format!("EXISTS ({select} {predicate})"),
    })
}

/// `_wildcard`: `*` is any run of characters, `?` any one character.
fn wildcard_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '*' => out.push('%'),
            '?' => out.push('_'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn like(
    b: &mut Builder,
    def: &EntityDef,
    alias: &str,
    field: &FieldPath,
    pattern: String,
) -> Result<String, QueryError> {
    let target = target(b, def, alias, field)?;
    let ty = match &target {
        Target::Scalar { ty, .. } | Target::Set { ty, .. } => *ty,
    };
    if !ty.is_text() {
        return Err(type_error(field, "a text property for a text operator"));
    }
    let p = b.bind(pattern);
    Ok(match target {
        Target::Scalar { sql, nullable, .. } => guard(&sql, nullable, dialect::ilike(b.backend, &sql, &p)),
        Target::Set { select, value, .. } => {
            format!("EXISTS ({select} {})", dialect::ilike(b.backend, value, &p))
        }
    })
}

/// `_contains` / `_has`: the property has a value.
fn present(b: &mut Builder, def: &EntityDef, alias: &str, field: &FieldPath) -> Result<String, QueryError> {
    Ok(match target(b, def, alias, field)? {
        Target::Scalar { sql, .. } => format!("{sql} IS NOT NULL"),
        // A tag set is present when it has an element; a custom field when the case has it.
        Target::Set { select, .. } => format!("EXISTS ({select} 1 = 1)"),
    })
}

fn type_error(field: &FieldPath, expected: &str) -> QueryError {
    QueryError::FieldType { field: field.to_string(), expected: expected.to_owned() }
}

/// Converts a JSON scalar to the property's type, as TheHive parses values with the
/// property's type: numbers may come as numeric strings, dates as milliseconds, ids as
/// `~123`. Anything else is a 400 naming the field.
pub fn literal(field: &FieldPath, ty: FieldType, value: &Scalar) -> Result<Value, QueryError> {
    let wrong = || type_error(field, ty.expected());
    let v = match (ty, value) {
        (FieldType::Text | FieldType::Json, Scalar::Str(s)) => Value::from(s.as_str()),
        (FieldType::Integer | FieldType::Date, Scalar::Int(i)) => Value::from(*i),
        (FieldType::Integer, Scalar::Float(f)) => Value::from(*f),
        (FieldType::Date, Scalar::Float(f)) if f.fract() == 0.0 && f.is_finite() => {
            Value::from(format!("{f:.0}").parse::<i64>().map_err(|_| wrong())?)
        }
        (FieldType::Integer | FieldType::Date, Scalar::Str(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Value::from(i),
            Err(_) if ty == FieldType::Integer => Value::from(s.trim().parse::<f64>().map_err(|_| wrong())?),
            Err(_) => return Err(wrong()),
        },
        (FieldType::Float, Scalar::Float(f)) => Value::from(*f),
        (FieldType::Float, Scalar::Int(i)) => Value::from(*i as f64),
        (FieldType::Float, Scalar::Str(s)) => Value::from(s.trim().parse::<f64>().map_err(|_| wrong())?),
        (FieldType::Bool, Scalar::Bool(v)) => Value::from(*v),
        (FieldType::Bool, Scalar::Str(s)) => match s.as_str() {
            "true" | "True" | "1" => Value::from(true),
            "false" | "False" | "0" => Value::from(false),
            _ => return Err(wrong()),
        },
        (FieldType::Bool, Scalar::Int(i @ (0 | 1))) => Value::from(*i == 1),
        (FieldType::Id, Scalar::Str(s)) => Value::from(crate::ids::parse_id(s).ok_or_else(wrong)?),
        (FieldType::Id, Scalar::Int(i)) if *i > 0 => Value::from(*i),
        _ => return Err(wrong()),
    };
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_follow_the_property_type() {
        let f = FieldPath::Plain("severity".into());
        assert_eq!(literal(&f, FieldType::Integer, &Scalar::Int(3)).unwrap(), Value::from(3i64));
        assert_eq!(literal(&f, FieldType::Integer, &Scalar::Str("3".into())).unwrap(), Value::from(3i64));
        let err = literal(&f, FieldType::Integer, &Scalar::Str("high".into())).unwrap_err();
        assert_eq!(err.to_string(), "Field \"severity\" expects a number");
        assert_eq!(literal(&f, FieldType::Id, &Scalar::Str("~12".into())).unwrap(), Value::from(12i64));
        assert!(literal(&f, FieldType::Id, &Scalar::Str("12x".into())).is_err());
        assert!(literal(&f, FieldType::Text, &Scalar::Int(1)).is_err());
        assert_eq!(literal(&f, FieldType::Bool, &Scalar::Str("true".into())).unwrap(), Value::from(true));
    }

    #[test]
    fn wildcards() {
        assert_eq!(wildcard_pattern("a*b?c%"), "a%b_c\\%");
    }
}
