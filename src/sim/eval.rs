//! Expression evaluation and sampling of every [`ir::Distribution`].
//!
//! Invariants: evaluation never panics, whatever the IR holds. Analysis has checked types,
//! so a mismatch cannot come from a valid file; if one happens anyway the result is NaN (for
//! numbers) or false (for booleans) rather than a crash. Each distribution call draws from the
//! caller's stream in a fixed way (see each arm), so the number of draws an expression makes
//! depends only on the values it sees, never on the simulation state.

use crate::ir::{BinaryOp, Distribution, Expr, Func, LabelId, ModelVar, Value, VarRef};
use crate::math::{exp, ln, ln_1p, pow};
use crate::sim::rng::Stream;
use crate::sim::sample;
use rand::Rng;

/// The properties of the model a monitor is checking.
#[derive(Clone, Copy, Debug)]
pub struct ModelView {
    pub accuracy: f64,
    pub age: f64,
    pub version: u32,
}

/// What an expression may read: the instance's variables, a model for monitors, and the
/// replayed trace row for `row { }` attributes.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub vars: &'a [Value],
    pub model: Option<ModelView>,
    pub columns: &'a [f64],
}

impl<'a> Context<'a> {
    pub fn instance(vars: &'a [Value]) -> Self {
        Context {
            vars,
            model: None,
            columns: &[],
        }
    }
}

/// The value of `expr`, drawing from `rng` for every distribution it meets. A constant (an
/// arrival's pipeline, most often) is answered inline at the call site; every other
/// expression goes through [`eval_node`].
#[inline(always)]
pub fn eval(expr: &Expr, context: &Context<'_>, rng: &mut Stream) -> Value {
    match expr {
        Expr::Const(value) => value.clone(),
        _ => eval_node(expr, context, rng),
    }
}

fn eval_node(expr: &Expr, context: &Context<'_>, rng: &mut Stream) -> Value {
    match expr {
        Expr::Const(value) => value.clone(),
        Expr::Var(VarRef::Instance(slot)) => context
            .vars
            .get(*slot as usize)
            .cloned()
            .unwrap_or(Value::Num(f64::NAN)),
        Expr::Var(VarRef::Column(column)) => Value::Num(
            context
                .columns
                .get(*column as usize)
                .copied()
                .unwrap_or(f64::NAN),
        ),
        Expr::Var(VarRef::LabelColumn(column)) => match context.columns.get(*column as usize) {
            Some(&id) => Value::Label(id as LabelId),
            None => Value::Num(f64::NAN),
        },
        Expr::Var(VarRef::Model(variable)) => match context.model {
            Some(model) => Value::Num(match variable {
                ModelVar::Accuracy => model.accuracy,
                ModelVar::Age => model.age,
                ModelVar::Version => f64::from(model.version),
            }),
            None => Value::Num(f64::NAN),
        },
        Expr::Neg(_) => Value::Num(num(expr, context, rng)),
        Expr::Not(inner) => Value::Bool(!boolean(inner, context, rng)),
        Expr::Binary(op, left, right) => binary(*op, left, right, context, rng),
        Expr::If(condition, then, otherwise) => {
            if boolean(condition, context, rng) {
                eval(then, context, rng)
            } else {
                eval(otherwise, context, rng)
            }
        }
        Expr::Match {
            scrutinee,
            arms,
            default,
        } => {
            let value = eval(scrutinee, context, rng);
            if let Value::Label(label) = value {
                for (labels, arm) in arms {
                    if labels.contains(&label) {
                        return eval(arm, context, rng);
                    }
                }
            }
            match default {
                Some(arm) => eval(arm, context, rng),
                None => Value::Num(f64::NAN),
            }
        }
        Expr::Func(func, args) => Value::Num(function(*func, args, context, rng)),
        Expr::Dist(distribution) => sample(distribution, context, rng),
        Expr::Choice(options) => choice(options, context, rng),
    }
}

/// The value of a numeric expression (NaN if it is not a number). Arithmetic, matches,
/// conditionals and distributions are evaluated here directly, without building a
/// [`Value`] per node; the order of evaluation (and so of draws) is the same as [`eval`]'s.
pub fn num(expr: &Expr, context: &Context<'_>, rng: &mut Stream) -> f64 {
    match expr {
        Expr::Const(Value::Num(x)) => *x,
        Expr::Var(VarRef::Instance(slot)) => match context.vars.get(*slot as usize) {
            Some(Value::Num(x)) => *x,
            Some(Value::Bool(b)) => f64::from(u8::from(*b)),
            _ => f64::NAN,
        },
        Expr::Neg(inner) => -num(inner, context, rng),
        Expr::Binary(BinaryOp::Add, left, right) => {
            let l = num(left, context, rng);
            l + num(right, context, rng)
        }
        Expr::Binary(BinaryOp::Sub, left, right) => {
            let l = num(left, context, rng);
            l - num(right, context, rng)
        }
        Expr::Binary(BinaryOp::Mul, left, right) => {
            let l = num(left, context, rng);
            l * num(right, context, rng)
        }
        Expr::Binary(BinaryOp::Div, left, right) => {
            let l = num(left, context, rng);
            l / num(right, context, rng)
        }
        Expr::If(condition, then, otherwise) => {
            if boolean(condition, context, rng) {
                num(then, context, rng)
            } else {
                num(otherwise, context, rng)
            }
        }
        Expr::Match {
            scrutinee,
            arms,
            default,
        } => {
            if let Value::Label(label) = eval(scrutinee, context, rng) {
                for (labels, arm) in arms {
                    if labels.contains(&label) {
                        return num(arm, context, rng);
                    }
                }
            }
            match default {
                Some(arm) => num(arm, context, rng),
                None => f64::NAN,
            }
        }
        Expr::Func(func, args) => function(*func, args, context, rng),
        Expr::Dist(distribution) => match sample(distribution, context, rng) {
            Value::Num(x) => x,
            Value::Bool(b) => f64::from(u8::from(b)),
            _ => f64::NAN,
        },
        _ => match eval(expr, context, rng) {
            Value::Num(x) => x,
            Value::Bool(b) => f64::from(u8::from(b)),
            _ => f64::NAN,
        },
    }
}

/// The value of a boolean expression (false if it is not a boolean).
pub fn boolean(expr: &Expr, context: &Context<'_>, rng: &mut Stream) -> bool {
    match eval(expr, context, rng) {
        Value::Bool(b) => b,
        Value::Num(x) => x != 0.0 && !x.is_nan(),
        _ => false,
    }
}

/// Clamps a sampled duration, size or count at zero (NaN becomes zero too).
pub fn non_negative(x: f64) -> f64 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

fn binary(
    op: BinaryOp,
    left: &Expr,
    right: &Expr,
    context: &Context<'_>,
    rng: &mut Stream,
) -> Value {
    match op {
        BinaryOp::Add => Value::Num(num(left, context, rng) + num(right, context, rng)),
        BinaryOp::Sub => Value::Num(num(left, context, rng) - num(right, context, rng)),
        BinaryOp::Mul => Value::Num(num(left, context, rng) * num(right, context, rng)),
        BinaryOp::Div => Value::Num(num(left, context, rng) / num(right, context, rng)),
        BinaryOp::Lt => Value::Bool(num(left, context, rng) < num(right, context, rng)),
        BinaryOp::Le => Value::Bool(num(left, context, rng) <= num(right, context, rng)),
        BinaryOp::Gt => Value::Bool(num(left, context, rng) > num(right, context, rng)),
        BinaryOp::Ge => Value::Bool(num(left, context, rng) >= num(right, context, rng)),
        BinaryOp::Eq => Value::Bool(eval(left, context, rng) == eval(right, context, rng)),
        BinaryOp::Ne => Value::Bool(eval(left, context, rng) != eval(right, context, rng)),
        // Both sides are always evaluated, so a distribution on the right draws whether or
        // not the left decides the result: the stream position never depends on a value.
        BinaryOp::And => {
            let l = boolean(left, context, rng);
            let r = boolean(right, context, rng);
            Value::Bool(l && r)
        }
        BinaryOp::Or => {
            let l = boolean(left, context, rng);
            let r = boolean(right, context, rng);
            Value::Bool(l || r)
        }
    }
}

fn function(func: Func, args: &[Expr], context: &Context<'_>, rng: &mut Stream) -> f64 {
    let mut arg = |index: usize| match args.get(index) {
        Some(expr) => num(expr, context, rng),
        None => f64::NAN,
    };
    match func {
        Func::Min => {
            let first = arg(0);
            (1..args.len()).fold(first, |acc, i| acc.min(arg(i)))
        }
        Func::Max => {
            let first = arg(0);
            (1..args.len()).fold(first, |acc, i| acc.max(arg(i)))
        }
        Func::Round => arg(0).round(),
        Func::Floor => arg(0).floor(),
        Func::Ceil => arg(0).ceil(),
        Func::Abs => arg(0).abs(),
        Func::Clamp => {
            let x = arg(0);
            let low = arg(1);
            let high = arg(2);
            x.max(low).min(high)
        }
        Func::Sqrt => arg(0).sqrt(),
        Func::Ln => ln(arg(0)),
        Func::Exp => exp(arg(0)),
    }
}

/// A uniform draw in [0, 1).
fn unit(rng: &mut Stream) -> f64 {
    rng.random::<f64>()
}

/// One sample of `distribution`. Parameters are evaluated in the order they are declared in
/// [`Distribution`], then the variate is drawn. Invalid parameters (a negative scale, NaN)
/// give NaN, which a duration or size then clamps to zero.
pub fn sample(distribution: &Distribution, context: &Context<'_>, rng: &mut Stream) -> Value {
    let x = match distribution {
        Distribution::Exponential { mean } => {
            let mean = num(mean, context, rng);
            // Inverse CDF with 1 - u in (0, 1], so the logarithm is finite.
            mean * -ln(1.0 - unit(rng))
        }
        Distribution::Normal { mean, sd } => {
            let mean = num(mean, context, rng);
            let sd = num(sd, context, rng);
            let z = sample::standard_normal(rng);
            mean + sd * z
        }
        Distribution::LogNormal { mu, sigma } => {
            let mu = num(mu, context, rng);
            let sigma = num(sigma, context, rng);
            let z = sample::standard_normal(rng);
            exp(mu + sigma * z)
        }
        Distribution::Uniform { min, max } => {
            let min = num(min, context, rng);
            let max = num(max, context, rng);
            min + (max - min) * unit(rng)
        }
        Distribution::Triangular { min, mode, max } => {
            let min = num(min, context, rng);
            let mode = num(mode, context, rng);
            let max = num(max, context, rng);
            triangular(min, mode, max, unit(rng))
        }
        Distribution::Gamma { shape, scale } => {
            let shape = num(shape, context, rng);
            let scale = num(scale, context, rng);
            sample::gamma(shape, scale, rng)
        }
        Distribution::Weibull { shape, scale } => {
            let shape = num(shape, context, rng);
            let scale = num(scale, context, rng);
            scale * pow(-ln(1.0 - unit(rng)), 1.0 / shape)
        }
        Distribution::ExpWeib { a, c, scale } => {
            let a = num(a, context, rng);
            let c = num(c, context, rng);
            let scale = num(scale, context, rng);
            exponweib_inverse_cdf(a, c, scale, unit(rng))
        }
        Distribution::Bernoulli { p } => {
            let p = num(p, context, rng);
            return Value::Bool(unit(rng) < p);
        }
        Distribution::Poisson { mean } => {
            let mean = num(mean, context, rng);
            if mean > 0.0 {
                sample::poisson(mean, rng)
            } else {
                0.0
            }
        }
        Distribution::Empirical { values } => {
            let u = unit(rng);
            if values.is_empty() {
                f64::NAN
            } else {
                let index = ((u * values.len() as f64) as usize).min(values.len() - 1);
                values[index]
            }
        }
    };
    Value::Num(x)
}

/// The exponentiated Weibull's inverse CDF: x = scale * (-ln(1 - u^(1/a)))^(1/c).
pub fn exponweib_inverse_cdf(a: f64, c: f64, scale: f64, u: f64) -> f64 {
    let valid = a > 0.0 && c > 0.0 && scale >= 0.0;
    if !valid {
        return f64::NAN;
    }
    // u^(1/a) and y^(1/c) as exp(ln(.)/.), cheaper than powf; -ln(1 - v) via ln_1p.
    let v = exp(ln(u) / a);
    let y = -ln_1p(-v);
    scale * exp(ln(y) / c)
}

/// [`exponweib_inverse_cdf`] of every uniform in `us`, in place, with the same bits. Why a
/// block: each sample is a chain of five dependent logarithms and exponentials, bound by
/// their latency; computing one stage for the whole block before the next gives the
/// processor independent work to overlap.
pub fn exponweib_inverse_cdf_block(a: f64, c: f64, scale: f64, us: &mut [f64]) {
    let valid = a > 0.0 && c > 0.0 && scale >= 0.0;
    if !valid {
        us.fill(f64::NAN);
        return;
    }
    for x in us.iter_mut() {
        *x = ln(*x) / a;
    }
    for x in us.iter_mut() {
        *x = exp(*x);
    }
    for x in us.iter_mut() {
        *x = -ln_1p(-*x);
    }
    for x in us.iter_mut() {
        *x = ln(*x) / c;
    }
    for x in us.iter_mut() {
        *x = scale * exp(*x);
    }
}

fn triangular(min: f64, mode: f64, max: f64, u: f64) -> f64 {
    let ordered = min <= mode && mode <= max;
    if !ordered {
        return f64::NAN;
    }
    let range = max - min;
    if range == 0.0 {
        return min;
    }
    let split = (mode - min) / range;
    if u < split {
        min + (u * range * (mode - min)).sqrt()
    } else {
        max - ((1.0 - u) * range * (max - mode)).sqrt()
    }
}

/// A categorical draw: one uniform, compared with the cumulative weights. Weights that are
/// not positive count as zero; if all are zero the first option is taken.
fn choice(options: &[(Value, Expr)], context: &Context<'_>, rng: &mut Stream) -> Value {
    let constant_weights = options
        .iter()
        .all(|(_, weight)| matches!(weight, Expr::Const(Value::Num(_))));
    if constant_weights {
        // The usual case: two passes over the constants, no allocation.
        let weight = |expr: &Expr| match expr {
            Expr::Const(Value::Num(x)) => non_negative(*x),
            _ => 0.0,
        };
        let total: f64 = options.iter().map(|(_, w)| weight(w)).sum();
        pick(
            options.iter().map(|(value, w)| (value, weight(w))),
            total,
            rng,
        )
    } else {
        // Weights that depend on the instance: each evaluated once, in order.
        let weights: Vec<f64> = options
            .iter()
            .map(|(_, w)| non_negative(num(w, context, rng)))
            .collect();
        let total = weights.iter().sum();
        pick(
            options.iter().map(|(value, _)| value).zip(weights),
            total,
            rng,
        )
    }
}

pub(crate) fn pick<'v>(
    weighted: impl Iterator<Item = (&'v Value, f64)>,
    total: f64,
    rng: &mut Stream,
) -> Value {
    let u = unit(rng) * total;
    let mut cumulative = 0.0;
    let mut last_positive = None;
    let mut first = None;
    for (value, weight) in weighted {
        first.get_or_insert(value);
        if weight > 0.0 {
            last_positive = Some(value);
        }
        cumulative += weight;
        if u < cumulative {
            return value.clone();
        }
    }
    // Rounding at the top end, or all weights zero.
    last_positive
        .or(first)
        .cloned()
        .unwrap_or(Value::Num(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng;

    fn constant(x: f64) -> Expr {
        Expr::Const(Value::Num(x))
    }

    fn mean_of(distribution: Distribution, n: usize) -> (f64, f64) {
        let mut stream = rng::stream(rng::replication_seed(1, 0), 99, 0, 0);
        let context = Context::instance(&[]);
        let xs: Vec<f64> = (0..n)
            .map(|_| match sample(&distribution, &context, &mut stream) {
                Value::Num(x) => x,
                Value::Bool(b) => f64::from(u8::from(b)),
                _ => f64::NAN,
            })
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let variance = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
        (mean, (variance / n as f64).sqrt())
    }

    /// Asserts the sample mean is within 4 standard errors of the true mean (a 99.99%
    /// interval: with a fixed seed this is deterministic, and a real bias would fail).
    fn assert_mean(distribution: Distribution, expected: f64) {
        let (mean, standard_error) = mean_of(distribution, 40_000);
        assert!(
            (mean - expected).abs() < 4.0 * standard_error,
            "mean {mean} expected {expected} (standard error {standard_error})"
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // the platform's exp as an independent reference
    fn distributions_have_their_theoretical_means() {
        assert_mean(
            Distribution::Exponential {
                mean: constant(3.0),
            },
            3.0,
        );
        assert_mean(
            Distribution::Normal {
                mean: constant(5.0),
                sd: constant(2.0),
            },
            5.0,
        );
        assert_mean(
            Distribution::LogNormal {
                mu: constant(1.0),
                sigma: constant(0.5),
            },
            (1.0f64 + 0.125).exp(),
        );
        assert_mean(
            Distribution::Uniform {
                min: constant(2.0),
                max: constant(6.0),
            },
            4.0,
        );
        assert_mean(
            Distribution::Triangular {
                min: constant(0.0),
                mode: constant(1.0),
                max: constant(5.0),
            },
            2.0,
        );
        assert_mean(
            Distribution::Gamma {
                shape: constant(3.0),
                scale: constant(2.0),
            },
            6.0,
        );
        // Weibull mean: scale * Γ(1 + 1/k); k = 2 gives scale * sqrt(pi)/2.
        assert_mean(
            Distribution::Weibull {
                shape: constant(2.0),
                scale: constant(10.0),
            },
            10.0 * std::f64::consts::PI.sqrt() / 2.0,
        );
        // Exponentiated Weibull with a = 1 is a Weibull; with c = 1 and a = 2 its mean is
        // scale * (1 + 1/2) (the maximum of two exponentials).
        assert_mean(
            Distribution::ExpWeib {
                a: constant(2.0),
                c: constant(1.0),
                scale: constant(4.0),
            },
            6.0,
        );
        assert_mean(Distribution::Bernoulli { p: constant(0.3) }, 0.3);
        assert_mean(
            Distribution::Poisson {
                mean: constant(7.0),
            },
            7.0,
        );
        assert_mean(
            Distribution::Empirical {
                values: vec![1.0, 2.0, 6.0],
            },
            3.0,
        );
    }

    #[test]
    #[allow(clippy::disallowed_methods)] // the platform's functions as an independent reference
    fn exponweib_inverse_cdf_inverts_the_cdf() {
        let (a, c, scale) = (1.8, 0.7, 110.0);
        for u in [0.01, 0.25, 0.5, 0.9, 0.999] {
            let x = exponweib_inverse_cdf(a, c, scale, u);
            let cdf = (1.0 - (-(x / scale).powf(c)).exp()).powf(a);
            assert!((cdf - u).abs() < 1e-12, "u {u} cdf {cdf}");
        }
    }

    #[test]
    fn exponweib_block_gives_the_bits_of_one_by_one() {
        let mut us: Vec<f64> = (0..=1000).map(|i| f64::from(i) / 1000.0).collect();
        us.extend([
            f64::MIN_POSITIVE,
            1e-300,
            1.0 - f64::EPSILON / 2.0,
            f64::NAN,
        ]);
        for (a, c, scale) in [
            (1.8, 0.7, 78.0),
            (0.3, 2.5, 1e-3),
            (1.0, 1.0, 1.0),
            (-1.0, 1.0, 1.0),
        ] {
            let mut block = us.clone();
            exponweib_inverse_cdf_block(a, c, scale, &mut block);
            for (u, x) in us.iter().zip(&block) {
                let one = exponweib_inverse_cdf(a, c, scale, *u);
                assert_eq!(
                    one.to_bits(),
                    x.to_bits(),
                    "a {a} c {c} scale {scale} u {u}"
                );
            }
        }
    }

    #[test]
    fn choice_frequencies_follow_the_weights() {
        let options = vec![
            (Value::Label(0), constant(0.6)),
            (Value::Label(1), constant(0.3)),
            (Value::Label(2), constant(0.1)),
        ];
        let mut stream = rng::stream(rng::replication_seed(3, 0), 99, 0, 0);
        let context = Context::instance(&[]);
        let n = 60_000;
        let mut counts = [0usize; 3];
        for _ in 0..n {
            if let Value::Label(label) = choice(&options, &context, &mut stream) {
                counts[label as usize] += 1;
            }
        }
        // Chi-square with 2 degrees of freedom; 13.82 is the 0.999 quantile.
        let chi_square: f64 = [0.6, 0.3, 0.1]
            .iter()
            .zip(counts)
            .map(|(p, observed)| {
                let expected = p * n as f64;
                let difference = observed as f64 - expected;
                difference * difference / expected
            })
            .sum();
        assert!(
            chi_square < 13.82,
            "counts {counts:?} chi-square {chi_square}"
        );
    }

    #[test]
    fn invalid_parameters_give_nan_not_a_panic() {
        let mut stream = rng::stream(1, 99, 0, 0);
        let context = Context::instance(&[]);
        let bad_gamma = Distribution::Gamma {
            shape: constant(-1.0),
            scale: constant(1.0),
        };
        assert!(matches!(sample(&bad_gamma, &context, &mut stream), Value::Num(x) if x.is_nan()));
        let missing_var = Expr::Var(VarRef::Instance(5));
        assert!(num(&missing_var, &context, &mut stream).is_nan());
        assert_eq!(non_negative(f64::NAN), 0.0);
        assert_eq!(non_negative(-3.0), 0.0);
    }
}
