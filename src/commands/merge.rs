//! `pipesim merge`.

use crate::cli::{MergeArgs, Exit};

pub fn main(args: &MergeArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim merge` is not implemented yet")
}
