//! `pipesim report RUN_DIR [-o FILE.html]`: writes the run's HTML dashboard and prints its
//! path on stderr (stdout stays empty: the report is a file).

use crate::cli::{Exit, ReportArgs};
use crate::output::report;

pub fn main(args: &ReportArgs) -> Exit {
    if let Some(note) = crate::output::manifest::interrupted_note(&args.run_dir) {
        crate::to_stderr!("warning: {note}; the report shows the replications that did");
    }
    match report::write_report(&args.run_dir, args.output.as_deref()) {
        Ok(path) => {
            crate::to_stderr!("report written to {}", path.display());
            Exit::Success
        }
        Err(message) => super::fail(message),
    }
}
