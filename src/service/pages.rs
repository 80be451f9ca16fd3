//! Pages (spec §1.17): case pages (5.x), organisation knowledge-base pages, and page
//! templates that case templates turn into case pages.

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::cases;
use super::input::opt_i64;
use super::{object, opt_str, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::ApiError;
use crate::storage::Tx;
use crate::storage::pages::{self, NewPage, Page, PageOwner, PageTemplate};

/// Reads a page input `{title, content, category, order?}`.
pub fn parse_new(v: &Value) -> Result<NewPage, ApiError> {
    object(v)?;
    Ok(NewPage {
        title: req_str(v, "title")?,
        category: opt_str(v, "category")?.unwrap_or_default(),
        content: opt_str(v, "content")?.unwrap_or_default(),
        order: opt_i64(v, "order")?.unwrap_or(0),
    })
}

/// Inserts a page into a case the caller may write and records it on the case's timeline.
pub(crate) async fn insert_for_case(
    tx: &mut crate::storage::Tx,
    caller: &Caller,
    case_id: i64,
    page: &NewPage,
    now: i64,
) -> Result<i64, ApiError> {
    let id = pages::insert(tx, PageOwner::Case(case_id), page, &caller.login, now).await?;
    let details = json!({"title": page.title, "category": page.category});
    record(
        tx,
        caller,
        Action { operation: "create", object_type: "Page", object_id: id, root: Some(("Case", case_id)), details },
        now,
    )
    .await?;
    Ok(id)
}

/// Applies a page PATCH `{title?, content?, category?, order?}` to `current`.
fn patched(current: &NewPage, body: &Value) -> Result<NewPage, ApiError> {
    object(body)?;
    let title = match opt_str(body, "title")? {
        Some(t) if t.trim().is_empty() => return Err(ApiError::invalid("title", "non-empty string", &json!(t))),
        Some(t) => t,
        None => current.title.clone(),
    };
    Ok(NewPage {
        title,
        category: opt_str(body, "category")?.unwrap_or_else(|| current.category.clone()),
        content: opt_str(body, "content")?.unwrap_or_else(|| current.content.clone()),
        order: opt_i64(body, "order")?.unwrap_or(current.order),
    })
}

fn content_of(p: &Page) -> NewPage {
    NewPage { title: p.title.clone(), category: p.category.clone(), content: p.content.clone(), order: p.order }
}

// ---- Case pages -------------------------------------------------------------------------

/// `POST /case/{caseId}/page`.
pub async fn create_in_case(app: &App, caller: &Caller, case_ref: &str, body: &Value) -> Result<Page, ApiError> {
    let page = parse_new(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let access = cases::find_for_write(&mut tx, caller, case_ref, perm::MANAGE_PAGE, "create page").await?;
    let id = insert_for_case(&mut tx, caller, access.case.id, &page, now).await?;
    cases::touch(&mut tx, caller, access.case.id, now).await?;
    let p = pages::find_in_case(&mut tx, &caller.scope(), access.case.id, &crate::ids::render_id(id))
        .await?
        .ok_or_else(|| ApiError::Internal("page vanished".into()))?;
    tx.commit().await?;
    Ok(p)
}

/// The pages of a visible case.
pub async fn list_for_case(app: &App, caller: &Caller, case_ref: &str) -> Result<Vec<Page>, ApiError> {
    let mut tx = app.store.read().await?;
    let case = cases::find(&mut tx, caller, case_ref).await?;
    Ok(pages::list_for_case(&mut tx, &caller.scope(), case.id).await?)
}

pub async fn get_in_case(app: &App, caller: &Caller, case_ref: &str, page_id: &str) -> Result<Page, ApiError> {
    let mut tx = app.store.read().await?;
    let case = cases::find(&mut tx, caller, case_ref).await?;
    pages::find_in_case(&mut tx, &caller.scope(), case.id, page_id).await?.ok_or_else(|| ApiError::not_found("Page"))
}

async fn case_page_for_write(
    tx: &mut Tx,
    caller: &Caller,
    case_ref: &str,
    page_id: &str,
    action: &str,
) -> Result<Page, ApiError> {
    let case = cases::find(tx, caller, case_ref).await?;
    let page =
        pages::find_in_case(tx, &caller.scope(), case.id, page_id).await?.ok_or_else(|| ApiError::not_found("Page"))?;
    cases::require_on_case(tx, caller, case, perm::MANAGE_PAGE, action).await?;
    Ok(page)
}

/// `PATCH /case/{caseId}/page/{pageId}`.
pub async fn update_in_case(
    app: &App,
    caller: &Caller,
    case_ref: &str,
    page_id: &str,
    body: &Value,
) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let page = case_page_for_write(&mut tx, caller, case_ref, page_id, "update page").await?;
    let new = patched(&content_of(&page), body)?;
    pages::update(&mut tx, page.id, &new, &caller.login, now).await?;
    let case_id = page.case_id.unwrap_or_default();
    record(
        &mut tx,
        caller,
        Action {
            operation: "update",
            object_type: "Page",
            object_id: page.id,
            root: Some(("Case", case_id)),
            details: body.clone(),
        },
        now,
    )
    .await?;
    cases::touch(&mut tx, caller, case_id, now).await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /case/{caseId}/page/{pageId}`.
pub async fn delete_in_case(app: &App, caller: &Caller, case_ref: &str, page_id: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let page = case_page_for_write(&mut tx, caller, case_ref, page_id, "delete page").await?;
    let case_id = page.case_id.unwrap_or_default();
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Page",
            object_id: page.id,
            root: Some(("Case", case_id)),
            details: json!({"title": page.title}),
        },
        now,
    )
    .await?;
    pages::delete(&mut tx, page.id).await?;
    cases::touch(&mut tx, caller, case_id, now).await?;
    tx.commit().await?;
    Ok(())
}

// ---- Organisation knowledge base ----------------------------------------------------------

/// TheHive 5 names the knowledge-base permission `manageKnowledgeBase`; TheHive 4 used
/// `managePage` for organisation pages. Either one is enough.
pub const MANAGE_KNOWLEDGE_BASE: &str = "manageKnowledgeBase";

fn require_kb(caller: &Caller, action: &str) -> Result<(), ApiError> {
    if caller.has(perm::MANAGE_PAGE) || caller.has(MANAGE_KNOWLEDGE_BASE) {
        Ok(())
    } else {
        Err(ApiError::forbidden(action, perm::MANAGE_PAGE))
    }
}

async fn kb_page(tx: &mut Tx, caller: &Caller, id_or_slug: &str) -> Result<Page, ApiError> {
    pages::find_in_organisation(tx, &caller.scope(), id_or_slug).await?.ok_or_else(|| ApiError::not_found("Page"))
}

/// `POST /page`: a knowledge-base page of the caller's organisation.
pub async fn create_in_organisation(app: &App, caller: &Caller, body: &Value) -> Result<Page, ApiError> {
    require_kb(caller, "create page")?;
    let page = parse_new(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let id = pages::insert(&mut tx, PageOwner::Organisation(caller.organisation_id), &page, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "create",
            object_type: "Page",
            object_id: id,
            root: None,
            details: json!({"title": page.title, "category": page.category}),
        },
        now,
    )
    .await?;
    let p = kb_page(&mut tx, caller, &crate::ids::render_id(id)).await?;
    tx.commit().await?;
    Ok(p)
}

pub async fn get_in_organisation(app: &App, caller: &Caller, id_or_slug: &str) -> Result<Page, ApiError> {
    let mut tx = app.store.read().await?;
    kb_page(&mut tx, caller, id_or_slug).await
}

pub async fn list_for_organisation(app: &App, caller: &Caller) -> Result<Vec<Page>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(pages::list_for_organisation(&mut tx, &caller.scope()).await?)
}

pub async fn update_in_organisation(
    app: &App,
    caller: &Caller,
    id_or_slug: &str,
    body: &Value,
) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let page = kb_page(&mut tx, caller, id_or_slug).await?;
    require_kb(caller, "update page")?;
    let new = patched(&content_of(&page), body)?;
    pages::update(&mut tx, page.id, &new, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action { operation: "update", object_type: "Page", object_id: page.id, root: None, details: body.clone() },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_in_organisation(app: &App, caller: &Caller, id_or_slug: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let page = kb_page(&mut tx, caller, id_or_slug).await?;
    require_kb(caller, "delete page")?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "Page",
            object_id: page.id,
            root: None,
            details: json!({"title": page.title}),
        },
        now,
    )
    .await?;
    pages::delete(&mut tx, page.id).await?;
    tx.commit().await?;
    Ok(())
}

// ---- Page templates (managed with case templates) -------------------------------------------

async fn template(tx: &mut Tx, caller: &Caller, id: &str) -> Result<PageTemplate, ApiError> {
    pages::find_template(tx, &caller.scope(), id).await?.ok_or_else(|| ApiError::not_found("PageTemplate"))
}

/// `POST /pageTemplate` `{title, content, category, order?}`.
pub async fn create_template(app: &App, caller: &Caller, body: &Value) -> Result<PageTemplate, ApiError> {
    caller.require(perm::MANAGE_CASE_TEMPLATE, "create page template")?;
    let page = parse_new(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let id = pages::insert_template(&mut tx, caller.organisation_id, &page, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "create",
            object_type: "PageTemplate",
            object_id: id,
            root: None,
            details: json!({"title": page.title}),
        },
        now,
    )
    .await?;
    let t = template(&mut tx, caller, &crate::ids::render_id(id)).await?;
    tx.commit().await?;
    Ok(t)
}

pub async fn get_template(app: &App, caller: &Caller, id: &str) -> Result<PageTemplate, ApiError> {
    let mut tx = app.store.read().await?;
    template(&mut tx, caller, id).await
}

pub async fn list_templates(app: &App, caller: &Caller) -> Result<Vec<PageTemplate>, ApiError> {
    let mut tx = app.store.read().await?;
    Ok(pages::list_templates(&mut tx, &caller.scope()).await?)
}

pub async fn update_template(app: &App, caller: &Caller, id: &str, body: &Value) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let t = template(&mut tx, caller, id).await?;
    caller.require(perm::MANAGE_CASE_TEMPLATE, "update page template")?;
    let new = patched(&t.page, body)?;
    pages::update_template(&mut tx, t.id, &new, &caller.login, now).await?;
    record(
        &mut tx,
        caller,
        Action { operation: "update", object_type: "PageTemplate", object_id: t.id, root: None, details: body.clone() },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_template(app: &App, caller: &Caller, id: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let t = template(&mut tx, caller, id).await?;
    caller.require(perm::MANAGE_CASE_TEMPLATE, "delete page template")?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "PageTemplate",
            object_id: t.id,
            root: None,
            details: json!({"title": t.page.title}),
        },
        now,
    )
    .await?;
    pages::delete_template(&mut tx, t.id).await?;
    tx.commit().await?;
    Ok(())
}
