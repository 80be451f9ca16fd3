//! The benchmark's reference point: alerts written straight into SQLite with prepared
//! statements, one transaction per alert, no HTTP, no validation, no audit. Waggle's own
//! ingestion is reported as a ratio of this rate, measured in the same run on the same
//! disk with the same durability settings. Used only by `waggle bench`.

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};

use super::db::SqliteSync;
use super::error::StorageError;

/// Inserts `count` alerts, each with `observables` observables and two tags, into an
/// already-migrated database at `path` that holds organisation 1. Returns the wall time.
pub async fn insert_alerts(
    path: &Path,
    sync: SqliteSync,
    count: usize,
    observables: usize,
) -> Result<Duration, StorageError> {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(match sync {
            SqliteSync::Full => SqliteSynchronous::Full,
            SqliteSync::Normal => SqliteSynchronous::Normal,
        })
        .foreign_keys(true);
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    let start = Instant::now();
    for i in 0..count {
        let mut tx = conn.begin().await?;
        let now = 1_700_000_000_000_i64 + i as i64;
        let alert_id: i64 = sqlx::query_scalar(
            "INSERT INTO alert (organisation_id, type, source, source_ref, title, description, severity, tlp, pap, date, \
             tags, status, stage, created_by, created_at) VALUES (1, 'siem', 'raw', $1, $2, 'raw insert', 2, 2, 2, $3, \
             '[\"raw\",\"bench\"]', 'New', 'New', 'bench', $3) RETURNING id",
        )
        .bind(format!("raw-{i}"))
        .bind(format!("Raw alert {i}"))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for tag in ["raw", "bench"] {
            sqlx::query("INSERT INTO alert_tag (alert_id, tag) VALUES ($1, $2)")
                .bind(alert_id)
                .bind(tag)
                .execute(&mut *tx)
                .await?;
        }
        for j in 0..observables {
            let data = format!("10.{}.{}.{}", i % 250, j, i % 7);
            sqlx::query(
                "INSERT INTO observable (alert_id, data_type, data, data_hash, tlp, pap, ioc, sighted, start_date, tags, \
                 created_by, created_at) VALUES ($1, 'ip', $2, $3, 2, 2, 0, 0, $4, '[]', 'bench', $4)",
            )
            .bind(alert_id)
            .bind(&data)
            .bind(crate::auth::secrets::sha256_hex(data.as_bytes()))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        // The same full-text indexing the server's writer does before each COMMIT.
        for sql in super::fulltext_backlog::CATCH_UP {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(start.elapsed())
}
