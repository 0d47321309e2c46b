//! The integration tests: one binary, one module per area.
mod lsp;
mod syntax;
