//! `report.html`: the administrator's review page. One self-contained file — styles, script and data embedded,
//! nothing loaded from the network (a Content-Security-Policy meta tag forbids it) — in Russian, with the
//! sections `#summary`, `#firms`, `#review`, `#conflicts` and `#managers`, and decisions that download as a CSV
//! for `firmdedup override import`.
//!
//! The data goes in a `<script type="application/json">` block, with `<`, `>`, `&`, U+2028 and U+2029 escaped
//! so no value can close the block; the page's script sets every value as text and renders long lists a page at
//! a time. The CSV files beside it keep everything; the page carries at most [`MAX_REVIEW_ROWS`] review rows.

use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::config::{Config, ConflictPolicy};
use crate::csvio::write_text;
use crate::ownership::{FirmOwnership, ManagerRow};
use crate::pipeline::Dedup;
use crate::report::dedup::Ids;
use crate::report::review::{self, MARGIN};

const TEMPLATE: &str = include_str!("assets/report.html");
const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// Review rows embedded in the page (the most doubtful); review.csv has them all.
pub const MAX_REVIEW_ROWS: usize = 5000;

/// Escapes JSON text for a `<script type="application/json">` block: `<`, `>` and `&` (so `</script>` and
/// `<!--` cannot occur), and U+2028/U+2029. These characters only occur inside JSON strings, where a `\uXXXX`
/// escape means the same.
pub fn escape_json_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 64);
    for ch in json.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

fn policy_ru(p: ConflictPolicy) -> &'static str {
    match p {
        ConflictPolicy::MostRecent => "у кого последняя активность (most_recent)",
        ConflictPolicy::MostCards => "у кого больше карточек (most_cards)",
        ConflictPolicy::Priority => "по списку приоритета (priority)",
    }
}

/// A JSON array of rows, each serialised as it comes: no tree of values for a million cards (the page's data
/// at 1M cards would otherwise take gigabytes while it is built).
fn array<T: Serialize>(rows: impl Iterator<Item = T>) -> String {
    let mut buf: Vec<u8> = b"[".to_vec();
    for (i, r) in rows.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        // Tuples of strings and numbers always serialise.
        let _ = serde_json::to_writer(&mut buf, &r);
    }
    buf.push(b']');
    String::from_utf8(buf).unwrap_or_default()
}

/// The page's data, as JSON text: arrays rather than objects per row, to keep a 100k-card page small.
pub fn data(
    d: &Dedup,
    ids: &Ids,
    own: &[FirmOwnership],
    managers: &[ManagerRow],
    cfg: &Config,
    summary: &Value,
    rows: &[review::ReviewRow],
) -> String {
    // Managers by number: a name is written once, not on every card.
    let mut names: Vec<&str> = d.norm.iter().filter_map(|n| n.manager.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    let mgr = |m: Option<&str>| -> i64 { m.and_then(|m| names.binary_search(&m).ok()).map_or(-1, |i| i as i64) };
    let cards = array((0..d.cards.len()).map(|i| {
        let (c, n) = (&d.cards[i], &d.norm[i]);
        (
            &c.id,
            &c.name,
            n.ids.inn.as_deref().unwrap_or_default(),
            n.phones.iter().map(|p| p.display()).collect::<Vec<_>>().join(", "),
            n.emails.iter().map(|e| e.address.as_str()).collect::<Vec<_>>().join(", "),
            mgr(n.manager.as_deref()),
            n.last_activity.map(|d| d.to_string()).unwrap_or_default(),
            d.grouping.entity_of_card[i],
        )
    }));
    let entities = array(
        d.entities
            .iter()
            .enumerate()
            .map(|(i, e)| (&ids.entity[i], &e.name, d.grouping.firm_of_entity[i], e.inns.join(", "))),
    );
    let firms = array(d.firms.iter().enumerate().map(|(i, f)| {
        let o = own.get(i);
        // A firm is named after one of its legal entities: its number stands for the name.
        let name = match f.entities.iter().find(|&&e| d.entities[e as usize].name == f.name) {
            Some(&e) => json!(e),
            None => json!(f.name),
        };
        (
            &ids.firm[i],
            name,
            f.entities.len(),
            f.cards,
            mgr(o.and_then(|o| o.owner.as_deref())),
            o.map(|o| o.status).unwrap_or(""),
            o.is_some_and(|o| o.conflict) as u8,
        )
    }));
    let links = array(d.grouping.links.iter().map(|l| {
        let score = if l.score > 0.0 { format!("{:.2}", l.score) } else { String::new() };
        // The most common evidence, "same INN <the cards' ИНН>", goes as 0 and is written by the page.
        let plain_inn = d.norm[l.a as usize]
            .ids
            .inn
            .as_deref()
            .is_some_and(|inn| l.evidence.strip_prefix("same INN ") == Some(inn));
        let ev = if plain_inn { json!(0) } else { json!(l.evidence) };
        ((l.level == "firm") as u8, l.a, l.b, score, ev)
    }));
    let review_rows: Vec<Value> = rows
        .iter()
        .take(MAX_REVIEW_ROWS)
        .map(|r| {
            json!([
                r.kind.name(),
                r.level,
                r.a,
                r.b,
                format!("{:.2}", r.score),
                format!("{:.2}", r.threshold),
                r.together,
                r.evidence
            ])
        })
        .collect();
    let conflicts = conflicts(own);
    let managers: Vec<Value> = managers
        .iter()
        .map(|m| {
            json!([
                m.manager,
                m.firms_held,
                m.limit,
                m.over_limit,
                m.stale_firms,
                m.idle_30,
                m.idle_60,
                m.idle_90,
                m.cards
            ])
        })
        .collect();
    // The small parts as one object; the large arrays spliced in as the text they already are.
    let small = json!({
        "summary": summary,
        "manager_names": names,
        "review": review_rows,
        "review_total": rows.len(),
        "margin": MARGIN,
        "conflicts": conflicts,
        "managers": managers,
        "policy": policy_ru(cfg.ownership.conflict_policy),
    })
    .to_string();
    let mut out = String::with_capacity(small.len() + cards.len() + entities.len() + firms.len() + links.len() + 64);
    out.push_str(&small[..small.len() - 1]);
    for (key, text) in [("cards", &cards), ("entities", &entities), ("firms", &firms), ("links", &links)] {
        out.push_str(&format!(",\"{key}\":"));
        out.push_str(text);
    }
    out.push('}');
    out
}

/// Conflicted firms: `[firm index, owner, holdings]`; the page finds the evidence among the firm's links.
fn conflicts(own: &[FirmOwnership]) -> Vec<Value> {
    own.iter()
        .enumerate()
        .filter(|(_, o)| o.conflict)
        .map(|(f, o)| {
            let holdings: Vec<String> = o
                .holdings
                .iter()
                .map(|h| {
                    let last = h.last_activity.map(|d| format!(", активность {d}")).unwrap_or_default();
                    format!("{} — карточек {}{last}", h.manager, h.cards)
                })
                .collect();
            json!([f, o.owner.clone().unwrap_or_default(), holdings.join("; ")])
        })
        .collect()
}

/// The whole page.
pub fn render(data: &str) -> String {
    let json = escape_json_for_script(data);
    // The assets are ours and contain each marker once; the data goes in last so nothing in it is replaced.
    let page = TEMPLATE.replacen("/*CSS*/", CSS, 1).replacen("/*JS*/", JS, 1);
    page.replacen("/*DATA*/", &json, 1)
}

/// Writes review.csv and report.html into `dir`.
pub fn write(
    dir: &Path,
    d: &Dedup,
    ids: &Ids,
    own: &[FirmOwnership],
    managers: &[ManagerRow],
    cfg: &Config,
    summary: &Value,
) -> std::io::Result<()> {
    let rows = review::rows(d, cfg);
    review::write_review(dir, d, &rows)?;
    let page = render(&data(d, ids, own, managers, cfg, summary, &rows));
    write_text(&dir.join("report.html"), &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_script_cannot_close_the_block() {
        let v = json!({"name": "</script><script>alert(1)</script> & <!-- \u{2028}\u{2029}"});
        let s = escape_json_for_script(&v.to_string());
        for bad in ["<", ">", "&", "\u{2028}", "\u{2029}"] {
            assert!(!s.contains(bad), "{bad:?} left in {s}");
        }
        // Still the same JSON.
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn page_has_each_section_and_a_csp() {
        let page = render(&json!({"x": "<b>"}).to_string());
        for id in ["summary", "firms", "review", "conflicts", "managers"] {
            assert!(page.contains(&format!("<section id=\"{id}\"")), "{id}");
        }
        assert!(page.contains("Content-Security-Policy"));
        assert!(page.contains("default-src 'none'"));
        assert!(!page.contains("/*DATA*/") && !page.contains("/*JS*/") && !page.contains("/*CSS*/"));
        // No address but the SVG namespace name, and nothing that loads a resource.
        assert_eq!(page.matches("http://").count(), page.matches("http://www.w3.org/2000/svg").count());
        assert!(!page.contains("https://") && !page.contains("//cdn"));
        assert!(!page.contains(" src=") && !page.contains("<link") && !page.contains("fetch("));
    }
}
