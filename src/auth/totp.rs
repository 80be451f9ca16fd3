//! TOTP (RFC 6238) as TheHive uses it: HMAC-SHA1, 6 digits, 30 s steps, ±1 step tolerance,
//! secrets as base32 (RFC 4648, no padding).

use hmac::{Hmac, Mac};
use sha1::Sha1;

const STEP_MS: i64 = 30_000;

/// Decodes RFC 4648 base32 (case-insensitive, padding and spaces ignored).
pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u64, 0u32);
    for c in s.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let v = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u64 - 'A' as u64,
            c @ '2'..='7' => c as u64 - '2' as u64 + 26,
            _ => return None,
        };
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

pub fn base32_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u64, 0u32);
    for b in data {
        buf = (buf << 8) | u64::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The 6-digit code for a counter value (RFC 4226 HOTP).
pub fn hotp(secret: &[u8], counter: u64) -> Option<u32> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).ok()?;
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    Some(bin % 1_000_000)
}

/// True if `code` is valid for `secret` (base32) at `now_ms`, one step either side.
pub fn verify(secret_b32: &str, code: &str, now_ms: i64) -> bool {
    let Some(secret) = base32_decode(secret_b32) else { return false };
    let Ok(code) = code.trim().parse::<u32>() else { return false };
    let step = now_ms.div_euclid(STEP_MS);
    (-1..=1).any(|d| u64::try_from(step + d).ok().and_then(|c| hotp(&secret, c)) == Some(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector() {
        // RFC 6238 appendix B, SHA1, T = 59 s → 94287082 (8 digits) → 287082 (6 digits).
        let secret = b"12345678901234567890";
        assert_eq!(hotp(secret, 1), Some(287_082));
        let b32 = base32_encode(secret);
        assert_eq!(base32_decode(&b32).as_deref(), Some(&secret[..]));
        assert!(verify(&b32, "287082", 59_000));
        assert!(!verify(&b32, "287083", 59_000));
    }
}
