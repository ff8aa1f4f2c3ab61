//! The look-up measured on generated queries (`check --queries`, from `synth --queries`): every query answered
//! as a manager would ask it, scored against the cards it is about, and split by what the base can answer.

use std::time::Instant;

use anyhow::Context;
use serde::Serialize;

use crate::check::{self, Query};
use crate::dict::Dictionaries;
use crate::matching::keys::KeyKind;

/// What the base can answer for a query about an existing firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryClass {
    /// A value it gives (ИНН, phone, e-mail, site, contact, brand) is on a card of the right firm.
    ValuesOnFirm,
    /// Values on a card of the right firm, all of them on cards of other firms too (an agency's phone, an
    /// accountant's e-mail): nothing can single the firm out.
    SharedValues,
    /// A name alone, which no other firm's cards fit.
    UniqueName,
    /// A name alone that other firms carry too.
    SharedName,
    /// A name plus values the base holds on other firms only.
    NameValuesElsewhere,
    /// A name plus values the base does not hold.
    NameValuesAbsent,
    /// A name other firms carry too, plus values the base does not hold: the values tell nothing, the name fits
    /// several firms equally.
    SharedNameValuesAbsent,
    /// Values the base does not hold, without a name.
    ValuesAbsent,
}

impl QueryClass {
    /// The class as `check --queries` names it.
    pub fn describe(self) -> &'static str {
        match self {
            QueryClass::ValuesOnFirm => "values on the firm's cards",
            QueryClass::SharedValues => "values on the firm's cards and other firms' too",
            QueryClass::UniqueName => "a unique name alone",
            QueryClass::SharedName => "a shared name alone",
            QueryClass::NameValuesElsewhere => "a name plus values of other firms only",
            QueryClass::NameValuesAbsent => "a name plus values the base lacks",
            QueryClass::SharedNameValuesAbsent => "a shared name plus values the base lacks",
            QueryClass::ValuesAbsent => "values the base lacks, no name",
        }
    }
}

/// How the look-up did on a file of generated queries (`check --queries`); `--json` prints it as it is.
#[derive(Debug, Serialize)]
pub struct QueryEval {
    pub queries: usize,
    pub existing: usize,
    pub existing_right_first: usize,
    pub existing_right_first_rate: f64,
    pub existing_found: usize,
    /// The right firm is not first but has the first one's score: the description fits both equally (a name
    /// carried by several firms of the base, and nothing else asked).
    pub existing_tied_first: usize,
    /// The right firm is among the firms listed.
    pub existing_listed: usize,
    /// Queries about existing firms that fit only their firm (the `ambiguous` column of queries.csv is 0).
    pub identifiable: usize,
    /// Of those, the right firm first.
    pub identifiable_right_first: usize,
    /// The rate.
    pub identifiable_right_first_rate: f64,
    /// Queries that fit other firms of the base just as well (`ambiguous` = 1).
    pub ambiguous: usize,
    /// Of those, the right firm among the firms listed.
    pub ambiguous_listed: usize,
    pub new: usize,
    pub new_not_found: usize,
    pub new_not_found_rate: f64,
    pub errors: usize,
    /// The queries by what the base can answer.
    pub classes: Classes,
    pub mean_ms: f64,
    pub max_ms: f64,
    pub misses: Vec<String>,
}

/// One class of queries: how many, how many answered right, the rate.
#[derive(Debug, Serialize, Default)]
pub struct Class {
    pub queries: usize,
    pub right: usize,
    pub rate: f64,
}

impl Class {
    fn add(&mut self, right: bool) {
        self.queries += 1;
        self.right += usize::from(right);
        self.rate = self.right as f64 / self.queries as f64;
    }
}

/// Queries split by what the base can answer; what counts as right for each is in its doc.
#[derive(Debug, Serialize, Default)]
pub struct Classes {
    /// An ИНН, phone, email, site, contact or brand that is on a card of the firm: found, and the right firm.
    pub values_on_firm: Class,
    /// Values on the firm's cards that other firms carry too (`ambiguous` = 1): the right firm listed.
    pub shared_values: Class,
    /// A name alone, which no other firm's cards fit (`ambiguous` = 0): found, and the right firm.
    pub unique_name: Class,
    /// A name alone that other firms carry too: the right firm listed.
    pub shared_name: Class,
    /// A name plus values the base does not hold: the right firm first.
    pub name_values_absent: Class,
    /// A name other firms carry too, plus values the base does not hold (`ambiguous` = 1): the right firm listed.
    pub shared_name_values_absent: Class,
    /// A name plus values the base holds on other firms only: the right firm first.
    pub name_values_elsewhere: Class,
    /// Values the base does not hold, without a name: the right firm first.
    pub values_absent: Class,
    /// Firms not in the base: not found.
    pub new_firms: Class,
}

/// The class of a query about an existing firm, from the state: does a value it gives sit on the right firm?
fn classify(
    conn: &rusqlite::Connection,
    dict: &Dictionaries,
    q: &Query,
    right: &[String],
    ambiguous: bool,
) -> rusqlite::Result<QueryClass> {
    let keys = check::query_keys(q, dict).map(|k| k.0).unwrap_or_default();
    // The kind as the state stores it: a code (version 4, the firm being the card's) or a name (older).
    let by_code = crate::state::keys_by_code(conn)?;
    let kind_of =
        |k: KeyKind| if by_code { rusqlite::types::Value::from(k.code()) } else { k.name().to_string().into() };
    let mut st = conn.prepare_cached(if by_code {
        "SELECT 1 FROM keys k JOIN cards c ON c.card_id = k.card_id WHERE k.kind = ?1 AND k.value = ?2 AND c.firm_id = ?3 LIMIT 1"
    } else {
        "SELECT 1 FROM keys WHERE kind = ?1 AND value = ?2 AND firm_id = ?3 LIMIT 1"
    })?;
    let mut on_firm = false;
    for (kind, value) in &keys {
        for f in right {
            on_firm |= st.exists(rusqlite::params![kind_of(*kind), value, f])?;
        }
    }
    let mut any = conn.prepare_cached("SELECT 1 FROM keys WHERE kind = ?1 AND value = ?2 LIMIT 1")?;
    let mut in_base = false;
    for (kind, value) in &keys {
        in_base |= any.exists(rusqlite::params![kind_of(*kind), value])?;
    }
    let named = q.name.as_deref().is_some_and(|s| !s.trim().is_empty());
    Ok(match (on_firm, named, keys.is_empty()) {
        (true, _, _) if ambiguous => QueryClass::SharedValues,
        (true, _, _) => QueryClass::ValuesOnFirm,
        (false, true, true) if ambiguous => QueryClass::SharedName,
        (false, true, true) => QueryClass::UniqueName,
        (false, true, false) if in_base => QueryClass::NameValuesElsewhere,
        (false, true, false) if ambiguous => QueryClass::SharedNameValuesAbsent,
        (false, true, false) => QueryClass::NameValuesAbsent,
        (false, false, _) => QueryClass::ValuesAbsent,
    })
}

/// Answers every query of a file and scores the answers: for a query about an existing firm, the right firm
/// must come first (any firm holding one of the expected cards); for a new firm, nothing may be found.
pub fn evaluate(
    conn: &rusqlite::Connection,
    dict: &Dictionaries,
    file: &std::path::Path,
    today: chrono::NaiveDate,
) -> anyhow::Result<QueryEval> {
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
            let cls = classify(conn, dict, &q, &right, get(&r, "ambiguous").as_deref() == Some("1"))?;
            match cls {
                QueryClass::ValuesOnFirm => c.values_on_firm.add(first_ok && answer.found),
                QueryClass::SharedValues => c.shared_values.add(listed.is_some()),
                QueryClass::UniqueName => c.unique_name.add(first_ok && answer.found),
                QueryClass::SharedName => c.shared_name.add(listed.is_some()),
                QueryClass::NameValuesAbsent => c.name_values_absent.add(first_ok),
                QueryClass::SharedNameValuesAbsent => c.shared_name_values_absent.add(listed.is_some()),
                QueryClass::NameValuesElsewhere => c.name_values_elsewhere.add(first_ok),
                QueryClass::ValuesAbsent => c.values_absent.add(first_ok),
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
                ev.misses.push(format!("existing firm missed ({}): {}", cls.describe(), describe()));
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
    Ok(ev)
}
