//! The SSRF guard of outbound calls (`[misp] destinations`) with its default policy,
//! `private`: loopback and link-local destinations are refused whether they are written as
//! addresses, reached through a name, or through a redirect; private and public ones work.

use std::net::{IpAddr, UdpSocket};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::fakes::misp::{FakeMisp, Fault, KEY};
use crate::harness::{TestApp, send};

/// The platform's defaults, the poller off (runs are driven by the tests).
fn default_guard(c: &mut waggle::config::Config) {
    c.misp.poller = false;
}

crate::misp_tests!(
    config = super::default_guard;
    loopback_misp_is_refused,
    names_are_checked_after_resolution,
    redirects_to_forbidden_addresses_are_refused,
);

async fn test_unsaved(app: &TestApp, body: Value) -> Value {
    let (status, report) = send(app.as_admin(Method::POST, "/api/v1/connector/misp/server/_test").json(&body)).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    report
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("{report}"))
}

/// This host's address on its default route (no packet is sent): not loopback.
fn local_address() -> IpAddr {
    let socket = UdpSocket::bind("0.0.0.0:0").expect("udp socket");
    socket.connect("192.0.2.1:9").expect("a default route");
    let ip = socket.local_addr().expect("local address").ip();
    assert!(!ip.is_loopback(), "{ip}");
    ip
}

async fn loopback_misp_is_refused(app: TestApp) {
    let fake = setup(&app).await;
    // Saving is allowed (the policy may change); calling is not.
    add_server(&app, &fake, json!({})).await;
    let (status, report) = send(app.as_admin(Method::POST, "/api/v1/connector/misp/server/circl/_test")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], false, "{report}");
    let version = check(&report, "version");
    let message = version["message"].as_str().unwrap();
    assert!(message.contains("loopback") && message.contains("destinations"), "{message}");
    // A sync fails with the same reason and imports nothing; MISP never heard of us.
    sync(&app).await;
    let s = server_status(&app).await;
    assert_eq!(s["status"], "ERROR", "{s}");
    assert!(s["lastError"].as_str().unwrap().contains("loopback"), "{s}");
    assert!(alert_of(&app, ana, "1042").await.is_none());
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    // The connector status of /api/status shows it.
    let (_, status) = send(app.client.get(app.url("/api/status"))).await;
    assert_eq!(status["connectors"]["misp"]["status"], "ERROR", "{status}");
}

async fn names_are_checked_after_resolution(app: TestApp) {
    let fake = FakeMisp::start().await;
    // `localhost` resolves to loopback addresses only.
    let url = fake.url.replace("127.0.0.1", "localhost");
    let report = test_unsaved(&app, json!({"name": "n", "url": url, "apiKey": KEY})).await;
    assert_eq!(report["ok"], false, "{report}");
    let message = check(&report, "version")["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("localhost resolves only to refused addresses") && message.contains("loopback"),
        "{message}"
    );
    // Cloud metadata services (link-local) are refused as well, without a connection attempt.
    let report = test_unsaved(&app, json!({"name": "n", "url": "http://169.254.169.254", "apiKey": KEY})).await;
    let message = check(&report, "version")["message"].as_str().unwrap().to_owned();
    assert!(message.contains("169.254.169.254 is a link-local"), "{message}");
    assert!(fake.requests().is_empty());
}

async fn redirects_to_forbidden_addresses_are_refused(app: TestApp) {
    // A MISP on this host's network address: allowed by the default policy.
    let misp = FakeMisp::start_on(local_address()).await;
    misp.load_fixtures();
    let report = test_unsaved(&app, json!({"name": "n", "url": misp.url, "apiKey": KEY})).await;
    assert_eq!(report["ok"], true, "{report}");
    // It redirects to a service on loopback: not followed.
    let inner = FakeMisp::start().await;
    misp.fault("/servers/getVersion", Fault::Redirect(format!("{}/servers/getVersion", inner.url)));
    let report = test_unsaved(&app, json!({"name": "n", "url": misp.url, "apiKey": KEY})).await;
    let message = check(&report, "version")["message"].as_str().unwrap().to_owned();
    assert!(message.contains("redirect to") && message.contains("loopback"), "{message}");
    assert!(inner.requests().is_empty(), "the redirect was not followed");
    // The rest of the conversation with the allowed MISP still works.
    assert_eq!(check(&report, "apiKey")["ok"], true, "{report}");
}
