//! Cases: create → get → update → delete, numbers, the status model, bad input, visibility
//! across organisations and permissions.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(
    case_crud,
    case_numbers_are_distinct_under_concurrency,
    case_status_model,
    case_bad_input_changes_nothing,
    case_visibility_and_permissions,
    case_bulk_update,
    case_delete_cascades,
    share_profile_limits_writes,
);

pub const ANALYST: &str = "ana@soc.test";

/// An organisation `soc` with an analyst; returns a request builder for the analyst.
pub async fn soc(app: &TestApp) {
    app.create_org("soc").await;
    app.create_user(ANALYST, "soc", "analyst").await;
}

pub fn ana(app: &TestApp, m: Method, path: &str) -> reqwest::RequestBuilder {
    app.as_user(m, path, ANALYST, &password_of(ANALYST))
}

pub async fn create_case(app: &TestApp, body: Value) -> Value {
    let (status, created) = send(ana(app, Method::POST, "/api/v1/case").json(&body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn case_count(app: &TestApp) -> usize {
    let (status, list) = send(ana(app, Method::GET, "/api/v1/case")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().len()
}

async fn case_crud(app: TestApp) {
    soc(&app).await;
    let created = create_case(
        &app,
        json!({"title": "Phishing", "description": "Reported", "severity": 3, "tlp": 3, "pap": 1,
               "tags": ["phish", "mail", "phish"], "flag": true}),
    )
    .await;
    assert_eq!(created["_type"], "Case");
    assert_eq!(created["number"], 1);
    assert_eq!(created["title"], "Phishing");
    assert_eq!(created["severityLabel"], "HIGH");
    assert_eq!(created["tlp"], 3);
    assert_eq!(created["tlpLabel"], "AMBER+STRICT");
    assert_eq!(created["papLabel"], "GREEN");
    assert_eq!(created["status"], "New");
    assert_eq!(created["stage"], "New");
    assert_eq!(created["tags"], json!(["phish", "mail"]));
    assert_eq!(created["assignee"], ANALYST);
    assert_eq!(created["extraData"], json!({}));
    assert!(created.get("endDate").is_none(), "absent optionals are omitted: {created}");
    assert!(created["userPermissions"].as_array().unwrap().contains(&json!("manageCase")));
    let id = created["_id"].as_str().unwrap();
    // A create response equals the later get, by id and by number.
    let (status, got) = send(ana(&app, Method::GET, &format!("/api/v1/case/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created);
    let (_, by_number) = send(ana(&app, Method::GET, "/api/v1/case/1")).await;
    assert_eq!(by_number, created);
    // Update.
    let (status, body) =
        send(ana(&app, Method::PATCH, &format!("/api/v1/case/{id}")).json(
            &json!({"title": "Phishing wave", "severity": 4, "tlp": 4, "addTags": ["wave"], "removeTags": ["mail"],
                          "summary": "s", "unknownKey": 1}),
        ))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/case/{id}"))).await;
    assert_eq!(got["title"], "Phishing wave");
    assert_eq!(got["severity"], 4);
    assert_eq!(got["tlpLabel"], "RED");
    assert_eq!(got["tags"], json!(["phish", "wave"]));
    assert_eq!(got["summary"], "s");
    assert_eq!(got["_updatedBy"], ANALYST);
    // Clearing a nullable field.
    let (status, _) =
        send(ana(&app, Method::PATCH, &format!("/api/v1/case/{id}")).json(&json!({"summary": null, "assignee": null})))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/case/{id}"))).await;
    assert!(got.get("summary").is_none() && got.get("assignee").is_none(), "{got}");
    // Timeline: newest first, create last.
    let (status, tl) = send(ana(&app, Method::GET, &format!("/api/v1/case/{id}/timeline"))).await;
    assert_eq!(status, StatusCode::OK);
    let events = tl["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "{tl}");
    assert_eq!(events[0]["kind"], "CaseUpdated");
    assert_eq!(events[2]["kind"], "CaseCreated");
    assert_eq!(events[2]["entityId"], id);
    // Delete.
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/case/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send(ana(&app, Method::GET, &format!("/api/v1/case/{id}"))).await;
    assert_error(status, &body, 404, "NotFoundError");
    assert_eq!(body["message"], "Case not found");
    // Numbers never come back, even for the newest case deleted.
    let again = create_case(&app, json!({"title": "t", "description": "d"})).await;
    assert_eq!(again["number"], 2);
}

async fn case_numbers_are_distinct_under_concurrency(app: TestApp) {
    soc(&app).await;
    let mut handles = Vec::new();
    for i in 0..12 {
        let req = ana(&app, Method::POST, "/api/v1/case").json(&json!({"title": format!("c{i}"), "description": "d"}));
        handles.push(tokio::spawn(send(req)));
    }
    let mut numbers = Vec::new();
    for h in handles {
        let (status, body) = h.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{body}");
        numbers.push(body["number"].as_i64().unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=12).collect::<Vec<i64>>());
}

async fn case_status_model(app: TestApp) {
    soc(&app).await;
    let c = create_case(
        &app,
        json!({"title": "t", "description": "d", "tasks": [{"title": "a"}, {"title": "b", "status": "InProgress"}]}),
    )
    .await;
    let id = c["_id"].as_str().unwrap();
    let path = format!("/api/v1/case/{id}");
    let (status, _) = send(ana(&app, Method::PATCH, &path).json(&json!({"status": "InProgress"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!((got["status"].as_str(), got["stage"].as_str()), (Some("InProgress"), Some("InProgress")));
    assert!(got["inProgressDate"].is_i64());
    // Close with a TheHive 5 closing status, summary and impact.
    let (status, body) = send(
        ana(&app, Method::PATCH, &path)
            .json(&json!({"status": "TruePositive", "summary": "done", "impactStatus": "WithImpact"})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!((got["status"].as_str(), got["stage"].as_str()), (Some("TruePositive"), Some("Closed")));
    assert_eq!(got["impactStatus"], "WithImpact");
    assert!(got["endDate"].is_i64() && got["closedDate"].is_i64(), "{got}");
    // Closing closed the open tasks (TheHive 4 semantics).
    let (_, tasks) = send(ana(&app, Method::GET, &format!("{path}/task"))).await;
    let statuses: Vec<&str> = tasks.as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["Cancel", "Completed"]);
    // Reopen.
    let (status, _) = send(ana(&app, Method::PATCH, &path).json(&json!({"status": "InProgress"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(got["stage"], "InProgress");
    assert!(got.get("endDate").is_none() && got.get("closedDate").is_none(), "{got}");
    // TheHive 4 spelling: Resolved + resolutionStatus.
    let (status, _) =
        send(ana(&app, Method::PATCH, &path).json(&json!({"status": "Resolved", "resolutionStatus": "FalsePositive"})))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!((got["status"].as_str(), got["stage"].as_str()), (Some("FalsePositive"), Some("Closed")));
    // Unknown status.
    let (status, body) = send(ana(&app, Method::PATCH, &path).json(&json!({"status": "Bogus"}))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    assert_eq!(body["errors"][0]["name"], "status");
    // Created closed.
    let closed = create_case(&app, json!({"title": "t", "description": "d", "status": "Duplicated"})).await;
    assert_eq!(closed["stage"], "Closed");
}

async fn case_bad_input_changes_nothing(app: TestApp) {
    soc(&app).await;
    let bad = [
        (json!({"description": "d"}), "title"),
        (json!({"title": "t"}), "description"),
        (json!({"title": 5, "description": "d"}), "title"),
        (json!({"title": "t", "description": "d", "severity": 5}), "severity"),
        (json!({"title": "t", "description": "d", "severity": "high"}), "severity"),
        (json!({"title": "t", "description": "d", "tlp": 5}), "tlp"),
        (json!({"title": "t", "description": "d", "pap": 4}), "pap"),
        (json!({"title": "t", "description": "d", "flag": "maybe"}), "flag"),
        (json!({"title": "t", "description": "d", "tags": "x,y".split(',').map(|_| 1).collect::<Vec<_>>()}), "tags"),
        (json!({"title": "t", "description": "d", "startDate": "yesterday"}), "startDate"),
        (json!({"title": "t", "description": "d", "impactStatus": "Huge"}), "impactStatus"),
        (json!({"title": "t", "description": "d", "status": "Nope"}), "status"),
        (json!({"title": "t", "description": "d", "caseTemplate": "missing"}), "caseTemplate"),
        (json!({"title": "t", "description": "d", "customFields": {"nope": 1}}), "customFields.nope"),
        (json!({"title": "t", "description": "d", "assignee": "nobody@soc.test"}), "assignee"),
        (json!({"title": "t", "description": "d", "tasks": [{"title": "ok"}, {"group": "g"}]}), "tasks[1].title"),
        (json!({"title": "t", "description": "d", "tasks": [{"title": "x", "status": "Done"}]}), "tasks[0].status"),
    ];
    for (body, field) in bad {
        let (status, resp) = send(ana(&app, Method::POST, "/api/v1/case").json(&body)).await;
        assert_error(status, &resp, 400, "AttributeCheckingError");
        assert_eq!(resp["errors"][0]["name"], field, "{body} → {resp}");
    }
    assert_eq!(case_count(&app).await, 0, "nothing stored");
    // A later good create still gets number 1: failed creations consumed nothing visible.
    let c = create_case(&app, json!({"title": "t", "description": "d"})).await;
    assert_eq!(c["number"], 1);
    // A bad PATCH changes nothing, even the valid fields sent with it.
    let path = format!("/api/v1/case/{}", c["_id"].as_str().unwrap());
    let (status, resp) = send(ana(&app, Method::PATCH, &path).json(&json!({"title": "changed", "tlp": 9}))).await;
    assert_error(status, &resp, 400, "AttributeCheckingError");
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(got["title"], "t");
    // Malformed JSON.
    let (status, resp) =
        send(ana(&app, Method::POST, "/api/v1/case").header("content-type", "application/json").body("{\"title\":"))
            .await;
    assert_error(status, &resp, 400, "BadRequest");
}

async fn case_visibility_and_permissions(app: TestApp) {
    soc(&app).await;
    app.create_org("other").await;
    app.create_user("eve@other.test", "other", "org-admin").await;
    app.create_user("ro@soc.test", "soc", "read-only").await;
    let c = create_case(&app, json!({"title": "secret", "description": "d"})).await;
    let path = format!("/api/v1/case/{}", c["_id"].as_str().unwrap());
    let eve = |m: Method, p: &str| app.as_user(m, p, "eve@other.test", &password_of("eve@other.test"));
    let ro = |m: Method, p: &str| app.as_user(m, p, "ro@soc.test", &password_of("ro@soc.test"));
    // Another organisation cannot see it, by id or by number, nor write it.
    for p in [path.as_str(), "/api/v1/case/1", &format!("{path}/timeline")] {
        let (status, body) = send(eve(Method::GET, p)).await;
        assert_error(status, &body, 404, "NotFoundError");
    }
    let (status, body) = send(eve(Method::PATCH, &path).json(&json!({"title": "x"}))).await;
    assert_error(status, &body, 404, "NotFoundError");
    let (status, body) = send(eve(Method::DELETE, &path)).await;
    assert_error(status, &body, 404, "NotFoundError");
    let (_, list) = send(eve(Method::GET, "/api/v1/case")).await;
    assert_eq!(list, json!([]));
    // The platform admin organisation sees no case data.
    let (status, _) = send(app.as_admin(Method::GET, &path)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A read-only member sees the case but cannot write.
    let (status, got) = send(ro(Method::GET, &path)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["userPermissions"], json!([]));
    let (status, body) = send(ro(Method::PATCH, &path).json(&json!({"title": "x"}))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (status, body) = send(ro(Method::POST, "/api/v1/case").json(&json!({"title": "t", "description": "d"}))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (status, body) = send(ro(Method::DELETE, &path)).await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(got["title"], "secret");
    // Unauthenticated.
    let (status, _) = send(app.client.get(app.url(&path))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn case_bulk_update(app: TestApp) {
    soc(&app).await;
    let a = create_case(&app, json!({"title": "a", "description": "d"})).await;
    let b = create_case(&app, json!({"title": "b", "description": "d"})).await;
    let ids = json!([a["_id"], b["_id"]]);
    let (status, body) =
        send(ana(&app, Method::PATCH, "/api/v1/case/_bulk").json(&json!({"ids": ids, "severity": 1, "flag": true})))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for c in [&a, &b] {
        let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}", c["_id"].as_str().unwrap()))).await;
        assert_eq!((got["severity"].as_i64(), got["flag"].as_bool()), (Some(1), Some(true)));
    }
    // One invisible id: nothing changes.
    let (status, body) = send(
        ana(&app, Method::PATCH, "/api/v1/case/_bulk").json(&json!({"ids": [a["_id"], "~999999"], "severity": 4})),
    )
    .await;
    assert_error(status, &body, 404, "NotFoundError");
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}", a["_id"].as_str().unwrap()))).await;
    assert_eq!(got["severity"], 1);
    let (status, body) = send(ana(&app, Method::PATCH, "/api/v1/case/_bulk").json(&json!({"severity": 4}))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
}

async fn case_delete_cascades(app: TestApp) {
    soc(&app).await;
    let c = create_case(
        &app,
        json!({"title": "t", "description": "d", "tasks": [{"title": "a"}], "pages": [{"title": "p", "content": "x", "category": "c"}]}),
    )
    .await;
    let id = c["_id"].as_str().unwrap();
    let (_, tasks) = send(ana(&app, Method::GET, &format!("/api/v1/case/{id}/task"))).await;
    let task_id = tasks[0]["_id"].as_str().unwrap().to_owned();
    let (status, log) =
        send(ana(&app, Method::POST, &format!("/api/v1/task/{task_id}/log")).json(&json!({"message": "hello"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{log}");
    let (status, comment) =
        send(ana(&app, Method::POST, &format!("/api/v1/case/{id}/comment")).json(&json!({"message": "hi"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    let boundary = "b0undary";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"x.bin\"\r\n\r\nunique-bytes-4711\r\n--{boundary}--\r\n"
    );
    let (status, added) = send(
        ana(&app, Method::POST, &format!("/api/v1/log/{}/attachments", log["_id"].as_str().unwrap()))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{added}");
    let download = format!("/api/v1/attachment/{}/download", added["attachments"][0]["id"].as_str().unwrap());
    let (status, _) = send(ana(&app, Method::GET, &download)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/case/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &download)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the log's attachment went with the case");
    for p in [
        format!("/api/v1/case/{id}/page"),
        format!("/api/v1/task/{task_id}"),
        format!("/api/v1/log/{}", log["_id"].as_str().unwrap()),
        format!("/api/v1/comment/{}", comment["_id"].as_str().unwrap()),
    ] {
        let (status, body) = send(ana(&app, Method::GET, &p)).await;
        assert_error(status, &body, 404, "NotFoundError");
    }
}

/// Runs one SQL statement against the test's database, outside the server: the only way to
/// give another organisation a share until case sharing has its API.
async fn sql(app: &TestApp, statement: &str) {
    use sqlx::Connection;
    match app.backend {
        waggle::storage::Backend::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).execute(&mut c).await.unwrap();
        }
        waggle::storage::Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
            sqlx::query(statement).execute(&mut c).await.unwrap();
        }
    }
}

/// The entity rule (spec §6.1): on a case shared with profile `read-only`, even the other
/// organisation's org-admin may read but not write; with `analyst` it may.
async fn share_profile_limits_writes(app: TestApp) {
    soc(&app).await;
    app.create_org("partner").await;
    app.create_user("boss@partner.test", "partner", "org-admin").await;
    let c = create_case(&app, json!({"title": "shared", "description": "d", "tasks": [{"title": "t"}]})).await;
    let path = format!("/api/v1/case/{}", c["_id"].as_str().unwrap());
    let boss = |m: Method, p: &str| app.as_user(m, p, "boss@partner.test", &password_of("boss@partner.test"));
    let (status, _) = send(boss(Method::GET, &path)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    sql(
        &app,
        "INSERT INTO share (case_id, organisation_id, profile_id, owner, created_by, created_at) \
         SELECT c.id, o.id, p.id, FALSE, 'test', 0 FROM cases c, organisation o, profile p \
         WHERE c.number = 1 AND o.name = 'partner' AND p.name = 'read-only'",
    )
    .await;
    let (status, got) = send(boss(Method::GET, &path)).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["userPermissions"], json!([]), "nothing granted through a read-only share");
    let (status, body) = send(boss(Method::PATCH, &path).json(&json!({"title": "x"}))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (status, body) = send(boss(Method::POST, &format!("{path}/task")).json(&json!({"title": "x"}))).await;
    assert_error(status, &body, 403, "AuthorizationError");
    // The owner's tasks are not shared with the partner: it sees none.
    let (_, tasks) = send(boss(Method::GET, &format!("{path}/task"))).await;
    assert_eq!(tasks, json!([]));
    sql(
        &app,
        "UPDATE share SET profile_id = (SELECT id FROM profile WHERE name = 'analyst') \
         WHERE organisation_id = (SELECT id FROM organisation WHERE name = 'partner')",
    )
    .await;
    let (status, body) = send(boss(Method::PATCH, &path).json(&json!({"title": "edited by partner"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Only the owner may delete (the partner sees the case, so this is a 403, not a 404).
    let (status, body) = send(boss(Method::DELETE, &path)).await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(got["title"], "edited by partner");
}
