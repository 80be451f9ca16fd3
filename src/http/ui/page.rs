//! What every UI screen shares: the signed-in user as the layout shows them (`Ctx`), the
//! `Ui` extractor that resolves it once per request, and the one place that decides between
//! a whole page and a fragment for the script.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};

use super::assets;
use super::csrf::CsrfNonce;
use super::error::UiError;
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::http::extract::session_token;

/// True when the UI script asked for a fragment (the header htmx uses, kept for habit).
pub fn is_hx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

/// One entry of the organisation switcher.
pub struct OrgChoice {
    pub name: String,
    pub current: bool,
}

/// The signed-in user as every page needs them: for the navigation, the organisation
/// switcher and the CSRF token of forms.
pub struct Ctx {
    pub login: String,
    pub name: String,
    pub organisation: String,
    pub organisations: Vec<OrgChoice>,
    pub csrf: String,
    /// Path of this request, to highlight the current section.
    pub path: String,
    /// Path and query, where forms like the organisation switcher come back to.
    pub here: String,
    /// Fixed message after a successful form (`?done=`), never free text from the URL.
    pub flash: Option<&'static str>,
    pub css: String,
    pub js: String,
    pub icon: String,
    perms: std::collections::BTreeSet<String>,
    admin_org: bool,
}

impl Ctx {
    pub fn can(&self, permission: &str) -> bool {
        self.perms.contains(permission)
    }
    pub fn is_active(&self, prefix: &str) -> bool {
        if prefix == "/" { self.path == "/" } else { self.path.starts_with(prefix) }
    }
    /// The letter in the avatar circle.
    pub fn initial(&self) -> String {
        self.name.chars().next().map(|c| c.to_uppercase().collect()).unwrap_or_else(|| "?".into())
    }
    pub fn in_admin_org(&self) -> bool {
        self.admin_org
    }
    /// Whether to show the Administration menu at all.
    pub fn shows_admin(&self) -> bool {
        [perm::MANAGE_ORGANISATION, perm::MANAGE_USER, perm::MANAGE_PROFILE, perm::MANAGE_OBSERVABLE_TEMPLATE]
            .iter()
            .any(|p| self.can(p))
    }
}

/// The fixed messages a `?done=` code may show.
fn flash(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "Created.",
        "saved" => "Saved.",
        "deleted" => "Deleted.",
        "locked" => "The account is locked and its sessions are closed.",
        "unlocked" => "The account is unlocked.",
        "password" => "The password is changed.",
        "key-renewed" => "A new API key was generated.",
        "key-removed" => "The API key was removed.",
        "member-added" => "Membership added.",
        "member-removed" => "Membership removed.",
        "throttle-reset" => "Failed-login slowdown cleared.",
        "switched" => "Organisation switched.",
        _ => return None,
    })
}

/// A signed-in user on a UI page. Rejects with a redirect to the login page.
pub struct Ui {
    pub caller: Caller,
    pub ctx: Ctx,
    hx: bool,
    /// Only a GET's URL may go into the browser history.
    get: bool,
}

impl FromRequestParts<App> for Ui {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Ui, UiError> {
        let caller = Caller::from_request_parts(parts, app).await?;
        let me = crate::service::users::current(app, &caller).await?;
        let nonce = parts.extensions.get::<CsrfNonce>().map(|n| n.0.clone()).unwrap_or_default();
        let csrf = app.csrf.token(&nonce, session_token(&parts.headers).as_deref());
        let query = parts.uri.query().unwrap_or_default();
        let done = form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "done").map(|(_, v)| v.into_owned());
        let ctx = Ctx {
            login: caller.login.clone(),
            name: me.user.name.clone(),
            organisation: caller.organisation.clone(),
            organisations: me
                .memberships
                .iter()
                .map(|m| OrgChoice {
                    name: m.organisation.clone(),
                    current: m.organisation_id == caller.organisation_id,
                })
                .collect(),
            csrf,
            path: parts.uri.path().to_owned(),
            here: parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into()),
            flash: done.as_deref().and_then(flash),
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            icon: assets::url("favicon.svg"),
            perms: caller.permissions.clone(),
            admin_org: caller.in_admin_org(),
        };
        Ok(Ui { hx: is_hx(&parts.headers), get: parts.method == axum::http::Method::GET, caller, ctx })
    }
}

#[derive(Template)]
#[template(path = "ui/flash.html")]
struct Flash<'a> {
    ctx: &'a Ctx,
}

#[derive(Template)]
#[template(path = "ui/layout.html")]
struct Layout<'a> {
    ctx: &'a Ctx,
    title: &'a str,
    body: &'a str,
}

impl Ui {
    /// Renders a screen: the fragment alone for the script, wrapped in the layout otherwise.
    pub fn page(&self, title: &str, body: impl Template) -> Result<Response, UiError> {
        self.page_with_status(axum::http::StatusCode::OK, title, body)
    }

    /// As `page`, with a status (a form re-shown with its error is a 4xx).
    pub fn page_with_status(
        &self,
        status: axum::http::StatusCode,
        title: &str,
        body: impl Template,
    ) -> Result<Response, UiError> {
        let mut html = Flash { ctx: &self.ctx }.render()?;
        body.render_into(&mut html)?;
        let body = html;
        if self.hx {
            let mut resp = (status, Html(body)).into_response();
            let h = resp.headers_mut();
            if self.get
                && let Ok(v) = HeaderValue::from_str(&self.ctx.here)
            {
                h.insert("hx-push-url", v);
            }
            if let Ok(v) = HeaderValue::from_str(&percent_encode(title)) {
                h.insert("x-page-title", v);
            }
            return Ok(resp);
        }
        let html = Layout { ctx: &self.ctx, title, body: &body }.render()?;
        Ok((status, Html(html)).into_response())
    }
}

/// Percent-encodes everything but ASCII letters and digits (header-safe, and what the
/// script's `decodeURIComponent` undoes).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// After a form: go on, or show the screen again with the service's refusal next to the
/// form (4xx other than 401); anything else is an error page.
pub async fn or_show_again<Fut>(
    result: Result<Response, crate::error::ApiError>,
    again: impl FnOnce(String) -> Fut,
) -> Result<Response, UiError>
where
    Fut: std::future::Future<Output = Result<Response, UiError>>,
{
    match result {
        Ok(r) => Ok(r),
        Err(e) => {
            let e = UiError::from(e);
            match e.form_message() {
                Some(msg) => again(msg).await,
                None => Err(e),
            }
        }
    }
}

/// Where to go after a successful form: `path` with a fixed `done` message.
pub fn done(path: &str, code: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    super::error::see_other(&format!("{path}{sep}done={code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_header_safe() {
        assert_eq!(percent_encode("Users · admin"), "Users%20%C2%B7%20admin");
        assert!(flash("<script>").is_none());
    }
}
