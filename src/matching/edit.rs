//! Edit distance of short strings (name words, compact name keys): the optimal string alignment distance
//! (Levenshtein plus the transposition of two neighbouring letters), the same numbers as
//! `strsim::osa_distance`, without allocating for strings of up to [`STACK_CHARS`] characters, and with an
//! early stop when only "is it at most `max`" matters.
//!
//! The matcher compares millions of word pairs and the look-up a few thousand per question; most pairs are far
//! apart, so stopping as soon as every alignment already costs more than `max` saves most of the work.

/// The longest strings (in characters) compared on the stack; longer ones go through `strsim`.
pub const STACK_CHARS: usize = 64;

/// The optimal string alignment distance between `a` and `b` (as `strsim::osa_distance`).
pub fn osa_distance(a: &str, b: &str) -> usize {
    osa_distance_within(a, b, usize::MAX).unwrap_or(usize::MAX)
}

/// The optimal string alignment distance between `a` and `b` when it is at most `max`, else `None`.
pub fn osa_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    if a == b {
        return Some(0);
    }
    let mut ab = [0u32; STACK_CHARS];
    let mut bb = [0u32; STACK_CHARS];
    let (Some(na), Some(nb)) = (chars_into(a, &mut ab), chars_into(b, &mut bb)) else {
        let d = strsim::osa_distance(a, b);
        return (d <= max).then_some(d);
    };
    osa_chars(&ab[..na], &bb[..nb], max)
}

/// Writes the characters of `s` into `buf`; `None` when there are more than it holds.
fn chars_into(s: &str, buf: &mut [u32; STACK_CHARS]) -> Option<usize> {
    let mut n = 0;
    for c in s.chars() {
        if n == STACK_CHARS {
            return None;
        }
        buf[n] = c as u32;
        n += 1;
    }
    Some(n)
}

/// Whether two different strings are one edit apart: one letter changed, added or dropped, or two neighbouring
/// letters swapped; linear, where the dynamic programme is quadratic.
fn one_edit_apart(a: &[u32], b: &[u32]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let i = short.iter().zip(long).take_while(|(x, y)| x == y).count();
    match long.len() - short.len() {
        0 => {
            // a != b, so i < len.
            short[i + 1..] == long[i + 1..]
                || (i + 1 < short.len()
                    && short[i] == long[i + 1]
                    && short[i + 1] == long[i]
                    && short[i + 2..] == long[i + 2..])
        }
        1 => short[i..] == long[i + 1..],
        _ => false,
    }
}

fn osa_chars(a: &[u32], b: &[u32], max: usize) -> Option<usize> {
    let (na, nb) = (a.len(), b.len());
    // Every alignment costs at least the difference in length.
    if na.abs_diff(nb) > max {
        return None;
    }
    if na == 0 || nb == 0 {
        return Some(na.max(nb));
    }
    if a == b {
        return Some(0);
    }
    if max <= 1 {
        return (max == 1 && one_edit_apart(a, b)).then_some(1);
    }
    // Three rows of the dynamic programme: i - 2, i - 1, i.
    let mut two = [0usize; STACK_CHARS + 1];
    let mut prev = [0usize; STACK_CHARS + 1];
    let mut curr = [0usize; STACK_CHARS + 1];
    for (j, p) in prev.iter_mut().enumerate().take(nb + 1) {
        *p = j;
    }
    two[..=nb].copy_from_slice(&prev[..=nb]);
    // Every cell of row i + 1 is at least the smaller of row i's minimum and row i - 1's minimum plus one (the
    // transposition reaches back two rows), and so is every later row: once both exceed `max`, so does the distance.
    let mut min_prev = 0usize;
    for i in 0..na {
        curr[0] = i + 1;
        let mut row_min = curr[0];
        for j in 0..nb {
            let cost = usize::from(a[i] != b[j]);
            let mut v = (curr[j] + 1).min(prev[j + 1] + 1).min(prev[j] + cost);
            if i > 0 && j > 0 && a[i] != b[j] && a[i] == b[j - 1] && b[j] == a[i - 1] {
                v = v.min(two[j - 1] + 1);
            }
            curr[j + 1] = v;
            row_min = row_min.min(v);
        }
        if row_min > max && min_prev + 1 > max {
            return None;
        }
        min_prev = row_min;
        std::mem::swap(&mut two, &mut prev);
        std::mem::swap(&mut prev, &mut curr);
    }
    let d = prev[nb];
    (d <= max).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn one_edit_apart_in_each_way() {
        for (a, b, want) in [
            ("ромашка", "ромашкa", Some(1)), // one letter changed (Latin a)
            ("ромашка", "рмоашка", Some(1)), // two neighbours swapped
            ("ромашка", "ромашк", Some(1)),  // dropped at the end
            ("ромашка", "омашка", Some(1)),  // dropped at the start
            ("ромашка", "ромашкаа", Some(1)),
            ("ромашка", "рмоашак", None), // two swaps
            ("ромашка", "рошмака", None),
            ("ab", "ba", Some(1)),
            ("abc", "cab", None),
        ] {
            assert_eq!(osa_distance_within(a, b, 1), want, "{a} ~ {b}");
            assert_eq!(osa_distance_within(b, a, 1), want, "{b} ~ {a}");
        }
        assert_eq!(osa_distance_within("ромашка", "ромашкa", 0), None);
    }

    #[test]
    fn known_distances() {
        assert_eq!(osa_distance("", ""), 0);
        assert_eq!(osa_distance("abc", ""), 3);
        assert_eq!(osa_distance("ромашка", "ромашка"), 0);
        assert_eq!(osa_distance("ромашка", "рмоашка"), 1);
        assert_eq!(osa_distance("ca", "abc"), 3);
        assert_eq!(osa_distance("экомонтаж", "экомонатж"), 1);
        assert_eq!(osa_distance_within("kitten", "sitting", 2), None);
        assert_eq!(osa_distance_within("kitten", "sitting", 3), Some(3));
        let long = "а".repeat(STACK_CHARS + 5);
        assert_eq!(osa_distance(&long, "а"), STACK_CHARS + 4);
    }

    proptest! {
        #[test]
        fn the_same_as_strsim(a in "[абвгaebc]{0,12}", b in "[абвгaebc]{0,12}", max in 0usize..6) {
            let d = strsim::osa_distance(&a, &b);
            prop_assert_eq!(osa_distance(&a, &b), d);
            prop_assert_eq!(osa_distance_within(&a, &b, max), (d <= max).then_some(d));
        }
    }
}
