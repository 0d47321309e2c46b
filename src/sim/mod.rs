//! The discrete-event engine: runs one replication of one IR scenario.
//!
//! Architecture invariants: no I/O, no names, no spans. One replication is a pure function of
//! the IR and the replication index (its seed is derived from `scenario.seed`), so replications
//! can run on any thread in any order and give the same bytes.
//!
//! Modules by concern: [`calendar`] (event order), [`rng`] (random streams), [`eval`]
//! (expressions and distributions), [`compiled`] (the same, compiled for the hot paths), [`pool`] and [`link`] (resources), [`arrivals`]
//! (interarrival processes, profiles, replay), [`model`] (deployed models), [`metrics`]
//! (the contract's metric list), [`batches`] (waits by arrival time) and [`engine`] (the event loop tying them together).

pub mod arrivals;
pub mod batches;
pub mod calendar;
pub mod compiled;
pub mod engine;
pub mod eval;
pub mod link;
pub mod metrics;
pub mod model;
pub mod pool;
pub mod rng;
pub mod sample;
pub mod trace;

use crate::ir;

/// What one replication measured: metric name and value, in the order of the output contract.
/// A value is NaN where it is undefined (a mean over no pipelines).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplicationResult {
    pub metrics: Vec<(String, f64)>,
    /// Completed pipelines' waits by arrival time, for the warm-up check.
    pub wait_batches: batches::WaitBatches,
}

impl ReplicationResult {
    /// The value of metric `name`, if the replication reports it.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(metric, _)| metric == name)
            .map(|(_, value)| *value)
    }
}

/// Runs replication `replication` of `scenario`, streaming trace rows into `sink`.
pub fn run_replication(
    scenario: &ir::Scenario,
    replication: u32,
    sink: &mut dyn trace::TraceSink,
) -> ReplicationResult {
    let never = std::sync::atomic::AtomicBool::new(false);
    let control = Control {
        stop: &never,
        max_live: u32::MAX,
        progress: None,
    };
    engine::run(scenario, replication, sink, &control)
        .expect("a replication that is never stopped and has no limit ends")
}

pub use engine::{Abandoned, Control, Overfull, PROGRESS_TICKS};

/// [`run_replication`], abandoned soon after `control.stop` is set (Ctrl-C during a long
/// replication), or once more than `control.max_live` pipelines are in the system at once
/// (an overloaded scenario, whose queue would otherwise take all memory). The result of a
/// replication that ends is the same whatever `control` holds.
pub fn run_replication_until(
    scenario: &ir::Scenario,
    replication: u32,
    sink: &mut dyn trace::TraceSink,
    control: &Control,
) -> Result<ReplicationResult, Abandoned> {
    engine::run(scenario, replication, sink, control)
}
