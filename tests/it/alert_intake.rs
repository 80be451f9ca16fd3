//! Batched alert ingestion (`service::alerts::intake`): a batch written in one transaction
//! still gives every request its own outcome. A duplicate, a failed check or a failure that
//! shows only after rows were written refuses that request alone; the others land whole,
//! with their observables, tags and audit entry.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use waggle::auth::{Caller, Credentials, authenticate};
use waggle::service::alerts::create::{Request, parse};
use waggle::service::alerts::intake::create_batch;

use crate::alerts::{ANA, ana, create_alert, import_patterns, soc};
use crate::harness::{TestApp, password_of, send};

crate::backend_tests!(one_batch_refuses_only_the_bad_ones, concurrent_requests_each_get_their_own_answer);

const BOB: &str = "bob@cert.test";

fn body(source_ref: &str, extra: Value) -> Value {
    let mut b = json!({
        "type": "siem", "source": "batch", "sourceRef": source_ref, "title": format!("alert {source_ref}"),
        "description": "d", "tags": ["batch", source_ref],
        "observables": [
            {"dataType": "ip", "data": "198.51.100.7", "tags": ["shared"]},
            {"dataType": "domain", "data": format!("{source_ref}.example.com")},
        ],
    });
    if let (Some(b), Some(extra)) = (b.as_object_mut(), extra.as_object()) {
        b.extend(extra.clone());
    }
    b
}

async fn caller(app: &waggle::app::App, login: &str) -> Caller {
    let creds = Credentials::Basic { login: login.into(), password: password_of(login), code: None };
    authenticate(app, creds, None, None, format!("req-{login}")).await.expect("authenticate")
}

async fn observables_of(app: &TestApp, alert_id: &str) -> Vec<Value> {
    let query = json!({"query": [{"_name": "getAlert", "idOrName": alert_id}, {"_name": "observables"}]});
    let (status, list) = send(ana(app, Method::POST, "/api/v1/query").json(&query)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

async fn one_batch_refuses_only_the_bad_ones(app: TestApp) {
    soc(&app).await;
    app.create_org("cert").await;
    app.create_user(BOB, "cert", "analyst").await;
    import_patterns(&app).await;
    create_alert(&app, ANA, body("already-there", json!({}))).await;

    let server = app.second_server().await;
    let (ana_caller, bob_caller) = (caller(&server, ANA).await, caller(&server, BOB).await);
    let now = 1_700_000_000_000;
    let mut bodies: Vec<(&Caller, Value)> =
        (0..8).map(|i| (&ana_caller, body(&format!("good-{i}"), json!({})))).collect();
    bodies.push((&ana_caller, body("good-3", json!({"title": "same triple as good-3"}))));
    bodies.push((&ana_caller, body("already-there", json!({}))));
    bodies.push((&ana_caller, body("bad-type", json!({"observables": [{"dataType": "no-such-type", "data": "x"}]}))));
    // Seen only after the alert row is written: forces the one-by-one retry.
    bodies.push((&ana_caller, body("bad-pattern", json!({"procedures": [{"patternId": "T9999", "occurDate": 1}]}))));
    bodies.push((&ana_caller, body("with-pattern", json!({"procedures": [{"patternId": "T1132", "occurDate": 1}]}))));
    // Another organisation may use the same triple.
    bodies.push((&bob_caller, body("good-0", json!({}))));
    let inputs: Vec<_> = bodies.iter().map(|(_, b)| parse(b, &[], now).expect("valid shape")).collect();
    let requests: Vec<Request> =
        bodies.iter().zip(&inputs).map(|((c, _), input)| Request { caller: c, input, files: &[] }).collect();

    let outcomes = create_batch(&server.store, &requests).await;

    assert_eq!(outcomes.len(), requests.len());
    let refused = |i: usize| outcomes[i].as_ref().err().map(|e| (e.status().as_u16(), e.kind().0));
    for (i, outcome) in outcomes.iter().take(8).enumerate() {
        let created = outcome.as_ref().expect("good alert created");
        assert_eq!(created.alert.source_ref, format!("good-{i}"));
        assert_eq!(created.alert.observable_count, 2);
    }
    assert_eq!(refused(8), Some((400, "CreateError")), "same triple twice in one batch");
    assert_eq!(refused(9), Some((400, "CreateError")), "triple stored before");
    assert_eq!(refused(10), Some((400, "AttributeCheckingError")));
    assert_eq!(refused(11), Some((400, "AttributeCheckingError")));
    assert!(outcomes[12].is_ok(), "{:?}", refused(12));
    let bob_alert = outcomes[13].as_ref().expect("other organisation");
    assert_eq!(bob_alert.alert.organisation_id, bob_caller.organisation_id);
    drop(server);

    // What the API shows: the created alerts whole, nothing of the refused ones.
    for (name, observables) in [("good-0", 2), ("good-7", 2), ("with-pattern", 2), ("already-there", 2)] {
        let (status, alert) = send(ana(&app, Method::GET, &format!("/api/v1/alert/siem;batch;{name}"))).await;
        assert_eq!(status, StatusCode::OK, "{name}: {alert}");
        assert_eq!(alert["tags"], json!(["batch", name]), "{alert}");
        let obs = observables_of(&app, alert["_id"].as_str().unwrap()).await;
        assert_eq!(obs.len(), observables, "{name}: {obs:?}");
        let shared = obs.iter().find(|o| o["data"] == "198.51.100.7").expect("shared observable");
        assert_eq!(shared["tags"], json!(["shared"]));
    }
    let (_, good3) = send(ana(&app, Method::GET, "/api/v1/alert/siem;batch;good-3")).await;
    assert_eq!(good3["title"], "alert good-3", "the first of a repeated triple wins");
    for name in ["bad-type", "bad-pattern"] {
        let (status, _) = send(ana(&app, Method::GET, &format!("/api/v1/alert/siem;batch;{name}"))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "nothing stored for {name}");
    }
    let count = json!({"query": [{"_name": "listAlert"}, {"_name": "count"}]});
    let (_, n) = send(ana(&app, Method::POST, "/api/v1/query").json(&count)).await;
    assert_eq!(n, json!(10), "8 good + with-pattern + already-there");
    // The tag index rows of alerts and observables written with the batch.
    let tagged = |list: &str, tag: &str| json!({"query": [{"_name": list}, {"_name": "filter", "_eq": {"_field": "tags", "_value": tag}}, {"_name": "count"}]});
    let (_, n) = send(ana(&app, Method::POST, "/api/v1/query").json(&tagged("listAlert", "batch"))).await;
    assert_eq!(n, json!(10));
    let (_, n) = send(ana(&app, Method::POST, "/api/v1/query").json(&tagged("listAlert", "good-5"))).await;
    assert_eq!(n, json!(1));
    let (_, n) = send(ana(&app, Method::POST, "/api/v1/query").json(&tagged("listObservable", "shared"))).await;
    assert_eq!(n, json!(10), "one tagged observable per alert of the organisation");
    // And the full-text index.
    let (status, hits) = send(ana(&app, Method::POST, "/api/v1/query").json(&json!({"query": [
        {"_name": "listObservable"}, {"_name": "filter", "_string": "good-6.example.com"}]})))
    .await;
    assert_eq!(status, StatusCode::OK, "{hits}");
    assert!(hits.as_array().is_some_and(|h| h.iter().any(|o| o["data"] == "good-6.example.com")), "{hits}");
    let (_, procedures) = send(ana(&app, Method::POST, "/api/v1/query").json(&json!({"query": [
        {"_name": "getAlert", "idOrName": "siem;batch;with-pattern"}, {"_name": "procedures"}]})))
    .await;
    assert_eq!(procedures.as_array().map(Vec::len), Some(1), "{procedures}");
    // Every created alert has its audit entry, written in the same transaction.
    let (_, audit) = send(ana(&app, Method::GET, "/api/v1/audit?limit=100")).await;
    let created: Vec<&Value> =
        audit.as_array().unwrap().iter().filter(|a| a["objectType"] == "Alert" && a["operation"] == "create").collect();
    assert_eq!(created.len(), 10, "{audit}");
    let (status, bob_view) =
        send(app.as_user(Method::GET, "/api/v1/alert/siem;batch;good-0", BOB, &password_of(BOB))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bob_view["_id"], json!(format!("~{}", bob_alert.alert.id)), "{bob_view}");
}

/// Many clients at once over HTTP: the writer gathers them in batches, and each client gets
/// the answer for its own alert.
async fn concurrent_requests_each_get_their_own_answer(app: TestApp) {
    soc(&app).await;
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..60 {
        let extra = if i % 10 == 7 { json!({"observables": [{"dataType": "nope", "data": "x"}]}) } else { json!({}) };
        // Every fifth request repeats its neighbour's triple.
        let source_ref = if i % 5 == 4 { format!("c-{}", i - 1) } else { format!("c-{i}") };
        let request = ana(&app, Method::POST, "/api/v1/alert").json(&body(&source_ref, extra));
        sends.spawn(async move { (source_ref, send(request).await) });
    }
    let results = sends.join_all().await;
    let mut created = std::collections::HashSet::new();
    for (source_ref, (status, answer)) in &results {
        match status.as_u16() {
            201 => {
                assert_eq!(answer["sourceRef"], *source_ref, "the answer is about this request's alert");
                assert!(created.insert(source_ref.clone()), "{source_ref} created twice");
            }
            400 => assert!(answer["type"] == "CreateError" || answer["type"] == "AttributeCheckingError", "{answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    // 60 requests: 12 repeat a triple (one of each pair lands), 6 name an unknown type
    // (i = 7, 17, …, 57: neither a repeat nor a repeated one).
    assert_eq!(created.len(), 60 - 12 - 6, "{created:?}");
    let count = json!({"query": [{"_name": "listAlert"}, {"_name": "count"}]});
    let (_, n) = send(ana(&app, Method::POST, "/api/v1/query").json(&count)).await;
    assert_eq!(n, json!(created.len()));
}
