//! Real export formats read with no option: Bitrix24 CSV and its HTML "Excel", amoCRM's all-contacts-and-companies
//! CSV, 1С's list as xlsx and as a windows-1251 CSV, a manager's xlsx with a title row. Every column must land in
//! its field, the cards must group as hand-labelled in fixtures/exports/expected.csv, line numbers must be right.
//! The xlsx files are written here with rust_xlsxwriter (no binaries committed).

use std::collections::BTreeMap;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::workdir::{Workdir, fixture, read_csv};

/// 1С "Контрагенты → Вывести список → Сохранить как xlsx": sheet TDSheet, header in row 1, an ИНН and a КПП
/// stored as numbers (their leading zeros lost), one short name left empty.
fn write_1c_xlsx(wd: &Workdir) -> std::path::PathBuf {
    let path = wd.path("1c_counterparties.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("TDSheet").unwrap();
    let header = ["Код", "Наименование", "Полное наименование", "ИНН", "КПП", "Юридический адрес", "Телефон"];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let rows: [[&str; 7]; 4] = [
        [
            "00-000001",
            "Ромашка ООО",
            "Общество с ограниченной ответственностью \"Ромашка\"",
            "7704517503",
            "770401001",
            "г. Москва, ул. Тверская, д. 7",
            "+7 (495) 123-45-67",
        ],
        [
            "00-000002",
            "Ромашка (склад)",
            "",
            "7704517503",
            "770443001",
            "г. Москва, ул. Складская, д. 2",
            "8 495 123 45 68",
        ],
        [
            "00-000003",
            "Заря",
            "ООО \"Заря\"",
            "#278094940",
            "#27801001",
            "г. Уфа, ул. Ленина, д. 3",
            "8 (347) 200-10-10",
        ],
        [
            "00-000004",
            "",
            "Общество с ограниченной ответственностью \"Берёзка\"",
            "7451123375",
            "745101001",
            "г. Челябинск",
            "8 (351) 777-66-55",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            if let Some(n) = v.strip_prefix('#') {
                ws.write_number(r, c, n.parse::<f64>().unwrap()).unwrap();
            } else if !v.is_empty() {
                ws.write_string(r, c, *v).unwrap();
            }
        }
    }
    wb.save(&path).unwrap();
    path
}

/// A manager's own list: a title row and a blank row above the header, `Город`, `Последний звонок` as dates,
/// ИНН and one phone stored as numbers; a second sheet with an archive.
fn write_manager_xlsx(wd: &Workdir) -> std::path::PathBuf {
    let path = wd.path("manager.xlsx");
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let ws = wb.add_worksheet();
    ws.set_name("Клиенты").unwrap();
    ws.write_string(0, 0, "Мои клиенты (Петров П.) на 01.02.2026").unwrap();
    let header = ["№", "ID клиента", "Компания", "Город", "Телефон", "Последний звонок", "Ответственные", "ИНН"];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    let rows: [(f64, &str, &str, &str, (u16, u8, u8), Option<f64>); 4] = [
        (5001.0, "ООО Волга-Принт", "Самара", "231-60-14", (2026, 1, 28), Some(6316424455.0)),
        (5002.0, "ООО Лотос", "Самара", "555-12-12", (2026, 1, 20), Some(6317197727.0)),
        (5003.0, "ИП Сидоров П.И.", "Самара", "+7 917 111-22-33", (2025, 12, 30), Some(631645880259.0)),
        (5004.0, "Волга-Принт ООО", "Самара", "#2316014", (2026, 1, 30), None),
    ];
    for (i, (id, name, city, phone, (y, m, d), inn)) in rows.iter().enumerate() {
        let r = i as u32 + 3;
        ws.write_number(r, 0, i as f64 + 1.0).unwrap();
        ws.write_number(r, 1, *id).unwrap();
        ws.write_string(r, 2, *name).unwrap();
        ws.write_string(r, 3, *city).unwrap();
        match phone.strip_prefix('#') {
            Some(n) => ws.write_number(r, 4, n.parse::<f64>().unwrap()).unwrap(),
            None => ws.write_string(r, 4, *phone).unwrap(),
        };
        ws.write_datetime_with_format(r, 5, ExcelDateTime::from_ymd(*y, *m, *d).unwrap(), &date).unwrap();
        ws.write_string(r, 6, "Петров П.").unwrap();
        if let Some(inn) = inn {
            ws.write_number(r, 7, *inn).unwrap();
        }
    }
    let archive = wb.add_worksheet();
    archive.set_name("Архив").unwrap();
    archive.write_string(0, 0, "ID").unwrap();
    archive.write_string(0, 1, "Наименование").unwrap();
    archive.write_string(1, 0, "9001").unwrap();
    archive.write_string(1, 1, "ООО Старый клиент").unwrap();
    wb.save(&path).unwrap();
    path
}

/// The column → field mapping that `inspect --json` reports.
fn columns(report: &serde_json::Value) -> Vec<(String, Option<String>)> {
    report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_str().unwrap().to_string(), c[1].as_str().map(str::to_string)))
        .collect()
}

fn inspect_json(wd: &Workdir, file: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["inspect", "--json", file];
    args.extend_from_slice(extra);
    serde_json::from_str(&wd.run(&args).success().stdout()).unwrap()
}

/// Checks that every header of `file` maps to the field written beside it (None: not a card field).
fn assert_columns(file: &str, report: &serde_json::Value, want: &[(&str, Option<&str>)]) {
    let got = columns(report);
    let want: Vec<(String, Option<String>)> =
        want.iter().map(|(h, f)| (h.to_string(), f.map(str::to_string))).collect();
    assert_eq!(got, want, "{file}: the columns and their fields");
}

/// Two cards share an entity in `dedup`'s output exactly when they share a label in expected.csv.
fn assert_grouping(wd: &Workdir, file: &str, input: &str) {
    let out = format!("out_{}", file.replace('.', "_"));
    wd.run(&["dedup", input, "--out", &out]).success();
    let got: BTreeMap<String, String> = read_csv(&wd.path(&format!("{out}/cards.csv")))
        .into_iter()
        .map(|r| (r["id"].clone(), r["entity_id"].clone()))
        .collect();
    let expected: Vec<(String, String)> = read_csv(&fixture("exports/expected.csv"))
        .into_iter()
        .filter(|r| r["file"] == file)
        .map(|r| (r["id"].clone(), r["entity"].clone()))
        .collect();
    let ids: Vec<&String> = got.keys().collect();
    let mut want_ids: Vec<&String> = expected.iter().map(|(i, _)| i).collect();
    want_ids.sort();
    assert_eq!(ids, want_ids, "{file}: the cards in cards.csv");
    let mut problems = Vec::new();
    for (a, la) in &expected {
        for (b, lb) in &expected {
            if a < b && (la == lb) != (got[a] == got[b]) {
                problems.push(format!("{a} and {b} should be {}", if la == lb { "together" } else { "apart" }));
            }
        }
    }
    assert!(problems.is_empty(), "{file}: {problems:?}");
}

const BITRIX_COLUMNS: &[(&str, Option<&str>)] = &[
    ("ID", Some("id")),
    ("Название компании", Some("name")),
    ("Тип компании", None),
    ("Рабочий телефон", Some("phones")),
    ("Мобильный телефон", Some("phones")),
    ("Номер факса", Some("phones")),
    ("Телефон для рассылок", Some("phones")),
    ("Рабочий e-mail", Some("emails")),
    ("E-mail для рассылок", Some("emails")),
    ("Корпоративный сайт", Some("website")),
    ("Адрес", Some("address")),
    ("Ответственный", Some("manager")),
    ("Дата изменения", Some("last_activity")),
    ("Реквизит: ИНН", Some("inn")),
    ("Реквизит: КПП", Some("kpp")),
    ("Реквизит: ОГРН", Some("ogrn")),
    ("Реквизит: ОГРНИП", Some("ogrn")),
];

fn field<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["fields"].as_array().unwrap().iter().find(|f| f["field"] == name).unwrap()
}

#[test]
fn bitrix24_csv_with_bom_and_requisites() {
    let wd = Workdir::new();
    let file = fixture("exports/bitrix24_companies.csv");
    let r = inspect_json(&wd, file.to_str().unwrap(), &[]);
    let mut want = BITRIX_COLUMNS.to_vec();
    want.push(("", None)); // every line ends with `;`: an empty last column
    assert_columns("bitrix24_companies.csv", &r, &want);
    assert_eq!(r["bom"], true);
    assert_eq!((r["rows_read"].as_u64(), r["rejected"].as_u64()), (Some(6), Some(0)));
    // Every ИНН present is read, the two-requisite cell included; no double-mapping warning for ОГРН/ОГРНИП.
    assert_eq!((field(&r, "inn")["present"].as_u64(), field(&r, "inn")["invalid"].as_u64()), (Some(5), Some(0)));
    assert_eq!(field(&r, "ogrn")["valid"], 2);
    assert_eq!(r["double_mapped"].as_array().unwrap().len(), 0, "{}", r["double_mapped"]);
    assert_grouping(&wd, "bitrix24_companies.csv", file.to_str().unwrap());
}

#[test]
fn bitrix24_html_excel_export_is_read_as_a_table() {
    let wd = Workdir::new();
    let file = fixture("exports/bitrix24_companies.xls");
    let r = inspect_json(&wd, file.to_str().unwrap(), &[]);
    assert_eq!(r["format"], "html_table");
    assert_columns("bitrix24_companies.xls", &r, BITRIX_COLUMNS);
    assert_eq!((r["rows_read"].as_u64(), r["rejected"].as_u64()), (Some(4), Some(0)));
    assert_eq!(field(&r, "inn")["valid"], 4);
    let human = wd.run(&["inspect", file.to_str().unwrap()]).success().stdout();
    assert!(human.contains("format:    HTML table (Bitrix24 \"Excel\" export)"), "{human}");
    assert_grouping(&wd, "bitrix24_companies.xls", file.to_str().unwrap());
}

#[test]
fn amocrm_contacts_attach_to_their_company() {
    let wd = Workdir::new();
    let file = fixture("exports/amocrm_all.csv");
    let r = inspect_json(&wd, file.to_str().unwrap(), &[]);
    assert_columns(
        "amocrm_all.csv",
        &r,
        &[
            ("ID", Some("id")),
            ("Тип", None),
            ("Наименование", Some("name")),
            ("Компания", None),
            ("Ответственный", Some("manager")),
            ("Дата создания", None),
            ("Теги", None),
            ("Рабочий телефон", Some("phones")),
            ("Рабочий прямой телефон", Some("phones")),
            ("Мобильный телефон", Some("phones")),
            ("Факс", Some("phones")),
            ("Домашний телефон", Some("phones")),
            ("Рабочий email", Some("emails")),
            ("Личный email", Some("emails")),
            ("Web", Some("website")),
            ("Адрес", Some("address")),
            ("ИНН", Some("inn")),
            ("КПП", Some("kpp")),
        ],
    );
    assert_eq!((r["kind_column"].as_u64(), r["contact_company_column"].as_u64()), (Some(1), Some(3)));
    // Two contacts join their companies; the one without a company is reported apart, with its line.
    assert_eq!(r["contact_rows"], 2);
    assert_eq!((r["accepted"].as_u64(), r["rejected"].as_u64()), (Some(3), Some(1)));
    assert_eq!(r["rejects"][0]["line"], 5);
    assert!(r["rejects"][0]["reason"].as_str().unwrap().contains("contact person"), "{}", r["rejects"]);
    assert_grouping(&wd, "amocrm_all.csv", file.to_str().unwrap());
    // The contact's phones and e-mails are on its company's card.
    let human = wd.run(&["inspect", file.to_str().unwrap()]).success().stdout();
    assert!(human.contains("Тип                    -> (type: контакт rows are people"), "{human}");
    assert!(human.contains("contacts:  2 contact rows"), "{human}");
}

#[test]
fn onec_csv_in_windows_1251_with_crlf() {
    let wd = Workdir::new();
    let file = fixture("exports/1c_counterparties.csv");
    let r = inspect_json(&wd, file.to_str().unwrap(), &[]);
    assert_eq!(r["encoding"], "windows-1251");
    assert_columns(
        "1c_counterparties.csv",
        &r,
        &[
            ("Код", Some("id")),
            ("Наименование", Some("name")),
            ("Полное наименование", Some("name")),
            ("ИНН", Some("inn")),
            ("КПП", Some("kpp")),
            ("Юридический адрес", Some("address")),
            ("Телефон", Some("phones")),
        ],
    );
    assert_eq!((r["rows_read"].as_u64(), r["rejected"].as_u64()), (Some(4), Some(0)));
    assert_eq!(r["double_mapped"].as_array().unwrap().len(), 0, "the full name is a fallback, not a double");
    assert_eq!((field(&r, "inn")["valid"].as_u64(), field(&r, "kpp")["valid"].as_u64()), (Some(4), Some(4)));
    assert_grouping(&wd, "1c_counterparties.csv", file.to_str().unwrap());
}

#[test]
fn onec_xlsx_numbers_without_float_artifacts() {
    let wd = Workdir::new();
    let path = write_1c_xlsx(&wd);
    let r = inspect_json(&wd, path.to_str().unwrap(), &[]);
    assert_eq!((r["format"].as_str(), r["sheet"].as_str()), (Some("spreadsheet"), Some("TDSheet")));
    assert_eq!(columns(&r).iter().filter(|(_, f)| f.is_some()).count(), 7, "{:?}", columns(&r));
    assert_eq!((r["rows_read"].as_u64(), r["rejected"].as_u64()), (Some(4), Some(0)));
    // 278094940 stored as a number reads as ИНН 0278094940, 27801001 as КПП 027801001.
    assert_eq!((field(&r, "inn")["valid"].as_u64(), field(&r, "kpp")["valid"].as_u64()), (Some(4), Some(4)));
    assert_grouping(&wd, "1c_counterparties.xlsx", path.to_str().unwrap());
}

#[test]
fn manager_xlsx_with_a_title_row_and_a_second_sheet() {
    let wd = Workdir::new();
    let path = write_manager_xlsx(&wd);
    let p = path.to_str().unwrap();
    let r = inspect_json(&wd, p, &[]);
    assert_eq!(r["sheet"], "Клиенты");
    assert_eq!(r["header_line"], 3);
    assert_eq!(r["title_rows"][0][0], 1);
    assert_eq!(r["title_rows"][0][1], "Мои клиенты (Петров П.) на 01.02.2026");
    assert_columns(
        "manager.xlsx",
        &r,
        &[
            ("№", None),
            ("ID клиента", Some("id")),
            ("Компания", Some("name")),
            ("Город", Some("address")),
            ("Телефон", Some("phones")),
            ("Последний звонок", Some("last_activity")),
            ("Ответственные", Some("manager")),
            ("ИНН", Some("inn")),
        ],
    );
    assert_eq!((r["rows_read"].as_u64(), r["rejected"].as_u64()), (Some(4), Some(0)));
    assert_eq!(field(&r, "inn")["valid"], 3);
    assert_eq!(field(&r, "last_activity")["valid"], 4, "dates as the spreadsheet stores them");
    // The 7-digit local numbers take Самара's code from `Город`.
    let phones = field(&r, "phones");
    assert_eq!(phones["invalid"], 0, "{phones}");
    assert!(!phones["notes"].to_string().contains("local"), "{phones}");
    let human = wd.run(&["inspect", p]).success().stdout();
    assert!(human.contains("sheet:     Клиенты (of 2: Клиенты, Архив)"), "{human}");
    assert!(human.contains("skipped title row, line 1: Мои клиенты (Петров П.) на 01.02.2026"), "{human}");
    assert_grouping(&wd, "manager.xlsx", p);
    // --sheet by name and by number.
    for sel in ["Архив", "2"] {
        let r = inspect_json(&wd, p, &["--sheet", sel]);
        assert_eq!((r["sheet"].as_str(), r["accepted"].as_u64()), (Some("Архив"), Some(1)), "--sheet {sel}");
    }
    let err = wd.run(&["inspect", p, "--sheet", "Нет такого"]).fails_with(1).stderr();
    assert!(err.contains("no sheet \"Нет такого\"; the sheets are: Клиенты, Архив"), "{err}");
}

#[test]
fn ods_with_a_title_row() {
    // fixtures/exports/manager.ods is written by make_ods.py beside it.
    let wd = Workdir::new();
    let file = fixture("exports/manager.ods");
    let r = inspect_json(&wd, file.to_str().unwrap(), &[]);
    assert_eq!(
        (r["format"].as_str(), r["sheet"].as_str(), r["header_line"].as_u64()),
        (Some("spreadsheet"), Some("Лист1"), Some(2))
    );
    assert_columns(
        "manager.ods",
        &r,
        &[
            ("ID клиента", Some("id")),
            ("Наименование", Some("name")),
            ("Город", Some("address")),
            ("Рабочий телефон", Some("phones")),
            ("ИНН", Some("inn")),
            ("Дата последнего контакта", Some("last_activity")),
        ],
    );
    assert_eq!((r["accepted"].as_u64(), r["rejected"].as_u64()), (Some(2), Some(0)));
    assert_eq!(field(&r, "inn")["valid"], 2, "278094940 stored as a number is ИНН 0278094940");
    assert_eq!(field(&r, "last_activity")["valid"], 2);
    assert_eq!(field(&r, "phones")["valid"], 2, "a 7-digit extension keeps its number");
    assert_grouping(&wd, "manager.ods", file.to_str().unwrap());
}

#[test]
fn two_columns_for_one_field_warn_and_map_adds_or_clears() {
    let wd = Workdir::new();
    wd.write(
        "two.csv",
        "ID;Код;Название компании;Наименование;Рабочий телефон;Телефон для рассылок\n1;A1;Ромашка;ООО Ромашка;8 846 231 60 14;8 846 231 60 15\n",
    );
    let run = wd.run(&["inspect", "two.csv"]).success();
    assert!(run.stderr().contains("columns «ID», «Код» all feed the single-valued field id"), "{}", run.stderr());
    assert!(run.stderr().contains("«Название компании», «Наименование»"), "{}", run.stderr());
    assert!(run.stdout().contains("warning: columns «ID», «Код»"), "{}", run.stdout());
    // --map on a multi-valued field adds the column; FIELD= clears the field.
    let r = inspect_json(&wd, "two.csv", &["--map", "id=Код", "--map", "name=Наименование"]);
    assert_eq!(r["double_mapped"].as_array().unwrap().len(), 0, "{}", r["double_mapped"]);
    let c = columns(&r);
    assert_eq!(c[0].1, None);
    assert_eq!(c[1].1.as_deref(), Some("id"));
    let r = inspect_json(&wd, "two.csv", &["--map", "phones=", "--map", "phones=Телефон для рассылок"]);
    let c = columns(&r);
    assert_eq!((c[4].1.as_deref(), c[5].1.as_deref()), (None, Some("phones")));
}

#[test]
fn crlf_and_cr_line_numbers_in_rejects() {
    let wd = Workdir::new();
    for (name, eol) in [("crlf.csv", "\r\n"), ("cr.csv", "\r")] {
        let text = ["ID;Название компании;ИНН", "1;Ромашка;7707083893", "2;Лютик", "3;Колос;"].join(eol) + eol;
        wd.write(name, text);
        let rej = format!("{name}.rejects.csv");
        let out = wd.run(&["inspect", name, "--rejects", &rej]).success().stdout();
        assert!(out.contains("line 3: expected 3 fields"), "{name}: {out}");
        let rows = read_csv(&wd.path(&rej));
        assert_eq!((rows[0]["line"].as_str(), rows[0]["raw"].as_str()), ("3", "2;Лютик"), "{name}");
    }
}

#[test]
fn dev_zero_and_a_file_without_line_breaks_are_refused() {
    let wd = Workdir::new();
    // An endless binary stream is refused from its first bytes, without reading on.
    for dev in ["/dev/zero", "/dev/urandom"] {
        let err = wd.run(&["inspect", dev]).fails_with(1).stderr();
        assert!(err.contains("this is a binary file, not a CRM export"), "{dev}: {err}");
    }
    // Text without a line break: refused once the line passes 64 MiB (a 65 MiB file).
    let mut text = b"ID;Name\n1;A\n".to_vec();
    text.resize(text.len() + (65 << 20), b'x');
    wd.write("one_line.csv", text);
    let err = wd.run(&["inspect", "one_line.csv"]).fails_with(1).stderr();
    assert!(err.contains("line 3 is longer than 67108864 bytes without a line break"), "{err}");
}

#[test]
fn amocrm_contacts_of_a_company_left_out_of_the_file_become_its_card() {
    let wd = Workdir::new();
    // An amoCRM export of contacts only (the companies were not exported): two contacts of one company, one of
    // another, one with no company.
    wd.write(
        "amo_contacts.csv",
        "ID,Тип,Наименование,Компания,Ответственный,Рабочий телефон,Рабочий email\n\
         201,контакт,Кузнецов Андрей,ООО «Техносервис»,Иванов Иван,+7 (343) 704-36-92,kuznetsov@tehnoservis.ru\n\
         202,контакт,Орлова Мария,,Петрова Ольга,+7 900 200-30-40,\n\
         203,контакт,Белов Сергей,ООО «Уралпром»,Петрова Ольга,8 (342) 212-12-12,\n\
         204,контакт,Смирнов Олег,ООО «Техносервис»,,+7 922 100-20-30,smirnov@tehnoservis.ru\n",
    );
    let r = inspect_json(&wd, "amo_contacts.csv", &[]);
    // Each company becomes one card (the id and line of its first contact); its other contacts attach to it;
    // the contact without a company is rejected with its line. The counts add up.
    assert_eq!((r["rows_read"].as_u64(), r["accepted"].as_u64(), r["rejected"].as_u64()), (Some(3), Some(2), Some(1)));
    assert_eq!(r["contact_rows"], 1);
    assert_eq!(r["rejects"][0]["line"], 3);
    let built = r["companies_from_contacts"].as_array().unwrap();
    assert_eq!(built.len(), 2, "{built:?}");
    assert_eq!((built[0][0].as_u64(), built[0][1].as_str()), (Some(2), Some("ООО «Техносервис»")));
    assert_eq!((built[1][0].as_u64(), built[1][1].as_str()), (Some(4), Some("ООО «Уралпром»")));
    wd.run(&["dedup", "amo_contacts.csv", "--out", "out", "-q"]).success();
    let cards = read_csv(&wd.path("out/cards.csv"));
    assert_eq!(cards.len(), 2);
    let tehno = cards.iter().find(|c| c["id"] == "201").expect("card 201");
    assert_eq!(tehno["name"], "ООО «Техносервис»");
    assert_eq!(tehno["manager"], "Иванов Иван");
    // Both contacts' phones and e-mails are on the company's card.
    assert!(tehno["phones"].contains("+73437043692") && tehno["phones"].contains("+79221002030"), "{tehno:?}");
    assert!(tehno["emails"].contains("smirnov@tehnoservis.ru"), "{tehno:?}");
    let rejects = std::fs::read_to_string(wd.path("out/rejects.csv")).unwrap();
    assert!(rejects.contains("with no company"), "{rejects}");
}
