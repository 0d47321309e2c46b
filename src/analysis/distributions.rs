//! Calls: the functions (`min`, `round`, `clamp`, ...) and the distributions, whose parameters
//! are always named. Distributions are rewritten into the canonical parameters of
//! [`ir::Distribution`] (`exponential(rate = r)` → mean 1/r, `lognormal(median = m)` →
//! mu = ln m, `erlang(k, mean)` → gamma(k, mean/k)).
//!
//! Invariant: a distribution's result has the dimension of its location/scale parameters
//! (`normal(mean = 0s, sd = 5s)` is a duration); parameters that are constant are checked
//! against their valid range here, once, with the parameter named in the message.

use super::codes;
use super::consts::{self, const_num, show};
use super::lower::Analyzer;
use super::resolve::did_you_mean;
use super::types::{Expect, Scope, Ty, Typed};
use super::units::Dim;
use crate::diagnostic::Diagnostic;
use crate::ir::{self, Distribution, Expr, Func};
use crate::source::Span;
use crate::syntax::ast;

pub const FUNCTIONS: &[&str] = &[
    "min", "max", "round", "floor", "ceil", "abs", "clamp", "sqrt", "ln",
];

/// Each distribution with its parameters and its usual form (for help texts).
pub const DISTRIBUTIONS: &[(&str, &[&str], &str)] = &[
    (
        "exponential",
        &["mean", "rate"],
        "exponential(mean = 90s)` or `exponential(rate = 120/h)",
    ),
    ("normal", &["mean", "sd"], "normal(mean = 10s, sd = 2s)"),
    (
        "lognormal",
        &["median", "mu", "sigma"],
        "lognormal(median = 5min, sigma = 0.8)` or `lognormal(mu = 5.7, sigma = 0.8)",
    ),
    ("uniform", &["min", "max"], "uniform(min = 1s, max = 5s)"),
    (
        "triangular",
        &["min", "mode", "max"],
        "triangular(min = 1s, mode = 2s, max = 5s)",
    ),
    (
        "gamma",
        &["shape", "scale"],
        "gamma(shape = 2, scale = 30s)",
    ),
    ("erlang", &["k", "mean"], "erlang(k = 3, mean = 90s)"),
    (
        "weibull",
        &["shape", "scale"],
        "weibull(shape = 1.5, scale = 30s)",
    ),
    (
        "exponweib",
        &["a", "c", "scale"],
        "exponweib(a = 1.8, c = 0.7, scale = 110s)",
    ),
    ("bernoulli", &["p"], "bernoulli(p = 0.95)"),
    ("poisson", &["mean"], "poisson(mean = 4)"),
    (
        "empirical",
        &["column"],
        "empirical(\"file.csv\", column = \"name\")",
    ),
];

type Params = Vec<(String, Typed, Span)>;

/// The names positional arguments of a distribution most likely stand for, in the order its
/// usual form writes them, for a help that names the user's own values: the parameters not
/// already given by name; of two alternatives, the one the argument's unit fits (`mean` for
/// a duration and `rate` for a frequency; `median` for a quantity and `mu` for a plain
/// number). `None` when the count does not match, and the guess would mislead.
fn positional_names<'n>(
    name: &str,
    allowed: &[&'n str],
    named: &[&str],
    dims: &[Option<Dim>],
) -> Option<Vec<&'n str>> {
    let pair = match name {
        "exponential" => Some(("mean", "rate")),
        "lognormal" => Some(("median", "mu")),
        _ => None,
    };
    let mut names: Vec<&'n str> = Vec::new();
    for &parameter in allowed {
        if named.contains(&parameter) {
            continue;
        }
        if let Some((first, second)) = pair {
            if parameter == second || (parameter == first && named.contains(&second)) {
                continue;
            }
            if parameter == first {
                // The argument in this place says which of the two it is.
                let dim = dims.get(names.len()).copied().flatten();
                let which = match dim {
                    Some(dim) if name == "exponential" && dim == Dim::FREQUENCY => second,
                    Some(dim) if name == "lognormal" && dim.is_number() => second,
                    _ => first,
                };
                names.push(which);
                continue;
            }
        }
        names.push(parameter);
    }
    (names.len() == dims.len()).then_some(names)
}

fn get<'p>(params: &'p Params, name: &str) -> Option<&'p (String, Typed, Span)> {
    params.iter().find(|(n, _, _)| n == name)
}

impl Analyzer<'_> {
    /// `name(args)`: a function or a distribution.
    pub fn call(
        &mut self,
        callee: &ast::Ident,
        args: &[ast::Arg],
        span: Span,
        scope: &Scope,
    ) -> Typed {
        let name = callee.name.as_str();
        if FUNCTIONS.contains(&name) {
            return self.function(callee, args, span, scope);
        }
        if let Some((_, allowed, usage)) = DISTRIBUTIONS.iter().find(|(n, _, _)| *n == name) {
            return self.distribution(callee, args, allowed, usage, span, scope);
        }
        for arg in args {
            self.expr(&arg.value, scope);
        }
        let all = FUNCTIONS
            .iter()
            .chain(DISTRIBUTIONS.iter().map(|(n, _, _)| n))
            .copied();
        let help = did_you_mean(name, all).unwrap_or_else(|| {
            format!(
                "the functions are {}; the distributions are {}",
                FUNCTIONS.join(", "),
                DISTRIBUTIONS
                    .iter()
                    .map(|d| d.0)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        self.diags.push(
            Diagnostic::error(
                codes::UNKNOWN_FUNCTION,
                format!("unknown function `{name}`"),
            )
            .primary(callee.span, "not a function or distribution")
            .help(help),
        );
        Typed::error()
    }

    fn function(
        &mut self,
        callee: &ast::Ident,
        args: &[ast::Arg],
        span: Span,
        scope: &Scope,
    ) -> Typed {
        let name = callee.name.as_str();
        let typed: Vec<(Typed, Span)> = args
            .iter()
            .map(|a| (self.expr(&a.value, scope), a.value.span))
            .collect();
        if let Some(named) = args.iter().find_map(|a| a.name.as_ref()) {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_ARGUMENTS,
                    format!("`{name}` takes plain arguments, not named ones"),
                )
                .primary(named.span, "named argument")
                .help(format!("write `{name}({})`", function_usage(name))),
            );
            return Typed::error();
        }
        let arity_ok = match name {
            "min" | "max" => args.len() >= 2,
            "clamp" => args.len() == 3,
            _ => args.len() == 1,
        };
        if !arity_ok {
            let wanted = match name {
                "min" | "max" => "at least 2 arguments",
                "clamp" => "3 arguments",
                _ => "1 argument",
            };
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_ARGUMENTS,
                    format!("`{name}` takes {wanted}, found {}", args.len()),
                )
                .primary(span, "wrong number of arguments")
                .help(format!("write `{name}({})`", function_usage(name))),
            );
            return Typed::error();
        }
        let mut ty = Ty::AnyNum;
        let mut first: Option<(Ty, Span)> = None;
        for (t, arg_span) in &typed {
            if t.ty == Ty::Error {
                return Typed::error();
            }
            if !t.ty.is_numeric() {
                let found = self.describe(&t.ty);
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_OPERAND,
                        format!("`{name}` takes numbers, found {found}"),
                    )
                    .primary(*arg_span, format!("this is {found}"))
                    .help(format!("write `{name}({})`", function_usage(name))),
                );
                return Typed::error();
            }
            match Self::unify(&ty, &t.ty) {
                Some(u) => {
                    ty = u;
                    if first.is_none() {
                        first = Some((t.ty.clone(), *arg_span));
                    }
                }
                None => {
                    let (df, dt) = (self.describe(&ty), self.describe(&t.ty));
                    let mut d = Diagnostic::error(
                        codes::DIMENSION_MISMATCH,
                        format!("the arguments of `{name}` need the same dimension, found {df} and {dt}"),
                    )
                    .primary(*arg_span, format!("this is {dt}"));
                    if let Some((_, s)) = &first {
                        d = d.secondary(*s, format!("this is {df}"));
                    }
                    self.diags.push(d.help(
                        "give every argument the same unit, such as `max(0s, x)` for durations",
                    ));
                    return Typed::error();
                }
            }
        }
        let func = match name {
            "min" => Func::Min,
            "max" => Func::Max,
            "round" => Func::Round,
            "floor" => Func::Floor,
            "ceil" => Func::Ceil,
            "abs" => Func::Abs,
            "clamp" => Func::Clamp,
            "sqrt" => Func::Sqrt,
            _ => Func::Ln,
        };
        let result = match (func, &ty) {
            (Func::Sqrt, Ty::Num(d)) => match d.sqrt() {
                Some(half) => Ty::Num(half),
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_OPERAND,
                            format!("`sqrt` of {} has no unit", d.describe()),
                        )
                        .primary(typed[0].1, "odd powers of its units")
                        .help("take the square root of a plain number or of a squared quantity"),
                    );
                    return Typed::error();
                }
            },
            (Func::Ln, Ty::Num(d)) if !d.is_number() => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_OPERAND,
                        format!("`ln` needs a plain number, found {}", d.describe()),
                    )
                    .primary(typed[0].1, "has a unit")
                    .help("divide by a unit first, such as `ln(size / 1GB)`"),
                );
                return Typed::error();
            }
            _ => ty,
        };
        Typed {
            ty: result,
            ir: Expr::Func(func, typed.into_iter().map(|(t, _)| t.ir).collect()),
        }
    }

    fn distribution(
        &mut self,
        callee: &ast::Ident,
        args: &[ast::Arg],
        allowed: &[&str],
        usage: &str,
        span: Span,
        scope: &Scope,
    ) -> Typed {
        let name = callee.name.as_str();
        let mut params: Params = Vec::new();
        let mut positional: Vec<&ast::Arg> = Vec::new();
        let mut broken = false;
        for arg in args {
            let Some(param) = &arg.name else {
                positional.push(arg);
                continue;
            };
            let value = self.expr(&arg.value, scope);
            // "did you mean `median`?" for a mean (or the reverse) would change the
            // distribution: they differ but for a symmetric one.
            if let Some(d) = mean_for_median(name, arg, args) {
                self.diags.push(d);
                broken = true;
                continue;
            }
            if !allowed.contains(&param.name.as_str()) {
                let help = did_you_mean(&param.name, allowed.iter().copied())
                    .map(|h| format!("{h} `{name}` takes `{}`", allowed.join("`, `")))
                    .unwrap_or_else(|| {
                        format!("`{name}` takes `{}`: write `{usage}`", allowed.join("`, `"))
                    });
                self.diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_PARAMETER,
                        format!("`{name}` has no parameter `{}`", param.name),
                    )
                    .primary(param.span, "unknown parameter")
                    .help(help),
                );
                broken = true;
                continue;
            }
            if let Some((_, _, first)) = get(&params, &param.name) {
                self.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_PARAMETER,
                        format!("`{}` is given twice", param.name),
                    )
                    .primary(param.span, "second time")
                    .secondary(*first, "first time")
                    .help("remove one of them"),
                );
                broken = true;
                continue;
            }
            params.push((param.name.clone(), value, arg.value.span));
        }
        if name == "empirical" {
            return self.empirical(callee, &positional, &params, broken, span, scope);
        }
        if let Some((first, rest)) = positional.split_first() {
            let dims: Vec<Option<Dim>> = positional
                .iter()
                .map(|arg| match self.expr(&arg.value, scope).ty {
                    Ty::Num(dim) => Some(dim),
                    _ => None,
                })
                .collect();
            let named: Vec<&str> = params.iter().map(|(n, _, _)| n.as_str()).collect();
            let mut fix = None;
            let help = match positional_names(name, allowed, &named, &dims) {
                Some(names) => {
                    // Each value keeps its place; its name is written before it.
                    fix = Some(crate::diagnostic::Fix {
                        title: format!(
                            "Name the parameter{} `{}`",
                            if names.len() == 1 { "" } else { "s" },
                            names.join("`, `")
                        ),
                        edits: names
                            .iter()
                            .zip(&positional)
                            .map(|(n, arg)| {
                                let at = arg.value.span;
                                (
                                    Span::new(at.file, at.start as usize, at.start as usize),
                                    format!("{n} = "),
                                )
                            })
                            .collect(),
                    });
                    let mut written: Vec<String> = names
                        .iter()
                        .zip(&positional)
                        .map(|(n, arg)| format!("{n} = {}", self.text(arg.value.span)))
                        .collect();
                    written.extend(
                        params
                            .iter()
                            .map(|(n, _, at)| format!("{n} = {}", self.text(*at))),
                    );
                    let them = if positional.len() == 1 { "it" } else { "them" };
                    format!("name {them}: `{name}({})`", written.join(", "))
                }
                None => format!("write `{usage}`"),
            };
            let mut diagnostic = Diagnostic::error(
                codes::POSITIONAL_PARAMETER,
                format!("the parameters of `{name}` are named"),
            )
            .primary(first.value.span, "parameter without a name");
            for arg in rest {
                diagnostic = diagnostic.secondary(arg.value.span, "and this one");
            }
            if let Some(fix) = fix {
                diagnostic.repair.get_or_insert_default().fixes = vec![fix];
            }
            self.diags.push(diagnostic.help(help));
            broken = true;
        }
        // Exactly one of each group of alternatives.
        let alternatives: &[&str] = match name {
            "exponential" => &["mean", "rate"],
            "lognormal" => &["median", "mu"],
            _ => &[],
        };
        let required: Vec<&str> = allowed
            .iter()
            .copied()
            .filter(|p| !alternatives.contains(p))
            .collect();
        if !alternatives.is_empty() {
            let given: Vec<&(String, Typed, Span)> = params
                .iter()
                .filter(|(n, _, _)| alternatives.contains(&n.as_str()))
                .collect();
            if given.len() > 1 {
                self.diags.push(
                    Diagnostic::error(
                        codes::CONFLICTING_PARAMETERS,
                        format!(
                            "`{name}` takes one of `{}`, not both",
                            alternatives.join("` and `")
                        ),
                    )
                    .primary(given[1].2, "second alternative")
                    .secondary(given[0].2, "first alternative")
                    .help(format!("keep one: `{usage}`")),
                );
                broken = true;
            } else if given.is_empty() && !broken {
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_PARAMETER,
                        format!("`{name}` needs `{}`", alternatives.join("` or `")),
                    )
                    .primary(span, "incomplete distribution")
                    .help(format!("write `{usage}`")),
                );
                broken = true;
            }
        }
        let missing: Vec<&str> = required
            .iter()
            .copied()
            .filter(|p| get(&params, p).is_none())
            .collect();
        if !missing.is_empty() && !broken {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_PARAMETER,
                    format!("`{name}` needs `{}`", missing.join("` and `")),
                )
                .primary(span, format!("missing `{}`", missing.join("`, `")))
                .help(format!("write `{usage}`")),
            );
            broken = true;
        }
        if broken {
            return Typed::error();
        }
        // The result's dimension comes from the location and scale parameters.
        let (location, inverse): (&[&str], &[&str]) = match name {
            "exponential" => (&["mean"], &["rate"]),
            "normal" => (&["mean", "sd"], &[]),
            "lognormal" => (&["median"], &[]),
            "uniform" => (&["min", "max"], &[]),
            "triangular" => (&["min", "mode", "max"], &[]),
            "gamma" | "weibull" | "exponweib" => (&["scale"], &[]),
            "erlang" => (&["mean"], &[]),
            _ => (&[], &[]),
        };
        // The location and scale parameters' dimensions (a rate's inverted), to agree on.
        let mut dims: Vec<(&String, Dim, Span, &Typed)> = Vec::new();
        let mut ok = true;
        for (param, typed, pspan) in &params {
            let is_location = location.contains(&param.as_str());
            let is_inverse = inverse.contains(&param.as_str());
            if param == "mu" {
                ok &= self.expect(typed, Expect::Dim(Dim::NONE), *pspan, "mu");
                continue;
            }
            if !is_location && !is_inverse {
                ok &= self.expect(typed, Expect::Dim(Dim::NONE), *pspan, param);
                continue;
            }
            let Ty::Num(d) = typed.ty else {
                if !typed.ty.is_numeric() && typed.ty != Ty::Error {
                    self.expect(typed, Expect::Dim(Dim::NONE), *pspan, param);
                    ok = false;
                }
                continue;
            };
            let d = if is_inverse { d.inverse() } else { d };
            dims.push((param, d, *pspan, typed));
        }
        // They must agree. The dimension most of them have (the first one's on a tie) is
        // taken as meant, so `triangular(min = 1, mode = 5s, max = 20s)` is one report, at
        // `min`, rather than one at `mode` and one at `max`.
        let count = |d: Dim| dims.iter().filter(|(_, e, _, _)| *e == d).count();
        let want =
            dims.iter()
                .map(|(_, d, _, _)| *d)
                .fold(None, |best: Option<Dim>, d| match best {
                    Some(b) if count(b) >= count(d) => Some(b),
                    _ => Some(d),
                });
        let dim = want.map(|want| {
            let agreeing: Vec<&String> = dims
                .iter()
                .filter(|(_, d, _, _)| *d == want)
                .map(|(p, _, _, _)| *p)
                .collect();
            (want, agreeing)
        });
        let differing: Vec<_> = dims
            .iter()
            .filter(|(_, d, _, _)| Some(*d) != want)
            .collect();
        if let (Some((want, agreeing)), Some((param, _, pspan, typed))) = (&dim, differing.first())
        {
            let found = self.describe(&typed.ty);
            let want_here = if inverse.contains(&param.as_str()) {
                want.inverse()
            } else {
                *want
            };
            let like = agreeing
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            let first = agreeing[0];
            let mut diagnostic = Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("expected {} like {like}, found {found}", want_here.name()),
            )
            .primary(*pspan, format!("this is {found}"));
            for (other, _, other_span, other_typed) in &differing[1..] {
                let found = self.describe(&other_typed.ty);
                diagnostic = diagnostic.secondary(*other_span, format!("`{other}` is {found}"));
            }
            let mismatched = differing
                .iter()
                .map(|(p, _, _, _)| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            self.diags.push(diagnostic.help(format!(
                "give {mismatched} the same unit as `{first}`, such as `{usage}`"
            )));
            ok = false;
        }
        let dim = dim.map(|(d, _)| d);
        // A parameter whose mistake is reported already (a unit) has no value to check.
        if !ok || params.iter().any(|(_, typed, _)| typed.ty == Ty::Error) {
            return Typed::error();
        }
        let result_ty = match name {
            "bernoulli" => Ty::Bool,
            "poisson" => Ty::Num(Dim::NONE),
            "lognormal" if get(&params, "mu").is_some() => Ty::AnyNum,
            _ => dim.map(Ty::Num).unwrap_or(Ty::AnyNum),
        };
        let p = |n: &str| get(&params, n).map(|(_, t, s)| (t.ir.clone(), *s));
        // A parameter's constant value as written in messages: in its unit (`3min`, not 180).
        let shown = |n: &str, v: f64| match get(&params, n).map(|(_, t, _)| &t.ty) {
            Some(Ty::Num(d)) => d.show(v),
            _ => show(v),
        };
        let pe = |n: &str| p(n).map(|(e, _)| e).unwrap_or_else(|| consts::num(0.0));
        // Range checks where constant.
        let positive: &[&str] = match name {
            "exponential" => &["mean", "rate"],
            "normal" => &["sd"],
            "lognormal" => &["median", "sigma"],
            "gamma" | "weibull" => &["shape", "scale"],
            "erlang" => &["k", "mean"],
            "exponweib" => &["a", "c", "scale"],
            _ => &[],
        };
        for param in positive {
            if let Some((e, s)) = p(param) {
                if let Some(v) = const_num(&e) {
                    if v <= 0.0 {
                        self.invalid_parameter(
                            name,
                            s,
                            format!("`{param}` must be positive, found {}", shown(param, v)),
                            usage,
                        );
                        ok = false;
                    }
                }
            }
        }
        if name == "erlang" {
            if let Some((e, s)) = p("k") {
                if let Some(v) = const_num(&e) {
                    if v > 0.0 && v.fract() != 0.0 {
                        self.invalid_parameter(
                            name,
                            s,
                            format!("`k` must be a whole number, found {}", show(v)),
                            usage,
                        );
                        ok = false;
                    }
                }
            }
        }
        if name == "bernoulli" {
            if let Some((e, s)) = p("p") {
                if let Some(v) = const_num(&e) {
                    if !(0.0..=1.0).contains(&v) {
                        self.invalid_parameter(
                            name,
                            s,
                            format!("`p` is a probability between 0 and 1, found {}", show(v)),
                            usage,
                        );
                        ok = false;
                    }
                }
            }
        }
        if name == "poisson" {
            if let Some((e, s)) = p("mean") {
                if let Some(v) = const_num(&e) {
                    if v < 0.0 {
                        self.invalid_parameter(
                            name,
                            s,
                            format!("`mean` must not be negative, found {}", show(v)),
                            usage,
                        );
                        ok = false;
                    }
                }
            }
        }
        if name == "uniform" || name == "triangular" {
            let (lo, hi) = (p("min"), p("max"));
            if let (Some((lo, _)), Some((hi, hs))) = (&lo, &hi) {
                if let (Some(a), Some(b)) = (const_num(lo), const_num(hi)) {
                    if a >= b {
                        self.invalid_parameter(
                            name,
                            *hs,
                            format!(
                                "`max` must be greater than `min`, found {} <= {}",
                                shown("max", b),
                                shown("min", a)
                            ),
                            usage,
                        );
                        ok = false;
                    } else if name == "triangular" {
                        if let Some((mode, ms)) = p("mode") {
                            if let Some(m) = const_num(&mode) {
                                if m < a || m > b {
                                    // Which bound it passes, with both as written.
                                    let (side, bound, at) = if m < a {
                                        ("below", "min", a)
                                    } else {
                                        ("above", "max", b)
                                    };
                                    self.invalid_parameter(
                                        name,
                                        ms,
                                        format!(
                                            "`mode` must lie between `min` and `max`, found `mode = {}` {side} `{bound} = {}`",
                                            shown("mode", m),
                                            shown(bound, at)
                                        ),
                                        usage,
                                    );
                                    ok = false;
                                }
                            }
                        }
                    }
                }
            }
        }
        if !ok {
            return Typed::error();
        }
        let distribution = match name {
            "exponential" => Distribution::Exponential {
                mean: match p("mean") {
                    Some((mean, _)) => mean,
                    None => reciprocal(pe("rate")),
                },
            },
            "normal" => Distribution::Normal {
                mean: pe("mean"),
                sd: pe("sd"),
            },
            "lognormal" => Distribution::LogNormal {
                mu: match p("mu") {
                    Some((mu, _)) => mu,
                    None => ln(pe("median")),
                },
                sigma: pe("sigma"),
            },
            "uniform" => Distribution::Uniform {
                min: pe("min"),
                max: pe("max"),
            },
            "triangular" => Distribution::Triangular {
                min: pe("min"),
                mode: pe("mode"),
                max: pe("max"),
            },
            "gamma" => Distribution::Gamma {
                shape: pe("shape"),
                scale: pe("scale"),
            },
            "erlang" => Distribution::Gamma {
                shape: pe("k"),
                scale: divide(pe("mean"), pe("k")),
            },
            "weibull" => Distribution::Weibull {
                shape: pe("shape"),
                scale: pe("scale"),
            },
            "exponweib" => Distribution::ExpWeib {
                a: pe("a"),
                c: pe("c"),
                scale: pe("scale"),
            },
            "bernoulli" => Distribution::Bernoulli { p: pe("p") },
            _ => Distribution::Poisson { mean: pe("mean") },
        };
        Typed {
            ty: result_ty,
            ir: Expr::Dist(Box::new(distribution)),
        }
    }

    fn invalid_parameter(&mut self, name: &str, span: Span, message: String, usage: &str) {
        self.diags.push(
            Diagnostic::error(
                codes::INVALID_PARAMETER,
                format!("invalid `{name}`: {message}"),
            )
            .primary(span, "out of range")
            .help(format!("for example `{usage}`")),
        );
    }

    /// `empirical("file.csv", column = "name")`: loads the column now, relative to the file
    /// that names it.
    fn empirical(
        &mut self,
        callee: &ast::Ident,
        positional: &[&ast::Arg],
        params: &Params,
        broken: bool,
        span: Span,
        scope: &Scope,
    ) -> Typed {
        let usage = "empirical(\"file.csv\", column = \"name\")";
        let file = match positional {
            [one] => match &one.value.kind {
                ast::ExprKind::Str(s) => Some((s.clone(), one.value.span)),
                _ => {
                    let t = self.expr(&one.value, scope);
                    self.expect(&t, Expect::Str, one.value.span, "empirical");
                    None
                }
            },
            [] => {
                if !broken {
                    self.diags.push(
                        Diagnostic::error(
                            codes::MISSING_PARAMETER,
                            "`empirical` needs the file to read",
                        )
                        .primary(callee.span, "no file")
                        .help(format!("write `{usage}`")),
                    );
                }
                None
            }
            [_, extra, ..] => {
                self.diags.push(
                    Diagnostic::error(
                        codes::POSITIONAL_PARAMETER,
                        "`empirical` takes one file and a named `column`",
                    )
                    .primary(extra.value.span, "extra argument")
                    .help(format!("write `{usage}`")),
                );
                None
            }
        };
        let column = match get(params, "column") {
            Some((_, Typed { ty: Ty::Str(s), .. }, s_span)) => Some((s.clone(), *s_span)),
            Some((_, t, s_span)) => {
                self.expect(t, Expect::Str, *s_span, "column");
                None
            }
            None => {
                if !broken && file.is_some() {
                    self.diags.push(
                        Diagnostic::error(codes::MISSING_PARAMETER, "`empirical` needs `column`")
                            .primary(span, "which column?")
                            .help(format!("write `{usage}`")),
                    );
                }
                None
            }
        };
        let (Some((file, file_span)), Some((column, column_span))) = (file, column) else {
            return Typed::error();
        };
        if broken {
            return Typed::error();
        }
        let Some(table) = self.read_csv(scope.module, &file, file_span) else {
            return Typed::error();
        };
        let Some(index) = self.find_column(&table, &column, column_span) else {
            return Typed::error();
        };
        let mut values = Vec::new();
        for row in 0..table.row_count() {
            let cell = table.cell(row, index).unwrap_or("");
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => values.push(v),
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::NON_NUMERIC_DATA,
                            format!("`{}` has a value that is not a number in column `{column}`: `{cell}` on line {}", table.name, row + 2),
                        )
                        .primary(column_span, "this column")
                        .help("empirical values are plain numbers in base units (seconds, bytes)"),
                    );
                    return Typed::error();
                }
            }
        }
        if values.is_empty() {
            self.diags.push(
                Diagnostic::error(codes::DATA_FILE, format!("`{}` has no rows", table.name))
                    .primary(file_span, "empty")
                    .help("an empirical distribution needs at least one observed value"),
            );
            return Typed::error();
        }
        Typed {
            ty: Ty::AnyNum,
            ir: Expr::Dist(Box::new(Distribution::Empirical { values })),
        }
    }
}

fn function_usage(name: &str) -> &'static str {
    match name {
        "min" | "max" => "a, b",
        "clamp" => "x, low, high",
        _ => "x",
    }
}

fn reciprocal(e: Expr) -> Expr {
    match const_num(&e) {
        Some(v) if v != 0.0 => consts::num(1.0 / v),
        _ => Expr::Binary(ir::BinaryOp::Div, Box::new(consts::num(1.0)), Box::new(e)),
    }
}

fn ln(e: Expr) -> Expr {
    match const_num(&e) {
        Some(v) if v > 0.0 => consts::num(crate::math::ln(v)),
        _ => Expr::Func(Func::Ln, vec![e]),
    }
}

fn divide(a: Expr, b: Expr) -> Expr {
    match (const_num(&a), const_num(&b)) {
        (Some(x), Some(y)) if y != 0.0 => consts::num(x / y),
        _ => Expr::Binary(ir::BinaryOp::Div, Box::new(a), Box::new(b)),
    }
}

/// The probability that a distribution with constant parameters samples below zero, when
/// that can be known.
pub fn negative_probability(d: &Distribution) -> Option<f64> {
    probability_below(d, 0.0)
}

/// `P(X < t)` for a distribution with constant parameters, for the ones that can go below
/// zero (normal, uniform, triangular, empirical); 0 for the others when `t <= 0` (they never
/// go negative), `None` when it is not known.
pub fn probability_below(d: &Distribution, t: f64) -> Option<f64> {
    match d {
        Distribution::Normal { mean, sd } => {
            let (mean, sd) = (const_num(mean)?, const_num(sd)?);
            (sd > 0.0).then(|| crate::math::standard_normal_cdf((t - mean) / sd))
        }
        Distribution::Uniform { min, max } => {
            let (lo, hi) = (const_num(min)?, const_num(max)?);
            (hi > lo).then(|| ((t - lo) / (hi - lo)).clamp(0.0, 1.0))
        }
        Distribution::Triangular { min, mode, max } => {
            let (a, c, b) = (const_num(min)?, const_num(mode)?, const_num(max)?);
            if b <= a {
                return None;
            }
            Some(if t <= a {
                0.0
            } else if t >= b {
                1.0
            } else if t <= c {
                (t - a) * (t - a) / ((b - a) * (c - a)).max(f64::MIN_POSITIVE)
            } else {
                1.0 - (b - t) * (b - t) / ((b - a) * (b - c)).max(f64::MIN_POSITIVE)
            })
        }
        Distribution::Empirical { values } => {
            let below = values.iter().filter(|v| **v < t).count();
            Some(below as f64 / values.len().max(1) as f64)
        }
        _ => (t <= 0.0).then_some(0.0),
    }
}

/// A mean given where the distribution takes its median, or the reverse:
/// `lognormal(mean = 20min, sigma = 0.9)`, `exponential(median = 5min)`,
/// `erlang(k = 2, median = 5min)`. Where the value (and `sigma`) are literals and the
/// distribution has the other in closed form, the help gives it and a fix writes it:
/// a lognormal's median is its mean divided by exp(sigma²/2), an exponential's mean its
/// median divided by ln 2. `None` for any other parameter.
fn mean_for_median(name: &str, given: &ast::Arg, args: &[ast::Arg]) -> Option<Diagnostic> {
    let param = given.name.as_ref()?;
    let literal = |arg: &ast::Arg| match &arg.value.kind {
        ast::ExprKind::Number(value) => Some((*value, String::new())),
        ast::ExprKind::Quantity { value, unit, .. } => Some((*value, unit.clone())),
        _ => None,
    };
    let sigma = || {
        args.iter()
            .find_map(|arg| match (&arg.name, &arg.value.kind) {
                (Some(name), ast::ExprKind::Number(sigma)) if name.name == "sigma" => Some(*sigma),
                _ => None,
            })
    };
    // The parameter the distribution takes, why the given one is not it, and the
    // conversion from the given value where there is one.
    let (wanted, relation, convert): (&str, &str, Option<f64>) = match (name, param.name.as_str()) {
        ("lognormal", "mean") => (
            "median",
            "the mean of a lognormal is its median times exp(sigma²/2)",
            sigma().map(|sigma| 1.0 / crate::math::exp(sigma * sigma / 2.0)),
        ),
        ("exponential", "median") => (
            "mean",
            "the median of an exponential is its mean times ln 2",
            Some(1.0 / crate::math::ln(2.0)),
        ),
        ("erlang", "median") => (
            "mean",
            "the median of an Erlang distribution is below its mean, with no closed form",
            None,
        ),
        _ => return None,
    };
    let d = Diagnostic::error(
        codes::UNKNOWN_PARAMETER,
        format!(
            "`{name}` has no parameter `{}`: it is given by its `{wanted}`",
            param.name
        ),
    )
    .primary(param.span, "unknown parameter");
    let converted = convert
        .zip(literal(given))
        .filter(|(factor, (value, _))| factor.is_finite() && value.is_finite());
    let Some((factor, (value, unit))) = converted else {
        return Some(d.help(format!("write its `{wanted}` ({relation})")));
    };
    let written = format!("{wanted} = {}{unit}", four_digits(value * factor));
    let mut d = d.help(format!(
        "{relation}: a {} of `{}{unit}` is `{written}`",
        param.name,
        show(value),
    ));
    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
        title: format!("Write `{written}`, the {wanted} of that {}", param.name),
        edits: vec![(
            Span::new(
                param.span.file,
                param.span.start as usize,
                given.value.span.end as usize,
            ),
            written,
        )],
    }];
    Some(d)
}

/// `x` to four significant digits, without trailing zeros.
fn four_digits(x: f64) -> String {
    let magnitude = x.abs();
    let decimals = if magnitude >= 1000.0 || magnitude == 0.0 {
        0
    } else if magnitude >= 100.0 {
        1
    } else if magnitude >= 10.0 {
        2
    } else if magnitude >= 1.0 {
        3
    } else {
        6
    };
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positional arguments are named in the usual form's order, after what is named
    /// already; the unit picks between `mean` and `rate`, `median` and `mu`; a count that
    /// does not fit gives no guess.
    #[test]
    fn positional_arguments_get_the_names_they_stand_for() {
        let allowed = |name: &str| {
            DISTRIBUTIONS
                .iter()
                .find(|d| d.0 == name)
                .map(|d| d.1)
                .unwrap()
        };
        let names = |name: &str, named: &[&str], dims: &[Dim]| {
            let dims: Vec<Option<Dim>> = dims.iter().map(|&d| Some(d)).collect();
            positional_names(name, allowed(name), named, &dims)
        };
        let (time, number) = (Dim::TIME, Dim::NONE);
        assert_eq!(
            names("uniform", &[], &[time, time]),
            Some(vec!["min", "max"])
        );
        assert_eq!(names("uniform", &["min"], &[time]), Some(vec!["max"]));
        assert_eq!(names("exponential", &[], &[time]), Some(vec!["mean"]));
        assert_eq!(
            names("exponential", &[], &[Dim::FREQUENCY]),
            Some(vec!["rate"])
        );
        assert_eq!(
            names("lognormal", &[], &[time, number]),
            Some(vec!["median", "sigma"])
        );
        assert_eq!(
            names("lognormal", &[], &[number, number]),
            Some(vec!["mu", "sigma"])
        );
        assert_eq!(
            names("lognormal", &["sigma"], &[time]),
            Some(vec!["median"])
        );
        assert_eq!(names("lognormal", &["mu"], &[number]), Some(vec!["sigma"]));
        assert_eq!(
            names("exponweib", &[], &[number, number, time]),
            Some(vec!["a", "c", "scale"])
        );
        assert_eq!(names("triangular", &[], &[time, time]), None);
        assert_eq!(names("bernoulli", &[], &[number, number]), None);
    }

    #[test]
    fn normal_below_zero_matches_the_standard_normal_table() {
        let d = |mean: f64| Distribution::Normal {
            mean: consts::num(mean),
            sd: consts::num(1.0),
        };
        // Φ(-2.326) ≈ 0.01: the threshold the warning uses.
        let p = negative_probability(&d(2.326)).unwrap();
        assert!((p - 0.01).abs() < 1e-4, "{p}");
        assert!((negative_probability(&d(0.0)).unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn uniform_and_triangular_below_zero() {
        let u = Distribution::Uniform {
            min: consts::num(-1.0),
            max: consts::num(3.0),
        };
        assert_eq!(negative_probability(&u), Some(0.25));
        let t = Distribution::Triangular {
            min: consts::num(-1.0),
            mode: consts::num(0.0),
            max: consts::num(1.0),
        };
        assert!((negative_probability(&t).unwrap() - 0.5).abs() < 1e-12);
    }

    /// The median the fix writes has the mean the user wrote, to the four digits written.
    #[test]
    fn the_median_written_for_a_lognormals_mean_has_that_mean() {
        for (mean, sigma) in [(20.0, 0.9), (1200.0, 0.3), (0.5, 1.5), (7.0, 0.0)] {
            let median: f64 = four_digits(mean / crate::math::exp(sigma * sigma / 2.0))
                .parse()
                .unwrap();
            let back = median * crate::math::exp(sigma * sigma / 2.0);
            assert!((back - mean).abs() / mean < 5e-4, "{mean} {sigma}: {back}");
        }
        assert_eq!(four_digits(13.339_47), "13.34");
        assert_eq!(four_digits(1200.0), "1200");
        assert_eq!(four_digits(0.25), "0.25");
    }
}
