//! `pipesim resume DIR [--replications N]`: finishes a run that Ctrl-C interrupted, or gives a
//! run more replications per point. The run directory holds the scenario's files as they were
//! run (`scenario/`), the `--set` overrides, the finished replications with their traces,
//! and the list of work items that did not run (`manifest.json`'s `missing`). Resume checks
//! the copies against their recorded SHA-256, plans the experiment again from them (with N
//! replications), runs only the items the run lacks and writes the run in place of the old
//! directory (which stays whole until the new one is complete).
//!
//! Invariant: since a replication is a pure function of the scenario, its seed and its
//! index, a run interrupted and resumed any number of times, or made with fewer replications
//! and given more, has the same `replications.jsonl`, `summary.json` and traces, byte for
//! byte, as the run made in one go.

use super::run::Refined;
use crate::cli::{Exit, ResumeArgs, TraceMode};
use crate::experiment::{self, PlanError, WorkItem};
use crate::frontend;
use crate::output::manifest::{self, Manifest};
use crate::output::records;
use crate::output::run_dir::RunDir;
use crate::output::traces;
use crate::precision::Precision;
use std::path::Path;
use std::time::Instant;

pub fn main(args: &ResumeArgs) -> Exit {
    if args.jobs == Some(0) {
        return super::fail(
            "`--jobs 0` runs nothing; give at least 1, or leave it out to use every core",
        );
    }
    if args.max_live == Some(0) {
        return super::fail(super::run::max_live_zero());
    }
    match resume(args) {
        Ok(exit) => exit,
        Err(Failure::Message(message)) => super::fail(message),
        Err(Failure::Diagnostics) => Exit::ScenarioErrors,
    }
}

enum Failure {
    Message(String),
    /// Printed already.
    Diagnostics,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Message(message)
    }
}

fn resume(args: &ResumeArgs) -> Result<Exit, Failure> {
    let started = Instant::now();
    let dir = args.run_dir.as_path();
    let old = Manifest::read(dir)?;
    let replications = args.replications.unwrap_or(old.replications);
    if replications < old.replications {
        return Err(format!(
            "`{}` has {} replications per point; `--replications` can add replications, not remove them",
            dir.display(),
            old.replications
        )
        .into());
    }
    let extending = replications > old.replications;
    if old.missing.is_empty() && !extending {
        return Err(format!(
            "`{}` is a complete run of {} replications per point: there is nothing to resume (give `--replications N` above {} to add replications)",
            dir.display(),
            old.replications,
            old.replications
        )
        .into());
    }
    if extending && old.shard.is_some() {
        return Err(format!(
            "`{}` is one shard of a run, and more replications would move every shard's slice of the work list: merge the shards, then add replications to the merged run",
            dir.display()
        )
        .into());
    }
    let version = env!("CARGO_PKG_VERSION");
    if old.pipesim != version {
        return Err(format!(
            "`{}` was run by pipesim {}, and this is {version}: resume it with the version that started it, so that its replications stay comparable",
            dir.display(),
            old.pipesim
        )
        .into());
    }
    let trace = traces::mode_from_name(&old.trace).ok_or_else(|| {
        format!(
            "`{}` names an unknown trace mode `{}`",
            dir.join(manifest::FILE_NAME).display(),
            old.trace
        )
    })?;
    check_copies(dir, &old)?;

    let checked = frontend::check_file(&dir.join(&old.entry), &old.overrides);
    frontend::print_diagnostics(&checked.sources, &checked.diagnostics().0);
    if checked.has_errors() {
        return Err(Failure::Diagnostics);
    }
    let mut plan = match experiment::plan(&checked, &old.overrides, Some(replications)) {
        Ok(plan) => plan,
        Err(PlanError::Diagnostics(sources, diagnostics)) => {
            frontend::print_diagnostics(&sources, &diagnostics.0);
            return Err(Failure::Diagnostics);
        }
        Err(PlanError::Message(message)) => return Err(message.into()),
    };
    plan.max_live = args.max_live.unwrap_or(old.max_live);
    // A percentile the run's `--precision` asked for is asked for again, whether or not
    // the doubling goes on, so that every replication reports the same metrics.
    if let Some(settings) = &old.precision {
        for text in &settings.targets {
            super::run::ask_for_metric_on_request(&Precision::parse(text)?, &mut plan);
        }
    }
    let points: Vec<_> = plan.points.iter().map(|p| p.params.clone()).collect();
    let old_items = old.points.len() * old.replications as usize;
    if points != old.points || old_items != old.work_items {
        return Err(format!(
            "the scenario in `{}` no longer plans the run's sweep points; was `manifest.json` edited?",
            dir.display()
        )
        .into());
    }
    let earlier = records::read(dir)?;
    let mut missing = old.missing.clone();
    missing.extend(
        plan.work_list()
            .into_iter()
            .filter(|item| item.replication >= old.replications),
    );
    missing.sort();
    if let Some(record) = earlier.iter().find(|r| old.missing.contains(&r.item)) {
        return Err(format!(
            "`{}` both holds and lacks replication {} of point {}; was it edited?",
            dir.display(),
            record.item.replication,
            record.item.point
        )
        .into());
    }

    let run = RunDir::replacing(dir)?;
    crate::interrupt::discard_on_quit(run.path().to_path_buf());
    for input in &old.inputs {
        let source = dir.join(&input.copy);
        let bytes = std::fs::read(&source)
            .map_err(|e| format!("cannot read `{}`: {e}", source.display()))?;
        run.write(&input.copy, bytes)?;
    }
    let new_parts = traces::parts_dir(run.path());
    if trace != TraceMode::None && old.missing.is_empty() {
        // A complete run: its traces are joined; part them again to join them with the new.
        let traced: Vec<WorkItem> = earlier
            .iter()
            .map(|r| r.item)
            .filter(|&item| traces::is_traced(trace, item))
            .collect();
        traces::split_into_parts(&dir.join(traces::DIR_NAME), &new_parts, &traced)?;
    } else if trace != TraceMode::None {
        traces::copy_parts(&traces::parts_dir(dir), &new_parts)?;
    }
    crate::to_stderr!(
        "resuming `{}`: {} replications to run",
        dir.display(),
        missing.len()
    );
    crate::interrupt::install();
    let ran = super::run::execute(&plan, &missing, args.jobs, trace, &run)?;
    let (records, missing) = super::run::collect(&missing, ran.results, earlier);
    // A `--precision` run goes on doubling where it stopped, unless told a count.
    let targets = match (&old.precision, args.replications) {
        (Some(settings), None) => settings
            .targets
            .iter()
            .map(|text| Precision::parse(text))
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let Refined {
        records,
        missing,
        failure,
    } = super::run::refine(
        &mut plan,
        &targets,
        old.precision.as_ref().map_or(0, |p| p.max_replications),
        Refined {
            records,
            missing,
            failure: ran.error,
        },
        args.jobs,
        trace,
        &run,
    )?;
    let jobs = args.jobs.unwrap_or_else(rayon::current_num_threads);
    let manifest = Manifest {
        missing,
        replications: plan.replications,
        work_items: plan.work_list().len(),
        resumed: old.resumed + 1,
        max_live: plan.max_live,
        stopped: failure.as_ref().map(crate::output::manifest::Stopped::of),
        wall_seconds: old.wall_seconds + started.elapsed().as_secs_f64(),
        jobs: old.jobs.max(jobs),
        ..old
    };
    let (path, exit) = super::run::save(
        run,
        &plan,
        &records,
        manifest,
        (trace, args.format),
        failure.is_some(),
    )?;
    match failure {
        Some(failure) => Err(super::run::stopped_by(&failure, &plan, &path).into()),
        None => Ok(exit),
    }
}

/// Whether the scenario's copies are still the files that were run.
fn check_copies(dir: &Path, manifest: &Manifest) -> Result<(), String> {
    for input in &manifest.inputs {
        let path = dir.join(&input.copy);
        let bytes =
            std::fs::read(&path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if manifest::sha256_hex(&bytes) != input.sha256 {
            return Err(format!(
                "`{}` was changed after the run started (its SHA-256 is not the one in `manifest.json`): a resumed run must run the same scenario; restore it, or start a new run",
                path.display()
            ));
        }
    }
    Ok(())
}
