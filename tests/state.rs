//! Nightly runs with `--state`: stable ids, lineage, overrides, change report, and the safety of the state.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::workdir::{Workdir, bin, read_csv};

const HEADER: &str = "id,name,inn,phones,emails,manager\n";

fn inn10(prefix: &str) -> String {
    firmdedup::normalize::ids::inn10_with_check(prefix).expect("nine digits")
}

/// Cards: (id, name, inn, phones, emails).
fn export(rows: &[(&str, &str, String, &str, &str)]) -> String {
    let mut s = HEADER.to_string();
    for (id, name, inn, phones, emails) in rows {
        s.push_str(&format!("{id},\"{name}\",{inn},{phones},{emails},petrov\n"));
    }
    s
}

fn firms(wd: &Workdir, out: &str) -> BTreeMap<String, String> {
    read_csv(&wd.path(&format!("{out}/cards.csv")))
        .into_iter()
        .map(|r| (r["id"].clone(), r["firm_id"].clone()))
        .collect()
}

fn changes(wd: &Workdir, out: &str) -> Vec<BTreeMap<String, String>> {
    read_csv(&wd.path(&format!("{out}/changes.csv")))
}

fn dedup(wd: &Workdir, input: &str, out: &str) -> crate::workdir::Run {
    wd.run(&["dedup", input, "--state", "state.db", "--out", out, "-q"])
}

/// Five firms: A (2 cards), B (3 cards), C (1), D (2, held together by a phone), E (1).
fn base() -> Vec<(&'static str, &'static str, String, &'static str, &'static str)> {
    vec![
        ("1", "ООО Альтаир", inn10("770100001"), "+7 495 100-00-01", ""),
        ("2", "Альтаир", String::new(), "+7 495 100-00-01", ""),
        ("3", "ООО Бриз", inn10("770100002"), "+7 495 200-00-02", "info@briz.ru"),
        ("4", "Бриз", String::new(), "+7 495 200-00-02", ""),
        ("5", "ООО Бриз", inn10("770100002"), "", ""),
        ("6", "ООО Вега", inn10("770100003"), "+7 495 300-00-03", ""),
        ("7", "ООО Гамма", inn10("770100004"), "+7 495 400-00-04", ""),
        ("8", "ООО Гамма Трейд", inn10("770100005"), "+7 495 400-00-04", ""),
        ("9", "ООО Дельта", inn10("770100006"), "+7 495 500-00-05", ""),
    ]
}

#[test]
fn unchanged_rerun_keeps_every_id_and_reports_nothing() {
    let wd = Workdir::new();
    wd.write("v1.csv", export(&base()));
    dedup(&wd, "v1.csv", "o1").success();
    let run = dedup(&wd, "v1.csv", "o2").success();
    assert_eq!(firms(&wd, "o1"), firms(&wd, "o2"));
    assert!(changes(&wd, "o2").is_empty(), "no changes on an unchanged export");
    let summary: serde_json::Value = serde_json::from_str(&wd.read("o2/summary.json")).unwrap();
    assert_eq!(summary["run"]["changes"]["cards_moved"], 0);
    assert_eq!(summary["run"]["previous_run"], 1);
    let _ = run;
    // The same export with its rows in another order: still nothing.
    let mut rows = base();
    rows.reverse();
    wd.write("v1r.csv", export(&rows));
    dedup(&wd, "v1r.csv", "o3").success();
    assert_eq!(firms(&wd, "o1"), firms(&wd, "o3"));
    assert!(changes(&wd, "o3").is_empty());
}

#[test]
fn ids_follow_merges_splits_edits_and_removals() {
    let wd = Workdir::new();
    wd.write("v1.csv", export(&base()));
    dedup(&wd, "v1.csv", "o1").success();
    let before = firms(&wd, "o1");
    assert_eq!(before["7"], before["8"], "Гамма and Гамма Трейд share a phone: one firm");
    assert_ne!(before["1"], before["3"]);

    let mut v2 = base();
    // Merge: Альтаир (2 cards) now shares Бриз's email; Бриз (3 cards) is bigger and keeps its id.
    v2[1].4 = "info@briz.ru";
    // Split: Гамма Трейд no longer shares the phone; the split-off part is new.
    v2[7].3 = "+7 495 400-99-99";
    // Edit: Вега's name is typed differently, same ИНН.
    v2[5].1 = "Вега, ООО";
    // Removal: Дельта's only card is gone. Addition: a new client.
    v2.retain(|r| r.0 != "9");
    v2.push(("10", "ООО Омега", inn10("770100007"), "+7 495 600-00-06", ""));
    wd.write("v2.csv", export(&v2));
    dedup(&wd, "v2.csv", "o2").success();
    let after = firms(&wd, "o2");
    let ch = changes(&wd, "o2");
    let kinds: Vec<&str> = ch.iter().map(|c| c["change"].as_str()).collect();

    // The merge.
    assert_eq!(after["1"], before["3"], "the merged firm carries Бриз's id");
    assert_eq!(after["3"], before["3"]);
    let merged = ch.iter().find(|c| c["change"] == "firms_merged").expect("a merge is reported");
    assert_eq!(merged["firm_id"], before["3"]);
    assert_eq!(merged["other_id"], before["1"]);
    assert!(!merged["detail"].is_empty(), "the merge comes with its evidence");
    // The split: the larger part keeps the id (one card each: the one whose first card comes first).
    assert_eq!(after["7"], before["7"]);
    assert_ne!(after["8"], before["8"]);
    assert!(kinds.contains(&"firm_split"), "{kinds:?}");
    // The edit changes nothing.
    assert_eq!(after["6"], before["6"]);
    // Removal and addition.
    assert!(ch.iter().any(|c| c["change"] == "firm_retired" && c["firm_id"] == before["9"]));
    assert!(ch.iter().any(|c| c["change"] == "card_removed" && c["card_id"] == "9"));
    assert!(ch.iter().any(|c| c["change"] == "card_added" && c["card_id"] == "10"));
    let created: Vec<&String> = ch.iter().filter(|c| c["change"] == "firm_created").map(|c| &c["firm_id"]).collect();
    assert!(created.contains(&&after["10"]) && created.contains(&&after["8"]), "{created:?}");
    // New ids are never old ones.
    assert!(!before.values().any(|f| *f == after["10"]));

    // The lineage: the old id of Альтаир resolves to the survivor.
    let conn = rusqlite::Connection::open(wd.path("state.db")).unwrap();
    let into: String = conn
        .query_row("SELECT into_id FROM lineage WHERE old_id = ?1 AND fate = 'merged'", [&before["1"]], |r| r.get(0))
        .unwrap();
    assert_eq!(into, before["3"]);
    let retired: String =
        conn.query_row("SELECT fate FROM lineage WHERE old_id = ?1", [&before["9"]], |r| r.get(0)).unwrap();
    assert_eq!(retired, "retired");
}

#[test]
fn overrides_are_honoured_and_conflicts_refused() {
    let wd = Workdir::new();
    wd.write("v1.csv", export(&base()));
    dedup(&wd, "v1.csv", "o1").success();
    let before = firms(&wd, "o1");
    // Split Гамма from Гамма Трейд; link Вега with Альтаир (by firm id).
    wd.run(&[
        "override",
        "split",
        "7",
        "8",
        "--reason",
        "different owners, checked by phone",
        "--by",
        "admin",
        "--state",
        "state.db",
    ])
    .success();
    let vega = before["6"].clone();
    let altair = before["1"].clone();
    wd.run(&["override", "link", &vega, &altair, "--reason", "one holding", "--by", "admin", "--state", "state.db"])
        .success();
    // A conflicting decision is refused.
    let err = wd.run(&["override", "link", "8", "7", "--reason", "x", "--state", "state.db"]).fails_with(3).stderr();
    assert!(err.contains("conflicts with decision #1"), "{err}");
    // No reason, no decision.
    wd.run(&["override", "link", "1", "2", "--reason", " ", "--state", "state.db"]).fails_with(1);

    dedup(&wd, "v1.csv", "o2").success();
    let after = firms(&wd, "o2");
    assert_ne!(after["7"], after["8"], "split holds although the phone is shared");
    assert_eq!(after["6"], after["1"], "link holds without evidence");

    // A batch import; a row contradicting an existing decision makes the whole file refused.
    wd.write("decisions.csv", "action;a;b;level;reason\nsplit;1;2;entity;ошибка ввода\nlink;7;8;firm;передумали\n");
    let err = wd.run(&["override", "import", "decisions.csv", "--state", "state.db"]).fails_with(3).stderr();
    assert!(err.contains("line 3") && err.contains("nothing imported"), "{err}");
    wd.write("decisions.csv", "action;a;b;level;reason\nsplit;1;2;entity;ошибка ввода\n");
    wd.run(&["override", "import", "decisions.csv", "--state", "state.db", "--by", "admin"]).success();
    let list = wd.run(&["override", "list", "--state", "state.db", "--json"]).success().stdout();
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);

    // Removing the link: the evidence decides again.
    wd.run(&["override", "remove", "2", "--state", "state.db", "--by", "admin"]).success();
    dedup(&wd, "v1.csv", "o3").success();
    let again = firms(&wd, "o3");
    assert_ne!(again["6"], again["1"]);
    let entities: BTreeMap<String, String> =
        read_csv(&wd.path("o3/cards.csv")).into_iter().map(|r| (r["id"].clone(), r["entity_id"].clone())).collect();
    assert_ne!(entities["1"], entities["2"], "the imported entity split holds");
}

fn spawn_paused(wd: &Workdir, input: &str, marker: &str) -> std::process::Child {
    Command::new(bin())
        .args(["dedup", input, "--state", "state.db", "--out", "paused", "-q"])
        .current_dir(wd.root())
        .env("FIRMDEDUP_TEST_PAUSE_BEFORE_COMMIT", wd.path(marker))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn")
}

fn wait_for(wd: &Workdir, marker: &str) {
    let t = Instant::now();
    while !wd.path(marker).exists() {
        assert!(t.elapsed() < Duration::from_secs(60), "the run never reached its commit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_run_killed_before_commit_leaves_the_old_state_and_a_second_run_is_refused() {
    let wd = Workdir::new();
    wd.write("v1.csv", export(&base()));
    dedup(&wd, "v1.csv", "o1").success();
    let before = firms(&wd, "o1");
    let mut v2 = base();
    v2.push(("10", "ООО Омега", inn10("770100007"), "+7 495 600-00-06", ""));
    wd.write("v2.csv", export(&v2));

    let mut child = spawn_paused(&wd, "v2.csv", "paused.marker");
    wait_for(&wd, "paused.marker");
    // While it holds the state, a second run refuses, and a reader still sees the old state.
    let err = dedup(&wd, "v1.csv", "o2").fails_with(3).stderr();
    assert!(err.contains("another firmdedup run is using this state"), "{err}");
    let conn = rusqlite::Connection::open(wd.path("state.db")).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM cards", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 9, "a reader sees the old state while the run writes");
    drop(conn);
    // kill -9 at the worst moment.
    child.kill().unwrap();
    child.wait().unwrap();

    let conn = rusqlite::Connection::open(wd.path("state.db")).unwrap();
    let runs: i64 = conn.query_row("SELECT count(*) FROM runs WHERE outcome = 'ok'", [], |r| r.get(0)).unwrap();
    assert_eq!(runs, 1, "the killed run left nothing behind");
    let n: i64 = conn.query_row("SELECT count(*) FROM cards", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 9);
    drop(conn);
    // The next run works and sees the previous state.
    dedup(&wd, "v2.csv", "o3").success();
    let after = firms(&wd, "o3");
    for (card, firm) in &before {
        assert_eq!(&after[card], firm, "card {card} keeps its firm id");
    }
    assert_eq!(changes(&wd, "o3").iter().filter(|c| c["change"] == "card_added").count(), 1);
}

#[test]
fn a_shrunken_export_is_refused_unless_allowed() {
    let wd = Workdir::new();
    wd.write("v1.csv", export(&base()));
    dedup(&wd, "v1.csv", "o1").success();
    let half: Vec<_> = base().into_iter().take(4).collect();
    wd.write("half.csv", export(&half));
    let err = dedup(&wd, "half.csv", "o2").fails_with(3).stderr();
    assert!(err.contains("fewer than the 9 of run 1") && err.contains("--allow-shrink"), "{err}");
    let conn = rusqlite::Connection::open(wd.path("state.db")).unwrap();
    let refused: String =
        conn.query_row("SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    assert_eq!(refused, "refused", "the refusal is in the run log");
    drop(conn);
    wd.run(&["dedup", "half.csv", "--state", "state.db", "--out", "o3", "-q", "--allow-shrink"]).success();
    // An export without an id column cannot keep ids.
    wd.write("noid.csv", "name,inn\nООО Альтаир,7701000010\n");
    let err = dedup(&wd, "noid.csv", "o4").fails_with(3).stderr();
    assert!(err.contains("no id column"), "{err}");
}

#[test]
fn foreign_or_corrupt_state_is_refused_and_left_untouched() {
    let wd = Workdir::new();
    wd.write("v1.csv", export(&base()));
    wd.write("state.db", "this is not a database, but someone's notes\n".repeat(100));
    let before = std::fs::read(wd.path("state.db")).unwrap();
    let err = dedup(&wd, "v1.csv", "o1").fails_with(3).stderr();
    assert!(err.contains("not a usable firmdedup state"), "{err}");
    assert_eq!(std::fs::read(wd.path("state.db")).unwrap(), before);

    let other = wd.path("other.db");
    let conn = rusqlite::Connection::open(&other).unwrap();
    conn.execute_batch("CREATE TABLE invoices(id INTEGER); INSERT INTO invoices VALUES (1);").unwrap();
    drop(conn);
    let before = std::fs::read(&other).unwrap();
    let err = wd.run(&["dedup", "v1.csv", "--state", "other.db", "--out", "o2", "-q"]).fails_with(3).stderr();
    assert!(err.contains("not a firmdedup state"), "{err}");
    assert_eq!(std::fs::read(&other).unwrap(), before);
}

/// Every row of the snapshot tables and the lineage (without its timestamp), sorted, table by table.
fn snapshot_rows(path: &std::path::Path) -> Vec<(String, Vec<String>)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables = [
        ("cards", "*"),
        ("entities", "*"),
        ("firms", "*"),
        ("keys", "*"),
        ("name_words", "*"),
        ("name_word_ends", "*"),
        ("departed", "*"),
        ("lineage", "old_id, fate, into_id, run_id"),
        ("counters", "*"),
    ];
    tables
        .iter()
        .map(|(t, cols)| {
            // A table an older version does not have: no rows.
            let Ok(mut st) = conn.prepare(&format!("SELECT {cols} FROM {t}")) else {
                return (t.to_string(), Vec::new());
            };
            let n = st.column_count();
            let mut rows: Vec<String> = st
                .query_map([], |r| {
                    let vals: Vec<String> = (0..n)
                        .map(|i| match r.get_ref(i).unwrap() {
                            rusqlite::types::ValueRef::Integer(x) => format!("i{x}"),
                            rusqlite::types::ValueRef::Text(x) => format!("t{}", String::from_utf8_lossy(x)),
                            rusqlite::types::ValueRef::Null => "null".into(),
                            other => format!("{other:?}"),
                        })
                        .collect();
                    Ok(vals.join("\u{1f}"))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort();
            (t.to_string(), rows)
        })
        .collect()
}

#[test]
fn a_run_that_writes_only_what_changed_leaves_the_state_a_full_rewrite_would() {
    let wd = Workdir::new();
    wd.run(&["synth", "--cards", "3000", "--seed", "11", "--out", "b", "--formats", "canonical"]).success();
    dedup(&wd, "b/crm.csv", "o1").success();
    // The next export: some cards gone, some renamed, some moved to another manager, some new.
    let text = wd.read("b/crm.csv");
    let mut lines = text.lines();
    let mut next = format!("{}\n", lines.next().unwrap());
    let body: Vec<&str> = lines.collect();
    for (i, l) in body.iter().enumerate() {
        match i % 37 {
            0 => continue,
            1 => next += &l.replacen(',', ",Новый ", 1),
            2 => next += &l.replace("manager0", "manager9"),
            _ => next += l,
        }
        next.push('\n');
    }
    for (i, l) in body.iter().take(60).enumerate() {
        let rest = l.split_once(',').unwrap().1;
        next += &format!("NEW{i},{rest}\n");
    }
    wd.write("next.csv", next);
    std::fs::copy(wd.path("state.db"), wd.path("rewrite.db")).unwrap();
    let first = snapshot_rows(&wd.path("state.db"));
    let diffed = dedup(&wd, "next.csv", "o2").success();
    wd.run_env(
        &["dedup", "next.csv", "--state", "rewrite.db", "--out", "o3", "-q"],
        &[("FIRMDEDUP_STATE_REWRITE", "1")],
    )
    .success();
    drop(diffed);
    let (a, b) = (snapshot_rows(&wd.path("state.db")), snapshot_rows(&wd.path("rewrite.db")));
    for ((t, ra), (_, rb)) in a.iter().zip(&b) {
        assert!(!ra.is_empty() || *t == "lineage" || *t == "departed", "{t} has rows");
        assert_eq!(ra.len(), rb.len(), "{t}: rows");
        assert!(ra == rb, "{t}: the diffed state differs from the rewritten one");
    }
    assert!(a.iter().any(|(t, r)| t == "departed" && !r.is_empty()), "the run removed cards");
    // The tables keyed by their whole row had rows removed and rows added, not only kept.
    for t in ["keys", "name_words"] {
        let (was, now) = (table(&first, t), table(&a, t));
        assert!(was.iter().any(|r| !now.contains(r)), "{t}: the run removed rows");
        assert!(now.iter().any(|r| !was.contains(r)), "{t}: the run added rows");
    }
    // And a second, unchanged run changes nothing.
    dedup(&wd, "next.csv", "o4").success();
    let c = snapshot_rows(&wd.path("state.db"));
    for ((t, ra), (_, rc)) in a.iter().zip(&c) {
        if *t != "lineage" {
            assert!(ra == rc, "{t}: an unchanged run changed the snapshot");
        }
    }
}

fn table<'a>(rows: &'a [(String, Vec<String>)], name: &str) -> &'a [String] {
    &rows.iter().find(|(t, _)| t == name).expect("a snapshot table").1
}

fn user_version(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

/// Turns a state of this version back into a version-3 one, as firmdedup wrote it before version 4: the key
/// index with the kinds' names and each row's firm, the cards with their normalised name and domains, the word
/// variants stored, no `key_kinds` nor `name_word_ends`.
fn downgrade_to_v3(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "BEGIN;
         CREATE TABLE keys_v3 (
             kind TEXT NOT NULL, value TEXT NOT NULL, firm_id TEXT NOT NULL, card_id TEXT NOT NULL,
             PRIMARY KEY (kind, value, firm_id, card_id)
         ) WITHOUT ROWID;
         INSERT INTO keys_v3 SELECT n.name, k.value, c.firm_id, k.card_id
             FROM keys k JOIN key_kinds n ON n.kind = k.kind JOIN cards c ON c.card_id = k.card_id;
         DROP TABLE keys;
         ALTER TABLE keys_v3 RENAME TO keys;
         CREATE TABLE cards_v3 (
             card_id TEXT PRIMARY KEY, entity_id TEXT NOT NULL, firm_id TEXT NOT NULL,
             name TEXT NOT NULL, legal_form TEXT NOT NULL, name_norm TEXT NOT NULL,
             inn TEXT NOT NULL, kpp TEXT NOT NULL, ogrn TEXT NOT NULL,
             phones TEXT NOT NULL, emails TEXT NOT NULL, domains TEXT NOT NULL, contacts TEXT NOT NULL,
             brand TEXT NOT NULL, address TEXT NOT NULL, manager TEXT NOT NULL, last_activity TEXT NOT NULL
         ) WITHOUT ROWID;
         INSERT INTO cards_v3 SELECT card_id, entity_id, firm_id, name, legal_form, lower(name), inn, kpp, ogrn,
             phones, emails, '', contacts, brand, address, manager, last_activity FROM cards;
         DROP TABLE cards;
         ALTER TABLE cards_v3 RENAME TO cards;
         CREATE INDEX cards_by_firm ON cards(firm_id);
         CREATE TABLE word_variants (variant TEXT NOT NULL, word TEXT NOT NULL, PRIMARY KEY (variant, word)) WITHOUT ROWID;
         DROP TABLE key_kinds;
         DROP TABLE name_word_ends;
         PRAGMA user_version = 3;
         COMMIT;",
    )
    .unwrap();
    let words: Vec<String> = conn
        .prepare("SELECT word FROM name_words")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let tx = conn.unchecked_transaction().unwrap();
    let mut st = tx.prepare("INSERT OR IGNORE INTO word_variants(variant, word) VALUES (?1, ?2)").unwrap();
    for w in &words {
        for v in firmdedup::state::snapshot::word_variants(w) {
            st.execute([&v, w]).unwrap();
        }
    }
    drop(st);
    tx.commit().unwrap();
}

/// Turns a state of this version back into a version-2 one, as firmdedup 2 wrote it: the key index and the word
/// variants as rowid tables (rows in another order than their key's) with their secondary index, and one row of
/// the key index twice.
fn downgrade_to_v2(path: &std::path::Path) {
    downgrade_to_v3(path);
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "BEGIN;
         CREATE TABLE keys_v2 (kind TEXT NOT NULL, value TEXT NOT NULL, firm_id TEXT NOT NULL, card_id TEXT NOT NULL);
         INSERT INTO keys_v2 SELECT kind, value, firm_id, card_id FROM keys ORDER BY firm_id DESC, value DESC;
         INSERT INTO keys_v2 SELECT kind, value, firm_id, card_id FROM keys WHERE kind = 'inn' LIMIT 1;
         DROP TABLE keys;
         ALTER TABLE keys_v2 RENAME TO keys;
         CREATE INDEX keys_by_value ON keys(kind, value);
         CREATE TABLE wv_v2 (variant TEXT NOT NULL, word TEXT NOT NULL);
         INSERT INTO wv_v2 SELECT variant, word FROM word_variants ORDER BY word DESC, variant DESC;
         DROP TABLE word_variants;
         ALTER TABLE wv_v2 RENAME TO word_variants;
         CREATE INDEX word_variants_by_variant ON word_variants(variant);
         CREATE INDEX cards_by_entity ON cards(entity_id);
         PRAGMA user_version = 2;
         COMMIT;",
    )
    .unwrap();
}

/// The look-up's JSON answers to questions about some cards of the base: by name, and by ИНН or phone.
fn answers(wd: &Workdir, state: &str, cards: &[BTreeMap<String, String>]) -> Vec<String> {
    let mut out = Vec::new();
    for c in cards.iter().step_by(cards.len() / 20).take(20) {
        let phone = c["phones"].split("; ").next().unwrap_or("").to_string();
        let value = if !c["inn"].is_empty() { ("--inn", c["inn"].clone()) } else { ("--phone", phone) };
        for (flag, v) in [("--name", c["name"].clone()), value] {
            if v.is_empty() {
                continue;
            }
            let args = ["check", "--state", state, "--json", "--today", "2026-11-01", flag, &v];
            out.push(format!("{flag} {v}: {}", wd.run(&args).success().stdout()));
        }
    }
    out
}

#[test]
fn a_version_2_state_is_migrated_with_its_key_index_intact_and_answers_the_same() {
    an_older_state_is_migrated_and_answers_the_same(2, downgrade_to_v2);
}

#[test]
fn a_version_3_state_is_migrated_with_its_key_index_intact_and_answers_the_same() {
    an_older_state_is_migrated_and_answers_the_same(3, downgrade_to_v3);
}

/// A state of an older version `from` (made from one of this version by `downgrade`): read as it is, migrated by
/// the next run with every row kept (the key index rows with their kinds and cards), smaller after it.
fn an_older_state_is_migrated_and_answers_the_same(from: i64, downgrade: fn(&std::path::Path)) {
    let wd = Workdir::new();
    wd.run(&["synth", "--cards", "3000", "--seed", "11", "--out", "b", "--formats", "canonical"]).success();
    dedup(&wd, "b/crm.csv", "o1").success();
    assert_eq!(user_version(&wd.path("state.db")), 4);
    let written = snapshot_rows(&wd.path("state.db"));
    downgrade(&wd.path("state.db"));
    assert_eq!(user_version(&wd.path("state.db")), from);
    let old = snapshot_rows(&wd.path("state.db"));
    let twice = usize::from(from == 2);
    assert_eq!(table(&old, "keys").len(), table(&written, "keys").len() + twice, "one key row twice in version 2");
    std::fs::copy(wd.path("state.db"), wd.path("old.db")).unwrap();

    // The look-up reads the version-2 state as it is (readers never migrate).
    let cards = read_csv(&wd.path("o1/cards.csv"));
    let before = answers(&wd, "state.db", &cards);
    assert_eq!(user_version(&wd.path("state.db")), from, "a reader leaves the version alone");
    let found = before.iter().filter(|a| a.starts_with("--inn") && a.contains("\"found\": true")).count();
    assert!(found >= 5, "questions by ИНН find their firm: {before:#?}");
    assert_eq!(answers(&wd, "state.db", &cards), before, "the same answers twice");

    // A run refused after the migration: the state is version 4, with every key row still there.
    let half = wd.read("b/crm.csv").lines().take(1000).collect::<Vec<_>>().join("\n") + "\n";
    wd.write("half.csv", half);
    let err = dedup(&wd, "half.csv", "o2").fails_with(3).stderr();
    assert!(err.contains("--allow-shrink"), "{err}");
    assert_eq!(user_version(&wd.path("state.db")), 4);
    let migrated = snapshot_rows(&wd.path("state.db"));
    assert!(migrated == written, "the migration keeps every row of the snapshot, a duplicate once");
    let conn = rusqlite::Connection::open(wd.path("state.db")).unwrap();
    let schema: Vec<String> = conn
        .prepare(
            "SELECT name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE tbl_name IN ('keys', 'word_variants')",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        schema.len() == 1
            && schema.iter().all(|s| s.contains("WITHOUT ROWID") && s.contains("PRIMARY KEY (kind, value, card_id)")),
        "the key index without its firm, the word variants dropped: {schema:?}"
    );
    let indexes: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cards' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexes, ["cards_by_firm"], "the index of cards by legal entity is dropped");
    drop(conn);
    assert_eq!(answers(&wd, "state.db", &cards), before, "the look-up answers as before the migration");

    // A run right after the migration (which dropped the stored digests of the last run's tables: the tables
    // themselves are compared) leaves the state a whole rewrite would, and the look-up answers the same.
    std::fs::copy(wd.path("old.db"), wd.path("rewrite.db")).unwrap();
    wd.run(&["dedup", "b/crm.csv", "--state", "old.db", "--out", "o3", "-q"]).success();
    wd.run_env(
        &["dedup", "b/crm.csv", "--state", "rewrite.db", "--out", "o4", "-q"],
        &[("FIRMDEDUP_STATE_REWRITE", "1")],
    )
    .success();
    assert_eq!(user_version(&wd.path("old.db")), 4);
    // The run after the migration compacted the file: the dropped tables' pages are given back.
    let free = |p: &str| -> i64 {
        let conn = rusqlite::Connection::open(wd.path(p)).unwrap();
        conn.query_row("PRAGMA freelist_count", [], |r| r.get(0)).unwrap()
    };
    let size = |p: &str| std::fs::metadata(wd.path(p)).unwrap().len();
    assert!(free("state.db") > 0, "migrated, not yet compacted (the run was refused)");
    assert_eq!(free("old.db"), 0);
    assert!(size("old.db") < size("state.db"), "{} < {}", size("old.db"), size("state.db"));
    let (a, b) = (snapshot_rows(&wd.path("old.db")), snapshot_rows(&wd.path("rewrite.db")));
    for ((t, ra), (_, rb)) in a.iter().zip(&b) {
        assert!(ra == rb, "{t}: the migrated and diffed state differs from the rewritten one");
        if t != "lineage" {
            assert!(*ra == table(&written, t), "{t}: the unchanged run after the migration changed the snapshot");
        }
    }
    assert_eq!(answers(&wd, "old.db", &cards), before, "the look-up answers as before the migration and the run");
}
