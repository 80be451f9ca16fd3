//! Renderers for what only the query DSL and the search produce: entities read by the
//! generic loader (every catalogue property under its TheHive name) and search hits.

use serde_json::{Map, Value, json};

use super::render::{base, put_opt};
use crate::ids::render_id;
use crate::storage::meta::Meta;
use crate::storage::query::SearchHit;
use crate::storage::query::rows::{FieldValue, GenericRow};

pub fn generic(row: &GenericRow) -> Value {
    let meta = Meta {
        created_by: row.created_by.clone(),
        created_at: row.created_at,
        updated_by: row.updated_by.clone(),
        updated_at: row.updated_at,
    };
    let mut m = base(row.entity.label(), row.id, &meta);
    for (name, value) in &row.fields {
        let v = match value {
            FieldValue::Text(s) => json!(s),
            FieldValue::Integer(i) => json!(i),
            FieldValue::Float(f) => json!(f),
            FieldValue::Bool(b) => json!(b),
            FieldValue::Id(id) => json!(render_id(*id)),
            FieldValue::Json(v) => v.clone(),
        };
        m.insert((*name).into(), v);
    }
    m.insert("extraData".into(), json!({}));
    Value::Object(m)
}

/// `{"_type", "_id", "title", "caseId"?, "alertId"?, "taskId"?, "_createdAt", "score"}`.
pub fn search_hit(hit: &SearchHit) -> Value {
    let mut m = Map::new();
    m.insert("_type".into(), json!(hit.entity.label()));
    m.insert("_id".into(), json!(render_id(hit.id)));
    put_opt(&mut m, "title", hit.title.as_ref());
    put_opt(&mut m, "caseId", hit.case_id.map(render_id));
    put_opt(&mut m, "alertId", hit.alert_id.map(render_id));
    put_opt(&mut m, "taskId", hit.task_id.map(render_id));
    m.insert("_createdAt".into(), json!(hit.created_at));
    m.insert("score".into(), json!(hit.score));
    Value::Object(m)
}
