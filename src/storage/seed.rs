//! Bulk writes for the benchmark's dataset generator: the same rows the API writes (case,
//! owner share, tag index, tasks, observables, alerts, audit), inserted many per statement
//! so that a million cases take minutes. Used only by `waggle bench`.

use super::db::{Backend, Tx, Value};
use super::error::StorageError;
use crate::args;

/// Parameters per statement: under SQLite's 32766 and PostgreSQL's 65535 limits.
const MAX_PARAMS: usize = 30_000;

/// `INSERT INTO table (cols) VALUES (…), (…), …` for many rows, in as few statements as the
/// parameter limits allow.
pub async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    let per_row = columns.len();
    // Moderate statements: SQLite compiles each one, and giant ones compile slowly.
    let rows_per_stmt = (MAX_PARAMS / per_row).clamp(1, 500);
    // SQLite gets anonymous `?` placeholders: the driver looks each `$n` up by name, which
    // is a linear scan per parameter (quadratic per statement, 85 % of the seeding time
    // with 6,000 parameters a statement); `?` binds by position.
    let positional = tx.backend() == Backend::Sqlite;
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut iter = rows.into_iter().peekable();
    while iter.peek().is_some() {
        let chunk: Vec<Vec<Value>> = iter.by_ref().take(rows_per_stmt).collect();
        let mut sql = String::with_capacity(head.len() + chunk.len() * per_row * 5);
        sql.push_str(&head);
        let mut params = Vec::with_capacity(chunk.len() * per_row);
        for (r, row) in chunk.into_iter().enumerate() {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..per_row {
                if c > 0 {
                    sql.push(',');
                }
                if positional {
                    sql.push('?');
                } else {
                    sql.push('$');
                    sql.push_str(&(r * per_row + c + 1).to_string());
                }
            }
            sql.push(')');
            params.extend(row);
        }
        tx.execute(&sql, params).await?;
    }
    Ok(())
}

/// Reserves `n` case numbers at once; returns the first.
pub async fn reserve_case_numbers(tx: &mut Tx, n: i64) -> Result<i64, StorageError> {
    let last = tx
        .fetch_i64(
            "INSERT INTO sequence_counter (name, value) VALUES ('case_number', $1) \
             ON CONFLICT (name) DO UPDATE SET value = sequence_counter.value + $1 RETURNING value",
            args![n],
        )
        .await?;
    Ok(last - n + 1)
}

/// Ids of the cases with numbers in `first..first+n`, in number order.
pub async fn case_ids_by_number(tx: &mut Tx, first: i64, n: i64) -> Result<Vec<i64>, StorageError> {
    let rows = tx
        .fetch_all("SELECT id FROM cases WHERE number >= $1 AND number < $2 ORDER BY number", args![first, first + n])
        .await?;
    rows.iter().map(|r| r.get_idx(0)).collect()
}

/// Id of a profile by name (the seeder shares cases with built-in profiles).
pub async fn profile_id(tx: &mut Tx, name: &str) -> Result<i64, StorageError> {
    tx.fetch_i64("SELECT id FROM profile WHERE name = $1", args![name]).await
}

/// Refreshes planner statistics after a bulk load.
pub async fn analyze(tx: &mut Tx) -> Result<(), StorageError> {
    tx.execute("ANALYZE", args![]).await?;
    Ok(())
}

/// The next free id of `table` (one of our own table names): the generator assigns ids
/// itself so that child rows and audit entries can name their parents without reading
/// them back. Only valid while nothing else writes (the server is stopped).
pub async fn next_id(tx: &mut Tx, table: &str) -> Result<i64, StorageError> {
    Ok(tx.fetch_i64(&format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}"), args![]).await? + 1)
}

/// Secondary indexes set aside for a bulk load, recreated by [`end_bulk_load`] with their
/// exact original definitions (so the schema afterwards is the migrated one).
pub struct BulkLoad {
    indexes: Vec<String>,
    tables_with_ids: Vec<String>,
}

/// Prepares a bulk load into `tables`: drops their secondary indexes (including unique
/// ones: the generator never produces duplicates, and re-creating them checks that). A
/// B-tree keyed by a hash (`observable_data_idx`) takes one random page per inserted row
/// once it outgrows the cache; sorting once at the end is far cheaper. On SQLite the
/// writer connection also gets a large page cache for the duration. Primary keys and
/// full-text triggers stay: every row still goes through them as an API write would.
pub async fn begin_bulk_load(tx: &mut Tx, tables: &[&str], tables_with_ids: &[&str]) -> Result<BulkLoad, StorageError> {
    let mut indexes = Vec::new();
    if tx.backend() == Backend::Sqlite {
        tx.execute("PRAGMA cache_size = -1000000", args![]).await?;
    }
    for table in tables {
        let rows = match tx.backend() {
            Backend::Sqlite => {
                tx.fetch_all(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL",
                    args![*table],
                )
                .await?
            }
            Backend::Postgres => {
                tx.fetch_all(
                    "SELECT indexname AS name, indexdef AS sql FROM pg_indexes \
                     WHERE schemaname = current_schema() AND tablename = $1 \
                     AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                    args![*table],
                )
                .await?
            }
        };
        for r in rows {
            let name: String = r.get("name")?;
            indexes.push(r.get::<String>("sql")?);
            tx.execute(&format!("DROP INDEX {name}"), args![]).await?;
        }
    }
    Ok(BulkLoad { indexes, tables_with_ids: tables_with_ids.iter().map(|t| (*t).to_owned()).collect() })
}

/// Ends a bulk load: recreates the indexes dropped by [`begin_bulk_load`], moves the id
/// sequences of PostgreSQL past the ids the generator assigned (SQLite's AUTOINCREMENT
/// follows explicit ids by itself), restores the page cache and refreshes statistics.
pub async fn end_bulk_load(tx: &mut Tx, load: BulkLoad) -> Result<(), StorageError> {
    if tx.backend() == Backend::Postgres {
        tx.execute("SET LOCAL maintenance_work_mem = '512MB'", args![]).await?;
    }
    for sql in &load.indexes {
        tx.execute(sql, args![]).await?;
    }
    match tx.backend() {
        Backend::Sqlite => {
            tx.execute("PRAGMA cache_size = -8000", args![]).await?;
        }
        Backend::Postgres => {
            for table in &load.tables_with_ids {
                tx.fetch_i64(
                    &format!(
                        "SELECT CAST(setval(pg_get_serial_sequence('{table}', 'id'), \
                         (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false) AS BIGINT)"
                    ),
                    args![],
                )
                .await?;
            }
        }
    }
    analyze(tx).await
}

/// Up to `n` ids of `table` spread evenly over the table (for scenarios that need real
/// objects to request). `table` is one of our own table names, never user input.
pub async fn spread_ids(tx: &mut Tx, table: &str, filter: &str, n: i64) -> Result<Vec<i64>, StorageError> {
    let total = tx.fetch_i64(&format!("SELECT COUNT(*) FROM {table} WHERE {filter}"), args![]).await?;
    let step = (total / n.max(1)).max(1);
    let rows = tx
        .fetch_all(
            &format!("SELECT id FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM {table} WHERE {filter}) t WHERE rn % $1 = 0 LIMIT $2"),
            args![step, n],
        )
        .await?;
    rows.iter().map(|r| r.get_idx(0)).collect()
}

/// After a bulk load on PostgreSQL: sets the visibility map (index-only scans) and the
/// statistics, as autovacuum would eventually do on a live instance. Nothing on SQLite.
pub async fn vacuum(store: &super::Store) -> Result<(), StorageError> {
    store.maintenance("VACUUM ANALYZE").await
}
