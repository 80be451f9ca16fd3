//! The database handle: one `Store` over either SQLite or PostgreSQL, transactions, bound
//! values and rows.
//!
//! Every SQL statement in Waggle is written once, with `$1`-style placeholders that both
//! backends accept, and runs through the types here. This file knows how to talk to the two
//! drivers; it knows nothing about cases or users. Dialect differences that cannot be
//! papered over (full-text search, upserts with dialect-specific syntax) live in
//! `dialect.rs`, not in callers.
//!
//! We deliberately do not use sqlx's `Any` driver: it erases types we care about. All our
//! columns are integers (PostgreSQL `BIGINT`), floats, text, booleans or blobs, so a small
//! typed `Value` covers every bind and a `Row` wrapper decodes by column name on both.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Connection, Decode, PgPool, Postgres, Row as _, Sqlite, SqlitePool, Type};

use super::error::StorageError;
use super::group_commit::{Durable, GroupTx, SqliteWriter};
use super::placeholders::positional;
use super::wal_sync::WalSyncer;

/// Which database engine a `Store` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    }
}

#[derive(Clone)]
enum Pools {
    /// SQLite allows one writer at a time. A dedicated single-connection pool serialises
    /// writers in an async queue instead of letting them collide on `SQLITE_BUSY`; readers
    /// use their own pool and see WAL snapshots concurrently.
    Sqlite {
        writer: Arc<SqliteWriter>,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

/// The handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    /// Bumped after each commit that changed users, memberships, profiles or organisations
    /// through this store: what a cached identity was read under (see `auth::identity_cache`).
    identity_epoch: Arc<AtomicU64>,
}

/// How durable SQLite commits are. `Full` syncs the WAL on every commit, so an acknowledged
/// write survives power loss; `Normal` survives a process crash only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSync {
    Full,
    Normal,
}

impl Store {
    /// Opens a SQLite database file, creating it if missing (the data dir is ours).
    pub async fn open_sqlite(path: &std::path::Path, sync: SqliteSync) -> Result<Store, StorageError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match sync {
                SqliteSync::Full => SqliteSynchronous::Full,
                SqliteSync::Normal => SqliteSynchronous::Normal,
            })
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("temp_store", "memory")
            // 8 MiB of page cache per connection (nine of them): memory stays bounded.
            .pragma("cache_size", "-8000");
        // The writer checkpoints only as a backstop: `group_commit`'s checkpointer copies the
        // WAL into the database on a connection of its own, off the writer's path.
        let mut writer_opts = opts.clone().pragma("wal_autocheckpoint", super::group_commit::BACKSTOP_CHECKPOINT_PAGES);
        // `FULL` durability without the writer waiting for the disk: its COMMITs only write
        // the WAL, and `wal_sync` fsyncs it before anyone is told their write is committed.
        let syncer = match sync {
            SqliteSync::Full => {
                writer_opts = writer_opts.synchronous(SqliteSynchronous::Normal);
                let mut wal = path.as_os_str().to_owned();
                wal.push("-wal");
                Some(WalSyncer::start(wal.into()).map_err(|e| StorageError::Commit(format!("WAL sync thread: {e}")))?)
            }
            SqliteSync::Normal => None,
        };
        let writer = SqliteWriter::new(
            sqlx::SqliteConnection::connect_with(&writer_opts).await?,
            sqlx::SqliteConnection::connect_with(&opts).await?,
            syncer,
        );
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts.read_only(true))
            .await?;
        Ok(Store::with(Pools::Sqlite { writer, reader }))
    }

    /// Connects to PostgreSQL. The database must exist: we never create one from a URL,
    /// so a typo in the name fails loudly instead of starting an empty platform.
    pub async fn open_postgres(url: &str, max_connections: u32) -> Result<Store, StorageError> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        Ok(Store::with(Pools::Postgres(pool)))
    }

    fn with(pools: Pools) -> Store {
        Store { pools, identity_epoch: Arc::new(AtomicU64::new(0)) }
    }

    /// Commits so far that changed who may do what (users, API keys, memberships, profiles,
    /// organisations). Read it before reading an identity: a cache entry read under an
    /// older epoch may be stale.
    pub fn identity_epoch(&self) -> u64 {
        self.identity_epoch.load(Ordering::Acquire)
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a read-write transaction. On SQLite this waits for the single writer slot.
    pub async fn write(&self) -> Result<Tx, StorageError> {
        let inner = match &self.pools {
            Pools::Sqlite { writer, .. } => TxInner::SqliteGroup(writer.begin().await?),
            Pools::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(self.tx(inner))
    }

    /// Starts a read-only transaction: one consistent snapshot for a multi-query read.
    pub async fn read(&self) -> Result<Tx, StorageError> {
        let inner = match &self.pools {
            Pools::Sqlite { reader, .. } => TxInner::Sqlite(reader.begin().await?),
            Pools::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(self.tx(inner))
    }

    fn tx(&self, inner: TxInner) -> Tx {
        let identity = Some(IdentityMark { epoch: self.identity_epoch.clone(), changed: false });
        Tx { inner, deadline: None, identity }
    }

    /// Runs a multi-statement script outside a transaction (migrations manage their own).
    pub(super) async fn execute_script_in(tx: &mut Tx, sql: &str) -> Result<(), StorageError> {
        match &mut tx.inner {
            TxInner::Sqlite(t) => {
                sqlx::raw_sql(sql).execute(&mut **t).await?;
            }
            TxInner::SqliteGroup(g) => {
                sqlx::raw_sql(sql).execute(g.conn()?).await?;
            }
            TxInner::Postgres(t) => {
                sqlx::raw_sql(sql).execute(&mut **t).await?;
            }
        }
        Ok(())
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Pools::Postgres(pool) => pool.close().await,
        }
    }
}

enum TxInner {
    /// A read transaction on the SQLite reader pool.
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    /// A write transaction: a savepoint in the writer's current batch.
    SqliteGroup(GroupTx),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// An open transaction. Storage functions take `&mut Tx` so that the service layer decides
/// what commits together (a mutation and its audit row, always). Dropping it rolls back.
pub struct Tx {
    inner: TxInner,
    /// Set by `limit_duration` on SQLite; disarms the progress handler when the
    /// transaction ends, whichever way it ends.
    deadline: Option<DeadlineGuard>,
    /// The link to the store's identity epoch (none for the bulk loader, which runs while
    /// no server does).
    identity: Option<IdentityMark>,
}

struct IdentityMark {
    epoch: Arc<AtomicU64>,
    changed: bool,
}

/// Disarms a SQLite progress-handler deadline on drop. The handler itself stays installed
/// on the pooled connection (removing it needs an `await`, which `Drop` cannot do) but,
/// disarmed, it never interrupts anything; the next `limit_duration` replaces it.
struct DeadlineGuard(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A bound parameter. Nulls carry their type because PostgreSQL needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    Float(Option<f64>),
    Text(Option<String>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
}

macro_rules! value_from {
    ($t:ty, $variant:ident, $conv:expr) => {
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::$variant(Some($conv(v)))
            }
        }
        impl From<Option<$t>> for Value {
            fn from(v: Option<$t>) -> Value {
                Value::$variant(v.map($conv))
            }
        }
    };
}
value_from!(i64, Int, |v| v);
value_from!(i32, Int, i64::from);
value_from!(u32, Int, i64::from);
value_from!(f64, Float, |v| v);
value_from!(bool, Bool, |v| v);
value_from!(String, Text, |v| v);
value_from!(&str, Text, |v: &str| v.to_owned());
value_from!(&String, Text, |v: &String| v.clone());
value_from!(Vec<u8>, Bytes, |v| v);
value_from!(&[u8], Bytes, |v: &[u8]| v.to_vec());

/// A statement with its bound values, built by a storage function for `Tx::execute_all`.
#[derive(Debug)]
pub struct Statement {
    sql: String,
    args: Vec<Value>,
}

impl Statement {
    pub(crate) fn new(sql: String, args: Vec<Value>) -> Statement {
        Statement { sql, args }
    }
}

/// Builds a `Vec<Value>` from heterogeneous arguments: `args![id, "name", flag]`.
#[macro_export]
macro_rules! args {
    () => { Vec::<$crate::storage::Value>::new() };
    ($($v:expr),+ $(,)?) => { vec![$($crate::storage::Value::from($v)),+] };
}

macro_rules! bind_all {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for v in $args {
            q = match v {
                Value::Int(v) => q.bind(v),
                Value::Float(v) => q.bind(v),
                Value::Text(v) => q.bind(v),
                Value::Bool(v) => q.bind(v),
                Value::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

impl Tx {
    /// A plain `BEGIN … COMMIT` transaction on a connection of its own, outside the group
    /// commit: the bulk loader's (`seed::Loader`), while the server is stopped.
    pub(super) fn own_sqlite(t: sqlx::Transaction<'static, Sqlite>) -> Tx {
        Tx { inner: TxInner::Sqlite(t), deadline: None, identity: None }
    }

    /// The PostgreSQL twin of [`Tx::own_sqlite`].
    pub(super) fn own_postgres(t: sqlx::Transaction<'static, Postgres>) -> Tx {
        Tx { inner: TxInner::Postgres(t), deadline: None, identity: None }
    }

    /// Streams `data` (PostgreSQL's COPY text format) into `COPY … FROM STDIN`; returns the
    /// number of rows. PostgreSQL only: the bulk loader's fastest path.
    pub(super) async fn copy_in(&mut self, statement: &str, data: &[u8]) -> Result<u64, StorageError> {
        let TxInner::Postgres(t) = &mut self.inner else {
            return Err(StorageError::Sqlx(sqlx::Error::Configuration("COPY needs PostgreSQL".into())));
        };
        let mut copy = t.copy_in_raw(statement).await?;
        copy.send(data).await?;
        Ok(copy.finish().await?)
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) | TxInner::SqliteGroup(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Executes a statement and returns the number of rows it touched.
    pub async fn execute(&mut self, sql: &str, args: Vec<Value>) -> Result<u64, StorageError> {
        let n = match &mut self.inner {
            TxInner::Sqlite(t) => {
                let sql = positional(sql);
                bind_all!(sqlx::query(&sql), args).execute(&mut **t).await?.rows_affected()
            }
            TxInner::SqliteGroup(g) => {
                let sql = positional(sql);
                bind_all!(sqlx::query(&sql), args).execute(g.conn()?).await?.rows_affected()
            }
            TxInner::Postgres(t) => bind_all!(sqlx::query(sql), args).execute(&mut **t).await?.rows_affected(),
        };
        Ok(n)
    }

    pub async fn fetch_all(&mut self, sql: &str, args: Vec<Value>) -> Result<Vec<Row>, StorageError> {
        let rows = match &mut self.inner {
            TxInner::Sqlite(t) => {
                let sql = positional(sql);
                bind_all!(sqlx::query(&sql), args).fetch_all(&mut **t).await?.into_iter().map(Row::Sqlite).collect()
            }
            TxInner::SqliteGroup(g) => {
                let sql = positional(sql);
                bind_all!(sqlx::query(&sql), args).fetch_all(g.conn()?).await?.into_iter().map(Row::Sqlite).collect()
            }
            TxInner::Postgres(t) => {
                bind_all!(sqlx::query(sql), args).fetch_all(&mut **t).await?.into_iter().map(Row::Postgres).collect()
            }
        };
        Ok(rows)
    }

    pub async fn fetch_optional(&mut self, sql: &str, args: Vec<Value>) -> Result<Option<Row>, StorageError> {
        let row = match &mut self.inner {
            TxInner::Sqlite(t) => {
                let sql = positional(sql);
                bind_all!(sqlx::query(&sql), args).fetch_optional(&mut **t).await?.map(Row::Sqlite)
            }
            TxInner::SqliteGroup(g) => {
                let sql = positional(sql);
                bind_all!(sqlx::query(&sql), args).fetch_optional(g.conn()?).await?.map(Row::Sqlite)
            }
            TxInner::Postgres(t) => {
                bind_all!(sqlx::query(sql), args).fetch_optional(&mut **t).await?.map(Row::Postgres)
            }
        };
        Ok(row)
    }

    pub async fn fetch_one(&mut self, sql: &str, args: Vec<Value>) -> Result<Row, StorageError> {
        self.fetch_optional(sql, args).await?.ok_or(StorageError::Sqlx(sqlx::Error::RowNotFound))
    }

    /// Convenience for `SELECT COUNT(*)`-like queries and `RETURNING id`.
    pub async fn fetch_i64(&mut self, sql: &str, args: Vec<Value>) -> Result<i64, StorageError> {
        self.fetch_one(sql, args).await?.get_idx(0)
    }

    /// Bounds the run time of the statements that follow in this transaction: PostgreSQL
    /// cancels them with `statement_timeout`; SQLite interrupts them from a progress
    /// handler that checks a deadline every few thousand virtual-machine steps. Either way
    /// the statement fails with an error that `StorageError::is_timeout` recognises.
    pub async fn limit_duration(&mut self, limit: Duration) -> Result<(), StorageError> {
        match &mut self.inner {
            TxInner::Sqlite(t) => {
                let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
                let flag = armed.clone();
                let deadline = std::time::Instant::now() + limit;
                let mut handle = t.lock_handle().await?;
                handle.set_progress_handler(4_000, move || {
                    !flag.load(std::sync::atomic::Ordering::Relaxed) || std::time::Instant::now() < deadline
                });
                self.deadline = Some(DeadlineGuard(armed));
            }
            // The writer's connection is shared by a batch of write transactions: an
            // interrupt would hit the others too. Writes are bounded by their own code.
            TxInner::SqliteGroup(_) => {}
            TxInner::Postgres(t) => {
                let ms = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX).max(1);
                sqlx::query(&format!("SET LOCAL statement_timeout = {ms}")).execute(&mut **t).await?;
            }
        }
        Ok(())
    }

    /// Runs statements that return no rows, in order. On SQLite they reach the writer's
    /// thread in one call (sqlx runs a multi-statement text in one go, binding positional
    /// parameters across its statements in order): one hand-off instead of one per
    /// statement. PostgreSQL's protocol takes one statement with parameters at a time.
    pub async fn execute_all(&mut self, statements: Vec<Statement>) -> Result<(), StorageError> {
        if self.backend() == Backend::Postgres {
            for st in statements {
                self.execute(&st.sql, st.args).await?;
            }
            return Ok(());
        }
        let (mut sql, mut args) = (String::new(), Vec::new());
        for st in statements {
            let text = positional(&st.sql);
            if matches!(text, std::borrow::Cow::Borrowed(_)) && !st.args.is_empty() {
                // A `$n` left in place would be bound by its number across the whole text,
                // wrong after the first statement: run what came before, then this alone.
                self.execute_text(std::mem::take(&mut sql), std::mem::take(&mut args)).await?;
                self.execute(&st.sql, st.args).await?;
                continue;
            }
            sql.push_str(&text);
            sql.push_str(";\n");
            args.extend(st.args);
        }
        self.execute_text(sql, args).await
    }

    /// Runs a SQLite text of statements with positional parameters, in one call.
    async fn execute_text(&mut self, sql: String, args: Vec<Value>) -> Result<(), StorageError> {
        if sql.is_empty() {
            return Ok(());
        }
        match &mut self.inner {
            TxInner::Sqlite(t) => {
                bind_all!(sqlx::query(&sql), args).execute(&mut **t).await?;
            }
            TxInner::SqliteGroup(g) => {
                bind_all!(sqlx::query(&sql), args).execute(g.conn()?).await?;
            }
            TxInner::Postgres(t) => {
                bind_all!(sqlx::query(&sql), args).execute(&mut **t).await?;
            }
        }
        Ok(())
    }

    /// Opens a savepoint inside this transaction: a part that can be undone alone
    /// (`rollback_to`) while the rest commits. `name` is a fixed identifier.
    pub async fn savepoint(&mut self, name: &'static str) -> Result<(), StorageError> {
        self.execute(&format!("SAVEPOINT {name}"), Vec::new()).await.map(|_| ())
    }

    /// Keeps what was done since `savepoint(name)`, as part of the transaction.
    pub async fn release(&mut self, name: &'static str) -> Result<(), StorageError> {
        self.execute(&format!("RELEASE SAVEPOINT {name}"), Vec::new()).await.map(|_| ())
    }

    /// Undoes what was done since `savepoint(name)` and closes it. On PostgreSQL this also
    /// makes a transaction usable again after a failed statement.
    pub async fn rollback_to(&mut self, name: &'static str) -> Result<(), StorageError> {
        self.execute(&format!("ROLLBACK TO SAVEPOINT {name}"), Vec::new()).await?;
        self.release(name).await
    }

    pub async fn commit(self) -> Result<(), StorageError> {
        self.commit_behind().await?.wait().await
    }

    /// Commits without waiting for durability: the returned [`Committed`] resolves when the
    /// commit is durable, and only then may the write be acknowledged. On SQLite the writer
    /// is free for the next transaction meanwhile (see `wal_sync`); elsewhere the commit is
    /// durable when this returns.
    pub async fn commit_behind(self) -> Result<Committed, StorageError> {
        let durable = match self.inner {
            TxInner::Sqlite(t) => {
                t.commit().await?;
                Durable::now()
            }
            TxInner::SqliteGroup(g) => g.commit_behind().await?,
            TxInner::Postgres(t) => {
                t.commit().await?;
                Durable::now()
            }
        };
        Ok(Committed { durable, identity: self.identity.filter(|m| m.changed) })
    }

    /// Records that this transaction changes users, API keys, memberships, profiles or
    /// organisations; its commit then bumps the store's identity epoch. Every storage
    /// function writing those tables calls it.
    pub(super) fn identity_changed(&mut self) {
        if let Some(mark) = &mut self.identity {
            mark.changed = true;
        }
    }
}

/// A transaction committed by [`Tx::commit_behind`], not yet known to be durable.
pub struct Committed {
    durable: Durable,
    identity: Option<IdentityMark>,
}

impl Committed {
    /// Waits until the commit is durable.
    pub async fn wait(self) -> Result<(), StorageError> {
        self.durable.wait().await?;
        // After the commit, never before: a reader that saw the old epoch may have read the
        // old rows, and its cache entry must not outlive this bump.
        if let Some(mark) = self.identity {
            mark.epoch.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }
}

/// A result row from either backend.
pub enum Row {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

/// Types that both drivers can decode. All our integer columns are 64-bit on both.
pub trait Column: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> {}
impl<T> Column for T where T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> {}

impl Row {
    /// Reads a column by name. A decoding failure is a schema bug, reported as an error.
    pub fn get<T: Column>(&self, col: &str) -> Result<T, StorageError> {
        let v = match self {
            Row::Sqlite(r) => r.try_get(col)?,
            Row::Postgres(r) => r.try_get(col)?,
        };
        Ok(v)
    }

    pub fn get_idx<T: Column>(&self, idx: usize) -> Result<T, StorageError> {
        let v = match self {
            Row::Sqlite(r) => r.try_get(idx)?,
            Row::Postgres(r) => r.try_get(idx)?,
        };
        Ok(v)
    }
}
