//! A one-entry ZIP archive protected with the traditional PKWARE ("ZipCrypto") cipher, which
//! is what TheHive serves when a malicious file is downloaded "as zip" (password `malware`
//! by default): every unzip tool can open it, and no antivirus scanner on the way touches
//! the content. The entry is stored (no compression): the point is the wrapping, not size.
//!
//! Format: APPNOTE.TXT §4.3 (local header, central directory, end record) and §6.1
//! (traditional encryption: three keys updated with CRC-32, a 12-byte encryption header
//! whose last byte is the high byte of the CRC). Holds no I/O and no policy.

/// The CRC-32 (IEEE 802.3, reflected 0xEDB88320) table, built at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

fn crc_byte(crc: u32, b: u8) -> u32 {
    CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8)
}

/// CRC-32 of `data`, as stored in ZIP headers.
pub fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(0xFFFF_FFFF, |crc, b| crc_byte(crc, *b))
}

/// The three-key state of the traditional PKWARE cipher.
struct Keys(u32, u32, u32);

impl Keys {
    fn new(password: &[u8]) -> Keys {
        let mut k = Keys(0x1234_5678, 0x2345_6789, 0x3456_7890);
        for b in password {
            k.update(*b);
        }
        k
    }

    fn update(&mut self, plain: u8) {
        self.0 = crc_byte(self.0, plain);
        self.1 = self.1.wrapping_add(self.0 & 0xff).wrapping_mul(134_775_813).wrapping_add(1);
        self.2 = crc_byte(self.2, (self.1 >> 24) as u8);
    }

    fn stream_byte(&self) -> u8 {
        let t = (self.2 | 2) & 0xffff;
        ((t.wrapping_mul(t ^ 1)) >> 8) as u8
    }

    fn encrypt(&mut self, plain: u8) -> u8 {
        let c = plain ^ self.stream_byte();
        self.update(plain);
        c
    }

    fn decrypt(&mut self, cipher: u8) -> u8 {
        let p = cipher ^ self.stream_byte();
        self.update(p);
        p
    }
}

/// Epoch milliseconds → MS-DOS (time, date), UTC; dates before 1980 clamp to 1980-01-01.
fn dos_datetime(epoch_ms: i64) -> (u16, u16) {
    let secs = epoch_ms.max(315_532_800_000) / 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let time = ((rem / 3600) << 11) | (((rem % 3600) / 60) << 5) | ((rem % 60) / 2);
    let date = (((year - 1980).clamp(0, 127)) << 9) | (month << 5) | day;
    (time as u16, date as u16)
}

/// Builds a ZIP archive holding `data` as the entry `name`, encrypted with `password`.
/// `seed` supplies the 11 random bytes of the encryption header (callers pass fresh random
/// bytes; tests pass fixed ones).
pub fn encrypted_zip(name: &str, data: &[u8], password: &str, modified_ms: i64, seed: [u8; 11]) -> Vec<u8> {
    // A name is a path inside the archive: keep only its last component.
    let name = name.rsplit(['/', '\\']).next().filter(|n| !n.is_empty()).unwrap_or("attachment");
    let crc = crc32(data);
    let (time, date) = dos_datetime(modified_ms);
    let mut keys = Keys::new(password.as_bytes());
    let mut body = Vec::with_capacity(data.len() + 12);
    for b in seed {
        body.push(keys.encrypt(b));
    }
    body.push(keys.encrypt((crc >> 24) as u8));
    body.extend(data.iter().map(|b| keys.encrypt(*b)));
    let (csize, usize_) = (body.len() as u32, data.len() as u32);
    const FLAG_ENCRYPTED: u16 = 1;
    // Bit 11: the name is UTF-8.
    const FLAG_UTF8: u16 = 1 << 11;
    let flags = FLAG_ENCRYPTED | if name.is_ascii() { 0 } else { FLAG_UTF8 };

    let mut out = Vec::with_capacity(body.len() + 2 * name.len() + 128);
    let put16 = |out: &mut Vec<u8>, v: u16| out.extend_from_slice(&v.to_le_bytes());
    let put32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    // Local file header.
    put32(&mut out, 0x0403_4b50);
    put16(&mut out, 20);
    put16(&mut out, flags);
    put16(&mut out, 0); // stored
    put16(&mut out, time);
    put16(&mut out, date);
    put32(&mut out, crc);
    put32(&mut out, csize);
    put32(&mut out, usize_);
    put16(&mut out, name.len() as u16);
    put16(&mut out, 0);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&body);
    // Central directory.
    let cd_offset = out.len() as u32;
    put32(&mut out, 0x0201_4b50);
    put16(&mut out, 20);
    put16(&mut out, 20);
    put16(&mut out, flags);
    put16(&mut out, 0);
    put16(&mut out, time);
    put16(&mut out, date);
    put32(&mut out, crc);
    put32(&mut out, csize);
    put32(&mut out, usize_);
    put16(&mut out, name.len() as u16);
    put16(&mut out, 0); // extra
    put16(&mut out, 0); // comment
    put16(&mut out, 0); // disk
    put16(&mut out, 0); // internal attributes
    put32(&mut out, 0); // external attributes
    put32(&mut out, 0); // local header offset
    out.extend_from_slice(name.as_bytes());
    let cd_size = out.len() as u32 - cd_offset;
    // End of central directory.
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, 1);
    put16(&mut out, 1);
    put32(&mut out, cd_size);
    put32(&mut out, cd_offset);
    put16(&mut out, 0);
    out
}

/// Reads back the single entry of an archive made by `encrypted_zip` (tests and tooling):
/// `None` when the password is wrong or the archive is not one of ours.
pub fn decrypt_single_entry(zip: &[u8], password: &str) -> Option<(String, Vec<u8>)> {
    let u16_at = |i: usize| zip.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]])).unwrap_or(0);
    let u32_at = |i: usize| zip.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).unwrap_or(0);
    if u32_at(0) != 0x0403_4b50 {
        return None;
    }
    let crc = u32_at(14);
    let csize = u32_at(18) as usize;
    let name_len = u16_at(26) as usize;
    let extra = u16_at(28) as usize;
    let name = String::from_utf8(zip.get(30..30 + name_len)?.to_vec()).ok()?;
    let start = 30 + name_len + extra;
    let mut keys = Keys::new(password.as_bytes());
    let plain: Vec<u8> = zip.get(start..start + csize)?.iter().map(|c| keys.decrypt(*c)).collect();
    if plain.len() < 12 || plain[11] != (crc >> 24) as u8 {
        return None;
    }
    let data = plain[12..].to_vec();
    (crc32(&data) == crc).then_some((name, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_known_string() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn round_trip_and_wrong_password() {
        let zip = encrypted_zip("dir/evil.exe", b"MZ\x90\x00payload", "malware", 1_700_000_000_000, [7; 11]);
        let (name, data) = decrypt_single_entry(&zip, "malware").unwrap();
        assert_eq!(name, "evil.exe");
        assert_eq!(data, b"MZ\x90\x00payload");
        // A wrong password fails the header check (1/256 false positives; not for this one).
        assert!(decrypt_single_entry(&zip, "nope").is_none());
    }

    #[test]
    fn dos_date() {
        // 2023-11-14T22:13:20Z
        let (time, date) = dos_datetime(1_700_000_000_000);
        assert_eq!(date >> 9, 2023 - 1980);
        assert_eq!((date >> 5) & 0xf, 11);
        assert_eq!(date & 0x1f, 14);
        assert_eq!(time >> 11, 22);
    }
}
