//! pipesim: a declarative scenario language and a discrete-event simulator for AI-ops
//! pipelines. See ARCHITECTURE.md for the map of modules and how data flows through them.
//!
//! text → [`syntax`] (pest) → [`syntax::ast`] → [`loader`] (imports) → [`analysis`] → [`ir`]
//! → [`sim`] (one replication) → [`experiment`] (replications, sweeps) → [`output`]

// `print!` and `eprint!` panic when a pipe's reader has gone: output goes through `console`.
#![cfg_attr(not(test), deny(clippy::print_stdout, clippy::print_stderr))]

pub mod analysis;
pub mod cli;
pub mod commands;
pub mod console;
pub mod diagnostic;
pub mod experiment;
pub mod fit;
pub mod format;
pub mod frontend;
pub mod interrupt;
pub mod ir;
pub mod loader;
pub mod lsp;
pub mod math;
pub mod output;
pub mod precision;
pub mod progress;
pub mod quickfix;
pub mod sim;
pub mod source;
pub mod stats;
pub mod syntax;
pub mod workspace;
