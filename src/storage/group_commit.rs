//! Group commit for SQLite: durable writes at the rate of many requests per fsync.
//!
//! With `synchronous = FULL` every COMMIT waits for the disk, a few milliseconds, which
//! would cap alert ingestion at a few hundred per second. Instead, write transactions of
//! concurrent requests run one after another on the single writer connection, each after
//! the first inside its own SAVEPOINT of one shared outer transaction; the outer
//! transaction commits when no other writer is queued, when the batch is large, or when it
//! is old. Each request is acknowledged only once that COMMIT is durable: fsynced by
//! `wal_sync` (with `FULL`), so a 2xx answer means the data is on disk.
//!
//! A request that fails or is dropped rolls back to its savepoint (the first, the whole
//! transaction), so it never affects the others in its batch. If the shared COMMIT itself
//! fails, every request of the batch gets the error (none of them was acknowledged).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use sqlx::SqliteConnection;
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, oneshot};

use super::error::StorageError;
use super::wal_sync::WalSyncer;

/// Batch limits: commit after this many requests or this much time, whichever comes first.
const MAX_BATCH: usize = 128;
const MAX_DELAY: Duration = Duration::from_millis(20);

/// How often the checkpointer copies committed WAL frames into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// WAL length, in frames (pages), at which the checkpointer also restarts the WAL (64 MiB).
const RESTART_AT_FRAMES: i64 = 16_000;
/// The writer's own `wal_autocheckpoint`, in pages (200 MiB): a backstop that bounds the
/// WAL should the checkpointer stop. SQLite's default, 1,000 pages, made alert ingestion
/// stop inside COMMIT for a checkpoint and its fsync every few batches, and once the WAL is
/// past the threshold it checkpoints after every commit until the WAL restarts.
pub const BACKSTOP_CHECKPOINT_PAGES: &str = "50000";

pub struct WriterState {
    pub(super) conn: SqliteConnection,
    in_tx: bool,
    batch_started: Instant,
    /// Requests whose work is in the open batch, waiting for its COMMIT.
    pending: Vec<oneshot::Sender<Result<(), String>>>,
    /// The previous holder dropped its transaction without commit: undo its work.
    needs_rollback: bool,
    /// The current (or, with `needs_rollback`, the previous) holder's work is inside a
    /// savepoint. The first transaction of a batch has none: its work is all the batch
    /// holds, so a plain ROLLBACK undoes it, and SQLite need not keep a savepoint journal
    /// (a copy of every page it changes) for it, which was a tenth of ingestion's cost.
    in_savepoint: bool,
    /// The full-text backlog table exists (checked until it does).
    backlog_table: bool,
    /// Batches committed so far: the checkpointer skips its turn when none was.
    commits: Arc<AtomicU64>,
    /// Set by the checkpointer when the WAL is long: restart it after the next COMMIT.
    restart_wanted: Arc<AtomicBool>,
    /// With `synchronous = FULL`: fsyncs the WAL after each COMMIT, off the writer's path;
    /// the batch's waiters are answered from there. Without: answered at COMMIT.
    syncer: Option<WalSyncer>,
}

impl WriterState {
    /// Undoes the savepoint of a transaction that was dropped without commit. If that is
    /// impossible the whole batch is rolled back and its waiters told so: committing it
    /// would make the dropped transaction's partial work durable.
    async fn cleanup(&mut self) {
        if !self.needs_rollback {
            return;
        }
        self.needs_rollback = false;
        let undone = self.in_savepoint
            && match sqlx::query("ROLLBACK TO waggle_w").execute(&mut self.conn).await {
                Ok(_) => sqlx::query("RELEASE waggle_w").execute(&mut self.conn).await.is_ok(),
                Err(_) => false,
            };
        if !undone {
            let _ = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
            self.in_tx = false;
            for waiter in self.pending.drain(..) {
                // Without a savepoint the dropped transaction was the batch's first: no waiters.
                let _ = waiter.send(Err("the batch was rolled back after a failed savepoint rollback".into()));
            }
        }
    }

    /// Commits the open batch (one fsync) and tells every waiting request the outcome.
    async fn flush(&mut self) {
        if !self.in_tx {
            return;
        }
        let result =
            self.index_backlog_and_commit().await.map_err(|e| format!("full-text indexing or COMMIT failed: {e}"));
        if result.is_err() {
            // Leave no half-open transaction behind, whatever the COMMIT failure was.
            let _ = sqlx::query("ROLLBACK").execute(&mut self.conn).await;
        }
        self.in_tx = false;
        let waiters = std::mem::take(&mut self.pending);
        match (&result, &self.syncer) {
            (Ok(()), Some(syncer)) => syncer.committed(waiters),
            _ => waiters.into_iter().for_each(|waiter| drop(waiter.send(result.clone()))),
        }
        if result.is_ok() {
            self.commits.fetch_add(1, Ordering::Release);
            self.restart_wal_if_wanted().await;
        }
    }
}

impl WriterState {
    /// Restarts a long WAL from its beginning, between two batches: only a writer can,
    /// when no batch is open. The checkpointer has copied nearly all of it already, so this
    /// copies the last batches' pages, fsyncs the database file and waits for the readers
    /// of older snapshots (short) to finish. A failure only leaves the WAL long.
    async fn restart_wal_if_wanted(&mut self) {
        if !self.restart_wanted.swap(false, Ordering::AcqRel) {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(RESTART)").execute(&mut self.conn).await {
            tracing::warn!(error = %e, "WAL restart failed");
        }
    }
}

impl WriterState {
    /// Indexes the rows the batch noted in `fts_pending` (migration 0011), inside the batch
    /// transaction so the full-text index commits together with the rows, then commits:
    /// one call to the SQLite thread. Until that migration has run (first start) there is
    /// no backlog table and only the COMMIT.
    async fn index_backlog_and_commit(&mut self) -> Result<(), sqlx::Error> {
        if !self.backlog_table {
            let found: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'fts_pending'")
                    .fetch_one(&mut self.conn)
                    .await?;
            self.backlog_table = found > 0;
        }
        let text = if self.backlog_table { super::fulltext_backlog::CATCH_UP_AND_COMMIT.as_str() } else { "COMMIT" };
        sqlx::query(text).execute(&mut self.conn).await?;
        Ok(())
    }
}

pub struct SqliteWriter {
    state: Arc<Mutex<WriterState>>,
    /// Requests queued for the writer: while there are some, a batch stays open for them.
    waiting: AtomicUsize,
    wake: Notify,
}

/// Decrements the queue counter even if the waiting future is cancelled.
struct Queued<'a>(&'a AtomicUsize);
impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl SqliteWriter {
    /// `conn` writes; `checkpoint_conn`, a second read-write connection, checkpoints;
    /// `syncer`, when given, makes commits durable (see `wal_sync`).
    pub fn new(
        conn: SqliteConnection,
        checkpoint_conn: SqliteConnection,
        syncer: Option<WalSyncer>,
    ) -> Arc<SqliteWriter> {
        let commits = Arc::new(AtomicU64::new(0));
        let restart_wanted = Arc::new(AtomicBool::new(false));
        let writer = Arc::new(SqliteWriter {
            state: Arc::new(Mutex::new(WriterState {
                conn,
                in_tx: false,
                batch_started: Instant::now(),
                pending: Vec::new(),
                needs_rollback: false,
                in_savepoint: false,
                backlog_table: false,
                commits: commits.clone(),
                restart_wanted: restart_wanted.clone(),
                syncer,
            })),
            waiting: AtomicUsize::new(0),
            wake: Notify::new(),
        });
        // The committer closes batches that nobody else will close: after a dropped
        // transaction, or when the last writer left while others were still queued.
        let weak = Arc::downgrade(&writer);
        tokio::spawn(async move {
            loop {
                let Some(w) = weak.upgrade() else { break };
                tokio::select! {
                    _ = w.wake.notified() => {}
                    _ = tokio::time::sleep(MAX_DELAY) => {}
                }
                let mut state = w.state.lock().await;
                state.cleanup().await;
                let stale = state.in_tx
                    && (w.waiting.load(Ordering::Acquire) == 0 || state.batch_started.elapsed() >= MAX_DELAY);
                if stale {
                    state.flush().await;
                }
            }
        });
        spawn_checkpointer(Arc::downgrade(&writer), commits, restart_wanted, checkpoint_conn);
        writer
    }

    /// Starts a write transaction: a savepoint in the open batch, or the batch itself.
    pub async fn begin(self: &Arc<Self>) -> Result<GroupTx, StorageError> {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let queued = Queued(&self.waiting);
        let mut guard = self.state.clone().lock_owned().await;
        drop(queued);
        guard.cleanup().await;
        if guard.in_tx {
            sqlx::query("SAVEPOINT waggle_w").execute(&mut guard.conn).await?;
            guard.in_savepoint = true;
        } else {
            sqlx::query("BEGIN IMMEDIATE").execute(&mut guard.conn).await?;
            guard.in_tx = true;
            guard.in_savepoint = false;
            guard.batch_started = Instant::now();
        }
        Ok(GroupTx { guard: Some(guard), writer: self.clone() })
    }

    /// Commits whatever is open (shutdown). The connection closes when the store is dropped.
    pub async fn close(&self) {
        let mut state = self.state.lock().await;
        state.cleanup().await;
        state.flush().await;
    }
}

/// One request's write transaction in a batch.
pub struct GroupTx {
    guard: Option<OwnedMutexGuard<WriterState>>,
    writer: Arc<SqliteWriter>,
}

impl GroupTx {
    pub fn conn(&mut self) -> Result<&mut SqliteConnection, StorageError> {
        match self.guard.as_mut() {
            Some(g) => Ok(&mut g.conn),
            None => Err(StorageError::Commit("transaction already finished".into())),
        }
    }

    /// Releases the savepoint and hands the writer on; the returned [`Durable`] resolves
    /// when the batch holding this transaction is durably committed. A caller with more
    /// to write can start its next transaction before then.
    pub async fn commit_behind(mut self) -> Result<Durable, StorageError> {
        let Some(mut guard) = self.guard.take() else { return Ok(Durable::now()) };
        if guard.in_savepoint
            && let Err(e) = sqlx::query("RELEASE waggle_w").execute(&mut guard.conn).await
        {
            guard.needs_rollback = true;
            self.writer.wake.notify_one();
            return Err(e.into());
        }
        let (tx, rx) = oneshot::channel();
        guard.pending.push(tx);
        let alone = self.writer.waiting.load(Ordering::Acquire) == 0;
        if alone || guard.pending.len() >= MAX_BATCH || guard.batch_started.elapsed() >= MAX_DELAY {
            guard.flush().await;
        }
        drop(guard);
        Ok(Durable(Some(rx)))
    }
}

/// The promise of a committed transaction's durability (see [`GroupTx::commit_behind`]).
pub struct Durable(Option<oneshot::Receiver<Result<(), String>>>);

impl Durable {
    /// A commit that was durable when it returned (outside the group commit).
    pub(super) fn now() -> Durable {
        Durable(None)
    }

    /// Waits until the transaction is durable, or reports why it is not known to be.
    pub async fn wait(self) -> Result<(), StorageError> {
        let Some(rx) = self.0 else { return Ok(()) };
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StorageError::Commit(e)),
            Err(_) => Err(StorageError::Commit("the writer stopped before committing".into())),
        }
    }
}

impl Drop for GroupTx {
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            guard.needs_rollback = true;
            drop(guard);
            self.writer.wake.notify_one();
        }
    }
}

/// Checkpoints the WAL from a connection of its own, so that the writer's COMMITs stay
/// short. A PASSIVE checkpoint runs beside the writer (it takes no write lock and waits for
/// nobody) and fsyncs the database file before SQLite may reuse the WAL, so durability is
/// unchanged. Only a writer between transactions can restart the WAL from its beginning,
/// which a busy writer never is when this runs: once the WAL is long, this asks the
/// writer to restart it after its next COMMIT. Runs every `CHECKPOINT_EVERY` after batches
/// were committed, and ends with the writer.
fn spawn_checkpointer(
    writer: std::sync::Weak<SqliteWriter>,
    commits: Arc<AtomicU64>,
    restart_wanted: Arc<AtomicBool>,
    mut conn: SqliteConnection,
) {
    tokio::spawn(async move {
        let mut checkpointed = 0;
        loop {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            if writer.strong_count() == 0 {
                break;
            }
            let committed = commits.load(Ordering::Acquire);
            if committed == checkpointed {
                continue;
            }
            checkpointed = committed;
            // Columns: busy, frames in the WAL, frames checkpointed.
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&mut conn).await {
                Ok((_, frames, _)) if frames >= RESTART_AT_FRAMES => restart_wanted.store(true, Ordering::Release),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "WAL checkpoint failed; the writer's backstop still bounds the WAL")
                }
            }
        }
    });
}
