//! From candidate pairs to legal entities and firms, with the evidence for every link.
//!
//! 1. Cards that share a valid ИНН (or ОГРН) are one legal entity from the start (`block`).
//! 2. A group without a usable ИНН joins a legal entity on strong combined evidence (near-identical name plus a
//!    shared contact); two different valid ИНН are never one legal entity.
//! 3. Legal entities are joined into firms on firm-level evidence (brand, corporate domain or website,
//!    decision-maker, phone, a shared name root backed by a second signal).
//!
//! Both levels cluster with the rules of [`crate::matching::cluster`] (strongest first, vetoes, chaining guard).

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::config::Config;
use crate::matching::block::{self, Node, Prepared};
use crate::matching::cluster::{self, Link, Outcome};
use crate::matching::score::{self, Level, Scored};
use crate::normalize::NormCard;
use crate::report::review::{self, GreyPair};

pub use crate::matching::constraints::{Constraint, ConstraintKind};
use crate::matching::constraints::{SplitVeto, must_pairs, split_tags};
pub use crate::matching::evidence::{Evidence, EvidencePart, LinkRecord};
use crate::matching::evidence::{hard_evidence, link_record};
pub use crate::matching::explain::explain_pair;
/// Matching statistics for the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MatchStats {
    /// Node pairs scored for the legal-entity level.
    pub entity_pairs_scored: u64,
    /// Of them, accepted as links.
    pub entity_candidates: u64,
    /// Entity pairs scored for the firm level.
    pub firm_pairs_scored: u64,
    /// Of them, accepted as links.
    pub firm_candidates: u64,
    /// Links refused because the two sides have different valid ИНН.
    pub vetoed_two_inn: u64,
    /// Links refused by a split override.
    pub vetoed_by_override: u64,
    /// Links held back by the chaining guard.
    pub guarded: u64,
    /// Guarded links that a second member pair confirmed.
    pub confirmed_by_second_pair: u64,
    /// Links made, per level and signal.
    pub links_by_signal: Vec<(String, u64)>,
    /// ОГРН found on cards with different ИНН (not joined).
    pub ogrn_conflicts: u64,
    /// Rounds of firm clustering run.
    pub firm_rounds: u32,
    /// What the base's own cards with ИНН taught: whether a distinctive name alone joins cards without ИНН.
    pub learned_name_alone: crate::matching::learn::NameAloneStats,
    /// What they taught about close names: with which kinds of shared value they make one legal entity.
    pub learned_close_names: crate::matching::learn::CloseNameStats,
    /// What the base's cards with ИНН taught about e-mails spelling a contact's surname.
    pub learned_mail_person: crate::matching::mail_person::MailPersonStats,
    /// Whether two legal entities alone writing a name join though their contacts differ, and what taught it.
    pub learned_differing_contacts: crate::matching::learn::DifferingContactsStats,
    /// Time per matching stage, milliseconds (reported under `timing_ms` in the summary).
    #[serde(skip)]
    pub stage_ms: Vec<(&'static str, u64)>,
}

/// The result of matching.
#[derive(Debug)]
pub struct Grouping {
    /// Legal entity of each card, `0..n_entities`, numbered by first card.
    pub entity_of_card: Vec<u32>,
    /// Firm of each legal entity, `0..n_firms`, numbered by first card.
    pub firm_of_entity: Vec<u32>,
    /// Number of legal entities.
    pub n_entities: usize,
    /// Number of firms.
    pub n_firms: usize,
    /// Every link made.
    pub links: Vec<LinkRecord>,
    /// Statistics.
    pub stats: MatchStats,
    /// Blocking internals (generic values, statistics).
    pub prepared: Prepared,
    /// Near-threshold pairs and links applied over the chaining guard, for the administrator's review.
    pub grey: Vec<GreyPair>,
    /// Only from [`group_explained`]: the blocking data with the value counts the legal-entity level was decided
    /// with (`prepared` holds the counts of the last firm round).
    pub entity_stage: Option<Box<Prepared>>,
}

impl Grouping {
    /// The firm of card `c`.
    pub fn firm_of_card(&self, c: usize) -> u32 {
        self.firm_of_entity[self.entity_of_card[c] as usize]
    }

    /// The firm of every card, in card order.
    pub fn firms_of_cards(&self) -> Vec<u32> {
        self.entity_of_card.iter().map(|&e| self.firm_of_entity[e as usize]).collect()
    }
}

/// The distinctive root of a node's main name when it is rare in the base (few legal entities carry it).
fn node_root(p: &Prepared, nd: &Node, cfg: &Config) -> Option<u32> {
    let v = nd.names.first()?;
    let (_, &t) = v.tokens.iter().enumerate().find(|(i, t)| {
        let w = &p.tokens[**t as usize];
        !v.is_generic(*i) && w.chars().count() >= 4 && !w.bytes().all(|b| b.is_ascii_digit())
    })?;
    (p.token_df[t as usize] <= cfg.generic.rare_root_entities).then_some(t)
}

/// Counting units for firm-level frequencies: legal entities joined when they are in one firm already
/// (`firm_of_entity`, from the previous round) or share a rare name root.
fn firm_units(
    entity_of_node: &[u32],
    n_entities: usize,
    firm_of_entity: Option<&[u32]>,
    root_of_node: &[Option<u32>],
) -> Vec<u32> {
    let mut uf = cluster::UnionFind::new(n_entities);
    if let Some(f) = firm_of_entity {
        let mut first: FxHashMap<u32, u32> = FxHashMap::default();
        for (e, &firm) in f.iter().enumerate() {
            let r = *first.entry(firm).or_insert(e as u32);
            uf.union(r, e as u32);
        }
    }
    let mut by_root: FxHashMap<u32, u32> = FxHashMap::default();
    for (nd, root) in root_of_node.iter().enumerate() {
        if let Some(t) = root {
            let e = entity_of_node[nd];
            let r = *by_root.entry(*t).or_insert(e);
            uf.union(r, e);
        }
    }
    entity_of_node.iter().map(|&e| uf.find(e)).collect()
}

/// One round of firm clustering.
struct FirmRound {
    clustering: cluster::Clustering,
    scored: Vec<(u32, u32, Scored)>,
    firm_of_entity: Vec<u32>,
    n_firms: usize,
    merged: FxHashMap<u32, Node>,
    vetoed_split: u64,
    /// Pairs scored just below the threshold (for the review).
    near: Vec<(u32, u32, Scored)>,
}

fn firm_round(
    p: &Prepared,
    cfg: &Config,
    nodes_of_entity: &[Vec<u32>],
    firm_pairs: &[(u32, u32)],
    n_entities: usize,
    f_must: &[(u32, u32)],
    tags: Vec<Vec<(u32, bool)>>,
) -> FirmRound {
    // Entity features: single-node entities use their node; others are merged, those of a candidate pair only.
    let mut in_pairs = vec![false; n_entities];
    for &(a, b) in firm_pairs {
        (in_pairs[a as usize], in_pairs[b as usize]) = (true, true);
    }
    let merged: FxHashMap<u32, Node> = nodes_of_entity
        .par_iter()
        .enumerate()
        .filter(|(e, ns)| ns.len() > 1 && in_pairs[*e])
        .map(|(e, ns)| (e as u32, merge_nodes(&ns.iter().map(|&n| &p.nodes[n as usize]).collect::<Vec<_>>())))
        .collect();
    let ent_node =
        |e: u32| -> &Node { merged.get(&e).unwrap_or_else(|| &p.nodes[nodes_of_entity[e as usize][0] as usize]) };
    // Only the pairs that link or come near are kept (a tenth of those scored): the others' evidence is freed as
    // soon as it is scored.
    let kept: Vec<(u32, u32, Scored)> = firm_pairs
        .par_iter()
        .filter_map(|&(a, b)| {
            let s = score::score(p, cfg, ent_node(a), ent_node(b), Level::Firm);
            (score::is_firm_link(cfg, &s) || review::near_firm(cfg, &s)).then_some((a, b, s))
        })
        .collect();
    let mut links: Vec<Link> = Vec::new();
    let mut scored: Vec<(u32, u32, Scored)> = Vec::new();
    let mut near: Vec<(u32, u32, Scored)> = Vec::new();
    for (a, b, s) in kept {
        if !score::is_firm_link(cfg, &s) {
            near.push((a, b, s));
            continue;
        }
        links.push(Link { a, b, score: s.score, signals: s.signals });
        scored.push((a, b, s));
    }
    let mut veto = SplitVeto { tags, inn: None, vetoed_inn: 0, vetoed_split: 0 };
    let mut clustering =
        cluster::cluster(n_entities, &vec![1; n_entities], f_must, &links, cfg.thresholds.chain_guard_size, &mut veto);
    let (firm_of_entity, n_firms) = clustering.uf.labels();
    FirmRound { clustering, scored, firm_of_entity, n_firms, merged, vetoed_split: veto.vetoed_split, near }
}

/// Merges several nodes into one (for a legal entity of several proto-entities).
pub(super) fn merge_nodes(nodes: &[&Node]) -> Node {
    let mut keys: Vec<(u64, u32)> = nodes.iter().flat_map(|n| n.keys.iter().copied()).collect();
    keys.sort_unstable();
    keys.dedup_by_key(|k| k.0);
    let mut cards: smallvec::SmallVec<[u32; 1]> = nodes.iter().flat_map(|n| n.cards.iter().copied()).collect();
    cards.sort_unstable();
    let mut names: smallvec::SmallVec<[block::NameVar; 1]> = smallvec::SmallVec::new();
    let mut brands: Vec<block::NameVar> = Vec::new();
    for n in nodes {
        for v in &n.names {
            match names.iter_mut().find(|x| x.compact == v.compact && x.tokens == v.tokens) {
                Some(x) => x.count += v.count,
                None => names.push(v.clone()),
            }
        }
        for v in &n.brands {
            match brands.iter_mut().find(|x| x.compact == v.compact && x.tokens == v.tokens) {
                Some(x) => x.count += v.count,
                None => brands.push(v.clone()),
            }
        }
    }
    names.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.compact.cmp(&b.compact)));
    names.truncate(block::MAX_VARIANTS);
    brands.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.compact.cmp(&b.compact)));
    brands.truncate(block::MAX_VARIANTS);
    let mut persons: Vec<block::PersonLite> = nodes.iter().flat_map(|n| n.persons.iter().cloned()).collect();
    persons.sort();
    persons.dedup();
    persons.truncate(16);
    Node {
        cards,
        inn: nodes.iter().find_map(|n| n.inn.clone()),
        keys: keys.into_boxed_slice(),
        names,
        brands: brands.into_boxed_slice(),
        persons: persons.into_boxed_slice(),
    }
}

/// Groups cards into legal entities and firms. `norm` must be in canonical card order; `constraints` are the
/// administrator's decisions, with card indices.
pub fn group(norm: &[NormCard], cfg: &Config, constraints: &[Constraint]) -> Grouping {
    group_with(norm, cfg, constraints, false)
}

/// As [`group`], and keeps what [`explain_pair`] needs to score the legal-entity level as it was decided: the
/// value counts are counted again in firms after that level, so scoring it from `prepared` would disagree with
/// the links made.
pub fn group_explained(norm: &[NormCard], cfg: &Config, constraints: &[Constraint]) -> Grouping {
    group_with(norm, cfg, constraints, true)
}

fn group_with(norm: &[NormCard], cfg: &Config, constraints: &[Constraint], keep_entity_stage: bool) -> Grouping {
    let mut laps = crate::timing::Laps::new();
    let mut p = block::prepare(norm, cfg);
    laps.lap("block");
    let mut stats = MatchStats {
        ogrn_conflicts: p.ogrn_conflicts as u64,
        learned_name_alone: p.name_alone.clone(),
        learned_close_names: p.close_names.clone(),
        learned_mail_person: p.mail_person.clone(),
        learned_differing_contacts: p.differing_contacts.clone(),
        ..MatchStats::default()
    };

    // --- Legal entities: nodes joined on strong combined evidence. Pairs of two ИНН nodes are never one.
    let mut entity_pairs: Vec<(u32, u32)> = p
        .pairs
        .iter()
        .copied()
        .filter(|&(a, b)| p.nodes[a as usize].inn.is_none() || p.nodes[b as usize].inn.is_none())
        .collect();
    // Plus the pairs a unique distinctive name alone may join (see `block::Prepared::unique_name_pairs`).
    entity_pairs.extend_from_slice(&p.unique_name_pairs);
    // And the pairs of one name joined by an e-mail spelling a contact's surname (`mail_person`).
    entity_pairs.extend(p.mail_pairs.iter().map(|m| (m.a, m.b)));
    entity_pairs.par_sort_unstable();
    entity_pairs.dedup();
    stats.entity_pairs_scored = entity_pairs.len() as u64;
    // Each pair scored: (score, whether it is a link); pairs near the threshold are kept for the review.
    let entity_scored: Vec<(u32, u32, Scored, bool)> = entity_pairs
        .par_iter()
        .filter_map(|&(a, b)| {
            let (x, y) = (&p.nodes[a as usize], &p.nodes[b as usize]);
            let unique = p.is_unique_name_pair(a, b);
            let mail = p.mail_pair(a, b);
            if !unique && mail.is_none() && cfg.thresholds.entity_needs_contact && !score::shares_contact(x, y) {
                return None;
            }
            let mut s = score::score(&p, cfg, x, y, Level::Entity);
            if let Some(m) = mail {
                score::with_mail_person(cfg, &mut s, m);
            }
            let link = score::joins_entities(cfg, &s, unique);
            (link || review::near_entity(cfg, &s)).then_some((a, b, s, link))
        })
        .collect();
    let mut e_links: Vec<Link> = Vec::new();
    let mut e_scored: Vec<(u32, u32, Scored)> = Vec::new();
    let mut grey: Vec<GreyPair> = Vec::new();
    for (a, b, s, link) in entity_scored {
        if !link {
            let r = link_record(Level::Entity, &p, norm, cfg, &p.nodes[a as usize], &p.nodes[b as usize], &s);
            grey.push(review::near(cfg.thresholds.entity, r));
            continue;
        }
        e_links.push(Link { a, b, score: s.score, signals: s.signals });
        e_scored.push((a, b, s));
    }
    stats.entity_candidates = e_links.len() as u64;
    laps.lap("score_entities");
    let entity_constraints: Vec<&Constraint> = constraints.iter().filter(|c| c.level == Level::Entity).collect();
    // Two cards that may not share a firm may not share a legal entity either: every split applies here.
    let e_split: Vec<&Constraint> = constraints.iter().filter(|c| c.kind == ConstraintKind::Split).collect();
    let e_must: Vec<&Constraint> =
        entity_constraints.iter().copied().filter(|c| c.kind == ConstraintKind::Link).collect();
    let n_nodes = p.nodes.len();
    let mut veto = SplitVeto {
        tags: split_tags(n_nodes, &p.node_of_card, &e_split),
        inn: Some(p.nodes.iter().map(|n| n.inn.as_deref()).collect()),
        vetoed_inn: 0,
        vetoed_split: 0,
    };
    let must = must_pairs(&p.node_of_card, &e_must);
    let mut ec =
        cluster::cluster(n_nodes, &vec![1; n_nodes], &must, &e_links, cfg.thresholds.chain_guard_size, &mut veto);
    // Cards that carry nothing but a distinctive name join the one legal entity writing it, now that the others
    // of that name are seen grouped (`Prepared::bare_name_pairs`).
    let (entity_of_node, _) = ec.uf.labels();
    let bare_pairs = p.bare_name_pairs(norm, &entity_of_node);
    let mut bare_joined: Vec<(u32, u32, Scored)> = Vec::new();
    for &(a, b) in &bare_pairs {
        let s = score::score(&p, cfg, &p.nodes[a as usize], &p.nodes[b as usize], Level::Entity);
        if score::is_unique_name_link(&s) && ec.join_after(&mut veto, a, b) {
            bare_joined.push((a, b, s));
        }
    }
    stats.learned_name_alone.joined_once_grouped = bare_joined.len() as u64;
    let (entity_of_node, n_entities) = ec.uf.labels();
    stats.vetoed_two_inn += veto.vetoed_inn;
    stats.vetoed_by_override += veto.vetoed_split;
    stats.guarded += ec.outcomes.iter().filter(|o| **o == Outcome::Guarded).count() as u64;
    stats.confirmed_by_second_pair += ec.confirmed_by_second_pair as u64;
    let entity_of_card: Vec<u32> = p.node_of_card.iter().map(|&nd| entity_of_node[nd as usize]).collect();
    for &i in &ec.confirmed_links {
        let (a, b, s) = &e_scored[i];
        grey.push(review::over_guard(
            cfg.thresholds.entity,
            link_record(Level::Entity, &p, norm, cfg, &p.nodes[*a as usize], &p.nodes[*b as usize], s),
        ));
    }
    // The joined pairs' scores are kept for their link records, made once the firm rounds are done: a score's
    // pieces carry the frequencies that decided the link, and are a third of the size of the record's texts.
    let joined_e: Vec<(u32, u32, Scored)> = e_scored
        .into_iter()
        .zip(&ec.outcomes)
        .filter(|(_, o)| **o == Outcome::Joined)
        .map(|(x, _)| x)
        .chain(bare_joined)
        .collect();
    // What only the legal-entity level needed is freed before the firm rounds allocate theirs.
    drop((entity_pairs, e_links, ec, veto));
    laps.lap("cluster_entities");
    p.grouped_name_pairs = bare_pairs;
    let entity_stage = keep_entity_stage.then(|| Box::new(p.clone()));
    p.recount(&entity_of_node, cfg, true);
    laps.lap("recount");

    let mut nodes_of_entity: Vec<Vec<u32>> = vec![Vec::new(); n_entities];
    for (nd, &e) in entity_of_node.iter().enumerate() {
        nodes_of_entity[e as usize].push(nd as u32);
    }
    // --- Firms: entity pairs from the candidate node pairs.
    let mut firm_pairs: Vec<(u32, u32)> = p
        .pairs
        .par_iter()
        .filter_map(|&(a, b)| {
            let (ea, eb) = (entity_of_node[a as usize], entity_of_node[b as usize]);
            (ea != eb).then_some((ea.min(eb), ea.max(eb)))
        })
        .collect();
    firm_pairs.par_sort_unstable();
    firm_pairs.dedup();
    stats.firm_pairs_scored = firm_pairs.len() as u64;
    let firm_constraints: Vec<&Constraint> = constraints.iter().filter(|c| c.level == Level::Firm).collect();
    let f_split: Vec<&Constraint> =
        firm_constraints.iter().copied().filter(|c| c.kind == ConstraintKind::Split).collect();
    // An entity-level link also holds at the firm level.
    let f_must_c: Vec<&Constraint> = constraints.iter().filter(|c| c.kind == ConstraintKind::Link).collect();
    let f_must = must_pairs(&entity_of_card, &f_must_c);
    let split_tags_f = split_tags(n_entities, &entity_of_card, &f_split);

    // Round by round: after each, values are counted again in firms found so far, so a value carried by the
    // three legal entities of one client stops looking like one carried by three strangers.
    let rounds = cfg.thresholds.firm_rounds.max(1);
    let mut last: Option<FirmRound> = None;
    // Firm-level weights count the carriers of a value in units that already look like one client: legal
    // entities of one firm so far, and legal entities sharing a rare name root ("Фледер Холдинг", "Фледер
    // Логистик"). A domain on the four companies of one holding is not a domain on four strangers.
    let root_of_node: Vec<Option<u32>> = p.nodes.iter().map(|nd| node_root(&p, nd, cfg)).collect();
    for round in 0..rounds {
        // Only the previous round's firms are needed from here on: its scores and merged nodes are freed before
        // the next round allocates its own.
        let prev: Option<Vec<u32>> = last.take().map(|r| r.firm_of_entity);
        let units = firm_units(&entity_of_node, n_entities, prev.as_deref(), &root_of_node);
        p.recount(&units, cfg, false);
        let r = firm_round(&p, cfg, &nodes_of_entity, &firm_pairs, n_entities, &f_must, split_tags_f.clone());
        stats.firm_rounds += 1;
        laps.lap(if round == 0 { "firm_round_1" } else { "firm_round_2+" });
        let stable = prev.is_some_and(|prev| prev == r.firm_of_entity);
        last = Some(r);
        if stable || round + 1 == rounds {
            break;
        }
    }
    let Some(FirmRound { clustering: fc, scored: f_scored, firm_of_entity, n_firms, merged, vetoed_split, near }) =
        last
    else {
        unreachable!("at least one round runs")
    };
    // The postings only served counting values again between rounds: freed before the link records are made.
    p.weighted_postings = Vec::new();
    let p = p;
    stats.firm_candidates = f_scored.len() as u64;
    stats.vetoed_by_override += vetoed_split;
    stats.guarded += fc.outcomes.iter().filter(|o| **o == Outcome::Guarded).count() as u64;
    stats.confirmed_by_second_pair += fc.confirmed_by_second_pair as u64;
    let ent_node =
        |e: u32| -> &Node { merged.get(&e).unwrap_or_else(|| &p.nodes[nodes_of_entity[e as usize][0] as usize]) };

    // --- Link records. The firm level's first, from the merged nodes, which are freed with the rounds' scores
    // before the card-level links are made.
    let joined_f: Vec<&(u32, u32, Scored)> =
        f_scored.iter().zip(&fc.outcomes).filter(|(_, o)| **o == Outcome::Joined).map(|(x, _)| x).collect();
    let f_records: Vec<LinkRecord> = joined_f
        .par_iter()
        .map(|(a, b, s)| link_record(Level::Firm, &p, norm, cfg, ent_node(*a), ent_node(*b), s))
        .collect();
    for (a, b, s) in &near {
        grey.push(review::near(
            cfg.thresholds.firm,
            link_record(Level::Firm, &p, norm, cfg, ent_node(*a), ent_node(*b), s),
        ));
    }
    for &i in &fc.confirmed_links {
        let (a, b, s) = &f_scored[i];
        grey.push(review::over_guard(
            cfg.thresholds.firm,
            link_record(Level::Firm, &p, norm, cfg, ent_node(*a), ent_node(*b), s),
        ));
    }
    drop(joined_f);
    drop((merged, f_scored, fc, near, firm_pairs, nodes_of_entity));
    let e_records: Vec<LinkRecord> = joined_e
        .par_iter()
        .map(|(a, b, s)| link_record(Level::Entity, &p, norm, cfg, &p.nodes[*a as usize], &p.nodes[*b as usize], s))
        .collect();
    drop(joined_e);
    let mut by_signal: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    // Sized once: grown by doubling, a million cards' links would hold room for twice as many to the end of the run.
    let hard: usize = p.nodes.iter().map(|nd| nd.cards.len() - 1).sum();
    let overrides = constraints.iter().filter(|c| c.kind == ConstraintKind::Link).count();
    let mut links: Vec<LinkRecord> = Vec::with_capacity(hard + e_records.len() + f_records.len() + overrides);
    for nd in &p.nodes {
        let first = nd.cards[0];
        for &c in &nd.cards[1..] {
            let (ev, sig) = hard_evidence(&norm[first as usize], &norm[c as usize]);
            *by_signal.entry(format!("entity:{sig}")).or_default() += 1;
            links.push(LinkRecord {
                level: Level::Entity,
                a: first,
                b: c,
                score: 0.0,
                evidence: ev,
                signals: smallvec::smallvec![sig],
            });
        }
    }
    for r in e_records.iter().chain(&f_records) {
        for s in &r.signals {
            *by_signal.entry(format!("{}:{s}", r.level)).or_default() += 1;
        }
    }
    links.extend(e_records);
    links.extend(f_records);
    for c in constraints.iter().filter(|c| c.kind == ConstraintKind::Link) {
        if let (Some(&a), Some(&b)) = (c.a.first(), c.b.first()) {
            *by_signal.entry(format!("{}:override", c.level)).or_default() += 1;
            links.push(LinkRecord {
                level: c.level,
                a: a.min(b),
                b: a.max(b),
                score: 0.0,
                evidence: Evidence::one(EvidencePart::Override),
                signals: smallvec::smallvec!["override"],
            });
        }
    }
    links.sort_by_key(|x| (x.level, x.a.min(x.b), x.a.max(x.b)));
    stats.links_by_signal = by_signal.into_iter().collect();
    laps.lap("explain_links");
    stats.stage_ms = laps.into_laps();

    Grouping { entity_of_card, firm_of_entity, n_entities, n_firms, links, stats, prepared: p, grey, entity_stage }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Card;
    use crate::dict::Dictionaries;
    use crate::matching::keys::KeyKind;
    use crate::normalize::normalize_card;

    #[test]
    fn evidence_reads_the_same_in_english_and_russian() {
        use EvidencePart as P;
        let s = |x: &str| crate::matching::evidence::Text::from(x);
        let table: Vec<(EvidencePart, &str, &str)> = vec![
            (P::SameInn { inn: s("7701123451"), kpp: None }, "same INN 7701123451", "тот же ИНН 7701123451"),
            (
                P::SameInn { inn: s("7701123451"), kpp: Some(Box::new((s("770101001"), s("771401001")))) },
                "same INN 7701123451 (another КПП: 770101001 / 771401001)",
                "тот же ИНН 7701123451 (другой КПП: 770101001 / 771401001)",
            ),
            (P::SameOgrn(s("1027700132195")), "same OGRN 1027700132195", "тот же ОГРН 1027700132195"),
            (P::InnGroup(s("7701123451")), "same INN/OGRN group (7701123451)", "та же группа ИНН/ОГРН (7701123451)"),
            (
                P::Shared { kind: KeyKind::Phone, value: s("+7 495 111-22-33"), generic: None },
                "shared phone +7 495 111-22-33",
                "общий телефон +7 495 111-22-33",
            ),
            (
                P::Shared { kind: KeyKind::Email, value: s("a@romashka.ru"), generic: Some((7, 0.41)) },
                "shared email a@romashka.ru (on 7 legal entities, weight 0.41)",
                "общий e-mail a@romashka.ru (у 7 юрлиц, вес 0.41)",
            ),
            (
                P::Shared {
                    kind: KeyKind::AddrOffice, value: s("москва тверская 1 оф 5"), generic: None
                },
                "same office москва тверская 1 оф 5",
                "тот же офис москва тверская 1 оф 5",
            ),
            (P::Person(s("Иванов И.И.")), "shared decision-maker Иванов И.И.", "общее ЛПР Иванов И.И."),
            (
                P::Name { a: s("ромашка"), b: s("ромашкa плюс"), sim: 0.875 },
                "name \"ромашка\" ~ \"ромашкa плюс\" 0.88",
                "название «ромашка» ~ «ромашкa плюс» (сходство 0.88)",
            ),
            (
                P::Root { word: s("Ромашка"), rarity: 0.9 },
                "shared name root \"Ромашка\" (rarity 0.90)",
                "общий корень названия «Ромашка» (редкость 0.90)",
            ),
            (
                P::BrandName { brand: s("Ромашка"), name: s("ООО Ромашка") },
                "brand «Ромашка» ~ name ООО Ромашка",
                "бренд «Ромашка» ~ название ООО Ромашка",
            ),
            (P::Override, "administrator's link override", "решение администратора: связать"),
            (
                P::NameUnlike(Box::new(crate::matching::evidence::NameUnlike {
                    inn: s("7701123451"),
                    a: s("лютик"),
                    b: s("ромашка"),
                    sim: 0.2,
                })),
                "same INN 7701123451, but name \"лютик\" is unlike \"ромашка\" (0.20)",
                "тот же ИНН 7701123451, но название «лютик» не похоже на «ромашка» (сходство 0.20)",
            ),
        ];
        for (part, en, ru) in &table {
            assert_eq!(part.en(), *en);
            assert_eq!(part.ru(), *ru);
        }
        // Pieces are joined by "; " in both languages, and the English text is what JSON and Display give.
        let ev = Evidence(smallvec::smallvec![table[4].0.clone(), table[7].0.clone()]);
        assert_eq!(ev.en(), "shared phone +7 495 111-22-33; shared decision-maker Иванов И.И.");
        assert_eq!(ev.ru(), "общий телефон +7 495 111-22-33; общее ЛПР Иванов И.И.");
        assert_eq!(ev.to_string(), ev.en());
        assert_eq!(serde_json::to_value(&ev).unwrap(), serde_json::json!(ev.en()));
    }

    fn inn10(prefix: &str) -> String {
        crate::normalize::ids::inn10_with_check(prefix).expect("nine digits")
    }

    fn run(cards: &[Card]) -> Grouping {
        let d = Dictionaries::embedded();
        let norm: Vec<NormCard> = cards.iter().map(|c| normalize_card(c, d)).collect();
        group(&norm, &Config::default(), &[])
    }

    #[test]
    fn different_valid_inns_are_never_one_entity() {
        let g = run(&[
            Card::sample("1", "ООО Ромашка", &inn10("770100001"), &["+7 495 111-11-11"], &["info@romashka.ru"]),
            Card::sample("2", "ООО Ромашка", &inn10("770100002"), &["+7 495 111-11-11"], &["info@romashka.ru"]),
            // No ИНН: matches both; joins one of them, never bridges the two.
            Card::sample("3", "Ромашка", "", &["+7 495 111-11-11"], &["info@romashka.ru"]),
        ]);
        assert_ne!(g.entity_of_card[0], g.entity_of_card[1]);
        assert!(g.entity_of_card[2] == g.entity_of_card[0] || g.entity_of_card[2] == g.entity_of_card[1]);
        assert_eq!(g.n_entities, 2);
        assert!(g.stats.vetoed_two_inn >= 1);
    }

    #[test]
    fn a_generic_phone_links_nothing() {
        let names = ["Лютик", "Колос", "Парус", "Заря", "Клевер", "Огонек", "Вега"];
        let cards: Vec<Card> = names
            .iter()
            .enumerate()
            .map(|(i, n)| Card::sample(&i.to_string(), n, &inn10(&format!("63160000{i}")), &["+7 846 300-00-00"], &[]))
            .collect();
        let g = run(&cards);
        assert_eq!(g.n_firms, names.len());
        assert_eq!(g.prepared.generic.len(), 1);
    }

    #[test]
    fn a_shared_phone_on_two_entities_makes_one_firm_on_six_none() {
        let two = run(&[
            Card::sample("1", "ООО Лютик", &inn10("631600001"), &["+7 846 300-00-01"], &[]),
            Card::sample("2", "ИП Петров Петр Петрович", "", &["+7 846 300-00-01"], &[]),
        ]);
        assert_eq!(two.n_firms, 1);
        assert_eq!(two.n_entities, 2);
    }

    #[test]
    fn a_name_alone_never_links() {
        let g = run(&[
            Card::sample("1", "ООО Ромашка Медиа Групп", "", &["+7 495 111-11-11"], &[]),
            Card::sample("2", "Ромашка Медиа Групп", "", &["+7 495 222-22-22"], &[]),
        ]);
        assert_eq!(g.n_entities, 2);
        assert_eq!(g.n_firms, 2);
    }

    #[test]
    fn a_common_name_with_a_shared_local_number_does_not_link() {
        // Two "Вектор" in different cities; their 7-digit numbers without area code coincide.
        let mut a = Card::sample("1", "Вектор", "", &["200-10-01"], &[]);
        let mut b = Card::sample("2", "Вектор", "", &["200-10-01"], &[]);
        a.address = vec!["г. Тюмень, ул. Ленина, д. 1".into()];
        b.address = vec!["г. Курган, ул. Мира, д. 2".into()];
        let g = run(&[a, b]);
        assert_eq!(g.n_entities, 2);
    }

    #[test]
    fn split_override_keeps_cards_apart_through_any_chain() {
        let cards = [
            Card::sample("1", "ООО Ромашка", &inn10("770100001"), &["+7 495 111-11-11"], &[]),
            Card::sample("2", "Ромашка", "", &["+7 495 111-11-11"], &["a@romashka.ru"]),
            Card::sample("3", "Ромашка", "", &[], &["a@romashka.ru"]),
        ];
        let d = Dictionaries::embedded();
        let norm: Vec<NormCard> = cards.iter().map(|c| normalize_card(c, d)).collect();
        let free = group(&norm, &Config::default(), &[]);
        assert_eq!(free.n_firms, 1);
        let split = Constraint { kind: ConstraintKind::Split, level: Level::Firm, a: vec![0], b: vec![2] };
        let g = group(&norm, &Config::default(), &[split]);
        assert_ne!(g.firm_of_entity[g.entity_of_card[0] as usize], g.firm_of_entity[g.entity_of_card[2] as usize]);
        let link = Constraint { kind: ConstraintKind::Link, level: Level::Firm, a: vec![0], b: vec![2] };
        let cards2 = [cards[0].clone(), Card::sample("9", "Совсем другая", "", &[], &[])];
        let norm2: Vec<NormCard> = cards2.iter().map(|c| normalize_card(c, d)).collect();
        let link = Constraint { a: vec![0], b: vec![1], ..link };
        let g = group(&norm2, &Config::default(), &[link]);
        assert_eq!(g.n_firms, 1);
        assert_eq!(g.n_entities, 2);
    }
}
