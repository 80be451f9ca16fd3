//! The SQLite full-text backlog: alerts and observables are indexed once per write batch.
//!
//! Their insert triggers (migration 0011) only note the new row in `fts_pending`; the group
//! commit writer runs these statements just before the batch's COMMIT, so the FTS5 index
//! receives one bulk insert per table instead of a flush per request savepoint, and still
//! commits in the same transaction as the rows. The indexed columns must stay those of the
//! FTS tables created in migration 0004.

pub const CATCH_UP: [&str; 3] = [
    "INSERT INTO alert_fts (rowid, title, description, source, source_ref, type, tags) \
     SELECT a.id, a.title, a.description, a.source, a.source_ref, a.type, a.tags \
     FROM fts_pending p JOIN alert a ON a.id = p.row_id WHERE p.tbl = 'alert'",
    "INSERT INTO observable_fts (rowid, data, message, attachment_name, tags) \
     SELECT o.id, o.data, o.message, o.attachment_name, o.tags \
     FROM fts_pending p JOIN observable o ON o.id = p.row_id WHERE p.tbl = 'observable'",
    "DELETE FROM fts_pending",
];

/// [`CATCH_UP`] then `COMMIT` as one text: the group-commit writer ends a batch with one
/// call to the SQLite thread. SQLite stops at the first failing statement, so a failed
/// catch-up never commits.
pub static CATCH_UP_AND_COMMIT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{};\nCOMMIT", CATCH_UP.join(";\n")));
