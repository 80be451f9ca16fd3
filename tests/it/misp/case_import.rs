//! A case from an uploaded MISP event (`POST /connector/misp/case/import`, thehive4py's
//! `misp.import_case`).

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::fakes::misp::{fixture, fixture_bytes};
use crate::harness::{TestApp, assert_error, send};

crate::misp_tests!(case_from_a_misp_event, case_import_refuses_what_is_not_an_event);

async fn upload(app: &TestApp, extra: Value, file: Vec<u8>) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new().text("_json", extra.to_string()).part(
        "file",
        reqwest::multipart::Part::bytes(file).file_name("event.json").mime_str("application/json").unwrap(),
    );
    send(ana(app, Method::POST, "/api/v1/connector/misp/case/import").multipart(form)).await
}

async fn case_from_a_misp_event(app: TestApp) {
    let _fake = setup(&app).await;
    let (status, case) =
        upload(&app, json!({"tasks": [{"title": "Block the IOCs"}]}), fixture_bytes("event_phishing.json")).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["_type"], "Case");
    assert_eq!(case["title"], "OSINT - Phishing campaign against finance teams");
    assert_eq!(case["severity"], 3);
    assert_eq!(case["tlp"], 2);
    assert!(case["tags"].as_array().unwrap().contains(&json!("type:OSINT")));
    let id = case["_id"].as_str().unwrap();
    let obs = observables_of_case(&app, id).await;
    assert_eq!(obs.len(), 14, "{}", Value::Array(obs.clone()));
    assert_eq!(find(&obs, "ip", "198.51.100.23")["ioc"], true);
    let tasks = query(&app, ana, json!([{"_name": "getCase", "idOrName": id}, {"_name": "tasks"}])).await;
    assert_eq!(tasks[0]["title"], "Block the IOCs");

    // A feed-format event (no ids) carrying its sample inline: the file is unpacked.
    let mut feed = fixture("event_sample.json");
    let e = &mut feed["Event"];
    e.as_object_mut().unwrap().remove("id");
    e["Attribute"][0]["data"] =
        json!(base64::engine::general_purpose::STANDARD.encode(fixture_bytes("invoice.exe.zip")));
    let (status, case) = upload(&app, json!({}), serde_json::to_vec(&feed).unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let obs = observables_of_case(&app, case["_id"].as_str().unwrap()).await;
    let sample = find(&obs, "file", "invoice.exe");
    assert_eq!(sample["attachment"]["size"], fixture_bytes("invoice.exe.bin").len());
}

async fn case_import_refuses_what_is_not_an_event(app: TestApp) {
    let _fake = setup(&app).await;
    // thehive4py's test: `{}` is not an event.
    let (status, body) = upload(&app, json!({}), b"{}".to_vec()).await;
    assert_error(status, &body, 400, "BadRequest");
    assert_eq!(body["message"], "Could not convert json to MISP event");
    let (status, body) = upload(&app, json!({}), b"not json".to_vec()).await;
    assert_error(status, &body, 400, "BadRequest");
    let cases = query(&app, ana, json!([{"_name": "listCase"}])).await;
    assert_eq!(cases, json!([]), "nothing created");
}
