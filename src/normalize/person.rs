//! People (decision-makers, ИП owners): a surname + initials key that matches "Иванов Иван Иванович",
//! "Иванов И.И.", "Иван Иванов", "И.И. Иванов", "ИВАНОВ И. И."; a job title ("директор по маркетингу") split off;
//! diminutives read as the full name ("Саша Петров" → А. Петров). Rules: ../shared/DOMAIN.md "People".

use compact_str::CompactString;
use serde::Serialize;

use crate::dict::Dictionaries;
use crate::normalize::text::{nfkc, simple_lower};

/// A person read from a contact or an ИП's name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Person {
    /// Surname, lower case, ё as е.
    pub surname: CompactString,
    /// Full first name when written out (diminutives expanded), lower case.
    pub first: Option<CompactString>,
    /// First-name initial, lower case.
    pub first_initial: Option<char>,
    /// Patronymic initial, lower case.
    pub patronymic_initial: Option<char>,
    /// True when the patronymic was written out in full.
    pub patronymic_full: bool,
    /// Job title, as written (trimmed), if any.
    pub position: Option<CompactString>,
    /// True when the contact is a third party (accountant, receptionist, agency): never a decision-maker.
    pub third_party: bool,
    /// True when the surname is one of the most common ones (`dictionaries/common_surnames.txt`).
    pub common_surname: bool,
}

impl Person {
    /// The matching key: surname and initials, e.g. `иванов и и` (or `иванов и` without a patronymic).
    pub fn key(&self) -> String {
        let mut k = self.surname.to_string();
        if let Some(i) = self.first_initial {
            k.push(' ');
            k.push(i);
            if let Some(p) = self.patronymic_initial {
                k.push(' ');
                k.push(p);
            }
        }
        k
    }

    /// The blocking key: surname and first initial only (`иванов и`), so that a contact written without the
    /// patronymic still meets the one written with it.
    pub fn block_key(&self) -> String {
        match self.first_initial {
            Some(i) => format!("{} {i}", self.surname),
            None => self.surname.to_string(),
        }
    }

    /// How the person is shown: `Иванов И.И.`.
    pub fn display(&self) -> String {
        let mut s = capitalize(&self.surname);
        if let Some(i) = self.first_initial {
            s.push(' ');
            s.extend(i.to_uppercase());
            s.push('.');
            if let Some(p) = self.patronymic_initial {
                s.extend(p.to_uppercase());
                s.push('.');
            }
        }
        s
    }

    /// True when the two records can be the same person: same surname, and initials that do not contradict.
    pub fn compatible(&self, other: &Person) -> bool {
        self.surname == other.surname
            && opt_eq(self.first_initial, other.first_initial)
            && opt_eq(self.patronymic_initial, other.patronymic_initial)
            && match (&self.first, &other.first) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

fn opt_eq<T: PartialEq>(a: Option<T>, b: Option<T>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

/// Upper-cases the first letter of each hyphen-separated part.
pub fn capitalize(s: &str) -> String {
    s.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn is_patronymic(w: &str) -> bool {
    if w.ends_with(" оглы") || w.ends_with(" кызы") || w.ends_with(" улы") || w.ends_with(" гызы") {
        return true;
    }
    w.chars().count() >= 5
        && (["ович", "евич", "овна", "евна", "ична", "инична", "ьич"].iter().any(|s| w.ends_with(s))
            || matches!(w, "лукич" | "фомич" | "саввич" | "никитич"))
}

#[derive(Debug)]
struct Word {
    text: String,
    initial: bool,
    lower_case_typed: bool,
}

fn words(s: &str, dict: &Dictionaries) -> Vec<Word> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if crate::normalize::text::is_alpha(c) {
            let start = i;
            while i < chars.len()
                && (crate::normalize::text::is_alpha(chars[i])
                    || (chars[i] == '-' && i + 1 < chars.len() && crate::normalize::text::is_alpha(chars[i + 1])))
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let len = i - start;
            let lower_case_typed = chars[start].is_lowercase();
            // Latin look-alike letters inside a Cyrillic name ("Кoзлов") are folded like in company names.
            let text = if text.chars().any(|c| c.is_ascii_alphabetic()) && !text.is_ascii() {
                crate::normalize::text::fold(&text, dict).replace(' ', "-")
            } else {
                simple_lower(&text)
            };
            out.push(Word { text, initial: len == 1, lower_case_typed });
        } else {
            i += 1;
        }
    }
    out
}

/// The people of a contact value that names several with commas (`Сорокин П.А., Иванова М.С.`, `Сорокин П.А.,
/// директор, Иванова М.С., бухгалтер`): each part that is a person with a first name or an initial starts one,
/// other parts (a title, a phone) stay with the person before them. One element when the value names one person
/// (`Иванов Иван Иванович, директор`).
pub fn split_people(value: &str, dict: &Dictionaries) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        // Only a part that begins with a capital and not with a title may start a person (most values are one
        // person and a title: parsing every part would triple the cost of reading contacts).
        let starts_one = out.is_empty()
            || (part.chars().next().is_some_and(char::is_uppercase)
                && !part
                    .split_whitespace()
                    .next()
                    .is_some_and(|w| dict.positions.contains(w.to_lowercase().trim_end_matches('.')))
                && parse_person(part, dict).is_some_and(|p| p.first_initial.is_some()));
        match out.last_mut() {
            Some(last) if !starts_one => {
                last.push_str(", ");
                last.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

/// Parses a person from a contact value (or from the name of an ИП). `None` when no surname can be found.
pub fn parse_person(value: &str, dict: &Dictionaries) -> Option<Person> {
    let text = nfkc(value);
    // Drop emails, phones and anything in them.
    let cleaned: String = text
        .split_whitespace()
        .filter(|w| !w.contains('@') && w.chars().filter(char::is_ascii_digit).count() < 3)
        .collect::<Vec<_>>()
        .join(" ");
    let all = words(&cleaned, dict);
    let third_party = all.iter().any(|w| dict.third_party.contains(&w.text));
    let mut name_words: Vec<&Word> = Vec::new();
    let mut position_words: Vec<&str> = Vec::new();
    let mut in_position = false;
    for w in &all {
        let is_pos = dict.positions.contains(&w.text);
        let known_name = dict.first_names.contains_key(&w.text) || is_patronymic(&w.text) || w.initial;
        if is_pos {
            in_position = true;
            position_words.push(&w.text);
        } else if in_position && w.lower_case_typed && !known_name {
            // "директор по маркетингу": lower-case words after a title belong to it.
            position_words.push(&w.text);
        } else {
            in_position = false;
            name_words.push(w);
        }
    }
    // Turkic patronymics: "Мамедов Рашид Гейдар оглы".
    let mut merged: Vec<(String, bool)> = Vec::new();
    for w in name_words {
        if (w.text == "оглы" || w.text == "кызы" || w.text == "улы" || w.text == "гызы") && !merged.is_empty()
        {
            if let Some(last) = merged.last_mut() {
                last.0 = format!("{} {}", last.0, w.text);
                last.1 = false;
            }
            continue;
        }
        merged.push((w.text.clone(), w.initial));
    }

    let initials: Vec<char> = merged.iter().filter(|(_, i)| *i).filter_map(|(w, _)| w.chars().next()).collect();
    let full: Vec<&String> = merged.iter().filter(|(_, i)| !*i).map(|(w, _)| w).collect();
    let known = |w: &str| dict.first_names.contains_key(w);
    let expand = |w: &str| dict.first_names.get(w).map(|n| n.full.clone()).unwrap_or_else(|| w.to_string());
    let (surname, first, patronymic): (Option<String>, Option<String>, Option<String>) = match full.len() {
        0 => (None, None, None),
        1 => {
            let w = full[0];
            if (known(w) && initials.is_empty()) || is_patronymic(w) {
                // A first name or a patronymic alone: no surname.
                (None, None, None)
            } else {
                (Some(w.clone()), None, None)
            }
        }
        2 => {
            let (a, b) = (full[0], full[1]);
            if is_patronymic(b) && !is_patronymic(a) {
                // "Иван Иванович": first name and patronymic, no surname.
                (None, None, None)
            } else if known(b) || !known(a) {
                // "Фамилия Имя", the formal order.
                (Some(a.clone()), Some(expand(b)), None)
            } else {
                // "Имя Фамилия".
                (Some(b.clone()), Some(expand(a)), None)
            }
        }
        _ => {
            let (a, b, c) = (full[0], full[1], full[2]);
            if known(a) && is_patronymic(b) && !known(c) {
                // "Имя Отчество Фамилия".
                (Some(c.clone()), Some(expand(a)), Some(b.clone()))
            } else {
                // "Фамилия Имя Отчество".
                (Some(a.clone()), Some(expand(b)), Some(c.clone()))
            }
        }
    };
    let surname = surname?;
    if surname.chars().count() < 2 {
        return None;
    }
    let first_initial = first.as_ref().and_then(|f| f.chars().next()).or_else(|| initials.first().copied());
    let patronymic_initial = patronymic
        .as_ref()
        .and_then(|p| p.chars().next())
        .or_else(|| if first.is_some() { initials.first().copied() } else { initials.get(1).copied() });
    let patronymic_full = patronymic.as_deref().is_some_and(is_patronymic);
    let position = if position_words.is_empty() { None } else { Some(position_words.join(" ")) };
    let common_surname = dict.common_surnames.contains(&surname);
    Some(Person {
        surname: surname.into(),
        first: first.map(Into::into),
        first_initial,
        patronymic_initial,
        patronymic_full,
        position: position.map(Into::into),
        third_party,
        common_surname,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_people_in_one_contact_value_are_split() {
        let d = Dictionaries::embedded();
        let keys = |v: &str| -> Vec<String> {
            split_people(v, d).iter().filter_map(|p| parse_person(p, d)).map(|p| p.key()).collect()
        };
        assert_eq!(keys("Зимарин П.А., Иванова М.С."), ["зимарин п а", "иванова м с"]);
        assert_eq!(keys("Сорокин П.А., директор, Иванова М.С., бухгалтер"), ["сорокин п а", "иванова м с"]);
        assert_eq!(split_people("Иванов Иван Иванович, директор", d), ["Иванов Иван Иванович, директор"]);
        assert_eq!(split_people("Сорокин П.А., +7 916 111-22-33", d), ["Сорокин П.А., +7 916 111-22-33"]);
    }

    #[test]
    fn keys_table() {
        let d = Dictionaries::embedded();
        let cases: &[(&str, &str, Option<&str>)] = &[
            ("Иванов Иван Иванович", "иванов и и", None),
            ("Иванов И.И.", "иванов и и", None),
            ("ИВАНОВ И. И.", "иванов и и", None),
            ("И.И. Иванов", "иванов и и", None),
            ("Иван Иванов", "иванов и", None),
            ("Иванов Иван", "иванов и", None),
            ("Фёдоров Пётр Ильич", "федоров п и", None),
            ("Абрамович Роман Аркадьевич", "абрамович р а", None),
            ("Иван Иванович Петров", "петров и и", None),
            ("Саша Петрова", "петрова а", None),
            ("Иванов Иван Иванович, директор по маркетингу", "иванов и и", Some("директор по маркетингу")),
            ("генеральный директор Смирнова Е.А.", "смирнова е а", Some("генеральный директор")),
            ("Кузнецова Ольга (главбух)", "кузнецова о", Some("главбух")),
            ("Мамедов Рашид Гейдар оглы", "мамедов р г", None),
            ("Петров-Водкин К.С.", "петров-водкин к с", None),
            ("Кoзлов Геннадий Poмaнович", "козлов г р", None),
            ("Сидоров С.С. +7 912 000-00-00 sidorov@mail.ru", "сидоров с с", None),
        ];
        for (input, key, position) in cases {
            let p = parse_person(input, d).unwrap_or_else(|| panic!("no person in {input:?}"));
            assert_eq!(p.key(), *key, "{input:?}");
            assert_eq!(p.position.as_deref(), *position, "position of {input:?}");
        }
    }

    #[test]
    fn third_parties_are_marked() {
        let d = Dictionaries::embedded();
        assert!(parse_person("Смирнова Е.А., бухгалтер", d).unwrap().third_party);
        assert!(parse_person("Руслан Гарипов (рекламное агентство)", d).unwrap().third_party);
        assert!(!parse_person("Иванов И.И., генеральный директор", d).unwrap().third_party);
    }

    #[test]
    fn no_person() {
        let d = Dictionaries::embedded();
        for input in ["", "директор", "Иван Иванович", "+7 912 000 00 00", "-"] {
            assert_eq!(parse_person(input, d), None, "{input:?}");
        }
    }

    #[test]
    fn display_and_compatibility() {
        let d = Dictionaries::embedded();
        let full = parse_person("Иванов Иван Иванович", d).unwrap();
        let short = parse_person("Иван Иванов", d).unwrap();
        let other = parse_person("Иванов Игорь Петрович", d).unwrap();
        assert_eq!(full.display(), "Иванов И.И.");
        assert!(full.compatible(&short));
        assert!(!full.compatible(&other));
        assert_eq!(full.block_key(), short.block_key());
    }
}
