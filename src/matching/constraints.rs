//! The administrator's decisions as the matcher follows them: link or split two groups of cards at a level
//! (`override link|split`), and the veto that keeps split sides apart whatever the chain of links.

use serde::Serialize;

use crate::matching::cluster::Veto;
use crate::matching::score::Level;

/// An administrator's decision that the matcher must follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// Link (join) or split (keep apart).
    pub kind: ConstraintKind,
    /// Entity or firm level.
    pub level: Level,
    /// Card indices on one side.
    pub a: Vec<u32>,
    /// Card indices on the other side.
    pub b: Vec<u32>,
}

/// Join or keep apart: an administrator's decision (`override link|split`). Written `link` / `split` in the
/// state, in `override list --json` and in the decisions CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    /// Must be together.
    Link,
    /// Must be apart, whatever the chain of links.
    Split,
}

impl ConstraintKind {
    /// The action's name in machine formats: `link` or `split`.
    pub fn name(self) -> &'static str {
        match self {
            ConstraintKind::Link => "link",
            ConstraintKind::Split => "split",
        }
    }
}

impl std::fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ConstraintKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "link" => Ok(ConstraintKind::Link),
            "split" => Ok(ConstraintKind::Split),
            _ => Err(format!("action must be link or split, not {s:?}")),
        }
    }
}

/// Split tags: which sides of which split decisions a group holds.
pub(super) struct SplitVeto<'a> {
    pub(super) tags: Vec<Vec<(u32, bool)>>,
    pub(super) inn: Option<Vec<Option<&'a str>>>,
    pub(super) vetoed_inn: u64,
    pub(super) vetoed_split: u64,
}

impl Veto for SplitVeto<'_> {
    fn forbids(&mut self, ra: u32, rb: u32) -> bool {
        if let Some(inn) = &self.inn
            && let (Some(x), Some(y)) = (inn[ra as usize], inn[rb as usize])
            && x != y
        {
            self.vetoed_inn += 1;
            return true;
        }
        let (ta, tb) = (&self.tags[ra as usize], &self.tags[rb as usize]);
        if ta.iter().any(|(k, side)| tb.iter().any(|(k2, s2)| k == k2 && side != s2)) {
            self.vetoed_split += 1;
            return true;
        }
        false
    }

    fn joined(&mut self, into: u32, from: u32) {
        let moved = std::mem::take(&mut self.tags[from as usize]);
        for t in moved {
            if !self.tags[into as usize].contains(&t) {
                self.tags[into as usize].push(t);
            }
        }
        if let Some(inn) = &mut self.inn
            && inn[into as usize].is_none()
        {
            inn[into as usize] = inn[from as usize];
        }
    }
}

pub(super) fn split_tags(n: usize, member_of_card: &[u32], constraints: &[&Constraint]) -> Vec<Vec<(u32, bool)>> {
    let mut tags: Vec<Vec<(u32, bool)>> = vec![Vec::new(); n];
    for (k, c) in constraints.iter().enumerate() {
        for (cards, side) in [(&c.a, false), (&c.b, true)] {
            for &card in cards {
                let m = member_of_card[card as usize] as usize;
                if !tags[m].contains(&(k as u32, side)) {
                    tags[m].push((k as u32, side));
                }
            }
        }
    }
    tags
}

pub(super) fn must_pairs(member_of_card: &[u32], constraints: &[&Constraint]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for c in constraints {
        let all: Vec<u32> = c.a.iter().chain(&c.b).map(|&card| member_of_card[card as usize]).collect();
        for w in all.windows(2) {
            out.push((w[0], w[1]));
        }
    }
    out
}
