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
    crate::to_stderr!("error: {message}");
    Exit::UsageOrIo
}

pub use crate::console::{print_out, stdout_failed};
