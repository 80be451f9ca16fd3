//! Organisation CRUD, visibility and the audit row of a mutation.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(
    organisation_crud_and_audit,
    organisations_are_siloed,
    admin_org_is_read_only,
    acknowledged_writes_survive_restart
);

async fn organisation_crud_and_audit(app: TestApp) {
    let created = app.create_org("cert").await;
    assert_eq!(created["name"], "cert");
    assert_eq!(created["_type"], "Organisation");
    assert_eq!(created["_createdBy"], "admin@thehive.local");
    assert!(created.get("_updatedAt").is_none(), "absent optionals are omitted: {created}");
    let id = created["_id"].as_str().unwrap();
    let (status, got) = send(app.as_admin(Method::GET, &format!("/api/v1/organisation/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created, "a create response equals the later get");
    let (status, _) = send(
        app.as_admin(Method::PATCH, "/api/v1/organisation/cert").json(&json!({"description": "Computer emergency"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(app.as_admin(Method::GET, "/api/v1/organisation/cert")).await;
    assert_eq!(got["description"], "Computer emergency");
    assert_eq!(got["_updatedBy"], "admin@thehive.local");
    // Duplicate name.
    let (status, body) =
        send(app.as_admin(Method::POST, "/api/v1/organisation").json(&json!({"name": "cert", "description": "again"})))
            .await;
    assert_error(status, &body, 400, "CreateError");
    // The audit trail has both mutations, newest first, with the changed fields.
    let (status, audit) = send(app.as_admin(Method::GET, "/api/v1/audit")).await;
    assert_eq!(status, StatusCode::OK);
    let entries = audit.as_array().unwrap();
    assert_eq!(entries[0]["operation"], "update");
    assert_eq!(entries[0]["objectType"], "Organisation");
    assert_eq!(entries[0]["objectId"], json!(id));
    assert_eq!(entries[0]["details"], json!({"description": "Computer emergency"}));
    assert_eq!(entries[1]["operation"], "create");
    assert_eq!(entries[0]["_createdBy"], "admin@thehive.local");
}

async fn organisations_are_siloed(app: TestApp) {
    app.create_org("alpha").await;
    app.create_org("beta").await;
    app.create_user("a@alpha.test", "alpha", "org-admin").await;
    let pw = password_of("a@alpha.test");
    let (_, list) = send(app.as_user(Method::GET, "/api/v1/organisation", "a@alpha.test", &pw)).await;
    let names: Vec<_> = list.as_array().unwrap().iter().map(|o| o["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, vec!["alpha"]);
    // An organisation the caller may not see answers 404, not 403.
    let (status, body) = send(app.as_user(Method::GET, "/api/v1/organisation/beta", "a@alpha.test", &pw)).await;
    assert_error(status, &body, 404, "NotFoundError");
    // Only the admin organisation creates organisations.
    let (status, body) = send(
        app.as_user(Method::POST, "/api/v1/organisation", "a@alpha.test", &pw)
            .json(&json!({"name": "gamma", "description": "g"})),
    )
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    assert_eq!(
        body["message"],
        "Your are not authorized to create organisation, you haven't the permission manageOrganisation"
    );
    let (_, list) = send(app.as_admin(Method::GET, "/api/v1/organisation")).await;
    assert_eq!(list.as_array().unwrap().len(), 3, "nothing was created: {list}");
}

async fn admin_org_is_read_only(app: TestApp) {
    let (status, body) =
        send(app.as_admin(Method::PATCH, "/api/v1/organisation/admin").json(&json!({"name": "root"}))).await;
    assert_error(status, &body, 400, "BadRequest");
}

async fn acknowledged_writes_survive_restart(app: TestApp) {
    app.create_org("durable").await;
    app.create_user("d@durable.test", "durable", "analyst").await;
    let app = app.restart().await;
    let (status, org) = send(app.as_admin(Method::GET, "/api/v1/organisation/durable")).await;
    assert_eq!(status, StatusCode::OK, "{org}");
    let (status, _) =
        send(app.as_user(Method::GET, "/api/v1/user/current", "d@durable.test", &password_of("d@durable.test"))).await;
    assert_eq!(status, StatusCode::OK);
    // Bootstrap does not run twice.
    let (_, orgs) = send(app.as_admin(Method::GET, "/api/v1/organisation")).await;
    assert_eq!(orgs.as_array().unwrap().len(), 2);
}
