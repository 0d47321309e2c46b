//! The samplers against `rand_distr`'s, draw for draw: on the same stream they must consume
//! the same random words and give the same values, except where glibc's `exp`/`ln` and
//! ours round differently (a last-bit difference, rarely).

#![allow(clippy::disallowed_types)] // rand_distr's samplers are the reference here

use super::*;
use crate::sim::rng;
use rand_distr::{Distribution, Exp1, Gamma, Poisson, StandardNormal};

/// Draws `count` values with `ours` and with `theirs` from two copies of one stream, checks
/// that both leave the stream in the same state after every draw, and that the values agree
/// to a relative 1e-12, bit for bit in all but `allowed_differences` of them. (Measured: no
/// difference but in gamma draws of shape below one, whose `pow` differs from glibc's in the
/// last bit in 33 of 50,000 draws: our `pow` is within an ulp, glibc's within half.)
fn same_draws(
    name: &str,
    count: usize,
    allowed_differences: usize,
    ours: impl Fn(&mut Stream) -> f64,
    theirs: impl Fn(&mut Stream) -> f64,
) {
    let mut a = rng::stream(rng::replication_seed(11, 0), rng::INSTANCE, 0, 0);
    let mut b = a.clone();
    let mut differences = 0;
    for draw in 0..count {
        let (x, y) = (ours(&mut a), theirs(&mut b));
        assert!(
            (x - y).abs() <= 1e-12 * y.abs(),
            "{name}: draw {draw} is {x:e}, rand_distr's {y:e}"
        );
        differences += usize::from(x.to_bits() != y.to_bits());
        assert_eq!(a, b, "{name}: draw {draw} consumed other random words");
    }
    assert!(
        differences <= allowed_differences,
        "{name}: {differences} of {count} draws differ in their last bits"
    );
}

#[test]
fn the_samplers_draw_what_rand_distr_draws() {
    same_draws("normal", 200_000, 2, standard_normal, |rng| {
        StandardNormal.sample(rng)
    });
    same_draws("exponential", 200_000, 2, standard_exponential, |rng| {
        Exp1.sample(rng)
    });
    for shape in [0.3, 1.0, 2.5, 40.0] {
        let theirs = Gamma::new(shape, 3.0).expect("valid");
        same_draws(
            &format!("gamma({shape})"),
            50_000,
            50,
            |rng| gamma(shape, 3.0, rng),
            |rng| theirs.sample(rng),
        );
    }
    for mean in [0.7, 11.5, 12.0, 30.0, 1e4] {
        let theirs = Poisson::new(mean).expect("valid");
        same_draws(
            &format!("poisson({mean})"),
            50_000,
            0,
            |rng| poisson(mean, rng),
            |rng| theirs.sample(rng),
        );
    }
}

#[test]
fn invalid_parameters_give_nan() {
    let mut stream = rng::stream(1, rng::INSTANCE, 0, 0);
    for (shape, scale) in [
        (0.0, 1.0),
        (-1.0, 1.0),
        (1.0, 0.0),
        (f64::NAN, 1.0),
        (2.0, f64::NAN),
    ] {
        assert!(
            gamma(shape, scale, &mut stream).is_nan(),
            "gamma({shape}, {scale})"
        );
    }
    for mean in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e20] {
        assert!(poisson(mean, &mut stream).is_nan(), "poisson({mean})");
    }
}
