//! Custom field values of alerts (spec §1.9), on the shared custom-field store: the same
//! input forms as cases (object, list, v0 typed map, dotted `customFields.<name>`).

use serde_json::Value;

use crate::error::ApiError;
use crate::service::custom_fields::{self as cf, ValueInput, read_values_any};
use crate::storage::Tx;
use crate::storage::custom_fields::{self, FieldValue, Owner};

const KEYS: &[&str] = &["customFields", "customFieldValue", "customFieldValues"];

/// Sets the values given at creation (`v` is the raw `customFields` value).
pub async fn set_on_create(
    tx: &mut Tx,
    alert_id: i64,
    v: &Value,
    by: &str,
    now: i64,
) -> Result<Vec<FieldValue>, ApiError> {
    let body = serde_json::json!({ "customFields": v });
    let inputs = read_values_any(&body, &["customFields"])?.unwrap_or_default();
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let resolved = cf::resolve(tx, &inputs).await?;
    for (field, order, value) in cf::merge(resolved, Vec::new()) {
        custom_fields::set_value(tx, Owner::Alert(alert_id), field.id, order, &value, by, now).await?;
    }
    values(tx, alert_id).await
}

/// The alert's values, by `order`.
pub async fn values(tx: &mut Tx, alert_id: i64) -> Result<Vec<FieldValue>, ApiError> {
    Ok(custom_fields::values_of(tx, Owner::Alert(alert_id)).await?)
}

/// Applies `customFields` / `customFields.<name>` of a PATCH body.
pub async fn update(tx: &mut Tx, alert_id: i64, body: &Value, by: &str, now: i64) -> Result<(), ApiError> {
    let mut inputs: Vec<ValueInput> = read_values_any(body, KEYS)?.unwrap_or_default();
    if let Some(map) = body.as_object() {
        for (k, v) in map {
            if let Some(name) = KEYS.iter().find_map(|p| k.strip_prefix(&format!("{p}."))) {
                inputs.push(ValueInput { name: name.to_owned(), value: v.clone(), order: None });
            }
        }
    }
    if inputs.is_empty() {
        return Ok(());
    }
    let resolved = cf::resolve(tx, &inputs).await?;
    let existing = values(tx, alert_id).await?;
    let mut next = existing.iter().map(|v| v.order + 1).max().unwrap_or(0);
    for r in &resolved {
        let order = match (r.order, existing.iter().find(|e| e.field_id == r.field.id)) {
            (Some(o), _) => o,
            (None, Some(e)) => e.order,
            (None, None) => {
                next += 1;
                next - 1
            }
        };
        custom_fields::set_value(tx, Owner::Alert(alert_id), r.field.id, order, &r.value, by, now).await?;
    }
    Ok(())
}
