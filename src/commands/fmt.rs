//! `pipesim fmt FILE... [--check]`: rewrites each file (a folder: each `.pipesim` file under
//! it) in the canonical layout of [`crate::format`].
//!
//! A file with syntax errors is reported and left untouched. Without `--check` a file that
//! changes is written to a temporary file beside it and renamed over it, so an interrupted
//! run never leaves half a file. With `--check` nothing is written; the files that would
//! change are named on stdout. `-` formats standard input to standard output.
//!
//! Exit codes: 0 when every file was already formatted or has been rewritten; 1 when a file
//! has syntax errors or (with `--check`) would change; 2 when a file cannot be read or written.

use crate::cli::{Exit, FmtArgs};
use crate::diagnostic::Diagnostic;
use crate::format;
use crate::frontend;
use crate::source::{Origin, SourceMap};
use std::io::Read;
use std::path::Path;

/// What happened to one file.
enum Outcome {
    Unchanged,
    Changed,
    SyntaxErrors,
}

pub fn main(args: &FmtArgs) -> Exit {
    let mut exit = Exit::Success;
    let mut worse = |candidate: Exit| {
        if candidate as u8 > exit as u8 {
            exit = candidate;
        }
    };
    let files = match crate::workspace::expand(&args.files) {
        Ok(files) => files,
        Err(message) => {
            crate::to_stderr!("error: {message}");
            return Exit::UsageOrIo;
        }
    };
    for path in &files {
        let result = if path.as_os_str() == "-" {
            stdin_to_stdout(args.check)
        } else {
            format_path(path, args.check)
        };
        match result {
            Ok(Outcome::Unchanged) => {}
            Ok(Outcome::Changed) => {
                if args.check {
                    super::print_out(format_args!("{}\n", path.display()));
                    worse(Exit::ScenarioErrors);
                }
            }
            Ok(Outcome::SyntaxErrors) => worse(Exit::ScenarioErrors),
            Err(message) => {
                crate::to_stderr!("error: {message}");
                worse(Exit::UsageOrIo);
            }
        }
    }
    exit
}

/// Formats `text`, printing its syntax errors (named `name`) if it has any.
fn format_text(name: &str, origin: Origin, text: &str) -> Result<String, Vec<Diagnostic>> {
    let mut sources = SourceMap::new();
    let file = sources.add(name, origin, text.to_string());
    format::format_source(file, text).inspect_err(|diagnostics| {
        frontend::print_diagnostics(&sources, diagnostics);
    })
}

fn format_path(path: &Path, check: bool) -> Result<Outcome, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let origin = Origin::Disk {
        shown: path.to_path_buf(),
        canonical: path.to_path_buf(),
    };
    let Ok(formatted) = format_text(&path.display().to_string(), origin, &text) else {
        crate::to_stderr!("{}: not formatted because of syntax errors", path.display());
        return Ok(Outcome::SyntaxErrors);
    };
    if formatted == text {
        return Ok(Outcome::Unchanged);
    }
    if !check {
        crate::output::write_atomically(path, formatted.as_bytes())
            .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
        crate::to_stderr!("formatted {}", path.display());
    }
    Ok(Outcome::Changed)
}

fn stdin_to_stdout(check: bool) -> Result<Outcome, String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    let Ok(formatted) = format_text("<stdin>", Origin::Inline, &text) else {
        return Ok(Outcome::SyntaxErrors);
    };
    if !check {
        super::print_out(&formatted);
    }
    Ok(if formatted == text {
        Outcome::Unchanged
    } else {
        Outcome::Changed
    })
}
