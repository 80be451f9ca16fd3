//! The identity background integrations act under (the MISP poller today): not a user who
//! logged in, but the platform acting in one organisation. It is a `Caller` like any other,
//! so the service functions it calls apply the same checks and write the same audit rows,
//! attributed to `system@thehive.local` as TheHive attributes connector work.

use std::collections::BTreeSet;

use super::caller::{AuthMethod, Caller};

/// The login integrations act under.
pub const INTEGRATION_LOGIN: &str = "system@thehive.local";

impl Caller {
    /// The platform acting in `organisation` with exactly `permissions` (the least an
    /// integration needs, e.g. `manageAlert` and `manageObservable` for an importer).
    /// `operation_id` joins its audit rows to the run's log lines.
    pub fn integration(organisation_id: i64, organisation: &str, permissions: &[&str], operation_id: &str) -> Caller {
        Caller {
            user_id: 0,
            login: INTEGRATION_LOGIN.to_owned(),
            organisation_id,
            organisation: organisation.to_owned(),
            profile: "integration".to_owned(),
            permissions: permissions.iter().map(|p| (*p).to_owned()).collect::<BTreeSet<_>>(),
            method: AuthMethod::ApiKey,
            request_id: operation_id.to_owned(),
        }
    }
}
