//! Alerts: lifecycle (create with observables → update → promote; merge; bulk merge;
//! unmerge), duplicate refusal (also concurrent), bad input storing nothing, procedures,
//! comments, attachments, similar cases and their absence across organisations.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(
    alert_lifecycle_promote,
    merge_then_unmerge,
    bulk_merge_and_bulk_delete,
    duplicate_refused_also_concurrently,
    bad_input_stores_nothing,
    procedures_comments_attachments,
    similar_cases_stay_inside_organisation,
);

pub const ANA: &str = "ana@soc.test";

/// Organisation `soc` with analyst `ana@soc.test`.
pub async fn soc(app: &TestApp) {
    app.create_org("soc").await;
    app.create_user(ANA, "soc", "analyst").await;
}

pub fn ana(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.as_user(method, path, ANA, &password_of(ANA))
}

pub async fn create_alert(app: &TestApp, login: &str, body: Value) -> Value {
    let (status, alert) =
        send(app.as_user(Method::POST, "/api/v1/alert", login, &password_of(login)).json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    alert
}

pub async fn create_case(app: &TestApp, login: &str, title: &str) -> Value {
    let (status, case) = send(
        app.as_user(Method::POST, "/api/v1/case", login, &password_of(login))
            .json(&json!({"title": title, "description": format!("{title} description")})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

fn alert_body(source_ref: &str) -> Value {
    json!({
        "type": "siem", "source": "splunk", "sourceRef": source_ref, "title": "Brute force on vpn",
        "description": "50 failures", "severity": 3, "date": 1_700_000_100_000_i64, "tags": ["bruteforce"],
        "observables": [
            {"dataType": "ip", "data": "198.51.100.7", "ioc": true, "tags": ["src"]},
            {"dataType": "domain", "data": ["a.example", "b.example"]}
        ]
    })
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = send(ana(app, Method::GET, path)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn alert_lifecycle_promote(app: TestApp) {
    soc(&app).await;
    let alert = create_alert(&app, ANA, alert_body("evt-1")).await;
    assert_eq!(alert["_type"], "Alert");
    assert_eq!(alert["observableCount"], 3);
    assert_eq!(alert["status"], "New");
    assert_eq!(alert["stage"], "New");
    assert_eq!(alert["severityLabel"], "HIGH");
    assert_eq!(alert["tlpLabel"], "AMBER");
    assert_eq!(alert["follow"], true);
    assert_eq!(alert["timeToDetect"].as_i64().map(|t| t >= 0), Some(true));
    let id = alert["_id"].as_str().unwrap().to_owned();
    // The create answer equals the later read.
    assert_eq!(get(&app, &format!("/api/v1/alert/{id}")).await, alert);
    // Also addressable by its name type;source;sourceRef.
    assert_eq!(get(&app, "/api/v1/alert/siem;splunk;evt-1").await["_id"], id.as_str());

    let (status, body) = send(ana(&app, Method::PATCH, &format!("/api/v1/alert/{id}")).json(&json!({
        "title": "Brute force (confirmed)", "tags": null, "addTags": ["vpn"], "status": "InProgress", "tlp": 3
    })))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for path in ["read", "unfollow"] {
        let (status, _) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/{path}"))).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let got = get(&app, &format!("/api/v1/alert/{id}")).await;
    assert_eq!(got["title"], "Brute force (confirmed)");
    assert_eq!(got["tags"], json!(["bruteforce", "vpn"]), "null tags keep the tags");
    assert_eq!(got["stage"], "InProgress");
    assert_eq!(got["tlpLabel"], "AMBER+STRICT");
    assert_eq!((got["read"].clone(), got["follow"].clone()), (json!(true), json!(false)));
    assert!(got["inProgressDate"].is_number());
    // Back to New is refused.
    let (status, body) =
        send(ana(&app, Method::PATCH, &format!("/api/v1/alert/{id}")).json(&json!({"status": "New"}))).await;
    assert_error(status, &body, 400, "BadRequest");

    // Promote: a case with the alert's fields and observables; the alert is Imported.
    let (status, case) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/case")).json(&json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    assert_eq!(case["_type"], "Case");
    assert_eq!(case["title"], "Brute force (confirmed)");
    assert_eq!(case["severity"], 3);
    assert_eq!(case["tags"], json!(["bruteforce", "vpn"]));
    let case_id = case["_id"].as_str().unwrap();
    let got = get(&app, &format!("/api/v1/alert/{id}")).await;
    assert_eq!((got["status"].clone(), got["stage"].clone()), (json!("Imported"), json!("Imported")));
    assert_eq!(got["caseId"], case_id);
    // The alert by name: `~ids` are per table, and `~n` naming a case and an alert means the case.
    let copied = get(&app, &format!("/api/v1/case/{case_id}/similar/siem;splunk;evt-1/observables")).await;
    assert_eq!(copied.as_array().unwrap().len(), 3, "{copied}");
    // Promoting again returns the same case.
    let (status, again) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/case"))).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["_id"], case_id);
    // Imported alerts cannot be merged.
    let other = create_case(&app, ANA, "Other").await;
    let (status, body) =
        send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/merge/{}", other["_id"].as_str().unwrap()))).await;
    assert_error(status, &body, 400, "BadRequest");
}

async fn merge_then_unmerge(app: TestApp) {
    soc(&app).await;
    let case = create_case(&app, ANA, "Phishing wave").await;
    let case_id = case["_id"].as_str().unwrap().to_owned();
    // The case already holds one of the alert's observables.
    let (status, body) = send(
        ana(&app, Method::POST, &format!("/api/v1/case/{case_id}/observable"))
            .json(&json!({"dataType": "ip", "data": "198.51.100.7", "tags": ["known"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let existing_id = body[0]["_id"].as_str().unwrap().to_owned();
    let alert = create_alert(&app, ANA, alert_body("evt-merge")).await;
    let id = alert["_id"].as_str().unwrap().to_owned();

    let (status, merged) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/merge/{case_id}"))).await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let description = merged["description"].as_str().unwrap();
    assert!(description.starts_with("Phishing wave description"), "{description}");
    assert!(
        description.contains("#### Merged with alert #evt-merge Brute force on vpn\n\n50 failures"),
        "{description}"
    );
    assert_eq!(merged["tags"], json!(["bruteforce"]));
    // No duplicate: the existing observable got the alert's tag, two new ones were added.
    let in_case = get(&app, &format!("/api/v1/case/{case_id}/similar/siem;splunk;evt-merge/observables")).await;
    assert_eq!(in_case.as_array().unwrap().len(), 3);
    let existing = get(&app, &format!("/api/v1/observable/{existing_id}")).await;
    assert_eq!(existing["tags"], json!(["known", "src"]));
    let got = get(&app, &format!("/api/v1/alert/{id}")).await;
    assert_eq!((got["status"].clone(), got["caseId"].clone()), (json!("Imported"), json!(case_id)));

    // Unmerge: the alert leaves the case, taking back what only it brought.
    let (status, back) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/unmerge"))).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!((back["status"].clone(), back["stage"].clone()), (json!("New"), json!("New")));
    assert!(back.get("caseId").is_none(), "{back}");
    let case = get(&app, &format!("/api/v1/case/{case_id}")).await;
    assert_eq!(case["description"], "Phishing wave description");
    assert_eq!(case["tags"], json!([]));
    let in_case = get(&app, &format!("/api/v1/case/{case_id}/similar/siem;splunk;evt-merge/observables")).await;
    let left: Vec<&str> = in_case.as_array().unwrap().iter().map(|o| o["data"].as_str().unwrap()).collect();
    assert_eq!(left, vec!["198.51.100.7"], "the pre-existing observable stays");
    let existing = get(&app, &format!("/api/v1/observable/{existing_id}")).await;
    assert_eq!(existing["tags"], json!(["known"]));
    // A second unmerge has nothing to undo.
    let (status, body) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/unmerge"))).await;
    assert_error(status, &body, 400, "BadRequest");
    // And the alert can be merged again.
    let (status, _) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/merge/{case_id}"))).await;
    assert_eq!(status, StatusCode::OK);
}

async fn bulk_merge_and_bulk_delete(app: TestApp) {
    soc(&app).await;
    let case = create_case(&app, ANA, "Campaign").await;
    let case_id = case["_id"].as_str().unwrap();
    let a1 = create_alert(&app, ANA, alert_body("b-1")).await;
    let mut body2 = alert_body("b-2");
    body2["title"] = json!("Second");
    body2["observables"] =
        json!([{"dataType": "ip", "data": "198.51.100.7"}, {"dataType": "url", "data": "http://x.example/"}]);
    let a2 = create_alert(&app, ANA, body2).await;
    let ids = json!([a1["_id"], a2["_id"]]);
    let (status, merged) =
        send(ana(&app, Method::POST, "/api/v1/alert/merge/_bulk").json(&json!({"caseId": case_id, "alertIds": ids})))
            .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let d = merged["description"].as_str().unwrap();
    assert!(d.contains("#b-1 Brute force on vpn") && d.contains("#b-2 Second"), "{d}");
    for a in [&a1, &a2] {
        let got = get(&app, &format!("/api/v1/alert/{}", a["_id"].as_str().unwrap())).await;
        assert_eq!(got["caseId"], case_id);
    }
    // 198.51.100.7 came with both alerts and exists once in the case.
    let in_case = get(&app, &format!("/api/v1/case/{case_id}/similar/siem;splunk;b-2/observables")).await;
    assert_eq!(in_case.as_array().unwrap().len(), 2);

    // Bulk update, then bulk delete (all or nothing).
    let (status, _) =
        send(ana(&app, Method::PATCH, "/api/v1/alert/_bulk").json(&json!({"ids": ids, "flag": true}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(get(&app, &format!("/api/v1/alert/{}", a1["_id"].as_str().unwrap())).await["flag"], true);
    let (status, body) =
        send(ana(&app, Method::POST, "/api/v1/alert/delete/_bulk").json(&json!({"ids": [a1["_id"], "~999999999"]})))
            .await;
    assert_error(status, &body, 404, "NotFoundError");
    assert_eq!(get(&app, &format!("/api/v1/alert/{}", a1["_id"].as_str().unwrap())).await["_id"], a1["_id"]);
    let (status, _) = send(ana(&app, Method::POST, "/api/v1/alert/delete/_bulk").json(&json!({"ids": ids}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &format!("/api/v1/alert/{}", a1["_id"].as_str().unwrap()))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The case keeps what the alerts brought.
    assert_eq!(get(&app, &format!("/api/v1/case/{case_id}")).await["_id"], case_id);
}

async fn duplicate_refused_also_concurrently(app: TestApp) {
    soc(&app).await;
    create_alert(&app, ANA, alert_body("dup-1")).await;
    let (status, body) = send(ana(&app, Method::POST, "/api/v1/alert").json(&alert_body("dup-1"))).await;
    assert_error(status, &body, 400, "CreateError");
    assert_eq!(body["message"], "Alert siem:splunk:dup-1 already exist in organisation soc");
    // Two creates of the same triple at the same instant: the index lets one through.
    for round in 0..3 {
        let body = alert_body(&format!("race-{round}"));
        let (r1, r2) = tokio::join!(
            send(ana(&app, Method::POST, "/api/v1/alert").json(&body)),
            send(ana(&app, Method::POST, "/api/v1/alert").json(&body))
        );
        let mut statuses = [r1.0.as_u16(), r2.0.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 400], "{} / {}", r1.1, r2.1);
        let loser = if r1.0 == StatusCode::CREATED { &r2.1 } else { &r1.1 };
        assert_eq!(loser["type"], "CreateError");
    }
    // Another organisation may use the same triple.
    app.create_org("cert").await;
    app.create_user("bob@cert.test", "cert", "analyst").await;
    create_alert(&app, "bob@cert.test", alert_body("dup-1")).await;
}

async fn bad_input_stores_nothing(app: TestApp) {
    soc(&app).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"type": "t", "source": "s", "sourceRef": "bad-1", "description": "d"}), "title"),
        (
            json!({"type": "t", "source": "s", "sourceRef": "bad-2", "title": "x", "description": "d", "severity": "high"}),
            "severity",
        ),
        (
            json!({"type": "t", "source": "s", "sourceRef": "bad-3", "title": "x", "description": "d", "severity": 9}),
            "severity",
        ),
        (
            json!({"type": "t", "source": "s", "sourceRef": "bad-4", "title": "x", "description": "d", "tags": "a", "tlp": "red"}),
            "tlp",
        ),
        (
            json!({"type": "t", "source": "s", "sourceRef": "bad-5", "title": "x", "description": "d", "caseTemplate": "nope"}),
            "caseTemplate",
        ),
        (
            json!({"type": "t", "source": "s", "sourceRef": "bad-6", "title": "x", "description": "d",
                "observables": [{"dataType": "ip", "data": "10.0.0.1"}, {"dataType": "no-such-type", "data": "x"}]}),
            "dataType",
        ),
        (
            json!({"type": "t", "source": "s", "sourceRef": "bad-7", "title": "x", "description": "d",
                "observables": [{"data": "10.0.0.1"}]}),
            "observables[0].dataType",
        ),
        (
            json!({"type": "t", "source": "s", "sourceRef": "bad-8", "title": "x", "description": "d",
                "procedures": [{"patternId": "T9999", "occurDate": 1}]}),
            "procedures[0].patternId",
        ),
        (
            json!({"type": "t", "source": "s", "sourceRef": "bad-9", "title": "x", "description": "d",
                "customFields": {"no-such-field": 1}}),
            "customFields.no-such-field",
        ),
    ];
    for (body, field) in &cases {
        let (status, err) = send(ana(&app, Method::POST, "/api/v1/alert").json(body)).await;
        assert_error(status, &err, 400, "AttributeCheckingError");
        assert_eq!(err["errors"][0]["name"], *field, "{err}");
        let name = format!("/api/v1/alert/t;s;{}", body["sourceRef"].as_str().unwrap());
        let (status, _) = send(ana(&app, Method::GET, &name)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "nothing stored for {body}");
    }
    // A non-object body and malformed JSON.
    let (status, err) = send(ana(&app, Method::POST, "/api/v1/alert").json(&json!([1]))).await;
    assert_error(status, &err, 400, "BadRequest");
    let (status, err) =
        send(ana(&app, Method::POST, "/api/v1/alert").header("content-type", "application/json").body("{\"type\":"))
            .await;
    assert_error(status, &err, 400, "BadRequest");
    // A read-only user cannot create alerts.
    app.create_user("ro@soc.test", "soc", "read-only").await;
    let (status, err) = send(
        app.as_user(Method::POST, "/api/v1/alert", "ro@soc.test", &password_of("ro@soc.test")).json(&alert_body("ro")),
    )
    .await;
    assert_error(status, &err, 403, "AuthorizationError");
}

/// A two-technique STIX bundle in MITRE's layout.
pub fn stix_bundle() -> Vec<u8> {
    json!({"type": "bundle", "id": "bundle--1", "objects": [
        {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Data Encoding",
         "description": "Adversaries may encode data.", "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1132", "url": "https://attack.mitre.org/techniques/T1132"}],
         "x_mitre_platforms": ["Linux", "Windows"], "x_mitre_version": "1.1"},
        {"type": "attack-pattern", "id": "attack-pattern--2", "name": "Standard Encoding",
         "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}],
         "external_references": [{"source_name": "mitre-attack", "external_id": "T1132.001", "url": "https://attack.mitre.org/techniques/T1132/001"}]},
        {"type": "malware", "id": "malware--1", "name": "ignored"}
    ]})
    .to_string()
    .into_bytes()
}

pub async fn import_patterns(app: &TestApp) {
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(stix_bundle()).file_name("enterprise-attack.json"));
    let (status, body) = send(app.as_admin(Method::POST, "/api/v1/pattern/import/attack").multipart(form)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 2, "{body}");
    assert_eq!(body[0]["status"], "Success");
}

async fn procedures_comments_attachments(app: TestApp) {
    soc(&app).await;
    import_patterns(&app).await;
    let (status, p) = send(app.as_admin(Method::GET, "/api/v1/pattern/T1132.001")).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!((p["parent"].clone(), p["tactics"].clone()), (json!("T1132"), json!(["command-and-control"])));
    let mut body = alert_body("ttp-1");
    body["procedures"] = json!([{"patternId": "T1132", "occurDate": 1_640_000_000_000_i64}]);
    let alert = create_alert(&app, ANA, body).await;
    let id = alert["_id"].as_str().unwrap();
    let (status, proc_) = send(
        ana(&app, Method::POST, &format!("/api/v1/alert/{id}/procedure"))
            .json(&json!({"patternId": "T1132.001", "occurDate": 1_640_000_000_001_i64, "description": "b64"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{proc_}");
    assert_eq!(proc_["patternName"], "Standard Encoding");
    assert_eq!(proc_["tacticLabel"], "Command and Control");
    let pid = proc_["_id"].as_str().unwrap();
    let (status, _) =
        send(ana(&app, Method::PATCH, &format!("/api/v1/procedure/{pid}")).json(&json!({"description": "base64"})))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(get(&app, &format!("/api/v1/procedure/{pid}")).await["description"], "base64");
    let (status, err) = send(
        ana(&app, Method::POST, &format!("/api/v1/alert/{id}/procedure"))
            .json(&json!({"patternId": "T0", "occurDate": 1})),
    )
    .await;
    assert_error(status, &err, 400, "AttributeCheckingError");
    assert_eq!(err["errors"][0]["name"], "patternId");

    // Comments.
    let (status, c) =
        send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/comment")).json(&json!({"message": "looks real"})))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!((c["createdBy"].clone(), c["isEdited"].clone()), (json!(ANA), json!(false)));
    assert!(c["createdAt"].is_number());
    assert_eq!(get(&app, &format!("/api/v1/alert/{id}/comment")).await.as_array().unwrap().len(), 1);

    // Attachments, then promotion copies the procedures.
    let form = reqwest::multipart::Form::new().part(
        "attachments",
        reqwest::multipart::Part::bytes(b"log line 1\n".to_vec()).file_name("auth.log").mime_str("text/plain").unwrap(),
    );
    let (status, att) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/attachments")).multipart(form)).await;
    assert_eq!(status, StatusCode::CREATED, "{att}");
    let att_id = att["attachments"][0]["id"].as_str().unwrap().to_owned();
    let resp =
        ana(&app, Method::GET, &format!("/api/v1/alert/{id}/attachment/{att_id}/download")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("auth.log"));
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"log line 1\n");
    let (status, case) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/case"))).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let (_, patterns) =
        send(ana(&app, Method::GET, &format!("/api/v1/pattern/case/{}", case["_id"].as_str().unwrap()))).await;
    assert_eq!(patterns.as_array().unwrap().len(), 2, "{patterns}");
}

async fn similar_cases_stay_inside_organisation(app: TestApp) {
    soc(&app).await;
    let case = create_case(&app, ANA, "Known bad").await;
    let case_id = case["_id"].as_str().unwrap();
    let (status, body) = send(
        ana(&app, Method::POST, &format!("/api/v1/case/{case_id}/observable"))
            .json(&json!({"dataType": "ip", "data": ["198.51.100.7", "203.0.113.9"], "ioc": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let alert = create_alert(&app, ANA, alert_body("sim-1")).await;
    let id = alert["_id"].as_str().unwrap();
    let similar = get(&app, &format!("/api/v1/alert/{id}/similar")).await;
    assert_eq!(similar.as_array().unwrap().len(), 1, "{similar}");
    assert_eq!(similar[0]["case"]["_id"], case_id);
    assert_eq!(similar[0]["similarObservableCount"], 1);
    assert_eq!(similar[0]["observableCount"], 2);
    assert_eq!(similar[0]["similarIocCount"], 1);
    assert_eq!(similar[0]["iocCount"], 2);
    let with_extra = get(&app, &format!("/api/v1/alert/{id}?similarity=true")).await;
    assert_eq!(with_extra["extraData"]["similarCases"][0]["case"]["_id"], case_id);
    // Another organisation with the same observable sees no similar case.
    app.create_org("cert").await;
    app.create_user("bob@cert.test", "cert", "analyst").await;
    let other = create_alert(&app, "bob@cert.test", alert_body("sim-1")).await;
    let (status, similar) = send(app.as_user(
        Method::GET,
        &format!("/api/v1/alert/{}/similar", other["_id"].as_str().unwrap()),
        "bob@cert.test",
        &password_of("bob@cert.test"),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(similar, json!([]));
}
