//! Full-text search: the global endpoint and the indexes' consistency with the data.

use reqwest::Method;
use serde_json::{Value, json};

use super::fixture::{ALICE, As, BOB, exec, request, seed};
use crate::harness::{TestApp, assert_error, send};

crate::backend_tests!(global_search, index_follows_changes, rows_changed_before_their_batch_commits, search_errors);

async fn search(app: &TestApp, who: As, params: &str) -> Vec<(String, String)> {
    let (status, body) = send(request(app, who, Method::GET, &format!("/api/v1/search?{params}"))).await;
    assert_eq!(status, 200, "{params}: {body}");
    hits(&body)
}

fn hits(body: &Value) -> Vec<(String, String)> {
    let hits = body.as_array().unwrap_or_else(|| panic!("array expected: {body}"));
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "ranked: {body}");
    hits.iter().map(|h| (h["_type"].as_str().unwrap().to_owned(), h["_id"].as_str().unwrap().to_owned())).collect()
}

fn pair(t: &str, id: &str) -> (String, String) {
    (t.to_owned(), id.to_owned())
}

async fn global_search(app: TestApp) {
    seed(&app).await;
    let mut found = search(&app, As::User(ALICE), "q=phishing").await;
    found.sort();
    assert_eq!(found, [pair("Case", "~101"), pair("Comment", "~601")]);
    assert_eq!(search(&app, As::User(BOB), "q=phishing").await, [pair("Case", "~104")]);
    assert_eq!(search(&app, As::User(ALICE), "q=phishing&types=comment").await, [pair("Comment", "~601")]);
    assert_eq!(search(&app, As::User(ALICE), "query=198.51.100.7").await, [pair("Observable", "~301")]);
    assert_eq!(search(&app, As::User(BOB), "query=198.51.100.7").await, [pair("Observable", "~303")]);
    assert_eq!(search(&app, As::User(ALICE), "q=mailbox").await, [pair("Log", "~501")]);
    assert_eq!(search(&app, As::User(ALICE), "q=isolate").await.len(), 2, "task title and page content");
    assert_eq!(search(&app, As::Admin, "q=phishing").await, Vec::<(String, String)>::new());
    // POST with a body; phrases, prefixes, several terms, paging.
    let (status, body) = send(
        request(&app, As::User(ALICE), Method::POST, "/api/v1/search")
            .json(&json!({"query": "\"fake invoice\" mail*", "types": ["case", "alert"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(hits(&body), [pair("Case", "~101")]);
    assert_eq!(body[0]["title"], "Phishing campaign");
    assert!(body[0]["score"].as_f64().unwrap() > 0.0, "{body}");
    let (_, body) =
        send(request(&app, As::User(ALICE), Method::POST, "/api/v1/search").json(&json!({"query": "headers"}))).await;
    let log = body.as_array().unwrap().iter().find(|h| h["_type"] == "Log").unwrap().clone();
    assert_eq!(log["taskId"], "~201");
    assert_eq!(log["caseId"], "~101");
    let all = search(&app, As::User(ALICE), "q=ransomware").await;
    let paged = search(&app, As::User(ALICE), "q=ransomware&from=1&size=1").await;
    assert_eq!(paged, all[1..2]);
    assert_eq!(search(&app, As::User(ALICE), "q=--").await, Vec::<(String, String)>::new());
    assert_eq!(search(&app, As::User(ALICE), "q=NEAR(phishing)").await, Vec::<(String, String)>::new());
}

async fn index_follows_changes(app: TestApp) {
    seed(&app).await;
    exec(&app, "UPDATE cases SET description = 'Encrypted NAS appliance' WHERE id = 102").await;
    assert_eq!(search(&app, As::User(ALICE), "q=appliance").await, [pair("Case", "~102")]);
    assert_eq!(search(&app, As::User(ALICE), "q=server&types=case").await, Vec::<(String, String)>::new());
    exec(&app, "UPDATE observable SET data = '192.0.2.55' WHERE id = 302").await;
    assert_eq!(search(&app, As::User(ALICE), "q=192.0.2.55").await, [pair("Observable", "~302")]);
    assert_eq!(search(&app, As::User(ALICE), "q=evil.example").await, Vec::<(String, String)>::new());
    // Deleting a case cascades to its tasks, pages, logs: their index entries go too.
    exec(&app, "DELETE FROM cases WHERE id = 102").await;
    assert_eq!(search(&app, As::User(ALICE), "q=isolate").await, Vec::<(String, String)>::new());
    assert_eq!(search(&app, As::User(ALICE), "q=appliance").await, Vec::<(String, String)>::new());
    exec(&app, "DELETE FROM cases WHERE id = 101").await;
    assert_eq!(search(&app, As::User(ALICE), "q=mailbox").await, Vec::<(String, String)>::new());
    assert_eq!(search(&app, As::User(ALICE), "q=phishing").await, Vec::<(String, String)>::new());
    // A new row is searchable at once (same transaction as the insert).
    exec(
        &app,
        &format!(
            "INSERT INTO comment (id, alert_id, message, created_by, created_at) VALUES (602, 401, 'Brute force from Tor exit', '{ALICE}', 9000)"
        ),
    )
    .await;
    assert_eq!(search(&app, As::User(ALICE), "q=tor").await, [pair("Comment", "~602")]);
    assert_eq!(search(&app, As::User(BOB), "q=tor").await, Vec::<(String, String)>::new());
}

/// On SQLite, alerts and observables are indexed at the end of their write batch (migration
/// 0011): rows updated or deleted before that must end up indexed with their final values,
/// or not at all, and the index must stay consistent with the table.
async fn rows_changed_before_their_batch_commits(app: TestApp) {
    seed(&app).await;
    exec(
        &app,
        &format!(
            "INSERT INTO observable (id, case_id, alert_id, data_type, data, data_hash, message, ioc, start_date, tags, created_by, created_at)
             VALUES (390, NULL, 401, 'domain', 'firstname.example', 'h-390', NULL, FALSE, 1600, '[]', '{ALICE}', 1600),
                    (391, NULL, 401, 'domain', 'vanished.example', 'h-391', NULL, FALSE, 1600, '[]', '{ALICE}', 1600);
             UPDATE observable SET data = 'secondname.example' WHERE id = 390;
             DELETE FROM observable WHERE id = 391;
             UPDATE alert SET title = 'Renamed before indexing' WHERE id = 401"
        ),
    )
    .await;
    assert_eq!(search(&app, As::User(ALICE), "q=secondname.example").await, [pair("Observable", "~390")]);
    assert_eq!(search(&app, As::User(ALICE), "q=firstname.example").await, Vec::<(String, String)>::new());
    assert_eq!(search(&app, As::User(ALICE), "q=vanished.example").await, Vec::<(String, String)>::new());
    assert_eq!(search(&app, As::User(ALICE), "q=renamed&types=alert").await, [pair("Alert", "~401")]);
    // Through the API too: created, renamed and deleted by requests that may share a batch.
    let requests: Vec<_> = (0..20)
        .map(|i| {
            let req = request(&app, As::User(ALICE), Method::POST, "/api/v1/alert").json(&json!({
                "type": "siem", "source": "fts", "sourceRef": format!("fts-{i}"), "title": format!("Batchword{i} alert"),
                "description": "d", "observables": [{"dataType": "domain", "data": format!("batchhost{i}.example")}]
            }));
            tokio::spawn(send(req))
        })
        .collect();
    let mut created: Vec<Value> = Vec::new();
    for handle in requests {
        let (status, body) = handle.await.unwrap();
        assert_eq!(status, 201, "{body}");
        created.push(body);
    }
    for (i, alert) in created.iter().enumerate() {
        let id = alert["_id"].as_str().unwrap();
        assert_eq!(search(&app, As::User(ALICE), &format!("q=batchhost{i}.example")).await.len(), 1);
        if i % 2 == 0 {
            let (status, body) =
                send(request(&app, As::User(ALICE), Method::DELETE, &format!("/api/v1/alert/{id}"))).await;
            assert_eq!(status, 204, "{body}");
            assert_eq!(search(&app, As::User(ALICE), &format!("q=batchword{i}")).await, Vec::<(String, String)>::new());
        }
    }
    if app.backend == waggle::storage::Backend::Sqlite {
        // FTS5's own consistency check against the content tables; it fails the statement
        // (and so the test) on any mismatch.
        exec(
            &app,
            "INSERT INTO observable_fts (observable_fts, rank) VALUES ('integrity-check', 1);
             INSERT INTO alert_fts (alert_fts, rank) VALUES ('integrity-check', 1)",
        )
        .await;
    }
}

async fn search_errors(app: TestApp) {
    seed(&app).await;
    let (status, body) = send(request(&app, As::User(ALICE), Method::GET, "/api/v1/search")).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    assert_eq!(body["errors"][0]["name"], "query");
    let (status, body) = send(request(&app, As::User(ALICE), Method::GET, "/api/v1/search?q=x&size=1000")).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    let (status, body) = send(request(&app, As::User(ALICE), Method::GET, "/api/v1/search?q=x&types=case,nope")).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    assert_eq!(body["errors"][0]["name"], "types");
    let (status, body) =
        send(request(&app, As::User(ALICE), Method::POST, "/api/v1/search").json(&json!({"query": 5}))).await;
    assert_error(status, &body, 400, "AttributeCheckingError");
    let (status, body) = send(app.client.get(app.url("/api/v1/search?q=x"))).await;
    assert_error(status, &body, 401, "AuthenticationError");
}
