//! The dedup pipeline as one call: read, order, normalise, match, summarise. Used by `firmdedup dedup`, by the
//! benchmarks and by tests.

use std::path::Path;

use rayon::prelude::*;

use crate::card::{Card, CardText};
use crate::config::Config;
use crate::dict::Dictionaries;
use crate::groups::{self, EntitySummary, FirmSummary};
use crate::ingest::{self, IngestError, IngestOptions, Ingested};
use crate::matching::firm::{self, Constraint, Grouping};
use crate::normalize::{NormCard, normalize_card};
use crate::progress::Progress;
use crate::timing::Laps;

/// Orders card ids: numeric ids by value (shorter first), then the others alphabetically. Every output is in
/// this order, so the input's row order does not matter.
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    let num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (num(a), num(b)) {
        (true, true) => {
            let (ta, tb) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb)).then_with(|| a.cmp(b))
        }
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

/// Time spent per stage, in milliseconds.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Timing {
    /// Reading and decoding the export.
    pub read_ms: u64,
    /// Normalising values.
    pub normalize_ms: u64,
    /// Matching (blocking, scoring, clustering).
    pub match_ms: u64,
    /// Building entity and firm tables.
    pub summarize_ms: u64,
    /// Writing outputs (set by the caller).
    pub write_ms: u64,
    /// Matching, stage by stage.
    pub match_stages_ms: Vec<(&'static str, u64)>,
}

/// Everything a dedup run produced.
pub struct Dedup {
    /// What was read.
    pub ingest: Ingested,
    /// Cards in canonical order (by id): id and name as typed.
    pub cards: Vec<CardText>,
    /// Their normalised forms.
    pub norm: Vec<NormCard>,
    /// Entities and firms.
    pub grouping: Grouping,
    /// Entity rows.
    pub entities: Vec<EntitySummary>,
    /// Firm rows.
    pub firms: Vec<FirmSummary>,
    /// Stage timings.
    pub timing: Timing,
}

/// Reads an export and puts its cards in canonical order.
pub fn read_ordered(
    input: &Path,
    opts: &IngestOptions,
    dict: &Dictionaries,
) -> Result<(Ingested, Vec<Card>), IngestError> {
    let mut data = ingest::read_cards(input, opts, dict)?;
    for w in data.warnings() {
        eprintln!("warning: {}: {w}", input.display());
    }
    let mut cards = std::mem::take(&mut data.cards);
    cards.par_sort_by(|a, b| id_order(&a.id, &b.id));
    Ok((data, cards))
}

/// Normalises cards already in canonical order, consuming them: what each card's text becomes (its id and
/// name are kept; everything else lives on in the normalised form), so the raw text is freed as it goes.
pub fn normalize_all(cards: Vec<Card>, dict: &Dictionaries, progress: Progress) -> (Vec<CardText>, Vec<NormCard>) {
    let pb = progress.stage("normalize", cards.len() as u64);
    let out: (Vec<CardText>, Vec<NormCard>) = cards
        .into_par_iter()
        .map(|c| {
            let n = normalize_card(&c, dict);
            pb.inc(1);
            // Copies, not moves: a raw string kept would pin the memory page the reader put it on, and with a
            // million names kept so, the pages of all the raw text stay resident (~185 MB at 1M cards).
            (CardText { id: c.id.as_str().into(), name: c.name.as_str().to_owned() }, n)
        })
        .unzip();
    pb.finish_and_clear();
    out
}

/// Normalises and matches cards already in canonical order. `constraints` use card indices.
pub fn match_cards(
    cards: Vec<Card>,
    cfg: &Config,
    dict: &Dictionaries,
    constraints: &[Constraint],
    progress: Progress,
    timing: &mut Timing,
) -> (Vec<CardText>, Vec<NormCard>, Grouping) {
    let mut laps = Laps::new();
    let (texts, norm) = normalize_all(cards, dict, progress);
    timing.normalize_ms = laps.lap("normalize");
    let pb = progress.stage("match", 0);
    let grouping = firm::group(&norm, cfg, constraints);
    pb.finish_and_clear();
    timing.match_ms = laps.lap("match");
    timing.match_stages_ms = grouping.stats.stage_ms.clone();
    (texts, norm, grouping)
}

/// The whole batch pipeline on a file.
pub fn dedup(
    input: &Path,
    opts: &IngestOptions,
    cfg: &Config,
    dict: &Dictionaries,
    progress: Progress,
) -> Result<Dedup, IngestError> {
    let mut timing = Timing::default();
    let mut laps = Laps::new();
    let pb = progress.stage("read", 0);
    let (ingest, cards) = read_ordered(input, opts, dict)?;
    pb.finish_and_clear();
    timing.read_ms = laps.lap("read");
    Ok(group_ordered(ingest, cards, cfg, dict, &[], progress, timing))
}

/// Matches cards already read and in canonical order, frees what only matching needed, and summarises legal
/// entities and firms: everything after reading, shared by the batch and the nightly run.
pub fn group_ordered(
    ingest: Ingested,
    cards: Vec<Card>,
    cfg: &Config,
    dict: &Dictionaries,
    constraints: &[Constraint],
    progress: Progress,
    mut timing: Timing,
) -> Dedup {
    let (cards, norm, mut grouping) = match_cards(cards, cfg, dict, constraints, progress, &mut timing);
    grouping.prepared.release_matching_data();
    let mut laps = Laps::new();
    let (entities, firms) = groups::summarize(
        &norm,
        &grouping.entity_of_card,
        grouping.n_entities,
        &grouping.firm_of_entity,
        grouping.n_firms,
    );
    timing.summarize_ms = laps.lap("summarize");
    Dedup { ingest, cards, norm, grouping, entities, firms, timing }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_natural_order() {
        let mut ids = vec!["10", "9", "a2", "100", "a10", "009", "1"];
        ids.sort_by(|a, b| id_order(a, b));
        assert_eq!(ids, ["1", "009", "9", "10", "100", "a10", "a2"]);
    }
}
