//! The front end as one call: load a scenario with its imports, check it, lower it. Used by
//! `check`, `run`, `graph`, the language server and the tests, so they all see the same
//! diagnostics.

use crate::analysis::{self, Analysis, Override};
use crate::diagnostic::{self, Diagnostic, Diagnostics, Style};
use crate::loader::{self, Program};
use crate::source::{FileId, Origin, SourceMap, Span};
use std::io::IsTerminal;
use std::path::Path;

/// Everything the front end produced for one entry file.
pub struct Checked {
    pub sources: SourceMap,
    pub program: Program,
    pub analysis: Analysis,
}

impl Checked {
    /// Loader and analysis diagnostics together, sorted.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.analysis.diagnostics
    }

    pub fn has_errors(&self) -> bool {
        self.analysis.diagnostics.has_errors()
    }
}

/// Loads, checks and lowers `entry` with `overrides` (each `PATH=VALUE`, as on the command line).
pub fn check_file(entry: &Path, overrides: &[String]) -> Checked {
    let mut sources = SourceMap::new();
    let (program, diagnostics) = loader::load(entry, &mut sources);
    check_loaded(sources, program, diagnostics, overrides)
}

/// Like [`check_file`], with the entry file's text given rather than read (the language
/// server's unsaved buffer); imports are still read relative to `entry`.
pub fn check_text(entry: &Path, text: String, overrides: &[String]) -> Checked {
    let mut sources = SourceMap::new();
    let (program, diagnostics) =
        loader::load_source(entry, text, &loader::Unsaved::new(), &mut sources);
    check_loaded(sources, program, diagnostics, overrides)
}

/// Like [`check_file`], with the files of `unsaved` (by canonical path; the entry among them,
/// or not) read from there instead of from disk: an editor's open buffers, or the texts
/// `check --fix` is mending.
pub fn check_unsaved(entry: &Path, unsaved: &loader::Unsaved, overrides: &[String]) -> Checked {
    let mut sources = SourceMap::new();
    let (program, diagnostics) = loader::load_unsaved(entry, unsaved, &mut sources);
    check_loaded(sources, program, diagnostics, overrides)
}

fn check_loaded(
    mut sources: SourceMap,
    program: Program,
    mut diagnostics: Diagnostics,
    overrides: &[String],
) -> Checked {
    let mut parsed = Vec::new();
    for text in overrides {
        match parse_override(&mut sources, text) {
            Ok(o) => parsed.push(o),
            Err(d) => diagnostics.push(d),
        }
    }
    let mut analysis = if program.modules.is_empty() {
        Analysis::default()
    } else {
        analysis::analyze(&sources, &program, &parsed)
    };
    let mut found = std::mem::take(&mut analysis.diagnostics);
    if diagnostics.has_errors() {
        // What did not parse may hold the only use of a declaration, or the sweep that makes
        // an `estimate` count: "never used" and "changes nothing" would be second reports of
        // the syntax error.
        found.0.retain(|d| {
            d.code != analysis::codes::UNUSED_DECLARATION
                && d.code != analysis::codes::ESTIMATE_UNUSED
        });
    }
    diagnostics.extend(found);
    if !diagnostics.has_errors() {
        let found = check_sweep_values(&sources, &program, &parsed, &analysis, &diagnostics);
        diagnostics.extend(found);
    }
    diagnostics.sort();
    if diagnostics.has_errors() {
        analysis.scenario = None;
    }
    analysis.diagnostics = diagnostics;
    Checked {
        sources,
        program,
        analysis,
    }
}

/// Errors that only a sweep value causes (`sweep gpu.capacity = [1, 0]`): each value is
/// substituted alone and the scenario analysed again, so `check` reports at the value what
/// `run` would otherwise find only when it reaches that point. Warnings are left out (the
/// first analysis reported those already), except a step asking for more units than a swept
/// pool size holds, which only that point causes: it is shown with the value.
fn check_sweep_values(
    sources: &SourceMap,
    program: &Program,
    overrides: &[Override],
    analysis: &Analysis,
    reported: &Diagnostics,
) -> Diagnostics {
    let mut found = Diagnostics::default();
    for axis in &analysis.sweeps {
        for (value, _) in &axis.values {
            let mut with_value = overrides.to_vec();
            with_value.push(Override {
                path: axis.path.clone(),
                path_span: None,
                value: value.clone(),
            });
            let point = analysis::analyze(sources, program, &with_value);
            for d in point.diagnostics.0 {
                let d = if d.is_error() {
                    d
                } else if d.code == analysis::codes::UNITS_OVER_POOL && !reported.0.contains(&d) {
                    d.secondary(value.span, format!("with `{}` at this value", axis.path))
                } else {
                    continue;
                };
                if !found.0.contains(&d) {
                    found.push(d);
                }
            }
        }
    }
    found
}

/// Parses `PATH=VALUE` from `--set`; the value is an expression of the language, so
/// `--set gpu.capacity=16`, `--set gpu.policy=sjf` and `--set scenario.horizon=7d` all work.
pub fn parse_override(sources: &mut SourceMap, text: &str) -> Result<Override, Diagnostic> {
    // The whole `PATH=VALUE` is the source a diagnostic shows; the value is parsed with the
    // path blanked out, so its spans are offsets into that same text.
    let file = sources.add(format!("--set {text}"), Origin::Inline, text.to_string());
    let Some((path, value)) = text.split_once('=') else {
        return Err(Diagnostic::error(
            "E0010",
            format!("expected `PATH=VALUE` after `--set`, found `{text}`"),
        )
        .primary(Span::new(file, 0, text.len()), "no `=` here")
        .help("write the attribute's path, `=`, and its value, such as `--set gpu.capacity=16`"));
    };
    if path.trim().is_empty() {
        return Err(
            Diagnostic::error("E0010", format!("`--set {text}` has no path before `=`"))
                .primary(
                    Span::new(file, path.len(), path.len() + 1),
                    "no path before this",
                )
                .help("write the attribute's path before `=`, such as `--set gpu.capacity=16`"),
        );
    }
    let no_value = || {
        Diagnostic::error("E0010", format!("`--set {text}` has no value after `=`"))
            .primary(Span::new(file, path.len(), text.len()), "no value")
            .help("give a value, such as `--set gpu.capacity=16`")
    };
    if value.trim().is_empty() {
        return Err(no_value());
    }
    let blanked = format!("{}{}", " ".repeat(path.len() + 1), value);
    match crate::syntax::parse_expr(file, &blanked) {
        Ok(value) => Ok(Override {
            path: path.trim().to_string(),
            path_span: Some(Span::new(file, 0, path.len())),
            value,
        }),
        Err(mut errors) if !errors.is_empty() => Err(sweep_without_brackets(file, path, value)
            .unwrap_or_else(|| {
                // A fix would edit the command line, which no file holds: the help says
                // what to write (`--set scenario.horizon=2 weeks`: `2w`).
                let mut error = errors.swap_remove(0);
                error.repair = None;
                error
            })),
        Err(_) => Err(no_value()),
    }
}

/// `--set gpu.capacity=4,8`, `=(4, 8)` or `=4..16`, which do not parse: a sweep from the
/// command line is a list in brackets (quoted for the shell).
fn sweep_without_brackets(file: FileId, path: &str, value: &str) -> Option<Diagnostic> {
    let trimmed = value.trim();
    let span = Span::new(file, path.len() + 1, path.len() + 1 + value.len());
    let path = path.trim();
    if crate::syntax::is_range(trimmed) {
        return Some(
            Diagnostic::error(
                crate::analysis::codes::BAD_SWEEP,
                format!("`--set {path}` takes a value or a list of values, not a range"),
            )
            .primary(span, "a range")
            .help(format!(
                "{} (quoted, so that the shell keeps the brackets and spaces)",
                crate::syntax::range_help(&format!("--set \"{path}="), trimmed)
                    .replacen("]`", "]\"`", 1)
            )),
        );
    }
    let inner = match (trimmed.chars().next()?, trimmed.chars().last()?) {
        ('(', ')') | ('{', '}') => &trimmed[1..trimmed.len() - 1],
        _ if trimmed.contains(',') && !trimmed.starts_with('[') => trimmed,
        _ => return None,
    };
    if inner.split(',').any(|part| part.trim().is_empty()) {
        return None;
    }
    let list = inner
        .split(',')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(", ");
    Some(
        Diagnostic::error(
            crate::analysis::codes::BAD_SWEEP,
            format!("the values of `--set {path}` are a list, in brackets"),
        )
        .primary(span, "not a list in brackets")
        .help(format!(
            "write `--set \"{path}=[{list}]\"` (quoted, so that the shell keeps the brackets and spaces)"
        )),
    )
}

/// How `check` and `run` print diagnostics.
pub fn print_diagnostics(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    print_diagnostics_of(sources, diagnostics, None, None);
}

/// [`print_diagnostics`], with the summary line naming `file` where one is given (in a check
/// of several files, a count that does not say whose it is reads as the previous file's),
/// and `note` after the diagnostics, before their count.
pub fn print_diagnostics_of(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    file: Option<&str>,
    note: Option<&str>,
) {
    if diagnostics.is_empty() {
        return;
    }
    let terminal = std::io::stderr().is_terminal();
    let style = if terminal { Style::Fancy } else { Style::Plain };
    let (drawn, folded) = diagnostic::fold_repeats(sources, diagnostics);
    crate::console::print_err(diagnostic::render(sources, &drawn, style, 100));
    for note in folded {
        crate::to_stderr!("{note}");
    }
    if let Some(note) = note {
        crate::to_stderr!("{note}");
    }
    match file {
        Some(file) => crate::to_stderr!("{file}: {}", diagnostic::summary_line(diagnostics)),
        None => crate::to_stderr!("{}", diagnostic::summary_line(diagnostics)),
    }
    if let Some(first) = diagnostics.iter().find(|d| !d.code.is_empty()) {
        crate::to_stderr!(
            "For more about a code, with an example, try `pipesim explain {}`.",
            first.code
        );
    }
}
