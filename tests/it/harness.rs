//! `TestApp`: a real Waggle server on `127.0.0.1:0` with a private database, plus an HTTP
//! client with helpers per role.
//!
//! SQLite tests get a fresh temp directory. PostgreSQL tests get their own database cloned
//! from a template migrated once per schema version (`CREATE DATABASE … TEMPLATE`), which
//! costs far less than migrating for each test. The PostgreSQL server is
//! `WAGGLE_TEST_DATABASE_URL` (default: the local one with trust auth). When it cannot be
//! reached the PostgreSQL variants are skipped with a loud message, except under `CI`, where
//! they fail: CI always has PostgreSQL.

use std::sync::Once;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Connection;
use waggle::config::{Config, Secret};
use waggle::storage::Backend;

pub const ADMIN: &str = "admin@thehive.local";
pub const ADMIN_PASSWORD: &str = "secret";

type Launched = (String, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<Result<(), String>>);

async fn launch(config: Config) -> Launched {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = waggle::app::prepare(config).await.expect("prepare app");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(waggle::app::serve(app, listener, async move {
        let _ = rx.await;
    }));
    (base, tx, server)
}

/// Writes the instantiation of a behaviour test for each backend.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::harness::TestApp::start(waggle::storage::Backend::Sqlite).await else { return };
                    super::$name(app).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(app) = $crate::harness::TestApp::start(waggle::storage::Backend::Postgres).await else { return };
                    super::$name(app).await
                }
            )*
        }
    };
}

static LOG: Once = Once::new();

fn init_logging() {
    LOG.call_once(|| {
        if std::env::var_os("WAGGLE_TEST_LOG").is_some() {
            waggle::telemetry::init("debug");
        }
    });
}

pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<Result<(), String>>>,
    _dir: tempfile::TempDir,
    pg_database: Option<(String, String)>,
    pub database_url: String,
    config: Config,
}

fn pg_admin_url() -> String {
    std::env::var("WAGGLE_TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn with_database(url: &str, db: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => format!("{url}/{db}"),
    }
}

/// Creates (once per schema version, across test processes) a migrated template database
/// and clones it for one test.
async fn pg_test_database() -> Option<String> {
    if std::env::var_os("WAGGLE_TEST_SKIP_PG").is_some() {
        return None;
    }
    let admin_url = pg_admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin_url).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var_os("CI").is_some() {
                panic!("PostgreSQL is required in CI but unreachable at {admin_url}: {e}");
            }
            eprintln!("\n*** SKIPPED: PostgreSQL unreachable at {admin_url} ({e}); PostgreSQL variant not run ***\n");
            return None;
        }
    };
    let template = format!("waggle_tpl_{}", waggle::storage::schema_fingerprint());
    sqlx::query("SELECT pg_advisory_lock(4711)").execute(&mut conn).await.expect("lock");
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&template)
        .fetch_optional(&mut conn)
        .await
        .expect("query pg_database");
    if exists.is_none() {
        sqlx::query(&format!("CREATE DATABASE {template}")).execute(&mut conn).await.expect("create template");
        let url = waggle::storage::DatabaseUrl::parse(&with_database(&admin_url, &template)).expect("url");
        let store = waggle::storage::open(&url, waggle::storage::SqliteSync::Normal, 2).await.expect("open template");
        waggle::storage::migrate(&store, 0).await.expect("migrate template");
        store.close().await;
    }
    let name = format!("waggle_t_{}", waggle::auth::secrets::new_token(9).to_lowercase().replace(['-', '_'], "x"));
    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .execute(&mut conn)
        .await
        .expect("clone template");
    sqlx::query("SELECT pg_advisory_unlock(4711)").execute(&mut conn).await.expect("unlock");
    Some(name)
}

impl TestApp {
    /// Starts a server; `None` when the backend is unavailable and may be skipped.
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        init_logging();
        let dir = tempfile::tempdir().expect("tempdir");
        let (database_url, pg_database) = match backend {
            Backend::Sqlite => (format!("sqlite://{}", dir.path().join("waggle.db").display()), None),
            Backend::Postgres => {
                let db = pg_test_database().await?;
                (with_database(&pg_admin_url(), &db), Some((pg_admin_url(), db)))
            }
        };
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data_dir: dir.path().to_path_buf(),
            database_url: Some(Secret::new(database_url.clone())),
            admin_password: Some(Secret::new(ADMIN_PASSWORD.into())),
            sqlite_synchronous: waggle::storage::SqliteSync::Normal,
            postgres_pool_size: 4,
            ..Config::default()
        };
        tweak(&mut config);
        let (base, shutdown, server) = launch(config.clone()).await;
        Some(TestApp {
            base,
            backend,
            client: reqwest::Client::builder().cookie_store(true).build().expect("client"),
            shutdown: Some(shutdown),
            server: Some(server),
            _dir: dir,
            pg_database,
            database_url,
            config,
        })
    }

    /// Stops the server (as a crash would, without any cleanup of ours) and starts a new one
    /// on the same database, to check that what was acknowledged survived.
    pub async fn restart(mut self) -> TestApp {
        if let Some(server) = self.server.take() {
            server.abort();
            let _ = server.await;
        }
        self.shutdown = None;
        let (base, shutdown, server) = launch(self.config.clone()).await;
        self.base = base;
        self.shutdown = Some(shutdown);
        self.server = Some(server);
        self
    }

    /// Stops the server and waits for it to close the database.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Another Waggle server process on the same database and secret, not serving HTTP: for
    /// tests that drive a background unit of work themselves, or that need two servers
    /// sharing one database.
    pub async fn second_server(&self) -> waggle::app::App {
        waggle::app::prepare(self.config.clone()).await.expect("prepare a second server")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request builder authenticated as `login`/`password` with HTTP Basic.
    pub fn as_user(&self, method: Method, path: &str, login: &str, password: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path)).basic_auth(login, Some(password))
    }

    pub fn as_admin(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.as_user(method, path, ADMIN, ADMIN_PASSWORD)
    }

    /// Creates an organisation as the platform admin.
    pub async fn create_org(&self, name: &str) -> Value {
        let (status, body) = send(
            self.as_admin(Method::POST, "/api/v1/organisation")
                .json(&serde_json::json!({"name": name, "description": format!("{name} team")})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// Creates a user with a password in an organisation, as the platform admin.
    pub async fn create_user(&self, login: &str, org: &str, profile: &str) -> Value {
        let (status, body) = send(self.as_admin(Method::POST, "/api/v1/user").json(&serde_json::json!({
            "login": login, "name": login, "organisation": org, "profile": profile, "password": "pw-".to_owned() + login
        })))
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }
}

/// The password `create_user` gives a user.
pub fn password_of(login: &str) -> String {
    format!("pw-{login}")
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some((admin_url, db)) = self.pg_database.take() {
            // Drop the per-test database from a separate thread: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// Sends a request; returns status and body as JSON (or as a JSON string for text bodies).
pub async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    (status, body)
}

/// Asserts TheHive's error shape, status and type.
pub fn assert_error(status: StatusCode, body: &Value, expected_status: u16, expected_type: &str) {
    assert_eq!(status.as_u16(), expected_status, "{body}");
    assert_eq!(body["type"], expected_type, "{body}");
    assert!(body["message"].is_string(), "{body}");
}
