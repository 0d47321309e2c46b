//! Student's t distribution, the same to the last bit on every platform: its CDF, its upper
//! tail (for p-values) and its quantile (for confidence half-widths).
//!
//! Why this exists: `statrs::distribution::StudentsT` goes through `f64::ln`, `f64::exp` and
//! a `ln_gamma` built on them, which call the platform's C math library, and glibc, macOS
//! and musl disagree in the last bits; so did every half-width and p-value written from
//! them. Here only correctly rounded IEEE-754 operations (`+ - * /`, `sqrt`, comparisons,
//! `floor`, `abs`) and the deterministic `crate::math::{ln, exp, ln_1p}` are used: no libm,
//! no `mul_add` (whether it fuses depends on the CPU), and every loop stops on a test of
//! values computed that way. The same inputs therefore give the same bits everywhere.
//!
//! Method, for `u = |t|`, `nu` degrees of freedom, `a = nu/2`, `x = nu/(nu+u²)` and
//! `y = u²/(nu+u²)` (each computed as written, never as one minus the other):
//!
//! - `P(T > u) = I_x(a, 1/2) / 2` and `P(0 < T < u) = I_y(1/2, a) / 2`, with `I` the
//!   regularized incomplete beta function. Only the one whose continued fraction converges
//!   fast is evaluated and the other is `1/2` minus it, so the tail keeps its relative
//!   precision down to the smallest doubles (a tail of `e^-x` to about `x` ulps, from
//!   `exp`: 1e-14 at p = 1e-30) and the central mass keeps it near `t = 0`, where the
//!   quantile's relative precision comes from.
//!   - Near the centre (`y (a + 5/2) < 3/2`): `I_y(1/2, a)` by the classic continued
//!     fraction (DLMF 8.17.22), evaluated by the modified Lentz method.
//!   - Elsewhere: `I_x(a, 1/2)` by Didonato and Morris's continued fraction (BFRAC, ACM
//!     TOMS 708), whose terms use `x` and `y` side by side. The classic fraction would form
//!     `1 - x` there and lose about `a` ulps: 1e-10 relative at `nu = 1e7`.
//! - The factor both share, `x^a y^(1/2) / B(a, 1/2)`, is `exp(-a ln_1p(u²/nu)) sqrt(y)
//!   Γ(a+1/2) / (Γ(a) sqrt(π))`, the ratio `Γ(a+1/2) / Γ(a)` coming from its asymptotic
//!   series in `1/a` once the recurrence has lifted `a` above 16. Taking it as the
//!   difference of two `ln Γ` instead would cancel digits when `nu` is large. It is also
//!   `u` times the density at `u`, which gives Newton's method its slope for free.
//! - Quantile: Newton's method on `ln u`, solving for the central mass when `p` is within
//!   1/4 of 1/2 and for the tail otherwise (both exact functions of `p`, so that
//!   `quantile(1 - p) == -quantile(p)` to the bit for every `p >= 1/2`), inside a bracket
//!   that falls back to bisection. The tail starts from the smaller of a Cornish–Fisher expansion and the
//!   power-law bound `P(T > u) <= nu^(nu/2 - 1) u^-nu / B(a, 1/2)`, which also closes the
//!   bracket; the centre starts from `mass / density(0)`, which is below the root because
//!   the density falls away from 0. `nu = 2` has a closed form.
//! - Above [`NORMAL_DEGREES_OF_FREEDOM`] (and for infinite `nu`), the normal distribution:
//!   W. J. Cody's rational approximations for its tail (ACM TOMS 715, as R's `pnorm`) and
//!   M. J. Wichura's AS 241 for its quantile.

use crate::math::{exp, ln, ln_1p};

/// `1 / sqrt(π)`.
const FRAC_1_SQRT_PI: f64 = 0.5 * std::f64::consts::FRAC_2_SQRT_PI;
/// `ln(sqrt(π))`.
const LN_SQRT_PI: f64 = 0.572_364_942_924_700_1;
/// `1 / sqrt(2π)`.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// From here on t is the normal distribution to within the last bit for every tail
/// probability a double can hold: the quantiles differ by about `(z³ + z) / (4 nu)`, and
/// the tails relatively by about `z⁴ / (4 nu)`, under 1e-17 for `|z| < 39`.
pub const NORMAL_DEGREES_OF_FREEDOM: f64 = 1e25;

/// A continued fraction has converged when a step changes it by at most this factor.
const CONVERGED: f64 = f64::EPSILON;
/// Keeps the Lentz recurrences away from division by zero.
const TINY: f64 = 1e-300;
/// The fractions need at most 12 and 73 terms where they are used (measured over 3 million
/// random arguments); the cap only guarantees an end.
const MAX_TERMS: usize = 1000;
/// The quantile's search takes at most 9 steps for degrees of freedom down to 1e-3, and 51
/// down to 1e-8 (whose quantiles are mostly beyond the doubles); the cap only guarantees an
/// end.
const MAX_STEPS: usize = 200;

/// `P(T <= t)` for Student's t with `degrees_of_freedom > 0` (infinite is the normal
/// distribution). NaN when `t` is NaN or the degrees of freedom are not positive.
pub fn cdf(t: f64, degrees_of_freedom: f64) -> f64 {
    if t.is_nan() || invalid(degrees_of_freedom) {
        return f64::NAN;
    }
    let (center, tail) = halves(t.abs(), degrees_of_freedom);
    if t < 0.0 {
        tail
    } else {
        0.5 + center
    }
}

/// `P(T > t)`, the upper tail, with full relative precision however small it is (no
/// `1 - cdf`). NaN on the same inputs as [`cdf`].
pub fn sf(t: f64, degrees_of_freedom: f64) -> f64 {
    if t.is_nan() || invalid(degrees_of_freedom) {
        return f64::NAN;
    }
    let (center, tail) = halves(t.abs(), degrees_of_freedom);
    if t > 0.0 {
        tail
    } else {
        0.5 + center
    }
}

/// The `t` with `cdf(t) == p`, for `p` in (0, 1) and real `degrees_of_freedom > 0`
/// (infinite is the normal distribution). `p = 0` and `p = 1` give minus and plus infinity
/// (as does a quantile beyond the largest double); NaN for any other `p` outside [0, 1],
/// a NaN, or degrees of freedom that are not positive.
pub fn quantile(p: f64, degrees_of_freedom: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) || invalid(degrees_of_freedom) {
        return f64::NAN;
    }
    // The central mass and the tail mass beyond the quantile. Both are exact whenever they
    // are used: `1 - p` and `p - 1/2` for p >= 1/2 by Sterbenz's lemma, `1/2 - p` when it
    // is below 1/4; so p and 1 - p reach the solver with the same numbers.
    let (center, tail, sign) = if p >= 0.5 {
        (p - 0.5, 1.0 - p, 1.0)
    } else {
        (0.5 - p, p, -1.0)
    };
    sign * upper_quantile(center, tail, degrees_of_freedom)
}

fn invalid(degrees_of_freedom: f64) -> bool {
    degrees_of_freedom.is_nan() || degrees_of_freedom <= 0.0
}

/// `(P(0 < T < u), P(T > u))` for `u >= 0`.
fn halves(u: f64, nu: f64) -> (f64, f64) {
    if nu > NORMAL_DEGREES_OF_FREEDOM {
        normal_halves(u)
    } else {
        let h = beta_halves(u, nu);
        (h.center, h.tail)
    }
}

/// The two halves of the mass on `u >= 0` and their elasticities in `u`.
struct Halves {
    /// `P(0 < T < u)`.
    center: f64,
    /// `P(T > u)`.
    tail: f64,
    /// `d ln(center) / d ln(u)`.
    center_elasticity: f64,
    /// `-d ln(tail) / d ln(u)`.
    tail_elasticity: f64,
}

fn beta_halves(u: f64, nu: f64) -> Halves {
    if u == f64::INFINITY {
        return Halves {
            center: 0.5,
            tail: 0.0,
            center_elasticity: 0.0,
            tail_elasticity: nu,
        };
    }
    let a = 0.5 * nu;
    let uu = u * u;
    let z = uu / nu;
    let s = nu + uu;
    let (log_1p_z, x, y, sqrt_y) = if z.is_finite() && s.is_finite() {
        (ln_1p(z), nu / s, uu / s, u / s.sqrt())
    } else {
        // u² overflows: nu / u² is below 1e-308 relative to 1 and drops out.
        (2.0 * ln(u) - ln(nu), nu / u / u, 1.0, 1.0)
    };
    // x^a y^(1/2) / B(a, 1/2), which is also u times the density at u.
    let u_density = exp(-a * log_1p_z) * sqrt_y * gamma_half_ratio(a) * FRAC_1_SQRT_PI;
    if y * (a + 2.5) < 1.5 {
        let fraction = central_fraction(a, y);
        let center = u_density * fraction;
        let tail = 0.5 - center;
        Halves {
            center,
            tail,
            center_elasticity: 1.0 / fraction,
            tail_elasticity: u_density / tail,
        }
    } else {
        let fraction = tail_fraction(a, x, y);
        let tail = 0.5 * u_density / fraction;
        let center = 0.5 - tail;
        Halves {
            center,
            tail,
            center_elasticity: u_density / center,
            tail_elasticity: 2.0 * fraction,
        }
    }
}

/// The continued fraction `h` with `I_y(1/2, a) = 2 y^(1/2) (1-y)^a h / B(a, 1/2)`
/// (DLMF 8.17.22 with the parameters swapped), by the modified Lentz method. Converges in
/// at most 12 terms while `y (a + 5/2) < 3/2`, where it is used.
fn central_fraction(a: f64, y: f64) -> f64 {
    let mut c = 1.0;
    let mut d = nonzero(1.0 - (a + 0.5) * y / 1.5);
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=MAX_TERMS {
        let m = m as f64;
        let even = m * (a - m) * y / ((2.0 * m - 0.5) * (2.0 * m + 0.5));
        d = nonzero(1.0 + even * d);
        c = nonzero(1.0 + even / c);
        d = 1.0 / d;
        h *= d * c;
        let odd = -(m + 0.5) * (a + 0.5 + m) * y / ((2.0 * m + 0.5) * (2.0 * m + 1.5));
        d = nonzero(1.0 + odd * d);
        c = nonzero(1.0 + odd / c);
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() <= CONVERGED {
            break;
        }
    }
    h
}

/// The continued fraction `f` with `I_x(a, 1/2) = x^a y^(1/2) / (B(a, 1/2) f)`: Didonato
/// and Morris's BFRAC (ACM TOMS 708, 1992) for `b = 1/2`, by the modified Lentz method.
/// Every sum in it adds terms of one sign, so it stays accurate for any `a`. Converges in
/// at most 73 terms while `y (a + 5/2) >= 3/2`, where it is used.
fn tail_fraction(a: f64, x: f64, y: f64) -> f64 {
    // a y - x/2 + 1 >= 1/2: the leading term never cancels.
    let lead = a * y - 0.5 * x + 1.0;
    let mut f = nonzero(a * lead / (a + 1.0));
    let mut c = f;
    let mut d = 0.0;
    for m in 1..=MAX_TERMS {
        let m = m as f64;
        let denominator = a + 2.0 * m - 1.0;
        let numerator =
            (a + m - 1.0) * (a + m - 0.5) * m * (0.5 - m) * x * x / (denominator * denominator);
        let partial = m
            + m * (0.5 - m) * x / denominator
            + (a + m) * (lead + m * (2.0 - x)) / (a + 2.0 * m + 1.0);
        d = nonzero(partial + numerator * d);
        c = nonzero(partial + numerator / c);
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() <= CONVERGED {
            break;
        }
    }
    f
}

fn nonzero(value: f64) -> f64 {
    if value.abs() < TINY {
        TINY
    } else {
        value
    }
}

/// `Γ(a + 1/2) / Γ(a)` for `a > 0`.
fn gamma_half_ratio(a: f64) -> f64 {
    // Γ(a+1/2)/Γ(a) = Γ(a+n+1/2)/Γ(a+n) · Π_k (a+k)/(a+k+1/2): lift the argument to 16,
    // from where the series below is good to the last bit; the two products are kept apart
    // so that the ratio rounds once.
    let mut z = a;
    let mut numerator = 1.0;
    let mut denominator = 1.0;
    while z < 16.0 {
        numerator *= z;
        denominator *= z + 0.5;
        z += 1.0;
    }
    // ln(Γ(z+1/2)/Γ(z)) - ln(z)/2 = Σ_k -(2 - 2^(1-2k)) B_2k / (2k (2k-1) z^(2k-1)), from
    // the Bernoulli-polynomial form of Stirling's series; the first term left out (k = 8)
    // is below 1e-19 for z >= 16.
    let w = 1.0 / z;
    let w2 = w * w;
    let series = w
        * (-1.0 / 8.0
            + w2 * (1.0 / 192.0
                + w2 * (-1.0 / 640.0
                    + w2 * (17.0 / 14336.0
                        + w2 * (-31.0 / 18432.0
                            + w2 * (691.0 / 180224.0 + w2 * (-5461.0 / 425984.0)))))));
    z.sqrt() * exp(series) * (numerator / denominator)
}

/// `u >= 0` with `P(0 < T < u) = center` and `P(T > u) = tail`, the two adding up to 1/2.
fn upper_quantile(center: f64, tail: f64, nu: f64) -> f64 {
    if tail == 0.0 {
        return f64::INFINITY;
    }
    if center == 0.0 {
        return 0.0;
    }
    // Aim at whichever mass is the smaller, so that its relative precision carries over to
    // the quantile; the other one is then derived from it alone, keeping p and 1 - p alike.
    let use_center = tail > 0.25;
    let center = if use_center { center } else { 0.5 - tail };
    if nu > NORMAL_DEGREES_OF_FREEDOM {
        return normal_upper_quantile(center, tail);
    }
    if nu == 2.0 {
        // P(T > u) = 1/2 - u / (2 sqrt(2 + u²)) inverts in closed form.
        return 2.0 * center / (tail * (1.0 + 2.0 * center)).sqrt();
    }
    let a = 0.5 * nu;
    let ratio = gamma_half_ratio(a);

    // The power-law bound on the tail gives an upper end; doubling it covers the rounding
    // of the logarithms, a few ulps of numbers under about 1e3 wherever it is finite.
    let ln_bound = 0.5 * ln(nu) - (ln(tail) + ln(nu) + LN_SQRT_PI - ln(ratio)) / nu;
    let bound = if ln_bound < 700.0 {
        exp(ln_bound)
    } else {
        f64::INFINITY
    };
    let mut hi = 2.0 * bound;
    if !hi.is_finite() {
        hi = f64::MAX;
        if beta_halves(hi, nu).tail >= tail {
            return f64::INFINITY;
        }
    }
    let mut lo = 0.0;
    let mut u = if use_center {
        // The density is largest at 0, so the central mass is below u density(0).
        center * (nu.sqrt() / (ratio * FRAC_1_SQRT_PI))
    } else {
        let z = normal_upper_quantile(center, tail);
        let z2 = z * z;
        let cornish_fisher =
            z + (z2 + 1.0) * z / (4.0 * nu) + ((5.0 * z2 + 16.0) * z2 + 3.0) * z / (96.0 * nu * nu);
        cornish_fisher.min(bound)
    };
    if u.is_nan() || u <= lo || u >= hi {
        u = bisect(lo, hi);
    }

    for _ in 0..MAX_STEPS {
        let h = beta_halves(u, nu);
        // ln(mass at u / target mass), increasing in u, and its slope in ln u.
        let (below, residual, slope) = if use_center {
            if h.center == center {
                return u;
            }
            (
                h.center < center,
                ln_1p((h.center - center) / center),
                h.center_elasticity,
            )
        } else {
            if h.tail == tail {
                return u;
            }
            (
                h.tail > tail,
                -ln_1p((h.tail - tail) / tail),
                h.tail_elasticity,
            )
        };
        if below {
            lo = u;
        } else {
            hi = u;
        }
        let step = -residual / slope;
        // Newton's error squares at each step: after one this small the error is down at
        // the rounding of the masses themselves. (The new point may then round onto an end
        // of the bracket, so this comes before the bracket test.)
        if step.abs() <= 1e-10 {
            return u * exp(step);
        }
        // Beyond ±700 the step would overflow exp and leaves the bracket anyway.
        let mut next = if step.abs() < 700.0 {
            u * exp(step)
        } else {
            f64::NAN
        };
        if next.is_nan() || next <= lo || next >= hi {
            next = bisect(lo, hi);
            if next <= lo || next >= hi {
                // The bracket is down to adjacent doubles.
                return next;
            }
        }
        u = next;
    }
    u
}

/// A point inside `(lo, hi)`, `0 <= lo < hi <= f64::MAX`: geometric while the ends are
/// orders of magnitude apart, so that a wide bracket shrinks in as few steps as a narrow one.
fn bisect(lo: f64, hi: f64) -> f64 {
    if lo == 0.0 {
        0.5 * hi
    } else if hi <= 4.0 * lo {
        0.5 * lo + 0.5 * hi
    } else {
        lo.sqrt() * hi.sqrt()
    }
}

/// `(Φ(x) - 1/2, 1 - Φ(x))` for `x >= 0`: W. J. Cody's rational Chebyshev approximations
/// (ACM TOMS 715, 1993; the ranges of R's `pnorm`), good to about 1e-16 relative in each.
#[allow(clippy::excessive_precision)] // the published digits, to check against the paper
fn normal_halves(x: f64) -> (f64, f64) {
    const A: [f64; 5] = [
        2.2352520354606839287,
        161.02823106855587881,
        1067.6894854603709582,
        18154.981253343561249,
        0.065682337918207449113,
    ];
    const B: [f64; 4] = [
        47.20258190468824187,
        976.09855173777669322,
        10260.932208618978205,
        45507.789335026729956,
    ];
    const C: [f64; 9] = [
        0.39894151208813466764,
        8.8831497943883759412,
        93.506656132177855979,
        597.27027639480026226,
        2494.5375852903726711,
        6848.1904505362823326,
        11602.651437647350124,
        9842.7148383839780218,
        1.0765576773720192317e-8,
    ];
    const D: [f64; 8] = [
        22.266688044328115691,
        235.38790178262499861,
        1519.377599407554805,
        6485.558298266760755,
        18615.571640885098091,
        34900.952721145977266,
        38912.003286093271411,
        19685.429676859990727,
    ];
    const P: [f64; 6] = [
        0.21589853405795699,
        0.1274011611602473639,
        0.022235277870649807,
        0.001421619193227893466,
        2.9112874951168792e-5,
        0.02307344176494017303,
    ];
    const Q: [f64; 5] = [
        1.28426009614491121,
        0.468238212480865118,
        0.0659881378689285515,
        0.00378239633202758244,
        7.29751555083966205e-5,
    ];
    if x <= 0.67448975 {
        let xsq = x * x;
        let mut num = A[4] * xsq;
        let mut den = xsq;
        for i in 0..3 {
            num = (num + A[i]) * xsq;
            den = (den + B[i]) * xsq;
        }
        let center = x * (num + A[3]) / (den + B[3]);
        return (center, 0.5 - center);
    }
    let tail = if x <= 5.656854249492380195 {
        let mut num = C[8] * x;
        let mut den = x;
        for i in 0..7 {
            num = (num + C[i]) * x;
            den = (den + D[i]) * x;
        }
        half_gaussian(x) * ((num + C[7]) / (den + D[7]))
    } else if x < 37.5193 {
        let xsq = 1.0 / (x * x);
        let mut num = P[5] * xsq;
        let mut den = xsq;
        for i in 0..4 {
            num = (num + P[i]) * xsq;
            den = (den + Q[i]) * xsq;
        }
        let r = xsq * (num + P[4]) / (den + Q[4]);
        half_gaussian(x) * ((FRAC_1_SQRT_2PI - r) / x)
    } else {
        0.0
    };
    (0.5 - tail, tail)
}

/// `exp(-x²/2)`, split so that the rounding of `x²` (which `exp` would turn into a relative
/// error of `x²/2` ulps) does not arise: `x` is a multiple of 1/16, whose square is exact,
/// plus the rest.
fn half_gaussian(x: f64) -> f64 {
    let head = (x * 16.0).floor() / 16.0;
    let rest = (x - head) * (x + head);
    exp(-head * head * 0.5) * exp(-rest * 0.5)
}

/// The `z >= 0` with `Φ(z) - 1/2 = center` and `1 - Φ(z) = tail`: M. J. Wichura's
/// AS 241 (PPND16, Applied Statistics 37, 1988), good to about 1e-16 relative.
#[allow(clippy::excessive_precision)] // the published digits, to check against the paper
fn normal_upper_quantile(center: f64, tail: f64) -> f64 {
    if center <= 0.425 {
        let r = 0.180625 - center * center;
        return center
            * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r
                + 67265.770927008700853)
                * r
                + 45921.953931549871457)
                * r
                + 13731.693765509461125)
                * r
                + 1971.5909503065514427)
                * r
                + 133.14166789178437745)
                * r
                + 3.387132872796366608)
            / (((((((r * 5226.495278852854561 + 28729.085735721942674) * r
                + 39307.89580009271061)
                * r
                + 21213.794301586595867)
                * r
                + 5394.1960214247511077)
                * r
                + 687.1870074920579083)
                * r
                + 42.313330701600911252)
                * r
                + 1.0);
    }
    let r = (-ln(tail)).sqrt();
    if r <= 5.0 {
        let r = r - 1.6;
        (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r
            + 0.24178072517745061177)
            * r
            + 1.27045825245236838258)
            * r
            + 3.64784832476320460504)
            * r
            + 5.7694972214606914055)
            * r
            + 4.6303378461565452959)
            * r
            + 1.42343711074968357734)
            / (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r
                + 0.0151986665636164571966)
                * r
                + 0.14810397642748007459)
                * r
                + 0.68976733498510000455)
                * r
                + 1.6763848301838038494)
                * r
                + 2.05319162663775882187)
                * r
                + 1.0)
    } else {
        let r = r - 5.0;
        (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r
            + 0.0012426609473880784386)
            * r
            + 0.026532189526576123093)
            * r
            + 0.29656057182850489123)
            * r
            + 1.7848265399172913358)
            * r
            + 5.4637849111641143699)
            * r
            + 6.6579046435011037772)
            / (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r
                + 1.8463183175100546818e-5)
                * r
                + 7.868691311456132591e-4)
                * r
                + 0.0148753612908506148525)
                * r
                + 0.13692988092273580531)
                * r
                + 0.59983220655588793769)
                * r
                + 1.0)
    }
}

// The tests compare against statrs, which uses the platform's math: that is what they are for.
#[allow(clippy::disallowed_types)]
#[cfg(test)]
mod tests {
    use super::*;
    use statrs::distribution::{ContinuousCDF, StudentsT};

    /// `|actual - expected| / |expected|`; 0 when they are equal (zeros and infinities too).
    fn relative(actual: f64, expected: f64) -> f64 {
        if actual == expected {
            0.0
        } else {
            ((actual - expected) / expected).abs()
        }
    }

    const DEGREES_OF_FREEDOM: [f64; 12] = [
        1.0, 1.5, 2.0, 3.0, 4.7, 5.0, 10.0, 29.0, 30.0, 100.0, 1000.0, 1e5,
    ];
    const PROBABILITIES: [f64; 10] = [
        0.5005,
        0.6,
        0.8,
        0.9,
        0.95,
        0.975,
        0.99,
        0.995,
        0.9995,
        1.0 - 1e-9,
    ];

    // (degrees of freedom, p, quantile, P(T > quantile)) over DEGREES_OF_FREEDOM x
    // PROBABILITIES, computed with Python 3.11 and mpmath 1.3.0 at 50 digits:
    //   tail(t, nu)   = betainc(nu/2, 1/2, 0, nu/(nu+t^2), regularized=True) / 2, or where
    //                   nu/(nu+t^2) > 1/2, 1/2 - betainc(1/2, nu/2, 0, t^2/(nu+t^2), ...) / 2
    //                   with the working precision raised by the digits the difference loses
    //   quantile      = Newton's method on the tail (on the central mass for p < 3/4), to
    //                   50 digits, rounded to the nearest double
    //   P(T > quantile) = tail(quantile as that double, nu)
    const REFERENCE: [(f64, f64, f64, f64); 120] = [
        (1.0, 0.5005, 0.0015707976187241937, 0.49950000000000006),
        (1.0, 0.6, 0.32491969623290623, 0.4),
        (1.0, 0.8, 1.376381920471174, 0.19999999999999996),
        (1.0, 0.9, 3.077683537175254, 0.09999999999999998),
        (1.0, 0.95, 6.313751514675038, 0.050000000000000044),
        (1.0, 0.975, 12.706204736174694, 0.025000000000000022),
        (1.0, 0.99, 31.82051595377393, 0.010000000000000009),
        (1.0, 0.995, 63.656741162871526, 0.0050000000000000044),
        (1.0, 0.9995, 636.6192487687897, 0.0004999999999999449),
        (1.0, 0.999999999, 318309895.1862093, 9.999999717180685e-10),
        (1.5, 0.5005, 0.001467416985423624, 0.49950000000000006),
        (1.5, 0.6, 0.3007453925697954, 0.4),
        (1.5, 0.8, 1.153364378295469, 0.19999999999999996),
        (1.5, 0.9, 2.1963984175655376, 0.09999999999999999),
        (1.5, 0.95, 3.705180820096749, 0.05000000000000005),
        (1.5, 0.975, 6.016663104427928, 0.025000000000000026),
        (1.5, 0.99, 11.197316179568391, 0.01000000000000001),
        (1.5, 0.995, 17.820310514462797, 0.0050000000000000044),
        (1.5, 0.9995, 82.84744670366369, 0.0004999999999999449),
        (1.5, 0.999999999, 521946.95257454924, 9.999999717180685e-10),
        (2.0, 0.5005, 0.0014142142694802508, 0.49950000000000006),
        (2.0, 0.6, 0.2886751345948128, 0.4),
        (2.0, 0.8, 1.0606601717798216, 0.19999999999999993),
        (2.0, 0.9, 1.885618083164127, 0.09999999999999998),
        (2.0, 0.95, 2.9199855803537242, 0.050000000000000044),
        (2.0, 0.975, 4.302652729749462, 0.025000000000000022),
        (2.0, 0.99, 6.964556734283271, 0.01000000000000001),
        (2.0, 0.995, 9.92484320091829, 0.005000000000000004),
        (2.0, 0.9995, 31.599054576445365, 0.0004999999999999449),
        (2.0, 0.999999999, 22360.68005765849, 9.999999717180685e-10),
        (3.0, 0.5005, 0.0013603500825972116, 0.49950000000000006),
        (3.0, 0.6, 0.27667066233268983, 0.4),
        (3.0, 0.8, 0.9784723123633047, 0.19999999999999996),
        (3.0, 0.9, 1.6377443536962104, 0.09999999999999996),
        (3.0, 0.95, 2.353363434801823, 0.050000000000000044),
        (3.0, 0.975, 3.1824463052837086, 0.02500000000000002),
        (3.0, 0.99, 4.540702858568132, 0.01000000000000001),
        (3.0, 0.995, 5.840909309733355, 0.0050000000000000044),
        (3.0, 0.9995, 12.923978636687965, 0.0004999999999999449),
        (3.0, 0.999999999, 1033.1096842432755, 9.999999717180683e-10),
        (4.7, 0.5005, 0.0013212803632266332, 0.49950000000000006),
        (4.7, 0.6, 0.2680827195410318, 0.4),
        (4.7, 0.8, 0.9249371272931713, 0.19999999999999996),
        (4.7, 0.9, 1.490155081516803, 0.09999999999999998),
        (4.7, 0.95, 2.0438110930137876, 0.050000000000000044),
        (4.7, 0.975, 2.62072607535317, 0.02500000000000002),
        (4.7, 0.99, 3.4566270809401383, 0.010000000000000007),
        (4.7, 0.995, 4.167892040119057, 0.005000000000000006),
        (4.7, 0.9995, 7.266542375825277, 0.0004999999999999449),
        (4.7, 0.999999999, 122.91157851461325, 9.999999717180683e-10),
        (5.0, 0.5005, 0.001317153219093676, 0.49950000000000006),
        (5.0, 0.6, 0.26718086570414507, 0.4),
        (5.0, 0.8, 0.9195437802408262, 0.19999999999999996),
        (5.0, 0.9, 1.4758840488244813, 0.09999999999999996),
        (5.0, 0.95, 2.0150483733330233, 0.05000000000000006),
        (5.0, 0.975, 2.5705818356363146, 0.02500000000000003),
        (5.0, 0.99, 3.364929998907218, 0.010000000000000007),
        (5.0, 0.995, 4.032142983555227, 0.005000000000000005),
        (5.0, 0.9995, 6.868826625881275, 0.0004999999999999449),
        (5.0, 0.999999999, 98.93722520824214, 9.999999717180683e-10),
        (10.0, 0.5005, 0.0012849894064564484, 0.49950000000000006),
        (10.0, 0.6, 0.26018482949208016, 0.4),
        (10.0, 0.8, 0.8790578285505889, 0.19999999999999996),
        (10.0, 0.9, 1.3721836411103359, 0.09999999999999996),
        (10.0, 0.95, 1.8124611228116758, 0.05000000000000005),
        (10.0, 0.975, 2.2281388519862744, 0.025000000000000015),
        (10.0, 0.99, 2.7637694581126957, 0.010000000000000009),
        (10.0, 0.995, 3.169272672616951, 0.005000000000000003),
        (10.0, 0.9995, 4.586893858702708, 0.0004999999999999448),
        (10.0, 0.999999999, 20.144697824931782, 9.999999717180692e-10),
        (29.0, 0.5005, 0.001264163466144433, 0.49950000000000006),
        (29.0, 0.6, 0.2556836345712561, 0.4),
        (29.0, 0.8, 0.8541919858818559, 0.19999999999999996),
        (29.0, 0.9, 1.311433647301551, 0.09999999999999999),
        (29.0, 0.95, 1.6991270265334972, 0.05000000000000005),
        (29.0, 0.975, 2.045229642132704, 0.025000000000000022),
        (29.0, 0.99, 2.462021360150412, 0.010000000000000004),
        (29.0, 0.995, 2.7563859036706053, 0.005000000000000002),
        (29.0, 0.9995, 3.6594050194663743, 0.0004999999999999448),
        (29.0, 0.999999999, 8.556427319117427, 9.999999717180673e-10),
        (30.0, 0.5005, 0.0012638004606974266, 0.49950000000000006),
        (30.0, 0.6, 0.2556053649519127, 0.4),
        (30.0, 0.8, 0.8537672614712978, 0.19999999999999996),
        (30.0, 0.9, 1.3104150253913958, 0.09999999999999996),
        (30.0, 0.95, 1.6972608865939574, 0.050000000000000044),
        (30.0, 0.975, 2.0422724563012378, 0.02500000000000003),
        (30.0, 0.99, 2.457261542400591, 0.010000000000000007),
        (30.0, 0.995, 2.749995653567225, 0.0050000000000000044),
        (30.0, 0.9995, 3.6459586350420627, 0.000499999999999945),
        (30.0, 0.999999999, 8.445862807441596, 9.9999997171807e-10),
        (100.0, 0.5005, 0.0012564516240783667, 0.49950000000000006),
        (100.0, 0.6, 0.2540221824582278, 0.4),
        (100.0, 0.8, 0.8452304244910163, 0.19999999999999996),
        (100.0, 0.9, 1.290074761346516, 0.09999999999999999),
        (100.0, 0.95, 1.6602343260853392, 0.05000000000000004),
        (100.0, 0.975, 1.9839715185235518, 0.02500000000000003),
        (100.0, 0.99, 2.3642173662384818, 0.010000000000000009),
        (100.0, 0.995, 2.6258905214380177, 0.005000000000000003),
        (100.0, 0.9995, 3.3904913111642636, 0.0004999999999999449),
        (100.0, 0.999999999, 6.598939826677467, 9.999999717180704e-10),
        (1000.0, 0.5005, 0.0012536278336583852, 0.49950000000000006),
        (1000.0, 0.6, 0.2534145158394987, 0.4),
        (1000.0, 0.8, 0.8419808221624288, 0.19999999999999996),
        (1000.0, 0.9, 1.2823987214609245, 0.09999999999999999),
        (1000.0, 0.95, 1.6463788172854643, 0.050000000000000044),
        (1000.0, 0.975, 1.962339080826408, 0.025000000000000026),
        (1000.0, 0.99, 2.330082674755513, 0.010000000000000005),
        (1000.0, 0.995, 2.5807546980659506, 0.005000000000000007),
        (1000.0, 0.9995, 3.300282648423944, 0.0004999999999999451),
        (
            1000.0,
            0.999999999,
            6.0536902768005225,
            9.999999717180706e-10,
        ),
        (100000.0, 0.5005, 0.0012533175987274184, 0.49950000000000006),
        (100000.0, 0.6, 0.2533477771571799, 0.4),
        (100000.0, 0.8, 0.841624827996901, 0.19999999999999996),
        (100000.0, 0.9, 1.2815600314493611, 0.09999999999999998),
        (100000.0, 0.95, 1.6448688647849694, 0.05000000000000003),
        (100000.0, 0.975, 1.9599877075346093, 0.025000000000000022),
        (100000.0, 0.99, 2.326385165355268, 0.010000000000000005),
        (100000.0, 0.995, 2.575878469908375, 0.005000000000000001),
        (100000.0, 0.9995, 3.2906240314119137, 0.0004999999999999448),
        (
            100000.0,
            0.999999999,
            5.998361466274278,
            9.999999717180687e-10,
        ),
    ];

    // The module is measured within 1.5e-15 of REFERENCE for quantiles and 5e-15 for
    // tails; the tolerance leaves room for `crate::math`'s functions to round otherwise than
    // the platform's.
    #[test]
    fn matches_a_high_precision_reference() {
        for (nu, p, t, tail) in REFERENCE {
            let q = quantile(p, nu);
            assert!(
                relative(q, t) <= 1e-14,
                "quantile({p}, {nu}) = {q:e}, not {t:e}"
            );
            let s = sf(t, nu);
            assert!(
                relative(s, tail) <= 1e-14,
                "sf({t}, {nu}) = {s:e}, not {tail:e}"
            );
            assert_eq!(cdf(-t, nu), s);
            let c = cdf(t, nu);
            assert!((c - (1.0 - tail)).abs() <= 1e-15, "cdf({t}, {nu}) = {c}");
        }
    }

    #[test]
    fn agrees_with_statrs() {
        for nu in DEGREES_OF_FREEDOM {
            let statrs = StudentsT::new(0.0, 1.0, nu).unwrap();
            // The tolerances are statrs's own error against REFERENCE, rounded up. Its CDF
            // is within 1e-12 up to 30 degrees of freedom (7.6e-13 at most) but loses digits
            // beyond, to a difference of two `ln Γ` and a cap of 140 terms on its continued
            // fraction: 3.2e-12 at 100 and 1000, 1.6e-9 at 1e5.
            let cdf_tolerance = if nu <= 30.0 {
                1e-12
            } else if nu <= 1000.0 {
                1e-11
            } else {
                1e-8
            };
            // Its quantile inverts the beta function in x = nu/(nu+t^2) to an absolute
            // accuracy and then takes t = sqrt(nu (1-x)/x), which cancels near the centre
            // and for many degrees of freedom: 3.4e-11 at most up to 10, 1.3e-10 at 29,
            // 3.2e-9 at 1000, 3.5e-6 at 1e5.
            let quantile_tolerance = if nu <= 10.0 {
                1e-10
            } else if nu <= 1000.0 {
                1e-8
            } else {
                1e-5
            };
            for p in PROBABILITIES {
                let t = quantile(p, nu);
                for x in [t, -t] {
                    let (ours, theirs) = (cdf(x, nu), statrs.cdf(x));
                    assert!(
                        relative(ours, theirs) <= cdf_tolerance,
                        "cdf({x}, {nu}) = {ours:e}, statrs {theirs:e}"
                    );
                    let (ours, theirs) = (sf(x, nu), statrs.sf(x));
                    assert!(
                        relative(ours, theirs) <= cdf_tolerance,
                        "sf({x}, {nu}) = {ours:e}, statrs {theirs:e}"
                    );
                }
                // Our quantile put through statrs's CDF gives p back.
                let tail = statrs.sf(t);
                assert!(
                    relative(tail, 1.0 - p) <= cdf_tolerance,
                    "statrs sf(quantile({p}, {nu})) = {tail:e}"
                );
                if nu == 1.0 && p == 1.0 - 1e-9 {
                    // statrs answers 6.7e7; the quantile is cot(π 1e-9) = 3.18e8.
                    continue;
                }
                let theirs = statrs.inverse_cdf(p);
                assert!(
                    relative(t, theirs) <= quantile_tolerance,
                    "quantile({p}, {nu}) = {t:e}, statrs {theirs:e}"
                );
            }
        }
    }

    #[test]
    fn textbook_values() {
        // mpmath at 50 digits; scipy 1.17's t.ppf agrees. Tables also print 12.706204736174707
        // and 2.2281388519649385 for the first two, but their CDFs are 0.97499999999999999996
        // and 0.974999999999096: those are the ones off in the last digits.
        assert!(relative(quantile(0.975, 1.0), 12.706204736174694) <= 1e-14);
        assert!(relative(quantile(0.975, 10.0), 2.2281388519862744) <= 1e-14);
        // Welch's degrees of freedom in welch.rs's test.
        assert!(relative(quantile(0.975, 11.991195210528177), 2.1789902798902157) <= 1e-14);
        // With 1e7 degrees of freedom t is still 1.2e-7 above the normal's 1.959963984540054.
        assert!(relative(quantile(0.975, 1e7), 1.959964221767205) <= 1e-14);
        assert!(relative(quantile(0.975, 1e7), 1.959963984540054) <= 2e-7);
        assert!(relative(quantile(0.975, f64::INFINITY), 1.959963984540054) <= 1e-15);
        // Two degrees of freedom has a closed form: t = (2p - 1) / sqrt(2 p (1 - p)).
        for p in PROBABILITIES {
            let exact = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
            assert!(relative(quantile(p, 2.0), exact) <= 4e-16, "{p}");
        }
    }

    #[test]
    fn is_antisymmetric_to_the_bit() {
        let degrees_of_freedom = DEGREES_OF_FREEDOM.into_iter().chain([
            0.3,
            11.991195210528177,
            1e7,
            1e30,
            f64::INFINITY,
        ]);
        for nu in degrees_of_freedom {
            // 1 - p is exact for these p, so both calls see the same numbers.
            for p in PROBABILITIES
                .into_iter()
                .chain([0.5, 0.75, 0.7500000000000001, 1.0])
            {
                assert_eq!(quantile(1.0 - p, nu), -quantile(p, nu), "{p} {nu}");
            }
            for t in [
                0.0,
                1e-300,
                0.01,
                0.7,
                1.9,
                3.0,
                40.0,
                1e10,
                1e200,
                f64::INFINITY,
            ] {
                assert_eq!(cdf(-t, nu), sf(t, nu), "{t} {nu}");
                assert_eq!(cdf(t, nu), sf(-t, nu), "{t} {nu}");
            }
        }
    }

    #[test]
    fn cdf_inverts_quantile() {
        let degrees_of_freedom = [
            0.1,
            0.5,
            1.0,
            1.5,
            2.0,
            2.5,
            3.0,
            4.7,
            7.0,
            11.991195210528177,
            60.0,
            1e3,
            1e5,
            1e6,
            1e12,
            1e24,
            1e30,
            f64::INFINITY,
        ];
        let probabilities = [
            1e-300, 1e-100, 1e-20, 1e-12, 1e-9, 1e-3, 0.025, 0.1, 0.2, 0.25, 0.3, 0.4, 0.4995, 0.5,
            0.6, 0.75, 0.8, 0.975, 0.999,
        ];
        for nu in degrees_of_freedom {
            for p in probabilities {
                let t = quantile(p, nu);
                if t == f64::NEG_INFINITY {
                    // Only where the quantile is beyond the largest double.
                    assert!(cdf(-f64::MAX, nu) > p, "{p} {nu}");
                    continue;
                }
                let back = cdf(t, nu);
                // The mass is checked where it is small, relatively: the central mass for p
                // within 1/4 of 1/2, the tail beyond. It moves by the rounding of t times the
                // tail's elasticity (up to nu) plus |ln p| ulps from exp: measured 2.3e-14 at
                // most for p >= 1e-20 and 2.4e-13 below.
                let error = if p == 0.5 {
                    (back - 0.5).abs()
                } else if (0.25..=0.75).contains(&p) {
                    relative(back - 0.5, p - 0.5)
                } else if p < 0.5 {
                    relative(back, p)
                } else {
                    relative(1.0 - back, 1.0 - p)
                };
                let tolerance = if p >= 1e-20 { 1e-13 } else { 1e-12 };
                assert!(
                    error <= tolerance,
                    "cdf(quantile({p}, {nu}) = {t}) = {back:e}"
                );
            }
        }
    }

    #[test]
    fn small_p_values_keep_their_relative_precision() {
        // (t, nu, P(T > t)) from mpmath at 50 digits, as REFERENCE.
        let tails = [
            (1e12, 1.0, 3.1830988618379067e-13),
            (1e4, 3.0, 1.102657751147905e-12),
            (30.0, 10.0, 1.980896171015662e-11),
            (12.0, 30.0, 2.790092707599628e-13),
            (200.0, 4.7, 1.0148765535636343e-10),
            (7.2, 1e5, 3.0316947906176534e-13),
            (25.0, 11.991195210528177, 5.151542306031967e-12),
            (1e30, 0.5, 3.207009754142229e-16),
            (1e100, 2.0, 5e-201),
            (40.0, 1e7, 0.0),
        ];
        for (t, nu, tail) in tails {
            let s = sf(t, nu);
            // exp(-x) carries the rounding of x, so a tail of e^-x is good to about x ulps:
            // 5e-14 at 1e-200.
            let tolerance = if tail >= 1e-20 { 1e-14 } else { 1e-13 };
            assert!(
                relative(s, tail) <= tolerance,
                "sf({t}, {nu}) = {s:e}, not {tail:e}"
            );
        }
        // statrs's tail is accurate for a few degrees of freedom out to large t: ours is
        // measured within 1.8e-13 of it.
        for nu in [1.0, 1.5, 2.0, 3.0, 4.7, 5.0, 10.0, 30.0] {
            let statrs = StudentsT::new(0.0, 1.0, nu).unwrap();
            for t in [5.0, 20.0, 100.0, 1e3, 1e4, 1e6] {
                let (ours, theirs) = (sf(t, nu), statrs.sf(t));
                assert!(
                    relative(ours, theirs) <= 1e-12,
                    "sf({t}, {nu}) = {ours:e}, statrs {theirs:e}"
                );
            }
        }
    }

    #[test]
    fn many_degrees_of_freedom_join_the_normal() {
        let above = NORMAL_DEGREES_OF_FREEDOM * (1.0 + 1e-7);
        for t in [0.001, 0.5, 2.0, 5.0, 37.0] {
            // The beta function's last value against the normal's first.
            let (beta, normal) = (sf(t, NORMAL_DEGREES_OF_FREEDOM), sf(t, above));
            assert!(relative(beta, normal) <= 4e-15, "{t}: {beta:e} {normal:e}");
            assert_eq!(sf(t, f64::INFINITY), normal);
        }
        // 1 - Φ(5) from mpmath.
        assert!(relative(sf(5.0, f64::INFINITY), 2.866515718791939e-7) <= 1e-15);
        for p in PROBABILITIES {
            let (beta, normal) = (quantile(p, NORMAL_DEGREES_OF_FREEDOM), quantile(p, above));
            assert!(relative(beta, normal) <= 4e-15, "{p}: {beta} {normal}");
        }
    }

    #[test]
    fn invalid_inputs_and_limits() {
        for nu in [0.0, -1.0, f64::NAN, f64::NEG_INFINITY] {
            assert!(cdf(1.0, nu).is_nan());
            assert!(sf(1.0, nu).is_nan());
            assert!(quantile(0.9, nu).is_nan());
        }
        assert!(cdf(f64::NAN, 3.0).is_nan());
        assert!(sf(f64::NAN, 3.0).is_nan());
        for p in [-0.1, 1.1, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(quantile(p, 3.0).is_nan(), "{p}");
        }
        for nu in [0.3, 3.0, 1e6, f64::INFINITY] {
            assert_eq!(quantile(0.0, nu), f64::NEG_INFINITY);
            assert_eq!(quantile(1.0, nu), f64::INFINITY);
            assert_eq!(quantile(0.5, nu), 0.0);
            assert_eq!(cdf(0.0, nu), 0.5);
            assert_eq!(sf(0.0, nu), 0.5);
            assert_eq!(cdf(f64::INFINITY, nu), 1.0);
            assert_eq!(cdf(f64::NEG_INFINITY, nu), 0.0);
            assert_eq!(sf(f64::INFINITY, nu), 0.0);
        }
        // With 0.1 degrees of freedom the 1e-300 quantile is beyond the largest double.
        assert_eq!(quantile(1e-300, 0.1), f64::NEG_INFINITY);
    }
}
