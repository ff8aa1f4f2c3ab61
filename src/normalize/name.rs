//! Company names: folded (see [`text::fold`]), the organisational-legal form recognised at the start or the end
//! in abbreviated or full form, Russian or Latin, and split out; non-distinctive words (группа компаний, ТД ...)
//! marked; each remaining word given its transliteration key; the name of an ИП read as a person.

use serde::Serialize;

use crate::dict::{Dictionaries, FormKind};
use crate::normalize::person::{Person, parse_person};
use crate::normalize::text::{self, nfkc};
use crate::normalize::translit::translit_key;

/// One word of the name proper.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct NameToken {
    /// The folded word (`ромашка`).
    pub text: String,
    /// Its transliteration key (`romaSka`).
    pub key: String,
    /// True for non-distinctive words (группа, торговый дом, плюс ...).
    pub generic: bool,
}

/// A normalised company name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NormName {
    /// Canonical legal form code (`ООО`, `ИП` ...), if written.
    pub legal_form: Option<String>,
    /// What kind of form it is.
    #[serde(skip)]
    pub form_kind: Option<FormKind>,
    /// The words of the name proper, legal form removed.
    pub tokens: Vec<NameToken>,
    /// The name proper as typed (quotes and legal form removed, spacing tidied), for display.
    pub display_core: String,
    /// For an ИП / КФХ, or a name that is a person's full name: the person.
    pub person: Option<Box<Person>>,
}

impl NormName {
    /// The folded name proper: `ромашка медиа`.
    pub fn core(&self) -> String {
        self.tokens.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// The transliteration key of the whole name: `romaSka media`.
    pub fn key(&self) -> String {
        self.tokens.iter().map(|t| t.key.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// The key without spaces, so that `Ромашка-Медиа`, `Ромашка Медиа` and `РомашкаМедиа` are equal.
    pub fn compact(&self) -> String {
        self.tokens.iter().map(|t| t.key.as_str()).collect()
    }

    /// The name root: the first distinctive word of three or more letters (`ромашка` in "Ромашка-Медиа").
    pub fn root(&self) -> Option<&NameToken> {
        self.tokens.iter().find(|t| !t.generic && t.text.chars().count() >= 3)
    }

    /// True when the name has no words left.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The name for display with its legal form restored: `ООО «Ромашка»`, `ИП Иванов Иван Иванович`.
    pub fn display(&self) -> String {
        match (&self.legal_form, self.form_kind) {
            (Some(f), Some(FormKind::Person)) => format!("{f} {}", self.display_core),
            (Some(f), _) if !self.display_core.is_empty() => format!("{f} «{}»", self.display_core),
            (Some(f), _) => f.clone(),
            (None, _) => self.display_core.clone(),
        }
    }
}

fn match_at(tokens: &[String], at: usize, pattern: &[String]) -> bool {
    at + pattern.len() <= tokens.len() && tokens[at..at + pattern.len()] == *pattern
}

/// Normalises a company name.
pub fn normalize_name(raw: &str, dict: &Dictionaries) -> NormName {
    let folded = text::fold_tokens(raw, dict);
    let mut start = 0;
    let mut end = folded.len();
    let mut legal_form: Option<(String, FormKind)> = None;
    // Strip legal forms at the start, then at the end, leaving at least one word.
    'start: while start < end {
        for &i in dict.forms_by_first.get(&folded[start]).map(Vec::as_slice).unwrap_or(&[]) {
            let v = &dict.legal_forms[i];
            if end - start > v.tokens.len() && match_at(&folded[..end], start, &v.tokens) {
                legal_form.get_or_insert((v.code.clone(), v.kind));
                start += v.tokens.len();
                continue 'start;
            }
        }
        break;
    }
    'end: while start < end {
        for &i in dict.forms_by_last.get(&folded[end - 1]).map(Vec::as_slice).unwrap_or(&[]) {
            let v = &dict.legal_forms[i];
            if end - start > v.tokens.len() && match_at(&folded, end - v.tokens.len(), &v.tokens) {
                legal_form.get_or_insert((v.code.clone(), v.kind));
                end -= v.tokens.len();
                continue 'end;
            }
        }
        break;
    }
    if legal_form.is_none() && folded.len() == 1 {
        // The whole name is a legal form ("ООО"): keep it as the form, nothing else.
        if let Some(v) = dict.legal_forms.iter().find(|v| v.tokens == folded) {
            return NormName { legal_form: Some(v.code.clone()), form_kind: Some(v.kind), ..NormName::default() };
        }
    }
    let core = &folded[start..end];
    let mut generic = vec![false; core.len()];
    let mut i = 0;
    while i < core.len() {
        let hit = dict
            .generic_by_first
            .get(&core[i])
            .and_then(|ps| ps.iter().map(|&k| &dict.non_distinctive[k]).find(|ph| match_at(core, i, ph)));
        match hit {
            Some(ph) => {
                generic[i..i + ph.len()].iter_mut().for_each(|g| *g = true);
                i += ph.len();
            }
            None => i += 1,
        }
    }
    let tokens: Vec<NameToken> = core
        .iter()
        .zip(generic)
        .map(|(t, g)| NameToken { key: translit_key(t), text: t.clone(), generic: g })
        .collect();

    // The name proper as typed: the raw words that correspond to the kept tokens.
    let raw_nfkc = nfkc(raw);
    let spans: Vec<(usize, usize)> = word_spans(&raw_nfkc);
    let display_core = if spans.len() == folded.len() && start < end {
        let (a, b) = (spans[start].0, spans[end - 1].1);
        tidy(&raw_nfkc[a..b])
    } else {
        tidy(&raw_nfkc)
    };

    let (form_code, form_kind) = match legal_form {
        Some((c, k)) => (Some(c), Some(k)),
        None => (None, None),
    };
    let person = match form_kind {
        Some(FormKind::Person) => parse_person(&display_core, dict),
        Some(_) => None,
        None => {
            // A name that is a person's name (an ИП written without "ИП"): a full name with a patronymic, or a
            // surname with two initials ("Мартынов А.М.").
            let initials = tokens.iter().filter(|t| t.text.chars().count() == 1).count();
            (tokens.len() == 3).then(|| parse_person(&display_core, dict)).flatten().filter(|p| {
                tokens.len() == 3
                    && ((p.patronymic_full && p.first.is_some()) || (initials == 2 && p.patronymic_initial.is_some()))
            })
        }
    };
    NormName { legal_form: form_code, form_kind, tokens, display_core, person: person.map(Box::new) }
}

fn word_spans(s: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut cur: Option<usize> = None;
    for (i, c) in s.char_indices() {
        if text::is_alnum(c) {
            if cur.is_none() {
                cur = Some(i);
            }
        } else if let Some(st) = cur.take() {
            spans.push((st, i));
        }
    }
    if let Some(st) = cur {
        spans.push((st, s.len()));
    }
    spans
}

/// Removes quotes and surrounding punctuation and collapses spaces.
fn tidy(s: &str) -> String {
    let no_quotes: String = s.chars().map(|c| if "«»„“”\"'`‘’‹›".contains(c) { ' ' } else { c }).collect();
    no_quotes.split_whitespace().collect::<Vec<_>>().join(" ").trim_matches(|c: char| !c.is_alphanumeric()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> NormName {
        normalize_name(s, Dictionaries::embedded())
    }

    #[test]
    fn legal_forms_split_out() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("ООО «Ромашка»", Some("ООО"), "ромашка"),
            ("Общество с ограниченной ответственностью \"Ромашка\"", Some("ООО"), "ромашка"),
            ("Ромашка, ООО", Some("ООО"), "ромашка"),
            ("О.О.О. Ромашка", Some("ООО"), "ромашка"),
            ("OOO Romashka", Some("ООО"), "romashka"),
            ("Romashka LLC", Some("ООО"), "romashka"),
            ("ПАО «Лютик»", Some("ПАО"), "лютик"),
            ("ЗАО Лютик", Some("ЗАО"), "лютик"),
            ("ИП Иванов Иван Иванович", Some("ИП"), "иванов иван иванович"),
            ("Индивидуальный предприниматель Иванов И.И.", Some("ИП"), "иванов и и"),
            ("ИП глава КФХ Петров П.П.", Some("ИП"), "петров п п"),
            ("Ромашка", None, "ромашка"),
            ("ООО", Some("ООО"), ""),
            ("ООО ООО", Some("ООО"), "ооо"),
            ("Romashka GmbH", Some("GmbH"), "romashka"),
            ("АНО Agrokhold", Some("АНО"), "agrokhold"),
        ];
        for (input, form, core) in cases {
            let n = norm(input);
            assert_eq!(n.legal_form.as_deref(), *form, "form of {input:?}");
            assert_eq!(n.core(), *core, "core of {input:?}");
        }
    }

    #[test]
    fn spellings_share_keys() {
        let a = norm("ООО «Ромашка-Медиа»");
        let b = norm("Romashka Media LLC");
        let c = norm("РомашкаМедиа");
        let d = norm("ООО \"Pомашка Mедиа\"");
        assert_eq!(a.key(), b.key());
        assert_eq!(a.compact(), c.compact());
        assert_eq!(a.key(), d.key());
    }

    #[test]
    fn generic_words_marked() {
        let n = norm("ГК Ромашка Торговый Дом");
        let flags: Vec<(String, bool)> = n.tokens.iter().map(|t| (t.text.clone(), t.generic)).collect();
        assert_eq!(
            flags,
            [("гк".into(), true), ("ромашка".into(), false), ("торговый".into(), true), ("дом".into(), true)]
        );
        assert_eq!(n.root().map(|t| t.text.as_str()), Some("ромашка"));
    }

    #[test]
    fn display_restores_form() {
        assert_eq!(norm("ооо   \"Ромашка-Медиа\"").display(), "ООО «Ромашка-Медиа»");
        assert_eq!(norm("Ромашка ООО").display(), "ООО «Ромашка»");
        assert_eq!(norm("ИП Иванов Иван Иванович").display(), "ИП Иванов Иван Иванович");
    }

    #[test]
    fn person_names() {
        let n = norm("ИП Иванов Иван Иванович");
        assert_eq!(n.person.as_ref().map(|p| p.key()), Some("иванов и и".to_string()));
        let m = norm("Петров Петр Петрович");
        assert_eq!(m.person.as_ref().map(|p| p.key()), Some("петров п п".to_string()));
        assert!(norm("ООО Ромашка").person.is_none());
        assert!(norm("Салон Красоты Ирис").person.is_none());
        assert_eq!(norm("МАРТЫНОВ А.М.").person.map(|p| p.key()), Some("мартынов а м".to_string()));
    }
}
