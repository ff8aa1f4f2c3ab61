//! Writing a run into the state: the rebuilt tables (cards, legal entities, firms, the key index of the
//! managers' check) and the appended ones (lineage, counters, run log), in the caller's transaction.

use rayon::prelude::*;
use rusqlite::{Transaction, params};
use rustc_hash::FxHashMap;

use crate::matching::keys::{KeyKind, for_each_key};
use crate::ownership::FirmOwnership;
use crate::pipeline::Dedup;
use crate::report::dedup::{Ids, card_record};
use crate::state::ids::Fate;
use crate::state::{RunLog, SNAPSHOT_INDEXES, SNAPSHOT_SCHEMA};

/// Key kinds kept in the index the managers' check answers from.
pub fn indexed_kind(k: KeyKind) -> bool {
    !matches!(k, KeyKind::AddrOffice | KeyKind::AddrHouse)
}

/// Writes the run.
#[allow(clippy::too_many_arguments)]
pub fn write(
    tx: &Transaction,
    d: &Dedup,
    ids: &Ids,
    own: &[FirmOwnership],
    entity_fates: &[(String, Fate)],
    firm_fates: &[(String, Fate)],
    next_entity: u64,
    next_firm: u64,
    run: &RunLog,
) -> rusqlite::Result<i64> {
    tx.execute_batch(SNAPSHOT_SCHEMA)?;
    {
        let mut st = tx.prepare(
            "INSERT INTO cards(card_id, entity_id, firm_id, name, legal_form, name_norm, inn, kpp, ogrn, phones, emails, domains, contacts, brand, address, manager, last_activity) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
        )?;
        for i in 0..d.cards.len() {
            let r = card_record(d, ids, i);
            st.execute(params![
                r.id,
                r.entity_id,
                r.firm_id,
                r.name,
                r.legal_form,
                r.name_norm,
                r.inn,
                r.kpp,
                r.ogrn,
                r.phones,
                r.emails,
                r.domains,
                r.contacts,
                r.brand,
                r.address,
                r.manager,
                r.last_activity
            ])?;
        }
        // Legal entities and firms with every value (the CSV files cut long lists for people; the state does not).
        let list = |v: &[String]| v.join("; ");
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let mut st = tx.prepare(
            "INSERT INTO entities(entity_id, firm_id, name, legal_form, inns, kpps, ogrns, brands, cards, managers, last_activity) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
        )?;
        for (i, e) in d.entities.iter().enumerate() {
            st.execute(params![
                ids.entity[i],
                ids.firm[d.grouping.firm_of_entity[i] as usize],
                e.name,
                e.legal_form,
                list(&e.inns),
                list(&e.kpps),
                list(&e.ogrns),
                list(&e.brands),
                e.cards.len() as i64,
                list(&e.managers),
                date(e.last_activity)
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO firms(firm_id, name, legal_entities, entity_names, inns, kpps, brands, phones, domains, decision_makers, cards, managers, last_activity, owner, owner_last_activity, status, conflict) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
        )?;
        for (i, f) in d.firms.iter().enumerate() {
            let o = &own[i];
            let names: Vec<String> = f.entities.iter().map(|&e| d.entities[e as usize].name.clone()).collect();
            st.execute(params![
                ids.firm[i],
                f.name,
                f.entities.len() as i64,
                list(&names),
                list(&f.inns),
                list(&f.kpps),
                list(&f.brands),
                list(&f.phones),
                list(&f.domains),
                list(&f.decision_makers),
                f.cards as i64,
                list(&f.managers),
                date(f.last_activity),
                o.owner.as_deref().unwrap_or(""),
                date(o.owner_last_activity),
                o.status.as_str(),
                o.conflict
            ])?;
        }
    }
    write_keys(tx, d, ids)?;
    tx.execute_batch(SNAPSHOT_INDEXES)?;

    let run_id = run.insert(tx)?;
    let mut st =
        tx.prepare("INSERT OR REPLACE INTO lineage(old_id, fate, into_id, run_id, at) VALUES (?1,?2,?3,?4,?5)")?;
    for (old, fate) in entity_fates.iter().chain(firm_fates) {
        let (f, into) = match fate {
            Fate::MergedInto(x) => ("merged", Some(x.as_str())),
            Fate::Retired => ("retired", None),
        };
        st.execute(params![old, f, into, run_id, run.finished_at])?;
    }
    tx.execute("UPDATE counters SET next = ?1 WHERE kind = 'entity'", [next_entity as i64])?;
    tx.execute("UPDATE counters SET next = ?1 WHERE kind = 'firm'", [next_firm as i64])?;
    Ok(run_id)
}

/// The key index: every (kind, value) of a firm once, with the first card that carries it; and the words of
/// names with the number of firms using each.
fn write_keys(tx: &Transaction, d: &Dedup, ids: &Ids) -> rusqlite::Result<()> {
    let mut cards_of_firm: Vec<Vec<u32>> = vec![Vec::new(); d.firms.len()];
    for (i, &e) in d.grouping.entity_of_card.iter().enumerate() {
        cards_of_firm[d.grouping.firm_of_entity[e as usize] as usize].push(i as u32);
    }
    let mut st = tx.prepare("INSERT INTO keys(kind, value, firm_id, card_id) VALUES (?1,?2,?3,?4)")?;
    let mut words: FxHashMap<String, u32> = FxHashMap::default();
    for chunk in cards_of_firm.chunks(16_384).enumerate().collect::<Vec<_>>() {
        let (k, firms) = chunk;
        let rows: Vec<Vec<(KeyKind, String, u32)>> = firms
            .par_iter()
            .map(|cards| {
                let mut v: Vec<(KeyKind, String, u32)> = Vec::new();
                for &c in cards {
                    for_each_key(&d.norm[c as usize], |kind, t| {
                        if indexed_kind(kind) {
                            v.push((kind, t.to_string(), c));
                        }
                    });
                }
                // Once per firm, with the first card (cards are in canonical order).
                v.sort_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
                v.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
                v
            })
            .collect();
        for (j, keys) in rows.into_iter().enumerate() {
            let f = k * 16_384 + j;
            for (kind, value, card) in keys {
                if kind == KeyKind::NameToken {
                    *words.entry(value.clone()).or_default() += 1;
                }
                st.execute(params![kind.name(), value, ids.firm[f], d.cards[card as usize].id])?;
            }
        }
    }
    let mut st = tx.prepare("INSERT INTO name_words(word, firms) VALUES (?1, ?2)")?;
    let mut vt = tx.prepare("INSERT INTO word_variants(variant, word) VALUES (?1, ?2)")?;
    let mut words: Vec<(String, u32)> = words.into_iter().collect();
    words.sort();
    for (w, n) in &words {
        st.execute(params![w, n])?;
        // Typo-tolerant lookup: the word under itself and under each one-letter deletion (SymSpell, distance 1).
        for v in word_variants(w) {
            vt.execute(params![v, w])?;
        }
    }
    Ok(())
}

/// A word and its one-letter deletions (for words of four letters or more: one typo in a short word is found
/// too), deduplicated.
pub fn word_variants(w: &str) -> Vec<String> {
    let chars: Vec<char> = w.chars().collect();
    let mut out = vec![w.to_string()];
    if chars.len() >= 4 {
        for i in 0..chars.len() {
            let v: String = chars.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, c)| *c).collect();
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}
