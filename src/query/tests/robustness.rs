//! Hostile input: nesting past the limit and random garbage must give an
//! error, never a panic or a stack overflow.

use serde_json::{Value, json};

use super::*;

// ------------------------------------------------------ depth and garbage

fn nest(depth: usize, wrap: impl Fn(Value) -> Value) -> Value {
    (0..depth).fold(json!({ "_eq": { "a": 1 } }), |inner, _| wrap(inner))
}

#[test]
fn nesting_is_bounded() {
    let not = |inner| json!({ "_not": inner });
    let and = |inner| json!({ "_and": [inner] });
    assert!(matches!(filter(nest(MAX_DEPTH, not)), Filter::Not(_)));
    assert!(matches!(filter(nest(MAX_DEPTH, and)), Filter::And(_)));

    let message = filter_err(nest(MAX_DEPTH + 1, not));
    assert!(message.starts_with("Query nested too deeply at query[1]._not._not"), "{message}");
    assert!(message.ends_with("the limit is 64 levels"), "{message}");
    // Far deeper than the limit (serde_json itself stops at 128 when reading
    // text): stopped early, no stack overflow.
    assert!(filter_err(nest(200, and)).starts_with("Query nested too deeply"));

    let select = |inner: Value| json!({ "_agg": "field", "_field": "f", "_select": [inner] });
    let deep = (0..200).fold(json!({ "_agg": "count" }), |inner, _| select(inner));
    let mut step = deep.as_object().cloned().unwrap();
    step.insert("_name".into(), json!("aggregation"));
    assert!(err(json!([{ "_name": "listCase" }, step])).starts_with("Query nested too deeply"));

    let filter = parse_filter(&nest(200, not), "filter").unwrap_err();
    assert!(matches!(filter, QueryError::TooDeep { limit: 64, .. }));
}

/// A small deterministic generator (xorshift) so the test needs no crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const KEYS: [&str; 30] = [
    "_name",
    "_and",
    "_or",
    "_not",
    "_eq",
    "_is",
    "_lt",
    "_gte",
    "_in",
    "_between",
    "_like",
    "_has",
    "_contains",
    "_id",
    "_any",
    "_string",
    "_field",
    "_value",
    "_values",
    "_from",
    "_to",
    "_fields",
    "from",
    "to",
    "extraData",
    "_agg",
    "_select",
    "_interval",
    "caseFilter",
    "status",
];

const OPERATORS: [&str; 16] = [
    "_eq",
    "_is",
    "_ne",
    "_lt",
    "_lte",
    "_gt",
    "_gte",
    "_like",
    "_wildcard",
    "_startsWith",
    "_endsWith",
    "_match",
    "_in",
    "_between",
    "_has",
    "_id",
];

const INITIALS: [&str; 6] = ["listCase", "getCase", "listAlert", "listTag", "countCase", "listTask"];

const STEPS: [&str; 12] = [
    "filter",
    "sort",
    "page",
    "count",
    "aggregation",
    "tasks",
    "logs",
    "similarCases",
    "text",
    "limitedCount",
    "case",
    "observables",
];

/// Any JSON at all, biased towards the DSL's own keys.
fn garbage(rng: &mut Rng, depth: usize) -> Value {
    let choice = if depth == 0 { rng.below(6) } else { rng.below(9) };
    match choice {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!(f64::from(rng.below(1000) as u32) / 7.0),
        4 => json!(rng.pick(&KEYS)),
        5 => json!(rng.pick(&STEPS)),
        6 => Value::Array((0..rng.below(4)).map(|_| garbage(rng, depth - 1)).collect()),
        _ => {
            let mut object = serde_json::Map::new();
            for _ in 0..rng.below(4) {
                object.insert(rng.pick(&KEYS).to_owned(), garbage(rng, depth - 1));
            }
            Value::Object(object)
        }
    }
}

/// A filter that is usually well formed, sometimes subtly not.
fn filterish(rng: &mut Rng, depth: usize) -> Value {
    if rng.below(12) == 0 {
        return garbage(rng, 3);
    }
    let value = |rng: &mut Rng| match rng.below(4) {
        0 => json!("x*"),
        1 => json!(rng.below(5)),
        2 => json!(true),
        _ => garbage(rng, 1),
    };
    match rng.below(if depth == 0 { 4 } else { 7 }) {
        0 => json!({ rng.pick(&OPERATORS): { "_field": "title", "_value": value(rng) } }),
        1 => {
            json!({ rng.pick(&OPERATORS): { rng.pick(&["severity", "_createdAt", "customFields.a"]): value(rng) } })
        }
        2 => json!({ "_in": { "_field": "tags", "_values": [value(rng), value(rng)] } }),
        3 => json!({ "_between": { "_field": "date", "_from": value(rng), "_to": value(rng) } }),
        4 => json!({ "_not": filterish(rng, depth - 1) }),
        _ => {
            let children: Vec<Value> = (0..rng.below(3)).map(|_| filterish(rng, depth - 1)).collect();
            json!({ rng.pick(&["_and", "_or"]): children })
        }
    }
}

fn stepish(rng: &mut Rng, first: bool) -> Value {
    if rng.below(15) == 0 {
        return garbage(rng, 3);
    }
    let name = if first { rng.pick(&INITIALS) } else { rng.pick(&STEPS) };
    let mut step = match name {
        "filter" => filterish(rng, 5),
        "sort" => {
            json!({ "_fields": [{ "title": rng.pick(&["asc", "desc", "up"]) }, "-_createdAt"] })
        }
        "page" => json!({ "from": rng.below(3), "to": rng.below(6), "extraData": ["total"] }),
        "aggregation" => json!({ "_agg": rng.pick(&["field", "count", "time", "avg"]),
                                "_field": "status", "_fields": ["date"], "_interval": "1d",
                                "_select": [{ "_agg": "count" }], "_query": filterish(rng, 2) }),
        "getCase" => json!({ "idOrName": value_or_garbage(rng) }),
        "similarCases" => json!({ "caseFilter": filterish(rng, 2) }),
        _ => json!({}),
    };
    if let Some(object) = step.as_object_mut() {
        object.insert("_name".into(), json!(name));
    }
    step
}

fn value_or_garbage(rng: &mut Rng) -> Value {
    if rng.below(2) == 0 { json!("~1") } else { garbage(rng, 2) }
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0;
    for round in 0..20_000 {
        let body = match round % 10 {
            0 => garbage(&mut rng, 5),
            1 => {
                json!({ "query": (0..rng.below(4)).map(|_| garbage(&mut rng, 5)).collect::<Vec<_>>() })
            }
            _ => {
                let mut steps = vec![stepish(&mut rng, true)];
                steps.extend((0..rng.below(5)).map(|_| stepish(&mut rng, false)));
                json!({ "query": steps, "excludeFields": ["title"] })
            }
        };
        if let Ok(query) = parse_query(&body) {
            // Whatever parsed must be well typed.
            assert!(query.output().is_some(), "{body}");
            parsed += 1;
        }
        let _ = parse_filter(&filterish(&mut rng, 8), "filter");
    }
    // The generator must reach past the first checks, or the test proves little.
    assert!(parsed > 2_000, "only {parsed} bodies parsed");
}

#[test]
fn echoed_names_are_clipped() {
    let long = "x".repeat(10_000);
    let message = filter_err(json!({ format!("_{long}"): 1 }));
    assert!(message.len() < 200, "{message}");
    assert!(message.ends_with("…\" unknown"), "{message}");
    let message = err(json!([{ "_name": long }]));
    assert!(message.len() < 200, "{message}");
    // Clipping counts characters, so multi-byte text is cut cleanly.
    let message = err(json!([{ "_name": "é".repeat(100) }]));
    assert!(message.contains(&format!("{}…", "é".repeat(64))), "{message}");
}

#[test]
fn compiler_error_messages() {
    assert_eq!(
        QueryError::UnknownField { field: "foo".into(), entity: Entity::Case }.to_string(),
        "Property foo for type Case not found"
    );
    assert_eq!(
        QueryError::FieldType { field: "severity".into(), expected: "a number".into() }.to_string(),
        "Field \"severity\" expects a number"
    );
}
