//! Case merge (`POST /case/_merge/{ids}`), linked cases (`GET /case/{id}/links` and the
//! `linkedCases` query step).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::alerts::create_alert;
use crate::cases::{ANALYST, ana, create_case, soc};
use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(
    merge_combines_cases,
    merge_refusals_change_nothing,
    links_by_shared_observables,
    custom_events_in_the_timeline,
    attachments_traversal,
);

fn id(v: &Value) -> String {
    v["_id"].as_str().unwrap().to_owned()
}

pub async fn add_observable(app: &TestApp, case: &Value, body: Value) -> Value {
    let (status, created) =
        send(ana(app, Method::POST, &format!("/api/v1/case/{}/observable", id(case))).json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created[0].clone()
}

async fn query(app: &TestApp, q: Value) -> Value {
    let (status, body) = send(ana(app, Method::POST, "/api/v1/query").json(&json!({ "query": q }))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn merge_combines_cases(app: TestApp) {
    soc(&app).await;
    let (status, f) =
        send(app.as_admin(Method::POST, "/api/v1/customField").json(&json!({"name": "unit", "type": "string"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let c1 = create_case(
        &app,
        json!({"title": "A", "description": "dA", "severity": 1, "tlp": 1, "pap": 1, "tags": ["a", "b"],
               "startDate": 1000, "summary": "sA", "customFields": {"unit": "red"},
               "tasks": [{"title": "T1"}]}),
    )
    .await;
    let c2 = create_case(
        &app,
        json!({"title": "B", "description": "dB", "severity": 3, "tlp": 2, "pap": 3, "tags": ["b", "c"],
               "startDate": 500, "flag": true, "customFields": {"unit": "blue"}, "tasks": [{"title": "T2"}]}),
    )
    .await;
    add_observable(&app, &c1, json!({"dataType": "ip", "data": "192.0.2.1", "tags": ["x"]})).await;
    add_observable(&app, &c1, json!({"dataType": "domain", "data": "a.test"})).await;
    add_observable(&app, &c2, json!({"dataType": "ip", "data": "192.0.2.1", "tags": ["y"], "ioc": true})).await;
    let alert = create_alert(
        &app,
        ANALYST,
        json!({"type": "t", "source": "s", "sourceRef": "r1", "title": "al", "description": "d"}),
    )
    .await;
    let (status, body) =
        send(ana(&app, Method::POST, &format!("/api/v1/alert/{}/merge/{}", id(&alert), id(&c2)))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // By number and by id, mixed.
    let (status, merged) =
        send(ana(&app, Method::POST, &format!("/api/v1/case/_merge/{},{}", c1["number"], id(&c2)))).await;
    assert_eq!(status, StatusCode::CREATED, "{merged}");
    assert_eq!(merged["title"], "A / B");
    assert!(merged["description"].as_str().unwrap().starts_with("dA\n\ndB"), "{merged}");
    assert_eq!(merged["summary"], "sA");
    assert_eq!(
        (merged["severity"].clone(), merged["tlp"].clone(), merged["pap"].clone()),
        (json!(3), json!(2), json!(3))
    );
    assert_eq!(merged["startDate"], 500);
    assert_eq!(merged["flag"], true);
    assert_eq!(merged["tags"], json!(["a", "b", "c"]));
    assert_eq!(merged["status"], "New");
    assert_eq!(merged["assignee"], ANALYST);
    // The first case's value wins for a custom field both cases have.
    assert_eq!(merged["customFields"][0]["name"], "unit", "{merged}");
    assert_eq!(merged["customFields"][0]["value"], "red", "{merged}");
    assert_eq!(merged["customFields"].as_array().unwrap().len(), 1);
    let mid = id(&merged);
    // The answer equals the later get.
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/case/{mid}"))).await;
    assert_eq!(got, merged);
    // The originals are gone.
    for c in [&c1, &c2] {
        let (status, body) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}", id(c)))).await;
        assert_error(status, &body, 404, "NotFoundError");
    }
    // Tasks, observables (one per value, tags united, ioc kept) and the alert moved.
    let tasks = query(&app, json!([{"_name": "getCase", "idOrName": mid}, {"_name": "tasks"}, {"_name": "sort", "_fields": [{"title": "asc"}]}])).await;
    let titles: Vec<&str> = tasks.as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["T1", "T2"]);
    let obs = query(&app, json!([{"_name": "getCase", "idOrName": mid}, {"_name": "observables"}])).await;
    let obs = obs.as_array().unwrap();
    assert_eq!(obs.len(), 2, "{obs:?}");
    let ip = obs.iter().find(|o| o["dataType"] == "ip").unwrap();
    let mut tags: Vec<&str> = ip["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    tags.sort();
    assert_eq!(tags, ["x", "y"]);
    assert_eq!(ip["ioc"], true);
    let (_, a) = send(ana(&app, Method::GET, &format!("/api/v1/alert/{}", id(&alert)))).await;
    assert_eq!(a["caseId"], mid.as_str(), "{a}");
    // The timeline records the merge, with the merged cases.
    let (_, timeline) = send(ana(&app, Method::GET, &format!("/api/v1/case/{mid}/timeline"))).await;
    let events = timeline["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["kind"].as_str().unwrap_or_default().contains("Merge")), "{timeline}");
    // The old cases' history follows them.
    assert!(events.iter().any(|e| e["entityId"] == json!(id(&c1))), "{timeline}");
}

async fn merge_refusals_change_nothing(app: TestApp) {
    soc(&app).await;
    let c1 = create_case(&app, json!({"title": "A", "description": "d"})).await;
    let c2 = create_case(&app, json!({"title": "B", "description": "d"})).await;
    app.create_org("cert").await;
    app.create_user("bob@cert.test", "cert", "analyst").await;
    let (status, other) = send(
        app.as_user(Method::POST, "/api/v1/case", "bob@cert.test", &password_of("bob@cert.test"))
            .json(&json!({"title": "C", "description": "d"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    app.create_user("ro@soc.test", "soc", "read-only").await;
    let cases = [
        (id(&c1), 400, "BadRequest"),
        (format!("{},{}", id(&c1), id(&c1)), 400, "BadRequest"),
        // A case of another organisation does not exist for the caller.
        (format!("{},{}", id(&c1), id(&other)), 404, "NotFoundError"),
        (format!("{},nope", id(&c1)), 404, "NotFoundError"),
        (format!("{},999", id(&c2)), 404, "NotFoundError"),
    ];
    for (ids, code, kind) in cases {
        let (status, body) = send(ana(&app, Method::POST, &format!("/api/v1/case/_merge/{ids}"))).await;
        assert_error(status, &body, code, kind);
    }
    let (status, body) = send(app.as_user(
        Method::POST,
        &format!("/api/v1/case/_merge/{},{}", id(&c1), id(&c2)),
        "ro@soc.test",
        &password_of("ro@soc.test"),
    ))
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    // Nothing changed: both cases are there, no case was created.
    for c in [&c1, &c2] {
        let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}", id(c)))).await;
        assert_eq!(&got, c);
    }
    let (_, list) = send(ana(&app, Method::GET, "/api/v1/case")).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
}

async fn links_by_shared_observables(app: TestApp) {
    soc(&app).await;
    let c1 = create_case(&app, json!({"title": "One", "description": "d"})).await;
    let c2 = create_case(&app, json!({"title": "Two", "description": "d"})).await;
    let c3 = create_case(&app, json!({"title": "Three", "description": "d"})).await;
    let shared = add_observable(&app, &c1, json!({"dataType": "ip", "data": "198.51.100.7"})).await;
    add_observable(&app, &c1, json!({"dataType": "domain", "data": "only.test"})).await;
    add_observable(&app, &c1, json!({"dataType": "fqdn", "data": "quiet.test", "ignoreSimilarity": true})).await;
    add_observable(&app, &c2, json!({"dataType": "ip", "data": "198.51.100.7"})).await;
    add_observable(&app, &c3, json!({"dataType": "fqdn", "data": "quiet.test"})).await;
    // Another organisation's case with the same value stays invisible.
    app.create_org("cert").await;
    app.create_user("bob@cert.test", "cert", "analyst").await;
    let bob = |m: Method, p: &str| app.as_user(m, p, "bob@cert.test", &password_of("bob@cert.test"));
    let (_, other) = send(bob(Method::POST, "/api/v1/case").json(&json!({"title": "C", "description": "d"}))).await;
    let (status, _) = send(
        bob(Method::POST, &format!("/api/v1/case/{}/observable", id(&other)))
            .json(&json!({"dataType": "ip", "data": "198.51.100.7"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, links) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}/links", id(&c1)))).await;
    assert_eq!(status, StatusCode::OK, "{links}");
    let links = links.as_array().unwrap().clone();
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["_id"], id(&c2).as_str());
    assert_eq!(links[0]["title"], "Two");
    assert_eq!(links[0]["linksCount"], 1);
    assert_eq!(links[0]["linkedWith"][0]["_id"], shared["_id"]);
    assert_eq!(links[0]["linkedWith"][0]["data"], "198.51.100.7");
    // The query step gives the same answer.
    let dsl = query(&app, json!([{"_name": "getCase", "idOrName": id(&c1)}, {"_name": "linkedCases"}])).await;
    assert_eq!(dsl, Value::Array(links.clone()));
    // Symmetric, and nothing for a case without shared data.
    let (_, back) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}/links", id(&c2)))).await;
    assert_eq!(back[0]["_id"], id(&c1).as_str());
    let (_, none) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}/links", id(&c3)))).await;
    assert_eq!(none, json!([]));
    // An invisible or unknown case: 404.
    for bad in [id(&other), "nope".to_owned()] {
        let (status, body) = send(ana(&app, Method::GET, &format!("/api/v1/case/{bad}/links"))).await;
        assert_error(status, &body, 404, "NotFoundError");
    }
}

async fn custom_events_in_the_timeline(app: TestApp) {
    soc(&app).await;
    let c = create_case(&app, json!({"title": "Timeline", "description": "d"})).await;
    let path = format!("/api/v1/case/{}/customEvent", id(&c));
    let (status, e) = send(
        ana(&app, Method::POST, &path)
            .json(&json!({"date": 1_000, "endDate": 2_000, "title": "Attacker logged in", "description": "VPN"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(e["_type"], "CustomEvent");
    assert_eq!((e["date"].clone(), e["endDate"].clone()), (json!(1000), json!(2000)));
    assert_eq!(e["caseId"], id(&c).as_str());
    let eid = id(&e);
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/customEvent/{eid}"))).await;
    assert_eq!(got, e);
    let (_, list) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(list, json!([e.clone()]));
    // In the timeline at its own date (older than the case's creation, so last).
    let (_, timeline) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}/timeline", id(&c)))).await;
    let events = timeline["events"].as_array().unwrap();
    let last = events.last().unwrap();
    assert_eq!(last["kind"], "CustomEvent", "{timeline}");
    assert_eq!(last["entityId"], eid.as_str());
    assert_eq!(last["date"], 1000);
    assert_eq!(last["details"]["title"], "Attacker logged in");
    assert!(events.iter().filter(|e| e["kind"] == "CustomEvent").count() == 1, "{timeline}");
    // Update: endDate cleared, title changed.
    let (status, body) = send(
        ana(&app, Method::PATCH, &format!("/api/v1/customEvent/{eid}"))
            .json(&json!({"title": "Attacker in", "endDate": null, "date": 3_000})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/customEvent/{eid}"))).await;
    assert_eq!((got["title"].clone(), got["date"].clone()), (json!("Attacker in"), json!(3000)));
    assert!(got.get("endDate").is_none(), "{got}");
    // Bad input: 400 naming the field, nothing changed.
    let bad = [
        (Method::POST, path.clone(), json!({"date": 1})),
        (Method::POST, path.clone(), json!({"title": "t"})),
        (Method::POST, path.clone(), json!({"title": "t", "date": "yesterday"})),
        (Method::POST, path.clone(), json!({"title": "t", "date": 5, "endDate": 4})),
        (Method::PATCH, format!("/api/v1/customEvent/{eid}"), json!({"title": ""})),
        (Method::PATCH, format!("/api/v1/customEvent/{eid}"), json!({"endDate": 1})),
    ];
    for (m, p, b) in bad {
        let (status, body) = send(ana(&app, m, &p).json(&b)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{b} → {body}");
        assert!(body["type"].is_string() && body["message"].is_string(), "{body}");
    }
    let (_, after) = send(ana(&app, Method::GET, &format!("/api/v1/customEvent/{eid}"))).await;
    assert_eq!(after, got);
    let (_, list) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Another organisation sees nothing; a read-only user cannot write.
    app.create_org("cert").await;
    app.create_user("bob@cert.test", "cert", "analyst").await;
    let bob = |m: Method, p: &str| app.as_user(m, p, "bob@cert.test", &password_of("bob@cert.test"));
    let (status, body) = send(bob(Method::GET, &format!("/api/v1/customEvent/{eid}"))).await;
    assert_error(status, &body, 404, "NotFoundError");
    let (status, body) = send(bob(Method::POST, &path).json(&json!({"title": "x", "date": 1}))).await;
    assert_error(status, &body, 404, "NotFoundError");
    app.create_user("ro@soc.test", "soc", "read-only").await;
    let (status, body) = send(app.as_user(
        Method::DELETE,
        &format!("/api/v1/customEvent/{eid}"),
        "ro@soc.test",
        &password_of("ro@soc.test"),
    ))
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    // Delete; it leaves the timeline; deleting the case removes its events.
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/customEvent/{eid}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &format!("/api/v1/customEvent/{eid}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, timeline) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}/timeline", id(&c)))).await;
    assert!(!timeline["events"].as_array().unwrap().iter().any(|e| e["kind"] == "CustomEvent"), "{timeline}");
    let (_, again) = send(ana(&app, Method::POST, &path).json(&json!({"title": "x", "date": 1}))).await;
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/case/{}", id(&c)))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &format!("/api/v1/customEvent/{}", id(&again)))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn attachments_traversal(app: TestApp) {
    soc(&app).await;
    let c1 = create_case(&app, json!({"title": "One", "description": "d"})).await;
    let c2 = create_case(&app, json!({"title": "Two", "description": "d"})).await;
    for (c, name) in [(&c1, "a.txt"), (&c1, "b.txt"), (&c2, "c.txt")] {
        let form = reqwest::multipart::Form::new().part(
            "attachments",
            reqwest::multipart::Part::bytes(name.as_bytes().to_vec())
                .file_name(name.to_owned())
                .mime_str("text/plain")
                .unwrap(),
        );
        let (status, body) =
            send(ana(&app, Method::POST, &format!("/api/v1/case/{}/attachments", id(c))).multipart(form)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // As the REST listing renders them, filterable and sortable by name.
    let (_, rest) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}/attachments", id(&c1)))).await;
    let dsl = query(
        &app,
        json!([{"_name": "getCase", "idOrName": id(&c1)}, {"_name": "attachments"},
               {"_name": "sort", "_fields": [{"name": "asc"}]}]),
    )
    .await;
    assert_eq!(dsl, rest);
    let names =
        |v: &Value| v.as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(names(&dsl), ["a.txt", "b.txt"]);
    let one = query(
        &app,
        json!([{"_name": "listCase"}, {"_name": "attachments"}, {"_name": "filter", "_field": "name", "_value": "c.txt"}]),
    )
    .await;
    assert_eq!(names(&one), ["c.txt"]);
    assert_eq!(one[0]["size"], 5);
    // Another organisation reaches none of them.
    app.create_org("cert").await;
    app.create_user("bob@cert.test", "cert", "analyst").await;
    let (status, none) = send(
        app.as_user(Method::POST, "/api/v1/query", "bob@cert.test", &password_of("bob@cert.test"))
            .json(&json!({"query": [{"_name": "listCase"}, {"_name": "attachments"}]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none, json!([]));
}
