//! `firmdedup explain`: why two cards are or are not together, read with the same scorer and rules the grouping
//! was decided with.

use crate::matching::evidence::{LinkRecord, key_text, link_record};
use crate::matching::firm::{Grouping, merge_nodes};

use crate::config::Config;
use crate::matching::block::{self, Node, Prepared};
use crate::matching::keys::kind_of;
use crate::matching::score::{self, Level, Scored};
use crate::normalize::NormCard;

/// Why two cards are or are not together: their groups, and the two levels' scores and evidence between the
/// groups they are in, with the thresholds. For administrators reviewing a decision (`firmdedup explain`).
pub fn explain_pair(g: &Grouping, norm: &[NormCard], cfg: &Config, a: u32, b: u32) -> String {
    use std::fmt::Write;
    let p = &g.prepared;
    let mut s = String::new();
    let (na, nb) = (p.node_of_card[a as usize], p.node_of_card[b as usize]);
    let (ea, eb) = (g.entity_of_card[a as usize], g.entity_of_card[b as usize]);
    let (fa, fb) = (g.firm_of_entity[ea as usize], g.firm_of_entity[eb as usize]);
    let _ = writeln!(s, "same legal entity: {}; same firm: {}", ea == eb, fa == fb);
    let entity_nodes = |e: u32| -> Vec<&Node> {
        (0..p.nodes.len())
            .filter(|&n| g.entity_of_card[p.nodes[n].cards[0] as usize] == e)
            .map(|n| &p.nodes[n])
            .collect()
    };
    // `unique`: the pair's whole distinctive name is unique in the base, which joins it without a contact.
    let show = |s: &mut String, title: &str, level: Level, unique: bool, rec: &LinkRecord, sc: &Scored| {
        let pass = match level {
            Level::Entity => score::joins_entities(cfg, sc, unique),
            Level::Firm => score::is_firm_link(cfg, sc),
        };
        let _ = writeln!(
            s,
            "{title}: score {:.2} (threshold {:.2}{}), {} signal(s), name similarity {:.2} -> {}",
            sc.score,
            match level {
                Level::Entity => cfg.thresholds.entity,
                Level::Firm => cfg.thresholds.firm,
            },
            if level == Level::Entity {
                format!(
                    ", names at least {:.2}, a shared contact {}",
                    cfg.thresholds.entity_name_min,
                    if sc.has_contact { "present" } else { "missing" }
                )
            } else {
                String::new()
            },
            sc.signals,
            sc.name_sim,
            if pass { "a link" } else { "no link" }
        );
        if level == Level::Entity && pass && !score::is_entity_link(cfg, sc) {
            let _ =
                writeln!(s, "  joined without a contact: the same distinctive name, carried by no other legal entity");
        }
        let _ =
            writeln!(s, "  evidence: {}", if rec.evidence.is_empty() { "none".to_string() } else { rec.evidence.en() });
    };
    if na == nb {
        let _ = writeln!(s, "the two cards share a valid ИНН or ОГРН: one legal entity by rule");
    } else {
        let (x, y) = (&p.nodes[na as usize], &p.nodes[nb as usize]);
        if x.inn.is_some() && y.inn.is_some() && x.inn != y.inn {
            let _ = writeln!(
                s,
                "legal entity level: different valid ИНН ({} / {}): never one legal entity",
                x.inn.as_deref().unwrap_or(""),
                y.inn.as_deref().unwrap_or("")
            );
        } else {
            // Scored with the counts the level was decided with, not the firm rounds' recounted ones.
            let pe = g.entity_stage.as_deref().unwrap_or(p);
            let (x, y) = (&pe.nodes[na as usize], &pe.nodes[nb as usize]);
            let mut sc = score::score(pe, cfg, x, y, Level::Entity);
            let mail = pe.mail_pair(na, nb);
            if let Some(m) = mail {
                score::with_mail_person(cfg, &mut sc, m);
            }
            let rec = link_record(Level::Entity, pe, norm, cfg, x, y, &sc);
            let unique = pe.is_unique_name_pair(na, nb);
            show(&mut s, "legal entity level (the two cards' groups)", Level::Entity, unique, &rec, &sc);
            if pe.is_grouped_name_pair(na, nb) && (block::is_bare(x) || block::is_bare(y)) {
                let _ = writeln!(
                    s,
                    "  joined once legal entities were grouped: the card carries nothing but the name, at most one \
                     legal entity with a contact or an ИНН writes it, and no other carries every word of it"
                );
            } else if pe.is_grouped_name_pair(na, nb) {
                let _ = writeln!(
                    s,
                    "  joined once legal entities were grouped: only two legal entities write the name, at most one \
                     with an ИНН, and no other carries every word of it; {}",
                    if pe.differing_contacts.joins {
                        format!(
                            "neither carries a kind of contact the other has, or {}",
                            pe.differing_contacts.describe()
                        )
                    } else {
                        "neither carries a kind of contact the other has".to_string()
                    }
                );
            } else if unique {
                let _ = writeln!(s, "  {}", pe.name_alone.describe());
            }
            if mail.is_some() {
                let _ = writeln!(s, "  {}", pe.mail_person.describe());
            }
            // Close names: whether this base trusts them with what the pair shares, and what taught it.
            if sc.name_sim < cfg.thresholds.entity_name_min && sc.name_sim >= pe.close_names.min_similarity {
                let how = if sc.close_name { "joined as close names" } else { "close names, not joined" };
                let _ = writeln!(s, "  {how}: {}", pe.close_names.describe());
            }
            if score::joins_entities(cfg, &sc, unique) && ea != eb {
                let inns = |e: u32| -> Vec<String> {
                    let mut v: Vec<String> =
                        entity_nodes(e).iter().filter_map(|n| n.inn.as_deref().map(str::to_string)).collect();
                    v.sort();
                    v.dedup();
                    v
                };
                let (ia, ib) = (inns(ea), inns(eb));
                if !ia.is_empty() && !ib.is_empty() && ia != ib {
                    let _ = writeln!(
                        s,
                        "  not applied: it would put two different valid ИНН ({} / {}) in one legal entity",
                        ia.join(", "),
                        ib.join(", ")
                    );
                } else {
                    let _ = writeln!(s, "  not applied: held back by the chaining guard or an override");
                }
            }
        }
    }
    if ea != eb {
        let (xa, xb) = (entity_nodes(ea), entity_nodes(eb));
        let (ma, mb) = (merge_nodes(&xa), merge_nodes(&xb));
        let sc = score::score(p, cfg, &ma, &mb, Level::Firm);
        let rec = link_record(Level::Firm, p, norm, cfg, &ma, &mb, &sc);
        show(&mut s, "firm level (the two legal entities)", Level::Firm, false, &rec, &sc);
        let generic = shared_generic(p, norm, cfg, &ma, &mb);
        if !generic.is_empty() {
            let _ = writeln!(s, "  shared but generic, counting for nothing: {}", generic.join("; "));
        }
        let in_block = p.pairs.iter().any(|&(u, v)| {
            let (eu, ev) = (
                g.entity_of_card[p.nodes[u as usize].cards[0] as usize],
                g.entity_of_card[p.nodes[v as usize].cards[0] as usize],
            );
            (eu == ea && ev == eb) || (eu == eb && ev == ea)
        });
        if !in_block {
            let _ = writeln!(s, "  (the two legal entities share no blocking key: they were never compared)");
        }
    }
    s
}

/// The contact values two groups share that are generic (on more legal entities than `generic.max_entities`), in
/// words: what a reader would otherwise take for evidence the matcher ignored.
fn shared_generic(p: &Prepared, norm: &[NormCard], cfg: &Config, a: &Node, b: &Node) -> Vec<String> {
    score::shared_keys(a, b)
        .filter(|&(h, df)| kind_of(h).is_contact() && df > cfg.generic.max_entities)
        .filter_map(|(h, df)| {
            let (_, text) = key_text(p, norm, a, h)?;
            let spread = p
                .spread_numbers
                .iter()
                .find(|g| g.contains(&h))
                .map_or(String::new(), |g| format!(", counting its seven digits under {} area codes", g.len()));
            Some(format!("{} {text} (on {df} legal entities{spread})", kind_of(h).name()))
        })
        .collect()
}
