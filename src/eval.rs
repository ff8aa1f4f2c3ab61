//! Quality against labelled truth: pairwise and B-cubed precision, recall and F1 at the legal-entity and firm
//! levels, computed from contingency counts (never by listing pairs, so it works at a million cards); the
//! ceiling at the firm level; and the worst false merges and misses with their evidence.
//!
//! The ceilings: some sister companies share nothing visible on their cards, and some cards of one legal entity
//! carry nothing but a name. The firm ceiling splits each true firm into the groups of its legal entities that
//! are connected by a value visible in the cards that can identify a client (a phone, an email, a domain or
//! website, a decision-maker, a brand; a shared name root alone cannot, since unrelated firms share roots); the
//! entity ceiling splits each true legal entity into the groups of its cards connected by an identifier or a
//! contact (ИНН, ОГРН, phone, email, domain, address). Each is scored against the truth: the best any matcher
//! could do with what the cards hold.

use std::collections::BTreeMap;
use std::path::Path;

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::csvio::output_reader;
use crate::matching::cluster::UnionFind;

/// Precision, recall, F1.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

impl Prf {
    fn new(p: f64, r: f64) -> Prf {
        let f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
        Prf { precision: p, recall: r, f1 }
    }
}

/// Scores of one level.
#[derive(Debug, Clone, Serialize)]
pub struct LevelScores {
    /// `entity` or `firm`.
    pub level: &'static str,
    /// Clusters in the truth.
    pub truth_clusters: usize,
    /// Clusters predicted.
    pub predicted_clusters: usize,
    /// Pairwise scores.
    pub pairwise: Prf,
    /// B-cubed scores.
    pub bcubed: Prf,
    /// True pairs found / predicted pairs / true pairs.
    pub pairs: (u64, u64, u64),
    /// The ceiling (firm level only).
    pub ceiling: Option<Prf>,
}

/// A false merge or a miss, for people to look at.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// `entity` or `firm`.
    pub level: &'static str,
    /// The predicted (merge) or true (miss) group.
    pub group: String,
    /// Wrong or missed pairs.
    pub pairs: u64,
    /// Cards: id, name, true group, predicted group.
    pub cards: Vec<(String, String, String, String)>,
    /// Links (from links.csv) between cards of different true groups, for merges.
    pub evidence: Vec<String>,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    /// Cards in both truth and prediction.
    pub cards: usize,
    /// Cards of the truth missing from the prediction (rejected, or another base).
    pub missing_from_prediction: usize,
    /// Per level.
    pub levels: Vec<LevelScores>,
    /// Worst false merges.
    pub worst_merges: Vec<Case>,
    /// Worst misses.
    pub worst_misses: Vec<Case>,
}

/// An evaluation that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

fn c2(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

struct Interner {
    ids: FxHashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn new() -> Interner {
        Interner { ids: FxHashMap::default(), names: Vec::new() }
    }
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.ids.insert(s.to_string(), i);
        self.names.push(s.to_string());
        i
    }
}

/// Scores a clustering: `truth[i]` and `pred[i]` are the clusters of card `i`.
pub fn score(truth: &[u32], pred: &[u32]) -> (Prf, Prf, (u64, u64, u64)) {
    let n = truth.len();
    let mut joint: Vec<(u32, u32)> = truth.iter().copied().zip(pred.iter().copied()).collect();
    joint.sort_unstable();
    let mut a: FxHashMap<u32, u64> = FxHashMap::default();
    let mut b: FxHashMap<u32, u64> = FxHashMap::default();
    for &(t, p) in &joint {
        *a.entry(t).or_default() += 1;
        *b.entry(p).or_default() += 1;
    }
    let (mut tp, mut bp, mut br) = (0u64, 0.0f64, 0.0f64);
    for run in joint.chunk_by(|x, y| x == y) {
        let nij = run.len() as u64;
        tp += c2(nij);
        let (ai, bj) = (a[&run[0].0] as f64, b[&run[0].1] as f64);
        bp += (nij * nij) as f64 / bj;
        br += (nij * nij) as f64 / ai;
    }
    let pred_pairs: u64 = b.values().map(|&x| c2(x)).sum();
    let true_pairs: u64 = a.values().map(|&x| c2(x)).sum();
    let p = if pred_pairs == 0 { 1.0 } else { tp as f64 / pred_pairs as f64 };
    let r = if true_pairs == 0 { 1.0 } else { tp as f64 / true_pairs as f64 };
    let nn = n.max(1) as f64;
    (Prf::new(p, r), Prf::new(bp / nn, br / nn), (tp, pred_pairs, true_pairs))
}

fn read_err(path: &Path, e: impl std::fmt::Display) -> EvalError {
    EvalError::Read { path: path.display().to_string(), message: e.to_string() }
}

/// Evaluates the dedup output in `pred_dir` against `truth` (id, entity_id, firm_id).
pub fn evaluate(truth_path: &Path, pred_dir: &Path, worst: usize) -> Result<Evaluation, EvalError> {
    // Truth.
    let mut ti = Interner::new();
    let mut truth: FxHashMap<String, (u32, u32)> = FxHashMap::default();
    let mut rdr = output_reader(truth_path).map_err(|e| read_err(truth_path, e))?;
    let h = rdr.headers().map_err(|e| read_err(truth_path, e))?.clone();
    let col = |name: &str, path: &Path, h: &csv::StringRecord| {
        h.iter().position(|x| x == name).ok_or_else(|| read_err(path, format!("no column {name:?}")))
    };
    let (tid, tent, tfirm) =
        (col("id", truth_path, &h)?, col("entity_id", truth_path, &h)?, col("firm_id", truth_path, &h)?);
    for rec in rdr.records() {
        let rec = rec.map_err(|e| read_err(truth_path, e))?;
        let e = ti.id(&format!("e:{}", &rec[tent]));
        let f = ti.id(&format!("f:{}", &rec[tfirm]));
        truth.insert(rec[tid].to_string(), (e, f));
    }
    // Prediction.
    let cards_path = pred_dir.join("cards.csv");
    let mut rdr = output_reader(&cards_path).map_err(|e| read_err(&cards_path, e))?;
    let h = rdr.headers().map_err(|e| read_err(&cards_path, e))?.clone();
    let idx: BTreeMap<&str, usize> = [
        "id",
        "entity_id",
        "firm_id",
        "name",
        "name_norm",
        "phones",
        "emails",
        "domains",
        "contacts",
        "brand",
        "inn",
        "ogrn",
        "address",
    ]
    .iter()
    .map(|c| col(c, &cards_path, &h).map(|i| (*c, i)))
    .collect::<Result<_, _>>()?;
    let mut pi = Interner::new();
    let mut ids: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let (mut te, mut tf, mut pe, mut pf) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut signals: Vec<Vec<String>> = Vec::new();
    let mut entity_signals: Vec<Vec<String>> = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| read_err(&cards_path, e))?;
        let id = &rec[idx["id"]];
        let Some(&(e, f)) = truth.get(id) else { continue };
        ids.push(id.to_string());
        names.push(rec[idx["name"]].to_string());
        te.push(e);
        tf.push(f);
        pe.push(pi.id(&format!("e:{}", &rec[idx["entity_id"]])));
        pf.push(pi.id(&format!("f:{}", &rec[idx["firm_id"]])));
        let mut s = Vec::new();
        for c in ["phones", "emails", "domains", "contacts"] {
            for v in rec[idx[c]].split("; ").filter(|v| !v.is_empty()) {
                let v = v.split(" доб.").next().unwrap_or(v);
                s.push(format!("{c}:{v}"));
            }
        }
        let brand = rec[idx["brand"]].to_lowercase();
        if !brand.is_empty() {
            s.push(format!("brand:{brand}"));
        }
        // What can tie cards of one legal entity: identifiers and contacts (a name alone cannot).
        let mut es: Vec<String> = s.iter().filter(|v| !v.starts_with("contacts:")).cloned().collect();
        for c in ["inn", "ogrn", "address"] {
            for v in rec[idx[c]].split(" | ").filter(|v| !v.is_empty()) {
                es.push(format!("{c}:{v}"));
            }
        }
        entity_signals.push(es);
        signals.push(s);
    }
    let missing = truth.len() - ids.len();

    let (e_pair, e_b3, e_pairs) = score(&te, &pe);
    let (f_pair, f_b3, f_pairs) = score(&tf, &pf);
    let count = |v: &[u32]| {
        let mut x = v.to_vec();
        x.sort_unstable();
        x.dedup();
        x.len()
    };

    // Ceiling: true entities of one true firm joined by a visible shared value.
    let n_ent = ti.names.len();
    let mut uf = UnionFind::new(n_ent);
    let mut by_value: FxHashMap<(u32, &str), u32> = FxHashMap::default();
    for (i, s) in signals.iter().enumerate() {
        for v in s {
            match by_value.get(&(tf[i], v.as_str())) {
                Some(&e) => {
                    uf.union(e, te[i]);
                }
                None => {
                    by_value.insert((tf[i], v.as_str()), te[i]);
                }
            }
        }
    }
    let ceiling_firm: Vec<u32> = te.iter().map(|&e| uf.find(e)).collect();
    let (ceil, _, _) = score(&tf, &ceiling_firm);
    // Entity ceiling: cards of one true entity joined by a shared identifier or contact.
    let mut uf = UnionFind::new(ids.len());
    let mut by_value: FxHashMap<(u32, &str), u32> = FxHashMap::default();
    for (i, s) in entity_signals.iter().enumerate() {
        for v in s {
            match by_value.get(&(te[i], v.as_str())) {
                Some(&c) => {
                    uf.union(c, i as u32);
                }
                None => {
                    by_value.insert((te[i], v.as_str()), i as u32);
                }
            }
        }
    }
    let ceiling_entity: Vec<u32> = (0..ids.len() as u32).map(|i| uf.find(i)).collect();
    let (ceil_e, _, _) = score(&te, &ceiling_entity);

    let levels = vec![
        LevelScores {
            level: "entity",
            truth_clusters: count(&te),
            predicted_clusters: count(&pe),
            pairwise: e_pair,
            bcubed: e_b3,
            pairs: e_pairs,
            ceiling: Some(ceil_e),
        },
        LevelScores {
            level: "firm",
            truth_clusters: count(&tf),
            predicted_clusters: count(&pf),
            pairwise: f_pair,
            bcubed: f_b3,
            pairs: f_pairs,
            ceiling: Some(ceil),
        },
    ];

    // Worst cases.
    let links = read_links(&pred_dir.join("links.csv"));
    let id_index: FxHashMap<&str, usize> = ids.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let mut worst_merges = Vec::new();
    let mut worst_misses = Vec::new();
    for (level, t, p) in [("entity", &te, &pe), ("firm", &tf, &pf)] {
        let (merges, misses) = worst_cases(level, t, p, &ids, &names, &ti, &pi, &links, &id_index, worst);
        worst_merges.extend(merges);
        worst_misses.extend(misses);
    }
    Ok(Evaluation { cards: ids.len(), missing_from_prediction: missing, levels, worst_merges, worst_misses })
}

fn read_links(path: &Path) -> Vec<(String, String, String, String)> {
    let Ok(mut rdr) = output_reader(path) else { return Vec::new() };
    rdr.records()
        .filter_map(Result::ok)
        .filter(|r| r.len() >= 6)
        .map(|r| (r[0].to_string(), r[1].to_string(), r[2].to_string(), format!("{} ({})", &r[5], &r[3])))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn worst_cases(
    level: &'static str,
    t: &[u32],
    p: &[u32],
    ids: &[String],
    names: &[String],
    ti: &Interner,
    pi: &Interner,
    links: &[(String, String, String, String)],
    id_index: &FxHashMap<&str, usize>,
    worst: usize,
) -> (Vec<Case>, Vec<Case>) {
    let mut members_p: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    let mut members_t: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for i in 0..t.len() {
        members_p.entry(p[i]).or_default().push(i);
        members_t.entry(t[i]).or_default().push(i);
    }
    let inner = |cards: &[usize], other: &[u32]| -> u64 {
        let mut c: FxHashMap<u32, u64> = FxHashMap::default();
        for &i in cards {
            *c.entry(other[i]).or_default() += 1;
        }
        c.values().map(|&x| c2(x)).sum()
    };
    let card_rows = |cards: &[usize]| -> Vec<(String, String, String, String)> {
        cards
            .iter()
            .take(12)
            .map(|&i| {
                (
                    ids[i].clone(),
                    names[i].clone(),
                    ti.names[t[i] as usize][2..].to_string(),
                    pi.names[p[i] as usize][2..].to_string(),
                )
            })
            .collect()
    };
    let mut merges: Vec<(u64, u32)> = members_p
        .iter()
        .map(|(&g, cards)| (c2(cards.len() as u64) - inner(cards, t), g))
        .filter(|(w, _)| *w > 0)
        .collect();
    merges.sort_by(|a, b| b.0.cmp(&a.0).then(pi.names[a.1 as usize].cmp(&pi.names[b.1 as usize])));
    let merge_cases = merges
        .into_iter()
        .take(worst)
        .map(|(w, g)| {
            let cards = &members_p[&g];
            let evidence = links
                .iter()
                .filter(|(lv, a, b, _)| {
                    lv == level
                        && match (id_index.get(a.as_str()), id_index.get(b.as_str())) {
                            (Some(&x), Some(&y)) => p[x] == g && t[x] != t[y],
                            _ => false,
                        }
                })
                .take(10)
                .map(|(_, a, b, ev)| format!("{a} ~ {b}: {ev}"))
                .collect();
            Case { level, group: pi.names[g as usize][2..].to_string(), pairs: w, cards: card_rows(cards), evidence }
        })
        .collect();
    let mut misses: Vec<(u64, u32)> = members_t
        .iter()
        .map(|(&g, cards)| (c2(cards.len() as u64) - inner(cards, p), g))
        .filter(|(w, _)| *w > 0)
        .collect();
    misses.sort_by(|a, b| b.0.cmp(&a.0).then(ti.names[a.1 as usize].cmp(&ti.names[b.1 as usize])));
    let miss_cases = misses
        .into_iter()
        .take(worst)
        .map(|(w, g)| Case {
            level,
            group: ti.names[g as usize][2..].to_string(),
            pairs: w,
            cards: card_rows(&members_t[&g]),
            evidence: Vec::new(),
        })
        .collect();
    (merge_cases, miss_cases)
}

/// The evaluation as a table for people.
pub fn render(e: &Evaluation) -> String {
    let mut s = String::new();
    use std::fmt::Write;
    let _ = writeln!(s, "cards evaluated: {} (missing from the prediction: {})", e.cards, e.missing_from_prediction);
    let _ = writeln!(
        s,
        "{:<7} {:>9} {:>9} | {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7} | {:>7}",
        "level", "truth", "pred", "pair P", "pair R", "pair F1", "b3 P", "b3 R", "b3 F1", "ceiling"
    );
    for l in &e.levels {
        let _ = writeln!(
            s,
            "{:<7} {:>9} {:>9} | {:>7.4} {:>7.4} {:>7.4} | {:>7.4} {:>7.4} {:>7.4} | {:>7}",
            l.level,
            l.truth_clusters,
            l.predicted_clusters,
            l.pairwise.precision,
            l.pairwise.recall,
            l.pairwise.f1,
            l.bcubed.precision,
            l.bcubed.recall,
            l.bcubed.f1,
            l.ceiling.map(|c| format!("{:.4}", c.f1)).unwrap_or_else(|| "-".into())
        );
    }
    for (title, cases) in [("worst false merges", &e.worst_merges), ("worst misses", &e.worst_misses)] {
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{title}:");
        for c in cases {
            let _ = writeln!(s, "  {} {} ({} pairs):", c.level, c.group, c.pairs);
            for (id, name, tg, pg) in &c.cards {
                let _ = writeln!(s, "    {id:>10}  truth {tg:<10} pred {pg:<10} {name}");
            }
            for ev in &c.evidence {
                let _ = writeln!(s, "    link {ev}");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_and_bcubed_from_counts() {
        // Truth {0,1,2} {3}; prediction {0,1} {2,3}.
        let (pw, b3, pairs) = score(&[0, 0, 0, 1], &[5, 5, 6, 6]);
        assert_eq!(pairs, (1, 2, 3));
        assert!((pw.precision - 0.5).abs() < 1e-9);
        assert!((pw.recall - 1.0 / 3.0).abs() < 1e-9);
        // B-cubed precision: cards 0,1: 2/2; card 2: 1/2; card 3: 1/2 → (1+1+0.5+0.5)/4.
        assert!((b3.precision - 0.75).abs() < 1e-9);
        // Recall: cards 0,1: 2/3; card 2: 1/3; card 3: 1/1 → (2/3+2/3+1/3+1)/4.
        assert!((b3.recall - (2.0 / 3.0 + 2.0 / 3.0 + 1.0 / 3.0 + 1.0) / 4.0).abs() < 1e-9);
        let (perfect, _, _) = score(&[1, 1, 2], &[7, 7, 9]);
        assert_eq!(perfect.f1, 1.0);
    }
}
