//! `pipesim fmt`.

use crate::cli::{FmtArgs, Exit};

pub fn main(args: &FmtArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim fmt` is not implemented yet")
}
