//! `pipesim merge DIR... --out DIR`: joins the run directories of `--shard K/N` runs into one
//! run directory whose `summary.json` is byte for byte the unsharded run's.
//!
//! The shards must be of the same scenario files (same SHA-256), seed, pipesim version,
//! replications, sweep points and trace mode, and together cover every (point, replication)
//! work item exactly once; otherwise merge says which shard differs or what is missing and
//! writes nothing. The summary is computed from the shards' raw `replications.jsonl` by the
//! code `run` uses; traces are concatenated in shard order, which is work-list order because
//! shards are contiguous slices.

use crate::cli::{Exit, MergeArgs};
use crate::output::manifest::{Manifest, ShardInfo};
use crate::output::records::{self, Record};
use crate::output::run_dir::RunDir;
use crate::output::{summary, traces};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub fn main(args: &MergeArgs) -> Exit {
    match merge(&args.dirs, &args.out) {
        Ok((path, shards)) => {
            crate::to_stderr!("merged {shards} shards into {}", path.display());
            Exit::Success
        }
        Err(message) => super::fail(message),
    }
}

struct Shard {
    dir: PathBuf,
    manifest: Manifest,
    info: ShardInfo,
}

fn merge(dirs: &[PathBuf], out: &Path) -> Result<(PathBuf, usize), String> {
    let started = Instant::now();
    let mut shards = Vec::new();
    for dir in dirs {
        let manifest = Manifest::read(dir)?;
        if !manifest.missing.is_empty() {
            return Err(format!(
                "`{}` was interrupted and lacks {} replications; finish it with `pipesim resume {}`, then merge",
                dir.display(),
                manifest.missing.len(),
                dir.display()
            ));
        }
        let Some(info) = manifest.shard else {
            return Err(format!(
                "`{}` is not a shard: it was run without `--shard`, and is already a whole run",
                dir.display()
            ));
        };
        shards.push(Shard {
            dir: dir.clone(),
            manifest,
            info,
        });
    }
    let first = &shards[0];
    for other in &shards[1..] {
        check_same_run(first, other)?;
    }
    let count = first.info.count;
    shards.sort_by_key(|s| s.info.index);
    for pair in shards.windows(2) {
        if pair[0].info.index == pair[1].info.index {
            return Err(format!(
                "shard {}/{count} is given twice: `{}` and `{}`",
                pair[0].info.index,
                pair[0].dir.display(),
                pair[1].dir.display()
            ));
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|k| !shards.iter().any(|s| s.info.index == *k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        let (noun, verb) = if missing.len() == 1 {
            ("shard", "is")
        } else {
            ("shards", "are")
        };
        return Err(format!(
            "{noun} {} {verb} missing; merge needs all {count} shards of the run",
            missing.join(", ")
        ));
    }

    let layout = &shards[0].manifest;
    let replications = layout.replications as usize;
    let mut covered = vec![false; layout.work_items];
    let mut all_records: Vec<Record> = Vec::new();
    for shard in &shards {
        for record in records::read(&shard.dir)? {
            let position = record.item.point * replications + record.item.replication as usize;
            let inside = record.item.point < layout.points.len()
                && (record.item.replication as usize) < replications
                && (shard.info.first_item..shard.info.end_item).contains(&position);
            if !inside {
                return Err(format!(
                    "`{}` holds replication {} of point {}, which is not part of shard {}/{count}",
                    shard.dir.display(),
                    record.item.replication,
                    record.item.point,
                    shard.info.index
                ));
            }
            if std::mem::replace(&mut covered[position], true) {
                return Err(format!(
                    "`{}` holds replication {} of point {} twice",
                    shard.dir.display(),
                    record.item.replication,
                    record.item.point
                ));
            }
            all_records.push(record);
        }
    }
    if let Some(position) = covered.iter().position(|c| !c) {
        let shard = shards
            .iter()
            .find(|s| (s.info.first_item..s.info.end_item).contains(&position))
            .map_or_else(String::new, |s| {
                format!(" (shard `{}` is incomplete)", s.dir.display())
            });
        return Err(format!(
            "no shard holds replication {} of point {}{shard}",
            position % replications.max(1),
            position / replications.max(1)
        ));
    }
    all_records.sort_by_key(|r| r.item);

    let mut summary = summary::summarize(
        &layout.scenario,
        layout.seed,
        layout.confidence,
        &layout.points,
        &all_records,
    );
    summary.version = layout.pipesim.clone();
    summary.attach_overloaded(&layout.overloaded);

    let run = RunDir::create(out)?;
    for input in &layout.inputs {
        let source = shards[0].dir.join(&input.copy);
        let text = std::fs::read(&source)
            .map_err(|e| format!("cannot read `{}`: {e}", source.display()))?;
        run.write(&input.copy, text)?;
    }
    if layout.trace != "none" {
        let dirs: Vec<&Path> = shards.iter().map(|s| s.dir.as_path()).collect();
        traces::concatenate_runs(&dirs, &run.path().join(traces::DIR_NAME))?;
    }
    let manifest = Manifest {
        command: std::env::args().collect(),
        shard: None,
        merged_from: shards.iter().map(|s| s.dir.display().to_string()).collect(),
        started_utc: shards
            .iter()
            .map(|s| s.manifest.started_utc.clone())
            .min()
            .unwrap_or_default(),
        // The shards' compute time plus the merge's own.
        wall_seconds: shards.iter().map(|s| s.manifest.wall_seconds).sum::<f64>()
            + started.elapsed().as_secs_f64(),
        jobs: shards.iter().map(|s| s.manifest.jobs).sum(),
        ..layout.clone()
    };
    let path = super::run::finish_run_dir(run, &all_records, &summary, &manifest)?;
    Ok((path, shards.len()))
}

/// Whether two shards are slices of the same run; the error names the first difference.
fn check_same_run(a: &Shard, b: &Shard) -> Result<(), String> {
    let (ma, mb) = (&a.manifest, &b.manifest);
    let differ = |what: &str, va: String, vb: String| -> Result<(), String> {
        if va == vb {
            return Ok(());
        }
        Err(format!(
            "`{}` and `{}` are not shards of the same run: {what} is {va} in the first and {vb} in the second",
            a.dir.display(),
            b.dir.display()
        ))
    };
    differ(
        "the pipesim version",
        ma.pipesim.clone(),
        mb.pipesim.clone(),
    )?;
    differ(
        "the scenario",
        format!("`{}`", ma.scenario),
        format!("`{}`", mb.scenario),
    )?;
    differ("the seed", ma.seed.to_string(), mb.seed.to_string())?;
    differ(
        "the shard count",
        a.info.count.to_string(),
        b.info.count.to_string(),
    )?;
    differ(
        "the number of replications",
        ma.replications.to_string(),
        mb.replications.to_string(),
    )?;
    differ(
        "the confidence",
        ma.confidence.to_string(),
        mb.confidence.to_string(),
    )?;
    differ(
        "the sweep points",
        serde_json::to_string(&ma.points).unwrap_or_default(),
        serde_json::to_string(&mb.points).unwrap_or_default(),
    )?;
    differ(
        "`--set`",
        format!("{:?}", ma.overrides),
        format!("{:?}", mb.overrides),
    )?;
    differ("`--trace`", ma.trace.clone(), mb.trace.clone())?;
    let files = |m: &Manifest| {
        m.inputs
            .iter()
            .map(|i| {
                format!(
                    "{} (sha256 {})",
                    i.copy,
                    &i.sha256[..i.sha256.len().min(12)]
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    differ("the scenario files", files(ma), files(mb))
}
