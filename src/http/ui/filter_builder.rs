//! The advanced filter builder shown on every list: rows of "field, operator, value", each
//! joined to the row before it by "and" or "or". "and" binds tighter, as in SQL, so the
//! rows read as OR groups of AND conditions (`a and b or c` is `(a and b) or c`); the list
//! ANDs the whole with its own quick filters. The rows travel in the list's URL as
//! repeated `aj` (join), `af` (field), `ao` (operator), `av` (value) parameters, so a
//! filtered list can be bookmarked and paginated, and the form works without the script
//! (an empty row is always offered; submitting adds it). Rows compile to TheHive query DSL
//! filters only (`_or` of `_and`), and
//! the list runs them through the one query service (same compiler, same visibility);
//! each list names the fields it offers, so a row can never reach a field the list does
//! not show. Nothing here writes SQL.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::{Value, json};

use super::listing;
use crate::error::ApiError;

/// How a field's value is typed in and compared.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Text,
    Number,
    /// A `YYYY-MM-DD` day (UTC).
    Date,
    Bool,
    /// A list of strings: "is" means "has this tag".
    Tags,
}

/// A field a list offers in its builder: DSL name, label, kind.
pub struct FieldDef {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
}

const fn f(name: &'static str, label: &'static str, kind: Kind) -> FieldDef {
    FieldDef { name, label, kind }
}

/// The alert queue's fields.
pub const ALERT_FIELDS: &[FieldDef] = &[
    f("title", "Title", Kind::Text),
    f("description", "Description", Kind::Text),
    f("source", "Source", Kind::Text),
    f("type", "Type", Kind::Text),
    f("sourceRef", "Reference", Kind::Text),
    f("status", "Status", Kind::Text),
    f("severity", "Severity (1-4)", Kind::Number),
    f("tlp", "TLP (0-4)", Kind::Number),
    f("pap", "PAP (0-3)", Kind::Number),
    f("tags", "Tag", Kind::Tags),
    f("assignee", "Assignee", Kind::Text),
    f("date", "Date", Kind::Date),
    f("read", "Read", Kind::Bool),
    f("follow", "Followed", Kind::Bool),
    f("observableCount", "Observables", Kind::Number),
    f("_createdAt", "Created", Kind::Date),
    f("_createdBy", "Created by", Kind::Text),
];

/// The case list's fields.
pub const CASE_FIELDS: &[FieldDef] = &[
    f("title", "Title", Kind::Text),
    f("description", "Description", Kind::Text),
    f("number", "Number", Kind::Number),
    f("status", "Status", Kind::Text),
    f("stage", "Stage", Kind::Text),
    f("severity", "Severity (1-4)", Kind::Number),
    f("tlp", "TLP (0-4)", Kind::Number),
    f("pap", "PAP (0-3)", Kind::Number),
    f("tags", "Tag", Kind::Tags),
    f("assignee", "Assignee", Kind::Text),
    f("flag", "Flagged", Kind::Bool),
    f("startDate", "Start date", Kind::Date),
    f("endDate", "End date", Kind::Date),
    f("resolutionStatus", "Resolution", Kind::Text),
    f("impactStatus", "Impact", Kind::Text),
    f("summary", "Summary", Kind::Text),
    f("_createdAt", "Created", Kind::Date),
    f("_createdBy", "Created by", Kind::Text),
];

/// "My tasks": the task tables' fields.
pub const TASK_FIELDS: &[FieldDef] = &[
    f("title", "Title", Kind::Text),
    f("group", "Group", Kind::Text),
    f("description", "Description", Kind::Text),
    f("status", "Status", Kind::Text),
    f("assignee", "Assignee", Kind::Text),
    f("flag", "Flagged", Kind::Bool),
    f("mandatory", "Mandatory", Kind::Bool),
    f("startDate", "Started", Kind::Date),
    f("dueDate", "Due", Kind::Date),
    f("_createdAt", "Created", Kind::Date),
];

/// The observable list's fields.
pub const OBSERVABLE_FIELDS: &[FieldDef] = &[
    f("dataType", "Type", Kind::Text),
    f("data", "Value", Kind::Text),
    f("message", "Description", Kind::Text),
    f("tags", "Tag", Kind::Tags),
    f("ioc", "IOC", Kind::Bool),
    f("sighted", "Sighted", Kind::Bool),
    f("tlp", "TLP (0-4)", Kind::Number),
    f("attachment.name", "File name", Kind::Text),
    f("_createdAt", "Created", Kind::Date),
    f("_createdBy", "Created by", Kind::Text),
];

/// Administration: users of an organisation.
pub const USER_FIELDS: &[FieldDef] = &[
    f("login", "Login", Kind::Text),
    f("name", "Name", Kind::Text),
    f("email", "Email", Kind::Text),
    f("type", "Type", Kind::Text),
    f("locked", "Locked", Kind::Bool),
    f("hasKey", "Has an API key", Kind::Bool),
    f("hasMFA", "Has 2FA", Kind::Bool),
    f("_createdAt", "Created", Kind::Date),
];

/// Administration: organisations.
pub const ORGANISATION_FIELDS: &[FieldDef] = &[
    f("name", "Name", Kind::Text),
    f("description", "Description", Kind::Text),
    f("locked", "Locked", Kind::Bool),
    f("_createdAt", "Created", Kind::Date),
];

/// Administration: profiles.
pub const PROFILE_FIELDS: &[FieldDef] = &[
    f("name", "Name", Kind::Text),
    // Stored as a JSON list: "contains manageCase" is the useful question.
    f("permissions", "Permissions", Kind::Text),
    f("_createdAt", "Created", Kind::Date),
];

/// Administration: custom field definitions.
pub const CUSTOM_FIELD_FIELDS: &[FieldDef] = &[
    f("name", "Name", Kind::Text),
    f("displayName", "Display name", Kind::Text),
    f("group", "Group", Kind::Text),
    f("description", "Description", Kind::Text),
    f("type", "Type", Kind::Text),
    f("mandatory", "Mandatory", Kind::Bool),
];

/// Administration: case templates.
pub const CASE_TEMPLATE_FIELDS: &[FieldDef] = &[
    f("name", "Name", Kind::Text),
    f("displayName", "Display name", Kind::Text),
    f("titlePrefix", "Title prefix", Kind::Text),
    f("description", "Description", Kind::Text),
    f("severity", "Severity (1-4)", Kind::Number),
    f("tlp", "TLP (0-4)", Kind::Number),
    f("tags", "Tag", Kind::Tags),
    f("flag", "Flagged", Kind::Bool),
];

/// Administration: observable types.
pub const OBSERVABLE_TYPE_FIELDS: &[FieldDef] =
    &[f("name", "Name", Kind::Text), f("isAttachment", "Is a file", Kind::Bool)];

/// Administration: the ATT&CK catalogue.
pub const PATTERN_FIELDS: &[FieldDef] = &[
    f("patternId", "ATT&CK id", Kind::Text),
    f("name", "Name", Kind::Text),
    f("description", "Description", Kind::Text),
    // Stored as JSON lists: "contains" is the useful question.
    f("tactics", "Tactics", Kind::Text),
    f("platforms", "Platforms", Kind::Text),
    f("patternType", "Type", Kind::Text),
    f("revoked", "Revoked", Kind::Bool),
];

/// How a row joins the one before it: (code, label).
pub const JOINS: &[(&str, &str)] = &[("and", "and"), ("or", "or")];

/// Operators: (code, label). Which apply to which kind is `applies`.
pub const OPERATORS: &[(&str, &str)] = &[
    ("is", "is"),
    ("not", "is not"),
    ("contains", "contains"),
    ("starts", "starts with"),
    ("gt", ">"),
    ("gte", "≥"),
    ("lt", "<"),
    ("lte", "≤"),
    ("before", "before"),
    ("since", "on or after"),
    ("set", "is set"),
    ("unset", "is not set"),
];

fn applies(kind: Kind, op: &str) -> bool {
    match kind {
        Kind::Text => matches!(op, "is" | "not" | "contains" | "starts" | "set" | "unset"),
        Kind::Number => matches!(op, "is" | "not" | "gt" | "gte" | "lt" | "lte" | "set" | "unset"),
        Kind::Date => matches!(op, "is" | "before" | "since" | "set" | "unset"),
        Kind::Bool => matches!(op, "is" | "not"),
        Kind::Tags => matches!(op, "is" | "not"),
    }
}

/// One row as typed.
#[derive(Clone, Debug, Default)]
pub struct Condition {
    /// `and` or `or`: how the row joins the one before it (ignored on the first row).
    pub join: String,
    pub field: String,
    pub op: String,
    pub value: String,
}

/// The builder's rows of this request (extracted from the query string).
#[derive(Clone, Debug, Default)]
pub struct Advanced {
    pub rows: Vec<Condition>,
}

/// At most this many rows are read (a URL is not a place for a program).
const MAX_ROWS: usize = 20;

impl Advanced {
    pub fn parse(query: &str) -> Advanced {
        let mut joins = Vec::new();
        let mut fields = Vec::new();
        let mut ops = Vec::new();
        let mut values = Vec::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "aj" => joins.push(v.into_owned()),
                "af" => fields.push(v.into_owned()),
                "ao" => ops.push(v.into_owned()),
                "av" => values.push(v.into_owned()),
                _ => {}
            }
        }
        let rows = fields
            .into_iter()
            .enumerate()
            .map(|(i, field)| Condition {
                join: joins.get(i).map(|s| s.trim().to_owned()).unwrap_or_default(),
                field: field.trim().to_owned(),
                op: ops.get(i).map(|s| s.trim().to_owned()).unwrap_or_default(),
                value: values.get(i).map(|s| s.trim().to_owned()).unwrap_or_default(),
            })
            // A row without a field is the empty row the form always offers.
            .filter(|c| !c.field.is_empty())
            .take(MAX_ROWS)
            .collect();
        Advanced { rows }
    }

    /// The rows as DSL filters for the list to AND with its own, checked against the
    /// list's `fields`: the rows themselves when they are all joined by "and", else one
    /// `_or` of the AND groups. A refusal names the row so the list can show it next to
    /// the builder.
    pub fn filters(&self, fields: &[FieldDef]) -> Result<Vec<Value>, ApiError> {
        let mut groups: Vec<Vec<Value>> = Vec::new();
        for (i, c) in self.rows.iter().enumerate() {
            let filter = compile(c, fields).map_err(|m| row_error(i, &m))?;
            let starts_group = match c.join.as_str() {
                "or" => i > 0,
                "" | "and" => false,
                other => return Err(row_error(i, &format!("unknown join {other}"))),
            };
            match groups.last_mut() {
                Some(group) if !starts_group => group.push(filter),
                _ => groups.push(vec![filter]),
            }
        }
        if groups.len() <= 1 {
            return Ok(groups.pop().unwrap_or_default());
        }
        let alternatives: Vec<Value> =
            groups.into_iter().map(|mut g| if g.len() == 1 { g.remove(0) } else { json!({ "_and": g }) }).collect();
        Ok(vec![json!({ "_or": alternatives })])
    }

    /// Adds the rows to a list's `filters`; a refusal is returned as the message to show
    /// (and the rows are left out, so the list still shows).
    pub fn apply(&self, fields: &[FieldDef], filters: &mut Vec<Value>) -> Option<String> {
        match self.filters(fields) {
            Ok(f) => {
                filters.extend(f);
                None
            }
            Err(e) => Some(e.to_string()),
        }
    }

    /// `&af=…&ao=…&av=…` for links that keep the rows (pagination, sort), or `""`.
    pub fn query_suffix(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for c in &self.rows {
            s.append_pair("aj", if c.join.is_empty() { "and" } else { &c.join });
            s.append_pair("af", &c.field);
            s.append_pair("ao", &c.op);
            s.append_pair("av", &c.value);
        }
        let q = s.finish();
        if q.is_empty() { q } else { format!("&{q}") }
    }

    /// The rows to show: those typed, plus one empty row to add a condition.
    pub fn shown(&self) -> Vec<Condition> {
        let mut rows = self.rows.clone();
        rows.push(Condition::default());
        rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// What a list screen shows around its table: the builder's form (with the parameters the
/// screen keeps, such as the organisation of a user list), its refusal, the total and the
/// pager (`ui/list_filter.html`, `ui/pager.html`).
pub struct ListChrome<'a> {
    pub path: &'a str,
    pub keep: Vec<(&'static str, String)>,
    pub adv: &'a Advanced,
    pub fields: &'static [FieldDef],
    /// The list's page, for its total and pager (none on a screen of several tables).
    pub slice: Option<&'a listing::Slice>,
}

impl ListChrome<'_> {
    fn keep_query(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.keep {
            s.append_pair(k, v);
        }
        s.finish()
    }

    /// `?organisation=…` (the kept parameters), or `""`: the Reset link.
    pub fn keep_qs(&self) -> String {
        let q = self.keep_query();
        if q.is_empty() { q } else { format!("?{q}") }
    }

    /// The query string of this list without `page`, for the pager.
    pub fn qs(&self) -> String {
        self.keep_query() + &self.adv.query_suffix()
    }
}

fn row_error(i: usize, msg: &str) -> ApiError {
    ApiError::BadRequest(format!("Filter row {}: {msg}", i + 1))
}

fn compile(c: &Condition, fields: &[FieldDef]) -> Result<Value, String> {
    let def = fields.iter().find(|d| d.name == c.field).ok_or_else(|| format!("unknown field {}", c.field))?;
    let op = if c.op.is_empty() { "is" } else { c.op.as_str() };
    if !OPERATORS.iter().any(|(code, _)| *code == op) {
        return Err(format!("unknown operator {op}"));
    }
    if !applies(def.kind, op) {
        let label = OPERATORS.iter().find(|(code, _)| *code == op).map(|(_, l)| *l).unwrap_or(op);
        return Err(format!("\"{label}\" does not apply to {}", def.label));
    }
    let field = def.name;
    match op {
        // `_contains` names the field as a plain string (TheHive's DSL).
        "set" => return Ok(json!({"_contains": field})),
        "unset" => return Ok(json!({"_not": {"_contains": field}})),
        _ => {}
    }
    if c.value.is_empty() {
        return Err(format!("{} needs a value", def.label));
    }
    let v = c.value.as_str();
    Ok(match def.kind {
        Kind::Text | Kind::Tags => match op {
            "is" => listing::eq(field, v),
            "not" if def.kind == Kind::Tags => json!({"_not": listing::eq(field, v)}),
            "not" => json!({"_ne": {"_field": field, "_value": v}}),
            "contains" => listing::contains_text(field, v),
            _ => json!({"_startsWith": {"_field": field, "_value": v}}),
        },
        Kind::Number => {
            let n: i64 = v.parse().map_err(|_| format!("{} takes a whole number, not {v}", def.label))?;
            let dsl = match op {
                "is" => "_eq",
                "not" => "_ne",
                "gt" => "_gt",
                "gte" => "_gte",
                "lt" => "_lt",
                _ => "_lte",
            };
            json!({ dsl: {"_field": field, "_value": n} })
        }
        Kind::Date => {
            let day = listing::day_ms(v).ok_or_else(|| format!("{} takes a date (YYYY-MM-DD), not {v}", def.label))?;
            match op {
                "is" => listing::between(field, Some(day), Some(day + 86_400_000)),
                "before" => json!({"_lt": {"_field": field, "_value": day}}),
                _ => json!({"_gte": {"_field": field, "_value": day}}),
            }
        }
        Kind::Bool => {
            let b = match v {
                "true" | "yes" => true,
                "false" | "no" => false,
                _ => return Err(format!("{} is yes or no, not {v}", def.label)),
            };
            listing::eq(field, if op == "not" { !b } else { b })
        }
    })
}

impl<S: Send + Sync> FromRequestParts<S> for Advanced {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Advanced, Self::Rejection> {
        Ok(Advanced::parse(parts.uri.query().unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(q: &str) -> Result<Value, ApiError> {
        Advanced::parse(q).filters(CASE_FIELDS).map(|mut v| v.remove(0))
    }

    #[test]
    fn rows_compile_to_dsl() {
        assert_eq!(one("af=severity&ao=gte&av=3").ok(), Some(json!({"_gte": {"_field": "severity", "_value": 3}})));
        assert_eq!(one("af=title&ao=contains&av=phish").ok(), Some(listing::contains_text("title", "phish")));
        assert_eq!(one("af=tags&ao=not&av=x").ok(), Some(json!({"_not": {"_field": "tags", "_value": "x"}})));
        assert_eq!(one("af=flag&ao=is&av=yes").ok(), Some(json!({"_field": "flag", "_value": true})));
        assert_eq!(one("af=assignee&ao=unset&av=").ok(), Some(json!({"_not": {"_contains": "assignee"}})));
        assert_eq!(
            one("af=startDate&ao=since&av=1970-01-02").ok(),
            Some(json!({"_gte": {"_field": "startDate", "_value": 86_400_000}}))
        );
    }

    #[test]
    fn bad_rows_are_refused_by_number() {
        for q in [
            "af=password&ao=is&av=x",
            "af=title&ao=gt&av=x",
            "af=severity&ao=is&av=high",
            "af=startDate&ao=is&av=yesterday",
            "af=title&ao=is&av=",
            "af=title&ao=drop&av=x",
        ] {
            let e = one(q).expect_err(q);
            assert!(e.to_string().contains("Filter row 1"), "{q}: {e}");
        }
    }

    #[test]
    fn or_starts_a_group_and_and_binds_tighter() {
        let q = "aj=and&af=severity&ao=gte&av=3&aj=and&af=flag&ao=is&av=yes&aj=or&af=tags&ao=is&av=x";
        let f = Advanced::parse(q).filters(CASE_FIELDS).ok();
        assert_eq!(
            f,
            Some(vec![json!({"_or": [
                {"_and": [
                    {"_gte": {"_field": "severity", "_value": 3}},
                    {"_field": "flag", "_value": true},
                ]},
                {"_field": "tags", "_value": "x"},
            ]})])
        );
        // All "and" (or no joins at all, as older links have): plain rows, ANDed by the list.
        assert_eq!(
            Advanced::parse("af=title&ao=is&av=a&af=number&ao=gt&av=2").filters(CASE_FIELDS).map(|v| v.len()).ok(),
            Some(2)
        );
        // "or" on the first row has nothing to join: it is one group.
        assert_eq!(Advanced::parse("aj=or&af=title&ao=is&av=a").filters(CASE_FIELDS).map(|v| v.len()).ok(), Some(1));
        let e = Advanced::parse("aj=and&af=title&ao=is&av=a&aj=xor&af=title&ao=is&av=b").filters(CASE_FIELDS);
        assert!(e.is_err_and(|e| e.to_string().contains("Filter row 2")));
        let a = Advanced::parse(q);
        assert_eq!(Advanced::parse(&a.query_suffix()[1..]).rows[2].join, "or");
    }

    #[test]
    fn empty_rows_are_ignored_and_rows_round_trip() {
        let a = Advanced::parse("af=&ao=is&av=&af=title&ao=is&av=a%20b");
        assert_eq!(a.rows.len(), 1);
        assert_eq!(Advanced::parse(&a.query_suffix()[1..]).rows[0].value, "a b");
        assert_eq!(a.shown().len(), 2);
    }
}
