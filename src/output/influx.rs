//! The InfluxDB sink: streams a run directory's CSV traces to an InfluxDB server as points.
//!
//! One point per trace row, in six measurements (contract, LANGUAGE.md section 7):
//!
//! | measurement | file            | tags (besides `scenario`, `run`, `point`, `replication`) | timestamp |
//! |-------------|-----------------|----------------------------------------------|-----------|
//! | `pipeline`  | pipelines.csv   | `template`, `outcome`                        | `end` (`arrival` when unfinished) |
//! | `step`      | steps.csv       | `template`, `step`, `kind`, `resource`       | `end` |
//! | `resource`  | resources.csv   | `resource`                                   | `time` |
//! | `link`      | links.csv       | `link`, `template`, `step`, `direction`      | `end` |
//! | `model`     | models.csv      | `template`                                   | `time` |
//! | `arrival`   | arrivals.csv    | `template`, `source`                         | `time` |
//!
//! Every other column is a field: integers (ids, units, slot counts, versions) as integer fields,
//! a model's `event` as a string field, the rest as float fields (seconds from the scenario
//! start, bytes, accuracy). Empty, NaN and infinite values are left out, and so is an id of
//! `u64::MAX` (the engine's "none"); a row with no field left is skipped and counted.
//! `outcome` is a tag rather than a string field: dashboards group by it, and it keeps the
//! unfinished pipelines (timestamped at arrival, written when the run stops, so out of time
//! order) in series of their own.
//!
//! Invariants:
//! - Timestamps are the scenario's calendar `start` plus the row's seconds, computed exactly in
//!   integer nanoseconds from the decimal text of the CSV (no binary floating point on the way).
//! - InfluxDB keeps one point per (measurement, tag set, timestamp): a second row with the same
//!   key would silently replace the first. Rows are timestamped at the moment the engine emitted
//!   them (a step or transfer when it ends, a pipeline when it ends), so within a series they come
//!   in time order, and a row whose timestamp equals the previous one of its series is moved
//!   1 ns later (then 2 ns, ...). Unfinished pipelines, the one exception to time order, are
//!   counted per exact timestamp instead. No row is lost; the shift is far below any simulated
//!   duration.
//! - Lines are rendered by `influxdb2`'s `DataPoint` for both APIs, after making every string
//!   safe for it: line protocol cannot carry control characters or (portably: InfluxDB 1.x keeps
//!   escaping backslashes, 2.x and VictoriaMetrics remove them) backslashes in tag values, so
//!   those become U+FFFD; backslashes in string fields are escaped, which `DataPoint` omits.
//! - Memory is bounded: the CSVs are streamed, lines are batched ([`SendOptions::batch_lines`]),
//!   and a channel of two batches feeds a sender thread that owns its own current-thread tokio
//!   runtime. The run directory is only read, never changed.
//! - Connection errors, 5xx and 429 are retried with exponential backoff, or after the wait a
//!   server's `Retry-After` asks for (up to a minute); any other answer is final and its
//!   message is shown. After a final failure nothing more is sent and the report
//!   counts, per measurement, the points that were not sent, so the user can export again later.
//! - The v2 token comes from `INFLUX_TOKEN` and the v1 credentials from `INFLUX_USERNAME` and
//!   `INFLUX_PASSWORD`, never from a file; none of them is ever printed.

use crate::cli::InfluxArgs;
use influxdb2::models::{DataPoint, FieldValue, WriteDataPoint};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// The measurements, in the order they are sent.
pub const MEASUREMENTS: &[&str] = &["pipeline", "step", "resource", "link", "model", "arrival"];

/// How one trace file becomes points.
struct MeasurementSpec {
    measurement: &'static str,
    file: &'static str,
    /// Columns that become tags (besides `point` and `replication`).
    tags: &'static [&'static str],
    /// Columns that become integer fields.
    integers: &'static [&'static str],
    /// Columns that become string fields.
    strings: &'static [&'static str],
    /// Columns tried in order for the timestamp; the first finite one wins.
    time: &'static [&'static str],
}

const SPECS: &[MeasurementSpec] = &[
    MeasurementSpec {
        measurement: "pipeline",
        file: "pipelines.csv",
        tags: &["template", "outcome"],
        integers: &["id"],
        strings: &[],
        time: &["end", "arrival"],
    },
    MeasurementSpec {
        measurement: "step",
        file: "steps.csv",
        tags: &["template", "step", "kind", "resource"],
        integers: &["pipeline_id", "units"],
        strings: &[],
        time: &["end"],
    },
    MeasurementSpec {
        measurement: "resource",
        file: "resources.csv",
        tags: &["resource"],
        integers: &["busy", "capacity", "queue"],
        strings: &[],
        time: &["time"],
    },
    MeasurementSpec {
        measurement: "link",
        file: "links.csv",
        tags: &["link", "template", "step", "direction"],
        integers: &["pipeline_id"],
        strings: &[],
        time: &["end"],
    },
    MeasurementSpec {
        measurement: "model",
        file: "models.csv",
        tags: &["template"],
        integers: &["model", "version", "pipeline_id"],
        strings: &["event"],
        time: &["time"],
    },
    MeasurementSpec {
        measurement: "arrival",
        file: "arrivals.csv",
        tags: &["template", "source"],
        integers: &["pipeline_id"],
        strings: &[],
        time: &["time"],
    },
];

/// Why a run could not be streamed at all (as opposed to a server that refused it, which is
/// reported in [`SendReport::failure`]).
#[derive(Debug)]
pub enum InfluxError {
    /// The `--influx*` options do not name a destination.
    Usage(String),
    /// The run directory or one of its files cannot be read or makes no sense.
    RunDirectory { path: PathBuf, message: String },
    /// A trace row is malformed.
    Trace {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

impl fmt::Display for InfluxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InfluxError::Usage(message) => write!(f, "{message}"),
            InfluxError::RunDirectory { path, message } => {
                write!(f, "`{}`: {message}", path.display())
            }
            InfluxError::Trace {
                path,
                line,
                message,
            } => write!(f, "`{}` line {line}: {message}", path.display()),
        }
    }
}

impl std::error::Error for InfluxError {}

/// What was sent, and what was not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SendReport {
    /// The server's base URL.
    pub url: String,
    /// Points the server accepted, per measurement.
    pub sent: BTreeMap<String, u64>,
    /// Points not sent because the server was unreachable or refused them, per measurement.
    pub not_sent: BTreeMap<String, u64>,
    /// Rows with no numeric value left (all empty, NaN or infinite), per measurement.
    pub skipped_rows: BTreeMap<String, u64>,
    /// Trace files absent from the run directory (`--trace none` writes none).
    pub missing_files: Vec<String>,
    /// Rows moved by whole nanoseconds so that rows sharing a series and a timestamp stay
    /// distinct points.
    pub shifted_rows: u64,
    /// Why sending stopped, when it did.
    pub failure: Option<String>,
}

impl SendReport {
    /// Whether every point reached the server.
    pub fn complete(&self) -> bool {
        self.failure.is_none() && self.not_sent.values().all(|&n| n == 0)
    }

    pub fn total_sent(&self) -> u64 {
        self.sent.values().sum()
    }

    pub fn total_not_sent(&self) -> u64 {
        self.not_sent.values().sum()
    }

    /// The command that sends the run again (for messages after a failure).
    pub fn export_command(run_dir: &Path, args: &InfluxArgs) -> String {
        let mut command = format!(
            "pipesim export {} --influx {}",
            run_dir.display(),
            args.influx.as_deref().unwrap_or("URL")
        );
        if let Some(org) = &args.influx_org {
            command += &format!(" --influx-org {org}");
        }
        if let Some(bucket) = &args.influx_bucket {
            command += &format!(" --influx-bucket {bucket}");
        }
        if let Some(db) = &args.influx_db {
            command += &format!(" --influx-db {db}");
        }
        command
    }
}

/// `pipeline 10, step 40` in the order of [`MEASUREMENTS`], leaving out zeros (`none` if all are).
pub fn format_counts(counts: &BTreeMap<String, u64>) -> String {
    let parts: Vec<String> = MEASUREMENTS
        .iter()
        .filter_map(|m| {
            counts
                .get(*m)
                .filter(|&&n| n > 0)
                .map(|n| format!("{m} {n}"))
        })
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}

impl fmt::Display for SendReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sent {} points to {} ({})",
            self.total_sent(),
            self.url,
            format_counts(&self.sent)
        )?;
        if let Some(failure) = &self.failure {
            write!(
                f,
                "\nnot sent: {} points ({}): {failure}",
                self.total_not_sent(),
                format_counts(&self.not_sent)
            )?;
        }
        if self.skipped_rows.values().any(|&n| n > 0) {
            write!(
                f,
                "\nskipped rows without any finite value: {}",
                format_counts(&self.skipped_rows)
            )?;
        }
        if !self.missing_files.is_empty() {
            write!(f, "\nno trace files: {}", self.missing_files.join(", "))?;
        }
        Ok(())
    }
}

/// Tuning for [`send_run_with`]; [`SendOptions::default`] is what the commands use.
pub struct SendOptions {
    /// Lines per HTTP request.
    pub batch_lines: usize,
    /// Attempts after the first one for a retryable failure.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub first_backoff: Duration,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Called on the sender thread after each batch the server accepted, with the number of
    /// points accepted so far (for progress, and for tests that stop the server mid-export).
    pub after_batch: Option<Box<dyn FnMut(u64) + Send>>,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            batch_lines: 5000,
            retries: 5,
            first_backoff: Duration::from_millis(250),
            request_timeout: Duration::from_secs(30),
            after_batch: None,
        }
    }
}

/// Where points go, with credentials read from the environment.
pub enum Destination {
    /// `POST /api/v2/write` (InfluxDB 2.x, 3.x, Cloud, VictoriaMetrics).
    V2 {
        url: String,
        org: String,
        bucket: String,
        token: Option<String>,
    },
    /// `POST /write?db=D&precision=ns` (InfluxDB 1.x).
    V1 {
        url: String,
        database: String,
        username: Option<String>,
        password: Option<String>,
    },
}

// Hand-written so that no credential can reach a log through `{:?}`.
impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::V2 {
                url, org, bucket, ..
            } => write!(f, "V2 {{ url: {url:?}, org: {org:?}, bucket: {bucket:?} }}"),
            Destination::V1 { url, database, .. } => {
                write!(f, "V1 {{ url: {url:?}, database: {database:?} }}")
            }
        }
    }
}

impl Destination {
    /// The destination the `--influx*` options name, with credentials from the environment.
    pub fn from_args(args: &InfluxArgs) -> Result<Destination, InfluxError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Destination::from_args_and_credentials(
            args,
            env("INFLUX_TOKEN"),
            env("INFLUX_USERNAME"),
            env("INFLUX_PASSWORD"),
        )
    }

    /// As [`Destination::from_args`], with the credentials given.
    pub fn from_args_and_credentials(
        args: &InfluxArgs,
        token: Option<String>,
        username: Option<String>,
        password: Option<String>,
    ) -> Result<Destination, InfluxError> {
        let url = args.influx.clone().ok_or_else(|| {
            InfluxError::Usage("`--influx URL` is required to send a run to InfluxDB".into())
        })?;
        check_url(&url)?;
        match (&args.influx_org, &args.influx_bucket, &args.influx_db) {
            (Some(org), Some(bucket), None) => Ok(Destination::V2 {
                url,
                org: org.clone(),
                bucket: bucket.clone(),
                token,
            }),
            (None, None, Some(database)) => Ok(Destination::V1 {
                url,
                database: database.clone(),
                username,
                password,
            }),
            (Some(_), None, None) => Err(InfluxError::Usage(
                "`--influx-org` needs `--influx-bucket` too (v2 API)".into(),
            )),
            (None, Some(_), None) => Err(InfluxError::Usage(
                "`--influx-bucket` needs `--influx-org` too (v2 API)".into(),
            )),
            (None, None, None) => Err(InfluxError::Usage(
                "`--influx` needs `--influx-org ORG --influx-bucket BUCKET` (InfluxDB 2.x, 3.x, \
                 Cloud; token from INFLUX_TOKEN) or `--influx-db DB` (InfluxDB 1.x)"
                    .into(),
            )),
            _ => Err(InfluxError::Usage(
                "`--influx-db` (v1 API) cannot be combined with `--influx-org` or \
                 `--influx-bucket` (v2 API)"
                    .into(),
            )),
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Destination::V2 { url, .. } | Destination::V1 { url, .. } => url,
        }
    }
}

fn check_url(url: &str) -> Result<(), InfluxError> {
    match reqwest::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(()),
        Ok(_) => Err(InfluxError::Usage(format!(
            "`--influx {url}` is not an http or https URL; write e.g. `http://127.0.0.1:8086`"
        ))),
        Err(e) => Err(InfluxError::Usage(format!(
            "`--influx {url}` is not a URL ({e}); write e.g. `http://127.0.0.1:8086`"
        ))),
    }
}

/// Sends a complete run directory's traces to the server `args` names (credentials from the
/// environment). A server that is down or refuses is not an `Err`: the report says what was
/// not sent, and the run directory stays as it was.
pub fn send_run(run_dir: &Path, args: &InfluxArgs) -> Result<SendReport, InfluxError> {
    let destination = Destination::from_args(args)?;
    send_run_with(run_dir, &destination, SendOptions::default())
}

/// The run's identity, read from its directory.
struct RunInfo {
    scenario: String,
    run: String,
    /// Calendar start in nanoseconds since the Unix epoch.
    start_ns: i128,
}

fn read_json(path: &Path) -> Result<Option<serde_json::Value>, InfluxError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| InfluxError::RunDirectory {
                path: path.to_path_buf(),
                message: format!("not valid JSON: {e}"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(InfluxError::RunDirectory {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

/// Finds the calendar start: `start` at the top of summary.json or manifest.json, or inside
/// their `scenario` object.
fn find_start<'a>(documents: &[&'a serde_json::Value]) -> Option<&'a str> {
    for document in documents {
        let candidates = [
            document.get("start"),
            document.get("scenario").and_then(|s| s.get("start")),
        ];
        for candidate in candidates.into_iter().flatten() {
            if let Some(text) = candidate.as_str() {
                return Some(text);
            }
        }
    }
    None
}

fn read_run_info(run_dir: &Path) -> Result<RunInfo, InfluxError> {
    if !run_dir.is_dir() {
        return Err(InfluxError::RunDirectory {
            path: run_dir.to_path_buf(),
            message: "is not a directory; give a run directory written by `pipesim run`".into(),
        });
    }
    let summary_path = run_dir.join("summary.json");
    let summary = read_json(&summary_path)?.ok_or_else(|| InfluxError::RunDirectory {
        path: summary_path.clone(),
        message: "is missing; is this a run directory written by `pipesim run`?".into(),
    })?;
    let manifest = read_json(&run_dir.join("manifest.json"))?.unwrap_or_default();
    let scenario = summary
        .get("scenario")
        .and_then(|s| {
            s.as_str()
                .map(str::to_string)
                .or_else(|| s.get("name")?.as_str().map(str::to_string))
        })
        .ok_or_else(|| InfluxError::RunDirectory {
            path: summary_path.clone(),
            message: "has no `scenario` name".into(),
        })?;
    let start_text =
        find_start(&[&summary, &manifest]).ok_or_else(|| InfluxError::RunDirectory {
            path: summary_path.clone(),
            message: "neither summary.json nor manifest.json says the scenario's calendar `start`"
                .into(),
        })?;
    let start = chrono::DateTime::parse_from_rfc3339(start_text).map_err(|e| {
        InfluxError::RunDirectory {
            path: summary_path.clone(),
            message: format!("`start` `{start_text}` is not an RFC 3339 date-time: {e}"),
        }
    })?;
    let start_ns =
        i128::from(start.timestamp()) * 1_000_000_000 + i128::from(start.timestamp_subsec_nanos());
    // `.` or `runs/x/` still name the run by its directory.
    let run = std::fs::canonicalize(run_dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| {
            run_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "run".to_string());
    Ok(RunInfo {
        scenario,
        run,
        start_ns,
    })
}

/// Parses a decimal number of seconds (`12`, `-0.5`, `1.25e3`) into nanoseconds, exactly,
/// rounding half away from zero below the nanosecond. None for anything else (empty, NaN, inf).
pub fn seconds_text_to_nanos(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa_text, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], rest[at + 1..].parse::<i32>().ok()?),
        None => (rest, 0),
    };
    let (integer_digits, fraction_digits) = match mantissa_text.find('.') {
        Some(at) => (&mantissa_text[..at], &mantissa_text[at + 1..]),
        None => (mantissa_text, ""),
    };
    if integer_digits.is_empty() && fraction_digits.is_empty() {
        return None;
    }
    let mut mantissa: i128 = 0;
    let mut scale: i32 = 0;
    for (position, c) in integer_digits
        .chars()
        .chain(fraction_digits.chars())
        .enumerate()
    {
        let digit = c.to_digit(10)? as i128;
        // Beyond 30 significant digits the rest cannot change a nanosecond of any time
        // InfluxDB can store; only the decimal point's position still matters.
        if mantissa < 10i128.pow(30) {
            mantissa = mantissa * 10 + digit;
            if position >= integer_digits.len() {
                scale -= 1;
            }
        } else if position < integer_digits.len() {
            scale += 1;
        }
    }
    // value = mantissa * 10^(scale + exponent) seconds = mantissa * 10^(scale + exponent + 9) ns
    let power = scale.checked_add(exponent)?.checked_add(9)?;
    let nanos = if power >= 0 {
        if power > 30 {
            return None;
        }
        mantissa.checked_mul(10i128.pow(power as u32))?
    } else if power < -38 {
        0
    } else {
        let divisor = 10i128.pow((-power) as u32);
        let quotient = mantissa / divisor;
        if (mantissa % divisor) * 2 >= divisor {
            quotient + 1
        } else {
            quotient
        }
    };
    Some(if negative { -nanos } else { nanos })
}

/// A tag value line protocol can carry on every server: control characters and backslashes
/// become U+FFFD (see the module docs); `DataPoint` escapes commas, equals signs and spaces.
fn safe_tag_value(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_control() || c == '\\' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// A string field value that `DataPoint` renders correctly: it escapes double quotes but not
/// backslashes, so backslashes are escaped here first.
fn safe_string_field(value: &str) -> String {
    value.replace('\\', "\\\\")
}

/// `u64::MAX`, the engine's "none" for an id (a model's drop or stale event involves no
/// pipeline). The traces write it as an empty field; a CSV edited by hand or by another tool
/// may still hold the number, which does not fit InfluxDB's signed integers: it is left out.
const NO_ID: &str = "18446744073709551615";

fn is_missing(text: &str) -> bool {
    let t = text.trim();
    t.is_empty()
        || t.eq_ignore_ascii_case("nan")
        || t.eq_ignore_ascii_case("inf")
        || t.eq_ignore_ascii_case("-inf")
        || t.eq_ignore_ascii_case("+inf")
        || t.eq_ignore_ascii_case("infinity")
        || t.eq_ignore_ascii_case("-infinity")
}

enum ColumnRole {
    Ignore,
    Tag(&'static str),
    Integer,
    Float,
    Text,
}

/// Turns the rows of one trace file into points.
struct PointMaker<'a> {
    spec: &'static MeasurementSpec,
    info: &'a RunInfo,
    headers: Vec<String>,
    roles: Vec<ColumnRole>,
    time_columns: Vec<usize>,
    /// Per series: (last row timestamp, last timestamp given), for the 1 ns shifts.
    last_in_series: HashMap<String, (i128, i128)>,
    /// Per series and fallback time: the next free timestamp (see [`PointMaker::make`]).
    unordered_in_series: HashMap<(String, i128), i128>,
    shifted_rows: u64,
}

impl<'a> PointMaker<'a> {
    fn new(
        spec: &'static MeasurementSpec,
        info: &'a RunInfo,
        headers: &csv::StringRecord,
        path: &Path,
    ) -> Result<Self, InfluxError> {
        let headers: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
        let position = |name: &str| headers.iter().position(|h| h == name);
        for required in ["point", "replication"] {
            if position(required).is_none() {
                return Err(InfluxError::Trace {
                    path: path.to_path_buf(),
                    line: 1,
                    message: format!("the header has no `{required}` column"),
                });
            }
        }
        let time_columns: Vec<usize> = spec.time.iter().filter_map(|c| position(c)).collect();
        if time_columns.is_empty() {
            return Err(InfluxError::Trace {
                path: path.to_path_buf(),
                line: 1,
                message: format!("the header has no `{}` column", spec.time[0]),
            });
        }
        let roles = headers
            .iter()
            .map(|name| {
                let name = name.as_str();
                if name == "point" {
                    ColumnRole::Tag("point")
                } else if name == "replication" {
                    ColumnRole::Tag("replication")
                } else if let Some(tag) = spec.tags.iter().find(|t| **t == name) {
                    ColumnRole::Tag(tag)
                } else if name == "time" {
                    // `time` cannot be a field key; it is the timestamp.
                    ColumnRole::Ignore
                } else if spec.integers.contains(&name) {
                    ColumnRole::Integer
                } else if spec.strings.contains(&name) {
                    ColumnRole::Text
                } else {
                    ColumnRole::Float
                }
            })
            .collect();
        Ok(PointMaker {
            spec,
            info,
            headers,
            roles,
            time_columns,
            last_in_series: HashMap::new(),
            unordered_in_series: HashMap::new(),
            shifted_rows: 0,
        })
    }

    /// The point of one row, or None when it has no field left.
    fn make(
        &mut self,
        record: &csv::StringRecord,
        path: &Path,
    ) -> Result<Option<DataPoint>, InfluxError> {
        let line = record.position().map_or(0, |p| p.line());
        let error = |message: String| InfluxError::Trace {
            path: path.to_path_buf(),
            line,
            message,
        };
        let mut builder = DataPoint::builder(self.spec.measurement)
            .tag("scenario", safe_tag_value(&self.info.scenario))
            .tag("run", safe_tag_value(&self.info.run));
        let mut series_key = String::new();
        let mut n_fields = 0usize;
        for (index, value) in record.iter().enumerate() {
            let Some(role) = self.roles.get(index) else {
                return Err(error(format!(
                    "the row has {} values but the header names {} columns",
                    record.len(),
                    self.headers.len()
                )));
            };
            let column = &self.headers[index];
            match role {
                ColumnRole::Ignore => {}
                ColumnRole::Tag(tag) => {
                    // Line protocol has no empty tag values: an empty one is left out
                    // (a pure transfer step has no resource).
                    if !value.is_empty() {
                        let value = safe_tag_value(value);
                        series_key.push_str(tag);
                        series_key.push('=');
                        series_key.push_str(&value);
                        series_key.push('\u{0}');
                        builder = builder.tag(*tag, value);
                    }
                }
                ColumnRole::Integer => {
                    // u64::MAX is the engine's "none" (a model event no pipeline caused).
                    if is_missing(value) || value.trim() == NO_ID {
                        continue;
                    }
                    let trimmed = value.trim();
                    let integer = match trimmed.parse::<i64>() {
                        Ok(i) => i,
                        Err(_) => match trimmed.parse::<f64>() {
                            Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => f as i64,
                            _ => {
                                return Err(error(format!(
                                    "column `{column}`: `{value}` is not an integer"
                                )))
                            }
                        },
                    };
                    builder = builder.field(column.as_str(), integer);
                    n_fields += 1;
                }
                ColumnRole::Float => {
                    if is_missing(value) {
                        continue;
                    }
                    match value.trim().parse::<f64>() {
                        Ok(f) if f.is_finite() => {
                            builder = builder.field(column.as_str(), f);
                            n_fields += 1;
                        }
                        Ok(_) => {}
                        Err(_) => {
                            // A column pipesim does not know yet: keep its text.
                            if self.spec.integers.is_empty() || !value.trim().is_empty() {
                                builder = builder.field(
                                    column.as_str(),
                                    FieldValue::String(safe_string_field(value)),
                                );
                                n_fields += 1;
                            }
                        }
                    }
                }
                ColumnRole::Text => {
                    if !value.is_empty() {
                        builder = builder.field(
                            column.as_str(),
                            FieldValue::String(safe_string_field(value)),
                        );
                        n_fields += 1;
                    }
                }
            }
        }
        let seconds = self
            .time_columns
            .iter()
            .enumerate()
            .find_map(|(i, &c)| Some((i, record.get(c).and_then(seconds_text_to_nanos)?)));
        let Some((time_column, offset_ns)) = seconds else {
            return Err(error(format!(
                "no time: `{}` is empty or not a number",
                self.spec.time.join("` and `")
            )));
        };
        if n_fields == 0 {
            return Ok(None);
        }
        let row_ns = self.info.start_ns + offset_ns;
        let given_ns = if time_column == 0 {
            // Rows timestamped when they were emitted come in time order within a series.
            let given = match self.last_in_series.get(&series_key) {
                Some(&(last_row, last_given)) if row_ns >= last_row && row_ns <= last_given => {
                    last_given + 1
                }
                _ => row_ns,
            };
            self.last_in_series.insert(series_key, (row_ns, given));
            given
        } else {
            // A fallback time (an unfinished pipeline's arrival) is in no order: count exactly.
            // These rows are few (only what is in flight when a replication stops) and, with
            // `outcome` a tag, in series of their own.
            let next = self
                .unordered_in_series
                .entry((series_key, row_ns))
                .or_insert(row_ns);
            let given = *next;
            *next += 1;
            given
        };
        if given_ns != row_ns {
            self.shifted_rows += 1;
        }
        let timestamp = i64::try_from(given_ns).map_err(|_| {
            error("the time is outside the years 1677 to 2262 that InfluxDB can store".into())
        })?;
        builder
            .timestamp(timestamp)
            .build()
            .map(Some)
            .map_err(|e| error(e.to_string()))
    }
}

/// A batch of rendered lines and how many points of each measurement it holds.
struct Batch {
    body: Vec<u8>,
    counts: [u64; 6],
}

fn measurement_index(measurement: &str) -> usize {
    MEASUREMENTS
        .iter()
        .position(|m| *m == measurement)
        .expect("every spec names a known measurement")
}

/// Streams `run_dir` to `destination`. See [`send_run`].
pub fn send_run_with(
    run_dir: &Path,
    destination: &Destination,
    options: SendOptions,
) -> Result<SendReport, InfluxError> {
    let info = read_run_info(run_dir)?;
    let traces = run_dir.join("traces");
    let mut report = SendReport {
        url: destination.url().to_string(),
        ..SendReport::default()
    };
    for m in MEASUREMENTS {
        report.sent.insert(m.to_string(), 0);
        report.not_sent.insert(m.to_string(), 0);
        report.skipped_rows.insert(m.to_string(), 0);
    }

    let sender = Sender::new(destination, &options)?;
    let batch_lines = options.batch_lines.max(1);
    let (batch_tx, batch_rx) = mpsc::sync_channel::<Batch>(2);
    let outcome = std::thread::scope(|scope| {
        let sending = scope.spawn(move || sender.run(batch_rx, options));
        let reading = (|| -> Result<(), InfluxError> {
            let mut batch = Batch {
                body: Vec::with_capacity(batch_lines * 160),
                counts: [0; 6],
            };
            let mut lines_in_batch = 0usize;
            for spec in SPECS {
                let path = traces.join(spec.file);
                let file = match std::fs::File::open(&path) {
                    Ok(file) => file,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        report.missing_files.push(spec.file.to_string());
                        continue;
                    }
                    Err(e) => {
                        return Err(InfluxError::RunDirectory {
                            path,
                            message: e.to_string(),
                        })
                    }
                };
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(true)
                    .from_reader(std::io::BufReader::with_capacity(1 << 16, file));
                let headers = reader
                    .headers()
                    .map_err(|e| InfluxError::Trace {
                        path: path.clone(),
                        line: 1,
                        message: e.to_string(),
                    })?
                    .clone();
                let mut maker = PointMaker::new(spec, &info, &headers, &path)?;
                let index = measurement_index(spec.measurement);
                let mut record = csv::StringRecord::new();
                loop {
                    match reader.read_record(&mut record) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => {
                            return Err(InfluxError::Trace {
                                path: path.clone(),
                                line: e.position().map_or(0, |p| p.line()),
                                message: e.to_string(),
                            })
                        }
                    }
                    // A blank line at the end is fine.
                    if record.len() == 1 && record[0].trim().is_empty() {
                        continue;
                    }
                    match maker.make(&record, &path)? {
                        Some(point) => {
                            point.write_data_point_to(&mut batch.body).map_err(|e| {
                                InfluxError::Trace {
                                    path: path.clone(),
                                    line: record.position().map_or(0, |p| p.line()),
                                    message: e.to_string(),
                                }
                            })?;
                            batch.counts[index] += 1;
                            lines_in_batch += 1;
                        }
                        None => *report.skipped_rows.get_mut(spec.measurement).unwrap() += 1,
                    }
                    if lines_in_batch >= batch_lines {
                        let full = std::mem::replace(
                            &mut batch,
                            Batch {
                                body: Vec::with_capacity(batch_lines * 160),
                                counts: [0; 6],
                            },
                        );
                        lines_in_batch = 0;
                        if batch_tx.send(full).is_err() {
                            // The sender thread ended early; its result says why.
                            return Ok(());
                        }
                    }
                }
                report.shifted_rows += maker.shifted_rows;
            }
            if lines_in_batch > 0 {
                let _ = batch_tx.send(batch);
            }
            Ok(())
        })();
        drop(batch_tx);
        let sent = sending.join();
        (reading, sent)
    });
    let (reading, sent) = outcome;
    let result =
        sent.map_err(|_| InfluxError::Usage("the InfluxDB sender thread panicked".into()))?;
    if let Err(mut error) = reading {
        // Rows before the bad one may have been sent already: say so, since exporting again
        // after fixing the file is then the way to complete the run (points repeat harmlessly).
        let sent: u64 = result.sent.iter().sum();
        if let InfluxError::Trace { message, .. } = &mut error {
            if sent > 0 {
                message.push_str(&format!(
                    " ({sent} points of earlier rows were sent; export again once it is fixed)"
                ));
            }
        }
        return Err(error);
    }
    for (i, m) in MEASUREMENTS.iter().enumerate() {
        report.sent.insert(m.to_string(), result.sent[i]);
        report.not_sent.insert(m.to_string(), result.not_sent[i]);
    }
    report.failure = result.failure;
    Ok(report)
}

/// What the sender thread did.
struct SendResult {
    sent: [u64; 6],
    not_sent: [u64; 6],
    failure: Option<String>,
}

/// Where and how line protocol is written: both APIs take it in a POST, and differ only in
/// the URL and the credentials.
struct Client {
    client: reqwest::Client,
    write_url: reqwest::Url,
    credentials: Credentials,
}

enum Credentials {
    /// v2: `Authorization: Token ...` (none without a token).
    Token(Option<String>),
    /// v1: HTTP basic authentication (none without a user name).
    Basic {
        username: Option<String>,
        password: Option<String>,
    },
}

/// `base` (an `--influx` URL, whose path prefix, such as a proxy's `/influx/`, is kept)
/// joined with `endpoint`, with the query `pairs`.
fn endpoint_url(
    base: &str,
    endpoint: &str,
    pairs: &[(&str, &str)],
) -> Result<reqwest::Url, InfluxError> {
    let error = |e: &dyn std::fmt::Display| InfluxError::Usage(format!("`--influx {base}`: {e}"));
    let mut url = reqwest::Url::parse(base).map_err(|e| error(&e))?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    let mut url = url.join(endpoint).map_err(|e| error(&e))?;
    for (key, value) in pairs {
        url.query_pairs_mut().append_pair(key, value);
    }
    Ok(url)
}

/// One failed attempt: retry it (after at least the wait the server asked for, if it
/// asked) or give up.
enum Attempt {
    Retry(String, Option<Duration>),
    Final(String),
}

/// The longest `Retry-After` honoured: a server asking for more is retried after this
/// (an export should not hang for an hour on one header), and the retries then run out.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A `Retry-After` header's wait: delay-seconds, or an HTTP date (RFC 9110 section 10.2.3).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            let seconds = at.timestamp() - chrono::Utc::now().timestamp();
            Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

struct Sender {
    client: Client,
}

fn http_client(options: &SendOptions) -> Result<reqwest::Client, InfluxError> {
    reqwest::Client::builder()
        .timeout(options.request_timeout)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| InfluxError::Usage(format!("cannot make an HTTP client: {e}")))
}

impl Sender {
    fn new(destination: &Destination, options: &SendOptions) -> Result<Self, InfluxError> {
        let (write_url, credentials) = match destination {
            Destination::V2 {
                url,
                org,
                bucket,
                token,
            } => {
                check_url(url)?;
                let pairs = [
                    ("bucket", bucket.as_str()),
                    ("org", org),
                    ("precision", "ns"),
                ];
                (
                    endpoint_url(url, "api/v2/write", &pairs)?,
                    Credentials::Token(token.clone()),
                )
            }
            Destination::V1 {
                url,
                database,
                username,
                password,
            } => {
                check_url(url)?;
                (
                    endpoint_url(url, "write", &[("db", database), ("precision", "ns")])?,
                    Credentials::Basic {
                        username: username.clone(),
                        password: password.clone(),
                    },
                )
            }
        };
        Ok(Sender {
            client: Client {
                client: http_client(options)?,
                write_url,
                credentials,
            },
        })
    }

    fn run(self, batches: mpsc::Receiver<Batch>, mut options: SendOptions) -> SendResult {
        let mut result = SendResult {
            sent: [0; 6],
            not_sent: [0; 6],
            failure: None,
        };
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => {
                result.failure = Some(format!("cannot start the HTTP runtime: {e}"));
                for batch in batches {
                    add(&mut result.not_sent, &batch.counts);
                }
                return result;
            }
        };
        let mut total_sent = 0u64;
        for batch in batches {
            if result.failure.is_some() {
                add(&mut result.not_sent, &batch.counts);
                continue;
            }
            match runtime.block_on(self.send_with_retries(batch.body, &options)) {
                Ok(()) => {
                    add(&mut result.sent, &batch.counts);
                    total_sent += batch.counts.iter().sum::<u64>();
                    if let Some(after_batch) = options.after_batch.as_mut() {
                        after_batch(total_sent);
                    }
                }
                Err(failure) => {
                    add(&mut result.not_sent, &batch.counts);
                    result.failure = Some(failure);
                }
            }
        }
        result
    }

    async fn send_with_retries(&self, body: Vec<u8>, options: &SendOptions) -> Result<(), String> {
        let mut backoff = options.first_backoff;
        let mut attempt = 0u32;
        loop {
            // A copy per attempt: a batch is about a megabyte, small next to a network round trip.
            match self.send_once(reqwest::Body::from(body.clone())).await {
                Ok(()) => return Ok(()),
                Err(Attempt::Final(message)) => return Err(message),
                Err(Attempt::Retry(message, asked)) => {
                    if attempt >= options.retries {
                        return Err(format!(
                            "{message} (gave up after {} attempts)",
                            attempt + 1
                        ));
                    }
                    attempt += 1;
                    // A server that says when to come back (429, 503) is taken at its word.
                    tokio::time::sleep(asked.map_or(backoff, |asked| asked.max(backoff))).await;
                    backoff = backoff.saturating_mul(2);
                }
            }
        }
    }

    async fn send_once(&self, body: reqwest::Body) -> Result<(), Attempt> {
        let Client {
            client,
            write_url,
            credentials,
        } = &self.client;
        let mut request = client.post(write_url.clone()).body(body);
        match credentials {
            Credentials::Token(Some(token)) => {
                request = request.header(reqwest::header::AUTHORIZATION, format!("Token {token}"));
            }
            Credentials::Basic {
                username: Some(username),
                password,
            } => request = request.basic_auth(username, password.as_ref()),
            _ => {}
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => {
                let status = response.status();
                let asked = retry_after(response.headers());
                let text = response.text().await.unwrap_or_default();
                Err(classify_status(status, &text, asked))
            }
            Err(e) => Err(classify_transport(&e)),
        }
    }
}

fn add(total: &mut [u64; 6], counts: &[u64; 6]) {
    for (t, c) in total.iter_mut().zip(counts) {
        *t += c;
    }
}

/// The useful part of a server's error answer: InfluxDB 1.x says `{"error": ...}`, 2.x
/// `{"code": ..., "message": ...}`; anything else is shown as text.
fn server_message(text: &str) -> String {
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        for key in ["error", "message"] {
            if let Some(message) = value.get(key).and_then(|m| m.as_str()) {
                return message.to_string();
            }
        }
    }
    let text = text.trim();
    if text.chars().count() > 500 {
        format!("{}...", text.chars().take(500).collect::<String>())
    } else {
        text.to_string()
    }
}

fn classify_status(status: reqwest::StatusCode, text: &str, asked: Option<Duration>) -> Attempt {
    let message = server_message(text);
    let described = if message.is_empty() {
        format!("the server answered {status}")
    } else {
        format!("the server answered {status}: {message}")
    };
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Attempt::Retry(described, asked)
    } else if status == reqwest::StatusCode::UNAUTHORIZED
        || status == reqwest::StatusCode::FORBIDDEN
    {
        Attempt::Final(format!(
            "{described} (check INFLUX_TOKEN, or INFLUX_USERNAME and INFLUX_PASSWORD for the v1 API)"
        ))
    } else {
        Attempt::Final(described)
    }
}

fn classify_transport(error: &reqwest::Error) -> Attempt {
    // reqwest's message names the URL; the source chain says why (refused, reset, timeout).
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        // hyper's messages often repeat their cause's; keep each cause once.
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message = format!("{message}: {cause_text}");
        }
        source = cause.source();
    }
    if error.is_builder() || error.is_redirect() {
        Attempt::Final(message)
    } else {
        Attempt::Retry(message, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_within_a_limit() {
        let wait = |value: &str| {
            let mut headers = reqwest::header::HeaderMap::new();
            headers.insert(reqwest::header::RETRY_AFTER, value.parse().unwrap());
            retry_after(&headers)
        };
        assert_eq!(wait("3"), Some(Duration::from_secs(3)));
        assert_eq!(wait(" 0 "), Some(Duration::ZERO));
        assert_eq!(wait("86400"), Some(MAX_RETRY_AFTER));
        // A date in the past is now; one in the future is that far ahead.
        assert_eq!(wait("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let soon = wait(&soon).unwrap();
        assert!(
            soon >= Duration::from_secs(28) && soon <= Duration::from_secs(30),
            "{soon:?}"
        );
        assert_eq!(wait("later"), None);
        assert_eq!(retry_after(&reqwest::header::HeaderMap::new()), None);
    }

    #[test]
    fn seconds_are_converted_to_exact_nanoseconds() {
        assert_eq!(seconds_text_to_nanos("0"), Some(0));
        assert_eq!(seconds_text_to_nanos("12"), Some(12_000_000_000));
        assert_eq!(seconds_text_to_nanos("0.1"), Some(100_000_000));
        assert_eq!(seconds_text_to_nanos("-1.5"), Some(-1_500_000_000));
        assert_eq!(
            seconds_text_to_nanos("2592000.123456789"),
            Some(2_592_000_123_456_789)
        );
        // Binary floating point would give ...456_790 or ...456_788 here.
        assert_eq!(
            seconds_text_to_nanos("31536000.123456789"),
            Some(31_536_000_123_456_789)
        );
        assert_eq!(seconds_text_to_nanos("1.0000000004"), Some(1_000_000_000));
        assert_eq!(seconds_text_to_nanos("1.0000000005"), Some(1_000_000_001));
        assert_eq!(seconds_text_to_nanos("1.5e3"), Some(1_500_000_000_000));
        assert_eq!(seconds_text_to_nanos("25E-9"), Some(25));
        assert_eq!(seconds_text_to_nanos(".5"), Some(500_000_000));
        assert_eq!(seconds_text_to_nanos("7."), Some(7_000_000_000));
        for bad in [
            "",
            "NaN",
            "inf",
            "-",
            ".",
            "1.2.3",
            "abc",
            "1e",
            "1e999999999999",
        ] {
            assert_eq!(seconds_text_to_nanos(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn long_digit_strings_keep_the_decimal_point() {
        // More significant digits than the mantissa keeps: the integer part still scales.
        let many = format!("1{}", "0".repeat(40));
        assert_eq!(
            seconds_text_to_nanos(&many),
            None,
            "too large for any timestamp"
        );
        let precise = format!("3.{}", "3".repeat(40));
        assert_eq!(seconds_text_to_nanos(&precise), Some(3_333_333_333));
    }

    #[test]
    fn tag_values_and_string_fields_are_made_safe() {
        assert_eq!(safe_tag_value("a b,c=d"), "a b,c=d");
        assert_eq!(safe_tag_value("x\ny\\"), "x\u{FFFD}y\u{FFFD}");
        assert_eq!(safe_string_field(r#"a\"b"#), r#"a\\"b"#);
    }

    fn render(point: DataPoint) -> String {
        let mut out = Vec::new();
        point.write_data_point_to(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rendered_lines_escape_every_special_character() {
        let point = DataPoint::builder("step")
            .tag("run", safe_tag_value("my run,v=2\tx\\"))
            .field(
                "note",
                FieldValue::String(safe_string_field("say \"hi\" \\ bye")),
            )
            .field("wait", 1.5)
            .field("units", 3i64)
            .timestamp(42)
            .build()
            .unwrap();
        assert_eq!(
            render(point),
            "step,run=my\\ run\\,v\\=2\u{FFFD}x\u{FFFD} note=\"say \\\"hi\\\" \\\\ bye\",units=3i,wait=1.5 42\n"
        );
    }

    fn info() -> RunInfo {
        RunInfo {
            scenario: "growth".into(),
            run: "growth-1".into(),
            start_ns: 1_551_657_600_000_000_000,
        }
    }

    #[test]
    fn rows_sharing_a_series_and_time_are_shifted_by_whole_nanoseconds() {
        let info = info();
        let headers = csv::StringRecord::from(vec![
            "point",
            "replication",
            "time",
            "resource",
            "busy",
            "capacity",
            "queue",
        ]);
        let path = Path::new("resources.csv");
        let mut maker = PointMaker::new(&SPECS[2], &info, &headers, path).unwrap();
        let rows = [
            ["0", "0", "10", "gpu", "1", "8", "0"],
            ["0", "0", "10", "gpu", "2", "8", "0"],
            ["0", "0", "10", "cpu", "1", "8", "0"],
            ["0", "0", "10", "gpu", "3", "8", "0"],
            ["0", "0", "10.000000001", "gpu", "4", "8", "0"],
            ["0", "0", "11", "gpu", "4", "8", "1"],
        ];
        let lines: Vec<String> = rows
            .iter()
            .map(|row| {
                render(
                    maker
                        .make(&csv::StringRecord::from(row.to_vec()), path)
                        .unwrap()
                        .unwrap(),
                )
            })
            .collect();
        let base = 1_551_657_600_000_000_000i64 + 10_000_000_000;
        let stamps: Vec<i64> = lines
            .iter()
            .map(|l| l.trim_end().rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(
            stamps,
            vec![
                base,
                base + 1,
                base,
                base + 2,
                base + 3,
                base + 1_000_000_000
            ]
        );
        assert_eq!(maker.shifted_rows, 3);
        assert_eq!(
            lines[0],
            format!(
                "resource,point=0,replication=0,resource=gpu,run=growth-1,scenario=growth busy=1i,capacity=8i,queue=0i {base}\n"
            )
        );
    }

    #[test]
    fn empty_and_nan_values_are_left_out_and_rows_without_fields_skipped() {
        let info = info();
        let headers = csv::StringRecord::from(vec![
            "point",
            "replication",
            "id",
            "template",
            "arrival",
            "start",
            "end",
            "wait",
            "makespan",
            "outcome",
        ]);
        let path = Path::new("pipelines.csv");
        let mut maker = PointMaker::new(&SPECS[0], &info, &headers, path).unwrap();
        let unfinished = csv::StringRecord::from(vec![
            "1",
            "0",
            "7",
            "classic",
            "100.5",
            "NaN",
            "",
            "0",
            "NaN",
            "unfinished",
        ]);
        let line = render(maker.make(&unfinished, path).unwrap().unwrap());
        assert_eq!(
            line,
            format!(
                "pipeline,outcome=unfinished,point=1,replication=0,run=growth-1,scenario=growth,template=classic arrival=100.5,id=7i,wait=0 {}\n",
                1_551_657_600_000_000_000i64 + 100_500_000_000
            )
        );
        let no_pipeline = csv::StringRecord::from(vec![
            "1",
            "0",
            "18446744073709551615",
            "classic",
            "1",
            "1",
            "2",
            "0",
            "1",
            "completed",
        ]);
        let line = render(maker.make(&no_pipeline, path).unwrap().unwrap());
        assert!(!line.contains("id="), "{line}");
        let bad = csv::StringRecord::from(vec![
            "1",
            "0",
            "x",
            "classic",
            "1",
            "1",
            "2",
            "0",
            "1",
            "completed",
        ]);
        let message = maker.make(&bad, path).unwrap_err().to_string();
        assert!(
            message.contains("column `id`: `x` is not an integer"),
            "{message}"
        );
    }

    #[test]
    fn destinations_need_a_complete_set_of_options() {
        let args = |org: Option<&str>, bucket: Option<&str>, db: Option<&str>| InfluxArgs {
            influx: Some("http://127.0.0.1:8086".into()),
            influx_org: org.map(Into::into),
            influx_bucket: bucket.map(Into::into),
            influx_db: db.map(Into::into),
        };
        let error = |a: InfluxArgs| {
            Destination::from_args_and_credentials(&a, None, None, None)
                .unwrap_err()
                .to_string()
        };
        assert!(error(args(None, None, None)).contains("`--influx-db DB`"));
        assert!(error(args(Some("o"), None, None)).contains("needs `--influx-bucket`"));
        assert!(error(args(None, Some("b"), None)).contains("needs `--influx-org`"));
        let destination = Destination::from_args_and_credentials(
            &args(Some("o"), Some("b"), None),
            Some("secret".into()),
            None,
            None,
        )
        .unwrap();
        assert!(!format!("{destination:?}").contains("secret"));
        let mut bad_url = args(None, None, Some("d"));
        bad_url.influx = Some("localhost:8086".into());
        assert!(error(bad_url).contains("is not an http or https URL"));
    }
}
