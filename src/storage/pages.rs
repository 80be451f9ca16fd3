//! Pages (spec §1.17): case pages (visible with their case) and organisation knowledge-base
//! pages (visible to their organisation), plus page templates (organisation-owned).

use super::db::{Row, Tx};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use super::visibility;
use crate::args;

#[derive(Debug, Clone)]
pub struct Page {
    pub id: i64,
    pub organisation_id: Option<i64>,
    pub case_id: Option<i64>,
    pub title: String,
    pub category: String,
    pub content: String,
    pub order: i64,
    pub slug: Option<String>,
    pub meta: Meta,
}

fn select() -> String {
    let meta = META_COLUMNS.split(", ").map(|c| format!("p.{c}")).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT p.id, p.organisation_id, p.case_id, p.title, p.category, p.content, p.position, p.slug, {meta} FROM page p"
    )
}

fn from_row(row: &Row) -> Result<Page, StorageError> {
    Ok(Page {
        id: row.get("id")?,
        organisation_id: row.get("organisation_id")?,
        case_id: row.get("case_id")?,
        title: row.get("title")?,
        category: row.get("category")?,
        content: row.get("content")?,
        order: row.get("position")?,
        slug: row.get("slug")?,
        meta: Meta::from_row(row)?,
    })
}

/// The content of a page (new page, page template or patch target).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPage {
    pub title: String,
    pub category: String,
    pub content: String,
    pub order: i64,
}

/// Where a page lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageOwner {
    Case(i64),
    Organisation(i64),
}

/// TheHive 4's slug: the title lowercased, non-alphanumerics as `_`.
pub fn slug(title: &str) -> String {
    title.trim().chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

pub async fn insert(tx: &mut Tx, owner: PageOwner, p: &NewPage, by: &str, now: i64) -> Result<i64, StorageError> {
    let (org, case) = match owner {
        PageOwner::Case(c) => (None, Some(c)),
        PageOwner::Organisation(o) => (Some(o), None),
    };
    tx.fetch_i64(
        "INSERT INTO page (organisation_id, case_id, title, category, content, position, slug, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        args![org, case, p.title.as_str(), p.category.as_str(), p.content.as_str(), p.order, slug(&p.title), by, now],
    )
    .await
}

/// A page of a case visible to `scope`.
pub async fn find_in_case(tx: &mut Tx, scope: &Scope, case_id: i64, id: &str) -> Result<Option<Page>, StorageError> {
    let Some(id) = crate::ids::parse_id(id) else { return Ok(None) };
    let sql = format!("{} WHERE p.id = $1 AND p.case_id = $2 AND {}", select(), visibility::case_id("p.case_id", 3));
    let row = tx.fetch_optional(&sql, args![id, case_id, scope.organisation_id()]).await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list_for_case(tx: &mut Tx, scope: &Scope, case_id: i64) -> Result<Vec<Page>, StorageError> {
    let sql = format!(
        "{} WHERE p.case_id = $1 AND {} ORDER BY p.position, p.id",
        select(),
        visibility::case_id("p.case_id", 2)
    );
    let rows = tx.fetch_all(&sql, args![case_id, scope.organisation_id()]).await?;
    rows.iter().map(from_row).collect()
}

/// A knowledge-base page of the caller's organisation, by `~id` or slug.
pub async fn find_in_organisation(tx: &mut Tx, scope: &Scope, id_or_slug: &str) -> Result<Option<Page>, StorageError> {
    let row = match crate::ids::parse_id(id_or_slug) {
        Some(id) => {
            tx.fetch_optional(
                &format!("{} WHERE p.id = $1 AND {}", select(), visibility::owned_by_organisation("p", 2)),
                args![id, scope.organisation_id()],
            )
            .await?
        }
        None => {
            tx.fetch_optional(
                &format!(
                    "{} WHERE p.slug = $1 AND {} ORDER BY p.id LIMIT 1",
                    select(),
                    visibility::owned_by_organisation("p", 2)
                ),
                args![id_or_slug, scope.organisation_id()],
            )
            .await?
        }
    };
    row.as_ref().map(from_row).transpose()
}

pub async fn list_for_organisation(tx: &mut Tx, scope: &Scope) -> Result<Vec<Page>, StorageError> {
    let sql = format!(
        "{} WHERE {} ORDER BY p.category, p.position, p.id",
        select(),
        visibility::owned_by_organisation("p", 1)
    );
    let rows = tx.fetch_all(&sql, args![scope.organisation_id()]).await?;
    rows.iter().map(from_row).collect()
}

pub async fn update(tx: &mut Tx, id: i64, p: &NewPage, by: &str, now: i64) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE page SET title = $1, category = $2, content = $3, position = $4, slug = $5, updated_by = $6, \
         updated_at = $7 WHERE id = $8",
        args![p.title.as_str(), p.category.as_str(), p.content.as_str(), p.order, slug(&p.title), by, now, id],
    )
    .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM page WHERE id = $1", args![id]).await?;
    Ok(())
}

/// A page template of the caller's organisation.
#[derive(Debug, Clone)]
pub struct PageTemplate {
    pub id: i64,
    pub organisation_id: i64,
    pub page: NewPage,
    pub meta: Meta,
}

fn template_from_row(row: &Row) -> Result<PageTemplate, StorageError> {
    Ok(PageTemplate {
        id: row.get("id")?,
        organisation_id: row.get("organisation_id")?,
        page: NewPage {
            title: row.get("title")?,
            category: row.get("category")?,
            content: row.get("content")?,
            order: row.get("position")?,
        },
        meta: Meta::from_row(row)?,
    })
}

fn template_select() -> String {
    format!("SELECT id, organisation_id, title, category, content, position, {META_COLUMNS} FROM page_template")
}

pub async fn insert_template(
    tx: &mut Tx,
    organisation_id: i64,
    p: &NewPage,
    by: &str,
    now: i64,
) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO page_template (organisation_id, title, category, content, position, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        args![organisation_id, p.title.as_str(), p.category.as_str(), p.content.as_str(), p.order, by, now],
    )
    .await
}

pub async fn find_template(tx: &mut Tx, scope: &Scope, id: &str) -> Result<Option<PageTemplate>, StorageError> {
    let Some(id) = crate::ids::parse_id(id) else { return Ok(None) };
    let row = tx
        .fetch_optional(
            &format!(
                "{} WHERE id = $1 AND {}",
                template_select(),
                visibility::owned_by_organisation("page_template", 2)
            ),
            args![id, scope.organisation_id()],
        )
        .await?;
    row.as_ref().map(template_from_row).transpose()
}

pub async fn list_templates(tx: &mut Tx, scope: &Scope) -> Result<Vec<PageTemplate>, StorageError> {
    let rows = tx
        .fetch_all(
            &format!(
                "{} WHERE {} ORDER BY position, id",
                template_select(),
                visibility::owned_by_organisation("page_template", 1)
            ),
            args![scope.organisation_id()],
        )
        .await?;
    rows.iter().map(template_from_row).collect()
}

pub async fn update_template(tx: &mut Tx, id: i64, p: &NewPage, by: &str, now: i64) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE page_template SET title = $1, category = $2, content = $3, position = $4, updated_by = $5, \
         updated_at = $6 WHERE id = $7",
        args![p.title.as_str(), p.category.as_str(), p.content.as_str(), p.order, by, now, id],
    )
    .await?;
    Ok(())
}

pub async fn delete_template(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM page_template WHERE id = $1", args![id]).await?;
    Ok(())
}
