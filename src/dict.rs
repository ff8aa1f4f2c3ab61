//! Dictionaries: the data files under `dictionaries/` (legal forms, non-distinctive words, public mail domains,
//! address abbreviations, area codes, look-alike letters, header aliases, job titles, first names, web platforms).
//!
//! They are embedded into the binary with `include_str!` so it runs anywhere, parsed once, and can be replaced
//! file by file with `--dictionaries DIR` (a file of the same name in DIR wins). Every file starts with `#`
//! comments that say what it is and where its facts come from.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::card::Field;
use crate::normalize::text;

/// An error in a dictionary file: which file, which line, what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum DictError {
    /// A line that does not have the expected columns or values.
    #[error("dictionary {file}, line {line}: {message}")]
    Parse {
        /// File name (e.g. `legal_forms.tsv`).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// An override file that could not be read.
    #[error("cannot read dictionary {path}: {source}")]
    Io {
        /// The file that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// The names and embedded contents of every dictionary file.
pub const FILES: &[(&str, &str)] = &[
    ("legal_forms.tsv", include_str!("../dictionaries/legal_forms.tsv")),
    ("non_distinctive.txt", include_str!("../dictionaries/non_distinctive.txt")),
    ("name_abbreviations.tsv", include_str!("../dictionaries/name_abbreviations.tsv")),
    ("public_email_domains.txt", include_str!("../dictionaries/public_email_domains.txt")),
    ("web_platforms.txt", include_str!("../dictionaries/web_platforms.txt")),
    ("address_abbrev.tsv", include_str!("../dictionaries/address_abbrev.tsv")),
    ("phone_codes.tsv", include_str!("../dictionaries/phone_codes.tsv")),
    ("homoglyphs.tsv", include_str!("../dictionaries/homoglyphs.tsv")),
    ("headers.tsv", include_str!("../dictionaries/headers.tsv")),
    ("positions.txt", include_str!("../dictionaries/positions.txt")),
    ("first_names.tsv", include_str!("../dictionaries/first_names.tsv")),
    ("third_party.txt", include_str!("../dictionaries/third_party.txt")),
    ("common_surnames.txt", include_str!("../dictionaries/common_surnames.txt")),
];

/// The kind of a legal form: an organisation, a person doing business (ИП, КФХ), or a foreign form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FormKind {
    /// A legal entity (ООО, АО, ...).
    Org,
    /// An individual entrepreneur or farm (ИП, КФХ): the rest of the name is a person's name.
    Person,
    /// A foreign legal form (GmbH, Inc ...).
    Foreign,
}

/// One written variant of a legal form, as folded tokens.
#[derive(Debug, Clone)]
pub struct LegalFormVariant {
    /// Folded tokens of the variant, e.g. `["общество", "с", "ограниченной", "ответственностью"]`.
    pub tokens: Vec<String>,
    /// Canonical code, e.g. `ООО`.
    pub code: String,
    /// Organisation, person or foreign.
    pub kind: FormKind,
}

/// The level of an address element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrLevel {
    /// Oblast, republic, krai.
    Region,
    /// Rayon.
    District,
    /// City, town, village.
    Settlement,
    /// Street, lane, avenue ...
    Street,
    /// House number.
    House,
    /// Building / korpus / stroenie.
    Building,
    /// Office, room, flat, floor.
    Room,
    /// Business centre, shopping centre.
    Landmark,
}

/// How a web platform identifies its client sites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformKind {
    /// `client.platform.tld`
    Subdomain,
    /// `platform.tld/client`
    Path,
}

/// A first name with its gender, found under its own spelling or a diminutive.
#[derive(Debug, Clone)]
pub struct FirstName {
    /// Full name, lower case (`александр`).
    pub full: String,
    /// `m` or `f`.
    pub gender: char,
}

/// All dictionaries, parsed and ready.
#[derive(Debug)]
pub struct Dictionaries {
    /// Latin letter → Cyrillic look-alike.
    pub lat2cyr: FxHashMap<char, char>,
    /// Cyrillic letter → Latin look-alike.
    pub cyr2lat: FxHashMap<char, char>,
    /// For each letter of the Cyrillic block (U+0400–U+04FF, by offset): whether its upper case (ё as е) has a
    /// Latin look-alike — `cyr2lat` asked once per letter here rather than once per letter of every name.
    pub cyr_has_lookalike: [bool; 256],
    /// For each ASCII letter: whether its upper case has a Cyrillic look-alike.
    pub lat_has_lookalike: [bool; 128],
    /// Legal form variants, longest (most tokens) first.
    pub legal_forms: Vec<LegalFormVariant>,
    /// Non-distinctive phrases as folded tokens, longest first.
    pub non_distinctive: Vec<Vec<String>>,
    /// Legal form variants by their first word (indices into `legal_forms`, longest first).
    pub forms_by_first: FxHashMap<String, Vec<usize>>,
    /// Legal form variants by their last word.
    pub forms_by_last: FxHashMap<String, Vec<usize>>,
    /// Non-distinctive phrases by their first word (indices, longest first).
    pub generic_by_first: FxHashMap<String, Vec<usize>>,
    /// Kind-of-business phrases of names and their abbreviations (`торговый дом` / `тд`), as folded tokens,
    /// longest phrase first.
    pub name_abbreviations: Vec<(Vec<String>, String)>,
    /// The phrases whose abbreviation is also a legal form (`научно производственное предприятие` / `нпп`), by
    /// their first word (indices into `name_abbreviations`, longest first): a name reads them abbreviated, so the
    /// form is split off as when typed short.
    pub abbreviated_by_first: FxHashMap<String, Vec<usize>>,
    /// Every other abbreviation and the phrase it is read as (the first listed): a name reads it in full, so a
    /// typo in the phrase costs one word, not the whole phrase.
    pub expansions: FxHashMap<String, Vec<String>>,
    /// Public mail domains.
    pub public_email: FxHashSet<String>,
    /// Web platforms by host.
    pub web_platforms: FxHashMap<String, PlatformKind>,
    /// Address type variants (single- and multi-word, folded) → (canonical, level).
    pub address_types: FxHashMap<String, (String, AddrLevel)>,
    /// The longest address type variant, in words.
    pub address_type_max_words: usize,
    /// City (lower case) → its area code, for cities with exactly one (Moscow has several: a local number
    /// there cannot be completed).
    pub city_codes: FxHashMap<String, String>,
    /// Area code → city.
    pub code_cities: FxHashMap<String, String>,
    /// Cities with several area codes (their local numbers stay local).
    pub multi_code_cities: FxHashSet<String>,
    /// Normalised header alias → field.
    pub headers: Vec<(String, Field)>,
    /// Job-title words.
    pub positions: FxHashSet<String>,
    /// Words marking a contact as a third party (accountant, agency ...).
    pub third_party: FxHashSet<String>,
    /// The most common surnames, lower case, male and female forms.
    pub common_surnames: FxHashSet<String>,
    /// First names and diminutives (lower case, ё as е) → the full name.
    pub first_names: FxHashMap<String, FirstName>,
}

static EMBEDDED: OnceLock<Dictionaries> = OnceLock::new();

fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

fn parse_err(file: &str, line: usize, message: impl Into<String>) -> DictError {
    DictError::Parse { file: file.to_string(), line, message: message.into() }
}

fn columns<'a>(file: &str, line: usize, l: &'a str, n: usize) -> Result<Vec<&'a str>, DictError> {
    let cols: Vec<&str> = l.split('\t').collect();
    if cols.len() < n {
        return Err(parse_err(file, line, format!("expected {n} tab-separated columns, found {}", cols.len())));
    }
    Ok(cols)
}

impl Dictionaries {
    /// The dictionaries embedded in the binary, parsed on first use.
    pub fn embedded() -> &'static Dictionaries {
        EMBEDDED.get_or_init(|| {
            let texts: Vec<(&str, String)> = FILES.iter().map(|(n, t)| (*n, t.to_string())).collect();
            // The embedded files are part of the build and covered by tests, so a parse error here is a bug.
            Dictionaries::parse(&texts).expect("embedded dictionaries are valid (checked by tests)")
        })
    }

    /// Loads the embedded dictionaries, replacing each by the file of the same name in `dir` when there is one.
    pub fn load(dir: Option<&Path>) -> Result<Dictionaries, DictError> {
        let mut texts = Vec::new();
        for (name, embedded) in FILES {
            let mut text = embedded.to_string();
            if let Some(dir) = dir {
                let p = dir.join(name);
                if p.exists() {
                    text = std::fs::read_to_string(&p).map_err(|source| DictError::Io { path: p.clone(), source })?;
                }
            }
            texts.push((*name, text));
        }
        Dictionaries::parse(&texts)
    }

    fn parse(texts: &[(&str, String)]) -> Result<Dictionaries, DictError> {
        let get = |name: &str| texts.iter().find(|(n, _)| *n == name).map(|(_, t)| t.as_str()).unwrap_or("");
        let mut d = Dictionaries {
            lat2cyr: FxHashMap::default(),
            cyr2lat: FxHashMap::default(),
            cyr_has_lookalike: [false; 256],
            lat_has_lookalike: [false; 128],
            legal_forms: Vec::new(),
            non_distinctive: Vec::new(),
            forms_by_first: FxHashMap::default(),
            forms_by_last: FxHashMap::default(),
            generic_by_first: FxHashMap::default(),
            name_abbreviations: Vec::new(),
            abbreviated_by_first: FxHashMap::default(),
            expansions: FxHashMap::default(),
            public_email: FxHashSet::default(),
            web_platforms: FxHashMap::default(),
            address_types: FxHashMap::default(),
            address_type_max_words: 1,
            city_codes: FxHashMap::default(),
            code_cities: FxHashMap::default(),
            multi_code_cities: FxHashSet::default(),
            headers: Vec::new(),
            positions: FxHashSet::default(),
            third_party: FxHashSet::default(),
            common_surnames: FxHashSet::default(),
            first_names: FxHashMap::default(),
        };

        let f = "homoglyphs.tsv";
        for (ln, l) in data_lines(get(f)) {
            let c = columns(f, ln, l, 2)?;
            let (Some(lat), Some(cyr)) = (single_char(c[0]), single_char(c[1])) else {
                return Err(parse_err(f, ln, "each column must hold exactly one letter"));
            };
            d.lat2cyr.insert(lat, cyr);
            d.cyr2lat.insert(cyr, lat);
        }
        for (i, has) in d.cyr_has_lookalike.iter_mut().enumerate() {
            let c = char::from_u32(0x400 + i as u32).unwrap_or(' ');
            *has = d.cyr2lat.contains_key(&crate::normalize::text::class_form(c));
        }
        for (i, has) in d.lat_has_lookalike.iter_mut().enumerate() {
            let c = char::from(i as u8);
            *has = c.is_ascii_alphabetic() && d.lat2cyr.contains_key(&crate::normalize::text::class_form(c));
        }

        let f = "legal_forms.tsv";
        for (ln, l) in data_lines(get(f)) {
            let c = columns(f, ln, l, 3)?;
            let kind = match c[1].trim() {
                "org" => FormKind::Org,
                "person" => FormKind::Person,
                "foreign" => FormKind::Foreign,
                other => return Err(parse_err(f, ln, format!("kind must be org, person or foreign, not {other:?}"))),
            };
            let tokens = text::fold_tokens(c[2], &d);
            if tokens.is_empty() {
                return Err(parse_err(f, ln, "empty variant"));
            }
            // A form typed in Latin look-alike letters ("AHO" beside a Latin name is folded to Latin): add the
            // look-alike spelling of a variant made only of such letters.
            if let Some(look) = latin_lookalike(&tokens, &d) {
                d.legal_forms.push(LegalFormVariant { tokens: look, code: c[0].trim().to_string(), kind });
            }
            d.legal_forms.push(LegalFormVariant { tokens, code: c[0].trim().to_string(), kind });
        }
        d.legal_forms.sort_by_key(|v| std::cmp::Reverse(v.tokens.len()));

        let f = "non_distinctive.txt";
        for (_, l) in data_lines(get(f)) {
            let t = text::fold_tokens(l, &d);
            if !t.is_empty() {
                d.non_distinctive.push(t);
            }
        }
        let f = "name_abbreviations.tsv";
        for (ln, l) in data_lines(get(f)) {
            let c = columns(f, ln, l, 2)?;
            let (short, phrase) = (text::fold_tokens(c[0], &d), text::fold_tokens(c[1], &d));
            if short.len() != 1 || phrase.len() < 2 {
                return Err(parse_err(f, ln, "expected one word, a tab, then a phrase of two words or more"));
            }
            // The abbreviation and the phrase are non-distinctive wherever they are written.
            for ph in [&short, &phrase] {
                if !d.non_distinctive.contains(ph) {
                    d.non_distinctive.push(ph.clone());
                }
            }
            let is_form = d.legal_forms.iter().any(|v| v.tokens == short);
            if !is_form {
                d.expansions.entry(short[0].clone()).or_insert_with(|| phrase.clone());
            }
            d.name_abbreviations.push((phrase, short[0].clone()));
        }
        d.name_abbreviations.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        for (i, (p, short)) in d.name_abbreviations.iter().enumerate() {
            if !d.expansions.contains_key(short) {
                d.abbreviated_by_first.entry(p[0].clone()).or_default().push(i);
            }
        }
        d.non_distinctive.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for (i, v) in d.legal_forms.iter().enumerate() {
            d.forms_by_first.entry(v.tokens[0].clone()).or_default().push(i);
            d.forms_by_last.entry(v.tokens[v.tokens.len() - 1].clone()).or_default().push(i);
        }
        for (i, p) in d.non_distinctive.iter().enumerate() {
            d.generic_by_first.entry(p[0].clone()).or_default().push(i);
        }

        for (_, l) in data_lines(get("public_email_domains.txt")) {
            d.public_email.insert(l.trim().to_lowercase());
        }

        let f = "web_platforms.txt";
        for (ln, l) in data_lines(get(f)) {
            let c = columns(f, ln, l, 2)?;
            let kind = match c[1].trim() {
                "subdomain" => PlatformKind::Subdomain,
                "path" => PlatformKind::Path,
                other => return Err(parse_err(f, ln, format!("kind must be subdomain or path, not {other:?}"))),
            };
            d.web_platforms.insert(c[0].trim().to_lowercase(), kind);
        }

        let f = "address_abbrev.tsv";
        for (ln, l) in data_lines(get(f)) {
            let c = columns(f, ln, l, 3)?;
            let level = match c[1].trim() {
                "region" => AddrLevel::Region,
                "district" => AddrLevel::District,
                "settlement" => AddrLevel::Settlement,
                "street" => AddrLevel::Street,
                "house" => AddrLevel::House,
                "building" => AddrLevel::Building,
                "room" => AddrLevel::Room,
                "landmark" => AddrLevel::Landmark,
                other => return Err(parse_err(f, ln, format!("unknown level {other:?}"))),
            };
            let variant = text::fold_address_words(c[2]).join(" ");
            if variant.is_empty() {
                return Err(parse_err(f, ln, "empty variant"));
            }
            d.address_type_max_words = d.address_type_max_words.max(variant.split(' ').count());
            d.address_types.insert(variant, (c[0].trim().to_string(), level));
        }

        let f = "phone_codes.tsv";
        let mut codes_of_city: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
        for (ln, l) in data_lines(get(f)) {
            let c = columns(f, ln, l, 2)?;
            let code = c[0].trim();
            if code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) || code.len() > 5 {
                return Err(parse_err(f, ln, format!("area code must be 3 to 5 digits, not {code:?}")));
            }
            let city = text::simple_lower(c[1].trim());
            codes_of_city.entry(city.clone()).or_default().push(code.to_string());
            d.code_cities.entry(code.to_string()).or_insert(city);
        }

        for (city, codes) in codes_of_city {
            if codes.len() == 1 {
                d.city_codes.insert(city, codes[0].clone());
            } else {
                d.multi_code_cities.insert(city);
            }
        }

        let f = "headers.tsv";
        for (ln, l) in data_lines(get(f)) {
            let c = columns(f, ln, l, 2)?;
            let field = Field::from_name(c[0].trim())
                .ok_or_else(|| parse_err(f, ln, format!("unknown field {:?}", c[0].trim())))?;
            d.headers.push((text::header_key(c[1]), field));
        }

        for (_, l) in data_lines(get("positions.txt")) {
            d.positions.insert(text::simple_lower(l.trim()));
        }

        for (_, l) in data_lines(get("third_party.txt")) {
            d.third_party.insert(text::simple_lower(l.trim()));
        }

        for (_, l) in data_lines(get("common_surnames.txt")) {
            let m = text::simple_lower(l.trim());
            let f = match m.strip_suffix("ий") {
                Some(stem) => format!("{stem}ая"),
                None if m.ends_with("ко") || m.ends_with("ук") => m.clone(),
                None => format!("{m}а"),
            };
            d.common_surnames.insert(f);
            d.common_surnames.insert(m);
        }

        let f = "first_names.tsv";
        for (ln, l) in data_lines(get(f)) {
            let c = columns(f, ln, l, 2)?;
            let full = text::simple_lower(c[0].trim());
            let gender = match c[1].trim() {
                "m" => 'm',
                "f" => 'f',
                other => return Err(parse_err(f, ln, format!("gender must be m or f, not {other:?}"))),
            };
            let entry = FirstName { full: full.clone(), gender };
            d.first_names.insert(full.clone(), entry.clone());
            if let Some(dims) = c.get(2) {
                for dim in dims.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    d.first_names.entry(text::simple_lower(dim)).or_insert_with(|| entry.clone());
                }
            }
        }
        Ok(d)
    }

    /// True when `city` (lower case) is a city of the area-code list.
    pub fn is_known_city(&self, city: &str) -> bool {
        self.city_codes.contains_key(city) || self.multi_code_cities.contains(city)
    }

    /// True when `domain` is a public (free) mail domain.
    pub fn is_public_email_domain(&self, domain: &str) -> bool {
        self.public_email.contains(domain)
    }
}

/// The Latin look-alike spelling of Cyrillic words made only of letters that have one (`ано` → `aho`).
fn latin_lookalike(tokens: &[String], d: &Dictionaries) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(tokens.len());
    for t in tokens {
        let mut w = String::new();
        for c in t.chars() {
            let upper = c.to_uppercase().next()?;
            let lat = d.cyr2lat.get(&upper)?;
            w.extend(lat.to_lowercase());
        }
        out.push(w);
    }
    (out != tokens).then_some(out)
}

fn single_char(s: &str) -> Option<char> {
    let mut it = s.trim().chars();
    let c = it.next()?;
    if it.next().is_some() { None } else { Some(c) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_dictionaries_parse() {
        let d = Dictionaries::load(None).unwrap();
        assert!(d.legal_forms.len() > 50);
        assert!(d.public_email.contains("mail.ru"));
        assert_eq!(d.city_codes.get("казань").map(String::as_str), Some("843"));
        // Moscow has several codes: its local numbers cannot be completed.
        assert_eq!(d.city_codes.get("москва"), None);
        assert!(d.is_known_city("москва"));
        assert_eq!(d.first_names.get("саша").unwrap().full, "александр");
        assert_eq!(d.lat2cyr.get(&'A'), Some(&'А'));
        // Longest legal form variants come first so that "ИП глава КФХ" wins over "ИП".
        assert!(d.legal_forms[0].tokens.len() >= d.legal_forms.last().unwrap().tokens.len());
    }

    #[test]
    fn override_dir_replaces_a_file_and_reports_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("public_email_domains.txt"), "# test\nexample.org\n").unwrap();
        let d = Dictionaries::load(Some(dir.path())).unwrap();
        assert!(d.public_email.contains("example.org"));
        assert!(!d.public_email.contains("mail.ru"));

        std::fs::write(dir.path().join("legal_forms.tsv"), "# test\nООО\tweird\tооо\n").unwrap();
        let err = Dictionaries::load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("legal_forms.tsv, line 2"), "{err}");
    }
}
