//! `firmdedup eval`: quality against labelled truth.

use std::io::Write;

use crate::cli::EvalArgs;
use crate::cmd::Exit;
use crate::eval;

/// Runs `eval`.
pub fn run(args: &EvalArgs) -> anyhow::Result<Exit> {
    let e = eval::evaluate(&args.truth, &args.pred, args.worst)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &e)?;
        writeln!(out)?;
    } else {
        out.write_all(eval::render(&e).as_bytes())?;
    }
    out.flush()?;
    Ok(Exit::Success)
}
