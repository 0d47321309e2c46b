//! `pipesim run --precision METRIC=5%`: replications until a metric's confidence interval is
//! narrow enough at every sweep point (the sequential procedure of Law and Kelton,
//! *Simulation Modeling and Analysis*, section 9.4.1).
//!
//! The run starts with the experiment's replications, then doubles them (up to
//! `--max-replications`) while some point's half-width exceeds γ' = γ/(1+γ) of its mean: that
//! bound keeps the actual relative error below γ at the stated confidence. Every point gets
//! the same count, so the run is laid out like any other, and the decision depends only on
//! the results, which depend only on the scenario and seed: the same command gives the same
//! bytes on any number of threads, and the run equals one made with the final count.

use crate::output::summary::Summary;

#[derive(Clone, Debug, PartialEq)]
pub struct Precision {
    pub metric: String,
    /// γ, the relative error to reach, e.g. 0.05.
    pub relative: f64,
}

/// A point whose interval is still too wide: its index and the relative half-width it has
/// (`None` when it has no interval yet: fewer than two finite values, or a zero mean with a
/// nonzero half-width).
#[derive(Clone, Debug, PartialEq)]
pub struct Unmet {
    pub point: usize,
    pub relative: Option<f64>,
}

impl Precision {
    /// Parses `METRIC=5%` or `METRIC=0.05`.
    pub fn parse(text: &str) -> Result<Precision, String> {
        let usage = || {
            format!(
                "expected `--precision METRIC=PERCENT`, such as `--precision pipeline.wait.mean=5%`, found `{text}`"
            )
        };
        let (metric, value) = text.split_once('=').ok_or_else(usage)?;
        let (metric, value) = (metric.trim(), value.trim());
        let relative = match value.strip_suffix('%') {
            Some(percent) => percent.trim().parse::<f64>().map(|p| p / 100.0),
            None => value.parse::<f64>(),
        }
        .map_err(|_| usage())?;
        if metric.is_empty() {
            return Err(usage());
        }
        if !(relative > 0.0 && relative < 1.0) {
            return Err(format!(
                "`--precision` needs a relative error between 0% and 100%, such as 5%; found `{value}`"
            ));
        }
        Ok(Precision {
            metric: metric.to_string(),
            relative,
        })
    }

    /// The largest half-width to mean ratio that meets the target: γ/(1+γ).
    pub fn bound(&self) -> f64 {
        self.relative / (1.0 + self.relative)
    }

    /// The points of `summary` whose interval for the metric is still too wide.
    pub fn unmet(&self, summary: &Summary) -> Vec<Unmet> {
        summary
            .points
            .iter()
            .filter_map(|point| {
                let estimate = point.metric(&self.metric);
                let relative = estimate.and_then(|e| match (e.mean, e.ci) {
                    (Some(_), Some(0.0)) => Some(0.0),
                    (Some(mean), Some(ci)) if mean != 0.0 => Some(ci / mean.abs()),
                    _ => None,
                });
                match relative {
                    Some(r) if r <= self.bound() => None,
                    _ => Some(Unmet {
                        point: point.point,
                        relative,
                    }),
                }
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
            relative: 0.05,
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

    #[test]
    fn a_point_is_met_when_its_half_width_is_within_the_adjusted_bound() {
        let points = vec![Params::new(), Params::new(), Params::new()];
        // Point 0: values 99, 101 (mean 100, half-width 12.7 with 2 values: unmet at 5%);
        // point 1: all 50 (half-width 0: met); point 2: one value (no interval: unmet).
        let values: &[(usize, &[f64])] = &[(0, &[99.0, 101.0]), (1, &[50.0, 50.0]), (2, &[7.0])];
        let records: Vec<Record> = values
            .iter()
            .flat_map(|&(point, vs)| {
                vs.iter().enumerate().map(move |(r, &v)| Record {
                    item: WorkItem {
                        point,
                        replication: r as u32,
                    },
                    metrics: vec![("m".into(), v)],
                })
            })
            .collect();
        let summary = summary::summarize("s", 1, 0.95, &points, &records);
        let target = Precision {
            metric: "m".into(),
            relative: 0.05,
        };
        let unmet = target.unmet(&summary);
        assert_eq!(unmet.len(), 2);
        assert_eq!(unmet[0].point, 0);
        let half_width = summary.points[0].metric("m").unwrap().ci.unwrap();
        assert_eq!(unmet[0].relative, Some(half_width / 100.0));
        assert_eq!(
            unmet[1],
            Unmet {
                point: 2,
                relative: None
            }
        );
        assert!((target.bound() - 0.05 / 1.05).abs() < 1e-15);
        assert_eq!(next_count(10, 64), 20);
        assert_eq!(next_count(40, 64), 64);
    }
}
