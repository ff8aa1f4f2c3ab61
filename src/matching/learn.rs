//! What the base teaches about itself. Every base carries labels for free: cards that share a valid ИНН are one
//! legal entity, cards under two different valid ИНН are two. From them the matcher measures, per base, how far a
//! rule can be trusted there, and switches the rule on or keeps the cautious default — rather than trusting a
//! constant fitted to one generator.
//!
//! Learned so far:
//! - whether a distinctive whole name alone identifies a legal entity in this base ([`NameAloneStats`]): how
//!   often such a name, written on several cards with a valid ИНН, is written under two ИНН or more. Where that is
//!   rare, cards without ИНН that write the name join its legal entity (or one another) whatever contacts they
//!   carry; where it is common (many companies of one name), or the base has too few such names to tell, only the
//!   strict rule applies (a bare card joins the one entity with ИНН of that name);
//! - which shared values make two close names one legal entity ([`CloseNameStats`]): names a little under the
//!   near-identical floor (a typo in a short word, a branch tag, a word dropped) are one company's in one base and
//!   sister companies' in another. For each kind of value (phone, e-mail, office, decision-maker …) the labelled
//!   cards with close names sharing one say which it is here: the share of such pairs under one ИНН;
//! - whether two cards of one distinctive name whose contacts differ are one company ([`DifferingContactsStats`]):
//!   in one base a company's cards carry whichever phone or e-mail the manager was given, in another two
//!   companies of one name are told apart by exactly that. The labelled cards of one name, each with a phone (or
//!   an e-mail …) and none shared, say which: the share of such pairs under one ИНН.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::config::Config;
use crate::matching::block::{NameVar, Prepared, name_var};
use crate::matching::keys::{KeyKind, kind_of};
use crate::matching::score::name_similarity;
use crate::normalize::NormCard;

/// How the name-alone rule is chosen (`[thresholds] name_alone` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameAlone {
    /// The base's own labelled cards decide (the default).
    #[default]
    Learn,
    /// Always the strict rule.
    Strict,
    /// Always the open rule.
    Open,
}

/// The rule by which cards without ИНН join on a distinctive whole name alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameAloneRule {
    /// A card that carries nothing but the name joins the one legal entity with ИНН writing it (at most four
    /// groups write the name).
    #[default]
    Strict,
    /// Every card without ИНН writing the name joins the legal entity with ИНН writing it, or, when none does,
    /// the other cards writing it (at most [`crate::matching::block::HUB_NAME_NODES`] groups without ИНН).
    Open,
}

/// What decided the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The base's labelled cards.
    #[default]
    Learned,
    /// Too few labelled names to learn from: the default (strict).
    TooFewNames,
    /// Too few labelled pairs to learn from: the default (not trusted).
    TooFewPairs,
    /// The configuration.
    Config,
}

/// The fewest distinctive names with two labelled cards or more that the rule is learned from.
pub const MIN_NAMES: u64 = 30;

/// The highest share of such names written under two ИНН or more at which a name alone is trusted.
pub const MAX_SHARED_NAME_RATE: f64 = 0.02;

/// The highest share of labelled names written under two ИНН or more at which a legal entity without ИНН that
/// carries contacts joins the other legal entity of its name, when the two alone write it and neither carries a
/// kind of contact the other has (so nothing either has could contradict the other): at most one name in five
/// shared. Over it, such a card must prove itself by a shared contact.
pub const MAX_LONE_CONTACT_RATE: f64 = 0.2;

/// The name-alone rule of this base and what taught it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NameAloneStats {
    /// Distinctive whole names written on two cards or more that carry a valid ИНН.
    pub names: u64,
    /// Of them, the names written under two different ИНН or more.
    pub names_under_two_inn: u64,
    /// `names_under_two_inn / names` (0 when there are none).
    pub shared_name_rate: f64,
    /// The rule applied.
    pub rule: NameAloneRule,
    /// What decided it.
    pub decided_by: DecidedBy,
    /// Whether, once legal entities are clustered, two legal entities that alone write a distinctive name, at most
    /// one of them with an ИНН, each with contacts of no kind the other carries, are joined: learned from the same
    /// counts (the open rule, or a shared-name rate up to [`MAX_LONE_CONTACT_RATE`]); never by default.
    pub lone_contact: bool,
    /// Cards carrying nothing but a distinctive name joined, once legal entities were clustered, to the one
    /// legal entity writing that name (under either rule: see `block::Prepared::bare_name_pairs`).
    pub joined_once_grouped: u64,
    /// The same, for coined names alone: those with no word built of a beginning and an ending other words of
    /// the base use ("Гескяхаем", not "Стальстрой" or "Лесная улыбка"). Two companies share a compound name far
    /// more often than a coined one, so a base that shares compound names may still show coined ones unique.
    pub coined: CoinedNames,
}

/// What the base teaches about its coined names ([`NameAloneStats::coined`]).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CoinedNames {
    /// Coined distinctive names written on two cards or more with a valid ИНН.
    pub names: u64,
    /// Of them, the names written under two different ИНН or more.
    pub names_under_two_inn: u64,
    /// `names_under_two_inn / names` (0 when there are none).
    pub shared_name_rate: f64,
    /// The rule applied to coined names: the open rule when the whole base's is, or when the coined names alone
    /// are unique enough.
    pub rule: NameAloneRule,
    /// What decided it.
    pub decided_by: DecidedBy,
}

impl NameAloneStats {
    /// Decides the rule from the counts (all distinctive names, then the coined ones among them) and the
    /// configuration.
    pub fn decide(mode: NameAlone, names: u64, names_under_two_inn: u64, coined: (u64, u64)) -> NameAloneStats {
        let (rule, decided_by, shared_name_rate) = decide_one(mode, names, names_under_two_inn);
        // Coined names follow an open rule of the whole base; otherwise their own counts decide.
        let (c_rule, c_decided_by, c_rate) = if rule == NameAloneRule::Open {
            (NameAloneRule::Open, decided_by, rounded_rate(coined.0, coined.1))
        } else {
            decide_one(mode, coined.0, coined.1)
        };
        NameAloneStats {
            names,
            names_under_two_inn,
            shared_name_rate,
            rule,
            decided_by,
            lone_contact: rule == NameAloneRule::Open
                || (decided_by == DecidedBy::Learned && shared_name_rate <= MAX_LONE_CONTACT_RATE),
            joined_once_grouped: 0,
            coined: CoinedNames {
                names: coined.0,
                names_under_two_inn: coined.1,
                shared_name_rate: c_rate,
                rule: c_rule,
                decided_by: c_decided_by,
            },
        }
    }

    /// The rule for a name, coined or not.
    pub fn rule_for(&self, coined: bool) -> NameAloneRule {
        if coined { self.coined.rule } else { self.rule }
    }

    /// One line for `explain` and the summary on stderr.
    pub fn describe(&self) -> String {
        let rule = |r: NameAloneRule| match r {
            NameAloneRule::Strict => "strict (a bare card joins the one legal entity with ИНН of its name)",
            NameAloneRule::Open => "open (every card without ИНН writing a distinctive name unique to one ИНН)",
        };
        let why = |decided_by: DecidedBy, under_two: u64, names: u64, rate: f64, what: &str| match decided_by {
            DecidedBy::Learned => format!(
                "learned: {under_two} of {names} {what} names on two or more cards with ИНН are written under two \
                 ИНН ({:.1}%, trusted up to {:.0}%)",
                rate * 100.0,
                MAX_SHARED_NAME_RATE * 100.0
            ),
            DecidedBy::TooFewNames | DecidedBy::TooFewPairs => {
                format!("default: {names} labelled {what} names, fewer than the {MIN_NAMES} needed to learn")
            }
            DecidedBy::Config => "set in the configuration (thresholds.name_alone)".to_string(),
        };
        let all = format!(
            "name alone: {}; {}",
            rule(self.rule),
            why(self.decided_by, self.names_under_two_inn, self.names, self.shared_name_rate, "distinctive")
        );
        let all = if self.lone_contact && self.rule == NameAloneRule::Strict {
            format!(
                "{all}; two legal entities alone writing a name, at most one with ИНН, join when neither carries a \
                 kind of contact the other has (names shared up to {:.0}%)",
                MAX_LONE_CONTACT_RATE * 100.0
            )
        } else {
            all
        };
        if self.rule == self.coined.rule {
            return all;
        }
        let c = &self.coined;
        format!(
            "{all}; coined names: {}; {}",
            rule(c.rule),
            why(c.decided_by, c.names_under_two_inn, c.names, c.shared_name_rate, "coined")
        )
    }
}

/// Rounded so the summary reads (and compares) the same on every platform.
fn rounded_rate(names: u64, under_two: u64) -> f64 {
    let rate = if names == 0 { 0.0 } else { under_two as f64 / names as f64 };
    (rate * 10_000.0).round() / 10_000.0
}

/// The rule one population of names earns: (rule, what decided it, its shared-name rate).
fn decide_one(mode: NameAlone, names: u64, under_two: u64) -> (NameAloneRule, DecidedBy, f64) {
    let rate = rounded_rate(names, under_two);
    let (rule, decided_by) = match mode {
        NameAlone::Strict => (NameAloneRule::Strict, DecidedBy::Config),
        NameAlone::Open => (NameAloneRule::Open, DecidedBy::Config),
        NameAlone::Learn if names < MIN_NAMES => (NameAloneRule::Strict, DecidedBy::TooFewNames),
        NameAlone::Learn if rate <= MAX_SHARED_NAME_RATE => (NameAloneRule::Open, DecidedBy::Learned),
        NameAlone::Learn => (NameAloneRule::Strict, DecidedBy::Learned),
    };
    (rule, decided_by, rate)
}

/// How a learned rule is chosen in the configuration (`[thresholds] close_names`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LearnedRule {
    /// The base's own labelled cards decide (the default).
    #[default]
    Learn,
    /// Never applied.
    Never,
    /// Always applied.
    Always,
}

/// Whether a signal taught by labelled pairs is trusted: `same` pairs under one ИНН against `different` under two,
/// at least [`MIN_CLOSE_PAIRS`] of them and [`MIN_CLOSE_PRECISION`] under one ИНН, estimated by the rule of
/// succession (one more pair under one ИНН and one more under two than seen: 30 of 30 is 31 / 32, 37 of 38 is
/// 38 / 40), unless the configuration pins it.
pub fn decide_pairs(mode: LearnedRule, same: u64, different: u64) -> (bool, DecidedBy) {
    let n = same + different;
    match mode {
        LearnedRule::Never => (false, DecidedBy::Config),
        LearnedRule::Always => (true, DecidedBy::Config),
        LearnedRule::Learn if n < MIN_CLOSE_PAIRS => (false, DecidedBy::TooFewPairs),
        LearnedRule::Learn => ((same + 1) as f64 / (n + 2) as f64 >= MIN_CLOSE_PRECISION, DecidedBy::Learned),
    }
}

/// The kinds of shared value a close name may be trusted with.
pub const CLOSE_KINDS: [KeyKind; 9] = [
    KeyKind::Phone,
    KeyKind::LocalPhone,
    KeyKind::TollFree,
    KeyKind::Email,
    KeyKind::Domain,
    KeyKind::Person,
    KeyKind::PersonFull,
    KeyKind::AddrOffice,
    KeyKind::AddrHouse,
];

/// The fewest labelled pairs of close names sharing a kind of value that the kind is judged on.
pub const MIN_CLOSE_PAIRS: u64 = 30;

/// The lowest share of those pairs under one ИНН at which the kind is trusted (estimated by the rule of
/// succession, [`decide_pairs`]).
pub const MIN_CLOSE_PRECISION: f64 = 0.95;

/// A value carried by more different (ИНН, name) pairs of labelled cards than this is not learned from: it is a
/// business centre's or an agency's, and its pairs would outweigh everything else.
const MAX_CLOSE_ITEMS: usize = 40;

/// What the labelled cards taught about one kind of shared value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CloseNameKind {
    /// The kind of value (`phone`, `email`, `addr_office` …).
    pub kind: &'static str,
    /// Pairs of labelled cards with close names sharing such a value (not a generic one) under one ИНН…
    pub same_inn: u64,
    /// …and under two different ИНН.
    pub different_inn: u64,
    /// `same_inn / (same_inn + different_inn)` (0 when there are none).
    pub precision: f64,
    /// True when a close name with such a value joins a card without ИНН to the legal entity.
    pub joins: bool,
    /// What decided it.
    pub decided_by: DecidedBy,
}

/// Which shared values make two close names one legal entity in this base (see the module comment).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CloseNameStats {
    /// The band of name similarity this is about: at least this…
    pub min_similarity: f32,
    /// …and under this (the near-identical floor, `thresholds.entity_name_min`).
    pub max_similarity: f32,
    /// One entry per kind of value, in [`CLOSE_KINDS`] order.
    pub kinds: Vec<CloseNameKind>,
    /// Bit `k` set when kind `k` (as `KeyKind as usize`) joins.
    #[serde(skip)]
    joins: u32,
}

impl CloseNameStats {
    /// Decides each kind from its counts `(same ИНН, different ИНН)`, in [`CLOSE_KINDS`] order.
    pub fn decide(mode: LearnedRule, band: (f32, f32), counts: &[(u64, u64)]) -> CloseNameStats {
        let mut joins = 0u32;
        let kinds = CLOSE_KINDS
            .iter()
            .zip(counts)
            .map(|(&k, &(same, diff))| {
                let n = same + diff;
                let (joins_k, decided_by) = decide_pairs(mode, same, diff);
                if joins_k {
                    joins |= 1 << k as u32;
                }
                CloseNameKind {
                    kind: k.name(),
                    same_inn: same,
                    different_inn: diff,
                    precision: rounded_rate(n, same),
                    joins: joins_k,
                    decided_by,
                }
            })
            .collect();
        CloseNameStats { min_similarity: band.0, max_similarity: band.1, kinds, joins }
    }

    /// True when a close name with a shared value of `kind` joins.
    pub fn joins(&self, kind: KeyKind) -> bool {
        self.joins & (1 << kind as u32) != 0
    }

    /// True when some kind joins.
    pub fn any(&self) -> bool {
        self.joins != 0
    }

    /// One line for `explain`.
    pub fn describe(&self) -> String {
        let list = |keep: &dyn Fn(&CloseNameKind) -> bool, counts: bool| -> String {
            let v: Vec<String> = self
                .kinds
                .iter()
                .filter(|k| keep(k))
                .map(|k| match k.decided_by {
                    DecidedBy::Learned if counts => format!(
                        "{} ({} of {} labelled pairs under one ИНН)",
                        k.kind,
                        k.same_inn,
                        k.same_inn + k.different_inn
                    ),
                    _ => k.kind.to_string(),
                })
                .collect();
            if v.is_empty() { "nothing".to_string() } else { v.join(", ") }
        };
        let learned = |k: &CloseNameKind| k.decided_by == DecidedBy::Learned;
        let band = format!("close names ({:.2}–{:.2})", self.min_similarity, self.max_similarity);
        let mut line = match list(&|k| k.joins, true) {
            none if none == "nothing" => format!("{band} join with no shared value"),
            kinds => format!("{band} join with a shared {kinds}"),
        };
        let not = list(&|k| !k.joins && learned(k), true);
        if not != "nothing" {
            line += &format!("; not with {not}");
        }
        let few = list(&|k| k.decided_by == DecidedBy::TooFewPairs, false);
        if few != "nothing" {
            line += &format!("; too few labelled pairs (under {MIN_CLOSE_PAIRS}) to trust {few}");
        }
        if self.kinds.iter().any(|k| k.decided_by == DecidedBy::Config) {
            line += "; set in the configuration (thresholds.close_names)";
        }
        line + &format!(" (a kind is trusted from {:.0}% of its pairs under one ИНН)", MIN_CLOSE_PRECISION * 100.0)
    }
}

/// Learns [`CloseNameStats`] from the base: every value (of [`CLOSE_KINDS`], not generic) shared by cards with a
/// valid ИНН is a set of labelled pairs; those whose names are close (in the band, not nearer) are counted, each
/// pair of (ИНН, name) once per kind.
pub fn close_names(p: &Prepared, norm: &[NormCard], cfg: &Config) -> CloseNameStats {
    let mode = cfg.thresholds.close_names;
    let band = (cfg.thresholds.close_name_min, cfg.thresholds.entity_name_min);
    let mut counts = vec![(0u64, 0u64); CLOSE_KINDS.len()];
    if mode == LearnedRule::Learn && band.0 < band.1 {
        let ids: FxHashMap<&str, u32> = p.tokens.iter().enumerate().map(|(i, t)| (&**t, i as u32)).collect();
        let labelled = |c: usize| p.nodes[p.node_of_card[c] as usize].inn.is_some();
        let mut post: Vec<(u64, u32)> = (0..norm.len())
            .into_par_iter()
            .filter(|&c| labelled(c))
            .flat_map_iter(|c| {
                p.keys_of_card(c).iter().filter(|&&h| CLOSE_KINDS.contains(&kind_of(h))).map(move |&h| (h, c as u32))
            })
            .collect();
        post.par_sort_unstable();
        let runs: Vec<&[(u64, u32)]> = post.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() >= 2).collect();
        let mut found: Vec<ItemPair> = runs
            .par_iter()
            .flat_map_iter(|run| {
                let h = run[0].0;
                let node = &p.nodes[p.node_of_card[run[0].1 as usize] as usize];
                let df = node.keys.binary_search_by_key(&h, |x| x.0).map_or(u32::MAX, |k| node.keys[k].1);
                let mut out = Vec::new();
                if df > cfg.generic.max_entities {
                    return out;
                }
                // Most values are one company's, on cards that all write its name one way: nothing to compare.
                let node_of = |c: u32| p.node_of_card[c as usize];
                if run.iter().all(|&(_, c)| node_of(c) == node_of(run[0].1)) && node.names.len() < 2 {
                    return out;
                }
                // One item per (ИНН, name): the same card typed twice teaches nothing. A node is one ИНН.
                let mut items: Vec<(u64, u64, u32)> = run
                    .iter()
                    .filter(|&&(_, c)| !norm[c as usize].name.tokens.is_empty())
                    .map(|&(_, c)| (node_of(c) as u64, words_hash(&norm[c as usize]), c))
                    .collect();
                items.sort_unstable();
                items.dedup_by_key(|x| (x.0, x.1));
                if items.len() < 2 || items.len() > MAX_CLOSE_ITEMS {
                    return out;
                }
                let k = CLOSE_KINDS.iter().position(|&x| x == kind_of(h)).unwrap_or(0) as u8;
                for i in 0..items.len() {
                    for j in i + 1..items.len() {
                        let (x, y) = (&items[i], &items[j]);
                        let (lo, hi) = if item_key(x) <= item_key(y) { (x, y) } else { (y, x) };
                        out.push(ItemPair {
                            a: item_key(lo),
                            b: item_key(hi),
                            kind: k,
                            cards: (lo.2, hi.2),
                            same: x.0 == y.0,
                        });
                    }
                }
                out
            })
            .collect();
        // Each pair of names is compared once, whatever the number of values and kinds they share.
        // The first card of each name is the one read (whatever the thread count).
        found.par_sort_unstable_by_key(|x| (x.a, x.b, x.kind, x.cards));
        found.dedup_by_key(|x| (x.a, x.b, x.kind));
        // Each card's name read once.
        let mut cards: Vec<u32> = found.iter().flat_map(|x| [x.cards.0, x.cards.1]).collect();
        cards.par_sort_unstable();
        cards.dedup();
        let vars: Vec<NameVar> = cards.par_iter().map(|&c| name_var(&norm[c as usize].name, |k| ids[k])).collect();
        let var = |c: u32| &vars[cards.binary_search(&c).unwrap_or_default()];
        let close: Vec<bool> = found
            .par_chunk_by(|x, y| (x.a, x.b) == (y.a, y.b))
            .flat_map_iter(|run| {
                let sim = name_similarity(p, var(run[0].cards.0), var(run[0].cards.1));
                std::iter::repeat_n(sim >= band.0 && sim < band.1, run.len())
            })
            .collect();
        for (x, _) in found.iter().zip(&close).filter(|(_, c)| **c) {
            let c = &mut counts[x.kind as usize];
            if x.same {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        }
    }
    CloseNameStats::decide(mode, band, &counts)
}

/// What the labelled cards taught about two cards of one distinctive name whose contacts differ: each carries a
/// contact of a kind the other carries too (both a phone, say), and they share no contact value but a generic one.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DifferingContactsStats {
    /// Pairs of labelled cards of one distinctive name (written under at most two ИНН) whose contacts differ,
    /// under one ИНН…
    pub same_inn: u64,
    /// …and under two different ИНН.
    pub different_inn: u64,
    /// `same_inn / (same_inn + different_inn)` (0 when there are none).
    pub precision: f64,
    /// True when, once legal entities are clustered, the only two legal entities writing a distinctive name (at
    /// most one with an ИНН) join although their contacts differ (see `block::Prepared::bare_name_pairs`).
    pub joins: bool,
    /// What decided it.
    pub decided_by: DecidedBy,
}

impl DifferingContactsStats {
    /// Decides the rule from the counts and the configuration (as [`decide_pairs`]).
    pub fn decide(mode: LearnedRule, same: u64, different: u64) -> DifferingContactsStats {
        let (joins, decided_by) = decide_pairs(mode, same, different);
        DifferingContactsStats {
            same_inn: same,
            different_inn: different,
            precision: rounded_rate(same + different, same),
            joins,
            decided_by,
        }
    }

    /// One line for `explain`.
    pub fn describe(&self) -> String {
        let counts = one_name_pairs_text(self.same_inn, self.different_inn);
        match (self.joins, self.decided_by) {
            (true, DecidedBy::Config) => "two legal entities alone writing a name join though their contacts differ \
                                          (set in the configuration: thresholds.differing_contacts)"
                .to_string(),
            (false, DecidedBy::Config) => "two legal entities of one name whose contacts differ stay apart (set in \
                                           the configuration: thresholds.differing_contacts)"
                .to_string(),
            (true, _) => {
                format!("two legal entities alone writing a name join though their contacts differ ({counts})")
            }
            (false, DecidedBy::TooFewPairs) => format!(
                "two legal entities of one name whose contacts differ stay apart (too few labelled pairs to learn: \
                 {}, under {MIN_CLOSE_PAIRS})",
                self.same_inn + self.different_inn
            ),
            (false, _) => format!(
                "two legal entities of one name whose contacts differ stay apart ({counts}; trusted from {:.0}%)",
                MIN_CLOSE_PRECISION * 100.0
            ),
        }
    }
}

/// How `explain` gives the labelled pairs of one name a rule was learned from: "`same` of `n` labelled pairs of
/// one name under one ИНН".
pub fn one_name_pairs_text(same: u64, different: u64) -> String {
    format!("{same} of {} labelled pairs of one name under one ИНН", same + different)
}

/// Learns [`DifferingContactsStats`] from the base. The labelled cards (valid ИНН) are grouped by their name's
/// words; a name is learned from when it is a distinctive company name written under at most two ИНН (the names
/// the rule may join are those only two legal entities write) on at most [`MAX_CLOSE_ITEMS`] cards of different
/// contacts. Of the pairs of its cards of one legal form (or one without) that each carry a kind of contact the
/// other does, and share no contact value that is not generic, those under one ИНН are counted against those
/// under two. A card typed twice with the same contacts counts once.
pub fn differing_contacts(p: &Prepared, norm: &[NormCard], cfg: &Config) -> DifferingContactsStats {
    use crate::matching::block::{contact_family, is_company_norm_name};
    let mode = cfg.thresholds.differing_contacts;
    if mode != LearnedRule::Learn {
        return DifferingContactsStats::decide(mode, 0, 0);
    }
    let node_of = |c: usize| p.node_of_card[c];
    // A card's contact values, each with whether it is generic; and its kinds of contact.
    let contacts = |c: usize| -> (Vec<(u64, bool)>, u8) {
        let node = &p.nodes[node_of(c) as usize];
        let mut fams = 0u8;
        let mut v: Vec<(u64, bool)> = p
            .keys_of_card(c)
            .iter()
            .filter(|&&h| contact_family(kind_of(h)) != 0)
            .map(|&h| {
                fams |= contact_family(kind_of(h));
                let df = node.keys.binary_search_by_key(&h, |x| x.0).map_or(u32::MAX, |k| node.keys[k].1);
                (h, df > cfg.generic.max_entities)
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        (v, fams)
    };
    // (name words, card) of the labelled cards with a contact.
    let mut post: Vec<(u64, u32)> = (0..norm.len())
        .into_par_iter()
        .filter(|&c| {
            p.nodes[node_of(c) as usize].inn.is_some()
                && !norm[c].name.tokens.is_empty()
                && p.keys_of_card(c).iter().any(|&h| contact_family(kind_of(h)) != 0)
        })
        .map(|c| (words_hash(&norm[c]), c as u32))
        .collect();
    post.par_sort_unstable();
    let counts: Vec<(u64, u64)> = post
        .par_chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() >= 2)
        .map(|run| {
            let mut inn: SmallVec<[u32; 4]> = run.iter().map(|&(_, c)| node_of(c as usize)).collect();
            inn.sort_unstable();
            inn.dedup();
            if inn.len() > 2 || !is_company_norm_name(&norm[run[0].1 as usize].name) {
                return (0, 0);
            }
            // One item per (ИНН, contacts).
            let mut items: Vec<(u32, Vec<(u64, bool)>, u8, u32)> = run
                .iter()
                .map(|&(_, c)| {
                    let (v, fams) = contacts(c as usize);
                    (node_of(c as usize), v, fams, c)
                })
                .collect();
            items.sort_unstable();
            items.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
            if items.len() < 2 || items.len() > MAX_CLOSE_ITEMS {
                return (0, 0);
            }
            let form = |c: u32| norm[c as usize].name.legal_form.as_deref();
            let (mut same, mut different) = (0u64, 0u64);
            for (i, x) in items.iter().enumerate() {
                for y in &items[i + 1..] {
                    let forms_differ = matches!((form(x.3), form(y.3)), (Some(a), Some(b)) if a != b);
                    let shared =
                        x.1.iter().any(|&(h, generic)| !generic && y.1.binary_search_by_key(&h, |z| z.0).is_ok());
                    if forms_differ || x.2 & y.2 == 0 || shared {
                        continue;
                    }
                    if x.0 == y.0 {
                        same += 1;
                    } else {
                        different += 1;
                    }
                }
            }
            (same, different)
        })
        .collect();
    let (same, different) = counts.iter().fold((0, 0), |acc, x| (acc.0 + x.0, acc.1 + x.1));
    DifferingContactsStats::decide(mode, same, different)
}

/// Two labelled cards of different (ИНН, name) sharing a value of kind `kind` (its index in [`CLOSE_KINDS`]).
#[derive(Debug, Clone, Copy)]
struct ItemPair {
    a: u64,
    b: u64,
    kind: u8,
    cards: (u32, u32),
    same: bool,
}

fn item_key(x: &(u64, u64, u32)) -> u64 {
    x.0.rotate_left(40) ^ x.1
}

/// A hash of a card's name words (their keys, in order).
fn words_hash(c: &NormCard) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    for t in &c.name.tokens {
        t.key().hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_of_value_is_trusted_with_close_names_from_enough_pairs_clearly_under_one_inn() {
        let counts = |phone: (u64, u64)| {
            let mut c = vec![(0, 0); CLOSE_KINDS.len()];
            c[0] = phone;
            c
        };
        let decide = |phone| CloseNameStats::decide(LearnedRule::Learn, (0.75, 0.9), &counts(phone));
        // By the rule of succession: 30 of 30 is 31 / 32; 37 of 38 is 38 / 40 = 0.95, 36 of 37 is not enough;
        // 56 of 58 is 57 / 60 = 0.95, 55 of 57 is not.
        assert!(decide((30, 0)).joins(KeyKind::Phone));
        assert!(decide((37, 1)).joins(KeyKind::Phone));
        assert!(!decide((36, 1)).joins(KeyKind::Phone));
        assert!(decide((56, 2)).joins(KeyKind::Phone));
        assert!(!decide((55, 2)).joins(KeyKind::Phone));
        assert_eq!(decide((29, 0)).kinds[0].decided_by, DecidedBy::TooFewPairs);
        assert!(!decide((29, 0)).any());
        assert!(!decide((400, 0)).joins(KeyKind::Email), "each kind on its own counts");
        assert_eq!(decide((57, 1)).kinds[0].precision, 0.9828);
        let always = CloseNameStats::decide(LearnedRule::Always, (0.75, 0.9), &counts((0, 50)));
        assert!(always.joins(KeyKind::AddrHouse) && always.kinds[8].decided_by == DecidedBy::Config);
        assert!(!CloseNameStats::decide(LearnedRule::Never, (0.75, 0.9), &counts((500, 0))).any());
    }

    #[test]
    fn the_base_decides_unless_the_config_pins_it() {
        let open = NameAloneStats::decide(NameAlone::Learn, 400, 4, (100, 0));
        assert_eq!((open.rule, open.decided_by), (NameAloneRule::Open, DecidedBy::Learned));
        assert_eq!(open.shared_name_rate, 0.01);
        let shared = NameAloneStats::decide(NameAlone::Learn, 400, 40, (100, 5));
        assert_eq!((shared.rule, shared.decided_by), (NameAloneRule::Strict, DecidedBy::Learned));
        let small = NameAloneStats::decide(NameAlone::Learn, 12, 0, (12, 0));
        assert_eq!((small.rule, small.decided_by), (NameAloneRule::Strict, DecidedBy::TooFewNames));
        let pinned = NameAloneStats::decide(NameAlone::Strict, 400, 0, (100, 0));
        assert_eq!((pinned.rule, pinned.decided_by), (NameAloneRule::Strict, DecidedBy::Config));
        assert_eq!(NameAloneStats::decide(NameAlone::Open, 0, 0, (0, 0)).rule, NameAloneRule::Open);
        assert!(open.describe().contains("4 of 400"), "{}", open.describe());
        // Coined names follow the whole base's open rule, and the configuration; otherwise their own counts.
        assert_eq!(open.rule_for(true), NameAloneRule::Open);
        assert_eq!(pinned.rule_for(true), NameAloneRule::Strict);
        assert_eq!(shared.rule_for(false), NameAloneRule::Strict);
        assert_eq!(shared.rule_for(true), NameAloneRule::Strict); // 5% of coined names shared
        let coined_unique = NameAloneStats::decide(NameAlone::Learn, 400, 40, (100, 1));
        assert_eq!(
            (coined_unique.rule_for(false), coined_unique.rule_for(true)),
            (NameAloneRule::Strict, NameAloneRule::Open)
        );
        assert_eq!(coined_unique.coined.decided_by, DecidedBy::Learned);
        assert!(coined_unique.describe().contains("1 of 100 coined names"), "{}", coined_unique.describe());
        let few_coined = NameAloneStats::decide(NameAlone::Learn, 400, 40, (20, 0));
        assert_eq!(
            (few_coined.rule_for(true), few_coined.coined.decided_by),
            (NameAloneRule::Strict, DecidedBy::TooFewNames)
        );
    }
}
