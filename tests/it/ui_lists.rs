//! The advanced filter builder on every list (cases, alerts, my tasks, observables and the
//! administration lists), with OR groups; the alert page's TTPs, attachments and custom
//! fields; TTPs edited in place. Black-box over HTTP on both backends: every list runs
//! through the query service (other organisations' data never shows), and what a form
//! does is what the API then shows. (In a real browser: `tests/browser/test_lists.py`.)

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::alerts::import_patterns;
use crate::harness::{ADMIN, ADMIN_PASSWORD, TestApp, password_of, send};
use crate::ui::{Browser, analyst};

crate::backend_tests!(
    or_groups_on_cases_and_alerts,
    filter_builder_on_my_tasks,
    observable_list_filters_what_the_caller_may_see,
    filter_builder_on_admin_lists,
    alert_ttps_added_edited_removed,
    alert_attachments_and_custom_fields,
    case_ttp_edited_in_place,
    task_logs_carry_attachments,
    bulk_assign_to_a_colleague,
    task_and_observable_shared_one_by_one,
);

async fn api(app: &TestApp, method: Method, path: &str, login: &str, pw: &str, body: Value) -> Value {
    let (status, out) = send(app.as_user(method, path, login, pw).json(&body)).await;
    assert!(status.is_success(), "{path}: {status} {out}");
    out
}

/// The number in `<span … id="{id}">N<`.
fn count(body: &str, id: &str) -> i64 {
    let marker = format!("id=\"{id}\">");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no #{id} in {body}")) + marker.len();
    body[start..].split('<').next().unwrap().trim().parse().unwrap()
}

async fn or_groups_on_cases_and_alerts(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    for (title, severity, tags) in
        [("Sev one", 1, json!(["a"])), ("Sev three", 3, json!(["b"])), ("Sev four", 4, json!([]))]
    {
        api(
            &app,
            Method::POST,
            "/api/v1/case",
            &login,
            &pw,
            json!({"title": title, "description": "d",
            "severity": severity, "tags": tags}),
        )
        .await;
    }
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let either = b.get("/cases?aj=and&af=severity&ao=is&av=1&aj=or&af=severity&ao=is&av=4").await;
    assert_eq!(either.status, StatusCode::OK, "{}", either.body);
    assert_eq!(count(&either.body, "case-total"), 2);
    assert!(either.body.contains("Sev one") && either.body.contains("Sev four") && !either.body.contains("Sev three"));
    let both = b.get("/cases?aj=and&af=severity&ao=is&av=1&aj=and&af=severity&ao=is&av=4").await;
    assert_eq!(count(&both.body, "case-total"), 0);
    // "and" binds tighter: (severity >= 3 and tag b) or tag a.
    let mixed = b.get("/cases?aj=and&af=severity&ao=gte&av=3&aj=and&af=tags&ao=is&av=b&aj=or&af=tags&ao=is&av=a").await;
    assert_eq!(count(&mixed.body, "case-total"), 2, "{}", mixed.body);
    assert!(mixed.body.contains("Sev one") && mixed.body.contains("Sev three"));
    // The join stays in the list's links and on screen.
    assert!(mixed.body.contains("aj=or"), "joins are kept in the links");
    assert!(mixed.body.contains("<option value=\"or\" selected>"), "{}", mixed.body);
    // "is set" / "is not set" (`_contains`).
    let open = b.get("/cases?af=endDate&ao=unset&av=").await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.body);
    assert_eq!(count(&open.body, "case-total"), 3, "{}", open.body);
    let ended = b.get("/cases?af=endDate&ao=set&av=").await;
    assert_eq!(count(&ended.body, "case-total"), 0, "{}", ended.body);
    let bad = b.get("/cases?aj=and&af=title&ao=is&av=x&aj=nor&af=title&ao=is&av=y").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("Filter row 2: unknown join nor"), "{}", bad.body);

    for (i, source) in ["edr", "ids", "mail"].iter().enumerate() {
        api(
            &app,
            Method::POST,
            "/api/v1/alert",
            &login,
            &pw,
            json!({"type": "t", "source": source,
            "sourceRef": format!("r{i}"), "title": format!("{source} alert"), "description": "-"}),
        )
        .await;
    }
    let alerts = b.get("/alerts?aj=and&af=source&ao=is&av=edr&aj=or&af=source&ao=is&av=mail").await;
    assert_eq!(count(&alerts.body, "alert-total"), 2, "{}", alerts.body);
}

async fn filter_builder_on_my_tasks(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    let case = api(
        &app,
        Method::POST,
        "/api/v1/case",
        &login,
        &pw,
        json!({"title": "Tasks case", "description": "d",
        "tasks": [{"title": "Collect logs", "assignee": login}, {"title": "Contain host", "assignee": login},
                  {"title": "Notify legal"}, {"title": "Write report", "assignee": login, "status": "Completed"}]}),
    )
    .await;
    assert_eq!(case["number"], 1, "{case}");
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let all = b.get("/tasks").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!((count(&all.body, "mine-total"), count(&all.body, "waiting-total")), (2, 1), "{}", all.body);
    assert!(!all.body.contains("Write report"), "closed tasks are not my work");
    let one = b.get("/tasks?af=title&ao=contains&av=collect").await;
    assert_eq!((count(&one.body, "mine-total"), count(&one.body, "waiting-total")), (1, 0));
    assert!(one.body.contains("Collect logs") && !one.body.contains("Contain host"));
    let or = b.get("/tasks?aj=and&af=title&ao=contains&av=collect&aj=or&af=title&ao=starts&av=Notify").await;
    assert_eq!((count(&or.body, "mine-total"), count(&or.body, "waiting-total")), (1, 1), "{}", or.body);
    let refused = b.get("/tasks?af=case&ao=is&av=1").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Filter row 1: unknown field case"), "{}", refused.body);
}

async fn observable_list_filters_what_the_caller_may_see(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    let case =
        api(&app, Method::POST, "/api/v1/case", &login, &pw, json!({"title": "Obs case", "description": "d"})).await;
    let cid = case["_id"].as_str().unwrap().to_owned();
    api(
        &app,
        Method::POST,
        &format!("/api/v1/case/{cid}/observable"),
        &login,
        &pw,
        json!({"dataType": "domain", "data": "evil.test", "ioc": true}),
    )
    .await;
    api(
        &app,
        Method::POST,
        &format!("/api/v1/case/{cid}/observable"),
        &login,
        &pw,
        json!({"dataType": "ip", "data": "192.0.2.7"}),
    )
    .await;
    api(
        &app,
        Method::POST,
        &format!("/api/v1/case/{cid}/observable"),
        &login,
        &pw,
        json!({"dataType": "domain", "data": "benign.test"}),
    )
    .await;
    app.create_org("other").await;
    app.create_user("olga@other.test", "other", "analyst").await;
    let opw = password_of("olga@other.test");
    let theirs =
        api(&app, Method::POST, "/api/v1/case", "olga@other.test", &opw, json!({"title": "T", "description": "d"}))
            .await;
    api(
        &app,
        Method::POST,
        &format!("/api/v1/case/{}/observable", theirs["_id"].as_str().unwrap()),
        "olga@other.test",
        &opw,
        json!({"dataType": "domain", "data": "secret-evil.test", "ioc": true}),
    )
    .await;

    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let all = b.get("/observables").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(count(&all.body, "list-total"), 3, "{}", all.body);
    assert!(!all.body.contains("secret-evil"));
    assert!(all.body.contains(&format!("href=\"/cases/{cid}\"")), "each row links to its case");
    let iocs = b.get("/observables?af=ioc&ao=is&av=yes").await;
    assert_eq!(count(&iocs.body, "list-total"), 1);
    let either = b.get("/observables?aj=and&af=dataType&ao=is&av=ip&aj=or&af=data&ao=contains&av=evil").await;
    assert_eq!(count(&either.body, "list-total"), 2, "{}", either.body);
    assert!(!either.body.contains("benign.test") && !either.body.contains("secret-evil"));
}

async fn filter_builder_on_admin_lists(app: TestApp) {
    let (login, _) = analyst(&app).await;
    app.create_org("partner").await;
    app.create_user("bob@soc.test", "soc", "analyst").await;
    app.create_user("oz@soc.test", "soc", "org-admin").await;
    let (status, _) = send(app.as_admin(Method::POST, "/api/v1/customField").json(&json!({
        "name": "hostCount", "displayName": "Hosts", "type": "integer", "description": "d"})))
    .await;
    assert!(status.is_success());
    let (status, _) = send(app.as_admin(Method::POST, "/api/v1/customField").json(&json!({
        "name": "businessUnit", "displayName": "BU", "type": "string", "description": "d"})))
    .await;
    assert!(status.is_success());
    let a = Browser::new(&app);
    a.sign_in(ADMIN, ADMIN_PASSWORD).await;

    let users = a.get("/admin/users?organisation=soc&af=login&ao=starts&av=bob").await;
    assert_eq!(users.status, StatusCode::OK, "{}", users.body);
    assert_eq!(count(&users.body, "list-total"), 1, "{}", users.body);
    assert!(users.body.contains("bob@soc.test") && !users.body.contains(&login));
    // The organisation is kept in the form and the Reset link.
    assert!(users.body.contains("name=\"organisation\" value=\"soc\""), "{}", users.body);
    let users =
        a.get("/admin/users?organisation=soc&aj=and&af=login&ao=starts&av=bob&aj=or&af=login&ao=starts&av=oz").await;
    assert_eq!(count(&users.body, "list-total"), 2);
    let refused = a.get("/admin/users?organisation=soc&af=password&ao=is&av=x").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("Filter row 1: unknown field password"), "{}", refused.body);
    assert_eq!(count(&refused.body, "list-total"), 3, "the list shows without the refused row");

    let orgs = a.get("/admin/organisations?aj=and&af=name&ao=is&av=soc&aj=or&af=name&ao=is&av=partner").await;
    assert_eq!(count(&orgs.body, "list-total"), 2, "{}", orgs.body);
    let fields = a.get("/admin/custom-fields?af=type&ao=is&av=integer").await;
    assert_eq!(count(&fields.body, "list-total"), 1, "{}", fields.body);
    assert!(fields.body.contains("hostCount") && !fields.body.contains("businessUnit"));
    let types = a.get("/admin/observable-types?af=isAttachment&ao=is&av=yes").await;
    assert!(types.body.contains("<td>file</td>") && !types.body.contains("<td>value</td>"), "{}", types.body);
    let profiles = a.get("/admin/profiles?af=permissions&ao=contains&av=manageUser").await;
    assert_eq!(profiles.status, StatusCode::OK, "{}", profiles.body);
    assert!(profiles.body.contains(">org-admin<") && !profiles.body.contains(">analyst<"), "{}", profiles.body);

    // An organisation admin's lists run with their own visibility: their templates only.
    let o = Browser::new(&app);
    o.sign_in("oz@soc.test", &password_of("oz@soc.test")).await;
    let csrf = o.get("/admin/case-templates").await.csrf();
    for name in ["phishing", "malware"] {
        let made = o.post("/admin/case-templates", &[("_csrf", &csrf), ("name", name), ("severity", "2")]).await;
        assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    }
    let templates = o.get("/admin/case-templates?af=name&ao=contains&av=phish").await;
    assert_eq!(count(&templates.body, "list-total"), 1, "{}", templates.body);
    let users = o.get("/admin/users?af=login&ao=contains&av=soc.test").await;
    assert_eq!(count(&users.body, "list-total"), 3, "{}", users.body);
}

async fn alert_ttps_added_edited_removed(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    import_patterns(&app).await;
    let alert = api(
        &app,
        Method::POST,
        "/api/v1/alert",
        &login,
        &pw,
        json!({"type": "t", "source": "edr",
        "sourceRef": "ttp-1", "title": "TTP alert", "description": "-"}),
    )
    .await;
    let id = alert["_id"].as_str().unwrap().to_owned();
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let page = b.get(&format!("/alerts/{id}/ttps")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"alert-tabs\"") && page.body.contains("T1132.001 · Standard Encoding"));
    let csrf = page.csrf();
    let made = b
        .post(
            &format!("/alerts/{id}/ttps"),
            &[
                ("_csrf", &csrf),
                ("patternId", "T1132.001 · Standard Encoding"),
                ("tactic", "command-and-control"),
                ("occurDate", "2024-03-01"),
                ("description", "base64 beacons"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let (_, procs) = send(app.as_user(Method::POST, "/api/v1/query", &login, &pw).json(&json!({"query": [
        {"_name": "getAlert", "idOrName": id}, {"_name": "procedures"}]})))
    .await;
    assert_eq!(procs[0]["patternId"], "T1132.001", "{procs}");
    let pid = procs[0]["_id"].as_str().unwrap().to_owned();
    // Edited in place: the tactic cleared, the description changed, the day kept.
    let edited = b
        .post(
            &format!("/alerts/{id}/ttps/{pid}"),
            &[("_csrf", &csrf), ("tactic", ""), ("occurDate", "2024-03-01"), ("description", "DNS tunnelling")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let (_, p) = send(app.as_user(Method::GET, &format!("/api/v1/procedure/{pid}"), &login, &pw)).await;
    assert_eq!(p["description"], "DNS tunnelling", "{p}");
    assert!(p.get("tactic").is_none_or(Value::is_null), "{p}");
    assert_eq!(p["occurDate"], 1_709_251_200_000_i64, "{p}");
    let bad = b.post(&format!("/alerts/{id}/ttps/{pid}"), &[("_csrf", &csrf), ("occurDate", "someday")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    // Another organisation cannot see the tab nor touch the procedure.
    app.create_org("other").await;
    app.create_user("olga@other.test", "other", "analyst").await;
    let o = Browser::new(&app);
    o.sign_in("olga@other.test", &password_of("olga@other.test")).await;
    assert_eq!(o.get(&format!("/alerts/{id}/ttps")).await.status, StatusCode::NOT_FOUND);
    let ocsrf = o.get("/alerts").await.csrf();
    let refused = o.post(&format!("/alerts/{id}/ttps/{pid}/delete"), &[("_csrf", &ocsrf)]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);
    // A page edits only its own procedures: through another alert's page, nothing changes.
    let other = api(
        &app,
        Method::POST,
        "/api/v1/alert",
        &login,
        &pw,
        json!({"type": "t", "source": "edr", "sourceRef": "ttp-2", "title": "Other", "description": "-"}),
    )
    .await;
    let other = other["_id"].as_str().unwrap().to_owned();
    let wrong_page = [("_csrf", csrf.as_str()), ("description", "changed elsewhere"), ("occurDate", "2024-03-01")];
    // The other alert's page comes back with the error.
    let edited = b.post(&format!("/alerts/{other}/ttps/{pid}"), &wrong_page).await;
    assert_eq!(edited.status, StatusCode::BAD_REQUEST, "{}", edited.body);
    assert!(edited.body.contains("Procedure not found"), "{}", edited.body);
    let removed = b.post(&format!("/alerts/{other}/ttps/{pid}/delete"), &[("_csrf", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::BAD_REQUEST, "{}", removed.body);
    assert!(removed.body.contains("Procedure not found"), "{}", removed.body);
    let (_, p) = send(app.as_user(Method::GET, &format!("/api/v1/procedure/{pid}"), &login, &pw)).await;
    assert_eq!(p["description"], "DNS tunnelling", "{p}");
    let removed = b.post(&format!("/alerts/{id}/ttps/{pid}/delete"), &[("_csrf", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    let (status, _) = send(app.as_user(Method::GET, &format!("/api/v1/procedure/{pid}"), &login, &pw)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn alert_attachments_and_custom_fields(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    let (status, _) = send(app.as_admin(Method::POST, "/api/v1/customField").json(&json!({
        "name": "hostCount", "displayName": "Hosts", "type": "integer", "description": "d"})))
    .await;
    assert!(status.is_success());
    let alert = api(
        &app,
        Method::POST,
        "/api/v1/alert",
        &login,
        &pw,
        json!({"type": "t", "source": "edr",
        "sourceRef": "files-1", "title": "File alert", "description": "-"}),
    )
    .await;
    let id = alert["_id"].as_str().unwrap().to_owned();
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let csrf = b.get(&format!("/alerts/{id}/files")).await.csrf();
    let part = || {
        reqwest::multipart::Form::new().part(
            "attachment",
            reqwest::multipart::Part::bytes(b"hello".to_vec())
                .file_name("mail.eml")
                .mime_str("message/rfc822")
                .unwrap(),
        )
    };
    let url = format!("{}/alerts/{id}/files", b.base);
    let without = b.page(b.client.post(&url).multipart(part())).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN, "{}", without.body);
    let ok = b.page(b.client.post(format!("{url}?_csrf={csrf}")).multipart(part())).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let page = b.get(&format!("/alerts/{id}/files")).await;
    assert!(page.body.contains("mail.eml"), "{}", page.body);
    assert!(page.body.contains("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"));
    let (_, atts) = send(app.as_user(Method::POST, "/api/v1/query", &login, &pw).json(&json!({"query": [
        {"_name": "getAlert", "idOrName": id}, {"_name": "attachments"}]})))
    .await;
    let att = atts[0]["_id"].as_str().unwrap_or_else(|| panic!("{atts}")).to_owned();
    let dl = b.page(b.client.get(format!("{url}/{att}/download"))).await;
    assert_eq!(dl.status, StatusCode::OK);
    assert_eq!(dl.body, "hello");
    let deleted = b.post(&format!("/alerts/{id}/files/{att}/delete"), &[("_csrf", &csrf)]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
    assert!(!b.get(&format!("/alerts/{id}/files")).await.body.contains("mail.eml"));

    // Custom field values: added, edited, refused when mistyped.
    let page = b.get(&format!("/alerts/{id}")).await;
    assert!(page.body.contains("id=\"add-field\""), "{}", page.body);
    let added = b
        .post(&format!("/alerts/{id}/fields"), &[("_csrf", &csrf), ("addField", "hostCount"), ("addValue", "3")])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let changed = b.post(&format!("/alerts/{id}/fields"), &[("_csrf", &csrf), ("cf.hostCount", "12")]).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let (_, a) = send(app.as_user(Method::GET, &format!("/api/v1/alert/{id}"), &login, &pw)).await;
    assert_eq!(a["customFields"][0]["value"], 12, "{a}");
    let bad = b.post(&format!("/alerts/{id}/fields"), &[("_csrf", &csrf), ("cf.hostCount", "many")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("flash-error"));
}

async fn case_ttp_edited_in_place(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    import_patterns(&app).await;
    let case =
        api(&app, Method::POST, "/api/v1/case", &login, &pw, json!({"title": "TTP case", "description": "d"})).await;
    let cid = case["_id"].as_str().unwrap().to_owned();
    let made = api(
        &app,
        Method::POST,
        &format!("/api/v1/case/{cid}/procedure"),
        &login,
        &pw,
        json!({"patternId": "T1132", "occurDate": 1_709_251_200_000_i64 + 3_600_000, "tactic": "command-and-control"}),
    )
    .await;
    let pid = made["_id"].as_str().unwrap_or_else(|| panic!("{made}")).to_owned();
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let page = b.get("/cases/1/ttps").await;
    assert!(page.body.contains(&format!("action=\"/cases/1/ttps/{pid}\"")), "{}", page.body);
    let csrf = page.csrf();
    // The same day keeps the time of day; the tactic changes.
    let ok = b
        .post(
            &format!("/cases/1/ttps/{pid}"),
            &[("_csrf", &csrf), ("tactic", "exfiltration"), ("occurDate", "2024-03-01"), ("description", "")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, p) = send(app.as_user(Method::GET, &format!("/api/v1/procedure/{pid}"), &login, &pw)).await;
    assert_eq!(
        (p["tactic"].clone(), p["occurDate"].clone()),
        (json!("exfiltration"), json!(1_709_254_800_000_i64)),
        "{p}"
    );
    // Another day moves it to that day.
    let ok = b.post(&format!("/cases/1/ttps/{pid}"), &[("_csrf", &csrf), ("occurDate", "2024-03-02")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, p) = send(app.as_user(Method::GET, &format!("/api/v1/procedure/{pid}"), &login, &pw)).await;
    assert_eq!(p["occurDate"], 1_709_337_600_000_i64, "{p}");
    // A procedure of another case cannot be edited through this case's URL.
    let other =
        api(&app, Method::POST, "/api/v1/case", &login, &pw, json!({"title": "Other", "description": "d"})).await;
    let wrong =
        b.post(&format!("/cases/{}/ttps/{pid}", other["number"]), &[("_csrf", &csrf), ("description", "x")]).await;
    assert!(wrong.status.is_client_error() && wrong.body.contains("flash-error"), "{}", wrong.body);
    let (_, p) = send(app.as_user(Method::GET, &format!("/api/v1/procedure/{pid}"), &login, &pw)).await;
    assert!(p.get("description").is_none_or(Value::is_null), "{p}");
}

async fn task_logs_carry_attachments(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    api(
        &app,
        Method::POST,
        "/api/v1/case",
        &login,
        &pw,
        json!({"title": "Log case", "description": "d",
        "tasks": [{"title": "Collect"}]}),
    )
    .await;
    let (_, tasks) = send(app.as_user(Method::POST, "/api/v1/query", &login, &pw).json(&json!({"query": [
        {"_name": "listTask"}]})))
    .await;
    let tid = tasks[0]["_id"].as_str().unwrap_or_else(|| panic!("{tasks}")).to_owned();
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let page = b.get(&format!("/tasks/{tid}")).await;
    assert!(page.body.contains("enctype=\"multipart/form-data\" id=\"add-log\""), "{}", page.body);
    let csrf = page.csrf();
    let form = || {
        reqwest::multipart::Form::new().text("message", "Collected **EDR** export").part(
            "attachment",
            reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("edr.csv").mime_str("text/csv").unwrap(),
        )
    };
    let url = format!("{}/tasks/{tid}/logs", b.base);
    let without = b.page(b.client.post(&url).multipart(form())).await;
    assert_eq!(without.status, StatusCode::FORBIDDEN, "{}", without.body);
    let ok = b.page(b.client.post(format!("{url}?_csrf={csrf}")).multipart(form())).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // A log without a file still works; an empty message is refused next to the form.
    let plain = reqwest::multipart::Form::new().text("message", "No file");
    let ok = b.page(b.client.post(format!("{url}?_csrf={csrf}")).multipart(plain)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let empty = reqwest::multipart::Form::new().text("message", " ");
    let refused = b.page(b.client.post(format!("{url}?_csrf={csrf}")).multipart(empty)).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    let (_, logs) = send(app.as_user(Method::POST, "/api/v1/query", &login, &pw).json(&json!({"query": [
        {"_name": "getTask", "idOrName": tid}, {"_name": "logs"}, {"_name": "sort", "_fields": [{"date": "asc"}]}]})))
    .await;
    assert_eq!(logs[0]["attachments"][0]["name"], "edr.csv", "{logs}");
    let log_id = logs[0]["_id"].as_str().unwrap().to_owned();
    let sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    let page = b.get(&format!("/tasks/{tid}")).await;
    let link = format!("/tasks/{tid}/logs/{log_id}/files/{sha}");
    assert!(page.body.contains(&link), "{}", page.body);
    let dl = b.get(&link).await;
    assert_eq!((dl.status, dl.body.as_str()), (StatusCode::OK, "hello"));
    // Only through a log of this task, and never for another organisation.
    assert_eq!(b.get(&format!("/tasks/{tid}/logs/~999999/files/{sha}")).await.status, StatusCode::NOT_FOUND);
    app.create_org("other").await;
    app.create_user("olga@other.test", "other", "analyst").await;
    let o = Browser::new(&app);
    o.sign_in("olga@other.test", &password_of("olga@other.test")).await;
    assert_eq!(o.get(&link).await.status, StatusCode::NOT_FOUND);
}

async fn bulk_assign_to_a_colleague(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    app.create_user("bob@soc.test", "soc", "analyst").await;
    let case =
        api(&app, Method::POST, "/api/v1/case", &login, &pw, json!({"title": "Assign me", "description": "d"})).await;
    let alert = api(
        &app,
        Method::POST,
        "/api/v1/alert",
        &login,
        &pw,
        json!({"type": "t", "source": "s",
        "sourceRef": "assign-1", "title": "Assign alert", "description": "-"}),
    )
    .await;
    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let list = b.get("/cases").await;
    assert!(list.body.contains("<option value=\"assign:bob@soc.test\">"), "{}", list.body);
    let csrf = list.csrf();
    let cid = case["_id"].as_str().unwrap();
    let ok = b
        .post("/cases/bulk", &[("_csrf", &csrf), ("ids", cid), ("action", "assign:bob@soc.test"), ("back", "/cases")])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, c) = send(app.as_user(Method::GET, &format!("/api/v1/case/{cid}"), &login, &pw)).await;
    assert_eq!(c["assignee"], "bob@soc.test", "{c}");
    let aid = alert["_id"].as_str().unwrap();
    let ok = b
        .post("/alerts/bulk", &[("_csrf", &csrf), ("ids", aid), ("action", "assign:bob@soc.test"), ("back", "/alerts")])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (_, a) = send(app.as_user(Method::GET, &format!("/api/v1/alert/{aid}"), &login, &pw)).await;
    assert_eq!(a["assignee"], "bob@soc.test", "{a}");
    // Someone outside the organisation is refused, and nothing changes.
    app.create_org("other").await;
    app.create_user("olga@other.test", "other", "analyst").await;
    let refused = b
        .post(
            "/cases/bulk",
            &[("_csrf", &csrf), ("ids", cid), ("action", "assign:olga@other.test"), ("back", "/cases")],
        )
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.body);
    let (_, c) = send(app.as_user(Method::GET, &format!("/api/v1/case/{cid}"), &login, &pw)).await;
    assert_eq!(c["assignee"], "bob@soc.test", "{c}");
}

async fn task_and_observable_shared_one_by_one(app: TestApp) {
    let (login, pw) = analyst(&app).await;
    app.create_org("partner").await;
    app.create_user("pia@partner.test", "partner", "analyst").await;
    let ppw = password_of("pia@partner.test");
    let (status, body) = send(
        app.as_admin(Method::PUT, "/api/v1/organisation/soc/link/partner")
            .json(&json!({"linkType": "default", "otherLinkType": "default"})),
    )
    .await;
    assert!(status.is_success(), "{body}");
    let case = api(
        &app,
        Method::POST,
        "/api/v1/case",
        &login,
        &pw,
        json!({"title": "Shared items", "description": "d",
        "tasks": [{"title": "Contain"}]}),
    )
    .await;
    let cid = case["_id"].as_str().unwrap().to_owned();
    let obs = api(
        &app,
        Method::POST,
        &format!("/api/v1/case/{cid}/observable"),
        &login,
        &pw,
        json!({"dataType": "domain", "data": "shared.test"}),
    )
    .await;
    let oid = obs[0]["_id"].as_str().unwrap_or_else(|| panic!("{obs}")).to_owned();
    api(
        &app,
        Method::POST,
        &format!("/api/v1/case/{cid}/shares"),
        &login,
        &pw,
        json!({"shares": [{"organisation": "partner", "profile": "analyst"}]}),
    )
    .await;
    let (_, tasks) = send(app.as_user(Method::POST, "/api/v1/query", &login, &pw).json(&json!({"query": [
        {"_name": "getCase", "idOrName": cid}, {"_name": "tasks"}]})))
    .await;
    let tid = tasks[0]["_id"].as_str().unwrap_or_else(|| panic!("{tasks}")).to_owned();
    let partner_sees = |path: String| {
        let app = &app;
        let ppw = ppw.clone();
        async move { send(app.as_user(Method::GET, &path, "pia@partner.test", &ppw)).await.0 }
    };
    assert_eq!(partner_sees(format!("/api/v1/task/{tid}")).await, StatusCode::NOT_FOUND);

    let b = Browser::new(&app);
    b.sign_in(&login, &pw).await;
    let page = b.get(&format!("/tasks/{tid}")).await;
    assert!(
        page.body.contains("id=\"item-sharing\"") && page.body.contains("<option value=\"partner\">"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    let ok = b.post(&format!("/tasks/{tid}/shares"), &[("_csrf", &csrf), ("organisation", "partner")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(partner_sees(format!("/api/v1/task/{tid}")).await, StatusCode::OK);
    let ok = b.post(&format!("/tasks/{tid}/shares/remove"), &[("_csrf", &csrf), ("organisation", "partner")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(partner_sees(format!("/api/v1/task/{tid}")).await, StatusCode::NOT_FOUND);
    // An organisation the case is not shared with is refused next to the form.
    app.create_org("stranger").await;
    let refused = b.post(&format!("/tasks/{tid}/shares"), &[("_csrf", &csrf), ("organisation", "stranger")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);

    let page = b.get(&format!("/observables/{oid}")).await;
    assert!(page.body.contains("id=\"item-sharing\""), "{}", page.body);
    let ok = b.post(&format!("/observables/{oid}/shares"), &[("_csrf", &csrf), ("organisation", "partner")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(partner_sees(format!("/api/v1/observable/{oid}")).await, StatusCode::OK);
    let page = b.get(&format!("/observables/{oid}")).await;
    assert!(page.body.contains("/observables/") && page.body.contains("shares/remove"), "{}", page.body);
    // An organisation outside the case sees nothing and changes nothing.
    app.create_user("sam@stranger.test", "stranger", "analyst").await;
    let s = Browser::new(&app);
    s.sign_in("sam@stranger.test", &password_of("sam@stranger.test")).await;
    assert_eq!(s.get(&format!("/tasks/{tid}")).await.status, StatusCode::NOT_FOUND);
    let scsrf = s.get("/cases").await.csrf();
    let refused =
        s.post(&format!("/observables/{oid}/shares/remove"), &[("_csrf", &scsrf), ("organisation", "partner")]).await;
    assert!(refused.status.is_client_error(), "{}", refused.body);
    assert_eq!(partner_sees(format!("/api/v1/observable/{oid}")).await, StatusCode::OK);
}
