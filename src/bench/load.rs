//! A closed-loop load generator: `concurrency` workers each send requests back to back over
//! keep-alive connections until `total` requests were sent (or the time budget is spent),
//! recording each latency.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::stats::Figure;

/// The longest a scenario runs: enough samples for stable percentiles at any dataset size,
/// and the full mode's slow scenarios (full-text at a million cases) do not take an hour.
const BUDGET: Duration = Duration::from_secs(45);

/// Runs `op(i)` for i in 0..total (stopping early when [`BUDGET`] is spent) with `concurrency` concurrent workers. `op` returns whether
/// the operation succeeded; failures are counted, not timed.
pub async fn run<F, Fut>(scenario: &str, total: usize, concurrency: usize, op: F) -> Figure
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency.max(1) {
        let op = op.clone();
        let next = next.clone();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut errors = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || start.elapsed() >= BUDGET {
                    break;
                }
                let t = Instant::now();
                if op(i).await {
                    samples.push(t.elapsed());
                } else {
                    errors += 1;
                }
            }
            (samples, errors)
        }));
    }
    let mut samples: Vec<Duration> = Vec::with_capacity(total);
    let mut errors = 0;
    for w in workers {
        if let Ok((s, e)) = w.await {
            samples.extend(s);
            errors += e;
        }
    }
    Figure::from_samples(scenario, samples, errors, start.elapsed())
}
