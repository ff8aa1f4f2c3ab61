//! Field quality of an export: per canonical field, how many values are present, valid and invalid, so that an
//! administrator sees the state of the base before deduplicating.

use rayon::prelude::*;
use serde::Serialize;

use crate::card::{Card, Field};
use crate::normalize::PhoneKind;

/// Counts for one field.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FieldQuality {
    /// The field.
    pub field: &'static str,
    /// Cards with a value.
    pub present: u64,
    /// Values that normalised to something usable.
    pub valid: u64,
    /// Values that did not.
    pub invalid: u64,
    /// Notes: what "invalid" means here, and repairs made.
    pub notes: Vec<(String, u64)>,
}

#[derive(Default, Clone)]
struct Acc {
    f: [FieldQuality; 13],
    notes: Vec<(usize, &'static str, u64)>,
    managers: std::collections::BTreeSet<String>,
}

impl Acc {
    fn note(&mut self, field: usize, what: &'static str) {
        if let Some(n) = self.notes.iter_mut().find(|(f, w, _)| *f == field && *w == what) {
            n.2 += 1;
        } else {
            self.notes.push((field, what, 1));
        }
    }

    fn merge(mut self, other: Acc) -> Acc {
        for (a, b) in self.f.iter_mut().zip(other.f) {
            a.present += b.present;
            a.valid += b.valid;
            a.invalid += b.invalid;
        }
        for (f, w, n) in other.notes {
            if let Some(x) = self.notes.iter_mut().find(|(ff, ww, _)| *ff == f && *ww == w) {
                x.2 += n;
            } else {
                self.notes.push((f, w, n));
            }
        }
        self.managers.extend(other.managers);
        self
    }
}

fn idx(f: Field) -> usize {
    Field::ALL.iter().position(|x| *x == f).unwrap_or(0)
}

fn count(acc: &mut Acc, f: Field, present: bool, valid: u64, invalid: u64) {
    let q = &mut acc.f[idx(f)];
    if present {
        q.present += 1;
    }
    q.valid += valid;
    q.invalid += invalid;
}

/// Computes field quality over cards, normalising each one on the way (nothing is kept).
pub fn field_quality(cards: &[Card], dict: &crate::dict::Dictionaries) -> (Vec<FieldQuality>, usize) {
    let acc = cards
        .par_iter()
        .fold(Acc::default, |mut acc, c| {
            let n = &crate::normalize::normalize_card(c, dict);
            count(&mut acc, Field::Id, !c.id.is_empty(), 1, 0);
            let name_ok = !n.name.is_empty();
            count(
                &mut acc,
                Field::Name,
                !c.name.trim().is_empty(),
                name_ok as u64,
                (!c.name.trim().is_empty() && !name_ok) as u64,
            );
            if n.name.legal_form.is_some() {
                acc.note(idx(Field::Name), "with a legal form");
            }
            if n.name.person.is_some() {
                acc.note(idx(Field::Name), "a person's name (ИП)");
            }
            let inn_present = !c.inn.trim().is_empty();
            count(
                &mut acc,
                Field::Inn,
                inn_present,
                n.ids.inn().is_some() as u64,
                n.ids.inn_invalid().is_some() as u64,
            );
            if n.ids.inn_invalid().is_some() {
                acc.note(idx(Field::Inn), "invalid: checksum or form");
            }
            for note in n.ids.notes() {
                acc.note(idx(Field::Inn), note.describe());
            }
            count(
                &mut acc,
                Field::Kpp,
                !c.kpp.trim().is_empty(),
                n.ids.kpp().is_some() as u64,
                n.ids.kpp_invalid().is_some() as u64,
            );
            count(
                &mut acc,
                Field::Ogrn,
                !c.ogrn.trim().is_empty(),
                n.ids.ogrn().is_some() as u64,
                n.ids.ogrn_invalid().is_some() as u64,
            );
            count(&mut acc, Field::Brand, !c.brand.trim().is_empty(), n.brand.is_some() as u64, 0);
            let houses = n.addresses.iter().filter(|a| a.house_key().is_some()).count() as u64;
            count(&mut acc, Field::Address, !c.address.is_empty(), houses, n.addresses.len() as u64 - houses);
            if !n.addresses.is_empty() && houses < n.addresses.len() as u64 {
                acc.note(idx(Field::Address), "invalid: no street and house found");
            }
            count(
                &mut acc,
                Field::Phones,
                !c.phones.is_empty(),
                n.phones.len() as u64,
                n.invalid.as_ref().map_or(0, |i| i.phones.len()) as u64,
            );
            for p in &n.phones {
                acc.note(
                    idx(Field::Phones),
                    match p.kind {
                        PhoneKind::Mobile => "mobile",
                        PhoneKind::Geographic => "city",
                        PhoneKind::TollFree => "8-800",
                        PhoneKind::Local => "local, no area code",
                        PhoneKind::Foreign => "foreign",
                    },
                );
                if p.ext.is_some() {
                    acc.note(idx(Field::Phones), "with extension");
                }
            }
            count(
                &mut acc,
                Field::Emails,
                !c.emails.is_empty(),
                n.emails.len() as u64,
                n.invalid.as_ref().map_or(0, |i| i.emails.len()) as u64,
            );
            for e in &n.emails {
                acc.note(idx(Field::Emails), if e.public { "public mail service" } else { "corporate domain" });
            }
            count(
                &mut acc,
                Field::Website,
                !c.website.trim().is_empty(),
                n.website.is_some() as u64,
                n.invalid.as_ref().is_some_and(|i| i.website.is_some()) as u64,
            );
            count(
                &mut acc,
                Field::Contacts,
                !c.contacts.is_empty(),
                n.contacts.len() as u64,
                n.invalid.as_ref().map_or(0, |i| i.contacts.len()) as u64,
            );
            if n.contacts.iter().any(|p| p.position.is_some()) {
                acc.note(idx(Field::Contacts), "with a position");
            }
            count(&mut acc, Field::Manager, n.manager.is_some(), n.manager.is_some() as u64, 0);
            if let Some(m) = &n.manager {
                acc.managers.insert(m.to_string());
            } else {
                acc.note(idx(Field::Manager), "no manager: in the pool");
            }
            count(
                &mut acc,
                Field::LastActivity,
                !c.last_activity.trim().is_empty(),
                n.last_activity.is_some() as u64,
                n.invalid.as_ref().is_some_and(|i| i.last_activity.is_some()) as u64,
            );
            acc
        })
        .reduce(Acc::default, Acc::merge);
    let mut out: Vec<FieldQuality> = acc.f.to_vec();
    for (i, f) in Field::ALL.iter().enumerate() {
        out[i].field = f.name();
    }
    let mut notes = acc.notes;
    notes.sort();
    for (f, w, n) in notes {
        out[f].notes.push((w.to_string(), n));
    }
    (out, acc.managers.len())
}
