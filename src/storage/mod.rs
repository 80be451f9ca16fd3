//! The storage layer: the only place in Waggle that contains SQL.
//!
//! `db.rs` is the engine-neutral handle (SQLite or PostgreSQL, chosen once from the URL in
//! `open.rs`); each other file holds the queries of one aggregate and takes `&mut Tx`, so
//! the service layer composes a mutation and its audit row into one commit. Reads of data
//! that belongs to an organisation take a `Scope` (see `scope.rs`): the visibility rule is
//! applied here, never in handlers.

mod db;
mod error;
pub mod fulltext_backlog;
mod group_commit;
mod migrate;
mod open;
mod placeholders;
mod wal_sync;

pub mod alert_comments;
pub mod alerts;
pub mod attachments;
pub mod audit;
pub mod case_merge;
pub mod case_templates;
pub mod cases;
pub mod comments;
pub mod custom_events;
pub mod custom_fields;
pub mod logs;
pub mod meta;
pub mod misp;
pub mod observable_types;
pub mod observables;
pub mod organisation_links;
pub mod organisations;
pub mod pages;
pub mod patterns;
pub mod platform_settings;
pub mod profiles;
pub mod query;
pub mod raw_ingest;
pub mod scope;
pub mod seed;
pub mod sessions;
pub mod shares;
pub mod tasks;
pub mod users;
pub mod visibility;

pub use db::{Backend, Committed, Row, SqliteSync, Statement, Store, Tx, Value};
pub use error::StorageError;
pub use migrate::{migrate, schema_fingerprint};
pub use open::{DatabaseUrl, open};
pub use scope::Scope;
