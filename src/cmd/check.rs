//! `firmdedup check`: the managers' question, and its accuracy on generated queries.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

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

#[derive(Serialize)]
struct QueryEval {
    queries: usize,
    existing: usize,
    existing_right_first: usize,
    existing_right_first_rate: f64,
    existing_found: usize,
    /// The right firm is not first but has the first one's score: the description fits both equally (a name
    /// carried by several firms of the base, and nothing else asked).
    existing_tied_first: usize,
    /// The right firm is among the firms listed.
    existing_listed: usize,
    /// Queries about existing firms that fit only their firm (the `ambiguous` column of queries.csv is 0).
    identifiable: usize,
    /// Of those, the right firm first.
    identifiable_right_first: usize,
    /// The rate.
    identifiable_right_first_rate: f64,
    /// Queries that fit other firms of the base just as well (`ambiguous` = 1).
    ambiguous: usize,
    /// Of those, the right firm among the firms listed.
    ambiguous_listed: usize,
    new: usize,
    new_not_found: usize,
    new_not_found_rate: f64,
    errors: usize,
    /// The queries by what the base can answer.
    classes: Classes,
    mean_ms: f64,
    max_ms: f64,
    misses: Vec<String>,
}

/// One class of queries: how many, how many answered right, the rate.
#[derive(Serialize, Default)]
struct Class {
    queries: usize,
    right: usize,
    rate: f64,
}

impl Class {
    fn add(&mut self, right: bool) {
        self.queries += 1;
        self.right += usize::from(right);
        self.rate = self.right as f64 / self.queries as f64;
    }
}

/// Queries split by what the base can answer; what counts as right for each is in its doc.
#[derive(Serialize, Default)]
struct Classes {
    /// An ИНН, phone, email, site, contact or brand that is on a card of the firm: found, and the right firm.
    values_on_firm: Class,
    /// A name alone, which no other firm's cards fit (`ambiguous` = 0): found, and the right firm.
    unique_name: Class,
    /// A name alone that other firms carry too: the right firm listed.
    shared_name: Class,
    /// A name plus values the base does not hold: the right firm first.
    name_values_absent: Class,
    /// A name plus values the base holds on other firms only: the right firm first.
    name_values_elsewhere: Class,
    /// Values the base does not hold, without a name: the right firm first.
    values_absent: Class,
    /// Firms not in the base: not found.
    new_firms: Class,
}

/// The class of a query about an existing firm, from the state: does a value it gives sit on the right firm?
fn classify(
    conn: &rusqlite::Connection,
    dict: &Dictionaries,
    q: &Query,
    right: &[String],
    ambiguous: bool,
) -> rusqlite::Result<&'static str> {
    let keys = check::query_keys(q, dict).map(|k| k.0).unwrap_or_default();
    let mut st = conn.prepare_cached("SELECT 1 FROM keys WHERE kind = ?1 AND value = ?2 AND firm_id = ?3 LIMIT 1")?;
    let mut on_firm = false;
    for (kind, value) in &keys {
        for f in right {
            on_firm |= st.exists(rusqlite::params![kind.name(), value, f])?;
        }
    }
    let mut any = conn.prepare_cached("SELECT 1 FROM keys WHERE kind = ?1 AND value = ?2 LIMIT 1")?;
    let mut in_base = false;
    for (kind, value) in &keys {
        in_base |= any.exists(rusqlite::params![kind.name(), value])?;
    }
    let named = q.name.as_deref().is_some_and(|s| !s.trim().is_empty());
    Ok(match (on_firm, named, keys.is_empty()) {
        (true, _, _) => "values_on_firm",
        (false, true, true) if ambiguous => "shared_name",
        (false, true, true) => "unique_name",
        (false, true, false) if in_base => "name_values_elsewhere",
        (false, true, false) => "name_values_absent",
        (false, false, _) => "values_absent",
    })
}

/// Answers every query of a file and scores the answers: for a query about an existing firm, the right firm
/// must come first (any firm holding one of the expected cards); for a new firm, nothing may be found.
fn evaluate(
    conn: &rusqlite::Connection,
    dict: &Dictionaries,
    file: &std::path::Path,
    today: chrono::NaiveDate,
    json: bool,
) -> anyhow::Result<Exit> {
    let mut rdr = crate::csvio::output_reader(file).with_context(|| format!("reading {}", file.display()))?;
    let headers = rdr.headers().with_context(|| format!("reading {}", file.display()))?.clone();
    let col = |n: &str| headers.iter().position(|h| h == n);
    // A queries file (from `synth --queries`) has its id, its expected cards and at least one thing to ask.
    let asked = ["name", "inn", "phone", "email", "website", "brand", "contact"];
    if col("query_id").is_none() || col("expected_cards").is_none() || !asked.iter().any(|a| col(a).is_some()) {
        anyhow::bail!(
            "{}: not a queries file: expected columns query_id, expected_cards and some of {} (as written by `firmdedup synth --queries`); found: {}",
            file.display(),
            asked.join(", "),
            headers.iter().collect::<Vec<_>>().join(", ")
        );
    }
    let get =
        |r: &csv::StringRecord, n: &str| col(n).and_then(|i| r.get(i)).map(str::to_string).filter(|s| !s.is_empty());
    let mut ev = QueryEval {
        queries: 0,
        existing: 0,
        existing_right_first: 0,
        existing_right_first_rate: 0.0,
        existing_found: 0,
        existing_tied_first: 0,
        existing_listed: 0,
        identifiable: 0,
        identifiable_right_first: 0,
        identifiable_right_first_rate: 0.0,
        ambiguous: 0,
        ambiguous_listed: 0,
        new: 0,
        new_not_found: 0,
        new_not_found_rate: 0.0,
        errors: 0,
        classes: Classes::default(),
        mean_ms: 0.0,
        max_ms: 0.0,
        misses: Vec::new(),
    };
    let mut total_ms = 0.0;
    for rec in rdr.records() {
        let r = rec.with_context(|| format!("reading {}", file.display()))?;
        let q = Query {
            name: get(&r, "name"),
            inn: get(&r, "inn"),
            phone: get(&r, "phone"),
            email: get(&r, "email"),
            website: get(&r, "website"),
            brand: get(&r, "brand"),
            contact: get(&r, "contact"),
            manager: None,
        };
        let expected: Vec<String> =
            get(&r, "expected_cards").map(|s| s.split(';').map(str::to_string).collect()).unwrap_or_default();
        ev.queries += 1;
        let t = Instant::now();
        let answer = check::check(conn, dict, &q, today, 5);
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        total_ms += ms;
        ev.max_ms = ev.max_ms.max(ms);
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                ev.errors += 1;
                if ev.misses.len() < 20 {
                    ev.misses.push(format!("{}: error {e}", get(&r, "query_id").unwrap_or_default()));
                }
                continue;
            }
        };
        let describe = || {
            format!(
                "{}: name={:?} inn={:?} phone={:?} email={:?} site={:?} brand={:?} contact={:?} -> {}",
                get(&r, "query_id").unwrap_or_default(),
                q.name.as_deref().unwrap_or(""),
                q.inn.as_deref().unwrap_or(""),
                q.phone.as_deref().unwrap_or(""),
                q.email.as_deref().unwrap_or(""),
                q.website.as_deref().unwrap_or(""),
                q.brand.as_deref().unwrap_or(""),
                q.contact.as_deref().unwrap_or(""),
                answer
                    .matches
                    .first()
                    .map(|m| format!("{} {} {:.2}", m.firm_id, m.name, m.score))
                    .unwrap_or_else(|| "nothing".into())
            )
        };
        if expected.is_empty() {
            ev.classes.new_firms.add(!answer.found);
            ev.new += 1;
            if !answer.found {
                ev.new_not_found += 1;
            } else if ev.misses.len() < 20 {
                ev.misses.push(format!("new firm found: {}", describe()));
            }
        } else {
            ev.existing += 1;
            let mut st = conn.prepare_cached("SELECT firm_id FROM cards WHERE card_id = ?1")?;
            let mut right: Vec<String> = Vec::new();
            for c in &expected {
                if let Ok(f) = st.query_row([c], |r| r.get::<_, String>(0)) {
                    right.push(f);
                }
            }
            let first_ok = answer.matches.first().is_some_and(|m| right.contains(&m.firm_id));
            let listed = answer.matches.iter().find(|m| right.contains(&m.firm_id));
            let c = &mut ev.classes;
            match classify(conn, dict, &q, &right, get(&r, "ambiguous").as_deref() == Some("1"))? {
                "values_on_firm" => c.values_on_firm.add(first_ok && answer.found),
                "unique_name" => c.unique_name.add(first_ok && answer.found),
                "shared_name" => c.shared_name.add(listed.is_some()),
                "name_values_absent" => c.name_values_absent.add(first_ok),
                "name_values_elsewhere" => c.name_values_elsewhere.add(first_ok),
                _ => c.values_absent.add(first_ok),
            }
            if listed.is_some() {
                ev.existing_listed += 1;
            }
            if !first_ok && listed.is_some_and(|m| m.score == answer.matches[0].score) {
                ev.existing_tied_first += 1;
            }
            if get(&r, "ambiguous").as_deref() == Some("1") {
                ev.ambiguous += 1;
                ev.ambiguous_listed += usize::from(listed.is_some());
            } else {
                ev.identifiable += 1;
                ev.identifiable_right_first += usize::from(first_ok);
            }
            if first_ok {
                ev.existing_right_first += 1;
                if answer.found {
                    ev.existing_found += 1;
                }
            } else if ev.misses.len() < 20 {
                ev.misses.push(format!("existing firm missed: {}", describe()));
            }
        }
    }
    if ev.queries == 0 {
        anyhow::bail!("{}: no queries in the file: nothing to evaluate", file.display());
    }
    ev.existing_right_first_rate = ev.existing_right_first as f64 / ev.existing.max(1) as f64;
    ev.new_not_found_rate = ev.new_not_found as f64 / ev.new.max(1) as f64;
    ev.identifiable_right_first_rate = ev.identifiable_right_first as f64 / ev.identifiable.max(1) as f64;
    ev.mean_ms = total_ms / ev.queries.max(1) as f64;
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
        for (what, class) in [
            ("values on the firm's cards: found & right", &c.values_on_firm),
            ("a unique name alone: found & right", &c.unique_name),
            ("a shared name alone: right firm listed", &c.shared_name),
            ("a name plus values the base lacks: right firm first", &c.name_values_absent),
            ("a name plus values of other firms only: right firm first", &c.name_values_elsewhere),
            ("values the base lacks, no name: right firm first", &c.values_absent),
            ("firms not in the base: not found", &c.new_firms),
        ] {
            writeln!(out, "  {what}: {}/{} ({:.3})", class.right, class.queries, class.rate)?;
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
