//! MISP: the HTTP client (`client`), MISP's JSON read into typed events (`model`), the
//! event → alert translation (`import_map`), the case → event translation (`export_map`)
//! and the malware-sample archive reader (`sample`). Reference: spec/misp.md.
//!
//! Everything here is pure protocol knowledge: which organisation receives an alert,
//! when to sync and what to store are decided by `service::misp`.

pub mod client;
pub mod export_map;
pub mod import_map;
pub mod model;
pub mod sample;
