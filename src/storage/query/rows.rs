//! The generic loader: reads entities by id with every output property of their
//! catalogue entry, for the entities that have no dedicated loader and renderer (patterns,
//! taxonomies, dashboards, jobs, ...). Entities with a REST API of their own are hydrated
//! by their own storage module instead, so that a query renders them exactly as a GET.
//!
//! The ids come from a query that already applied the visibility rule in the same
//! transaction; this loader only reads them back.

use std::collections::HashMap;

use super::builder::{Builder, Limits, QueryContext};
use super::catalogue::{self, FieldType, Shape};
use crate::query::Entity;
use crate::storage::{StorageError, Tx};

/// A property value as read from the database.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
    /// An internal id (rendered `~n`).
    Id(i64),
    Json(serde_json::Value),
}

/// One entity read generically: its meta fields and its present properties, in catalogue
/// order (absent optional properties are left out).
#[derive(Debug, Clone)]
pub struct GenericRow {
    pub entity: Entity,
    pub id: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_by: Option<String>,
    pub updated_at: Option<i64>,
    pub fields: Vec<(&'static str, FieldValue)>,
}

/// Loads `ids` of `entity`, in the order given; ids that no longer exist are skipped.
pub async fn load(
    tx: &mut Tx,
    ctx: &QueryContext,
    entity: Entity,
    ids: &[i64],
) -> Result<Vec<GenericRow>, StorageError> {
    let Some(def) = catalogue::entity(entity) else {
        return Ok(Vec::new());
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let cfs = HashMap::new();
    let limits = Limits { max_results: 0, limited_count_threshold: 0 };
    let mut b = Builder::new(tx.backend(), ctx, limits, &cfs);
    let fields: Vec<_> = def.output_fields().collect();
    let mut columns =
        vec!["t.id AS id".to_owned(), "t.created_by AS created_by".to_owned(), "t.created_at AS created_at".to_owned()];
    if def.updatable {
        columns.push("t.updated_by AS updated_by".to_owned());
        columns.push("t.updated_at AS updated_at".to_owned());
    }
    for (i, field) in fields.iter().enumerate() {
        let template = match field.shape {
            Shape::Expr(sql) => sql,
            Shape::Tags { .. } => "{t}.tags",
        };
        columns.push(format!("{} AS f{i}", b.expr(template, "t")));
    }
    let list: Vec<String> = ids.iter().map(|id| b.bind(*id)).collect();
    let sql = format!("SELECT {} FROM {} t WHERE t.id IN ({})", columns.join(", "), def.table, list.join(", "));
    let rows = tx.fetch_all(&sql, b.into_args()).await?;
    let mut by_id = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.get("id")?;
        let mut values = Vec::with_capacity(fields.len());
        for (i, field) in fields.iter().enumerate() {
            let col = format!("f{i}");
            let ty = match field.shape {
                Shape::Tags { .. } => FieldType::Json,
                Shape::Expr(_) => field.ty,
            };
            let value = match ty {
                FieldType::Text => row.get::<Option<String>>(&col)?.map(FieldValue::Text),
                FieldType::Integer | FieldType::Date => row.get::<Option<i64>>(&col)?.map(FieldValue::Integer),
                FieldType::Float => row.get::<Option<f64>>(&col)?.map(FieldValue::Float),
                FieldType::Bool => row.get::<Option<bool>>(&col)?.map(FieldValue::Bool),
                FieldType::Id => row.get::<Option<i64>>(&col)?.map(FieldValue::Id),
                FieldType::Json => row.get::<Option<String>>(&col)?.map(|text| {
                    FieldValue::Json(serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
                }),
            };
            if let Some(value) = value {
                values.push((field.name, value));
            }
        }
        let (updated_by, updated_at) =
            if def.updatable { (row.get("updated_by")?, row.get("updated_at")?) } else { (None, None) };
        by_id.insert(
            id,
            GenericRow {
                entity,
                id,
                created_by: row.get("created_by")?,
                created_at: row.get("created_at")?,
                updated_by,
                updated_at,
                fields: values,
            },
        );
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}
