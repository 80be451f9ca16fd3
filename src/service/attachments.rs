//! Attachments (spec §1.8): uploads, downloads (plain or as a password-protected zip, as
//! TheHive offers malicious files) and the attachments of alerts, cases and organisations.

use md5::Digest as _;
use serde_json::json;

use super::audit::{Action, record};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::attachments::{self, Blob, NewBlob, Owner, Usage};
use crate::storage::{Tx, alerts};

/// The password of zip downloads (TheHive's `datastore.attachment.password` default).
pub const ZIP_PASSWORD: &str = "malware";

/// A file received in a request, hashed on arrival (outside any transaction).
#[derive(Debug, Clone)]
pub struct Upload {
    /// The multipart part name (`attachment`, `attachments`, or a key of thehive4py's
    /// attachment map).
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
}

impl Upload {
    pub fn new(field: String, filename: String, content_type: String, bytes: Vec<u8>) -> Upload {
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        let sha1 = hex::encode(sha1::Sha1::digest(&bytes));
        let md5 = hex::encode(md5::Md5::digest(&bytes));
        Upload { field, filename, content_type, bytes, sha256, sha1, md5 }
    }

    /// Stores the content (deduplicated) in the caller's transaction.
    pub async fn store(&self, tx: &mut Tx, by: &str, now: i64) -> Result<Blob, ApiError> {
        let blob = NewBlob {
            sha256: &self.sha256,
            sha1: &self.sha1,
            md5: &self.md5,
            bytes: &self.bytes,
            content_type: &self.content_type,
        };
        Ok(attachments::put(tx, &blob, by, now).await?)
    }
}

/// `hashes` as TheHive lists them: SHA-256, SHA-1, MD5 (longest first).
pub fn hashes(b: &Blob) -> Vec<String> {
    vec![b.sha256.clone(), b.sha1.clone(), b.md5.clone()]
}

/// A file ready to send.
pub struct Download {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Download {
    /// The same file wrapped in a zip encrypted with `ZIP_PASSWORD`.
    pub fn zipped(self) -> Download {
        let mut seed = [0u8; 11];
        // A predictable header weakens nothing that matters here (ZipCrypto is a wrapper
        // against scanners, not a secret), so a failed RNG read is not an error.
        let _ = getrandom::getrandom(&mut seed);
        let zip = crate::zip::encrypted_zip(&self.name, &self.bytes, ZIP_PASSWORD, crate::clock::now_ms(), seed);
        Download { name: format!("{}.zip", self.name), content_type: "application/zip".into(), bytes: zip }
    }
}

/// `GET /attachment/{id}/download`: any content the caller may see, by SHA-256.
pub async fn download(app: &App, caller: &Caller, sha256: &str, name: Option<&str>) -> Result<Download, ApiError> {
    let mut tx = app.store.read().await?;
    if !attachments::visible(&mut tx, &caller.scope(), sha256).await? {
        return Err(ApiError::not_found("Attachment"));
    }
    let blob = attachments::find(&mut tx, sha256).await?.ok_or_else(|| ApiError::not_found("Attachment"))?;
    let (stored_name, ct) = attachments::any_name(&mut tx, &caller.scope(), sha256)
        .await?
        .unwrap_or((sha256.to_owned(), blob.content_type));
    let bytes = attachments::read(&mut tx, sha256).await?;
    Ok(Download { name: name.map(str::to_owned).unwrap_or(stored_name), content_type: ct, bytes })
}

/// The object attachments hang on, as named in the request path.
#[derive(Debug, Clone, Copy)]
pub enum Parent<'a> {
    Alert(&'a str),
    Case(&'a str),
    Organisation,
}

/// Resolves the parent to its `Owner`, checking visibility; `for_update` also checks the
/// permission to change it.
async fn owner(tx: &mut Tx, caller: &Caller, parent: Parent<'_>, for_update: bool) -> Result<Owner, ApiError> {
    match parent {
        Parent::Alert(id) => {
            let a = alerts::find(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("Alert"))?;
            if for_update {
                caller.require(perm::MANAGE_ALERT, "update alert")?;
            }
            Ok(Owner::Alert(a.id))
        }
        Parent::Case(id) => {
            let c = super::cases::find(tx, caller, id).await?;
            if for_update {
                super::cases::require_on_case(tx, caller, c.clone(), perm::MANAGE_CASE, "update case").await?;
            }
            Ok(Owner::Case(c.id))
        }
        Parent::Organisation => Ok(Owner::Organisation(caller.organisation_id)),
    }
}

fn audit_root(owner: Owner) -> Option<(&'static str, i64)> {
    match owner {
        Owner::Alert(id) => Some(("Alert", id)),
        Owner::Case(id) => Some(("Case", id)),
        _ => None,
    }
}

/// `POST /{alert|case}/{id}/attachments` (parts named `attachments`, or any file part).
pub async fn add(app: &App, caller: &Caller, parent: Parent<'_>, files: &[Upload]) -> Result<Vec<Usage>, ApiError> {
    if files.is_empty() {
        return Err(ApiError::missing("attachments"));
    }
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let owner = owner(&mut tx, caller, parent, true).await?;
    let mut ids = Vec::new();
    for f in files {
        let blob = f.store(&mut tx, &caller.login, now).await?;
        let id =
            attachments::add_usage(&mut tx, blob.id, &f.filename, &f.content_type, owner, &caller.login, now).await?;
        record(
            &mut tx,
            caller,
            Action {
                operation: "create",
                object_type: "Attachment",
                object_id: id,
                root: audit_root(owner),
                details: json!({"name": f.filename, "id": f.sha256, "size": f.bytes.len()}),
            },
            now,
        )
        .await?;
        ids.push(id);
    }
    let all = attachments::usages(&mut tx, owner).await?;
    tx.commit().await?;
    Ok(all.into_iter().filter(|u| ids.contains(&u.id)).collect())
}

pub async fn list(app: &App, caller: &Caller, parent: Parent<'_>) -> Result<Vec<Usage>, ApiError> {
    let mut tx = app.store.read().await?;
    let owner = owner(&mut tx, caller, parent, false).await?;
    Ok(attachments::usages(&mut tx, owner).await?)
}

/// `GET /{alert|case}/{id}/attachment/{attId}/download` (attId: content id or `~usage id`).
pub async fn download_from(app: &App, caller: &Caller, parent: Parent<'_>, att: &str) -> Result<Download, ApiError> {
    let mut tx = app.store.read().await?;
    let owner = owner(&mut tx, caller, parent, false).await?;
    let u = attachments::find_usage(&mut tx, owner, att).await?.ok_or_else(|| ApiError::not_found("Attachment"))?;
    let bytes = attachments::read(&mut tx, &u.blob.sha256).await?;
    Ok(Download { name: u.name, content_type: u.content_type, bytes })
}

/// `DELETE /{alert|case}/{id}/attachment/{attId}` and `DELETE /attachment/{id}`.
pub async fn delete(app: &App, caller: &Caller, parent: Parent<'_>, att: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let owner = owner(&mut tx, caller, parent, true).await?;
    let u = attachments::find_usage(&mut tx, owner, att).await?.ok_or_else(|| ApiError::not_found("Attachment"))?;
    attachments::delete_usage(&mut tx, u.id).await?;
    attachments::collect_garbage(&mut tx, &[u.blob.id]).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Attachment",
            object_id: u.id,
            root: audit_root(owner),
            details: json!({"name": u.name, "id": u.blob.sha256}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
