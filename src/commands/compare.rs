//! `pipesim compare`.

use crate::cli::{CompareArgs, Exit};

pub fn main(args: &CompareArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim compare` is not implemented yet")
}
