//! `explain` against `dedup`: asked about a pair, it gives the verdict and the score the matcher decided with.

use std::collections::BTreeMap;

use crate::workdir::{Workdir, read_csv};

/// `explain --pairs FILE`'s answers, one per pair, in the file's order.
fn answers(wd: &Workdir, base: &str, pairs: &str) -> Vec<String> {
    let out = wd.run(&["explain", base, "--pairs", pairs]).success().stdout();
    let blocks: Vec<String> = out.split("\n== ").map(str::to_string).collect();
    assert!(out.starts_with("== "), "each answer starts with its pair: {out:.200}");
    blocks
}

/// The score and verdict explain gives a level: `(score text, is a link)`.
fn level_line(answer: &str, title: &str) -> Option<(String, bool)> {
    let line = answer.lines().find(|l| l.starts_with(title))?;
    let score = line.split("score ").nth(1)?.split(' ').next()?.to_string();
    Some((score, line.ends_with("-> a link")))
}

fn agrees_on_every_link(profile: &str, seed: &str) {
    let wd = Workdir::new();
    wd.run(&["synth", "--cards", "4000", "--seed", seed, "--profile", profile, "--out", "b", "--formats", "canonical"])
        .success();
    wd.run(&["dedup", "b/crm.csv", "--out", "o", "-q"]).success();
    let links = read_csv(&wd.path("o/links.csv"));
    assert!(links.len() > 500, "{profile}: a base with links ({})", links.len());
    let got = answers(&wd, "b/crm.csv", "o/links.csv");
    assert_eq!(got.len(), links.len());
    let mut wrong = Vec::new();
    for (r, a) in links.iter().zip(&got) {
        let ok = match r["level"].as_str() {
            // Joined by rule, not scored.
            "entity" if matches!(r["signals"].as_str(), "inn" | "ogrn") => {
                a.contains("one legal entity by rule") && a.contains("same legal entity: true")
            }
            "entity" => level_line(a, "legal entity level") == Some((r["score"].clone(), true)),
            "firm" => level_line(a, "firm level") == Some((r["score"].clone(), true)),
            other => panic!("unknown level {other}"),
        };
        if !ok {
            wrong.push(format!("{} {} {} score {}: {a}", r["level"], r["card_a"], r["card_b"], r["score"]));
        }
    }
    assert!(wrong.is_empty(), "{profile}: {} of {} links explained otherwise:\n{}", wrong.len(), links.len(), {
        wrong.truncate(3);
        wrong.join("\n")
    });
    // The doubtful pairs, joined or not: explain places the two cards as cards.csv does.
    let cards: BTreeMap<String, (String, String)> = read_csv(&wd.path("o/cards.csv"))
        .into_iter()
        .map(|c| (c["id"].clone(), (c["entity_id"].clone(), c["firm_id"].clone())))
        .collect();
    let review = read_csv(&wd.path("o/review.csv"));
    assert!(!review.is_empty(), "{profile}: a base with doubtful pairs");
    for (r, a) in review.iter().zip(answers(&wd, "b/crm.csv", "o/review.csv")) {
        let (x, y) = (&cards[&r["card_a"]], &cards[&r["card_b"]]);
        let said = format!("same legal entity: {}; same firm: {}", x.0 == y.0, x.1 == y.1);
        assert!(a.contains(&said), "{profile}: review pair {} {}: expected {said:?} in {a}", r["card_a"], r["card_b"]);
    }
}

#[test]
fn explain_agrees_with_dedup_on_every_link_of_the_default_base() {
    agrees_on_every_link("default", "4");
}

#[test]
fn explain_agrees_with_dedup_on_every_link_of_a_sparse_base() {
    agrees_on_every_link("sparse", "4");
}

#[test]
fn explain_agrees_with_dedup_on_every_link_of_a_hub_base() {
    agrees_on_every_link("hub", "4");
}

#[test]
fn explain_refuses_a_pairs_file_without_card_columns() {
    let wd = Workdir::new();
    wd.write("b.csv", "id,name,phones\n1,ООО Ромашка,+74951234567\n2,Ромашка,+74951234567\n");
    wd.write("p.csv", "a,b\n1,2\n");
    let r = wd.run(&["explain", "b.csv", "--pairs", "p.csv"]).fails_with(1);
    assert!(r.stderr().contains("p.csv") && r.stderr().contains("card_a"), "{}", r.stderr());
    wd.write("q.csv", "card_a,card_b\n1,9\n");
    let r = wd.run(&["explain", "b.csv", "--pairs", "q.csv"]).fails_with(1);
    assert!(r.stderr().contains("\"9\""), "{}", r.stderr());
}

/// A reader that goes away (`| head -1`) ends the command quietly, not with a panic (exit 101).
#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let wd = Workdir::new();
    wd.run(&["synth", "--cards", "600", "--seed", "2", "--out", "b", "--formats", "canonical"]).success();
    wd.run(&["dedup", "b/crm.csv", "--out", "o", "-q"]).success();
    for args in [vec!["explain", "b/crm.csv", "--pairs", "o/links.csv"], vec!["synth", "--print-rates", "--seed", "1"]]
    {
        let mut child = Command::new(crate::workdir::bin())
            .args(&args)
            .current_dir(wd.root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// `explain`'s text as an administrator reads it, on the demo base: a link by rule, a scored legal-entity link, a
/// firm link, and two cards of different firms. A change in wording or in a score shows up in review.
#[test]
fn explain_text_on_the_demo_base() {
    let wd = Workdir::new();
    let base = crate::workdir::fixture("demo/crm.csv");
    let base = base.to_str().unwrap();
    for (name, a, b) in [
        ("explain_same_inn", "1001", "1002"),
        ("explain_entity_link", "1001", "1003"),
        ("explain_firm_link", "1001", "1006"),
        ("explain_apart", "1001", "1050"),
    ] {
        let out = wd.run(&["explain", base, a, b]).success().stdout();
        insta::assert_snapshot!(name, out);
    }
}
