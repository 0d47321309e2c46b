//! `pipesim export RUN_DIR --influx URL ...`: sends a saved run's traces to InfluxDB.
//!
//! The run directory is only read. Exit 0 when every point was accepted; exit 2 when the
//! options, the run directory or the server are at fault, naming the points not sent so the
//! user knows the export can simply be repeated, and when there was nothing to send (a run
//! with `--trace none`, or traces without rows).

use crate::cli::{Exit, ExportArgs};
use crate::output::influx::{self, SendReport};

pub fn main(args: &ExportArgs) -> Exit {
    if args.influx.influx.is_none() {
        return super::fail(
            "`pipesim export` needs `--influx URL` and either `--influx-org ORG --influx-bucket \
             BUCKET` (v2 API) or `--influx-db DB` (v1 API)",
        );
    }
    if let Some(note) = crate::output::manifest::interrupted_note(&args.run_dir) {
        // Its traces are still parts; a database is better without half a run in it.
        return super::fail(format!("{note}; then export it"));
    }
    // A run without traces would send nothing and exit 0: a CI export step would pass having
    // exported nothing. Said before connecting, so that no server is needed to learn it.
    if let Ok(manifest) = crate::output::manifest::Manifest::read(&args.run_dir) {
        if manifest.trace == "none" {
            return super::fail(format!(
                "`{}` has no traces to send: it was run with `--trace none`; run the scenario \
                 again with `--trace first` (the default) or `--trace all`, then export that run",
                args.run_dir.display()
            ));
        }
    }
    let report = match influx::send_run(&args.run_dir, &args.influx) {
        Ok(report) => report,
        Err(e) => return super::fail(e),
    };
    crate::to_stderr!("{report}");
    if report.complete() && report.total_sent() == 0 {
        super::fail(format!(
            "sent nothing: the traces of `{}` hold no rows (no pipeline arrived in the traced \
             replications)",
            args.run_dir.display()
        ))
    } else if report.complete() {
        Exit::Success
    } else {
        super::fail(format!(
            "{} points were not sent ({}); the run directory is unchanged: once the server is \
             back (or the problem above is fixed), run `{}` again",
            report.total_not_sent(),
            influx::format_counts(&report.not_sent),
            SendReport::export_command(&args.run_dir, &args.influx)
        ))
    }
}
