//! File responses: the bytes, their content type, and `Content-Disposition` with the
//! original name (RFC 6266: a quoted ASCII fallback plus the exact UTF-8 `filename*`).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::service::attachments::Download;

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn file(d: Download) -> Response {
    let fallback: String = d
        .name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let disposition = format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{}", percent_encode(&d.name));
    let mut resp = d.bytes.into_response();
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&d.content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    } else {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}
