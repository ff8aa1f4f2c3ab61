//! Legal entities and firms as tables: canonical names, identifiers, contacts, managers — what `entities.csv`,
//! `firms.csv`, the state and the managers' check show.
//!
//! Canonical name of a legal entity: among the names its cards carry, the most frequent well-formed one (legal
//! form written, upper and lower case mixed), shown with its legal form restored (`ООО «Ромашка»`); when none is
//! well-formed, the most frequent; ties by alphabetical order. Canonical name of a firm: that of its largest
//! legal entity (most cards; ties: the entity whose first card comes first).

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;
use rayon::prelude::*;

use compact_str::CompactString;

use crate::normalize::NormCard;

/// One value of a summary (an ИНН, a phone, a domain, a person …): most fit inline, without an allocation of
/// their own — a million-card base has millions of them.
pub type Value = CompactString;

/// The value lists of a row (ИНН, КПП, phones …), kept in one allocation: a million-card base has over a million
/// rows, and a row's lists, each a `Vec` of its own, cost more than the values they hold. Shared, not copied, by a
/// firm of one legal entity (most firms), whose lists are that entity's.
#[derive(Debug, Clone)]
pub struct Lists {
    values: Arc<[Value]>,
    ends: [u32; LISTS],
}

/// The lists of a row: ИНН, КПП, ОГРН, brands, phones, domains, decision-makers, managers, in this order.
const LISTS: usize = 8;
const INN: usize = 0;
const KPP: usize = 1;
const OGRN: usize = 2;
const BRAND: usize = 3;
const PHONE: usize = 4;
const DOMAIN: usize = 5;
const DECISION_MAKER: usize = 6;
const MANAGER: usize = 7;

impl Default for Lists {
    fn default() -> Self {
        Lists { values: Arc::from([]), ends: [0; LISTS] }
    }
}

impl Lists {
    /// The lists, each sorted and without repeats.
    fn new(lists: [BTreeSet<Value>; LISTS]) -> Lists {
        let mut values = Vec::with_capacity(lists.iter().map(BTreeSet::len).sum());
        let mut ends = [0u32; LISTS];
        for (i, l) in lists.into_iter().enumerate() {
            values.extend(l);
            ends[i] = values.len() as u32;
        }
        Lists { values: values.into(), ends }
    }

    /// List `i`.
    fn get(&self, i: usize) -> &[Value] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.values[start..self.ends[i] as usize]
    }
}

/// A legal entity as a row.
#[derive(Debug, Clone, Default)]
pub struct EntitySummary {
    /// Canonical name (shared with its firm when it is the firm's name).
    pub name: Arc<str>,
    /// Legal form code, when written.
    pub legal_form: Value,
    /// Card indices, ascending.
    pub cards: Box<[u32]>,
    /// ИНН, КПП, ОГРН, brands, phones, domains, decision-makers, managers (see the accessors).
    lists: Lists,
    /// Latest activity on any card.
    pub last_activity: Option<NaiveDate>,
}

impl EntitySummary {
    /// Valid ИНН.
    pub fn inns(&self) -> &[Value] {
        self.lists.get(INN)
    }
    /// КПП (branches).
    pub fn kpps(&self) -> &[Value] {
        self.lists.get(KPP)
    }
    /// ОГРН.
    pub fn ogrns(&self) -> &[Value] {
        self.lists.get(OGRN)
    }
    /// Brands.
    pub fn brands(&self) -> &[Value] {
        self.lists.get(BRAND)
    }
    /// Phones.
    pub fn phones(&self) -> &[Value] {
        self.lists.get(PHONE)
    }
    /// Corporate domains and websites.
    pub fn domains(&self) -> &[Value] {
        self.lists.get(DOMAIN)
    }
    /// Decision-makers (`Иванов И.И.`).
    pub fn decision_makers(&self) -> &[Value] {
        self.lists.get(DECISION_MAKER)
    }
    /// Managers holding its cards.
    pub fn managers(&self) -> &[Value] {
        self.lists.get(MANAGER)
    }
}

/// A firm as a row.
#[derive(Debug, Clone, Default)]
pub struct FirmSummary {
    /// Canonical name: its largest legal entity's.
    pub name: Arc<str>,
    /// Entity indices.
    pub entities: Box<[u32]>,
    /// Number of cards.
    pub cards: usize,
    /// The union of its legal entities' ИНН, КПП, brands, phones, domains, decision-makers, managers (see the
    /// accessors; ОГРН are not kept but for a firm of one legal entity, whose lists these are).
    lists: Lists,
    /// Latest activity.
    pub last_activity: Option<NaiveDate>,
}

impl FirmSummary {
    /// Valid ИНН.
    pub fn inns(&self) -> &[Value] {
        self.lists.get(INN)
    }
    /// КПП.
    pub fn kpps(&self) -> &[Value] {
        self.lists.get(KPP)
    }
    /// Brands.
    pub fn brands(&self) -> &[Value] {
        self.lists.get(BRAND)
    }
    /// Phones.
    pub fn phones(&self) -> &[Value] {
        self.lists.get(PHONE)
    }
    /// Domains and websites.
    pub fn domains(&self) -> &[Value] {
        self.lists.get(DOMAIN)
    }
    /// Decision-makers.
    pub fn decision_makers(&self) -> &[Value] {
        self.lists.get(DECISION_MAKER)
    }
    /// Managers holding its cards.
    pub fn managers(&self) -> &[Value] {
        self.lists.get(MANAGER)
    }
}

fn well_formed(n: &NormCard) -> bool {
    let core = &n.name.display_core;
    n.name.legal_form.is_some() && core.chars().any(char::is_uppercase) && core.chars().any(char::is_lowercase)
}

/// The canonical name among some cards (see the module documentation).
pub fn canonical_name(norm: &[NormCard], cards: &[u32]) -> (String, String) {
    let mut counts: Vec<(String, String, u32, bool)> = Vec::new();
    for &c in cards {
        let n = &norm[c as usize];
        let d = n.name.display();
        if d.is_empty() {
            continue;
        }
        match counts.iter_mut().find(|x| x.0 == d) {
            Some(x) => x.2 += 1,
            None => counts.push((d, n.name.legal_form.as_deref().unwrap_or_default().to_string(), 1, well_formed(n))),
        }
    }
    let any_good = counts.iter().any(|x| x.3);
    counts
        .into_iter()
        .filter(|x| x.3 || !any_good)
        .min_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)))
        .map(|x| (x.0, x.1))
        .unwrap_or_default()
}

/// Builds the summaries of every legal entity and firm.
pub fn summarize(
    norm: &[NormCard],
    entity_of_card: &[u32],
    n_entities: usize,
    firm_of_entity: &[u32],
    n_firms: usize,
) -> (Vec<EntitySummary>, Vec<FirmSummary>) {
    let mut cards_of: Vec<Vec<u32>> = vec![Vec::new(); n_entities];
    for (i, &e) in entity_of_card.iter().enumerate() {
        cards_of[e as usize].push(i as u32);
    }
    let entities: Vec<EntitySummary> = cards_of
        .into_par_iter()
        .map(|cs| {
            let (name, legal_form) = canonical_name(norm, &cs);
            let mut lists = <[BTreeSet<Value>; LISTS]>::default();
            let mut last: Option<NaiveDate> = None;
            for &c in &cs {
                let n = &norm[c as usize];
                let [inns, kpps, ogrns, brands, phones, domains, dms, managers] = &mut lists;
                inns.extend(n.ids.inn().map(CompactString::from));
                kpps.extend(n.ids.kpp().map(CompactString::from));
                ogrns.extend(n.ids.ogrn().map(CompactString::from));
                brands.extend(n.brand.as_ref().map(|b| b.display_core.clone()));
                phones.extend(n.phones.iter().map(|p| p.number.clone()));
                domains.extend(n.corporate_domains().into_iter().map(Value::from));
                domains.extend(n.website.clone());
                dms.extend(n.decision_makers().map(|p| Value::from(p.display())));
                managers.extend(n.manager.clone());
                last = last.max(n.last_activity);
            }
            EntitySummary {
                name: name.into(),
                legal_form: legal_form.into(),
                cards: cs.into_boxed_slice(),
                lists: Lists::new(lists),
                last_activity: last,
            }
        })
        .collect();
    let mut ents_of: Vec<Vec<u32>> = vec![Vec::new(); n_firms];
    for (e, &f) in firm_of_entity.iter().enumerate() {
        ents_of[f as usize].push(e as u32);
    }
    let firms: Vec<FirmSummary> = ents_of
        .into_par_iter()
        .map(|es| {
            let largest = es
                .iter()
                .copied()
                .min_by(|&a, &b| {
                    let (ea, eb) = (&entities[a as usize], &entities[b as usize]);
                    eb.cards.len().cmp(&ea.cards.len()).then(ea.cards[0].cmp(&eb.cards[0]))
                })
                .unwrap_or(0);
            let (mut cards, mut last_activity) = (0, None);
            for &e in &es {
                let en = &entities[e as usize];
                cards += en.cards.len();
                last_activity = last_activity.max(en.last_activity);
            }
            let lists = match es[..] {
                [e] => entities[e as usize].lists.clone(),
                _ => {
                    let mut lists = <[BTreeSet<Value>; LISTS]>::default();
                    for &e in &es {
                        for (i, l) in lists.iter_mut().enumerate().filter(|(i, _)| *i != OGRN) {
                            l.extend(entities[e as usize].lists.get(i).iter().cloned());
                        }
                    }
                    Lists::new(lists)
                }
            };
            FirmSummary {
                name: entities[largest as usize].name.clone(),
                entities: es.into_boxed_slice(),
                cards,
                lists,
                last_activity,
            }
        })
        .collect();
    (entities, firms)
}

/// Joins values for a CSV cell, at most `max` of them.
pub fn join_capped<S: std::borrow::Borrow<str>>(values: &[S], max: usize) -> String {
    if values.len() <= max {
        values.join("; ")
    } else {
        format!("{}; … (+{} more)", values[..max].join("; "), values.len() - max)
    }
}
