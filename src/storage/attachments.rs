//! Attachments: content-addressed files (spec §1.8). One `attachment` row per distinct
//! content (keyed by SHA-256), its bytes in `attachment_blob` chunks inside the database, so
//! every server sharing one PostgreSQL sees the same files. Names and content types belong
//! to each use: a file observable's columns, or an `attachment_usage` row.

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use super::visibility;
use crate::args;

/// Bytes per `attachment_blob` row: small enough for one bind, large enough to keep the
/// row count of big files low.
const CHUNK: usize = 1024 * 1024;

/// A stored content.
#[derive(Debug, Clone)]
pub struct Blob {
    pub id: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub size: i64,
    pub content_type: String,
}

/// Content about to be stored, hashed by the caller outside the transaction.
pub struct NewBlob<'a> {
    pub sha256: &'a str,
    pub sha1: &'a str,
    pub md5: &'a str,
    pub bytes: &'a [u8],
    pub content_type: &'a str,
}

fn blob_from_row(row: &Row) -> Result<Blob, StorageError> {
    Ok(Blob {
        id: row.get("id")?,
        sha256: row.get("sha256")?,
        sha1: row.get("sha1")?,
        md5: row.get("md5")?,
        size: row.get("size")?,
        content_type: row.get("content_type")?,
    })
}

/// Stores the content unless it is already there (deduplication by SHA-256); returns its row.
pub async fn put(tx: &mut Tx, b: &NewBlob<'_>, by: &str, now: i64) -> Result<Blob, StorageError> {
    let inserted = tx
        .fetch_optional(
            "INSERT INTO attachment (sha256, sha1, md5, size, content_type, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING RETURNING id",
            args![b.sha256, b.sha1, b.md5, b.bytes.len() as i64, b.content_type, by, now],
        )
        .await?;
    if inserted.is_some() {
        // Only the transaction that created the row writes the bytes; a concurrent upload of
        // the same content waits on the unique index and then finds them committed.
        for (i, chunk) in b.bytes.chunks(CHUNK).enumerate() {
            tx.execute(
                "INSERT INTO attachment_blob (sha256, chunk_index, data) VALUES ($1, $2, $3)",
                args![b.sha256, i as i64, chunk],
            )
            .await?;
        }
    }
    find(tx, b.sha256).await?.ok_or(StorageError::Corrupt(format!("attachment {} vanished", b.sha256)))
}

/// By SHA-256, without visibility: callers check `visible` (or own the reference) first.
pub async fn find(tx: &mut Tx, sha256: &str) -> Result<Option<Blob>, StorageError> {
    let row = tx
        .fetch_optional(
            "SELECT id, sha256, sha1, md5, size, content_type FROM attachment WHERE sha256 = $1",
            args![sha256],
        )
        .await?;
    row.as_ref().map(blob_from_row).transpose()
}

/// The full content, chunks concatenated in order.
pub async fn read(tx: &mut Tx, sha256: &str) -> Result<Vec<u8>, StorageError> {
    let rows =
        tx.fetch_all("SELECT data FROM attachment_blob WHERE sha256 = $1 ORDER BY chunk_index", args![sha256]).await?;
    let mut out = Vec::new();
    for r in rows {
        out.extend_from_slice(&r.get::<Vec<u8>>("data")?);
    }
    Ok(out)
}

/// True if the caller's organisation may see this content (`visibility::attachment`).
pub async fn visible(tx: &mut Tx, scope: &Scope, sha256: &str) -> Result<bool, StorageError> {
    let sql = format!("SELECT COUNT(*) FROM attachment a WHERE a.sha256 = $1 AND {}", visibility::attachment("a", 2));
    Ok(tx.fetch_i64(&sql, args![sha256, scope.organisation_id()]).await? > 0)
}

/// Which object a use of an attachment belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Organisation(i64),
    Case(i64),
    Alert(i64),
    Log(i64),
}

impl Owner {
    fn column(self) -> (&'static str, i64) {
        match self {
            Owner::Organisation(id) => ("organisation_id", id),
            Owner::Case(id) => ("case_id", id),
            Owner::Alert(id) => ("alert_id", id),
            Owner::Log(id) => ("log_id", id),
        }
    }
}

/// An attachment as used by a case, alert, log or organisation: the content plus the name
/// and content type given at upload.
#[derive(Debug, Clone)]
pub struct Usage {
    pub id: i64,
    pub blob: Blob,
    pub name: String,
    pub content_type: String,
    pub meta: Meta,
}

fn usage_from_row(row: &Row) -> Result<Usage, StorageError> {
    Ok(Usage {
        id: row.get("usage_id")?,
        blob: blob_from_row(row)?,
        name: row.get("name")?,
        content_type: row.get("usage_content_type")?,
        meta: Meta::from_row(row)?,
    })
}

fn usage_select() -> String {
    let meta = META_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT u.id AS usage_id, u.name, u.content_type AS usage_content_type, a.id, a.sha256, a.sha1, a.md5, \
         a.size, a.content_type, {meta} FROM attachment_usage u JOIN attachment a ON a.id = u.attachment_id"
    )
}

pub async fn add_usage(
    tx: &mut Tx,
    attachment_id: i64,
    name: &str,
    content_type: &str,
    owner: Owner,
    by: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let (col, id) = owner.column();
    tx.fetch_i64(
        &format!(
            "INSERT INTO attachment_usage (attachment_id, name, content_type, {col}, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
        ),
        args![attachment_id, name, content_type, id, by, now],
    )
    .await
}

/// Uses by usage id (the caller selected visible ids), in no particular order.
pub async fn usages_by_ids(tx: &mut Tx, ids: &[i64]) -> Result<Vec<Usage>, StorageError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let ph = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let binds = chunk.iter().map(|i| super::db::Value::from(*i)).collect();
        let rows = tx.fetch_all(&format!("{} WHERE u.id IN ({ph})", usage_select()), binds).await?;
        for r in &rows {
            out.push(usage_from_row(r)?);
        }
    }
    Ok(out)
}

/// The uses of one owner, oldest first.
pub async fn usages(tx: &mut Tx, owner: Owner) -> Result<Vec<Usage>, StorageError> {
    let (col, id) = owner.column();
    let rows = tx.fetch_all(&format!("{} WHERE u.{col} = $1 ORDER BY u.id", usage_select()), args![id]).await?;
    rows.iter().map(usage_from_row).collect()
}

/// The use of content `sha256` (or of usage id `~n`) by `owner`.
pub async fn find_usage(tx: &mut Tx, owner: Owner, att: &str) -> Result<Option<Usage>, StorageError> {
    let (col, id) = owner.column();
    let row = match crate::ids::parse_id(att) {
        Some(uid) => {
            tx.fetch_optional(&format!("{} WHERE u.{col} = $1 AND u.id = $2", usage_select()), args![id, uid]).await?
        }
        None => {
            tx.fetch_optional(
                &format!("{} WHERE u.{col} = $1 AND a.sha256 = $2 ORDER BY u.id LIMIT 1", usage_select()),
                args![id, att],
            )
            .await?
        }
    };
    row.as_ref().map(usage_from_row).transpose()
}

pub async fn delete_usage(tx: &mut Tx, usage_id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM attachment_usage WHERE id = $1", args![usage_id]).await?;
    Ok(())
}

/// The name a use visible to `scope` gave this content, for downloads by content id (the
/// name another organisation gave the same bytes is not the caller's to see).
pub async fn any_name(tx: &mut Tx, scope: &Scope, sha256: &str) -> Result<Option<(String, String)>, StorageError> {
    let sql = format!(
        "SELECT name, ct FROM (\
           SELECT u.name AS name, u.content_type AS ct, u.id AS k FROM attachment_usage u \
           JOIN attachment a ON a.id = u.attachment_id WHERE a.sha256 = $1 AND {usage} \
           UNION ALL SELECT o.attachment_name, o.attachment_content_type, o.id FROM observable o \
           JOIN attachment a ON a.id = o.attachment_id WHERE a.sha256 = $1 AND o.attachment_name IS NOT NULL \
           AND {obs}\
         ) names ORDER BY k LIMIT 1",
        usage = visibility::attachment_usage("u", 2),
        obs = visibility::observable("o", 2),
    );
    let row = tx.fetch_optional(&sql, args![sha256, scope.organisation_id()]).await?;
    match row {
        Some(r) => Ok(Some((r.get("name")?, r.get("ct")?))),
        None => Ok(None),
    }
}

/// Deletes content no observable and no use refers to any more (garbage collection, run
/// after deletions in the same transaction).
pub async fn collect_garbage(tx: &mut Tx, attachment_ids: &[i64]) -> Result<(), StorageError> {
    for id in attachment_ids {
        tx.execute(
            "DELETE FROM attachment WHERE id = $1 \
             AND NOT EXISTS (SELECT 1 FROM observable o WHERE o.attachment_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM attachment_usage u WHERE u.attachment_id = $1)",
            args![*id],
        )
        .await?;
    }
    Ok(())
}

/// Ids of the content used by the attachment uses matching `usage_cond` (on alias `u`, with
/// `$1` bound to `id`): what to garbage-collect after deleting their owner.
pub async fn ids_used_by(tx: &mut Tx, usage_cond: &str, id: i64) -> Result<Vec<i64>, StorageError> {
    let rows = tx
        .fetch_all(&format!("SELECT DISTINCT u.attachment_id FROM attachment_usage u WHERE {usage_cond}"), args![id])
        .await?;
    rows.iter().map(|r| r.get::<i64>("attachment_id")).collect()
}
