//! From candidate pairs to legal entities and firms, with the evidence for every link.
//!
//! 1. Cards that share a valid ИНН (or ОГРН) are one legal entity from the start (`block`).
//! 2. A group without a usable ИНН joins a legal entity on strong combined evidence (near-identical name plus a
//!    shared contact); two different valid ИНН are never one legal entity.
//! 3. Legal entities are joined into firms on firm-level evidence (brand, corporate domain or website,
//!    decision-maker, phone, a shared name root backed by a second signal).
//!
//! Both levels cluster with the rules of [`crate::cluster`] (strongest first, vetoes, chaining guard).

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::block::{self, KeyKind, Node, Prepared, key_hash, kind_of};
use crate::cluster::{self, Link, Outcome, Veto};
use crate::config::Config;
use crate::normalize::NormCard;
use crate::report::review::{self, GreyPair};
use crate::score::{self, Level, Piece, Scored};

/// An administrator's decision that the matcher must follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// Link (join) or split (keep apart).
    pub kind: ConstraintKind,
    /// Entity or firm level.
    pub level: Level,
    /// Card indices on one side.
    pub a: Vec<u32>,
    /// Card indices on the other side.
    pub b: Vec<u32>,
}

/// Join or keep apart: an administrator's decision (`override link|split`). Written `link` / `split` in the
/// state, in `override list --json` and in the decisions CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    /// Must be together.
    Link,
    /// Must be apart, whatever the chain of links.
    Split,
}

impl ConstraintKind {
    /// The action's name in machine formats: `link` or `split`.
    pub fn name(self) -> &'static str {
        match self {
            ConstraintKind::Link => "link",
            ConstraintKind::Split => "split",
        }
    }
}

impl std::fmt::Display for ConstraintKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ConstraintKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "link" => Ok(ConstraintKind::Link),
            "split" => Ok(ConstraintKind::Split),
            _ => Err(format!("action must be link or split, not {s:?}")),
        }
    }
}

/// A link that was made, for `links.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkRecord {
    /// The level the link was made at.
    pub level: Level,
    /// Card index on one side.
    pub a: u32,
    /// Card index on the other side.
    pub b: u32,
    /// Score (hard links: 0).
    pub score: f32,
    /// The evidence, typed: written in English in the CSV files ([`Evidence::en`]) and in Russian on the
    /// administrator's page ([`Evidence::ru`]).
    pub evidence: Evidence,
    /// The signal groups behind it.
    pub signals: Vec<&'static str>,
}

/// One piece of evidence between two cards or groups, with the values it rests on. Both texts are rendered
/// from it: [`EvidencePart::en`] for links.csv and review.csv (stable), [`EvidencePart::ru`] for people.
#[derive(Debug, Clone, PartialEq)]
pub enum EvidencePart {
    /// The same ИНН, with the two КПП when they differ (branches).
    SameInn {
        /// The ИНН.
        inn: String,
        /// The two КПП, when they differ.
        kpp: Option<(String, String)>,
    },
    /// The same ОГРН.
    SameOgrn(String),
    /// In one ИНН/ОГРН group through other cards.
    InnGroup(String),
    /// A shared contact or address value.
    Shared {
        /// What kind of value.
        kind: KeyKind,
        /// The value as shown.
        value: String,
        /// For a value carried by many legal entities: how many, and the weight it got.
        generic: Option<(u32, f32)>,
    },
    /// A shared decision-maker (as written on each side, once when alike).
    Person(String),
    /// Similar names, with their similarity.
    Name {
        /// One side's name.
        a: String,
        /// The other's.
        b: String,
        /// Similarity 0..1.
        sim: f32,
    },
    /// A rare word shared by the names.
    Root {
        /// The word.
        word: String,
        /// Its rarity 0..1.
        rarity: f32,
    },
    /// One side's brand is the other's name.
    BrandName {
        /// The brand.
        brand: String,
        /// The name.
        name: String,
    },
    /// The administrator linked them (`override`).
    Override,
    /// Cards of one ИНН whose names are unlike (the review's ИНН outliers).
    NameUnlike {
        /// The ИНН.
        inn: String,
        /// The outlier's name.
        a: String,
        /// The legal entity's usual name.
        b: String,
        /// Their likeness 0..1.
        sim: f32,
    },
}

impl EvidencePart {
    /// In English, as links.csv and review.csv have always written it.
    pub fn en(&self) -> String {
        match self {
            EvidencePart::SameInn { inn, kpp: None } => format!("same INN {inn}"),
            EvidencePart::SameInn { inn, kpp: Some((k1, k2)) } => format!("same INN {inn} (another КПП: {k1} / {k2})"),
            EvidencePart::SameOgrn(x) => format!("same OGRN {x}"),
            EvidencePart::InnGroup(x) => format!("same INN/OGRN group ({x})"),
            EvidencePart::Shared { kind, value, generic } => {
                let what = match kind {
                    KeyKind::Phone => "shared phone",
                    KeyKind::LocalPhone => "shared local number",
                    KeyKind::TollFree => "shared 8-800 number",
                    KeyKind::Email => "shared email",
                    KeyKind::Domain => "shared domain",
                    KeyKind::Brand => "shared brand",
                    KeyKind::AddrOffice => "same office",
                    KeyKind::AddrHouse => "same building",
                    _ => "shared",
                };
                let on = generic.map(|(df, w)| format!(" (on {df} legal entities, weight {w:.2})")).unwrap_or_default();
                format!("{what} {value}{on}")
            }
            EvidencePart::Person(p) => format!("shared decision-maker {p}"),
            EvidencePart::Name { a, b, sim } => format!("name \"{a}\" ~ \"{b}\" {sim:.2}"),
            EvidencePart::Root { word, rarity } => format!("shared name root \"{word}\" (rarity {rarity:.2})"),
            EvidencePart::BrandName { brand, name } => format!("brand «{brand}» ~ name {name}"),
            EvidencePart::Override => "administrator's link override".into(),
            EvidencePart::NameUnlike { inn, a, b, sim } => {
                format!("same INN {inn}, but name \"{a}\" is unlike \"{b}\" ({sim:.2})")
            }
        }
    }

    /// In Russian, for the administrator's page and review.csv's `evidence_ru`.
    pub fn ru(&self) -> String {
        match self {
            EvidencePart::SameInn { inn, kpp: None } => format!("тот же ИНН {inn}"),
            EvidencePart::SameInn { inn, kpp: Some((k1, k2)) } => format!("тот же ИНН {inn} (другой КПП: {k1} / {k2})"),
            EvidencePart::SameOgrn(x) => format!("тот же ОГРН {x}"),
            EvidencePart::InnGroup(x) => format!("та же группа ИНН/ОГРН ({x})"),
            EvidencePart::Shared { kind, value, generic } => {
                let what = match kind {
                    KeyKind::Phone => "общий телефон",
                    KeyKind::LocalPhone => "общий местный номер",
                    KeyKind::TollFree => "общий номер 8-800",
                    KeyKind::Email => "общий e-mail",
                    KeyKind::Domain => "общий домен",
                    KeyKind::Brand => "общий бренд",
                    KeyKind::AddrOffice => "тот же офис",
                    KeyKind::AddrHouse => "то же здание",
                    _ => "общее значение",
                };
                let on = generic.map(|(df, w)| format!(" (у {df} юрлиц, вес {w:.2})")).unwrap_or_default();
                format!("{what} {value}{on}")
            }
            EvidencePart::Person(p) => format!("общее ЛПР {p}"),
            EvidencePart::Name { a, b, sim } => format!("название «{a}» ~ «{b}» (сходство {sim:.2})"),
            EvidencePart::Root { word, rarity } => format!("общий корень названия «{word}» (редкость {rarity:.2})"),
            EvidencePart::BrandName { brand, name } => format!("бренд «{brand}» ~ название {name}"),
            EvidencePart::Override => "решение администратора: связать".into(),
            EvidencePart::NameUnlike { inn, a, b, sim } => {
                format!("тот же ИНН {inn}, но название «{a}» не похоже на «{b}» (сходство {sim:.2})")
            }
        }
    }
}

/// The evidence of a link: its pieces, strongest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evidence(pub Vec<EvidencePart>);

impl Evidence {
    /// One piece.
    pub fn one(part: EvidencePart) -> Evidence {
        Evidence(vec![part])
    }

    /// No piece at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// In English, pieces joined by "; " (links.csv, review.csv, `explain`).
    pub fn en(&self) -> String {
        self.0.iter().map(EvidencePart::en).collect::<Vec<_>>().join("; ")
    }

    /// In Russian, pieces joined by "; " (report.html, review.csv's `evidence_ru`).
    pub fn ru(&self) -> String {
        self.0.iter().map(EvidencePart::ru).collect::<Vec<_>>().join("; ")
    }
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en())
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.en())
    }
}

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

/// Split tags: which sides of which split decisions a group holds.
struct SplitVeto<'a> {
    tags: Vec<Vec<(u32, bool)>>,
    inn: Option<Vec<Option<&'a str>>>,
    vetoed_inn: u64,
    vetoed_split: u64,
}

impl Veto for SplitVeto<'_> {
    fn forbids(&mut self, ra: u32, rb: u32) -> bool {
        if let Some(inn) = &self.inn
            && let (Some(x), Some(y)) = (inn[ra as usize], inn[rb as usize])
            && x != y
        {
            self.vetoed_inn += 1;
            return true;
        }
        let (ta, tb) = (&self.tags[ra as usize], &self.tags[rb as usize]);
        if ta.iter().any(|(k, side)| tb.iter().any(|(k2, s2)| k == k2 && side != s2)) {
            self.vetoed_split += 1;
            return true;
        }
        false
    }

    fn joined(&mut self, into: u32, from: u32) {
        let moved = std::mem::take(&mut self.tags[from as usize]);
        for t in moved {
            if !self.tags[into as usize].contains(&t) {
                self.tags[into as usize].push(t);
            }
        }
        if let Some(inn) = &mut self.inn
            && inn[into as usize].is_none()
        {
            inn[into as usize] = inn[from as usize];
        }
    }
}

fn split_tags(n: usize, member_of_card: &[u32], constraints: &[&Constraint]) -> Vec<Vec<(u32, bool)>> {
    let mut tags: Vec<Vec<(u32, bool)>> = vec![Vec::new(); n];
    for (k, c) in constraints.iter().enumerate() {
        for (cards, side) in [(&c.a, false), (&c.b, true)] {
            for &card in cards {
                let m = member_of_card[card as usize] as usize;
                if !tags[m].contains(&(k as u32, side)) {
                    tags[m].push((k as u32, side));
                }
            }
        }
    }
    tags
}

fn must_pairs(member_of_card: &[u32], constraints: &[&Constraint]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for c in constraints {
        let all: Vec<u32> = c.a.iter().chain(&c.b).map(|&card| member_of_card[card as usize]).collect();
        for w in all.windows(2) {
            out.push((w[0], w[1]));
        }
    }
    out
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
    // Entity features: single-node entities use their node; others are merged.
    let merged: FxHashMap<u32, Node> = nodes_of_entity
        .par_iter()
        .enumerate()
        .filter(|(_, ns)| ns.len() > 1)
        .map(|(e, ns)| (e as u32, merge_nodes(&ns.iter().map(|&n| &p.nodes[n as usize]).collect::<Vec<_>>())))
        .collect();
    let ent_node =
        |e: u32| -> &Node { merged.get(&e).unwrap_or_else(|| &p.nodes[nodes_of_entity[e as usize][0] as usize]) };
    let firm_scored: Vec<Option<Scored>> = firm_pairs
        .par_iter()
        .map(|&(a, b)| {
            let s = score::score(p, cfg, ent_node(a), ent_node(b), Level::Firm);
            (score::is_firm_link(cfg, &s) || review::near_firm(cfg, &s)).then_some(s)
        })
        .collect();
    let mut links: Vec<Link> = Vec::new();
    let mut scored: Vec<(u32, u32, Scored)> = Vec::new();
    let mut near: Vec<(u32, u32, Scored)> = Vec::new();
    for (&(a, b), s) in firm_pairs.iter().zip(firm_scored) {
        if let Some(s) = s {
            if !score::is_firm_link(cfg, &s) {
                near.push((a, b, s));
                continue;
            }
            links.push(Link { a, b, score: s.score, signals: s.signals });
            scored.push((a, b, s));
        }
    }
    let mut veto = SplitVeto { tags, inn: None, vetoed_inn: 0, vetoed_split: 0 };
    let mut clustering =
        cluster::cluster(n_entities, &vec![1; n_entities], f_must, &links, cfg.thresholds.chain_guard_size, &mut veto);
    let (firm_of_entity, n_firms) = clustering.uf.labels();
    FirmRound { clustering, scored, firm_of_entity, n_firms, merged, vetoed_split: veto.vetoed_split, near }
}

/// Merges several nodes into one (for a legal entity of several proto-entities).
fn merge_nodes(nodes: &[&Node]) -> Node {
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
    Node { cards, inn: nodes.iter().find_map(|n| n.inn.clone()), keys, names, brands, persons }
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
    let mut clock = std::time::Instant::now();
    let mut stage_ms: Vec<(&'static str, u64)> = Vec::new();
    let mut tr = block::Trace::new();
    let mut lap = |name: &'static str, stage_ms: &mut Vec<(&'static str, u64)>| {
        stage_ms.push((name, clock.elapsed().as_millis() as u64));
        clock = std::time::Instant::now();
        tr.lap(name);
    };
    let mut p = block::prepare(norm, cfg);
    lap("block", &mut stage_ms);
    let mut stats = MatchStats { ogrn_conflicts: p.ogrn_conflicts as u64, ..MatchStats::default() };

    // --- Legal entities: nodes joined on strong combined evidence. Pairs of two ИНН nodes are never one.
    let mut entity_pairs: Vec<(u32, u32)> = p
        .pairs
        .iter()
        .copied()
        .filter(|&(a, b)| p.nodes[a as usize].inn.is_none() || p.nodes[b as usize].inn.is_none())
        .collect();
    // Plus the pairs a unique distinctive name alone may join (see `block::Prepared::unique_name_pairs`).
    entity_pairs.extend_from_slice(&p.unique_name_pairs);
    entity_pairs.par_sort_unstable();
    entity_pairs.dedup();
    stats.entity_pairs_scored = entity_pairs.len() as u64;
    // Each pair scored: (score, whether it is a link); pairs near the threshold are kept for the review.
    let entity_scored: Vec<Option<(Scored, bool)>> = entity_pairs
        .par_iter()
        .map(|&(a, b)| {
            let (x, y) = (&p.nodes[a as usize], &p.nodes[b as usize]);
            let unique = p.is_unique_name_pair(a, b);
            if !unique && cfg.thresholds.entity_needs_contact && !score::shares_contact(x, y) {
                return None;
            }
            let s = score::score(&p, cfg, x, y, Level::Entity);
            let link = score::joins_entities(cfg, &s, unique);
            (link || review::near_entity(cfg, &s)).then_some((s, link))
        })
        .collect();
    let mut e_links: Vec<Link> = Vec::new();
    let mut e_scored: Vec<(u32, u32, Scored)> = Vec::new();
    let mut grey: Vec<GreyPair> = Vec::new();
    for (&(a, b), s) in entity_pairs.iter().zip(entity_scored) {
        if let Some((s, link)) = s {
            if !link {
                let r = explain(Level::Entity, &p, norm, cfg, &p.nodes[a as usize], &p.nodes[b as usize], &s);
                grey.push(review::near(cfg.thresholds.entity, r));
                continue;
            }
            e_links.push(Link { a, b, score: s.score, signals: s.signals });
            e_scored.push((a, b, s));
        }
    }
    stats.entity_candidates = e_links.len() as u64;
    lap("score_entities", &mut stage_ms);
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
    let (entity_of_node, n_entities) = ec.uf.labels();
    stats.vetoed_two_inn += veto.vetoed_inn;
    stats.vetoed_by_override += veto.vetoed_split;
    stats.guarded += ec.outcomes.iter().filter(|o| **o == Outcome::Guarded).count() as u64;
    stats.confirmed_by_second_pair += ec.confirmed_by_second_pair as u64;
    let entity_of_card: Vec<u32> = p.node_of_card.iter().map(|&nd| entity_of_node[nd as usize]).collect();
    // Entity-level link records are made now, with the frequencies that decided them.
    let joined_e: Vec<&(u32, u32, Scored)> =
        e_scored.iter().zip(&ec.outcomes).filter(|(_, o)| **o == Outcome::Joined).map(|(x, _)| x).collect();
    let e_records: Vec<LinkRecord> = joined_e
        .par_iter()
        .map(|(a, b, s)| explain(Level::Entity, &p, norm, cfg, &p.nodes[*a as usize], &p.nodes[*b as usize], s))
        .collect();
    for &i in &ec.confirmed_links {
        let (a, b, s) = &e_scored[i];
        grey.push(review::over_guard(
            cfg.thresholds.entity,
            explain(Level::Entity, &p, norm, cfg, &p.nodes[*a as usize], &p.nodes[*b as usize], s),
        ));
    }
    lap("cluster_entities", &mut stage_ms);
    let entity_stage = keep_entity_stage.then(|| Box::new(p.clone()));
    p.recount(&entity_of_node, cfg, true);
    lap("recount", &mut stage_ms);

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
        lap(if round == 0 { "firm_round_1" } else { "firm_round_2+" }, &mut stage_ms);
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
    let p = p;
    stats.firm_candidates = f_scored.len() as u64;
    stats.vetoed_by_override += vetoed_split;
    stats.guarded += fc.outcomes.iter().filter(|o| **o == Outcome::Guarded).count() as u64;
    stats.confirmed_by_second_pair += fc.confirmed_by_second_pair as u64;
    let ent_node =
        |e: u32| -> &Node { merged.get(&e).unwrap_or_else(|| &p.nodes[nodes_of_entity[e as usize][0] as usize]) };

    // --- Link records.
    let mut by_signal: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let mut links: Vec<LinkRecord> = Vec::new();
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
                signals: vec![sig],
            });
        }
    }
    let joined_f: Vec<&(u32, u32, Scored)> =
        f_scored.iter().zip(&fc.outcomes).filter(|(_, o)| **o == Outcome::Joined).map(|(x, _)| x).collect();
    let f_records: Vec<LinkRecord> = joined_f
        .par_iter()
        .map(|(a, b, s)| explain(Level::Firm, &p, norm, cfg, ent_node(*a), ent_node(*b), s))
        .collect();
    for (a, b, s) in &near {
        grey.push(review::near(
            cfg.thresholds.firm,
            explain(Level::Firm, &p, norm, cfg, ent_node(*a), ent_node(*b), s),
        ));
    }
    for &i in &fc.confirmed_links {
        let (a, b, s) = &f_scored[i];
        grey.push(review::over_guard(
            cfg.thresholds.firm,
            explain(Level::Firm, &p, norm, cfg, ent_node(*a), ent_node(*b), s),
        ));
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
                signals: vec!["override"],
            });
        }
    }
    links.sort_by_key(|x| (x.level, x.a.min(x.b), x.a.max(x.b)));
    stats.links_by_signal = by_signal.into_iter().collect();
    lap("explain_links", &mut stage_ms);
    stats.stage_ms = stage_ms;

    Grouping { entity_of_card, firm_of_entity, n_entities, n_firms, links, stats, prepared: p, grey, entity_stage }
}

fn hard_evidence(first: &NormCard, c: &NormCard) -> (Evidence, &'static str) {
    match (&first.ids.inn, &c.ids.inn) {
        (Some(x), Some(y)) if x == y => {
            let kpp = match (&first.ids.kpp, &c.ids.kpp) {
                (Some(k1), Some(k2)) if k1 != k2 => Some((k1.clone(), k2.clone())),
                _ => None,
            };
            (Evidence::one(EvidencePart::SameInn { inn: x.clone(), kpp }), "inn")
        }
        _ => match (&first.ids.ogrn, &c.ids.ogrn) {
            (Some(x), Some(y)) if x == y => (Evidence::one(EvidencePart::SameOgrn(x.clone())), "ogrn"),
            _ => {
                let id = c.ids.inn.as_ref().or(c.ids.ogrn.as_ref()).cloned().unwrap_or_default();
                (Evidence::one(EvidencePart::InnGroup(id)), "inn")
            }
        },
    }
}

/// The text of key `hash` as carried by some card of `node`, and that card.
fn key_text(p: &Prepared, norm: &[NormCard], node: &Node, hash: u64) -> Option<(u32, String)> {
    let kind = kind_of(hash);
    for &c in &node.cards {
        if p.keys_of_card(c as usize).binary_search(&hash).is_err() {
            continue;
        }
        let n = &norm[c as usize];
        let mut found: Option<String> = None;
        block::for_each_key(n, |k, t| {
            if found.is_none() && k == kind && key_hash(k, t) == hash {
                found = Some(t.to_string());
            }
        });
        if let Some(t) = found {
            let shown = match kind {
                KeyKind::Brand => n.brand.as_ref().map(|b| b.display_core.clone()).unwrap_or(t),
                KeyKind::AddrOffice | KeyKind::AddrHouse => n
                    .addresses
                    .iter()
                    .find(|a| a.office_key().as_ref() == Some(&t) || a.house_key().as_ref() == Some(&t))
                    .map(|a| a.normalized())
                    .unwrap_or(t),
                _ => t,
            };
            return Some((c, shown));
        }
    }
    None
}

fn card_with_name(norm: &[NormCard], node: &Node, compact: &str) -> Option<u32> {
    node.cards.iter().copied().find(|&c| norm[c as usize].name.compact() == compact)
}

fn card_with_brand(norm: &[NormCard], node: &Node, compact: &str) -> Option<u32> {
    node.cards.iter().copied().find(|&c| norm[c as usize].brand.as_ref().is_some_and(|b| b.compact() == compact))
}

fn card_with_person(norm: &[NormCard], node: &Node, who: &block::PersonLite) -> Option<(u32, String)> {
    node.cards.iter().find_map(|&c| {
        let n = &norm[c as usize];
        n.decision_makers()
            .chain(n.name.person.as_deref())
            .find(|p| {
                let x = block::PersonLite::of(p);
                x.key == who.key && x.full_key == who.full_key && x.first == who.first
            })
            .map(|p| (c, p.display()))
    })
}

fn explain(level: Level, p: &Prepared, norm: &[NormCard], cfg: &Config, a: &Node, b: &Node, s: &Scored) -> LinkRecord {
    let mut parts = Vec::new();
    let mut cards: Option<(u32, u32)> = None;
    for (_, piece) in &s.evidence {
        let (part, pair) = match piece {
            Piece::Shared { hash, df, .. } => {
                let ta = key_text(p, norm, a, *hash);
                let tb = key_text(p, norm, b, *hash);
                let value = ta.as_ref().map(|x| x.1.clone()).unwrap_or_default();
                let generic = (*df > cfg.generic.full_up_to).then(|| (*df, piece.weight()));
                (EvidencePart::Shared { kind: kind_of(*hash), value, generic }, ta.zip(tb).map(|(x, y)| (x.0, y.0)))
            }
            Piece::Person { a: pa, b: pb, .. } => {
                let (ca, cb) = (card_with_person(norm, a, pa), card_with_person(norm, b, pb));
                let (da, db) = (
                    ca.as_ref().map(|x| x.1.clone()).unwrap_or_default(),
                    cb.as_ref().map(|x| x.1.clone()).unwrap_or_default(),
                );
                let shown = if da == db { da } else { format!("{da} ~ {db}") };
                (EvidencePart::Person(shown), ca.zip(cb).map(|(x, y)| (x.0, y.0)))
            }
            Piece::Name { a: ia, b: ib, sim, .. } => {
                let ca = card_with_name(norm, a, &a.names[*ia as usize].compact);
                let cb = card_with_name(norm, b, &b.names[*ib as usize].compact);
                let na = ca.map(|c| norm[c as usize].name.core()).unwrap_or_default();
                let nb = cb.map(|c| norm[c as usize].name.core()).unwrap_or_default();
                (EvidencePart::Name { a: na, b: nb, sim: *sim }, ca.zip(cb))
            }
            Piece::Root { token, rarity, .. } => {
                let key = &p.tokens[*token as usize];
                let word = a
                    .cards
                    .iter()
                    .find_map(|&c| {
                        norm[c as usize].name.tokens.iter().find(|t| *t.key == **key).map(|t| t.text.clone())
                    })
                    .unwrap_or_else(|| key.to_string());
                (EvidencePart::Root { word, rarity: *rarity }, Some((a.cards[0], b.cards[0])))
            }
            Piece::BrandName { brand_on_a, brand, name, .. } => {
                let (bn, nn) = if *brand_on_a { (a, b) } else { (b, a) };
                let cb = card_with_brand(norm, bn, &bn.brands[*brand as usize].compact);
                let cn = card_with_name(norm, nn, &nn.names[*name as usize].compact);
                let bt = cb
                    .and_then(|c| norm[c as usize].brand.as_ref().map(|x| x.display_core.clone()))
                    .unwrap_or_default();
                let nt = cn.map(|c| norm[c as usize].name.display()).unwrap_or_default();
                let pair = if *brand_on_a { cb.zip(cn) } else { cn.zip(cb) };
                (EvidencePart::BrandName { brand: bt, name: nt }, pair)
            }
        };
        if cards.is_none() {
            cards = pair;
        }
        parts.push(part);
    }
    let (ca, cb) = cards.unwrap_or((a.cards[0], b.cards[0]));
    LinkRecord {
        level,
        a: ca.min(cb),
        b: ca.max(cb),
        score: s.score,
        evidence: Evidence(parts),
        signals: s.evidence.iter().map(|(sig, _)| sig.name()).collect(),
    }
}

/// Why two cards are or are not together: their groups, and the two levels' scores and evidence between the
/// groups they are in, with the thresholds. For administrators reviewing a decision (`firmdedup explain`).
pub fn explain_pair(g: &Grouping, norm: &[NormCard], cfg: &Config, a: u32, b: u32) -> String {
    use std::fmt::Write;
    let p = &g.prepared;
    let mut s = String::new();
    let (na, nb) = (p.node_of_card[a as usize], p.node_of_card[b as usize]);
    let (ea, eb) = (g.entity_of_card[a as usize], g.entity_of_card[b as usize]);
    let (fa, fb) = (g.firm_of_entity[ea as usize], g.firm_of_entity[eb as usize]);
    let _ = writeln!(s, "same legal entity: {}; same firm: {}", ea == eb, fa == fb);
    let entity_nodes = |e: u32| -> Vec<&Node> {
        (0..p.nodes.len())
            .filter(|&n| g.entity_of_card[p.nodes[n].cards[0] as usize] == e)
            .map(|n| &p.nodes[n])
            .collect()
    };
    // `unique`: the pair's whole distinctive name is unique in the base, which joins it without a contact.
    let show = |s: &mut String, title: &str, level: Level, unique: bool, rec: &LinkRecord, sc: &Scored| {
        let pass = match level {
            Level::Entity => score::joins_entities(cfg, sc, unique),
            Level::Firm => score::is_firm_link(cfg, sc),
        };
        let _ = writeln!(
            s,
            "{title}: score {:.2} (threshold {:.2}{}), {} signal(s), name similarity {:.2} -> {}",
            sc.score,
            match level {
                Level::Entity => cfg.thresholds.entity,
                Level::Firm => cfg.thresholds.firm,
            },
            if level == Level::Entity {
                format!(
                    ", names at least {:.2}, a shared contact {}",
                    cfg.thresholds.entity_name_min,
                    if sc.has_contact { "present" } else { "missing" }
                )
            } else {
                String::new()
            },
            sc.signals,
            sc.name_sim,
            if pass { "a link" } else { "no link" }
        );
        if level == Level::Entity && pass && !score::is_entity_link(cfg, sc) {
            let _ =
                writeln!(s, "  joined without a contact: the same distinctive name, carried by no other legal entity");
        }
        let _ =
            writeln!(s, "  evidence: {}", if rec.evidence.is_empty() { "none".to_string() } else { rec.evidence.en() });
    };
    if na == nb {
        let _ = writeln!(s, "the two cards share a valid ИНН or ОГРН: one legal entity by rule");
    } else {
        let (x, y) = (&p.nodes[na as usize], &p.nodes[nb as usize]);
        if x.inn.is_some() && y.inn.is_some() && x.inn != y.inn {
            let _ = writeln!(
                s,
                "legal entity level: different valid ИНН ({} / {}): never one legal entity",
                x.inn.as_deref().unwrap_or(""),
                y.inn.as_deref().unwrap_or("")
            );
        } else {
            // Scored with the counts the level was decided with, not the firm rounds' recounted ones.
            let pe = g.entity_stage.as_deref().unwrap_or(p);
            let (x, y) = (&pe.nodes[na as usize], &pe.nodes[nb as usize]);
            let sc = score::score(pe, cfg, x, y, Level::Entity);
            let rec = explain(Level::Entity, pe, norm, cfg, x, y, &sc);
            let unique = pe.is_unique_name_pair(na, nb);
            show(&mut s, "legal entity level (the two cards' groups)", Level::Entity, unique, &rec, &sc);
            if score::joins_entities(cfg, &sc, unique) && ea != eb {
                let inns = |e: u32| -> Vec<String> {
                    let mut v: Vec<String> =
                        entity_nodes(e).iter().filter_map(|n| n.inn.as_deref().map(str::to_string)).collect();
                    v.sort();
                    v.dedup();
                    v
                };
                let (ia, ib) = (inns(ea), inns(eb));
                if !ia.is_empty() && !ib.is_empty() && ia != ib {
                    let _ = writeln!(
                        s,
                        "  not applied: it would put two different valid ИНН ({} / {}) in one legal entity",
                        ia.join(", "),
                        ib.join(", ")
                    );
                } else {
                    let _ = writeln!(s, "  not applied: held back by the chaining guard or an override");
                }
            }
        }
    }
    if ea != eb {
        let (xa, xb) = (entity_nodes(ea), entity_nodes(eb));
        let (ma, mb) = (merge_nodes(&xa), merge_nodes(&xb));
        let sc = score::score(p, cfg, &ma, &mb, Level::Firm);
        let rec = explain(Level::Firm, p, norm, cfg, &ma, &mb, &sc);
        show(&mut s, "firm level (the two legal entities)", Level::Firm, false, &rec, &sc);
        let in_block = p.pairs.iter().any(|&(u, v)| {
            let (eu, ev) = (
                g.entity_of_card[p.nodes[u as usize].cards[0] as usize],
                g.entity_of_card[p.nodes[v as usize].cards[0] as usize],
            );
            (eu == ea && ev == eb) || (eu == eb && ev == ea)
        });
        if !in_block {
            let _ = writeln!(s, "  (the two legal entities share no blocking key: they were never compared)");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Card;
    use crate::dict::Dictionaries;
    use crate::normalize::normalize_card;

    #[test]
    fn evidence_reads_the_same_in_english_and_russian() {
        use EvidencePart as P;
        let s = |x: &str| x.to_string();
        let table: Vec<(EvidencePart, &str, &str)> = vec![
            (P::SameInn { inn: s("7701123451"), kpp: None }, "same INN 7701123451", "тот же ИНН 7701123451"),
            (
                P::SameInn { inn: s("7701123451"), kpp: Some((s("770101001"), s("771401001"))) },
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
                P::NameUnlike { inn: s("7701123451"), a: s("лютик"), b: s("ромашка"), sim: 0.2 },
                "same INN 7701123451, but name \"лютик\" is unlike \"ромашка\" (0.20)",
                "тот же ИНН 7701123451, но название «лютик» не похоже на «ромашка» (сходство 0.20)",
            ),
        ];
        for (part, en, ru) in &table {
            assert_eq!(part.en(), *en);
            assert_eq!(part.ru(), *ru);
        }
        // Pieces are joined by "; " in both languages, and the English text is what JSON and Display give.
        let ev = Evidence(vec![table[4].0.clone(), table[7].0.clone()]);
        assert_eq!(ev.en(), "shared phone +7 495 111-22-33; shared decision-maker Иванов И.И.");
        assert_eq!(ev.ru(), "общий телефон +7 495 111-22-33; общее ЛПР Иванов И.И.");
        assert_eq!(ev.to_string(), ev.en());
        assert_eq!(serde_json::to_value(&ev).unwrap(), serde_json::json!(ev.en()));
    }

    fn inn10(prefix: &str) -> String {
        crate::normalize::ids::inn10_with_check(prefix).expect("nine digits")
    }

    fn card(id: &str, name: &str, inn: &str, phones: &[&str], emails: &[&str]) -> Card {
        Card {
            id: id.into(),
            name: name.into(),
            inn: inn.into(),
            phones: phones.iter().map(|s| s.to_string()).collect(),
            emails: emails.iter().map(|s| s.to_string()).collect(),
            ..Card::default()
        }
    }

    fn run(cards: &[Card]) -> Grouping {
        let d = Dictionaries::embedded();
        let norm: Vec<NormCard> = cards.iter().map(|c| normalize_card(c, d)).collect();
        group(&norm, &Config::default(), &[])
    }

    #[test]
    fn different_valid_inns_are_never_one_entity() {
        let g = run(&[
            card("1", "ООО Ромашка", &inn10("770100001"), &["+7 495 111-11-11"], &["info@romashka.ru"]),
            card("2", "ООО Ромашка", &inn10("770100002"), &["+7 495 111-11-11"], &["info@romashka.ru"]),
            // No ИНН: matches both; joins one of them, never bridges the two.
            card("3", "Ромашка", "", &["+7 495 111-11-11"], &["info@romashka.ru"]),
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
            .map(|(i, n)| card(&i.to_string(), n, &inn10(&format!("63160000{i}")), &["+7 846 300-00-00"], &[]))
            .collect();
        let g = run(&cards);
        assert_eq!(g.n_firms, names.len());
        assert_eq!(g.prepared.generic.len(), 1);
    }

    #[test]
    fn a_shared_phone_on_two_entities_makes_one_firm_on_six_none() {
        let two = run(&[
            card("1", "ООО Лютик", &inn10("631600001"), &["+7 846 300-00-01"], &[]),
            card("2", "ИП Петров Петр Петрович", "", &["+7 846 300-00-01"], &[]),
        ]);
        assert_eq!(two.n_firms, 1);
        assert_eq!(two.n_entities, 2);
    }

    #[test]
    fn a_name_alone_never_links() {
        let g = run(&[
            card("1", "ООО Ромашка Медиа Групп", "", &["+7 495 111-11-11"], &[]),
            card("2", "Ромашка Медиа Групп", "", &["+7 495 222-22-22"], &[]),
        ]);
        assert_eq!(g.n_entities, 2);
        assert_eq!(g.n_firms, 2);
    }

    #[test]
    fn a_common_name_with_a_shared_local_number_does_not_link() {
        // Two "Вектор" in different cities; their 7-digit numbers without area code coincide.
        let mut a = card("1", "Вектор", "", &["200-10-01"], &[]);
        let mut b = card("2", "Вектор", "", &["200-10-01"], &[]);
        a.address = vec!["г. Тюмень, ул. Ленина, д. 1".into()];
        b.address = vec!["г. Курган, ул. Мира, д. 2".into()];
        let g = run(&[a, b]);
        assert_eq!(g.n_entities, 2);
    }

    #[test]
    fn split_override_keeps_cards_apart_through_any_chain() {
        let cards = [
            card("1", "ООО Ромашка", &inn10("770100001"), &["+7 495 111-11-11"], &[]),
            card("2", "Ромашка", "", &["+7 495 111-11-11"], &["a@romashka.ru"]),
            card("3", "Ромашка", "", &[], &["a@romashka.ru"]),
        ];
        let d = Dictionaries::embedded();
        let norm: Vec<NormCard> = cards.iter().map(|c| normalize_card(c, d)).collect();
        let free = group(&norm, &Config::default(), &[]);
        assert_eq!(free.n_firms, 1);
        let split = Constraint { kind: ConstraintKind::Split, level: Level::Firm, a: vec![0], b: vec![2] };
        let g = group(&norm, &Config::default(), &[split]);
        assert_ne!(g.firm_of_entity[g.entity_of_card[0] as usize], g.firm_of_entity[g.entity_of_card[2] as usize]);
        let link = Constraint { kind: ConstraintKind::Link, level: Level::Firm, a: vec![0], b: vec![2] };
        let cards2 = [cards[0].clone(), card("9", "Совсем другая", "", &[], &[])];
        let norm2: Vec<NormCard> = cards2.iter().map(|c| normalize_card(c, d)).collect();
        let link = Constraint { a: vec![0], b: vec![1], ..link };
        let g = group(&norm2, &Config::default(), &[link]);
        assert_eq!(g.n_firms, 1);
        assert_eq!(g.n_entities, 2);
    }
}
