//! Ids → the objects their REST endpoints render, through each entity's own loader. The
//! ids come from a query that applied the visibility rule in this same transaction; the
//! loaders that take a scope check it again anyway. Entities without a REST API of
//! their own are read by the generic loader (every catalogue property).

use crate::auth::Caller;
use crate::error::ApiError;
use crate::ids::render_id;
use crate::query::Entity;
use crate::service::alerts::AlertView;
use crate::service::case_templates::CaseTemplateView;
use crate::service::cases::{self as case_service, CaseView};
use crate::service::logs::LogView;
use crate::service::organisations::OrganisationView;
use crate::service::users::UserView;
use crate::storage::audit::AuditEntry;
use crate::storage::comments::Comment;
use crate::storage::custom_fields::{CustomField, Owner};
use crate::storage::observable_types::ObservableType;
use crate::storage::observables::Observable;
use crate::storage::pages::{Page, PageTemplate};
use crate::storage::patterns::{Pattern, Procedure};
use crate::storage::profiles::Profile;
use crate::storage::query::rows::GenericRow;
use crate::storage::tasks::Task;
use crate::storage::{
    Tx, alerts, audit, case_templates, cases, comments, custom_fields, logs, observable_types, observables,
    organisations, pages, patterns, profiles, query, tasks, users,
};

/// One object of an answer, as its own renderer expects it.
pub enum EntityView {
    Case(Box<CaseView>),
    Alert(Box<AlertView>),
    Task(Box<Task>),
    Log(Box<LogView>),
    Observable(Box<Observable>),
    User(Box<UserView>),
    Organisation(Box<OrganisationView>),
    Profile(Box<Profile>),
    ObservableType(Box<ObservableType>),
    Audit(Box<AuditEntry>),
    CaseTemplate(Box<CaseTemplateView>),
    CustomField(Box<CustomField>),
    Comment(Box<Comment>),
    Page(Box<Page>),
    PageTemplate(Box<PageTemplate>),
    Procedure(Box<Procedure>),
    Pattern(Box<Pattern>),
    Attachment(Box<crate::storage::attachments::Usage>),
    /// Entities without a REST API of their own: every catalogue property.
    Generic(Box<GenericRow>),
}

impl EntityView {
    /// The id of the object.
    pub fn id(&self) -> i64 {
        match self {
            EntityView::Case(v) => v.case.id,
            EntityView::Alert(v) => v.alert.id,
            EntityView::Task(t) => t.id,
            EntityView::Log(l) => l.log.id,
            EntityView::Observable(o) => o.id,
            EntityView::User(u) => u.user.id,
            EntityView::Organisation(o) => o.org.id,
            EntityView::Profile(p) => p.id,
            EntityView::ObservableType(t) => t.id,
            EntityView::Audit(a) => a.id,
            EntityView::CaseTemplate(t) => t.template.id,
            EntityView::CustomField(f) => f.id,
            EntityView::Comment(c) => c.id,
            EntityView::Page(p) => p.id,
            EntityView::PageTemplate(p) => p.id,
            EntityView::Procedure(p) => p.id,
            EntityView::Pattern(p) => p.id,
            EntityView::Attachment(u) => u.id,
            EntityView::Generic(g) => g.id,
        }
    }
}

/// A case as its REST `GET` renders it, for the caller.
pub async fn case_view(tx: &mut Tx, caller: &Caller, id: i64) -> Result<Option<CaseView>, ApiError> {
    match cases::get(tx, &caller.scope(), id).await? {
        Some(case) => Ok(Some(case_service::view(tx, caller, case).await?)),
        None => Ok(None),
    }
}

/// Loads the objects behind `ids`, in order. Ids that vanished are skipped.
pub async fn hydrate(tx: &mut Tx, caller: &Caller, entity: Entity, ids: &[i64]) -> Result<Vec<EntityView>, ApiError> {
    let scope = caller.scope();
    let mut out = Vec::with_capacity(ids.len());
    match entity {
        Entity::Case => {
            // One statement for the page, then the batched view (custom fields, grants).
            let mut found = cases::get_many(tx, &scope, ids).await?;
            let mut ordered = Vec::with_capacity(found.len());
            for id in ids {
                if let Some(pos) = found.iter().position(|c| c.id == *id) {
                    ordered.push(found.swap_remove(pos));
                }
            }
            for v in case_service::views(tx, caller, ordered).await? {
                out.push(EntityView::Case(Box::new(v)));
            }
        }
        Entity::Alert => {
            // Two statements for the page: the alerts, then all their custom fields.
            let mut found = alerts::get_many(tx, &scope, ids).await?;
            let owners: Vec<Owner> = found.iter().map(|a| Owner::Alert(a.id)).collect();
            let mut values = custom_fields::values_of_many(tx, &owners).await?;
            for id in ids {
                if let Some(pos) = found.iter().position(|a| a.id == *id) {
                    let alert = found.swap_remove(pos);
                    let custom_fields = values.remove(&alert.id).unwrap_or_default();
                    out.push(EntityView::Alert(Box::new(AlertView { alert, custom_fields })));
                }
            }
        }
        Entity::Task => {
            for id in ids {
                if let Some(t) = tasks::find(tx, &scope, &render_id(*id)).await? {
                    out.push(EntityView::Task(Box::new(t)));
                }
            }
        }
        Entity::Log => {
            for id in ids {
                if let Some(l) = logs::find(tx, &scope, &render_id(*id)).await? {
                    out.push(EntityView::Log(Box::new(crate::service::logs::view(tx, l).await?)));
                }
            }
        }
        Entity::Observable => {
            // One statement for the page; `get_many` returns them in any order.
            let mut found = observables::get_many(tx, ids).await?;
            for id in ids {
                if let Some(pos) = found.iter().position(|o| o.id == *id) {
                    out.push(EntityView::Observable(Box::new(found.swap_remove(pos))));
                }
            }
        }
        Entity::User => {
            for id in ids {
                if let Some(user) = users::get_by_id(tx, *id).await? {
                    let memberships = users::memberships(tx, user.id).await?;
                    out.push(EntityView::User(Box::new(UserView { user, memberships })));
                }
            }
        }
        Entity::Organisation => {
            for id in ids {
                if let Some(org) = organisations::get_by_id(tx, *id).await? {
                    let links = organisations::link_names(tx, &scope, org.id).await?;
                    out.push(EntityView::Organisation(Box::new(OrganisationView { org, links })));
                }
            }
        }
        Entity::Profile => {
            for id in ids {
                if let Some(p) = profiles::find(tx, &render_id(*id)).await? {
                    out.push(EntityView::Profile(Box::new(p)));
                }
            }
        }
        Entity::ObservableType => {
            for id in ids {
                if let Some(t) = observable_types::find(tx, &render_id(*id)).await? {
                    out.push(EntityView::ObservableType(Box::new(t)));
                }
            }
        }
        Entity::Audit => {
            for id in ids {
                if let Some(a) = audit::get_by_id(tx, *id).await? {
                    out.push(EntityView::Audit(Box::new(a)));
                }
            }
        }
        Entity::CaseTemplate => {
            for id in ids {
                if let Some(template) = case_templates::find(tx, &scope, &render_id(*id)).await? {
                    let tasks = case_templates::tasks(tx, template.id).await?;
                    let custom_fields = custom_fields::values_of(tx, Owner::CaseTemplate(template.id)).await?;
                    let page_template_ids = case_templates::page_template_ids(tx, template.id).await?;
                    out.push(EntityView::CaseTemplate(Box::new(CaseTemplateView {
                        template,
                        tasks,
                        custom_fields,
                        page_template_ids,
                    })));
                }
            }
        }
        Entity::CustomField => {
            for id in ids {
                if let Some(f) = custom_fields::find(tx, &render_id(*id)).await? {
                    out.push(EntityView::CustomField(Box::new(f)));
                }
            }
        }
        Entity::Comment => {
            for id in ids {
                if let Some(c) = comments::find(tx, &scope, &render_id(*id)).await? {
                    out.push(EntityView::Comment(Box::new(c)));
                }
            }
        }
        Entity::Page => {
            let cases_of = query::extra::parent_ids(tx, &super::context(caller), "page", "case_id", ids).await?;
            for id in ids {
                let page = match cases_of.get(id).copied().flatten() {
                    Some(case_id) => pages::find_in_case(tx, &scope, case_id, &render_id(*id)).await?,
                    None => pages::find_in_organisation(tx, &scope, &render_id(*id)).await?,
                };
                if let Some(p) = page {
                    out.push(EntityView::Page(Box::new(p)));
                }
            }
        }
        Entity::PageTemplate => {
            for id in ids {
                if let Some(p) = pages::find_template(tx, &scope, &render_id(*id)).await? {
                    out.push(EntityView::PageTemplate(Box::new(p)));
                }
            }
        }
        Entity::Procedure => {
            let mut found = patterns::procedures_by_ids(tx, ids).await?;
            for id in ids {
                if let Some(pos) = found.iter().position(|p| p.id == *id) {
                    out.push(EntityView::Procedure(Box::new(found.swap_remove(pos))));
                }
            }
        }
        Entity::Pattern => {
            for id in ids {
                if let Some(p) = patterns::find(tx, &render_id(*id)).await? {
                    out.push(EntityView::Pattern(Box::new(p)));
                }
            }
        }
        Entity::Attachment => {
            let mut found = crate::storage::attachments::usages_by_ids(tx, ids).await?;
            for id in ids {
                if let Some(pos) = found.iter().position(|u| u.id == *id) {
                    out.push(EntityView::Attachment(Box::new(found.swap_remove(pos))));
                }
            }
        }
        _ => {
            let rows = query::rows::load(tx, &super::context(caller), entity, ids).await?;
            out.extend(rows.into_iter().map(|r| EntityView::Generic(Box::new(r))));
        }
    }
    Ok(out)
}
