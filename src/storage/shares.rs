//! Shares (spec §1.15): which organisations see a case, under which profile, and which of
//! its tasks and observables each of them sees (`share_task`, `share_observable`); plus the
//! sharing profiles of TheHive 5 (`GET /sharingProfile`).
//!
//! Reads that list shares take a `Scope` and apply `visibility::share`: a share is seen only
//! by organisations that see its case *and* its organisation. Writes take ids the service
//! layer resolved through those reads.

use super::db::{Row, Tx, Value};
use super::error::StorageError;
use super::meta::Meta;
use super::scope::Scope;
use super::visibility;
use crate::args;

#[derive(Debug, Clone)]
pub struct Share {
    pub id: i64,
    pub case_id: i64,
    pub case_number: i64,
    pub organisation_id: i64,
    pub organisation: String,
    pub profile_id: i64,
    pub profile: String,
    pub owner: bool,
    pub task_rule: Option<String>,
    pub observable_rule: Option<String>,
    pub meta: Meta,
}

const SELECT: &str = "SELECT s.id, s.case_id, c.number AS case_number, s.organisation_id, o.name AS organisation, \
    s.profile_id, p.name AS profile, s.owner, s.task_rule, s.observable_rule, s.created_by, s.created_at, \
    s.updated_by, s.updated_at FROM share s JOIN cases c ON c.id = s.case_id \
    JOIN organisation o ON o.id = s.organisation_id JOIN profile p ON p.id = s.profile_id";

fn from_row(row: &Row) -> Result<Share, StorageError> {
    Ok(Share {
        id: row.get("id")?,
        case_id: row.get("case_id")?,
        case_number: row.get("case_number")?,
        organisation_id: row.get("organisation_id")?,
        organisation: row.get("organisation")?,
        profile_id: row.get("profile_id")?,
        profile: row.get("profile")?,
        owner: row.get("owner")?,
        task_rule: row.get("task_rule")?,
        observable_rule: row.get("observable_rule")?,
        meta: Meta::from_row(row)?,
    })
}

/// The shares of a case the caller may see, owner first, then by organisation name.
pub async fn list_for_case(tx: &mut Tx, scope: &Scope, case_id: i64) -> Result<Vec<Share>, StorageError> {
    let sql = format!("{SELECT} WHERE s.case_id = $1 AND {} ORDER BY s.owner DESC, o.name", visibility::share("s", 2));
    let rows = tx.fetch_all(&sql, args![case_id, scope.organisation_id()]).await?;
    rows.iter().map(from_row).collect()
}

/// A share the caller may see, by `~id`.
pub async fn find(tx: &mut Tx, scope: &Scope, id: &str) -> Result<Option<Share>, StorageError> {
    let Some(id) = crate::ids::parse_id(id) else { return Ok(None) };
    let sql = format!("{SELECT} WHERE s.id = $1 AND {}", visibility::share("s", 2));
    let row = tx.fetch_optional(&sql, args![id, scope.organisation_id()]).await?;
    row.as_ref().map(from_row).transpose()
}

/// The visible shares of a case that grant a task (the owner share grants them all).
pub async fn for_task(tx: &mut Tx, scope: &Scope, case_id: i64, task_id: i64) -> Result<Vec<Share>, StorageError> {
    let sql = format!(
        "{SELECT} WHERE s.case_id = $1 AND {} AND {} ORDER BY s.owner DESC, o.name",
        visibility::share("s", 2),
        visibility::share_grants_task("s", "$3")
    );
    let rows = tx.fetch_all(&sql, args![case_id, scope.organisation_id(), task_id]).await?;
    rows.iter().map(from_row).collect()
}

/// The visible shares of a case that grant an observable.
pub async fn for_observable(
    tx: &mut Tx,
    scope: &Scope,
    case_id: i64,
    observable_id: i64,
) -> Result<Vec<Share>, StorageError> {
    let sql = format!(
        "{SELECT} WHERE s.case_id = $1 AND {} AND {} ORDER BY s.owner DESC, o.name",
        visibility::share("s", 2),
        visibility::share_grants_observable("s", "$3")
    );
    let rows = tx.fetch_all(&sql, args![case_id, scope.organisation_id(), observable_id]).await?;
    rows.iter().map(from_row).collect()
}

/// A new share of a case with an organisation.
pub struct NewShare<'a> {
    pub case_id: i64,
    pub organisation_id: i64,
    pub profile_id: i64,
    pub owner: bool,
    pub task_rule: Option<&'a str>,
    pub observable_rule: Option<&'a str>,
}

/// Inserts a share. A second share of one case with one organisation violates
/// `share_case_organisation_key`; the service checks first and reports it.
pub async fn insert(tx: &mut Tx, s: &NewShare<'_>, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO share (case_id, organisation_id, profile_id, owner, task_rule, observable_rule, created_by, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        args![s.case_id, s.organisation_id, s.profile_id, s.owner, s.task_rule, s.observable_rule, by, now],
    )
    .await
}

/// Changes the profile and/or the rules of a share (`None` leaves a field alone).
pub async fn update(
    tx: &mut Tx,
    id: i64,
    profile_id: Option<i64>,
    task_rule: Option<&str>,
    observable_rule: Option<&str>,
    by: &str,
    now: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE share SET profile_id = COALESCE($1, profile_id), task_rule = COALESCE($2, task_rule), \
         observable_rule = COALESCE($3, observable_rule), updated_by = $4, updated_at = $5 WHERE id = $6",
        args![profile_id, task_rule, observable_rule, by, now, id],
    )
    .await?;
    Ok(())
}

/// Deletes a share; its task and observable grants cascade.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM share WHERE id = $1", args![id]).await?;
    Ok(())
}

/// Grants a share every task its case has now.
pub async fn grant_existing_tasks(tx: &mut Tx, share_id: i64, case_id: i64) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO share_task (share_id, task_id) SELECT $1, t.id FROM task t WHERE t.case_id = $2 \
         ON CONFLICT DO NOTHING",
        args![share_id, case_id],
    )
    .await?;
    Ok(())
}

/// Grants a share every observable its case has now.
pub async fn grant_existing_observables(tx: &mut Tx, share_id: i64, case_id: i64) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO share_observable (share_id, observable_id) SELECT $1, o.id FROM observable o \
         WHERE o.case_id = $2 ON CONFLICT DO NOTHING",
        args![share_id, case_id],
    )
    .await?;
    Ok(())
}

/// Grants a new task to the shares of its case whose rule takes new tasks, and to the share
/// of `creator_org` (an organisation sees the tasks it creates).
pub async fn grant_new_task(
    tx: &mut Tx,
    case_id: i64,
    task_id: i64,
    creator_org: i64,
    rules: &[&str],
) -> Result<(), StorageError> {
    let (list, mut binds) = rule_list(rules, 4);
    binds.splice(0..0, args![task_id, case_id, creator_org]);
    tx.execute(
        &format!(
            "INSERT INTO share_task (share_id, task_id) SELECT s.id, $1 FROM share s WHERE s.case_id = $2 \
             AND s.owner = FALSE AND (s.organisation_id = $3 OR s.task_rule IN ({list})) ON CONFLICT DO NOTHING"
        ),
        binds,
    )
    .await?;
    Ok(())
}

/// Grants new observables to the shares of their case whose rule takes new observables, and
/// to the share of `creator_org`.
pub async fn grant_new_observables(
    tx: &mut Tx,
    case_id: i64,
    observable_ids: &[i64],
    creator_org: i64,
    rules: &[&str],
) -> Result<(), StorageError> {
    for id in observable_ids {
        let (list, mut binds) = rule_list(rules, 4);
        binds.splice(0..0, args![*id, case_id, creator_org]);
        tx.execute(
            &format!(
                "INSERT INTO share_observable (share_id, observable_id) SELECT s.id, $1 FROM share s \
                 WHERE s.case_id = $2 AND s.owner = FALSE AND (s.organisation_id = $3 OR s.observable_rule IN ({list})) \
                 ON CONFLICT DO NOTHING"
            ),
            binds,
        )
        .await?;
    }
    Ok(())
}

/// `$first, $first+1, …` for `rules`, and their binds.
fn rule_list(rules: &[&str], first: usize) -> (String, Vec<Value>) {
    let list = (0..rules.len()).map(|i| format!("${}", first + i)).collect::<Vec<_>>().join(", ");
    (list, rules.iter().map(|r| Value::from(*r)).collect())
}

/// Grants one task to one share (idempotent).
pub async fn grant_task(tx: &mut Tx, share_id: i64, task_id: i64) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO share_task (share_id, task_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        args![share_id, task_id],
    )
    .await?;
    Ok(())
}

/// Withdraws one task from one share; returns whether it was granted.
pub async fn revoke_task(tx: &mut Tx, share_id: i64, task_id: i64) -> Result<bool, StorageError> {
    let n = tx.execute("DELETE FROM share_task WHERE share_id = $1 AND task_id = $2", args![share_id, task_id]).await?;
    Ok(n > 0)
}

/// Grants one observable to one share (idempotent).
pub async fn grant_observable(tx: &mut Tx, share_id: i64, observable_id: i64) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO share_observable (share_id, observable_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        args![share_id, observable_id],
    )
    .await?;
    Ok(())
}

/// Withdraws one observable from one share; returns whether it was granted.
pub async fn revoke_observable(tx: &mut Tx, share_id: i64, observable_id: i64) -> Result<bool, StorageError> {
    let n = tx
        .execute(
            "DELETE FROM share_observable WHERE share_id = $1 AND observable_id = $2",
            args![share_id, observable_id],
        )
        .await?;
    Ok(n > 0)
}

/// A TheHive 5 sharing profile: a named preset (permission profile and rules) used by
/// organisation links (`linkType`) and share requests.
#[derive(Debug, Clone)]
pub struct SharingProfile {
    pub name: String,
    pub description: String,
    pub auto_share: bool,
    pub editable: bool,
    pub profile_id: i64,
    pub profile: String,
    pub task_rule: Option<String>,
    pub observable_rule: Option<String>,
}

const SP_SELECT: &str = "SELECT sp.name, sp.description, sp.auto_share, sp.editable, sp.profile_id, \
    p.name AS profile, sp.task_rule, sp.observable_rule FROM sharing_profile sp JOIN profile p ON p.id = sp.profile_id";

fn sp_from_row(row: &Row) -> Result<SharingProfile, StorageError> {
    Ok(SharingProfile {
        name: row.get("name")?,
        description: row.get("description")?,
        auto_share: row.get("auto_share")?,
        editable: row.get("editable")?,
        profile_id: row.get("profile_id")?,
        profile: row.get("profile")?,
        task_rule: row.get("task_rule")?,
        observable_rule: row.get("observable_rule")?,
    })
}

/// Every sharing profile, by name (a platform-wide catalogue, like profiles).
pub async fn sharing_profiles(tx: &mut Tx) -> Result<Vec<SharingProfile>, StorageError> {
    let rows = tx.fetch_all(&format!("{SP_SELECT} ORDER BY sp.name"), args![]).await?;
    rows.iter().map(sp_from_row).collect()
}

pub async fn find_sharing_profile(tx: &mut Tx, name: &str) -> Result<Option<SharingProfile>, StorageError> {
    let row = tx.fetch_optional(&format!("{SP_SELECT} WHERE sp.name = $1"), args![name]).await?;
    row.as_ref().map(sp_from_row).transpose()
}

/// A built-in sharing profile, created unless one of that name exists.
pub struct NewSharingProfile<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub auto_share: bool,
    pub profile: &'a str,
    pub task_rule: &'a str,
    pub observable_rule: &'a str,
}

/// Creates a sharing profile if its name is free and its permission profile exists.
pub async fn ensure_sharing_profile(
    tx: &mut Tx,
    sp: &NewSharingProfile<'_>,
    by: &str,
    now: i64,
) -> Result<(), StorageError> {
    tx.execute(
        "INSERT INTO sharing_profile (name, description, auto_share, editable, profile_id, task_rule, \
         observable_rule, created_by, created_at) SELECT $1, $2, $3, FALSE, p.id, $4, $5, $6, $7 FROM profile p \
         WHERE p.name = $8 ON CONFLICT (name) DO NOTHING",
        args![sp.name, sp.description, sp.auto_share, sp.task_rule, sp.observable_rule, by, now, sp.profile],
    )
    .await?;
    Ok(())
}
