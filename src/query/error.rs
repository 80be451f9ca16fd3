//! The one error type of the query module. Every variant is a client error:
//! the HTTP edge maps all of them to 400 `BadRequest` (spec §3.8), with the
//! `Display` text as the message, so each message names the offending part
//! of the request by its path (`query[1]._and[0]._like`).
//!
//! The parser produces the variants up to `TooDeep`; `UnknownField` and
//! `FieldType` are for the compiler, which checks fields against schemas.

use super::ast::{Entity, Output};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The body is not `{"query": [ ... ], "excludeFields"?: [ ... ]}`.
    #[error("Invalid query body: {0}")]
    Body(String),

    /// An element of `query` that is not `{"_name": "<operation>", ...}`.
    #[error("Invalid operation at {path}: {reason}")]
    InvalidOperation { path: String, reason: String },

    /// No initial or step operation has this name.
    #[error("Unknown operation \"{name}\" at step {step}")]
    UnknownOperation { step: usize, name: String },

    /// A known step (`filter`, `tasks`, ...) used as the first operation.
    #[error(
        "Operation \"{name}\" at step {step} cannot start a query; \
         start with an initial operation such as listCase, getCase or listAlert"
    )]
    NotInitial { step: usize, name: String },

    /// An initial operation (`listCase`, ...) after the first step.
    #[error("Operation \"{name}\" at step {step} can only start a query")]
    InitialNotFirst { step: usize, name: String },

    /// A known step that does not apply to what the previous step produced.
    #[error(
        "Operation \"{name}\" at step {step} does not apply to {input}; \
         accepted here: {accepted}"
    )]
    NotApplicable {
        step: usize,
        name: String,
        input: Output,
        /// Comma-separated names, or "none".
        accepted: String,
    },

    /// A missing or ill-typed parameter of an operation.
    #[error("Invalid parameter at {path}: {reason}")]
    InvalidParameter { path: String, reason: String },

    /// A malformed filter expression.
    #[error("Invalid filter at {path}: {reason}")]
    InvalidFilter { path: String, reason: String },

    /// Filters or aggregations nested deeper than the parser allows.
    #[error("Query nested too deeply at {path}: the limit is {limit} levels")]
    TooDeep { path: String, limit: usize },

    /// For the compiler: the entity has no such property. The wording is
    /// TheHive's own (spec §3.8).
    #[error("Property {field} for type {entity} not found")]
    UnknownField { field: String, entity: Entity },

    /// For the compiler: the value does not fit the property's type.
    #[error("Field \"{field}\" expects {expected}")]
    FieldType { field: String, expected: String },
}
