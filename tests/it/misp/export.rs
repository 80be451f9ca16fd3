//! Export of a case's IOCs as a MISP event, re-export updating the same event, where the
//! case was exported, and the refusals.

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::fakes::misp::{Fault, fixture_bytes};
use crate::harness::{TestApp, assert_error, send};

crate::misp_tests!(export_then_reexport, export_refusals_and_failures);

async fn new_case(app: &TestApp) -> String {
    let (status, case) = send(ana(app, Method::POST, "/api/v1/case").json(&json!({
        "title": "Invoice malware wave", "description": "d", "severity": 3, "tlp": 2,
        "tags": ["phishing", "finance"], "startDate": 1_710_115_200_000_i64
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case["_id"].as_str().unwrap().to_owned()
}

async fn add_observable(app: &TestApp, case: &str, body: Value) {
    let (status, answer) = send(ana(app, Method::POST, &format!("/api/v1/case/{case}/observable")).json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

async fn add_file(app: &TestApp, case: &str, name: &str, bytes: Vec<u8>) {
    let form = reqwest::multipart::Form::new()
        .text("_json", json!({"dataType": "file", "ioc": true, "message": "from the mailbox"}).to_string())
        .part("attachment", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    let (status, answer) =
        send(ana(app, Method::POST, &format!("/api/v1/case/{case}/observable")).multipart(form)).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

async fn export(app: &TestApp, case: &str, server: &str) -> (StatusCode, Value) {
    send(ana(app, Method::POST, &format!("/api/v1/connector/misp/export/{case}/{server}"))).await
}

fn attributes(event: &Value) -> Vec<(String, String)> {
    event["Event"]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["type"].as_str().unwrap().to_owned(), a["value"].as_str().unwrap().to_owned()))
        .collect()
}

async fn export_then_reexport(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({"exportCaseTags": true, "exportObservableTags": true, "exportCaseUrl": true})).await;
    let case = new_case(&app).await;
    add_observable(
        &app,
        &case,
        json!({"dataType": "ip", "data": "198.51.100.7", "ioc": true, "tags": ["c2"], "tlp": 4,
                                       "message": "beacon"}),
    )
    .await;
    add_observable(&app, &case, json!({"dataType": "hash", "data": "0cc175b9c0f1b6a831c399e269772661", "ioc": true}))
        .await;
    add_observable(&app, &case, json!({"dataType": "url", "data": "https://evil.example/a", "ioc": true})).await;
    add_observable(&app, &case, json!({"dataType": "domain", "data": "benign.example", "ioc": false})).await;
    let sample = fixture_bytes("invoice.exe.bin");
    add_file(&app, &case, "invoice.exe", sample.clone()).await;

    let (status, done) = export(&app, &case, "circl").await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["created"], true);
    assert_eq!(done["mispServer"], "circl");
    assert_eq!(done["attributesAdded"], 4, "3 IOCs and the case link: {done}");
    assert_eq!(done["samplesAdded"], 1);
    let event_id: i64 = done["eventId"].as_str().unwrap().parse().unwrap();
    assert_eq!(done["eventUrl"], format!("{}/events/view/{event_id}", fake.url));

    // What MISP received: an unpublished event with the case's fields and IOCs.
    let add = &fake.requests_to("/events/add")[0];
    assert_eq!(add.header("content-type").as_deref(), Some("application/json"));
    let e = &add.body["Event"];
    assert_eq!(e["info"], "Invoice malware wave");
    assert_eq!(e["date"], "2024-03-11");
    assert_eq!(e["threat_level_id"], "1", "severity 3 → High");
    assert_eq!(e["published"], false);
    assert_eq!(e["distribution"], "0");
    let tags: Vec<&str> = e["Tag"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(tags, vec!["tlp:amber", "phishing", "finance"]);
    let attrs = e["Attribute"].as_array().unwrap();
    let ip = attrs.iter().find(|a| a["value"] == "198.51.100.7").unwrap();
    assert_eq!((ip["category"].as_str(), ip["type"].as_str()), (Some("Network activity"), Some("ip-dst")));
    assert_eq!(ip["to_ids"], true);
    assert_eq!(ip["comment"], "beacon");
    assert_eq!(ip["Tag"], json!([{"name": "tlp:red"}, {"name": "c2"}]));
    assert!(attrs.iter().any(|a| a["type"] == "md5"));
    assert!(attrs.iter().any(|a| a["type"] == "url" && a["value"] == "https://evil.example/a"));
    assert!(!attrs.iter().any(|a| a["value"] == "benign.example"), "not an IOC");
    let link = attrs.iter().find(|a| a["type"] == "link").expect("case link");
    assert_eq!(link["category"], "Internal reference");
    assert_eq!(link["to_ids"], false);
    assert!(link["value"].as_str().unwrap().ends_with(&format!("/cases/{case}/details")), "{link}");
    // The file went as a malware sample, base64.
    let up = &fake.requests_to(&format!("/events/upload_sample/{event_id}"))[0];
    let f = &up.body["request"]["files"][0];
    assert_eq!(f["filename"], "invoice.exe");
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(f["data"].as_str().unwrap()).unwrap(), sample);
    assert_eq!(up.body["request"]["to_ids"], true);

    // The case shows where and when it was exported.
    let (status, exports) = send(ana(&app, Method::GET, &format!("/api/v1/connector/misp/export/{case}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(exports.as_array().unwrap().len(), 1);
    assert_eq!(exports[0]["eventId"], event_id.to_string());
    assert_eq!(exports[0]["mispServer"], "circl");
    let first_at = exports[0]["exportedAt"].as_i64().unwrap();
    let (_, timeline) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case}/timeline"))).await;
    assert!(timeline["events"].as_array().unwrap().iter().any(|t| t["entity"] == "MispExport"), "{timeline}");

    // Our own exported event is not imported back as an alert.
    sync(&app).await;
    assert!(alert_of(&app, ana, &event_id.to_string()).await.is_none());

    // Re-export after a new IOC: the same event is updated with the new IOC only.
    add_observable(&app, &case, json!({"dataType": "domain", "data": "new-c2.example", "ioc": true})).await;
    fake.clear_requests();
    let (status, again) = export(&app, &case, "circl").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["created"], false);
    assert_eq!(again["eventId"], event_id.to_string());
    assert_eq!(again["attributesAdded"], 1);
    assert_eq!(again["samplesAdded"], 0, "the sample is already there");
    assert!(fake.requests_to("/events/add").is_empty(), "no second event");
    let edit = &fake.requests_to(&format!("/events/edit/{event_id}"))[0];
    let added: Vec<&str> =
        edit.body["Event"]["Attribute"].as_array().unwrap().iter().map(|a| a["value"].as_str().unwrap()).collect();
    assert_eq!(added, vec!["new-c2.example"]);
    assert!(fake.requests_to("/events/upload_sample").is_empty());
    let event = fake.event(event_id);
    let attrs = attributes(&event);
    assert_eq!(attrs.iter().filter(|(_, v)| v == "198.51.100.7").count(), 1, "no duplicate");
    assert!(attrs.contains(&("domain".into(), "new-c2.example".into())));
    let (_, exports) = send(ana(&app, Method::GET, &format!("/api/v1/connector/misp/export/{case}"))).await;
    assert!(exports[0]["exportedAt"].as_i64().unwrap() >= first_at);

    // The event was deleted in MISP meanwhile: the next export creates a new one.
    fake.delete_event(event_id);
    let (status, third) = export(&app, &case, "circl").await;
    assert_eq!(status, StatusCode::OK, "{third}");
    assert_eq!(third["created"], true);
    assert_ne!(third["eventId"], event_id.to_string());
}

async fn export_refusals_and_failures(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    let case = new_case(&app).await;
    add_observable(&app, &case, json!({"dataType": "ip", "data": "198.51.100.7", "ioc": true})).await;

    // thehive4py's test: an unknown server.
    let (status, body) = export(&app, &case, "non-existent-misp").await;
    assert_error(status, &body, 404, "NotFoundError");
    assert_eq!(body["message"], "MISP server non-existent-misp not found");
    // A case the caller cannot see.
    let (status, body) = send(bob(&app, Method::POST, &format!("/api/v1/connector/misp/export/{case}/circl"))).await;
    assert_error(status, &body, 404, "NotFoundError");
    // A server that does not serve the caller's organisation does not exist for it.
    let (status, _) = send(
        app.as_admin(Method::PATCH, "/api/v1/connector/misp/server/circl")
            .json(&json!({"excludedTheHiveOrganisations": ["soc"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = export(&app, &case, "circl").await;
    assert_error(status, &body, 404, "NotFoundError");
    // An import-only server refuses exports.
    let (status, _) = send(app.as_admin(Method::PATCH, "/api/v1/connector/misp/server/circl").json(&json!({
        "excludedTheHiveOrganisations": [], "purpose": "ImportOnly"
    })))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = export(&app, &case, "circl").await;
    assert_error(status, &body, 400, "BadRequest");
    assert!(body["message"].as_str().unwrap().contains("not configured for export"));
    // MISP refuses the event: a clear 400, and nothing recorded as exported.
    let (status, _) = send(
        app.as_admin(Method::PATCH, "/api/v1/connector/misp/server/circl").json(&json!({"purpose": "ExportOnly"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    fake.fault("/events/add", Fault::Status(403));
    let (status, body) = export(&app, &case, "circl").await;
    assert_error(status, &body, 400, "BadRequest");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("circl") && message.contains("403"), "{message}");
    let (_, exports) = send(ana(&app, Method::GET, &format!("/api/v1/connector/misp/export/{case}"))).await;
    assert_eq!(exports, json!([]));
    // Read-only users cannot export.
    app.create_user("ro@soc.test", "soc", "read-only").await;
    fake.clear_faults();
    let (status, body) = send(app.as_user(
        Method::POST,
        &format!("/api/v1/connector/misp/export/{case}/circl"),
        "ro@soc.test",
        &crate::harness::password_of("ro@soc.test"),
    ))
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    // An export-only server is never polled.
    sync(&app).await;
    assert!(fake.requests_to("/events/index").is_empty());
}
