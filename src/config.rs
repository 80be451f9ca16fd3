//! Configuration, in layers: compiled defaults, then an optional TOML file, then `WAGGLE_*`
//! environment variables, then command-line flags (clap merges the last two). The result
//! is one `Config` value passed to whoever needs a part of it; nothing reads a global.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::storage::{DatabaseUrl, SqliteSync};

/// The commented example printed by `waggle default-config`.
pub const DEFAULT_CONFIG: &str = include_str!("default-config.toml");

/// A secret string whose `Debug` never shows it.
#[derive(Clone, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Secret {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server binds (TheHive's port by default).
    pub listen: SocketAddr,
    /// Directory for the SQLite database, the server secret and other local state.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `<data_dir>/waggle.db`.
    pub database_url: Option<Secret>,
    /// Password of `admin@thehive.local` when the database is bootstrapped.
    pub admin_password: Option<Secret>,
    /// Server secret (sealing of stored secrets). Generated into the data dir if absent.
    pub secret: Option<Secret>,
    /// SQLite commit durability.
    pub sqlite_synchronous: SqliteSync,
    /// Maximum PostgreSQL connections.
    pub postgres_pool_size: u32,
    /// Session inactivity timeout in minutes.
    pub session_timeout_minutes: i64,
    /// Bounds on the query DSL (`POST /api/v1/query`) and the global search.
    pub query: QueryConfig,
    /// The MISP connector's poller.
    pub misp: MispConfig,
}

/// `[misp]`: the background import from MISP servers (the servers themselves are
/// configured through the API and stored in the database).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MispConfig {
    /// Seconds between two imports from each MISP server (a server may override it), until
    /// an administrator sets the shared interval stored in the database
    /// (`service::misp::interval`).
    pub sync_interval_secs: u64,
    /// Whether this process runs the background poller. Servers sharing one PostgreSQL
    /// may all run it: a lease makes one of them sync a given MISP server at a time.
    pub poller: bool,
    /// The SSRF guard: which addresses MISP server URLs, their redirects and proxies may
    /// reach. `private` (default): public and private networks, not loopback nor
    /// link-local (cloud metadata); `public`; `any`.
    pub destinations: crate::outbound::Destinations,
}

impl Default for MispConfig {
    fn default() -> MispConfig {
        MispConfig { sync_interval_secs: 3600, poller: true, destinations: crate::outbound::Destinations::Private }
    }
}

/// `[query]`: how much one query may return and how long it may run.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct QueryConfig {
    /// Most objects one answer holds: a larger `page` is refused (400), and so is an
    /// unpaged list that matches more (with a hint to add a `page` step).
    pub max_results: u64,
    /// `limitedCount` and `X-Total` stop counting here and answer `-threshold`.
    pub limited_count_threshold: u64,
    /// Statement timeout of one query, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for QueryConfig {
    fn default() -> QueryConfig {
        QueryConfig { max_results: 10_000, limited_count_threshold: 1_000, timeout_ms: 10_000 }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([0, 0, 0, 0], 9000)),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            admin_password: None,
            secret: None,
            sqlite_synchronous: SqliteSync::Full,
            postgres_pool_size: 16,
            session_timeout_minutes: 60,
            query: QueryConfig::default(),
            misp: MispConfig::default(),
        }
    }
}

impl Config {
    /// Reads a TOML file over the defaults.
    pub fn from_file(path: &Path) -> Result<Config, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| format!("invalid config file {}: {e}", path.display()))
    }

    /// The database URL, defaulting to a SQLite file in the data dir.
    pub fn database(&self) -> Result<DatabaseUrl, String> {
        match &self.database_url {
            Some(url) => DatabaseUrl::parse(url.expose()),
            None => Ok(DatabaseUrl::Sqlite(self.data_dir.join("waggle.db"))),
        }
    }

    /// The server secret: configured, or read from (and on first start written to)
    /// `<data_dir>/secret.key`. Several servers sharing one PostgreSQL must be given the
    /// same secret.
    pub fn load_secret(&self) -> Result<Vec<u8>, String> {
        if let Some(s) = &self.secret {
            return Ok(s.expose().as_bytes().to_vec());
        }
        let path = self.data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => hex::decode(text.trim()).map_err(|e| format!("{} is not hex: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = crate::auth::secrets::random_bytes(32);
                write_private(&path, &hex::encode(&secret))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(secret)
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(content.as_bytes())
}

/// Environment variables Waggle understands; others starting with `WAGGLE_` are reported,
/// since a misspelt variable silently ignored is a classic production surprise.
pub const KNOWN_ENV: &[&str] = &[
    "WAGGLE_CONFIG",
    "WAGGLE_LISTEN",
    "WAGGLE_DATA_DIR",
    "WAGGLE_DATABASE_URL",
    "WAGGLE_ADMIN_PASSWORD",
    "WAGGLE_SECRET",
    "WAGGLE_LOG",
    "WAGGLE_TEST_LOG",
    "WAGGLE_TEST_DATABASE_URL",
];

pub fn unexpected_env_variables() -> Vec<String> {
    std::env::vars().map(|(k, _)| k).filter(|k| k.starts_with("WAGGLE_") && !KNOWN_ENV.contains(&k.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_parses() {
        let c: Config = toml::from_str(DEFAULT_CONFIG).unwrap();
        assert_eq!(c.listen.port(), 9000);
    }

    #[test]
    fn secrets_hidden_in_debug() {
        let c = Config { admin_password: Some(Secret::new("hunter2".into())), ..Config::default() };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
