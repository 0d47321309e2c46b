//! CSV traces (`traces/*.csv`, LANGUAGE.md section 7): one row per event, a header row, names
//! instead of ids, times in seconds from the scenario start, sizes in bytes. An undefined
//! number (NaN: a pipeline that never started) is an empty field, which pandas reads as NaN
//! and DuckDB as NULL.
//!
//! Invariants:
//! - Rows are streamed to disk as the engine emits them, never held whole in memory.
//! - Each traced replication writes its own part files (the replications run in parallel);
//!   [`concatenate_parts`] joins them in work-list order at the end, so the bytes do not
//!   depend on the number of threads. Shards' traces joined in shard order are the unsharded
//!   run's traces, because shards are contiguous slices of the work list.

use super::csv_line::{push_f64, push_text, push_u64};
use crate::cli::TraceMode;
use crate::experiment::{TraceFactory, WorkItem};
use crate::ir;
use crate::sim::trace::{
    ArrivalRow, Direction, LinkRow, ModelEvent, ModelRow, Outcome, PipelineRow, ResourceRow,
    StepRow, TraceSink,
};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The trace files and their columns, in the order of the `TraceKind` indices below.
pub const FILES: [(&str, &[&str]); 6] = [
    (
        "pipelines",
        &[
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
        ],
    ),
    (
        "steps",
        &[
            "point",
            "replication",
            "pipeline_id",
            "template",
            "step",
            "kind",
            "resource",
            "units",
            "ready",
            "start",
            "end",
            "wait",
            "service",
            "bytes",
        ],
    ),
    (
        "resources",
        &[
            "point",
            "replication",
            "time",
            "resource",
            "busy",
            "capacity",
            "queue",
        ],
    ),
    (
        "links",
        &[
            "point",
            "replication",
            "link",
            "pipeline_id",
            "template",
            "step",
            "direction",
            "start",
            "end",
            "bytes",
        ],
    ),
    (
        "models",
        &[
            "point",
            "replication",
            "time",
            "model",
            "template",
            "version",
            "event",
            "accuracy",
            "pipeline_id",
        ],
    ),
    (
        "arrivals",
        &[
            "point",
            "replication",
            "time",
            "source",
            "pipeline_id",
            "template",
        ],
    ),
];

const PIPELINES: usize = 0;
const STEPS: usize = 1;
const RESOURCES: usize = 2;
const LINKS: usize = 3;
const MODELS: usize = 4;
const ARRIVALS: usize = 5;

/// The folder of a run directory that holds the traces.
pub const DIR_NAME: &str = "traces";

/// Whether `item` keeps a full trace under `mode`.
pub fn is_traced(mode: TraceMode, item: WorkItem) -> bool {
    match mode {
        TraceMode::First => item.replication == 0,
        TraceMode::All => true,
        TraceMode::None => false,
    }
}

/// The name `--trace` was given as, for the manifest.
pub fn mode_name(mode: TraceMode) -> &'static str {
    match mode {
        TraceMode::First => "first",
        TraceMode::All => "all",
        TraceMode::None => "none",
    }
}

/// The mode `mode_name` names, as a manifest records it.
pub fn mode_from_name(name: &str) -> Option<TraceMode> {
    [TraceMode::First, TraceMode::All, TraceMode::None]
        .into_iter()
        .find(|&mode| mode_name(mode) == name)
}

/// Where a run directory keeps the trace part files of its replications until the run is
/// complete (an interrupted run keeps them there for `pipesim resume`).
pub fn parts_dir(run_dir: &Path) -> PathBuf {
    run_dir.join(DIR_NAME).join(".parts")
}

/// Opens a part file per trace file for each traced replication, in `parts_dir`.
pub struct PartFiles {
    pub parts_dir: PathBuf,
    pub mode: TraceMode,
}

impl PartFiles {
    fn part_path(&self, kind: usize, item: WorkItem) -> PathBuf {
        part_path(&self.parts_dir, kind, item)
    }
}

/// Named by the replication, not by its place in the work list, which moves when a run is
/// given more replications per point.
fn part_path(parts_dir: &Path, kind: usize, item: WorkItem) -> PathBuf {
    parts_dir.join(format!(
        "{}.{}.{}.csv",
        FILES[kind].0, item.point, item.replication
    ))
}

impl TraceFactory for PartFiles {
    type Sink = CsvSink;

    fn traces(&self, item: WorkItem) -> bool {
        is_traced(self.mode, item)
    }

    fn open(&self, item: WorkItem, scenario: &ir::Scenario) -> std::io::Result<Option<CsvSink>> {
        if !self.traces(item) {
            return Ok(None);
        }
        let mut writers = Vec::with_capacity(FILES.len());
        for (kind, (_, columns)) in FILES.iter().enumerate() {
            let file = File::create(self.part_path(kind, item))?;
            // Each part starts with its file's header, so that the first part joins the
            // run's traces by a rename rather than a copy (see `concatenate_parts`).
            let mut buffer = Vec::with_capacity(PART_BUFFER + 4096);
            buffer.extend_from_slice(header_line(columns).as_bytes());
            writers.push((file, buffer));
        }
        // Every row starts with these two fields.
        let mut prefix = Vec::new();
        push_u64(&mut prefix, item.point as u64);
        prefix.push(b',');
        push_u64(&mut prefix, u64::from(item.replication));
        Ok(Some(CsvSink {
            names: Names::of(scenario),
            rows: Rows {
                prefix,
                writers,
                error: None,
            },
        }))
    }

    fn close(&self, sink: CsvSink) -> std::io::Result<()> {
        sink.finish()
    }
}

/// The names trace rows' ids stand for, looked up once per replication.
struct Names {
    pipelines: Vec<String>,
    steps: Vec<Vec<String>>,
    resources: Vec<String>,
    arrivals: Vec<String>,
}

impl Names {
    fn of(scenario: &ir::Scenario) -> Names {
        Names {
            pipelines: scenario.pipelines.iter().map(|p| p.name.clone()).collect(),
            steps: scenario
                .pipelines
                .iter()
                .map(|p| p.steps.iter().map(|s| s.name.clone()).collect())
                .collect(),
            resources: scenario.resources.iter().map(|r| r.name.clone()).collect(),
            arrivals: scenario.arrivals.iter().map(|a| a.name.clone()).collect(),
        }
    }

    fn pipeline(&self, id: ir::PipelineId) -> &str {
        self.pipelines.get(id as usize).map_or("?", String::as_str)
    }

    fn step(&self, template: ir::PipelineId, step: ir::StepIdx) -> &str {
        self.steps
            .get(template as usize)
            .and_then(|s| s.get(step as usize))
            .map_or("?", String::as_str)
    }

    fn resource(&self, id: ir::ResourceId) -> &str {
        self.resources.get(id as usize).map_or("?", String::as_str)
    }

    fn source(&self, source: u32) -> &str {
        if source == u32::MAX {
            // A monitor's retraining run, not an `arrivals` declaration.
            return "retrain";
        }
        self.arrivals
            .get(source as usize)
            .map_or("?", String::as_str)
    }
}

/// Streams one replication's rows into its part files.
pub struct CsvSink {
    names: Names,
    rows: Rows,
}

/// Bytes of rows a part file collects before they are written.
const PART_BUFFER: usize = 1 << 16;

/// The part files of one replication, and what every row starts with.
struct Rows {
    /// The point and replication fields, formatted once.
    prefix: Vec<u8>,
    /// Each part file, with the rows not yet written to it. Rows are assembled straight into
    /// this buffer ([`super::csv_line`]) rather than copied into a `BufWriter`'s.
    writers: Vec<(File, Vec<u8>)>,
    /// The first write error; the engine's sink methods cannot return one.
    error: Option<std::io::Error>,
}

/// One field of a row.
enum Field<'a> {
    Text(&'a str),
    Number(f64),
    Integer(u64),
}

impl Rows {
    fn row(&mut self, kind: usize, fields: &[Field<'_>]) {
        if self.error.is_some() {
            return;
        }
        let (file, line) = &mut self.writers[kind];
        line.extend_from_slice(&self.prefix);
        for field in fields {
            line.push(b',');
            match *field {
                Field::Text(text) => push_text(line, text),
                // The shortest text that reads back to the same value; NaN (undefined) is
                // an empty field.
                Field::Number(x) if !x.is_nan() => push_f64(line, x),
                Field::Number(_) => {}
                // u64::MAX is the engine's "none" (a model event that no pipeline caused):
                // an empty field, like an undefined number, so pandas reads it as missing.
                Field::Integer(n) if n != u64::MAX => push_u64(line, n),
                Field::Integer(_) => {}
            }
        }
        line.push(b'\n');
        if line.len() >= PART_BUFFER {
            if let Err(e) = file.write_all(line) {
                self.error = Some(e);
            }
            line.clear();
        }
    }
}

impl CsvSink {
    fn finish(mut self) -> std::io::Result<()> {
        if let Some(e) = self.rows.error.take() {
            return Err(e);
        }
        for (file, rest) in &mut self.rows.writers {
            file.write_all(rest)?;
            rest.clear();
        }
        Ok(())
    }
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Completed => "completed",
        Outcome::Rejected => "rejected",
        Outcome::Unfinished => "unfinished",
    }
}

fn step_kind_name(kind: ir::StepKind) -> &'static str {
    match kind {
        ir::StepKind::Preprocess => "preprocess",
        ir::StepKind::Train => "train",
        ir::StepKind::Validate => "validate",
        ir::StepKind::Compress => "compress",
        ir::StepKind::Task => "task",
    }
}

fn model_event_name(event: ModelEvent) -> &'static str {
    match event {
        ModelEvent::Deployed => "deployed",
        ModelEvent::Dropped => "dropped",
        ModelEvent::Stale => "stale",
        ModelEvent::Retrain => "retrain",
        ModelEvent::Replaced => "replaced",
        ModelEvent::Retired => "retired",
    }
}

impl TraceSink for CsvSink {
    fn pipeline(&mut self, row: &PipelineRow) {
        let template = self.names.pipeline(row.template);
        self.rows.row(
            PIPELINES,
            &[
                Field::Integer(row.id),
                Field::Text(template),
                Field::Number(row.arrival),
                Field::Number(row.start),
                Field::Number(row.end),
                Field::Number(row.wait),
                Field::Number(row.makespan),
                Field::Text(outcome_name(row.outcome)),
            ],
        );
    }

    fn step(&mut self, row: &StepRow) {
        let template = self.names.pipeline(row.template);
        let step = self.names.step(row.template, row.step);
        let resource = row.resource.map_or("", |r| self.names.resource(r));
        self.rows.row(
            STEPS,
            &[
                Field::Integer(row.pipeline_id),
                Field::Text(template),
                Field::Text(step),
                Field::Text(step_kind_name(row.kind)),
                Field::Text(resource),
                Field::Integer(row.units.into()),
                Field::Number(row.ready),
                Field::Number(row.start),
                Field::Number(row.end),
                Field::Number(row.wait),
                Field::Number(row.service),
                Field::Number(row.bytes),
            ],
        );
    }

    fn resource(&mut self, row: &ResourceRow) {
        let resource = self.names.resource(row.resource);
        self.rows.row(
            RESOURCES,
            &[
                Field::Number(row.time),
                Field::Text(resource),
                Field::Integer(row.busy.into()),
                Field::Integer(row.capacity.into()),
                Field::Integer(row.queue.into()),
            ],
        );
    }

    fn link(&mut self, row: &LinkRow) {
        let link = self.names.resource(row.link);
        let template = self.names.pipeline(row.template);
        let step = self.names.step(row.template, row.step);
        self.rows.row(
            LINKS,
            &[
                Field::Text(link),
                Field::Integer(row.pipeline_id),
                Field::Text(template),
                Field::Text(step),
                Field::Text(match row.direction {
                    Direction::Read => "read",
                    Direction::Write => "write",
                }),
                Field::Number(row.start),
                Field::Number(row.end),
                Field::Number(row.bytes),
            ],
        );
    }

    fn model(&mut self, row: &ModelRow) {
        let template = self.names.pipeline(row.template);
        self.rows.row(
            MODELS,
            &[
                Field::Number(row.time),
                Field::Integer(row.model),
                Field::Text(template),
                Field::Integer(row.version.into()),
                Field::Text(model_event_name(row.event)),
                Field::Number(row.accuracy),
                Field::Integer(row.pipeline_id),
            ],
        );
    }

    fn arrival(&mut self, row: &ArrivalRow) {
        let source = self.names.source(row.source);
        let template = self.names.pipeline(row.template);
        self.rows.row(
            ARRIVALS,
            &[
                Field::Number(row.time),
                Field::Text(source),
                Field::Integer(row.pipeline_id),
                Field::Text(template),
            ],
        );
    }
}

fn header_line(columns: &[&str]) -> String {
    let mut line = columns.join(",");
    line.push('\n');
    line
}

/// Copies the part files of `from` into `to` (hard links where the file system allows: they
/// can be large).
pub fn copy_parts(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create `{}`: {e}", to.display()))?;
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        // No replication that keeps a trace had finished.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read `{}`: {e}", from.display())),
    };
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", from.display()))?;
        let target = to.join(entry.file_name());
        if std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target).map_err(|e| {
                format!(
                    "cannot copy `{}` to `{}`: {e}",
                    entry.path().display(),
                    target.display()
                )
            })?;
        }
    }
    Ok(())
}

/// Splits a complete run's joined `traces/*.csv` back into the part files of `items`, the
/// inverse of [`concatenate_parts`]: a finished run given more replications joins its traces
/// again with the new ones in work-list order.
pub fn split_into_parts(
    traces_dir: &Path,
    parts_dir: &Path,
    items: &[WorkItem],
) -> Result<(), String> {
    std::fs::create_dir_all(parts_dir)
        .map_err(|e| format!("cannot create `{}`: {e}", parts_dir.display()))?;
    for (kind, (name, columns)) in FILES.iter().enumerate() {
        let source = traces_dir.join(format!("{name}.csv"));
        let read_error = |e: std::io::Error| format!("cannot read `{}`: {e}", source.display());
        let mut input = std::io::BufReader::new(File::open(&source).map_err(read_error)?);
        let mut line = Vec::new();
        std::io::BufRead::read_until(&mut input, b'\n', &mut line).map_err(read_error)?;
        if line != header_line(columns).as_bytes() {
            return Err(format!(
                "`{}` does not start with the header pipesim writes; was it edited?",
                source.display()
            ));
        }
        // Every item gets its part, rows or not, as a run writes them: the header, then
        // the rows.
        let write_error =
            |e: std::io::Error| format!("cannot write `{}`: {e}", parts_dir.display());
        for &item in items {
            File::create(part_path(parts_dir, kind, item))
                .and_then(|mut part| part.write_all(header_line(columns).as_bytes()))
                .map_err(write_error)?;
        }
        let traced: std::collections::HashSet<WorkItem> = items.iter().copied().collect();
        // A replication's rows are contiguous: one part file is open at a time.
        let mut current: Option<(WorkItem, BufWriter<File>)> = None;
        loop {
            line.clear();
            if std::io::BufRead::read_until(&mut input, b'\n', &mut line).map_err(read_error)? == 0
            {
                break;
            }
            let item = row_item(&line);
            if current.as_ref().map(|(open, _)| Some(*open)) != Some(item) {
                if let Some((_, mut out)) = current.take() {
                    out.flush().map_err(write_error)?;
                }
                let Some(item) = item.filter(|i| traced.contains(i)) else {
                    return Err(format!(
                        "`{}` has a row of no replication the run kept a trace of: {}",
                        source.display(),
                        String::from_utf8_lossy(&line).trim_end()
                    ));
                };
                let file = std::fs::OpenOptions::new()
                    .append(true)
                    .open(part_path(parts_dir, kind, item))
                    .map_err(write_error)?;
                current = Some((item, BufWriter::new(file)));
            }
            if let Some((_, out)) = current.as_mut() {
                out.write_all(&line).map_err(write_error)?;
            }
        }
        if let Some((_, mut out)) = current {
            out.flush().map_err(write_error)?;
        }
    }
    Ok(())
}

/// The (point, replication) a trace row starts with.
fn row_item(line: &[u8]) -> Option<WorkItem> {
    let text = std::str::from_utf8(line).ok()?;
    let mut fields = text.splitn(3, ',');
    let point = fields.next()?.parse().ok()?;
    let replication = fields.next()?.parse().ok()?;
    Some(WorkItem { point, replication })
}

/// Removes the part files of `item`, if any (one abandoned by Ctrl-C: its rows stop mid-run).
pub fn remove_parts(parts_dir: &Path, item: WorkItem) -> std::io::Result<()> {
    for kind in 0..FILES.len() {
        match std::fs::remove_file(part_path(parts_dir, kind, item)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Joins the part files of the traced `items` (in work-list order) into `traces_dir/*.csv`,
/// each with its header row, and removes `parts_dir`.
///
/// The first part becomes the file by a rename (its header is the file's), and the others
/// are appended after their header: a run with one traced replication, the default for a
/// single point, joins gigabytes of traces in no time and with no second copy on disk.
/// Parts without a header (written before parts had one, kept by an interrupted run) are
/// copied whole after one.
pub fn concatenate_parts(
    parts_dir: &Path,
    traces_dir: &Path,
    items: &[WorkItem],
) -> std::io::Result<()> {
    std::fs::create_dir_all(traces_dir)?;
    for (kind, (name, columns)) in FILES.iter().enumerate() {
        let header = header_line(columns);
        let target = traces_dir.join(format!("{name}.csv"));
        let mut parts = items.iter().map(|&item| part_path(parts_dir, kind, item));
        let mut out = match parts.next() {
            Some(first) if starts_with(&first, header.as_bytes())? => {
                std::fs::rename(&first, &target)?;
                std::fs::OpenOptions::new().append(true).open(&target)?
            }
            first => {
                let mut out = File::create(&target)?;
                out.write_all(header.as_bytes())?;
                if let Some(first) = first {
                    append_part(&first, &mut out, header.as_bytes())?;
                }
                out
            }
        };
        for part in parts {
            append_part(&part, &mut out, header.as_bytes())?;
        }
    }
    std::fs::remove_dir_all(parts_dir)
}

/// Whether the file at `path` starts with `header`.
fn starts_with(path: &Path, header: &[u8]) -> std::io::Result<bool> {
    let mut start = Vec::with_capacity(header.len());
    File::open(path)?
        .take(header.len() as u64)
        .read_to_end(&mut start)?;
    Ok(start == header)
}

/// Appends the rows of the part at `path` to `out` (after its header, if it has one), and
/// removes it.
fn append_part(path: &Path, out: &mut File, header: &[u8]) -> std::io::Result<()> {
    let skip = if starts_with(path, header)? {
        header.len() as u64
    } else {
        0
    };
    let mut input = File::open(path)?;
    input.seek(std::io::SeekFrom::Start(skip))?;
    std::io::copy(&mut input, out)?;
    std::fs::remove_file(path)
}

/// Joins the traces of shard run directories, in shard order, into `traces_dir`: each file's
/// header once, then every shard's rows.
pub fn concatenate_runs(run_dirs: &[&Path], traces_dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(traces_dir)
        .map_err(|e| format!("cannot create `{}`: {e}", traces_dir.display()))?;
    for (name, columns) in FILES {
        let file_name = format!("{name}.csv");
        let target = traces_dir.join(&file_name);
        let write_error = |e: std::io::Error| format!("cannot write `{}`: {e}", target.display());
        let mut out = BufWriter::new(File::create(&target).map_err(write_error)?);
        let header = header_line(columns);
        out.write_all(header.as_bytes()).map_err(write_error)?;
        for dir in run_dirs {
            let source = dir.join(DIR_NAME).join(&file_name);
            let read_error = |e: std::io::Error| format!("cannot read `{}`: {e}", source.display());
            let mut input = std::io::BufReader::new(File::open(&source).map_err(read_error)?);
            let mut first_line = Vec::new();
            std::io::BufRead::read_until(&mut input, b'\n', &mut first_line).map_err(read_error)?;
            if first_line != header.as_bytes() {
                return Err(format!(
                    "`{}` does not start with the header pipesim writes; was it edited?",
                    source.display()
                ));
            }
            // The rest streams through; a shard's trace may be larger than memory.
            std::io::copy(&mut input, &mut out).map_err(read_error)?;
        }
        out.flush().map_err(write_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constant(x: f64) -> ir::Expr {
        ir::Expr::Const(ir::Value::Num(x))
    }

    fn scenario() -> ir::Scenario {
        let step = |name: &str, kind| ir::Step::new(name, kind, constant(1.0));
        ir::Scenario {
            name: "s".into(),
            start_unix: 0,
            start_rfc3339: "1970-01-01T00:00:00Z".into(),
            horizon: 10.0,
            warmup: 0.0,
            seed: 1,
            drain: false,
            resources: vec![
                ir::Resource {
                    name: "gpu".into(),
                    kind: ir::ResourceKind::Link(ir::Link { bandwidth: 1.0 }),
                },
                ir::Resource {
                    name: "storage".into(),
                    kind: ir::ResourceKind::Link(ir::Link { bandwidth: 1.0 }),
                },
            ],
            pipelines: vec![ir::Pipeline {
                name: "aiops.edge".into(),
                vars: Vec::new(),
                priority_var: None,
                deadline_var: None,
                steps: vec![
                    step("preprocess", ir::StepKind::Preprocess),
                    step("fit", ir::StepKind::Train),
                ],
                model: None,
            }],
            profiles: Vec::new(),
            arrivals: vec![ir::Arrivals {
                name: "triggers".into(),
                process: ir::ArrivalProcess::Replay { times: Vec::new() },
                profile: None,
                pipeline: constant(0.0),
                growth: 1.0,
                start: 0.0,
                stop: None,
                row: Default::default(),
            }],
            monitors: Vec::new(),
            experiment: ir::Experiment {
                replications: 1,
                confidence: 0.95,
                metrics: Vec::new(),
            },
            labels: Vec::new(),
        }
    }

    fn emit(sink: &mut CsvSink, replication: u32, arrival: f64) {
        sink.arrival(&ArrivalRow {
            replication,
            time: arrival,
            source: 0,
            pipeline_id: 0,
            template: 0,
        });
        sink.arrival(&ArrivalRow {
            replication,
            time: arrival + 1.0,
            source: u32::MAX,
            pipeline_id: 1,
            template: 0,
        });
        sink.step(&StepRow {
            replication,
            pipeline_id: 0,
            template: 0,
            step: 1,
            kind: ir::StepKind::Train,
            resource: Some(0),
            units: 2,
            ready: arrival,
            start: arrival + 0.5,
            end: arrival + 2.25,
            wait: 0.5,
            service: 1.75,
            bytes: 2e9,
        });
        sink.pipeline(&PipelineRow {
            replication,
            id: 1,
            template: 0,
            arrival: arrival + 1.0,
            start: f64::NAN,
            end: f64::NAN,
            wait: 0.0,
            makespan: f64::NAN,
            outcome: Outcome::Unfinished,
        });
    }

    #[test]
    fn parts_are_joined_in_work_list_order_with_names_and_headers() {
        let root = tempfile::tempdir().unwrap();
        let parts_dir = root.path().join("parts");
        std::fs::create_dir(&parts_dir).unwrap();
        let factory = PartFiles {
            parts_dir: parts_dir.clone(),
            mode: TraceMode::First,
        };
        let scenario = scenario();
        let item = |point, replication| WorkItem { point, replication };
        // Replication 1 is not traced under `first`.
        assert!(factory.open(item(0, 1), &scenario).unwrap().is_none());
        // Open the later position first, as a parallel run may.
        let mut second = factory.open(item(1, 0), &scenario).unwrap().unwrap();
        let mut first = factory.open(item(0, 0), &scenario).unwrap().unwrap();
        emit(&mut second, 0, 100.0);
        emit(&mut first, 0, 10.0);
        factory.close(second).unwrap();
        factory.close(first).unwrap();

        let run_a = root.path().join("a");
        let traces = run_a.join(DIR_NAME);
        concatenate_parts(&parts_dir, &traces, &[item(0, 0), item(1, 0)]).unwrap();
        assert!(!parts_dir.exists());
        let read = |name: &str| std::fs::read_to_string(traces.join(name)).unwrap();
        assert_eq!(
            read("arrivals.csv"),
            "point,replication,time,source,pipeline_id,template\n\
             0,0,10,triggers,0,aiops.edge\n\
             0,0,11,retrain,1,aiops.edge\n\
             1,0,100,triggers,0,aiops.edge\n\
             1,0,101,retrain,1,aiops.edge\n"
        );
        assert_eq!(
            read("steps.csv"),
            "point,replication,pipeline_id,template,step,kind,resource,units,ready,start,end,wait,service,bytes\n\
             0,0,0,aiops.edge,fit,train,gpu,2,10,10.5,12.25,0.5,1.75,2000000000\n\
             1,0,0,aiops.edge,fit,train,gpu,2,100,100.5,102.25,0.5,1.75,2000000000\n"
        );
        // Undefined times are empty fields.
        assert_eq!(
            read("pipelines.csv").lines().nth(1),
            Some("0,0,1,aiops.edge,11,,,0,,unfinished")
        );
        // Files without rows still have their header.
        assert_eq!(
            read("models.csv"),
            "point,replication,time,model,template,version,event,accuracy,pipeline_id\n"
        );

        // Joining run directories keeps one header.
        let run_b = root.path().join("b");
        copy_dir(&traces, &run_b.join(DIR_NAME));
        let joined = root.path().join("joined");
        concatenate_runs(&[&run_a, &run_b], &joined).unwrap();
        let arrivals = std::fs::read_to_string(joined.join("arrivals.csv")).unwrap();
        assert_eq!(
            arrivals.lines().filter(|l| l.starts_with("point,")).count(),
            1
        );
        assert_eq!(arrivals.lines().count(), 1 + 4 + 4);
    }

    /// Resume with more replications: a finished run's joined traces split back into parts
    /// join into the same bytes (with the new replications' parts, in work-list order).
    #[test]
    fn joined_traces_split_back_into_parts_join_into_the_same_bytes() {
        let root = tempfile::tempdir().unwrap();
        let parts_dir = root.path().join("parts");
        let items = [item(0, 0), item(0, 1), item(1, 0)];
        write_parts(&parts_dir, &items);
        let traces = root.path().join("traces");
        concatenate_parts(&parts_dir, &traces, &items).unwrap();

        let split = root.path().join("split");
        split_into_parts(&traces, &split, &items).unwrap();
        let rejoined = root.path().join("rejoined");
        concatenate_parts(&split, &rejoined, &items).unwrap();
        for (name, _) in FILES {
            let file = format!("{name}.csv");
            assert_eq!(
                std::fs::read(rejoined.join(&file)).unwrap(),
                std::fs::read(traces.join(&file)).unwrap(),
                "{file}"
            );
        }

        // A row of a replication the run did not trace is refused, not dropped.
        let message = split_into_parts(&traces, &root.path().join("x"), &items[..2]);
        assert!(message.unwrap_err().contains("has a row of no replication"));
    }

    /// The first part becomes the joined file by a rename, not a copy (the same file on
    /// disk); parts without a header, as an interrupted run of an earlier version kept them,
    /// join into the same bytes as parts with one.
    #[test]
    fn the_first_part_is_renamed_and_parts_without_a_header_still_join() {
        let root = tempfile::tempdir().unwrap();
        let parts_dir = root.path().join("parts");
        let items = [item(0, 0), item(0, 1)];
        write_parts(&parts_dir, &items);
        let legacy = root.path().join("legacy");
        std::fs::create_dir(&legacy).unwrap();
        for entry in std::fs::read_dir(&parts_dir).unwrap() {
            let entry = entry.unwrap();
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let rows = text.split_once('\n').unwrap().1;
            std::fs::write(legacy.join(entry.file_name()), rows).unwrap();
        }
        #[cfg(unix)]
        let first_part = {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(part_path(&parts_dir, 1, items[0]))
                .unwrap()
                .ino()
        };

        let traces = root.path().join("traces");
        concatenate_parts(&parts_dir, &traces, &items).unwrap();
        let from_legacy = root.path().join("from-legacy");
        concatenate_parts(&legacy, &from_legacy, &items).unwrap();
        for (name, _) in FILES {
            let file = format!("{name}.csv");
            assert_eq!(
                std::fs::read(from_legacy.join(&file)).unwrap(),
                std::fs::read(traces.join(&file)).unwrap(),
                "{file}"
            );
        }
        let steps = std::fs::read_to_string(traces.join(format!("{}.csv", FILES[1].0))).unwrap();
        assert_eq!(steps.lines().filter(|l| l.starts_with("point,")).count(), 1);
        assert_eq!(steps.lines().count(), 3);
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let joined = traces.join(format!("{}.csv", FILES[1].0));
            assert_eq!(std::fs::metadata(joined).unwrap().ino(), first_part);
        }
    }

    fn item(point: usize, replication: u32) -> WorkItem {
        WorkItem { point, replication }
    }

    /// Part files in `parts_dir` for every one of `items`, each with a few rows.
    fn write_parts(parts_dir: &Path, items: &[WorkItem]) {
        std::fs::create_dir(parts_dir).unwrap();
        let factory = PartFiles {
            parts_dir: parts_dir.to_path_buf(),
            mode: TraceMode::All,
        };
        let scenario = scenario();
        for (n, &item) in items.iter().enumerate() {
            let mut sink = factory.open(item, &scenario).unwrap().unwrap();
            emit(&mut sink, 0, 10.0 * (n + 1) as f64);
            factory.close(sink).unwrap();
        }
    }

    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
