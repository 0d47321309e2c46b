//! The discrete-event engine: runs one replication of one IR scenario.
//!
//! Architecture invariants: no I/O, no names, no spans. One replication is a pure function of
//! the IR and the replication index (its seed is derived from `scenario.seed`), so replications
//! can run on any thread in any order and give the same bytes.

pub mod trace;

use crate::ir;

/// What one replication measured: metric name and value, in the order of the output contract.
/// A value is NaN where it is undefined (a mean over no pipelines).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplicationResult {
    pub metrics: Vec<(String, f64)>,
}

/// Runs replication `replication` of `scenario`, streaming trace rows into `sink`.
pub fn run_replication(
    scenario: &ir::Scenario,
    replication: u32,
    sink: &mut dyn trace::TraceSink,
) -> ReplicationResult {
    let _ = (scenario, replication, sink);
    ReplicationResult::default()
}
