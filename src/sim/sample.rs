//! Samplers of the standard normal, exponential, gamma and Poisson distributions, written on
//! [`crate::math`] so that their draws are the same bits on every platform.
//!
//! They follow `rand_distr` 0.5's algorithms draw for draw (the same random words consumed
//! in the same order, the same ziggurat layer edges, see `scripts/math_tables.py`), so
//! replacing `rand_distr`'s samplers changed no result on glibc beyond the rare last bit
//! where glibc's `exp`/`ln` and ours round differently. `rand_distr` calls the platform's
//! library inside each of them (the ziggurat's density and tail, the gamma's acceptance
//! test, the Poisson's rejection steps).
//!
//! Methods: Marsaglia and Tsang's ziggurat (2000) for the normal and the exponential;
//! Marsaglia and Tsang's squeeze (2000) for the gamma, with Stuart's boost for shapes below
//! one; Knuth's product of uniforms for a Poisson mean below 12, Ahrens and Dieter's
//! transformed rejection (1982) above.

use crate::math::{exp, ln, pow};
use crate::sim::rng::Stream;
use rand::distr::Open01;
use rand::{Rng, RngCore};

use crate::math::tables::{ZIG_EXP_F, ZIG_EXP_R, ZIG_EXP_X, ZIG_NORM_F, ZIG_NORM_R, ZIG_NORM_X};

/// A double in [1, 2) from the top 52 of a word's bits, exponent `exponent` added.
#[inline(always)]
fn from_fraction_bits(bits: u64, exponent: u64) -> f64 {
    f64::from_bits((bits >> 12) | ((1023 + exponent) << 52))
}

/// One ziggurat draw: the layer from the low 8 bits of a word, the abscissa from its top 52
/// (symmetric: in [-1, 1) times the layer's edge). `tail` samples beyond the last edge.
#[inline(always)]
fn ziggurat(
    rng: &mut Stream,
    symmetric: bool,
    x_tab: &[f64; 257],
    f_tab: &[f64; 257],
    density: impl Fn(f64) -> f64,
    tail: impl Fn(&mut Stream, f64) -> f64,
) -> f64 {
    loop {
        let bits = rng.next_u64();
        let i = (bits & 0xFF) as usize;
        let u = if symmetric {
            from_fraction_bits(bits, 1) - 3.0
        } else {
            from_fraction_bits(bits, 0) - (1.0 - f64::EPSILON / 2.0)
        };
        let x = u * x_tab[i];
        let test_x = if symmetric { x.abs() } else { x };
        if test_x < x_tab[i + 1] {
            return x;
        }
        if i == 0 {
            return tail(rng, u);
        }
        if f_tab[i + 1] + (f_tab[i] - f_tab[i + 1]) * rng.random::<f64>() < density(x) {
            return x;
        }
    }
}

/// A standard normal draw.
#[inline]
pub fn standard_normal(rng: &mut Stream) -> f64 {
    ziggurat(
        rng,
        true,
        &ZIG_NORM_X,
        &ZIG_NORM_F,
        |x| exp(-x * x / 2.0),
        |rng, u| {
            // Marsaglia's tail method: x beyond R with density proportional to exp(-x^2/2).
            let mut x = 1.0f64;
            let mut y = 0.0f64;
            while -2.0 * y < x * x {
                let x_: f64 = rng.sample(Open01);
                let y_: f64 = rng.sample(Open01);
                x = ln(x_) / ZIG_NORM_R;
                y = ln(y_);
            }
            if u < 0.0 {
                x - ZIG_NORM_R
            } else {
                ZIG_NORM_R - x
            }
        },
    )
}

/// An exponential draw of mean 1.
#[inline]
pub fn standard_exponential(rng: &mut Stream) -> f64 {
    ziggurat(
        rng,
        false,
        &ZIG_EXP_X,
        &ZIG_EXP_F,
        |x| exp(-x),
        |rng, _| ZIG_EXP_R - ln(rng.random::<f64>()),
    )
}

/// A gamma draw; NaN unless the shape and the scale are positive.
pub fn gamma(shape: f64, scale: f64, rng: &mut Stream) -> f64 {
    if shape.is_nan() || scale.is_nan() || shape <= 0.0 || scale <= 0.0 {
        return f64::NAN;
    }
    if shape == 1.0 {
        // An exponential of rate 1/scale, as rand_distr computes its mean.
        return standard_exponential(rng) * (1.0 / (1.0 / scale));
    }
    if shape < 1.0 {
        let u: f64 = rng.sample(Open01);
        return gamma_large_shape(shape + 1.0, scale, rng) * pow(u, 1.0 / shape);
    }
    gamma_large_shape(shape, scale, rng)
}

/// Marsaglia and Tsang's method, for a shape of at least one.
fn gamma_large_shape(shape: f64, scale: f64, rng: &mut Stream) -> f64 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v_cbrt = 1.0 + c * x;
        if v_cbrt <= 0.0 {
            continue;
        }
        let v = v_cbrt * v_cbrt * v_cbrt;
        let u: f64 = rng.sample(Open01);
        let x_sqr = x * x;
        if u < 1.0 - 0.0331 * x_sqr * x_sqr || ln(u) < 0.5 * x_sqr + d * (1.0 - v + ln(v)) {
            return d * v * scale;
        }
    }
}

/// The largest Poisson mean sampled (rand_distr's bound: larger means could overflow u64).
const POISSON_MAX_MEAN: f64 = 1.844e19;

/// A Poisson draw, as a float; NaN for a mean that is not positive and finite, or too large.
pub fn poisson(mean: f64, rng: &mut Stream) -> f64 {
    if !mean.is_finite() || mean <= 0.0 || mean > POISSON_MAX_MEAN {
        return f64::NAN;
    }
    if mean < 12.0 {
        let limit = exp(-mean);
        let mut result = 1.0;
        let mut p: f64 = rng.random();
        while p > limit {
            p *= rng.random::<f64>();
            result += 1.0;
        }
        return result - 1.0;
    }
    PoissonRejection::new(mean).sample(rng)
}

/// Ahrens and Dieter's (1982) method for means of 12 and more: a normal draw accepted by a
/// squeeze or a comparison, then exponential draws until one is accepted.
struct PoissonRejection {
    lambda: f64,
    s: f64,
    d: f64,
    l: f64,
    c: f64,
    c0: f64,
    c1: f64,
    c2: f64,
    c3: f64,
    omega: f64,
}

impl PoissonRejection {
    fn new(lambda: f64) -> Self {
        let b1 = (1.0 / 24.0) / lambda;
        let b2 = 0.3 * b1 * b1;
        let c3 = (1.0 / 7.0) * b1 * b2;
        let c2 = b2 - 15.0 * c3;
        let c1 = b1 - 6.0 * b2 + 45.0 * c3;
        let c0 = 1.0 - b1 + 3.0 * b2 - 15.0 * c3;
        PoissonRejection {
            lambda,
            s: lambda.sqrt(),
            d: 6.0 * (lambda * lambda),
            l: (lambda - 1.1484).floor(),
            c: 0.1069 / lambda,
            c0,
            c1,
            c2,
            c3,
            omega: 1.0 / (2.0 * std::f64::consts::PI).sqrt() / lambda.sqrt(),
        }
    }

    /// Step F: the terms of the acceptance tests at k.
    fn terms(&self, k: f64) -> (f64, f64, f64, f64) {
        const FACTORIALS: [f64; 10] = [
            1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0, 5040.0, 40320.0, 362880.0,
        ];
        // Coefficients of Ahrens and Dieter's table 1.
        const A: [f64; 10] = [
            -0.5000000002,
            0.3333333343,
            -0.2499998565,
            0.1999997049,
            -0.1666848753,
            0.1428833286,
            -0.1241963125,
            0.1101687109,
            -0.1142650302,
            0.1055093006,
        ];
        let (px, py) = if k < 10.0 {
            (-self.lambda, pow(self.lambda, k) / FACTORIALS[k as usize])
        } else {
            let delta = (12.0 * k).recip();
            let delta = delta - 4.8 * (delta * delta * delta);
            let v = (self.lambda - k) / k;
            let px = if v.abs() <= 0.25 {
                k * (v * v) * A.iter().rev().fold(0.0, |acc, &a| acc * v + a) - delta
            } else {
                k * ln(1.0 + v) - (self.lambda - k) - delta
            };
            (px, 1.0 / (2.0 * std::f64::consts::PI).sqrt() / k.sqrt())
        };
        let x = (k - self.lambda + 0.5) / self.s;
        let fx = -0.5 * x * x;
        let fy = self.omega * (((self.c3 * x * x + self.c2) * x * x + self.c1) * x * x + self.c0);
        (px, py, fx, fy)
    }

    fn sample(&self, rng: &mut Stream) -> f64 {
        // Step N: a normal draw, kept by the squeeze (I, S) or the comparison (P).
        let g = self.lambda + self.s * standard_normal(rng);
        if g >= 0.0 {
            let k1 = g.floor();
            if k1 >= self.l {
                return k1;
            }
            let u: f64 = rng.random();
            let distance = self.lambda - k1;
            if self.d * u >= distance * distance * distance {
                return k1;
            }
            let (px, py, fx, fy) = self.terms(k1);
            if fy * (1.0 - u) <= py * exp(px - fx) {
                return k1;
            }
        }
        loop {
            // Step E: a double exponential draw, accepted by step H.
            let e = standard_exponential(rng);
            let u: f64 = rng.random::<f64>() * 2.0 - 1.0;
            let t = 1.8 + e * u.signum();
            if t > -0.6744 {
                let k2 = (self.lambda + self.s * t).floor();
                let (px, py, fx, fy) = self.terms(k2);
                if self.c * u.abs() <= py * exp(px + e) - fy * exp(fx + e) {
                    return k2;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
