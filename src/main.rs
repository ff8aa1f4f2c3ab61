//! The `firmdedup` command: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = firmdedup::cli::Cli::parse();
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
            eprintln!("{msg}");
            code.into()
        }
    }
}

// The matcher allocates many small strings; mimalloc is much faster at that than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
