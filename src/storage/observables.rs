//! Observables (spec §1.6) of cases and alerts, and the correlation index over them.
//!
//! Correlation ("seen", similar observables, an alert's similar cases) always goes through
//! `observable_data_idx (data_type, data_hash)`: `data_hash` is the SHA-256 of `data` (or the
//! attachment's SHA-256 for files), so equality never compares long texts and never scans.

use std::collections::HashMap;

use super::db::{Row, Statement, Tx, Value};
use super::error::StorageError;
use super::meta::Meta;
use super::placeholders::push_row;
use super::scope::Scope;
use super::visibility;
use crate::args;

/// The case or alert an observable belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parent {
    Case(i64),
    Alert(i64),
}

/// The file of a file observable.
#[derive(Debug, Clone)]
pub struct ObservableFile {
    pub attachment_id: i64,
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub size: i64,
    pub name: String,
    pub content_type: String,
}

#[derive(Debug, Clone)]
pub struct Observable {
    pub id: i64,
    pub parent: Parent,
    pub data_type: String,
    pub data: Option<String>,
    pub data_hash: String,
    pub message: Option<String>,
    pub tlp: i64,
    pub pap: i64,
    pub ioc: bool,
    pub sighted: bool,
    pub sighted_at: Option<i64>,
    pub ignore_similarity: bool,
    pub start_date: i64,
    pub tags: Vec<String>,
    pub file: Option<ObservableFile>,
    pub reports: serde_json::Value,
    pub meta: Meta,
}

const SELECT: &str = "SELECT o.id, o.case_id, o.alert_id, o.data_type, o.data, o.data_hash, o.message, o.tlp, o.pap, \
    o.ioc, o.sighted, o.sighted_at, o.ignore_similarity, o.start_date, o.tags, o.attachment_id, o.attachment_name, \
    o.attachment_content_type, o.report, o.created_by, o.created_at, o.updated_by, o.updated_at, \
    a.sha256 AS att_sha256, a.sha1 AS att_sha1, a.md5 AS att_md5, a.size AS att_size \
    FROM observable o LEFT JOIN attachment a ON a.id = o.attachment_id";

pub(crate) fn json_list(text: &str) -> Result<Vec<String>, StorageError> {
    serde_json::from_str(text).map_err(|e| StorageError::Corrupt(format!("tags: {e}")))
}

fn from_row(row: &Row) -> Result<Observable, StorageError> {
    let parent = match (row.get::<Option<i64>>("case_id")?, row.get::<Option<i64>>("alert_id")?) {
        (Some(c), _) => Parent::Case(c),
        (None, Some(a)) => Parent::Alert(a),
        (None, None) => return Err(StorageError::Corrupt("observable without parent".into())),
    };
    let file = match row.get::<Option<i64>>("attachment_id")? {
        Some(attachment_id) => Some(ObservableFile {
            attachment_id,
            sha256: row.get("att_sha256")?,
            sha1: row.get("att_sha1")?,
            md5: row.get("att_md5")?,
            size: row.get("att_size")?,
            name: row.get::<Option<String>>("attachment_name")?.unwrap_or_default(),
            content_type: row.get::<Option<String>>("attachment_content_type")?.unwrap_or_default(),
        }),
        None => None,
    };
    let report: String = row.get("report")?;
    Ok(Observable {
        id: row.get("id")?,
        parent,
        data_type: row.get("data_type")?,
        data: row.get("data")?,
        data_hash: row.get("data_hash")?,
        message: row.get("message")?,
        tlp: row.get("tlp")?,
        pap: row.get("pap")?,
        ioc: row.get("ioc")?,
        sighted: row.get("sighted")?,
        sighted_at: row.get("sighted_at")?,
        ignore_similarity: row.get("ignore_similarity")?,
        start_date: row.get("start_date")?,
        tags: json_list(&row.get::<String>("tags")?)?,
        file,
        reports: serde_json::from_str(&report).unwrap_or_else(|_| serde_json::json!({})),
        meta: Meta::from_row(row)?,
    })
}

/// An observable about to be created.
#[derive(Debug, Clone)]
pub struct NewObservable {
    pub data_type: String,
    pub data: Option<String>,
    pub data_hash: String,
    pub message: Option<String>,
    pub tlp: i64,
    pub pap: i64,
    pub ioc: bool,
    pub sighted: bool,
    pub sighted_at: Option<i64>,
    pub ignore_similarity: bool,
    pub tags: Vec<String>,
    /// (attachment row id, file name, content type)
    pub file: Option<(i64, String, String)>,
}

impl Parent {
    fn ids(self) -> (Option<i64>, Option<i64>) {
        match self {
            Parent::Case(c) => (Some(c), None),
            Parent::Alert(a) => (None, Some(a)),
        }
    }

    fn column(self) -> (&'static str, i64) {
        match self {
            Parent::Case(c) => ("case_id", c),
            Parent::Alert(a) => ("alert_id", a),
        }
    }
}

/// Rows per multi-row INSERT: 19 binds each, far below both engines' bind limits.
const BATCH: usize = 200;

/// Inserts many observables into one parent with one statement per `BATCH` rows (plus one
/// for their tags). A (dataType, data) already present in the parent is skipped, not an
/// error: the result has `None` at its position ("Observable already exists").
pub async fn insert_many(
    tx: &mut Tx,
    parent: Parent,
    items: &[NewObservable],
    by: &str,
    now: i64,
) -> Result<Vec<Option<i64>>, StorageError> {
    let group = ObservableGroup { parent, items, by };
    let mut out = insert_groups(tx, std::slice::from_ref(&group), now).await?;
    Ok(out.pop().unwrap_or_default())
}

/// The observables one author adds to one parent, for [`insert_groups`].
pub struct ObservableGroup<'a> {
    pub parent: Parent,
    pub items: &'a [NewObservable],
    pub by: &'a str,
}

/// [`insert_many`] for several parents at once: the rows of all groups share the
/// multi-row statements. The result has one list per group, in order.
pub async fn insert_groups(
    tx: &mut Tx,
    groups: &[ObservableGroup<'_>],
    now: i64,
) -> Result<Vec<Vec<Option<i64>>>, StorageError> {
    let rows: Vec<(&ObservableGroup, &NewObservable)> =
        groups.iter().flat_map(|g| g.items.iter().map(move |o| (g, o))).collect();
    // (parent, dataType, dataHash) -> id of the row this call created.
    let mut ids: HashMap<(Parent, String, String), i64> = HashMap::with_capacity(rows.len());
    for chunk in rows.chunks(BATCH) {
        let (mut sql, binds) = insert_rows(chunk, now);
        sql.push_str(" ON CONFLICT DO NOTHING RETURNING id, case_id, alert_id, data_type, data_hash");
        // RETURNING order is unspecified on SQLite: match rows back by their unique key.
        for row in tx.fetch_all(&sql, binds).await? {
            let parent = match (row.get::<Option<i64>>("case_id")?, row.get::<Option<i64>>("alert_id")?) {
                (Some(c), _) => Parent::Case(c),
                (None, Some(a)) => Parent::Alert(a),
                (None, None) => return Err(StorageError::Corrupt("observable without a parent".into())),
            };
            ids.insert((parent, row.get("data_type")?, row.get("data_hash")?), row.get("id")?);
        }
    }
    // A key given twice in a group must be created once: keep the first position only.
    let mut seen = std::collections::HashSet::new();
    let out: Vec<Vec<Option<i64>>> = groups
        .iter()
        .map(|g| {
            g.items
                .iter()
                .map(|o| ids.get(&(g.parent, o.data_type.clone(), o.data_hash.clone())).copied())
                .map(|id| id.filter(|i| seen.insert(*i)))
                .collect()
        })
        .collect();
    let tag_rows: Vec<(i64, &str)> = groups
        .iter()
        .zip(&out)
        .flat_map(|(g, ids)| g.items.iter().zip(ids))
        .filter_map(|(o, id)| id.map(|id| (id, o)))
        .flat_map(|(id, o)| o.tags.iter().map(move |t| (id, t.as_str())))
        .collect();
    insert_tags(tx, &tag_rows).await?;
    Ok(out)
}

/// The statements that insert the observables of parents created in this same transaction
/// (batched alert ingestion), with their tags. Such a parent has no observable yet, so
/// every row is new and no id needs reading back: the statements can run as one batch
/// (`Tx::execute_all`). The caller has dropped repeated (dataType, dataHash) of a group.
pub fn fresh_statements(groups: &[ObservableGroup<'_>], now: i64) -> Vec<Statement> {
    let rows: Vec<(&ObservableGroup, &NewObservable)> =
        groups.iter().flat_map(|g| g.items.iter().map(move |o| (g, o))).collect();
    let mut out = Vec::new();
    for chunk in rows.chunks(BATCH) {
        let (mut sql, binds) = insert_rows(chunk, now);
        sql.push_str(" ON CONFLICT DO NOTHING");
        out.push(Statement::new(sql, binds));
    }
    // Tags find their observable by its key in the parent (the parent's partial key index).
    for kind in ["case_id", "alert_id"] {
        let tagged: Vec<(i64, &NewObservable, &str)> = rows
            .iter()
            .filter(|(g, _)| g.parent.column().0 == kind)
            .flat_map(|(g, o)| o.tags.iter().map(move |t| (g.parent.column().1, *o, t.as_str())))
            .collect();
        for chunk in tagged.chunks(500) {
            let mut sql = String::from("WITH v (parent_id, data_type, data_hash, tag) AS (VALUES ");
            let mut binds = Vec::with_capacity(chunk.len() * 4);
            for (i, (parent_id, o, tag)) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                push_row(&mut sql, binds.len(), 4);
                binds.extend(args![*parent_id, o.data_type.as_str(), o.data_hash.as_str(), *tag]);
            }
            sql.push_str(&format!(
                ") INSERT INTO observable_tag (observable_id, tag) SELECT o.id, v.tag FROM v JOIN observable o \
                 ON o.{kind} = v.parent_id AND o.data_type = v.data_type AND o.data_hash = v.data_hash \
                 WHERE TRUE ON CONFLICT DO NOTHING"
            ));
            out.push(Statement::new(sql, binds));
        }
    }
    out
}

/// `INSERT INTO observable (…) VALUES (…), …` for `rows`, with its bound values.
fn insert_rows(rows: &[(&ObservableGroup, &NewObservable)], now: i64) -> (String, Vec<Value>) {
    let mut sql = String::from(
        "INSERT INTO observable (case_id, alert_id, data_type, data, data_hash, message, tlp, pap, ioc, sighted, \
         sighted_at, ignore_similarity, start_date, tags, attachment_id, attachment_name, attachment_content_type, \
         created_by, created_at) VALUES ",
    );
    let mut binds: Vec<Value> = Vec::with_capacity(rows.len() * 19);
    for (i, (g, o)) in rows.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        push_row(&mut sql, binds.len(), 19);
        let (case_id, alert_id) = g.parent.ids();
        let (att_id, att_name, att_ct) = match &o.file {
            Some((id, name, ct)) => (Some(*id), Some(name.clone()), Some(ct.clone())),
            None => (None, None, None),
        };
        binds.extend(args![
            case_id,
            alert_id,
            o.data_type.as_str(),
            o.data.clone(),
            o.data_hash.as_str(),
            o.message.clone(),
            o.tlp,
            o.pap,
            o.ioc,
            o.sighted,
            o.sighted_at,
            o.ignore_similarity,
            now,
            serde_json::to_string(&o.tags).unwrap_or_else(|_| "[]".into()),
            att_id,
            att_name,
            att_ct,
            g.by,
            now
        ]);
    }
    (sql, binds)
}

async fn insert_tags(tx: &mut Tx, rows: &[(i64, &str)]) -> Result<(), StorageError> {
    for chunk in rows.chunks(500) {
        let mut sql = String::from("INSERT INTO observable_tag (observable_id, tag) VALUES ");
        let mut binds = Vec::with_capacity(chunk.len() * 2);
        for (i, (id, tag)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            push_row(&mut sql, 2 * i, 2);
            binds.extend(args![*id, *tag]);
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        tx.execute(&sql, binds).await?;
    }
    Ok(())
}

/// A visible observable by `~id`.
pub async fn find(tx: &mut Tx, scope: &Scope, id: &str) -> Result<Option<Observable>, StorageError> {
    let Some(id) = crate::ids::parse_id(id) else { return Ok(None) };
    let sql = format!("{SELECT} WHERE o.id = $1 AND {}", visibility::observable("o", 2));
    let row = tx.fetch_optional(&sql, args![id, scope.organisation_id()]).await?;
    row.as_ref().map(from_row).transpose()
}

/// By row ids, without visibility (the caller resolved them through a visible parent).
pub async fn get_many(tx: &mut Tx, ids: &[i64]) -> Result<Vec<Observable>, StorageError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let ph = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let binds = chunk.iter().map(|i| Value::from(*i)).collect();
        let rows = tx.fetch_all(&format!("{SELECT} WHERE o.id IN ({ph}) ORDER BY o.id"), binds).await?;
        for r in &rows {
            out.push(from_row(r)?);
        }
    }
    Ok(out)
}

/// All observables of a parent (already checked visible), oldest first.
pub async fn list(tx: &mut Tx, parent: Parent) -> Result<Vec<Observable>, StorageError> {
    let (col, id) = parent.column();
    let rows = tx.fetch_all(&format!("{SELECT} WHERE o.{col} = $1 ORDER BY o.id"), args![id]).await?;
    rows.iter().map(from_row).collect()
}

/// Observables of a case visible to the organisation (owner share: all; other shares: the
/// shared ones).
pub async fn list_visible(tx: &mut Tx, scope: &Scope, parent: Parent) -> Result<Vec<Observable>, StorageError> {
    let (col, id) = parent.column();
    let sql = format!("{SELECT} WHERE o.{col} = $1 AND {} ORDER BY o.id", visibility::observable("o", 2));
    let rows = tx.fetch_all(&sql, args![id, scope.organisation_id()]).await?;
    rows.iter().map(from_row).collect()
}

/// The observable of `parent` with this key, if any.
pub async fn find_in(
    tx: &mut Tx,
    parent: Parent,
    data_type: &str,
    data_hash: &str,
) -> Result<Option<Observable>, StorageError> {
    let (col, id) = parent.column();
    let sql = format!("{SELECT} WHERE o.{col} = $1 AND o.data_type = $2 AND o.data_hash = $3");
    let row = tx.fetch_optional(&sql, args![id, data_type, data_hash]).await?;
    row.as_ref().map(from_row).transpose()
}

/// Fields a PATCH may change; `None` = unchanged.
#[derive(Debug, Default, Clone)]
pub struct ObservableUpdate {
    pub data_type: Option<String>,
    pub message: Option<Option<String>>,
    pub tlp: Option<i64>,
    pub pap: Option<i64>,
    pub ioc: Option<bool>,
    pub sighted: Option<bool>,
    pub sighted_at: Option<Option<i64>>,
    pub ignore_similarity: Option<bool>,
    pub tags: Option<Vec<String>>,
}

impl ObservableUpdate {
    pub fn is_empty(&self) -> bool {
        self.data_type.is_none()
            && self.message.is_none()
            && self.tlp.is_none()
            && self.pap.is_none()
            && self.ioc.is_none()
            && self.sighted.is_none()
            && self.sighted_at.is_none()
            && self.ignore_similarity.is_none()
            && self.tags.is_none()
    }
}

pub async fn update(tx: &mut Tx, id: i64, u: &ObservableUpdate, by: &str, now: i64) -> Result<(), StorageError> {
    let mut sets: Vec<String> = Vec::new();
    let mut binds: Vec<Value> = Vec::new();
    let set = |col: &str, v: Value, sets: &mut Vec<String>, binds: &mut Vec<Value>| {
        binds.push(v);
        sets.push(format!("{col} = ${}", binds.len()));
    };
    if let Some(v) = &u.data_type {
        set("data_type", v.clone().into(), &mut sets, &mut binds);
    }
    if let Some(v) = &u.message {
        set("message", v.clone().into(), &mut sets, &mut binds);
    }
    if let Some(v) = u.tlp {
        set("tlp", v.into(), &mut sets, &mut binds);
    }
    if let Some(v) = u.pap {
        set("pap", v.into(), &mut sets, &mut binds);
    }
    if let Some(v) = u.ioc {
        set("ioc", v.into(), &mut sets, &mut binds);
    }
    if let Some(v) = u.sighted {
        set("sighted", v.into(), &mut sets, &mut binds);
    }
    if let Some(v) = u.sighted_at {
        set("sighted_at", v.into(), &mut sets, &mut binds);
    }
    if let Some(v) = u.ignore_similarity {
        set("ignore_similarity", v.into(), &mut sets, &mut binds);
    }
    if let Some(tags) = &u.tags {
        set("tags", serde_json::to_string(tags).unwrap_or_else(|_| "[]".into()).into(), &mut sets, &mut binds);
    }
    set("updated_by", by.into(), &mut sets, &mut binds);
    set("updated_at", now.into(), &mut sets, &mut binds);
    binds.push(id.into());
    let sql = format!("UPDATE observable SET {} WHERE id = ${}", sets.join(", "), binds.len());
    tx.execute(&sql, binds).await?;
    if let Some(tags) = &u.tags {
        set_tags(tx, id, tags).await?;
    }
    Ok(())
}

/// Replaces the tag index rows of one observable (the JSON column is written by the caller).
pub async fn set_tags(tx: &mut Tx, id: i64, tags: &[String]) -> Result<(), StorageError> {
    tx.execute("DELETE FROM observable_tag WHERE observable_id = $1", args![id]).await?;
    let rows: Vec<(i64, &str)> = tags.iter().map(|t| (id, t.as_str())).collect();
    insert_tags(tx, &rows).await
}

/// Writes both tag representations of an observable.
pub async fn replace_tags(tx: &mut Tx, id: i64, tags: &[String], by: &str, now: i64) -> Result<(), StorageError> {
    let u = ObservableUpdate { tags: Some(tags.to_vec()), ..Default::default() };
    update(tx, id, &u, by, now).await
}

/// Deletes one observable; returns its attachment row id for garbage collection.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<Option<i64>, StorageError> {
    let row = tx.fetch_optional("DELETE FROM observable WHERE id = $1 RETURNING attachment_id", args![id]).await?;
    match row {
        Some(r) => Ok(r.get("attachment_id")?),
        None => Ok(None),
    }
}

/// Number of observables per alert, for `observableCount`.
pub async fn count_by_alert(tx: &mut Tx, alert_ids: &[i64]) -> Result<HashMap<i64, i64>, StorageError> {
    let mut out = HashMap::new();
    for chunk in alert_ids.chunks(500) {
        let ph = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let binds = chunk.iter().map(|i| Value::from(*i)).collect();
        let sql = format!("SELECT alert_id, COUNT(*) AS n FROM observable WHERE alert_id IN ({ph}) GROUP BY alert_id");
        for r in tx.fetch_all(&sql, binds).await? {
            out.insert(r.get("alert_id")?, r.get("n")?);
        }
    }
    Ok(out)
}

/// Correlation predicate: `o` is another observable with the same data as `s`, taking part
/// in similarity, visible to the organisation at `$org`.
fn similar_to(s: &str, o: &str, org: usize) -> String {
    format!(
        "{o}.data_type = {s}.data_type AND {o}.data_hash = {s}.data_hash AND {o}.id <> {s}.id \
         AND {o}.ignore_similarity = FALSE AND {s}.ignore_similarity = FALSE AND {}",
        visibility::observable(o, org)
    )
}

/// The visible observables, elsewhere, with the same data as observable `id`, newest first.
/// Driven by the correlation index: the source's (data_type, data_hash) is read first so
/// that the lookup is an index range scan, not a scan of every observable.
pub async fn similar(tx: &mut Tx, scope: &Scope, id: i64) -> Result<Vec<Observable>, StorageError> {
    let Some(src) = tx
        .fetch_optional(
            "SELECT data_type, data_hash FROM observable WHERE id = $1 AND ignore_similarity = FALSE",
            args![id],
        )
        .await?
    else {
        return Ok(Vec::new());
    };
    let (data_type, data_hash): (String, String) = (src.get("data_type")?, src.get("data_hash")?);
    let sql = format!(
        "{SELECT} WHERE o.data_type = $1 AND o.data_hash = $2 AND o.id <> $3 AND o.ignore_similarity = FALSE \
         AND {} ORDER BY o.id DESC LIMIT {SIMILAR_LIMIT}",
        visibility::observable("o", 4)
    );
    let rows = tx.fetch_all(&sql, args![data_type, data_hash, id, scope.organisation_id()]).await?;
    rows.iter().map(from_row).collect()
}

/// At most this many similar observables are listed (the newest); counts are exact.
pub const SIMILAR_LIMIT: i64 = 1000;

/// TheHive's observable stats per observable: how many similar observables the caller can
/// see (`seen`) and whether one of them is an IOC.
pub async fn seen_stats(tx: &mut Tx, scope: &Scope, ids: &[i64]) -> Result<HashMap<i64, (i64, bool)>, StorageError> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(400) {
        let ph = (2..chunk.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
        let mut binds = vec![Value::from(scope.organisation_id())];
        binds.extend(chunk.iter().map(|i| Value::from(*i)));
        let sql = format!(
            "SELECT s.id AS id, COUNT(o.id) AS n, CAST(SUM(CASE WHEN o.ioc THEN 1 ELSE 0 END) AS BIGINT) AS iocs \
             FROM observable s JOIN observable o ON {} WHERE s.id IN ({ph}) GROUP BY s.id",
            similar_to("s", "o", 1)
        );
        for r in tx.fetch_all(&sql, binds).await? {
            out.insert(r.get::<i64>("id")?, (r.get::<i64>("n")?, r.get::<i64>("iocs")? > 0));
        }
    }
    Ok(out)
}

/// One case sharing observables with an alert, with TheHive's `similarCases` counts.
#[derive(Debug, Clone)]
pub struct SimilarCase {
    pub case_id: i64,
    pub similar_observables: i64,
    pub similar_iocs: i64,
    pub observables: i64,
    pub iocs: i64,
}

/// The visible cases holding observables similar to those of `parent` (an alert, or a case
/// for its links), through the correlation index.
pub async fn similar_cases(tx: &mut Tx, scope: &Scope, parent: Parent) -> Result<Vec<SimilarCase>, StorageError> {
    let (col, id) = parent.column();
    let exclude = match parent {
        Parent::Case(c) => c,
        Parent::Alert(_) => 0,
    };
    let sql = format!(
        "SELECT o.case_id AS case_id, COUNT(DISTINCT o.id) AS n, \
         COUNT(DISTINCT CASE WHEN o.ioc THEN o.id END) AS iocs \
         FROM observable s JOIN observable o ON {} \
         WHERE s.{col} = $1 AND o.case_id IS NOT NULL AND o.case_id <> $3 GROUP BY o.case_id",
        similar_to("s", "o", 2)
    );
    let rows = tx.fetch_all(&sql, args![id, scope.organisation_id(), exclude]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(SimilarCase {
            case_id: r.get("case_id")?,
            similar_observables: r.get("n")?,
            similar_iocs: r.get("iocs")?,
            observables: 0,
            iocs: 0,
        });
    }
    for sc in &mut out {
        let sql = format!(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(CASE WHEN o.ioc THEN 1 ELSE 0 END), 0) AS BIGINT) AS iocs \
             FROM observable o WHERE o.case_id = $1 AND {}",
            visibility::observable("o", 2)
        );
        let r = tx.fetch_one(&sql, args![sc.case_id, scope.organisation_id()]).await?;
        sc.observables = r.get("n")?;
        sc.iocs = r.get("iocs")?;
    }
    Ok(out)
}

/// Observables of `parent` that have a similar observable in `other` (TheHive 5
/// `GET /{alert|case}/{id}/similar/{otherId}/observables`).
pub async fn similar_between(
    tx: &mut Tx,
    scope: &Scope,
    parent: Parent,
    other: Parent,
) -> Result<Vec<Observable>, StorageError> {
    let (col, id) = parent.column();
    let (ocol, oid) = other.column();
    let sql = format!(
        "{SELECT} WHERE o.{col} = $1 AND {} AND EXISTS (SELECT 1 FROM observable x WHERE x.{ocol} = $3 AND {}) \
         ORDER BY o.id",
        visibility::observable("o", 2),
        similar_to("o", "x", 2)
    );
    let rows = tx.fetch_all(&sql, args![id, scope.organisation_id(), oid]).await?;
    rows.iter().map(from_row).collect()
}

/// A visible case by `~id` or number: its row id. Used to resolve case parents.
pub async fn visible_case_id(tx: &mut Tx, scope: &Scope, id_or_number: &str) -> Result<Option<i64>, StorageError> {
    let vis = visibility::case("c", 2);
    let row = match crate::ids::parse_id(id_or_number) {
        Some(id) => {
            tx.fetch_optional(
                &format!("SELECT c.id FROM cases c WHERE c.id = $1 AND {vis}"),
                args![id, scope.organisation_id()],
            )
            .await?
        }
        None => match id_or_number.parse::<i64>() {
            Ok(n) => {
                tx.fetch_optional(
                    &format!("SELECT c.id FROM cases c WHERE c.number = $1 AND {vis}"),
                    args![n, scope.organisation_id()],
                )
                .await?
            }
            Err(_) => None,
        },
    };
    row.map(|r| r.get("id")).transpose()
}
