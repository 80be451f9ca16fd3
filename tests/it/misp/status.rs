//! `connectors.misp` in `/api/status`, as TheHive's MISP connector reports it, following the
//! servers' real state.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::harness::{TestApp, send};

crate::misp_tests!(api_status_reports_each_server);

async fn connector(app: &TestApp, signed_in: bool) -> Value {
    let req = if signed_in { app.as_admin(Method::GET, "/api/status") } else { app.client.get(app.url("/api/status")) };
    let (status, body) = send(req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["connectors"]["misp"].clone()
}

async fn api_status_reports_each_server(app: TestApp) {
    assert_eq!(connector(&app, false).await, json!({"enabled": false, "status": "DISABLED", "servers": []}));
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    let c = connector(&app, false).await;
    assert_eq!(c["enabled"], true);
    assert_eq!(c["status"], "CHECKING", "not contacted yet: {c}");
    assert_eq!(c["servers"][0]["name"], "circl");
    assert_eq!(c["servers"][0]["purpose"], "ImportAndExport");
    assert!(c["servers"][0].get("url").is_none(), "internal addresses are not public: {c}");
    sync(&app).await;
    let c = connector(&app, true).await;
    assert_eq!(c["status"], "OK", "{c}");
    assert_eq!(c["servers"][0]["status"], "OK");
    assert_eq!(c["servers"][0]["version"], fake_version());
    assert_eq!(c["servers"][0]["url"], format!("{}/", fake.url));

    // A second server that does not answer: WARNING overall, ERROR for it.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    add_server(&app, &fake, json!({"name": "down", "url": format!("http://{closed}")})).await;
    sync(&app).await;
    let c = connector(&app, true).await;
    assert_eq!(c["status"], "WARNING", "{c}");
    let down = c["servers"].as_array().unwrap().iter().find(|s| s["name"] == "down").unwrap();
    assert_eq!(down["status"], "ERROR");
    // Disabled, it no longer counts.
    let (status, _) =
        send(app.as_admin(Method::PATCH, "/api/v1/connector/misp/server/down").json(&json!({"enabled": false}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let c = connector(&app, true).await;
    assert_eq!(c["status"], "OK", "{c}");
    // MISP goes down: ERROR.
    fake.fault("/servers/getVersion", crate::fakes::misp::Fault::Status(503));
    sync(&app).await;
    assert_eq!(connector(&app, false).await["status"], "ERROR");
}

fn fake_version() -> Value {
    crate::fakes::misp::fixture("servers_getVersion.json")["version"].clone()
}
