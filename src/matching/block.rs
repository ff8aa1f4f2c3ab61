//! Blocking: the keys each card is indexed by, the proto-entities (cards that share a valid ИНН or ОГРН), how many
//! legal entities carry each key (its document frequency, which decides generic values and weights), and the
//! candidate pairs — nodes that share a key whose block is small enough. Never all pairs.

use std::hash::Hash;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;
use smallvec::SmallVec;

use crate::config::Config;
use crate::matching::cluster::UnionFind;
use crate::matching::keys::{KeyKind, for_each_key, key_hash, kind_of, usable_inn};
use crate::matching::learn::{self, CloseNameStats, NameAlone, NameAloneRule, NameAloneStats};
use crate::matching::mail_person::{self, MailPair, MailPersonStats};
use crate::normalize::phone::PhoneKind;
use crate::normalize::{NormCard, NormName, Person};

/// A person as the matcher compares them: hashes only, no text (evidence reads the cards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonLite {
    /// Blocking key (surname + first initial) hash.
    pub key: u64,
    /// Full key (surname + both initials) hash, when the patronymic initial is known.
    pub full_key: Option<u64>,
    /// Patronymic initial.
    pub patronymic: Option<char>,
    /// Hash of the full first name, when known.
    pub first: Option<u64>,
    /// True when written in full (first name and patronymic).
    pub full: bool,
    /// Hash of the surname.
    pub surname: u64,
    /// How many different people (by surname and initials) carry this surname in the base: 1 for a rare
    /// surname, hundreds for Иванов. Filled by `prepare`; at least [`COMMON_SURNAME_PEOPLE`] for the most common
    /// surnames, whatever the size of the base.
    pub surname_people: u32,
    /// One of the most common surnames.
    pub common: bool,
}

/// The least number of people a common surname is taken to have (a small base underestimates Иванов).
pub const COMMON_SURNAME_PEOPLE: u32 = 10;

impl PersonLite {
    /// The matcher's view of a person.
    pub fn of(p: &Person) -> PersonLite {
        PersonLite {
            key: key_hash(KeyKind::Person, &p.block_key()),
            full_key: p.patronymic_initial.map(|_| key_hash(KeyKind::PersonFull, &p.key())),
            patronymic: p.patronymic_initial,
            first: p.first.as_deref().map(|f| key_hash(KeyKind::Person, f)),
            full: p.first.is_some() && p.patronymic_full,
            surname: key_hash(KeyKind::Person, &p.surname),
            surname_people: 0,
            common: p.common_surname,
        }
    }

    /// Same surname and first initial (the key), and no contradiction in patronymic or first name.
    pub fn compatible(&self, o: &PersonLite) -> bool {
        self.key == o.key
            && match (self.patronymic, o.patronymic) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
            && match (self.first, o.first) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// One written variant of a name, with its words as interned ids.
#[derive(Debug, Clone)]
pub struct NameVar {
    /// Word ids (see [`Prepared::tokens`]).
    pub tokens: SmallVec<[u32; 3]>,
    /// Bit `i` set when word `i` is non-distinctive (группа, торговый дом ...).
    pub generic: u64,
    /// Compact transliteration key.
    pub compact: Box<str>,
    /// The ИП's person, if a person's name (boxed: most names are not, and a million nodes hold a variant each).
    pub person: Option<Box<PersonLite>>,
    /// How many cards wrote it so.
    pub count: u32,
    /// An ИП written with the surname only (`ИП Смирнов`): a person that names no one in particular, but is
    /// compatible with a person of that surname ([`crate::matching::score::NameSides::surname_of_person`]).
    pub ip_surname: bool,
}

impl NameVar {
    /// True when word `i` is non-distinctive.
    pub fn is_generic(&self, i: usize) -> bool {
        i < 64 && self.generic & (1 << i) != 0
    }
}

/// A proto-entity: the cards that share a valid ИНН or ОГРН, or one card without either.
#[derive(Debug, Clone)]
pub struct Node {
    /// Card indices, ascending.
    pub cards: SmallVec<[u32; 1]>,
    /// The valid ИНН, if any.
    pub inn: Option<Box<str>>,
    /// Weighted keys (contacts, decision-makers, brands): (hash, legal entities carrying it), sorted by hash.
    pub keys: Box<[(u64, u32)]>,
    /// Name variants, most frequent first (at most [`MAX_VARIANTS`]).
    pub names: SmallVec<[NameVar; 1]>,
    /// Brand variants.
    pub brands: Box<[NameVar]>,
    /// Decision-makers and the ИП's own person.
    pub persons: Box<[PersonLite]>,
}

/// A name written on more nodes without ИНН than this is a hub name (many companies), not one client's.
pub const HUB_NAME_NODES: usize = 10;

/// Name variants kept per node.
pub const MAX_VARIANTS: usize = 6;

/// Everything the scorer needs.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The nodes, in order of their first card.
    pub nodes: Vec<Node>,
    /// Node of each card.
    pub node_of_card: Vec<u32>,
    /// Word keys by id.
    pub tokens: Vec<Box<str>>,
    /// A written (folded) form of each word, by id.
    pub token_text: Vec<Box<str>>,
    /// Entities (name labels) carrying each word.
    pub token_df: Vec<u32>,
    /// Full city numbers written under three area codes or more with the same seven digits, one group per seven
    /// digits: at the firm level, where [`SPREAD_AREA_CODES`] of them are each shared, each counts the carriers of
    /// all of them.
    pub spread_numbers: Vec<Vec<u64>>,
    /// Entities (name labels) writing each word in a name while carrying no brand with it: a word only brands and
    /// their own carriers' names use counts 0 (a holding's brand is nobody else's name).
    pub token_named_apart: Vec<u32>,
    /// Number of distinct name labels (≈ legal entities) in the base.
    pub labels: u32,
    /// Per-card weighted key hashes (CSR): keys of card `i` are `card_keys[card_key_start[i]..card_key_start[i+1]]`.
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
    /// Pairs (node with ИНН, node without) whose whole distinctive name is the same and unique in the base:
    /// scored for the legal-entity level even without a shared contact. Sorted.
    pub unique_name_pairs: Vec<(u32, u32)>,
    /// Pairs by which a bare card joined, once legal entities were clustered, the one legal entity writing its
    /// distinctive name ([`Prepared::bare_name_pairs`]). Sorted.
    pub grouped_name_pairs: Vec<(u32, u32)>,
    /// What the base's cards with ИНН taught about names alone, and the rule it chose.
    pub name_alone: NameAloneStats,
    /// What they taught about close names (a little under the near-identical floor) with a shared contact.
    pub close_names: CloseNameStats,
    /// Whether two legal entities alone writing a name join though their contacts differ, and what taught it.
    pub differing_contacts: learn::DifferingContactsStats,
    /// Pairs of nodes of one name (one without ИНН) where one card's e-mail spells another's contact's surname,
    /// sorted by nodes; empty unless this base's labelled cards trust them ([`mail_person::pairs`]).
    pub mail_pairs: Vec<MailPair>,
    /// What the labelled cards taught about such e-mails.
    pub mail_person: MailPersonStats,
    /// Postings of the weighted keys: (hash, node), sorted; kept to count legal entities again once they are
    /// known ([`Prepared::recount`]).
    pub weighted_postings: Vec<(u64, u32)>,
}

/// Statistics of blocking.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BlockStats {
    /// Distinct weighted keys per kind.
    pub keys: Vec<(&'static str, u64)>,
    /// Blocks (a shared key) of 2 or more nodes.
    pub blocks: u64,
    /// Blocks of a non-generic value with more nodes than the cap: split by name instead of expanded.
    pub blocks_over_cap: u64,
    /// Blocks of a generic value: split by name (a rare name and a generic value may confirm each other).
    pub generic_blocks_split_by_name: u64,
    /// The cap.
    pub max_block: u32,
    /// Pairs before removing duplicates.
    pub raw_pairs: u64,
    /// Distinct candidate pairs.
    pub pairs: u64,
    /// Contact values found generic.
    pub generic_values: u64,
}

/// Blocks larger than this are not split by name either (a value on tens of thousands of cards).
const MAX_SPLIT_BLOCK: usize = 50_000;

/// Builds nodes, document frequencies and candidate pairs.
///
/// Candidates come from weighted keys only: nodes sharing a phone, email, domain, address, decision-maker or
/// brand. A block of a generic value, or one larger than the cap, is not expanded into all its pairs; it is
/// split by name (whole name and distinctive words), since only a near-identical rare name can make such a value
/// count. Two groups that share nothing but a name are never compared: a name alone never links.
pub fn prepare(norm: &[NormCard], cfg: &Config) -> Prepared {
    let mut tr = crate::timing::Laps::new();
    let n = norm.len();

    // Keys of every card: weighted and hard keys (CSR), and name keys (CSR).
    let per_card: Vec<(Vec<u64>, Vec<u64>)> = norm
        .par_iter()
        .map(|c| {
            let (mut w, mut nm) = (Vec::with_capacity(16), Vec::with_capacity(6));
            for_each_key(c, |k, t| if k.is_name() { nm.push(key_hash(k, t)) } else { w.push(key_hash(k, t)) });
            w.sort_unstable();
            w.dedup();
            nm.sort_unstable();
            nm.dedup();
            (w, nm)
        })
        .collect();
    let mut card_key_start = Vec::with_capacity(n + 1);
    let mut card_keys = Vec::with_capacity(per_card.iter().map(|x| x.0.len()).sum());
    let mut name_key_start = Vec::with_capacity(n + 1);
    let mut card_name_keys = Vec::with_capacity(per_card.iter().map(|x| x.1.len()).sum());
    for (w, nm) in &per_card {
        card_key_start.push(card_keys.len() as u32);
        card_keys.extend_from_slice(w);
        name_key_start.push(card_name_keys.len() as u32);
        card_name_keys.extend_from_slice(nm);
    }
    card_key_start.push(card_keys.len() as u32);
    name_key_start.push(card_name_keys.len() as u32);
    drop(per_card);
    let keys_of = |i: usize| &card_keys[card_key_start[i] as usize..card_key_start[i + 1] as usize];
    let names_of = |i: usize| &card_name_keys[name_key_start[i] as usize..name_key_start[i + 1] as usize];
    tr.lap("keys");

    // Proto-entities: union by ИНН, then by ОГРН where that does not bring two ИНН together.
    let mut uf = UnionFind::new(n);
    let mut inn_of_root: Vec<Option<u64>> = vec![None; n];
    let mut hard: Vec<(u64, u32)> = (0..n)
        .flat_map(|i| {
            keys_of(i)
                .iter()
                .filter(|&&h| matches!(kind_of(h), KeyKind::Inn | KeyKind::Ogrn))
                .map(move |&h| (h, i as u32))
        })
        .collect();
    hard.par_sort_unstable();
    // An ИНН typed from another company: in a group of three or more cards sharing an ИНН whose names mostly
    // agree, a card whose name shares no word with them is not tied to the group by that ИНН; it is matched
    // like a card without one.
    let mut inn_outlier = vec![false; n];
    let inn_runs: Vec<&[(u64, u32)]> =
        hard.chunk_by(|a, b| a.0 == b.0).filter(|r| kind_of(r[0].0) == KeyKind::Inn && r.len() >= 2).collect();
    // Where each whole name is written, with the ИНН of the card (0: none): a sister's ИНН typed on one card is
    // seen as a card whose name sits on cards without that ИНН.
    let mut name_inn: Vec<(u64, u64)> = norm
        .par_iter()
        .map(|c| {
            let inn = usable_inn(c).map_or(0, |v| key_hash(KeyKind::Inn, v));
            (key_hash(KeyKind::NameFull, &c.name.compact()), inn)
        })
        .collect();
    name_inn.par_sort_unstable();
    name_inn.dedup();
    let elsewhere = |c: u32, inn: u64| {
        let h = key_hash(KeyKind::NameFull, &norm[c as usize].name.compact());
        let lo = name_inn.partition_point(|x| x.0 < h);
        name_inn[lo..].iter().take_while(|x| x.0 == h).any(|x| x.1 != inn)
    };
    // The valid ИНН other than `inn` under which a whole name (its `NameFull` key hash) is written.
    let other_inns = |h: u64, inn: u64| -> SmallVec<[u64; 4]> {
        let lo = name_inn.partition_point(|x| x.0 < h);
        name_inn[lo..].iter().take_while(|x| x.0 == h).filter(|x| x.1 != inn && x.1 != 0).map(|x| x.1).collect()
    };
    let outliers: Vec<u32> = inn_runs
        .par_iter()
        .flat_map_iter(|run| {
            let mut out = if run.len() >= 3 { inn_outliers(norm, run) } else { pair_outlier(norm, run, &elsewhere) };
            if out.is_empty() {
                out = sister_outlier(norm, run, &other_inns);
            }
            out
        })
        .collect();
    drop(name_inn);
    // The ИНН typed on another company's card: each card of it carries the ИНН as a key, so the firm level sees
    // the outlier's legal entity and the ИНН's share it (`Signal::TypedInn`).
    let mut typed_inn: Vec<u64> =
        outliers.iter().filter_map(|&c| usable_inn(&norm[c as usize])).map(|v| key_hash(KeyKind::Inn, v)).collect();
    typed_inn.sort_unstable();
    typed_inn.dedup();
    for c in outliers {
        inn_outlier[c as usize] = true;
    }
    for run in hard.chunk_by(|a, b| a.0 == b.0).filter(|r| kind_of(r[0].0) == KeyKind::Inn) {
        let kept: Vec<u32> = run.iter().map(|x| x.1).filter(|&c| !inn_outlier[c as usize]).collect();
        for w in kept.windows(2) {
            uf.union(w[0], w[1]);
        }
        if let Some(&c) = kept.first() {
            let r = uf.find(c);
            inn_of_root[r as usize] = Some(run[0].0);
        }
    }
    let mut ogrn_conflicts = 0;
    for run in hard.chunk_by(|a, b| a.0 == b.0).filter(|r| kind_of(r[0].0) == KeyKind::Ogrn) {
        if run.iter().any(|&(_, c)| inn_outlier[c as usize]) {
            continue;
        }
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
    drop(hard);
    drop(inn_of_root);
    let (node_of_card, n_nodes) = uf.labels();
    drop(uf);
    tr.lap("union");

    // Interned name words.
    let mut tok_ids: FxHashMap<&str, u32> = FxHashMap::default();
    let mut tokens: Vec<Box<str>> = Vec::new();
    let mut token_text: Vec<Box<str>> = Vec::new();
    for c in norm {
        for t in c.name.tokens.iter().chain(c.brand.iter().flat_map(|b| b.tokens.iter())) {
            if !tok_ids.contains_key(t.key()) {
                tok_ids.insert(t.key(), tokens.len() as u32);
                tokens.push(t.key().into());
                token_text.push(t.text().into());
            }
        }
    }
    let var_of = |name: &NormName| name_var(name, |k| tok_ids[k]);
    tr.lap("tokens");

    // Nodes (with their name keys, for splitting big blocks, kept aside).
    let mut members: Vec<SmallVec<[u32; 1]>> = vec![SmallVec::new(); n_nodes];
    for (i, &nd) in node_of_card.iter().enumerate() {
        members[nd as usize].push(i as u32);
    }
    // The keys a node and the evidence keep of a card: the weighted ones and the typed ИНН.
    let node_key = |h: u64| weighted_kind(kind_of(h)) || typed_inn.binary_search(&h).is_ok();
    let built: Vec<(Node, Vec<u64>)> = members
        .into_par_iter()
        .map(|cards| {
            let inn = cards
                .iter()
                .filter(|&&c| !inn_outlier[c as usize])
                .find_map(|&c| usable_inn(&norm[c as usize]))
                .map(Box::from);
            let (keys, mut name_keys): (Vec<(u64, u32)>, Vec<u64>) = if cards.len() == 1 {
                let c = cards[0] as usize;
                (keys_of(c).iter().filter(|&&h| node_key(h)).map(|&h| (h, 0)).collect(), names_of(c).to_vec())
            } else {
                let mut k: Vec<u64> =
                    cards.iter().flat_map(|&c| keys_of(c as usize).iter().copied()).filter(|&h| node_key(h)).collect();
                k.sort_unstable();
                k.dedup();
                let mut nk: Vec<u64> = cards.iter().flat_map(|&c| names_of(c as usize).iter().copied()).collect();
                nk.sort_unstable();
                nk.dedup();
                (k.into_iter().map(|h| (h, 0)).collect(), nk)
            };
            let mut names: SmallVec<[NameVar; 1]> = SmallVec::new();
            let mut brands: Vec<NameVar> = Vec::new();
            let mut persons: Vec<PersonLite> = Vec::new();
            for &c in &cards {
                let card = &norm[c as usize];
                if let Some(v) = count_variant(&mut names, var_of(&card.name)) {
                    names.push(v);
                }
                if let Some(b) = &card.brand
                    && let Some(v) = count_variant(&mut brands, var_of(b))
                {
                    brands.push(v);
                }
                // A surname alone ("Полякова", "ИП Беспалов") names no one in particular: it is not a person key.
                for p in card.decision_makers().chain(card.name.person.as_deref()).filter(|p| p.first_initial.is_some())
                {
                    let pl = PersonLite::of(p);
                    if !persons.contains(&pl) {
                        persons.push(pl);
                    }
                }
            }
            if names.len() > 1 {
                names.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.compact.cmp(&b.compact)));
                names.truncate(MAX_VARIANTS);
            }
            if brands.len() > 1 {
                brands.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.compact.cmp(&b.compact)));
                brands.truncate(MAX_VARIANTS);
            }
            persons.sort();
            persons.truncate(16);
            // A million nodes live through the whole match: no room for values that never come (the node's own
            // lists are boxed slices below, held at their size).
            name_keys.shrink_to_fit();
            (
                Node {
                    cards,
                    inn,
                    keys: keys.into_boxed_slice(),
                    names,
                    brands: brands.into_boxed_slice(),
                    persons: persons.into_boxed_slice(),
                },
                name_keys,
            )
        })
        .collect();
    let (mut nodes, node_name_keys): (Vec<Node>, Vec<Vec<u64>>) = built.into_iter().unzip();
    drop(tok_ids);
    drop(card_name_keys);
    drop(name_key_start);
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
            if p.common {
                p.surname_people = p.surname_people.max(COMMON_SURNAME_PEOPLE);
            }
        }
    });
    tr.lap("people");

    // Before legal entities are known, a value's entities are counted as: the distinct ИНН of the nodes that carry
    // it, plus the distinct name roots of nodes without ИНН that no node with ИНН carrying it shares. So the
    // cards of one client typed with and without its ИНН, in Cyrillic or Latin, count once.
    let mut label_ids: FxHashMap<u64, u32> = FxHashMap::default();
    let mut intern = |k: u64| -> u32 {
        let next = label_ids.len() as u32;
        *label_ids.entry(k).or_insert(next)
    };
    let tag = |t: u8, s: &str| key_hash(KeyKind::NameFull, s) ^ (t as u64) << 60;
    let node_inn: Vec<Option<u32>> = nodes.iter().map(|nd| nd.inn.as_deref().map(|inn| intern(tag(4, inn)))).collect();
    // For word frequencies: a node with ИНН is one entity, one without is labelled by its whole name — unless
    // that name is written on more nodes without ИНН than one client has cards (a hub name, «Вектор» on
    // hundreds of cards): then each node counts on its own, or every «Вектор» would look like one company.
    let mut noinn_names: Vec<u64> = nodes
        .iter()
        .filter(|nd| nd.inn.is_none())
        .filter_map(|nd| nd.names.first().map(|v| key_hash(KeyKind::NameFull, &v.compact)))
        .collect();
    noinn_names.par_sort_unstable();
    let noinn_count = |c: &str| occurrences(&noinn_names, key_hash(KeyKind::NameFull, c));
    let one_client = one_client_names(&nodes, &noinn_names);
    let node_label: Vec<u32> = nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| match (node_inn[i], nd.names.first()) {
            (Some(l), _) => l,
            (None, Some(v))
                if noinn_count(&v.compact) <= HUB_NAME_NODES
                    || one_client.binary_search(&key_hash(KeyKind::NameFull, &v.compact)).is_ok() =>
            {
                intern(tag(2, &v.compact))
            }
            (None, _) => intern(tag(3, &i.to_string())),
        })
        .collect();
    drop(noinn_names);
    let labels = {
        let mut ls = node_label.clone();
        ls.par_sort_unstable();
        ls.dedup();
        ls.len() as u32
    };

    // Word document frequency, in labels.
    let (token_df, token_named_apart) = word_counts(tokens.len(), &nodes, &node_label);
    // A value's carriers count the name root of nodes without ИНН once (a client's cards typed with and without
    // its ИНН); a root many companies carry says nothing about who they are, and each node counts on its own.
    let node_root: Vec<u32> = nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| match nd.names.first() {
            Some(v) => match v.tokens.iter().enumerate().find(|(j, _)| !v.is_generic(*j)) {
                Some((_, t)) if token_df[*t as usize] <= HUB_NAME_NODES as u32 => intern(tag(1, &tokens[*t as usize])),
                Some(_) => node_label[i],
                None => intern(tag(2, &v.compact)),
            },
            None => intern(tag(3, &i.to_string())),
        })
        .collect();
    drop(label_ids);
    drop(node_label);
    tr.lap("labels");

    // A card without ИНН whose distinctive name is exactly the name of one legal entity with ИНН, while no other
    // company in the base carries any of its words: the name alone identifies it (a manager's card of a client
    // typed with the name only). How far that holds is learned from the base's cards with ИНН.
    let (unique_name_pairs, name_alone) =
        unique_name_pairs(norm, &nodes, &tokens, &token_df, cfg.thresholds.name_alone);
    tr.lap("unique names");
    // Two cards of one name, one with the decision-maker's e-mail, the other with the decision-maker.
    let (mail_pairs, mail_person) = mail_person::pairs(norm, &nodes, &node_of_card, cfg);
    tr.lap("mail person");

    // Postings of weighted keys: (hash, node).
    let mut postings: Vec<(u64, u32)> =
        nodes.iter().enumerate().flat_map(|(i, nd)| nd.keys.iter().map(move |&(h, _)| (h, i as u32))).collect();
    postings.par_sort_unstable();
    tr.lap("postings");

    // Document frequency of every key; blocks; generic values; pairs.
    let max_block = cfg.blocking.max_block as usize;
    let generic_over = cfg.generic.max_entities;
    let runs: Vec<&[(u64, u32)]> = postings.chunk_by(|a, b| a.0 == b.0).collect();
    struct RunOut {
        df: u32,
        pairs: Vec<u64>,
        over_cap: bool,
        split: bool,
    }
    let push_all = |members: &[u32], pairs: &mut Vec<u64>| {
        for i in 0..members.len() {
            for j in i + 1..members.len() {
                let (a, b) = (members[i].min(members[j]), members[i].max(members[j]));
                pairs.push(((a as u64) << 32) | b as u64);
            }
        }
    };
    let outs: Vec<RunOut> = runs
        .par_iter()
        .map(|run| {
            let kind = kind_of(run[0].0);
            let df = entities_in_run(run, &node_inn, &node_root);
            let generic = kind.is_contact() && df > generic_over;
            let mut out = RunOut { df, pairs: Vec::new(), over_cap: false, split: false };
            if run.len() < 2 {
                return out;
            }
            let members: Vec<u32> = run.iter().map(|&(_, nd)| nd).collect();
            if !generic && run.len() <= max_block {
                push_all(&members, &mut out.pairs);
                return out;
            }
            out.over_cap = !generic;
            // Split a big or generic block of a contact by name; persons and brands are not contacts.
            let contact = matches!(
                kind,
                KeyKind::Phone
                    | KeyKind::LocalPhone
                    | KeyKind::TollFree
                    | KeyKind::Email
                    | KeyKind::Domain
                    | KeyKind::AddrOffice
                    | KeyKind::AddrHouse
            );
            if contact && run.len() <= MAX_SPLIT_BLOCK {
                out.split = true;
                let mut by_name: Vec<(u64, u32)> =
                    members.iter().flat_map(|&nd| node_name_keys[nd as usize].iter().map(move |&k| (k, nd))).collect();
                by_name.sort_unstable();
                for sub in by_name.chunk_by(|a, b| a.0 == b.0) {
                    if sub.len() >= 2 && sub.len() <= max_block {
                        let m: Vec<u32> = sub.iter().map(|&(_, nd)| nd).collect();
                        push_all(&m, &mut out.pairs);
                    }
                }
            }
            out
        })
        .collect();
    drop(node_name_keys);
    let mut stats = BlockStats { max_block: cfg.blocking.max_block, ..BlockStats::default() };
    let mut kind_counts = [0u64; KeyKind::ALL.len()];
    let mut generic = Vec::new();
    let mut df_of_run: Vec<u32> = Vec::with_capacity(outs.len());
    let mut all_pairs: Vec<u64> = Vec::with_capacity(outs.iter().map(|o| o.pairs.len()).sum());
    for (o, run) in outs.into_iter().zip(&runs) {
        let h = run[0].0;
        kind_counts[kind_of(h) as usize] += 1;
        if run.len() >= 2 {
            stats.blocks += 1;
        }
        stats.blocks_over_cap += o.over_cap as u64;
        if kind_of(h).is_contact() && o.df > generic_over {
            generic.push((kind_of(h), h, o.df));
            stats.generic_blocks_split_by_name += o.split as u64;
        }
        df_of_run.push(o.df);
        all_pairs.extend_from_slice(&o.pairs);
    }
    stats.keys = KeyKind::ALL.iter().map(|k| (k.name(), kind_counts[*k as usize])).filter(|(_, c)| *c > 0).collect();
    stats.raw_pairs = all_pairs.len() as u64;
    all_pairs.par_sort_unstable();
    all_pairs.dedup();
    stats.pairs = all_pairs.len() as u64;
    stats.generic_values = generic.len() as u64;
    generic.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    let pairs: Vec<(u32, u32)> = all_pairs.into_iter().map(|p| ((p >> 32) as u32, p as u32)).collect();
    tr.lap("runs+pairs");

    // Each node's keys get their frequency: runs are in hash order, and so are a node's keys, so walking the
    // runs and appending to each node's cursor fills them in order.
    let mut cursor: Vec<u32> = vec![0; nodes.len()];
    for (run, df) in runs.iter().zip(&df_of_run) {
        for &(_, nd) in run.iter() {
            let c = &mut cursor[nd as usize];
            nodes[nd as usize].keys[*c as usize].1 = *df;
            *c += 1;
        }
    }
    drop(runs);
    drop(cursor);
    tr.lap("nodekeys");

    // Card keys are kept for finding which card carries a value (evidence): the node keys only.
    let mut kept = Vec::with_capacity(card_keys.len());
    let mut kept_start = Vec::with_capacity(n + 1);
    for i in 0..n {
        kept_start.push(kept.len() as u32);
        kept.extend(keys_of(i).iter().copied().filter(|&h| node_key(h)));
    }
    kept_start.push(kept.len() as u32);
    drop(card_keys);
    kept.shrink_to_fit();

    let mut p = Prepared {
        nodes,
        node_of_card,
        tokens,
        token_text,
        token_df,
        token_named_apart,
        spread_numbers: spread_city_numbers(norm),
        labels,
        card_keys: kept,
        card_key_start: kept_start,
        pairs,
        stats,
        generic,
        ogrn_conflicts,
        unique_name_pairs,
        grouped_name_pairs: Vec::new(),
        name_alone,
        close_names: CloseNameStats::default(),
        differing_contacts: learn::DifferingContactsStats::default(),
        mail_pairs,
        mail_person,
        weighted_postings: postings,
    };
    p.close_names = learn::close_names(&p, norm, cfg);
    tr.lap("close names");
    p.differing_contacts = learn::differing_contacts(&p, norm, cfg);
    tr.lap("differing contacts");
    p
}

/// The cards of an ИНN group whose name contradicts the name most of the group agrees on.
fn inn_outliers(norm: &[NormCard], run: &[(u64, u32)]) -> Vec<u32> {
    if run.len() > 400 {
        // Hundreds of cards on one ИНН: a big company's branches, or a value shared by many; judge by the names
        // of a sample.
        let sample = inn_outliers(norm, &run[..400]);
        return if sample.len() == 400 { run.iter().map(|x| x.1).collect() } else { sample };
    }
    let words: Vec<Vec<&str>> = run
        .iter()
        .map(|&(_, c)| {
            norm[c as usize]
                .name
                .tokens
                .iter()
                .filter(|t| !t.generic && t.key().chars().count() >= 3)
                .map(|t| t.key())
                .collect()
        })
        .collect();
    // The whole name without spaces, so that "ЦветДевелопмент" agrees with "Цвет Девелопмент" and a Latin
    // spelling with its letters swapped still agrees with the Cyrillic one.
    let compacts: Vec<String> = words.iter().map(|w| w.concat()).collect();
    let agree_words = |a: &[&str], b: &[&str]| {
        a.iter().any(|x| b.iter().any(|y| x == y || crate::matching::score::edit_similarity(x, y) >= 0.8))
    };
    let agree = |i: usize, j: usize| {
        agree_words(&words[i], &words[j])
            || (compacts[i].chars().count() >= 5
                && crate::matching::score::edit_similarity(&compacts[i], &compacts[j]) >= 0.75)
    };
    let k = run.len();
    let support: Vec<usize> = (0..k).map(|i| (0..k).filter(|&j| j != i && agree(i, j)).count()).collect();
    let Some(best) = (0..k).max_by_key(|&i| (support[i], std::cmp::Reverse(i))) else { return Vec::new() };
    // Without a majority agreeing on a name, the "ИНН" is shared by unrelated companies (a value that is not
    // really their ИНН): it ties nobody.
    if (support[best] + 1) * 2 <= k || words[best].is_empty() {
        let named = words.iter().filter(|w| !w.is_empty()).count();
        let distinct = {
            let mut v: Vec<&Vec<&str>> = words.iter().filter(|w| !w.is_empty()).collect();
            v.sort();
            v.dedup();
            v.len()
        };
        if k >= 4 && named * 2 > k && distinct * 2 > named {
            return run.iter().map(|x| x.1).collect();
        }
        return Vec::new();
    }
    (0..k)
        .filter(|&i| i != best && !words[i].is_empty() && !agree(i, best) && support[i] == 0)
        .map(|i| run[i].1)
        .collect()
}

/// Node pairs `(a, b)`, `a < b`, that a distinctive whole name alone may join, and what the base taught about
/// such names. A name is distinctive when every word of it is carried by at most two labels (the entity and the
/// name written without ИНН), it has a word of four letters or more, and it is not a person's name.
///
/// What the base teaches ([`NameAloneStats`]): of the distinctive names written on two cards or more with a
/// valid ИНН, how many are written under two ИНН or more. Where that is rare, the open rule: every node without
/// ИНН writing the name joins the one node with ИНН writing it, or, when none does, the first node writing it
/// (at most [`HUB_NAME_NODES`] nodes without ИНН). Otherwise the strict rule: a node without ИНН that carries
/// no contact at all joins the one node with ИНН of that name, when at most four nodes write it and the others
/// without ИНН are bare too, or place themselves nowhere else and the name is coined; or when at most
/// [`HUB_NAME_NODES`] write it, the others are placed in the entity's city and the name is coined.
fn unique_name_pairs(
    norm: &[NormCard],
    nodes: &[Node],
    tokens: &[Box<str>],
    token_df: &[u32],
    mode: NameAlone,
) -> (Vec<(u32, u32)>, NameAloneStats) {
    // A company's name (not a person's) with a word of four letters or more and no number for a word; and the
    // most labels any of its distinctive words is carried by.
    let widest_word = |v: &NameVar| -> Option<u32> {
        is_company_name(v, tokens).then(|| distinctive_words(v).map(|t| token_df[t as usize]).max().unwrap_or(0))
    };
    // (name, node, cards writing it so on that node, its widest word)
    let mut post: Vec<(u64, u32, u32, u32)> = nodes
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, nd)| {
            nd.names.iter().filter_map(move |v| {
                widest_word(v).map(|df| (key_hash(KeyKind::NameFull, &v.compact), i as u32, v.count, df))
            })
        })
        .collect();
    post.par_sort_unstable();
    post.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    let has_inn = |nd: u32| nodes[nd as usize].inn.is_some();
    let forms_agree = |a: u32, b: u32| forms_agree(norm, &nodes[a as usize], &nodes[b as usize]);
    // The distinctive words of the name a node writes under `hash`.
    let name_of = |hash: u64, nd: u32| -> SmallVec<[&str; 3]> {
        variant_by_hash(&nodes[nd as usize], hash)
            .map(|v| distinctive_words(v).map(|t| &*tokens[t as usize]).collect())
            .unwrap_or_default()
    };
    // Learn: of the names written on two cards or more with ИНН whose words are written nowhere else (carried by
    // no label but the name's own ИНН and its cards without ИНН), those written under two ИНН or more of one legal
    // form (an АО and an ООО of one name are two companies the rule would not join anyway).
    // The same counts for the coined names among them (no word built of parts other words of the base use).
    let parts = WordParts::new(tokens);
    let (mut names, mut under_two, mut coined, mut coined_under_two) = (0u64, 0u64, 0u64, 0u64);
    for run in post.chunk_by(|a, b| a.0 == b.0) {
        let inn_nodes = run.iter().filter(|x| has_inn(x.1)).count() as u32;
        let inn_cards: u32 = run.iter().filter(|x| has_inn(x.1)).map(|x| x.2).sum();
        if inn_cards >= 2 && run[0].3 <= inn_nodes + 1 {
            let is_coined = !parts.built_of_parts(name_of(run[0].0, run[0].1));
            names += 1;
            coined += u64::from(is_coined);
            let inn: SmallVec<[u32; 4]> = run.iter().map(|x| x.1).filter(|&nd| has_inn(nd)).collect();
            if inn.iter().enumerate().any(|(i, &a)| inn[i + 1..].iter().any(|&b| forms_agree(a, b))) {
                under_two += 1;
                coined_under_two += u64::from(is_coined);
            }
        }
    }
    // The rule itself: names whose every word is carried by at most two labels (the entity and the name written
    // without ИНН).
    post.retain(|x| x.3 <= 2);
    let stats = NameAloneStats::decide(mode, names, under_two, (coined, coined_under_two));
    let places = Places::new();
    let mut out = Vec::new();
    for run in post.chunk_by(|a, b| a.0 == b.0) {
        if run.len() < 2 {
            continue;
        }
        let with_inn: Vec<u32> = run.iter().map(|x| x.1).filter(|&nd| has_inn(nd)).collect();
        let without: Vec<u32> = run.iter().map(|x| x.1).filter(|&nd| !has_inn(nd)).collect();
        // Whether the name is coined, decided once per name and only when asked.
        let coined_once = std::cell::OnceCell::new();
        let coined = || *coined_once.get_or_init(|| !parts.built_of_parts(name_of(run[0].0, run[0].1)));
        let rule = if stats.rule == stats.coined.rule { stats.rule } else { stats.rule_for(coined()) };
        match rule {
            NameAloneRule::Open => {
                if with_inn.len() > 1 || without.len() > HUB_NAME_NODES {
                    continue;
                }
                let anchor = with_inn.first().copied().unwrap_or(without[0]);
                for &nd in without.iter().filter(|&&nd| nd != anchor && forms_agree(nd, anchor)) {
                    out.push((nd.min(anchor), nd.max(anchor)));
                }
            }
            NameAloneRule::Strict => {
                // Only cards that carry nothing but the name: one with its own phone or email is a company of its
                // own that happens to have the same name, and must prove it is this one by a contact.
                let bare = |nd: u32| is_bare(&nodes[nd as usize]);
                if with_inn.len() != 1 {
                    continue;
                }
                let anchor = with_inn[0];
                // At most four groups write the name, and every other card of it without ИНН is bare too; or those
                // that carry contacts say nothing of another place (no address or city phone of a city the legal
                // entity is not in: an e-mail, a mobile) and the name is coined — the bare cards join (the others
                // stay apart: they must prove by a contact that they are this company).
                let plain = run.len() <= 4
                    && (without.iter().all(|&nd| bare(nd))
                        || (without.iter().all(|&nd| {
                            bare(nd) || places.nowhere_else(norm, &nodes[nd as usize], &nodes[anchor as usize])
                        }) && coined()));
                // Or: the other cards writing the name that carry contacts are all placed in a city of the legal
                // entity's own (so nothing shows a second company of that name), and the name is not built of parts
                // other names of the base use (such names are the ones two companies happen to share).
                let placed = !plain
                    && without.len() <= HUB_NAME_NODES
                    && without
                        .iter()
                        .all(|&nd| bare(nd) || places.agree(norm, &nodes[nd as usize], &nodes[anchor as usize]))
                    && coined();
                if !plain && !placed {
                    continue;
                }
                for &nd in without.iter().filter(|&&nd| bare(nd)) {
                    out.push((nd.min(anchor), nd.max(anchor)));
                }
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    (out, stats)
}

/// [`is_company_name`] read from a card's normalised name (its words' keys are what `tokens` holds).
pub(crate) fn is_company_norm_name(name: &NormName) -> bool {
    let words = || name.tokens.iter().enumerate();
    name.person.is_none()
        && words().any(|(i, t)| !(t.generic && i < 64) && t.key().chars().count() >= 4)
        && words().all(|(_, t)| !t.key().bytes().all(|b| b.is_ascii_digit()))
}

/// A company's name (not a person's) with a distinctive word of four letters or more and no number for a word:
/// the names a name-alone rule may weigh.
pub(crate) fn is_company_name(v: &NameVar, tokens: &[Box<str>]) -> bool {
    v.person.is_none()
        && distinctive_words(v).any(|t| tokens[t as usize].chars().count() >= 4)
        && v.tokens.iter().all(|&t| !tokens[t as usize].bytes().all(|b| b.is_ascii_digit()))
}

/// The word ids of a name that are not generic ("группа", "торговый дом" …).
fn distinctive_words(v: &NameVar) -> impl Iterator<Item = u32> + '_ {
    v.tokens.iter().enumerate().filter(|(i, _)| !v.is_generic(*i)).map(|(_, &t)| t)
}

/// True unless the two nodes' cards write different known legal forms (an АО and an ООО of one name are two
/// companies).
fn forms_agree(norm: &[NormCard], a: &Node, b: &Node) -> bool {
    let forms = |nd: &Node| -> SmallVec<[&str; 2]> {
        let mut f: SmallVec<[&str; 2]> =
            nd.cards.iter().filter_map(|&c| norm[c as usize].name.legal_form.as_deref()).collect();
        f.sort_unstable();
        f.dedup();
        f
    };
    let (fa, fb) = (forms(a), forms(b));
    fa.is_empty() || fb.is_empty() || fa.iter().any(|x| fb.contains(x))
}

/// True when a node carries nothing a contact could be proved by: no valid ИНН and no contact value (a card
/// with a name and perhaps a КПП, a brand or a manager).
pub(crate) fn is_bare(nd: &Node) -> bool {
    nd.inn.is_none() && !has_contact(nd)
}

/// The kinds of contact a node carries, one bit each: a phone (any kind), an e-mail or a site, a
/// decision-maker, an address.
fn contact_families(nd: &Node) -> u8 {
    nd.keys.iter().fold(0, |bits, &(h, _)| bits | contact_family(kind_of(h)))
}

/// The kind of contact a key is, as one bit: phone 1, e-mail or site 2, decision-maker 4, address 8; 0 for a key
/// that is no contact (a name, a brand, an ИНН …).
pub(crate) fn contact_family(kind: KeyKind) -> u8 {
    match kind {
        KeyKind::Phone | KeyKind::LocalPhone | KeyKind::TollFree => 1,
        KeyKind::Email | KeyKind::Domain => 2,
        KeyKind::Person | KeyKind::PersonFull => 4,
        KeyKind::AddrOffice | KeyKind::AddrHouse => 8,
        _ => 0,
    }
}

/// True when a node carries a contact value (phone, e-mail, site, address, decision-maker …).
fn has_contact(nd: &Node) -> bool {
    contact_families(nd) != 0
}

/// Where a node's cards say the company is: the cities of its addresses and of its city phone numbers (an area
/// code the dictionary does not know stands for itself).
struct Places {
    code_cities: &'static FxHashMap<String, String>,
}

impl Places {
    fn new() -> Places {
        Places { code_cities: &crate::dict::Dictionaries::embedded().code_cities }
    }

    fn of(&self, norm: &[NormCard], nd: &Node) -> SmallVec<[String; 2]> {
        let mut out: SmallVec<[String; 2]> = SmallVec::new();
        for &c in &nd.cards {
            let card = &norm[c as usize];
            out.extend(card.addresses.iter().filter_map(|a| a.city().map(str::to_string)));
            for ph in card.phones.iter().filter(|ph| ph.kind == crate::normalize::phone::PhoneKind::Geographic) {
                let Some(digits) = ph.number.strip_prefix("+7") else { continue };
                let city = (3..=5)
                    .rev()
                    .filter_map(|k| digits.get(..k))
                    .find_map(|code| self.code_cities.get(code).cloned())
                    .or_else(|| digits.get(..3).map(|code| format!("#{code}")));
                out.extend(city);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// True when `a` is placed (it names a city) in a city `b` is placed in too.
    fn agree(&self, norm: &[NormCard], a: &Node, b: &Node) -> bool {
        let (pa, pb) = (self.of(norm, a), self.of(norm, b));
        pa.iter().any(|x| pb.contains(x))
    }

    /// True when `a` names no city, or a city `b` is placed in too.
    fn nowhere_else(&self, norm: &[NormCard], a: &Node, b: &Node) -> bool {
        let pa = self.of(norm, a);
        pa.is_empty() || pa.iter().any(|x| self.of(norm, b).contains(x))
    }
}

/// The base's name words, sorted forwards and backwards, to tell whether a word is built of parts other words
/// use: `медмонтаж` begins as `медлюкс` does and ends as `сибмонтаж` does; a coined word (`зякрабяар`) does not.
struct WordParts {
    forward: Vec<Box<str>>,
    backward: Vec<String>,
}

impl WordParts {
    /// The shortest part that counts (three letters).
    const MIN_PART: usize = 3;

    fn new(tokens: &[Box<str>]) -> WordParts {
        let mut forward: Vec<Box<str>> =
            tokens.iter().filter(|t| t.chars().count() >= Self::MIN_PART).cloned().collect();
        forward.par_sort_unstable();
        forward.dedup();
        let mut backward: Vec<String> = forward.iter().map(|t| t.chars().rev().collect()).collect();
        backward.par_sort_unstable();
        WordParts { forward, backward }
    }

    /// How many words of `sorted` other than `whole` begin with `part`.
    fn others_beginning(sorted: &[impl AsRef<str>], part: &str, whole: &str) -> usize {
        let lo = sorted.partition_point(|w| w.as_ref() < part);
        sorted[lo..].iter().take_while(|w| w.as_ref().starts_with(part)).filter(|w| w.as_ref() != whole).take(1).count()
    }

    /// True when one of the words splits into a beginning another word of the base has and an ending another word
    /// of the base has (each of three letters or more).
    fn built_of_parts(&self, words: SmallVec<[&str; 3]>) -> bool {
        words.iter().any(|w| {
            let chars: Vec<char> = w.chars().collect();
            let rev: String = chars.iter().rev().collect();
            (Self::MIN_PART..=chars.len().saturating_sub(Self::MIN_PART)).any(|i| {
                let head: String = chars[..i].iter().collect();
                let tail_rev: String = rev.chars().take(chars.len() - i).collect();
                Self::others_beginning(&self.forward, &head, w) > 0
                    && Self::others_beginning(&self.backward, &tail_rev, &rev) > 0
            })
        })
    }
}

/// Of two cards sharing an ИНН whose names have nothing in common, the one whose name is also written on cards
/// without that ИНН (a sister company's ИНН typed on it), when only one of them is.
fn pair_outlier(norm: &[NormCard], run: &[(u64, u32)], elsewhere: &impl Fn(u32, u64) -> bool) -> Vec<u32> {
    let [(inn, a), (_, b)] = run else { return Vec::new() };
    let (na, nb) = (&norm[*a as usize].name, &norm[*b as usize].name);
    let words = |n: &NormName| -> Vec<String> {
        n.tokens.iter().filter(|t| !t.generic && t.key().chars().count() >= 3).map(|t| t.key().to_string()).collect()
    };
    let (wa, wb) = (words(na), words(nb));
    if wa.is_empty() || wb.is_empty() {
        return Vec::new();
    }
    let agree = wa.iter().any(|x| wb.iter().any(|y| x == y || crate::matching::score::edit_similarity(x, y) >= 0.8))
        || crate::matching::score::edit_similarity(&na.compact(), &nb.compact()) >= 0.75;
    if agree {
        return Vec::new();
    }
    // `inn` is the run's key hash, the same hash `elsewhere` compares with.
    match (elsewhere(*a, *inn), elsewhere(*b, *inn)) {
        (true, false) => vec![*a],
        (false, true) => vec![*b],
        _ => Vec::new(),
    }
}

/// A sister company's ИНН typed on a card of a sister of one name root (`Флявлича` / `Флявлича-Трейд`): the card
/// of the group whose name is another card's name with a word less or more, written exactly so under another
/// valid ИНН, while that other card's name is not written under it. Their shared word keeps such cards out of
/// [`inn_outliers`] and [`pair_outlier`]. A person's name (an ИП with or without initials) is never judged so, and
/// when more than one card of the group would be, none is.
fn sister_outlier(
    norm: &[NormCard],
    run: &[(u64, u32)],
    other_inns: &impl Fn(u64, u64) -> SmallVec<[u64; 4]>,
) -> Vec<u32> {
    if run.len() > 400 {
        return Vec::new();
    }
    let words = |c: u32| -> SmallVec<[&str; 8]> {
        let mut w: SmallVec<[&str; 8]> = norm[c as usize].name.tokens.iter().map(|t| t.key()).collect();
        w.sort_unstable();
        w.dedup();
        w
    };
    let subset = |a: &[&str], b: &[&str]| a.len() < b.len() && a.iter().all(|x| b.binary_search(x).is_ok());
    // Each card's whole name, words, and the other ИНН its name is written under, made once.
    let names: Vec<(String, SmallVec<[&str; 8]>, bool, SmallVec<[u64; 4]>)> = run
        .iter()
        .map(|&(inn, c)| {
            let n = &norm[c as usize].name;
            let compact = n.compact();
            let elsewhere = other_inns(key_hash(KeyKind::NameFull, &compact), inn);
            (compact, words(c), n.person.is_some() || n.tokens.is_empty(), elsewhere)
        })
        .collect();
    let mut found: Vec<u32> = Vec::new();
    for (i, &(_, c)) in run.iter().enumerate() {
        let (compact, wc, skip, elsewhere) = &names[i];
        if *skip || elsewhere.is_empty() || names.iter().enumerate().any(|(j, n)| j != i && n.0 == *compact) {
            continue;
        }
        let sister = names.iter().enumerate().any(|(j, (_, wo, person, theirs))| {
            j != i && !person && (subset(wc, wo) || subset(wo, wc)) && !theirs.iter().any(|x| elsewhere.contains(x))
        });
        if sister {
            found.push(c);
        }
    }
    if found.len() == 1 { found } else { Vec::new() }
}

/// A name as the scorer reads it; `id` gives the id of a word key.
pub fn name_var(name: &NormName, id: impl Fn(&str) -> u32) -> NameVar {
    NameVar {
        tokens: name.tokens.iter().map(|t| id(t.key())).collect(),
        generic: name
            .tokens
            .iter()
            .enumerate()
            .filter(|(i, t)| t.generic && *i < 64)
            .fold(0u64, |m, (i, _)| m | 1 << i),
        compact: name.compact().into_boxed_str(),
        person: name.person.as_deref().map(|p| Box::new(PersonLite::of(p))),
        count: 1,
        ip_surname: is_ip_surname(name),
    }
}

/// How many times `x` stands in the sorted slice.
fn occurrences(sorted: &[u64], x: u64) -> usize {
    sorted.partition_point(|&y| y <= x) - sorted.partition_point(|&y| y < x)
}

/// The name variant of a node written under `hash` (a [`KeyKind::NameFull`] key).
fn variant_by_hash(nd: &Node, hash: u64) -> Option<&NameVar> {
    nd.names.iter().find(|v| key_hash(KeyKind::NameFull, &v.compact) == hash)
}

/// True for an ИП written with the surname only (`ИП Смирнов`: a person with no first name nor initial).
pub fn is_ip_surname(name: &NormName) -> bool {
    name.person.as_ref().is_some_and(|p| p.first.is_none() && p.first_initial.is_none())
}

/// Of the names written on more nodes without ИНН than [`HUB_NAME_NODES`] (`noinn_names`: the first name of each
/// such node, sorted), those that are one big client's rather than a hub of many companies: one corporate domain
/// is all their nodes carry, and at least half of their nodes that carry a contact carry it (a retailer's thirty
/// cards typed by every manager, with `@tander.ru` on most; «Вектор» on hundreds of cards carries many domains, or
/// one on a few of its cards); or one ИНН is all the name's labelled cards carry, on a quarter of its cards or
/// more. Sorted name hashes.
fn one_client_names(nodes: &[Node], noinn_names: &[u64]) -> Vec<u64> {
    let hubs: Vec<u64> =
        noinn_names.chunk_by(|a, b| a == b).filter(|run| run.len() > HUB_NAME_NODES).map(|run| run[0]).collect();
    if hubs.is_empty() {
        return Vec::new();
    }
    // (name, domain or 0 for a node with a contact and no domain, node)
    let mut seen: Vec<(u64, u64, u32)> = Vec::new();
    for (i, nd) in nodes.iter().enumerate().filter(|(_, nd)| nd.inn.is_none()) {
        let Some(v) = nd.names.first() else { continue };
        let h = key_hash(KeyKind::NameFull, &v.compact);
        if hubs.binary_search(&h).is_err() || !has_contact(nd) {
            continue;
        }
        let before = seen.len();
        seen.extend(nd.keys.iter().filter(|&&(k, _)| kind_of(k) == KeyKind::Domain).map(|&(k, _)| (h, k, i as u32)));
        if seen.len() == before {
            seen.push((h, 0, i as u32));
        }
    }
    seen.sort_unstable();
    seen.dedup();
    let mut out = Vec::new();
    for run in seen.chunk_by(|a, b| a.0 == b.0) {
        let mut nodes_with_contact: SmallVec<[u32; 16]> = run.iter().map(|x| x.2).collect();
        nodes_with_contact.sort_unstable();
        nodes_with_contact.dedup();
        let domains: SmallVec<[&(u64, u64, u32); 16]> = run.iter().filter(|x| x.1 != 0).collect();
        let one_domain = domains.first().is_some_and(|d| domains.iter().all(|x| x.1 == d.1));
        if one_domain && domains.len() * 2 >= nodes_with_contact.len() {
            out.push(run[0].0);
        }
    }
    // Or: the name's cards with a valid ИНН all carry one ИНН, and they are a quarter of its cards or more (the
    // labelled cards say the name is one company's; «Вектор» shows many ИНН, or one on a few of its cards).
    // (name, ИНН, cards)
    let mut labelled: Vec<(u64, &str, u32)> = nodes
        .iter()
        .filter_map(|nd| nd.inn.as_deref().map(|inn| (nd, inn)))
        .flat_map(|(nd, inn)| nd.names.iter().map(move |v| (key_hash(KeyKind::NameFull, &v.compact), inn, v.count)))
        .filter(|x| hubs.binary_search(&x.0).is_ok())
        .collect();
    labelled.sort_unstable();
    for run in labelled.chunk_by(|a, b| a.0 == b.0) {
        let one_inn = run.iter().all(|x| x.1 == run[0].1);
        let inn_cards: u32 = run.iter().map(|x| x.2).sum();
        let without = occurrences(noinn_names, run[0].0);
        if one_inn && inn_cards as usize * 3 >= without {
            out.push(run[0].0);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Counts `v` among `vars` (same words, same compact key) or adds it; returns it back when it is new.
fn count_variant(vars: &mut [NameVar], v: NameVar) -> Option<NameVar> {
    if v.tokens.is_empty() {
        return None;
    }
    match vars.iter_mut().find(|x| x.compact == v.compact && x.tokens == v.tokens) {
        Some(x) => {
            x.count += 1;
            None
        }
        None => Some(v),
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

/// The fewest area codes under each of which one seven-digit number must be shared by two legal entities or more
/// to count as one number.
pub const SPREAD_AREA_CODES: usize = 3;

/// City numbers whose last seven digits are written under [`SPREAD_AREA_CODES`] area codes or more (an agency's or
/// a call centre's number, a local number completed with the code of each card's city, or chance): the full
/// numbers' key hashes, one group per seven digits.
fn spread_city_numbers(norm: &[NormCard]) -> Vec<Vec<u64>> {
    // (seven last digits, full number's key)
    let mut locals: Vec<(u64, u64)> = norm
        .par_iter()
        .flat_map_iter(|c| {
            c.phones.iter().filter(|p| p.kind == PhoneKind::Geographic && p.number.len() >= 9).map(|p| {
                let local = &p.number[p.number.len() - 7..];
                (key_hash(KeyKind::LocalPhone, local), key_hash(KeyKind::Phone, &p.number))
            })
        })
        .collect();
    locals.par_sort_unstable();
    locals.dedup();
    locals
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|g| g.len() >= SPREAD_AREA_CODES)
        .map(|g| g.iter().map(|x| x.1).collect())
        .collect()
}

/// Per word, over the labels (legal entities, or firms) the nodes belong to (`label_of_node`): how many labels
/// carry it in a name or a brand, and how many write it in a name while carrying it in no brand.
fn word_counts(words: usize, nodes: &[Node], label_of_node: &[u32]) -> (Vec<u32>, Vec<u32>) {
    // (word, label, written in a brand)
    let mut tok_label: Vec<(u32, u32, bool)> = nodes
        .iter()
        .zip(label_of_node)
        .flat_map(|(nd, &l)| {
            let names = nd.names.iter().flat_map(move |v| v.tokens.iter().map(move |&t| (t, l, false)));
            names.chain(nd.brands.iter().flat_map(move |v| v.tokens.iter().map(move |&t| (t, l, true))))
        })
        .collect();
    tok_label.par_sort_unstable();
    tok_label.dedup();
    let (mut df, mut named_apart) = (vec![0u32; words], vec![0u32; words]);
    for run in tok_label.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
        let t = run[0].0 as usize;
        df[t] += 1;
        // Sorted with `false` first: a run of one name entry and no brand entry.
        if !run.iter().any(|x| x.2) {
            named_apart[t] += 1;
        }
    }
    (df, named_apart)
}

impl Prepared {
    /// Frees what only matching and `explain` need (nodes, candidate pairs, word tables, postings), keeping the
    /// generic values, the statistics and the per-card keys the reports use, so summaries and output files reuse
    /// that memory instead of growing the peak.
    pub fn release_matching_data(&mut self) {
        self.nodes = Vec::new();
        self.pairs = Vec::new();
        self.tokens = Vec::new();
        self.token_text = Vec::new();
        self.token_df = Vec::new();
        self.token_named_apart = Vec::new();
        self.spread_numbers = Vec::new();
        self.weighted_postings = Vec::new();
    }

    /// The pair of nodes `a` and `b` (either order) joined by an e-mail spelling a contact's surname, if any.
    pub fn mail_pair(&self, a: u32, b: u32) -> Option<&MailPair> {
        let key = (a.min(b), a.max(b));
        self.mail_pairs.binary_search_by_key(&key, |m| (m.a, m.b)).ok().map(|i| &self.mail_pairs[i])
    }

    /// True when nodes `a` and `b` (either order) carry the same whole distinctive name, unique in the base.
    /// Also true for the pairs a bare card joined by its name once legal entities were clustered.
    pub fn is_unique_name_pair(&self, a: u32, b: u32) -> bool {
        self.unique_name_pairs.binary_search(&(a.min(b), a.max(b))).is_ok() || self.is_grouped_name_pair(a, b)
    }

    /// Node pairs `(a, b)`, `a < b`, by which cards that carry nothing but a distinctive name join, once the legal
    /// entities are clustered (`entity_of_node`), the one legal entity writing that name with a contact or an ИНН
    /// (or, where none has either, one bare legal entity of it): the pairs of each other node writing the name
    /// (bare: no ИНН, no contact, [`is_bare`]) with each node of that entity writing it.
    ///
    /// Before clustering, the other cards of a name that carry contacts may each look like a second company of
    /// that name; once clustered, they are seen to be one legal entity or several. A name qualifies when at most
    /// one legal entity with a contact or an ИНН writes it (when none does, the bare ones join one another) — or,
    /// where the base shows names rarely shared ([`NameAloneStats::lone_contact`]), exactly two write it, at most
    /// one with an ИНН, each with contacts of no kind the other carries (a phone cannot contradict the other's
    /// phone when the other has none) — no
    /// legal entity but those writing the name carries every word of it (in a name or a brand:
    /// `Кворнета Сервис` beside `Кворнета`), at most [`HUB_NAME_NODES`] bare nodes write it, and the legal forms
    /// agree. Names of persons, and names with no distinctive word of four letters or more, never join so.
    pub fn bare_name_pairs(&self, norm: &[NormCard], entity_of_node: &[u32]) -> Vec<(u32, u32)> {
        let nodes = &self.nodes;
        let tokens = &self.tokens;
        let n_entities = entity_of_node.iter().max().map_or(0, |&m| m as usize + 1);
        // What kinds of contact each entity carries and whether it has an ИНН; it is bare with neither (every node
        // of it is).
        let mut entity_contacts = vec![0u8; n_entities];
        let mut entity_inn = vec![false; n_entities];
        for (nd, &e) in nodes.iter().zip(entity_of_node) {
            entity_contacts[e as usize] |= contact_families(nd);
            entity_inn[e as usize] |= nd.inn.is_some();
        }
        let entity_bare = |e: u32| !entity_inn[e as usize] && entity_contacts[e as usize] == 0;
        // (name, entity, node), for company names.
        let mut post: Vec<(u64, u32, u32)> = nodes
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, nd)| {
                nd.names
                    .iter()
                    .filter(|v| is_company_name(v, tokens))
                    .map(move |v| (key_hash(KeyKind::NameFull, &v.compact), entity_of_node[i], i as u32))
            })
            .collect();
        post.par_sort_unstable();
        post.dedup();
        // The candidate names: (the run in `post`, the anchor, the entities writing the name), and the words they
        // need counted.
        let mut candidates: Vec<(std::ops::Range<usize>, u32, SmallVec<[u32; 4]>)> = Vec::new();
        let mut wanted = vec![false; tokens.len()];
        let mut at = 0;
        for run in post.chunk_by(|a, b| a.0 == b.0) {
            let range = at..at + run.len();
            at += run.len();
            let mut writers: SmallVec<[u32; 4]> = run.iter().map(|x| x.1).collect();
            writers.dedup();
            if writers.len() < 2 {
                continue;
            }
            let mut full = writers.iter().copied().filter(|&e| !entity_bare(e));
            let mut anchor = full.next().unwrap_or(writers[0]);
            if let Some(second) = full.next() {
                // Two legal entities with contacts write the name: they join when the base shows names rarely
                // shared, they alone write it, at most one has an ИНН, and neither carries a kind of contact the
                // other has (so nothing either carries could contradict the other).
                // Where both carry a kind of contact (a phone each) and still were not joined, their contacts
                // differ: they join only where the base's labelled cards show such pairs one company.
                let (a, b) = (anchor as usize, second as usize);
                let trusted = if entity_contacts[a] & entity_contacts[b] == 0 {
                    self.name_alone.lone_contact
                } else {
                    self.differing_contacts.joins
                };
                if writers.len() != 2 || !trusted || (entity_inn[a] && entity_inn[b]) {
                    continue;
                }
                if entity_inn[b] {
                    anchor = second;
                }
            }
            if run.iter().filter(|x| x.1 != anchor).count() > HUB_NAME_NODES {
                continue;
            }
            if let Some(v) = variant_by_hash(&nodes[run[0].2 as usize], run[0].0) {
                for &t in v.tokens.iter() {
                    wanted[t as usize] = true;
                }
            }
            candidates.push((range, anchor, writers));
        }
        if candidates.is_empty() {
            return Vec::new();
        }
        // Legal entities carrying each wanted word, in a name or a brand.
        let mut carriers: Vec<(u32, u32)> = nodes
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, nd)| {
                let e = entity_of_node[i];
                let wanted = &wanted;
                nd.names
                    .iter()
                    .chain(&nd.brands)
                    .flat_map(|v| v.tokens.iter().copied())
                    .filter(move |&t| wanted[t as usize])
                    .map(move |t| (t, e))
            })
            .collect();
        carriers.par_sort_unstable();
        carriers.dedup();
        // The entities carrying word `t`, sorted.
        let entities_with = |t: u32| -> &[(u32, u32)] {
            let lo = carriers.partition_point(|x| x.0 < t);
            let hi = carriers.partition_point(|x| x.0 <= t);
            &carriers[lo..hi]
        };
        let mut out = Vec::new();
        for (range, anchor, writers) in candidates {
            let run = &post[range];
            let Some(v) = variant_by_hash(&nodes[run[0].2 as usize], run[0].0) else { continue };
            // Every entity carrying every word of the name must write it: any other writes a name
            // containing this one. (A writer may spell the name in other words, `МегасервисДевелопмент`.)
            let mut lists: SmallVec<[&[(u32, u32)]; 4]> = v.tokens.iter().map(|&t| entities_with(t)).collect();
            lists.sort_by_key(|l| l.len());
            let Some((shortest, rest)) = lists.split_first() else { continue };
            let another = shortest.iter().any(|&(_, e)| {
                !writers.contains(&e) && rest.iter().all(|l| l.binary_search_by_key(&e, |x| x.1).is_ok())
            });
            if another {
                continue;
            }
            let full: SmallVec<[u32; 4]> = run.iter().filter(|x| x.1 == anchor).map(|x| x.2).collect();
            for x in run.iter().filter(|x| x.1 != anchor) {
                for &f in full.iter().filter(|&&f| forms_agree(norm, &nodes[x.2 as usize], &nodes[f as usize])) {
                    out.push((x.2.min(f), x.2.max(f)));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// True when nodes `a` and `b` (either order) joined by a bare card's distinctive name once legal entities
    /// were clustered ([`Prepared::bare_name_pairs`]).
    pub fn is_grouped_name_pair(&self, a: u32, b: u32) -> bool {
        self.grouped_name_pairs.binary_search(&(a.min(b), a.max(b))).is_ok()
    }

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
        // A city number shared by several legal entities (or firms) under each of many area codes, on more of
        // them in all than a value may be, is one generic number (an agency's number on the clients of every
        // city): each spelling counts them all. A seven-digit number each code gives to one company of its own is
        // left alone: in a big base, thousands of them sit under several codes by chance.
        let mut df = df;
        for group in &self.spread_numbers {
            let at: SmallVec<[usize; 8]> =
                group.iter().filter_map(|h| df.binary_search_by_key(h, |x| x.0).ok()).collect();
            let shared = at.iter().filter(|&&i| df[i].1 >= 2).count();
            let carriers: u32 = at.iter().map(|&i| df[i].1).sum();
            if shared >= SPREAD_AREA_CODES && carriers > cfg.generic.max_entities {
                for i in at {
                    df[i].1 = df[i].1.max(carriers);
                }
            }
        }
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
        // Whether a value is generic is decided by the legal entities of the base: an accountant's domain on six
        // small firms stays generic when a firm round has joined two of them (`report_generic` is the count in
        // legal entities; later counts in firms may lower a value's count, never below the generic cut once
        // it is above).
        let max = cfg.generic.max_entities;
        let index = HashIndex::new(&df);
        self.nodes.par_iter_mut().for_each(|nd| {
            for (h, d) in nd.keys.iter_mut() {
                if weighted_kind(kind_of(*h))
                    && let Some(i) = index.find(&df, *h)
                {
                    *d = if !report_generic && *d > max { (*d).max(df[i].1) } else { df[i].1 };
                }
            }
        });
        (self.token_df, self.token_named_apart) = word_counts(self.tokens.len(), &self.nodes, entity_of_node);
        let mut es = entity_of_node.to_vec();
        es.sort_unstable();
        es.dedup();
        self.labels = es.len() as u32;
    }
}

/// Where a key hash sits in a long slice sorted by hash: the slice's run for the hash's top bits first (key hashes
/// are uniform there: their kind is in the low bits), then a binary search within it — a few cache misses instead
/// of one per halving of millions of entries.
struct HashIndex {
    shift: u32,
    starts: Vec<u32>,
}

impl HashIndex {
    /// The index of `sorted`, sorted by its first field.
    fn new<T>(sorted: &[(u64, T)]) -> HashIndex {
        // About four entries a bucket.
        let bits = (usize::BITS - (sorted.len() / 4).max(1).leading_zeros()).clamp(1, 24);
        let shift = 64 - bits;
        let mut starts = vec![0u32; (1usize << bits) + 1];
        for &(h, _) in sorted {
            starts[(h >> shift) as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        HashIndex { shift, starts }
    }

    /// The position of `hash` in the slice the index was built of, if there.
    fn find<T>(&self, sorted: &[(u64, T)], hash: u64) -> Option<usize> {
        let b = (hash >> self.shift) as usize;
        let (lo, hi) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        sorted[lo..hi].binary_search_by_key(&hash, |x| x.0).ok().map(|i| lo + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::Card;
    use crate::dict::Dictionaries;
    use crate::matching::keys::is_placeholder_id;
    use crate::normalize::normalize_card;

    #[test]
    fn the_hash_index_finds_what_a_binary_search_finds() {
        let mut v: Vec<(u64, u32)> =
            (0..5000u64).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i << 60), i as u32)).collect();
        v.push((0, 0));
        v.push((u64::MAX, 1));
        v.sort_unstable();
        v.dedup_by_key(|x| x.0);
        for sorted in [&v[..0], &v[..1], &v[..7], &v[..]] {
            let index = HashIndex::new(sorted);
            for probe in sorted.iter().map(|x| x.0).chain([1, 12345, u64::MAX - 1]) {
                assert_eq!(index.find(sorted, probe), sorted.binary_search_by_key(&probe, |x| x.0).ok(), "{probe}");
            }
        }
    }

    fn norm(cards: &[Card]) -> Vec<NormCard> {
        let d = Dictionaries::embedded();
        cards.iter().map(|c| normalize_card(c, d)).collect()
    }

    #[test]
    fn a_word_built_of_parts_other_words_use() {
        let vocab: Vec<Box<str>> = ["медмонтаж", "медлюкс", "сибмонтаж", "зякрабяар", "зюскяшекс", "рос"]
            .iter()
            .map(|w| (*w).into())
            .collect();
        let parts = WordParts::new(&vocab);
        let built = |w: &str| parts.built_of_parts(SmallVec::from_slice(&[w]));
        assert!(built("медмонтаж"), "begins as медлюкс, ends as сибмонтаж");
        assert!(!built("медлюкс"), "no other word ends in -люкс");
        assert!(!built("зякрабяар"), "a coined word shares no part");
        assert!(!built("рос"), "too short to split");
    }

    fn inn10(prefix: &str) -> String {
        crate::normalize::ids::inn10_with_check(prefix).expect("nine digits")
    }

    #[test]
    fn a_card_emits_its_keys_and_each_hash_says_its_kind() {
        let n = norm(&[Card::sample(
            "1",
            "ООО «Ромашка Медиа»",
            &inn10("770100001"),
            &["+7 (495) 111-22-33"],
            &["Info@Romashka.ru", "someone@mail.ru"],
        )]);
        let mut keys: Vec<(KeyKind, String)> = Vec::new();
        for_each_key(&n[0], |k, t| keys.push((k, t.to_string())));
        let has = |k: KeyKind, t: &str| keys.iter().any(|(kk, tt)| *kk == k && tt == t);
        assert!(has(KeyKind::Inn, &inn10("770100001")), "{keys:?}");
        assert!(has(KeyKind::Phone, "+74951112233"), "{keys:?}");
        assert!(has(KeyKind::Email, "info@romashka.ru"), "{keys:?}");
        // A corporate domain is a key; a public mail service is not.
        assert!(has(KeyKind::Domain, "romashka.ru"), "{keys:?}");
        assert!(!keys.iter().any(|(k, t)| *k == KeyKind::Domain && t == "mail.ru"), "{keys:?}");
        // The whole name and its distinctive words; the legal form is not a word of the name.
        assert!(keys.iter().any(|(k, _)| *k == KeyKind::NameFull), "{keys:?}");
        assert!(keys.iter().filter(|(k, _)| *k == KeyKind::NameToken).count() >= 1, "{keys:?}");
        assert!(!keys.iter().any(|(k, t)| *k == KeyKind::NameToken && t.contains("ooo")), "{keys:?}");
        // The hash of a key says its kind back.
        for (k, t) in &keys {
            assert_eq!(kind_of(key_hash(*k, t)), *k, "{k:?} {t}");
        }
    }

    #[test]
    fn a_placeholder_inn_is_not_an_identifier() {
        let n = norm(&[
            Card::sample("1", "ООО Ромашка", "0000000000", &[], &[]),
            Card::sample("2", "ООО Ромашка", &inn10("770100001"), &[], &[]),
        ]);
        assert_eq!(usable_inn(&n[0]), None);
        assert_eq!(usable_inn(&n[1]), Some(inn10("770100001").as_str()));
        assert!(is_placeholder_id("000000000000"));
    }

    #[test]
    fn cards_of_one_inn_are_one_node_and_only_cards_sharing_a_key_are_paired() {
        let inn = inn10("770100001");
        let cards = [
            Card::sample("1", "ООО Ромашка", &inn, &["+7 495 111-22-33"], &[]),
            Card::sample("2", "Ромашка ООО", &inn, &[], &["info@romashka.ru"]),
            // No ИНН; shares the phone with card 1.
            Card::sample("3", "Ромашка", "", &["+7 495 111-22-33"], &[]),
            // Shares nothing with anyone.
            Card::sample("4", "ООО Василёк", "", &["+7 812 999-88-77"], &["office@vasilek.ru"]),
        ];
        let p = prepare(&norm(&cards), &Config::default());
        assert_eq!(p.nodes.len(), 3, "cards 1 and 2 are one node");
        assert_eq!(p.node_of_card[0], p.node_of_card[1]);
        let (n1, n3, n4) = (p.node_of_card[0], p.node_of_card[2], p.node_of_card[3]);
        assert_eq!(p.nodes[n1 as usize].cards.as_slice(), &[0, 1]);
        assert_eq!(p.nodes[n1 as usize].inn.as_deref(), Some(inn.as_str()));
        assert!(p.pairs.contains(&(n1.min(n3), n1.max(n3))), "{:?}", p.pairs);
        assert!(p.pairs.iter().all(|&(a, b)| a != n4 && b != n4), "{:?}", p.pairs);
        // Pairs are sorted, each once, smaller node first.
        assert!(p.pairs.windows(2).all(|w| w[0] < w[1]) && p.pairs.iter().all(|(a, b)| a < b));
    }

    #[test]
    fn blocking_does_not_depend_on_card_order_beyond_node_numbering() {
        let cards = vec![
            Card::sample("1", "ООО Ромашка", "", &["+7 495 111-22-33"], &[]),
            Card::sample("2", "Ромашка", "", &["+7 495 111-22-33"], &["a@romashka.ru"]),
            Card::sample("3", "Ромашка Трейд", "", &[], &["b@romashka.ru"]),
        ];
        let pairs_by_id = |cards: &[Card]| -> Vec<(String, String)> {
            let p = prepare(&norm(cards), &Config::default());
            let id = |n: u32| cards[p.nodes[n as usize].cards[0] as usize].id.clone();
            let mut v: Vec<(String, String)> = p
                .pairs
                .iter()
                .map(|&(a, b)| {
                    let (x, y) = (id(a), id(b));
                    if x < y { (x, y) } else { (y, x) }
                })
                .collect();
            v.sort();
            v
        };
        let mut reversed = cards.clone();
        reversed.reverse();
        assert_eq!(pairs_by_id(&cards), pairs_by_id(&reversed));
        assert!(!pairs_by_id(&cards).is_empty());
    }
}
