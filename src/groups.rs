//! Legal entities and firms as tables: canonical names, identifiers, contacts, managers — what `entities.csv`,
//! `firms.csv`, the state and the managers' check show.
//!
//! Canonical name of a legal entity: among the names its cards carry, the most frequent well-formed one (legal
//! form written, upper and lower case mixed), shown with its legal form restored (`ООО «Ромашка»`); when none is
//! well-formed, the most frequent; ties by alphabetical order. Canonical name of a firm: that of its largest
//! legal entity (most cards; ties: the entity whose first card comes first).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rayon::prelude::*;

use compact_str::{CompactString, ToCompactString};

use crate::normalize::NormCard;

/// One value of a summary (an ИНН, a phone, a domain, a person …): most fit inline, without an allocation of
/// their own — a million-card base has millions of them.
pub type Value = CompactString;

/// A legal entity as a row.
#[derive(Debug, Clone, Default)]
pub struct EntitySummary {
    /// Canonical name.
    pub name: String,
    /// Legal form code, when written.
    pub legal_form: String,
    /// Card indices, ascending.
    pub cards: Vec<u32>,
    /// Valid ИНН.
    pub inns: Vec<Value>,
    /// КПП (branches).
    pub kpps: Vec<Value>,
    /// ОГРН.
    pub ogrns: Vec<Value>,
    /// Brands.
    pub brands: Vec<Value>,
    /// Phones.
    pub phones: Vec<Value>,
    /// Corporate domains and websites.
    pub domains: Vec<Value>,
    /// Decision-makers (`Иванов И.И.`).
    pub decision_makers: Vec<Value>,
    /// Managers holding its cards.
    pub managers: Vec<Value>,
    /// Latest activity on any card.
    pub last_activity: Option<NaiveDate>,
}

/// A firm as a row.
#[derive(Debug, Clone, Default)]
pub struct FirmSummary {
    /// Canonical name.
    pub name: String,
    /// Entity indices.
    pub entities: Vec<u32>,
    /// Number of cards.
    pub cards: usize,
    /// Union of the entities' values.
    pub inns: Vec<Value>,
    /// КПП.
    pub kpps: Vec<Value>,
    /// Brands.
    pub brands: Vec<Value>,
    /// Phones.
    pub phones: Vec<Value>,
    /// Domains and websites.
    pub domains: Vec<Value>,
    /// Decision-makers.
    pub decision_makers: Vec<Value>,
    /// Managers holding its cards.
    pub managers: Vec<Value>,
    /// Latest activity.
    pub last_activity: Option<NaiveDate>,
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

fn set_into(s: BTreeSet<Value>) -> Vec<Value> {
    s.into_iter().collect()
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
            let (mut inns, mut kpps, mut ogrns, mut brands, mut phones, mut domains, mut dms, mut managers) = <(
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
            )>::default(
            );
            let mut last: Option<NaiveDate> = None;
            for &c in &cs {
                let n = &norm[c as usize];
                inns.extend(n.ids.inn.clone());
                kpps.extend(n.ids.kpp.clone());
                ogrns.extend(n.ids.ogrn.clone());
                brands.extend(n.brand.as_ref().map(|b| b.display_core.to_compact_string()));
                phones.extend(n.phones.iter().map(|p| p.number.clone()));
                domains.extend(n.corporate_domains().into_iter().map(Value::from));
                domains.extend(n.website.clone());
                dms.extend(n.decision_makers().map(|p| Value::from(p.display())));
                managers.extend(n.manager.clone());
                last = last.max(n.last_activity);
            }
            EntitySummary {
                name,
                legal_form,
                cards: cs,
                inns: set_into(inns),
                kpps: set_into(kpps),
                ogrns: set_into(ogrns),
                brands: set_into(brands),
                phones: set_into(phones),
                domains: set_into(domains),
                decision_makers: set_into(dms),
                managers: set_into(managers),
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
            let mut f = FirmSummary { name: entities[largest as usize].name.clone(), ..FirmSummary::default() };
            let (mut inns, mut kpps, mut brands, mut phones, mut domains, mut dms, mut managers) = <(
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
                BTreeSet<Value>,
            )>::default(
            );
            for &e in &es {
                let en = &entities[e as usize];
                f.cards += en.cards.len();
                inns.extend(en.inns.iter().cloned());
                kpps.extend(en.kpps.iter().cloned());
                brands.extend(en.brands.iter().cloned());
                phones.extend(en.phones.iter().cloned());
                domains.extend(en.domains.iter().cloned());
                dms.extend(en.decision_makers.iter().cloned());
                managers.extend(en.managers.iter().cloned());
                f.last_activity = f.last_activity.max(en.last_activity);
            }
            f.entities = es;
            f.inns = set_into(inns);
            f.kpps = set_into(kpps);
            f.brands = set_into(brands);
            f.phones = set_into(phones);
            f.domains = set_into(domains);
            f.decision_makers = set_into(dms);
            f.managers = set_into(managers);
            f
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
