//! `pipesim fmt`.

use crate::cli::{Exit, FmtArgs};

pub fn main(args: &FmtArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim fmt` is not implemented yet")
}
