//! `pipesim lsp`: the language server on stdio.

use crate::cli::Exit;

pub fn main() -> Exit {
    super::fail("`pipesim lsp` is not implemented yet")
}
