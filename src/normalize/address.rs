//! Addresses: postal code, city, street, house, building and office as separate tokens, with the many ways of
//! writing the element types (г., ул., пр-т, пер., ш., д., дом, корп., к., стр., оф., пом. ...) unified from
//! `dictionaries/address_abbrev.tsv`. The keys it produces (house, office) let the matcher see that two cards
//! share a building, and, more strongly, an office.

use compact_str::{CompactString, format_compact};
use serde::Serialize;

use crate::dict::{AddrLevel, Dictionaries};
use crate::normalize::text::fold_address_words;

/// A parsed address: its parts (postal code, city, street, street type, house, building, office) held in one
/// text with their ends, so that a card's address costs one allocation, not seven strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Address {
    /// The parts written one after another.
    text: Box<str>,
    /// Where each part ends in `text`, in [`Part`] order (a part starts where the one before it ends).
    ends: [u16; PARTS],
    /// Bit `i` set when part `i` is written.
    present: u8,
}

/// The number of parts an address has.
const PARTS: usize = 7;

/// The parts of an address, in the order [`Address`] holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Postcode,
    City,
    Street,
    StreetType,
    House,
    Building,
    Office,
}

impl Address {
    /// Packs the parts written (`None`: not written), in [`Part`] order.
    fn pack(parts: &[Option<CompactString>; PARTS]) -> Address {
        let mut text = String::with_capacity(parts.iter().flatten().map(|x| x.len()).sum());
        let mut ends = [0u16; PARTS];
        let mut present = 0u8;
        for (i, part) in parts.iter().enumerate() {
            if let Some(x) = part {
                text.push_str(x);
                present |= 1 << i;
            }
            // An address part is a few words; a longer one (over 64 KiB of address) is cut at a character.
            if text.len() > usize::from(u16::MAX) {
                let mut cut = usize::from(u16::MAX);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
            }
            ends[i] = text.len() as u16;
        }
        Address { text: text.into_boxed_str(), ends, present }
    }

    fn part(&self, part: Part) -> Option<&str> {
        let i = part as usize;
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { usize::from(self.ends[i - 1]) };
        Some(&self.text[start..usize::from(self.ends[i])])
    }

    /// 6-digit postal code.
    pub fn postcode(&self) -> Option<&str> {
        self.part(Part::Postcode)
    }

    /// City or other settlement, lower case.
    pub fn city(&self) -> Option<&str> {
        self.part(Part::City)
    }

    /// Street name without its type (`тверская`), lower case.
    pub fn street(&self) -> Option<&str> {
        self.part(Part::Street)
    }

    /// Street type, canonical (`ул`, `пр-кт` ...), when written.
    pub fn street_type(&self) -> Option<&str> {
        self.part(Part::StreetType)
    }

    /// House number (`5`, `5а`, `5/1`).
    pub fn house(&self) -> Option<&str> {
        self.part(Part::House)
    }

    /// Building (`к2`, `стр1`, `лит а`).
    pub fn building(&self) -> Option<&str> {
        self.part(Part::Building)
    }

    /// Office, room or flat (`оф 12`).
    pub fn office(&self) -> Option<&str> {
        self.part(Part::Office)
    }

    /// The key of the building: city, street, house, building. `None` without a street and house.
    pub fn house_key(&self) -> Option<String> {
        let street = self.street()?;
        let house = self.house()?;
        Some(format!("{}|{}|{}|{}", self.city().unwrap_or(""), street, house, self.building().unwrap_or("")))
    }

    /// The key of the office: the building key plus the office. `None` without an office.
    pub fn office_key(&self) -> Option<String> {
        let office = self.office()?;
        Some(format!("{}|{}", self.house_key()?, office))
    }

    /// A normalised one-line form: `г москва, ул тверская, д 5, к2, оф 12`.
    pub fn normalized(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(p) = self.postcode() {
            parts.push(p.to_string());
        }
        if let Some(c) = self.city() {
            parts.push(format!("г {c}"));
        }
        if let Some(s) = self.street() {
            parts.push(match self.street_type() {
                Some(t) => format!("{t} {s}"),
                None => s.to_string(),
            });
        }
        if let Some(h) = self.house() {
            parts.push(format!("д {h}"));
        }
        if let Some(b) = self.building() {
            parts.push(b.to_string());
        }
        if let Some(o) = self.office() {
            parts.push(o.to_string());
        }
        parts.join(", ")
    }
}

/// Serialised as its parts, by name.
impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = serializer.serialize_struct("Address", PARTS)?;
        st.serialize_field("postcode", &self.postcode())?;
        st.serialize_field("city", &self.city())?;
        st.serialize_field("street", &self.street())?;
        st.serialize_field("street_type", &self.street_type())?;
        st.serialize_field("house", &self.house())?;
        st.serialize_field("building", &self.building())?;
        st.serialize_field("office", &self.office())?;
        st.end()
    }
}

/// The parts of an address as the parser fills them.
#[derive(Default)]
struct Parts {
    postcode: Option<CompactString>,
    city: Option<CompactString>,
    street: Option<CompactString>,
    street_type: Option<CompactString>,
    house: Option<CompactString>,
    building: Option<CompactString>,
    office: Option<CompactString>,
}

impl Parts {
    fn pack(self) -> Address {
        Address::pack(&[
            self.postcode,
            self.city,
            self.street,
            self.street_type,
            self.house,
            self.building,
            self.office,
        ])
    }
}

fn is_postcode(w: &str) -> bool {
    w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit())
}

/// An ordinal that belongs to a street name: `1-я`, `2-й`, `3-го`.
fn is_ordinal(w: &str) -> bool {
    let digits = w.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let rest = w[digits..].trim_start_matches('-');
    matches!(rest, "я" | "й" | "ая" | "ый" | "ий" | "ой" | "го" | "е" | "ья")
}

fn starts_with_digit(w: &str) -> bool {
    w.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// Splits `5к2`, `5с1`, `5стр1` into house and building.
fn split_house(w: &str) -> (String, Option<String>) {
    let digits_end = w.find(|c: char| !(c.is_ascii_digit() || c == '/')).unwrap_or(w.len());
    let (num, rest) = w.split_at(digits_end);
    for (suffix, canon) in [("корп", "к"), ("стр", "стр"), ("к", "к"), ("с", "стр")] {
        if let Some(b) = rest.strip_prefix(suffix)
            && !b.is_empty()
            && b.chars().all(|c| c.is_ascii_digit())
        {
            return (num.to_string(), Some(format!("{canon}{b}")));
        }
    }
    (w.trim_end_matches('-').to_string(), None)
}

struct Parser<'a> {
    dict: &'a Dictionaries,
    addr: Parts,
    pending: Option<(String, AddrLevel)>,
    words: Vec<String>,
}

impl Parser<'_> {
    fn assign_words(&mut self) {
        let words = std::mem::take(&mut self.words);
        let pending = self.pending.take();
        if words.is_empty() {
            return;
        }
        let joined = words.join(" ");
        match pending {
            Some((_, AddrLevel::Settlement)) => {
                self.addr.city.get_or_insert(joined.into());
            }
            Some((canon, AddrLevel::Street)) => {
                if self.addr.street.is_none() {
                    self.addr.street = Some(joined.into());
                    self.addr.street_type = Some(canon.into());
                }
            }
            Some((canon, AddrLevel::Building)) => {
                self.addr.building.get_or_insert(format_compact!("{canon} {joined}"));
            }
            Some((canon, AddrLevel::Room)) => {
                self.addr.office.get_or_insert(format_compact!("{canon} {joined}"));
            }
            Some((_, AddrLevel::Region | AddrLevel::District | AddrLevel::Landmark | AddrLevel::House)) => {}
            None => {
                if self.addr.city.is_none() && self.dict.is_known_city(&joined) {
                    self.addr.city = Some(joined.into());
                } else if self.addr.street.is_none() {
                    self.addr.street = Some(joined.into());
                }
            }
        }
    }

    fn number(&mut self, w: &str) {
        let level = self.pending.as_ref().map(|(_, l)| *l);
        match level {
            Some(AddrLevel::House) => {
                self.pending = None;
                let (h, b) = split_house(w);
                self.addr.house.get_or_insert(h.into());
                if let Some(b) = b {
                    self.addr.building.get_or_insert(b.into());
                }
            }
            Some(AddrLevel::Building) => {
                let (canon, _) = self.pending.take().unwrap_or_default_pending();
                self.addr.building.get_or_insert(format_compact!("{canon}{w}"));
            }
            Some(AddrLevel::Room) => {
                let (canon, _) = self.pending.take().unwrap_or_default_pending();
                self.addr.office.get_or_insert(format_compact!("{canon} {w}"));
            }
            _ => {
                self.assign_words();
                self.pending = None;
                if self.addr.house.is_none() {
                    // "5-12": house 5, office 12.
                    if let Some((h, o)) = w.split_once('-')
                        && !o.is_empty()
                        && o.chars().all(|c| c.is_ascii_digit())
                    {
                        self.addr.house = Some(h.into());
                        self.addr.office.get_or_insert(format_compact!("оф {o}"));
                        return;
                    }
                    let (h, b) = split_house(w);
                    self.addr.house = Some(h.into());
                    if let Some(b) = b {
                        self.addr.building.get_or_insert(b.into());
                    }
                } else if self.addr.office.is_none() {
                    self.addr.office = Some(format_compact!("оф {w}"));
                }
            }
        }
    }
}

trait PendingExt {
    fn unwrap_or_default_pending(self) -> (String, AddrLevel);
}

impl PendingExt for Option<(String, AddrLevel)> {
    fn unwrap_or_default_pending(self) -> (String, AddrLevel) {
        self.unwrap_or((String::new(), AddrLevel::Landmark))
    }
}

/// Parses an address. Returns `None` for an empty value.
pub fn parse_address(value: &str, dict: &Dictionaries) -> Option<Address> {
    let mut p = Parser { dict, addr: Parts::default(), pending: None, words: Vec::new() };
    let mut any = false;
    for part in value.split([',', ';', '\n']) {
        let words = fold_address_words(part);
        let mut i = 0;
        while i < words.len() {
            any = true;
            let w = &words[i];
            if p.addr.postcode.is_none() && is_postcode(w) {
                p.addr.postcode = Some(w.as_str().into());
                i += 1;
                continue;
            }
            if w == "им" || w == "имени" {
                i += 1;
                continue;
            }
            // Longest address type starting here.
            let mut matched = None;
            for len in (1..=p.dict.address_type_max_words.min(words.len() - i)).rev() {
                let cand = words[i..i + len].join(" ");
                if let Some(t) = p.dict.address_types.get(&cand) {
                    matched = Some((t.clone(), len));
                    break;
                }
            }
            if let Some(((canon, level), len)) = matched {
                // A type written after its name ("Тверская ул") takes the words before it.
                if !p.words.is_empty()
                    && p.pending.is_none()
                    && matches!(level, AddrLevel::Street | AddrLevel::Settlement)
                {
                    p.pending = Some((canon, level));
                    p.assign_words();
                } else {
                    p.assign_words();
                    p.pending = Some((canon, level));
                }
                i += len;
                continue;
            }
            if starts_with_digit(w) && !is_ordinal(w) {
                p.number(w);
            } else {
                p.words.push(w.clone());
            }
            i += 1;
        }
        p.assign_words();
        p.pending = None;
    }
    if any { Some(p.addr.pack()) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(s: &str) -> (Option<String>, Option<String>) {
        let a = parse_address(s, Dictionaries::embedded()).unwrap();
        (a.house_key(), a.office_key())
    }

    #[test]
    fn same_address_written_differently() {
        let variants = [
            "г. Москва, ул. Тверская, д. 5, оф. 12",
            "Москва, Тверская ул., дом 5, офис 12",
            "125009, г Москва, улица Тверская, д 5, офис 12",
            "г.Москва ул.Тверская д.5 оф.12",
            "Москва, Тверская, 5-12",
        ];
        let want = keys(variants[0]);
        assert_eq!(want.0.as_deref(), Some("москва|тверская|5|"));
        assert_eq!(want.1.as_deref(), Some("москва|тверская|5||оф 12"));
        for v in variants {
            assert_eq!(keys(v), want, "{v:?}");
        }
    }

    #[test]
    fn buildings_and_ordinals() {
        let d = Dictionaries::embedded();
        let a = parse_address("Санкт-Петербург, пр-т Невский, д. 28, корп. 2, пом. 4Н", d).unwrap();
        assert_eq!(a.city(), Some("санкт-петербург"));
        assert_eq!(a.street(), Some("невский"));
        assert_eq!(a.street_type(), Some("пр-кт"));
        assert_eq!(a.house(), Some("28"));
        assert_eq!(a.building(), Some("к2"));
        assert_eq!(a.office(), Some("пом 4н"));

        let b = parse_address("г. Москва, 1-я Тверская-Ямская ул., 5к2", d).unwrap();
        assert_eq!(b.street(), Some("1-я тверская-ямская"));
        assert_eq!(b.house(), Some("5"));
        assert_eq!(b.building(), Some("к2"));
        assert_eq!(parse_address(" , ", d), None);
    }
}
