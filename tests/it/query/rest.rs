//! Objects made through the REST API come out of a query exactly as their `GET` shows
//! them, with the `extraData` a page asks for.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::fixture::{ALICE, As, ok, request};
use crate::harness::{TestApp, send};

crate::backend_tests!(objects_are_the_rest_objects, extra_data_values);

async fn post(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, created) = send(request(app, As::User(ALICE), Method::POST, path).json(&body)).await;
    assert!(status == StatusCode::CREATED || status == StatusCode::OK, "{path}: {status} {created}");
    created
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = send(request(app, As::User(ALICE), Method::GET, path)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn id(v: &Value) -> String {
    v["_id"].as_str().unwrap_or_else(|| panic!("an object with an id: {v}")).to_owned()
}

/// alice's organisation with one case (a task with a log, two observables) and one alert
/// sharing an observable with the case.
async fn world(app: &TestApp) -> (Value, Value, Value, Value, Value) {
    app.create_org("soc").await;
    app.create_user(ALICE, "soc", "analyst").await;
    let case = post(
        app,
        "/api/v1/case",
        json!({"title": "Phishing wave", "description": "Many mails", "severity": 3, "tags": ["phishing"],
               "tasks": [{"title": "Triage"}, {"title": "Contain", "status": "InProgress"}]}),
    )
    .await;
    let case_id = id(&case);
    let tasks = get(app, &format!("/api/v1/case/{case_id}/task")).await;
    let task = tasks.as_array().unwrap().iter().find(|t| t["title"] == "Triage").unwrap().clone();
    let log = post(app, &format!("/api/v1/task/{}/log", id(&task)), json!({"message": "Looked at headers"})).await;
    let observables = post(
        app,
        &format!("/api/v1/case/{case_id}/observable"),
        json!({"dataType": "ip", "data": ["198.51.100.7", "203.0.113.1"], "ioc": true}),
    )
    .await;
    let observable = observables.as_array().unwrap()[0].clone();
    let alert = post(
        app,
        "/api/v1/alert",
        json!({"type": "siem", "source": "splunk", "sourceRef": "A-1", "title": "Suspicious mail", "description": "d",
               "observables": [{"dataType": "ip", "data": "198.51.100.7"}]}),
    )
    .await;
    (case, task, log, observable, alert)
}

async fn objects_are_the_rest_objects(app: TestApp) {
    let (case, task, log, observable, alert) = world(&app).await;
    let pairs = [
        (json!([{"_name": "getCase", "idOrName": id(&case)}]), format!("/api/v1/case/{}", id(&case))),
        (json!([{"_name": "getTask", "idOrName": id(&task)}]), format!("/api/v1/task/{}", id(&task))),
        (json!([{"_name": "getLog", "idOrName": id(&log)}]), format!("/api/v1/log/{}", id(&log))),
        (
            json!([{"_name": "getObservable", "idOrName": id(&observable)}]),
            format!("/api/v1/observable/{}", id(&observable)),
        ),
        (json!([{"_name": "getAlert", "idOrName": id(&alert)}]), format!("/api/v1/alert/{}", id(&alert))),
    ];
    for (steps, path) in pairs {
        let from_query = ok(&app, As::User(ALICE), steps.clone()).await;
        let from_rest = get(&app, &path).await;
        assert_eq!(from_query, json!([from_rest]), "{steps}");
    }
    // The same objects through traversals and lists.
    let tasks = ok(&app, As::User(ALICE), json!([{"_name": "getCase", "idOrName": id(&case)}, {"_name": "tasks"}, {"_name": "sort", "_fields": ["title"]}])).await;
    assert_eq!(tasks.as_array().unwrap().len(), 2);
    assert_eq!(tasks[1], get(&app, &format!("/api/v1/task/{}", id(&task))).await);
    let alert_observables =
        ok(&app, As::User(ALICE), json!([{"_name": "getAlert", "idOrName": id(&alert)}, {"_name": "observables"}]))
            .await;
    assert_eq!(alert_observables[0]["data"], "198.51.100.7");
    // The case is found by its alert's similar observable.
    let similar = ok(
        &app,
        As::User(ALICE),
        json!([{"_name": "getAlert", "idOrName": id(&alert)}, {"_name": "observables"}, {"_name": "similar"}, {"_name": "case"}]),
    )
    .await;
    assert_eq!(similar[0]["_id"], case["_id"]);
    // Full text reaches what the API created.
    let hits = ok(&app, As::User(ALICE), json!([{"_name": "listCase"}, {"_name": "filter", "_string": "wave"}])).await;
    assert_eq!(hits.as_array().unwrap().len(), 1);
}

async fn extra_data_values(app: TestApp) {
    let (case, task, log, observable, alert) = world(&app).await;
    let page =
        |initial: Value, extra: Value| json!([initial, {"_name": "page", "from": 0, "to": 10, "extraData": extra}]);
    let cases = ok(
        &app,
        As::User(ALICE),
        page(
            json!({"_name": "getCase", "idOrName": id(&case)}),
            json!([
                "observableStats",
                "taskStats",
                "isOwner",
                "shareCount",
                "permissions",
                "actionRequired",
                "procedureCount",
                "alerts",
                "noSuchThing"
            ]),
        ),
    )
    .await;
    let extra = &cases[0]["extraData"];
    assert_eq!(extra["observableStats"], json!({"total": 2}));
    assert_eq!(extra["taskStats"], json!({"InProgress": 1, "Waiting": 1, "total": 2}));
    assert_eq!(extra["isOwner"], true);
    assert_eq!(extra["shareCount"], 0);
    assert_eq!(extra["actionRequired"], false);
    assert_eq!(extra["procedureCount"], 0);
    assert_eq!(extra["alerts"], json!([]));
    assert!(extra["permissions"].as_array().unwrap().contains(&json!("manageCase")), "{extra}");
    assert!(extra.get("noSuchThing").is_none());

    let alerts = ok(
        &app,
        As::User(ALICE),
        page(json!({"_name": "listAlert"}), json!(["caseNumber", "importDate", "similarCases"])),
    )
    .await;
    let extra = &alerts[0]["extraData"];
    assert_eq!(extra["caseNumber"], Value::Null);
    assert_eq!(extra["importDate"], Value::Null);
    let similar = extra["similarCases"].as_array().unwrap();
    assert_eq!(similar.len(), 1, "{extra}");
    assert_eq!(similar[0]["case"]["_id"], case["_id"]);
    assert_eq!(similar[0]["similarObservableCount"], 1);
    assert_eq!(similar[0]["observableCount"], 2);
    // The similarCases step: the same entries, filtered by caseFilter, countable.
    let steps = |case_filter: Value| json!([{"_name": "getAlert", "idOrName": id(&alert)}, {"_name": "similarCases", "caseFilter": case_filter}]);
    let listed = ok(&app, As::User(ALICE), steps(json!({"_eq": {"_field": "severity", "_value": 3}}))).await;
    assert_eq!(listed, json!(similar), "the step and the extraData agree");
    let none = ok(&app, As::User(ALICE), steps(json!({"_eq": {"_field": "severity", "_value": 1}}))).await;
    assert_eq!(none, json!([]));
    let n = ok(
        &app,
        As::User(ALICE),
        json!([{"_name": "listAlert"}, {"_name": "similarCases"}, {"_name": "page", "from": 0, "to": 5}, {"_name": "count"}]),
    )
    .await;
    assert_eq!(n, json!(1));

    let observables = ok(
        &app,
        As::User(ALICE),
        page(json!({"_name": "getObservable", "idOrName": id(&observable)}), json!(["seen", "isOwner", "shareCount"])),
    )
    .await;
    let extra = &observables[0]["extraData"];
    assert_eq!(extra["seen"]["seen"], 1, "the alert's observable: {extra}");
    assert_eq!(extra["isOwner"], true);

    let tasks = ok(
        &app,
        As::User(ALICE),
        page(
            json!({"_name": "getTask", "idOrName": id(&task)}),
            json!(["case", "caseId", "actionRequired", "actionRequiredMap"]),
        ),
    )
    .await;
    let extra = &tasks[0]["extraData"];
    assert_eq!(extra["caseId"], case["_id"]);
    assert_eq!(extra["case"]["_id"], case["_id"]);
    assert_eq!(extra["actionRequired"], false);
    assert_eq!(extra["actionRequiredMap"], json!({"soc": false}));

    let logs = ok(
        &app,
        As::User(ALICE),
        page(json!({"_name": "getLog", "idOrName": id(&log)}), json!(["task", "taskId", "case"])),
    )
    .await;
    let extra = &logs[0]["extraData"];
    assert_eq!(extra["taskId"], task["_id"]);
    assert_eq!(extra["task"]["_id"], task["_id"]);
    assert_eq!(extra["task"]["extraData"]["case"]["_id"], case["_id"]);
    assert_eq!(extra["case"]["number"], case["number"]);
}
