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

use crate::normalize::NormCard;

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
    pub inns: Vec<String>,
    /// КПП (branches).
    pub kpps: Vec<String>,
    /// ОГРН.
    pub ogrns: Vec<String>,
    /// Brands.
    pub brands: Vec<String>,
    /// Phones.
    pub phones: Vec<String>,
    /// Corporate domains and websites.
    pub domains: Vec<String>,
    /// Decision-makers (`Иванов И.И.`).
    pub decision_makers: Vec<String>,
    /// Managers holding its cards.
    pub managers: Vec<String>,
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
    pub inns: Vec<String>,
    /// КПП.
    pub kpps: Vec<String>,
    /// Brands.
    pub brands: Vec<String>,
    /// Phones.
    pub phones: Vec<String>,
    /// Domains and websites.
    pub domains: Vec<String>,
    /// Decision-makers.
    pub decision_makers: Vec<String>,
    /// Managers holding its cards.
    pub managers: Vec<String>,
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

fn set_into(s: BTreeSet<String>) -> Vec<String> {
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
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
            )>::default(
            );
            let mut last: Option<NaiveDate> = None;
            for &c in &cs {
                let n = &norm[c as usize];
                inns.extend(n.ids.inn.as_deref().map(str::to_string));
                kpps.extend(n.ids.kpp.as_deref().map(str::to_string));
                ogrns.extend(n.ids.ogrn.as_deref().map(str::to_string));
                brands.extend(n.brand.as_ref().map(|b| b.display_core.clone()));
                phones.extend(n.phones.iter().map(|p| p.number.to_string()));
                domains.extend(n.corporate_domains().into_iter().map(str::to_string));
                domains.extend(n.website.as_deref().map(str::to_string));
                dms.extend(n.decision_makers().map(|p| p.display()));
                managers.extend(n.manager.as_deref().map(str::to_string));
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
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
                BTreeSet<String>,
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
pub fn join_capped(values: &[String], max: usize) -> String {
    if values.len() <= max {
        values.join("; ")
    } else {
        format!("{}; … (+{} more)", values[..max].join("; "), values.len() - max)
    }
}
