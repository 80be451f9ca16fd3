//! The visibility capability: who is asking, in which organisation.
//!
//! Every storage read of organisation-owned data takes a `Scope`. It can only be built from
//! an authenticated caller (see `auth::Caller::scope`), so a query that forgets visibility
//! does not compile rather than leaking another organisation's data.

/// The organisation a request acts in, and whether it is the `admin` organisation (which
/// administers the platform but never sees case data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    organisation_id: i64,
    admin_org: bool,
}

impl Scope {
    /// Only the auth layer constructs scopes; everything else receives one.
    pub(crate) fn new(organisation_id: i64, admin_org: bool) -> Scope {
        Scope { organisation_id, admin_org }
    }

    pub fn organisation_id(&self) -> i64 {
        self.organisation_id
    }

    pub fn is_admin_org(&self) -> bool {
        self.admin_org
    }
}
