//! `report.html`: the administrator's review page. One self-contained file — styles, script and data embedded,
//! nothing loaded from the network (a Content-Security-Policy meta tag forbids it) — in Russian, with the
//! sections `#summary`, `#firms`, `#review`, `#conflicts` and `#managers`, and decisions that download as a CSV
//! for `firmdedup override import`.
//!
//! The data goes in a `<script type="application/json">` block, with `<`, `>`, `&`, U+2028 and U+2029 escaped
//! so no value can close the block; the page's script sets every value as text and renders long lists a page at
//! a time. The CSV files beside it keep everything; the page carries at most [`MAX_REVIEW_ROWS`] review rows.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::{Config, ConflictPolicy};
use crate::csvio::write_with;
use crate::matching::firm::EvidencePart;
use crate::matching::score::Level;
use crate::ownership::{Figures, FirmOwnership, ManagerRow};
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
    let mut out: Vec<u8> = Vec::with_capacity(json.len() + json.len() / 64);
    // Writing into a vector cannot fail.
    let _ = write_escaped(&mut out, json);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes `json` escaped as [`escape_json_for_script`] says, the runs between the characters to escape as they
/// are.
fn write_escaped(w: &mut dyn Write, json: &str) -> std::io::Result<()> {
    let b = json.as_bytes();
    let mut from = 0;
    let mut i = 0;
    while i < b.len() {
        // '<', '>', '&', and U+2028 / U+2029 (E2 80 A8 / A9 in UTF-8).
        let (esc, len): (&[u8], usize) = match b[i] {
            b'<' => (b"\\u003c", 1),
            b'>' => (b"\\u003e", 1),
            b'&' => (b"\\u0026", 1),
            0xE2 if b.get(i + 1) == Some(&0x80) && b.get(i + 2) == Some(&0xA8) => (b"\\u2028", 3),
            0xE2 if b.get(i + 1) == Some(&0x80) && b.get(i + 2) == Some(&0xA9) => (b"\\u2029", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        w.write_all(&b[from..i])?;
        w.write_all(esc)?;
        i += len;
        from = i;
    }
    w.write_all(&b[from..])
}

fn policy_ru(p: ConflictPolicy) -> &'static str {
    match p {
        ConflictPolicy::MostRecent => "у кого последняя активность (most_recent)",
        ConflictPolicy::MostCards => "у кого больше карточек (most_cards)",
        ConflictPolicy::Priority => "по списку приоритета (priority)",
    }
}

/// A JSON array of rows, each serialised as it comes: no tree of values for a million cards (the page's data at
/// 1M cards would otherwise take gigabytes while it is built). Each item's row (`None`: left out) is made and
/// serialised in parallel chunks, kept in order, so the text is the same whatever the thread count. The text comes
/// in parts (the page writes them one after the other), so the chunks are not copied into one.
fn par_array<T: Sync, R: Serialize>(items: &[T], row: impl Fn(&T) -> Option<R> + Sync) -> Vec<String> {
    let mut chunks: Vec<Vec<u8>> = items
        .par_chunks(4096)
        .map(|chunk| {
            let mut buf: Vec<u8> = Vec::new();
            for r in chunk.iter().filter_map(&row) {
                buf.push(b',');
                // Tuples of strings and numbers always serialise.
                let _ = serde_json::to_writer(&mut buf, &r);
            }
            buf
        })
        .collect();
    // Every row starts with a comma: the first row's goes.
    if let Some(first) = chunks.iter_mut().find(|c| !c.is_empty()) {
        first.remove(0);
    }
    let mut parts = Vec::with_capacity(chunks.len() + 2);
    parts.push("[".to_string());
    parts.extend(chunks.into_iter().filter(|c| !c.is_empty()).map(|c| String::from_utf8(c).unwrap_or_default()));
    parts.push("]".to_string());
    parts
}

/// Conflicted firms embedded in the page (the most cards first); conflicts.csv has them all.
pub const MAX_CONFLICT_ROWS: usize = 5000;

/// Marks an index left out of the page.
const OUT: u32 = u32::MAX;

/// What the page carries: whole firms up to a budget of cards, and each kept card's, entity's and firm's index
/// in the page (or [`OUT`]).
struct Selection {
    card: Vec<u32>,
    entity: Vec<u32>,
    firm: Vec<u32>,
    cards: Vec<u32>,
    entities: Vec<u32>,
    firms: Vec<u32>,
}

/// Chooses the firms the page carries in full: those of the review rows it shows first, then those of the
/// conflicts it shows, then the largest (ties: in firm order), each while its cards fit within `budget`.
fn select(d: &Dedup, review_firms: &[u32], conflict_firms: &[u32], budget: usize) -> Selection {
    let g = &d.grouping;
    let mut by_size: Vec<u32> = (0..d.firms.len() as u32).collect();
    by_size.sort_by_key(|&f| (std::cmp::Reverse(d.firms[f as usize].cards), f));
    let mut keep = vec![false; d.firms.len()];
    let mut used = 0usize;
    for &f in review_firms.iter().chain(conflict_firms).chain(&by_size) {
        let n = d.firms[f as usize].cards;
        if !keep[f as usize] && used + n <= budget {
            keep[f as usize] = true;
            used += n;
        }
        if used == budget {
            break;
        }
    }
    let renumber = |n: usize, kept: &dyn Fn(usize) -> bool| -> (Vec<u32>, Vec<u32>) {
        let mut map = vec![OUT; n];
        let mut list = Vec::new();
        for (i, m) in map.iter_mut().enumerate() {
            if kept(i) {
                *m = list.len() as u32;
                list.push(i as u32);
            }
        }
        (map, list)
    };
    let (firm, firms) = renumber(d.firms.len(), &|f| keep[f]);
    let (entity, entities) = renumber(d.entities.len(), &|e| keep[g.firm_of_entity[e] as usize]);
    let (card, cards) = renumber(d.cards.len(), &|c| keep[g.firm_of_card(c) as usize]);
    Selection { card, entity, firm, cards, entities, firms }
}

/// The page's data, as JSON text: arrays rather than objects per row, to keep a 100k-card page small. The page
/// carries whole firms up to `cfg.report.page_cards` cards (see [`select`]) and says how many it left out.
pub fn data(
    d: &Dedup,
    ids: &Ids,
    own: &[FirmOwnership],
    managers: &[ManagerRow],
    cfg: &Config,
    summary: &Value,
    rows: &[review::ReviewRow],
) -> Vec<String> {
    let g = &d.grouping;
    let firm_of = |c: u32| g.firm_of_card(c as usize);
    let review_firms: Vec<u32> = rows.iter().take(MAX_REVIEW_ROWS).flat_map(|r| [firm_of(r.a), firm_of(r.b)]).collect();
    let mut conflicted: Vec<u32> = (0..own.len() as u32).filter(|&f| own[f as usize].conflict).collect();
    conflicted.sort_by_key(|&f| (std::cmp::Reverse(d.firms[f as usize].cards), f));
    let conflicts_total = conflicted.len();
    conflicted.truncate(MAX_CONFLICT_ROWS);
    let sel = select(d, &review_firms, &conflicted, cfg.report.page_cards as usize);

    // Managers by number: a name is written once, not on every card.
    let mut names: Vec<&str> = d.norm.iter().filter_map(|n| n.manager.as_deref()).collect();
    names.sort_unstable();
    names.dedup();
    let mgr = |m: Option<&str>| -> i64 { m.and_then(|m| names.binary_search(&m).ok()).map_or(-1, |i| i as i64) };
    let cards = par_array(&sel.cards, |&i| {
        let i = i as usize;
        let (c, n) = (&d.cards[i], &d.norm[i]);
        Some((
            &c.id,
            &c.name,
            n.ids.inn().unwrap_or_default(),
            n.phones.iter().map(|p| p.display()).collect::<Vec<_>>().join(", "),
            n.emails.iter().map(|e| e.address.as_str()).collect::<Vec<_>>().join(", "),
            mgr(n.manager.as_deref()),
            n.last_activity.map(|d| d.to_string()).unwrap_or_default(),
            sel.entity[g.entity_of_card[i] as usize],
        ))
    });
    let entities = par_array(&sel.entities, |&i| {
        let (i, e) = (i as usize, &d.entities[i as usize]);
        Some((&ids.entity[i], &*e.name, sel.firm[g.firm_of_entity[i] as usize], e.inns().join(", ")))
    });
    let firms = par_array(&sel.firms, |&i| {
        let (i, f) = (i as usize, &d.firms[i as usize]);
        let o = own.get(i);
        // A firm is named after one of its legal entities: its number stands for the name.
        let name = match f.entities.iter().find(|&&e| d.entities[e as usize].name == f.name) {
            Some(&e) => json!(sel.entity[e as usize]),
            None => json!(&*f.name),
        };
        Some((
            &ids.firm[i],
            name,
            f.entities.len(),
            f.cards,
            mgr(o.and_then(|o| o.owner.as_deref())),
            o.map(|o| o.status.as_str()).unwrap_or(""),
            o.is_some_and(|o| o.conflict) as u8,
        ))
    });
    let kept = |c: u32| sel.card[c as usize] != OUT;
    let links = par_array(&g.links, |l| {
        if !(kept(l.a) && kept(l.b)) {
            return None;
        }
        let score = if l.score > 0.0 { format!("{:.2}", l.score) } else { String::new() };
        // The most common evidence, "тот же ИНН <the cards' ИНН>", goes as 0 and is written by the page.
        let plain_inn = match l.evidence.0.as_slice() {
            [EvidencePart::SameInn { inn, kpp: None }] => d.norm[l.a as usize].ids.inn() == Some(inn),
            _ => false,
        };
        let ev = if plain_inn { json!(0) } else { json!(l.evidence.ru()) };
        Some(((l.level == Level::Firm) as u8, sel.card[l.a as usize], sel.card[l.b as usize], score, ev))
    });
    let review_rows: Vec<Value> = rows
        .iter()
        .take(MAX_REVIEW_ROWS)
        .filter(|r| kept(r.a) && kept(r.b))
        .map(|r| {
            json!([
                r.kind.name(),
                r.level,
                sel.card[r.a as usize],
                sel.card[r.b as usize],
                format!("{:.2}", r.score),
                format!("{:.2}", r.threshold),
                r.together,
                r.evidence.ru()
            ])
        })
        .collect();
    let conflicts = conflicts(own, &conflicted, &sel.firm);
    // A manager's figures as compared over time: firms held, active in 30 days, idle over 90, stale.
    let fig = |f: &Figures| json!([f.firms_held, f.active_30d, f.idle_90d, f.stale]);
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
                m.cards,
                fig(&m.figures()),
                m.vs_prev.as_ref().map(fig),
                m.vs_30d.as_ref().map(fig),
                m.trend.iter().map(|(at, f)| json!([at, fig(f)])).collect::<Vec<_>>()
            ])
        })
        .collect();
    // The small parts as one object; the large arrays spliced in as the text they already are.
    let small = json!({
        "summary": summary,
        "manager_names": names,
        "review": review_rows,
        "review_total": rows.len(),
        "conflicts_total": conflicts_total,
        "firms_total": d.firms.len(),
        "cards_total": d.cards.len(),
        "margin": MARGIN,
        "conflicts": conflicts,
        "managers": managers,
        "policy": policy_ru(cfg.ownership.conflict_policy),
    })
    .to_string();
    let mut small = small;
    small.pop(); // its closing brace: the large arrays follow
    let mut parts = vec![small];
    for (key, text) in [("cards", cards), ("entities", entities), ("firms", firms), ("links", links)] {
        parts.push(format!(",\"{key}\":"));
        parts.extend(text);
    }
    parts.push("}".to_string());
    parts
}

/// Conflicted firms: `[firm index in the page, owner, holdings]`, for the given firms that the page carries;
/// the page finds the evidence among the firm's links.
fn conflicts(own: &[FirmOwnership], firms: &[u32], in_page: &[u32]) -> Vec<Value> {
    firms
        .iter()
        .filter(|&&f| in_page[f as usize] != OUT)
        .map(|&f| {
            let o = &own[f as usize];
            let holdings: Vec<String> = o
                .holdings
                .iter()
                .map(|h| {
                    let last = h.last_activity.map(|d| format!(", активность {d}")).unwrap_or_default();
                    format!("{} — карточек {}{last}", h.manager, h.cards)
                })
                .collect();
            json!([in_page[f as usize], o.owner.clone().unwrap_or_default(), holdings.join("; ")])
        })
        .collect()
}

/// The whole page.
pub fn render(data: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    // Writing into a vector cannot fail.
    let _ = render_into(&mut out, &[data]);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes the page whose data is the JSON text `data` cut in parts, escaped as it goes.
fn render_into(w: &mut dyn Write, data: &[&str]) -> std::io::Result<()> {
    // The assets are ours and contain each marker once; the data goes in last so nothing in it is replaced.
    let page = TEMPLATE.replacen("/*CSS*/", CSS, 1).replacen("/*JS*/", JS, 1);
    let (head, tail) = page.split_once("/*DATA*/").unwrap_or((&page, ""));
    w.write_all(head.as_bytes())?;
    for part in data {
        write_escaped(w, part)?;
    }
    w.write_all(tail.as_bytes())
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
    let parts = data(d, ids, own, managers, cfg, summary, &rows);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    write_with(&dir.join("report.html"), |w| render_into(w, &parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_array_is_the_json_array_of_the_rows_kept_in_order() {
        for n in [0usize, 1, 5, 4095, 4096, 4097, 10_000] {
            let items: Vec<usize> = (0..n).collect();
            // Rows left out at the start (a first chunk with none), here and there, and all of them.
            for keep in [|i: usize| i % 3 == 1, |i: usize| i >= 5000, |_: usize| false] {
                let rows: Vec<(usize, String)> =
                    items.iter().filter(|&&i| keep(i)).map(|&i| (i, format!("р{i}"))).collect();
                let got = par_array(&items, |&i| keep(i).then(|| (i, format!("р{i}")))).concat();
                assert_eq!(got, serde_json::to_string(&rows).unwrap(), "n = {n}");
            }
        }
    }

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
