//! In-process fakes of the external services Waggle calls, each an axum app on
//! `127.0.0.1:0` speaking the real protocol, so the real client code runs in tests.

pub mod misp;
