//! Authentication by every method, sessions, API keys, organisation switching, locking.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(
    basic_and_wrong_password,
    session_login_and_logout,
    api_key_renew_then_use,
    x_organisation_switching,
    locked_user_cannot_authenticate,
    login_is_case_insensitive_with_default_domain,
    identity_changes_reach_a_key_in_use_at_once,
);

async fn basic_and_wrong_password(app: TestApp) {
    let (status, _) = send(app.as_admin(Method::GET, "/api/v1/user/current")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(app.as_user(Method::GET, "/api/v1/user/current", "admin@thehive.local", "wrong")).await;
    assert_error(status, &body, 401, "AuthenticationError");
    assert_eq!(body["message"], "Authentication failure");
    let (status, body) = send(app.as_user(Method::GET, "/api/v1/user/current", "nobody@x.y", "pw")).await;
    assert_error(status, &body, 401, "AuthenticationError");
    let (status, body) = send(app.client.get(app.url("/api/v1/user/current"))).await;
    assert_error(status, &body, 401, "AuthenticationError");
    let (status, body) =
        send(app.client.get(app.url("/api/v1/user/current")).header("Authorization", "Weird xyz")).await;
    assert_error(status, &body, 401, "AuthenticationError");
}

async fn session_login_and_logout(app: TestApp) {
    let (status, body) = send(
        app.client.post(app.url("/api/v1/login")).json(&json!({"user": "admin@thehive.local", "password": "wrong"})),
    )
    .await;
    assert_error(status, &body, 401, "AuthenticationError");
    let resp = app
        .client
        .post(app.url("/api/v1/login"))
        .json(&json!({"user": "admin@thehive.local", "password": "secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("THEHIVE-SESSION=") && cookie.contains("HttpOnly"), "{cookie}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["login"], "admin@thehive.local");
    assert_eq!(body["organisations"][0]["organisation"], "admin");
    // The cookie store of the client now authenticates.
    let (status, me) = send(app.client.get(app.url("/api/v1/user/current"))).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let (status, _) = send(app.client.post(app.url("/api/v1/logout"))).await;
    assert_eq!(status, StatusCode::OK);
    // The old token is dead even if replayed.
    let token = cookie.split(';').next().unwrap().to_owned();
    let fresh = reqwest::Client::new();
    let (status, body) = send(fresh.get(app.url("/api/v1/user/current")).header("Cookie", token)).await;
    assert_error(status, &body, 401, "AuthenticationError");
}

async fn api_key_renew_then_use(app: TestApp) {
    app.create_org("soc").await;
    app.create_user("ann@soc.test", "soc", "analyst").await;
    let (status, key) = send(app.as_admin(Method::POST, "/api/v1/user/ann@soc.test/key/renew")).await;
    assert_eq!(status, StatusCode::OK);
    let key = key.as_str().unwrap().to_owned();
    assert_eq!(key.len(), 32);
    let (status, me) = send(app.client.get(app.url("/api/v1/user/current")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["login"], "ann@soc.test");
    assert_eq!(me["hasKey"], true);
    // Reveal returns the same key; renewal invalidates the old one; removal kills it.
    let (_, revealed) = send(app.as_admin(Method::GET, "/api/v1/user/ann@soc.test/key")).await;
    assert_eq!(revealed, json!(key));
    let (_, key2) = send(app.as_admin(Method::POST, "/api/v1/user/ann@soc.test/key/renew")).await;
    let (status, _) = send(app.client.get(app.url("/api/v1/user/current")).bearer_auth(&key)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(app.as_admin(Method::DELETE, "/api/v1/user/ann@soc.test/key")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(app.client.get(app.url("/api/v1/user/current")).bearer_auth(key2.as_str().unwrap())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = send(app.as_admin(Method::GET, "/api/v1/user/ann@soc.test/key")).await;
    assert_error(status, &body, 404, "NotFoundError");
}

async fn x_organisation_switching(app: TestApp) {
    app.create_org("red").await;
    app.create_org("blue").await;
    app.create_user("multi@x.test", "red", "analyst").await;
    let (status, body) = send(app.as_admin(Method::PUT, "/api/v1/user/multi@x.test/organisations").json(&json!({
        "organisations": [
            {"organisation": "red", "profile": "analyst"},
            {"organisation": "blue", "profile": "read-only", "default": true}
        ]
    })))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["organisations"].as_array().unwrap().len(), 2);
    let pw = password_of("multi@x.test");
    // Default organisation: blue, read-only.
    let (_, me) = send(app.as_user(Method::GET, "/api/v1/user/current", "multi@x.test", &pw)).await;
    assert_eq!((me["organisation"].as_str(), me["profile"].as_str()), (Some("blue"), Some("read-only")));
    assert_eq!(me["permissions"], json!([]));
    // Per request: red, analyst.
    let resp = app
        .as_user(Method::GET, "/api/v1/user/current", "multi@x.test", &pw)
        .header("X-Organisation", "red")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-organisation"], "red");
    assert!(resp.headers()["x-permissions"].to_str().unwrap().contains("manageCase"));
    let me: serde_json::Value = resp.json().await.unwrap();
    assert_eq!((me["organisation"].as_str(), me["profile"].as_str()), (Some("red"), Some("analyst")));
    // Not a member: refused.
    let (status, body) =
        send(app.as_user(Method::GET, "/api/v1/user/current", "multi@x.test", &pw).header("X-Organisation", "admin"))
            .await;
    assert_error(status, &body, 403, "AuthorizationError");
}

async fn locked_user_cannot_authenticate(app: TestApp) {
    app.create_org("soc").await;
    app.create_user("lock@soc.test", "soc", "analyst").await;
    let (_, key) = send(app.as_admin(Method::POST, "/api/v1/user/lock@soc.test/key/renew")).await;
    let session = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let (status, _) = send(
        session
            .post(app.url("/api/v1/login"))
            .json(&json!({"user": "lock@soc.test", "password": password_of("lock@soc.test")})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(app.as_admin(Method::DELETE, "/api/v1/user/lock@soc.test")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, user) = send(app.as_admin(Method::GET, "/api/v1/user/lock@soc.test")).await;
    assert_eq!(user["locked"], true);
    let pw = password_of("lock@soc.test");
    let (status, body) = send(app.as_user(Method::GET, "/api/v1/user/current", "lock@soc.test", &pw)).await;
    assert_error(status, &body, 401, "AuthenticationError");
    let (status, _) = send(app.client.get(app.url("/api/v1/user/current")).bearer_auth(key.as_str().unwrap())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(session.get(app.url("/api/v1/user/current"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        reqwest::Client::new().post(app.url("/api/v1/login")).json(&json!({"user": "lock@soc.test", "password": pw})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The admin cannot lock itself.
    let (status, body) = send(app.as_admin(Method::DELETE, "/api/v1/user/admin@thehive.local")).await;
    assert_error(status, &body, 403, "AuthorizationError");
}

async fn login_is_case_insensitive_with_default_domain(app: TestApp) {
    let (status, _) = send(app.as_user(Method::GET, "/api/v1/user/current", "ADMIN", "secret")).await;
    assert_eq!(status, StatusCode::OK);
}

/// API keys are resolved through a cache (`auth::identity_cache`): every change to what a key
/// stands for must show on the very next request made with it.
async fn identity_changes_reach_a_key_in_use_at_once(app: TestApp) {
    app.create_org("soc").await;
    app.create_org("cert").await;
    let (status, body) = send(
        app.as_admin(Method::POST, "/api/v1/profile").json(&json!({"name": "triage", "permissions": ["manageAlert"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.create_user("key@soc.test", "soc", "triage").await;
    let (_, key) = send(app.as_admin(Method::POST, "/api/v1/user/key@soc.test/key/renew")).await;
    let key = key.as_str().unwrap().to_owned();
    let me = || async {
        let resp = app.client.get(app.url("/api/v1/user/current")).bearer_auth(&key).send().await.unwrap();
        let status = resp.status();
        (status, resp.json::<serde_json::Value>().await.unwrap())
    };
    // Used twice, so that the second answer may come from the cache.
    for _ in 0..2 {
        let (status, body) = me().await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["permissions"], json!(["manageAlert"]));
    }
    // The profile gains a permission.
    let (status, body) = send(
        app.as_admin(Method::PATCH, "/api/v1/profile/triage")
            .json(&json!({"permissions": ["manageAlert", "manageCase"]})),
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(me().await.1["permissions"], json!(["manageAlert", "manageCase"]));
    // The organisation is renamed.
    let (status, body) =
        send(app.as_admin(Method::PATCH, "/api/v1/organisation/soc").json(&json!({"name": "soc2"}))).await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(me().await.1["organisation"], "soc2");
    // The user is moved to another organisation with another profile.
    let (status, body) = send(app.as_admin(Method::PUT, "/api/v1/user/key@soc.test/organisations").json(&json!({
        "organisations": [{"organisation": "cert", "profile": "read-only", "default": true}]
    })))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = me().await;
    assert_eq!((body["organisation"].as_str(), body["profile"].as_str()), (Some("cert"), Some("read-only")));
    let (status, body) =
        send(app.client.get(app.url("/api/v1/user/current")).bearer_auth(&key).header("X-Organisation", "soc2")).await;
    assert_error(status, &body, 403, "AuthorizationError");
    // Locked: refused.
    let (status, _) = send(app.as_admin(Method::DELETE, "/api/v1/user/key@soc.test")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = me().await;
    assert_error(status, &body, 401, "AuthenticationError");
}
