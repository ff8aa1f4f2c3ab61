//! The managers' check: given whatever a manager knows about a client (name, ИНН, phone, email, site, brand,
//! contact), find the firms of the state it may be, best first, with the evidence in words and what the manager
//! may do with each.
//!
//! Answers come from the state's key index, never by re-running the matcher, but they are scored as the matcher
//! scores: the query is a card, each candidate firm a group, and the weights, rarity curve, thresholds and name
//! similarity are the matcher's own ([`crate::matching::score`]), with the configuration the state was built with
//! ([`crate::state::read_config`]). A value counts by the number of firms carrying it in the state. The query
//! is the same client as a firm when it shares an ИНН or ОГРН with it (a hard key), when the firm-level score
//! reaches the firm threshold, when the legal-entity rule holds (a near-identical name and a contact), or when
//! the name alone is carried by that firm and by no other (a unique name).
//!
//! What the manager may do is the ownership rule of [`crate::ownership`]; the words are in [`texts`], Russian by
//! default, so the HTTP page and the command line say the same.

use std::borrow::Cow;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::config::Config;
use crate::dict::Dictionaries;
use crate::matching::block::PersonLite;
use crate::matching::keys::KeyKind;
use crate::matching::score::{self, Level, NameSides, Signal};
use crate::normalize::{self, NormName, PhoneKind};
use crate::ownership::{self, Access};
use crate::state::snapshot::word_variants;

/// The language of what people read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// Russian (the default: managers are Russian speakers).
    #[default]
    Ru,
    /// English.
    En,
}

/// What the manager knows.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Company name (any form).
    pub name: Option<String>,
    /// ИНН (or ОГРН).
    pub inn: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Brand.
    pub brand: Option<String>,
    /// Decision-maker.
    pub contact: Option<String>,
    /// The manager asking (for the status).
    pub manager: Option<String>,
}

/// A question that cannot be asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    /// Nothing to search by.
    #[error("nothing to look for: give at least one of --name, --inn, --phone, --email, --website, --brand, --contact")]
    Empty,
    /// A bad value, with what to do.
    #[error("{0}")]
    Bad(String),
}

/// One candidate firm.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Match {
    /// Firm id.
    pub firm_id: String,
    /// Canonical name.
    pub name: String,
    /// True when judged to be the client asked about.
    pub same_firm: bool,
    /// Score: the sum over signal groups of the strongest evidence, as the matcher sums.
    pub score: f32,
    /// What the asking manager may do: yours, held, stale_claimable, pool, at_limit.
    pub status: Access,
    /// The status in words.
    pub status_text: String,
    /// Owner.
    pub owner: Option<String>,
    /// Latest activity on the firm.
    pub last_activity: Option<String>,
    /// Why it matched.
    pub evidence: Vec<String>,
    /// Its legal entities.
    pub legal_entities: Vec<String>,
    /// Its brands.
    pub brands: Vec<String>,
    /// Managers holding its cards.
    pub managers: Vec<String>,
    /// Cards.
    pub cards: u32,
    /// Days since the owner's last activity on the firm (none in the pool or when unknown).
    pub idle_days: Option<i64>,
    /// Why it is the same client: `inn` (a shared ИНН or ОГРН), `score` (the firm-level score), `entity` (a
    /// near-identical name with a contact), `unique_name` (the name is this firm's and no other's); none when
    /// only similar.
    pub found_by: Option<FoundBy>,
    /// Its name is the asked one, or near-identical to it.
    pub same_name: bool,
}

/// Why a firm is judged to be the client asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    /// A shared ИНН or ОГРН.
    Inn,
    /// The firm-level score reaches the firm threshold.
    Score,
    /// A near-identical name and a shared contact reach the legal-entity threshold.
    Entity,
    /// The name is carried by this firm and by no other.
    UniqueName,
}

/// The answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Answer {
    /// True when the best match is judged to be the same client.
    pub found: bool,
    /// What the answer means, in one sentence.
    pub verdict: String,
    /// Matches, best first (may include merely similar firms).
    pub matches: Vec<Match>,
    /// Firms beyond those listed whose name is the asked one (or near-identical to it): a common name needs an
    /// ИНН or a phone to tell them apart.
    pub more_with_same_name: u32,
    /// What was not used of the question, and why (an ИНН that fails its check digits ...).
    pub notes: Vec<String>,
    /// For `--manager`, when a release rule is on: the manager's firms against the limit and those the rules
    /// will send to the pool ([`ownership::manager_note`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_note: Option<String>,
}

/// Name candidates compared with the asked name, at most.
const MAX_NAME_CANDIDATES: usize = 60;

/// Firms a key is looked up on, at most (a value on more is generic long before).
const MAX_KEY_FIRMS: usize = 2000;

/// A name word carried by more firms than this does not pull candidates for a name look-up (too common to
/// narrow anything down).
const MAX_WORD_FIRMS: usize = 300;

/// One piece of evidence, in data; [`texts::evidence`] says it in words.
#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    /// The asked ИНН (or ОГРН, `ogrn`) belongs to a legal entity of the firm.
    Inn {
        /// The number.
        value: String,
        /// True for an ОГРН.
        ogrn: bool,
        /// The legal entity's name.
        entity: String,
    },
    /// A contact value of the question is on a card of the firm.
    Value {
        /// What kind of value.
        kind: KeyKind,
        /// True when it was asked as a website.
        site: bool,
        /// The value.
        value: String,
        /// The card.
        card: String,
        /// Firms carrying it.
        firms: u32,
    },
    /// The asked name (or brand) is like a name on a card of the firm.
    Name {
        /// True for the brand asked.
        brand: bool,
        /// The card's name.
        name: String,
        /// The card.
        card: String,
        /// Similarity 0..1.
        sim: f32,
    },
    /// The КПП asked is on a card of the firm.
    Kpp {
        /// The КПП.
        value: String,
        /// The card.
        card: String,
        /// Firms carrying it.
        firms: u32,
    },
    /// None of the identifiers given is on the firm: its name counts less.
    IdsAbsent {
        /// The factor applied to the name.
        factor: f32,
        /// The firm has another ИНН than the one asked.
        other_inn: bool,
    },
}

#[derive(Default)]
struct Cand {
    /// Firm level: strongest weight per signal group.
    firm: Weights,
    /// Legal-entity level: strongest weight per signal group.
    entity: Weights,
    evidence: Vec<(f32, Evidence)>,
    hard: bool,
    /// An ИНН, phone, email or site of the question is on the firm.
    identified: bool,
    contact: bool,
    generic_contact: bool,
    name_sim: f32,
    name_rarity: f32,
    /// The asked name's legal form (ООО, ИП ...) is the one on the best-matching card: breaks ties between firms
    /// of one name.
    same_form: bool,
}

/// The strongest weight of each signal group, in group order (a few groups: no map needed).
#[derive(Default)]
struct Weights(smallvec::SmallVec<[(Group, f32); 6]>);

impl Weights {
    fn get_mut(&mut self, g: &Group) -> Option<&mut f32> {
        self.0.iter_mut().find(|(k, _)| k == g).map(|(_, w)| w)
    }

    /// The weights summed in group order.
    fn sum(&self) -> f32 {
        self.0.iter().map(|(_, w)| *w).sum()
    }
}

fn put(m: &mut Weights, signal: Group, w: f32) {
    match m.0.binary_search_by(|(k, _)| k.cmp(&signal)) {
        Ok(i) => {
            if w > m.0[i].1 {
                m.0[i].1 = w;
            }
        }
        Err(i) => m.0.insert(i, (signal, w.max(0.0))),
    }
}

impl Cand {
    fn firm_score(&self) -> f32 {
        self.firm.sum()
    }
    fn entity_score(&self) -> f32 {
        self.entity.sum()
    }
}

/// What a query value counts as: one of the matcher's signal groups ([`Signal`]; a group counts once, its
/// strongest value), or what the look-up adds to them: an identifier the matcher joins by rule (ИНН, ОГРН), a
/// КПП (ranks branches), a generic contact confirming a rare name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Group {
    /// ИНН or ОГРН.
    Id,
    /// One of the matcher's signal groups.
    Signal(Signal),
    /// A КПП (ranks only).
    Kpp,
    /// A generic contact (reception, accountant) shared with a rare near-identical name.
    Generic,
}

/// The group of a key kind, as the matcher groups them.
fn group(kind: KeyKind) -> Group {
    match kind {
        KeyKind::Inn | KeyKind::Ogrn => Group::Id,
        KeyKind::Person | KeyKind::PersonFull => Group::Signal(Signal::Person),
        k => Group::Signal(score::signal_of(k).unwrap_or(Signal::Name)),
    }
}

/// An identifier, phone or e-mail/site: a value that points at a client, unlike a name or a person.
fn identifies(g: Group) -> bool {
    matches!(g, Group::Id | Group::Signal(Signal::Phone | Signal::Email))
}

/// Firms carrying a key: (firm, first card), at most [`MAX_KEY_FIRMS`].
fn lookup(conn: &Connection, kind: KeyKind, value: &str) -> rusqlite::Result<Vec<(String, String)>> {
    lookup_at_most(conn, kind, value, MAX_KEY_FIRMS)
}

/// Firms carrying a key, at most `limit` of them.
fn lookup_at_most(
    conn: &Connection,
    kind: KeyKind,
    value: &str,
    limit: usize,
) -> rusqlite::Result<Vec<(String, String)>> {
    // The limit is written into the statement: SQLite re-prepares a statement whose LIMIT is a bound value at
    // every new binding, and the look-up asks with a few fixed limits. In firm-id order, which is the key
    // index's own (its primary key, version 3; a version-2 state sorts the few rows), so a key on more firms
    // than the limit gives the same firms however the state was written (diffed or whole), and the same as
    // the names held in memory (`names::NameIndex`).
    // A version-4 state keeps the card only (its firm is the card's); an older one the firm too.
    if crate::state::keys_by_code(conn)? {
        let mut st = conn.prepare_cached(&format!(
            "SELECT c.firm_id, k.card_id FROM keys k JOIN cards c ON c.card_id = k.card_id \
             WHERE k.kind = ?1 AND k.value = ?2 ORDER BY c.firm_id LIMIT {limit}"
        ))?;
        let rows = st.query_map(params![kind.code(), value], |r| Ok((r.get(0)?, r.get(1)?)))?;
        return rows.collect();
    }
    let mut st = conn.prepare_cached(&format!(
        "SELECT firm_id, card_id FROM keys WHERE kind = ?1 AND value = ?2 ORDER BY firm_id LIMIT {limit}"
    ))?;
    let rows = st.query_map(params![kind.name(), value], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn entity_name_of_card(conn: &Connection, card: &str) -> rusqlite::Result<String> {
    conn.prepare_cached("SELECT e.name FROM cards c JOIN entities e ON e.entity_id = c.entity_id WHERE c.card_id = ?1")?
        .query_row([card], |r| r.get(0))
        .optional()
        .map(|x| x.unwrap_or_default())
}

/// A query phone: the normaliser's parser, and when it refuses, the number without an extension it does not
/// know (`д. 869`, `доб.12`, `вн 3`, `ext. 7`).
pub fn parse_query_phone(v: &str) -> Option<normalize::Phone> {
    if let Ok(p) = normalize::phone::parse_phone(v, None) {
        return Some(p);
    }
    let lower = v.to_lowercase();
    for tag in ["доб", "вн", "ext", "д"] {
        if let Some(at) = lower.rfind(tag) {
            let (main, rest) = (&lower[..at], &lower[at + tag.len()..]);
            let rest = rest.trim_start_matches(|c: char| c == '.' || c == ':' || c.is_whitespace());
            if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()) && rest.len() <= 6 {
                let main = main.trim_end_matches(|c: char| c == ',' || c == '(' || c.is_whitespace());
                if let Ok(mut p) = normalize::phone::parse_phone(main, None) {
                    p.ext = Some(rest.into());
                    return Some(p);
                }
            }
        }
    }
    None
}

/// The keys a question gives (kind, normalised value), as the state's key index holds them; bad values are
/// errors, an ИНН that fails its check digits a note.
pub fn query_keys(q: &Query, dict: &Dictionaries) -> Result<(Vec<(KeyKind, String)>, Vec<String>), QueryError> {
    let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let mut keys = Vec::new();
    let mut notes = Vec::new();
    if let Some(v) = given(&q.inn) {
        let ids = normalize::normalize_ids(&v, "", "");
        if let Some(inn) = ids.inn() {
            keys.push((KeyKind::Inn, inn.to_string()));
        } else if let Some(ogrn) = ids.ogrn() {
            keys.push((KeyKind::Ogrn, ogrn.to_string()));
        } else if let Some(kpp) = ids.kpp() {
            // A КПП typed into the ИНН field (as on CRM cards): it ranks the firms carrying it, never identifies.
            notes.push(format!("kpp:{kpp}"));
        } else if ids.inn_invalid().is_some() {
            // A mistyped ИНН (as on CRM cards) is a note, not a refusal: the rest of the question is searched, and
            // alone it answers "cannot tell", never "free".
            notes.push(format!("inn_invalid:{v}"));
        } else {
            return Err(QueryError::Bad(format!(
                "ИНН {v:?} is not valid (an ИНН has 10 digits for a company or 12 for a person, with check digits): check the digits"
            )));
        }
    }
    if let Some(v) = given(&q.phone) {
        let p = parse_query_phone(&v).ok_or_else(|| {
            QueryError::Bad(format!("{v:?} is not a phone number: give it with its area code, e.g. +7 495 123-45-67"))
        })?;
        let kind = match p.kind {
            PhoneKind::Local => KeyKind::LocalPhone,
            PhoneKind::TollFree => KeyKind::TollFree,
            _ => KeyKind::Phone,
        };
        keys.push((kind, p.number.to_string()));
    }
    if let Some(v) = given(&q.email) {
        let e = normalize::parse_email(&v, dict)
            .ok_or_else(|| QueryError::Bad(format!("{v:?} is not an email address")))?;
        keys.push((KeyKind::Email, e.address.to_string()));
        if !e.public {
            keys.push((KeyKind::Domain, e.domain().to_string()));
        }
    }
    if let Some(v) = given(&q.website) {
        let w =
            normalize::normalize_website(&v, dict).ok_or_else(|| QueryError::Bad(format!("{v:?} is not a website")))?;
        keys.push((KeyKind::Domain, w));
    }
    if let Some(v) = given(&q.contact) {
        let p = normalize::parse_person(&v, dict).ok_or_else(|| {
            QueryError::Bad(format!("no person's name found in {v:?}: give a surname, e.g. Иванов И.И."))
        })?;
        if p.patronymic_initial.is_some() {
            keys.push((KeyKind::PersonFull, p.key()));
        }
        keys.push((KeyKind::Person, p.block_key()));
    }
    if let Some(v) = given(&q.brand) {
        let b = normalize::normalize_name(&v, dict);
        if b.is_empty() {
            return Err(QueryError::Bad(format!("brand {v:?} has no letters or digits")));
        }
        keys.push((KeyKind::Brand, b.compact()));
    }
    Ok((keys, notes))
}

/// A question whose name carries requisites (`Ромашка ИНН 7707083893`, as the cards' names are read): asked as
/// the name without them, and by the ИНН (or ОГРН) when none was asked. `None` when the name carries none.
fn requisites_from_name(q: &Query) -> Option<Query> {
    let r = crate::normalize::ids::requisites_in_name(q.name.as_deref()?)?;
    let inn = match q.inn.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(asked) => Some(asked.to_string()),
        // Only a valid one: an invalid number asked would refuse the whole question.
        None => r
            .inn
            .filter(|v| crate::normalize::ids::inn_valid(v))
            .or(r.ogrn.filter(|v| crate::normalize::ids::ogrn_valid(v))),
    };
    Some(Query { name: Some(r.name).filter(|n| !n.trim().is_empty()), inn, ..q.clone() })
}

/// A question whose name carries a brand beside the legal name (`Сибмаркет Сити (ООО «Сибмаркет»)`, as the cards'
/// names are read; in a question also `Пицца Фан - ООО Трапеза`) and no brand: asked as the legal name and the
/// brand. `None` when there is nothing to split.
fn split_brand_from_name(q: &Query, dict: &Dictionaries) -> Option<Query> {
    if q.brand.as_deref().is_some_and(|b| !b.trim().is_empty()) {
        return None;
    }
    let name = q.name.as_deref()?.trim();
    let (legal, brand) = match crate::normalize::name::split_name_tags(name, dict) {
        (core, _, Some(brand)) => (core, brand),
        _ => crate::normalize::name::brand_beside_legal_name(name, dict, true)?,
    };
    Some(Query { name: Some(legal), brand: Some(brand), ..q.clone() })
}

/// The state's word counts, read once per question.
struct Words<'s> {
    source: &'s dyn NameSource,
    df: FxHashMap<String, u32>,
    /// Firms in the state (the documents of the idf).
    labels: u32,
}

impl Words<'_> {
    fn df(&mut self, word: &str) -> u32 {
        if let Some(&n) = self.df.get(word) {
            return n;
        }
        let n = self.source.word_firms(word).unwrap_or(1);
        self.df.insert(word.to_string(), n);
        n
    }
}

/// The look-up's word similarity: the matcher's, and one typo in a short word (four letters) forgiven, which
/// a manager typing a name makes and the matcher, comparing two cards, does not need.
fn lookup_word_sim(a: &normalize::name::NameToken, b: &normalize::name::NameToken) -> f32 {
    if a.key() == b.key() {
        return 1.0;
    }
    let s = score::word_similarity(a.key(), Some(a.text()), b.key(), Some(b.text()));
    if s > 0.0 {
        return s;
    }
    let (la, lb) = (a.text().chars().count(), b.text().chars().count());
    let digits = |t: &str| t.chars().any(|c| c.is_ascii_digit());
    if la == 4
        && lb == 4
        && !digits(a.text())
        && !digits(b.text())
        && crate::matching::edit::osa_distance_within(a.text(), b.text(), 1) == Some(1)
    {
        return 0.8;
    }
    0.0
}

/// The words of a name that are numbers, in order.
fn numbers(n: &NormName) -> impl Iterator<Item = &str> {
    n.tokens.iter().filter(|t| t.key().bytes().all(|c| c.is_ascii_digit())).map(|t| t.key())
}

/// A normalised name with what comparing it needs, computed once.
#[derive(Clone, Copy)]
struct Compared<'a> {
    name: &'a NormName,
    /// [`NormName::compact`].
    compact: &'a str,
    /// The weight of each word, or empty to ask [`Words`].
    weights: &'a [f32],
}

impl<'a> Compared<'a> {
    #[cfg(test)]
    fn of(name: &'a NormName, compact: &'a str) -> Compared<'a> {
        Compared { name, compact, weights: &[] }
    }

    fn prepared(p: &'a names::PreparedName) -> Compared<'a> {
        Compared { name: &p.norm, compact: &p.compact, weights: &p.token_weights }
    }
}

/// The look-up's word similarities of two names ([`lookup_word_sim`]), each pair computed once, when first asked.
struct PairSims<'a> {
    a: &'a NormName,
    b: &'a NormName,
    m: std::cell::OnceCell<smallvec::SmallVec<[f32; 64]>>,
}

impl<'a> PairSims<'a> {
    fn new(a: &'a NormName, b: &'a NormName) -> PairSims<'a> {
        PairSims { a, b, m: std::cell::OnceCell::new() }
    }

    /// The similarity of word `i` of A and word `j` of B.
    fn get(&self, i: usize, j: usize) -> f32 {
        let nb = self.b.tokens.len();
        let m = self.m.get_or_init(|| {
            (0..self.a.tokens.len() * nb)
                .map(|k| lookup_word_sim(&self.a.tokens[k / nb], &self.b.tokens[k % nb]))
                .collect()
        });
        m[i * nb + j]
    }
}

/// The weight of each word of a name in the name similarity, from the firms of the state carrying it.
fn word_weights(words: &mut Words, n: &NormName) -> smallvec::SmallVec<[f32; 8]> {
    n.tokens.iter().map(|t| score::word_weight(words.df(t.key()), words.labels, t.generic)).collect()
}

/// A name's word weights: those known beforehand (kept with the name), or else asked of the state's word counts
/// into `asked`.
fn known_or_asked<'s>(words: &mut Words, n: Compared<'s>, asked: &'s mut smallvec::SmallVec<[f32; 8]>) -> &'s [f32] {
    if n.weights.len() == n.name.tokens.len() {
        return n.weights;
    }
    *asked = word_weights(words, n.name);
    asked
}

/// The matcher's name similarity between two normalised names, words weighted by their counts in the state.
fn name_sim(words: &mut Words, a: Compared, b: Compared, sims: &PairSims) -> f32 {
    let (mut asked_a, mut asked_b) = (smallvec::SmallVec::new(), smallvec::SmallVec::new());
    let wa = known_or_asked(words, a, &mut asked_a);
    let wb = known_or_asked(words, b, &mut asked_b);
    let (a, ca, b, cb) = (a.name, a.compact, b.name, b.compact);
    // The matcher counts two compatible persons 0.95 whether or not they are written alike; a manager asking for
    // "ИП Рианов П.И." wants the firm written so before "ИП Сяанов П.И.", whose surname is one typo away (0.97 by
    // the words), so a person written exactly as asked counts as any name written so.
    let persons = ca != cb
        && match (&a.person, &b.person) {
            (Some(pa), Some(pb)) => PersonLite::of(pa).compatible(&PersonLite::of(pb)),
            _ => false,
        };
    let side = |n: &NormName| {
        (crate::matching::block::is_ip_surname(n), n.person.as_deref().map(|p| PersonLite::of(p).surname))
    };
    let surname_of_person = score::surname_of_person(side(a), side(b));
    score::name_similarity_by(
        NameSides { words: (a.tokens.len(), b.tokens.len()), compact: (ca, cb), persons, surname_of_person },
        |on_a, i| if on_a { wa[i] } else { wb[i] },
        |i, j| sims.get(i, j),
        || numbers(a).eq(numbers(b)),
    )
}

/// Near-identical names, for a name asked alone: the same words (generic ones included) in both directions, one
/// typo allowed in each, and the same numbers; or the compact keys one typo apart. "Ромашка Трейд" is not
/// near-identical to "Ромашка" (a sister company, or another one), though the matcher's weighted similarity
/// finds them close.
fn near_identical(a: Compared, b: Compared, sims: &PairSims) -> bool {
    if a.compact == b.compact {
        return true;
    }
    let (ca, cb) = (a.compact, b.compact);
    let (a, b) = (a.name, b.name);
    let (na, nb) = (a.tokens.len(), b.tokens.len());
    if na == 0 || nb == 0 {
        return false;
    }
    // Every word of A like a word of B, and every word of B like a word of A.
    let covered_ab = || (0..na).all(|i| (0..nb).any(|j| sims.get(i, j) > 0.0));
    let covered_ba = || (0..nb).all(|j| (0..na).any(|i| sims.get(i, j) > 0.0));
    numbers(a).eq(numbers(b))
        && ((na == nb && covered_ab() && covered_ba()) || score::edit_similarity_reaching(ca, cb, 0.9) >= 0.9)
}

/// The name with one typo in a word of a spelled-out legal form mended ("Общество с ограниченной
/// отвественностью", "Индивидуальный предприниамтель"), or None when no word of six letters or more is one edit
/// from such a word. The normaliser then recognises the form, and the typo does not become a word of the name.
fn fix_legal_form_typo(raw: &str, dict: &Dictionaries) -> Option<String> {
    let mut form_words: Vec<&str> = dict
        .legal_forms
        .iter()
        .flat_map(|f| f.tokens.iter().map(String::as_str))
        .filter(|w| w.chars().count() >= 6)
        .collect();
    form_words.sort_unstable();
    form_words.dedup();
    let mut changed = false;
    let words: Vec<String> = raw
        .split(' ')
        .map(|w| {
            let lower = w.to_lowercase().replace('ё', "е");
            if lower.chars().count() < 6
                || !lower.chars().all(char::is_alphabetic)
                || form_words.contains(&lower.as_str())
            {
                return w.to_string();
            }
            match form_words.iter().find(|f| strsim::osa_distance(f, &lower) == 1) {
                Some(f) => {
                    changed = true;
                    f.to_string()
                }
                None => w.to_string(),
            }
        })
        .collect();
    changed.then(|| words.join(" "))
}

/// The name root the matcher compares at the firm level: the first distinctive word of three letters or more that
/// is not a number.
fn root(n: &NormName) -> Option<&normalize::name::NameToken> {
    n.tokens.iter().find(|t| !t.generic && t.key().chars().count() >= 3 && !t.key().bytes().all(|c| c.is_ascii_digit()))
}

/// Answers a question, in Russian.
pub fn check(
    conn: &Connection,
    dict: &Dictionaries,
    q: &Query,
    today: NaiveDate,
    limit: usize,
) -> Result<Answer, Box<dyn std::error::Error + Send + Sync>> {
    check_in(conn, dict, q, today, limit, Lang::Ru)
}

/// Answers a question in the given language, reading everything from the state.
pub fn check_in(
    conn: &Connection,
    dict: &Dictionaries,
    q: &Query,
    today: NaiveDate,
    limit: usize,
    lang: Lang,
) -> Result<Answer, Box<dyn std::error::Error + Send + Sync>> {
    check_with(conn, &names::Sqlite(conn), dict, q, today, limit, lang)
}

/// Answers a question in the given language, the names read from `source` (the state itself, or a
/// [`NameIndex`] of its last run) and the rest from the state in `conn`.
pub fn check_with(
    conn: &Connection,
    source: &dyn NameSource,
    dict: &Dictionaries,
    q: &Query,
    today: NaiveDate,
    limit: usize,
    lang: Lang,
) -> Result<Answer, Box<dyn std::error::Error + Send + Sync>> {
    let given = [&q.name, &q.inn, &q.phone, &q.email, &q.website, &q.brand, &q.contact];
    if given.iter().all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty())) {
        return Err(Box::new(QueryError::Empty));
    }
    let cfg = source.config()?;
    let cfg: &Config = &cfg;
    let taken = requisites_from_name(q);
    let q = taken.as_ref().unwrap_or(q);
    let split = split_brand_from_name(q, dict);
    let q = split.as_ref().unwrap_or(q);
    let (keys, notes) = query_keys(q, dict)?;
    let contact_person = q.contact.as_deref().and_then(|v| normalize::parse_person(v, dict));

    let mut cands: FxHashMap<String, Cand> = FxHashMap::default();
    // The asked value carried by the most firms among those that count for nothing there (an agency's phone, an
    // accountant's e-mail): (kind, asked as a site, firms).
    let mut shared_value: Option<(KeyKind, bool, u32)> = None;
    for (kind, value) in &keys {
        let hits = lookup(conn, *kind, value)?;
        let n = hits.len() as u32;
        let g = group(*kind);
        let (firm_w, entity_w) = match kind {
            // A hard key: the same legal entity whatever else differs.
            KeyKind::Inn | KeyKind::Ogrn => (cfg.thresholds.firm, cfg.thresholds.entity),
            KeyKind::Person | KeyKind::PersonFull => {
                let base = if *kind == KeyKind::PersonFull { cfg.weights.person_full } else { cfg.weights.person };
                // As the matcher: one of the most common surnames counts as carried by at least three.
                let floor = if contact_person.as_ref().is_some_and(|p| p.common_surname) { 3 } else { 1 };
                (score::decay(cfg, base, n.max(floor)), score::level_weight(cfg, base, n, Level::Entity))
            }
            _ => (score::key_weight(cfg, *kind, n, Level::Firm), score::key_weight(cfg, *kind, n, Level::Entity)),
        };
        let is_contact = matches!(g, Group::Signal(Signal::Phone | Signal::Email));
        let site = *kind == KeyKind::Domain && q.website.as_deref().is_some_and(|w| !w.trim().is_empty());
        if n > 0 && firm_w <= 0.0 && entity_w <= 0.0 && shared_value.is_none_or(|(_, _, m)| m < n) {
            shared_value = Some((*kind, site, n));
        }
        for (firm, card) in hits {
            let c = cands.entry(firm).or_default();
            c.identified |= identifies(g);
            put(&mut c.firm, g, firm_w);
            put(&mut c.entity, g, entity_w);
            if matches!(kind, KeyKind::Inn | KeyKind::Ogrn) {
                c.hard = true;
                let entity = entity_name_of_card(conn, &card)?;
                c.evidence.push((firm_w, Evidence::Inn { value: value.clone(), ogrn: *kind == KeyKind::Ogrn, entity }));
                continue;
            }
            if is_contact {
                if n > cfg.generic.max_entities {
                    c.generic_contact = true;
                } else {
                    c.contact = true;
                }
            }
            c.evidence.push((firm_w, Evidence::Value { kind: *kind, site, value: value.clone(), card, firms: n }));
        }
    }

    // A КПП asked: the firms of the state whose cards carry it, ranked by how few do; never the same client by
    // itself (a head office's КПП `NNNN01001` is shared by every company of its tax office).
    for kpp in notes.iter().filter_map(|n| n.strip_prefix("kpp:")) {
        let mut st =
            conn.prepare_cached(&format!("SELECT firm_id, card_id FROM cards WHERE kpp = ?1 LIMIT {MAX_KEY_FIRMS}"))?;
        let mut hits: Vec<(String, String)> =
            st.query_map([kpp], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        hits.sort();
        hits.dedup_by(|a, b| a.0 == b.0);
        let n = hits.len() as u32;
        // Ranks only: a hundredth of a phone's weight, by the same rarity curve.
        let w = score::decay(cfg, cfg.weights.phone / 100.0, n);
        for (firm, card) in hits {
            let c = cands.entry(firm).or_default();
            put(&mut c.firm, Group::Kpp, w);
            c.evidence.push((w, Evidence::Kpp { value: kpp.to_string(), card, firms: n }));
        }
    }

    // Names: candidate firms by whole name, by word, and by words one typo away; the firms matching the most (and
    // rarest) words are compared, at most MAX_NAME_CANDIDATES of them.
    let labels = source
        .labels()?
        // A state no run has completed holds no firm: "free" would be a lie.
        .ok_or_else(|| {
            QueryError::Bad("the state holds no completed run yet: run `firmdedup dedup --state` first".into())
        })?;
    let mut words = Words { source, df: FxHashMap::default(), labels };
    let mut query_names: Vec<(bool, NormName)> = Vec::new();
    if let Some(v) = q.name.as_deref().filter(|s| !s.trim().is_empty()) {
        let mut n = normalize::normalize_name(v, dict);
        if n.legal_form.is_none()
            && let Some(fixed) = fix_legal_form_typo(v, dict)
        {
            let m = normalize::normalize_name(&fixed, dict);
            if m.legal_form.is_some() && !m.is_empty() {
                n = m;
            }
        }
        if n.is_empty() {
            return Err(Box::new(QueryError::Bad(format!("name {v:?} has no words besides its legal form"))));
        }
        query_names.push((false, n));
    }
    if let Some(v) = q.brand.as_deref().filter(|s| !s.trim().is_empty()) {
        query_names.push((true, normalize::normalize_name(v, dict)));
    }
    // Firms whose name is the asked one, and firms near-identical to it (the asked name only, not the brand).
    let mut same_name: Vec<String> = Vec::new();
    let mut near: Vec<String> = Vec::new();
    for (is_brand, qn) in &query_names {
        // Firm ids borrowed from the source where it holds them (the names in memory), else owned.
        let mut pull: FxHashMap<Cow<str>, f32> = FxHashMap::default();
        let exact = source.firms_named(&qn.compact(), MAX_KEY_FIRMS)?;
        for f in &exact {
            pull.insert(Cow::Owned(f.clone()), f32::MAX);
        }
        if !is_brand {
            same_name = exact;
            same_name.sort();
            same_name.dedup();
        }
        for t in qn.tokens.iter().filter(|t| !t.generic && t.key().chars().count() >= 3) {
            let mut ws: Vec<String> = vec![t.key().to_string()];
            for v in word_variants(t.key()) {
                for w in source.words_with_variant(&v)? {
                    let close = score::edit_similarity_reaching(&w, t.key(), 0.8) >= 0.8
                        || (t.key().chars().count() == 4
                            && crate::matching::edit::osa_distance_within(&w, t.key(), 1) == Some(1));
                    if !ws.contains(&w) && close {
                        ws.push(w);
                    }
                }
            }
            let mut hit: Vec<Cow<str>> = Vec::new();
            for w in &ws {
                // A word on more than MAX_WORD_FIRMS firms pulls nothing: its count (one row of `name_words`, one
                // `keys` row per firm) says so without reading its firms.
                if words.df(w) as usize > MAX_WORD_FIRMS {
                    continue;
                }
                let hits = source.firms_with_word(w, MAX_WORD_FIRMS + 1)?;
                if hits.len() <= MAX_WORD_FIRMS {
                    hit.extend(hits);
                }
            }
            hit.sort();
            hit.dedup();
            // A word found on few firms pulls harder than one found on many.
            let w = 1.0 / (2.0 + hit.len() as f32).ln();
            for f in hit {
                let e = pull.entry(f).or_insert(0.0);
                *e = (*e + w).min(f32::MAX);
            }
        }
        let mut firms: Vec<(Cow<str>, f32)> = pull.into_iter().collect();
        // The strongest pulls, in order (a total order: firm ids differ): the first `keep` chosen, then sorted.
        let by_pull = |a: &(Cow<str>, f32), b: &(Cow<str>, f32)| {
            b.1.total_cmp(&a.1).then_with(|| crate::pipeline::id_order(&a.0, &b.0))
        };
        let keep = MAX_NAME_CANDIDATES.max(same_name.len().min(300));
        if firms.len() > keep {
            firms.select_nth_unstable_by(keep, by_pull);
            firms.truncate(keep);
        }
        firms.sort_by(by_pull);
        // The rarity of the asked name: of its rarest distinctive word, by firms carrying it.
        let rarity = qn
            .tokens
            .iter()
            .filter(|t| !t.generic && t.key().chars().count() >= 3)
            .map(|t| score::word_rarity(cfg, words.df(t.key())))
            .fold(0.0f32, f32::max);
        let q_root = root(qn).map(|t| (t.clone(), words.df(t.key())));
        for (f, _) in firms {
            let best = best_name(source, dict, &mut words, &f, qn)?;
            if best.sim < 0.6 {
                continue;
            }
            let c = cands.entry(f.to_string()).or_default();
            // Legal-entity level: the name's similarity; firm level: a shared name root, by its rarity.
            if !is_brand {
                if best.sim >= cfg.thresholds.entity_name_min {
                    put(&mut c.entity, Group::Signal(Signal::Name), cfg.weights.name * best.sim);
                }
                if best.near {
                    near.push(f.to_string());
                }
                c.name_sim = c.name_sim.max(best.sim);
                c.name_rarity = rarity;
                if best.same_form {
                    c.same_form = true;
                }
            }
            let root_w = match (&q_root, &best.root) {
                (Some((a, df)), Some(b))
                    if a.key() == b.key() || (a.key().len() >= 5 && lookup_word_sim(a, b) >= 0.85) =>
                {
                    cfg.weights.name_root * score::root_rarity(cfg, (*df).max(words.df(b.key())))
                }
                _ => 0.0,
            };
            // A name never identifies at the firm level on its own, but it ranks the firms that carry it.
            let rank_w = cfg.weights.name * best.sim * rarity.max(0.05);
            put(&mut c.firm, Group::Signal(Signal::Name), root_w.max(rank_w));
            let w = root_w.max(cfg.weights.name * best.sim);
            c.evidence.push((w, Evidence::Name { brand: *is_brand, name: best.name, card: best.card, sim: best.sim }));
        }
    }
    near.sort();
    near.dedup();

    // A name asked without a brand may be the client's brand (what a manager often knows of it): the firms carrying
    // it as a brand that the name did not find are listed, at half a brand's weight, so never the same client by it
    // alone (a brand is often another company's name) but never unseen either.
    if q.brand.as_deref().is_none_or(|b| b.trim().is_empty())
        && let Some((_, n)) = query_names.iter().find(|(is_brand, _)| !is_brand)
    {
        let value = n.compact();
        let hits = lookup(conn, KeyKind::Brand, &value)?;
        let w = score::key_weight(cfg, KeyKind::Brand, hits.len() as u32, Level::Firm) / 2.0;
        let firms = hits.len() as u32;
        for (firm, card) in hits {
            if cands.get(&firm).is_some_and(|c| c.evidence.iter().any(|(_, e)| matches!(e, Evidence::Name { .. }))) {
                continue;
            }
            let c = cands.entry(firm).or_default();
            put(&mut c.firm, group(KeyKind::Brand), w);
            c.evidence
                .push((w, Evidence::Value { kind: KeyKind::Brand, site: false, value: value.clone(), card, firms }));
        }
    }

    // A generic contact (reception, accountant) confirms a rare near-identical name at the legal-entity level.
    for c in cands.values_mut() {
        if c.generic_contact && c.name_sim >= cfg.thresholds.entity_name_min {
            put(&mut c.entity, Group::Generic, cfg.weights.generic_with_rare_name * c.name_rarity);
        }
    }

    // A name is weaker when the question also gave identifiers (ИНН, phone, email, site) and this firm has none
    // of them: the manager may describe another company of the same name. Another ИНН on the firm contradicts it.
    let gave_ids = keys.iter().any(|(k, _)| identifies(group(*k)));
    let asked_inn: Option<&str> = keys.iter().find(|(k, _)| *k == KeyKind::Inn).map(|(_, v)| v.as_str());
    let mut contradicted: Vec<String> = Vec::new();
    if gave_ids {
        for (firm, c) in cands.iter_mut() {
            if c.identified {
                continue;
            }
            let mut other_inn = false;
            if let Some(inn) = asked_inn {
                let (has_inn, has_this) = source.firm_has_inn(firm, inn)?;
                other_inn = has_inn && !has_this;
            }
            let factor = if other_inn { 0.2 } else { 0.6 };
            if other_inn {
                contradicted.push(firm.clone());
            }
            for m in [&mut c.firm, &mut c.entity] {
                if let Some(w) = m.get_mut(&Group::Signal(Signal::Name)) {
                    *w *= factor;
                }
            }
            c.evidence.push((0.0, Evidence::IdsAbsent { factor, other_inn }));
        }
    }

    // Same client? By a hard key, the firm score, the legal-entity rule, or a unique name.
    // A name carried by one firm; or, when nothing else was asked that the firm lacks, near-identical to one
    // firm's name and to no other's.
    let lacks_ids = |f: &str| gave_ids && cands.get(f).is_some_and(|c| !c.identified);
    let unique_name: Option<String> = match (same_name.as_slice(), near.as_slice()) {
        ([one], _) | ([], [one]) if !lacks_ids(one) => Some(one.clone()),
        _ => None,
    }
    .filter(|f| !contradicted.contains(f));
    let found_by = |firm: &str, c: &Cand| -> Option<FoundBy> {
        if c.hard {
            Some(FoundBy::Inn)
        } else if c.firm_score() >= cfg.thresholds.firm {
            Some(FoundBy::Score)
        } else if c.entity_score() >= cfg.thresholds.entity
            && c.name_sim >= cfg.thresholds.entity_name_min
            && (!cfg.thresholds.entity_needs_contact || c.contact || c.generic_contact)
        {
            Some(FoundBy::Entity)
        } else if unique_name.as_deref() == Some(firm) {
            Some(FoundBy::UniqueName)
        } else {
            None
        }
    };

    // Rank: the same client first, then by score; the asked legal form breaks ties.
    // Firms that only carry a value counting for nothing (a shared phone) are listed when nothing else matched:
    // the manager sees who carries it instead of "free".
    let any_scored = cands.values().any(|c| c.firm_score().max(c.entity_score()) > 0.0);
    let mut ranked: Vec<(String, f32, Option<FoundBy>, (f32, bool))> = cands
        .iter()
        .map(|(f, c)| (f, c, c.firm_score().max(c.entity_score())))
        .filter(|(_, c, s)| if any_scored { *s > 0.0 } else { !c.evidence.is_empty() })
        .map(|(f, c, s)| (f.clone(), s, found_by(f, c), (c.name_sim, c.same_form)))
        .collect();
    // Ties (a shared name root weighs the same on "Ромашка" and "Ромашка Сервис") go to the closer name.
    ranked.sort_by(|a, b| {
        b.2.is_some()
            .cmp(&a.2.is_some())
            .then(b.1.total_cmp(&a.1))
            .then(b.3.0.total_cmp(&a.3.0))
            .then(b.3.1.cmp(&a.3.1))
            .then_with(|| crate::pipeline::id_order(&a.0, &b.0))
    });
    // Firms of the same name beyond the listed ones.
    let shown_same: usize =
        ranked.iter().take(limit).filter(|r| same_name.contains(&r.0) || near.contains(&r.0)).count();
    let carriers = same_name.len().max(near.len());
    let more_with_same_name =
        if unique_name.is_none() && carriers > 1 { carriers.saturating_sub(shown_same) as u32 } else { 0 };
    // The verdict is about the best firm whatever `limit` lists: it is always looked at (`--limit 0` must not
    // turn a held firm into "free"); the list is cut to `limit` at the end.
    ranked.truncate(limit.max(1));
    let my_firms: u32 = match &q.manager {
        Some(m) => source.firms_held_by(m)?,
        None => 0,
    };
    let mut matches = Vec::new();
    for (firm, score, found_by, _) in ranked {
        let firm_key = firm.clone();
        let row = conn
            .prepare_cached(
                "SELECT name, owner, owner_last_activity, last_activity, cards FROM firms WHERE firm_id = ?1",
            )?
            .query_row([&firm], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .optional()?;
        let Some((name, owner, owner_last, last, cards)) = row else { continue };
        let owner = Some(owner).filter(|s| !s.is_empty());
        let idle = NaiveDate::parse_from_str(&owner_last, "%Y-%m-%d").ok().map(|d| (today - d).num_days().max(0));
        let hold = ownership::hold(owner.is_some(), idle, &cfg.ownership);
        let status = ownership::access(hold, owner.as_deref(), q.manager.as_deref(), my_firms, &cfg.ownership);
        let idle_days = if owner.is_some() { idle } else { None };
        let status_text = texts::status(lang, status, owner.as_deref(), idle_days, my_firms, cfg.ownership.limit);
        let mut st = conn
            .prepare_cached("SELECT name FROM entities WHERE firm_id = ?1 ORDER BY cards DESC, entity_id LIMIT 20")?;
        let legal_entities: Vec<String> = st.query_map([&firm], |r| r.get(0))?.collect::<Result<_, _>>()?;
        // Brands and managers from the cards, as typed values (never the capped display lists).
        let (brands, managers) = source.firm_brands_managers(&firm)?;
        let mut ev = cands.get_mut(&firm).map(|c| std::mem::take(&mut c.evidence)).unwrap_or_default();
        let mut ev: Vec<(f32, String)> = ev.drain(..).map(|(w, e)| (w, texts::evidence(lang, &e))).collect();
        ev.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        ev.dedup_by(|a, b| a.1 == b.1);
        matches.push(Match {
            firm_id: firm,
            name,
            same_firm: found_by.is_some(),
            score: (score * 100.0).round() / 100.0,
            status,
            status_text,
            owner,
            last_activity: Some(last).filter(|s| !s.is_empty()),
            evidence: ev.into_iter().take(8).map(|(_, t)| t).collect(),
            legal_entities,
            brands,
            managers,
            cards: cards as u32,
            idle_days,
            same_name: same_name.contains(&firm_key) || near.contains(&firm_key),
            found_by,
        });
    }
    let found = matches.first().is_some_and(|m| m.same_firm);
    let verdict = if !found && keys.is_empty() && query_names.is_empty() {
        // Only a КПП or a mistyped ИНН was asked: it cannot say whether the client is in the base.
        texts::unusable(lang, notes.iter().any(|n| n.starts_with("kpp:")))
    } else if let Some((kind, site, n)) = shared_value.filter(|_| !found && !any_scored) {
        // Never "free" when firms of the base carry the value asked.
        texts::shared_value(lang, kind, site, n, n as usize >= MAX_KEY_FIRMS)
    } else {
        texts::verdict(lang, matches.first(), carriers as u32, more_with_same_name)
    };
    let notes = notes.iter().map(|n| texts::note(lang, n)).collect();
    // The nudge only when a release rule is on (no extra query otherwise).
    let release_rule =
        cfg.ownership.release_after_days > 0 || cfg.ownership.over_limit == crate::config::OverLimit::ReleaseOldest;
    let manager_note = match &q.manager {
        Some(m) if release_rule => {
            ownership::manager_note(&cfg.ownership, today, &crate::state::history::held_activity(conn, m)?)
        }
        _ => None,
    };
    matches.truncate(limit);
    Ok(Answer { found, verdict, matches, more_with_same_name, notes, manager_note })
}
/// Firms held by each login ([`ownership::login_key`]): the per-login counts the run stored
/// (`meta.owner_firms`), else the owners of the state counted.
pub(crate) fn owner_counts(conn: &Connection) -> rusqlite::Result<FxHashMap<String, u32>> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'owner_firms'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    if let Some(map) = stored.and_then(|s| serde_json::from_str::<FxHashMap<String, u32>>(&s).ok()) {
        return Ok(map);
    }
    let mut st = conn.prepare_cached("SELECT owner, count(*) FROM firms WHERE owner != '' GROUP BY owner")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut counts: FxHashMap<String, u32> = FxHashMap::default();
    for row in rows {
        let (owner, c) = row?;
        *counts.entry(ownership::login_key(&owner)).or_default() += c as u32;
    }
    Ok(counts)
}

/// Firms held by a manager, logins compared through [`ownership::login_key`].
pub(crate) fn firms_held_by(counts: &FxHashMap<String, u32>, manager: &str) -> u32 {
    counts.get(&ownership::login_key(manager)).copied().unwrap_or(0)
}

/// The card of a firm whose name is closest to the asked one.
struct BestName {
    sim: f32,
    name: String,
    card: String,
    root: Option<normalize::name::NameToken>,
    /// Near-identical to the asked name (see [`near_identical`]).
    near: bool,
    /// The card's legal form is the asked one (both given).
    same_form: bool,
}

/// The best similarity between the query name and the names on the firm's cards.
fn best_name(
    source: &dyn NameSource,
    dict: &Dictionaries,
    words: &mut Words,
    firm: &str,
    q: &NormName,
) -> rusqlite::Result<BestName> {
    let rows = source.firm_prepared_names(firm, dict)?;
    let mut best =
        BestName { sim: 0.0, name: String::new(), card: String::new(), root: None, near: false, same_form: false };
    let mut seen: Vec<&str> = Vec::new();
    let q_compact = q.compact();
    let q_weights = word_weights(words, q);
    let q = Compared { name: q, compact: &q_compact, weights: &q_weights };
    for p in rows.iter().filter(|p| !p.repeats) {
        let names::CardName { card, name, legal_form: form } = &p.card_name;
        let same_form = q.name.legal_form.as_deref().is_some_and(|f| f == form);
        if seen.contains(&name.as_str()) && (!same_form || best.same_form) {
            continue;
        }
        seen.push(name);
        let other = Compared::prepared(p);
        let sims = PairSims::new(q.name, other.name);
        let s = name_sim(words, q, other, &sims);
        // Near-identical to one of the firm's names is enough.
        best.near = best.near || near_identical(q, other, &sims);
        if s > best.sim || (s == best.sim && same_form && !best.same_form) {
            let root = root(&p.norm).cloned();
            best = BestName { sim: s, name: name.clone(), card: card.clone(), root, near: best.near, same_form };
        }
    }
    Ok(best)
}

pub mod names;
pub mod queries;

pub use names::{NameIndex, NameSource};

/// What people read, in one place, Russian and English: the status of a firm for the asking manager, the
/// verdict, the evidence. The HTTP page and the command line both say it with these functions.
pub mod texts {
    use super::{Evidence, Lang, Match};
    use crate::matching::keys::KeyKind;
    use crate::ownership::Access;

    /// "1 день", "2 дня", "5 дней".
    pub fn days_ru(n: i64) -> String {
        let (m10, m100) = (n.rem_euclid(10), n.rem_euclid(100));
        let word = if m10 == 1 && m100 != 11 {
            "день"
        } else if (2..=4).contains(&m10) && !(12..=14).contains(&m100) {
            "дня"
        } else {
            "дней"
        };
        format!("{n} {word}")
    }

    /// "1 фирма", "2 фирмы", "5 фирм".
    pub fn firms_ru(n: u32) -> String {
        let (m10, m100) = (n % 10, n % 100);
        let word = if m10 == 1 && m100 != 11 {
            "фирма"
        } else if (2..=4).contains(&m10) && !(12..=14).contains(&m100) {
            "фирмы"
        } else {
            "фирм"
        };
        format!("{n} {word}")
    }

    /// A firm nobody in the base holds and the question found nothing about: "Фирма свободна".
    pub fn free(lang: Lang) -> String {
        match lang {
            Lang::Ru => "Фирма свободна".into(),
            Lang::En => "The firm is free".into(),
        }
    }

    /// In the pool: "В копилке — можно взять".
    pub fn pool(lang: Lang) -> String {
        match lang {
            Lang::Ru => "В копилке — можно взять".into(),
            Lang::En => "In the pool — you may take it".into(),
        }
    }

    /// The asking manager's own firm: "Ваша фирма".
    pub fn yours(lang: Lang) -> String {
        match lang {
            Lang::Ru => "Ваша фирма".into(),
            Lang::En => "Your firm".into(),
        }
    }

    /// Held by someone active: "Закреплена за …, последняя активность 12 дней назад — можно только смотреть
    /// историю".
    pub fn held(lang: Lang, owner: &str, idle_days: Option<i64>) -> String {
        match (lang, idle_days) {
            (Lang::Ru, Some(d)) => format!(
                "Закреплена за {owner}, последняя активность {} назад — можно только смотреть историю",
                days_ru(d)
            ),
            (Lang::Ru, None) => {
                format!("Закреплена за {owner}, активность не записана — можно только смотреть историю")
            }
            (Lang::En, Some(d)) => {
                format!("Held by {owner}, last activity {d} days ago — you may only read its history")
            }
            (Lang::En, None) => format!("Held by {owner}, no recorded activity — you may only read its history"),
        }
    }

    /// Held by someone gone quiet, claimable: "Закреплена за …, но без активности 140 дней — можно забрать".
    pub fn stale_claimable(lang: Lang, owner: &str, idle_days: Option<i64>) -> String {
        match (lang, idle_days) {
            (Lang::Ru, Some(d)) => format!("Закреплена за {owner}, но без активности {} — можно забрать", days_ru(d)),
            (Lang::Ru, None) => format!("Закреплена за {owner}, но активность не записана — можно забрать"),
            (Lang::En, Some(d)) => format!("Held by {owner}, but no activity for {d} days — you may claim it"),
            (Lang::En, None) => format!("Held by {owner}, but no recorded activity — you may claim it"),
        }
    }

    /// Claimable, but the manager is at the limit: "Свободна, но у вас уже 200 из 200".
    pub fn at_limit(lang: Lang, owner: Option<&str>, idle_days: Option<i64>, my_firms: u32, limit: u32) -> String {
        match (lang, owner) {
            (Lang::Ru, None) => format!("Свободна, но у вас уже {my_firms} из {limit}"),
            (Lang::Ru, Some(o)) => {
                let idle = idle_days.map_or("активность не записана".to_string(), |d| {
                    format!("без активности {}", days_ru(d))
                });
                format!("Закреплена за {o}, но {idle} — можно было бы забрать, но у вас уже {my_firms} из {limit}")
            }
            (Lang::En, None) => format!("Free, but you already hold {my_firms} of {limit}"),
            (Lang::En, Some(o)) => {
                let idle =
                    idle_days.map_or("no recorded activity".to_string(), |d| format!("no activity for {d} days"));
                format!("Held by {o} ({idle}) and claimable, but you already hold {my_firms} of {limit}")
            }
        }
    }

    /// The status of a firm for the asking manager, in words.
    pub fn status(
        lang: Lang,
        access: Access,
        owner: Option<&str>,
        idle_days: Option<i64>,
        my_firms: u32,
        limit: u32,
    ) -> String {
        match (access, owner) {
            (Access::Yours, _) => yours(lang),
            (Access::Pool, _) | (Access::Held | Access::StaleClaimable, None) => pool(lang),
            (Access::Held, Some(o)) => held(lang, o, idle_days),
            (Access::StaleClaimable, Some(o)) => stale_claimable(lang, o, idle_days),
            (Access::AtLimit, o) => at_limit(lang, o, idle_days, my_firms, limit),
        }
    }

    /// "ещё 84 фирмы с таким названием — уточните ИНН или телефон".
    pub fn more_with_same_name(lang: Lang, n: u32) -> String {
        match lang {
            Lang::Ru => format!("ещё {} с таким названием — уточните ИНН или телефон", firms_ru(n)),
            Lang::En => format!("{n} more firms carry this name — give the ИНН or a phone"),
        }
    }

    /// The answer in one sentence. `carriers`: firms whose name is the asked one (or near-identical); `more`:
    /// those of them not listed.
    pub fn verdict(lang: Lang, first: Option<&Match>, carriers: u32, more: u32) -> String {
        let more_text = if more > 0 { format!("; {}", more_with_same_name(lang, more)) } else { String::new() };
        match (lang, first) {
            (Lang::Ru, Some(m)) if m.same_firm => {
                format!("Это фирма {} {}: {}{more_text}", m.firm_id, m.name, m.status_text)
            }
            (Lang::En, Some(m)) if m.same_firm => {
                format!("This is firm {} {}: {}{more_text}", m.firm_id, m.name, m.status_text)
            }
            // Never "free" when firms of the base carry the name: the manager must tell them apart first.
            (Lang::Ru, Some(_)) if carriers > 0 => format!(
                "Не определить по названию: его носят {} базы — уточните ИНН или телефон{}",
                firms_ru_gen(carriers),
                if more > 0 {
                    format!(" (в списке не все: ещё {})", firms_ru(more))
                } else {
                    String::new()
                }
            ),
            (Lang::En, Some(_)) if carriers > 0 => format!(
                "Cannot tell by the name: {carriers} firms of the base carry it — give the ИНН or a phone{}",
                if more > 0 { format!(" ({more} more not listed)") } else { String::new() }
            ),
            (Lang::Ru, Some(_)) => {
                format!(
                    "{}: в базе такой нет, фирмы ниже только похожи — проверьте, что это не одна из них",
                    free(lang)
                )
            }
            (Lang::En, Some(_)) => {
                format!(
                    "{}: not in the base; the firms below only look similar — make sure it is none of them",
                    free(lang)
                )
            }
            (Lang::Ru, None) => format!("{}: в базе ничего похожего нет", free(lang)),
            (Lang::En, None) => format!("{}: nothing in the base matches", free(lang)),
        }
    }

    /// The verdict when the values asked are on firms of the base but too many to tell the client (an agency's
    /// phone, an accountant's e-mail, a reception): `n` firms carry the most shared one (`at_least`: the look-up
    /// stopped counting).
    pub fn shared_value(lang: Lang, kind: KeyKind, site: bool, n: u32, at_least: bool) -> String {
        match lang {
            Lang::Ru => format!(
                "Не определить: {} из вопроса есть у {}{} базы — это общий номер или адрес (агентство, бухгалтер, \
                 ресепшен); уточните название или ИНН",
                kind_ru(kind, site),
                if at_least { "не меньше чем " } else { "" },
                firms_ru_after_u(n)
            ),
            Lang::En => format!(
                "Cannot tell: {} firms{} of the base carry the {} asked — a shared number or address (an agency, an \
                 accountant, a reception); give the name or the ИНН",
                n,
                if at_least { " or more" } else { "" },
                kind_en(kind, site)
            ),
        }
    }

    /// The verdict when only a КПП (`kpp`) or an ИНН failing its check digits was asked.
    pub fn unusable(lang: Lang, kpp: bool) -> String {
        match (lang, kpp) {
            (Lang::Ru, true) => "Не определить: КПП не определяет фирму — дайте ИНН, телефон или название".into(),
            (Lang::En, true) => "Cannot tell: a КПП does not identify a firm — give the ИНН, a phone or the name".into(),
            (Lang::Ru, false) => {
                "Не определить: ИНН не проходит проверку контрольных цифр — проверьте цифры или дайте телефон или название"
                    .into()
            }
            (Lang::En, false) => {
                "Cannot tell: the ИНН fails its check digits — check the digits, or give a phone or the name".into()
            }
        }
    }

    /// "у 1 фирмы", "у 2 фирм", "у 5 фирм", "у 21 фирмы" (the genitive after «у»), without the «у».
    fn firms_ru_after_u(n: u32) -> String {
        let word = if n % 10 == 1 && n % 100 != 11 { "фирмы" } else { "фирм" };
        format!("{n} {word}")
    }

    /// "1 фирма" as the subject of "носят": "1 фирма", "2 фирмы", "5 фирм" (the same forms).
    fn firms_ru_gen(n: u32) -> String {
        firms_ru(n)
    }

    fn kind_ru(kind: KeyKind, site: bool) -> &'static str {
        match kind {
            KeyKind::Phone | KeyKind::LocalPhone | KeyKind::TollFree => "телефон",
            KeyKind::Email => "e-mail",
            KeyKind::Domain if site => "сайт",
            KeyKind::Domain => "домен",
            KeyKind::Person | KeyKind::PersonFull => "ЛПР",
            KeyKind::Brand => "бренд",
            _ => "значение",
        }
    }

    fn kind_en(kind: KeyKind, site: bool) -> &'static str {
        match kind {
            KeyKind::Phone | KeyKind::LocalPhone | KeyKind::TollFree => "phone",
            KeyKind::Email => "email",
            KeyKind::Domain if site => "site",
            KeyKind::Domain => "domain",
            KeyKind::Person | KeyKind::PersonFull => "decision-maker",
            KeyKind::Brand => "brand",
            _ => "value",
        }
    }

    /// One piece of evidence in words.
    pub fn evidence(lang: Lang, e: &Evidence) -> String {
        match (lang, e) {
            (Lang::Ru, Evidence::Inn { value, ogrn, entity }) => {
                format!("{} {value} — юрлицо этой фирмы {entity}", if *ogrn { "ОГРН" } else { "ИНН" })
            }
            (Lang::En, Evidence::Inn { value, ogrn, entity }) => {
                format!("{} {value} belongs to legal entity {entity} of this firm", if *ogrn { "ОГРН" } else { "ИНН" })
            }
            (Lang::Ru, Evidence::Value { kind, site, value, card, firms }) => {
                let shared =
                    if *firms > 1 { format!(" (есть у {})", firms_ru_after_u(*firms)) } else { String::new() };
                format!("{} {value} есть на карточке {card} этой фирмы{shared}", kind_ru(*kind, *site))
            }
            (Lang::En, Evidence::Value { kind, site, value, card, firms }) => {
                let shared = if *firms > 1 { format!(" (on {firms} firms)") } else { String::new() };
                format!("{} {value} is on card {card} of this firm{shared}", kind_en(*kind, *site))
            }
            (Lang::Ru, Evidence::Kpp { value, card, firms }) => {
                format!(
                    "КПП {value} есть на карточке {card} этой фирмы (всего у {}; КПП фирму не определяет)",
                    super::texts::firms_ru(*firms)
                )
            }
            (Lang::En, Evidence::Kpp { value, card, firms }) => {
                format!(
                    "КПП {value} is on card {card} of this firm ({firms} firms in all; a КПП does not identify a firm)"
                )
            }
            (Lang::Ru, Evidence::Name { brand, name, card, sim }) => format!(
                "{} похоже на {name} (карточка {card}, сходство {sim:.2})",
                if *brand { "бренд" } else { "название" }
            ),
            (Lang::En, Evidence::Name { brand, name, card, sim }) => {
                format!("{} ~ {name} (card {card}, similarity {sim:.2})", if *brand { "brand" } else { "name" })
            }
            (Lang::Ru, Evidence::IdsAbsent { factor, other_inn: false }) => {
                format!(
                    "но ни ИНН, ни телефона, ни e-mail, ни сайта из вопроса на этой фирме нет (вес названия ×{factor})"
                )
            }
            (Lang::Ru, Evidence::IdsAbsent { factor, other_inn: true }) => {
                format!("но у этой фирмы другой ИНН (вес названия ×{factor})")
            }
            (Lang::En, Evidence::IdsAbsent { factor, other_inn: false }) => {
                format!("but none of the ИНН, phone, email or site given is on this firm (name weight ×{factor})")
            }
            (Lang::En, Evidence::IdsAbsent { factor, other_inn: true }) => {
                format!("but this firm has another ИНН (name weight ×{factor})")
            }
        }
    }

    /// A note about the question.
    pub fn note(lang: Lang, code: &str) -> String {
        match (lang, code.split_once(':')) {
            (Lang::Ru, Some(("inn_invalid", v))) => {
                format!("ИНН {v} не проходит проверку контрольных цифр — искали по остальным данным")
            }
            (Lang::En, Some(("inn_invalid", v))) => {
                format!("ИНН {v} fails its check digits — searched by the rest of the question")
            }
            (Lang::Ru, Some(("kpp", v))) => format!(
                "{v} — это КПП, а не ИНН: КПП не определяет фирму, фирмы с ним — только для сверки; дайте ИНН (10 или 12 цифр)"
            ),
            (Lang::En, Some(("kpp", v))) => format!(
                "{v} is a КПП, not an ИНН: a КПП does not identify a firm, the firms carrying it are for comparison only; give the ИНН (10 or 12 digits)"
            ),
            _ => code.to_string(),
        }
    }

    /// Headings and labels of the text answer.
    pub fn label(lang: Lang, what: &str) -> &'static str {
        match (lang, what) {
            (Lang::Ru, "same") => "тот же клиент",
            (Lang::En, "same") => "same client",
            (Lang::Ru, "similar") => "похожа, но не та",
            (Lang::En, "similar") => "similar, not the same",
            (Lang::Ru, "same_name") => "то же название, но не определить, она ли",
            (Lang::En, "same_name") => "the same name, but not known to be it",
            (Lang::Ru, "score") => "балл",
            (Lang::En, "score") => "score",
            (Lang::Ru, "status") => "статус",
            (Lang::En, "status") => "status",
            (Lang::Ru, "entities") => "юрлица",
            (Lang::En, "entities") => "legal entities",
            (Lang::Ru, "brands") => "бренды",
            (Lang::En, "brands") => "brands",
            (Lang::Ru, "owner") => "владелец",
            (Lang::En, "owner") => "owner",
            (Lang::Ru, "no_owner") => "нет (копилка)",
            (Lang::En, "no_owner") => "none (pool)",
            (Lang::Ru, "managers") => "менеджеры на карточках",
            (Lang::En, "managers") => "managers on its cards",
            (Lang::Ru, "none") => "нет",
            (Lang::En, "none") => "none",
            (Lang::Ru, "last") => "последняя активность",
            (Lang::En, "last") => "last activity",
            (Lang::Ru, "unknown") => "неизвестно",
            (Lang::En, "unknown") => "unknown",
            (Lang::Ru, "cards") => "карточек",
            (Lang::En, "cards") => "cards",
            (Lang::Ru, "note") => "примечание",
            (Lang::En, "note") => "note",
            _ => "",
        }
    }
}

/// The answer as one JSON object, as `check --json` prints it and the HTTP service's `/api/check` returns it:
/// one writer for both, so a CRM integration reads the same bytes from either.
pub fn answer_json(a: &Answer) -> String {
    // Serialising plain structs of strings, numbers and booleans cannot fail.
    // Control characters and bidi overrides from the data stay escaped (`\u202e`), as on the command line.
    let mut s = crate::sanitize::json_text(&serde_json::to_string_pretty(a).unwrap_or_default()).into_owned();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals() {
        assert_eq!(texts::days_ru(1), "1 день");
        assert_eq!(texts::days_ru(12), "12 дней");
        assert_eq!(texts::days_ru(22), "22 дня");
        assert_eq!(texts::days_ru(140), "140 дней");
        assert_eq!(texts::firms_ru(84), "84 фирмы");
        assert_eq!(texts::firms_ru(11), "11 фирм");
        assert_eq!(texts::firms_ru(21), "21 фирма");
        assert_eq!(
            texts::shared_value(Lang::Ru, KeyKind::Phone, false, 14, false),
            "Не определить: телефон из вопроса есть у 14 фирм базы — это общий номер или адрес (агентство, бухгалтер, \
             ресепшен); уточните название или ИНН"
        );
        assert!(
            texts::shared_value(Lang::Ru, KeyKind::Email, false, 21, false)
                .contains("e-mail из вопроса есть у 21 фирмы")
        );
        assert!(texts::shared_value(Lang::Ru, KeyKind::Email, false, 2000, true).contains("не меньше чем 2000 фирм"));
    }

    #[test]
    fn statuses_read_as_the_sales_team_says_them() {
        let s = |a, o, d, m| texts::status(Lang::Ru, a, o, d, m, 200);
        assert_eq!(s(Access::Pool, None, None, 0), "В копилке — можно взять");
        assert_eq!(s(Access::Yours, Some("petrov"), Some(3), 1), "Ваша фирма");
        assert_eq!(
            s(Access::Held, Some("Ивановой"), Some(12), 0),
            "Закреплена за Ивановой, последняя активность 12 дней назад — можно только смотреть историю"
        );
        assert_eq!(
            s(Access::StaleClaimable, Some("Петровым"), Some(140), 0),
            "Закреплена за Петровым, но без активности 140 дней — можно забрать"
        );
        assert_eq!(s(Access::AtLimit, None, None, 200), "Свободна, но у вас уже 200 из 200");
        assert_eq!(
            texts::more_with_same_name(Lang::Ru, 84),
            "ещё 84 фирмы с таким названием — уточните ИНН или телефон"
        );
    }

    #[test]
    fn query_phones_with_extensions() {
        for (v, number, ext) in [
            ("+7 495 123-45-67 д.869", "+74951234567", "869"),
            ("8 (495) 123-45-67, доб. 12", "+74951234567", "12"),
            ("+7 495 123 45 67 вн.3", "+74951234567", "3"),
            ("+7 495 123-45-67 ext. 7", "+74951234567", "7"),
        ] {
            let p = parse_query_phone(v).unwrap_or_else(|| panic!("{v} refused"));
            assert_eq!((p.number.as_str(), p.ext.as_deref()), (number, Some(ext)), "{v}");
        }
        assert!(parse_query_phone("дом 5").is_none());
    }

    #[test]
    fn a_query_gives_the_matchers_keys() {
        let d = Dictionaries::embedded();
        let ask = Query {
            inn: Some(" 7701 123 451 ".into()),
            phone: Some("8 (495) 123-45-67 доб. 12".into()),
            email: Some("Info@Romashka.ru".into()),
            contact: Some("Иванов Иван Иванович".into()),
            ..Query::default()
        };
        let (keys, notes) = query_keys(&ask, d).unwrap();
        let kinds: Vec<KeyKind> = keys.iter().map(|(k, _)| *k).collect();
        assert!(keys.contains(&(KeyKind::Inn, "7701123451".into())), "{keys:?}");
        assert!(keys.contains(&(KeyKind::Phone, "+74951234567".into())), "{keys:?}");
        assert!(keys.contains(&(KeyKind::Email, "info@romashka.ru".into())), "{keys:?}");
        assert!(keys.contains(&(KeyKind::Domain, "romashka.ru".into())), "{keys:?}");
        // A full name is asked both as the full person and by surname and initial, as the matcher keys people.
        assert!(kinds.contains(&KeyKind::PersonFull) && kinds.contains(&KeyKind::Person), "{keys:?}");
        assert!(notes.is_empty(), "{notes:?}");
        // The keys are the matcher's kinds: their hashes say their kind back, as the blocking keys do.
        for (k, _) in &keys {
            assert_eq!(crate::matching::keys::kind_of(crate::matching::keys::key_hash(*k, "x")), *k);
        }
        // A public mail service is not a firm's domain.
        let (keys, _) = query_keys(&Query { email: Some("ivanov@mail.ru".into()), ..Query::default() }, d).unwrap();
        assert_eq!(keys, vec![(KeyKind::Email, "ivanov@mail.ru".to_string())]);
        // A bad value is refused, saying what it is not.
        let e = query_keys(&Query { email: Some("not an address".into()), ..Query::default() }, d).unwrap_err();
        assert!(e.to_string().contains("not an email address"), "{e}");
    }

    #[test]
    fn query_values_count_in_the_matchers_signal_groups() {
        assert_eq!(group(KeyKind::LocalPhone), Group::Signal(Signal::Phone));
        assert_eq!(group(KeyKind::TollFree), Group::Signal(Signal::Phone));
        assert_eq!(group(KeyKind::Domain), Group::Signal(Signal::Email));
        assert_eq!(group(KeyKind::PersonFull), Group::Signal(Signal::Person));
        assert_eq!(group(KeyKind::Ogrn), Group::Id);
        // What points at one client: identifiers, phones, e-mails and sites; not a person or a brand.
        assert!(
            identifies(group(KeyKind::Inn)) && identifies(group(KeyKind::Phone)) && identifies(group(KeyKind::Domain))
        );
        assert!(!identifies(group(KeyKind::Person)) && !identifies(group(KeyKind::Brand)));
        // A group counts once, with its strongest value, as in the matcher.
        let mut c = Cand::default();
        put(&mut c.firm, group(KeyKind::Phone), 0.5);
        put(&mut c.firm, group(KeyKind::LocalPhone), 0.3);
        put(&mut c.firm, group(KeyKind::Email), 0.4);
        assert!((c.firm_score() - 0.9).abs() < 1e-6, "{}", c.firm_score());
    }

    #[test]
    fn near_identical_names_for_a_name_asked_alone() {
        let d = Dictionaries::embedded();
        let near = |a: &str, b: &str| {
            let (a, b) = (normalize::normalize_name(a, d), normalize::normalize_name(b, d));
            let (ca, cb) = (a.compact(), b.compact());
            near_identical(Compared::of(&a, &ca), Compared::of(&b, &cb), &PairSims::new(&a, &b))
        };
        // Legal form, quotes, case, look-alike Latin letters and one typo do not matter.
        assert!(near("ООО «Ромашка»", "ромашка"));
        assert!(near("Ромашка", "Pомашка"));
        assert!(near("Технопарк Сибирь", "Технопарк Сибрь"));
        // Another word is another company (a sister firm, or another one); another number too.
        assert!(!near("Ромашка Трейд", "Ромашка"));
        assert!(!near("Аптека №1", "Аптека №2"));
    }

    #[test]
    fn a_typo_in_a_short_word_is_forgiven_but_not_in_a_number() {
        let d = Dictionaries::embedded();
        let n = |s: &str| normalize::normalize_name(s, d);
        let (a, b) = (n("Вега"), n("Века"));
        assert_eq!(lookup_word_sim(&a.tokens[0], &b.tokens[0]), 0.8);
        let (a, b) = (n("1234"), n("1235"));
        assert_eq!(lookup_word_sim(&a.tokens[0], &b.tokens[0]), 0.0);
    }
}
