//! `firmdedup check`: the managers' question, and its accuracy on generated queries.

use std::io::Write;

use crate::check::{self, Answer, Lang, Query, QueryError, texts};
use crate::cli::CheckArgs;
use crate::cmd::{Exit, today};
use crate::dict::Dictionaries;
use crate::sanitize::terminal;
use crate::state::{self, StateError};

/// Runs `check`. With `--json`, an error is also printed as `{"error": "…"}` on stdout, so an integration that
/// reads only stdout always gets JSON.
pub fn run(args: &CheckArgs, dict: &Dictionaries) -> anyhow::Result<Exit> {
    let result = answer(args, dict);
    if args.json
        && let Err(e) = &result
    {
        let mut msg = e.to_string();
        for cause in e.chain().skip(1) {
            msg.push_str(&format!(": {cause}"));
        }
        let code = crate::cmd::exit_code_of(e);
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({ "error": msg, "refused": code == Exit::Refused }),
        );
        let _ = writeln!(out);
        let _ = out.flush();
    }
    result
}

/// Opens the state for the look-up: a missing state, one with no finished run, a foreign, damaged or newer
/// file are refused (exit 3), never answered from.
pub fn open_state(path: &std::path::Path) -> anyhow::Result<rusqlite::Connection> {
    state::open_read_only(path).map_err(|e| match e {
        StateError::Foreign(_)
        | StateError::Corrupt { .. }
        | StateError::Newer { .. }
        | StateError::Missing(_)
        | StateError::NoRun(_) => anyhow::Error::new(crate::cmd::Refused(e.to_string())),
        StateError::Sqlite { ref source, ref path } if state::is_damage(source) => anyhow::Error::new(
            crate::cmd::Refused(StateError::Corrupt { path: path.clone(), detail: source.to_string() }.to_string()),
        ),
        other => anyhow::Error::new(other),
    })
}

/// A look-up's SQLite error: a damaged state is said plainly (exit 3), whatever page the look-up hit.
fn lookup_error(path: &std::path::Path, e: Box<dyn std::error::Error + Send + Sync>) -> anyhow::Error {
    match e.downcast::<rusqlite::Error>() {
        Ok(se) if state::is_damage(&se) => anyhow::Error::new(crate::cmd::Refused(
            StateError::Corrupt { path: path.to_path_buf(), detail: se.to_string() }.to_string(),
        )),
        Ok(se) => anyhow::Error::new(*se).context(format!("reading {}", path.display())),
        Err(other) => anyhow::anyhow!("{other}").context(format!("reading {}", path.display())),
    }
}

fn answer(args: &CheckArgs, dict: &Dictionaries) -> anyhow::Result<Exit> {
    let today = today(args.today.as_deref())?;
    let conn = open_state(&args.state)?;
    verify(&conn, &args.state)?;
    if let Some(file) = &args.queries {
        return evaluate(&conn, dict, file, today, args.json);
    }
    let q = Query {
        name: args.name.clone(),
        inn: args.inn.clone(),
        phone: args.phone.clone(),
        email: args.email.clone(),
        website: args.website.clone(),
        brand: args.brand.clone(),
        contact: args.contact.clone(),
        manager: args.manager.clone(),
    };
    let answer = match check::check_in(&conn, dict, &q, today, args.limit, args.lang) {
        Ok(a) => a,
        Err(e) => match e.downcast::<QueryError>() {
            Ok(qe) => anyhow::bail!("{qe}"),
            Err(other) => return Err(lookup_error(&args.state, other)),
        },
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        out.write_all(check::answer_json(&answer).as_bytes())?;
    } else {
        write_human(&mut out, &answer, args.lang)?;
    }
    out.flush()?;
    Ok(Exit::Success)
}

/// Verifies the state page by page (`PRAGMA quick_check`) unless it is exactly as the last firmdedup writer left
/// it (the fingerprint in `<state>.lock`), so a file damaged from outside is refused whatever the question, and an
/// intact one costs no more than its look-up.
pub fn verify(conn: &rusqlite::Connection, path: &std::path::Path) -> anyhow::Result<()> {
    if state::unchanged_since_written(path) {
        return Ok(());
    }
    let damaged = |detail: String| {
        anyhow::Error::new(crate::cmd::Refused(StateError::Corrupt { path: path.to_path_buf(), detail }.to_string()))
    };
    match conn.query_row("PRAGMA quick_check(1)", [], |r| r.get::<_, String>(0)) {
        Ok(s) if s == "ok" => Ok(()),
        Ok(s) => Err(damaged(s)),
        Err(e) if state::is_damage(&e) => Err(damaged(e.to_string())),
        Err(e) => Err(anyhow::Error::new(e).context(format!("reading {}", path.display()))),
    }
}

/// The text answer: the verdict, then each firm. Every value from the data passes through [`terminal`], so a
/// name or login carrying escape sequences or bidi overrides cannot repaint the screen or reorder the verdict.
pub fn write_human(out: &mut impl Write, a: &Answer, lang: Lang) -> std::io::Result<()> {
    let l = |w: &str| texts::label(lang, w);
    let list = |v: &[String], sep: &str| v.iter().map(|x| terminal(x).into_owned()).collect::<Vec<_>>().join(sep);
    writeln!(out, "{}", terminal(&a.verdict))?;
    if let Some(note) = &a.manager_note {
        writeln!(out, "{}", terminal(note))?;
    }
    for n in &a.notes {
        writeln!(out, "{}: {}", l("note"), terminal(n))?;
    }
    for (i, m) in a.matches.iter().enumerate() {
        writeln!(out)?;
        let tag = if m.same_firm {
            l("same")
        } else if m.same_name {
            l("same_name")
        } else {
            l("similar")
        };
        writeln!(
            out,
            "{}. {} {} — {} ({} {:.2})",
            i + 1,
            terminal(&m.firm_id),
            terminal(&m.name),
            tag,
            l("score"),
            m.score
        )?;
        writeln!(out, "   {}: {}", l("status"), terminal(&m.status_text))?;
        if !m.legal_entities.is_empty() {
            writeln!(out, "   {}: {}", l("entities"), list(&m.legal_entities, "; "))?;
        }
        if !m.brands.is_empty() {
            writeln!(out, "   {}: {}", l("brands"), list(&m.brands, "; "))?;
        }
        writeln!(
            out,
            "   {}: {}; {}: {}; {}: {}; {}: {}",
            l("owner"),
            m.owner.as_deref().map_or(l("no_owner").into(), terminal),
            l("managers"),
            if m.managers.is_empty() { l("none").to_string() } else { list(&m.managers, ", ") },
            l("last"),
            terminal(m.last_activity.as_deref().unwrap_or(l("unknown"))),
            l("cards"),
            m.cards
        )?;
        for e in &m.evidence {
            writeln!(out, "   - {}", terminal(e))?;
        }
    }
    Ok(())
}

/// Answers every query of a file, prints the scores ([`check::queries::evaluate`]).
fn evaluate(
    conn: &rusqlite::Connection,
    dict: &Dictionaries,
    file: &std::path::Path,
    today: chrono::NaiveDate,
    json: bool,
) -> anyhow::Result<Exit> {
    let ev = check::queries::evaluate(conn, dict, file, today)?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &ev)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "queries: {} ({} about existing firms, {} about new ones; {} errors)",
            ev.queries, ev.existing, ev.new, ev.errors
        )?;
        writeln!(
            out,
            "existing firms: right firm first {} ({:.1}%), of which judged the same client {}",
            ev.existing_right_first,
            100.0 * ev.existing_right_first_rate,
            ev.existing_found
        )?;
        writeln!(
            out,
            "existing firms: right firm tied for first (the description fits several firms equally) {}; listed {}",
            ev.existing_tied_first, ev.existing_listed
        )?;
        writeln!(
            out,
            "  that fit only their firm: {}, right firm first {} ({:.1}%); that fit other firms as well: {}, right firm \
             listed {}",
            ev.identifiable,
            ev.identifiable_right_first,
            100.0 * ev.identifiable_right_first_rate,
            ev.ambiguous,
            ev.ambiguous_listed
        )?;
        writeln!(out, "new firms: not found {} ({:.1}%)", ev.new_not_found, 100.0 * ev.new_not_found_rate)?;
        let c = &ev.classes;
        use crate::check::queries::QueryClass as Q;
        for (what, how, class) in [
            (Q::ValuesOnFirm.describe(), "found & right", &c.values_on_firm),
            (Q::SharedValues.describe(), "right firm listed", &c.shared_values),
            (Q::UniqueName.describe(), "found & right", &c.unique_name),
            (Q::SharedName.describe(), "right firm listed", &c.shared_name),
            (Q::NameValuesAbsent.describe(), "right firm first", &c.name_values_absent),
            (Q::SharedNameValuesAbsent.describe(), "right firm listed", &c.shared_name_values_absent),
            (Q::NameValuesElsewhere.describe(), "right firm first", &c.name_values_elsewhere),
            (Q::ValuesAbsent.describe(), "right firm first", &c.values_absent),
            ("firms not in the base", "not found", &c.new_firms),
        ] {
            writeln!(out, "  {what}: {how}: {}/{} ({:.3})", class.right, class.queries, class.rate)?;
        }
        writeln!(out, "time per query in process: mean {:.2} ms, max {:.2} ms", ev.mean_ms, ev.max_ms)?;
        if !ev.misses.is_empty() {
            writeln!(out, "\nmisses (first {}):", ev.misses.len())?;
            for m in &ev.misses {
                writeln!(out, "  {m}")?;
            }
        }
    }
    out.flush()?;
    Ok(Exit::Success)
}
