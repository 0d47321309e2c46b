//! `pipesim merge`.

use crate::cli::{Exit, MergeArgs};

pub fn main(args: &MergeArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim merge` is not implemented yet")
}
