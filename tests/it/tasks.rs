//! Tasks and task logs: CRUD, status side effects, bulk update, action required, logs,
//! permissions and visibility.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::cases::{ANALYST, ana, create_case, soc};
use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(task_crud, task_status_side_effects, task_bulk_and_action_required, task_logs, task_permissions);

async fn task_crud(app: TestApp) {
    soc(&app).await;
    let c = create_case(&app, json!({"title": "t", "description": "d"})).await;
    let case_id = c["_id"].as_str().unwrap();
    let (status, created) = send(ana(&app, Method::POST, &format!("/api/v1/case/{case_id}/task")).json(&json!({
        "title": "Collect headers", "group": "triage", "description": "all of them", "order": 2,
        "flag": true, "dueDate": 1_900_000_000_000_i64, "assignee": ANALYST, "mandatory": true
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["_type"], "Task");
    assert_eq!(created["group"], "triage");
    assert_eq!(created["status"], "Waiting");
    assert_eq!(created["order"], 2);
    assert_eq!(created["mandatory"], true);
    assert_eq!(created["extraData"], json!({}));
    assert!(created.get("startDate").is_none());
    let id = created["_id"].as_str().unwrap();
    let (status, got) = send(ana(&app, Method::GET, &format!("/api/v1/task/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created);
    // TheHive 4's POST /task with caseId, and defaults.
    let (status, t2) =
        send(ana(&app, Method::POST, "/api/v1/task").json(&json!({"title": "second", "caseId": case_id}))).await;
    assert_eq!(status, StatusCode::CREATED, "{t2}");
    assert_eq!(t2["group"], "default");
    assert_eq!(t2["order"], 0);
    // List by case: ordered by `order`.
    let (_, list) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/task"))).await;
    let titles: Vec<&str> = list.as_array().unwrap().iter().map(|t| t["title"].as_str().unwrap()).collect();
    assert_eq!(titles, vec!["second", "Collect headers"]);
    let (_, all) = send(ana(&app, Method::GET, "/api/v1/task")).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    // Update.
    let (status, _) = send(
        ana(&app, Method::PATCH, &format!("/api/v1/task/{id}"))
            .json(&json!({"title": "Collect all headers", "assignee": null, "description": null, "order": 0})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/task/{id}"))).await;
    assert_eq!(got["title"], "Collect all headers");
    assert!(got.get("assignee").is_none() && got.get("description").is_none(), "{got}");
    // Bad input.
    for (body, field) in [
        (json!({"status": "Done"}), "status"),
        (json!({"title": ""}), "title"),
        (json!({"order": "first"}), "order"),
        (json!({"assignee": "stranger@x.test"}), "assignee"),
        (json!({"dueDate": true}), "dueDate"),
    ] {
        let (status, resp) = send(ana(&app, Method::PATCH, &format!("/api/v1/task/{id}")).json(&body)).await;
        assert_error(status, &resp, 400, "AttributeCheckingError");
        assert_eq!(resp["errors"][0]["name"], field, "{resp}");
    }
    let (status, resp) =
        send(ana(&app, Method::POST, &format!("/api/v1/case/{case_id}/task")).json(&json!({"group": "g"}))).await;
    assert_error(status, &resp, 400, "AttributeCheckingError");
    // Delete.
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/task/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = send(ana(&app, Method::GET, &format!("/api/v1/task/{id}"))).await;
    assert_error(status, &body, 404, "NotFoundError");
    // The case timeline has the task's story.
    let (_, tl) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/timeline"))).await;
    let kinds: Vec<&str> = tl["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["TaskDeleted", "TaskUpdated", "TaskCreated", "TaskCreated", "CaseCreated"]);
}

async fn task_status_side_effects(app: TestApp) {
    soc(&app).await;
    let c =
        create_case(&app, json!({"title": "t", "description": "d", "assignee": ANALYST, "tasks": [{"title": "x"}]}))
            .await;
    let (_, list) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}/task", c["_id"].as_str().unwrap()))).await;
    let path = format!("/api/v1/task/{}", list[0]["_id"].as_str().unwrap());
    let (status, _) = send(ana(&app, Method::PATCH, &path).json(&json!({"status": "InProgress"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert!(got["startDate"].is_i64(), "{got}");
    assert_eq!(got["assignee"], ANALYST, "starting a task takes it");
    assert!(got.get("endDate").is_none());
    let (status, _) = send(ana(&app, Method::PATCH, &path).json(&json!({"status": "Completed"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(got["status"], "Completed");
    assert!(got["endDate"].as_i64().unwrap() >= got["startDate"].as_i64().unwrap());
}

async fn task_bulk_and_action_required(app: TestApp) {
    soc(&app).await;
    let c =
        create_case(&app, json!({"title": "t", "description": "d", "tasks": [{"title": "a"}, {"title": "b"}]})).await;
    let (_, list) = send(ana(&app, Method::GET, &format!("/api/v1/case/{}/task", c["_id"].as_str().unwrap()))).await;
    let ids: Vec<String> = list.as_array().unwrap().iter().map(|t| t["_id"].as_str().unwrap().to_owned()).collect();
    let (status, body) =
        send(ana(&app, Method::PATCH, "/api/v1/task/_bulk").json(&json!({"ids": ids, "group": "bulk", "flag": true})))
            .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for id in &ids {
        let (_, t) = send(ana(&app, Method::GET, &format!("/api/v1/task/{id}"))).await;
        assert_eq!((t["group"].as_str(), t["flag"].as_bool()), (Some("bulk"), Some(true)));
    }
    let path = format!("/api/v1/task/{}", ids[0]);
    let (_, flags) = send(ana(&app, Method::GET, &format!("{path}/actionRequired"))).await;
    assert_eq!(flags, json!({"soc": false}));
    let (status, _) = send(ana(&app, Method::PUT, &format!("{path}/actionRequired/soc"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, flags) = send(ana(&app, Method::GET, &format!("{path}/actionRequired"))).await;
    assert_eq!(flags, json!({"soc": true}));
    let (status, _) = send(ana(&app, Method::PUT, &format!("{path}/actionDone/soc"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, flags) = send(ana(&app, Method::GET, &format!("{path}/actionRequired"))).await;
    assert_eq!(flags, json!({"soc": false}));
    // An organisation that does not share the case.
    app.create_org("other").await;
    let (status, body) = send(ana(&app, Method::PUT, &format!("{path}/actionRequired/other"))).await;
    assert_error(status, &body, 404, "NotFoundError");
}

async fn task_logs(app: TestApp) {
    soc(&app).await;
    let c = create_case(&app, json!({"title": "t", "description": "d", "tasks": [{"title": "a"}]})).await;
    let case_id = c["_id"].as_str().unwrap();
    let (_, list) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/task"))).await;
    let task = list[0]["_id"].as_str().unwrap().to_owned();
    let (status, created) = send(
        ana(&app, Method::POST, &format!("/api/v1/task/{task}/log"))
            .json(&json!({"message": "# Found it", "includeInTimeline": 1_700_000_000_000_i64})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["_type"], "Log");
    assert_eq!(created["message"], "# Found it");
    assert_eq!(created["owner"], ANALYST);
    assert_eq!(created["includeInTimeline"], 1_700_000_000_000_i64);
    assert_eq!(created["date"], created["_createdAt"]);
    let id = created["_id"].as_str().unwrap();
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/log/{id}"))).await;
    assert_eq!(got, created);
    // Multipart with `_json` (as thehive4py sends when it has files); without a file part.
    let (ct, form) = multipart(&[("_json", None, json!({"message": "from multipart"}).to_string().as_bytes())]);
    let (status, mp) =
        send(ana(&app, Method::POST, &format!("/api/v1/task/{task}/log")).header("content-type", ct).body(form)).await;
    assert_eq!(status, StatusCode::CREATED, "{mp}");
    assert_eq!(mp["message"], "from multipart");
    // A file part (4.x `attachment`, 5.x `attachments`) becomes an attachment of the log.
    let (ct, form) = multipart(&[
        ("_json", Some("_json"), json!({"message": "with file"}).to_string().as_bytes()),
        ("attachments", Some("a.txt"), b"abc"),
    ]);
    let (status, with_file) =
        send(ana(&app, Method::POST, &format!("/api/v1/task/{task}/log")).header("content-type", ct).body(form)).await;
    assert_eq!(status, StatusCode::CREATED, "{with_file}");
    let att = &with_file["attachments"][0];
    assert_eq!((att["name"].as_str(), att["size"].as_i64()), (Some("a.txt"), Some(3)));
    let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert_eq!(att["id"], sha);
    assert_eq!(with_file["attachment"], *att, "4.x single attachment");
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/log/{}", with_file["_id"].as_str().unwrap()))).await;
    assert_eq!(got, with_file);
    let download = format!("/api/v1/attachment/{sha}/download");
    let resp = ana(&app, Method::GET, &download).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"abc");
    // Added and removed later through /log/{id}/attachments.
    let with_file_path = format!("/api/v1/log/{}/attachments", with_file["_id"].as_str().unwrap());
    let (ct, form) = multipart(&[("attachments", Some("b.txt"), b"second")]);
    let (status, added) = send(ana(&app, Method::POST, &with_file_path).header("content-type", ct).body(form)).await;
    assert_eq!(status, StatusCode::OK, "{added}");
    assert_eq!(added["attachments"].as_array().unwrap().len(), 2);
    let (status, _) = send(ana(&app, Method::DELETE, &format!("{with_file_path}/{sha}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &download)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unused content is collected");
    let (_, logs) = send(ana(&app, Method::GET, &format!("/api/v1/task/{task}/log"))).await;
    assert_eq!(logs.as_array().unwrap().len(), 3);
    assert_eq!(logs[2]["attachments"][0]["name"], "b.txt");
    // Update and delete.
    let (status, _) =
        send(ana(&app, Method::PATCH, &format!("/api/v1/log/{id}")).json(&json!({"message": "edited"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/log/{id}"))).await;
    assert_eq!(got["message"], "edited");
    assert_eq!(got["_updatedBy"], ANALYST);
    let (status, body) = send(ana(&app, Method::POST, &format!("/api/v1/task/{task}/log")).json(&json!({}))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    assert_eq!(body["errors"][0]["name"], "message");
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/log/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &format!("/api/v1/log/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, tl) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/timeline"))).await;
    let kinds: Vec<&str> = tl["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[..3], ["LogDeleted", "LogUpdated", "AttachmentDeleted"]);
}

async fn task_permissions(app: TestApp) {
    soc(&app).await;
    app.create_org("other").await;
    app.create_user("eve@other.test", "other", "analyst").await;
    app.create_user("ro@soc.test", "soc", "read-only").await;
    let c = create_case(&app, json!({"title": "t", "description": "d", "tasks": [{"title": "a"}]})).await;
    let case_id = c["_id"].as_str().unwrap();
    let (_, list) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/task"))).await;
    let task = list[0]["_id"].as_str().unwrap().to_owned();
    let eve = |m: Method, p: &str| app.as_user(m, p, "eve@other.test", &password_of("eve@other.test"));
    let ro = |m: Method, p: &str| app.as_user(m, p, "ro@soc.test", &password_of("ro@soc.test"));
    for (m, p, body) in [
        (Method::GET, format!("/api/v1/task/{task}"), None),
        (Method::PATCH, format!("/api/v1/task/{task}"), Some(json!({"title": "x"}))),
        (Method::DELETE, format!("/api/v1/task/{task}"), None),
        (Method::POST, format!("/api/v1/case/{case_id}/task"), Some(json!({"title": "x"}))),
        (Method::POST, format!("/api/v1/task/{task}/log"), Some(json!({"message": "x"}))),
        (Method::GET, format!("/api/v1/case/{case_id}/task"), None),
    ] {
        let mut req = eve(m.clone(), &p);
        if let Some(b) = &body {
            req = req.json(b);
        }
        let (status, resp) = send(req).await;
        assert_error(status, &resp, 404, "NotFoundError");
        let mut req = ro(m.clone(), &p);
        if let Some(b) = &body {
            req = req.json(b);
        }
        let (status, resp) = send(req).await;
        if m == Method::GET {
            assert_eq!(status, StatusCode::OK, "{p}: {resp}");
        } else {
            assert_error(status, &resp, 403, "AuthorizationError");
        }
    }
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/task/{task}"))).await;
    assert_eq!(got["title"], "a");
}

/// A multipart/form-data body from `(name, file name, bytes)` parts: (content type, body).
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "waggle-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
