//! Clients for the external services Waggle talks to, one folder each. They speak the remote
//! protocol (paths, JSON shapes, quirks) through `crate::outbound` and translate it to plain
//! Rust values; they hold no SQL, no permission checks and no scheduling (see `service/`
//! and `jobs/` for those).

pub mod misp;
