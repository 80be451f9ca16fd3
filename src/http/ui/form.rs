//! HTML forms as the UI receives them: URL-encoded pairs, where a name may repeat
//! (checkbox groups), turned into the JSON objects the service layer takes.

use axum::extract::{FromRequest, Request};
use serde_json::{Map, Value};

use super::error::UiError;
use crate::app::App;
use crate::error::ApiError;

const MAX_FORM: usize = 2 * 1024 * 1024;

/// A submitted form, in order, repeated names kept.
#[derive(Debug, Default)]
pub struct UiForm(pub Vec<(String, String)>);

impl FromRequest<App> for UiForm {
    type Rejection = UiError;

    async fn from_request(req: Request, _app: &App) -> Result<UiForm, UiError> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM).await.map_err(|_| UiError::payload_too_large())?;
        Ok(UiForm(form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()))
    }
}

impl UiForm {
    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// The value to show again in a form field (`""` when absent).
    pub fn value(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    /// The raw value (untrimmed: passwords), `None` when absent or empty.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// Every non-blank value of a repeated name.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty()).collect()
    }

    /// A checkbox: present means checked.
    pub fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// A JSON object of the named fields that were filled in, as strings.
    pub fn json(&self, names: &[&str]) -> Value {
        let mut m = Map::new();
        for name in names {
            if let Some(v) = self.get(name) {
                m.insert((*name).to_owned(), Value::String(v.to_owned()));
            }
        }
        Value::Object(m)
    }

    /// Like `get`, but a missing value is the service layer's "attribute missing" error.
    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::missing(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_blank_fields() {
        let f = UiForm(vec![
            ("p".into(), "a".into()),
            ("p".into(), "b".into()),
            ("name".into(), "  x ".into()),
            ("email".into(), " ".into()),
        ]);
        assert_eq!(f.all("p"), vec!["a", "b"]);
        assert_eq!(f.get("name"), Some("x"));
        assert_eq!(f.get("email"), None);
        assert_eq!(f.json(&["name", "email"]), serde_json::json!({"name": "x"}));
        assert!(f.checked("email") && !f.checked("nope"));
    }
}
