//! The head of sales' plan: reassign.csv applied to the export and run again is a fixed point under each
//! policy; reassign_import.csv is read back as the export's own format; manager_history over nightly runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::workdir::{Workdir, read_csv};

const TODAY: &str = "2026-11-01";

/// Reads a CSV export in its own format (UTF-8 or windows-1251, `,` or `;`): (header, rows, encoding, crlf).
fn read_export(path: &Path) -> (Vec<String>, Vec<Vec<String>>, &'static encoding_rs::Encoding, bool, u8) {
    let bytes = std::fs::read(path).unwrap();
    let (enc, text) = match std::str::from_utf8(&bytes) {
        Ok(s) => (encoding_rs::UTF_8, s.trim_start_matches('\u{feff}').to_string()),
        Err(_) => {
            (encoding_rs::WINDOWS_1251, encoding_rs::WINDOWS_1251.decode_without_bom_handling(&bytes).0.into_owned())
        }
    };
    let first = text.lines().next().unwrap_or("");
    let delim = if first.contains(';') { b';' } else { b',' };
    let crlf = text.contains("\r\n");
    let mut r =
        csv::ReaderBuilder::new().delimiter(delim).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    let header = rows.remove(0);
    (header, rows, enc, crlf, delim)
}

/// The test helper that applies a plan to an export: rewrites the manager column of every card the plan lists
/// (`id_col`/`manager_col`: the plan file's columns) and writes the export again in its own format.
fn apply_plan(export: &Path, plan: &Path, id_col: &str, manager_col: &str, out: &Path) -> usize {
    let (ph, prow, _, _, _) = read_export(plan);
    let (pi, pm) = (ph.iter().position(|h| h == id_col).unwrap(), ph.iter().position(|h| h == manager_col).unwrap());
    let new: BTreeMap<String, String> = prow.iter().map(|r| (r[pi].clone(), r[pm].clone())).collect();
    let (header, mut rows, enc, crlf, delim) = read_export(export);
    let id = header.iter().position(|h| h == "id" || h == "ID").unwrap();
    let manager = header.iter().position(|h| h == "manager" || h == "Ответственный").unwrap();
    let mut applied = 0;
    for r in &mut rows {
        if let Some(m) = new.get(&r[id]) {
            r[manager] = m.clone();
            applied += 1;
        }
    }
    assert_eq!(applied, new.len(), "every card of the plan is in the export");
    let mut w = csv::WriterBuilder::new()
        .delimiter(delim)
        .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(Vec::new());
    w.write_record(&header).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    std::fs::write(out, enc.encode(&text).0).unwrap();
    applied
}

fn dedup(wd: &Workdir, input: &str, out: &str, config: &str) {
    wd.write("c.toml", config);
    wd.run(&["dedup", input, "--out", out, "--config", "c.toml", "--today", TODAY, "-q"]).success();
}

fn card_grouping(wd: &Workdir, out: &str) -> Vec<(String, String, String)> {
    read_csv(&wd.path(&format!("{out}/cards.csv")))
        .into_iter()
        .map(|c| (c["id"].clone(), c["entity_id"].clone(), c["firm_id"].clone()))
        .collect()
}

/// Runs the plan once, applies it, runs again, and checks the fixed point. Returns the first plan's rows.
fn fixed_point(wd: &Workdir, config: &str, release_oldest: bool) -> Vec<BTreeMap<String, String>> {
    dedup(wd, "base/crm.csv", "o1", config);
    let plan = read_csv(&wd.path("o1/reassign.csv"));
    assert!(!plan.is_empty(), "the synthetic base has conflicts, so the plan cannot be empty");
    let applied = apply_plan(
        &wd.path("base/crm.csv"),
        &wd.path("o1/reassign.csv"),
        "card_id",
        "manager_new",
        &wd.path("applied.csv"),
    );
    assert_eq!(applied, plan.len());
    dedup(wd, "applied.csv", "o2", config);

    assert_eq!(card_grouping(wd, "o1"), card_grouping(wd, "o2"), "the grouping does not depend on managers");
    assert!(read_csv(&wd.path("o2/conflicts.csv")).is_empty(), "no conflicts once the plan is applied");
    assert!(read_csv(&wd.path("o2/reassign.csv")).is_empty(), "a second plan is empty");
    let firms2: BTreeMap<String, BTreeMap<String, String>> =
        read_csv(&wd.path("o2/firms.csv")).into_iter().map(|f| (f["firm_id"].clone(), f)).collect();
    let released: BTreeSet<&str> =
        plan.iter().filter(|r| r["manager_new"].is_empty()).map(|r| r["firm_id"].as_str()).collect();
    for f in &released {
        assert_eq!(firms2[*f]["status"], "pool", "released firm {f} is in the pool");
    }
    // Every firm held by one manager: its owner's name is the only one on its cards.
    for f in firms2.values() {
        assert_eq!(f["conflict"], "no");
        let want_pool_cards = if f["status"] == "pool" { f["cards"].as_str() } else { "0" };
        assert_eq!(f["pool_cards"], want_pool_cards, "firm {}", f["firm_id"]);
    }
    if release_oldest {
        for m in read_csv(&wd.path("o2/managers.csv")) {
            assert_eq!(m["over_limit"], "0", "{} is within the limit", m["manager"]);
        }
    }
    plan
}

fn synth_base(wd: &Workdir) {
    wd.run(&["synth", "--cards", "600", "--seed", "3", "--out", "base", "--today", TODAY, "-q"]).success();
}

fn reasons(plan: &[BTreeMap<String, String>], prefix: &str) -> usize {
    plan.iter().filter(|r| r["reason"].starts_with(prefix)).count()
}

#[test]
fn plan_is_a_fixed_point_under_each_policy() {
    let wd = Workdir::new();
    synth_base(&wd);

    // Default rules: only conflicts (and pool cards of held firms) move; nothing is released.
    let plan = fixed_point(&wd, "", false);
    assert_eq!(reasons(&plan, "фирма закреплена за"), plan.len());
    assert!(plan.iter().all(|r| !r["manager_new"].is_empty()));
    assert!(plan.iter().any(|r| r["reason"].ends_with("(политика most_recent)")));

    let plan = fixed_point(&wd, "[ownership]\nrelease_after_days = 365\n", false);
    let idle = reasons(&plan, "без активности ");
    assert!(idle > 0, "idle firms are released");
    assert!(plan.iter().filter(|r| r["reason"].starts_with("без активности ")).all(|r| r["manager_new"].is_empty()));

    let plan = fixed_point(&wd, "[ownership]\nlimit = 15\nover_limit = \"release_oldest\"\n", true);
    assert!(reasons(&plan, "сверх лимита 15: самая давняя активность") > 0);

    let plan = fixed_point(&wd, "[ownership]\nconflict_policy = \"most_cards\"\nactive_wins_after_days = 90\n", false);
    assert!(reasons(&plan, "активность manager") > 0, "the active manager wins some firms");
    assert!(reasons(&plan, "фирма закреплена за") > 0);

    let all = "[ownership]\nlimit = 15\nover_limit = \"release_oldest\"\nrelease_after_days = 365\n\
               conflict_policy = \"most_cards\"\nactive_wins_after_days = 90\n";
    let plan = fixed_point(&wd, all, true);
    for prefix in ["без активности ", "сверх лимита 15", "активность manager", "фирма закреплена за"]
    {
        assert!(reasons(&plan, prefix) > 0, "{prefix}");
    }
}

#[test]
fn import_file_round_trips_as_the_export_format() {
    use firmdedup::card::Field;
    let wd = Workdir::new();
    synth_base(&wd);
    let config = "[ownership]\nrelease_after_days = 365\n";
    dedup(&wd, "base/crm_bitrix_1251.csv", "o1", config);
    let import = wd.path("o1/reassign_import.csv");
    let back =
        firmdedup::ingest::read_cards(&import, &Default::default(), firmdedup::dict::Dictionaries::embedded()).unwrap();
    assert_eq!(back.encoding, firmdedup::ingest::Encoding::Windows1251);
    assert_eq!(back.delimiter, b';');
    assert!(back.crlf);
    assert_eq!(back.columns.headers, ["ID", "Ответственный"]);
    assert_eq!(back.columns.fields, [Some(Field::Id), Some(Field::Manager)]);
    assert!(back.rejects.is_empty());
    // The same changes as reassign.csv, card for card.
    let mut want: Vec<(String, String)> = read_csv(&wd.path("o1/reassign.csv"))
        .into_iter()
        .map(|r| (r["card_id"].clone(), r["manager_new"].clone()))
        .collect();
    let mut got: Vec<(String, String)> = back.cards.iter().map(|c| (c.id.clone(), c.manager.clone())).collect();
    want.sort();
    got.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    // Imported back into the export, it leaves nothing to do.
    apply_plan(&wd.path("base/crm_bitrix_1251.csv"), &import, "ID", "Ответственный", &wd.path("applied.csv"));
    dedup(&wd, "applied.csv", "o2", config);
    assert!(read_csv(&wd.path("o2/reassign.csv")).is_empty());
    assert!(read_csv(&wd.path("o2/conflicts.csv")).is_empty());
}

#[test]
fn manager_history_after_several_nightly_runs() {
    let wd = Workdir::new();
    synth_base(&wd);
    wd.write("c.toml", "[ownership]\nrelease_after_days = 365\n");
    let nightly = |input: &str, today: &str| {
        wd.run(&["dedup", input, "--state", "state.db", "--out", "out", "--config", "c.toml", "--today", today, "-q"])
            .success();
        read_csv(&wd.path("out/managers.csv"))
    };
    let m1 = nightly("base/crm.csv", "2026-11-01");
    assert!(m1.iter().all(|m| m["firms_held_vs_prev_run"].is_empty() && m["firms_held_vs_30d_ago"].is_empty()));
    apply_plan(
        &wd.path("base/crm.csv"),
        &wd.path("out/reassign.csv"),
        "card_id",
        "manager_new",
        &wd.path("applied.csv"),
    );
    let m2 = nightly("applied.csv", "2026-11-01");
    let m3 = nightly("applied.csv", "2026-12-05");
    let m4 = nightly("applied.csv", "2026-12-06");

    let held = |rows: &[BTreeMap<String, String>], m: &str| -> i64 {
        rows.iter().find(|r| r["manager"] == m).map_or(0, |r| r["firms_held"].parse().unwrap())
    };
    let stale = |rows: &[BTreeMap<String, String>], m: &str| -> i64 {
        rows.iter().find(|r| r["manager"] == m).map_or(0, |r| r["stale_firms"].parse().unwrap())
    };
    let signed = |d: i64| if d > 0 { format!("+{d}") } else { d.to_string() };
    let mut changed = 0;
    for r in &m2 {
        let m = r["manager"].as_str();
        assert_eq!(r["firms_held_vs_prev_run"], signed(held(&m2, m) - held(&m1, m)), "{m}");
        assert!(r["firms_held_vs_30d_ago"].is_empty(), "no run 30 days before the second");
        changed += usize::from(held(&m2, m) != held(&m1, m));
    }
    assert!(changed > 0, "the plan changed who holds what");
    for r in &m3 {
        let m = r["manager"].as_str();
        assert_eq!(r["firms_held_vs_prev_run"], signed(held(&m3, m) - held(&m2, m)));
        // 2026-12-05 minus 30 days is 2026-11-05: the last run on or before it is the second.
        assert_eq!(r["stale_vs_30d_ago"], signed(stale(&m3, m) - stale(&m2, m)));
    }
    for r in &m4 {
        let m = r["manager"].as_str();
        assert_eq!(r["stale_vs_prev_run"], signed(stale(&m4, m) - stale(&m3, m)));
        assert_eq!(r["stale_vs_30d_ago"], signed(stale(&m4, m) - stale(&m2, m)));
    }

    let conn = rusqlite::Connection::open(wd.path("state.db")).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, firmdedup::state::SCHEMA_VERSION);
    let hist = firmdedup::state::history::all(&conn).unwrap();
    let runs: BTreeSet<i64> = hist.iter().map(|h| h.0).collect();
    assert_eq!(runs.len(), 4);
    let dates: BTreeSet<&str> = hist.iter().map(|h| h.1.as_str()).collect();
    assert_eq!(dates, BTreeSet::from(["2026-11-01", "2026-12-05", "2026-12-06"]));
    let run1 = *runs.first().unwrap();
    for r in &m1 {
        let row = hist.iter().find(|h| h.0 == run1 && h.2 == r["manager"]).unwrap();
        assert_eq!(row.3.firms_held.to_string(), r["firms_held"]);
        assert_eq!(row.3.stale.to_string(), r["stale_firms"]);
    }
    let released: i64 =
        conn.query_row("SELECT sum(released) FROM manager_history WHERE run_id = ?1", [run1], |r| r.get(0)).unwrap();
    assert!(released > 0, "the first run's plan released idle firms");
    let released_later: i64 = conn
        .query_row("SELECT sum(released) FROM manager_history WHERE run_id = ?1", [runs.iter().nth(1).unwrap()], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(released_later, 0, "nothing more to release on the same day once the plan is applied");
}

#[test]
fn check_nudges_the_manager_when_a_release_rule_is_on() {
    let wd = Workdir::new();
    synth_base(&wd);
    let ask = |config: &str| -> serde_json::Value {
        wd.write("c.toml", config);
        let _ = std::fs::remove_file(wd.path("state.db"));
        wd.run(&[
            "dedup",
            "base/crm.csv",
            "--state",
            "state.db",
            "--out",
            "out",
            "--config",
            "c.toml",
            "--today",
            TODAY,
            "-q",
        ])
        .success();
        let out = wd
            .run(&[
                "check",
                "--state",
                "state.db",
                "--name",
                "Ромашка",
                "--manager",
                "manager03",
                "--today",
                TODAY,
                "--json",
            ])
            .success()
            .stdout();
        serde_json::from_str(&out).unwrap()
    };
    assert!(ask("").get("manager_note").is_none(), "no release rule: no note");
    let a = ask("[ownership]\nrelease_after_days = 365\n");
    let held =
        read_csv(&wd.path("out/managers.csv")).into_iter().find(|m| m["manager"] == "manager03").unwrap()["firms_held"]
            .clone();
    let note = a["manager_note"].as_str().unwrap();
    assert!(note.starts_with(&format!("у вас {held} из 200; ")), "{note}");
    assert!(note.contains("без активности больше 90 дней уйдут в копилку"), "{note}");
    let text = wd
        .run(&["check", "--state", "state.db", "--name", "Ромашка", "--manager", "manager03", "--today", TODAY])
        .success();
    assert!(text.stdout().lines().nth(1).is_some_and(|l| l == note), "{}", text.stdout());
}

#[test]
fn no_manager_column_means_no_import_file() {
    let wd = Workdir::new();
    wd.write("x.csv", "id,name,inn\n1,ООО Ромашка,7707083893\n2,Ромашка,7707083893\n");
    // An import file left by an earlier run of another export must not survive.
    wd.write("out/reassign_import.csv", "id,manager\n9,petrov\n");
    wd.run(&["dedup", "x.csv", "--out", "out", "-q"]).success();
    assert!(read_csv(&wd.path("out/reassign.csv")).is_empty());
    assert!(!wd.path("out/reassign_import.csv").exists());
    let s: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    assert_eq!(s["reassign"]["import_file_skipped"], "the export has no manager column");
}
