//! MISP server connections: administration, the sealed API key, "test connection", the
//! status thehive4py reads, and who may do what.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;

use super::{add_server, ana, setup};
use crate::fakes::misp::{FakeMisp, KEY};
use crate::harness::{TestApp, assert_error, send};

crate::misp_tests!(
    server_crud_never_returns_the_key,
    server_bad_input_changes_nothing,
    test_connection_reports_version_and_problems,
    status_and_sync_as_thehive4py_calls_them,
    tls_trust_and_host_names,
    requests_go_through_the_proxy,
);

/// The raw `api_key_encrypted` column, read directly: it must not hold the key.
async fn stored_key(app: &TestApp) -> Vec<u8> {
    let sql = "SELECT api_key_encrypted FROM misp_server WHERE name = 'circl'";
    if app.database_url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
        sqlx::query_scalar::<_, Vec<u8>>(sql).fetch_one(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
        sqlx::query_scalar::<_, Vec<u8>>(sql).fetch_one(&mut c).await.unwrap()
    }
}

async fn server_crud_never_returns_the_key(app: TestApp) {
    let fake = setup(&app).await;
    let created = add_server(
        &app,
        &fake,
        json!({"purpose": "ImportAndExport", "maxAge": "7 days", "maxAttributes": 500,
               "includedMispOrganisations": ["CIRCL"], "excludedMispOrganisations": ["Spammers"],
               "includedTags": ["tlp:green"], "excludedTags": ["internal"], "exportCaseTags": true,
               "exportObservableTags": true, "exportCaseUrl": true, "includedTheHiveOrganisations": ["soc"],
               "proxy": "http://user:secret@proxy.example:3128", "verifyHostname": false, "timeout": "30s",
               "syncInterval": "2h"}),
    )
    .await;
    assert_eq!(created["_type"], "MispServer");
    assert_eq!(created["name"], "circl");
    assert_eq!(created["hasApiKey"], true);
    assert_eq!(created["maxAge"], "1w");
    assert_eq!(created["maxAttributes"], 500);
    assert_eq!(created["includedMispOrganisations"], json!(["CIRCL"]));
    assert_eq!(created["excludedTags"], json!(["internal"]));
    assert_eq!(created["includedTheHiveOrganisations"], json!(["soc"]));
    assert_eq!(created["tags"], json!(["misp-import"]));
    assert_eq!(created["verifyHostname"], false);
    assert_eq!(created["syncInterval"], "2h");
    assert_eq!(created["timeout"], "30s");
    assert_eq!(created["proxy"], "http://proxy.example:3128/", "proxy credentials are not shown");
    assert_eq!(created["sync"]["status"], "NEVER");
    let text = created.to_string();
    assert!(!text.contains(KEY) && !text.contains("secret@"), "no secret in the answer: {text}");
    let id = created["_id"].as_str().unwrap().to_owned();

    // Stored sealed: the column is not the key.
    let sealed = stored_key(&app).await;
    assert!(!sealed.is_empty());
    assert!(!sealed.windows(KEY.len()).any(|w| w == KEY.as_bytes()), "the key is stored in clear");

    let (status, got) = send(app.as_admin(Method::GET, &format!("/api/v1/connector/misp/server/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["name"], "circl");
    let (_, by_name) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/server/circl")).await;
    assert_eq!(by_name["_id"], id.as_str());

    // PATCH changes what it names; null clears a limit; a new key replaces the old one.
    let (status, body) = send(
        app.as_admin(Method::PATCH, &format!("/api/v1/connector/misp/server/{id}"))
            .json(&json!({"maxAge": null, "purpose": "ImportOnly", "apiKey": "another-key"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, got) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/server/circl")).await;
    assert!(got.get("maxAge").is_none(), "{got}");
    assert_eq!(got["purpose"], "ImportOnly");
    assert_eq!(got["maxAttributes"], 500);
    assert_ne!(stored_key(&app).await, sealed, "the new key was sealed");

    let (_, list) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/server")).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // Duplicate names are refused.
    let (status, body) = send(
        app.as_admin(Method::POST, "/api/v1/connector/misp/server")
            .json(&json!({"name": "circl", "url": fake.url, "apiKey": "k"})),
    )
    .await;
    assert_error(status, &body, 400, "CreateError");

    // The audit trail records the changes, never the key.
    let (_, audit) = send(app.as_admin(Method::GET, "/api/v1/audit")).await;
    let entries: Vec<&Value> = audit.as_array().unwrap().iter().filter(|e| e["objectType"] == "MispServer").collect();
    assert_eq!(entries.len(), 2, "{audit}");
    assert_eq!(entries[0]["operation"], "update");
    assert_eq!(entries[0]["details"]["apiKeyChanged"], true);
    assert!(!audit.to_string().contains(KEY) && !audit.to_string().contains("another-key"));

    // Analysts cannot read or change server connections.
    let (status, body) = send(ana(&app, Method::GET, "/api/v1/connector/misp/server")).await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (status, body) = send(ana(&app, Method::DELETE, &format!("/api/v1/connector/misp/server/{id}"))).await;
    assert_error(status, &body, 403, "AuthorizationError");

    let (status, _) = send(app.as_admin(Method::DELETE, &format!("/api/v1/connector/misp/server/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send(app.as_admin(Method::GET, &format!("/api/v1/connector/misp/server/{id}"))).await;
    assert_error(status, &body, 404, "NotFoundError");
}

async fn server_bad_input_changes_nothing(app: TestApp) {
    let fake = setup(&app).await;
    let cases = [
        (json!({"url": fake.url, "apiKey": "k"}), "name"),
        (json!({"name": "x", "apiKey": "k"}), "url"),
        (json!({"name": "x", "url": "ftp://misp.example", "apiKey": "k"}), "url"),
        (json!({"name": "x", "url": fake.url}), "apiKey"),
        (json!({"name": "x", "url": fake.url, "apiKey": "k", "purpose": "Everything"}), "purpose"),
        (json!({"name": "x", "url": fake.url, "apiKey": "k", "maxAge": "soon"}), "maxAge"),
        (json!({"name": "x", "url": fake.url, "apiKey": "k", "maxAttributes": 0}), "maxAttributes"),
        (json!({"name": "x", "url": fake.url, "apiKey": "k", "includedTags": "tlp:green"}), "includedTags"),
        (json!({"name": "x", "url": fake.url, "apiKey": "k", "caCertificate": "not a certificate"}), "caCertificate"),
        (json!({"name": "x", "url": fake.url, "apiKey": "k", "proxy": "not a url"}), "proxy"),
        (json!({"name": "x", "url": fake.url, "apiKey": "k", "syncInterval": "10s"}), "syncInterval"),
        (
            json!({"name": "x", "url": fake.url, "apiKey": "k", "includedTheHiveOrganisations": ["nosuchorg"]}),
            "includedTheHiveOrganisations",
        ),
        (json!({"name": "x", "url": fake.url, "authType": "basic", "apiKey": "k"}), "username"),
    ];
    for (body, field) in cases {
        let (status, answer) = send(app.as_admin(Method::POST, "/api/v1/connector/misp/server").json(&body)).await;
        assert_error(status, &answer, 400, "AttributeCheckingError");
        assert!(answer["message"].as_str().unwrap().contains(field), "{field}: {answer}");
    }
    let (_, list) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/server")).await;
    assert_eq!(list, json!([]), "nothing was created");
    // A bad PATCH changes nothing either.
    add_server(&app, &fake, json!({"maxAttributes": 10})).await;
    let (status, answer) = send(
        app.as_admin(Method::PATCH, "/api/v1/connector/misp/server/circl")
            .json(&json!({"maxAttributes": 20, "purpose": "Sideways"})),
    )
    .await;
    assert_error(status, &answer, 400, "AttributeCheckingError");
    let (_, got) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/server/circl")).await;
    assert_eq!(got["maxAttributes"], 10);
}

async fn test_connection_reports_version_and_problems(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    let test = || async { send(app.as_admin(Method::POST, "/api/v1/connector/misp/server/circl/_test")).await };

    let (status, report) = test().await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["version"], "2.4.188");
    assert_eq!(report["organisation"], "ORGNAME");
    assert_eq!(report["user"], "sync@orgname.example");
    // What the test found is shown with the server.
    let (_, got) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/server/circl")).await;
    assert_eq!(got["sync"]["version"], "2.4.188");
    assert_eq!(got["sync"]["mispOrganisation"], "ORGNAME");
    // It talked to MISP as MISP expects.
    let req = &fake.requests_to("/servers/getVersion")[0];
    assert_eq!(req.header("authorization").as_deref(), Some(KEY));
    assert_eq!(req.header("accept").as_deref(), Some("application/json"));
    assert!(req.header("user-agent").unwrap().starts_with("Waggle/"));

    // The key's role cannot create events: export would fail, and the report says so.
    fake.edit_me(|me| me["Role"]["perm_add"] = json!(false));
    let (_, report) = test().await;
    assert_eq!(report["ok"], false);
    let perms = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "permissions").unwrap();
    assert_eq!(perms["ok"], false);
    assert!(perms["message"].as_str().unwrap().contains("perm_add"), "{perms}");
    fake.edit_me(|me| me["Role"]["perm_add"] = json!(true));

    // Unsaved settings are tested too; an old MISP is reported as such.
    let mut old = FakeMisp::start().await;
    old.set_version("2.4.60");
    let (status, report) = send(app.as_admin(Method::POST, "/api/v1/connector/misp/server/_test").json(&json!({
        "name": "old", "url": old.url, "apiKey": KEY
    })))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["ok"], false, "{report}");
    assert_eq!(report["version"], "2.4.60");
    let version = &report["checks"][0];
    assert_eq!(version["ok"], false);
    assert!(version["message"].as_str().unwrap().contains("older than 2.4.73"), "{report}");
    old.go_down().await;

    // A wrong key: MISP answers 403, the report names the key.
    let (status, body) =
        send(app.as_admin(Method::PATCH, "/api/v1/connector/misp/server/circl").json(&json!({"apiKey": "wrong"})))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, report) = test().await;
    assert_eq!(report["ok"], false);
    let key = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "apiKey").unwrap();
    let message = key["message"].as_str().unwrap();
    assert!(message.contains("403") && message.contains("API key"), "{message}");

    // MISP unreachable.
    let (_, report) = send(app.as_admin(Method::POST, "/api/v1/connector/misp/server/_test").json(&json!({
        "name": "down", "url": old.url, "apiKey": KEY
    })))
    .await;
    assert_eq!(report["ok"], false);
    let version = &report["checks"][0];
    assert!(version["message"].as_str().unwrap().contains("cannot connect"), "{report}");

    // Only administrators test connections.
    let (status, body) = send(ana(&app, Method::POST, "/api/v1/connector/misp/server/circl/_test")).await;
    assert_error(status, &body, 403, "AuthorizationError");
}

async fn status_and_sync_as_thehive4py_calls_them(app: TestApp) {
    let fake = setup(&app).await;
    // No server: an empty status map (thehive4py's test_get_status), readable by any user.
    let (status, body) = send(ana(&app, Method::GET, "/api/v1/connector/misp/status")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": {}, "syncInProgress": false}));
    // Sync answers an empty body.
    let resp = app.as_admin(Method::GET, "/api/v1/connector/misp/_syncAlerts").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(resp.text().await.unwrap(), "");
    // Analysts may not trigger a sync.
    let (status, body) = send(ana(&app, Method::GET, "/api/v1/connector/misp/_syncAlerts")).await;
    assert_error(status, &body, 403, "AuthorizationError");

    add_server(&app, &fake, json!({})).await;
    super::sync(&app).await;
    let (_, body) = send(ana(&app, Method::GET, "/api/v1/connector/misp/status")).await;
    let s = &body["status"]["circl"];
    assert_eq!(s["status"], "OK", "{body}");
    assert_eq!(s["version"], "2.4.188");
    assert_eq!(s["eventsImported"], 2);
    assert!(s["lastSync"].is_number());
    assert_eq!(s["syncInProgress"], false);
    assert_eq!(s["lastRun"]["created"], 4, "2 events × 2 organisations: {s}");
    assert!(!body.to_string().contains(KEY));
    // TheHive 4's unversioned path answers the same.
    let (status, v0) = send(ana(&app, Method::GET, "/api/connector/misp/status")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v0["status"]["circl"]["eventsImported"], 2);
}

fn tls_fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/it/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

async fn test_unsaved(app: &TestApp, body: Value) -> Value {
    let (status, report) = send(app.as_admin(Method::POST, "/api/v1/connector/misp/server/_test").json(&body)).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

async fn tls_trust_and_host_names(app: TestApp) {
    let ca = tls_fixture("ca.pem");
    // A MISP whose certificate (for localhost and 127.0.0.1) comes from a private CA.
    let good = FakeMisp::start_tls("localhost").await;
    let report = test_unsaved(&app, json!({"name": "t", "url": good.url, "apiKey": KEY})).await;
    assert_eq!(report["ok"], false, "an unknown CA is refused: {report}");
    let message = report["checks"][0]["message"].as_str().unwrap();
    assert!(message.contains("certificate"), "{message}");
    let report = test_unsaved(&app, json!({"name": "t", "url": good.url, "apiKey": KEY, "caCertificate": ca})).await;
    assert_eq!(report["ok"], true, "trusted with the server's CA certificate: {report}");

    // A certificate issued for another name: refused, unless host-name verification is off.
    let other = FakeMisp::start_tls("other").await;
    let report = test_unsaved(&app, json!({"name": "t", "url": other.url, "apiKey": KEY, "caCertificate": ca})).await;
    assert_eq!(report["ok"], false, "{report}");
    let report = test_unsaved(
        &app,
        json!({"name": "t", "url": other.url, "apiKey": KEY, "caCertificate": ca, "verifyHostname": false}),
    )
    .await;
    assert_eq!(report["ok"], true, "{report}");
    // Still checked against the trusted roots: no CA, no connection.
    let report =
        test_unsaved(&app, json!({"name": "t", "url": other.url, "apiKey": KEY, "verifyHostname": false})).await;
    assert_eq!(report["ok"], false, "{report}");

    // The same settings drive the import: a saved server over TLS imports.
    good.load_fixtures();
    super::add_server(&app, &good, json!({"caCertificate": ca})).await;
    app.create_org("soc").await;
    app.create_user(super::ANA, "soc", "analyst").await;
    super::sync(&app).await;
    assert!(super::alert_of(&app, ana, "1042").await.is_some());
}

async fn requests_go_through_the_proxy(app: TestApp) {
    let fake = setup(&app).await;
    // The MISP host name does not resolve: only the proxy (the fake itself, acting as an
    // HTTP forward proxy) can reach it.
    let report =
        test_unsaved(&app, json!({"name": "p", "url": "http://misp.invalid", "apiKey": KEY, "proxy": fake.url})).await;
    assert_eq!(report["ok"], true, "{report}");
    let req = &fake.requests_to("/servers/getVersion")[0];
    assert_eq!(req.header("host").as_deref(), Some("misp.invalid"));
    // Without the proxy the name does not resolve.
    let report = test_unsaved(&app, json!({"name": "p", "url": "http://misp.invalid", "apiKey": KEY})).await;
    assert_eq!(report["ok"], false);
}
