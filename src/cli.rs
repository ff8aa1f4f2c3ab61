//! The command line, as clap structures. They only describe arguments; `cmd::*` validates them and builds the
//! prepared objects.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Finds the real clients behind a messy Russian CRM client base.
#[derive(Debug, Parser)]
#[command(name = "firmdedup", version, about, long_about = None, max_term_width = 110)]
pub struct Cli {
    /// Replace embedded dictionaries by the files of the same name in DIR.
    #[arg(long, global = true, value_name = "DIR")]
    pub dictionaries: Option<PathBuf>,
    /// No progress bars and no summary on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show how an export is read (encoding, delimiter, columns) and the quality of every field.
    Inspect(InspectArgs),
    /// Group cards into legal entities and firms, with the evidence for every link.
    Dedup(DedupArgs),
    /// Print the default configuration as TOML (a starting point for --config).
    Config,
    /// Generate a labelled synthetic CRM base (crm.csv, crm_bitrix_1251.csv, truth.csv).
    Synth(SynthArgs),
    /// Score a dedup output against labelled truth (precision, recall, F1; worst merges and misses).
    Eval(EvalArgs),
    /// Why two cards are, or are not, one legal entity or one firm: scores and evidence at both levels.
    Explain(ExplainArgs),
    /// The administrator's decisions, stored in the state and applied on every later run.
    Override(OverrideArgs),
    /// For a manager about to claim a client: is the firm already someone's? Answers from the state.
    Check(CheckArgs),
    /// The managers' check as a web page (in Russian) and an HTTP API for the CRM, answered from the state.
    Serve(ServeArgs),
}

/// How to read a CRM export.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// The CRM export: CSV (UTF-8 or windows-1251; `,` `;` or tab), .xlsx/.xls/.ods, or Bitrix24's HTML "Excel".
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Encoding instead of detecting it: utf-8 or windows-1251.
    #[arg(long, value_name = "NAME", value_parser = parse_encoding)]
    pub encoding: Option<crate::ingest::Encoding>,
    /// Delimiter instead of sniffing it: ',' ';' or 'tab' (no other is supported).
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
    /// Take a field from the named column(s): --map phones="Мобильный телефон" (repeatable; several columns may
    /// feed phones, emails, contacts and address).
    #[arg(long = "map", value_name = "FIELD=HEADER")]
    pub maps: Vec<String>,
    /// Reject rows with a field longer than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::ingest::DEFAULT_MAX_FIELD_BYTES)]
    pub max_field_bytes: usize,
    /// The sheet of a workbook (.xlsx, .xls, .ods) to read: its name or number from 1 (default: the first).
    #[arg(long, value_name = "NAME|N")]
    pub sheet: Option<String>,
}

/// `firmdedup inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The export and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the rejected rows (line, field, reason, raw text) to this CSV file.
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `firmdedup dedup`.
#[derive(Debug, Args)]
pub struct DedupArgs {
    /// The export and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// Directory for cards.csv, entities.csv, firms.csv, links.csv, summary.json (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Weights, thresholds and policy overrides (TOML; see `firmdedup config`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Worker threads, 1 to 256 (default: all cores). The output is the same whatever the number.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Nightly mode: carry firm ids over from this SQLite state, apply the overrides stored in it, write
    /// changes.csv, and replace the state with this run (created if missing).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// With --state: accept an export with far fewer cards than the last run (retiring the firms of the missing
    /// cards).
    #[arg(long)]
    pub allow_shrink: bool,
    /// With --state: an export with more than this percentage (0 to 100) fewer accepted cards than the last run
    /// is refused unless --allow-shrink is given.
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub max_shrink: f64,
    /// The date stale firms are counted from (YYYY-MM-DD; default: today).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

/// `firmdedup synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Number of cards.
    #[arg(long, value_name = "N", required_unless_present = "print_rates")]
    pub cards: Option<usize>,
    /// Random seed: the same seed gives the same base.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Output directory.
    #[arg(long, value_name = "DIR", required_unless_present = "print_rates")]
    pub out: Option<PathBuf>,
    /// The base's "today" (activity dates fall in the two years before it), YYYY-MM-DD.
    #[arg(long, value_name = "DATE", default_value = "2026-11-01")]
    pub today: String,
    /// Which exports to write: canonical (crm.csv), bitrix (crm_bitrix_1251.csv), or both.
    #[arg(long, value_name = "LIST", value_enum, value_delimiter = ',', default_value = "canonical,bitrix")]
    pub formats: Vec<SynthFormat>,
    /// Print the generator's rates as JSON and exit.
    #[arg(long)]
    pub print_rates: bool,
    /// Also write queries.csv: this many questions for `firmdedup check --queries` (half about firms of the
    /// base, half about firms that are not in it).
    #[arg(long, value_name = "N")]
    pub queries: Option<usize>,
    /// The kind of base: default, sparse, spelling, people, agency, hub, or random (every rate drawn from the
    /// seed).
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub profile: String,
}

/// `firmdedup eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Truth: id,entity_id,firm_id.
    #[arg(long, value_name = "FILE")]
    pub truth: PathBuf,
    /// The dedup output directory (cards.csv, links.csv).
    #[arg(long, value_name = "DIR")]
    pub pred: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// How many worst merges and misses to list per level.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub worst: usize,
}

/// `firmdedup explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The export and how to read it.
    #[command(flatten)]
    pub input: InputArgs,
    /// Weights and thresholds (TOML), as for dedup.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// One card id.
    #[arg(value_name = "CARD_A", required_unless_present = "pairs", requires = "b")]
    pub a: Option<String>,
    /// The other card id.
    #[arg(value_name = "CARD_B")]
    pub b: Option<String>,
    /// Explain every pair of a CSV with `card_a` and `card_b` columns (dedup's links.csv or review.csv) in one
    /// run, each answer after a `== CARD_A CARD_B` line.
    #[arg(long, value_name = "FILE", conflicts_with = "a")]
    pub pairs: Option<PathBuf>,
}

/// `firmdedup override`.
#[derive(Debug, Args)]
pub struct OverrideArgs {
    /// The state (SQLite) the decisions are stored in.
    #[arg(long, value_name = "FILE", global = true)]
    pub state: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub action: OverrideAction,
}

/// Override actions.
#[derive(Debug, Subcommand)]
pub enum OverrideAction {
    /// A and B are one legal entity / firm, whatever the evidence says.
    Link(OverridePair),
    /// A and B are never one legal entity / firm, whatever chain of links.
    Split(OverridePair),
    /// List the decisions.
    List {
        /// Include removed decisions.
        #[arg(long)]
        all: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove decision number N (it stays in the history).
    Remove {
        /// The decision's number (see `override list`).
        #[arg(value_name = "N")]
        id: i64,
        /// Who removes it.
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
    /// Record a batch of decisions from a CSV file: action,a,b,level,reason[,by]. All or nothing.
    Import {
        /// The CSV file (UTF-8 or windows-1251, `,` or `;`).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Who made the decisions (when the file has no `by` column).
        #[arg(long, value_name = "NAME")]
        by: Option<String>,
    },
}

/// The two sides of a link or split.
#[derive(Debug, Args)]
pub struct OverridePair {
    /// A card id, or an entity id (E000123) or firm id (F000123) of the state.
    #[arg(value_name = "A")]
    pub a: String,
    /// The other card, entity or firm.
    #[arg(value_name = "B")]
    pub b: String,
    /// The level the decision is about.
    #[arg(long, value_name = "LEVEL", default_value = "firm", value_parser = parse_level)]
    pub level: crate::matching::score::Level,
    /// Why (required: the next administrator will want to know).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// Who decides (default: $USER).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

/// `firmdedup check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The state (SQLite) written by `firmdedup dedup --state`.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// Company name, any form ("ООО Ромашка", "Romashka", "ромашка медиа").
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// ИНН (10 or 12 digits) or ОГРН.
    #[arg(long, value_name = "INN")]
    pub inn: Option<String>,
    /// Phone, any format.
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,
    /// Email.
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// Website.
    #[arg(long, value_name = "URL")]
    pub website: Option<String>,
    /// Brand.
    #[arg(long, value_name = "BRAND")]
    pub brand: Option<String>,
    /// Decision-maker ("Иванов И.И.", "Иван Иванов").
    #[arg(long, value_name = "PERSON")]
    pub contact: Option<String>,
    /// Your login: the answer says what you may do (claim, at your limit, already yours).
    #[arg(long, value_name = "LOGIN")]
    pub manager: Option<String>,
    /// One JSON object for a CRM integration (schema in the README).
    #[arg(long)]
    pub json: bool,
    /// How many firms to list at most (the verdict is about the best firm whatever this number; 0: the verdict only).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub limit: usize,
    /// The date idle days are counted to (YYYY-MM-DD; default: today).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// Language of the text answer: ru (default) or en. JSON keys and status codes are the same in both.
    #[arg(long, value_enum, default_value_t = crate::check::Lang::Ru)]
    pub lang: crate::check::Lang,
    /// Evaluate instead: answer every query of this CSV (from `firmdedup synth --queries`) and report accuracy.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["name", "inn", "phone", "email", "website", "brand", "contact"])]
    pub queries: Option<PathBuf>,
}

/// `firmdedup serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The state (SQLite) written by `firmdedup dedup --state`; read only, a new nightly run is seen at once.
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// Address to listen on. Loopback by default; another address exposes the base to the network (warned).
    /// Port 0 picks a free port (the address is printed on stderr).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// The date idle days are counted to (YYYY-MM-DD; default: today, every request).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
}

/// `--level entity|firm`.
fn parse_level(s: &str) -> Result<crate::matching::score::Level, String> {
    s.parse()
}

/// `--encoding utf-8|windows-1251` (and the spellings people use: utf8, cp1251, 1251).
fn parse_encoding(s: &str) -> Result<crate::ingest::Encoding, String> {
    crate::ingest::Encoding::from_name(s).ok_or_else(|| format!("{s:?}: expected utf-8 or windows-1251"))
}

/// `--delimiter , | ; | tab`: the delimiters CRM exports use.
fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        "," => Ok(b','),
        ";" => Ok(b';'),
        d => Err(format!(
            "{d:?}: not supported; CRM exports are read with ',' ';' or tab (say --delimiter tab); convert the file to one of them first"
        )),
    }
}

/// The exports `synth` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SynthFormat {
    /// crm.csv: UTF-8, the canonical column names.
    Canonical,
    /// crm_bitrix_1251.csv: a Bitrix24 export in windows-1251 with `;`.
    Bitrix,
}
