//! What the base teaches about itself. Every base carries labels for free: cards that share a valid ИНН are one
//! legal entity, cards under two different valid ИНН are two. From them the matcher measures, per base, how far a
//! rule can be trusted there, and switches the rule on or keeps the cautious default — rather than trusting a
//! constant fitted to one generator.
//!
//! Learned so far: whether a distinctive whole name alone identifies a legal entity in this base
//! ([`NameAloneStats`]): how often such a name, written on several cards with a valid ИНН, is written under two
//! ИНН or more. Where that is rare, cards without ИНН that write the name join its legal entity (or one another)
//! whatever contacts they carry; where it is common (many companies of one name), or the base has too few such
//! names to tell, only the strict rule applies (a bare card joins the one entity with ИНН of that name).

use serde::{Deserialize, Serialize};

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
    /// The configuration.
    Config,
}

/// The fewest distinctive names with two labelled cards or more that the rule is learned from.
pub const MIN_NAMES: u64 = 30;

/// The highest share of such names written under two ИНН or more at which a name alone is trusted.
pub const MAX_SHARED_NAME_RATE: f64 = 0.02;

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
            DecidedBy::TooFewNames => {
                format!("default: {names} labelled {what} names, fewer than the {MIN_NAMES} needed to learn")
            }
            DecidedBy::Config => "set in the configuration (thresholds.name_alone)".to_string(),
        };
        let all = format!(
            "name alone: {}; {}",
            rule(self.rule),
            why(self.decided_by, self.names_under_two_inn, self.names, self.shared_name_rate, "distinctive")
        );
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

#[cfg(test)]
mod tests {
    use super::*;

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
