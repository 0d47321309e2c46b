//! `pipesim fit TRACE.csv`: fits the workload model of [`crate::fit`] to a recorded trace and
//! writes it as a `.pipesim` module (to stdout, or atomically to `--output`).

use crate::cli::{Exit, FitArgs};
use crate::fit::{self, Choose, FitOptions};
use crate::output::manifest::Manifest;
use std::path::{Component, Path, PathBuf};

pub fn main(args: &FitArgs) -> Exit {
    // Said before the fit, which can take a while on a large trace, rather than after it.
    if let Some(folder) = args.output.as_deref().and_then(Path::parent) {
        if !folder.as_os_str().is_empty() && !folder.is_dir() {
            return super::fail(format!(
                "cannot write `{}`: the folder `{}` does not exist (create it first)",
                args.output.as_deref().unwrap_or(folder).display(),
                folder.display()
            ));
        }
    }
    let choose = Choose {
        point: args.point,
        replication: args.replication,
    };
    let mut trace = match fit::read_trace_choosing(
        &args.trace,
        &args.time_column,
        &args.duration_columns,
        choose,
    ) {
        Ok(trace) => trace,
        Err(e) => return super::fail(e),
    };
    let manifest = trace
        .selection
        .as_ref()
        .and_then(|_| run_manifest(&args.trace));
    if let Some(selection) = &mut trace.selection {
        selection.point_params = manifest
            .as_ref()
            .and_then(|manifest| point_params(manifest, selection.point));
        crate::to_stderr!(
            "note: `{}` is a trace pipesim wrote: {}",
            args.trace.display(),
            selection.describe()
        );
    }
    let trace = match numeric_start(args, &trace, manifest.as_ref()) {
        Ok(Some(start)) => trace.starting_at(start),
        Ok(None) => trace,
        Err(e) => return super::fail(e),
    };
    // As written to `-o`: the path from a scenario in the folder the command ran in, which is
    // where a scenario that uses it most often sits (imports are relative to the importer).
    let import_path = args.output.as_deref().map_or_else(
        || "fitted.pipesim".to_string(),
        |path| slashed(path.strip_prefix(".").unwrap_or(path)),
    );
    let options = FitOptions {
        profile: !args.no_profile,
        import_path,
        data_path: data_path(&args.trace, args.output.as_deref()),
        ..FitOptions::default()
    };
    let fitted = match fit::fit_trace(&trace, &options) {
        Ok(fitted) => fitted,
        Err(e) => return super::fail(format!("cannot fit `{}`: {e}", args.trace.display())),
    };
    let trace_name = args
        .trace
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.trace.display().to_string());
    let module = fit::render_module(&trace_name, &trace, &fitted, &options);
    match &args.output {
        None => super::print_out(&module),
        Some(path) => {
            if let Err(e) = crate::output::write_atomically(path, module.as_bytes()) {
                return super::fail(format!("cannot write `{}`: {e}", path.display()));
            }
            crate::to_stderr!("wrote {}", path.display());
        }
    }
    Exit::Success
}

/// The manifest.json of the run whose trace this is (`RUN/traces/NAME.csv`), if it reads.
fn run_manifest(trace: &Path) -> Option<Manifest> {
    let run = trace
        .parent()
        .filter(|traces| traces.file_name().is_some_and(|name| name == "traces"))
        .and_then(Path::parent)?;
    Manifest::read(run).ok()
}

/// Sweep point `point`'s parameters as the scenario writes them (`gpu.capacity=6`); None for
/// a point the manifest does not list or a scenario without a sweep.
fn point_params(manifest: &Manifest, point: u64) -> Option<String> {
    let index = usize::try_from(point).ok()?;
    let written = manifest
        .written
        .get(index)
        .or_else(|| manifest.points.get(index))?;
    (!written.is_empty()).then(|| super::run::point_label(written))
}

/// The trace's path as the written module names it: relative to the module's folder, as
/// every path in a `.pipesim` file is (with `/` between folders). On stdout the module's
/// folder is unknown: the path as given (relative to where the command ran). Where no
/// relative path leads there (another drive), the absolute path.
fn data_path(trace: &Path, output: Option<&Path>) -> String {
    let as_given = || slashed(trace);
    let Some(output) = output else {
        return as_given();
    };
    let folder = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let (Ok(trace), Ok(folder)) = (trace.canonicalize(), folder.canonicalize()) else {
        return as_given();
    };
    relative(&trace, &folder).map_or_else(|| slashed(&trace), |path| slashed(&path))
}

/// `target` relative to the folder `base`, both absolute and canonical; None when they share
/// no root.
fn relative(target: &Path, base: &Path) -> Option<PathBuf> {
    let target: Vec<Component> = target.components().collect();
    let base: Vec<Component> = base.components().collect();
    if target.first() != base.first() {
        return None;
    }
    let common = target.iter().zip(&base).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..base.len() {
        path.push("..");
    }
    for component in &target[common..] {
        path.push(component.as_os_str());
    }
    Some(path)
}

fn slashed(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// What numeric times count from, in seconds since the Unix epoch: `--start`, else, for a
/// trace of a pipesim run (`RUN/traces/*.csv`), the scenario's `start` as the run's
/// manifest.json records it, so that the weekly profile falls on the right weekdays; None
/// keeps time 0 as a Monday 00:00.
fn numeric_start(
    args: &FitArgs,
    trace: &fit::Trace,
    manifest: Option<&Manifest>,
) -> Result<Option<f64>, String> {
    let parse = |text: &str| match fit::parse_time(text) {
        Some((seconds, fit::TimeKind::Calendar, _)) => Some(seconds),
        _ => None,
    };
    if let Some(text) = &args.start {
        let start = parse(text).ok_or_else(|| {
            format!(
                "`--start {text}` is not a date-time: write it as `2019-01-09T00:00:00Z` or \
                 `2019-01-09 00:00:00` (UTC)"
            )
        })?;
        if trace.time_kind != fit::TimeKind::Seconds {
            crate::to_stderr!(
                "note: `--start` is not used: `{}`'s times are date-times already",
                args.trace.display()
            );
        }
        return Ok(Some(start));
    }
    if trace.selection.is_none() || trace.time_kind != fit::TimeKind::Seconds {
        return Ok(None);
    }
    let Some(manifest) = manifest else {
        crate::to_stderr!(
            "note: no manifest.json beside `{}`'s folder: its times are taken to count from a \
             Monday 00:00 (give the run's start with `--start`)",
            args.trace.display()
        );
        return Ok(None);
    };
    let start = parse(&manifest.start);
    match start {
        Some(_) => crate::to_stderr!(
            "note: times count from the run's start, {} (its manifest.json)",
            manifest.start
        ),
        None => crate::to_stderr!(
            "note: the run's manifest.json gives no date-time `start` (`{}`): its times are \
             taken to count from a Monday 00:00 (give the run's start with `--start`)",
            manifest.start
        ),
    }
    Ok(start)
}
