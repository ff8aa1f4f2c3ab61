//! The managers' check against the matcher: a card asked with its own values finds its own firm, the nightly
//! run's configuration reaches the scores, and what managers read is pinned by snapshots.

use std::collections::BTreeMap;

use crate::workdir::{Workdir, fixture, read_csv};

const TODAY: &str = "2026-11-01";

fn check_json(wd: &Workdir, state: &str, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["check", "--state", state, "--json", "--today", TODAY];
    a.extend(args);
    serde_json::from_str(&wd.run(&a).success().stdout()).unwrap()
}

#[test]
fn a_card_asked_with_its_own_values_finds_its_own_firm() {
    let wd = Workdir::new();
    wd.run(&["synth", "--cards", "3000", "--seed", "11", "--out", "base", "--formats", "canonical", "-q"]).success();
    wd.run(&["dedup", "base/crm.csv", "--out", "out", "--state", "state.db", "--today", TODAY, "-q"]).success();
    let cards = read_csv(&wd.path("out/cards.csv"));
    let first = |s: &str| s.split("; ").next().unwrap_or("").to_string();
    // 300 cards, every tenth.
    let sample: Vec<&BTreeMap<String, String>> = cards.iter().step_by(cards.len() / 300).take(300).collect();
    assert_eq!(sample.len(), 300);
    let mut found = 0;
    let mut misses = Vec::new();
    for c in &sample {
        let mut args: Vec<String> = Vec::new();
        for (flag, v) in [
            ("--name", c["name"].clone()),
            ("--inn", c["inn"].clone()),
            ("--phone", first(&c["phones"])),
            ("--email", first(&c["emails"])),
        ] {
            if !v.is_empty() {
                args.extend([flag.to_string(), v]);
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let a = check_json(&wd, "state.db", &args);
        if a["found"] == true && a["matches"][0]["firm_id"] == c["firm_id"].as_str() {
            found += 1;
        } else {
            misses.push(format!("card {} {:?} in {}: {}", c["id"], args, c["firm_id"], a["verdict"]));
        }
    }
    assert!(found >= 297, "{found}/300 found with their own firm; misses:\n{}", misses.join("\n"));
}

#[test]
fn a_weight_of_the_nightly_config_changes_the_score() {
    let wd = Workdir::new();
    let input = fixture("demo/crm.csv");
    let input = input.to_str().unwrap();
    wd.run(&["dedup", input, "--state", "a.db", "--out", "a", "--today", TODAY, "-q"]).success();
    wd.write("c.toml", "[weights]\nphone = 1.7\n");
    wd.run(&["dedup", input, "--state", "b.db", "--out", "b", "--config", "c.toml", "--today", TODAY, "-q"]).success();
    // The owner's mobile of Ромашка, on one firm: the score is the phone's weight.
    let score =
        |db: &str| check_json(&wd, db, &["--phone", "8 916 111 22 33"])["matches"][0]["score"].as_f64().unwrap();
    assert_eq!(score("a.db"), 1.0);
    assert_eq!(score("b.db"), 1.7);
}

#[test]
fn a_state_without_a_stored_config_uses_the_defaults() {
    let wd = Workdir::new();
    let input = fixture("demo/crm.csv");
    wd.run(&["dedup", input.to_str().unwrap(), "--state", "s.db", "--out", "o", "--today", TODAY, "-q"]).success();
    let before = check_json(&wd, "s.db", &["--phone", "8 916 111 22 33"]);
    let conn = rusqlite::Connection::open(wd.path("s.db")).unwrap();
    conn.execute("DELETE FROM meta WHERE key = 'config'", []).unwrap();
    drop(conn);
    assert_eq!(check_json(&wd, "s.db", &["--phone", "8 916 111 22 33"]), before);
}

#[test]
fn check_text_and_json_snapshots() {
    let wd = Workdir::new();
    let input = fixture("demo/crm.csv");
    wd.run(&["dedup", input.to_str().unwrap(), "--state", "state.db", "--out", "out", "--today", TODAY, "-q"])
        .success();
    let text = |args: &[&str]| {
        let mut a = vec!["check", "--state", "state.db", "--today", TODAY];
        a.extend(args);
        wd.run(&a).success().stdout()
    };
    insta::assert_snapshot!("check_name_ru", text(&["--name", "Romashka", "--manager", "petrov"]));
    insta::assert_snapshot!("check_name_en", text(&["--name", "Romashka", "--manager", "petrov", "--lang", "en"]));
    insta::assert_snapshot!(
        "check_new_firm_ru",
        text(&["--name", "ООО «Рога и копыта»", "--phone", "+7 495 000-11-22"])
    );
    insta::assert_snapshot!("check_phone_ext_ru", text(&["--phone", "8 916 111 22 33 д.869"]));
    let json = check_json(&wd, "state.db", &["--phone", "8 (846) 200-10-01", "--manager", "kozlov"]);
    insta::assert_snapshot!("check_stale_json", serde_json::to_string_pretty(&json).unwrap());
}

/// The server's names in memory ([`firmdedup::check::NameIndex`]) answer every question exactly as the state
/// read at each question does: the same JSON, byte for byte, for the generated questions (names alone, names
/// with values the base lacks, new firms), plus typos, brands and a manager at his limit.
#[test]
fn names_held_in_memory_answer_as_the_state_does() {
    use firmdedup::check::{self, Lang, NameIndex, Query};
    let wd = Workdir::new();
    wd.run(&[
        "synth",
        "--cards",
        "4000",
        "--seed",
        "5",
        "--out",
        "base",
        "--formats",
        "canonical",
        "--queries",
        "300",
        "-q",
    ])
    .success();
    wd.run(&["dedup", "base/crm.csv", "--out", "out", "--state", "state.db", "--today", TODAY, "-q"]).success();
    let conn = firmdedup::state::open_read_only(&wd.path("state.db")).unwrap();
    let index = NameIndex::read(&conn).unwrap();
    assert!(index.firms() > 1000, "{} firms", index.firms());
    let dict = firmdedup::dict::Dictionaries::embedded();
    let today = chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let opt = |r: &BTreeMap<String, String>, k: &str| r.get(k).filter(|v| !v.is_empty()).cloned();
    let mut questions: Vec<Query> = read_csv(&wd.path("base/queries.csv"))
        .iter()
        .map(|r| Query {
            name: opt(r, "name"),
            inn: opt(r, "inn"),
            phone: opt(r, "phone"),
            email: opt(r, "email"),
            website: opt(r, "website"),
            brand: opt(r, "brand"),
            contact: opt(r, "contact"),
            manager: None,
        })
        .collect();
    // The cards' own names with a letter dropped, and asked as brands, by a manager.
    let cards = read_csv(&wd.path("out/cards.csv"));
    for r in cards.iter().step_by(97) {
        let name = r["name"].clone();
        let typo: String =
            name.chars().enumerate().filter(|(i, _)| *i != name.chars().count() / 2).map(|(_, c)| c).collect();
        questions.push(Query { name: Some(typo), manager: Some(r["manager"].clone()), ..Query::default() });
        questions.push(Query { brand: Some(name), ..Query::default() });
    }
    let (mut found, mut same) = (0, 0);
    for q in &questions {
        let a = check::check_in(&conn, dict, q, today, 5, Lang::Ru);
        let b = check::check_with(&conn, &index, dict, q, today, 5, Lang::Ru);
        match (a, b) {
            (Ok(a), Ok(b)) => {
                assert_eq!(check::answer_json(&a), check::answer_json(&b), "{q:?}");
                found += usize::from(a.found);
                same += 1;
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{q:?}"),
            (a, b) => panic!("{q:?}: {:?} / {:?}", a.map(|x| x.found), b.map(|x| x.found)),
        }
    }
    assert!(same > 300 && found > 100, "{same} answered, {found} found");
}

#[test]
fn a_person_written_as_asked_comes_before_a_surname_one_typo_away() {
    let wd = Workdir::new();
    wd.write(
        "crm.csv",
        "id,name,phones,manager,last_activity\n\
         1,ИП Рианов П.И.,+7 495 111-22-33,petrov,2026-10-20\n\
         2,ИП Сяанов П.И.,+7 495 444-55-66,ivanova,2026-10-20\n",
    );
    wd.run(&["dedup", "crm.csv", "--out", "out", "--state", "state.db", "--today", TODAY, "-q"]).success();
    let cards = read_csv(&wd.path("out/cards.csv"));
    let firm_of = |id: &str| cards.iter().find(|c| c["id"] == id).unwrap()["firm_id"].clone();
    assert_ne!(firm_of("1"), firm_of("2"));
    // Asked alone and with a phone the base does not hold: the firm written exactly so comes first.
    for extra in [&[][..], &["--phone", "+7 999 000-00-00"][..]] {
        let mut args = vec!["--name", "ИП Рианов П.И."];
        args.extend(extra);
        let a = check_json(&wd, "state.db", &args);
        assert_eq!(a["matches"][0]["firm_id"], firm_of("1").as_str(), "{args:?}: {a}");
    }
}

#[test]
fn a_phone_on_too_many_firms_to_tell_is_never_called_free() {
    let wd = Workdir::new();
    // An agency's phone on the cards of seven unrelated clients (more than `generic.max_entities`, five), two of
    // them held.
    let mut csv = "id,name,phones,manager,last_activity\n".to_string();
    for (i, name) in
        ["Ромашка", "Лютик", "Василёк", "Одуванчик", "Колокольчик", "Ландыш", "Незабудка"].iter().enumerate()
    {
        let manager = if i < 2 { "petrov" } else { "" };
        csv.push_str(&format!("{},ООО {name},\"+7 495 754-00-98; +7 495 100-00-0{i}\",{manager},2026-10-20\n", i + 1));
    }
    wd.write("crm.csv", &csv);
    wd.run(&["dedup", "crm.csv", "--out", "out", "--state", "state.db", "--today", TODAY, "-q"]).success();
    let a = check_json(&wd, "state.db", &["--phone", "8 (495) 754-00-98"]);
    assert_eq!(a["found"], false, "{a}");
    let verdict = a["verdict"].as_str().unwrap();
    assert!(verdict.starts_with("Не определить: телефон из вопроса есть у 7 фирм базы"), "{verdict}");
    // The firms carrying it are listed, the held ones among them.
    let listed = a["matches"].as_array().unwrap();
    assert_eq!(listed.len(), 5, "{a}");
    assert!(listed.iter().any(|m| m["owner"] == "petrov"), "{a}");
    // Its own phone still finds the firm.
    let own = check_json(&wd, "state.db", &["--phone", "+7 495 100-00-00"]);
    assert_eq!(own["found"], true, "{own}");
    assert_eq!(own["matches"][0]["name"], "ООО «Ромашка»", "{own}");
}

#[test]
fn a_held_client_asked_by_its_brand_or_brand_and_name_is_never_called_free() {
    let wd = Workdir::new();
    // ООО «Трапеза» trades as «Пицца Фан»: its cards write the brand beside the legal name; held by petrov.
    wd.write(
        "crm.csv",
        "id,name,inn,phones,manager,last_activity\n\
         1,ООО «Трапеза»,7701020015,+7 495 200-11-22,petrov,2026-10-20\n\
         2,Пицца Фан - ООО «Трапеза»,,+7 495 200-11-22,petrov,2026-10-20\n\
         3,ООО «Кофейня плюс»,7701020022,+7 495 200-33-44,ivanov,2026-10-20\n",
    );
    wd.run(&["dedup", "crm.csv", "--out", "out", "--state", "state.db", "--today", TODAY, "-q"]).success();
    for asked in ["Пицца Фан", "Пицца Фан - ООО Трапеза", "Пицца Фан / ООО «Трапеза»"]
    {
        let a = check_json(&wd, "state.db", &["--name", asked]);
        let first = &a["matches"][0];
        assert_eq!(first["name"], "ООО «Трапеза»", "{asked}: {a}");
        assert_eq!(first["owner"], "petrov", "{asked}: {a}");
        assert!(!a["verdict"].as_str().unwrap().starts_with("Фирма свободна"), "{asked}: {a}");
    }
}

#[test]
fn a_name_carrying_an_inn_is_asked_by_that_inn_too() {
    // A manager pastes a name with requisites from an invoice: the ИНН in it is asked, so a held firm is never
    // "free" because the name before it is another.
    let wd = Workdir::new();
    wd.write(
        "crm.csv",
        "id,name,inn,phones,manager,last_activity\n\
         1,ООО «Ромашка»,7707083893,+7 495 111-22-33,petrov,2026-10-20\n\
         2,ООО «Ромашка» ИНН 7707083893,,,petrov,2026-10-21\n",
    );
    wd.run(&["dedup", "crm.csv", "--out", "out", "--state", "state.db", "--today", TODAY, "-q"]).success();
    let cards = read_csv(&wd.path("out/cards.csv"));
    assert_eq!(cards[0]["firm_id"], cards[1]["firm_id"], "the card with the ИНН in its name is the same firm");
    let a = check_json(&wd, "state.db", &["--name", "ООО «Василёк» (ИНН 7707083893)"]);
    assert_eq!(a["found"], true, "{a}");
    assert_eq!(a["matches"][0]["firm_id"], cards[0]["firm_id"].as_str(), "{a}");
    assert_eq!((a["matches"][0]["found_by"].as_str(), a["matches"][0]["status"].as_str()), (Some("inn"), Some("held")));
    assert!(a["matches"][0]["evidence"].to_string().contains("ИНН 7707083893"), "the answer says it is the ИНН: {a}");
}
