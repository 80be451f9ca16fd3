//! The MITRE ATT&CK catalogue (spec §1.22): the imported techniques, paged and searchable,
//! and importing (or refreshing) them from MITRE's STIX bundle (`enterprise-attack.json`).
//! The import is a multipart upload, so its CSRF token travels in the action's query string.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;

use crate::app::App;
use crate::error::ApiError;
use crate::http::multipart::{Input, MAX_UPLOAD};
use crate::http::ui::error::UiError;
use crate::http::ui::filter_builder::{Advanced, FieldDef, PATTERN_FIELDS};
use crate::http::ui::listing::{self, Slice};
use crate::http::ui::page::{Ctx, Ui};
use crate::service::procedures::{self, ImportResult};
use crate::service::query::EntityView;
use crate::storage::patterns::Pattern;

pub fn router() -> Router<App> {
    Router::new().route("/attack", get(list).post(import)).layer(DefaultBodyLimit::max(MAX_UPLOAD))
}

#[derive(Deserialize, Default)]
struct Params {
    q: Option<String>,
    page: Option<i64>,
}

/// What an import did: how many techniques were stored, and the failures' messages.
struct Report {
    imported: usize,
    failures: Vec<String>,
}

#[derive(Template)]
#[template(path = "ui/admin/attack.html")]
struct Catalogue<'a> {
    ctx: &'a Ctx,
    patterns: &'a [Pattern],
    slice: &'a Slice,
    q: &'a str,
    /// The builder's rows, kept in the pager's links after `q`.
    adv: &'a Advanced,
    adv_fields: &'a [FieldDef],
    adv_qs: String,
    report: Option<&'a Report>,
    error: Option<&'a str>,
}

async fn render(
    app: &App,
    ui: &Ui,
    p: &Params,
    adv: &Advanced,
    report: Option<&Report>,
    error: Option<&str>,
) -> Result<Response, UiError> {
    let q = p.q.as_deref().map(str::trim).unwrap_or_default();
    let mut filters: Vec<Value> = if q.is_empty() {
        Vec::new()
    } else {
        vec![serde_json::json!({"_or": [listing::contains_text("patternId", q), listing::contains_text("name", q)]})]
    };
    let refused = adv.apply(PATTERN_FIELDS, &mut filters);
    let error = error.or(refused.as_deref());
    let mut slice =
        listing::run(app, &ui.caller, "listPattern", filters, ("patternId", "asc"), p.page.unwrap_or(1)).await?;
    let patterns: Vec<Pattern> = std::mem::take(&mut slice.items)
        .into_iter()
        .filter_map(|v| match v {
            EntityView::Pattern(p) => Some(*p),
            _ => None,
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = Catalogue {
        ctx: &ui.ctx,
        patterns: &patterns,
        slice: &slice,
        q,
        adv,
        adv_fields: PATTERN_FIELDS,
        adv_qs: adv.query_suffix(),
        report,
        error,
    };
    ui.page_with_status(status, "ATT&CK catalogue", page)
}

async fn list(State(app): State<App>, ui: Ui, Query(p): Query<Params>, adv: Advanced) -> Result<Response, UiError> {
    render(&app, &ui, &p, &adv, None, None).await
}

/// Imports the uploaded bundle and shows the catalogue with the import's report.
async fn import(State(app): State<App>, ui: Ui, input: Result<Input, ApiError>) -> Result<Response, UiError> {
    let result = match input {
        Ok(i) => {
            let files: Vec<_> = i.files.into_iter().filter(|f| !f.bytes.is_empty()).collect();
            procedures::import_attack(&app, &ui.caller, &files).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(lines) => {
            let mut report = Report { imported: 0, failures: Vec::new() };
            for l in lines {
                match l {
                    ImportResult::Success { .. } => report.imported += 1,
                    ImportResult::Failure { message } => report.failures.push(message),
                }
            }
            render(&app, &ui, &Params::default(), &Advanced::default(), Some(&report), None).await
        }
        Err(e) => {
            let e = UiError::from(e);
            match e.form_message() {
                Some(msg) => render(&app, &ui, &Params::default(), &Advanced::default(), None, Some(&msg)).await,
                None => Err(e),
            }
        }
    }
}
