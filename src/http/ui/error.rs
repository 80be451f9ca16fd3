//! The UI's renderer of the one domain error (house style habit 7): the same `ApiError`
//! the API turns into TheHive's JSON becomes a friendly page here, showing the request id
//! so a user can quote it. Internals are logged, never shown.
//!
//! A handler's `UiError` becomes an empty response carrying an `ErrorPage` extension; the
//! `pages` layer, which knows the request (its id, whether the script asked for a fragment,
//! where the user was going), renders it. An expired or missing session is not an error
//! page but a trip through the login page that comes back where the user was.

use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::assets;
use super::page::is_hx;
use crate::error::ApiError;
use crate::http::middleware::RequestId;

/// A failure in a UI handler.
#[derive(Debug)]
pub enum UiError {
    /// Anything the service layer refused, or failed at.
    Api(ApiError),
    /// 403: the CSRF token is missing or does not match this session.
    Csrf,
    /// 413: a form too large to check.
    PayloadTooLarge,
}

impl UiError {
    pub fn csrf() -> UiError {
        UiError::Csrf
    }
    pub fn payload_too_large() -> UiError {
        UiError::PayloadTooLarge
    }
    pub fn internal(cause: impl std::fmt::Display) -> UiError {
        UiError::Api(ApiError::Internal(cause.to_string()))
    }
    /// The message to show next to a form that was refused (4xx), if it is one.
    pub fn form_message(&self) -> Option<String> {
        match self {
            UiError::Api(e) if e.status().is_client_error() && e.status() != StatusCode::UNAUTHORIZED => {
                Some(e.to_string())
            }
            _ => None,
        }
    }
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> UiError {
        UiError::Api(e)
    }
}

impl From<askama::Error> for UiError {
    fn from(e: askama::Error) -> UiError {
        UiError::internal(format!("template: {e}"))
    }
}

/// What the `pages` layer needs to render an error.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    pub status: StatusCode,
    pub title: &'static str,
    pub message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let page = match self {
            UiError::Api(e) => {
                let status = e.status();
                let title = match status {
                    StatusCode::UNAUTHORIZED => "Please sign in",
                    StatusCode::PAYMENT_REQUIRED => "Second factor required",
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::NOT_FOUND => "Not found",
                    s if s.is_client_error() => "That did not work",
                    _ => "Something went wrong",
                };
                let message = match &e {
                    ApiError::Internal(cause) => {
                        // Logged inside the request span, which carries the request id.
                        tracing::error!(cause = %cause, "internal error");
                        "An unexpected error occurred on the server. It has been logged; quote the request id below \
                         when reporting it."
                            .to_owned()
                    }
                    other => other.to_string(),
                };
                ErrorPage { status, title, message }
            }
            UiError::Csrf => ErrorPage {
                status: StatusCode::FORBIDDEN,
                title: "This form has expired",
                message: "The form was sent without a valid security token (it may be from an older session, or \
                          from another site). Go back, reload the page and try again."
                    .to_owned(),
            },
            UiError::PayloadTooLarge => ErrorPage {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                title: "Too large",
                message: "What you sent is larger than the server accepts.".to_owned(),
            },
        };
        let mut resp = page.status.into_response();
        resp.extensions_mut().insert(page);
        resp
    }
}

/// The whole error page, for a browser that navigated here.
#[derive(Template)]
#[template(path = "ui/error.html")]
struct ErrorTemplate<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
    css: String,
    js: String,
    icon: String,
}

/// Just the message, for the script to swap into the page the user is on.
#[derive(Template)]
#[template(path = "ui/error_body.html")]
struct ErrorBody<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
}

/// A path is a safe place to come back to after login only if it stays on this site.
pub fn local_path(target: &str) -> Option<&str> {
    let ok = target.starts_with('/') && !target.starts_with("//") && !target.contains(['\\', '\r', '\n']);
    ok.then_some(target)
}

pub async fn pages(req: Request, next: Next) -> Response {
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let hx = is_hx(req.headers());
    let back_to = if req.method() == Method::GET {
        req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into())
    } else {
        req.headers()
            .get(header::REFERER)
            .and_then(|r| r.to_str().ok())
            .and_then(|r| r.find("://").map(|i| &r[i + 3..]))
            .and_then(|r| r.find('/').map(|i| r[i..].to_owned()))
            .unwrap_or_else(|| "/".into())
    };
    let resp = next.run(req).await;
    let Some(page) = resp.extensions().get::<ErrorPage>().cloned() else {
        return resp;
    };
    // Keep cookies set on the way out (the CSRF nonce), whatever the page becomes.
    let cookies: Vec<HeaderValue> = resp.headers().get_all(header::SET_COOKIE).iter().cloned().collect();
    let mut out = render(page, hx, &back_to, &request_id);
    for c in cookies {
        out.headers_mut().append(header::SET_COOKIE, c);
    }
    out
}

fn render(page: ErrorPage, hx: bool, back_to: &str, request_id: &str) -> Response {
    if page.status == StatusCode::UNAUTHORIZED {
        let next = local_path(back_to).unwrap_or("/");
        let location = format!("/login?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
        let mut resp = if hx { StatusCode::UNAUTHORIZED.into_response() } else { see_other(&location) };
        if let Ok(v) = HeaderValue::from_str(&location) {
            resp.headers_mut().insert("hx-redirect", v);
        }
        return resp;
    }
    let status = page.status.as_u16();
    let rendered = if hx {
        ErrorBody { status, title: page.title, message: &page.message, request_id }.render()
    } else {
        ErrorTemplate {
            status,
            title: page.title,
            message: &page.message,
            request_id,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("favicon.svg"),
        }
        .render()
    };
    match rendered {
        Ok(html) => (page.status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(cause = %e, "cannot render the error page");
            (page.status, format!("Error {} (request id {request_id})", page.status.as_u16())).into_response()
        }
    }
}

/// `303 See Other` to a local path: the answer to a form POST (Post/Redirect/Get).
pub fn see_other(location: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/admin/users?x=1"), Some("/admin/users?x=1"));
        assert_eq!(local_path("//evil.example/"), None);
        assert_eq!(local_path("https://evil.example/"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        assert_eq!(local_path(""), None);
    }
}
