//! Expressions compiled once per replication for the hot paths (instance variables, step
//! samples, interarrival times): the common shapes get a node of their own (constants
//! unwrapped to `f64`, distributions with their parameters as compiled nodes, `match` on an
//! instance variable), so sampling does not go through [`Value`]s and the interpreter's
//! general dispatch on every node.
//!
//! Invariant: evaluating a compiled expression gives the same value, with the same draws in
//! the same order, as [`eval::num`] / [`eval::eval`] on the expression it came from (a
//! replication's results are bit-identical either way); anything without a node of its own
//! is kept as [`Num::Other`] / [`Val::Other`] and interpreted. Compiled expressions only
//! see an instance's variables (never a monitor's model view).

use crate::ir::{BinaryOp, Distribution, Expr, LabelId, Value, VarRef};
use crate::math::{exp, ln};
use crate::sim::eval::{self, Context};
use crate::sim::rng::Stream;
use crate::sim::sample::standard_normal;
use rand::Rng;

/// A numeric expression (the counterpart of [`eval::num`]).
#[derive(Clone, Debug)]
pub enum Num {
    Const(f64),
    /// An instance variable read as a number (booleans as 0 or 1, anything else NaN).
    Var(u32),
    /// `var * k` with a constant `k` (one node instead of three).
    Scaled {
        slot: u32,
        k: f64,
    },
    /// `c + var * k` with constants `c` and `k`, computed as the interpreter does,
    /// `c + (var * k)` (one node instead of five).
    Affine {
        c: f64,
        slot: u32,
        k: f64,
    },
    Neg(Box<Num>),
    Arithmetic(BinaryOp, Box<(Num, Num)>),
    Exponential(Box<Num>),
    LogNormal(Box<(Num, Num)>),
    ExpWeib(Box<(Num, Num, Num)>),
    /// The same three with constant parameters (the usual case), without recursion.
    ExponentialConst(f64),
    LogNormalConst(f64, f64),
    ExpWeibConst(f64, f64, f64),
    /// `match` on an instance variable holding a label.
    MatchTable(Box<MatchTable<Num>>),
    /// Boxed, like every node with data beyond three words: an `Expr` inline would make
    /// the enum's tag a niche of the `Expr`'s, slower to dispatch on (measured: 1.4% more
    /// instructions in the year benchmark).
    Other(Box<Expr>),
}

/// Labels up to this one are looked up in a [`MatchTable`]; a `match` naming a greater one
/// is left to the interpreter (label ids are dense, so this only guards the table's size).
const TABLE_LABELS: LabelId = 1024;

/// A `match` on an instance variable, with the arm of each label precomputed.
#[derive(Clone, Debug)]
pub struct MatchTable<T> {
    slot: u32,
    /// Index in `arms` of the first arm naming each label (by label id), or `u32::MAX`
    /// for none; labels past the end are named by no arm.
    by_label: Vec<u32>,
    arms: Vec<T>,
    default: Option<T>,
}

impl<T> MatchTable<T> {
    /// `None` if an arm names a label past [`TABLE_LABELS`].
    fn new(
        slot: u32,
        arms: &[(Vec<LabelId>, Expr)],
        default: &Option<Box<Expr>>,
        compile: impl Fn(&Expr) -> T,
    ) -> Option<Self> {
        let labels = arms.iter().flat_map(|(labels, _)| labels.iter().copied());
        let size = labels.clone().max().map_or(0, |max| max as usize + 1);
        if labels.clone().any(|label| label > TABLE_LABELS) {
            return None;
        }
        let mut by_label = vec![u32::MAX; size];
        // The first arm naming a label wins, as in the interpreter's search.
        for (index, (labels, _)) in arms.iter().enumerate().rev() {
            for &label in labels {
                by_label[label as usize] = index as u32;
            }
        }
        Some(MatchTable {
            slot,
            by_label,
            arms: arms.iter().map(|(_, arm)| compile(arm)).collect(),
            default: default.as_ref().map(|arm| compile(arm)),
        })
    }

    /// The variable matched on.
    pub fn slot(&self) -> u32 {
        self.slot
    }

    /// The arm taken for each label id up to the greatest an arm names (the default for a
    /// label no arm names), then the arm taken for any other value; `None` without a default.
    pub fn arms_by_label(&self) -> (Vec<Option<&T>>, Option<&T>) {
        let arms = self
            .by_label
            .iter()
            .map(|&index| self.arms.get(index as usize).or(self.default.as_ref()))
            .collect();
        (arms, self.default.as_ref())
    }

    /// The arm for the scrutinee's value (the default if it is not a label named by an
    /// arm, `None` without a default).
    #[inline(always)]
    fn arm(&self, vars: &[Value]) -> Option<&T> {
        if let Some(Value::Label(label)) = vars.get(self.slot as usize) {
            if let Some(arm) = self
                .by_label
                .get(*label as usize)
                .and_then(|&index| self.arms.get(index as usize))
            {
                return Some(arm);
            }
        }
        self.default.as_ref()
    }
}

/// An expression of any type (the counterpart of [`eval::eval`]).
#[derive(Clone, Debug)]
pub enum Val {
    Const(Value),
    Var(u32),
    /// A numeric expression; its value is `Value::Num`.
    Num(Num),
    /// `match` on an instance variable holding a label.
    MatchTable(Box<MatchTable<Val>>),
    /// `choice` with constant weights, with what the interpreter computes on every draw
    /// computed once: the weights made non-negative, their running sums (added up in the
    /// same order, so the same bits) and their total, and the option taken when the draw
    /// passes every running sum (the last with a positive weight, or the first).
    Choice {
        values: Vec<Value>,
        cumulative: Vec<f64>,
        total: f64,
        fallback: Value,
    },
    Other(Box<Expr>),
}

impl Num {
    pub fn compile(expr: &Expr) -> Num {
        match expr {
            Expr::Const(Value::Num(x)) => Num::Const(*x),
            Expr::Var(VarRef::Instance(slot)) => Num::Var(*slot),
            Expr::Neg(inner) => Num::Neg(Box::new(Num::compile(inner))),
            Expr::Binary(
                op @ (BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div),
                l,
                r,
            ) => match (op, Num::compile(l), Num::compile(r)) {
                (BinaryOp::Mul, Num::Var(slot), Num::Const(k)) => Num::Scaled { slot, k },
                (BinaryOp::Add, Num::Const(c), Num::Scaled { slot, k }) => {
                    Num::Affine { c, slot, k }
                }
                (op, l, r) => Num::Arithmetic(*op, Box::new((l, r))),
            },
            Expr::Dist(distribution) => match distribution.as_ref() {
                Distribution::Exponential { mean } => match Num::compile(mean) {
                    Num::Const(mean) => Num::ExponentialConst(mean),
                    mean => Num::Exponential(Box::new(mean)),
                },
                Distribution::LogNormal { mu, sigma } => {
                    match (Num::compile(mu), Num::compile(sigma)) {
                        (Num::Const(mu), Num::Const(sigma)) => Num::LogNormalConst(mu, sigma),
                        parameters => Num::LogNormal(Box::new(parameters)),
                    }
                }
                Distribution::ExpWeib { a, c, scale } => {
                    match (Num::compile(a), Num::compile(c), Num::compile(scale)) {
                        (Num::Const(a), Num::Const(c), Num::Const(scale)) => {
                            Num::ExpWeibConst(a, c, scale)
                        }
                        parameters => Num::ExpWeib(Box::new(parameters)),
                    }
                }
                _ => Num::Other(Box::new(expr.clone())),
            },
            Expr::Match {
                scrutinee,
                arms,
                default,
            } => match scrutinee.as_ref() {
                Expr::Var(VarRef::Instance(slot)) => {
                    match MatchTable::new(*slot, arms, default, Num::compile) {
                        Some(table) => Num::MatchTable(Box::new(table)),
                        None => Num::Other(Box::new(expr.clone())),
                    }
                }
                _ => Num::Other(Box::new(expr.clone())),
            },
            _ => Num::Other(Box::new(expr.clone())),
        }
    }

    /// Constants (most operands, step units) are answered inline at the call site; every
    /// other node goes through [`Num::eval_node`].
    #[inline(always)]
    pub fn eval(&self, vars: &[Value], rng: &mut Stream) -> f64 {
        match self {
            Num::Const(x) => *x,
            _ => self.eval_node(vars, rng),
        }
    }

    /// The leaves the hot paths use most are here; the rest is in [`Num::eval_other`], so
    /// this function stays small (fewer registers to save on each call).
    fn eval_node(&self, vars: &[Value], rng: &mut Stream) -> f64 {
        self.eval_leaf_or(vars, rng, Num::eval_other)
    }

    /// The common leaves answered inline, anything else by `rest`. Where a node's operands
    /// are evaluated (in [`Num::eval_other`]), a leaf operand then costs no call: the
    /// duration `c + size * k + exponential(mean)` or a `match` arm's lognormal would
    /// otherwise go through [`Num::eval_node`] once per operand.
    #[inline(always)]
    fn eval_leaf_or(
        &self,
        vars: &[Value],
        rng: &mut Stream,
        rest: impl FnOnce(&Num, &[Value], &mut Stream) -> f64,
    ) -> f64 {
        match self {
            Num::Const(x) => *x,
            Num::Affine { c, slot, k } => c + var_number(vars, *slot) * k,
            Num::ExponentialConst(mean) => mean * -ln(1.0 - rng.random::<f64>()),
            Num::LogNormalConst(mu, sigma) => lognormal(*mu, *sigma, rng),
            _ => rest(self, vars, rng),
        }
    }

    /// An operand of a node in [`Num::eval_other`]: a leaf inline, anything else through
    /// [`Num::eval_node`].
    #[inline(always)]
    fn eval_operand(&self, vars: &[Value], rng: &mut Stream) -> f64 {
        self.eval_leaf_or(vars, rng, Num::eval_node)
    }

    /// [`Num::eval`] with the common leaves, and a `match` on a label whose arms are such
    /// leaves, answered inline too, for the hot sites (a step's duration, a numeric instance
    /// variable): no call for those, one for anything else.
    #[inline(always)]
    pub fn eval_inline(&self, vars: &[Value], rng: &mut Stream) -> f64 {
        self.eval_leaf_or(vars, rng, |num, vars, rng| match num {
            Num::MatchTable(table) => match table.arm(vars) {
                Some(arm) => arm.eval_operand(vars, rng),
                None => f64::NAN,
            },
            _ => num.eval_other(vars, rng),
        })
    }

    /// Whether this is a `match` on a label whose arms (and default, if any) are all
    /// lognormals with constant parameters (the year model's duration by framework).
    pub fn is_lognormal_by_label(&self) -> bool {
        match self {
            Num::MatchTable(table) => table
                .arms
                .iter()
                .chain(&table.default)
                .all(|arm| matches!(arm, Num::LogNormalConst(..))),
            _ => false,
        }
    }

    /// For a [`Num::is_lognormal_by_label`] expression: the exponent `mu + sigma * z` of
    /// the value `exp(mu + sigma * z)` that [`Num::eval`] gives, from the same draws; minus
    /// infinity where it draws nothing and gives NaN (no arm), whose `exp`, zero, makes the
    /// same duration (a duration is made non-negative: NaN and zero are both zero).
    pub fn lognormal_exponent(&self, vars: &[Value], rng: &mut Stream) -> f64 {
        match self {
            Num::MatchTable(table) => match table.arm(vars) {
                Some(Num::LogNormalConst(mu, sigma)) => mu + sigma * standard_normal(rng),
                _ => f64::NEG_INFINITY,
            },
            _ => f64::NEG_INFINITY,
        }
    }

    /// Appends `n` samples of an expression that reads no instance variable, drawn one
    /// after another from `rng`: the same values, from the same draws, as `n` calls of
    /// [`Num::eval`], computed faster where the node allows (see
    /// [`eval::exponweib_inverse_cdf_block`]).
    pub fn eval_block(&self, rng: &mut Stream, n: usize, out: &mut Vec<f64>) {
        match self {
            // One uniform per sample, and nothing else drawn.
            Num::ExpWeibConst(a, c, scale) => {
                let start = out.len();
                out.extend((0..n).map(|_| rng.random::<f64>()));
                eval::exponweib_inverse_cdf_block(*a, *c, *scale, &mut out[start..]);
            }
            _ => out.extend((0..n).map(|_| self.eval(&[], rng))),
        }
    }

    #[inline(never)]
    fn eval_other(&self, vars: &[Value], rng: &mut Stream) -> f64 {
        match self {
            // Answered there without coming back here.
            Num::Const(_)
            | Num::Affine { .. }
            | Num::ExponentialConst(_)
            | Num::LogNormalConst(..) => self.eval_node(vars, rng),
            Num::Var(slot) => var_number(vars, *slot),
            Num::Scaled { slot, k } => var_number(vars, *slot) * k,
            Num::Neg(inner) => -inner.eval(vars, rng),
            Num::Arithmetic(op, operands) => {
                let l = operands.0.eval_operand(vars, rng);
                let r = operands.1.eval_operand(vars, rng);
                match op {
                    BinaryOp::Add => l + r,
                    BinaryOp::Sub => l - r,
                    BinaryOp::Mul => l * r,
                    _ => l / r,
                }
            }
            Num::Exponential(mean) => {
                let mean = mean.eval(vars, rng);
                mean * -ln(1.0 - rng.random::<f64>())
            }
            Num::LogNormal(parameters) => {
                let mu = parameters.0.eval(vars, rng);
                let sigma = parameters.1.eval(vars, rng);
                lognormal(mu, sigma, rng)
            }
            Num::ExpWeib(parameters) => {
                let a = parameters.0.eval(vars, rng);
                let c = parameters.1.eval(vars, rng);
                let scale = parameters.2.eval(vars, rng);
                eval::exponweib_inverse_cdf(a, c, scale, rng.random::<f64>())
            }
            Num::ExpWeibConst(a, c, scale) => {
                eval::exponweib_inverse_cdf(*a, *c, *scale, rng.random::<f64>())
            }
            Num::MatchTable(table) => match table.arm(vars) {
                Some(arm) => arm.eval_operand(vars, rng),
                None => f64::NAN,
            },
            Num::Other(expr) => eval::num(expr, &Context::instance(vars), rng),
        }
    }
}

/// A lognormal draw, out of line: its sampler needs many registers, which
/// [`Num::eval_node`] would otherwise save and restore on every call, whatever the node.
#[inline(never)]
fn lognormal(mu: f64, sigma: f64, rng: &mut Stream) -> f64 {
    let z = standard_normal(rng);
    exp(mu + sigma * z)
}

/// An instance variable read as a number (booleans as 0 or 1, anything else NaN).
#[inline(always)]
pub(crate) fn var_number(vars: &[Value], slot: u32) -> f64 {
    match vars.get(slot as usize) {
        Some(Value::Num(x)) => *x,
        Some(Value::Bool(b)) => f64::from(u8::from(*b)),
        _ => f64::NAN,
    }
}

impl Val {
    pub fn compile(expr: &Expr) -> Val {
        match expr {
            Expr::Const(value) => Val::Const(value.clone()),
            Expr::Var(VarRef::Instance(slot)) => Val::Var(*slot),
            // Shapes whose value `eval` gives as `Value::Num(num(expr))`.
            Expr::Neg(_)
            | Expr::Binary(BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div, ..) => {
                Val::Num(Num::compile(expr))
            }
            Expr::Dist(distribution)
                if !matches!(distribution.as_ref(), Distribution::Bernoulli { .. }) =>
            {
                Val::Num(Num::compile(expr))
            }
            Expr::Match {
                scrutinee,
                arms,
                default,
            } => match scrutinee.as_ref() {
                Expr::Var(VarRef::Instance(slot)) => {
                    match MatchTable::new(*slot, arms, default, Val::compile) {
                        Some(table) => Val::MatchTable(Box::new(table)),
                        None => Val::Other(Box::new(expr.clone())),
                    }
                }
                _ => Val::Other(Box::new(expr.clone())),
            },
            Expr::Choice(options)
                if options
                    .iter()
                    .all(|(_, weight)| matches!(weight, Expr::Const(Value::Num(_)))) =>
            {
                let options: Vec<(Value, f64)> = options
                    .iter()
                    .map(|(value, weight)| match weight {
                        Expr::Const(Value::Num(x)) => (value.clone(), eval::non_negative(*x)),
                        _ => (value.clone(), 0.0),
                    })
                    .collect();
                let total = options.iter().map(|(_, weight)| *weight).sum();
                let mut running = 0.0;
                let cumulative = options
                    .iter()
                    .map(|(_, weight)| {
                        running += weight;
                        running
                    })
                    .collect();
                let fallback = options
                    .iter()
                    .rev()
                    .find(|(_, weight)| *weight > 0.0)
                    .or(options.first())
                    .map_or(Value::Num(f64::NAN), |(value, _)| value.clone());
                Val::Choice {
                    values: options.into_iter().map(|(value, _)| value).collect(),
                    cumulative,
                    total,
                    fallback,
                }
            }
            _ => Val::Other(Box::new(expr.clone())),
        }
    }

    /// Constants (a step's `on` resource, most often) are answered inline at the call site;
    /// every other node goes through [`Val::eval_node`].
    #[inline(always)]
    pub fn eval(&self, vars: &[Value], rng: &mut Stream) -> Value {
        match self {
            Val::Const(value) => value.clone(),
            _ => self.eval_node(vars, rng),
        }
    }

    /// [`Val::eval`] written into `out`, for an instance variable's slot. A `choice` (the
    /// usual label variable) is drawn inline and its value stored in place: a [`Value`]
    /// returned from a call comes back through memory, written in two parts and read back
    /// whole, which the processor cannot forward from its store buffer (a stall on the
    /// instance's critical path, once per such variable).
    #[inline(always)]
    pub fn eval_into(&self, vars: &[Value], rng: &mut Stream, out: &mut Value) {
        match self {
            Val::Choice {
                values,
                cumulative,
                total,
                fallback,
            } => *out = choose(values, cumulative, *total, fallback, rng),
            _ => *out = self.eval(vars, rng),
        }
    }

    /// The common nodes are here; the rest is in [`Val::eval_other`], so this function
    /// stays small (fewer registers to save on each call).
    fn eval_node(&self, vars: &[Value], rng: &mut Stream) -> Value {
        match self {
            Val::Const(value) => value.clone(),
            Val::Num(num) => Value::Num(num.eval_inline(vars, rng)),
            Val::MatchTable(table) => match table.arm(vars) {
                Some(arm) => arm.eval(vars, rng),
                None => Value::Num(f64::NAN),
            },
            Val::Choice {
                values,
                cumulative,
                total,
                fallback,
            } => choose(values, cumulative, *total, fallback, rng),
            _ => self.eval_other(vars, rng),
        }
    }

    #[inline(never)]
    fn eval_other(&self, vars: &[Value], rng: &mut Stream) -> Value {
        match self {
            // Answered there without coming back here.
            Val::Const(_) | Val::Num(_) | Val::MatchTable(_) | Val::Choice { .. } => {
                self.eval_node(vars, rng)
            }
            Val::Var(slot) => vars
                .get(*slot as usize)
                .cloned()
                .unwrap_or(Value::Num(f64::NAN)),
            Val::Other(expr) => eval::eval(expr, &Context::instance(vars), rng),
        }
    }
}

/// [`Val::Choice`]'s draw: as `eval::pick`, the first option whose running sum exceeds it.
#[inline(always)]
fn choose(
    values: &[Value],
    cumulative: &[f64],
    total: f64,
    fallback: &Value,
    rng: &mut Stream,
) -> Value {
    let u = rng.random::<f64>() * total;
    // The running sums never decrease (the weights are non-negative), so the first one
    // above `u` is at the count of those not above it, and none above it (or a NaN `u`)
    // counts them all, past the end: the fallback. Counted rather than searched for, the
    // draw's outcome decides no branch: a search's exit after a random number of sums was
    // mispredicted about twice per draw (cachegrind).
    // `!(u < sum)`, not `u >= sum`: a NaN `u` must count every sum.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    let index: usize = cumulative.iter().map(|&sum| usize::from(!(u < sum))).sum();
    values.get(index).unwrap_or(fallback).clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Func;
    use crate::sim::rng;

    fn c(x: f64) -> Expr {
        Expr::Const(Value::Num(x))
    }

    fn binary(op: BinaryOp, l: Expr, r: Expr) -> Expr {
        Expr::Binary(op, Box::new(l), Box::new(r))
    }

    fn dist(distribution: Distribution) -> Expr {
        Expr::Dist(Box::new(distribution))
    }

    /// Expressions of every compiled shape and some that fall back to the interpreter.
    fn expressions() -> Vec<Expr> {
        let size = Expr::Var(VarRef::Instance(0));
        let framework = Expr::Var(VarRef::Instance(1));
        vec![
            c(3.5),
            size.clone(),
            Expr::Neg(Box::new(size.clone())),
            binary(
                BinaryOp::Add,
                binary(BinaryOp::Mul, size.clone(), c(1e-9)),
                dist(Distribution::Exponential { mean: c(20.0) }),
            ),
            binary(BinaryOp::Div, size.clone(), c(3.0)),
            binary(BinaryOp::Mul, size.clone(), c(0.8e-9)),
            binary(
                BinaryOp::Add,
                binary(
                    BinaryOp::Add,
                    c(10.0),
                    binary(BinaryOp::Mul, size.clone(), c(0.8e-9)),
                ),
                dist(Distribution::Exponential { mean: c(20.0) }),
            ),
            binary(
                BinaryOp::Add,
                c(10.0),
                binary(BinaryOp::Mul, c(0.8e-9), size.clone()),
            ),
            binary(BinaryOp::Sub, c(1.0), size.clone()),
            dist(Distribution::LogNormal {
                mu: c(2.0),
                sigma: binary(BinaryOp::Mul, c(0.5), c(2.0)),
            }),
            dist(Distribution::ExpWeib {
                a: c(1.8),
                c: c(0.7),
                scale: c(78.0),
            }),
            dist(Distribution::ExpWeib {
                a: c(1.8),
                c: c(0.7),
                scale: binary(BinaryOp::Mul, size.clone(), c(1e-6)),
            }),
            dist(Distribution::LogNormal {
                mu: c(2.0),
                sigma: c(0.5),
            }),
            dist(Distribution::Gamma {
                shape: c(2.0),
                scale: c(3.0),
            }),
            dist(Distribution::Bernoulli { p: c(0.3) }),
            Expr::Match {
                scrutinee: Box::new(framework.clone()),
                arms: vec![
                    (
                        vec![0],
                        dist(Distribution::LogNormal {
                            mu: c(7.0),
                            sigma: c(0.9),
                        }),
                    ),
                    (
                        vec![1, 2],
                        dist(Distribution::Exponential { mean: size.clone() }),
                    ),
                ],
                default: Some(Box::new(c(-1.0))),
            },
            Expr::Match {
                scrutinee: Box::new(framework.clone()),
                arms: vec![(vec![0], Expr::Const(Value::Resource(1)))],
                default: Some(Box::new(Expr::Const(Value::Resource(0)))),
            },
            // The first arm naming a label wins; no default; a label past the table.
            Expr::Match {
                scrutinee: Box::new(framework.clone()),
                arms: vec![
                    (vec![2], c(1.0)),
                    (vec![0, 2], dist(Distribution::Exponential { mean: c(3.0) })),
                    (vec![4], c(4.0)),
                ],
                default: None,
            },
            Expr::Match {
                scrutinee: Box::new(framework.clone()),
                arms: vec![(vec![1, 0], Expr::Const(Value::Label(9)))],
                default: None,
            },
            // A label too large for a table: left to the interpreter.
            Expr::Match {
                scrutinee: Box::new(framework.clone()),
                arms: vec![(vec![1, 5000], c(2.0))],
                default: Some(Box::new(c(3.0))),
            },
            Expr::Match {
                scrutinee: Box::new(size.clone()),
                arms: vec![(vec![0], c(2.0))],
                default: Some(Box::new(c(3.0))),
            },
            Expr::Func(Func::Max, vec![size.clone(), c(2.0)]),
            binary(BinaryOp::Lt, size.clone(), c(1.0)),
            Expr::Choice(vec![(Value::Label(0), c(1.0)), (Value::Label(1), c(2.0))]),
            Expr::Choice(vec![
                (Value::Label(0), c(0.45)),
                (Value::Label(1), c(-1.0)),
                (Value::Label(2), c(0.2)),
            ]),
            Expr::Choice(vec![(Value::Label(0), c(0.0)), (Value::Label(1), c(0.0))]),
            Expr::Choice(vec![
                (Value::Label(0), c(0.3)),
                (Value::Label(1), c(f64::NAN)),
                (Value::Label(2), c(0.7)),
                (Value::Label(3), c(0.0)),
            ]),
            Expr::Choice(Vec::new()),
            Expr::Choice(vec![(Value::Label(0), c(1.0)), (Value::Label(1), size)]),
        ]
    }

    #[test]
    fn lognormal_exponents_give_the_durations_of_eval() {
        for expr in expressions() {
            let num = Num::compile(&expr);
            if !num.is_lognormal_by_label() {
                continue;
            }
            for label in [0, 1, 2, 4, 7] {
                let vars = [Value::Num(2.5e8), Value::Label(label)];
                let (mut a, mut b) = (rng::stream(3, 1, 0, 0), rng::stream(3, 1, 0, 0));
                for _ in 0..50 {
                    let expected = eval::non_negative(num.eval(&vars, &mut a));
                    let got = eval::non_negative(exp(num.lognormal_exponent(&vars, &mut b)));
                    assert_eq!(got.to_bits(), expected.to_bits(), "{expr:?}, label {label}");
                }
                assert_eq!(a.random::<u64>(), b.random::<u64>());
            }
        }
    }

    #[test]
    fn arms_by_label_are_the_arms_a_match_takes() {
        let tables: Vec<_> = expressions()
            .into_iter()
            .filter_map(|expr| match Val::compile(&expr) {
                Val::MatchTable(table) => Some(table),
                _ => None,
            })
            .collect();
        assert!(!tables.is_empty(), "the shapes include matches on a label");
        for table in tables {
            let (arms, other) = table.arms_by_label();
            let name = |arm: Option<&Val>| format!("{arm:?}");
            for label in 0..arms.len() as LabelId + 2 {
                let mut vars = [Value::Num(1.0), Value::Num(1.0)];
                vars[table.slot() as usize] = Value::Label(label);
                let expected = arms.get(label as usize).copied().unwrap_or(other);
                assert_eq!(name(table.arm(&vars)), name(expected), "label {label}");
            }
            assert_eq!(
                name(table.arm(&[Value::Num(0.0), Value::Num(0.0)])),
                name(other)
            );
        }
    }

    #[test]
    fn compiled_expressions_draw_and_evaluate_exactly_as_the_interpreter() {
        // Every label the matches name, one they do not, and a variable that is no label.
        let frameworks = [0, 1, 2, 4, 7, 5000].map(Value::Label);
        for framework in frameworks.into_iter().chain([Value::Num(1.0)]) {
            let vars = [Value::Num(2.5e8), framework];
            for (index, expr) in expressions().iter().enumerate() {
                let seed = rng::replication_seed(5, index as u32);
                let (mut a, mut b, mut c, mut d) = (
                    rng::stream(seed, 1, 0, 0),
                    rng::stream(seed, 1, 0, 0),
                    rng::stream(seed, 1, 0, 0),
                    rng::stream(seed, 1, 0, 0),
                );
                let context = Context::instance(&vars);
                for _ in 0..50 {
                    let expected = eval::num(expr, &context, &mut a);
                    let got = Num::compile(expr).eval(&vars, &mut b);
                    assert_eq!(got.to_bits(), expected.to_bits(), "num of {expr:?}");
                    let expected = eval::eval(expr, &context, &mut c);
                    let got = Val::compile(expr).eval(&vars, &mut d);
                    assert_eq!(
                        format!("{got:?}"),
                        format!("{expected:?}"),
                        "eval of {expr:?}"
                    );
                }
                // The streams are in the same place afterwards: the same number of draws.
                assert_eq!(a.random::<u64>(), b.random::<u64>());
                assert_eq!(c.random::<u64>(), d.random::<u64>());
            }
        }
    }
}
