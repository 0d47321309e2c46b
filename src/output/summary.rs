//! `summary.json` (a contract, LANGUAGE.md section 7):
//!
//! ```text
//! {"pipesim": VERSION, "scenario": NAME, "seed": N,
//!  "points": [{"params": {PATH: VALUE}, "replications": N,
//!              "metrics": {NAME: {"mean": X, "ci": HALF_WIDTH, "n": N}}}]}
//! ```
//!
//! Each point may also carry `warmup_check` (the warm-up check, `warmup_json`) and
//! `overloaded` (the manifest's overloads of that point, without `point`); both are
//! extensions a reader of the contract's form may ignore.
//!
//! Points are in sweep order; metrics in the engine's order (first appearance over the point's
//! replications in replication order). `mean` is `null` when no replication gave a finite
//! value; `ci` is the Student-t half-width at the experiment's confidence, `null` when fewer
//! than two replications gave a finite value; `n` counts those replications.
//!
//! Invariant: computed only from [`Record`]s sorted by work item, so a run and a merge of its
//! shards write the same bytes.

use super::manifest::Overloaded;
use super::records::Record;
use crate::experiment::Params;
use crate::stats::warmup::{self, Checked, Verdict, WarmupCheck};
use crate::stats::{self, Estimate};
use serde_json::{json, Value};

pub const FILE_NAME: &str = "summary.json";
/// The same numbers as a table, for spreadsheets, pandas and DuckDB.
pub const CSV_FILE_NAME: &str = "summary.csv";

/// One sweep point's results.
#[derive(Clone, Debug)]
pub struct PointSummary {
    /// The point's index in the sweep.
    pub point: usize,
    pub params: Params,
    /// Replications summarised.
    pub replications: usize,
    pub metrics: Vec<(String, Estimate)>,
    /// Whether `warmup` covers the initial transient; `None` for runs without the batches.
    pub warmup: Option<WarmupCheck>,
    /// The pools and links this point asks for more than they can do (from the manifest,
    /// [`Summary::attach_overloaded`]).
    pub overloaded: Vec<Overloaded>,
}

impl PointSummary {
    pub fn metric(&self, name: &str) -> Option<&Estimate> {
        self.metrics.iter().find(|(n, _)| n == name).map(|(_, e)| e)
    }
}

#[derive(Clone, Debug)]
pub struct Summary {
    pub version: String,
    pub scenario: String,
    pub seed: u64,
    pub points: Vec<PointSummary>,
}

/// Summarises `records` (any order) of a run over `points`. A point without records (another
/// shard's) is left out.
pub fn summarize(
    scenario: &str,
    seed: u64,
    confidence: f64,
    points: &[Params],
    records: &[Record],
) -> Summary {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_key(|r| r.item);
    let mut summaries = Vec::new();
    for (point, params) in points.iter().enumerate() {
        let of_point: Vec<&Record> = sorted
            .iter()
            .copied()
            .filter(|r| r.item.point == point)
            .collect();
        if of_point.is_empty() {
            continue;
        }
        let mut names: Vec<&str> = Vec::new();
        for record in &of_point {
            for (name, _) in &record.metrics {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        let metrics: Vec<(String, Estimate)> = names
            .iter()
            .map(|&name| {
                let values = metric_values(&of_point, name);
                (name.to_string(), stats::estimate(&values, confidence))
            })
            .collect();
        let wait_ci = metrics
            .iter()
            .find(|(name, _)| name == "pipeline.wait.mean")
            .and_then(|(_, estimate): &(String, Estimate)| estimate.ci);
        let warmup = warmup_check(&of_point, wait_ci, confidence);
        summaries.push(PointSummary {
            point,
            params: params.clone(),
            replications: of_point.len(),
            metrics,
            warmup,
            overloaded: Vec::new(),
        });
    }
    Summary {
        version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario.to_string(),
        seed,
        points: summaries,
    }
}

impl Summary {
    /// Gives each point the overloads `manifest.json` lists for it, so that a script reading
    /// only `summary.json` sees them beside the figures they make unsteady.
    pub fn attach_overloaded(&mut self, overloaded: &[Overloaded]) {
        for point in &mut self.points {
            point.overloaded = overloaded
                .iter()
                .filter(|o| o.point == point.point)
                .cloned()
                .collect();
        }
    }

    pub fn to_json(&self) -> Value {
        let points: Vec<Value> = self
            .points
            .iter()
            .map(|p| {
                let metrics: serde_json::Map<String, Value> = p
                    .metrics
                    .iter()
                    .map(|(name, e)| (name.clone(), json!({"mean": e.mean, "ci": e.ci, "n": e.n})))
                    .collect();
                let mut point = json!({
                    "params": p.params,
                    "replications": p.replications,
                    "metrics": metrics,
                });
                if let Some(check) = &p.warmup {
                    point["warmup_check"] = warmup_json(check);
                }
                if !p.overloaded.is_empty() {
                    point["overloaded"] = p
                        .overloaded
                        .iter()
                        .map(|o| {
                            let mut entry = json!(o);
                            if let Some(fields) = entry.as_object_mut() {
                                fields.shift_remove("point");
                            }
                            entry
                        })
                        .collect();
                }
                point
            })
            .collect();
        json!({
            "pipesim": self.version,
            "scenario": self.scenario,
            "seed": self.seed,
            "points": points,
        })
    }

    /// The text of `summary.json`.
    pub fn to_text(&self) -> String {
        super::json_text(&self.to_json())
    }

    /// `summary.csv`: one row per point and metric (`point`, `replications`, a column per
    /// swept path, `metric`, `mean`, `ci`, `n`), the numbers of `summary.json` exactly
    /// (shortest round-trip decimals; swept numbers in base units; an undefined value empty).
    /// Long rather than wide, so that any metric set fits one header, and a pivot gives the
    /// console's table.
    pub fn to_csv(&self) -> Result<String, String> {
        let paths: Vec<&String> = self
            .points
            .first()
            .map(|p| p.params.keys().collect())
            .unwrap_or_default();
        let mut writer = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["point", "replications"];
        header.extend(paths.iter().map(|p| p.as_str()));
        header.extend(["metric", "mean", "ci", "n"]);
        let error = |e: csv::Error| format!("cannot write {CSV_FILE_NAME}: {e}");
        writer.write_record(&header).map_err(error)?;
        let number = |x: Option<f64>| {
            x.filter(|x| x.is_finite())
                .map_or(String::new(), |x| x.to_string())
        };
        for p in &self.points {
            let params: Vec<String> = paths
                .iter()
                .map(|path| match p.params.get(*path) {
                    Some(Value::String(text)) => text.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                })
                .collect();
            for (name, estimate) in &p.metrics {
                let mut row = vec![p.point.to_string(), p.replications.to_string()];
                row.extend(params.iter().cloned());
                row.extend([
                    name.clone(),
                    number(estimate.mean),
                    number(estimate.ci),
                    estimate.n.to_string(),
                ]);
                writer.write_record(&row).map_err(error)?;
            }
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| format!("cannot write {CSV_FILE_NAME}: {e}"))?;
        String::from_utf8(bytes).map_err(|e| format!("cannot write {CSV_FILE_NAME}: {e}"))
    }
}

/// Metric `name` of each record, NaN where a record lacks it.
pub fn metric_values(records: &[&Record], name: &str) -> Vec<f64> {
    records
        .iter()
        .map(|r| {
            r.metrics
                .iter()
                .find(|(n, _)| n == name)
                .map_or(f64::NAN, |(_, v)| *v)
        })
        .collect()
}

/// The cautions of one point from its records (in work-item order), as `summarize` and
/// [`point_cautions`] give them.
pub fn record_cautions(of_point: &[&Record], confidence: f64) -> Vec<String> {
    let estimate = |name: &str| stats::estimate(&metric_values(of_point, name), confidence);
    let check = warmup_check(of_point, estimate("pipeline.wait.mean").ci, confidence);
    cautions(check.as_ref(), unfinished_share(|name| estimate(name).mean))
}

/// The warm-up check of one point's records (in work-item order); `wait_ci`: the confidence
/// half-width of its `pipeline.wait.mean`.
pub fn warmup_check(
    of_point: &[&Record],
    wait_ci: Option<f64>,
    confidence: f64,
) -> Option<WarmupCheck> {
    let batches: Vec<_> = of_point.iter().map(|r| r.wait_batches.as_ref()).collect();
    warmup::check(&batches, wait_ci, confidence)
}

/// Above this share of the counted pipelines still running at the end, their absence from
/// the wait and makespan figures is worth a caution.
pub const UNFINISHED_CAUTION: f64 = 0.01;

/// The share of a point's counted pipelines still running at the end (means over its
/// replications), from its `pipeline.{completed,rejected,unfinished}`; `None` without them.
pub fn unfinished_share(metric: impl Fn(&str) -> Option<f64>) -> Option<f64> {
    let unfinished = metric("pipeline.unfinished")?;
    let ended = metric("pipeline.completed")? + metric("pipeline.rejected")? + unfinished;
    (ended > 0.0).then(|| unfinished / ended)
}

/// Why a point's figures are not the steady-state figures they appear to be, besides an
/// overload (named from the manifest): the warm-up check's finding, and pipelines left out
/// for being unfinished. One sentence each; empty when there is nothing to say.
pub fn cautions(warmup: Option<&WarmupCheck>, unfinished: Option<f64>) -> Vec<String> {
    let mut cautions: Vec<String> = warmup.and_then(warmup_text).into_iter().collect();
    if let Some(share) = unfinished.filter(|&share| share > UNFINISHED_CAUTION) {
        cautions.push(format!(
            "{:.1}% of the counted pipelines were still running at the end: pipeline.wait.* and \
             pipeline.makespan.* leave them out, and the longer a pipeline takes the likelier it \
             is among them, so those figures lean low. Set `drain = true` in `scenario` to let \
             them finish.",
            100.0 * share
        ));
    }
    cautions
}

/// Whether a point's cautions bear on `metric`: a warm-up too short on every figure (the
/// run's empty start is in all of them), unfinished pipelines on the wait and makespan
/// figures that leave them out. (A sweep chart circles a point only where it matters.)
pub fn caution_concerns(
    warmup: Option<&WarmupCheck>,
    unfinished: Option<f64>,
    metric: &str,
) -> bool {
    let unsettled =
        matches!(warmup, Some(WarmupCheck::Checked(c)) if c.verdict != Verdict::Settled);
    let left_out = unfinished.is_some_and(|share| share > UNFINISHED_CAUTION)
        && (metric.starts_with("pipeline.wait.") || metric.starts_with("pipeline.makespan."));
    unsettled || left_out
}

/// The cautions of a point of this summary.
pub fn point_cautions(point: &PointSummary) -> Vec<String> {
    let metric = |name: &str| point.metric(name)?.mean;
    cautions(point.warmup.as_ref(), unfinished_share(metric))
}

/// What a warm-up check that failed means for the point's figures, and what to do; `None`
/// when it passed or was not made.
pub fn warmup_text(check: &WarmupCheck) -> Option<String> {
    use super::report::duration;
    let WarmupCheck::Checked(c) = check else {
        return None;
    };
    match c.verdict {
        Verdict::Settled => None,
        Verdict::Biased => Some(format!(
            "the mean wait settles only about {} into the run (`warmup` is {}): counting from \
             there moves pipeline.wait.mean by {}{} ± {}, more than its confidence interval. \
             Set `warmup = {}` or longer.",
            duration(c.settled),
            duration(c.warmup),
            if c.shift < 0.0 { "+" } else { "-" },
            duration(c.shift.abs()),
            duration(c.shift_ci),
            warmup::literal_at_least(c.settled)
        )),
        Verdict::Drifting => Some(
            "the mean wait does not settle within the first half of the time after `warmup`, \
             so the figures are not steady-state ones (an overload, or a horizon too short for \
             the system's time scale)."
                .to_string(),
        ),
    }
}

/// A point's `warmup_check` in `summary.json`.
fn warmup_json(check: &WarmupCheck) -> Value {
    match check {
        WarmupCheck::NotChecked { reason } => json!({"verdict": "not_checked", "reason": reason}),
        WarmupCheck::Checked(c) => json!({
            "verdict": c.verdict.name(),
            "warmup": c.warmup,
            "settled": c.settled,
            "shift": c.shift,
            "shift_ci": c.shift_ci,
            "width": c.width,
            "mean_wait": c.mean_wait,
        }),
    }
}

/// Reads back a point's `warmup_check` (for the report); `None` if it is not one.
pub fn warmup_from_json(value: &Value) -> Option<WarmupCheck> {
    let verdict = match value.get("verdict")?.as_str()? {
        "not_checked" => {
            return Some(WarmupCheck::NotChecked {
                reason: value.get("reason")?.as_str()?.to_string(),
            })
        }
        "settled" => Verdict::Settled,
        "biased" => Verdict::Biased,
        "drifting" => Verdict::Drifting,
        _ => return None,
    };
    // `null` where a value was not finite.
    let number = |key: &str| match value.get(key)? {
        Value::Null => Some(f64::NAN),
        other => other.as_f64(),
    };
    Some(WarmupCheck::Checked(Checked {
        verdict,
        warmup: number("warmup")?,
        width: number("width")?,
        mean_wait: value
            .get("mean_wait")?
            .as_array()?
            .iter()
            .map(|v| v.as_f64().unwrap_or(f64::NAN))
            .collect(),
        settled: number("settled")?,
        shift: number("shift")?,
        shift_ci: number("shift_ci")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::WorkItem;

    fn record(point: usize, replication: u32, metrics: &[(&str, f64)]) -> Record {
        Record {
            item: WorkItem { point, replication },
            metrics: metrics.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            wait_batches: None,
        }
    }

    #[test]
    fn a_share_of_unfinished_pipelines_above_one_percent_is_a_caution() {
        let metrics = |unfinished: f64| {
            move |name: &str| match name {
                "pipeline.completed" => Some(960.0),
                "pipeline.rejected" => Some(40.0 - unfinished),
                "pipeline.unfinished" => Some(unfinished),
                _ => None,
            }
        };
        assert_eq!(unfinished_share(metrics(32.0)), Some(0.032));
        assert!(cautions(None, unfinished_share(metrics(5.0))).is_empty());
        let said = cautions(None, unfinished_share(metrics(32.0)));
        assert_eq!(said.len(), 1);
        assert!(
            said[0].starts_with("3.2% of the counted pipelines"),
            "{said:?}"
        );
        assert_eq!(unfinished_share(|_| None), None);
    }

    /// A warm-up too short is in every figure; unfinished pipelines only in the waits and
    /// makespans that leave them out.
    #[test]
    fn a_caution_concerns_the_metrics_it_biases() {
        let checked = |verdict| {
            WarmupCheck::Checked(Checked {
                verdict,
                warmup: 0.0,
                width: 60.0,
                mean_wait: vec![1.0; 20],
                settled: 600.0,
                shift: -5.0,
                shift_ci: 1.0,
            })
        };
        let (biased, settled) = (checked(Verdict::Biased), checked(Verdict::Settled));
        let not_checked = WarmupCheck::NotChecked {
            reason: "replayed".into(),
        };
        for metric in ["pipeline.wait.p95", "resource.gpu.utilization"] {
            assert!(caution_concerns(Some(&biased), None, metric));
            assert!(caution_concerns(
                Some(&checked(Verdict::Drifting)),
                None,
                metric
            ));
            assert!(!caution_concerns(Some(&settled), Some(0.005), metric));
            assert!(!caution_concerns(Some(&not_checked), None, metric));
        }
        for metric in ["pipeline.wait.mean", "pipeline.makespan.p99"] {
            assert!(caution_concerns(Some(&settled), Some(0.03), metric));
        }
        for metric in [
            "resource.gpu.utilization",
            "pipeline.completed",
            "step.p.s.wait.mean",
        ] {
            assert!(!caution_concerns(Some(&settled), Some(0.03), metric));
        }
    }

    #[test]
    fn summary_has_the_contract_shape() {
        let mut params = Params::new();
        params.insert("gpu.capacity".into(), json!(4));
        let records = vec![
            record(
                0,
                1,
                &[("pipeline.wait.mean", 3.0), ("pipeline.arrived", 10.0)],
            ),
            record(
                0,
                0,
                &[("pipeline.wait.mean", 1.0), ("pipeline.arrived", 12.0)],
            ),
            record(
                0,
                2,
                &[("pipeline.wait.mean", f64::NAN), ("pipeline.arrived", 11.0)],
            ),
        ];
        let summary = summarize("growth", 7, 0.95, &[params], &records);
        let value = summary.to_json();
        // Mean 2 and half-width t(0.975, 1) * sd / sqrt(2) with sd = sqrt(2): 12.706204736174694
        // (scipy: stats.t.ppf(0.975, 1)).
        let ci = value["points"][0]["metrics"]["pipeline.wait.mean"]["ci"]
            .as_f64()
            .unwrap();
        assert!((ci - 12.706204736174694).abs() < 1e-9, "{ci}");
        let mut expected = value.clone();
        expected["points"][0]["metrics"]["pipeline.wait.mean"]["ci"] = json!(null);
        assert_eq!(
            expected,
            json!({
                "pipesim": env!("CARGO_PKG_VERSION"),
                "scenario": "growth",
                "seed": 7,
                "points": [{
                    "params": {"gpu.capacity": 4},
                    "replications": 3,
                    "metrics": {
                        "pipeline.wait.mean": {"mean": 2.0, "ci": null, "n": 2},
                        "pipeline.arrived": {"mean": 11.0, "ci": value["points"][0]["metrics"]["pipeline.arrived"]["ci"], "n": 3},
                    }
                }]
            })
        );
        let keys: Vec<_> = value.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["pipesim", "scenario", "seed", "points"]);
    }

    #[test]
    fn record_order_does_not_change_the_text() {
        let points = vec![Params::new(), Params::new()];
        let records = vec![
            record(0, 0, &[("m", 0.1)]),
            record(0, 1, &[("m", 0.2)]),
            record(0, 2, &[("m", 0.3)]),
            record(1, 0, &[("m", 1e-9)]),
            record(1, 1, &[("m", 7.0)]),
        ];
        let mut reversed = records.clone();
        reversed.reverse();
        assert_eq!(
            summarize("s", 1, 0.9, &points, &records).to_text(),
            summarize("s", 1, 0.9, &points, &reversed).to_text()
        );
    }

    #[test]
    fn points_without_records_are_left_out() {
        let points = vec![Params::new(), Params::new()];
        let summary = summarize("s", 1, 0.95, &points, &[record(1, 0, &[("m", 1.0)])]);
        assert_eq!(summary.points.len(), 1);
        assert_eq!(summary.points[0].point, 1);
        assert_eq!(summary.points[0].metric("m").unwrap().ci, None);
    }
}
