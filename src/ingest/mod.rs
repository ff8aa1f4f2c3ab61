//! Ingestion: reads a CRM export as it really comes out of a CRM (CSV in UTF-8 or windows-1251, `,` `;` or tab,
//! any line end; .xlsx/.xls/.ods; Bitrix24's HTML "Excel"; title rows above the header; Russian or English headers,
//! quoted multi-line values) into [`Card`]s.
//!
//! Nothing is lost silently: every data row is either a card, an amoCRM contact row attached to its company's card,
//! or a [`Reject`] with its line and reason, and `rows_read == cards.len() + rejects.len()` always holds. Files that
//! are not CRM exports at all (missing, empty, header only, binary, a line without end, no usable column) are
//! refused with one clear [`IngestError`].

pub mod decode;
pub mod header;
pub mod table;

use std::path::{Path, PathBuf};

use csv::ByteRecord;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::Serialize;

pub use decode::Encoding;
pub use header::{ColumnMap, MapError, parse_maps};
pub use table::SourceKind;

use crate::card::{Card, Field};
use crate::csvio::export_reader_builder;
use crate::dict::Dictionaries;

/// The default limit on the size of one field.
pub const DEFAULT_MAX_FIELD_BYTES: usize = 1 << 20;

/// The default limit on one physical line: a file without line breaks (or `/dev/zero`) is refused once a line
/// grows past it, instead of being read into memory without bound.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;

/// How many rows at the top may be titles above the header (`Мои клиенты (Петров П.) на 01.02.2026`).
pub const MAX_TITLE_ROWS: usize = 10;

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
    /// A file with a longer physical line is refused.
    pub max_line_bytes: usize,
    /// The sheet of a workbook to read: a name or a 1-based number (the first sheet by default).
    pub sheet: Option<String>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            encoding: None,
            delimiter: None,
            maps: Vec::new(),
            max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            sheet: None,
        }
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
    #[error(
        "{0}: this is a binary file, not a CRM export (expected CSV in UTF-8 or windows-1251, .xlsx, .xls, .ods, or Bitrix24's HTML \"Excel\" export)"
    )]
    Binary(PathBuf),
    /// UTF-16 text.
    #[error("{0}: the file is UTF-16; save it as CSV in UTF-8 or windows-1251")]
    Utf16(PathBuf),
    /// Neither an id nor a name column.
    #[error(
        "{path}: no column for the card id or the company name was recognised in the first {MAX_TITLE_ROWS} rows.\n  found columns: {}\n  expected e.g.: ID, Название компании, Наименование, Компания, name, id (or use --map name=<header>)",
        found.join(", ")
    )]
    NoUsableColumns {
        /// The file.
        path: PathBuf,
        /// Its headers.
        found: Vec<String>,
    },
    /// A physical line over the limit: not an export, or one without line breaks.
    #[error(
        "{path}: line {line} is longer than {limit} bytes without a line break; this is not a CRM export (or its line ends are lost)"
    )]
    LineTooLong {
        /// The file.
        path: PathBuf,
        /// The line that grew too long.
        line: u64,
        /// The limit.
        limit: usize,
    },
    /// A spreadsheet that cannot be read.
    #[error("{path}: {error}")]
    Table {
        /// The file.
        path: PathBuf,
        /// The cause.
        error: table::TableError,
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
    /// CSV, spreadsheet or HTML table.
    pub kind: SourceKind,
    /// The sheet read, and every sheet of the workbook (spreadsheets only).
    pub sheet: Option<String>,
    /// Every sheet of the workbook.
    pub sheets: Vec<String>,
    /// The line of the header row.
    pub header_line: u64,
    /// Title rows above the header that were skipped: (line, text).
    pub title_rows: Vec<(u64, String)>,
    /// amoCRM contact rows (`Тип: контакт`) attached to their company's card: (line, person, company's card id).
    /// They are not cards and not counted in `rows_read`.
    pub contact_rows: Vec<(u64, String, String)>,
    /// Companies named only by contact rows (amoCRM's contacts export, or a company left out of the file): one
    /// card built from the first contact row of each, whose id and line it takes (that row counts as read; the
    /// company's other contact rows go to `contact_rows`): (line, company).
    pub companies_from_contacts: Vec<(u64, String)>,
    /// Decisions about the encoding a person should know (rows decoded apart from the rest of the file).
    pub encoding_notes: Vec<String>,
}

impl Ingested {
    /// What a person should read before trusting the result (also printed on stderr).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = self.columns.warnings();
        w.extend(self.encoding_notes.iter().cloned());
        if !self.contact_rows.is_empty() {
            w.push(format!(
                "{} contact rows (Тип: контакт) were attached to their companies' cards; they are not counted as rows read",
                self.contact_rows.len()
            ));
        }
        if !self.companies_from_contacts.is_empty() {
            w.push(format!(
                "{} companies are named only by contact rows (Тип: контакт, column Компания): each became a card with the id and line of its first contact",
                self.companies_from_contacts.len()
            ));
        }
        w
    }
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
        // The header may sit below title rows without delimiters.
        let Some(at) = counts.iter().take(MAX_TITLE_ROWS).position(|&c| c > 0) else { continue };
        let head = counts[at];
        let consistent = counts[at..].iter().filter(|&&c| c == head).count();
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

/// Reads a file whole, refusing it as soon as one physical line grows past `max_line` bytes (a file without
/// line breaks, `/dev/zero`), so memory stays bounded by the file's real size.
pub fn read_capped(path: &Path, max_line: usize) -> Result<Vec<u8>, IngestError> {
    use std::io::Read;
    let io = |source: std::io::Error| IngestError::Io { path: path.to_path_buf(), source };
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(IngestError::NotFound(path.to_path_buf())),
        Err(e) => return Err(io(e)),
    };
    let mut buf = Vec::new();
    if let Ok(m) = f.metadata()
        && m.is_file()
    {
        buf.reserve(m.len().min(1 << 32) as usize);
    }
    const CHUNK: usize = 1 << 20;
    let mut chunk = vec![0u8; CHUNK];
    let mut line_len = 0usize;
    // None until the first 8 KiB are in: then whether the file is a workbook (no line structure).
    let mut workbook: Option<bool> = None;
    let mut over = false;
    loop {
        let n = match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        };
        let c = &chunk[..n];
        buf.extend_from_slice(c);
        if workbook.is_none() && buf.len() >= 8192 {
            if table::sniff_kind(&buf) == SourceKind::Spreadsheet {
                workbook = Some(true);
            } else if matches!(decode::sniff(&buf), decode::Sniffed::Binary | decode::Sniffed::Utf16) {
                // The head decides it (`/dev/zero`, `/dev/urandom`, a binary file): read no further, the caller
                // refuses it from these bytes.
                return Ok(buf);
            } else {
                workbook = Some(false);
            }
        }
        if workbook == Some(true) {
            continue;
        }
        match c.iter().rposition(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                let before = c[..i].iter().position(|&b| b == b'\n' || b == b'\r').unwrap_or(i);
                over |= line_len + before > max_line;
                line_len = n - i - 1;
            }
            None => line_len += n,
        }
        if over || line_len > max_line {
            over = true;
            break;
        }
    }
    // A line inside one chunk can only be over a cap smaller than the chunk (tests); otherwise only a refused read
    // needs the walk that names the line.
    if workbook != Some(true) && (over || max_line < CHUNK) {
        let (mut line, mut len) = (1u64, 0usize);
        for (i, &b) in buf.iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                if !(b == b'\n' && i > 0 && buf[i - 1] == b'\r') {
                    line += 1;
                }
                len = 0;
            } else {
                len += 1;
                if len > max_line {
                    return Err(IngestError::LineTooLong { path: path.to_path_buf(), line, limit: max_line });
                }
            }
        }
        if over {
            return Err(IngestError::LineTooLong { path: path.to_path_buf(), line, limit: max_line });
        }
    }
    Ok(buf)
}

/// Reads a CRM export.
pub fn read_cards(path: &Path, opts: &IngestOptions, dict: &Dictionaries) -> Result<Ingested, IngestError> {
    let bytes = read_capped(path, opts.max_line_bytes)?;
    read_bytes(path, &bytes, opts, dict)
}

/// Counts physical lines (`\r\n`, `\n` or a lone `\r` end one) up to increasing positions of a text.
struct LineCounter {
    pos: usize,
    line: u64,
}

impl LineCounter {
    fn new() -> LineCounter {
        LineCounter { pos: 0, line: 1 }
    }

    /// The line of byte `at`; positions must not decrease between calls.
    fn line_at(&mut self, data: &[u8], at: usize) -> u64 {
        let at = at.min(data.len());
        if at > self.pos {
            let span = &data[self.pos..at];
            // LF files (the common case) take the vectorised count; a CR anywhere takes the exact walk.
            if span.contains(&b'\r') {
                for i in self.pos..at {
                    match data[i] {
                        b'\n' => self.line += 1,
                        b'\r' if data.get(i + 1) != Some(&b'\n') => self.line += 1,
                        _ => {}
                    }
                }
            } else {
                self.line += span.iter().filter(|&&b| b == b'\n').count() as u64;
            }
            self.pos = at;
        }
        self.line
    }
}

/// The first byte after the line ends at or after `at` (`\r\n`, `\n` or `\r`).
fn next_line_start(s: &[u8], at: usize) -> usize {
    match s[at.min(s.len())..].iter().position(|&b| b == b'\n' || b == b'\r') {
        None => s.len(),
        Some(i) => {
            let i = at + i;
            if s[i] == b'\r' && s.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 }
        }
    }
}

/// Skips the line ends a record position may start on (the LF of a CRLF).
fn skip_line_ends(s: &[u8], mut at: usize, end: usize) -> usize {
    while at < end && matches!(s[at], b'\r' | b'\n') {
        at += 1;
    }
    at
}

/// Decodes a file that is not valid UTF-8 line by line: lines that are valid UTF-8 stay UTF-8, the others are
/// read as windows-1251. Returns the text, the encoding of most non-ASCII lines and a note when both occur.
fn decode_mixed(bytes: &[u8]) -> (Vec<u8>, Encoding, Option<String>) {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 2);
    let (mut utf8_lines, mut cp_lines, mut first_cp, mut first_utf8) = (0u64, 0u64, 0u64, 0u64);
    let (mut at, mut line) = (0usize, 1u64);
    while at < bytes.len() {
        let end = next_line_start(bytes, at);
        let l = &bytes[at..end];
        if l.is_ascii() {
            out.extend_from_slice(l);
        } else if std::str::from_utf8(l).is_ok() {
            out.extend_from_slice(l);
            utf8_lines += 1;
            if first_utf8 == 0 {
                first_utf8 = line;
            }
        } else {
            let (t, _) = encoding_rs::WINDOWS_1251.decode_without_bom_handling(l);
            out.extend_from_slice(t.as_bytes());
            cp_lines += 1;
            if first_cp == 0 {
                first_cp = line;
            }
        }
        at = end;
        line += 1;
    }
    let encoding = if utf8_lines > cp_lines { Encoding::Utf8 } else { Encoding::Windows1251 };
    let note = (utf8_lines > 0 && cp_lines > 0).then(|| {
        format!(
            "mixed encodings: {utf8_lines} lines read as UTF-8 (the first on line {first_utf8}) and {cp_lines} as windows-1251 (the first on line {first_cp}); each line is decoded by its own encoding"
        )
    });
    (out, encoding, note)
}

/// One row turned into a card, or an amoCRM contact row with the name of its company.
enum Built {
    Card(Card),
    Contact(Card, String),
}

/// Turns the text cells of a row into a card: shared by CSV and table rows.
struct CardBuilder<'a> {
    columns: &'a ColumnMap,
    field_cols: Vec<(Field, Vec<usize>)>,
    ids_from_lines: bool,
    id_header: String,
}

impl<'a> CardBuilder<'a> {
    fn new(columns: &'a ColumnMap) -> CardBuilder<'a> {
        let field_cols: Vec<(Field, Vec<usize>)> = Field::ALL.iter().map(|&f| (f, columns.columns_of(f))).collect();
        let ids_from_lines = !columns.has(Field::Id);
        let id_header = field_cols[0].1.first().map(|&c| columns.headers[c].clone()).unwrap_or_default();
        CardBuilder { columns, field_cols, ids_from_lines, id_header }
    }

    /// The card of a row whose cells are `values` (as many as the header), or (field, reason).
    fn build(&self, line: u64, values: &[&str]) -> Result<Built, (Option<String>, String)> {
        if let Some(i) = values.iter().position(|v| v.contains('\0')) {
            let h = self.columns.headers.get(i).cloned().unwrap_or_default();
            return Err((Some(h.clone()), format!("a NUL byte in field «{h}»: the row is damaged")));
        }
        let mut card = Card { line, ..Card::default() };
        for (field, cols) in &self.field_cols {
            if cols.is_empty() {
                continue;
            }
            if field.is_multi() {
                let mut vals = Vec::new();
                for &c in cols {
                    split_multi(*field, values[c], &mut vals);
                }
                // Room for exactly the values: a vector pushed to holds four, a million cards wait for normalising.
                vals.shrink_to_fit();
                match field {
                    Field::Phones => card.phones = vals,
                    Field::Emails => card.emails = vals,
                    Field::Contacts => card.contacts = vals,
                    Field::Address => card.address = vals,
                    _ => {}
                }
            } else {
                let v = cols.iter().map(|&c| values[c].trim()).find(|v| !v.is_empty()).unwrap_or("").to_string();
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
        if self.columns.is_contact_row(values) {
            let company = self.columns.contact_company.map(|c| values[c].trim().to_string()).unwrap_or_default();
            return Ok(Built::Contact(card, company));
        }
        if self.ids_from_lines {
            card.id = format!("L{line}");
        } else if card.id.is_empty() {
            let h = &self.id_header;
            return Err((Some(h.clone()), format!("empty id in field «{h}»")));
        }
        Ok(Built::Card(card))
    }
}

/// Finds the header among the first rows: the first one that maps an id or a name column. Returns its index and
/// mapping.
fn find_header(
    path: &Path,
    rows: &[(u64, Vec<String>)],
    opts: &IngestOptions,
    dict: &Dictionaries,
) -> Result<(usize, ColumnMap), IngestError> {
    let mut first_err = None;
    let mut first_nonempty: Option<&Vec<String>> = None;
    for (i, (_, cells)) in rows.iter().enumerate().take(MAX_TITLE_ROWS) {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        first_nonempty.get_or_insert(cells);
        let headers: Vec<String> = cells.iter().map(|h| h.trim().to_string()).collect();
        match ColumnMap::build(&headers, &opts.maps, dict) {
            Ok(m) if m.has(Field::Id) || m.has(Field::Name) => return Ok((i, m)),
            Ok(_) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let found: Vec<String> =
        first_nonempty.map(|c| c.iter().map(|h| h.trim().to_string()).collect()).unwrap_or_default();
    if found.is_empty() {
        return Err(IngestError::Empty(path.to_path_buf()));
    }
    match first_err {
        Some(source) => Err(IngestError::Map { path: path.to_path_buf(), source }),
        None => Err(IngestError::NoUsableColumns { path: path.to_path_buf(), found }),
    }
}

fn title_text(cells: &[String]) -> String {
    cells.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Reads a CRM export held in memory (`path` is used in messages only).
pub fn read_bytes(
    path: &Path,
    bytes: &[u8],
    opts: &IngestOptions,
    dict: &Dictionaries,
) -> Result<Ingested, IngestError> {
    let p = || path.to_path_buf();
    match table::sniff_kind(bytes) {
        SourceKind::Spreadsheet => {
            let t = table::read_workbook(bytes, opts.sheet.as_deref())
                .map_err(|error| IngestError::Table { path: p(), error })?;
            return read_table(path, t, SourceKind::Spreadsheet, opts, dict);
        }
        SourceKind::HtmlTable => return read_table(path, table::read_html(bytes), SourceKind::HtmlTable, opts, dict),
        SourceKind::Csv => {}
    }
    let mut tr = crate::timing::Laps::new();
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
    let mut encoding_notes = Vec::new();
    let (data, encoding) = if encoding_detected && std::str::from_utf8(&bytes[bom..]).is_err() {
        let (text, enc, note) = decode_mixed(&bytes[bom..]);
        encoding_notes.extend(note);
        (std::borrow::Cow::Owned(text), enc)
    } else {
        (decode::decode(&bytes[bom..], encoding), encoding)
    };
    let data: &[u8] = &data;
    let (delimiter, delimiter_detected) = match opts.delimiter {
        Some(d) => (d, false),
        None => (sniff_delimiter(data), true),
    };

    // The header: the first of the first records that maps an id or a name column; rows above it are titles.
    let mut lines = LineCounter::new();
    let mut rec = ByteRecord::new();
    let mut candidates: Vec<(u64, Vec<String>)> = Vec::new();
    let mut ends: Vec<usize> = Vec::new();
    {
        let mut rdr = export_reader_builder(delimiter).from_reader(data);
        while candidates.len() < MAX_TITLE_ROWS && rdr.read_byte_record(&mut rec).unwrap_or(false) {
            let start = rec.position().map_or(0, |p| p.byte() as usize);
            let end = rdr.position().byte() as usize;
            let line = lines.line_at(data, skip_line_ends(data, start, end));
            candidates.push((line, rec.iter().map(|h| String::from_utf8_lossy(h).into_owned()).collect()));
            ends.push(end);
        }
    }
    if candidates.is_empty() {
        return Err(IngestError::Empty(p()));
    }
    let (h, columns) = find_header(path, &candidates, opts, dict)?;
    let header_line = candidates[h].0;
    let title_rows: Vec<(u64, String)> = candidates[..h]
        .iter()
        .filter(|(_, c)| c.iter().any(|x| !x.trim().is_empty()))
        .map(|(l, c)| (*l, title_text(c)))
        .collect();
    let header_line_end = ends[h];
    let ids_from_lines = !columns.has(Field::Id);
    let ncols = columns.headers.len();
    // The candidates were read ahead of the header's end: count lines again from the start.
    let mut lines = LineCounter::new();

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
        kind: SourceKind::Csv,
        sheet: None,
        sheets: Vec::new(),
        header_line,
        title_rows,
        contact_rows: Vec::new(),
        companies_from_contacts: Vec::new(),
        encoding_notes,
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
    'slices: while offset < data.len() {
        let slice = &data[offset..];
        let mut rdr = export_reader_builder(delimiter).from_reader(slice);
        loop {
            let start = rdr.position().clone();
            let more = match rdr.read_byte_record(&mut rec) {
                Ok(m) => m,
                Err(e) => {
                    // Not expected with flexible byte records; reject the line and carry on after it.
                    let at = skip_line_ends(slice, start.byte() as usize, slice.len());
                    let line_end = next_line_start(slice, at);
                    rows.push(Row::Rejected(Reject {
                        line: lines.line_at(data, offset + at),
                        field: None,
                        reason: format!("unreadable row: {e}"),
                        raw: raw_text(&slice[at..line_end]),
                    }));
                    offset += line_end;
                    continue 'slices;
                }
            };
            if !more {
                break 'slices;
            }
            let pos = rec.position().cloned().unwrap_or(start);
            let rec_end = (rdr.position().byte() as usize).max(pos.byte() as usize);
            let rec_start = skip_line_ends(slice, pos.byte() as usize, rec_end);
            let line = lines.line_at(data, offset + rec_start);
            let raw = &slice[rec_start..rec_end];
            let multiline = rec.iter().any(|f| f.contains(&b'\n') || f.contains(&b'\r'));
            let too_big = rec.iter().position(|f| f.len() > opts.max_field_bytes);
            let wrong_count = rec.len() < ncols
                || (rec.len() > ncols && rec.iter().skip(ncols).any(|f| !f.iter().all(u8::is_ascii_whitespace)));
            if multiline && (wrong_count || too_big.is_some()) {
                let line_end = next_line_start(slice, rec_start);
                rows.push(Row::Rejected(Reject {
                    line,
                    field: None,
                    reason: "broken quoting: a quote opened on this line is not closed where the row ends; reading resumes on the next line".into(),
                    raw: raw_text(&slice[rec_start..line_end]),
                }));
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
    tr.lap("read: pass 1");
    // Pass 2, in parallel: decode each record's fields and build its card.
    let builder = CardBuilder::new(&out.columns);
    let headers = &out.columns.headers;
    let built: Vec<Result<(Built, usize, usize), Reject>> = rows
        .into_par_iter()
        .map_init(
            || RecordParser::new(delimiter),
            |parser, row| {
                let (line, start, end) = match row {
                    Row::Ok { line, start, end } => (line, start, end),
                    Row::Rejected(r) => return Err(r),
                };
                let raw = &data[start..end];
                let reject = |field: Option<String>, reason: String| Reject { line, field, reason, raw: raw_text(raw) };
                let Some(fields) = parser.parse(raw) else {
                    return Err(reject(None, "unreadable row".into()));
                };
                let mut values: Vec<&str> = Vec::with_capacity(ncols);
                for (i, f) in fields.take(ncols).enumerate() {
                    match std::str::from_utf8(f) {
                        Ok(s) if !(encoding == Encoding::Windows1251 && s.contains('\u{FFFD}')) => values.push(s),
                        _ => {
                            let h = headers.get(i).cloned().unwrap_or_default();
                            let reason = format!("undecodable bytes in field «{h}» (not valid {})", encoding.name());
                            return Err(reject(Some(h), reason));
                        }
                    }
                }
                while values.len() < ncols {
                    values.push("");
                }
                builder.build(line, &values).map(|b| (b, start, end)).map_err(|(f, r)| reject(f, r))
            },
        )
        .collect();
    tr.lap("read: pass 2");
    finish(&mut out, built, |start, end| raw_text(&data[start..end]));
    tr.lap("read: pass 3");
    if out.rows_read == 0 && out.contact_rows.is_empty() {
        return Err(IngestError::HeaderOnly(p()));
    }
    Ok(out)
}

/// Reads the rows of a spreadsheet or an HTML table.
fn read_table(
    path: &Path,
    t: table::Table,
    kind: SourceKind,
    opts: &IngestOptions,
    dict: &Dictionaries,
) -> Result<Ingested, IngestError> {
    let p = || path.to_path_buf();
    if t.rows.iter().all(|(_, c)| c.iter().all(|x| x.trim().is_empty())) {
        return Err(IngestError::Empty(p()));
    }
    let (h, columns) = find_header(path, &t.rows, opts, dict)?;
    let header_line = t.rows[h].0;
    let title_rows: Vec<(u64, String)> = t.rows[..h]
        .iter()
        .filter(|(_, c)| c.iter().any(|x| !x.trim().is_empty()))
        .map(|(l, c)| (*l, title_text(c)))
        .collect();
    let ncols = columns.headers.len();
    let mut out = Ingested {
        path: p(),
        encoding: if t.charset == Some("windows-1251") { Encoding::Windows1251 } else { Encoding::Utf8 },
        encoding_detected: true,
        bom: false,
        delimiter: b',',
        delimiter_detected: false,
        columns,
        rows_read: 0,
        cards: Vec::new(),
        rejects: Vec::new(),
        ids_from_lines: false,
        // A workbook or HTML table has no line ends; files written back for the CRM use LF.
        crlf: false,
        kind,
        sheet: t.sheet.clone(),
        sheets: t.sheets.clone(),
        header_line,
        title_rows,
        contact_rows: Vec::new(),
        companies_from_contacts: Vec::new(),
        encoding_notes: Vec::new(),
    };
    out.ids_from_lines = !out.columns.has(Field::Id);
    let builder = CardBuilder::new(&out.columns);
    let raws: Vec<String> = t.rows[h + 1..].iter().map(|(_, c)| c.join(";")).collect();
    let built: Vec<Result<(Built, usize, usize), Reject>> = t.rows[h + 1..]
        .iter()
        .enumerate()
        .map(|(i, (line, cells))| {
            let line = *line;
            let reject = |field: Option<String>, reason: String| Reject {
                line,
                field,
                reason,
                raw: raw_text(raws[i].as_bytes()),
            };
            if cells.iter().all(|c| c.trim().is_empty()) {
                return Err(reject(None, "empty row".into()));
            }
            if let Some(c) = cells.iter().skip(ncols).find(|c| !c.trim().is_empty()) {
                return Err(reject(None, format!("a value beyond the header's {ncols} columns: «{}»", c.trim())));
            }
            if let Some(j) = cells.iter().position(|c| c.len() > opts.max_field_bytes) {
                let hd = out.columns.headers.get(j).cloned().unwrap_or_default();
                let reason = format!(
                    "field «{hd}» is {} bytes, over the limit of {} bytes",
                    cells[j].len(),
                    opts.max_field_bytes
                );
                return Err(reject(Some(hd), reason));
            }
            let mut values: Vec<&str> = cells.iter().take(ncols).map(String::as_str).collect();
            while values.len() < ncols {
                values.push("");
            }
            builder.build(line, &values).map(|b| (b, i, 0)).map_err(|(f, r)| reject(f, r))
        })
        .collect();
    finish(&mut out, built, |i, _| raw_text(raws[i].as_bytes()));
    if out.rows_read == 0 && out.contact_rows.is_empty() {
        return Err(IngestError::HeaderOnly(p()));
    }
    Ok(out)
}

/// Adds a contact row's person, phones and e-mails to its company's card.
fn attach(card: &mut Card, person: Card) {
    if !person.name.is_empty() {
        card.contacts.push(person.name);
    }
    card.contacts.extend(person.contacts);
    card.phones.extend(person.phones);
    card.emails.extend(person.emails);
}

/// Pass 3, sequential: duplicate ids in file order (the first one wins), then amoCRM contact rows attached to
/// their company's card.
fn finish(out: &mut Ingested, built: Vec<Result<(Built, usize, usize), Reject>>, raw: impl Fn(usize, usize) -> String) {
    let id_header =
        out.columns.columns_of(Field::Id).first().map(|&c| out.columns.headers[c].clone()).unwrap_or_default();
    // id hash → index of the first card with it; the rare other ids with the same hash go to `more`.
    let mut seen: FxHashMap<u64, u32> = FxHashMap::default();
    let mut more: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    seen.reserve(built.len());
    out.cards.reserve(built.len());
    let id_hash = |id: &str| {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<rustc_hash::FxHasher>::default().hash_one(id)
    };
    let mut contacts: Vec<(Card, String, usize, usize)> = Vec::new();
    for r in built {
        let (card, start, end) = match r {
            Err(rej) => {
                out.rejects.push(rej);
                continue;
            }
            Ok((Built::Contact(card, company), start, end)) => {
                contacts.push((card, company, start, end));
                continue;
            }
            Ok((Built::Card(card), start, end)) => (card, start, end),
        };
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
                raw: raw(start, end),
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
    if !contacts.is_empty() {
        let key = |s: &str| crate::normalize::text::simple_lower(s.trim());
        let mut by_name: FxHashMap<String, usize> = FxHashMap::default();
        for (i, c) in out.cards.iter().enumerate() {
            by_name.entry(key(&c.name)).or_insert(i);
        }
        // Contact rows of a company that is not in the file, by the company's key in order of first appearance.
        let mut orphans: Vec<(String, Vec<(Card, String, usize, usize)>)> = Vec::new();
        let mut orphan_index: FxHashMap<String, usize> = FxHashMap::default();
        for (person, company, start, end) in contacts {
            let target = if company.is_empty() { None } else { by_name.get(&key(&company)).copied() };
            match target {
                Some(i) => {
                    let card = &mut out.cards[i];
                    out.contact_rows.push((person.line, person.name.clone(), card.id.clone()));
                    attach(card, person);
                }
                None if company.is_empty() => out.rejects.push(Reject {
                    line: person.line,
                    field: None,
                    reason: "a contact person (Тип: контакт) with no company: not a client card".to_string(),
                    raw: raw(start, end),
                }),
                None => {
                    let k = key(&company);
                    match orphan_index.get(&k) {
                        Some(&j) => orphans[j].1.push((person, company, start, end)),
                        None => {
                            orphan_index.insert(k.clone(), orphans.len());
                            orphans.push((k, vec![(person, company, start, end)]));
                        }
                    }
                }
            }
        }
        // A company named only by its contacts: one card from the first contact row (its id, line, manager and
        // date), the company's name from `Компания`, every contact's name, phones and e-mails.
        let built_any = !orphans.is_empty();
        for (_, rows) in orphans {
            let mut rows = rows.into_iter();
            let Some((first, company, start, end)) = rows.next() else { continue };
            let h = id_hash(&first.id);
            let taken = first.id.is_empty()
                || seen
                    .get(&h)
                    .copied()
                    .into_iter()
                    .chain(more.get(&h).into_iter().flatten().copied())
                    .any(|i| out.cards[i as usize].id == first.id);
            if taken {
                let reason = if first.id.is_empty() {
                    format!("empty id in field «{id_header}»")
                } else {
                    format!("duplicate id {} (a contact row of «{company}», a company not in the file)", first.id)
                };
                out.rejects.push(Reject {
                    line: first.line,
                    field: Some(id_header.clone()),
                    reason,
                    raw: raw(start, end),
                });
                for (p, _, s, e) in rows {
                    out.rejects.push(Reject {
                        line: p.line,
                        field: None,
                        reason: format!(
                            "a contact person (Тип: контакт) of «{company}», whose first contact row was rejected"
                        ),
                        raw: raw(s, e),
                    });
                }
                continue;
            }
            let mut card = Card {
                id: first.id.clone(),
                line: first.line,
                name: company.clone(),
                inn: first.inn.clone(),
                kpp: first.kpp.clone(),
                ogrn: first.ogrn.clone(),
                brand: first.brand.clone(),
                website: first.website.clone(),
                manager: first.manager.clone(),
                last_activity: first.last_activity.clone(),
                address: first.address.clone(),
                ..Card::default()
            };
            let (line, id) = (card.line, card.id.clone());
            attach(&mut card, first);
            for (p, _, _, _) in rows {
                out.contact_rows.push((p.line, p.name.clone(), id.clone()));
                if card.manager.is_empty() {
                    card.manager = p.manager.clone();
                }
                attach(&mut card, p);
            }
            out.companies_from_contacts.push((line, company));
            let idx = out.cards.len() as u32;
            seen.entry(h).or_insert(idx);
            out.cards.push(card);
        }
        if built_any {
            out.cards.sort_by_key(|c| c.line);
        }
        // Rejects in file order, whatever pass found them.
        out.rejects.sort_by_key(|r| r.line);
    }
    out.rows_read = (out.cards.len() + out.rejects.len()) as u64;
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
        // A windows-1251 row in a UTF-8 file is read by its own encoding, and said so.
        csv.extend(b"99;\xC0\xE1\n");
        let r = read(&csv).unwrap();
        assert_eq!(r.rejects.len(), 0);
        assert_eq!(r.cards[30].name, "Аб");
        assert_eq!(r.encoding, Encoding::Utf8);
        assert!(r.encoding_notes[0].contains("1 as windows-1251 (the first on line 32)"), "{:?}", r.encoding_notes);
        // Forced UTF-8: the row is rejected, not guessed.
        let opts = IngestOptions { encoding: Some(Encoding::Utf8), ..IngestOptions::default() };
        let r = read_bytes(Path::new("t.csv"), &csv, &opts, Dictionaries::embedded()).unwrap();
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
        assert!(matches!(read(&[0u8; 64]), Err(IngestError::Binary(_))));
        assert!(matches!(read(b"PK\x03\x04\x00\x01"), Err(IngestError::Table { .. })));
        assert!(matches!(read(b"foo;bar\n1;2\n"), Err(IngestError::NoUsableColumns { .. })));
    }

    #[test]
    fn line_numbers_are_physical_whatever_the_line_end() {
        for eol in ["\n", "\r\n", "\r"] {
            let csv = ["id;name;inn", "1;Ромашка;7707083893", "2", "3;\"Два", "ряда\";", "4;Лютик;", ""].join(eol);
            let r = read(csv.as_bytes()).unwrap();
            let lines: Vec<u64> = r.cards.iter().map(|c| c.line).collect();
            assert_eq!(lines, [2, 4, 6], "{eol:?}");
            assert_eq!(r.rejects.len(), 1, "{eol:?}");
            assert_eq!(r.rejects[0].line, 3, "{eol:?}");
            assert_eq!(r.rejects[0].raw, "2", "no stray line end in raw ({eol:?})");
            assert_eq!(r.cards[1].name, format!("Два{eol}ряда"), "{eol:?}");
        }
        // Ids made from lines follow the same count.
        let r = read(b"name;inn\r\nA;1\r\nB;2\r\n").unwrap();
        let ids: Vec<&str> = r.cards.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["L2", "L3"]);
    }

    #[test]
    fn title_rows_above_the_header_are_skipped() {
        let csv = "Мои клиенты (Петров П.) на 01.02.2026;;;\n;;;\nID клиента;Компания;Город;Последний звонок\n7;Ромашка;Самара;01.02.2026\n";
        let r = read(csv.as_bytes()).unwrap();
        assert_eq!(r.header_line, 3);
        assert_eq!(r.title_rows, [(1, "Мои клиенты (Петров П.) на 01.02.2026".to_string())]);
        assert_eq!(r.cards[0].id, "7");
        assert_eq!(r.cards[0].line, 4);
        assert_eq!(r.cards[0].address, ["Самара"]);
        assert_eq!(r.cards[0].last_activity, "01.02.2026");
        // A title without delimiters does not fool the delimiter sniffing.
        let r = read("Клиенты на 01.02.2026\nID;Компания\n1;Ромашка\n".as_bytes()).unwrap();
        assert_eq!(r.delimiter, b';');
        assert_eq!(r.cards[0].name, "Ромашка");
    }

    #[test]
    fn a_nul_byte_rejects_its_row_not_the_file() {
        let r = read(b"id;name\n1;A\x00B\n2;C\n").unwrap();
        assert_eq!(r.cards.len(), 1);
        assert_eq!(r.rejects[0].line, 2);
        assert!(r.rejects[0].reason.contains("NUL byte in field «name»"), "{:?}", r.rejects);
    }

    #[test]
    fn a_line_over_the_cap_refuses_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.csv");
        let mut text = b"id;name\n1;A\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 5000));
        std::fs::write(&path, &text).unwrap();
        let opts = IngestOptions { max_line_bytes: 4096, ..IngestOptions::default() };
        let err = read_cards(&path, &opts, Dictionaries::embedded()).unwrap_err();
        assert!(matches!(err, IngestError::LineTooLong { line: 3, limit: 4096, .. }), "{err}");
        assert!(err.to_string().contains("line 3 is longer than 4096 bytes"), "{err}");
        // Under the cap the same file reads.
        let opts = IngestOptions { max_line_bytes: 8192, ..IngestOptions::default() };
        assert!(read_cards(&path, &opts, Dictionaries::embedded()).is_ok());
    }

    #[test]
    fn no_id_column_uses_line_numbers() {
        let r = read("Компания,ИНН\nРомашка,7707083893\n".as_bytes()).unwrap();
        assert!(r.ids_from_lines);
        assert_eq!(r.cards[0].id, "L2");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        /// Whatever the bytes, reading never panics and every data row is a card or a reject.
        #[test]
        fn reading_arbitrary_bytes_never_panics(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            sep in proptest::sample::select(vec![b"\n".to_vec(), b"\r\n".to_vec(), b"\r".to_vec()]),
        ) {
            let mut text = b"ID;Name;inn".to_vec();
            text.extend_from_slice(&sep);
            text.extend_from_slice(&body);
            if let Ok(r) = read(&text) {
                proptest::prop_assert_eq!(r.rows_read as usize, r.cards.len() + r.rejects.len());
            }
        }
    }
}
