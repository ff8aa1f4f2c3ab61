//! A personal e-mail that names a contact: `pluanova.g193@yandex.ru` on one card, `Плуанова Г.В.` on another card
//! of the same name. Managers type a client twice, once with the decision-maker's e-mail and once with the
//! decision-maker; nothing the two cards carry is equal, yet the e-mail's local part is the contact's surname.
//!
//! How far that holds is learned from the base, like the other rules of [`crate::matching::learn`]: among the
//! cards with a valid ИНН, the pairs of cards of one name where one card's e-mail spells the other's contact's
//! surname are counted under one ИНН and under two. Where such pairs are numerous and nearly all under one ИНН,
//! the signal joins a card without ИНН to a card of the same name as a shared contact would; otherwise (a base
//! whose e-mails are not made of names, or too few labelled pairs) it is never used.
//!
//! A surname among the most common ones (`dictionaries/common_surnames.txt`) never counts, nor a value written
//! by many cards (a hub of one surname).

use rayon::prelude::*;
use serde::Serialize;
use smallvec::SmallVec;

use crate::config::Config;
use crate::matching::block::Node;
use crate::matching::learn::{self, DecidedBy, LearnedRule, MIN_CLOSE_PAIRS, MIN_CLOSE_PRECISION};
use crate::normalize::{Email, NormCard, Person, translit_key};

/// The fewest letters a word of an e-mail's local part needs to be read as a surname.
const MIN_SURNAME_LETTERS: usize = 4;

/// A surname written (as an e-mail word or as a contact's surname) on more cards than this is not used: a hub of
/// one surname, or a word like `info` that happens to be someone's name.
const MAX_CARDS_PER_SURNAME: usize = 64;

/// Two nodes of one name, one card's e-mail spelling the other card's contact's surname.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MailPair {
    /// The nodes, `a < b`.
    pub a: u32,
    /// See `a`.
    pub b: u32,
    /// The card with the e-mail.
    pub email_card: u32,
    /// The card with the contact.
    pub contact_card: u32,
}

/// What the base's labelled cards taught about e-mails that name a contact, and the rule it chose.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MailPersonStats {
    /// Legal entities (one valid ИНН) in which a card's e-mail spells the surname of another card's contact, both
    /// cards of one name…
    pub same_inn: u64,
    /// …and pairs of legal entities of one name under two different ИНН where it does.
    pub different_inn: u64,
    /// `same_inn / (same_inn + different_inn)` (0 when there are none).
    pub precision: f64,
    /// True when such a pair joins a card without ИНН to the legal entity, as a shared contact would.
    pub joins: bool,
    /// What decided it.
    pub decided_by: DecidedBy,
    /// Pairs of groups of one name (one without ИНН) that the signal may join in this base.
    pub candidate_pairs: u64,
}

impl MailPersonStats {
    /// One line for `explain`.
    pub fn describe(&self) -> String {
        let counts = learn::one_name_pairs_text(self.same_inn, self.different_inn);
        match (self.joins, self.decided_by) {
            (true, DecidedBy::Config) => "an e-mail spelling a contact's surname joins cards of one name (set in the \
                                          configuration: thresholds.mail_person)"
                .to_string(),
            (false, DecidedBy::Config) => {
                "an e-mail spelling a contact's surname is not used (set in the configuration: thresholds.mail_person)"
                    .to_string()
            }
            (true, _) => format!("an e-mail spelling a contact's surname joins cards of one name ({counts})"),
            (false, DecidedBy::TooFewPairs | DecidedBy::TooFewNames) => format!(
                "an e-mail spelling a contact's surname is not used: too few labelled pairs ({counts}, under \
                 {MIN_CLOSE_PAIRS})"
            ),
            (false, DecidedBy::Learned) => format!(
                "an e-mail spelling a contact's surname is not used: {counts}, under {:.0}%",
                MIN_CLOSE_PRECISION * 100.0
            ),
        }
    }
}

/// The words of an e-mail's local part that may be a surname (four letters or more, as transliteration keys),
/// and the one-letter word that may be an initial: `pluanova.g193` → (`[pluanova]`, `g`).
pub fn mail_words(e: &Email) -> (SmallVec<[String; 2]>, Option<char>) {
    let local = e.address.rsplit_once('@').map_or(e.address.as_str(), |x| x.0);
    let mut words = SmallVec::new();
    let mut initials = local.split(|c: char| !c.is_alphabetic()).filter(|w| w.chars().count() == 1);
    for w in local.split(|c: char| !c.is_alphabetic()).filter(|w| w.chars().count() >= MIN_SURNAME_LETTERS) {
        words.push(translit_key(w));
    }
    let initial = match (initials.next(), initials.next()) {
        (Some(i), None) => i.chars().next(),
        _ => None,
    };
    (words, initial)
}

/// A contact's surname as a transliteration key, unless it is one of the most common surnames.
pub fn contact_word(p: &Person) -> Option<String> {
    (!p.common_surname && p.surname.chars().count() >= MIN_SURNAME_LETTERS).then(|| translit_key(&p.surname))
}

/// True when an e-mail's one-letter word and a contact's first initial may be the same letter (ж may be `z` or
/// `zh`, я `y` or `ia`: only the first letter of each transliteration is compared).
fn initials_agree(mail: Option<char>, contact: Option<char>) -> bool {
    match (mail, contact) {
        (Some(m), Some(c)) => {
            let first = |ch: char| translit_key(&ch.to_string()).chars().next().map(|x| x.to_ascii_lowercase());
            first(m) == first(c)
        }
        _ => true,
    }
}

/// The e-mail of card `email_card` and the contact of card `contact_card` that spell one surname, as shown in
/// evidence: (`pluanova.g193@yandex.ru`, `Плуанова Г.В.`).
pub fn shown(norm: &[NormCard], email_card: u32, contact_card: u32) -> Option<(String, String)> {
    let (ec, cc) = (&norm[email_card as usize], &norm[contact_card as usize]);
    ec.emails.iter().find_map(|e| {
        let (words, initial) = mail_words(e);
        cc.contacts
            .iter()
            .find(|p| contact_word(p).is_some_and(|w| words.contains(&w)) && initials_agree(initial, p.first_initial))
            .map(|p| (e.address.to_string(), p.display()))
    })
}

/// One card's word: (surname key hash, card, true for an e-mail's word, the initial written with it, the hash of
/// the card's name key).
type Posting = (u64, u32, bool, Option<char>, u64);

/// Finds the pairs of one name joined by an e-mail spelling a contact's surname, and learns from the cards with
/// ИНН whether this base can trust them (see the module comment). Pairs come back sorted by nodes.
pub fn pairs(
    norm: &[NormCard],
    nodes: &[Node],
    node_of_card: &[u32],
    cfg: &Config,
) -> (Vec<MailPair>, MailPersonStats) {
    let mode = cfg.thresholds.mail_person;
    let hash = |w: &str| {
        use std::hash::BuildHasher;
        rustc_hash::FxBuildHasher.hash_one(w)
    };
    let mut post: Vec<Posting> = if mode == LearnedRule::Never {
        Vec::new()
    } else {
        (0..norm.len())
            .into_par_iter()
            .flat_map_iter(|c| {
                let n = &norm[c];
                let mut out: Vec<Posting> = Vec::new();
                // Only cards of a company's name (not a person's) take part.
                if n.name.person.is_some() || n.name.tokens.is_empty() {
                    return out;
                }
                let name = hash(&n.name.compact());
                for e in n.emails.iter() {
                    let (words, initial) = mail_words(e);
                    out.extend(words.iter().map(|w| (hash(w), c as u32, true, initial, name)));
                }
                for p in n.contacts.iter() {
                    if let Some(w) = contact_word(p) {
                        out.push((hash(&w), c as u32, false, p.first_initial, name));
                    }
                }
                out.sort_unstable();
                out.dedup();
                out
            })
            .collect()
    };
    post.par_sort_unstable();
    let labelled = |nd: u32| nodes[nd as usize].inn.is_some();
    // (node, node, email card, contact card, labelled): labelled items teach, the others are candidates.
    let mut found: Vec<(u32, u32, u32, u32)> = post
        .par_chunk_by(|x, y| x.0 == y.0)
        .filter(|run| run.len() <= MAX_CARDS_PER_SURNAME && run.iter().any(|x| x.2) && run.iter().any(|x| !x.2))
        .flat_map_iter(|run| {
            let mut out = Vec::new();
            for m in run.iter().filter(|x| x.2) {
                for c in run.iter().filter(|x| !x.2 && x.1 != m.1) {
                    // Names compared by their hashes, and the texts of the few that agree.
                    if m.4 != c.4
                        || !initials_agree(m.3, c.3)
                        || norm[m.1 as usize].name.compact() != norm[c.1 as usize].name.compact()
                    {
                        continue;
                    }
                    let (na, nb) = (node_of_card[m.1 as usize], node_of_card[c.1 as usize]);
                    out.push((na.min(nb), na.max(nb), m.1, c.1));
                }
            }
            out
        })
        .collect();
    found.par_sort_unstable();
    found.dedup_by_key(|x| (x.0, x.1));
    let (mut same, mut different) = (0u64, 0u64);
    let mut candidates = Vec::new();
    for &(a, b, email_card, contact_card) in &found {
        match (a == b, labelled(a) && labelled(b)) {
            (true, true) => same += 1,
            (false, true) => different += 1,
            (true, false) => {}
            (false, false) => candidates.push(MailPair { a, b, email_card, contact_card }),
        }
    }
    let n = same + different;
    let (joins, decided_by) = learn::decide_pairs(mode, same, different);
    let precision = if n == 0 { 0.0 } else { (same as f64 / n as f64 * 1000.0).round() / 1000.0 };
    let stats = MailPersonStats {
        same_inn: same,
        different_inn: different,
        precision,
        joins,
        decided_by,
        candidate_pairs: if joins { candidates.len() as u64 } else { 0 },
    };
    if !joins {
        candidates = Vec::new();
    }
    (candidates, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::Dictionaries;
    use crate::normalize::{parse_email, parse_person};

    fn words(s: &str) -> (Vec<String>, Option<char>) {
        let e = parse_email(s, Dictionaries::embedded()).unwrap();
        let (w, i) = mail_words(&e);
        (w.into_vec(), i)
    }

    #[test]
    fn the_words_of_a_local_part() {
        assert_eq!(words("pluanova.g193@yandex.ru"), (vec![translit_key("плуанова")], Some('g')));
        assert_eq!(words("buh.zhofain5@mail.ru"), (vec![translit_key("жофаин")], None));
        assert_eq!(words("e.kudryavceva@firm.ru").0, vec![translit_key("кудрявцева")]);
        assert_eq!(words("info@romashka.ru").0, vec!["info".to_string()]);
        // Two one-letter words: neither is taken for the initial.
        assert_eq!(words("a.b.ivanova@mail.ru").1, None);
    }

    #[test]
    fn initials_compare_by_their_first_latin_letter() {
        assert!(initials_agree(Some('g'), Some('г')));
        assert!(initials_agree(Some('z'), Some('ж')));
        assert!(initials_agree(Some('y'), Some('ю')));
        assert!(!initials_agree(Some('t'), Some('г')));
        assert!(initials_agree(None, Some('г')));
    }

    #[test]
    fn a_common_surname_is_no_evidence() {
        let d = Dictionaries::embedded();
        assert!(contact_word(&parse_person("Иванова Н.В.", d).unwrap()).is_none());
        assert_eq!(contact_word(&parse_person("Плуанова Г.В.", d).unwrap()), Some(translit_key("плуанова")));
    }
}
