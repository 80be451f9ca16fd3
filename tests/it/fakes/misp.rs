//! A fake MISP server: an axum app on `127.0.0.1:0` that implements the endpoints Waggle
//! calls, answers in MISP's own JSON (events from `fixtures/misp/*.json`, numbers as
//! strings, `{"Event": …}` wrappers, flat `/events/index` records with `EventTag`), and
//! records every request it gets so tests can assert on what Waggle sent.
//!
//! Like a real MISP it filters `/events/index` on `timestamp`/`published` and pages with
//! `page`/`limit`, but it ignores the tag and organisation filters (as a MISP with
//! `MISP.showorg` off, or an older one, does): Waggle must enforce those itself.
//!
//! Faults are injected per path prefix: a status (403, 500…), a malformed body, a delay;
//! `go_down`/`come_back` stop and restart the listener on the same port.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};

/// The API key the fake accepts.
pub const KEY: &str = "fake-misp-key-0123456789abcdef";

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/it/fixtures/misp/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

pub fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/it/fixtures/misp/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    Malformed,
    Delay(Duration),
    /// `302 Found` to this location (authentication is checked first).
    Redirect(String),
}

#[derive(Default)]
struct StateInner {
    events: BTreeMap<i64, Value>,
    files: HashMap<String, (String, String, Vec<u8>)>,
    requests: Vec<Recorded>,
    faults: Vec<(String, Fault)>,
    me: Value,
    version: Value,
    next_event: i64,
    next_attribute: i64,
}

#[derive(Clone)]
struct AppState(Arc<Mutex<StateInner>>);

pub struct FakeMisp {
    pub url: String,
    addr: SocketAddr,
    state: AppState,
    server: Option<tokio::task::JoinHandle<()>>,
}

fn tag_index_entry(event_id: &str, t: &Value) -> Value {
    json!({"id": t["id"], "event_id": event_id, "tag_id": t["id"], "local": false, "relationship_type": null,
           "Tag": {"id": t["id"], "name": t["name"], "colour": t["colour"], "is_galaxy": false}})
}

fn live_attribute_count(e: &Value) -> usize {
    let top = e["Attribute"].as_array().map(|l| l.iter().filter(|a| a["deleted"] != true).count()).unwrap_or(0);
    let objects = e["Object"]
        .as_array()
        .map(|os| {
            os.iter()
                .map(|o| o["Attribute"].as_array().map_or(0, |l| l.iter().filter(|a| a["deleted"] != true).count()))
                .sum()
        })
        .unwrap_or(0);
    top + objects
}

/// The `/events/index` record of a full event.
fn index_record(e: &Value) -> Value {
    let mut m = serde_json::Map::new();
    for (k, v) in e.as_object().into_iter().flatten() {
        if !matches!(
            k.as_str(),
            "Attribute"
                | "Object"
                | "Tag"
                | "ShadowAttribute"
                | "RelatedEvent"
                | "Galaxy"
                | "EventReport"
                | "CryptographicKey"
        ) {
            m.insert(k.clone(), v.clone());
        }
    }
    let id = e["id"].as_str().unwrap_or_default().to_owned();
    let tags: Vec<Value> = e["Tag"].as_array().into_iter().flatten().map(|t| tag_index_entry(&id, t)).collect();
    m.insert("EventTag".into(), Value::Array(tags));
    m.insert("attribute_count".into(), json!(live_attribute_count(e).to_string()));
    Value::Object(m)
}

fn num(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse().unwrap_or(0),
        Value::Number(n) => n.as_i64().unwrap_or(0),
        _ => 0,
    }
}

fn md5_hex(b: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(b))
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

impl AppState {
    fn record(&self, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Option<Fault> {
        let mut s = self.0.lock().unwrap();
        let body = serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()));
        let path = uri.path().to_owned();
        s.requests.push(Recorded { method: method.to_string(), path: path.clone(), headers: headers.clone(), body });
        s.faults.iter().find(|(prefix, _)| path.starts_with(prefix.as_str())).map(|(_, f)| f.clone())
    }
}

/// Applies auth and faults; `None` means "answer normally".
async fn gate(st: &AppState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Option<Response> {
    let fault = st.record(method, uri, headers, body);
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(KEY) {
        return Some(
            (
                StatusCode::FORBIDDEN,
                axum::Json(json!({"name": "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.",
                                   "message": "Authentication failed. Please make sure you pass the API key of an API enabled user along in the Authorization header.",
                                   "url": uri.path()})),
            )
                .into_response(),
        );
    }
    match fault {
        Some(Fault::Status(code)) => Some(
            (
                StatusCode::from_u16(code).unwrap(),
                axum::Json(json!({"name": "Forbidden", "message": "You do not have permission to use this functionality.", "url": uri.path()})),
            )
                .into_response(),
        ),
        Some(Fault::Malformed) => {
            Some(([(header::CONTENT_TYPE, "application/json")], "[{\"id\": \"1\", \"info\": <html>Internal Error").into_response())
        }
        Some(Fault::Redirect(to)) => Some((StatusCode::FOUND, [(header::LOCATION, to)]).into_response()),
        Some(Fault::Delay(d)) => {
            tokio::time::sleep(d).await;
            None
        }
        None => None,
    }
}

macro_rules! gated {
    ($st:expr, $m:expr, $u:expr, $h:expr, $b:expr) => {
        if let Some(r) = gate(&$st, &$m, &$u, &$h, &$b).await {
            return r;
        }
    };
}

async fn get_version(State(st): State<AppState>, m: Method, u: Uri, h: HeaderMap, b: Bytes) -> Response {
    gated!(st, m, u, h, b);
    axum::Json(st.0.lock().unwrap().version.clone()).into_response()
}

async fn users_me(State(st): State<AppState>, m: Method, u: Uri, h: HeaderMap, b: Bytes) -> Response {
    gated!(st, m, u, h, b);
    axum::Json(st.0.lock().unwrap().me.clone()).into_response()
}

async fn organisation(State(st): State<AppState>, m: Method, u: Uri, h: HeaderMap, b: Bytes) -> Response {
    gated!(st, m, u, h, b);
    let org = st.0.lock().unwrap().me["Organisation"].clone();
    axum::Json(json!({"Organisation": org})).into_response()
}

async fn index(State(st): State<AppState>, m: Method, u: Uri, h: HeaderMap, b: Bytes) -> Response {
    gated!(st, m, u, h, b);
    let req: Value = serde_json::from_slice(&b).unwrap_or(json!({}));
    let req = req.get("request").cloned().unwrap_or(req);
    let pick = |k: &str| req.get(k).or_else(|| req.get(format!("search{k}").as_str())).cloned();
    let since = pick("timestamp").map(|v| num(&v));
    let published = pick("published").map(|v| v == json!(1) || v == json!(true) || v == json!("1"));
    let s = st.0.lock().unwrap();
    let mut list: Vec<Value> = s
        .events
        .values()
        .map(|e| e["Event"].clone())
        .filter(|e| since.is_none_or(|t| num(&e["timestamp"]) >= t))
        .filter(|e| published.is_none_or(|p| (e["published"] == true) == p))
        .collect();
    list.sort_by_key(|e| (num(&e["timestamp"]), num(&e["id"])));
    let limit = pick("limit").map(|v| num(&v) as usize).filter(|l| *l > 0);
    let page = pick("page").map(|v| num(&v) as usize).unwrap_or(1).max(1);
    let total = list.len();
    let list: Vec<Value> = match limit {
        Some(l) => list.into_iter().skip((page - 1) * l).take(l).collect(),
        None => list,
    };
    let records: Vec<Value> = list.iter().map(index_record).collect();
    ([("X-Result-Count", total.to_string())], axum::Json(Value::Array(records))).into_response()
}

/// An event by numeric id or uuid (MISP accepts both in `/events/view/`).
fn lookup<'a>(s: &'a StateInner, id: &str) -> Option<&'a Value> {
    match id.parse::<i64>() {
        Ok(i) => s.events.get(&i),
        Err(_) => s.events.values().find(|e| e["Event"]["uuid"] == id),
    }
}

/// MISP's extended view (`/events/view/{id}/extended:1`): the attributes and objects of
/// every event extending this one (transitively) merged into it, the event's timestamp
/// the latest of them.
fn extended(s: &StateInner, mut e: Value) -> Value {
    let mut pending = vec![e["Event"]["uuid"].as_str().unwrap_or_default().to_owned()];
    let mut seen = std::collections::HashSet::new();
    while let Some(uuid) = pending.pop() {
        if uuid.is_empty() || !seen.insert(uuid.clone()) {
            continue;
        }
        for ext in s.events.values().filter(|x| x["Event"]["extends_uuid"] == uuid.as_str()) {
            let x = &ext["Event"];
            for key in ["Attribute", "Object"] {
                let more = x[key].as_array().cloned().unwrap_or_default();
                if !e["Event"][key].is_array() {
                    e["Event"][key] = json!([]);
                }
                e["Event"][key].as_array_mut().unwrap().extend(more);
            }
            if num(&x["timestamp"]) > num(&e["Event"]["timestamp"]) {
                e["Event"]["timestamp"] = x["timestamp"].clone();
            }
            pending.push(x["uuid"].as_str().unwrap_or_default().to_owned());
        }
    }
    e
}

fn view_answer(st: &AppState, id: &str, extend: bool, u: &Uri) -> Response {
    let s = st.0.lock().unwrap();
    match lookup(&s, id) {
        Some(e) => {
            let mut e = if extend { extended(&s, e.clone()) } else { e.clone() };
            let count = live_attribute_count(&e["Event"]);
            e["Event"]["attribute_count"] = json!(count.to_string());
            axum::Json(e).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"name": "Invalid event.", "message": "Invalid event.", "url": u.path()})),
        )
            .into_response(),
    }
}

/// `/events/view/{id}` and `/events/view/{id}/extended:1` (other named parameters are
/// ignored, as MISP does).
async fn view(
    State(st): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    b: Bytes,
) -> Response {
    gated!(st, m, u, h, b);
    let id = params.get("id").cloned().unwrap_or_default();
    view_answer(&st, &id, params.get("named").is_some_and(|n| n == "extended:1"), &u)
}

async fn download(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    b: Bytes,
) -> Response {
    gated!(st, m, u, h, b);
    let s = st.0.lock().unwrap();
    match s.files.get(&id) {
        Some((name, ct, bytes)) => (
            [
                (header::CONTENT_TYPE, ct.clone()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            ],
            bytes.clone(),
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"name": "Invalid attribute", "message": "Invalid attribute", "url": u.path()})),
        )
            .into_response(),
    }
}

impl StateInner {
    fn attribute(&mut self, event_id: i64, a: &Value, object_id: &str, relation: Option<&str>) -> Value {
        self.next_attribute += 1;
        let mut a = a.clone();
        a["id"] = json!(self.next_attribute.to_string());
        a["event_id"] = json!(event_id.to_string());
        a["object_id"] = json!(object_id);
        a["object_relation"] = json!(relation);
        a["deleted"] = json!(false);
        a["uuid"] = json!(format!("00000000-0000-4000-8000-{:012}", self.next_attribute));
        if a.get("to_ids").is_none() {
            a["to_ids"] = json!(false);
        }
        if a.get("Tag").is_none() {
            a["Tag"] = json!([]);
        }
        a
    }

    fn tags(list: &Value) -> Vec<Value> {
        list.as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, t)| json!({"id": (100 + i).to_string(), "name": t["name"], "colour": t.get("colour").cloned().unwrap_or(json!("#999999")), "exportable": true}))
            .collect()
    }
}

async fn add_event(State(st): State<AppState>, m: Method, u: Uri, h: HeaderMap, b: Bytes) -> Response {
    gated!(st, m, u, h, b);
    let req: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
    let Some(input) = req.get("Event") else {
        return (StatusCode::FORBIDDEN, axum::Json(json!({"name": "Could not add Event", "message": "Could not add Event", "url": u.path(), "errors": {"Event": ["No Event given"]}}))).into_response();
    };
    let mut s = st.0.lock().unwrap();
    s.next_event += 1;
    let id = s.next_event;
    let me_org = s.me["Organisation"].clone();
    let attrs: Vec<Value> = input["Attribute"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| s.attribute(id, a, "0", None))
        .collect();
    let event = json!({"Event": {
        "id": id.to_string(), "orgc_id": me_org["id"], "org_id": me_org["id"], "date": input["date"], "threat_level_id": input["threat_level_id"],
        "info": input["info"], "published": input.get("published").cloned().unwrap_or(json!(false)), "uuid": format!("10000000-0000-4000-8000-{id:012}"),
        "attribute_count": attrs.len().to_string(), "analysis": input["analysis"], "timestamp": "1710200000", "distribution": input["distribution"],
        "publish_timestamp": "0", "sharing_group_id": "0", "extends_uuid": "",
        "Org": {"id": me_org["id"], "name": me_org["name"], "uuid": me_org["uuid"]},
        "Orgc": {"id": me_org["id"], "name": me_org["name"], "uuid": me_org["uuid"]},
        "Attribute": attrs, "Object": [], "Tag": StateInner::tags(&input["Tag"]), "ShadowAttribute": [], "RelatedEvent": [], "Galaxy": []}});
    s.events.insert(id, event.clone());
    axum::Json(event).into_response()
}

async fn edit_event(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    b: Bytes,
) -> Response {
    gated!(st, m, u, h, b);
    let req: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
    let input = req.get("Event").cloned().unwrap_or(Value::Null);
    let mut s = st.0.lock().unwrap();
    let Some(id) = id.parse::<i64>().ok().filter(|i| s.events.contains_key(i)) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"name": "Invalid event", "message": "Invalid event", "url": u.path()})),
        )
            .into_response();
    };
    let new_attrs: Vec<Value> = input["Attribute"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| s.attribute(id, a, "0", None))
        .collect();
    let new_tags = StateInner::tags(&input["Tag"]);
    let e = &mut s.events.get_mut(&id).unwrap()["Event"];
    for k in ["info", "date", "threat_level_id", "analysis"] {
        if let Some(v) = input.get(k) {
            e[k] = v.clone();
        }
    }
    e["Attribute"].as_array_mut().unwrap().extend(new_attrs);
    for t in new_tags {
        let tags = e["Tag"].as_array_mut().unwrap();
        if !tags.iter().any(|x| x["name"] == t["name"]) {
            tags.push(t);
        }
    }
    e["timestamp"] = json!((num(&e["timestamp"]) + 1).to_string());
    axum::Json(json!({"Event": e.clone()})).into_response()
}

async fn upload_sample(
    State(st): State<AppState>,
    Path(id): Path<String>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    b: Bytes,
) -> Response {
    gated!(st, m, u, h, b);
    let req: Value = serde_json::from_slice(&b).unwrap_or(Value::Null);
    let r = req.get("request").cloned().unwrap_or(Value::Null);
    let mut s = st.0.lock().unwrap();
    let Some(id) = id.parse::<i64>().ok().filter(|i| s.events.contains_key(i)) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"name": "Invalid event", "message": "Invalid event", "url": u.path()})),
        )
            .into_response();
    };
    for f in r["files"].as_array().cloned().unwrap_or_default() {
        let name = f["filename"].as_str().unwrap_or("noname").to_owned();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(f["data"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let md5 = md5_hex(&bytes);
        // MISP stores an upload as a `file` object: the sample (zipped), its name and hashes.
        let object_id = format!("{}", 5000 + s.next_attribute);
        let attrs = vec![
            s.attribute(id, &json!({"category": "Payload delivery", "type": "malware-sample", "value": format!("{name}|{md5}"), "to_ids": true, "comment": r["comment"]}), &object_id, Some("malware-sample")),
            s.attribute(id, &json!({"category": "Payload delivery", "type": "filename", "value": name, "to_ids": false}), &object_id, Some("filename")),
            s.attribute(id, &json!({"category": "Payload delivery", "type": "md5", "value": md5, "to_ids": true}), &object_id, Some("md5")),
            s.attribute(id, &json!({"category": "Payload delivery", "type": "sha256", "value": sha256_hex(&bytes), "to_ids": true}), &object_id, Some("sha256")),
        ];
        let e = &mut s.events.get_mut(&id).unwrap()["Event"];
        e["Object"].as_array_mut().unwrap().push(json!({"id": object_id, "name": "file", "meta-category": "file", "event_id": id.to_string(), "deleted": false, "Attribute": attrs}));
    }
    axum::Json(json!({"name": "Success", "message": "Success", "url": format!("/events/view/{id}")})).into_response()
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/servers/getVersion", get(get_version))
        .route("/users/view/me", get(users_me))
        .route("/organisations/view/{id}", get(organisation))
        .route("/events/index", post(index))
        .route("/events/view/{id}", get(view))
        .route("/events/view/{id}/{named}", get(view))
        .route("/attributes/download/{id}", get(download))
        .route("/events/add", post(add_event))
        .route("/events/edit/{id}", post(edit_event))
        .route("/events/upload_sample/{id}", post(upload_sample))
        .with_state(state)
}

impl FakeMisp {
    /// Starts an empty MISP (no events) on a random port.
    pub async fn start() -> FakeMisp {
        Self::start_on("127.0.0.1".parse().unwrap()).await
    }

    /// Starts the fake on a given local address (the SSRF guard's tests need a
    /// non-loopback one).
    pub async fn start_on(ip: std::net::IpAddr) -> FakeMisp {
        let state = AppState(Arc::new(Mutex::new(StateInner {
            me: fixture("users_view_me.json"),
            version: fixture("servers_getVersion.json"),
            next_event: 5000,
            next_attribute: 800_000,
            ..StateInner::default()
        })));
        let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::new(ip, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(Self::serve(listener, state.clone()));
        FakeMisp { url: format!("http://{addr}"), addr, state, server: Some(server) }
    }

    async fn serve(listener: tokio::net::TcpListener, state: AppState) {
        let _ = axum::serve(listener, router(state)).await;
    }

    /// Starts an empty MISP over HTTPS with the certificate `fixtures/tls/<cert>.pem` (signed
    /// by `fixtures/tls/ca.pem`). Its URL is `https://127.0.0.1:<port>`.
    pub async fn start_tls(cert: &str) -> FakeMisp {
        use tokio_rustls::rustls;
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = format!("{}/tests/it/fixtures/tls", env!("CARGO_MANIFEST_DIR"));
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(format!("{dir}/{cert}.pem")).unwrap().collect::<Result<_, _>>().unwrap();
        let key = PrivateKeyDer::from_pem_file(format!("{dir}/{cert}.key")).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let mut fake = FakeMisp::start().await;
        fake.go_down().await;
        let listener = tokio::net::TcpListener::bind(fake.addr).await.unwrap();
        let app = router(fake.state.clone());
        fake.server = Some(tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    // A client that refuses our certificate ends the handshake: nothing to serve.
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        }));
        fake.url = format!("https://{}", fake.addr);
        fake
    }

    /// Stops listening: connections are refused until `come_back`.
    pub async fn go_down(&mut self) {
        if let Some(s) = self.server.take() {
            s.abort();
            let _ = s.await;
        }
    }

    pub async fn come_back(&mut self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.server = Some(tokio::spawn(Self::serve(listener, self.state.clone())));
    }

    /// Adds (or replaces) an event given as `{"Event": {...}}`.
    pub fn put_event(&self, event: Value) {
        let id = num(&event["Event"]["id"]);
        self.state.0.lock().unwrap().events.insert(id, event);
    }

    /// Changes an event in place (the closure gets the inner `Event` object).
    pub fn edit(&self, id: i64, f: impl FnOnce(&mut Value)) {
        let mut s = self.state.0.lock().unwrap();
        f(&mut s.events.get_mut(&id).expect("event")["Event"]);
    }

    pub fn delete_event(&self, id: i64) {
        self.state.0.lock().unwrap().events.remove(&id);
    }

    pub fn event(&self, id: i64) -> Value {
        self.state.0.lock().unwrap().events.get(&id).cloned().expect("event")
    }

    pub fn event_ids(&self) -> Vec<i64> {
        self.state.0.lock().unwrap().events.keys().copied().collect()
    }

    /// What `/attributes/download/{attribute_id}` serves.
    pub fn put_file(&self, attribute_id: &str, name: &str, content_type: &str, bytes: Vec<u8>) {
        self.state.0.lock().unwrap().files.insert(attribute_id.into(), (name.into(), content_type.into(), bytes));
    }

    pub fn remove_file(&self, attribute_id: &str) {
        self.state.0.lock().unwrap().files.remove(attribute_id);
    }

    pub fn fault(&self, path_prefix: &str, f: Fault) {
        self.state.0.lock().unwrap().faults.push((path_prefix.into(), f));
    }

    pub fn clear_faults(&self) {
        self.state.0.lock().unwrap().faults.clear();
    }

    /// Changes the answer of `/users/view/me` (role permissions, organisation).
    pub fn edit_me(&self, f: impl FnOnce(&mut Value)) {
        f(&mut self.state.0.lock().unwrap().me);
    }

    pub fn set_version(&self, version: &str) {
        self.state.0.lock().unwrap().version["version"] = json!(version);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.0.lock().unwrap().requests.clone()
    }

    pub fn requests_to(&self, prefix: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.path.starts_with(prefix)).collect()
    }

    pub fn clear_requests(&self) {
        self.state.0.lock().unwrap().requests.clear();
    }

    /// The two fixture events and their files, as on a real MISP.
    pub fn load_fixtures(&self) {
        self.put_event(fixture("event_phishing.json"));
        self.put_event(fixture("event_sample.json"));
        self.put_file("91001", "invoice.exe.zip", "application/zip", fixture_bytes("invoice.exe.zip"));
        self.put_file("91002", "sandbox-report.txt", "text/plain", fixture_bytes("sandbox-report.txt"));
    }
}

impl Drop for FakeMisp {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            s.abort();
        }
    }
}
