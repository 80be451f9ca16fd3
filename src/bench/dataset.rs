//! The benchmark dataset: deterministic from a seed, realistic in shape.
//!
//! Organisations `bench-soc` (80 % of cases) and `bench-cert` (20 %), linked; 10 % of cases
//! are shared with the other organisation with the `analyst` profile. Statuses, severities,
//! TLP and tags follow a SOC's usual mix; every case has 3 tasks and 10 observables, a part
//! of which recur across cases (see `observable`), so correlation has real work to do. A share of the alerts was imported into cases. Rows go in through
//! `storage::seed` in large batches, with the same columns the API writes and one audit row
//! per case.

use crate::args;
use crate::auth::secrets::sha256_hex;
use crate::storage::{Store, Value, seed};

/// Sizes of a generated dataset.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Shape {
    pub cases: usize,
    pub observables_per_case: usize,
    pub tasks_per_case: usize,
    pub alerts: usize,
    pub observables_per_alert: usize,
}

/// xorshift64*: tiny, fast, deterministic; statistical quality is plenty for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    pub fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const TAGS: &[&str] = &[
    "phishing",
    "malware",
    "ransomware",
    "bec",
    "credential-theft",
    "c2",
    "lateral-movement",
    "exfiltration",
    "vpn",
    "o365",
    "endpoint",
    "network",
    "dns",
    "tlp:amber",
    "tlp:green",
    "false-positive-candidate",
    "vip",
    "cloud",
    "aws",
    "azure",
];
const CATEGORIES: &[&str] = &[
    "Phishing campaign",
    "Malware on endpoint",
    "Suspicious login",
    "Data exfiltration",
    "Ransomware",
    "Policy violation",
];
const TASKS: &[&str] = &["Triage", "Containment", "Eradication", "Recovery", "Lessons learned"];

pub struct Orgs {
    pub soc: i64,
    pub cert: i64,
    pub soc_users: Vec<String>,
    pub cert_users: Vec<String>,
}

/// A status, its stage and closing dates for a case created at `created`.
fn status(rng: &mut Rng, created: i64) -> (&'static str, &'static str, Option<i64>, Option<i64>) {
    match rng.below(10) {
        0 | 1 => ("New", "New", None, None),
        2..=4 => ("InProgress", "InProgress", Some(created + 3_600_000), None),
        5 | 6 => ("TruePositive", "Closed", Some(created + 3_600_000), Some(created + 86_400_000)),
        7 | 8 => ("FalsePositive", "Closed", Some(created + 3_600_000), Some(created + 7_200_000)),
        _ => ("Indeterminate", "Closed", Some(created + 3_600_000), Some(created + 172_800_000)),
    }
}

/// An observable value. 70 % come from a large pool (mostly seen once or twice), 30 % from
/// a hot pool of recurring indicators (each seen a few dozen times across a million cases),
/// which is what makes correlation useful and costly in a real SOC.
pub fn observable(rng: &mut Rng) -> (&'static str, String) {
    let n = if rng.below(10) < 7 { 1_000_000 + rng.below(20_000_000) } else { rng.below(100_000) };
    match rng.below(5) {
        0 => (
            "ip",
            format!("{}.{}.{}.{}", 1 + n % 223, (n / 223) % 256, (n / 57_088) % 256, (n / 14_614_528) % 256 + n % 7),
        ),
        1 => ("domain", format!("host{n}.{}.example", ["com", "net", "org"][(n % 3) as usize])),
        2 => ("hash", format!("{:064x}", n.wrapping_mul(0x9E37_79B9_7F4A_7C15))),
        3 => ("url", format!("https://cdn{}.example.com/p/{n}", n % 977)),
        _ => ("mail", format!("user{n}@corp{}.example", n % 20)),
    }
}

fn tags(rng: &mut Rng) -> Vec<&'static str> {
    let mut t: Vec<&str> = (0..1 + rng.below(3)).map(|_| rng.pick(TAGS)).collect();
    t.sort_unstable();
    t.dedup();
    t
}

const BATCH: usize = 5_000;
/// Two years of history, ending at a fixed instant so runs are comparable.
const END: i64 = 1_790_000_000_000;
const SPAN: i64 = 2 * 365 * 86_400_000;

/// Writes `shape.cases` cases (with shares, tags, tasks, observables, audit) and
/// `shape.alerts` alerts. Returns the ids of the cases created, in order.
pub async fn generate(store: &Store, orgs: &Orgs, shape: Shape, seed_value: u64) -> Result<Vec<i64>, String> {
    let e = |e: crate::storage::StorageError| e.to_string();
    let mut rng = Rng::new(seed_value);
    let mut case_ids = Vec::with_capacity(shape.cases);
    let mut case_orgs = Vec::with_capacity(shape.cases);
    let mut done = 0;
    while done < shape.cases {
        let n = BATCH.min(shape.cases - done);
        let mut tx = store.write().await.map_err(e)?;
        let owner_profile = seed::profile_id(&mut tx, "org-admin").await.map_err(e)?;
        let analyst_profile = seed::profile_id(&mut tx, "analyst").await.map_err(e)?;
        let first = seed::reserve_case_numbers(&mut tx, n as i64).await.map_err(e)?;
        let mut rows = Vec::with_capacity(n);
        let mut meta = Vec::with_capacity(n);
        for k in 0..n {
            let i = done + k;
            let created = END - SPAN + (SPAN / shape.cases.max(1) as i64) * i as i64;
            let in_soc = rng.below(10) < 8;
            let (org, users) = if in_soc { (orgs.soc, &orgs.soc_users) } else { (orgs.cert, &orgs.cert_users) };
            let (status, stage, in_progress, closed) = status(&mut rng, created);
            let t = tags(&mut rng);
            let assignee = users[rng.below(users.len() as u64) as usize].clone();
            let severity = [1, 2, 2, 2, 3, 3, 4][rng.below(7) as usize] as i64;
            rows.push(vec![
                Value::from(first + k as i64),
                Value::from(org),
                Value::from(format!("{} #{}", rng.pick(CATEGORIES), first + k as i64)),
                Value::from("Generated by waggle bench: details of the incident, timeline and scope."),
                Value::from(severity),
                Value::from(rng.below(4) as i64),
                Value::from(2i64),
                Value::from(created),
                Value::from(closed),
                Value::from(rng.below(20) == 0),
                Value::from(status),
                Value::from(stage),
                Value::from(closed.map(|_| "NoImpact")),
                Value::from(closed.map(|_| "Closed by the benchmark generator")),
                Value::from(assignee.clone()),
                Value::from(serde_json::to_string(&t).unwrap_or_else(|_| "[]".into())),
                Value::from(created),
                Value::from(in_progress),
                Value::from(closed),
                Value::from(assignee),
                Value::from(created),
            ]);
            meta.push((org, t, created, in_soc, rng.below(10) == 0));
        }
        seed::insert_rows(
            &mut tx,
            "cases",
            &[
                "number",
                "organisation_id",
                "title",
                "description",
                "severity",
                "tlp",
                "pap",
                "start_date",
                "end_date",
                "flag",
                "status",
                "stage",
                "impact_status",
                "summary",
                "assignee",
                "tags",
                "new_date",
                "in_progress_date",
                "closed_date",
                "created_by",
                "created_at",
            ],
            rows,
        )
        .await
        .map_err(e)?;
        let ids = seed::case_ids_by_number(&mut tx, first, n as i64).await.map_err(e)?;
        let mut shares = Vec::new();
        let mut case_tags = Vec::new();
        let mut tasks = Vec::new();
        let mut observables = Vec::new();
        let mut audits = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            let (org, t, created, in_soc, shared) = &meta[k];
            shares.push(args![*id, *org, owner_profile, true, "bench", *created]);
            if *shared {
                let other = if *in_soc { orgs.cert } else { orgs.soc };
                shares.push(args![*id, other, analyst_profile, false, "bench", *created]);
            }
            for tag in t {
                case_tags.push(args![*id, *tag]);
            }
            for p in 0..shape.tasks_per_case {
                let title = TASKS[p % TASKS.len()];
                tasks.push(args![
                    *id,
                    title,
                    "default",
                    "Task generated by waggle bench",
                    ["Waiting", "InProgress", "Completed"][p % 3],
                    false,
                    *created,
                    p as i64,
                    "bench",
                    *created
                ]);
            }
            let mut seen = std::collections::HashSet::new();
            for _ in 0..shape.observables_per_case {
                let (ty, data) = observable(&mut rng);
                let hash = sha256_hex(data.as_bytes());
                if !seen.insert((ty, hash.clone())) {
                    continue;
                }
                let ioc = rng.below(4) == 0;
                observables
                    .push(args![*id, ty, data, hash, 2i64, 2i64, ioc, false, false, *created, "[]", "bench", *created]);
            }
            audits.push(args![*created, "bench", *org, "bench-seed", "create", "Case", *id, "Case", *id, "{}", true]);
            case_ids.push(*id);
            case_orgs.push(*org);
        }
        seed::insert_rows(
            &mut tx,
            "share",
            &["case_id", "organisation_id", "profile_id", "owner", "created_by", "created_at"],
            shares,
        )
        .await
        .map_err(e)?;
        seed::insert_rows(&mut tx, "case_tag", &["case_id", "tag"], case_tags).await.map_err(e)?;
        seed::insert_rows(
            &mut tx,
            "task",
            &[
                "case_id",
                "title",
                "group_name",
                "description",
                "status",
                "flag",
                "start_date",
                "position",
                "created_by",
                "created_at",
            ],
            tasks,
        )
        .await
        .map_err(e)?;
        seed::insert_rows(
            &mut tx,
            "observable",
            &[
                "case_id",
                "data_type",
                "data",
                "data_hash",
                "tlp",
                "pap",
                "ioc",
                "sighted",
                "ignore_similarity",
                "start_date",
                "tags",
                "created_by",
                "created_at",
            ],
            observables,
        )
        .await
        .map_err(e)?;
        seed::insert_rows(
            &mut tx,
            "audit",
            &[
                "created_at",
                "created_by",
                "organisation_id",
                "request_id",
                "operation",
                "object_type",
                "object_id",
                "root_type",
                "root_id",
                "details",
                "main_action",
            ],
            audits,
        )
        .await
        .map_err(e)?;
        tx.commit().await.map_err(e)?;
        done += n;
    }
    generate_alerts(store, orgs, shape, &mut rng, &case_ids, &case_orgs).await?;
    let mut tx = store.write().await.map_err(e)?;
    seed::analyze(&mut tx).await.map_err(e)?;
    tx.commit().await.map_err(e)?;
    Ok(case_ids)
}

async fn generate_alerts(
    store: &Store,
    orgs: &Orgs,
    shape: Shape,
    rng: &mut Rng,
    case_ids: &[i64],
    case_orgs: &[i64],
) -> Result<(), String> {
    let e = |e: crate::storage::StorageError| e.to_string();
    let mut done = 0;
    while done < shape.alerts {
        let n = BATCH.min(shape.alerts - done);
        let mut tx = store.write().await.map_err(e)?;
        let mut rows = Vec::with_capacity(n);
        for k in 0..n {
            let i = done + k;
            let created = END - SPAN / 4 + (SPAN / 4 / shape.alerts.max(1) as i64) * i as i64;
            let imported = !case_ids.is_empty() && rng.below(10) < 3;
            let (org, case_id) = if imported {
                let c = rng.below(case_ids.len() as u64) as usize;
                (case_orgs[c], Some(case_ids[c]))
            } else {
                (if rng.below(10) < 8 { orgs.soc } else { orgs.cert }, None)
            };
            let t = tags(rng);
            let (status, stage) = if imported {
                ("Imported", "Imported")
            } else {
                ["New", "New", "InProgress"]
                    .iter()
                    .map(|s| (*s, *s))
                    .nth(rng.below(3) as usize)
                    .unwrap_or(("New", "New"))
            };
            rows.push(args![
                org,
                "siem",
                ["splunk", "elastic", "sentinel"][rng.below(3) as usize],
                format!("seed-{i}"),
                format!("{} alert {i}", rng.pick(CATEGORIES)),
                "Generated by waggle bench",
                1 + rng.below(4) as i64,
                2i64,
                2i64,
                created,
                serde_json::to_string(&t).unwrap_or_else(|_| "[]".into()),
                status,
                stage,
                imported,
                case_id,
                "bench",
                created
            ]);
        }
        seed::insert_rows(
            &mut tx,
            "alert",
            &[
                "organisation_id",
                "type",
                "source",
                "source_ref",
                "title",
                "description",
                "severity",
                "tlp",
                "pap",
                "date",
                "tags",
                "status",
                "stage",
                "read",
                "case_id",
                "created_by",
                "created_at",
            ],
            rows,
        )
        .await
        .map_err(e)?;
        // The writer is ours for the whole transaction: the newest n alerts are these.
        let rows = tx.fetch_all("SELECT id FROM alert ORDER BY id DESC LIMIT $1", args![n as i64]).await.map_err(e)?;
        let mut obs = Vec::new();
        for r in rows {
            let id: i64 = r.get("id").map_err(e)?;
            let mut seen = std::collections::HashSet::new();
            for _ in 0..shape.observables_per_alert {
                let (ty, data) = observable(rng);
                let hash = sha256_hex(data.as_bytes());
                if seen.insert((ty, hash.clone())) {
                    obs.push(args![id, ty, data, hash, 2i64, 2i64, false, false, false, END, "[]", "bench", END]);
                }
            }
        }
        seed::insert_rows(
            &mut tx,
            "observable",
            &[
                "alert_id",
                "data_type",
                "data",
                "data_hash",
                "tlp",
                "pap",
                "ioc",
                "sighted",
                "ignore_similarity",
                "start_date",
                "tags",
                "created_by",
                "created_at",
            ],
            obs,
        )
        .await
        .map_err(e)?;
        tx.commit().await.map_err(e)?;
        done += n;
    }
    Ok(())
}
