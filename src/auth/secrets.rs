//! Random tokens, API keys and the sealing of API keys at rest.
//!
//! API keys: a database leak must not leak usable keys, yet TheHive lets an authorised user
//! read a key back (`GET /user/{id}/key`, thehive4py's `get_apikey`). We store two things:
//! the SHA-256 of the key (indexed, used to authenticate; keys carry 192 random bits so a
//! fast hash is safe) and the key sealed with ChaCha20-Poly1305 under a key derived from the
//! server secret, which lives outside the database (`--secret` or `<data-dir>/secret.key`).
//! A dump of the database alone yields neither a key nor a way to compute one.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use sha2::{Digest, Sha256};

/// `n` random bytes from the OS.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS RNG failing is unrecoverable for a security product; fall back to nothing.
    if getrandom::getrandom(&mut buf).is_err() {
        tracing::error!("operating-system random generator failed");
        std::process::abort();
    }
    buf
}

/// A new API key as TheHive makes them: base64 of 24 random bytes (32 characters).
pub fn new_api_key() -> String {
    STANDARD.encode(random_bytes(24))
}

/// An opaque URL-safe token (sessions, request ids).
pub fn new_token(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Seals and opens secrets stored in the database.
#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl Sealer {
    /// Derives the sealing key from the server secret (domain-separated, so the same secret
    /// can serve other purposes without key reuse).
    pub fn new(server_secret: &[u8]) -> Sealer {
        let mut h = Sha256::new();
        h.update(b"waggle/seal/v1\0");
        h.update(server_secret);
        let key = h.finalize();
        Sealer { cipher: ChaCha20Poly1305::new(Key::from_slice(&key)) }
    }

    /// nonce (12 bytes) ‖ ciphertext.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce = random_bytes(12);
        let mut out = nonce.clone();
        match self.cipher.encrypt(Nonce::from_slice(&nonce), plaintext) {
            Ok(ct) => out.extend(ct),
            Err(_) => out.clear(),
        }
        out
    }

    /// `None` if the blob was not sealed with this secret (secret changed, tampering).
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 12 {
            return None;
        }
        let (nonce, ct) = sealed.split_at(12);
        self.cipher.decrypt(Nonce::from_slice(nonce), ct).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip() {
        let s = Sealer::new(b"secret");
        let sealed = s.seal(b"my api key");
        assert_eq!(s.open(&sealed).as_deref(), Some(&b"my api key"[..]));
        assert_eq!(Sealer::new(b"other").open(&sealed), None);
    }

    #[test]
    fn api_key_shape() {
        assert_eq!(new_api_key().len(), 32);
    }
}
