//! Exports that are not CSV: spreadsheets (.xlsx, .xls, .ods, read through calamine) and Bitrix24's "Экспорт в
//! Excel", an HTML table saved under an .xls name. Each is read into plain text rows with the row number a person
//! sees in the spreadsheet (the first row is 1), and the rest of ingestion treats them like CSV records.

use std::io::Cursor;

use calamine::{Data, Reader};
use serde::Serialize;

/// What kind of file an export is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Delimited text.
    Csv,
    /// A spreadsheet workbook (xlsx, xls, ods).
    Spreadsheet,
    /// An HTML table (Bitrix24's "Excel" export).
    HtmlTable,
}

impl SourceKind {
    /// The name shown to people.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Csv => "CSV",
            SourceKind::Spreadsheet => "spreadsheet",
            SourceKind::HtmlTable => "HTML table (Bitrix24 \"Excel\" export)",
        }
    }
}

/// Sniffs the kind of a file from its first bytes.
pub fn sniff_kind(bytes: &[u8]) -> SourceKind {
    // Zip (xlsx, ods) and OLE2 compound documents (xls).
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return SourceKind::Spreadsheet;
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let head = &body[..body.len().min(4096)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    if head.get(start) == Some(&b'<') {
        let lower = head.to_ascii_lowercase();
        if lower.windows(6).any(|w| w == b"<table")
            || lower.windows(5).any(|w| w == b"<html")
            || lower.windows(5).any(|w| w == b"<meta")
        {
            return SourceKind::HtmlTable;
        }
    }
    SourceKind::Csv
}

/// Rows read from a spreadsheet or an HTML table.
#[derive(Debug, Default)]
pub struct Table {
    /// The sheet read (spreadsheets only).
    pub sheet: Option<String>,
    /// Every sheet of the workbook, in order.
    pub sheets: Vec<String>,
    /// (row number as shown in the spreadsheet, cells), every row including blank ones.
    pub rows: Vec<(u64, Vec<String>)>,
    /// The character set an HTML table declared or was detected in.
    pub charset: Option<&'static str>,
}

/// Why a spreadsheet cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// calamine failed.
    #[error("cannot read the spreadsheet (a damaged or unsupported .xlsx/.xls/.ods?): {0}")]
    Workbook(String),
    /// `--sheet` names no sheet.
    #[error("no sheet {wanted:?}; the sheets are: {}", sheets.join(", "))]
    NoSuchSheet {
        /// What was asked.
        wanted: String,
        /// What exists.
        sheets: Vec<String>,
    },
    /// No sheet at all.
    #[error("the workbook has no sheets")]
    NoSheets,
}

/// Reads one sheet of a workbook: `sheet` is a name or a 1-based number; the first sheet by default.
pub fn read_workbook(bytes: &[u8], sheet: Option<&str>) -> Result<Table, TableError> {
    let mut wb =
        calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| TableError::Workbook(e.to_string()))?;
    let sheets = wb.sheet_names();
    if sheets.is_empty() {
        return Err(TableError::NoSheets);
    }
    let name = match sheet {
        None => sheets[0].clone(),
        Some(s) => match sheets.iter().find(|n| n.trim() == s.trim()) {
            Some(n) => n.clone(),
            None => match s.trim().parse::<usize>() {
                Ok(i) if (1..=sheets.len()).contains(&i) => sheets[i - 1].clone(),
                _ => return Err(TableError::NoSuchSheet { wanted: s.to_string(), sheets }),
            },
        },
    };
    let range = wb.worksheet_range(&name).map_err(|e| TableError::Workbook(e.to_string()))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::with_capacity(range.height());
    for (i, r) in range.rows().enumerate() {
        // Columns left of the used range are empty: keep them so the header lines up with what a person sees.
        let mut cells: Vec<String> = vec![String::new(); col0 as usize];
        cells.extend(r.iter().map(cell_text));
        rows.push((row0 as u64 + i as u64 + 1, cells));
    }
    Ok(Table { sheet: Some(name), sheets, rows, charset: None })
}

/// A cell as a person reads it: whole numbers without `.0` or an exponent (an ИНН or a phone stored as a number),
/// dates as `dd.mm.yyyy [hh:mm:ss]`.
pub fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) => {
            let (y, m, d, hh, mm, ss, _) = dt.to_ymd_hms_milli();
            if dt.is_duration() {
                dt.as_f64().to_string()
            } else if (hh, mm, ss) == (0, 0, 0) {
                format!("{d:02}.{m:02}.{y:04}")
            } else {
                format!("{d:02}.{m:02}.{y:04} {hh:02}:{mm:02}:{ss:02}")
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// A number as written, never in exponent form when it is whole.
pub fn float_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e18 { format!("{f:.0}") } else { f.to_string() }
}

/// Decodes the bytes of an HTML export by its `<meta charset>` (or as UTF-8 when valid, else windows-1251).
fn html_text(bytes: &[u8]) -> (String, &'static str) {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let head = String::from_utf8_lossy(&body[..body.len().min(2048)]).to_ascii_lowercase();
    let declared_1251 = head.contains("charset=windows-1251")
        || head.contains("charset=\"windows-1251")
        || head.contains("charset=cp1251");
    if !declared_1251 && let Ok(s) = std::str::from_utf8(body) {
        return (s.to_string(), "UTF-8");
    }
    if !declared_1251 && !head.contains("charset") {
        let (s, _, bad) = encoding_rs::UTF_8.decode(body);
        if !bad {
            return (s.into_owned(), "UTF-8");
        }
    }
    let (s, _) = encoding_rs::WINDOWS_1251.decode_without_bom_handling(body);
    (s.into_owned(), "windows-1251")
}

/// Replaces the HTML entities of a cell's text.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.char_indices().take(12).find(|(_, c)| *c == ';').map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                "laquo" => Some('«'),
                "raquo" => Some('»'),
                "mdash" => Some('—'),
                "ndash" => Some('–'),
                _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                    u32::from_str_radix(&ent[2..], 16).ok().and_then(char::from_u32)
                }
                _ if ent.starts_with('#') => ent[1..].parse::<u32>().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Reads the first `<table>` of an HTML export: each `<tr>` is a row (numbered from 1 as Excel shows them), each
/// `<td>`/`<th>` a cell; `<br>` is a line break inside a cell, other tags are dropped, entities decoded.
pub fn read_html(bytes: &[u8]) -> Table {
    let (text, charset) = html_text(bytes);
    let lower = text.to_ascii_lowercase();
    let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
    let mut row: Option<Vec<String>> = None;
    let mut cell: Option<String> = None;
    let mut pos = 0usize;
    let finish_cell = |row: &mut Option<Vec<String>>, cell: &mut Option<String>| {
        if let Some(c) = cell.take() {
            let v = unescape(&c);
            let lines: Vec<String> = v
                .split('\n')
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|l| !l.is_empty())
                .collect();
            let joined = lines.join("\n");
            row.get_or_insert_with(Vec::new).push(joined);
        }
    };
    while pos < text.len() {
        let Some(lt) = text[pos..].find('<').map(|i| pos + i) else {
            if let Some(c) = cell.as_mut() {
                c.push_str(&text[pos..]);
            }
            break;
        };
        if let Some(c) = cell.as_mut() {
            c.push_str(&text[pos..lt]);
        }
        let (tag_end, gt) = text[lt..].find('>').map_or((text.len(), text.len()), |i| (lt + i, lt + i + 1));
        let tag = &lower[lt + 1..tag_end];
        let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let closing = tag.starts_with('/');
        match (name.as_str(), closing) {
            ("tr", false) => {
                finish_cell(&mut row, &mut cell);
                if let Some(r) = row.take() {
                    rows.push((rows.len() as u64 + 1, r));
                }
                row = Some(Vec::new());
            }
            ("tr", true) => {
                finish_cell(&mut row, &mut cell);
                if let Some(r) = row.take() {
                    rows.push((rows.len() as u64 + 1, r));
                }
            }
            ("td" | "th", false) => {
                finish_cell(&mut row, &mut cell);
                cell = Some(String::new());
            }
            ("td" | "th", true) => finish_cell(&mut row, &mut cell),
            ("br", _) | ("p", true) | ("div", true) => {
                if let Some(c) = cell.as_mut() {
                    c.push('\n');
                }
            }
            ("table", true) => {
                finish_cell(&mut row, &mut cell);
                if let Some(r) = row.take() {
                    rows.push((rows.len() as u64 + 1, r));
                }
                break;
            }
            ("script" | "style", false) => {
                let close = format!("</{name}");
                pos = lower[gt..].find(&close).map_or(text.len(), |i| gt + i);
                continue;
            }
            _ => {}
        }
        pos = gt;
    }
    finish_cell(&mut row, &mut cell);
    if let Some(r) = row.take() {
        rows.push((rows.len() as u64 + 1, r));
    }
    Table { sheet: None, sheets: Vec::new(), rows, charset: Some(charset) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(sniff_kind(b"PK\x03\x04rest"), SourceKind::Spreadsheet);
        assert_eq!(sniff_kind(b"\xEF\xBB\xBF<meta http-equiv=\"Content-type\"><table>"), SourceKind::HtmlTable);
        assert_eq!(sniff_kind("ID;Название\n1;<b>\n".as_bytes()), SourceKind::Csv);
    }

    #[test]
    fn html_table_cells() {
        let html = "<meta http-equiv=\"Content-type\" content=\"text/html;charset=UTF-8\" />\n<table border=\"1\">\n<thead><tr><th>ID</th><th>Название компании</th></tr></thead>\n<tr><td>1</td><td>ООО &quot;Ромашка&quot; &amp; К<br>филиал</td></tr>\n<tr><td>2</td><td> Лютик </td></tr></table>";
        let t = read_html(html.as_bytes());
        assert_eq!(t.charset, Some("UTF-8"));
        let rows: Vec<(u64, Vec<String>)> = t.rows;
        assert_eq!(rows[0], (1, vec!["ID".to_string(), "Название компании".to_string()]));
        assert_eq!(rows[1], (2, vec!["1".to_string(), "ООО \"Ромашка\" & К\nфилиал".to_string()]));
        assert_eq!(rows[2].1[1], "Лютик");
    }

    #[test]
    fn html_in_windows_1251_by_its_meta() {
        let html = "<meta http-equiv=\"Content-type\" content=\"text/html; charset=windows-1251\" />\n<table><tr><th>ID</th><th>Название компании</th></tr><tr><td>7</td><td>ООО «Ромашка»</td></tr></table>";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(html);
        let t = read_html(&bytes);
        assert_eq!(t.charset, Some("windows-1251"));
        assert_eq!(t.rows[1], (2, vec!["7".to_string(), "ООО «Ромашка»".to_string()]));
        // Without a meta charset, bytes that are not UTF-8 are read as windows-1251 too.
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("<table><tr><td>Лютик</td></tr></table>");
        assert_eq!(read_html(&bytes).rows[0].1, ["Лютик"]);
    }

    #[test]
    fn numbers_as_people_read_them() {
        assert_eq!(float_text(7707083893.0), "7707083893");
        assert_eq!(float_text(631645880259.0), "631645880259");
        assert_eq!(float_text(0.5), "0.5");
    }

    proptest::proptest! {
        #[test]
        fn html_reader_never_panics(s in "(<t[dhr]>|</t[dhr]>|<br>|&#?[a-z0-9]{0,4};?|[а-яa-z <>&;\"]){0,40}") {
            let t = read_html(s.as_bytes());
            for (i, (line, _)) in t.rows.iter().enumerate() {
                proptest::prop_assert_eq!(*line, i as u64 + 1);
            }
        }
    }
}
