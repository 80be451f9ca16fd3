//! The storage layer's error type. Callers see "not found" as `Ok(None)`, never as an error,
//! so a database outage can never be mistaken for a missing object.

/// What can go wrong below the service layer.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database said no: connection lost, constraint violated, bad SQL.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration could not be applied, or the database is newer than this binary.
    #[error("migration error: {0}")]
    Migration(String),
    /// The commit of a write batch failed: the write was not made durable.
    #[error("commit failed: {0}")]
    Commit(String),
    /// Stored data that does not decode (a JSON column that is not JSON): a bug or tampering.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl StorageError {
    /// The name of the violated unique or foreign-key constraint, if that is what this is.
    /// SQLite does not report constraint names, so its message (which names the columns)
    /// is returned instead; `violates` below matches either.
    fn constraint_text(&self) -> Option<String> {
        match self {
            StorageError::Sqlx(sqlx::Error::Database(db)) => {
                if let Some(name) = db.constraint() {
                    return Some(name.to_owned());
                }
                let msg = db.message();
                msg.contains("constraint failed").then(|| msg.to_owned())
            }
            _ => None,
        }
    }

    /// True if this error is the violation of the named unique index. For SQLite the index
    /// is identified by the columns it covers (given as `table.column` strings), because
    /// SQLite's message is `UNIQUE constraint failed: t.a, t.b`.
    pub fn violates(&self, pg_name: &str, sqlite_columns: &str) -> bool {
        match self.constraint_text() {
            Some(text) => text == pg_name || text.ends_with(sqlite_columns),
            None => false,
        }
    }

    /// True when a statement was stopped by `Tx::limit_duration` (PostgreSQL
    /// `query_canceled`, SQLite `SQLITE_INTERRUPT`).
    pub fn is_timeout(&self) -> bool {
        match self {
            StorageError::Sqlx(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("57014") | Some("9")) || db.message().contains("interrupted")
            }
            _ => false,
        }
    }

    /// True for any unique-constraint violation, whichever index.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StorageError::Sqlx(sqlx::Error::Database(db)) => db.is_unique_violation(),
            _ => false,
        }
    }
}
