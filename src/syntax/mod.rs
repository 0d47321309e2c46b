//! The syntax layer: text to an untyped, spanned syntax tree ([`ast`]).
//!
//! Architecture invariant: the only module that touches pest types, and it knows nothing about
//! simulation. Parsing never panics and never exhausts the stack, whatever the input; on a
//! syntax error it reports a diagnostic with readable names for what was expected, and keeps
//! going at the next declaration so that one run shows as many errors as it can.
//!
//! The stages: [`scan`] (a lexical pass: comments, unterminated strings and comments,
//! bracket depth), [`parser`] (pest, item by item), [`lower`] (pairs to [`ast`]), [`errors`]
//! (pest errors to diagnostics). The grammar is `grammar/pipesim.pest`.

pub mod ast;
mod errors;
pub use errors::{is_range, range_help};
mod lower;
mod parser;
mod scan;

#[cfg(test)]
mod tests;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

pub use lower::MAX_DEPTH;
pub use scan::MAX_NESTING;

/// The stable codes of syntax diagnostics.
pub mod codes {
    /// A token the grammar does not allow where it is.
    pub const UNEXPECTED: &str = "E0001";
    pub const UNTERMINATED_STRING: &str = "E0002";
    pub const UNTERMINATED_COMMENT: &str = "E0003";
    /// A `{`, `(` or `[` whose closing bracket is missing.
    pub const UNCLOSED: &str = "E0004";
    pub const TOO_DEEP: &str = "E0005";
    pub const NUMBER_OUT_OF_RANGE: &str = "E0006";
    /// A second value after a complete attribute value: `capacity = 64 64`.
    pub const VALUE_AFTER_VALUE: &str = "E0007";
    pub const UNKNOWN_ESCAPE: &str = "E0008";
    /// A closing bracket that closes nothing, or not the innermost open bracket.
    pub const UNMATCHED_CLOSER: &str = "E0009";
    /// `--set` without `PATH=VALUE` (reported by `frontend::parse_override`).
    pub const BAD_OVERRIDE: &str = "E0010";
}

/// Every syntax diagnostic code with a one-line description.
pub const CODES: &[(&str, &str)] = &[
    (
        codes::UNEXPECTED,
        "a token that the grammar does not allow where it is",
    ),
    (
        codes::UNTERMINATED_STRING,
        "a string without its closing quote on the same line",
    ),
    (
        codes::UNTERMINATED_COMMENT,
        "a block comment without its closing `*/`",
    ),
    (codes::UNCLOSED, "a `{`, `(` or `[` that is never closed"),
    (
        codes::TOO_DEEP,
        "brackets or expressions nested too deeply to read",
    ),
    (
        codes::NUMBER_OUT_OF_RANGE,
        "a number too large for a 64-bit float",
    ),
    (
        codes::VALUE_AFTER_VALUE,
        "a second value after an attribute's complete value",
    ),
    (
        codes::UNKNOWN_ESCAPE,
        "an escape other than `\\\"` and `\\\\` in a string",
    ),
    (
        codes::UNMATCHED_CLOSER,
        "a closing bracket that matches no open bracket",
    ),
    (
        codes::BAD_OVERRIDE,
        "a `--set` option that is not `PATH=VALUE`",
    ),
];

/// Parses one file. Returns the items it could read and every syntax error found.
pub fn parse_file(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    parser::parse_file(file, text)
}

/// Parses a lone expression, such as the value of `--set gpu.capacity=16`. Surrounding
/// whitespace is allowed.
pub fn parse_expr(file: FileId, text: &str) -> Result<ast::Expr, Vec<Diagnostic>> {
    parser::parse_expr(file, text)
}
