//! The polling interval shared by every MISP server that does not set its own (issue 9:
//! "the polling interval shared by all servers", stored in the database and managed
//! through API and UI). Until an administrator sets it, it is the configuration file's
//! `[misp] sync_interval_secs`; setting it to null goes back to that value.
//!
//! The poller reads it at the end of every run (`effective_secs`), so a change needs no
//! restart; the change itself also moves the next sync of the servers that follow it, so a
//! shortened interval does not wait for the old schedule to run out.

use serde_json::{Value, json};

use super::servers::PERMISSION;
use super::settings::{ServerDef, format_duration, parse_duration};
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::service::audit::{Action, record};
use crate::storage::meta::Meta;
use crate::storage::{StorageError, Tx, misp, platform_settings};

/// The `platform_setting` row holding the interval in seconds.
pub const SETTING: &str = "misp.syncInterval";
/// Shorter would hammer MISP (and be shorter than a typical run); longer than a day
/// makes "shared indicators" stale. The configuration file is not bound by this range.
pub const MIN_SECS: i64 = 60;
pub const MAX_SECS: i64 = 86_400;

/// The interval in force and where it comes from.
#[derive(Debug, Clone)]
pub struct Interval {
    pub seconds: i64,
    /// `None`: the configuration file's value (no administrator set one).
    pub set: Option<Meta>,
}

impl Interval {
    pub fn text(&self) -> String {
        format_duration(self.seconds)
    }

    /// Who last set it and when (ms), if an administrator did.
    pub fn set_by(&self) -> Option<(&str, i64)> {
        self.set
            .as_ref()
            .map(|m| (m.updated_by.as_deref().unwrap_or(&m.created_by), m.updated_at.unwrap_or(m.created_at)))
    }
}

fn config_secs(app: &App) -> i64 {
    i64::try_from(app.config.misp.sync_interval_secs).unwrap_or(i64::MAX).max(1)
}

/// The interval in force, read in `tx` (no permission check: the poller's view).
pub async fn current(tx: &mut Tx, app: &App) -> Result<Interval, StorageError> {
    let stored = platform_settings::get(tx, SETTING).await?;
    // A row written by `set` always holds a number; anything else falls back to the file.
    let seconds = stored.as_ref().and_then(|s| serde_json::from_str::<i64>(&s.value).ok()).filter(|s| *s > 0);
    Ok(match (seconds, stored) {
        (Some(seconds), Some(s)) => Interval { seconds, set: Some(s.meta) },
        _ => Interval { seconds: config_secs(app), set: None },
    })
}

/// The interval for the poller: on a database error, the configuration file's value
/// (a run that just finished must still get a next date).
pub async fn effective_secs(app: &App) -> i64 {
    let read = async {
        let mut tx = app.store.read().await?;
        current(&mut tx, app).await
    };
    match read.await {
        Ok(i) => i.seconds,
        Err(e) => {
            tracing::warn!(error = %e, "MISP polling interval unreadable; using the configuration file's");
            config_secs(app)
        }
    }
}

/// `GET /connector/misp/settings` (platform administrators).
pub async fn get(app: &App, caller: &Caller) -> Result<Interval, ApiError> {
    caller.require(PERMISSION, "manage MISP servers")?;
    let mut tx = app.store.read().await?;
    Ok(current(&mut tx, app).await?)
}

/// Reads `syncInterval` from the body: `Some(seconds)`, or `None` for null (back to the
/// configuration file).
fn parse(body: &Value) -> Result<Option<i64>, ApiError> {
    let refuse = |v: &Value| {
        ApiError::BadRequest(format!(
            "syncInterval must be a duration between {} and {} (seconds, or a text such as 15m, 2h), not {v}",
            format_duration(MIN_SECS),
            format_duration(MAX_SECS)
        ))
    };
    let Some(m) = body.as_object() else {
        return Err(ApiError::BadRequest("Request body must be a JSON object".into()));
    };
    match m.get("syncInterval") {
        None => Err(ApiError::BadRequest("syncInterval is missing".into())),
        Some(Value::Null) => Ok(None),
        Some(v) => {
            let secs = parse_duration(v).filter(|s| (MIN_SECS..=MAX_SECS).contains(s));
            secs.map(Some).ok_or_else(|| refuse(v))
        }
    }
}

/// `PATCH /connector/misp/settings` `{"syncInterval": 900 | "15m" | null}`: sets (or
/// clears) the shared interval and reschedules the servers that follow it, audited in the
/// same transaction. Bad input changes nothing.
pub async fn set(app: &App, caller: &Caller, body: &Value) -> Result<Interval, ApiError> {
    caller.require(PERMISSION, "manage MISP servers")?;
    let wanted = parse(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let before = current(&mut tx, app).await?;
    let row_id = match wanted {
        Some(secs) => Some(platform_settings::set(&mut tx, SETTING, &secs.to_string(), &caller.login, now).await?),
        None => platform_settings::remove(&mut tx, SETTING).await?,
    };
    let after = current(&mut tx, app).await?;
    // Clearing a setting that was never set changes nothing, so there is nothing to audit.
    if let Some(id) = row_id {
        let rescheduled = reschedule(&mut tx, after.seconds).await?;
        let details = json!({
            "name": SETTING, "syncInterval": wanted, "previous": before.seconds, "effective": after.seconds,
            "rescheduledServers": rescheduled,
        });
        let action = Action { operation: "update", object_type: "PlatformSetting", object_id: id, root: None, details };
        record(&mut tx, caller, action, now).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Moves the next sync of every healthy server following the shared interval to its last
/// run plus `secs`. Servers with their own interval, in backoff after failures, or never run
/// yet (due at once anyway) keep their schedule. Returns the names of the servers moved.
async fn reschedule(tx: &mut Tx, secs: i64) -> Result<Vec<String>, StorageError> {
    let mut moved = Vec::new();
    for row in misp::list(tx).await? {
        let def = ServerDef::from_row(&row);
        if def.stored.sync_interval.is_some() || row.consecutive_failures > 0 {
            continue;
        }
        if let (Some(last), Some(next)) = (row.last_attempt_at, row.next_sync_at) {
            let wanted = last.saturating_add(secs.saturating_mul(1000));
            if wanted != next {
                misp::reschedule(tx, row.id, wanted).await?;
                moved.push(row.name);
            }
        }
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_the_range_only() {
        assert_eq!(parse(&json!({"syncInterval": 60})).ok(), Some(Some(60)));
        assert_eq!(parse(&json!({"syncInterval": "1d"})).ok(), Some(Some(86_400)));
        assert_eq!(parse(&json!({"syncInterval": "15m"})).ok(), Some(Some(900)));
        assert_eq!(parse(&json!({"syncInterval": null})).ok(), Some(None));
        for bad in [
            json!({"syncInterval": 59}),
            json!({"syncInterval": 86_401}),
            json!({"syncInterval": "soon"}),
            json!({"syncInterval": 0}),
            json!({"syncInterval": true}),
            json!({}),
            json!([1]),
        ] {
            assert!(matches!(parse(&bad), Err(ApiError::BadRequest(_))), "{bad}");
        }
    }
}
