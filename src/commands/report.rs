//! `pipesim report`.

use crate::cli::{ReportArgs, Exit};

pub fn main(args: &ReportArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim report` is not implemented yet")
}
