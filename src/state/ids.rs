//! Stable ids: which new group takes over which old id.
//!
//! Every new group takes over the old id it shares the most cards with. All (group, old id, shared cards)
//! candidates are taken greedily, most shared cards first; ties go to the old id that had more cards, then to
//! the older id (smaller number), then to the group whose first card comes first. So:
//!
//! * two old groups merged: the survivor keeps the id of the one contributing more cards (ties: the older id);
//!   the other id is recorded as merged into it;
//! * an old group split: the largest part keeps the id; the others get new ids (or another old id they share
//!   more with);
//! * a new group with no old card gets a new id; ids are never reused;
//! * an old id whose cards all left the export is retired.

use std::cmp::Reverse;

use rustc_hash::FxHashMap;

/// What became of an old id that no group took over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// Its cards went (mostly) into the group now called `into`.
    MergedInto(String),
    /// None of its cards is in the export any more.
    Retired,
}

/// The result of assigning ids to groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The id of each new group.
    pub ids: Vec<String>,
    /// For each new group, true when its id is new.
    pub is_new: Vec<bool>,
    /// Old ids not taken over, and what became of them (sorted by id).
    pub fates: Vec<(String, Fate)>,
    /// The next free number after assignment.
    pub next: u64,
}

/// The number in an id like `F000123`.
pub fn id_number(id: &str) -> u64 {
    id.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().unwrap_or(u64::MAX)
}

/// Formats an id: prefix and a six-digit (or longer) number.
pub fn format_id(prefix: char, n: u64) -> String {
    format!("{prefix}{n:06}")
}

/// Assigns ids to `n_groups` new groups.
///
/// `group_of_card[i]` is the new group of card `i`; `old_of_card[i]` its old id, if the card was in the state;
/// `old_sizes` the number of cards each old id had; `next` the next unused number.
pub fn assign(
    prefix: char,
    n_groups: usize,
    group_of_card: &[u32],
    old_of_card: &[Option<&str>],
    old_sizes: &FxHashMap<String, u64>,
    mut next: u64,
) -> Assignment {
    // Shared cards per (group, old id).
    let mut shared: FxHashMap<(u32, &str), u64> = FxHashMap::default();
    let mut first_card: Vec<usize> = vec![usize::MAX; n_groups];
    for (i, (&g, old)) in group_of_card.iter().zip(old_of_card).enumerate() {
        first_card[g as usize] = first_card[g as usize].min(i);
        if let Some(o) = old {
            *shared.entry((g, o)).or_default() += 1;
        }
    }
    // Most shared cards first, then the bigger old id, then the older one, then the group with the earlier card;
    // the key is made once per candidate (a million look-ups, not one per comparison).
    let mut keyed: Vec<(Reverse<u64>, Reverse<u64>, u64, &str, usize, u32)> = shared
        .into_iter()
        .map(|((g, o), n)| {
            let size = old_sizes.get(o).copied().unwrap_or(0);
            (Reverse(n), Reverse(size), id_number(o), o, first_card[g as usize], g)
        })
        .collect();
    // Each (group, old id) once and each group's first card its own: no two keys are equal.
    keyed.sort_unstable();
    let cands: Vec<(u32, &str, u64)> = keyed.into_iter().map(|(n, _, _, o, _, g)| (g, o, n.0)).collect();
    let mut ids: Vec<Option<String>> = vec![None; n_groups];
    let mut taken: FxHashMap<&str, u32> = FxHashMap::default();
    for &(g, o, _) in &cands {
        if ids[g as usize].is_none() && !taken.contains_key(o) {
            ids[g as usize] = Some(o.to_string());
            taken.insert(o, g);
        }
    }
    // New ids, in order of each group's first card.
    let mut order: Vec<usize> = (0..n_groups).collect();
    order.sort_by_key(|&g| first_card[g]);
    let mut is_new = vec![false; n_groups];
    for g in order {
        if ids[g].is_none() {
            ids[g] = Some(format_id(prefix, next));
            is_new[g] = true;
            next += 1;
        }
    }
    let ids: Vec<String> = ids.into_iter().map(|x| x.unwrap_or_default()).collect();
    // Fates of the old ids nobody took: merged into the group holding most of their cards, or retired.
    let mut best: FxHashMap<&str, (u64, u32)> = FxHashMap::default();
    for &(g, o, n) in &cands {
        if !taken.contains_key(o) {
            best.entry(o).or_insert((n, g));
        }
    }
    let mut fates: Vec<(String, Fate)> = old_sizes
        .keys()
        .filter(|o| !taken.contains_key(o.as_str()))
        .map(|o| match best.get(o.as_str()) {
            Some(&(_, g)) => (o.clone(), Fate::MergedInto(ids[g as usize].clone())),
            None => (o.clone(), Fate::Retired),
        })
        .collect();
    fates.sort_by(|a, b| id_number(&a.0).cmp(&id_number(&b.0)).then_with(|| a.0.cmp(&b.0)));
    Assignment { ids, is_new, fates, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(v: &[(&str, u64)]) -> FxHashMap<String, u64> {
        v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    #[test]
    fn unchanged_groups_keep_their_ids() {
        let groups = [0, 0, 1];
        let old = [Some("F000007"), Some("F000007"), Some("F000003")];
        let a = assign('F', 2, &groups, &old, &sizes(&[("F000007", 2), ("F000003", 1)]), 10);
        assert_eq!(a.ids, ["F000007", "F000003"]);
        assert!(a.fates.is_empty());
        assert_eq!(a.next, 10);
    }

    #[test]
    fn merge_keeps_the_bigger_then_older_id() {
        // Old F1 (2 cards) and F2 (3 cards) merge: F2 survives, F1 is merged into it.
        let old = [Some("F000001"), Some("F000001"), Some("F000002"), Some("F000002"), Some("F000002")];
        let a = assign('F', 1, &[0; 5], &old, &sizes(&[("F000001", 2), ("F000002", 3)]), 3);
        assert_eq!(a.ids, ["F000002"]);
        assert_eq!(a.fates, [("F000001".to_string(), Fate::MergedInto("F000002".into()))]);
        // Equal sizes: the older id survives.
        let old = [Some("F000005"), Some("F000004")];
        let a = assign('F', 1, &[0, 0], &old, &sizes(&[("F000005", 1), ("F000004", 1)]), 6);
        assert_eq!(a.ids, ["F000004"]);
    }

    #[test]
    fn split_gives_the_largest_part_the_id_and_new_ids_to_the_rest() {
        let old = [Some("F000001"); 5];
        let groups = [1, 0, 1, 1, 0];
        let a = assign('F', 2, &groups, &old, &sizes(&[("F000001", 5)]), 9);
        assert_eq!(a.ids, ["F000009", "F000001"]);
        assert_eq!(a.is_new, [true, false]);
        assert_eq!(a.next, 10);
    }

    #[test]
    fn retired_ids_and_new_cards() {
        let a = assign('F', 1, &[0], &[None], &sizes(&[("F000001", 2)]), 2);
        assert_eq!(a.ids, ["F000002"]);
        assert_eq!(a.fates, [("F000001".to_string(), Fate::Retired)]);
    }
}
