//! Fitting a workload model to a recorded trace: what `pipesim fit` computes.
//!
//! From a CSV of submit times (and optionally duration columns) this module estimates
//! - a weekly profile: arrivals per weekday-hour divided by how many times the trace covers
//!   that weekday-hour, normalised to a mean of 1 (the engine's convention);
//! - the exponentiated Weibull (scipy's `exponweib`, CDF `(1 - exp(-(x/scale)^c))^a`) of the
//!   interarrival times, by maximum likelihood, as the PipeSim paper does. When a profile is
//!   fitted, interarrivals are measured in *profile time* (time that runs at the profile's
//!   rate), because that is how the engine draws them: the fitted distribution together with
//!   the fitted profile then reproduces the trace;
//! - a lognormal for each duration column, by maximum likelihood (closed form);
//! - Kolmogorov–Smirnov statistics as goodness of fit, and standard errors from the observed
//!   information (the inverse Hessian of the negative log-likelihood).
//!
//! Invariants and decisions:
//! - Nothing here panics on user data: every problem is a [`FitError`] with a message that
//!   names the row, the column or the value.
//! - Rows need not be sorted; blank lines are skipped; equal times are kept.
//! - Recorded times have a finite resolution `r` (whole seconds for date-times; for numbers,
//!   the finest decimal place written). The gap between two rounded times is the true gap
//!   blurred by a triangular kernel of half-width `r` (each time's rounding error is uniform),
//!   so a recorded gap `v` has probability `T(v) = ∫₀¹ [F(v + r u) - F(v - r + r u)] du`
//!   (`F` is 0 below 0), the second difference of `∫F`. That is the likelihood term for small
//!   gaps, including the zeros that repeated submit times give (8% of the Philly trace's
//!   interarrivals): they are neither discarded nor allowed to make the likelihood infinite.
//!   Far from zero (`v ≥ 50 r`), `T(v) = r f(v)` to within `(r/v)²`, and the density is used.
//!   Equal small gaps are grouped and evaluated once, which keeps the fit fast.
//! - Goodness of fit is the Kolmogorov–Smirnov distance of the probability integral transform:
//!   each recorded value maps to the interval `[P(recorded < v), P(recorded ≤ v)]` of the
//!   model, ties are spread evenly over it, and the result is compared with the uniform. For
//!   exactly recorded data this is the usual statistic.
//! - The optimiser is Nelder–Mead over log-parameters inside a box, restarted from its own
//!   optimum until it stops improving. The exponentiated Weibull's likelihood can increase all
//!   the way to a limit of the family (`a → ∞`, `c → 0` on very bursty data; `c → ∞` on
//!   nearly periodic data); the box stops it there and the fit reports which bound it
//!   reached, rather than returning absurd numbers silently. It starts from three shapes; on
//!   more than 10,000 gaps they race on an evenly spaced subsample and only the winner is
//!   polished on all the data (the Philly trace fits in a few seconds).
//! - When the maximum-likelihood fit misses the observed mean gap by more than 5% (heavy
//!   tails make that possible), the ready-to-paste `interarrival` keeps the fitted shape and
//!   rescales `scale` to the observed mean, because the arrival rate is what capacity studies
//!   depend on most; the module says so.
//! - Profile hours the trace never covers get the mean rate; covered hours without an arrival
//!   get [`MIN_MULTIPLIER`], so profile time keeps moving through them. Numeric times are
//!   seconds from a Monday 00:00 (the default `scenario.start` is one) unless the command
//!   knows their start (`--start`, or a pipesim run's manifest), when they become date-times
//!   ([`Trace::starting_at`]); date-times are UTC, as trace replay reads them.

use crate::math::{exp, exp_m1, ln, ln_1p, pow};
use chrono::{DateTime, NaiveDateTime};
use std::fmt;
use std::fmt::Write as _;
use std::path::Path;

/// Seconds in an hour, a day and a week.
const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;
const WEEK: f64 = 7.0 * DAY;
/// Times further than this from 0 (seconds) are refused: 31,000 years, beyond any trace, and
/// small enough that an hour still changes an `f64` time.
const MAX_TIME: f64 = 1e12;
/// 1970-01-01 was a Thursday: adding 3 days makes day 0 of the count a Monday.
const EPOCH_WEEKDAY_OFFSET: f64 = 3.0 * DAY;

/// A problem with the trace or the request, as a message for the user.
#[derive(Clone, Debug, PartialEq)]
pub struct FitError(pub String);

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FitError {}

fn error(message: impl Into<String>) -> FitError {
    FitError(message.into())
}

// ---------------------------------------------------------------------------------------------
// Reading a trace

impl Trace {
    /// The times of each run, sorted.
    pub fn run_slices(&self) -> Vec<&[f64]> {
        self.runs
            .iter()
            .filter_map(|range| self.times.get(range.clone()))
            .collect()
    }

    /// The earliest and the latest time (of any run).
    pub fn span(&self) -> (f64, f64) {
        let first = self.times.iter().copied().fold(f64::INFINITY, f64::min);
        let last = self.times.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (first, last)
    }
}

/// Whether the trace's times are calendar date-times or plain seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeKind {
    /// `YYYY-MM-DD HH:MM:SS` or RFC 3339; stored as seconds since the Unix epoch (UTC).
    Calendar,
    /// Numbers: seconds from the scenario start, which is taken to be a Monday 00:00 when a
    /// profile is estimated (the default `scenario.start` is one).
    Seconds,
}

/// A recorded trace: submit times, and the duration columns asked for.
#[derive(Clone, Debug)]
pub struct Trace {
    /// Seconds (since the Unix epoch for [`TimeKind::Calendar`]), run after run, each run
    /// sorted ascending.
    pub times: Vec<f64>,
    /// The runs of `times`: one for a recorded trace, one per replication fitted of a trace
    /// pipesim wrote (whose replications share a time axis: gaps are taken within a run,
    /// never across).
    pub runs: Vec<std::ops::Range<usize>>,
    /// For a trace with `point` and `replication` columns (pipesim's own), what was fitted.
    pub selection: Option<Selection>,
    pub time_kind: TimeKind,
    /// The smallest time difference the recording can express, in seconds.
    pub resolution: f64,
    /// Each requested duration column with its values (blank cells skipped).
    pub durations: Vec<(String, Vec<f64>)>,
    /// Data rows read (not counting blank lines).
    pub rows: usize,
}

/// Which sweep point and replication of a pipesim trace to fit (`--point`, `--replication`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Choose {
    pub point: Option<u64>,
    pub replication: Option<u64>,
}

/// The column of submit times `fit` reads unless `--time-column` names another.
pub const DEFAULT_TIME_COLUMN: &str = "timestamp";

/// What was fitted of a trace with `point` and `replication` columns, as `pipesim run`
/// writes them: one sweep point (points have different parameters, so they are never
/// pooled), and one replication or all of them, pooled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The sweep points with rows in the trace, ascending.
    pub points: Vec<u64>,
    /// The point fitted: `--point`'s, or the first.
    pub point: u64,
    /// The replications of `point` with rows in the trace, ascending.
    pub replications: Vec<u64>,
    /// `--replication`'s, or None: every replication in `replications`, pooled.
    pub replication: Option<u64>,
    /// The column of times taken in place of the default `timestamp`, which pipesim's traces
    /// do not have (`arrival` in pipelines.csv, `time` in arrivals.csv).
    pub time_column: Option<&'static str>,
    /// The fitted point's parameters as the scenario writes them (`gpu.capacity=6`), when the
    /// run's manifest.json was found beside the trace and the point has any: a point's number
    /// alone says nothing of what was run there.
    pub point_params: Option<String>,
}

impl Selection {
    /// What was fitted and how to choose otherwise, in sentences (for the module's comment
    /// and stderr).
    pub fn describe(&self) -> String {
        let params = self
            .point_params
            .as_ref()
            .map(|params| format!(" ({params})"))
            .unwrap_or_default();
        let mut text = if self.points.len() > 1 {
            format!(
                "fitted sweep point {}{params} of the trace's points {} (points have different \
                 parameters and are never pooled; choose one with `--point K`)",
                self.point,
                list(&self.points)
            )
        } else {
            format!(
                "fitted sweep point {}{params}, the trace's only one",
                self.point
            )
        };
        match self.replication {
            Some(r) => {
                let _ = write!(
                    text,
                    "; replication {r} alone, of the point's {} traced",
                    self.replications.len()
                );
            }
            None if self.replications.len() > 1 => {
                let _ = write!(
                    text,
                    "; its {} replications ({}) pooled, interarrivals taken within each \
                     replication and never across (fit one with `--replication N`)",
                    self.replications.len(),
                    list(&self.replications)
                );
            }
            None => {
                let _ = write!(
                    text,
                    "; its one traced replication, {}",
                    list(&self.replications)
                );
            }
        }
        if let Some(column) = self.time_column {
            let _ = write!(
                text,
                "; times from its `{column}` column (choose another with `--time-column NAME`)"
            );
        }
        text.push('.');
        text
    }
}

impl Trace {
    /// Numeric times (seconds from a scenario's start) as date-times, given that start (in
    /// seconds since the Unix epoch): the weekly profile then counts from the start's weekday
    /// and hour instead of taking time 0 to be a Monday 00:00. Date-times are left as they
    /// are.
    pub fn starting_at(mut self, start: f64) -> Trace {
        if self.time_kind == TimeKind::Seconds {
            for t in &mut self.times {
                *t += start;
            }
            self.time_kind = TimeKind::Calendar;
        }
        self
    }
}

/// Parses one recorded time: a number of seconds, an RFC 3339 date-time, or
/// `YYYY-MM-DD HH:MM:SS[.fff]` (no zone: UTC). Returns the seconds and the resolution the text
/// carries (1 s for whole-second date-times, 10^-k for k decimal places).
pub fn parse_time(text: &str) -> Option<(f64, TimeKind, f64)> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        if seconds.is_finite() {
            return Some((seconds, TimeKind::Seconds, decimal_resolution(text)));
        }
        return None;
    }
    let fraction_digits = |t: &str| {
        t.rsplit_once('.')
            .map(|(_, frac)| frac.chars().take_while(|c| c.is_ascii_digit()).count())
            .unwrap_or(0)
    };
    let resolution = |digits: usize| power_of_ten(-(digits as i32));
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        let seconds = dt.timestamp() as f64 + f64::from(dt.timestamp_subsec_nanos()) * 1e-9;
        return Some((
            seconds,
            TimeKind::Calendar,
            resolution(fraction_digits(text)),
        ));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            let utc = naive.and_utc();
            let seconds = utc.timestamp() as f64 + f64::from(utc.timestamp_subsec_nanos()) * 1e-9;
            return Some((
                seconds,
                TimeKind::Calendar,
                resolution(fraction_digits(text)),
            ));
        }
    }
    None
}

/// 10^-k for a number written with k decimal places (1 for an integer). Exponent forms count
/// their exponent (`1e-3` has resolution 0.001).
fn decimal_resolution(text: &str) -> f64 {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (&text[..i], text[i + 1..].parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let decimals = mantissa
        .split_once('.')
        .map(|(_, frac)| frac.len() as i32)
        .unwrap_or(0);
    power_of_ten(exponent - decimals)
}

/// 10^e, the double nearest it, without `powi` (which leaves its multiplications' order, and
/// so its last bits, to the compiler). 10^k is exact for k <= 22, and one IEEE division of
/// 1 by it is the double nearest 10^-k; beyond, Rust's parser rounds correctly. Called for
/// every recorded time, so the usual case allocates nothing.
fn power_of_ten(e: i32) -> f64 {
    const EXACT: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    match EXACT.get(e.unsigned_abs() as usize) {
        Some(&power) if e >= 0 => power,
        Some(&power) => 1.0 / power,
        None => format!("1e{e}").parse().unwrap_or(f64::NAN),
    }
}

/// Reads `path`: the header names the columns; `time_column` holds submit times, each of
/// `duration_columns` a number of seconds per row.
/// A trace with `point` and `replication` columns (pipesim's own) is fitted one sweep point
/// at a time: see [`read_trace_choosing`].
pub fn read_trace(
    path: &Path,
    time_column: &str,
    duration_columns: &[String],
) -> Result<Trace, FitError> {
    read_trace_choosing(path, time_column, duration_columns, Choose::default())
}

/// [`read_trace`] with the sweep point and replication of a pipesim trace to fit.
pub fn read_trace_choosing(
    path: &Path,
    time_column: &str,
    duration_columns: &[String],
    choose: Choose,
) -> Result<Trace, FitError> {
    let file = std::fs::File::open(path)
        .map_err(|e| error(format!("cannot read `{}`: {e}", path.display())))?;
    read_trace_from_choosing(
        file,
        &path.display().to_string(),
        time_column,
        duration_columns,
        choose,
    )
}

/// [`read_trace`] over any reader; `name` is used in messages.
pub fn read_trace_from(
    reader: impl std::io::Read,
    name: &str,
    time_column: &str,
    duration_columns: &[String],
) -> Result<Trace, FitError> {
    read_trace_from_choosing(
        reader,
        name,
        time_column,
        duration_columns,
        Choose::default(),
    )
}

/// The times and duration values of one (point, replication) of a trace.
type Run = (Vec<f64>, Vec<Vec<f64>>);

/// [`read_trace_choosing`] over any reader; `name` is used in messages.
pub fn read_trace_from_choosing(
    reader: impl std::io::Read,
    name: &str,
    time_column: &str,
    duration_columns: &[String],
    choose: Choose,
) -> Result<Trace, FitError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers = csv
        .headers()
        .map_err(|e| error(format!("cannot read the header row of `{name}`: {e}")))?
        .clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(error(format!(
            "`{name}` is empty: expected a header row naming the columns, such as \
             `timestamp,duration`"
        )));
    }
    let find = |column: &str| -> Result<usize, FitError> {
        headers
            .iter()
            .position(|h| header_name(h) == column)
            .ok_or_else(|| {
                let names: Vec<&str> = headers.iter().map(header_name).collect();
                let mut message = format!("`{name}` has no column `{column}`");
                if let Some(separator) = crate::analysis::data::other_separator(&names) {
                    let help = crate::analysis::data::separator_help(names[0], separator);
                    let _ = write!(message, "; {help}");
                    return error(message);
                }
                if let Some(best) = closest(column, &names) {
                    let _ = write!(message, ": did you mean `{best}`?");
                }
                let _ = write!(
                    message,
                    " (columns: {})",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                error(message)
            })
    };
    // pipesim's own traces (`traces/*.csv` of a run directory) start with these columns.
    let position = |column: &str| headers.iter().position(|h| header_name(h) == column);
    let run_indices = position("point").zip(position("replication"));
    // They have no `timestamp`: a pipeline's time is its `arrival` (pipelines.csv), an
    // arrival's its `time` (arrivals.csv). Taken where the default column is missing.
    let time_taken = (run_indices.is_some()
        && time_column == DEFAULT_TIME_COLUMN
        && position(time_column).is_none())
    .then(|| {
        // `time` is an arrival's only in arrivals.csv (with its `source`); resources.csv's
        // and models.csv's times are changes of state, not submissions.
        match (
            position("arrival"),
            position("time").zip(position("source")),
        ) {
            (Some(_), _) => Some("arrival"),
            (None, Some(_)) => Some("time"),
            (None, None) => None,
        }
    })
    .flatten();
    if run_indices.is_some() && time_taken.is_none() && position(time_column).is_none() {
        // steps.csv, resources.csv, links.csv, models.csv: no submissions to fit.
        return Err(error(format!(
            "`{name}` is a trace pipesim wrote that holds no submit times (its steps, \
             resources, transfers or models): fit the pipelines' arrivals from \
             `pipelines.csv` (or `arrivals.csv`) of the same run, or name a column with \
             `--time-column`"
        )));
    }
    let time_index = find(time_taken.unwrap_or(time_column))?;
    let duration_indices = duration_columns
        .iter()
        .map(|c| find(c))
        .collect::<Result<Vec<_>, _>>()?;
    if run_indices.is_none() && (choose.point.is_some() || choose.replication.is_some()) {
        return Err(error(format!(
            "`{name}` has no `point` and `replication` columns: `--point` and `--replication` \
             choose among the sweep points and replications of a trace `pipesim run` wrote \
             (`traces/*.csv` of a run directory)"
        )));
    }

    let mut time_kind = None;
    let mut resolution = f64::INFINITY;
    // Rows by (point, replication); a trace without those columns is one run, (0, 0).
    let mut runs: std::collections::BTreeMap<(u64, u64), Run> = Default::default();
    let mut rows = 0;
    for (index, record) in csv.records().enumerate() {
        let record = record.map_err(|e| error(format!("cannot read `{name}`: {e}")))?;
        // The csv reader reports a record's line; blank lines are skipped by the reader or
        // arrive as a single empty field.
        let line = record
            .position()
            .map(|p| p.line())
            .unwrap_or(index as u64 + 2);
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        rows += 1;
        let key = match run_indices {
            None => (0, 0),
            Some((point_index, replication_index)) => {
                let number = |column_index: usize, column: &str, what: &str| {
                    let cell = record.get(column_index).unwrap_or("").trim();
                    cell.parse::<u64>().map_err(|_| {
                        error(format!(
                            "line {line} of `{name}`: `{cell}` in column `{column}` is not {what}"
                        ))
                    })
                };
                (
                    number(point_index, "point", "a sweep point's number")?,
                    number(replication_index, "replication", "a replication's number")?,
                )
            }
        };
        let cell = record.get(time_index).unwrap_or("").trim();
        if cell.is_empty() {
            return Err(error(format!(
                "line {line} of `{name}` has no value in column `{time_column}`"
            )));
        }
        let Some((seconds, kind, cell_resolution)) = parse_time(cell) else {
            return Err(error(format!(
                "line {line} of `{name}`: `{cell}` in column `{time_column}` is neither a number \
                 of seconds nor a date-time such as `2017-10-09 07:01:55` or \
                 `2017-10-09T07:01:55Z`"
            )));
        };
        match time_kind {
            None => time_kind = Some(kind),
            Some(first) if first != kind => {
                return Err(error(format!(
                    "line {line} of `{name}`: column `{time_column}` mixes numbers and date-times \
                     (`{cell}`); write every time the same way"
                )));
            }
            Some(_) => {}
        }
        if seconds.abs() > MAX_TIME {
            return Err(error(format!(
                "line {line} of `{name}`: `{cell}` in column `{time_column}` is too far from \
                 0 to be a time in seconds (more than 10^12 s, 31,000 years)"
            )));
        }
        resolution = resolution.min(cell_resolution);
        let (times, durations) = runs
            .entry(key)
            .or_insert_with(|| (Vec::new(), vec![Vec::new(); duration_columns.len()]));
        times.push(seconds);
        for ((column, values), &column_index) in duration_columns
            .iter()
            .zip(durations.iter_mut())
            .zip(&duration_indices)
        {
            let cell = record.get(column_index).unwrap_or("").trim();
            if cell.is_empty() {
                continue;
            }
            match cell.parse::<f64>() {
                Ok(v) if v.is_finite() => values.push(v),
                _ => {
                    return Err(error(format!(
                        "line {line} of `{name}`: `{cell}` in column `{column}` is not a number \
                         of seconds"
                    )));
                }
            }
        }
    }
    let Some(time_kind) = time_kind else {
        return Err(error(format!("`{name}` has no data rows")));
    };
    let selection = match run_indices {
        None => None,
        Some(_) => Some(Selection {
            time_column: time_taken,
            ..select_runs(name, &runs, choose)?
        }),
    };
    let mut times = Vec::new();
    let mut ranges = Vec::new();
    let mut durations: Vec<(String, Vec<f64>)> = duration_columns
        .iter()
        .map(|c| (c.clone(), Vec::new()))
        .collect();
    for (&(point, replication), (run_times, run_durations)) in runs.iter_mut() {
        if let Some(selection) = &selection {
            if point != selection.point || selection.replication.is_some_and(|r| r != replication) {
                continue;
            }
        }
        run_times.sort_by(f64::total_cmp);
        ranges.push(times.len()..times.len() + run_times.len());
        times.append(run_times);
        for ((_, values), run_values) in durations.iter_mut().zip(run_durations.iter_mut()) {
            values.append(run_values);
        }
    }
    Ok(Trace {
        times,
        runs: ranges,
        selection,
        time_kind,
        resolution,
        durations,
        rows,
    })
}

/// The sweep point and replications of a pipesim trace to fit: `choose`'s, checked against
/// those the trace has, or the first point and every replication of it.
fn select_runs(
    name: &str,
    runs: &std::collections::BTreeMap<(u64, u64), Run>,
    choose: Choose,
) -> Result<Selection, FitError> {
    let mut points: Vec<u64> = runs.keys().map(|&(point, _)| point).collect();
    points.dedup();
    let point = match choose.point {
        Some(point) if !points.contains(&point) => {
            return Err(error(format!(
                "`{name}` has no rows of sweep point {point} (its points: {})",
                list(&points)
            )));
        }
        Some(point) => point,
        None => points.first().copied().unwrap_or_default(),
    };
    let replications: Vec<u64> = runs
        .keys()
        .filter(|&&(p, _)| p == point)
        .map(|&(_, replication)| replication)
        .collect();
    if let Some(replication) = choose.replication {
        if !replications.contains(&replication) {
            return Err(error(format!(
                "`{name}` has no rows of replication {replication} at sweep point {point} (its \
                 replications there: {}; without `--trace all`, a run traces only the first \
                 replication of each point)",
                list(&replications)
            )));
        }
    }
    Ok(Selection {
        points,
        point,
        replications,
        replication: choose.replication,
        time_column: None,
        point_params: None,
    })
}

/// Point or replication numbers as a message lists them: `0, 1, 2`.
fn list(values: &[u64]) -> String {
    values
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A header cell as a column name: without surrounding spaces or the byte order mark that
/// spreadsheet programs put before the first one.
fn header_name(cell: &str) -> &str {
    cell.trim_start_matches('\u{feff}').trim()
}

/// The name in `candidates` closest to `name`, if any is close enough to suggest.
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

// ---------------------------------------------------------------------------------------------
// The weekly profile

/// Arrival-rate multipliers for the 168 hours of the week (Monday 00:00 first), mean 1.
#[derive(Clone, Debug)]
pub struct WeeklyProfile {
    /// `multipliers[day * 24 + hour]`, normalised so their mean is 1.
    pub multipliers: Vec<f64>,
    /// Arrivals counted in each weekday-hour.
    pub counts: Vec<u64>,
    /// How many times the trace's span covers each weekday-hour (fractions at the ends).
    pub exposure: Vec<f64>,
    /// Weekday-hours the trace never covers: their multiplier is the mean (1) before
    /// normalisation, since the trace says nothing about them.
    pub uncovered: usize,
    /// Weekday-hours that were covered but saw no arrival: raised to [`MIN_MULTIPLIER`] so
    /// the engine's profile time keeps moving.
    pub floored: usize,
}

/// The smallest multiplier written: an hour of the week with no arrival in the trace still
/// gets a small rate, so that profile time advances through it.
pub const MIN_MULTIPLIER: f64 = 0.01;

/// Seconds since the Monday 00:00 of the week containing `t` (calendar or scenario seconds).
fn week_offset(t: f64, kind: TimeKind) -> f64 {
    let shifted = match kind {
        TimeKind::Calendar => t + EPOCH_WEEKDAY_OFFSET,
        TimeKind::Seconds => t,
    };
    shifted.rem_euclid(WEEK)
}

/// The hour of the week (0 = Monday 00:00-01:00) of time `t`.
pub fn hour_of_week(t: f64, kind: TimeKind) -> usize {
    ((week_offset(t, kind) / HOUR).floor() as usize).min(167)
}

/// Estimates the profile from sorted `times`: the arrival rate of each weekday-hour is its
/// count divided by its exposure (the hours of that kind the span from the first to the last
/// time contains), and the 168 rates are divided by their mean.
pub fn weekly_profile(times: &[f64], kind: TimeKind) -> WeeklyProfile {
    weekly_profile_of_runs(&[times], kind)
}

/// [`weekly_profile`] of several runs over the same clock (a pipesim trace's replications):
/// arrivals and the hours each run covers are added up over the runs.
pub fn weekly_profile_of_runs(runs: &[&[f64]], kind: TimeKind) -> WeeklyProfile {
    let mut counts = vec![0u64; 168];
    let mut exposure = vec![0.0; 168];
    for times in runs {
        for &t in *times {
            counts[hour_of_week(t, kind)] += 1;
        }
        if let (Some(&first), Some(&last)) = (times.first(), times.last()) {
            add_exposure(first, last, kind, &mut exposure);
        }
    }
    let mut rates: Vec<Option<f64>> = counts
        .iter()
        .zip(&exposure)
        .map(|(&n, &e)| (e > 0.0).then(|| n as f64 / e))
        .collect();
    let uncovered = rates.iter().filter(|r| r.is_none()).count();
    let covered: Vec<f64> = rates.iter().flatten().copied().collect();
    let covered_mean = if covered.is_empty() {
        1.0
    } else {
        covered.iter().sum::<f64>() / covered.len() as f64
    };
    for rate in &mut rates {
        if rate.is_none() {
            *rate = Some(covered_mean);
        }
    }
    let mut multipliers: Vec<f64> = rates.into_iter().map(|r| r.unwrap_or(1.0)).collect();
    normalise(&mut multipliers);
    let mut floored = 0;
    for m in &mut multipliers {
        if *m < MIN_MULTIPLIER {
            *m = MIN_MULTIPLIER;
            floored += 1;
        }
    }
    normalise(&mut multipliers);
    WeeklyProfile {
        multipliers,
        counts,
        exposure,
        uncovered,
        floored,
    }
}

/// Credits each weekday-hour with the part of it that the span `first..last` covers.
fn add_exposure(first: f64, last: f64, kind: TimeKind, exposure: &mut [f64]) {
    // Credit each clock hour with the part of it the span covers: hour by hour to the
    // first week boundary, whole weeks at once, then hour by hour again (so the work is
    // bounded by two weeks of hours however long the trace).
    let mut t = first;
    let walk_until = |t: &mut f64, stop: f64, exposure: &mut [f64]| {
        while *t < stop {
            let hour_end = *t - week_offset(*t, kind) % HOUR + HOUR;
            let end = hour_end.min(stop);
            if end <= *t {
                break; // times so large that an hour no longer changes them
            }
            exposure[hour_of_week(*t, kind)] += (end - *t) / HOUR;
            *t = end;
        }
    };
    let first_week_end = first - week_offset(first, kind) + WEEK;
    walk_until(&mut t, first_week_end.min(last), exposure);
    let whole_weeks = ((last - t) / WEEK).floor().max(0.0);
    if whole_weeks > 0.0 {
        for e in exposure.iter_mut() {
            *e += whole_weeks;
        }
        t += whole_weeks * WEEK;
    }
    walk_until(&mut t, last, exposure);
}

fn normalise(values: &mut [f64]) {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    if mean > 0.0 && mean.is_finite() {
        for v in values {
            *v /= mean;
        }
    } else {
        values.fill(1.0);
    }
}

impl WeeklyProfile {
    /// A profile that changes nothing.
    pub fn flat() -> WeeklyProfile {
        WeeklyProfile {
            multipliers: vec![1.0; 168],
            counts: vec![0; 168],
            exposure: vec![0.0; 168],
            uncovered: 0,
            floored: 0,
        }
    }

    /// Profile time at `t`: the integral of the multiplier from the start of `t`'s epoch
    /// week-grid. Differences of profile times are interarrivals as the engine draws them.
    pub fn profile_time(&self, t: f64, kind: TimeKind) -> f64 {
        let offset = week_offset(t, kind);
        let week_start = t - offset;
        let hour = ((offset / HOUR).floor() as usize).min(167);
        let before: f64 = self.multipliers[..hour].iter().sum::<f64>() * HOUR;
        // Each whole week of profile time is exactly a week long, as the mean is 1.
        week_start + before + self.multipliers[hour] * (offset - hour as f64 * HOUR)
    }

    /// The mean multiplier of Monday to Friday and of Saturday and Sunday.
    pub fn weekday_weekend_means(&self) -> (f64, f64) {
        let weekday = self.multipliers[..5 * 24].iter().sum::<f64>() / (5.0 * 24.0);
        let weekend = self.multipliers[5 * 24..].iter().sum::<f64>() / (2.0 * 24.0);
        (weekday, weekend)
    }
}

// ---------------------------------------------------------------------------------------------
// The exponentiated Weibull

/// `ln(1 - exp(-z))` for `z > 0`, accurate for small and large `z`.
fn ln_one_minus_exp_neg(z: f64) -> f64 {
    if z <= 0.0 {
        f64::NEG_INFINITY
    } else if z < std::f64::consts::LN_2 {
        ln(-exp_m1(-z))
    } else {
        ln_1p(-exp(-z))
    }
}

/// Parameters of the exponentiated Weibull in scipy's names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExpWeib {
    pub a: f64,
    pub c: f64,
    pub scale: f64,
}

impl ExpWeib {
    /// `ln F(x)`.
    pub fn ln_cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let z = pow(x / self.scale, self.c);
        self.a * ln_one_minus_exp_neg(z)
    }

    pub fn cdf(&self, x: f64) -> f64 {
        exp(self.ln_cdf(x))
    }

    /// `ln f(x)` for `x > 0`.
    pub fn ln_pdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return f64::NEG_INFINITY;
        }
        let ratio = x / self.scale;
        let z = pow(ratio, self.c);
        ln(self.a) + ln(self.c) - ln(self.scale) + (self.c - 1.0) * ln(ratio) - z
            + (self.a - 1.0) * ln_one_minus_exp_neg(z)
    }

    /// Inverse CDF: `scale * (-ln(1 - u^(1/a)))^(1/c)`.
    pub fn quantile(&self, u: f64) -> f64 {
        let inner = -ln(-exp_m1(ln(u) / self.a));
        self.scale * pow(inner.max(0.0), 1.0 / self.c)
    }

    /// `ln P(lo < X <= hi)`, accurate when the interval is narrow or starts at 0.
    pub fn ln_interval(&self, lo: f64, hi: f64) -> f64 {
        let upper = self.ln_cdf(hi);
        let lower = self.ln_cdf(lo);
        if lower == f64::NEG_INFINITY {
            return upper;
        }
        // ln(F(hi) - F(lo)) = ln F(hi) + ln(1 - exp(-(ln F(hi) - ln F(lo)))).
        upper + ln_one_minus_exp_neg(upper - lower)
    }

    /// The mean, `E[X] = scale * ∫ a (1-e^-z)^(a-1) e^-z z^(1/c) dz`, by Simpson's rule in
    /// `ln z` (the integrand is smooth there for every `a` and `c`).
    pub fn mean(&self) -> f64 {
        let (lo, hi) = (-100.0_f64, ln(800.0_f64));
        let n = 8000;
        let h = (hi - lo) / n as f64;
        let integrand = |y: f64| {
            let z = exp(y);
            let ln_value =
                ln(self.a) + (self.a - 1.0) * ln_one_minus_exp_neg(z) - z + (1.0 / self.c) * y + y;
            exp(ln_value)
        };
        let mut sum = integrand(lo) + integrand(hi);
        for i in 1..n {
            let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
            sum += weight * integrand(lo + i as f64 * h);
        }
        self.scale * sum * h / 3.0
    }
}

/// Interarrival data for the likelihood: each value with the resolution it was recorded at.
#[derive(Clone, Debug)]
pub struct Grouped {
    pub values: Vec<f64>,
    pub resolutions: Vec<f64>,
}

impl Grouped {
    /// Values recorded exactly (resolution 0): the likelihood is the density.
    pub fn exact(values: Vec<f64>) -> Grouped {
        let resolutions = vec![0.0; values.len()];
        Grouped {
            values,
            resolutions,
        }
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn zeros(&self) -> usize {
        self.values.iter().filter(|&&v| v <= 0.0).count()
    }
}

/// How many resolutions from zero a gap must be before the density replaces the rounding
/// model (they agree to within about `(r/v)^2`, 4e-4 here).
pub const DENSITY_CUTOVER: f64 = 50.0;

/// Gauss–Legendre nodes and weights on [0, 1] (8 points), for the rounding model's integral.
const GAUSS_NODES: [f64; 8] = [
    0.019_855_071_751_231_856,
    0.101_666_761_293_186_63,
    0.237_233_795_041_835_5,
    0.408_282_678_752_175_1,
    0.591_717_321_247_825,
    0.762_766_204_958_164_5,
    0.898_333_238_706_813_4,
    0.980_144_928_248_768_2,
];
const GAUSS_WEIGHTS: [f64; 8] = [
    0.050_614_268_145_188_13,
    0.111_190_517_226_687_24,
    0.156_853_322_938_943_64,
    0.181_341_891_689_181,
    0.181_341_891_689_181,
    0.156_853_322_938_943_64,
    0.111_190_517_226_687_24,
    0.050_614_268_145_188_13,
];

impl ExpWeib {
    /// `∫₀¹ g(u) du` for `g(u) = P(lo(u) < X ≤ hi(u))`, with `u = s²` so that the CDF's power
    /// law near zero (`F(x) ~ x^(a c)`) is smooth in `s`.
    fn average_interval(&self, lo: impl Fn(f64) -> f64, hi: impl Fn(f64) -> f64) -> f64 {
        GAUSS_NODES
            .iter()
            .zip(GAUSS_WEIGHTS)
            .map(|(&node, weight)| {
                let u = node * node;
                weight * 2.0 * node * exp(self.ln_interval(lo(u).max(0.0), hi(u)))
            })
            .sum()
    }

    /// The probability that a gap recorded at resolution `r` reads `v` (a multiple of `r`):
    /// `∫₀¹ [F(v + r u) - F(v - r + r u)] du`.
    pub fn recorded_probability(&self, v: f64, r: f64) -> f64 {
        self.average_interval(|u| v - r + r * u, |u| v + r * u)
    }

    /// The probability that a gap recorded at resolution `r` reads at most `v`:
    /// `∫₀¹ F(v + r u) du`.
    pub fn recorded_cdf(&self, v: f64, r: f64) -> f64 {
        if v < 0.0 {
            return 0.0;
        }
        self.average_interval(|_| 0.0, |u| v + r * u)
    }
}

/// The log-likelihood of grouped data under `dist` (see the module docs).
pub fn exponweib_log_likelihood(dist: &ExpWeib, data: &Grouped) -> f64 {
    Prepared::new(data).log_likelihood(dist)
}

/// The data sorted into likelihood terms, with what does not depend on the parameters
/// computed once (the optimiser evaluates the likelihood thousands of times).
struct Prepared {
    /// Small recorded gaps: (value, resolution, how many), each distinct pair once.
    rounded: Vec<(f64, f64, f64)>,
    /// `ln v` of the gaps that use the density.
    ln_values: Vec<f64>,
    /// The sum of `ln r` over the density terms (so that they are probabilities too, and
    /// comparable with the rounded terms).
    ln_resolution_sum: f64,
    /// A gap recorded exactly as zero: impossible under a continuous distribution.
    impossible: bool,
}

impl Prepared {
    fn new(data: &Grouped) -> Prepared {
        let mut prepared = Prepared {
            rounded: Vec::new(),
            ln_values: Vec::new(),
            ln_resolution_sum: 0.0,
            impossible: false,
        };
        let mut small: Vec<(f64, f64)> = Vec::new();
        for (&v, &r) in data.values.iter().zip(&data.resolutions) {
            if r > 0.0 && v < DENSITY_CUTOVER * r {
                small.push((v.max(0.0), r));
            } else if v <= 0.0 {
                prepared.impossible = true;
            } else {
                prepared.ln_values.push(ln(v));
                if r > 0.0 {
                    prepared.ln_resolution_sum += ln(r);
                }
            }
        }
        small.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
        for (v, r) in small {
            match prepared.rounded.last_mut() {
                Some(last) if last.0 == v && last.1 == r => last.2 += 1.0,
                _ => prepared.rounded.push((v, r, 1.0)),
            }
        }
        prepared
    }

    /// The terms are summed in fixed chunks, on as many threads as there are, and the
    /// chunks' sums added in order: the result is the same bits whatever the thread count.
    fn log_likelihood(&self, dist: &ExpWeib) -> f64 {
        use rayon::prelude::*;
        if self.impossible {
            return f64::NEG_INFINITY;
        }
        // Each rounded term integrates over 8 nodes (about 90 logarithms and exponentials),
        // each density term takes 3: chunks of about the same work.
        const ROUNDED_CHUNK: usize = 64;
        const DENSITY_CHUNK: usize = 2048;
        let rounded: Vec<f64> = self
            .rounded
            .par_chunks(ROUNDED_CHUNK)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|&(v, r, count)| count * ln(dist.recorded_probability(v, r)))
                    .sum()
            })
            .collect();
        let (ln_a, ln_c, ln_scale) = (ln(dist.a), ln(dist.c), ln(dist.scale));
        let density: Vec<f64> = self
            .ln_values
            .par_chunks(DENSITY_CHUNK)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|&ln_v| {
                        let ln_ratio = ln_v - ln_scale;
                        let z = exp(dist.c * ln_ratio);
                        (dist.c - 1.0) * ln_ratio - z + (dist.a - 1.0) * ln_one_minus_exp_neg(z)
                    })
                    .sum()
            })
            .collect();
        let constant = (ln_a + ln_c - ln_scale) * self.ln_values.len() as f64;
        self.ln_resolution_sum
            + rounded.iter().sum::<f64>()
            + (constant + density.iter().sum::<f64>())
    }
}

/// Above this many interarrivals, the optimiser's starts race on a subsample of about this size.
const SUBSAMPLE_SIZE: usize = 10_000;

/// The box the optimiser searches, in natural parameters; `scale` relative to the data's mean.
const A_BOUNDS: (f64, f64) = (1e-2, 1e3);
const C_BOUNDS: (f64, f64) = (1e-2, 1e2);
const SCALE_BOUNDS_RELATIVE: (f64, f64) = (1e-12, 1e6);

/// A fitted exponentiated Weibull.
#[derive(Clone, Debug)]
pub struct ExpWeibFit {
    pub dist: ExpWeib,
    pub log_likelihood: f64,
    /// Standard errors of `a`, `c`, `scale` from the observed information, when the Hessian
    /// is positive definite (not at a bound).
    pub standard_errors: Option<[f64; 3]>,
    pub n: usize,
    pub zeros: usize,
    /// Kolmogorov–Smirnov distance between the data and the fit (grouped: see [`ks_grouped`]).
    pub ks: f64,
    /// Names of the parameters that ended at the search box's edge.
    pub at_bound: Vec<&'static str>,
}

/// Fits the exponentiated Weibull to `data` by maximum likelihood.
pub fn fit_exponweib(data: &Grouped) -> Result<ExpWeibFit, FitError> {
    let positive: Vec<f64> = data.values.iter().copied().filter(|&v| v > 0.0).collect();
    if positive.len() < 3 {
        return Err(error(format!(
            "need at least 3 positive interarrival times to fit, found {}",
            positive.len()
        )));
    }
    let mean = positive.iter().sum::<f64>() / positive.len() as f64;
    let bounds = [
        (ln(A_BOUNDS.0), ln(A_BOUNDS.1)),
        (ln(C_BOUNDS.0), ln(C_BOUNDS.1)),
        (
            ln(mean * SCALE_BOUNDS_RELATIVE.0),
            ln(mean * SCALE_BOUNDS_RELATIVE.1),
        ),
    ];
    let prepared = Prepared::new(data);
    let from_log = |x: &[f64]| ExpWeib {
        a: exp(x[0]),
        c: exp(x[1]),
        scale: exp(x[2]),
    };
    // Several starts: the exponential (a = c = 1), a light-tailed and a heavy-tailed shape,
    // each with the data's mean as its scale. On large samples the starts race on an evenly
    // spaced subsample (cheap, and the same optimum to within sampling noise) and only the
    // winner is polished on all the data.
    let subsample_stride = data.len().div_ceil(SUBSAMPLE_SIZE).max(1);
    let subsample = if subsample_stride > 1 {
        let pick = |v: &Vec<f64>| v.iter().copied().step_by(subsample_stride).collect();
        Some(Prepared::new(&Grouped {
            values: pick(&data.values),
            resolutions: pick(&data.resolutions),
        }))
    } else {
        None
    };
    let objective_on = |prepared: &Prepared, x: &[f64]| -> f64 {
        if x.iter().zip(&bounds).any(|(v, (lo, hi))| v < lo || v > hi) {
            return f64::INFINITY;
        }
        let ll = prepared.log_likelihood(&from_log(x));
        if ll.is_nan() {
            f64::INFINITY
        } else {
            -ll
        }
    };
    let objective = |x: &[f64]| objective_on(&prepared, x);
    let starts = [[1.0, 1.0], [2.0, 0.7], [0.5, 1.5]];
    let mut best: Option<(Vec<f64>, f64)> = None;
    for [a, c] in starts {
        let x0 = vec![ln(a), ln(c), ln(mean)];
        let (x, fx) = match &subsample {
            Some(sub) => nelder_mead_restarted(&|x| objective_on(sub, x), &x0, 0.5, 1e-10, 3_000),
            None => nelder_mead_restarted(&objective, &x0, 0.5, 1e-10, 3_000),
        };
        if best.as_ref().is_none_or(|(_, b)| fx < *b) {
            best = Some((x, fx));
        }
    }
    if subsample.is_some() {
        if let Some((x, _)) = &best {
            best = Some(nelder_mead_restarted(&objective, x, 0.1, 1e-10, 3_000));
        }
    }
    let Some((x, fx)) = best else {
        return Err(error("the optimiser found no finite likelihood"));
    };
    if !fx.is_finite() {
        return Err(error(
            "the exponentiated Weibull gives these interarrival times zero likelihood everywhere",
        ));
    }
    let dist = from_log(&x);
    let names = ["a", "c", "scale"];
    let at_bound: Vec<&'static str> = x
        .iter()
        .zip(&bounds)
        .zip(names)
        .filter(|((v, (lo, hi)), _)| (*v - lo).abs() < 1e-3 || (*v - hi).abs() < 1e-3)
        .map(|(_, name)| name)
        .collect();
    // The Hessian is taken over log-parameters, where the likelihood is far better
    // conditioned than in natural units (the scale can be 1e-9 while `a` is 100); the delta
    // method turns a log-parameter's error into the parameter's: se(θ) = θ se(ln θ).
    let standard_errors = if at_bound.is_empty() {
        standard_errors(&objective, &x, 1e-4).map(|log_errors| {
            [
                dist.a * log_errors[0],
                dist.c * log_errors[1],
                dist.scale * log_errors[2],
            ]
        })
    } else {
        None
    };
    let ks = ks_grouped(data, |x| dist.cdf(x));
    Ok(ExpWeibFit {
        dist,
        log_likelihood: -fx,
        standard_errors,
        n: data.len(),
        zeros: data.zeros(),
        ks,
        at_bound,
    })
}

// ---------------------------------------------------------------------------------------------
// The lognormal

/// A lognormal fitted to positive values: `mu`, `sigma` of `ln x` (maximum likelihood: the
/// mean and the population standard deviation of the logs).
#[derive(Clone, Debug)]
pub struct LogNormalFit {
    pub mu: f64,
    pub sigma: f64,
    /// Standard errors: `sigma / sqrt(n)` and `sigma / sqrt(2n)`.
    pub standard_errors: [f64; 2],
    pub n: usize,
    /// Values at or below zero, left out (a lognormal has no mass there).
    pub excluded: usize,
    pub ks: f64,
    /// Where every value is a whole number and there are few of them: how many distinct
    /// values, the least and the most. Such a column is more likely a count (GPUs, shards)
    /// than seconds, and a lognormal of it is a poor description.
    pub few_whole_values: Option<(usize, f64, f64)>,
}

/// Most distinct values a column of whole numbers may have to be told it may be a count.
const FEW_VALUES: usize = 32;

/// See [`LogNormalFit::few_whole_values`].
fn few_whole_values(values: &[f64]) -> Option<(usize, f64, f64)> {
    if values.iter().any(|v| v.fract() != 0.0 || !v.is_finite()) {
        return None;
    }
    let mut distinct: Vec<f64> = Vec::new();
    for &v in values {
        if !distinct.contains(&v) {
            if distinct.len() == FEW_VALUES {
                return None;
            }
            distinct.push(v);
        }
    }
    let min = distinct.iter().copied().fold(f64::INFINITY, f64::min);
    let max = distinct.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some((distinct.len(), min, max))
}

impl LogNormalFit {
    pub fn median(&self) -> f64 {
        exp(self.mu)
    }

    pub fn cdf(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        crate::math::standard_normal_cdf((ln(x) - self.mu) / self.sigma)
    }
}

/// Fits a lognormal to the positive values of `values`.
pub fn fit_lognormal(values: &[f64]) -> Result<LogNormalFit, FitError> {
    let positive: Vec<f64> = values.iter().copied().filter(|&v| v > 0.0).collect();
    let excluded = values.len() - positive.len();
    if positive.len() < 2 {
        return Err(error(format!(
            "need at least 2 positive values to fit a lognormal, found {}",
            positive.len()
        )));
    }
    let n = positive.len() as f64;
    let mu = positive.iter().map(|&v| ln(v)).sum::<f64>() / n;
    let variance = positive
        .iter()
        .map(|&v| (ln(v) - mu) * (ln(v) - mu))
        .sum::<f64>()
        / n;
    let sigma = variance.sqrt();
    if sigma <= 0.0 {
        return Err(error(
            "every value is the same: a lognormal needs some spread (use the constant instead)",
        ));
    }
    let mut fit = LogNormalFit {
        mu,
        sigma,
        standard_errors: [sigma / n.sqrt(), sigma / (2.0 * n).sqrt()],
        n: positive.len(),
        excluded,
        ks: 0.0,
        few_whole_values: few_whole_values(values),
    };
    let data = Grouped::exact(positive);
    fit.ks = ks_grouped(&data, |x| fit.cdf(x));
    Ok(fit)
}

// ---------------------------------------------------------------------------------------------
// Goodness of fit

/// The Kolmogorov–Smirnov distance between the data's probability integral transform and
/// the uniform. `cdf` is the model's CDF of the true value; a value recorded at resolution
/// `r > 0` close to zero maps to the interval `[H(v - r), H(v)]` with `H(x) = ∫₀¹ F(x + r u) du`
/// (the model's CDF of the *recorded* value, see the module docs), farther out to
/// `[F(v - r/2), F(v + r/2)]`; the `k` copies of a tied value are spread evenly over their
/// interval. With resolution 0 this is the usual statistic.
pub fn ks_grouped(data: &Grouped, cdf: impl Fn(f64) -> f64) -> f64 {
    let recorded_cdf = |x: f64, r: f64| -> f64 {
        if x < 0.0 {
            return 0.0;
        }
        GAUSS_NODES
            .iter()
            .zip(GAUSS_WEIGHTS)
            .map(|(&node, weight)| {
                let u = node * node;
                weight * 2.0 * node * cdf(x + r * u)
            })
            .sum()
    };
    let mut pairs: Vec<(f64, f64)> = data
        .values
        .iter()
        .copied()
        .zip(data.resolutions.iter().copied())
        .collect();
    pairs.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.total_cmp(&y.1)));
    let mut transformed = Vec::with_capacity(pairs.len());
    let mut i = 0;
    while i < pairs.len() {
        let (value, r) = pairs[i];
        let mut j = i;
        while j < pairs.len() && pairs[j] == (value, r) {
            j += 1;
        }
        let (below, through) = if r > 0.0 && value < DENSITY_CUTOVER * r {
            (recorded_cdf(value - r, r), recorded_cdf(value, r))
        } else {
            (cdf((value - r / 2.0).max(0.0)), cdf(value + r / 2.0))
        };
        let k = (j - i) as f64;
        for rank in 0..(j - i) {
            transformed.push(below + (through - below) * (rank as f64 + 0.5) / k);
        }
        i = j;
    }
    transformed.sort_by(f64::total_cmp);
    let n = transformed.len() as f64;
    let mut distance: f64 = 0.0;
    for (index, &u) in transformed.iter().enumerate() {
        distance = distance
            .max((index as f64 + 1.0) / n - u)
            .max(u - index as f64 / n);
    }
    distance
}

/// The Kolmogorov–Smirnov critical value at the 5% level for `n` observations (asymptotic).
pub fn ks_critical_5_percent(n: usize) -> f64 {
    1.358 / (n as f64).sqrt()
}

// ---------------------------------------------------------------------------------------------
// Optimisation

/// Nelder–Mead minimisation of `f` from `x0` with an initial simplex of `step` along each axis.
/// Stops when the simplex's function values agree to `tolerance` (relative) or after
/// `max_evaluations`. Returns the best point and its value. Infinite values are allowed (as
/// walls); NaN is treated as infinite.
pub fn nelder_mead(
    f: &dyn Fn(&[f64]) -> f64,
    x0: &[f64],
    step: f64,
    tolerance: f64,
    max_evaluations: usize,
) -> (Vec<f64>, f64) {
    let dims = x0.len();
    let eval = |x: &[f64]| {
        let v = f(x);
        if v.is_nan() {
            f64::INFINITY
        } else {
            v
        }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(dims + 1);
    simplex.push((x0.to_vec(), eval(x0)));
    for axis in 0..dims {
        let mut x = x0.to_vec();
        x[axis] += step;
        let fx = eval(&x);
        simplex.push((x, fx));
    }
    let mut evaluations = dims + 1;
    // Standard coefficients: reflection 1, expansion 2, contraction 1/2, shrink 1/2.
    while evaluations < max_evaluations {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].1;
        let worst = simplex[dims].1;
        let spread = (worst - best).abs();
        let size = simplex
            .iter()
            .skip(1)
            .map(|(x, _)| {
                x.iter()
                    .zip(&simplex[0].0)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max);
        if best.is_finite() && spread <= tolerance * (1.0 + best.abs()) && size < 1e-6 {
            break;
        }
        let centroid: Vec<f64> = (0..dims)
            .map(|k| simplex[..dims].iter().map(|(x, _)| x[k]).sum::<f64>() / dims as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[dims].0)
                .map(|(c, w)| c + t * (w - c))
                .collect()
        };
        let reflected = along(-1.0);
        let f_reflected = eval(&reflected);
        evaluations += 1;
        if f_reflected < simplex[0].1 {
            let expanded = along(-2.0);
            let f_expanded = eval(&expanded);
            evaluations += 1;
            simplex[dims] = if f_expanded < f_reflected {
                (expanded, f_expanded)
            } else {
                (reflected, f_reflected)
            };
            continue;
        }
        if f_reflected < simplex[dims - 1].1 {
            simplex[dims] = (reflected, f_reflected);
            continue;
        }
        // Contract towards the better of the worst point and its reflection.
        let (contracted, f_contracted) = if f_reflected < simplex[dims].1 {
            let x = along(-0.5);
            let fx = eval(&x);
            (x, fx)
        } else {
            let x = along(0.5);
            let fx = eval(&x);
            (x, fx)
        };
        evaluations += 1;
        if f_contracted < simplex[dims].1.min(f_reflected) {
            simplex[dims] = (contracted, f_contracted);
            continue;
        }
        // Shrink everything towards the best point.
        let best_point = simplex[0].0.clone();
        for (x, fx) in simplex.iter_mut().skip(1) {
            for (xi, bi) in x.iter_mut().zip(&best_point) {
                *xi = bi + 0.5 * (*xi - bi);
            }
            *fx = eval(x);
            evaluations += 1;
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    simplex.swap_remove(0)
}

/// Nelder–Mead restarted from its own result with a fresh simplex until a restart no longer
/// improves the value: this guards against the simplex collapsing early, the method's known
/// weakness.
pub fn nelder_mead_restarted(
    f: &dyn Fn(&[f64]) -> f64,
    x0: &[f64],
    step: f64,
    tolerance: f64,
    max_evaluations: usize,
) -> (Vec<f64>, f64) {
    let (mut x, mut fx) = nelder_mead(f, x0, step, tolerance, max_evaluations);
    let mut step = step;
    for _ in 0..8 {
        step = (step * 0.5).max(1e-2);
        let (next_x, next_fx) = nelder_mead(f, &x, step, tolerance, max_evaluations);
        let improved = next_fx < fx - tolerance * (1.0 + fx.abs());
        if next_fx <= fx {
            x = next_x;
            fx = next_fx;
        }
        if !improved {
            break;
        }
    }
    (x, fx)
}

/// Standard errors at a minimum `x` of the negative log-likelihood `f`: the square roots of
/// the diagonal of the inverse Hessian, by central differences with step `step`. `None` when
/// the Hessian is not positive definite (a flat or boundary optimum).
pub fn standard_errors(f: &dyn Fn(&[f64]) -> f64, x: &[f64], step: f64) -> Option<[f64; 3]> {
    if x.len() != 3 {
        return None;
    }
    let f0 = f(x);
    let at = |moves: &[(usize, f64)]| {
        let mut p = x.to_vec();
        for &(index, amount) in moves {
            p[index] += amount * step;
        }
        f(&p)
    };
    let mut hessian = [[0.0; 3]; 3];
    for (i, j) in [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)] {
        let value = if i == j {
            (at(&[(i, 1.0)]) - 2.0 * f0 + at(&[(i, -1.0)])) / (step * step)
        } else {
            (at(&[(i, 1.0), (j, 1.0)]) - at(&[(i, 1.0), (j, -1.0)]) - at(&[(i, -1.0), (j, 1.0)])
                + at(&[(i, -1.0), (j, -1.0)]))
                / (4.0 * step * step)
        };
        hessian[i][j] = value;
        hessian[j][i] = value;
    }
    let inverse = invert_3x3(&hessian)?;
    let mut errors = [0.0; 3];
    for (k, e) in errors.iter_mut().enumerate() {
        if !(inverse[k][k] > 0.0 && inverse[k][k].is_finite()) {
            return None;
        }
        *e = inverse[k][k].sqrt();
    }
    Some(errors)
}

fn invert_3x3(m: &[[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let cofactor =
        |r0: usize, r1: usize, c0: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    let det = m[0][0] * cofactor(1, 2, 1, 2) - m[0][1] * cofactor(1, 2, 0, 2)
        + m[0][2] * cofactor(1, 2, 0, 1);
    if !det.is_finite() || det.abs() < f64::MIN_POSITIVE {
        return None;
    }
    let adjugate = [
        [
            cofactor(1, 2, 1, 2),
            -cofactor(0, 2, 1, 2),
            cofactor(0, 1, 1, 2),
        ],
        [
            -cofactor(1, 2, 0, 2),
            cofactor(0, 2, 0, 2),
            -cofactor(0, 1, 0, 2),
        ],
        [
            cofactor(1, 2, 0, 1),
            -cofactor(0, 2, 0, 1),
            cofactor(0, 1, 0, 1),
        ],
    ];
    let mut inverse = [[0.0; 3]; 3];
    for (r, row) in inverse.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = adjugate[r][c] / det;
        }
    }
    Some(inverse)
}

// ---------------------------------------------------------------------------------------------
// The whole fit and the module it writes

/// What to fit.
#[derive(Clone, Debug)]
pub struct FitOptions {
    /// Estimate a weekly profile and measure interarrivals in profile time.
    pub profile: bool,
    /// The profile's name in the written module.
    pub profile_name: String,
    /// How a scenario would import the written module (shown in its usage comment).
    pub import_path: String,
    /// The trace's path as the written module names it (in `empirical(...)`): relative to
    /// the module's folder, as every path in a `.pipesim` file is.
    pub data_path: String,
}

impl Default for FitOptions {
    fn default() -> FitOptions {
        FitOptions {
            profile: true,
            profile_name: "weekly".to_string(),
            import_path: "fitted.pipesim".to_string(),
            data_path: "trace.csv".to_string(),
        }
    }
}

/// Everything `pipesim fit` found.
#[derive(Clone, Debug)]
pub struct TraceFit {
    pub profile: Option<WeeklyProfile>,
    pub interarrival: ExpWeibFit,
    /// The interarrivals' sample mean (in profile time when there is a profile).
    pub interarrival_mean: f64,
    pub durations: Vec<(String, LogNormalFit)>,
}

/// The interarrival times of sorted `times`, each with the resolution it was recorded at.
/// Gaps are snapped to the resolution's grid (they are differences of rounded times). With
/// a profile, they are measured in profile time: a small gap is the calendar gap times the
/// profile's rate at that hour (exactly, so that equal gaps in equal hours group together),
/// and so is its resolution; a longer one is the difference of the two profile times.
pub fn interarrivals(
    times: &[f64],
    kind: TimeKind,
    resolution: f64,
    profile: Option<&WeeklyProfile>,
) -> Grouped {
    let mut values = Vec::with_capacity(times.len().saturating_sub(1));
    let mut resolutions = Vec::with_capacity(values.capacity());
    for pair in times.windows(2) {
        let (earlier, later) = (pair[0], pair[1]);
        let calendar_gap = if resolution > 0.0 {
            ((later - earlier) / resolution).round() * resolution
        } else {
            later - earlier
        };
        match profile {
            Some(p) => {
                let rate = p.multipliers[hour_of_week(later, kind)];
                if calendar_gap < DENSITY_CUTOVER * resolution {
                    values.push(calendar_gap * rate);
                } else {
                    let gap = p.profile_time(later, kind) - p.profile_time(earlier, kind);
                    values.push(gap.max(0.0));
                }
                resolutions.push(resolution * rate);
            }
            None => {
                values.push(calendar_gap);
                resolutions.push(resolution);
            }
        }
    }
    Grouped {
        values,
        resolutions,
    }
}

/// Fits the profile, the interarrivals and the durations of `trace`.
pub fn fit_trace(trace: &Trace, options: &FitOptions) -> Result<TraceFit, FitError> {
    if trace.times.len() < 4 {
        return Err(error(format!(
            "need at least 4 submit times to fit, found {}",
            trace.times.len()
        )));
    }
    let runs = trace.run_slices();
    let profile = options
        .profile
        .then(|| weekly_profile_of_runs(&runs, trace.time_kind));
    // Gaps within each run only: replications overlaid on one clock are not one process.
    let mut data = Grouped {
        values: Vec::with_capacity(trace.times.len()),
        resolutions: Vec::with_capacity(trace.times.len()),
    };
    for run in &runs {
        let mut gaps = interarrivals(run, trace.time_kind, trace.resolution, profile.as_ref());
        data.values.append(&mut gaps.values);
        data.resolutions.append(&mut gaps.resolutions);
    }
    if data.len() < 3 {
        return Err(error(format!(
            "need at least 3 interarrival times to fit, found {} (gaps are taken within each \
             of the {} replications fitted, never across)",
            data.len(),
            runs.len()
        )));
    }
    let interarrival_mean = data.values.iter().sum::<f64>() / data.len() as f64;
    let interarrival = fit_exponweib(&data)?;
    let mut durations = Vec::new();
    for (column, values) in &trace.durations {
        let fit =
            fit_lognormal(values).map_err(|e| error(format!("column `{column}`: {}", e.0)))?;
        durations.push((column.clone(), fit));
    }
    Ok(TraceFit {
        profile,
        interarrival,
        interarrival_mean,
        durations,
    })
}

/// `x` with `digits` significant digits, in plain decimal notation (never an exponent, so it
/// reads as a number or quantity in a `.pipesim` file), trailing zeros removed.
pub fn format_significant(x: f64, digits: usize) -> String {
    if x == 0.0 || !x.is_finite() {
        return "0".to_string();
    }
    // The platform's log10 is exact at powers of ten, where ln(x) / ln(10) can fall an ulp
    // short and floor to the wrong magnitude; a digit count is not a result's bits.
    #[allow(clippy::disallowed_methods)]
    let magnitude = x.abs().log10().floor() as i32;
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A quantity of seconds in the largest unit that keeps it readable (`4.5min`, `89.1s`).
pub fn format_duration(seconds: f64) -> String {
    if seconds >= 2.0 * DAY {
        format!("{}d", format_significant(seconds / DAY, 4))
    } else if seconds >= 2.0 * HOUR {
        format!("{}h", format_significant(seconds / HOUR, 4))
    } else if seconds >= 120.0 {
        format!("{}min", format_significant(seconds / 60.0, 4))
    } else if seconds >= 0.1 {
        format!("{}s", format_significant(seconds, 4))
    } else if seconds >= 1e-3 {
        format!("{}ms", format_significant(seconds * 1000.0, 4))
    } else {
        // Exponent notation is a valid number in a quantity (`9.66e-6s`).
        format!("{seconds:.3e}s")
    }
}

fn format_with_error(value: f64, error: Option<f64>) -> String {
    match error {
        Some(e) => format!(
            "{} ± {}",
            format_significant(value, 5),
            format_significant(e, 2)
        ),
        None => format_significant(value, 5),
    }
}

fn format_time(t: f64, kind: TimeKind) -> String {
    match kind {
        TimeKind::Calendar => DateTime::from_timestamp(t.floor() as i64, 0)
            .map(|dt| dt.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| format!("{t} s")),
        TimeKind::Seconds => format!("{} s", format_significant(t, 9)),
    }
}

/// A valid `.pipesim` identifier made from `text` (for names taken from file names).
pub fn identifier(text: &str) -> String {
    let mut name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// Writes the fitted model as a `.pipesim` module: a comment block with every fitted
/// parameter and its goodness of fit, ready-to-paste expressions, and the profile.
pub fn render_module(
    trace_name: &str,
    trace: &Trace,
    fit: &TraceFit,
    options: &FitOptions,
) -> String {
    let mut out = String::new();
    let (first, last) = trace.span();
    let span_days = (last - first) / DAY;
    let w = &mut out;
    let _ = writeln!(w, "// Fitted by `pipesim fit` from `{trace_name}`.");
    if let Some(selection) = &trace.selection {
        let _ = writeln!(w, "// A trace pipesim wrote: {}", selection.describe());
    }
    let _ = writeln!(
        w,
        "// {} submit times from {} to {}\n// ({} days); times recorded to {}.",
        trace.times.len(),
        format_time(first, trace.time_kind),
        format_time(last, trace.time_kind),
        format_significant(span_days, 4),
        format_duration(trace.resolution),
    );
    let _ = writeln!(w, "//");

    let ia = &fit.interarrival;
    let d = ia.dist;
    let errors = ia.standard_errors;
    let fitted_mean = d.mean();
    let mean_ratio = fit.interarrival_mean / fitted_mean;
    if fit.profile.is_some() {
        let _ = writeln!(
            w,
            "// Interarrival times in profile time (calendar time run at the rate of profile `{}`",
            options.profile_name
        );
        let _ = writeln!(
            w,
            "// below, as the engine draws them): exponentiated Weibull by maximum likelihood."
        );
    } else {
        let _ = writeln!(
            w,
            "// Interarrival times in calendar time (no profile fitted): exponentiated Weibull by"
        );
        let _ = writeln!(w, "// maximum likelihood.");
    }
    let _ = writeln!(
        w,
        "//   interarrival = exponweib(a = {}, c = {}, scale = {})",
        format_significant(d.a, 5),
        format_significant(d.c, 5),
        format_duration(d.scale),
    );
    let _ = writeln!(
        w,
        "//   a = {}, c = {}, scale = {} s{}",
        format_with_error(d.a, errors.map(|e| e[0])),
        format_with_error(d.c, errors.map(|e| e[1])),
        format_with_error(d.scale, errors.map(|e| e[2])),
        if errors.is_some() {
            " (± one standard error)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        w,
        "//   n = {} interarrivals, log-likelihood {}; mean {} observed, {} fitted",
        ia.n,
        format_significant(ia.log_likelihood, 8),
        format_duration(fit.interarrival_mean),
        format_duration(fitted_mean),
    );
    if ia.zeros > 0 {
        let _ = writeln!(
            w,
            "//   {} interarrivals ({}%) are zero (equal submit times): gaps that rounding to \
             {} hid",
            ia.zeros,
            format_significant(100.0 * ia.zeros as f64 / ia.n as f64, 3),
            format_duration(trace.resolution),
        );
    }
    let _ = writeln!(
        w,
        "//   Kolmogorov-Smirnov D = {} (5% critical value {}; many observations reveal small misfits)",
        format_significant(ia.ks, 3),
        format_significant(ks_critical_5_percent(ia.n), 3),
    );
    // The snippet below uses the fitted shape with a scale that reproduces the observed mean
    // when the maximum-likelihood fit misses it by more than 5%: the arrival *rate* is what
    // a capacity study depends on most.
    let mean_matched = (mean_ratio - 1.0).abs() > 0.05 && mean_ratio.is_finite();
    let snippet_scale = if mean_matched {
        d.scale * mean_ratio
    } else {
        d.scale
    };
    if mean_matched {
        let _ = writeln!(
            w,
            "//   the fitted mean is {}% off the observed; scale = {} keeps the shape and\n\
             //   gives the observed mean (used below)",
            format_significant(100.0 * (1.0 / mean_ratio - 1.0), 3),
            format_duration(snippet_scale),
        );
    }
    if !ia.at_bound.is_empty() {
        let _ = writeln!(
            w,
            "//   note: the likelihood still rises at the search box's edge ({} at a bound): the\n\
             //   data are more bursty or more regular than the family allows; read these values as\n\
             //   a limit, not an estimate",
            ia.at_bound.join(", ")
        );
    }
    for (column, lognormal) in &fit.durations {
        let _ = writeln!(w, "//");
        let _ = writeln!(
            w,
            "// Column `{column}` (seconds): lognormal by maximum likelihood."
        );
        let _ = writeln!(
            w,
            "//   duration = lognormal(median = {}, sigma = {})",
            format_duration(lognormal.median()),
            format_significant(lognormal.sigma, 4),
        );
        let _ = writeln!(
            w,
            "//   mu = {} (ln of seconds), sigma = {}; n = {}{}",
            format_with_error(lognormal.mu, Some(lognormal.standard_errors[0])),
            format_with_error(lognormal.sigma, Some(lognormal.standard_errors[1])),
            lognormal.n,
            if lognormal.excluded > 0 {
                format!(" ({} values at or below zero left out)", lognormal.excluded)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            w,
            "//   Kolmogorov-Smirnov D = {} (5% critical value {})",
            format_significant(lognormal.ks, 3),
            format_significant(ks_critical_5_percent(lognormal.n), 3),
        );
        // A column of many zeros (the waits of pipelines that never queued) is a mixture: the
        // lognormal above describes only the rest, and drawn alone it would put a positive
        // value where the trace so often has none.
        let total = lognormal.n + lognormal.excluded;
        if lognormal.excluded * 10 > total {
            let _ = writeln!(
                w,
                "//   caution: {} of the {total} values ({}%) are zero or below, which no lognormal\n\
                 //   draws: this one describes only the others. Draw the column as recorded with\n\
                 //   `empirical(\"{}\", column = \"{column}\")`, or write the zeros' share as a `choice`\n\
                 //   between 0s and the lognormal",
                lognormal.excluded,
                format_significant(100.0 * lognormal.excluded as f64 / total as f64, 3),
                options.data_path,
            );
        }
        if let Some((distinct, min, max)) = lognormal.few_whole_values {
            let _ = writeln!(
                w,
                "//   note: only {distinct} distinct whole numbers, {} to {}: if this is a count (GPUs,\n\
                 //   shards) rather than seconds, `empirical(\"{}\", column = \"{column}\")`\n\
                 //   draws it as recorded (the path is relative to this module's folder)",
                format_significant(min, 6),
                format_significant(max, 6),
                options.data_path,
            );
        }
    }
    let _ = writeln!(w, "//");
    let _ = writeln!(w, "// Use it from a scenario:");
    let _ = writeln!(w, "//   import \"{}\" as fitted", options.import_path);
    let _ = writeln!(w, "//   arrivals triggers {{");
    let _ = writeln!(
        w,
        "//     interarrival = exponweib(a = {}, c = {}, scale = {})",
        format_significant(d.a, 5),
        format_significant(d.c, 5),
        format_duration(snippet_scale),
    );
    if fit.profile.is_some() {
        let _ = writeln!(w, "//     profile      = fitted.{}", options.profile_name);
    }
    let _ = writeln!(w, "//     pipeline     = YOUR_PIPELINE");
    let _ = writeln!(w, "//   }}");

    if let Some(profile) = &fit.profile {
        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "// Arrival-rate multipliers by weekday (rows, Monday first) and hour of the day"
        );
        let _ = writeln!(
            w,
            "// (columns, 00 to 23{}): arrivals in each weekday-hour divided by how often the",
            if trace.time_kind == TimeKind::Calendar {
                " UTC"
            } else {
                ", counting from time 0 as a Monday 00:00"
            }
        );
        let _ = writeln!(
            w,
            "// trace covers it, relative to the mean (pipesim normalises the mean to 1)."
        );
        let (weekday, weekend) = profile.weekday_weekend_means();
        let _ = writeln!(
            w,
            "// Mean multiplier Monday-Friday {}, Saturday-Sunday {}.",
            format_significant(weekday, 3),
            format_significant(weekend, 3)
        );
        if profile.uncovered > 0 {
            let _ = writeln!(
                w,
                "// {} weekday-hours lie outside the trace's span: they get the mean rate.",
                profile.uncovered
            );
        }
        if profile.floored > 0 {
            let _ = writeln!(
                w,
                "// {} weekday-hours saw no arrival: raised to {} so time keeps moving there.",
                profile.floored, MIN_MULTIPLIER
            );
        }
        let _ = writeln!(w, "profile {} {{", options.profile_name);
        let _ = writeln!(w, "  matrix = [");
        let days = [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ];
        for (day, name) in days.iter().enumerate() {
            let row: Vec<String> = profile.multipliers[day * 24..(day + 1) * 24]
                .iter()
                .map(|m| format!("{m:.3}"))
                .collect();
            let _ = writeln!(w, "    // {name}");
            let _ = writeln!(w, "    [{}],", row.join(", "));
        }
        let _ = writeln!(w, "  ]");
        let _ = writeln!(w, "}}");
    }
    canonical(out)
}

/// `text` in the layout of `pipesim fmt`, so that formatting the written module (by hand or
/// on save in an editor) changes nothing. The text is generated, so it always parses; if it
/// ever did not, it is returned as is and `check` will say why.
fn canonical(text: String) -> String {
    let mut sources = crate::source::SourceMap::new();
    let id = sources.add(
        "fitted.pipesim",
        crate::source::Origin::Inline,
        text.clone(),
    );
    crate::format::format_source(id, &text).unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_ten_are_the_nearest_doubles() {
        for e in -40..=40 {
            let nearest: f64 = format!("1e{e}").parse().unwrap();
            assert_eq!(power_of_ten(e).to_bits(), nearest.to_bits(), "10^{e}");
        }
    }

    /// The likelihood is summed on several threads; a fit must not depend on how many.
    #[test]
    fn the_likelihood_is_the_same_bits_on_any_number_of_threads() {
        // Gaps recorded at resolutions of about a second, as profile time makes them (small
        // ones use the rounding model, the rest the density), many enough for several
        // chunks of each kind of term.
        let mut state = 7u64;
        let resolutions: Vec<f64> = (0..30_000).map(|i| 1.0 + (i % 97) as f64 / 100.0).collect();
        let values: Vec<f64> = resolutions
            .iter()
            .map(|r| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                (-120.0 * ln(1.0 - u) / r).round() * r
            })
            .collect();
        let data = Grouped {
            values,
            resolutions,
        };
        let prepared = Prepared::new(&data);
        assert!(
            prepared.rounded.len() > 4 * 64,
            "{}",
            prepared.rounded.len()
        );
        assert!(
            prepared.ln_values.len() > 4 * 2048,
            "{}",
            prepared.ln_values.len()
        );
        let dist = ExpWeib {
            a: 1.3,
            c: 0.8,
            scale: 100.0,
        };
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| exponweib_log_likelihood(&dist, &data))
        };
        let one = on(1);
        assert!(one.is_finite(), "{one}");
        for threads in [2, 3, 8] {
            assert_eq!(on(threads).to_bits(), one.to_bits(), "{threads} threads");
        }
    }
}
