//! Waggle: a security incident response platform that speaks TheHive's API.
//!
//! A tour of the modules, in the order to read them:
//! - `config`: layered configuration (defaults, TOML file, `WAGGLE_*`, flags).
//! - `app`: shared state and the server bootstrap on any listener.
//! - `http`: routers, middleware and extractors; handlers translate HTTP to service calls.
//! - `service`: what users do (create a case, renew a key…), shared by every API and the UI;
//!   authorisation and audit happen here.
//! - `auth`: credentials → `Caller`, permissions and profiles, secrets.
//! - `storage`: the only SQL in the project, on SQLite or PostgreSQL, with the visibility
//!   rule applied through `Scope`.
//! - `error`: the one error type and its mapping to TheHive's error JSON.
//! - `jobs`: background workers (the MISP poller), stopped with the server.
//! - `integrations`: clients of external services (MISP), protocol only.
//! - `outbound`: the one HTTP client wrapper every outbound call goes through.

pub mod app;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod http;
pub mod ids;
pub mod integrations;
pub mod jobs;
pub mod outbound;
pub mod query;
pub mod service;
pub mod storage;
pub mod telemetry;
pub mod zip;
