//! `pipesim check FILE... [--set PATH=VALUE]`: every diagnostic of every file (as a report,
//! JSON, or GitHub Actions annotations), then exit 0 (no errors), 1 (a scenario has errors)
//! or 2 (a file could not be read at all).

use crate::cli::{CheckArgs, DiagnosticFormat, Exit};
use crate::diagnostic;
use crate::frontend;

pub fn main(args: &CheckArgs) -> Exit {
    let mut any_errors = false;
    let mut unreadable = false;
    let mut json = Vec::new();
    for file in &args.files {
        let checked = frontend::check_file(file, &args.set);
        let diagnostics = &checked.diagnostics().0;
        any_errors |= checked.has_errors();
        // The loader yields no module only when the entry file itself cannot be read: an
        // I/O error (exit 2), not a mistake in a scenario.
        unreadable |= checked.program.modules.is_empty();
        match args.format {
            DiagnosticFormat::Human => {
                frontend::print_diagnostics(&checked.sources, diagnostics);
                if diagnostics.is_empty() {
                    eprintln!("{}: ok", file.display());
                }
            }
            DiagnosticFormat::Json => {
                json.extend(diagnostic::to_json(&checked.sources, diagnostics));
            }
            DiagnosticFormat::Github => {
                print!("{}", diagnostic::to_github(&checked.sources, diagnostics));
            }
        }
    }
    if args.format == DiagnosticFormat::Json {
        match serde_json::to_string_pretty(&json) {
            Ok(text) => println!("{text}"),
            Err(e) => return super::fail(e),
        }
    }
    if unreadable {
        Exit::UsageOrIo
    } else if any_errors {
        Exit::ScenarioErrors
    } else {
        Exit::Success
    }
}
