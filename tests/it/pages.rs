//! Case pages, knowledge-base pages, page templates and case comments.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::cases::{ANALYST, ana, create_case, soc};
use crate::harness::{TestApp, assert_error, password_of, send};

crate::backend_tests!(case_page_crud, knowledge_base_pages, comment_crud);

async fn case_page_crud(app: TestApp) {
    soc(&app).await;
    let c = create_case(&app, json!({"title": "t", "description": "d"})).await;
    let case_id = c["_id"].as_str().unwrap();
    let base = format!("/api/v1/case/{case_id}/page");
    let (status, p) = send(
        ana(&app, Method::POST, &base)
            .json(&json!({"title": "Notes", "content": "# hi", "category": "work", "order": 3})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["_type"], "Page");
    assert_eq!((p["title"].as_str(), p["order"].as_i64()), (Some("Notes"), Some(3)));
    let page = format!("{base}/{}", p["_id"].as_str().unwrap());
    let (_, got) = send(ana(&app, Method::GET, &page)).await;
    assert_eq!(got, p);
    let (status, _) = send(ana(&app, Method::PATCH, &page).json(&json!({"content": "# changed"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = send(ana(&app, Method::GET, &base)).await;
    assert_eq!(list[0]["content"], "# changed");
    assert_eq!(list[0]["title"], "Notes");
    let (status, body) = send(ana(&app, Method::POST, &base).json(&json!({"content": "x"}))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    assert_eq!(body["errors"][0]["name"], "title");
    // Read-only members and other organisations.
    app.create_user("ro@soc.test", "soc", "read-only").await;
    let (status, body) = send(
        app.as_user(Method::PATCH, &page, "ro@soc.test", &password_of("ro@soc.test")).json(&json!({"title": "x"})),
    )
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    app.create_org("other").await;
    app.create_user("eve@other.test", "other", "analyst").await;
    let (status, _) = send(app.as_user(Method::GET, &page, "eve@other.test", &password_of("eve@other.test"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(ana(&app, Method::DELETE, &page)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = send(ana(&app, Method::GET, &base)).await;
    assert_eq!(list, json!([]));
    let (_, tl) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/timeline"))).await;
    let kinds: Vec<&str> = tl["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["PageDeleted", "PageUpdated", "PageCreated", "CaseCreated"]);
}

async fn knowledge_base_pages(app: TestApp) {
    soc(&app).await;
    let (status, p) = send(
        ana(&app, Method::POST, "/api/v1/page")
            .json(&json!({"title": "Phishing Playbook", "content": "1. ...", "category": "playbooks"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["slug"], "phishing_playbook");
    let id = p["_id"].as_str().unwrap();
    let (_, got) = send(ana(&app, Method::GET, &format!("/api/v1/page/{id}"))).await;
    assert_eq!(got, p);
    let (_, by_slug) = send(ana(&app, Method::GET, "/api/v1/page/phishing_playbook")).await;
    assert_eq!(by_slug, p);
    let (status, _) =
        send(ana(&app, Method::PATCH, &format!("/api/v1/page/{id}")).json(&json!({"title": "Phishing"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = send(ana(&app, Method::GET, "/api/v1/page")).await;
    assert_eq!(list[0]["title"], "Phishing");
    // Organisation-private.
    app.create_org("other").await;
    app.create_user("eve@other.test", "other", "analyst").await;
    let (_, theirs) =
        send(app.as_user(Method::GET, "/api/v1/page", "eve@other.test", &password_of("eve@other.test"))).await;
    assert_eq!(theirs, json!([]));
    app.create_user("ro@soc.test", "soc", "read-only").await;
    let (status, body) = send(
        app.as_user(Method::POST, "/api/v1/page", "ro@soc.test", &password_of("ro@soc.test"))
            .json(&json!({"title": "x"})),
    )
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (status, _) = send(ana(&app, Method::DELETE, &format!("/api/v1/page/{id}"))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &format!("/api/v1/page/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn comment_crud(app: TestApp) {
    soc(&app).await;
    app.create_user("bob@soc.test", "soc", "analyst").await;
    let c = create_case(&app, json!({"title": "t", "description": "d"})).await;
    let case_id = c["_id"].as_str().unwrap();
    let (status, cm) =
        send(ana(&app, Method::POST, &format!("/api/v1/case/{case_id}/comment")).json(&json!({"message": "first!"})))
            .await;
    assert_eq!(status, StatusCode::CREATED, "{cm}");
    assert_eq!(cm["_type"], "Comment");
    assert_eq!(cm["createdBy"], ANALYST);
    assert_eq!(cm["isEdited"], false);
    let path = format!("/api/v1/comment/{}", cm["_id"].as_str().unwrap());
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(got, cm);
    let (status, _) = send(ana(&app, Method::PATCH, &path).json(&json!({"message": "edited"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/comment"))).await;
    assert_eq!(list[0]["message"], "edited");
    assert_eq!(list[0]["isEdited"], true);
    // Someone else's comment cannot be changed; empty messages are refused.
    let (status, body) = send(
        app.as_user(Method::PATCH, &path, "bob@soc.test", &password_of("bob@soc.test")).json(&json!({"message": "x"})),
    )
    .await;
    assert_error(status, &body, 403, "AuthorizationError");
    let (status, body) = send(ana(&app, Method::PATCH, &path).json(&json!({"message": ""}))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    let (status, _) = send(ana(&app, Method::DELETE, &path)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, tl) = send(ana(&app, Method::GET, &format!("/api/v1/case/{case_id}/timeline"))).await;
    assert_eq!(tl["events"][0]["kind"], "CommentDeleted");
    // Alert comments are changed through the same `/comment/{id}` routes.
    let (status, alert) = send(ana(&app, Method::POST, "/api/v1/alert").json(&json!({
        "type": "siem", "source": "test", "sourceRef": "r1", "title": "a", "description": "d"
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{alert}");
    let alert_id = alert["_id"].as_str().unwrap();
    let (status, ac) = send(
        ana(&app, Method::POST, &format!("/api/v1/alert/{alert_id}/comment")).json(&json!({"message": "on alert"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{ac}");
    let path = format!("/api/v1/comment/{}", ac["_id"].as_str().unwrap());
    let (status, body) = send(ana(&app, Method::PATCH, &path).json(&json!({"message": "alert edited"}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, got) = send(ana(&app, Method::GET, &path)).await;
    assert_eq!((got["message"].as_str(), got["isEdited"].as_bool()), (Some("alert edited"), Some(true)));
    let (status, _) = send(ana(&app, Method::DELETE, &path)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = send(ana(&app, Method::GET, &format!("/api/v1/alert/{alert_id}/comment"))).await;
    assert_eq!(list, json!([]));
}
