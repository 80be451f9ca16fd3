//! TheHive's query DSL (`POST /api/v{N}/query`, spec `thehive-api.md` §3).
//!
//! Read in this order: [`ast`] is the typed query tree and the typing rules
//! (which step applies to what, and what it yields); [`parse`] turns the JSON
//! body into that tree, accepting TheHive 4 and TheHive 5 spellings; every
//! failure is a [`QueryError`], which the HTTP edge answers with 400.
//!
//! This module must not touch storage: compiling the tree to SQL, checking
//! fields against entity schemas and applying visibility belong to the
//! compiler, which consumes [`Query`].

pub mod ast;
mod error;
mod ops;
pub mod parse;

pub use ast::{Entity, Filter, Initial, Output, Query, Step};
pub use error::QueryError;
pub use parse::{MAX_DEPTH, parse_filter, parse_query};

#[cfg(test)]
mod tests;
