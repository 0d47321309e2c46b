//! `pipesim graph`.

use crate::cli::{GraphArgs, Exit};

pub fn main(args: &GraphArgs) -> Exit {
    let _ = args;
    super::fail("`pipesim graph` is not implemented yet")
}
