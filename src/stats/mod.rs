//! Statistics over replications: means, Student-t confidence intervals, Welch's t-test and
//! the warm-up check.
//! (Percentiles within a replication are the engine's: `sim::metrics`.)
//!
//! Invariants:
//! - Pure functions of their inputs, summing in the order given, so the same values in the
//!   same order give the same bits (a merged run's summary equals the unsharded run's).
//! - Values that are not finite (NaN where a metric is undefined in a replication, such as a
//!   mean wait over no pipelines) are left out; `n` counts the values that were used.
//! - A confidence half-width needs at least two values: with `n < 2` it is `None` (written
//!   as `null` in `summary.json`), never a made-up zero.

pub mod student_t;
pub mod warmup;
mod welch;

pub use welch::{paired_test, welch_test, TTest};

/// Mean and confidence half-width of one metric at one sweep point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// `None` when no replication gave a finite value.
    pub mean: Option<f64>,
    /// Student-t half-width at the experiment's confidence; `None` when `n < 2`.
    pub ci: Option<f64>,
    /// Replications that gave a finite value.
    pub n: usize,
}

/// The finite values of `values`, in order.
pub fn finite(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| v.is_finite()).collect()
}

/// Arithmetic mean, summed in order; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// Unbiased sample variance (divisor `n - 1`); `None` for fewer than two values.
pub fn sample_variance(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let mean = mean(values)?;
    let sum_of_squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    Some(sum_of_squares / (values.len() - 1) as f64)
}

/// The two-sided Student-t critical value: the `(1 + confidence) / 2` quantile with
/// `degrees_of_freedom`. `confidence` must be in (0, 1) and the degrees of freedom positive.
pub fn t_critical(confidence: f64, degrees_of_freedom: f64) -> f64 {
    if confidence > 0.0 && confidence < 1.0 {
        // NaN for degrees of freedom that are NaN or not positive.
        student_t::quantile((1.0 + confidence) / 2.0, degrees_of_freedom)
    } else {
        f64::NAN
    }
}

/// Mean and Student-t confidence half-width of the finite values of `values`.
pub fn estimate(values: &[f64], confidence: f64) -> Estimate {
    let values = finite(values);
    let n = values.len();
    let ci = sample_variance(&values).map(|variance| {
        let standard_error = (variance / n as f64).sqrt();
        if standard_error == 0.0 {
            // Every replication gave the same value: the interval is the point.
            0.0
        } else {
            t_critical(confidence, (n - 1) as f64) * standard_error
        }
    });
    Estimate {
        mean: mean(&values),
        ci,
        n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference numbers computed with Python 3.11, numpy and scipy 1.17.1:
    //   a = [12.1, 14.3, 11.8, 13.9, 12.7, 15.2, 13.3, 12.9]
    //   np.mean(a)                                                  -> 13.275
    //   stats.t.ppf((1 + c) / 2, 7) * np.std(a, ddof=1) / sqrt(8)
    //     c = 0.95 -> 0.957130514638773
    //     c = 0.99 -> 1.4164881575187716
    //     c = 0.90 -> 0.7668698289345328
    const A: [f64; 8] = [12.1, 14.3, 11.8, 13.9, 12.7, 15.2, 13.3, 12.9];

    fn close(actual: f64, expected: f64, relative: f64) -> bool {
        (actual - expected).abs() <= relative * expected.abs()
    }

    #[test]
    fn confidence_half_width_matches_scipy() {
        for (confidence, expected) in [
            (0.95, 0.957130514638773),
            (0.99, 1.4164881575187716),
            (0.90, 0.7668698289345328),
        ] {
            let e = estimate(&A, confidence);
            assert!(close(e.mean.unwrap(), 13.275, 1e-12), "{e:?}");
            assert!(close(e.ci.unwrap(), expected, 1e-9), "{confidence}: {e:?}");
            assert_eq!(e.n, 8);
        }
    }

    #[test]
    fn t_critical_matches_scipy() {
        // stats.t.ppf(0.975, 1), stats.t.ppf(0.975, 4), stats.t.ppf(0.995, 30)
        assert!(close(t_critical(0.95, 1.0), 12.706204736174694, 1e-9));
        assert!(close(t_critical(0.95, 4.0), 2.7764451051977934, 1e-9));
        assert!(close(t_critical(0.99, 30.0), 2.7499956535672254, 1e-9));
    }

    #[test]
    fn t_critical_values_are_pinned_and_within_an_ulp_of_the_exact_ones() {
        // Exact: the quantile at p = (1 + 0.95) / 2 as a double (just below 0.975), to 50
        // digits (mpmath), rounded to the nearest double. Pinned: what pipesim computes,
        // the half-widths' factors for 2 to 100 replications, the same bits on every
        // platform (a change here changes every interval in summary.json).
        for (degrees_of_freedom, exact, pinned) in [
            (1.0, 12.706204736174694, 12.706204736174694),
            (2.0, 4.302652729749462, 4.302652729749462),
            (3.0, 3.1824463052837086, 3.182446305283708),
            (4.0, 2.7764451051977934, 2.776445105197794),
            (9.0, 2.262157162798205, 2.2621571627982053),
            (19.0, 2.093024054408309, 2.093024054408309),
            (29.0, 2.045229642132704, 2.045229642132704),
            (99.0, 1.9842169515864172, 1.9842169515864172),
        ] {
            let t = t_critical(0.95, degrees_of_freedom);
            assert!(
                t.to_bits().abs_diff(f64::to_bits(exact)) <= 1,
                "{degrees_of_freedom}: {t}, exactly {exact}"
            );
            assert_eq!(
                t.to_bits(),
                f64::to_bits(pinned),
                "{degrees_of_freedom}: {t}"
            );
        }
    }

    #[test]
    fn undefined_values_are_left_out_and_counted() {
        let e = estimate(&[f64::NAN, 2.0, 4.0, f64::INFINITY], 0.95);
        assert_eq!(e.n, 2);
        assert_eq!(e.mean, Some(3.0));
        // Two values: t(0.975, 1) * sd / sqrt(2) = 12.7062... * sqrt(2) / sqrt(2).
        assert!(close(e.ci.unwrap(), 12.706204736174694, 1e-9));
    }

    #[test]
    fn one_value_has_a_mean_but_no_interval() {
        assert_eq!(
            estimate(&[5.0], 0.95),
            Estimate {
                mean: Some(5.0),
                ci: None,
                n: 1
            }
        );
        assert_eq!(
            estimate(&[f64::NAN], 0.95),
            Estimate {
                mean: None,
                ci: None,
                n: 0
            }
        );
    }

    #[test]
    fn identical_values_give_a_zero_width_interval() {
        assert_eq!(estimate(&[7.0, 7.0, 7.0], 0.95).ci, Some(0.0));
    }
}
