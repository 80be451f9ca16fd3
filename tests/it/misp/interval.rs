//! The polling interval shared by all MISP servers (issue 9): stored in the database, its
//! default the configuration file's `[misp] sync_interval_secs`, read and changed by
//! platform administrators through the API and the admin page, and followed by the poller
//! without a restart.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use waggle::service::misp::sync;

use super::{add_server, ana, server_status, setup};
use crate::harness::{TestApp, assert_error, send};

crate::misp_tests!(
    shared_interval_defaults_to_the_config_and_is_changed_audited,
    shared_interval_bad_input_changes_nothing,
    shared_interval_is_for_platform_administrators,
    poller_follows_the_shared_interval_without_restart,
);

const PATH: &str = "/api/v1/connector/misp/settings";

async fn settings(app: &TestApp) -> Value {
    let (status, body) = send(app.as_admin(Method::GET, PATH)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn set(app: &TestApp, value: Value) -> (StatusCode, Value) {
    send(app.as_admin(Method::PATCH, PATH).json(&json!({ "syncInterval": value }))).await
}

async fn shared_interval_defaults_to_the_config_and_is_changed_audited(app: TestApp) {
    // The harness keeps the configuration file's default, one hour.
    let s = settings(&app).await;
    assert_eq!(s["syncInterval"], "1h", "{s}");
    assert_eq!(s["syncIntervalSeconds"], 3600);
    assert_eq!(s["source"], "config");
    assert_eq!((s["minimum"].as_str(), s["maximum"].as_str()), (Some("1m"), Some("1d")));
    assert!(s.get("updatedBy").is_none(), "{s}");

    let (status, body) = set(&app, json!("15m")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let s = settings(&app).await;
    assert_eq!((s["syncInterval"].as_str(), s["syncIntervalSeconds"].as_i64()), (Some("15m"), Some(900)));
    assert_eq!(s["source"], "database");
    assert_eq!(s["updatedBy"], "admin@thehive.local");
    assert!(s["updatedAt"].as_i64().unwrap() > 0);
    // Seconds work too, and TheHive 4's unversioned path serves the same setting.
    let (status, _) =
        send(app.as_admin(Method::PATCH, "/api/connector/misp/settings").json(&json!({"syncInterval": 7200}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(settings(&app).await["syncInterval"], "2h");

    // Each change is in the audit trail, newest first.
    let (status, audit) = send(app.as_admin(Method::GET, "/api/v1/audit")).await;
    assert_eq!(status, StatusCode::OK);
    let entries = audit.as_array().unwrap();
    assert_eq!(entries[0]["objectType"], "PlatformSetting", "{audit}");
    assert_eq!(entries[0]["operation"], "update");
    assert_eq!(entries[0]["details"]["name"], "misp.syncInterval");
    assert_eq!(entries[0]["details"]["syncInterval"], 7200);
    assert_eq!(entries[0]["details"]["previous"], 900);
    assert_eq!(entries[1]["details"]["syncInterval"], 900);
    assert_eq!(entries[1]["details"]["previous"], 3600);

    // null goes back to the configuration file.
    let (status, _) = set(&app, Value::Null).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let s = settings(&app).await;
    assert_eq!((s["syncIntervalSeconds"].as_i64(), s["source"].as_str()), (Some(3600), Some("config")));
    let (_, audit) = send(app.as_admin(Method::GET, "/api/v1/audit")).await;
    assert_eq!(audit[0]["details"]["syncInterval"], Value::Null, "{audit}");
    assert_eq!(audit[0]["details"]["effective"], 3600);
}

async fn shared_interval_bad_input_changes_nothing(app: TestApp) {
    let (status, _) = set(&app, json!(600)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let audit_len = |a: &Value| a.as_array().map(Vec::len).unwrap_or(0);
    let (_, before) = send(app.as_admin(Method::GET, "/api/v1/audit")).await;
    for bad in [json!(59), json!(86_401), json!("30s"), json!("2d"), json!(0), json!(-60), json!("soon"), json!(true)] {
        let (status, body) = set(&app, bad.clone()).await;
        assert_error(status, &body, 400, "BadRequest");
        assert!(body["message"].as_str().unwrap().contains("between 1m and 1d"), "{bad}: {body}");
    }
    for body in [json!({}), json!([600]), json!({"interval": 600})] {
        let (status, answer) = send(app.as_admin(Method::PATCH, PATH).json(&body)).await;
        assert_error(status, &answer, 400, "BadRequest");
    }
    // The bounds themselves are accepted.
    let s = settings(&app).await;
    assert_eq!(s["syncIntervalSeconds"], 600, "unchanged: {s}");
    let (_, after) = send(app.as_admin(Method::GET, "/api/v1/audit")).await;
    assert_eq!(audit_len(&after), audit_len(&before), "nothing audited");
    for (ok, text) in [(json!(60), "1m"), (json!("1d"), "1d"), (json!("24 hours"), "1d")] {
        let (status, body) = set(&app, ok).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        assert_eq!(settings(&app).await["syncInterval"], text);
    }
}

async fn shared_interval_is_for_platform_administrators(app: TestApp) {
    setup(&app).await;
    app.create_user("orgadmin@soc.test", "soc", "org-admin").await;
    let org_admin =
        |m: Method, p: &str| app.as_user(m, p, "orgadmin@soc.test", &crate::harness::password_of("orgadmin@soc.test"));
    for req in [
        ana(&app, Method::GET, PATH),
        ana(&app, Method::PATCH, PATH).json(&json!({"syncInterval": 120})),
        org_admin(Method::GET, PATH),
        org_admin(Method::PATCH, PATH).json(&json!({"syncInterval": 120})),
    ] {
        let (status, body) = send(req).await;
        assert_error(status, &body, 403, "AuthorizationError");
    }
    let (status, body) = send(app.client.patch(app.url(PATH)).json(&json!({"syncInterval": 120}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(settings(&app).await["source"], "config", "nothing changed");
}

async fn poller_follows_the_shared_interval_without_restart(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    // A server with its own interval is not moved by the shared one.
    add_server(&app, &fake, json!({"name": "own", "syncInterval": "2h"})).await;
    let worker = app.second_server().await;
    let now = waggle::clock::now_ms();
    let ran = sync::run_due(&worker, "w", now).await.unwrap();
    assert_eq!(ran.len(), 2);
    assert!(ran.iter().all(|r| r.ok), "{ran:?}");
    assert_eq!(server_status(&app).await["nextSync"].as_i64(), Some(now + 3_600_000), "the config file's hour");

    // Shortened to 2 minutes: the waiting server is rescheduled at once (from its last run),
    // and the running poller (the same `worker`, never restarted) follows.
    let (status, body) = set(&app, json!(120)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(server_status(&app).await["nextSync"].as_i64(), Some(now + 120_000));
    let own = own_next_sync(&app).await;
    assert_eq!(own, now + 7_200_000, "its own interval is kept");
    assert!(sync::run_due(&worker, "w", now + 119_000).await.unwrap().is_empty(), "not due yet");
    let ran = sync::run_due(&worker, "w", now + 120_000).await.unwrap();
    assert_eq!(ran.iter().map(|r| r.server.as_str()).collect::<Vec<_>>(), ["circl"]);
    // The run itself schedules the next one with the shared interval as it is now.
    assert_eq!(server_status(&app).await["nextSync"].as_i64(), Some(now + 240_000));

    // Lengthened: pushed out from the last run, and runs follow the new value.
    let (status, _) = set(&app, json!("1d")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(server_status(&app).await["nextSync"].as_i64(), Some(now + 120_000 + 86_400_000));
    assert!(sync::run_due(&worker, "w", now + 240_000).await.unwrap().is_empty(), "no longer due");
    assert_eq!(own_next_sync(&app).await, own);
    worker.store.close().await;
}

async fn own_next_sync(app: &TestApp) -> i64 {
    let (status, body) = send(ana(app, Method::GET, "/api/v1/connector/misp/status")).await;
    assert_eq!(status, StatusCode::OK);
    body["status"]["own"]["nextSync"].as_i64().unwrap()
}
