//! Forward-only schema migrations, embedded per backend and applied at start-up.
//!
//! All pending steps run in one transaction together with the rows that record them, so a
//! failed start leaves the database exactly as it was. A database that was migrated
//! by a newer Waggle (a version we do not know) is refused: running old code on a newer
//! schema silently corrupts data.

use super::db::{Backend, Store};
use super::error::StorageError;
use crate::args;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// The list grows at the end only. `build.rs` re-runs the build when a file is added.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "case_model",
        sqlite: include_str!("../../migrations/sqlite/0002_case_model.sql"),
        postgres: include_str!("../../migrations/postgres/0002_case_model.sql"),
    },
    Migration {
        version: 3,
        name: "alert_extras",
        sqlite: include_str!("../../migrations/sqlite/0003_alert_extras.sql"),
        postgres: include_str!("../../migrations/postgres/0003_alert_extras.sql"),
    },
    Migration {
        version: 4,
        name: "fulltext",
        sqlite: include_str!("../../migrations/sqlite/0004_fulltext.sql"),
        postgres: include_str!("../../migrations/postgres/0004_fulltext.sql"),
    },
    Migration {
        version: 5,
        name: "misp",
        sqlite: include_str!("../../migrations/sqlite/0005_misp.sql"),
        postgres: include_str!("../../migrations/postgres/0005_misp.sql"),
    },
    Migration {
        version: 6,
        name: "query_indexes",
        sqlite: include_str!("../../migrations/sqlite/0006_query_indexes.sql"),
        postgres: include_str!("../../migrations/postgres/0006_query_indexes.sql"),
    },
    Migration {
        version: 7,
        name: "share_case_status",
        sqlite: include_str!("../../migrations/sqlite/0007_share_case_status.sql"),
        postgres: include_str!("../../migrations/postgres/0007_share_case_status.sql"),
    },
    Migration {
        version: 8,
        name: "custom_events",
        sqlite: include_str!("../../migrations/sqlite/0008_custom_events.sql"),
        postgres: include_str!("../../migrations/postgres/0008_custom_events.sql"),
    },
    Migration {
        version: 9,
        name: "platform_settings",
        sqlite: include_str!("../../migrations/sqlite/0009_platform_settings.sql"),
        postgres: include_str!("../../migrations/postgres/0009_platform_settings.sql"),
    },
    Migration {
        version: 11,
        name: "deferred_fulltext",
        sqlite: include_str!("../../migrations/sqlite/0011_deferred_fulltext.sql"),
        postgres: include_str!("../../migrations/postgres/0011_deferred_fulltext.sql"),
    },
    Migration {
        version: 14,
        name: "partial_observable_keys",
        sqlite: include_str!("../../migrations/sqlite/0014_partial_observable_keys.sql"),
        postgres: include_str!("../../migrations/postgres/0014_partial_observable_keys.sql"),
    },
];

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS waggle_migration (\
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// Brings the schema up to date. Returns the versions applied now.
pub async fn migrate(store: &Store, now_ms: i64) -> Result<Vec<i64>, StorageError> {
    let mut tx = store.write().await?;
    if tx.backend() == Backend::Postgres {
        // Several servers may start at once on one PostgreSQL: serialise their migrations.
        tx.execute("SELECT pg_advisory_xact_lock(7412055)", args![]).await?;
    }
    tx.execute(CREATE_TABLE, args![]).await?;
    let current = tx.fetch_i64("SELECT COALESCE(MAX(version), 0) FROM waggle_migration", args![]).await?;
    let known = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
    if current > known {
        return Err(StorageError::Migration(format!(
            "the database schema is at version {current}, newer than this binary knows ({known}); \
             upgrade Waggle instead of downgrading"
        )));
    }
    // Apply every known step not recorded yet, in version order: a step numbered below the
    // newest applied one (two branches landing together) is not skipped.
    let done: std::collections::HashSet<i64> = tx
        .fetch_all("SELECT version FROM waggle_migration", args![])
        .await?
        .iter()
        .map(|r| r.get::<i64>("version"))
        .collect::<Result<_, _>>()?;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let sql = match tx.backend() {
            Backend::Sqlite => m.sqlite,
            Backend::Postgres => m.postgres,
        };
        Store::execute_script_in(&mut tx, sql)
            .await
            .map_err(|e| StorageError::Migration(format!("step {} ({}): {e}", m.version, m.name)))?;
        tx.execute(
            "INSERT INTO waggle_migration (version, name, applied_at) VALUES ($1, $2, $3)",
            args![m.version, m.name, now_ms],
        )
        .await?;
        applied.push(m.version);
    }
    tx.commit().await?;
    Ok(applied)
}

/// A fingerprint of every embedded migration, for both backends. Test harnesses key their
/// migrated template databases on it, so a changed migration gets a fresh template.
pub fn schema_fingerprint() -> String {
    let mut all = String::new();
    for m in MIGRATIONS {
        all.push_str(m.sqlite);
        all.push_str(m.postgres);
    }
    crate::auth::secrets::sha256_hex(all.as_bytes())[..16].to_owned()
}
