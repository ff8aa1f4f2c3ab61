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

/// The comparable form of a manager login: trimmed, inner runs of spaces made one, lower case
/// (`" Manager08 "`, `"manager08"` and `"MANAGER08"` are one manager). Ownership and the managers' check both
/// compare logins through it.
pub fn login_key(login: &str) -> String {
    login.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Days from `from` to `today`, never negative: a `--today` before the data reads as 0 days, not "-46015 days".
pub fn days_between(from: NaiveDate, today: NaiveDate) -> i64 {
    (today - from).num_days().max(0)
}

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
                    Some(m) => match holdings.iter_mut().find(|h| login_key(&h.manager) == login_key(m)) {
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
                    let rank = |m: &str| {
                        policy.priority.iter().position(|p| login_key(p) == login_key(m)).unwrap_or(usize::MAX)
                    };
                    rank(&a.manager).cmp(&rank(&b.manager)).then_with(|| by_recent(a, b))
                }),
            }
            let owner = holdings.first().map(|h| h.manager.clone());
            let owner_last_activity = holdings.first().and_then(|h| h.last_activity);
            let idle_days = owner_last_activity.map(|d| days_between(d, today));
            let status = match (&owner, idle_days) {
                (None, _) => "pool",
                (Some(_), Some(days)) if days <= policy.stale_after_days as i64 => "held",
                (Some(_), _) => "stale",
            };
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
    let mut rows: std::collections::BTreeMap<String, ManagerRow> = std::collections::BTreeMap::new();
    for f in own {
        for (i, h) in f.holdings.iter().enumerate() {
            let r = rows.entry(login_key(&h.manager)).or_insert_with(|| ManagerRow {
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

/// What a manager may do with a firm, in words, for the managers' check.
pub fn status_for(o: &Status, me: Option<&str>, my_firms: u32, policy: &OwnershipConfig) -> (String, String) {
    let at_limit = my_firms >= policy.limit;
    let limit_note = format!("claimable but you are at your limit ({my_firms}/{})", policy.limit);
    match (&o.owner, o.status.as_str()) {
        (None, _) if at_limit && me.is_some() => ("at_limit".into(), limit_note),
        (None, _) => ("pool".into(), "in the pool: anyone may take it".into()),
        (Some(owner), _) if me.is_some_and(|m| login_key(m) == login_key(owner)) => {
            ("yours".into(), "you already hold it".into())
        }
        (Some(owner), "stale") if policy.stale_claimable => {
            let idle = o.idle_days.map_or("no recorded activity".to_string(), |d| format!("no activity for {d} days"));
            if at_limit && me.is_some() {
                ("at_limit".into(), format!("stale ({owner}, {idle}), {limit_note}"))
            } else {
                ("stale_claimable".into(), format!("stale and claimable: held by {owner}, {idle}"))
            }
        }
        (Some(owner), _) => {
            let idle =
                o.idle_days.map_or("no recorded activity".to_string(), |d| format!("last activity {d} days ago"));
            ("held".into(), format!("held by {owner} ({idle}): you may read its history, not claim it"))
        }
    }
}

/// A firm's ownership as stored in the state (for the check).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// Owner.
    pub owner: Option<String>,
    /// `held`, `stale` or `pool` as of the run.
    pub status: String,
    /// Days since the owner's last activity, as of the question.
    pub idle_days: Option<i64>,
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
    fn manager_logins_compare_case_and_space_insensitively() {
        assert_eq!(login_key("  Manager08 "), "manager08");
        assert_eq!(login_key("Иванова  Анна"), "иванова анна");
        let p = OwnershipConfig::default();
        let held = Status { owner: Some("manager08".into()), status: "held".into(), idle_days: Some(3) };
        assert_eq!(status_for(&held, Some("Manager08"), 1, &p).0, "yours");
        assert_eq!(status_for(&held, Some(" MANAGER08 "), 1, &p).0, "yours");
        assert_eq!(status_for(&held, Some("manager09"), 1, &p).0, "held");
        // Two spellings on the cards of one firm are one holding, not a conflict.
        let norm = vec![card(Some("Petrov"), Some("2026-11-01")), card(Some("petrov "), Some("2026-10-01"))];
        let o = compute(&norm, &[vec![0, 1]], &p, today());
        assert!(!o[0].conflict);
        assert_eq!(o[0].holdings[0].cards, 2);
    }

    #[test]
    fn today_before_the_data_gives_no_negative_days() {
        let norm = vec![card(Some("petrov"), Some("2026-11-01"))];
        let early = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let o = compute(&norm, &[vec![0]], &OwnershipConfig::default(), early);
        assert_eq!(o[0].idle_days, Some(0));
    }

    #[test]
    fn limits_count_firms_and_statuses_read_well() {
        let p = OwnershipConfig { limit: 2, ..OwnershipConfig::default() };
        let held = Status { owner: Some("petrov".into()), status: "held".into(), idle_days: Some(3) };
        assert_eq!(status_for(&held, Some("petrov"), 1, &p).0, "yours");
        assert_eq!(status_for(&held, Some("ivanova"), 0, &p).0, "held");
        let stale = Status { owner: Some("petrov".into()), status: "stale".into(), idle_days: Some(200) };
        assert_eq!(status_for(&stale, Some("ivanova"), 0, &p).0, "stale_claimable");
        assert_eq!(status_for(&stale, Some("ivanova"), 2, &p).0, "at_limit");
        let no_stale = OwnershipConfig { stale_claimable: false, ..p.clone() };
        assert_eq!(status_for(&stale, Some("ivanova"), 0, &no_stale).0, "held");
        let pool = Status { owner: None, status: "pool".into(), idle_days: None };
        assert_eq!(status_for(&pool, Some("ivanova"), 0, &p).0, "pool");
        assert!(status_for(&pool, Some("ivanova"), 2, &p).1.contains("(2/2)"));
    }
}
