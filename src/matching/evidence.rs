//! The evidence of a link: what two groups share, typed ([`EvidencePart`]), said in English in the CSV files and
//! in Russian on the review page, and the link record written to `links.csv`.

use serde::Serialize;

use crate::config::Config;
use crate::matching::block::{self, Node, Prepared};
use crate::matching::keys::{KeyKind, for_each_key_where, key_hash, kind_of};
use crate::matching::score::{Level, Piece, Scored};
use crate::normalize::NormCard;

/// The text of a piece of evidence: most values (an ИНН, a phone, a short name) fit in the value itself.
pub type Text = compact_str::CompactString;

/// A link that was made, for `links.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkRecord {
    /// The level the link was made at.
    pub level: Level,
    /// Card index on one side.
    pub a: u32,
    /// Card index on the other side.
    pub b: u32,
    /// Score (hard links: 0).
    pub score: f32,
    /// The evidence, typed: written in English in the CSV files ([`Evidence::en`]) and in Russian on the
    /// administrator's page ([`Evidence::ru`]).
    pub evidence: Evidence,
    /// The signal groups behind it (most links have one or two: kept inline).
    pub signals: smallvec::SmallVec<[&'static str; 2]>,
}

/// One piece of evidence between two cards or groups, with the values it rests on. Both texts are rendered
/// from it: [`EvidencePart::en`] for links.csv and review.csv (stable), [`EvidencePart::ru`] for people.
#[derive(Debug, Clone, PartialEq)]
pub enum EvidencePart {
    /// The same ИНН, with the two КПП when they differ (branches).
    SameInn {
        /// The ИНН.
        inn: Text,
        /// The two КПП, when they differ.
        kpp: Option<Box<(Text, Text)>>,
    },
    /// The same ОГРН.
    SameOgrn(Text),
    /// In one ИНН/ОГРН group through other cards.
    InnGroup(Text),
    /// A shared contact or address value.
    Shared {
        /// What kind of value.
        kind: KeyKind,
        /// The value as shown.
        value: Text,
        /// For a value carried by many legal entities: how many, and the weight it got.
        generic: Option<(u32, f32)>,
    },
    /// A shared decision-maker (as written on each side, once when alike).
    Person(Text),
    /// One card's e-mail spells another card's contact's surname.
    MailPerson {
        /// The e-mail address.
        email: Text,
        /// The contact, as shown (`Плуанова Г.В.`).
        person: Text,
    },
    /// Similar names, with their similarity.
    Name {
        /// One side's name.
        a: Text,
        /// The other's.
        b: Text,
        /// Similarity 0..1.
        sim: f32,
    },
    /// A rare word shared by the names.
    Root {
        /// The word.
        word: Text,
        /// Its rarity 0..1.
        rarity: f32,
    },
    /// One side's brand is the other's name.
    BrandName {
        /// The brand.
        brand: Text,
        /// The name.
        name: Text,
    },
    /// The administrator linked them (`override`).
    Override,
    /// Cards of one ИНН whose names are unlike (the review's ИНН outliers); boxed, as rare and the largest.
    NameUnlike(Box<NameUnlike>),
}

/// Cards of one ИНН whose names are unlike (the review's ИНН outliers).
#[derive(Debug, Clone, PartialEq)]
pub struct NameUnlike {
    /// The ИНН.
    pub inn: Text,
    /// The outlier's name.
    pub a: Text,
    /// The legal entity's usual name.
    pub b: Text,
    /// Their likeness 0..1.
    pub sim: f32,
}

impl EvidencePart {
    /// In English, as links.csv and review.csv have always written it.
    pub fn en(&self) -> String {
        match self {
            EvidencePart::SameInn { inn, kpp: None } => format!("same INN {inn}"),
            EvidencePart::SameInn { inn, kpp: Some(k) } => {
                let (k1, k2) = &**k;
                format!("same INN {inn} (another КПП: {k1} / {k2})")
            }
            EvidencePart::SameOgrn(x) => format!("same OGRN {x}"),
            EvidencePart::InnGroup(x) => format!("same INN/OGRN group ({x})"),
            EvidencePart::Shared { kind, value, generic } => {
                let what = match kind {
                    KeyKind::Phone => "shared phone",
                    KeyKind::LocalPhone => "shared local number",
                    KeyKind::TollFree => "shared 8-800 number",
                    KeyKind::Email => "shared email",
                    KeyKind::Domain => "shared domain",
                    KeyKind::Brand => "shared brand",
                    KeyKind::AddrOffice => "same office",
                    KeyKind::AddrHouse => "same building",
                    KeyKind::Inn => "INN of one typed on a card of the other:",
                    _ => "shared",
                };
                let on = generic.map(|(df, w)| format!(" (on {df} legal entities, weight {w:.2})")).unwrap_or_default();
                format!("{what} {value}{on}")
            }
            EvidencePart::Person(p) => format!("shared decision-maker {p}"),
            EvidencePart::MailPerson { email, person } => format!("e-mail {email} of decision-maker {person}"),
            EvidencePart::Name { a, b, sim } => format!("name \"{a}\" ~ \"{b}\" {sim:.2}"),
            EvidencePart::Root { word, rarity } => format!("shared name root \"{word}\" (rarity {rarity:.2})"),
            EvidencePart::BrandName { brand, name } => format!("brand «{brand}» ~ name {name}"),
            EvidencePart::Override => "administrator's link override".into(),
            EvidencePart::NameUnlike(u) => {
                let NameUnlike { inn, a, b, sim } = &**u;
                format!("same INN {inn}, but name \"{a}\" is unlike \"{b}\" ({sim:.2})")
            }
        }
    }

    /// In Russian, for the administrator's page and review.csv's `evidence_ru`.
    pub fn ru(&self) -> String {
        match self {
            EvidencePart::SameInn { inn, kpp: None } => format!("тот же ИНН {inn}"),
            EvidencePart::SameInn { inn, kpp: Some(k) } => {
                let (k1, k2) = &**k;
                format!("тот же ИНН {inn} (другой КПП: {k1} / {k2})")
            }
            EvidencePart::SameOgrn(x) => format!("тот же ОГРН {x}"),
            EvidencePart::InnGroup(x) => format!("та же группа ИНН/ОГРН ({x})"),
            EvidencePart::Shared { kind, value, generic } => {
                let what = match kind {
                    KeyKind::Phone => "общий телефон",
                    KeyKind::LocalPhone => "общий местный номер",
                    KeyKind::TollFree => "общий номер 8-800",
                    KeyKind::Email => "общий e-mail",
                    KeyKind::Domain => "общий домен",
                    KeyKind::Brand => "общий бренд",
                    KeyKind::AddrOffice => "тот же офис",
                    KeyKind::AddrHouse => "то же здание",
                    KeyKind::Inn => "ИНН одного юрлица на карточке другого:",
                    _ => "общее значение",
                };
                let on = generic.map(|(df, w)| format!(" (у {df} юрлиц, вес {w:.2})")).unwrap_or_default();
                format!("{what} {value}{on}")
            }
            EvidencePart::Person(p) => format!("общее ЛПР {p}"),
            EvidencePart::MailPerson { email, person } => format!("e-mail {email} — ЛПР {person}"),
            EvidencePart::Name { a, b, sim } => format!("название «{a}» ~ «{b}» (сходство {sim:.2})"),
            EvidencePart::Root { word, rarity } => format!("общий корень названия «{word}» (редкость {rarity:.2})"),
            EvidencePart::BrandName { brand, name } => format!("бренд «{brand}» ~ название {name}"),
            EvidencePart::Override => "решение администратора: связать".into(),
            EvidencePart::NameUnlike(u) => {
                let NameUnlike { inn, a, b, sim } = &**u;
                format!("тот же ИНН {inn}, но название «{a}» не похоже на «{b}» (сходство {sim:.2})")
            }
        }
    }
}

/// The evidence of a link: its pieces, strongest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evidence(pub smallvec::SmallVec<[EvidencePart; 1]>);

impl Evidence {
    /// One piece.
    pub fn one(part: EvidencePart) -> Evidence {
        Evidence(smallvec::smallvec![part])
    }

    /// No piece at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// In English, pieces joined by "; " (links.csv, review.csv, `explain`).
    pub fn en(&self) -> String {
        self.0.iter().map(EvidencePart::en).collect::<Vec<_>>().join("; ")
    }

    /// In Russian, pieces joined by "; " (report.html, review.csv's `evidence_ru`).
    pub fn ru(&self) -> String {
        self.0.iter().map(EvidencePart::ru).collect::<Vec<_>>().join("; ")
    }
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en())
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.en())
    }
}

pub(super) fn hard_evidence(first: &NormCard, c: &NormCard) -> (Evidence, &'static str) {
    match (first.ids.inn(), c.ids.inn()) {
        (Some(x), Some(y)) if x == y => {
            let kpp = match (first.ids.kpp(), c.ids.kpp()) {
                (Some(k1), Some(k2)) if k1 != k2 => Some(Box::new((k1.into(), k2.into()))),
                _ => None,
            };
            (Evidence::one(EvidencePart::SameInn { inn: x.into(), kpp }), "inn")
        }
        _ => match (first.ids.ogrn(), c.ids.ogrn()) {
            (Some(x), Some(y)) if x == y => (Evidence::one(EvidencePart::SameOgrn(x.into())), "ogrn"),
            _ => {
                let id = c.ids.inn().or(c.ids.ogrn()).unwrap_or_default().to_string();
                (Evidence::one(EvidencePart::InnGroup(id.into())), "inn")
            }
        },
    }
}

/// The text of key `hash` as carried by some card of `node`, and that card.
pub(super) fn key_text(p: &Prepared, norm: &[NormCard], node: &Node, hash: u64) -> Option<(u32, String)> {
    let kind = kind_of(hash);
    for &c in &node.cards {
        if p.keys_of_card(c as usize).binary_search(&hash).is_err() {
            continue;
        }
        let n = &norm[c as usize];
        let mut found: Option<String> = None;
        for_each_key_where(
            n,
            |k| k == kind,
            |k, t| {
                if found.is_none() && key_hash(k, t) == hash {
                    found = Some(t.to_string());
                }
            },
        );
        if let Some(t) = found {
            let shown = match kind {
                KeyKind::Brand => n.brand.as_ref().map(|b| b.display_core.to_string()).unwrap_or(t),
                KeyKind::AddrOffice | KeyKind::AddrHouse => n
                    .addresses
                    .iter()
                    .find(|a| a.office_key().as_ref() == Some(&t) || a.house_key().as_ref() == Some(&t))
                    .map(|a| a.normalized())
                    .unwrap_or(t),
                _ => t,
            };
            return Some((c, shown));
        }
    }
    None
}

pub(super) fn card_with_name(norm: &[NormCard], node: &Node, compact: &str) -> Option<u32> {
    node.cards.iter().copied().find(|&c| norm[c as usize].name.compact() == compact)
}

pub(super) fn card_with_brand(norm: &[NormCard], node: &Node, compact: &str) -> Option<u32> {
    node.cards.iter().copied().find(|&c| norm[c as usize].brand.as_ref().is_some_and(|b| b.compact() == compact))
}

pub(super) fn card_with_person(norm: &[NormCard], node: &Node, who: &block::PersonLite) -> Option<(u32, String)> {
    node.cards.iter().find_map(|&c| {
        let n = &norm[c as usize];
        n.decision_makers()
            .chain(n.name.person.as_deref())
            .find(|p| {
                let x = block::PersonLite::of(p);
                x.key == who.key && x.full_key == who.full_key && x.first == who.first
            })
            .map(|p| (c, p.display()))
    })
}

/// The link record of two scored nodes: the cards that carry the evidence, and the evidence in typed parts.
pub(super) fn link_record(
    level: Level,
    p: &Prepared,
    norm: &[NormCard],
    cfg: &Config,
    a: &Node,
    b: &Node,
    s: &Scored,
) -> LinkRecord {
    let mut parts = smallvec::SmallVec::with_capacity(s.evidence.len());
    let mut cards: Option<(u32, u32)> = None;
    for (_, piece) in &s.evidence {
        let (part, pair) = match piece {
            Piece::Shared { hash, df, .. } => {
                let ta = key_text(p, norm, a, *hash);
                let tb = key_text(p, norm, b, *hash);
                let value = ta.as_ref().map(|x| x.1.clone()).unwrap_or_default();
                let generic = (*df > cfg.generic.full_up_to).then(|| (*df, piece.weight()));
                (
                    EvidencePart::Shared { kind: kind_of(*hash), value: value.into(), generic },
                    ta.zip(tb).map(|(x, y)| (x.0, y.0)),
                )
            }
            Piece::Person { a: ia, b: ib, .. } => {
                let (pa, pb) = (&a.persons[*ia as usize], &b.persons[*ib as usize]);
                let (ca, cb) = (card_with_person(norm, a, pa), card_with_person(norm, b, pb));
                let (da, db) = (
                    ca.as_ref().map(|x| x.1.clone()).unwrap_or_default(),
                    cb.as_ref().map(|x| x.1.clone()).unwrap_or_default(),
                );
                let shown = if da == db { da } else { format!("{da} ~ {db}") };
                (EvidencePart::Person(shown.into()), ca.zip(cb).map(|(x, y)| (x.0, y.0)))
            }
            Piece::Name { a: ia, b: ib, sim, .. } => {
                let ca = card_with_name(norm, a, &a.names[*ia as usize].compact);
                let cb = card_with_name(norm, b, &b.names[*ib as usize].compact);
                let na = ca.map(|c| norm[c as usize].name.core()).unwrap_or_default();
                let nb = cb.map(|c| norm[c as usize].name.core()).unwrap_or_default();
                (EvidencePart::Name { a: na.into(), b: nb.into(), sim: *sim }, ca.zip(cb))
            }
            Piece::Root { token, rarity, .. } => {
                let key = &p.tokens[*token as usize];
                let word = a
                    .cards
                    .iter()
                    .find_map(|&c| {
                        norm[c as usize].name.tokens.iter().find(|t| *t.key() == **key).map(|t| t.text().to_string())
                    })
                    .unwrap_or_else(|| key.to_string());
                (EvidencePart::Root { word: word.into(), rarity: *rarity }, Some((a.cards[0], b.cards[0])))
            }
            Piece::MailPerson { email_card, contact_card, .. } => {
                let (email, person) =
                    crate::matching::mail_person::shown(norm, *email_card, *contact_card).unwrap_or_default();
                let on_a = a.cards.contains(email_card);
                let pair = if on_a { (*email_card, *contact_card) } else { (*contact_card, *email_card) };
                (EvidencePart::MailPerson { email: email.into(), person: person.into() }, Some(pair))
            }
            Piece::BrandName { brand_on_a, brand, name, .. } => {
                let (bn, nn) = if *brand_on_a { (a, b) } else { (b, a) };
                let cb = card_with_brand(norm, bn, &bn.brands[*brand as usize].compact);
                let cn = card_with_name(norm, nn, &nn.names[*name as usize].compact);
                let bt = cb
                    .and_then(|c| norm[c as usize].brand.as_ref().map(|x| x.display_core.to_string()))
                    .unwrap_or_default();
                let nt = cn.map(|c| norm[c as usize].name.display()).unwrap_or_default();
                let pair = if *brand_on_a { cb.zip(cn) } else { cn.zip(cb) };
                (EvidencePart::BrandName { brand: bt.into(), name: nt.into() }, pair)
            }
        };
        if cards.is_none() {
            cards = pair;
        }
        parts.push(part);
    }
    let (ca, cb) = cards.unwrap_or((a.cards[0], b.cards[0]));
    LinkRecord {
        level,
        a: ca.min(cb),
        b: ca.max(cb),
        score: s.score,
        evidence: Evidence(parts),
        signals: s.evidence.iter().map(|(sig, _)| sig.name()).collect(),
    }
}
