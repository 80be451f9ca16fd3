//! Alerts (spec §1.7): one organisation's incoming events, unique per (type, source,
//! sourceRef) in that organisation — enforced by `alert_type_source_ref_key`, so two
//! concurrent creates cannot both succeed.

use super::db::{Row, Statement, Tx, Value};
use super::error::StorageError;
use super::meta::Meta;
use super::observables::json_list;
use super::placeholders::push_row;
use super::scope::Scope;
use super::visibility;
use crate::args;

#[derive(Debug, Clone)]
pub struct Alert {
    pub id: i64,
    pub organisation_id: i64,
    pub alert_type: String,
    pub source: String,
    pub source_ref: String,
    pub external_link: Option<String>,
    pub title: String,
    pub description: String,
    pub severity: i64,
    pub tlp: i64,
    pub pap: i64,
    pub date: i64,
    pub last_sync_date: Option<i64>,
    pub tags: Vec<String>,
    pub flag: bool,
    pub status: String,
    pub stage: String,
    pub read: bool,
    pub follow: bool,
    pub summary: Option<String>,
    pub assignee: Option<String>,
    pub case_template: Option<String>,
    pub case_id: Option<i64>,
    pub imported_at: Option<i64>,
    pub new_date: Option<i64>,
    pub in_progress_date: Option<i64>,
    pub closed_date: Option<i64>,
    pub observable_count: i64,
    pub meta: Meta,
}

const SELECT: &str = "SELECT a.id, a.organisation_id, a.type, a.source, a.source_ref, a.external_link, a.title, \
    a.description, a.severity, a.tlp, a.pap, a.date, a.last_sync_date, a.tags, a.flag, a.status, a.stage, a.read, \
    a.follow, a.summary, a.assignee, a.case_template, a.case_id, a.imported_at, a.new_date, a.in_progress_date, \
    a.closed_date, a.created_by, a.created_at, a.updated_by, a.updated_at, \
    (SELECT COUNT(*) FROM observable o WHERE o.alert_id = a.id) AS observable_count FROM alert a";

fn from_row(row: &Row) -> Result<Alert, StorageError> {
    Ok(Alert {
        id: row.get("id")?,
        organisation_id: row.get("organisation_id")?,
        alert_type: row.get("type")?,
        source: row.get("source")?,
        source_ref: row.get("source_ref")?,
        external_link: row.get("external_link")?,
        title: row.get("title")?,
        description: row.get("description")?,
        severity: row.get("severity")?,
        tlp: row.get("tlp")?,
        pap: row.get("pap")?,
        date: row.get("date")?,
        last_sync_date: row.get("last_sync_date")?,
        tags: json_list(&row.get::<String>("tags")?)?,
        flag: row.get("flag")?,
        status: row.get("status")?,
        stage: row.get("stage")?,
        read: row.get("read")?,
        follow: row.get("follow")?,
        summary: row.get("summary")?,
        assignee: row.get("assignee")?,
        case_template: row.get("case_template")?,
        case_id: row.get("case_id")?,
        imported_at: row.get("imported_at")?,
        new_date: row.get("new_date")?,
        in_progress_date: row.get("in_progress_date")?,
        closed_date: row.get("closed_date")?,
        observable_count: row.get("observable_count")?,
        meta: Meta::from_row(row)?,
    })
}

/// An alert about to be created.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub organisation_id: i64,
    pub alert_type: String,
    pub source: String,
    pub source_ref: String,
    pub external_link: Option<String>,
    pub title: String,
    pub description: String,
    pub severity: i64,
    pub tlp: i64,
    pub pap: i64,
    pub date: i64,
    pub last_sync_date: Option<i64>,
    pub tags: Vec<String>,
    pub flag: bool,
    pub status: String,
    pub stage: String,
    pub follow: bool,
    pub summary: Option<String>,
    pub assignee: Option<String>,
    pub case_template: Option<String>,
}

/// Alerts per multi-row INSERT: 26 binds each.
const INSERT_BATCH: usize = 100;

/// Inserts alerts (each with its author), one statement per 100. An alert whose
/// (organisation, type, source, sourceRef) already exists is not inserted: `None` at its
/// position. The caller passes distinct triples, and writes the tag index rows of the
/// inserted ones with [`tag_statements`].
pub async fn insert_many(tx: &mut Tx, items: &[(&NewAlert, &str)], now: i64) -> Result<Vec<Option<i64>>, StorageError> {
    let mut ids: std::collections::HashMap<(i64, String, String, String), i64> =
        std::collections::HashMap::with_capacity(items.len());
    for chunk in items.chunks(INSERT_BATCH) {
        let mut sql = String::from(
            "INSERT INTO alert (organisation_id, type, source, source_ref, external_link, title, description, severity, \
             tlp, pap, date, last_sync_date, tags, flag, status, stage, read, follow, summary, assignee, case_template, \
             new_date, in_progress_date, closed_date, created_by, created_at) VALUES ",
        );
        let mut binds: Vec<Value> = Vec::with_capacity(chunk.len() * 26);
        for (i, (a, by)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            push_row(&mut sql, binds.len(), 26);
            binds.extend(args![
                a.organisation_id,
                a.alert_type.as_str(),
                a.source.as_str(),
                a.source_ref.as_str(),
                a.external_link.clone(),
                a.title.as_str(),
                a.description.as_str(),
                a.severity,
                a.tlp,
                a.pap,
                a.date,
                a.last_sync_date,
                serde_json::to_string(&a.tags).unwrap_or_else(|_| "[]".into()),
                a.flag,
                a.status.as_str(),
                a.stage.as_str(),
                false,
                a.follow,
                a.summary.clone(),
                a.assignee.clone(),
                a.case_template.clone(),
                now,
                (a.stage == "InProgress").then_some(now),
                (a.stage == "Closed").then_some(now),
                *by,
                now
            ]);
        }
        // A duplicate triple is skipped, not an error, so one duplicate does not fail the
        // others of a batch. RETURNING order is unspecified: match rows back by the triple.
        sql.push_str(" ON CONFLICT DO NOTHING RETURNING id, organisation_id, type, source, source_ref");
        for row in tx.fetch_all(&sql, binds).await? {
            let key = (row.get("organisation_id")?, row.get("type")?, row.get("source")?, row.get("source_ref")?);
            ids.insert(key, row.get("id")?);
        }
    }
    let out: Vec<Option<i64>> = items
        .iter()
        .map(|(a, _)| {
            ids.get(&(a.organisation_id, a.alert_type.clone(), a.source.clone(), a.source_ref.clone())).copied()
        })
        .collect();
    Ok(out)
}

async fn insert_tags(tx: &mut Tx, rows: &[(i64, &str)]) -> Result<(), StorageError> {
    tx.execute_all(tag_statements(rows)).await
}

/// The statements that write the tag index rows `(alert id, tag)`.
pub fn tag_statements(rows: &[(i64, &str)]) -> Vec<Statement> {
    let mut out = Vec::new();
    for chunk in rows.chunks(500) {
        let mut sql = String::from("INSERT INTO alert_tag (alert_id, tag) VALUES ");
        let mut binds: Vec<Value> = Vec::with_capacity(chunk.len() * 2);
        for (i, (id, t)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            push_row(&mut sql, binds.len(), 2);
            binds.extend(args![*id, *t]);
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        out.push(Statement::new(sql, binds));
    }
    out
}

/// A visible alert by `~id` or by its name `type;source;sourceRef` (spec §0.3).
pub async fn find(tx: &mut Tx, scope: &Scope, id_or_name: &str) -> Result<Option<Alert>, StorageError> {
    let vis = visibility::alert("a", 1);
    let row = match crate::ids::parse_id(id_or_name) {
        Some(id) => {
            tx.fetch_optional(&format!("{SELECT} WHERE {vis} AND a.id = $2"), args![scope.organisation_id(), id])
                .await?
        }
        None => {
            let mut parts = id_or_name.splitn(3, ';');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(t), Some(s), Some(r)) => {
                    tx.fetch_optional(
                        &format!("{SELECT} WHERE {vis} AND a.type = $2 AND a.source = $3 AND a.source_ref = $4"),
                        args![scope.organisation_id(), t, s, r],
                    )
                    .await?
                }
                _ => None,
            }
        }
    };
    row.as_ref().map(from_row).transpose()
}

/// The alerts among `ids` visible to `scope`, in one statement (any order; missing ids are
/// skipped), for hydrating a query page.
pub async fn get_many(tx: &mut Tx, scope: &Scope, ids: &[i64]) -> Result<Vec<Alert>, StorageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = (2..ids.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!("{SELECT} WHERE {} AND a.id IN ({list})", visibility::alert("a", 1));
    let mut binds = args![scope.organisation_id()];
    binds.extend(ids.iter().map(|id| Value::from(*id)));
    let rows = tx.fetch_all(&sql, binds).await?;
    rows.iter().map(from_row).collect()
}

/// Visible alerts imported into a case (for unlink and merge listings).
pub async fn list_by_case(tx: &mut Tx, scope: &Scope, case_id: i64) -> Result<Vec<Alert>, StorageError> {
    let rows = tx
        .fetch_all(
            &format!("{SELECT} WHERE {} AND a.case_id = $2 ORDER BY a.id", visibility::alert("a", 1)),
            args![scope.organisation_id(), case_id],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

/// The stage of a configured alert status, if the status exists.
pub async fn status_stage(tx: &mut Tx, status: &str) -> Result<Option<String>, StorageError> {
    let row = tx.fetch_optional("SELECT stage FROM alert_status WHERE name = $1", args![status]).await?;
    row.map(|r| r.get("stage")).transpose()
}

/// True if the organisation has a case template with this name (or `~id`).
pub async fn case_template_exists(tx: &mut Tx, scope: &Scope, name: &str) -> Result<bool, StorageError> {
    let n = match crate::ids::parse_id(name) {
        Some(id) => {
            tx.fetch_i64(
                "SELECT COUNT(*) FROM case_template WHERE organisation_id = $1 AND id = $2",
                args![scope.organisation_id(), id],
            )
            .await?
        }
        None => {
            tx.fetch_i64(
                "SELECT COUNT(*) FROM case_template WHERE organisation_id = $1 AND name = $2",
                args![scope.organisation_id(), name],
            )
            .await?
        }
    };
    Ok(n > 0)
}

/// True if `login` is a member of the organisation (assignees must be).
pub async fn is_member(tx: &mut Tx, scope: &Scope, login: &str) -> Result<bool, StorageError> {
    let n = tx
        .fetch_i64(
            "SELECT COUNT(*) FROM role r JOIN app_user u ON u.id = r.user_id WHERE r.organisation_id = $1 AND u.login = $2",
            args![scope.organisation_id(), login],
        )
        .await?;
    Ok(n > 0)
}

/// Fields a PATCH may change; `None` = unchanged, `Some(None)` = cleared.
#[derive(Debug, Default, Clone)]
pub struct AlertUpdate {
    pub alert_type: Option<String>,
    pub source: Option<String>,
    pub source_ref: Option<String>,
    pub external_link: Option<Option<String>>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub severity: Option<i64>,
    pub tlp: Option<i64>,
    pub pap: Option<i64>,
    pub date: Option<i64>,
    pub last_sync_date: Option<Option<i64>>,
    pub tags: Option<Vec<String>>,
    pub flag: Option<bool>,
    pub status: Option<String>,
    pub stage: Option<String>,
    pub read: Option<bool>,
    pub follow: Option<bool>,
    pub summary: Option<Option<String>>,
    pub assignee: Option<Option<String>>,
    pub case_template: Option<Option<String>>,
    pub case_id: Option<Option<i64>>,
    pub imported_at: Option<Option<i64>>,
    pub in_progress_date: Option<i64>,
    pub closed_date: Option<Option<i64>>,
}

pub async fn update(tx: &mut Tx, id: i64, u: &AlertUpdate, by: &str, now: i64) -> Result<(), StorageError> {
    let mut sets: Vec<String> = Vec::new();
    let mut binds: Vec<Value> = Vec::new();
    macro_rules! set {
        ($col:expr, $v:expr) => {{
            binds.push(Value::from($v));
            sets.push(format!("{} = ${}", $col, binds.len()));
        }};
    }
    if let Some(v) = &u.alert_type {
        set!("type", v.as_str());
    }
    if let Some(v) = &u.source {
        set!("source", v.as_str());
    }
    if let Some(v) = &u.source_ref {
        set!("source_ref", v.as_str());
    }
    if let Some(v) = &u.external_link {
        set!("external_link", v.clone());
    }
    if let Some(v) = &u.title {
        set!("title", v.as_str());
    }
    if let Some(v) = &u.description {
        set!("description", v.as_str());
    }
    if let Some(v) = u.severity {
        set!("severity", v);
    }
    if let Some(v) = u.tlp {
        set!("tlp", v);
    }
    if let Some(v) = u.pap {
        set!("pap", v);
    }
    if let Some(v) = u.date {
        set!("date", v);
    }
    if let Some(v) = u.last_sync_date {
        set!("last_sync_date", v);
    }
    if let Some(v) = &u.tags {
        set!("tags", serde_json::to_string(v).unwrap_or_else(|_| "[]".into()));
    }
    if let Some(v) = u.flag {
        set!("flag", v);
    }
    if let Some(v) = &u.status {
        set!("status", v.as_str());
    }
    if let Some(v) = &u.stage {
        set!("stage", v.as_str());
    }
    if let Some(v) = u.read {
        set!("read", v);
    }
    if let Some(v) = u.follow {
        set!("follow", v);
    }
    if let Some(v) = &u.summary {
        set!("summary", v.clone());
    }
    if let Some(v) = &u.assignee {
        set!("assignee", v.clone());
    }
    if let Some(v) = &u.case_template {
        set!("case_template", v.clone());
    }
    if let Some(v) = u.case_id {
        set!("case_id", v);
    }
    if let Some(v) = u.imported_at {
        set!("imported_at", v);
    }
    if let Some(v) = u.in_progress_date {
        set!("in_progress_date", v);
    }
    if let Some(v) = u.closed_date {
        set!("closed_date", v);
    }
    set!("updated_by", by);
    set!("updated_at", now);
    binds.push(Value::from(id));
    let sql = format!("UPDATE alert SET {} WHERE id = ${}", sets.join(", "), binds.len());
    tx.execute(&sql, binds).await?;
    if let Some(tags) = &u.tags {
        tx.execute("DELETE FROM alert_tag WHERE alert_id = $1", args![id]).await?;
        let rows: Vec<(i64, &str)> = tags.iter().map(|t| (id, t.as_str())).collect();
        insert_tags(tx, &rows).await?;
    }
    Ok(())
}

/// Marks the alert updated (a child changed).
pub async fn touch(tx: &mut Tx, id: i64, by: &str, now: i64) -> Result<(), StorageError> {
    tx.execute("UPDATE alert SET updated_by = $1, updated_at = $2 WHERE id = $3", args![by, now, id]).await?;
    Ok(())
}

/// Deletes the alert; observables, tags, comments, procedures and attachment uses cascade.
/// Returns the attachment ids its observables and uses held, for garbage collection.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<Vec<i64>, StorageError> {
    let rows = tx
        .fetch_all(
            "SELECT attachment_id FROM observable WHERE alert_id = $1 AND attachment_id IS NOT NULL \
             UNION SELECT attachment_id FROM attachment_usage WHERE alert_id = $1",
            args![id],
        )
        .await?;
    let atts = rows.iter().map(|r| r.get::<i64>("attachment_id")).collect::<Result<Vec<_>, _>>()?;
    tx.execute("DELETE FROM custom_field_value WHERE owner_kind = 'alert' AND owner_id = $1", args![id]).await?;
    tx.execute("DELETE FROM alert WHERE id = $1", args![id]).await?;
    Ok(atts)
}

// ----------------------------------------------------------------------------------------
// Merge records (what a merge brought into its case, so that unmerge can take it back)
// ----------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct MergeRecord {
    pub id: i64,
    pub alert_id: i64,
    pub case_id: i64,
    pub previous_status: String,
    pub previous_stage: String,
    pub description_block: String,
    pub added_tags: Vec<String>,
}

pub struct NewMergeRecord<'a> {
    pub alert_id: i64,
    pub case_id: i64,
    pub previous_status: &'a str,
    pub previous_stage: &'a str,
    pub description_block: &'a str,
    pub added_tags: &'a [String],
}

pub async fn insert_merge(tx: &mut Tx, m: &NewMergeRecord<'_>, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO alert_merge (alert_id, case_id, previous_status, previous_stage, description_block, added_tags, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        args![
            m.alert_id,
            m.case_id,
            m.previous_status,
            m.previous_stage,
            m.description_block,
            serde_json::to_string(m.added_tags).unwrap_or_else(|_| "[]".into()),
            by,
            now
        ],
    )
    .await
}

pub async fn merge_record(tx: &mut Tx, alert_id: i64) -> Result<Option<MergeRecord>, StorageError> {
    let row = tx
        .fetch_optional(
            "SELECT id, alert_id, case_id, previous_status, previous_stage, description_block, added_tags \
             FROM alert_merge WHERE alert_id = $1",
            args![alert_id],
        )
        .await?;
    match row {
        Some(r) => Ok(Some(MergeRecord {
            id: r.get("id")?,
            alert_id: r.get("alert_id")?,
            case_id: r.get("case_id")?,
            previous_status: r.get("previous_status")?,
            previous_stage: r.get("previous_stage")?,
            description_block: r.get("description_block")?,
            added_tags: json_list(&r.get::<String>("added_tags")?)?,
        })),
        None => Ok(None),
    }
}

pub async fn delete_merge(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM alert_merge WHERE id = $1", args![id]).await?;
    Ok(())
}

/// Records that a merge created (`created`) or only tagged an observable of the case.
pub async fn record_merge_observable(
    tx: &mut Tx,
    merge_id: i64,
    observable_id: i64,
    created: bool,
    added_tags: &[String],
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO alert_merge_observable (alert_merge_id, observable_id, created, added_tags) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
        args![merge_id, observable_id, created, serde_json::to_string(added_tags).unwrap_or_else(|_| "[]".into())],
    )
    .await?;
    Ok(())
}

/// (observable id, created, added tags) of one merge.
pub async fn merge_observables(tx: &mut Tx, merge_id: i64) -> Result<Vec<(i64, bool, Vec<String>)>, StorageError> {
    let rows = tx
        .fetch_all(
            "SELECT observable_id, created, added_tags FROM alert_merge_observable WHERE alert_merge_id = $1",
            args![merge_id],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.get("observable_id")?, r.get("created")?, json_list(&r.get::<String>("added_tags")?)?)))
        .collect()
}

/// Another merge that also brought `observable_id` (it takes over ownership on unmerge).
pub async fn other_merge_of_observable(
    tx: &mut Tx,
    merge_id: i64,
    observable_id: i64,
) -> Result<Option<i64>, StorageError> {
    let row = tx
        .fetch_optional(
            "SELECT alert_merge_id FROM alert_merge_observable WHERE observable_id = $1 AND alert_merge_id <> $2 \
             ORDER BY alert_merge_id LIMIT 1",
            args![observable_id, merge_id],
        )
        .await?;
    row.map(|r| r.get("alert_merge_id")).transpose()
}

pub async fn take_over_observable(tx: &mut Tx, merge_id: i64, observable_id: i64) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE alert_merge_observable SET created = TRUE WHERE alert_merge_id = $1 AND observable_id = $2",
        args![merge_id, observable_id],
    )
    .await?;
    Ok(())
}

pub async fn record_merge_procedure(tx: &mut Tx, merge_id: i64, procedure_id: i64) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO alert_merge_procedure (alert_merge_id, procedure_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        args![merge_id, procedure_id],
    )
    .await?;
    Ok(())
}

pub async fn merge_procedures(tx: &mut Tx, merge_id: i64) -> Result<Vec<i64>, StorageError> {
    let rows = tx
        .fetch_all("SELECT procedure_id FROM alert_merge_procedure WHERE alert_merge_id = $1", args![merge_id])
        .await?;
    rows.iter().map(|r| r.get("procedure_id")).collect()
}

// ----------------------------------------------------------------------------------------
// Lookup by source (added for the MISP connector: an event's alert is found by its
// (type, source, sourceRef) triple, whatever characters the source contains)
// ----------------------------------------------------------------------------------------

/// The visible alert with exactly this (type, source, sourceRef).
pub async fn find_by_source(
    tx: &mut Tx,
    scope: &Scope,
    alert_type: &str,
    source: &str,
    source_ref: &str,
) -> Result<Option<Alert>, StorageError> {
    let vis = visibility::alert("a", 1);
    let row = tx
        .fetch_optional(
            &format!("{SELECT} WHERE {vis} AND a.type = $2 AND a.source = $3 AND a.source_ref = $4"),
            args![scope.organisation_id(), alert_type, source, source_ref],
        )
        .await?;
    row.as_ref().map(from_row).transpose()
}
