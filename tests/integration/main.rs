//! The integration tests: one binary, one module per area.
mod fmt;
mod lsp;
mod syntax;
