//! `pipesim fit`.

use crate::cli::{Exit, FitArgs};

pub fn main(args: &FitArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim fit` is not implemented yet")
}
