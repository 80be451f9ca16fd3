//! The service layer: what users do, as functions shared by API v1, API v0, the UI and the
//! integrations. Each function takes the caller (authorisation is checked here, visibility
//! is applied by storage through the caller's scope), opens one transaction, writes its
//! audit row in it, and commits once. Handlers only translate HTTP to these calls.

pub mod alerts;
pub mod attachments;
pub mod audit;
pub mod bootstrap;
pub mod case_templates;
pub mod cases;
pub mod comments;
pub mod custom_events;
pub mod custom_fields;
pub mod input;
pub mod live;
pub mod logs;
pub mod misp;
pub mod observable_types;
pub mod observables;
pub mod organisation_links;
pub mod organisations;
pub mod pages;
pub mod procedures;
pub mod profiles;
pub mod query;
pub mod search;
pub mod sharing;
pub mod tasks;
pub mod users;
pub mod wire;

use crate::error::ApiError;

/// Reads an optional string field that must be a string when present.
pub(crate) fn opt_str(v: &serde_json::Value, name: &str) -> Result<Option<String>, ApiError> {
    match v.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::invalid(name, "string", other)),
    }
}

/// Reads a required non-empty string field.
pub(crate) fn req_str(v: &serde_json::Value, name: &str) -> Result<String, ApiError> {
    match opt_str(v, name)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(ApiError::missing(name)),
    }
}

/// Reads an optional boolean field (JSON boolean, or the strings TheHive accepts).
pub(crate) fn opt_bool(v: &serde_json::Value, name: &str) -> Result<Option<bool>, ApiError> {
    match v.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Bool(b)) => Ok(Some(*b)),
        Some(serde_json::Value::String(s)) if s == "true" || s == "1" || s == "True" => Ok(Some(true)),
        Some(serde_json::Value::String(s)) if s == "false" || s == "0" || s == "False" => Ok(Some(false)),
        Some(other) => Err(ApiError::invalid(name, "boolean", other)),
    }
}

/// Requires the body to be a JSON object.
pub(crate) fn object(v: &serde_json::Value) -> Result<(), ApiError> {
    if v.is_object() { Ok(()) } else { Err(ApiError::BadRequest("Request body must be a JSON object".into())) }
}
