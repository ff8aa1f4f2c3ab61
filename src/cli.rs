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
}

/// How to read a CRM export.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// The CRM export (CSV: UTF-8 or windows-1251; `,` `;` or tab).
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Encoding instead of detecting it: utf-8 or windows-1251.
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// Delimiter instead of sniffing it: ',' ';' 'tab'.
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<String>,
    /// Take a field from the named column(s): --map phones="Мобильный телефон" (repeatable; several columns may
    /// feed phones, emails, contacts and address).
    #[arg(long = "map", value_name = "FIELD=HEADER")]
    pub maps: Vec<String>,
    /// Reject rows with a field longer than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::ingest::DEFAULT_MAX_FIELD_BYTES)]
    pub max_field_bytes: usize,
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
    /// Worker threads (default: all cores). The output is the same whatever the number.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
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
    #[arg(long, value_name = "LIST", default_value = "canonical,bitrix")]
    pub formats: String,
    /// Print the generator's rates as JSON and exit.
    #[arg(long)]
    pub print_rates: bool,
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
    #[arg(value_name = "CARD_A")]
    pub a: String,
    /// The other card id.
    #[arg(value_name = "CARD_B")]
    pub b: String,
}
