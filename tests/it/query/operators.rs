//! Every filter operator, in TheHive 4 and 5 spellings, against the known cases of the
//! fixture (alice sees cases 101, 102, 103 and 105).

use serde_json::json;

use super::fixture::{ALICE, As, cases_where, ok, query, seed};
use crate::harness::{TestApp, assert_error};

crate::backend_tests!(
    comparisons,
    text_operators,
    logic,
    tags_and_custom_fields,
    meta_and_computed_fields,
    thehive4py_filters,
    type_errors
);

async fn comparisons(app: TestApp) {
    seed(&app).await;
    let sev = |op: &str, v| json!({ op: {"_field": "severity", "_value": v} });
    assert_eq!(cases_where(&app, sev("_eq", json!(3))).await, [101]);
    assert_eq!(cases_where(&app, sev("_ne", json!(2))).await, [101, 102, 103]);
    assert_eq!(cases_where(&app, sev("_lt", json!(3))).await, [103, 105]);
    assert_eq!(cases_where(&app, sev("_lte", json!(3))).await, [101, 103, 105]);
    assert_eq!(cases_where(&app, sev("_gt", json!(2))).await, [101, 102]);
    assert_eq!(cases_where(&app, sev("_gte", json!(2))).await, [101, 102, 105]);
    // Numbers may come as numeric strings (TheHive parses values with the field's type).
    assert_eq!(cases_where(&app, sev("_eq", json!("4"))).await, [102]);
    // 4.x compact form.
    assert_eq!(cases_where(&app, json!({"_gt": {"severity": 3}})).await, [102]);
    assert_eq!(
        cases_where(&app, json!({"_in": {"_field": "status", "_values": ["New", "Closed"]}})).await,
        [101, 103, 105]
    );
    assert_eq!(cases_where(&app, json!({"_in": {"_field": "status", "_values": []}})).await, Vec::<i64>::new());
    // _between is from ≤ x < to, with either bound optional.
    let between = |from, to| json!({"_between": {"_field": "_createdAt", "_from": from, "_to": to}});
    assert_eq!(cases_where(&app, between(json!(1000), json!(3000))).await, [101, 102]);
    assert_eq!(cases_where(&app, between(json!(3000), json!(null))).await, [103, 105]);
    assert_eq!(cases_where(&app, json!({"_between": {"_field": "startDate", "_to": 2000}})).await, [101]);
    assert_eq!(cases_where(&app, json!({"_eq": {"_field": "flag", "_value": true}})).await, [103]);
    assert_eq!(cases_where(&app, json!({"_eq": {"_field": "flag", "_value": "true"}})).await, [103]);
    assert_eq!(cases_where(&app, json!({"_eq": {"_field": "number", "_value": 5}})).await, [105]);
}

async fn text_operators(app: TestApp) {
    seed(&app).await;
    let like = |v: &str| json!({"_like": {"_field": "title", "_value": v}});
    assert_eq!(cases_where(&app, like("*incident*")).await, [105]);
    assert_eq!(cases_where(&app, like("Phish*")).await, [101]);
    assert_eq!(cases_where(&app, like("*outbreak")).await, [102]);
    assert_eq!(cases_where(&app, like("Test case")).await, [103]);
    // Case is ignored; SQL wildcards in the value are literal.
    assert_eq!(cases_where(&app, like("test CASE")).await, [103]);
    assert_eq!(cases_where(&app, like("*%*")).await, Vec::<i64>::new());
    assert_eq!(cases_where(&app, json!({"_like": {"_field": "description", "_value": "*50%_off*"}})).await, [103]);
    assert_eq!(
        cases_where(&app, json!({"_like": {"_field": "description", "_value": "*50%xoff*"}})).await,
        Vec::<i64>::new()
    );
    assert_eq!(cases_where(&app, json!({"_wildcard": {"_field": "title", "_value": "R*w?re*"}})).await, [102]);
    assert_eq!(cases_where(&app, json!({"_startsWith": {"_field": "title", "_value": "Test"}})).await, [103]);
    assert_eq!(cases_where(&app, json!({"_endsWith": {"_field": "title", "_value": "campaign"}})).await, [101]);
    assert_eq!(cases_where(&app, json!({"_match": {"_field": "description", "_value": "invoice fake"}})).await, [101]);
    assert_eq!(
        cases_where(&app, json!({"_match": {"_field": "description", "_value": "fake server"}})).await,
        Vec::<i64>::new()
    );
    // _string is full text over the case's index; TheHive 4 spelling of a free-text query.
    assert_eq!(cases_where(&app, json!({"_string": "ransomware"})).await, [102]);
    assert_eq!(cases_where(&app, json!({"_string": "phish*"})).await, [101]);
    assert_eq!(cases_where(&app, json!({"_string": "\"fake invoice\""})).await, [101]);
    assert_eq!(cases_where(&app, json!({"_string": "\"invoice fake\""})).await, Vec::<i64>::new());
    assert_eq!(cases_where(&app, json!({"_string": "  "})).await, [101, 102, 103, 105]);
}

async fn logic(app: TestApp) {
    seed(&app).await;
    let all = [101, 102, 103, 105];
    assert_eq!(cases_where(&app, json!({})).await, all);
    assert_eq!(cases_where(&app, json!({"_any": "whatever"})).await, all);
    assert_eq!(cases_where(&app, json!({"_field": "status", "_value": "New"})).await, [101, 105]);
    assert_eq!(cases_where(&app, json!({"status": "New"})).await, [101, 105]);
    assert_eq!(cases_where(&app, json!({"_is": {"_field": "status", "_value": "New"}})).await, [101, 105]);
    assert_eq!(
        cases_where(
            &app,
            json!({"_and": [{"_field": "status", "_value": "New"}, {"_eq": {"_field": "severity", "_value": 3}}]})
        )
        .await,
        [101]
    );
    assert_eq!(
        cases_where(&app, json!({"_or": [{"_eq": {"severity": 4}}, {"_eq": {"severity": 1}}]})).await,
        [102, 103]
    );
    assert_eq!(cases_where(&app, json!({"_and": []})).await, Vec::<i64>::new());
    assert_eq!(cases_where(&app, json!({"_or": []})).await, Vec::<i64>::new());
    // _not of a comparison includes the rows where the property is absent (103 has no
    // assignee), _ne requires it.
    assert_eq!(cases_where(&app, json!({"_not": {"_eq": {"_field": "assignee", "_value": ALICE}}})).await, [103, 105]);
    assert_eq!(cases_where(&app, json!({"_ne": {"_field": "assignee", "_value": ALICE}})).await, [105]);
    assert_eq!(cases_where(&app, json!({"_has": "assignee"})).await, [101, 102, 105]);
    assert_eq!(cases_where(&app, json!({"_contains": "assignee"})).await, [101, 102, 105]);
    assert_eq!(cases_where(&app, json!({"_not": {"_has": "assignee"}})).await, [103]);
    assert_eq!(cases_where(&app, json!({"_eq": {"_field": "assignee", "_value": null}})).await, [103]);
    assert_eq!(cases_where(&app, json!({"_id": "~102"})).await, [102]);
    assert_eq!(cases_where(&app, json!({"_id": ["~102", "~103", "~104"]})).await, [102, 103]);
    assert_eq!(
        cases_where(
            &app,
            json!({"_not": {"_or": [{"_id": "~101"}, {"_and": [{"status": "New"}, {"_not": {"_any": {}}}]}]}})
        )
        .await,
        [102, 103, 105]
    );
}

async fn tags_and_custom_fields(app: TestApp) {
    seed(&app).await;
    assert_eq!(cases_where(&app, json!({"_eq": {"_field": "tags", "_value": "phishing"}})).await, [101]);
    assert_eq!(
        cases_where(&app, json!({"_in": {"_field": "tags", "_values": ["ransomware", "mail"]}})).await,
        [101, 102]
    );
    assert_eq!(cases_where(&app, json!({"_like": {"_field": "tags", "_value": "*WARE"}})).await, [102]);
    assert_eq!(cases_where(&app, json!({"_ne": {"_field": "tags", "_value": "phishing"}})).await, [102, 103, 105]);
    assert_eq!(cases_where(&app, json!({"_has": "tags"})).await, [101, 102]);

    let cf = |op: &str, f: &str, v| json!({ op: {"_field": f, "_value": v} });
    assert_eq!(cases_where(&app, cf("_eq", "customFields.businessUnit", json!("Finance"))).await, [101]);
    assert_eq!(cases_where(&app, cf("_gt", "customFields.score", json!(5))).await, [101]);
    assert_eq!(cases_where(&app, cf("_lt", "customFields.score.integer", json!(5))).await, [102]);
    assert_eq!(cases_where(&app, cf("_like", "customFields.businessUnit", json!("fin*"))).await, [101]);
    assert_eq!(
        cases_where(&app, json!({"_between": {"_field": "customFields.score", "_from": 3, "_to": 7}})).await,
        [102]
    );
    assert_eq!(cases_where(&app, json!({"_has": "customFields.businessUnit"})).await, [101, 102]);
    assert_eq!(cases_where(&app, json!({"_not": {"_has": "customFields.businessUnit"}})).await, [103, 105]);
    assert_eq!(cases_where(&app, json!({"_has": "customFields.unused"})).await, Vec::<i64>::new());
    // Sorting on a custom field: absent values last, ties by id in the same direction.
    let body = ok(
        &app,
        As::User(ALICE),
        json!([{"_name": "listCase"}, {"_name": "sort", "_fields": [{"customFields.score": "asc"}]}]),
    )
    .await;
    assert_eq!(super::fixture::ids(&body), [102, 101, 103, 105]);
    // A field that does not exist, or asked with another type, is unknown.
    let (status, body) = query(
        &app,
        As::User(ALICE),
        json!([{"_name": "listCase"}, {"_name": "filter", "_eq": {"_field": "customFields.score.string", "_value": "7"}}]),
    )
    .await;
    assert_error(status, &body, 400, "BadRequest");
    assert_eq!(body["message"], "Property customFields.score.string for type Case not found");
    let (status, body) = query(
        &app,
        As::User(ALICE),
        json!([{"_name": "listCase"}, {"_name": "filter", "_eq": {"_field": "customFields.nope", "_value": 1}}]),
    )
    .await;
    assert_error(status, &body, 400, "BadRequest");
    assert!(body["message"].as_str().unwrap().contains("customFields.nope"), "{body}");
}

async fn meta_and_computed_fields(app: TestApp) {
    seed(&app).await;
    assert_eq!(cases_where(&app, json!({"_eq": {"_field": "_createdBy", "_value": ALICE}})).await, [101, 102, 103]);
    assert_eq!(cases_where(&app, json!({"_has": "_updatedAt"})).await, [102]);
    assert_eq!(cases_where(&app, json!({"_gt": {"_field": "_updatedAt", "_value": 0}})).await, [102]);
    assert_eq!(cases_where(&app, json!({"_eq": {"_field": "_id", "_value": "~105"}})).await, [105]);
    assert_eq!(cases_where(&app, json!({"_eq": {"_field": "owningOrganisation", "_value": "cert"}})).await, [105]);
    assert_eq!(cases_where(&app, json!({"_eq": {"_field": "stage", "_value": "Closed"}})).await, [103]);
}

/// The bodies thehive4py 2.x's filter builders produce (spec thehive4py-client §3.1):
/// `Eq, Gt, Like, And, Or, Not, In, Between, Contains, StartsWith, EndsWith`, `find` and
/// `count`.
async fn thehive4py_filters(app: TestApp) {
    seed(&app).await;
    // Eq("status", "New") & Gt("severity", 2)
    let and =
        json!({"_and": [{"_eq": {"_field": "status", "_value": "New"}}, {"_gt": {"_field": "severity", "_value": 2}}]});
    assert_eq!(cases_where(&app, and.clone()).await, [101]);
    // Like | Or | Not
    let or = json!({"_or": [{"_like": {"_field": "title", "_value": "*phish*"}}, {"_like": {"_field": "title", "_value": "*outbreak*"}}]});
    assert_eq!(cases_where(&app, or).await, [101, 102]);
    assert_eq!(cases_where(&app, json!({"_not": {"_eq": {"_field": "status", "_value": "New"}}})).await, [102, 103]);
    assert_eq!(cases_where(&app, json!({"_in": {"_field": "severity", "_values": [1, 4]}})).await, [102, 103]);
    assert_eq!(cases_where(&app, json!({"_between": {"_field": "severity", "_from": 2, "_to": 4}})).await, [101, 105]);
    assert_eq!(cases_where(&app, json!({"_contains": "summary"})).await, Vec::<i64>::new());
    assert_eq!(cases_where(&app, json!({"_startsWith": {"_field": "title", "_value": "Ran"}})).await, [102]);
    assert_eq!(cases_where(&app, json!({"_endsWith": {"_field": "title", "_value": "incident"}})).await, [105]);
    // case.find(filters=..., sortby=Asc("title"), paginate=Paginate(0, 2))
    let body = ok(
        &app,
        As::User(ALICE),
        json!([
            {"_name": "listCase"},
            {"_name": "filter", "_or": [{"_eq": {"_field": "status", "_value": "New"}}, {"_eq": {"_field": "status", "_value": "InProgress"}}]},
            {"_name": "sort", "_fields": [{"title": "asc"}]},
            {"_name": "page", "from": 0, "to": 2, "extraData": []}
        ]),
    )
    .await;
    assert_eq!(super::fixture::ids(&body), [101, 102]);
    // case.count(filters=...)
    let body = ok(
        &app,
        As::User(ALICE),
        json!([{"_name": "listCase"}, {"_name": "filter", "_and": [and]}, {"_name": "count"}]),
    )
    .await;
    assert_eq!(body, json!(1));
    // case.get_observables / find_tasks: getCase + traversal, no name parameter.
    let body = ok(&app, As::User(ALICE), json!([{"_name": "getCase", "idOrName": "~101"}, {"_name": "tasks"}])).await;
    assert_eq!(super::fixture::ids(&body), [202, 201]);
}

async fn type_errors(app: TestApp) {
    seed(&app).await;
    let bad = [
        (json!({"_eq": {"_field": "severity", "_value": "high"}}), "Field \"severity\" expects a number"),
        (json!({"_like": {"_field": "severity", "_value": "*1*"}}), "severity"),
        (json!({"_eq": {"_field": "nope", "_value": 1}}), "Property nope for type Case not found"),
        (json!({"_eq": {"_field": "flag", "_value": "maybe"}}), "Field \"flag\" expects a boolean"),
        (json!({"_eq": {"_field": "_createdAt", "_value": "yesterday"}}), "_createdAt"),
        (json!({"_eq": {"_field": "title", "_value": 5}}), "Field \"title\" expects a string"),
        (json!({"_lt": {"_field": "title", "_value": null}}), "title"),
        (json!({"_sort": {}}), "_sort"),
    ];
    for (filter, needle) in bad {
        let mut step = filter.as_object().cloned().unwrap();
        step.insert("_name".into(), json!("filter"));
        let (status, body) = query(&app, As::User(ALICE), json!([{"_name": "listCase"}, step])).await;
        assert_error(status, &body, 400, "BadRequest");
        assert!(body["message"].as_str().unwrap().contains(needle), "{filter}: {body}");
    }
}
