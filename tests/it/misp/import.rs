//! Import: event → alert mapping, objects, samples, updates (also of alerts already in a
//! case), every filter, the receiving organisations, one poller per MISP server, the
//! schedule and the background loop.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use waggle::service::misp::sync;

use super::*;
use crate::fakes::misp::{FakeMisp, fixture_bytes};
use crate::harness::{TestApp, send};

crate::misp_tests!(
    event_becomes_alert_with_full_mapping,
    samples_and_attachments_become_files,
    changed_event_updates_its_alert_without_duplicates,
    update_of_an_imported_alert_reaches_its_case,
    filter_max_age,
    filter_misp_organisations,
    filter_tags,
    filter_max_attributes,
    filter_unpublished,
    filter_receiving_organisations,
    one_poller_per_misp_server,
    poller_follows_the_schedule,
);

async fn event_becomes_alert_with_full_mapping(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    sync(&app).await;

    let alert = alert_of(&app, ana, "1042").await.expect("alert of event 1042 in soc");
    assert_eq!(alert["type"], "misp");
    assert_eq!(alert["source"], SOURCE);
    assert_eq!(alert["sourceRef"], "1042");
    assert_eq!(alert["title"], "#1042 OSINT - Phishing campaign against finance teams");
    assert_eq!(alert["description"], "Imported from MISP Event #1042, created at 2024-03-11");
    assert_eq!(alert["severity"], 3, "threat level 1 (High)");
    assert_eq!(alert["tlp"], 2, "tlp:amber");
    assert_eq!(alert["pap"], 1, "PAP:GREEN");
    assert_eq!(alert["date"], 1_710_115_200_000_i64, "the event's day");
    assert_eq!(alert["lastSyncDate"], 1_710_150_000_000_i64, "the event's last change");
    assert_eq!(alert["externalLink"], format!("{}/events/view/1042", fake.url));
    assert_eq!(alert["follow"], true);
    let tags: Vec<&str> = alert["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    for t in ["src:CIRCL", "tlp:amber", "PAP:GREEN", "type:OSINT", "misp-import"] {
        assert!(tags.contains(&t), "{t} in {tags:?}");
    }
    assert_eq!(alert["_createdBy"], "system@thehive.local");

    let obs = observables_of_alert(&app, alert["_id"].as_str().unwrap()).await;
    let expected = [
        ("domain", "cdn.evil-invoices.example"),
        ("domain", "evil-invoices.example"),
        ("filename", "dropper.dll"),
        ("filename", "invoice.pdf.exe"),
        ("hash", "0cc175b9c0f1b6a831c399e269772661"),
        ("hash", "4a1d1b7f0b3e2c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"),
        ("hostname", "mail.evil-invoices.example"),
        ("ip", "192.0.2.10"),
        ("ip", "198.51.100.23"),
        ("ip", "198.51.100.24"),
        ("mail", "billing@evil-invoices.example"),
        ("other", "45056"),
        ("other", "Campaign observed in March"),
        ("url", "https://evil-invoices.example/pay.php"),
    ];
    let got = pairs(&obs);
    assert_eq!(got, expected.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>());
    // to_ids → ioc, attribute tags and the mapping's tags, comment → message.
    let c2 = find(&obs, "ip", "198.51.100.23");
    assert_eq!(c2["ioc"], true);
    assert_eq!(c2["message"], "C2 server");
    let c2_tags = c2["tags"].as_array().unwrap();
    for t in ["kill-chain:Command and Control", "misp.category=\"Network activity\"", "misp.type=\"ip-dst\""] {
        assert!(c2_tags.contains(&json!(t)), "{t} in {c2}");
    }
    assert_eq!(find(&obs, "other", "Campaign observed in March")["ioc"], false);
    // The attribute's own tlp: tag wins over the event's.
    assert_eq!(find(&obs, "ip", "192.0.2.10")["tlp"], 4);
    assert_eq!(c2["tlp"], 2);
    // A value given twice (two categories) is one observable, IOC if either says so.
    assert_eq!(find(&obs, "domain", "evil-invoices.example")["ioc"], true);
    // Composite filename|md5: two observables with their own types.
    assert!(
        find(&obs, "hash", "0cc175b9c0f1b6a831c399e269772661")["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("misp.type=\"md5\""))
    );
    // Object attributes are observables too, saying which object they came from.
    assert_eq!(find(&obs, "filename", "dropper.dll")["message"], "MISP object file, filename");
    // The deleted attribute was not imported.
    assert!(!got.iter().any(|(_, d)| d == "203.0.113.99"));

    // Both organisations received the alert (no include/exclude list configured).
    assert!(alert_of(&app, bob, "1042").await.is_some());

    // What Waggle asked MISP: the changed-events list with TheHive 4's keys, then each event.
    let index = &fake.requests_to("/events/index")[0];
    assert_eq!(index.method, "POST");
    assert_eq!(index.header("content-type").as_deref(), Some("application/json"));
    assert_eq!(index.body["searchpublished"], 1);
    assert!(index.body.get("searchtimestamp").is_none(), "first sync without maxAge: everything");
    assert_eq!(fake.requests_to("/events/view/1042").len(), 1);
    assert!(fake.requests().iter().all(|r| r.header("authorization").as_deref() == Some(crate::fakes::misp::KEY)));
}

async fn samples_and_attachments_become_files(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    sync(&app).await;
    let alert = alert_of(&app, ana, "1043").await.expect("alert of event 1043");
    assert_eq!(alert["tlp"], 1, "tlp:green");
    assert_eq!(alert["severity"], 2);
    let obs = observables_of_alert(&app, alert["_id"].as_str().unwrap()).await;
    // The malware sample was unpacked from MISP's zip: its real name and content.
    let sample = find(&obs, "file", "invoice.exe");
    assert_eq!(sample["ioc"], true);
    assert_eq!(sample["message"], "dropped by the macro");
    let original = fixture_bytes("invoice.exe.bin");
    let sha = "8898ab494f9ae94a6a47bf90bbc9cbf2a71cf0fa7826da563ba541aa381768ad";
    assert_eq!(sample["attachment"]["id"], sha);
    assert_eq!(sample["attachment"]["size"], original.len());
    let resp = ana(
        &app,
        Method::GET,
        &format!("/api/v1/observable/{}/attachment/{sha}/download", sample["_id"].as_str().unwrap()),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().to_vec(), original);
    // A plain attachment keeps its name and type.
    let report = find(&obs, "file", "sandbox-report.txt");
    assert_eq!(report["attachment"]["contentType"], "text/plain");
    assert_eq!(report["ioc"], false);
    assert!(obs.iter().any(|o| o["dataType"] == "hash" && o["data"] == sha));
    assert_eq!(obs.len(), 3);
    assert_eq!(fake.requests_to("/attributes/download/").len(), 2);
}

async fn changed_event_updates_its_alert_without_duplicates(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    sync(&app).await;
    let before = alert_of(&app, ana, "1042").await.unwrap();
    let id = before["_id"].as_str().unwrap().to_owned();
    let count = observables_of_alert(&app, &id).await.len();
    // Analysts read the alert.
    let (status, _) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/read"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Nothing changed in MISP: nothing fetched again, nothing written.
    fake.clear_requests();
    sync(&app).await;
    assert!(fake.requests_to("/events/view/").is_empty(), "unchanged events are not fetched again");
    assert_eq!(alert_of(&app, ana, "1042").await.unwrap()["read"], true);

    // The event changes: a new attribute, a new title, a new tag, a later timestamp.
    fake.edit(1042, |e| {
        e["info"] = json!("OSINT - Phishing campaign against finance teams (update)");
        e["timestamp"] = json!("1710160000");
        e["Tag"].as_array_mut().unwrap().push(json!({"id": "9", "name": "campaign:invoices", "colour": "#000000"}));
        let mut a = e["Attribute"][0].clone();
        a["id"] = json!("90020");
        a["value"] = json!("198.51.100.77");
        a["comment"] = json!("second C2");
        a["timestamp"] = json!("1710160000");
        e["Attribute"].as_array_mut().unwrap().push(a);
    });
    sync(&app).await;
    let after = alert_of(&app, ana, "1042").await.unwrap();
    assert_eq!(after["_id"], id.as_str(), "the same alert");
    assert_eq!(after["title"], "#1042 OSINT - Phishing campaign against finance teams (update)");
    assert_eq!(after["lastSyncDate"], 1_710_160_000_000_i64);
    assert_eq!(after["read"], false, "new content asks for attention again");
    assert!(after["tags"].as_array().unwrap().contains(&json!("campaign:invoices")));
    assert!(after["tags"].as_array().unwrap().contains(&json!("src:CIRCL")), "src: tag kept");
    let obs = observables_of_alert(&app, &id).await;
    assert_eq!(obs.len(), count + 1, "one new observable, no duplicates");
    assert_eq!(find(&obs, "ip", "198.51.100.77")["message"], "second C2");
    // The update is in the organisation's audit trail, attributed to the connector.
    let (_, audit) = send(ana(&app, Method::GET, "/api/v1/audit")).await;
    let update = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["objectType"] == "Alert" && e["operation"] == "update")
        .unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(update["details"]["newObservables"], 1);
    assert_eq!(update["_createdBy"], "system@thehive.local");

    // Syncing again changes nothing.
    sync(&app).await;
    assert_eq!(observables_of_alert(&app, &id).await.len(), count + 1);
    let s = server_status(&app).await;
    assert_eq!(s["status"], "OK", "{s}");
}

async fn update_of_an_imported_alert_reaches_its_case(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    sync(&app).await;
    let alert = alert_of(&app, ana, "1042").await.unwrap();
    let id = alert["_id"].as_str().unwrap().to_owned();
    let (status, case) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/case")).json(&json!({}))).await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let case_id = case["_id"].as_str().unwrap().to_owned();
    let in_case = observables_of_case(&app, &case_id).await.len();

    fake.edit(1042, |e| {
        e["timestamp"] = json!("1710170000");
        let mut a = e["Attribute"][1].clone();
        a["id"] = json!("90021");
        a["value"] = json!("new-c2.example");
        e["Attribute"].as_array_mut().unwrap().push(a);
    });
    sync(&app).await;
    // The new observable is in the alert and in its case.
    let case_obs = observables_of_case(&app, &case_id).await;
    assert_eq!(case_obs.len(), in_case + 1);
    assert_eq!(find(&case_obs, "domain", "new-c2.example")["ioc"], true);
    // The case's timeline says where it came from.
    let (status, timeline) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/timeline"))).await;
    assert_eq!(status, StatusCode::OK, "{timeline}");
    let entry = timeline["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["entity"] == "Case" && e["details"].get("mispUpdate").is_some())
        .unwrap_or_else(|| panic!("no mispUpdate entry in the timeline: {timeline}"));
    assert_eq!(entry["details"]["mispUpdate"]["event"], "1042");
    assert_eq!(entry["details"]["mispUpdate"]["newObservables"][0]["data"], "new-c2.example");
    assert_eq!(server_status(&app).await["lastRun"]["addedToCases"], 1);

    // An unfollowed alert keeps its case as it is.
    let (status, _) = send(ana(&app, Method::POST, &format!("/api/v1/alert/{id}/unfollow"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    fake.edit(1042, |e| {
        e["timestamp"] = json!("1710180000");
        let mut a = e["Attribute"][1].clone();
        a["id"] = json!("90022");
        a["value"] = json!("third-c2.example");
        e["Attribute"].as_array_mut().unwrap().push(a);
    });
    sync(&app).await;
    assert_eq!(observables_of_case(&app, &case_id).await.len(), in_case + 1);
    let obs = observables_of_alert(&app, &id).await;
    find(&obs, "domain", "third-c2.example");
}

/// Three CIRCL events changed now, one changed 10 days ago.
fn fresh_and_old(fake: &FakeMisp) {
    let now = now_secs();
    for (id, age) in [(2001, 0), (2002, 10 * 86_400)] {
        fake.put_event(variant("event_phishing.json", id, |e| {
            e["timestamp"] = json!((now - age).to_string());
            e["info"] = json!(format!("event {id}"));
        }));
    }
}

async fn filter_max_age(app: TestApp) {
    let fake = setup(&app).await;
    fresh_and_old(&fake);
    add_server(&app, &fake, json!({"maxAge": "7d"})).await;
    sync(&app).await;
    assert!(alert_of(&app, ana, "2001").await.is_some());
    assert!(alert_of(&app, ana, "2002").await.is_none(), "changed 10 days ago");
    assert!(alert_of(&app, ana, "1042").await.is_none(), "fixture from 2024");
    // Sent to MISP as the lower bound of the changed-events list…
    let since = fake.requests_to("/events/index")[0].body["searchtimestamp"].as_i64().unwrap();
    assert!((since - (now_secs() - 7 * 86_400)).abs() < 120, "{since}");
    // …and enforced by Waggle on what comes back (the fake's answer was filtered by time,
    // so nothing older even arrived).
    assert_eq!(server_status(&app).await["status"], "OK");
}

async fn filter_misp_organisations(app: TestApp) {
    let fake = setup(&app).await;
    fake.put_event(variant("event_phishing.json", 2101, |e| e["Orgc"]["name"] = json!("Spammers Inc")));
    fake.put_event(variant("event_phishing.json", 2102, |e| e["Orgc"]["name"] = json!("FIRST")));
    add_server(
        &app,
        &fake,
        json!({"includedMispOrganisations": ["circl", "Spammers Inc"],
                                   "excludedMispOrganisations": ["spammers inc"]}),
    )
    .await;
    sync(&app).await;
    assert!(alert_of(&app, ana, "1042").await.is_some(), "CIRCL is included (names compare case-insensitively)");
    assert!(alert_of(&app, ana, "2101").await.is_none(), "excluded wins over included");
    assert!(alert_of(&app, ana, "2102").await.is_none(), "FIRST is not included");
    let body = &fake.requests_to("/events/index")[0].body;
    assert_eq!(body["searchorg"], json!(["circl", "Spammers Inc", "!spammers inc"]));
    let skipped = server_status(&app).await["lastRun"]["skipped"].to_string();
    assert!(skipped.contains("2101") && skipped.contains("excludedMispOrganisations"), "{skipped}");
    assert!(skipped.contains("2102") && skipped.contains("includedMispOrganisations"), "{skipped}");
}

async fn filter_tags(app: TestApp) {
    let fake = setup(&app).await;
    let tag = |name: &str| json!({"id": "50", "name": name, "colour": "#ffffff"});
    fake.put_event(variant("event_phishing.json", 2201, |e| e["Tag"].as_array_mut().unwrap().push(tag("internal"))));
    fake.put_event(variant("event_phishing.json", 2202, |e| e["Tag"] = json!([tag("tlp:white")])));
    add_server(&app, &fake, json!({"includedTags": ["TLP:AMBER", "tlp:green"], "excludedTags": ["internal"]})).await;
    sync(&app).await;
    assert!(alert_of(&app, ana, "1042").await.is_some(), "tlp:amber is allowed");
    assert!(alert_of(&app, ana, "1043").await.is_some(), "tlp:green is allowed");
    assert!(alert_of(&app, ana, "2201").await.is_none(), "carries a prohibited tag");
    assert!(alert_of(&app, ana, "2202").await.is_none(), "carries no allowed tag");
    let body = &fake.requests_to("/events/index")[0].body;
    assert_eq!(body["searchtag"], json!(["TLP:AMBER", "tlp:green", "!internal"]));
}

async fn filter_max_attributes(app: TestApp) {
    let fake = setup(&app).await;
    // 1043 has 3 attributes, 1042 has 14 live ones (12 top-level + objects, minus a deleted one).
    add_server(&app, &fake, json!({"maxAttributes": 5})).await;
    sync(&app).await;
    assert!(alert_of(&app, ana, "1043").await.is_some());
    assert!(alert_of(&app, ana, "1042").await.is_none(), "over the attribute limit");
    let s = server_status(&app).await;
    assert_eq!(s["status"], "OK", "a filtered event is not an error: {s}");
    let skipped = s["lastRun"]["skipped"].to_string();
    assert!(skipped.contains("1042") && skipped.contains("maxAttributes"), "{skipped}");
    // Decided from the listing's attribute_count: the big event was never fetched.
    assert!(fake.requests_to("/events/view/1042").is_empty());
}

async fn filter_unpublished(app: TestApp) {
    let fake = setup(&app).await;
    fake.put_event(variant("event_phishing.json", 2301, |e| {
        e["published"] = json!(false);
        e["publish_timestamp"] = json!("0");
    }));
    add_server(&app, &fake, json!({})).await;
    sync(&app).await;
    assert!(alert_of(&app, ana, "2301").await.is_none(), "unpublished events wait");
    // Opting in imports them.
    let (status, body) = send(
        app.as_admin(Method::PATCH, "/api/v1/connector/misp/server/circl").json(&json!({"importUnpublished": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    sync(&app).await;
    assert!(alert_of(&app, ana, "2301").await.is_some());
    let last = fake.requests_to("/events/index").pop().unwrap();
    assert!(last.body.get("searchpublished").is_none(), "{}", last.body);
}

async fn filter_receiving_organisations(app: TestApp) {
    let fake = setup(&app).await;
    app.create_org("third").await;
    add_server(
        &app,
        &fake,
        json!({"includedTheHiveOrganisations": ["soc", "cert"],
                                   "excludedTheHiveOrganisations": ["cert"]}),
    )
    .await;
    sync(&app).await;
    assert!(alert_of(&app, ana, "1042").await.is_some());
    assert!(alert_of(&app, bob, "1042").await.is_none(), "cert is excluded");
    assert_eq!(server_status(&app).await["lastRun"]["created"], 2, "2 events, soc only");
}

async fn one_poller_per_misp_server(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    // Two more Waggle servers on the same database.
    let a = app.second_server().await;
    let b = app.second_server().await;
    let now = waggle::clock::now_ms();
    // A holds the lease: B's poller leaves the MISP server alone.
    let server_id = waggle::ids::parse_id(
        send(app.as_admin(Method::GET, "/api/v1/connector/misp/server/circl")).await.1["_id"].as_str().unwrap(),
    )
    .unwrap();
    assert!(sync::claim_now(&a, server_id, "server-a", now).await.unwrap());
    let ran = sync::run_due(&b, "server-b", now).await.unwrap();
    assert!(ran.is_empty(), "{ran:?}");
    assert!(fake.requests().is_empty(), "B did not call MISP");
    assert_eq!(server_status(&app).await["syncInProgress"], true);
    let (_, body) = send(ana(&app, Method::GET, "/api/v1/connector/misp/status")).await;
    assert_eq!(body["syncInProgress"], true);
    // "Sync now" elsewhere does not run it twice either.
    sync(&app).await;
    assert!(fake.requests().is_empty());
    // A lease that was never released (A crashed) expires; then B takes over.
    let later = now + sync::LEASE_MS + 1000;
    let ran = sync::run_due(&b, "server-b", later).await.unwrap();
    assert_eq!(ran.len(), 1);
    assert!(ran[0].ok, "{:?}", ran[0]);
    assert!(alert_of(&app, ana, "1042").await.is_some());
    assert_eq!(server_status(&app).await["syncInProgress"], false, "released after the run");

    // Racing: both pollers find the server due at once; exactly one syncs it.
    fake.clear_requests();
    let due = later + 2 * 3_600_000;
    let (ra, rb) = tokio::join!(sync::run_due(&a, "server-a", due), sync::run_due(&b, "server-b", due));
    assert_eq!(ra.unwrap().len() + rb.unwrap().len(), 1);
    assert_eq!(fake.requests_to("/servers/getVersion").len(), 1);
    a.store.close().await;
    b.store.close().await;
}

async fn poller_follows_the_schedule(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({"syncInterval": "1h"})).await;
    let worker = app.second_server().await;
    let now = waggle::clock::now_ms();
    // A new server is due at once.
    let ran = sync::run_due(&worker, "w", now).await.unwrap();
    assert_eq!(ran.len(), 1);
    let s = server_status(&app).await;
    assert_eq!(s["nextSync"].as_i64().unwrap() - s["lastAttempt"].as_i64().unwrap(), 3_600_000, "{s}");
    // Not again before its interval…
    fake.clear_requests();
    assert!(sync::run_due(&worker, "w", now + 60_000).await.unwrap().is_empty());
    assert!(fake.requests().is_empty());
    // …then again, from where it stopped: the cursor is the newest change seen.
    let ran = sync::run_due(&worker, "w", now + 3_600_000 + 1000).await.unwrap();
    assert_eq!(ran.len(), 1);
    let index = &fake.requests_to("/events/index")[0];
    assert_eq!(index.body["searchtimestamp"], 1_710_150_000);
    // Disabled servers are not polled.
    let (status, _) =
        send(app.as_admin(Method::PATCH, "/api/v1/connector/misp/server/circl").json(&json!({"enabled": false}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    fake.clear_requests();
    assert!(sync::run_due(&worker, "w", now + 10 * 3_600_000).await.unwrap().is_empty());
    assert!(fake.requests().is_empty());
    assert_eq!(server_status(&app).await["status"], "DISABLED");
    worker.store.close().await;
}

/// The background loop itself, with a one-second platform interval: it imports on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_poller_imports_by_itself() {
    let Some(app) = TestApp::start_with(waggle::storage::Backend::Sqlite, |c| {
        c.misp.poller = true;
        c.misp.sync_interval_secs = 1;
        c.misp.destinations = waggle::outbound::Destinations::Any;
    })
    .await
    else {
        return;
    };
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    let mut found: Option<Value> = None;
    for _ in 0..300 {
        if let Some(a) = alert_of(&app, ana, "1042").await {
            found = Some(a);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found.is_some(), "the poller imported event 1042 within 30 s");
    app.stop().await;
}
