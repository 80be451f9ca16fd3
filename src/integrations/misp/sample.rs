//! Reading the archive MISP wraps a malware sample in (spec/misp.md §1.5).
//!
//! `GET /attributes/download/{id}` of a `malware-sample` answers a ZIP made with
//! `zip -j -P infected`: two entries, `<md5>` (the sample) and `<md5>.filename.txt` (its
//! original name), encrypted with the traditional PKWARE cipher ("ZipCrypto", APPNOTE.TXT
//! §6.1) and usually deflated. We unpack it as TheHive 3 did, so analysts get the file
//! itself under its real name; the caller keeps the archive when this fails.
//!
//! Only what that format needs is supported: the central directory is read for sizes (so
//! data descriptors do not matter), methods 0 (stored) and 8 (deflate), no ZIP64, and every
//! entry's CRC is checked after decryption.

/// CRC-32 (IEEE, reflected 0xEDB88320), as ZIP uses it.
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

fn crc_step(crc: u32, b: u8) -> u32 {
    CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8)
}

fn crc32(data: &[u8]) -> u32 {
    !data.iter().fold(0xFFFF_FFFF, |c, b| crc_step(c, *b))
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
        self.0 = crc_step(self.0, plain);
        self.1 = self.1.wrapping_add(self.0 & 0xff).wrapping_mul(134_775_813).wrapping_add(1);
        self.2 = crc_step(self.2, (self.1 >> 24) as u8);
    }

    fn decrypt(&mut self, c: u8) -> u8 {
        let t = (self.2 | 2) as u16;
        let p = c ^ ((t.wrapping_mul(t ^ 1)) >> 8) as u8;
        self.update(p);
        p
    }
}

/// One entry, decrypted and decompressed.
#[derive(Debug)]
pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
}

fn u16_at(b: &[u8], i: usize) -> Result<u16, String> {
    b.get(i..i + 2).map(|s| u16::from_le_bytes([s[0], s[1]])).ok_or_else(|| "truncated archive".to_owned())
}

fn u32_at(b: &[u8], i: usize) -> Result<u32, String> {
    b.get(i..i + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "truncated archive".to_owned())
}

/// Reads every entry of `zip`, decrypting with `password` where needed. `max` bounds the
/// total unpacked size (a zip bomb is refused, not expanded).
pub fn read_entries(zip: &[u8], password: &str, max: usize) -> Result<Vec<Entry>, String> {
    // End of central directory: the last 0x06054b50 within the final 64 KiB + 22 bytes.
    let floor = zip.len().saturating_sub(22 + 65_535);
    let eocd = (floor..zip.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(zip, i).ok() == Some(0x0605_4b50))
        .ok_or("not a ZIP archive")?;
    let count = usize::from(u16_at(zip, eocd + 10)?);
    let mut at = u32_at(zip, eocd + 16)? as usize;
    let mut out = Vec::new();
    let mut total = 0usize;
    for _ in 0..count {
        if u32_at(zip, at)? != 0x0201_4b50 {
            return Err("corrupt central directory".into());
        }
        let flags = u16_at(zip, at + 8)?;
        let method = u16_at(zip, at + 10)?;
        let mtime = u16_at(zip, at + 12)?;
        let crc = u32_at(zip, at + 16)?;
        let csize = u32_at(zip, at + 20)? as usize;
        let usize_ = u32_at(zip, at + 24)? as usize;
        let name_len = usize::from(u16_at(zip, at + 28)?);
        let extra_len = usize::from(u16_at(zip, at + 30)?);
        let comment_len = usize::from(u16_at(zip, at + 32)?);
        let local = u32_at(zip, at + 42)? as usize;
        let name = zip.get(at + 46..at + 46 + name_len).ok_or("truncated archive")?;
        let name = String::from_utf8_lossy(name).into_owned();
        at += 46 + name_len + extra_len + comment_len;

        total = total.saturating_add(usize_);
        if total > max {
            return Err(format!("archive unpacks to more than {max} bytes"));
        }
        if u32_at(zip, local)? != 0x0403_4b50 {
            return Err("corrupt local header".into());
        }
        let start = local + 30 + usize::from(u16_at(zip, local + 26)?) + usize::from(u16_at(zip, local + 28)?);
        let mut data = zip.get(start..start + csize).ok_or("truncated archive")?.to_vec();
        if flags & 1 != 0 {
            if data.len() < 12 {
                return Err("truncated encryption header".into());
            }
            let mut keys = Keys::new(password.as_bytes());
            for b in data.iter_mut() {
                *b = keys.decrypt(*b);
            }
            // The last header byte is the CRC's high byte, or the time's with a data descriptor.
            let check = if flags & 8 != 0 { (mtime >> 8) as u8 } else { (crc >> 24) as u8 };
            if data[11] != check {
                return Err("wrong password".into());
            }
            data.drain(..12);
        }
        let plain = match method {
            0 => data,
            8 => miniz_oxide::inflate::decompress_to_vec_with_limit(&data, max)
                .map_err(|e| format!("cannot inflate {name}: {e:?}"))?,
            m => return Err(format!("unsupported compression method {m}")),
        };
        if crc32(&plain) != crc {
            return Err(format!("checksum mismatch for {name} (wrong password or corrupt archive)"));
        }
        out.push(Entry { name, data: plain });
    }
    Ok(out)
}

/// The sample and its original file name from a MISP malware-sample archive.
pub fn unpack_malware_sample(zip: &[u8], max: usize) -> Result<(Option<String>, Vec<u8>), String> {
    let entries = read_entries(zip, "infected", max)?;
    let name = entries
        .iter()
        .find(|e| e.name.ends_with(".filename.txt"))
        .map(|e| String::from_utf8_lossy(&e.data).trim().to_owned())
        .filter(|n| !n.is_empty());
    let sample =
        entries.into_iter().find(|e| !e.name.ends_with(".filename.txt")).ok_or("the archive holds no sample")?;
    Ok((name, sample.data))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a one-entry stored, encrypted archive, the way `zip -0 -P` would.
    fn stored_encrypted(name: &str, data: &[u8], password: &str) -> Vec<u8> {
        let crc = crc32(data);
        let mut keys = Keys::new(password.as_bytes());
        let mut header = [0u8; 12];
        header[11] = (crc >> 24) as u8;
        let mut body: Vec<u8> = Vec::new();
        let enc = |p: u8, keys: &mut Keys| {
            let t = (keys.2 | 2) as u16;
            let c = p ^ ((t.wrapping_mul(t ^ 1)) >> 8) as u8;
            keys.update(p);
            c
        };
        for p in header.iter().chain(data) {
            body.push(enc(*p, &mut keys));
        }
        let mut z = Vec::new();
        let push16 = |z: &mut Vec<u8>, v: u16| z.extend_from_slice(&v.to_le_bytes());
        let push32 = |z: &mut Vec<u8>, v: u32| z.extend_from_slice(&v.to_le_bytes());
        push32(&mut z, 0x0403_4b50);
        for v in [20u16, 1, 0, 0, 0] {
            push16(&mut z, v);
        }
        push32(&mut z, crc);
        push32(&mut z, body.len() as u32);
        push32(&mut z, data.len() as u32);
        push16(&mut z, name.len() as u16);
        push16(&mut z, 0);
        z.extend_from_slice(name.as_bytes());
        z.extend_from_slice(&body);
        let cd = z.len() as u32;
        push32(&mut z, 0x0201_4b50);
        for v in [20u16, 20, 1, 0, 0, 0] {
            push16(&mut z, v);
        }
        push32(&mut z, crc);
        push32(&mut z, body.len() as u32);
        push32(&mut z, data.len() as u32);
        push16(&mut z, name.len() as u16);
        for v in [0u16, 0, 0, 0] {
            push16(&mut z, v);
        }
        push32(&mut z, 0);
        push32(&mut z, 0);
        z.extend_from_slice(name.as_bytes());
        let cd_size = z.len() as u32 - cd;
        push32(&mut z, 0x0605_4b50);
        for v in [0u16, 0, 1, 1] {
            push16(&mut z, v);
        }
        push32(&mut z, cd_size);
        push32(&mut z, cd);
        push16(&mut z, 0);
        z
    }

    /// An archive made by the real `zip -j -P infected` (deflated sample + stored name), as
    /// MISP serves malware samples.
    #[test]
    fn real_misp_style_archive() {
        let zip = include_bytes!("../../../tests/it/fixtures/misp/invoice.exe.zip");
        let original = include_bytes!("../../../tests/it/fixtures/misp/invoice.exe.bin");
        let (name, data) = unpack_malware_sample(zip, 1 << 20).unwrap();
        assert_eq!(name.as_deref(), Some("invoice.exe"));
        assert_eq!(data, original);
        assert!(unpack_malware_sample(zip, 100).is_err(), "size cap applies to the inflated size");
    }

    #[test]
    fn crc_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn stored_entry_round_trip() {
        let zip = stored_encrypted("abc", b"MZ payload", "infected");
        let entries = read_entries(&zip, "infected", 1 << 20).unwrap();
        assert_eq!(entries[0].name, "abc");
        assert_eq!(entries[0].data, b"MZ payload");
        assert!(read_entries(&zip, "wrong", 1 << 20).is_err());
        assert!(read_entries(&zip, "infected", 3).is_err(), "size cap");
        assert!(read_entries(b"garbage", "infected", 10).is_err());
    }
}
