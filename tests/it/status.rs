//! Bootstrap, status, licence, health.

use reqwest::{Method, StatusCode};

use crate::harness::{TestApp, send};

crate::backend_tests!(bootstrap_creates_admin_only, status_and_license_need_no_auth);

async fn bootstrap_creates_admin_only(app: TestApp) {
    let (status, me) = send(app.as_admin(Method::GET, "/api/v1/user/current")).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["login"], "admin@thehive.local");
    assert_eq!(me["organisation"], "admin");
    assert_eq!(me["profile"], "admin");
    assert_eq!(me["organisations"].as_array().unwrap().len(), 1);
    // Only the admin organisation exists.
    let (_, orgs) = send(app.as_admin(Method::GET, "/api/v1/organisation")).await;
    let names: Vec<_> = orgs.as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, vec!["admin"]);
    // Default profiles and observable types are built in, authored by the system user.
    let (_, profiles) = send(app.as_admin(Method::GET, "/api/v1/profile")).await;
    let mut names: Vec<_> =
        profiles.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, vec!["admin", "analyst", "org-admin", "read-only"]);
    assert!(profiles.as_array().unwrap().iter().all(|p| p["_createdBy"] == "system@thehive.local"));
    let (_, types) = send(app.as_admin(Method::GET, "/api/v1/observable/type")).await;
    let types = types.as_array().unwrap();
    assert_eq!(types.len(), 16);
    let file = types.iter().find(|t| t["name"] == "file").unwrap();
    assert_eq!(file["isAttachment"], true);
    assert_eq!(file["_createdBy"], "system@thehive.local");
    assert!(file["_id"].as_str().unwrap().starts_with('~'));
}

async fn status_and_license_need_no_auth(app: TestApp) {
    let (status, body) = send(app.client.get(app.url("/api/v1/status"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["versions"]["TheHive"].is_string());
    assert!(body["config"]["capabilities"].as_array().unwrap().iter().any(|c| c == "authByKey"));
    let (status, body) = send(app.client.get(app.url("/api/status"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(app.client.get(app.url("/api/v1/license/current"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["fallback"]["expiresAt"].as_i64().unwrap() > 4_000_000_000_000);
    let (status, body) = send(app.client.get(app.url("/api/health"))).await;
    assert_eq!((status, body), (StatusCode::OK, serde_json::json!("Ok")));
}
