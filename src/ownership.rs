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
//! * The plan ([`plan`]) says which cards must change manager in the CRM so that each firm is held by one
//!   manager, and which firms the release rules send to the pool; applying it and running again changes
//!   nothing more (a fixed point: every rule is decided on what the firm will look like once applied).

use chrono::NaiveDate;
use serde::Serialize;

use crate::config::{ConflictPolicy, OverLimit, OwnershipConfig};
use crate::normalize::NormCard;

/// A manager's name as the cards write it: most fit inline (`CompactString`), so the plan's rows and targets
/// copy them without an allocation each.
pub type Manager = compact_str::CompactString;

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
    pub manager: Manager,
    /// Cards of the firm this manager holds.
    pub cards: u32,
    /// Latest activity on those cards.
    pub last_activity: Option<NaiveDate>,
}

/// The ownership of one firm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FirmOwnership {
    /// The owner (`None`: in the pool).
    pub owner: Option<Manager>,
    /// The owner's latest activity on the firm.
    pub owner_last_activity: Option<NaiveDate>,
    /// Held, stale or in the pool.
    pub status: Hold,
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
    /// Firms this manager owns that the plan releases into the pool.
    pub released: u32,
    /// Firms another manager owns that the plan gives this manager (`active_wins_after_days`).
    pub gained: u32,
    /// The change of the figures since the previous nightly run (none in a batch run or a first run).
    pub vs_prev: Option<Figures>,
    /// The change since the last nightly run at least 30 days before this one.
    pub vs_30d: Option<Figures>,
    /// This manager's figures in the last nightly runs before this one (at most
    /// [`crate::state::history::TREND_RUNS`]), oldest first, with each run's date (`--today`): the trend on
    /// report.html. Empty in a batch run or a first run.
    #[serde(skip)]
    pub trend: Vec<(String, Figures)>,
}

/// A manager's figures compared over time (`manager_history`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Firms held.
    pub firms_held: i64,
    /// Held firms with activity in the last 30 days.
    pub active_30d: i64,
    /// Held firms without activity for more than 90 days.
    pub idle_90d: i64,
    /// Held firms gone stale.
    pub stale: i64,
}

impl ManagerRow {
    /// This row's figures as compared over time.
    pub fn figures(&self) -> Figures {
        Figures {
            firms_held: self.firms_held as i64,
            active_30d: self.firms_held.saturating_sub(self.idle_30) as i64,
            idle_90d: self.idle_90 as i64,
            stale: self.stale_firms as i64,
        }
    }
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
            holdings.shrink_to_fit(); // kept per firm until the outputs are written
            let owner = holdings.first().map(|h| h.manager.clone());
            let owner_last_activity = holdings.first().and_then(|h| h.last_activity);
            let idle_days = owner_last_activity.map(|d| days_between(d, today));
            let status = hold(owner.is_some(), idle_days, policy);
            FirmOwnership {
                owner,
                owner_last_activity,
                status,
                idle_days: if status == Hold::Pool { None } else { idle_days },
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
                manager: h.manager.to_string(),
                limit: policy.limit,
                ..ManagerRow::default()
            });
            r.cards += h.cards;
            if i == 0 {
                r.firms_held += 1;
                if f.status == Hold::Stale {
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

/// Why the plan moves a firm's cards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanReason {
    /// The firm stays with its owner (the conflict policy's choice); other managers' and pool cards join.
    Owner {
        /// The owner.
        owner: Manager,
        /// The policy that chose the owner, when several managers hold cards.
        policy: Option<ConflictPolicy>,
    },
    /// The owner has gone quiet and another manager works the firm.
    ActiveWins {
        /// The manager who gets the firm.
        active: Manager,
        /// The quiet owner.
        owner: Manager,
        /// Days since the owner's last activity (None: never).
        owner_idle: Option<i64>,
    },
    /// No activity on the firm for longer than `release_after_days`.
    Idle {
        /// Days since the last activity on any card of the firm.
        days: i64,
    },
    /// Beyond the manager's limit, the least recently worked firms first.
    OverLimit {
        /// The manager.
        manager: Manager,
        /// The limit.
        limit: u32,
        /// The firm's last activity.
        last: Option<NaiveDate>,
    },
}

fn policy_name(p: ConflictPolicy) -> &'static str {
    match p {
        ConflictPolicy::MostRecent => "most_recent",
        ConflictPolicy::MostCards => "most_cards",
        ConflictPolicy::Priority => "priority",
    }
}

impl PlanReason {
    /// The reason in words, for the administrator and the head of sales.
    pub fn text(&self) -> String {
        match self {
            PlanReason::Owner { owner, policy: Some(p) } => {
                format!("фирма закреплена за {owner} (политика {})", policy_name(*p))
            }
            PlanReason::Owner { owner, policy: None } => {
                format!("фирма закреплена за {owner} (единственный менеджер на её карточках)")
            }
            PlanReason::ActiveWins { active, owner, owner_idle: Some(d) } => {
                format!("активность {active} на карточках фирмы, владелец {owner} молчит {d} дней")
            }
            PlanReason::ActiveWins { active, owner, owner_idle: None } => {
                format!("активность {active} на карточках фирмы, у владельца {owner} активности нет")
            }
            PlanReason::Idle { days } => format!("без активности {days} дней — в копилку"),
            PlanReason::OverLimit { manager, limit, last } => format!(
                "сверх лимита {limit}: самая давняя активность ({manager}, {})",
                last.map(|d| d.format("%d.%m.%Y").to_string()).unwrap_or_else(|| "дат нет".into())
            ),
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

/// What the plan does with one firm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmTarget {
    /// The manager every card of the firm should have (`None`: the pool).
    pub target: Option<Manager>,
    /// Why.
    pub reason: PlanReason,
}

/// One card whose manager the plan changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    /// Card index (canonical order).
    pub card: u32,
    /// Firm index.
    pub firm: u32,
    /// The manager now (`None`: the pool).
    pub manager_now: Option<Manager>,
    /// The manager after the plan (`None`: the pool).
    pub manager_new: Option<Manager>,
}

/// The reassignment plan: one target per held firm, and the cards that must change.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Per firm (`None`: a pool firm the plan leaves alone).
    pub firms: Vec<Option<FirmTarget>>,
    /// The cards to change, in canonical card order.
    pub rows: Vec<PlanRow>,
}

impl Plan {
    /// Firms the plan releases into the pool.
    pub fn released(&self) -> usize {
        self.firms.iter().flatten().filter(|t| t.target.is_none()).count()
    }

    /// Adds each manager's released and gained firms to the managers' rows.
    pub fn count_into(&self, own: &[FirmOwnership], rows: &mut [ManagerRow]) {
        for (f, t) in self.firms.iter().enumerate() {
            let (Some(t), Some(owner)) = (t, own[f].owner.as_deref()) else { continue };
            let bump = |rows: &mut [ManagerRow], m: &str, released: bool| {
                if let Ok(i) = rows.binary_search_by(|r| r.manager.as_str().cmp(m)) {
                    if released {
                        rows[i].released += 1;
                    } else {
                        rows[i].gained += 1;
                    }
                }
            };
            match t.target.as_deref() {
                None => bump(rows, owner, true),
                Some(m) if m != owner => bump(rows, m, false),
                Some(_) => {}
            }
        }
    }
}

/// Computes the plan. `firm_of_card[c]` is the firm index of card `c`; `own` comes from [`compute`].
///
/// Each rule is decided on the firm as it will be once the plan is applied (all its cards with one manager, so
/// that manager's last activity is the firm's), which makes a second run on the applied export plan nothing.
pub fn plan(
    norm: &[NormCard],
    firm_of_card: &[u32],
    own: &[FirmOwnership],
    policy: &OwnershipConfig,
    today: NaiveDate,
) -> Plan {
    let n_firms = own.len();
    // The firm's last activity, over all its cards.
    let mut firm_last: Vec<Option<NaiveDate>> = vec![None; n_firms];
    for (c, &f) in firm_of_card.iter().enumerate() {
        let l = &mut firm_last[f as usize];
        *l = (*l).max(norm[c].last_activity);
    }
    let idle = |d: Option<NaiveDate>| d.map(|d| (today - d).num_days());
    let mut firms: Vec<Option<FirmTarget>> = own
        .iter()
        .enumerate()
        .map(|(f, o)| {
            let owner = o.owner.clone()?;
            let owner_idle = idle(o.owner_last_activity);
            let mut t = FirmTarget {
                target: Some(owner.clone()),
                reason: PlanReason::Owner {
                    owner: owner.clone(),
                    policy: o.conflict.then_some(policy.conflict_policy),
                },
            };
            let aw = policy.active_wins_after_days as i64;
            if aw > 0 && owner_idle.is_none_or(|d| d > aw) {
                // The most recent other manager, active since the owner and within the window.
                let active = o.holdings[1..]
                    .iter()
                    .filter(|h| {
                        h.last_activity > o.owner_last_activity && idle(h.last_activity).is_some_and(|d| d <= aw)
                    })
                    .min_by(|a, b| {
                        b.last_activity
                            .cmp(&a.last_activity)
                            .then(b.cards.cmp(&a.cards))
                            .then_with(|| a.manager.cmp(&b.manager))
                    });
                if let Some(h) = active {
                    t = FirmTarget {
                        target: Some(h.manager.clone()),
                        reason: PlanReason::ActiveWins { active: h.manager.clone(), owner, owner_idle },
                    };
                }
            }
            let r = policy.release_after_days as i64;
            if let Some(days) = idle(firm_last[f]).filter(|&d| r > 0 && d > r) {
                t = FirmTarget { target: None, reason: PlanReason::Idle { days } };
            }
            Some(t)
        })
        .collect();
    if policy.over_limit == OverLimit::ReleaseOldest {
        let mut by_manager: std::collections::BTreeMap<Manager, Vec<usize>> = std::collections::BTreeMap::new();
        for (f, t) in firms.iter().enumerate() {
            if let Some(m) = t.as_ref().and_then(|t| t.target.clone()) {
                by_manager.entry(m).or_default().push(f);
            }
        }
        for (m, mut fs) in by_manager {
            let over = fs.len().saturating_sub(policy.limit as usize);
            if over == 0 {
                continue;
            }
            // Least recently active first (no date at all: first); ties by firm order.
            fs.sort_by(|&a, &b| firm_last[a].cmp(&firm_last[b]).then(a.cmp(&b)));
            for &f in &fs[..over] {
                firms[f] = Some(FirmTarget {
                    target: None,
                    reason: PlanReason::OverLimit { manager: m.clone(), limit: policy.limit, last: firm_last[f] },
                });
            }
        }
    }
    let rows = firm_of_card
        .iter()
        .enumerate()
        .filter_map(|(c, &f)| {
            let t = firms[f as usize].as_ref()?;
            let now = norm[c].manager.as_deref();
            (now != t.target.as_deref()).then(|| PlanRow {
                card: c as u32,
                firm: f,
                manager_now: now.map(Manager::from),
                manager_new: t.target.clone(),
            })
        })
        .collect();
    Plan { firms, rows }
}

/// The nudge for a manager in `check --manager`: how many firms they hold against the limit and which of them
/// the release rules will send to the pool, and when. `held` lists the owner's last activity on each firm the
/// manager holds. `None` when no release rule is on.
pub fn manager_note(policy: &OwnershipConfig, today: NaiveDate, held: &[Option<NaiveDate>]) -> Option<String> {
    let release = policy.release_after_days as i64;
    let oldest = policy.over_limit == OverLimit::ReleaseOldest;
    if release == 0 && !oldest {
        return None;
    }
    let mut parts = vec![format!("у вас {} из {}", held.len(), policy.limit)];
    if release > 0 {
        // Firms idle past the stale mark (or past the release mark itself when that is sooner) will go when they
        // reach the release mark; the earliest date is shown.
        let warn = (policy.stale_after_days as i64).min(release);
        let idle: Vec<NaiveDate> = held
            .iter()
            .flatten()
            .filter(|d| (today - **d).num_days() > warn)
            .map(|d| (*d + chrono::Days::new(release as u64 + 1)).max(today))
            .collect();
        if let Some(first) = idle.iter().min() {
            parts.push(format!(
                "{} без активности больше {warn} дней уйдут в копилку{} {}",
                firms_word(idle.len()),
                if idle.len() > 1 { " начиная с" } else { "" },
                first.format("%d.%m")
            ));
        }
    }
    if oldest && held.len() > policy.limit as usize {
        let over = held.len() - policy.limit as usize;
        parts.push(format!("сверх лимита {}: уйдут в копилку с самой давней активностью", firms_word(over)));
    }
    Some(parts.join("; "))
}

/// "1 фирма", "3 фирмы", "23 фирмы", "11 фирм".
fn firms_word(n: usize) -> String {
    let word = match (n % 10, n % 100) {
        (_, 11..=14) => "фирм",
        (1, _) => "фирма",
        (2..=4, _) => "фирмы",
        _ => "фирм",
    };
    format!("{n} {word}")
}

/// What manager `me` (holding `my_firms` firms) may do with a firm of status `hold` owned by `owner`.
pub fn access(hold: Hold, owner: Option<&str>, me: Option<&str>, my_firms: u32, policy: &OwnershipConfig) -> Access {
    let at_limit = me.is_some() && my_firms >= policy.limit;
    match (owner, hold) {
        (Some(o), _) if me.is_some_and(|m| login_key(m) == login_key(o)) => Access::Yours,
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
            manager: manager.map(Into::into),
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
        assert_eq!(o[0].status, Hold::Held);
        assert_eq!(o[1].status, Hold::Pool);
        assert_eq!(o[2].status, Hold::Stale);
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
        let yours = |me: &str| access(Hold::Held, Some("manager08"), Some(me), 1, &p);
        assert_eq!(yours("Manager08"), Access::Yours);
        assert_eq!(yours(" MANAGER08 "), Access::Yours);
        assert_eq!(yours("manager09"), Access::Held);
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

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The README's worked examples, rule by rule.
    #[test]
    fn plan_rules_worked_examples() {
        let norm = vec![
            // Firm 0: petrov holds two cards, quiet since March; ivanova worked the third in October; one pool card.
            card(Some("petrov"), Some("2026-03-01")),
            card(Some("petrov"), Some("2026-02-01")),
            card(Some("ivanova"), Some("2026-10-20")),
            card(None, None),
            // Firm 1: kozlov, nothing since 27 April (214 days).
            card(Some("kozlov"), Some("2026-04-27")),
            // Firms 2 and 3: kozlov again, active in November and in June.
            card(Some("kozlov"), Some("2026-11-01")),
            card(Some("kozlov"), Some("2026-06-01")),
        ];
        let firm_of_card = [0, 0, 0, 0, 1, 2, 3];
        let cards_of_firm = vec![vec![0, 1, 2, 3], vec![4], vec![5], vec![6]];
        fn texts(p: &Plan) -> Vec<(u32, Option<&str>, String)> {
            p.rows
                .iter()
                .map(|r| (r.card, r.manager_new.as_deref(), p.firms[r.firm as usize].as_ref().unwrap().reason.text()))
                .collect()
        }
        let run = |policy: &OwnershipConfig| {
            let own = compute(&norm, &cards_of_firm, policy, today());
            plan(&norm, &firm_of_card, &own, policy, today())
        };

        // The conflict policy alone: petrov has the most cards; ivanova's card and the pool card go to him.
        let most_cards = OwnershipConfig { conflict_policy: ConflictPolicy::MostCards, ..OwnershipConfig::default() };
        let p = run(&most_cards);
        let why = "фирма закреплена за petrov (политика most_cards)".to_string();
        assert_eq!(texts(&p), [(2, Some("petrov"), why.clone()), (3, Some("petrov"), why)]);
        assert_eq!(p.released(), 0);

        // The owner quiet for 271 days, ivanova active 38 days ago: the firm is hers.
        let active = OwnershipConfig { active_wins_after_days: 120, ..most_cards.clone() };
        let why = "активность ivanova на карточках фирмы, владелец petrov молчит 271 дней".to_string();
        assert_eq!(
            texts(&run(&active)),
            [(0, Some("ivanova"), why.clone()), (1, Some("ivanova"), why.clone()), (3, Some("ivanova"), why)]
        );
        // Within the window the owner keeps it.
        let patient = OwnershipConfig { active_wins_after_days: 300, ..most_cards.clone() };
        assert_eq!(texts(&run(&patient)).len(), 2);

        // Idle for more than 180 days: kozlov's firm 1 goes to the pool.
        let release = OwnershipConfig { release_after_days: 180, ..OwnershipConfig::default() };
        let p = run(&release);
        assert!(texts(&p).contains(&(4, None, "без активности 214 дней — в копилку".to_string())));
        assert_eq!(p.released(), 1);

        // A limit of 2 with release_oldest: kozlov holds three firms; the June one (oldest activity) goes.
        let limit = OwnershipConfig { limit: 2, over_limit: OverLimit::ReleaseOldest, ..OwnershipConfig::default() };
        let p = run(&limit);
        assert_eq!(
            texts(&p).last().unwrap(),
            &(4, None, "сверх лимита 2: самая давняя активность (kozlov, 27.04.2026)".to_string())
        );
        // With the idle rule too, firm 1 is already gone and kozlov is within the limit.
        let both = OwnershipConfig { release_after_days: 180, ..limit.clone() };
        let p = run(&both);
        assert_eq!(p.released(), 1);
        let own = compute(&norm, &cards_of_firm, &both, today());
        let mut rows = managers(&own, &both);
        p.count_into(&own, &mut rows);
        let kozlov = rows.iter().find(|r| r.manager == "kozlov").unwrap();
        assert_eq!((kozlov.firms_held, kozlov.released, kozlov.gained), (3, 1, 0));
        let mut rows = managers(&own, &active);
        run(&active).count_into(&compute(&norm, &cards_of_firm, &active, today()), &mut rows);
        assert_eq!(rows.iter().find(|r| r.manager == "ivanova").unwrap().gained, 1);
    }

    #[test]
    fn manager_note_counts_what_the_rules_will_release() {
        let held = [Some(d("2026-11-01")), Some(d("2026-08-01")), Some(d("2026-07-01")), None, Some(d("2026-10-01"))];
        assert_eq!(manager_note(&OwnershipConfig::default(), today(), &held), None, "no release rule: no note");
        let p = OwnershipConfig { limit: 3, release_after_days: 180, ..OwnershipConfig::default() };
        // Idle more than 90 days: 1 August (118 days) and 1 July (149); the July one reaches 180 days on 29.12.
        assert_eq!(
            manager_note(&p, today(), &held).unwrap(),
            "у вас 5 из 3; 2 фирмы без активности больше 90 дней уйдут в копилку начиная с 29.12"
        );
        let p = OwnershipConfig { over_limit: OverLimit::ReleaseOldest, ..p };
        assert!(
            manager_note(&p, today(), &held)
                .unwrap()
                .ends_with("; сверх лимита 2 фирмы: уйдут в копилку с самой давней активностью")
        );
        assert_eq!(firms_word(1), "1 фирма");
        assert_eq!(firms_word(12), "12 фирм");
        assert_eq!(firms_word(23), "23 фирмы");
        assert_eq!(firms_word(25), "25 фирм");
    }
}
