//! Ctrl-C (or SIGTERM, SIGHUP) during `pipesim run` and `pipesim resume`: the first asks the
//! run to stop starting replications, finish the ones in progress and save every finished
//! one as an interrupted run directory (which `pipesim resume` completes); the second quits
//! at once. Results already computed are never thrown away by a single Ctrl-C.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Routes the process's interrupt signals to [`requested`]. Call before a run starts; later
/// calls do nothing. If the handler cannot be installed, signals keep their default effect.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                eprintln!("\nstopped; replications not yet saved are lost");
                std::process::exit(130);
            }
            eprintln!(
                "\ninterrupted: finishing the replications in progress, then saving every \
                 finished one (press Ctrl-C again to quit now and lose them)"
            );
        });
    });
}

/// The flag a run polls before starting each replication.
pub fn flag() -> &'static AtomicBool {
    &REQUESTED
}
