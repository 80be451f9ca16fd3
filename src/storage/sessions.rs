//! Login sessions. The cookie carries a random token; only its SHA-256 is stored, so a
//! database leak does not hand out live sessions.

use super::db::Tx;
use super::error::StorageError;
use crate::args;

pub struct SessionRow {
    pub user_id: i64,
    pub organisation_id: Option<i64>,
    pub expires_at: i64,
}

pub async fn insert(
    tx: &mut Tx,
    token_hash: &str,
    user_id: i64,
    organisation_id: Option<i64>,
    now: i64,
    expires_at: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO user_session (token_hash, user_id, organisation_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        args![token_hash, user_id, organisation_id, now, expires_at],
    )
    .await?;
    Ok(())
}

pub async fn find(tx: &mut Tx, token_hash: &str) -> Result<Option<SessionRow>, StorageError> {
    let row = tx
        .fetch_optional(
            "SELECT user_id, organisation_id, expires_at FROM user_session WHERE token_hash = $1",
            args![token_hash],
        )
        .await?;
    row.map(|r| {
        Ok(SessionRow {
            user_id: r.get("user_id")?,
            organisation_id: r.get("organisation_id")?,
            expires_at: r.get("expires_at")?,
        })
    })
    .transpose()
}

/// Slides the inactivity deadline forward and records the organisation last chosen.
pub async fn touch(
    tx: &mut Tx,
    token_hash: &str,
    organisation_id: Option<i64>,
    expires_at: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE user_session SET expires_at = $1, organisation_id = COALESCE($2, organisation_id) WHERE token_hash = $3",
        args![expires_at, organisation_id, token_hash],
    )
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, token_hash: &str) -> Result<(), StorageError> {
    tx.execute("DELETE FROM user_session WHERE token_hash = $1", args![token_hash]).await?;
    Ok(())
}

/// Ends every session of a user (locked, password changed, deleted).
pub async fn delete_for_user(tx: &mut Tx, user_id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM user_session WHERE user_id = $1", args![user_id]).await?;
    Ok(())
}

pub async fn purge_expired(tx: &mut Tx, now: i64) -> Result<u64, StorageError> {
    tx.execute("DELETE FROM user_session WHERE expires_at < $1", args![now]).await
}
