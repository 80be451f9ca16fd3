//! Sending the probe's calls and judging the answers.
//!
//! A `Check` is one call by one actor with the answer the model expects: a status and,
//! for lists, the exact set of ids. An answer that shows more than the model allows (a 2xx
//! where 404/403 was expected, an id the caller may not see) is a *leak*; any other
//! difference is a *mismatch*. Both fail the probe.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use serde_json::Value;

use super::model::Model;
use crate::harness::password_of;

/// A judgement of an answer's body: `Err((message, is_leak))`.
pub type Judge = Box<dyn Fn(&Value) -> Result<(), (String, bool)> + Send + Sync>;

/// What a check expects of the body of a successful answer.
pub enum Want {
    /// Only the status matters.
    Status,
    /// A JSON array whose elements' `field` (usually `_id`) are exactly these.
    Ids(&'static str, BTreeSet<String>),
    /// A JSON array whose elements' `field` are a subset of these (the answer may omit
    /// some, e.g. a capped audit list, but never show another).
    IdsWithin(&'static str, BTreeSet<String>),
    /// Anything else: `Err(message, is_leak)`.
    Custom(Judge),
}

pub enum Payload {
    None,
    Json(Value),
    /// A multipart form: an optional `_json` part and one file part.
    File {
        json: Option<Value>,
        part: &'static str,
        name: String,
        bytes: Vec<u8>,
    },
}

pub struct Check {
    pub who: usize,
    pub method: Method,
    /// The route as the router declares it (for the coverage check).
    pub route: &'static str,
    pub path: String,
    pub payload: Payload,
    pub status: u16,
    pub want: Want,
}

impl Check {
    pub fn new(who: usize, method: Method, route: &'static str, path: String, status: u16) -> Check {
        Check { who, method, route, path, payload: Payload::None, status, want: Want::Status }
    }

    pub fn json(mut self, body: Value) -> Check {
        self.payload = Payload::Json(body);
        self
    }

    pub fn file(mut self, part: &'static str, name: &str, bytes: Vec<u8>) -> Check {
        self.payload = Payload::File { json: None, part, name: name.to_owned(), bytes };
        self
    }

    pub fn ids(mut self, ids: BTreeSet<String>) -> Check {
        self.want = Want::Ids("_id", ids);
        self
    }

    pub fn ids_in(mut self, field: &'static str, ids: BTreeSet<String>) -> Check {
        self.want = Want::Ids(field, ids);
        self
    }

    pub fn within(mut self, field: &'static str, ids: BTreeSet<String>) -> Check {
        self.want = Want::IdsWithin(field, ids);
        self
    }

    pub fn custom(mut self, f: impl Fn(&Value) -> Result<(), (String, bool)> + Send + Sync + 'static) -> Check {
        self.want = Want::Custom(Box::new(f));
        self
    }
}

/// Who logs in how, per actor.
#[derive(Clone)]
struct Identity {
    login: String,
    password: String,
    org: String,
}

pub struct Probe {
    pub base: String,
    pub client: reqwest::Client,
    identities: Vec<Identity>,
    pub calls: AtomicUsize,
    pub setup_calls: AtomicUsize,
    pub leaks: AtomicUsize,
    pub failures: Mutex<Vec<String>>,
    pub routes_hit: Mutex<BTreeSet<(String, &'static str)>>,
    pub concurrency: usize,
}

pub type Shared = Arc<Probe>;

impl Probe {
    pub fn new(base: String, client: reqwest::Client, concurrency: usize) -> Probe {
        Probe {
            base,
            client,
            identities: Vec::new(),
            calls: AtomicUsize::new(0),
            setup_calls: AtomicUsize::new(0),
            leaks: AtomicUsize::new(0),
            failures: Mutex::new(Vec::new()),
            routes_hit: Mutex::new(BTreeSet::new()),
            concurrency,
        }
    }

    /// Refreshes the logins from the model (after actors are added).
    pub fn sync(&mut self, m: &Model) {
        self.identities = m
            .actors
            .iter()
            .map(|a| Identity {
                login: a.login.clone(),
                password: if a.login == crate::harness::ADMIN {
                    crate::harness::ADMIN_PASSWORD.to_owned()
                } else {
                    password_of(&a.login)
                },
                org: m.orgs[a.org].name.clone(),
            })
            .collect();
    }

    fn request(&self, who: usize, method: Method, path: &str, payload: &Payload) -> reqwest::RequestBuilder {
        let id = &self.identities[who];
        let mut req = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .basic_auth(&id.login, Some(&id.password))
            .header("X-Organisation", &id.org);
        match payload {
            Payload::None => {}
            Payload::Json(v) => req = req.json(v),
            Payload::File { json, part, name, bytes } => {
                let p = reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone());
                let p = p.mime_str("text/plain").unwrap_or_else(|_| reqwest::multipart::Part::bytes(Vec::new()));
                let mut form = reqwest::multipart::Form::new();
                if let Some(j) = json {
                    form = form.text("_json", j.to_string());
                }
                req = req.multipart(form.part(*part, p));
            }
        }
        req
    }

    async fn send(&self, who: usize, method: Method, path: &str, payload: &Payload) -> (u16, Value) {
        let resp = match self.request(who, method.clone(), path, payload).send().await {
            Ok(r) => r,
            Err(e) => return (0, Value::String(format!("transport error: {e}"))),
        };
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, body)
    }

    /// A setup call that must succeed (2xx); returns the body.
    pub async fn setup(&self, who: usize, method: Method, path: &str, payload: Payload) -> Value {
        self.setup_calls.fetch_add(1, Ordering::Relaxed);
        let (status, body) = self.send(who, method.clone(), path, &payload).await;
        assert!(
            (200..300).contains(&status),
            "setup {method} {path} as {}: {status} {body}",
            self.identities[who].login
        );
        body
    }

    /// Sends one check and records the verdict.
    pub async fn check(&self, c: Check) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut hit) = self.routes_hit.lock() {
            hit.insert((c.method.to_string(), c.route));
        }
        let (status, body) = self.send(c.who, c.method.clone(), &c.path, &c.payload).await;
        let who = &self.identities[c.who];
        let label = format!("{} {} as {} in {}", c.method, c.path, who.login, who.org);
        let ok = (200..300).contains(&status);
        if status != c.status {
            let leak = ok && !(200..300).contains(&c.status);
            self.fail(leak, format!("{label}: expected {} got {status}: {}", c.status, short(&body)));
            return;
        }
        if !ok {
            return;
        }
        let verdict = match &c.want {
            Want::Status => Ok(()),
            Want::Ids(field, want) => compare_ids(&body, field, want, true),
            Want::IdsWithin(field, want) => compare_ids(&body, field, want, false),
            Want::Custom(f) => f(&body),
        };
        if let Err((msg, leak)) = verdict {
            self.fail(leak, format!("{label}: {msg}"));
        }
    }

    fn fail(&self, leak: bool, msg: String) {
        if leak {
            self.leaks.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut f) = self.failures.lock() {
            f.push(format!("{}{msg}", if leak { "LEAK: " } else { "MISMATCH: " }));
        }
    }

    /// Runs checks `concurrency` at a time (they must not depend on each other).
    pub async fn run(self: &Shared, checks: Vec<Check>) {
        let sem = Arc::new(tokio::sync::Semaphore::new(self.concurrency));
        let mut set = tokio::task::JoinSet::new();
        for c in checks {
            let permit = sem.clone().acquire_owned().await;
            let me = self.clone();
            set.spawn(async move {
                me.check(c).await;
                drop(permit);
            });
        }
        while set.join_next().await.is_some() {}
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 { format!("{}…", &s[..300]) } else { s }
}

/// Compares the ids of a list answer with the model's.
pub fn compare_ids(body: &Value, field: &str, want: &BTreeSet<String>, exact: bool) -> Result<(), (String, bool)> {
    let Some(items) = body.as_array() else {
        return Err((format!("expected a list, got {}", short(body)), false));
    };
    let got: BTreeSet<String> = items.iter().filter_map(|i| id_of(i, field)).collect();
    let extra: Vec<&String> = got.difference(want).collect();
    if !extra.is_empty() {
        return Err((format!("shows {extra:?} beyond {want:?}"), true));
    }
    let missing: Vec<&String> = want.difference(&got).collect();
    if exact && !missing.is_empty() {
        return Err((format!("misses {missing:?} (got {got:?})"), false));
    }
    Ok(())
}

/// `field` of an object, following one `a.b` level.
pub fn id_of(v: &Value, field: &str) -> Option<String> {
    let mut cur = v;
    for part in field.split('.') {
        cur = cur.get(part)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Counts of routes hit, for the report.
pub fn route_counts(hit: &BTreeSet<(String, &'static str)>) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for (_, r) in hit {
        *out.entry(*r).or_insert(0) += 1;
    }
    out
}
