//! The t-tests `pipesim compare` reports between two sets of replications: the difference
//! of means `B - A` with its confidence interval, the degrees of freedom and a two-sided
//! p-value. Welch's unequal-variance test for independent replications; the paired test
//! when replication `i` of A and of B share their random numbers (the same seed: common
//! random numbers), which removes the variance the two have in common.

use super::{finite, mean, sample_variance, student_t, t_critical};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TTest {
    /// `mean(b) - mean(a)`.
    pub difference: f64,
    /// Half-width of the confidence interval of the difference.
    pub ci: f64,
    /// The t statistic of `b - a`.
    pub t: f64,
    /// Welch–Satterthwaite degrees of freedom, or `n - 1` for the paired test.
    pub degrees_of_freedom: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Tests whether the finite values of `a` and `b` have different means. `None` when either
/// side has fewer than two finite values (there is no variance to test with).
///
/// When both sides have zero variance the t statistic is undefined; the test then reports
/// p = 1 if the means are equal and p = 0 if they differ (a deterministic difference).
pub fn welch_test(a: &[f64], b: &[f64], confidence: f64) -> Option<TTest> {
    let (a, b) = (finite(a), finite(b));
    let (variance_a, variance_b) = (sample_variance(&a)?, sample_variance(&b)?);
    let (n_a, n_b) = (a.len() as f64, b.len() as f64);
    let difference = mean(&b)? - mean(&a)?;
    let (term_a, term_b) = (variance_a / n_a, variance_b / n_b);
    let standard_error = (term_a + term_b).sqrt();
    let degrees_of_freedom = if standard_error == 0.0 {
        n_a + n_b - 2.0
    } else {
        let total = term_a + term_b;
        total * total / (term_a * term_a / (n_a - 1.0) + term_b * term_b / (n_b - 1.0))
    };
    Some(t_test(
        difference,
        standard_error,
        degrees_of_freedom,
        confidence,
    ))
}

/// The paired t-test of `b[i] - a[i]` over the pairs where both are finite. `None` with
/// fewer than two such pairs. Zero variance of the differences is decided as in
/// [`welch_test`]: p = 1 when they are all zero, p = 0 otherwise.
pub fn paired_test(a: &[f64], b: &[f64], confidence: f64) -> Option<TTest> {
    let differences: Vec<f64> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| y - x)
        .collect();
    let n = differences.len() as f64;
    let difference = mean(&differences)?;
    let standard_error = (sample_variance(&differences)? / n).sqrt();
    Some(t_test(difference, standard_error, n - 1.0, confidence))
}

/// The two-sided t-test of `difference` with its `standard_error`. A zero standard error
/// leaves t undefined: p = 1 if the difference is zero, 0 otherwise (deterministic).
fn t_test(difference: f64, standard_error: f64, degrees_of_freedom: f64, confidence: f64) -> TTest {
    if standard_error == 0.0 {
        return TTest {
            difference,
            ci: 0.0,
            t: if difference == 0.0 {
                0.0
            } else {
                difference.signum() * f64::INFINITY
            },
            degrees_of_freedom,
            p_value: if difference == 0.0 { 1.0 } else { 0.0 },
        };
    }
    let t = difference / standard_error;
    // Checked here because `min` would turn the NaN of invalid degrees of freedom into 1.
    let p_value = if degrees_of_freedom > 0.0 {
        (2.0 * student_t::sf(t.abs(), degrees_of_freedom)).min(1.0)
    } else {
        f64::NAN
    };
    TTest {
        difference,
        ci: t_critical(confidence, degrees_of_freedom) * standard_error,
        t,
        degrees_of_freedom,
        p_value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, relative: f64) -> bool {
        (actual - expected).abs() <= relative * expected.abs()
    }

    // Reference computed with scipy 1.17.1:
    //   a = [12.1, 14.3, 11.8, 13.9, 12.7, 15.2, 13.3, 12.9]
    //   b = [10.2, 11.9, 10.8, 12.5, 11.1, 10.6]
    //   r = stats.ttest_ind(a, b, equal_var=False)
    //   r.statistic = 3.901315014688107 (for a - b), r.pvalue = 0.002107882353818832,
    //   r.df = 11.991195210528177
    //   r.confidence_interval(0.95) half-width = 1.1682525810598765
    #[test]
    fn matches_scipy_welch() {
        let a = [12.1, 14.3, 11.8, 13.9, 12.7, 15.2, 13.3, 12.9];
        let b = [10.2, 11.9, 10.8, 12.5, 11.1, 10.6];
        let w = welch_test(&a, &b, 0.95).unwrap();
        assert!(close(w.t, -3.901315014688107, 1e-9), "{w:?}");
        assert!(close(w.p_value, 0.002107882353818832, 1e-6), "{w:?}");
        assert!(
            close(w.degrees_of_freedom, 11.991195210528177, 1e-9),
            "{w:?}"
        );
        assert!(close(w.ci, 1.1682525810598765, 1e-9), "{w:?}");
        // mean(b) - mean(a) = 11.183333... - 13.275
        assert!(
            close(w.difference, 11.183333333333334 - 13.275, 1e-12),
            "{w:?}"
        );
    }

    // Reference computed with scipy 1.17.1:
    //   a = [12.1, 14.3, 11.8, 13.9, 12.7, 15.2, 13.3, 12.9]
    //   b = [11.0, 13.9, 11.5, 12.8, 12.9, 14.1, 12.4, 12.0]
    //   r = stats.ttest_rel(b, a)
    //   r.statistic = -4.115613150544918, r.pvalue = 0.004484188311200235, r.df = 7
    //   r.confidence_interval(0.95) half-width = 0.4021847816031484
    // (Welch's test on the same values gives p = 0.23: pairing removes what they share.)
    #[test]
    fn matches_scipy_paired() {
        let a = [12.1, 14.3, 11.8, 13.9, 12.7, 15.2, 13.3, 12.9];
        let b = [11.0, 13.9, 11.5, 12.8, 12.9, 14.1, 12.4, 12.0];
        let p = paired_test(&a, &b, 0.95).unwrap();
        assert!(close(p.t, -4.115613150544918, 1e-9), "{p:?}");
        assert!(close(p.p_value, 0.004484188311200235, 1e-6), "{p:?}");
        assert_eq!(p.degrees_of_freedom, 7.0);
        assert!(close(p.ci, 0.4021847816031484, 1e-9), "{p:?}");
        assert!(close(p.difference, -0.7, 1e-9), "{p:?}");
        // A pair with a missing value is left out whole.
        let mut b_missing = b;
        b_missing[0] = f64::NAN;
        assert_eq!(
            paired_test(&a, &b_missing, 0.95)
                .unwrap()
                .degrees_of_freedom,
            6.0
        );
    }

    #[test]
    fn is_symmetric_in_p_value() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [2.5, 3.5, 4.0, 6.0];
        let ab = welch_test(&a, &b, 0.95).unwrap();
        let ba = welch_test(&b, &a, 0.95).unwrap();
        assert_eq!(ab.p_value, ba.p_value);
        assert_eq!(ab.difference, -ba.difference);
    }

    #[test]
    fn equal_samples_are_not_different() {
        // stats.ttest_ind([5.0, 5.1], [5.0, 5.1], equal_var=False): t = 0, p = 1, df = 2
        let w = welch_test(&[5.0, 5.1], &[5.0, 5.1], 0.95).unwrap();
        assert_eq!(w.t, 0.0);
        assert!(close(w.p_value, 1.0, 1e-12));
        assert!(close(w.degrees_of_freedom, 2.0, 1e-12));
    }

    #[test]
    fn constant_samples_are_decided_without_a_t_distribution() {
        assert_eq!(
            welch_test(&[3.0, 3.0], &[3.0, 3.0], 0.95).unwrap().p_value,
            1.0
        );
        assert_eq!(
            welch_test(&[3.0, 3.0], &[4.0, 4.0], 0.95).unwrap().p_value,
            0.0
        );
    }

    #[test]
    fn needs_two_values_on_each_side() {
        assert_eq!(welch_test(&[1.0], &[1.0, 2.0], 0.95), None);
        assert_eq!(welch_test(&[1.0, f64::NAN], &[1.0, 2.0], 0.95), None);
    }
}
