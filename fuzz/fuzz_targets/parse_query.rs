//! Any bytes → JSON → the query parser → (when it parses) the SQL compiler for both
//! dialects. Neither may panic, overflow the stack or loop; every refusal must be a
//! `QueryError` (which the API answers with 400).
#![no_main]

use libfuzzer_sys::fuzz_target;
use waggle::storage::Backend;
use waggle::storage::query::{Limits, compile_sql};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let Ok(query) = waggle::query::parse_query(&body) else { return };
    let limits = Limits { max_results: 1000, limited_count_threshold: 1000 };
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Ok(sql) = compile_sql(backend, limits, &query.initial, &query.steps) {
            assert!(sql.starts_with("SELECT"), "{sql}");
        }
    }
});
