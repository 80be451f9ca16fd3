//! Initial operations, traversals, sort, page, counts and what they render.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::fixture::{ALICE, As, BOB, ids, ok, request, seed};
use crate::harness::{TestApp, send};

crate::backend_tests!(
    sort_keys,
    page_edges,
    counts,
    initial_operations,
    traversals,
    users_organisations_profiles,
    generic_entities
);

async fn sort_keys(app: TestApp) {
    seed(&app).await;
    let sorted = |fields: Value| json!([{"_name": "listCase"}, {"_name": "sort", "_fields": fields}]);
    let a = As::User(ALICE);
    assert_eq!(ids(&ok(&app, a, sorted(json!([{"severity": "desc"}]))).await), [102, 101, 105, 103]);
    assert_eq!(ids(&ok(&app, a, sorted(json!(["-severity"]))).await), [102, 101, 105, 103]);
    assert_eq!(ids(&ok(&app, a, sorted(json!(["+severity"]))).await), [103, 105, 101, 102]);
    // Several keys: status ascending, then title descending.
    assert_eq!(ids(&ok(&app, a, sorted(json!([{"status": "asc"}, {"title": "desc"}]))).await), [103, 102, 105, 101]);
    assert_eq!(ids(&ok(&app, a, sorted(json!([{"_createdAt": "asc"}]))).await), [101, 102, 103, 105]);
    // Absent values sort last ascending, first descending (on both backends).
    assert_eq!(ids(&ok(&app, a, sorted(json!([{"assignee": "asc"}, {"_id": "asc"}]))).await), [101, 102, 105, 103]);
    assert_eq!(ids(&ok(&app, a, sorted(json!([{"assignee": "desc"}, {"_id": "asc"}]))).await), [103, 105, 101, 102]);
    // Without a sort: newest first.
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "listCase"}])).await), [105, 103, 102, 101]);
    // A second sort replaces the first.
    assert_eq!(
        ids(&ok(
            &app,
            a,
            json!([{"_name": "listCase"}, {"_name": "sort", "_fields": ["title"]}, {"_name": "sort", "_fields": ["-number"]}])
        )
        .await),
        [105, 103, 102, 101]
    );
}

async fn page_edges(app: TestApp) {
    seed(&app).await;
    let page = |from: u64, to: u64, extra: Value| {
        json!([
            {"_name": "listCase"},
            {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
            {"_name": "page", "from": from, "to": to, "extraData": extra}
        ])
    };
    let a = As::User(ALICE);
    assert_eq!(ids(&ok(&app, a, page(0, 2, json!([]))).await), [105, 103]);
    assert_eq!(ids(&ok(&app, a, page(2, 4, json!([]))).await), [102, 101]);
    assert_eq!(ids(&ok(&app, a, page(3, 100, json!([]))).await), [101]);
    assert_eq!(ids(&ok(&app, a, page(4, 10, json!([]))).await), Vec::<i64>::new());
    assert_eq!(ids(&ok(&app, a, page(1, 1, json!([]))).await), Vec::<i64>::new());
    // "total" in extraData: the X-Total header counts the whole set, not the page.
    let resp = request(&app, a, Method::POST, "/api/v1/query")
        .json(&json!({"query": page(0, 1, json!(["total", "unknownName"]))}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-total"], "4");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(ids(&body), [105]);
    // Without "total", no header.
    let resp = request(&app, a, Method::POST, "/api/v1/query")
        .json(&json!({"query": page(0, 1, json!([]))}))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("x-total").is_none());
    // Filter, sort and page before a traversal (thehive4py's find_page_templates order):
    // the tasks of the oldest case only.
    let body = ok(
        &app,
        a,
        json!([
            {"_name": "listCase"},
            {"_name": "sort", "_fields": [{"_createdAt": "asc"}]},
            {"_name": "page", "from": 0, "to": 1},
            {"_name": "tasks"},
            {"_name": "sort", "_fields": [{"title": "asc"}]}
        ]),
    )
    .await;
    assert_eq!(ids(&body), [202, 201]);
    // A filter after a page filters the page, a page after a page slices it.
    let body = ok(
        &app,
        a,
        json!([
            {"_name": "listCase"},
            {"_name": "sort", "_fields": [{"_createdAt": "asc"}]},
            {"_name": "page", "from": 0, "to": 3},
            {"_name": "filter", "_ne": {"_field": "severity", "_value": 4}},
            {"_name": "page", "from": 1, "to": 5}
        ]),
    )
    .await;
    assert_eq!(ids(&body), [103]);
}

async fn counts(app: TestApp) {
    seed(&app).await;
    let a = As::User(ALICE);
    let n = |v: Value| v.as_i64().unwrap_or_else(|| panic!("a number, got {v}"));
    assert_eq!(n(ok(&app, a, json!([{"_name": "listCase"}, {"_name": "count"}])).await), 4);
    assert_eq!(n(ok(&app, a, json!([{"_name": "countCase"}])).await), 4);
    assert_eq!(n(ok(&app, a, json!([{"_name": "listCase"}, {"_name": "limitedCount"}])).await), 4);
    assert_eq!(
        n(ok(
            &app,
            a,
            json!([{"_name": "listCase"}, {"_name": "filter", "_eq": {"tags": "phishing"}}, {"_name": "count"}])
        )
        .await),
        1
    );
    assert_eq!(
        n(ok(&app, a, json!([{"_name": "listCase"}, {"_name": "page", "from": 1, "to": 3}, {"_name": "count"}])).await),
        2
    );
    assert_eq!(n(ok(&app, a, json!([{"_name": "countTask", "caseId": "1"}])).await), 2);
    assert_eq!(n(ok(&app, a, json!([{"_name": "countTask", "caseId": "~101"}])).await), 2);
    assert_eq!(n(ok(&app, a, json!([{"_name": "countTask", "caseId": "4"}])).await), 0);
    assert_eq!(n(ok(&app, a, json!([{"_name": "countCaseObservable", "caseId": "~101"}])).await), 2);
    assert_eq!(n(ok(&app, a, json!([{"_name": "countAlertObservable", "alertId": "siem;splunk;A1"}])).await), 1);
    assert_eq!(n(ok(&app, a, json!([{"_name": "countAlert"}])).await), 1);
    assert_eq!(n(ok(&app, a, json!([{"_name": "countUnreadAlert"}])).await), 1);
    assert_eq!(n(ok(&app, a, json!([{"_name": "countImportedAlert"}])).await), 0);
    assert_eq!(n(ok(&app, As::User(BOB), json!([{"_name": "countImportedAlert"}])).await), 1);
    assert_eq!(n(ok(&app, As::User(BOB), json!([{"_name": "countRelatedAlert", "caseId": "4"}])).await), 1);
    assert_eq!(n(ok(&app, a, json!([{"_name": "listTask"}, {"_name": "count"}])).await), 3);
}

async fn initial_operations(app: TestApp) {
    seed(&app).await;
    let a = As::User(ALICE);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getCase", "idOrName": "2"}])).await), [102]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getCase", "idOrName": 2}])).await), [102]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getCase", "idOrName": "~102"}])).await), [102]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getCase", "idOrName": "nope"}])).await), Vec::<i64>::new());
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getAlert", "idOrName": "siem;splunk;A1"}])).await), [401]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getTask", "idOrName": "~203"}])).await), [203]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "waitingTasks"}])).await), [201]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "waitingTask"}])).await), [201]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "myTasks"}])).await), [203, 202]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "listLog"}])).await), [501]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getLog", "idOrName": "~501"}])).await), [501]);
    assert_eq!(
        ids(&ok(&app, a, json!([{"_name": "listObservable"}, {"_name": "filter", "_eq": {"ioc": true}}])).await),
        [301]
    );
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "listComment"}])).await), [601]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "listPage"}])).await), [701]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "listShare"}])).await).len(), 5);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getPattern", "idOrName": "T1566"}])).await), [901]);
    let me = ok(&app, a, json!([{"_name": "currentUser"}])).await;
    assert_eq!(me[0]["login"], ALICE);
    assert_eq!(me[0]["organisation"], "soc");
}

async fn traversals(app: TestApp) {
    seed(&app).await;
    let a = As::User(ALICE);
    let get = |id: &str, next: &str| json!([{"_name": "getCase", "idOrName": id}, {"_name": next}]);
    assert_eq!(ids(&ok(&app, a, get("1", "observables")).await), [302, 301]);
    assert_eq!(ids(&ok(&app, a, get("1", "comments")).await), [601]);
    assert_eq!(ids(&ok(&app, a, get("2", "pages")).await), [701]);
    assert_eq!(ids(&ok(&app, a, get("1", "alerts")).await), Vec::<i64>::new());
    let shares = ok(&app, a, get("5", "shares")).await;
    assert_eq!(shares.as_array().unwrap().len(), 2);
    let orgs = ok(&app, a, json!([{"_name": "getCase", "idOrName": "5"}, {"_name": "organisations"}, {"_name": "sort", "_fields": ["name"]}])).await;
    assert_eq!(
        orgs.as_array().unwrap().iter().map(|o| o["name"].clone()).collect::<Vec<_>>(),
        [json!("cert"), json!("soc")]
    );
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getTask", "idOrName": "~201"}, {"_name": "logs"}])).await), [501]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getLog", "idOrName": "~501"}, {"_name": "task"}])).await), [201]);
    assert_eq!(ids(&ok(&app, a, json!([{"_name": "getTask", "idOrName": "~203"}, {"_name": "case"}])).await), [102]);
    assert_eq!(
        ids(&ok(&app, a, json!([{"_name": "getAlert", "idOrName": "~401"}, {"_name": "observables"}])).await),
        [304]
    );
    assert_eq!(
        ids(&ok(&app, a, json!([{"_name": "getAlert", "idOrName": "~401"}, {"_name": "case"}])).await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&ok(&app, a, json!([{"_name": "getObservable", "idOrName": "~301"}, {"_name": "case"}])).await),
        [101]
    );
    // Observables of all visible cases with ioc, then their cases, deduplicated.
    assert_eq!(
        ids(&ok(
            &app,
            a,
            json!([{"_name": "listCase"}, {"_name": "observables"}, {"_name": "filter", "_eq": {"ioc": true}}, {"_name": "case"}])
        )
        .await),
        [101]
    );
    // The cert observable with the same data is not visible to soc, and vice versa.
    assert_eq!(
        ids(&ok(&app, a, json!([{"_name": "getObservable", "idOrName": "~301"}, {"_name": "similar"}])).await),
        Vec::<i64>::new()
    );
    // A user's tasks, an organisation's users.
    assert_eq!(
        ids(&ok(&app, a, json!([{"_name": "currentUser"}, {"_name": "tasks"}, {"_name": "sort", "_fields": ["_id"]}]))
            .await),
        [202, 203]
    );
    let users =
        ok(&app, As::Admin, json!([{"_name": "getOrganisation", "idOrName": "cert"}, {"_name": "users"}])).await;
    let logins: Vec<_> = users.as_array().unwrap().iter().map(|u| u["login"].as_str().unwrap().to_owned()).collect();
    assert!(logins.contains(&BOB.to_owned()) && !logins.contains(&ALICE.to_owned()), "{logins:?}");
    let orgs = ok(&app, As::Admin, json!([{"_name": "getUser", "idOrName": BOB}, {"_name": "organisations"}])).await;
    assert_eq!(orgs.as_array().unwrap().iter().map(|o| o["name"].clone()).collect::<Vec<_>>(), [json!("cert")]);
}

async fn users_organisations_profiles(app: TestApp) {
    seed(&app).await;
    // An organisation sees its members; the admin organisation sees everyone.
    let logins = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|u| u["login"].as_str().unwrap().to_owned()).collect()
    };
    let soc_users =
        ok(&app, As::User(ALICE), json!([{"_name": "listUser"}, {"_name": "sort", "_fields": ["login"]}])).await;
    assert!(logins(&soc_users).contains(&ALICE.to_owned()));
    assert!(!logins(&soc_users).contains(&BOB.to_owned()));
    let all =
        ok(&app, As::Admin, json!([{"_name": "listUser"}, {"_name": "sort", "_fields": [{"login": "desc"}]}])).await;
    let all = logins(&all);
    assert!(all.contains(&ALICE.to_owned()) && all.contains(&BOB.to_owned()));
    let mut sorted = all.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(all, sorted);
    assert_eq!(
        ids(&ok(&app, As::User(BOB), json!([{"_name": "getUser", "idOrName": ALICE}])).await),
        Vec::<i64>::new()
    );
    // The user object is the REST one.
    let me = ok(&app, As::User(ALICE), json!([{"_name": "getUser", "idOrName": "alice@soc.test"}])).await;
    let (_, rest) = send(request(&app, As::User(ALICE), Method::GET, "/api/v1/user/alice@soc.test")).await;
    assert_eq!(me[0], rest);
    // Linked organisations see each other, never the admin organisation.
    let orgs =
        ok(&app, As::User(ALICE), json!([{"_name": "listOrganisation"}, {"_name": "sort", "_fields": ["name"]}])).await;
    assert_eq!(
        orgs.as_array().unwrap().iter().map(|o| o["name"].clone()).collect::<Vec<_>>(),
        [json!("cert"), json!("soc")]
    );
    let (_, rest) = send(request(&app, As::User(ALICE), Method::GET, "/api/v1/organisation/soc")).await;
    assert_eq!(orgs[1], rest);
    // Profiles and observable types are global.
    let analyst = ok(&app, As::User(ALICE), json!([{"_name": "getProfile", "idOrName": "analyst"}])).await;
    assert_eq!(analyst[0]["name"], "analyst");
    assert_eq!(analyst[0]["_type"], "Profile");
    let files = ok(
        &app,
        As::User(ALICE),
        json!([{"_name": "listObservableType"}, {"_name": "filter", "_eq": {"_field": "isAttachment", "_value": true}}]),
    )
    .await;
    assert_eq!(files.as_array().unwrap().iter().map(|t| t["name"].clone()).collect::<Vec<_>>(), [json!("file")]);
    let n = ok(&app, As::User(ALICE), json!([{"_name": "listObservableType"}, {"_name": "count"}])).await;
    assert!(n.as_i64().unwrap() >= 16, "{n}");
    // excludeFields drops output fields.
    let (status, body) = send(request(&app, As::User(ALICE), Method::POST, "/api/v1/query").json(&json!({
        "query": [{"_name": "currentUser"}], "excludeFields": ["permissions", "organisations"]
    })))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body[0].get("permissions").is_none() && body[0].get("organisations").is_none(), "{body}");
    assert_eq!(body[0]["login"], ALICE);
    // Audit entries of the admin organisation (organisation and user creations).
    let audits = ok(
        &app,
        As::Admin,
        json!([{"_name": "listAudit"}, {"_name": "filter", "_eq": {"objectType": "Organisation"}}]),
    )
    .await;
    assert_eq!(audits.as_array().unwrap().len(), 2, "{audits}");
    assert_eq!(audits[0]["operation"], "create");
}

async fn generic_entities(app: TestApp) {
    seed(&app).await;
    let patterns = ok(&app, As::User(ALICE), json!([{"_name": "listPattern"}])).await;
    assert_eq!(patterns[0]["_type"], "Pattern");
    assert_eq!(patterns[0]["patternId"], "T1566");
    assert_eq!(patterns[0]["tactics"], json!(["initial-access"]));
    assert_eq!(patterns[0]["revoked"], false);
    assert!(patterns[0].get("description").is_none(), "absent optionals are omitted");
    let fields =
        ok(&app, As::User(ALICE), json!([{"_name": "listCustomField"}, {"_name": "sort", "_fields": ["name"]}])).await;
    let names: Vec<_> = fields.as_array().unwrap().iter().map(|f| f["name"].clone()).collect();
    assert_eq!(names, [json!("businessUnit"), json!("score"), json!("unused")]);
    let score = ok(&app, As::User(ALICE), json!([{"_name": "getCustomField", "idOrName": "score"}])).await;
    assert_eq!(score[0]["type"], "integer");
    let comments = ok(&app, As::User(ALICE), json!([{"_name": "listComment"}])).await;
    assert_eq!(comments[0]["message"], "Phishing confirmed by the user");
    assert_eq!(comments[0]["createdBy"], ALICE);
    let cases = ok(&app, As::User(ALICE), json!([{"_name": "getCase", "idOrName": "1"}])).await;
    assert_eq!(cases[0]["_type"], "Case");
    assert_eq!(cases[0]["number"], 1);
    assert_eq!(cases[0]["tags"], json!(["phishing", "mail"]));
    assert_eq!(cases[0]["flag"], false);
    assert_eq!(cases[0]["extraData"], json!({}));
}
