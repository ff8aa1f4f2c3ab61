//! report.html in headless Chromium: the rendered sections, counts equal to summary.json, CRM values kept as
//! text, and a decision clicked in #review that `override import` accepts.
//!
//! The click test uses the page's test hook (a URL fragment `#test-decide=ROW:ACTION:LEVEL:REASON`): the page's
//! own script clicks the decision button of review row ROW through its real handler and writes the CSV that the
//! download button would save into `<pre id="test-csv">`, which `--dump-dom` shows. The tests skip, loudly, only
//! when `chromium` is not installed; CI installs it and sets `FIRMDEDUP_REQUIRE_CHROMIUM=1` (.ci/run), which
//! turns a missing chromium into a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::workdir::{Workdir, fixture, read_csv};

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("chromium")).find(|p| p.is_file())
}

macro_rules! need_chromium {
    () => {
        match chromium() {
            Some(c) => c,
            None => {
                assert!(
                    std::env::var_os("FIRMDEDUP_REQUIRE_CHROMIUM").is_none(),
                    "FIRMDEDUP_REQUIRE_CHROMIUM is set but `chromium` is not installed"
                );
                eprintln!("\n!!! SKIPPED: `chromium` is not installed; apt-get install -y chromium (CI does) !!!\n");
                return;
            }
        }
    };
}

/// The DOM after the page's script ran.
fn dump_dom(chromium: &Path, wd: &Workdir, page: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir_in(wd.root()).expect("profile dir");
    let url = format!("file://{}{fragment}", page.display());
    let out = Command::new(chromium)
        .args(crate::workdir::CHROMIUM_FLAGS)
        .arg("--virtual-time-budget=5000")
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("running chromium");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && dom.contains("</html>"),
        "chromium --dump-dom {url} failed: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    dom
}

/// The text of the element with id `id` (no nested elements), HTML entities decoded.
fn text_of(dom: &str, id: &str) -> String {
    let start = dom.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in the page"));
    let from = start + dom[start..].find('>').unwrap() + 1;
    let to = from + dom[from..].find('<').unwrap();
    unescape(&dom[from..to])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&nbsp;", "").replace("&amp;", "&")
}

fn number(dom: &str, id: &str) -> u64 {
    let t: String = text_of(dom, id).chars().filter(char::is_ascii_digit).collect();
    t.parse().unwrap_or_else(|_| panic!("#{id} is not a number: {:?}", text_of(dom, id)))
}

/// The DOM without its script blocks (the data and the page's own code), i.e. what the page shows.
fn shown(dom: &str) -> String {
    let mut out = String::with_capacity(dom.len());
    let mut rest = dom;
    while let Some(i) = rest.find("<script") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("</script>").map_or("", |j| &rest[i + j + "</script>".len()..]);
    }
    out.push_str(rest);
    out
}

/// The text of the first element after `marker` (an attribute such as `data-review="0"`) that opens with `tag`.
fn text_after(dom: &str, marker: &str, tag: &str) -> String {
    let start = dom.find(marker).unwrap_or_else(|| panic!("no {marker} in the page"));
    let at = start + dom[start..].find(tag).unwrap_or_else(|| panic!("no {tag} after {marker}"));
    let from = at + dom[at..].find('>').unwrap() + 1;
    let to = from + dom[from..].find('<').unwrap();
    unescape(&dom[from..to])
}

/// The sum of the numeric values of an attribute over the page.
fn attr_sum(dom: &str, attr: &str) -> u64 {
    let key = format!("{attr}=\"");
    dom.match_indices(&key)
        .map(|(i, _)| {
            let v = &dom[i + key.len()..];
            v[..v.find('"').unwrap()].parse::<u64>().unwrap()
        })
        .sum()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b':' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[test]
fn sections_render_and_counts_equal_summary_json_on_the_demo_base() {
    let chromium = need_chromium!();
    let wd = Workdir::new();
    let demo = fixture("demo/bitrix_1251.csv");
    wd.run(&["dedup", demo.to_str().unwrap(), "--out", "out", "-q"]).success();
    let dom = dump_dom(&chromium, &wd, &wd.path("out/report.html"), "");
    for id in ["summary", "firms", "review", "conflicts", "managers"] {
        assert!(dom.contains(&format!("<section id=\"{id}\"")), "no #{id}");
    }
    let s: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    let read = number(&dom, "sum-cards-read");
    assert_eq!(read, s["cards"]["read"].as_u64().unwrap());
    assert_eq!(read, number(&dom, "sum-cards-accepted") + number(&dom, "sum-cards-rejected"));
    assert_eq!(number(&dom, "sum-legal-entities"), s["legal_entities"].as_u64().unwrap());
    assert_eq!(number(&dom, "sum-firms"), s["firms"].as_u64().unwrap());
    assert_eq!(number(&dom, "sum-multi-card-firms"), s["multi_card_firms"].as_u64().unwrap());
    assert_eq!(number(&dom, "sum-generic"), s["generic_values"]["count"].as_u64().unwrap());
    assert_eq!(number(&dom, "sum-review") as usize, read_csv(&wd.path("out/review.csv")).len());
    // The first page of firms is rendered (100 rows or all), and the chart has one bar per manager.
    let firms = s["firms"].as_u64().unwrap() as usize;
    assert_eq!(dom.matches("data-firm=").count(), firms.min(100));
    let managers = read_csv(&wd.path("out/managers.csv")).len();
    assert!(managers > 0);
    assert_eq!(dom.matches("data-manager=").count(), managers);
    // Inside the bars, the idle and stale firms of managers.csv.
    let csv = read_csv(&wd.path("out/managers.csv"));
    let total = |col: &str| csv.iter().map(|m| m[col].parse::<u64>().unwrap()).sum::<u64>();
    assert!(total("no_activity_90d") > 0 && total("stale_firms") > 0, "the demo base has idle firms");
    assert_eq!(attr_sum(&dom, "data-idle"), total("no_activity_90d"));
    assert_eq!(attr_sum(&dom, "data-stale"), total("stale_firms"));
    let conflicts = read_csv(&wd.path("out/conflicts.csv")).len();
    assert_eq!(dom.matches("data-conflict=").count(), conflicts.min(100));
}

#[test]
fn an_html_and_script_name_stays_text() {
    let chromium = need_chromium!();
    let wd = Workdir::new();
    let evil = "<img src=x onerror=\"document.title='pwned'\"></script><script>document.title='pwned'</script>";
    let csv = format!(
        "id,name,inn,phones,emails,manager,last_activity\n\
         1,\"{}\",7701123451,+7 495 111-22-33,a@romashka.ru,m1,2026-10-01\n\
         2,ООО Ромашка,7701123451,,,m2,2026-09-01\n",
        evil.replace('"', "\"\"")
    );
    wd.write("in.csv", csv);
    wd.run(&["dedup", "in.csv", "--out", "out", "-q", "--today", "2026-11-01"]).success();
    let raw = wd.read("out/report.html");
    assert!(!raw.contains("</script><script>document.title"), "the data closed the script block");
    let dom = dump_dom(&chromium, &wd, &wd.path("out/report.html"), "");
    assert!(dom.contains("<title>firmdedup: отчёт для администратора</title>"), "the title was changed");
    assert!(!dom.contains("<img src=\"x\"") && !dom.contains("<img src=x"), "the name became an element");
    // The name is on the page, as text.
    assert!(dom.contains("&lt;img src=x onerror="), "the name is not shown as text");
}

#[test]
fn a_decision_clicked_in_review_comes_out_as_csv_that_override_import_accepts() {
    let chromium = need_chromium!();
    let wd = Workdir::new();
    // A small generated base (not committed): it has near-threshold pairs.
    wd.run(&["synth", "--cards", "2000", "--seed", "3", "--out", "base", "-q"]).success();
    wd.run(&["dedup", "base/crm.csv", "--state", "s.db", "--out", "out", "-q"]).success();
    let review = read_csv(&wd.path("out/review.csv"));
    // A firm-level pair the matcher joined just above the threshold: the administrator says "разные фирмы".
    let (row, r) = review
        .iter()
        .enumerate()
        .find(|(i, r)| *i < 5000 && r["kind"] == "above_threshold" && r["level"] == "firm")
        .expect("the generated base has a firm link just above the threshold");
    let frag = format!("#test-decide={}", percent_encode(&format!("{row}:split:firm:разные сети, проверено по сайту")));
    let dom = dump_dom(&chromium, &wd, &wd.path("out/report.html"), &frag);
    let csv = text_of(&dom, "test-csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "action,a,b,level,reason,by", "{csv}");
    assert_eq!(lines.len(), 2, "one decision expected:\n{csv}");
    assert_eq!(
        lines[1],
        format!("split,{},{},firm,\"разные сети, проверено по сайту\",test", r["card_a"], r["card_b"])
    );
    assert_eq!(number(&dom, "decisions-count"), 1);
    wd.write("decisions.csv", &csv);
    let imported = wd.run(&["override", "import", "decisions.csv", "--state", "s.db"]).success();
    assert!(imported.stdout().contains("imported 1 decision"), "{}", imported.stdout());
    let list: serde_json::Value =
        serde_json::from_str(&wd.run(&["override", "list", "--json", "--state", "s.db"]).success().stdout()).unwrap();
    assert_eq!(list[0]["action"], "split");
    assert_eq!(list[0]["a"].as_str(), Some(r["card_a"].as_str()));
    assert_eq!(list[0]["created_by"], "test");
    // The next run follows the decision.
    wd.run(&["dedup", "base/crm.csv", "--state", "s.db", "--out", "out2", "-q"]).success();
    let firm_of = |id: &str| {
        read_csv(&wd.path("out2/cards.csv")).into_iter().find(|c| c["id"] == id).map(|c| c["firm_id"].clone())
    };
    assert_ne!(firm_of(&r["card_a"]), firm_of(&r["card_b"]));
}

#[test]
fn a_bad_decisions_file_is_refused_whole_with_its_line_and_field() {
    let wd = Workdir::new();
    let demo = fixture("demo/bitrix_1251.csv");
    wd.run(&["dedup", demo.to_str().unwrap(), "--state", "s.db", "--out", "out", "-q"]).success();
    let cards = read_csv(&wd.path("out/cards.csv"));
    let (a, b, c) = (&cards[0]["id"], &cards[1]["id"], &cards[2]["id"]);
    wd.write(
        "d.csv",
        format!("action,a,b,level,reason,by\nsplit,{a},{b},firm,ok,adm\nmerge,{a},{c},firm,ok,adm\nlink,{b},{c},фирма,,adm\n"),
    );
    let r = wd.run(&["override", "import", "d.csv", "--state", "s.db"]);
    assert_ne!(r.code(), 0);
    let err = r.stderr();
    assert!(err.contains("d.csv") && err.contains("line 3, field action"), "{err}");
    assert!(err.contains("line 4, field reason"), "{err}");
    let list = wd.run(&["override", "list", "--state", "s.db"]).success();
    assert!(list.stdout().contains("no decisions recorded"), "a partial import: {}", list.stdout());
}

#[test]
fn evidence_between_cards_is_shown_in_russian_as_review_csv_has_it() {
    let chromium = need_chromium!();
    let wd = Workdir::new();
    // A small generated base (not committed): it has review rows and conflicts with every kind of evidence.
    wd.run(&["synth", "--cards", "2000", "--seed", "3", "--out", "base", "-q"]).success();
    wd.run(&["dedup", "base/crm.csv", "--out", "out", "-q"]).success();
    let review = read_csv(&wd.path("out/review.csv"));
    assert!(review.len() > 10, "the generated base has a grey zone");
    let dom = dump_dom(&chromium, &wd, &wd.path("out/report.html"), "");
    assert!(dom.contains("data-render-ms="), "the page's script did not run to its end");
    // The first review rows show review.csv's Russian evidence, which says what its English evidence says.
    for (i, r) in review.iter().take(20).enumerate() {
        let ev = text_after(&dom, &format!("data-review=\"{i}\""), "class=\"ev\"");
        assert_eq!(ev, r["evidence_ru"], "review row {i}");
        assert!(!r["evidence"].is_empty() && r["evidence"] != r["evidence_ru"], "row {i}: {r:?}");
    }
    let page = shown(&dom);
    for ru in ["общий телефон", "тот же ИНН"] {
        assert!(page.contains(ru), "no {ru:?} on the page");
    }
    for en in ["shared phone", "shared decision-maker", "shared name root", "same INN", "rarity", "same office"] {
        assert!(!page.contains(en), "English evidence {en:?} on the page");
    }
    // links.csv keeps its English evidence.
    let links = wd.read("out/links.csv");
    assert!(links.starts_with("level,card_a,card_b,score,signals,evidence\n") && links.contains("same INN "));
}

#[test]
fn a_page_over_its_card_budget_says_how_many_firms_it_left_out() {
    let chromium = need_chromium!();
    let wd = Workdir::new();
    let demo = fixture("demo/bitrix_1251.csv");
    wd.write("small.toml", "[report]\npage_cards = 40\n");
    wd.run(&["dedup", demo.to_str().unwrap(), "--config", "small.toml", "--out", "out", "-q"]).success();
    let dom = dump_dom(&chromium, &wd, &wd.path("out/report.html"), "");
    assert!(dom.contains("data-render-ms="), "the page's script did not run to its end");
    let s: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    // The summary still counts the whole base.
    assert_eq!(number(&dom, "sum-cards-read"), s["cards"]["read"].as_u64().unwrap());
    assert_eq!(number(&dom, "sum-firms"), s["firms"].as_u64().unwrap());
    // At most 40 cards, so at most 40 firms, all on the first page of the list; the note counts the rest.
    let firms = read_csv(&wd.path("out/firms.csv"));
    let shown_firms = dom.matches("data-firm=").count();
    assert!(shown_firms > 0 && shown_firms <= 40, "{shown_firms}");
    assert_eq!(number(&dom, "firms-omitted-count") as usize, firms.len() - shown_firms);
    let note = &dom[dom.find("id=\"firms-omitted\"").unwrap()..];
    assert!(note[..note.find("</p>").unwrap()].contains("в firms.csv, cards.csv и links.csv"), "{note:.400}");
    // The largest firm is among those carried.
    let largest = firms
        .iter()
        .max_by_key(|f| (f["cards"].parse::<u32>().unwrap(), std::cmp::Reverse(f["firm_id"].clone())))
        .unwrap();
    assert!(dom.contains(&format!("data-firm=\"{}\"", largest["firm_id"])), "{largest:?}");
    // Under the default budget the demo base is carried whole and says nothing of the kind.
    wd.run(&["dedup", demo.to_str().unwrap(), "--out", "all", "-q"]).success();
    let all = dump_dom(&chromium, &wd, &wd.path("all/report.html"), "");
    assert!(!all.contains("id=\"firms-omitted\""));
    assert_eq!(all.matches("data-firm=").count(), firms.len().min(100));
}

#[test]
fn the_managers_trend_shows_after_two_nightly_runs() {
    let chromium = need_chromium!();
    let wd = Workdir::new();
    let demo = std::fs::read(fixture("demo/bitrix_1251.csv")).unwrap();
    // The second night the export has lost its last 15 cards (the file is one card a line), so firms change hands.
    let lines: Vec<&[u8]> = demo.split_inclusive(|&b| b == b'\n').collect();
    wd.write("night1.csv", &demo);
    wd.write("night2.csv", lines[..lines.len() - 15].concat());
    wd.run(&["dedup", "night1.csv", "--state", "s.db", "--out", "o1", "-q", "--today", "2026-11-01"]).success();
    let first = dump_dom(&chromium, &wd, &wd.path("o1/report.html"), "");
    assert!(first.contains("id=\"managers-trend-none\""), "a first run has no trend yet");
    assert_eq!(first.matches("data-trend-row=").count(), 0);
    wd.run(&["dedup", "night2.csv", "--state", "s.db", "--out", "o2", "-q", "--today", "2026-11-15"]).success();
    let dom = dump_dom(&chromium, &wd, &wd.path("o2/report.html"), "");
    assert!(!dom.contains("id=\"managers-trend-none\""));
    let managers = read_csv(&wd.path("o2/managers.csv"));
    assert_eq!(dom.matches("data-trend-row=").count(), managers.len());
    let mut changed = 0;
    for m in &managers {
        let row = format!("data-trend-row=\"{}\"", m["manager"]);
        // The change since the previous run is managers.csv's, and the line has both runs.
        assert_eq!(text_after(&dom, &row, "data-delta=\"prev\""), m["firms_held_vs_prev_run"], "{}", m["manager"]);
        assert!(text_after(&dom, &row, "data-points=").is_empty());
        let at = dom.find(&row).unwrap();
        assert!(dom[at..].contains(&format!("data-trend=\"{}\" data-points=\"2\"", m["manager"])), "{}", m["manager"]);
        changed += (m["firms_held_vs_prev_run"] != "0") as usize;
    }
    assert!(changed > 0, "no manager's holdings changed between the nights");
    // The summary says what the run changed, as summary.json does.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(wd.path("o2/summary.json")).unwrap()).unwrap();
    let changes = &summary["run"]["changes"];
    assert!(changes["cards_removed"].as_u64().unwrap() >= 15, "{changes}");
    for kind in
        ["firms_created", "firms_merged", "firms_split", "firms_retired", "cards_added", "cards_removed", "cards_moved"]
    {
        let shown = text_after(&dom, &format!("data-change=\"{kind}\""), "class=\"v\"");
        let shown: String = shown.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(shown, changes[kind].to_string(), "{kind}");
    }
}
