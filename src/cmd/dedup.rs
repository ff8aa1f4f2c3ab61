//! `firmdedup dedup`: the batch run over a CRM export, and with `--state` the nightly run that keeps firm ids
//! stable, applies the administrator's decisions and reports what changed.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use rustc_hash::FxHashMap;

use crate::cli::DedupArgs;
use crate::cmd::override_cmd::open_state;
use crate::cmd::{Exit, Refused, ingest_options, load_config, with_threads};
use crate::config::Config;
use crate::csvio::CsvOut;
use crate::dict::Dictionaries;
use crate::ownership::{FirmOwnership, ManagerRow};
use crate::pipeline::{self, Dedup, Timing};
use crate::progress::Progress;
use crate::report::dedup::{self as out, Ids};
use crate::report::ownership::{self as ownrep, OwnershipColumns};
use crate::state::changes::{self, Change, ChangeCounts};
use crate::state::ids as idmap;
use crate::state::{self, RunLog, State, overrides, snapshot};

/// Runs `dedup`.
pub fn run(args: &DedupArgs, dict: &Dictionaries, quiet: bool) -> anyhow::Result<Exit> {
    let opts = ingest_options(&args.input)?;
    let cfg = load_config(args.config.as_deref())?;
    let progress = Progress::new(quiet);
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    with_threads(args.threads, || -> anyhow::Result<Exit> {
        match &args.state {
            None => {
                let d = pipeline::dedup(&args.input.input, &opts, &cfg, dict, progress)?;
                batch(args, d, &cfg, threads, quiet)
            }
            Some(path) => stateful(args, path, &opts, &cfg, dict, progress, threads, quiet),
        }
    })?
}

fn ctx(dir: &Path, f: &str) -> String {
    format!("writing {}", dir.join(f).display())
}

/// Ownership of every firm.
fn ownership(d: &Dedup, cfg: &Config, today: chrono::NaiveDate) -> Vec<FirmOwnership> {
    let mut cards_of_firm: Vec<Vec<u32>> = vec![Vec::new(); d.grouping.n_firms];
    for (i, &e) in d.grouping.entity_of_card.iter().enumerate() {
        cards_of_firm[d.grouping.firm_of_entity[e as usize] as usize].push(i as u32);
    }
    crate::ownership::compute(&d.norm, &cards_of_firm, &cfg.ownership, today)
}

/// The ownership part of the summary.
fn ownership_summary(own: &[FirmOwnership], managers: &[ManagerRow], today: chrono::NaiveDate) -> serde_json::Value {
    let count = |s: &str| own.iter().filter(|o| o.status == s).count();
    serde_json::json!({
        "today": today.to_string(),
        "firms_held": count("held"),
        "firms_stale": count("stale"),
        "firms_in_pool": count("pool"),
        "firms_in_conflict": own.iter().filter(|o| o.conflict).count(),
        "managers": managers.len(),
        "managers_over_limit": managers.iter().filter(|m| m.over_limit > 0).map(|m| m.manager.clone()).collect::<Vec<_>>(),
    })
}

/// Writes the files common to both modes.
fn write_outputs(
    dir: &Path,
    d: &Dedup,
    ids: &Ids,
    own: &[FirmOwnership],
    managers: &[ManagerRow],
    cfg: &Config,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    out::write_cards(dir, d, ids).with_context(|| ctx(dir, "cards.csv"))?;
    out::write_entities(dir, d, ids).with_context(|| ctx(dir, "entities.csv"))?;
    out::write_firms(dir, d, ids, &OwnershipColumns(own)).with_context(|| ctx(dir, "firms.csv"))?;
    out::write_links(dir, d).with_context(|| ctx(dir, "links.csv"))?;
    ownrep::write_conflicts(dir, d, ids, own, &cfg.ownership).with_context(|| ctx(dir, "conflicts.csv"))?;
    ownrep::write_managers(dir, managers).with_context(|| ctx(dir, "managers.csv"))?;
    let rejects = dir.join("rejects.csv");
    if !d.ingest.rejects.is_empty() {
        crate::report::write_rejects(&rejects, &d.ingest.rejects).with_context(|| ctx(dir, "rejects.csv"))?;
    } else if rejects.exists() {
        // A rejects file from an earlier run would describe rows of another input.
        std::fs::remove_file(&rejects).with_context(|| format!("removing stale {}", rejects.display()))?;
    }
    Ok(())
}

fn batch(args: &DedupArgs, mut d: Dedup, cfg: &Config, threads: usize, quiet: bool) -> anyhow::Result<Exit> {
    let t = Instant::now();
    let today = crate::cmd::today(args.today.as_deref())?;
    let own = ownership(&d, cfg, today);
    let managers = crate::ownership::managers(&own, &cfg.ownership);
    let entity_ids = out::batch_ids('E', d.grouping.n_entities);
    let firm_ids = out::batch_ids('F', d.grouping.n_firms);
    let ids = Ids { entity: &entity_ids, firm: &firm_ids };
    write_outputs(&args.out, &d, &ids, &own, &managers, cfg)?;
    d.timing.write_ms = t.elapsed().as_millis() as u64;
    let summary = out::summary_json(
        &d,
        cfg,
        threads,
        serde_json::json!({ "ownership": ownership_summary(&own, &managers, today) }),
    );
    out::write_summary(&args.out, &summary).with_context(|| ctx(&args.out, "summary.json"))?;
    if !quiet {
        eprintln!(
            "read {} = accepted {} + rejected {}; {} legal entities, {} firms ({} with several cards); {} generic values ignored; output in {}",
            d.ingest.rows_read,
            d.cards.len(),
            d.ingest.rejects.len(),
            d.grouping.n_entities,
            d.grouping.n_firms,
            d.firms.iter().filter(|f| f.cards > 1).count(),
            d.grouping.prepared.generic.len(),
            args.out.display()
        );
    }
    Ok(Exit::Success)
}

fn refuse(state: &State, run: &mut RunLog, message: String) -> anyhow::Error {
    run.outcome = "refused".into();
    run.message = message.clone();
    run.finished_at = state::now();
    // The refusal is logged; the state is otherwise left as it was.
    let _ = state.log_run(run);
    Refused(message).into()
}

#[allow(clippy::too_many_arguments)]
fn stateful(
    args: &DedupArgs,
    path: &Path,
    opts: &crate::ingest::IngestOptions,
    cfg: &Config,
    dict: &Dictionaries,
    progress: Progress,
    threads: usize,
    quiet: bool,
) -> anyhow::Result<Exit> {
    let mut run =
        RunLog { started_at: state::now(), input: args.input.input.display().to_string(), ..RunLog::default() };
    let mut st = open_state(path)?;
    let prev = st.previous()?;
    let mut timing = Timing::default();
    let t = Instant::now();
    let (ingest, cards) = pipeline::read_ordered(&args.input.input, opts, dict)?;
    timing.read_ms = t.elapsed().as_millis() as u64;
    run.cards_read = ingest.rows_read;
    run.cards_accepted = cards.len() as u64;
    run.cards_rejected = ingest.rejects.len() as u64;
    if ingest.ids_from_lines {
        return Err(refuse(
            &st,
            &mut run,
            format!(
                "{}: the export has no id column; stable firm ids need the CRM's card ids (map one with --map id=<header>)",
                args.input.input.display()
            ),
        ));
    }
    if let Some((last_run, last_n)) = prev.last_run {
        let floor = last_n as f64 * (1.0 - args.max_shrink / 100.0);
        if (cards.len() as f64) < floor && !args.allow_shrink {
            return Err(refuse(
                &st,
                &mut run,
                format!(
                    "{}: {} cards accepted, {:.1}% fewer than the {} of run {last_run}; a truncated or partial export would retire the firms of the missing cards. Check the export, or rerun with --allow-shrink if the base really shrank",
                    args.input.input.display(),
                    cards.len(),
                    100.0 * (1.0 - cards.len() as f64 / last_n.max(1) as f64),
                    last_n
                ),
            ));
        }
    }
    // The administrator's decisions, as constraints on this export's cards.
    let card_index: FxHashMap<&str, u32> = cards.iter().enumerate().map(|(i, c)| (c.id.as_str(), i as u32)).collect();
    let active = st.overrides(false)?;
    let (constraints, unused) = overrides::constraints(&st.conn, &active, &card_index, &prev)?;
    drop(card_index);

    let mut d = pipeline::group_ordered(ingest, cards, cfg, dict, &constraints, progress, timing);

    // Stable ids.
    let t = Instant::now();
    let old_entity: Vec<Option<&str>> =
        d.cards.iter().map(|c| prev.cards.get(&c.id).map(|(e, _)| e.as_str())).collect();
    let old_firm: Vec<Option<&str>> = d.cards.iter().map(|c| prev.cards.get(&c.id).map(|(_, f)| f.as_str())).collect();
    let mut entity_sizes: FxHashMap<String, u64> = FxHashMap::default();
    let mut firm_sizes: FxHashMap<String, u64> = FxHashMap::default();
    for (e, f) in prev.cards.values() {
        *entity_sizes.entry(e.clone()).or_default() += 1;
        *firm_sizes.entry(f.clone()).or_default() += 1;
    }
    let firm_of_card: Vec<u32> =
        d.grouping.entity_of_card.iter().map(|&e| d.grouping.firm_of_entity[e as usize]).collect();
    let ents = idmap::assign(
        'E',
        d.grouping.n_entities,
        &d.grouping.entity_of_card,
        &old_entity,
        &entity_sizes,
        prev.next_entity,
    );
    let frms = idmap::assign('F', d.grouping.n_firms, &firm_of_card, &old_firm, &firm_sizes, prev.next_firm);
    let ids = Ids { entity: &ents.ids, firm: &frms.ids };
    let today = crate::cmd::today(args.today.as_deref())?;
    let own = ownership(&d, cfg, today);
    let managers = crate::ownership::managers(&own, &cfg.ownership);

    // What changed.
    let card_ids: Vec<&str> = d.cards.iter().map(|c| c.id.as_str()).collect();
    let new_firm: Vec<&str> = firm_of_card.iter().map(|&f| frms.ids[f as usize].as_str()).collect();
    let (changes, counts) = changes::compute(&card_ids, &new_firm, &prev, &frms, |old, into| {
        merge_evidence(&d, &old_firm, &new_firm, old, into)
    });
    write_outputs(&args.out, &d, &ids, &own, &managers, cfg)?;
    write_changes(&args.out, &changes).with_context(|| ctx(&args.out, "changes.csv"))?;
    d.timing.write_ms = t.elapsed().as_millis() as u64;

    // The state, in one transaction.
    run.legal_entities = d.grouping.n_entities as u64;
    run.firms = d.grouping.n_firms as u64;
    run.outcome = "ok".into();
    run.changes = serde_json::to_string(&counts)?;
    run.finished_at = state::now();
    let t = Instant::now();
    let path_buf = st.path().to_path_buf();
    let tx = state::begin(&mut st.conn, &path_buf)?;
    let run_id =
        snapshot::write(&tx, &d, &ids, &OwnershipColumns(&own), &ents.fates, &frms.fates, ents.next, frms.next, &run)
            .map_err(state::map_err(&path_buf))?;
    // The policy the check applies, and the date the statuses were computed for.
    tx.execute(
        "INSERT OR REPLACE INTO meta(key, value) VALUES ('ownership', ?1), ('ownership_today', ?2), ('generic_max_entities', ?3)",
        rusqlite::params![serde_json::to_string(&cfg.ownership)?, today.to_string(), cfg.generic.max_entities.to_string()],
    )
    .map_err(state::map_err(&path_buf))?;
    state::write_config(&tx, cfg).map_err(state::map_err(&path_buf))?;
    state::test_pause_before_commit();
    tx.commit().map_err(state::map_err(&path_buf))?;
    let state_ms = t.elapsed().as_millis() as u64;

    let extra = serde_json::json!({
        "run": {
            "run_id": run_id,
            "state": path.display().to_string(),
            "previous_run": prev.last_run.map(|(id, _)| id),
            "changes": counts,
            "overrides_applied": constraints.len(),
            "overrides_not_applicable": unused,
            "state_write_ms": state_ms,
        },
        "ownership": ownership_summary(&own, &managers, today),
    });
    let summary = out::summary_json(&d, cfg, threads, extra);
    out::write_summary(&args.out, &summary).with_context(|| ctx(&args.out, "summary.json"))?;
    if !quiet {
        eprintln!("{}", one_line(run_id, &d, &counts, path));
    }
    Ok(Exit::Success)
}

/// The one-line summary of a nightly run, for the scheduler's log.
fn one_line(run_id: i64, d: &Dedup, c: &ChangeCounts, path: &Path) -> String {
    format!(
        "run {run_id}: read {} = accepted {} + rejected {}; {} firms ({} created, {} merged, {} split, {} retired); cards {} added, {} removed, {} moved; state {} updated",
        d.ingest.rows_read,
        d.cards.len(),
        d.ingest.rejects.len(),
        d.grouping.n_firms,
        c.firms_created,
        c.firms_merged,
        c.firms_split,
        c.firms_retired,
        c.cards_added,
        c.cards_removed,
        c.cards_moved,
        path.display()
    )
}

/// The firm-level links that joined cards of the old firm `old` with the other cards of `into`.
fn merge_evidence(d: &Dedup, old_firm: &[Option<&str>], new_firm: &[&str], old: &str, into: &str) -> String {
    let mut ev: Vec<String> = d
        .grouping
        .links
        .iter()
        .filter(|l| l.level == "firm" || l.level == "entity")
        .filter(|l| {
            let (a, b) = (l.a as usize, l.b as usize);
            new_firm[a] == into && new_firm[b] == into && ((old_firm[a] == Some(old)) != (old_firm[b] == Some(old)))
        })
        .take(3)
        .map(|l| format!("{} ~ {}: {}", d.cards[l.a as usize].id, d.cards[l.b as usize].id, l.evidence))
        .collect();
    ev.dedup();
    ev.join(" | ")
}

fn write_changes(dir: &Path, changes: &[Change]) -> std::io::Result<()> {
    let mut w = CsvOut::create(&dir.join("changes.csv"), &["change", "firm_id", "other_id", "card_id", "detail"])?;
    w.par_rows(changes.len(), |i, row| {
        let c = &changes[i];
        row.extend([c.change.to_string(), c.firm_id.clone(), c.other_id.clone(), c.card_id.clone(), c.detail.clone()]);
    })?;
    w.finish()?;
    Ok(())
}
