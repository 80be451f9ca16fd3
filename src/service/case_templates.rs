//! Case templates (spec §1.10): per-organisation presets applied at case creation (title
//! prefix, description, severity, tlp, pap, flag, summary, tags, tasks, custom fields, page
//! templates). Managed with `manageCaseTemplate`.

use serde_json::{Value, json};

use super::audit::{Action, record};
use super::custom_fields::{self as cf_service, read_values_any};
use super::input::{nest, opt_array, opt_level, opt_tags, patch_str};
use super::{object, opt_bool, opt_str, req_str};
use crate::app::App;
use crate::auth::{Caller, perm};
use crate::error::{ApiError, ResultExt};
use crate::storage::case_templates::{self, CaseTemplate, TemplateFields, TemplateTask};
use crate::storage::custom_fields::{self, FieldValue, Owner};
use crate::storage::tasks::NewTask;
use crate::storage::{Tx, pages};

/// A template with its parts, for rendering.
#[derive(Debug, Clone)]
pub struct CaseTemplateView {
    pub template: CaseTemplate,
    pub tasks: Vec<TemplateTask>,
    pub custom_fields: Vec<FieldValue>,
    pub page_template_ids: Vec<i64>,
}

async fn view(tx: &mut Tx, template: CaseTemplate) -> Result<CaseTemplateView, ApiError> {
    let tasks = case_templates::tasks(tx, template.id).await?;
    let custom_fields = custom_fields::values_of(tx, Owner::CaseTemplate(template.id)).await?;
    let page_template_ids = case_templates::page_template_ids(tx, template.id).await?;
    Ok(CaseTemplateView { template, tasks, custom_fields, page_template_ids })
}

async fn find(tx: &mut Tx, caller: &Caller, id_or_name: &str) -> Result<CaseTemplate, ApiError> {
    case_templates::find(tx, &caller.scope(), id_or_name).await?.ok_or_else(|| ApiError::not_found("CaseTemplate"))
}

pub async fn get(app: &App, caller: &Caller, id_or_name: &str) -> Result<CaseTemplateView, ApiError> {
    let mut tx = app.store.read().await?;
    let t = find(&mut tx, caller, id_or_name).await?;
    view(&mut tx, t).await
}

pub async fn list(app: &App, caller: &Caller) -> Result<Vec<CaseTemplateView>, ApiError> {
    let mut tx = app.store.read().await?;
    let mut out = Vec::new();
    for t in case_templates::list(&mut tx, &caller.scope()).await? {
        out.push(view(&mut tx, t).await?);
    }
    Ok(out)
}

fn read_tasks(body: &Value) -> Result<Option<Vec<NewTask>>, ApiError> {
    let Some(items) = opt_array(body, "tasks")? else { return Ok(None) };
    items
        .iter()
        .enumerate()
        .map(|(i, t)| super::tasks::parse_new(t).map_err(|e| nest(&format!("tasks[{i}]"), e)))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Resolves `pageTemplateIds` to page templates of the caller's organisation.
async fn read_page_templates(tx: &mut Tx, caller: &Caller, body: &Value) -> Result<Option<Vec<i64>>, ApiError> {
    let Some(items) = opt_array(body, "pageTemplateIds")? else { return Ok(None) };
    let mut ids = Vec::new();
    for item in items {
        let Value::String(s) = item else {
            return Err(ApiError::invalid("pageTemplateIds", "array of page template ids", item));
        };
        let pt = pages::find_template(tx, &caller.scope(), s)
            .await?
            .ok_or_else(|| super::input::unknown("pageTemplateIds", "page template", s))?;
        ids.push(pt.id);
    }
    Ok(Some(ids))
}

/// Writes the template's custom field values (replacing those named).
async fn write_values(
    tx: &mut Tx,
    caller: &Caller,
    template_id: i64,
    body: &Value,
    replace_all: bool,
    now: i64,
) -> Result<(), ApiError> {
    let mut inputs = read_values_any(body, &["customFields", "customFieldValue", "customFieldValues"])?;
    if let Some(map) = body.as_object() {
        for (k, v) in map {
            if let Some(name) = k.strip_prefix("customFields.") {
                inputs.get_or_insert_with(Vec::new).push(cf_service::ValueInput {
                    name: name.to_owned(),
                    value: v.clone(),
                    order: None,
                });
            }
        }
    }
    let Some(inputs) = inputs else { return Ok(()) };
    let resolved = cf_service::resolve(tx, &inputs).await?;
    if replace_all {
        custom_fields::delete_values_of(tx, Owner::CaseTemplate(template_id)).await?;
    }
    let existing = custom_fields::values_of(tx, Owner::CaseTemplate(template_id)).await?;
    let base = existing.iter().map(|v| v.order + 1).max().unwrap_or(0);
    for (i, r) in resolved.iter().enumerate() {
        let order = r
            .order
            .or_else(|| existing.iter().find(|e| e.field_id == r.field.id).map(|e| e.order))
            .unwrap_or(base + i as i64);
        custom_fields::set_value(tx, Owner::CaseTemplate(template_id), r.field.id, order, &r.value, &caller.login, now)
            .await?;
    }
    Ok(())
}

fn duplicate(name: &str) -> impl FnOnce() -> ApiError + '_ {
    move || ApiError::Create(format!("Case template {name} already exists"))
}

/// `POST /caseTemplate`.
pub async fn create(app: &App, caller: &Caller, body: &Value) -> Result<CaseTemplateView, ApiError> {
    caller.require(perm::MANAGE_CASE_TEMPLATE, "create case template")?;
    object(body)?;
    let name = req_str(body, "name")?.trim().to_owned();
    let fields = TemplateFields {
        display_name: opt_str(body, "displayName")?.unwrap_or_else(|| name.clone()),
        title_prefix: opt_str(body, "titlePrefix")?.filter(|p| !p.is_empty()),
        description: opt_str(body, "description")?,
        severity: opt_level(body, "severity", 1, 4)?,
        tlp: opt_level(body, "tlp", 0, 4)?,
        pap: opt_level(body, "pap", 0, 3)?,
        tags: opt_tags(body, "tags")?.unwrap_or_default(),
        flag: opt_bool(body, "flag")?.unwrap_or(false),
        summary: opt_str(body, "summary")?,
        name: name.clone(),
    };
    let tasks = read_tasks(body)?.unwrap_or_default();
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let page_templates = read_page_templates(&mut tx, caller, body).await?.unwrap_or_default();
    let id = case_templates::insert(&mut tx, caller.organisation_id, &fields, &caller.login, now).await.on_unique(
        "case_template_name_key",
        "case_template.organisation_id, case_template.name",
        duplicate(&name),
    )?;
    case_templates::set_tasks(&mut tx, id, &tasks, &caller.login, now).await?;
    case_templates::set_page_templates(&mut tx, id, &page_templates).await?;
    write_values(&mut tx, caller, id, body, true, now).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "create",
            object_type: "CaseTemplate",
            object_id: id,
            root: None,
            details: json!({"name": name}),
        },
        now,
    )
    .await?;
    let t = find(&mut tx, caller, &crate::ids::render_id(id)).await?;
    let v = view(&mut tx, t).await?;
    tx.commit().await?;
    Ok(v)
}

/// `PATCH /caseTemplate/{idOrName}`. `tasks` and `pageTemplateIds`, when given, replace the
/// template's; custom fields given are set, others kept.
pub async fn update(app: &App, caller: &Caller, id_or_name: &str, body: &Value) -> Result<(), ApiError> {
    object(body)?;
    let tasks = read_tasks(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let t = find(&mut tx, caller, id_or_name).await?;
    caller.require(perm::MANAGE_CASE_TEMPLATE, "update case template")?;
    let mut f = TemplateFields {
        name: t.name.clone(),
        display_name: t.display_name.clone(),
        title_prefix: t.title_prefix.clone(),
        description: t.description.clone(),
        severity: t.severity,
        tlp: t.tlp,
        pap: t.pap,
        tags: t.tags.clone(),
        flag: t.flag,
        summary: t.summary.clone(),
    };
    if let Some(n) = opt_str(body, "name")? {
        if n.trim().is_empty() {
            return Err(ApiError::invalid("name", "non-empty string", &json!(n)));
        }
        f.name = n.trim().to_owned();
    }
    if let Some(d) = opt_str(body, "displayName")? {
        f.display_name = d;
    }
    if let Some(p) = patch_str(body, "titlePrefix", true)?.into_update() {
        f.title_prefix = p;
    }
    if let Some(d) = patch_str(body, "description", false)?.into_update() {
        f.description = d;
    }
    if let Some(s) = patch_str(body, "summary", false)?.into_update() {
        f.summary = s;
    }
    for (key, slot, lo, hi) in
        [("severity", &mut f.severity, 1, 4), ("tlp", &mut f.tlp, 0, 4), ("pap", &mut f.pap, 0, 3)]
    {
        match body.get(key) {
            None => {}
            Some(Value::Null) => *slot = None,
            Some(_) => *slot = opt_level(body, key, lo, hi)?,
        }
    }
    if let Some(tags) = opt_tags(body, "tags")? {
        f.tags = tags;
    }
    if let Some(flag) = opt_bool(body, "flag")? {
        f.flag = flag;
    }
    let page_templates = read_page_templates(&mut tx, caller, body).await?;
    case_templates::update(&mut tx, t.id, &f, &caller.login, now).await.on_unique(
        "case_template_name_key",
        "case_template.organisation_id, case_template.name",
        duplicate(&f.name),
    )?;
    if let Some(tasks) = &tasks {
        case_templates::set_tasks(&mut tx, t.id, tasks, &caller.login, now).await?;
    }
    if let Some(ids) = &page_templates {
        case_templates::set_page_templates(&mut tx, t.id, ids).await?;
    }
    write_values(&mut tx, caller, t.id, body, false, now).await?;
    record(
        &mut tx,
        caller,
        Action { operation: "update", object_type: "CaseTemplate", object_id: t.id, root: None, details: body.clone() },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `PUT|POST /caseTemplate/{id}/pageTemplate/link` `{pageTemplateIds}`.
pub async fn link_page_templates(app: &App, caller: &Caller, id_or_name: &str, body: &Value) -> Result<(), ApiError> {
    object(body)?;
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let t = find(&mut tx, caller, id_or_name).await?;
    caller.require(perm::MANAGE_CASE_TEMPLATE, "update case template")?;
    let ids = read_page_templates(&mut tx, caller, body).await?.ok_or_else(|| ApiError::missing("pageTemplateIds"))?;
    case_templates::set_page_templates(&mut tx, t.id, &ids).await?;
    record(
        &mut tx,
        caller,
        Action { operation: "update", object_type: "CaseTemplate", object_id: t.id, root: None, details: body.clone() },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /caseTemplate/{idOrName}`. Cases created from it keep their copy and its name.
pub async fn delete(app: &App, caller: &Caller, id_or_name: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    let mut tx = app.store.write().await?;
    let t = find(&mut tx, caller, id_or_name).await?;
    caller.require(perm::MANAGE_CASE_TEMPLATE, "delete case template")?;
    case_templates::delete(&mut tx, t.id).await?;
    record(
        &mut tx,
        caller,
        Action {
            operation: "delete",
            object_type: "CaseTemplate",
            object_id: t.id,
            root: None,
            details: json!({"name": t.name}),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
