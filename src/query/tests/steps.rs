//! Steps other than filters (sort, page, counts, aggregation), the typing
//! of traversals, initial operations, and body/operation shape errors.

use serde_json::{Value, json};

use super::*;

// --------------------------------------------------------------- sort/page

#[test]
fn sort_accepts_objects_and_signed_strings() {
    let query = ok(json!([
        { "_name": "listCase" },
        { "_name": "sort", "_fields": [
            { "_createdAt": "desc" }, { "title": "ASC" }, "-severity", "+tlp", "flag",
            { "customFields.score.float": "asc" }
        ] }
    ]));
    let key = |field, order| SortKey { field, order };
    assert_eq!(
        query.steps,
        vec![Step::Sort(vec![
            key(FieldPath::Meta(MetaField::CreatedAt), Order::Desc),
            key(field("title"), Order::Asc),
            key(field("severity"), Order::Desc),
            key(field("tlp"), Order::Asc),
            key(field("flag"), Order::Asc),
            key(FieldPath::CustomField { name: "score".into(), kind: Some(CustomFieldType::Float) }, Order::Asc),
        ])]
    );
}

#[test]
fn sort_errors() {
    let sort = |fields: Value| err(json!([{ "_name": "listCase" }, { "_name": "sort", "_fields": fields }]));
    assert_eq!(
        sort(json!([{ "title": "up" }])),
        "Invalid parameter at query[1]._fields[0].title: sort order must be \"asc\" or \"desc\", \
         found \"up\""
    );
    assert_eq!(
        sort(json!([{ "a": "asc", "b": "desc" }])),
        "Invalid parameter at query[1]._fields[0]: expects {\"<field>\": \"asc\"|\"desc\"} or \
         \"[+-]<field>\", found an object"
    );
    assert!(sort(json!([3])).contains("found a number"));
    assert!(sort(json!(["-"])).contains("field name is empty"));
    assert_eq!(
        sort(json!("title")),
        "Invalid parameter at query[1]._fields: expects an array of sort keys, found a string"
    );
    assert_eq!(
        err(json!([{ "_name": "listCase" }, { "_name": "sort" }])),
        "Invalid parameter at query[1]._fields: missing \"_fields\""
    );
}

#[test]
fn page_parameters() {
    let query = ok(json!([
        { "_name": "listUser" },
        { "_name": "page", "from": 10, "to": 20, "extraData": ["lockout", "total"],
          "organisation": "soc" }
    ]));
    assert_eq!(
        query.steps,
        vec![Step::Page(Page {
            from: 10,
            to: 20,
            extra_data: vec!["lockout".into(), "total".into()],
            organisation: Some("soc".into()),
        })]
    );
    let page = |params: Value| {
        let mut step = params.as_object().cloned().unwrap_or_default();
        step.insert("_name".into(), json!("page"));
        err(json!([{ "_name": "listCase" }, step]))
    };
    assert_eq!(page(json!({ "from": 0 })), "Invalid parameter at query[1].to: missing \"to\"");
    assert_eq!(
        page(json!({ "from": -1, "to": 5 })),
        "Invalid parameter at query[1].from: expects a non-negative integer, found -1"
    );
    assert_eq!(
        page(json!({ "from": 0, "to": 1.5 })),
        "Invalid parameter at query[1].to: expects a non-negative integer, found 1.5"
    );
    assert_eq!(
        page(json!({ "from": "0", "to": 5 })),
        "Invalid parameter at query[1].from: expects a non-negative integer, found \"0\""
    );
    assert_eq!(
        page(json!({ "from": 10, "to": 5 })),
        "Invalid parameter at query[1].to: \"to\" (5) must not be less than \"from\" (10)"
    );
    assert_eq!(
        page(json!({ "from": 0, "to": 5, "extraData": ["a", 1] })),
        "Invalid parameter at query[1].extraData: expects an array of strings, found a number \
         at index 1"
    );
}

#[test]
fn limited_count_and_nothing_after_a_number() {
    let query = ok(json!([{ "_name": "listAlert" }, { "_name": "limitedCount" }]));
    assert_eq!(query.steps, vec![Step::LimitedCount]);
    assert_eq!(query.output(), Some(Output::Number));
    assert_eq!(
        err(json!([{ "_name": "listAlert" }, { "_name": "count" }, { "_name": "page", "from": 0, "to": 1 }])),
        "Operation \"page\" at step 2 does not apply to a number; accepted here: none"
    );
    assert_eq!(
        err(json!([{ "_name": "countCase" }, { "_name": "count" }])),
        "Operation \"count\" at step 1 does not apply to a number; accepted here: none"
    );
}

// -------------------------------------------------------------- aggregation

#[test]
fn aggregation_field_with_sub_aggregations() {
    let query = ok(json!([
        { "_name": "listCase" },
        { "_name": "aggregation", "_agg": "field", "_field": "status",
          "_order": ["-count"], "_size": 10,
          "_query": { "_gte": { "severity": 2 } },
          "_select": [
            { "_agg": "count", "_name": "total" },
            { "_agg": "avg", "_field": "severity" },
            { "_agg": "time", "_fields": ["_createdAt"], "_interval": "1w",
              "_select": [{ "_agg": "max", "_field": "tlp" }] }
          ] }
    ]));
    assert_eq!(query.output(), Some(Output::Json));
    let expected = Aggregation {
        name: None,
        filter: Some(Filter::Gte { field: field("severity"), value: Scalar::Int(2) }),
        kind: AggregationKind::Field {
            field: field("status"),
            order: vec![(AggregationOrderKey::Count, Order::Desc)],
            size: Some(10),
            select: vec![
                Aggregation { name: Some("total".into()), filter: None, kind: AggregationKind::Count },
                Aggregation {
                    name: None,
                    filter: None,
                    kind: AggregationKind::Metric { function: MetricFunction::Avg, field: field("severity") },
                },
                Aggregation {
                    name: None,
                    filter: None,
                    kind: AggregationKind::Time {
                        field: FieldPath::Meta(MetaField::CreatedAt),
                        interval: Interval { amount: 1, unit: TimeUnit::Weeks },
                        select: vec![Aggregation {
                            name: None,
                            filter: None,
                            kind: AggregationKind::Metric { function: MetricFunction::Max, field: field("tlp") },
                        }],
                    },
                },
            ],
        },
    };
    assert_eq!(query.steps, vec![Step::Aggregation(expected)]);
}

#[test]
fn aggregation_variants_and_errors() {
    let agg = |params: Value| {
        let mut step = params.as_object().cloned().unwrap_or_default();
        step.insert("_name".into(), json!("aggregation"));
        parse_steps(json!([{ "_name": "listAlert" }, step])).map(|query| match query.steps.as_slice() {
            [Step::Aggregation(aggregation)] => aggregation.kind.clone(),
            other => panic!("unexpected {other:?}"),
        })
    };
    assert_eq!(
        agg(json!({ "_agg": "time", "_fields": ["date"], "_interval": 3, "_unit": "DAYS" })),
        Ok(AggregationKind::Time {
            field: field("date"),
            interval: Interval { amount: 3, unit: TimeUnit::Days },
            select: vec![]
        })
    );
    assert_eq!(
        agg(json!({ "_agg": "field", "_field": "tags", "_order": "tags" })),
        Ok(AggregationKind::Field {
            field: field("tags"),
            order: vec![(AggregationOrderKey::Key, Order::Asc)],
            size: None,
            select: vec![]
        })
    );
    assert_eq!(
        agg(json!({ "_agg": "sum", "_field": "severity" })),
        Ok(AggregationKind::Metric { function: MetricFunction::Sum, field: field("severity") })
    );
    let message = |params: Value| agg(params).unwrap_err().to_string();
    assert_eq!(
        message(json!({ "_agg": "top", "_field": "x" })),
        "Invalid parameter at query[1]._agg: unknown aggregation \"top\"; expected field, count, \
         time, avg, min, max or sum"
    );
    assert_eq!(message(json!({ "_field": "x" })), "Invalid parameter at query[1]: missing \"_agg\"");
    assert_eq!(
        message(json!({ "_agg": "field", "_field": "status", "_order": ["-title"] })),
        "Invalid parameter at query[1]._order: can only order by \"count\" or \"status\", not \
         \"title\""
    );
    assert!(message(json!({ "_agg": "time", "_fields": ["date"], "_interval": "0d" })).contains("must be at least 1"));
    assert!(
        message(json!({ "_agg": "time", "_fields": ["date"], "_interval": "1x" }))
            .contains("unit among s, m, h, d, w, M, y")
    );
    assert!(message(json!({ "_agg": "time", "_fields": ["date"], "_interval": "é" })).contains("unit among"));
    assert!(message(json!({ "_agg": "time", "_fields": ["date"], "_interval": 2 })).contains("needs \"_unit\""));
    assert!(
        message(json!({ "_agg": "time", "_fields": ["a", "b"], "_interval": "1d" })).contains("exactly one field name")
    );
    assert!(
        message(json!({ "_agg": "field", "_field": "x", "_select": [1] }))
            .contains("_select[0]: expects an aggregation object")
    );
    assert!(
        message(json!({ "_agg": "count", "_query": { "_foo": 1 } }))
            .contains("Invalid filter at query[1]._query: operator \"_foo\" unknown")
    );
}

// ----------------------------------------------------------- typing rules

#[test]
fn traversals_follow_the_typing_table() {
    let chain = ok(json!([
        { "_name": "listCase" }, { "_name": "tasks" }, { "_name": "logs" },
        { "_name": "task" }, { "_name": "case" }, { "_name": "observables" },
        { "_name": "alert" }, { "_name": "case" }, { "_name": "audits" }
    ]));
    let inputs: Vec<Output> = chain.typed_steps().map(|(input, _)| input).collect();
    assert_eq!(
        inputs,
        [
            Entity::Case,
            Entity::Task,
            Entity::Log,
            Entity::Task,
            Entity::Case,
            Entity::Observable,
            Entity::Alert,
            Entity::Case
        ]
        .map(Output::Entities)
    );
    assert_eq!(chain.output(), Some(Output::Entities(Entity::Audit)));

    let table = [
        (Entity::User, "organisations", Output::Entities(Entity::Organisation)),
        (Entity::Organisation, "users", Output::Entities(Entity::User)),
        (Entity::Organisation, "cases", Output::Entities(Entity::Case)),
        (Entity::Organisation, "alerts", Output::Entities(Entity::Alert)),
        (Entity::CaseTemplate, "tasks", Output::Entities(Entity::Task)),
        (Entity::Case, "shares", Output::Entities(Entity::Share)),
        (Entity::Case, "procedures", Output::Entities(Entity::Procedure)),
        (Entity::Case, "pages", Output::Entities(Entity::Page)),
        (Entity::Case, "comments", Output::Entities(Entity::Comment)),
        (Entity::Case, "caseTemplate", Output::Entities(Entity::CaseTemplate)),
        (Entity::Case, "linkedCases", Output::Json),
        (Entity::Alert, "procedures", Output::Entities(Entity::Procedure)),
        (Entity::Alert, "similarCases", Output::Json),
        (Entity::Taxonomy, "tags", Output::Entities(Entity::Tag)),
        (Entity::Tag, "text", Output::Strings),
    ];
    for (from, name, to) in table {
        assert_eq!(Output::Entities(from).then_named(name), Some(to), "{from} → {name}");
    }
    assert_eq!(Output::Entities(Entity::Case).then_named("logs"), None);
    assert_eq!(Output::Json.then_named("filter"), None);
    assert_eq!(Output::Json.then_named("page"), Some(Output::Json));
}

#[test]
fn every_traversal_name_round_trips() {
    for traversal in Traversal::ALL {
        assert_eq!(Traversal::from_name(traversal.name()), Some(traversal));
    }
}

#[test]
fn similar_cases_takes_a_case_filter() {
    let query = ok(json!([
        { "_name": "getAlert", "idOrName": "~5" },
        { "_name": "similarCases", "caseFilter": { "_eq": { "_field": "status", "_value": "Open" } } }
    ]));
    assert_eq!(query.steps, vec![Step::SimilarCases { case_filter: Some(eq("status", text("Open"))) }]);
    assert_eq!(query.output(), Some(Output::Json));
    let plain = ok(json!([{ "_name": "listAlert" }, { "_name": "similarCases" }]));
    assert_eq!(plain.steps, vec![Step::SimilarCases { case_filter: None }]);
    assert!(
        err(json!([{ "_name": "listAlert" }, { "_name": "similarCases", "caseFilter": [] }]))
            .starts_with("Invalid filter at query[1].caseFilter: expected a filter object")
    );
}

#[test]
fn invalid_traversal_lists_what_is_accepted() {
    let message = err(json!([{ "_name": "listCase" }, { "_name": "logs" }]));
    assert!(message.starts_with("Operation \"logs\" at step 1 does not apply to Case; accepted here: "), "{message}");
    assert!(message.contains("tasks") && message.contains("filter"), "{message}");
    assert_eq!(
        err(json!([{ "_name": "listCase" }, { "_name": "linkedCases" }, { "_name": "filter" }])),
        "Operation \"filter\" at step 2 does not apply to computed JSON objects; accepted here: \
         page, count, limitedCount"
    );
}

// ------------------------------------------------------ initial operations

#[test]
fn every_initial_operation_parses_and_round_trips() {
    for &name in INITIAL_NAMES {
        let step = json!({
            "_name": name, "idOrName": "~1", "caseId": "~2", "alertId": "~3", "id": "~4"
        });
        let query = ok(json!([step]));
        let canonical = if name == "waitingTask" { "waitingTasks" } else { name };
        assert_eq!(query.initial.name(), canonical);
        assert!(query.output().is_some());
    }
}

#[test]
fn initial_parameters() {
    assert_eq!(
        ok(json!([{ "_name": "getCase", "idOrName": 42 }])).initial,
        Initial::GetCase(IdOrName::Name("42".into()))
    );
    assert_eq!(
        ok(json!([{ "_name": "getUser", "idOrName": "analyst@thehive.local" }])).initial,
        Initial::GetUser(IdOrName::Name("analyst@thehive.local".into()))
    );
    assert_eq!(
        ok(json!([{ "_name": "countTask", "caseId": "~7" }])).initial,
        Initial::CountTask { case_id: IdOrName::Id("~7".into()) }
    );
    assert_eq!(
        ok(json!([{ "_name": "tagAutoComplete", "freeTag": "mal", "limit": 5 }])).initial,
        Initial::TagAutoComplete(TagHint { free_tag: Some("mal".into()), limit: Some(5), ..TagHint::default() })
    );
    assert_eq!(ok(json!([{ "_name": "tagAutoComplete" }])).output(), Some(Output::Strings));
    assert_eq!(err(json!([{ "_name": "getCase" }])), "Invalid parameter at query[0].idOrName: missing \"idOrName\"");
    assert_eq!(
        err(json!([{ "_name": "getCase", "idOrName": "" }])),
        "Invalid parameter at query[0].idOrName: must not be empty"
    );
    assert_eq!(
        err(json!([{ "_name": "getCase", "idOrName": ["~1"] }])),
        "Invalid parameter at query[0].idOrName: expects an id or name string, found an array"
    );
    assert_eq!(
        err(json!([{ "_name": "countAlertObservable", "caseId": "~1" }])),
        "Invalid parameter at query[0].alertId: missing \"alertId\""
    );
    assert_eq!(
        err(json!([{ "_name": "tagAutoComplete", "limit": "5" }])),
        "Invalid parameter at query[0].limit: expects a non-negative integer, found \"5\""
    );
}

// ---------------------------------------------------------- shape errors

#[test]
fn body_errors() {
    let body_err = |body: Value| parse_query(&body).unwrap_err().to_string();
    assert_eq!(body_err(json!([])), "Invalid query body: expected a JSON object with \"query\", found an array");
    assert_eq!(body_err(json!({})), "Invalid query body: missing \"query\"");
    assert_eq!(
        body_err(json!({ "query": {} })),
        "Invalid query body: \"query\" must be an array of operations, found an object"
    );
    assert_eq!(
        body_err(json!({ "query": [] })),
        "Invalid query body: \"query\" is empty; it needs an initial operation such as listCase"
    );
    assert_eq!(
        body_err(json!({ "query": [{ "_name": "listCase" }], "excludeFields": "title" })),
        "Invalid query body: \"excludeFields\" expects an array of strings, found a string"
    );
    // Unknown top-level keys (query-string parameters merged in) are ignored.
    assert!(parse_query(&json!({ "query": [{ "_name": "listCase" }], "name": "cases" })).is_ok());
}

#[test]
fn operation_errors() {
    assert_eq!(err(json!([{ "_name": "listCases" }])), "Unknown operation \"listCases\" at step 0");
    assert_eq!(
        err(json!([{ "_name": "listCase" }, { "_name": "frobnicate" }])),
        "Unknown operation \"frobnicate\" at step 1"
    );
    assert_eq!(
        err(json!([{ "_name": "filter", "_eq": { "a": 1 } }])),
        "Operation \"filter\" at step 0 cannot start a query; start with an initial operation \
         such as listCase, getCase or listAlert"
    );
    assert_eq!(
        err(json!([{ "_name": "listCase" }, { "_name": "listAlert" }])),
        "Operation \"listAlert\" at step 1 can only start a query"
    );
    assert_eq!(
        err(json!([{ "_name": "listCase" }, "count"])),
        "Invalid operation at query[1]: expected an object with \"_name\", found a string"
    );
    assert_eq!(err(json!([{ "name": "listCase" }])), "Invalid operation at query[0]: missing \"_name\"");
    assert_eq!(
        err(json!([{ "_name": 1 }])),
        "Invalid operation at query[0]: \"_name\" must be a string, found a number"
    );
    // `freetags` is both an initial operation and a Tag traversal.
    assert!(parse_steps(json!([{ "_name": "listTag" }, { "_name": "freetags" }])).is_ok());
}
