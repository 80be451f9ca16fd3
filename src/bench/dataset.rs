//! The benchmark dataset: deterministic from a seed, realistic in shape, and made of the
//! same rows the API writes.
//!
//! Organisations `bench-soc` (80 % of cases) and `bench-cert` (20 %); 10 % of cases are
//! also shared with the other organisation (profile `analyst`, rules `all`, so that share
//! gets every task and observable, as the API's sharing does). Statuses, severities, TLP
//! and tags follow a SOC's usual mix; titles and descriptions are drawn from word lists so
//! that full-text searches have realistic selectivity. Every case has `tasks_per_case`
//! tasks and up to `observables_per_case` observables, 30 % of which come from a pool of
//! recurring indicators, so correlation has real work to do. Of the alerts, 30 % were
//! imported into a case (their observables are in that case too, as promotion copies
//! them); the others wait in the queue.
//!
//! Per object the rows are those of the API: the case with its tag index and owner share,
//! each task and observable, each extra share with its grants, each alert with its tag
//! index and observables, and one audit entry per creation (and per import), with the
//! details the service layer records, written by the organisation's users. Full-text rows
//! come from the same triggers as for API writes. Rows go in through `storage::seed` in
//! multi-row statements, many thousand objects per transaction, with the ids assigned here
//! (so children and audit entries name their parents without reading them back) and the
//! observable indexes built once at the end (see `seed::begin_bulk_load`).

use serde_json::json;

use crate::args;
use crate::auth::secrets::sha256_hex;
use crate::storage::{DatabaseUrl, StorageError, Value, seed};

/// Sizes of a generated dataset.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Shape {
    pub cases: usize,
    pub observables_per_case: usize,
    pub tasks_per_case: usize,
    pub alerts: usize,
    pub observables_per_alert: usize,
}

/// What was written, for the report.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Written {
    pub cases: usize,
    pub tasks: usize,
    pub observables: usize,
    pub alerts: usize,
    pub shares: usize,
    pub audit_entries: usize,
}

impl Written {
    /// Rows of the main tables (not counting tag indexes, grants and full-text rows).
    pub fn rows(&self) -> usize {
        self.cases + self.tasks + self.observables + self.alerts + self.shares + self.audit_entries
    }
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
/// Word lists of titles and descriptions (the query scenarios search for pairs of them).
pub const WORDS_THREAT: &[&str] = &[
    "phishing",
    "ransomware",
    "malware",
    "bruteforce",
    "exfiltration",
    "beaconing",
    "spearphishing",
    "cryptominer",
    "backdoor",
    "keylogger",
    "trojan",
    "worm",
    "rootkit",
    "botnet",
    "skimmer",
    "impersonation",
];
pub const WORDS_ACTION: &[&str] = &[
    "campaign",
    "outbreak",
    "attempt",
    "wave",
    "activity",
    "escalation",
    "persistence",
    "download",
    "execution",
    "login",
    "scan",
    "callback",
    "upload",
    "injection",
];
const WORDS_TARGET: &[&str] = &[
    "finance",
    "vpn",
    "mailbox",
    "server",
    "laptop",
    "domain",
    "payroll",
    "cloud",
    "printer",
    "firewall",
    "kerberos",
    "backup",
    "database",
    "webshop",
    "helpdesk",
    "sharepoint",
    "jenkins",
    "citrix",
    "wifi",
    "badge",
];
const TASKS: &[&str] = &["Triage", "Containment", "Eradication", "Recovery", "Lessons learned"];
const TASK_STATUSES: &[&str] = &["Waiting", "InProgress", "Completed"];

#[derive(Clone)]
pub struct Orgs {
    pub soc: i64,
    pub cert: i64,
    pub soc_users: Vec<String>,
    pub cert_users: Vec<String>,
}

/// A status, its stage and the stage dates for a case created at `created`.
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

fn json_tags(t: &[&str]) -> String {
    serde_json::to_string(t).unwrap_or_else(|_| "[]".into())
}

/// Cases per transaction: large enough that commits are rare, small enough to keep the
/// pending rows (about 30 per case) in memory.
const CASES_PER_TX: usize = 10_000;
/// Two years of history, ending at a fixed instant so runs are comparable.
const END: i64 = 1_790_000_000_000;
const SPAN: i64 = 2 * 365 * 86_400_000;

const CASE_COLUMNS: &[&str] = &[
    "id",
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
    "resolution_status",
    "impact_status",
    "summary",
    "assignee",
    "tags",
    "new_date",
    "in_progress_date",
    "closed_date",
    "created_by",
    "created_at",
];
const SHARE_COLUMNS: &[&str] = &[
    "id",
    "case_id",
    "organisation_id",
    "profile_id",
    "owner",
    "task_rule",
    "observable_rule",
    "created_by",
    "created_at",
];
const TASK_COLUMNS: &[&str] = &[
    "id",
    "case_id",
    "title",
    "group_name",
    "description",
    "status",
    "flag",
    "start_date",
    "end_date",
    "position",
    "mandatory",
    "created_by",
    "created_at",
];
const OBSERVABLE_COLUMNS: &[&str] = &[
    "id",
    "case_id",
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
];
const ALERT_COLUMNS: &[&str] = &[
    "id",
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
    "follow",
    "case_id",
    "imported_at",
    "new_date",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
];
const AUDIT_COLUMNS: &[&str] = &[
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
];

/// Next ids of the tables whose ids the generator assigns.
struct Ids {
    case: i64,
    share: i64,
    task: i64,
    observable: i64,
    alert: i64,
}

/// The rows of one transaction, per table.
#[derive(Default)]
struct Rows {
    cases: Vec<Vec<Value>>,
    case_tags: Vec<Vec<Value>>,
    shares: Vec<Vec<Value>>,
    share_tasks: Vec<Vec<Value>>,
    share_observables: Vec<Vec<Value>>,
    tasks: Vec<Vec<Value>>,
    observables: Vec<Vec<Value>>,
    alerts: Vec<Vec<Value>>,
    alert_tags: Vec<Vec<Value>>,
    audits: Vec<Vec<Value>>,
}

/// One audit entry as `service::audit::record` writes it.
struct Audit<'a> {
    at: i64,
    by: &'a str,
    org: i64,
    request: &'a str,
    operation: &'a str,
    object: (&'a str, i64),
    root: (&'a str, i64),
    details: serde_json::Value,
}

impl Rows {
    fn audit(&mut self, a: Audit<'_>) {
        self.audits.push(args![
            a.at,
            a.by,
            a.org,
            a.request,
            a.operation,
            a.object.0,
            a.object.1,
            a.root.0,
            a.root.1,
            a.details.to_string(),
            true,
        ]);
    }

    async fn write(self, tx: &mut crate::storage::Tx) -> Result<(), StorageError> {
        // Parents before children (foreign keys are enforced).
        seed::insert_rows(tx, "cases", CASE_COLUMNS, self.cases).await?;
        seed::insert_rows(tx, "case_tag", &["case_id", "tag"], self.case_tags).await?;
        seed::insert_rows(tx, "share", SHARE_COLUMNS, self.shares).await?;
        seed::insert_rows(tx, "task", TASK_COLUMNS, self.tasks).await?;
        seed::insert_rows(tx, "alert", ALERT_COLUMNS, self.alerts).await?;
        seed::insert_rows(tx, "alert_tag", &["alert_id", "tag"], self.alert_tags).await?;
        seed::insert_rows(tx, "observable", OBSERVABLE_COLUMNS, self.observables).await?;
        seed::insert_rows(tx, "share_task", &["share_id", "task_id"], self.share_tasks).await?;
        seed::insert_rows(tx, "share_observable", &["share_id", "observable_id"], self.share_observables).await?;
        seed::insert_rows(tx, "audit", AUDIT_COLUMNS, self.audits).await?;
        Ok(())
    }
}

/// An observable row of a case or an alert.
#[allow(clippy::too_many_arguments)]
fn observable_row(
    id: i64,
    case: Option<i64>,
    alert: Option<i64>,
    ty: &str,
    data: &str,
    hash: &str,
    ioc: bool,
    by: &str,
    at: i64,
) -> Vec<Value> {
    args![id, case, alert, ty, data, hash, 2i64, 2i64, ioc, false, false, at, "[]", by, at,]
}

/// The generator's state across transactions.
struct Generator {
    rng: Rng,
    orgs: Orgs,
    shape: Shape,
    ids: Ids,
    owner_profile: i64,
    analyst_profile: i64,
    written: Written,
}

impl Generator {
    /// A request id as the HTTP layer makes them (one per API call).
    fn request_id(&mut self) -> String {
        format!("{:016x}", self.rng.next_u64())
    }

    fn text(&mut self) -> (String, String) {
        let (threat, action, target) =
            (self.rng.pick(WORDS_THREAT), self.rng.pick(WORDS_ACTION), self.rng.pick(WORDS_TARGET));
        let (other, target2) = (self.rng.pick(WORDS_THREAT), self.rng.pick(WORDS_TARGET));
        let title = format!("{} {action} on {target}", capitalise(threat));
        let description = format!(
            "Detected {threat} {action} affecting the {target} and {target2} systems. \
             Analysts suspect a link with earlier {other} reports; scope, timeline and impact under review."
        );
        (title, description)
    }

    /// One case and everything the API writes with it; `imported_alert` adds an alert that
    /// was promoted into it.
    fn case(&mut self, rows: &mut Rows, number: i64, index: usize, imported_alert: bool) {
        let shape = self.shape;
        let id = self.ids.case;
        self.ids.case += 1;
        let created = END - SPAN + (SPAN / shape.cases.max(1) as i64) * index as i64;
        let in_soc = self.rng.below(10) < 8;
        let (org, other_org, users) = if in_soc {
            (self.orgs.soc, self.orgs.cert, &self.orgs.soc_users)
        } else {
            (self.orgs.cert, self.orgs.soc, &self.orgs.cert_users)
        };
        let by = users[self.rng.below(users.len() as u64) as usize].clone();
        let assignee = users[self.rng.below(users.len() as u64) as usize].clone();
        let (status, stage, in_progress, closed) = status(&mut self.rng, created);
        let t = tags(&mut self.rng);
        let severity = [1, 2, 2, 2, 3, 3, 4][self.rng.below(7) as usize] as i64;
        let tlp = self.rng.below(4) as i64;
        let flag = self.rng.below(20) == 0;
        let (title, description) = self.text();
        let request = self.request_id();
        let is_closed = stage == "Closed";
        rows.cases.push(args![
            id,
            number,
            org,
            title.clone(),
            description,
            severity,
            tlp,
            2i64,
            created,
            closed,
            flag,
            status,
            stage,
            is_closed.then_some(status),
            is_closed.then_some("NoImpact"),
            is_closed.then_some("Closed after investigation"),
            assignee.clone(),
            json_tags(&t),
            created,
            in_progress,
            closed,
            by.clone(),
            created,
        ]);
        for tag in &t {
            rows.case_tags.push(args![id, *tag]);
        }
        let owner_share = self.ids.share;
        self.ids.share += 1;
        rows.shares.push(args![
            owner_share,
            id,
            org,
            self.owner_profile,
            true,
            None::<String>,
            None::<String>,
            by.clone(),
            created,
        ]);
        rows.audit(Audit {
            at: created,
            by: &by,
            org,
            request: &request,
            operation: "create",
            object: ("Case", id),
            root: ("Case", id),
            details: json!({"number": number, "title": title, "severity": severity, "tlp": tlp, "pap": 2,
                            "status": status, "tags": t, "assignee": assignee}),
        });
        let mut task_ids = Vec::with_capacity(shape.tasks_per_case);
        for p in 0..shape.tasks_per_case {
            let task_id = self.ids.task;
            self.ids.task += 1;
            task_ids.push(task_id);
            let title = TASKS[p % TASKS.len()];
            let status = TASK_STATUSES[self.rng.below(TASK_STATUSES.len() as u64) as usize];
            let start = (status != "Waiting").then_some(created);
            let end = (status == "Completed").then_some(created + 3_600_000);
            rows.tasks.push(args![
                task_id,
                id,
                title,
                "default",
                format!("{title} of the incident"),
                status,
                false,
                start,
                end,
                p as i64,
                false,
                by.clone(),
                created,
            ]);
            rows.audit(Audit {
                at: created,
                by: &by,
                org,
                request: &request,
                operation: "create",
                object: ("Task", task_id),
                root: ("Case", id),
                details: json!({"title": title, "group": "default", "status": status}),
            });
        }
        // Observables arrive a few minutes later, in one request (as a SIEM or an analyst
        // adds them), each with its audit entry.
        let obs_at = created + 300_000;
        let obs_request = self.request_id();
        let mut seen = std::collections::HashSet::new();
        let mut case_obs: Vec<(i64, &'static str, String, String)> = Vec::new();
        for _ in 0..shape.observables_per_case {
            let (ty, data) = observable(&mut self.rng);
            let ioc = self.rng.below(4) == 0;
            let hash = sha256_hex(data.as_bytes());
            if !seen.insert((ty, hash.clone())) {
                continue;
            }
            let obs_id = self.ids.observable;
            self.ids.observable += 1;
            rows.observables.push(observable_row(obs_id, Some(id), None, ty, &data, &hash, ioc, &by, obs_at));
            rows.audit(Audit {
                at: obs_at,
                by: &by,
                org,
                request: &obs_request,
                operation: "create",
                object: ("Observable", obs_id),
                root: ("Case", id),
                details: json!({"dataType": ty, "data": data, "ioc": ioc}),
            });
            case_obs.push((obs_id, ty, data, hash));
        }
        self.written.cases += 1;
        self.written.tasks += task_ids.len();
        self.written.observables += case_obs.len();
        self.written.audit_entries += 1 + task_ids.len() + case_obs.len();
        self.written.shares += 1;
        if self.rng.below(10) == 0 {
            // Shared with the other organisation, rules `all`: it gets every task and
            // observable (storage::shares::grant_existing_*).
            let share_id = self.ids.share;
            self.ids.share += 1;
            let share_at = obs_at + 600_000;
            rows.shares.push(args![
                share_id,
                id,
                other_org,
                self.analyst_profile,
                false,
                "all",
                "all",
                by.clone(),
                share_at,
            ]);
            for t in &task_ids {
                rows.share_tasks.push(args![share_id, *t]);
            }
            for (o, ..) in &case_obs {
                rows.share_observables.push(args![share_id, *o]);
            }
            let other_name = if in_soc { "bench-cert" } else { "bench-soc" };
            let share_request = self.request_id();
            rows.audit(Audit {
                at: share_at,
                by: &by,
                org,
                request: &share_request,
                operation: "create",
                object: ("Share", share_id),
                root: ("Case", id),
                details: json!({"share": {"organisation": other_name, "profile": "analyst",
                                          "taskRule": "all", "observableRule": "all"}}),
            });
            self.written.shares += 1;
            self.written.audit_entries += 1;
        }
        if imported_alert {
            // The alert this case was promoted from: its observables are the ones the
            // promotion copied into the case.
            let copied: Vec<_> = case_obs.iter().take(shape.observables_per_alert).cloned().collect();
            let alert_at = created - 600_000;
            self.alert(rows, alert_at, org, &by, Some((id, created)), &copied);
        }
    }

    /// One alert with its observables; `imported` names the case it was promoted into.
    fn alert(
        &mut self,
        rows: &mut Rows,
        created: i64,
        org: i64,
        by: &str,
        imported: Option<(i64, i64)>,
        observables: &[(i64, &'static str, String, String)],
    ) {
        let id = self.ids.alert;
        self.ids.alert += 1;
        let t = tags(&mut self.rng);
        let (title, description) = self.text();
        let source = ["splunk", "elastic", "sentinel"][self.rng.below(3) as usize];
        let source_ref = format!("seed-{id}");
        let severity = 1 + self.rng.below(4) as i64;
        let (status, read) = match imported {
            Some(_) => ("Imported", true),
            None => (["New", "New", "InProgress"][self.rng.below(3) as usize], false),
        };
        rows.alerts.push(args![
            id,
            org,
            "siem",
            source,
            source_ref.clone(),
            title.clone(),
            description,
            severity,
            2i64,
            2i64,
            created,
            json_tags(&t),
            status,
            status,
            read,
            true,
            imported.map(|i| i.0),
            imported.map(|i| i.1),
            created,
            by,
            created,
            imported.map(|_| by),
            imported.map(|i| i.1),
        ]);
        for tag in &t {
            rows.alert_tags.push(args![id, *tag]);
        }
        for (_, ty, data, hash) in observables {
            let obs_id = self.ids.observable;
            self.ids.observable += 1;
            rows.observables.push(observable_row(obs_id, None, Some(id), ty, data, hash, false, by, created));
        }
        let request = self.request_id();
        rows.audit(Audit {
            at: created,
            by,
            org,
            request: &request,
            operation: "create",
            object: ("Alert", id),
            root: ("Alert", id),
            details: json!({"type": "siem", "source": source, "sourceRef": source_ref, "title": title,
                            "observables": observables.len()}),
        });
        self.written.alerts += 1;
        self.written.observables += observables.len();
        self.written.audit_entries += 1;
        if let Some((case_id, at)) = imported {
            let request = self.request_id();
            rows.audit(Audit {
                at,
                by,
                org,
                request: &request,
                operation: "update",
                object: ("Alert", id),
                root: ("Alert", id),
                details: json!({"caseId": crate::ids::render_id(case_id), "status": "Imported"}),
            });
            self.written.audit_entries += 1;
        }
    }

    /// An alert of the queue (not imported), with observables from the same pools.
    fn queued_alert(&mut self, rows: &mut Rows, index: usize, count: usize) {
        let created = END - SPAN / 4 + (SPAN / 4 / count.max(1) as i64) * index as i64;
        let in_soc = self.rng.below(10) < 8;
        let (org, users) =
            if in_soc { (self.orgs.soc, &self.orgs.soc_users) } else { (self.orgs.cert, &self.orgs.cert_users) };
        let by = users[self.rng.below(users.len() as u64) as usize].clone();
        let mut seen = std::collections::HashSet::new();
        let mut obs = Vec::new();
        for _ in 0..self.shape.observables_per_alert {
            let (ty, data) = observable(&mut self.rng);
            let hash = sha256_hex(data.as_bytes());
            if seen.insert((ty, hash.clone())) {
                obs.push((0, ty, data, hash));
            }
        }
        self.alert(rows, created, org, &by, None, &obs);
    }
}

fn capitalise(word: &str) -> String {
    let mut c = word.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Writes `shape.cases` cases and `shape.alerts` alerts (30 % of them imported into
/// cases) with everything the API writes alongside, into the database `url` names, which
/// no server may be using. Returns what was written.
///
/// The rows are generated on a thread of their own, one transaction's worth ahead of the
/// loader, so that generating (JSON details, SHA-256 of observable values) and writing
/// overlap on two cores.
pub async fn generate(url: &DatabaseUrl, orgs: &Orgs, shape: Shape, seed_value: u64) -> Result<Written, String> {
    let e = |e: StorageError| e.to_string();
    let loader = seed::Loader::open(url).await.map_err(e)?;
    let mut tx = loader.begin().await.map_err(e)?;
    let owner_profile = seed::profile_id(&mut tx, "org-admin").await.map_err(e)?;
    let analyst_profile = seed::profile_id(&mut tx, "analyst").await.map_err(e)?;
    let ids = Ids {
        case: seed::next_id(&mut tx, "cases").await.map_err(e)?,
        share: seed::next_id(&mut tx, "share").await.map_err(e)?,
        task: seed::next_id(&mut tx, "task").await.map_err(e)?,
        observable: seed::next_id(&mut tx, "observable").await.map_err(e)?,
        alert: seed::next_id(&mut tx, "alert").await.map_err(e)?,
    };
    let first_number = seed::reserve_case_numbers(&mut tx, shape.cases as i64).await.map_err(e)?;
    let bulk = seed::begin_bulk_load(
        &mut tx,
        &["observable", "observable_fts", "cases_fts", "task_fts", "alert_fts"],
        &["cases", "share", "task", "observable", "alert", "audit"],
    )
    .await
    .map_err(e)?;
    let mut open = Some(loader.next_batch(tx).await.map_err(e)?);

    let g = Generator {
        rng: Rng::new(seed_value),
        orgs: orgs.clone(),
        shape,
        ids,
        owner_profile,
        analyst_profile,
        written: Written::default(),
    };
    // Two batches in flight at most: one being written, one ready.
    let (batches, mut ready) = tokio::sync::mpsc::channel::<Rows>(1);
    let producer = tokio::task::spawn_blocking(move || g.run(first_number, &batches));
    let mut failure = None;
    while let Some(rows) = ready.recv().await {
        let Some(mut tx) = open.take() else { break };
        let batch = async {
            rows.write(&mut tx).await?;
            loader.next_batch(tx).await
        };
        match batch.await {
            Ok(next) => open = Some(next),
            Err(err) => {
                failure = Some(err.to_string());
                break;
            }
        }
    }
    // Closing the channel stops the producer if the loader gave up.
    drop(ready);
    let written = producer.await.map_err(|e| format!("the dataset generator failed: {e}"))?;
    if let Some(err) = failure {
        return Err(err);
    }
    let Some(mut tx) = open else { return Err("the loader's transaction was lost".into()) };
    seed::end_bulk_load(&mut tx, bulk).await.map_err(e)?;
    loader.commit(tx).await.map_err(e)?;
    loader.vacuum().await.map_err(e)?;
    loader.close().await;
    Ok(written)
}

impl Generator {
    /// Generates every batch in order and hands each to the loader; returns what was
    /// generated (all of it unless the loader stopped listening).
    fn run(mut self, first_number: i64, out: &tokio::sync::mpsc::Sender<Rows>) -> Written {
        let shape = self.shape;
        let imported = if shape.cases == 0 { 0 } else { (shape.alerts * 3 / 10).min(shape.cases) };
        let import_every = shape.cases.checked_div(imported).unwrap_or(usize::MAX);
        // Small datasets are cut into several transactions too, so that generating and
        // writing overlap from the start.
        let per_tx = (shape.cases / 8).clamp(100, CASES_PER_TX);
        let mut done = 0;
        while done < shape.cases {
            let n = per_tx.min(shape.cases - done);
            let mut rows = Rows::default();
            for k in 0..n {
                let i = done + k;
                let with_alert = i % import_every == import_every - 1 && self.written.alerts < imported;
                self.case(&mut rows, first_number + i as i64, i, with_alert);
            }
            if out.blocking_send(rows).is_err() {
                return self.written;
            }
            done += n;
        }
        let queued = shape.alerts - self.written.alerts;
        let mut done = 0;
        while done < queued {
            let n = (queued / 4).clamp(100, CASES_PER_TX * 2).min(queued - done);
            let mut rows = Rows::default();
            for k in 0..n {
                self.queued_alert(&mut rows, done + k, queued);
            }
            if out.blocking_send(rows).is_err() {
                return self.written;
            }
            done += n;
        }
        self.written
    }
}
