//! Configuration: matching weights and thresholds, generic-value detection, blocking, ownership policy.
//!
//! Every weight lives here, with its default and what it means; a TOML file given with `--config` overrides any
//! of them (unknown keys are refused, so a typo cannot silently leave a default in place). `firmdedup config`
//! prints the defaults as a TOML file to start from.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Weights of the signals. A link's score is the sum of the weights of the signals the two sides share; a shared
/// value's weight is further multiplied by its rarity (see [`GenericConfig`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Weights {
    /// A shared full phone number (`+7...`).
    pub phone: f32,
    /// A shared local number written without its area code (collides across cities).
    pub local_phone: f32,
    /// A shared 8-800 number (often a call centre's).
    pub toll_free: f32,
    /// A shared email address.
    pub email: f32,
    /// A shared corporate email domain or website.
    pub domain: f32,
    /// A shared decision-maker known by surname and one initial on one side (`Иванов И.`, `Иван Иванов`). At
    /// the firm level every person weight falls with the number of different people carrying the surname in the
    /// base (a rare surname: full weight).
    pub person: f32,
    /// A shared decision-maker with both initials or the full name on both sides (`Иванов И.И.`).
    pub person_full: f32,
    /// At the legal-entity level, one card's personal e-mail spelling the surname of another card's contact
    /// (`pluanova.g193@…` and `Плуанова Г.В.`), both cards of one name, where the base's labelled cards trust it
    /// (`thresholds.mail_person`): counted as a shared contact.
    pub mail_person: f32,
    /// A shared brand.
    pub brand: f32,
    /// The same office (street, house, office).
    pub address_office: f32,
    /// The same building (street, house): weak, business centres hold hundreds of firms.
    pub address_house: f32,
    /// At the legal-entity level, any shared non-generic address (office or building) confirming a
    /// near-identical name.
    pub entity_address: f32,
    /// At the legal-entity level, the same office (street, house, office) confirming a near-identical name: a
    /// little more than a building, so that a name with one typo and the same office is one legal entity.
    pub entity_office: f32,
    /// Name similarity, multiplied by the similarity (0..1). Counted at the legal-entity level only.
    pub name: f32,
    /// At the legal-entity level, a generic value (reception phone, accountant's email) shared by two cards whose
    /// near-identical name is rare: this weight times the name's rarity. Never links on its own.
    pub generic_with_rare_name: f32,
    /// A shared distinctive name root ("Ромашка" in "Ромашка-Медиа"), or one side's brand written as the other's
    /// name, multiplied by its rarity. Firm level; needs a second signal.
    pub name_root: f32,
    /// Firm level: one legal entity's ИНН typed on a card that is another's (a card whose name is unlike every
    /// other card of that ИНН, and written without it elsewhere) — usually a sister company's card. Falls with
    /// the number of legal entities carrying the ИНН so; 0 where a base types payers' (agencies') ИНН on clients.
    pub typed_inn: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            phone: 1.0,
            local_phone: 0.4,
            toll_free: 0.5,
            email: 1.0,
            domain: 1.0,
            person: 0.6,
            person_full: 1.0,
            mail_person: 1.0,
            brand: 1.0,
            address_office: 0.6,
            address_house: 0.15,
            entity_address: 0.6,
            entity_office: 0.7,
            name: 0.6,
            generic_with_rare_name: 0.6,
            name_root: 0.8,
            typed_inn: 1.0,
        }
    }
}

/// Thresholds of the two levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// A card without a usable ИНН joins a legal entity when the score reaches this...
    pub entity: f32,
    /// ...and the names are at least this similar (0..1)... A name with one more distinctive word ("Ромашка" /
    /// "Ромашка-Плюс", 0.86) is usually a sister company: it joins the firm, not the legal entity.
    pub entity_name_min: f32,
    /// ...and some contact (phone, email, domain, address) is shared.
    pub entity_needs_contact: bool,
    /// How cards without ИНН join on a distinctive whole name alone: `learn` (the base's cards with ИНН decide,
    /// see `matching::learn`), `strict` or `open`.
    pub name_alone: crate::matching::learn::NameAlone,
    /// Names at least this similar, though under `entity_name_min` ("close" names: a typo in a short word, a
    /// branch tag, a word dropped), join a card without ИНН to a legal entity with a shared value of a kind the
    /// base's labelled cards trust (see `close_names`).
    pub close_name_min: f32,
    /// Which shared values make close names one legal entity: `learn` (the base's cards with ИНН decide, kind by
    /// kind, see `matching::learn`), `never` or `always`.
    pub close_names: crate::matching::learn::LearnedRule,
    /// Whether a personal e-mail spelling a contact's surname joins two cards of one name (`weights.mail_person`):
    /// `learn` (the base's cards with ИНН decide, see `matching::mail_person`), `never` or `always`.
    pub mail_person: crate::matching::learn::LearnedRule,
    /// Whether the only two legal entities writing a distinctive name (at most one with an ИНН) join although
    /// their contacts differ (each has a phone, say, and they share none): `learn` (the base's cards with ИНН
    /// decide, see `matching::learn::differing_contacts`), `never` or `always`.
    pub differing_contacts: crate::matching::learn::LearnedRule,
    /// Two legal entities are one firm when the firm-level score reaches this.
    pub firm: f32,
    /// Rounds of firm clustering: after each, shared values are counted again in the firms found so far.
    pub firm_rounds: u32,
    /// Groups with more members than this are joined only by a confirmed link (two signals or more, or a second
    /// member pair): the guard against chaining.
    pub chain_guard_size: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            entity: 1.2,
            entity_name_min: 0.9,
            entity_needs_contact: true,
            name_alone: crate::matching::learn::NameAlone::Learn,
            close_name_min: 0.75,
            close_names: crate::matching::learn::LearnedRule::Learn,
            mail_person: crate::matching::learn::LearnedRule::Learn,
            differing_contacts: crate::matching::learn::LearnedRule::Learn,
            firm: 1.0,
            firm_rounds: 2,
            chain_guard_size: 2,
        }
    }
}

/// How generic values are found in the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GenericConfig {
    /// A phone, email, domain, address or person carried by more than this many distinct legal entities is
    /// generic (reception, accountant, agency, call centre) and never links anything.
    pub max_entities: u32,
    /// A value carried by `n` entities, `n` above this, weighs `weight * (full_up_to / n)²`.
    pub full_up_to: u32,
    /// The same for brands, which groups of companies share on purpose.
    pub brand_full_up_to: u32,
    /// The same for corporate domains and websites, which belong to one owner.
    pub domain_full_up_to: u32,
    /// A name word carried by up to this many entities counts as rare (full weight); above it the weight falls
    /// as `(rare_name_entities / n)²`.
    pub rare_name_entities: u32,
    /// The same for a shared name root at the firm level ("Ромашка" in "Ромашка-Медиа"): the companies of one
    /// holding named after it all carry it, so a root stays rare up to this many entities; above, the weight falls
    /// as `(root_full_up_to / n)²`.
    pub root_full_up_to: u32,
    /// At the firm level, legal entities sharing a name root carried by at most this many legal entities count as
    /// one carrier of the values they share (the companies of one holding named after it). 0: off (the default:
    /// unrelated companies of the same rare name then look like one).
    pub rare_root_entities: u32,
}

impl Default for GenericConfig {
    fn default() -> Self {
        GenericConfig {
            max_entities: 5,
            full_up_to: 2,
            brand_full_up_to: 5,
            domain_full_up_to: 5,
            rare_name_entities: 2,
            root_full_up_to: 4,
            rare_root_entities: 0,
        }
    }
}

/// Candidate generation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BlockingConfig {
    /// Blocks (groups sharing one key) larger than this are not expanded into pairs; the count is reported.
    pub max_block: u32,
}

impl Default for BlockingConfig {
    fn default() -> Self {
        BlockingConfig { max_block: 60 }
    }
}

/// How the owner of a firm held by several managers is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictPolicy {
    /// The manager with the most recent activity on the firm.
    MostRecent,
    /// The manager holding the most cards of the firm.
    MostCards,
    /// The first manager of `priority` holding a card; others by most recent activity.
    Priority,
}

/// What the plan does with a manager's firms beyond the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverLimit {
    /// Report them in managers.csv; the plan leaves them with the manager.
    Report,
    /// The plan releases them into the pool, the firms with the oldest activity first, until the manager is
    /// at the limit.
    ReleaseOldest,
}

/// The sales rules.
///
/// The plan (`reassign.csv`) applies them in this order: the conflict policy picks the owner of a firm held by
/// several managers; `active_wins_after_days` gives the firm to a manager who is working it when that owner has
/// gone quiet; `release_after_days` sends a firm nobody has worked for that long to the pool; `over_limit`
/// trims a manager's firms beyond `limit`. Example (`--config sales.toml`):
///
/// ```toml
/// [ownership]
/// limit = 200
/// release_after_days = 180      # a firm without activity for half a year goes to the pool
/// over_limit = "release_oldest" # beyond 200 firms, the least recently worked go to the pool
/// active_wins_after_days = 120  # the owner quiet for 120 days, another manager active since: his firm
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OwnershipConfig {
    /// Firms a manager may hold.
    pub limit: u32,
    /// A firm whose owner has had no activity on it for longer is stale.
    pub stale_after_days: u32,
    /// May another manager claim a stale firm?
    pub stale_claimable: bool,
    /// Who owns a firm held by several managers.
    pub conflict_policy: ConflictPolicy,
    /// Managers in priority order (for `conflict_policy = "priority"`).
    pub priority: Vec<String>,
    /// A held firm with no activity on any of its cards for longer than this many days goes to the pool in the
    /// plan. 0: off (the default). A firm with no activity date at all is never released by this rule.
    pub release_after_days: u32,
    /// Firms beyond `limit`: `report` (the default) or `release_oldest`.
    pub over_limit: OverLimit,
    /// When the owner has had no activity on a firm for longer than this many days and another manager has
    /// activity on its cards since (and within this many days), the plan gives the firm to that manager.
    /// 0: off (the default).
    pub active_wins_after_days: u32,
}

impl Default for OwnershipConfig {
    fn default() -> Self {
        OwnershipConfig {
            limit: 200,
            stale_after_days: 90,
            stale_claimable: true,
            conflict_policy: ConflictPolicy::MostRecent,
            priority: Vec::new(),
            release_after_days: 0,
            over_limit: OverLimit::Report,
            active_wins_after_days: 0,
        }
    }
}

/// The administrator's page, `report.html`.
///
/// ```toml
/// [report]
/// page_cards = 100000   # cards whose detail the page carries; the firms beyond go to the CSV files only
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// The page carries the cards, legal entities and links of whole firms up to this many cards, the firms of
    /// its review rows and conflicts first, then the largest; it says how many firms it left out, and the CSV
    /// files beside it hold them all. 100,000 cards make a page of about 26 MB that opens in a few seconds.
    pub page_cards: u32,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig { page_cards: 100_000 }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Signal weights.
    pub weights: Weights,
    /// Level thresholds.
    pub thresholds: Thresholds,
    /// Generic values.
    pub generic: GenericConfig,
    /// Blocking.
    pub blocking: BlockingConfig,
    /// Ownership policy.
    pub ownership: OwnershipConfig,
    /// The administrator's page.
    pub report: ReportConfig,
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Unreadable.
    #[error("cannot read config {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Not valid TOML or unknown keys.
    #[error("config {path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What toml said (line and column included).
        message: String,
    },
    /// Values out of range.
    #[error("config {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads a TOML file over the defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: p.clone(), source })?;
        let cfg: Config =
            toml::from_str(&text).map_err(|e| ConfigError::Parse { path: p.clone(), message: e.to_string() })?;
        cfg.validate().map_err(|message| ConfigError::Invalid { path: p, message })?;
        Ok(cfg)
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), String> {
        let w = &self.weights;
        for (name, v) in [
            ("weights.phone", w.phone),
            ("weights.local_phone", w.local_phone),
            ("weights.toll_free", w.toll_free),
            ("weights.email", w.email),
            ("weights.domain", w.domain),
            ("weights.person", w.person),
            ("weights.person_full", w.person_full),
            ("weights.mail_person", w.mail_person),
            ("weights.brand", w.brand),
            ("weights.address_office", w.address_office),
            ("weights.address_house", w.address_house),
            ("weights.entity_address", w.entity_address),
            ("weights.name", w.name),
            ("weights.generic_with_rare_name", w.generic_with_rare_name),
            ("weights.name_root", w.name_root),
        ] {
            if !(0.0..=10.0).contains(&v) {
                return Err(format!("{name} = {v}: must be between 0 and 10"));
            }
        }
        let t = &self.thresholds;
        // Written as "not inside the range" so NaN is refused too (NaN compares false with everything, and a NaN
        // threshold would silently switch linking off).
        for (name, v) in [("thresholds.entity", t.entity), ("thresholds.firm", t.firm)] {
            if !(v > 0.0 && v <= 100.0) {
                return Err(format!("{name} = {v}: must be a number above 0 and at most 100"));
            }
        }
        if !(1..=20).contains(&t.firm_rounds) {
            return Err(format!("thresholds.firm_rounds = {}: must be between 1 and 20", t.firm_rounds));
        }
        if !(0.0..=1.0).contains(&t.entity_name_min) {
            return Err(format!("thresholds.entity_name_min = {}: must be between 0 and 1", t.entity_name_min));
        }
        if self.generic.max_entities < 2 {
            return Err("generic.max_entities must be at least 2".into());
        }
        if self.generic.full_up_to < 1 || self.generic.rare_name_entities < 1 {
            return Err("generic.full_up_to and generic.rare_name_entities must be at least 1".into());
        }
        if self.blocking.max_block < 2 {
            return Err("blocking.max_block must be at least 2".into());
        }
        if self.ownership.conflict_policy == ConflictPolicy::Priority && self.ownership.priority.is_empty() {
            return Err("ownership.conflict_policy = \"priority\" needs ownership.priority = [\"login\", ...]".into());
        }
        Ok(())
    }

    /// The defaults as TOML, with every key.
    pub fn defaults_toml() -> String {
        toml::to_string_pretty(&Config::default()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_file_overrides_defaults_and_typos_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "[weights]\nphone = 0.9\n[ownership]\nlimit = 150\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.weights.phone, 0.9);
        assert_eq!(c.weights.email, Weights::default().email);
        assert_eq!(c.ownership.limit, 150);

        std::fs::write(&p, "[weights]\nphnoe = 0.9\n").unwrap();
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("phnoe"), "{err}");

        std::fs::write(&p, "[thresholds]\nentity_name_min = 3\n").unwrap();
        assert!(Config::load(&p).unwrap_err().to_string().contains("entity_name_min"));

        std::fs::write(&p, "[ownership]\nover_limit = \"release_oldest\"\nrelease_after_days = 180\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!((c.ownership.over_limit, c.ownership.release_after_days), (OverLimit::ReleaseOldest, 180));
        assert_eq!(c.ownership.active_wins_after_days, 0);
        std::fs::write(&p, "[ownership]\nover_limit = \"drop\"\n").unwrap();
        assert!(Config::load(&p).unwrap_err().to_string().contains("over_limit"));
    }

    #[test]
    fn thresholds_nan_and_out_of_range_are_refused() {
        for (text, what) in [
            ("[thresholds]\nfirm = nan\n", "thresholds.firm"),
            ("[thresholds]\nentity = nan\n", "thresholds.entity"),
            ("[thresholds]\nfirm = -1.0\n", "thresholds.firm"),
            ("[thresholds]\nfirm = inf\n", "thresholds.firm"),
            ("[thresholds]\nentity_name_min = nan\n", "thresholds.entity_name_min"),
            ("[weights]\nphone = nan\n", "weights.phone"),
            ("[thresholds]\nfirm_rounds = 0\n", "thresholds.firm_rounds"),
        ] {
            let cfg: Config = toml::from_str(text).unwrap();
            let err = cfg.validate().expect_err(text);
            assert!(err.contains(what), "{text}: {err}");
        }
        assert!(Config::default().validate().is_ok());
    }

    #[test]
    fn defaults_roundtrip_through_toml() {
        let text = Config::defaults_toml();
        let back: Config = toml::from_str(&text).unwrap();
        assert_eq!(back, Config::default());
    }
}
