//! `pipesim fit`.

use crate::cli::{FitArgs, Exit};

pub fn main(args: &FitArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim fit` is not implemented yet")
}
