//! Constant folding over lowered expressions: attributes that must be constant (a capacity,
//! a horizon) and distribution parameters checked "where constant" are evaluated here.
//!
//! Invariant: evaluation is pure and total; anything random, per-instance or undefined
//! (a division by zero, `ln` of a negative number) is simply not constant (`None`).

use crate::ir::{self, BinaryOp, Expr, Func, Value};

/// The value of a numeric expression that involves no randomness and no variables.
pub fn const_num(e: &Expr) -> Option<f64> {
    match const_value(e)? {
        Value::Num(v) if v.is_finite() => Some(v),
        _ => None,
    }
}

/// The value of an expression without randomness or variables.
pub fn const_value(e: &Expr) -> Option<Value> {
    Some(match e {
        Expr::Const(v) => v.clone(),
        Expr::Var(_) | Expr::Dist(_) | Expr::Choice(_) => return None,
        Expr::Neg(x) => Value::Num(-const_num(x)?),
        Expr::Not(x) => match const_value(x)? {
            Value::Bool(b) => Value::Bool(!b),
            _ => return None,
        },
        Expr::Binary(op, a, b) => {
            let (a, b) = (const_value(a)?, const_value(b)?);
            match (op, a, b) {
                (BinaryOp::And, Value::Bool(x), Value::Bool(y)) => Value::Bool(x && y),
                (BinaryOp::Or, Value::Bool(x), Value::Bool(y)) => Value::Bool(x || y),
                (BinaryOp::Eq, x, y) => Value::Bool(x == y),
                (BinaryOp::Ne, x, y) => Value::Bool(x != y),
                (op, Value::Num(x), Value::Num(y)) => match op {
                    BinaryOp::Add => Value::Num(x + y),
                    BinaryOp::Sub => Value::Num(x - y),
                    BinaryOp::Mul => Value::Num(x * y),
                    BinaryOp::Div if y != 0.0 => Value::Num(x / y),
                    BinaryOp::Lt => Value::Bool(x < y),
                    BinaryOp::Le => Value::Bool(x <= y),
                    BinaryOp::Gt => Value::Bool(x > y),
                    BinaryOp::Ge => Value::Bool(x >= y),
                    _ => return None,
                },
                _ => return None,
            }
        }
        Expr::If(c, a, b) => match const_value(c)? {
            Value::Bool(true) => const_value(a)?,
            Value::Bool(false) => const_value(b)?,
            _ => return None,
        },
        Expr::Match {
            scrutinee,
            arms,
            default,
        } => {
            let Value::Label(label) = const_value(scrutinee)? else {
                return None;
            };
            match arms.iter().find(|(labels, _)| labels.contains(&label)) {
                Some((_, body)) => const_value(body)?,
                None => const_value(default.as_deref()?)?,
            }
        }
        Expr::Func(func, args) => {
            let values: Option<Vec<f64>> = args.iter().map(const_num).collect();
            let v = apply(*func, &values?)?;
            Value::Num(v)
        }
    })
}

/// A function of the language applied to numbers; `None` outside its domain (`ln` of a
/// negative number) or with too few arguments.
pub fn apply(func: Func, values: &[f64]) -> Option<f64> {
    let first = *values.first()?;
    Some(match func {
        Func::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
        Func::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Func::Round => first.round(),
        Func::Floor => first.floor(),
        Func::Ceil => first.ceil(),
        Func::Abs => first.abs(),
        Func::Clamp => first.max(*values.get(1)?).min(*values.get(2)?),
        Func::Sqrt if first >= 0.0 => first.sqrt(),
        Func::Ln if first > 0.0 => crate::math::ln(first),
        Func::Exp => crate::math::exp(first),
        _ => return None,
    })
}

/// A number for messages: integers without a fraction, others as Rust prints them.
pub fn show(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// Wraps a number as a constant expression.
pub fn num(value: f64) -> ir::Expr {
    Expr::Const(Value::Num(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_arithmetic_functions_and_conditions() {
        let e = Expr::Binary(BinaryOp::Mul, Box::new(num(3.0)), Box::new(num(60.0)));
        assert_eq!(const_num(&e), Some(180.0));
        let clamp = Expr::Func(Func::Clamp, vec![num(1.5), num(0.0), num(1.0)]);
        assert_eq!(const_num(&clamp), Some(1.0));
        let cond = Expr::If(
            Box::new(Expr::Const(Value::Bool(false))),
            Box::new(num(1.0)),
            Box::new(num(2.0)),
        );
        assert_eq!(const_num(&cond), Some(2.0));
    }

    #[test]
    fn randomness_variables_and_undefined_values_are_not_constant() {
        let dist = Expr::Dist(Box::new(ir::Distribution::Exponential { mean: num(1.0) }));
        assert_eq!(const_num(&dist), None);
        assert_eq!(const_num(&Expr::Var(ir::VarRef::Instance(0))), None);
        let div = Expr::Binary(BinaryOp::Div, Box::new(num(1.0)), Box::new(num(0.0)));
        assert_eq!(const_num(&div), None);
        assert_eq!(const_num(&Expr::Func(Func::Ln, vec![num(-1.0)])), None);
    }
}
