//! The metrics of one replication, named and ordered as the output contract says
//! (LANGUAGE.md section 7).
//!
//! What is counted: pipelines that arrive at or after `warmup` (earlier ones are simulated
//! but not counted), their step executions, and time averages of resources, links and models
//! over `[warmup, horizon]`.
//!
//! Definitions:
//! - `pipeline.wait.*` and `pipeline.makespan.*` are over completed pipelines; a pipeline's
//!   wait is the sum of its steps' queueing times, its makespan `end - arrival`.
//! - Percentiles are exact, by the nearest-rank method: the p-th percentile of n sorted values
//!   is the value at rank `ceil(p * n)` (1-based). Every value is kept for the replication.
//! - `step.P.S.*` are over executions (skipped steps are not executions) that ended.
//! - `resource.R.utilization` is busy slot-time over capacity slot-time; `queue.mean` and
//!   `capacity.mean` are time averages; `queue.max` the largest queue length seen.
//! - `link.L.bytes` is the bytes the link moved within the window (bandwidth times busy
//!   time); `link.L.utilization` the fraction of the window it was busy.
//! - `model.accuracy.mean` is the time average of the accuracy of live models (model-time
//!   weighted); `model.stale.fraction` the fraction of live model-time a model was flagged
//!   stale by a monitor; `model.retrains` the retraining runs monitors started.
//! - `cost.total` is the sum over pools of capacity slot-hours times the price per slot-hour.
//!
//! A value with nothing to average over is NaN.

/// Per step of a template.
#[derive(Clone, Debug, Default)]
pub struct StepMetrics {
    pub waits: Vec<f64>,
    pub service_sum: f64,
}

#[derive(Clone, Debug, Default)]
pub struct Collector {
    pub arrived: u64,
    pub completed: u64,
    pub rejected: u64,
    pub unfinished: u64,
    pub waits: Vec<f64>,
    pub makespans: Vec<f64>,
    /// Indexed by template, then step.
    pub steps: Vec<Vec<StepMetrics>>,
    pub retrains: u64,
}

/// Window totals of a model population (see [`crate::sim::model`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct ModelTotals {
    pub accuracy_area: f64,
    pub live_area: f64,
    pub stale_area: f64,
}

/// Window totals of a pool.
pub struct PoolTotals<'a> {
    pub name: &'a str,
    pub busy_area: f64,
    pub queue_area: f64,
    pub capacity_area: f64,
    pub queue_max: u32,
    pub cost_per_slot_hour: f64,
}

/// Window totals of a link.
pub struct LinkTotals<'a> {
    pub name: &'a str,
    pub bandwidth: f64,
    pub busy_time: f64,
}

/// Nearest-rank percentile of sorted values (NaN when empty).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        f64::NAN
    }
}

/// The nearest-rank percentiles `ps` (ascending) of `values`, found by selection rather
/// than a full sort (the values are left partially ordered). Same result as sorting.
fn select_percentiles<const N: usize>(values: &mut [f64], ps: [f64; N]) -> [f64; N] {
    let mut out = [f64::NAN; N];
    let n = values.len();
    if n == 0 {
        return out;
    }
    // Select from the highest rank down, each time within the part below the last pick.
    let mut upper = n;
    for (index, p) in ps.iter().enumerate().rev() {
        let rank = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
        let rank = rank.min(upper.saturating_sub(1));
        let (_, value, _) = values[..upper].select_nth_unstable_by(rank, f64::total_cmp);
        out[index] = *value;
        upper = rank + 1;
    }
    out
}

fn summary(out: &mut Vec<(String, f64)>, prefix: &str, values: &mut [f64]) {
    out.push((format!("{prefix}.mean"), mean(values)));
    let [p50, p95, p99, max] = select_percentiles(values, [0.50, 0.95, 0.99, 1.0]);
    out.push((format!("{prefix}.p50"), p50));
    out.push((format!("{prefix}.p95"), p95));
    out.push((format!("{prefix}.p99"), p99));
    out.push((format!("{prefix}.max"), max));
}

/// Everything the final list needs besides the collector.
pub struct Totals<'a> {
    /// Template names, and the step names of each template.
    pub templates: Vec<(&'a str, Vec<&'a str>)>,
    pub pools: Vec<PoolTotals<'a>>,
    pub links: Vec<LinkTotals<'a>>,
    pub models: ModelTotals,
    pub window: f64,
}

impl Collector {
    pub fn new(step_counts: impl Iterator<Item = usize>) -> Self {
        Collector {
            steps: step_counts
                .map(|n| vec![StepMetrics::default(); n])
                .collect(),
            ..Collector::default()
        }
    }

    /// The metrics in contract order.
    pub fn finish(mut self, totals: Totals<'_>) -> Vec<(String, f64)> {
        let mut out = Vec::with_capacity(64);
        out.push(("pipeline.arrived".to_string(), self.arrived as f64));
        out.push(("pipeline.completed".to_string(), self.completed as f64));
        out.push(("pipeline.rejected".to_string(), self.rejected as f64));
        out.push(("pipeline.unfinished".to_string(), self.unfinished as f64));
        summary(&mut out, "pipeline.wait", &mut self.waits);
        summary(&mut out, "pipeline.makespan", &mut self.makespans);
        for ((template, step_names), steps) in totals.templates.iter().zip(&mut self.steps) {
            for (step_name, step) in step_names.iter().zip(steps.iter_mut()) {
                let prefix = format!("step.{template}.{step_name}");
                let count = step.waits.len();
                out.push((format!("{prefix}.count"), count as f64));
                out.push((format!("{prefix}.wait.mean"), mean(&step.waits)));
                let [p95] = select_percentiles(&mut step.waits, [0.95]);
                out.push((format!("{prefix}.wait.p95"), p95));
                out.push((
                    format!("{prefix}.service.mean"),
                    ratio(step.service_sum, count as f64),
                ));
            }
        }
        let mut cost = 0.0;
        for pool in &totals.pools {
            let prefix = format!("resource.{}", pool.name);
            out.push((
                format!("{prefix}.utilization"),
                ratio(pool.busy_area, pool.capacity_area),
            ));
            out.push((
                format!("{prefix}.queue.mean"),
                ratio(pool.queue_area, totals.window),
            ));
            out.push((format!("{prefix}.queue.max"), f64::from(pool.queue_max)));
            out.push((
                format!("{prefix}.capacity.mean"),
                ratio(pool.capacity_area, totals.window),
            ));
            cost += pool.capacity_area / 3600.0 * pool.cost_per_slot_hour;
        }
        for link in &totals.links {
            let prefix = format!("link.{}", link.name);
            out.push((format!("{prefix}.bytes"), link.bandwidth * link.busy_time));
            out.push((
                format!("{prefix}.utilization"),
                ratio(link.busy_time, totals.window),
            ));
        }
        out.push((
            "model.accuracy.mean".to_string(),
            ratio(totals.models.accuracy_area, totals.models.live_area),
        ));
        out.push((
            "model.stale.fraction".to_string(),
            ratio(totals.models.stale_area, totals.models.live_area),
        ));
        out.push(("model.retrains".to_string(), self.retrains as f64));
        out.push(("cost.total".to_string(), cost));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.95), 19.0);
        assert_eq!(percentile(&values, 0.50), 10.0);
        assert_eq!(percentile(&values, 0.99), 20.0);
        assert_eq!(percentile(&[4.0], 0.5), 4.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn selection_gives_the_same_percentiles_as_sorting() {
        let mut state = 12345u64;
        let mut values: Vec<f64> = (0..1001)
            .map(|_| {
                state = crate::sim::rng::mix(state);
                (state % 10_000) as f64 / 7.0
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let ps = [0.5, 0.95, 0.99, 1.0];
        let selected = select_percentiles(&mut values, ps);
        for (p, value) in ps.iter().zip(selected) {
            assert_eq!(value, percentile(&sorted, *p), "p = {p}");
        }
    }
}
