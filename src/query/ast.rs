//! The typed query tree that [`super::parse`] builds from TheHive's query DSL
//! (spec `thehive-api.md` §3), plus the static typing rules of the DSL: which
//! operation applies to which kind of result, and what it yields.
//!
//! This module holds shapes only. It must not hold JSON handling (that is
//! `parse`), SQL, or entity field schemas: whether `severity` exists on a case
//! or takes a number is the compiler's business, because only it knows the
//! schemas.

use std::fmt;

pub use super::ops::{Entity, IdOrName, Initial, Output, TagHint, Traversal};

/// A parsed body of `POST /api/v{N}/query`.
///
/// The steps are already type-checked against each other: every step applies
/// to what the step before it produced (see [`Output::then`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The first operation; it starts from the whole (visible) data set.
    pub initial: Initial,
    /// The operations after the first one, applied left to right.
    pub steps: Vec<Step>,
    /// 5.x `excludeFields`: output fields to drop from rendered objects.
    pub exclude_fields: Vec<String>,
}

impl Query {
    /// What the whole query produces, which decides the response shape
    /// (array of objects, bare number, ...). `None` only for a hand-built
    /// query whose steps do not fit together; parsed queries always fit.
    pub fn output(&self) -> Option<Output> {
        self.steps.iter().try_fold(self.initial.output(), |input, step| input.then(step))
    }

    /// Each step paired with the result it is applied to, for the compiler,
    /// which needs to know the entity a `filter` or `sort` talks about.
    pub fn typed_steps(&self) -> impl Iterator<Item = (Output, &Step)> {
        let mut input = Some(self.initial.output());
        self.steps.iter().map_while(move |step| {
            let current = input?;
            input = current.then(step);
            Some((current, step))
        })
    }
}

/// One operation after the initial one.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Follow a relation (`tasks`, `observables`, `case`, ...).
    Traverse(Traversal),
    /// `similarCases` on alerts, with its optional `caseFilter` applied to the
    /// candidate cases. Kept apart from [`Traversal`] because it carries a
    /// filter and yields JSON rather than entities.
    SimilarCases {
        case_filter: Option<Filter>,
    },
    Filter(Filter),
    /// `sort`: keys in priority order.
    Sort(Vec<SortKey>),
    Page(Page),
    /// `count`: exact number.
    Count,
    /// `limitedCount`: count capped at the configured threshold (spec §3.6);
    /// the threshold is server configuration, not part of the request.
    LimitedCount,
    Aggregation(Aggregation),
}

impl Step {
    /// The `_name` this step is spelled with.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Traverse(t) => t.name(),
            Step::SimilarCases { .. } => "similarCases",
            Step::Filter(_) => "filter",
            Step::Sort(_) => "sort",
            Step::Page(_) => "page",
            Step::Count => "count",
            Step::LimitedCount => "limitedCount",
            Step::Aggregation(_) => "aggregation",
        }
    }
}

/// A filter expression (spec §3.4). Both TheHive 4 and 5 spellings parse to
/// the same node; the comments give the accepted spellings.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `{}`, `{"_any": ...}`: no filtering.
    Any,
    /// `_and`. An empty list is kept as is; TheHive 4.1 matches nothing for it.
    And(Vec<Filter>),
    /// `_or`. An empty list matches nothing.
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// `_eq` (5.x), `_is`, bare `{"_field", "_value"}`, legacy `{"status": "Open"}`.
    Eq {
        field: FieldPath,
        value: Scalar,
    },
    Ne {
        field: FieldPath,
        value: Scalar,
    },
    Lt {
        field: FieldPath,
        value: Scalar,
    },
    Lte {
        field: FieldPath,
        value: Scalar,
    },
    Gt {
        field: FieldPath,
        value: Scalar,
    },
    Gte {
        field: FieldPath,
        value: Scalar,
    },
    In {
        field: FieldPath,
        values: Vec<Scalar>,
    },
    /// `from <= x < to`; thehive4py's `Before`/`After` send one bound only.
    Between {
        field: FieldPath,
        from: Option<Scalar>,
        to: Option<Scalar>,
    },
    /// `_like`: a leading and/or trailing `*` only (see [`LikeMatch`]).
    Like {
        field: FieldPath,
        pattern: String,
    },
    /// `_wildcard`: TheHive 4 treats it as `_like`; kept apart so the compiler
    /// can also honour `*`/`?` inside the pattern, as TheHive 5's index does.
    Wildcard {
        field: FieldPath,
        pattern: String,
    },
    StartsWith {
        field: FieldPath,
        value: String,
    },
    EndsWith {
        field: FieldPath,
        value: String,
    },
    /// `_match` (5.x): full-text token match on one field.
    Match {
        field: FieldPath,
        value: String,
    },
    /// `_contains` (4.x) / `_has` (5.x): the field is present (has a value).
    Contains {
        field: FieldPath,
    },
    /// `_id`: one id (or, as an extension, a list); each starts with `~`.
    Id(Vec<String>),
    /// `_string`: free-text query. TheHive 4 ignores it (matches all).
    Text(String),
}

/// A field named in a filter, sort or aggregation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldPath {
    /// A plain property such as `title`; dotted read-only properties such
    /// as `computed.handlingDuration` or `attachment.name` stay plain too.
    Plain(String),
    /// `customFields.<name>` or `customFields.<name>.<type>`.
    CustomField { name: String, kind: Option<CustomFieldType> },
    /// One of the five meta fields every entity has (spec §1.1).
    Meta(MetaField),
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldPath::Plain(name) => f.write_str(name),
            FieldPath::CustomField { name, kind: None } => write!(f, "customFields.{name}"),
            FieldPath::CustomField { name, kind: Some(kind) } => write!(f, "customFields.{name}.{}", kind.as_str()),
            FieldPath::Meta(meta) => f.write_str(meta.as_str()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetaField {
    Id,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
    UpdatedBy,
}

impl MetaField {
    pub const ALL: [MetaField; 5] =
        [MetaField::Id, MetaField::CreatedAt, MetaField::CreatedBy, MetaField::UpdatedAt, MetaField::UpdatedBy];

    pub fn as_str(self) -> &'static str {
        match self {
            MetaField::Id => "_id",
            MetaField::CreatedAt => "_createdAt",
            MetaField::CreatedBy => "_createdBy",
            MetaField::UpdatedAt => "_updatedAt",
            MetaField::UpdatedBy => "_updatedBy",
        }
    }
}

/// Custom field value types (spec §1.2); `url` is 5.x only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomFieldType {
    String,
    Integer,
    Float,
    Boolean,
    Date,
    Url,
}

impl CustomFieldType {
    pub const ALL: [CustomFieldType; 6] = [
        CustomFieldType::String,
        CustomFieldType::Integer,
        CustomFieldType::Float,
        CustomFieldType::Boolean,
        CustomFieldType::Date,
        CustomFieldType::Url,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomFieldType::String => "string",
            CustomFieldType::Integer => "integer",
            CustomFieldType::Float => "float",
            CustomFieldType::Boolean => "boolean",
            CustomFieldType::Date => "date",
            CustomFieldType::Url => "url",
        }
    }
}

/// A JSON scalar as sent by the client. It is not yet converted to the
/// field's type (dates are plain integers here): that needs the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

/// How a `_like` pattern matches, following TheHive 4: only a leading and a
/// trailing `*` are special; anything else is compared literally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LikeMatch<'a> {
    Contains(&'a str),
    StartsWith(&'a str),
    EndsWith(&'a str),
    Exact(&'a str),
}

impl<'a> LikeMatch<'a> {
    pub fn classify(pattern: &'a str) -> Self {
        let leading = pattern.strip_prefix('*');
        let trailing = pattern.strip_suffix('*');
        match (leading, trailing) {
            // A lone "*" is both prefix and suffix: it contains "".
            (Some(_), Some(_)) if pattern.len() == 1 => LikeMatch::Contains(""),
            (Some(rest), Some(_)) => LikeMatch::Contains(rest.strip_suffix('*').unwrap_or(rest)),
            (Some(rest), None) => LikeMatch::EndsWith(rest),
            (None, Some(rest)) => LikeMatch::StartsWith(rest),
            (None, None) => LikeMatch::Exact(pattern),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub field: FieldPath,
    pub order: Order,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// `page`: the slice `[from, to)` plus extra data to compute per object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub from: u64,
    pub to: u64,
    /// `extraData` names, kept as given; unknown names are ignored when
    /// rendering (spec §3.5), so they are not checked here.
    pub extra_data: Vec<String>,
    /// Users only: which organisation's profile to render.
    pub organisation: Option<String>,
}

/// `aggregation` (spec §3.7).
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregation {
    /// `_name` of a sub-aggregation; `None` means the default
    /// (`count`, `field_<f>`, `avg_<f>`, ...). Always `None` at the top
    /// level, where `_name` is the step name.
    pub name: Option<String>,
    /// `_query`: only the matching entities are aggregated.
    pub filter: Option<Filter>,
    pub kind: AggregationKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AggregationKind {
    /// `field`: group by the values of one field.
    Field { field: FieldPath, order: Vec<(AggregationOrderKey, Order)>, size: Option<u64>, select: Vec<Aggregation> },
    /// `count`: `{"<name>": n}`.
    Count,
    /// `time`: group a date field into buckets.
    Time { field: FieldPath, interval: Interval, select: Vec<Aggregation> },
    /// `avg`, `min`, `max`, `sum` of one field.
    Metric { function: MetricFunction, field: FieldPath },
}

/// A field aggregation may only be ordered by its key or by bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregationOrderKey {
    Key,
    Count,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricFunction {
    Avg,
    Min,
    Max,
    Sum,
}

impl MetricFunction {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricFunction::Avg => "avg",
            MetricFunction::Min => "min",
            MetricFunction::Max => "max",
            MetricFunction::Sum => "sum",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    /// At least 1.
    pub amount: u64,
    pub unit: TimeUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}
