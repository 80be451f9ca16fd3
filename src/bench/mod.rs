//! `waggle bench`: a reproducible benchmark of what a SOC feels, with the limits measured
//! beside each figure in the same run so that ratios hold on a noisy machine.
//!
//! The server under test is the real one (`app::prepare` + `app::serve`) on a loopback
//! port, on a fresh SQLite database in a temp dir or on `--database-url`. Clients are real
//! HTTP clients on loopback. Figures are printed as a table or, with `--json`, as JSON.

pub mod dataset;
pub mod limits;
pub mod load;
pub mod memory;
pub mod queries;
pub mod report;
pub mod scenarios;
pub mod stats;

use stats::Figure;

use crate::config::{Config, Secret};

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Database to benchmark on (`postgres://…` must name an existing, EMPTY database).
    /// Default: a fresh SQLite file in a temp directory.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The full run (large dataset). Without it, a quick run that finishes in under a minute.
    #[arg(long)]
    pub full: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Concurrent clients for the HTTP scenarios.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Seed of the dataset generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of cases of the dataset instead of the mode's (alerts scale with it: one per
    /// ten cases), e.g. to profile at an intermediate size.
    #[arg(long)]
    pub cases: Option<usize>,
    /// Only generate the dataset (through the API set-up and the bulk loader) and report
    /// how fast; no scenarios. For measuring and profiling the generator.
    #[arg(long)]
    pub seed_only: bool,
    /// Keep the run's temporary directory (SQLite database, server data) for inspection
    /// instead of deleting it; its path is printed in the notes.
    #[arg(long)]
    pub keep_data: bool,
}

/// Sizes of one run.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Sizes {
    pub requests: usize,
    pub raw_alerts: usize,
    pub alerts: usize,
    pub shape: dataset::Shape,
}

impl Sizes {
    fn for_args(args: &BenchArgs) -> Sizes {
        let mut sizes = Sizes::for_mode(args);
        if let Some(cases) = args.cases {
            sizes.shape.cases = cases;
            sizes.shape.alerts = (cases / 10).max(1);
        }
        sizes
    }

    fn for_mode(args: &BenchArgs) -> Sizes {
        if args.full {
            Sizes {
                requests: 50_000,
                raw_alerts: 20_000,
                alerts: 50_000,
                shape: dataset::Shape {
                    cases: 1_000_000,
                    observables_per_case: 10,
                    tasks_per_case: 3,
                    alerts: 100_000,
                    observables_per_alert: 5,
                },
            }
        } else {
            Sizes {
                requests: 2_000,
                raw_alerts: 500,
                // Enough for several seconds of ingestion per run: batches take a moment
                // to reach their steady size.
                alerts: 8_000,
                shape: dataset::Shape {
                    cases: 5_000,
                    observables_per_case: 10,
                    tasks_per_case: 3,
                    alerts: 2_000,
                    observables_per_alert: 5,
                },
            }
        }
    }
}

/// Everything a run measured.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub backend: String,
    pub mode: &'static str,
    pub sizes: Sizes,
    pub cold_start_ms: Option<f64>,
    pub idle_rss_kib: Option<u64>,
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
    /// What the dataset generator wrote, and how fast.
    pub seeded: Option<dataset::Written>,
    pub seed_seconds: Option<f64>,
}

pub async fn run(args: BenchArgs) -> Result<Report, String> {
    let sizes = Sizes::for_args(&args);
    let tmp = std::env::temp_dir().join(format!("waggle-bench-{}", crate::auth::secrets::new_token(6)));
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let mut result = run_in(&args, sizes, &tmp).await;
    if args.keep_data {
        if let Ok(report) = &mut result {
            report.notes.push(format!("data kept in {}", tmp.display()));
        }
    } else {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

async fn run_in(args: &BenchArgs, sizes: Sizes, tmp: &std::path::Path) -> Result<Report, String> {
    let mut notes = Vec::new();
    // Cold start and idle memory of the real binary, on an empty SQLite data dir.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let port = free_port().await?;
    let cold_start = if args.seed_only { None } else { Some(memory::cold_start(&exe, &tmp.join("cold"), port).await) };
    let (cold_start_ms, idle_rss_kib) = match cold_start {
        Some(Ok((d, rss))) => (Some(d.as_secs_f64() * 1000.0), rss),
        Some(Err(e)) => {
            notes.push(format!("cold start not measured: {e}"));
            (None, None)
        }
        None => (None, None),
    };

    let data_dir = tmp.join("data");
    let config = Config {
        listen: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        data_dir: data_dir.clone(),
        database_url: args.database_url.clone().map(Secret::new),
        ..Config::default()
    };
    let backend_url = config.database()?;
    let c = args.concurrency;
    let mut figures = Vec::new();

    // Limits first, on a quiet machine.
    let limits = if args.seed_only {
        None
    } else {
        Some((limits::trivial_handler(sizes.requests, c).await?, raw_limit(tmp, sizes.raw_alerts).await?))
    };

    // Organisations and users through the API, on the first start of the server.
    let server = BenchServer::start(&exe, &data_dir, args.database_url.as_deref()).await?;
    let admin = server.admin_key().await?;
    let soc = server.org_with_users(&admin, "bench-soc", 5).await?;
    let cert = server.org_with_users(&admin, "bench-cert", 3).await?;
    server.stop().await;

    // The dataset, through the storage layer in bulk, while the server is down.
    let seed_start = std::time::Instant::now();
    let orgs = dataset::Orgs {
        soc: soc.0,
        cert: cert.0,
        soc_users: soc.1.iter().map(|u| u.0.clone()).collect(),
        cert_users: cert.1.iter().map(|u| u.0.clone()).collect(),
    };
    let written = dataset::generate(&backend_url, &orgs, sizes.shape, args.seed).await?;
    let seed_secs = seed_start.elapsed().as_secs_f64();
    notes.push(format!(
        "dataset: {} cases, {} tasks, {} observables, {} alerts, {} shares, {} audit entries; generated in {seed_secs:.1} s \
         ({:.0} cases/s, {:.0} rows/s, indexes included)",
        written.cases,
        written.tasks,
        written.observables,
        written.alerts,
        written.shares,
        written.audit_entries,
        written.cases as f64 / seed_secs.max(1e-9),
        written.rows() as f64 / seed_secs.max(1e-9),
    ));
    let seeded = Some(written);
    let Some((trivial, raw)) = limits else {
        return Ok(Report {
            backend: backend_url.to_string(),
            mode: "seed only",
            sizes,
            cold_start_ms,
            idle_rss_kib,
            figures,
            notes,
            seeded,
            seed_seconds: Some(seed_secs),
        });
    };
    let store = crate::storage::open(&backend_url, config.sqlite_synchronous, 4).await.map_err(|e| e.to_string())?;
    let mut tx = store.read().await.map_err(|e| e.to_string())?;
    let visible_cases = format!("organisation_id = {}", soc.0);
    let case_ids =
        crate::storage::seed::spread_ids(&mut tx, "cases", &visible_cases, 2000).await.map_err(|e| e.to_string())?;
    let alert_ids =
        crate::storage::seed::spread_ids(&mut tx, "alert", &visible_cases, 2000).await.map_err(|e| e.to_string())?;
    let obs_filter = format!("case_id IN (SELECT id FROM cases WHERE organisation_id = {})", soc.0);
    let obs_ids =
        crate::storage::seed::spread_ids(&mut tx, "observable", &obs_filter, 2000).await.map_err(|e| e.to_string())?;
    drop(tx);
    store.close().await;
    drop(store);

    let server = BenchServer::start(&exe, &data_dir, args.database_url.as_deref()).await?;
    let api = scenarios::Api::new(&server.base, &soc.1[1].1);
    let org_admin = scenarios::Api::new(&server.base, &soc.1[0].1);
    let rss_seeded = server.rss_kib();

    let round_trip = load::run("authenticated API request (GET /user/current)", sizes.requests, c, {
        let api = api.clone();
        move |_| {
            let api = api.clone();
            async move { api.get_ok("/api/v1/user/current").await }
        }
    })
    .await
    .against("trivial handler", trivial.throughput);
    figures.push(round_trip);

    let ingest = scenarios::alert_ingestion(&server.base, &soc.1[1].1, 0, sizes.alerts, c).await;
    figures.push(ingest.against("raw SQLite insert", raw.throughput).target(">= 3000/s and >= 50% of raw"));
    // SIEM forwarders and connector fleets hold many connections open; concurrent creates
    // are written in batches (service::alerts::intake), which grow with the clients.
    let fleet = (4 * c).max(64);
    let ingest = scenarios::alert_ingestion(&server.base, &soc.1[1].1, sizes.alerts, sizes.alerts, fleet).await;
    figures.push(ingest.against("raw SQLite insert", raw.throughput).target(">= 3000/s and >= 50% of raw"));

    let template = scenarios::make_template(&org_admin).await?;
    figures.push(scenarios::case_from_template(&api, &template, sizes.requests / 3, c).await);

    let case_paths = case_ids.iter().map(|id| format!("/api/v1/case/~{id}")).collect();
    figures.push(scenarios::gets("case page (GET /case/{id})", &api, case_paths, sizes.requests, c).await);
    let corr_paths = obs_ids.iter().map(|id| format!("/api/v1/observable/~{id}/similar")).collect();
    figures.push(
        scenarios::gets("observable correlation (seen in other cases)", &api, corr_paths, sizes.requests, c)
            .await
            .target("< 10 ms"),
    );
    let similar_paths = alert_ids.iter().map(|id| format!("/api/v1/alert/~{id}/similar")).collect();
    figures.push(scenarios::gets("similar cases of an alert", &api, similar_paths, sizes.requests, c).await);
    let corr_one = obs_ids.iter().map(|id| format!("/api/v1/observable/~{id}/similar")).collect();
    figures.push(
        scenarios::gets(
            "observable correlation (seen in other cases) [1 client]",
            &api,
            corr_one,
            (sizes.requests / 4).clamp(50, 1_000),
            1,
        )
        .await
        .target("< 10 ms"),
    );
    figures.extend(queries::run(&api, sizes.requests, c).await);

    let mixed =
        scenarios::mixed(&api, case_ids.clone(), alert_ids.clone(), obs_ids.clone(), sizes.requests * 2, c).await;
    let rss_loaded = server.rss_kib();
    figures.push(mixed);

    figures.push(trivial);
    figures.push(raw);
    server.stop().await;
    for (label, v) in [("after seeding", rss_seeded), ("under the mixed load", rss_loaded)] {
        if let Some(kib) = v {
            notes.push(format!("server resident memory {label}: {:.1} MiB", kib as f64 / 1024.0));
        }
    }
    Ok(Report {
        backend: backend_url.to_string(),
        mode: if args.full { "full" } else { "quick" },
        sizes,
        cold_start_ms,
        idle_rss_kib,
        figures,
        notes,
        seeded,
        seed_seconds: Some(seed_secs),
    })
}

/// The raw SQLite reference, always on a SQLite file beside the run.
async fn raw_limit(tmp: &std::path::Path, alerts: usize) -> Result<Figure, String> {
    let raw_db = tmp.join("raw.db");
    let url = crate::storage::DatabaseUrl::Sqlite(raw_db.clone());
    let raw_store = crate::storage::open(&url, crate::storage::SqliteSync::Full, 1).await.map_err(|e| e.to_string())?;
    crate::storage::migrate(&raw_store, 0).await.map_err(|e| e.to_string())?;
    crate::service::bootstrap::seed_admin_org_only(&raw_store).await.map_err(|e| e.to_string())?;
    raw_store.close().await;
    limits::raw_sqlite(&raw_db, crate::storage::SqliteSync::Full, alerts, 10).await
}

async fn free_port() -> Result<u16, String> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The server under test: the real `waggle serve` binary in a child process, so that its
/// memory is measured alone.
struct BenchServer {
    base: String,
    child: tokio::process::Child,
}

impl BenchServer {
    async fn start(
        exe: &std::path::Path,
        data_dir: &std::path::Path,
        database_url: Option<&str>,
    ) -> Result<BenchServer, String> {
        let port = free_port().await?;
        let mut cmd = tokio::process::Command::new(exe);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--admin-password")
            .arg("bench-secret")
            .env("WAGGLE_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true);
        if let Some(url) = database_url {
            cmd.arg("--database-url").arg(url);
        }
        let child = cmd.spawn().map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let server = BenchServer { base: format!("http://127.0.0.1:{port}"), child };
        let client = reqwest::Client::new();
        let started = std::time::Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{}/api/v1/status", server.base)).send().await
                && r.status().is_success()
            {
                return Ok(server);
            }
            if started.elapsed() > std::time::Duration::from_secs(60) {
                return Err("the server did not answer within 60 s".into());
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    fn rss_kib(&self) -> Option<u64> {
        self.child.id().and_then(memory::rss_kib)
    }

    /// An API key for the administrator (Basic auth would measure argon2, not Waggle).
    async fn admin_key(&self) -> Result<String, String> {
        let client = reqwest::Client::new();
        let resp = client
            .post(format!("{}/api/v1/user/admin@thehive.local/key/renew", self.base))
            .basic_auth(crate::service::bootstrap::ADMIN_LOGIN, Some("bench-secret"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !resp.status().is_success() {
            return Err(format!("cannot create the admin API key: {} (is the database empty?)", resp.status()));
        }
        resp.text().await.map_err(|e| e.to_string())
    }

    /// Creates an organisation with `users` analysts and returns its id and the users'
    /// logins with their API keys (the admin organisation may not handle alerts or cases).
    async fn org_with_users(
        &self,
        admin_key: &str,
        org: &str,
        users: usize,
    ) -> Result<(i64, Vec<(String, String)>), String> {
        let client = reqwest::Client::new();
        let post = |path: String, body: serde_json::Value| {
            client.post(format!("{}{path}", self.base)).bearer_auth(admin_key).json(&body).send()
        };
        async fn checked(r: Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response, String> {
            let r = r.map_err(|e| e.to_string())?;
            if r.status().is_success() { Ok(r) } else { Err(format!("bench set-up failed: {}", r.status())) }
        }
        let created: serde_json::Value = checked(
            post("/api/v1/organisation".into(), serde_json::json!({"name": org, "description": "benchmark"})).await,
        )
        .await?
        .json()
        .await
        .map_err(|e| e.to_string())?;
        let id = created["_id"].as_str().and_then(crate::ids::parse_id).ok_or("organisation id missing")?;
        let mut out = Vec::new();
        for i in 0..users {
            // The first user is the organisation's administrator (templates need it).
            let (login, profile) = if i == 0 {
                (format!("admin@{org}.example"), "org-admin")
            } else {
                (format!("analyst{i}@{org}.example"), "analyst")
            };
            let body = serde_json::json!({"login": login, "name": format!("User {i}"), "profile": profile, "organisation": org});
            checked(post("/api/v1/user".into(), body).await).await?;
            let key = checked(post(format!("/api/v1/user/{login}/key/renew"), serde_json::json!({})).await)
                .await?
                .text()
                .await
                .map_err(|e| e.to_string())?;
            out.push((login, key));
        }
        Ok((id, out))
    }

    async fn stop(mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.child.id() {
            // SIGTERM: let the server finish its writes and close the database cleanly.
            let _ = std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
        }
        let _ = tokio::time::timeout(std::time::Duration::from_secs(30), self.child.wait()).await;
        let _ = self.child.kill().await;
    }
}

/// Where the binary was built from, for the report header.
pub fn machine_description() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cpus} × {model}")
}
