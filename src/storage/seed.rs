//! Bulk writes for the benchmark's dataset generator: the same rows the API writes (case,
//! owner share, tag index, tasks, observables, alerts, audit), inserted many per statement
//! so that a million cases take minutes. Used only by `waggle bench`, while the server is
//! stopped.
//!
//! The load runs on a [`Loader`]: a connection of its own with plain `BEGIN … COMMIT`
//! transactions. The server's SQLite writer wraps every transaction in a SAVEPOINT of its
//! group commit, and under a savepoint SQLite journals every page a statement touches (the
//! first profile of the generator had `sqlite3BtreeSavepoint` on top); a bulk load needs
//! none of that. Rows reach SQLite in multi-row `INSERT`s bound by position, and
//! PostgreSQL through `COPY … FROM STDIN`. Triggers fire either way, so full-text rows and
//! the shares' case status are written exactly as for API writes.

use std::io::Write as _;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use super::db::{Backend, Tx, Value};
use super::error::StorageError;
use super::open::DatabaseUrl;
use crate::args;

/// Parameters per statement: under SQLite's 32766 limit.
const MAX_PARAMS: usize = 30_000;

/// The bulk loader's own connection to the database (see the module documentation).
pub struct Loader {
    pool: LoaderPool,
}

enum LoaderPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Loader {
    /// Opens one connection to the database `url` names. On SQLite: WAL as always, commits
    /// synced at checkpoints only (`NORMAL`; a crash during a load loses the load, not the
    /// database) and a 1 GiB page cache, so the indexes being filled stay in memory. On
    /// PostgreSQL: `synchronous_commit = off`, for the same reason.
    pub async fn open(url: &DatabaseUrl) -> Result<Loader, StorageError> {
        let pool = match url {
            DatabaseUrl::Sqlite(path) => {
                let opts = SqliteConnectOptions::new()
                    .filename(path)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
                    .pragma("temp_store", "memory")
                    .pragma("cache_size", "-1000000");
                LoaderPool::Sqlite(SqlitePoolOptions::new().max_connections(1).connect_with(opts).await?)
            }
            DatabaseUrl::Postgres(url) => {
                let opts = PgConnectOptions::from_str(url)?.options([("synchronous_commit", "off")]);
                LoaderPool::Postgres(PgPoolOptions::new().max_connections(1).connect_with(opts).await?)
            }
        };
        Ok(Loader { pool })
    }

    /// A plain transaction on the loader's connection.
    pub async fn begin(&self) -> Result<Tx, StorageError> {
        Ok(match &self.pool {
            LoaderPool::Sqlite(p) => Tx::own_sqlite(p.begin().await?),
            LoaderPool::Postgres(p) => Tx::own_postgres(p.begin().await?),
        })
    }

    /// Commits a transaction of the loader. On SQLite the alerts and observables it inserted
    /// are first indexed for full-text search, as the server's writer does before each of
    /// its commits (`storage::fulltext_backlog`), so the index commits with the rows.
    pub async fn commit(&self, mut tx: Tx) -> Result<(), StorageError> {
        if tx.backend() == Backend::Sqlite {
            for sql in super::fulltext_backlog::CATCH_UP {
                tx.execute(sql, args![]).await?;
            }
        }
        tx.commit().await
    }

    /// Ends one batch of a load. SQLite commits it and starts the next transaction (its
    /// WAL and full-text backlog stay small). PostgreSQL keeps loading in the same
    /// transaction: the whole load, with the full-text triggers set aside by
    /// [`begin_bulk_load`], commits at once or not at all.
    pub async fn next_batch(&self, tx: Tx) -> Result<Tx, StorageError> {
        match tx.backend() {
            Backend::Sqlite => {
                self.commit(tx).await?;
                self.begin().await
            }
            Backend::Postgres => Ok(tx),
        }
    }

    /// After a bulk load on PostgreSQL: sets the visibility map (index-only scans) and the
    /// statistics, as autovacuum would eventually do on a live instance. Nothing on SQLite
    /// (`end_bulk_load` ran `ANALYZE`).
    pub async fn vacuum(&self) -> Result<(), StorageError> {
        if let LoaderPool::Postgres(p) = &self.pool {
            sqlx::raw_sql("VACUUM ANALYZE").execute(p).await?;
        }
        Ok(())
    }

    /// Closes the connection (on SQLite this checkpoints the WAL into the database file).
    pub async fn close(self) {
        match self.pool {
            LoaderPool::Sqlite(p) => p.close().await,
            LoaderPool::Postgres(p) => p.close().await,
        }
    }
}

/// Inserts many rows of `table`: multi-row `INSERT`s on SQLite, `COPY` on PostgreSQL.
pub async fn insert_rows(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<Value>>,
) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    match tx.backend() {
        Backend::Sqlite => insert_values(tx, table, columns, rows).await,
        Backend::Postgres => copy_rows(tx, table, columns, &rows).await,
    }
}

/// `INSERT INTO table (cols) VALUES (…), (…), …` in as few statements as the parameter
/// limit allows. Full chunks share one SQL text, so the driver prepares it once per
/// connection and reuses it.
async fn insert_values(tx: &mut Tx, table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Result<(), StorageError> {
    let per_row = columns.len();
    // Moderate statements: SQLite compiles each one, and giant ones compile slowly.
    let rows_per_stmt = (MAX_PARAMS / per_row).clamp(1, 500);
    let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    // Anonymous `?` placeholders: the driver looks each `$n` up by name, a linear scan per
    // parameter (quadratic per statement, 85 % of the seeding time with 6,000 parameters a
    // statement); `?` binds by position.
    let row_sql = format!("({})", vec!["?"; per_row].join(","));
    let mut full_sql = None;
    let mut iter = rows.into_iter().peekable();
    while iter.peek().is_some() {
        let mut params = Vec::with_capacity(rows_per_stmt * per_row);
        let mut n = 0;
        for row in iter.by_ref().take(rows_per_stmt) {
            params.extend(row);
            n += 1;
        }
        let partial;
        let sql = if n == rows_per_stmt {
            full_sql.get_or_insert_with(|| values_sql(&head, &row_sql, n)).as_str()
        } else {
            partial = values_sql(&head, &row_sql, n);
            partial.as_str()
        };
        tx.execute(sql, params).await?;
    }
    Ok(())
}

fn values_sql(head: &str, row_sql: &str, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (row_sql.len() + 1));
    sql.push_str(head);
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push_str(row_sql);
    }
    sql
}

/// `COPY table (cols) FROM STDIN` in PostgreSQL's text format: one round trip for any
/// number of rows, no parameters to bind, and the server parses each value once.
async fn copy_rows(tx: &mut Tx, table: &str, columns: &[&str], rows: &[Vec<Value>]) -> Result<(), StorageError> {
    let mut data = Vec::with_capacity(rows.len() * columns.len() * 12);
    for row in rows {
        for (c, v) in row.iter().enumerate() {
            if c > 0 {
                data.push(b'\t');
            }
            copy_field(&mut data, v);
        }
        data.push(b'\n');
    }
    tx.copy_in(&format!("COPY {table} ({}) FROM STDIN", columns.join(", ")), &data).await?;
    Ok(())
}

/// One value in COPY's text format: `\N` for NULL, backslash escapes for the characters
/// that delimit fields and rows.
fn copy_field(out: &mut Vec<u8>, v: &Value) {
    // Writing into a Vec<u8> cannot fail.
    let _ = match v {
        Value::Int(Some(i)) => write!(out, "{i}"),
        Value::Float(Some(f)) => write!(out, "{f}"),
        Value::Bool(Some(b)) => write!(out, "{}", if *b { 't' } else { 'f' }),
        Value::Text(Some(s)) => {
            copy_text(out, s);
            Ok(())
        }
        Value::Bytes(Some(b)) => {
            out.extend_from_slice(b"\\\\x");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
            Ok(())
        }
        Value::Int(None) | Value::Float(None) | Value::Bool(None) | Value::Text(None) | Value::Bytes(None) => {
            out.extend_from_slice(b"\\N");
            Ok(())
        }
    };
}

fn copy_text(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            _ => out.push(b),
        }
    }
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
    /// PostgreSQL full-text triggers disabled for the load (see [`PG_FULLTEXT`]).
    fulltext: Vec<&'static (&'static str, &'static str, &'static [&'static str])>,
}

/// The full-text documents of PostgreSQL's tables, as their `T_fts_sync` triggers compute
/// them (migration 0004): the table, its weight-A column and its weight-B columns. For a
/// bulk load the triggers are disabled and the documents computed in one `INSERT …
/// SELECT` per table at the end, which runs the same expression once per row without a
/// PL/pgSQL call and an index probe per row (those were half of PostgreSQL's load time).
/// `tests/it/bench_dataset.rs` checks that the result equals what the triggers write.
const PG_FULLTEXT: [(&str, &str, &[&str]); 4] = [
    ("cases", "title", &["description", "summary", "tags"]),
    ("alert", "title", &["description", "source", "source_ref", "type", "tags"]),
    ("observable", "data", &["message", "attachment_name", "tags"]),
    ("task", "title", &["description", "group_name"]),
];

/// `setweight(to_tsvector('simple', coalesce(a, '')), 'A') || setweight(to_tsvector('simple',
/// coalesce(b1, '') || ' ' || …), 'B')`, the triggers' expression over the row's columns.
fn pg_fulltext_doc(a: &str, b: &[&str]) -> String {
    let rest: Vec<String> = b.iter().map(|c| format!("coalesce({c}, '')")).collect();
    format!(
        "setweight(to_tsvector('simple', coalesce({a}, '')), 'A') || setweight(to_tsvector('simple', {}), 'B')",
        rest.join(" || ' ' || ")
    )
}

/// Prepares a bulk load into `tables`: drops their secondary indexes (including unique
/// ones: the generator never produces duplicates, and re-creating them checks that). A
/// B-tree keyed by a hash (`observable_data_idx`) takes one random page per inserted row
/// once it outgrows the cache; sorting once at the end is far cheaper. Primary keys,
/// foreign keys and the other triggers stay. On SQLite the full-text triggers stay too
/// (they only note rows for the catch-up at each commit); on PostgreSQL those of the
/// `tables_with_ids` are disabled until [`end_bulk_load`] (see [`PG_FULLTEXT`]), which is
/// sound only inside one transaction: PostgreSQL loads in one (`Loader::next_batch`).
pub async fn begin_bulk_load(tx: &mut Tx, tables: &[&str], tables_with_ids: &[&str]) -> Result<BulkLoad, StorageError> {
    let mut indexes = Vec::new();
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
    let mut fulltext = Vec::new();
    if tx.backend() == Backend::Postgres {
        for ft in PG_FULLTEXT.iter().filter(|(t, ..)| tables_with_ids.contains(t)) {
            tx.execute(&format!("ALTER TABLE {t} DISABLE TRIGGER {t}_fts_sync", t = ft.0), args![]).await?;
            fulltext.push(ft);
        }
    }
    Ok(BulkLoad { indexes, tables_with_ids: tables_with_ids.iter().map(|t| (*t).to_owned()).collect(), fulltext })
}

/// Ends a bulk load: recreates the indexes dropped by [`begin_bulk_load`], moves the id
/// sequences of PostgreSQL past the ids the generator assigned (SQLite's AUTOINCREMENT
/// follows explicit ids by itself) and refreshes statistics.
pub async fn end_bulk_load(tx: &mut Tx, load: BulkLoad) -> Result<(), StorageError> {
    if tx.backend() == Backend::Postgres {
        tx.execute("SET LOCAL maintenance_work_mem = '512MB'", args![]).await?;
        tx.execute("SET LOCAL work_mem = '256MB'", args![]).await?;
    }
    for (table, a, b) in load.fulltext {
        tx.execute(
            &format!(
                "INSERT INTO {table}_fts (id, doc) SELECT t.id, {} FROM {table} t \
                 WHERE NOT EXISTS (SELECT 1 FROM {table}_fts f WHERE f.id = t.id)",
                pg_fulltext_doc(a, b)
            ),
            args![],
        )
        .await?;
        tx.execute(&format!("ALTER TABLE {table} ENABLE TRIGGER {table}_fts_sync"), args![]).await?;
    }
    for sql in &load.indexes {
        tx.execute(sql, args![]).await?;
    }
    if tx.backend() == Backend::Postgres {
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
