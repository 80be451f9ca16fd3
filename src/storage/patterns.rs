//! MITRE ATT&CK patterns (spec §1.22), global to the platform, and procedures (§1.18): a
//! pattern observed in a case or an alert.

use std::collections::HashMap;

use super::db::{Row, Tx, Value};
use super::error::StorageError;
use super::meta::Meta;
use super::observables::json_list;
use super::scope::Scope;
use super::visibility;
use crate::args;

#[derive(Debug, Clone)]
pub struct Pattern {
    pub id: i64,
    pub mitre_id: String,
    pub name: String,
    pub description: Option<String>,
    pub tactics: Vec<String>,
    pub url: String,
    pub pattern_type: String,
    pub capec_id: Option<String>,
    pub capec_url: Option<String>,
    pub revoked: bool,
    pub data_sources: Vec<String>,
    pub defense_bypassed: Vec<String>,
    pub detection: Option<String>,
    pub permissions_required: Vec<String>,
    pub platforms: Vec<String>,
    pub remote_support: bool,
    pub system_requirements: Vec<String>,
    pub version: Option<String>,
    pub parent_mitre_id: Option<String>,
    pub meta: Meta,
}

const SELECT: &str = "SELECT p.id, p.mitre_id, p.name, p.description, p.tactics, p.url, p.pattern_type, p.capec_id, \
    p.capec_url, p.revoked, p.data_sources, p.defense_bypassed, p.detection, p.permissions_required, p.platforms, \
    p.remote_support, p.system_requirements, p.version, p.created_by, p.created_at, p.updated_by, p.updated_at, \
    pp.mitre_id AS parent_mitre_id FROM pattern p LEFT JOIN pattern pp ON pp.id = p.parent_id";

fn from_row(row: &Row) -> Result<Pattern, StorageError> {
    Ok(Pattern {
        id: row.get("id")?,
        mitre_id: row.get("mitre_id")?,
        name: row.get("name")?,
        description: row.get("description")?,
        tactics: json_list(&row.get::<String>("tactics")?)?,
        url: row.get("url")?,
        pattern_type: row.get("pattern_type")?,
        capec_id: row.get("capec_id")?,
        capec_url: row.get("capec_url")?,
        revoked: row.get("revoked")?,
        data_sources: json_list(&row.get::<String>("data_sources")?)?,
        defense_bypassed: json_list(&row.get::<String>("defense_bypassed")?)?,
        detection: row.get("detection")?,
        permissions_required: json_list(&row.get::<String>("permissions_required")?)?,
        platforms: json_list(&row.get::<String>("platforms")?)?,
        remote_support: row.get("remote_support")?,
        system_requirements: json_list(&row.get::<String>("system_requirements")?)?,
        version: row.get("version")?,
        parent_mitre_id: row.get("parent_mitre_id")?,
        meta: Meta::from_row(row)?,
    })
}

/// A pattern read from a STIX bundle.
#[derive(Debug, Clone, Default)]
pub struct NewPattern {
    pub mitre_id: String,
    pub name: String,
    pub description: Option<String>,
    pub tactics: Vec<String>,
    pub url: String,
    pub capec_id: Option<String>,
    pub capec_url: Option<String>,
    pub revoked: bool,
    pub data_sources: Vec<String>,
    pub defense_bypassed: Vec<String>,
    pub detection: Option<String>,
    pub permissions_required: Vec<String>,
    pub platforms: Vec<String>,
    pub remote_support: bool,
    pub system_requirements: Vec<String>,
    pub version: Option<String>,
}

fn list_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

/// Creates or refreshes a pattern (imports are repeatable: a newer bundle updates).
pub async fn upsert(tx: &mut Tx, p: &NewPattern, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO pattern (mitre_id, name, description, tactics, url, pattern_type, capec_id, capec_url, revoked, \
         data_sources, defense_bypassed, detection, permissions_required, platforms, remote_support, \
         system_requirements, version, created_by, created_at) VALUES ($1, $2, $3, $4, $5, 'attack-pattern', $6, $7, \
         $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT (mitre_id) DO UPDATE SET name = excluded.name, description = excluded.description, \
         tactics = excluded.tactics, url = excluded.url, capec_id = excluded.capec_id, capec_url = excluded.capec_url, \
         revoked = excluded.revoked, data_sources = excluded.data_sources, defense_bypassed = excluded.defense_bypassed, \
         detection = excluded.detection, permissions_required = excluded.permissions_required, \
         platforms = excluded.platforms, remote_support = excluded.remote_support, \
         system_requirements = excluded.system_requirements, version = excluded.version, \
         updated_by = excluded.created_by, updated_at = excluded.created_at RETURNING id",
        args![
            p.mitre_id.as_str(),
            p.name.as_str(),
            p.description.clone(),
            list_json(&p.tactics),
            p.url.as_str(),
            p.capec_id.clone(),
            p.capec_url.clone(),
            p.revoked,
            list_json(&p.data_sources),
            list_json(&p.defense_bypassed),
            p.detection.clone(),
            list_json(&p.permissions_required),
            list_json(&p.platforms),
            p.remote_support,
            list_json(&p.system_requirements),
            p.version.clone(),
            by,
            now
        ],
    )
    .await
}

/// Links sub-technique `child` (e.g. T1059.001) to its technique.
pub async fn set_parent(tx: &mut Tx, child: i64, parent: i64) -> Result<(), StorageError> {
    tx.execute("UPDATE pattern SET parent_id = $1 WHERE id = $2", args![parent, child]).await?;
    Ok(())
}

/// By `~id` or MITRE id.
pub async fn find(tx: &mut Tx, id_or_mitre: &str) -> Result<Option<Pattern>, StorageError> {
    let row = match crate::ids::parse_id(id_or_mitre) {
        Some(id) => tx.fetch_optional(&format!("{SELECT} WHERE p.id = $1"), args![id]).await?,
        None => tx.fetch_optional(&format!("{SELECT} WHERE p.mitre_id = $1"), args![id_or_mitre]).await?,
    };
    row.as_ref().map(from_row).transpose()
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM pattern WHERE id = $1", args![id]).await?;
    Ok(())
}

/// MITRE id → (row id, name, tactics) for the given ids (one query).
pub async fn by_mitre_ids(
    tx: &mut Tx,
    ids: &[String],
) -> Result<HashMap<String, (i64, String, Vec<String>)>, StorageError> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let ph = (1..=ids.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let binds = ids.iter().map(|i| Value::from(i.as_str())).collect();
    let sql = format!("SELECT id, mitre_id, name, tactics FROM pattern WHERE mitre_id IN ({ph})");
    for r in tx.fetch_all(&sql, binds).await? {
        out.insert(r.get("mitre_id")?, (r.get("id")?, r.get("name")?, json_list(&r.get::<String>("tactics")?)?));
    }
    Ok(out)
}

/// Patterns used by the procedures of a case (`GET /pattern/case/{caseId}`).
pub async fn used_by_case(tx: &mut Tx, case_id: i64) -> Result<Vec<Pattern>, StorageError> {
    let rows = tx
        .fetch_all(
            &format!("{SELECT} WHERE EXISTS (SELECT 1 FROM procedure pr WHERE pr.pattern_id = p.id AND pr.case_id = $1) ORDER BY p.mitre_id"),
            args![case_id],
        )
        .await?;
    rows.iter().map(from_row).collect()
}

// ----------------------------------------------------------------------------------------
// Procedures
// ----------------------------------------------------------------------------------------

/// The case or alert a procedure belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcParent {
    Case(i64),
    Alert(i64),
}

#[derive(Debug, Clone)]
pub struct Procedure {
    pub id: i64,
    pub parent: ProcParent,
    pub pattern_id: i64,
    pub mitre_id: String,
    pub pattern_name: String,
    pub occur_date: i64,
    pub tactic: Option<String>,
    pub description: Option<String>,
    pub meta: Meta,
}

const PROC_SELECT: &str = "SELECT pr.id, pr.case_id, pr.alert_id, pr.pattern_id, pr.occur_date, pr.tactic, \
    pr.description, pr.created_by, pr.created_at, pr.updated_by, pr.updated_at, p.mitre_id, p.name AS pattern_name \
    FROM procedure pr JOIN pattern p ON p.id = pr.pattern_id";

fn proc_from_row(row: &Row) -> Result<Procedure, StorageError> {
    let parent = match (row.get::<Option<i64>>("case_id")?, row.get::<Option<i64>>("alert_id")?) {
        (Some(c), _) => ProcParent::Case(c),
        (None, Some(a)) => ProcParent::Alert(a),
        _ => return Err(StorageError::Corrupt("procedure without parent".into())),
    };
    Ok(Procedure {
        id: row.get("id")?,
        parent,
        pattern_id: row.get("pattern_id")?,
        mitre_id: row.get("mitre_id")?,
        pattern_name: row.get("pattern_name")?,
        occur_date: row.get("occur_date")?,
        tactic: row.get("tactic")?,
        description: row.get("description")?,
        meta: Meta::from_row(row)?,
    })
}

#[derive(Debug, Clone)]
pub struct NewProcedure {
    pub pattern_id: i64,
    pub occur_date: i64,
    pub tactic: Option<String>,
    pub description: Option<String>,
}

impl ProcParent {
    fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            ProcParent::Case(c) => (Some(c), None),
            ProcParent::Alert(a) => (None, Some(a)),
        }
    }
}

/// Inserts procedures with one multi-row statement; returns their ids in order.
pub async fn insert_procedures(
    tx: &mut Tx,
    parent: ProcParent,
    items: &[NewProcedure],
    by: &str,
    now: i64,
) -> Result<Vec<i64>, StorageError> {
    let (case_id, alert_id) = parent.ids();
    let mut ids = Vec::with_capacity(items.len());
    // One row per statement keeps RETURNING order trivially right; procedures are few.
    for p in items {
        ids.push(
            tx.fetch_i64(
                "INSERT INTO procedure (case_id, alert_id, pattern_id, occur_date, tactic, description, created_by, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                args![case_id, alert_id, p.pattern_id, p.occur_date, p.tactic.clone(), p.description.clone(), by, now],
            )
            .await?,
        );
    }
    Ok(ids)
}

/// A visible procedure by `~id`.
pub async fn find_procedure(tx: &mut Tx, scope: &Scope, id: &str) -> Result<Option<Procedure>, StorageError> {
    let Some(id) = crate::ids::parse_id(id) else { return Ok(None) };
    let sql = format!("{PROC_SELECT} WHERE pr.id = $1 AND {}", visibility::case_or_alert_child("pr", 2));
    let row = tx.fetch_optional(&sql, args![id, scope.organisation_id()]).await?;
    row.as_ref().map(proc_from_row).transpose()
}

/// Procedures of a parent (already checked visible), by occurrence date.
pub async fn procedures_of(tx: &mut Tx, parent: ProcParent) -> Result<Vec<Procedure>, StorageError> {
    let (col, id) = match parent {
        ProcParent::Case(c) => ("case_id", c),
        ProcParent::Alert(a) => ("alert_id", a),
    };
    let rows =
        tx.fetch_all(&format!("{PROC_SELECT} WHERE pr.{col} = $1 ORDER BY pr.occur_date, pr.id"), args![id]).await?;
    rows.iter().map(proc_from_row).collect()
}

pub async fn procedures_by_ids(tx: &mut Tx, ids: &[i64]) -> Result<Vec<Procedure>, StorageError> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(r) = tx.fetch_optional(&format!("{PROC_SELECT} WHERE pr.id = $1"), args![*id]).await? {
            out.push(proc_from_row(&r)?);
        }
    }
    Ok(out)
}

#[derive(Debug, Default, Clone)]
pub struct ProcedureUpdate {
    pub occur_date: Option<i64>,
    pub tactic: Option<Option<String>>,
    pub description: Option<Option<String>>,
}

pub async fn update_procedure(
    tx: &mut Tx,
    id: i64,
    u: &ProcedureUpdate,
    by: &str,
    now: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE procedure SET occur_date = COALESCE($1, occur_date), \
         tactic = CASE WHEN $2 THEN $3 ELSE tactic END, description = CASE WHEN $4 THEN $5 ELSE description END, \
         updated_by = $6, updated_at = $7 WHERE id = $8",
        args![
            u.occur_date,
            u.tactic.is_some(),
            u.tactic.clone().flatten(),
            u.description.is_some(),
            u.description.clone().flatten(),
            by,
            now,
            id
        ],
    )
    .await?;
    Ok(())
}

pub async fn delete_procedure(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM procedure WHERE id = $1", args![id]).await?;
    Ok(())
}
