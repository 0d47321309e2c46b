//! Trace rows the engine emits while it runs, and the sink they stream into.
//!
//! Rows carry ids, never names: the output layer maps ids to names through the IR. A sink
//! must not hold rows in memory without bound; the CSV and InfluxDB writers stream them out.

use crate::ir::{PipelineId, ResourceId, StepIdx, StepKind};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Completed,
    Rejected,
    /// Still running or waiting when the run stopped.
    Unfinished,
}

/// One pipeline instance, emitted when it ends (or when the run stops, as unfinished).
#[derive(Clone, Debug, Serialize)]
pub struct PipelineRow {
    pub replication: u32,
    /// Unique within a replication, in arrival order, from 0.
    pub id: u64,
    pub template: PipelineId,
    pub arrival: f64,
    /// When its first step started service (NaN if none did).
    pub start: f64,
    /// When it ended (NaN if unfinished).
    pub end: f64,
    /// Sum of its steps' queueing times.
    pub wait: f64,
    /// end - arrival (NaN if unfinished).
    pub makespan: f64,
    pub outcome: Outcome,
}

/// One step execution, emitted when it ends (skipped steps are not emitted).
#[derive(Clone, Debug, Serialize)]
pub struct StepRow {
    pub replication: u32,
    pub pipeline_id: u64,
    pub template: PipelineId,
    pub step: StepIdx,
    pub kind: StepKind,
    /// The pool it ran on (None for a pure transfer).
    pub resource: Option<ResourceId>,
    pub units: u32,
    /// When its dependencies were done.
    pub ready: f64,
    /// When it got its slots.
    pub start: f64,
    pub end: f64,
    /// Time queued for the pool (start - time it joined the queue).
    pub wait: f64,
    /// Seconds of service (end - start).
    pub service: f64,
    /// Bytes read plus bytes written.
    pub bytes: f64,
}

/// A pool's state after a change (emitted whenever busy, capacity or queue length changes).
#[derive(Clone, Debug, Serialize)]
pub struct ResourceRow {
    pub replication: u32,
    pub time: f64,
    pub resource: ResourceId,
    pub busy: u32,
    pub capacity: u32,
    pub queue: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Read,
    Write,
}

/// One transfer on a link, emitted when it completes.
#[derive(Clone, Debug, Serialize)]
pub struct LinkRow {
    pub replication: u32,
    pub link: ResourceId,
    pub pipeline_id: u64,
    pub template: PipelineId,
    pub step: StepIdx,
    pub direction: Direction,
    pub start: f64,
    pub end: f64,
    pub bytes: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelEvent {
    /// A new version went live.
    Deployed,
    /// A sudden drop of accuracy.
    Dropped,
    /// A monitor found it failing its condition.
    Stale,
    /// A monitor triggered a retraining run.
    Retrain,
    /// Replaced by a newer version.
    Replaced,
    /// Its `lifetime` is over: no longer live, monitored or retrained.
    Retired,
}

/// A time-stamped event in a deployed model's life.
#[derive(Clone, Debug, Serialize)]
pub struct ModelRow {
    pub replication: u32,
    pub time: f64,
    /// The model's identity, stable across its versions (unique within a replication).
    pub model: u64,
    pub template: PipelineId,
    pub version: u32,
    pub event: ModelEvent,
    pub accuracy: f64,
    /// The pipeline instance involved (the one that deployed it, or that a retrain started).
    pub pipeline_id: u64,
}

/// A pipeline trigger.
#[derive(Clone, Debug, Serialize)]
pub struct ArrivalRow {
    pub replication: u32,
    pub time: f64,
    /// Index of the `arrivals` declaration in the IR (or u32::MAX for a monitor's retrain).
    pub source: u32,
    pub pipeline_id: u64,
    pub template: PipelineId,
}

/// Where trace rows go. Every method has a no-op default so a sink takes only what it wants.
pub trait TraceSink {
    fn pipeline(&mut self, _row: &PipelineRow) {}
    fn step(&mut self, _row: &StepRow) {}
    fn resource(&mut self, _row: &ResourceRow) {}
    fn link(&mut self, _row: &LinkRow) {}
    fn model(&mut self, _row: &ModelRow) {}
    fn arrival(&mut self, _row: &ArrivalRow) {}
    /// Whether the engine should build rows at all; false lets it skip the work.
    fn enabled(&self) -> bool {
        true
    }
}

/// Discards everything (`--trace none`, and replications other than the first).
pub struct NullSink;

impl TraceSink for NullSink {
    fn enabled(&self) -> bool {
        false
    }
}
