//! Attribute paths (`gpu.capacity`, `classic.train.units`, `scenario.horizon`,
//! `aiops.edge.train.units`) as written in `sweep` lines and `--set`, the sweep axes, and the
//! experiment's metric names.
//!
//! Invariant: a path is valid when it names an attribute the declaration knows (written or
//! left at its default) and, when written, its value is a literal; sweep values are checked
//! against the attribute's type here, so a sweep that `check` accepts can be run.

use super::codes;
use super::consts::const_num;
use super::lower::{
    Analyzer, AttrType, ResKind, ARRIVALS_ATTRS, AUTOSCALE_ATTRS, EXPERIMENT_ATTRS, LINK_ATTRS,
    MODEL_ATTRS, MONITOR_ATTRS, PIPELINE_ATTRS, POOL_ATTRS, SCENARIO_ATTRS, STEP_ATTRS,
};
use super::resolve::{did_you_mean, Symbol};
use super::types::{Expect, Scope, Ty};
use super::units::Dim;
use super::SweepAxis;
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir;
use crate::sim::metrics::percentile_level;
use crate::source::Span;
use crate::syntax::ast::{self, DeclKind};

/// What a path names.
pub struct PathTarget {
    pub attr_type: AttrType,
    /// The written value, if the attribute is written.
    pub written: Option<ast::Expr>,
}

/// Why a path names nothing: the message and a help.
#[derive(Default)]
pub struct PathError {
    pub message: String,
    pub help: String,
    /// The path as it would read with a misspelt part corrected, where the help proposes it.
    pub meant: Option<String>,
    /// For a path of one part (`gpu`, `capacity`), the paths of literal attributes it may
    /// have meant (`gpu.capacity`): a declaration's own, or the declarations' that have it.
    pub completions: Vec<String>,
}

impl PathError {
    /// The error reported at `span` (E0801), with its help and the corrected path as the
    /// replacement to offer.
    fn diagnostic(self, message: String, span: Span, label: &str) -> Diagnostic {
        let d = Diagnostic::error(codes::UNKNOWN_PATH, message)
            .primary(span, label)
            .help(self.help);
        match self.meant {
            Some(meant) => d.replacement(meant),
            None => d,
        }
    }

    /// A path into a declaration that did not parse: its syntax error is reported, and the
    /// path is not another mistake.
    fn reported() -> PathError {
        PathError::default()
    }

    fn is_reported(&self) -> bool {
        self.message.is_empty()
    }

    /// The error for part `index` of `parts` that names nothing among `candidates`: `help`
    /// unless one of them is a slip away, then "did you mean" it, and the corrected path.
    fn part<'a>(
        message: String,
        parts: &[&str],
        index: usize,
        candidates: impl IntoIterator<Item = &'a str>,
        help: impl FnOnce() -> String,
    ) -> PathError {
        match suggest(parts[index], candidates) {
            Some(meant) => {
                let mut corrected = parts.to_vec();
                corrected[index] = meant;
                PathError {
                    message,
                    help: format!("did you mean `{meant}`?"),
                    meant: Some(corrected.join(".")),
                    ..PathError::default()
                }
            }
            None => PathError {
                message,
                help: help(),
                ..PathError::default()
            },
        }
    }
}

fn attr_names(table: &[(&str, AttrType)]) -> Vec<String> {
    table.iter().map(|(n, _)| n.to_string()).collect()
}

fn find_attr<'b>(block: &'b ast::Block, name: &str) -> Option<&'b ast::Expr> {
    block.entries.iter().find_map(|e| match e {
        ast::Entry::Attr(a) if a.name.name == name => Some(&a.value),
        _ => None,
    })
}

fn find_block<'b>(block: &'b ast::Block, name: &str) -> Option<&'b ast::Block> {
    block.entries.iter().find_map(|e| match e {
        ast::Entry::Block(b) if b.name.name == name => Some(&b.body),
        _ => None,
    })
}

/// A value as a literal: numbers, quantities, booleans, strings, names, negated numbers.
pub fn is_literal(e: &ast::Expr) -> bool {
    match &e.kind {
        ast::ExprKind::Number(_)
        | ast::ExprKind::Quantity { .. }
        | ast::ExprKind::Bool(_)
        | ast::ExprKind::Str(_)
        | ast::ExprKind::Path(_) => true,
        ast::ExprKind::Unary {
            op: ast::UnaryOp::Neg,
            operand,
        } => {
            matches!(
                operand.kind,
                ast::ExprKind::Number(_) | ast::ExprKind::Quantity { .. }
            )
        }
        _ => false,
    }
}

impl Analyzer<'_> {
    /// Resolves a path relative to the entry file.
    pub fn resolve_attr_path(&self, path: &str) -> Result<PathTarget, PathError> {
        let parts: Vec<&str> = path.split('.').map(str::trim).collect();
        let in_table =
            |table: &[(&str, AttrType)], name: &str, owner: &str, written: Option<&ast::Expr>| {
                match table.iter().find(|(n, _)| *n == name) {
                    Some((_, t)) => Ok(PathTarget {
                        attr_type: *t,
                        written: written.cloned(),
                    }),
                    None => {
                        let names = attr_names(table);
                        Err(PathError::part(
                            format!("{owner} has no attribute `{name}`"),
                            &parts,
                            parts.len() - 1,
                            names.iter().map(String::as_str),
                            || format!("{owner} has `{}`", names.join("`, `")),
                        ))
                    }
                }
            };
        let usage = "a path is `DECLARATION.ATTRIBUTE`, such as `gpu.capacity`, `scenario.horizon` or `classic.train.units`";
        if let [name] = parts[..] {
            let completions = self.paths_completing(name);
            if !completions.is_empty() {
                let listed: Vec<String> = completions.iter().map(|c| format!("`{c}`")).collect();
                return Err(PathError {
                    message: format!("`{path}` does not name an attribute"),
                    help: format!(
                        "a path is `DECLARATION.ATTRIBUTE`: did you mean {}{}?",
                        if listed.len() == 1 { "" } else { "one of " },
                        listed.join(", ")
                    ),
                    completions,
                    ..PathError::default()
                });
            }
        }
        if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
            return Err(PathError {
                message: format!("`{path}` does not name an attribute"),
                help: usage.into(),
                ..PathError::default()
            });
        }
        if parts[0] == "scenario" || parts[0] == "experiment" {
            let (table, item) = if parts[0] == "scenario" {
                (SCENARIO_ATTRS, self.symbols[0].scenario)
            } else {
                (&EXPERIMENT_ATTRS[..2], self.symbols[0].experiment)
            };
            let Some(item) = item else {
                if parts[0] == "scenario" && self.program.modules[0].ast.scenario_lost {
                    return Err(PathError::reported());
                }
                return Err(PathError {
                    message: format!("the file has no `{}` block", parts[0]),
                    help: format!("add a `{}` block", parts[0]),
                    ..PathError::default()
                });
            };
            if parts.len() != 2 {
                return Err(PathError {
                    message: format!("`{path}` does not name an attribute"),
                    help: usage.into(),
                    ..PathError::default()
                });
            }
            let decl = self.decl_of(0, item).ok_or_else(|| PathError {
                message: "broken".into(),
                help: String::new(),
                ..PathError::default()
            })?;
            return in_table(
                table,
                parts[1],
                &format!("`{}`", parts[0]),
                find_attr(&decl.body, parts[1]),
            );
        }
        let mut module = 0;
        let mut i = 0;
        let (decl_module, decl_item) = loop {
            let candidates = &self.symbols[module].order;
            match self.symbols[module].names.get(parts[i]) {
                Some((Symbol::Decl { item, .. }, _)) => break (module, *item),
                Some((Symbol::Broken | Symbol::Import(None), _)) => {
                    return Err(PathError::reported())
                }
                Some((Symbol::Import(Some(m)), _)) if i + 1 < parts.len() => {
                    module = *m;
                    i += 1;
                }
                Some((Symbol::Import(_), _)) => {
                    return Err(PathError {
                        message: format!(
                            "`{}` is an import, not an attribute",
                            parts[..=i].join(".")
                        ),
                        help: usage.into(),
                        ..PathError::default()
                    })
                }
                None => {
                    let prefix = parts[..i]
                        .iter()
                        .map(|p| format!("{p}."))
                        .collect::<String>();
                    let mut all: Vec<String> =
                        candidates.iter().map(|c| format!("{prefix}{c}")).collect();
                    if i == 0 {
                        all.push("scenario".into());
                        all.push("experiment".into());
                    }
                    if self.names_lost(module) {
                        return Err(PathError::reported());
                    }
                    let wrong = parts[..=i].join(".");
                    let meant = suggest(&wrong, all.iter().map(String::as_str));
                    return Err(PathError {
                        message: format!("no declaration `{wrong}`"),
                        help: meant
                            .map_or_else(|| usage.into(), |m| format!("did you mean `{m}`?")),
                        meant: meant.map(|m| {
                            std::iter::once(m)
                                .chain(parts[i + 1..].iter().copied())
                                .collect::<Vec<_>>()
                                .join(".")
                        }),
                        ..PathError::default()
                    });
                }
            }
        };
        let decl = self
            .decl_of(decl_module, decl_item)
            .ok_or_else(|| PathError {
                message: "broken".into(),
                help: String::new(),
                ..PathError::default()
            })?;
        let rest = &parts[i + 1..];
        let owner = format!("{} `{}`", decl.kind.keyword(), parts[..=i].join("."));
        let no_attr = |owner: &str| PathError {
            message: format!("`{path}` does not name an attribute of {owner}"),
            help: usage.into(),
            ..PathError::default()
        };
        match (decl.kind, rest) {
            (DeclKind::Resource, [attr]) => {
                let table: Vec<(&str, AttrType)> =
                    match self.resources.iter().zip(0..).find_map(|(_, id)| {
                        (self.resource_ids.get(&(decl_module, decl_item)) == Some(&id))
                            .then(|| self.resources[id as usize].kind)
                    }) {
                        Some(Some(ResKind::Link)) => LINK_ATTRS.to_vec(),
                        Some(Some(ResKind::Pool)) => POOL_ATTRS.to_vec(),
                        _ => POOL_ATTRS.iter().chain(LINK_ATTRS).copied().collect(),
                    };
                in_table(&table, attr, &owner, find_attr(&decl.body, attr))
            }
            (DeclKind::Resource, ["autoscale", attr]) => {
                let block = find_block(&decl.body, "autoscale");
                in_table(
                    AUTOSCALE_ATTRS,
                    attr,
                    "`autoscale`",
                    block.and_then(|b| find_attr(b, attr)),
                )
            }
            (DeclKind::Pipeline, [attr]) => {
                if let Some(written) = find_attr(&decl.body, attr) {
                    let attr_type = PIPELINE_ATTRS
                        .iter()
                        .find(|(n, _)| n == attr)
                        .map(|(_, t)| *t)
                        .unwrap_or(AttrType::User);
                    return Ok(PathTarget {
                        attr_type,
                        written: Some(written.clone()),
                    });
                }
                let mut names: Vec<String> = attr_names(PIPELINE_ATTRS);
                names.extend(decl.body.entries.iter().filter_map(|e| match e {
                    ast::Entry::Attr(a) => Some(a.name.name.clone()),
                    ast::Entry::Step(s) => Some(s.name().to_string()),
                    _ => None,
                }));
                match PIPELINE_ATTRS.iter().find(|(n, _)| n == attr) {
                    Some((_, t)) => Ok(PathTarget {
                        attr_type: *t,
                        written: None,
                    }),
                    None => Err(PathError::part(
                        format!("{owner} has no attribute `{attr}`"),
                        &parts,
                        parts.len() - 1,
                        names.iter().map(String::as_str),
                        || usage.into(),
                    )),
                }
            }
            (DeclKind::Pipeline, ["model", attr]) => {
                let block = find_block(&decl.body, "model");
                in_table(
                    MODEL_ATTRS,
                    attr,
                    "`model`",
                    block.and_then(|b| find_attr(b, attr)),
                )
            }
            (DeclKind::Pipeline, [step_name, attr]) => {
                let steps: Vec<&ast::Step> = decl
                    .body
                    .entries
                    .iter()
                    .filter_map(|e| match e {
                        ast::Entry::Step(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                let Some(step) = steps.iter().find(|s| s.name() == *step_name) else {
                    if super::lower::lost_step_names(&decl.body)
                        .iter()
                        .any(|n| n == step_name)
                    {
                        return Err(PathError::reported());
                    }
                    let names: Vec<&str> = steps.iter().map(|s| s.name()).collect();
                    return Err(PathError::part(
                        format!("{owner} has no step `{step_name}`"),
                        &parts,
                        parts.len() - 2,
                        names.iter().copied(),
                        || format!("its steps are `{}`", names.join("`, `")),
                    ));
                };
                let table: Vec<(&str, AttrType)> = STEP_ATTRS
                    .iter()
                    .filter(|(n, _)| {
                        super::lower::step_attr_kinds(n).is_none_or(|k| k == step.kind)
                    })
                    .copied()
                    .collect();
                in_table(
                    &table,
                    attr,
                    &format!("step `{step_name}`"),
                    find_attr(&step.body, attr),
                )
            }
            (DeclKind::Dataset, [attr]) => match find_attr(&decl.body, attr) {
                Some(written) => Ok(PathTarget {
                    attr_type: AttrType::User,
                    written: Some(written.clone()),
                }),
                None => {
                    let names: Vec<String> = decl
                        .body
                        .entries
                        .iter()
                        .filter_map(|e| match e {
                            ast::Entry::Attr(a) => Some(a.name.name.clone()),
                            _ => None,
                        })
                        .collect();
                    Err(PathError::part(
                        format!("{owner} has no attribute `{attr}`"),
                        &parts,
                        parts.len() - 1,
                        names.iter().map(String::as_str),
                        || usage.into(),
                    ))
                }
            },
            (DeclKind::Arrivals, [attr]) => {
                in_table(ARRIVALS_ATTRS, attr, &owner, find_attr(&decl.body, attr))
            }
            (DeclKind::Monitor, [attr]) => {
                in_table(MONITOR_ATTRS, attr, &owner, find_attr(&decl.body, attr))
            }
            _ => Err(no_attr(&owner)),
        }
    }

    /// The paths a one-part path may have meant: `NAME.ATTR` for each literal attribute
    /// written in declaration `NAME` (`gpu` → `gpu.capacity`, `gpu.policy`), or, for an
    /// attribute's name, each declaration (and the scenario block) that writes it as a
    /// literal (`capacity` → `gpu.capacity`). Only paths a sweep can take.
    fn paths_completing(&self, name: &str) -> Vec<String> {
        let mut candidates: Vec<String> = Vec::new();
        let attrs = |block: &ast::Block| -> Vec<String> {
            block
                .entries
                .iter()
                .filter_map(|e| match e {
                    // A resource's `kind` is what it is, not a setting to sweep.
                    ast::Entry::Attr(a) if a.name.name != "kind" => Some(a.name.name.clone()),
                    _ => None,
                })
                .collect()
        };
        match self.symbols[0].names.get(name) {
            Some((Symbol::Decl { item, .. }, _)) => {
                if let Some(decl) = self.decl_of(0, *item) {
                    candidates.extend(attrs(&decl.body).iter().map(|a| format!("{name}.{a}")));
                }
            }
            _ => {
                for declared in &self.symbols[0].order {
                    if let Some((Symbol::Decl { item, .. }, _)) =
                        self.symbols[0].names.get(declared)
                    {
                        if self
                            .decl_of(0, *item)
                            .is_some_and(|decl| find_attr(&decl.body, name).is_some())
                        {
                            candidates.push(format!("{declared}.{name}"));
                        }
                    }
                }
                if self.symbols[0].scenario.is_some()
                    && SCENARIO_ATTRS.iter().any(|(n, _)| *n == name)
                {
                    candidates.push(format!("scenario.{name}"));
                }
            }
        }
        candidates.retain(|path| {
            self.resolve_attr_path(path).is_ok_and(|target| {
                overridable(target.attr_type) && target.written.as_ref().is_none_or(is_literal)
            })
        });
        candidates
    }

    /// For `nlp.train.duration`, a number or quantity of a pipeline written as an expression:
    /// the way LANGUAGE.md gives to vary it, a factor made an attribute of the pipeline, in
    /// the user's own names (`padding = 1` in `nlp`, `duration = lognormal(...) * padding`,
    /// then `--set nlp.padding=1.2`). `how` and `values` write the override or the sweep.
    fn factor_help(
        &self,
        path: &str,
        written: &ast::Expr,
        target: &PathTarget,
        how: &str,
        values: &str,
    ) -> Option<String> {
        if !matches!(target.attr_type, AttrType::Expect(Expect::Dim(_))) {
            return None;
        }
        let parts: Vec<&str> = path.split('.').collect();
        let (pipeline, attribute) = match parts.as_slice() {
            [pipeline, _, attribute] | [pipeline, attribute] => (*pipeline, *attribute),
            _ => return None,
        };
        if !matches!(
            self.symbols[0].names.get(pipeline),
            Some((
                Symbol::Decl {
                    kind: DeclKind::Pipeline,
                    ..
                },
                _
            ))
        ) {
            return None;
        }
        let text = self.text(written.span);
        let value = match &written.kind {
            ast::ExprKind::Call { callee, .. } => format!("{}(...)", callee.name),
            ast::ExprKind::Binary {
                op: ast::BinaryOp::Mul | ast::BinaryOp::Div,
                ..
            } if text.len() <= 40 => text,
            _ if text.len() <= 40 => format!("({text})"),
            _ => "(...)".to_string(),
        };
        Some(format!(
            "to vary it, make the factor an attribute: `padding = 1` in the pipeline `{pipeline}` and `{attribute} = {value} * padding`, then `{how} {pipeline}.padding{values}`"
        ))
    }

    /// Reports `--set` paths that name nothing or a non-literal attribute.
    pub fn check_override_paths(&mut self) {
        for i in 0..self.overrides.len() {
            let (path, span) = (self.overrides[i].path.clone(), self.overrides[i].value.span);
            match self.resolve_attr_path(&path) {
                Err(e) if e.is_reported() => self.override_rejected[i] = true,
                Err(e) => {
                    self.override_rejected[i] = true;
                    let (span, label) = match self.overrides[i].path_span {
                        Some(path_span) => (path_span, "names no attribute"),
                        None => (span, "value for this path"),
                    };
                    let message = format!("`--set {path}`: {}", e.message);
                    self.diags.push(e.diagnostic(message, span, label));
                }
                Ok(target) => {
                    if let Some(written) = &target.written {
                        if !is_literal(written) || !overridable(target.attr_type) {
                            self.override_rejected[i] = true;
                            let mut help = "only attributes whose value is a literal (a number, a quantity, a name) can be overridden".to_string();
                            if let Some(factor) =
                                self.factor_help(&path, written, &target, "--set", "=1.2")
                            {
                                help = format!("{help}; {factor}");
                            }
                            self.diags.push(
                                Diagnostic::error(
                                    codes::NOT_LITERAL,
                                    format!("`--set {path}`: the attribute is not a literal"),
                                )
                                .primary(span, "value for this path")
                                .secondary(written.span, "written as an expression here")
                                .help(help),
                            );
                        }
                    }
                }
            }
        }
    }

    /// The experiment's `sweep` lines: paths checked, values checked against the attribute's
    /// type, and converted to JSON for `summary.json`.
    pub fn sweeps(&mut self, sweeps: &[&ast::Sweep]) -> Vec<SweepAxis> {
        let mut axes: Vec<SweepAxis> = Vec::new();
        let mut seen: Vec<(String, Span)> = Vec::new();
        for sweep in sweeps {
            let path = sweep.path.dotted();
            if let Some((_, first)) = seen.iter().find(|(p, _)| *p == path) {
                self.diags.push(
                    Diagnostic::error(codes::BAD_SWEEP, format!("`{path}` is swept twice"))
                        .primary(sweep.path.span, "second sweep")
                        .secondary(*first, "first sweep")
                        .help("put all the values in one list"),
                );
                continue;
            }
            seen.push((path.clone(), sweep.path.span));
            let target = match self.resolve_attr_path(&path) {
                Ok(t) => t,
                Err(e) if e.is_reported() => continue,
                // The declaration is unknown, or (`TEMPLATE.ATTR`) the attribute is, where
                // the template's steps use it: one report, where it was made.
                Err(_)
                    if self.also_unknown(path.split('.').next().unwrap_or(""), sweep.path.span)
                        || (path.split('.').count() == 2
                            && self.also_unknown(
                                path.split('.').nth(1).unwrap_or(""),
                                sweep.path.span,
                            )) =>
                {
                    continue;
                }
                Err(e) => {
                    let declared = path.split('.').next().unwrap_or("");
                    if path.contains('.') && !self.symbols[0].names.contains_key(declared) {
                        // Its metrics and other sweeps are labels on this report.
                        self.unknown_in_entry
                            .entry(declared.to_string())
                            .or_insert(self.diags.0.len());
                    }
                    let message = format!("cannot sweep `{path}`: {}", e.message);
                    let completions = e.completions.clone();
                    let mut diagnostic = e.diagnostic(message, sweep.path.span, "unknown path");
                    if !completions.is_empty() {
                        // Each fix rewrites the values too (as they are), so that one whose
                        // attribute does not take them is told by an error where it wrote,
                        // and `check --fix` goes on to the next (`gpu = [sjf, fifo]` is
                        // `gpu.policy`, not `gpu.capacity`).
                        let (path_span, values_span) = (sweep.path.span, sweep.values.span);
                        let text = &self.sources.get(path_span.file).text;
                        let values = text
                            .get(path_span.end as usize..values_span.end as usize)
                            .unwrap_or("");
                        let whole = Span::new(
                            path_span.file,
                            path_span.start as usize,
                            values_span.end as usize,
                        );
                        diagnostic.repair.get_or_insert_default().fixes = completions
                            .into_iter()
                            .map(|path| crate::diagnostic::Fix {
                                title: format!("Write `{path}`"),
                                edits: vec![(whole, format!("{path}{values}"))],
                            })
                            .collect();
                    }
                    self.diags.push(diagnostic);
                    continue;
                }
            };
            if let Some(written) = &target.written {
                if !is_literal(written) || !overridable(target.attr_type) {
                    let help = match self.factor_help(&path, written, &target, "sweep", " = [1, 2, 5]") {
                        Some(factor) => format!("a sweep replaces a literal value (a number, a quantity, a name); {factor}"),
                        None => "a sweep replaces a literal value (a number, a quantity, a name); write the attribute as a literal".to_string(),
                    };
                    self.diags.push(
                        Diagnostic::error(
                            codes::NOT_LITERAL,
                            format!("cannot sweep `{path}`: its value is not a literal"),
                        )
                        .primary(sweep.path.span, "swept here")
                        .secondary(written.span, "written as an expression here")
                        .help(help),
                    );
                    continue;
                }
            } else if !overridable(target.attr_type) {
                self.diags.push(
                    Diagnostic::error(codes::NOT_LITERAL, format!("cannot sweep `{path}`"))
                        .primary(sweep.path.span, "not a literal attribute")
                        .help("a sweep replaces a literal value (a number, a quantity, a name)"),
                );
                continue;
            }
            let ast::ExprKind::List(values) = &sweep.values.kind else {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_SWEEP,
                        format!("the values of `sweep {path}` must be a list"),
                    )
                    .primary(sweep.values.span, "not a list")
                    .help(format!("write `sweep {path} = [a, b, c]`")),
                );
                continue;
            };
            if values.is_empty() {
                let from_command_line = matches!(
                    self.sources.get(sweep.span.file).origin,
                    crate::source::Origin::Inline
                );
                let help = if from_command_line {
                    format!("give the values to sweep, such as `--set {path}=[a, b, c]`")
                } else {
                    format!("write `sweep {path} = [a, b, c]`")
                };
                self.diags.push(
                    Diagnostic::error(codes::BAD_SWEEP, format!("`sweep {path}` has no values"))
                        .primary(sweep.values.span, "empty list")
                        .help(help),
                );
                continue;
            }
            let mut axis = SweepAxis {
                path: path.clone(),
                values: Vec::new(),
            };
            let mut ok = true;
            for (i, value) in values.iter().enumerate() {
                let others: Vec<String> = values
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .filter_map(|(_, other)| match &other.kind {
                        ast::ExprKind::Path(p) => Some(p.dotted()),
                        _ => None,
                    })
                    .collect();
                match self.sweep_value(value, &target, &path, &others) {
                    Some(json) => axis.values.push((value.clone(), json)),
                    None => ok = false,
                }
            }
            if ok {
                self.warn_repeated_values(&axis);
                axes.push(axis);
            }
        }
        axes
    }

    /// `sweep gpu.capacity = [4, 8, 4]`, or `[1h, 60min]`: a value given twice is a point
    /// run twice, on the same seeds, to the same results.
    fn warn_repeated_values(&mut self, axis: &SweepAxis) {
        for (i, (value, json)) in axis.values.iter().enumerate() {
            let Some((first, _)) = axis.values[..i].iter().find(|(_, other)| other == json) else {
                continue;
            };
            let text = |span: Span| self.sources.get(span.file).slice(span).to_string();
            let (written, before) = (text(value.span), text(first.span));
            let path = &axis.path;
            let message = if written == before {
                format!("`sweep {path}` gives `{written}` twice")
            } else {
                format!("`sweep {path}` gives one value twice: `{before}` and `{written}`")
            };
            self.diags.push(
                Diagnostic::warning(codes::SWEEP_VALUE_REPEATED, message)
                .primary(value.span, "the same value again")
                .secondary(first.span, "first given here")
                .help("each value is a sweep point, and the second would repeat the first's replications on the same seeds, to the same results: remove one"),
            );
        }
    }

    fn sweep_value(
        &mut self,
        value: &ast::Expr,
        target: &PathTarget,
        path: &str,
        others: &[String],
    ) -> Option<serde_json::Value> {
        let attr = path.rsplit('.').next().unwrap_or(path);
        if !is_literal(value) {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_SWEEP,
                    format!("the values of `sweep {path}` must be literals"),
                )
                .primary(value.span, "not a literal")
                .help("write each value as a number, a quantity or a name"),
            );
            return None;
        }
        let scope = Scope::module(0);
        let expect = match target.attr_type {
            AttrType::Keyword(allowed) => {
                let i = self.keyword(value, attr, allowed, others)?;
                return Some(serde_json::Value::String(allowed[i].to_string()));
            }
            AttrType::Expect(e) => Some(e),
            AttrType::User => {
                let written = target.written.as_ref().map(|w| self.expr(w, &scope).ty);
                match written {
                    Some(Ty::Num(d)) => Some(Expect::Dim(d)),
                    Some(Ty::Bool) => Some(Expect::Bool),
                    _ => None,
                }
            }
            _ => None,
        };
        let typed = self.expr(value, &scope);
        if typed.ty == Ty::Error {
            return None;
        }
        if let Some(expect) = expect {
            if !self.expect(&typed, expect, value.span, attr) {
                return None;
            }
        }
        Some(match (&typed.ty, &value.kind) {
            (Ty::Str(s), _) => serde_json::Value::String(s.clone()),
            (_, ast::ExprKind::Path(p)) => serde_json::Value::String(p.dotted()),
            (Ty::Bool, ast::ExprKind::Bool(b)) => serde_json::Value::Bool(*b),
            _ => match const_num(&typed.ir) {
                // Whole numbers print as integers (`4`, not `4.0`) in `summary.json`.
                Some(v) if v.fract() == 0.0 && v.abs() < 9e15 => serde_json::Value::from(v as i64),
                Some(v) => serde_json::Number::from_f64(v)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null),
                None => serde_json::Value::Null,
            },
        })
    }

    /// `metrics = ["pipeline.wait.p95", ...]`, checked against the names a run produces.
    pub fn metrics(
        &mut self,
        e: &ast::Expr,
        resources: &[ir::Resource],
        pipelines: &[ir::Pipeline],
    ) -> Vec<String> {
        let ast::ExprKind::List(items) = &e.kind else {
            self.diags.push(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "expected a list of metric names for `metrics`",
                )
                .primary(e.span, "not a list")
                .help("write `metrics = [\"pipeline.wait.p95\", \"resource.gpu.utilization\"]`"),
            );
            return Vec::new();
        };
        let known = metric_names(resources, pipelines);
        let mut out = Vec::new();
        let mut unknown_prefixes: std::collections::HashMap<String, usize> = Default::default();
        for item in items {
            let ast::ExprKind::Str(name) = &item.kind else {
                // `metrics = [pipeline.wait.p95]`: a metric's name written without its quotes
                // reads as a name, which nothing declares.
                if let ast::ExprKind::Path(path) = &item.kind {
                    let first = path.parts[0].name.as_str();
                    if path.parts.len() > 1 && METRIC_KINDS.contains(&first) {
                        let quoted = format!("\"{}\"", path.dotted());
                        let mut d = Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!("a metric's name in `metrics` is a string: {quoted}"),
                        )
                        .primary(item.span, "a name, not a string")
                        .help(format!("write it in quotes: {quoted}"));
                        d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                            title: format!("Write {quoted}"),
                            edits: vec![(item.span, quoted)],
                        }];
                        self.diags.push(d);
                        continue;
                    }
                }
                let t = self.expr(item, &Scope::module(0));
                self.expect(&t, Expect::Str, item.span, "metrics");
                continue;
            };
            // A resource or pipeline with an error (reported) is a placeholder in the lowered
            // lists, so a metric of it would look unknown: say nothing rather than blame the
            // metric. Other errors leave metric names as they are.
            let of_broken = self.broken_decls.iter().any(|decl| {
                ["resource", "link", "step", "model"]
                    .iter()
                    .any(|kind| name.starts_with(&format!("{kind}.{decl}.")))
            });
            // Or of a declaration that may be one whose name was lost.
            let of_lost = self.names_lost(0)
                && ["resource.", "link.", "step.", "model."]
                    .iter()
                    .any(|kind| name.starts_with(kind))
                && name
                    .split('.')
                    .nth(1)
                    .is_some_and(|decl| !self.symbols[0].names.contains_key(decl));
            // Or of an import that failed to load (reported): its templates are unknown.
            let of_unloaded = ["resource.", "link.", "step."]
                .iter()
                .any(|kind| name.starts_with(kind))
                && name.split('.').nth(1).is_some_and(|alias| {
                    matches!(
                        self.symbols[0].names.get(alias),
                        Some((super::resolve::Symbol::Import(None), _))
                    )
                });
            if known.iter().any(|k| k == name)
                || reported_on_request(name, &known)
                || of_a_template(name, pipelines)
                || of_broken
                || of_lost
                || of_unloaded
            {
                out.push(name.clone());
                continue;
            }
            // `resource.NAME.utilization` where `NAME` is already reported as unknown, or
            // `step.ALIAS.TEMPLATE.STEP.count` where `ALIAS` is not an import (reported).
            let declared = name.split('.').nth(1).unwrap_or("");
            if ["resource.", "link.", "step."]
                .iter()
                .any(|kind| name.starts_with(kind))
                && (self.also_unknown(declared, item.span)
                    || self.also_unknown(&format!("{declared}.*"), item.span))
            {
                continue;
            }
            // Two metrics of one declaration that does not exist are one mistake (a template
            // of the scenario exists, though its own metrics are not in `known`).
            let prefix = name.split('.').take(2).collect::<Vec<_>>().join(".") + ".";
            let own = own_template(name, pipelines);
            let of_unknown = own.is_none() && !known.iter().any(|k| k.starts_with(&prefix));
            if of_unknown {
                if let Some(&index) = unknown_prefixes.get(&prefix) {
                    self.unknown_again(index, declared, item.span, "also named here");
                    continue;
                }
                unknown_prefixes.insert(prefix, self.diags.0.len());
                if ["resource.", "link.", "step."]
                    .iter()
                    .any(|kind| name.starts_with(kind))
                {
                    // A sweep of it, checked after the metrics, is a label on this report.
                    self.unknown_in_entry
                        .entry(declared.to_string())
                        .or_insert(self.diags.0.len());
                }
            }
            if let Some(diagnostic) = own.and_then(|own| own_metric_mistake(name, own, item.span)) {
                self.diags.push(diagnostic);
                continue;
            }
            // `pipeline.nlp.latency.p95`: a template's own pipeline metric of no quantity it
            // has: what its own metrics are, and its steps'.
            if let Some(help) = per_template_help(name, &known) {
                self.diags.push(unknown_metric(
                    name,
                    item.span,
                    "not one of a template's own metrics",
                    help,
                    None,
                ));
                continue;
            }
            // `pipeline.wait`, `resource.gpu`: the start of several metrics' names, not a
            // slip from the nearest one (which would be `pipeline.wait.max`).
            let family = metrics_starting(name, &known);
            if !family.is_empty() {
                self.diags.push(metric_family(name, &family, item.span));
                continue;
            }
            if let Some((meant, why)) = metric_meant(name, &known) {
                self.diags.push(unknown_metric(
                    name,
                    item.span,
                    "not a metric's name as pipesim writes it",
                    format!("did you mean `{meant}`? ({why})"),
                    Some(meant),
                ));
                continue;
            }
            // `wait`, `queue.mean`: a part of several names.
            let containing = metrics_containing(name, &known);
            if containing.len() > 1 {
                self.diags.push(metric_family(name, &containing, item.span));
                continue;
            }
            if let Some((help, meant)) = other_percentile_meant(name, &known) {
                // A fix where, further than a slip, there is no doubt of what is meant.
                self.diags.push(unknown_metric(
                    name,
                    item.span,
                    "not a percentile pipesim reports",
                    help,
                    meant,
                ));
                continue;
            }
            // `gpu.utilization`, `p.train.wait.mean`: a name without its kind.
            if let Some((meant, why)) = metric_contained(name, &known) {
                self.diags.push(unknown_metric(
                    name,
                    item.span,
                    "part of a metric's name",
                    format!("did you mean `{meant}`? ({why})"),
                    Some(meant),
                ));
                continue;
            }
            let help = did_you_mean(name, known.iter().map(String::as_str)).unwrap_or_else(|| {
                if let Some(help) = metric_word_help(name) {
                    help.into()
                } else if name.starts_with("pipeline.") {
                    // `pipeline.latency.p95`, `pipeline.foo`: what a pipeline has.
                    PIPELINE_METRICS_HELP.into()
                } else {
                    "metric names are `pipeline.*`, `step.PIPELINE.STEP.*`, `resource.NAME.*`, `link.NAME.*`, `model.*` and `cost.total`; `pipesim explain metrics` lists them with what each measures".into()
                }
            });
            self.diags.push(unknown_metric(
                name,
                item.span,
                "not a metric of this scenario",
                help,
                None,
            ));
        }
        out
    }
}

const PIPELINE_METRICS_HELP: &str = "a pipeline's metrics are the counts `pipeline.arrived`, `pipeline.completed`, `pipeline.rejected` and `pipeline.unfinished` (and `pipeline.late` where a pipeline has a `deadline`), and `pipeline.wait.*` (the time its steps queued) and `pipeline.makespan.*` (from arrival to end), each with `mean`, `p50`, `p95`, `p99` and `max`";

/// For `pipeline.TEMPLATE.REST`, `TEMPLATE` one with steps in `known` and `REST` none of its
/// own metrics: what its own metrics are, and what its steps report.
fn per_template_help(name: &str, known: &[String]) -> Option<String> {
    let (template, after) = named_template(name, known)?;
    let prefix = format!("step.{template}.");
    let mut steps: Vec<&str> = Vec::new();
    for metric in known {
        if let Some(step) = metric
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('.').next())
        {
            if !steps.contains(&step) {
                steps.push(step);
            }
        }
    }
    let statistic = after
        .rsplit('.')
        .next()
        .filter(|s| *s == "mean" || *s == "max" || percentile_level(s).is_some())
        .unwrap_or("mean");
    let listed: Vec<String> = steps
        .iter()
        .take(4)
        .map(|step| format!("`step.{template}.{step}.wait.{statistic}`"))
        .collect();
    let all = format!("pipeline.{after}");
    let all = if known.contains(&all) || reported_on_request(&all, known) {
        format!(" (`{all}` is every pipeline's)")
    } else {
        String::new()
    };
    Some(format!(
        "a template's own pipeline metrics, reported when `metrics` names them, are the counts `pipeline.{template}.arrived`, `.completed`, `.rejected` and `.unfinished` (and `.late` if it has a `deadline`), and `pipeline.{template}.wait.*` and `pipeline.{template}.makespan.*`, each with `mean`, `pN` and `max`{all}; its steps' are {}, with `wait.*` (the time each queued) and `service.*` (the time each ran)",
        listed.join(", ")
    ))
}

/// `pipeline.TEMPLATE.REST` as `(TEMPLATE, REST)`, `TEMPLATE` the longest start of the
/// name (`aiops.classic` before `aiops`) with step metrics in `known`.
fn named_template(name: &str, known: &[String]) -> Option<(String, String)> {
    let rest = name.strip_prefix("pipeline.")?;
    let parts: Vec<&str> = rest.split('.').collect();
    (1..parts.len()).rev().find_map(|k| {
        let template = parts[..k].join(".");
        let prefix = format!("step.{template}.");
        known
            .iter()
            .any(|m| m.starts_with(&prefix))
            .then(|| (template, parts[k..].join(".")))
    })
}

/// For [`metric_hint`], which sees a run's metric names and not its scenario: the own
/// metric of a template (one with step metrics in `known`) that `name` is a slip from.
/// `late` is among them where some pipeline has a deadline (`pipeline.late` is known).
fn own_metric_slip(name: &str, known: &[String]) -> Option<String> {
    let (template, _) = named_template(name, known)?;
    // A name of the right shape (`pipeline.nlp.wait.p90`, any level) is no slip.
    if crate::sim::metrics::per_template(name).is_some_and(|(of, _)| of == template) {
        return None;
    }
    let deadline = known.iter().any(|k| k == "pipeline.late");
    let own = own_metric_names(&template, deadline);
    crate::diagnostic::suggest(name, own.iter().map(String::as_str))
        .filter(|meant| *meant != name)
        .map(String::from)
}

/// The template of the scenario whose own metric `name` (`pipeline.TEMPLATE.REST`) would be,
/// the longest name first (`aiops.edge` before `aiops`).
fn own_template<'p>(name: &str, pipelines: &'p [ir::Pipeline]) -> Option<&'p ir::Pipeline> {
    let rest = name.strip_prefix("pipeline.")?;
    pipelines
        .iter()
        .filter(|p| {
            rest.strip_prefix(p.name.as_str())
                .is_some_and(|after| after.len() > 1 && after.starts_with('.'))
        })
        .max_by_key(|p| p.name.len())
}

/// Template `t`'s own pipeline metrics (`late` where it has a `deadline`), as a run reports
/// them when named: the counts, then the wait's and the makespan's statistics.
fn own_metric_names(t: &str, deadline: bool) -> Vec<String> {
    use crate::sim::metrics::{PIPELINE_PERCENTILES, TEMPLATE_COUNTS};
    let mut own: Vec<String> = TEMPLATE_COUNTS
        .iter()
        .filter(|count| deadline || **count != "late")
        .map(|count| format!("pipeline.{t}.{count}"))
        .collect();
    for quantity in ["wait", "makespan"] {
        let stats = ["mean"].iter().chain(PIPELINE_PERCENTILES).chain(&["max"]);
        own.extend(stats.map(|stat| format!("pipeline.{t}.{quantity}.{stat}")));
    }
    own
}

/// `pipeline.TEMPLATE.late` of a template without a `deadline`, or a slip from one of the
/// template's own metrics (`pipeline.flaky.rejectd`): what is wrong, with the fix where one
/// name is meant.
fn own_metric_mistake(name: &str, template: &ir::Pipeline, span: Span) -> Option<Diagnostic> {
    let t = &template.name;
    let deadline = template.deadline_var.is_some();
    if name == format!("pipeline.{t}.late") && !deadline {
        return Some(
            Diagnostic::error(codes::UNKNOWN_METRIC, format!("unknown metric `{name}`"))
                .primary(span, format!("`{t}` has no `deadline`"))
                .help(format!(
                    "`pipeline.{t}.late` counts the pipelines of `{t}` that completed after their deadline: give `{t}` one (`deadline = 6h`, from its arrival), or name `pipeline.{t}.completed` or `pipeline.{t}.makespan.p95`"
                )),
        );
    }
    let own = own_metric_names(t, deadline);
    let meant = crate::diagnostic::suggest(name, own.iter().map(String::as_str))?;
    Some(unknown_metric(
        name,
        span,
        "not one of a template's own metrics",
        format!("did you mean `{meant}`?"),
        Some(meant.to_string()),
    ))
}

/// `pipeline.TEMPLATE.wait.p95` and the like ([`crate::sim::metrics::per_template`]) of a
/// template of the scenario (`late` of one with a `deadline`): reported when asked for.
pub fn of_a_template(name: &str, pipelines: &[ir::Pipeline]) -> bool {
    crate::sim::metrics::per_template(name).is_some_and(|(template, rest)| {
        pipelines
            .iter()
            .any(|p| p.name == template && (rest != "late" || p.deadline_var.is_some()))
    })
}

/// "unknown metric `NAME`" at `span` (the quoted name), labelled `label`, with `help` and,
/// where there is one, the fix that writes `meant`.
fn unknown_metric(
    name: &str,
    span: Span,
    label: &str,
    help: String,
    meant: Option<String>,
) -> Diagnostic {
    let mut d = Diagnostic::error(codes::UNKNOWN_METRIC, format!("unknown metric `{name}`"))
        .primary(span, label)
        .help(help);
    if let Some(meant) = meant {
        d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
            title: format!("Change `{name}` to `{meant}`"),
            edits: vec![(unquoted(span), meant)],
        }];
    }
    d
}

/// What a name that is no metric of `known` may be, for `run --precision` and
/// `compare --metric`: tried in the order `check` tells a name in `metrics`.
pub enum MetricHint<'k> {
    /// `pipeline.wait`: the start of these names.
    Starts(Vec<&'k String>),
    /// `wait`: a part of these names.
    PartOf(Vec<&'k String>),
    /// What to say after the error: the name meant, how percentiles are written, what a
    /// word other tools use is in pipesim.
    Help(String),
}

/// [`MetricHint`] of `name` among `known`; `present` says that only names in `known` may be
/// offered (`compare`, whose runs report what they report), not ones reported on request.
pub fn metric_hint<'k>(name: &str, known: &'k [String], present: bool) -> Option<MetricHint<'k>> {
    if let Some(help) = per_template_help(name, known) {
        // `pipeline.nlp.rejectd`: a slip from one of the template's own metrics (which
        // `compare` offers only where its runs report it).
        let meant = own_metric_slip(name, known).filter(|meant| !present || known.contains(meant));
        return Some(MetricHint::Help(match meant {
            Some(meant) => format!("did you mean `{meant}`? ({help})"),
            None => help,
        }));
    }
    let family = metrics_starting(name, known);
    if !family.is_empty() {
        return Some(MetricHint::Starts(family));
    }
    let did_you_mean = |(meant, why): (String, String)| format!("did you mean `{meant}`? ({why})");
    if let Some(meant) =
        metric_meant(name, known).filter(|(meant, _)| !present || known.contains(meant))
    {
        return Some(MetricHint::Help(did_you_mean(meant)));
    }
    let containing = metrics_containing(name, known);
    if containing.len() > 1 {
        return Some(MetricHint::PartOf(containing));
    }
    // `pipeline.wait.p90`: the nearest level, not the nearest spelling.
    other_percentile(name, known)
        .or_else(|| metric_contained(name, known).map(did_you_mean))
        .or_else(|| metric_word_help(name).map(String::from))
        .or_else(|| {
            crate::diagnostic::suggest(name, known.iter().map(String::as_str))
                .map(|meant| format!("did you mean `{meant}`?"))
        })
        .map(MetricHint::Help)
}

/// Help for a metric named by what other tools call it (`throughput`, `latency`).
pub fn metric_word_help(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if lower.contains("throughput") {
        Some("`pipeline.completed` counts the pipelines that arrived after the warm-up and completed; over the time from `warmup` to `horizon`, it is the throughput")
    } else if ["latency", "turnaround", "response", "sojourn", "duration"]
        .iter()
        .any(|word| lower.contains(word))
    {
        Some("a pipeline's time from arrival to end is `pipeline.makespan.*`, the part of it spent queueing `pipeline.wait.*`, each with `mean`, `p50`, `p95`, `p99` and `max`; a step's own time is `step.PIPELINE.STEP.service.mean`")
    } else if lower.contains("deadline") || lower.contains("miss") || lower.ends_with("late") {
        Some("`pipeline.late` counts the pipelines that completed after their `deadline`; it is reported when a pipeline has a `deadline` (`deadline = 4h`, a duration after its arrival)")
    } else {
        None
    }
}

/// The text inside a string's quotes.
fn unquoted(span: Span) -> Span {
    Span::new(span.file, span.start as usize + 1, span.end as usize - 1)
}

/// `pipeline.wait.p90`, `step.P.S.wait.max`, `step.P.S.service.p95`: a percentile or the
/// maximum of a quantity whose mean is reported (in `known`), which a run reports when
/// `experiment.metrics` names it (see [`crate::sim::metrics::on_request`]).
pub fn reported_on_request(name: &str, known: &[String]) -> bool {
    crate::sim::metrics::on_request(name).is_some_and(|(stem, _)| mean_known(stem, known))
}

fn mean_known(stem: &str, known: &[String]) -> bool {
    known.iter().any(|k| k.strip_prefix(stem) == Some(".mean"))
}

/// `pipeline.wait.p90` where the run at hand did not ask for it, `pipeline.wait.p100` or
/// `pipeline.wait.p99.9`: a percentile pipesim does not report, where it reports others of
/// that quantity. The help offers the nearest one (by its level, so `p90` is told `p95`, not
/// the one letter nearer `p50`; `p100` is told `.max`; `p99.9` is told how to write it),
/// names them all, and says how to have any other level reported.
pub fn other_percentile(name: &str, known: &[String]) -> Option<String> {
    other_percentile_meant(name, known).map(|(help, _)| help)
}

/// [`other_percentile`]'s help, and the name meant where there is no doubt of it (`p100` is
/// `.max`, `p99.9` is `p999`), for a fix.
fn other_percentile_meant(name: &str, known: &[String]) -> Option<(String, Option<String>)> {
    let (mut stem, mut last) = name.rsplit_once('.')?;
    // `p99.9`: a level's decimals after a point, which reads as one more part of the name.
    let joined;
    // The level as written with its point (95.5 for `p95.5`).
    let mut with_point = None;
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        if let Some((before, level)) = stem.rsplit_once('.') {
            let decimal = format!("{}.{last}", level.strip_prefix('p').unwrap_or(level));
            with_point = Some(decimal.parse::<f64>().unwrap_or(f64::NAN));
            joined = format!("{level}{last}");
            (stem, last) = (before, &joined);
        }
    }
    let digits = last.strip_prefix('p')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The levels reported of the quantity, as percentages; `known` may name a metric once
    // per sweep point.
    let mut reported: Vec<(&str, f64)> = Vec::new();
    for k in known {
        let Some((k_stem, k_last)) = k.rsplit_once('.') else {
            continue;
        };
        if let Some(level) = percentile_level(k_last).filter(|_| k_stem == stem) {
            if !reported.iter().any(|(l, _)| *l == k_last) {
                reported.push((k_last, level * 100.0));
            }
        }
    }
    let levels: Vec<String> = reported.iter().map(|(l, _)| format!("`{l}`")).collect();
    // A step's service time: none of its percentiles is reported unless asked for.
    let asked_only =
        crate::sim::metrics::is_distribution(stem) && mean_known(stem, known) && levels.is_empty();
    let listed = match levels.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!(
                "The percentiles reported are {} and {last}",
                rest.join(", ")
            )
        }
        Some((last, _)) => format!("The only percentile reported is {last}"),
        None if asked_only => {
            "Its percentiles and maximum are reported when the scenario asks for them".into()
        }
        None => return None,
    };
    let asked = percentile_level(last);
    if with_point.is_some() && asked.is_some() {
        return Some((
            format!(
                "did you mean `{stem}.{last}`? A level's decimals follow its first two digits, \
                 without a point: `p999` is the 99.9th percentile"
            ),
            Some(format!("{stem}.{last}")),
        ));
    }
    let percent = match (asked, with_point) {
        (_, Some(written)) => written,
        (Some(level), None) => level * 100.0,
        (None, None) => digits.parse::<f64>().unwrap_or(f64::INFINITY),
    };
    let max = format!("{stem}.max");
    if percent >= 100.0 && (known.contains(&max) || reported_on_request(&max, known)) {
        return Some((
            format!("did you mean `{max}`? The largest value is `.max`. {listed}"),
            Some(max),
        ));
    }
    let others = match asked {
        Some(_) => format!(
            "; any other level is reported when the scenario asks for it: \
             `experiment {{ metrics = [\"{name}\"] }}`"
        ),
        None => "; a level is written `p1` to `p99`, or `p999` for 99.9".to_string(),
    };
    if asked_only {
        // A step's service time: `p95` where the run did not ask for it, or `p0`.
        return Some((
            match asked {
                Some(_) => format!(
                    "its percentiles and maximum are reported when the scenario asks for \
                     them: `experiment {{ metrics = [\"{name}\"] }}`"
                ),
                None => format!(
                    "a percentile's level is written `p1` to `p99`, or `p999` for 99.9, \
                     as in `{stem}.p95`"
                ),
            },
            None,
        ));
    }
    let (nearest, _) = reported
        .iter()
        .min_by(|a, b| (a.1 - percent).abs().total_cmp(&(b.1 - percent).abs()))?;
    Some((
        format!("did you mean `{stem}.{nearest}`? {listed}{others}"),
        None,
    ))
}

/// A metric's name written as another tool or habit would (`pipeline.wait.median`,
/// `pipeline.wait.P90`, `pipeline.wait.90th`, `wait.p90`, `step.P.S.p95`): the name meant,
/// when it is one a run reports or reports on request, and why, for the help.
pub fn metric_meant(name: &str, known: &[String]) -> Option<(String, String)> {
    let reported = |candidate: &str| {
        known.iter().any(|k| k == candidate) || reported_on_request(candidate, known)
    };
    let (stem, stat) = name.rsplit_once('.')?;
    let lower = stat.to_ascii_lowercase();
    // `90th`, `q90`, `percentile90`, `p90.0` (whose `.0` reads as one more part).
    let (stem, stat, level) = match stem.rsplit_once('.') {
        Some((before, level)) if !stat.is_empty() && stat.bytes().all(|b| b == b'0') => {
            (before, stat, level.to_ascii_lowercase())
        }
        _ => (stem, stat, lower.clone()),
    };
    let digits = ["percentile", "pct", "p", "q"]
        .iter()
        .find_map(|prefix| level.strip_prefix(prefix))
        .unwrap_or(&level);
    let digits = digits
        .strip_suffix("th")
        .or_else(|| digits.strip_suffix("pct"))
        .unwrap_or(digits);
    let statistic = match lower.as_str() {
        "median" => Some(("p50", "the median is the 50th percentile, `p50`")),
        "avg" | "average" => Some(("mean", "the average is written `mean`")),
        "maximum" => Some(("max", "the largest value is written `max`")),
        _ => None,
    };
    let rewritten = match statistic {
        Some((meant, why)) => Some((format!("{stem}.{meant}"), why.to_string())),
        None if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            let meant = format!("p{digits}");
            (meant != stat).then(|| {
                (
                    format!("{stem}.{meant}"),
                    format!("a percentile is written `{meant}`"),
                )
            })
        }
        _ => None,
    };
    if let Some((meant, why)) = rewritten.filter(|(meant, _)| reported(meant)) {
        return Some((meant, why));
    }
    // `wait.p90`: a pipeline's metric without its `pipeline.`.
    let pipeline = format!("pipeline.{name}");
    if !METRIC_KINDS
        .iter()
        .any(|kind| name.starts_with(&format!("{kind}.")))
        && reported(&pipeline)
    {
        return Some((
            pipeline,
            "a pipeline's metrics start `pipeline.`".to_string(),
        ));
    }
    // `step.P.S.p95`: a step's percentiles are of its wait.
    if name.starts_with("step.") {
        let wait = format!("{stem}.wait.{stat}");
        if reported(&wait) {
            return Some((wait, "a step's percentiles are of its wait".to_string()));
        }
    }
    // `resource.gpu.util`: the last part cut short, of one metric only (too far in spelling
    // for the nearest name to be offered).
    if stat.len() >= 2 {
        let mut abbreviated = known.iter().filter(|k| {
            k.strip_prefix(name).is_some_and(|rest| {
                !rest.is_empty() && !rest.contains('.') && !rest.starts_with('.')
            })
        });
        if let (Some(meant), None) = (abbreviated.next(), abbreviated.next()) {
            let whole = meant.rsplit('.').next().unwrap_or(meant);
            return Some((
                meant.clone(),
                format!("`{stat}` is written in full, `{whole}`"),
            ));
        }
    }
    None
}

/// The metrics of `known` whose names start with `name` and a dot (`pipeline.wait` starts
/// `pipeline.wait.mean`, `pipeline.wait.p95`, ...), in `known`'s order.
pub fn metrics_starting<'k>(name: &str, known: &'k [String]) -> Vec<&'k String> {
    known
        .iter()
        .filter(|k| {
            k.strip_prefix(name)
                .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.'))
        })
        .collect()
}

/// The metrics of `known` of which `name` is a later part, whole parts only
/// (`gpu.utilization` is part of `resource.gpu.utilization`, `wait` of `pipeline.wait.mean`
/// and `step.P.S.wait.p95`), in `known`'s order: a name written without its kind, or
/// without its kind and statistic.
pub fn metrics_containing<'k>(name: &str, known: &'k [String]) -> Vec<&'k String> {
    if name.is_empty() || name.starts_with('.') || name.ends_with('.') {
        return Vec::new();
    }
    let (inner, tail) = (format!(".{name}."), format!(".{name}"));
    known
        .iter()
        .filter(|k| k.contains(&inner) || k.ends_with(&tail))
        .collect()
}

/// [`metrics_containing`]'s one metric, and why, for the help: `resource.gpu.utilization`
/// for `gpu.utilization` ("its whole name starts `resource.`").
pub fn metric_contained(name: &str, known: &[String]) -> Option<(String, String)> {
    let [whole] = metrics_containing(name, known)[..] else {
        return None;
    };
    let why = match whole.strip_suffix(name) {
        Some(start) => format!("its whole name starts `{start}`"),
        None => "its whole name".to_string(),
    };
    Some((whole.clone(), why))
}

/// The report of a metric name that is the start of several (`pipeline.wait`), or a part of
/// several (`wait`), at `span` (the quoted name): which metrics, each offered as a fix (the
/// first few, in the order of the contract's list, so the mean comes first).
fn metric_family(name: &str, family: &[&String], span: Span) -> Diagnostic {
    const SHOWN: usize = 6;
    let listed: Vec<String> = family
        .iter()
        .take(SHOWN)
        .map(|member| format!("`{member}`"))
        .collect();
    let more = match family.len().saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let starts = family.iter().all(|member| member.starts_with(name));
    let message = if starts {
        format!("`{name}` is the start of several metrics' names, not one")
    } else {
        format!("`{name}` is part of several metrics' names, not one")
    };
    let mut diagnostic = Diagnostic::error(codes::UNKNOWN_METRIC, message)
        .primary(span, "which one?")
        .help(format!("name one of them: {}{more}", listed.join(", ")));
    let inner = unquoted(span);
    diagnostic.repair.get_or_insert_default().fixes = family
        .iter()
        .take(SHOWN)
        .map(|member| crate::diagnostic::Fix {
            title: format!("Write `{member}`"),
            edits: vec![(inner, member.to_string())],
        })
        .collect();
    diagnostic
}

/// Whether a sweep or `--set` can replace this kind of attribute.
fn overridable(t: AttrType) -> bool {
    match t {
        AttrType::Expect(
            Expect::Dim(_)
            | Expect::Bool
            | Expect::Str
            | Expect::Pool
            | Expect::Link
            | Expect::Pipeline
            | Expect::Value,
        ) => true,
        AttrType::Keyword(_) | AttrType::User => true,
        AttrType::Expect(Expect::Profile | Expect::Dataset) => true,
        AttrType::Transfer(_) | AttrType::List | AttrType::Drift => false,
    }
}

/// Every metric name a run of this scenario produces (LANGUAGE.md section 7).
/// The first part of every metric's name.
const METRIC_KINDS: &[&str] = &["pipeline", "resource", "link", "step", "model", "cost"];

pub fn metric_names(resources: &[ir::Resource], pipelines: &[ir::Pipeline]) -> Vec<String> {
    let mut names: Vec<String> = ["arrived", "completed", "rejected", "unfinished"]
        .iter()
        .map(|m| format!("pipeline.{m}"))
        .collect();
    if pipelines.iter().any(|p| p.deadline_var.is_some()) {
        names.push("pipeline.late".to_string());
    }
    // In the order `sim::metrics` reports them.
    use crate::sim::metrics::{PIPELINE_PERCENTILES, STEP_PERCENTILES};
    for what in ["wait", "makespan"] {
        let stats = ["mean"].iter().chain(PIPELINE_PERCENTILES).chain(&["max"]);
        for stat in stats {
            names.push(format!("pipeline.{what}.{stat}"));
        }
    }
    for p in pipelines {
        for s in &p.steps {
            let prefix = format!("step.{}.{}", p.name, s.name);
            names.push(format!("{prefix}.count"));
            names.push(format!("{prefix}.wait.mean"));
            for stat in STEP_PERCENTILES {
                names.push(format!("{prefix}.wait.{stat}"));
            }
            names.push(format!("{prefix}.service.mean"));
        }
    }
    for r in resources {
        match r.kind {
            ir::ResourceKind::Pool(_) => {
                for stat in ["utilization", "queue.mean", "queue.max", "capacity.mean"] {
                    names.push(format!("resource.{}.{stat}", r.name));
                }
            }
            ir::ResourceKind::Link(_) => {
                for stat in ["bytes", "utilization"] {
                    names.push(format!("link.{}.{stat}", r.name));
                }
            }
        }
    }
    for m in ["accuracy.mean", "stale.fraction", "retrains"] {
        names.push(format!("model.{m}"));
    }
    for p in pipelines.iter().filter(|p| p.model.is_some()) {
        for m in ["accuracy.mean", "stale.fraction", "retrains"] {
            names.push(format!("model.{}.{m}", p.name));
        }
    }
    names.push("cost.total".into());
    let _ = Dim::NONE;
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percentile_not_reported_is_told_the_nearest_level_and_how_to_ask() {
        let known: Vec<String> = ["mean", "p50", "p95", "p99", "max"]
            .iter()
            .map(|stat| format!("pipeline.wait.{stat}"))
            .collect();
        let help = |name: &str| other_percentile_meant(name, &known);
        // A level a scenario may ask for.
        let (text, meant) = help("pipeline.wait.p90").unwrap();
        assert!(
            text.starts_with("did you mean `pipeline.wait.p95`?"),
            "{text}"
        );
        assert!(
            text.contains("experiment { metrics = [\"pipeline.wait.p90\"] }"),
            "{text}"
        );
        assert_eq!(meant, None);
        // The largest value.
        let (text, meant) = help("pipeline.wait.p100").unwrap();
        assert!(
            text.starts_with("did you mean `pipeline.wait.max`?"),
            "{text}"
        );
        assert_eq!(meant.as_deref(), Some("pipeline.wait.max"));
        // A level's decimals after a point: the way to write it, where there is one.
        let (text, meant) = help("pipeline.wait.p99.9").unwrap();
        assert!(
            text.starts_with("did you mean `pipeline.wait.p999`?"),
            "{text}"
        );
        assert_eq!(meant.as_deref(), Some("pipeline.wait.p999"));
        let (text, meant) = help("pipeline.wait.p95.5").unwrap();
        assert!(
            text.starts_with("did you mean `pipeline.wait.p95`?"),
            "{text}"
        );
        assert!(
            text.ends_with("a level is written `p1` to `p99`, or `p999` for 99.9"),
            "{text}"
        );
        assert_eq!(meant, None);
        // Not a percentile, or not of a quantity with percentiles.
        assert_eq!(help("pipeline.wait.maen"), None);
        assert_eq!(help("resource.gpu.p95"), None);
        assert!(reported_on_request("pipeline.wait.p90", &known));
        assert!(!reported_on_request("pipeline.wait.p100", &known));
        assert!(!reported_on_request("resource.gpu.p90", &known));
    }

    #[test]
    fn a_part_of_metric_names_is_told_the_whole_names() {
        let known: Vec<String> = [
            "pipeline.wait.mean",
            "pipeline.wait.max",
            "step.job.train.wait.mean",
            "step.job.train.service.mean",
            "resource.gpu.utilization",
            "resource.gpu.queue.mean",
            "link.lake.utilization",
        ]
        .map(String::from)
        .to_vec();
        let whole = |name: &str| metric_contained(name, &known);
        assert_eq!(
            whole("gpu.utilization"),
            Some((
                "resource.gpu.utilization".to_string(),
                "its whole name starts `resource.`".to_string()
            ))
        );
        assert_eq!(
            whole("job.train.service.mean").map(|(meant, _)| meant),
            Some("step.job.train.service.mean".to_string())
        );
        // In the middle: the only metric of a step's service.
        assert_eq!(
            whole("train.service"),
            Some((
                "step.job.train.service.mean".to_string(),
                "its whole name".to_string()
            ))
        );
        // Several: none is guessed, all are listed.
        assert_eq!(whole("utilization"), None);
        assert_eq!(
            metrics_containing("utilization", &known),
            ["resource.gpu.utilization", "link.lake.utilization"]
        );
        assert_eq!(metrics_containing("wait", &known).len(), 3);
        // Whole parts only, and not the start of a name (which `metrics_starting` answers).
        for not_a_part in ["ait", "gpu.util", "pipeline.wait", "", ".wait", "wait."] {
            assert!(
                metrics_containing(not_a_part, &known).is_empty(),
                "{not_a_part}"
            );
        }
    }

    #[test]
    fn a_steps_service_percentiles_and_maximum_are_reported_on_request() {
        let known: Vec<String> = ["count", "wait.mean", "wait.p95", "service.mean"]
            .iter()
            .map(|stat| format!("step.job.train.{stat}"))
            .collect();
        for asked in [
            "step.job.train.service.p95",
            "step.job.train.service.p999",
            "step.job.train.service.max",
            "step.job.train.wait.max",
            "step.job.train.wait.p50",
        ] {
            assert!(reported_on_request(asked, &known), "{asked}");
        }
        for not_reported in [
            "step.job.train.service.p100",
            "step.job.train.service.min",
            "step.job.other.service.p95",
            "step.job.train.count.p95",
            "resource.gpu.queue.max",
        ] {
            assert!(!reported_on_request(not_reported, &known), "{not_reported}");
        }
        let help = |name: &str| other_percentile_meant(name, &known);
        // `p100` is the maximum, a step's wait's as its service time's.
        for stem in ["step.job.train.service", "step.job.train.wait"] {
            let (text, meant) = help(&format!("{stem}.p100")).unwrap();
            assert!(
                text.starts_with(&format!("did you mean `{stem}.max`?")),
                "{text}"
            );
            assert_eq!(meant, Some(format!("{stem}.max")));
        }
        // A level a run did not ask for (in `compare --metric`): how to ask for it.
        let (text, _) = help("step.job.train.service.p90").unwrap();
        assert!(
            text.contains("experiment { metrics = [\"step.job.train.service.p90\"] }"),
            "{text}"
        );
        let (text, meant) = help("step.job.train.service.p0").unwrap();
        assert!(text.contains("`step.job.train.service.p95`"), "{text}");
        assert_eq!(meant, None);
        // As other tools write them.
        assert_eq!(
            metric_meant("step.job.train.service.median", &known).map(|(meant, _)| meant),
            Some("step.job.train.service.p50".to_string())
        );
    }

    #[test]
    fn a_metric_written_as_other_tools_write_it_is_told_its_name() {
        let known: Vec<String> = [
            "pipeline.wait.mean",
            "pipeline.wait.p50",
            "pipeline.wait.p95",
        ]
        .iter()
        .map(|name| name.to_string())
        .chain(["step.p.s.wait.mean", "step.p.s.wait.p95"].map(String::from))
        .collect();
        let meant = |name: &str| metric_meant(name, &known).map(|(meant, _)| meant);
        for (written, name) in [
            ("pipeline.wait.median", "pipeline.wait.p50"),
            ("pipeline.wait.avg", "pipeline.wait.mean"),
            ("pipeline.wait.P90", "pipeline.wait.p90"),
            ("pipeline.wait.90th", "pipeline.wait.p90"),
            ("pipeline.wait.q999", "pipeline.wait.p999"),
            ("pipeline.wait.percentile95", "pipeline.wait.p95"),
            ("pipeline.wait.p90.0", "pipeline.wait.p90"),
            ("wait.p95", "pipeline.wait.p95"),
            ("step.p.s.p99", "step.p.s.wait.p99"),
        ] {
            assert_eq!(meant(written).as_deref(), Some(name), "{written}");
        }
        // Names that are right, or that nothing is meant by.
        for written in [
            "pipeline.wait.p95",
            "pipeline.wait.p100",
            "pipeline.latency.p95",
            "x",
        ] {
            assert_eq!(meant(written), None, "{written}");
        }
    }
}
