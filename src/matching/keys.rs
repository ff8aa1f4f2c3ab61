//! The key vocabulary: every value a card is indexed, counted and compared by — identifiers, phones, e-mails,
//! domains, people, brands, addresses and name words — as a kind, a text and a hash that carries its kind.
//! Blocking, the evidence, the state's key index, the reports and the look-up all take keys from here.

use std::hash::{Hash, Hasher};

use serde::Serialize;

use crate::normalize::{NormCard, NormName, PhoneKind};

/// The kinds of keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum KeyKind {
    /// A valid ИНН: hard key.
    Inn = 0,
    /// A valid ОГРН / ОГРНИП: hard key.
    Ogrn,
    /// A full phone number.
    Phone,
    /// A local number without area code.
    LocalPhone,
    /// An 8-800 number.
    TollFree,
    /// An email address.
    Email,
    /// A corporate email domain or a website.
    Domain,
    /// A person: surname and first initial.
    Person,
    /// A person: surname and both initials (counted for weights, not blocked on).
    PersonFull,
    /// A brand.
    Brand,
    /// An office address.
    AddrOffice,
    /// A building address.
    AddrHouse,
    /// A whole name, compact transliteration key.
    NameFull,
    /// A distinctive word of a name.
    NameToken,
}

impl KeyKind {
    /// Every kind.
    pub const ALL: [KeyKind; 14] = [
        KeyKind::Inn,
        KeyKind::Ogrn,
        KeyKind::Phone,
        KeyKind::LocalPhone,
        KeyKind::TollFree,
        KeyKind::Email,
        KeyKind::Domain,
        KeyKind::Person,
        KeyKind::PersonFull,
        KeyKind::Brand,
        KeyKind::AddrOffice,
        KeyKind::AddrHouse,
        KeyKind::NameFull,
        KeyKind::NameToken,
    ];

    /// Name shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Inn => "inn",
            KeyKind::Ogrn => "ogrn",
            KeyKind::Phone => "phone",
            KeyKind::LocalPhone => "local_phone",
            KeyKind::TollFree => "toll_free",
            KeyKind::Email => "email",
            KeyKind::Domain => "domain",
            KeyKind::Person => "person",
            KeyKind::PersonFull => "person_full",
            KeyKind::Brand => "brand",
            KeyKind::AddrOffice => "address_office",
            KeyKind::AddrHouse => "address_house",
            KeyKind::NameFull => "name",
            KeyKind::NameToken => "name_word",
        }
    }

    /// Contact keys: shared values that are evidence in themselves and can be generic.
    pub fn is_contact(self) -> bool {
        matches!(
            self,
            KeyKind::Phone
                | KeyKind::LocalPhone
                | KeyKind::TollFree
                | KeyKind::Email
                | KeyKind::Domain
                | KeyKind::Person
                | KeyKind::PersonFull
                | KeyKind::AddrOffice
                | KeyKind::AddrHouse
        )
    }

    /// Name keys: only for finding candidates; names are scored by similarity.
    pub fn is_name(self) -> bool {
        matches!(self, KeyKind::NameFull | KeyKind::NameToken)
    }

    fn from_u8(v: u8) -> KeyKind {
        KeyKind::ALL[v as usize]
    }

    /// The kind's code in the state's key index (`keys.kind`, named in its table `key_kinds`): the enum's
    /// discriminant, which is therefore never renumbered (a new kind takes the next number).
    pub fn code(self) -> i64 {
        self as u8 as i64
    }

    /// The kind of a state code ([`KeyKind::code`]), if it is one.
    pub fn from_code(code: i64) -> Option<KeyKind> {
        KeyKind::ALL.get(usize::try_from(code).ok()?).copied()
    }
}

/// The hash of a key: kind and text.
pub fn key_hash(kind: KeyKind, text: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    (kind as u8).hash(&mut h);
    text.hash(&mut h);
    // The low bits carry the kind, so a hash says what it is.
    (h.finish() & !0xF) | kind as u64
}

/// The kind of a hashed key.
pub fn kind_of(hash: u64) -> KeyKind {
    KeyKind::from_u8((hash & 0xF) as u8)
}

/// True for an identifier typed to get past a required field: one digit repeated (`0000000000`,
/// `777777777777`) or a run of consecutive digits (`1234567890`). Such a value never identifies anyone, even
/// when its checksum happens to fit.
pub fn is_placeholder_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 2 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let repeat = b.iter().all(|&c| c == b[0]);
    let up = b.windows(2).all(|w| (w[0] - b'0' + 1) % 10 == w[1] - b'0');
    let down = b.windows(2).all(|w| (w[1] - b'0' + 1) % 10 == w[0] - b'0');
    repeat || up || down
}

/// The card's ИНН when it can identify the card (valid, and not a placeholder).
pub fn usable_inn(n: &NormCard) -> Option<&str> {
    n.ids.inn().filter(|v| !is_placeholder_id(v))
}

/// Calls `f` with every key of a card (kind and text): what [`key_hash`] hashes, and what evidence shows.
pub fn for_each_key(n: &NormCard, f: impl FnMut(KeyKind, &str)) {
    for_each_key_where(n, |_| true, f)
}

/// [`for_each_key`] for the kinds `want` keeps only: the text of no other key is built.
pub fn for_each_key_where(n: &NormCard, want: impl Fn(KeyKind) -> bool, mut f: impl FnMut(KeyKind, &str)) {
    if want(KeyKind::Inn)
        && let Some(inn) = usable_inn(n)
    {
        f(KeyKind::Inn, inn);
    }
    if want(KeyKind::Ogrn)
        && let Some(ogrn) = n.ids.ogrn().filter(|v| !is_placeholder_id(v))
    {
        f(KeyKind::Ogrn, ogrn);
    }
    for p in &n.phones {
        let kind = match p.kind {
            PhoneKind::Local => KeyKind::LocalPhone,
            PhoneKind::TollFree => KeyKind::TollFree,
            _ => KeyKind::Phone,
        };
        if want(kind) {
            f(kind, &p.number);
        }
    }
    for e in &n.emails {
        if want(KeyKind::Email) {
            f(KeyKind::Email, &e.address);
        }
        if !e.public && want(KeyKind::Domain) {
            f(KeyKind::Domain, e.domain());
        }
    }
    if let Some(w) = &n.website
        && want(KeyKind::Domain)
    {
        f(KeyKind::Domain, w);
    }
    if want(KeyKind::Person) || want(KeyKind::PersonFull) {
        for p in n.decision_makers().chain(n.name.person.as_deref()).filter(|p| p.first_initial.is_some()) {
            if want(KeyKind::Person) {
                f(KeyKind::Person, &p.block_key());
            }
            if p.patronymic_initial.is_some() && want(KeyKind::PersonFull) {
                f(KeyKind::PersonFull, &p.key());
            }
        }
    }
    for a in &n.addresses {
        if want(KeyKind::AddrOffice)
            && let Some(k) = a.office_key()
        {
            f(KeyKind::AddrOffice, &k);
        }
        if want(KeyKind::AddrHouse)
            && let Some(k) = a.house_key()
        {
            f(KeyKind::AddrHouse, &k);
        }
    }
    let names = want(KeyKind::NameFull) || want(KeyKind::NameToken);
    if names {
        name_keys(&n.name, &want, &mut f);
    }
    if let Some(b) = &n.brand {
        if want(KeyKind::Brand) {
            let c = b.compact();
            if c.chars().count() >= 2 {
                f(KeyKind::Brand, &c);
            }
        }
        if names {
            name_keys(b, &want, &mut f);
        }
    }
}

/// Name keys: the whole compact name and each distinctive word of three letters or more.
fn name_keys(name: &NormName, want: &impl Fn(KeyKind) -> bool, f: &mut impl FnMut(KeyKind, &str)) {
    if want(KeyKind::NameFull) {
        let compact = name.compact();
        if compact.chars().count() >= 3 {
            f(KeyKind::NameFull, &compact);
        }
    }
    if want(KeyKind::NameToken) {
        for t in name.tokens.iter().filter(|t| !t.generic) {
            if t.key().chars().count() >= 3 {
                f(KeyKind::NameToken, t.key());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state stores kinds by code: a renumbered kind would read another kind's rows of an existing state.
    #[test]
    fn state_codes_of_the_kinds_are_fixed() {
        let codes: Vec<(i64, &str)> = KeyKind::ALL.iter().map(|k| (k.code(), k.name())).collect();
        assert_eq!(
            codes,
            [
                (0, "inn"),
                (1, "ogrn"),
                (2, "phone"),
                (3, "local_phone"),
                (4, "toll_free"),
                (5, "email"),
                (6, "domain"),
                (7, "person"),
                (8, "person_full"),
                (9, "brand"),
                (10, "address_office"),
                (11, "address_house"),
                (12, "name"),
                (13, "name_word"),
            ]
        );
        for k in KeyKind::ALL {
            assert_eq!(KeyKind::from_code(k.code()), Some(k));
        }
        assert_eq!(KeyKind::from_code(14), None);
        assert_eq!(KeyKind::from_code(-1), None);
    }
}
