//! `firmdedup dedup` on the demo base: the grouping card by card, the files, determinism, and inert formulas.

use std::collections::BTreeMap;

use crate::workdir::{Workdir, fixture, read_csv};

/// Checks a dedup output against fixtures/demo/expected.csv: two cards share an entity (firm) in the output
/// exactly when they share one in the expected grouping.
fn assert_grouping(wd: &Workdir, out: &str) {
    let expected = read_csv(&fixture("demo/expected.csv"));
    let got: BTreeMap<String, BTreeMap<String, String>> =
        read_csv(&wd.path(&format!("{out}/cards.csv"))).into_iter().map(|r| (r["id"].clone(), r)).collect();
    assert_eq!(got.len(), expected.len(), "every card is in cards.csv");
    let mut problems = Vec::new();
    for (level, ek, gk) in [("entity", "entity", "entity_id"), ("firm", "firm", "firm_id")] {
        for a in &expected {
            for b in &expected {
                if a["id"] >= b["id"] {
                    continue;
                }
                let want = a[ek] == b[ek];
                let have = got[&a["id"]][gk] == got[&b["id"]][gk];
                if want != have {
                    problems.push(format!(
                        "{level}: cards {} ({}) and {} ({}) should be {}",
                        a["id"],
                        got[&a["id"]]["name"],
                        b["id"],
                        got[&b["id"]]["name"],
                        if want { "together" } else { "apart" }
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} grouping errors:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn demo_grouping_matches_expected_utf8() {
    let wd = Workdir::new();
    wd.run(&["dedup", fixture("demo/crm.csv").to_str().unwrap(), "--out", "out", "-q"]).success();
    assert_grouping(&wd, "out");
}

#[test]
fn demo_grouping_matches_expected_bitrix_1251() {
    let wd = Workdir::new();
    wd.run(&["dedup", fixture("demo/bitrix_1251.csv").to_str().unwrap(), "--out", "out", "-q"]).success();
    assert_grouping(&wd, "out");
}

#[test]
fn hard_negatives_stay_apart() {
    // Named cases from the demo base, spelled out so a failure says which trap was fallen into.
    let wd = Workdir::new();
    wd.run(&["dedup", fixture("demo/crm.csv").to_str().unwrap(), "--out", "out", "-q"]).success();
    let firm: BTreeMap<String, String> =
        read_csv(&wd.path("out/cards.csv")).into_iter().map(|r| (r["id"].clone(), r["firm_id"].clone())).collect();
    let apart = |a: &str, b: &str, why: &str| assert_ne!(firm[a], firm[b], "{a} and {b} must stay apart: {why}");
    let together = |a: &str, b: &str, why: &str| assert_eq!(firm[a], firm[b], "{a} and {b} must be one firm: {why}");
    apart("1010", "1012", "Вектор in Samara and in Kazan, different ИНН");
    apart("1012", "1013", "Вектор in Kazan and in Moscow, different ИНН");
    apart("1020", "1021", "tenants of one business centre share only its reception phone and building");
    apart("1030", "1031", "clients of one outsourced accountant share only her phone, email and name");
    apart("1034", "1035", "the accountant's clients without ИНН");
    apart("1040", "1041", "an advertising agency and its client");
    apart("1041", "1042", "two clients of one agency");
    apart("1050", "1052", "two different people named Иванов И.И.");
    apart("1001", "1052", "Ромашка's Иванов И.И. is not Мотор's");
    apart("1020", "1100", "Лютик in Samara and Лютик in Kazan");
    apart("1024", "1101", "АО Колос and ТД Колос");
    together("1001", "1008", "the owner's ИП beside the company (shared mobile and decision-maker)");
    together("1001", "1006", "shared corporate domain and brand");
    together("1070", "1071", "shared brand");
    together("1060", "1063", "a typo with a broken ИНН, same email");
    together("1090", "1091", "ИНН with the leading zero lost");
    together("1095", "1096", "ОГРН typed into the ИНН field");
    apart("1510", "1511", "«Альфа» in Тольятти and in Пенза, different ИНН");
    apart("1520", "1521", "two firms that share only a call centre's 8-800 line");
    together("1400", "1401", "Latin spelling (Zolotoy Kolos LLC), same phone and email");
    together("1403", "1404", "informal transliteration (OOO Severnyi Veter)");
    together("1406", "1407", "ё in the name, Zelenaya Dolina in Latin");
    together("1400", "1402", "upper case, legal form at the end, a Latin look-alike letter, a spaced ИНН");
    together("1500", "1501", "a branch: same ИНН, another КПП and city");
    together("1500", "1502", "a holding named after its root, sharing the domain and the director");
    together("1502", "1503", "the logistics company's card without ИНН");
}

#[test]
fn writes_every_file_with_consistent_counts() {
    let wd = Workdir::new();
    let run = wd.run(&["dedup", fixture("demo/crm.csv").to_str().unwrap(), "--out", "out"]).success();
    assert!(run.stderr().contains("read 226 = accepted 226 + rejected 0"), "{}", run.stderr());
    let cards = read_csv(&wd.path("out/cards.csv"));
    let entities = read_csv(&wd.path("out/entities.csv"));
    let firms = read_csv(&wd.path("out/firms.csv"));
    let links = read_csv(&wd.path("out/links.csv"));
    let summary: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    let header = std::fs::read_to_string(wd.path("out/cards.csv")).unwrap();
    assert!(header.starts_with("id,entity_id,firm_id,"), "cards.csv starts with id,entity_id,firm_id");
    assert_eq!(summary["cards"]["accepted"], cards.len());
    assert_eq!(summary["legal_entities"], entities.len());
    assert_eq!(summary["firms"], firms.len());
    let card_total: usize = firms.iter().map(|f| f["cards"].parse::<usize>().unwrap()).sum();
    assert_eq!(card_total, cards.len(), "firms' card counts add up");
    // Every card of a multi-card entity is reached by an entity link, and links name real cards.
    let ids: std::collections::BTreeSet<&str> = cards.iter().map(|c| c["id"].as_str()).collect();
    for l in &links {
        assert!(ids.contains(l["card_a"].as_str()) && ids.contains(l["card_b"].as_str()));
        assert!(!l["evidence"].is_empty());
    }
    let entity_links = links.iter().filter(|l| l["level"] == "entity").count();
    assert_eq!(entity_links, cards.len() - entities.len(), "a spanning set of entity links");
    let firm_links = links.iter().filter(|l| l["level"] == "firm").count();
    assert_eq!(firm_links, entities.len() - firms.len(), "a spanning set of firm links");
    assert!(!wd.path("out/rejects.csv").exists());
    assert!(summary["generic_values"]["count"].as_u64().unwrap() >= 6, "reception, accountant and agency found");
}

#[test]
fn same_output_whatever_threads_and_row_order() {
    let wd = Workdir::new();
    let input = fixture("demo/crm.csv");
    wd.run(&["dedup", input.to_str().unwrap(), "--out", "t1", "--threads", "1", "-q"]).success();
    wd.run(&["dedup", input.to_str().unwrap(), "--out", "t4", "--threads", "4", "-q"]).success();
    // The same rows, reversed.
    let text = std::fs::read_to_string(&input).unwrap();
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    let mut rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let header = rows.remove(0);
    rows.reverse();
    let mut w = csv::Writer::from_path(wd.path("reversed.csv")).unwrap();
    w.write_record(&header).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    wd.run(&["dedup", "reversed.csv", "--out", "rev", "--threads", "2", "-q"]).success();
    for f in ["cards.csv", "entities.csv", "firms.csv", "links.csv"] {
        let a = wd.read(&format!("t1/{f}"));
        assert_eq!(a, wd.read(&format!("t4/{f}")), "{f}: 1 vs 4 threads");
        assert_eq!(a, wd.read(&format!("rev/{f}")), "{f}: reversed rows");
    }
    let strip = |s: String| {
        let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
        v.as_object_mut().unwrap().remove("timing_ms");
        v.as_object_mut().unwrap().remove("threads");
        v["input"].as_object_mut().unwrap().remove("file");
        v
    };
    assert_eq!(strip(wd.read("t1/summary.json")), strip(wd.read("t4/summary.json")));
    assert_eq!(strip(wd.read("t1/summary.json")), strip(wd.read("rev/summary.json")));
}

#[test]
fn formulas_in_the_input_come_out_inert() {
    let wd = Workdir::new();
    wd.run(&["dedup", fixture("demo/crm.csv").to_str().unwrap(), "--out", "out", "-q"]).success();
    for f in ["cards.csv", "entities.csv", "firms.csv", "links.csv"] {
        let text = wd.read(&format!("out/{f}"));
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        for rec in rdr.records() {
            for cell in rec.unwrap().iter() {
                let first = cell.chars().next();
                let is_number_or_phone = cell.starts_with('+')
                    && cell.chars().nth(1).is_some_and(|c| c.is_ascii_digit())
                    || cell.parse::<f64>().is_ok();
                assert!(
                    !matches!(first, Some('=' | '@' | '\t' | '\r'))
                        && (!matches!(first, Some('+' | '-')) || is_number_or_phone),
                    "{f}: live formula {cell:?}"
                );
            }
        }
    }
    let cards = read_csv(&wd.path("out/cards.csv"));
    let evil = cards.iter().find(|c| c["id"] == "1110").unwrap();
    assert_eq!(evil["name"], "'=HYPERLINK(\"http://evil.example\",\"Скидка\")");
}

#[test]
fn rejects_file_and_bad_config() {
    let wd = Workdir::new();
    wd.write("in.csv", "ID;Название компании;ИНН\n1;Ромашка;7707083893\n2;Лютик\n3;Колос;\n");
    let run = wd.run(&["dedup", "in.csv", "--out", "out"]).success();
    assert!(run.stderr().contains("read 3 = accepted 2 + rejected 1"), "{}", run.stderr());
    let rejects = read_csv(&wd.path("out/rejects.csv"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"], "3");

    wd.write("bad.toml", "[weights]\nphnoe = 1\n");
    let err = wd.run(&["dedup", "in.csv", "--out", "out", "--config", "bad.toml"]).fails_with(1).stderr();
    assert!(err.contains("bad.toml") && err.contains("phnoe"), "{err}");
}
