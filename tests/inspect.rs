//! `firmdedup inspect`: detection, counts, and the refusals of files that are not exports.

use crate::workdir::{Workdir, fixture, read_csv};

#[test]
fn inspect_demo_utf8_and_1251_agree() {
    let wd = Workdir::new();
    let utf8 = wd.run(&["inspect", fixture("demo/crm.csv").to_str().unwrap()]).success().stdout();
    let cp = wd.run(&["inspect", fixture("demo/bitrix_1251.csv").to_str().unwrap()]).success().stdout();
    assert!(utf8.contains("encoding:  UTF-8 (detected)"), "{utf8}");
    assert!(utf8.contains("delimiter: ',' (detected)"), "{utf8}");
    assert!(cp.contains("encoding:  windows-1251 (detected)"), "{cp}");
    assert!(cp.contains("delimiter: ';' (detected)"), "{cp}");
    assert!(cp.contains("Мобильный телефон         -> phones"), "{cp}");
    assert!(cp.contains("Источник                  -> (not used)"), "{cp}");
    for out in [&utf8, &cp] {
        assert!(out.contains("rows:      read 226 = accepted 226 + rejected 0"), "{out}");
    }
    // Field quality is the same whichever format the same cards come in.
    let fields = |s: &str| s.lines().skip_while(|l| !l.starts_with("field ")).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(fields(&utf8), fields(&cp));
}

#[test]
fn inspect_json_reports_invalid_values() {
    let wd = Workdir::new();
    let out = wd.run(&["inspect", "--json", fixture("demo/crm.csv").to_str().unwrap()]).success().stdout();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["rows_read"], 226);
    let inn = v["fields"].as_array().unwrap().iter().find(|f| f["field"] == "inn").unwrap();
    assert_eq!(inn["invalid"], 2, "two ИНН in the demo fail their checksum: {inn}");
    let phones = v["fields"].as_array().unwrap().iter().find(|f| f["field"] == "phones").unwrap();
    assert_eq!(phones["invalid"], 1, "7.91E+10 is not a phone: {phones}");
}

#[test]
fn bad_rows_go_to_rejects_and_counts_add_up() {
    let wd = Workdir::new();
    let big = "x".repeat(1_100_000);
    let text = format!(
        "ID;Название компании;ИНН;Телефон\n1;Ромашка;7707083893;8 495 123 45 67\n2;Лютик\n1;Дубль;;\n3;{big};;\n;Без id;;\n4;\"Кавычка;;\n5;Колос;;\n"
    );
    wd.write("bad.csv", text);
    let out = wd.run(&["inspect", "bad.csv", "--rejects", "rejects.csv"]).success().stdout();
    assert!(out.contains("rows:      read 7 = accepted 2 + rejected 5"), "{out}");
    let rejects = read_csv(&wd.path("rejects.csv"));
    let reasons: Vec<(String, String)> = rejects.iter().map(|r| (r["line"].clone(), r["reason"].clone())).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert_eq!(reasons[0].0, "3");
    assert!(reasons[0].1.starts_with("expected 4 fields"), "{reasons:?}");
    assert!(reasons[1].1.starts_with("duplicate id 1 (first seen on line 2)"), "{reasons:?}");
    assert!(reasons[2].1.contains("over the limit"), "{reasons:?}");
    assert_eq!(rejects[2]["field"], "Название компании");
    assert!(reasons[3].1.starts_with("empty id"), "{reasons:?}");
    assert!(reasons[4].1.starts_with("broken quoting"), "{reasons:?}");
    assert_eq!(reasons[4].0, "7");
}

#[test]
fn undecodable_row_is_rejected() {
    let wd = Workdir::new();
    let mut bytes = "id,name\n".as_bytes().to_vec();
    for i in 0..20 {
        bytes.extend(format!("{i},Ромашка Медиа\n").as_bytes());
    }
    bytes.extend(b"20,\xff\xfe\xfd\n");
    wd.write("broken.csv", bytes);
    // Forced UTF-8: the row that is not UTF-8 is rejected with its line.
    let out = wd.run(&["inspect", "broken.csv", "--encoding", "utf-8"]).success().stdout();
    assert!(out.contains("read 21 = accepted 20 + rejected 1"), "{out}");
    assert!(out.contains("line 22: undecodable bytes in field «name» (not valid UTF-8)"), "{out}");
    // Detected: the row is read by its own encoding (windows-1251), and inspect says so.
    let run = wd.run(&["inspect", "broken.csv"]).success();
    let out = run.stdout();
    assert!(out.contains("read 21 = accepted 21 + rejected 0"), "{out}");
    assert!(out.contains("1 as windows-1251 (the first on line 22)"), "{out}");
    assert!(run.stderr().contains("mixed encodings"), "{}", run.stderr());
}

#[test]
fn files_that_are_not_exports_fail_with_one_line() {
    let wd = Workdir::new();
    wd.write("empty.csv", "");
    wd.write("header.csv", "ID;Название компании;ИНН\n");
    wd.write("binary.xlsx", b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00");
    wd.write("nocols.csv", "foo;bar\n1;2\n");
    let cases = [
        ("empty.csv", "the file is empty"),
        ("header.csv", "has a header row but no cards"),
        ("binary.xlsx", "cannot read the spreadsheet"),
        ("missing.csv", "no such file"),
        ("nocols.csv", "no column for the card id or the company name"),
    ];
    for (file, msg) in cases {
        let run = wd.run(&["inspect", file]).fails_with(1);
        let err = run.stderr();
        assert!(err.contains(msg), "{file}: {err}");
        assert!(err.contains(file), "{file}: the message names the file: {err}");
        if file != "nocols.csv" {
            assert_eq!(err.trim().lines().count(), 1, "{file}: one line: {err}");
        }
    }
}

#[test]
fn map_overrides_and_bad_map() {
    let wd = Workdir::new();
    wd.write("x.csv", "Код;Клиент;Тел1;Тел2\n1;Ромашка;8 495 123 45 67;8 912 000 11 22\n");
    let out =
        wd.run(&["inspect", "x.csv", "--map", "phones=Тел1", "--map", "phones=Тел2", "--json"]).success().stdout();
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let phones = v["fields"].as_array().unwrap().iter().find(|f| f["field"] == "phones").unwrap();
    assert_eq!(phones["valid"], 2);
    let err = wd.run(&["inspect", "x.csv", "--map", "phones=Факс"]).fails_with(1).stderr();
    assert!(err.contains("no column \"Факс\""), "{err}");
}
