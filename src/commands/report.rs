//! `pipesim report`.

use crate::cli::{Exit, ReportArgs};

pub fn main(args: &ReportArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim report` is not implemented yet")
}
