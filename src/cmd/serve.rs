//! `firmdedup serve`: the managers' check as a web page and an HTTP API (see [`crate::serve`]).

use crate::cli::ServeArgs;
use crate::cmd::{Exit, Refused};
use crate::dict::Dictionaries;
use crate::serve::{self, Options, ServeError};
use crate::state::StateError;

/// Runs `serve` until SIGTERM or Ctrl-C.
pub fn run(args: &ServeArgs, dict: Dictionaries) -> anyhow::Result<Exit> {
    let today = match &args.today {
        Some(_) => Some(crate::cmd::today(args.today.as_deref())?),
        None => None,
    };
    let opts = Options { state: args.state.clone(), listen: args.listen, today };
    match serve::serve(opts, dict) {
        Ok(()) => Ok(Exit::Success),
        Err(ServeError::State(
            e @ (StateError::Foreign(_)
            | StateError::Corrupt { .. }
            | StateError::Newer { .. }
            | StateError::Missing(_)
            | StateError::NoRun(_)),
        )) => Err(anyhow::Error::new(Refused(e.to_string()))),
        Err(e) => Err(anyhow::Error::new(e)),
    }
}
