//! A replay of Kibana's TheHive connector (kibana-connector.md): its exact requests, with
//! JSON nulls, `Content-Type: application/json` and a `{}` body on GET, Bearer key, and the
//! response fields its schemas require, with their JSON types.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::alerts::{ANA, import_patterns, soc};
use crate::harness::{TestApp, password_of, send};

crate::backend_tests!(kibana_connector_replay);

fn kibana(app: &TestApp, key: &str, method: Method, path: &str, body: &Value) -> reqwest::RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("Authorization", format!("Bearer {key}"))
        .header("X-Organisation", "soc")
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/plain, */*")
        .header("User-Agent", "axios/1.7.4")
        .body(serde_json::to_vec(body).unwrap())
}

fn check_types(obj: &Value, strings: &[&str], numbers: &[&str]) {
    for k in strings {
        assert!(obj[k].is_string(), "{k} must be a string: {obj}");
    }
    for k in numbers {
        assert!(obj[k].is_number(), "{k} must be a number: {obj}");
    }
    assert!(obj["extraData"].is_object());
}

async fn kibana_connector_replay(app: TestApp) {
    soc(&app).await;
    import_patterns(&app).await;
    let (status, key) = send(app.as_admin(Method::POST, &format!("/api/v1/user/{ANA}/key/renew"))).await;
    assert_eq!(status, StatusCode::OK, "{key}");
    let key = key.as_str().unwrap().to_owned();
    let _ = password_of(ANA);

    // pushToService, create: severity/tlp/tags may be null.
    let (status, case) = send(kibana(
        &app,
        &key,
        Method::POST,
        "/api/v1/case",
        &json!({"title": "title", "description": "description", "severity": null, "tlp": null, "tags": null}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    check_types(
        &case,
        &[
            "_id",
            "_type",
            "_createdBy",
            "title",
            "description",
            "severityLabel",
            "tlpLabel",
            "papLabel",
            "status",
            "stage",
        ],
        &["_createdAt", "number", "severity", "startDate", "tlp", "pap", "newDate", "timeToDetect"],
    );
    assert!(case["flag"].is_boolean());
    let id = case["_id"].as_str().unwrap().to_owned();
    let (status, case) = send(kibana(&app, &key, Method::POST, "/api/v1/case",
        &json!({"title": "t2", "description": "d\n\nAdded by elastic.", "severity": 1, "tlp": 4, "tags": ["tag1", "tag2"]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!((case["tlpLabel"].clone(), case["severityLabel"].clone()), (json!("RED"), json!("LOW")));
    let id2 = case["_id"].as_str().unwrap().to_owned();
    // Second push: PATCH with the full field set; null tags keep the tags.
    let (status, _) = send(kibana(
        &app,
        &key,
        Method::PATCH,
        &format!("/api/v1/case/{id2}"),
        &json!({"title": "new title", "description": "new description", "severity": 3, "tlp": null, "tags": null}),
    ))
    .await;
    assert!(status.is_success(), "{status}");
    // One comment per pushed Kibana comment.
    let (status, comment) = send(kibana(
        &app,
        &key,
        Method::POST,
        &format!("/api/v1/case/{id2}/comment"),
        &json!({"message": "test comment\n\nAdded by elastic."}),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    for k in ["_id", "_type", "createdBy", "message"] {
        assert!(comment[k].is_string(), "{k}: {comment}");
    }
    assert!(comment["createdAt"].is_number() && comment["isEdited"].is_boolean() && comment["extraData"].is_object());
    // getIncident: GET with a `{}` body.
    let (status, got) = send(kibana(&app, &key, Method::GET, &format!("/api/v1/case/{id2}"), &json!({}))).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(
        (got["title"].clone(), got["tags"].clone(), got["tlp"].clone()),
        (json!("new title"), json!(["tag1", "tag2"]), json!(4))
    );
    let (status, _) = send(kibana(&app, &key, Method::GET, &format!("/api/v1/case/{id}"), &json!({}))).await;
    assert_eq!(status, StatusCode::OK);

    // createAlert, the wire body of Kibana's API test, then with nulls and a sample body.
    let (status, alert) = send(kibana(&app, &key, Method::POST, "/api/v1/alert", &json!({
        "title": "title", "description": "description", "type": "type", "source": "source", "sourceRef": "sourceRef",
        "severity": 1, "tags": ["tags1", "tags2"], "tlp": 2,
        "observables": [{"dataType": "url", "data": "http://example.com"}, {"dataType": "mail", "data": "foo@example.org"},
                        {"dataType": "ip", "data": "127.0.0.1"}],
        "procedures": [{"patternId": "T1132", "occurDate": 1_640_000_000_000_i64}]
    }))).await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    check_types(
        &alert,
        &[
            "_id",
            "_type",
            "_createdBy",
            "type",
            "source",
            "sourceRef",
            "title",
            "description",
            "severityLabel",
            "tlpLabel",
            "papLabel",
            "status",
            "stage",
        ],
        &["_createdAt", "severity", "date", "tlp", "pap", "observableCount", "newDate", "timeToDetect"],
    );
    assert_eq!(alert["observableCount"], 3);
    assert!(alert["follow"].is_boolean());
    let (status, alert) = send(kibana(
        &app,
        &key,
        Method::POST,
        "/api/v1/alert",
        &json!({
            "title": "rule fired", "description": "d", "type": "kibana", "source": "elastic", "sourceRef": "alert-2",
            "severity": null, "tlp": null, "tags": null,
            "observables": [{"dataType": "url", "data": "http://example.com", "tags": ["url"]}],
            "procedures": [{"patternId": "T1132", "occurDate": 1_640_000_000_000_i64, "tactic": "command-and-control"}]
        }),
    ))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    assert_eq!(
        (alert["severity"].clone(), alert["tlp"].clone(), alert["tags"].clone()),
        (json!(2), json!(2), json!([]))
    );
    for (tlp, label) in [(0, "CLEAR"), (1, "GREEN"), (2, "AMBER"), (3, "AMBER+STRICT"), (4, "RED")] {
        let (status, a) = send(kibana(&app, &key, Method::POST, "/api/v1/alert", &json!({
            "title": "t", "description": "d", "type": "t", "source": "s", "sourceRef": format!("tlp-{tlp}"), "tlp": tlp
        }))).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(a["tlpLabel"], label);
    }
    // Errors carry `type` and `message` (Kibana builds "API Error: <type> - <message>").
    let (status, err) = send(kibana(
        &app,
        &key,
        Method::POST,
        "/api/v1/alert",
        &json!({
            "title": "title", "description": "description", "type": "type", "source": "source", "sourceRef": "sourceRef"
        }),
    ))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(err["type"].is_string() && err["message"].is_string(), "{err}");
}
