//! `pipesim check FILE... [--set PATH=VALUE] [--load]`: every diagnostic of every file (a
//! folder gives the `.pipesim` files under it; as a report, JSON, or GitHub Actions
//! annotations), then exit 0 (no errors), 1 (a scenario has
//! errors) or 2 (a file could not be read at all). `--load` adds, for a scenario without
//! errors, the load each pool and link is offered ([`crate::analysis::load`]): a table, or
//! with `--format json` one row per file, sweep point, window and resource beside the
//! diagnostics (`{"diagnostics": [...], "load": [...]}`), for a CI gate on capacity.
//!
//! `--fix` applies the diagnostics' quick fixes that checking again shows to mend them
//! ([`crate::quickfix`]), names each on stderr, reports what remains, and then writes the
//! mended files (each to a temporary name, then renamed). `--diff` writes nothing and prints
//! the changes as a unified diff instead.

use crate::analysis::load;
use crate::cli::{CheckArgs, DiagnosticFormat, Exit};
use crate::diagnostic;
use crate::experiment::{self, PlanError, Point};
use crate::fit::{format_duration, format_significant};
use crate::frontend::{self, Checked};
use crate::ir;
use crate::output::table;
use crate::quickfix;
use crate::source::Origin;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

pub fn main(args: &CheckArgs) -> Exit {
    if args.load && args.format == DiagnosticFormat::Github {
        crate::to_stderr!(
            "error: `--load` prints a table or JSON, not annotations; use `--format json` or leave out `--format`"
        );
        return Exit::UsageOrIo;
    }
    if args.diff && args.format != DiagnosticFormat::Human {
        crate::to_stderr!(
            "error: `--diff` prints the diff on stdout, where `--format json` and `--format github` print the diagnostics; leave out one of them"
        );
        return Exit::UsageOrIo;
    }
    let files = match crate::workspace::expand(&args.files) {
        Ok(files) => files,
        Err(message) => {
            crate::to_stderr!("error: {message}");
            return Exit::UsageOrIo;
        }
    };
    let mut any_errors = false;
    let mut unreadable = false;
    let mut json = Vec::new();
    let mut loads = Vec::new();
    let mut triggers = Vec::new();
    let mending = args.fix || args.diff;
    let mut mended = Mending::default();
    if mending {
        // Every file is mended before any is reported: a later file may mend a module an
        // earlier one imports, and the report must be of the texts as they end up.
        for file in &files {
            let others: Vec<PathBuf> = files.iter().filter(|f| *f != file).cloned().collect();
            mended.mend(file, &others, &args.set);
        }
    }
    // A module's mistakes are found again by every file of the command that imports it, and
    // by the module itself when it is one of them: each is reported once, where first found.
    let mut reported: HashSet<ReportedKey> = HashSet::new();
    let mut totals = Totals::default();
    for file in &files {
        let checked = if mending {
            frontend::check_unsaved(file, &mended.unsaved, &args.set)
        } else {
            frontend::check_file(file, &args.set)
        };
        let all = &checked.diagnostics().0;
        let diagnostics: &Vec<_> = &all
            .iter()
            .filter(|d| reported.insert(reported_key(&checked, d)))
            .cloned()
            .collect();
        any_errors |= checked.has_errors();
        totals.add(checked.has_errors(), diagnostics);
        // The loader yields no module only when the entry file itself cannot be read: an
        // I/O error (exit 2), not a mistake in a scenario.
        unreadable |= checked.program.modules.is_empty();
        match args.format {
            DiagnosticFormat::Human => {
                let name = file.display().to_string();
                let several = files.len() > 1;
                frontend::print_diagnostics_of(
                    &checked.sources,
                    diagnostics,
                    several.then_some(name.as_str()),
                    unparsed_note(&checked).as_deref(),
                );
                if all.is_empty() {
                    crate::to_stderr!("{}: ok", file.display());
                } else if diagnostics.is_empty() {
                    crate::to_stderr!(
                        "{}: {}, reported above",
                        file.display(),
                        diagnostic::summary_line(all)
                    );
                }
                if args.load && !checked.has_errors() {
                    print_load(file, &checked, &args.set);
                }
            }
            DiagnosticFormat::Json => {
                json.extend(diagnostic::to_json(&checked.sources, diagnostics));
                if args.load && !checked.has_errors() && checked.analysis.scenario.is_some() {
                    // Errors of a sweep point are among the diagnostics, as `check` finds them.
                    if let Ok(plan) = experiment::plan(&checked, &args.set, Some(1)) {
                        loads.extend(load_json(file, &plan.points));
                        triggers.extend(triggers_json(file, &plan.points));
                    }
                }
            }
            DiagnosticFormat::Github => {
                super::print_out(diagnostic::to_github(&checked.sources, diagnostics));
            }
        }
    }
    if files.len() > 1 && args.format != DiagnosticFormat::Json {
        crate::to_stderr!("{}", totals.line(files.len()));
    }
    if args.format == DiagnosticFormat::Json {
        // The diagnostics alone are the contract's form; `--load` wraps them with the loads.
        let text = if args.load {
            serde_json::to_string_pretty(
                &serde_json::json!({"diagnostics": json, "load": loads, "triggers": triggers}),
            )
        } else {
            serde_json::to_string_pretty(&json)
        };
        match text {
            Ok(text) => super::print_out(format_args!("{text}\n")),
            Err(e) => return super::fail(e),
        }
    }
    let changed = if mending {
        match mended.finish(args.diff) {
            Ok(changed) => changed,
            Err(message) => {
                crate::to_stderr!("error: {message}");
                return Exit::UsageOrIo;
            }
        }
    } else {
        false
    };
    if unreadable {
        Exit::UsageOrIo
    } else if any_errors || (args.diff && changed) {
        Exit::ScenarioErrors
    } else {
        Exit::Success
    }
}

/// What a command over several files found, for the last line a CI log is read for.
#[derive(Default)]
struct Totals {
    files_with_errors: usize,
    errors: usize,
    warnings: usize,
}

impl Totals {
    /// One file's check: whether it has errors (reported here or by an earlier file), and
    /// the diagnostics reported for it (each mistake counted once per command).
    fn add(&mut self, has_errors: bool, reported: &[diagnostic::Diagnostic]) {
        self.files_with_errors += usize::from(has_errors);
        let errors = reported.iter().filter(|d| d.is_error()).count();
        self.errors += errors;
        self.warnings += reported.len() - errors;
    }

    /// "3 files checked, 1 with errors: 1 error, 1 warning".
    fn line(&self, files: usize) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        format!(
            "{} checked, {} with errors: {}, {}",
            plural(files, "file"),
            self.files_with_errors,
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        )
    }
}

/// What makes two reports of one command the same mistake: the file it is in (by its
/// canonical path, whichever file of the command loaded it), where, and what it says.
type ReportedKey = (String, (u32, u32), &'static str, String);

fn reported_key(checked: &Checked, d: &diagnostic::Diagnostic) -> ReportedKey {
    // A file that cannot be read has a report without a place, and no source at all.
    let Some(span) = d.primary_span() else {
        return (String::new(), (0, 0), d.code, d.message.clone());
    };
    let file = match checked.sources.files().find(|(id, _)| *id == span.file) {
        Some((_, source)) => match &source.origin {
            Origin::Disk { canonical, .. } => canonical.display().to_string(),
            Origin::Stdlib(path) => path.clone(),
            Origin::Inline => source.name.clone(),
        },
        None => String::new(),
    };
    (file, (span.start, span.end), d.code, d.message.clone())
}

/// The texts `--fix` has mended, for all the files of one command, and what they were read as.
#[derive(Default)]
struct Mending {
    unsaved: crate::loader::Unsaved,
    /// The name diagnostics give each mended file.
    names: BTreeMap<PathBuf, String>,
}

impl Mending {
    /// Mends `file` (and the modules it imports) in memory, and names each fix kept, and each
    /// guess that would not mend its mistake, on stderr.
    fn mend(&mut self, file: &Path, others: &[PathBuf], set: &[String]) {
        let mended = quickfix::mend(file, others, &mut self.unsaved, set);
        for fix in &mended.applied {
            crate::to_stderr!(
                "{}:{}:{}: fixed [{}]: {}",
                fix.file,
                fix.line,
                fix.column,
                fix.code,
                fix.title
            );
        }
        for fix in &mended.dropped {
            crate::to_stderr!(
                "{}:{}:{}: not fixed [{}]: {} would not mend it",
                fix.file,
                fix.line,
                fix.column,
                fix.code,
                fix.title
            );
        }
        for (_, source) in mended.checked.sources.files() {
            if let Origin::Disk { canonical, .. } = &source.origin {
                if self.unsaved.contains_key(canonical) {
                    self.names
                        .entry(canonical.clone())
                        .or_insert_with(|| source.name.clone());
                }
            }
        }
    }

    /// Writes each mended file that differs from its disk copy, or with `diff` prints the
    /// difference; whether any differs.
    fn finish(self, diff: bool) -> Result<bool, String> {
        let mut changed = false;
        let mut mended: Vec<(&PathBuf, &String)> = self.unsaved.iter().collect();
        mended.sort();
        for (path, text) in mended {
            let name = self
                .names
                .get(path)
                .cloned()
                .unwrap_or_else(|| path.display().to_string());
            let before =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read `{name}`: {e}"))?;
            if before == *text {
                continue;
            }
            changed = true;
            if diff {
                super::print_out(
                    similar::TextDiff::from_lines(&before, text)
                        .unified_diff()
                        .header(&format!("a/{name}"), &format!("b/{name}")),
                );
            } else {
                crate::output::write_atomically(path, text.as_bytes())
                    .map_err(|e| format!("cannot write `{name}`: {e}"))?;
            }
        }
        Ok(changed)
    }
}

/// The `--load` table of a file that checked without errors, or why there is none.
fn print_load(file: &Path, checked: &Checked, set: &[String]) {
    if checked.analysis.scenario.is_none() {
        crate::to_stderr!(
            "{}: no `scenario` block, so no horizon to work out a load over",
            file.display()
        );
        return;
    }
    // Errors of a sweep point were reported above, as `check` finds them.
    match experiment::plan(checked, set, Some(1)) {
        Ok(plan) => super::print_out(load_table(&plan.points)),
        Err(PlanError::Message(message)) => crate::to_stderr!("{}: {message}", file.display()),
        Err(PlanError::Diagnostics(..)) => {}
    }
}

/// Each pool's and link's offered load at each sweep point, window by window when arrivals
/// start or stop within the horizon: its slots or bandwidth, the mean busy slots or bytes
/// per second asked of it (`≥` where that is a bound from below), and their share of the
/// most it can do. A sweep that changes no load (a policy) gets no column: its points would
/// repeat the same rows.
fn load_table(points: &[Point]) -> String {
    let paths: Vec<String> = points
        .first()
        .map_or(Vec::new(), |p| p.written.keys().cloned().collect());
    let params: Vec<Vec<String>> = points
        .iter()
        .map(|p| p.written.values().map(table::format_param).collect())
        .collect();
    let windows: Vec<Vec<load::Window>> = points
        .iter()
        .map(|p| load::offered_load(&p.scenario))
        .collect();
    let split = windows.iter().any(|w| w.len() > 1);
    let bodies: Vec<Vec<Vec<String>>> = points
        .iter()
        .zip(&windows)
        .map(|(point, windows)| load_rows(&point.scenario, windows, split))
        .collect();
    let relevant = relevant_axes(&params, |i, j| bodies[i] != bodies[j]);
    let mut rows = Vec::new();
    let mut shown: Vec<Vec<&String>> = Vec::new();
    for (point, body) in params.iter().zip(&bodies) {
        let kept = masked(point, &relevant, true);
        if shown.contains(&kept) {
            continue;
        }
        for row in body {
            rows.push(
                kept.iter()
                    .map(|v| v.to_string())
                    .chain(row.iter().cloned())
                    .collect(),
            );
        }
        shown.push(kept);
    }
    let kept_paths = masked(&paths, &relevant, true);
    let mut headers: Vec<String> = kept_paths.iter().map(|p| p.to_string()).collect();
    if split {
        headers.push("window".into());
    }
    headers.extend(["resource", "capacity", "offered", "utilization"].map(String::from));
    let left = kept_paths.len() + usize::from(split) + 1;
    let unchanged: Vec<String> = masked(&paths, &relevant, false)
        .iter()
        .map(|p| format!("`{p}`"))
        .collect();
    let note = match unchanged.len() {
        0 => String::new(),
        1 => format!("\nThe sweep of {} changes no load.\n", unchanged[0]),
        _ => format!("\nThe sweeps of {} change no load.\n", unchanged.join(", ")),
    };
    format!(
        "\nOffered load: the mean slots the arriving work keeps busy in each pool, and the\nbytes per second it asks each link to move, worked out without running (≥ marks a\nbound from below; utilization of the most slots, or of the bandwidth)\n\n{}{note}{}",
        table::render(&headers, &rows, left),
        triggers_note(points, &params, &windows)
    )
}

/// Which sweep axes change something: an axis changes nothing when every two points that
/// differ only in it are not `different`.
fn relevant_axes(params: &[Vec<String>], different: impl Fn(usize, usize) -> bool) -> Vec<bool> {
    let axes = params.first().map_or(0, Vec::len);
    (0..axes)
        .map(|axis| {
            let others = |i: usize| -> Vec<&String> {
                params[i]
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != axis)
                    .map(|(_, v)| v)
                    .collect()
            };
            (0..params.len()).any(|i| (0..i).any(|j| others(i) == others(j) && different(i, j)))
        })
        .collect()
}

/// How many pipelines a replication starts, and about how long it takes to simulate: once
/// when every point starts as many, else by the sweeps that change it.
fn triggers_note(
    points: &[Point],
    params: &[Vec<String>],
    windows: &[Vec<load::Window>],
) -> String {
    let counts: Vec<f64> = points
        .iter()
        .zip(windows)
        .map(|(point, windows)| load::total_triggers(&point.scenario, windows))
        .collect();
    match counts.first() {
        None => String::new(),
        Some(&first) if counts.iter().all(|&c| c == first) => {
            format!(
                "\nEach replication starts {}.\n",
                load::triggers_text(first)
            )
        }
        Some(_) => {
            let relevant = relevant_axes(params, |i, j| counts[i] != counts[j]);
            let paths: Vec<&String> = points[0].written.keys().collect();
            let mut lines: Vec<String> = Vec::new();
            for (point, &count) in params.iter().zip(&counts) {
                let at: Vec<String> = masked(&paths, &relevant, true)
                    .iter()
                    .zip(masked(point, &relevant, true))
                    .map(|(path, value)| format!("{path}={value}"))
                    .collect();
                let line = format!("  at {}: {}\n", at.join(" "), load::triggers_text(count));
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
            format!("\nEach replication starts:\n{}", lines.concat())
        }
    }
}

/// `--load --format json`: one object per sweep point, window and resource, numbers in base
/// units (slots, bytes per second, seconds from the scenario start), as summary.json has them.
fn load_json(file: &Path, points: &[Point]) -> Vec<serde_json::Value> {
    let mut rows = Vec::new();
    for point in points {
        let scenario = &point.scenario;
        for window in load::offered_load(scenario) {
            for (id, resource) in scenario.resources.iter().enumerate() {
                let Some(capacity) = load::capacity(scenario, id as u32) else {
                    continue;
                };
                let kind = match capacity {
                    load::Capacity::Slots(_) => "pool",
                    load::Capacity::Bandwidth(_) => "link",
                };
                let offered = window.busy[id];
                rows.push(serde_json::json!({
                    "file": file.display().to_string(),
                    "params": point.params,
                    "from": window.from,
                    "to": window.to,
                    "resource": resource.name,
                    "kind": kind,
                    "capacity": capacity.amount(),
                    "offered": offered,
                    "utilization": offered / capacity.amount(),
                    "exact": window.exact[id],
                }));
            }
        }
    }
    rows
}

/// `--load --format json`: the pipelines each point's replications start, on average.
fn triggers_json(file: &Path, points: &[Point]) -> Vec<serde_json::Value> {
    points
        .iter()
        .map(|point| {
            let windows = load::offered_load(&point.scenario);
            let count = load::total_triggers(&point.scenario, &windows);
            serde_json::json!({
                "file": file.display().to_string(),
                "params": point.params,
                "per_replication": count,
            })
        })
        .collect()
}

/// The items whose flag in `mask` is `keep`.
fn masked<'a, T>(items: &'a [T], mask: &[bool], keep: bool) -> Vec<&'a T> {
    items
        .iter()
        .zip(mask)
        .filter(|(_, flag)| **flag == keep)
        .map(|(item, _)| item)
        .collect()
}

/// One sweep point's rows of [`load_table`], without its coordinates.
fn load_rows(scenario: &ir::Scenario, windows: &[load::Window], split: bool) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for window in windows {
        for (id, resource) in scenario.resources.iter().enumerate() {
            let bound = if window.exact[id] { "" } else { "≥ " };
            let busy = window.busy[id];
            let (capacity, offered, most) = match &resource.kind {
                ir::ResourceKind::Pool(pool) => {
                    let (slots, most) = match &pool.autoscale {
                        Some(autoscale) => {
                            // `capacity` is only the size the pool starts at: it shrinks to
                            // `min` when idle (not below a start already under it) and grows
                            // to `max`.
                            let least = autoscale.min.min(pool.capacity);
                            let most = autoscale.max.max(pool.capacity);
                            (format!("{least} to {most}"), most)
                        }
                        None => (pool.capacity.to_string(), pool.capacity),
                    };
                    (slots, format_significant(busy, 3), f64::from(most))
                }
                ir::ResourceKind::Link(link) => (
                    load::format_bandwidth(link.bandwidth),
                    load::format_bandwidth(busy),
                    link.bandwidth,
                ),
            };
            let mut row = Vec::new();
            if split {
                row.push(format!("{} to {}", time(window.from), time(window.to)));
            }
            row.push(resource.name.clone());
            row.push(capacity);
            row.push(format!("{bound}{offered}"));
            row.push(format!("{bound}{}%", table::format_percent(busy / most)));
            rows.push(row);
        }
    }
    rows
}

/// A time from the scenario start, for the window column.
fn time(seconds: f64) -> String {
    if seconds == 0.0 {
        "0s".into()
    } else {
        format_duration(seconds)
    }
}

/// The declarations of the entry file that did not parse are left out of analysis, so their
/// other mistakes show only once the syntax error is mended: said, so that a count of "8
/// errors" is not read as all there is.
fn unparsed_note(checked: &frontend::Checked) -> Option<String> {
    let broken = &checked.program.modules.first()?.ast.broken;
    let mut names: Vec<String> = broken
        .iter()
        .map(|name| format!("`{}`", name.name))
        .collect();
    names.dedup();
    let (names, them) = match names.as_slice() {
        [] => return None,
        [one] => (one.clone(), "it"),
        [rest @ .., last] => (format!("{} and {last}", rest.join(", ")), "them"),
    };
    Some(format!(
        "note: {names} did not parse, so the rest of {them} is not checked yet: check again once the syntax error is mended"
    ))
}
