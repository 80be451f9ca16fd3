//! The query scenarios: what TheHive's UI and thehive4py send to `POST /api/v1/query` and
//! `/api/v1/search` when an analyst opens a list, looks at a counter or searches.
//!
//! The bodies are the ones the clients send (spec §3 and thehive4py's `find`/`count`): a
//! `listCase` filtered by status, sorted by `_createdAt` descending, paged by 15 with
//! `observableStats` and `taskStats`; a count by status; the alert queue; free text through
//! the global search endpoint and through the DSL's `_string` operator. Each scenario runs
//! twice: with one client (latency, which the targets of issue #5 are about) and with the
//! run's concurrency (throughput). The search terms come from the word lists of
//! `dataset.rs`, so their selectivity is that of the generated data.

use serde_json::{Value, json};

use super::dataset::{WORDS_ACTION, WORDS_THREAT};
use super::load;
use super::scenarios::Api;
use super::stats::Figure;

const CASE_STATUSES: &[&str] = &["New", "InProgress", "TruePositive", "FalsePositive"];

/// The case list of the UI: one status, newest first, the i-th of the first four pages.
pub fn case_list_page(i: usize) -> Value {
    let from = 15 * (i % 4);
    json!({"query": [
        {"_name": "listCase"},
        {"_name": "filter", "_field": "status", "_value": CASE_STATUSES[i % CASE_STATUSES.len()]},
        {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
        {"_name": "page", "from": from, "to": from + 15, "extraData": ["observableStats", "taskStats"]}
    ]})
}

/// The counter next to a status in the UI (thehive4py `case.count(filters=Eq("status", …))`).
pub fn count_by_status(i: usize) -> Value {
    json!({"query": [
        {"_name": "listCase"},
        {"_name": "filter", "_eq": {"_field": "status", "_value": CASE_STATUSES[i % CASE_STATUSES.len()]}},
        {"_name": "count"}
    ]})
}

/// The alert queue: alerts not yet imported, newest first, 15 a page.
pub fn alert_queue_page(i: usize) -> Value {
    let from = 15 * (i % 4);
    json!({"query": [
        {"_name": "listAlert"},
        {"_name": "filter", "_and": [{"_field": "imported", "_value": false}, {"_in": {"_field": "status", "_values": ["New", "InProgress"]}}]},
        {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
        {"_name": "page", "from": from, "to": from + 15, "extraData": ["caseNumber", "importDate"]}
    ]})
}

/// Two words a SOC would type: a threat and an activity (both in titles/descriptions).
pub fn search_text(i: usize) -> String {
    let threat = WORDS_THREAT[i % WORDS_THREAT.len()];
    let action = WORDS_ACTION[(i / WORDS_THREAT.len() + i) % WORDS_ACTION.len()];
    format!("{threat} {action}")
}

/// The DSL's free-text operator on cases, as a list page.
pub fn free_text_cases(i: usize) -> Value {
    json!({"query": [
        {"_name": "listCase"},
        {"_name": "filter", "_string": search_text(i)},
        {"_name": "sort", "_fields": [{"_createdAt": "desc"}]},
        {"_name": "page", "from": 0, "to": 15}
    ]})
}

/// The global search over every searchable entity, 15 hits.
pub fn global_search(i: usize) -> Value {
    json!({"query": search_text(i), "size": 15})
}

/// Runs the query scenarios; returns their figures (one-client latency, then throughput).
pub async fn run(api: &Api, requests: usize, concurrency: usize) -> Vec<Figure> {
    type Make = fn(usize) -> Value;
    let scenarios: [(&str, &str, Make, Option<&str>); 5] = [
        (
            "case list page (status, _createdAt desc, 15 rows, observableStats+taskStats)",
            "/api/v1/query?name=cases",
            case_list_page,
            Some("p50 < 5 ms"),
        ),
        ("count of cases by status", "/api/v1/query?name=case-count", count_by_status, Some("< 50 ms")),
        ("alert queue page (not imported, 15 rows)", "/api/v1/query?name=alerts", alert_queue_page, None),
        ("full-text search (POST /api/v1/search, 15 hits)", "/api/v1/search", global_search, Some("p50 < 50 ms")),
        (
            "full-text _string filter on cases (15 rows)",
            "/api/v1/query?name=cases",
            free_text_cases,
            Some("p50 < 50 ms"),
        ),
    ];
    // Enough samples for a stable p99, few enough that the slow scenarios of the full mode
    // do not take minutes each.
    let latency_requests = (requests / 4).clamp(50, 1_000);
    let requests = requests.min(10_000);
    let mut out = Vec::new();
    for (name, path, make, target) in scenarios {
        let one = post_each(&format!("{name} [1 client]"), api, path, make, latency_requests, 1).await;
        out.push(match target {
            Some(t) => one.target(t),
            None => one,
        });
        out.push(post_each(&format!("{name} [{concurrency} clients]"), api, path, make, requests, concurrency).await);
    }
    out
}

async fn post_each(
    scenario: &str,
    api: &Api,
    path: &str,
    make: fn(usize) -> Value,
    n: usize,
    concurrency: usize,
) -> Figure {
    let (api, path) = (api.clone(), path.to_owned());
    load::run(scenario, n, concurrency, move |i| {
        let (api, path) = (api.clone(), path.clone());
        async move { api.post_status(&path, &make(i)).await == Some(200) }
    })
    .await
}
