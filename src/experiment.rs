//! Experiments: sweep points × replications, run in parallel, results in work-list order.
//!
//! The work list is every (sweep point, replication) pair, point-major: point 0's
//! replications 0..R, then point 1's, and so on. Sweep points are the cartesian product of
//! the experiment's `sweep` lines in source order, the first line varying slowest (as nested
//! loops written in that order). Each point's IR is `analysis::analyze(program, cli overrides
//! + the point's overrides)`.
//!
//! Invariants:
//! - A replication is a pure call of [`sim::run_replication`] on its point's IR and its
//!   replication index; the engine derives its seed from `scenario.seed` and that index only,
//!   so replication `r` samples the same workload at every point (common random numbers).
//! - Results are collected by work-list position, so nothing a caller sees depends on the
//!   number of threads or the order in which replications finish.
//! - No file I/O here: traces go to whatever [`TraceFactory`] the caller gives.

use crate::analysis::{self, Override, SweepAxis};
use crate::diagnostic::Diagnostics;
use crate::frontend::{self, Checked};
use crate::ir;
use crate::sim::{self, trace::TraceSink, ReplicationResult};
use crate::source::SourceMap;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::ops::Range;
use std::sync::Once;
use std::time::{Duration, Instant};

/// The JSON form of a point's coordinates: sweep path → value (numbers in base units, labels
/// and policies as strings), in sweep order. Empty without sweeps.
pub type Params = serde_json::Map<String, serde_json::Value>;

/// One sweep point: its coordinates and its lowered scenario.
#[derive(Clone, Debug)]
pub struct Point {
    pub params: Params,
    pub scenario: ir::Scenario,
}

/// Everything a run needs: the points, and the replications each gets.
#[derive(Clone, Debug)]
pub struct Plan {
    pub points: Vec<Point>,
    pub replications: u32,
    /// The experiment's confidence level, for intervals.
    pub confidence: f64,
    /// Name and seed, as summary.json reports them (the base scenario's).
    pub scenario_name: String,
    pub seed: u64,
    /// The experiment's chosen metrics, what the console table shows first.
    pub metrics: Vec<String>,
}

impl Plan {
    /// Every (point, replication) pair, point-major.
    pub fn work_list(&self) -> Vec<WorkItem> {
        work_list(self.points.len(), self.replications)
    }
}

/// One replication of one sweep point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkItem {
    pub point: usize,
    pub replication: u32,
}

/// Every (point, replication) pair, point-major.
pub fn work_list(points: usize, replications: u32) -> Vec<WorkItem> {
    (0..points)
        .flat_map(|point| (0..replications).map(move |replication| WorkItem { point, replication }))
        .collect()
}

/// The coordinates of every sweep point, as an index into each axis's values, in order: the
/// cartesian product with the first axis varying slowest. One empty point without axes.
pub fn sweep_coordinates(axes: &[SweepAxis]) -> Vec<Vec<usize>> {
    let mut points = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|prefix| {
                (0..axis.values.len()).map(move |value| {
                    let mut point = prefix.clone();
                    point.push(value);
                    point
                })
            })
            .collect();
    }
    points
}

/// A slice of the work list for `--shard K/N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// K, from 1.
    pub index: usize,
    /// N.
    pub count: usize,
}

impl Shard {
    /// Parses `K/N` with `1 <= K <= N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let usage = || {
            format!(
                "expected `--shard K/N` with 1 <= K <= N, such as `--shard 2/8`, found `{text}`"
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(usage)?;
        let index: usize = k.trim().parse().map_err(|_| usage())?;
        let count: usize = n.trim().parse().map_err(|_| usage())?;
        if index == 0 || count == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }

    /// The positions of the work list this shard runs: contiguous slices, shard K taking
    /// `[(K-1)·total/N, K·total/N)`. Contiguous (rather than every N-th item) so that the
    /// shards' traces, concatenated in shard order, are the unsharded run's traces. Slices
    /// differ in length by at most one; with more shards than items some are empty.
    pub fn range(self, total: usize) -> Range<usize> {
        let start = (self.index - 1) * total / self.count;
        let end = self.index * total / self.count;
        start..end
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Why a plan could not be made: diagnostics of a sweep point (with the sources they point
/// into), or a plain message.
pub enum PlanError {
    Diagnostics(SourceMap, Diagnostics),
    Message(String),
}

/// Lowers every sweep point of a checked scenario. `cli_overrides` are the `--set` texts
/// (including `scenario.seed=N` for `--seed`) the scenario was checked with; `replications`
/// is `--replications`.
pub fn plan(
    checked: &Checked,
    cli_overrides: &[String],
    replications: Option<u32>,
) -> Result<Plan, PlanError> {
    let Some(base) = checked.analysis.scenario.as_ref() else {
        return Err(PlanError::Message(
            "the file has no `scenario` block, so there is nothing to run".to_string(),
        ));
    };
    let axes = &checked.analysis.sweeps;
    let mut points = Vec::new();
    if axes.is_empty() {
        points.push(Point {
            params: Params::new(),
            scenario: base.clone(),
        });
    } else {
        let mut sources = checked.sources.clone();
        let mut overrides = Vec::new();
        let mut diagnostics = Diagnostics::default();
        for text in cli_overrides {
            match frontend::parse_override(&mut sources, text) {
                Ok(o) => overrides.push(o),
                Err(d) => diagnostics.push(d),
            }
        }
        for coordinates in sweep_coordinates(axes) {
            let mut point_overrides = overrides.clone();
            let mut params = Params::new();
            for (axis, &value) in axes.iter().zip(&coordinates) {
                let (expr, json) = &axis.values[value];
                point_overrides.push(Override {
                    path: axis.path.clone(),
                    value: expr.clone(),
                });
                params.insert(axis.path.clone(), json.clone());
            }
            let analysis = analysis::analyze(&sources, &checked.program, &point_overrides);
            // Warnings were shown once for the base scenario; a point only adds errors.
            diagnostics
                .0
                .extend(analysis.diagnostics.0.into_iter().filter(|d| d.is_error()));
            match analysis.scenario {
                Some(scenario) => points.push(Point { params, scenario }),
                None if !diagnostics.has_errors() => {
                    return Err(PlanError::Message(format!(
                        "sweep point {} could not be lowered",
                        serde_json::Value::Object(params)
                    )))
                }
                None => {}
            }
        }
        if diagnostics.has_errors() {
            diagnostics.sort();
            return Err(PlanError::Diagnostics(sources, diagnostics));
        }
    }
    let replications = replications.unwrap_or(base.experiment.replications);
    if replications == 0 {
        return Err(PlanError::Message(
            "`--replications 0` runs nothing; give at least 1".to_string(),
        ));
    }
    Ok(Plan {
        points,
        replications,
        confidence: base.experiment.confidence,
        scenario_name: base.name.clone(),
        seed: base.seed,
        metrics: base.experiment.metrics.clone(),
    })
}

/// Where the trace rows of a replication go. `open` is called on the worker thread that runs
/// the replication; `None` means the replication keeps no trace.
pub trait TraceFactory: Sync {
    type Sink: TraceSink;
    /// `position` is the item's index in the list given to [`run`].
    fn open(
        &self,
        position: usize,
        item: WorkItem,
        scenario: &ir::Scenario,
    ) -> std::io::Result<Option<Self::Sink>>;
    /// Flushes a sink after its replication ended.
    fn close(&self, sink: Self::Sink) -> std::io::Result<()>;
}

/// A factory that keeps no traces.
pub struct NoTraces;

impl TraceFactory for NoTraces {
    type Sink = sim::trace::NullSink;
    fn open(&self, _: usize, _: WorkItem, _: &ir::Scenario) -> std::io::Result<Option<Self::Sink>> {
        Ok(None)
    }
    fn close(&self, _: Self::Sink) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `items` of `plan` on `jobs` threads (all cores when `None`) and returns their results
/// in the order of `items`.
pub fn run<F: TraceFactory>(
    plan: &Plan,
    items: &[WorkItem],
    jobs: Option<usize>,
    traces: &F,
) -> Result<Vec<ReplicationResult>, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let progress = Progress::new(items.len());
    let results: Vec<std::io::Result<ReplicationResult>> = pool.install(|| {
        items
            .par_iter()
            .enumerate()
            .map(|(position, &item)| {
                let scenario = &plan.points[item.point].scenario;
                let result = match traces.open(position, item, scenario)? {
                    Some(mut sink) => {
                        let result = sim::run_replication(scenario, item.replication, &mut sink);
                        traces.close(sink)?;
                        result
                    }
                    None => {
                        sim::run_replication(scenario, item.replication, &mut sim::trace::NullSink)
                    }
                };
                progress.advance();
                Ok(result)
            })
            .collect()
    });
    progress.finish();
    results
        .into_iter()
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| format!("cannot write traces: {e}"))
}

/// A progress bar on stderr that appears only once a run has taken more than a second, and
/// never when stderr is not a terminal (logs and tests stay clean).
struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: Once,
    terminal: bool,
}

impl Progress {
    const DELAY: Duration = Duration::from_secs(1);

    fn new(total: usize) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} replications, {elapsed} elapsed, about {eta} left",
        ) {
            bar.set_style(style);
        }
        Progress {
            bar,
            started: Instant::now(),
            shown: Once::new(),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn advance(&self) {
        if self.terminal && self.started.elapsed() > Self::DELAY {
            self.shown
                .call_once(|| self.bar.set_draw_target(ProgressDrawTarget::stderr()));
        }
        self.bar.inc(1);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(path: &str, n: usize) -> SweepAxis {
        let file = crate::source::FileId(0);
        let span = crate::source::Span::new(file, 0, 0);
        SweepAxis {
            path: path.to_string(),
            values: (0..n)
                .map(|i| {
                    (
                        crate::syntax::ast::Expr {
                            kind: crate::syntax::ast::ExprKind::Number(i as f64),
                            span,
                        },
                        serde_json::json!(i),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn sweep_points_are_the_cartesian_product_first_axis_slowest() {
        let points = sweep_coordinates(&[axis("gpu.capacity", 3), axis("triggers.growth", 2)]);
        assert_eq!(
            points,
            vec![
                vec![0, 0],
                vec![0, 1],
                vec![1, 0],
                vec![1, 1],
                vec![2, 0],
                vec![2, 1]
            ]
        );
        assert_eq!(sweep_coordinates(&[]), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn work_list_is_point_major() {
        let items = work_list(2, 3);
        let pairs: Vec<_> = items.iter().map(|i| (i.point, i.replication)).collect();
        assert_eq!(pairs, vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
    }

    #[test]
    fn shards_cover_the_work_list_once_in_order() {
        for total in [0, 1, 5, 7, 12, 100] {
            for count in 1..=9 {
                let mut next = 0;
                for index in 1..=count {
                    let range = Shard { index, count }.range(total);
                    assert_eq!(range.start, next, "total {total}, shard {index}/{count}");
                    assert!(range.len() <= total / count + 1);
                    next = range.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn shard_syntax_is_checked() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0", ""] {
            let message = Shard::parse(bad).unwrap_err();
            assert!(message.contains("--shard K/N"), "{message}");
        }
    }
}
