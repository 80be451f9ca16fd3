//! The typed query tree (`crate::query::Query`) → ONE SQL statement.
//!
//! A query is a chain of entity sets. Each set is a [`Level`]: one table, an alias, and
//! WHERE conditions — the first of which is always the caller's visibility predicate from
//! `storage::visibility`, added by [`Level::new`], the only constructor. No operator can
//! remove a condition, so nothing a client sends can widen what it sees. A traversal
//! nests the previous set as `id IN (SELECT ...)` under the next entity's own Level; a
//! `page` before further steps becomes an ordered, limited subquery.
//!
//! Shapes chosen for a million cases: visibility is an EXISTS on the indexed `share`
//! lookup; a final list is `ORDER BY <key>, id LIMIT n` so that an index on the sort key
//! (e.g. `cases (status, created_at)`) yields the first page without sorting; tags and
//! custom fields are EXISTS probes on their owner keys (see filter.rs); correlation
//! (`similar`) is a row-value IN on the `(data_type, data_hash)` index.

use super::builder::{Builder, CustomFieldDef, Limits, QueryContext};
use super::catalogue::{self, EntityDef, FieldType, Resolved, custom_value_column};
use super::{dialect, filter};
use crate::query::ast::{
    Aggregation, AggregationKind, FieldPath, Filter, IdOrName, Initial, Order, Page, Scalar, SortKey, Step, TagHint,
    Traversal,
};
use crate::query::{Entity, QueryError};
use crate::storage::{Backend, Value, visibility as vis};

/// The caller's visibility predicate for the row `alias` of `entity`. Global catalogues
/// (profiles, custom fields, observable types, taxonomies, patterns) are visible to all.
pub fn visibility(b: &mut Builder, entity: Entity, alias: &str) -> String {
    let admin = b.ctx.scope.is_admin_org();
    match entity {
        Entity::Case => vis::case(alias, b.org()),
        Entity::Alert => vis::alert(alias, b.org()),
        Entity::Task => vis::task(alias, b.org()),
        Entity::Log => vis::log(alias, b.org()),
        Entity::Observable => vis::observable(alias, b.org()),
        Entity::User => vis::user(alias, b.org(), admin),
        Entity::Organisation => vis::organisation(alias, b.org(), admin),
        Entity::CaseTemplate | Entity::PageTemplate => vis::owned_by_organisation(alias, b.org()),
        Entity::Audit => vis::audit(alias, b.org()),
        Entity::Share => vis::share(alias, b.org()),
        Entity::Procedure | Entity::Comment => vis::case_or_alert_child(alias, b.org()),
        Entity::Page => vis::page(alias, b.org()),
        Entity::Dashboard => {
            let org = b.org();
            vis::dashboard(alias, org, b.login())
        }
        Entity::Tag => vis::tag(alias, b.org()),
        Entity::Job => vis::cortex_job(alias, b.org()),
        Entity::Action => vis::cortex_action(alias, b.org()),
        Entity::Attachment => vis::attachment_usage(alias, b.org()),
        Entity::Profile | Entity::CustomField | Entity::ObservableType | Entity::Taxonomy | Entity::Pattern => {
            "1 = 1".to_owned()
        }
    }
}

#[derive(Debug, Clone)]
struct OrderKey {
    /// Catalogue template (`{t}` for the alias).
    template: String,
    descending: bool,
    nullable: bool,
    text: bool,
}

/// One entity set under construction.
pub struct Level {
    pub def: &'static EntityDef,
    pub alias: String,
    conds: Vec<String>,
    order: Vec<OrderKey>,
    /// `(offset, count)` of a `page` step.
    slice: Option<(u64, u64)>,
    /// For a case set whose only filter is `status = <text>`: the placeholder bound to that
    /// status, so that a count reads `share (organisation_id, case_status)` (see `count`).
    status_eq: Option<String>,
}

impl Level {
    /// A new set of `entity`, already restricted to what the caller may see.
    fn new(b: &mut Builder, entity: Entity) -> Result<Level, QueryError> {
        let def = catalogue::require(entity)?;
        let alias = b.alias();
        let visible = visibility(b, entity, &alias);
        Ok(Level { def, alias, conds: vec![visible], order: Vec::new(), slice: None, status_eq: None })
    }

    fn with(mut self, cond: String) -> Level {
        self.conds.push(cond);
        self
    }

    /// `SELECT <alias>.id FROM ...`, ordered only when a slice needs it or `ordered`.
    fn select_ids(&self, b: &mut Builder, ordered: bool, limit: Option<u64>) -> String {
        let mut sql = format!(
            "SELECT {a}.id FROM {t} {a} WHERE {}",
            self.conds.join(" AND "),
            a = self.alias,
            t = self.def.table
        );
        if ordered || self.slice.is_some() {
            sql.push_str(" ORDER BY ");
            sql.push_str(&self.order_by(b));
        }
        match (self.slice, limit) {
            (Some((offset, count)), None) => sql.push_str(&format!(" LIMIT {count} OFFSET {offset}")),
            (Some((offset, count)), Some(cap)) => {
                sql.push_str(&format!(" LIMIT {} OFFSET {offset}", count.min(cap)));
            }
            (None, Some(cap)) => sql.push_str(&format!(" LIMIT {cap}")),
            (None, None) => {}
        }
        sql
    }

    fn order_by(&self, b: &mut Builder) -> String {
        let mut items: Vec<String> = self
            .order
            .iter()
            .map(|k| {
                let expr = b.expr(&k.template, &self.alias);
                dialect::order(b.backend, &expr, k.descending, k.nullable, k.text)
            })
            .collect();
        // The id breaks ties, so that pages never overlap or skip; it follows the last
        // key's direction so that an index on (key) — which ends with the row id on
        // SQLite — still serves the whole ORDER BY. Without a sort: newest first.
        let descending = self.order.last().is_none_or(|k| k.descending);
        items.push(format!("{}.id {}", self.alias, if descending { "DESC" } else { "ASC" }));
        items.join(", ")
    }

    /// The same set under a fresh alias, so that a filter, sort or page applies to the
    /// result of a previous `page` rather than being merged into it.
    fn seal(self, b: &mut Builder) -> Result<Level, QueryError> {
        let inner = self.select_ids(b, false, None);
        let next = Level::new(b, self.def.entity)?;
        let cond = format!("{}.id IN ({inner})", next.alias);
        let mut next = next.with(cond);
        next.order = self.order;
        Ok(next)
    }

    fn count(&self, b: &mut Builder, cap: Option<u64>) -> String {
        // All visible cases (countCase, an unfiltered listCase): counted on the share index.
        if self.def.entity == Entity::Case && self.conds.len() == 1 && self.slice.is_none() {
            let ids = vis::visible_case_ids(b.org());
            let limit = cap.map(|c| format!(" LIMIT {c}")).unwrap_or_default();
            return format!("SELECT COUNT(*) FROM ({ids}{limit}) counted");
        }
        // The visible cases of one status (the UI's counters, thehive4py's
        // `count(Eq("status", ...))`): one range of the share index keyed by status.
        if let Some(status) = &self.status_eq
            && self.def.entity == Entity::Case
            && self.conds.len() == 2
            && self.slice.is_none()
        {
            let ids = vis::visible_case_ids_of_status(b.org(), status);
            let limit = cap.map(|c| format!(" LIMIT {c}")).unwrap_or_default();
            return format!("SELECT COUNT(*) FROM ({ids}{limit}) counted");
        }
        match (self.slice, cap) {
            (None, None) => format!(
                "SELECT COUNT(*) FROM {t} {a} WHERE {}",
                self.conds.join(" AND "),
                t = self.def.table,
                a = self.alias
            ),
            _ => format!("SELECT COUNT(*) FROM ({}) counted", self.select_ids(b, false, cap)),
        }
    }
}

/// `status = "<text>"`, alone (possibly as the only member of an `_and`), on a plain field.
fn status_equality(f: &Filter) -> Option<&str> {
    match f {
        Filter::Eq { field: FieldPath::Plain(name), value: Scalar::Str(s) } if name == "status" => Some(s),
        Filter::And(v) if v.len() == 1 => status_equality(&v[0]),
        _ => None,
    }
}

/// What the statement returns, and how to read it.
#[derive(Debug)]
pub enum Plan {
    /// Entity ids in output order. `unpaged`: the statement fetches one row more than
    /// allowed, to detect lists too long to answer. `page` is the final page step.
    Entities { entity: Entity, sql: String, args: Vec<Value>, unpaged: bool, page: Option<Page> },
    /// One number; `cap` for `limitedCount` semantics (≥ cap → −cap).
    Number { sql: String, args: Vec<Value>, cap: Option<u64> },
    /// Strings in order (tag texts).
    Strings { sql: String, args: Vec<Value> },
    /// `similarCases` of the alerts `sql` selects: the executor reads them from the
    /// correlation index, keeps the cases `case_filter` accepts, slices and maybe counts.
    SimilarCases { sql: String, args: Vec<Value>, case_filter: Option<Filter>, slice: Option<(u64, u64)>, count: bool },
    /// `linkedCases` of the cases `sql` selects (the executor reads them from the
    /// correlation index), sliced and maybe counted.
    LinkedCases { sql: String, args: Vec<Value>, slice: Option<(u64, u64)>, count: bool },
    /// `aggregation` over the entity set `sql` selects (see aggregate.rs).
    Aggregation { entity: Entity, sql: String, args: Vec<Value>, aggregation: Aggregation },
}

enum Current {
    Set(Level),
    Count(Level),
    Strings(String),
    SimilarCases { alerts: Level, case_filter: Option<Filter>, slice: Option<(u64, u64)>, count: bool },
    LinkedCases { cases: Level, slice: Option<(u64, u64)>, count: bool },
}

/// A `page` or count step after a computed list (`similarCases`, `linkedCases`): the new
/// slice of the list and whether it is counted.
fn slice_after(
    slice: Option<(u64, u64)>,
    count: bool,
    step: &Step,
    index: usize,
) -> Result<(Option<(u64, u64)>, bool), QueryError> {
    Ok(match step {
        Step::Page(p) => {
            let (offset, size) = slice.unwrap_or((0, u64::MAX));
            let from = offset.saturating_add(p.from);
            let to = offset.saturating_add(p.to.min(size));
            (Some((from, to.saturating_sub(from))), count)
        }
        Step::Count | Step::LimitedCount => (slice, true),
        _ => return Err(unsupported(index, step.name())),
    })
}

/// Compiles a whole query. `custom_fields` holds the definitions of every custom field
/// the query names (see [`custom_field_names`]).
pub fn compile(
    backend: Backend,
    ctx: &QueryContext,
    limits: Limits,
    custom_fields: &std::collections::HashMap<String, CustomFieldDef>,
    initial: &Initial,
    steps: &[Step],
) -> Result<Plan, QueryError> {
    let mut b = Builder::new(backend, ctx, limits, custom_fields);
    b.sorted_page = steps.iter().any(|s| matches!(s, Step::Sort(_)))
        && steps.iter().any(|s| matches!(s, Step::Page(_)))
        && !steps.iter().any(|s| matches!(s, Step::Count | Step::LimitedCount));
    let mut current = start(&mut b, initial)?;
    let mut page: Option<Page> = None;
    for (index, step) in steps.iter().enumerate() {
        let index = index + 1;
        let level = match current {
            Current::Set(level) => level,
            // After similarCases come only page and counts (the parser's typing).
            Current::SimilarCases { alerts, case_filter, slice, count } => {
                let (slice, count) = slice_after(slice, count, step, index)?;
                current = Current::SimilarCases { alerts, case_filter, slice, count };
                continue;
            }
            Current::LinkedCases { cases, slice, count } => {
                let (slice, count) = slice_after(slice, count, step, index)?;
                current = Current::LinkedCases { cases, slice, count };
                continue;
            }
            // The parser lets nothing follow a number or strings but `page`, which
            // leaves them as they are.
            other => {
                current = other;
                continue;
            }
        };
        current = match step {
            Step::Filter(f) => {
                let mut level = if level.slice.is_some() { level.seal(&mut b)? } else { level };
                let cond = match (level.def.entity, level.conds.len(), status_equality(f)) {
                    // The same condition filter::compile writes for it (`status` is a
                    // non-null text column), with its placeholder kept for `count`.
                    (Entity::Case, 1, Some(status)) => {
                        let p = b.bind(status);
                        let cond = format!("{}.status = {p}", level.alias);
                        level.status_eq = Some(p);
                        cond
                    }
                    _ => {
                        level.status_eq = None;
                        filter::compile(&mut b, level.def, &level.alias, f)?
                    }
                };
                Current::Set(level.with(cond))
            }
            Step::Sort(keys) => {
                let mut level = if level.slice.is_some() { level.seal(&mut b)? } else { level };
                level.order = order_keys(&b, level.def, keys)?;
                Current::Set(level)
            }
            Step::Page(p) => {
                let size = p.to - p.from;
                if size > limits.max_results {
                    return Err(QueryError::InvalidParameter {
                        path: format!("query[{index}]"),
                        reason: format!(
                            "a page holds at most {} objects, this one asks for {size}",
                            limits.max_results
                        ),
                    });
                }
                let mut level = if level.slice.is_some() { level.seal(&mut b)? } else { level };
                level.slice = Some((p.from, size));
                page = Some(p.clone());
                Current::Set(level)
            }
            Step::Count => Current::Count(level),
            Step::LimitedCount => {
                let sql = level.count(&mut b, Some(limits.limited_count_threshold));
                return Ok(Plan::Number { sql, args: b.into_args(), cap: Some(limits.limited_count_threshold) });
            }
            Step::Traverse(Traversal::LinkedCases) if level.def.entity == Entity::Case => {
                Current::LinkedCases { cases: level, slice: None, count: false }
            }
            Step::Traverse(t) => {
                page = None;
                traverse(&mut b, level, *t, index)?
            }
            Step::SimilarCases { case_filter } => {
                Current::SimilarCases { alerts: level, case_filter: case_filter.clone(), slice: None, count: false }
            }
            Step::Aggregation(aggregation) => {
                // The answer is one object: only a (meaningless) page may follow.
                if let Some((i, next)) = steps.iter().enumerate().skip(index).find(|(_, s)| !matches!(s, Step::Page(_)))
                {
                    return Err(unsupported(i + 1, next.name()));
                }
                let entity = level.def.entity;
                let sql = level.select_ids(&mut b, false, None);
                return Ok(Plan::Aggregation { entity, sql, args: b.into_args(), aggregation: aggregation.clone() });
            }
        };
    }
    Ok(match current {
        Current::Set(level) => {
            let unpaged = level.slice.is_none();
            let cap = unpaged.then_some(limits.max_results + 1);
            let sql = level.select_ids(&mut b, true, cap);
            Plan::Entities { entity: level.def.entity, sql, args: b.into_args(), unpaged, page }
        }
        Current::Count(level) => {
            let sql = level.count(&mut b, None);
            Plan::Number { sql, args: b.into_args(), cap: None }
        }
        Current::Strings(sql) => Plan::Strings { sql, args: b.into_args() },
        Current::SimilarCases { alerts, case_filter, slice, count } => {
            let sql = alerts.select_ids(&mut b, true, Some(limits.max_results));
            Plan::SimilarCases { sql, args: b.into_args(), case_filter, slice, count }
        }
        Current::LinkedCases { cases, slice, count } => {
            let sql = cases.select_ids(&mut b, true, Some(limits.max_results));
            Plan::LinkedCases { sql, args: b.into_args(), slice, count }
        }
    })
}

fn unsupported(index: usize, name: &str) -> QueryError {
    QueryError::InvalidOperation {
        path: format!("query[{index}]"),
        reason: format!("operation \"{name}\" is not supported by this server yet"),
    }
}

fn order_keys(b: &Builder, def: &EntityDef, keys: &[SortKey]) -> Result<Vec<OrderKey>, QueryError> {
    keys.iter()
        .map(|key| {
            let descending = key.order == Order::Desc;
            Ok(match def.resolve(&key.field)? {
                Resolved::Scalar { sql, ty, nullable } => {
                    OrderKey { template: sql, descending, nullable, text: ty.is_text() }
                }
                // A set sorts by its JSON rendering, which lists the elements in order.
                Resolved::Tags { .. } => {
                    OrderKey { template: "{t}.tags".to_owned(), descending, nullable: false, text: true }
                }
                Resolved::CustomField { owner_kind, name, kind } => {
                    let cf = filter::custom_field(b, def, &key.field, &name, kind)?;
                    let (column, ty) = custom_value_column(cf.kind);
                    OrderKey {
                        template: format!(
                            "(SELECT cat_v.{column} FROM custom_field_value cat_v WHERE cat_v.custom_field_id = {} \
                             AND cat_v.owner_kind = '{owner_kind}' AND cat_v.owner_id = {{t}}.id)",
                            cf.id
                        ),
                        descending,
                        nullable: true,
                        text: ty == FieldType::Text,
                    }
                }
            })
        })
        .collect()
}

const NOTHING: &str = "1 = 0";

/// The SQL expression of the id of a case given as `~id` or number.
fn case_ref(b: &mut Builder, id: &IdOrName) -> String {
    match id {
        IdOrName::Id(raw) => match crate::ids::parse_id(raw) {
            Some(id) => b.bind(id),
            None => "NULL".to_owned(),
        },
        IdOrName::Name(number) => match number.parse::<i64>() {
            Ok(n) => format!("(SELECT cr.id FROM cases cr WHERE cr.number = {})", b.bind(n)),
            Err(_) => "NULL".to_owned(),
        },
    }
}

/// The SQL expression of the id of an alert given as `~id` or `type;source;sourceRef`.
fn alert_ref(b: &mut Builder, id: &IdOrName) -> String {
    match id {
        IdOrName::Id(raw) => match crate::ids::parse_id(raw) {
            Some(id) => b.bind(id),
            None => "NULL".to_owned(),
        },
        IdOrName::Name(name) => match name.splitn(3, ';').collect::<Vec<_>>().as_slice() {
            [ty, source, source_ref] => {
                let (ty, source, source_ref) = (b.bind(*ty), b.bind(*source), b.bind(*source_ref));
                format!(
                    "(SELECT ar.id FROM alert ar WHERE ar.type = {ty} AND ar.source = {source} \
                     AND ar.source_ref = {source_ref} AND ar.organisation_id = ${})",
                    b.org()
                )
            }
            _ => "NULL".to_owned(),
        },
    }
}

/// `getXxx`: by `~id`, or by the entity's name (spec §0.3); names of entities that have
/// none match nothing (an empty answer, never an error).
fn by_id_or_name(b: &mut Builder, level: Level, id: &IdOrName) -> Level {
    let a = level.alias.clone();
    let cond = match id {
        IdOrName::Id(raw) => match crate::ids::parse_id(raw) {
            Some(n) => format!("{a}.id = {}", b.bind(n)),
            None => NOTHING.to_owned(),
        },
        IdOrName::Name(name) => {
            let column = match level.def.entity {
                Entity::Case => {
                    return match name.parse::<i64>() {
                        Ok(n) => {
                            let p = b.bind(n);
                            level.with(format!("{a}.number = {p}"))
                        }
                        Err(_) => level.with(NOTHING.to_owned()),
                    };
                }
                Entity::Alert => {
                    let r = alert_ref(b, id);
                    return level.with(format!("{a}.id = {r}"));
                }
                Entity::User => {
                    let p = b.bind(crate::auth::caller::normalise_login(name));
                    return level.with(format!("{a}.login = {p}"));
                }
                Entity::Organisation
                | Entity::Profile
                | Entity::CaseTemplate
                | Entity::CustomField
                | Entity::ObservableType => "name",
                Entity::Pattern => "mitre_id",
                Entity::Taxonomy => "namespace",
                Entity::Page => "slug",
                _ => return level.with(NOTHING.to_owned()),
            };
            format!("{a}.{column} = {}", b.bind(name.as_str()))
        }
    };
    level.with(cond)
}

/// The initial operation (spec §3.2).
fn start(b: &mut Builder, initial: &Initial) -> Result<Current, QueryError> {
    use Initial as I;
    let set = |b: &mut Builder, entity| Level::new(b, entity);
    Ok(match initial {
        I::ListCase => Current::Set(set(b, Entity::Case)?),
        I::GetCase(id) => get(b, Entity::Case, id)?,
        I::CountCase => Current::Count(set(b, Entity::Case)?),
        I::ListAlert => Current::Set(set(b, Entity::Alert)?),
        I::GetAlert(id) => get(b, Entity::Alert, id)?,
        I::CountAlert => Current::Count(set(b, Entity::Alert)?),
        I::CountUnreadAlert => {
            let l = set(b, Entity::Alert)?;
            let cond = format!("{}.read = FALSE", l.alias);
            Current::Count(l.with(cond))
        }
        I::CountImportedAlert => {
            let l = set(b, Entity::Alert)?;
            let cond = format!("{}.case_id IS NOT NULL", l.alias);
            Current::Count(l.with(cond))
        }
        I::CountRelatedAlert { case_id } => {
            let l = set(b, Entity::Alert)?;
            let cond = format!("{}.case_id = {}", l.alias, case_ref(b, case_id));
            Current::Count(l.with(cond))
        }
        I::ListTask => Current::Set(set(b, Entity::Task)?),
        I::GetTask(id) => get(b, Entity::Task, id)?,
        I::CountTask { case_id } => {
            let l = set(b, Entity::Task)?;
            let cond = format!("{a}.case_id = {} AND {a}.status <> 'Cancel'", case_ref(b, case_id), a = l.alias);
            Current::Count(l.with(cond))
        }
        I::WaitingTasks => {
            let l = set(b, Entity::Task)?;
            let cond = format!("{}.status = 'Waiting'", l.alias);
            Current::Set(l.with(cond))
        }
        I::MyTasks => {
            let l = set(b, Entity::Task)?;
            let cond = format!("{}.assignee = ${}", l.alias, b.login());
            Current::Set(l.with(cond))
        }
        I::ListLog => Current::Set(set(b, Entity::Log)?),
        I::GetLog(id) => get(b, Entity::Log, id)?,
        I::ListObservable => Current::Set(set(b, Entity::Observable)?),
        I::GetObservable(id) => get(b, Entity::Observable, id)?,
        I::CountCaseObservable { case_id } => {
            let l = set(b, Entity::Observable)?;
            let cond = format!("{}.case_id = {}", l.alias, case_ref(b, case_id));
            Current::Count(l.with(cond))
        }
        I::CountAlertObservable { alert_id } => {
            let l = set(b, Entity::Observable)?;
            let cond = format!("{}.alert_id = {}", l.alias, alert_ref(b, alert_id));
            Current::Count(l.with(cond))
        }
        I::ListCaseTemplate => Current::Set(set(b, Entity::CaseTemplate)?),
        I::GetCaseTemplate(id) => get(b, Entity::CaseTemplate, id)?,
        I::ListCustomField => Current::Set(set(b, Entity::CustomField)?),
        I::GetCustomField(id) => get(b, Entity::CustomField, id)?,
        I::ListObservableType => Current::Set(set(b, Entity::ObservableType)?),
        I::GetObservableType(id) => get(b, Entity::ObservableType, id)?,
        I::ListOrganisation => Current::Set(set(b, Entity::Organisation)?),
        I::GetOrganisation(id) => get(b, Entity::Organisation, id)?,
        I::ListUser => Current::Set(set(b, Entity::User)?),
        I::GetUser(id) => get(b, Entity::User, id)?,
        I::CurrentUser => {
            let l = set(b, Entity::User)?;
            let user_id = b.ctx.user_id;
            let cond = format!("{}.id = {}", l.alias, b.bind(user_id));
            Current::Set(l.with(cond))
        }
        I::ListProfile => Current::Set(set(b, Entity::Profile)?),
        I::GetProfile(id) => get(b, Entity::Profile, id)?,
        I::ListShare => Current::Set(set(b, Entity::Share)?),
        I::GetShare(id) => get(b, Entity::Share, id)?,
        I::ListAudit => Current::Set(set(b, Entity::Audit)?),
        I::GetAudit(id) => get(b, Entity::Audit, id)?,
        I::ListAuditFromObject { object_id } => {
            let l = set(b, Entity::Audit)?;
            let cond = match object_id {
                IdOrName::Id(raw) => match crate::ids::parse_id(raw) {
                    Some(id) => format!("{}.object_id = {}", l.alias, b.bind(id)),
                    None => NOTHING.to_owned(),
                },
                IdOrName::Name(_) => NOTHING.to_owned(),
            };
            Current::Set(l.with(cond))
        }
        I::ListTag => Current::Set(set(b, Entity::Tag)?),
        I::GetTag(id) => get(b, Entity::Tag, id)?,
        I::Freetags => Current::Set(free_tags(b)?),
        I::CountFreetags => Current::Count(free_tags(b)?),
        I::TagAutoComplete(hint) => Current::Strings(tag_auto_complete(b, hint)?),
        I::ListTaxonomy => Current::Set(set(b, Entity::Taxonomy)?),
        I::GetTaxonomy(id) => get(b, Entity::Taxonomy, id)?,
        I::ListPattern => Current::Set(set(b, Entity::Pattern)?),
        I::GetPattern(id) => get(b, Entity::Pattern, id)?,
        I::ListProcedure => Current::Set(set(b, Entity::Procedure)?),
        I::GetProcedure(id) => get(b, Entity::Procedure, id)?,
        I::ListDashboard => Current::Set(set(b, Entity::Dashboard)?),
        I::GetDashboard(id) => get(b, Entity::Dashboard, id)?,
        I::ListComment => Current::Set(set(b, Entity::Comment)?),
        I::GetComment(id) => get(b, Entity::Comment, id)?,
        I::ListPage => Current::Set(set(b, Entity::Page)?),
        I::GetPage(id) => get(b, Entity::Page, id)?,
        I::ListPageTemplate => Current::Set(set(b, Entity::PageTemplate)?),
        I::GetPageTemplate(id) => get(b, Entity::PageTemplate, id)?,
        I::ListJob => Current::Set(set(b, Entity::Job)?),
        I::ListAction => Current::Set(set(b, Entity::Action)?),
    })
}

/// `getXxx`: the set of 0 or 1 entity named by `id`.
fn get(b: &mut Builder, entity: Entity, id: &IdOrName) -> Result<Current, QueryError> {
    let level = Level::new(b, entity)?;
    Ok(Current::Set(by_id_or_name(b, level, id)))
}

fn free_tags(b: &mut Builder) -> Result<Level, QueryError> {
    let l = Level::new(b, Entity::Tag)?;
    let cond = format!("{}.organisation_id = ${}", l.alias, b.org());
    Ok(l.with(cond))
}

/// `tagAutoComplete`: texts of visible tags whose parts start with the hints, sorted,
/// at most `limit` (default 10, never more than the configured maximum).
fn tag_auto_complete(b: &mut Builder, hint: &TagHint) -> Result<String, QueryError> {
    let l = Level::new(b, Entity::Tag)?;
    let a = l.alias.clone();
    let mut conds = l.conds;
    if let Some(free) = &hint.free_tag {
        conds.push(format!("{a}.organisation_id = ${}", b.org()));
        let p = b.bind(format!("{}%", dialect::like_escape(free)));
        conds.push(dialect::ilike(b.backend, &format!("{a}.predicate"), &p));
    }
    for (value, column) in [(&hint.namespace, "namespace"), (&hint.predicate, "predicate"), (&hint.value, "value")] {
        if let Some(value) = value {
            let p = b.bind(format!("{}%", dialect::like_escape(value)));
            conds.push(dialect::ilike(b.backend, &format!("{a}.{column}"), &p));
        }
    }
    let limit = hint.limit.unwrap_or(10).min(b.limits.max_results);
    Ok(format!("SELECT DISTINCT {a}.text FROM tag {a} WHERE {} ORDER BY {a}.text LIMIT {limit}", conds.join(" AND ")))
}

/// Follows a relation (spec §3.3). The new set keeps the visibility rule of its own entity.
fn traverse(b: &mut Builder, from: Level, t: Traversal, index: usize) -> Result<Current, QueryError> {
    use Entity as E;
    use Traversal as T;
    let source = from.def.entity;
    let inner = from.select_ids(b, false, None);
    let to = match t.apply(source) {
        Some(crate::query::Output::Entities(to)) if catalogue::entity(to).is_some() => to,
        _ => return Err(unsupported(index, t.name())),
    };
    if t == T::Text {
        // Tag → text: the tags' texts, as strings.
        let l = Level::new(b, E::Tag)?;
        let a = l.alias.clone();
        return Ok(Current::Strings(format!(
            "SELECT {a}.text FROM tag {a} WHERE {} AND {a}.id IN ({inner}) ORDER BY {a}.text",
            l.conds.join(" AND ")
        )));
    }
    let next = Level::new(b, to)?;
    let a = next.alias.clone();
    let cond = match (source, t) {
        (_, T::Audits) => format!("{a}.object_type = '{}' AND {a}.object_id IN ({inner})", source.label()),
        (_, T::AuditsFromContext) => format!("{a}.root_type = '{}' AND {a}.root_id IN ({inner})", source.label()),

        (E::Case, T::Observables | T::Tasks | T::Alerts | T::Shares | T::Procedures | T::Pages | T::Comments) => {
            format!("{a}.case_id IN ({inner})")
        }
        (E::Case, T::Organisations) => {
            format!("{a}.id IN (SELECT ts.organisation_id FROM share ts WHERE ts.case_id IN ({inner}))")
        }
        (E::Case, T::AssignableUsers) => format!(
            "{a}.locked = FALSE AND {a}.id IN (SELECT tr.user_id FROM role tr JOIN share ts \
             ON ts.organisation_id = tr.organisation_id WHERE ts.case_id IN ({inner}))"
        ),
        (E::Case, T::CaseTemplate) => {
            format!("{a}.id IN (SELECT tc.case_template_id FROM cases tc WHERE tc.id IN ({inner}))")
        }

        (E::Alert, T::Observables | T::Procedures | T::Comments) => format!("{a}.alert_id IN ({inner})"),
        (E::Case, T::Attachments) => format!("{a}.case_id IN ({inner})"),
        (E::Alert, T::Attachments) => format!("{a}.alert_id IN ({inner})"),
        (E::Organisation, T::Attachments) => format!("{a}.organisation_id IN ({inner})"),
        (E::Alert, T::Case) => format!("{a}.id IN (SELECT ta.case_id FROM alert ta WHERE ta.id IN ({inner}))"),

        (E::Observable, T::Case) => {
            format!("{a}.id IN (SELECT tob.case_id FROM observable tob WHERE tob.id IN ({inner}))")
        }
        (E::Observable, T::Alert) => {
            format!("{a}.id IN (SELECT tob.alert_id FROM observable tob WHERE tob.id IN ({inner}))")
        }
        (E::Observable, T::Shares) => format!(
            "EXISTS (SELECT 1 FROM observable tob WHERE tob.id IN ({inner}) AND tob.case_id = {a}.case_id \
             AND ({a}.owner = TRUE OR EXISTS (SELECT 1 FROM share_observable tso WHERE tso.share_id = {a}.id \
             AND tso.observable_id = tob.id)))"
        ),
        (E::Observable, T::Organisations) => format!(
            "{a}.id IN (SELECT ts.organisation_id FROM share ts JOIN observable tob ON tob.case_id = ts.case_id \
             WHERE tob.id IN ({inner}) AND (ts.owner = TRUE OR EXISTS (SELECT 1 FROM share_observable tso \
             WHERE tso.share_id = ts.id AND tso.observable_id = tob.id)))"
        ),
        (E::Observable, T::Similar) => format!(
            "({a}.data_type, {a}.data_hash) IN (SELECT tob.data_type, tob.data_hash FROM observable tob \
             WHERE tob.id IN ({inner}) AND tob.ignore_similarity = FALSE) \
             AND {a}.id NOT IN ({inner}) AND {a}.ignore_similarity = FALSE"
        ),
        (E::Observable, T::FromCase) => format!("{a}.id IN ({inner}) AND {a}.case_id IS NOT NULL"),
        (E::Observable, T::FromAlert) => format!("{a}.id IN ({inner}) AND {a}.alert_id IS NOT NULL"),
        (E::Observable, T::FromJobReport) => {
            format!("{a}.id IN ({inner}) AND {a}.id IN (SELECT tja.observable_id FROM cortex_job_artifact tja)")
        }

        (E::Task, T::Case) => format!("{a}.id IN (SELECT tt.case_id FROM task tt WHERE tt.id IN ({inner}))"),
        (E::Task, T::Logs) => format!("{a}.task_id IN ({inner})"),
        (E::Task, T::Shares) => format!(
            "EXISTS (SELECT 1 FROM task tt WHERE tt.id IN ({inner}) AND tt.case_id = {a}.case_id \
             AND ({a}.owner = TRUE OR EXISTS (SELECT 1 FROM share_task tst WHERE tst.share_id = {a}.id \
             AND tst.task_id = tt.id)))"
        ),
        (E::Task, T::Organisations) => format!(
            "{a}.id IN (SELECT ts.organisation_id FROM share ts JOIN task tt ON tt.case_id = ts.case_id \
             WHERE tt.id IN ({inner}) AND (ts.owner = TRUE OR EXISTS (SELECT 1 FROM share_task tst \
             WHERE tst.share_id = ts.id AND tst.task_id = tt.id)))"
        ),
        (E::Task, T::AssignableUsers) => format!(
            "{a}.locked = FALSE AND {a}.id IN (SELECT tr.user_id FROM role tr JOIN share ts \
             ON ts.organisation_id = tr.organisation_id JOIN task tt ON tt.case_id = ts.case_id \
             WHERE tt.id IN ({inner}))"
        ),

        (E::Log, T::Task) => format!("{a}.id IN (SELECT tl.task_id FROM log tl WHERE tl.id IN ({inner}))"),

        (E::Organisation, T::Users) => {
            format!("{a}.id IN (SELECT tr.user_id FROM role tr WHERE tr.organisation_id IN ({inner}))")
        }
        (E::Organisation, T::CaseTemplates | T::Alerts) => format!("{a}.organisation_id IN ({inner})"),
        (E::Organisation, T::Cases) => format!(
            "{a}.id IN (SELECT ts.case_id FROM share ts WHERE ts.owner = TRUE AND ts.organisation_id IN ({inner}))"
        ),
        (E::Organisation, T::Visible) => format!(
            "({a}.id IN ({inner}) OR {a}.id IN (SELECT tk.to_organisation_id FROM organisation_link tk \
             WHERE tk.from_organisation_id IN ({inner})))"
        ),

        (E::Share, T::Case) => format!("{a}.id IN (SELECT ts.case_id FROM share ts WHERE ts.id IN ({inner}))"),
        (E::Share, T::Organisation) => {
            format!("{a}.id IN (SELECT ts.organisation_id FROM share ts WHERE ts.id IN ({inner}))")
        }
        (E::Share, T::Observables) => format!(
            "EXISTS (SELECT 1 FROM share ts WHERE ts.id IN ({inner}) AND ts.case_id = {a}.case_id \
             AND (ts.owner = TRUE OR EXISTS (SELECT 1 FROM share_observable tso WHERE tso.share_id = ts.id \
             AND tso.observable_id = {a}.id)))"
        ),
        (E::Share, T::Tasks) => format!(
            "EXISTS (SELECT 1 FROM share ts WHERE ts.id IN ({inner}) AND ts.case_id = {a}.case_id \
             AND (ts.owner = TRUE OR EXISTS (SELECT 1 FROM share_task tst WHERE tst.share_id = ts.id \
             AND tst.task_id = {a}.id)))"
        ),

        (E::User, T::Tasks | T::Cases) => {
            format!("{a}.assignee IN (SELECT tu.login FROM app_user tu WHERE tu.id IN ({inner}))")
        }
        (E::User, T::Organisations) => {
            format!("{a}.id IN (SELECT tr.organisation_id FROM role tr WHERE tr.user_id IN ({inner}))")
        }

        (E::CaseTemplate, T::PageTemplates) => format!(
            "{a}.id IN (SELECT tp.page_template_id FROM case_template_page_template tp \
             WHERE tp.case_template_id IN ({inner}))"
        ),

        (E::Taxonomy, T::Tags) => format!("{a}.taxonomy_id IN ({inner})"),
        (E::Tag, T::Freetags) => format!("{a}.id IN ({inner}) AND {a}.organisation_id = ${}", b.org()),

        _ => return Err(unsupported(index, t.name())),
    };
    Ok(Current::Set(next.with(cond)))
}

/// The custom fields an aggregation (and its sub-aggregations) groups, measures or filters on.
fn walk_aggregation(a: &Aggregation, out: &mut Vec<String>, walk: &dyn Fn(&Filter, &mut Vec<String>)) {
    use crate::query::ast::FieldPath;
    if let Some(f) = &a.filter {
        walk(f, out);
    }
    let (field, select) = match &a.kind {
        AggregationKind::Field { field, select, .. } | AggregationKind::Time { field, select, .. } => {
            (Some(field), select.as_slice())
        }
        AggregationKind::Metric { field, .. } => (Some(field), &[][..]),
        AggregationKind::Count => (None, &[][..]),
    };
    if let Some(FieldPath::CustomField { name, .. }) = field {
        out.push(name.clone());
    }
    for sub in select {
        walk_aggregation(sub, out, walk);
    }
}

/// Every custom field name the query filters or sorts on, so that the executor can read
/// their definitions (id and type) before compiling.
pub fn custom_field_names(steps: &[Step]) -> Vec<String> {
    fn walk(f: &Filter, out: &mut Vec<String>) {
        use crate::query::ast::FieldPath;
        let field = match f {
            Filter::And(items) | Filter::Or(items) => {
                items.iter().for_each(|i| walk(i, out));
                return;
            }
            Filter::Not(inner) => return walk(inner, out),
            Filter::Eq { field, .. }
            | Filter::Ne { field, .. }
            | Filter::Lt { field, .. }
            | Filter::Lte { field, .. }
            | Filter::Gt { field, .. }
            | Filter::Gte { field, .. }
            | Filter::In { field, .. }
            | Filter::Between { field, .. }
            | Filter::Like { field, .. }
            | Filter::Wildcard { field, .. }
            | Filter::StartsWith { field, .. }
            | Filter::EndsWith { field, .. }
            | Filter::Match { field, .. }
            | Filter::Contains { field } => field,
            Filter::Any | Filter::Id(_) | Filter::Text(_) => return,
        };
        if let FieldPath::CustomField { name, .. } = field {
            out.push(name.clone());
        }
    }
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Filter(f) => walk(f, &mut out),
            Step::Sort(keys) => {
                for key in keys {
                    if let crate::query::ast::FieldPath::CustomField { name, .. } = &key.field {
                        out.push(name.clone());
                    }
                }
            }
            Step::SimilarCases { case_filter: Some(f) } => walk(f, &mut out),
            Step::Aggregation(a) => walk_aggregation(a, &mut out, &walk),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}
