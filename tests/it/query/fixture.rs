//! Known data for the query tests, and helpers to query as someone.
//!
//! Organisations and users are created through the API. Cases, tasks, logs, observables,
//! alerts and their satellites are inserted with SQL straight into the test's database
//! (the same SQL on both backends), so that every operator can be checked against rows
//! whose values are known exactly; everything is then read back over HTTP only.
//!
//! The world:
//! - organisations `soc` and `cert`, linked; users `alice@soc.test` (analyst in soc) and
//!   `bob@cert.test` (analyst in cert);
//! - cases (id = number + 100):
//!   #1 "Phishing campaign" sev 3, tags phishing+mail, New, alice, BU Finance, score 7 (soc)
//!   #2 "Ransomware outbreak" sev 4, tag ransomware, InProgress, alice, BU IT, score 3 (soc)
//!   #3 "Test case" sev 1, no tag, Closed/Closed, unassigned, flag (soc)
//!   #4 "Cert secret phishing" sev 2, tag phishing, New, bob (cert only)
//!   #5 "Shared incident" sev 2, New, bob (cert, shared with soc)
//!   created at 1000, 2000, ... 5000.
//! - tasks 201-203 on case 1-2 (soc), 204 on case 4 (cert);
//! - log 501 on task 201; observables 301-302 on case 1, 303 on case 4 (same ip as 301),
//!   304 on alert 401;
//! - alerts 401 (soc) "Suspicious login", 402 (cert) "Cert alert";
//! - comment 601 on case 1, page 701 on case 2, pattern T1566.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Connection;
use waggle::storage::Backend;

use crate::harness::{TestApp, password_of, send};

pub const ALICE: &str = "alice@soc.test";
pub const BOB: &str = "bob@cert.test";

pub struct World {
    pub soc: i64,
    pub cert: i64,
}

fn id_of(v: &Value) -> i64 {
    v["_id"].as_str().and_then(|s| s.strip_prefix('~')).and_then(|s| s.parse().ok()).expect("an id")
}

/// Runs SQL statements directly in the test's database.
pub async fn exec(app: &TestApp, sql: &str) {
    match app.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&app.database_url).await.expect("connect sqlite");
            // Rows written behind the server's back get their full-text entries the way the
            // server's writer gives them: the backlog catch-up, in the same transaction.
            let catch_up = waggle::storage::fulltext_backlog::CATCH_UP.join(";\n");
            sqlx::raw_sql(&format!("PRAGMA foreign_keys = ON; BEGIN; {sql};\n{catch_up}; COMMIT;"))
                .execute(&mut conn)
                .await
                .expect("seed sqlite");
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&app.database_url).await.expect("connect postgres");
            sqlx::raw_sql(sql).execute(&mut conn).await.expect("seed postgres");
        }
    }
}

pub async fn seed(app: &TestApp) -> World {
    let soc = id_of(&app.create_org("soc").await);
    let cert = id_of(&app.create_org("cert").await);
    app.create_user(ALICE, "soc", "analyst").await;
    app.create_user(BOB, "cert", "analyst").await;
    let org_admin = "(SELECT id FROM profile WHERE name = 'org-admin')";
    let analyst = "(SELECT id FROM profile WHERE name = 'analyst')";
    let sql = format!(
        "
INSERT INTO organisation_link (from_organisation_id, to_organisation_id, created_by, created_at)
VALUES ({soc}, {cert}, 'x', 1), ({cert}, {soc}, 'x', 1);

INSERT INTO custom_field (id, name, type, created_by, created_at) VALUES
  (801, 'businessUnit', 'string', 'x', 1), (802, 'score', 'integer', 'x', 1), (803, 'unused', 'boolean', 'x', 1);

INSERT INTO cases (id, number, organisation_id, title, description, severity, tlp, pap, start_date, flag, status,
                   stage, assignee, tags, created_by, created_at, updated_by, updated_at) VALUES
  (101, 1, {soc}, 'Phishing campaign', 'Mails with a fake invoice', 3, 2, 2, 1000, FALSE, 'New', 'New',
   '{ALICE}', '[\"phishing\",\"mail\"]', '{ALICE}', 1000, NULL, NULL),
  (102, 2, {soc}, 'Ransomware outbreak', 'Encrypted file server', 4, 3, 2, 2000, FALSE, 'InProgress',
   'InProgress', '{ALICE}', '[\"ransomware\"]', '{ALICE}', 2000, '{ALICE}', 2500),
  (103, 3, {soc}, 'Test case', 'Nothing to see 50%_off', 1, 0, 0, 3000, TRUE, 'Closed', 'Closed',
   NULL, '[]', '{ALICE}', 3000, NULL, NULL),
  (104, 4, {cert}, 'Cert secret phishing', 'Only cert knows', 2, 2, 2, 4000, FALSE, 'New', 'New',
   '{BOB}', '[\"phishing\"]', '{BOB}', 4000, NULL, NULL),
  (105, 5, {cert}, 'Shared incident', 'Cert shares this one', 2, 2, 2, 5000, FALSE, 'New', 'New',
   '{BOB}', '[]', '{BOB}', 5000, NULL, NULL);
INSERT INTO case_tag (case_id, tag) VALUES (101, 'phishing'), (101, 'mail'), (102, 'ransomware'), (104, 'phishing');
INSERT INTO share (case_id, organisation_id, profile_id, owner, created_by, created_at) VALUES
  (101, {soc}, {org_admin}, TRUE, 'x', 1000), (102, {soc}, {org_admin}, TRUE, 'x', 2000),
  (103, {soc}, {org_admin}, TRUE, 'x', 3000), (104, {cert}, {org_admin}, TRUE, 'x', 4000),
  (105, {cert}, {org_admin}, TRUE, 'x', 5000), (105, {soc}, {analyst}, FALSE, 'x', 5000);
INSERT INTO custom_field_value (custom_field_id, owner_kind, owner_id, string_value, integer_value, created_by, created_at)
VALUES (801, 'case', 101, 'Finance', NULL, 'x', 1), (802, 'case', 101, NULL, 7, 'x', 1),
       (801, 'case', 102, 'IT', NULL, 'x', 1), (802, 'case', 102, NULL, 3, 'x', 1);

INSERT INTO task (id, case_id, title, group_name, status, assignee, position, created_by, created_at) VALUES
  (201, 101, 'Collect headers', 'default', 'Waiting', NULL, 0, '{ALICE}', 1100),
  (202, 101, 'Block sender', 'default', 'Completed', '{ALICE}', 1, '{ALICE}', 1200),
  (203, 102, 'Isolate host', 'containment', 'InProgress', '{ALICE}', 0, '{ALICE}', 2100),
  (204, 104, 'Cert task', 'default', 'Waiting', '{BOB}', 0, '{BOB}', 4100);
INSERT INTO log (id, task_id, message, date, created_by, created_at) VALUES
  (501, 201, 'Headers collected from the mailbox', 1150, '{ALICE}', 1150);

INSERT INTO alert (id, organisation_id, type, source, source_ref, title, description, severity, date, tags,
                   status, stage, read, case_id, created_by, created_at) VALUES
  (401, {soc}, 'siem', 'splunk', 'A1', 'Suspicious login', 'VPN brute force', 2, 1500, '[\"vpn\"]', 'New', 'New',
   FALSE, NULL, '{ALICE}', 1500),
  (402, {cert}, 'siem', 'splunk', 'A1', 'Cert alert', 'Cert only', 3, 1600, '[]', 'New', 'New', TRUE, 104,
   '{BOB}', 1600);
INSERT INTO alert_tag (alert_id, tag) VALUES (401, 'vpn');

INSERT INTO observable (id, case_id, alert_id, data_type, data, data_hash, message, ioc, start_date, tags,
                        created_by, created_at) VALUES
  (301, 101, NULL, 'ip', '198.51.100.7', 'h-ip', 'sender relay', TRUE, 1300, '[\"relay\"]', '{ALICE}', 1300),
  (302, 101, NULL, 'domain', 'evil.example', 'h-dom', NULL, FALSE, 1310, '[]', '{ALICE}', 1310),
  (303, 104, NULL, 'ip', '198.51.100.7', 'h-ip', 'cert sighting', TRUE, 4300, '[]', '{BOB}', 4300),
  (304, NULL, 401, 'ip', '203.0.113.9', 'h-ip2', NULL, FALSE, 1510, '[]', '{ALICE}', 1510);
INSERT INTO observable_tag (observable_id, tag) VALUES (301, 'relay');

INSERT INTO comment (id, case_id, message, created_by, created_at) VALUES
  (601, 101, 'Phishing confirmed by the user', '{ALICE}', 1400);
INSERT INTO page (id, case_id, title, content, category, created_by, created_at) VALUES
  (701, 102, 'Ransomware playbook', 'Isolate, then restore', 'playbooks', '{ALICE}', 2200);
INSERT INTO pattern (id, mitre_id, name, tactics, url, created_by, created_at) VALUES
  (901, 'T1566', 'Phishing', '[\"initial-access\"]', 'https://attack.mitre.org/techniques/T1566', 'x', 1);
"
    );
    exec(app, &sql).await;
    World { soc, cert }
}

/// Who sends a query.
#[derive(Clone, Copy)]
pub enum As {
    Admin,
    User(&'static str),
}

pub fn request(app: &TestApp, who: As, method: Method, path: &str) -> reqwest::RequestBuilder {
    match who {
        As::Admin => app.as_admin(method, path),
        As::User(login) => app.as_user(method, path, login, &password_of(login)),
    }
}

/// `POST /api/v1/query` with `{"query": steps}`.
pub async fn query(app: &TestApp, who: As, steps: Value) -> (StatusCode, Value) {
    send(request(app, who, Method::POST, "/api/v1/query?name=test").json(&serde_json::json!({ "query": steps }))).await
}

/// A query that must succeed; returns its body.
pub async fn ok(app: &TestApp, who: As, steps: Value) -> Value {
    let (status, body) = query(app, who, steps.clone()).await;
    assert_eq!(status, StatusCode::OK, "{steps} → {body}");
    body
}

/// The `_id`s of an answer, as numbers.
pub fn ids(body: &Value) -> Vec<i64> {
    body.as_array().unwrap_or_else(|| panic!("expected an array, got {body}")).iter().map(id_of).collect()
}

/// The ids of the cases matching `filter`, sorted by id, as alice sees them.
pub async fn cases_where(app: &TestApp, filter: Value) -> Vec<i64> {
    let mut step = filter.as_object().cloned().unwrap_or_default();
    step.insert("_name".into(), Value::from("filter"));
    let body = ok(
        app,
        As::User(ALICE),
        serde_json::json!([{"_name": "listCase"}, step, {"_name": "sort", "_fields": [{"_id": "asc"}]}]),
    )
    .await;
    ids(&body)
}
