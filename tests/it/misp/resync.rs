//! Re-sync of a changed event: attributes deleted in MISP leave the alert (TheHive 4,
//! spec §2.6) while analysts' own observables and the case stay as they are; extension
//! events (`extends_uuid`) fold into the alert of the event they extend (TheHive 3, §1.6).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::*;
use crate::harness::{TestApp, send};

crate::misp_tests!(deleted_attributes_leave_the_alert, extension_events_fold_into_the_root_alert);

fn has(list: &[serde_json::Value], data_type: &str, data: &str) -> bool {
    pairs(list).contains(&(data_type.to_owned(), data.to_owned()))
}

async fn deleted_attributes_leave_the_alert(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    sync(&app).await;
    let alert = alert_of(&app, ana, "1042").await.unwrap();
    let id = alert["_id"].as_str().unwrap().to_owned();
    let (status, _) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/read"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // An analyst adds an observable of their own, then the alert becomes a case.
    let body = json!({"dataType": "ip", "data": "192.0.2.200", "message": "seen in our proxy logs"});
    let (status, added) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/observable")).json(&body)).await;
    assert!(status.is_success(), "{added}");
    let (status, case) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/case")).json(&json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let case_id = case["_id"].as_str().unwrap().to_owned();
    let before = observables_of_alert(&app, &id).await;
    assert!(has(&before, "ip", "198.51.100.23") && has(&before, "domain", "cdn.evil-invoices.example"));

    // In MISP the C2 address is deleted, and so is the domain-ip object.
    fake.edit(1042, |e| {
        e["timestamp"] = json!("1710160000");
        let c2 = e["Attribute"].as_array_mut().unwrap().iter_mut().find(|a| a["id"] == "90001").unwrap();
        c2["deleted"] = json!(true);
        c2["timestamp"] = json!("1710160000");
        let object = e["Object"].as_array_mut().unwrap().iter_mut().find(|o| o["id"] == "3002").unwrap();
        object["deleted"] = json!(true);
    });
    sync(&app).await;
    let after = observables_of_alert(&app, &id).await;
    for (t, d) in [("ip", "198.51.100.23"), ("domain", "cdn.evil-invoices.example"), ("ip", "198.51.100.24")] {
        assert!(!has(&after, t, d), "{t} {d} left the alert");
    }
    assert_eq!(after.len(), before.len() - 3, "only the deleted attributes left");
    assert!(has(&after, "ip", "192.0.2.200"), "the analyst's observable stays");
    assert!(has(&after, "domain", "evil-invoices.example"));
    let alert = alert_of(&app, ana, "1042").await.unwrap();
    assert_eq!(alert["read"], false, "the change asks for attention");
    // The case keeps what it was given.
    assert!(has(&observables_of_case(&app, &case_id).await, "ip", "198.51.100.23"));
    // The audit trail says what left and why.
    let (_, audit) = send(ana(&app, Method::GET, "/api/v1/audit")).await;
    let update = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["objectType"] == "Alert" && e["operation"] == "update" && e["details"]["removedObservables"].is_array()
        })
        .unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(update["details"]["removedObservables"].as_array().unwrap().len(), 3, "{update}");
    assert_eq!(update["_createdBy"], "system@thehive.local");

    // Nothing more goes on a sync without change.
    sync(&app).await;
    assert_eq!(observables_of_alert(&app, &id).await.len(), after.len());
}

async fn extension_events_fold_into_the_root_alert(app: TestApp) {
    let fake = setup(&app).await;
    let root_uuid = fake.event(1042)["Event"]["uuid"].as_str().unwrap().to_owned();
    fake.put_event(variant("event_phishing.json", 1100, |e| {
        e["info"] = json!("Phishing campaign: new infrastructure");
        e["extends_uuid"] = json!(root_uuid);
        e["timestamp"] = json!("1710170000");
        let mut a = e["Attribute"][0].clone();
        a["id"] = json!("95001");
        a["event_id"] = json!("1100");
        a["value"] = json!("198.51.100.99");
        a["timestamp"] = json!("1710170000");
        e["Attribute"] = json!([a]);
        e["Object"] = json!([]);
    }));
    add_server(&app, &fake, json!({})).await;
    sync(&app).await;
    assert!(alert_of(&app, ana, "1100").await.is_none(), "no alert of its own");
    let alert = alert_of(&app, ana, "1042").await.unwrap();
    let id = alert["_id"].as_str().unwrap().to_owned();
    assert_eq!(alert["title"], "#1042 OSINT - Phishing campaign against finance teams", "the root's fields");
    assert_eq!(alert["lastSyncDate"], 1_710_170_000_000_i64, "the extension's change");
    let obs = observables_of_alert(&app, &id).await;
    assert!(has(&obs, "ip", "198.51.100.99") && has(&obs, "ip", "198.51.100.23"), "both events' attributes");
    let count = obs.len();

    // The root changes: the extension's observable is not taken for a deleted attribute.
    fake.edit(1042, |e| {
        e["info"] = json!("OSINT - Phishing campaign (revised)");
        e["timestamp"] = json!("1710180000");
    });
    sync(&app).await;
    let alert = alert_of(&app, ana, "1042").await.unwrap();
    assert_eq!(alert["title"], "#1042 OSINT - Phishing campaign (revised)");
    assert_eq!(observables_of_alert(&app, &id).await.len(), count);

    // The extension's attribute is deleted: it leaves the root's alert.
    fake.edit(1100, |e| {
        e["timestamp"] = json!("1710190000");
        e["Attribute"][0]["deleted"] = json!(true);
    });
    sync(&app).await;
    let obs = observables_of_alert(&app, &id).await;
    assert!(!has(&obs, "ip", "198.51.100.99"));
    assert_eq!(obs.len(), count - 1);
    assert!(alert_of(&app, ana, "1100").await.is_none());
}
