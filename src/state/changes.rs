//! The change report of a stateful run: what happened to firms and cards since the last run.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::state::Previous;
use crate::state::ids::{Assignment, Fate};

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// What happened (`change` in changes.csv).
    pub change: ChangeKind,
    /// The firm concerned (for a merge, the survivor; for a move, where the card went).
    pub firm_id: String,
    /// The other firm(s): merged id, split-off ids, where a card came from.
    pub other_id: String,
    /// The card concerned, for card changes.
    pub card_id: String,
    /// Details and evidence.
    pub detail: String,
}

/// The kinds of change, in the order changes.csv lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A firm id given for the first time.
    FirmCreated,
    /// A firm id not in the last run, taken again by cards back in the export.
    FirmReturned,
    /// An old firm merged into another (`firm_id` the survivor, `other_id` the merged one).
    FirmsMerged,
    /// A firm whose cards partly went to other firms.
    FirmSplit,
    /// A firm all of whose cards left the export.
    FirmRetired,
    /// A card new to the state.
    CardAdded,
    /// A card of the last run missing from the export.
    CardRemoved,
    /// A card now in another firm.
    CardMoved,
}

impl ChangeKind {
    /// The code written in changes.csv.
    pub fn name(self) -> &'static str {
        match self {
            ChangeKind::FirmCreated => "firm_created",
            ChangeKind::FirmReturned => "firm_returned",
            ChangeKind::FirmsMerged => "firms_merged",
            ChangeKind::FirmSplit => "firm_split",
            ChangeKind::FirmRetired => "firm_retired",
            ChangeKind::CardAdded => "card_added",
            ChangeKind::CardRemoved => "card_removed",
            ChangeKind::CardMoved => "card_moved",
        }
    }
}

/// Counts of changes, for the summary.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ChangeCounts {
    /// New firms.
    pub firms_created: u64,
    /// Old firms merged into others.
    pub firms_merged: u64,
    /// Firms that lost cards to other firms.
    pub firms_split: u64,
    /// Firms whose cards all left the export.
    pub firms_retired: u64,
    /// New cards.
    pub cards_added: u64,
    /// Cards gone from the export.
    pub cards_removed: u64,
    /// Cards now in another firm.
    pub cards_moved: u64,
    /// Firms not in the last run whose cards came back: they take their old id again (from the `departed` table).
    pub firms_returned: u64,
}

impl ChangeCounts {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == ChangeCounts::default()
    }
}

/// Computes the changes. `card_ids` in canonical order; `firm_of_card` the new firm id of each card;
/// `merge_evidence(old_id, into_id)` gives the evidence of a merge.
pub fn compute(
    card_ids: &[&str],
    firm_of_card: &[&str],
    prev: &Previous,
    firms: &Assignment,
    merge_evidence: impl Fn(&str, &str) -> String,
) -> (Vec<Change>, ChangeCounts) {
    let mut out: Vec<Change> = Vec::new();
    let mut counts = ChangeCounts::default();
    let fate: FxHashMap<&str, &Fate> = firms.fates.iter().map(|(id, f)| (id.as_str(), f)).collect();
    let present: FxHashSet<&str> = card_ids.iter().copied().collect();
    // Old firm of each current card, and where the cards of each old firm went.
    let mut went: FxHashMap<&str, FxHashMap<&str, u64>> = FxHashMap::default();
    let mut cards_of_new: FxHashMap<&str, Vec<&str>> = FxHashMap::default();
    for (&c, &f) in card_ids.iter().zip(firm_of_card) {
        cards_of_new.entry(f).or_default().push(c);
        match prev.cards.get(c) {
            None => {
                counts.cards_added += 1;
                out.push(Change {
                    change: ChangeKind::CardAdded,
                    firm_id: f.into(),
                    other_id: String::new(),
                    card_id: c.into(),
                    detail: String::new(),
                });
            }
            Some((_, old)) => {
                *went.entry(old.as_str()).or_default().entry(f).or_default() += 1;
                if old != f {
                    counts.cards_moved += 1;
                    let detail = match fate.get(old.as_str()) {
                        Some(Fate::MergedInto(x)) if x == f => format!("firm {old} merged into {f}"),
                        _ => String::new(),
                    };
                    out.push(Change {
                        change: ChangeKind::CardMoved,
                        firm_id: f.into(),
                        other_id: old.clone(),
                        card_id: c.into(),
                        detail,
                    });
                }
            }
        }
    }
    let mut removed: Vec<(&str, &str)> = prev
        .cards
        .iter()
        .filter(|(c, _)| !present.contains(c.as_str()))
        .map(|(c, (_, f))| (c.as_str(), f.as_str()))
        .collect();
    removed.sort();
    for (c, f) in removed {
        counts.cards_removed += 1;
        out.push(Change {
            change: ChangeKind::CardRemoved,
            firm_id: f.into(),
            other_id: String::new(),
            card_id: c.into(),
            detail: String::new(),
        });
    }
    // Firms created: say where their cards come from.
    let mut created: Vec<&str> =
        firms.ids.iter().zip(&firms.is_new).filter(|(_, n)| **n).map(|(id, _)| id.as_str()).collect();
    created.sort();
    for id in created {
        counts.firms_created += 1;
        let cards = cards_of_new.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let mut from: Vec<&str> = cards.iter().filter_map(|c| prev.cards.get(*c).map(|(_, f)| f.as_str())).collect();
        from.sort();
        from.dedup();
        let detail = if from.is_empty() {
            format!("new client, {} card(s)", cards.len())
        } else {
            format!("{} card(s), split from {}", cards.len(), from.join(", "))
        };
        out.push(Change {
            change: ChangeKind::FirmCreated,
            firm_id: id.into(),
            other_id: from.join(" "),
            card_id: String::new(),
            detail,
        });
    }
    // Firms back from an absence: an old id not in the last run, taken again by cards that had it.
    let last_firms: FxHashSet<&str> = prev.cards.values().map(|(_, f)| f.as_str()).collect();
    let mut returned: Vec<&str> = firms
        .ids
        .iter()
        .zip(&firms.is_new)
        .filter(|(id, n)| !**n && !last_firms.contains(id.as_str()))
        .map(|(id, _)| id.as_str())
        .collect();
    returned.sort();
    for id in returned {
        counts.firms_returned += 1;
        let n = cards_of_new.get(id).map_or(0, Vec::len);
        out.push(Change {
            change: ChangeKind::FirmReturned,
            firm_id: id.into(),
            other_id: String::new(),
            card_id: String::new(),
            detail: format!("{n} card(s) back in the export keep the firm id they had"),
        });
    }
    // Splits: an id still in use whose old cards partly went elsewhere.
    let kept: FxHashSet<&str> = firms.ids.iter().map(String::as_str).collect();
    let mut splits: Vec<(&str, Vec<(&str, u64)>)> = went
        .iter()
        .filter(|(old, _)| kept.contains(*old))
        .map(|(old, to)| {
            let mut others: Vec<(&str, u64)> = to.iter().filter(|(f, _)| *f != old).map(|(f, n)| (*f, *n)).collect();
            others.sort();
            (*old, others)
        })
        .filter(|(_, o)| !o.is_empty())
        .collect();
    splits.sort();
    for (old, others) in splits {
        counts.firms_split += 1;
        let detail = others.iter().map(|(f, n)| format!("{n} card(s) to {f}")).collect::<Vec<_>>().join(", ");
        let ids = others.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(" ");
        out.push(Change {
            change: ChangeKind::FirmSplit,
            firm_id: old.into(),
            other_id: ids,
            card_id: String::new(),
            detail,
        });
    }
    for (old, f) in &firms.fates {
        match f {
            Fate::MergedInto(into) => {
                counts.firms_merged += 1;
                out.push(Change {
                    change: ChangeKind::FirmsMerged,
                    firm_id: into.clone(),
                    other_id: old.clone(),
                    card_id: String::new(),
                    detail: merge_evidence(old, into),
                });
            }
            Fate::Retired => {
                counts.firms_retired += 1;
                out.push(Change {
                    change: ChangeKind::FirmRetired,
                    firm_id: old.clone(),
                    other_id: String::new(),
                    card_id: String::new(),
                    detail: "all its cards left the export".into(),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.change
            .cmp(&b.change)
            .then_with(|| crate::pipeline::id_order(&a.firm_id, &b.firm_id))
            .then_with(|| crate::pipeline::id_order(&a.card_id, &b.card_id))
            .then_with(|| a.other_id.cmp(&b.other_id))
    });
    (out, counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prev(cards: &[(&str, &str)]) -> Previous {
        Previous {
            cards: cards.iter().map(|(c, f)| (c.to_string(), (format!("E{}", &f[1..]), f.to_string()))).collect(),
            ..Previous::default()
        }
    }

    #[test]
    fn merges_splits_additions_and_removals_are_reported_in_order() {
        // Before: F000001 {c1, c2}, F000002 {c3}, F000003 {c4, c5}, F000004 {c6}.
        let before = prev(&[
            ("c1", "F000001"),
            ("c2", "F000001"),
            ("c3", "F000002"),
            ("c4", "F000003"),
            ("c5", "F000003"),
            ("c6", "F000004"),
        ]);
        // Now: F000002 merged into F000001; c5 split off into a new F000005; c6 gone (F000004 retired); c7 new.
        let cards = ["c1", "c2", "c3", "c4", "c5", "c7"];
        let firm = ["F000001", "F000001", "F000001", "F000003", "F000005", "F000006"];
        let firms = Assignment {
            ids: vec!["F000001".into(), "F000003".into(), "F000005".into(), "F000006".into()],
            is_new: vec![false, false, true, true],
            fates: vec![("F000002".into(), Fate::MergedInto("F000001".into())), ("F000004".into(), Fate::Retired)],
            next: 7,
        };
        let (changes, counts) = compute(&cards, &firm, &before, &firms, |old, into| format!("{old}->{into}"));
        let got: Vec<(&str, &str, &str, &str)> = changes
            .iter()
            .map(|c| (c.change.name(), c.firm_id.as_str(), c.other_id.as_str(), c.card_id.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("firm_created", "F000005", "F000003", ""),
                ("firm_created", "F000006", "", ""),
                ("firms_merged", "F000001", "F000002", ""),
                ("firm_split", "F000003", "F000005", ""),
                ("firm_retired", "F000004", "", ""),
                ("card_added", "F000006", "", "c7"),
                ("card_removed", "F000004", "", "c6"),
                ("card_moved", "F000001", "F000002", "c3"),
                ("card_moved", "F000005", "F000003", "c5"),
            ]
        );
        let merged = changes.iter().find(|c| c.change == ChangeKind::FirmsMerged).unwrap();
        assert_eq!(merged.detail, "F000002->F000001");
        let moved = changes.iter().find(|c| c.card_id == "c3").unwrap();
        assert_eq!(moved.detail, "firm F000002 merged into F000001");
        assert_eq!((counts.firms_created, counts.firms_merged, counts.firms_split, counts.firms_retired), (2, 1, 1, 1));
        assert_eq!((counts.cards_added, counts.cards_removed, counts.cards_moved), (1, 1, 2));
    }

    #[test]
    fn an_unchanged_run_reports_nothing() {
        let before = prev(&[("c1", "F000001"), ("c2", "F000002")]);
        let firms = Assignment {
            ids: vec!["F000001".into(), "F000002".into()],
            is_new: vec![false, false],
            fates: vec![],
            next: 3,
        };
        let (changes, counts) = compute(&["c1", "c2"], &["F000001", "F000002"], &before, &firms, |_, _| String::new());
        assert!(changes.is_empty(), "{changes:?}");
        assert_eq!(counts, ChangeCounts::default());
    }
}
