//! `pipesim export`.

use crate::cli::{Exit, ExportArgs};

pub fn main(args: &ExportArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim export` is not implemented yet")
}
