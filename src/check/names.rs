//! Where the look-up reads what it compares a question with: the state's configuration, its name words and
//! their counts, the firms carrying a name or a word, and each firm's card names and ИНН.
//!
//! Two sources answer the same questions the same way. [`Sqlite`] reads them from the state at each question
//! (`firmdedup check`: one question from process start). [`NameIndex`] holds them in memory, read once from one
//! snapshot of the state (`firmdedup serve`: thousands of questions, each of which would otherwise read a few
//! hundred random pages of the file); it knows the run it was read at, and the server uses it only while that
//! run is the state's last, so an answer never mixes two runs. Everything else of an answer (the keys of
//! identifiers, the listed firms' owners and details) is read from the state in the question's transaction.

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use compact_str::CompactString;
use rusqlite::{Connection, OptionalExtension};
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::xxh3_64;

use crate::config::Config;
use crate::dict::Dictionaries;
use crate::matching::keys::KeyKind;
use crate::normalize::name::NormName;
use crate::state::snapshot::word_variants;

/// Cards of a firm whose names the look-up compares with the asked one, at most (the first by card id).
pub const MAX_FIRM_CARDS: usize = 50;

/// Brands, and managers, of a listed firm that an answer names, at most.
pub const MAX_LISTED: usize = 20;

/// A name on a card of a firm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardName {
    /// The card.
    pub card: String,
    /// The name as the card carries it.
    pub name: String,
    /// Its legal form as normalised (`ооо`, `ип` …), or empty.
    pub legal_form: String,
}

/// A name on a card of a firm with its normalised form, as the look-up compares it with the asked name. The
/// names kept by a [`NameIndex`] hold only what the look-up compares: their `norm` has no display forms
/// (`display_core`, `branch`, `bracket_brand`, a person's `position`).
#[derive(Debug, Clone)]
pub struct PreparedName {
    /// The card, the name as it carries it and its legal form.
    pub card_name: CardName,
    /// The name normalised ([`crate::normalize::normalize_name`]).
    pub norm: NormName,
    /// Its compact key ([`NormName::compact`]).
    pub compact: String,
    /// The weight of each of its words in the name similarity ([`crate::matching::score::word_weight`] of the
    /// firms carrying it), when the source knows them at once; empty when the look-up should ask.
    pub token_weights: Vec<f32>,
    /// An earlier name of the same list is the same once normalised (legal form, words, person): it compares
    /// exactly as that one, and the look-up skips it.
    pub repeats: bool,
}

impl PreparedName {
    /// Normalises each of a firm's card names, and marks those that repeat an earlier one.
    pub fn all(names: Vec<CardName>, dict: &Dictionaries) -> Arc<[PreparedName]> {
        let mut out: Vec<PreparedName> = names
            .into_iter()
            .map(|c| {
                let norm = crate::normalize::normalize_name(&c.name, dict);
                let compact = norm.compact();
                PreparedName { card_name: c, norm, compact, token_weights: Vec::new(), repeats: false }
            })
            .collect();
        let mut first: FxHashMap<(&str, &str), Vec<usize>> = FxHashMap::default();
        let mut repeats = vec![false; out.len()];
        for (i, p) in out.iter().enumerate() {
            let earlier = first.entry((p.card_name.legal_form.as_str(), p.compact.as_str())).or_default();
            repeats[i] = earlier.iter().any(|&j| {
                let e = &out[j];
                e.norm.tokens == p.norm.tokens
                    && e.norm.person == p.norm.person
                    && e.norm.legal_form == p.norm.legal_form
            });
            if !repeats[i] {
                earlier.push(i);
            }
        }
        drop(first);
        for (p, r) in out.iter_mut().zip(repeats) {
            p.repeats = r;
        }
        out.into()
    }

    /// Bytes it holds on the heap and inline, roughly (for the memo's budget).
    fn bytes(&self) -> usize {
        let s = |x: &String| x.capacity();
        let o = |x: &Option<Box<str>>| x.as_ref().map_or(0, |b| b.len());
        // A short text is held inline, with no heap of its own.
        let cs = |x: &CompactString| if x.is_heap_allocated() { x.capacity() } else { 0 };
        let co = |x: &Option<CompactString>| x.as_ref().map_or(0, cs);
        let c = &self.card_name;
        let n = &self.norm;
        std::mem::size_of::<PreparedName>()
            + s(&self.compact)
            + self.token_weights.capacity() * 4
            + s(&c.card)
            + s(&c.name)
            + s(&c.legal_form)
            + co(&n.legal_form)
            + cs(&n.display_core)
            + o(&n.branch)
            + o(&n.bracket_brand)
            + n.tokens.len() * std::mem::size_of::<crate::normalize::name::NameToken>()
            + n.tokens.iter().map(|t| t.heap_bytes()).sum::<usize>()
            + n.person.as_ref().map_or(0, |p| {
                std::mem::size_of::<crate::normalize::person::Person>()
                    + cs(&p.surname)
                    + co(&p.first)
                    + co(&p.position)
            })
    }
}

/// What the look-up reads of the state besides the keys of identifiers. Firm ids are the state's.
pub trait NameSource {
    /// The configuration the state was built with.
    fn config(&self) -> Result<Cow<'_, Config>, Box<dyn std::error::Error + Send + Sync>>;
    /// Firms of the last completed run (the documents of the words' rarity), or None when no run completed.
    fn labels(&self) -> rusqlite::Result<Option<u32>>;
    /// Firms whose names carry the word; 1 for a word the state does not know.
    fn word_firms(&self, word: &str) -> rusqlite::Result<u32>;
    /// The state's name words that have `variant` among their variants ([`word_variants`]), in word order.
    fn words_with_variant(&self, variant: &str) -> rusqlite::Result<Vec<String>>;
    /// The firms whose names carry the word, at most `limit` (borrowed where the source holds them).
    fn firms_with_word(&self, word: &str, limit: usize) -> rusqlite::Result<Vec<Cow<'_, str>>>;
    /// The firms with a card of this whole name (compact key), at most `limit`.
    fn firms_named(&self, compact: &str, limit: usize) -> rusqlite::Result<Vec<String>>;
    /// The names on the firm's first [`MAX_FIRM_CARDS`] cards by card id, a name and legal form once (its
    /// first card).
    fn firm_names(&self, firm: &str) -> rusqlite::Result<Vec<CardName>>;
    /// The firm's card names ([`NameSource::firm_names`]), each normalised with `dict`.
    fn firm_prepared_names(&self, firm: &str, dict: &Dictionaries) -> rusqlite::Result<Arc<[PreparedName]>> {
        Ok(PreparedName::all(self.firm_names(firm)?, dict))
    }
    /// Whether the firm's cards carry an ИНН, and whether one of them is `inn`.
    fn firm_has_inn(&self, firm: &str, inn: &str) -> rusqlite::Result<(bool, bool)>;
    /// The brands and the managers written on the firm's cards, each list distinct, non-empty, in byte order,
    /// at most [`MAX_LISTED`].
    fn firm_brands_managers(&self, firm: &str) -> rusqlite::Result<(Vec<String>, Vec<String>)>;
    /// Firms the manager holds (logins compared through [`crate::ownership::login_key`]).
    fn firms_held_by(&self, manager: &str) -> rusqlite::Result<u32>;
}

/// The state read at each question.
pub struct Sqlite<'c>(pub &'c Connection);

fn keyed_firms(conn: &Connection, kind: KeyKind, value: &str, limit: usize) -> rusqlite::Result<Vec<String>> {
    Ok(super::lookup_at_most(conn, kind, value, limit)?.into_iter().map(|(firm, _)| firm).collect())
}

/// Hands `each` the texts `sql` (a key's range from `?1`, in key order) gives that begin with `start`.
fn starting_with(conn: &Connection, sql: &str, start: &str, mut each: impl FnMut(&str)) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(sql)?;
    let mut rows = st.query([start])?;
    while let Some(r) = rows.next()? {
        let t = r.get_ref(0)?.as_str()?;
        if !t.starts_with(start) {
            break;
        }
        each(t);
    }
    Ok(())
}

/// Whether deleting one letter of `word` gives `variant`, for a word one letter longer than the variant.
fn deletes_to(word: &str, variant: &str) -> bool {
    let (w, v) = (word.as_bytes(), variant.as_bytes());
    if w.len() <= v.len() {
        return false;
    }
    // The common prefix, cut back to a letter's start; the letter after it is the deleted one.
    let mut p = w.iter().zip(v).take_while(|(a, b)| a == b).count();
    while !word.is_char_boundary(p) {
        p -= 1;
    }
    let skipped = word[p..].chars().next().map_or(0, char::len_utf8);
    v[p..] == w[p + skipped..]
}

impl NameSource for Sqlite<'_> {
    fn config(&self) -> Result<Cow<'_, Config>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Cow::Owned(crate::state::read_config(self.0)?))
    }

    fn labels(&self) -> rusqlite::Result<Option<u32>> {
        let n = self
            .0
            .query_row("SELECT firms FROM runs WHERE outcome = 'ok' ORDER BY run_id DESC LIMIT 1", [], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?;
        Ok(n.map(|n| n.max(1) as u32))
    }

    fn word_firms(&self, word: &str) -> rusqlite::Result<u32> {
        let mut st = self.0.prepare_cached("SELECT firms FROM name_words WHERE word = ?1")?;
        Ok(st.query_row([word], |r| r.get::<_, i64>(0)).optional()?.unwrap_or(1) as u32)
    }

    fn words_with_variant(&self, variant: &str) -> rusqlite::Result<Vec<String>> {
        if !crate::state::keys_by_code(self.0)? {
            // An older state stores every word's variants.
            let mut st = self.0.prepare_cached("SELECT word FROM word_variants WHERE variant = ?1 ORDER BY word")?;
            return st.query_map([variant], |r| r.get(0))?.collect();
        }
        // The word itself, and the words of four letters or more one letter longer that give it with a letter
        // deleted (`word_variants`). Such a word begins as the variant's first half when the deleted letter is in
        // its second half, and ends as the variant's second half (from the half's last letter) otherwise: found by
        // their beginnings in `name_words` and their ends in `name_word_ends`, each a short range of a key.
        let mut out: Vec<String> = Vec::new();
        let mut exact = self.0.prepare_cached("SELECT 1 FROM name_words WHERE word = ?1")?;
        if exact.exists([variant])? {
            out.push(variant.to_string());
        }
        let chars: Vec<char> = variant.chars().collect();
        if chars.len() >= 3 {
            let h = chars.len().div_ceil(2);
            let begin: String = chars[..h].iter().collect();
            starting_with(self.0, "SELECT word FROM name_words WHERE word >= ?1 ORDER BY word", &begin, |w| {
                if deletes_to(w, variant) {
                    out.push(w.to_string());
                }
            })?;
            let end: String = chars[h - 1..].iter().rev().collect();
            starting_with(self.0, "SELECT rev FROM name_word_ends WHERE rev >= ?1 ORDER BY rev", &end, |rev| {
                let w: String = rev.chars().rev().collect();
                if deletes_to(&w, variant) {
                    out.push(w);
                }
            })?;
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    fn firms_with_word(&self, word: &str, limit: usize) -> rusqlite::Result<Vec<Cow<'_, str>>> {
        Ok(keyed_firms(self.0, KeyKind::NameToken, word, limit)?.into_iter().map(Cow::Owned).collect())
    }

    fn firms_named(&self, compact: &str, limit: usize) -> rusqlite::Result<Vec<String>> {
        keyed_firms(self.0, KeyKind::NameFull, compact, limit)
    }

    fn firm_names(&self, firm: &str) -> rusqlite::Result<Vec<CardName>> {
        let mut st = self.0.prepare_cached(&format!(
            "SELECT card_id, name, legal_form FROM cards WHERE firm_id = ?1 ORDER BY card_id LIMIT {MAX_FIRM_CARDS}"
        ))?;
        let rows =
            st.query_map([firm], |r| Ok(CardName { card: r.get(0)?, name: r.get(1)?, legal_form: r.get(2)? }))?;
        let mut out: Vec<CardName> = Vec::new();
        for row in rows {
            let c = row?;
            if !out.iter().any(|o| o.name == c.name && o.legal_form == c.legal_form) {
                out.push(c);
            }
        }
        Ok(out)
    }

    fn firm_has_inn(&self, firm: &str, inn: &str) -> rusqlite::Result<(bool, bool)> {
        let mut st = self.0.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM cards WHERE firm_id = ?1 AND inn != ''), \
                    EXISTS (SELECT 1 FROM cards WHERE firm_id = ?1 AND inn = ?2)",
        )?;
        st.query_row([firm, inn], |r| Ok((r.get(0)?, r.get(1)?)))
    }

    fn firm_brands_managers(&self, firm: &str) -> rusqlite::Result<(Vec<String>, Vec<String>)> {
        let distinct = |col: &str| -> rusqlite::Result<Vec<String>> {
            let mut st = self.0.prepare_cached(&format!(
                "SELECT DISTINCT {col} FROM cards WHERE firm_id = ?1 AND {col} != '' ORDER BY {col} LIMIT {MAX_LISTED}"
            ))?;
            st.query_map([firm], |r| r.get(0))?.collect()
        };
        Ok((distinct("brand")?, distinct("manager")?))
    }

    fn firms_held_by(&self, manager: &str) -> rusqlite::Result<u32> {
        Ok(super::firms_held_by(&super::owner_counts(self.0)?, manager))
    }
}

/// A span of one of the index's texts.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

/// Many short strings in one allocation.
#[derive(Debug, Default)]
struct Arena {
    text: String,
}

impl Arena {
    fn push(&mut self, s: &str) -> Span {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        Span { start, len: s.len() as u32 }
    }
    fn get(&self, s: Span) -> &str {
        &self.text[s.start as usize..(s.start + s.len) as usize]
    }
}

/// Offsets into a flat list, per owner: owner `i` has `items[offsets[i]..offsets[i + 1]]`.
#[derive(Debug, Default)]
struct Ranges {
    offsets: Vec<u32>,
}

impl Ranges {
    /// From owners sorted ascending (one entry per item), for `n` owners.
    fn of_sorted(owners: impl Iterator<Item = u32>, n: usize) -> Ranges {
        let mut offsets = vec![0u32; n + 1];
        for o in owners {
            offsets[o as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        Ranges { offsets }
    }
    fn of(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i] as usize..self.offsets[i + 1] as usize
    }
}

/// Positions of a sorted list of strings, found by hash: 4 bytes and a control byte a string, where the binary
/// search of a few hundred thousand strings took twenty cache misses a look-up.
#[derive(Debug, Default)]
struct Positions {
    table: hashbrown::HashTable<u32>,
}

impl Positions {
    fn hash(s: &str) -> u64 {
        xxh3_64(s.as_bytes())
    }

    fn of(spans: &[Span], text: &Arena) -> Positions {
        let mut table = hashbrown::HashTable::with_capacity(spans.len());
        for (i, s) in spans.iter().enumerate() {
            table.insert_unique(Self::hash(text.get(*s)), i as u32, |&j| Self::hash(text.get(spans[j as usize])));
        }
        Positions { table }
    }

    /// The position of `s` in `spans`, if it is there.
    fn find(&self, spans: &[Span], text: &Arena, s: &str) -> Option<usize> {
        self.table.find(Self::hash(s), |&j| text.get(spans[j as usize]) == s).map(|&j| j as usize)
    }

    fn heap_bytes(&self) -> usize {
        self.table.capacity() * (std::mem::size_of::<u32>() + 1)
    }
}

/// The firms' card names normalised, kept as the questions need them, up to a budget of bytes; past it the names
/// of other firms are normalised at each question. Nothing is dropped once kept: dropping and keeping again
/// fragments the allocator's memory more than the budget saves (measured: 325 MB peak RSS with a 40 MB budget
/// dropping the oldest, against 297 MB keeping the first). Valid for one [`Dictionaries`] (the server has one).
#[derive(Debug)]
struct NameMemo {
    of_firm: Vec<OnceLock<Arc<[PreparedName]>>>,
    bytes: AtomicUsize,
    budget: usize,
}

impl NameMemo {
    fn new(firms: usize, budget: usize) -> NameMemo {
        NameMemo { of_firm: (0..firms).map(|_| OnceLock::new()).collect(), bytes: AtomicUsize::new(0), budget }
    }

    fn get(&self, firm: usize) -> Option<Arc<[PreparedName]>> {
        self.of_firm[firm].get().cloned()
    }

    /// Keeps a firm's names when they fit in what is left of the budget.
    fn put(&self, firm: usize, names: &Arc<[PreparedName]>) {
        let bytes: usize = names.iter().map(PreparedName::bytes).sum();
        // Reserve the bytes first, so that questions racing past the budget cannot all keep theirs.
        let reserved = self
            .bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| (b + bytes <= self.budget).then_some(b + bytes));
        if reserved.is_ok() && self.of_firm[firm].set(Arc::clone(names)).is_err() {
            // Another question kept them meanwhile.
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
        }
    }

    fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// Bytes the normalised names kept by a [`NameIndex`] may take (besides one slot per firm).
pub const MEMO_BUDGET: usize = 40 << 20;

/// One card name of a firm in the index.
#[derive(Debug, Clone, Copy)]
struct NameEntry {
    card: Span,
    name: Span,
    form: Span,
}

/// The look-up's names held in memory, read from one snapshot of the state: its firms, the names on their first
/// cards, their ИНН, the name words with their counts, variants and firms, and the whole names with their firms.
/// About 150 bytes per card.
#[derive(Debug)]
pub struct NameIndex {
    /// The run the index was read at (the state's last run then).
    run: i64,
    config: Config,
    labels: Option<u32>,
    /// Firm ids in byte order, and the texts.
    firms: Vec<Span>,
    /// Firm ids, card ids, names, legal forms, words, whole names, ИНН.
    text: Arena,
    names: Vec<NameEntry>,
    names_of: Ranges,
    inns: Vec<Span>,
    inns_of: Ranges,
    /// Name words in byte order, their firm counts, and their firms (index into `firms`).
    words: Vec<Span>,
    word_df: Vec<u32>,
    word_firms: Vec<u32>,
    word_firms_of: Ranges,
    /// Variant hashes ascending, each with its word; a word's own hash is among them.
    variant_hash: Vec<u64>,
    /// Where the hashes of each value of their top `variant_bits` bits start (one more entry at the end): a
    /// look-up searches a handful of hashes instead of millions.
    variant_bucket: Vec<u32>,
    variant_bits: u32,
    variant_word: Vec<u32>,
    /// Whole names (compact keys) in byte order, and their firms in the state's key order.
    full: Vec<Span>,
    full_firms: Vec<u32>,
    full_firms_of: Ranges,
    /// The distinct brands and managers of each firm's cards, in byte order, at most [`MAX_LISTED`] each.
    brands: Vec<Span>,
    brands_of: Ranges,
    managers: Vec<Span>,
    managers_of: Ranges,
    /// Firms held by each login.
    owners: rustc_hash::FxHashMap<String, u32>,
    /// Positions of firm ids and of words.
    firm_pos: Positions,
    /// Firm positions by the number of their id (`F000123` → 123, [`crate::state::ids::format_id`]), `u32::MAX`
    /// where no firm has it; empty when the numbers are too sparse to be worth it.
    firm_by_number: Vec<u32>,
    word_pos: Positions,
    memo: NameMemo,
}

/// The number of a firm id written as the state writes them (`F` and at least six digits, no extra leading
/// zero: [`crate::state::ids::format_id`]), else None.
fn firm_number(id: &str) -> Option<u64> {
    let digits = id.strip_prefix('F')?;
    if digits.len() < 6 || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // `format_id` pads to six digits and adds no zero beyond them.
    if digits.len() > 6 && digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

/// The state's last run, which marks its generation: every nightly run writes its snapshot and its run row in
/// one transaction.
pub fn last_run(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT coalesce(max(run_id), 0) FROM runs")?.query_row([], |r| r.get(0))
}

impl NameIndex {
    /// Reads the index from the state, inside the caller's read transaction (one snapshot).
    pub fn read(conn: &Connection) -> Result<NameIndex, Box<dyn std::error::Error + Send + Sync>> {
        // Stages with the process's memory under FIRMDEDUP_TRACE.
        let mut laps = crate::timing::Laps::new();
        let run = last_run(conn)?;
        let config = crate::state::read_config(conn)?;
        let labels = Sqlite(conn).labels()?;
        let owner_firms = super::owner_counts(conn)?;
        let mut text = Arena::default();

        let mut firms: Vec<Span> = Vec::new();
        {
            let mut st = conn.prepare("SELECT firm_id FROM firms ORDER BY firm_id")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                firms.push(text.push(r.get_ref(0)?.as_str()?));
            }
        }
        let find_firm = |text: &Arena, firms: &[Span], id: &str| -> Option<u32> {
            firms.binary_search_by(|s| text.get(*s).cmp(id)).ok().map(|i| i as u32)
        };

        laps.lap("names: firms");
        // Cards in card-id order: the first MAX_FIRM_CARDS of each firm, a name and form once.
        let mut per_firm = vec![0u8; firms.len()];
        let mut names: Vec<(u32, NameEntry)> = Vec::new();
        let mut inns: Vec<(u32, Span)> = Vec::new();
        // Brands and managers, each text once.
        let (mut brands, mut managers): (Vec<(u32, Span)>, Vec<(u32, Span)>) = (Vec::new(), Vec::new());
        let mut interned: rustc_hash::FxHashMap<String, Span> = rustc_hash::FxHashMap::default();
        // A version-4 key index names the card, not the firm: every card's firm, by card id (the cards come in
        // their ids' order), until the keys are read.
        let by_code = crate::state::keys_by_code(conn)?;
        let mut card_ids = Arena::default();
        let mut card_firms: Vec<(Span, u32)> = Vec::new();
        {
            let mut st = conn.prepare(
                "SELECT firm_id, card_id, name, legal_form, inn, brand, manager FROM cards ORDER BY card_id",
            )?;
            let mut rows = st.query([])?;
            let mut forms: Vec<(String, Span)> = Vec::new();
            while let Some(r) = rows.next()? {
                let Some(f) = find_firm(&text, &firms, r.get_ref(0)?.as_str()?) else { continue };
                if by_code {
                    card_firms.push((card_ids.push(r.get_ref(1)?.as_str()?), f));
                }
                let inn = r.get_ref(4)?.as_str()?;
                if !inn.is_empty() {
                    inns.push((f, text.push(inn)));
                }
                for (col, out) in [(5, &mut brands), (6, &mut managers)] {
                    let v = r.get_ref(col)?.as_str()?;
                    if v.is_empty() {
                        continue;
                    }
                    let span = match interned.get(v) {
                        Some(span) => *span,
                        None => {
                            let span = text.push(v);
                            interned.insert(v.to_string(), span);
                            span
                        }
                    };
                    out.push((f, span));
                }
                if per_firm[f as usize] as usize >= MAX_FIRM_CARDS {
                    continue;
                }
                per_firm[f as usize] += 1;
                let form = r.get_ref(3)?.as_str()?;
                let form = match forms.iter().find(|(s, _)| s == form) {
                    Some((_, span)) => *span,
                    None => {
                        let span = text.push(form);
                        forms.push((form.to_string(), span));
                        span
                    }
                };
                let card = text.push(r.get_ref(1)?.as_str()?);
                let name = text.push(r.get_ref(2)?.as_str()?);
                names.push((f, NameEntry { card, name, form }));
            }
        }
        names.sort_by_key(|(f, _)| *f); // stable: card order within a firm
        // A name and form once per firm (its first card), in place.
        let (mut kept, mut start) = (0, 0);
        for i in 0..names.len() {
            if i > 0 && names[i].0 != names[i - 1].0 {
                start = kept;
            }
            let (f, e) = names[i];
            let dup = names[start..kept]
                .iter()
                .any(|(_, k)| text.get(k.name) == text.get(e.name) && text.get(k.form) == text.get(e.form));
            if !dup {
                names[kept] = (f, e);
                kept += 1;
            }
        }
        names.truncate(kept);
        let names_of = Ranges::of_sorted(names.iter().map(|(f, _)| *f), firms.len());
        let names: Vec<NameEntry> = names.into_iter().map(|(_, e)| e).collect();
        inns.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| text.get(a.1).cmp(text.get(b.1))));
        inns.dedup_by(|a, b| a.0 == b.0 && text.get(a.1) == text.get(b.1));
        let inns_of = Ranges::of_sorted(inns.iter().map(|(f, _)| *f), firms.len());
        let inns: Vec<Span> = inns.into_iter().map(|(_, s)| s).collect();
        drop(interned);
        let listed = |mut v: Vec<(u32, Span)>, text: &Arena| -> (Vec<Span>, Ranges) {
            v.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| text.get(a.1).cmp(text.get(b.1))));
            v.dedup_by(|a, b| a.0 == b.0 && a.1.start == b.1.start);
            // At most MAX_LISTED of each firm, in place.
            let (mut kept, mut run) = (0, 0);
            for i in 0..v.len() {
                run = if i > 0 && v[i].0 == v[i - 1].0 { run + 1 } else { 0 };
                if run < MAX_LISTED {
                    v[kept] = v[i];
                    kept += 1;
                }
            }
            v.truncate(kept);
            v.shrink_to_fit();
            let of = Ranges::of_sorted(v.iter().map(|(f, _)| *f), firms.len());
            (v.into_iter().map(|(_, s)| s).collect(), of)
        };
        let (brands, brands_of) = listed(brands, &text);
        let (managers, managers_of) = listed(managers, &text);

        laps.lap("names: cards");
        let mut words: Vec<Span> = Vec::new();
        let mut word_df: Vec<u32> = Vec::new();
        {
            let mut st = conn.prepare("SELECT word, firms FROM name_words ORDER BY word")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                words.push(text.push(r.get_ref(0)?.as_str()?));
                word_df.push(r.get::<_, i64>(1)? as u32);
            }
        }
        let mut variants: Vec<(u64, u32)> = Vec::with_capacity(words.len() * 9);
        for (i, w) in words.iter().enumerate() {
            for v in word_variants(text.get(*w)) {
                variants.push((xxh3_64(v.as_bytes()), i as u32));
            }
        }
        variants.sort_unstable();
        let (variant_hash, variant_word): (Vec<u64>, Vec<u32>) = variants.into_iter().unzip();
        // Two to four hashes a bucket.
        let variant_bits = (usize::BITS - (variant_hash.len() / 4).max(1).leading_zeros()).clamp(1, 24);
        let mut variant_bucket = vec![0u32; (1usize << variant_bits) + 1];
        for &h in &variant_hash {
            variant_bucket[(h >> (64 - variant_bits)) as usize + 1] += 1;
        }
        for b in 1..variant_bucket.len() {
            variant_bucket[b] += variant_bucket[b - 1];
        }

        laps.lap("names: words and variants");
        // The name keys, read in one pass over the table (a version-3 state gives them in its primary key's
        // order, a version-2 one in rowid order), then put in (key, firm id) order: the order of the state's
        // look-up (`lookup_at_most`), which the limits of `firms_with_word` and `firms_named` cut.
        let mut word_rows: Vec<(u32, u32)> = Vec::new();
        let mut scratch = Arena::default();
        let mut full_rows: Vec<(Span, u32)> = Vec::new();
        {
            let mut st = if by_code {
                conn.prepare("SELECT kind = ?1, value, card_id FROM keys WHERE kind IN (?1, ?2)")?
            } else {
                conn.prepare("SELECT kind = ?1, value, firm_id FROM keys NOT INDEXED WHERE kind IN (?1, ?2)")?
            };
            let mut rows = if by_code {
                st.query([KeyKind::NameToken.code(), KeyKind::NameFull.code()])?
            } else {
                st.query([KeyKind::NameToken.name(), KeyKind::NameFull.name()])?
            };
            while let Some(r) = rows.next()? {
                let of = r.get_ref(2)?.as_str()?;
                let f = if by_code {
                    card_firms.binary_search_by(|(c, _)| card_ids.get(*c).cmp(of)).ok().map(|i| card_firms[i].1)
                } else {
                    find_firm(&text, &firms, of)
                };
                let Some(f) = f else { continue };
                let value = r.get_ref(1)?.as_str()?;
                if r.get::<_, bool>(0)? {
                    if let Ok(w) = words.binary_search_by(|s| text.get(*s).cmp(value)) {
                        word_rows.push((w as u32, f));
                    }
                } else {
                    full_rows.push((scratch.push(value), f));
                }
            }
        }
        // Firms are in firm-id order (`firms`), and a firm carries a key once: a total order.
        word_rows.sort_unstable();
        let word_firms_of = Ranges::of_sorted(word_rows.iter().map(|(w, _)| *w), words.len());
        let word_firms: Vec<u32> = word_rows.into_iter().map(|(_, f)| f).collect();
        full_rows.sort_unstable_by(|a, b| scratch.get(a.0).cmp(scratch.get(b.0)).then(a.1.cmp(&b.1)));
        let mut full: Vec<Span> = Vec::new();
        let mut owners: Vec<u32> = Vec::with_capacity(full_rows.len());
        let mut full_firms: Vec<u32> = Vec::with_capacity(full_rows.len());
        for (i, (value, f)) in full_rows.iter().enumerate() {
            let value = scratch.get(*value);
            if i == 0 || scratch.get(full_rows[i - 1].0) != value {
                full.push(text.push(value));
            }
            owners.push(full.len() as u32 - 1);
            full_firms.push(*f);
        }
        drop((full_rows, scratch, card_firms, card_ids));
        let full_firms_of = Ranges::of_sorted(owners.into_iter(), full.len());
        laps.lap("names: keys");
        text.text.shrink_to_fit();
        laps.lap("names: text shrunk");
        let (firm_pos, word_pos) = (Positions::of(&firms, &text), Positions::of(&words, &text));
        let numbers: Vec<(u64, u32)> =
            firms.iter().enumerate().filter_map(|(i, f)| Some((firm_number(text.get(*f))?, i as u32))).collect();
        let top = numbers.iter().map(|(n, _)| *n).max().unwrap_or(0) as usize;
        let mut firm_by_number = Vec::new();
        if top < 4 * firms.len() + 1024 {
            firm_by_number = vec![u32::MAX; top + 1];
            for (n, i) in numbers {
                firm_by_number[n as usize] = i;
            }
        }
        let memo = NameMemo::new(firms.len(), MEMO_BUDGET);
        Ok(NameIndex {
            run,
            config,
            labels,
            firms,
            text,
            names,
            names_of,
            inns,
            inns_of,
            words,
            word_df,
            word_firms,
            word_firms_of,
            variant_hash,
            variant_bucket,
            variant_bits,
            variant_word,
            full,
            full_firms,
            full_firms_of,
            brands,
            brands_of,
            managers,
            managers_of,
            owners: owner_firms,
            firm_pos,
            firm_by_number,
            word_pos,
            memo,
        })
    }

    /// The run the index was read at.
    pub fn run(&self) -> i64 {
        self.run
    }

    /// Firms in the index.
    pub fn firms(&self) -> usize {
        self.firms.len()
    }

    /// Bytes the index holds (its vectors and texts), roughly.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.text.text.capacity()
            + (self.firms.len() + self.inns.len() + self.words.len() + self.full.len()) * size_of::<Span>()
            + self.names.len() * size_of::<NameEntry>()
            + (self.names_of.offsets.len()
                + self.inns_of.offsets.len()
                + self.word_firms_of.offsets.len()
                + self.full_firms_of.offsets.len()
                + self.word_df.len()
                + self.word_firms.len()
                + self.variant_word.len()
                + self.full_firms.len())
                * 4
            + self.variant_hash.len() * 8
            + self.variant_bucket.len() * 4
            + (self.brands.len() + self.managers.len()) * size_of::<Span>()
            + (self.brands_of.offsets.len() + self.managers_of.offsets.len()) * 4
            + self.firm_pos.heap_bytes()
            + self.firm_by_number.len() * 4
            + self.word_pos.heap_bytes()
            + self.memo.of_firm.len() * std::mem::size_of::<OnceLock<Arc<[PreparedName]>>>()
    }

    /// Bytes of normalised names kept so far.
    pub fn memo_bytes(&self) -> usize {
        self.memo.bytes()
    }

    fn firm(&self, id: &str) -> Option<usize> {
        // The table was filled from the canonical ids only, so a canonical id found in it is that firm's.
        if let Some(n) = firm_number(id)
            && let Some(&i) = self.firm_by_number.get(n as usize)
        {
            return (i != u32::MAX).then_some(i as usize);
        }
        self.firm_pos.find(&self.firms, &self.text, id)
    }

    /// Firms whose names carry the word; 1 for a word the state does not know ([`NameSource::word_firms`]).
    fn firms_of_word(&self, w: &str) -> u32 {
        self.word(w).map_or(1, |i| self.word_df[i])
    }

    fn word(&self, w: &str) -> Option<usize> {
        self.word_pos.find(&self.words, &self.text, w)
    }

    fn firm_ids(&self, idx: &[u32], limit: usize) -> Vec<String> {
        idx.iter().take(limit).map(|&f| self.text.get(self.firms[f as usize]).to_string()).collect()
    }
}

impl NameSource for NameIndex {
    fn config(&self) -> Result<Cow<'_, Config>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Cow::Borrowed(&self.config))
    }

    fn labels(&self) -> rusqlite::Result<Option<u32>> {
        Ok(self.labels)
    }

    fn word_firms(&self, word: &str) -> rusqlite::Result<u32> {
        Ok(self.firms_of_word(word))
    }

    fn words_with_variant(&self, variant: &str) -> rusqlite::Result<Vec<String>> {
        let h = xxh3_64(variant.as_bytes());
        let b = (h >> (64 - self.variant_bits)) as usize;
        let (lo, hi) = (self.variant_bucket[b] as usize, self.variant_bucket[b + 1] as usize);
        let bucket = &self.variant_hash[lo..hi];
        let (from, to) = (lo + bucket.partition_point(|&x| x < h), lo + bucket.partition_point(|&x| x <= h));
        let mut out: Vec<String> = Vec::new();
        for &w in &self.variant_word[from..to] {
            let word = self.text.get(self.words[w as usize]);
            // A hash shared by another variant: keep only the words that truly have this one.
            if crate::state::snapshot::is_variant_of(variant, word) {
                out.push(word.to_string());
            }
        }
        Ok(out)
    }

    fn firms_with_word(&self, word: &str, limit: usize) -> rusqlite::Result<Vec<Cow<'_, str>>> {
        Ok(self.word(word).map_or_else(Vec::new, |i| {
            self.word_firms[self.word_firms_of.of(i)]
                .iter()
                .take(limit)
                .map(|&f| Cow::Borrowed(self.text.get(self.firms[f as usize])))
                .collect()
        }))
    }

    fn firms_named(&self, compact: &str, limit: usize) -> rusqlite::Result<Vec<String>> {
        let found = self.full.binary_search_by(|s| self.text.get(*s).cmp(compact)).ok();
        Ok(found.map_or_else(Vec::new, |i| self.firm_ids(&self.full_firms[self.full_firms_of.of(i)], limit)))
    }

    fn firm_names(&self, firm: &str) -> rusqlite::Result<Vec<CardName>> {
        let Some(f) = self.firm(firm) else { return Ok(Vec::new()) };
        Ok(self.names[self.names_of.of(f)]
            .iter()
            .map(|e| CardName {
                card: self.text.get(e.card).to_string(),
                name: self.text.get(e.name).to_string(),
                legal_form: self.text.get(e.form).to_string(),
            })
            .collect())
    }

    fn firm_prepared_names(&self, firm: &str, dict: &Dictionaries) -> rusqlite::Result<Arc<[PreparedName]>> {
        let Some(f) = self.firm(firm) else { return Ok(Arc::from(Vec::new())) };
        if let Some(kept) = self.memo.get(f) {
            return Ok(kept);
        }
        let mut prepared = PreparedName::all(self.firm_names(firm)?, dict);
        if let Some(names) = Arc::get_mut(&mut prepared) {
            for p in names.iter_mut() {
                // Kept only what the look-up compares: not the display forms.
                let n = &mut p.norm;
                (n.display_core, n.branch, n.bracket_brand) = (CompactString::default(), None, None);
                if let Some(person) = n.person.as_mut() {
                    person.position = None;
                }
                let labels = self.labels.unwrap_or(1);
                p.token_weights = p
                    .norm
                    .tokens
                    .iter()
                    .map(|t| crate::matching::score::word_weight(self.firms_of_word(t.key()), labels, t.generic))
                    .collect();
            }
        }
        self.memo.put(f, &prepared);
        Ok(prepared)
    }

    fn firm_has_inn(&self, firm: &str, inn: &str) -> rusqlite::Result<(bool, bool)> {
        let Some(f) = self.firm(firm) else { return Ok((false, false)) };
        let inns = &self.inns[self.inns_of.of(f)];
        Ok((!inns.is_empty(), inns.iter().any(|s| self.text.get(*s) == inn)))
    }

    fn firm_brands_managers(&self, firm: &str) -> rusqlite::Result<(Vec<String>, Vec<String>)> {
        let Some(f) = self.firm(firm) else { return Ok((Vec::new(), Vec::new())) };
        let texts = |spans: &[Span]| spans.iter().map(|s| self.text.get(*s).to_string()).collect();
        Ok((texts(&self.brands[self.brands_of.of(f)]), texts(&self.managers[self.managers_of.of(f)])))
    }

    fn firms_held_by(&self, manager: &str) -> rusqlite::Result<u32> {
        Ok(super::firms_held_by(&self.owners, manager))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A version-4 state's name words (and their ends) in memory.
    fn v4_words(words: &[String]) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE name_words (word TEXT PRIMARY KEY, firms INTEGER NOT NULL) WITHOUT ROWID;
             CREATE TABLE name_word_ends (rev TEXT PRIMARY KEY) WITHOUT ROWID;
             PRAGMA user_version = 4;",
        )
        .unwrap();
        for w in words {
            conn.execute("INSERT OR IGNORE INTO name_words VALUES (?1, 1)", [w]).unwrap();
            conn.execute(
                "INSERT OR IGNORE INTO name_word_ends VALUES (?1)",
                [crate::state::snapshot::name_word_end(w)],
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn words_one_letter_longer_are_found_by_their_beginning_or_their_end() {
        let words: Vec<String> =
            ["ромашка", "ромашкаа", "ромашк", "оромашка", "ромаашка", "рмашка", "вега", "вегаа", "евга", "вег", "вэга"]
                .iter()
                .map(|w| w.to_string())
                .collect();
        let conn = v4_words(&words);
        let found = |v: &str| Sqlite(&conn).words_with_variant(v).unwrap();
        assert_eq!(found("ромашка"), ["оромашка", "ромаашка", "ромашка", "ромашкаа"]);
        assert_eq!(found("вега"), ["вега", "вегаа"]);
        // A three-letter variant: the four-letter words with a letter more (a three-letter word has no variants).
        assert_eq!(found("вег"), ["вег", "вега"]);
        assert_eq!(found("ег"), Vec::<String>::new());
    }

    proptest! {
        /// The state's look-up by a variant finds exactly the words that have it among their `word_variants`.
        #[test]
        fn words_with_a_variant_are_those_a_stored_variant_table_gave(
            words in proptest::collection::vec("[абвa]{1,7}", 1..40),
            variant in "[абвa]{0,7}",
        ) {
            let conn = v4_words(&words);
            let mut expected: Vec<String> =
                words.iter().filter(|w| word_variants(w).contains(&variant)).cloned().collect();
            expected.sort();
            expected.dedup();
            prop_assert_eq!(Sqlite(&conn).words_with_variant(&variant).unwrap(), expected);
        }
    }

    fn names(n: &str) -> Arc<[PreparedName]> {
        let card = CardName { card: "C1".into(), name: n.into(), legal_form: String::new() };
        PreparedName::all(vec![card], Dictionaries::embedded())
    }

    #[test]
    fn firm_numbers_only_of_ids_written_as_the_state_writes_them() {
        assert_eq!(firm_number("F000123"), Some(123));
        assert_eq!(firm_number("F1234567"), Some(1_234_567));
        for id in ["F00123", "F0000123", "E000123", "F00012a", "F", "000123", "F0001234567890123"] {
            assert_eq!(firm_number(id), None, "{id}");
        }
        for n in [0, 7, 999_999, 1_000_000, 123_456_789] {
            assert_eq!(firm_number(&crate::state::ids::format_id('F', n)), Some(n));
        }
    }

    #[test]
    fn the_memo_keeps_names_within_its_budget() {
        let one = names("Ромашка Медиа").iter().map(PreparedName::bytes).sum::<usize>();
        let memo = NameMemo::new(4, one * 2);
        for f in 0..3 {
            assert!(memo.get(f).is_none());
            memo.put(f, &names("Ромашка Медиа"));
        }
        // The first two fit; the third does not and is not kept.
        assert!(memo.get(0).is_some() && memo.get(1).is_some());
        assert!(memo.get(2).is_none());
        assert_eq!(memo.bytes(), one * 2);
        // Keeping a firm again changes nothing.
        memo.put(1, &names("Ромашка Медиа"));
        assert_eq!(memo.bytes(), one * 2);
        let kept = memo.get(0).unwrap();
        assert_eq!(kept[0].card_name.name, "Ромашка Медиа");
        assert_eq!(kept[0].compact, kept[0].norm.compact());
    }
}
