//! `firmdedup synth`: a labelled synthetic CRM base.

use std::time::Instant;

use anyhow::Context;

use crate::cli::{SynthArgs, SynthFormat};
use crate::cmd::Exit;
use crate::synth::{self, Formats, Rates, SynthOptions};

/// Runs `synth`.
pub fn run(args: &SynthArgs, dict: &crate::dict::Dictionaries, quiet: bool) -> anyhow::Result<Exit> {
    let Some(rates) = Rates::profile(&args.profile, args.seed) else {
        anyhow::bail!("--profile {:?}: unknown; use one of {} or random", args.profile, synth::PROFILES.join(", "));
    };
    if args.print_rates {
        crate::cmd::say(&serde_json::to_string_pretty(&rates)?)?;
        return Ok(Exit::Success);
    }
    let (Some(cards), Some(out)) = (args.cards, &args.out) else {
        anyhow::bail!("--cards and --out are required");
    };
    if cards == 0 {
        anyhow::bail!("--cards 0: give at least 1");
    }
    let today = chrono::NaiveDate::parse_from_str(&args.today, "%Y-%m-%d")
        .with_context(|| format!("--today {:?}: expected YYYY-MM-DD", args.today))?;
    let formats = Formats {
        canonical: args.formats.contains(&SynthFormat::Canonical),
        bitrix: args.formats.contains(&SynthFormat::Bitrix),
    };
    let t = Instant::now();
    let opts = SynthOptions { cards, seed: args.seed, today, rates };
    let base = synth::generate(&opts);
    let gen_ms = t.elapsed().as_millis();
    synth::write(&base, out, formats).with_context(|| format!("writing {}", out.display()))?;
    if let Some(n) = args.queries {
        let q = synth::queries(&base, &opts, n, dict);
        synth::write_queries(&q, out).with_context(|| format!("writing {}", out.join("queries.csv").display()))?;
    }
    if !quiet {
        eprintln!(
            "{} cards, {} legal entities, {} firms (seed {}); generated in {} ms, written in {} ms to {}",
            base.cards.len(),
            base.entities,
            base.firms,
            args.seed,
            gen_ms,
            t.elapsed().as_millis() - gen_ms,
            out.display()
        );
    }
    Ok(Exit::Success)
}
