//! Malformed queries are 400 `BadRequest` naming the offending part, never a 500, and
//! a query can neither return unbounded lists nor run unbounded.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use waggle::storage::Backend;

use super::fixture::{ALICE, As, query, request, seed};
use crate::harness::{TestApp, assert_error, send};

crate::backend_tests!(malformed_queries);

async fn malformed_queries(app: TestApp) {
    seed(&app).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({}), "missing \"query\""),
        (json!({"query": []}), "empty"),
        (json!({"query": "listCase"}), "array"),
        (json!({"query": [{"_name": "listFoo"}]}), "listFoo"),
        (json!({"query": [{"name": "listCase"}]}), "_name"),
        (json!({"query": [{"_name": "listCase"}, {"_name": "logs"}]}), "logs"),
        (json!({"query": [{"_name": "filter"}]}), "filter"),
        (
            json!({"query": [{"_name": "listCase"}, {"_name": "filter", "_eq": {"_field": "nope", "_value": 1}}]}),
            "nope",
        ),
        (json!({"query": [{"_name": "listCase"}, {"_name": "sort", "_fields": [{"nope": "asc"}]}]}), "nope"),
        (json!({"query": [{"_name": "listCase"}, {"_name": "sort", "_fields": [{"title": "up"}]}]}), "up"),
        (json!({"query": [{"_name": "listCase"}, {"_name": "page", "from": 5, "to": 1}]}), "\"to\""),
        (json!({"query": [{"_name": "listCase"}, {"_name": "page", "from": -1, "to": 1}]}), "from"),
        (json!({"query": [{"_name": "listCase"}, {"_name": "page", "from": 0, "to": 1000000}]}), "at most"),
        (json!({"query": [{"_name": "listCase"}, {"_name": "filter", "_id": "123"}]}), "_id"),
        (json!({"query": [{"_name": "listCaseTemplate"}, {"_name": "tasks"}]}), "tasks"),
        (json!({"query": [{"_name": "listCase"}, {"_name": "filter", "_string": "a ".repeat(50)}]}), "terms"),
        (json!({"query": [{"_name": "getCase", "idOrName": ""}]}), "idOrName"),
        (json!({"query": [{"_name": "listCase"}, {"_name": "count"}, {"_name": "count"}]}), "count"),
    ];
    for (body, needle) in cases {
        let (status, answer) = send(request(&app, As::User(ALICE), Method::POST, "/api/v1/query").json(&body)).await;
        assert_error(status, &answer, 400, "BadRequest");
        assert!(answer["message"].as_str().unwrap().contains(needle), "{body}: {answer}");
    }
    // Nested beyond the parser's limit.
    let mut deep = json!({"_any": {}});
    for _ in 0..200 {
        deep = json!({"_not": deep});
    }
    let (status, answer) =
        query(&app, As::User(ALICE), json!([{"_name": "listCase"}, {"_name": "filter", "_not": deep}])).await;
    assert_error(status, &answer, 400, "BadRequest");
    // Not JSON at all.
    let (status, answer) = send(
        request(&app, As::User(ALICE), Method::POST, "/api/v1/query")
            .header("content-type", "application/json")
            .body("{\"query\": ["),
    )
    .await;
    assert_error(status, &answer, 400, "BadRequest");
}

/// With `max_results = 3`, an unpaged list of 4 cases is refused with a hint, a page of 3
/// is fine, a page of 4 is refused; `limitedCount` stops at the threshold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_sqlite() {
    limits(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_postgres() {
    limits(Backend::Postgres).await
}

async fn limits(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |c| {
        c.query.max_results = 3;
        c.query.limited_count_threshold = 2;
    })
    .await
    else {
        return;
    };
    seed(&app).await;
    let (status, body) = query(&app, As::User(ALICE), json!([{"_name": "listCase"}])).await;
    assert_error(status, &body, 400, "BadRequest");
    assert!(body["message"].as_str().unwrap().contains("page"), "{body}");
    let (status, body) =
        query(&app, As::User(ALICE), json!([{"_name": "listCase"}, {"_name": "page", "from": 0, "to": 3}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 3);
    let (status, body) =
        query(&app, As::User(ALICE), json!([{"_name": "listCase"}, {"_name": "page", "from": 0, "to": 4}])).await;
    assert_error(status, &body, 400, "BadRequest");
    // Three fit: an unpaged list of exactly max_results is answered.
    let (status, body) =
        query(&app, As::User(ALICE), json!([{"_name": "listCase"}, {"_name": "filter", "_ne": {"severity": 4}}])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 3);
    let (_, body) = query(&app, As::User(ALICE), json!([{"_name": "listCase"}, {"_name": "limitedCount"}])).await;
    assert_eq!(body, json!(-2));
    let (_, body) = query(&app, As::User(ALICE), json!([{"_name": "listCase"}, {"_name": "count"}])).await;
    assert_eq!(body, json!(4));
    let resp = request(&app, As::User(ALICE), Method::POST, "/api/v1/query")
        .json(&json!({"query": [{"_name": "listCase"}, {"_name": "page", "from": 0, "to": 1, "extraData": ["total"]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-total"], "-2");
}

/// The statement timeout stops a long statement with an error the service maps to 400.
/// (The statement is a recursive count to 10^9, which no machine finishes in 50 ms.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_sqlite() {
    statement_timeout(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_postgres() {
    statement_timeout(Backend::Postgres).await
}

async fn statement_timeout(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let url = waggle::storage::DatabaseUrl::parse(&app.database_url).unwrap();
    let store = waggle::storage::open(&url, waggle::storage::SqliteSync::Normal, 2).await.unwrap();
    let long = "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000) \
                SELECT COUNT(*) FROM n";
    let mut tx = store.read().await.unwrap();
    waggle::storage::query::limit_duration(&mut tx, Duration::from_millis(50)).await.unwrap();
    let err = tx.fetch_i64(long, vec![]).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    drop(tx);
    // The connection goes back to the pool disarmed: later statements run normally.
    for _ in 0..4 {
        let mut tx = store.read().await.unwrap();
        let n = tx
            .fetch_i64(
                "WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
                 SELECT COUNT(*) FROM n",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(n, 100000);
    }
    store.close().await;
}
