//! The `pipesim` binary: parse the command line, run the command, turn its outcome into the
//! exit code of the contract.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = pipesim::cli::Cli::parse();
    std::process::ExitCode::from(pipesim::cli::run(cli) as u8)
}
