//! The statement under construction: bound values with their `$n` placeholders, fresh
//! table aliases, and the caller's context (organisation, login) bound on first use.
//!
//! Placeholders are allocated lazily and in order, so a statement never declares a
//! parameter it does not use (PostgreSQL refuses that).

use std::collections::HashMap;

use crate::query::ast::CustomFieldType;
use crate::storage::{Backend, Scope, Value};

/// A custom field definition, read before compiling (the value column depends on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomFieldDef {
    pub id: i64,
    pub kind: CustomFieldType,
}

/// Who runs the query: everything the visibility rule and `{org}`/`{login}` need.
#[derive(Debug, Clone)]
pub struct QueryContext {
    pub scope: Scope,
    pub user_id: i64,
    pub login: String,
}

/// Bounds on what one query may return (configuration `[query]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most objects one answer may hold: a larger `page` is refused, and an unpaged
    /// list matching more is refused with a hint to page it.
    pub max_results: u64,
    /// `limitedCount` and `X-Total` stop counting here (spec §3.6).
    pub limited_count_threshold: u64,
}

pub struct Builder<'a> {
    pub backend: Backend,
    pub ctx: &'a QueryContext,
    pub limits: Limits,
    pub custom_fields: &'a HashMap<String, CustomFieldDef>,
    /// The query ends in a sorted page (and counts nothing): full-text predicates should
    /// let the ordered scan drive, see `fulltext::predicate`.
    pub sorted_page: bool,
    args: Vec<Value>,
    org: Option<usize>,
    login: Option<usize>,
    aliases: usize,
}

impl<'a> Builder<'a> {
    pub fn new(
        backend: Backend,
        ctx: &'a QueryContext,
        limits: Limits,
        custom_fields: &'a HashMap<String, CustomFieldDef>,
    ) -> Builder<'a> {
        Builder {
            backend,
            ctx,
            limits,
            custom_fields,
            sorted_page: false,
            args: Vec::new(),
            org: None,
            login: None,
            aliases: 0,
        }
    }

    /// A builder whose first placeholders are already taken by `args` (the values of an
    /// inner statement the new one wraps, as `aggregate.rs` does).
    pub fn seeded(
        backend: Backend,
        ctx: &'a QueryContext,
        limits: Limits,
        custom_fields: &'a HashMap<String, CustomFieldDef>,
        args: Vec<Value>,
    ) -> Builder<'a> {
        Builder { backend, ctx, limits, custom_fields, sorted_page: false, args, org: None, login: None, aliases: 0 }
    }

    /// Binds a value; returns its placeholder.
    pub fn bind(&mut self, value: impl Into<Value>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }

    /// The placeholder index of the caller's organisation id, for `storage::visibility`.
    pub fn org(&mut self) -> usize {
        if let Some(n) = self.org {
            return n;
        }
        self.args.push(self.ctx.scope.organisation_id().into());
        self.org = Some(self.args.len());
        self.args.len()
    }

    /// The placeholder index of the caller's login.
    pub fn login(&mut self) -> usize {
        if let Some(n) = self.login {
            return n;
        }
        self.args.push(self.ctx.login.clone().into());
        self.login = Some(self.args.len());
        self.args.len()
    }

    /// A table alias no other part of the statement uses.
    pub fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("q{}", self.aliases)
    }

    /// Instantiates a catalogue expression for the row aliased `alias`.
    pub fn expr(&mut self, template: &str, alias: &str) -> String {
        let mut sql = template.replace("{t}", alias);
        if sql.contains("{org}") {
            let org = self.org();
            sql = sql.replace("{org}", &format!("${org}"));
        }
        if sql.contains("{login}") {
            let login = self.login();
            sql = sql.replace("{login}", &format!("${login}"));
        }
        sql
    }

    pub fn into_args(self) -> Vec<Value> {
        self.args
    }
}
