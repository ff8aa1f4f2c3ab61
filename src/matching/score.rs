//! Pairwise scoring: what two groups of cards share, and what it is worth.
//!
//! Signals fall into groups, and a group counts once (its strongest member): phone (full, local, 8-800), email
//! (address, corporate domain, website), person (decision-maker, ИП owner), brand, address (office, building),
//! name. A shared value's weight is the configured weight times its rarity: full when at most
//! `generic.full_up_to` legal entities carry it, falling as `full_up_to / n` above that, and zero when more than
//! `generic.max_entities` do (a generic value never links anything). The score is the sum over groups.
//!
//! Names are compared word by word on transliteration keys (typos, Latin spellings and look-alike letters reduce
//! to the same key), each word weighted by its inverse document frequency in the base, non-distinctive words at
//! a third; the similarity is the smaller of the two directions, so "Ромашка" is not near-identical to
//! "Ромашка Медиа". Numbers in names must agree ("Аптека №1" is not "Аптека №2").

use serde::Serialize;

use crate::config::Config;
use crate::matching::block::{NameVar, Node, PersonLite, Prepared};
use crate::matching::edit::{osa_distance, osa_distance_within};
use crate::matching::keys::{KeyKind, key_hash, kind_of};

/// Signal groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Phones.
    Phone,
    /// Email addresses, corporate domains, websites.
    Email,
    /// Decision-makers.
    Person,
    /// Brands.
    Brand,
    /// Addresses.
    Address,
    /// Name similarity (entity level) or a shared name root (firm level).
    Name,
    /// One legal entity's ИНН typed on a card of another (a sister company's card), firm level.
    TypedInn,
}

impl Signal {
    /// Every group.
    pub const ALL: [Signal; 7] =
        [Signal::Phone, Signal::Email, Signal::Person, Signal::Brand, Signal::Address, Signal::Name, Signal::TypedInn];

    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Phone => "phone",
            Signal::Email => "email_or_domain",
            Signal::Person => "decision_maker",
            Signal::Brand => "brand",
            Signal::Address => "address",
            Signal::Name => "name",
            Signal::TypedInn => "typed_inn",
        }
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// A shared key (hash), its kind's group, the entities carrying it, and its weight.
    Shared {
        /// Key hash.
        hash: u64,
        /// Entities carrying the value.
        df: u32,
        /// Weight given.
        weight: f32,
    },
    /// Compatible decision-makers (indices, not copies: a base's scored pairs are kept through the firm rounds).
    Person {
        /// One side's person: its index in that side's [`Node::persons`].
        a: u32,
        /// The other side's person, in the other side's [`Node::persons`].
        b: u32,
        /// Entities carrying the surname + initial.
        df: u32,
        /// Weight given.
        weight: f32,
    },
    /// Name similarity between variant `a` of one side and `b` of the other.
    Name {
        /// Variant index on side A.
        a: u8,
        /// Variant index on side B.
        b: u8,
        /// Similarity 0..1.
        sim: f32,
        /// Weight given.
        weight: f32,
    },
    /// A shared distinctive name root.
    Root {
        /// Word id.
        token: u32,
        /// Rarity 0..1.
        rarity: f32,
        /// Weight given.
        weight: f32,
    },
    /// One card's personal e-mail spells another card's contact's surname, both cards of one name
    /// ([`crate::matching::mail_person`]).
    MailPerson {
        /// The card with the e-mail.
        email_card: u32,
        /// The card with the contact.
        contact_card: u32,
        /// Weight given.
        weight: f32,
    },
    /// One side's brand is the other's name.
    BrandName {
        /// True when the brand is on side A.
        brand_on_a: bool,
        /// Brand variant index.
        brand: u8,
        /// Name variant index on the other side.
        name: u8,
        /// Weight given.
        weight: f32,
    },
}

impl Piece {
    /// The weight of this piece.
    pub fn weight(&self) -> f32 {
        match self {
            Piece::Shared { weight, .. }
            | Piece::Person { weight, .. }
            | Piece::Name { weight, .. }
            | Piece::Root { weight, .. }
            | Piece::BrandName { weight, .. }
            | Piece::MailPerson { weight, .. } => *weight,
        }
    }
}

/// A scored pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Sum over groups.
    pub score: f32,
    /// Groups with a positive weight.
    pub signals: u8,
    /// The strongest piece of each contributing group, strongest first.
    pub evidence: Vec<(Signal, Piece)>,
    /// Name similarity (best variant pair).
    pub name_sim: f32,
    /// True when a contact (phone, email/domain, address) is shared.
    pub has_contact: bool,
    /// Legal-entity level: the names are close (under the near-identical floor) and share a value of a kind the
    /// base's labelled cards trust with close names (`Prepared::close_names`): one legal entity.
    pub close_name: bool,
}

/// The two levels of the grouping: a pair is scored for one, a link is made at one, an administrator's decision
/// is about one. Written `entity` / `firm` in every machine format (CSV, JSON, the state, `--level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Legal entity: name similarity counts.
    Entity,
    /// Firm: a shared name root counts instead.
    Firm,
}

impl Level {
    /// The level's name in machine formats: `entity` or `firm`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Entity => "entity",
            Level::Firm => "firm",
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "entity" => Ok(Level::Entity),
            "firm" => Ok(Level::Firm),
            _ => Err(format!("level must be entity or firm, not {s:?}")),
        }
    }
}

/// The signal group a shared value of `kind` counts in (phones, e-mails and sites, brands, addresses); `None`
/// for the kinds scored apart (names, people, identifiers).
pub fn signal_of(kind: KeyKind) -> Option<Signal> {
    Some(match kind {
        KeyKind::Phone | KeyKind::LocalPhone | KeyKind::TollFree => Signal::Phone,
        KeyKind::Email | KeyKind::Domain => Signal::Email,
        KeyKind::Brand => Signal::Brand,
        KeyKind::AddrOffice | KeyKind::AddrHouse => Signal::Address,
        _ => return None,
    })
}

/// The weight of a shared value carried by `df` entities: full up to `full_up_to`, then falling as
/// `(full_up_to / df)²`, zero above `max_entities`.
pub fn decay(cfg: &Config, base: f32, df: u32) -> f32 {
    decay_from(cfg, base, df, cfg.generic.full_up_to)
}

fn decay_from(cfg: &Config, base: f32, df: u32, full_up_to: u32) -> f32 {
    if df > cfg.generic.max_entities { 0.0 } else { base * falloff(full_up_to, df) }
}

/// The share of its weight a value keeps when `df` entities carry it: 1 up to `full_up_to`, then
/// `(full_up_to / df)²`. Every rarity rule of the matcher and the look-up uses this curve.
pub fn falloff(full_up_to: u32, df: u32) -> f32 {
    if df <= full_up_to {
        1.0
    } else {
        let r = full_up_to as f32 / df as f32;
        r * r
    }
}

/// The weight of a shared value at a level. At the legal-entity level a contact only confirms a near-identical
/// name (the name picks the entity, the contact proves it is the same client), so it keeps its full weight up
/// to the generic cut; at the firm level it is the evidence itself and falls with the number of entities.
pub fn level_weight(cfg: &Config, base: f32, df: u32, level: Level) -> f32 {
    match level {
        Level::Entity if df <= cfg.generic.max_entities => base,
        Level::Entity => 0.0,
        Level::Firm => decay(cfg, base, df),
    }
}

/// The weight of a shared value of `kind` carried by `df` legal entities (or firms) at a level: what the matcher
/// gives it, and what the look-up gives a query value found in the state.
pub fn key_weight(cfg: &Config, kind: KeyKind, df: u32, level: Level) -> f32 {
    kind_weight(cfg, kind, df, level)
}

fn kind_weight(cfg: &Config, kind: KeyKind, df: u32, level: Level) -> f32 {
    match (kind, level) {
        (KeyKind::AddrOffice, Level::Entity) => {
            level_weight(cfg, base_weight(cfg, kind).max(cfg.weights.entity_office), df, level)
        }
        (KeyKind::AddrHouse, Level::Entity) => {
            level_weight(cfg, base_weight(cfg, kind).max(cfg.weights.entity_address), df, level)
        }
        (KeyKind::Brand, Level::Firm) => decay_from(cfg, cfg.weights.brand, df, cfg.generic.brand_full_up_to),
        (KeyKind::Domain, Level::Firm) => decay_from(cfg, cfg.weights.domain, df, cfg.generic.domain_full_up_to),
        _ => level_weight(cfg, base_weight(cfg, kind), df, level),
    }
}

/// The rarity of a name word carried by `df` entities: 1 up to `rare_name_entities`, then falling as
/// `(rare_name_entities / df)²`.
pub fn word_rarity(cfg: &Config, df: u32) -> f32 {
    falloff(cfg.generic.rare_name_entities, df)
}

/// The rarity of a name root carried by `df` entities: 1 up to `root_full_up_to`, then `(root_full_up_to / df)²`.
pub fn root_rarity(cfg: &Config, df: u32) -> f32 {
    falloff(cfg.generic.root_full_up_to.max(1), df)
}

fn base_weight(cfg: &Config, kind: KeyKind) -> f32 {
    let w = &cfg.weights;
    match kind {
        KeyKind::Phone => w.phone,
        KeyKind::LocalPhone => w.local_phone,
        KeyKind::TollFree => w.toll_free,
        KeyKind::Email => w.email,
        KeyKind::Domain => w.domain,
        KeyKind::Brand => w.brand,
        KeyKind::AddrOffice => w.address_office,
        KeyKind::AddrHouse => w.address_house,
        _ => 0.0,
    }
}

/// Similarity of two keys: 1 - (optimal string alignment distance / longer length). A transposition of two
/// neighbouring letters costs one edit.
/// One edit in a word of five letters or more (a typo) counts as 0.9 whatever the length.
pub fn edit_similarity(a: &str, b: &str) -> f32 {
    let n = a.chars().count().max(b.chars().count());
    if n == 0 {
        return 1.0;
    }
    similarity_of_distance(osa_distance(a, b), n)
}

/// The edit similarity of two strings `d` edits apart, the longer of `n` characters.
fn similarity_of_distance(d: usize, n: usize) -> f32 {
    if d == 1 && n >= 5 { 0.9f32.max(1.0 - 1.0 / n as f32) } else { 1.0 - d as f32 / n as f32 }
}

/// Edit similarity when it can reach `min`, else 0: the length difference alone often rules a pair out, and the
/// distance is computed only as far as the largest number of edits that still reaches `min`.
fn edit_similarity_at_least(a: &str, b: &str, min: f32) -> f32 {
    let (na, nb) = (a.len(), b.len());
    let (lo, hi) = (na.min(nb) as f32, na.max(nb) as f32);
    // Byte lengths bound the character lengths closely enough for keys (mostly ASCII); be generous.
    if hi > 0.0 && (hi - lo) / hi > (1.0 - min) * 2.0 + 0.05 {
        return 0.0;
    }
    edit_similarity_reaching(a, b, min)
}

/// [`edit_similarity`] when it reaches `min`, else 0; the distance is computed only as far as the largest number
/// of edits that still reaches `min`.
pub fn edit_similarity_reaching(a: &str, b: &str, min: f32) -> f32 {
    let (na, nb) = (a.chars().count(), b.chars().count());
    let n = na.max(nb);
    if n == 0 {
        return if 1.0 >= min { 1.0 } else { 0.0 };
    }
    // The similarity falls as the distance grows: the largest distance that reaches `min`, by the formula itself.
    let mut max_d = 0;
    while max_d < n && similarity_of_distance(max_d + 1, n) >= min {
        max_d += 1;
    }
    // Every alignment costs at least the difference in length.
    if similarity_of_distance(0, n) < min || na.abs_diff(nb) > max_d {
        return 0.0;
    }
    match osa_distance_within(a, b, max_d) {
        Some(d) => similarity_of_distance(d, n),
        None => 0.0,
    }
}

fn is_number(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

fn token_weight(p: &Prepared, t: u32, generic: bool) -> f32 {
    word_weight(p.token_df[t as usize], p.labels, generic)
}

/// The weight of a name word carried by `df` of `labels` names (legal entities, or firms for the look-up): its
/// inverse document frequency, a third of it for a non-distinctive word.
pub fn word_weight(df: u32, labels: u32, generic: bool) -> f32 {
    let idf = (1.0 + labels.max(1) as f32 / df.max(1) as f32).ln();
    if generic { idf / 3.0 } else { idf }
}

fn token_sim(p: &Prepared, a: u32, b: u32) -> f32 {
    if a == b {
        return 1.0;
    }
    word_similarity(
        &p.tokens[a as usize],
        p.token_text.get(a as usize).map(|t| &**t),
        &p.tokens[b as usize],
        p.token_text.get(b as usize).map(|t| &**t),
    )
}

/// Similarity of two different name words given by their transliteration keys and written (folded) forms: 0
/// unless both have four letters or more, are not numbers, and are at least 0.8 alike on the keys or on the
/// written words (a dropped "ю" is one letter in Cyrillic, two in the key).
pub fn word_similarity(x: &str, x_text: Option<&str>, y: &str, y_text: Option<&str>) -> f32 {
    if x.len() < 4 || y.len() < 4 || is_number(x) || is_number(y) {
        return 0.0;
    }
    let s = edit_similarity_at_least(x, y, 0.8);
    if s > 0.0 {
        return s;
    }
    match (x_text, y_text) {
        (Some(tx), Some(ty)) => edit_similarity_at_least(tx, ty, 0.8),
        _ => 0.0,
    }
}

/// Similarity of two name variants, 0..1.
pub fn name_similarity(p: &Prepared, a: &NameVar, b: &NameVar) -> f32 {
    let persons = matches!((&a.person, &b.person), (Some(pa), Some(pb)) if pa.compatible(pb));
    let side = |v: &NameVar| (v.ip_surname, v.person.as_ref().map(|p| p.surname));
    let surname_of_person = surname_of_person(side(a), side(b));
    let numbers_agree = || {
        let nums = |v: &NameVar| -> Vec<u32> {
            v.tokens.iter().copied().filter(|&t| is_number(&p.tokens[t as usize])).collect()
        };
        nums(a) == nums(b)
    };
    name_similarity_by(
        NameSides {
            words: (a.tokens.len(), b.tokens.len()),
            compact: (&a.compact, &b.compact),
            persons,
            surname_of_person,
        },
        |on_a, i| {
            let v = if on_a { a } else { b };
            token_weight(p, v.tokens[i], v.is_generic(i))
        },
        |i, j| token_sim(p, a.tokens[i], b.tokens[j]),
        numbers_agree,
    )
}

/// What [`name_similarity_by`] needs to know of two names besides their words.
#[derive(Debug, Clone, Copy)]
pub struct NameSides<'a> {
    /// Number of words of each side.
    pub words: (usize, usize),
    /// Compact transliteration keys of each side.
    pub compact: (&'a str, &'a str),
    /// Both are persons (ИП) and compatible ("ИП Иванов И.И." and "ИП Иванов Иван Иванович").
    pub persons: bool,
    /// One is an ИП written with the surname only ("ИП Смирнов") and the other a person of that surname ("ИП
    /// Смирнов Олег Петрович"): they count [`SURNAME_OF_PERSON`], the legal-entity level's floor, so a shared
    /// contact is still needed (a surname alone names no one in particular).
    pub surname_of_person: bool,
}

/// The similarity of an ИП written with the surname only and a person of that surname.
pub const SURNAME_OF_PERSON: f32 = 0.9;

/// [`NameSides::surname_of_person`] from each side's (written with the surname only, its person's surname hash):
/// the matcher's and the look-up's one rule.
pub fn surname_of_person(a: (bool, Option<u64>), b: (bool, Option<u64>)) -> bool {
    a.0 != b.0 && a.1.is_some() && a.1 == b.1
}

/// The name similarity of the matcher and the look-up, whatever holds the words: `weight(on_a, i)` is the
/// weight of word `i` of side A (`on_a`) or B, `word_sim(i, j)` the similarity of word `i` of A and word `j` of
/// B (1 when equal), `numbers_agree` whether both sides carry the same numbers. Words are matched each way,
/// weighted; the similarity is the smaller direction, or the compact keys' edit similarity when at least 0.85;
/// compatible persons count 0.95; different numbers cap it at 0.7.
pub fn name_similarity_by(
    sides: NameSides<'_>,
    weight: impl Fn(bool, usize) -> f32,
    word_sim: impl Fn(usize, usize) -> f32,
    numbers_agree: impl FnOnce() -> bool,
) -> f32 {
    if sides.persons {
        // A typo in the surname falls through to the words.
        return 0.95;
    }
    if sides.surname_of_person {
        return SURNAME_OF_PERSON;
    }
    if sides.compact.0 == sides.compact.1 {
        return 1.0;
    }
    let (na, nb) = sides.words;
    // Each pair of words compared once (both directions read the same similarities).
    let sims: smallvec::SmallVec<[f32; 64]> = (0..na * nb).map(|k| word_sim(k / nb, k % nb)).collect();
    let directed = |on_a: bool| -> f32 {
        let (n, m) = if on_a { (na, nb) } else { (nb, na) };
        let (mut num, mut den) = (0.0f32, 0.0f32);
        for i in 0..n {
            let w = weight(on_a, i);
            den += w;
            let best = (0..m).map(|j| if on_a { sims[i * nb + j] } else { sims[j * nb + i] }).fold(0.0f32, f32::max);
            num += w * best;
        }
        if den == 0.0 { 0.0 } else { num / den }
    };
    let soft = directed(true).min(directed(false));
    let compact = if soft < 0.95 { edit_similarity_at_least(sides.compact.0, sides.compact.1, 0.85) } else { 0.0 };
    let mut sim = soft.max(compact);
    if !numbers_agree() {
        sim = sim.min(0.7);
    }
    // Rounded to four places: a weighted mean of word similarities is the same mean whatever the words' weights
    // (a one-letter typo is 0.9 whether its word weighs 3.1 or 8.7), not 0.9 ± one unit in the last place, which
    // would fall either side of a threshold of 0.9 as the base's word counts move.
    (sim * 10_000.0).round() / 10_000.0
}

/// True when the brand with hash `h` is written as a name on both sides.
fn brand_is_both_names(a: &Node, b: &Node, h: u64) -> bool {
    let as_name = |n: &Node| n.names.iter().any(|v| key_hash(KeyKind::Brand, &v.compact) == h);
    as_name(a) && as_name(b)
}

/// How telling the brand with hash `h`, carried by `df` legal entities, is on a pair of sides `a` and `b`: the rarity
/// of its rarest distinctive word. A brand no company writes as its name apart from the brand's own carriers (a
/// holding's made-up brand on four of its legal entities) is not made common by those carriers: its words count on
/// the legal entities that do not carry it. A brand that is some company's name, or one side's, counts every
/// carrier of its words: dealers of "Промлюкс" carrying its brand are not its firm.
fn brand_rarity(p: &Prepared, cfg: &Config, a: &Node, b: &Node, h: u64, df: u32) -> f32 {
    let Some(br) = a.brands.iter().find(|br| key_hash(KeyKind::Brand, &br.compact) == h) else { return 1.0 };
    if br.tokens.is_empty() {
        return 1.0;
    }
    let a_name = [a, b].iter().any(|n| n.names.iter().any(|v| v.compact == br.compact));
    br.tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| !br.is_generic(*i) && p.tokens[**t as usize].chars().count() >= 3)
        .map(|(_, &t)| {
            let pure_brand = !a_name && p.token_named_apart[t as usize] == 0;
            let own = if pure_brand { df } else { 0 };
            word_rarity(cfg, p.token_df[t as usize].saturating_sub(own))
        })
        .fold(0.0f32, f32::max)
}

/// How rare a name is: the rarity of its rarest distinctive word (0 when it has none).
fn name_rarity(p: &Prepared, cfg: &Config, v: &NameVar) -> f32 {
    v.tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| !v.is_generic(*i) && p.tokens[**t as usize].chars().count() >= 3)
        .map(|(_, t)| word_rarity(cfg, p.token_df[*t as usize]))
        .fold(0.0f32, f32::max)
}

fn root(v: &NameVar, p: &Prepared) -> Option<u32> {
    // An ИП's "name root" is the owner's surname: two Беспалов are not one firm by it.
    if v.person.is_some() {
        return None;
    }
    v.tokens
        .iter()
        .enumerate()
        .find(|(i, t)| {
            !v.is_generic(*i) && p.tokens[**t as usize].chars().count() >= 3 && !is_number(&p.tokens[**t as usize])
        })
        .map(|(_, t)| *t)
}

fn best_name(p: &Prepared, a: &Node, b: &Node) -> Option<(u8, u8, f32)> {
    let mut best: Option<(u8, u8, f32)> = None;
    for (i, va) in a.names.iter().enumerate() {
        for (j, vb) in b.names.iter().enumerate() {
            let s = name_similarity(p, va, vb);
            if best.is_none_or(|(_, _, bs)| s > bs) {
                best = Some((i as u8, j as u8, s));
            }
        }
    }
    best
}

fn best_root(p: &Prepared, cfg: &Config, a: &Node, b: &Node) -> Option<(u32, f32)> {
    let mut best: Option<(u32, f32)> = None;
    for va in &a.names {
        let Some(ra) = root(va, p) else { continue };
        for vb in &b.names {
            let Some(rb) = root(vb, p) else { continue };
            if ra == rb || (p.tokens[ra as usize].len() >= 5 && token_sim(p, ra, rb) >= 0.85) {
                let df = p.token_df[ra as usize].max(p.token_df[rb as usize]);
                let r = root_rarity(cfg, df);
                if best.is_none_or(|(_, br)| r > br) {
                    best = Some((ra, r));
                }
            }
        }
    }
    best
}

fn brand_name(p: &Prepared, cfg: &Config, a: &Node, b: &Node) -> Option<(bool, u8, u8, f32)> {
    let mut best: Option<(bool, u8, u8, f32)> = None;
    for (brand_on_a, x, y) in [(true, a, b), (false, b, a)] {
        for (i, br) in x.brands.iter().enumerate() {
            for (j, nm) in y.names.iter().enumerate() {
                if br.compact == nm.compact {
                    let df = br
                        .tokens
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| !br.is_generic(*i))
                        .map(|(_, t)| p.token_df[*t as usize])
                        .min()
                        .unwrap_or(u32::MAX);
                    // Name evidence, like a shared root: it needs a second signal.
                    let w = cfg.weights.name_root * word_rarity(cfg, df);
                    if best.is_none_or(|(_, _, _, bw)| w > bw) {
                        best = Some((brand_on_a, i as u8, j as u8, w));
                    }
                }
            }
        }
    }
    best
}

fn person_match(cfg: &Config, a: &Node, b: &Node, level: Level, df_of: impl Fn(u64) -> u32) -> Option<Piece> {
    let mut best: Option<Piece> = None;
    for (ia, pa) in a.persons.iter().enumerate() {
        for (ib, pb) in b.persons.iter().enumerate().filter(|(_, pb)| pb.key == pa.key) {
            if !PersonLite::compatible(pa, pb) {
                continue;
            }
            // Written in full on both sides, or with both initials on both sides: the full weight; a surname and
            // one initial: the lower one.
            let both_initials = matches!((pa.full_key, pb.full_key), (Some(x), Some(y)) if x == y);
            let base = if (pa.full && pb.full) || both_initials { cfg.weights.person_full } else { cfg.weights.person };
            // With both initials on both sides, the rarer full key says how many entities share the person.
            let df = match (pa.full_key, pb.full_key) {
                (Some(x), Some(y)) if x == y => df_of(x),
                _ => df_of(pa.key),
            };
            let w = match level {
                Level::Entity => level_weight(cfg, base, df, level),
                // As for any value, by how many legal entities carry the person; one of the most common surnames
                // counts as carried by at least three (Иванов И.И. is everywhere, even if this base is small).
                // The more different people carry the surname in this base, the likelier two of them share the
                // initials by chance: every four such people count as one more carrier.
                Level::Firm => {
                    let people = pa.surname_people.max(pb.surname_people);
                    let floor = if pa.common || pb.common { 3 } else { people.div_ceil(4) };
                    decay(cfg, base, df.max(floor))
                }
            };
            if w > 0.0 && best.as_ref().is_none_or(|x| w > x.weight()) {
                best = Some(Piece::Person { a: ia as u32, b: ib as u32, df, weight: w });
            }
        }
    }
    best
}

/// Scores two groups of cards at a level.
pub fn score(p: &Prepared, cfg: &Config, a: &Node, b: &Node, level: Level) -> Scored {
    let mut best: [Option<Piece>; 7] = Default::default();
    let put = |best: &mut [Option<Piece>; 7], s: Signal, piece: Piece| {
        let slot = &mut best[s as usize];
        if piece.weight() > 0.0 && slot.as_ref().is_none_or(|x| piece.weight() > x.weight()) {
            *slot = Some(piece);
        }
    };
    let mut generic_shared: Option<(u64, u32)> = None;
    for (ha, df) in shared_keys(a, b) {
        let kind = kind_of(ha);
        // A legal entity's ИНН typed on a card of another (the only way two groups share one, `block`): a
        // sister company's card, firm evidence like a contact.
        if kind == KeyKind::Inn && level == Level::Firm {
            put(
                &mut best,
                Signal::TypedInn,
                Piece::Shared { hash: ha, df, weight: decay(cfg, cfg.weights.typed_inn, df) },
            );
        }
        if let Some(g) = signal_of(kind) {
            let mut w = kind_weight(cfg, kind, df, level);
            let mut g = g;
            // A brand that is both sides' own name says nothing more than the name: it counts as a name
            // root would (weak, needs a second signal).
            if kind == KeyKind::Brand {
                if brand_is_both_names(a, b, ha) {
                    g = Signal::Name;
                    w = w.min(cfg.weights.name_root);
                }
                // A brand whose words other companies carry as their names is less telling.
                w *= brand_rarity(p, cfg, a, b, ha, df);
            }
            put(&mut best, g, Piece::Shared { hash: ha, df, weight: w });
            if df > cfg.generic.max_entities && g != Signal::Brand && generic_shared.is_none() {
                generic_shared = Some((ha, df));
            }
        }
    }
    let df_of = |h: u64| a.keys.binary_search_by_key(&h, |x| x.0).map(|k| a.keys[k].1).unwrap_or(1);
    if let Some(piece) = person_match(cfg, a, b, level, df_of) {
        put(&mut best, Signal::Person, piece);
    }
    // One side's brand equal to the other's name is name evidence: it competes with the name root, which it
    // usually repeats, rather than adding to it.
    if level == Level::Firm
        && let Some((brand_on_a, brand, name, w)) = brand_name(p, cfg, a, b)
    {
        put(&mut best, Signal::Name, Piece::BrandName { brand_on_a, brand, name, weight: w });
    }
    // Name similarity decides the legal-entity level; the firm level uses the root instead (and skips the cost).
    let name = if level == Level::Entity { best_name(p, a, b) } else { None };
    let name_sim = name.map_or(0.0, |x| x.2);
    let mut close_name = false;
    match level {
        Level::Entity => {
            // Close names (a little under the floor) with a shared value of a kind this base trusts with them.
            if let Some((x, y, sim)) = name
                && sim < cfg.thresholds.entity_name_min
                && sim >= p.close_names.min_similarity
                && p.close_names.any()
                && shared_keys(a, b).any(|(h, df)| {
                    let kind = kind_of(h);
                    df <= cfg.generic.max_entities
                        && p.close_names.joins(kind)
                        && (!matches!(kind, KeyKind::Person | KeyKind::PersonFull)
                            || best[Signal::Person as usize].is_some())
                })
            {
                close_name = true;
                put(&mut best, Signal::Name, Piece::Name { a: x, b: y, sim, weight: cfg.weights.name * sim });
            }
            if let Some((x, y, sim)) = name
                && sim >= cfg.thresholds.entity_name_min
            {
                put(&mut best, Signal::Name, Piece::Name { a: x, b: y, sim, weight: cfg.weights.name * sim });
                // A generic value confirms a rare near-identical name (never links on its own).
                if let Some((hash, df)) = generic_shared {
                    let rarity =
                        name_rarity(p, cfg, &a.names[x as usize]).min(name_rarity(p, cfg, &b.names[y as usize]));
                    let g = signal_of(kind_of(hash)).unwrap_or(Signal::Phone);
                    put(&mut best, g, Piece::Shared { hash, df, weight: cfg.weights.generic_with_rare_name * rarity });
                }
            }
        }
        Level::Firm => {
            if let Some((t, r)) = best_root(p, cfg, a, b) {
                put(&mut best, Signal::Name, Piece::Root { token: t, rarity: r, weight: cfg.weights.name_root * r });
            }
        }
    }
    // Exactly as many as there are pieces: a base's scored pairs are kept through the firm rounds.
    let mut evidence: Vec<(Signal, Piece)> = Vec::with_capacity(best.iter().flatten().count());
    evidence.extend(Signal::ALL.iter().zip(best).filter_map(|(s, piece)| piece.map(|pc| (*s, pc))));
    evidence.sort_by(|x, y| y.1.weight().total_cmp(&x.1.weight()).then(x.0.cmp(&y.0)));
    // `+ 0.0`: the sum of no evidence is 0, not the -0 a float sum starts from.
    let score: f32 = evidence.iter().map(|(_, pc)| pc.weight()).sum::<f32>() + 0.0;
    // The same decision-maker known by both initials (or in full) on both sides is as good as a shared contact at
    // the legal-entity level; a surname and one initial is not.
    let has_contact = evidence.iter().any(|(s, pc)| {
        matches!(s, Signal::Phone | Signal::Email | Signal::Address)
            || matches!(pc, Piece::Person { a: ia, b: ib, .. }
                if person_is_full(&a.persons[*ia as usize], &b.persons[*ib as usize]))
    });
    Scored { score, signals: evidence.len() as u8, evidence, name_sim, has_contact, close_name }
}

/// Adds to a legal-entity pair of near-identical names the e-mail of one card that spells the surname of the
/// other's contact ([`crate::matching::mail_person`]; only pairs the base trusts it for are given): a
/// decision-maker's piece, counted as a shared contact.
pub fn with_mail_person(cfg: &Config, s: &mut Scored, m: &crate::matching::mail_person::MailPair) {
    if s.name_sim < cfg.thresholds.entity_name_min || cfg.weights.mail_person <= 0.0 {
        return;
    }
    let piece =
        Piece::MailPerson { email_card: m.email_card, contact_card: m.contact_card, weight: cfg.weights.mail_person };
    match s.evidence.iter().position(|(sig, _)| *sig == Signal::Person) {
        Some(i) if s.evidence[i].1.weight() >= piece.weight() => {}
        Some(i) => s.evidence[i].1 = piece,
        None => s.evidence.push((Signal::Person, piece)),
    }
    s.evidence.sort_by(|x, y| y.1.weight().total_cmp(&x.1.weight()).then(x.0.cmp(&y.0)));
    s.score = s.evidence.iter().map(|(_, pc)| pc.weight()).sum::<f32>() + 0.0;
    s.signals = s.evidence.len() as u8;
    s.has_contact = true;
}

/// The two records name the person with both initials alike, or in full, on both sides.
fn person_is_full(a: &PersonLite, b: &PersonLite) -> bool {
    (a.full && b.full) || matches!((a.full_key, b.full_key), (Some(x), Some(y)) if x == y)
}

/// True when the two share a phone, email, domain, address or a decision-maker with both initials (generic
/// ones included): without one, no legal-entity link is possible, so the costly name comparison is skipped.
pub fn shares_contact(a: &Node, b: &Node) -> bool {
    shared_keys(a, b).any(|(h, _)| {
        matches!(signal_of(kind_of(h)), Some(Signal::Phone | Signal::Email | Signal::Address))
            || kind_of(h) == KeyKind::PersonFull
    })
}

/// The keys two groups share, with the number of legal entities (or firms) carrying each as side A counts it: a
/// merge of their two sorted key lists.
pub fn shared_keys<'a>(a: &'a Node, b: &'a Node) -> impl Iterator<Item = (u64, u32)> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while i < a.keys.len() && j < b.keys.len() {
            let (ha, hb) = (a.keys[i].0, b.keys[j].0);
            if ha < hb {
                i += 1;
            } else if hb < ha {
                j += 1;
            } else {
                let df = a.keys[i].1;
                i += 1;
                j += 1;
                return Some((ha, df));
            }
        }
        None
    })
}

/// True when a scored pair is a legal-entity link.
pub fn is_entity_link(cfg: &Config, s: &Scored) -> bool {
    s.close_name
        || (s.score >= cfg.thresholds.entity
            && s.name_sim >= cfg.thresholds.entity_name_min
            && (!cfg.thresholds.entity_needs_contact || s.has_contact))
}

/// True when a pair whose whole distinctive name is unique in the base (`Prepared::unique_name_pairs`) is a
/// legal-entity link: the names are the same, and nothing else they carry contradicts.
pub fn is_unique_name_link(s: &Scored) -> bool {
    s.name_sim >= 0.999
}

/// True when a scored pair is a legal-entity link, by either rule: the score ([`is_entity_link`]) or, for a pair
/// whose whole distinctive name is unique in the base (`unique_name`), the name alone ([`is_unique_name_link`]).
/// Clustering and `explain` both decide with it.
pub fn joins_entities(cfg: &Config, s: &Scored, unique_name: bool) -> bool {
    is_entity_link(cfg, s) || (unique_name && is_unique_name_link(s))
}

/// True when a scored pair is a firm link.
pub fn is_firm_link(cfg: &Config, s: &Scored) -> bool {
    s.score >= cfg.thresholds.firm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_and_rarity() {
        let cfg = Config::default();
        assert_eq!(decay(&cfg, 1.0, 1), 1.0);
        assert_eq!(decay(&cfg, 1.0, 2), 1.0);
        assert!((decay(&cfg, 1.0, 4) - 0.25).abs() < 1e-6);
        assert_eq!(decay(&cfg, 1.0, cfg.generic.max_entities + 1), 0.0);
        assert_eq!(word_rarity(&cfg, 1), 1.0);
        assert!(word_rarity(&cfg, 3000) < 0.01);
        // A root carried by the four companies of one holding is still rare; one on forty companies is not.
        assert_eq!(root_rarity(&cfg, 4), 1.0);
        assert!(word_rarity(&cfg, 4) < 0.3);
        assert!((root_rarity(&cfg, 8) - 0.25).abs() < 1e-6);
        assert!(root_rarity(&cfg, 40) < 0.011);
    }

    #[test]
    fn a_one_letter_typo_is_exactly_the_threshold_whatever_its_words_weigh() {
        // A one-letter typo in a one-word name is 0.9, the legal-entity name floor, whatever the word weighs in
        // this base (unrounded, w * 0.9 / w falls a unit in the last place under 0.9 for some weights).
        let one_word =
            NameSides {
                words: (1, 1), compact: ("бябрюн", "ббрюн"), persons: false, surname_of_person: false
            };
        for w in [3.1f32, 8.7, 13.37, 0.3, 11.111, 7.77, 9.99] {
            assert_eq!(name_similarity_by(one_word, |_, _| w, |_, _| 0.9, || true), 0.9, "weight {w}");
        }
    }
}
