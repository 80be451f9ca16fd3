//! Custom field definitions (global, spec §1.9) and their values on cases, alerts and case
//! templates (`custom_field_value`, one typed column per field type).

use serde_json::{Value as Json, json};

use super::db::{Row, Tx, Value};
use super::error::StorageError;
use super::meta::{META_COLUMNS, Meta};
use crate::args;

#[derive(Debug, Clone)]
pub struct CustomField {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub group_name: Option<String>,
    pub description: String,
    pub field_type: String,
    pub mandatory: bool,
    pub options: Vec<Json>,
    pub meta: Meta,
}

fn select() -> String {
    format!(
        "SELECT id, name, display_name, group_name, description, type, mandatory, options, {META_COLUMNS} \
         FROM custom_field"
    )
}

fn from_row(row: &Row) -> Result<CustomField, StorageError> {
    let options: String = row.get("options")?;
    Ok(CustomField {
        id: row.get("id")?,
        name: row.get("name")?,
        display_name: row.get("display_name")?,
        group_name: row.get("group_name")?,
        description: row.get("description")?,
        field_type: row.get("type")?,
        mandatory: row.get("mandatory")?,
        options: serde_json::from_str(&options)
            .map_err(|e| StorageError::Corrupt(format!("custom_field.options: {e}")))?,
        meta: Meta::from_row(row)?,
    })
}

pub struct NewCustomField<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub group_name: Option<&'a str>,
    pub description: &'a str,
    pub field_type: &'a str,
    pub mandatory: bool,
    pub options: &'a [Json],
}

/// Inserts a definition; a duplicate name violates `custom_field_name_key`.
pub async fn insert(tx: &mut Tx, f: &NewCustomField<'_>, by: &str, now: i64) -> Result<i64, StorageError> {
    tx.fetch_i64(
        "INSERT INTO custom_field (name, display_name, group_name, description, type, mandatory, options, \
         created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        args![
            f.name,
            f.display_name,
            f.group_name,
            f.description,
            f.field_type,
            f.mandatory,
            Json::from(f.options.to_vec()).to_string(),
            by,
            now
        ],
    )
    .await
}

/// Definitions are global: every caller may read them. By `~id` or name.
pub async fn find(tx: &mut Tx, id_or_name: &str) -> Result<Option<CustomField>, StorageError> {
    let row = match crate::ids::parse_id(id_or_name) {
        Some(id) => tx.fetch_optional(&format!("{} WHERE id = $1", select()), args![id]).await?,
        None => tx.fetch_optional(&format!("{} WHERE name = $1", select()), args![id_or_name]).await?,
    };
    row.as_ref().map(from_row).transpose()
}

pub async fn list(tx: &mut Tx) -> Result<Vec<CustomField>, StorageError> {
    let rows = tx.fetch_all(&format!("{} ORDER BY name", select()), args![]).await?;
    rows.iter().map(from_row).collect()
}

pub async fn list_mandatory(tx: &mut Tx) -> Result<Vec<CustomField>, StorageError> {
    let rows = tx.fetch_all(&format!("{} WHERE mandatory = TRUE ORDER BY name", select()), args![]).await?;
    rows.iter().map(from_row).collect()
}

#[derive(Debug, Default)]
pub struct CustomFieldUpdate {
    pub display_name: Option<String>,
    pub group_name: Option<Option<String>>,
    pub description: Option<String>,
    pub mandatory: Option<bool>,
    pub options: Option<Vec<Json>>,
}

pub async fn update(tx: &mut Tx, id: i64, u: &CustomFieldUpdate, by: &str, now: i64) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE custom_field SET display_name = COALESCE($1, display_name), \
         group_name = CASE WHEN $2 THEN $3 ELSE group_name END, description = COALESCE($4, description), \
         mandatory = COALESCE($5, mandatory), options = COALESCE($6, options), updated_by = $7, updated_at = $8 \
         WHERE id = $9",
        args![
            u.display_name.clone(),
            u.group_name.is_some(),
            u.group_name.clone().flatten(),
            u.description.clone(),
            u.mandatory,
            u.options.as_ref().map(|o| Json::from(o.clone()).to_string()),
            by,
            now,
            id
        ],
    )
    .await?;
    Ok(())
}

/// Number of values using the field (deletion without `force` is refused when in use).
pub async fn usage(tx: &mut Tx, id: i64) -> Result<i64, StorageError> {
    tx.fetch_i64("SELECT COUNT(*) FROM custom_field_value WHERE custom_field_id = $1", args![id]).await
}

pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM custom_field WHERE id = $1", args![id]).await?;
    Ok(())
}

/// Which kind of object holds a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Case(i64),
    Alert(i64),
    CaseTemplate(i64),
}

impl Owner {
    fn kind(self) -> &'static str {
        match self {
            Owner::Case(_) => "case",
            Owner::Alert(_) => "alert",
            Owner::CaseTemplate(_) => "case_template",
        }
    }

    fn id(self) -> i64 {
        match self {
            Owner::Case(id) | Owner::Alert(id) | Owner::CaseTemplate(id) => id,
        }
    }
}

/// A value, already checked against its field's type. `None` inside = present, no value.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    String(Option<String>),
    Integer(Option<i64>),
    Float(Option<f64>),
    Boolean(Option<bool>),
    Date(Option<i64>),
}

impl TypedValue {
    /// The API form of the value (`null` when empty).
    pub fn to_json(&self) -> Json {
        match self {
            TypedValue::String(v) => json!(v),
            TypedValue::Integer(v) | TypedValue::Date(v) => json!(v),
            TypedValue::Float(v) => json!(v),
            TypedValue::Boolean(v) => json!(v),
        }
    }
}

/// A value with its definition, as rendered inside cases, alerts and templates.
#[derive(Debug, Clone)]
pub struct FieldValue {
    pub id: i64,
    pub field_id: i64,
    pub name: String,
    pub display_name: String,
    pub description: String,
    pub field_type: String,
    pub order: i64,
    pub value: TypedValue,
}

/// Sets (inserts or replaces) the value of one field on an owner.
pub async fn set_value(
    tx: &mut Tx,
    owner: Owner,
    field_id: i64,
    order: i64,
    value: &TypedValue,
    by: &str,
    now: i64,
) -> Result<(), StorageError> {
    let (s, i, f, b, d) = match value {
        TypedValue::String(v) => (v.clone(), None, None, None, None),
        TypedValue::Integer(v) => (None, *v, None, None, None),
        TypedValue::Float(v) => (None, None, *v, None, None),
        TypedValue::Boolean(v) => (None, None, None, *v, None),
        TypedValue::Date(v) => (None, None, None, None, *v),
    };
    tx.execute(
        "INSERT INTO custom_field_value (custom_field_id, owner_kind, owner_id, position, string_value, integer_value, \
         float_value, boolean_value, date_value, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (owner_kind, owner_id, custom_field_id) DO UPDATE SET position = excluded.position, \
         string_value = excluded.string_value, integer_value = excluded.integer_value, \
         float_value = excluded.float_value, boolean_value = excluded.boolean_value, date_value = excluded.date_value, \
         updated_by = excluded.created_by, updated_at = excluded.created_at",
        args![field_id, owner.kind(), owner.id(), order, s, i, f, b, d, by, now],
    )
    .await?;
    Ok(())
}

const VALUE_SELECT: &str = "SELECT v.id, v.owner_id, v.custom_field_id, f.name, f.display_name, f.description, \
     f.type, v.position, v.string_value, v.integer_value, v.float_value, v.boolean_value, v.date_value \
     FROM custom_field_value v JOIN custom_field f ON f.id = v.custom_field_id";

fn value_from_row(r: &Row) -> Result<FieldValue, StorageError> {
    let ty: String = r.get("type")?;
    let value = match ty.as_str() {
        "integer" => TypedValue::Integer(r.get("integer_value")?),
        "float" => TypedValue::Float(r.get("float_value")?),
        "boolean" => TypedValue::Boolean(r.get("boolean_value")?),
        "date" => TypedValue::Date(r.get("date_value")?),
        _ => TypedValue::String(r.get("string_value")?),
    };
    Ok(FieldValue {
        id: r.get("id")?,
        field_id: r.get("custom_field_id")?,
        name: r.get("name")?,
        display_name: r.get("display_name")?,
        description: r.get("description")?,
        field_type: ty,
        order: r.get("position")?,
        value,
    })
}

/// The values of an owner, by `order`.
pub async fn values_of(tx: &mut Tx, owner: Owner) -> Result<Vec<FieldValue>, StorageError> {
    let sql = format!("{VALUE_SELECT} WHERE v.owner_kind = $1 AND v.owner_id = $2 ORDER BY v.position, f.name");
    let rows = tx.fetch_all(&sql, args![owner.kind(), owner.id()]).await?;
    rows.iter().map(value_from_row).collect()
}

/// `values_of` for many owners of one kind in one statement: owner id → its values, by
/// `order` (owners without values are absent).
pub async fn values_of_many(
    tx: &mut Tx,
    owners: &[Owner],
) -> Result<std::collections::HashMap<i64, Vec<FieldValue>>, StorageError> {
    let mut out: std::collections::HashMap<i64, Vec<FieldValue>> = std::collections::HashMap::new();
    let Some(first) = owners.first() else { return Ok(out) };
    let list = (2..owners.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "{VALUE_SELECT} WHERE v.owner_kind = $1 AND v.owner_id IN ({list}) ORDER BY v.owner_id, v.position, f.name"
    );
    let mut binds = args![first.kind()];
    binds.extend(owners.iter().map(|o| Value::from(o.id())));
    for r in tx.fetch_all(&sql, binds).await? {
        out.entry(r.get::<i64>("owner_id")?).or_default().push(value_from_row(&r)?);
    }
    Ok(out)
}

/// One value by its id, with the owner it belongs to (for `DELETE /case/customField/{id}`).
pub async fn value_owner(tx: &mut Tx, value_id: i64) -> Result<Option<(String, i64)>, StorageError> {
    let row =
        tx.fetch_optional("SELECT owner_kind, owner_id FROM custom_field_value WHERE id = $1", args![value_id]).await?;
    row.map(|r| Ok((r.get("owner_kind")?, r.get("owner_id")?))).transpose()
}

pub async fn delete_value(tx: &mut Tx, value_id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM custom_field_value WHERE id = $1", args![value_id]).await?;
    Ok(())
}

/// Removes every value of an owner (its owner row is being deleted).
pub async fn delete_values_of(tx: &mut Tx, owner: Owner) -> Result<(), StorageError> {
    tx.execute(
        "DELETE FROM custom_field_value WHERE owner_kind = $1 AND owner_id = $2",
        args![owner.kind(), owner.id()],
    )
    .await?;
    Ok(())
}
