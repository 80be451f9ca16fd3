//! Case and organisation attachments: content-addressed (one stored copy per content),
//! download with the original name, zip download, invisible to other organisations.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::alerts::{ANA, ana, create_case, soc};
use crate::harness::{TestApp, password_of, send};

crate::backend_tests!(case_attachments_dedup_download_zip);

fn form(name: &str, bytes: &[u8]) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().text("canRename", "true").part(
        "attachments",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()).mime_str("text/plain").unwrap(),
    )
}

async fn case_attachments_dedup_download_zip(app: TestApp) {
    soc(&app).await;
    let c1 = create_case(&app, ANA, "A").await;
    let c2 = create_case(&app, ANA, "B").await;
    let content = "rapport d'incident — été".as_bytes();
    let mut ids = Vec::new();
    for (c, name) in [(&c1, "rapport é.txt"), (&c2, "other.txt")] {
        let (status, body) = send(
            ana(&app, Method::POST, &format!("/api/v1/case/{}/attachments", c["_id"].as_str().unwrap()))
                .multipart(form(name, content)),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["attachments"][0]["name"], name);
        ids.push(body["attachments"][0]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1], "same content, same id");
    let case1 = c1["_id"].as_str().unwrap();
    let resp =
        ana(&app, Method::GET, &format!("/api/v1/case/{case1}/attachment/{}/download", ids[0])).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cd = resp.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(cd.contains("filename*=UTF-8''rapport%20%C3%A9.txt"), "{cd}");
    assert_eq!(resp.bytes().await.unwrap().as_ref(), content);
    let resp =
        ana(&app, Method::GET, &format!("/api/v1/attachment/{}/download?asZip=true", ids[0])).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let zip = resp.bytes().await.unwrap();
    assert_eq!(waggle::zip::decrypt_single_entry(&zip, "malware").map(|(_, b)| b), Some(content.to_vec()));
    // Listing, deleting one use keeps the other.
    let (_, list) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case1}/attachments"))).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/case/{case1}/attachment/{}", ids[0]))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case1}/attachments"))).await;
    assert_eq!(list, json!([]));
    let resp = ana(&app, Method::GET, &format!("/api/v1/attachment/{}/download", ids[0])).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "still used by case B");
    // Another organisation cannot download it.
    app.create_org("cert").await;
    app.create_user("bob@cert.test", "cert", "analyst").await;
    let (status, _) = send(app.as_user(
        Method::GET,
        &format!("/api/v1/attachment/{}/download", ids[0]),
        "bob@cert.test",
        &password_of("bob@cert.test"),
    ))
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
