//! Encoding detection: UTF-8 with or without BOM, and windows-1251 (Russian Excel and Bitrix24 exports).

use std::borrow::Cow;

/// The encodings a CRM export may come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a BOM, if present, is skipped).
    Utf8,
    /// Windows-1251 (Cyrillic, "ANSI" in Russian Windows).
    Windows1251,
}

impl Encoding {
    /// The name shown to users.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1251 => "windows-1251",
        }
    }

    /// Parses a user's `--encoding` value.
    pub fn from_name(s: &str) -> Option<Encoding> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "windows-1251" | "cp1251" | "win1251" | "1251" | "cp-1251" => Some(Encoding::Windows1251),
            _ => None,
        }
    }
}

/// What the start of a file says about it, before any decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// Text; `bom` is the length of a UTF-8 BOM to skip.
    Text {
        /// The detected encoding.
        encoding: Encoding,
        /// Bytes of UTF-8 BOM at the start.
        bom: usize,
    },
    /// A UTF-16 byte-order mark: not supported.
    Utf16,
    /// Many control characters (NUL included): not a CSV export.
    Binary,
}

/// Detects the encoding of a whole file.
///
/// A UTF-8 BOM means UTF-8. Otherwise the file is UTF-8 when it is valid UTF-8, or when valid multi-byte
/// sequences outnumber invalid bytes ten to one (a UTF-8 file with a few broken rows: those rows are rejected
/// later); anything else is windows-1251.
pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Sniffed::Text { encoding: Encoding::Utf8, bom: 3 };
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Sniffed::Utf16;
    }
    let head = &bytes[..bytes.len().min(8192)];
    // A NUL byte or two is a damaged row (rejected with its line); many control bytes are a binary file.
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n' | 0x0C)).count();
    if controls > 4 && controls * 20 > head.len() {
        return Sniffed::Binary;
    }
    if std::str::from_utf8(bytes).is_ok() {
        return Sniffed::Text { encoding: Encoding::Utf8, bom: 0 };
    }
    let (valid_multi, invalid) = utf8_stats(bytes);
    let encoding = if invalid == 0 || valid_multi >= invalid * 10 { Encoding::Utf8 } else { Encoding::Windows1251 };
    Sniffed::Text { encoding, bom: 0 }
}

/// Counts valid multi-byte UTF-8 characters and invalid bytes.
fn utf8_stats(mut bytes: &[u8]) -> (usize, usize) {
    // Lead bytes of multi-byte characters are 0xC0 and above; continuation bytes are 0x80..0xBF.
    let leads = |b: &[u8]| b.iter().filter(|&&x| x >= 0xC0).count();
    let (mut multi, mut invalid) = (0usize, 0usize);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(_) => return (multi + leads(bytes), invalid),
            Err(e) => {
                let good = e.valid_up_to();
                multi += leads(&bytes[..good]);
                let skip = e.error_len().unwrap_or(bytes.len() - good).max(1);
                invalid += skip;
                bytes = &bytes[(good + skip).min(bytes.len())..];
            }
        }
    }
}

/// Decodes the bytes after the BOM to UTF-8 text. For UTF-8 the bytes are returned as they are (invalid
/// sequences are found row by row later); windows-1251 is transcoded.
pub fn decode(bytes: &[u8], encoding: Encoding) -> Cow<'_, [u8]> {
    match encoding {
        Encoding::Utf8 => Cow::Borrowed(bytes),
        Encoding::Windows1251 => {
            let (text, _) = encoding_rs::WINDOWS_1251.decode_without_bom_handling(bytes);
            match text {
                Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                Cow::Owned(s) => Cow::Owned(s.into_bytes()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_encodings() {
        let utf8 = "id;Название\n1;Ромашка\n".as_bytes();
        assert_eq!(sniff(utf8), Sniffed::Text { encoding: Encoding::Utf8, bom: 0 });
        let bom = [&[0xEF, 0xBB, 0xBF][..], utf8].concat();
        assert_eq!(sniff(&bom), Sniffed::Text { encoding: Encoding::Utf8, bom: 3 });
        let (cp, _, _) = encoding_rs::WINDOWS_1251.encode("id;Название\n1;Ромашка\n");
        assert_eq!(sniff(&cp), Sniffed::Text { encoding: Encoding::Windows1251, bom: 0 });
        assert_eq!(
            String::from_utf8(decode(&cp, Encoding::Windows1251).into_owned()).unwrap(),
            "id;Название\n1;Ромашка\n"
        );
        assert_eq!(sniff(b"\x00\x01\x02\x03\x04\x05binary"), Sniffed::Binary);
        assert_eq!(sniff(&[0xFF, 0xFE, b'a', 0]), Sniffed::Utf16);
        assert_eq!(sniff(b"id,name\n1,abc\n"), Sniffed::Text { encoding: Encoding::Utf8, bom: 0 });
    }

    #[test]
    fn utf8_with_one_broken_row_stays_utf8() {
        let mut data = "id;Название\n".as_bytes().to_vec();
        for i in 0..50 {
            data.extend(format!("{i};Ромашка Медиа Групп\n").as_bytes());
        }
        data.extend(b"51;\xC0\xE1\n");
        assert_eq!(sniff(&data), Sniffed::Text { encoding: Encoding::Utf8, bom: 0 });
    }
}
