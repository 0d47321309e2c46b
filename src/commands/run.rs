//! `pipesim run FILE`: check the scenario (the same diagnostics as `check`; on an error nothing
//! runs and the exit code is 1), run every sweep point and replication, save the run
//! directory, print its path on stderr and the summary on stdout (a table, or summary.json
//! alone with `--format json`).
//!
//! `--seed N` is an override of `scenario.seed` (applied like `--set scenario.seed=N`, after
//! the `--set`s); `--replications N` replaces the experiment's count. `--shard K/N` runs the
//! K-th contiguous slice of the (point, replication) work list and writes a shard directory
//! that `pipesim merge` joins with the others. `--precision METRIC=P` doubles the
//! replications until every point's interval is narrow enough (`crate::precision`).
//!
//! Ctrl-C (`crate::interrupt`) stops the run and saves the finished replications with the
//! list of the missing ones (exit 130); `execute`, `collect` and `save` are shared with
//! `pipesim resume`, which completes such a run.

use crate::analysis::load;
use crate::cli::{Exit, InfluxArgs, RunArgs, RunFormat, TraceMode};
use crate::experiment::{self, Failure, NoTraces, Params, Plan, PlanError, Shard, WorkItem};
use crate::fit::format_duration;
use crate::frontend;
use crate::ir;
use crate::output::manifest::{self, Manifest, Overloaded, PrecisionSettings, ShardInfo};
use crate::output::records::{self, Record};
use crate::output::run_dir::{self, RunDir};
use crate::output::summary::{self, Summary};
use crate::output::{influx, table, traces};
use crate::precision::{self, Precision, Target};
use crate::sim::ReplicationResult;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn main(args: &RunArgs) -> Exit {
    let started = Instant::now();
    let started_utc = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let shard = match args.shard.as_deref().map(Shard::parse).transpose() {
        Ok(shard) => shard,
        Err(message) => return super::fail(message),
    };
    if args.influx.influx.is_some() {
        // Options that name no server are a usage error now, not after the run.
        if let Err(e) = influx::Destination::from_args(&args.influx) {
            return super::fail(e);
        }
    }
    if args.jobs == Some(0) {
        return super::fail(
            "`--jobs 0` runs nothing; give at least 1, or leave it out to use every core",
        );
    }
    if args.max_live == 0 {
        return super::fail(max_live_zero());
    }
    let targets = match args
        .precision
        .iter()
        .map(|text| Precision::parse(text))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(targets) => targets,
        Err(message) => return super::fail(message),
    };

    // Seeds go through the language's numbers (f64): larger ones would be rounded silently.
    const LARGEST_EXACT_SEED: u64 = 1 << 53;
    if args.seed.is_some_and(|seed| seed > LARGEST_EXACT_SEED) {
        return super::fail(format!(
            "`--seed` must be at most {LARGEST_EXACT_SEED}, so that it is kept exactly"
        ));
    }
    let mut overrides = args.set.clone();
    if let Some(seed) = args.seed {
        overrides.push(format!("scenario.seed={seed}"));
    }
    let checked = frontend::check_file(&args.file, &overrides);
    frontend::print_diagnostics(&checked.sources, &checked.diagnostics().0);
    if checked.program.modules.is_empty() {
        // The entry file could not be read: an I/O error, as `check` reports it.
        return Exit::UsageOrIo;
    }
    if checked.has_errors() {
        return Exit::ScenarioErrors;
    }
    if checked.analysis.scenario.is_none() {
        return super::fail(format!(
            "`{}` has no `scenario` block, so there is nothing to run (it is a module: import it from a file that declares a scenario)",
            args.file.display()
        ));
    }
    let mut plan = match experiment::plan(&checked, &overrides, args.replications) {
        Ok(plan) => plan,
        Err(PlanError::Diagnostics(sources, diagnostics)) => {
            frontend::print_diagnostics(&sources, &diagnostics.0);
            return Exit::ScenarioErrors;
        }
        Err(PlanError::Message(message)) => return super::fail(message),
    };
    plan.max_live = args.max_live;

    for path in &checked.analysis.replaced_sweeps {
        crate::to_stderr!("note: `--set {path}=...` replaces the experiment's `sweep {path}`");
    }
    for warning in long_points(&plan, checked.analysis.scenario.as_ref()) {
        crate::to_stderr!("{warning}");
    }
    for target in &targets {
        if let Err(message) = check_precision(target, &mut plan, args.max_replications) {
            return super::fail(message);
        }
    }
    let all_items = plan.work_list();
    let range = shard.map_or(0..all_items.len(), |s| s.range(all_items.len()));
    let items = &all_items[range.clone()];

    let final_path = args
        .out
        .clone()
        .unwrap_or_else(|| run_dir::default_path(&plan.scenario_name));
    // From here on, Ctrl-C saves what has finished instead of killing the process.
    crate::interrupt::install();
    let run = match RunDir::create(&final_path) {
        Ok(run) => run,
        Err(message) => {
            // The usual reason to reuse a name: the run was interrupted there.
            return match manifest::interrupted_note(&final_path) {
                Some(note) => super::fail(format!("{message}; {note}")),
                None => super::fail(message),
            };
        }
    };
    crate::interrupt::discard_on_quit(run.path().to_path_buf());
    let (entry_copy, inputs) =
        match manifest::copy_sources(&checked.sources, &checked.program, &run) {
            Ok(copied) => copied,
            Err(message) => return super::fail(message),
        };

    let ran = match execute(&plan, items, args.jobs, args.trace, &run) {
        Ok(ran) => ran,
        Err(message) => return super::fail(message),
    };
    let (records, missing) = collect(items, ran.results, Vec::new());
    let Refined {
        records,
        missing,
        failure,
    } = match refine(
        &mut plan,
        &targets,
        args.max_replications,
        Refined {
            records,
            missing,
            failure: ran.error,
        },
        args.jobs,
        args.trace,
        &run,
    ) {
        Ok(refined) => refined,
        Err(message) => return super::fail(message),
    };
    let all_items = plan.work_list();
    let range = shard.map_or(0..all_items.len(), |s| s.range(all_items.len()));
    let jobs = args.jobs.unwrap_or_else(rayon::current_num_threads);
    let manifest = Manifest {
        pipesim: env!("CARGO_PKG_VERSION").to_string(),
        command: std::env::args().collect(),
        scenario: plan.scenario_name.clone(),
        start: plan.start_rfc3339.clone(),
        seed: plan.seed,
        confidence: plan.confidence,
        replications: plan.replications,
        points: plan.points.iter().map(|p| p.params.clone()).collect(),
        written: if plan.points.iter().all(|p| p.written.is_empty()) {
            Vec::new()
        } else {
            plan.points.iter().map(|p| p.written.clone()).collect()
        },
        overrides: overrides.clone(),
        metrics: plan.metrics.clone(),
        max_live: plan.max_live,
        trace: traces::mode_name(args.trace).to_string(),
        work_items: all_items.len(),
        shard: shard.map(|s| ShardInfo {
            index: s.index,
            count: s.count,
            first_item: range.start,
            end_item: range.end,
        }),
        entry: entry_copy,
        inputs,
        merged_from: Vec::new(),
        missing,
        stopped: failure.as_ref().map(manifest::Stopped::of),
        overloaded: overloaded(&plan),
        precision: (!targets.is_empty()).then(|| PrecisionSettings {
            targets: args.precision.clone(),
            max_replications: args.max_replications,
        }),
        resumed: 0,
        started_utc,
        wall_seconds: started.elapsed().as_secs_f64(),
        jobs,
    };
    let stopped = failure.is_some();
    let (final_path, exit) = match save(
        run,
        &plan,
        &records,
        manifest,
        (args.trace, args.format),
        stopped,
    ) {
        Ok(saved) => saved,
        Err(message) => return super::fail(message),
    };
    if let Some(failure) = failure {
        return super::fail(stopped_by(&failure, &plan, &final_path));
    }
    if exit != Exit::Success {
        if args.influx.influx.is_some() {
            crate::to_stderr!(
                "not sent to InfluxDB: the run is incomplete (send it with `pipesim export` once resumed)"
            );
        }
        return exit;
    }
    if args.influx.influx.is_some() {
        if let Err(message) = send_to_influx(&final_path, &args.influx) {
            return super::fail(message);
        }
    }
    Exit::Success
}

/// What stopped a run whose finished replications were saved in `dir`, and what to do.
pub fn stopped_by(failure: &Failure, plan: &Plan, dir: &Path) -> String {
    let dir = dir.display();
    match failure {
        Failure::Trace(error) => format!(
            "{error}; the finished replications are saved in `{dir}`: once the cause is fixed (a full disk, say), finish the run with `pipesim resume {dir}`"
        ),
        Failure::Overfull { item, overfull } => {
            let point = &plan.points[item.point];
            let at = if plan.points.len() > 1 {
                format!(" at {}", point_label(&point.written))
            } else {
                String::new()
            };
            let resources = &point.scenario.resources;
            let queue = overfull
                .longest_queue
                .and_then(|(id, length)| Some((&resources.get(id as usize)?.name, length)))
                .map_or_else(String::new, |(name, length)| {
                    format!(", {length} of them in `{name}`'s queue")
                });
            let offered = load::overloads(&point.scenario)
                .iter()
                .map(|o| {
                    let o = Overloaded::new(item.point, &point.scenario, o);
                    format!("`{}` {}", o.resource, o.load_text())
                })
                .collect::<Vec<_>>();
            let cause = if offered.is_empty() {
                "more work arrives than the pools get through".to_string()
            } else {
                offered.join(", ")
            };
            format!(
                "replication {}{at} held {} pipelines at once after {} of simulated time{queue}, more than `--max-live {}` allows: {cause}, so the queue would grow until it took all memory. The finished replications are saved in `{dir}`. Correct the scenario (a rate's unit, a pool's capacity) and run it again; or, to study a platform this full, finish this run with `pipesim resume {dir} --max-live {}` (or a larger limit)",
                item.replication,
                overfull.live,
                format_duration(overfull.time),
                plan.max_live,
                manifest::larger_max_live(plan.max_live)
            )
        }
    }
}

/// What a run has so far: its records in work-list order, the items that did not run, and
/// the error that stopped it, if any.
pub struct Refined {
    pub records: Vec<Record>,
    pub missing: Vec<WorkItem>,
    pub failure: Option<Failure>,
}

/// `--precision`: doubles `plan`'s replications, running only the new ones, while some
/// point's interval misses a target, up to `max`; says on stderr how it ended. Stops at once
/// when the run so far is incomplete (interrupted, or a trace write failed).
pub fn refine(
    plan: &mut Plan,
    targets: &[Precision],
    max: u32,
    mut so_far: Refined,
    jobs: Option<usize>,
    trace: TraceMode,
    run: &RunDir,
) -> Result<Refined, String> {
    if targets.is_empty() {
        return Ok(so_far);
    }
    while so_far.missing.is_empty() && so_far.failure.is_none() {
        let summary = summarize(plan, &so_far.records);
        let unmet: Vec<(&Precision, Vec<precision::Unmet>)> = targets
            .iter()
            .map(|target| (target, target.unmet(&summary)))
            .filter(|(_, unmet)| !unmet.is_empty())
            .collect();
        if unmet.is_empty() {
            let met: Vec<String> = targets.iter().map(Precision::describe).collect();
            crate::to_stderr!(
                "precision: {} at every point after {} replications",
                met.join(", "),
                plan.replications
            );
            break;
        }
        if plan.replications >= max {
            let short: Vec<String> = unmet
                .iter()
                .map(|(target, unmet)| {
                    format!(
                        "`{}`: {}",
                        target.metric,
                        describe_unmet(target, unmet, plan)
                    )
                })
                .collect();
            crate::to_stderr!(
                "warning: precision not reached after {} replications (`--max-replications`): {}",
                plan.replications,
                short.join("; ")
            );
            break;
        }
        let done = plan.replications;
        plan.replications = precision::next_count(done, max);
        let more: Vec<WorkItem> = plan
            .work_list()
            .into_iter()
            .filter(|item| item.replication >= done)
            .collect();
        let ran = execute(plan, &more, jobs, trace, run)?;
        let (records, missing) = collect(&more, ran.results, so_far.records);
        so_far = Refined {
            records,
            missing,
            failure: ran.error,
        };
    }
    Ok(so_far)
}

/// Runs `items`, writing the traced ones' part files into the run directory, until done,
/// interrupted (Ctrl-C) or stopped by an error writing traces: an item that did not finish
/// is `None`.
pub fn execute(
    plan: &Plan,
    items: &[WorkItem],
    jobs: Option<usize>,
    trace: TraceMode,
    run: &RunDir,
) -> Result<experiment::Ran, String> {
    let stop = crate::interrupt::flag();
    if trace == TraceMode::None {
        return experiment::run(plan, items, jobs, &NoTraces, stop);
    }
    let parts_dir = traces::parts_dir(run.path());
    std::fs::create_dir_all(&parts_dir)
        .map_err(|e| format!("cannot create `{}`: {e}", parts_dir.display()))?;
    let factory = traces::PartFiles {
        parts_dir,
        mode: trace,
    };
    experiment::run(plan, items, jobs, &factory, stop)
}

/// The records of the items that ran, joined to `earlier` ones in work-list order, and the
/// items that did not run.
pub fn collect(
    items: &[WorkItem],
    results: Vec<Option<ReplicationResult>>,
    earlier: Vec<Record>,
) -> (Vec<Record>, Vec<WorkItem>) {
    let mut records = earlier;
    let mut missing = Vec::new();
    for (&item, result) in items.iter().zip(results) {
        match result {
            Some(result) => records.push(
                Record {
                    item,
                    metrics: result.metrics,
                    wait_batches: Some(result.wait_batches),
                }
                .normalised(),
            ),
            None => missing.push(item),
        }
    }
    records.sort_by_key(|r| r.item);
    (records, missing)
}

/// Saves the run directory: complete (traces joined, summary of every replication), or, if
/// `manifest.missing` names items that did not run, interrupted (the finished replications,
/// their summary and trace parts, for `pipesim resume`). Prints where it went and the summary;
/// returns the directory and the exit code. `stopped`: a failure ended the run, which the
/// caller reports with what to do, so the interruption's advice is not given.
pub fn save(
    run: RunDir,
    plan: &Plan,
    records: &[Record],
    manifest: Manifest,
    (trace, format): (TraceMode, RunFormat),
    stopped: bool,
) -> Result<(PathBuf, Exit), String> {
    let mut saving = crate::interrupt::saving();
    let complete = manifest.missing.is_empty();
    if trace != TraceMode::None && !complete {
        // Best effort: a part left behind is written again by the resume that runs its item,
        // and a disk in trouble must not stop the finished replications from being saved.
        let parts_dir = traces::parts_dir(run.path());
        for &item in &manifest.missing {
            let _ = traces::remove_parts(&parts_dir, item);
        }
    }
    if trace != TraceMode::None && complete {
        let traced: Vec<WorkItem> = records
            .iter()
            .filter(|r| traces::is_traced(trace, r.item))
            .map(|r| r.item)
            .collect();
        let traces_dir = run.path().join(traces::DIR_NAME);
        traces::concatenate_parts(&traces::parts_dir(run.path()), &traces_dir, &traced)
            .map_err(|e| format!("cannot write traces: {e}"))?;
    }
    let mut summary = summarize(plan, records);
    summary.attach_overloaded(&manifest.overloaded);
    let finished = finish_run_dir(run, records, &summary, &manifest);
    if let Some(scratch) = saving.as_mut() {
        // Renamed into place, or kept complete under its temporary name, or removed: in
        // every case a second Ctrl-C must not touch it now.
        **scratch = None;
    }
    drop(saving);
    let final_path = finished?;
    let held = manifest
        .shard
        .map_or(manifest.work_items, |s| s.end_item - s.first_item);
    if stopped {
        crate::to_stderr!(
            "stopped: {} of {held} replications saved to {}",
            records.len(),
            final_path.display(),
        );
    } else if !complete {
        crate::to_stderr!(
            "interrupted: {} of {held} replications saved to {}; finish the run with `pipesim resume {}`",
            records.len(),
            final_path.display(),
            final_path.display()
        );
    } else {
        match manifest.shard {
            Some(shard) => crate::to_stderr!(
                "shard {}/{} ({held} of {} replications) saved to {}",
                shard.index,
                shard.count,
                manifest.work_items,
                final_path.display()
            ),
            None => crate::to_stderr!("run saved to {}", final_path.display()),
        }
        if let Some(note) = large_traces_note(&final_path, trace) {
            crate::to_stderr!("{note}");
        }
    }
    let note = match manifest.shard {
        _ if stopped => Some(format!("stopped: {} of {held} ran", records.len())),
        _ if !complete => Some(format!("interrupted: {} of {held} ran", records.len())),
        Some(shard) => Some(format!(
            "shard {}/{}: {held} of {}",
            shard.index, shard.count, manifest.work_items
        )),
        None => None,
    };
    print_summary(
        format,
        &summary,
        plan,
        (note.as_deref(), &manifest.overrides),
    );
    // Only the points the table shows: a shard's, or those that ran before a stop.
    let overloaded: Vec<Overloaded> = manifest
        .overloaded
        .iter()
        .filter(|o| summary.points.iter().any(|p| p.point == o.point))
        .cloned()
        .collect();
    let notes = [
        overloaded_note(&overloaded, plan),
        cautions_note(&summary, plan, &overloaded),
    ];
    for text in notes.into_iter().flatten() {
        // Beside the table it explains; with `--format json` or `csv` stdout is data.
        match format {
            RunFormat::Table => super::print_out(format_args!("\n{text}")),
            RunFormat::Json | RunFormat::Csv => {
                crate::console::print_err(format_args!("warning: {text}"))
            }
        }
    }
    let exit = if complete {
        Exit::Success
    } else {
        Exit::Interrupted
    };
    Ok((final_path, exit))
}

/// Why `--max-live 0` is refused: it would stop every replication at its first pipeline.
pub fn max_live_zero() -> String {
    format!(
        "`--max-live 0` stops a replication at its first pipeline; give at least 1, or leave it out for {}",
        experiment::DEFAULT_MAX_LIVE
    )
}

/// Traces past this many bytes get a note: the default (`--trace first`) writes about 190 MB
/// per simulated year of the year benchmark, which a user running a long horizon should not
/// find out from a full disk.
const LARGE_TRACES: u64 = 100_000_000;

/// How much the run's traces take, when that is a lot, and how to keep fewer.
fn large_traces_note(run_dir: &Path, trace: TraceMode) -> Option<String> {
    let dir = run_dir.join(traces::DIR_NAME);
    let size: u64 = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|entry| entry.ok()?.metadata().ok())
        .filter(|metadata| metadata.is_file())
        .map(|metadata| metadata.len())
        .sum();
    if size < LARGE_TRACES {
        return None;
    }
    let which = match trace {
        TraceMode::All => "every replication; `--trace first` keeps only the first of each point",
        _ => "the first replication of each point",
    };
    Some(format!(
        "note: the traces take {} in `{}` ({which}; `--trace none` keeps none)",
        crate::output::report::bytes(size as f64),
        dir.display()
    ))
}

/// Whether `--precision` names a metric of the scenario and leaves room to add replications.
/// A metric the scenario does not report unless asked (`pipeline.wait.p90`, a template's own
/// `pipeline.nlp.wait.mean`) is asked for, and shown first in the table.
fn check_precision(precision: &Precision, plan: &mut Plan, max: u32) -> Result<(), String> {
    if plan.points.is_empty() {
        return Ok(());
    }
    if ask_for_metric_on_request(precision, plan) {
        return check_replications(plan, max);
    }
    let first = &plan.points[0];
    let known =
        crate::analysis::paths::metric_names(&first.scenario.resources, &first.scenario.pipelines);
    let requested = &first.scenario.experiment.metrics;
    if !known.contains(&precision.metric) && !requested.contains(&precision.metric) {
        use crate::analysis::paths::{metric_hint, MetricHint};
        let hint = match metric_hint(&precision.metric, &known, false) {
            // `pipeline.wait`: the start of several names, not a slip from the nearest.
            Some(MetricHint::Starts(family)) => format!(
                "; it is the start of {} metrics' names, such as `{}`",
                family.len(),
                family[0]
            ),
            Some(MetricHint::PartOf(names)) => format!(
                "; it is part of {} metrics' names, such as `{}`",
                names.len(),
                names[0]
            ),
            Some(MetricHint::Help(help)) => format!("; {help}"),
            None => String::new(),
        };
        return Err(format!(
            "`--precision` names `{}`, which is not a metric of this scenario{hint}",
            precision.metric
        ));
    }
    check_replications(plan, max)
}

fn check_replications(plan: &Plan, max: u32) -> Result<(), String> {
    if max < plan.replications {
        return Err(format!(
            "`--max-replications {max}` is below the {} replications the run starts with",
            plan.replications
        ));
    }
    Ok(())
}

/// `--precision pipeline.wait.p90=...` (or `step.P.S.service.max=...`) where the scenario
/// does not ask for that metric, which is reported on request:
/// asks for it at every point (and shows it first in the table), as `resume` must again.
/// Whether it did.
pub(super) fn ask_for_metric_on_request(precision: &Precision, plan: &mut Plan) -> bool {
    let Some(first) = plan.points.first() else {
        return false;
    };
    let known =
        crate::analysis::paths::metric_names(&first.scenario.resources, &first.scenario.pipelines);
    if known.contains(&precision.metric)
        || first
            .scenario
            .experiment
            .metrics
            .contains(&precision.metric)
        || !(crate::analysis::paths::reported_on_request(&precision.metric, &known)
            || crate::analysis::paths::of_a_template(&precision.metric, &first.scenario.pipelines))
    {
        return false;
    }
    for point in &mut plan.points {
        point
            .scenario
            .experiment
            .metrics
            .push(precision.metric.clone());
    }
    if !plan.metrics.contains(&precision.metric) {
        plan.metrics.insert(0, precision.metric.clone());
    }
    true
}

/// "12.3%" for 0.123.
fn percent(fraction: f64) -> String {
    format!("{}%", table::format_percent(fraction))
}

/// Where `--precision` fell short: each point's params and half-width (relative to the mean
/// for a relative target).
fn describe_unmet(target: &Precision, unmet: &[precision::Unmet], plan: &Plan) -> String {
    unmet
        .iter()
        .map(|u| {
            let at = point_label(&plan.points[u.point].written);
            match (u.achieved, &target.target) {
                (Some(r), Target::Relative(_)) => format!("{at} at ±{}", percent(r)),
                (Some(ci), Target::Absolute { .. }) => {
                    let shown = table::format_value(&target.metric, Some(ci), None);
                    format!("{at} at ±{shown}")
                }
                (None, _) => format!("{at} without an interval"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A point as people read it: `gpu.capacity=8 triggers.growth=2.0`, or "the scenario" when
/// nothing is swept.
pub fn point_label(written: &Params) -> String {
    if written.is_empty() {
        return "the scenario".to_string();
    }
    written
        .iter()
        .map(|(k, v)| format!("{k}={}", table::format_param(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Sweep points whose replications would each start so many pipelines that they take minutes,
/// or never end (W0605 judges the scenario as written; a sweep of the horizon or of a rate
/// can reach such a point from one that is not), said before the run starts.
fn long_points(plan: &Plan, written: Option<&ir::Scenario>) -> Vec<String> {
    use rayon::prelude::*;
    let triggers =
        |scenario: &ir::Scenario| load::total_triggers(scenario, &load::offered_load(scenario));
    if plan.points.len() < 2 {
        return Vec::new();
    }
    // Points with the scenario's own count were warned of with it.
    let warned = written
        .map(triggers)
        .filter(|&t| load::too_many_triggers(t));
    plan.points
        .par_iter()
        .filter_map(|point| {
            let total = triggers(&point.scenario);
            (load::too_many_triggers(total) && Some(total) != warned).then(|| {
                format!(
                    "warning: at {}, each replication would start {} (W0605): check the swept values; Ctrl-C stops the run and keeps the finished replications",
                    point_label(&point.written),
                    load::triggers_text(total)
                )
            })
        })
        .collect()
}

/// The pools and links each point asks for more than they can do (`analysis::load`, as
/// W0603 and W0604 judge the scenario itself), in point order. Worked out point by point in parallel: a
/// replayed trace makes it tens of milliseconds a point.
pub fn overloaded(plan: &Plan) -> Vec<Overloaded> {
    use rayon::prelude::*;
    let per_point: Vec<Vec<Overloaded>> = plan
        .points
        .par_iter()
        .enumerate()
        .map(|(point, p)| {
            load::overloads(&p.scenario)
                .into_iter()
                .map(|o| Overloaded::new(point, &p.scenario, &o))
                .collect()
        })
        .collect();
    per_point.into_iter().flatten().collect()
}

/// Says which points are overloaded and why their figures do not settle; `None` when none is.
fn overloaded_note(overloaded: &[Overloaded], plan: &Plan) -> Option<String> {
    if overloaded.is_empty() {
        return None;
    }
    let swept = plan.points.len() > 1;
    let mut text = if swept {
        "overloaded sweep points: a pool or link is asked for more than it can do, so its backlog\n\
         grows until the horizon, and the waits and makespans there grow with the horizon instead\n\
         of settling (`pipesim check --load` gives every point's load):\n"
            .to_string()
    } else {
        "overloaded: a pool or link is asked for more than it can do (W0603, W0604), so its backlog\n\
         grows until the horizon, and the waits and makespans grow with the horizon instead of\n\
         settling:\n"
            .to_string()
    };
    for o in overloaded {
        let at = match plan.points.get(o.point) {
            Some(p) if swept => format!("{}: ", point_label(&p.written)),
            _ => String::new(),
        };
        text += &format!("  {at}`{}` {}\n", o.resource, o.load_text());
    }
    Some(text)
}

/// Names the points whose figures are not the steady-state ones they seem (the warm-up
/// check, unfinished pipelines left out: `summary::cautions`), and what to do; `None` when
/// there are none. An overloaded point's are the overload note's.
fn cautions_note(summary: &Summary, plan: &Plan, overloaded: &[Overloaded]) -> Option<String> {
    let swept = plan.points.len() > 1;
    let mut lines = String::new();
    for p in summary
        .points
        .iter()
        .filter(|p| !overloaded.iter().any(|o| o.point == p.point))
    {
        for text in summary::point_cautions(p) {
            let text = match plan.points.get(p.point) {
                Some(planned) if swept => format!("{}: {text}", point_label(&planned.written)),
                _ => text,
            };
            lines += &table::wrap(&text, 92, "  ", "    ");
        }
    }
    (!lines.is_empty()).then(|| {
        format!(
            "caution: these figures are not quite the steady state they seem to describe\n\
             (`pipesim explain cautions` says why and what to do):\n{lines}"
        )
    })
}

/// The summary of `records`, computed as `pipesim merge` computes it.
pub fn summarize(plan: &Plan, records: &[Record]) -> Summary {
    let points: Vec<_> = plan.points.iter().map(|p| p.params.clone()).collect();
    summary::summarize(
        &plan.scenario_name,
        plan.seed,
        plan.confidence,
        &points,
        records,
    )
}

/// Writes the records, summary and manifest, and renames the directory into place.
pub fn finish_run_dir(
    run: RunDir,
    records: &[Record],
    summary: &Summary,
    manifest: &Manifest,
) -> Result<std::path::PathBuf, String> {
    let records_path = run.path().join(records::FILE_NAME);
    records::write(&records_path, records)
        .map_err(|e| format!("cannot write `{}`: {e}", records_path.display()))?;
    run.write(summary::FILE_NAME, summary.to_text())?;
    run.write(summary::CSV_FILE_NAME, summary.to_csv()?)?;
    run.write(manifest::FILE_NAME, manifest.to_text())?;
    run.commit()
}

/// The run's summary on stdout, as `--format` asks.
fn print_summary(
    format: RunFormat,
    summary: &Summary,
    plan: &Plan,
    (note, overrides): (Option<&str>, &[String]),
) {
    match format {
        RunFormat::Json => super::print_out(summary.to_text()),
        // Written to the run directory already, so it cannot fail here.
        RunFormat::Csv => super::print_out(summary.to_csv().unwrap_or_default()),
        RunFormat::Table => {
            let table::RunColumns {
                columns,
                missing,
                pools_left_out,
            } = table::run_columns(summary, &plan.metrics);
            for name in missing {
                crate::to_stderr!(
                    "warning: metric `{name}` of `experiment.metrics` was not measured"
                );
            }
            // On a terminal, as wide as it is; into a file or a pipe, one table whatever
            // its width (scripts and diffs see the same layout on every machine).
            let width = std::io::stdout()
                .is_terminal()
                .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
                .flatten();
            // Params as the scenario writes them (`1Gbps`, not 125000000).
            let mut shown = summary.clone();
            for point in &mut shown.points {
                if let Some(planned) = plan.points.get(point.point) {
                    point.params = planned.written.clone();
                }
            }
            super::print_out(table::run_table(
                &shown,
                &columns,
                (plan.points.len(), plan.replications),
                (note, overrides),
                plan.confidence,
                width,
            ));
            if pools_left_out > 0 {
                super::print_out(format_args!(
                    "\n(the {} busiest pools' utilization; {pools_left_out} more pools' are in \
                     summary.json and `pipesim report`, and `experiment.metrics` chooses the \
                     columns)\n",
                    table::DEFAULT_POOL_COLUMNS
                ));
            }
        }
    }
}

/// Sends the finished run directory to InfluxDB (after it is complete, so a server that is
/// down loses nothing: the error says how to send it again).
fn send_to_influx(run_dir: &Path, influx: &InfluxArgs) -> Result<(), String> {
    let again = influx::SendReport::export_command(run_dir, influx);
    let report = influx::send_run(run_dir, influx)
        .map_err(|e| format!("{e}; the run is saved: send it later with `{again}`"))?;
    crate::to_stderr!("{report}");
    if report.complete() {
        Ok(())
    } else {
        Err(format!(
            "{} points were not sent; the run is saved: send it again with `{again}`",
            report.total_not_sent()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sweep point whose replications would start 100 million pipelines or more is named
    /// before the run, with its count and time; one with the scenario's own count is not
    /// named again (check's W0605 said it), nor is a point under the threshold.
    #[test]
    fn sweep_points_that_would_run_for_minutes_are_named_before_the_run() {
        let warnings = |horizon: &str, sets: &[&str]| {
            let text = format!(
                "scenario s {{ horizon = {horizon} }}
resource gpu {{ kind = pool  capacity = 1 }}
pipeline p {{ train {{ on = gpu  duration = 0.5s }} }}
arrivals a {{ interarrival = 1s  pipeline = p }}
"
            );
            let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
            let checked = frontend::check_text(Path::new("s.pipesim"), text, &sets);
            let Ok(plan) = experiment::plan(&checked, &sets, None) else {
                panic!("{sets:?} does not plan");
            };
            long_points(&plan, checked.analysis.scenario.as_ref())
        };
        assert_eq!(
            warnings("1d", &["scenario.horizon=[1d, 1158d]"]),
            ["warning: at scenario.horizon=1158d, each replication would start about 100 million pipelines, for about 50s of simulation (W0605): check the swept values; Ctrl-C stops the run and keeps the finished replications"]
        );
        assert!(warnings("1158d", &["gpu.capacity=[1, 2]"]).is_empty());
        assert!(warnings("1d", &["scenario.horizon=[1d, 1157d]"]).is_empty());
        // A single point is the scenario as `check` judged it.
        assert!(warnings("1158d", &[]).is_empty());
    }

    /// Traces past 100 MB get a note with their size and how to keep fewer; smaller ones do
    /// not. (Sparse files: their length is what the note reads, without the disk space.)
    #[test]
    fn large_traces_get_a_note() {
        let run = tempfile::tempdir().unwrap();
        let dir = run.path().join(traces::DIR_NAME);
        std::fs::create_dir(&dir).unwrap();
        let file = |name: &str, len: u64| {
            std::fs::File::create(dir.join(name))
                .unwrap()
                .set_len(len)
                .unwrap()
        };
        file("steps.csv", 60_000_000);
        assert_eq!(large_traces_note(run.path(), TraceMode::First), None);
        file("resources.csv", 90_000_000);
        let note = large_traces_note(run.path(), TraceMode::First).unwrap();
        assert!(
            note.starts_with("note: the traces take 150 MB in `")
                && note
                    .ends_with("(the first replication of each point; `--trace none` keeps none)"),
            "{note}"
        );
        let note = large_traces_note(run.path(), TraceMode::All).unwrap();
        assert!(
            note.contains("(every replication; `--trace first` keeps only the first"),
            "{note}"
        );
        // A run without traces has nothing to say.
        assert_eq!(
            large_traces_note(&run.path().join("none"), TraceMode::None),
            None
        );
    }
}
