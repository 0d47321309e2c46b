//! Ctrl-C (or SIGTERM, SIGHUP) during `pipesim run` and `pipesim resume`: the first stops the
//! run within milliseconds (replications in progress are abandoned: they run again on
//! resume) and saves every finished replication as an interrupted run directory, which
//! `pipesim resume` completes; the second quits at once, removing the unfinished run's
//! temporary directory (unless the save has begun: then it waits for it). Results already
//! computed are never thrown away by a single Ctrl-C, and a batch scheduler's SIGTERM leaves
//! time to save them before its SIGKILL.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();
/// The temporary directory of the run in progress, which a second Ctrl-C removes.
static SCRATCH: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Routes the process's interrupt signals to [`flag`]. Call before a run starts; later
/// calls do nothing. If the handler cannot be installed, signals keep their default effect.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                // Waits while a save holds the lock; after it, there is nothing to remove.
                if let Ok(scratch) = SCRATCH.lock() {
                    if let Some(dir) = scratch.as_ref() {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                }
                crate::to_stderr!("\nstopped; replications not yet saved are lost");
                std::process::exit(130);
            }
            crate::to_stderr!(
                "\ninterrupted: saving every finished replication (those in progress will run \
                 again on resume; press Ctrl-C again to quit without saving)"
            );
        });
    });
}

/// Names the temporary directory a second Ctrl-C should remove.
pub fn discard_on_quit(dir: PathBuf) {
    if let Ok(mut scratch) = SCRATCH.lock() {
        *scratch = Some(dir);
    }
}

/// Held while a run is saved, so that a second Ctrl-C waits for the save instead of
/// removing the directory under it; set it to `None` once the directory has its final name.
pub fn saving() -> Option<MutexGuard<'static, Option<PathBuf>>> {
    SCRATCH.lock().ok()
}

/// The flag a run polls before each replication and during it.
pub fn flag() -> &'static AtomicBool {
    &REQUESTED
}
