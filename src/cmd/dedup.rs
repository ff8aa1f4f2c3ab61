//! `firmdedup dedup`: the batch run over a CRM export, and with `--state` the nightly run that keeps firm ids
//! stable, applies the administrator's decisions and reports what changed.

use std::path::Path;

use anyhow::Context;
use rustc_hash::FxHashMap;

use crate::cli::DedupArgs;
use crate::cmd::override_cmd::open_state;
use crate::cmd::{Exit, Refused, ingest_options, load_config, refuse_overwriting_inputs, with_threads};
use crate::config::Config;
use crate::csvio::CsvOut;
use crate::dict::Dictionaries;
use crate::ownership::{FirmOwnership, Hold, ManagerRow, Plan};
use crate::pipeline::{self, Dedup, Timing};
use crate::progress::Progress;
use crate::report::dedup::{self as out, Ids};
use crate::report::ownership::{self as ownrep, OwnershipColumns};
use crate::state::changes::{self, Change, ChangeCounts};
use crate::state::{self, RunLog, State, nightly, overrides};
use crate::timing::Laps;

/// Runs `dedup`.
pub fn run(args: &DedupArgs, dict: &Dictionaries, quiet: bool) -> anyhow::Result<Exit> {
    if !(0.0..=100.0).contains(&args.max_shrink) {
        anyhow::bail!("--max-shrink {}: a percentage between 0 and 100", args.max_shrink);
    }
    let mut inputs: Vec<&Path> = vec![&args.input.input];
    inputs.extend(args.config.as_deref());
    inputs.extend(args.state.as_deref());
    let mut outputs: Vec<std::path::PathBuf> = OUTPUT_FILES.iter().map(|f| args.out.join(f)).collect();
    outputs.push(args.out.clone());
    refuse_overwriting_inputs(&inputs, &outputs)?;
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

/// Every file a run may leave in `--out`. summary.json comes last: it is published last and removed first, so a
/// folder with a summary.json holds one whole run.
pub const OUTPUT_FILES: [&str; 13] = [
    "cards.csv",
    "entities.csv",
    "firms.csv",
    "links.csv",
    "conflicts.csv",
    "managers.csv",
    "rejects.csv",
    "changes.csv",
    "reassign.csv",
    "reassign_import.csv",
    "review.csv",
    "report.html",
    "summary.json",
];

/// A run's outputs are written into a staging folder inside `--out` and published (renamed into place) only once
/// the run has succeeded — for a nightly run, once the state has committed. A run that fails before that leaves
/// the previous outputs as they were (the staging folder is removed).
struct Staging {
    out: std::path::PathBuf,
    dir: std::path::PathBuf,
}

impl Staging {
    fn new(out: &Path) -> anyhow::Result<Staging> {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        // A run killed before publishing leaves its staging folder: removed here once its process is gone.
        #[cfg(target_os = "linux")]
        if let Ok(entries) = std::fs::read_dir(out) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(pid) = name.strip_prefix(".firmdedup-staging-")
                    && pid.parse::<u32>().is_ok()
                    && !Path::new("/proc").join(pid).exists()
                {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = out.join(format!(".firmdedup-staging-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
        }
        std::fs::create_dir(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Staging { out: out.to_path_buf(), dir })
    }

    /// Moves the staged files into `--out`, and removes the outputs this run did not write (an earlier run's
    /// changes.csv or rejects.csv would describe another input). summary.json is removed first and published
    /// last: if publishing stops half-way, the folder has no summary.json and the error says so.
    fn publish(&self) -> anyhow::Result<()> {
        let summary = self.out.join("summary.json");
        let incomplete = |e: std::io::Error, what: &Path| {
            anyhow::anyhow!(
                "publishing {}: {e}; {} now holds an incomplete set of outputs (no summary.json): rerun to replace them",
                what.display(),
                self.out.display()
            )
        };
        if summary.exists() {
            std::fs::remove_file(&summary).map_err(|e| incomplete(e, &summary))?;
        }
        for f in OUTPUT_FILES {
            let (from, to) = (self.dir.join(f), self.out.join(f));
            if from.exists() {
                std::fs::rename(&from, &to).map_err(|e| incomplete(e, &to))?;
            } else if to.exists() {
                std::fs::remove_file(&to).map_err(|e| incomplete(e, &to))?;
            }
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The context of an error before publishing: nothing of this run is in `--out`.
fn unpublished(out: &Path) -> String {
    format!("nothing was published: the files in {} are those of the previous run, if any", out.display())
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

/// The reassignment plan, with each manager's released and gained firms counted into `managers`.
fn plan(d: &Dedup, own: &[FirmOwnership], managers: &mut [ManagerRow], cfg: &Config, today: chrono::NaiveDate) -> Plan {
    let firm_of_card: Vec<u32> = d.grouping.firms_of_cards();
    let plan = crate::ownership::plan(&d.norm, &firm_of_card, own, &cfg.ownership, today);
    plan.count_into(own, managers);
    plan
}

/// The ownership part of the summary.
fn ownership_summary(own: &[FirmOwnership], managers: &[ManagerRow], today: chrono::NaiveDate) -> serde_json::Value {
    let count = |s: Hold| own.iter().filter(|o| o.status == s).count();
    serde_json::json!({
        "today": today.to_string(),
        "firms_held": count(Hold::Held),
        "firms_stale": count(Hold::Stale),
        "firms_in_pool": count(Hold::Pool),
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
    plan: &Plan,
    cfg: &Config,
) -> anyhow::Result<crate::report::reassign::Written> {
    out::write_cards(dir, d, ids).with_context(|| ctx(dir, "cards.csv"))?;
    out::write_entities(dir, d, ids).with_context(|| ctx(dir, "entities.csv"))?;
    out::write_firms(dir, d, ids, &OwnershipColumns(own)).with_context(|| ctx(dir, "firms.csv"))?;
    out::write_links(dir, d).with_context(|| ctx(dir, "links.csv"))?;
    ownrep::write_conflicts(dir, d, ids, own, &cfg.ownership).with_context(|| ctx(dir, "conflicts.csv"))?;
    ownrep::write_managers(dir, managers).with_context(|| ctx(dir, "managers.csv"))?;
    let reassigned = crate::report::reassign::write(dir, d, ids, plan).with_context(|| ctx(dir, "reassign.csv"))?;
    if !d.ingest.rejects.is_empty() {
        let rejects = dir.join("rejects.csv");
        crate::report::write_rejects(&rejects, &d.ingest.rejects).with_context(|| ctx(dir, "rejects.csv"))?;
    }
    Ok(reassigned)
}

fn batch(args: &DedupArgs, mut d: Dedup, cfg: &Config, threads: usize, quiet: bool) -> anyhow::Result<Exit> {
    let mut laps = Laps::new();
    let today = crate::cmd::today(args.today.as_deref())?;
    let own = ownership(&d, cfg, today);
    let mut managers = crate::ownership::managers(&own, &cfg.ownership);
    let plan = plan(&d, &own, &mut managers, cfg, today);
    let entity_ids = out::batch_ids('E', d.grouping.n_entities);
    let firm_ids = out::batch_ids('F', d.grouping.n_firms);
    let ids = Ids { entity: &entity_ids, firm: &firm_ids };
    let staging = Staging::new(&args.out)?;
    let stage = &staging.dir;
    let reassigned =
        write_outputs(stage, &d, &ids, &own, &managers, &plan, cfg).with_context(|| unpublished(&args.out))?;
    d.timing.write_ms = laps.lap("write");
    let summary = out::summary_json(
        &d,
        cfg,
        threads,
        serde_json::json!({ "ownership": ownership_summary(&own, &managers, today), "reassign": reassigned }),
    );
    out::write_summary(stage, &summary)
        .with_context(|| ctx(&args.out, "summary.json"))
        .with_context(|| unpublished(&args.out))?;
    crate::report::html::write(stage, &d, &ids, &own, &managers, cfg, &summary)
        .with_context(|| ctx(&args.out, "report.html"))
        .with_context(|| unpublished(&args.out))?;
    laps.lap("report.html");
    staging.publish()?;
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
    let mut laps = Laps::new();
    let mut st = open_state(path)?;
    laps.lap("state: open");
    let prev = st.previous()?;
    laps.lap("state: previous run");
    let mut timing = Timing::default();
    let (ingest, cards) = pipeline::read_ordered(&args.input.input, opts, dict)?;
    timing.read_ms = laps.lap("read");
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
    if let Err(message) = nightly::shrink_guard(
        &prev,
        cards.len() as u64,
        &args.input.input,
        nightly::Shrink { max_percent: args.max_shrink, allowed: args.allow_shrink },
    ) {
        return Err(refuse(&st, &mut run, message));
    }
    // The administrator's decisions, as constraints on this export's cards.
    let card_index: FxHashMap<&str, u32> = cards.iter().enumerate().map(|(i, c)| (c.id.as_str(), i as u32)).collect();
    let active = st.overrides(false)?;
    let (constraints, unused) = overrides::constraints(&st.conn, &active, &card_index, &prev)?;
    drop(card_index);
    // The decision behind each constraint (constraints come in the order of the decisions, skipping unused ones).
    let constraint_ids: Vec<i64> = active.iter().map(|o| o.id).filter(|id| !unused.contains(id)).collect();

    let mut d = pipeline::group_ordered(ingest, cards, cfg, dict, &constraints, progress, timing);
    let not_honoured = splits_not_honoured(&d, &constraints, &constraint_ids);
    if !quiet {
        for id in &not_honoured {
            eprintln!(
                "warning: decision #{id} (split) could not be honoured: its two sides ended up together (cards with one ИНН are one legal entity by rule; links you recorded win over a split). Correct the ИНН in the CRM, or remove one of the decisions; it is listed as overrides_not_honoured"
            );
        }
    }

    // Stable ids. A card back in the export after an absence takes the ids it had (the `departed` table).
    let mut laps = Laps::new();
    let mut steps = Laps::new(); // the write stage's steps, for FIRMDEDUP_TRACE
    let nightly::StableIds { entities: ents, firms: frms, old_firm, firm_of_card } = nightly::stable_ids(&d, &prev);
    steps.lap("stable ids");
    let ids = Ids { entity: &ents.ids, firm: &frms.ids };
    let today = crate::cmd::today(args.today.as_deref())?;
    let own = ownership(&d, cfg, today);
    let mut managers = crate::ownership::managers(&own, &cfg.ownership);
    let plan = plan(&d, &own, &mut managers, cfg, today);
    state::history::fill_changes(&st.conn, &mut managers, today).map_err(state::map_err(st.path()))?;

    // What changed.
    let card_ids: Vec<&str> = d.cards.iter().map(|c| c.id.as_str()).collect();
    let new_firm: Vec<&str> = firm_of_card.iter().map(|&f| frms.ids[f as usize].as_str()).collect();
    let (changes, counts) = changes::compute(&card_ids, &new_firm, &prev, &frms, |old, into| {
        merge_evidence(&d, &old_firm, &new_firm, old, into)
    });
    steps.lap("ownership, plan, changes");
    let staging = Staging::new(&args.out)?;
    let stage = &staging.dir;
    let reassigned =
        write_outputs(stage, &d, &ids, &own, &managers, &plan, cfg).with_context(|| unpublished(&args.out))?;
    write_changes(stage, &changes)
        .with_context(|| ctx(&args.out, "changes.csv"))
        .with_context(|| unpublished(&args.out))?;
    // Written: their room goes to the state's rows (a first run lists every card as added).
    drop((changes, card_ids, new_firm, plan));
    d.timing.write_ms = laps.lap("write");

    run.legal_entities = d.grouping.n_entities as u64;
    run.firms = d.grouping.n_firms as u64;
    run.outcome = "ok".into();
    run.changes = serde_json::to_string(&counts)?;
    run.finished_at = state::now();
    let mut laps = Laps::new();
    // The state, in one transaction; on any failure the transaction rolls back and nothing is published.
    let (run_id, whole) = nightly::commit(
        &mut st,
        &nightly::RunState {
            d: &d,
            ids: &ids,
            own: &own,
            entities: &ents,
            firms: &frms,
            run: &run,
            today,
            managers: &managers,
            prev: &prev,
        },
        cfg,
        &owner_firms(&own),
    )
    .with_context(|| unpublished(&args.out))?;
    let state_ms = laps.lap("state");
    // The run is committed. Compacting the state (when due: after a first run, or with a quarter of it free) goes
    // on beside writing the summary and the page, which do not read the state; the run ends when both have. A
    // compaction that fails leaves the state whole, so it is only a warning.
    std::thread::scope(|scope| {
        let compacting = scope.spawn(move || {
            if let Err(e) = nightly::compact(&st, whole) {
                eprintln!(
                    "warning: compacting the state after the run failed, the run is saved and the state intact: {e}"
                );
            }
            st
        });
        let published = (|| -> anyhow::Result<Exit> {
            let extra = serde_json::json!({
                "run": {
                    "run_id": run_id,
                    "state": path.display().to_string(),
                    "previous_run": prev.last_run.map(|(id, _)| id),
                    "changes": counts,
                    "overrides_applied": constraints.len() - not_honoured.len(),
                    "overrides_not_applicable": unused,
                    "overrides_not_honoured": not_honoured,
                    "state_write_ms": state_ms,
                },
                "ownership": ownership_summary(&own, &managers, today),
                "reassign": reassigned,
            });
            let summary = out::summary_json(&d, cfg, threads, extra);
            out::write_summary(stage, &summary).with_context(|| {
                format!(
                    "writing summary.json: the state {} holds run {run_id}, but nothing was published into {} (its files are those of the previous run); rerun to publish",
                    path.display(),
                    args.out.display()
                )
            })?;
            crate::report::html::write(stage, &d, &ids, &own, &managers, cfg, &summary).with_context(|| {
                format!(
                    "writing report.html: the state {} holds run {run_id}, but nothing was published into {} (its files are those of the previous run); rerun to publish",
                    path.display(),
                    args.out.display()
                )
            })?;
            staging.publish().with_context(|| format!("the state {} holds run {run_id}", path.display()))?;
            if !quiet {
                eprintln!("{}", one_line(run_id, &d, &counts, path));
            }
            Ok(Exit::Success)
        })();
        // The state, and its lock, are held until the outputs are published.
        drop(compacting.join());
        published
    })
}

/// Firms held per manager login (compared through [`crate::ownership::login_key`]), for the check's limit.
fn owner_firms(own: &[FirmOwnership]) -> std::collections::BTreeMap<String, u32> {
    let mut m = std::collections::BTreeMap::new();
    for o in own {
        if let Some(owner) = &o.owner {
            *m.entry(crate::ownership::login_key(owner)).or_insert(0) += 1;
        }
    }
    m
}

/// The split decisions the grouping could not follow: some card of one side ended in the same legal entity
/// (entity level) or firm (firm level) as a card of the other — cards with one ИНН are one legal entity by rule.
fn splits_not_honoured(d: &Dedup, constraints: &[crate::matching::firm::Constraint], ids: &[i64]) -> Vec<i64> {
    use crate::matching::firm::ConstraintKind;
    use crate::matching::score::Level;
    let g = &d.grouping;
    let group = |c: u32, level: Level| {
        let e = g.entity_of_card[c as usize];
        if level == Level::Entity { e } else { g.firm_of_entity[e as usize] }
    };
    constraints
        .iter()
        .zip(ids)
        .filter(|(c, _)| c.kind == ConstraintKind::Split)
        .filter(|(c, _)| c.a.iter().any(|&x| c.b.iter().any(|&y| group(x, c.level) == group(y, c.level))))
        .map(|(_, id)| *id)
        .collect()
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
        row.extend([
            c.change.name().to_string(),
            c.firm_id.clone(),
            c.other_id.clone(),
            c.card_id.clone(),
            c.detail.clone(),
        ]);
    })?;
    w.finish()?;
    Ok(())
}
