//! Case templates (spec §1.10): owned by one organisation and visible to it alone, with
//! their tasks (`case_template_task`), tags, custom field values (`custom_field_value`
//! owner kind `case_template`) and linked page templates.

use super::db::{Row, Tx, Value};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use super::tasks::NewTask;
use crate::args;

#[derive(Debug, Clone)]
pub struct CaseTemplate {
    pub id: i64,
    pub organisation_id: i64,
    pub name: String,
    pub display_name: String,
    pub title_prefix: Option<String>,
    pub description: Option<String>,
    pub severity: Option<i64>,
    pub tlp: Option<i64>,
    pub pap: Option<i64>,
    pub tags: Vec<String>,
    pub flag: bool,
    pub summary: Option<String>,
    pub meta: Meta,
}

fn select() -> String {
    format!(
        "SELECT id, organisation_id, name, display_name, title_prefix, description, severity, tlp, pap, tags, flag, \
         summary, {META_COLUMNS} FROM case_template"
    )
}

fn from_row(row: &Row) -> Result<CaseTemplate, StorageError> {
    Ok(CaseTemplate {
        id: row.get("id")?,
        organisation_id: row.get("organisation_id")?,
        name: row.get("name")?,
        display_name: row.get("display_name")?,
        title_prefix: row.get("title_prefix")?,
        description: row.get("description")?,
        severity: row.get("severity")?,
        tlp: row.get("tlp")?,
        pap: row.get("pap")?,
        tags: super::cases::decode_tags(row, "tags")?,
        flag: row.get("flag")?,
        summary: row.get("summary")?,
        meta: Meta::from_row(row)?,
    })
}

/// The scalar fields of a template (tasks, custom fields and pages are written separately).
#[derive(Debug, Clone, Default)]
pub struct TemplateFields {
    pub name: String,
    pub display_name: String,
    pub title_prefix: Option<String>,
    pub description: Option<String>,
    pub severity: Option<i64>,
    pub tlp: Option<i64>,
    pub pap: Option<i64>,
    pub tags: Vec<String>,
    pub flag: bool,
    pub summary: Option<String>,
}

/// Inserts a template; a duplicate name in the organisation violates `case_template_name_key`.
pub async fn insert(
    tx: &mut Tx,
    organisation_id: i64,
    t: &TemplateFields,
    by: &str,
    now: i64,
) -> Result<i64, StorageError> {
    let id = tx
        .fetch_i64(
            "INSERT INTO case_template (organisation_id, name, display_name, title_prefix, description, severity, tlp, \
             pap, tags, flag, summary, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            args![
                organisation_id,
                t.name.as_str(),
                t.display_name.as_str(),
                t.title_prefix.clone(),
                t.description.clone(),
                t.severity,
                t.tlp,
                t.pap,
                super::cases::encode_tags(&t.tags),
                t.flag,
                t.summary.clone(),
                by,
                now
            ],
        )
        .await?;
    write_tags(tx, id, &t.tags).await?;
    Ok(id)
}

async fn write_tags(tx: &mut Tx, id: i64, tags: &[String]) -> Result<(), StorageError> {
    tx.execute("DELETE FROM case_template_tag WHERE case_template_id = $1", args![id]).await?;
    for t in tags {
        tx.execute(
            "INSERT INTO case_template_tag (case_template_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            args![id, t.as_str()],
        )
        .await?;
    }
    Ok(())
}

/// Replaces every scalar field.
pub async fn update(tx: &mut Tx, id: i64, t: &TemplateFields, by: &str, now: i64) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE case_template SET name = $1, display_name = $2, title_prefix = $3, description = $4, severity = $5, \
         tlp = $6, pap = $7, tags = $8, flag = $9, summary = $10, updated_by = $11, updated_at = $12 WHERE id = $13",
        args![
            t.name.as_str(),
            t.display_name.as_str(),
            t.title_prefix.clone(),
            t.description.clone(),
            t.severity,
            t.tlp,
            t.pap,
            super::cases::encode_tags(&t.tags),
            t.flag,
            t.summary.clone(),
            by,
            now,
            id
        ],
    )
    .await?;
    write_tags(tx, id, &t.tags).await
}

/// A template of the caller's organisation, by `~id` or name.
pub async fn find(tx: &mut Tx, scope: &Scope, id_or_name: &str) -> Result<Option<CaseTemplate>, StorageError> {
    let (cond, key): (&str, Value) = match crate::ids::parse_id(id_or_name) {
        Some(id) => ("id = $1", id.into()),
        None => ("name = $1", id_or_name.into()),
    };
    let row = tx
        .fetch_optional(
            &format!("{} WHERE {cond} AND {}", select(), super::visibility::owned_by_organisation("case_template", 2)),
            vec![key, scope.organisation_id().into()],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}

pub async fn list(tx: &mut Tx, scope: &Scope) -> Result<Vec<CaseTemplate>, StorageError> {
    let rows = tx
        .fetch_all(
            &format!(
                "{} WHERE {} ORDER BY name",
                select(),
                super::visibility::owned_by_organisation("case_template", 1)
            ),
            args![scope.organisation_id()],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM custom_field_value WHERE owner_kind = 'case_template' AND owner_id = $1", args![id])
        .await?;
    tx.execute("DELETE FROM case_template WHERE id = $1", args![id]).await?;
    Ok(())
}

/// A task of a template, with its id (rendered like a task).
#[derive(Debug, Clone)]
pub struct TemplateTask {
    pub id: i64,
    pub task: NewTask,
    pub meta: Meta,
}

pub async fn tasks(tx: &mut Tx, template_id: i64) -> Result<Vec<TemplateTask>, StorageError> {
    let rows = tx
        .fetch_all(
            &format!(
                "SELECT id, title, group_name, description, status, flag, start_date, end_date, due_date, assignee, \
                 position, mandatory, {META_COLUMNS} FROM case_template_task WHERE case_template_id = $1 \
                 ORDER BY position, id"
            ),
            args![template_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TemplateTask {
                id: r.get("id")?,
                task: NewTask {
                    title: r.get("title")?,
                    group: r.get("group_name")?,
                    description: r.get("description")?,
                    status: r.get("status")?,
                    flag: r.get("flag")?,
                    start_date: r.get("start_date")?,
                    end_date: r.get("end_date")?,
                    due_date: r.get("due_date")?,
                    assignee: r.get("assignee")?,
                    order: r.get("position")?,
                    mandatory: r.get("mandatory")?,
                },
                meta: Meta::from_row(r)?,
            })
        })
        .collect()
}

/// Replaces the template's tasks.
pub async fn set_tasks(
    tx: &mut Tx,
    template_id: i64,
    tasks: &[NewTask],
    by: &str,
    now: i64,
) -> Result<(), StorageError> {
    tx.execute("DELETE FROM case_template_task WHERE case_template_id = $1", args![template_id]).await?;
    for t in tasks {
        tx.execute(
            "INSERT INTO case_template_task (case_template_id, title, group_name, description, status, flag, start_date, \
             end_date, due_date, assignee, position, mandatory, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            args![
                template_id,
                t.title.as_str(),
                t.group.as_str(),
                t.description.clone(),
                t.status.as_str(),
                t.flag,
                t.start_date,
                t.end_date,
                t.due_date,
                t.assignee.clone(),
                t.order,
                t.mandatory,
                by,
                now
            ],
        )
        .await?;
    }
    Ok(())
}

/// The page templates linked to a template.
pub async fn page_template_ids(tx: &mut Tx, template_id: i64) -> Result<Vec<i64>, StorageError> {
    let rows = tx
        .fetch_all(
            "SELECT page_template_id FROM case_template_page_template WHERE case_template_id = $1 \
             ORDER BY page_template_id",
            args![template_id],
        )
        .await?;
    rows.iter().map(|r| r.get::<i64>("page_template_id")).collect()
}

pub async fn set_page_templates(tx: &mut Tx, template_id: i64, ids: &[i64]) -> Result<(), StorageError> {
    tx.execute("DELETE FROM case_template_page_template WHERE case_template_id = $1", args![template_id]).await?;
    for id in ids {
        tx.execute(
            "INSERT INTO case_template_page_template (case_template_id, page_template_id) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
            args![template_id, *id],
        )
        .await?;
    }
    Ok(())
}
