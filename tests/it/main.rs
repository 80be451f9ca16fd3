#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
//! The one integration-test binary (one link, not one per file). Every test starts the real
//! server on a random port, on SQLite and on PostgreSQL, each with its own database, and
//! talks to it over HTTP.

mod fakes;
mod harness;

mod alert_intake;
mod alerts;
mod attachments;
mod auth;
mod bench_dataset;
mod case_gaps;
mod cases;
mod errors;
mod group_commit;
mod kibana;
mod leak_probe;
mod misp;
mod observables;
mod organisations;
mod pages;
mod profiles;
mod query;
mod sharing;
mod status;
mod tasks;
mod templates;
mod ui;
mod ui_lists;
mod ui_tabs;
mod users;
