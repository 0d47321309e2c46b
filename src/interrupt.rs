//! Ctrl-C (or SIGTERM, SIGHUP) during `pipesim run` and `pipesim resume`: the first stops the
//! run within milliseconds (replications in progress are abandoned: they run again on
//! resume) and saves every finished replication as an interrupted run directory, which
//! `pipesim resume` completes; the second quits at once. Results already computed are never
//! thrown away by a single Ctrl-C, and a batch scheduler's SIGTERM leaves time to save them
//! before its SIGKILL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Routes the process's interrupt signals to [`flag`]. Call before a run starts; later
/// calls do nothing. If the handler cannot be installed, signals keep their default effect.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                eprintln!("\nstopped; replications not yet saved are lost");
                std::process::exit(130);
            }
            eprintln!(
                "\ninterrupted: saving every finished replication (those in progress will run \
                 again on resume; press Ctrl-C again to quit without saving)"
            );
        });
    });
}

/// The flag a run polls before each replication and during it.
pub fn flag() -> &'static AtomicBool {
    &REQUESTED
}
