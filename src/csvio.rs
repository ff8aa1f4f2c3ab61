//! Every CSV reader and writer of the program is built here: delimiter, flexible rows, buffering, and the
//! neutralisation of spreadsheet formulas in the files people open in Excel.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// The reader for CRM exports: no header handling (the ingest stage reads the header itself), rows of any
/// length (a wrong column count is a per-row reject, not a failure), the given delimiter.
pub fn export_reader_builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.delimiter(delimiter).has_headers(false).flexible(true).buffer_capacity(1 << 16);
    b
}

/// A reader for the program's own CSV outputs (comma, header row).
pub fn output_reader(path: &Path) -> Result<csv::Reader<File>, csv::Error> {
    csv::ReaderBuilder::new().has_headers(true).flexible(false).from_path(path)
}

/// Makes a cell safe to open in a spreadsheet: text that starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return and is not a plain number or a phone number gets a leading apostrophe, so Excel and LibreOffice show
/// it as text instead of running it as a formula.
/// Control characters and bidi overrides from the data are escaped ([`crate::sanitize::csv_cell`]).
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    let cell = crate::sanitize::csv_cell(cell);
    if runs_as_formula(&cell) { format!("'{cell}").into() } else { cell }
}

fn runs_as_formula(cell: &str) -> bool {
    let Some(first) = cell.chars().next() else {
        return false;
    };
    matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') && !is_plain_number(cell) && !is_phone_like(cell)
}

fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    !body.is_empty()
        && body.chars().next().is_some_and(|c| c.is_ascii_digit())
        && body.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && body.chars().filter(|&c| c == '.' || c == ',').count() <= 1
}

/// One or more phone numbers (`+74951234567; +79161112233 доб. 12`): digits, spaces, brackets, dashes,
/// separators and the word "доб." only, so nothing a spreadsheet could run.
fn is_phone_like(s: &str) -> bool {
    let body = s.replace("доб.", "");
    s.starts_with('+')
        && s[1..].starts_with(|c: char| c.is_ascii_digit())
        && body[1..].chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '-' | ';' | '+'))
        && s.chars().filter(char::is_ascii_digit).count() >= 5
}

/// A CSV file being written for people: UTF-8, comma-separated, header first, every cell neutralised. It is
/// written to `<path>.tmp` and renamed into place by [`CsvOut::finish`], so a reader never sees half a file.
pub struct CsvOut {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<File>,
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

impl CsvOut {
    /// Creates `<path>.tmp` and writes the header row.
    pub fn create(path: &Path, header: &[&str]) -> std::io::Result<CsvOut> {
        let tmp = tmp_path(path);
        let f = File::create(&tmp)?;
        let mut out = CsvOut { path: path.to_path_buf(), tmp, out: BufWriter::with_capacity(1 << 16, f) };
        out.row(header)?;
        Ok(out)
    }

    /// Writes one row.
    pub fn row<S: AsRef<str>>(&mut self, cells: &[S]) -> std::io::Result<()> {
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        for c in cells {
            w.write_field(neutralize(c.as_ref()).as_bytes()).map_err(csv_to_io)?;
        }
        w.write_record(None::<&[u8]>).map_err(csv_to_io)?;
        let bytes = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
        self.out.write_all(&bytes)
    }

    /// Writes `n` rows made by `row(i)`, formatting them in parallel chunks and writing them in order.
    pub fn par_rows<F>(&mut self, n: usize, row: F) -> std::io::Result<()>
    where
        F: Fn(usize, &mut Vec<String>) + Sync,
    {
        use rayon::prelude::*;
        const CHUNK: usize = 8192;
        // A few chunks per thread at a time: parallel enough, and the whole file is never held in memory.
        let batch = rayon::current_num_threads().max(1) * 4;
        let n_chunks = n.div_ceil(CHUNK);
        for first in (0..n_chunks).step_by(batch) {
            let chunks: Vec<std::io::Result<Vec<u8>>> = (first..(first + batch).min(n_chunks))
                .into_par_iter()
                .map(|k| {
                    let mut w = csv::WriterBuilder::new()
                        .flexible(false)
                        .has_headers(false)
                        .from_writer(Vec::with_capacity(CHUNK * 128));
                    let mut cells: Vec<String> = Vec::new();
                    for i in k * CHUNK..((k + 1) * CHUNK).min(n) {
                        cells.clear();
                        row(i, &mut cells);
                        for c in &cells {
                            w.write_field(neutralize(c).as_bytes()).map_err(csv_to_io)?;
                        }
                        w.write_record(None::<&[u8]>).map_err(csv_to_io)?;
                    }
                    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
                })
                .collect();
            for c in chunks {
                self.out.write_all(&c?)?;
            }
        }
        Ok(())
    }

    /// Flushes, then renames the file into place; write errors surface here.
    pub fn finish(mut self) -> std::io::Result<PathBuf> {
        self.out.flush()?;
        drop(self.out.into_inner().map_err(|e| e.into_error())?);
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(self.path)
    }
}

fn csv_to_io(e: csv::Error) -> std::io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        other => std::io::Error::other(format!("{other:?}")),
    }
}

/// The shape of a CRM export, for files the CRM imports back: its delimiter, encoding, BOM and line end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportFormat {
    /// The delimiter.
    pub delimiter: u8,
    /// The encoding.
    pub encoding: crate::ingest::Encoding,
    /// Starts with a UTF-8 BOM.
    pub bom: bool,
    /// Lines end with CRLF.
    pub crlf: bool,
}

/// Writes rows in the format of a CRM export (through `<path>.tmp` and a rename). Cells are written as they are,
/// not neutralised: the CRM reads them literally, and an apostrophe would become part of a manager's name. A
/// character the encoding cannot hold is an error, never a silent substitute.
pub fn write_export_like(
    path: &Path,
    format: ExportFormat,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(format.delimiter)
        .terminator(if format.crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
        .from_writer(Vec::new());
    w.write_record(header).map_err(csv_to_io)?;
    for r in rows {
        w.write_record(r).map_err(csv_to_io)?;
    }
    let text = w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut bytes = Vec::with_capacity(text.len() + 3);
    match format.encoding {
        crate::ingest::Encoding::Utf8 => {
            if format.bom {
                bytes.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
            }
            bytes.extend_from_slice(&text);
        }
        crate::ingest::Encoding::Windows1251 => {
            let s = String::from_utf8(text).map_err(|e| std::io::Error::other(e.to_string()))?;
            for (n, line) in s.lines().enumerate() {
                let (_, _, bad) = encoding_rs::WINDOWS_1251.encode(line);
                if bad {
                    return Err(std::io::Error::other(format!(
                        "line {}: {line:?} has characters windows-1251 cannot hold",
                        n + 1
                    )));
                }
            }
            bytes.extend_from_slice(&encoding_rs::WINDOWS_1251.encode(&s).0);
        }
    }
    let tmp = tmp_path(path);
    let mut f = BufWriter::new(File::create(&tmp)?);
    f.write_all(&bytes)?;
    f.flush()?;
    drop(f);
    std::fs::rename(&tmp, path)
}

/// Writes `text` to `path` (through `<path>.tmp` and a rename).
pub fn write_text(path: &Path, text: &str) -> std::io::Result<()> {
    write_with(path, |w| w.write_all(text.as_bytes()))
}

/// Writes a file as `write_text` does (a temporary file renamed into place), its content given by `fill` as it
/// goes: a large page is never held whole in memory.
pub fn write_with(path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let tmp = tmp_path(path);
    let mut w = BufWriter::new(File::create(&tmp)?);
    fill(&mut w)?;
    w.flush()?;
    drop(w);
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralize_table() {
        let cases = [
            ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("+74951234567", "+74951234567"),
            ("+7 (495) 123-45-67", "+7 (495) 123-45-67"),
            ("+74951234567; +79161112233 доб. 12", "+74951234567; +79161112233 доб. 12"),
            ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
            ("-12.5", "-12.5"),
            ("ООО Ромашка", "ООО Ромашка"),
            ("", ""),
            ("\u{1b}[2JFAKE", "\\x1B[2JFAKE"),
            ("\u{202e}kozlov", "\\u{202E}kozlov"),
            ("=1\u{1b}", "'=1\\x1B"),
        ];
        for (input, want) in cases {
            assert_eq!(neutralize(input), want, "{input:?}");
        }
    }

    #[test]
    fn export_like_keeps_the_format_and_refuses_what_1251_cannot_hold() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        let f =
            ExportFormat { delimiter: b';', encoding: crate::ingest::Encoding::Windows1251, bom: false, crlf: true };
        let rows = vec![vec!["1".to_string(), "=Иванова".to_string()]];
        write_export_like(&p, f, &["ID", "Ответственный"], &rows).unwrap();
        let want = encoding_rs::WINDOWS_1251.encode("ID;Ответственный\r\n1;=Иванова\r\n").0.into_owned();
        assert_eq!(std::fs::read(&p).unwrap(), want, "cells as they are, no apostrophe");
        let bad = vec![vec!["2".to_string(), "Иванова 😀".to_string()]];
        let err = write_export_like(&p, f, &["ID", "Ответственный"], &bad).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("windows-1251"), "{err}");
        let u = ExportFormat { delimiter: b',', encoding: crate::ingest::Encoding::Utf8, bom: true, crlf: false };
        write_export_like(&p, u, &["id", "manager"], &bad).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), "\u{feff}id,manager\n2,Иванова 😀\n".as_bytes());
    }
}
