//! The transliteration key: one spelling that the common ways of writing a Russian word in Latin letters all
//! reduce to, so that "Romashka", "Romaschka" and "Ромашка" compare equal.
//!
//! Cyrillic is first written in Latin (ICAO-like), then every Latin spelling is reduced by the same rules:
//! щ as shch/sch/shh and ш as sh → `S`; ч as ch/tch → `C`; ж as zh → `Z`; х as kh/h/x → `H`; ц as ts/tz/cz/c → `c`;
//! я as ya/ja/ia → `ia`; ю as yu/ju/iu → `iu`; ё/е/э as yo/jo/ye/je/e → `e`; y/j → `i`; w → `v`; ph → `f`; q → `k`;
//! ck → `k`; doubled letters (not digits) collapse; anything but letters and digits is dropped. Sources: ICAO Doc 9303,
//! GOST 7.79-2000 system B and informal usage (../shared/DOMAIN.md "Scripts and transliteration").

fn cyr_to_latin(c: char, out: &mut String) -> bool {
    let s = match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' | 'ґ' => "g",
        'д' => "d",
        'е' | 'ё' | 'э' | 'є' => "e",
        'ж' => "zh",
        'з' => "z",
        'и' | 'й' | 'і' | 'ї' => "i",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'ю' => "iu",
        'я' => "ia",
        _ => return false,
    };
    out.push_str(s);
    true
}

/// Reduction rules, tried longest first at each position.
const RULES: &[(&str, &str)] = &[
    ("shch", "S"),
    ("sch", "S"),
    ("shh", "S"),
    ("tch", "C"),
    ("sh", "S"),
    ("ch", "C"),
    ("zh", "Z"),
    ("kh", "H"),
    ("ts", "c"),
    ("tz", "c"),
    ("cz", "c"),
    ("ck", "k"),
    ("ph", "f"),
    ("yu", "iu"),
    ("ju", "iu"),
    ("ya", "ia"),
    ("ja", "ia"),
    ("yo", "e"),
    ("jo", "e"),
    ("ye", "e"),
    ("je", "e"),
    ("x", "H"),
    ("h", "H"),
    ("y", "i"),
    ("j", "i"),
    ("w", "v"),
    ("q", "k"),
];

/// The transliteration key of one folded (lower-case) word. See the module documentation for the rules.
pub fn translit_key(word: &str) -> String {
    let mut latin = String::with_capacity(word.len() * 2);
    for c in word.chars() {
        if !cyr_to_latin(c, &mut latin) {
            if c.is_ascii_alphanumeric() {
                latin.push(c.to_ascii_lowercase());
            } else if c.is_alphanumeric() {
                // Other scripts pass through unchanged.
                latin.extend(c.to_lowercase());
            }
        }
    }
    let bytes = latin.as_bytes();
    let mut reduced = String::with_capacity(latin.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        if bytes[i].is_ascii() {
            // Only rules starting with this letter can apply.
            if matches!(bytes[i], b's' | b't' | b'c' | b'z' | b'k' | b'p' | b'y' | b'j' | b'x' | b'h' | b'w' | b'q') {
                for (from, to) in RULES {
                    if from.as_bytes()[0] == bytes[i] && latin[i..].starts_with(from) {
                        reduced.push_str(to);
                        i += from.len();
                        continue 'outer;
                    }
                }
            }
            reduced.push(bytes[i] as char);
            i += 1;
        } else {
            // Multi-byte characters of other scripts: copy the whole character.
            let ch = latin[i..].chars().next().unwrap_or(' ');
            reduced.push(ch);
            i += ch.len_utf8();
        }
    }
    // Collapse doubled letters (the schemes differ in "ii"/"iy", and typists double consonants).
    let mut out = String::with_capacity(reduced.len());
    let mut prev = None;
    for c in reduced.chars() {
        if Some(c) != prev || c.is_ascii_digit() {
            out.push(c);
        }
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_share_a_key() {
        let groups: &[&[&str]] = &[
            &["ромашка", "romashka", "romaschka", "romashcka"],
            &["медиа", "media"],
            &["химпром", "khimprom", "himprom", "ximprom"],
            &["цветмет", "tsvetmet", "cvetmet", "czvetmet", "tzvetmet"],
            &["юлия", "iuliia", "yuliya", "julia", "yulia"],
            &["щука", "shchuka", "schuka", "shhuka"],
            &["евгений", "evgenii", "yevgeniy", "evgeniy"],
            &["жемчуг", "zhemchug", "zhemtchug"],
            &["федор", "фёдор", "fedor", "fyodor"],
            &["мария", "mariia", "mariya", "maria"],
            &["объект", "obekt", "obyekt"],
            &["агентство", "agentstvo"],
            &["лаваш", "lavash", "lawash"],
        ];
        for group in groups {
            let want = translit_key(group[0]);
            for w in group.iter() {
                assert_eq!(translit_key(w), want, "{w} vs {}", group[0]);
            }
        }
    }

    #[test]
    fn different_words_keep_different_keys() {
        assert_ne!(translit_key("ромашка"), translit_key("лютик"));
        assert_ne!(translit_key("вектор"), translit_key("виктор"));
        assert_eq!(translit_key("2000"), "2000");
    }
}
