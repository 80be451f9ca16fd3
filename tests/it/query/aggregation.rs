//! The `aggregation` step (spec §3.7) over the known data of `fixture.rs`: answer shapes
//! as ScalliGraph gives them, visibility, filters before and inside, custom fields, bad
//! input.

use serde_json::json;

use super::fixture::{ALICE, As, BOB, ok, query, seed};
use crate::harness::{TestApp, assert_error};

crate::backend_tests!(aggregation_shapes, aggregation_metrics_and_time, aggregation_bad_input);

async fn aggregation_shapes(app: TestApp) {
    seed(&app).await;
    let alice = As::User(ALICE);
    // Top-level count: only what the caller sees (alice: 101, 102, 103, shared 105).
    let count = json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "count"}]);
    assert_eq!(ok(&app, alice, count.clone()).await, json!({"count": 4}));
    assert_eq!(ok(&app, As::User(BOB), count).await, json!({"count": 2}));
    // Field buckets with a count each.
    let by_status = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "field", "_field": "status",
                "_select": [{"_agg": "count"}]}]),
    )
    .await;
    assert_eq!(by_status, json!({"New": {"count": 2}, "InProgress": {"count": 1}, "Closed": {"count": 1}}));
    // Without sub-aggregations a bucket is an empty object.
    let plain =
        ok(&app, alice, json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "field", "_field": "flag"}]))
            .await;
    assert_eq!(plain, json!({"true": {}, "false": {}}));
    // Tags: cert's phishing case is not counted for alice.
    let tags = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "field", "_field": "tags",
                "_select": [{"_agg": "count", "_name": "n"}]}]),
    )
    .await;
    assert_eq!(tags, json!({"phishing": {"n": 1}, "mail": {"n": 1}, "ransomware": {"n": 1}}));
    // _order and _size: the most frequent status only; then by key, descending.
    let top = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "field", "_field": "status",
                "_order": ["-count"], "_size": 1, "_select": [{"_agg": "count"}]}]),
    )
    .await;
    assert_eq!(top, json!({"New": {"count": 2}}));
    let last = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "field", "_field": "severity",
                "_order": "-severity", "_size": 2}]),
    )
    .await;
    assert_eq!(last, json!({"4": {}, "3": {}}));
    // A filter before the step, and `_query` inside it.
    let filtered = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "filter", "_field": "status", "_value": "New"},
               {"_name": "aggregation", "_agg": "count"}]),
    )
    .await;
    assert_eq!(filtered, json!({"count": 2}));
    let inner = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "count", "_query": {"_gte": {"severity": 3}}}]),
    )
    .await;
    assert_eq!(inner, json!({"count": 2}));
    // After a traversal: alice's tasks by status (cert's task is invisible).
    let tasks = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "tasks"},
               {"_name": "aggregation", "_agg": "field", "_field": "status", "_select": [{"_agg": "count"}]}]),
    )
    .await;
    assert_eq!(tasks, json!({"Waiting": {"count": 1}, "Completed": {"count": 1}, "InProgress": {"count": 1}}));
    // Custom fields group like plain fields.
    let units = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "field", "_field": "customFields.businessUnit",
                "_select": [{"_agg": "count"}]}]),
    )
    .await;
    assert_eq!(units, json!({"Finance": {"count": 1}, "IT": {"count": 1}}));
}

async fn aggregation_metrics_and_time(app: TestApp) {
    seed(&app).await;
    let alice = As::User(ALICE);
    // New: 101 (sev 3, tlp 2) and 105 (sev 2, tlp 2). avg/sum are stored under their
    // name, min/max objects are merged in.
    let metrics = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "filter", "_field": "status", "_value": "New"},
               {"_name": "aggregation", "_agg": "field", "_field": "status", "_select": [
                   {"_agg": "avg", "_field": "severity"}, {"_agg": "max", "_field": "severity"},
                   {"_agg": "sum", "_field": "severity", "_name": "total"}, {"_agg": "min", "_field": "tlp"}]}]),
    )
    .await;
    assert_eq!(metrics, json!({"New": {"avg_severity": 2.5, "max_severity": 3, "total": 5, "min_tlp": 2}}));
    // A metric alone is an object too; custom fields are numbers when their type is.
    let score = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "avg", "_field": "customFields.score"}]),
    )
    .await;
    assert_eq!(score, json!({"avg_customFields.score": 5.0}));
    // Time buckets (created at 1000, 2000, 3000, 5000) keyed by their start, the field
    // name in between as ScalliGraph renders it.
    let time = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "time", "_fields": ["_createdAt"],
                "_interval": "2s", "_select": [{"_agg": "count"}]}]),
    )
    .await;
    assert_eq!(
        time,
        json!({"0": {"_createdAt": {"count": 1}}, "2000": {"_createdAt": {"count": 2}},
               "4000": {"_createdAt": {"count": 1}}})
    );
    // 4.x spelling (number + unit) and calendar months.
    let months = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "time", "_fields": ["startDate"],
                "_interval": 1, "_unit": "MONTHS", "_select": [{"_agg": "count"}]}]),
    )
    .await;
    assert_eq!(months, json!({"0": {"startDate": {"count": 4}}}));
    // Nested: per status, per day.
    let nested = ok(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "field", "_field": "status",
                "_query": {"_field": "status", "_value": "New"},
                "_select": [{"_agg": "time", "_fields": ["_createdAt"], "_interval": "1d",
                             "_select": [{"_agg": "count"}]}]}]),
    )
    .await;
    assert_eq!(nested, json!({"New": {"0": {"_createdAt": {"count": 2}}}}));
}

async fn aggregation_bad_input(app: TestApp) {
    seed(&app).await;
    let alice = As::User(ALICE);
    let bad = [
        json!({"_agg": "field", "_field": "nope"}),
        json!({"_agg": "avg", "_field": "title"}),
        json!({"_agg": "sum", "_field": "tags"}),
        json!({"_agg": "time", "_fields": ["title"], "_interval": "1d"}),
        json!({"_agg": "time", "_fields": ["_createdAt"], "_interval": "1q"}),
        json!({"_agg": "median", "_field": "severity"}),
        json!({"_agg": "field", "_field": "status", "_order": ["title"]}),
        json!({"_agg": "count", "_query": {"_field": "nope", "_value": 1}}),
    ];
    for agg in bad {
        let mut step = agg.as_object().unwrap().clone();
        step.insert("_name".into(), json!("aggregation"));
        let (status, body) = query(&app, alice, json!([{"_name": "listCase"}, step])).await;
        assert_error(status, &body, 400, "BadRequest");
    }
    // Nothing may follow an aggregation but a page.
    let (status, body) = query(
        &app,
        alice,
        json!([{"_name": "listCase"}, {"_name": "aggregation", "_agg": "count"}, {"_name": "count"}]),
    )
    .await;
    assert_error(status, &body, 400, "BadRequest");
}
