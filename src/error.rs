//! The one error type at the HTTP edge, and its mapping to TheHive's error JSON.
//!
//! Policy: every failure a client can cause maps to a 4xx with TheHive's
//! `{"type": …, "message": …}` body (thehive4py prints `"<type> - <message>"`). Anything
//! else is `Internal`: its cause is logged inside the request span (which carries the
//! request id) and the body says nothing but the request id. The service layer returns
//! this type directly, so the mapping lives in exactly one table (`kind` below).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::storage::StorageError;

/// One field-level validation problem, as in TheHive's `AttributeCheckingError.errors`.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeError {
    Missing { name: String },
    InvalidFormat { name: String, format: String, value: serde_json::Value },
    Unknown { name: String },
}

impl AttributeError {
    fn to_json(&self) -> serde_json::Value {
        match self {
            AttributeError::Missing { name } => json!({"type": "MissingAttributeError", "name": name}),
            AttributeError::InvalidFormat { name, format, value } => json!({
                "type": "InvalidFormatAttributeError", "name": name, "format": format,
                "acceptedInput": [], "field": value
            }),
            AttributeError::Unknown { name } => json!({"type": "UnknownAttributeError", "name": name}),
        }
    }

    fn message(&self) -> String {
        match self {
            AttributeError::Missing { name } => format!("Attribute {name} is missing"),
            AttributeError::InvalidFormat { name, format, value } => {
                format!("Invalid format for {name}: {value}, expected {format}")
            }
            AttributeError::Unknown { name } => format!("Unknown attribute {name}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: no credentials, wrong credentials, expired session, locked account.
    #[error("{0}")]
    Authentication(String),
    /// 402: the account has TOTP and the request carried no code.
    #[error("MFA code is required")]
    MultiFactorCodeRequired,
    /// 403: authenticated but the profile lacks the permission.
    #[error("{0}")]
    Authorization(String),
    /// 404: unknown or invisible object (invisible answers 404 so existence does not leak).
    #[error("{0}")]
    NotFound(String),
    /// 400: malformed request (bad JSON, bad id, bad query).
    #[error("{0}")]
    BadRequest(String),
    /// 400: a create that conflicts with an existing object (duplicate name, alert…).
    #[error("{0}")]
    Create(String),
    /// 400: field validation failed.
    #[error("{}", .0.iter().map(|e| format!("[{}]", e.message())).collect::<String>())]
    AttributeChecking(Vec<AttributeError>),
    /// 500: anything we did not expect. Never shown to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The one mapping table: variant → (TheHive type, HTTP status).
    pub fn kind(&self) -> (&'static str, StatusCode) {
        match self {
            ApiError::Authentication(_) => ("AuthenticationError", StatusCode::UNAUTHORIZED),
            ApiError::MultiFactorCodeRequired => ("MultiFactorCodeRequired", StatusCode::PAYMENT_REQUIRED),
            ApiError::Authorization(_) => ("AuthorizationError", StatusCode::FORBIDDEN),
            ApiError::NotFound(_) => ("NotFoundError", StatusCode::NOT_FOUND),
            ApiError::BadRequest(_) => ("BadRequest", StatusCode::BAD_REQUEST),
            ApiError::Create(_) => ("CreateError", StatusCode::BAD_REQUEST),
            ApiError::AttributeChecking(_) => ("AttributeCheckingError", StatusCode::BAD_REQUEST),
            ApiError::Internal(_) => ("InternalError", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.kind().1
    }

    /// The JSON body a client sees.
    pub fn body(&self) -> serde_json::Value {
        let (ty, _) = self.kind();
        match self {
            ApiError::Internal(_) => json!({
                "type": ty,
                "message": "An internal error occurred; quote the X-Request-Id header when reporting it"
            }),
            ApiError::AttributeChecking(errors) => json!({
                "type": ty,
                "message": self.to_string(),
                "errors": errors.iter().map(AttributeError::to_json).collect::<Vec<_>>(),
            }),
            _ => json!({"type": ty, "message": self.to_string()}),
        }
    }

    pub fn not_found(entity: &str) -> ApiError {
        ApiError::NotFound(format!("{entity} not found"))
    }

    pub fn missing(name: &str) -> ApiError {
        ApiError::AttributeChecking(vec![AttributeError::Missing { name: name.to_owned() }])
    }

    pub fn invalid(name: &str, format: &str, value: &serde_json::Value) -> ApiError {
        ApiError::AttributeChecking(vec![AttributeError::InvalidFormat {
            name: name.to_owned(),
            format: format.to_owned(),
            value: value.clone(),
        }])
    }

    /// The standard "missing permission" refusal, worded as TheHive words it (sic).
    pub fn forbidden(action: &str, permission: &str) -> ApiError {
        ApiError::Authorization(format!("Your are not authorized to {action}, you haven't the permission {permission}"))
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> ApiError {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(cause) = &self {
            // Logged inside the request span, which carries the request id.
            tracing::error!(cause = %cause, "internal error");
        }
        let mut resp = (status, axum::Json(self.body())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            // thehive's UI logs out on this header.
            resp.headers_mut().insert("X-Logout", axum::http::HeaderValue::from_static("1"));
        }
        resp
    }
}

/// Maps a named unique-constraint violation to a client error at the call site.
pub trait ResultExt<T> {
    /// `pg_name` is the PostgreSQL index name; `sqlite_columns` the `table.col, …` text that
    /// SQLite puts in its message for the same index.
    fn on_unique(self, pg_name: &str, sqlite_columns: &str, err: impl FnOnce() -> ApiError) -> Result<T, ApiError>;
}

impl<T> ResultExt<T> for Result<T, StorageError> {
    fn on_unique(self, pg_name: &str, sqlite_columns: &str, err: impl FnOnce() -> ApiError) -> Result<T, ApiError> {
        match self {
            Ok(v) => Ok(v),
            Err(e) if e.violates(pg_name, sqlite_columns) => Err(err()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_table() {
        let cases = [
            (ApiError::Authentication("x".into()), "AuthenticationError", 401),
            (ApiError::MultiFactorCodeRequired, "MultiFactorCodeRequired", 402),
            (ApiError::Authorization("x".into()), "AuthorizationError", 403),
            (ApiError::NotFound("x".into()), "NotFoundError", 404),
            (ApiError::BadRequest("x".into()), "BadRequest", 400),
            (ApiError::Create("x".into()), "CreateError", 400),
            (ApiError::missing("title"), "AttributeCheckingError", 400),
            (ApiError::Internal("secret detail".into()), "InternalError", 500),
        ];
        for (err, ty, status) in cases {
            assert_eq!(err.kind().0, ty);
            assert_eq!(err.status().as_u16(), status);
            assert_eq!(err.body()["type"], ty);
        }
    }

    #[test]
    fn internal_error_hides_cause() {
        let body = ApiError::Internal("password=hunter2".into()).body();
        assert!(!body.to_string().contains("hunter2"));
    }

    #[test]
    fn attribute_error_shape() {
        let body = ApiError::missing("title").body();
        assert_eq!(body["message"], "[Attribute title is missing]");
        assert_eq!(body["errors"][0]["type"], "MissingAttributeError");
        assert_eq!(body["errors"][0]["name"], "title");
    }
}
