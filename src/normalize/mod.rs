//! Normalisers: turn the text of a CRM card into comparable keys. One module per kind of value; the data they
//! use lives in `dictionaries/` (see [`crate::dict`]).

pub mod address;
pub mod date;
pub mod email;
pub mod ids;
pub mod name;
pub mod person;
pub mod phone;
pub mod text;
pub mod translit;
pub mod website;

use chrono::NaiveDate;
use compact_str::CompactString;
use serde::Serialize;

pub use address::{Address, parse_address};
pub use date::parse_date;
pub use email::{Email, parse_email};
pub use ids::{Ids, normalize_ids};
pub use name::{NameToken, NormName, normalize_name};
pub use person::{Person, parse_person};
pub use phone::{Phone, PhoneKind, parse_phones};
pub use translit::translit_key;
pub use website::normalize_website;

use crate::card::Card;
use crate::dict::Dictionaries;

/// A card after normalisation: every value as a comparable key, plus what could not be understood.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NormCard {
    /// The company name.
    pub name: NormName,
    /// ИНН / КПП / ОГРН.
    pub ids: Ids,
    /// The brand, normalised like a name (empty when none).
    pub brand: Option<Box<NormName>>,
    /// Parsed addresses.
    pub addresses: Box<[Address]>,
    /// Phones.
    pub phones: Box<[Phone]>,

    /// Emails.
    pub emails: Box<[Email]>,

    /// Website key (registrable domain, or platform sub-site).
    pub website: Option<CompactString>,

    /// Contacts: decision-makers and third parties (see [`Person::third_party`]).
    pub contacts: Box<[Person]>,

    /// The responsible manager (trimmed; `None`: the card is in the pool).
    pub manager: Option<CompactString>,
    /// Last activity date.
    pub last_activity: Option<NaiveDate>,
    /// Values that could not be understood (most cards have none).
    pub invalid: Option<Box<Invalid>>,
}

/// The values of a card that could not be understood, kept for the quality report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Invalid {
    /// Phone values that are not phones.
    pub phones: Vec<String>,
    /// Email values that are not addresses.
    pub emails: Vec<String>,
    /// Website value that is not a site.
    pub website: Option<String>,
    /// Contact values in which no person was found.
    pub contacts: Vec<String>,
    /// Last activity text that is not a date.
    pub last_activity: Option<String>,
}

impl Invalid {
    fn is_empty(&self) -> bool {
        self.phones.is_empty()
            && self.emails.is_empty()
            && self.website.is_none()
            && self.contacts.is_empty()
            && self.last_activity.is_none()
    }
}

impl NormCard {
    /// The corporate email domains of the card (public mail services excluded), deduplicated.
    pub fn corporate_domains(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.emails.iter().filter(|e| !e.public).map(|e| e.domain()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The decision-makers: contacts that are not third parties.
    pub fn decision_makers(&self) -> impl Iterator<Item = &Person> {
        self.contacts.iter().filter(|p| !p.third_party)
    }

    /// The city of the first address that names one.
    pub fn city(&self) -> Option<&str> {
        self.addresses.iter().find_map(|a| a.city())
    }
}

/// The e-mail addresses and full phone numbers (ten digits or more) written in a contact's text, as written.
fn values_in_contact(c: &str) -> (Vec<String>, Vec<String>) {
    let (mut mail, mut tel) = (Vec::new(), Vec::new());
    if !c.contains('@') && c.bytes().filter(u8::is_ascii_digit).count() < 10 {
        return (mail, tel);
    }
    for w in c.split(|ch: char| ch.is_whitespace() || matches!(ch, ',' | ';')) {
        let w = w.trim_matches(|ch: char| matches!(ch, '(' | ')' | '<' | '>' | '[' | ']' | '.' | ':' | '"' | '\''));
        if w.contains('@') {
            mail.push(w.to_string());
        }
    }
    // Runs of digits and the signs phones are written with.
    let mut run = String::new();
    let mut flush = |run: &mut String| {
        if run.bytes().filter(u8::is_ascii_digit).count() >= 10 {
            tel.push(run.trim().to_string());
        }
        run.clear();
    };
    for ch in c.chars() {
        if ch.is_ascii_digit() || matches!(ch, '+' | '(' | ')' | '-' | ' ' | '\u{a0}') {
            run.push(ch);
        } else {
            flush(&mut run);
        }
    }
    flush(&mut run);
    (mail, tel)
}

/// Normalises one card.
pub fn normalize_card(card: &Card, dict: &Dictionaries) -> NormCard {
    // Requisites written into the name are not part of it; they fill the fields left empty.
    let in_name = ids::requisites_in_name(&card.name);
    let name = normalize_name(in_name.as_ref().map_or(card.name.as_str(), |r| r.name.as_str()), dict);
    let mut ids = match &in_name {
        None => normalize_ids(&card.inn, &card.kpp, &card.ogrn),
        Some(r) => {
            let pick = |field: &str, found: &Option<String>| -> (String, bool) {
                match found {
                    Some(v) if field.trim().is_empty() => (v.clone(), true),
                    _ => (field.to_string(), false),
                }
            };
            let ((inn, a), (kpp, b), (ogrn, c)) =
                (pick(&card.inn, &r.inn), pick(&card.kpp, &r.kpp), pick(&card.ogrn, &r.ogrn));
            let mut ids = normalize_ids(&inn, &kpp, &ogrn);
            if a || b || c {
                ids.rare_mut().notes.push(ids::IdNote::FromName);
            }
            ids
        }
    };
    // Two ИНН in one cell (a company with two requisites): the one of the card's own kind is its ИНН.
    let own_len = match name.form_kind {
        Some(crate::dict::FormKind::Org) => Some(10),
        Some(crate::dict::FormKind::Person) => Some(12),
        None if name.person.is_some() => Some(12),
        _ => None,
    };
    if let Some(len) = own_len
        && ids.inn().is_some_and(|i| i.len() != len)
        && let Some(pos) = ids.inn_other().iter().position(|x| x.len() == len)
        && let Some(first) = ids.take_inn()
    {
        let other = std::mem::replace(&mut ids.rare_mut().inn_other[pos], first);
        ids.set_inn(Some(&other));
    }
    // A 12-digit ИНН belongs to a person, a 10-digit one to an organisation: on a card whose legal form says
    // otherwise it is someone else's (the owner's, a sister company's) and cannot identify this card.
    if let Some(inn) = ids.inn() {
        let contradiction = match name.form_kind {
            Some(crate::dict::FormKind::Org) => inn.len() == 12,
            Some(crate::dict::FormKind::Person) => inn.len() == 10,
            Some(crate::dict::FormKind::Foreign) => false,
            // A name that is a person's full name, without a legal form, is an ИП.
            None => name.person.is_some() && inn.len() == 10,
        };
        if contradiction {
            let inn = ids.take_inn();
            let rare = ids.rare_mut();
            rare.inn_invalid = inn;
            rare.notes.push(ids::IdNote::InnOfOtherKind);
        }
    }
    let brand = if card.brand.trim().is_empty() {
        // A brand written before the legal name in brackets is the card's brand.
        name.bracket_brand.as_deref().map(|b| Box::new(normalize_name(b, dict))).filter(|b| !b.is_empty())
    } else {
        Some(Box::new(normalize_name(&card.brand, dict))).filter(|b| !b.is_empty())
    };
    let addresses: Vec<Address> = card.address.iter().filter_map(|a| parse_address(a, dict)).collect();
    let area_code = addresses.iter().find_map(|a| a.city()).and_then(|c| dict.city_codes.get(c)).map(String::as_str);
    let (mut phones, mut phones_invalid) = parse_phones(&card.phones, area_code);
    let mut emails = Vec::new();
    let mut emails_invalid = Vec::new();
    for e in &card.emails {
        match parse_email(e, dict) {
            Some(e) => {
                if !emails.iter().any(|x: &Email| x.address == e.address) {
                    emails.push(e);
                }
            }
            None => emails_invalid.push(e.clone()),
        }
    }
    // An e-mail typed in the phone column is read as an e-mail, a phone typed in the e-mail column as a phone; what
    // is neither stays invalid in its column.
    phones_invalid.retain(|v| match v.contains('@').then(|| parse_email(v, dict)).flatten() {
        Some(e) => {
            if !emails.iter().any(|x: &Email| x.address == e.address) {
                emails.push(e);
            }
            false
        }
        None => true,
    });
    emails_invalid.retain(|v| {
        if v.contains('@') || v.bytes().filter(u8::is_ascii_digit).count() < 10 {
            return true;
        }
        let found = parse_phones(std::slice::from_ref(v), area_code).0;
        for p in &found {
            if !phones.iter().any(|x| x.number == p.number) {
                phones.push(p.clone());
            }
        }
        found.is_empty()
    });
    // A contact written with the person's phone or e-mail in the same cell (`Иванов И.И., +7 916 123-45-67,
    // ivanov@alfa.ru`): the values are the card's too (the person is read without them).
    for c in &card.contacts {
        let (mail, tel) = values_in_contact(c);
        if !tel.is_empty() {
            for p in parse_phones(&tel, area_code).0 {
                if !phones.iter().any(|x| x.number == p.number) {
                    phones.push(p);
                }
            }
        }
        for e in mail.iter().filter_map(|m| parse_email(m, dict)) {
            if !emails.iter().any(|x: &Email| x.address == e.address) {
                emails.push(e);
            }
        }
    }
    let website = normalize_website(&card.website, dict);
    let website_invalid =
        if website.is_none() && !card.website.trim().is_empty() { Some(card.website.trim().to_string()) } else { None };
    let mut contacts: Vec<Person> = Vec::new();
    let mut contacts_unparsed = Vec::new();
    for c in &card.contacts {
        let people = if c.contains(',') { person::split_people(c, dict) } else { Vec::new() };
        let people = if people.len() > 1 { people } else { vec![c.clone()] };
        for c in people {
            match parse_person(&c, dict) {
                Some(p) => {
                    if !contacts.iter().any(|q| q.key() == p.key()) {
                        contacts.push(p);
                    }
                }
                None => contacts_unparsed.push(c),
            }
        }
    }
    let manager = Some(card.manager.trim()).filter(|m| !m.is_empty()).map(CompactString::from);
    let last_activity = parse_date(&card.last_activity);
    let last_activity_invalid = if last_activity.is_none() && !card.last_activity.trim().is_empty() {
        Some(card.last_activity.trim().to_string())
    } else {
        None
    };
    let invalid = Invalid {
        phones: phones_invalid,
        emails: emails_invalid,
        website: website_invalid,
        contacts: contacts_unparsed,
        last_activity: last_activity_invalid,
    };
    let invalid = if invalid.is_empty() { None } else { Some(Box::new(invalid)) };
    // Boxed slices: a vector collected or pushed to holds room for four values, and its capacity 8 bytes more;
    // a million cards keep theirs for the whole run.
    let (addresses, phones, emails, contacts) = (
        addresses.into_boxed_slice(),
        phones.into_boxed_slice(),
        emails.into_boxed_slice(),
        contacts.into_boxed_slice(),
    );
    let website = website.map(CompactString::from);
    NormCard { name, ids, brand, addresses, phones, emails, website, contacts, manager, last_activity, invalid }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_in_the_phone_column_and_a_phone_in_the_email_column() {
        let card = Card {
            name: "ООО «Альфа»".into(),
            phones: vec!["+7 495 111-22-33".into(), "info@alfa.ru".into(), "не звонить".into()],
            emails: vec!["8 (916) 123-45-67".into(), "нет".into()],
            ..Card::default()
        };
        let n = normalize_card(&card, Dictionaries::embedded());
        let phones: Vec<&str> = n.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(phones, ["+74951112233", "+79161234567"]);
        assert_eq!(n.emails.iter().map(|e| e.address.as_str()).collect::<Vec<_>>(), ["info@alfa.ru"]);
        // What is neither stays invalid in its column, for the quality report.
        let invalid = n.invalid.as_deref().unwrap();
        assert_eq!(
            (invalid.phones.as_slice(), invalid.emails.as_slice()),
            (&["не звонить".to_string()][..], &["нет".to_string()][..])
        );
    }

    #[test]
    fn phones_and_emails_written_in_a_contact() {
        let (mail, tel) = values_in_contact("Иванов И.И. (ivanov@alfa.ru), моб. +7 (916) 123-45-67; 8-495-111-22-33");
        assert_eq!(mail, ["ivanov@alfa.ru"]);
        assert_eq!(tel, ["+7 (916) 123-45-67", "8-495-111-22-33"]);
        // A local number, a year, a person alone: nothing.
        assert_eq!(values_in_contact("Петров П.П., тел. 231-60-14, с 2019"), (vec![], vec![]));
        assert_eq!(values_in_contact("Сидорова Анна Петровна"), (vec![], vec![]));
        let card = Card {
            name: "ООО «Альфа»".into(),
            phones: vec!["+7 916 123-45-67".into()],
            contacts: vec!["Иванов Иван Иванович, директор, 8 916 123-45-67, ivanov@alfa.ru".into()],
            ..Card::default()
        };
        let n = normalize_card(&card, Dictionaries::embedded());
        let phones: Vec<&str> = n.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(phones, ["+79161234567"], "the same number once");
        assert_eq!(n.emails[0].address, "ivanov@alfa.ru");
        assert_eq!(n.contacts[0].key(), "иванов и и");
    }

    #[test]
    fn a_whole_card() {
        let card = Card {
            line: 2,
            id: "1".into(),
            name: "ООО «Ромашка»".into(),
            inn: "7707083893".into(),
            kpp: "773601001".into(),
            address: vec!["г. Самара, ул. Ленина, д. 1, оф. 5".into()],
            phones: vec!["231-60-14".into(), "8 912 345 67 89".into()],
            emails: vec!["info@romashka.ru".into(), "ivanov@mail.ru".into()],
            website: "www.romashka.ru".into(),
            contacts: vec!["Иванов Иван Иванович, директор".into()],
            manager: " petrov ".into(),
            last_activity: "01.03.2024".into(),
            ..Card::default()
        };
        let n = normalize_card(&card, Dictionaries::embedded());
        assert_eq!(n.ids.inn(), Some("7707083893"));
        // The local number is completed with Samara's code.
        assert_eq!(n.phones[0].number, "+78462316014");
        assert_eq!(n.corporate_domains(), ["romashka.ru"]);
        assert_eq!(n.website.as_deref(), Some("romashka.ru"));
        assert_eq!(n.contacts[0].key(), "иванов и и");
        assert_eq!(n.manager.as_deref(), Some("petrov"));
        assert_eq!(n.city(), Some("самара"));
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    // Strings mixing Cyrillic, Latin, digits, punctuation, combining marks and odd Unicode.
    fn messy() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "[а-яА-ЯёЁa-zA-Z0-9 .,;:«»\"'()\\-+@/#*№\u{0306}\u{00A0}\u{FF21}-\u{FF3A}\u{1F600}]{0,60}",
        )
        .expect("valid regex")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn normalisers_never_panic(s in messy(), t in any::<String>()) {
            let d = Dictionaries::embedded();
            for v in [&s, &t] {
                let _ = normalize_name(v, d);
                let _ = phone::parse_phone(v, Some("846"));
                let _ = parse_email(v, d);
                let _ = normalize_website(v, d);
                let _ = parse_address(v, d);
                let _ = parse_person(v, d);
                let _ = normalize_ids(v, v, v);
                let _ = parse_date(v);
                let _ = translit_key(v);
            }
        }

        #[test]
        fn folding_is_idempotent(s in messy()) {
            let d = Dictionaries::embedded();
            let once = text::fold(&s, d);
            prop_assert_eq!(text::fold(&once, d), once);
        }

        #[test]
        fn quotes_and_spacing_do_not_change_a_name(s in messy()) {
            let d = Dictionaries::embedded();
            let n = normalize_name(&s, d);
            let quoted = normalize_name(&format!("  «{s}»\t"), d);
            prop_assert_eq!(n.key(), quoted.key());
            prop_assert_eq!(n.legal_form, quoted.legal_form);
        }

        #[test]
        fn valid_phones_roundtrip(s in messy()) {
            if let Ok(p) = phone::parse_phone(&s, None) {
                let again = phone::parse_phone(&p.number, None).expect("a normalised phone parses");
                prop_assert_eq!(again.number, p.number);
            }
        }
    }
}
