//! Text from the data made safe to show: a CRM name or login may carry terminal escape sequences (ESC `[2J`
//! clears a manager's screen and can paint a fake verdict) or bidirectional overrides (U+202E shows "Иванов"
//! after "kozlov" reversed). Everything printed to a terminal and every CSV cell passes through here; JSON needs
//! nothing (serde_json escapes control characters, and a bidi character in a JSON string is inert data).

use std::borrow::Cow;

/// True for characters that change how a terminal or a text renderer shows what follows: C0 and C1 controls,
/// DEL, and the Unicode bidirectional formatting characters (embeddings, overrides, isolates, marks).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() // C0 (U+0000–U+001F), DEL (U+007F), C1 (U+0080–U+009F)
        || matches!(
            c,
            '\u{200E}' | '\u{200F}' | '\u{061C}' // marks
                | '\u{202A}'..='\u{202E}' // embeddings and overrides
                | '\u{2066}'..='\u{2069}' // isolates
        )
}

/// A fast filter on the UTF-8 bytes: true exactly when an unsafe character is in `s`, read from the bytes of its
/// encoding without decoding the rest (a C0 control or DEL is one byte; C1 is `C2 80`–`C2 9F`; U+061C is `D8 9C`;
/// the bidi marks, embeddings, overrides and isolates are `E2 80 8E`–`8F`, `E2 80 AA`–`AE`, `E2 81 A6`–`A9`). The
/// quotes `«»` (`C2 AB`, `C2 BB`) and the dashes (`E2 80 93`) of nearly every name pass.
fn may_be_unsafe(s: &str) -> bool {
    let b = s.as_bytes();
    // First a test of every byte that vectorises (no early exit within a block): most cells have none of these.
    let suspect = |x: u8| x < 0x20 || x == 0x7f || x == 0xc2 || x == 0xd8 || x == 0xe2;
    if !b.chunks(32).any(|block| block.iter().fold(false, |any, &x| any | suspect(x))) {
        return false;
    }
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    b.iter().enumerate().any(|(i, &x)| match x {
        0..=0x1f | 0x7f => true,
        0xc2 => at(i + 1) <= 0x9f,
        0xd8 => at(i + 1) == 0x9c,
        0xe2 => matches!((at(i + 1), at(i + 2)), (0x80, 0x8e | 0x8f | 0xaa..=0xae) | (0x81, 0xa6..=0xa9)),
        _ => false,
    })
}

fn escape(c: char, out: &mut String) {
    use std::fmt::Write;
    if (c as u32) < 0x80 {
        let _ = write!(out, "\\x{:02X}", c as u32);
    } else {
        let _ = write!(out, "\\u{{{:X}}}", c as u32);
    }
}

/// One line of text for a terminal: every unsafe character (newlines and tabs included) shown as a visible
/// escape (`\x1B`, `\u{202E}`), so data can neither move the cursor nor reorder what is printed.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !may_be_unsafe(s) || !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) { escape(c, &mut out) } else { out.push(c) }
    }
    Cow::Owned(out)
}

/// A message of several lines for a terminal (an error with its causes): line breaks kept, every other unsafe
/// character escaped as in [`terminal`].
pub fn terminal_lines(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c != '\n' && is_unsafe(c) { escape(c, &mut out) } else { out.push(c) }
    }
    Cow::Owned(out)
}

/// A CSV cell: line breaks and tabs are kept (CSV quoting carries them), every other unsafe character escaped
/// as in [`terminal`], so `cat firms.csv` or a spreadsheet shows the data as it is.
pub fn csv_cell(s: &str) -> Cow<'_, str> {
    let keep = |c: char| matches!(c, '\n' | '\r' | '\t');
    if !may_be_unsafe(s) || !s.chars().any(|c| !keep(c) && is_unsafe(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !keep(c) && is_unsafe(c) { escape(c, &mut out) } else { out.push(c) }
    }
    Cow::Owned(out)
}

/// Serialised JSON with the bidi formatting characters written as `\uXXXX` escapes (serde_json already escapes
/// control characters): the same JSON value, but a log or a terminal showing the raw text is not reordered.
pub fn json_text(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| is_unsafe(c) && !c.is_control()) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if is_unsafe(c) && !c.is_control() {
            use std::fmt::Write;
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_table() {
        let cases = [
            ("ООО Ромашка", "ООО Ромашка"),
            ("\u{1b}[2J\u{1b}[31mFAKE\u{1b}[0m", "\\x1B[2J\\x1B[31mFAKE\\x1B[0m"),
            ("\u{202e}kozlov", "\\u{202E}kozlov"),
            ("a\nb\tc", "a\\x0Ab\\x09c"),
            ("\u{9b}31m", "\\u{9B}31m"),
            ("\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(terminal(input), want, "{input:?}");
        }
    }

    #[test]
    fn lines_keep_breaks_and_csv_keeps_tabs() {
        assert_eq!(terminal_lines("error\n  caused by: \u{1b}[2J"), "error\n  caused by: \\x1B[2J");
        assert_eq!(csv_cell("a\tb\nc\u{1b}d\u{202e}"), "a\tb\nc\\x1Bd\\u{202E}");
    }

    #[test]
    fn json_keeps_the_value_and_escapes_bidi() {
        let v = serde_json::json!({ "owner": "\u{202e}kozlov", "name": "\u{1b}[2J" });
        let text = serde_json::to_string(&v).unwrap();
        let safe = json_text(&text);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        assert!(safe.contains("\\u202e") && safe.contains("\\u001b"), "{safe}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&safe).unwrap(), v);
    }

    #[test]
    fn nothing_unsafe_survives() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!terminal(&all).chars().any(is_unsafe));
        assert!(!terminal_lines(&all).chars().any(|c| c != '\n' && is_unsafe(c)));
        // The byte filter lets nothing unsafe through, and stops nothing safe.
        for c in (0u32..0x11_0000).filter_map(char::from_u32) {
            let text = format!("«a{c}»");
            assert_eq!(may_be_unsafe(&text), is_unsafe(c), "{c:?}");
        }
    }
}
