//! Writing a run into the state: the rebuilt tables (cards, legal entities, firms, the key index of the
//! managers' check) and the appended ones (lineage, counters, run log), in the caller's transaction.

use compact_str::CompactString;
use rayon::prelude::*;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use xxhash_rust::xxh3::Xxh3;

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

/// Writes the run; returns its run id, and whether the snapshot was written whole (the first run, or
/// `FIRMDEDUP_STATE_REWRITE`) rather than diffed.
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
) -> rusqlite::Result<(i64, bool)> {
    // A state that holds no cards yet (the first run) is written whole, its indexes built after the rows; a state
    // with a snapshot gets only what changed.
    let mut tr = crate::timing::Laps::new();
    let had_cards: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM cards)", [], |r| r.get(0))?;
    let diff = had_cards && std::env::var_os("FIRMDEDUP_STATE_REWRITE").is_none();
    if !diff {
        tx.execute_batch(SNAPSHOT_SCHEMA)?;
    }
    let mut digests = Digests::read(tx, diff)?;
    // The tables' primary-key orders, each sorted once (the key index's rows follow the cards' and firms').
    let card_order = key_order(d.cards.len(), |i| &d.cards[i].id);
    let firm_order = key_order(d.firms.len(), |i| &ids.firm[i]);
    {
        digests.sync(tx, "cards", CARD_COLUMNS, true, &mut |put| {
            for &i in &card_order {
                let r = card_record(d, ids, i);
                put(&[
                    text(&r.id),
                    text(&r.entity_id),
                    text(&r.firm_id),
                    text(&r.name),
                    text(&r.legal_form),
                    text(&r.inn),
                    text(&r.kpp),
                    text(&r.ogrn),
                    text(&r.phones),
                    text(&r.emails),
                    text(&r.contacts),
                    text(&r.brand),
                    text(&r.address),
                    text(&r.manager),
                    text(&r.last_activity),
                ])?;
            }
            Ok(())
        })?;
        tr.lap("state: cards");
        // Legal entities and firms with every value (the CSV files cut long lists for people; the state does not).
        fn list<S: std::borrow::Borrow<str>>(v: &[S]) -> String {
            v.join("; ")
        }
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        digests.sync(tx, "entities", ENTITY_COLUMNS, true, &mut |put| {
            for i in key_order(d.entities.len(), |i| &ids.entity[i]) {
                let e = &d.entities[i];
                let (inns, kpps, ogrns, brands, managers, last) = (
                    list(e.inns()),
                    list(e.kpps()),
                    list(e.ogrns()),
                    list(e.brands()),
                    list(e.managers()),
                    date(e.last_activity),
                );
                put(&[
                    text(&ids.entity[i]),
                    text(&ids.firm[d.grouping.firm_of_entity[i] as usize]),
                    text(&e.name),
                    text(&e.legal_form),
                    text(&inns),
                    text(&kpps),
                    text(&ogrns),
                    text(&brands),
                    ValueRef::Integer(e.cards.len() as i64),
                    text(&managers),
                    text(&last),
                ])?;
            }
            Ok(())
        })?;
        let firm_columns: Vec<&str> =
            crate::report::dedup::FIRM_COLUMNS.iter().chain(FIRM_OWNERSHIP_COLUMNS).copied().collect();
        digests.sync(tx, "firms", &firm_columns, true, &mut |put| {
            for &i in &firm_order {
                let f = &d.firms[i];
                let o = &own[i];
                let names: Vec<&str> = f.entities.iter().map(|&e| &*d.entities[e as usize].name).collect();
                let lists = [
                    list(&names),
                    list(f.inns()),
                    list(f.kpps()),
                    list(f.brands()),
                    list(f.phones()),
                    list(f.domains()),
                    list(f.decision_makers()),
                    list(f.managers()),
                ];
                let (last, owner_last) = (date(f.last_activity), date(o.owner_last_activity));
                put(&[
                    text(&ids.firm[i]),
                    text(&f.name),
                    ValueRef::Integer(f.entities.len() as i64),
                    text(&lists[0]),
                    text(&lists[1]),
                    text(&lists[2]),
                    text(&lists[3]),
                    text(&lists[4]),
                    text(&lists[5]),
                    text(&lists[6]),
                    ValueRef::Integer(f.cards as i64),
                    text(&lists[7]),
                    text(&last),
                    text(o.owner.as_deref().unwrap_or("")),
                    text(&owner_last),
                    text(o.status.as_str()),
                    ValueRef::Integer(o.conflict as i64),
                ])?;
            }
            Ok(())
        })?;
        tr.lap("state: entities, firms");
    }
    write_keys(tx, d, &card_order, &mut digests)?;
    tr.lap("state: keys, words");
    if !diff {
        tx.execute_batch(SNAPSHOT_INDEXES)?;
    }

    let run_id = run.insert(tx)?;
    digests.write(tx, run_id)?;
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
    Ok((run_id, !diff))
}

/// Row numbers `0..n` in the order of their keys as SQLite compares text (bytewise): a table written in the order
/// of its primary key gets each row after the last, not on a random page of its b-tree (card ids are in natural
/// order, "9" before "10", which SQLite's is not). The order is the same in every run, so an unchanged table
/// digests alike (`Digests`).
fn key_order<'a>(n: usize, key: impl Fn(usize) -> &'a str + Sync) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.par_sort_unstable_by(|&a, &b| key(a).as_bytes().cmp(key(b).as_bytes()).then(a.cmp(&b)));
    order
}

/// The key index: every (kind, value) of a firm once, with the first card that carries it (the firm is the
/// card's); and the words of names with the number of firms using each.
/// `card_order`: the cards' row numbers in the order of their ids (see [`key_order`]).
fn write_keys(tx: &Transaction, d: &Dedup, card_order: &[usize], digests: &mut Digests) -> rusqlite::Result<()> {
    let mut cards_of_firm: Vec<Vec<u32>> = vec![Vec::new(); d.firms.len()];
    for (i, &e) in d.grouping.entity_of_card.iter().enumerate() {
        cards_of_firm[d.grouping.firm_of_entity[e as usize] as usize].push(i as u32);
    }
    let whole = !digests.diff;
    let mut words: FxHashMap<CompactString, u32> = FxHashMap::default();
    let count_words = |rows: &[KeyRow], words: &mut FxHashMap<CompactString, u32>| {
        for (kind, value, _) in rows {
            if *kind == KeyKind::NameToken {
                *words.entry(value.clone()).or_default() += 1;
            }
        }
    };
    let put_rows = |rows: &[KeyRow], put: &mut dyn FnMut(&[ValueRef]) -> rusqlite::Result<()>| {
        rows.iter().try_for_each(|(kind, value, card)| {
            put(&[ValueRef::Integer(kind.code()), text(value), text(&d.cards[*card as usize].id)])
        })
    };
    if whole {
        // Written whole, every row is made, then sorted into the table's key order (text compares bytewise, as
        // Rust's strings do: the cards by the rank of their ids).
        let mut rows: Vec<KeyRow> = cards_of_firm.par_iter().flat_map_iter(|cards| firm_key_rows(d, cards)).collect();
        let mut card_rank = vec![0u32; card_order.len()];
        for (i, &x) in card_order.iter().enumerate() {
            card_rank[x] = i as u32;
        }
        rows.par_sort_unstable_by(|a, b| {
            (a.0.code(), a.1.as_str(), card_rank[a.2 as usize]).cmp(&(
                b.0.code(),
                b.1.as_str(),
                card_rank[b.2 as usize],
            ))
        });
        count_words(&rows, &mut words);
        digests.sync(tx, "keys", KEY_COLUMNS, false, &mut |put| put_rows(&rows, put))?;
    } else {
        // Diffed, the rows come as they are made, a few thousand firms at a time (never all of them in memory).
        digests.sync(tx, "keys", KEY_COLUMNS, false, &mut |put| {
            words.clear();
            for firms in cards_of_firm.chunks(16_384) {
                let rows: Vec<KeyRow> = firms.par_iter().flat_map_iter(|cards| firm_key_rows(d, cards)).collect();
                count_words(&rows, &mut words);
                put_rows(&rows, put)?;
            }
            Ok(())
        })?;
    }
    drop(cards_of_firm);
    let mut words: Vec<(CompactString, u32)> = words.into_iter().collect();
    words.sort_unstable();
    digests.sync(tx, "name_words", &["word", "firms"], true, &mut |put| {
        for (w, n) in &words {
            put(&[text(w), ValueRef::Integer(*n as i64)])?;
        }
        Ok(())
    })?;
    // The typo-tolerant look-up: the words by their ends, each written backwards (`name_word_end`), so that a
    // word one letter longer than a variant ([`word_variants`]) is found by its beginning or by its end.
    let mut ends: Vec<String> = words.par_iter().map(|(w, _)| name_word_end(w)).collect();
    ends.par_sort_unstable();
    digests.sync(tx, "name_word_ends", &["rev"], false, &mut |put| ends.iter().try_for_each(|e| put(&[text(e)])))
}

/// A name word written backwards, as `name_word_ends` keeps it.
pub fn name_word_end(w: &str) -> String {
    w.chars().rev().collect()
}

/// The key index's columns (version 4): the kind's code, the value, the firm's first card carrying it.
const KEY_COLUMNS: &[&str] = &["kind", "value", "card_id"];

/// A row of the key index: kind, value, the firm's first card carrying it.
type KeyRow = (KeyKind, CompactString, u32);

/// The key index rows of one firm (its cards in canonical order): each (kind, value) once, with its first card.
fn firm_key_rows(d: &Dedup, cards: &[u32]) -> Vec<KeyRow> {
    let mut v: Vec<KeyRow> = Vec::new();
    for &c in cards {
        for_each_key(&d.norm[c as usize], |kind, t| {
            if indexed_kind(kind) {
                v.push((kind, CompactString::from(t), c));
            }
        });
    }
    v.sort_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
    v.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    v
}

/// A function that hands every row of a table, in a fixed order, to `put`.
type Rows<'a> = dyn FnMut(&mut dyn FnMut(&[ValueRef]) -> rusqlite::Result<()>) -> rusqlite::Result<()> + 'a;

/// The digest of each snapshot table's whole content as the last run wrote it (`meta.snapshot_digests`, with
/// that run's id): the sum of its rows' digests (mod 2¹²⁸), so the same rows digest alike in any order (a run
/// writing a table whole gives its rows in key order, a diffing run as they come). A table whose rows digest as they did is left alone without reading it; the digests count
/// only when no other run wrote the state since (an older version of firmdedup keeps none).
struct Digests {
    diff: bool,
    stored: FxHashMap<String, String>,
    new: Vec<(String, String)>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredDigests {
    run: i64,
    tables: std::collections::BTreeMap<String, String>,
}

impl Digests {
    fn read(tx: &Transaction, diff: bool) -> rusqlite::Result<Digests> {
        let mut stored = FxHashMap::default();
        if diff {
            let last: Option<i64> = tx.query_row("SELECT max(run_id) FROM runs", [], |r| r.get(0))?;
            let v: Option<String> =
                tx.query_row("SELECT value FROM meta WHERE key = 'snapshot_digests'", [], |r| r.get(0)).optional()?;
            if let Some(sd) = v.and_then(|v| serde_json::from_str::<StoredDigests>(&v).ok())
                && Some(sd.run) == last
            {
                stored = sd.tables.into_iter().collect();
            }
        }
        Ok(Digests { diff, stored, new: Vec::new() })
    }

    /// Brings `table` to the rows `rows` gives: skipped when they digest as the stored ones, else diffed (or,
    /// rewriting, inserted).
    fn sync(
        &mut self,
        tx: &Transaction,
        table: &str,
        cols: &[&str],
        keyed: bool,
        rows: &mut Rows,
    ) -> rusqlite::Result<()> {
        if let Some(old) = self.stored.get(table) {
            let mut sum = 0u128;
            rows(&mut |row| {
                sum = sum.wrapping_add(digest(row));
                Ok(())
            })?;
            let now = format!("{sum:032x}");
            if *old == now {
                self.new.push((table.to_string(), now));
                return Ok(());
            }
        }
        let mut sync = TableSync::open(tx, table, cols, keyed, self.diff)?;
        let mut sum = 0u128;
        rows(&mut |row| {
            sum = sum.wrapping_add(digest(row));
            sync.put(row)
        })?;
        sync.finish()?;
        self.new.push((table.to_string(), format!("{sum:032x}")));
        Ok(())
    }

    fn write(&self, tx: &Transaction, run: i64) -> rusqlite::Result<()> {
        let sd = StoredDigests { run, tables: self.new.iter().cloned().collect() };
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('snapshot_digests', ?1)",
            [serde_json::to_string(&sd).unwrap_or_default()],
        )?;
        Ok(())
    }
}

const CARD_COLUMNS: &[&str] = &[
    "card_id",
    "entity_id",
    "firm_id",
    "name",
    "legal_form",
    "inn",
    "kpp",
    "ogrn",
    "phones",
    "emails",
    "contacts",
    "brand",
    "address",
    "manager",
    "last_activity",
];
const ENTITY_COLUMNS: &[&str] = &[
    "entity_id",
    "firm_id",
    "name",
    "legal_form",
    "inns",
    "kpps",
    "ogrns",
    "brands",
    "cards",
    "managers",
    "last_activity",
];
/// The state's firm columns: those of firms.csv, then the holding.
const FIRM_OWNERSHIP_COLUMNS: &[&str] = &["owner", "owner_last_activity", "status", "conflict"];

fn text(s: &str) -> ValueRef<'_> {
    ValueRef::Text(s.as_bytes())
}

/// A row's digest: every value with its type and length, so two rows digest alike only when they are equal (up
/// to a 128-bit hash collision).
fn digest(row: &[ValueRef]) -> u128 {
    let mut h = Xxh3::new();
    for v in row {
        match *v {
            ValueRef::Null => h.update(&[0]),
            ValueRef::Integer(i) => {
                h.update(&[1]);
                h.update(&i.to_le_bytes());
            }
            ValueRef::Real(f) => {
                h.update(&[2]);
                h.update(&f.to_bits().to_le_bytes());
            }
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                h.update(&[if matches!(v, ValueRef::Text(_)) { 3 } else { 4 }]);
                h.update(&(t.len() as u64).to_le_bytes());
                h.update(t);
            }
        }
    }
    h.digest128()
}

/// Brings one snapshot table to the run's rows. Rewriting (`diff` false): every row inserted into the freshly
/// created table. Diffing: the table's rows are read once as digests; a row of the run that is already there is
/// left alone, a changed one replaced, a new one inserted, and the rows the run no longer has are deleted — an
/// unchanged nightly run writes almost nothing.
///
/// Every snapshot table is WITHOUT ROWID. A keyed table has its primary key in the first column: its old rows are
/// held as key → digest. The others (the key index, the word variants) are keyed by their whole row: a row is its
/// content, so their old rows are held only as sorted digests with a seen flag each (17 bytes a row, no text:
/// the key index has millions of rows), and the rows the run no longer has are found by a second pass over the
/// table and deleted by their column values.
struct TableSync<'t> {
    conn: &'t rusqlite::Connection,
    table: String,
    cols: Vec<String>,
    insert: rusqlite::Statement<'t>,
    delete: rusqlite::Statement<'t>,
    /// The first column is the primary key (else the whole row is, and a row is its content).
    keyed: bool,
    diff: bool,
    old_by_key: FxHashMap<Box<str>, u128>,
    /// The digests of the old rows of a table keyed by its whole row, sorted.
    old_rows: Vec<u128>,
    seen: Vec<bool>,
}

impl<'t> TableSync<'t> {
    fn open(tx: &'t Transaction, table: &str, cols: &[&str], keyed: bool, diff: bool) -> rusqlite::Result<Self> {
        let conn: &'t rusqlite::Connection = tx;
        let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
        let names = cols.join(", ");
        let values = marks.join(",");
        let insert = if keyed {
            conn.prepare(&format!("INSERT OR REPLACE INTO {table}({names}) VALUES ({values})"))?
        } else {
            // The whole row is the primary key, so a row the table already holds carries nothing new. The run
            // writes each row once (write_keys dedups per firm, word_variants per word), but should a duplicate
            // ever come, it is kept once — the same whether the table is rewritten or diffed — rather than
            // failing every nightly run from then on. DO NOTHING applies to the uniqueness of the key only
            // (unlike OR IGNORE, which would also drop a row breaking NOT NULL: a key lost would be a held firm
            // reported free); any other violation still fails the run, which rolls back whole. Written whole, the
            // rows come in key order (`write_keys`): each lands after the last, not on a random page of the
            // b-tree (several times slower at a million cards).
            conn.prepare(&format!("INSERT INTO {table}({names}) VALUES ({values}) ON CONFLICT DO NOTHING"))?
        };
        let delete = if keyed {
            conn.prepare(&format!("DELETE FROM {table} WHERE {} = ?1", cols[0]))?
        } else {
            let wheres: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
            conn.prepare(&format!("DELETE FROM {table} WHERE {}", wheres.join(" AND ")))?
        };
        let (mut old_by_key, mut old_rows) = (FxHashMap::default(), Vec::new());
        if diff {
            let mut st = conn.prepare(&format!("SELECT {names} FROM {table}"))?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let dg = row_digest(r, cols.len())?;
                if keyed {
                    let key = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
                    old_by_key.insert(key.into(), dg);
                } else {
                    old_rows.push(dg);
                }
            }
            old_rows.sort_unstable();
            old_rows.shrink_to_fit();
        }
        let seen = vec![false; old_rows.len()];
        Ok(TableSync {
            conn,
            table: table.to_string(),
            cols: cols.iter().map(|c| c.to_string()).collect(),
            insert,
            delete,
            keyed,
            diff,
            old_by_key,
            old_rows,
            seen,
        })
    }

    /// The first old row with this digest not matched yet.
    fn unseen(&self, dg: u128) -> Option<usize> {
        let at = self.old_rows.partition_point(|&x| x < dg);
        (at..self.old_rows.len()).take_while(|&i| self.old_rows[i] == dg).find(|&i| !self.seen[i])
    }

    /// One row of the run, its columns in the table's order.
    fn put(&mut self, row: &[ValueRef]) -> rusqlite::Result<()> {
        if self.diff {
            let dg = digest(row);
            if self.keyed {
                let key = row[0].as_str().map_err(rusqlite::Error::from)?;
                if self.old_by_key.remove(key) == Some(dg) {
                    return Ok(());
                }
            } else if let Some(i) = self.unseen(dg) {
                self.seen[i] = true;
                return Ok(());
            }
        }
        self.insert.execute(params_from_iter(row.iter().map(|v| ToSqlOutput::Borrowed(*v))))?;
        Ok(())
    }

    /// Deletes the rows the run no longer has.
    fn finish(mut self) -> rusqlite::Result<()> {
        if self.keyed {
            let mut gone: Vec<Box<str>> = self.old_by_key.drain().map(|(k, _)| k).collect();
            gone.sort_unstable();
            for k in gone {
                self.delete.execute([&*k])?;
            }
            return Ok(());
        }
        if !self.diff {
            return Ok(());
        }
        let mut left = self.seen.iter().filter(|s| !**s).count();
        if left == 0 {
            return Ok(());
        }
        // A second pass over the table finds the old rows the run did not put (the rows it inserted are not
        // among them: a row matching an unseen old one would have been marked, not inserted); only their values
        // are held, then deleted by the whole row, the key.
        let mut gone: Vec<Vec<rusqlite::types::Value>> = Vec::with_capacity(left.min(1 << 16));
        {
            let mut st = self.conn.prepare(&format!("SELECT {} FROM {}", self.cols.join(", "), self.table))?;
            let mut rows = st.query([])?;
            while left > 0
                && let Some(r) = rows.next()?
            {
                if let Some(i) = self.unseen(row_digest(r, self.cols.len())?) {
                    self.seen[i] = true;
                    left -= 1;
                    gone.push((0..self.cols.len()).map(|c| r.get(c)).collect::<Result<_, _>>()?);
                }
            }
        }
        for row in gone {
            self.delete.execute(params_from_iter(row.iter()))?;
        }
        Ok(())
    }
}

/// The digest of a row read from a table ([`digest`] of its `n` columns).
fn row_digest(r: &rusqlite::Row, n: usize) -> rusqlite::Result<u128> {
    let mut vals: SmallVec<[ValueRef; 17]> = SmallVec::new();
    for i in 0..n {
        vals.push(r.get_ref(i)?);
    }
    Ok(digest(&vals))
}

/// Whether `variant` is among [`word_variants`] of `word` (without making them): the word itself, or, for a word
/// of four letters or more, the word with one letter deleted.
pub fn is_variant_of(variant: &str, word: &str) -> bool {
    if variant == word {
        return true;
    }
    let (nv, nw) = (variant.chars().count(), word.chars().count());
    if nw < 4 || nv + 1 != nw {
        return false;
    }
    // The longest common prefix, then the rest of the variant must be the rest of the word less one letter.
    let prefix: usize = variant.chars().zip(word.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let skipped = word[prefix..].chars().next().map_or(0, char::len_utf8);
    variant[prefix..] == word[prefix + skipped..]
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn variants_of_a_word() {
        assert!(is_variant_of("ромашка", "ромашка"));
        assert!(is_variant_of("омашка", "ромашка"));
        assert!(is_variant_of("ромшка", "ромашка"));
        assert!(is_variant_of("ромашк", "ромашка"));
        assert!(!is_variant_of("рмашк", "ромашка"), "two letters deleted");
        assert!(!is_variant_of("вег", "вега") || word_variants("вега").contains(&"вег".to_string()));
        assert!(!is_variant_of("ве", "вег"), "a word of three letters has no deletions");
        assert!(!is_variant_of("ромашкаа", "ромашка"));
    }

    proptest! {
        #[test]
        fn is_variant_of_agrees_with_word_variants(w in "[аабвa]{0,7}", v in "[аабвa]{0,7}") {
            let all = word_variants(&w);
            prop_assert_eq!(is_variant_of(&v, &w), all.contains(&v));
            for x in &all {
                prop_assert!(is_variant_of(x, &w));
            }
        }
    }
}
