//! THE PROOF that multi-tenancy holds: a randomized black-box probe.
//!
//! It builds a world through the API (`world`): four organisations, linked and not, users
//! with every default profile plus a user in three organisations with three profiles, and
//! cases shared at random — profiles, task and observable rules, single items shared by
//! hand — with tasks, logs, files, observables carrying one value everywhere (correlation),
//! comments, pages, procedures, alerts and organisation objects. It then calls every
//! endpoint of the API as every actor on every object (`reads`, `writes`, `destroy`;
//! destructive calls on throwaway objects) and compares each answer with an explicit model
//! of who may see and do what (`model`): the status (2xx / 403 / 404 / 400) and, for every
//! list, the exact ids. The routes are read from the routers (`routes`): a route nobody
//! probes fails the test.
//!
//! The world and the order of calls come from a seeded generator: a failure names its seed
//! and replays with `WAGGLE_PROBE_SEED=<seed>`.

mod client;
mod destroy;
mod model;
mod reads;
mod rng;
mod routes;
mod world;
mod writes;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::harness::TestApp;

crate::backend_tests!(leak_probe);

const DEFAULT_SEED: u64 = 0x05EE_D0FB_00B5;

async fn leak_probe(app: TestApp) {
    let seed = std::env::var("WAGGLE_PROBE_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED);
    let mut rng = rng::Rng::new(seed);
    let started = std::time::Instant::now();
    let mut probe = client::Probe::new(app.base.clone(), app.client.clone(), 4);
    let mut m = world::build(&mut probe, &mut rng).await;
    let built = started.elapsed();
    let probe = Arc::new(probe);

    let mut checks = reads::checks(&m, &mut rng);
    rng.shuffle(&mut checks);
    probe.run(checks).await;
    writes::run(&probe, &mut m, &mut rng).await;
    destroy::run(&probe, &mut m, &mut rng).await;

    // Every declared route was probed, or is excluded with a reason.
    let hit = probe.routes_hit.lock().map(|h| h.clone()).unwrap_or_default();
    let mut unprobed = Vec::new();
    for (method, path) in routes::declared() {
        let probed = hit.iter().any(|(m, r)| *m == method && *r == path);
        let excluded = routes::EXCLUDED.iter().any(|(m, p, _)| *m == method && *p == path);
        if !probed && !excluded {
            unprobed.push(format!("{method} {path}"));
        }
    }
    let calls = probe.calls.load(Ordering::Relaxed);
    let setup = probe.setup_calls.load(Ordering::Relaxed);
    let leaks = probe.leaks.load(Ordering::Relaxed);
    let failures = probe.failures.lock().map(|f| f.clone()).unwrap_or_default();
    println!(
        "leak probe ({:?}, seed {seed}): {calls} probe calls by {} actors over {} routes ({setup} setup calls, world \
         built in {built:.1?}, total {:.1?}); {leaks} leaks, {} mismatches",
        app.backend,
        m.actors.len(),
        hit.len(),
        started.elapsed(),
        failures.len() - leaks,
    );
    for f in failures.iter().take(40) {
        println!("  {f}");
    }
    assert!(unprobed.is_empty(), "routes neither probed nor excluded: {unprobed:?}");
    assert!(
        failures.is_empty(),
        "{} failures ({leaks} leaks), seed {seed}; first: {:?}",
        failures.len(),
        failures.first()
    );
}
