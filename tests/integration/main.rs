//! The integration tests: one binary, one module per area.
mod engine;
mod influx;
mod report;
mod syntax;
