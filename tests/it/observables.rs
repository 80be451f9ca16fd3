//! Observables: multi-value creation (201 / 207), file observables by multipart with hashes,
//! download plain and as a password-protected zip, update/bulk/delete, unknown types, and
//! correlation across cases and alerts, but not across organisations.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::alerts::{ANA, ana, create_alert, create_case, soc};
use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(
    multi_value_and_partial_failure,
    file_observable_download_and_zip,
    update_bulk_delete,
    correlation_is_per_organisation
);

async fn multi_value_and_partial_failure(app: TestApp) {
    soc(&app).await;
    let case = create_case(&app, ANA, "Values").await;
    let path = format!("/api/v1/case/{}/observable", case["_id"].as_str().unwrap());
    let (status, body) =
        send(ana(&app, Method::POST, &path).json(
            &json!({"dataType": "domain", "data": ["a.example", " ", "b.example"], "tlp": 1, "tags": ["t", "t"]}),
        ))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 2, "blank values are skipped");
    assert_eq!((body[0]["tlpLabel"].clone(), body[0]["tags"].clone()), (json!("GREEN"), json!(["t"])));
    assert_eq!(body[0]["ignoreSimilarity"], false);
    // One new value, one already present: 207 with both lists.
    let (status, body) =
        send(ana(&app, Method::POST, &path).json(&json!({"dataType": "domain", "data": ["b.example", "c.example"]})))
            .await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{body}");
    assert_eq!(body["success"][0]["data"], "c.example");
    assert_eq!(body["failure"][0]["type"], "CreateError");
    assert_eq!(body["failure"][0]["object"]["data"], "b.example");
    // A single duplicate is a plain 400; the same data under another type is fine.
    let (status, body) =
        send(ana(&app, Method::POST, &path).json(&json!({"dataType": "domain", "data": "a.example"}))).await;
    assert_error(status, &body, 400, "CreateError");
    let (status, _) =
        send(ana(&app, Method::POST, &path).json(&json!({"dataType": "fqdn", "data": "a.example"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    // Unknown type, missing data, wrong type of data, bad tlp: 400 and nothing stored.
    for (body, field) in [
        (json!({"dataType": "nope", "data": "z.example"}), "dataType"),
        (json!({"dataType": "domain"}), "data"),
        (json!({"dataType": "domain", "data": 5}), "data"),
        (json!({"dataType": "domain", "data": "z.example", "tlp": 7}), "tlp"),
        (json!({"dataType": "file", "data": "z.example"}), "data"),
    ] {
        let (status, err) = send(ana(&app, Method::POST, &path).json(&body)).await;
        assert_error(status, &err, 400, "AttributeCheckingError");
        assert_eq!(err["errors"][0]["name"], field, "{err}");
    }
    let (status, body) =
        send(ana(&app, Method::POST, &path).json(&json!({"dataType": "domain", "data": "z.example"}))).await;
    assert_eq!(status, StatusCode::CREATED, "z.example was not stored before: {body}");
}

async fn file_observable_download_and_zip(app: TestApp) {
    soc(&app).await;
    let case = create_case(&app, ANA, "Files").await;
    let bytes = b"MZ\x90\x00 evil payload".to_vec();
    let form = reqwest::multipart::Form::new()
        .text(
            "_json",
            json!({"dataType": "file", "message": "attachment of the mail", "ioc": true, "tags": ["mail"]}).to_string(),
        )
        .part(
            "attachment",
            reqwest::multipart::Part::bytes(bytes.clone())
                .file_name("invoice.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let (status, body) = send(
        ana(&app, Method::POST, &format!("/api/v1/case/{}/observable", case["_id"].as_str().unwrap())).multipart(form),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let o = &body[0];
    assert!(o.get("data").is_none());
    let att = &o["attachment"];
    assert_eq!(
        (att["name"].clone(), att["contentType"].clone(), att["size"].clone()),
        (json!("invoice.pdf"), json!("application/pdf"), json!(bytes.len()))
    );
    let sha256 = att["id"].as_str().unwrap();
    assert_eq!(sha256.len(), 64);
    assert_eq!(
        att["hashes"].as_array().unwrap().iter().map(|h| h.as_str().unwrap().len()).collect::<Vec<_>>(),
        vec![64, 40, 32]
    );
    let oid = o["_id"].as_str().unwrap();
    let resp =
        ana(&app, Method::GET, &format!("/api/v1/observable/{oid}/attachment/{sha256}/download")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("filename=\"invoice.pdf\""));
    assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes.as_slice());
    let resp = ana(&app, Method::GET, &format!("/api/v1/observable/{oid}/attachment/{sha256}/download?asZip=true"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("invoice.pdf.zip"));
    let zip = resp.bytes().await.unwrap();
    assert!(waggle::zip::decrypt_single_entry(&zip, "wrong").is_none());
    let (name, content) = waggle::zip::decrypt_single_entry(&zip, "malware").expect("zip opens with password malware");
    assert_eq!((name.as_str(), content), ("invoice.pdf", bytes.clone()));
    // The same file in an alert (thehive4py attachment map) shares the stored content.
    let form = reqwest::multipart::Form::new()
        .text("_json", json!({"type": "mail", "source": "gw", "sourceRef": "m-1", "title": "t", "description": "d",
            "observables": [{"dataType": "file", "attachment": "att-key"}, {"dataType": "mail", "data": "x@example.org"}]}).to_string())
        .part("att-key", reqwest::multipart::Part::bytes(bytes.clone()).file_name("copy.pdf"));
    let (status, alert) = send(ana(&app, Method::POST, "/api/v1/alert").multipart(form)).await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    assert_eq!(alert["observableCount"], 2);
    // Text observables refuse files.
    let form = reqwest::multipart::Form::new()
        .text("_json", json!({"dataType": "ip"}).to_string())
        .part("attachment", reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("x.bin"));
    let (status, err) = send(
        ana(&app, Method::POST, &format!("/api/v1/case/{}/observable", case["_id"].as_str().unwrap())).multipart(form),
    )
    .await;
    assert_error(status, &err, 400, "AttributeCheckingError");
}

async fn update_bulk_delete(app: TestApp) {
    soc(&app).await;
    let alert = create_alert(
        &app,
        ANA,
        json!({"type": "t", "source": "s", "sourceRef": "u-1", "title": "t", "description": "d",
        "observables": [{"dataType": "ip", "data": ["10.0.0.1", "10.0.0.2"]}]}),
    )
    .await;
    let (status, list) = send(
        ana(&app, Method::POST, &format!("/api/v1/alert/{}/observable", alert["_id"].as_str().unwrap()))
            .json(&json!({"dataType": "hostname", "data": "srv1"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{list}");
    let id = list[0]["_id"].as_str().unwrap().to_owned();
    let (status, _) = send(
        ana(&app, Method::PATCH, &format!("/api/v1/observable/{id}"))
            .json(&json!({"ioc": true, "sighted": true, "message": "seen on srv1", "tags": ["a"], "unknownKey": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/observable/{id}"))).await;
    assert_eq!(
        (got["ioc"].clone(), got["sighted"].clone(), got["message"].clone()),
        (json!(true), json!(true), json!("seen on srv1"))
    );
    assert!(got["sightedAt"].is_number());
    let (status, err) =
        send(ana(&app, Method::PATCH, &format!("/api/v1/observable/{id}")).json(&json!({"dataType": "file"}))).await;
    assert_error(status, &err, 400, "AttributeCheckingError");
    let (status, _) = send(
        ana(&app, Method::PATCH, "/api/v1/observable/_bulk").json(&json!({"ids": [id], "tlp": 0, "addTags": ["b"]})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/observable/{id}"))).await;
    assert_eq!((got["tlp"].clone(), got["tags"].clone()), (json!(0), json!(["a", "b"])));
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/observable/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &format!("/api/v1/observable/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn correlation_is_per_organisation(app: TestApp) {
    soc(&app).await;
    let c1 = create_case(&app, ANA, "One").await;
    let c2 = create_case(&app, ANA, "Two").await;
    let mut ids = Vec::new();
    for c in [&c1, &c2] {
        let (status, body) = send(
            ana(&app, Method::POST, &format!("/api/v1/case/{}/observable", c["_id"].as_str().unwrap()))
                .json(&json!({"dataType": "ip", "data": "192.0.2.66", "ioc": true})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(body[0]["_id"].as_str().unwrap().to_owned());
    }
    create_alert(
        &app,
        ANA,
        json!({"type": "t", "source": "s", "sourceRef": "c-1", "title": "t", "description": "d",
        "observables": [{"dataType": "ip", "data": "192.0.2.66"}]}),
    )
    .await;
    // Another organisation holds the same value: invisible to soc.
    app.create_org("cert").await;
    app.create_user("bob@cert.test", "cert", "analyst").await;
    create_alert(
        &app,
        "bob@cert.test",
        json!({"type": "t", "source": "s", "sourceRef": "c-1", "title": "t", "description": "d",
        "observables": [{"dataType": "ip", "data": "192.0.2.66"}]}),
    )
    .await;
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/observable/{}?extraData=seen", ids[0]))).await;
    assert_eq!((got["extraData"]["seen"].clone(), got["extraData"]["ioc"].clone()), (json!(2), json!(true)), "{got}");
    let (_, similar) = send(ana(&app, Method::GET, &format!("/api/v1/observable/{}/similar", ids[0]))).await;
    let mut parents: Vec<String> = similar
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.get("caseId").or(o.get("alertId")).unwrap().as_str().unwrap().to_owned())
        .collect();
    parents.sort();
    assert_eq!(parents.len(), 2, "{similar}");
    assert!(parents.contains(&c2["_id"].as_str().unwrap().to_owned()));
    // Plain GET keeps extraData empty (create answer == get).
    let (_, plain) = send(ana(&app, Method::GET, &format!("/api/v1/observable/{}", ids[0]))).await;
    assert_eq!(plain["extraData"], json!({}));
    // The other organisation sees only its own alert... and not soc's observables.
    let (status, _) = send(app.as_user(
        Method::GET,
        &format!("/api/v1/observable/{}", ids[0]),
        "bob@cert.test",
        &password_of("bob@cert.test"),
    ))
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
