//! A query never returns, counts or reaches through a traversal what the caller may not see.

use serde_json::{Value, json};

use super::fixture::{ALICE, As, BOB, exec, ids, ok, seed};
use crate::harness::TestApp;

crate::backend_tests!(
    each_organisation_sees_its_own,
    no_operator_widens_visibility,
    admin_organisation_sees_no_case_data,
    counts_by_status_follow_shares_and_status_changes
);

async fn each_organisation_sees_its_own(app: TestApp) {
    seed(&app).await;
    let list = |initial: &str| json!([{"_name": initial}, {"_name": "sort", "_fields": [{"_id": "asc"}]}]);
    let (a, b) = (As::User(ALICE), As::User(BOB));
    assert_eq!(ids(&ok(&app, a, list("listCase")).await), [101, 102, 103, 105]);
    assert_eq!(ids(&ok(&app, b, list("listCase")).await), [104, 105]);
    assert_eq!(ids(&ok(&app, a, list("listTask")).await), [201, 202, 203]);
    assert_eq!(ids(&ok(&app, b, list("listTask")).await), [204]);
    assert_eq!(ids(&ok(&app, a, list("listObservable")).await), [301, 302, 304]);
    assert_eq!(ids(&ok(&app, b, list("listObservable")).await), [303]);
    assert_eq!(ids(&ok(&app, a, list("listAlert")).await), [401]);
    assert_eq!(ids(&ok(&app, b, list("listAlert")).await), [402]);
    assert_eq!(ids(&ok(&app, b, list("listLog")).await), Vec::<i64>::new());
    assert_eq!(ids(&ok(&app, b, list("listComment")).await), Vec::<i64>::new());
    assert_eq!(ids(&ok(&app, b, list("listPage")).await), Vec::<i64>::new());
    assert_eq!(ok(&app, b, json!([{"_name": "countCase"}])).await, json!(2));
    assert_eq!(ok(&app, a, json!([{"_name": "listCase"}, {"_name": "limitedCount"}])).await, json!(4));
}

async fn no_operator_widens_visibility(app: TestApp) {
    seed(&app).await;
    let a = As::User(ALICE);
    let none = Vec::<i64>::new();
    // By id, by number, by filters that match it, by _or with a visible one.
    assert_eq!(first(&app, json!([{"_name": "getCase", "idOrName": "~104"}])).await, none);
    assert_eq!(first(&app, json!([{"_name": "getCase", "idOrName": "4"}])).await, none);
    assert_eq!(first(&app, json!([{"_name": "listCase"}, {"_name": "filter", "_id": "~104"}])).await, none);
    assert_eq!(
        first(&app, json!([{"_name": "listCase"}, {"_name": "filter", "_or": [{"_id": "~104"}, {"_any": {}}]}, {"_name": "sort", "_fields": ["_id"]}]))
            .await,
        [101, 102, 103, 105]
    );
    assert_eq!(
        first(&app, json!([{"_name": "listCase"}, {"_name": "filter", "_not": {"_id": "~101"}}, {"_name": "sort", "_fields": ["_id"]}]))
            .await,
        [102, 103, 105]
    );
    // Counting cannot reveal it either.
    assert_eq!(ok(&app, a, json!([{"_name": "countTask", "caseId": "~104"}])).await, json!(0));
    assert_eq!(
        ok(&app, a, json!([{"_name": "listCase"}, {"_name": "filter", "_eq": {"title": "Cert secret phishing"}}, {"_name": "count"}])).await,
        json!(0)
    );
    // Through traversals: the cert organisation's cases, the shared case's tasks, the
    // observables similar to one of ours.
    assert_eq!(first(&app, json!([{"_name": "getOrganisation", "idOrName": "cert"}, {"_name": "cases"}])).await, [105]);
    assert_eq!(first(&app, json!([{"_name": "getTask", "idOrName": "~204"}, {"_name": "case"}])).await, none);
    assert_eq!(first(&app, json!([{"_name": "listObservable"}, {"_name": "similar"}])).await, none);
    assert_eq!(first(&app, json!([{"_name": "getObservable", "idOrName": "~303"}])).await, none);
    assert_eq!(first(&app, json!([{"_name": "getAlert", "idOrName": "~402"}, {"_name": "case"}])).await, none);
    // Bob sees the alert's case, which is his.
    assert_eq!(
        ids(&ok(&app, As::User(BOB), json!([{"_name": "getAlert", "idOrName": "~402"}, {"_name": "case"}])).await),
        [104]
    );
    // Full text does not reach it.
    assert_eq!(first(&app, json!([{"_name": "listCase"}, {"_name": "filter", "_string": "secret"}])).await, none);
    // Users of another organisation are not listed, even through an organisation.
    let users = ok(&app, a, json!([{"_name": "getOrganisation", "idOrName": "cert"}, {"_name": "users"}])).await;
    assert_eq!(users, json!([]));
}

/// The ids alice gets.
async fn first(app: &TestApp, steps: Value) -> Vec<i64> {
    ids(&ok(app, As::User(ALICE), steps).await)
}

async fn admin_organisation_sees_no_case_data(app: TestApp) {
    seed(&app).await;
    assert_eq!(ok(&app, As::Admin, json!([{"_name": "listCase"}])).await, json!([]));
    assert_eq!(ok(&app, As::Admin, json!([{"_name": "countCase"}])).await, json!(0));
    assert_eq!(ok(&app, As::Admin, json!([{"_name": "listAlert"}, {"_name": "count"}])).await, json!(0));
    assert_eq!(ok(&app, As::Admin, json!([{"_name": "listObservable"}])).await, json!([]));
}

/// A count of cases by status is read from the shares (migration 0007): it must see the
/// shared case, not the other organisation's, and follow a status change at once.
async fn counts_by_status_follow_shares_and_status_changes(app: TestApp) {
    seed(&app).await;
    let (a, b) = (As::User(ALICE), As::User(BOB));
    let count = |status: &str| json!([{"_name": "listCase"}, {"_name": "filter", "_field": "status", "_value": status}, {"_name": "count"}]);
    let and_count = |status: &str| json!([{"_name": "listCase"}, {"_name": "filter", "_and": [{"_eq": {"_field": "status", "_value": status}}]}, {"_name": "count"}]);
    let limited = |status: &str| json!([{"_name": "listCase"}, {"_name": "filter", "_eq": {"status": status}}, {"_name": "limitedCount"}]);
    // alice: 101 and the shared 105; bob: 104 and 105.
    assert_eq!(ok(&app, a, count("New")).await, json!(2));
    assert_eq!(ok(&app, a, and_count("New")).await, json!(2));
    assert_eq!(ok(&app, a, limited("New")).await, json!(2));
    assert_eq!(ok(&app, b, count("New")).await, json!(2));
    assert_eq!(ok(&app, a, count("InProgress")).await, json!(1));
    assert_eq!(ok(&app, b, count("InProgress")).await, json!(0));
    exec(&app, "UPDATE cases SET status = 'InProgress', stage = 'InProgress' WHERE id = 105").await;
    assert_eq!(ok(&app, a, count("New")).await, json!(1));
    assert_eq!(ok(&app, a, count("InProgress")).await, json!(2));
    assert_eq!(ok(&app, b, count("New")).await, json!(1));
    assert_eq!(ok(&app, b, count("InProgress")).await, json!(1));
    // Another filter besides the status takes the general path, with the same answer.
    let both = json!([{"_name": "listCase"}, {"_name": "filter", "_field": "status", "_value": "InProgress"},
                      {"_name": "filter", "_field": "severity", "_value": 2}, {"_name": "count"}]);
    assert_eq!(ok(&app, a, both).await, json!(1));
    // A share made later takes the case's current status.
    exec(&app, "DELETE FROM share WHERE case_id = 104 AND owner = FALSE").await;
    exec(
        &app,
        "INSERT INTO share (case_id, organisation_id, profile_id, owner, created_by, created_at) \
         SELECT 104, organisation_id, profile_id, FALSE, 'x', 1 FROM share WHERE case_id = 105 AND owner = FALSE",
    )
    .await;
    assert_eq!(ok(&app, a, count("New")).await, json!(2));
}
