//! TheHive 5's case status model: a status name bound to a stage (`New`, `InProgress`,
//! `Closed`), with TheHive 4's `Open` / `Resolved` + `resolutionStatus` spellings folded in.

use serde_json::json;

use crate::error::ApiError;
use crate::storage::Tx;
use crate::storage::cases::{self, Case};

pub const STAGE_NEW: &str = "New";
pub const STAGE_IN_PROGRESS: &str = "InProgress";
pub const STAGE_CLOSED: &str = "Closed";

/// The predefined statuses and their stages; admins may add more (`case_status` table).
pub const BUILTIN: &[(&str, &str)] = &[
    ("New", STAGE_NEW),
    ("InProgress", STAGE_IN_PROGRESS),
    ("TruePositive", STAGE_CLOSED),
    ("FalsePositive", STAGE_CLOSED),
    ("Indeterminate", STAGE_CLOSED),
    ("Other", STAGE_CLOSED),
    ("Duplicated", STAGE_CLOSED),
];

/// Values accepted for `impactStatus`.
pub const IMPACT: &[&str] = &["NoImpact", "WithImpact", "NotApplicable"];

fn expected() -> String {
    let mut names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    names.extend(["Open", "Resolved"]);
    names.join("|")
}

/// The stage of a status name, if it is a known status.
pub async fn stage_of(tx: &mut Tx, name: &str) -> Result<Option<String>, ApiError> {
    if let Some((_, stage)) = BUILTIN.iter().find(|(n, _)| *n == name) {
        return Ok(Some((*stage).to_owned()));
    }
    Ok(cases::configured_status(tx, name).await?)
}

/// Resolves a requested status (and TheHive 4's `resolutionStatus`) into (status, stage).
/// `current` is the case being updated, `None` on creation.
pub async fn resolve(
    tx: &mut Tx,
    requested: &str,
    resolution: Option<&str>,
    current: Option<&Case>,
) -> Result<(String, String), ApiError> {
    match requested {
        // 4.x "Open": a new case starts New; a closed one is reopened; an open one stays.
        "Open" => Ok(match current {
            None => (STAGE_NEW.to_owned(), STAGE_NEW.to_owned()),
            Some(c) if c.stage == STAGE_CLOSED => (STAGE_IN_PROGRESS.to_owned(), STAGE_IN_PROGRESS.to_owned()),
            Some(c) => (c.status.clone(), c.stage.clone()),
        }),
        // 4.x "Resolved" + resolutionStatus: the resolution is TheHive 5's closing status.
        "Resolved" => {
            let closing = resolution.unwrap_or("Other");
            match stage_of(tx, closing).await? {
                Some(stage) if stage == STAGE_CLOSED => Ok((closing.to_owned(), stage)),
                _ => Err(ApiError::invalid("resolutionStatus", "a closing status", &json!(closing))),
            }
        }
        other => match stage_of(tx, other).await? {
            Some(stage) => Ok((other.to_owned(), stage)),
            None => Err(ApiError::invalid("status", &expected(), &json!(other))),
        },
    }
}

pub fn severity_label(v: i64) -> &'static str {
    match v {
        1 => "LOW",
        2 => "MEDIUM",
        3 => "HIGH",
        4 => "CRITICAL",
        _ => "UNKNOWN",
    }
}

/// TheHive 5 labels, TLP 2.0 in order of restriction: CLEAR 0, GREEN 1, AMBER 2,
/// AMBER+STRICT 3, RED 4. This is the numbering of TheHive 5 clients (Kibana's connector
/// `TheHiveTLP`, MCP/SOAR integrations written against TheHive 5); TheHive 4 had RED at 3.
pub fn tlp_label(v: i64) -> &'static str {
    match v {
        0 => "CLEAR",
        1 => "GREEN",
        2 => "AMBER",
        3 => "AMBER+STRICT",
        4 => "RED",
        _ => "UNKNOWN",
    }
}

pub fn pap_label(v: i64) -> &'static str {
    match v {
        0 => "CLEAR",
        1 => "GREEN",
        2 => "AMBER",
        3 => "RED",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(tlp_label(3), "AMBER+STRICT");
        assert_eq!(tlp_label(4), "RED");
        assert_eq!(tlp_label(0), "CLEAR");
        assert_eq!(severity_label(3), "HIGH");
        assert_eq!(pap_label(1), "GREEN");
    }
}
