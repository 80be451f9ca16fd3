//! Custom fields (spec §1.9): the global definitions, managed from the admin organisation,
//! and the reading of custom field values given to cases and templates in any of TheHive's
//! input forms (object, list, v0 typed object).

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::input::{opt_array, unknown};
use super::{object, opt_bool, opt_str, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::{ApiError, ResultExt};
use crate::storage::Tx;
use crate::storage::custom_fields::{self, CustomField, CustomFieldUpdate, NewCustomField, TypedValue};

pub const TYPES: &[&str] = &["string", "integer", "float", "boolean", "date", "url"];

pub async fn list(app: &App) -> Result<Vec<CustomField>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(custom_fields::list(&mut tx).await?)
}

pub async fn get(app: &App, id_or_name: &str) -> Result<CustomField, ApiError> {
    let mut tx = app.store.read().await?;
    custom_fields::find(&mut tx, id_or_name).await?.ok_or_else(|| ApiError::not_found("CustomField"))
}

fn read_options(body: &Value, field_type: &str) -> Result<Option<Vec<Value>>, ApiError> {
    let Some(items) = opt_array(body, "options")? else { return Ok(None) };
    let probe = CustomField {
        id: 0,
        name: "options".into(),
        display_name: String::new(),
        group_name: None,
        description: String::new(),
        field_type: field_type.to_owned(),
        mandatory: false,
        options: Vec::new(),
        meta: crate::storage::meta::Meta {
            created_by: String::new(),
            created_at: 0,
            updated_by: None,
            updated_at: None,
        },
    };
    for item in items {
        if item.is_null() {
            return Err(ApiError::invalid("options", &format!("array of {field_type}"), item));
        }
        typed_value(&probe, item, "options")?;
    }
    Ok(Some(items.clone()))
}

/// `POST /customField`. Accepts TheHive 4 v0's spelling too (`reference` = name, `name` =
/// display name).
pub async fn create(app: &App, caller: &Caller, body: &Value) -> Result<CustomField, ApiError> {
    caller.require(perm::MANAGE_CUSTOM_FIELD, "create custom field")?;
    object(body)?;
    let (name, display_name) = match opt_str(body, "reference")? {
        Some(reference) if !reference.trim().is_empty() => (reference, opt_str(body, "name")?),
        _ => (req_str(body, "name")?, opt_str(body, "displayName")?),
    };
    let name = name.trim().to_owned();
    let field_type = super::input::opt_enum(body, "type", TYPES)?.ok_or_else(|| ApiError::missing("type"))?;
    let description = opt_str(body, "description")?.unwrap_or_default();
    let group = opt_str(body, "group")?.filter(|g| !g.is_empty());
    let mandatory = opt_bool(body, "mandatory")?.unwrap_or(false);
    let options = read_options(body, &field_type)?.unwrap_or_default();
    let display_name = display_name.filter(|d| !d.is_empty()).unwrap_or_else(|| name.clone());
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let new = NewCustomField {
        name: &name,
        display_name: &display_name,
        group_name: group.as_deref(),
        description: &description,
        field_type: &field_type,
        mandatory,
        options: &options,
    };
    let id = custom_fields::insert(&mut tx, &new, &caller.login, now).await.on_unique(
        "custom_field_name_key",
        "custom_field.name",
        || ApiError::Create(format!("CustomField {name} already exists")),
    )?;
    let details = json!({"name": name, "type": field_type, "mandatory": mandatory, "options": options});
    record(
        &mut tx,
        caller,
        Action { operation: "create", object_type: "CustomField", object_id: id, root: None, details },
        now,
    )
    .await?;
    let f = custom_fields::find(&mut tx, &crate::ids::render_id(id))
        .await?
        .ok_or_else(|| ApiError::Internal("custom field vanished".into()))?;
    tx.commit().await?;
    Ok(f)
}

/// `PATCH /customField/{id}`: display name, group, description, options, mandatory. The
/// type cannot change (stored values would no longer match it).
pub async fn update(app: &App, caller: &Caller, id_or_name: &str, body: &Value) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_CUSTOM_FIELD, "update custom field")?;
    object(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let f = custom_fields::find(&mut tx, id_or_name).await?.ok_or_else(|| ApiError::not_found("CustomField"))?;
    if let Some(t) = super::input::opt_enum(body, "type", TYPES)?
        && t != f.field_type
    {
        return Err(ApiError::invalid("type", &f.field_type, &json!(t)));
    }
    let u = CustomFieldUpdate {
        display_name: opt_str(body, "displayName")?,
        group_name: match super::input::patch_str(body, "group", true)? {
            super::input::Patch::Absent => None,
            super::input::Patch::Clear => Some(None),
            super::input::Patch::Set(g) => Some(Some(g)),
        },
        description: opt_str(body, "description")?,
        mandatory: opt_bool(body, "mandatory")?,
        options: read_options(body, &f.field_type)?,
    };
    custom_fields::update(&mut tx, f.id, &u, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action { operation: "update", object_type: "CustomField", object_id: f.id, root: None, details: body.clone() },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /customField/{id}?force=`: refused while values use the field, unless forced
/// (which removes the values too).
pub async fn delete(app: &App, caller: &Caller, id_or_name: &str, force: bool) -> Result<(), ApiError> {
    caller.require(perm::MANAGE_CUSTOM_FIELD, "delete custom field")?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let f = custom_fields::find(&mut tx, id_or_name).await?.ok_or_else(|| ApiError::not_found("CustomField"))?;
    let used = custom_fields::usage(&mut tx, f.id).await?;
    if used > 0 && !force {
        return Err(ApiError::BadRequest(format!("Custom field {} is used {used} times; use force to delete", f.name)));
    }
    custom_fields::delete(&mut tx, f.id).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "CustomField",
            object_id: f.id,
            root: None,
            details: json!({"name": f.name}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A custom field value as given in a request, before it is checked against its field.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueInput {
    pub name: String,
    pub value: Value,
    pub order: Option<i64>,
}

/// Reads custom field values from `body[key]` in any accepted form:
/// `{"name": value}`, `[{"name", "value", "order"?}]` or v0's `{"name": {"string": v, "order": n}}`.
pub fn read_values(body: &Value, key: &str) -> Result<Option<Vec<ValueInput>>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(
            map.iter()
                .map(|(name, v)| {
                    let typed = v.as_object().filter(|o| {
                        o.keys().all(|k| {
                            matches!(k.as_str(), "string" | "integer" | "float" | "boolean" | "date" | "order")
                        }) && o.keys().any(|k| k != "order")
                    });
                    match typed {
                        Some(o) => {
                            let value =
                                o.iter().find(|(k, _)| *k != "order").map(|(_, v)| v.clone()).unwrap_or(Value::Null);
                            ValueInput { name: name.clone(), value, order: o.get("order").and_then(Value::as_i64) }
                        }
                        None => ValueInput { name: name.clone(), value: v.clone(), order: None },
                    }
                })
                .collect(),
        )),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let at = format!("{key}[{i}]");
                if !item.is_object() {
                    return Err(ApiError::invalid(&at, "object {name, value, order?}", item));
                }
                let name = req_str(item, "name").map_err(|e| super::input::nest(&at, e))?;
                let order = super::input::opt_i64(item, "order").map_err(|e| super::input::nest(&at, e))?;
                Ok(ValueInput { name, value: item.get("value").cloned().unwrap_or(Value::Null), order })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(ApiError::invalid(key, "object or array of custom field values", other)),
    }
}

/// Reads values from the first key present among `keys` (TheHive 4 and 5 spellings).
pub fn read_values_any(body: &Value, keys: &[&str]) -> Result<Option<Vec<ValueInput>>, ApiError> {
    for key in keys {
        if let Some(v) = read_values(body, key)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// A checked value: its definition, its explicit order (if given) and its typed value.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub field: CustomField,
    pub order: Option<i64>,
    pub value: TypedValue,
}

/// Checks values against their definitions. An unknown field or a value of the wrong type
/// is a 400 naming `customFields.<name>`.
pub async fn resolve(tx: &mut Tx, inputs: &[ValueInput]) -> Result<Vec<Resolved>, ApiError> {
    let mut out: Vec<Resolved> = Vec::new();
    for input in inputs {
        let at = format!("customFields.{}", input.name);
        let field = custom_fields::find(tx, &input.name)
            .await?
            .filter(|_| crate::ids::parse_id(&input.name).is_none())
            .ok_or_else(|| unknown(&at, "custom field", &input.name))?;
        let value = typed_value(&field, &input.value, &at)?;
        out.retain(|r| r.field.id != field.id);
        out.push(Resolved { field, order: input.order, value });
    }
    Ok(out)
}

/// Checks one JSON value against a field's type and options.
pub fn typed_value(field: &CustomField, v: &Value, at: &str) -> Result<TypedValue, ApiError> {
    let bad = || ApiError::invalid(at, &field.field_type, v);
    let typed = match field.field_type.as_str() {
        "integer" => TypedValue::Integer(match v {
            Value::Null => None,
            Value::Number(n) => Some(n.as_i64().ok_or_else(bad)?),
            Value::String(s) => Some(s.trim().parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        }),
        "float" => TypedValue::Float(match v {
            Value::Null => None,
            Value::Number(n) => Some(n.as_f64().ok_or_else(bad)?),
            Value::String(s) => Some(s.trim().parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        }),
        "boolean" => TypedValue::Boolean(match v {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "true" => Some(true),
            Value::String(s) if s == "false" => Some(false),
            _ => return Err(bad()),
        }),
        "date" => TypedValue::Date(match v {
            Value::Null => None,
            Value::Number(n) => Some(n.as_i64().ok_or_else(bad)?),
            Value::String(s) => Some(s.trim().parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        }),
        "url" => TypedValue::String(match v {
            Value::Null => None,
            Value::String(s) if s.contains("://") && !s.contains(char::is_whitespace) => Some(s.clone()),
            _ => return Err(bad()),
        }),
        _ => TypedValue::String(match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => return Err(bad()),
        }),
    };
    if !field.options.is_empty() && !v.is_null() {
        let tj = typed.to_json();
        if !field.options.iter().any(|o| o == v || *o == tj || o.as_f64().zip(tj.as_f64()).is_some_and(|(a, b)| a == b))
        {
            return Err(ApiError::invalid(at, &format!("one of {}", Value::from(field.options.clone())), v));
        }
    }
    Ok(typed)
}

/// Merges values: `first` wins over `second` for the same field; explicit orders are kept
/// for sorting, then orders are renumbered 0..n (first's fields before second's).
pub fn merge(first: Vec<Resolved>, second: Vec<Resolved>) -> Vec<(CustomField, i64, TypedValue)> {
    let mut all: Vec<Resolved> = first;
    for r in second {
        if !all.iter().any(|a| a.field.id == r.field.id) {
            all.push(r);
        }
    }
    let mut indexed: Vec<(usize, Resolved)> = all.into_iter().enumerate().collect();
    indexed.sort_by_key(|(i, r)| (r.order.unwrap_or(i64::MAX), *i));
    indexed.into_iter().enumerate().map(|(n, (_, r))| (r.field, n as i64, r.value)).collect()
}

/// Refuses to close an object whose mandatory custom fields have no value (TheHive 5:
/// "mandatory fields must be completed before a case or an alert can be closed").
pub fn check_mandatory_on_close(
    values: &[custom_fields::FieldValue],
    mandatory: &[CustomField],
) -> Result<(), ApiError> {
    for v in values {
        if mandatory.iter().any(|m| m.id == v.field_id) && v.value.to_json().is_null() {
            return Err(ApiError::missing(&format!("customFields.{}", v.name)));
        }
    }
    Ok(())
}
