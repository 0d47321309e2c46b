//! `pipesim graph`.

use crate::cli::{Exit, GraphArgs};

pub fn main(args: &GraphArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim graph` is not implemented yet")
}
