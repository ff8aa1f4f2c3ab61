//! report.html in headless Chromium: the rendered sections, counts equal to summary.json, CRM values kept as
//! text, and a decision clicked in #review that `override import` accepts.
//!
//! The click test uses the page's test hook (a URL fragment `#test-decide=ROW:ACTION:LEVEL:REASON`): the page's
//! own script clicks the decision button of review row ROW through its real handler and writes the CSV that the
//! download button would save into `<pre id="test-csv">`, which `--dump-dom` shows. The tests skip, loudly, only
//! when `chromium` is not installed; CI installs it (.ci/run).

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
