//! The integration tests: one binary, one module per area.
mod cautions;
mod check;
mod content;
mod engine;
mod fit;
mod fmt;
mod generated;
mod influx;
mod load;
mod lsp;
mod models;
mod mutated;
mod quickfix;
mod report;
mod run;
mod syntax;
