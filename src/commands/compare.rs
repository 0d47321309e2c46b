//! `pipesim compare RUN_A RUN_B`: for every metric of every sweep point the two runs share,
//! both means with their confidence intervals, the difference `B - A` with its interval,
//! Welch's t-test and a plain verdict. With `--paired`, points whose replications share
//! their random numbers (same seed, same replication numbers: common random numbers) are
//! compared with the paired t-test instead, which removes the variance they have in common
//! (LANGUAGE.md's contract promises Welch's test, so pairing is asked for).
//!
//! A compared point that the run's manifest names as overloaded gets a note: its waits and
//! makespans grow with the horizon, so a difference in them is not a steady-state one.
//!
//! Points are matched on the configuration they ran at each path either run sweeps: a run's
//! own sweep value there, else its fixed `--set`, else what its scenario gives the path (a
//! `--set gpu.capacity=8` run is the point `gpu.capacity=8 gpu.policy=fifo` of a run that
//! sweeps both, when its scenario's policy is `fifo`). Two runs without sweeps, such as two
//! files or two `--set`s, have one point each and match. Runs that share no point are
//! compared only at points the user chooses with `--a` and `--b`, unless they sweep different
//! paths over the same values (a pool renamed between them), which pair in order.
//! The confidence level is run A's; the test is significant when p < 1 - confidence. Which
//! way is better depends on the metric: lower waits, makespans, queues, costs, stale
//! fractions and unfinished counts; higher completions, accuracies and throughputs; for other
//! metrics the verdict only says which run is higher. Rejections are among those: they grow
//! with the pipelines that reach validation, so more can mean a faster platform. The values come from each run's raw
//! `replications.jsonl`, so the test uses every replication, not just the summary.
//!
//! `--a PATH=VALUE` and `--b PATH=VALUE` keep only the points of A (of B) where the swept
//! PATH has VALUE, and points are then matched on their other params. With them, one run
//! can be compared with itself: `compare RUN --a gpu.capacity=4 --b gpu.capacity=8` pairs
//! each point at 4 GPUs with the point at 8 that has the same other params. Such points
//! share their random streams: `--paired` compares them in pairs.

use crate::analysis::{self, Override};
use crate::cli::{CompareArgs, CompareFormat, Exit};
use crate::experiment::Params;
use crate::frontend;
use crate::output::manifest::{self, Manifest};
use crate::output::records::{self, Record};
use crate::output::{summary, table};
use crate::stats::{self, Estimate, TTest};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub fn main(args: &CompareArgs) -> Exit {
    let run_b = args.run_b.as_deref().unwrap_or(&args.run_a);
    if args.run_b.is_none() && (args.select_a.is_empty() || args.select_b.is_empty()) {
        return super::fail(format!(
            "compare needs two run directories, or one and both `--a` and `--b` to choose which of its sweep points to compare (such as `pipesim compare {} --a gpu.capacity=4 --b gpu.capacity=8`)",
            args.run_a.display()
        ));
    }
    let selections = match (
        parse_selection(&args.select_a),
        parse_selection(&args.select_b),
    ) {
        (Ok(a), Ok(b)) => [a, b],
        (Err(message), _) | (_, Err(message)) => return super::fail(message),
    };
    let mut comparison = match compare(&args.run_a, run_b, &selections, args.paired) {
        Ok(c) => c,
        Err(message) => return super::fail(message),
    };
    if let Err(message) = comparison.keep_metrics(&args.metrics) {
        return super::fail(message);
    }
    let compared: usize = comparison.points.iter().map(|p| p.metrics.len()).sum();
    comparison.significant_only = args.significant;
    if !args.significant
        && args.metrics.is_empty()
        && args.format == CompareFormat::Table
        && compared > 100
    {
        comparison.notes.push(format!(
            "{compared} metrics compared; `--significant` shows only those that differ, `--metric PATTERN` those named"
        ));
    }
    for note in &comparison.notes {
        crate::to_stderr!("note: {note}");
    }
    match args.format {
        CompareFormat::Json => super::print_out(crate::output::json_text(&comparison.to_json())),
        CompareFormat::Table => super::print_out(comparison.to_table()),
    }
    Exit::Success
}

/// Whether a lower or a higher value of a metric is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    /// Neither: utilisation, counts of arrivals, service times.
    Neither,
}

impl Better {
    pub fn of(metric: &str) -> Better {
        let lower = metric.contains(".wait.")
            || metric.contains(".makespan.")
            || metric.contains(".queue.")
            || metric.starts_with("cost.")
            || metric.ends_with("stale.fraction")
            || metric == "pipeline.unfinished"
            || metric == "pipeline.late";
        let higher = metric == "pipeline.completed"
            || metric.contains("accuracy")
            || metric.contains("throughput");
        if lower {
            Better::Lower
        } else if higher {
            Better::Higher
        } else {
            Better::Neither
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    BBetter,
    ABetter,
    BHigher,
    BLower,
    NoSignificantDifference,
    /// Every replication gave A and B the same value: the change did not touch the metric
    /// (with one seed, the common random numbers show it exactly).
    Identical,
    /// Fewer than two finite values on a side.
    NotTestable,
    /// No replication of either run gave a value (no models deployed, say).
    NotMeasured,
}

impl Verdict {
    fn decide(metric: &str, test: Option<&TTest>, confidence: f64) -> Verdict {
        let Some(test) = test.filter(|t| t.p_value.is_finite()) else {
            return Verdict::NotTestable;
        };
        if test.p_value >= significance_level(confidence) || test.difference == 0.0 {
            return Verdict::NoSignificantDifference;
        }
        let b_higher = test.difference > 0.0;
        match (Better::of(metric), b_higher) {
            (Better::Lower, true) | (Better::Higher, false) => Verdict::ABetter,
            (Better::Lower, false) | (Better::Higher, true) => Verdict::BBetter,
            (Better::Neither, true) => Verdict::BHigher,
            (Better::Neither, false) => Verdict::BLower,
        }
    }

    /// Whether the verdict finds a difference (either way).
    fn differs(self) -> bool {
        matches!(
            self,
            Verdict::BBetter | Verdict::ABetter | Verdict::BHigher | Verdict::BLower
        )
    }

    fn code(self) -> &'static str {
        match self {
            Verdict::BBetter => "b_better",
            Verdict::ABetter => "a_better",
            Verdict::BHigher => "b_higher",
            Verdict::BLower => "b_lower",
            Verdict::NoSignificantDifference => "no_significant_difference",
            Verdict::Identical => "identical",
            Verdict::NotTestable => "not_testable",
            Verdict::NotMeasured => "not_measured",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Verdict::BBetter => "B better",
            Verdict::ABetter => "A better",
            Verdict::BHigher => "B higher",
            Verdict::BLower => "B lower",
            Verdict::NoSignificantDifference => "no significant difference",
            Verdict::Identical => "the same in every replication",
            Verdict::NotTestable => "too few replications to test",
            Verdict::NotMeasured => "no values in either run",
        }
    }
}

struct MetricComparison {
    name: String,
    a: Estimate,
    b: Estimate,
    test: Option<TTest>,
    verdict: Verdict,
}

impl MetricComparison {
    /// `B - A` and its confidence half-width: exactly 0 ± 0 where every replication gave A
    /// and B the same value, whatever interval the test would draw around the spread of the
    /// values themselves.
    fn difference(&self) -> Option<(f64, f64)> {
        if self.verdict == Verdict::Identical {
            return Some((0.0, 0.0));
        }
        self.test.map(|t| (t.difference, t.ci))
    }
}

struct PointComparison {
    params_a: Params,
    params_b: Params,
    /// The params as the scenarios write them, for the text.
    written_a: Params,
    written_b: Params,
    /// The values each run gave the paths only the other sweeps (its `--set`s, its
    /// scenario's own), as the other run writes them: the configuration it was matched at.
    unswept_a: Vec<(String, String)>,
    unswept_b: Vec<(String, String)>,
    /// How many replications were compared in pairs (see [`common_replications`]); 0 when
    /// Welch's test was used.
    pairs: usize,
    metrics: Vec<MetricComparison>,
}

pub struct Comparison {
    run_a: String,
    run_b: String,
    confidence: f64,
    points: Vec<PointComparison>,
    notes: Vec<String>,
    /// `--significant`: only the metrics that differ are shown (each point's closing count
    /// is still of all of them).
    significant_only: bool,
    /// The metrics of a compared point that only A, or only B, reports (a percentile one run
    /// asked for, a pool one scenario has), which are not compared.
    one_sided: [std::collections::BTreeSet<String>; 2],
}

/// `PATH=VALUE` selections of sweep points.
type Selection = Vec<(String, String)>;

fn parse_selection(texts: &[String]) -> Result<Selection, String> {
    texts
        .iter()
        .map(|text| match text.split_once('=') {
            Some((path, value)) if !path.trim().is_empty() => {
                Ok((path.trim().to_string(), value.trim().to_string()))
            }
            _ => Err(format!(
                "expected `PATH=VALUE` after `--a` or `--b`, found `{text}` (such as `--a gpu.capacity=4`)"
            )),
        })
        .collect()
}

/// Whether a param's value is the one a selection writes: numbers compare as numbers, with
/// or without units (`1Gbps` is the 125000000 bytes per second `summary.json` holds), labels
/// and policies as text.
fn param_matches(value: &Value, wanted: &str) -> bool {
    match (
        value.as_f64(),
        crate::analysis::units::written_quantity(wanted).map(|q| q.base()),
    ) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
        _ => table::format_param(value) == wanted,
    }
}

/// The indices of the points whose params satisfy every selection.
fn selected(points: &[Params], selection: &Selection) -> Vec<usize> {
    (0..points.len())
        .filter(|&i| {
            selection.iter().all(|(path, wanted)| {
                points[i]
                    .get(path)
                    .is_some_and(|value| param_matches(value, wanted))
            })
        })
        .collect()
}

/// Point `index`'s params as its scenario writes them (older runs did not keep them).
fn written(manifest: &Manifest, index: usize) -> &Params {
    manifest
        .written
        .get(index)
        .unwrap_or(&manifest.points[index])
}

/// Says that two runs share no sweep point, which paths they ran differently, and how to
/// choose one of each to compare.
fn unrelated_sweeps(
    a: (&Path, &Manifest, &[OwnValue]),
    b: (&Path, &Manifest, &[OwnValue]),
) -> String {
    let unmatched: Vec<String> = [(a, b), (b, a)]
        .iter()
        .flat_map(|((run, _, own), (other, _, _))| {
            own.iter().filter(|o| o.value.is_none()).map(move |o| {
                format!(
                    "`{}` ran {} at none of the values `{}` sweeps ({})",
                    run.display(),
                    o.path,
                    other.display(),
                    o.others.join(", ")
                )
            })
        })
        .collect();
    let unmatched = if unmatched.is_empty() {
        String::new()
    } else {
        format!("; {}", unmatched.join("; "))
    };
    let example = |(run, manifest, _): (&Path, &Manifest, &[OwnValue]), flag: &str| {
        let first = written(manifest, 0);
        let paths: Vec<&str> = first.keys().map(String::as_str).collect();
        let choose: Vec<String> = first
            .iter()
            .map(|(path, value)| format!("--{flag} {path}={}", table::format_param(value)))
            .collect();
        let swept = if paths.is_empty() {
            "sweeps nothing".to_string()
        } else {
            format!("sweeps {}", paths.join(", "))
        };
        (format!("`{}` {swept}", run.display()), choose)
    };
    let (a_says, a_choose) = example(a, "a");
    let (b_says, b_choose) = example(b, "b");
    let choose: Vec<String> = a_choose.into_iter().chain(b_choose).collect();
    format!(
        "the runs share no sweep point: {a_says} and {b_says}, so no point of one is a configuration of the other{unmatched}\n  help: choose the points to compare, such as `{}`",
        choose.join(" ")
    )
}

/// A run's scenario as it ran (its copy under `scenario/`, with its `--set`s), to find which
/// value it gives a path it does not sweep.
struct RunScenario {
    checked: frontend::Checked,
    overrides: Vec<Override>,
    /// The lowered scenario, as JSON so that two lowerings can be compared.
    lowered: Value,
}

impl RunScenario {
    /// `None` when the copy no longer checks (a run of another pipesim version, or edited):
    /// the run's recorded `--set`s are all there is to go on then.
    fn load(run: &Path, manifest: &Manifest) -> Option<RunScenario> {
        let checked = frontend::check_file(&run.join(&manifest.entry), &manifest.overrides);
        if checked.has_errors() {
            return None;
        }
        let mut sources = checked.sources.clone();
        let overrides = manifest
            .overrides
            .iter()
            .map(|text| frontend::parse_override(&mut sources, text).ok())
            .collect::<Option<Vec<_>>>()?;
        let lowered = analysis::analyze(&sources, &checked.program, &overrides).scenario?;
        Some(RunScenario {
            lowered: serde_json::to_value(lowered).ok()?,
            checked,
            overrides,
        })
    }

    /// Whether setting `path` to `value` (as written) leaves the scenario as it ran: then
    /// that is the scenario's own value, however it writes it (`1Gbps` or `125MB/s`, or
    /// not at all for a default).
    fn runs_with(&self, path: &str, value: &str) -> bool {
        let mut sources = self.checked.sources.clone();
        let Ok(set) = frontend::parse_override(&mut sources, &format!("{path}={value}")) else {
            return false;
        };
        let mut overrides = self.overrides.clone();
        overrides.push(set);
        let analysis = analysis::analyze(&sources, &self.checked.program, &overrides);
        !analysis.diagnostics.has_errors()
            && analysis
                .scenario
                .and_then(|scenario| serde_json::to_value(scenario).ok())
                .is_some_and(|lowered| lowered == self.lowered)
    }
}

/// The swept paths of a run (every point has the same).
fn swept_paths(manifest: &Manifest) -> Vec<String> {
    manifest
        .points
        .first()
        .map(|params| params.keys().cloned().collect())
        .unwrap_or_default()
}

/// What a run that does not sweep a path the other run sweeps ran with there.
struct OwnValue {
    path: String,
    /// The other run's param it equals, and that value as the other run writes it; `None`
    /// when it is none of the other run's values.
    value: Option<(Value, String)>,
    /// The other run's values of the path, as written, for the error.
    others: Vec<String>,
}

/// For each path that `other` sweeps and `manifest`'s run does not, the value the run used
/// there: its fixed `--set`, or its scenario's own value, found among the values `other`
/// sweeps.
fn own_values(run: &Path, manifest: &Manifest, other: &Manifest) -> Vec<OwnValue> {
    let ours = swept_paths(manifest);
    let theirs: Vec<String> = swept_paths(other)
        .into_iter()
        .filter(|path| !ours.contains(path))
        .collect();
    if theirs.is_empty() {
        return Vec::new();
    }
    let scenario = RunScenario::load(run, manifest);
    let fixed = table::fixed_overrides(&manifest.overrides);
    theirs
        .into_iter()
        .map(|path| {
            let mut candidates: Vec<(String, Value)> = Vec::new();
            for (index, params) in other.points.iter().enumerate() {
                let (Some(value), Some(shown)) =
                    (params.get(&path), written(other, index).get(&path))
                else {
                    continue;
                };
                if !candidates.iter().any(|(_, v)| v == value) {
                    candidates.push((table::format_param(shown), value.clone()));
                }
            }
            let value = match &scenario {
                Some(scenario) => candidates
                    .iter()
                    .find(|(text, _)| scenario.runs_with(&path, text))
                    .map(|(text, value)| (value.clone(), text.clone())),
                None => fixed
                    .iter()
                    .rev()
                    .filter_map(|o| o.split_once('='))
                    .find(|(p, _)| p.trim() == path)
                    .and_then(|(_, wanted)| {
                        candidates
                            .iter()
                            .find(|(_, value)| param_matches(value, wanted.trim()))
                    })
                    .map(|(text, value)| (value.clone(), text.clone())),
            };
            OwnValue {
                others: candidates.into_iter().map(|(text, _)| text).collect(),
                path,
                value,
            }
        })
        .collect()
}

/// The paths a run does not sweep that the other does, with the value it gave them as the
/// other run writes it (those it gave a value the other does not sweep are left out).
fn unswept(own: &[OwnValue]) -> Vec<(String, String)> {
    own.iter()
        .filter_map(|o| Some((o.path.clone(), o.value.as_ref()?.1.clone())))
        .collect()
}

/// A point's value of every path either run sweeps, without those the selections fix
/// (`None` where its run gave a value the other run does not sweep).
type Configuration = BTreeMap<String, Option<Value>>;

fn configuration(params: &Params, own: &[OwnValue], selections: &[Selection; 2]) -> Configuration {
    let mut configuration: Configuration = params
        .iter()
        .map(|(path, value)| (path.clone(), Some(value.clone())))
        .chain(
            own.iter()
                .map(|o| (o.path.clone(), o.value.as_ref().map(|(v, _)| v.clone()))),
        )
        .collect();
    for (path, _) in selections.iter().flatten() {
        configuration.remove(path);
    }
    configuration
}

/// Whether two points ran the same configuration at every path compared.
fn same_configuration(a: &Configuration, b: &Configuration) -> bool {
    a == b && a.values().all(Option::is_some)
}

/// Says which selection chose nothing, with the values the run has for that path.
fn nothing_selected(run: &Path, points: &[Params], selection: &Selection) -> String {
    let listed = |path: &str| {
        let mut values: Vec<String> = Vec::new();
        for value in points.iter().filter_map(|p| p.get(path)) {
            let text = table::format_param(value);
            if !values.contains(&text) {
                values.push(text);
            }
        }
        values
    };
    let detail = selection
        .iter()
        .map(|(path, wanted)| match listed(path).as_slice() {
            [] => format!("`{path}` is not swept in it"),
            values => format!(
                "`{path}` is never {wanted} (its values: {})",
                values.join(", ")
            ),
        })
        .collect::<Vec<_>>()
        .join("; ");
    format!(
        "no sweep point of `{}` is selected: {detail}",
        run.display()
    )
}

/// The replication numbers of a point, in order.
fn replications_of(records: &[Record], point: usize) -> Vec<u32> {
    let mut numbers: Vec<u32> = records
        .iter()
        .filter(|r| r.item.point == point)
        .map(|r| r.item.replication)
        .collect();
    numbers.sort_unstable();
    numbers
}

/// The replication numbers two points share when they ran the same seed: replication `i` of
/// each drew the same random numbers wherever the scenarios draw alike (common random
/// numbers: a capacity or policy change leaves the workload as it was), so those can be
/// compared in pairs, which removes the variance they share. A run with more replications
/// than the other pairs the ones both have. Empty with different seeds.
fn common_replications(seeds: (u64, u64), replications: (&[u32], &[u32])) -> Vec<u32> {
    if seeds.0 != seeds.1 {
        return Vec::new();
    }
    replications
        .0
        .iter()
        .copied()
        .filter(|r| replications.1.binary_search(r).is_ok())
        .collect()
}

/// The values of the replications `wanted` among `numbers` (both in order), for the pairs.
fn of_replications(values: &[f64], numbers: &[u32], wanted: &[u32]) -> Vec<f64> {
    numbers
        .iter()
        .zip(values)
        .filter(|(number, _)| wanted.binary_search(number).is_ok())
        .map(|(_, value)| *value)
        .collect()
}

/// `0–9`, or `0, 2, 5–9`: replication numbers, runs of consecutive ones shortened.
fn describe_replications(numbers: &[u32]) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for &n in numbers {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == n => *last = n,
            _ => runs.push((n, n)),
        }
    }
    runs.iter()
        .map(|&(first, last)| {
            if first == last {
                first.to_string()
            } else {
                format!("{first}–{last}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The replications' values of each metric of one point, in the order met.
fn point_values(records: &[Record], point: usize) -> Vec<(String, Vec<f64>)> {
    let mut of_point: Vec<&Record> = records.iter().filter(|r| r.item.point == point).collect();
    of_point.sort_by_key(|r| r.item);
    let mut metrics: Vec<(String, Vec<f64>)> = Vec::new();
    for record in &of_point {
        for (name, _) in &record.metrics {
            if !metrics.iter().any(|(n, _)| n == name) {
                metrics.push((name.clone(), Vec::new()));
            }
        }
    }
    for (name, values) in &mut metrics {
        values.extend(of_point.iter().map(|r| {
            r.metrics
                .iter()
                .find(|(n, _)| n == name)
                .map_or(f64::NAN, |(_, v)| *v)
        }));
    }
    metrics
}

/// Whether two points' replications gave the same values, replication by replication (a
/// value missing from both counts as the same).
fn same_values(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
}

/// For each pool or link the run's point asks for more than it can do: a note that the
/// point's waits and makespans grow with the horizon, so a difference from them is not a
/// steady-state one.
fn overloaded_notes(side: &str, manifest: &Manifest, point: usize) -> Vec<String> {
    let at = point_name(side, manifest, point);
    manifest
        .overloaded
        .iter()
        .filter(|o| o.point == point)
        .map(|o| {
            format!(
                "{at} is overloaded: `{}` {}, so its backlog grows until the horizon, and waits and makespans there grow with the horizon instead of settling",
                o.resource,
                o.load_text()
            )
        })
        .collect()
}

/// The cautions of a compared point (`summary::cautions`: a warm-up too short, unfinished
/// pipelines left out), worked out from the run's records as `run` does; an overloaded
/// point's are its overload note's.
fn caution_notes(
    side: &str,
    manifest: &Manifest,
    records: &[Record],
    point: usize,
    confidence: f64,
) -> Vec<String> {
    if manifest.overloaded.iter().any(|o| o.point == point) {
        return Vec::new();
    }
    let mut of_point: Vec<&Record> = records.iter().filter(|r| r.item.point == point).collect();
    of_point.sort_by_key(|r| r.item);
    let at = point_name(side, manifest, point);
    summary::record_cautions(&of_point, confidence)
        .into_iter()
        .map(|text| format!("{at}: {text}"))
        .collect()
}

/// "A", or "A's point gpu.capacity=4" in a sweep.
fn point_name(side: &str, manifest: &Manifest, point: usize) -> String {
    let params = written(manifest, point);
    if params.is_empty() {
        side.to_string()
    } else {
        format!("{side}'s point {}", super::run::point_label(params))
    }
}

/// When the runs fixed values with different `--set PATH=VALUE` (which their points' params
/// do not show, unlike a sweep's): what each set, since the difference may explain theirs.
fn overrides_note(a: &Manifest, b: &Manifest) -> Option<String> {
    // A value the other run sweeps is matched on, not a difference between the points.
    let fixed = |ours: &Manifest, theirs: &Manifest| {
        let swept = swept_paths(theirs);
        let mut fixed = table::fixed_overrides(&ours.overrides);
        fixed.retain(|o| {
            let path = o.split_once('=').map_or(o.as_str(), |(path, _)| path);
            !swept.iter().any(|s| s == path.trim())
        });
        fixed
    };
    let (fixed_a, fixed_b) = (fixed(a, b), fixed(b, a));
    let mut sorted = (fixed_a.clone(), fixed_b.clone());
    sorted.0.sort();
    sorted.1.sort();
    if sorted.0 == sorted.1 {
        return None;
    }
    let describe = |fixed: &[String]| {
        if fixed.is_empty() {
            "no `--set`".to_string()
        } else {
            fixed
                .iter()
                .map(|o| format!("`--set {o}`"))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    Some(format!(
        "the runs were made with different fixed values: A with {}, B with {}",
        describe(&fixed_a),
        describe(&fixed_b)
    ))
}

fn compare(
    run_a: &Path,
    run_b: &Path,
    selections: &[Selection; 2],
    pair: bool,
) -> Result<Comparison, String> {
    let (manifest_a, manifest_b) = (Manifest::read(run_a)?, Manifest::read(run_b)?);
    let (records_a, records_b) = (records::read(run_a)?, records::read(run_b)?);
    for (dir, records) in [(run_a, &records_a), (run_b, &records_b)] {
        if records.is_empty() {
            let why = manifest::interrupted_note(dir)
                .map_or_else(String::new, |note| format!(": {note}"));
            return Err(format!(
                "no replication of `{}` finished, so there is nothing to compare{why}",
                dir.display()
            ));
        }
    }
    let mut notes = Vec::new();
    for (dir, manifest) in [(run_a, &manifest_a), (run_b, &manifest_b)] {
        if manifest.shard.is_some() {
            notes.push(format!(
                "`{}` is one shard of a run; merge the shards with `pipesim merge` to compare whole runs",
                dir.display()
            ));
        }
        notes.extend(manifest::interrupted_note(dir));
    }
    notes.extend(overrides_note(&manifest_a, &manifest_b));
    let confidence = manifest_a.confidence;
    if manifest_b.confidence != confidence {
        notes.push(format!(
            "the runs use different confidence levels ({} and {}); intervals and the test use A's",
            manifest_a.confidence, manifest_b.confidence
        ));
    }
    let has_records =
        |records: &[Record], point: usize| records.iter().any(|r| r.item.point == point);
    let (chosen_a, chosen_b) = (
        selected(&manifest_a.points, &selections[0]),
        selected(&manifest_b.points, &selections[1]),
    );
    for (run, manifest, chosen, selection) in [
        (run_a, &manifest_a, &chosen_a, &selections[0]),
        (run_b, &manifest_b, &chosen_b, &selections[1]),
    ] {
        if chosen.is_empty() {
            let shown: Vec<Params> = (0..manifest.points.len())
                .map(|i| written(manifest, i).clone())
                .collect();
            return Err(nothing_selected(run, &shown, selection));
        }
    }
    let same_run = run_a == run_b;
    let own_a = own_values(run_a, &manifest_a, &manifest_b);
    let own_b = own_values(run_b, &manifest_b, &manifest_a);
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut ambiguous = 0;
    for &index_a in &chosen_a {
        let ran = configuration(&manifest_a.points[index_a], &own_a, selections);
        let candidates: Vec<usize> = chosen_b
            .iter()
            .copied()
            .filter(|&b| !(same_run && b == index_a))
            .filter(|&b| {
                same_configuration(
                    &ran,
                    &configuration(&manifest_b.points[b], &own_b, selections),
                )
            })
            .collect();
        if candidates.len() > 1 {
            ambiguous += 1;
        }
        if let Some(&index_b) = candidates.first() {
            pairs.push((index_a, index_b));
        }
    }
    if ambiguous > 0 {
        notes.push(format!(
            "{ambiguous} point{} of A {} several matches in B; the first is used: choose one with `--b PATH=VALUE`",
            if ambiguous == 1 { "" } else { "s" },
            if ambiguous == 1 { "has" } else { "have" },
        ));
    }
    let selecting = selections.iter().any(|s| !s.is_empty());
    // Sweeps of different paths over the same values (a declaration renamed between the
    // runs) pair in order; other points are unrelated configurations, which are compared
    // only when the user picks them.
    let same_sweep_values = manifest_a.points.len() == manifest_b.points.len()
        && manifest_a
            .points
            .iter()
            .zip(&manifest_b.points)
            .all(|(a, b)| a.values().eq(b.values()));
    if pairs.is_empty() && !selecting && same_sweep_values {
        notes.push(
            "the runs sweep different paths over the same values; points are paired in order"
                .to_string(),
        );
        pairs = (0..manifest_a.points.len()).map(|i| (i, i)).collect();
    } else if pairs.is_empty() && !selecting {
        return Err(unrelated_sweeps(
            (run_a, &manifest_a, &own_a),
            (run_b, &manifest_b, &own_b),
        ));
    } else {
        let unmatched = chosen_a.len() - pairs.len();
        if unmatched > 0 {
            notes.push(format!(
                "{unmatched} sweep point{} of A {} no match in B and {} left out",
                if unmatched == 1 { "" } else { "s" },
                if unmatched == 1 { "has" } else { "have" },
                if unmatched == 1 { "is" } else { "are" },
            ));
        }
    }
    pairs.retain(|&(a, b)| has_records(&records_a, a) && has_records(&records_b, b));
    if pairs.is_empty() {
        return Err(format!(
            "`{}` and `{}` have no sweep point in common to compare",
            run_a.display(),
            run_b.display()
        ));
    }
    for (side, manifest, point) in pairs
        .iter()
        .flat_map(|&(a, b)| [("A", &manifest_a, a), ("B", &manifest_b, b)])
    {
        notes.extend(overloaded_notes(side, manifest, point));
        let records = if side == "A" { &records_a } else { &records_b };
        notes.extend(caution_notes(side, manifest, records, point, confidence));
    }
    let mut unpaired = 0;
    let mut pairable = 0;
    let mut partly_paired: Vec<String> = Vec::new();
    let mut one_sided: [std::collections::BTreeSet<String>; 2] = Default::default();
    let points: Vec<PointComparison> = pairs
        .into_iter()
        .map(|(index_a, index_b)| {
            let numbers = (
                replications_of(&records_a, index_a),
                replications_of(&records_b, index_b),
            );
            let common = common_replications(
                (manifest_a.seed, manifest_b.seed),
                (&numbers.0, &numbers.1),
            );
            let can_pair = common.len() >= 2;
            let paired = pair && can_pair;
            if pair && !paired {
                unpaired += 1;
            }
            if !pair && can_pair {
                pairable += 1;
            }
            let left_out = (numbers.0.len() - common.len(), numbers.1.len() - common.len());
            if paired && left_out != (0, 0) {
                let others = |side: &str, count: usize| {
                    (count > 0).then(|| format!("{side}'s other {count}"))
                };
                let others: Vec<String> = [others("A", left_out.0), others("B", left_out.1)]
                    .into_iter()
                    .flatten()
                    .collect();
                let text = format!(
                    "{} replications ran in both A and B and are paired ({}); {} {} left out of the paired test, not of the means",
                    common.len(),
                    describe_replications(&common),
                    others.join(" and "),
                    if left_out.0 + left_out.1 == 1 { "is" } else { "are" },
                );
                if !partly_paired.contains(&text) {
                    partly_paired.push(text);
                }
            }
            let values_b = point_values(&records_b, index_b);
            let values_a = point_values(&records_a, index_a);
            for (side, ours, theirs) in [(0, &values_a, &values_b), (1, &values_b, &values_a)] {
                for (name, _) in ours {
                    if !theirs.iter().any(|(n, _)| n == name) {
                        one_sided[side].insert(name.clone());
                    }
                }
            }
            let metrics = values_a
                .into_iter()
                .filter_map(|(name, values_a)| {
                    let (_, values_b) = values_b.iter().find(|(n, _)| *n == name)?;
                    let (pairs_a, pairs_b) = (
                        of_replications(&values_a, &numbers.0, &common),
                        of_replications(values_b, &numbers.1, &common),
                    );
                    let test = if paired {
                        stats::paired_test(&pairs_a, &pairs_b, confidence)
                    } else {
                        stats::welch_test(&values_a, values_b, confidence)
                    };
                    let (a, b) = (
                        stats::estimate(&values_a, confidence),
                        stats::estimate(values_b, confidence),
                    );
                    let same = if paired {
                        same_values(&pairs_a, &pairs_b)
                    } else {
                        same_values(&values_a, values_b)
                    };
                    let verdict = if a.n == 0 && b.n == 0 {
                        Verdict::NotMeasured
                    } else if same {
                        Verdict::Identical
                    } else {
                        Verdict::decide(&name, test.as_ref(), confidence)
                    };
                    Some(MetricComparison {
                        verdict,
                        a,
                        b,
                        test,
                        name,
                    })
                })
                .collect();
            PointComparison {
                params_a: manifest_a.points[index_a].clone(),
                params_b: manifest_b.points[index_b].clone(),
                written_a: written(&manifest_a, index_a).clone(),
                written_b: written(&manifest_b, index_b).clone(),
                unswept_a: unswept(&own_a),
                unswept_b: unswept(&own_b),
                pairs: if paired { common.len() } else { 0 },
                metrics,
            }
        })
        .collect();
    notes.extend(partly_paired);
    if unpaired > 0 {
        notes.push(format!(
            "{unpaired} point{} ran with a different seed in A and B, or share fewer than two replications, so Welch's test is used there instead of the paired one",
            if unpaired == 1 { "" } else { "s" }
        ));
    }
    if pairable > 0 {
        notes.push(
            "A and B ran the same seed, so replications with the same number share random streams (common random numbers): `--paired` removes the variance they share and detects smaller differences"
                .to_string(),
        );
    }
    Ok(Comparison {
        run_a: run_a.display().to_string(),
        run_b: run_b.display().to_string(),
        confidence,
        points,
        notes,
        significant_only: false,
        one_sided,
    })
}

impl Comparison {
    /// Keeps the metrics whose name matches one of `patterns` (all when there are none); a
    /// pattern that matches no metric is an error naming the nearest one.
    fn keep_metrics(&mut self, patterns: &[String]) -> Result<(), String> {
        let wanted = |name: &String| {
            patterns.is_empty() || patterns.iter().any(|p| matches_pattern(p, name))
        };
        for (side, names) in ["A", "B"].iter().zip(&self.one_sided) {
            let names: Vec<&String> = names.iter().filter(|name| wanted(name)).collect();
            if names.is_empty() {
                continue;
            }
            const SHOWN: usize = 3;
            let shown: Vec<String> = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
            let listed = match names.len() {
                1 => format!("{} is", shown[0]),
                n if n <= SHOWN => {
                    let (last, rest) = shown.split_last().expect("two or more");
                    format!("{} and {last} are", rest.join(", "))
                }
                n => format!("{n} metrics, such as {}, are", shown.join(", ")),
            };
            self.notes.push(format!(
                "{listed} only in {side}'s results, so not compared (a percentile or maximum only one run asked for, or a declaration only one scenario has)"
            ));
        }
        if patterns.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = self
            .points
            .iter()
            .flat_map(|p| p.metrics.iter().map(|m| m.name.clone()))
            .collect();
        for pattern in patterns {
            if !names.iter().any(|name| matches_pattern(pattern, name)) {
                // `pipeline.wait.p90`, which one run asked for and the other did not.
                for (side, names) in ["A", "B"].iter().zip(&self.one_sided) {
                    if let Some(name) = names.iter().find(|name| matches_pattern(pattern, name)) {
                        // A percentile, or a step's `.max`, reported on request.
                        let how = if crate::sim::metrics::on_request(name).is_some() {
                            "; to compare it, ask for it in both scenarios' `experiment { metrics = [...] }` and run them again"
                        } else {
                            ""
                        };
                        return Err(format!(
                            "`--metric {pattern}` matches only metrics one run reports (`{name}` is only in {side}'s results), so there is nothing to compare them with{how}"
                        ));
                    }
                }
                use crate::analysis::paths::{metric_hint, MetricHint};
                let hint = match metric_hint(pattern, &names, true) {
                    // `pipeline.wait`: the start of several names, which `pipeline.wait.*` keeps.
                    Some(MetricHint::Starts(_)) => format!(
                        "; `--metric '{pattern}.*'` keeps every metric whose name starts with it"
                    ),
                    // `wait`: a part of several names, which `*wait*` keeps.
                    Some(MetricHint::PartOf(_)) => {
                        format!("; `--metric '*{pattern}*'` keeps every metric whose name holds it")
                    }
                    Some(MetricHint::Help(help)) => format!("; {help}"),
                    None => " (`*` matches any text, as in `pipeline.wait.*`)".to_string(),
                };
                return Err(format!(
                    "`--metric {pattern}` matches no metric of these runs{hint}"
                ));
            }
        }
        for point in &mut self.points {
            point
                .metrics
                .retain(|m| patterns.iter().any(|p| matches_pattern(p, &m.name)));
        }
        Ok(())
    }

    /// The metrics of `point` to show: all, or with `--significant` those that differ.
    fn shown<'p>(&self, point: &'p PointComparison) -> impl Iterator<Item = &'p MetricComparison> {
        let all = !self.significant_only;
        point
            .metrics
            .iter()
            .filter(move |m| all || m.verdict.differs())
    }
}

/// Whether `name` matches `pattern`, where `*` stands for any text (also none).
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        // No `*`: the whole name.
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn estimate_json(e: &Estimate) -> Value {
    json!({"mean": e.mean, "ci": e.ci, "n": e.n})
}

fn format_p(p: f64) -> String {
    if p < 0.001 {
        "<0.001".to_string()
    } else {
        format!("{p:.3}")
    }
}

fn describe_params(params: &Params) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", table::format_param(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Comparison {
    pub fn to_json(&self) -> Value {
        let points: Vec<Value> = self
            .points
            .iter()
            .map(|p| {
                let metrics: serde_json::Map<String, Value> = self
                    .shown(p)
                    .map(|m| {
                        let value = json!({
                            "a": estimate_json(&m.a),
                            "b": estimate_json(&m.b),
                            "difference": m.difference().map(|(d, _)| d),
                            "ci": m.difference().map(|(_, ci)| ci),
                            "t": m.test.map(|t| t.t),
                            "df": m.test.map(|t| t.degrees_of_freedom),
                            "p": m.test.map(|t| t.p_value),
                            "verdict": m.verdict.code(),
                        });
                        (m.name.clone(), value)
                    })
                    .collect();
                let mut point = json!({"params": p.params_a});
                if p.params_b != p.params_a {
                    point["params_b"] = json!(p.params_b);
                }
                point["test"] = json!(if p.pairs > 0 { "paired" } else { "welch" });
                if p.pairs > 0 {
                    point["pairs"] = json!(p.pairs);
                }
                point["metrics"] = Value::Object(metrics);
                point
            })
            .collect();
        json!({
            "a": self.run_a,
            "b": self.run_b,
            "confidence": self.confidence,
            "points": points,
        })
    }

    pub fn to_table(&self) -> String {
        let test = match (
            self.points.iter().all(|p| p.pairs > 0),
            self.points.iter().any(|p| p.pairs > 0),
        ) {
            (true, _) => {
                "a paired t-test (same seed: replication i of A and B share their random numbers)"
            }
            (false, true) => {
                "a paired t-test where replications share their random numbers, else Welch's"
            }
            (false, false) => "Welch's t-test",
        };
        let mut out = format!(
            "A = {}\nB = {}\nmeans ± {}% confidence half-widths; B - A with {test}, significant when p < {}\n",
            self.run_a,
            self.run_b,
            table::format_percent(self.confidence),
            format_p_threshold(significance_level(self.confidence)),
        );
        let headers: Vec<String> = ["metric", "A", "B", "B - A", "p", "verdict"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for point in &self.points {
            out.push('\n');
            if !point.params_a.is_empty() || !point.params_b.is_empty() {
                if point.params_a == point.params_b {
                    out.push_str(&format!("point {}\n", describe_params(&point.written_a)));
                } else {
                    // A run that sweeps nothing ran one configuration, which its `--set`s
                    // and scenario give: the values it was matched at are shown with it.
                    let describe = |params: &Params, unswept: &[(String, String)]| {
                        let unswept: Vec<String> = unswept
                            .iter()
                            .map(|(path, value)| format!("{path}={value}"))
                            .collect();
                        match (params.is_empty(), unswept.is_empty()) {
                            (true, true) => "(no sweep)".to_string(),
                            (true, false) => format!("(no sweep: {})", unswept.join(" ")),
                            (false, true) => describe_params(params),
                            (false, false) => format!(
                                "{} (unswept: {})",
                                describe_params(params),
                                unswept.join(" ")
                            ),
                        }
                    };
                    out.push_str(&format!(
                        "point A {} / B {}\n",
                        describe(&point.written_a, &point.unswept_a),
                        describe(&point.written_b, &point.unswept_b)
                    ));
                }
            }
            let rows: Vec<Vec<String>> = self
                .shown(point)
                .map(|m| {
                    vec![
                        m.name.clone(),
                        table::format_estimate(&m.name, &m.a),
                        table::format_estimate(&m.name, &m.b),
                        match m.difference() {
                            // Not an estimate: every replication gave both the same value.
                            _ if m.verdict == Verdict::Identical => "0".to_string(),
                            Some((difference, ci)) => {
                                table::format_value(&m.name, Some(difference), Some(ci))
                            }
                            None => "-".to_string(),
                        },
                        m.test.map_or("-".to_string(), |t| format_p(t.p_value)),
                        m.verdict.text().to_string(),
                    ]
                })
                .collect();
            // Names and verdicts are text (left), the numbers right-aligned.
            let last = headers.len() - 1;
            if !rows.is_empty() {
                out.push_str(&table::render_aligned(&headers, &rows, |column| {
                    column == 0 || column == last
                }));
            }
            let verdicts: Vec<Verdict> = point.metrics.iter().map(|m| m.verdict).collect();
            out.push_str(&verdict_count(&verdicts));
            out.push('\n');
        }
        out
    }
}

/// A point's closing line: how many metrics differ significantly, which way, and how many
/// the change did not touch at all, so that a long table's message is read at a glance.
fn verdict_count(verdicts: &[Verdict]) -> String {
    let count = |verdict: Verdict| verdicts.iter().filter(|&&v| v == verdict).count();
    let differ = verdicts.iter().filter(|v| v.differs()).count();
    let total = verdicts.len();
    let metrics = if total == 1 { "metric" } else { "metrics" };
    let mut line = if differ == 0 {
        format!("none of {total} {metrics} differs significantly")
    } else {
        let ways: Vec<String> = [
            Verdict::BBetter,
            Verdict::ABetter,
            Verdict::BHigher,
            Verdict::BLower,
        ]
        .into_iter()
        .filter(|&v| count(v) > 0)
        .map(|v| format!("{} {}", count(v), v.text()))
        .collect();
        format!(
            "{differ} of {total} {metrics} {} significantly ({})",
            if differ == 1 { "differs" } else { "differ" },
            ways.join(", ")
        )
    };
    let identical = count(Verdict::Identical);
    if identical > 0 {
        line.push_str(&format!(
            "; {identical} {} the same in every replication",
            if identical == 1 { "is" } else { "are" }
        ));
    }
    line
}

/// `1 - confidence`, rounded to nine decimals so that 0.95 gives exactly 0.05 (the float
/// subtraction gives 0.050000000000000044, which would count p = 0.05 as significant).
fn significance_level(confidence: f64) -> f64 {
    ((1.0 - confidence) * 1e9).round() / 1e9
}

fn format_p_threshold(alpha: f64) -> String {
    let text = format!("{alpha:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_star_matches_any_text() {
        let cases = [
            ("pipeline.wait.*", "pipeline.wait.p95", true),
            ("pipeline.wait.*", "pipeline.waits", false),
            ("*.utilization", "resource.gpu.utilization", true),
            ("resource.*.queue.*", "resource.gpu.queue.mean", true),
            ("resource.*.queue.*", "resource.gpu.utilization", false),
            ("cost.total", "cost.total", true),
            ("cost.total", "cost.totals", false),
            ("cost", "cost.total", false),
            ("*", "anything", true),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("step.*.train.*", "step.classic.train.wait.mean", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(matches_pattern(pattern, name), expected, "{pattern} {name}");
        }
    }

    fn test_with(difference: f64, p_value: f64) -> TTest {
        TTest {
            difference,
            ci: 1.0,
            t: 0.0,
            degrees_of_freedom: 10.0,
            p_value,
        }
    }

    #[test]
    fn verdicts_follow_the_direction_of_the_metric() {
        let lower_b = test_with(-5.0, 0.001);
        let higher_b = test_with(5.0, 0.001);
        assert_eq!(
            Verdict::decide("pipeline.wait.mean", Some(&lower_b), 0.95),
            Verdict::BBetter
        );
        assert_eq!(
            Verdict::decide("pipeline.wait.mean", Some(&higher_b), 0.95),
            Verdict::ABetter
        );
        assert_eq!(
            Verdict::decide("pipeline.completed", Some(&higher_b), 0.95),
            Verdict::BBetter
        );
        assert_eq!(
            Verdict::decide("model.stale.fraction", Some(&higher_b), 0.95),
            Verdict::ABetter
        );
        assert_eq!(
            Verdict::decide("model.accuracy.mean", Some(&lower_b), 0.95),
            Verdict::ABetter
        );
        assert_eq!(
            Verdict::decide("resource.gpu.utilization", Some(&higher_b), 0.95),
            Verdict::BHigher
        );
        assert_eq!(
            Verdict::decide("cost.total", Some(&lower_b), 0.95),
            Verdict::BBetter
        );
        // More pipelines reach validation on a faster platform, and more fail it.
        assert_eq!(
            Verdict::decide("pipeline.rejected", Some(&higher_b), 0.95),
            Verdict::BHigher
        );
        assert_eq!(
            Verdict::decide("pipeline.unfinished", Some(&higher_b), 0.95),
            Verdict::ABetter
        );
    }

    #[test]
    fn significance_uses_one_minus_confidence() {
        let t = test_with(-5.0, 0.03);
        assert_eq!(
            Verdict::decide("pipeline.wait.mean", Some(&t), 0.95),
            Verdict::BBetter
        );
        assert_eq!(
            Verdict::decide("pipeline.wait.mean", Some(&t), 0.99),
            Verdict::NoSignificantDifference
        );
        let exactly = test_with(-5.0, 0.05);
        assert_eq!(
            Verdict::decide("pipeline.wait.mean", Some(&exactly), 0.95),
            Verdict::NoSignificantDifference
        );
        assert_eq!(
            Verdict::decide("pipeline.wait.mean", None, 0.95),
            Verdict::NotTestable
        );
    }

    #[test]
    fn a_point_ends_with_how_many_metrics_differ() {
        use Verdict::*;
        assert_eq!(
            verdict_count(&[BBetter, BBetter, BLower, NoSignificantDifference, Identical]),
            "3 of 5 metrics differ significantly (2 B better, 1 B lower); 1 is the same in every replication"
        );
        assert_eq!(
            verdict_count(&[ABetter, NotTestable]),
            "1 of 2 metrics differs significantly (1 A better)"
        );
        assert_eq!(
            verdict_count(&[Identical, Identical, NoSignificantDifference]),
            "none of 3 metrics differs significantly; 2 are the same in every replication"
        );
    }

    #[test]
    fn the_same_values_are_the_same_replication_by_replication() {
        assert!(same_values(&[1.0, 2.0, f64::NAN], &[1.0, 2.0, f64::NAN]));
        // The same values in another order are two different runs.
        assert!(!same_values(&[1.0, 2.0], &[2.0, 1.0]));
        assert!(!same_values(&[1.0, 2.0], &[1.0, 2.0, 3.0]));
        assert!(!same_values(&[1.0, f64::NAN], &[1.0, 1.0]));
    }

    #[test]
    fn replications_both_runs_have_pair_on_one_seed_only() {
        let (ten, twenty): (Vec<u32>, Vec<u32>) = ((0..10).collect(), (0..20).collect());
        assert_eq!(common_replications((7, 7), (&ten, &twenty)), ten);
        assert!(common_replications((7, 8), (&ten, &twenty)).is_empty());
        let values: Vec<f64> = (0..20).map(f64::from).collect();
        assert_eq!(of_replications(&values, &twenty, &[1, 3]), [1.0, 3.0]);
        assert_eq!(describe_replications(&ten), "0–9");
        assert_eq!(describe_replications(&[0, 2, 3, 4, 7]), "0, 2–4, 7");
    }

    #[test]
    fn thresholds_and_p_values_print_plainly() {
        assert_eq!(format_p_threshold(significance_level(0.95)), "0.05");
        assert_eq!(format_p_threshold(significance_level(0.99)), "0.01");
        assert_eq!(format_p(0.0004), "<0.001");
        assert_eq!(format_p(0.2346), "0.235");
    }
}
