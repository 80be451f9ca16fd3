//! Reading share requests: TheHive 5's `InputShare` `{organisation, share?, profile?,
//! taskRule?, observableRule?}` and TheHive 4's `{organisationName, profile, tasks: all|none,
//! observables: all|none}`, and the sharing rules.

use serde_json::{Value, json};

use crate::error::ApiError;
use crate::service::input::nest;
use crate::service::{object, opt_bool, opt_str};

/// The sharing rules of TheHive 5 (what a share gets automatically):
/// - `all`: the tasks (observables) the case has when the share is made, and every new one;
/// - `existingOnly`: those the case has when the share is made;
/// - `upcomingOnly`: those created afterwards;
/// - `manual` (default) and `none` (TheHive 4's "do not share"): nothing, items are shared
///   one by one.
pub const RULES: &[&str] = &["manual", "all", "none", "existingOnly", "upcomingOnly"];

/// Rules under which a share takes the items that exist when it is made.
pub const TAKES_EXISTING: &[&str] = &["all", "existingOnly"];
/// Rules under which a share takes new items.
pub const TAKES_NEW: &[&str] = &["all", "upcomingOnly"];

/// Reads an optional sharing rule. TheHive 5.1+ names `all` `autoShare` in its UI: accepted.
pub fn opt_rule(body: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match opt_str(body, name)? {
        None => Ok(None),
        Some(r) if r == "autoShare" => Ok(Some("all".into())),
        Some(r) if RULES.contains(&r.as_str()) => Ok(Some(r)),
        Some(r) => Err(ApiError::invalid(name, &RULES.join("|"), &json!(r))),
    }
}

/// One entry of a share request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareInput {
    pub organisation: String,
    /// `false` asks to remove the share (TheHive 5 `PUT` and `sharingParameters`).
    pub share: bool,
    /// A permission profile (or a sharing profile) name; `None` keeps or defaults.
    pub profile: Option<String>,
    pub task_rule: Option<String>,
    pub observable_rule: Option<String>,
}

/// TheHive 4's `tasks`/`observables` flag: `all` shares what exists now.
fn v4_filter(v: &Value, name: &str) -> Result<Option<String>, ApiError> {
    match opt_str(v, name)?.as_deref() {
        None => Ok(None),
        Some("all") => Ok(Some("existingOnly".into())),
        Some("none") => Ok(Some("manual".into())),
        Some(other) => Err(ApiError::invalid(name, "all|none", &json!(other))),
    }
}

impl ShareInput {
    pub fn parse(v: &Value) -> Result<ShareInput, ApiError> {
        object(v)?;
        let organisation = match opt_str(v, "organisation")? {
            Some(o) => o,
            None => opt_str(v, "organisationName")?.ok_or_else(|| ApiError::missing("organisation"))?,
        };
        if organisation.trim().is_empty() {
            return Err(ApiError::missing("organisation"));
        }
        let task_rule = match opt_rule(v, "taskRule")? {
            Some(r) => Some(r),
            None => v4_filter(v, "tasks")?,
        };
        let observable_rule = match opt_rule(v, "observableRule")? {
            Some(r) => Some(r),
            None => v4_filter(v, "observables")?,
        };
        Ok(ShareInput {
            organisation,
            share: opt_bool(v, "share")?.unwrap_or(true),
            profile: opt_str(v, "profile")?.filter(|p| !p.trim().is_empty()),
            task_rule,
            observable_rule,
        })
    }

    /// Reads a list of entries (`shares`, `sharingParameters`), naming a bad one by index.
    pub fn parse_list(items: &[Value], field: &str) -> Result<Vec<ShareInput>, ApiError> {
        items
            .iter()
            .enumerate()
            .map(|(i, v)| ShareInput::parse(v).map_err(|e| nest(&format!("{field}[{i}]"), e)))
            .collect()
    }
}

/// Reads `{shares: [...]}`.
pub fn shares_body(body: &Value) -> Result<Vec<ShareInput>, ApiError> {
    object(body)?;
    match body.get("shares") {
        Some(Value::Array(items)) => ShareInput::parse_list(items, "shares"),
        None | Some(Value::Null) => Err(ApiError::missing("shares")),
        Some(other) => Err(ApiError::invalid("shares", "array of shares", other)),
    }
}

/// Reads a required array of strings (`organisations`, `ids`).
pub fn names(body: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    object(body)?;
    match body.get(field) {
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
                other => Err(ApiError::invalid(field, "array of names", other)),
            })
            .collect(),
        None | Some(Value::Null) => Err(ApiError::missing(field)),
        Some(other) => Err(ApiError::invalid(field, "array of names", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_spellings() {
        let v5 = ShareInput::parse(&json!({"organisation": "b", "profile": "analyst", "taskRule": "autoShare"}))
            .expect("v5");
        assert_eq!(v5.task_rule.as_deref(), Some("all"));
        assert!(v5.share);
        let v4 =
            ShareInput::parse(&json!({"organisationName": "b", "profile": "read-only", "tasks": "all"})).expect("v4");
        assert_eq!(v4.organisation, "b");
        assert_eq!(v4.task_rule.as_deref(), Some("existingOnly"));
        assert!(ShareInput::parse(&json!({"organisation": "b", "taskRule": "sometimes"})).is_err());
        assert!(ShareInput::parse(&json!({"profile": "analyst"})).is_err());
    }
}
