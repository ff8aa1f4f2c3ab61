//! Text folding shared by every normaliser: Unicode NFKC, Latin/Cyrillic look-alike letters, case, ё→е,
//! quotes and punctuation.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use crate::dict::Dictionaries;

/// Lower case with ё folded to е. No other change.
pub fn simple_lower(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_lower(&mut out, c);
    }
    out
}

/// Pushes `c` in lower case, ё as е: ASCII and the Russian alphabet directly, anything else through Unicode's
/// tables (which the letters of nearly every CRM cell never reach).
#[inline]
fn push_lower(out: &mut String, c: char) {
    match c {
        'A'..='Z' => out.push(c.to_ascii_lowercase()),
        '\0'..='\x7f' | 'а'..='я' => out.push(c),
        // А–Я are 32 code points above а–я.
        'А'..='Я' => out.push(char::from_u32(c as u32 + 0x20).unwrap_or(c)),
        'Ё' | 'ё' => out.push('е'),
        _ => {
            for l in c.to_lowercase() {
                out.push(if l == 'ё' { 'е' } else { l });
            }
        }
    }
}

/// The key a column header is matched by: lower case, ё→е, letters and digits only.
pub fn header_key(s: &str) -> String {
    simple_lower(s).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Characters that NFKC leaves alone and that make up nearly all CRM text: printable ASCII, the Russian
/// alphabet and the usual typographic quotes and dashes.
#[inline]
fn nfkc_stable(c: char) -> bool {
    matches!(c, ' '..='~' | 'А'..='я' | 'Ё' | 'ё' | '«' | '»' | '„' | '“' | '”' | '‘' | '’' | '—' | '–' | '\n' | '\r' | '\t')
}

/// NFKC, with `№` dropped first (NFKC would turn it into `No`). Borrowed when nothing changes.
pub fn nfkc(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().all(nfkc_stable) {
        return std::borrow::Cow::Borrowed(s);
    }
    let has_numero = s.contains('№');
    if !has_numero && is_nfkc_quick(s.chars()) == IsNormalized::Yes {
        return std::borrow::Cow::Borrowed(s);
    }
    let replaced: String = if has_numero { s.replace('№', " ") } else { s.to_string() };
    std::borrow::Cow::Owned(replaced.nfkc().collect())
}

/// `char::is_alphanumeric` with fast paths for ASCII, Russian letters and typographic punctuation.
#[inline]
pub fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    match c {
        'А'..='я' | 'Ё' | 'ё' => true,
        '«' | '»' | '„' | '“' | '”' | '‘' | '’' | '—' | '–' | '№' | '\u{a0}' => false,
        _ => c.is_alphanumeric(),
    }
}

/// `char::is_alphabetic` with the same fast paths.
#[inline]
pub fn is_alpha(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    match c {
        'А'..='я' | 'Ё' | 'ё' => true,
        '«' | '»' | '„' | '“' | '”' | '‘' | '’' | '—' | '–' | '№' | '\u{a0}' => false,
        _ => c.is_alphabetic(),
    }
}

#[inline]
fn is_cyrillic(c: char) -> bool {
    matches!(c, '\u{0400}'..='\u{04FF}')
}

#[inline]
fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Script {
    Cyrillic,
    Latin,
    /// Only letters that exist in both scripts (or no letters at all).
    Ambiguous,
}

/// The upper-case form a letter is classified and mapped by (ё as е), so that folding the output again
/// changes nothing.
#[inline]
pub(crate) fn class_form(c: char) -> char {
    let u = c.to_uppercase().next().unwrap_or(c);
    if u == 'Ё' { 'Е' } else { u }
}

/// Which script a word belongs to: Cyrillic when it holds a letter only Cyrillic has, Latin when it holds a
/// letter only Latin has (both: the more frequent wins, Cyrillic on a tie), otherwise ambiguous. Letters are
/// compared in upper case, ё as е.
fn word_script(word: &str, dict: &Dictionaries) -> (Script, bool) {
    let (mut cyr_only, mut lat_only, mut cyr, mut lat) = (0usize, 0usize, 0usize, 0usize);
    for c in word.chars() {
        if is_cyrillic(c) {
            cyr += 1;
            if !dict.cyr_has_lookalike[c as usize - 0x400] {
                cyr_only += 1;
            }
        } else if is_latin(c) {
            lat += 1;
            if !dict.lat_has_lookalike[c as usize] {
                lat_only += 1;
            }
        }
    }
    let mixed = cyr > 0 && lat > 0;
    let script = if cyr_only > 0 && lat_only > 0 {
        if lat_only > cyr_only { Script::Latin } else { Script::Cyrillic }
    } else if cyr_only > 0 {
        Script::Cyrillic
    } else if lat_only > 0 {
        Script::Latin
    } else {
        Script::Ambiguous
    };
    (script, mixed)
}

fn push_folded(out: &mut String, word: &str, target: Option<Script>, dict: &Dictionaries) {
    for c in word.chars() {
        let c = match target {
            Some(Script::Cyrillic) if is_latin(c) => *dict.lat2cyr.get(&class_form(c)).unwrap_or(&c),
            Some(Script::Latin) if is_cyrillic(c) => *dict.cyr2lat.get(&class_form(c)).unwrap_or(&c),
            _ => c,
        };
        push_lower(out, c);
    }
}

/// Folds text for comparison.
///
/// NFKC; each word typed in mixed scripts is folded to one script (see `dictionaries/homoglyphs.tsv`); a word made
/// only of letters both scripts share takes the script of the other words of the text; lower case; ё→е; every
/// character that is not a letter or digit (quotes of every kind, punctuation, hyphens) becomes a word break;
/// spaces collapsed.
pub fn fold(s: &str, dict: &Dictionaries) -> String {
    fold_tokens(s, dict).join(" ")
}

/// Like [`fold`], returning the words.
pub fn fold_tokens(s: &str, dict: &Dictionaries) -> Vec<String> {
    let s = nfkc(s);
    let words: Vec<&str> = s.split(|c: char| !is_alnum(c)).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let scripts: Vec<(Script, bool)> = words.iter().map(|w| word_script(w, dict)).collect();
    let cyr_words = scripts.iter().filter(|(s, _)| *s == Script::Cyrillic).count();
    let lat_words = scripts.iter().filter(|(s, _)| *s == Script::Latin).count();
    let context = if cyr_words == 0 && lat_words == 0 {
        None
    } else if lat_words > cyr_words {
        Some(Script::Latin)
    } else {
        Some(Script::Cyrillic)
    };
    let mut out = Vec::with_capacity(words.len());
    for (w, (script, mixed)) in words.iter().zip(scripts) {
        let target = match script {
            Script::Cyrillic | Script::Latin if mixed => Some(script),
            Script::Ambiguous => context.or(if mixed { Some(Script::Cyrillic) } else { None }),
            _ => None,
        };
        let mut t = String::with_capacity(w.len());
        push_folded(&mut t, w, target, dict);
        out.push(t);
    }
    out
}

/// Splits an address (or an address dictionary entry) into lower-case words: commas, dots, spaces and brackets
/// separate words, `-` and `/` stay inside a word (`пр-т`, `а/я`, `5/1`), ё→е.
pub fn fold_address_words(s: &str) -> Vec<String> {
    let s = nfkc(s);
    let lower = simple_lower(&s);
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in lower.chars() {
        if is_alnum(c) || ((c == '-' || c == '/') && !cur.is_empty()) {
            cur.push(c);
        } else if !cur.is_empty() {
            words.push(std::mem::take(&mut cur).trim_end_matches(['-', '/']).to_string());
        }
    }
    if !cur.is_empty() {
        words.push(cur.trim_end_matches(['-', '/']).to_string());
    }
    words.retain(|w| !w.is_empty());
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_fast_path_agrees_with_unicode_for_every_character_it_shortens() {
        let slow = |c: char| -> String { c.to_lowercase().map(|l| if l == 'ё' { 'е' } else { l }).collect() };
        for c in (0u32..0x500).filter_map(char::from_u32) {
            assert_eq!(simple_lower(&c.to_string()), slow(c), "{c:?}");
        }
        assert_eq!(simple_lower("ЁЛКА-Палка İ ẞ"), "елка-палка i̇ ß");
    }

    #[test]
    fn folding_table() {
        let d = Dictionaries::embedded();
        let cases = [
            ("ООО «Ромашка»", "ооо ромашка"),
            ("  Ёлка-Палка  ", "елка палка"),
            ("ООО \"ABTOMИР\"", "ооо автомир"),
            ("Pомашка", "ромашка"),
            ("Romashkа", "romashka"),
            ("OOO Romashka", "ooo romashka"),
            ("OOO Ромашка", "ооо ромашка"),
            ("ТЕХНО Трейд TEXHO", "техно трейд техно"),
            ("TEXHO", "texho"),
            ("„Лютик“ & Company", "лютик company"),
            ("Лютик Co", "лютик со"),
            ("Аптека №5", "аптека 5"),
            ("ＲＯＭＡ", "roma"),
            ("Й", "й"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input, d), want, "fold({input:?})");
        }
    }

    #[test]
    fn decomposed_letters_are_composed() {
        let d = Dictionaries::embedded();
        // "й" typed as и + combining breve.
        assert_eq!(fold("Чаи\u{0306}ка", d), "чайка");
    }

    #[test]
    fn address_words() {
        assert_eq!(
            fold_address_words("г.Москва, пр-т Мира, д.5/1, оф.3"),
            ["г", "москва", "пр-т", "мира", "д", "5/1", "оф", "3"]
        );
    }

    #[test]
    fn header_keys() {
        assert_eq!(header_key("Рабочий E-mail "), "рабочийemail");
        assert_eq!(header_key("Дата последней  активности"), "датапоследнейактивности");
    }
}
