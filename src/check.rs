//! The managers' check: given whatever a manager knows about a client (name, ИНН, phone, email, site, brand,
//! contact), find the firms of the state it may be, best first, with the evidence in words and what the manager
//! may do with each. Answers come from the state's key index, never by re-running the matcher.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, params};
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::config::OwnershipConfig;
use crate::dict::Dictionaries;
use crate::normalize::{self, NormName, PhoneKind};
use crate::ownership::{self, Status};
use crate::score::{edit_similarity, falloff};
use crate::state::snapshot::word_variants;

/// What the manager knows.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Company name (any form).
    pub name: Option<String>,
    /// ИНН (or ОГРН).
    pub inn: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Website.
    pub website: Option<String>,
    /// Brand.
    pub brand: Option<String>,
    /// Decision-maker.
    pub contact: Option<String>,
    /// The manager asking (for the status).
    pub manager: Option<String>,
}

/// A question that cannot be asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QueryError {
    /// Nothing to search by.
    #[error("nothing to look for: give at least one of --name, --inn, --phone, --email, --website, --brand, --contact")]
    Empty,
    /// A bad value, with what to do.
    #[error("{0}")]
    Bad(String),
}

/// One candidate firm.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Match {
    /// Firm id.
    pub firm_id: String,
    /// Canonical name.
    pub name: String,
    /// True when judged to be the client asked about.
    pub same_firm: bool,
    /// Score (sum of evidence weights).
    pub score: f32,
    /// Status code for the asking manager: yours, held, stale_claimable, pool, at_limit.
    pub status: String,
    /// The status in words.
    pub status_text: String,
    /// Owner.
    pub owner: Option<String>,
    /// Latest activity on the firm.
    pub last_activity: Option<String>,
    /// Why it matched.
    pub evidence: Vec<String>,
    /// Its legal entities.
    pub legal_entities: Vec<String>,
    /// Its brands.
    pub brands: Vec<String>,
    /// Managers holding its cards.
    pub managers: Vec<String>,
    /// Cards.
    pub cards: u32,
}

/// The answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Answer {
    /// True when the best match is judged to be the same client.
    pub found: bool,
    /// What the answer means, in one sentence.
    pub verdict: String,
    /// Matches, best first (may include merely similar firms).
    pub matches: Vec<Match>,
    /// For `--manager`, when a release rule is on: the manager's firms against the limit and those the rules
    /// will send to the pool ([`ownership::manager_note`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager_note: Option<String>,
}

/// Name candidates compared with the asked name, at most.
const MAX_NAME_CANDIDATES: usize = 60;

/// The pull of a firm whose whole name is the asked one, against the pull of its words.
const WHOLE_NAME_PULL: f32 = 10.0;

/// Weight a shared value needs to identify the client.
pub const SAME_FIRM: f32 = 1.0;

#[derive(Default)]
struct Cand {
    score_by_signal: FxHashMap<&'static str, f32>,
    evidence: Vec<(f32, String)>,
    /// The asked name's legal form (ООО, ИП ...) is the one on the best-matching card: breaks ties between firms
    /// of one name.
    same_form: bool,
}

impl Cand {
    fn add(&mut self, signal: &'static str, w: f32, text: String) {
        let e = self.score_by_signal.entry(signal).or_insert(0.0);
        if w > *e {
            *e = w;
        }
        self.evidence.push((w, text));
    }
    fn score(&self) -> f32 {
        self.score_by_signal.values().sum()
    }
}

/// A value's weight by the number of firms carrying it: the matcher's curve, zero when generic.
fn decay(base: f32, firms: u32, generic_over: u32) -> f32 {
    if firms > generic_over { 0.0 } else { base * falloff(2, firms) }
}

/// Firms carrying a key: (firm, first card).
fn lookup(conn: &Connection, kind: &str, value: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut st = conn.prepare_cached("SELECT firm_id, card_id FROM keys WHERE kind = ?1 AND value = ?2 LIMIT 2000")?;
    let rows = st.query_map(params![kind, value], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn entity_name_of_card(conn: &Connection, card: &str) -> rusqlite::Result<String> {
    conn.query_row(
        "SELECT e.name FROM cards c JOIN entities e ON e.entity_id = c.entity_id WHERE c.card_id = ?1",
        [card],
        |r| r.get(0),
    )
    .optional()
    .map(|x| x.unwrap_or_default())
}

/// Answers a question.
pub fn check(
    conn: &Connection,
    dict: &Dictionaries,
    q: &Query,
    today: NaiveDate,
    limit: usize,
) -> Result<Answer, Box<dyn std::error::Error + Send + Sync>> {
    let given = [&q.name, &q.inn, &q.phone, &q.email, &q.website, &q.brand, &q.contact];
    if given.iter().all(|v| v.as_deref().is_none_or(|s| s.trim().is_empty())) {
        return Err(Box::new(QueryError::Empty));
    }
    let meta = |k: &str| -> rusqlite::Result<Option<String>> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0)).optional()
    };
    let policy: OwnershipConfig = meta("ownership")?.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default();
    let generic_over: u32 = meta("generic_max_entities")?.and_then(|s| s.parse().ok()).unwrap_or(5);

    let mut cands: FxHashMap<String, Cand> = FxHashMap::default();
    let mut add_key = |kind: &str,
                       value: &str,
                       signal: &'static str,
                       base: f32,
                       text: &dyn Fn(&str, usize) -> String|
     -> rusqlite::Result<()> {
        let hits = lookup(conn, kind, value)?;
        let n = hits.len();
        let w = if signal == "inn" { base } else { decay(base, n as u32, generic_over) };
        for (firm, card) in hits {
            cands.entry(firm).or_default().add(signal, w, text(&card, n));
        }
        Ok(())
    };
    let shared = |n: usize| if n > 1 { format!(" (on {n} firms)") } else { String::new() };

    if let Some(v) = q.inn.as_deref().filter(|s| !s.trim().is_empty()) {
        let ids = normalize::normalize_ids(v, "", "");
        if let Some(inn) = &ids.inn {
            add_key("inn", inn, "inn", 3.0, &|card, _| {
                let e = entity_name_of_card(conn, card).unwrap_or_default();
                format!("ИНН {inn} belongs to legal entity {e} of this firm")
            })?;
        } else if let Some(ogrn) = &ids.ogrn {
            add_key("ogrn", ogrn, "inn", 3.0, &|card, _| {
                let e = entity_name_of_card(conn, card).unwrap_or_default();
                format!("ОГРН {ogrn} belongs to legal entity {e} of this firm")
            })?;
        } else if ids.kpp.is_some() {
            return Err(Box::new(QueryError::Bad(format!(
                "{v:?} looks like a КПП (9 characters), not an ИНН: give the 10- or 12-digit ИНН"
            ))));
        } else {
            return Err(Box::new(QueryError::Bad(format!(
                "ИНН {v:?} is not valid (an ИНН has 10 digits for a company or 12 for a person, with check digits): check the digits"
            ))));
        }
    }
    if let Some(v) = q.phone.as_deref().filter(|s| !s.trim().is_empty()) {
        let p = normalize::phone::parse_phone(v, None).map_err(|_| {
            QueryError::Bad(format!("{v:?} is not a phone number: give it with its area code, e.g. +7 495 123-45-67"))
        })?;
        // A number without its area code, or an 8-800 line, collides across firms: weighed as the matcher does.
        let weights = crate::config::Weights::default();
        let (kind, base) = match p.kind {
            PhoneKind::Local => ("local_phone", weights.local_phone),
            PhoneKind::TollFree => ("toll_free", weights.toll_free),
            _ => ("phone", weights.phone),
        };
        let num = p.number.clone();
        add_key(kind, &p.number, "phone", base, &|card, n| {
            format!("phone {num} is on card {card} of this firm{}", shared(n))
        })?;
    }
    if let Some(v) = q.email.as_deref().filter(|s| !s.trim().is_empty()) {
        let e =
            normalize::parse_email(v, dict).ok_or_else(|| QueryError::Bad(format!("{v:?} is not an email address")))?;
        let addr = e.address.clone();
        add_key("email", &e.address, "email", 1.0, &|card, n| {
            format!("email {addr} is on card {card} of this firm{}", shared(n))
        })?;
        if !e.public {
            let dom = e.domain.clone();
            add_key("domain", &e.domain, "email", 1.0, &|card, n| {
                format!("domain {dom} is on card {card} of this firm{}", shared(n))
            })?;
        }
    }
    if let Some(v) = q.website.as_deref().filter(|s| !s.trim().is_empty()) {
        let w =
            normalize::normalize_website(v, dict).ok_or_else(|| QueryError::Bad(format!("{v:?} is not a website")))?;
        let w2 = w.clone();
        add_key("domain", &w, "email", 1.0, &|card, n| {
            format!("site {w2} is on card {card} of this firm{}", shared(n))
        })?;
    }
    if let Some(v) = q.contact.as_deref().filter(|s| !s.trim().is_empty()) {
        let p = normalize::parse_person(v, dict).ok_or_else(|| {
            QueryError::Bad(format!("no person's name found in {v:?}: give a surname, e.g. Иванов И.И."))
        })?;
        let shown = p.display();
        if p.patronymic_initial.is_some() {
            add_key("person_full", &p.key(), "person", 0.8, &|card, n| {
                format!("decision-maker {shown} is on card {card} of this firm{}", shared(n))
            })?;
        } else {
            add_key("person", &p.block_key(), "person", 0.6, &|card, n| {
                format!("decision-maker {shown} is on card {card} of this firm{}", shared(n))
            })?;
        }
    }
    let mut query_names: Vec<NormName> = Vec::new();
    if let Some(v) = q.brand.as_deref().filter(|s| !s.trim().is_empty()) {
        let b = normalize::normalize_name(v, dict);
        if b.is_empty() {
            return Err(Box::new(QueryError::Bad(format!("brand {v:?} has no letters or digits"))));
        }
        let shown = b.display_core.clone();
        add_key("brand", &b.compact(), "brand", 1.0, &|card, n| {
            format!("brand «{shown}» is on card {card} of this firm{}", shared(n))
        })?;
        query_names.push(b);
    }
    if let Some(v) = q.name.as_deref().filter(|s| !s.trim().is_empty()) {
        let n = normalize::normalize_name(v, dict);
        if n.is_empty() {
            return Err(Box::new(QueryError::Bad(format!("name {v:?} has no words besides its legal form"))));
        }
        query_names.insert(0, n);
    }
    // Names: candidate firms by whole name, by word, and by words one typo away; the firms matching the most (and
    // rarest) words are compared, at most MAX_NAME_CANDIDATES of them.
    let words_firms = |w: &str| -> u32 {
        conn.query_row("SELECT firms FROM name_words WHERE word = ?1", [w], |r| r.get::<_, i64>(0))
            .optional()
            .ok()
            .flatten()
            .unwrap_or(1) as u32
    };
    for (qi, qn) in query_names.iter().enumerate() {
        let mut pull: FxHashMap<String, f32> = FxHashMap::default();
        for (f, _) in lookup(conn, "name", &qn.compact())? {
            pull.insert(f, WHOLE_NAME_PULL);
        }
        for t in qn.tokens.iter().filter(|t| !t.generic && t.key.chars().count() >= 3) {
            let mut words: Vec<String> = vec![t.key.clone()];
            let vars = word_variants(&t.key);
            let mut st = conn.prepare_cached("SELECT word FROM word_variants WHERE variant = ?1")?;
            for v in &vars {
                for w in st.query_map([v], |r| r.get::<_, String>(0))? {
                    let w = w?;
                    if !words.contains(&w) && edit_similarity(&w, &t.key) >= 0.8 {
                        words.push(w);
                    }
                }
            }
            let mut hit: Vec<String> = Vec::new();
            for w in &words {
                let hits = lookup(conn, "name_word", w)?;
                if hits.len() <= 300 {
                    hit.extend(hits.into_iter().map(|(f, _)| f));
                }
            }
            hit.sort();
            hit.dedup();
            // A word found on few firms pulls harder than one found on many.
            let w = 1.0 / (2.0 + hit.len() as f32).ln();
            for f in hit {
                *pull.entry(f).or_insert(0.0) += w;
            }
        }
        let mut firms: Vec<(String, f32)> = pull.into_iter().collect();
        firms.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| crate::pipeline::id_order(&a.0, &b.0)));
        firms.truncate(MAX_NAME_CANDIDATES);
        // The name counts as much as its rarest matching word is rare in the base.
        let rarity =
            qn.tokens.iter().filter(|t| !t.generic).map(|t| falloff(2, words_firms(&t.key))).fold(0.0f32, f32::max);
        for (f, _) in firms {
            let best = best_name(conn, dict, &f, qn)?;
            if best.sim < 0.6 {
                continue;
            }
            let w = best.sim * rarity.max(0.05);
            let what = if qi == 0 && q.name.is_some() { "name" } else { "brand" };
            let c = cands.entry(f).or_default();
            c.add("name", w, format!("{what} ~ {} (card {}, similarity {:.2})", best.name, best.card, best.sim));
            if qi == 0 && best.same_form {
                c.same_form = true;
            }
        }
    }

    // A name is weaker when the question also gave identifiers (ИНН, phone, email, site) and this firm has none
    // of them: the manager described another company of the same name. Another ИНН on the firm contradicts it.
    let gave_ids =
        [&q.inn, &q.phone, &q.email, &q.website].iter().any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty()));
    let asked_inn = q.inn.as_deref().map(|v| normalize::normalize_ids(v, "", "")).and_then(|i| i.inn);
    if gave_ids {
        for (firm, c) in cands.iter_mut() {
            let identified =
                ["inn", "phone", "email"].iter().any(|s| c.score_by_signal.get(s).is_some_and(|w| *w > 0.0));
            if identified {
                continue;
            }
            let mut factor = 0.6;
            if let Some(inn) = &asked_inn {
                let inns: String = conn
                    .query_row("SELECT inns FROM firms WHERE firm_id = ?1", [firm], |r| r.get(0))
                    .optional()?
                    .unwrap_or_default();
                if !inns.is_empty() && !inns.split("; ").any(|x| x == inn) {
                    factor = 0.2;
                }
            }
            if let Some(w) = c.score_by_signal.get_mut("name") {
                *w *= factor;
                c.evidence.push((
                    0.0,
                    format!("but none of the ИНН, phone, email or site given is on this firm (name weight ×{factor})"),
                ));
            }
        }
    }

    // Rank, then fill in each firm.
    let mut ranked: Vec<(String, f32, bool)> =
        cands.iter().map(|(f, c)| (f.clone(), c.score(), c.same_form)).filter(|(_, s, _)| *s > 0.0).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then_with(|| crate::pipeline::id_order(&a.0, &b.0)));
    // The verdict is about the best firm whatever `limit` lists: it is always looked at (`--limit 0` must not
    // turn a held firm into "free to claim").
    ranked.truncate(limit.max(1));
    let my_firms: u32 = match &q.manager {
        Some(m) => firms_held_by(conn, m)?,
        None => 0,
    };
    let mut matches = Vec::new();
    for (firm, score, _) in ranked {
        let row = conn
            .query_row(
                "SELECT name, owner, owner_last_activity, status, last_activity, brands, managers, cards FROM firms WHERE firm_id = ?1",
                [&firm],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, i64>(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((name, owner, owner_last, stored_status, last, brands, managers, cards)) = row else { continue };
        let owner = Some(owner).filter(|s| !s.is_empty());
        let idle = NaiveDate::parse_from_str(&owner_last, "%Y-%m-%d").ok().map(|d| ownership::days_between(d, today));
        let status = Status {
            status: match (&owner, idle) {
                (None, _) => "pool".into(),
                (Some(_), Some(d)) if d <= policy.stale_after_days as i64 => "held".into(),
                (Some(_), _) => {
                    let _ = stored_status;
                    "stale".into()
                }
            },
            owner: owner.clone(),
            idle_days: idle,
        };
        let (code, text) = ownership::status_for(&status, q.manager.as_deref(), my_firms, &policy);
        let mut st = conn
            .prepare_cached("SELECT name FROM entities WHERE firm_id = ?1 ORDER BY cards DESC, entity_id LIMIT 20")?;
        let legal_entities: Vec<String> = st.query_map([&firm], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let mut ev =
            std::mem::take(&mut cands.get_mut(&firm).map(|c| std::mem::take(&mut c.evidence)).unwrap_or_default());
        ev.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        ev.dedup_by(|a, b| a.1 == b.1);
        let split =
            |s: String| -> Vec<String> { s.split("; ").filter(|x| !x.is_empty()).map(str::to_string).collect() };
        matches.push(Match {
            firm_id: firm,
            name,
            same_firm: score >= SAME_FIRM,
            score: (score * 100.0).round() / 100.0,
            status: code,
            status_text: text,
            owner,
            last_activity: Some(last).filter(|s| !s.is_empty()),
            evidence: ev.into_iter().take(8).map(|(_, t)| t).collect(),
            legal_entities,
            brands: split(brands),
            managers: split(managers),
            cards: cards as u32,
        });
    }
    let found = matches.first().is_some_and(|m| m.same_firm);
    let verdict = match matches.first() {
        Some(m) if m.same_firm => format!("this is firm {} {}: {}", m.firm_id, m.name, m.status_text),
        Some(_) => "not found: no firm of the base is this client; the firms below only look similar, and the firm looks new — free to claim".into(),
        None => "not found: nothing in the base matches; the firm looks new — free to claim".into(),
    };
    let manager_note = match &q.manager {
        Some(m) => ownership::manager_note(&policy, today, &crate::state::history::held_activity(conn, m)?),
        None => None,
    };
    matches.truncate(limit);
    Ok(Answer { found, verdict, matches, manager_note })
}

/// Firms held by a manager, logins compared through [`ownership::login_key`]: from the per-login counts the run
/// stored (`meta.owner_firms`), else by counting the owners of the state.
fn firms_held_by(conn: &Connection, manager: &str) -> rusqlite::Result<u32> {
    let key = ownership::login_key(manager);
    let stored: Option<String> =
        conn.query_row("SELECT value FROM meta WHERE key = 'owner_firms'", [], |r| r.get(0)).optional()?;
    if let Some(map) = stored.and_then(|s| serde_json::from_str::<FxHashMap<String, u32>>(&s).ok()) {
        return Ok(map.get(&key).copied().unwrap_or(0));
    }
    let mut st = conn.prepare_cached("SELECT owner, count(*) FROM firms WHERE owner != '' GROUP BY owner")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut n = 0i64;
    for row in rows {
        let (owner, c) = row?;
        if ownership::login_key(&owner) == key {
            n += c;
        }
    }
    Ok(n as u32)
}

/// The card of a firm whose name is closest to the asked one.
struct BestName {
    sim: f32,
    name: String,
    card: String,
    /// The card's legal form is the asked one (both given).
    same_form: bool,
}

/// The best similarity between the query name and the names on the firm's cards.
fn best_name(conn: &Connection, dict: &Dictionaries, firm: &str, q: &NormName) -> rusqlite::Result<BestName> {
    let mut st =
        conn.prepare_cached("SELECT card_id, name, name_norm, legal_form FROM cards WHERE firm_id = ?1 LIMIT 50")?;
    let rows: Vec<(String, String, String, String)> =
        st.query_map([firm], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
    let mut best = BestName { sim: 0.0, name: String::new(), card: String::new(), same_form: false };
    let mut seen: Vec<String> = Vec::new();
    for (card, name, norm, form) in rows {
        let same_form = q.legal_form.as_deref().is_some_and(|f| f == form);
        if seen.contains(&norm) && (!same_form || best.same_form) {
            continue;
        }
        seen.push(norm.clone());
        let other = normalize::normalize_name(&norm, dict);
        let s = name_similarity(q, &other);
        if s > best.sim || (s == best.sim && same_form && !best.same_form) {
            best = BestName { sim: s, name, card, same_form };
        }
    }
    Ok(best)
}

/// Name similarity without the base's word frequencies: words matched on transliteration keys (one typo
/// allowed), the smaller of the two directions, numbers must agree.
pub fn name_similarity(a: &NormName, b: &NormName) -> f32 {
    if a.compact() == b.compact() {
        return 1.0;
    }
    let directed = |x: &NormName, y: &NormName| -> f32 {
        let (mut num, mut den) = (0.0f32, 0.0f32);
        for t in &x.tokens {
            let w = if t.generic { 0.3 } else { 1.0 };
            den += w;
            let best = y
                .tokens
                .iter()
                .map(|u| {
                    if u.key == t.key {
                        1.0
                    } else if t.key.len() >= 4 && u.key.len() >= 4 {
                        let s = edit_similarity(&t.key, &u.key).max(edit_similarity(&t.text, &u.text));
                        if s >= 0.8 { s } else { 0.0 }
                    } else {
                        0.0
                    }
                })
                .fold(0.0f32, f32::max);
            num += w * best;
        }
        if den == 0.0 { 0.0 } else { num / den }
    };
    let soft = directed(a, b).min(directed(b, a));
    let compact = edit_similarity(&a.compact(), &b.compact());
    let mut sim = soft.max(if compact >= 0.85 { compact } else { 0.0 });
    let nums = |n: &NormName| -> Vec<String> {
        n.tokens.iter().filter(|t| t.text.chars().all(|c| c.is_ascii_digit())).map(|t| t.text.clone()).collect()
    };
    if nums(a) != nums(b) {
        sim = sim.min(0.7);
    }
    sim
}

/// The answer as one JSON object, as `check --json` prints it and the HTTP service's `/api/check` returns it:
/// one writer for both, so a CRM integration reads the same bytes from either.
pub fn answer_json(a: &Answer) -> String {
    // Serialising plain structs of strings, numbers and booleans cannot fail.
    // Control characters and bidi overrides from the data stay escaped (`\u202e`), as on the command line.
    let mut s = crate::sanitize::json_text(&serde_json::to_string_pretty(a).unwrap_or_default()).into_owned();
    s.push('\n');
    s
}
