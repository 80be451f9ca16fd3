//! Filter operators in their TheHive 4 and 5 spellings, field paths, and
//! malformed filters.

use serde_json::json;

use super::*;

// ------------------------------------------------------- equality spellings

#[test]
fn equality_accepts_every_spelling() {
    let expected = eq("status", text("Open"));
    for body in [
        json!({ "_eq": { "_field": "status", "_value": "Open" } }),
        json!({ "_is": { "_field": "status", "_value": "Open" } }),
        json!({ "_eq": { "status": "Open" } }),
        json!({ "_is": { "status": "Open" } }),
        json!({ "_field": "status", "_value": "Open" }),
        json!({ "status": "Open" }),
    ] {
        assert_eq!(filter(body.clone()), expected, "{body}");
    }
}

#[test]
fn scalars_keep_their_json_type() {
    assert_eq!(filter(json!({ "_eq": { "severity": 3 } })), eq("severity", Scalar::Int(3)));
    assert_eq!(filter(json!({ "_eq": { "score": 1.5 } })), eq("score", Scalar::Float(1.5)));
    assert_eq!(filter(json!({ "_eq": { "flag": true } })), eq("flag", Scalar::Bool(true)));
    assert_eq!(filter(json!({ "_eq": { "assignee": null } })), eq("assignee", Scalar::Null));
    assert_eq!(filter(json!({ "_eq": { "n": -7 } })), eq("n", Scalar::Int(-7)));
}

#[test]
fn comparisons_accept_both_forms() {
    let cases: [(&str, CompareBuilder); 5] = [
        ("_ne", |field, value| Filter::Ne { field, value }),
        ("_lt", |field, value| Filter::Lt { field, value }),
        ("_lte", |field, value| Filter::Lte { field, value }),
        ("_gt", |field, value| Filter::Gt { field, value }),
        ("_gte", |field, value| Filter::Gte { field, value }),
    ];
    for (op, build) in cases {
        let expected = build(field("severity"), Scalar::Int(3));
        let long = json!({ op: { "_field": "severity", "_value": 3 } });
        let compact = json!({ op: { "severity": 3 } });
        assert_eq!(filter(long), expected, "{op} long form");
        assert_eq!(filter(compact), expected, "{op} compact form");
    }
}

#[test]
fn compact_form_takes_meta_fields() {
    // Old thehive4py `Gt("_createdAt", x)` sends exactly this.
    assert_eq!(
        filter(json!({ "_gt": { "_createdAt": 1_600_000_000_000_i64 } })),
        Filter::Gt { field: FieldPath::Meta(MetaField::CreatedAt), value: Scalar::Int(1_600_000_000_000) }
    );
}

// ------------------------------------------------------------ text filters

#[test]
fn text_operators_accept_both_forms() {
    let cases: [(&str, TextBuilder); 5] = [
        ("_like", |field, pattern| Filter::Like { field, pattern }),
        ("_wildcard", |field, pattern| Filter::Wildcard { field, pattern }),
        ("_startsWith", |field, value| Filter::StartsWith { field, value }),
        ("_endsWith", |field, value| Filter::EndsWith { field, value }),
        ("_match", |field, value| Filter::Match { field, value }),
    ];
    for (op, build) in cases {
        let expected = build(field("title"), "*phish*".to_owned());
        assert_eq!(filter(json!({ op: { "_field": "title", "_value": "*phish*" } })), expected);
        assert_eq!(filter(json!({ op: { "title": "*phish*" } })), expected);
        let message = filter_err(json!({ op: { "_field": "title", "_value": 3 } }));
        assert_eq!(message, format!("Invalid filter at query[1].{op}._value: expects a string, found a number"));
    }
}

#[test]
fn like_patterns_classify_as_in_thehive_4() {
    assert_eq!(LikeMatch::classify("*abc*"), LikeMatch::Contains("abc"));
    assert_eq!(LikeMatch::classify("*abc"), LikeMatch::EndsWith("abc"));
    assert_eq!(LikeMatch::classify("abc*"), LikeMatch::StartsWith("abc"));
    assert_eq!(LikeMatch::classify("a*c"), LikeMatch::Exact("a*c"));
    assert_eq!(LikeMatch::classify("*"), LikeMatch::Contains(""));
    assert_eq!(LikeMatch::classify("**"), LikeMatch::Contains(""));
    assert_eq!(LikeMatch::classify(""), LikeMatch::Exact(""));
}

// ------------------------------------------------------ sets, ranges, misc

#[test]
fn in_accepts_both_forms() {
    let expected = Filter::In { field: field("status"), values: vec![text("New"), text("InProgress")] };
    assert_eq!(filter(json!({ "_in": { "_field": "status", "_values": ["New", "InProgress"] } })), expected);
    assert_eq!(filter(json!({ "_in": { "status": ["New", "InProgress"] } })), expected);
    assert_eq!(
        filter(json!({ "_in": { "_field": "tlp", "_values": [] } })),
        Filter::In { field: field("tlp"), values: vec![] }
    );
}

#[test]
fn in_errors_name_the_culprit() {
    assert_eq!(
        filter_err(json!({ "_in": { "_field": "status", "_value": ["New"] } })),
        "Invalid filter at query[1]._in: unexpected key \"_value\"; expected \"_field\", \"_values\""
    );
    assert_eq!(
        filter_err(json!({ "_in": { "_field": "status" } })),
        "Invalid filter at query[1]._in: missing \"_values\""
    );
    assert_eq!(
        filter_err(json!({ "_in": { "_field": "status", "_values": "New" } })),
        "Invalid filter at query[1]._in._values: expects an array of values, found a string"
    );
    assert_eq!(
        filter_err(json!({ "_in": { "_field": "status", "_values": ["a", {}] } })),
        "Invalid filter at query[1]._in._values[1]: expects a string, number, boolean or null, \
         found an object"
    );
}

#[test]
fn between_takes_one_or_two_bounds() {
    let range = |from: Option<i64>, to: Option<i64>| Filter::Between {
        field: field("startDate"),
        from: from.map(Scalar::Int),
        to: to.map(Scalar::Int),
    };
    assert_eq!(filter(json!({ "_between": { "_field": "startDate", "_from": 1, "_to": 5 } })), range(Some(1), Some(5)));
    // thehive4py `After` and `Before`.
    assert_eq!(filter(json!({ "_between": { "_field": "startDate", "_from": 1 } })), range(Some(1), None));
    assert_eq!(filter(json!({ "_between": { "_field": "startDate", "_to": 5 } })), range(None, Some(5)));
    assert_eq!(filter(json!({ "_between": { "_field": "startDate", "_from": null, "_to": 5 } })), range(None, Some(5)));
    assert_eq!(
        filter_err(json!({ "_between": { "_field": "startDate" } })),
        "Invalid filter at query[1]._between: needs \"_from\", \"_to\" or both"
    );
    assert_eq!(
        filter_err(json!({ "_between": { "_from": 1, "_to": 2 } })),
        "Invalid filter at query[1]._between: missing \"_field\""
    );
}

#[test]
fn contains_and_has_test_presence() {
    let expected = Filter::Contains { field: FieldPath::CustomField { name: "cvss".into(), kind: None } };
    assert_eq!(filter(json!({ "_contains": "customFields.cvss" })), expected);
    assert_eq!(filter(json!({ "_has": "customFields.cvss" })), expected);
    assert_eq!(
        filter_err(json!({ "_has": { "_field": "x" } })),
        "Invalid filter at query[1]._has: expects a string, found an object"
    );
}

#[test]
fn id_takes_one_or_many_tilde_ids() {
    assert_eq!(filter(json!({ "_id": "~123" })), Filter::Id(vec!["~123".into()]));
    assert_eq!(filter(json!({ "_id": ["~1", "~2"] })), Filter::Id(vec!["~1".into(), "~2".into()]));
    assert_eq!(filter_err(json!({ "_id": "123" })), "Invalid filter at query[1]._id: id \"123\" must start with \"~\"");
    assert_eq!(
        filter_err(json!({ "_id": ["~1", 2] })),
        "Invalid filter at query[1]._id[1]: expects an id string, found a number"
    );
}

#[test]
fn any_string_and_empty_filters() {
    assert_eq!(filter(json!({})), Filter::Any);
    assert_eq!(filter(json!({ "_any": {} })), Filter::Any);
    assert_eq!(filter(json!({ "_any": null })), Filter::Any);
    assert_eq!(filter(json!({ "_string": "title:phishing" })), Filter::Text("title:phishing".into()));
    assert_eq!(
        filter_err(json!({ "_string": 1 })),
        "Invalid filter at query[1]._string: expects a string, found a number"
    );
}

#[test]
fn combinators_nest() {
    let parsed = filter(json!({
        "_and": [
            { "_eq": { "_field": "status", "_value": "New" } },
            { "_or": [ { "_gt": { "severity": 2 } }, { "_not": { "flag": true } } ] },
            { "_and": [] }
        ]
    }));
    assert_eq!(
        parsed,
        Filter::And(vec![
            eq("status", text("New")),
            Filter::Or(vec![
                Filter::Gt { field: field("severity"), value: Scalar::Int(2) },
                Filter::Not(Box::new(eq("flag", Scalar::Bool(true)))),
            ]),
            Filter::And(vec![]),
        ])
    );
}

// ------------------------------------------------------------- field paths

#[test]
fn field_paths() {
    let path = |name: &str| match filter(json!({ "_has": name })) {
        Filter::Contains { field } => field,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(path("title"), field("title"));
    assert_eq!(path("computed.handlingDuration"), field("computed.handlingDuration"));
    assert_eq!(path("customFieldsCount"), field("customFieldsCount"));
    assert_eq!(
        path("customFields.score.integer"),
        FieldPath::CustomField { name: "score".into(), kind: Some(CustomFieldType::Integer) }
    );
    for meta in MetaField::ALL {
        assert_eq!(path(meta.as_str()), FieldPath::Meta(meta));
        assert_eq!(FieldPath::Meta(meta).to_string(), meta.as_str());
    }
    for kind in CustomFieldType::ALL {
        let name = format!("customFields.x.{}", kind.as_str());
        assert_eq!(path(&name).to_string(), name);
    }

    let bad = |name: &str| filter_err(json!({ "_has": name }));
    assert_eq!(
        bad("_type"),
        "Invalid filter at query[1]._has: unknown meta field \"_type\"; meta fields are _id, \
         _createdAt, _createdBy, _updatedAt and _updatedBy"
    );
    assert_eq!(
        bad("customFields"),
        "Invalid filter at query[1]._has: \"customFields\" needs a name: customFields.<name>"
    );
    assert!(bad("customFields.x.colour").contains("unknown custom field type \"colour\""));
    assert!(bad("customFields.").contains("custom field name is empty"));
    assert!(bad("").contains("field name is empty"));
    assert!(bad(&"a".repeat(300)).contains("longer than 256 bytes"));
}

#[test]
fn filter_shape_errors() {
    assert_eq!(
        filter_err(json!({ "_and": [{ "_foo": 1 }] })),
        "Invalid filter at query[1]._and[0]: operator \"_foo\" unknown"
    );
    assert_eq!(
        filter_err(json!({ "_and": { "a": 1 } })),
        "Invalid filter at query[1]._and: expects an array of filters, found an object"
    );
    assert_eq!(
        filter_err(json!({ "_or": [1] })),
        "Invalid filter at query[1]._or[0]: expected a filter object, found a number"
    );
    assert_eq!(
        filter_err(json!({ "_not": [] })),
        "Invalid filter at query[1]._not: expected a filter object, found an array"
    );
    assert_eq!(
        filter_err(json!({ "_and": [], "_or": [] })),
        "Invalid filter at query[1]: expected exactly one operator, found 2 keys: \"_and\", \"_or\""
    );
    assert_eq!(
        filter_err(json!({ "_eq": "status" })),
        "Invalid filter at query[1]._eq: expects an object such as {\"_field\": <name>, \
         \"_value\": <value>}, found a string"
    );
    assert_eq!(
        filter_err(json!({ "_eq": { "_field": 3, "_value": 1 } })),
        "Invalid filter at query[1]._eq._field: expects a field name, found a number"
    );
    assert_eq!(filter_err(json!({ "_eq": { "_field": "a" } })), "Invalid filter at query[1]._eq: missing \"_value\"");
    assert_eq!(
        filter_err(json!({ "_eq": { "_field": "a", "_value": 1, "x": 2 } })),
        "Invalid filter at query[1]._eq: unexpected key \"x\"; expected \"_field\", \"_value\""
    );
    assert_eq!(
        filter_err(json!({ "_eq": { "a": 1, "b": 2 } })),
        "Invalid filter at query[1]._eq: expects {\"_field\": <name>, \"_value\": <value>} or \
         {\"<field>\": <value>}, found 2 keys"
    );
    assert_eq!(
        filter_err(json!({ "_lt": { "severity": [3] } })),
        "Invalid filter at query[1]._lt.severity: expects a string, number, boolean or null, \
         found an array"
    );
    assert_eq!(
        filter_err(json!({ "status": { "_eq": "Open" } })),
        "Invalid filter at query[1].status: expects a string, number, boolean or null, found \
         an object"
    );
    assert_eq!(
        filter_err(json!({ "_field": "status", "_value": "Open", "extra": 1 })),
        "Invalid filter at query[1]: unexpected key \"extra\"; expected \"_field\", \"_value\""
    );
    assert_eq!(
        filter_err(json!({ "_eq": { "n": 18_446_744_073_709_551_615_u64 } })),
        "Invalid filter at query[1]._eq.n: integer 18446744073709551615 is out of range"
    );
}
