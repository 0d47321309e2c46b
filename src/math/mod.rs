//! pipesim's own elementary functions: `ln`, `ln_1p`, `exp`, `exp_m1`, `pow`, and `erf` and
//! `erfc` (in `erf.rs`), the same bits on every platform.
//!
//! The contract promises byte-identical results for the same file, seed and version. Rust's
//! `f64::ln` and friends call the platform's C library, whose last bits differ between glibc,
//! macOS and musl, and between glibc's variants for CPUs with and without FMA; a sampled
//! duration that differs in its last bit can reorder two events and change a run. These
//! functions use only IEEE basic arithmetic (correctly rounded everywhere), never a fused
//! multiply-add (Rust does not contract `a * b + c`), and tables computed once in exact
//! arithmetic by `scripts/math_tables.py` and stored as literals. Clippy's
//! `disallowed-methods` (clippy.toml) keeps the platform's functions out of the simulation.
//!
//! The methods are the classical table-driven ones (Tang 1989, 1990), as in glibc and musl,
//! written for operations without FMA:
//! - `ln`: x = 2^k z with z in [0.6875, 1.375); z's subinterval gives c, with 1/c a double
//!   of 10 significant bits, so that r = z / c - 1 is computed exactly, in two parts, without
//!   FMA; ln x = k ln 2 + ln c + ln(1 + r), the last by a polynomial. Within 0.51 ulp in
//!   tests against 60-digit arithmetic.
//! - `exp`: x = (128 m + j) ln 2 / 128 + r, e^x = 2^m 2^(j/128) e^r. Error below 0.51 ulp.
//! - `pow`: exp(y ln x) with ln x in double-double and the product split exactly (Dekker).
//!   Within a few ulp for huge results, within one for moderate ones.
//!
//! They are inlined where they are called and divide only in `ln_1p`'s last correction. The
//! year benchmark runs about 5% slower on them than on glibc's FMA versions (BENCHMARKS.md,
//! "Session 7").
//!
//! `erf` and `erfc` (erf.rs) are fdlibm's rational approximations, with the `exp` above for
//! their exponentials: within an ulp for `erf`, 2.4 ulp for `erfc` (measured against
//! 50-digit values). `ln_gamma` and the incomplete gamma function `gamma_p` (gamma.rs),
//! which `check --load` uses for a `when` on a gamma or Erlang attribute, are built on them.

mod erf;
mod gamma;
pub(crate) mod tables;

pub use erf::{erf, erfc};
pub use gamma::{gamma_p, ln_gamma};

/// Φ(z), the standard normal distribution function, via the complementary error function.
pub fn standard_normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

use tables::*;

/// ln(1 + r) - r for |r| < 0.005, by its Taylor series to r^7 (truncation below 2^-56
/// relative to r, and below 2^-59 for |r| <= 2^-8, where the result is about r), in an
/// order that shortens the chain of dependent operations.
#[inline(always)]
fn ln_1p_minus_identity(r: f64) -> f64 {
    const C2: f64 = -1.0 / 2.0;
    const C3: f64 = 1.0 / 3.0;
    const C4: f64 = -1.0 / 4.0;
    const C5: f64 = 1.0 / 5.0;
    const C6: f64 = -1.0 / 6.0;
    const C7: f64 = 1.0 / 7.0;
    let r2 = r * r;
    let low = (C2 + r * C3) + r2 * (C4 + r * C5);
    let high = C6 + r * C7;
    r2 * (low + (r2 * r2) * high)
}

/// The subinterval [1, 1 + 2^-7) of the table, whose upper half is the table's last row.
const LN_ROW_ABOVE_ONE: usize = 80;

/// ln x as hi + lo (|lo| below an ulp of hi), for finite positive x; `None` otherwise.
#[inline(always)]
fn ln_parts(x: f64) -> Option<(f64, f64)> {
    let mut ix = x.to_bits();
    if ix.wrapping_sub(0x0010_0000_0000_0000) >= 0x7FE0_0000_0000_0000 {
        // Not a positive normal number (NaN fails every comparison).
        if x.is_nan() || x <= 0.0 || x == f64::INFINITY {
            return None;
        }
        // Subnormal: scale into the normal range, and take 52 from the exponent.
        ix = (x * 4_503_599_627_370_496.0)
            .to_bits()
            .wrapping_sub(52 << 52);
    }
    let offset = ix.wrapping_sub(LN_OFF);
    let i = ((offset >> 45) & 127) as usize;
    let k = (offset as i64) >> 52;
    let z = f64::from_bits(ix.wrapping_sub(offset & (0xFFF << 52)));
    // Row 80 covers [1, 1 + 2^-7) with c = 1; its upper half has a row of its own (128),
    // so that |r| < 0.005 everywhere and a shorter polynomial suffices.
    let upper_half = i == LN_ROW_ABOVE_ONE && z >= 1.0 + 1.0 / 256.0;
    let i = i + usize::from(upper_half) * (128 - LN_ROW_ABOVE_ONE);
    let [invc, logc_hi, logc_lo] = LN_TABLE[i];
    // r = z / c - 1 = z invc - 1, kept exactly as r + r_lo: invc has 10 significant bits,
    // so invc times z's top 43 bits is exact, and so is 1 from it (Sterbenz); so is invc
    // times z's low 10 bits; only their sum rounds, and Fast2Sum keeps its error.
    let z_top = f64::from_bits(z.to_bits() & !0x3FF);
    let a = z_top * invc - 1.0;
    let b = (z - z_top) * invc;
    let r = a + b;
    let r_lo = (a - r) + b;
    let kd = k as f64;
    // Exact: k ln2_hi and logc_hi are multiples of 2^-43 below 2^10 in size.
    let w = kd * LN2_HI + logc_hi;
    // |w| >= |r| whenever w is not zero (the subintervals beside 1 have c = 1), so this
    // sum's error is exact.
    let hi = w + r;
    let lo = (((w - hi) + r) + r_lo) + (kd * LN2_LO + logc_lo) + ln_1p_minus_identity(r);
    Some((hi, lo))
}

/// The natural logarithm: NaN below zero, -inf at zero.
#[inline]
pub fn ln(x: f64) -> f64 {
    match ln_parts(x) {
        Some((hi, lo)) => hi + lo,
        None if x == 0.0 => f64::NEG_INFINITY,
        None if x == f64::INFINITY => x,
        None => f64::NAN,
    }
}

/// ln(1 + x), accurate for x near zero: NaN below -1, -inf at -1.
#[inline]
pub fn ln_1p(x: f64) -> f64 {
    if x.abs() <= 0.00390625 {
        return x + ln_1p_minus_identity(x);
    }
    let u = 1.0 + x;
    let Some((hi, lo)) = ln_parts(u) else {
        return ln(u);
    };
    // 1 + x rounded to u; c is the rounding error, exactly (fdlibm's correction), and
    // ln(1 + x) = ln(u) + c / u to well below an ulp.
    let c = if x >= 9_007_199_254_740_992.0 {
        0.0
    } else if u > 2.0 {
        1.0 - (u - x)
    } else {
        x - (u - 1.0)
    };
    hi + (lo + c / u)
}

/// 0x1.8p52: adding it rounds a double below 2^51 to an integer, kept in the low bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;

/// e^(x + tail) for a small tail (|tail| below an ulp of x).
#[inline(always)]
fn exp_with_tail(x: f64, tail: f64) -> f64 {
    if x.is_nan() || x.abs() >= 708.0 {
        if x.is_nan() {
            return x;
        }
        if x > 709.782_712_893_384 {
            return f64::INFINITY;
        }
        if x < -745.133_219_101_941_2 {
            return 0.0;
        }
    }
    let (k, t_hi, t_lo, p) = exp_reduction(x, tail);
    let y = t_hi + (t_lo + t_hi * p);
    scale_by_power_of_two(y, k >> 7)
}

/// e^(x + tail) = 2^(k/128) (1 + p), with 2^((k mod 128)/128) = t_hi + t_lo: the reduction
/// `exp` and `exp_m1` share.
#[inline(always)]
fn exp_reduction(x: f64, tail: f64) -> (i64, f64, f64, f64) {
    let kd = x * EXP_INV_LN2_N + ROUND_SHIFT;
    let k = kd.to_bits().wrapping_sub(ROUND_SHIFT.to_bits()) as i64;
    let kd = kd - ROUND_SHIFT;
    // kd * EXP_LN2_N_HI is exact (35 bits times at most 18), and so is x minus it (Sterbenz).
    let r = ((x - kd * EXP_LN2_N_HI) - kd * EXP_LN2_N_LO) + tail;
    // e^r - 1 by its Taylor series to r^5 (|r| <= 0.0028: truncation below 2^-60).
    let r2 = r * r;
    let p = r + r2 * ((0.5 + r * (1.0 / 6.0)) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
    let [t_hi, t_lo] = EXP_TABLE[(k & 127) as usize];
    (k, t_hi, t_lo, p)
}

/// y * 2^e, exactly while the result is normal, rounded once when it is subnormal.
#[inline(always)]
fn scale_by_power_of_two(y: f64, e: i64) -> f64 {
    let power = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    if (-1000..=1000).contains(&e) {
        y * power(e)
    } else if e > 0 {
        y * power(e - 1000) * power(1000)
    } else {
        y * power(e + 1000) * power(-1000)
    }
}

/// e^x: +inf above ln(f64::MAX), 0 far below the smallest subnormal's logarithm.
#[inline]
pub fn exp(x: f64) -> f64 {
    exp_with_tail(x, 0.0)
}

/// e^x - 1, accurate for x near zero: -1 far below zero, +inf above ln(f64::MAX).
pub fn exp_m1(x: f64) -> f64 {
    if x.is_nan() || x.abs() >= 708.0 {
        return if x < 0.0 { -1.0 } else { exp(x) - 1.0 };
    }
    if x == 0.0 {
        return x; // -0 stays -0
    }
    if x.abs() < 0.03125 {
        // The Taylor series to x^9 (truncation below 2^-66 relative): the table's way below
        // would cancel half its digits where 2^m t_hi - 1 and the rest are alike in size.
        let x2 = x * x;
        let low = (1.0 / 2.0 + x * (1.0 / 6.0)) + x2 * (1.0 / 24.0 + x * (1.0 / 120.0));
        let high = (1.0 / 720.0 + x * (1.0 / 5040.0)) + x2 * (1.0 / 40320.0 + x * (1.0 / 362880.0));
        return x + x2 * (low + (x2 * x2) * high);
    }
    let (k, t_hi, t_lo, p) = exp_reduction(x, 0.0);
    let scale = f64::from_bits((((k >> 7) + 1023) as u64) << 52);
    // e^x - 1 = (2^m t_hi - 1) + 2^m (t_lo + t_hi p); the first difference is exact where
    // it cancels (2^m t_hi within [1/2, 2], Sterbenz), and |x| >= 2^-5 keeps the second
    // below a tenth of the result.
    (scale * t_hi - 1.0) + scale * (t_lo + t_hi * p)
}

/// (hi, lo) with hi + lo = a exactly, each half with at most 26 significant bits (Veltkamp).
#[inline(always)]
fn split(a: f64) -> (f64, f64) {
    let c = 134_217_729.0 * a;
    let hi = c - (c - a);
    (hi, a - hi)
}

/// x^y, with the special cases of C99's `pow` (Annex F).
pub fn pow(x: f64, y: f64) -> f64 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    let y_is_integer = y == y.trunc();
    let y_is_odd =
        y_is_integer && y.abs() < 9_007_199_254_740_992.0 && (y * 0.5).trunc() != y * 0.5;
    if x.is_sign_negative() {
        if x == 0.0 {
            // -0: the sign survives odd integer powers.
            let magnitude = pow(0.0, y);
            return if y_is_odd { -magnitude } else { magnitude };
        }
        if !y_is_integer && x.is_finite() {
            return f64::NAN;
        }
        let magnitude = pow(-x, y);
        return if y_is_odd { -magnitude } else { magnitude };
    }
    if x == 0.0 {
        return if y > 0.0 { 0.0 } else { f64::INFINITY };
    }
    if x == f64::INFINITY {
        return if y > 0.0 { f64::INFINITY } else { 0.0 };
    }
    if y.is_infinite() || y.abs() > 1e300 {
        // |ln x| is at least 2^-53 for any double x other than 1: the result over/underflows.
        return if (x > 1.0) == (y > 0.0) {
            f64::INFINITY
        } else {
            0.0
        };
    }
    let Some((l_hi, l_lo)) = ln_parts(x) else {
        return f64::NAN;
    };
    // y * l_hi as p + e exactly (Dekker's product), then the rest of y * ln x.
    let p = y * l_hi;
    if p.is_infinite() {
        return if p > 0.0 { f64::INFINITY } else { 0.0 };
    }
    let (y_hi, y_lo) = split(y);
    let (l_hi_hi, l_hi_lo) = split(l_hi);
    let e = (((y_hi * l_hi_hi - p) + y_hi * l_hi_lo) + y_lo * l_hi_hi) + y_lo * l_hi_lo;
    exp_with_tail(p, e + y * l_lo)
}

#[cfg(test)]
mod tests;
