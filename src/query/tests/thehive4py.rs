//! The exact JSON thehive4py 2.x sends: filter builders, `find`, `count`
//! and traversal queries.

use serde_json::json;

use super::*;

// ------------------------------------------------- thehive4py's exact JSON

/// The bodies thehive4py 2.x's filter builders produce, in both the current
/// (`_eq`, long form) and the older (bare `_field`, compact `_gt`) versions.
#[test]
fn thehive4py_filter_builders() {
    let sev = |value| (field("severity"), Scalar::Int(value));
    let cases = [
        (json!({ "_lt": { "_field": "severity", "_value": 3 } }), Filter::Lt { field: sev(3).0, value: sev(3).1 }),
        (json!({ "_gt": { "_field": "severity", "_value": 1 } }), Filter::Gt { field: sev(1).0, value: sev(1).1 }),
        (json!({ "_lte": { "_field": "severity", "_value": 3 } }), Filter::Lte { field: sev(3).0, value: sev(3).1 }),
        (json!({ "_gte": { "_field": "severity", "_value": 2 } }), Filter::Gte { field: sev(2).0, value: sev(2).1 }),
        (json!({ "_ne": { "_field": "severity", "_value": 2 } }), Filter::Ne { field: sev(2).0, value: sev(2).1 }),
        (json!({ "_eq": { "_field": "status", "_value": "New" } }), eq("status", text("New"))),
        (json!({ "_field": "status", "_value": "New" }), eq("status", text("New"))),
        (json!({ "_gt": { "severity": 1 } }), Filter::Gt { field: sev(1).0, value: sev(1).1 }),
        (
            json!({ "_startsWith": { "_field": "title", "_value": "[MISP]" } }),
            Filter::StartsWith { field: field("title"), value: "[MISP]".into() },
        ),
        (
            json!({ "_endsWith": { "_field": "title", "_value": "x" } }),
            Filter::EndsWith { field: field("title"), value: "x".into() },
        ),
        (json!({ "_id": "~41644112" }), Filter::Id(vec!["~41644112".into()])),
        (
            json!({ "_between": { "_field": "_createdAt", "_from": 0, "_to": 10 } }),
            Filter::Between {
                field: FieldPath::Meta(MetaField::CreatedAt),
                from: Some(Scalar::Int(0)),
                to: Some(Scalar::Int(10)),
            },
        ),
        (
            json!({ "_in": { "_field": "tags", "_values": ["a", "b"] } }),
            Filter::In { field: field("tags"), values: vec![text("a"), text("b")] },
        ),
        (json!({ "_contains": "assignee" }), Filter::Contains { field: field("assignee") }),
        (json!({ "_has": "assignee" }), Filter::Contains { field: field("assignee") }),
        (
            json!({ "_like": { "_field": "title", "_value": "phish" } }),
            Filter::Like { field: field("title"), pattern: "phish".into() },
        ),
        (
            json!({ "_match": { "_field": "description", "_value": "ransom" } }),
            Filter::Match { field: field("description"), value: "ransom".into() },
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(filter(body.clone()), expected, "{body}");
    }
}

/// `Eq(a) & Eq(b) & ~Eq(c) | Has(d)`: operators flatten into one `_and`.
#[test]
fn thehive4py_operator_combinations() {
    let body = json!({
        "_or": [
            { "_and": [
                { "_eq": { "_field": "a", "_value": 1 } },
                { "_eq": { "_field": "b", "_value": 2 } },
                { "_not": { "_eq": { "_field": "c", "_value": 3 } } }
            ] },
            { "_has": "d" }
        ]
    });
    assert_eq!(
        filter(body),
        Filter::Or(vec![
            Filter::And(vec![
                eq("a", Scalar::Int(1)),
                eq("b", Scalar::Int(2)),
                Filter::Not(Box::new(eq("c", Scalar::Int(3)))),
            ]),
            Filter::Contains { field: field("d") },
        ])
    );
}

#[test]
fn thehive4py_find_alerts() {
    // alert.find(filters=Eq("status","New"), sortby=Desc("_createdAt"), paginate=Paginate(0, 10))
    let query = ok(json!([
        { "_name": "listAlert" },
        { "_name": "filter", "_eq": { "_field": "status", "_value": "New" } },
        { "_name": "sort", "_fields": [{ "_createdAt": "desc" }] },
        { "_name": "page", "from": 0, "to": 10, "extraData": [] }
    ]));
    assert_eq!(query.initial, Initial::ListAlert);
    assert_eq!(
        query.steps,
        vec![
            Step::Filter(eq("status", text("New"))),
            Step::Sort(vec![SortKey { field: FieldPath::Meta(MetaField::CreatedAt), order: Order::Desc }]),
            Step::Page(Page { from: 0, to: 10, extra_data: vec![], organisation: None }),
        ]
    );
    assert_eq!(query.output(), Some(Output::Entities(Entity::Alert)));
    assert!(query.exclude_fields.is_empty());
}

#[test]
fn thehive4py_count_and_traversals() {
    let count = ok(json!([{ "_name": "listCase" }, { "_name": "count" }]));
    assert_eq!(count.steps, vec![Step::Count]);
    assert_eq!(count.output(), Some(Output::Number));

    let tasks = ok(json!([
        { "_name": "getCase", "idOrName": "~123" },
        { "_name": "tasks" },
        { "_name": "sort", "_fields": [{ "order": "asc" }] },
        { "_name": "page", "from": 0, "to": 100, "extraData": ["actionRequired"] }
    ]));
    assert_eq!(tasks.initial, Initial::GetCase(IdOrName::Id("~123".into())));
    assert_eq!(tasks.output(), Some(Output::Entities(Entity::Task)));

    let logs = ok(json!([{ "_name": "getTask", "idOrName": "~9" }, { "_name": "logs" }]));
    assert_eq!(logs.steps, vec![Step::Traverse(Traversal::Logs)]);
    assert_eq!(logs.output(), Some(Output::Entities(Entity::Log)));

    let attachments = ok(json!([
        { "_name": "getOrganisation", "idOrName": "soc" },
        { "_name": "attachments" }
    ]));
    assert_eq!(attachments.output(), Some(Output::Entities(Entity::Attachment)));
}

/// `case_template.find_page_templates` pages *before* traversing.
#[test]
fn thehive4py_page_before_traversal() {
    let query = ok(json!([
        { "_name": "getCaseTemplate", "idOrName": "phishing" },
        { "_name": "filter", "_like": { "_field": "title", "_value": "*a*" } },
        { "_name": "sort", "_fields": [{ "title": "asc" }] },
        { "_name": "page", "from": 0, "to": 5, "extraData": [] },
        { "_name": "pageTemplates" }
    ]));
    assert_eq!(query.output(), Some(Output::Entities(Entity::PageTemplate)));
}

#[test]
fn thehive4py_query_run_with_exclude_fields() {
    let query = parse_query(&json!({
        "query": [{ "_name": "listCase" }],
        "excludeFields": ["description", "customFields"]
    }))
    .unwrap();
    assert_eq!(query.exclude_fields, vec!["description", "customFields"]);
}
