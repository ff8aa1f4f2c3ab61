//! `firmdedup dedup`: the batch run over a CRM export.

use std::time::Instant;

use anyhow::Context;

use crate::cli::DedupArgs;
use crate::cmd::{Exit, ingest_options, load_config, with_threads};
use crate::dict::Dictionaries;
use crate::pipeline;
use crate::progress::Progress;
use crate::report::dedup::{self as out, Ids, NoColumns};

/// Runs `dedup`.
pub fn run(args: &DedupArgs, dict: &Dictionaries, quiet: bool) -> anyhow::Result<Exit> {
    let opts = ingest_options(&args.input)?;
    let cfg = load_config(args.config.as_deref())?;
    let progress = Progress::new(quiet);
    let threads = args.threads.unwrap_or_else(rayon::current_num_threads);
    with_threads(args.threads, || -> anyhow::Result<Exit> {
        let mut d = pipeline::dedup(&args.input.input, &opts, &cfg, dict, progress)?;
        let t = Instant::now();
        std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
        let entity_ids = out::batch_ids('E', d.grouping.n_entities);
        let firm_ids = out::batch_ids('F', d.grouping.n_firms);
        let ids = Ids { entity: &entity_ids, firm: &firm_ids };
        let dir = &args.out;
        let ctx = |f: &str| format!("writing {}", dir.join(f).display());
        out::write_cards(dir, &d, &ids).with_context(|| ctx("cards.csv"))?;
        out::write_entities(dir, &d, &ids).with_context(|| ctx("entities.csv"))?;
        out::write_firms(dir, &d, &ids, &NoColumns).with_context(|| ctx("firms.csv"))?;
        out::write_links(dir, &d).with_context(|| ctx("links.csv"))?;
        let rejects = dir.join("rejects.csv");
        if !d.ingest.rejects.is_empty() {
            crate::report::write_rejects(&rejects, &d.ingest.rejects).with_context(|| ctx("rejects.csv"))?;
        } else if rejects.exists() {
            // A rejects file from an earlier run would describe rows of another input.
            std::fs::remove_file(&rejects).with_context(|| format!("removing stale {}", rejects.display()))?;
        }
        d.timing.write_ms = t.elapsed().as_millis() as u64;
        let summary = out::summary_json(&d, &cfg, threads, serde_json::json!({}));
        out::write_summary(dir, &summary).with_context(|| ctx("summary.json"))?;
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
                dir.display()
            );
        }
        Ok(Exit::Success)
    })?
}
