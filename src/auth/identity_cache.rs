//! Who an API key belongs to, remembered between requests.
//!
//! SIEM forwarders and scripts send thousands of requests a second with the same key.
//! Reading the user and their memberships for each one cost a read transaction of two
//! queries, on SQLite four hand-offs to a reader thread, which was a large share of the CPU
//! of alert ingestion. The answer changes only when users, keys, memberships, profiles or
//! organisations change, and every such commit bumps the store's identity epoch
//! (`Store::identity_epoch`): an entry read under an older epoch is never used, so a revoked
//! key, a locked user or a changed profile takes effect on the next request.
//!
//! Other Waggle processes sharing a PostgreSQL database bump their own epoch, not ours, so
//! an entry is also trusted for [`MAX_AGE`] at most: that bounds how long a change made
//! through another process can go unseen here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::storage::users::{Membership, User};

/// The longest an entry is used, whatever the epoch says (see the module note).
pub const MAX_AGE: Duration = Duration::from_secs(5);
/// Entries kept at most; when full, the expired ones go, and if none has, all of them.
const CAPACITY: usize = 4096;

/// A user and their memberships as read from the database under one epoch.
#[derive(Clone)]
pub struct Identity {
    pub user: User,
    pub memberships: Vec<Membership>,
}

struct Entry {
    identity: Identity,
    epoch: u64,
    read_at: Instant,
}

/// API key hash → identity. Unknown keys are never remembered: a wrong key always costs a
/// read, so guessing gains nothing from the cache.
#[derive(Default)]
pub struct IdentityCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl IdentityCache {
    /// The identity remembered for `key_hash`, if it was read under `epoch` (the store's
    /// current one) less than [`MAX_AGE`] ago.
    pub fn get(&self, key_hash: &str, epoch: u64) -> Option<Identity> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(key_hash)?;
        (entry.epoch == epoch && entry.read_at.elapsed() < MAX_AGE).then(|| entry.identity.clone())
    }

    /// Remembers what was read for `key_hash` under `epoch`, the epoch loaded *before* the
    /// read began: if a change committed meanwhile, the entry is already stale and unused.
    pub fn put(&self, key_hash: String, epoch: u64, identity: Identity) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= CAPACITY && !entries.contains_key(&key_hash) {
            entries.retain(|_, e| e.epoch == epoch && e.read_at.elapsed() < MAX_AGE);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(key_hash, Entry { identity, epoch, read_at: Instant::now() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::meta::Meta;

    fn identity(login: &str) -> Identity {
        Identity {
            user: User {
                id: 1,
                login: login.into(),
                name: login.into(),
                email: None,
                user_type: "Normal".into(),
                password_hash: None,
                locked: false,
                api_key_hash: Some("h".into()),
                api_key_sealed: None,
                totp_secret: None,
                default_organisation_id: None,
                avatar: None,
                meta: Meta { created_by: "admin".into(), created_at: 0, updated_by: None, updated_at: None },
            },
            memberships: Vec::new(),
        }
    }

    #[test]
    fn an_entry_is_used_only_under_the_epoch_it_was_read_in() {
        let cache = IdentityCache::default();
        cache.put("h".into(), 7, identity("a@soc"));
        assert_eq!(cache.get("h", 7).map(|i| i.user.login), Some("a@soc".to_owned()));
        assert!(cache.get("h", 8).is_none(), "a later epoch means something changed since the read");
        assert!(cache.get("other", 7).is_none());
    }

    #[test]
    fn a_full_cache_drops_stale_entries_first() {
        let cache = IdentityCache::default();
        for i in 0..CAPACITY {
            cache.put(format!("k{i}"), 1, identity("old@soc"));
        }
        cache.put("fresh".into(), 2, identity("new@soc"));
        let entries = cache.entries.lock().unwrap();
        assert_eq!(entries.len(), 1, "every entry of epoch 1 was stale under epoch 2");
        assert!(entries.contains_key("fresh"));
    }
}
