//! `firmdedup explain`: why two cards are, or are not, together.

use crate::cli::ExplainArgs;
use crate::cmd::{Exit, ingest_options, load_config};
use crate::dict::Dictionaries;
use crate::firm;
use crate::pipeline::{self, Timing};
use crate::progress::Progress;

/// Runs `explain`.
pub fn run(args: &ExplainArgs, dict: &Dictionaries) -> anyhow::Result<Exit> {
    let opts = ingest_options(&args.input)?;
    let cfg = load_config(args.config.as_deref())?;
    let (_, cards) = pipeline::read_ordered(&args.input.input, &opts, dict)?;
    let find = |id: &str| {
        cards
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(|| anyhow::anyhow!("{}: no card with id {id:?}", args.input.input.display()))
    };
    let (a, b) = (find(&args.a)?, find(&args.b)?);
    let (cards, norm, grouping) =
        pipeline::match_cards(cards, &cfg, dict, &[], Progress::hidden(), &mut Timing::default());
    let mut text = String::new();
    for i in [a, b] {
        let c = &cards[i];
        let n = &norm[i];
        text.push_str(&format!(
            "card {}: {} | ИНН {} | phones {} | emails {} | site {} | contacts {}\n",
            c.id,
            c.name,
            n.ids.inn.as_deref().or(n.ids.inn_invalid.as_deref()).unwrap_or("-"),
            n.phones.iter().map(|p| p.number.as_str()).collect::<Vec<_>>().join(", "),
            n.emails.iter().map(|e| e.address.as_str()).collect::<Vec<_>>().join(", "),
            n.website.as_deref().unwrap_or("-"),
            n.contacts.iter().map(|p| p.display()).collect::<Vec<_>>().join(", ")
        ));
    }
    text.push_str(&firm::explain_pair(&grouping, &norm, &cfg, a as u32, b as u32));
    // Names and evidence quote the data: no escape sequence of theirs reaches the terminal.
    print!("{}", crate::sanitize::terminal_lines(&text));
    Ok(Exit::Success)
}
