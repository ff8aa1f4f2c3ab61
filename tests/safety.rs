//! Safety (issue 13): never destroy the input, never tell a manager that a held firm is free, publish outputs only
//! after the state commits. One test per case of the issue, named after it; the severe ones (1–4) run the binary.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::workdir::{Workdir, bin, read_csv};

fn inn10(prefix: &str) -> String {
    let w = [2, 4, 10, 3, 5, 9, 4, 6, 8];
    let d: Vec<u32> = prefix.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let c = d.iter().zip(w).map(|(a, b)| a * b).sum::<u32>() % 11 % 10;
    format!("{prefix}{c}")
}

const HEADER: &str = "id,name,inn,phones,manager,last_activity\n";

/// Cards: (id, name, inn, phone, manager).
fn export(rows: &[(&str, &str, String, &str, &str)]) -> String {
    let mut s = HEADER.to_string();
    for (id, name, inn, phone, manager) in rows {
        s.push_str(&format!("{id},\"{name}\",{inn},{phone},{manager},2026-11-01\n"));
    }
    s
}

fn base() -> Vec<(&'static str, &'static str, String, &'static str, &'static str)> {
    vec![
        ("1", "ООО Альтаир", inn10("770100001"), "+7 495 100-00-01", "manager08"),
        ("2", "Альтаир", String::new(), "+7 495 100-00-01", "manager08"),
        ("3", "ООО Бриз", inn10("770100002"), "+7 495 200-00-02", "petrov"),
        ("4", "ООО Вега", inn10("770100003"), "+7 495 300-00-03", ""),
        ("5", "ООО Гамма", inn10("770100004"), "+7 495 400-00-04", "ivanova"),
        ("6", "ООО Дельта", inn10("770100005"), "+7 495 500-00-05", "ivanova"),
        ("7", "ООО Омега", inn10("770100006"), "+7 495 600-00-06", "kozlov"),
        ("8", "ООО Сигма", inn10("770100007"), "+7 495 700-00-07", "kozlov"),
        ("9", "ООО Тета", inn10("770100008"), "+7 495 800-00-08", "kozlov"),
        ("10", "ООО Каппа", inn10("770100009"), "+7 495 900-00-09", "kozlov"),
        ("11", "ООО Лямбда", inn10("770100010"), "+7 495 910-00-10", "kozlov"),
    ]
}

fn nightly(wd: &Workdir, input: &str, out: &str) -> crate::workdir::Run {
    wd.run(&["dedup", input, "--state", "state.db", "--out", out, "-q", "--today", "2026-11-27"])
}

fn with_state(wd: &Workdir) {
    wd.write("v1.csv", export(&base()));
    nightly(wd, "v1.csv", "o1").success();
}

fn firm_of(wd: &Workdir, out: &str) -> BTreeMap<String, String> {
    read_csv(&wd.path(&format!("{out}/cards.csv")))
        .into_iter()
        .map(|r| (r["id"].clone(), r["firm_id"].clone()))
        .collect()
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn case01_output_or_rejects_equal_to_an_input_is_refused_before_writing() {
    let wd = Workdir::new();
    let original = export(&base()) + "12,\"ООО Ро\n";
    wd.write("exp/cards.csv", &original);
    // --out is the input's folder: cards.csv would replace the export.
    let err = wd.run(&["dedup", "exp/cards.csv", "--out", "exp", "-q"]).fails_with(3).stderr();
    assert!(err.contains("it is the input"), "{err}");
    assert_eq!(wd.read("exp/cards.csv"), original, "the export is intact");
    assert_eq!(files_in(&wd.path("exp")), ["cards.csv"], "nothing was written");
    // The same file under another name: a hard link called firms.csv in the output folder.
    wd.write("v.csv", &original);
    std::fs::create_dir_all(wd.path("o")).unwrap();
    std::fs::hard_link(wd.path("v.csv"), wd.path("o/firms.csv")).unwrap();
    wd.run(&["dedup", "v.csv", "--out", "o", "-q"]).fails_with(3);
    assert_eq!(wd.read("v.csv"), original);
    // And a ./ spelling.
    wd.run(&["dedup", "./exp/../exp/cards.csv", "--out", "./exp/", "-q"]).fails_with(3);
    // inspect --rejects onto the export.
    let err = wd.run(&["inspect", "v.csv", "--rejects", "v.csv"]).fails_with(3).stderr();
    assert!(err.contains("it is the input"), "{err}");
    assert_eq!(wd.read("v.csv"), original, "the export is intact");
    // Elsewhere, the rejects list is written.
    wd.run(&["inspect", "v.csv", "--rejects", "rejects.csv"]).success();
    assert!(wd.read("rejects.csv").contains("line"), "the rejects list is written elsewhere");
}

#[test]
fn case02_limit_zero_never_says_free_for_a_held_firm() {
    let wd = Workdir::new();
    with_state(&wd);
    for limit in ["0", "1", "5"] {
        let out = wd
            .run(&[
                "check",
                "--state",
                "state.db",
                "--phone",
                "+7 495 700-00-07",
                "--manager",
                "petrov",
                "--limit",
                limit,
                "--json",
                "--today",
                "2026-11-27",
            ])
            .success()
            .stdout();
        let v = json(&out);
        assert_eq!(v["found"], true, "--limit {limit}: {out}");
        let verdict = v["verdict"].as_str().unwrap();
        assert!(
            verdict.contains("Закреплена за kozlov") && !verdict.contains("свободна"),
            "--limit {limit}: {verdict}"
        );
        assert_eq!(v["matches"].as_array().unwrap().len(), if limit == "0" { 0 } else { 1 });
    }
    let text =
        wd.run(&["check", "--state", "state.db", "--phone", "+7 495 700-00-07", "--limit", "0"]).success().stdout();
    assert!(text.contains("Закреплена за kozlov") && !text.contains("свободна"), "{text}");
}

#[test]
fn case03_a_missing_or_unfinished_state_is_refused_and_never_created() {
    let wd = Workdir::new();
    // A typo: check and override refuse, and create nothing.
    let err = wd.run(&["check", "--state", "typo.db", "--name", "Альтаир"]).fails_with(3).stderr();
    assert!(err.contains("no such state") && err.contains("dedup"), "{err}");
    let err = wd.run(&["override", "split", "1", "2", "--reason", "r", "--state", "typo.db"]).fails_with(3).stderr();
    assert!(err.contains("no such state"), "{err}");
    wd.run(&["override", "list", "--state", "typo.db"]).fails_with(3);
    assert!(files_in(wd.root()).is_empty(), "nothing created: {:?}", files_in(wd.root()));
    // A state whose first run did not finish (refused here: the export has no id column).
    wd.write("noid.csv", "name,inn\n\"ООО Альтаир\",7701000019\n");
    wd.run(&["dedup", "noid.csv", "--state", "state.db", "--out", "o", "-q"]).fails_with(3);
    assert!(wd.path("state.db").exists());
    let err = wd.run(&["check", "--state", "state.db", "--name", "Альтаир", "--json"]).fails_with(3);
    let v = json(&err.stdout());
    assert!(v["error"].as_str().unwrap().contains("no finished run"), "{v}");
    let err = wd.run(&["override", "link", "1", "2", "--reason", "r", "--state", "state.db"]).fails_with(3).stderr();
    assert!(err.contains("no finished run"), "{err}");
    // After a finished run, both work.
    wd.write("v1.csv", export(&base()));
    nightly(&wd, "v1.csv", "o1").success();
    wd.run(&["check", "--state", "state.db", "--name", "Альтаир"]).success();
}

#[test]
fn case04_control_characters_and_bidi_from_data_never_reach_the_terminal() {
    let wd = Workdir::new();
    let mut rows = base();
    rows.push((
        "12",
        "\u{1b}[2J\u{1b}[31mFAKE: pool, free to claim\u{1b}[0m",
        inn10("770100011"),
        "+7 495 920-00-11",
        "\u{202e}kozlov",
    ));
    wd.write("v1.csv", export(&rows));
    nightly(&wd, "v1.csv", "o1").success();
    let run = wd.run(&["check", "--state", "state.db", "--phone", "+7 495 920-00-11", "--manager", "petrov"]).success();
    let raw = run.output.stdout.clone();
    let text = run.stdout();
    assert!(!raw.contains(&0x1b), "no ESC byte on the terminal: {text}");
    assert!(!text.contains('\u{202e}'), "no bidi override on the terminal: {text}");
    assert!(text.contains("\\x1B[31mFAKE") && text.contains("\\u{202E}kozlov"), "shown escaped: {text}");
    // JSON: the same values, escaped.
    let out = wd.run(&["check", "--state", "state.db", "--phone", "+7 495 920-00-11", "--json"]).success().stdout();
    assert!(!out.contains('\u{1b}') && !out.contains('\u{202e}'), "{out}");
    let v = json(&out);
    assert_eq!(v["matches"][0]["owner"], "\u{202e}kozlov", "the JSON value is the data");
    // CSVs: neutralised too.
    for f in ["cards.csv", "firms.csv", "managers.csv"] {
        let csv = wd.read(&format!("o1/{f}"));
        assert!(!csv.contains('\u{1b}') && !csv.contains('\u{202e}'), "{f}: {csv}");
    }
    assert!(wd.read("o1/managers.csv").contains("\\u{202E}kozlov"));
    // Notes and error messages quoting the data are escaped as well.
    let note = wd.run(&["check", "--state", "state.db", "--inn", "\u{1b}[2J12"]).success().stdout();
    assert!(!note.contains('\u{1b}') && note.contains("\\x1B[2J12"), "{note}");
    let err = wd.run(&["check", "--state", "state.db", "--email", "\u{1b}[2Jivanov at mail"]).fails_with(1).stderr();
    assert!(!err.contains('\u{1b}'), "{err}");
}

fn spawn_paused(wd: &Workdir, input: &str, out: &str, marker: &str) -> std::process::Child {
    Command::new(bin())
        .args(["dedup", input, "--state", "state.db", "--out", out, "-q"])
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
fn case05_a_run_that_fails_before_its_commit_publishes_nothing() {
    let wd = Workdir::new();
    with_state(&wd);
    let before: BTreeMap<String, String> =
        files_in(&wd.path("o1")).into_iter().map(|f| (f.clone(), wd.read(&format!("o1/{f}")))).collect();
    let mut v2 = base();
    v2.push(("12", "ООО Ипсилон", inn10("770100011"), "+7 495 920-00-11", ""));
    wd.write("v2.csv", export(&v2));
    let mut child = spawn_paused(&wd, "v2.csv", "o1", "paused.marker");
    wait_for(&wd, "paused.marker");
    // Everything is written, the commit not yet done: the folder still holds the previous run only.
    let visible: Vec<String> = files_in(&wd.path("o1")).into_iter().filter(|f| !f.starts_with('.')).collect();
    assert_eq!(visible, before.keys().cloned().collect::<Vec<_>>());
    child.kill().unwrap();
    child.wait().unwrap();
    for (f, text) in &before {
        assert_eq!(&wd.read(&format!("o1/{f}")), text, "{f} is the previous run's");
    }
    assert_eq!(json(&wd.read("o1/summary.json"))["run"]["run_id"], 1);
    // The next run publishes a whole run and removes the killed run's staging folder.
    nightly(&wd, "v2.csv", "o1").success();
    assert!(
        files_in(&wd.path("o1")).iter().all(|f| !f.starts_with(".firmdedup-staging")),
        "{:?}",
        files_in(&wd.path("o1"))
    );
    assert_eq!(firm_of(&wd, "o1").len(), 12);
    assert_ne!(json(&wd.read("o1/summary.json"))["run"]["run_id"], 1);
    // A run refused by the state (a foreign file) publishes nothing either, and says so.
    wd.write("foreign.db", "not a database at all, just notes");
    let err = wd.run(&["dedup", "v1.csv", "--state", "foreign.db", "--out", "o1", "-q"]).fails_with(3).stderr();
    assert!(err.contains("not a usable firmdedup state"), "{err}");
    assert_eq!(firm_of(&wd, "o1").len(), 12, "the previous outputs are kept");
}

#[test]
fn case06_a_batch_run_into_a_nightly_folder_leaves_no_stale_changes() {
    let wd = Workdir::new();
    with_state(&wd);
    assert!(wd.path("o1/changes.csv").exists());
    wd.run(&["dedup", "v1.csv", "--out", "o1", "-q"]).success();
    assert!(!wd.path("o1/changes.csv").exists(), "{:?}", files_in(&wd.path("o1")));
    assert!(wd.path("o1/cards.csv").exists() && wd.path("o1/summary.json").exists());
}

#[test]
fn case07_a_split_of_two_cards_with_one_inn_is_refused_and_not_counted() {
    let wd = Workdir::new();
    let mut rows = base();
    rows[1].2 = inn10("770100001"); // card 2 now carries card 1's ИНН
    wd.write("v1.csv", export(&rows));
    nightly(&wd, "v1.csv", "o1").success();
    let err = wd
        .run(&["override", "split", "1", "2", "--level", "entity", "--reason", "two companies", "--state", "state.db"])
        .fails_with(3)
        .stderr();
    assert!(err.contains("one legal entity by rule") && err.contains("nothing was recorded"), "{err}");
    let list = wd.run(&["override", "list", "--json", "--state", "state.db"]).success().stdout();
    assert_eq!(json(&list).as_array().unwrap().len(), 0);
    // Recorded while card 5 had no ИНН; then the CRM gives card 5 the ИНН of card 3: the split cannot hold.
    let err = wd
        .run(&["override", "split", "3", "5", "--level", "entity", "--reason", "two companies", "--state", "state.db"])
        .success();
    drop(err);
    let mut v2 = base();
    v2[4].2 = inn10("770100002");
    wd.write("v2.csv", export(&v2));
    let run = wd.run(&["dedup", "v2.csv", "--state", "state.db", "--out", "o2"]).success();
    assert!(run.stderr().contains("could not be honoured"), "{}", run.stderr());
    let summary = json(&wd.read("o2/summary.json"));
    assert_eq!(summary["run"]["overrides_applied"], 0, "{summary}");
    assert_eq!(summary["run"]["overrides_not_honoured"], serde_json::json!([1]));
}

#[test]
fn case08_check_reads_a_state_in_a_read_only_folder_and_creates_nothing() {
    let wd = Workdir::new();
    with_state(&wd);
    std::fs::create_dir_all(wd.path("ro")).unwrap();
    std::fs::copy(wd.path("state.db"), wd.path("ro/state.db")).unwrap();
    let before = files_in(&wd.path("ro"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(wd.path("ro/state.db"), std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(wd.path("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let out = wd.run(&["check", "--state", "ro/state.db", "--phone", "+7 495 700-00-07", "--json"]).success().stdout();
    assert_eq!(json(&out)["found"], true);
    wd.run(&["override", "list", "--state", "ro/state.db"]).success();
    let after = files_in(&wd.path("ro"));
    std::fs::set_permissions(wd.path("ro"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(after, before, "no -wal or -shm left by a reader");
    // A state left in WAL mode (by an older version, or a writer that could not switch back) in a folder the
    // reader really cannot write to: run as an unprivileged user (as root, through setpriv).
    std::fs::create_dir_all(wd.path("rowal")).unwrap();
    std::fs::copy(wd.path("state.db"), wd.path("rowal/state.db")).unwrap();
    let c = rusqlite::Connection::open(wd.path("rowal/state.db")).unwrap();
    let mode: String = c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    drop(c);
    std::fs::set_permissions(wd.path("rowal"), std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(wd.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let uid = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let mut cmd = if uid.is_ok_and(|u| u == "0") {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"]).arg(bin());
        c
    } else {
        Command::new(bin())
    };
    let out = cmd
        .args(["check", "--state", "rowal/state.db", "--phone", "+7 495 700-00-07", "--json"])
        .current_dir(wd.root())
        .output();
    std::fs::set_permissions(wd.path("rowal"), std::fs::Permissions::from_mode(0o755)).unwrap();
    match out {
        Ok(o) if o.status.code() == Some(126) || String::from_utf8_lossy(&o.stderr).contains("Permission denied") => {
            eprintln!("case08: the binary is not reachable by an unprivileged user here; read-only WAL part not run")
        }
        Ok(o) => {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(json(&String::from_utf8_lossy(&o.stdout))["found"], true);
            assert_eq!(files_in(&wd.path("rowal")), ["state.db"]);
        }
        Err(e) => eprintln!("case08: setpriv not available ({e}); read-only WAL part not run"),
    }
    // Paths that mean something in a SQLite URI (`?`, `#`, `%`) or are not ASCII.
    std::fs::create_dir_all(wd.path("папка #1?%")).unwrap();
    std::fs::copy(wd.path("state.db"), wd.path("папка #1?%/state.db")).unwrap();
    let out = wd.run(&["check", "--state", "папка #1?%/state.db", "--phone", "+7 495 700-00-07", "--json"]).success();
    assert_eq!(json(&out.stdout())["found"], true);
    // The nightly state at rest has no -wal/-shm either, and a check beside it creates none.
    wd.run(&["check", "--state", "state.db", "--name", "Альтаир"]).success();
    assert!(!wd.path("state.db-wal").exists() && !wd.path("state.db-shm").exists(), "{:?}", files_in(wd.root()));
}

#[test]
fn case09_check_json_errors_are_json_on_stdout() {
    let wd = Workdir::new();
    with_state(&wd);
    for (args, code) in [(&["--email", "ivanov at mail"][..], 1), (&["--limit", "abc"][..], 2), (&[][..], 1)] {
        let mut a = vec!["check", "--state", "state.db", "--json"];
        a.extend(args);
        let run = wd.run(&a).fails_with(code);
        let v = json(run.stdout().trim());
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{args:?}: {v}");
    }
}

#[test]
fn case10_manager_logins_compare_case_and_space_insensitively() {
    let wd = Workdir::new();
    with_state(&wd);
    for login in ["Manager08", " MANAGER08 ", "manager08"] {
        let out = wd
            .run(&["check", "--state", "state.db", "--phone", "+7 495 100-00-01", "--manager", login, "--json"])
            .success()
            .stdout();
        assert_eq!(json(&out)["matches"][0]["status"], "yours", "{login:?}: {out}");
    }
}

#[test]
fn case11_concurrent_overrides_wait_for_the_lock_and_list_works_during_a_run() {
    let wd = Workdir::new();
    with_state(&wd);
    let children: Vec<std::process::Child> = (0..12)
        .map(|i| {
            Command::new(bin())
                .args([
                    "override",
                    "link",
                    &format!("{}", 3 + i % 9),
                    "1",
                    "--reason",
                    &format!("r{i}"),
                    "--state",
                    "state.db",
                ])
                .current_dir(wd.root())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // During a run (paused before its commit, holding the lock): the read-only list answers.
    wd.write("v2.csv", export(&base()));
    let mut child = spawn_paused(&wd, "v2.csv", "o2", "paused.marker");
    wait_for(&wd, "paused.marker");
    let list = wd.run(&["override", "list", "--json", "--state", "state.db"]).success().stdout();
    assert_eq!(json(&list).as_array().unwrap().len(), 9);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn case12_a_card_that_comes_back_gets_its_firm_id_back_and_a_cut_row_is_suspicious() {
    let wd = Workdir::new();
    with_state(&wd);
    let first = firm_of(&wd, "o1");
    // Card 11 leaves (with --allow-shrink), then comes back.
    let mut v2 = base();
    v2.pop();
    wd.write("v2.csv", export(&v2));
    wd.run(&["dedup", "v2.csv", "--state", "state.db", "--out", "o2", "-q", "--allow-shrink"]).success();
    nightly(&wd, "v1.csv", "o3").success();
    assert_eq!(firm_of(&wd, "o3"), first, "every card has its first firm id");
    let changes = read_csv(&wd.path("o3/changes.csv"));
    assert!(changes.iter().any(|c| c["change"] == "firm_returned" && c["firm_id"] == first["11"]), "{changes:?}");
    let conn = rusqlite::Connection::open(wd.path("state.db")).unwrap();
    let retired: i64 =
        conn.query_row("SELECT count(*) FROM lineage WHERE old_id = ?1", [&first["11"]], |r| r.get(0)).unwrap();
    assert_eq!(retired, 0, "an id in use again is no longer retired");
    let departed: i64 = conn.query_row("SELECT count(*) FROM departed", [], |r| r.get(0)).unwrap();
    assert_eq!(departed, 0, "no card is away any more");
    drop(conn);
    // An export cut in the middle of its last row (fewer cards, under the 10% guard) is refused.
    let full = export(&base());
    let cut = &full[..full.len() - 20];
    wd.write("cut.csv", cut);
    let err = nightly(&wd, "cut.csv", "o4").fails_with(3).stderr();
    assert!(err.contains("middle of a row"), "{err}");
}

#[test]
fn case14_absurd_values_are_refused_with_a_message() {
    let wd = Workdir::new();
    wd.write("v1.csv", export(&base()));
    let err = wd.run(&["dedup", "v1.csv", "--out", "o", "--threads", "100000"]).fails_with(1).stderr();
    assert!(err.contains("--threads 100000: at most"), "{err}");
    wd.write("nan.toml", "[thresholds]\nfirm = nan\n");
    let err = wd.run(&["dedup", "v1.csv", "--out", "o", "--config", "nan.toml"]).fails_with(1).stderr();
    assert!(err.contains("thresholds.firm"), "{err}");
    let err = wd.run(&["--dictionaries", "/nonexistent", "dedup", "v1.csv", "--out", "o"]).fails_with(1).stderr();
    assert!(err.contains("/nonexistent: no such directory"), "{err}");
    for bad in ["-5", "150", "NaN"] {
        let arg = format!("--max-shrink={bad}");
        let err = wd.run(&["dedup", "v1.csv", "--out", "o", &arg]).fails_with(1).stderr();
        assert!(err.contains("between 0 and 100"), "{bad}: {err}");
    }
    let err = wd.run(&["inspect", "v1.csv", "--delimiter", "|"]).fails_with(2).stderr();
    assert!(err.contains("not supported") && err.contains("tab"), "{err}");
    assert!(!wd.path("o").exists(), "nothing written by a refused command line");
}

#[test]
fn case15_a_damaged_state_is_refused_on_every_lookup() {
    let wd = Workdir::new();
    with_state(&wd);
    // As the nightly run left it, the state needs no page-by-page check; an outside write changes that.
    assert!(firmdedup::state::unchanged_since_written(&wd.path("state.db")));
    // Damage pages in the middle of the file (the header page stays readable).
    let mut bytes = std::fs::read(wd.path("state.db")).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page);
    let end = bytes.len() - page;
    for b in &mut bytes[3 * page..end] {
        *b = 0x5a;
    }
    std::fs::write(wd.path("state.db"), &bytes).unwrap();
    assert!(!firmdedup::state::unchanged_since_written(&wd.path("state.db")));
    for q in [
        &["--name", "Альтаир"][..],
        &["--phone", "+7 495 100-00-01"],
        &["--inn", &inn10("770100002")],
        &["--email", "a@b.ru"],
    ] {
        let mut a = vec!["check", "--state", "state.db"];
        a.extend(q);
        let err = wd.run(&a).fails_with(3).stderr();
        assert!(err.contains("not a usable firmdedup state"), "{q:?}: {err}");
    }
    for args in [
        &["override", "list", "--state", "state.db"][..],
        &["override", "link", "1", "3", "--reason", "r", "--state", "state.db"],
    ] {
        let err = wd.run(args).fails_with(3).stderr();
        assert!(err.contains("not a usable firmdedup state"), "{args:?}: {err}");
    }
}

#[test]
fn case16_queries_files_dates_and_card_ids() {
    let wd = Workdir::new();
    with_state(&wd);
    wd.write("empty.csv", "");
    let err = wd.run(&["check", "--state", "state.db", "--queries", "empty.csv"]).fails_with(1).stderr();
    assert!(err.contains("not a queries file"), "{err}");
    let err = wd.run(&["check", "--state", "state.db", "--queries", "v1.csv"]).fails_with(1).stderr();
    assert!(err.contains("not a queries file"), "{err}");
    wd.write("header_only.csv", "query_id,name,inn,phone,email,website,brand,contact,expected_cards,ambiguous\n");
    let err = wd.run(&["check", "--state", "state.db", "--queries", "header_only.csv"]).fails_with(1).stderr();
    assert!(err.contains("no queries"), "{err}");
    // --today long before the data: no negative days.
    let out = wd
        .run(&["check", "--state", "state.db", "--phone", "+7 495 700-00-07", "--today", "1900-01-01"])
        .success()
        .stdout();
    assert!(!out.contains("-4") && out.contains("0 дней назад"), "{out}");
    // Card ids: surrounding spaces are removed (a CSV's padding), so " 1 " is card 1 and the second is rejected as
    // a duplicate with its line, not lost.
    wd.write("ids.csv", format!("{HEADER}1,\"ООО Альтаир\",,,,\n\" 1 \",\"ООО Бриз\",,,,\n"));
    wd.run(&["dedup", "ids.csv", "--out", "oi", "-q"]).success();
    let cards = read_csv(&wd.path("oi/cards.csv"));
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0]["id"], "1");
    let rejects = wd.read("oi/rejects.csv");
    assert!(rejects.contains("duplicate id 1"), "{rejects}");
}

mod fuzz {
    //! Bounded fuzzing with proptest over arbitrary bytes and strings: the reader, every normaliser and the
    //! look-up's query parsing never panic.

    use proptest::prelude::*;

    use firmdedup::Dictionaries;
    use firmdedup::normalize;

    fn dict() -> &'static Dictionaries {
        static D: std::sync::OnceLock<Dictionaries> = std::sync::OnceLock::new();
        D.get_or_init(|| Dictionaries::load(None).unwrap())
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[ -~А-Яа-яЁё\u{1b}\u{202e}\u{0}«»№+()@.,;:/-]{0,40}", "[0-9 +()-]{0,20}",]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn normalisers_never_panic(s in text(), t in text()) {
            let d = dict();
            let n = normalize::normalize_name(&s, d);
            let _ = n.compact();
            let _ = normalize::normalize_ids(&s, &t, &s);
            let _ = normalize::phone::parse_phone(&s, Some(&t));
            let _ = normalize::parse_phones(&[s.clone(), t.clone()], None);
            let _ = normalize::parse_email(&s, d);
            let _ = normalize::normalize_website(&s, d);
            let _ = normalize::parse_person(&s, d).map(|p| p.display());
            let _ = normalize::parse_address(&s, d);
            let _ = normalize::parse_date(&s);
            let _ = normalize::translit_key(&s);
            let _ = firmdedup::sanitize::terminal(&s);
        }

        #[test]
        fn the_reader_never_panics(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(b'"'), Just(b';'), Just(b','), Just(b'\t'), Just(b'\n'), Just(b'\r')],
                0..600,
            ),
            header in any::<bool>(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("x.csv");
            let mut data = if header { b"id;name;inn;phones\n".to_vec() } else { Vec::new() };
            data.extend(bytes);
            std::fs::write(&p, &data).unwrap();
            let _ = firmdedup::ingest::read_cards(&p, &firmdedup::ingest::IngestOptions::default(), dict());
            let _ = firmdedup::ingest::read_raw_rows(&p, &firmdedup::ingest::IngestOptions::default(), dict());
        }
    }

    /// One small state shared by the look-up cases.
    fn state() -> &'static std::path::Path {
        static S: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
        S.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("v.csv"), super::export(&super::base())).unwrap();
            let st = std::process::Command::new(crate::workdir::bin())
                .args(["dedup", "v.csv", "--state", "state.db", "--out", "o", "-q"])
                .current_dir(dir.path())
                .status()
                .unwrap();
            assert!(st.success());
            dir
        })
        .path()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn lookup_query_parsing_never_panics(
            name in proptest::option::of(text()),
            inn in proptest::option::of(text()),
            phone in proptest::option::of(text()),
            email in proptest::option::of(text()),
            website in proptest::option::of(text()),
            brand in proptest::option::of(text()),
            contact in proptest::option::of(text()),
            manager in proptest::option::of(text()),
            limit in 0usize..4,
        ) {
            let conn = firmdedup::state::open_read_only(&state().join("state.db")).unwrap();
            let q = firmdedup::check::Query { name, inn, phone, email, website, brand, contact, manager };
            let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
            if let Ok(a) = firmdedup::check::check(&conn, dict(), &q, today, limit) {
                prop_assert!(a.matches.len() <= limit);
            }
        }
    }
}

#[test]
fn case05_a_publish_that_fails_half_way_says_the_folder_is_incomplete() {
    let wd = Workdir::new();
    with_state(&wd);
    // Something in the way of one output (a folder where changes.csv goes): the run's state commits, publishing
    // stops, and the folder is left without summary.json, so it cannot pass for a whole run.
    std::fs::remove_file(wd.path("o1/changes.csv")).unwrap();
    wd.write("o1/changes.csv/keep.txt", "in the way");
    let err = nightly(&wd, "v1.csv", "o1").fails_with(1).stderr();
    assert!(err.contains("incomplete set of outputs (no summary.json)") && err.contains("holds run 2"), "{err}");
    assert!(!wd.path("o1/summary.json").exists());
    // Once the obstacle is gone, the next run publishes a whole run.
    std::fs::remove_dir_all(wd.path("o1/changes.csv")).unwrap();
    nightly(&wd, "v1.csv", "o1").success();
    assert_eq!(json(&wd.read("o1/summary.json"))["run"]["run_id"], 3);
}
