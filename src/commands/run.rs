//! `pipesim run`.

use crate::cli::{Exit, RunArgs};

pub fn main(args: &RunArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim run` is not implemented yet")
}
