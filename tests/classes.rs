//! Regression tests for the failure classes a–i of issue 11 (matching on bases the matcher was not tuned on), and
//! for the habits of real bases found since (named after what they check).
//! Each test writes a few hand-written fictional cards, runs `firmdedup dedup` and checks the grouping.

use std::collections::BTreeMap;

use crate::workdir::{Workdir, read_csv};

const HEADER: &str = "id,name,inn,kpp,ogrn,brand,address,phones,emails,website,contacts,manager,last_activity\n";

/// Runs dedup on the rows; returns card id → (entity id, firm id).
fn dedup(rows: &str) -> (Workdir, BTreeMap<String, (String, String)>) {
    let wd = Workdir::new();
    wd.write("crm.csv", format!("{HEADER}{rows}"));
    wd.run(&["dedup", "crm.csv", "--out", "out", "-q"]).success();
    let got = read_csv(&wd.path("out/cards.csv"))
        .into_iter()
        .map(|r| (r["id"].clone(), (r["entity_id"].clone(), r["firm_id"].clone())))
        .collect();
    (wd, got)
}

#[test]
fn class_a_branch_tags_in_the_name() {
    let (_wd, g) = dedup(
        "1,ООО «Бюро Капустина» - Лпц,,,,,,+7 4742 55-12-01,,,,ivanov,\n\
         2,ООО «Бюро Капустина»,7701001012,,,,,+7 4742 55-12-01,info@kapustin-buro.ru,,,petrov,\n\
         3,ООО «Бюро Капустина» (Мурманск),,,,,,,info@kapustin-buro.ru,,,petrov,\n\
         4,Бюро Капустина филиал Ростов,,,,,,+7 4742 55-12-01,,,,sidorov,\n\
         5,ООО «Бюро Капустина»,,,,,,,info@kapustin-buro.ru,,,sidorov,\n\
         6,ООО «Бюро Капустина» г. Самара,,,,,,,info@kapustin-buro.ru,,,sidorov,\n\
         7,ООО «Бюро Капустина» Самарский филиал,,,,,,,info@kapustin-buro.ru,,,sidorov,\n\
         8,ООО «Бюро Капустина» (ф-л Пермь),,,,,,,info@kapustin-buro.ru,,,sidorov,\n\
         9,ООО «Бюро Капустина» - Н.Новгород,,,,,,,info@kapustin-buro.ru,,,sidorov,\n\
         10,\"ООО «Бюро Капустина» (Москва, ТЦ Мега)\",,,,,,,info@kapustin-buro.ru,,,sidorov,\n",
    );
    for id in ["1", "3", "4", "5", "6", "7", "8", "9", "10"] {
        assert_eq!(g[id].0, g["2"].0, "card {id} is the legal entity of card 2 (a branch tag is not the name)");
    }
}

#[test]
fn class_b_brand_with_the_legal_name_in_brackets() {
    let (_wd, g) = dedup(
        "1,Сибмаркет Сити (ООО «Сибмаркет»),,,,,,+7 383 210-11-22,,,,ivanov,\n\
         2,ООО «Сибмаркет»,5402002021,,,,,+7 383 210-11-22,,,,petrov,\n",
    );
    assert_eq!(g["1"].0, g["2"].0, "the bracketed legal name is the card's name");
}

#[test]
fn class_c_a_unique_distinctive_name_alone() {
    let (_wd, g) = dedup(
        "1,ООО «Зеленодар»,6321003036,,,,\"г. Тольятти, ул. Мира, д. 3\",+7 8482 40-50-60,,,,ivanov,\n\
         2,Зеленодар,,,,,,,,,,petrov,\n\
         3,ООО «Кварцит»,6315004049,,,,,+7 846 200-00-01,,,,ivanov,\n\
         4,Кварцит,,,,,,+7 846 999-99-99,,,,petrov,\n",
    );
    assert_eq!(g["1"].0, g["2"].0, "a card with only a unique name joins the one legal entity of that name");
    assert_ne!(g["3"].0, g["4"].0, "a card with a phone of its own must prove it by a contact");
}

#[test]
fn class_c_bare_cards_join_when_the_other_writers_of_the_name_are_in_its_city() {
    // One legal entity with ИНН in St Petersburg; two cards with the name only; one more card of the name without
    // ИНН with a phone of its own in St Petersburg (nothing shows a second company of that name).
    let (_wd, g) = dedup(
        "1,ООО «Зякрабяар»,7801020114,,,,\"г. Санкт-Петербург, ул. Калинина, д. 95, оф. 212\",,,,,ivanov,\n\
         2,ООО «Зякрабяар»,,,,,,,,,,petrov,\n\
         3,Зякрабяар,,,,,,+7 812 555-12-34,,,,sidorov,\n\
         4,\"ООО \"\"Зякрабяар\"\"\",,,,,,,,,,petrov,\n\
         5,ООО «Фьордеста»,6315005050,,,,\"г. Самара, ул. Ленина, д. 10, оф. 5\",,,,,ivanov,\n\
         6,ООО «Фьордеста»,,,,,,,,,,petrov,\n\
         7,Фьордеста,,,,,,+7 343 555-12-34,,,,sidorov,\n\
         8,ООО «Медмонтаж»,7701017407,,,,\"г. Москва, ул. Тверская, д. 5, оф. 1\",,,,,ivanov,\n\
         9,ООО «Медмонтаж»,,,,,,,,,,petrov,\n\
         10,Медмонтаж,,,,,,+7 495 555-12-34,,,,sidorov,\n\
         11,ООО «Медлюкс»,7701017414,,,,,+7 495 100-00-01,,,,ivanov,\n\
         12,ООО «Сибмонтаж»,7701017421,,,,,+7 495 100-00-02,,,,ivanov,\n",
    );
    assert_eq!(g["1"].0, g["2"].0, "a bare card joins the one legal entity of its name");
    assert_eq!(g["1"].0, g["4"].0, "a bare card joins the one legal entity of its name");
    assert_ne!(g["1"].0, g["3"].0, "a card with a phone of its own still needs a contact");
    assert_ne!(g["5"].0, g["6"].0, "another writer of the name is placed in another city: maybe a second company");
    assert_ne!(g["8"].0, g["9"].0, "a name built of parts other names use (Мед-, -монтаж) is often two companies'");
}

#[test]
fn class_c_bare_cards_join_the_one_legal_entity_of_their_name_once_its_other_cards_are_grouped() {
    // Before clustering, card 2 (the name and a phone, no ИНН) may be a second company of the name «Медмонтаж» (a
    // name built of parts other names use, which two companies often share), so the bare card 3 is not joined by
    // the name then. Clustering shows card 2 is the legal entity of card 1 (their phone): one legal entity writes
    // the name, and card 3 joins it. Where a second company of the name stays apart (7), or another legal entity
    // writes the name's only word in a longer name (10), the bare card stays apart.
    let (wd, g) = dedup(
        "1,ООО «Медмонтаж»,7701017407,,,,,+7 495 555-12-34,,,,ivanov,\n\
         2,Медмонтаж,,,,,,+7 495 555-12-34,,,,sidorov,\n\
         3,ООО «Медмонтаж»,,,,,,,,,,petrov,\n\
         4,ООО «Медлюкс»,7701017414,,,,,+7 495 100-00-01,,,,ivanov,\n\
         5,ООО «Сибмонтаж»,7701017421,,,,,+7 495 100-00-02,,,,ivanov,\n\
         6,ООО «Фьордеста»,6315005050,,,,\"г. Самара, ул. Ленина, д. 10, оф. 5\",+7 846 200-00-01,,,,ivanov,\n\
         7,Фьордеста,,,,,,+7 343 555-12-34,,,,sidorov,\n\
         8,ООО «Фьордеста»,,,,,,,,,,petrov,\n\
         9,ООО «Кворнета»,7701017439,,,,,+7 495 100-00-03,,,,ivanov,\n\
         10,ООО «Кворнета Сервис»,7701017446,,,,,+7 495 100-00-04,,,,ivanov,\n\
         11,ООО «Кворнета»,,,,,,,,,,petrov,\n",
    );
    assert_eq!(g["1"].0, g["2"].0, "the same name and phone");
    assert_eq!(g["3"].0, g["1"].0, "the bare card joins the one legal entity writing its name");
    assert_ne!(g["7"].0, g["6"].0, "a card of the name with a phone of another city: maybe a second company");
    assert_ne!(g["8"].0, g["6"].0, "two legal entities write the name: the bare card cannot tell which");
    assert_ne!(g["8"].0, g["7"].0, "two legal entities write the name: the bare card cannot tell which");
    assert_ne!(g["11"].0, g["9"].0, "«Кворнета Сервис» writes the word too: the name alone does not single one out");
    let s: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    assert_eq!(s["matching"]["learned_name_alone"]["joined_once_grouped"], 1, "{s}");
    // explain tells why the bare card is joined without a contact.
    let text = wd.run(&["explain", "crm.csv", "3", "1"]).success().stdout();
    assert!(text.contains("joined without a contact: the same distinctive name"), "{text}");
    assert!(text.contains("joined once legal entities were grouped"), "{text}");
}

#[test]
fn class_d_a_misspelt_name_with_the_same_office_or_director() {
    let (_wd, g) = dedup(
        "1,ООО «Экомонтаж»,6315004049,,,,\"г. Самара, ул. Ленина, д. 10, оф. 5\",+7 846 300-10-10,,,,ivanov,\n\
         2,Экомонатж,,,,,\"г. Самара, ул. Ленина, д. 10, оф. 5\",,,,,petrov,\n\
         3,ООО «Видеми-Инвест»,7714005053,,,,,+7 495 600-70-80,,,Сорокин Павел Андреевич,ivanov,\n\
         4,Видеми-Инвсет,,,,,,,,,Сорокин П.А.,petrov,\n",
    );
    assert_eq!(g["1"].0, g["2"].0, "one typo and the same office");
    assert_eq!(g["3"].0, g["4"].0, "one typo and the same director with both initials");
}

#[test]
fn class_e_surname_only_people_do_not_fuse() {
    let (_wd, g) = dedup(
        "1,ИП Полякова Елена Антоновна,770100011137,,,,,+7 916 100-00-01,,,,ivanov,\n\
         2,ИП Полякова Ольга Ивановна,770100022202,,,,,+7 916 100-00-02,,,,petrov,\n\
         3,ИП Полякова,,,,,,+7 916 100-00-01,,,Полякова,sidorov,\n\
         4,ООО «Тверьлес»,6901007073,,,,,+7 4822 11-11-11,,,Беспалов,ivanov,\n\
         5,ИП Беспалов Игорь Олегович,690100033331,,,,,+7 915 200-00-01,,,Беспалов,ivanov,\n\
         6,ООО «Кромика»,6901008084,,,,,+7 4822 22-22-22,,,Беспалов,petrov,\n\
         7,ИП Беспалов Артём Сергеевич,690100044407,,,,,+7 915 300-00-01,,,Беспалов,petrov,\n",
    );
    assert_ne!(g["1"].1, g["2"].1, "two different Полякова are two firms");
    assert_ne!(g["5"].1, g["7"].1, "two different Беспалов: a surname root of an ИП is no firm link");
    assert_ne!(g["4"].1, g["6"].1, "a surname-only contact links nothing");
    // But a surname-only ИП sharing a phone with an ИП of that surname is that ИП (card 3 and card 1).
    assert_eq!(g["3"].0, g["1"].0, "«ИП Полякова» with Елена Антоновна's phone is her card");
}

#[test]
fn class_e_a_surname_only_ip_joins_the_person_it_shares_a_contact_with_not_another() {
    let (_wd, g) = dedup(
        "1,ИП Смирнов Олег Петрович,770100040723,,,,,+7 916 307-33-44,,,,ivanov,\n\
         2,ИП Смирнов,,,,,,+7 916 307-33-44,,,,petrov,\n\
         3,ИП Смирнов Андрей Ильич,770100050834,,,,,+7 916 400-00-01,,,,ivanov,\n\
         5,ИП Смирнов,,,,,,,,,,petrov,\n",
    );
    assert_eq!(g["2"].0, g["1"].0, "the surname and a shared phone");
    assert_ne!(g["2"].0, g["3"].0, "another Смирнов shares nothing");
    assert_ne!(g["5"].0, g["1"].0, "a surname alone, with nothing shared, names no one in particular");
    assert_ne!(g["5"].0, g["3"].0, "a surname alone, with nothing shared, names no one in particular");
}

#[test]
fn class_f_an_accountants_domain_stays_generic_after_firm_rounds() {
    // Six small firms served by one accountant; two of them (1, 2) are one firm by their shared director.
    let inns = ["7901000111", "7901000182", "7901000256", "7901000320", "7901000390", "7901000464"];
    let names = ["Арвенто", "Арвенто Сервис", "Гладиум", "Дельтика", "Ёлочка Плюс", "Жемчуг-Нева"];
    let mut rows = String::new();
    for (i, (inn, name)) in inns.iter().zip(names).enumerate() {
        let contact = if i < 2 { "Трубецкой Аркадий Львович" } else { "" };
        rows.push_str(&format!(
            "{},ООО «{name}»,{inn},,,,,+7 4212 30-00-0{i},buh.{i}@balans79.ru,,{contact},ivanov,\n",
            i + 1
        ));
    }
    let (_wd, g) = dedup(&rows);
    assert_eq!(g["1"].1, g["2"].1, "the shared director and name root join the firm");
    for a in 3..=6 {
        for b in a + 1..=6 {
            assert_ne!(g[&a.to_string()].1, g[&b.to_string()].1, "{a} and {b} share only the accountant");
        }
        assert_ne!(g[&a.to_string()].1, g["1"].1, "{a} shares only the accountant with firm 1");
    }
}

#[test]
fn class_g_a_sisters_inn_typed_on_one_card() {
    let (_wd, g) = dedup(
        "1,ООО «Ларинвест»,6901006062,,,,,+7 4822 50-50-50,,,,ivanov,\n\
         2,ООО «Пеликан Трейд»,6901006062,,,,,+7 4822 60-60-60,,,,petrov,\n\
         3,ООО «Пеликан Трейд»,,,,,,+7 4822 60-60-60,,,,petrov,\n",
    );
    assert_ne!(g["1"].0, g["2"].0, "the typed ИНН does not make Пеликан the legal entity Ларинвест");
    assert_eq!(g["2"].0, g["3"].0, "the outlier card goes with its name");
    assert_eq!(g["1"].1, g["2"].1, "a sister's ИНН typed on a card is firm evidence: one firm");
}

#[test]
fn class_g_a_sisters_inn_typed_on_a_card_of_one_name_root() {
    // ООО «Флявлича» (7701007712) and its sister МУП «Флявлича-Трейд» (5201034337); card 5 writes the first name
    // with the sister's ИНН. The names share a word, so only the name written exactly so under the other ИНН
    // tells the typed ИНН. ООО «Ромашка» and «Ромашка Трейд» on one ИНН, the short name under no other ИНН: one
    // legal entity written two ways.
    let (_wd, g) = dedup(
        "1,ООО «Флявлича»,7701007712,,,,,+7 831 250-50-50,,,,ivanov,\n\
         2,ООО «Флявлича»,7701007712,,,,,+7 831 250-50-50,,,,ivanov,\n\
         3,МУП «Флявлича-Трейд»,5201034337,,,,,+7 831 260-60-60,,,,petrov,\n\
         4,МУП «Флявлича-Трейд»,5201034337,,,,,+7 831 260-60-60,,,,petrov,\n\
         5,ООО «Флявлича»,5201034337,,,,,+7 831 250-50-50,,,,sidorov,\n\
         6,ООО «Ромашка»,6601018109,,,,,+7 343 270-70-70,,,,ivanov,\n\
         7,ООО «Ромашка Трейд»,6601018109,,,,,+7 343 280-80-80,,,,ivanov,\n",
    );
    assert_ne!(g["1"].0, g["3"].0, "the typed ИНН does not make the two sisters one legal entity");
    assert_eq!(g["3"].0, g["4"].0);
    assert_ne!(g["5"].0, g["3"].0, "the card with the sister's ИНН is not the sister's");
    assert_eq!(g["5"].0, g["1"].0, "it goes with its name and phone");
    assert_eq!(g["1"].1, g["3"].1, "a sister's ИНН typed on a card is firm evidence: one firm");
    assert_eq!(g["6"].0, g["7"].0, "a short name under no other ИНН stays with its ИНН");
}

#[test]
fn class_g_a_typed_inn_is_firm_evidence_unless_the_config_sets_it_to_nothing() {
    let rows = "1,ООО «Ларинвест»,6901006062,,,,,+7 4822 50-50-50,,,,ivanov,\n\
                2,ООО «Пеликан Трейд»,6901006062,,,,,+7 4822 60-60-60,,,,petrov,\n\
                3,ООО «Пеликан Трейд»,,,,,,+7 4822 60-60-60,,,,petrov,\n";
    let (wd, g) = dedup(rows);
    assert_eq!(g["1"].1, g["3"].1);
    let links = std::fs::read_to_string(wd.path("out/links.csv")).unwrap();
    assert!(links.contains("INN of one typed on a card of the other: 6901006062"), "{links}");
    wd.write("typed.toml", "[weights]\ntyped_inn = 0.0\n");
    wd.run(&["dedup", "crm.csv", "--out", "out2", "--config", "typed.toml", "-q"]).success();
    let firms: BTreeMap<String, String> =
        read_csv(&wd.path("out2/cards.csv")).into_iter().map(|r| (r["id"].clone(), r["firm_id"].clone())).collect();
    assert_ne!(firms["1"], firms["3"], "weights.typed_inn = 0: the typed ИНН alone joins nothing");
}

#[test]
fn class_h_a_hub_name_with_a_reception_phone() {
    // Thirty «Вектор» without ИНН in one business centre: fifteen true clients of two cards each (a mobile of
    // their own), all with the centre's reception phone.
    let mut rows = String::new();
    for i in 0..30 {
        rows.push_str(&format!(
            "{},ООО «Вектор»,,,,,,+7 495 765-43-21; +7 916 400-00-{:02},,,,m{},\n",
            i + 1,
            i / 2,
            i % 3
        ));
    }
    let (wd, g) = dedup(&rows);
    for i in (1..=30).step_by(2) {
        assert_eq!(g[&i.to_string()].0, g[&(i + 1).to_string()].0, "cards {i} and {} share their mobile", i + 1);
    }
    let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, f) in g.values() {
        *sizes.entry(f.as_str()).or_default() += 1;
    }
    let largest = sizes.values().max().copied().unwrap_or(0);
    assert!(largest <= 4, "no firm larger than twice the largest true firm (2 cards): {largest}");
    let links = wd.read("out/links.csv");
    assert!(
        !links.lines().any(|l| l.contains("74957654321") && l.contains("(1.00)")),
        "the reception phone never counts at full weight:\n{links}"
    );
}

#[test]
fn class_h_a_big_clients_many_cards_without_inn_are_one_legal_entity_not_a_hub() {
    // One retailer typed by every manager: thirty cards of one name without ИНН, the corporate domain on most,
    // the main phone on half, and its card with ИНН; another whose cards with ИНН are a third of them. Beside it, thirty «Вектор» of fifteen companies, each pair
    // with its own domain and all with one reception phone: a hub, as before.
    let mut rows = String::from("1,АО «Тандер»,2310031475,,,,,+7 861 210-98-10,info@tander.ru,,,ivanov,\n");
    let forms = ["АО «Тандер»", "Тандер", "АО Тандер", "Тандер, АО", "\"\"\"Тандер\"\"\""];
    for i in 2..32 {
        let phone = if i % 2 == 1 { "+7 861 210-98-10" } else { "" };
        let email = match i % 3 {
            0 if phone.is_empty() => "zakupki@tander.ru",
            0 => "",
            1 => "info@tander.ru",
            _ => "reklama@tander.ru",
        };
        rows += &format!("{i},{},,,,,,{phone},{email},,,m{},\n", forms[i % 5], i % 7);
    }
    for i in 0..30 {
        rows += &format!("{},ООО «Вектор»,,,,,,+7 495 765-43-21,office@vektor{}.ru,,,m{},\n", 100 + i, i / 2, i % 3);
    }
    // Another big client with no domain at all: its ИНН on eight of its twenty-four cards, its phone on most.
    for i in 0..24 {
        let inn = if i % 3 == 0 { "7701018880" } else { "" };
        let phone = if i % 4 == 3 { "" } else { "+7 495 444-55-66" };
        rows += &format!("{},ООО «Пебренем»,{inn},,,,,{phone},,,,m{},\n", 200 + i, i % 5);
    }
    let (_wd, g) = dedup(&rows);
    for i in 2..32 {
        assert_eq!(g[&i.to_string()].0, g["1"].0, "card {i} is the retailer's");
    }
    for i in (201..224).filter(|i| (i - 200) % 4 != 3) {
        assert_eq!(g[&i.to_string()].0, g["200"].0, "card {i} is Пебренем's: one ИНН on a third of its cards");
    }
    for i in (100..130).step_by(2) {
        assert_eq!(g[&i.to_string()].0, g[&(i + 1).to_string()].0, "cards {i} and {} share their domain", i + 1);
        if i + 2 < 130 {
            assert_ne!(g[&i.to_string()].1, g[&(i + 2).to_string()].1, "two «Вектор» of different domains");
        }
    }
}

#[test]
fn class_i_placeholder_inn_never_identifies() {
    let (_wd, g) = dedup(
        "1,ООО «Альтаир»,0000000000,,,,,+7 812 100-00-01,,,,ivanov,\n\
         2,ООО «Бризолит»,0000000000,,,,,+7 812 200-00-02,,,,petrov,\n\
         3,ИП Кравец Олег Олегович,000000000000,,,,,+7 921 100-00-01,,,,ivanov,\n\
         4,ИП Шмелёва Анна Юрьевна,000000000000,,,,,+7 921 200-00-02,,,,petrov,\n\
         5,ООО «Корвет»,1111111111,,,,,+7 812 300-00-03,,,,ivanov,\n\
         6,ООО «Сапфирон»,1111111111,,,,,+7 812 400-00-04,,,,petrov,\n",
    );
    assert_ne!(g["1"].0, g["2"].0);
    assert_ne!(g["3"].0, g["4"].0);
    assert_ne!(g["5"].0, g["6"].0);
}

/// A base of `names` made-up company names, each written on two cards with ИНН: under one ИНН (`shared` false)
/// or under two ИНН of one legal form (`shared` true); plus card 9001, the first name without ИНН and with a
/// phone of its own, and cards 9002/9003, a name no card with ИНН writes, with two different phones.
fn labelled_names_base(names: usize, shared: bool) -> String {
    let syl = ["ба", "ве", "гро", "ду", "жи", "зо", "ки", "лу", "мя", "но", "пре", "ры", "сё", "ту", "фа", "хо"];
    let word = |i: usize| {
        let w = format!("{}{}{}", syl[i % 16], syl[(i / 16) % 16], syl[(i * 7 + 3) % 16]);
        let mut c = w.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
    };
    let inn = |k: usize| firmdedup::normalize::ids::inn10_with_check(&format!("77{:07}", 1000 + k)).unwrap();
    let mut rows = String::new();
    for i in 0..names {
        let name = format!("Кор{}", word(i));
        let (a, b) = if shared { (inn(2 * i), inn(2 * i + 1)) } else { (inn(2 * i), inn(2 * i)) };
        rows += &format!("{},ООО «{name}»,{a},,,,,,,,,ivanov,\n", 2 * i + 1);
        rows += &format!("{},ООО «{name}»,{b},,,,,,,,,petrov,\n", 2 * i + 2);
    }
    rows += &format!("9001,Кор{},,,,,,+7 846 555-01-01,,,,sidorov,\n", word(0));
    rows += "9002,ООО «Вельмирстан»,,,,,,+7 846 555-02-02,,,,ivanov,\n";
    rows += "9003,Вельмирстан,,,,,,+7 846 555-03-03,,,,petrov,\n";
    rows
}

/// Compound names (a beginning and an ending other names of the base use: «Агромонтаж», «Газсервис») written
/// under two ИНН each, and as many coined names («Бошильтон») under one ИНН each; card 9001 writes the first
/// coined name without ИНН and with a phone of its own, card 9002 a compound name written under one ИНН, likewise.
fn coined_and_compound_base() -> String {
    let inn = |k: usize| firmdedup::normalize::ids::inn10_with_check(&format!("78{:07}", 1000 + k)).unwrap();
    let heads = ["агро", "газ", "мед", "строй", "тех", "пром"];
    let tails = ["монтаж", "сервис", "маш", "лес", "торг", "снаб", "проект"];
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
    };
    let mut rows = String::new();
    let mut id = 1;
    let mut row = |rows: &mut String, name: &str, inn: &str, phone: &str| {
        *rows += &format!("{id},ООО «{name}»,{inn},,,,,{phone},,,,ivanov,\n");
        id += 1;
    };
    // 40 compound names, each under two ИНН: companies of one name, as real bases have them.
    for (i, (h, t)) in heads.iter().flat_map(|h| tails.iter().map(move |t| (h, t))).take(40).enumerate() {
        let name = cap(&format!("{h}{t}"));
        row(&mut rows, &name, &inn(2 * i), "");
        row(&mut rows, &name, &inn(2 * i + 1), "");
    }
    // 40 coined names, each under one ИНН, their first three letters their own.
    let (cons, vowels) = (["б", "в", "д", "к", "л", "м", "р", "т"], ["а", "о", "у", "и", "е"]);
    let coined: Vec<String> = (0..40).map(|i| cap(&format!("{}{}шильтон", cons[i % 8], vowels[i / 8]))).collect();
    for (i, name) in coined.iter().enumerate() {
        row(&mut rows, name, &inn(100 + i), "");
        row(&mut rows, name, &inn(100 + i), "");
    }
    // A compound name under one ИНН.
    row(&mut rows, "Промснаб", &inn(500), "");
    row(&mut rows, "Промснаб", &inn(500), "");
    rows += &format!("9001,{},,,,,,+7 846 555-01-01,,,,sidorov,\n", coined[0]);
    rows += "9002,Промснаб,,,,,,+7 846 555-02-02,,,,sidorov,\n";
    rows
}

#[test]
fn class_c_bare_cards_of_a_name_no_other_legal_entity_writes_join_once_grouped() {
    // Cards 1 and 2 carry nothing but a name no other card writes, and no legal entity with a contact or an ИНН
    // writes it: they are one legal entity. Card 4 writes «Кравитон Групп» as only the legal entity of card 3
    // writes it; that another company is called «Кравитон» (5) does not make the whole name shared. Cards 6 and 7
    // write «Мирвела», a name contained in another company's «Мирвела Плюс» (8): they cannot tell which.
    let (wd, g) = dedup(
        "1,ООО «Тралеонт»,,,,,,,,,,ivanov,\n\
         2,Тралеонт,,,,,,,,,,petrov,\n\
         3,ООО «Кравитон Групп»,7701017407,,,,,+7 495 555-12-34,,,,ivanov,\n\
         4,Кравитон Групп,,,,,,,,,,petrov,\n\
         5,ООО «Кравитон»,7701017414,,,,,+7 495 100-00-01,,,,sidorov,\n\
         6,ООО «Мирвела»,,,,,,,,,,ivanov,\n\
         7,Мирвела,,,,,,,,,,petrov,\n\
         8,ООО «Мирвела Плюс»,,,,,,+7 495 100-00-02,,,,sidorov,\n",
    );
    assert_eq!(g["1"].0, g["2"].0, "two bare cards of a name no other legal entity writes");
    assert_eq!(g["4"].0, g["3"].0, "the whole name is written by one legal entity only");
    assert_ne!(g["4"].0, g["5"].0, "another company of the name's first word");
    assert_ne!(g["6"].0, g["7"].0, "«Мирвела Плюс» carries every word of «Мирвела»: the name alone singles no one out");
    assert_ne!(g["6"].0, g["8"].0);
    let s: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    assert_eq!(s["matching"]["learned_name_alone"]["joined_once_grouped"], 2, "{s}");
}

#[test]
fn class_c_a_card_without_inn_joins_the_one_legal_entity_of_its_name_when_nothing_it_carries_could_contradict() {
    // A base whose labelled names are mostly one company's (4 of 44 under two ИНН: the strict rule, but names are
    // not often shared). «Эколюкс»: the legal entity (1001) has an ИНН and a director; card 1002 has a phone and an
    // e-mail, no ИНН, and shares nothing with it. They alone write the name, and card 1002 carries no kind of
    // contact card 1001 has (no decision-maker to differ): nothing says it is another company, so it joins.
    // «Ротаквин»: the card without ИНН has a phone and the legal entity another phone — maybe a second company of
    // the name: apart. «Стелмира»: a third card writes the name with its own phone: the name singles no one out.
    // «Тревалис», no ИНН on either card: a phone on one, an e-mail on the other — joined; «Норвеста»: two phones.
    let inn = |k: usize| firmdedup::normalize::ids::inn10_with_check(&format!("54{:07}", 1000 + k)).unwrap();
    let mut rows = labelled_names_base(40, false);
    for (i, name) in ["Дравелон", "Крустави", "Мобрелия", "Фастеон"].iter().enumerate() {
        rows += &format!("{},ООО «{name}»,{},,,,,,,,,ivanov,\n", 101 + 2 * i, inn(10 + 2 * i));
        rows += &format!("{},ООО «{name}»,{},,,,,,,,,petrov,\n", 102 + 2 * i, inn(11 + 2 * i));
    }
    rows += &format!(
        "1001,ООО «Эколюкс»,{},,,,,,,,генеральный директор Тюхукая Жанна Максимовна,ivanov,\n\
         1002,Эколюкс,,,,,,+7 383 356-91-12,ekolux@yandex.ru,,,petrov,\n\
         1003,ООО «Ротаквин»,{},,,,,+7 383 210-00-01,,,,ivanov,\n\
         1004,ООО «Ротаквин»,,,,,,+7 383 210-77-02,,,,petrov,\n\
         1005,ООО «Стелмира»,{},,,,,,,,,ivanov,\n\
         1006,ООО «Стелмира»,,,,,,+7 383 210-00-05,,,,petrov,\n\
         1007,Стелмира,,,,,,+7 495 100-00-06,,,,sidorov,\n\
         1008,Тревалис,,,,,,+7 383 210-00-08,,,,ivanov,\n\
         1009,ООО «Тревалис»,,,,,,,trevalis@mail.ru,,,petrov,\n\
         1010,Норвеста,,,,,,+7 383 210-00-10,,,,ivanov,\n\
         1011,Норвеста,,,,,,+7 383 210-00-11,,,,petrov,\n",
        inn(1),
        inn(2),
        inn(3)
    );
    let (wd, g) = dedup(&rows);
    let learned = learned_name_alone(&wd);
    assert_eq!((learned["rule"].as_str(), learned["names_under_two_inn"].as_u64()), (Some("strict"), Some(4)));
    assert_eq!(learned["lone_contact"], true, "{learned}");
    assert_eq!(g["1002"].0, g["1001"].0, "the only other writer of the name, carrying no contact of a kind 1001 has");
    assert_ne!(g["1004"].0, g["1003"].0, "both carry a phone and the phones differ");
    assert_ne!(g["1006"].0, g["1005"].0, "three legal entities write the name");
    assert_ne!(g["1007"].0, g["1005"].0, "three legal entities write the name");
    assert_eq!(g["1009"].0, g["1008"].0, "no ИНН on either: a phone and an e-mail cannot contradict each other");
    assert_ne!(g["1011"].0, g["1010"].0, "no ИНН on either, and two different phones");
    let text = wd.run(&["explain", "crm.csv", "1002", "1001"]).success().stdout();
    assert!(text.contains("only two legal entities write the name"), "{text}");
    // Where the base shows names shared (every labelled name under two ИНН), such a card must prove itself.
    let (wd, g) = dedup(&(labelled_names_base(40, true) + &rows[rows.find("1001,").unwrap()..]));
    assert_eq!(learned_name_alone(&wd)["lone_contact"], false);
    assert_ne!(g["1002"].0, g["1001"].0, "names are shared by companies in this base");
    assert_ne!(g["1009"].0, g["1008"].0, "names are shared by companies in this base");
}

/// 40 distinctive names, each on two labelled cards with a phone each and none shared — both under one ИНН
/// (`one_inn`: a company's cards carry whichever phone the manager was given) or under two (two companies of one
/// name, told apart by their phones) — and four names under two ИНН with no contact (so names are shared often
/// enough that the name alone is not trusted whatever the cards carry).
fn differing_phones_base(one_inn: bool) -> String {
    let syl = ["ба", "ве", "гро", "ду", "жи", "зо", "ки", "лу", "мя", "но", "пре", "ры", "сё", "ту", "фа", "хо"];
    let inn = |k: usize| firmdedup::normalize::ids::inn10_with_check(&format!("63{:07}", 1000 + k)).unwrap();
    let mut rows = String::new();
    for i in 0..40 {
        let name = format!("Тал{}{}", syl[i % 16], syl[(i / 16 + 5) % 16]);
        let (a, b) = if one_inn { (inn(2 * i), inn(2 * i)) } else { (inn(2 * i), inn(2 * i + 1)) };
        rows += &format!("{},ООО «{name}»,{a},,,,,+7 846 6{i:02}-10-01,,,,ivanov,\n", 2 * i + 1);
        rows += &format!("{},ООО «{name}»,{b},,,,,+7 846 6{i:02}-20-02,,,,petrov,\n", 2 * i + 2);
    }
    for (i, name) in ["Дравелон", "Крустави", "Мобрелия", "Фастеон"].iter().enumerate() {
        rows += &format!("{},ООО «{name}»,{},,,,,,,,,ivanov,\n", 101 + 2 * i, inn(100 + 2 * i));
        rows += &format!("{},ООО «{name}»,{},,,,,,,,,petrov,\n", 102 + 2 * i, inn(101 + 2 * i));
    }
    rows
}

#[test]
fn class_c_two_legal_entities_of_one_name_join_though_their_phones_differ_where_the_base_shows_that_one_company() {
    // «Ротаквин»: a legal entity with ИНН and a phone, and a card without ИНН with another phone; they alone write
    // the name. Whether differing phones tell two companies apart is the base's to say: in a base whose labelled
    // cards of one name carry differing phones under one ИНН (40 of 40 pairs), they join; where such pairs are
    // two companies (0 of 40), they stay apart. «Стелмира»: three write the name — apart either way. «Норвеста»:
    // no ИНН on either card, two phones.
    let inn = |k: usize| firmdedup::normalize::ids::inn10_with_check(&format!("64{:07}", 1000 + k)).unwrap();
    let cases = format!(
        "1003,ООО «Ротаквин»,{},,,,,+7 383 210-00-01,,,,ivanov,\n\
         1004,ООО «Ротаквин»,,,,,,+7 383 210-77-02,rotakvin@mail.ru,,,petrov,\n\
         1005,ООО «Стелмира»,{},,,,,+7 383 210-00-05,,,,ivanov,\n\
         1006,ООО «Стелмира»,,,,,,+7 383 210-00-06,,,,petrov,\n\
         1007,Стелмира,,,,,,+7 495 100-00-07,,,,sidorov,\n\
         1010,Норвеста,,,,,,+7 383 210-00-10,,,,ivanov,\n\
         1011,Норвеста,,,,,,+7 383 210-00-11,,,,petrov,\n",
        inn(1),
        inn(2)
    );
    let learned = |wd: &Workdir| -> serde_json::Value {
        let s: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
        s["matching"]["learned_differing_contacts"].clone()
    };
    let (wd, g) = dedup(&(differing_phones_base(true) + &cases));
    let l = learned(&wd);
    assert_eq!((l["same_inn"].as_u64(), l["different_inn"].as_u64()), (Some(40), Some(0)), "{l}");
    assert_eq!((l["joins"].as_bool(), l["decided_by"].as_str()), (Some(true), Some("learned")), "{l}");
    assert_eq!(learned_name_alone(&wd)["rule"], "strict", "the name alone is not trusted in this base");
    assert_eq!(g["1004"].0, g["1003"].0, "the only two writers of the name; differing phones are one company here");
    assert_eq!(g["1011"].0, g["1010"].0, "no ИНН on either, the only two writers of the name");
    assert_ne!(g["1006"].0, g["1005"].0, "three legal entities write the name");
    assert_ne!(g["1007"].0, g["1006"].0, "three legal entities write the name");
    let text = wd.run(&["explain", "crm.csv", "1004", "1003"]).success().stdout();
    assert!(text.contains("though their contacts differ (40 of 40 labelled pairs"), "{text}");

    let (wd, g) = dedup(&(differing_phones_base(false) + &cases));
    let l = learned(&wd);
    assert_eq!((l["same_inn"].as_u64(), l["different_inn"].as_u64()), (Some(0), Some(40)), "{l}");
    assert_eq!(l["joins"], false, "{l}");
    assert_ne!(g["1004"].0, g["1003"].0, "differing phones tell two companies of one name apart in this base");
    assert_ne!(g["1011"].0, g["1010"].0, "differing phones tell two companies of one name apart in this base");
    // The configuration pins the rule whatever the base shows.
    wd.write("never.toml", "[thresholds]\ndiffering_contacts = \"never\"\n");
    wd.write("crm.csv", format!("{HEADER}{}{cases}", differing_phones_base(true)));
    wd.run(&["dedup", "crm.csv", "--out", "pinned", "-q", "--config", "never.toml"]).success();
    let s: serde_json::Value = serde_json::from_str(&wd.read("pinned/summary.json")).unwrap();
    assert_eq!(s["matching"]["learned_differing_contacts"]["decided_by"], "config");
    let pinned: BTreeMap<String, String> =
        read_csv(&wd.path("pinned/cards.csv")).into_iter().map(|r| (r["id"].clone(), r["entity_id"].clone())).collect();
    assert_ne!(pinned["1004"], pinned["1003"], "pinned to never");
}

#[test]
fn class_c_coined_names_alone_join_where_the_base_shows_them_unique_though_compound_names_are_shared() {
    let (wd, g) = dedup(&coined_and_compound_base());
    let learned = learned_name_alone(&wd);
    assert_eq!(learned["rule"], "strict", "{learned}");
    assert_eq!(learned["coined"]["rule"], "open", "{learned}");
    assert_eq!(learned["coined"]["names"], 40, "{learned}");
    assert_eq!(learned["coined"]["names_under_two_inn"], 0, "{learned}");
    assert_eq!(g["9001"].0, g["81"].0, "a coined name is one ИНН's in this base: the card joins it despite its phone");
    assert_ne!(g["9002"].0, g["161"].0, "compound names are shared here: a card with its own phone stays apart");
    let text = wd.run(&["explain", "crm.csv", "9001", "81"]).success().stdout();
    assert!(text.contains("coined names: open") && text.contains("0 of 40 coined"), "{text}");
}

fn learned_name_alone(wd: &Workdir) -> serde_json::Value {
    let s: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    s["matching"]["learned_name_alone"].clone()
}

#[test]
fn class_c_a_name_alone_joins_where_the_base_shows_names_are_unique() {
    let (wd, g) = dedup(&labelled_names_base(40, false));
    let learned = learned_name_alone(&wd);
    assert_eq!(learned["names"], 40, "{learned}");
    assert_eq!(learned["names_under_two_inn"], 0, "{learned}");
    assert_eq!(learned["rule"], "open", "{learned}");
    assert_eq!(learned["decided_by"], "learned", "{learned}");
    assert_eq!(g["9001"].0, g["1"].0, "the name is one ИНН's in this base: the card joins it despite its own phone");
    assert_eq!(g["9002"].0, g["9003"].0, "two cards of a name no other company writes are one legal entity");
    // explain says what taught it.
    let text = wd.run(&["explain", "crm.csv", "9001", "1"]).success().stdout();
    assert!(text.contains("name alone: open") && text.contains("0 of 40"), "{text}");
}

#[test]
fn class_c_a_name_alone_stays_strict_where_names_are_shared() {
    let (wd, g) = dedup(&labelled_names_base(40, true));
    let learned = learned_name_alone(&wd);
    assert_eq!(learned["names_under_two_inn"], 40, "{learned}");
    assert_eq!(learned["rule"], "strict", "{learned}");
    assert_ne!(g["9001"].0, g["1"].0, "names are shared by companies here: a card with its own phone stays apart");
    assert_ne!(g["9002"].0, g["9003"].0);
}

#[test]
fn class_c_too_few_labelled_names_or_a_pinned_rule_keeps_the_default() {
    let (wd, g) = dedup(&labelled_names_base(10, false));
    let learned = learned_name_alone(&wd);
    assert_eq!((learned["rule"].as_str(), learned["decided_by"].as_str()), (Some("strict"), Some("too_few_names")));
    assert_ne!(g["9001"].0, g["1"].0);
    // The configuration pins the rule whatever the base says.
    let wd = Workdir::new();
    wd.write("crm.csv", format!("{HEADER}{}", labelled_names_base(40, false)));
    wd.write("c.toml", "[thresholds]\nname_alone = \"strict\"\n");
    wd.run(&["dedup", "crm.csv", "--out", "out", "--config", "c.toml", "-q"]).success();
    let learned = learned_name_alone(&wd);
    assert_eq!((learned["rule"].as_str(), learned["decided_by"].as_str()), (Some("strict"), Some("config")));
}

#[test]
fn class_b_a_holdings_brand_on_its_legal_entities_is_not_made_common_by_them() {
    // Four legal entities of one holding, each its own made-up name and ИНН, nothing shared but the brand; and a
    // brand whose word three other companies carry as their names; and dealers whose brand is one company's name.
    let (_wd, g) = dedup(
        "1,ООО «Кяметя»,7702003012,,,Хегэфлюр,,+7 495 100-10-01,,,,ivanov,\n\
         2,ООО «Чёпла»,7702004023,,,Хегэфлюр,,+7 495 100-10-02,,,,petrov,\n\
         3,АО «Жоввлесву»,7702005034,,,Хегэфлюр,,+7 495 100-10-03,,,,sidorov,\n\
         4,ООО «Варгемоль»,7702006045,,,Хегэфлюр,,+7 495 100-10-04,,,,ivanov,\n\
         5,ООО «Пёдеекс»,,,,Стройальянс,,+7 812 200-20-01,,,,petrov,\n\
         6,ООО «Нуслислуис»,,,,Стройальянс,,+7 812 200-20-02,,,,sidorov,\n\
         7,ООО «Стройальянс»,7801007057,,,,,+7 812 300-30-01,,,,ivanov,\n\
         8,ООО «Стройальянс Плюс»,7801008068,,,,,+7 812 300-30-02,,,,petrov,\n\
         9,АО «Стройальянс-М»,7801009079,,,,,+7 812 300-30-03,,,,sidorov,\n\
         10,ООО «Промлюкс»,7801010050,,,,,+7 812 400-40-01,,,,ivanov,\n\
         11,ООО «Геслоит»,,,,Промлюкс,,+7 812 400-40-02,,,,petrov,\n\
         12,ИП Антонов Пётр Андреевич,,,,Промлюкс,,+7 921 400-40-03,,,,sidorov,\n",
    );
    for id in ["2", "3", "4"] {
        assert_ne!(g[id].0, g["1"].0, "card {id} has its own ИНН");
        assert_eq!(g[id].1, g["1"].1, "card {id} carries the holding's brand: one firm with card 1");
    }
    assert_ne!(g["5"].1, g["6"].1, "a brand three other companies carry as their names does not make a firm alone");
    assert_ne!(g["11"].1, g["12"].1, "dealers carrying another company's name as their brand are not one firm by it");
}

#[test]
fn a_kind_of_business_typed_short_or_in_full_is_one_name() {
    let (_wd, g) = dedup(
        "1,ООО ТД «Ромашка»,,,,,,+7 495 111-11-11,,,,ivanov,\n\
         2,ООО «Торговый дом Ромашка»,,,,,,+7 495 111-11-11,,,,petrov,\n\
         3,РА Медиаплюс,,,,,,,reklama@mediaplus-ra.ru,,,ivanov,\n\
         4,Рекламное агентство «Медиаплюс»,,,,,,,reklama@mediaplus-ra.ru,,,petrov,\n\
         5,ООО «НПП Энергия-Сервис»,,,,,,+7 343 222-22-22,,,,ivanov,\n\
         6,ООО «Научно-производственное предприятие «Энергия-Сервис»,,,,,,+7 343 222-22-22,,,,petrov,\n\
         7,ООО «Строительная компания Монолит»,,,,,,+7 812 333-33-33,,,,ivanov,\n\
         8,ООО «Монолит Девелопмент»,,,,,,+7 812 333-33-33,,,,petrov,\n",
    );
    for (a, b) in [("1", "2"), ("3", "4"), ("5", "6")] {
        assert_eq!(g[a].0, g[b].0, "cards {a} and {b}: one name typed short and in full, one contact");
    }
    assert_ne!(g["7"].0, g["8"].0, "another distinctive word is another legal entity");
    assert_eq!(g["7"].1, g["8"].1, "…of the same firm (a shared phone)");
}

#[test]
fn class_f_an_agencys_number_under_each_citys_code_is_one_generic_number() {
    // The agency's 707-31-89 on seven unrelated clients in four cities, each written with its city's code: each
    // spelling is on at most two legal entities, all of them together on seven. And two legal entities of one
    // firm sharing their own city number.
    let (wd, g) = dedup(
        "1,ООО «Казанский хлеб»,1655001014,,,,,+7 843 707-31-89,,,,ivanov,\n\
         2,ООО «Татнефтеснаб»,1655002025,,,,,+7 843 707-31-89,,,,petrov,\n\
         3,ООО «Волжская верфь»,6315003038,,,,,+7 846 707-31-89,,,,sidorov,\n\
         4,ООО «Самарский подшипник»,6315004049,,,,,+7 846 707-31-89,,,,ivanov,\n\
         5,ООО «Саратовстекло»,6450005056,,,,,+7 845 707-31-89,,,,petrov,\n\
         6,ООО «Липки-Сервис»,6450006067,,,,,+7 845 707-31-89,,,,sidorov,\n\
         7,ООО «Донской табак»,6161007079,,,,,+7 863 707-31-89,,,,ivanov,\n\
         8,ООО «Гелиос Трейд»,7703009095,,,,,+7 495 620-44-10,,,,petrov,\n\
         9,ООО «Гелиос Логистик»,7703010005,,,,,+7 495 620-44-10,,,,sidorov,\n",
    );
    for (a, b) in [("1", "2"), ("3", "4"), ("5", "6")] {
        assert_ne!(g[a].1, g[b].1, "cards {a} and {b} share only the agency's number: two firms");
    }
    assert_eq!(g["8"].1, g["9"].1, "a number of the firm's own is still firm evidence");
    let out = wd.run(&["explain", "crm.csv", "1", "2"]).success().stdout();
    assert!(
        out.contains(
            "shared but generic, counting for nothing: phone +78437073189 (on 7 legal entities, counting its seven \
             digits under 4 area codes)"
        ),
        "explain says why the shared number is not evidence:\n{out}"
    );
}

/// `pairs` made-up names, each written two ways (two letters apart: close, not near-identical) on two cards that
/// share a phone: under one ИНН (`one_company`) or under two (sister companies). Card 9001 writes the first name a
/// third way (two other letters) without ИНН, with the first pair's phone.
fn close_names_base(pairs: usize, one_company: bool) -> String {
    let syl = ["ба", "ве", "гро", "ду", "жи", "зо", "ки", "лу", "мя", "но", "пре", "ры", "сё", "ту", "фа", "хо"];
    let inn = |k: usize| firmdedup::normalize::ids::inn10_with_check(&format!("63{:07}", 2000 + k)).unwrap();
    let respell = |w: &str, at: [usize; 2], with: char| -> String {
        let mut c: Vec<char> = w.chars().collect();
        for i in at {
            c[i] = if c[i] == with { 'щ' } else { with };
        }
        c.into_iter().collect()
    };
    let mut rows = String::new();
    for i in 0..pairs {
        let name = format!("Кор{}{}линвест", syl[i % 16], syl[(i / 16 + 5) % 16]);
        let spelt = respell(&name, [4, 10], 'ш');
        let (a, b) = if one_company { (inn(i), inn(i)) } else { (inn(2 * i), inn(2 * i + 1)) };
        let phone = format!("+7 846 200-10-{i:02}");
        rows += &format!("{},ООО «{name}»,{a},,,,,{phone},,,,ivanov,\n", 2 * i + 1);
        rows += &format!("{},ООО «{spelt}»,{b},,,,,{phone},,,,petrov,\n", 2 * i + 2);
        if i == 0 {
            rows += &format!("9001,{},,,,,,{phone},,,,sidorov,\n", respell(&name, [6, 12], 'ж'));
        }
    }
    rows
}

fn learned_close_names(wd: &Workdir) -> serde_json::Value {
    let s: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    let kinds = &s["matching"]["learned_close_names"]["kinds"];
    kinds.as_array().unwrap().iter().find(|k| k["kind"] == "phone").unwrap().clone()
}

#[test]
fn class_d_close_names_with_a_phone_join_where_the_base_shows_them_one_company() {
    let (wd, g) = dedup(&close_names_base(40, true));
    let phone = learned_close_names(&wd);
    assert_eq!((phone["same_inn"].as_u64(), phone["different_inn"].as_u64()), (Some(40), Some(0)), "{phone}");
    assert_eq!((phone["joins"].as_bool(), phone["decided_by"].as_str()), (Some(true), Some("learned")), "{phone}");
    assert_eq!(g["9001"].0, g["1"].0, "close names sharing a phone are one company's in this base");
    let text = wd.run(&["explain", "crm.csv", "9001", "1"]).success().stdout();
    assert!(text.contains("joined as close names") && text.contains("phone (40 of 40 labelled pairs"), "{text}");
}

#[test]
fn class_d_close_names_with_a_phone_stay_apart_where_the_base_shows_them_sisters() {
    let (wd, g) = dedup(&close_names_base(40, false));
    let phone = learned_close_names(&wd);
    assert_eq!((phone["same_inn"].as_u64(), phone["different_inn"].as_u64()), (Some(0), Some(40)), "{phone}");
    assert_eq!(phone["joins"].as_bool(), Some(false), "{phone}");
    assert_ne!(g["9001"].0, g["1"].0, "close names sharing a phone are sister companies in this base");
    assert_ne!(g["9001"].0, g["2"].0);
    let text = wd.run(&["explain", "crm.csv", "9001", "1"]).success().stdout();
    assert!(text.contains("close names, not joined") && text.contains("phone (0 of 40"), "{text}");
}

#[test]
fn class_d_close_names_keep_the_default_with_too_few_pairs_or_a_pinned_rule() {
    let (wd, g) = dedup(&close_names_base(12, true));
    let phone = learned_close_names(&wd);
    assert_eq!((phone["joins"].as_bool(), phone["decided_by"].as_str()), (Some(false), Some("too_few_pairs")));
    assert_ne!(g["9001"].0, g["1"].0);
    let wd = Workdir::new();
    wd.write("crm.csv", format!("{HEADER}{}", close_names_base(40, true)));
    wd.write("c.toml", "[thresholds]\nclose_names = \"never\"\n");
    wd.run(&["dedup", "crm.csv", "--out", "out", "--config", "c.toml", "-q"]).success();
    let phone = learned_close_names(&wd);
    assert_eq!((phone["joins"].as_bool(), phone["decided_by"].as_str()), (Some(false), Some("config")));
    let got = read_csv(&wd.path("out/cards.csv"));
    let entity = |id: &str| got.iter().find(|r| r["id"] == id).unwrap()["entity_id"].clone();
    assert_ne!(entity("9001"), entity("1"), "pinned off: close names never join");
}

/// `pairs` made-up companies «Лим…ан Медиа», each typed on two cards: one with the decision-maker's personal
/// e-mail (`plu…eva.g7@yandex.ru`), the other with the decision-maker (`Плу…ева Г.В.`), under one ИНН
/// (`one_company`) or under two (sister companies of one name). Card 9001 writes the first name without ИНН, with
/// another personal e-mail of the first decision-maker and nothing the other cards carry.
fn mail_person_base(pairs: usize, one_company: bool) -> String {
    let syl = [
        ("ба", "ba"),
        ("ве", "ve"),
        ("гро", "gro"),
        ("ду", "du"),
        ("жи", "zhi"),
        ("зо", "zo"),
        ("ки", "ki"),
        ("лу", "lu"),
        ("мя", "mya"),
        ("но", "no"),
        ("пре", "pre"),
        ("ры", "ry"),
        ("се", "se"),
        ("ту", "tu"),
        ("фа", "fa"),
        ("хо", "kho"),
    ];
    let inn = |k: usize| firmdedup::normalize::ids::inn10_with_check(&format!("63{:07}", 3000 + k)).unwrap();
    let mut rows = String::new();
    for i in 0..pairs {
        let (x, y) = (syl[i % 16], syl[(i / 16 + 5) % 16]);
        let name = format!("ООО «Лим{}{}ан Медиа»", x.0, y.0);
        let (surname, latin) = (format!("Плу{}{}ева", x.0, y.0), format!("plu{}{}eva", x.1, y.1));
        let (a, b) = if one_company { (inn(i), inn(i)) } else { (inn(2 * i), inn(2 * i + 1)) };
        rows += &format!("{},{name},{a},,,,,,{latin}.g{i}@yandex.ru,,,ivanov,\n", 2 * i + 1);
        rows += &format!("{},{name},{b},,,,,,,,{surname} Г.В.,petrov,\n", 2 * i + 2);
        if i == 0 {
            rows += &format!("9001,{name},,,,,,,{latin}.galina@gmail.com,,,sidorov,\n");
        }
    }
    rows
}

fn learned_mail_person(wd: &Workdir) -> serde_json::Value {
    let s: serde_json::Value = serde_json::from_str(&wd.read("out/summary.json")).unwrap();
    s["matching"]["learned_mail_person"].clone()
}

#[test]
fn an_email_spelling_a_contacts_surname_joins_where_the_base_shows_it_one_company() {
    let (wd, g) = dedup(&mail_person_base(40, true));
    let m = learned_mail_person(&wd);
    assert_eq!((m["same_inn"].as_u64(), m["different_inn"].as_u64()), (Some(40), Some(0)), "{m}");
    assert_eq!((m["joins"].as_bool(), m["decided_by"].as_str()), (Some(true), Some("learned")), "{m}");
    assert_eq!(g["9001"].0, g["2"].0, "the decision-maker's e-mail on a card of the same name: one legal entity");
    let links = read_csv(&wd.path("out/links.csv"));
    let link = links.iter().find(|r| r["card_a"] == "2" && r["card_b"] == "9001").expect("a link 2 — 9001");
    assert!(
        link["evidence"].contains("e-mail plubazoeva.galina@gmail.com of decision-maker Плубазоева Г.В."),
        "{link:?}"
    );
    let text = wd.run(&["explain", "crm.csv", "9001", "2"]).success().stdout();
    assert!(
        text.contains("an e-mail spelling a contact's surname joins cards of one name (40 of 40 labelled pairs"),
        "{text}"
    );
}

#[test]
fn an_email_spelling_a_contacts_surname_is_not_used_where_the_base_shows_sisters_or_too_few_pairs() {
    let (wd, g) = dedup(&mail_person_base(40, false));
    let m = learned_mail_person(&wd);
    assert_eq!((m["same_inn"].as_u64(), m["different_inn"].as_u64()), (Some(0), Some(40)), "{m}");
    assert_eq!((m["joins"].as_bool(), m["decided_by"].as_str()), (Some(false), Some("learned")), "{m}");
    assert_ne!(g["9001"].0, g["2"].0);
    assert_ne!(g["9001"].0, g["1"].0);
    let (wd, g) = dedup(&mail_person_base(12, true));
    let m = learned_mail_person(&wd);
    assert_eq!((m["joins"].as_bool(), m["decided_by"].as_str()), (Some(false), Some("too_few_pairs")), "{m}");
    assert_ne!(g["9001"].0, g["2"].0, "too few labelled pairs to trust it: apart");
    // Pinned on, it joins even so.
    let wd = Workdir::new();
    wd.write("crm.csv", format!("{HEADER}{}", mail_person_base(12, true)));
    wd.write("c.toml", "[thresholds]\nmail_person = \"always\"\n");
    wd.run(&["dedup", "crm.csv", "--out", "out", "--config", "c.toml", "-q"]).success();
    let got = read_csv(&wd.path("out/cards.csv"));
    let entity = |id: &str| got.iter().find(|r| r["id"] == id).unwrap()["entity_id"].clone();
    assert_eq!(entity("9001"), entity("2"), "pinned on: it joins");
}

#[test]
fn requisites_written_in_the_name_are_taken_out_of_it() {
    // A spreadsheet without an ИНН column: the ИНН (and КПП) typed into the name.
    let (wd, g) = dedup(
        "1,ООО «Ромашка» ИНН 7707083893,,,,,,,,,,ivanov,\n\
         2,ООО Ромашка,7707083893,,,,,+7 495 111-22-33,,,,petrov,\n\
         3,\"ООО \"\"Ромашка\"\" (ИНН 7707083893, КПП 770701001)\",,,,,,,,,,sidorov,\n\
         4,ООО «Ромашка» ИНН 7707083894,,,,,,,,,,sidorov,\n\
         5,ООО «Василёк» ИНН 7707083893,5010012340,,,,,,,,,sidorov,\n",
    );
    assert_eq!(g["1"].0, g["2"].0, "the ИНН in the name is the card's ИНН");
    assert_eq!(g["3"].0, g["2"].0);
    let cards = read_csv(&wd.path("out/cards.csv"));
    let row = |id: &str| cards.iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!((row("1")["name_norm"].as_str(), row("1")["inn"].as_str()), ("ромашка", "7707083893"));
    assert_eq!(
        (row("3")["kpp"].as_str(), row("3")["name"].as_str()),
        ("770701001", "ООО \"Ромашка\" (ИНН 7707083893, КПП 770701001)")
    );
    assert_eq!(
        (row("4")["name_norm"].as_str(), row("4")["inn"].as_str(), row("4")["inn_invalid"].as_str()),
        ("ромашка", "", "7707083894"),
        "a wrong check digit: out of the name, kept as invalid text, never an identifier"
    );
    // The field's own ИНН wins over the one in the name; the name is read without it either way.
    assert_eq!((row("5")["inn"].as_str(), row("5")["name_norm"].as_str()), ("5010012340", "василек"));
}

#[test]
fn a_contact_written_with_its_phone_and_email_gives_them_to_the_card() {
    // A spreadsheet's «Контактное лицо» cell holds the person, the mobile and the e-mail.
    let (wd, g) = dedup(
        "1,ООО «Альфа-Трейд»,,,,,,,,,\"Иванов И.И., +7 916 123-45-67, ivanov@alfa-trade.ru\",ivanov,\n\
         2,ООО «Альфа-Трейд»,7707083893,,,,,,ivanov@alfa-trade.ru,,,petrov,\n\
         3,Альфа Трейд,,,,,,89161234567,,,,sidorov,\n",
    );
    assert_eq!(g["1"].0, g["2"].0, "the e-mail in the contact cell is the card's e-mail");
    assert_eq!(g["3"].0, g["2"].0, "and the phone its phone");
    let cards = read_csv(&wd.path("out/cards.csv"));
    let one = cards.iter().find(|r| r["id"] == "1").unwrap();
    assert_eq!(
        (one["phones"].as_str(), one["emails"].as_str(), one["contacts"].as_str()),
        ("+79161234567", "ivanov@alfa-trade.ru", "Иванов И.И.")
    );
}
