//! The MISP screens over HTTP (what a person does is in `tests/browser/test_misp.py`):
//! server connections with every setting, "test connection", "synchronise now" and the
//! status, and the export of a case from its page. Same service layer as the API, so the
//! API is used to check what the forms did.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;
use crate::fakes::misp::{Fault, KEY};
use crate::harness::{ADMIN, ADMIN_PASSWORD, TestApp, send};

crate::misp_tests!(
    admin_configures_a_server_with_every_setting,
    test_connection_and_sync_now_report_clearly,
    misp_screens_are_for_platform_administrators,
    case_is_exported_from_its_page,
    shared_interval_from_the_admin_page,
    case_page_shows_where_it_was_exported,
);

/// A signed-in session (the UI shares the API's session cookie), keeping the CSRF cookie.
struct Session {
    base: String,
    client: reqwest::Client,
}

struct Html {
    status: StatusCode,
    location: String,
    body: String,
}

impl Html {
    /// The page's CSRF token (`<meta name="csrf-token">` or a form's `_csrf`).
    fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self.body.find(marker).unwrap_or_else(|| panic!("no form in {}", self.body)) + marker.len();
        self.body[start..start + self.body[start..].find('"').unwrap()].to_owned()
    }
}

impl Session {
    async fn sign_in(app: &TestApp, login: &str, password: &str) -> Session {
        let client =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let resp = client
            .post(format!("{}/api/v1/login", app.base))
            .json(&json!({"user": login, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        Session { base: app.base.clone(), client }
    }

    async fn read(resp: reqwest::Response) -> Html {
        let status = resp.status();
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        Html { status, location, body: resp.text().await.unwrap() }
    }

    async fn get(&self, path: &str) -> Html {
        Self::read(self.client.get(format!("{}{path}", self.base)).send().await.unwrap()).await
    }

    /// Submits a form of the page at `from` to `to`.
    async fn submit(&self, from: &str, to: &str, fields: &[(&str, &str)]) -> Html {
        let csrf = self.get(from).await.csrf();
        let mut form: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
        form.extend_from_slice(fields);
        Self::read(self.client.post(format!("{}{to}", self.base)).form(&form).send().await.unwrap()).await
    }
}

/// Every field of the server form, filled in.
fn full_form(url: &str) -> Vec<(&'static str, String)> {
    [
        ("name", "circl"),
        ("url", url),
        ("apiKey", KEY),
        ("authType", "key"),
        ("username", ""),
        ("purpose", "ImportAndExport"),
        ("proxy", ""),
        ("caCertificate", ""),
        ("verifyHostname", "true"),
        ("enabled", "true"),
        ("timeout", "30s"),
        ("syncInterval", "2h"),
        ("maxAge", "3650d"),
        ("maxAttributes", "500"),
        ("includedMispOrganisations", "CIRCL\nCERT-EU"),
        ("excludedMispOrganisations", "Spammers"),
        ("includedTags", ""),
        ("excludedTags", "tlp:red\nprivate"),
        ("includedTheHiveOrganisations", "soc"),
        ("excludedTheHiveOrganisations", "cert"),
        ("tags", "misp-import\nthreat-intel"),
        ("caseTemplate", "MISP event"),
        ("exportCaseTags", "true"),
        ("exportCaseUrl", "true"),
    ]
    .iter()
    .map(|(k, v)| (*k, (*v).to_owned()))
    .collect()
}

fn refs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn api_server(app: &TestApp) -> Value {
    let (status, server) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/server/circl")).await;
    assert_eq!(status, StatusCode::OK, "{server}");
    server
}

async fn admin_configures_a_server_with_every_setting(app: TestApp) {
    let fake = setup(&app).await;
    let s = Session::sign_in(&app, ADMIN, ADMIN_PASSWORD).await;
    let list = s.get("/admin/misp").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(
        list.body.contains("No MISP server yet")
            && list.body.contains("id=\"shared-interval\" name=\"syncInterval\" type=\"text\" size=\"8\" value=\"1h\""),
        "{}",
        list.body
    );
    assert!(s.get("/admin").await.body.contains("href=\"/admin/misp\""), "the administration links to MISP");
    let new = s.get("/admin/misp/new").await;
    for field in full_form("").iter().map(|(k, _)| *k).chain(["exportObservableTags", "importUnpublished"]) {
        assert!(new.body.contains(&format!("name=\"{field}\"")), "{field} in the form");
    }

    // Create with every setting.
    let form = full_form(&fake.url);
    let created = s.submit("/admin/misp/new", "/admin/misp", &refs(&form)).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert!(created.location.starts_with("/admin/misp/~") && created.location.ends_with("done=created"));
    let server = api_server(&app).await;
    assert_eq!(server["url"], fake.url);
    assert_eq!(server["hasApiKey"], true);
    assert_eq!(server["timeout"], "30s");
    assert_eq!(server["syncInterval"], "2h");
    assert_eq!(server["maxAge"], "3650d");
    assert_eq!(server["maxAttributes"], 500);
    assert_eq!(server["includedMispOrganisations"], json!(["CIRCL", "CERT-EU"]));
    assert_eq!(server["excludedMispOrganisations"], json!(["Spammers"]));
    assert_eq!(server["includedTags"], json!([]));
    assert_eq!(server["excludedTags"], json!(["tlp:red", "private"]));
    assert_eq!(server["includedTheHiveOrganisations"], json!(["soc"]));
    assert_eq!(server["excludedTheHiveOrganisations"], json!(["cert"]));
    assert_eq!(server["tags"], json!(["misp-import", "threat-intel"]));
    assert_eq!(server["caseTemplate"], "MISP event");
    assert_eq!((server["exportCaseTags"].clone(), server["exportObservableTags"].clone()), (json!(true), json!(false)));
    assert_eq!(server["exportCaseUrl"], true);
    assert_eq!(server["importUnpublished"], false);

    // The edit page shows every setting, never the key.
    let page = created.location.split('?').next().unwrap().to_owned();
    let edit = s.get(&page).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    assert!(!edit.body.contains(KEY), "the API key is never sent back");
    assert!(edit.body.contains("CIRCL\nCERT-EU") && edit.body.contains("value=\"3650d\""), "{}", edit.body);

    // Saving changes: a blank key keeps the saved one, emptied fields clear, unchecked is false.
    let mut form = full_form(&fake.url);
    for (k, v) in form.iter_mut() {
        match *k {
            "apiKey" | "maxAge" | "excludedTags" => v.clear(),
            "purpose" => *v = "ImportOnly".into(),
            _ => {}
        }
    }
    form.retain(|(k, _)| *k != "exportCaseTags");
    let saved = s.submit(&page, &page, &refs(&form)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let server = api_server(&app).await;
    assert_eq!(server["hasApiKey"], true);
    assert!(server.get("maxAge").is_none(), "{server}");
    assert_eq!(server["excludedTags"], json!([]));
    assert_eq!(server["exportCaseTags"], false);
    assert_eq!(server["purpose"], "ImportOnly");

    // A refused value comes back with the form as typed and the reason.
    let mut bad = full_form(&fake.url);
    bad.iter_mut().find(|(k, _)| *k == "maxAge").unwrap().1 = "someday".into();
    let refused = s.submit(&page, &page, &refs(&bad)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("maxAge") && refused.body.contains("value=\"someday\""), "{}", refused.body);

    // Delete.
    let id = page.trim_start_matches("/admin/misp/");
    let deleted = s.submit("/admin/misp", &format!("/admin/misp/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    let (status, _) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/server/circl")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn test_connection_and_sync_now_report_clearly(app: TestApp) {
    let fake = setup(&app).await;
    let s = Session::sign_in(&app, ADMIN, ADMIN_PASSWORD).await;
    // Testing unsaved settings saves nothing.
    let mut form = full_form(&fake.url);
    form.push(("intent", "test".into()));
    let tested = s.submit("/admin/misp/new", "/admin/misp", &refs(&form)).await;
    assert_eq!(tested.status, StatusCode::OK, "{}", tested.body);
    assert!(tested.body.contains("Connection test: all good"), "{}", tested.body);
    assert!(tested.body.contains("data-check=\"version\" data-ok=\"true\""), "{}", tested.body);
    let (_, list) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/server")).await;
    assert_eq!(list, json!([]));

    add_server(&app, &fake, json!({})).await;
    let server = api_server(&app).await;
    let page = format!("/admin/misp/{}", server["_id"].as_str().unwrap());
    // A refused key is reported as such; the saved key is used when none is typed.
    fake.fault("/users/view/me", Fault::Status(403));
    let mut form = full_form(&fake.url);
    form.iter_mut().find(|(k, _)| *k == "apiKey").unwrap().1.clear();
    form.push(("server", server["_id"].as_str().unwrap().to_owned()));
    form.push(("intent", "test".into()));
    let tested = s.submit(&page, &page, &refs(&form)).await;
    assert_eq!(tested.status, StatusCode::OK, "{}", tested.body);
    assert!(tested.body.contains("problems found"), "{}", tested.body);
    assert!(tested.body.contains("data-check=\"apiKey\" data-ok=\"false\""), "{}", tested.body);
    assert!(tested.body.contains("MISP refused the API key"), "{}", tested.body);
    fake.clear_faults();

    // Synchronise now: the run's report, then the status in the list.
    let synced = s.submit("/admin/misp", "/admin/misp/sync", &[]).await;
    assert_eq!(synced.status, StatusCode::OK, "{}", synced.body);
    assert!(synced.body.contains("data-sync-report=\"circl\""), "{}", synced.body);
    let created = server_status(&app).await["lastRun"]["created"].as_i64().unwrap();
    assert!(created > 0);
    assert!(
        synced.body.contains("synchronised") && synced.body.contains(&format!(" {created} created")),
        "{}",
        synced.body
    );
    assert!(alert_of(&app, ana, "1042").await.is_some());
    let list = s.get("/admin/misp").await;
    assert!(list.body.contains("data-health>OK<"), "{}", list.body);
    // MISP goes down: the list says so, with the reason.
    fake.fault("/servers/getVersion", Fault::Status(503));
    let synced = s.submit("/admin/misp", &format!("{page}/sync"), &[]).await;
    assert!(synced.body.contains("flash-error"), "{}", synced.body);
    assert!(synced.body.contains("data-health>ERROR<") && synced.body.contains("503"), "{}", synced.body);
    let edit = s.get(&page).await;
    assert!(edit.body.contains("id=\"server-last-error\"") && edit.body.contains("503"), "{}", edit.body);
}

async fn misp_screens_are_for_platform_administrators(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    let s = Session::sign_in(&app, ANA, &crate::harness::password_of(ANA)).await;
    for path in ["/admin/misp", "/admin/misp/new", "/admin/misp/circl"] {
        assert_eq!(s.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let csrf = s.get("/").await.csrf();
    for path in ["/admin/misp", "/admin/misp/circl", "/admin/misp/circl/delete"] {
        let resp = s.client.post(format!("{}{path}", s.base)).form(&[("_csrf", csrf.as_str()), ("name", "x")]);
        assert_eq!(Session::read(resp.send().await.unwrap()).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(api_server(&app).await["name"], "circl", "nothing changed");
}

async fn case_is_exported_from_its_page(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    // A server another organisation uses is not offered.
    add_server(&app, &fake, json!({"name": "cert-only", "includedTheHiveOrganisations": ["cert"]})).await;
    let (status, case) = send(ana(&app, Method::POST, "/api/v1/case").json(&json!({
        "title": "Phishing wave", "description": "d", "severity": 3, "tlp": 2,
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let number = case["number"].to_string();
    let body = json!({"dataType": "ip", "data": "198.51.100.7", "ioc": true});
    let (status, _) = send(
        ana(&app, Method::POST, &format!("/api/v1/case/{}/observable", case["_id"].as_str().unwrap())).json(&body),
    )
    .await;
    assert!(status.is_success());

    let s = Session::sign_in(&app, ANA, &crate::harness::password_of(ANA)).await;
    let case_page = s.get(&format!("/cases/{number}")).await;
    assert!(case_page.body.contains(&format!("href=\"/cases/{number}/misp\"")), "{}", case_page.body);
    let page = format!("/cases/{number}/misp");
    let before = s.get(&page).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    assert!(before.body.contains("Not exported yet") && before.body.contains("<option value=\"circl\">"));
    assert!(!before.body.contains("cert-only"), "{}", before.body);

    let exported = s.submit(&page, &page, &[("server", "circl")]).await;
    assert_eq!(exported.status, StatusCode::OK, "{}", exported.body);
    assert!(
        exported.body.contains("created on circl") && exported.body.contains("1 attribute(s)"),
        "{}",
        exported.body
    );
    assert_eq!(fake.requests_to("/events/add").len(), 1);
    let event_link = format!("{}/events/view/", fake.url);
    assert!(exported.body.contains(&event_link), "where it went: {}", exported.body);
    // Again: the same event is updated.
    let again = s.submit(&page, &page, &[("server", "circl")]).await;
    assert!(again.body.contains("on circl updated") && again.body.contains("0 attribute(s)"), "{}", again.body);
    assert_eq!(fake.requests_to("/events/add").len(), 1, "no second event");
    // A server it may not use is refused with the reason.
    let refused = s.submit(&page, &page, &[("server", "cert-only")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("cert-only not found"), "{}", refused.body);
}

async fn shared_interval_from_the_admin_page(app: TestApp) {
    setup(&app).await;
    let s = Session::sign_in(&app, ADMIN, ADMIN_PASSWORD).await;
    let list = s.get("/admin/misp").await;
    assert!(list.body.contains("id=\"shared-interval\"") && list.body.contains("value=\"1h\""), "{}", list.body);
    assert!(list.body.contains("data-interval-source=\"config\""), "{}", list.body);

    let saved = s.submit("/admin/misp", "/admin/misp/interval", &[("syncInterval", "30m")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location, "/admin/misp?done=saved");
    let list = s.get("/admin/misp").await;
    assert!(list.body.contains("value=\"30m\"") && list.body.contains("data-interval-source=\"database\""));
    assert!(list.body.contains(&format!("Set by {ADMIN}")), "{}", list.body);
    let (_, api) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/settings")).await;
    assert_eq!(api["syncIntervalSeconds"], 1800, "{api}");

    // Out of range: shown again with the reason, nothing changed.
    let refused = s.submit("/admin/misp", "/admin/misp/interval", &[("syncInterval", "10")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("between 1m and 1d"), "{}", refused.body);
    let (_, api) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/settings")).await;
    assert_eq!(api["syncIntervalSeconds"], 1800);
    // Blank: back to the configuration file.
    let cleared = s.submit("/admin/misp", "/admin/misp/interval", &[("syncInterval", "")]).await;
    assert_eq!(cleared.status, StatusCode::SEE_OTHER, "{}", cleared.body);
    let (_, api) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/settings")).await;
    assert_eq!((api["syncIntervalSeconds"].as_i64(), api["source"].as_str()), (Some(3600), Some("config")));

    // An analyst may not change it.
    let ana_s = Session::sign_in(&app, ANA, &crate::harness::password_of(ANA)).await;
    let csrf = ana_s.get("/").await.csrf();
    let resp = ana_s
        .client
        .post(format!("{}/admin/misp/interval", ana_s.base))
        .form(&[("_csrf", csrf.as_str()), ("syncInterval", "5m")]);
    assert_eq!(Session::read(resp.send().await.unwrap()).await.status, StatusCode::FORBIDDEN);
    let (_, api) = send(app.as_admin(Method::GET, "/api/v1/connector/misp/settings")).await;
    assert_eq!(api["source"], "config");
}

async fn case_page_shows_where_it_was_exported(app: TestApp) {
    let fake = setup(&app).await;
    add_server(&app, &fake, json!({})).await;
    let (status, case) = send(ana(&app, Method::POST, "/api/v1/case").json(&json!({
        "title": "Phishing wave", "description": "d", "severity": 3, "tlp": 2,
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let (id, number) = (case["_id"].as_str().unwrap().to_owned(), case["number"].to_string());
    let body = json!({"dataType": "ip", "data": "198.51.100.7", "ioc": true});
    let (status, _) = send(ana(&app, Method::POST, &format!("/api/v1/case/{id}/observable")).json(&body)).await;
    assert!(status.is_success());

    let s = Session::sign_in(&app, ANA, &crate::harness::password_of(ANA)).await;
    let before = s.get(&format!("/cases/{number}")).await;
    assert!(before.body.contains("id=\"case-misp-none\"") && !before.body.contains("case-misp-exports"));

    // Exported through the API by another member of the organisation: the page says so.
    app.create_user("carl@soc.test", "soc", "analyst").await;
    let carl = |m: Method, p: &str| app.as_user(m, p, "carl@soc.test", &crate::harness::password_of("carl@soc.test"));
    let (status, done) = send(carl(Method::POST, &format!("/api/v1/connector/misp/export/{id}/circl"))).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let event = done["eventId"].as_str().unwrap().to_owned();
    let at = done["exportedAt"].as_i64().unwrap();

    let page = s.get(&format!("/cases/{number}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let section = &page.body[page.body.find("id=\"case-misp\"").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("id=\"case-misp-exports\"") && section.contains("data-server=\"circl\""), "{section}");
    assert!(section.contains(&format!("href=\"{}/events/view/{event}\"", fake.url)), "{section}");
    assert!(section.contains(&format!(">#{event}<")), "{section}");
    let iso = waggle::http::ui::format::iso(&at);
    assert!(section.contains(&format!("datetime=\"{iso}\"")), "when: {section}");
    assert!(section.contains("<td data-by>carl@soc.test</td>"), "by whom: {section}");

    // Exported again by ana: the same event, the latest exporter and time.
    let (status, again) = send(ana(&app, Method::POST, &format!("/api/v1/connector/misp/export/{id}/circl"))).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["eventId"].as_str(), Some(event.as_str()));
    let page = s.get(&format!("/cases/{number}")).await;
    assert!(page.body.contains(&format!("<td data-by>{ANA}</td>")), "{}", page.body);
    assert_eq!(page.body.matches("data-server=\"circl\"").count(), 1, "one row per server");
}
