//! Writing to the terminal's two streams without the panics of `print!` and `eprint!`.
//!
//! `print!` and `eprint!` panic when the write fails, and a write fails whenever the reader
//! of a pipe has gone: `pipesim run FILE 2>&1 | head` would end in a panic (exit 101)
//! after the run had been saved. Everything pipesim prints goes through this module.

use std::fmt::Display;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set when writing to standard output failed for a reason other than a reader that has
/// gone; `cli::run` then makes the exit code 2.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to standard output, as `print!` would, without its panic. A reader that
/// has gone (`pipesim graph FILE | head -1`) ends the output quietly, as a writer to a
/// closed pipe ends in other tools (by SIGPIPE, which Rust programs ignore); another
/// failure (a full disk) is said on stderr, once, and the command's exit code becomes 2.
pub fn print_out(text: impl Display) {
    let mut stdout = std::io::stdout().lock();
    let written = write!(stdout, "{text}").and_then(|()| stdout.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            if !STDOUT_FAILED.swap(true, Ordering::Relaxed) {
                print_err(format_args!(
                    "error: cannot write to standard output: {e}\n"
                ));
            }
        }
    }
}

/// Whether [`print_out`] failed (a reader that went is not a failure).
pub fn stdout_failed() -> bool {
    STDOUT_FAILED.load(Ordering::Relaxed)
}

/// Writes `text` to standard error, as `eprint!` would, without its panic. A failure is
/// dropped: stderr is where pipesim would say so, and what stderr carries (diagnostics,
/// notes, where a run was saved) never decides the exit code, which still tells the result.
pub fn print_err(text: impl Display) {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "{text}");
}

/// `eprintln!` through [`print_err`]: a line on standard error that cannot panic.
#[macro_export]
macro_rules! to_stderr {
    ($($arg:tt)*) => {
        $crate::console::print_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}
