//! The files `firmdedup dedup` writes: cards.csv, entities.csv, firms.csv, links.csv, summary.json and, when rows
//! were rejected, rejects.csv.

use std::path::Path;

use serde_json::json;

use crate::config::Config;
use crate::csvio::{CsvOut, write_text};
use crate::groups::join_capped;
use crate::ingest::delimiter_name;
use crate::matching::keys::{KeyKind, for_each_key, key_hash};
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

/// Columns of cards.csv (and of the state's `cards` table, where `id` is `card_id`).
pub const CARD_COLUMNS: [&str; 19] = [
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
];

/// One card as firmdedup writes it: the cells of cards.csv and the row of the state's `cards` table, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRecord {
    /// The CRM's card id.
    pub id: String,
    /// Its legal entity's id.
    pub entity_id: String,
    /// Its firm's id.
    pub firm_id: String,
    /// The name as typed.
    pub name: String,
    /// The legal form read from the name.
    pub legal_form: String,
    /// The name without its legal form, normalised.
    pub name_norm: String,
    /// The compact transliteration key of the name.
    pub name_key: String,
    /// The valid ИНН, if any.
    pub inn: String,
    /// An ИНН as typed that failed its checks.
    pub inn_invalid: String,
    /// The КПП.
    pub kpp: String,
    /// The ОГРН / ОГРНИП.
    pub ogrn: String,
    /// Phones, `; `-separated.
    pub phones: String,
    /// E-mail addresses, `; `-separated.
    pub emails: String,
    /// Corporate domains and the website, `; `-separated.
    pub domains: String,
    /// Decision-makers, `; `-separated.
    pub contacts: String,
    /// The brand.
    pub brand: String,
    /// Addresses, ` | `-separated.
    pub address: String,
    /// The manager holding the card.
    pub manager: String,
    /// The last activity date, `YYYY-MM-DD`.
    pub last_activity: String,
}

/// Card `i` as written.
pub fn card_record(d: &Dedup, ids: &Ids, i: usize) -> CardRecord {
    let (c, n) = (&d.cards[i], &d.norm[i]);
    let e = d.grouping.entity_of_card[i] as usize;
    let f = d.grouping.firm_of_entity[e] as usize;
    let mut domains: Vec<&str> = n.corporate_domains();
    if let Some(w) = &n.website
        && !domains.contains(&w.as_str())
    {
        domains.push(w);
    }
    CardRecord {
        id: c.id.to_string(),
        entity_id: ids.entity[e].clone(),
        firm_id: ids.firm[f].clone(),
        name: c.name.clone(),
        legal_form: n.name.legal_form.as_deref().unwrap_or_default().to_string(),
        name_norm: n.name.core(),
        name_key: n.name.compact(),
        inn: n.ids.inn().unwrap_or_default().to_string(),
        inn_invalid: n.ids.inn_invalid().unwrap_or_default().to_string(),
        kpp: n.ids.kpp().unwrap_or_default().to_string(),
        ogrn: n.ids.ogrn().unwrap_or_default().to_string(),
        phones: n.phones.iter().map(|p| p.display()).collect::<Vec<_>>().join("; "),
        emails: n.emails.iter().map(|e| e.address.as_str()).collect::<Vec<_>>().join("; "),
        domains: domains.join("; "),
        contacts: n.contacts.iter().map(|p| p.display()).collect::<Vec<_>>().join("; "),
        brand: n.brand.as_ref().map(|b| b.display_core.to_string()).unwrap_or_default(),
        address: n.addresses.iter().map(|a| a.normalized()).collect::<Vec<_>>().join(" | "),
        manager: n.manager.as_deref().unwrap_or_default().to_string(),
        last_activity: n.last_activity.map(|d| d.to_string()).unwrap_or_default(),
    }
}

/// The cells of card `i`, in [`CARD_COLUMNS`] order.
pub fn card_row(d: &Dedup, ids: &Ids, i: usize, row: &mut Vec<String>) {
    let r = card_record(d, ids, i);
    row.extend([
        r.id,
        r.entity_id,
        r.firm_id,
        r.name,
        r.legal_form,
        r.name_norm,
        r.name_key,
        r.inn,
        r.inn_invalid,
        r.kpp,
        r.ogrn,
        r.phones,
        r.emails,
        r.domains,
        r.contacts,
        r.brand,
        r.address,
        r.manager,
        r.last_activity,
    ]);
}

/// Writes cards.csv.
pub fn write_cards(dir: &Path, d: &Dedup, ids: &Ids) -> std::io::Result<()> {
    let mut w = CsvOut::create(&dir.join("cards.csv"), &CARD_COLUMNS)?;
    w.par_rows(d.cards.len(), |i, row| card_row(d, ids, i, row))?;
    w.finish()?;
    Ok(())
}

/// Columns of entities.csv.
pub const ENTITY_COLUMNS: [&str; 14] = [
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
];

/// The cells of legal entity `i`, in [`ENTITY_COLUMNS`] order.
pub fn entity_row(d: &Dedup, ids: &Ids, i: usize, row: &mut Vec<String>) {
    let e = &d.entities[i];
    let f = d.grouping.firm_of_entity[i] as usize;
    row.extend([
        ids.entity[i].clone(),
        ids.firm[f].clone(),
        e.name.to_string(),
        e.legal_form.to_string(),
        join_capped(e.inns(), MAX_LIST),
        join_capped(e.kpps(), MAX_LIST),
        join_capped(e.ogrns(), MAX_LIST),
        join_capped(e.brands(), MAX_LIST),
        join_capped(e.phones(), MAX_LIST),
        join_capped(e.domains(), MAX_LIST),
        join_capped(e.decision_makers(), MAX_LIST),
        e.cards.len().to_string(),
        join_capped(e.managers(), MAX_LIST),
        e.last_activity.map(|d| d.to_string()).unwrap_or_default(),
    ]);
}

/// Writes entities.csv.
pub fn write_entities(dir: &Path, d: &Dedup, ids: &Ids) -> std::io::Result<()> {
    let mut w = CsvOut::create(&dir.join("entities.csv"), &ENTITY_COLUMNS)?;
    w.par_rows(d.entities.len(), |i, row| entity_row(d, ids, i, row))?;
    w.finish()?;
    Ok(())
}

/// Extra columns of firms.csv (ownership), given per firm.
pub trait FirmColumns: Sync {
    /// Header names.
    fn header(&self) -> Vec<&'static str>;
    /// Values for firm `i`.
    fn values(&self, i: usize) -> Vec<String>;
}

/// Columns of firms.csv, before the extra (ownership) columns.
pub const FIRM_COLUMNS: [&str; 13] = [
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

/// The cells of firm `i`, in [`FIRM_COLUMNS`] order.
pub fn firm_row(d: &Dedup, ids: &Ids, i: usize, row: &mut Vec<String>) {
    let f = &d.firms[i];
    let names: Vec<String> = f.entities.iter().map(|&e| d.entities[e as usize].name.to_string()).collect();
    row.extend([
        ids.firm[i].clone(),
        f.name.to_string(),
        f.entities.len().to_string(),
        join_capped(&names, MAX_LIST),
        join_capped(f.inns(), MAX_LIST),
        join_capped(f.kpps(), MAX_LIST),
        join_capped(f.brands(), MAX_LIST),
        join_capped(f.phones(), MAX_LIST),
        join_capped(f.domains(), MAX_LIST),
        join_capped(f.decision_makers(), MAX_LIST),
        f.cards.to_string(),
        join_capped(f.managers(), MAX_LIST),
        f.last_activity.map(|d| d.to_string()).unwrap_or_default(),
    ]);
}

/// Writes firms.csv.
pub fn write_firms(dir: &Path, d: &Dedup, ids: &Ids, extra: &dyn FirmColumns) -> std::io::Result<()> {
    let mut header = FIRM_COLUMNS.to_vec();
    header.extend(extra.header());
    let mut w = CsvOut::create(&dir.join("firms.csv"), &header)?;
    w.par_rows(d.firms.len(), |i, row| {
        firm_row(d, ids, i, row);
        row.extend(extra.values(i));
    })?;
    w.finish()?;
    Ok(())
}

/// Writes links.csv.
pub fn write_links(dir: &Path, d: &Dedup) -> std::io::Result<()> {
    let mut w = CsvOut::create(&dir.join("links.csv"), &["level", "card_a", "card_b", "score", "signals", "evidence"])?;
    let links = &d.grouping.links;
    w.par_rows(links.len(), |i, row| {
        let l = &links[i];
        row.extend([
            l.level.to_string(),
            d.cards[l.a as usize].id.to_string(),
            d.cards[l.b as usize].id.to_string(),
            format!("{:.2}", l.score),
            l.signals.join("+"),
            l.evidence.en(),
        ]);
    })?;
    w.finish()?;
    Ok(())
}

/// The texts of some keys, each from the first card (in card order) that carries it.
fn key_texts(d: &Dedup, hashes: &[u64]) -> rustc_hash::FxHashMap<u64, String> {
    let wanted: rustc_hash::FxHashSet<u64> = hashes.iter().copied().collect();
    let mut found: rustc_hash::FxHashMap<u64, String> = rustc_hash::FxHashMap::default();
    let p = &d.grouping.prepared;
    for i in 0..d.norm.len() {
        if found.len() == wanted.len() {
            break;
        }
        if p.keys_of_card(i).iter().any(|h| wanted.contains(h) && !found.contains_key(h)) {
            for_each_key(&d.norm[i], |k, t| {
                let h = key_hash(k, t);
                if wanted.contains(&h) {
                    found.entry(h).or_insert_with(|| t.to_string());
                }
            });
        }
    }
    found
}

/// The summary as JSON.
pub fn summary_json(d: &Dedup, cfg: &Config, threads: usize, extra: serde_json::Value) -> serde_json::Value {
    let g = &d.grouping;
    let multi_card = d.firms.iter().filter(|f| f.cards > 1).count();
    let multi_entity = d.firms.iter().filter(|f| f.entities.len() > 1).count();
    let shown: Vec<(KeyKind, u64, u32)> = g.prepared.generic.iter().take(50).copied().collect();
    let texts = key_texts(d, &shown.iter().map(|x| x.1).collect::<Vec<_>>());
    let top: Vec<serde_json::Value> = shown
        .iter()
        .map(|&(k, h, n)| json!({"kind": k.name(), "value": texts.get(&h).cloned().unwrap_or_default(), "legal_entities": n}))
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
