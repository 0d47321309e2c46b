//! The integration tests: one binary, one module per area.
mod fit;
mod syntax;
