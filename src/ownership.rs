//! Ownership on the firm: who holds each firm, which firms are in the pool, which owners have gone quiet, and
//! how many firms each manager holds against the limit.
//!
//! * The owner of a firm comes from the managers on its cards. One manager: that manager. Several: a conflict,
//!   settled by the policy (`ownership.conflict_policy`): the manager with the most recent activity on the firm
//!   (default), the one with the most cards, or the first of a priority list.
//! * A firm with no manager on any card is in the pool (копилка).
//! * A held firm is stale when its owner's last activity on it is older than `ownership.stale_after_days`
//!   (or unknown); `ownership.stale_claimable` says whether others may claim it.
//! * Limits count firms, not cards.

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::{ConflictPolicy, OwnershipConfig};
use crate::normalize::NormCard;

/// A manager's share of a firm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holding {
    /// Manager login.
    pub manager: String,
    /// Cards of the firm this manager holds.
    pub cards: u32,
    /// Latest activity on those cards.
    pub last_activity: Option<NaiveDate>,
}

/// The ownership of one firm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirmOwnership {
    /// The owner (`None`: in the pool).
    pub owner: Option<String>,
    /// The owner's latest activity on the firm.
    pub owner_last_activity: Option<NaiveDate>,
    /// `held`, `stale` or `pool`.
    pub status: &'static str,
    /// Days since the owner's last activity (None when unknown or in the pool).
    pub idle_days: Option<i64>,
    /// True when several managers hold cards of the firm.
    pub conflict: bool,
    /// Every manager holding cards, owner first.
    pub holdings: Vec<Holding>,
    /// Cards in the pool (no manager).
    pub pool_cards: u32,
}

/// A manager's row in managers.csv.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ManagerRow {
    /// Login.
    pub manager: String,
    /// Firms this manager owns.
    pub firms_held: u32,
    /// The limit.
    pub limit: u32,
    /// Firms over the limit (0 when within).
    pub over_limit: u32,
    /// Held firms gone stale.
    pub stale_firms: u32,
    /// Held firms where other managers also hold cards.
    pub conflicts_won: u32,
    /// Firms where this manager holds cards but another manager owns the firm.
    pub conflicts_lost: u32,
    /// Held firms with no activity in the last 30 / 60 / 90 days.
    pub idle_30: u32,
    /// See `idle_30`.
    pub idle_60: u32,
    /// See `idle_30`.
    pub idle_90: u32,
    /// Cards this manager holds.
    pub cards: u32,
}

/// Computes the ownership of every firm. `cards_of_firm[f]` lists the card indices of firm `f`.
pub fn compute(
    norm: &[NormCard],
    cards_of_firm: &[Vec<u32>],
    policy: &OwnershipConfig,
    today: NaiveDate,
) -> Vec<FirmOwnership> {
    use rayon::prelude::*;
    cards_of_firm
        .par_iter()
        .map(|cards| {
            let mut holdings: Vec<Holding> = Vec::new();
            let mut pool_cards = 0u32;
            for &c in cards {
                let n = &norm[c as usize];
                match &n.manager {
                    None => pool_cards += 1,
                    Some(m) => match holdings.iter_mut().find(|h| &h.manager == m) {
                        Some(h) => {
                            h.cards += 1;
                            h.last_activity = h.last_activity.max(n.last_activity);
                        }
                        None => holdings.push(Holding { manager: m.clone(), cards: 1, last_activity: n.last_activity }),
                    },
                }
            }
            let by_recent = |a: &Holding, b: &Holding| {
                b.last_activity
                    .cmp(&a.last_activity)
                    .then(b.cards.cmp(&a.cards))
                    .then_with(|| a.manager.cmp(&b.manager))
            };
            match policy.conflict_policy {
                ConflictPolicy::MostRecent => holdings.sort_by(by_recent),
                ConflictPolicy::MostCards => holdings.sort_by(|a, b| {
                    b.cards
                        .cmp(&a.cards)
                        .then(b.last_activity.cmp(&a.last_activity))
                        .then_with(|| a.manager.cmp(&b.manager))
                }),
                ConflictPolicy::Priority => holdings.sort_by(|a, b| {
                    let rank = |m: &str| policy.priority.iter().position(|p| p == m).unwrap_or(usize::MAX);
                    rank(&a.manager).cmp(&rank(&b.manager)).then_with(|| by_recent(a, b))
                }),
            }
            let owner = holdings.first().map(|h| h.manager.clone());
            let owner_last_activity = holdings.first().and_then(|h| h.last_activity);
            let idle_days = owner_last_activity.map(|d| (today - d).num_days());
            let status = hold(owner.is_some(), idle_days, policy).as_str();
            FirmOwnership {
                owner,
                owner_last_activity,
                status,
                idle_days: if status == "pool" { None } else { idle_days },
                conflict: holdings.len() > 1,
                holdings,
                pool_cards,
            }
        })
        .collect()
}

/// The per-manager report, sorted by login.
pub fn managers(own: &[FirmOwnership], policy: &OwnershipConfig) -> Vec<ManagerRow> {
    let mut rows: std::collections::BTreeMap<&str, ManagerRow> = std::collections::BTreeMap::new();
    for f in own {
        for (i, h) in f.holdings.iter().enumerate() {
            let r = rows.entry(h.manager.as_str()).or_insert_with(|| ManagerRow {
                manager: h.manager.clone(),
                limit: policy.limit,
                ..ManagerRow::default()
            });
            r.cards += h.cards;
            if i == 0 {
                r.firms_held += 1;
                if f.status == "stale" {
                    r.stale_firms += 1;
                }
                if f.conflict {
                    r.conflicts_won += 1;
                }
                let idle = f.idle_days.unwrap_or(i64::MAX);
                r.idle_30 += (idle > 30) as u32;
                r.idle_60 += (idle > 60) as u32;
                r.idle_90 += (idle > 90) as u32;
            } else {
                r.conflicts_lost += 1;
            }
        }
    }
    rows.into_values()
        .map(|mut r| {
            r.over_limit = r.firms_held.saturating_sub(r.limit);
            r
        })
        .collect()
}

/// A firm's holding status: the one rule used by the reports, the state and the managers' check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// Held by an owner active within `stale_after_days`.
    Held,
    /// Held, but the owner's last activity is older (or unknown).
    Stale,
    /// No manager on any card: in the pool (копилка).
    Pool,
}

impl Hold {
    /// The code written in firms.csv and the state.
    pub fn as_str(self) -> &'static str {
        match self {
            Hold::Held => "held",
            Hold::Stale => "stale",
            Hold::Pool => "pool",
        }
    }
}

/// The holding status of a firm with (or without) an owner whose last activity was `idle_days` ago.
pub fn hold(has_owner: bool, idle_days: Option<i64>, policy: &OwnershipConfig) -> Hold {
    match (has_owner, idle_days) {
        (false, _) => Hold::Pool,
        (true, Some(days)) if days <= policy.stale_after_days as i64 => Hold::Held,
        (true, _) => Hold::Stale,
    }
}

/// What the asking manager may do with a firm (the managers' check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// The asking manager owns it.
    Yours,
    /// Someone else holds it: history only.
    Held,
    /// Its owner has gone quiet and the policy lets others claim it.
    StaleClaimable,
    /// In the pool: anyone may take it.
    Pool,
    /// Claimable, but the asking manager already holds as many firms as the limit allows.
    AtLimit,
}

impl Access {
    /// The status code of the JSON answer.
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Yours => "yours",
            Access::Held => "held",
            Access::StaleClaimable => "stale_claimable",
            Access::Pool => "pool",
            Access::AtLimit => "at_limit",
        }
    }
}

/// What manager `me` (holding `my_firms` firms) may do with a firm of status `hold` owned by `owner`.
pub fn access(hold: Hold, owner: Option<&str>, me: Option<&str>, my_firms: u32, policy: &OwnershipConfig) -> Access {
    let at_limit = me.is_some() && my_firms >= policy.limit;
    match (owner, hold) {
        (Some(o), _) if Some(o) == me => Access::Yours,
        (None, _) | (_, Hold::Pool) if at_limit => Access::AtLimit,
        (None, _) | (_, Hold::Pool) => Access::Pool,
        (Some(_), Hold::Stale) if policy.stale_claimable && at_limit => Access::AtLimit,
        (Some(_), Hold::Stale) if policy.stale_claimable => Access::StaleClaimable,
        (Some(_), _) => Access::Held,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::NormCard;

    fn card(manager: Option<&str>, date: Option<&str>) -> NormCard {
        NormCard {
            manager: manager.map(str::to_string),
            last_activity: date.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
            ..NormCard::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn owner_pool_stale_and_conflict() {
        let norm = vec![
            card(Some("petrov"), Some("2026-11-01")),
            card(Some("ivanova"), Some("2026-10-01")),
            card(Some("ivanova"), Some("2026-09-01")),
            card(None, None),
            card(Some("kozlov"), Some("2026-01-01")),
        ];
        let firms = vec![vec![0, 1, 2], vec![3], vec![4]];
        let p = OwnershipConfig::default();
        let o = compute(&norm, &firms, &p, today());
        // Most recent activity wins the conflict.
        assert_eq!(o[0].owner.as_deref(), Some("petrov"));
        assert!(o[0].conflict);
        assert_eq!(o[0].status, "held");
        assert_eq!(o[1].status, "pool");
        assert_eq!(o[2].status, "stale");
        assert_eq!(o[2].idle_days, Some(330));

        let most_cards = OwnershipConfig { conflict_policy: ConflictPolicy::MostCards, ..p.clone() };
        assert_eq!(compute(&norm, &firms, &most_cards, today())[0].owner.as_deref(), Some("ivanova"));
        let prio = OwnershipConfig {
            conflict_policy: ConflictPolicy::Priority,
            priority: vec!["kozlov".into(), "ivanova".into()],
            ..p.clone()
        };
        assert_eq!(compute(&norm, &firms, &prio, today())[0].owner.as_deref(), Some("ivanova"));

        let m = managers(&o, &p);
        let petrov = m.iter().find(|r| r.manager == "petrov").unwrap();
        assert_eq!((petrov.firms_held, petrov.conflicts_won, petrov.cards), (1, 1, 1));
        let ivanova = m.iter().find(|r| r.manager == "ivanova").unwrap();
        assert_eq!((ivanova.firms_held, ivanova.conflicts_lost, ivanova.cards), (0, 1, 2));
        let kozlov = m.iter().find(|r| r.manager == "kozlov").unwrap();
        assert_eq!((kozlov.stale_firms, kozlov.idle_90), (1, 1));
    }

    #[test]
    fn limits_count_firms_and_access_follows_the_hold() {
        let p = OwnershipConfig { limit: 2, ..OwnershipConfig::default() };
        assert_eq!(hold(true, Some(3), &p), Hold::Held);
        assert_eq!(hold(true, Some(91), &p), Hold::Stale);
        assert_eq!(hold(true, None, &p), Hold::Stale);
        assert_eq!(hold(false, Some(3), &p), Hold::Pool);
        let (petrov, ivanova) = (Some("petrov"), Some("ivanova"));
        assert_eq!(access(Hold::Held, petrov, petrov, 1, &p), Access::Yours);
        assert_eq!(access(Hold::Held, petrov, ivanova, 0, &p), Access::Held);
        assert_eq!(access(Hold::Stale, petrov, ivanova, 0, &p), Access::StaleClaimable);
        assert_eq!(access(Hold::Stale, petrov, ivanova, 2, &p), Access::AtLimit);
        assert_eq!(access(Hold::Stale, petrov, None, 2, &p), Access::StaleClaimable);
        let no_stale = OwnershipConfig { stale_claimable: false, ..p.clone() };
        assert_eq!(access(Hold::Stale, petrov, ivanova, 0, &no_stale), Access::Held);
        assert_eq!(access(Hold::Pool, None, ivanova, 0, &p), Access::Pool);
        assert_eq!(access(Hold::Pool, None, ivanova, 2, &p), Access::AtLimit);
        assert_eq!(serde_json::to_string(&Access::StaleClaimable).unwrap(), "\"stale_claimable\"");
        assert_eq!(Access::AtLimit.as_str(), "at_limit");
    }
}
