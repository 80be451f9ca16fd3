//! Batched alert ingestion: concurrent `POST /alert` requests are written together.
//!
//! SIEMs send alerts in bursts from many connections. Writing each in a transaction of its
//! own costs a dozen round trips to the database per alert (and on SQLite each one holds
//! the single writer), so the writer, not the work, limits the rate. Here requests queue
//! for one task that takes every request waiting, writes them all with the multi-row
//! statements of `create::create_many_in_tx` in one transaction, and answers each once that
//! transaction is durably committed. While one batch is written the next one gathers, so
//! batches grow with the load and a lone request is written at once.
//!
//! Each request keeps its own outcome: a duplicate or a failed check refuses that request
//! only. A failure that can only be seen after rows were written (a malformed inline file,
//! an unknown ATT&CK pattern, a bad custom field) rolls the batch back and writes its
//! requests again one by one, each in a savepoint of its own, so the bad one is refused
//! alone and the others still land.

use std::sync::OnceLock;

use tokio::sync::{mpsc, oneshot};

use super::Created;
use super::create::{AlertInput, Request, create_many_in_tx};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::observables::type_table_for_all;
use crate::storage::{Committed, Store};

/// Most requests written in one transaction. Larger batches gain little (the per-batch
/// costs are already spread thin) and would hold the SQLite writer longer.
const MAX_BATCH: usize = 256;
/// Requests that may wait for the writer task; further ones wait to enqueue.
const QUEUE: usize = 4096;

struct Job {
    caller: Caller,
    input: AlertInput,
    reply: oneshot::Sender<Result<Created, ApiError>>,
}

/// The queue in front of the batch writer; the writer task starts with the first request.
pub struct AlertIntake {
    store: Store,
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl AlertIntake {
    pub fn new(store: Store) -> AlertIntake {
        AlertIntake { store, queue: OnceLock::new() }
    }

    /// Creates one alert (without uploaded files) as part of the next batch; returns when
    /// the batch holding it is committed.
    pub async fn submit(&self, caller: Caller, input: AlertInput) -> Result<Created, ApiError> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(self.store.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job { caller, input, reply })
            .await
            .map_err(|_| ApiError::Internal("the alert writer has stopped".into()))?;
        answer.await.map_err(|_| ApiError::Internal("the alert writer stopped before answering".into()))?
    }
}

/// The writer task: one batch at a time, until every sender is gone. A batch's requests are
/// answered once it is durable, while the next batch is already being written.
async fn run(store: Store, mut queue: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let batch = std::mem::take(&mut jobs);
        let requests: Vec<Request> =
            batch.iter().map(|j| Request { caller: &j.caller, input: &j.input, files: &[] }).collect();
        let written = write_behind(&store, &requests).await;
        tokio::spawn(async move {
            let outcomes = when_durable(written, batch.len()).await;
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                // A requester that went away (client disconnected) needs no answer.
                let _ = job.reply.send(outcome);
            }
        });
    }
}

/// Creates a batch of alerts in one transaction and waits until it is durable; one outcome
/// per request, in order.
pub async fn create_batch(store: &Store, requests: &[Request<'_>]) -> Vec<Result<Created, ApiError>> {
    when_durable(write_behind(store, requests).await, requests.len()).await
}

/// A batch's outcomes, and its commit when it wrote something.
type Written = Result<(Vec<Result<Created, ApiError>>, Option<Committed>), ApiError>;

/// The outcomes of a written batch once its commit is durable. If the transaction itself
/// failed (could not start, or its COMMIT or fsync failed), nothing of the batch was
/// acknowledged, and every request is told so.
async fn when_durable(written: Written, count: usize) -> Vec<Result<Created, ApiError>> {
    let outcome = match written {
        Ok((outcomes, None)) => Ok(outcomes),
        Ok((outcomes, Some(committed))) => committed.wait().await.map(|()| outcomes).map_err(ApiError::from),
        Err(e) => Err(e),
    };
    outcome.unwrap_or_else(|e| {
        (0..count).map(|_| Err(ApiError::Internal(format!("alert batch not written: {e}")))).collect()
    })
}

/// Writes and commits a batch; its durability is for the caller to wait for.
async fn write_behind(store: &Store, requests: &[Request<'_>]) -> Written {
    let now = crate::clock::now_ms();
    let lists: Vec<&[_]> = requests.iter().map(|r| r.input.observables.as_slice()).collect();
    let mut tx = store.write().await?;
    let types = type_table_for_all(&mut tx, &lists).await?;
    // No savepoint around the batch: SQLite would copy every page the batch changes into
    // its savepoint journal. A late failure drops the whole transaction instead.
    let failure = match create_many_in_tx(&mut tx, requests, &types, now).await {
        Ok(outcomes) => return Ok((outcomes, Some(tx.commit_behind().await?))),
        Err(e) => e,
    };
    drop(tx);
    if requests.len() == 1 {
        return Ok((vec![Err(failure)], None));
    }
    // One by one, each in a savepoint, so that only the bad request is refused.
    let mut tx = store.write().await?;
    let mut outcomes = Vec::with_capacity(requests.len());
    for request in requests {
        tx.savepoint("alert_one").await?;
        match create_many_in_tx(&mut tx, std::slice::from_ref(request), &types, now).await {
            Ok(mut one) => {
                tx.release("alert_one").await?;
                outcomes.push(one.pop().unwrap_or_else(|| Err(ApiError::Internal("no outcome".into()))));
            }
            Err(e) => {
                tx.rollback_to("alert_one").await?;
                outcomes.push(Err(e));
            }
        }
    }
    Ok((outcomes, Some(tx.commit_behind().await?)))
}
