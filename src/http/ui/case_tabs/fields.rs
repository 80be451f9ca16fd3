//! The custom fields of a case, on its summary page: their values edited in one form, and
//! a field added from the global definitions. Values are typed here the way the service
//! wants them (numbers, booleans, dates as epoch milliseconds); an empty input clears a
//! value. The service checks types, options and permissions.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::error::ApiError;
use crate::http::ui::error::UiError;
use crate::http::ui::form::UiForm;
use crate::http::ui::listing;
use crate::http::ui::page::{Ui, done, or_show_again};
use crate::service::{cases, custom_fields};
use crate::storage::custom_fields::{CustomField, FieldValue, TypedValue};

pub fn router() -> Router<App> {
    Router::new().route("/cases/{number}/fields", post(save))
}

/// A stored value as its input shows it (`YYYY-MM-DD` for dates, `true`/`false`).
pub fn input_value(v: &FieldValue) -> String {
    match &v.value {
        TypedValue::String(s) => s.clone().unwrap_or_default(),
        TypedValue::Integer(n) => n.map(|n| n.to_string()).unwrap_or_default(),
        TypedValue::Float(f) => f.map(|f| f.to_string()).unwrap_or_default(),
        TypedValue::Boolean(b) => b.map(|b| b.to_string()).unwrap_or_default(),
        TypedValue::Date(d) => d.map(|d| crate::http::ui::format::iso(&d)[..10].to_owned()).unwrap_or_default(),
    }
}

/// The HTML input type of a field type.
pub fn input_type(field_type: &str) -> &'static str {
    match field_type {
        "integer" | "float" => "number",
        "date" => "date",
        "url" => "url",
        _ => "text",
    }
}

/// A typed input as the JSON value the service reads; blank is `null` (clear).
fn typed(def: &CustomField, raw: &str) -> Result<Value, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    let bad = || ApiError::invalid(&def.name, &def.field_type, &json!(raw));
    Ok(match def.field_type.as_str() {
        "integer" => json!(raw.parse::<i64>().map_err(|_| bad())?),
        "float" => json!(raw.parse::<f64>().map_err(|_| bad())?),
        "boolean" => json!(raw.parse::<bool>().map_err(|_| bad())?),
        "date" => json!(listing::day_ms(raw).ok_or_else(bad)?),
        _ => json!(raw),
    })
}

/// The form: `cf.<name>` per value shown, and optionally `addField` + `addValue`.
pub fn values_of(form: &UiForm, defs: &[CustomField]) -> Result<Map<String, Value>, ApiError> {
    let def = |name: &str| {
        defs.iter().find(|d| d.name == name).ok_or_else(|| ApiError::BadRequest(format!("Unknown custom field {name}")))
    };
    let mut out = Map::new();
    for (k, v) in &form.0 {
        if let Some(name) = k.strip_prefix("cf.") {
            out.insert(name.to_owned(), typed(def(name)?, v)?);
        }
    }
    if let Some(name) = form.get("addField") {
        out.insert(name.to_owned(), typed(def(name)?, form.value("addValue"))?);
    }
    Ok(out)
}

async fn save(State(app): State<App>, ui: Ui, Path(number): Path<String>, form: UiForm) -> Result<Response, UiError> {
    let to = format!("/cases/{number}");
    let result = async {
        let defs = custom_fields::list(&app).await?;
        let values = values_of(&form, &defs)?;
        if values.is_empty() {
            return Err(ApiError::missing("customFields"));
        }
        cases::update(&app, &ui.caller, &number, &json!({ "customFields": values })).await.map(|()| done(&to, "saved"))
    }
    .await;
    or_show_again(
        result,
        |msg| async move { crate::http::ui::cases::render_case(&app, &ui, &number, Some(&msg)).await },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::meta::Meta;

    fn def(name: &str, t: &str) -> CustomField {
        CustomField {
            id: 1,
            name: name.into(),
            display_name: name.into(),
            group_name: None,
            description: String::new(),
            field_type: t.into(),
            mandatory: false,
            options: Vec::new(),
            meta: Meta { created_by: String::new(), created_at: 0, updated_by: None, updated_at: None },
        }
    }

    #[test]
    fn inputs_are_typed_and_blank_clears() {
        let defs = [def("hosts", "integer"), def("seen", "date"), def("ok", "boolean"), def("bu", "string")];
        let form = UiForm(vec![
            ("cf.hosts".into(), "12".into()),
            ("cf.seen".into(), "1970-01-02".into()),
            ("cf.bu".into(), " ".into()),
            ("addField".into(), "ok".into()),
            ("addValue".into(), "true".into()),
        ]);
        let v = values_of(&form, &defs).ok();
        assert_eq!(v.map(Value::Object), Some(json!({"hosts": 12, "seen": 86_400_000, "bu": null, "ok": true})));
        let bad = UiForm(vec![("cf.hosts".into(), "many".into())]);
        assert!(values_of(&bad, &defs).is_err());
        assert!(values_of(&UiForm(vec![("cf.nope".into(), "1".into())]), &defs).is_err());
    }
}
