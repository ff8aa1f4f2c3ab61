//! The grey zone for the administrator's review: pairs of groups whose score came within a margin of a
//! threshold (joined or not), links applied over the chaining guard, and ИНН groups with an outlier card. The
//! matcher records the first two into [`crate::matching::firm::Grouping::grey`]; the rest is derived here from the result.
//! Written to `review.csv` and shown in `report.html`, most doubtful first.

use std::path::Path;

use crate::config::Config;
use crate::csvio::CsvOut;
use crate::matching::evidence::NameUnlike;
use crate::matching::firm::{Evidence, EvidencePart, LinkRecord};
use crate::matching::score::{Level, Scored, edit_similarity};
use crate::pipeline::Dedup;

/// The margin around a threshold, as a share of it: a score within ±15 % of the threshold is doubtful.
pub const MARGIN: f32 = 0.15;

/// Cards whose name is less similar than this to their legal entity's usual name are ИНН outliers.
pub const OUTLIER_NAME_SIM: f32 = 0.5;

/// Why a pair is in the grey zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GreyKind {
    /// Scored within the margin below the threshold (or above it, but refused by another rule): not joined.
    Below,
    /// Joined with a score within the margin above the threshold.
    Above,
    /// A single-signal link between two large groups that the chaining guard held back until a second link
    /// confirmed it.
    OverGuard,
    /// A card in a legal entity (shared ИНН) whose name is unlike the others'.
    InnOutlier,
}

impl GreyKind {
    /// Stable name for CSV and JSON.
    pub fn name(self) -> &'static str {
        match self {
            GreyKind::Below => "below_threshold",
            GreyKind::Above => "above_threshold",
            GreyKind::OverGuard => "over_chain_guard",
            GreyKind::InnOutlier => "inn_outlier",
        }
    }
}

/// A pair recorded by the matcher for the review.
#[derive(Debug, Clone, PartialEq)]
pub struct GreyPair {
    /// What makes it doubtful.
    pub kind: GreyKind,
    /// The threshold it was measured against.
    pub threshold: f32,
    /// The pair (cards, score, evidence), as for links.csv.
    pub link: LinkRecord,
}

/// True when an entity-level score that is not a link came within the margin of the threshold.
pub fn near_entity(cfg: &Config, s: &Scored) -> bool {
    s.score >= cfg.thresholds.entity * (1.0 - MARGIN)
}

/// True when a firm-level score that is not a link came within the margin of the threshold.
pub fn near_firm(cfg: &Config, s: &Scored) -> bool {
    s.score >= cfg.thresholds.firm * (1.0 - MARGIN)
}

/// A pair scored near the threshold and not linked.
pub fn near(threshold: f32, link: LinkRecord) -> GreyPair {
    GreyPair { kind: GreyKind::Below, threshold, link }
}

/// A link applied over the chaining guard.
pub fn over_guard(threshold: f32, link: LinkRecord) -> GreyPair {
    GreyPair { kind: GreyKind::OverGuard, threshold, link }
}

/// One row of review.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRow {
    /// Why it is doubtful.
    pub kind: GreyKind,
    /// The level of the pair.
    pub level: Level,
    /// Card index on one side.
    pub a: u32,
    /// Card index on the other side.
    pub b: u32,
    /// The score (outliers: the name similarity).
    pub score: f32,
    /// The threshold (outliers: [`OUTLIER_NAME_SIM`]).
    pub threshold: f32,
    /// True when the two cards ended in one group of that level.
    pub together: bool,
    /// 0..1, 1 the most doubtful.
    pub doubt: f32,
    /// The evidence (typed: English in `evidence`, Russian in `evidence_ru` and on the page).
    pub evidence: Evidence,
}

fn doubt(score: f32, threshold: f32) -> f32 {
    let width = (threshold * MARGIN).max(1e-6);
    (1.0 - ((score - threshold).abs() / width)).clamp(0.0, 1.0)
}

/// The review rows, most doubtful first (ties by level, then card ids in card order).
pub fn rows(d: &Dedup, cfg: &Config) -> Vec<ReviewRow> {
    let g = &d.grouping;
    let firm_of = |c: u32| g.firm_of_card(c as usize);
    let together = |level: Level, a: u32, b: u32| {
        if level == Level::Entity {
            g.entity_of_card[a as usize] == g.entity_of_card[b as usize]
        } else {
            firm_of(a) == firm_of(b)
        }
    };
    let mut out: Vec<ReviewRow> = Vec::new();
    let mut seen: rustc_hash::FxHashSet<(Level, u32, u32)> = rustc_hash::FxHashSet::default();
    for p in &g.grey {
        let l = &p.link;
        seen.insert((l.level, l.a, l.b));
        let dz = match p.kind {
            // Over the guard: as doubtful as the weaker of "just one signal" and its distance to the threshold.
            GreyKind::OverGuard => doubt(l.score, p.threshold).max(0.5),
            _ => doubt(l.score, p.threshold),
        };
        out.push(ReviewRow {
            kind: p.kind,
            level: l.level,
            a: l.a,
            b: l.b,
            score: l.score,
            threshold: p.threshold,
            together: together(l.level, l.a, l.b),
            doubt: dz,
            evidence: l.evidence.clone(),
        });
    }
    for l in &g.links {
        let thr = match l.level {
            Level::Entity => cfg.thresholds.entity,
            Level::Firm => cfg.thresholds.firm,
        };
        // Hard links (shared ИНН/ОГРН) and overrides have score 0.
        if l.score <= 0.0 || l.score >= thr * (1.0 + MARGIN) || seen.contains(&(l.level, l.a, l.b)) {
            continue;
        }
        out.push(ReviewRow {
            kind: GreyKind::Above,
            level: l.level,
            a: l.a,
            b: l.b,
            score: l.score,
            threshold: thr,
            together: true,
            doubt: doubt(l.score, thr),
            evidence: l.evidence.clone(),
        });
    }
    out.extend(inn_outliers(d));
    out.sort_by(|x, y| {
        y.doubt
            .total_cmp(&x.doubt)
            .then(x.kind.cmp(&y.kind))
            .then(x.level.cmp(&y.level))
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    out
}

/// Cards of a legal entity held by a shared ИНН whose name is unlike the entity's most frequent name.
fn inn_outliers(d: &Dedup) -> Vec<ReviewRow> {
    let mut out = Vec::new();
    for e in &d.entities {
        if e.cards.len() < 2 || e.inns().is_empty() {
            continue;
        }
        // Compared on the distinctive words' transliteration keys, sorted, so "Romashka LLC" is not unlike
        // "ООО «Ромашка»" and "Турагентство Горизонт" not unlike "Горизонт турагентство".
        let cores: Vec<String> = e.cards.iter().map(|&c| word_key(&d.norm[c as usize].name)).collect();
        // The most frequent name core (ties: the first card's).
        let mut best: (&str, usize, u32) = ("", 0, 0);
        for (i, core) in cores.iter().enumerate() {
            let n = cores.iter().filter(|x| *x == core).count();
            if n > best.1 {
                best = (core.as_str(), n, e.cards[i]);
            }
        }
        if best.0.is_empty() {
            continue;
        }
        for (i, core) in cores.iter().enumerate() {
            if core.is_empty() || core == best.0 {
                continue;
            }
            let sim = name_likeness(core, best.0);
            if sim >= OUTLIER_NAME_SIM {
                continue;
            }
            let c = e.cards[i];
            let inn = d.norm[c as usize].ids.inn().map_or_else(|| e.inns().join(", "), str::to_string);
            out.push(ReviewRow {
                kind: GreyKind::InnOutlier,
                level: Level::Entity,
                a: best.2.min(c),
                b: best.2.max(c),
                score: sim,
                threshold: OUTLIER_NAME_SIM,
                together: true,
                doubt: (1.0 - sim).clamp(0.0, 1.0),
                evidence: Evidence::one(EvidencePart::NameUnlike(Box::new(NameUnlike {
                    inn: inn.into(),
                    a: d.norm[c as usize].name.core().into(),
                    b: d.norm[best.2 as usize].name.core().into(),
                    sim,
                }))),
            });
        }
    }
    out
}

/// The distinctive words of a name (transliteration keys), sorted and joined by spaces.
fn word_key(n: &crate::normalize::name::NormName) -> String {
    let mut w: Vec<&str> = n.tokens.iter().filter(|t| !t.generic).map(|t| t.key()).collect();
    if w.is_empty() {
        w = n.tokens.iter().map(|t| t.key()).collect();
    }
    w.sort_unstable();
    w.dedup();
    w.join(" ")
}

/// 1 when the words of one name are all in the other ("Технопарк" / "Технопарк филиал Самара"), else the edit
/// similarity of the sorted word keys.
fn name_likeness(a: &str, b: &str) -> f32 {
    let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    if wa.iter().all(|w| wb.contains(w)) || wb.iter().all(|w| wa.contains(w)) {
        return 1.0;
    }
    edit_similarity(a, b)
}

/// Columns of review.csv.
/// `evidence_ru` (the same evidence in Russian, as the page shows it) came last, after `rank`, so the columns
/// before it kept their places.
pub const REVIEW_COLUMNS: [&str; 11] =
    ["kind", "level", "card_a", "card_b", "score", "threshold", "together", "doubt", "evidence", "rank", "evidence_ru"];

/// Writes review.csv: every row, most doubtful first.
pub fn write_review(dir: &Path, d: &Dedup, rows: &[ReviewRow]) -> std::io::Result<()> {
    let mut w = CsvOut::create(&dir.join("review.csv"), &REVIEW_COLUMNS)?;
    w.par_rows(rows.len(), |i, row| {
        let r = &rows[i];
        row.extend([
            r.kind.name().to_string(),
            r.level.to_string(),
            d.cards[r.a as usize].id.to_string(),
            d.cards[r.b as usize].id.to_string(),
            format!("{:.2}", r.score),
            format!("{:.2}", r.threshold),
            if r.together { "yes".into() } else { "no".into() },
            format!("{:.2}", r.doubt),
            r.evidence.en(),
            (i + 1).to_string(),
            r.evidence.ru(),
        ]);
    })?;
    w.finish()?;
    Ok(())
}
