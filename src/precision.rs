//! `pipesim run --precision METRIC=5%` (or `=±30s`): replications until a metric's confidence
//! interval is narrow enough at every sweep point (the sequential procedures of Law and
//! Kelton, *Simulation Modeling and Analysis*, section 9.4.1).
//!
//! The run starts with the experiment's replications, then doubles them (up to
//! `--max-replications`) while some point's interval is too wide. A relative target γ wants
//! the half-width within γ' = γ/(1+γ) of the mean: that bound keeps the actual relative error
//! below γ at the stated confidence. An absolute target wants the half-width within it. Every point gets
//! the same count, so the run is laid out like any other, and the decision depends only on
//! the results, which depend only on the scenario and seed: the same command gives the same
//! bytes on any number of threads, and the run equals one made with the final count.

use crate::analysis::units::{written_quantity, Dim};
use crate::output::summary::Summary;
use crate::output::table::Unit;

#[derive(Clone, Debug, PartialEq)]
pub struct Precision {
    pub metric: String,
    pub target: Target,
}

/// How narrow the interval must be.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// γ, the relative error to reach, e.g. 0.05 (`5%`).
    Relative(f64),
    /// The largest half-width, in the metric's base units (`±30s` is 30), as written.
    Absolute { half_width: f64, written: String },
}

/// A point whose interval is still too wide: its index and the half-width it has, relative
/// to the mean for a relative target, in base units for an absolute one (`None` when it has
/// no interval yet: fewer than two finite values, or, for a relative target, a zero mean
/// with a nonzero half-width).
#[derive(Clone, Debug, PartialEq)]
pub struct Unmet {
    pub point: usize,
    pub achieved: Option<f64>,
}

impl Precision {
    /// Parses `METRIC=5%` or `METRIC=0.05` (relative), and `METRIC=±30s`, `METRIC=30s` or
    /// `METRIC=+-2%` (absolute: a `±` or a time or size unit).
    pub fn parse(text: &str) -> Result<Precision, String> {
        let usage = || {
            format!(
                "expected `--precision METRIC=PERCENT` or `METRIC=±HALF_WIDTH`, such as `--precision pipeline.wait.mean=5%` or `--precision pipeline.wait.mean=±30s`, found `{text}`"
            )
        };
        let (metric, value) = text.split_once('=').ok_or_else(usage)?;
        let (metric, value) = (metric.trim(), value.trim());
        if metric.is_empty() {
            return Err(usage());
        }
        let plus_minus = ["±", "+-", "+/-"]
            .iter()
            .find_map(|sign| value.strip_prefix(sign));
        let quantity = written_quantity(plus_minus.unwrap_or(value)).ok_or_else(usage)?;
        let with_unit = !quantity.unit.is_empty() && quantity.unit != "%";
        if plus_minus.is_some() || with_unit {
            return Self::absolute(metric, value, quantity);
        }
        let relative = quantity.base();
        if !(relative > 0.0 && relative < 1.0) {
            return Err(format!(
                "`--precision` needs a relative error between 0% and 100%, such as 5%, or a half-width such as ±30s; found `{value}`"
            ));
        }
        Ok(Precision {
            metric: metric.to_string(),
            target: Target::Relative(relative),
        })
    }

    fn absolute(
        metric: &str,
        value: &str,
        quantity: crate::analysis::units::WrittenQuantity,
    ) -> Result<Precision, String> {
        let half_width = quantity.base();
        if !(half_width > 0.0 && half_width.is_finite()) {
            return Err(format!(
                "`--precision` needs a half-width above zero, such as ±30s; found `{value}`"
            ));
        }
        // The unit must be the metric's kind: a wait in time, link bytes in sizes.
        let unit_dim =
            crate::analysis::units::parse_unit(&quantity.unit).map_or(Dim::NONE, |unit| unit.dim);
        let (metric_dim, example) = match Unit::of(metric) {
            Unit::Seconds => (Dim::TIME, "a time such as ±30s"),
            Unit::Bytes => (Dim::SIZE, "a size such as ±10GB"),
            Unit::Fraction => (Dim::NONE, "a percentage such as ±1%"),
            Unit::Plain => (Dim::NONE, "a plain number such as ±10"),
        };
        if unit_dim != metric_dim {
            return Err(format!(
                "`--precision {metric}={value}`: the half-width of `{metric}` is {example}"
            ));
        }
        Ok(Precision {
            metric: metric.to_string(),
            target: Target::Absolute {
                half_width,
                written: value.to_string(),
            },
        })
    }

    /// Relative targets: the largest half-width to mean ratio that meets it, γ/(1+γ).
    pub fn bound(relative: f64) -> f64 {
        relative / (1.0 + relative)
    }

    /// The target as stderr states it once met: `within 5% of the mean`, `within ±30s`.
    pub fn describe(&self) -> String {
        match &self.target {
            Target::Relative(relative) => format!(
                "`{}` within {}% of the mean",
                self.metric,
                crate::output::table::format_percent(*relative)
            ),
            Target::Absolute { written, .. } => {
                let written = written.trim_start_matches(['±', '+', '-', '/']);
                format!("`{}` within ±{written}", self.metric)
            }
        }
    }

    /// The points of `summary` whose interval for the metric is still too wide.
    pub fn unmet(&self, summary: &Summary) -> Vec<Unmet> {
        summary
            .points
            .iter()
            .filter_map(|point| {
                let estimate = point.metric(&self.metric);
                let (achieved, met) = match &self.target {
                    Target::Relative(relative) => {
                        let achieved = estimate.and_then(|e| match (e.mean, e.ci) {
                            (Some(_), Some(0.0)) => Some(0.0),
                            (Some(mean), Some(ci)) if mean != 0.0 => Some(ci / mean.abs()),
                            _ => None,
                        });
                        (
                            achieved,
                            achieved.is_some_and(|r| r <= Self::bound(*relative)),
                        )
                    }
                    Target::Absolute { half_width, .. } => {
                        let achieved = estimate.and_then(|e| e.mean.and(e.ci));
                        (achieved, achieved.is_some_and(|ci| ci <= *half_width))
                    }
                };
                (!met).then_some(Unmet {
                    point: point.point,
                    achieved,
                })
            })
            .collect()
    }
}

/// The next replication count: twice as many, at most `max`.
pub fn next_count(replications: u32, max: u32) -> u32 {
    replications.saturating_mul(2).max(1).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::{Params, WorkItem};
    use crate::output::records::Record;
    use crate::output::summary;

    #[test]
    fn the_target_is_read_as_a_percentage_or_a_fraction() {
        let five = Precision {
            metric: "pipeline.wait.mean".into(),
            target: Target::Relative(0.05),
        };
        assert_eq!(Precision::parse("pipeline.wait.mean=5%"), Ok(five.clone()));
        assert_eq!(Precision::parse(" pipeline.wait.mean = 0.05 "), Ok(five));
        for bad in [
            "pipeline.wait.mean",
            "=5%",
            "x=five",
            "x=0%",
            "x=100%",
            "x=-3%",
        ] {
            let message = Precision::parse(bad).unwrap_err();
            assert!(message.contains("--precision"), "{bad}: {message}");
        }
    }

    /// The summary of metric `m` with these values per point.
    fn summary_of(points: &[Params], values: &[(usize, &[f64])]) -> summary::Summary {
        let records: Vec<Record> = values
            .iter()
            .flat_map(|&(point, vs)| {
                vs.iter().enumerate().map(move |(r, &v)| Record {
                    item: WorkItem {
                        point,
                        replication: r as u32,
                    },
                    metrics: vec![("m".into(), v)],
                    wait_batches: None,
                })
            })
            .collect();
        summary::summarize("s", 1, 0.95, points, &records)
    }

    #[test]
    fn a_half_width_is_read_with_a_plus_minus_or_a_unit_of_the_metric_s_kind() {
        let absolute = |metric: &str, half_width: f64, written: &str| Precision {
            metric: metric.into(),
            target: Target::Absolute {
                half_width,
                written: written.into(),
            },
        };
        let wait = "pipeline.wait.mean";
        assert_eq!(
            Precision::parse("pipeline.wait.mean=±30s"),
            Ok(absolute(wait, 30.0, "±30s"))
        );
        assert_eq!(
            Precision::parse("pipeline.wait.mean = 2min"),
            Ok(absolute(wait, 120.0, "2min"))
        );
        assert_eq!(
            Precision::parse("pipeline.completed=+-10"),
            Ok(absolute("pipeline.completed", 10.0, "+-10"))
        );
        let utilization = Precision::parse("resource.gpu.utilization=+/-1%").unwrap();
        assert!(
            matches!(utilization.target, Target::Absolute { half_width, .. }
            if (half_width - 0.01).abs() < 1e-15)
        );
        assert!(Precision::parse("link.storage.bytes=±10GB").is_ok());
        assert_eq!(
            Precision::parse("pipeline.wait.mean=±30s")
                .unwrap()
                .describe(),
            "`pipeline.wait.mean` within ±30s"
        );
        // A unit of the wrong kind, or a half-width of zero, is refused and says why.
        for (bad, says) in [
            ("pipeline.wait.mean=±10GB", "a time such as ±30s"),
            ("pipeline.wait.mean=±30", "a time such as ±30s"),
            ("pipeline.completed=5min", "a plain number such as ±10"),
            ("link.storage.bytes=±1h", "a size such as ±10GB"),
            ("pipeline.wait.mean=±0s", "above zero"),
            ("pipeline.wait.mean=±thirty", "--precision"),
        ] {
            let message = Precision::parse(bad).unwrap_err();
            assert!(message.contains(says), "{bad}: {message}");
        }
    }

    #[test]
    fn an_absolute_target_is_met_when_the_half_width_is_within_it() {
        let points = vec![Params::new(), Params::new()];
        // Point 0: 99, 101 (half-width 12.7 with 2 values); point 1: 99.9, 100.1 (1.27).
        let values: &[(usize, &[f64])] = &[(0, &[99.0, 101.0]), (1, &[99.9, 100.1])];
        let summary = summary_of(&points, values);
        let within = |half_width: f64| Precision {
            metric: "m".into(),
            target: Target::Absolute {
                half_width,
                written: String::new(),
            },
        };
        let wide = summary.points[0].metric("m").unwrap().ci.unwrap();
        let narrow = summary.points[1].metric("m").unwrap().ci.unwrap();
        assert!(within(wide).unmet(&summary).is_empty());
        let unmet = within(wide * 0.999).unmet(&summary);
        assert_eq!(
            unmet,
            vec![Unmet {
                point: 0,
                achieved: Some(wide)
            }]
        );
        assert_eq!(within(narrow * 0.999).unmet(&summary).len(), 2);
    }

    #[test]
    fn a_point_is_met_when_its_half_width_is_within_the_adjusted_bound() {
        let points = vec![Params::new(), Params::new(), Params::new()];
        // Point 0: values 99, 101 (mean 100, half-width 12.7 with 2 values: unmet at 5%);
        // point 1: all 50 (half-width 0: met); point 2: one value (no interval: unmet).
        let values: &[(usize, &[f64])] = &[(0, &[99.0, 101.0]), (1, &[50.0, 50.0]), (2, &[7.0])];
        let summary = summary_of(&points, values);
        let target = Precision {
            metric: "m".into(),
            target: Target::Relative(0.05),
        };
        let unmet = target.unmet(&summary);
        assert_eq!(unmet.len(), 2);
        assert_eq!(unmet[0].point, 0);
        let half_width = summary.points[0].metric("m").unwrap().ci.unwrap();
        assert_eq!(unmet[0].achieved, Some(half_width / 100.0));
        assert_eq!(
            unmet[1],
            Unmet {
                point: 2,
                achieved: None
            }
        );
        assert!((Precision::bound(0.05) - 0.05 / 1.05).abs() < 1e-15);
        assert_eq!(next_count(10, 64), 20);
        assert_eq!(next_count(40, 64), 64);
    }
}
