//! Subcommands: one file each, each with a `run` function.

pub mod check;
pub mod dedup;
pub mod eval;
pub mod explain;
pub mod inspect;
pub mod override_cmd;
pub mod serve;
pub mod synth;

use anyhow::Context;

use crate::cli::{Cli, Command, InputArgs};
use crate::dict::Dictionaries;
use crate::ingest::{IngestOptions, parse_maps};

/// How the program ended; the process exit code. Documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Success,
    /// 1: an error: unreadable input, I/O failure, corrupt state, bad configuration.
    Error,
    /// 2: bad command line (clap's own code).
    Usage,
    /// 3: refused by a safety guard (export shrank, another run holds the state, foreign state file,
    /// conflicting override). Nothing was changed.
    Refused,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(match e {
            Exit::Success => 0,
            Exit::Error => 1,
            Exit::Usage => 2,
            Exit::Refused => 3,
        })
    }
}

/// An error that means a safety guard refused to act (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The exit code for an error.
pub fn exit_code_of(err: &anyhow::Error) -> Exit {
    if err.chain().any(|c| c.downcast_ref::<Refused>().is_some()) { Exit::Refused } else { Exit::Error }
}

/// Writes one line to standard output; a closed pipe comes back as an error (see [`is_broken_pipe`]) instead
/// of the panic of `println!`.
pub fn say(line: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// True when the error is a closed stdout (`firmdedup check ... | head`): not an error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let dict = load_dictionaries(&cli)?;
    match &cli.command {
        Command::Inspect(args) => inspect::run(args, &dict),
        Command::Dedup(args) => dedup::run(args, &dict, cli.quiet),
        Command::Synth(args) => synth::run(args, &dict, cli.quiet),
        Command::Eval(args) => eval::run(args),
        Command::Explain(args) => explain::run(args, &dict),
        Command::Override(args) => override_cmd::run(args, &dict),
        Command::Check(args) => check::run(args, &dict),
        Command::Serve(args) => serve::run(args, dict),
        Command::Config => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(crate::config::Config::defaults_toml().as_bytes())?;
            out.flush()?;
            Ok(Exit::Success)
        }
    }
}

fn load_dictionaries(cli: &Cli) -> anyhow::Result<Dictionaries> {
    if let Some(dir) = &cli.dictionaries
        && !dir.is_dir()
    {
        anyhow::bail!("--dictionaries {}: no such directory", dir.display());
    }
    Dictionaries::load(cli.dictionaries.as_deref()).context("loading dictionaries")
}

/// Refuses (exit 3) before anything is written when an output file would replace an input: the same path, or
/// another name of the same file (a hard link, a symbolic link, `./` spellings).
pub fn refuse_overwriting_inputs(inputs: &[&std::path::Path], outputs: &[std::path::PathBuf]) -> anyhow::Result<()> {
    for out in outputs {
        for input in inputs {
            if same_file(input, out) {
                return Err(Refused(format!(
                    "{} would be replaced by an output of this run: it is the input {}; choose another output path (nothing was written)",
                    out.display(),
                    input.display()
                ))
                .into());
            }
        }
    }
    Ok(())
}

/// True when two paths name one existing file.
pub fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!((std::fs::canonicalize(a), std::fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
    }
}

/// Builds ingestion options from the command line.
pub fn ingest_options(args: &InputArgs) -> anyhow::Result<IngestOptions> {
    let maps = parse_maps(&args.maps)?;
    Ok(IngestOptions {
        encoding: args.encoding,
        delimiter: args.delimiter,
        maps,
        max_field_bytes: args.max_field_bytes,
        sheet: args.sheet.clone(),
        ..IngestOptions::default()
    })
}

/// Loads `--config` or the defaults.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<crate::config::Config> {
    Ok(match path {
        Some(p) => crate::config::Config::load(p)?,
        None => crate::config::Config::default(),
    })
}

/// The most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 256;

/// Runs `f` on a thread pool of `threads` workers (or the global pool).
pub fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => anyhow::bail!("--threads 0: give at least 1"),
        Some(n) if n > MAX_THREADS => {
            anyhow::bail!(
                "--threads {n}: at most {MAX_THREADS} (this machine has {} cores)",
                rayon::current_num_threads()
            )
        }
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build().context("starting worker threads")?;
            Ok(pool.install(f))
        }
    }
}

/// Parses `--today` (default: the system date).
pub fn today(arg: Option<&str>) -> anyhow::Result<chrono::NaiveDate> {
    match arg {
        None => Ok(chrono::Local::now().date_naive()),
        Some(s) => chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .with_context(|| format!("--today {s:?}: expected YYYY-MM-DD")),
    }
}
