//! The benchmark's dataset generator (`waggle bench`, `src/bench/dataset.rs`) loads through
//! a connection of its own (multi-row INSERTs on SQLite, COPY on PostgreSQL). What it
//! writes must read exactly like data created through the API: visible to the right
//! organisations, counted by status from the shares, searchable, correlated, and followed
//! by API writes that get the next ids and case numbers.

use reqwest::Method;
use serde_json::{Value, json};
use waggle::args;
use waggle::bench::dataset::{self, Orgs, Shape};
use waggle::storage::{Backend, DatabaseUrl, SqliteSync, Store};

use crate::harness::{TestApp, password_of, send};

crate::backend_tests!(generated_data_reads_like_api_data);

const ANA: &str = "ana@soc.test";
const CARL: &str = "carl@cert.test";

fn id_of(v: &Value) -> i64 {
    v["_id"].as_str().and_then(|s| s.strip_prefix('~')).and_then(|s| s.parse().ok()).expect("an id")
}

async fn scalar(store: &Store, sql: &str) -> i64 {
    let mut tx = store.read().await.expect("read");
    tx.fetch_i64(sql, args![]).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn post(app: &TestApp, who: &str, path: &str, body: Value) -> (u16, Value) {
    let (status, body) = send(app.as_user(Method::POST, path, who, &password_of(who)).json(&body)).await;
    (status.as_u16(), body)
}

async fn count_cases(app: &TestApp, who: &str, filter: Option<Value>) -> i64 {
    let mut steps = vec![json!({"_name": "listCase"})];
    if let Some(f) = filter {
        steps.push(json!({"_name": "filter", "_eq": f}));
    }
    steps.push(json!({"_name": "count"}));
    let (status, body) = post(app, who, "/api/v1/query?name=count", json!({ "query": steps })).await;
    assert_eq!(status, 200, "{body}");
    body.as_i64().unwrap_or_else(|| panic!("a count: {body}"))
}

async fn generated_data_reads_like_api_data(app: TestApp) {
    let soc = id_of(&app.create_org("bench-soc").await);
    let cert = id_of(&app.create_org("bench-cert").await);
    app.create_user(ANA, "bench-soc", "analyst").await;
    app.create_user(CARL, "bench-cert", "analyst").await;
    let orgs = Orgs { soc, cert, soc_users: vec![ANA.into()], cert_users: vec![CARL.into()] };
    // Loaded in eight transactions of cases and two of queued alerts.
    let shape =
        Shape { cases: 2_000, observables_per_case: 3, tasks_per_case: 2, alerts: 200, observables_per_alert: 2 };
    let url = DatabaseUrl::parse(&app.database_url).expect("url");
    // The server is idle: nothing else writes while the loader runs.
    let written = dataset::generate(&url, &orgs, shape, 7).await.expect("generate");
    let app = app.restart().await;
    assert_eq!(written.cases, 2_000);
    assert_eq!(written.alerts, 200);

    let store = waggle::storage::open(&url, SqliteSync::Normal, 2).await.expect("open");
    // Every row is there, with its audit entries.
    assert_eq!(scalar(&store, "SELECT COUNT(*) FROM cases").await, 2_000);
    assert_eq!(scalar(&store, "SELECT COUNT(*) FROM task").await, written.tasks as i64);
    assert_eq!(scalar(&store, "SELECT COUNT(*) FROM observable").await, written.observables as i64);
    assert_eq!(scalar(&store, "SELECT COUNT(*) FROM share").await, written.shares as i64);
    assert_eq!(
        scalar(&store, &format!("SELECT COUNT(*) FROM audit WHERE created_by IN ('{ANA}', '{CARL}')")).await,
        written.audit_entries as i64
    );
    // The triggers ran for every row: full-text rows and the shares' copy of the status.
    let fts_rows = |t: &str| match app.backend {
        Backend::Sqlite => format!("SELECT COUNT(*) FROM {t}_fts_docsize"),
        Backend::Postgres => format!("SELECT COUNT(*) FROM {t}_fts"),
    };
    for table in ["cases", "task", "observable", "alert"] {
        assert_eq!(
            scalar(&store, &fts_rows(table)).await,
            scalar(&store, &format!("SELECT COUNT(*) FROM {table}")).await,
            "full-text rows of {table}"
        );
    }
    if app.backend == Backend::Sqlite {
        assert_eq!(scalar(&store, "SELECT COUNT(*) FROM fts_pending").await, 0);
    }
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM share s JOIN cases c ON c.id = s.case_id WHERE s.case_status IS DISTINCT FROM c.status")
            .await,
        0
    );

    // PostgreSQL's loader computes the full-text documents itself (the triggers are set
    // aside during the load): they must be exactly what the triggers write.
    if app.backend == Backend::Postgres {
        for (table, column) in [("cases", "title"), ("task", "title"), ("observable", "data"), ("alert", "title")] {
            let sample = format!("SELECT id FROM {table} ORDER BY id DESC LIMIT 50");
            let docs =
                format!("SELECT string_agg(md5(doc::text), ',' ORDER BY id) FROM {table}_fts WHERE id IN ({sample})");
            let read = |sql: String| {
                let store = store.clone();
                async move {
                    let mut tx = store.read().await.expect("read");
                    tx.fetch_one(&sql, args![]).await.expect("docs").get_idx::<String>(0).expect("text")
                }
            };
            let loaded = read(docs.clone()).await;
            let mut tx = store.write().await.expect("write");
            tx.execute(&format!("UPDATE {table} SET {column} = {column} WHERE id IN ({sample})"), args![])
                .await
                .expect("update");
            tx.commit().await.expect("commit");
            assert_eq!(read(docs).await, loaded, "full-text documents of {table}");
        }
    }

    // Visibility: each organisation sees its own cases and those shared with it.
    for (who, org) in [(ANA, soc), (CARL, cert)] {
        let shared = scalar(&store, &format!("SELECT COUNT(*) FROM share WHERE organisation_id = {org}")).await;
        assert!(shared > 0);
        assert_eq!(count_cases(&app, who, None).await, shared, "{who}");
        let new = scalar(
            &store,
            &format!("SELECT COUNT(*) FROM share s JOIN cases c ON c.id = s.case_id WHERE s.organisation_id = {org} AND c.status = 'New'"),
        )
        .await;
        assert_eq!(count_cases(&app, who, Some(json!({"_field": "status", "_value": "New"}))).await, new, "{who}");
    }

    // The case list page of the benchmark, with its statistics.
    let (status, page) = post(
        &app,
        ANA,
        "/api/v1/query?name=cases",
        json!({"query": [
            {"_name": "listCase"},
            {"_name": "filter", "_field": "status", "_value": "InProgress"},
            {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
            {"_name": "page", "from": 0, "to": 15, "extraData": ["observableStats", "taskStats"]}
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let rows = page.as_array().expect("rows");
    assert_eq!(rows.len(), 15);
    for row in rows {
        assert_eq!(row["status"], "InProgress");
        assert_eq!(row["extraData"]["taskStats"]["total"], 2, "{row}");
        let observables = row["extraData"]["observableStats"]["total"].as_i64().expect("observableStats");
        assert!((1..=3).contains(&observables), "{row}");
    }

    // Full text: the first and the last observable loaded are both found by their value.
    for pick in ["MIN", "MAX"] {
        let (data, case_org) = {
            let mut tx = store.read().await.expect("read");
            let row = tx
                .fetch_one(
                    &format!(
                        "SELECT o.data AS data, c.organisation_id AS org FROM observable o JOIN cases c ON c.id = o.case_id \
                         WHERE o.id = (SELECT {pick}(id) FROM observable WHERE case_id IS NOT NULL AND data_type = 'hash')"
                    ),
                    args![],
                )
                .await
                .expect("an observable");
            (row.get::<String>("data").expect("data"), row.get::<i64>("org").expect("org"))
        };
        let who = if case_org == soc { ANA } else { CARL };
        let (status, hits) =
            send(app.as_user(Method::GET, &format!("/api/v1/search?q={data}"), who, &password_of(who))).await;
        assert_eq!(status, 200, "{hits}");
        assert!(hits.as_array().is_some_and(|h| h.iter().any(|h| h["_type"] == "Observable")), "{data}: {hits}");
    }

    // Correlation: a recurring indicator is seen in the organisation's other cases.
    let recurring = scalar(
        &store,
        &format!(
            "SELECT MIN(o.id) FROM observable o JOIN cases c ON c.id = o.case_id WHERE c.organisation_id = {soc} \
             AND (o.data_type, o.data_hash) IN (SELECT o2.data_type, o2.data_hash FROM observable o2 \
             JOIN cases c2 ON c2.id = o2.case_id WHERE c2.organisation_id = {soc} \
             GROUP BY o2.data_type, o2.data_hash HAVING COUNT(DISTINCT o2.case_id) > 1)"
        ),
    )
    .await;
    let (status, similar) =
        send(app.as_user(Method::GET, &format!("/api/v1/observable/~{recurring}/similar"), ANA, &password_of(ANA)))
            .await;
    assert_eq!(status, 200, "{similar}");
    assert!(similar.as_array().is_some_and(|s| !s.is_empty()), "{similar}");

    // API writes carry on after the load: next case number, fresh ids, audit.
    let (status, case) = post(&app, ANA, "/api/v1/case", json!({"title": "After the load", "description": "d"})).await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["number"], 2_001);
    assert!(id_of(&case) > scalar(&store, "SELECT MAX(id) FROM cases WHERE id <> (SELECT MAX(id) FROM cases)").await);
    let (status, obs) = post(
        &app,
        ANA,
        &format!("/api/v1/case/{}/observable", case["_id"].as_str().expect("id")),
        json!({"dataType": "ip", "data": "203.0.113.77"}),
    )
    .await;
    assert_eq!(status, 201, "{obs}");
    let (status, alert) = post(
        &app,
        ANA,
        "/api/v1/alert",
        json!({"type": "siem", "source": "test", "sourceRef": "after-load", "title": "t", "description": "d"}),
    )
    .await;
    assert_eq!(status, 201, "{alert}");
    store.close().await;
}
