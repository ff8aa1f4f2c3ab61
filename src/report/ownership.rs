//! Ownership files: the ownership columns of firms.csv, conflicts.csv and managers.csv (with each manager's
//! change since the previous nightly run and since 30 days ago, from the state's `manager_history`).

use std::path::Path;

use crate::config::OwnershipConfig;
use crate::csvio::CsvOut;
use crate::ownership::{FirmOwnership, ManagerRow};
use crate::pipeline::Dedup;
use crate::report::dedup::{FirmColumns, Ids};

/// Ownership columns of firms.csv.
pub struct OwnershipColumns<'a>(pub &'a [FirmOwnership]);

fn holdings_text(o: &FirmOwnership) -> String {
    o.holdings
        .iter()
        .map(|h| {
            format!(
                "{} ({} card(s), last {})",
                h.manager,
                h.cards,
                h.last_activity.map(|d| d.to_string()).unwrap_or_else(|| "never".into())
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl FirmColumns for OwnershipColumns<'_> {
    fn header(&self) -> Vec<&'static str> {
        vec!["owner", "owner_last_activity", "status", "idle_days", "conflict", "managers_on_cards", "pool_cards"]
    }

    fn values(&self, i: usize) -> Vec<String> {
        let o = &self.0[i];
        vec![
            o.owner.as_deref().unwrap_or_default().to_string(),
            o.owner_last_activity.map(|d| d.to_string()).unwrap_or_default(),
            o.status.as_str().to_string(),
            o.idle_days.map(|d| d.to_string()).unwrap_or_default(),
            if o.conflict { "yes".into() } else { "no".into() },
            holdings_text(o),
            o.pool_cards.to_string(),
        ]
    }
}

/// Writes conflicts.csv: firms whose cards several managers hold, with the chosen owner and the evidence that
/// put those cards in one firm.
pub fn write_conflicts(
    dir: &Path,
    d: &Dedup,
    ids: &Ids,
    own: &[FirmOwnership],
    policy: &OwnershipConfig,
) -> std::io::Result<usize> {
    let firm_of_card: Vec<u32> = d.grouping.firms_of_cards();
    let conflicted: Vec<usize> = (0..own.len()).filter(|&f| own[f].conflict).collect();
    // Links joining cards of different managers, per firm.
    let mut evidence: rustc_hash::FxHashMap<u32, Vec<String>> = rustc_hash::FxHashMap::default();
    for l in &d.grouping.links {
        let f = firm_of_card[l.a as usize];
        if !own[f as usize].conflict {
            continue;
        }
        let (ma, mb) = (&d.norm[l.a as usize].manager, &d.norm[l.b as usize].manager);
        if ma.is_some() && mb.is_some() && ma != mb {
            let v = evidence.entry(f).or_default();
            if v.len() < 3 {
                v.push(format!(
                    "{} ({}) ~ {} ({}): {}",
                    d.cards[l.a as usize].id,
                    ma.as_deref().unwrap_or(""),
                    d.cards[l.b as usize].id,
                    mb.as_deref().unwrap_or(""),
                    l.evidence
                ));
            }
        }
    }
    let policy_name = match policy.conflict_policy {
        crate::config::ConflictPolicy::MostRecent => "most_recent",
        crate::config::ConflictPolicy::MostCards => "most_cards",
        crate::config::ConflictPolicy::Priority => "priority",
    };
    let mut w = CsvOut::create(
        &dir.join("conflicts.csv"),
        &["firm_id", "firm_name", "owner", "policy", "managers_on_cards", "evidence"],
    )?;
    w.par_rows(conflicted.len(), |k, row| {
        let f = conflicted[k];
        let o = &own[f];
        row.extend([
            ids.firm[f].clone(),
            d.firms[f].name.to_string(),
            o.owner.as_deref().unwrap_or_default().to_string(),
            policy_name.to_string(),
            holdings_text(o),
            evidence.get(&(f as u32)).map(|v| v.join(" | ")).unwrap_or_default(),
        ]);
    })?;
    w.finish()?;
    Ok(conflicted.len())
}

/// Writes managers.csv.
pub fn write_managers(dir: &Path, rows: &[ManagerRow]) -> std::io::Result<()> {
    let mut w = CsvOut::create(
        &dir.join("managers.csv"),
        &[
            "manager",
            "firms_held",
            "limit",
            "over_limit",
            "stale_firms",
            "conflicts_won",
            "conflicts_lost",
            "no_activity_30d",
            "no_activity_60d",
            "no_activity_90d",
            "cards",
            "plan_released",
            "plan_gained",
            "firms_held_vs_prev_run",
            "active_30d_vs_prev_run",
            "idle_90d_vs_prev_run",
            "stale_vs_prev_run",
            "firms_held_vs_30d_ago",
            "active_30d_vs_30d_ago",
            "idle_90d_vs_30d_ago",
            "stale_vs_30d_ago",
        ],
    )?;
    // A change as `+3`, `-2`, `0`; empty when there is nothing to compare with.
    let delta = |now: &ManagerRow, then: Option<crate::ownership::Figures>| -> [String; 4] {
        let Some(t) = then else { return Default::default() };
        let n = now.figures();
        let s = |d: i64| if d > 0 { format!("+{d}") } else { d.to_string() };
        [
            s(n.firms_held - t.firms_held),
            s(n.active_30d - t.active_30d),
            s(n.idle_90d - t.idle_90d),
            s(n.stale - t.stale),
        ]
    };
    for r in rows {
        w.row(
            &[
                r.manager.clone(),
                r.firms_held.to_string(),
                r.limit.to_string(),
                r.over_limit.to_string(),
                r.stale_firms.to_string(),
                r.conflicts_won.to_string(),
                r.conflicts_lost.to_string(),
                r.idle_30.to_string(),
                r.idle_60.to_string(),
                r.idle_90.to_string(),
                r.cards.to_string(),
                r.released.to_string(),
                r.gained.to_string(),
            ]
            .into_iter()
            .chain(delta(r, r.vs_prev))
            .chain(delta(r, r.vs_30d))
            .collect::<Vec<_>>(),
        )?;
    }
    w.finish()?;
    Ok(())
}
