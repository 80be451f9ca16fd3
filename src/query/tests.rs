//! Unit tests of the query parser: every operator in its TheHive 4 and 5
//! spellings, the exact JSON thehive4py sends, step typing, and malformed
//! input (which must give a precise error, never a panic).

use serde_json::{Value, json};

use super::ast::*;
use super::ops::INITIAL_NAMES;
use super::*;

// ---------------------------------------------------------------- helpers

fn parse_steps(steps: Value) -> Result<Query, QueryError> {
    parse_query(&json!({ "query": steps }))
}

fn ok(steps: Value) -> Query {
    match parse_steps(steps.clone()) {
        Ok(query) => query,
        Err(err) => panic!("{steps} should parse, got: {err}"),
    }
}

fn err(steps: Value) -> String {
    match parse_steps(steps.clone()) {
        Ok(query) => panic!("{steps} should fail, got {query:?}"),
        Err(err) => err.to_string(),
    }
}

/// The filter of `[listCase, {"_name": "filter", ...body}]`.
fn filter(body: Value) -> Filter {
    let mut step = body.as_object().cloned().unwrap_or_default();
    step.insert("_name".into(), json!("filter"));
    let query = ok(json!([{ "_name": "listCase" }, step]));
    match query.steps.as_slice() {
        [Step::Filter(filter)] => filter.clone(),
        other => panic!("expected one filter step, got {other:?}"),
    }
}

fn filter_err(body: Value) -> String {
    let mut step = body.as_object().cloned().unwrap_or_default();
    step.insert("_name".into(), json!("filter"));
    err(json!([{ "_name": "listCase" }, step]))
}

fn field(name: &str) -> FieldPath {
    FieldPath::Plain(name.to_owned())
}

fn text(s: &str) -> Scalar {
    Scalar::Str(s.to_owned())
}

type CompareBuilder = fn(FieldPath, Scalar) -> Filter;
type TextBuilder = fn(FieldPath, String) -> Filter;

fn eq(name: &str, value: Scalar) -> Filter {
    Filter::Eq { field: field(name), value }
}

mod filters;
mod robustness;
mod steps;
mod thehive4py;
