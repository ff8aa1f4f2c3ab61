//! Ingestion: reads a CRM export as it really comes out of a CRM (UTF-8 or windows-1251, `,` `;` or tab,
//! Russian or English headers, quoted multi-line values) into [`Card`]s.
//!
//! Nothing is lost silently: every data row is either a card or a [`Reject`] with its line and reason, and
//! `rows_read == cards.len() + rejects.len()` always holds. Files that are not CRM exports at all (missing,
//! empty, header only, binary, no usable column) are refused with one clear [`IngestError`].

pub mod decode;
pub mod header;

use std::path::{Path, PathBuf};

use csv::ByteRecord;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

pub use decode::Encoding;
pub use header::{ColumnMap, MapError, parse_maps};

use crate::card::{Card, Field};
use crate::csvio::export_reader_builder;
use crate::dict::Dictionaries;

/// The default limit on the size of one field.
pub const DEFAULT_MAX_FIELD_BYTES: usize = 1 << 20;

/// How to read an export.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Force an encoding instead of detecting it.
    pub encoding: Option<Encoding>,
    /// Force a delimiter instead of sniffing it.
    pub delimiter: Option<u8>,
    /// `--map` overrides.
    pub maps: Vec<(Field, String)>,
    /// Rows with a longer field are rejected.
    pub max_field_bytes: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions { encoding: None, delimiter: None, maps: Vec::new(), max_field_bytes: DEFAULT_MAX_FIELD_BYTES }
    }
}

/// A file that cannot be read as a CRM export at all.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file does not exist.
    #[error("{0}: no such file")]
    NotFound(PathBuf),
    /// Reading failed.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Zero bytes, or only blank lines.
    #[error("{0}: the file is empty; expected a CRM export with a header row and at least one card")]
    Empty(PathBuf),
    /// A header and no data rows.
    #[error("{0}: the file has a header row but no cards")]
    HeaderOnly(PathBuf),
    /// Not text.
    #[error("{0}: this is a binary file, not a CSV export (save the CRM export as CSV, UTF-8 or windows-1251)")]
    Binary(PathBuf),
    /// UTF-16 text.
    #[error("{0}: the file is UTF-16; save it as CSV in UTF-8 or windows-1251")]
    Utf16(PathBuf),
    /// Neither an id nor a name column.
    #[error(
        "{path}: no column for the card id or the company name was recognised.\n  found columns: {}\n  expected e.g.: ID, Название компании, Наименование, Компания, name, id (or use --map name=<header>)",
        found.join(", ")
    )]
    NoUsableColumns {
        /// The file.
        path: PathBuf,
        /// Its headers.
        found: Vec<String>,
    },
    /// A `--map` that does not fit the file.
    #[error("{path}: {source}")]
    Map {
        /// The file.
        path: PathBuf,
        /// The mapping problem.
        source: MapError,
    },
}

/// A row that could not be read, with where and why.
#[derive(Debug, Clone, Serialize)]
pub struct Reject {
    /// Physical line where the row starts (the header is line 1).
    pub line: u64,
    /// The field concerned, if one.
    pub field: Option<String>,
    /// Why it was rejected.
    pub reason: String,
    /// The raw text of the row (cut at 32,000 characters, the limit of a spreadsheet cell, with a note).
    pub raw: String,
}

/// The result of reading an export.
#[derive(Debug)]
pub struct Ingested {
    /// The file read.
    pub path: PathBuf,
    /// Its encoding.
    pub encoding: Encoding,
    /// True when the encoding was detected rather than given.
    pub encoding_detected: bool,
    /// True when the file starts with a UTF-8 BOM.
    pub bom: bool,
    /// The delimiter.
    pub delimiter: u8,
    /// True when the delimiter was sniffed rather than given.
    pub delimiter_detected: bool,
    /// Column mapping.
    pub columns: ColumnMap,
    /// Data rows read (header excluded).
    pub rows_read: u64,
    /// The accepted cards, in file order.
    pub cards: Vec<Card>,
    /// The rejected rows, in file order.
    pub rejects: Vec<Reject>,
    /// True when the file has no id column and ids were made from line numbers (`L<line>`).
    pub ids_from_lines: bool,
    /// True when the header line ends with CRLF (Windows: Excel, 1С, Bitrix24), so files written back for the
    /// CRM use the same line end.
    pub crlf: bool,
}

/// Shows a delimiter to people.
pub fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".to_string(),
        b';' => "';'".to_string(),
        b',' => "','".to_string(),
        other => format!("{:?}", other as char),
    }
}

/// Counts `delim` outside quotes on each of the first logical lines of `text`.
fn delimiter_counts(text: &[u8], delim: u8, max_lines: usize) -> Vec<usize> {
    let mut counts = Vec::new();
    let (mut in_quotes, mut n) = (false, 0usize);
    let mut line_has_content = false;
    for &b in text {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes && b == delim {
            n += 1;
        } else if !in_quotes && b == b'\n' {
            if line_has_content {
                counts.push(n);
                if counts.len() >= max_lines {
                    return counts;
                }
            }
            n = 0;
            line_has_content = false;
            continue;
        }
        if b != b'\r' {
            line_has_content = true;
        }
    }
    if line_has_content {
        counts.push(n);
    }
    counts
}

/// Sniffs the delimiter among `;`, `,` and tab: the one that appears in the header and splits the most lines
/// into as many fields as the header; ties go to `;`, then tab, then `,`.
pub fn sniff_delimiter(text: &[u8]) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for d in [b';', b'\t', b','] {
        let counts = delimiter_counts(text, d, 50);
        let Some(&head) = counts.first() else { continue };
        if head == 0 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == head).count();
        if (consistent, head) > (best.1, best.2) {
            best = (d, consistent, head);
        }
    }
    best.0
}

const RAW_LIMIT: usize = 32_000;

fn raw_text(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim_end_matches(['\r', '\n']);
    if s.chars().count() > RAW_LIMIT {
        let cut: String = s.chars().take(RAW_LIMIT).collect();
        format!("{cut}… [cut: the row is {} bytes]", bytes.len())
    } else {
        s.to_string()
    }
}

fn split_multi(field: Field, value: &str, out: &mut Vec<String>) {
    let seps: &[char] = match field {
        Field::Contacts => &[';', '|', '\n', '\r'],
        Field::Address => &['\n', '\r'],
        _ => &[';', ',', '|', '\n', '\r'],
    };
    if field == Field::Address {
        let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if !v.is_empty() {
            out.push(v);
        }
        return;
    }
    for part in value.split(seps) {
        let p = part.trim();
        if !p.is_empty() {
            out.push(p.to_string());
        }
    }
}

/// Splits one record (already found by the sequential pass) into fields, reusing its buffers.
struct RecordParser {
    rdr: csv_core::Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl RecordParser {
    fn new(delimiter: u8) -> RecordParser {
        let rdr = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        RecordParser { rdr, out: vec![0; 1024], ends: vec![0; 64] }
    }

    /// The fields of the record in `raw`, or `None` if it cannot be parsed.
    fn parse<'a>(&'a mut self, raw: &[u8]) -> Option<impl Iterator<Item = &'a [u8]> + 'a> {
        use csv_core::ReadRecordResult;
        self.rdr.reset();
        let (mut inp, mut outlen, mut nends) = (0usize, 0usize, 0usize);
        loop {
            let (res, ni, no, ne) = self.rdr.read_record(&raw[inp..], &mut self.out[outlen..], &mut self.ends[nends..]);
            inp += ni;
            outlen += no;
            nends += ne;
            match res {
                ReadRecordResult::InputEmpty => {
                    if inp >= raw.len() {
                        // Flush the last field at the end of input.
                        let (res, _, no, ne) =
                            self.rdr.read_record(&[], &mut self.out[outlen..], &mut self.ends[nends..]);
                        outlen += no;
                        nends += ne;
                        match res {
                            ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                            ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                            _ => break,
                        }
                    }
                }
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2 + raw.len(), 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record | ReadRecordResult::End => break,
            }
        }
        let (out, ends) = (&self.out[..outlen], &self.ends[..nends]);
        Some((0..nends).map(move |i| &out[if i == 0 { 0 } else { ends[i - 1] }..ends[i]]))
    }
}

/// A small CSV read as text rows (header and rows with their line numbers), with the same encoding and
/// delimiter detection as exports. For side files such as override imports.
pub struct RawRows {
    /// Header cells.
    pub headers: Vec<String>,
    /// (line, cells) of each non-empty row.
    pub rows: Vec<(u64, Vec<String>)>,
}

/// Reads a small CSV file as text rows.
pub fn read_raw_rows(path: &Path, opts: &IngestOptions, _dict: &Dictionaries) -> Result<RawRows, IngestError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(IngestError::NotFound(path.to_path_buf())),
        Err(source) => return Err(IngestError::Io { path: path.to_path_buf(), source }),
    };
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty(path.to_path_buf()));
    }
    let (encoding, bom) = match decode::sniff(&bytes) {
        decode::Sniffed::Binary => return Err(IngestError::Binary(path.to_path_buf())),
        decode::Sniffed::Utf16 => return Err(IngestError::Utf16(path.to_path_buf())),
        decode::Sniffed::Text { encoding, bom } => (opts.encoding.unwrap_or(encoding), bom),
    };
    let data = decode::decode(&bytes[bom..], encoding);
    let delimiter = opts.delimiter.unwrap_or_else(|| sniff_delimiter(&data));
    let mut rdr = export_reader_builder(delimiter).from_reader(&data[..]);
    let mut out = RawRows { headers: Vec::new(), rows: Vec::new() };
    let mut rec = csv::StringRecord::new();
    let mut first = true;
    while rdr
        .read_record(&mut rec)
        .map_err(|e| IngestError::Io { path: path.to_path_buf(), source: std::io::Error::other(e.to_string()) })?
    {
        let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
        if first {
            out.headers = cells;
            first = false;
        } else if cells.iter().any(|c| !c.is_empty()) {
            out.rows.push((rec.position().map_or(0, |p| p.line()), cells));
        }
    }
    if out.headers.is_empty() {
        return Err(IngestError::Empty(path.to_path_buf()));
    }
    Ok(out)
}

/// Reads a CRM export.
pub fn read_cards(path: &Path, opts: &IngestOptions, dict: &Dictionaries) -> Result<Ingested, IngestError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(IngestError::NotFound(path.to_path_buf())),
        Err(source) => return Err(IngestError::Io { path: path.to_path_buf(), source }),
    };
    read_bytes(path, &bytes, opts, dict)
}

/// Reads a CRM export held in memory (`path` is used in messages only).
pub fn read_bytes(
    path: &Path,
    bytes: &[u8],
    opts: &IngestOptions,
    dict: &Dictionaries,
) -> Result<Ingested, IngestError> {
    let mut tr = crate::block::Trace::new();
    let p = || path.to_path_buf();
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::Empty(p()));
    }
    let (encoding, bom, encoding_detected) = match decode::sniff(bytes) {
        decode::Sniffed::Binary => return Err(IngestError::Binary(p())),
        decode::Sniffed::Utf16 => return Err(IngestError::Utf16(p())),
        decode::Sniffed::Text { encoding, bom } => match opts.encoding {
            Some(forced) => (forced, if forced == Encoding::Utf8 { bom } else { 0 }, false),
            None => (encoding, bom, true),
        },
    };
    let data = decode::decode(&bytes[bom..], encoding);
    let data: &[u8] = &data;
    let (delimiter, delimiter_detected) = match opts.delimiter {
        Some(d) => (d, false),
        None => (sniff_delimiter(data), true),
    };

    // The header: the first record.
    let mut rdr = export_reader_builder(delimiter).from_reader(data);
    let mut rec = ByteRecord::new();
    let has_header = rdr.read_byte_record(&mut rec).unwrap_or(false);
    if !has_header {
        return Err(IngestError::Empty(p()));
    }
    let headers: Vec<String> = rec.iter().map(|h| String::from_utf8_lossy(h).trim().to_string()).collect();
    let header_line_end = rdr.position().byte() as usize;
    let header_lines = rdr.position().line() - 1;
    drop(rdr);

    let columns =
        ColumnMap::build(&headers, &opts.maps, dict).map_err(|source| IngestError::Map { path: p(), source })?;
    if !columns.has(Field::Id) && !columns.has(Field::Name) {
        return Err(IngestError::NoUsableColumns { path: p(), found: headers });
    }
    let ids_from_lines = !columns.has(Field::Id);
    let field_cols: Vec<(Field, Vec<usize>)> = Field::ALL.iter().map(|&f| (f, columns.columns_of(f))).collect();
    let ncols = headers.len();

    let mut out = Ingested {
        path: p(),
        encoding,
        encoding_detected,
        bom: bom > 0,
        delimiter,
        delimiter_detected,
        columns,
        rows_read: 0,
        cards: Vec::new(),
        rejects: Vec::new(),
        ids_from_lines,
        // The reader stops after the `\r` of a CRLF or after the `\n`.
        crlf: matches!(data[..header_line_end.min(data.len())], [.., b'\r'] | [.., b'\r', b'\n']),
    };
    tr.lap("read: sniff+header");
    // Pass 1, sequential: find every record, check its shape, and keep its place; no text is decoded yet.
    // A record that spans several lines and does not have the header's shape is an unclosed quote: the line it
    // starts on is rejected and reading resumes on the next line.
    enum Row {
        Ok { line: u64, start: usize, end: usize },
        Rejected(Reject),
    }
    let mut rows: Vec<Row> = Vec::new();
    let mut offset = header_line_end;
    let mut line_base = header_lines;
    'slices: while offset < data.len() {
        let slice = &data[offset..];
        let mut rdr = export_reader_builder(delimiter).from_reader(slice);
        loop {
            let start = rdr.position().clone();
            let more = match rdr.read_byte_record(&mut rec) {
                Ok(m) => m,
                Err(e) => {
                    // Not expected with flexible byte records; reject the line and carry on after it.
                    let at = start.byte() as usize;
                    let line_end = slice[at..].iter().position(|&b| b == b'\n').map_or(slice.len(), |i| at + i + 1);
                    rows.push(Row::Rejected(Reject {
                        line: line_base + start.line(),
                        field: None,
                        reason: format!("unreadable row: {e}"),
                        raw: raw_text(&slice[at..line_end]),
                    }));
                    line_base += start.line();
                    offset += line_end;
                    continue 'slices;
                }
            };
            if !more {
                break 'slices;
            }
            let pos = rec.position().cloned().unwrap_or(start);
            let rec_start = pos.byte() as usize;
            let rec_end = (rdr.position().byte() as usize).max(rec_start);
            let line = line_base + pos.line();
            let raw = &slice[rec_start..rec_end];
            let multiline = rec.iter().any(|f| f.contains(&b'\n') || f.contains(&b'\r'));
            let too_big = rec.iter().position(|f| f.len() > opts.max_field_bytes);
            let wrong_count = rec.len() < ncols
                || (rec.len() > ncols && rec.iter().skip(ncols).any(|f| !f.iter().all(u8::is_ascii_whitespace)));
            if multiline && (wrong_count || too_big.is_some()) {
                let line_end =
                    slice[rec_start..].iter().position(|&b| b == b'\n').map_or(slice.len(), |i| rec_start + i + 1);
                rows.push(Row::Rejected(Reject {
                    line,
                    field: None,
                    reason: "broken quoting: a quote opened on this line is not closed where the row ends; reading resumes on the next line".into(),
                    raw: raw_text(&slice[rec_start..line_end]),
                }));
                line_base = line;
                offset += line_end;
                continue 'slices;
            }
            let reject = |field: Option<&str>, reason: String| {
                Row::Rejected(Reject { line, field: field.map(str::to_string), reason, raw: raw_text(raw) })
            };
            if let Some(i) = too_big {
                let h = out.columns.headers.get(i).cloned().unwrap_or_default();
                let size = rec[i].len();
                rows.push(reject(
                    Some(&h),
                    format!("field «{h}» is {size} bytes, over the limit of {} bytes", opts.max_field_bytes),
                ));
            } else if wrong_count {
                rows.push(reject(
                    None,
                    format!(
                        "expected {ncols} fields as in the header, found {} (a stray delimiter or a missing one?)",
                        rec.len()
                    ),
                ));
            } else if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                rows.push(reject(None, "empty row".into()));
            } else {
                rows.push(Row::Ok { line, start: offset + rec_start, end: offset + rec_end });
            }
        }
    }
    out.rows_read = rows.len() as u64;
    let rows_hint = rows.len();
    out.cards.reserve(rows_hint);

    tr.lap("read: pass 1");
    // Pass 2, in parallel: decode each record's fields and build its card.
    let id_header = field_cols[0].1.first().map(|&c| out.columns.headers[c].clone()).unwrap_or_default();
    let headers = &out.columns.headers;
    let built: Vec<Result<(Card, usize, usize), Reject>> = rows
        .into_par_iter()
        .map_init(
            || RecordParser::new(delimiter),
            |parser, row| {
                let (line, start, end) = match row {
                    Row::Ok { line, start, end } => (line, start, end),
                    Row::Rejected(r) => return Err(r),
                };
                let raw = &data[start..end];
                let reject = |field: Option<&str>, reason: String| Reject {
                    line,
                    field: field.map(str::to_string),
                    reason,
                    raw: raw_text(raw),
                };
                let Some(fields) = parser.parse(raw) else {
                    return Err(reject(None, "unreadable row".into()));
                };
                let mut values: Vec<&str> = Vec::with_capacity(ncols);
                for (i, f) in fields.take(ncols).enumerate() {
                    match std::str::from_utf8(f) {
                        Ok(s) if !(encoding == Encoding::Windows1251 && s.contains('\u{FFFD}')) => values.push(s),
                        _ => {
                            let h = headers.get(i).cloned().unwrap_or_default();
                            return Err(reject(
                                Some(&h),
                                format!("undecodable bytes in field «{h}» (not valid {})", encoding.name()),
                            ));
                        }
                    }
                }
                let mut card = Card { line, ..Card::default() };
                for (field, cols) in &field_cols {
                    if cols.is_empty() {
                        continue;
                    }
                    if field.is_multi() {
                        let mut vals = Vec::new();
                        for &c in cols {
                            split_multi(*field, values[c], &mut vals);
                        }
                        match field {
                            Field::Phones => card.phones = vals,
                            Field::Emails => card.emails = vals,
                            Field::Contacts => card.contacts = vals,
                            Field::Address => card.address = vals,
                            _ => {}
                        }
                    } else {
                        let v =
                            cols.iter().map(|&c| values[c].trim()).find(|v| !v.is_empty()).unwrap_or("").to_string();
                        match field {
                            Field::Id => card.id = v,
                            Field::Name => card.name = v,
                            Field::Inn => card.inn = v,
                            Field::Kpp => card.kpp = v,
                            Field::Ogrn => card.ogrn = v,
                            Field::Brand => card.brand = v,
                            Field::Website => card.website = v,
                            Field::Manager => card.manager = v,
                            Field::LastActivity => card.last_activity = v,
                            _ => {}
                        }
                    }
                }
                if ids_from_lines {
                    card.id = format!("L{line}");
                } else if card.id.is_empty() {
                    return Err(reject(Some(&id_header), format!("empty id in field «{id_header}»")));
                }
                Ok((card, start, end))
            },
        )
        .collect();

    tr.lap("read: pass 2");
    // Pass 3, sequential: duplicate ids, in file order (the first one wins).
    // id hash → index of the first card with it; the rare other ids with the same hash go to `more`.
    let mut seen: FxHashMap<u64, u32> = FxHashMap::default();
    let mut more: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    seen.reserve(rows_hint);
    let id_hash = |id: &str| {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(id)
    };
    for r in built {
        match r {
            Err(rej) => out.rejects.push(rej),
            Ok((card, start, end)) => {
                let h = id_hash(&card.id);
                let same = seen
                    .get(&h)
                    .copied()
                    .into_iter()
                    .chain(more.get(&h).into_iter().flatten().copied())
                    .find(|&i| out.cards[i as usize].id == card.id);
                if let Some(first) = same {
                    let first_line = out.cards[first as usize].line;
                    out.rejects.push(Reject {
                        line: card.line,
                        field: Some(id_header.clone()),
                        reason: format!("duplicate id {} (first seen on line {first_line})", card.id),
                        raw: raw_text(&data[start..end]),
                    });
                    continue;
                }
                let idx = out.cards.len() as u32;
                match seen.entry(h) {
                    std::collections::hash_map::Entry::Occupied(_) => more.entry(h).or_default().push(idx),
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(idx);
                    }
                }
                out.cards.push(card);
            }
        }
    }
    tr.lap("read: pass 3");
    if out.rows_read == 0 {
        return Err(IngestError::HeaderOnly(p()));
    }
    debug_assert_eq!(out.rows_read as usize, out.cards.len() + out.rejects.len());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &[u8]) -> Result<Ingested, IngestError> {
        read_bytes(Path::new("t.csv"), text, &IngestOptions::default(), Dictionaries::embedded())
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter(b"id;name;addr\n1;a;\"x, y\"\n"), b';');
        assert_eq!(sniff_delimiter(b"id,name\n1,\"a;b\"\n"), b',');
        assert_eq!(sniff_delimiter(b"id\tname\n1\ta\n"), b'\t');
        assert_eq!(sniff_delimiter(b"name\nabc\n"), b',');
    }

    #[test]
    fn reads_quoted_multiline_and_counts_add_up() {
        let csv = "id;Название;Телефон;Контакты\n1;\"ООО \"\"Ромашка\"\"\";8 495 123-45-67, 8 912 000 11 22;\"Иванов И.И.\nПетров П.П.\"\n2;Лютик;;\n";
        let r = read(csv.as_bytes()).unwrap();
        assert_eq!(r.delimiter, b';');
        assert_eq!(r.rows_read, 2);
        assert_eq!(r.cards.len(), 2);
        assert_eq!(r.cards[0].name, "ООО \"Ромашка\"");
        assert_eq!(r.cards[0].phones, ["8 495 123-45-67", "8 912 000 11 22"]);
        assert_eq!(r.cards[0].contacts, ["Иванов И.И.", "Петров П.П."]);
        assert_eq!(r.cards[1].line, 4);
    }

    #[test]
    fn bad_rows_are_rejected_with_line_and_reason() {
        let csv = "id,name,inn\n1,A,1\n2,B\n1,C,3\n,D,4\n,,\n3,\"E,5\n4,F,6\n5,G,7\n";
        let r = read(csv.as_bytes()).unwrap();
        let got: Vec<(u64, &str)> = r.rejects.iter().map(|x| (x.line, x.reason.as_str())).collect();
        assert_eq!(got.len(), 5, "{got:?}");
        assert!(got[0].1.starts_with("expected 3 fields"), "{got:?}");
        assert_eq!(got[0].0, 3);
        assert!(got[1].1.starts_with("duplicate id 1 (first seen on line 2)"));
        assert!(got[2].1.starts_with("empty id"));
        assert_eq!(got[3].1, "empty row");
        assert!(got[4].1.starts_with("broken quoting"), "{got:?}");
        assert_eq!(got[4].0, 7);
        let ids: Vec<&str> = r.cards.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["1", "4", "5"]);
        assert_eq!(r.rows_read as usize, r.cards.len() + r.rejects.len());
    }

    #[test]
    fn undecodable_and_oversized_fields() {
        let mut csv = b"id;name\n".to_vec();
        for i in 0..30 {
            csv.extend(format!("{i};Ромашка\n").as_bytes());
        }
        csv.extend(b"99;\xC0\xE1\n");
        let r = read(&csv).unwrap();
        assert_eq!(r.rejects.len(), 1);
        assert!(r.rejects[0].reason.contains("undecodable"));
        assert_eq!(r.rejects[0].field.as_deref(), Some("name"));

        let big = format!("id,name\n1,{}\n2,ok\n", "x".repeat(DEFAULT_MAX_FIELD_BYTES + 1));
        let r = read(big.as_bytes()).unwrap();
        assert_eq!(r.cards.len(), 1);
        assert!(r.rejects[0].reason.contains("over the limit"));
        assert!(r.rejects[0].raw.len() < 40_000);
    }

    #[test]
    fn whole_file_errors() {
        assert!(matches!(read(b""), Err(IngestError::Empty(_))));
        assert!(matches!(read(b"\n\n"), Err(IngestError::Empty(_))));
        assert!(matches!(read(b"id;name\n"), Err(IngestError::HeaderOnly(_))));
        assert!(matches!(read(b"\x00\x01PK\x03\x04"), Err(IngestError::Binary(_))));
        assert!(matches!(read(b"foo;bar\n1;2\n"), Err(IngestError::NoUsableColumns { .. })));
    }

    #[test]
    fn no_id_column_uses_line_numbers() {
        let r = read("Компания,ИНН\nРомашка,7707083893\n".as_bytes()).unwrap();
        assert!(r.ids_from_lines);
        assert_eq!(r.cards[0].id, "L2");
    }
}
