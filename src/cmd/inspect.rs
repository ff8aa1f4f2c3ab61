//! `firmdedup inspect`: how an export is read and what its fields are worth.

use std::io::Write;

use anyhow::Context;
use serde::Serialize;

use crate::cli::InspectArgs;
use crate::cmd::{Exit, ingest_options};
use crate::dict::Dictionaries;
use crate::ingest::{self, delimiter_name};
use crate::quality::{FieldQuality, field_quality};

#[derive(Serialize)]
struct Report<'a> {
    file: String,
    format: ingest::SourceKind,
    sheet: Option<String>,
    sheets: Vec<String>,
    header_line: u64,
    title_rows: Vec<(u64, String)>,
    encoding_notes: Vec<String>,
    double_mapped: Vec<String>,
    contact_rows: usize,
    companies_from_contacts: Vec<(u64, String)>,
    kind_column: Option<usize>,
    contact_company_column: Option<usize>,
    encoding: &'static str,
    encoding_detected: bool,
    bom: bool,
    delimiter: String,
    delimiter_detected: bool,
    columns: Vec<(String, Option<&'static str>)>,
    ids_from_lines: bool,
    rows_read: u64,
    accepted: usize,
    rejected: usize,
    managers: usize,
    fields: &'a [FieldQuality],
    rejects: &'a [ingest::Reject],
}

/// Runs `inspect`.
pub fn run(args: &InspectArgs, dict: &Dictionaries) -> anyhow::Result<Exit> {
    if let Some(path) = &args.rejects {
        crate::cmd::refuse_overwriting_inputs(&[&args.input.input], std::slice::from_ref(path))?;
    }
    let opts = ingest_options(&args.input)?;
    let data = ingest::read_cards(&args.input.input, &opts, dict)?;
    let (fields, managers) = field_quality(&data.cards, dict);
    if let Some(path) = &args.rejects {
        crate::report::write_rejects(path, &data.rejects).with_context(|| format!("writing {}", path.display()))?;
    }
    for w in data.warnings() {
        eprintln!("warning: {}: {w}", data.path.display());
    }
    let report = Report {
        file: data.path.display().to_string(),
        format: data.kind,
        sheet: data.sheet.clone(),
        sheets: data.sheets.clone(),
        header_line: data.header_line,
        title_rows: data.title_rows.clone(),
        encoding_notes: data.encoding_notes.clone(),
        double_mapped: data.columns.warnings(),
        contact_rows: data.contact_rows.len(),
        companies_from_contacts: data.companies_from_contacts.clone(),
        kind_column: data.columns.kind,
        contact_company_column: data.columns.contact_company,
        encoding: data.encoding.name(),
        encoding_detected: data.encoding_detected,
        bom: data.bom,
        delimiter: delimiter_name(data.delimiter),
        delimiter_detected: data.delimiter_detected,
        columns: data
            .columns
            .headers
            .iter()
            .cloned()
            .zip(data.columns.fields.iter().map(|f| f.map(|f| f.name())))
            .collect(),
        ids_from_lines: data.ids_from_lines,
        rows_read: data.rows_read,
        accepted: data.cards.len(),
        rejected: data.rejects.len(),
        managers,
        fields: &fields,
        rejects: &data.rejects,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        let text = serde_json::to_string_pretty(&report)?;
        writeln!(out, "{}", crate::sanitize::json_text(&text))?;
    } else {
        // Headers and reasons quote the data: the text is made terminal-safe as a whole.
        let mut text = Vec::new();
        write_human(&mut text, &report, args.rejects.as_deref())?;
        out.write_all(crate::sanitize::terminal_lines(&String::from_utf8_lossy(&text)).as_bytes())?;
    }
    out.flush()?;
    Ok(Exit::Success)
}

fn write_human(out: &mut impl Write, r: &Report, rejects_path: Option<&std::path::Path>) -> std::io::Result<()> {
    let how = |detected: bool| if detected { "detected" } else { "given" };
    writeln!(out, "file:      {}", r.file)?;
    writeln!(out, "format:    {}", r.format.name())?;
    if let Some(sheet) = &r.sheet {
        writeln!(out, "sheet:     {sheet} (of {}: {})", r.sheets.len(), r.sheets.join(", "))?;
    }
    if r.format == ingest::SourceKind::Csv {
        writeln!(
            out,
            "encoding:  {}{} ({})",
            r.encoding,
            if r.bom { " with BOM" } else { "" },
            how(r.encoding_detected)
        )?;
        for n in &r.encoding_notes {
            writeln!(out, "           {n}")?;
        }
        writeln!(out, "delimiter: {} ({})", r.delimiter, how(r.delimiter_detected))?;
    } else if r.format == ingest::SourceKind::HtmlTable {
        writeln!(out, "encoding:  {}", r.encoding)?;
    }
    writeln!(out, "header:    line {}", r.header_line)?;
    for (line, text) in &r.title_rows {
        writeln!(out, "  skipped title row, line {line}: {text}")?;
    }
    writeln!(out, "columns:")?;
    let width = r.columns.iter().map(|(h, _)| h.chars().count()).max().unwrap_or(0);
    for (i, (h, f)) in r.columns.iter().enumerate() {
        let pad = width - h.chars().count();
        let what = match f {
            Some(f) => f,
            None if r.kind_column == Some(i) => "(type: контакт rows are people, attached to their company)",
            None if r.contact_company_column == Some(i) => "(the company of a contact row)",
            None => "(not used)",
        };
        writeln!(out, "  {h}{} -> {what}", " ".repeat(pad))?;
    }
    if r.ids_from_lines {
        writeln!(out, "  (no id column: cards get ids L<line>; stable firm ids across runs need an id column)")?;
    }
    for w in &r.double_mapped {
        writeln!(out, "  warning: {w}")?;
    }
    if r.contact_rows > 0 {
        writeln!(
            out,
            "contacts:  {} contact rows (Тип: контакт) attached to their company's card (not counted as rows)",
            r.contact_rows
        )?;
    }
    if !r.companies_from_contacts.is_empty() {
        writeln!(
            out,
            "companies: {} named only by contact rows (column Компания): each is a card with the id and line of its first contact",
            r.companies_from_contacts.len()
        )?;
        for (line, company) in r.companies_from_contacts.iter().take(20) {
            writeln!(out, "  line {line}: {company}")?;
        }
    }
    writeln!(out, "rows:      read {} = accepted {} + rejected {}", r.rows_read, r.accepted, r.rejected)?;
    writeln!(out, "managers:  {}", r.managers)?;
    writeln!(out)?;
    writeln!(out, "{:<14} {:>9} {:>9} {:>9}", "field", "present", "valid", "invalid")?;
    for f in r.fields {
        writeln!(out, "{:<14} {:>9} {:>9} {:>9}", f.field, f.present, f.valid, f.invalid)?;
        for (what, n) in &f.notes {
            writeln!(out, "{:<14}   {n:>7}  {what}", "")?;
        }
    }
    writeln!(
        out,
        "(present: cards with a value; valid/invalid: values, several per card for phones, emails, contacts)"
    )?;
    if !r.rejects.is_empty() {
        writeln!(out)?;
        match rejects_path {
            Some(p) => writeln!(out, "rejected rows written to {}", p.display())?,
            None => writeln!(out, "rejected rows (use --rejects FILE to save them all):")?,
        }
        for rej in r.rejects.iter().take(if rejects_path.is_some() { 5 } else { 20 }) {
            writeln!(out, "  line {}: {}", rej.line, rej.reason)?;
        }
        if r.rejects.len() > 20 && rejects_path.is_none() {
            writeln!(out, "  ... and {} more", r.rejects.len() - 20)?;
        }
    }
    Ok(())
}
