//! Request bodies that may carry files: TheHive merges a multipart body's `_json` part (a
//! JSON object), its plain text fields and its file parts into one input (spec §0.2). A JSON
//! or form body is read as `extract::Body` reads it, with no files.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use serde_json::Value;

use super::extract::Body;
use crate::app::App;
use crate::error::ApiError;
use crate::service::attachments::Upload;

/// Largest accepted upload body (files are stored in the database).
pub const MAX_UPLOAD: usize = 256 * 1024 * 1024;

/// The merged input: the JSON object, and the uploaded files in request order.
pub struct Input {
    pub json: Value,
    pub files: Vec<Upload>,
}

impl FromRequest<App> for Input {
    type Rejection = ApiError;

    async fn from_request(req: Request, app: &App) -> Result<Input, ApiError> {
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if !is_multipart {
            let Body(json) = Body::from_request(req, app).await?;
            return Ok(Input { json, files: Vec::new() });
        }
        let mut mp = Multipart::from_request(req, app)
            .await
            .map_err(|e| ApiError::BadRequest(format!("Invalid multipart body: {e}")))?;
        let mut json = serde_json::Map::new();
        let mut fields = serde_json::Map::new();
        let mut files = Vec::new();
        let bad =
            |e: axum::extract::multipart::MultipartError| ApiError::BadRequest(format!("Invalid multipart body: {e}"));
        while let Some(field) = mp.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let content_type = field.content_type().map(str::to_owned);
            let bytes = field.bytes().await.map_err(bad)?;
            if name == "_json" {
                // thehive4py sends `_json` as a file part in places; read it either way.
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(Value::Object(m)) => json.extend(m),
                    Ok(_) => return Err(ApiError::BadRequest("The _json part must be a JSON object".into())),
                    Err(e) => return Err(ApiError::BadRequest(format!("Invalid JSON in _json part: {e}"))),
                }
            } else if let Some(filename) = filename {
                let ct = content_type.unwrap_or_else(|| "application/octet-stream".into());
                files.push(Upload::new(name, filename, ct, bytes.to_vec()));
            } else {
                fields.insert(name, Value::String(String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
        // `_json` wins over loose text fields of the same name.
        for (k, v) in fields {
            json.entry(k).or_insert(v);
        }
        Ok(Input { json: Value::Object(json), files })
    }
}
