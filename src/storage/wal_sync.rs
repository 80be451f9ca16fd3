//! Durability behind the SQLite writer: the WAL is fsynced on a thread of its own.
//!
//! With `synchronous = FULL`, SQLite fsyncs the WAL inside every COMMIT, and the single
//! writer connection can do nothing else meanwhile: under alert ingestion a third of each
//! batch's time went to that wait. Instead the writer connection runs with
//! `synchronous = NORMAL` (a WAL COMMIT then only writes its frames into the file) and this
//! thread fsyncs the WAL after each COMMIT, while the writer already runs the next
//! transaction. Nobody is told "committed" before the fsync that covers their COMMIT has
//! returned, so an acknowledged write survives power loss exactly as with `FULL`:
//!
//! - a commit's frames are written (`pwrite`) before COMMIT returns, and its waiters reach
//!   this thread only after that, so the fsync they wait for starts after their frames
//!   were written;
//! - the WAL is written in order, so that fsync also covers every earlier commit, and what
//!   a later commit may have half-written is discarded by SQLite's recovery (frame
//!   checksums), as with `NORMAL`;
//! - a checkpoint fsyncs the WAL before it copies frames into the database file, and the
//!   database file after, so a restarted WAL never loses a commit.
//!
//! Commits that arrive while an fsync runs share the next one.

use std::path::PathBuf;
use std::sync::mpsc;

use tokio::sync::oneshot;

/// A committed transaction's requester, waiting to hear that it is durable.
pub type Waiter = oneshot::Sender<Result<(), String>>;

pub struct WalSyncer {
    queue: mpsc::Sender<Vec<Waiter>>,
}

impl WalSyncer {
    /// Starts the thread that fsyncs `wal` (the database file's `-wal` companion). It stops
    /// when the syncer is dropped, after answering everyone queued.
    pub fn start(wal: PathBuf) -> std::io::Result<WalSyncer> {
        let (queue, commits) = mpsc::channel();
        std::thread::Builder::new().name("waggle-wal-sync".into()).spawn(move || run(&wal, &commits))?;
        Ok(WalSyncer { queue })
    }

    /// Hands over the waiters of a transaction whose COMMIT has returned.
    pub fn committed(&self, waiters: Vec<Waiter>) {
        if let Err(mpsc::SendError(waiters)) = self.queue.send(waiters) {
            for waiter in waiters {
                let _ = waiter.send(Err("the WAL sync thread has stopped".into()));
            }
        }
    }
}

fn run(wal: &std::path::Path, commits: &mpsc::Receiver<Vec<Waiter>>) {
    while let Ok(mut waiters) = commits.recv() {
        while let Ok(more) = commits.try_recv() {
            waiters.extend(more);
        }
        let outcome = sync(wal);
        if let Err(e) = &outcome {
            tracing::error!(error = %e, wal = %wal.display(), "WAL fsync failed: the last commits are not known to be durable");
        }
        for waiter in waiters {
            let _ = waiter.send(outcome.clone());
        }
    }
}

/// fsyncs the WAL through a descriptor opened now, so it is always the file SQLite writes
/// (the WAL is only removed when the last connection closes, and ours stay open).
fn sync(wal: &std::path::Path) -> Result<(), String> {
    let file = std::fs::OpenOptions::new().read(true).write(true).open(wal).map_err(|e| format!("open: {e}"))?;
    file.sync_data().map_err(|e| format!("fsync: {e}"))
}
