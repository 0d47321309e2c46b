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
//! - Percentiles follow the nearest-rank method (the p-th percentile of n sorted values is the
//!   value at rank `ceil(p * n)`, 1-based), read from a [`Quantiles`] sketch: a histogram
//!   with buckets of relative width at most 2^-7, so a reported percentile is within 0.4 %
//!   (relative) of the exact one. Means, counts, `.max` and zeros are exact. The sketch's
//!   size depends on the range of the values, never on how many there are, so memory does
//!   not grow with the horizon.
//! - Percentiles beyond those always reported (`pipeline.wait.p90`, `step.P.S.wait.p99`,
//!   `pipeline.makespan.p999`) are reported when `experiment.metrics` names them, in the
//!   order of their levels among the others; see [`percentile_level`]. So are a step's
//!   `wait.max` and its service time's percentiles and maximum (`step.P.S.service.p95`,
//!   `step.P.S.service.max`): a step's service times are kept in a sketch only when one of
//!   these is asked for (see [`on_request`]).
//! - `step.P.S.*` are over executions (skipped steps are not executions) that ended.
//! - `resource.R.utilization` is busy slot-time over capacity slot-time; `queue.mean` and
//!   `capacity.mean` are time averages; `queue.max` the largest queue length seen.
//! - `link.L.bytes` is the bytes the link moved within the window (bandwidth times busy
//!   time); `link.L.utilization` the fraction of the window it was busy.
//! - `model.accuracy.mean` is the time average of the accuracy of live models (model-time
//!   weighted); `model.stale.fraction` the fraction of live model-time a model was flagged
//!   stale by a monitor; `model.retrains` the retraining runs monitors started. The same three
//!   follow for each template that declares a `model`, as `model.TEMPLATE.*`.
//! - `cost.total` is the sum over pools of capacity slot-hours times the price per slot-hour.
//!
//! A value with nothing to average over is NaN.

use crate::sim::batches::WaitBatches;

/// Mantissa bits kept in a bucket index: buckets are `[lo, lo * (1 + 2^-7))` at widest, and
/// a bucket's midpoint is within `2^-8` (0.39 %) of any value in it.
const MANTISSA_BITS: u32 = 7;
const BUCKET_SHIFT: u32 = 52 - MANTISSA_BITS;

/// A streaming summary of non-negative values: exact count, sum (in insertion order, so the
/// mean is the same bits as summing a vector), minimum and maximum, and a log-bucketed
/// histogram for percentiles.
///
/// Bucket index: the top bits of the `f64` (exponent and the first [`MANTISSA_BITS`] bits of
/// the mantissa), which is monotone in the value for positive floats. Values that are zero,
/// negative, infinite or NaN are counted in a separate zero class (they are reported as 0, clamped to
/// the exact minimum). The histogram is a dense window of buckets between the smallest and
/// largest index seen: at most 2^18 buckets whatever the values, a few thousand for values
/// spanning the usual microseconds to months.
///
/// A bucket's count is a [`Count`] (16 bits) in the window, plus what it carried over into
/// `carries` each time it would have passed `Count::MAX`: a run pushes into a few thousand
/// buckets at random, several sketches at once, and at 8 bytes a bucket they took more of
/// the processor's first-level cache than the engine's own state.
#[derive(Clone, Debug)]
pub struct Quantiles {
    count: u64,
    sum: f64,
    min: f64,
    max: f64,
    zeros: u64,
    /// Index of `counts[0]`.
    base: usize,
    counts: Vec<Count>,
    /// `(bucket index, count)`, sorted by index: what a bucket's count in `counts` carried
    /// over, in steps of `Count::MAX + 1` (rare: 65,536 values in one bucket of 2^-7).
    carries: Vec<(usize, u64)>,
}

/// A bucket's count in the window (see [`Quantiles`]).
type Count = u16;

impl Default for Quantiles {
    fn default() -> Self {
        Quantiles {
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            zeros: 0,
            base: 0,
            counts: Vec::new(),
            carries: Vec::new(),
        }
    }
}

impl Quantiles {
    fn bucket(x: f64) -> usize {
        (x.to_bits() >> BUCKET_SHIFT) as usize
    }

    /// The midpoint of bucket `index`.
    fn midpoint(index: usize) -> f64 {
        let lo = f64::from_bits((index as u64) << BUCKET_SHIFT);
        let hi = f64::from_bits(((index as u64) + 1) << BUCKET_SHIFT);
        lo + (hi - lo) / 2.0
    }

    /// Inlined at every call: the hot ones are a step's end and a pipeline's; the compiler's
    /// own choice flipped to a call everywhere when one more caller appeared (+1%
    /// instructions in the year benchmark).
    #[inline(always)]
    pub fn push(&mut self, x: f64) {
        // Comparisons skip a NaN as `f64::min`/`max` do, in fewer instructions.
        if x < self.min {
            self.min = x;
        }
        if x > self.max {
            self.max = x;
        }
        self.count += 1;
        self.sum += x;
        // The same test as `x.is_finite() && x > 0.0` (NaN fails `x > 0.0`), written as two
        // float comparisons: LLVM turns the other form into a long integer classification.
        let positive = (x > 0.0) & (x < f64::INFINITY);
        // Without a branch on `positive`: a wait is zero or not as the pool happened to have
        // a free slot, which no predictor guesses (one misprediction per pipeline in the
        // year benchmark, cachegrind). A zero adds nothing to the window's first bucket,
        // and grows nothing.
        self.zeros += u64::from(!positive);
        // Chosen by a mask: as a plain `if`, LLVM made it a branch again
        // (`std::hint::select_unpredictable` needs Rust 1.88, past the crate's MSRV).
        let mask = usize::from(positive).wrapping_neg();
        let index = (Self::bucket(x) & mask) | (self.base & !mask);
        let offset = index.wrapping_sub(self.base);
        match self.counts.get_mut(offset) {
            Some(count) if *count < Count::MAX => *count += Count::from(positive),
            _ if positive => self.count_rare(index),
            _ => {}
        }
    }

    /// Counts one value in bucket `index` when the window must grow to hold it, or when its
    /// count in the window is full and carries over.
    #[cold]
    fn count_rare(&mut self, index: usize) {
        let offset = index.wrapping_sub(self.base);
        match self.counts.get_mut(offset) {
            Some(count) => {
                *count = 0;
                let carried = u64::from(Count::MAX) + 1;
                match self.carries.binary_search_by_key(&index, |&(at, _)| at) {
                    Ok(at) => self.carries[at].1 += carried,
                    Err(at) => self.carries.insert(at, (index, carried)),
                }
            }
            None => self.grow_to(index),
        }
    }

    /// Widens the window of buckets to hold `index` and counts one value there.
    fn grow_to(&mut self, index: usize) {
        if self.counts.is_empty() {
            self.base = index;
            self.counts.push(0);
        } else if index < self.base {
            let grow = self.base - index;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.base = index;
        } else if index >= self.base + self.counts.len() {
            self.counts.resize(index - self.base + 1, 0);
        }
        self.counts[index - self.base] += 1;
    }

    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Buckets held (for the memory bound's test).
    pub fn buckets(&self) -> usize {
        self.counts.len()
    }

    /// The exact mean (NaN when empty).
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum / self.count as f64
        }
    }

    /// The nearest-rank `p`-th percentile within 0.39 % relative error; `p = 1` gives the
    /// exact maximum. NaN when empty.
    pub fn quantile(&self, p: f64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let n = self.count;
        let rank = ((p * n as f64).ceil() as u64).clamp(1, n);
        if rank == n {
            return self.max;
        }
        if rank <= self.zeros {
            return 0.0_f64.clamp(self.min.min(0.0), self.max.max(0.0));
        }
        let mut seen = self.zeros;
        let mut carries = self.carries.iter().peekable();
        for (offset, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if let Some(&(_, carried)) = carries.next_if(|&&(at, _)| at == self.base + offset) {
                seen += carried;
            }
            if seen >= rank {
                let value = Self::midpoint(self.base + offset);
                return value.clamp(self.min, self.max);
            }
        }
        self.max
    }
}

/// Per step of a template.
#[derive(Clone, Debug, Default)]
pub struct StepMetrics {
    pub waits: Quantiles,
    /// The sum of service times, for the mean (the same bits whether or not `services` is
    /// kept).
    pub service_sum: f64,
    /// Whether the scenario asks for a percentile or the maximum of this step's service
    /// time: only then are service times kept in `services`.
    pub keep_services: bool,
    pub services: Quantiles,
}

impl StepMetrics {
    // Inlined into the engine's step end, as the two lines it replaced were; the service
    // sketch, rarely kept, out of line (otherwise the sketch's code is inlined twice and
    // `record` is not inlined at all: 1% more instructions in the year benchmark).
    #[inline(always)]
    pub fn record(&mut self, wait: f64, service: f64) {
        self.waits.push(wait);
        self.service_sum += service;
        if self.keep_services {
            self.keep_service(service);
        }
    }

    #[inline(never)]
    fn keep_service(&mut self, service: f64) {
        self.services.push(service);
    }
}

#[derive(Clone, Debug, Default)]
pub struct Collector {
    pub arrived: u64,
    pub completed: u64,
    pub rejected: u64,
    pub unfinished: u64,
    /// Completed pipelines that ended after their `deadline`.
    pub late: u64,
    /// Per template, its own pipeline metrics where `experiment.metrics` names one of them.
    pub templates: Vec<Option<Box<TemplateMetrics>>>,
    pub waits: Quantiles,
    pub makespans: Quantiles,
    /// Indexed by template, then step.
    pub steps: Vec<Vec<StepMetrics>>,
    /// Retraining runs monitors started in the window, per template.
    pub retrains: Vec<u64>,
    /// Completed pipelines' waits by arrival time after `warmup` (not a metric: the warm-up
    /// check's input).
    pub wait_batches: WaitBatches,
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
    /// The capacity of a pool without `autoscale`, which never changes.
    pub fixed_capacity: Option<u32>,
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

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        f64::NAN
    }
}

/// The percentiles always reported of a pipeline's wait and makespan.
pub const PIPELINE_PERCENTILES: &[&str] = &["p50", "p95", "p99"];
/// The percentile always reported of a step's wait.
pub const STEP_PERCENTILES: &[&str] = &["p95"];

/// Whether `stem` (`pipeline.wait`, `step.P.S.service`) is a quantity kept in a sketch,
/// whose percentiles and maximum can be reported: a pipeline's wait and makespan, a step's
/// wait and service time.
pub fn is_distribution(stem: &str) -> bool {
    matches!(stem, "pipeline.wait" | "pipeline.makespan")
        || stem.starts_with("step.") && (stem.ends_with(".wait") || stem.ends_with(".service"))
}

/// `pipeline.wait.p90`, `step.P.S.wait.max`, `step.P.S.service.p95`: a metric of a
/// distribution ([`is_distribution`]) that a run reports when `experiment.metrics` names it,
/// as its quantity's stem and statistic. Whether the quantity exists in a scenario is the
/// caller's to check.
pub fn on_request(name: &str) -> Option<(&str, &str)> {
    let (stem, stat) = name.rsplit_once('.')?;
    (is_distribution(stem) && (stat == "max" || percentile_level(stat).is_some()))
        .then_some((stem, stat))
}

/// `pipeline.TEMPLATE.COUNT` (one of [`TEMPLATE_COUNTS`]), `pipeline.TEMPLATE.wait.STAT`,
/// `pipeline.TEMPLATE.makespan.STAT` (`STAT` a mean, a percentile or the maximum): one
/// template's own pipeline metric, reported when `experiment.metrics` names it, as the
/// template's name (which may hold dots, `aiops.edge`) and the rest (`wait.p95`). Whether the
/// template exists is the caller's to check.
pub fn per_template(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix("pipeline.")?;
    for count in TEMPLATE_COUNTS {
        if let Some(template) = rest.strip_suffix(count).and_then(|r| r.strip_suffix('.')) {
            return (!template.is_empty()).then_some((template, count));
        }
    }
    let (stem, stat) = rest.rsplit_once('.')?;
    if !(stat == "mean" || stat == "max" || percentile_level(stat).is_some()) {
        return None;
    }
    let (template, quantity) = stem.rsplit_once('.')?;
    (!template.is_empty() && matches!(quantity, "wait" | "makespan"))
        .then(|| (template, &rest[template.len() + 1..]))
}

/// The counts a template reports of its own pipelines ([`per_template`]), as the pipeline
/// metrics of all templates name theirs.
pub const TEMPLATE_COUNTS: [&str; 5] = ["arrived", "completed", "rejected", "unfinished", "late"];

/// One template's pipelines that arrived after the warm-up, kept where `experiment.metrics`
/// asks for its own pipeline metrics ([`per_template`]).
#[derive(Clone, Debug, Default)]
pub struct TemplateMetrics {
    pub completed: u64,
    pub rejected: u64,
    pub unfinished: u64,
    /// Completed after their `deadline`.
    pub late: u64,
    pub waits: Quantiles,
    pub makespans: Quantiles,
}

impl TemplateMetrics {
    /// Out of line: only scenarios that ask for a template's metrics come here.
    #[inline(never)]
    pub fn record(&mut self, wait: f64, makespan: f64, late: bool) {
        self.completed += 1;
        self.late += u64::from(late);
        self.waits.push(wait);
        self.makespans.push(makespan);
    }

    /// The value of `rest` (`completed`, `wait.p95`, ...), or `None` for no such statistic.
    fn value(&self, rest: &str) -> Option<f64> {
        match rest {
            // Every pipeline that arrives after the warm-up ends in exactly one of the three
            // outcomes (at the horizon, those still running are unfinished), so arrivals need
            // no count of their own on the arrival path.
            "arrived" => return Some((self.completed + self.rejected + self.unfinished) as f64),
            "completed" => return Some(self.completed as f64),
            "rejected" => return Some(self.rejected as f64),
            "unfinished" => return Some(self.unfinished as f64),
            "late" => return Some(self.late as f64),
            _ => {}
        }
        let (quantity, stat) = rest.split_once('.')?;
        let values = match quantity {
            "wait" => &self.waits,
            "makespan" => &self.makespans,
            _ => return None,
        };
        match stat {
            "mean" => Some(values.mean()),
            "max" => Some(values.quantile(1.0)),
            _ => percentile_level(stat).map(|level| values.quantile(level)),
        }
    }
}

/// What the metric `name` measures, in words (for the language server's hover in
/// `metrics = [...]`, and `pipesim explain metrics`); None for a name of no metric's shape.
pub fn describe(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('.').collect();
    let window = "over `[warmup, horizon]`";
    // A distribution's statistic: `mean`, `max` or `pN`.
    let statistic = |stat: &str| -> Option<String> {
        match stat {
            "mean" => Some("the mean".into()),
            "max" => Some("the largest".into()),
            _ => {
                let level = percentile_level(stat)?;
                let percent = format!("{}", (level * 1e4).round() / 100.0);
                let suffix = match percent.as_str() {
                    p if p.ends_with('1') && !p.ends_with("11") => "st",
                    p if p.ends_with('2') && !p.ends_with("12") => "nd",
                    p if p.ends_with('3') && !p.ends_with("13") => "rd",
                    _ => "th",
                };
                Some(format!("the {percent}{suffix} percentile (within 0.39%)"))
            }
        }
    };
    let what = match parts.as_slice() {
        ["pipeline", "arrived"] => "the pipelines that arrived after `warmup`".to_string(),
        ["pipeline", "completed"] => {
            "the pipelines that arrived after `warmup` and completed".to_string()
        }
        ["pipeline", "rejected"] => {
            "the pipelines that arrived after `warmup` and a failed `validate` rejected".to_string()
        }
        ["pipeline", "unfinished"] => {
            "the pipelines that arrived after `warmup` and had not finished at the end".to_string()
        }
        ["pipeline", .., outcome @ ("arrived" | "completed" | "rejected" | "unfinished")]
            if parts.len() >= 3 =>
        {
            let template = parts[1..parts.len() - 1].join(".");
            let and = match *outcome {
                "arrived" => "",
                "completed" => " and completed",
                "rejected" => " and a failed `validate` rejected",
                _ => " and had not finished at the end",
            };
            format!("the pipelines of template `{template}` that arrived after `warmup`{and}")
        }
        ["pipeline", .., "late"] if parts.len() >= 3 => {
            let template = parts[1..parts.len() - 1].join(".");
            format!(
                "the pipelines of template `{template}` that arrived after `warmup` and completed \
                 after their `deadline`"
            )
        }
        ["pipeline", .., quantity @ ("wait" | "makespan"), stat] if parts.len() >= 4 => {
            let template = parts[1..parts.len() - 2].join(".");
            format!(
                "{} of a pipeline's {quantity}, in seconds, over the completed pipelines of \
                 template `{template}`",
                statistic(stat)?
            )
        }
        ["pipeline", "late"] => {
            "the pipelines that arrived after `warmup` and completed after their `deadline` \
             (reported when a pipeline has a `deadline`; unfinished ones are not counted)"
                .to_string()
        }
        ["pipeline", quantity @ ("wait" | "makespan"), stat] => {
            let of = if *quantity == "wait" {
                "a pipeline's wait (the time its steps queued for their pools; transfers on links \
                 are not waits), in seconds"
            } else {
                "a pipeline's makespan (from arrival to end, transfers on links included), in \
                 seconds"
            };
            format!(
                "{} of {of}, over completed pipelines (not those a `validate` rejected)",
                statistic(stat)?
            )
        }
        ["step", .., step, "count"] if parts.len() >= 4 => {
            let pipeline = parts[1..parts.len() - 2].join(".");
            format!("the executions of step `{step}` of pipeline `{pipeline}` that ended")
        }
        ["step", .., step, quantity @ ("wait" | "service"), stat] if parts.len() >= 5 => {
            let pipeline = parts[1..parts.len() - 3].join(".");
            let of = if *quantity == "wait" {
                "wait (its time queued for its pool)"
            } else {
                "service time (its time holding its pool; its `reads` come before and its \
                 `writes` after)"
            };
            format!(
                "{} of the {of} of step `{step}` of pipeline `{pipeline}`, in seconds, over its executions",
                statistic(stat)?
            )
        }
        ["resource", pool, "utilization"] => {
            format!("busy slot-time over capacity slot-time of `{pool}`, {window}")
        }
        ["resource", pool, "queue", "mean"] => {
            format!("the time average of the steps queued for `{pool}`, {window}")
        }
        ["resource", pool, "queue", "max"] => format!(
            "the longest queue `{pool}` had, {window} (a step granted at the instant it asks never queued)"
        ),
        ["resource", pool, "capacity", "mean"] => {
            format!("the time average of `{pool}`'s slots, {window}")
        }
        ["link", link, "bytes"] => format!("the bytes `{link}` moved, {window}"),
        ["link", link, "utilization"] => {
            format!("the fraction of the time `{link}` was busy, {window}")
        }
        ["model", .., "accuracy", "mean"] => {
            format!("the time average of live models' accuracy, {window}")
        }
        ["model", .., "stale", "fraction"] => {
            "the fraction of live model-time that a monitor flagged stale".to_string()
        }
        ["model", .., "retrains"] => "the retraining runs monitors started".to_string(),
        ["cost", "total"] => {
            "capacity slot-hours times each pool's price per slot-hour, summed".to_string()
        }
        _ => return None,
    };
    // Beyond the contract's list: reported when `metrics` names it.
    let always = match on_request(name) {
        Some((stem, stat)) if stem.starts_with("pipeline.") => {
            stat == "max" || PIPELINE_PERCENTILES.contains(&stat)
        }
        Some((stem, stat)) => stem.ends_with(".wait") && STEP_PERCENTILES.contains(&stat),
        None => per_template(name).is_none(),
    };
    let asked = if always {
        ""
    } else {
        " Reported because `metrics` names it."
    };
    Some(format!("`{name}`: {what}.{asked}"))
}

/// The level of a percentile named by the last part of a metric's name: `p90` is 0.90 and
/// `p5` 0.05; digits after the first two are decimals, as latency tools write them (`p999`
/// is 0.999, `p9999` 0.9999), so a longer level must start with 99. None for anything else,
/// and for `p0` and `p100` (the smallest value is not reported; the largest is `.max`).
pub fn percentile_level(stat: &str) -> Option<f64> {
    let digits = stat.strip_prefix('p')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Read as the decimal fraction it names (`0.05`, `0.999`), so that `p95` is the same
    // double as `0.95`.
    let level: f64 = if digits.len() <= 2 {
        format!("0.{digits:0>2}").parse().ok()?
    } else if digits.starts_with("99") {
        format!("0.{digits}").parse().ok()?
    } else {
        return None;
    };
    // `p99999999999999999999` reads as 1.0, which is `.max`.
    (level > 0.0 && level < 1.0).then_some(level)
}

/// The percentiles of `stem` (`pipeline.wait`, `step.P.S.wait`) to report: the ones always
/// reported, and those `requested` names (`pipeline.wait.p90`), in the order of their levels.
fn percentiles_of<'r>(
    stem: &str,
    always: &[&'r str],
    requested: &'r [String],
) -> Vec<(&'r str, f64)> {
    let mut levels: Vec<(&str, f64)> = always
        .iter()
        .filter_map(|&stat| Some((stat, percentile_level(stat)?)))
        .collect();
    for name in requested {
        let Some((name_stem, stat)) = name.rsplit_once('.') else {
            continue;
        };
        if name_stem != stem || levels.iter().any(|(known, _)| *known == stat) {
            continue;
        }
        if let Some(level) = percentile_level(stat) {
            levels.push((stat, level));
        }
    }
    // Stable: `p99` and `p990` (the same level) keep the order they were named in.
    levels.sort_by(|a, b| a.1.total_cmp(&b.1));
    levels
}

fn summary(out: &mut Vec<(String, f64)>, prefix: &str, values: &Quantiles, requested: &[String]) {
    out.push((format!("{prefix}.mean"), values.mean()));
    for (stat, level) in percentiles_of(prefix, PIPELINE_PERCENTILES, requested) {
        out.push((format!("{prefix}.{stat}"), values.quantile(level)));
    }
    out.push((format!("{prefix}.max"), values.quantile(1.0)));
}

/// `PREFIX.accuracy.mean` (time average over live model-time), `PREFIX.stale.fraction` and
/// `PREFIX.retrains`, for all models (`model`) or one template's (`model.TEMPLATE`).
fn model_metrics(out: &mut Vec<(String, f64)>, prefix: &str, totals: &ModelTotals, retrains: f64) {
    out.push((
        format!("{prefix}.accuracy.mean"),
        ratio(totals.accuracy_area, totals.live_area),
    ));
    out.push((
        format!("{prefix}.stale.fraction"),
        ratio(totals.stale_area, totals.live_area),
    ));
    out.push((format!("{prefix}.retrains"), retrains));
}

/// Everything the final list needs besides the collector.
pub struct Totals<'a> {
    /// Template names, and the step names of each template.
    pub templates: Vec<(&'a str, Vec<&'a str>)>,
    pub pools: Vec<PoolTotals<'a>>,
    pub links: Vec<LinkTotals<'a>>,
    /// Per template: its name, whether it declares a `model` (and so gets metrics of its
    /// own), and its models' window totals.
    pub models: Vec<(&'a str, bool, ModelTotals)>,
    /// Whether some template has a `deadline` (then `pipeline.late` is reported).
    pub deadlines: bool,
    pub window: f64,
    /// The metric names the scenario asks for (`experiment.metrics`): percentiles among
    /// them beyond the ones always reported are reported too.
    pub requested: &'a [String],
}

impl Collector {
    /// `template`'s own metrics, where `experiment.metrics` names one of them.
    #[inline(always)]
    pub fn own(&mut self, template: u32) -> Option<&mut TemplateMetrics> {
        self.templates.get_mut(template as usize)?.as_deref_mut()
    }

    /// For templates named with their steps' names; `requested` is `experiment.metrics`,
    /// which says whose service times to keep.
    pub fn new<'a>(
        templates: impl Iterator<Item = (&'a str, Vec<&'a str>)>,
        requested: &[String],
    ) -> Self {
        let mut own: Vec<Option<Box<TemplateMetrics>>> = Vec::new();
        let steps: Vec<Vec<StepMetrics>> = templates
            .map(|(template, step_names)| {
                let asked = requested
                    .iter()
                    .any(|name| per_template(name).is_some_and(|(t, _)| t == template));
                own.push(asked.then(Box::default));
                step_names
                    .iter()
                    .map(|step| {
                        let stem = format!("step.{template}.{step}.service");
                        StepMetrics {
                            keep_services: requested.iter().any(|name| {
                                on_request(name).is_some_and(|(asked, _)| asked == stem)
                            }),
                            ..StepMetrics::default()
                        }
                    })
                    .collect()
            })
            .collect();
        Collector {
            retrains: vec![0; steps.len()],
            steps,
            templates: own,
            ..Collector::default()
        }
    }

    /// The metrics in contract order.
    pub fn finish(self, totals: Totals<'_>) -> Vec<(String, f64)> {
        let mut out = Vec::with_capacity(64);
        out.push(("pipeline.arrived".to_string(), self.arrived as f64));
        out.push(("pipeline.completed".to_string(), self.completed as f64));
        out.push(("pipeline.rejected".to_string(), self.rejected as f64));
        out.push(("pipeline.unfinished".to_string(), self.unfinished as f64));
        if totals.deadlines {
            out.push(("pipeline.late".to_string(), self.late as f64));
        }
        summary(&mut out, "pipeline.wait", &self.waits, totals.requested);
        summary(
            &mut out,
            "pipeline.makespan",
            &self.makespans,
            totals.requested,
        );
        // Templates' own metrics, in the order `metrics` names them.
        for name in totals.requested {
            let Some((template, rest)) = per_template(name) else {
                continue;
            };
            let own = totals
                .templates
                .iter()
                .position(|(t, _)| *t == template)
                .and_then(|index| self.templates.get(index)?.as_deref());
            if let Some(value) = own.and_then(|own| own.value(rest)) {
                if !out.iter().any(|(n, _)| n == name) {
                    out.push((name.clone(), value));
                }
            }
        }
        for ((template, step_names), steps) in totals.templates.iter().zip(&self.steps) {
            for (step_name, step) in step_names.iter().zip(steps) {
                let prefix = format!("step.{template}.{step_name}");
                let count = step.waits.len();
                out.push((format!("{prefix}.count"), count as f64));
                out.push((format!("{prefix}.wait.mean"), step.waits.mean()));
                let wait = format!("{prefix}.wait");
                for (stat, level) in percentiles_of(&wait, STEP_PERCENTILES, totals.requested) {
                    out.push((format!("{wait}.{stat}"), step.waits.quantile(level)));
                }
                let max_of = |stem: &str| totals.requested.contains(&format!("{stem}.max"));
                if max_of(&wait) {
                    out.push((format!("{wait}.max"), step.waits.quantile(1.0)));
                }
                let service = format!("{prefix}.service");
                out.push((
                    format!("{service}.mean"),
                    ratio(step.service_sum, count as f64),
                ));
                if step.keep_services {
                    for (stat, level) in percentiles_of(&service, &[], totals.requested) {
                        out.push((format!("{service}.{stat}"), step.services.quantile(level)));
                    }
                    if max_of(&service) {
                        out.push((format!("{service}.max"), step.services.quantile(1.0)));
                    }
                }
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
            // A fixed capacity is reported as it is, not as its integral over the window
            // divided by the window (which differs from it in the last bits, so that the
            // replications' spread came out as 1e-15 rather than 0).
            let capacity = match pool.fixed_capacity {
                Some(capacity) if totals.window > 0.0 => f64::from(capacity),
                _ => ratio(pool.capacity_area, totals.window),
            };
            out.push((format!("{prefix}.capacity.mean"), capacity));
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
        let mut all = ModelTotals::default();
        for (_, _, t) in &totals.models {
            all.accuracy_area += t.accuracy_area;
            all.live_area += t.live_area;
            all.stale_area += t.stale_area;
        }
        let retrains = |i: usize| self.retrains.get(i).copied().unwrap_or(0) as f64;
        model_metrics(
            &mut out,
            "model",
            &all,
            self.retrains.iter().sum::<u64>() as f64,
        );
        for (i, (template, has_model, t)) in totals.models.iter().enumerate() {
            if *has_model {
                model_metrics(&mut out, &format!("model.{template}"), t, retrains(i));
            }
        }
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

    fn sample(n: usize, seed: u64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|index| {
                state = crate::sim::rng::mix(state);
                // A fifth exact zeros (as queue waits often are), the rest spread over six
                // orders of magnitude.
                if index % 5 == 0 {
                    0.0
                } else {
                    (state >> 11) as f64 / (1u64 << 53) as f64 * 1e6 + 1e-3
                }
            })
            .collect()
    }

    #[test]
    fn sketch_percentiles_are_within_their_stated_relative_error() {
        let values = sample(10_001, 12345);
        let mut sketch = Quantiles::default();
        values.iter().for_each(|&x| sketch.push(x));
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for p in [0.01, 0.1, 0.2, 0.21, 0.5, 0.95, 0.99, 0.999] {
            let exact = percentile(&sorted, p);
            let approximate = sketch.quantile(p);
            if exact == 0.0 {
                assert_eq!(approximate, 0.0, "p = {p}");
            } else {
                let error = (approximate / exact - 1.0).abs();
                assert!(error <= 1.0 / 256.0, "p = {p}: {approximate} vs {exact}");
            }
        }
        assert_eq!(sketch.quantile(1.0), *sorted.last().unwrap());
        assert_eq!(sketch.len(), values.len() as u64);
        // The mean is the same bits as summing the values in order.
        let sum: f64 = values.iter().sum();
        assert_eq!(sketch.mean(), sum / values.len() as f64);
    }

    #[test]
    fn sketch_size_does_not_grow_with_the_number_of_values() {
        // Values in [1e-3, 1e6]: about 30 binary orders of magnitude of 128 buckets each,
        // however many values there are.
        let mut sketch = Quantiles::default();
        for seed in 0..10 {
            sample(100_000, seed).iter().for_each(|&x| sketch.push(x));
            assert!(sketch.buckets() <= 31 * 128, "{}", sketch.buckets());
        }
        assert_eq!(sketch.len(), 1_000_000);
    }

    #[test]
    fn percentile_levels_are_read_as_latency_tools_write_them() {
        assert_eq!(percentile_level("p90"), Some(0.90));
        assert_eq!(percentile_level("p5"), Some(0.05));
        assert_eq!(percentile_level("p05"), Some(0.05));
        assert_eq!(percentile_level("p999"), Some(0.999));
        assert_eq!(percentile_level("p9999"), Some(0.9999));
        assert_eq!(percentile_level("p995"), Some(0.995));
        for not_a_level in [
            "p0",
            "p00",
            "p100",
            "p125",
            "p",
            "p9a",
            "p-5",
            "mean",
            "max",
            "90",
            "p99999999999999999999",
        ] {
            assert_eq!(percentile_level(not_a_level), None, "{not_a_level}");
        }
    }

    #[test]
    fn asked_for_percentiles_join_the_reported_ones_in_level_order() {
        let requested: Vec<String> = [
            "pipeline.wait.p90",
            "pipeline.wait.p999",
            "pipeline.wait.p95",
            "pipeline.makespan.p10",
            "resource.gpu.utilization",
            "pipeline.wait.mean",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let stats = |stem: &str, always: &[&str]| -> Vec<String> {
            percentiles_of(stem, always, &requested)
                .into_iter()
                .map(|(stat, _)| stat.to_string())
                .collect()
        };
        assert_eq!(
            stats("pipeline.wait", PIPELINE_PERCENTILES),
            ["p50", "p90", "p95", "p99", "p999"]
        );
        assert_eq!(
            stats("pipeline.makespan", PIPELINE_PERCENTILES),
            ["p10", "p50", "p95", "p99"]
        );
        assert_eq!(stats("step.a.b.wait", STEP_PERCENTILES), ["p95"]);
        let mut sketch = Quantiles::default();
        (1..=1000).for_each(|x| sketch.push(f64::from(x)));
        let mut out = Vec::new();
        summary(&mut out, "pipeline.wait", &sketch, &requested);
        let names: Vec<&str> = out.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "pipeline.wait.mean",
                "pipeline.wait.p50",
                "pipeline.wait.p90",
                "pipeline.wait.p95",
                "pipeline.wait.p99",
                "pipeline.wait.p999",
                "pipeline.wait.max"
            ]
        );
        // Nearest rank of 1..=1000 at 0.90 is 900, within the sketch's 2^-8.
        assert!(
            (out[2].1 / 900.0 - 1.0).abs() <= 1.0 / 256.0,
            "{}",
            out[2].1
        );
    }

    #[test]
    fn a_bucket_counts_past_its_window_counter() {
        // 200,000 values in one bucket pass a 16-bit count three times; a value below the
        // window, pushed last, moves the window's base after the carries were recorded.
        let mut sketch = Quantiles::default();
        let mut values = Vec::new();
        for (x, n) in [(1.0, 200_000), (2.0, 70_000), (3.0, 3)] {
            for _ in 0..n {
                sketch.push(x);
                values.push(x);
            }
        }
        sketch.push(0.5);
        values.push(0.5);
        values.sort_by(f64::total_cmp);
        let (min, max) = (0.5, 3.0);
        let in_bucket = |x: f64| Quantiles::midpoint(Quantiles::bucket(x)).clamp(min, max);
        for p in [0.000_001, 0.5, 0.74, 0.75, 0.9999, 0.999_99] {
            assert_eq!(
                sketch.quantile(p),
                in_bucket(percentile(&values, p)),
                "p = {p}"
            );
        }
        assert_eq!(sketch.quantile(1.0), 3.0);
        assert_eq!(sketch.len(), 270_004);
    }

    #[test]
    fn sketch_of_equal_values_and_of_nothing() {
        let mut sketch = Quantiles::default();
        assert!(sketch.quantile(0.5).is_nan());
        assert!(sketch.mean().is_nan());
        for _ in 0..10 {
            sketch.push(42.5);
        }
        // Clamped to the exact minimum and maximum, so equal values come back exactly.
        assert_eq!(sketch.quantile(0.5), 42.5);
        assert_eq!(sketch.quantile(0.95), 42.5);
        assert_eq!(sketch.mean(), 42.5);
    }
}
