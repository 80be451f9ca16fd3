//! Password hashing with argon2id (OWASP's first choice), run off the async executor
//! because a hash costs tens of milliseconds of CPU.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::ApiError;

pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("hash task: {e}")))?
}

/// Verifies against a stored PHC string. A malformed stored hash verifies as false.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&stored) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

/// Remembers recent successful verifications for a few minutes.
///
/// HTTP Basic sends the password on every request (thehive4py always does) and argon2id
/// deliberately costs ~20-50 ms of CPU, which would cap an API client at a few dozen
/// requests per second per core. The cache key is SHA-256 over the stored hash and the
/// password, so a changed password (new stored hash) never matches an old entry. The price
/// is that a memory dump of the server exposes fast hashes of recently used passwords for
/// up to `TTL_MS`; that is the same exposure as the session tokens it already holds.
#[derive(Default)]
pub struct PasswordCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

const TTL_MS: i64 = 5 * 60 * 1000;
const MAX_ENTRIES: usize = 10_000;

impl PasswordCache {
    pub async fn verify(&self, password: &str, stored: &str) -> bool {
        let key = crate::auth::secrets::sha256_hex(format!("{stored}\0{password}").as_bytes());
        let now = crate::clock::now_ms();
        if let Ok(map) = self.entries.lock()
            && map.get(&key).is_some_and(|exp| *exp > now)
        {
            return true;
        }
        let ok = verify(password.to_owned(), stored.to_owned()).await;
        if ok && let Ok(mut map) = self.entries.lock() {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, exp| *exp > now);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            map.insert(key, now + TTL_MS);
        }
        ok
    }
}
