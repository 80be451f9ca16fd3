//! The MISP connector against a fake MISP server (`fakes::misp`) with the real client code
//! running: server administration, import (mapping, objects, samples, updates, every
//! filter), one poller per server, faults, export and re-export. On both backends.
//!
//! The background poller is off in these tests (`misp_tests!`): runs are driven through
//! "sync now" or the poller's unit of work `run_due` with an explicit `now`, never timers.

mod case_import;
mod export;
mod faults;
mod import;
mod interval;
mod resync;
mod servers;
mod ssrf;
mod status;
mod ui;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fakes::misp::{FakeMisp, KEY};
use crate::harness::{TestApp, password_of, send};

/// Like `backend_tests!`, with the background MISP poller switched off and the SSRF guard
/// open to the local fakes (`local_fakes`); `misp_tests!(config = f; …)` uses `f` instead.
#[macro_export]
macro_rules! misp_tests {
    (config = $config:path; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::harness::TestApp::start_with(waggle::storage::Backend::Sqlite, $config).await else { return };
                    super::$name(app).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::harness::TestApp::start_with(waggle::storage::Backend::Postgres, $config).await else { return };
                    super::$name(app).await
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::misp_tests!(config = $crate::misp::local_fakes; $($name),*);
    };
}

/// The configuration of these tests: no background poller, and the SSRF guard open to the
/// fakes on 127.0.0.1 (`ssrf` tests the guard itself).
pub fn local_fakes(c: &mut waggle::config::Config) {
    c.misp.poller = false;
    c.misp.destinations = waggle::outbound::Destinations::Any;
}

pub const ANA: &str = "ana@soc.test";
pub const BOB: &str = "bob@cert.test";
/// The MISP organisation of the fake's API key: the `source` of imported alerts.
pub const SOURCE: &str = "ORGNAME";

pub fn ana(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.as_user(method, path, ANA, &password_of(ANA))
}

pub fn bob(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.as_user(method, path, BOB, &password_of(BOB))
}

/// Organisations `soc` (analyst ana) and `cert` (analyst bob), and a fake MISP holding the
/// fixture events.
pub async fn setup(app: &TestApp) -> FakeMisp {
    app.create_org("soc").await;
    app.create_user(ANA, "soc", "analyst").await;
    app.create_org("cert").await;
    app.create_user(BOB, "cert", "analyst").await;
    let fake = FakeMisp::start().await;
    fake.load_fixtures();
    fake
}

/// Creates the server connection `circl` to the fake, with `extra` settings.
pub async fn add_server(app: &TestApp, fake: &FakeMisp, extra: Value) -> Value {
    let mut body = json!({"name": "circl", "url": fake.url, "apiKey": KEY, "tags": ["misp-import"]});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    let (status, server) = send(app.as_admin(Method::POST, "/api/v1/connector/misp/server").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{server}");
    server
}

/// "Sync now", as an administrator; answers 204 once the run is over.
pub async fn sync(app: &TestApp) {
    let (status, body) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/_syncAlerts")).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

/// The status of server `circl`.
pub async fn server_status(app: &TestApp) -> Value {
    let (status, body) = send(ana(app, Method::GET, "/api/v1/connector/misp/status")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["status"]["circl"].clone()
}

/// The alert of MISP event `event` as `who` sees it, if any.
pub async fn alert_of(
    app: &TestApp,
    who: fn(&TestApp, Method, &str) -> reqwest::RequestBuilder,
    event: &str,
) -> Option<Value> {
    let (status, body) = send(who(app, Method::GET, &format!("/api/v1/alert/misp;{SOURCE};{event}"))).await;
    match status {
        StatusCode::OK => Some(body),
        StatusCode::NOT_FOUND => None,
        other => panic!("unexpected {other}: {body}"),
    }
}

/// Runs a query as `who`.
pub async fn query(app: &TestApp, who: fn(&TestApp, Method, &str) -> reqwest::RequestBuilder, steps: Value) -> Value {
    let (status, body) = send(who(app, Method::POST, "/api/v1/query").json(&json!({"query": steps}))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The observables of an alert, sorted by (dataType, data or file name).
pub async fn observables_of_alert(app: &TestApp, alert_id: &str) -> Vec<Value> {
    let list = query(app, ana, json!([{"_name": "getAlert", "idOrName": alert_id}, {"_name": "observables"}])).await;
    sorted(list)
}

pub async fn observables_of_case(app: &TestApp, case_id: &str) -> Vec<Value> {
    let list = query(app, ana, json!([{"_name": "getCase", "idOrName": case_id}, {"_name": "observables"}])).await;
    sorted(list)
}

fn sorted(list: Value) -> Vec<Value> {
    let mut v = list.as_array().cloned().unwrap_or_default();
    let key = |o: &Value| {
        (
            o["dataType"].as_str().unwrap_or_default().to_owned(),
            o["data"].as_str().or(o["attachment"]["name"].as_str()).unwrap_or_default().to_owned(),
        )
    };
    v.sort_by_key(key);
    v
}

/// `(dataType, data)` pairs of observables (files: their name).
pub fn pairs(list: &[Value]) -> Vec<(String, String)> {
    list.iter()
        .map(|o| {
            (
                o["dataType"].as_str().unwrap_or_default().to_owned(),
                o["data"].as_str().or(o["attachment"]["name"].as_str()).unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

pub fn find<'a>(list: &'a [Value], data_type: &str, data: &str) -> &'a Value {
    list.iter()
        .find(|o| o["dataType"] == data_type && (o["data"] == data || o["attachment"]["name"] == data))
        .unwrap_or_else(|| panic!("no {data_type} {data} in {}", Value::Array(list.to_vec())))
}

/// An event from a fixture, with another id and whatever `f` changes.
pub fn variant(fixture: &str, id: i64, f: impl FnOnce(&mut Value)) -> Value {
    let mut e = crate::fakes::misp::fixture(fixture);
    e["Event"]["id"] = json!(id.to_string());
    e["Event"]["uuid"] = json!(format!("20000000-0000-4000-8000-{id:012}"));
    if let Some(attrs) = e["Event"]["Attribute"].as_array_mut() {
        for a in attrs {
            a["event_id"] = json!(id.to_string());
        }
    }
    f(&mut e["Event"]);
    e
}

/// Epoch seconds now (for event timestamps relative to now).
pub fn now_secs() -> i64 {
    waggle::clock::now_ms() / 1000
}
