//! The integration tests: one binary, one module per area.
mod engine;
mod fit;
mod syntax;
