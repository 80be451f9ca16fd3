//! Request-wide middleware: an operation id on every request, visible to the user, and a
//! tracing span that carries it with the fields filled in as the request is understood.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The id of this request, in extensions and in the `X-Request-Id` response header.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn request_context(mut req: Request, next: Next) -> Response {
    // Accept a well-formed id from a proxy so logs join up across hops; otherwise make one.
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| crate::auth::secrets::new_token(12));
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        status = tracing::field::Empty,
        user = tracing::field::Empty,
        org = tracing::field::Empty,
    );
    let start = std::time::Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    span.record("status", resp.status().as_u16());
    let _enter = span.enter();
    let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
    if resp.status().is_server_error() {
        tracing::error!(elapsed_ms, "request failed");
    } else {
        tracing::debug!(elapsed_ms, "request done");
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}
