//! Phones: every common way of writing a Russian number (8 / +7 / 7 prefixes, brackets, dashes, dots, spaces,
//! labels such as "моб." or "факс") to `+7XXXXXXXXXX`; extensions (доб., вн., ext., #, *) split off and kept;
//! 5-7 digit local numbers kept as local, completed with the area code when the card's city is known;
//! non-Russian numbers kept in E.164; anything else flagged. Rules: ../shared/DOMAIN.md "Phones".

use std::sync::OnceLock;

use compact_str::{CompactString, format_compact};
use regex::Regex;
use serde::Serialize;

/// What kind of number a phone is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    /// +7 9xx.
    Mobile,
    /// +7 3xx, 4xx, 8xx: a city number.
    Geographic,
    /// +7 800 / 804: toll-free lines, often shared.
    TollFree,
    /// 5-7 digits without an area code; weaker evidence.
    Local,
    /// Another country (including Kazakhstan's +7 6xx/7xx).
    Foreign,
}

/// A normalised phone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Phone {
    /// `+7XXXXXXXXXX`, `+<E.164>` for foreign numbers, or the bare digits of a local number.
    pub number: CompactString,
    /// Extension digits, if any.
    pub ext: Option<Box<str>>,
    /// The kind of number.
    pub kind: PhoneKind,
}

impl Phone {
    /// The number with its extension, for display.
    pub fn display(&self) -> String {
        match &self.ext {
            Some(e) => format!("{} доб. {e}", self.number),
            None => self.number.to_string(),
        }
    }
}

/// Why a phone value was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    /// Excel turned the number into `7.91E+10`: the digits are lost.
    ScientificNotation,
    /// No digits, or digits that do not make a number.
    NotAPhone,
}

fn ext_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)(?:добавочный|доб|внутр|вн|ext|extension|x|#|\*|д\.)\s*[.:№]?\s*(\d{1,7})\s*\)?\s*$")
            .expect("static regex")
    })
}

fn sci_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)^\s*\d[.,]\d+\s*e\s*\+?\s*\d+\s*$").expect("static regex"))
}

/// True when a value holds only an extension ("доб. 123"), to be attached to the number before it.
pub fn is_extension_only(value: &str) -> Option<CompactString> {
    let v = value.trim();
    if plain(v) {
        return None;
    }
    let caps = ext_re().captures(v)?;
    let m = caps.get(0)?;
    if m.start() == 0 || v[..m.start()].trim().chars().all(|c| !c.is_ascii_digit()) {
        Some(caps[1].into())
    } else {
        None
    }
}

fn kind_of_ru(national: &str) -> Option<PhoneKind> {
    let b = national.as_bytes();
    Some(match b.first()? {
        b'9' => PhoneKind::Mobile,
        b'8' if national.starts_with("800") || national.starts_with("804") => PhoneKind::TollFree,
        b'3' | b'4' | b'8' => PhoneKind::Geographic,
        b'6' | b'7' => PhoneKind::Foreign,
        _ => return None,
    })
}

/// Only digits and the punctuation of phone numbers: no extension marker, no label, no exponent.
fn plain(v: &str) -> bool {
    v.bytes().all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'+' | b'(' | b')' | b'-' | b'.'))
}

/// Parses one phone value. `area_code` is the code of the card's city, used to complete a local number.
pub fn parse_phone(value: &str, area_code: Option<&str>) -> Result<Phone, PhoneError> {
    let v = value.trim();
    let is_plain = plain(v);
    if !is_plain && sci_re().is_match(v) {
        return Err(PhoneError::ScientificNotation);
    }
    let captures = if is_plain { None } else { ext_re().captures(v) };
    let (main, ext) = match captures {
        Some(c) => {
            // `unwrap`: group 0 always exists in a match.
            let start = c.get(0).map(|m| m.start()).unwrap_or(v.len());
            (&v[..start], Some(Box::<str>::from(&c[1])))
        }
        None => (v, None),
    };
    let plus = main.trim_start_matches(|c: char| !c.is_ascii_digit() && c != '+').starts_with('+');
    let digits: String = main.chars().filter(char::is_ascii_digit).collect();
    let ru = |national: &str| -> Result<Phone, PhoneError> {
        let kind = kind_of_ru(national).ok_or(PhoneError::NotAPhone)?;
        Ok(Phone { number: format_compact!("+7{national}"), ext: ext.clone(), kind })
    };
    let n = digits.len();
    if plus {
        if n == 11 && digits.starts_with('7') {
            return ru(&digits[1..]);
        }
        // `+8 921 …`: the trunk prefix 8 written with a plus (no country code +8 has 11 digits).
        if n == 11 && digits.starts_with('8') && kind_of_ru(&digits[1..]).is_some_and(|k| k != PhoneKind::Foreign) {
            return ru(&digits[1..]);
        }
        if (8..=15).contains(&n) && !digits.starts_with('7') {
            return Ok(Phone { number: format_compact!("+{digits}"), ext, kind: PhoneKind::Foreign });
        }
        return Err(PhoneError::NotAPhone);
    }
    if n == 11 && (digits.starts_with('8') || digits.starts_with('7')) {
        return ru(&digits[1..]);
    }
    if n == 10 {
        return ru(&digits);
    }
    if n > 11 && digits.starts_with("810") && n <= 18 {
        // 810 is the old Russian international prefix; `8 10 7 …` dials Russia (or Kazakhstan) itself.
        let intl = &digits[3..];
        if intl.starts_with('7') && intl.len() == 11 {
            return ru(&intl[1..]);
        }
        return Ok(Phone { number: format_compact!("+{intl}"), ext, kind: PhoneKind::Foreign });
    }
    if n > 11 && digits.starts_with("00") && n <= 17 {
        let intl = &digits[2..];
        if intl.starts_with('7') && intl.len() == 11 {
            return ru(&intl[1..]);
        }
        return Ok(Phone { number: format_compact!("+{intl}"), ext, kind: PhoneKind::Foreign });
    }
    if (5..=7).contains(&n) {
        if let Some(code) = area_code
            && code.len() + n == 10
        {
            return ru(&format!("{code}{digits}"));
        }
        return Ok(Phone { number: digits.into(), ext, kind: PhoneKind::Local });
    }
    Err(PhoneError::NotAPhone)
}

/// The area code of a geographic number as written: the digits in brackets (`(3452) 12-34-56`), else the first
/// three of the national number.
fn written_area_code(piece: &str, phone: &Phone) -> Option<String> {
    if phone.kind != PhoneKind::Geographic {
        return None;
    }
    let national = phone.number.strip_prefix("+7")?;
    if let (Some(a), Some(b)) = (piece.find('('), piece.find(')'))
        && a < b
    {
        let code: String = piece[a + 1..b].chars().filter(char::is_ascii_digit).collect();
        if (3..=5).contains(&code.len()) && national.starts_with(&code) {
            return Some(code);
        }
    }
    Some(national[..3].to_string())
}

/// The phones of a card: values split at ingestion are further split on `/`, and an extension-only value is
/// attached to the number before it. A local number takes the code of the card's city, or else the area code of
/// the number before it (`8 (343) 704-36-91, 283-86-21`: the second is +7 343 283-86-21). Returns the phones
/// (deduplicated, in order) and the values not understood.
pub fn parse_phones(values: &[String], area_code: Option<&str>) -> (Vec<Phone>, Vec<String>) {
    let mut phones: Vec<Phone> = Vec::new();
    let mut invalid = Vec::new();
    let mut prev_code: Option<String> = None;
    for value in values {
        for piece in value.split('/').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(ext) = is_extension_only(piece)
                && let Some(last) = phones.last_mut()
                && last.ext.is_none()
            {
                last.ext = Some(ext.as_str().into());
                continue;
            }
            let code = area_code.or(prev_code.as_deref());
            match parse_phone(piece, code) {
                Ok(p) => {
                    if let Some(c) = written_area_code(piece, &p) {
                        prev_code = Some(c);
                    }
                    if !phones.iter().any(|q| q.number == p.number) {
                        phones.push(p);
                    }
                }
                Err(_) => invalid.push(piece.to_string()),
            }
        }
    }
    (phones, invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str) -> (String, Option<String>, PhoneKind) {
        let p = parse_phone(v, None).unwrap_or_else(|e| panic!("{v:?}: {e:?}"));
        (p.number.to_string(), p.ext.map(String::from), p.kind)
    }

    #[test]
    fn formats_table() {
        let cases: &[(&str, &str, Option<&str>, PhoneKind)] = &[
            ("+7 (495) 123-45-67", "+74951234567", None, PhoneKind::Geographic),
            ("8 495 123 45 67", "+74951234567", None, PhoneKind::Geographic),
            ("84951234567", "+74951234567", None, PhoneKind::Geographic),
            ("7(495)1234567", "+74951234567", None, PhoneKind::Geographic),
            ("495.123.45.67", "+74951234567", None, PhoneKind::Geographic),
            ("8-912-345-67-89", "+79123456789", None, PhoneKind::Mobile),
            ("моб. +7 912 345 67 89", "+79123456789", None, PhoneKind::Mobile),
            ("тел: 8 (800) 555-35-35", "+78005553535", None, PhoneKind::TollFree),
            ("+7 495 123-45-67 доб. 139", "+74951234567", Some("139"), PhoneKind::Geographic),
            ("раб 846)231.60.14 *139", "+78462316014", Some("139"), PhoneKind::Geographic),
            ("8 (495) 123-45-67 (вн. 12)", "+74951234567", Some("12"), PhoneKind::Geographic),
            ("+7 495 1234567 ext. 5", "+74951234567", Some("5"), PhoneKind::Geographic),
            ("8 495 1234567 #22", "+74951234567", Some("22"), PhoneKind::Geographic),
            ("231-60-14", "2316014", None, PhoneKind::Local),
            ("+49 30 1234567", "+49301234567", None, PhoneKind::Foreign),
            ("+7 727 123 45 67", "+77271234567", None, PhoneKind::Foreign),
            ("8 10 49 30 1234567", "+49301234567", None, PhoneKind::Foreign),
        ];
        for (input, number, ext, kind) in cases {
            assert_eq!(ok(input), (number.to_string(), ext.map(str::to_string), *kind), "{input:?}");
        }
    }

    #[test]
    fn local_number_completed_from_city_code() {
        let p = parse_phone("231-60-14", Some("846")).unwrap();
        assert_eq!(p.number, "+78462316014");
        // A 4-digit code only completes a 6-digit number.
        assert_eq!(parse_phone("231-60-14", Some("3452")).unwrap().kind, PhoneKind::Local);
    }

    #[test]
    fn garbage_is_flagged() {
        assert_eq!(parse_phone("7.91E+10", None), Err(PhoneError::ScientificNotation));
        assert_eq!(parse_phone("нет", None), Err(PhoneError::NotAPhone));
        assert_eq!(parse_phone("12", None), Err(PhoneError::NotAPhone));
        assert_eq!(parse_phone("+7 123", None), Err(PhoneError::NotAPhone));
        assert_eq!(parse_phone("8 (512) 123-45-67", None), Err(PhoneError::NotAPhone));
    }

    #[test]
    fn several_values_and_extension_pieces() {
        let values = vec![
            "8 495 123-45-67".to_string(),
            "доб. 123".to_string(),
            "8 912 000 11 22 / 8 912 000 11 23".to_string(),
            "8 495 123-45-67".to_string(),
            "мусор".to_string(),
        ];
        let (phones, invalid) = parse_phones(&values, None);
        let numbers: Vec<String> = phones.iter().map(Phone::display).collect();
        assert_eq!(numbers, ["+74951234567 доб. 123", "+79120001122", "+79120001123"]);
        assert_eq!(invalid, ["мусор"]);
    }

    #[test]
    fn cell_forms_from_real_exports() {
        let cases: &[(&str, &str, Option<&str>, PhoneKind)] = &[
            ("+7 (831) 415-40-00 доб. 1234567", "+78314154000", Some("1234567"), PhoneKind::Geographic),
            ("8 10 7 846 6838499", "+78466838499", None, PhoneKind::Geographic),
            ("+8 921 242-53-80", "+79212425380", None, PhoneKind::Mobile),
            ("8 (846) 683-84-99 д.869", "+78466838499", Some("869"), PhoneKind::Geographic),
            ("8 (846) 683-84-99 доб.12", "+78466838499", Some("12"), PhoneKind::Geographic),
            ("8 (846) 683-84-99 вн. 12", "+78466838499", Some("12"), PhoneKind::Geographic),
            ("8 (846) 683-84-99 ext.7", "+78466838499", Some("7"), PhoneKind::Geographic),
        ];
        for (input, number, ext, kind) in cases {
            assert_eq!(ok(input), (number.to_string(), ext.map(str::to_string), *kind), "{input:?}");
        }
    }

    #[test]
    fn a_second_number_takes_the_first_ones_area_code() {
        let show = |values: &[&str]| {
            let v: Vec<String> = values.iter().map(|s| s.to_string()).collect();
            parse_phones(&v, None).0.iter().map(Phone::display).collect::<Vec<_>>()
        };
        assert_eq!(show(&["+7 (343) 704-36-91 / 283-86-21"]), ["+73437043691", "+73432838621"]);
        // Ingestion splits the cell on `,`: the values stay in order.
        assert_eq!(show(&["8 (343) 704-36-91", "283-86-21"]), ["+73437043691", "+73432838621"]);
        assert_eq!(show(&["8 (3452) 50-60-70", "12-34-56"]), ["+73452506070", "+73452123456"]);
        // No number before it: the local number stays local.
        assert_eq!(show(&["283-86-21"]), ["2838621"]);
        // A mobile number gives no area code.
        assert_eq!(show(&["8 912 345 67 89", "283-86-21"]), ["+79123456789", "2838621"]);
    }
}
