//! One module per subcommand: each turns validated arguments into work and an [`Exit`].
//!
//! [`Exit`]: crate::cli::Exit

pub mod check;
pub mod compare;
pub mod explain;
pub mod export;
pub mod fit;
pub mod fmt;
pub mod graph;
pub mod lsp;
pub mod merge;
pub mod report;
pub mod resume;
pub mod run;

use crate::cli::Exit;

/// Prints a usage or I/O error on stderr in the house style and returns exit code 2.
pub fn fail(message: impl std::fmt::Display) -> Exit {
    eprintln!("error: {message}");
    Exit::UsageOrIo
}

/// Set when writing to standard output failed for a reason other than a reader that has
/// gone; `cli::run` then makes the exit code 2.
static STDOUT_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes `text` to standard output, as `print!` would, without its panic. A reader that
/// has gone (`pipesim graph FILE | head -1`) ends the output quietly, as a writer to a
/// closed pipe ends in other tools (by SIGPIPE, which Rust programs ignore); another
/// failure (a full disk) is said on stderr, once, and the command's exit code becomes 2.
pub fn print_out(text: impl std::fmt::Display) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    let mut stdout = std::io::stdout().lock();
    let written = write!(stdout, "{text}").and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            if !STDOUT_FAILED.swap(true, Ordering::Relaxed) {
                eprintln!("error: cannot write to standard output: {e}");
            }
        }
    }
}

/// Whether [`print_out`] failed (a reader that went is not a failure).
pub fn stdout_failed() -> bool {
    STDOUT_FAILED.load(std::sync::atomic::Ordering::Relaxed)
}
