//! Analysis: name resolution, types and units, step DAGs, and lowering to the [`ir`].
//!
//! Every "is this allowed?" decision lives here, with a diagnostic that says what was expected,
//! what was found, where, and how to fix it. All mistakes of a file are reported in one run:
//! checking never stops at the first error, and a mistake gives its expression the type
//! [`types::Ty::Error`], which every later check accepts silently, so one mistake is reported
//! once rather than cascading.
//!
//! The work is split by concern:
//! - [`codes`]: every diagnostic code with its description.
//! - [`resolve`]: the namespace of each module, imports, and what a name refers to.
//! - [`units`]: the unit table and dimension arithmetic.
//! - [`types`]: expression types, and checking and lowering of expressions.
//! - [`distributions`]: distribution calls, their parameters and canonical forms.
//! - [`consts`]: constant folding, for attributes that must be constant and parameter checks.
//! - [`data`]: CSV files read at check time (`empirical`, replayed traces).
//! - [`dag`]: the step graph of a pipeline and its cycle report.
//! - [`lower`]: declarations to [`ir`], with their attributes and defaults.
//! - [`paths`]: sweep and `--set` paths, sweep axes and metric names.
//!
//! Invariant: one call to [`analyze`] lowers one sweep point; overrides replace the written
//! value of an attribute (or its default) before it is checked, so they are checked exactly
//! like written values.

pub mod codes;
pub mod consts;
pub mod dag;
pub mod data;
pub mod distributions;
pub mod load;
pub mod lower;
pub mod paths;
pub mod resolve;
pub mod types;
pub mod units;

use crate::diagnostic::Diagnostics;
use crate::ir;
use crate::loader::Program;
use crate::source::SourceMap;
use crate::syntax::ast;

/// A value substituted for an attribute before lowering: a `--set PATH=VALUE` or one
/// coordinate of a sweep point.
#[derive(Clone, Debug)]
pub struct Override {
    /// As written: `gpu.capacity`, `triggers.growth`, `scenario.horizon`, `classic.train.units`.
    pub path: String,
    /// Where the path was written (the `PATH` of `--set PATH=VALUE`), so a path that names
    /// nothing is blamed there; None for sweep points, whose paths the sweep line checks.
    pub path_span: Option<crate::source::Span>,
    pub value: ast::Expr,
}

/// One `sweep PATH = [...]` line of the experiment.
#[derive(Clone, Debug)]
pub struct SweepAxis {
    pub path: String,
    /// Each value as an expression to substitute, and as JSON for `summary.json` params
    /// (numbers in base units, labels as strings).
    pub values: Vec<(ast::Expr, serde_json::Value)>,
}

/// What analysis of a program gives.
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    /// The lowered scenario, when there are no errors and the entry file has a `scenario`.
    pub scenario: Option<ir::Scenario>,
    /// The lowered declarations when there are no errors, also for a module without a
    /// `scenario` block (whose scenario-level fields then take their defaults). `pipesim graph`
    /// uses it so that modules can be drawn too.
    pub lowered: Option<ir::Scenario>,
    /// The experiment's sweep axes in source order (empty without sweeps), as the command
    /// line changes them (`--set PATH=[a, b]` sweeps, `--set PATH=VALUE` fixes).
    pub sweeps: Vec<SweepAxis>,
    /// The experiment's swept paths that the command line sweeps or fixes instead.
    pub replaced_sweeps: Vec<String>,
    pub diagnostics: Diagnostics,
}

/// Checks `program` with `overrides` applied and lowers it to IR.
pub fn analyze(sources: &SourceMap, program: &Program, overrides: &[Override]) -> Analysis {
    if program.modules.is_empty() {
        return Analysis::default();
    }
    let mut analyzer = lower::Analyzer::new(sources, program, overrides);
    let (scenario, has_scenario_block, sweeps) = analyzer.run();
    let replaced_sweeps = std::mem::take(&mut analyzer.replaced_sweeps);
    let diagnostics = analyzer.finish();
    let ok = !diagnostics.has_errors();
    Analysis {
        scenario: if ok && has_scenario_block {
            Some(scenario.clone())
        } else {
            None
        },
        lowered: ok.then_some(scenario),
        sweeps,
        replaced_sweeps,
        diagnostics,
    }
}
