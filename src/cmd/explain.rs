//! `firmdedup explain`: why two cards are, or are not, together.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::cli::ExplainArgs;
use crate::cmd::{Exit, ingest_options, load_config};
use crate::dict::Dictionaries;
use crate::matching::firm;
use crate::pipeline;
use crate::progress::Progress;

/// Runs `explain`.
pub fn run(args: &ExplainArgs, dict: &Dictionaries) -> anyhow::Result<Exit> {
    let opts = ingest_options(&args.input)?;
    let cfg = load_config(args.config.as_deref())?;
    let (_, cards) = pipeline::read_ordered(&args.input.input, &opts, dict)?;
    let index: rustc_hash::FxHashMap<&str, usize> = cards.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
    let find = |id: &str| {
        index.get(id).copied().ok_or_else(|| anyhow::anyhow!("{}: no card with id {id:?}", args.input.input.display()))
    };
    // The pairs asked, as card indices; every id is checked before the base is matched.
    let asked: Vec<(String, String)> = match (&args.pairs, &args.a, &args.b) {
        (Some(file), _, _) => read_pairs(file)?,
        (None, Some(a), Some(b)) => vec![(a.clone(), b.clone())],
        _ => anyhow::bail!("give two card ids, or --pairs FILE"),
    };
    let pairs: Vec<(usize, usize)> =
        asked.iter().map(|(a, b)| Ok((find(a)?, find(b)?))).collect::<anyhow::Result<_>>()?;
    drop(index);
    let (cards, norm) = pipeline::normalize_all(cards, dict, Progress::hidden());
    let grouping = firm::group_explained(&norm, &cfg, &[]);
    let mut out = std::io::stdout().lock();
    for (k, &(a, b)) in pairs.iter().enumerate() {
        let mut text = String::new();
        if args.pairs.is_some() {
            if k > 0 {
                text.push('\n');
            }
            text.push_str(&format!("== {} {}\n", cards[a].id, cards[b].id));
        }
        for i in [a, b] {
            let c = &cards[i];
            let n = &norm[i];
            text.push_str(&format!(
                "card {}: {} | ИНН {} | phones {} | emails {} | site {} | contacts {}\n",
                c.id,
                c.name,
                n.ids.inn().or(n.ids.inn_invalid()).unwrap_or("-"),
                n.phones.iter().map(|p| p.number.as_str()).collect::<Vec<_>>().join(", "),
                n.emails.iter().map(|e| e.address.as_str()).collect::<Vec<_>>().join(", "),
                n.website.as_deref().unwrap_or("-"),
                n.contacts.iter().map(|p| p.display()).collect::<Vec<_>>().join(", ")
            ));
        }
        text.push_str(&firm::explain_pair(&grouping, &norm, &cfg, a as u32, b as u32));
        // Names and evidence quote the data: no escape sequence of theirs reaches the terminal.
        out.write_all(crate::sanitize::terminal_lines(&text).as_bytes())?;
    }
    out.flush()?;
    Ok(Exit::Success)
}

/// Reads the `card_a`, `card_b` columns of a CSV (links.csv, review.csv).
fn read_pairs(file: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut rd = csv::Reader::from_path(file).with_context(|| format!("{}: cannot read the pairs", file.display()))?;
    let headers = rd.headers().with_context(|| format!("{}: no header row", file.display()))?.clone();
    let col = |name: &str| {
        headers.iter().position(|h| h == name).ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no column {name:?} (a CSV with card_a and card_b columns, as links.csv)",
                file.display()
            )
        })
    };
    let (ia, ib) = (col("card_a")?, col("card_b")?);
    let mut pairs = Vec::new();
    for row in rd.records() {
        let row = row.with_context(|| format!("{}: unreadable row", file.display()))?;
        let line = row.position().map_or(0, |p| p.line());
        let (a, b) = (row.get(ia).unwrap_or(""), row.get(ib).unwrap_or(""));
        if a.is_empty() || b.is_empty() {
            anyhow::bail!("{}: line {line}: card_a and card_b must both be given", file.display());
        }
        pairs.push((a.to_string(), b.to_string()));
    }
    Ok(pairs)
}
