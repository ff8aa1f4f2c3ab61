//! The `firmdedup` command: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match firmdedup::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `check --json` with a bad value: an integration reading stdout gets JSON too.
            let args: Vec<String> = std::env::args().collect();
            if e.use_stderr() && args.iter().any(|a| a == "check") && args.iter().any(|a| a == "--json") {
                let msg = e.to_string();
                // A closed stdout here is no worse than the usage error itself.
                let _ = firmdedup::cmd::say(&serde_json::json!({ "error": msg.trim(), "refused": false }).to_string());
            }
            e.exit();
        }
    };
    match firmdedup::cmd::run(cli) {
        Ok(code) => code.into(),
        Err(err) => {
            let code = firmdedup::cmd::exit_code_of(&err);
            if firmdedup::cmd::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let mut msg = format!("firmdedup: error: {err}");
            for cause in err.chain().skip(1) {
                msg.push_str(&format!("\n  caused by: {cause}"));
            }
            // Messages quote the data (headers, ids, values): no escape sequence of theirs reaches the terminal.
            eprintln!("{}", firmdedup::sanitize::terminal_lines(&msg));
            code.into()
        }
    }
}

// The matcher allocates many small strings; mimalloc is much faster at that than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
