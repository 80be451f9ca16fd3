//! Cases (spec §1.3), their tags, their global number and the shares that make them
//! visible (§1.15). Reads take a `Scope`: a case exists for a caller only if the caller's
//! organisation has a share on it (`visibility::case`).

use super::db::{Row, Tx, Value};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use super::scope::Scope;
use super::visibility;
use crate::args;

#[derive(Debug, Clone)]
pub struct Case {
    pub id: i64,
    pub number: i64,
    pub organisation_id: i64,
    pub title: String,
    pub description: String,
    pub severity: i64,
    pub tlp: i64,
    pub pap: i64,
    pub start_date: i64,
    pub end_date: Option<i64>,
    pub flag: bool,
    pub status: String,
    pub stage: String,
    pub resolution_status: Option<String>,
    pub impact_status: Option<String>,
    pub summary: Option<String>,
    pub assignee: Option<String>,
    pub case_template_id: Option<i64>,
    pub case_template: Option<String>,
    pub tags: Vec<String>,
    pub task_rule: Option<String>,
    pub observable_rule: Option<String>,
    pub access_restricted: bool,
    pub new_date: Option<i64>,
    pub in_progress_date: Option<i64>,
    pub closed_date: Option<i64>,
    pub meta: Meta,
}

const COLUMNS: &str = "c.id, c.number, c.organisation_id, c.title, c.description, c.severity, c.tlp, c.pap, \
     c.start_date, c.end_date, c.flag, c.status, c.stage, c.resolution_status, c.impact_status, c.summary, \
     c.assignee, c.case_template_id, c.case_template, c.tags, c.task_rule, c.observable_rule, \
     c.access_restricted, c.new_date, c.in_progress_date, c.closed_date";

fn select() -> String {
    let meta = META_COLUMNS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ");
    format!("SELECT {COLUMNS}, {meta} FROM cases c")
}

pub(crate) fn decode_tags(row: &Row, col: &str) -> Result<Vec<String>, StorageError> {
    let text: String = row.get(col)?;
    serde_json::from_str(&text).map_err(|e| StorageError::Corrupt(format!("{col}: {e}")))
}

pub(crate) fn encode_tags(tags: &[String]) -> String {
    serde_json::Value::from(tags.to_vec()).to_string()
}

fn from_row(row: &Row) -> Result<Case, StorageError> {
    Ok(Case {
        id: row.get("id")?,
        number: row.get("number")?,
        organisation_id: row.get("organisation_id")?,
        title: row.get("title")?,
        description: row.get("description")?,
        severity: row.get("severity")?,
        tlp: row.get("tlp")?,
        pap: row.get("pap")?,
        start_date: row.get("start_date")?,
        end_date: row.get("end_date")?,
        flag: row.get("flag")?,
        status: row.get("status")?,
        stage: row.get("stage")?,
        resolution_status: row.get("resolution_status")?,
        impact_status: row.get("impact_status")?,
        summary: row.get("summary")?,
        assignee: row.get("assignee")?,
        case_template_id: row.get("case_template_id")?,
        case_template: row.get("case_template")?,
        tags: decode_tags(row, "tags")?,
        task_rule: row.get("task_rule")?,
        observable_rule: row.get("observable_rule")?,
        access_restricted: row.get("access_restricted")?,
        new_date: row.get("new_date")?,
        in_progress_date: row.get("in_progress_date")?,
        closed_date: row.get("closed_date")?,
        meta: Meta::from_row(row)?,
    })
}

/// The next case number. One row per counter, incremented in the caller's transaction: the
/// row lock serialises concurrent creations on PostgreSQL (SQLite has one writer anyway),
/// and a rolled-back creation gives its number back without ever having shown it. Unlike
/// `MAX(number) + 1`, deleting the newest case never makes its number come back.
pub async fn next_number(tx: &mut Tx) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO sequence_counter (name, value) VALUES ('case_number', 1) \
         ON CONFLICT (name) DO UPDATE SET value = sequence_counter.value + 1 RETURNING value",
        args![],
    )
    .await
}

pub struct NewCase<'a> {
    pub number: i64,
    pub organisation_id: i64,
    pub title: &'a str,
    pub description: &'a str,
    pub severity: i64,
    pub tlp: i64,
    pub pap: i64,
    pub start_date: i64,
    pub end_date: Option<i64>,
    pub flag: bool,
    pub status: &'a str,
    pub stage: &'a str,
    pub resolution_status: Option<&'a str>,
    pub impact_status: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub assignee: Option<&'a str>,
    pub case_template_id: Option<i64>,
    pub case_template: Option<&'a str>,
    pub tags: &'a [String],
    pub task_rule: Option<&'a str>,
    pub observable_rule: Option<&'a str>,
    pub in_progress_date: Option<i64>,
    pub closed_date: Option<i64>,
}

pub async fn insert(tx: &mut Tx, c: &NewCase<'_>, by: &str, now: i64) -> Result<i64, StorageError> {
    let id = tx
        .fetch_i64(
            "INSERT INTO cases (number, organisation_id, title, description, severity, tlp, pap, start_date, end_date, \
             flag, status, stage, resolution_status, impact_status, summary, assignee, case_template_id, case_template, \
             tags, task_rule, observable_rule, new_date, in_progress_date, closed_date, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, \
             $22, $23, $24, $25, $26) RETURNING id",
            args![
                c.number,
                c.organisation_id,
                c.title,
                c.description,
                c.severity,
                c.tlp,
                c.pap,
                c.start_date,
                c.end_date,
                c.flag,
                c.status,
                c.stage,
                c.resolution_status,
                c.impact_status,
                c.summary,
                c.assignee,
                c.case_template_id,
                c.case_template,
                encode_tags(c.tags),
                c.task_rule,
                c.observable_rule,
                now,
                c.in_progress_date,
                c.closed_date,
                by,
                now
            ],
        )
        .await?;
    write_tag_index(tx, id, c.tags).await?;
    Ok(id)
}

async fn write_tag_index(tx: &mut Tx, case_id: i64, tags: &[String]) -> Result<(), StorageError> {
    tx.execute("DELETE FROM case_tag WHERE case_id = $1", args![case_id]).await?;
    for t in tags {
        tx.execute("INSERT INTO case_tag (case_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING", args![case_id, t])
            .await?;
    }
    Ok(())
}

/// A case visible to `scope`, by `~id` or by number (`"42"`). Anything else is not found.
pub async fn find(tx: &mut Tx, scope: &Scope, id_or_number: &str) -> Result<Option<Case>, StorageError> {
    let (col, key) = match crate::ids::parse_id(id_or_number) {
        Some(id) => ("c.id", id),
        None => match id_or_number.trim().trim_start_matches('#').parse::<i64>() {
            Ok(n) => ("c.number", n),
            Err(_) => return Ok(None),
        },
    };
    let sql = format!("{} WHERE {col} = $1 AND {}", select(), visibility::case("c", 2));
    let row = tx.fetch_optional(&sql, args![key, scope.organisation_id()]).await?;
    row.as_ref().map(from_row).transpose()
}

/// A case visible to `scope`, by internal id.
pub async fn get(tx: &mut Tx, scope: &Scope, id: i64) -> Result<Option<Case>, StorageError> {
    find(tx, scope, &crate::ids::render_id(id)).await
}

/// The cases among `ids` visible to `scope`, in one statement (any order; missing ids are
/// skipped). The query DSL hydrates a page with it instead of one `get` per case.
pub async fn get_many(tx: &mut Tx, scope: &Scope, ids: &[i64]) -> Result<Vec<Case>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = (2..ids.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!("{} WHERE c.id IN ({list}) AND {}", select(), visibility::case("c", 1));
    let mut binds = args![scope.organisation_id()];
    binds.extend(ids.iter().map(|id| Value::from(*id)));
    let rows = tx.fetch_all(&sql, binds).await?;
    rows.iter().map(from_row).collect()
}

/// Visible cases, newest first (the query DSL has the general list; this serves the plain
/// `GET` listing and tests).
pub async fn list(tx: &mut Tx, scope: &Scope, limit: i64) -> Result<Vec<Case>, StorageError> {
    let sql = format!("{} WHERE {} ORDER BY c.id DESC LIMIT $2", select(), visibility::case("c", 1));
    let rows = tx.fetch_all(&sql, args![scope.organisation_id(), limit]).await?;
    rows.iter().map(from_row).collect()
}

/// Changed fields of a case. `None` leaves a field alone; `Some(None)` clears a nullable one.
#[derive(Debug, Default, Clone)]
pub struct CaseUpdate {
    pub title: Option<String>,
    pub description: Option<String>,
    pub severity: Option<i64>,
    pub tlp: Option<i64>,
    pub pap: Option<i64>,
    pub start_date: Option<i64>,
    pub end_date: Option<Option<i64>>,
    pub flag: Option<bool>,
    pub status: Option<String>,
    pub stage: Option<String>,
    pub resolution_status: Option<Option<String>>,
    pub impact_status: Option<Option<String>>,
    pub summary: Option<Option<String>>,
    pub assignee: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub task_rule: Option<Option<String>>,
    pub observable_rule: Option<Option<String>>,
    pub in_progress_date: Option<Option<i64>>,
    pub closed_date: Option<Option<i64>>,
}

fn set_nullable<T: Clone + Into<Value>>(sets: &mut Vec<String>, vals: &mut Vec<Value>, col: &str, v: &Option<Option<T>>)
where
    Option<T>: Into<Value>,
{
    if let Some(v) = v {
        vals.push(v.clone().into());
        sets.push(format!("{col} = ${}", vals.len()));
    }
}

fn set<T: Clone + Into<Value>>(sets: &mut Vec<String>, vals: &mut Vec<Value>, col: &str, v: &Option<T>) {
    if let Some(v) = v {
        vals.push(v.clone().into());
        sets.push(format!("{col} = ${}", vals.len()));
    }
}

pub async fn update(tx: &mut Tx, id: i64, u: &CaseUpdate, by: &str, now: i64) -> Result<(), StorageError> {
    let mut sets = Vec::new();
    let mut vals: Vec<Value> = Vec::new();
    set(&mut sets, &mut vals, "title", &u.title);
    set(&mut sets, &mut vals, "description", &u.description);
    set(&mut sets, &mut vals, "severity", &u.severity);
    set(&mut sets, &mut vals, "tlp", &u.tlp);
    set(&mut sets, &mut vals, "pap", &u.pap);
    set(&mut sets, &mut vals, "start_date", &u.start_date);
    set_nullable(&mut sets, &mut vals, "end_date", &u.end_date);
    set(&mut sets, &mut vals, "flag", &u.flag);
    set(&mut sets, &mut vals, "status", &u.status);
    set(&mut sets, &mut vals, "stage", &u.stage);
    set_nullable(&mut sets, &mut vals, "resolution_status", &u.resolution_status);
    set_nullable(&mut sets, &mut vals, "impact_status", &u.impact_status);
    set_nullable(&mut sets, &mut vals, "summary", &u.summary);
    set_nullable(&mut sets, &mut vals, "assignee", &u.assignee);
    set(&mut sets, &mut vals, "tags", &u.tags.as_deref().map(encode_tags));
    set_nullable(&mut sets, &mut vals, "task_rule", &u.task_rule);
    set_nullable(&mut sets, &mut vals, "observable_rule", &u.observable_rule);
    set_nullable(&mut sets, &mut vals, "in_progress_date", &u.in_progress_date);
    set_nullable(&mut sets, &mut vals, "closed_date", &u.closed_date);
    vals.push(by.into());
    sets.push(format!("updated_by = ${}", vals.len()));
    vals.push(now.into());
    sets.push(format!("updated_at = ${}", vals.len()));
    vals.push(id.into());
    let sql = format!("UPDATE cases SET {} WHERE id = ${}", sets.join(", "), vals.len());
    tx.execute(&sql, vals).await?;
    if let Some(tags) = &u.tags {
        write_tag_index(tx, id, tags).await?;
    }
    Ok(())
}

/// Marks the case as updated (a child changed) without touching its fields.
pub async fn touch(tx: &mut Tx, id: i64, by: &str, now: i64) -> Result<(), StorageError> {
    tx.execute("UPDATE cases SET updated_by = $1, updated_at = $2 WHERE id = $3", args![by, now, id]).await?;
    Ok(())
}

/// Deletes a case and everything it owns. Child tables cascade through their foreign keys;
/// custom field values and Cortex actions have no FK (they point at several owner kinds),
/// so they are removed here, in the same transaction, and attachment content that nothing
/// uses any more is collected.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    let mut used = super::attachments::ids_used_by(
        tx,
        "u.case_id = $1 OR u.log_id IN (SELECT l.id FROM log l JOIN task t ON t.id = l.task_id WHERE t.case_id = $1)",
        id,
    )
    .await?;
    let rows = tx
        .fetch_all(
            "SELECT DISTINCT attachment_id FROM observable WHERE case_id = $1 AND attachment_id IS NOT NULL",
            args![id],
        )
        .await?;
    for r in rows {
        used.push(r.get::<i64>("attachment_id")?);
    }
    tx.execute("DELETE FROM custom_field_value WHERE owner_kind = 'case' AND owner_id = $1", args![id]).await?;
    tx.execute(
        "DELETE FROM cortex_action WHERE (object_kind = 'case' AND object_id = $1) \
         OR (object_kind = 'task' AND object_id IN (SELECT id FROM task WHERE case_id = $1)) \
         OR (object_kind = 'log' AND object_id IN (SELECT l.id FROM log l JOIN task t ON t.id = l.task_id WHERE t.case_id = $1)) \
         OR (object_kind = 'observable' AND object_id IN (SELECT id FROM observable WHERE case_id = $1))",
        args![id],
    )
    .await?;
    tx.execute("DELETE FROM cases WHERE id = $1", args![id]).await?;
    super::attachments::collect_garbage(tx, &used).await
}

/// The caller organisation's share of a case: what its profile lets the organisation do.
#[derive(Debug, Clone)]
pub struct ShareGrant {
    pub share_id: i64,
    pub owner: bool,
    pub profile: String,
    pub permissions: Vec<String>,
}

/// Creates a share of `case_id` with an organisation under a profile.
pub async fn insert_share(
    tx: &mut Tx,
    case_id: i64,
    organisation_id: i64,
    profile_id: i64,
    owner: bool,
    by: &str,
    now: i64,
) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO share (case_id, organisation_id, profile_id, owner, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        args![case_id, organisation_id, profile_id, owner, by, now],
    )
    .await
}

/// The share of `scope`'s organisation on `case_id`, with its profile's permissions.
pub async fn share_of(tx: &mut Tx, scope: &Scope, case_id: i64) -> Result<Option<ShareGrant>, StorageError> {
    let row = tx
        .fetch_optional(
            "SELECT s.id, s.owner, p.name, p.permissions FROM share s JOIN profile p ON p.id = s.profile_id \
             WHERE s.case_id = $1 AND s.organisation_id = $2",
            args![case_id, scope.organisation_id()],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let perms: String = row.get("permissions")?;
    Ok(Some(ShareGrant {
        share_id: row.get("id")?,
        owner: row.get("owner")?,
        profile: row.get("name")?,
        permissions: serde_json::from_str(&perms)
            .map_err(|e| StorageError::Corrupt(format!("profile.permissions: {e}")))?,
    }))
}

/// `share_of` for many cases at once: case id → the share of `scope`'s organisation.
pub async fn shares_of(
    tx: &mut Tx,
    scope: &Scope,
    case_ids: &[i64],
) -> Result<std::collections::HashMap<i64, ShareGrant>, StorageError> {
    if case_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let list = (2..case_ids.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT s.case_id, s.id, s.owner, p.name, p.permissions FROM share s JOIN profile p ON p.id = s.profile_id \
         WHERE s.organisation_id = $1 AND s.case_id IN ({list})"
    );
    let mut binds = args![scope.organisation_id()];
    binds.extend(case_ids.iter().map(|id| Value::from(*id)));
    let mut out = std::collections::HashMap::with_capacity(case_ids.len());
    for row in tx.fetch_all(&sql, binds).await? {
        let perms: String = row.get("permissions")?;
        out.insert(
            row.get::<i64>("case_id")?,
            ShareGrant {
                share_id: row.get("id")?,
                owner: row.get("owner")?,
                profile: row.get("name")?,
                permissions: serde_json::from_str(&perms)
                    .map_err(|e| StorageError::Corrupt(format!("profile.permissions: {e}")))?,
            },
        );
    }
    Ok(out)
}

/// True if `login` is a member of the organisation (assignees must be).
pub async fn is_member(tx: &mut Tx, organisation_id: i64, login: &str) -> Result<bool, StorageError> {
    let n = tx
        .fetch_i64(
            "SELECT COUNT(*) FROM role r JOIN app_user u ON u.id = r.user_id \
             WHERE r.organisation_id = $1 AND u.login = $2",
            args![organisation_id, login],
        )
        .await?;
    Ok(n > 0)
}

/// A configured (TheHive 5 admin-defined) case status and its stage, if any.
pub async fn configured_status(tx: &mut Tx, name: &str) -> Result<Option<String>, StorageError> {
    let row = tx.fetch_optional("SELECT stage FROM case_status WHERE name = $1", args![name]).await?;
    row.map(|r| r.get::<String>("stage")).transpose()
}
