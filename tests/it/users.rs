//! User CRUD, passwords, memberships and who may manage whom.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(user_crud, passwords, org_admin_manages_only_own_members, create_existing_login_adds_membership);

async fn user_crud(app: TestApp) {
    app.create_org("soc").await;
    let created = app.create_user("Carol@Soc.Test", "soc", "analyst").await;
    assert_eq!(created["login"], "carol@soc.test", "logins are lowercased");
    assert_eq!(created["organisation"], "soc");
    assert_eq!(created["profile"], "analyst");
    assert_eq!(created["hasPassword"], true);
    assert_eq!(created["hasKey"], false);
    let id = created["_id"].as_str().unwrap();
    let (_, got) = send(app.as_admin(Method::GET, &format!("/api/v1/user/{id}"))).await;
    assert_eq!(got["login"], "carol@soc.test");
    let (status, _) = send(
        app.as_admin(Method::PATCH, "/api/v1/user/carol@soc.test")
            .json(&json!({"name": "Carol C", "profile": "read-only", "organisation": "soc"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(app.as_admin(Method::GET, "/api/v1/user/carol@soc.test")).await;
    assert_eq!(got["name"], "Carol C");
    assert_eq!(got["profile"], "read-only");
    // The user can rename itself but not change its own profile.
    let pw = password_of("Carol@Soc.Test");
    let (status, _) = send(
        app.as_user(Method::PATCH, "/api/v1/user/carol@soc.test", "carol@soc.test", &pw).json(&json!({"name": "Me"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send(
        app.as_user(Method::PATCH, "/api/v1/user/carol@soc.test", "carol@soc.test", &pw)
            .json(&json!({"profile": "org-admin"})),
    )
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    // Missing fields and wrong types: 400 naming the field, nothing created.
    let (status, body) = send(
        app.as_admin(Method::POST, "/api/v1/user")
            .json(&json!({"login": "d@soc.test", "organisation": "soc", "profile": "analyst"})),
    )
    .await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    assert_eq!(body["errors"][0]["name"], "name");
    let (status, body) = send(
        app.as_admin(Method::POST, "/api/v1/user")
            .json(&json!({"login": "d@soc.test", "name": 5, "organisation": "soc", "profile": "analyst"})),
    )
    .await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    let (status, body) = send(
        app.as_admin(Method::POST, "/api/v1/user")
            .json(&json!({"login": "d@soc.test", "name": "D", "organisation": "soc", "profile": "nope"})),
    )
    .await;
    assert_error(status, &body, 404, "NotFoundError");
    let (status, _) = send(app.as_admin(Method::GET, "/api/v1/user/d@soc.test")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Malformed JSON.
    let (status, body) =
        send(app.as_admin(Method::POST, "/api/v1/user").header("content-type", "application/json").body("{\"login\":"))
            .await;
    assert_error(status, &body, 400, "BadRequest");
    // Force-delete removes the last membership and so the account.
    let (status, _) =
        send(app.as_admin(Method::DELETE, "/api/v1/user/carol@soc.test/force").query(&[("organisation", "soc")])).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send(app.as_admin(Method::GET, "/api/v1/user/carol@soc.test")).await;
    assert_error(status, &body, 404, "NotFoundError");
}

async fn passwords(app: TestApp) {
    app.create_org("soc").await;
    app.create_user("p@soc.test", "soc", "analyst").await;
    let old = password_of("p@soc.test");
    let (status, body) = send(
        app.as_user(Method::POST, "/api/v1/user/p@soc.test/password/change", "p@soc.test", &old)
            .json(&json!({"currentPassword": "bad", "password": "n1"})),
    )
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (status, _) = send(
        app.as_user(Method::POST, "/api/v1/user/p@soc.test/password/change", "p@soc.test", &old)
            .json(&json!({"currentPassword": old, "password": "n1"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(app.as_user(Method::GET, "/api/v1/user/current", "p@soc.test", &old)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) =
        send(app.as_admin(Method::POST, "/api/v1/user/p@soc.test/password/set").json(&json!({"password": "n2"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(app.as_user(Method::GET, "/api/v1/user/current", "p@soc.test", "n2")).await;
    assert_eq!(status, StatusCode::OK);
}

async fn org_admin_manages_only_own_members(app: TestApp) {
    app.create_org("one").await;
    app.create_org("two").await;
    app.create_user("boss@one.test", "one", "org-admin").await;
    app.create_user("dev@two.test", "two", "analyst").await;
    let pw = password_of("boss@one.test");
    let boss = |m: Method, p: &str| app.as_user(m, p, "boss@one.test", &pw);
    // Creates a member of its own organisation.
    let (status, body) = send(
        boss(Method::POST, "/api/v1/user").json(&json!({"login": "new@one.test", "name": "New", "profile": "analyst"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["organisation"], "one");
    // Cannot grant the platform admin profile.
    let (status, body) =
        send(boss(Method::POST, "/api/v1/user").json(&json!({"login": "x@one.test", "name": "X", "profile": "admin"})))
            .await;
    assert_error(status, &body, 400, "BadRequest");
    // Cannot see or touch another organisation's user.
    let (status, body) = send(boss(Method::GET, "/api/v1/user/dev@two.test")).await;
    assert_error(status, &body, 404, "NotFoundError");
    let (status, body) =
        send(boss(Method::POST, "/api/v1/user/dev@two.test/password/set").json(&json!({"password": "x"}))).await;
    assert_error(status, &body, 404, "NotFoundError");
    // Cannot touch the platform admin either.
    let (status, _) = send(boss(Method::POST, "/api/v1/user/admin@thehive.local/key/renew")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // An analyst cannot create users.
    app.create_user("ana@one.test", "one", "analyst").await;
    let (status, body) = send(
        app.as_user(Method::POST, "/api/v1/user", "ana@one.test", &password_of("ana@one.test"))
            .json(&json!({"login": "y@one.test", "name": "Y", "profile": "analyst"})),
    )
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
}

async fn create_existing_login_adds_membership(app: TestApp) {
    app.create_org("one").await;
    app.create_org("two").await;
    app.create_user("both@x.test", "one", "analyst").await;
    let (status, body) = send(
        app.as_admin(Method::POST, "/api/v1/user")
            .json(&json!({"login": "both@x.test", "name": "Both", "organisation": "two", "profile": "read-only"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, me) =
        send(app.as_user(Method::GET, "/api/v1/user/current", "both@x.test", &password_of("both@x.test"))).await;
    assert_eq!(me["organisations"].as_array().unwrap().len(), 2);
}
