//! The change report of a stateful run: what happened to firms and cards since the last run.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::state::Previous;
use crate::state::ids::{Assignment, Fate};

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `firm_created`, `firm_returned`, `firms_merged`, `firm_split`, `firm_retired`, `card_added`, `card_removed`, `card_moved`.
    pub change: &'static str,
    /// The firm concerned (for a merge, the survivor; for a move, where the card went).
    pub firm_id: String,
    /// The other firm(s): merged id, split-off ids, where a card came from.
    pub other_id: String,
    /// The card concerned, for card changes.
    pub card_id: String,
    /// Details and evidence.
    pub detail: String,
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
                    change: "card_added",
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
                        change: "card_moved",
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
            change: "card_removed",
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
            change: "firm_created",
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
            change: "firm_returned",
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
        out.push(Change { change: "firm_split", firm_id: old.into(), other_id: ids, card_id: String::new(), detail });
    }
    for (old, f) in &firms.fates {
        match f {
            Fate::MergedInto(into) => {
                counts.firms_merged += 1;
                out.push(Change {
                    change: "firms_merged",
                    firm_id: into.clone(),
                    other_id: old.clone(),
                    card_id: String::new(),
                    detail: merge_evidence(old, into),
                });
            }
            Fate::Retired => {
                counts.firms_retired += 1;
                out.push(Change {
                    change: "firm_retired",
                    firm_id: old.clone(),
                    other_id: String::new(),
                    card_id: String::new(),
                    detail: "all its cards left the export".into(),
                });
            }
        }
    }
    let rank = |c: &str| {
        [
            "firm_created",
            "firm_returned",
            "firms_merged",
            "firm_split",
            "firm_retired",
            "card_added",
            "card_removed",
            "card_moved",
        ]
        .iter()
        .position(|x| *x == c)
        .unwrap_or(9)
    };
    out.sort_by(|a, b| {
        rank(a.change)
            .cmp(&rank(b.change))
            .then_with(|| crate::pipeline::id_order(&a.firm_id, &b.firm_id))
            .then_with(|| crate::pipeline::id_order(&a.card_id, &b.card_id))
            .then_with(|| a.other_id.cmp(&b.other_id))
    });
    (out, counts)
}
