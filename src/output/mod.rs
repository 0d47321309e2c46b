//! Outputs: the run directory (summary, manifest, scenario copies, CSV traces), the console
//! table, and the other sinks. With `cli`, the only places that do I/O.

pub mod influx;
pub mod report;
