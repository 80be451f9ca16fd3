//! Faults: MISP down, slow, answering 403 or malformed JSON, a sample that does not
//! download, an event over the attribute limit. Each is recorded in the server's status
//! with a clear message and retried with backoff; nothing crashes, nothing half-imported
//! stays, and the other events still flow.

use std::time::Duration;

use serde_json::json;
use waggle::service::misp::sync;

use super::*;
use crate::fakes::misp::Fault;
use crate::harness::TestApp;

crate::misp_tests!(
    misp_down_then_back,
    misp_slow,
    misp_refuses_the_key,
    malformed_answers,
    sample_download_failure_imports_nothing_of_that_event,
    event_over_the_attribute_limit,
);

async fn misp_down_then_back(app: TestApp) {
    let mut fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    fake.go_down().await;
    let worker = app.second_server().await;
    let now = waggle::clock::now_ms();
    let ran = sync::run_due(&worker, "w", now).await.unwrap();
    assert!(!ran[0].ok);
    let s = server_status(&app).await;
    assert_eq!(s["status"], "ERROR", "{s}");
    assert!(s["lastError"].as_str().unwrap().contains("cannot connect"), "{s}");
    assert_eq!(s["consecutiveFailures"], 1);
    assert!(s.get("lastSync").is_none());
    // Retried after a backoff (1 minute after the first failure), not before.
    assert_eq!(s["nextSync"].as_i64().unwrap(), now + 60_000);
    assert!(sync::run_due(&worker, "w", now + 30_000).await.unwrap().is_empty());
    // Still down at the retry: the backoff doubles.
    let ran = sync::run_due(&worker, "w", now + 60_000).await.unwrap();
    assert_eq!(ran.len(), 1);
    let s = server_status(&app).await;
    assert_eq!(s["consecutiveFailures"], 2);
    assert_eq!(s["nextSync"].as_i64().unwrap(), now + 60_000 + 120_000);
    // Back: the next retry imports everything and the status recovers.
    fake.come_back().await;
    let ran = sync::run_due(&worker, "w", now + 180_000).await.unwrap();
    assert!(ran[0].ok, "{:?}", ran[0]);
    let s = server_status(&app).await;
    assert_eq!(s["status"], "OK");
    assert_eq!(s["consecutiveFailures"], 0);
    assert!(s["lastError"].as_str().unwrap().contains("cannot connect"), "the last error stays visible, dated");
    assert!(alert_of(&app, ana, "1042").await.is_some());
    worker.store.close().await;
}

async fn misp_slow(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({"timeout": "1s"})).await;
    fake.fault("/events/index", Fault::Delay(Duration::from_secs(3)));
    sync(&app).await;
    let s = server_status(&app).await;
    assert_eq!(s["status"], "ERROR");
    assert!(s["lastError"].as_str().unwrap().contains("within 1 s"), "{s}");
    assert!(alert_of(&app, ana, "1042").await.is_none());
    fake.clear_faults();
    sync(&app).await;
    assert_eq!(server_status(&app).await["status"], "OK");
    assert!(alert_of(&app, ana, "1042").await.is_some());
}

async fn misp_refuses_the_key(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    fake.fault("/events/index", Fault::Status(403));
    sync(&app).await;
    let s = server_status(&app).await;
    assert_eq!(s["status"], "ERROR");
    let e = s["lastError"].as_str().unwrap();
    assert!(e.contains("403") && e.contains("API key"), "{e}");
    assert!(alert_of(&app, ana, "1042").await.is_none());
    // A wrong key altogether: the same clear message, from the first call.
    fake.clear_faults();
    let (status, _) = crate::harness::send(
        app.as_admin(reqwest::Method::PATCH, "/api/v1/connector/misp/server/circl").json(&json!({"apiKey": "nope"})),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    sync(&app).await;
    let s = server_status(&app).await;
    assert!(s["lastError"].as_str().unwrap().contains("403"), "{s}");
    assert!(!s.to_string().contains("nope"), "the key is never shown");
}

async fn malformed_answers(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    // The event list itself is not JSON: the run fails, nothing is imported.
    fake.fault("/events/index", Fault::Malformed);
    sync(&app).await;
    let s = server_status(&app).await;
    assert_eq!(s["status"], "ERROR");
    assert!(s["lastError"].as_str().unwrap().contains("invalid JSON"), "{s}");
    fake.clear_faults();

    // One event is not JSON: that event waits for a retry, the others flow.
    fake.fault("/events/view/1042", Fault::Malformed);
    let worker = app.second_server().await;
    let now = waggle::clock::now_ms() + 3_600_000;
    let ran = sync::run_due(&worker, "w", now).await.unwrap();
    assert!(ran[0].ok, "{:?}", ran[0]);
    assert!(alert_of(&app, ana, "1042").await.is_none());
    assert!(alert_of(&app, ana, "1043").await.is_some(), "the next event still flows");
    let s = server_status(&app).await;
    assert_eq!(s["status"], "WARNING", "{s}");
    let pending = &s["pendingEvents"][0];
    assert_eq!(pending["event"], "1042");
    assert_eq!(pending["attempts"], 1);
    assert!(pending["error"].as_str().unwrap().contains("invalid JSON"), "{pending}");
    assert_eq!(pending["nextAttempt"].as_i64().unwrap(), now + 60_000);
    assert!(s["lastError"].as_str().unwrap().contains("event #1042"), "{s}");

    // Retried with backoff even though the cursor moved past it; still broken: attempt 2.
    let ran = sync::run_due(&worker, "w", now + 3_600_000).await.unwrap();
    assert_eq!(ran[0].failed.len(), 1);
    let s = server_status(&app).await;
    assert_eq!(s["pendingEvents"][0]["attempts"], 2);
    // Fixed in MISP: the retry imports it and the warning clears.
    fake.clear_faults();
    let ran = sync::run_due(&worker, "w", now + 2 * 3_600_000 + 1000).await.unwrap();
    assert!(ran[0].failed.is_empty(), "{:?}", ran[0]);
    assert!(alert_of(&app, ana, "1042").await.is_some());
    let s = server_status(&app).await;
    assert_eq!(s["status"], "OK", "{s}");
    assert_eq!(s["pendingEvents"], json!([]));
    worker.store.close().await;
}

async fn sample_download_failure_imports_nothing_of_that_event(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    fake.fault("/attributes/download/91001", Fault::Status(500));
    sync(&app).await;
    // Never a half-imported alert: no alert for 1043 at all, in any organisation.
    assert!(alert_of(&app, ana, "1043").await.is_none());
    assert!(alert_of(&app, bob, "1043").await.is_none());
    assert!(alert_of(&app, ana, "1042").await.is_some(), "other events flow");
    let s = server_status(&app).await;
    assert_eq!(s["status"], "WARNING");
    let pending = &s["pendingEvents"][0];
    assert_eq!(pending["event"], "1043");
    assert!(pending["error"].as_str().unwrap().contains("attribute #91001"), "{pending}");
    // The next sync retries it (manual syncs do not wait for the backoff).
    fake.clear_faults();
    sync(&app).await;
    let alert = alert_of(&app, ana, "1043").await.expect("imported on retry");
    let obs = observables_of_alert(&app, alert["_id"].as_str().unwrap()).await;
    find(&obs, "file", "invoice.exe");
    assert_eq!(obs.len(), 3);
    assert_eq!(server_status(&app).await["status"], "OK");
}

async fn event_over_the_attribute_limit(app: TestApp) {
    let fake = setup(&app).await;
    // An event that grew past the limit (the fixture plus 30 attributes).
    fake.put_event(variant("event_phishing.json", 2401, |e| {
        for i in 0..30 {
            let mut a = e["Attribute"][1].clone();
            a["id"] = json!(format!("97{i:03}"));
            a["value"] = json!(format!("host{i}.example"));
            e["Attribute"].as_array_mut().unwrap().push(a);
        }
    }));
    add_server(&app, &fake, json!({"maxAttributes": 20})).await;
    sync(&app).await;
    assert!(alert_of(&app, ana, "2401").await.is_none());
    assert!(alert_of(&app, ana, "1043").await.is_some());
    let s = server_status(&app).await;
    assert_eq!(s["status"], "OK");
    let skipped = s["lastRun"]["skipped"].to_string();
    assert!(skipped.contains("2401") && skipped.contains("more than maxAttributes (20)"), "{skipped}");
}
