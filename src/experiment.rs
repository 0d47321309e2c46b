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
use crate::progress::{self, Progress};
use crate::sim::{self, trace::TraceSink, ReplicationResult};
use crate::source::SourceMap;
use rayon::prelude::*;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

/// The JSON form of a point's coordinates: sweep path → value (numbers in base units, labels
/// and policies as strings), in sweep order. Empty without sweeps.
pub type Params = serde_json::Map<String, serde_json::Value>;

/// One sweep point: its coordinates and its lowered scenario.
#[derive(Clone, Debug)]
pub struct Point {
    pub params: Params,
    /// The params as the scenario writes them (`1Gbps` where `params` has 125000000), for
    /// people: the console table, and through the manifest `compare` and the report.
    pub written: Params,
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
    /// `scenario.start` (RFC 3339), for the manifest.
    pub start_rfc3339: String,
    /// The experiment's chosen metrics, what the console table shows first.
    pub metrics: Vec<String>,
    /// The most pipelines a replication may hold at once (`--max-live`): beyond it the run
    /// stops rather than take all memory.
    pub max_live: u32,
}

/// Pipelines a replication may hold at once unless `--max-live` says otherwise: about 650 MB
/// for four steps a pipeline (the year benchmark on one CPU and one GPU holds 210,000 in
/// 137 MB), and far more than a platform that keeps up holds (the Philly replay's 400 GPUs,
/// the most loaded shipped point, hold about 20,000).
pub const DEFAULT_MAX_LIVE: u32 = 1_000_000;

impl Plan {
    /// Every (point, replication) pair, point-major.
    pub fn work_list(&self) -> Vec<WorkItem> {
        work_list(self.points.len(), self.replications)
    }
}

/// One replication of one sweep point.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
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
            written: Params::new(),
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
            let mut written = Params::new();
            for (axis, &value) in axes.iter().zip(&coordinates) {
                let (expr, json) = &axis.values[value];
                point_overrides.push(Override {
                    path: axis.path.clone(),
                    path_span: None,
                    value: expr.clone(),
                });
                params.insert(axis.path.clone(), json.clone());
                let text = sources.get(expr.span.file).slice(expr.span).trim();
                let shown = match json {
                    // A label as a string; a number as written, units and all.
                    serde_json::Value::Number(_) if !text.is_empty() => text.into(),
                    other => other.clone(),
                };
                written.insert(axis.path.clone(), shown);
            }
            let analysis = analysis::analyze(&sources, &checked.program, &point_overrides);
            // Warnings were shown once for the base scenario; a point only adds errors.
            diagnostics
                .0
                .extend(analysis.diagnostics.0.into_iter().filter(|d| d.is_error()));
            match analysis.scenario {
                Some(scenario) => points.push(Point {
                    params,
                    written,
                    scenario,
                }),
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
        start_rfc3339: base.start_rfc3339.clone(),
        metrics: base.experiment.metrics.clone(),
        max_live: DEFAULT_MAX_LIVE,
    })
}

/// Where the trace rows of a replication go. `open` is called on the worker thread that runs
/// the replication; `None` means the replication keeps no trace.
pub trait TraceFactory: Sync {
    type Sink: TraceSink;
    /// Whether `open` gives `item` a sink (its replication runs slower: see
    /// [`crate::progress`]).
    fn traces(&self, item: WorkItem) -> bool;
    fn open(&self, item: WorkItem, scenario: &ir::Scenario) -> std::io::Result<Option<Self::Sink>>;
    /// Flushes a sink after its replication ended.
    fn close(&self, sink: Self::Sink) -> std::io::Result<()>;
}

/// A factory that keeps no traces.
pub struct NoTraces;

impl TraceFactory for NoTraces {
    type Sink = sim::trace::NullSink;
    fn traces(&self, _: WorkItem) -> bool {
        false
    }
    fn open(&self, _: WorkItem, _: &ir::Scenario) -> std::io::Result<Option<Self::Sink>> {
        Ok(None)
    }
    fn close(&self, _: Self::Sink) -> std::io::Result<()> {
        Ok(())
    }
}

/// What [`run`] gives: a result per item (in the order of the items; `None` for an item
/// that did not finish), and what stopped the run, if something did.
pub struct Ran {
    pub results: Vec<Option<ReplicationResult>>,
    pub error: Option<Failure>,
}

/// Why a run stopped before its end, other than Ctrl-C.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Writing a trace failed.
    Trace(String),
    /// A replication held more pipelines at once than [`Plan::max_live`].
    Overfull {
        item: WorkItem,
        overfull: sim::Overfull,
    },
}

/// Runs `items` of `plan` on `jobs` threads (all cores when `None`). Once `stop` is set, items
/// not yet started are skipped and those in progress abandoned. After an error writing a
/// trace no item starts (those in progress finish), and what finished is returned with the
/// error for the caller to save rather than discarded.
pub fn run<F: TraceFactory>(
    plan: &Plan,
    items: &[WorkItem],
    jobs: Option<usize>,
    traces: &F,
    stop: &AtomicBool,
) -> Result<Ran, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| format!("cannot start worker threads: {e}"))?;
    let kinds = items.iter().map(|&item| progress::Kind {
        point: item.point,
        traced: traces.traces(item),
    });
    let progress = Progress::new(kinds, pool.current_num_threads());
    let failed = AtomicBool::new(false);
    let failures: std::sync::Mutex<Vec<Failure>> = std::sync::Mutex::new(Vec::new());
    let one = |index: usize, item: WorkItem| -> Result<Option<ReplicationResult>, Failure> {
        let scenario = &plan.points[item.point].scenario;
        let replication = item.replication;
        let trace_error = |e: std::io::Error| Failure::Trace(format!("cannot write traces: {e}"));
        let control = sim::Control {
            stop,
            max_live: plan.max_live,
            progress: Some(progress.start(index)),
        };
        let result = match traces.open(item, scenario).map_err(trace_error)? {
            Some(mut sink) => {
                let result = sim::run_replication_until(scenario, replication, &mut sink, &control);
                // An abandoned replication's trace part is left unfinished; resume writes
                // it again.
                traces.close(sink).map_err(trace_error)?;
                result
            }
            None => {
                let mut sink = sim::trace::NullSink;
                sim::run_replication_until(scenario, replication, &mut sink, &control)
            }
        };
        match result {
            Ok(result) => Ok(Some(result)),
            Err(sim::Abandoned::Stopped) => Ok(None),
            Err(sim::Abandoned::Overfull(overfull)) => Err(Failure::Overfull { item, overfull }),
        }
    };
    let results: Vec<Option<ReplicationResult>> = pool.install(|| {
        items
            .par_iter()
            .enumerate()
            .map(|(index, &item)| {
                if stop.load(Ordering::Relaxed) || failed.load(Ordering::Relaxed) {
                    return None;
                }
                match one(index, item) {
                    Ok(result) => {
                        if result.is_some() {
                            progress.finish(index);
                        }
                        result
                    }
                    Err(failure) => {
                        failed.store(true, Ordering::Relaxed);
                        if let Ok(mut failures) = failures.lock() {
                            failures.push(failure);
                        }
                        None
                    }
                }
            })
            .collect()
    });
    progress.close();
    // Which replications were in progress when the first failed depends on timing: report a
    // trace write error first (the disk needs seeing to), then the first item that overfilled,
    // so that the message does not depend on timing.
    let error = failures.into_inner().ok().and_then(|failures| {
        failures.into_iter().min_by_key(|failure| match failure {
            Failure::Trace(_) => None,
            Failure::Overfull { item, .. } => Some(*item),
        })
    });
    Ok(Ran { results, error })
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

    fn constant(value: ir::Value) -> ir::Expr {
        ir::Expr::Const(value)
    }

    fn exponential(mean: f64) -> ir::Expr {
        ir::Expr::Dist(Box::new(ir::Distribution::Exponential {
            mean: constant(ir::Value::Num(mean)),
        }))
    }

    /// One pool, one single-step pipeline, Poisson arrivals: built by hand so this test does
    /// not depend on the parser.
    fn one_pool(capacity: u32) -> ir::Scenario {
        ir::Scenario {
            name: "hand".into(),
            start_unix: 1_546_819_200,
            start_rfc3339: "2019-01-07T00:00:00Z".into(),
            horizon: 86_400.0,
            warmup: 0.0,
            seed: 5,
            drain: false,
            resources: vec![ir::Resource {
                name: "gpu".into(),
                kind: ir::ResourceKind::Pool(ir::Pool {
                    capacity,
                    policy: ir::Policy::Fifo,
                    backfill: false,
                    cost_per_slot_hour: 0.0,
                    autoscale: None,
                }),
            }],
            pipelines: vec![ir::Pipeline {
                name: "job".into(),
                vars: Vec::new(),
                priority_var: None,
                deadline_var: None,
                steps: vec![ir::Step {
                    on: Some(constant(ir::Value::Resource(0))),
                    ..ir::Step::new("train", ir::StepKind::Train, exponential(1800.0))
                }],
                model: None,
            }],
            profiles: Vec::new(),
            arrivals: vec![ir::Arrivals {
                name: "triggers".into(),
                process: ir::ArrivalProcess::Interarrival(exponential(1200.0)),
                profile: None,
                pipeline: constant(ir::Value::Pipeline(0)),
                growth: 1.0,
                start: 0.0,
                stop: None,
                row: Default::default(),
            }],
            monitors: Vec::new(),
            experiment: ir::Experiment {
                replications: 3,
                confidence: 0.95,
                metrics: Vec::new(),
            },
            labels: Vec::new(),
        }
    }

    fn metric(result: &ReplicationResult, name: &str) -> f64 {
        result
            .metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no `{name}` in {:?}", result.metrics))
    }

    /// Results with values as bits, so that NaN (an undefined metric) compares equal to itself.
    fn bits(results: &[ReplicationResult]) -> Vec<Vec<(String, u64)>> {
        results
            .iter()
            .map(|r| {
                r.metrics
                    .iter()
                    .map(|(n, v)| (n.clone(), v.to_bits()))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn results_follow_the_work_list_whatever_the_threads_and_share_random_numbers() {
        let plan = Plan {
            points: [1, 3]
                .into_iter()
                .map(|capacity| Point {
                    params: Params::new(),
                    written: Params::new(),
                    scenario: one_pool(capacity),
                })
                .collect(),
            replications: 3,
            confidence: 0.95,
            scenario_name: "hand".into(),
            seed: 5,
            start_rfc3339: "2019-01-07T00:00:00Z".into(),
            max_live: DEFAULT_MAX_LIVE,
            metrics: Vec::new(),
        };
        let items = plan.work_list();
        let finished = |jobs, items: &[WorkItem]| -> Vec<ReplicationResult> {
            let ran = run(&plan, items, Some(jobs), &NoTraces, &AtomicBool::new(false)).unwrap();
            assert!(ran.error.is_none());
            ran.results.into_iter().map(Option::unwrap).collect()
        };
        let one_thread = finished(1, &items);
        let two_threads = finished(2, &items);
        assert_eq!(bits(&one_thread), bits(&two_threads));
        // A slice gives the same results as the same items of the whole list.
        let slice = finished(2, &items[2..5]);
        assert_eq!(bits(&slice), bits(&one_thread[2..5]));
        // Once stopped (Ctrl-C), a run starts no more items.
        let stopped = run(&plan, &items, Some(2), &NoTraces, &AtomicBool::new(true)).unwrap();
        assert_eq!(stopped.results.len(), items.len());
        assert!(stopped.results.iter().all(Option::is_none));
        // Replication r samples the same arrivals at both capacities (common random
        // numbers), different replications different ones, and the capacity matters.
        for r in 0..3 {
            let (small, large) = (&one_thread[r], &one_thread[3 + r]);
            assert_eq!(
                metric(small, "pipeline.arrived"),
                metric(large, "pipeline.arrived")
            );
            assert!(metric(small, "pipeline.wait.mean") > metric(large, "pipeline.wait.mean"));
        }
        assert_ne!(bits(&one_thread[..1]), bits(&one_thread[1..2]));
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
