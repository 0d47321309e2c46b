//! Expression types, and the checking and lowering of expressions to [`ir::Expr`].
//!
//! Each expression is checked and lowered in one walk ([`Analyzer::expr`]), giving a
//! [`Typed`]: its type and its IR. A mistake is reported where it is found and its
//! expression gets [`Ty::Error`], which every check accepts without a word, so one mistake
//! gives one diagnostic.

use super::codes;
use super::consts::const_num;
use super::lower::Analyzer;
use super::resolve::{did_you_mean, Target};
use super::units::{self, Dim};
use crate::diagnostic::{suggest, Diagnostic};
use crate::ir;
use crate::source::Span;
use crate::syntax::ast::{self, DeclKind};
use std::collections::{BTreeMap, BTreeSet};

/// The type of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// A mistake already reported: accepted everywhere, reported nowhere.
    Error,
    /// A number with a dimension (`Dim::NONE` for a plain number).
    Num(Dim),
    /// A number whose dimension is not known (`lognormal(mu = ..)`, `empirical(..)`): values
    /// in base units, accepted wherever a number of any dimension is.
    AnyNum,
    Bool,
    /// A label that is one of these (interned ids).
    Labels(BTreeSet<ir::LabelId>),
    Pool,
    Link,
    Pipeline,
    Profile(ir::ProfileId),
    /// A data set: module and item index of its declaration.
    Dataset(usize, usize),
    Str(String),
    List,
    Transfer,
}

impl Ty {
    pub fn is_numeric(&self) -> bool {
        matches!(self, Ty::Num(_) | Ty::AnyNum)
    }

    pub fn dim(&self) -> Option<Dim> {
        match self {
            Ty::Num(d) => Some(*d),
            _ => None,
        }
    }
}

/// What an attribute or parameter expects.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expect {
    Dim(Dim),
    Bool,
    Pool,
    Link,
    Pipeline,
    Profile,
    Dataset,
    Str,
    /// Any value an instance attribute can hold (number, quantity, boolean, label, resource).
    Value,
}

impl Expect {
    pub fn describe(self) -> String {
        match self {
            Expect::Dim(d) => d.name().to_string(),
            Expect::Bool => "a boolean".into(),
            Expect::Pool => "a pool resource".into(),
            Expect::Link => "a link resource".into(),
            Expect::Pipeline => "a pipeline".into(),
            Expect::Profile => "a profile".into(),
            Expect::Dataset => "a dataset".into(),
            Expect::Str => "a string".into(),
            Expect::Value => "a value".into(),
        }
    }
}

/// An expression's type and its lowered form.
#[derive(Clone, Debug)]
pub struct Typed {
    pub ty: Ty,
    pub ir: ir::Expr,
}

impl Typed {
    pub fn error() -> Typed {
        Typed {
            ty: Ty::Error,
            ir: ir::Expr::Const(ir::Value::Num(0.0)),
        }
    }

    pub fn num(value: f64, dim: Dim) -> Typed {
        Typed {
            ty: Ty::Num(dim),
            ir: ir::Expr::Const(ir::Value::Num(value)),
        }
    }

    /// The constant number this is, for a range check; `None` for a mistake already reported,
    /// whose lowered form is only a placeholder (a range check on it would be a follow-up).
    pub fn constant(&self) -> Option<f64> {
        if self.ty == Ty::Error {
            return None;
        }
        super::consts::const_num(&self.ir)
    }
}

/// An instance variable visible to an expression.
#[derive(Clone, Debug)]
pub struct Var {
    /// As referred to: `framework`, `asset.size`.
    pub name: String,
    pub ty: Ty,
    pub slot: u32,
}

/// A match arm whose label the matched value cannot have (see `Lowerer::match_expr`).
struct SlippedArm {
    name: String,
    span: Span,
    /// The label it is one slip from, if any.
    meant: Option<String>,
    /// The matched value's labels, for the message.
    listed: String,
}

/// What names an expression can see besides top-level declarations and labels.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub module: usize,
    pub vars: Vec<Var>,
    /// Attributes of the same block written after this one (for "defined after" errors).
    pub later: Vec<(String, Span)>,
    /// In a monitor's `when`: `model.accuracy`, `model.age`, `model.version`.
    pub model: bool,
    /// The pipeline's `data` is wrong (reported): unknown qualified names are its attributes.
    pub data_broken: bool,
    /// Unknown names reported in this pipeline, with their diagnostic's index: a name used
    /// again is a label on that one ("also used here"), since one fix (the declaration's
    /// name, or `data = NAME` for a data set's attributes) usually mends every use. Shared by
    /// the scopes cloned from one.
    pub unknown_names: std::rc::Rc<std::cell::RefCell<BTreeMap<String, usize>>>,
    /// Slots of `vars` that some expression reads, shared likewise: a pipeline attribute
    /// nothing reads is reported ([`codes::UNUSED_DECLARATION`]).
    pub reads: std::rc::Rc<std::cell::RefCell<BTreeSet<u32>>>,
    /// The kind of block the expression is in, which decides what an unknown name's help
    /// says a name can be.
    pub within: Within,
}

/// The block an expression is in, for what names it sees besides declarations.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Within {
    Pipeline,
    Dataset,
    #[default]
    Other,
}

impl Scope {
    pub fn module(module: usize) -> Scope {
        Scope {
            module,
            ..Scope::default()
        }
    }
}

const GROWTH_PER_TIME_HELP: &str = "`growth` multiplies the rate for the whole run (write `1.3` for 30% more), and cannot grow during it: to model traffic that grows over the run, write several `arrivals` of the pipeline, each with a `start`/`stop` window and a larger `growth`";

pub const MODEL_PROPERTIES: &[&str] = &["accuracy", "age", "version"];

/// What [`Analyzer::blame_plain_size`] found.
enum PlainSize {
    /// The expression reads no data set `size` given as a plain number.
    No,
    /// It does, first: the help for the report, and where the data set sets its `size`.
    First(String, Option<Span>),
    /// It does, and that was reported already (this error is a label there now).
    Again,
}

/// The spans of the paths in `e` that give its value: `e` itself, a `match` arm's, an `if`
/// branch's.
fn result_paths(e: &ast::Expr, out: &mut Vec<Span>) {
    match &e.kind {
        ast::ExprKind::Path(path) => out.push(path.span),
        ast::ExprKind::If {
            then, otherwise, ..
        } => {
            result_paths(then, out);
            result_paths(otherwise, out);
        }
        ast::ExprKind::Match { arms, .. } => {
            for arm in arms {
                result_paths(&arm.body, out);
            }
        }
        _ => {}
    }
}

/// Whether a string's text could be written as a label (an identifier).
fn is_label(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Analyzer<'_> {
    /// Describes a type for messages: "a duration (s)", "a label (`sklearn`, `tensorflow`)".
    pub fn describe(&self, ty: &Ty) -> String {
        match ty {
            Ty::Error => "an erroneous value".into(),
            Ty::Num(d) => d.describe(),
            Ty::AnyNum => "a number".into(),
            Ty::Bool => "a boolean".into(),
            Ty::Labels(set) => {
                let names: Vec<String> = set
                    .iter()
                    .take(4)
                    .map(|id| format!("`{}`", self.label_name(*id)))
                    .collect();
                let more = if set.len() > 4 { ", ..." } else { "" };
                format!("a label ({}{more})", names.join(", "))
            }
            Ty::Pool => "a pool resource".into(),
            Ty::Link => "a link resource".into(),
            Ty::Pipeline => "a pipeline".into(),
            Ty::Profile(_) => "a profile".into(),
            Ty::Dataset(..) => "a dataset".into(),
            Ty::Str(_) => "a string".into(),
            Ty::List => "a list".into(),
            Ty::Transfer => "a transfer".into(),
        }
    }

    /// Whether a value of type `ty` is acceptable where `expect` is wanted.
    fn accepts(expect: Expect, ty: &Ty) -> bool {
        match (expect, ty) {
            (_, Ty::Error) => true,
            (Expect::Dim(_), Ty::AnyNum) => true,
            (Expect::Dim(want), Ty::Num(got)) => want == *got,
            (Expect::Bool, Ty::Bool) => true,
            (Expect::Pool, Ty::Pool) => true,
            (Expect::Link, Ty::Link) => true,
            (Expect::Pipeline, Ty::Pipeline) => true,
            (Expect::Profile, Ty::Profile(_)) => true,
            (Expect::Dataset, Ty::Dataset(..)) => true,
            (Expect::Str, Ty::Str(_)) => true,
            (Expect::Value, t) => matches!(
                t,
                Ty::Num(_)
                    | Ty::AnyNum
                    | Ty::Bool
                    | Ty::Labels(_)
                    | Ty::Pool
                    | Ty::Link
                    | Ty::Pipeline
            ),
            _ => false,
        }
    }

    /// Types `e`, the value of the attribute `what`, which must name a declaration of the kind
    /// `expect` (a pool, a link, a profile, a pipeline, a data set): an unknown name that gives
    /// the value (the whole expression, a `match` arm's or an `if` branch's) is suggested only
    /// names of that kind. `on = gpuu` beside a link `gpu` is not told "did you mean `gpu`?".
    pub fn expr_expecting(
        &mut self,
        e: &ast::Expr,
        scope: &Scope,
        expect: Expect,
        what: &str,
    ) -> Typed {
        let mut spans = Vec::new();
        result_paths(e, &mut spans);
        let wanted = spans
            .into_iter()
            .map(|span| (span, expect, what.to_string()))
            .collect();
        let outer = std::mem::replace(&mut self.wanted_kind, wanted);
        let typed = self.expr(e, scope);
        self.wanted_kind = outer;
        typed
    }

    /// The type of a name that an unknown name's report could suggest; `None` for one that is
    /// not a value (a scenario, an arrivals declaration) or cannot be told apart.
    fn candidate_ty(&self, scope: &Scope, name: &str) -> Option<Ty> {
        if let Some(var) = scope.vars.iter().rev().find(|v| v.name == name) {
            return Some(var.ty.clone());
        }
        if name == "true" || name == "false" {
            return Some(Ty::Bool);
        }
        if self.known_labels.contains(name) {
            return Some(Ty::Labels(
                self.label_ids.get(name).copied().into_iter().collect(),
            ));
        }
        let parts: Vec<ast::Ident> = name
            .split('.')
            .map(|part| ast::Ident {
                name: part.to_string(),
                span: Span::new(crate::source::FileId(0), 0, 0),
            })
            .collect();
        let Ok(Target::Decl { module, item, kind }) = self.resolver().resolve(scope.module, &parts)
        else {
            return None;
        };
        match kind {
            DeclKind::Resource => Some(
                match self
                    .resource_ids
                    .get(&(module, item))
                    .and_then(|&id| self.resources[id as usize].kind)
                {
                    Some(super::lower::ResKind::Pool) => Ty::Pool,
                    Some(super::lower::ResKind::Link) => Ty::Link,
                    None => Ty::Error,
                },
            ),
            DeclKind::Pipeline => Some(Ty::Pipeline),
            DeclKind::Profile => Some(
                self.profile_ids
                    .get(&(module, item))
                    .map_or(Ty::Error, |&id| Ty::Profile(id)),
            ),
            DeclKind::Dataset => Some(Ty::Dataset(module, item)),
            _ => None,
        }
    }

    /// Checks `typed` against `expect`, reporting "expected X, found Y" at `span`. `what`
    /// names the place (`capacity`, `the argument of sqrt`), for the help.
    pub fn expect(&mut self, typed: &Typed, expect: Expect, span: Span, what: &str) -> bool {
        if Self::accepts(expect, &typed.ty) {
            return true;
        }
        let plain_size = match (expect, &typed.ty) {
            (Expect::Dim(_), Ty::Num(_)) => match self.blame_plain_size(&[span], span) {
                PlainSize::Again => return false,
                PlainSize::First(help, declared) => Some((help, declared)),
                PlainSize::No => None,
            },
            _ => None,
        };
        // `30%/w` is found to be "a frequency (%/w)", as written, not in the base unit `/s`.
        let written_unit = crate::analysis::units::written_quantity(&self.text(span))
            .map(|q| q.unit)
            .filter(|unit| !unit.is_empty());
        let found = match (&typed.ty, &written_unit) {
            (Ty::Num(dim), Some(unit)) if *dim != Dim::NONE => format!("{} ({unit})", dim.name()),
            _ => self.describe(&typed.ty),
        };
        let mut d = Diagnostic::error(
            codes::TYPE_MISMATCH,
            format!("expected {}, found {found}", expect.describe()),
        )
        .primary(span, format!("this is {found}"));
        let help = match (expect, &typed.ty) {
            // `horizon = 30`: the number with each unit, since a lone example (`30s`) would
            // read as advice for a horizon.
            (Expect::Dim(want), Ty::Num(Dim::NONE)) => Some(
                match const_num(&typed.ir)
                    .filter(|n| n.is_finite() && *n >= 0.0)
                    .and_then(|n| want.with_units(&n.to_string()))
                {
                    Some(listed) => format!("`{what}` is {}: add its unit, one of {listed}", want.name()),
                    None => format!(
                        "`{what}` is {}: add a unit, such as `{}`",
                        want.name(),
                        want.example()
                    ),
                },
            ),
            // `growth = 30%/w`: a rate of growth, which the language has no way to write;
            // dropping the unit would multiply the traffic by 30.
            (Expect::Dim(Dim::NONE), Ty::Num(dim)) if what == "growth" && dim.time < 0 => {
                Some(GROWTH_PER_TIME_HELP.to_string())
            }
            (Expect::Dim(Dim::NONE), Ty::Num(_)) => {
                // `sigma = 0.9min`: a number written with a unit, which the fix removes.
                // A `%` is part of the number (`90%/d` is `90%` a day): it stays, or the
                // value would be a hundred times larger.
                let written = self.text(span);
                let mut help = format!("`{what}` is a plain number: remove the unit");
                if let Some(q) = crate::analysis::units::written_quantity(&written)
                    .filter(|q| !q.unit.is_empty() && written.ends_with(q.unit.as_str()))
                {
                    let percent = if q.unit.starts_with('%') { "%" } else { "" };
                    let number = format!("{}{percent}", &written[..written.len() - q.unit.len()]);
                    if !percent.is_empty() {
                        help = format!(
                            "`{what}` is a plain number: remove the `{}` and write `{number}`, which is the number {}",
                            &q.unit[1..],
                            crate::analysis::consts::show(q.number / 100.0)
                        );
                    }
                    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                        title: format!("Write `{number}`"),
                        edits: vec![(span, number)],
                    }];
                }
                Some(help)
            }
            (Expect::Dim(want), Ty::Num(_)) => Some(format!(
                "`{what}` is {}, such as `{}`",
                want.describe(),
                want.example()
            )),
            // `on = [gpu, cpu]`: several pools for one step.
            (Expect::Pool, Ty::List) => Some(ONE_POOL_HELP.to_string()),
            (Expect::Pool, Ty::Link) => Some(format!(
                "`{what}` needs a resource with `kind = pool`; links carry transfers (`reads = SIZE from LINK`)"
            )),
            (Expect::Link, Ty::Pool) => Some(format!(
                "`{what}` needs a resource with `kind = link`; pools run steps (`on = POOL`)"
            )),
            (Expect::Bool, Ty::Labels(_)) => {
                Some("compare the label with `==`, such as `framework == tensorflow`".to_string())
            }
            // `horizon = "7d"`, `capacity = "8"`: a quantity in quotes, as a settings file
            // writes it.
            (Expect::Dim(want), Ty::Str(text)) if quoted_quantity(text) == Some(want) => {
                if self.text(span) == format!("\"{text}\"") {
                    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                        title: format!("Write `{text}`"),
                        edits: vec![(span, text.clone())],
                    }];
                }
                Some(format!("{} is written without quotes: `{text}`", want.name()))
            }
            // `on = "gpu"`, `pipeline = "classic"`: a declaration's name in quotes.
            (
                Expect::Pool | Expect::Link | Expect::Pipeline | Expect::Profile | Expect::Dataset,
                Ty::Str(text),
            ) if is_name(text) => {
                if self.text(span) == format!("\"{text}\"") {
                    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                        title: format!("Write `{text}`"),
                        edits: vec![(span, text.clone())],
                    }];
                }
                Some(format!(
                    "a declaration is named without quotes: write `{text}`"
                ))
            }
            _ => None,
        };
        let help = match plain_size {
            Some((help, declared)) => {
                if let Some(at) = declared {
                    d = d.secondary(at, "a number without a unit");
                }
                Some(help)
            }
            None => help,
        };
        if let Some(help) = help {
            d = d.help(help);
        }
        self.diags.push(d);
        false
    }

    /// The attribute whose value starts at `span` (`priority` in `priority = high`), read from
    /// the text.
    fn attribute_before(&self, span: Span) -> Option<&str> {
        let text = &self.sources.get(span.file).text;
        let before = text[..span.start as usize].trim_end_matches([' ', '\t']);
        let before = before.strip_suffix('=')?.trim_end_matches([' ', '\t']);
        let start = before
            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
            .len();
        Some(&before[start..]).filter(|name| !name.is_empty())
    }

    /// `3 / hour`, `30 * minutes`: where `name` (a unit of time, spelled out or not) follows
    /// a number and `/` or `*`, the start of the number, the quantity as the language writes
    /// it (`3/h`, `30min`) and what it is, for an unknown name's report.
    fn unit_as_a_name(&self, span: Span, name: &str) -> Option<(usize, String, &'static str)> {
        let is_time =
            |unit: &str| crate::analysis::units::parse_unit(unit).is_ok_and(|u| u.dim == Dim::TIME);
        let unit = crate::analysis::units::spelled_out_time(name)
            .or_else(|| is_time(name).then_some(name))?;
        let text = &self.sources.get(span.file).text;
        let before = text[..span.start as usize].trim_end_matches([' ', '\t']);
        let (operator, before) = match before.chars().last()? {
            '/' => ('/', &before[..before.len() - 1]),
            '*' => ('*', &before[..before.len() - 1]),
            _ => return None,
        };
        let number_end = before.trim_end_matches([' ', '\t']).len();
        let number_start = text[..number_end]
            .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '_')
            .len();
        let number = &text[number_start..number_end];
        let preceded_by_name = text[..number_start]
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        if !number.starts_with(|c: char| c.is_ascii_digit()) || preceded_by_name {
            return None;
        }
        Some(match operator {
            '/' => (number_start, format!("{number}/{unit}"), "a rate"),
            _ => (number_start, format!("{number}{unit}"), "a duration"),
        })
    }

    /// A dimension error in an expression that reads a data set's `size` given as a plain
    /// number is that one mistake (`size = lognormal(median = 20, ..)` without its `GB`):
    /// the first is reported with a help that says so, each later one is a label on it.
    fn blame_plain_size(&mut self, within: &[Span], at: Span) -> PlainSize {
        let inside = |span: &Span| {
            within
                .iter()
                .any(|w| w.file == span.file && w.start <= span.start && span.end <= w.end)
        };
        let Some((name, _)) = self
            .plain_sizes
            .iter()
            .find(|(_, span)| inside(span))
            .cloned()
        else {
            return PlainSize::No;
        };
        match self.plain_size_reports.get(&name) {
            Some(&index) => {
                if let Some(report) = self.diags.0.get_mut(index) {
                    report.labels.push(crate::diagnostic::Label {
                        span: at,
                        text: format!("`{name}` makes this wrong too"),
                        primary: false,
                    });
                }
                PlainSize::Again
            }
            None => {
                // The caller pushes the report next.
                self.plain_size_reports
                    .insert(name.clone(), self.diags.0.len());
                let dataset = name.trim_end_matches(".size");
                PlainSize::First(
                    format!(
                        "`{name}` is a plain number: give `size` a unit where data set `{dataset}` declares it, such as `20GB` or `lognormal(median = 200MB, sigma = 1)`"
                    ),
                    self.dataset_size_at(at, dataset),
                )
            }
        }
    }

    /// Where data set `dataset` (as named in the file of `used`) sets its `size`.
    fn dataset_size_at(&self, used: Span, dataset: &str) -> Option<Span> {
        let module = self.program.module_of(used.file)?;
        Some(self.dataset_attribute(module, dataset, "size")?.value.span)
    }

    /// Attribute `attribute` as data set `dataset` of `module` writes it.
    pub fn dataset_attribute(
        &self,
        module: usize,
        dataset: &str,
        attribute: &str,
    ) -> Option<&ast::Attr> {
        let (
            super::resolve::Symbol::Decl {
                item,
                kind: DeclKind::Dataset,
            },
            _,
        ) = self.symbols[module].names.get(dataset)?
        else {
            return None;
        };
        self.decl_of(module, *item)?
            .body
            .entries
            .iter()
            .find_map(|entry| match entry {
                ast::Entry::Attr(attr) if attr.name.name == attribute => Some(attr),
                _ => None,
            })
    }

    /// The common type of two branches (`if`, `match` arms), or None if they differ.
    pub fn unify(a: &Ty, b: &Ty) -> Option<Ty> {
        Some(match (a, b) {
            (Ty::Error, t) | (t, Ty::Error) => t.clone(),
            (Ty::AnyNum, Ty::Num(d)) | (Ty::Num(d), Ty::AnyNum) => Ty::Num(*d),
            (Ty::Labels(x), Ty::Labels(y)) => Ty::Labels(x.union(y).copied().collect()),
            (x, y) if x == y => x.clone(),
            (Ty::Profile(_), Ty::Profile(_)) => a.clone(),
            _ => return None,
        })
    }

    /// Checks and lowers an expression.
    pub fn expr(&mut self, e: &ast::Expr, scope: &Scope) -> Typed {
        match &e.kind {
            ast::ExprKind::Number(value) => Typed::num(*value, Dim::NONE),
            ast::ExprKind::Quantity {
                value,
                unit,
                unit_span,
            } => match units::parse_unit(unit) {
                Ok(u) => Typed::num(value * u.factor, u.dim),
                Err(error) => {
                    let label = if error.unknown == unit.as_str() {
                        "unknown unit".to_string()
                    } else {
                        format!("`{}` is not a unit", error.unknown)
                    };
                    let mut d =
                        Diagnostic::error(codes::UNKNOWN_UNIT, format!("unknown unit `{unit}`"))
                            .primary(*unit_span, label)
                            .help(error.help);
                    if let Some(corrected) = error.corrected {
                        d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                            title: format!("Write `{corrected}`"),
                            edits: vec![(*unit_span, corrected)],
                        }];
                    }
                    self.diags.push(d);
                    Typed::error()
                }
            },
            ast::ExprKind::Bool(b) => Typed {
                ty: Ty::Bool,
                ir: ir::Expr::Const(ir::Value::Bool(*b)),
            },
            ast::ExprKind::Str(s) => Typed {
                ty: Ty::Str(s.clone()),
                ir: ir::Expr::Const(ir::Value::Num(0.0)),
            },
            ast::ExprKind::Path(path) => self.path_expr(path, scope),
            ast::ExprKind::List(items) => {
                for item in items {
                    self.expr(item, scope);
                }
                Typed {
                    ty: Ty::List,
                    ir: ir::Expr::Const(ir::Value::Num(0.0)),
                }
            }
            ast::ExprKind::Unary { op, operand } => {
                let inner = self.expr(operand, scope);
                match op {
                    ast::UnaryOp::Neg => {
                        if inner.ty.is_numeric() {
                            Typed {
                                ir: negate(inner.ir),
                                ty: inner.ty,
                            }
                        } else {
                            self.bad_operand(
                                &inner.ty,
                                "-",
                                operand.span,
                                "numbers and quantities",
                            );
                            Typed::error()
                        }
                    }
                    ast::UnaryOp::Not => {
                        if matches!(inner.ty, Ty::Bool | Ty::Error) {
                            Typed {
                                ir: ir::Expr::Not(Box::new(inner.ir)),
                                ty: inner.ty,
                            }
                        } else {
                            self.bad_operand(&inner.ty, "!", operand.span, "booleans");
                            Typed::error()
                        }
                    }
                }
            }
            ast::ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(*op, *op_span, lhs, rhs, scope),
            ast::ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.expr(cond, scope);
                self.expect(&c, Expect::Bool, cond.span, "if");
                let a = self.expr(then, scope);
                let b = self.expr(otherwise, scope);
                let ty = match Self::unify(&a.ty, &b.ty) {
                    Some(t) => t,
                    None => {
                        let (da, db) = (self.describe(&a.ty), self.describe(&b.ty));
                        self.diags.push(
                            Diagnostic::error(
                                codes::BRANCH_MISMATCH,
                                format!("`if` branches differ: {da} and {db}"),
                            )
                            .primary(otherwise.span, format!("this is {db}"))
                            .secondary(then.span, format!("this is {da}"))
                            .help("both branches must give the same type and unit"),
                        );
                        Ty::Error
                    }
                };
                Typed {
                    ty,
                    ir: ir::Expr::If(Box::new(c.ir), Box::new(a.ir), Box::new(b.ir)),
                }
            }
            ast::ExprKind::Match { scrutinee, arms } => {
                self.match_expr(scrutinee, arms, e.span, scope)
            }
            ast::ExprKind::Call { callee, args } => self.call(callee, args, e.span, scope),
            ast::ExprKind::Choice(entries) => self.label_choice(entries, scope),
            ast::ExprKind::Transfer { size, .. } => {
                self.expr(size, scope);
                Typed {
                    ty: Ty::Transfer,
                    ir: ir::Expr::Const(ir::Value::Num(0.0)),
                }
            }
        }
    }

    /// `e` as a name of one part that no attribute in scope (written before or after) has.
    fn bare_name<'e>(e: &'e ast::Expr, scope: &Scope) -> Option<&'e str> {
        let ast::ExprKind::Path(path) = &e.kind else {
            return None;
        };
        let [part] = path.parts.as_slice() else {
            return None;
        };
        let name = part.name.as_str();
        let attribute =
            scope.vars.iter().any(|v| v.name == name) || scope.later.iter().any(|(n, _)| n == name);
        (!attribute).then_some(name)
    }

    /// The label a bare name is, where it is one that a `choice` produces and no attribute
    /// in scope (written before or after) has that name.
    fn bare_label(&mut self, e: &ast::Expr, scope: &Scope) -> Option<ir::LabelId> {
        let name = Self::bare_name(e, scope)?;
        self.known_label(name)
    }

    /// `device == gpu` where `device` can be the label `gpu`: compared with a label, a bare
    /// name that is one of the labels it can be is that label, as in a `match` arm, even where
    /// a declaration (the resource `gpu`) has the name too.
    fn label_of(&mut self, e: &ast::Expr, other: &Ty, scope: &Scope) -> Option<Typed> {
        let Ty::Labels(set) = other else {
            return None;
        };
        let id = self.bare_label(e, scope)?;
        set.contains(&id).then(|| Typed {
            ty: Ty::Labels(BTreeSet::from([id])),
            ir: ir::Expr::Const(ir::Value::Label(id)),
        })
    }

    /// `device == gpu` where `gpu` is a label `device` is never (a `choice` elsewhere produces
    /// it) and a declaration's name, which the comparison then reads: why, as a help.
    fn label_not_taken(
        &mut self,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        a: &Ty,
        b: &Ty,
        scope: &Scope,
    ) -> Option<String> {
        let (subject, set, name) = [(lhs, a, rhs), (rhs, b, lhs)].into_iter().find_map(
            |(subject, ty, name)| match ty {
                Ty::Labels(set) => Some((subject, set.clone(), name)),
                _ => None,
            },
        )?;
        Self::bare_name(name, scope)?;
        let (subject, name) = (self.text(subject.span), self.text(name.span));
        let labels: Vec<String> = set
            .iter()
            .map(|l| format!("`{}`", self.label_name(*l)))
            .collect();
        Some(format!(
            "`{subject}` is never the label `{name}` (it can be {}), so `{name}` names the declaration: compare `{subject}` with one of its labels, or add `{name}` to the `choice` that gives it",
            labels.join(", ")
        ))
    }

    /// Whether `e` is a bare name that nothing defines: no attribute, declaration, import or
    /// label.
    fn names_nothing(&self, e: &ast::Expr, scope: &Scope) -> bool {
        let ast::ExprKind::Path(path) = &e.kind else {
            return false;
        };
        let [part] = path.parts.as_slice() else {
            return false;
        };
        let name = part.name.as_str();
        !scope.vars.iter().any(|v| v.name == name)
            && !self.known_labels.contains(name)
            && self.resolver().lookup(scope.module, name).is_none()
    }

    fn bad_operand(&mut self, ty: &Ty, op: &str, span: Span, accepted: &str) {
        if *ty == Ty::Error {
            return;
        }
        let found = self.describe(ty);
        self.diags.push(
            Diagnostic::error(
                codes::BAD_OPERAND,
                format!("`{op}` cannot be applied to {found}"),
            )
            .primary(span, format!("this is {found}"))
            .help(format!("`{op}` takes {accepted}")),
        );
    }

    fn binary(
        &mut self,
        op: ast::BinaryOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        scope: &Scope,
    ) -> Typed {
        use ast::BinaryOp as B;
        let equality = matches!(op, B::Eq | B::Ne);
        let (a, b) = if equality && self.bare_label(lhs, scope).is_some() {
            // `gpu == device`: what `gpu` is depends on what `device` can be.
            let b = self.expr(rhs, scope);
            let a = match self.label_of(lhs, &b.ty, scope) {
                Some(label) => label,
                None => self.expr(lhs, scope),
            };
            (a, b)
        } else {
            let a = self.expr(lhs, scope);
            // `tier == gold` where `tier` is wrong (reported): whether `gold` is a label
            // depends on what `tier` is, so an unknown `gold` is no mistake of its own.
            let label = if equality {
                self.label_of(rhs, &a.ty, scope)
            } else {
                None
            };
            let b = if let Some(label) = label {
                label
            } else if equality && a.ty == Ty::Error && self.names_nothing(rhs, scope) {
                Typed::error()
            } else {
                self.expr(rhs, scope)
            };
            (a, b)
        };
        let ir_op = match op {
            B::Add => ir::BinaryOp::Add,
            B::Sub => ir::BinaryOp::Sub,
            B::Mul => ir::BinaryOp::Mul,
            B::Div => ir::BinaryOp::Div,
            B::Lt => ir::BinaryOp::Lt,
            B::Le => ir::BinaryOp::Le,
            B::Gt => ir::BinaryOp::Gt,
            B::Ge => ir::BinaryOp::Ge,
            B::Eq => ir::BinaryOp::Eq,
            B::Ne => ir::BinaryOp::Ne,
            B::And => ir::BinaryOp::And,
            B::Or => ir::BinaryOp::Or,
        };
        let make = |ty: Ty, a: Typed, b: Typed| Typed {
            ty,
            ir: fold(ir::Expr::Binary(ir_op, Box::new(a.ir), Box::new(b.ir))),
        };
        if a.ty == Ty::Error || b.ty == Ty::Error {
            let ty = match op {
                B::Lt | B::Le | B::Gt | B::Ge | B::Eq | B::Ne | B::And | B::Or => Ty::Bool,
                _ => Ty::Error,
            };
            return make(ty, a, b);
        }
        let symbol = op.symbol();
        match op {
            B::And | B::Or => {
                let bad: Vec<(Ty, Span)> = [(&a.ty, lhs.span), (&b.ty, rhs.span)]
                    .into_iter()
                    .filter(|(t, _)| **t != Ty::Bool)
                    .map(|(t, span)| (t.clone(), span))
                    .collect();
                // Both sides wrong is one mistake (`on = gpu || cpu`): one report.
                if let Some((t, span)) = bad.first() {
                    self.bad_operand(t, symbol, *span, "booleans");
                    if let (Some((_, other)), Some(d)) = (bad.get(1), self.diags.0.last_mut()) {
                        d.labels.push(crate::diagnostic::Label {
                            span: *other,
                            text: "and so is this".to_string(),
                            primary: false,
                        });
                        if bad.iter().all(|(t, _)| *t == Ty::Pool) {
                            d.help = Some(ONE_POOL_HELP.to_string());
                        }
                    }
                }
                make(if bad.is_empty() { Ty::Bool } else { Ty::Error }, a, b)
            }
            B::Mul | B::Div => {
                for (t, span) in [(&a.ty, lhs.span), (&b.ty, rhs.span)] {
                    if !t.is_numeric() {
                        self.bad_operand(t, symbol, span, "numbers and quantities");
                        return Typed::error();
                    }
                }
                let combine =
                    |x: Dim, y: Dim| Ty::Num(if op == B::Mul { x.times(y) } else { x.per(y) });
                let ty = match (&a.ty, &b.ty) {
                    (Ty::Num(x), Ty::Num(y)) => combine(*x, *y),
                    // A number of no known dimension with a unit, `empirical(..) * 1s`: the
                    // unit says what it is, so the number is read as a plain one. Left
                    // without a dimension, a duration so written would take any value, and
                    // a row's `runtime = row.duration * 1` (a plain number) would pass.
                    (Ty::AnyNum, Ty::Num(y)) if *y != Dim::NONE => combine(Dim::NONE, *y),
                    (Ty::Num(x), Ty::AnyNum) if *x != Dim::NONE => combine(*x, Dim::NONE),
                    _ => Ty::AnyNum,
                };
                make(ty, a, b)
            }
            B::Add | B::Sub | B::Lt | B::Le | B::Gt | B::Ge => {
                for (t, span) in [(&a.ty, lhs.span), (&b.ty, rhs.span)] {
                    if !t.is_numeric() {
                        self.bad_operand(t, symbol, span, "numbers and quantities");
                        return Typed::error();
                    }
                }
                let Some(common) =
                    self.same_dimension(&a.ty, &b.ty, symbol, op_span, lhs.span, rhs.span)
                else {
                    return Typed::error();
                };
                let ty = if matches!(op, B::Add | B::Sub) {
                    common
                } else {
                    self.fraction_out_of_range(op, lhs, rhs);
                    Ty::Bool
                };
                make(ty, a, b)
            }
            B::Eq | B::Ne => {
                let comparable = match (&a.ty, &b.ty) {
                    (x, y) if x.is_numeric() && y.is_numeric() => {
                        if self
                            .same_dimension(&a.ty, &b.ty, symbol, op_span, lhs.span, rhs.span)
                            .is_none()
                        {
                            return Typed {
                                ty: Ty::Bool,
                                ..Typed::error()
                            };
                        }
                        true
                    }
                    (Ty::Labels(x), Ty::Labels(y)) => {
                        if x.is_disjoint(y) {
                            self.constant_comparison(op, lhs, rhs, x, y);
                        }
                        true
                    }
                    (x, y) => x == y && matches!(x, Ty::Bool | Ty::Pool | Ty::Link | Ty::Pipeline),
                };
                if !comparable {
                    let (da, db) = (self.describe(&a.ty), self.describe(&b.ty));
                    // A label compared with a string, `framework == "tf"`: labels are
                    // written bare. Where the string is one of the labels, the fix writes it
                    // so.
                    let mut unquote = None;
                    let help = match (&a.ty, &b.ty) {
                        (Ty::Labels(labels), Ty::Str(text))
                        | (Ty::Str(text), Ty::Labels(labels))
                            if is_label(text) =>
                        {
                            let (left, right, quoted) = match &a.ty {
                                Ty::Str(_) => (text.clone(), self.text(rhs.span), lhs.span),
                                _ => (self.text(lhs.span), text.clone(), rhs.span),
                            };
                            let one_of = labels.iter().any(|id| self.label_name(*id) == text);
                            if one_of && self.text(quoted) == format!("\"{text}\"") {
                                unquote = Some(crate::diagnostic::Fix {
                                    title: format!("Write `{text}`"),
                                    edits: vec![(quoted, text.clone())],
                                });
                            }
                            format!("labels are written without quotes: `{left} {symbol} {right}`")
                        }
                        _ => match self.label_not_taken(lhs, rhs, &a.ty, &b.ty, scope) {
                            Some(help) => help,
                            None => "compare values of the same type".to_string(),
                        },
                    };
                    let mut d = Diagnostic::error(
                        codes::BAD_OPERAND,
                        format!("`{symbol}` cannot compare {da} with {db}"),
                    )
                    .primary(rhs.span, format!("this is {db}"))
                    .secondary(lhs.span, format!("this is {da}"))
                    .help(help);
                    if let Some(fix) = unquote {
                        d.repair.get_or_insert_default().fixes = vec![fix];
                    }
                    self.diags.push(d);
                    return Typed {
                        ty: Ty::Bool,
                        ..Typed::error()
                    };
                }
                make(Ty::Bool, a, b)
            }
        }
    }

    /// Warns about `model.accuracy < 80` (or `80 > model.accuracy`): a model's accuracy is a
    /// fraction from 0 to 1, so a comparison with a plain number outside that range is always
    /// true or always false; the number was almost always meant as a percentage.
    fn fraction_out_of_range(&mut self, op: ast::BinaryOp, lhs: &ast::Expr, rhs: &ast::Expr) {
        let is_accuracy = |e: &ast::Expr| {
            matches!(&e.kind, ast::ExprKind::Path(p)
                if p.parts.len() == 2 && p.parts[0].name == "model" && p.parts[1].name == "accuracy")
        };
        let (number, number_span, accuracy_on_left) = match (&lhs.kind, &rhs.kind) {
            (_, ast::ExprKind::Number(x)) if is_accuracy(lhs) => (*x, rhs.span, true),
            (ast::ExprKind::Number(x), _) if is_accuracy(rhs) => (*x, lhs.span, false),
            _ => return,
        };
        if (0.0..=1.0).contains(&number) || !number.is_finite() {
            return;
        }
        // What `model.accuracy OP number` always is, with the accuracy within [0, 1].
        use ast::BinaryOp as B;
        let below = number < 0.0;
        let always = match (op, accuracy_on_left) {
            (B::Lt | B::Le, true) | (B::Gt | B::Ge, false) => !below,
            _ => below,
        };
        let written = self.text(number_span);
        let mut d = Diagnostic::warning(
            codes::CONSTANT_COMPARISON,
            format!(
                "`model.accuracy` is a fraction from 0 to 1, so this comparison with `{written}` is always {always}"
            ),
        )
        .primary(lhs.span.to(rhs.span), format!("always {always}"));
        if number > 1.0 && number <= 100.0 {
            let percent = format!("{written}%");
            d = d.help(format!(
                "for {written} percent, write `{percent}` (or `{}`)",
                super::consts::show(number / 100.0)
            ));
            d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                title: format!("Write `{percent}`"),
                edits: vec![(number_span, percent)],
            }];
        } else {
            d = d.help("compare it with a fraction, such as `0.8` or `80%`");
        }
        self.diags.push(d);
    }

    /// Warns about `==`/`!=` between labels that can never be equal (`framework == pytorch`
    /// when no choice of `framework` produces `pytorch`): almost always a mistake.
    fn constant_comparison(
        &mut self,
        op: ast::BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        x: &BTreeSet<ir::LabelId>,
        y: &BTreeSet<ir::LabelId>,
    ) {
        // Name the side that is a single label as the one that is never taken.
        let (single, other, other_expr) = if y.len() == 1 {
            (y, x, lhs)
        } else {
            (x, y, rhs)
        };
        let name = |this: &Self, set: &BTreeSet<ir::LabelId>| {
            set.iter()
                .map(|l| format!("`{}`", this.label_name(*l)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (never, values) = (name(self, single), name(self, other));
        let always = if op == ast::BinaryOp::Eq {
            "false"
        } else {
            "true"
        };
        let subject = self.text(other_expr.span);
        let candidates: Vec<String> = other
            .iter()
            .map(|l| self.label_name(*l).to_string())
            .collect();
        let single_name = single
            .iter()
            .next()
            .map(|l| self.label_name(*l).to_string())
            .unwrap_or_default();
        if self.label_slips.contains_key(&single_name) {
            // Reported once, where the `choice` has the slip (W0403).
            return;
        }
        let help = match did_you_mean(&single_name, candidates.iter().map(String::as_str)) {
            Some(h) => h,
            None => format!("`{subject}` is one of {values}"),
        };
        self.diags.push(
            Diagnostic::warning(
                codes::CONSTANT_COMPARISON,
                format!("`{subject}` is never {never}, so this comparison is always {always}"),
            )
            .primary(lhs.span.to(rhs.span), format!("always {always}"))
            .help(help),
        );
    }

    /// The common numeric type of two operands of `+`, `-` or a comparison.
    fn same_dimension(
        &mut self,
        a: &Ty,
        b: &Ty,
        symbol: &str,
        op_span: Span,
        lhs: Span,
        rhs: Span,
    ) -> Option<Ty> {
        match (a, b) {
            (Ty::Num(x), Ty::Num(y)) if x != y => {
                let (plain_size, declared) = match self.blame_plain_size(&[lhs, rhs], op_span) {
                    PlainSize::Again => return None,
                    PlainSize::First(help, declared) => (Some(help), declared),
                    PlainSize::No => (None, None),
                };
                let (dx, dy) = (x.describe(), y.describe());
                let help = if let Some(help) = plain_size {
                    help
                } else if x.is_number() || y.is_number() {
                    format!(
                        "give the plain number a unit, such as `{}`",
                        if x.is_number() {
                            y.example()
                        } else {
                            x.example()
                        }
                    )
                } else {
                    "convert one side, for instance multiply a size by a time per size (`0.8s/GB`) to get a duration".to_string()
                };
                let mut d = Diagnostic::error(
                    codes::DIMENSION_MISMATCH,
                    format!(
                        "`{symbol}` needs the same dimension on both sides, found {dx} and {dy}"
                    ),
                )
                .primary(op_span, "different dimensions")
                .secondary(lhs, dx.clone())
                .secondary(rhs, dy.clone());
                if let Some(at) = declared {
                    d = d.secondary(at, "a number without a unit");
                }
                self.diags.push(d.help(help));
                None
            }
            _ => Self::unify(a, b),
        }
    }

    /// A name used as a value.
    fn path_expr(&mut self, path: &ast::Path, scope: &Scope) -> Typed {
        let dotted = path.dotted();
        if let Some(var) = scope.vars.iter().rev().find(|v| v.name == dotted) {
            scope.reads.borrow_mut().insert(var.slot);
            if var.ty == Ty::Num(Dim::NONE) && var.name.ends_with(".size") {
                self.plain_sizes.push((var.name.clone(), path.span));
            }
            return Typed {
                ty: var.ty.clone(),
                ir: ir::Expr::Var(ir::VarRef::Instance(var.slot)),
            };
        }
        if scope.model && path.parts.len() >= 2 && path.parts[0].name == "model" {
            return self.model_property(path);
        }
        if self.row_columns.is_some() && path.parts.len() == 2 && path.parts[0].name == "row" {
            return self.row_column(path);
        }
        if let Some((_, later_span)) = scope.later.iter().find(|(n, _)| *n == dotted) {
            self.diags.push(
                Diagnostic::error(
                    codes::USED_BEFORE_DEFINED,
                    format!("`{dotted}` is used before it is defined"),
                )
                .primary(path.span, "used here")
                .secondary(*later_span, "defined later here")
                .help("attributes are sampled in the order written: move this one after the one it uses"),
            );
            return Typed::error();
        }
        let resolver = self.resolver();
        match resolver.resolve(scope.module, &path.parts) {
            Ok(Target::Broken) => Typed::error(),
            Ok(Target::Module(_)) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::NOT_A_VALUE,
                        format!("`{dotted}` is an imported module, not a value"),
                    )
                    .primary(path.span, "a module")
                    .help(format!(
                        "name one of its declarations, such as `{dotted}.NAME`"
                    )),
                );
                Typed::error()
            }
            Ok(Target::Decl { module, item, kind }) => self.decl_value(module, item, kind, path),
            Err(not_found) => {
                if scope.data_broken && path.parts.len() > 1 {
                    return Typed::error();
                }
                if path.parts.len() == 1 {
                    if let Some(id) = self.known_label(&dotted) {
                        return Typed {
                            ty: Ty::Labels(BTreeSet::from([id])),
                            ir: ir::Expr::Const(ir::Value::Label(id)),
                        };
                    }
                }
                if self.names_lost(scope.module) {
                    return Typed::error();
                }
                // `pytorch` that no `choice` produces, where the choice's `pytorh` is its slip:
                // a label on that report.
                let slip_report = self
                    .label_slips
                    .get(&dotted)
                    .and_then(|slip| self.label_slip_reports.get(slip))
                    .copied();
                if let Some(index) = slip_report {
                    let text = format!("so `{dotted}` here is no label");
                    self.slip_is_an_error(index, codes::UNKNOWN_NAME, path.span, text);
                    return Typed::error();
                }
                // The attributes this pipeline's data set has, where `path` names one it lacks
                // (`asset.colour` with `data = asset`).
                let data_attributes = Self::data_attributes(scope, &path.parts);
                // A data set's attributes used without `data` are one mistake.
                let key = if path.parts.len() > 1
                    && data_attributes.is_none()
                    && self.is_dataset_name(scope.module, &path.parts[0].name)
                {
                    format!("{}.*", path.parts[0].name)
                } else {
                    dotted.clone()
                };
                // Named before in this pipeline, or (a declaration's name) anywhere in the
                // entry file.
                // What names the same mistake elsewhere in the entry file: a declaration's
                // name, or an import alias that is not one (`aiops.NAME` without the import).
                let entry_key = self
                    .entry_key(scope.module, &path.parts)
                    .or_else(|| Self::dataset_attribute_key(scope, &path.parts));
                let in_entry = entry_key
                    .as_ref()
                    .and_then(|k| self.unknown_in_entry.get(k).copied());
                let repeated = scope.unknown_names.borrow().get(&key).copied().or(in_entry);
                if let Some(index) = repeated {
                    self.unknown_again(index, &dotted, path.span, "also used here");
                    return Typed::error();
                }
                if let Some(entry_key) = entry_key {
                    // A later use, sweep or metric naming it is a label on this report.
                    self.unknown_in_entry
                        .entry(entry_key)
                        .or_insert(self.diags.0.len());
                }
                scope
                    .unknown_names
                    .borrow_mut()
                    .insert(key, self.diags.0.len());
                let mut candidates: Vec<String> =
                    scope.vars.iter().map(|v| v.name.clone()).collect();
                if not_found.prefix.is_empty() {
                    candidates.extend(self.symbols[scope.module].order.iter().cloned());
                    candidates.extend(self.known_labels.iter().cloned());
                    candidates.extend(["true".to_string(), "false".to_string()]);
                } else {
                    candidates.extend(
                        not_found
                            .candidates
                            .iter()
                            .map(|c| format!("{}.{c}", not_found.prefix)),
                    );
                }
                if scope.model {
                    candidates.extend(MODEL_PROPERTIES.iter().map(|p| format!("model.{p}")));
                }
                // Where the value must name a declaration of one kind, only names of that kind
                // are suggested; the nearest of another kind is named in the help instead.
                let wanted = self
                    .wanted_kind
                    .iter()
                    .find(|(span, ..)| *span == path.span)
                    .map(|(_, expect, what)| (*expect, what.clone()));
                let mut wrong_kind = None;
                if let Some((expect, what)) = &wanted {
                    let (fit, other): (Vec<String>, Vec<String>) =
                        candidates.into_iter().partition(|c| {
                            self.candidate_ty(scope, c)
                                .is_some_and(|ty| Self::accepts(*expect, &ty))
                        });
                    if let Some(near) =
                        crate::diagnostic::suggest(&dotted, other.iter().map(String::as_str))
                    {
                        if let Some(ty) = self.candidate_ty(scope, near) {
                            let want = expect.describe();
                            wrong_kind = Some(format!(
                                "`{near}` is {}, and `{what}` needs {want}: write the name of {want}",
                                self.describe(&ty),
                            ));
                        }
                    }
                    candidates = fit;
                }
                let mut d =
                    Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{dotted}`"))
                        .primary(path.span, "not defined");
                if let Some(slip) = self.label_slips.get(&dotted) {
                    d = d.help(format!(
                        "no `choice` produces `{dotted}`: `{}` in the `choice` looks like its slip (W0403)",
                        slip
                    ));
                } else if self.attribute_before(path.span) == Some("priority") {
                    // `priority = high`: a level's word where the policy compares numbers.
                    d = d.help(
                        "`priority` is a number, and pools with `policy = priority` start higher ones first: write a number such as `priority = 10` (default 0)",
                    );
                } else if let Some((start, written, what)) = self.unit_as_a_name(path.span, &dotted)
                {
                    // `3 / hour`, `30 * minutes`: a unit written as a name after an operator.
                    d = d.help(format!(
                        "{what} is written with its unit directly after the number: `{written}`"
                    ));
                    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                        title: format!("Write `{written}`"),
                        edits: vec![(
                            Span::new(path.span.file, start, path.span.end as usize),
                            written,
                        )],
                    }];
                } else if scope.model && MODEL_PROPERTIES.contains(&dotted.as_str()) {
                    // `when = accuracy < 0.8` in a monitor: the model's property, unqualified.
                    let meant = format!("model.{dotted}");
                    d = d.help(format!("a monitor reads the model's {dotted} as `{meant}`"));
                    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                        title: format!("Write `{meant}`"),
                        edits: vec![(path.span, meant)],
                    }];
                } else if let Some(help) =
                    super::resolve::missing_import_help(&self.symbols[scope.module], &path.parts)
                {
                    d = d.help(help);
                    if let Some(fix) = self.missing_import_fix(scope.module, &path.parts) {
                        d.repair.get_or_insert_default().fixes.push(fix);
                    }
                } else if let Some(meant) = Self::qualified_data_attribute(scope, &path.parts) {
                    // `asset.size` in a pipeline whose data is `aiops.asset`.
                    let data = &meant[..meant.len() - path.parts[1].name.len() - 1];
                    d = d
                        .help(format!("this pipeline's data is `{data}`: write `{meant}`"))
                        .qualified(meant);
                } else if let Some(meant) = crate::diagnostic::suggest_preferring(
                    &dotted,
                    candidates.iter().map(String::as_str),
                    // A declaration nothing in the file names is likelier the slip.
                    |c| {
                        !self
                            .referenced
                            .get(scope.module)
                            .is_some_and(|r| r.contains(c))
                    },
                ) {
                    d = d
                        .help(format!("did you mean `{meant}`?"))
                        .replacement(meant);
                    // Used once against a declaration nothing else names, either may be the
                    // slip: the declaration's rename is offered second (a later use of the
                    // same name puts it first, in `unknown_again`).
                    let named_elsewhere = self
                        .referenced
                        .get(scope.module)
                        .is_some_and(|names| names.contains(meant));
                    if !named_elsewhere {
                        if let Some((declared_at, new_name)) =
                            self.declared_site(scope.module, meant, &dotted)
                        {
                            d.repair.get_or_insert_default().alternatives.push(
                                crate::diagnostic::Fix {
                                    title: format!(
                                        "Rename `{meant}` to `{dotted}` where it is declared"
                                    ),
                                    edits: vec![(declared_at, new_name)],
                                },
                            );
                        }
                    }
                    self.unknown_meant
                        .insert(self.diags.0.len(), meant.to_string());
                } else if let Some(meant) = self.imported_as(scope, &path.parts, &wanted) {
                    // `data = asset` where only the import `aiops` declares `asset` (a
                    // declaration one slip from it is likelier meant, above): not a slip
                    // where it is declared, however often it is named.
                    d = d.help(format!("did you mean `{meant}`?")).qualified(meant);
                } else if let Some((module_path, alias)) =
                    self.stdlib_declaring(scope, &path.parts, &wanted)
                {
                    // `profile = office_hours` without `import "std/profiles"`.
                    let meant = format!("{alias}.{dotted}");
                    let line = format!("import \"{module_path}\" as {alias}");
                    // A resource is the platform's own: a missing `resource gpu` is more likely
                    // forgotten than meant to be the library's, whose size is not the user's.
                    let declaration = match wanted.as_ref().map(|(expect, _)| *expect) {
                        Some(Expect::Pool) => Some("kind = pool  capacity = N"),
                        Some(Expect::Link) => Some("kind = link  bandwidth = 1GB/s"),
                        _ => None,
                    };
                    let resource = declaration.is_some();
                    d = d.help(if let Some(attributes) = declaration {
                        format!(
                            "declare it (`resource {dotted} {{ {attributes} }}`), or use the standard module `{module_path}`'s: add `{line}` at the top of the file and write `{meant}` here"
                        )
                    } else {
                        format!(
                            "`{dotted}` is declared by the standard module `{module_path}`: add `{line}` at the top of the file and write `{meant}` here"
                        )
                    });
                    if !resource && !self.symbols[scope.module].names.contains_key(&alias) {
                        if let Some(import) = self.import_line_edit(scope.module, &line) {
                            d.repair
                                .get_or_insert_default()
                                .fixes
                                .push(crate::diagnostic::Fix {
                                    title: format!("Add `{line}` and write `{meant}`"),
                                    edits: vec![import, (path.span, meant)],
                                });
                        }
                    }
                } else if let Some(wrong_kind) = wrong_kind {
                    d = d.help(format!("{wrong_kind}, or declare `{dotted}`"));
                } else if let (Some(attributes), Some(attribute)) =
                    (&data_attributes, path.parts.last())
                {
                    // The pipeline has this data set, which lacks the attribute: only the
                    // attribute is wrong.
                    let data = &dotted[..dotted.len() - attribute.name.len() - 1];
                    if let Some(label) = d.labels.first_mut() {
                        label.span = attribute.span;
                        label.text = format!("`{data}` has no such attribute");
                    }
                    d = d.help(format!(
                        "`{data}` has no attribute `{}`; its attributes are {}",
                        attribute.name,
                        attributes
                            .iter()
                            .map(|a| format!("`{a}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                } else if path.parts.len() == 1 {
                    d = d.help(match scope.within {
                        Within::Pipeline => "a name is a declaration, an attribute of this pipeline or its data set, an import alias, or a label that some `choice` produces",
                        Within::Dataset => "a name is a declaration, an attribute of this data set written before it, an import alias, or a label that some `choice` produces",
                        // A pipeline's attributes are not seen from an `arrivals`, a
                        // `resource` or the `scenario`.
                        Within::Other => "a name here is a declaration, an import alias, or a label that some `choice` produces (a pipeline's attributes are seen only inside the pipeline)",
                    });
                } else if path.parts.len() > 1
                    && self.is_dataset_name(scope.module, &path.parts[0].name)
                {
                    d = d.help(format!(
                        "a dataset's attributes are visible in a pipeline with `data = {}`",
                        path.parts[0].name
                    ));
                } else {
                    d = d.help("a qualified name is `ALIAS.NAME` for an import, or `DATASET.ATTRIBUTE` in a pipeline with that `data`");
                }
                self.diags.push(d);
                Typed::error()
            }
        }
    }

    /// An unknown `D.X` in a pipeline whose data set is `D`: one slip where `D` declares it
    /// (or its deletion) is one mistake however many pipelines use it, so every pipeline's
    /// uses are labels on one report.
    fn dataset_attribute_key(scope: &Scope, parts: &[ast::Ident]) -> Option<String> {
        let [dataset, attribute] = parts else {
            return None;
        };
        let prefix = format!("{}.", dataset.name);
        scope
            .vars
            .iter()
            .any(|v| v.name.starts_with(&prefix))
            .then(|| format!("{}:{}.{}", scope.module, dataset.name, attribute.name))
    }

    /// The attributes of the pipeline's data set when `parts` is `DATA.X` for that data set
    /// (`asset.colour` with `data = asset`, `aiops.asset.colour` with `data = aiops.asset`).
    fn data_attributes(scope: &Scope, parts: &[ast::Ident]) -> Option<Vec<String>> {
        let (_, data) = parts.split_last()?;
        if data.is_empty() {
            return None;
        }
        let prefix = format!("{}.", super::resolve::dotted(data));
        let attributes: Vec<String> = scope
            .vars
            .iter()
            .filter_map(|v| v.name.strip_prefix(&prefix))
            .filter(|a| !a.contains('.'))
            .map(str::to_string)
            .collect();
        (!attributes.is_empty()).then_some(attributes)
    }

    /// `aiops.asset.size` for `asset.size` in a pipeline whose data is `aiops.asset` (the
    /// data set named without its import's alias).
    fn qualified_data_attribute(scope: &Scope, parts: &[ast::Ident]) -> Option<String> {
        let [dataset, attribute] = parts else {
            return None;
        };
        let suffix = format!(".{}.{}", dataset.name, attribute.name);
        scope
            .vars
            .iter()
            .find(|v| v.name.ends_with(&suffix))
            .map(|v| v.name.clone())
    }

    /// `aiops.asset` for a plain `asset` that this module does not declare and exactly one of
    /// its imports does (of the kind the value needs, where it needs one).
    fn imported_as(
        &self,
        scope: &Scope,
        parts: &[ast::Ident],
        wanted: &Option<(Expect, String)>,
    ) -> Option<String> {
        let [name] = parts else {
            return None;
        };
        let symbols = &self.symbols[scope.module];
        let mut found = symbols.order.iter().filter_map(|alias| {
            let (super::resolve::Symbol::Import(Some(module)), _) = symbols.names.get(alias)?
            else {
                return None;
            };
            let declared = matches!(
                self.symbols.get(*module)?.names.get(&name.name),
                Some((super::resolve::Symbol::Decl { .. }, _))
            );
            let meant = format!("{alias}.{}", name.name);
            let fits = match wanted {
                Some((expect, _)) => self
                    .candidate_ty(scope, &meant)
                    .is_some_and(|ty| Self::accepts(*expect, &ty)),
                None => true,
            };
            (declared && fits).then_some(meant)
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// `("std/profiles", "profiles")` for a plain `office_hours` that this module does not
    /// import: the standard module that declares it (of the kind the value needs, where it
    /// needs one), and the alias its import would have. None where several do, or where the
    /// module is imported already (under an alias that [`Self::imported_as`] names).
    fn stdlib_declaring(
        &self,
        scope: &Scope,
        parts: &[ast::Ident],
        wanted: &Option<(Expect, String)>,
    ) -> Option<(&'static str, String)> {
        let [name] = parts else {
            return None;
        };
        let fits = |decl: &ast::Decl| match wanted.as_ref().map(|(expect, _)| *expect) {
            None => true,
            Some(Expect::Profile) => decl.kind == ast::DeclKind::Profile,
            Some(Expect::Pipeline) => decl.kind == ast::DeclKind::Pipeline,
            Some(Expect::Dataset) => decl.kind == ast::DeclKind::Dataset,
            Some(Expect::Pool) => super::resolve::resource_kind(decl) == Some("pool"),
            Some(Expect::Link) => super::resolve::resource_kind(decl) == Some("link"),
            Some(_) => false,
        };
        let mut found = super::resolve::stdlib_declaring(&name.name)
            .into_iter()
            .filter(|(_, decl)| fits(decl))
            .map(|(module, _)| module);
        let module = found.next()?;
        if found.next().is_some() {
            return None;
        }
        let imported = self
            .program
            .modules
            .get(scope.module)?
            .ast
            .items
            .iter()
            .any(|item| {
                matches!(item, ast::Item::Import(import)
                if import.path.trim_end_matches(".pipesim") == module)
            });
        let alias = module.rsplit('/').next()?.to_string();
        (!imported).then_some((module, alias))
    }

    fn is_dataset_name(&self, module: usize, name: &str) -> bool {
        matches!(
            self.resolver().lookup(module, name),
            Some((
                _,
                super::resolve::Symbol::Decl {
                    kind: DeclKind::Dataset,
                    ..
                }
            ))
        )
    }

    /// `row.COLUMN` in a `row { }` block: a number of the replayed row.
    fn row_column(&mut self, path: &ast::Path) -> Typed {
        let Some((table, used)) = self.row_columns.take() else {
            return Typed::error();
        };
        let column = self.find_column(&table, &path.parts[1].name, path.parts[1].span);
        let mut used = used;
        let typed = match column {
            Some(column) => {
                let k = match used
                    .iter()
                    .position(|(c, _, labels)| *c == column && labels.is_none())
                {
                    Some(k) => k,
                    None => {
                        used.push((column, path.span, None));
                        used.len() - 1
                    }
                };
                Typed {
                    ty: Ty::Num(Dim::NONE),
                    ir: ir::Expr::Var(ir::VarRef::Column(k as u32)),
                }
            }
            None => Typed::error(),
        };
        self.row_columns = Some((table, used));
        typed
    }

    fn model_property(&mut self, path: &ast::Path) -> Typed {
        let property = &path.parts[1];
        let (var, ty) = match property.name.as_str() {
            "accuracy" if path.parts.len() == 2 => (ir::ModelVar::Accuracy, Ty::Num(Dim::NONE)),
            "age" if path.parts.len() == 2 => (ir::ModelVar::Age, Ty::Num(Dim::TIME)),
            "version" if path.parts.len() == 2 => (ir::ModelVar::Version, Ty::Num(Dim::NONE)),
            _ => {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_MODEL_PROPERTY,
                    format!(
                        "a model has no property `{}`",
                        &path.dotted()["model.".len()..]
                    ),
                )
                .primary(path.span, "unknown property");
                d = d.help(match did_you_mean(&property.name, MODEL_PROPERTIES.iter().copied()) {
                    Some(h) => format!("{h} a monitor can read `model.accuracy`, `model.age` and `model.version`"),
                    None => "a monitor can read `model.accuracy`, `model.age` and `model.version`".to_string(),
                });
                if let Some(meant) = suggest(&property.name, MODEL_PROPERTIES.iter().copied()) {
                    d = d.replacement(format!("model.{meant}"));
                }
                self.diags.push(d);
                return Typed::error();
            }
        };
        Typed {
            ty,
            ir: ir::Expr::Var(ir::VarRef::Model(var)),
        }
    }

    fn decl_value(
        &mut self,
        module: usize,
        item: usize,
        kind: DeclKind,
        path: &ast::Path,
    ) -> Typed {
        self.used_decls.insert((module, item));
        let placeholder = ir::Expr::Const(ir::Value::Num(0.0));
        match kind {
            DeclKind::Resource => match self.resource_ids.get(&(module, item)) {
                Some(&id) => match self.resources[id as usize].kind {
                    Some(super::lower::ResKind::Pool) => Typed {
                        ty: Ty::Pool,
                        ir: ir::Expr::Const(ir::Value::Resource(id)),
                    },
                    Some(super::lower::ResKind::Link) => Typed {
                        ty: Ty::Link,
                        ir: ir::Expr::Const(ir::Value::Resource(id)),
                    },
                    None => Typed::error(),
                },
                None => Typed::error(),
            },
            DeclKind::Pipeline => match self.pipeline_ids.get(&(module, item)) {
                Some(&id) => Typed {
                    ty: Ty::Pipeline,
                    ir: ir::Expr::Const(ir::Value::Pipeline(id)),
                },
                None => Typed::error(),
            },
            DeclKind::Profile => match self.profile_ids.get(&(module, item)) {
                Some(&id) => Typed {
                    ty: Ty::Profile(id),
                    ir: placeholder,
                },
                None => Typed::error(),
            },
            DeclKind::Dataset => Typed {
                ty: Ty::Dataset(module, item),
                ir: placeholder,
            },
            DeclKind::Scenario | DeclKind::Arrivals | DeclKind::Monitor | DeclKind::Experiment => {
                self.diags.push(
                    Diagnostic::error(
                        codes::NOT_A_VALUE,
                        format!("`{}` is {} `{}`, not a value", path.dotted(), article(kind), kind.keyword()),
                    )
                    .primary(path.span, format!("names {} `{}`", article(kind), kind.keyword()))
                    .help("expressions can use numbers, labels, instance attributes, resources and pipelines"),
                );
                Typed::error()
            }
        }
    }

    /// `match EXPR { a => X, b | c => Y, _ => Z }`, with exhaustiveness over the labels the
    /// scrutinee can produce and warnings for arms that can never be taken.
    fn match_expr(
        &mut self,
        scrutinee: &ast::Expr,
        arms: &[ast::MatchArm],
        span: Span,
        scope: &Scope,
    ) -> Typed {
        let subject = self.expr(scrutinee, scope);
        let possible: Option<BTreeSet<ir::LabelId>> = match &subject.ty {
            Ty::Labels(set) => Some(set.clone()),
            Ty::Error => None,
            other => {
                let found = self.describe(other);
                self.diags.push(
                    Diagnostic::error(codes::MATCH_NOT_LABEL, format!("`match` needs a label, found {found}"))
                        .primary(scrutinee.span, format!("this is {found}"))
                        .help("match over an attribute that a `choice` produces, or use `if COND then A else B`"),
                );
                None
            }
        };
        let mut covered: BTreeSet<ir::LabelId> = BTreeSet::new();
        let mut wildcard_seen = false;
        let mut lowered_arms = Vec::new();
        let mut default = None;
        let mut result_ty: Option<Ty> = None;
        let mut first_arm_span = None;
        // Arms whose label the matched value cannot have, one slip from one it can: reported
        // after the arms, as the reason that label is not covered where it is not.
        let mut slipped: Vec<SlippedArm> = Vec::new();
        for arm in arms {
            let mut arm_labels = Vec::new();
            let mut arm_reachable = false;
            for pattern in &arm.patterns {
                match pattern {
                    ast::Pattern::Wildcard(p_span) => {
                        let useless = wildcard_seen
                            || possible.as_ref().is_some_and(|p| p.is_subset(&covered));
                        if useless && possible.is_some() {
                            self.unreachable(
                                *p_span,
                                "`_` can never match: every label is covered above".to_string(),
                                None,
                            );
                        } else {
                            arm_reachable = true;
                        }
                        wildcard_seen = true;
                    }
                    ast::Pattern::Name(p) => {
                        let name = p.dotted();
                        let id = self.known_label(&name);
                        let Some(possible) = &possible else {
                            if let Some(id) = id {
                                arm_labels.push(id);
                            }
                            arm_reachable = true;
                            continue;
                        };
                        match id {
                            Some(id)
                                if possible.contains(&id)
                                    && !covered.contains(&id)
                                    && !wildcard_seen =>
                            {
                                covered.insert(id);
                                arm_labels.push(id);
                                arm_reachable = true;
                            }
                            Some(id) if possible.contains(&id) => {
                                let why = if wildcard_seen {
                                    "`_` above already matches it"
                                } else {
                                    "an arm above already matches it"
                                };
                                self.unreachable(
                                    p.span,
                                    format!("`{name}` can never match here: {why}"),
                                    None,
                                );
                                let _ = id;
                            }
                            // Reported once, where the `choice` has the slip (W0403).
                            _ if self.label_slips.contains_key(&name) => {}
                            _ => {
                                let names: Vec<String> = possible
                                    .iter()
                                    .map(|l| self.label_name(*l).to_string())
                                    .collect();
                                let meant = crate::diagnostic::suggest(
                                    &name,
                                    names.iter().map(String::as_str),
                                )
                                .map(str::to_string);
                                let listed = names
                                    .iter()
                                    .map(|n| format!("`{n}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                slipped.push(SlippedArm {
                                    name,
                                    span: p.span,
                                    meant,
                                    listed,
                                });
                            }
                        }
                    }
                }
            }
            let body = self.expr(&arm.body, scope);
            match &result_ty {
                None => {
                    result_ty = Some(body.ty.clone());
                    first_arm_span = Some(arm.body.span);
                }
                Some(t) => match Self::unify(t, &body.ty) {
                    Some(u) => result_ty = Some(u),
                    None => {
                        let (dt, db) = (self.describe(t), self.describe(&body.ty));
                        let mut d = Diagnostic::error(
                            codes::BRANCH_MISMATCH,
                            format!("`match` arms differ: {dt} and {db}"),
                        )
                        .primary(arm.body.span, format!("this is {db}"));
                        if let Some(first) = first_arm_span {
                            d = d.secondary(first, format!("this is {dt}"));
                        }
                        self.diags
                            .push(d.help("every arm must give the same type and unit"));
                        result_ty = Some(Ty::Error);
                    }
                },
            }
            let is_wildcard_arm = arm
                .patterns
                .iter()
                .any(|p| matches!(p, ast::Pattern::Wildcard(_)));
            if is_wildcard_arm && default.is_none() {
                default = Some(Box::new(body.ir.clone()));
            }
            if !arm_labels.is_empty() && arm_reachable {
                lowered_arms.push((arm_labels, body.ir));
            }
        }
        if let Some(possible) = &possible {
            let mut missing: Vec<String> = if wildcard_seen {
                Vec::new()
            } else {
                possible
                    .difference(&covered)
                    .map(|l| format!("`{}`", self.label_name(*l)))
                    .collect()
            };
            for arm in slipped {
                let meant = arm.meant.as_ref().map(|m| format!("`{m}`"));
                match meant.and_then(|m| missing.iter().position(|l| *l == m)) {
                    // `tensorflo =>` where `tensorflow` is not covered: one mistake.
                    Some(at) => {
                        let label = missing.remove(at);
                        self.diags.push(
                            Diagnostic::error(
                                codes::NON_EXHAUSTIVE_MATCH,
                                format!(
                                    "`match` does not cover label {label}: `{}` is not one of the matched value's labels",
                                    arm.name
                                ),
                            )
                            .primary(arm.span, format!("not a label `{}` can have", self.text(scrutinee.span)))
                            .secondary(span, "in this match")
                            .help(format!("did you mean {label}?")),
                        );
                    }
                    None => self.unreachable(
                        arm.span,
                        format!(
                            "`{}` can never match: the matched value is one of {}",
                            arm.name, arm.listed
                        ),
                        arm.meant.map(|m| format!("did you mean `{m}`?")),
                    ),
                }
            }
            let slip_report = self
                .slip_for(&missing)
                .and_then(|(produced, _)| self.label_slip_reports.get(&produced).copied());
            if let Some(index) = slip_report {
                let text = format!("so this `match` has no arm for {}", missing.join(", "));
                self.slip_is_an_error(index, codes::NON_EXHAUSTIVE_MATCH, scrutinee.span, text);
            } else if !missing.is_empty() {
                let plural = if missing.len() == 1 { "" } else { "s" };
                self.diags.push(
                        Diagnostic::error(
                            codes::NON_EXHAUSTIVE_MATCH,
                            format!(
                                "`match` does not cover label{plural} {}",
                                missing.join(", ")
                            ),
                        )
                        .primary(
                            scrutinee.span,
                            format!("can also be {}", missing.join(", ")),
                        )
                        .secondary(span, "in this match")
                        .help(match self.slip_for(&missing) {
                            Some((produced, named)) => format!(
                                "`{produced}` looks like the `choice`'s slip for `{named}` (W0403): correct it there, or add an arm for `{produced}`"
                            ),
                            None => format!(
                                "add an arm for {}, or a `_ => ...` arm for the rest",
                                missing.join(", ")
                            ),
                        }),
                    );
            }
        }
        Typed {
            ty: result_ty.unwrap_or(Ty::Error),
            ir: ir::Expr::Match {
                scrutinee: Box::new(subject.ir),
                arms: lowered_arms,
                default,
            },
        }
    }

    /// The one missing label of a match, written as `` `label` ``, when it is a label slip's
    /// produced label whose intended name an arm already has: the produced and named labels.
    fn slip_for(&self, missing: &[String]) -> Option<(String, String)> {
        let [only] = missing else {
            return None;
        };
        self.label_slips
            .iter()
            .find(|(_, slip)| format!("`{slip}`") == *only)
            .map(|(named, slip)| (slip.clone(), named.clone()))
    }

    /// A label slip's W0403 report (index `index`) that leaves a match without an arm or a
    /// comparison with an undefined name: one mistake, now an error (nothing would run) under
    /// the code of its first such consequence, with each as a label.
    fn slip_is_an_error(&mut self, index: usize, code: &'static str, span: Span, text: String) {
        let Some(report) = self.diags.0.get_mut(index) else {
            return;
        };
        if !report.is_error() {
            report.severity = crate::diagnostic::Severity::Error;
            report.code = code;
        }
        report.labels.push(crate::diagnostic::Label {
            span,
            text,
            primary: false,
        });
    }

    fn unreachable(&mut self, span: Span, message: String, help: Option<String>) {
        let mut d =
            Diagnostic::warning(codes::UNREACHABLE_ARM, message).primary(span, "unreachable");
        d = d.help(help.unwrap_or_else(|| "remove this pattern".to_string()));
        self.diags.push(d);
    }

    /// `choice { label: weight, ... }` producing a label.
    fn label_choice(&mut self, entries: &[ast::ChoiceEntry], scope: &Scope) -> Typed {
        let mut seen: Vec<(String, Span)> = Vec::new();
        let mut set = BTreeSet::new();
        let mut options = Vec::new();
        let mut ok = true;
        for entry in entries {
            let name = entry.key.dotted();
            let weight = self.choice_weight(&entry.weight, scope);
            if entry.key.parts.len() != 1 {
                self.diags.push(
                    Diagnostic::error(codes::BAD_CHOICE_KEY, format!("`{name}` is not a plain label"))
                        .primary(entry.key.span, "a qualified name")
                        .help("the options of a `choice` are plain identifiers, such as `tensorflow`; a choice of pipelines is only allowed in `arrivals.pipeline`"),
                );
                ok = false;
                continue;
            }
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                self.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_CHOICE_KEY,
                        format!("`{name}` appears twice in this `choice`"),
                    )
                    .primary(entry.key.span, "second time")
                    .secondary(*first, "first time")
                    .help("add the weights together into one entry"),
                );
                continue;
            }
            seen.push((name.clone(), entry.key.span));
            let id = self.intern_label(&name);
            set.insert(id);
            options.push((ir::Value::Label(id), weight));
        }
        if !ok || set.is_empty() {
            return Typed::error();
        }
        Typed {
            ty: Ty::Labels(set),
            ir: ir::Expr::Choice(options),
        }
    }

    /// A `choice` weight: a number, positive when constant.
    pub fn choice_weight(&mut self, weight: &ast::Expr, scope: &Scope) -> ir::Expr {
        let w = self.expr(weight, scope);
        if !self.expect(&w, Expect::Dim(Dim::NONE), weight.span, "weight") {
            return w.ir;
        }
        if let Some(value) = super::consts::const_num(&w.ir) {
            if value.is_nan() || value <= 0.0 {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_CHOICE_WEIGHT,
                        format!(
                            "a `choice` weight must be positive, found {}",
                            super::consts::show(value)
                        ),
                    )
                    .primary(weight.span, "not positive")
                    .help("weights are relative: remove an option that should never be chosen"),
                );
            }
        }
        w.ir
    }
}

fn article(kind: DeclKind) -> &'static str {
    match kind {
        DeclKind::Arrivals | DeclKind::Experiment => "an",
        _ => "a",
    }
}

fn negate(e: ir::Expr) -> ir::Expr {
    match e {
        ir::Expr::Const(ir::Value::Num(v)) => ir::Expr::Const(ir::Value::Num(-v)),
        other => ir::Expr::Neg(Box::new(other)),
    }
}

/// Folds arithmetic on two constants, so `12s + 3s` lowers to one constant.
fn fold(e: ir::Expr) -> ir::Expr {
    if let ir::Expr::Binary(op, a, b) = &e {
        if let (ir::Expr::Const(ir::Value::Num(x)), ir::Expr::Const(ir::Value::Num(y))) =
            (&**a, &**b)
        {
            let value = match op {
                ir::BinaryOp::Add => x + y,
                ir::BinaryOp::Sub => x - y,
                ir::BinaryOp::Mul => x * y,
                ir::BinaryOp::Div if *y != 0.0 => x / y,
                _ => return e,
            };
            return ir::Expr::Const(ir::Value::Num(value));
        }
    }
    e
}

/// Whether `text` could be a (possibly qualified) name: `gpu`, `aiops.classic`.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// The dimension of a string's text read as a number with its unit (`7d`, `1.5GB`, `8`), if
/// it is one.
fn quoted_quantity(text: &str) -> Option<Dim> {
    let unit_at = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '_')))
        .unwrap_or(text.len());
    let number = &text[..unit_at];
    if !number.starts_with(|c: char| c.is_ascii_digit())
        || number.replace('_', "").parse::<f64>().is_err()
    {
        return None;
    }
    if unit_at == text.len() {
        return Some(Dim::NONE);
    }
    crate::analysis::units::parse_unit(&text[unit_at..])
        .ok()
        .map(|unit| unit.dim)
}

/// Help for a step given several pools (`on = [gpu, cpu]`, `on = gpu || cpu`).
const ONE_POOL_HELP: &str = "a step runs on one pool: choose it by an attribute with `match` or at random with `choice`, as in `on = choice { gpu: 0.7, cpu: 0.3 }`";
