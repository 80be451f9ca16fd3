//! The global full-text search (`GET|POST /api/v1/search`, a Waggle addition: TheHive 4
//! had none): ranked matches over cases, alerts, observables, tasks, task logs, comments
//! and pages, limited to what the caller may see.
//!
//! Parameters (JSON body, or the same names in the query string):
//! - `query` (or `q`), required: terms that must all match, `"exact phrases"`, `prefix*`;
//! - `types`: entity types to search (`case`, `alert`, `observable`, `task`, `log`,
//!   `comment`, `page`; an array or a comma-separated string), default all;
//! - `from` (default 0) and `size` (default 20, at most 100): the slice of the ranking.

use serde_json::Value;

use super::query::{context, limits, read_tx, run_error};
use crate::app::App;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::query::Entity;
use crate::storage::query::{self as storage_query, SearchHit, searchable_entities};

const DEFAULT_SIZE: u64 = 20;
const MAX_SIZE: u64 = 100;

pub async fn search(app: &App, caller: &Caller, params: &Value) -> Result<Vec<SearchHit>, ApiError> {
    super::object(params)?;
    let text = match params.get("query").or_else(|| params.get("q")) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) | None | Some(Value::Null) => return Err(ApiError::missing("query")),
        Some(other) => return Err(ApiError::invalid("query", "string", other)),
    };
    let types = types(params.get("types"))?;
    let from = number(params, "from")?.unwrap_or(0);
    let size = number(params, "size")?.unwrap_or(DEFAULT_SIZE);
    if size > MAX_SIZE {
        return Err(ApiError::invalid("size", &format!("0..{MAX_SIZE}"), &Value::from(size)));
    }
    let mut tx = read_tx(app).await?;
    storage_query::search(&mut tx, &context(caller), limits(app), &text, &types, from, size)
        .await
        .map_err(|e| run_error(app, e))
}

/// A non-negative integer, as a JSON number or (query string) a numeric string.
fn number(params: &Value, name: &str) -> Result<Option<u64>, ApiError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.is_u64() => Ok(n.as_u64()),
        Some(Value::String(s)) if s.parse::<u64>().is_ok() => Ok(s.parse().ok()),
        Some(other) => Err(ApiError::invalid(name, "non-negative integer", other)),
    }
}

fn types(value: Option<&Value>) -> Result<Vec<Entity>, ApiError> {
    let names: Vec<String> = match value {
        None | Some(Value::Null) => return Ok(searchable_entities().collect()),
        Some(Value::String(s)) => s.split(',').map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(|| ApiError::invalid("types", "array of strings", i)))
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(ApiError::invalid("types", "array of strings", other)),
    };
    let accepted = || searchable_entities().map(|e| e.label().to_lowercase()).collect::<Vec<_>>().join("|");
    names
        .iter()
        .map(|name| {
            searchable_entities()
                .find(|e| e.label().eq_ignore_ascii_case(name))
                .ok_or_else(|| ApiError::invalid("types", &accepted(), &Value::from(name.as_str())))
        })
        .collect()
}
