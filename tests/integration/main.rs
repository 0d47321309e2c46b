//! The integration tests: one binary, one module per area.
mod check;
mod engine;
mod fmt;
mod influx;
mod report;
mod run;
mod syntax;
