//! Reading a run directory for the report: summary.json whole (it is small), the CSV traces
//! streamed row by row into fixed-size aggregates (time bins and log-scale histograms), so
//! memory does not grow with the length of the run.
//!
//! Invariants: every aggregate is keyed by sweep point; time bins hold sums (never averages),
//! so merging two bins is adding them, and rates and means are taken only when drawing.

use crate::output::manifest::Overloaded;
use crate::output::summary;
use crate::stats::warmup::WarmupCheck;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// At most this many bins per time series: when the run is longer, bins double in width.
const MAX_BINS: usize = 240;

/// Sums over consecutive time intervals of equal width, starting at 0 s.
#[derive(Clone, Debug)]
pub struct Bins {
    pub width: f64,
    channels: usize,
    sums: Vec<f64>,
}

impl Bins {
    pub fn new(width: f64, channels: usize) -> Bins {
        Bins {
            width,
            channels,
            sums: Vec::new(),
        }
    }

    /// Makes room for the instant `t` (or, with `closed_end`, for an interval ending at `t`),
    /// doubling the bin width (and merging pairs) as needed.
    fn reach(&mut self, t: f64, closed_end: bool) {
        let outside = |t: f64, width: f64| {
            if closed_end {
                t > width * MAX_BINS as f64
            } else {
                t >= width * MAX_BINS as f64
            }
        };
        while outside(t, self.width) {
            let old_bins = self.len();
            let mut merged = vec![0.0; old_bins.div_ceil(2) * self.channels];
            for bin in 0..old_bins {
                for c in 0..self.channels {
                    merged[(bin / 2) * self.channels + c] += self.sums[bin * self.channels + c];
                }
            }
            self.sums = merged;
            self.width *= 2.0;
        }
        let bins = if closed_end {
            (t / self.width).ceil() as usize
        } else {
            (t / self.width) as usize + 1
        };
        if bins > self.len() {
            self.sums.resize(bins * self.channels, 0.0);
        }
    }

    pub fn len(&self) -> usize {
        self.sums.len() / self.channels
    }

    pub fn is_empty(&self) -> bool {
        self.sums.is_empty()
    }

    /// Adds `values` at the instant `t`.
    pub fn add_at(&mut self, t: f64, values: &[f64]) {
        if !t.is_finite() || t < 0.0 {
            return;
        }
        self.reach(t, false);
        let bin = (t / self.width) as usize;
        for (c, v) in values.iter().enumerate() {
            self.sums[bin * self.channels + c] += v;
        }
    }

    /// Adds `rates` times the overlap of `[t0, t1)` with each bin.
    pub fn add_interval(&mut self, t0: f64, t1: f64, rates: &[f64]) {
        if !(t0.is_finite() && t1.is_finite()) || t1 <= t0 {
            return;
        }
        let t0 = t0.max(0.0);
        if t1 <= t0 {
            return;
        }
        self.reach(t1, true);
        let first = (t0 / self.width) as usize;
        let last = ((t1 / self.width) as usize).min(self.len() - 1);
        for bin in first..=last {
            let lo = (bin as f64 * self.width).max(t0);
            let hi = ((bin + 1) as f64 * self.width).min(t1);
            if hi > lo {
                for (c, rate) in rates.iter().enumerate() {
                    self.sums[bin * self.channels + c] += rate * (hi - lo);
                }
            }
        }
    }

    pub fn get(&self, bin: usize, channel: usize) -> f64 {
        self.sums[bin * self.channels + channel]
    }

    /// The middle of each bin, in seconds.
    pub fn middle(&self, bin: usize) -> f64 {
        (bin as f64 + 0.5) * self.width
    }
}

/// Counts of non-negative values in log-spaced bins (100 per decade from 1 µs to 10^9 s,
/// so a quantile is known within 2.3 %), plus exact count, sum, zeros, minimum and maximum.
#[derive(Clone, Debug)]
pub struct LogHistogram {
    counts: Vec<u64>,
    pub zeros: u64,
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

const LOG_MIN: f64 = -6.0;
const BINS_PER_DECADE: f64 = 100.0;
const LOG_BINS: usize = 1500;

impl Default for LogHistogram {
    fn default() -> Self {
        LogHistogram {
            counts: vec![0; LOG_BINS],
            zeros: 0,
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: 0.0,
        }
    }
}

impl LogHistogram {
    pub fn add(&mut self, value: f64) {
        if !value.is_finite() || value < 0.0 {
            return;
        }
        self.count += 1;
        self.sum += value;
        self.max = self.max.max(value);
        self.min = self.min.min(value);
        if value <= crate::math::pow(10.0, LOG_MIN) {
            self.zeros += 1;
            return;
        }
        // Our ln, not the platform's log10: a value on a bin's edge falls the same way everywhere.
        let log10 = crate::math::ln(value) / std::f64::consts::LN_10;
        let bin = ((log10 - LOG_MIN) * BINS_PER_DECADE) as usize;
        self.counts[bin.min(LOG_BINS - 1)] += 1;
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            self.sum / self.count as f64
        }
    }

    fn bin_upper(bin: usize) -> f64 {
        crate::math::pow(10.0, LOG_MIN + (bin + 1) as f64 / BINS_PER_DECADE)
    }

    /// The `q` quantile (the geometric middle of its bin, within the smallest and largest
    /// values seen, so that a constant's quantiles are the constant; 0 when it falls among
    /// the zeros).
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        let rank = (q * self.count as f64).ceil().max(1.0) as u64;
        if rank <= self.zeros {
            return 0.0;
        }
        let mut seen = self.zeros;
        for (bin, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let lower = crate::math::pow(10.0, LOG_MIN + bin as f64 / BINS_PER_DECADE);
                return (lower * Self::bin_upper(bin))
                    .sqrt()
                    .max(self.min)
                    .min(self.max);
            }
        }
        self.max
    }

    /// The empirical CDF at the upper edges of the non-empty bins: (value, fraction ≤ value).
    pub fn cdf(&self) -> Vec<(f64, f64)> {
        let mut points = Vec::new();
        if self.count == 0 {
            return points;
        }
        let total = self.count as f64;
        let mut seen = self.zeros;
        points.push((0.0, seen as f64 / total));
        for (bin, &n) in self.counts.iter().enumerate() {
            if n > 0 {
                seen += n;
                points.push((Self::bin_upper(bin).min(self.max), seen as f64 / total));
            }
        }
        points
    }
}

#[derive(Clone, Debug, Default)]
pub struct StepStats {
    pub wait: LogHistogram,
    pub service: LogHistogram,
}

/// A pool's state integrated over time: channels busy·s, capacity·s, queue·s, covered s.
#[derive(Clone, Debug)]
pub struct ResourceSeries {
    pub bins: Bins,
}

/// Everything the report shows about one sweep point's traces.
#[derive(Clone, Debug)]
pub struct PointTraces {
    pub replications: BTreeSet<u32>,
    /// The latest time any row of the point mentions, in seconds.
    pub end_time: f64,
    pub steps: BTreeMap<(String, String), StepStats>,
    pub resources: BTreeMap<String, ResourceSeries>,
    /// Arrivals per template, counted in bins.
    pub arrivals: BTreeMap<String, Bins>,
    /// Bytes per link, spread over each transfer's duration.
    pub links: BTreeMap<String, Bins>,
    /// By arrival time: channels sum of waits, number of pipelines.
    pub wait_by_arrival: Bins,
    pub wait: LogHistogram,
    pub makespan: LogHistogram,
    pub outcomes: BTreeMap<String, u64>,
}

impl Default for PointTraces {
    fn default() -> Self {
        PointTraces {
            replications: BTreeSet::new(),
            end_time: 0.0,
            steps: BTreeMap::new(),
            resources: BTreeMap::new(),
            arrivals: BTreeMap::new(),
            links: BTreeMap::new(),
            wait_by_arrival: Bins::new(300.0, 2),
            wait: LogHistogram::default(),
            makespan: LogHistogram::default(),
            outcomes: BTreeMap::new(),
        }
    }
}

impl PointTraces {
    pub fn n_replications(&self) -> f64 {
        self.replications.len().max(1) as f64
    }
}

#[derive(Clone, Debug)]
pub struct Metric {
    pub name: String,
    pub mean: f64,
    pub ci: f64,
    pub n: u64,
}

#[derive(Clone, Debug)]
pub struct PointSummary {
    /// The point's index in the sweep (manifest.json's `points`): an incomplete run's or a
    /// shard's summary may lack some points, so this is not its place in the summary.
    pub point: usize,
    pub params: Vec<(String, Value)>,
    /// The params as the scenario writes them (`1Gbps`), for labels; `params` as a fallback.
    pub written: Vec<(String, Value)>,
    pub replications: u64,
    pub metrics: Vec<Metric>,
    /// The warm-up check (summary.json's `warmup_check`), if the run made one.
    pub warmup: Option<WarmupCheck>,
}

/// A run directory, read for the report.
#[derive(Clone, Debug)]
pub struct RunData {
    pub run_dir: PathBuf,
    pub run_name: String,
    pub scenario: String,
    pub version: String,
    pub seed: Option<u64>,
    pub start: Option<String>,
    pub points: Vec<PointSummary>,
    /// The experiment's `metrics` (manifest.json), shown first and drawn against the sweep.
    pub chosen_metrics: Vec<String>,
    pub traces: BTreeMap<u32, PointTraces>,
    pub missing_files: Vec<String>,
    /// The pools and links each point asks for more than they can do (manifest.json).
    pub overloaded: Vec<Overloaded>,
    /// Every sweep point's params as written (manifest.json's `written`, else `points`), by
    /// index: the labels of points the summary lacks too.
    pub point_params: Vec<Vec<(String, Value)>>,
    /// The `--set PATH=VALUE` texts the run was made with (manifest.json's `overrides`).
    pub overrides: Vec<String>,
    /// Set when the run did not run every replication (manifest.json's `missing`).
    pub incomplete: Option<Incomplete>,
    /// Trace files read from `traces/.parts/` (an incomplete run's finished replications),
    /// since their joined file is not there yet.
    pub from_parts: Vec<String>,
}

/// What an incomplete run lacks, and why.
#[derive(Clone, Debug)]
pub struct Incomplete {
    /// Replications that ran, and that the run (or shard) was to run.
    pub ran: usize,
    pub total: usize,
    /// The points none of whose replications ran.
    pub points_not_run: Vec<usize>,
    /// Why it stopped, when not by Ctrl-C.
    pub stopped: Option<crate::output::manifest::Stopped>,
    pub max_live: Option<u64>,
}

impl RunData {
    /// The summary of sweep point `point`, if any of its replications ran.
    pub fn summary_of(&self, point: usize) -> Option<&PointSummary> {
        self.points.iter().find(|p| p.point == point)
    }

    /// Point `point`'s params as written, from the manifest, else from the summary.
    pub fn params_of(&self, point: usize) -> &[(String, Value)] {
        match self.point_params.get(point) {
            Some(params) if !params.is_empty() => params,
            _ => self.summary_of(point).map_or(&[], |p| &p.written),
        }
    }
}

fn number(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => s.parse().unwrap_or(f64::NAN),
        _ => f64::NAN,
    }
}

fn read_summary(run_dir: &Path) -> Result<(Value, Value), String> {
    let summary_path = run_dir.join("summary.json");
    let text = std::fs::read_to_string(&summary_path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!(
                "`{}` is missing; is `{}` a run directory written by `pipesim run`?",
                summary_path.display(),
                run_dir.display()
            )
        } else {
            format!("cannot read `{}`: {e}", summary_path.display())
        }
    })?;
    let summary: Value = serde_json::from_str(&text)
        .map_err(|e| format!("`{}` is not valid JSON: {e}", summary_path.display()))?;
    let manifest = std::fs::read_to_string(run_dir.join("manifest.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    Ok((summary, manifest))
}

/// Column positions by name, for rows of one CSV file.
struct Columns {
    positions: HashMap<String, usize>,
}

impl Columns {
    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> Option<&'r str> {
        self.positions.get(name).and_then(|&i| record.get(i))
    }
    fn number(&self, record: &csv::StringRecord, name: &str) -> f64 {
        self.get(record, name)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    }
    fn unsigned(&self, record: &csv::StringRecord, name: &str) -> Option<u32> {
        self.get(record, name)
            .and_then(|v| v.trim().parse::<u32>().ok())
    }
}

/// Streams one trace file, calling `row` for each record; a missing file is noted, not an error.
/// Where the joined file is missing but `.parts/` holds parts of it (a run stopped before its
/// traces were joined), the parts are read instead, in (point, replication) order, and the
/// file is noted in `from_parts`.
fn stream(
    traces: &Path,
    file: &str,
    (missing, from_parts): (&mut Vec<String>, &mut Vec<String>),
    mut row: impl FnMut(&Columns, &csv::StringRecord),
) -> Result<(), String> {
    let path = traces.join(file);
    match std::fs::File::open(&path) {
        Ok(reader) => stream_file(&path, reader, &mut row),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parts = parts_of(traces, file);
            if parts.is_empty() {
                missing.push(file.to_string());
                return Ok(());
            }
            from_parts.push(file.to_string());
            for part in parts {
                let reader = std::fs::File::open(&part)
                    .map_err(|e| format!("cannot read `{}`: {e}", part.display()))?;
                stream_file(&part, reader, &mut row)?;
            }
            Ok(())
        }
        Err(e) => Err(format!("cannot read `{}`: {e}", path.display())),
    }
}

/// The part files of trace file `file` (`pipelines.csv`) in `traces/.parts/`, named
/// `pipelines.POINT.REPLICATION.csv`, in (point, replication) order.
fn parts_of(traces: &Path, file: &str) -> Vec<PathBuf> {
    let Some(stem) = file.strip_suffix(".csv") else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(traces.join(".parts")) else {
        return Vec::new();
    };
    let mut parts: Vec<((u64, u64), PathBuf)> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let name = entry.file_name();
            let name = name.to_str()?;
            let rest = name.strip_prefix(stem)?.strip_prefix('.')?;
            let rest = rest.strip_suffix(".csv")?;
            let (point, replication) = rest.split_once('.')?;
            let key = (point.parse().ok()?, replication.parse().ok()?);
            entry
                .file_type()
                .ok()
                .filter(|t| t.is_file())
                .map(|_| (key, entry.path()))
        })
        .collect();
    parts.sort();
    parts.into_iter().map(|(_, path)| path).collect()
}

fn stream_file(
    path: &Path,
    reader: std::fs::File,
    row: &mut impl FnMut(&Columns, &csv::StringRecord),
) -> Result<(), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, reader));
    let headers = reader
        .headers()
        .map_err(|e| format!("`{}`: {e}", path.display()))?;
    let columns = Columns {
        positions: headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_string(), i))
            .collect(),
    };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => row(&columns, &record),
            Ok(false) => return Ok(()),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(format!("`{}` line {line}: {e}", path.display()));
            }
        }
    }
}

/// The index in the manifest's `points` of the point whose params are `params` (points of an
/// interrupted run may be missing from the summary, so they are found by params, not order).
fn point_index(manifest: &Value, params: Option<&Value>) -> Option<usize> {
    manifest
        .get("points")
        .and_then(|p| p.as_array())
        .and_then(|points| points.iter().position(|p| Some(p) == params))
}

/// Every point's params as the manifest writes them (`written`, else `points`), by index.
fn all_written_params(manifest: &Value) -> Vec<Vec<(String, Value)>> {
    let count = manifest
        .get("points")
        .and_then(|p| p.as_array())
        .map_or(0, Vec::len);
    (0..count)
        .map(|i| {
            let params = manifest.get("points").and_then(|p| p.get(i));
            written_params(manifest, params)
        })
        .collect()
}

/// What the manifest says the run lacks, if anything.
fn incomplete(manifest: &Value, points: &[PointSummary]) -> Option<Incomplete> {
    let missing = manifest.get("missing")?.as_array()?;
    if missing.is_empty() {
        return None;
    }
    let total = match manifest.get("shard").filter(|s| !s.is_null()) {
        Some(shard) => {
            let end = shard.get("end_item").and_then(Value::as_u64).unwrap_or(0);
            let first = shard.get("first_item").and_then(Value::as_u64).unwrap_or(0);
            end.saturating_sub(first) as usize
        }
        None => manifest
            .get("work_items")
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize,
    };
    let ran = total.saturating_sub(missing.len());
    let mut points_not_run: Vec<usize> = missing
        .iter()
        .filter_map(|m| m.get("point")?.as_u64())
        .map(|p| p as usize)
        .filter(|&p| points.iter().all(|s| s.point != p))
        .collect();
    points_not_run.dedup();
    Some(Incomplete {
        ran,
        total,
        points_not_run,
        stopped: manifest
            .get("stopped")
            .and_then(|s| serde_json::from_value(s.clone()).ok()),
        max_live: manifest.get("max_live").and_then(Value::as_u64),
    })
}

/// The manifest's `written` params of the point whose params are `params` (points of an
/// interrupted run may be missing from the summary, so they are found by params, not order).
fn written_params(manifest: &Value, params: Option<&Value>) -> Vec<(String, Value)> {
    let index = point_index(manifest, params);
    let written = index.and_then(|i| manifest.get("written")?.as_array()?.get(i)?.as_object());
    match written.or_else(|| params?.as_object()) {
        Some(o) => o.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        None => Vec::new(),
    }
}

/// Reads the run directory: summary and manifest, then each trace file once.
pub fn read_run(run_dir: &Path) -> Result<RunData, String> {
    if !run_dir.is_dir() {
        return Err(format!(
            "`{}` is not a directory; give a run directory written by `pipesim run`",
            run_dir.display()
        ));
    }
    let (summary, manifest) = read_summary(run_dir)?;
    let text = |v: &Value, key: &str| v.get(key).and_then(|s| s.as_str()).map(str::to_string);
    let points = summary
        .get("points")
        .and_then(|p| p.as_array())
        .map(|points| {
            points
                .iter()
                .enumerate()
                .map(|(position, p)| PointSummary {
                    point: point_index(&manifest, p.get("params")).unwrap_or(position),
                    params: p
                        .get("params")
                        .and_then(|v| v.as_object())
                        .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                        .unwrap_or_default(),
                    written: written_params(&manifest, p.get("params")),
                    replications: p.get("replications").and_then(|r| r.as_u64()).unwrap_or(0),
                    metrics: p
                        .get("metrics")
                        .and_then(|m| m.as_object())
                        .map(|o| {
                            o.iter()
                                .map(|(name, m)| Metric {
                                    name: name.clone(),
                                    mean: m.get("mean").map_or(f64::NAN, number),
                                    ci: m.get("ci").map_or(f64::NAN, number),
                                    n: m.get("n").and_then(|n| n.as_u64()).unwrap_or(0),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    warmup: p.get("warmup_check").and_then(summary::warmup_from_json),
                })
                .collect()
        })
        .unwrap_or_default();
    let run_name = std::fs::canonicalize(run_dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| run_dir.display().to_string());
    let mut data = RunData {
        run_dir: run_dir.to_path_buf(),
        run_name,
        scenario: text(&summary, "scenario").unwrap_or_else(|| "scenario".into()),
        version: text(&summary, "pipesim").unwrap_or_default(),
        seed: summary.get("seed").and_then(|s| s.as_u64()),
        start: text(&summary, "start")
            .or_else(|| text(&manifest, "start"))
            .or_else(|| manifest.get("scenario").and_then(|s| text(s, "start"))),
        points,
        chosen_metrics: manifest
            .get("metrics")
            .and_then(|m| m.as_array())
            .map(|m| {
                m.iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        traces: BTreeMap::new(),
        missing_files: Vec::new(),
        overloaded: manifest
            .get("overloaded")
            .and_then(|o| serde_json::from_value(o.clone()).ok())
            .unwrap_or_default(),
        point_params: all_written_params(&manifest),
        overrides: manifest
            .get("overrides")
            .and_then(|m| m.as_array())
            .map(|m| {
                m.iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        incomplete: None,
        from_parts: Vec::new(),
    };
    data.incomplete = incomplete(&manifest, &data.points);
    read_traces(&run_dir.join("traces"), &mut data)?;
    Ok(data)
}

fn point_of<'a>(
    traces: &'a mut BTreeMap<u32, PointTraces>,
    columns: &Columns,
    record: &csv::StringRecord,
) -> Option<&'a mut PointTraces> {
    let point = columns.unsigned(record, "point")?;
    let traces = traces.entry(point).or_default();
    if let Some(replication) = columns.unsigned(record, "replication") {
        traces.replications.insert(replication);
    }
    Some(traces)
}

fn note_time(traces: &mut PointTraces, t: f64) {
    if t.is_finite() {
        traces.end_time = traces.end_time.max(t);
    }
}

fn read_traces(dir: &Path, data: &mut RunData) -> Result<(), String> {
    let traces = &mut data.traces;
    let missing = &mut data.missing_files;
    let from_parts = &mut data.from_parts;

    stream(
        dir,
        "pipelines.csv",
        (&mut *missing, &mut *from_parts),
        |c, r| {
            let Some(p) = point_of(traces, c, r) else {
                return;
            };
            let arrival = c.number(r, "arrival");
            let wait = c.number(r, "wait");
            let makespan = c.number(r, "makespan");
            note_time(p, arrival);
            note_time(p, c.number(r, "end"));
            if let Some(outcome) = c.get(r, "outcome") {
                *p.outcomes.entry(outcome.to_string()).or_default() += 1;
            }
            if wait.is_finite() {
                p.wait.add(wait);
                p.wait_by_arrival.add_at(arrival, &[wait, 1.0]);
            }
            p.makespan.add(makespan);
        },
    )?;

    stream(
        dir,
        "steps.csv",
        (&mut *missing, &mut *from_parts),
        |c, r| {
            let Some(p) = point_of(traces, c, r) else {
                return;
            };
            note_time(p, c.number(r, "end"));
            let key = (
                c.get(r, "template").unwrap_or("").to_string(),
                c.get(r, "step").unwrap_or("").to_string(),
            );
            let stats = p.steps.entry(key).or_default();
            stats.wait.add(c.number(r, "wait"));
            stats.service.add(c.number(r, "service"));
        },
    )?;

    stream(
        dir,
        "arrivals.csv",
        (&mut *missing, &mut *from_parts),
        |c, r| {
            let Some(p) = point_of(traces, c, r) else {
                return;
            };
            let t = c.number(r, "time");
            note_time(p, t);
            let template = c.get(r, "template").unwrap_or("").to_string();
            p.arrivals
                .entry(template)
                .or_insert_with(|| Bins::new(300.0, 1))
                .add_at(t, &[1.0]);
        },
    )?;

    stream(
        dir,
        "links.csv",
        (&mut *missing, &mut *from_parts),
        |c, r| {
            let Some(p) = point_of(traces, c, r) else {
                return;
            };
            let (start, end, bytes) = (
                c.number(r, "start"),
                c.number(r, "end"),
                c.number(r, "bytes"),
            );
            note_time(p, end);
            let bins = p
                .links
                .entry(c.get(r, "link").unwrap_or("").to_string())
                .or_insert_with(|| Bins::new(60.0, 1));
            if end > start {
                bins.add_interval(start, end, &[bytes / (end - start)]);
            } else {
                bins.add_at(start, &[bytes]);
            }
        },
    )?;

    // A pool's state holds from its row until the next row of the same pool and replication;
    // the last state holds until the end of the point's traces.
    let mut last_state: BTreeMap<(u32, String, u32), (f64, [f64; 3])> = BTreeMap::new();
    stream(
        dir,
        "resources.csv",
        (&mut *missing, &mut *from_parts),
        |c, r| {
            let Some(point) = c.unsigned(r, "point") else {
                return;
            };
            let Some(p) = point_of(traces, c, r) else {
                return;
            };
            let t = c.number(r, "time");
            note_time(p, t);
            let resource = c.get(r, "resource").unwrap_or("").to_string();
            let replication = c.unsigned(r, "replication").unwrap_or(0);
            let state = [
                c.number(r, "busy"),
                c.number(r, "capacity"),
                c.number(r, "queue"),
            ];
            let series = p
                .resources
                .entry(resource.clone())
                .or_insert_with(|| ResourceSeries {
                    bins: Bins::new(60.0, 4),
                });
            if let Some((t0, s)) = last_state.insert((point, resource, replication), (t, state)) {
                series.bins.add_interval(t0, t, &[s[0], s[1], s[2], 1.0]);
            }
        },
    )?;
    for ((point, resource, _), (t0, s)) in last_state {
        if let Some(p) = traces.get_mut(&point) {
            let end = p.end_time;
            if let Some(series) = p.resources.get_mut(&resource) {
                series.bins.add_interval(t0, end, &[s[0], s[1], s[2], 1.0]);
            }
        }
    }

    stream(
        dir,
        "models.csv",
        (&mut *missing, &mut *from_parts),
        |c, r| {
            if let Some(p) = point_of(traces, c, r) {
                note_time(p, c.number(r, "time"));
            }
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_double_without_losing_sums() {
        let mut bins = Bins::new(1.0, 1);
        bins.add_interval(0.0, 10.0, &[2.0]);
        assert_eq!(bins.len(), 10);
        bins.add_at(1000.0, &[5.0]);
        assert_eq!(bins.width, 8.0);
        let total: f64 = (0..bins.len()).map(|b| bins.get(b, 0)).sum();
        assert_eq!(total, 25.0);
        assert_eq!(bins.get(0, 0), 16.0);
        assert_eq!(bins.get(1, 0), 4.0);
    }

    #[test]
    fn quantiles_are_within_the_bin_resolution() {
        let mut histogram = LogHistogram::default();
        for i in 0..1000 {
            histogram.add(if i < 100 { 0.0 } else { i as f64 });
        }
        assert_eq!(histogram.quantile(0.05), 0.0);
        let p95 = histogram.quantile(0.95);
        assert!((p95 / 949.0 - 1.0).abs() < 0.0233, "{p95}");
        assert_eq!(histogram.mean(), (100..1000).sum::<i32>() as f64 / 1000.0);
        let cdf = histogram.cdf();
        assert_eq!(cdf.first(), Some(&(0.0, 0.1)));
        assert_eq!(cdf.last().unwrap().1, 1.0);
    }

    /// A step of constant duration showed a p95 of 59.6 s for 60 s, below its mean: its
    /// bin's middle. Quantiles stay within the values seen.
    #[test]
    fn a_constants_quantiles_are_the_constant() {
        for value in [60.0, 7200.0, 0.25] {
            let mut histogram = LogHistogram::default();
            for _ in 0..50 {
                histogram.add(value);
            }
            for q in [0.5, 0.95, 0.99] {
                assert_eq!(histogram.quantile(q), value, "{value} at {q}");
            }
        }
    }
}
