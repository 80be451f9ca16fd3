//! Choosing the backend from the database URL, once, at start-up.

use std::fmt;
use std::path::PathBuf;

use super::db::{SqliteSync, Store};
use super::error::StorageError;

/// A parsed `--database-url`. Its `Debug`/`Display` never print a password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// Accepts `sqlite://path`, `sqlite:path` and `postgres://` / `postgresql://` URLs.
    /// Anything else is refused with a message that lists what is accepted.
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err("sqlite URL has no file path (expected sqlite://path/to/waggle.db)".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        let scheme = url.split(':').next().unwrap_or(url);
        Err(format!("unsupported database URL scheme {scheme:?}: use sqlite://<file> or postgres://user@host/db"))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_password(url)),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Opens the database the URL names.
pub async fn open(url: &DatabaseUrl, sync: SqliteSync, pg_pool_size: u32) -> Result<Store, StorageError> {
    match url {
        DatabaseUrl::Sqlite(path) => Store::open_sqlite(path, sync).await,
        DatabaseUrl::Postgres(url) => Store::open_postgres(url, pg_pool_size).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(DatabaseUrl::parse("sqlite://data/w.db"), Ok(DatabaseUrl::Sqlite("data/w.db".into())));
        assert!(matches!(DatabaseUrl::parse("postgresql://h/db"), Ok(DatabaseUrl::Postgres(_))));
        let err = DatabaseUrl::parse("mysql://h/db").unwrap_err();
        assert!(err.contains("\"mysql\""), "{err}");
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn password_is_hidden() {
        let url = DatabaseUrl::parse("postgres://bob:hunter2@db:5432/waggle").unwrap();
        assert_eq!(format!("{url:?}"), "postgres://bob:***@db:5432/waggle");
    }
}
