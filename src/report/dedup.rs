//! The files `firmdedup dedup` writes: cards.csv, entities.csv, firms.csv, links.csv, summary.json and, when rows
//! were rejected, rejects.csv.

use std::path::Path;

use serde_json::json;

use crate::block::{KeyKind, card_key_texts, key_hash};
use crate::config::Config;
use crate::csvio::{CsvOut, write_text};
use crate::groups::join_capped;
use crate::ingest::delimiter_name;
use crate::pipeline::Dedup;

/// Values listed per cell of entities.csv and firms.csv before "… (+N more)"; cards.csv is never cut.
pub const MAX_LIST: usize = 50;

/// Ids of entities and firms, by index.
pub struct Ids<'a> {
    /// Entity ids.
    pub entity: &'a [String],
    /// Firm ids.
    pub firm: &'a [String],
}

/// Batch ids: `E000001`, `F000001` ..., numbered in order of each group's first card (by card id).
pub fn batch_ids(prefix: char, n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{prefix}{i:06}")).collect()
}

/// Writes cards.csv.
pub fn write_cards(dir: &Path, d: &Dedup, ids: &Ids) -> std::io::Result<()> {
    let mut w = CsvOut::create(
        &dir.join("cards.csv"),
        &[
            "id",
            "entity_id",
            "firm_id",
            "name",
            "legal_form",
            "name_norm",
            "name_key",
            "inn",
            "inn_invalid",
            "kpp",
            "ogrn",
            "phones",
            "emails",
            "domains",
            "contacts",
            "brand",
            "address",
            "manager",
            "last_activity",
        ],
    )?;
    for (i, (c, n)) in d.cards.iter().zip(&d.norm).enumerate() {
        let e = d.grouping.entity_of_card[i] as usize;
        let f = d.grouping.firm_of_entity[e] as usize;
        let mut domains: Vec<String> = n.corporate_domains().into_iter().map(str::to_string).collect();
        if let Some(w) = &n.website
            && !domains.contains(w)
        {
            domains.push(w.clone());
        }
        w.row(&[
            c.id.as_str(),
            &ids.entity[e],
            &ids.firm[f],
            &c.name,
            n.name.legal_form.as_deref().unwrap_or(""),
            &n.name.core(),
            &n.name.compact(),
            n.ids.inn.as_deref().unwrap_or(""),
            n.ids.inn_invalid.as_deref().unwrap_or(""),
            n.ids.kpp.as_deref().unwrap_or(""),
            n.ids.ogrn.as_deref().unwrap_or(""),
            &n.phones.iter().map(|p| p.display()).collect::<Vec<_>>().join("; "),
            &n.emails.iter().map(|e| e.address.as_str()).collect::<Vec<_>>().join("; "),
            &domains.join("; "),
            &n.contacts.iter().map(|p| p.display()).collect::<Vec<_>>().join("; "),
            &n.brand.as_ref().map(|b| b.display_core.clone()).unwrap_or_default(),
            &n.addresses.iter().map(|a| a.normalized()).collect::<Vec<_>>().join(" | "),
            n.manager.as_deref().unwrap_or(""),
            &n.last_activity.map(|d| d.to_string()).unwrap_or_default(),
        ])?;
    }
    w.finish()?;
    Ok(())
}

/// Writes entities.csv.
pub fn write_entities(dir: &Path, d: &Dedup, ids: &Ids) -> std::io::Result<()> {
    let mut w = CsvOut::create(
        &dir.join("entities.csv"),
        &[
            "entity_id",
            "firm_id",
            "name",
            "legal_form",
            "inns",
            "kpps",
            "ogrns",
            "brands",
            "phones",
            "domains",
            "decision_makers",
            "cards",
            "managers",
            "last_activity",
        ],
    )?;
    for (i, e) in d.entities.iter().enumerate() {
        let f = d.grouping.firm_of_entity[i] as usize;
        w.row(&[
            ids.entity[i].as_str(),
            &ids.firm[f],
            &e.name,
            &e.legal_form,
            &join_capped(&e.inns, MAX_LIST),
            &join_capped(&e.kpps, MAX_LIST),
            &join_capped(&e.ogrns, MAX_LIST),
            &join_capped(&e.brands, MAX_LIST),
            &join_capped(&e.phones, MAX_LIST),
            &join_capped(&e.domains, MAX_LIST),
            &join_capped(&e.decision_makers, MAX_LIST),
            &e.cards.len().to_string(),
            &join_capped(&e.managers, MAX_LIST),
            &e.last_activity.map(|d| d.to_string()).unwrap_or_default(),
        ])?;
    }
    w.finish()?;
    Ok(())
}

/// Extra columns of firms.csv (ownership), given per firm.
pub trait FirmColumns {
    /// Header names.
    fn header(&self) -> Vec<&'static str>;
    /// Values for firm `i`.
    fn values(&self, i: usize) -> Vec<String>;
}

/// No extra columns.
pub struct NoColumns;

impl FirmColumns for NoColumns {
    fn header(&self) -> Vec<&'static str> {
        Vec::new()
    }
    fn values(&self, _: usize) -> Vec<String> {
        Vec::new()
    }
}

/// Writes firms.csv.
pub fn write_firms(dir: &Path, d: &Dedup, ids: &Ids, extra: &dyn FirmColumns) -> std::io::Result<()> {
    let mut header = vec![
        "firm_id",
        "name",
        "legal_entities",
        "entity_names",
        "inns",
        "kpps",
        "brands",
        "phones",
        "domains",
        "decision_makers",
        "cards",
        "managers",
        "last_activity",
    ];
    header.extend(extra.header());
    let mut w = CsvOut::create(&dir.join("firms.csv"), &header)?;
    for (i, f) in d.firms.iter().enumerate() {
        let names: Vec<String> = f.entities.iter().map(|&e| d.entities[e as usize].name.clone()).collect();
        let mut row = vec![
            ids.firm[i].clone(),
            f.name.clone(),
            f.entities.len().to_string(),
            join_capped(&names, MAX_LIST),
            join_capped(&f.inns, MAX_LIST),
            join_capped(&f.kpps, MAX_LIST),
            join_capped(&f.brands, MAX_LIST),
            join_capped(&f.phones, MAX_LIST),
            join_capped(&f.domains, MAX_LIST),
            join_capped(&f.decision_makers, MAX_LIST),
            f.cards.to_string(),
            join_capped(&f.managers, MAX_LIST),
            f.last_activity.map(|d| d.to_string()).unwrap_or_default(),
        ];
        row.extend(extra.values(i));
        w.row(&row)?;
    }
    w.finish()?;
    Ok(())
}

/// Writes links.csv.
pub fn write_links(dir: &Path, d: &Dedup) -> std::io::Result<()> {
    let mut w = CsvOut::create(&dir.join("links.csv"), &["level", "card_a", "card_b", "score", "signals", "evidence"])?;
    for l in &d.grouping.links {
        w.row(&[
            l.level,
            &d.cards[l.a as usize].id,
            &d.cards[l.b as usize].id,
            &format!("{:.2}", l.score),
            &l.signals.join("+"),
            &l.evidence,
        ])?;
    }
    w.finish()?;
    Ok(())
}

/// The text of a generic value, from a card that carries it.
fn generic_text(d: &Dedup, cfg: &Config, kind: KeyKind, hash: u64) -> String {
    let p = &d.grouping.prepared;
    for i in 0..d.norm.len() {
        if p.keys_of_card(i).binary_search(&hash).is_ok() {
            let mut buf = Vec::new();
            card_key_texts(&d.norm[i], cfg, &mut buf);
            if let Some((_, t)) = buf.iter().find(|(k, t)| *k == kind && key_hash(*k, t) == hash) {
                return t.clone();
            }
        }
    }
    String::new()
}

/// The summary as JSON.
pub fn summary_json(d: &Dedup, cfg: &Config, threads: usize, extra: serde_json::Value) -> serde_json::Value {
    let g = &d.grouping;
    let multi_card = d.firms.iter().filter(|f| f.cards > 1).count();
    let multi_entity = d.firms.iter().filter(|f| f.entities.len() > 1).count();
    let top: Vec<serde_json::Value> = g
        .prepared
        .generic
        .iter()
        .take(50)
        .map(|&(k, h, n)| json!({"kind": k.name(), "value": generic_text(d, cfg, k, h), "legal_entities": n}))
        .collect();
    let mut v = json!({
        "input": {
            "file": d.ingest.path.display().to_string(),
            "encoding": d.ingest.encoding.name(),
            "delimiter": delimiter_name(d.ingest.delimiter),
            "ids_from_lines": d.ingest.ids_from_lines,
        },
        "cards": {
            "read": d.ingest.rows_read,
            "accepted": d.cards.len(),
            "rejected": d.ingest.rejects.len(),
        },
        "legal_entities": g.n_entities,
        "firms": g.n_firms,
        "multi_card_firms": multi_card,
        "multi_entity_firms": multi_entity,
        "links_by_signal": g.stats.links_by_signal.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "generic_values": {
            "threshold_legal_entities": cfg.generic.max_entities,
            "count": g.prepared.generic.len(),
            "top": top,
        },
        "blocking": g.prepared.stats,
        "matching": g.stats,
        "threads": threads,
        "timing_ms": d.timing,
    });
    if let (Some(obj), serde_json::Value::Object(more)) = (v.as_object_mut(), extra) {
        obj.extend(more);
    }
    v
}

/// Writes summary.json.
pub fn write_summary(dir: &Path, summary: &serde_json::Value) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(summary).map_err(std::io::Error::other)?;
    write_text(&dir.join("summary.json"), &(text + "\n"))
}
