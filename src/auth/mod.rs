//! Authentication and authorisation: credentials → `Caller`, permissions, secrets.
//!
//! Nothing here knows about HTTP; `http::extract` reads headers and calls `authenticate`.

pub mod caller;
pub mod identity_cache;
pub mod integration;
pub mod password;
pub mod permissions;
pub mod secrets;
pub mod throttle;
pub mod totp;

pub use caller::{ADMIN_ORG, AuthMethod, Caller, Credentials, authenticate};
pub use permissions::perm;
