//! The UI's case tabs (TTPs, attachments, pages, sharing), alert comments, the advanced
//! filter builder and the catalogue admin screens, black-box over HTTP on both backends:
//! every screen keeps the visibility rule and CSRF (uploads included), and what a form
//! does is what the API then shows. (The workflows themselves run in a real browser in
//! `tests/browser/test_case_tabs.py` and `test_filters_admin.py`.)

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{ADMIN, ADMIN_PASSWORD, TestApp, password_of, send};
use crate::ui::{Browser, analyst};

crate::backend_tests!(
    case_tabs_keep_the_visibility_rule,
    uploads_need_the_csrf_token_in_the_query,
    sharing_tab_shares_with_linked_organisations_only,
    alert_comments_from_the_alert_page,
    filter_builder_compiles_to_the_query_service,
    admin_screens_create_custom_fields_and_templates,
);

async fn new_case(app: &TestApp, login: &str, pw: &str, title: &str) -> Value {
    let (status, case) =
        send(app.as_user(Method::POST, "/api/v1/case", login, pw).json(&json!({"title": title, "description": "d"})))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    case
}

async fn case_tabs_keep_the_visibility_rule(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    let case = new_case(&app, &login, &pw, "Tabs <b>case</b>").await;
    let n = case["number"].to_string();
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    for tab in ["ttps", "files", "pages", "sharing"] {
        let page = b.get(&format!("/cases/{n}/{tab}")).await;
        assert_eq!(page.status, StatusCode::OK, "{tab}: {}", page.body);
        assert!(page.body.contains("id=\"case-tabs\""), "{tab}");
        assert!(page.body.contains("Tabs &#60;b&#62;case&#60;/b&#62;"), "{tab} escapes the title: {}", page.body);
    }
    // Another organisation sees none of it, and cannot write to it.
    app.create_org("other").await;
    app.create_user("olga@other.test", "other", "analyst").await;
    let o = Browser::new(&app);
    o.sign_in("olga@other.test", &password_of("olga@other.test")).await;
    for tab in ["ttps", "files", "pages", "sharing"] {
        assert_eq!(o.get(&format!("/cases/{n}/{tab}")).await.status, StatusCode::NOT_FOUND, "{tab}");
    }
    let csrf = o.get("/cases").await.csrf();
    let refused = o.post(&format!("/cases/{n}/pages"), &[("_csrf", &csrf), ("title", "Planted")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    // The owner's page form works, and the API shows the page.
    let csrf = b.get(&format!("/cases/{n}/pages")).await.csrf();
    let made = b.post(&format!("/cases/{n}/pages"), &[("_csrf", &csrf), ("title", "Plan"), ("content", "**x**")]).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let (_, pages) =
        send(app.as_user(Method::GET, &format!("/api/v1/case/{}/page", case["_id"].as_str().unwrap()), &login, &pw))
            .await;
    assert_eq!(pages.as_array().map(Vec::len), Some(1), "{pages}");
    assert_eq!(pages[0]["title"], "Plan");
}

async fn uploads_need_the_csrf_token_in_the_query(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    let case = new_case(&app, &login, &pw, "Upload case").await;
    let n = case["number"].to_string();
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let csrf = b.get(&format!("/cases/{n}/files")).await.csrf();
    let part = || {
        reqwest::multipart::Form::new().part(
            "attachment",
            reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("note.txt").mime_str("text/plain").unwrap(),
        )
    };
    let url = format!("{}/cases/{n}/files", b.base);
    let without = b.page(b.client.post(&url).multipart(part())).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN, "{}", without.body);
    let wrong = b.page(b.client.post(format!("{url}?_csrf=AAAA")).multipart(part())).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let ok = b.page(b.client.post(format!("{url}?_csrf={csrf}")).multipart(part())).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = b.get(&format!("/cases/{n}/files")).await;
    assert!(page.body.contains("note.txt"), "{}", page.body);
    // sha256("hello")
    assert!(page.body.contains("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
    // A file observable, through the same kind of form; and an empty file input is refused.
    let sample = reqwest::multipart::Form::new().text("dataType", "file").text("ioc", "true").part(
        "attachment",
        reqwest::multipart::Part::bytes(b"MZ sample".to_vec())
            .file_name("dropper.exe")
            .mime_str("application/octet-stream")
            .unwrap(),
    );
    let ok = b.page(b.client.post(format!("{url}/observable?_csrf={csrf}")).multipart(sample)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, obs) = send(app.as_user(Method::POST, "/api/v1/query", &login, &pw).json(&json!({"query": [
        {"_name": "getCase", "idOrName": case["_id"]}, {"_name": "observables"}]})))
    .await;
    assert_eq!(obs[0]["dataType"], "file", "{obs}");
    assert_eq!(obs[0]["ioc"], true);
    assert_eq!(obs[0]["attachment"]["name"], "dropper.exe");
    let empty = reqwest::multipart::Form::new().text("dataType", "file");
    let refused = b.page(b.client.post(format!("{url}/observable?_csrf={csrf}")).multipart(empty)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
}

async fn sharing_tab_shares_with_linked_organisations_only(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    app.create_org("partner").await;
    app.create_org("stranger").await;
    let (status, body) = send(
        app.as_admin(Method::PUT, "/api/v1/organisation/soc/link/partner")
            .json(&json!({"linkType": "default", "otherLinkType": "default"})),
    )
    .await;
    assert!(status.is_success(), "{body}");
    let case = new_case(&app, &login, &pw, "Shared case").await;
    let n = case["number"].to_string();
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let page = b.get(&format!("/cases/{n}/sharing")).await;
    assert!(page.body.contains("<option value=\"partner\">"), "only linked organisations are offered");
    assert!(!page.body.contains("<option value=\"stranger\">"));
    let csrf = page.csrf();
    let refused = b
        .post(&format!("/cases/{n}/sharing"), &[("_csrf", &csrf), ("organisation", "stranger"), ("profile", "analyst")])
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let ok = b
        .post(
            &format!("/cases/{n}/sharing"),
            &[("_csrf", &csrf), ("organisation", "partner"), ("profile", "read-only"), ("taskRule", "all")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, shares) =
        send(app.as_user(Method::GET, &format!("/api/v1/case/{}/shares", case["_id"].as_str().unwrap()), &login, &pw))
            .await;
    let shares = shares.as_array().cloned().unwrap_or_default();
    assert_eq!(shares.len(), 1, "{shares:?}");
    assert_eq!(shares[0]["organisationName"], "partner");
    assert_eq!(shares[0]["profileName"], "read-only");
}

async fn alert_comments_from_the_alert_page(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    let (status, alert) = send(app.as_user(Method::POST, "/api/v1/alert", &login, &pw).json(&json!({
        "type": "t", "source": "s", "sourceRef": "r1", "title": "Commented", "description": "d"})))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    let id = alert["_id"].as_str().unwrap();
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let csrf = b.get(&format!("/alerts/{id}")).await.csrf();
    let ok = b.post(&format!("/alerts/{id}/comments"), &[("_csrf", &csrf), ("message", "<i>seen</i> before")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = b.get(&format!("/alerts/{id}")).await;
    assert!(
        page.body.contains("&#60;i&#62;seen&#60;/i&#62; before") || page.body.contains("&lt;i&gt;seen"),
        "{}",
        page.body
    );
    let empty = b.post(&format!("/alerts/{id}/comments"), &[("_csrf", &csrf), ("message", " ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.body);
}

async fn filter_builder_compiles_to_the_query_service(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    for (title, severity) in [("Sev one", 1), ("Sev three", 3), ("Sev four", 4)] {
        let (status, _) = send(app.as_user(Method::POST, "/api/v1/case", &login, &pw).json(&json!({
            "title": title, "description": "d", "severity": severity})))
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    app.create_org("other").await;
    app.create_user("olga@other.test", "other", "analyst").await;
    let (status, _) = send(
        app.as_user(Method::POST, "/api/v1/case", "olga@other.test", &password_of("olga@other.test"))
            .json(&json!({"title": "Sev secret", "description": "d", "severity": 4})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let high = b.get("/cases?af=severity&ao=gte&av=3").await;
    assert!(high.body.contains("id=\"case-total\">2<"), "{}", high.body);
    assert!(!high.body.contains("Sev secret") && !high.body.contains("Sev one"));
    // Rows AND with each other and with the quick filters, and survive pagination links.
    let one = b.get("/cases?af=severity&ao=gte&av=3&af=title&ao=contains&av=four").await;
    assert!(one.body.contains("id=\"case-total\">1<"), "{}", one.body);
    assert!(one.body.contains("af=title"), "rows are kept in the list's links");
    // No row reaches a field the list does not offer, nor another organisation's data.
    let refused = b.get("/cases?af=password&ao=is&av=x").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Filter row 1: unknown field password"), "{}", refused.body);
    let none = b.get("/cases?af=title&ao=contains&av=secret").await;
    assert!(none.body.contains("id=\"case-total\">0<"), "{}", none.body);
    let alerts = b.get("/alerts?af=read&ao=is&av=maybe").await;
    assert_eq!(alerts.status, StatusCode::BAD_REQUEST);
}

async fn admin_screens_create_custom_fields_and_templates(app: TestApp) {
    let a = Browser::new(&app);
    a.sign_in(ADMIN, ADMIN_PASSWORD).await;
    let csrf = a.get("/admin/custom-fields").await.csrf();
    let ok = a
        .post(
            "/admin/custom-fields",
            &[("_csrf", &csrf), ("name", "hostCount"), ("type", "integer"), ("options", "1, 5, 10")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, fields) = send(app.as_admin(Method::GET, "/api/v1/customField")).await;
    assert_eq!(fields[0]["options"], json!([1, 5, 10]), "{fields}");
    assert_eq!(a.get("/admin/attack").await.status, StatusCode::OK);

    // An analyst can neither create custom fields nor case templates.
    let (login, pw) = analyst(&app).await;
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let csrf = b.get("/cases").await.csrf();
    // (The refusal is shown next to the form, as every refused form is.)
    let refused = b.post("/admin/custom-fields", &[("_csrf", &csrf), ("name", "x"), ("type", "string")]).await;
    assert!(refused.status.is_client_error() && refused.body.contains("flash-error"), "{}", refused.body);
    let refused = b.post("/admin/case-templates", &[("_csrf", &csrf), ("name", "x")]).await;
    assert!(refused.status.is_client_error() && refused.body.contains("flash-error"), "{}", refused.body);
    let (_, fields) = send(app.as_admin(Method::GET, "/api/v1/customField")).await;
    assert_eq!(fields.as_array().map(Vec::len), Some(1), "{fields}");
    let (_, templates) = send(app.as_user(Method::GET, "/api/v1/caseTemplate", &login, &pw)).await;
    assert_eq!(templates, json!([]));

    // An organisation admin creates a template with tasks; the API shows them in order.
    app.create_user("oz@soc.test", "soc", "org-admin").await;
    let o = Browser::new(&app);
    o.sign_in("oz@soc.test", &password_of("oz@soc.test")).await;
    let csrf = o.get("/admin/case-templates").await.csrf();
    let ok = o
        .post(
            "/admin/case-templates",
            &[("_csrf", &csrf), ("name", "malware"), ("severity", "3"), ("tasks", "Triage: Collect\nEradicate")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, t) =
        send(app.as_user(Method::GET, "/api/v1/caseTemplate/malware", "oz@soc.test", &password_of("oz@soc.test")))
            .await;
    assert_eq!(t["severity"], 3, "{t}");
    let tasks: Vec<(&str, &str)> = t["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["group"].as_str().unwrap(), x["title"].as_str().unwrap()))
        .collect();
    assert_eq!(tasks, vec![("Triage", "Collect"), ("default", "Eradicate")]);
}
