//! Profile CRUD and the rules around built-in profiles.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{TestApp, assert_error, send};

crate::backend_tests!(profile_crud, builtin_profiles_are_protected);

async fn profile_crud(app: TestApp) {
    let (status, p) = send(
        app.as_admin(Method::POST, "/api/v1/profile")
            .json(&json!({"name": "triage", "permissions": ["manageAlert", "manageCase"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["_type"], "Profile");
    assert_eq!(p["permissions"], json!(["manageAlert", "manageCase"]));
    assert_eq!(p["editable"], true);
    assert_eq!(p["isAdmin"], false);
    let (_, got) = send(app.as_admin(Method::GET, "/api/v1/profile/triage")).await;
    assert_eq!(got, p);
    let (status, updated) =
        send(app.as_admin(Method::PATCH, "/api/v1/profile/triage").json(&json!({"permissions": ["manageAlert"]})))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["permissions"], json!(["manageAlert"]));
    // In use → cannot delete.
    app.create_org("soc").await;
    app.create_user("t@soc.test", "soc", "triage").await;
    let (status, body) = send(app.as_admin(Method::DELETE, "/api/v1/profile/triage")).await;
    assert_error(status, &body, 400, "BadRequest");
    let (status, _) =
        send(app.as_admin(Method::DELETE, "/api/v1/user/t@soc.test/force").query(&[("organisation", "soc")])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(app.as_admin(Method::DELETE, "/api/v1/profile/triage")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send(app.as_admin(Method::GET, "/api/v1/profile/triage")).await;
    assert_error(status, &body, 404, "NotFoundError");
    // Bad input changes nothing.
    let (status, body) =
        send(app.as_admin(Method::POST, "/api/v1/profile").json(&json!({"name": "x", "permissions": "manageCase"})))
            .await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    let (status, body) = send(app.as_admin(Method::GET, "/api/v1/profile/x")).await;
    assert_error(status, &body, 404, "NotFoundError");
}

async fn builtin_profiles_are_protected(app: TestApp) {
    let (status, body) =
        send(app.as_admin(Method::PATCH, "/api/v1/profile/org-admin").json(&json!({"permissions": []}))).await;
    assert_error(status, &body, 400, "BadRequest");
    let (status, body) = send(app.as_admin(Method::DELETE, "/api/v1/profile/admin")).await;
    assert_error(status, &body, 400, "BadRequest");
    let (_, admin) = send(app.as_admin(Method::GET, "/api/v1/profile/admin")).await;
    assert_eq!(admin["isAdmin"], true);
    assert_eq!(admin["editable"], false);
}
