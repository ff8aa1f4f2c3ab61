//! The nightly run's contract with the state: the guards that refuse an export which would wreck the stable
//! ids, the ids carried over from the previous run, and the one transaction that writes the new run.
//!
//! `cmd/dedup.rs` orchestrates (read, group, write the output files into a staging folder, publish after the
//! commit); everything that reads or writes the state on the nightly path lives here.

use std::collections::BTreeMap;
use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use super::ids::{self as idmap, Assignment};
use super::{Previous, RunLog, State, StateError, history, map_err, snapshot};
use crate::config::Config;
use crate::ownership::{FirmOwnership, ManagerRow};
use crate::pipeline::Dedup;
use crate::report::dedup::Ids;

/// How much smaller than the last run an export may be before the run is refused.
#[derive(Debug, Clone, Copy)]
pub struct Shrink {
    /// The largest drop in accepted cards, in percent of the last run's (`--max-shrink`).
    pub max_percent: f64,
    /// `--allow-shrink`: the base really shrank; take it.
    pub allowed: bool,
}

/// Refuses an export that looks truncated against the last run: cut mid-row with fewer cards, or more than
/// `max_percent` fewer cards. A truncated export would retire the firms of the missing cards. `Err` holds the
/// message for the administrator (the run is then logged as refused and nothing else changes).
pub fn shrink_guard(prev: &Previous, accepted: u64, input: &Path, shrink: Shrink) -> Result<(), String> {
    let Some((last_run, last_n)) = prev.last_run else { return Ok(()) };
    if shrink.allowed {
        return Ok(());
    }
    // An export cut mid-row (a copy or a download stopped early) ends without a line break; with fewer cards than
    // the last run it is taken for a truncated file whatever the percentage.
    if accepted < last_n && ends_mid_row(input) {
        return Err(format!(
            "{}: the file ends in the middle of a row (no line break after the last one) and has {accepted} cards accepted, fewer than the {last_n} of run {last_run}: it looks truncated, and a truncated export would retire the firms of the missing cards. Check the export, or rerun with --allow-shrink if it is complete",
            input.display(),
        ));
    }
    let floor = last_n as f64 * (1.0 - shrink.max_percent / 100.0);
    if (accepted as f64) < floor {
        return Err(format!(
            "{}: {accepted} cards accepted, {:.1}% fewer than the {last_n} of run {last_run}; a truncated or partial export would retire the firms of the missing cards. Check the export, or rerun with --allow-shrink if the base really shrank",
            input.display(),
            100.0 * (1.0 - accepted as f64 / last_n.max(1) as f64),
        ));
    }
    Ok(())
}

/// True when a regular file does not end with a line break (its last row may have been cut).
fn ends_mid_row(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else { return false };
    let Ok(meta) = f.metadata() else { return false };
    if !meta.is_file() || meta.len() == 0 || f.seek(SeekFrom::End(-1)).is_err() {
        return false;
    }
    let mut last = [0u8; 1];
    f.read_exact(&mut last).is_ok() && last[0] != b'\n'
}

/// This run's entity and firm ids, carried over from the previous run ([`super::ids`]).
pub struct StableIds<'p> {
    /// Legal-entity ids and the fates of the old ones.
    pub entities: Assignment,
    /// Firm ids and the fates of the old ones.
    pub firms: Assignment,
    /// Each card's firm id in the previous run (or when it last was in the export), if any.
    pub old_firm: Vec<Option<&'p str>>,
    /// Each card's firm (index into this run's firms).
    pub firm_of_card: Vec<u32>,
}

/// Assigns this run's ids: each group takes over the old id it shares the most cards with. A card back in the
/// export after an absence takes the ids it had (the `departed` table).
pub fn stable_ids<'p>(d: &Dedup, prev: &'p Previous) -> StableIds<'p> {
    let old_of = |id: &str| prev.cards.get(id).or_else(|| prev.departed.get(id));
    let old_entity: Vec<Option<&str>> = d.cards.iter().map(|c| old_of(&c.id).map(|(e, _)| e.as_str())).collect();
    let old_firm: Vec<Option<&str>> = d.cards.iter().map(|c| old_of(&c.id).map(|(_, f)| f.as_str())).collect();
    let mut entity_sizes: FxHashMap<String, u64> = FxHashMap::default();
    let mut firm_sizes: FxHashMap<String, u64> = FxHashMap::default();
    for (e, f) in prev.cards.values() {
        *entity_sizes.entry(e.clone()).or_default() += 1;
        *firm_sizes.entry(f.clone()).or_default() += 1;
    }
    let firm_of_card: Vec<u32> = d.grouping.firms_of_cards();
    let entities = idmap::assign(
        'E',
        d.grouping.n_entities,
        &d.grouping.entity_of_card,
        &old_entity,
        &entity_sizes,
        prev.next_entity,
    );
    let firms = idmap::assign('F', d.grouping.n_firms, &firm_of_card, &old_firm, &firm_sizes, prev.next_firm);
    StableIds { entities, firms, old_firm, firm_of_card }
}

/// Everything a finished nightly run writes into the state.
pub struct RunState<'a> {
    /// The grouping.
    pub d: &'a Dedup,
    /// Its ids.
    pub ids: &'a Ids<'a>,
    /// Each firm's ownership.
    pub own: &'a [FirmOwnership],
    /// Entity id assignment (fates of old ids, next number).
    pub entities: &'a Assignment,
    /// Firm id assignment.
    pub firms: &'a Assignment,
    /// The run log row.
    pub run: &'a RunLog,
    /// The date the statuses were computed for.
    pub today: chrono::NaiveDate,
    /// Per-manager figures (`manager_history`).
    pub managers: &'a [ManagerRow],
    /// The state as the run found it.
    pub prev: &'a Previous,
}

/// Writes the run into the state in one transaction and returns its run id: the snapshot (cards, entities,
/// firms, the look-up's key index), the lineage, the manager history, the ownership policy and firms held per
/// manager (for the look-up's limit), departed cards, and the whole configuration. On any failure the
/// transaction rolls back and the state is as it was. Also says whether the snapshot was written whole (for
/// [`compact`]).
pub fn commit(
    st: &mut State,
    r: &RunState,
    cfg: &Config,
    owner_firms: &BTreeMap<String, u32>,
) -> anyhow::Result<(i64, bool)> {
    let path_buf = st.path().to_path_buf();
    let err = map_err(&path_buf);
    let tx = super::begin(&mut st.conn, &path_buf)?;
    let (ents, frms) = (r.entities, r.firms);
    let (run_id, whole) =
        snapshot::write(&tx, r.d, r.ids, r.own, &ents.fates, &frms.fates, ents.next, frms.next, r.run).map_err(&err)?;
    let mut tr = crate::timing::Laps::new();
    history::record(&tx, run_id, r.today, r.managers).map_err(&err)?;
    // The policy the check applies, and the date the statuses were computed for.
    tx.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('ownership', ?1), ('ownership_today', ?2), ('generic_max_entities', ?3)",
        rusqlite::params![serde_json::to_string(&cfg.ownership)?, r.today.to_string(), cfg.generic.max_entities.to_string()],
    )
    .map_err(&err)?;
    tx.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('owner_firms', ?1)",
        [serde_json::to_string(owner_firms)?],
    )
    .map_err(&err)?;
    // Cards that left remember their ids; cards present now are no longer departed; an id in use again is no
    // longer retired in the lineage.
    {
        let present: FxHashSet<&str> = r.d.cards.iter().map(|c| c.id.as_str()).collect();
        let mut ins = tx
            .prepare("INSERT OR REPLACE INTO departed(card_id, entity_id, firm_id, run_id) VALUES (?1, ?2, ?3, ?4)")
            .map_err(&err)?;
        let mut gone: Vec<(&String, &(String, String))> =
            r.prev.cards.iter().filter(|(c, _)| !present.contains(c.as_str())).collect();
        gone.sort();
        for (c, (e, f)) in gone {
            ins.execute(rusqlite::params![c, e, f, run_id]).map_err(&err)?;
        }
    }
    tx.execute_batch(
        "DELETE FROM departed WHERE EXISTS (SELECT 1 FROM cards WHERE cards.card_id = departed.card_id);
         DELETE FROM lineage WHERE EXISTS (SELECT 1 FROM firms WHERE firm_id = old_id)
             OR EXISTS (SELECT 1 FROM entities WHERE entity_id = old_id);",
    )
    .map_err(&err)?;
    super::write_config(&tx, cfg).map_err(&err)?;
    tr.lap("state: history, departed, lineage");
    super::test_pause_before_commit();
    tx.commit().map_err(&err)?;
    tr.lap("state: commit");
    Ok((run_id, whole))
}

/// After a committed run, rewrites the state file packed (`VACUUM`) when that is worth its few seconds: the
/// snapshot was written whole (the first run: b-tree pages filled as rows came, about a tenth left empty), or more
/// than a quarter of the file is free pages (a state migrated from version 2, whose old key index and its index
/// were dropped; a run after a large shrink). 1M cards: 719 → 662 MB after a first run, 1071 → 662 MB after the
/// migration, about 5 s. The file only grows otherwise: SQLite reuses free pages but never gives them back.
///
/// VACUUM is its own transaction, after the run's: killed or failing (a full disk: it needs room for a copy of the
/// state in the temporary folder, and in WAL mode as much again beside the state), it leaves the committed state
/// as it was, only larger; the caller reports the error as a warning. Returns whether it compacted.
pub fn compact(st: &State, whole: bool) -> Result<bool, StateError> {
    let err = map_err(st.path());
    let page = |p: &str| st.conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0)).map_err(&err);
    if !whole && page("freelist_count")? * 4 <= page("page_count")? {
        return Ok(false);
    }
    let mut tr = crate::timing::Laps::new();
    st.conn.execute_batch("VACUUM").map_err(&err)?;
    tr.lap("state: compacted");
    Ok(true)
}
