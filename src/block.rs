//! Blocking: the keys each card is indexed by, the proto-entities (cards that share a valid ИНН or ОГРН), how many
//! legal entities carry each key (its document frequency, which decides generic values and weights), and the
//! candidate pairs — nodes that share a key whose block is small enough. Never all pairs.

use std::hash::{Hash, Hasher};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::cluster::UnionFind;
use crate::config::Config;
use crate::normalize::{NormCard, NormName, Person, PhoneKind};

/// The kinds of keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum KeyKind {
    /// A valid ИНН: hard key.
    Inn = 0,
    /// A valid ОГРН / ОГРНИП: hard key.
    Ogrn,
    /// A full phone number.
    Phone,
    /// A local number without area code.
    LocalPhone,
    /// An 8-800 number.
    TollFree,
    /// An email address.
    Email,
    /// A corporate email domain or a website.
    Domain,
    /// A person: surname and first initial.
    Person,
    /// A person: surname and both initials (counted for weights, not blocked on).
    PersonFull,
    /// A brand.
    Brand,
    /// An office address.
    AddrOffice,
    /// A building address.
    AddrHouse,
    /// A whole name, compact transliteration key.
    NameFull,
    /// A distinctive word of a name.
    NameToken,
    /// A distinctive word of a name with one letter deleted (typo-tolerant blocking).
    NameTypo,
}

impl KeyKind {
    /// Every kind.
    pub const ALL: [KeyKind; 15] = [
        KeyKind::Inn,
        KeyKind::Ogrn,
        KeyKind::Phone,
        KeyKind::LocalPhone,
        KeyKind::TollFree,
        KeyKind::Email,
        KeyKind::Domain,
        KeyKind::Person,
        KeyKind::PersonFull,
        KeyKind::Brand,
        KeyKind::AddrOffice,
        KeyKind::AddrHouse,
        KeyKind::NameFull,
        KeyKind::NameToken,
        KeyKind::NameTypo,
    ];

    /// Name shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::Inn => "inn",
            KeyKind::Ogrn => "ogrn",
            KeyKind::Phone => "phone",
            KeyKind::LocalPhone => "local_phone",
            KeyKind::TollFree => "toll_free",
            KeyKind::Email => "email",
            KeyKind::Domain => "domain",
            KeyKind::Person => "person",
            KeyKind::PersonFull => "person_full",
            KeyKind::Brand => "brand",
            KeyKind::AddrOffice => "address_office",
            KeyKind::AddrHouse => "address_house",
            KeyKind::NameFull => "name",
            KeyKind::NameToken => "name_word",
            KeyKind::NameTypo => "name_word_typo",
        }
    }

    /// Contact keys: shared values that are evidence in themselves and can be generic.
    pub fn is_contact(self) -> bool {
        matches!(
            self,
            KeyKind::Phone
                | KeyKind::LocalPhone
                | KeyKind::TollFree
                | KeyKind::Email
                | KeyKind::Domain
                | KeyKind::Person
                | KeyKind::PersonFull
                | KeyKind::AddrOffice
                | KeyKind::AddrHouse
        )
    }

    /// Name keys: only for finding candidates; names are scored by similarity.
    pub fn is_name(self) -> bool {
        matches!(self, KeyKind::NameFull | KeyKind::NameToken | KeyKind::NameTypo)
    }

    fn from_u8(v: u8) -> KeyKind {
        KeyKind::ALL[v as usize]
    }
}

/// The hash of a key: kind and text.
pub fn key_hash(kind: KeyKind, text: &str) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    (kind as u8).hash(&mut h);
    text.hash(&mut h);
    // The low bits carry the kind, so a hash says what it is.
    (h.finish() & !0xF) | kind as u64
}

/// The kind of a hashed key.
pub fn kind_of(hash: u64) -> KeyKind {
    KeyKind::from_u8((hash & 0xF) as u8)
}

/// The text of the keys of a card: what [`key_hash`] hashes, and what evidence shows.
pub fn card_key_texts(n: &NormCard, cfg: &Config, out: &mut Vec<(KeyKind, String)>) {
    if let Some(inn) = &n.ids.inn {
        out.push((KeyKind::Inn, inn.clone()));
    }
    if let Some(ogrn) = &n.ids.ogrn {
        out.push((KeyKind::Ogrn, ogrn.clone()));
    }
    for p in &n.phones {
        let kind = match p.kind {
            PhoneKind::Local => KeyKind::LocalPhone,
            PhoneKind::TollFree => KeyKind::TollFree,
            _ => KeyKind::Phone,
        };
        out.push((kind, p.number.clone()));
    }
    for e in &n.emails {
        out.push((KeyKind::Email, e.address.clone()));
        if !e.public {
            out.push((KeyKind::Domain, e.domain.clone()));
        }
    }
    if let Some(w) = &n.website {
        out.push((KeyKind::Domain, w.clone()));
    }
    for p in n.decision_makers().chain(n.name.person.iter()) {
        out.push((KeyKind::Person, p.block_key()));
        if p.patronymic_initial.is_some() {
            out.push((KeyKind::PersonFull, p.key()));
        }
    }
    for a in &n.addresses {
        if let Some(k) = a.office_key() {
            out.push((KeyKind::AddrOffice, k));
        }
        if let Some(k) = a.house_key() {
            out.push((KeyKind::AddrHouse, k));
        }
    }
    name_key_texts(&n.name, cfg, out);
    if let Some(b) = &n.brand {
        let c = b.compact();
        if c.chars().count() >= 2 {
            out.push((KeyKind::Brand, c));
        }
        name_key_texts(b, cfg, out);
    }
    out.sort();
    out.dedup();
}

/// Name keys: the whole compact name and each distinctive word. The one-letter deletions of the words
/// (typo-tolerant keys) are only ever hashed, see [`typo_hashes`].
pub fn name_key_texts(name: &NormName, _cfg: &Config, out: &mut Vec<(KeyKind, String)>) {
    let compact = name.compact();
    if compact.chars().count() >= 3 {
        out.push((KeyKind::NameFull, compact));
    }
    for t in name.tokens.iter().filter(|t| !t.generic) {
        if t.key.chars().count() >= 3 {
            out.push((KeyKind::NameToken, t.key.clone()));
        }
    }
}

/// Typo-tolerant keys of a name: for every distinctive word of `typo_min_len` letters or more, the hash of the
/// word and of each of its one-letter deletions, as [`key_hash`] of [`KeyKind::NameTypo`] would give them,
/// without building the strings.
pub fn typo_hashes(name: &NormName, cfg: &Config, out: &mut Vec<u64>) {
    for t in name.tokens.iter().filter(|t| !t.generic) {
        let k = t.key.as_str();
        if k.chars().count() < cfg.blocking.typo_min_len as usize {
            continue;
        }
        out.push(key_hash(KeyKind::NameTypo, k));
        for (i, c) in k.char_indices() {
            let mut h = std::hash::DefaultHasher::new();
            (KeyKind::NameTypo as u8).hash(&mut h);
            // `str::hash` writes the bytes, then 0xff: written in two pieces, the stream is the same.
            h.write(&k.as_bytes()[..i]);
            h.write(&k.as_bytes()[i + c.len_utf8()..]);
            h.write_u8(0xff);
            out.push((h.finish() & !0xF) | KeyKind::NameTypo as u64);
        }
    }
}

/// A person as the matcher compares them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonLite {
    /// Blocking key (surname + first initial) hash.
    pub key: u64,
    /// Full key (surname + both initials) hash, when the patronymic initial is known.
    pub full_key: Option<u64>,
    /// Patronymic initial.
    pub patronymic: Option<char>,
    /// Full first name, when known.
    pub first: Option<String>,
    /// True when written in full (first name and patronymic).
    pub full: bool,
    /// Display form (`Иванов И.И.`).
    pub display: String,
    /// Hash of the surname.
    pub surname: u64,
    /// How many different people (by surname and initials) carry this surname in the base: 1 for a rare
    /// surname, hundreds for Иванов. Filled by `prepare`.
    pub surname_people: u32,
}

impl PersonLite {
    fn of(p: &Person) -> PersonLite {
        PersonLite {
            key: key_hash(KeyKind::Person, &p.block_key()),
            full_key: p.patronymic_initial.map(|_| key_hash(KeyKind::PersonFull, &p.key())),
            patronymic: p.patronymic_initial,
            first: p.first.clone(),
            full: p.first.is_some() && p.patronymic_full,
            display: p.display(),
            surname: key_hash(KeyKind::Person, &p.surname),
            surname_people: 0,
        }
    }

    /// Same surname and first initial (the key), and no contradiction in patronymic or first name.
    pub fn compatible(&self, o: &PersonLite) -> bool {
        self.key == o.key
            && match (self.patronymic, o.patronymic) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
            && match (&self.first, &o.first) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// One written variant of a name, with its words as interned ids.
#[derive(Debug, Clone)]
pub struct NameVar {
    /// Word ids (see [`Prepared::tokens`]).
    pub tokens: Vec<u32>,
    /// True for non-distinctive words, per token.
    pub generic: Vec<bool>,
    /// Compact transliteration key.
    pub compact: String,
    /// The ИП's person, if a person's name.
    pub person: Option<PersonLite>,
    /// How many cards wrote it so.
    pub count: u32,
}

/// A proto-entity: the cards that share a valid ИНН or ОГРН, or one card without either.
#[derive(Debug, Clone)]
pub struct Node {
    /// Card indices, ascending.
    pub cards: Vec<u32>,
    /// The valid ИНН, if any.
    pub inn: Option<String>,
    /// Soft keys: (hash, document frequency), sorted by hash.
    pub keys: Vec<(u64, u32)>,
    /// Name variants, most frequent first (at most [`MAX_VARIANTS`]).
    pub names: Vec<NameVar>,
    /// Brand variants (compact keys and words).
    pub brands: Vec<NameVar>,
    /// Decision-makers and the ИП's own person.
    pub persons: Vec<PersonLite>,
}

/// Name variants kept per node.
pub const MAX_VARIANTS: usize = 6;

/// Everything the scorer needs.
#[derive(Debug)]
pub struct Prepared {
    /// The nodes, in order of their first card.
    pub nodes: Vec<Node>,
    /// Node of each card.
    pub node_of_card: Vec<u32>,
    /// Word keys by id.
    pub tokens: Vec<String>,
    /// A written (folded) form of each word, by id.
    pub token_text: Vec<String>,
    /// Entities (name labels) carrying each word.
    pub token_df: Vec<u32>,
    /// Number of distinct name labels (≈ legal entities) in the base.
    pub labels: u32,
    /// Per-card key hashes (CSR): keys of card `i` are `card_keys[card_key_start[i]..card_key_start[i+1]]`.
    pub card_keys: Vec<u64>,
    /// Offsets into `card_keys`.
    pub card_key_start: Vec<u32>,
    /// Candidate node pairs `(a, b)`, `a < b`, sorted.
    pub pairs: Vec<(u32, u32)>,
    /// Blocking statistics.
    pub stats: BlockStats,
    /// Generic values found: (kind, hash, entities), most widespread first.
    pub generic: Vec<(KeyKind, u64, u32)>,
    /// ОГРН shared by cards with different ИНН (not joined).
    pub ogrn_conflicts: usize,
    /// Postings of the keys whose document frequency matters for weights (contacts, brands): (hash, node),
    /// sorted; kept to count legal entities again once they are known ([`Prepared::recount`]).
    pub weighted_postings: Vec<(u64, u32)>,
}

/// Statistics of blocking.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BlockStats {
    /// Distinct keys per kind.
    pub keys: Vec<(&'static str, u64)>,
    /// Blocks that had 2 or more nodes.
    pub blocks: u64,
    /// Blocks larger than the cap, not expanded.
    pub blocks_over_cap: u64,
    /// Nodes in the blocks over the cap.
    pub nodes_in_blocks_over_cap: u64,
    /// The cap.
    pub max_block: u32,
    /// Pairs before removing duplicates.
    pub raw_pairs: u64,
    /// Distinct candidate pairs.
    pub pairs: u64,
    /// Contact values found generic.
    pub generic_values: u64,
}

/// Builds nodes, document frequencies and candidate pairs.
pub fn prepare(norm: &[NormCard], cfg: &Config) -> Prepared {
    let mut tr = Trace::new();
    let n = norm.len();
    // Card keys.
    let per_card: Vec<Vec<u64>> = norm
        .par_iter()
        .map_init(Vec::new, |buf, c| {
            buf.clear();
            card_key_texts(c, cfg, buf);
            let mut v: Vec<u64> = buf.iter().map(|(k, t)| key_hash(*k, t)).collect();
            typo_hashes(&c.name, cfg, &mut v);
            if let Some(b) = &c.brand {
                typo_hashes(b, cfg, &mut v);
            }
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let mut card_key_start = Vec::with_capacity(n + 1);
    let mut card_keys = Vec::with_capacity(per_card.iter().map(Vec::len).sum());
    for v in &per_card {
        card_key_start.push(card_keys.len() as u32);
        card_keys.extend_from_slice(v);
    }
    card_key_start.push(card_keys.len() as u32);
    drop(per_card);
    let keys_of = |i: usize| &card_keys[card_key_start[i] as usize..card_key_start[i + 1] as usize];

    tr.lap("keys");
    // Proto-entities: union by ИНН, then by ОГРН where that does not bring two ИНН together.
    let mut uf = UnionFind::new(n);
    let mut inn_of_root: Vec<Option<u64>> = vec![None; n];
    let mut hard: Vec<(u64, u32)> = Vec::new();
    for i in 0..n {
        for &h in keys_of(i) {
            if matches!(kind_of(h), KeyKind::Inn | KeyKind::Ogrn) {
                hard.push((h, i as u32));
            }
        }
    }
    hard.par_sort_unstable();
    for run in hard.chunk_by(|a, b| a.0 == b.0).filter(|r| kind_of(r[0].0) == KeyKind::Inn) {
        for w in run.windows(2) {
            uf.union(w[0].1, w[1].1);
        }
        let r = uf.find(run[0].1);
        inn_of_root[r as usize] = Some(run[0].0);
    }
    let mut ogrn_conflicts = 0;
    for run in hard.chunk_by(|a, b| a.0 == b.0).filter(|r| kind_of(r[0].0) == KeyKind::Ogrn) {
        let mut inns: Vec<u64> = run.iter().filter_map(|&(_, c)| inn_of_root[uf.find(c) as usize]).collect();
        inns.sort_unstable();
        inns.dedup();
        if inns.len() > 1 {
            ogrn_conflicts += 1;
            continue;
        }
        for w in run.windows(2) {
            let inn = inns.first().copied();
            if let Some(r) = uf.union(w[0].1, w[1].1) {
                inn_of_root[r as usize] = inn.or(inn_of_root[r as usize]);
            }
        }
    }
    let (node_of_card, n_nodes) = uf.labels();

    tr.lap("union");
    // Interned name words.
    let mut tok_ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut tokens: Vec<String> = Vec::new();
    let mut token_text: Vec<String> = Vec::new();
    for c in norm {
        for t in c.name.tokens.iter().chain(c.brand.iter().flat_map(|b| b.tokens.iter())) {
            if !tok_ids.contains_key(t.key.as_str()) {
                tok_ids.insert(t.key.as_str(), tokens.len() as u32);
                tokens.push(t.key.clone());
                token_text.push(t.text.clone());
            }
        }
    }
    let var_of = |name: &NormName| NameVar {
        tokens: name.tokens.iter().map(|t| tok_ids[t.key.as_str()]).collect(),
        generic: name.tokens.iter().map(|t| t.generic).collect(),
        compact: name.compact(),
        person: name.person.as_ref().map(PersonLite::of),
        count: 1,
    };

    tr.lap("tokens");
    // Nodes.
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); n_nodes];
    for (i, &nd) in node_of_card.iter().enumerate() {
        members[nd as usize].push(i as u32);
    }
    let mut nodes: Vec<Node> = members
        .into_par_iter()
        .map(|cards| {
            let inn = cards.iter().find_map(|&c| norm[c as usize].ids.inn.clone());
            let mut keys: Vec<u64> = cards
                .iter()
                .flat_map(|&c| keys_of(c as usize).iter().copied())
                .filter(|&h| !matches!(kind_of(h), KeyKind::Inn | KeyKind::Ogrn))
                .collect();
            keys.sort_unstable();
            keys.dedup();
            let mut names: Vec<NameVar> = Vec::new();
            let mut brands: Vec<NameVar> = Vec::new();
            let mut persons: Vec<PersonLite> = Vec::new();
            for &c in &cards {
                let card = &norm[c as usize];
                add_variant(&mut names, var_of(&card.name));
                if let Some(b) = &card.brand {
                    add_variant(&mut brands, var_of(b));
                }
                for p in card.decision_makers().chain(card.name.person.iter()) {
                    let pl = PersonLite::of(p);
                    if !persons.contains(&pl) {
                        persons.push(pl);
                    }
                }
            }
            names.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.compact.cmp(&b.compact)));
            names.truncate(MAX_VARIANTS);
            brands.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.compact.cmp(&b.compact)));
            brands.truncate(MAX_VARIANTS);
            persons.sort();
            persons.truncate(16);
            Node { cards, inn, keys: keys.into_iter().map(|k| (k, 0)).collect(), names, brands, persons }
        })
        .collect();

    tr.lap("nodes");
    // How many different people carry each surname.
    let mut people: Vec<(u64, u64)> =
        nodes.iter().flat_map(|nd| nd.persons.iter().map(|p| (p.surname, p.full_key.unwrap_or(p.key)))).collect();
    people.par_sort_unstable();
    people.dedup();
    let surname_people: Vec<(u64, u32)> =
        people.chunk_by(|a, b| a.0 == b.0).map(|run| (run[0].0, run.len() as u32)).collect();
    drop(people);
    nodes.par_iter_mut().for_each(|nd| {
        for p in nd.persons.iter_mut() {
            if let Ok(i) = surname_people.binary_search_by_key(&p.surname, |x| x.0) {
                p.surname_people = surname_people[i].1;
            }
        }
    });

    tr.lap("people");
    // Before legal entities are known, a value's entities are counted as: the distinct ИНН of the nodes that carry
    // it, plus the distinct name roots of nodes without ИНН that no node with ИНН carrying it shares. So the
    // cards of one client typed with and without its ИНН, in Cyrillic or Latin, count once.
    let mut label_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut intern = |k: String| -> u32 {
        let next = label_ids.len() as u32;
        *label_ids.entry(k).or_insert(next)
    };
    let node_root: Vec<u32> = nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| match nd.names.first() {
            Some(v) => match v.tokens.iter().zip(&v.generic).find(|(_, g)| !**g) {
                Some((t, _)) => intern(format!("r{t}")),
                None => intern(format!("n{}", v.compact)),
            },
            None => intern(format!("#{i}")),
        })
        .collect();
    let node_inn: Vec<Option<u32>> =
        nodes.iter().map(|nd| nd.inn.as_ref().map(|inn| intern(format!("i{inn}")))).collect();
    // For word frequencies: a node with ИНН is one entity, one without is labelled by its whole name.
    let node_label: Vec<u32> = nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| match (node_inn[i], nd.names.first()) {
            (Some(l), _) => l,
            (None, Some(v)) => intern(format!("n{}", v.compact)),
            (None, None) => intern(format!("#{i}")),
        })
        .collect();
    let labels = {
        let mut ls = node_label.clone();
        ls.sort_unstable();
        ls.dedup();
        ls.len() as u32
    };
    drop(label_ids);

    // Word document frequency, in labels.
    let mut tok_label: Vec<(u32, u32)> = nodes
        .iter()
        .enumerate()
        .flat_map(|(i, nd)| {
            let l = node_label[i];
            nd.names.iter().chain(nd.brands.iter()).flat_map(move |v| v.tokens.iter().map(move |&t| (t, l)))
        })
        .collect();
    tok_label.par_sort_unstable();
    tok_label.dedup();
    let mut token_df = vec![0u32; tokens.len()];
    for (t, _) in &tok_label {
        token_df[*t as usize] += 1;
    }
    drop(tok_label);

    tr.lap("labels");
    // Postings of soft keys: (hash, node).
    let mut postings: Vec<(u64, u32)> =
        nodes.iter().enumerate().flat_map(|(i, nd)| nd.keys.iter().map(move |&(h, _)| (h, i as u32))).collect();
    postings.par_sort_unstable();

    tr.lap("postings");
    // Document frequency of every key, in labels; blocks; generic values.
    let max_block = cfg.blocking.max_block as usize;
    let generic_over = cfg.generic.max_entities;
    let runs: Vec<&[(u64, u32)]> = postings.chunk_by(|a, b| a.0 == b.0).collect();
    struct RunOut {
        df: (u64, u32),
        pairs: Vec<u64>,
        over_cap: Option<usize>,
        generic: bool,
    }
    let outs: Vec<RunOut> = runs
        .par_iter()
        .map(|run| {
            let h = run[0].0;
            let kind = kind_of(h);
            let df = entities_in_run(run, &node_inn, &node_root);
            let generic = kind.is_contact() && df > generic_over;
            let mut pairs = Vec::new();
            let mut over_cap = None;
            if run.len() >= 2 && !generic {
                if run.len() > max_block {
                    over_cap = Some(run.len());
                } else {
                    for i in 0..run.len() {
                        for j in i + 1..run.len() {
                            let (a, b) = (run[i].1, run[j].1);
                            pairs.push(((a as u64) << 32) | b as u64);
                        }
                    }
                }
            }
            RunOut { df: (h, df), pairs, over_cap, generic }
        })
        .collect();
    let mut stats = BlockStats { max_block: cfg.blocking.max_block, ..BlockStats::default() };
    let mut kind_counts = [0u64; KeyKind::ALL.len()];
    let mut generic = Vec::new();
    let mut df_table: Vec<(u64, u32)> = Vec::with_capacity(outs.len());
    let mut all_pairs: Vec<u64> = Vec::new();
    for (o, run) in outs.into_iter().zip(&runs) {
        kind_counts[kind_of(o.df.0) as usize] += 1;
        if run.len() >= 2 {
            stats.blocks += 1;
        }
        if let Some(sz) = o.over_cap {
            stats.blocks_over_cap += 1;
            stats.nodes_in_blocks_over_cap += sz as u64;
        }
        if o.generic {
            generic.push((kind_of(o.df.0), o.df.0, o.df.1));
        }
        df_table.push(o.df);
        all_pairs.extend_from_slice(&o.pairs);
    }
    drop(runs);
    postings.retain(|&(h, _)| weighted_kind(kind_of(h)));
    postings.shrink_to_fit();
    stats.keys = KeyKind::ALL.iter().map(|k| (k.name(), kind_counts[*k as usize])).filter(|(_, c)| *c > 0).collect();
    stats.raw_pairs = all_pairs.len() as u64;
    all_pairs.par_sort_unstable();
    all_pairs.dedup();
    stats.pairs = all_pairs.len() as u64;
    stats.generic_values = generic.len() as u64;
    generic.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    let pairs: Vec<(u32, u32)> = all_pairs.into_iter().map(|p| ((p >> 32) as u32, p as u32)).collect();

    tr.lap("runs+pairs");
    // Name keys served blocking; scoring reads names through the variants. Keep only weighted keys, annotated
    // with their document frequency (df_table is sorted by hash).
    nodes.par_iter_mut().for_each(|nd| {
        nd.keys.retain(|(h, _)| weighted_kind(kind_of(*h)));
        nd.keys.shrink_to_fit();
        for (h, df) in nd.keys.iter_mut() {
            if let Ok(i) = df_table.binary_search_by_key(h, |x| x.0) {
                *df = df_table[i].1;
            }
        }
    });

    tr.lap("nodekeys");
    // Card keys are kept for finding which card carries a value (evidence): only the weighted ones.
    let mut kept = Vec::with_capacity(card_keys.len() / 2);
    let mut kept_start = Vec::with_capacity(n + 1);
    for i in 0..n {
        kept_start.push(kept.len() as u32);
        kept.extend(
            card_keys[card_key_start[i] as usize..card_key_start[i + 1] as usize]
                .iter()
                .copied()
                .filter(|&h| weighted_kind(kind_of(h))),
        );
    }
    kept_start.push(kept.len() as u32);
    let (card_keys, card_key_start) = (kept, kept_start);

    Prepared {
        nodes,
        node_of_card,
        tokens,
        token_text,
        token_df,
        labels,
        card_keys,
        card_key_start,
        pairs,
        stats,
        generic,
        ogrn_conflicts,
        weighted_postings: postings,
    }
}

/// Timing of sub-stages, printed to stderr when FIRMDEDUP_TRACE is set (for profiling).
pub struct Trace {
    on: bool,
    t: std::time::Instant,
}

impl Trace {
    /// A trace that prints only when FIRMDEDUP_TRACE is set.
    pub fn new() -> Trace {
        Trace { on: std::env::var_os("FIRMDEDUP_TRACE").is_some(), t: std::time::Instant::now() }
    }
    /// Prints the time since the last lap.
    pub fn lap(&mut self, name: &str) {
        if self.on {
            eprintln!("trace {name}: {} ms", self.t.elapsed().as_millis());
        }
        self.t = std::time::Instant::now();
    }
}

impl Default for Trace {
    fn default() -> Self {
        Trace::new()
    }
}

/// Kinds whose document frequency decides weights.
fn weighted_kind(k: KeyKind) -> bool {
    k.is_contact() || k == KeyKind::Brand
}

/// The legal entities carrying a key, before entities are known (see `prepare`).
fn entities_in_run(run: &[(u64, u32)], node_inn: &[Option<u32>], node_root: &[u32]) -> u32 {
    let mut inns: Vec<u32> = Vec::new();
    let mut inn_roots: Vec<u32> = Vec::new();
    let mut roots: Vec<u32> = Vec::new();
    for &(_, nd) in run {
        match node_inn[nd as usize] {
            Some(i) => {
                inns.push(i);
                inn_roots.push(node_root[nd as usize]);
            }
            None => roots.push(node_root[nd as usize]),
        }
    }
    inns.sort_unstable();
    inns.dedup();
    roots.sort_unstable();
    roots.dedup();
    roots.retain(|r| !inn_roots.contains(r));
    (inns.len() + roots.len()) as u32
}

fn add_variant(vars: &mut Vec<NameVar>, v: NameVar) {
    if v.tokens.is_empty() {
        return;
    }
    if let Some(x) = vars.iter_mut().find(|x| x.compact == v.compact && x.tokens == v.tokens) {
        x.count += 1;
    } else {
        vars.push(v);
    }
}

impl Prepared {
    /// The key hashes of card `i`.
    pub fn keys_of_card(&self, i: usize) -> &[u64] {
        &self.card_keys[self.card_key_start[i] as usize..self.card_key_start[i + 1] as usize]
    }

    /// Counts again, once legal entities are known, how many legal entities carry each contact value, brand and
    /// name word, and updates the nodes' key frequencies: the firm level weighs values by these counts.
    /// `entity_of_node` may also be a grouping into firms (for the later rounds of firm clustering); generic
    /// values are reported from the count in legal entities only (`report_generic`).
    pub fn recount(&mut self, entity_of_node: &[u32], cfg: &Config, report_generic: bool) {
        let df: Vec<(u64, u32)> = self
            .weighted_postings
            .par_chunk_by(|a, b| a.0 == b.0)
            .map(|run| {
                let mut es: Vec<u32> = run.iter().map(|&(_, nd)| entity_of_node[nd as usize]).collect();
                es.sort_unstable();
                es.dedup();
                (run[0].0, es.len() as u32)
            })
            .collect();
        if report_generic {
            let mut generic: Vec<(KeyKind, u64, u32)> = df
                .iter()
                .filter(|(h, d)| kind_of(*h).is_contact() && *d > cfg.generic.max_entities)
                .map(|&(h, d)| (kind_of(h), h, d))
                .collect();
            generic.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
            self.stats.generic_values = generic.len() as u64;
            self.generic = generic;
        }
        self.nodes.par_iter_mut().for_each(|nd| {
            for (h, d) in nd.keys.iter_mut() {
                if weighted_kind(kind_of(*h))
                    && let Ok(i) = df.binary_search_by_key(h, |x| x.0)
                {
                    *d = df[i].1;
                }
            }
        });
        let mut tok_ent: Vec<(u32, u32)> = self
            .nodes
            .iter()
            .enumerate()
            .flat_map(|(i, nd)| {
                let e = entity_of_node[i];
                nd.names.iter().chain(nd.brands.iter()).flat_map(move |v| v.tokens.iter().map(move |&t| (t, e)))
            })
            .collect();
        tok_ent.par_sort_unstable();
        tok_ent.dedup();
        self.token_df.iter_mut().for_each(|d| *d = 0);
        for (t, _) in &tok_ent {
            self.token_df[*t as usize] += 1;
        }
        let mut es = entity_of_node.to_vec();
        es.sort_unstable();
        es.dedup();
        self.labels = es.len() as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::Dictionaries;
    use crate::normalize::normalize_name;

    #[test]
    fn typo_hashes_equal_hashes_of_the_deleted_strings() {
        let name = normalize_name("ООО Ромашка-Медиа", Dictionaries::embedded());
        let mut got = Vec::new();
        typo_hashes(&name, &Config::default(), &mut got);
        let mut want = Vec::new();
        for t in &name.tokens {
            let cs: Vec<char> = t.key.chars().collect();
            if cs.len() < 5 {
                continue;
            }
            want.push(key_hash(KeyKind::NameTypo, &t.key));
            for i in 0..cs.len() {
                let v: String = cs.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, c)| *c).collect();
                want.push(key_hash(KeyKind::NameTypo, &v));
            }
        }
        assert_eq!(got, want);
        assert!(!got.is_empty());
    }
}
