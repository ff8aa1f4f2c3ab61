//! Russian company identifiers: ИНН (10 and 12 digits), КПП (9 characters), ОГРН (13) and ОГРНИП (15), with
//! their official checksums, and the repairs CRM data needs (a leading zero dropped by Excel, a КПП or ОГРН typed
//! into the ИНН field). Rules: ../shared/DOMAIN.md "Identifiers".

use compact_str::CompactString;
use serde::Serialize;

const INN10_W: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_W1: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN12_W2: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

fn digits_of(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

fn weighted(d: &[u32], w: &[u32]) -> u32 {
    d.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11 % 10
}

/// The ИНН of a legal entity whose first nine digits are `prefix`: the prefix and its check digit. `None` unless
/// `prefix` is nine digits. (The generator and tests build valid ИНН with it; the one checksum of the project.)
pub fn inn10_with_check(prefix: &str) -> Option<String> {
    let d = digits_of(prefix).filter(|d| d.len() == 9)?;
    Some(format!("{prefix}{}", weighted(&d, &INN10_W)))
}

/// The ИНН of a person / ИП whose first ten digits are `prefix`: the prefix and its two check digits. `None`
/// unless `prefix` is ten digits.
pub fn inn12_with_check(prefix: &str) -> Option<String> {
    let mut d = digits_of(prefix).filter(|d| d.len() == 10)?;
    let c1 = weighted(&d, &INN12_W1);
    d.push(c1);
    let c2 = weighted(&d, &INN12_W2);
    Some(format!("{prefix}{c1}{c2}"))
}

/// True when `s` is a 10-digit ИНН of a legal entity with a valid check digit.
pub fn inn10_valid(s: &str) -> bool {
    s.len() == 10 && digits_of(s).is_some_and(|d| weighted(&d[..9], &INN10_W) == d[9])
}

/// True when `s` is a 12-digit ИНН of a person / ИП with valid check digits.
pub fn inn12_valid(s: &str) -> bool {
    s.len() == 12
        && digits_of(s)
            .is_some_and(|d| weighted(&d[..10], &INN12_W1) == d[10] && weighted(&d[..11], &INN12_W2) == d[11])
}

/// True when `s` is a valid ИНН of either length, and not a placeholder typed to get past a required field
/// (`0000000000`, one digit repeated, `1234567890`-like runs).
pub fn inn_valid(s: &str) -> bool {
    (inn10_valid(s) || inn12_valid(s)) && !is_placeholder(s)
}

/// One digit repeated, or a run of consecutive digits (up or down).
fn is_placeholder(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 2 {
        return false;
    }
    let same = b.iter().all(|&c| c == b[0]);
    let up = b.windows(2).all(|w| (w[0] - b'0' + 1) % 10 == w[1] - b'0');
    let down = b.windows(2).all(|w| (w[1] - b'0' + 1) % 10 == w[0] - b'0');
    same || up || down
}

/// True when `s` is a 13-digit ОГРН with a valid check digit. It starts with 1 or 5: 13 digits starting 2, 6-9
/// are ГРН, the number of one register record, not of the entity (and 0 is no number at all).
pub fn ogrn13_valid(s: &str) -> bool {
    s.len() == 13
        && s.bytes().all(|b| b.is_ascii_digit())
        && matches!(s.as_bytes()[0], b'1' | b'5')
        && s[..12].parse::<u64>().is_ok_and(|n| (n % 11 % 10) as u8 == s.as_bytes()[12] - b'0')
}

/// True when `s` is a 15-digit ОГРНИП with a valid check digit. It starts with 3 (4 is a ГРНИП record number).
pub fn ogrnip15_valid(s: &str) -> bool {
    s.len() == 15
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.as_bytes()[0] == b'3'
        && s[..14].parse::<u64>().is_ok_and(|n| (n % 13 % 10) as u8 == s.as_bytes()[14] - b'0')
}

/// True when `s` is a valid ОГРН or ОГРНИП.
pub fn ogrn_valid(s: &str) -> bool {
    ogrn13_valid(s) || ogrnip15_valid(s)
}

/// True when `s` has the form of a КПП: 4 digits, 2 digits or capital Latin letters, 3 digits.
pub fn kpp_form_valid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 9
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..6].iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        && b[6..].iter().all(u8::is_ascii_digit)
}

/// Requisites written into a card's name (`ООО «Ромашка» ИНН 7707083893`, `Ромашка (ИНН 7707083893, КПП
/// 770701001)`): a spreadsheet or a CRM without an ИНН field keeps them there. Each is taken only with its label
/// (a bare ten-digit number may be a phone), as the text its field would hold: the field's own checks and repairs
/// then apply (a dropped leading zero, an ОГРН typed as the ИНН, a wrong check digit kept as invalid text). The
/// name comes back without them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameRequisites {
    /// The name without the requisites (and without the brackets or commas they leave empty).
    pub name: String,
    /// The digits written after `ИНН`.
    pub inn: Option<String>,
    /// The digits written after `КПП`.
    pub kpp: Option<String>,
    /// The digits written after `ОГРН` or `ОГРНИП`.
    pub ogrn: Option<String>,
}

/// Finds labelled requisites in a name (see [`NameRequisites`]); `None` when there are none.
pub fn requisites_in_name(name: &str) -> Option<NameRequisites> {
    // Cheap test first: nine digits in a row at least.
    let mut run = 0;
    if !name.bytes().any(|b| {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        run >= 9
    }) {
        return None;
    }
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"(?i)\b(ИНН|INN|КПП|KPP|ОГРНИП|ОГРН|OGRNIP|OGRN)\b\s*[:№#.]?\s*(\d{9,15})\b")
            .expect("static regex")
    });
    let mut found = NameRequisites::default();
    let mut rest = String::with_capacity(name.len());
    let mut last = 0;
    for c in re.captures_iter(name) {
        let (whole, label, digits) = (c.get(0).expect("match"), c[1].to_lowercase(), &c[2]);
        let slot = match label.as_str() {
            "инн" | "inn" => &mut found.inn,
            "кпп" | "kpp" => &mut found.kpp,
            _ => &mut found.ogrn,
        };
        slot.get_or_insert_with(|| digits.to_string());
        rest.push_str(&name[last..whole.start()]);
        last = whole.end();
    }
    if last == 0 {
        return None;
    }
    rest.push_str(&name[last..]);
    found.name = tidy_leftovers(&rest);
    Some(found)
}

/// Removes what taking requisites out of a name leaves: brackets holding only separators, and separators at the
/// ends (`Ромашка (, )` → `Ромашка`, `Ромашка, ` → `Ромашка`).
fn tidy_leftovers(s: &str) -> String {
    let sep = |c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/' | ':' | '-' | '–');
    let mut s = s.to_string();
    loop {
        let mut changed = false;
        for (open, close) in [('(', ')'), ('[', ']')] {
            let mut from = 0;
            while let Some(i) = s[from..].find(open).map(|i| i + from) {
                match s[i + open.len_utf8()..].find(close).map(|j| j + i + open.len_utf8()) {
                    Some(j) if s[i + open.len_utf8()..j].chars().all(sep) => {
                        s.replace_range(i..j + close.len_utf8(), "");
                        changed = true;
                    }
                    _ => from = i + open.len_utf8(),
                }
            }
        }
        if !changed {
            break;
        }
    }
    let t = s.trim_matches(sep);
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Keeps digits (and, for a КПП, Latin capitals) and drops spaces, dashes, dots and the like. Returns `None`
/// when something else (letters) is mixed in.
fn strip(raw: &str, allow_upper: bool) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_digit() || (allow_upper && c.is_ascii_alphabetic()) {
            out.push(c.to_ascii_uppercase());
        } else if c.is_whitespace() || matches!(c, '-' | '.' | '_' | '/' | '\u{2013}' | '\u{2014}' | '\'' | '"') {
            continue;
        } else {
            return None;
        }
    }
    Some(out)
}

/// A КПП shape with one of the usual registration reason codes (01 head office, 02-05 older branch codes,
/// 43-45 branches and subdivisions, 50 largest taxpayers).
fn looks_like_kpp(d: &str) -> bool {
    kpp_form_valid(d) && matches!(&d[4..6], "01" | "02" | "03" | "04" | "05" | "43" | "44" | "45" | "50")
}

/// What was noticed while reading identifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdNote {
    /// A КПП was typed into the ИНН field and moved.
    KppInInnField,
    /// An ОГРН/ОГРНИП was typed into the ИНН field and moved.
    OgrnInInnField,
    /// The ИНН lost its leading zero (Excel) and was padded back.
    InnZeroRestored,
    /// A person's ИНН on an organisation's card, or an organisation's on an ИП's: not this card's own.
    InnOfOtherKind,
    /// Excel's exponent form (`6,31646E+11`): the digits are lost, never guessed.
    ExcelExponent,
    /// Several ИНН in one cell (a Bitrix24 company with two requisites): the first is used, the next kept apart.
    SeveralInn,
    /// ИНН and КПП in one cell (`7707083893/770701001`): split.
    InnKppInOneCell,
    /// The ИНН, КПП or ОГРН field was empty and the value was written in the name (`Ромашка ИНН 7707083893`):
    /// taken from there.
    FromName,
}

impl IdNote {
    /// What the note says, for people.
    pub fn describe(self) -> &'static str {
        match self {
            IdNote::KppInInnField => "КПП typed in the ИНН field (moved)",
            IdNote::OgrnInInnField => "ОГРН typed in the ИНН field (moved)",
            IdNote::InnZeroRestored => "leading zero restored",
            IdNote::InnOfOtherKind => "ИНН of the other kind (12 digits on an org, 10 on an ИП): not used",
            IdNote::ExcelExponent => "mangled by Excel into exponent form (6,31646E+11): digits lost",
            IdNote::SeveralInn => "several ИНН in one cell: the one of the card's kind used",
            IdNote::InnKppInOneCell => "ИНН/КПП in one cell: split",
            IdNote::FromName => "written in the name: taken from there",
        }
    }
}

/// The identifiers of one card after normalisation. The valid ИНН, КПП and ОГРН are ASCII of at most 12, 9 and 15
/// characters: they are held in one fixed buffer (no allocation, 48 bytes with the rare part's pointer).
#[derive(Clone, PartialEq, Eq)]
pub struct Ids {
    /// The ИНН, the КПП and the ОГРН, each in its slot ([`SLOTS`]).
    buf: [u8; ID_BYTES],
    /// The length of each (0: none).
    lens: [u8; 3],
    /// What few cards have: texts that are not valid identifiers, further ИНН, repairs. Boxed, `None` when there
    /// is nothing: a million cards are held through the whole run.
    pub rare: Option<Box<RareIds>>,
}

/// Where the ИНН, the КПП and the ОГРН sit in [`Ids`]'s buffer.
const SLOTS: [std::ops::Range<usize>; 3] = [0..12, 12..21, 21..36];

/// The buffer's size: a 12-digit ИНН, a 9-character КПП, a 15-digit ОГРНИП.
const ID_BYTES: usize = 36;

impl Default for Ids {
    fn default() -> Ids {
        Ids { buf: [0; ID_BYTES], lens: [0; 3], rare: None }
    }
}

impl std::fmt::Debug for Ids {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ids")
            .field("inn", &self.inn())
            .field("kpp", &self.kpp())
            .field("ogrn", &self.ogrn())
            .field("rare", &self.rare)
            .finish()
    }
}

/// Serialised as before the buffer: `inn`, `kpp`, `ogrn` and the rare part's fields.
impl Serialize for Ids {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            inn: Option<&'a str>,
            kpp: Option<&'a str>,
            ogrn: Option<&'a str>,
            #[serde(flatten)]
            rare: &'a Option<Box<RareIds>>,
        }
        Shown { inn: self.inn(), kpp: self.kpp(), ogrn: self.ogrn(), rare: &self.rare }.serialize(serializer)
    }
}

/// The rarely filled part of [`Ids`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RareIds {
    /// Text in the ИНН field that is not a valid ИНН (kept, flagged, never used as an identifier).
    pub inn_invalid: Option<CompactString>,
    /// Further valid ИНН of the same cell (`631645880259, 6316220476`), in order.
    pub inn_other: Vec<CompactString>,
    /// Text in the КПП field that is not a КПП.
    pub kpp_invalid: Option<CompactString>,
    /// Text in the ОГРН field that is not valid.
    pub ogrn_invalid: Option<CompactString>,
    /// Repairs that were made.
    pub notes: Vec<IdNote>,
}

impl RareIds {
    fn is_empty(&self) -> bool {
        self.inn_invalid.is_none()
            && self.inn_other.is_empty()
            && self.kpp_invalid.is_none()
            && self.ogrn_invalid.is_none()
            && self.notes.is_empty()
    }
}

impl Ids {
    fn slot(&self, i: usize) -> Option<&str> {
        let len = usize::from(self.lens[i]);
        let start = SLOTS[i].start;
        (len > 0).then(|| std::str::from_utf8(&self.buf[start..start + len]).unwrap_or_default())
    }

    /// Writes slot `i`; a value that is not ASCII or does not fit (never a valid identifier) is not kept.
    fn set_slot(&mut self, i: usize, value: Option<&str>) {
        let slot = SLOTS[i].clone();
        match value {
            Some(v) if !v.is_empty() && v.is_ascii() && v.len() <= slot.len() => {
                self.buf[slot.start..slot.start + v.len()].copy_from_slice(v.as_bytes());
                self.buf[slot.start + v.len()..slot.end].fill(0);
                self.lens[i] = v.len() as u8;
            }
            other => {
                debug_assert!(other.is_none_or(str::is_empty), "not an identifier: {other:?}");
                self.buf[slot].fill(0);
                self.lens[i] = 0;
            }
        }
    }

    /// A valid ИНН (10 or 12 digits), usable as an identifier.
    pub fn inn(&self) -> Option<&str> {
        self.slot(0)
    }

    /// A КПП of valid form.
    pub fn kpp(&self) -> Option<&str> {
        self.slot(1)
    }

    /// A valid ОГРН or ОГРНИП.
    pub fn ogrn(&self) -> Option<&str> {
        self.slot(2)
    }

    /// Sets the ИНН (a valid one).
    pub fn set_inn(&mut self, inn: Option<&str>) {
        self.set_slot(0, inn);
    }

    /// Sets the КПП (of valid form).
    pub fn set_kpp(&mut self, kpp: Option<&str>) {
        self.set_slot(1, kpp);
    }

    /// Sets the ОГРН (a valid one).
    pub fn set_ogrn(&mut self, ogrn: Option<&str>) {
        self.set_slot(2, ogrn);
    }

    /// Takes the ИНН out.
    pub fn take_inn(&mut self) -> Option<CompactString> {
        let inn = self.inn().map(CompactString::from);
        self.set_inn(None);
        inn
    }

    /// Text in the ИНН field that is not a valid ИНН.
    pub fn inn_invalid(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.inn_invalid.as_deref())
    }

    /// Text in the КПП field that is not a КПП.
    pub fn kpp_invalid(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.kpp_invalid.as_deref())
    }

    /// Text in the ОГРН field that is not valid.
    pub fn ogrn_invalid(&self) -> Option<&str> {
        self.rare.as_ref().and_then(|r| r.ogrn_invalid.as_deref())
    }

    /// Further valid ИНН of the same cell.
    pub fn inn_other(&self) -> &[CompactString] {
        self.rare.as_ref().map_or(&[], |r| &r.inn_other)
    }

    /// Repairs that were made.
    pub fn notes(&self) -> &[IdNote] {
        self.rare.as_ref().map_or(&[], |r| &r.notes)
    }

    /// The rare part, made when first written.
    pub fn rare_mut(&mut self) -> &mut RareIds {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Drops the rare part when nothing is left in it.
    pub fn tidy(&mut self) {
        if self.rare.as_ref().is_some_and(|r| r.is_empty()) {
            self.rare = None;
        }
    }
}

/// The cell forms around an identifier's digits: an Excel apostrophe, a label (`ИНН 7749752088`, `ОГРН:`), and a
/// float artifact (`7707083893.0`, the cell read as a number).
fn clean_cell(raw: &str) -> String {
    let mut t = raw.trim().trim_start_matches('\'').trim();
    let lower = crate::normalize::text::simple_lower(t);
    for label in ["инн/кпп", "инн", "кпп", "огрнип", "огрн", "inn", "kpp", "ogrn"] {
        if lower.starts_with(label) {
            let rest = &t[t.char_indices().nth(label.chars().count()).map_or(t.len(), |(i, _)| i)..];
            if rest.is_empty() || rest.starts_with(|c: char| c.is_whitespace() || matches!(c, ':' | '№' | '-' | '.'))
            {
                t = rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '№' | '-' | '.'));
            }
            break;
        }
    }
    drop_float_zero(t).to_string()
}

/// `7707083893.0` → `7707083893`: digits, then `.` or `,` and only zeros.
fn drop_float_zero(t: &str) -> &str {
    if let Some(i) = t.rfind(['.', ',']) {
        let (int, frac) = (&t[..i], &t[i + 1..]);
        if !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && frac.bytes().all(|b| b == b'0')
        {
            return int;
        }
    }
    t
}

/// Excel's exponent form: `6,31646E+11`, `7.70708e+09`.
fn is_exponent_form(t: &str) -> bool {
    let t = t.trim();
    let Some(e) = t.find(['e', 'E']) else { return false };
    let (m, x) = (&t[..e], t[e + 1..].trim_start_matches('+'));
    let m = m.trim();
    m.len() >= 3
        && m.as_bytes()[0].is_ascii_digit()
        && matches!(m.as_bytes()[1], b'.' | b',')
        && m[2..].bytes().all(|b| b.is_ascii_digit())
        && !x.is_empty()
        && x.bytes().all(|b| b.is_ascii_digit())
}

/// Normalises the ИНН, КПП and ОГРН fields of a card together (a value typed in the wrong field is moved).
pub fn normalize_ids(inn_raw: &str, kpp_raw: &str, ogrn_raw: &str) -> Ids {
    let mut ids = read_ids(inn_raw, kpp_raw, ogrn_raw);
    ids.tidy();
    ids
}

fn read_ids(inn_raw: &str, kpp_raw: &str, ogrn_raw: &str) -> Ids {
    let mut ids = Ids::default();

    let ogrn_clean = clean_cell(ogrn_raw);
    let ogrn_digits = strip(&ogrn_clean, false);
    match ogrn_digits.as_deref() {
        Some("") => {}
        Some(d) if ogrn_valid(d) => ids.set_ogrn(Some(d)),
        _ => ids.rare_mut().ogrn_invalid = Some(ogrn_raw.trim().into()),
    }
    let kpp_cell = clean_cell(kpp_raw);
    let kpp_clean = strip(&kpp_cell, true);
    match kpp_clean.as_deref() {
        Some("") => {}
        // Excel drops the leading zero of КПП of regions 01-09 too.
        Some(k) if kpp_form_valid(k) => ids.set_kpp(Some(k)),
        Some(k) if k.len() == 8 && kpp_form_valid(&format!("0{k}")) => ids.set_kpp(Some(&format!("0{k}"))),
        _ => ids.rare_mut().kpp_invalid = Some(kpp_raw.trim().into()),
    }

    let cell = clean_cell(inn_raw);
    if is_exponent_form(&cell) {
        ids.rare_mut().inn_invalid = Some(inn_raw.trim().into());
        ids.rare_mut().notes.push(IdNote::ExcelExponent);
        return ids;
    }
    // Several values in one cell: `ИНН/КПП`, or two ИНН of two requisites.
    let parts: Vec<String> = cell
        .split([',', ';', '/', '\\', '|', '\n'])
        .map(|p| drop_float_zero(p.trim()).to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() >= 2 {
        let digits: Vec<Option<String>> = parts.iter().map(|p| strip(p, true)).collect();
        let inn_of = |d: &Option<String>| d.as_deref().and_then(|d| single_inn(d).0);
        if parts.len() == 2
            && let Some(inn) = inn_of(&digits[0])
            && let Some(k) = digits[1].as_deref().filter(|k| kpp_form_valid(k))
        {
            ids.set_inn(Some(&inn));
            ids.rare_mut().notes.push(IdNote::InnKppInOneCell);
            if ids.kpp().is_none() {
                ids.set_kpp(Some(k));
                if let Some(r) = ids.rare.as_mut() {
                    r.kpp_invalid = None;
                }
            }
            return ids;
        }
        let inns: Vec<Option<String>> = digits.iter().map(inn_of).collect();
        if inns.iter().all(Option::is_some) {
            let mut it = inns.into_iter().flatten();
            ids.set_inn(it.next().as_deref());
            let other: Vec<CompactString> = it.filter(|x| ids.inn() != Some(x.as_str())).map(Into::into).collect();
            ids.rare_mut().inn_other = other;
            ids.rare_mut().notes.push(IdNote::SeveralInn);
            return ids;
        }
        ids.rare_mut().inn_invalid = Some(inn_raw.trim().into());
        return ids;
    }

    let Some(d) = strip(&cell, false) else {
        if !inn_raw.trim().is_empty() {
            ids.rare_mut().inn_invalid = Some(inn_raw.trim().into());
        }
        return ids;
    };
    if d.is_empty() {
        return ids;
    }
    let (inn, note) = single_inn(&d);
    if let Some(inn) = inn {
        ids.set_inn(Some(&inn));
        ids.rare_mut().notes.extend(note);
    } else if d.len() == 9 && looks_like_kpp(&d) {
        // Nine digits shaped like a КПП (a registration reason code in the middle): a КПП typed into the ИНН
        // field, even when a leading zero would make it a checksum-valid ИНН (one КПП is shared by thousands of
        // companies: read as an ИНН it would glue them together).
        ids.rare_mut().notes.push(IdNote::KppInInnField);
        if ids.kpp().is_none() {
            ids.set_kpp(Some(&d));
        }
    } else if ogrn_valid(&d) {
        ids.rare_mut().notes.push(IdNote::OgrnInInnField);
        if ids.ogrn().is_none() {
            ids.set_ogrn(Some(&d));
        }
    } else if d.len() == 9 && kpp_form_valid(&d) {
        ids.rare_mut().notes.push(IdNote::KppInInnField);
        if ids.kpp().is_none() {
            ids.set_kpp(Some(&d));
        }
    } else {
        ids.rare_mut().inn_invalid = Some(inn_raw.trim().into());
    }
    ids
}

/// The ИНН that bare digits are: valid as they are, or with the leading zero Excel dropped (not for 9 digits that
/// look like a КПП).
fn single_inn(d: &str) -> (Option<String>, Option<IdNote>) {
    if inn_valid(d) {
        return (Some(d.to_string()), None);
    }
    if (d.len() == 9 && !looks_like_kpp(d) || d.len() == 11) && inn_valid(&format!("0{d}")) {
        return (Some(format!("0{d}")), Some(IdNote::InnZeroRestored));
    }
    (None, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requisites_written_in_the_name() {
        let r = requisites_in_name("ООО «Ромашка» ИНН 7707083893").unwrap();
        assert_eq!((r.name.as_str(), r.inn.as_deref()), ("ООО «Ромашка»", Some("7707083893")));
        let r = requisites_in_name("ООО \"Ромашка\" (ИНН 7707083893, КПП 770701001)").unwrap();
        assert_eq!(
            (r.name.as_str(), r.inn.as_deref(), r.kpp.as_deref()),
            ("ООО \"Ромашка\"", Some("7707083893"), Some("770701001"))
        );
        let r = requisites_in_name("Ромашка, инн: 7707083893 / ОГРН 1027700132195").unwrap();
        assert_eq!((r.name.as_str(), r.ogrn.as_deref()), ("Ромашка", Some("1027700132195")));
        let r = requisites_in_name("ИП Смирнова А.В. (ИНН 500100732259)").unwrap();
        assert_eq!((r.name.as_str(), r.inn.as_deref()), ("ИП Смирнова А.В.", Some("500100732259")));
        // A wrong check digit is taken out of the name all the same: the ИНН field's checks judge it.
        let r = requisites_in_name("Ромашка ИНН 7707083894").unwrap();
        assert_eq!((r.name.as_str(), r.inn.as_deref()), ("Ромашка", Some("7707083894")));
        // No label (a bare number may be a phone): the name stays as written.
        assert_eq!(requisites_in_name("Ромашка 7707083893"), None);
        assert_eq!(requisites_in_name("Ромашка"), None);
    }

    #[test]
    fn inn_checksums() {
        for ok in ["7707083893", "7736207543", "7830002293", "5406829253", "500100732259", "773006366201"] {
            assert!(inn_valid(ok), "{ok}");
        }
        for bad in ["7707083894", "1234567890", "500100732258", "77070838", "", "770708389X"] {
            assert!(!inn_valid(bad), "{bad}");
        }
        // The builders give the published ИНН back from their prefixes, and nothing from a wrong length.
        assert_eq!(inn10_with_check("770708389").as_deref(), Some("7707083893"));
        assert_eq!(inn12_with_check("5001007322").as_deref(), Some("500100732259"));
        assert_eq!(inn12_with_check("7730063662").as_deref(), Some("773006366201"));
        assert_eq!(inn10_with_check("77070838"), None);
        assert_eq!(inn12_with_check("77070838x9"), None);
    }

    #[test]
    fn ogrn_checksums() {
        for ok in ["1027700132195", "1037739010891", "1177746835200"] {
            assert!(ogrn13_valid(ok), "{ok}");
        }
        assert!(ogrnip15_valid("385768585948949"));
        assert!(!ogrn13_valid("1027700132196"));
        assert!(!ogrnip15_valid("385768585948948"));
    }

    #[test]
    fn kpp_form() {
        assert!(kpp_form_valid("773601001"));
        assert!(kpp_form_valid("7736AB001"));
        assert!(!kpp_form_valid("77360100"));
        assert!(!kpp_form_valid("7736ab001"));
    }

    #[test]
    fn normalize_table() {
        struct Case {
            inn: &'static str,
            kpp: &'static str,
            ogrn: &'static str,
            want_inn: Option<&'static str>,
            want_kpp: Option<&'static str>,
            want_ogrn: Option<&'static str>,
            invalid: bool,
        }
        let cases = [
            Case {
                inn: "7707083893",
                kpp: "",
                ogrn: "",
                want_inn: Some("7707083893"),
                want_kpp: None,
                want_ogrn: None,
                invalid: false,
            },
            Case {
                inn: " 7707 083 893 ",
                kpp: "773601001",
                ogrn: "",
                want_inn: Some("7707083893"),
                want_kpp: Some("773601001"),
                want_ogrn: None,
                invalid: false,
            },
            Case {
                inn: "77-07-08-38-93",
                kpp: "",
                ogrn: "",
                want_inn: Some("7707083893"),
                want_kpp: None,
                want_ogrn: None,
                invalid: false,
            },
            // A КПП in the ИНН field.
            Case {
                inn: "773601001",
                kpp: "",
                ogrn: "",
                want_inn: None,
                want_kpp: Some("773601001"),
                want_ogrn: None,
                invalid: false,
            },
            // An ОГРН in the ИНН field.
            Case {
                inn: "1027700132195",
                kpp: "",
                ogrn: "",
                want_inn: None,
                want_kpp: None,
                want_ogrn: Some("1027700132195"),
                invalid: false,
            },
            // Checksum failure: kept as invalid text.
            Case {
                inn: "7707083894",
                kpp: "",
                ogrn: "",
                want_inn: None,
                want_kpp: None,
                want_ogrn: None,
                invalid: true,
            },
            Case { inn: "нет", kpp: "", ogrn: "", want_inn: None, want_kpp: None, want_ogrn: None, invalid: true },
        ];
        for c in cases {
            let ids = normalize_ids(c.inn, c.kpp, c.ogrn);
            assert_eq!(ids.inn(), c.want_inn, "inn of {:?}", c.inn);
            assert_eq!(ids.kpp(), c.want_kpp, "kpp of {:?}", c.inn);
            assert_eq!(ids.ogrn(), c.want_ogrn, "ogrn of {:?}", c.inn);
            assert_eq!(ids.inn_invalid().is_some(), c.invalid, "invalid flag of {:?}", c.inn);
        }
    }

    #[test]
    fn a_kpp_in_the_inn_field_is_not_read_as_an_inn_without_its_zero() {
        // 0770401001 happens to pass the ИНН checksum, but 770401001 is a КПП (reason code 01).
        assert!(inn10_valid("0770401001"));
        let ids = normalize_ids("770401001", "", "");
        assert_eq!(ids.inn(), None);
        assert_eq!(ids.kpp(), Some("770401001"));
    }

    #[test]
    fn leading_zero_restored() {
        // A valid ИНН of region 0x with its leading zero dropped.
        let inn = (0..1_000_000_000u64)
            .step_by(7919)
            .map(|n| format!("{n:010}"))
            .find(|s| s.starts_with('0') && s.as_bytes()[1] != b'0' && inn10_valid(s))
            .unwrap();
        let ids = normalize_ids(&inn[1..], "", "");
        assert_eq!(ids.inn(), Some(inn.as_str()));
        assert_eq!(ids.notes(), vec![IdNote::InnZeroRestored]);
    }

    #[test]
    fn cell_forms_table() {
        // (cell, ИНН read, КПП read, invalid)
        let cases: &[(&str, Option<&str>, Option<&str>, bool)] = &[
            ("ИНН 7749752088", Some("7749752088"), None, false),
            ("инн: 7707083893", Some("7707083893"), None, false),
            ("'7707083893", Some("7707083893"), None, false),
            ("7707083893.0", Some("7707083893"), None, false),
            ("2300218989.0", Some("2300218989"), None, false),
            // Not a 12-digit ИНН `005697751320`: the `.0` is a float artifact.
            ("0569775132.0", Some("0569775132"), None, false),
            ("5412910953/779950609", Some("5412910953"), Some("779950609"), false),
            ("ИНН/КПП 7707083893 / 773601001", Some("7707083893"), Some("773601001"), false),
            ("631645880259, 6316220476", Some("631645880259"), None, false),
            ("6,31646E+11", None, None, true),
            ("7.70708e+09", None, None, true),
            ("0000000000", None, None, true),
            ("000000000000", None, None, true),
            ("7707083893, мусор", None, None, true),
        ];
        for (cell, inn, kpp, invalid) in cases {
            let ids = normalize_ids(cell, "", "");
            assert_eq!(ids.inn(), *inn, "inn of {cell:?}");
            assert_eq!(ids.kpp(), *kpp, "kpp of {cell:?}");
            assert_eq!(ids.inn_invalid().is_some(), *invalid, "invalid of {cell:?}");
        }
        let two = normalize_ids("631645880259, 6316220476", "", "");
        assert_eq!(two.inn_other(), ["6316220476"]);
        assert_eq!(two.notes(), [IdNote::SeveralInn]);
        assert_eq!(normalize_ids("6,31646E+11", "", "").notes(), [IdNote::ExcelExponent]);
        assert_eq!(normalize_ids("", "", "1027700132195.0").ogrn(), Some("1027700132195"));
    }

    #[test]
    fn ogrn_first_digit() {
        // Make check-valid numbers with each first digit.
        let make13 = |first: u64| {
            let body = first * 100_000_000_000 + 2_770_013_219;
            format!("{body}{}", body % 11 % 10)
        };
        let make15 = |first: u64| {
            let body = first * 10_000_000_000_000 + 857_685_859_489;
            format!("{body}{}", body % 13 % 10)
        };
        for d in 0..10 {
            assert_eq!(ogrn13_valid(&make13(d)), d == 1 || d == 5, "13 digits starting {d}: {}", make13(d));
            assert_eq!(ogrnip15_valid(&make15(d)), d == 3, "15 digits starting {d}: {}", make15(d));
        }
    }

    proptest::proptest! {
        /// Whatever the cell, no panic, and an ИНН read normalises to itself.
        #[test]
        fn cells_never_panic_and_an_inn_read_is_stable(s in "[0-9 .,/;Ee+ИНнКП:'-]{0,30}|.{0,20}") {
            let ids = normalize_ids(&s, &s, &s);
            if let Some(inn) = ids.inn() {
                proptest::prop_assert!(inn_valid(inn));
                let again = normalize_ids(inn, "", "").inn().map(str::to_string);
                proptest::prop_assert_eq!(again.as_deref(), Some(inn));
            }
        }
    }
}
