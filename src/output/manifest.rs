//! `manifest.json`: how a run was made (command line, version, seed, input files with their
//! SHA-256, wall time, shard), and the experiment's layout (points, replications, confidence)
//! that `pipesim merge` and `pipesim compare` need. Also the `scenario/` copies of the files
//! that were run (scenario files and the data files they name).
//!
//! Invariant: the copies and hashes of `.pipesim` files are of the text that was parsed
//! (held by the [`SourceMap`]), not of whatever is on disk later; data files are copied when
//! the run starts.

use super::run_dir::RunDir;
use crate::analysis::load;
use crate::experiment::{Params, WorkItem};
use crate::loader::Program;
use crate::source::{FileId, Origin, SourceMap};
use crate::syntax::ast;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};

pub const FILE_NAME: &str = "manifest.json";

/// A file the scenario was made of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// As diagnostics name it (the path the user gave, or `std/aiops`).
    pub file: String,
    /// Its copy inside the run directory, e.g. `scenario/growth.pipesim`.
    pub copy: String,
    /// SHA-256 of its text, lower-case hex.
    pub sha256: String,
}

/// `pipesim run --precision`'s targets, as given, and its cap: what `pipesim resume` needs to
/// go on doubling a run interrupted while it did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrecisionSettings {
    pub targets: Vec<String>,
    pub max_replications: u32,
}

/// Which slice of the work list a shard ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// K of `--shard K/N`, from 1.
    pub index: usize,
    /// N.
    pub count: usize,
    /// Its work-list positions: `[first_item, end_item)`.
    pub first_item: usize,
    pub end_item: usize,
}

/// A pool that a sweep point offers more work than its slots can do, or a link more bytes
/// than its bandwidth can move (worked out from the scenario by `analysis::load`, as `check`'s
/// W0603 and W0604): its queue or its set of transfers is still growing when the run ends, so
/// the point's waits and makespans depend on the horizon rather than settle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overloaded {
    /// Index of the point in `points`.
    pub point: usize,
    /// The resource, as the scenario names it (`gpu`, `aiops.storage`).
    pub resource: String,
    /// A pool's most slots (`capacity`, or `autoscale.max`); absent for a link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<u32>,
    /// A link's bandwidth, bytes per second; absent for a pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<f64>,
    /// The mean busy slots offered to a pool, or bytes per second asked of a link (at least
    /// this much unless `exact`); `null` beyond the range of a double.
    pub offered: Option<f64>,
    pub exact: bool,
}

impl Overloaded {
    pub fn new(point: usize, scenario: &crate::ir::Scenario, overload: &load::Overload) -> Self {
        let (slots, bandwidth) = match overload.capacity {
            load::Capacity::Slots(slots) => (Some(slots), None),
            load::Capacity::Bandwidth(bandwidth) => (None, Some(bandwidth)),
        };
        Overloaded {
            point,
            resource: scenario
                .resources
                .get(overload.resource as usize)
                .map_or_else(String::new, |r| r.name.clone()),
            slots,
            bandwidth,
            offered: overload.offered.is_finite().then_some(overload.offered),
            exact: overload.exact,
        }
    }

    /// "is offered at least 9.74 busy slots of 8 (at least 121.8%)" for a pool, "is asked
    /// for 1.5 GB/s of its 1.25 GB/s (120%)" for a link, after the resource's name.
    pub fn load_text(&self) -> String {
        let bound = if self.exact { "" } else { "at least " };
        let offered = self.offered.unwrap_or(f64::INFINITY);
        let (text, capacity) = match (self.slots, self.bandwidth) {
            (Some(slots), _) => (
                format!(
                    "is offered {bound}{} busy slots of {slots}",
                    load::format_amount(offered)
                ),
                f64::from(slots),
            ),
            (None, Some(bandwidth)) => (
                format!(
                    "is asked for {bound}{} of its {}",
                    load::format_bandwidth(offered),
                    load::format_bandwidth(bandwidth)
                ),
                bandwidth,
            ),
            (None, None) => return format!("is offered {bound}more than it can do"),
        };
        if offered.is_finite() {
            format!(
                "{text} ({bound}{}%)",
                super::table::format_percent(offered / capacity)
            )
        } else {
            text
        }
    }
}

/// Why a run stopped before its end other than by Ctrl-C (`manifest.json`'s `stopped`):
/// `by` is `max_live` (a replication held more than `--max-live` pipelines at once; `point`,
/// `replication`, `live` and `time` say which and when) or `trace_error` (writing a trace
/// failed; `error` says how).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stopped {
    pub by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication: Option<u32>,
    /// Pipelines the replication held when it was stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<u32>,
    /// Simulated seconds from the scenario start when it was stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `Stopped::by` of a run stopped at `--max-live`.
pub const STOPPED_BY_MAX_LIVE: &str = "max_live";

impl Stopped {
    pub fn of(failure: &crate::experiment::Failure) -> Stopped {
        use crate::experiment::Failure;
        match failure {
            Failure::Trace(error) => Stopped {
                by: "trace_error".into(),
                point: None,
                replication: None,
                live: None,
                time: None,
                error: Some(error.clone()),
            },
            Failure::Overfull { item, overfull } => Stopped {
                by: STOPPED_BY_MAX_LIVE.into(),
                point: Some(item.point),
                replication: Some(item.replication),
                live: Some(overfull.live),
                time: overfull.time.is_finite().then_some(overfull.time),
                error: None,
            },
        }
    }
}

/// The `--max-live` to suggest for resuming a run stopped at `max_live`: ten times as many.
pub fn larger_max_live(max_live: u32) -> u32 {
    max_live.saturating_mul(10).max(max_live.saturating_add(1))
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub pipesim: String,
    /// The command line, as given.
    pub command: Vec<String>,
    pub scenario: String,
    /// The scenario's calendar start (`scenario.start`, RFC 3339): trace times are seconds
    /// after it (the InfluxDB sink timestamps points with it).
    pub start: String,
    pub seed: u64,
    pub confidence: f64,
    /// Replications per point.
    pub replications: u32,
    /// Every sweep point's params, in sweep order (also those a shard did not run).
    pub points: Vec<Params>,
    /// The same params as the scenario writes them (`1Gbps` for 125000000), for tables and
    /// reports; absent when nothing is swept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub written: Vec<Params>,
    /// The `--set PATH=VALUE` texts the scenario was run with (`--seed N` appears as
    /// `scenario.seed=N`).
    #[serde(default)]
    pub overrides: Vec<String>,
    /// The experiment's chosen metrics (the console table's first columns).
    #[serde(default)]
    pub metrics: Vec<String>,
    /// `first`, `all` or `none`.
    pub trace: String,
    /// Points × replications of the whole experiment.
    pub work_items: usize,
    /// Set when this directory holds one shard of a run.
    pub shard: Option<ShardInfo>,
    /// The copy of the entry file.
    pub entry: String,
    pub inputs: Vec<Input>,
    /// The shard directories a merged run was joined from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// Set when the run was interrupted (Ctrl-C): the work items it did not run, which
    /// `pipesim resume` runs. Absent in a complete run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<WorkItem>,
    /// `--max-live`: the most pipelines a replication may hold at once (`resume` keeps it).
    #[serde(default = "default_max_live")]
    pub max_live: u32,
    /// Set when a run stopped before its end (`--max-live`, a trace write error), beside
    /// `missing`: why. Absent when it ran to its end or Ctrl-C interrupted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<Stopped>,
    /// The pools offered more than they can do, point by point (absent when none is).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overloaded: Vec<Overloaded>,
    /// Set when the run was made with `--precision`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<PrecisionSettings>,
    /// How many times `pipesim resume` continued this run (absent when never).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resumed: u32,
    /// When the run started (UTC, RFC 3339).
    pub started_utc: String,
    /// Seconds from start to finish.
    pub wall_seconds: f64,
    /// Worker threads used.
    pub jobs: usize,
}

impl Manifest {
    pub fn to_text(&self) -> String {
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        super::json_text(&value)
    }

    pub fn read(run_dir: &Path) -> Result<Manifest, String> {
        let path = run_dir.join(FILE_NAME);
        if !path.exists() {
            return Err(format!(
                "`{}` has no `{FILE_NAME}`; is it a run directory written by `pipesim run`?",
                run_dir.display()
            ));
        }
        let value = super::read_json(&path)?;
        serde_json::from_value(value)
            .map_err(|e| format!("`{}` is not a pipesim manifest: {e}", path.display()))
    }
}

fn default_max_live() -> u32 {
    crate::experiment::DEFAULT_MAX_LIVE
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// For a run directory that Ctrl-C interrupted (or that stopped at `--max-live`), what it
/// lacks and how to finish it; `None` for a complete run (or one without a readable manifest:
/// the caller reports that itself).
pub fn interrupted_note(run_dir: &Path) -> Option<String> {
    let manifest = Manifest::read(run_dir).ok()?;
    (!manifest.missing.is_empty()).then(|| {
        let dir = run_dir.display();
        let missing = manifest.missing.len();
        match manifest.stopped.as_ref().map(|s| s.by.as_str()) {
            Some(STOPPED_BY_MAX_LIVE) => format!(
                "`{dir}` stopped at `--max-live {}`: {missing} of its replications did not run (finish it with `pipesim resume {dir} --max-live {}`, or a larger limit)",
                manifest.max_live,
                larger_max_live(manifest.max_live)
            ),
            Some(_) => format!(
                "`{dir}` stopped before its end: {missing} of its replications did not run (once the cause is fixed, finish it with `pipesim resume {dir}`)"
            ),
            None => format!(
                "`{dir}` was interrupted: {missing} of its replications did not run (finish it with `pipesim resume {dir}`)"
            ),
        }
    })
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Copies every file of the scenario into `scenario/` of the run directory: the `.pipesim`
/// files from disk and the data files they name (`empirical("x.csv", ...)`, `trace = "x.csv"`)
/// keep their paths relative to the deepest folder that holds them all (so relative imports
/// and data paths still resolve and `pipesim run scenario/ENTRY` repeats the run);
/// standard-library modules go to `scenario/std/NAME.pipesim`, for reference (the binary
/// embeds them). Returns the entry's copy and every input, entry first.
pub fn copy_sources(
    sources: &SourceMap,
    program: &Program,
    run: &RunDir,
) -> Result<(String, Vec<Input>), String> {
    let entry = program.modules.first().map(|m| m.file);
    let data = data_files(sources, program);
    let disk: Vec<&Path> = sources
        .files()
        .filter_map(|(_, f)| match &f.origin {
            Origin::Disk { canonical, .. } => Some(canonical.as_path()),
            _ => None,
        })
        .chain(data.iter().map(|(_, canonical)| canonical.as_path()))
        .collect();
    let base = common_folder(&disk);
    let relative_to_base = |canonical: &Path| match &base {
        Some(base) => canonical
            .strip_prefix(base)
            .unwrap_or(canonical)
            .to_path_buf(),
        None => PathBuf::from(canonical.file_name().unwrap_or_default()),
    };
    let mut entry_copy = String::new();
    let mut inputs = Vec::new();
    let mut files: Vec<(FileId, &crate::source::SourceFile)> = sources.files().collect();
    // Entry first, then the order the loader met the files in.
    files.sort_by_key(|(id, _)| Some(*id) != entry);
    for (id, file) in files {
        let relative = match &file.origin {
            Origin::Disk { canonical, .. } => relative_to_base(canonical),
            Origin::Stdlib(import) => PathBuf::from(format!("{import}.pipesim")),
            Origin::Inline => continue,
        };
        let copy = format!("scenario/{}", slash_path(&relative));
        run.write(&copy, file.text.as_bytes())?;
        if Some(id) == entry {
            entry_copy = copy.clone();
        }
        inputs.push(Input {
            file: file.name.clone(),
            copy,
            sha256: sha256_hex(file.text.as_bytes()),
        });
    }
    for (shown, canonical) in &data {
        let copy = format!("scenario/{}", slash_path(&relative_to_base(canonical)));
        if inputs.iter().any(|i| i.copy == copy) {
            continue;
        }
        let bytes = std::fs::read(canonical)
            .map_err(|e| format!("cannot read `{}` to keep a copy: {e}", shown.display()))?;
        run.write(&copy, &bytes)?;
        inputs.push(Input {
            file: shown.display().to_string(),
            copy,
            sha256: sha256_hex(&bytes),
        });
    }
    Ok((entry_copy, inputs))
}

/// The data files the program's disk modules name, as (path as shown, canonical path), in
/// order of appearance, each once. Names that do not resolve to a file are left out (analysis
/// has reported them).
fn data_files(sources: &SourceMap, program: &Program) -> Vec<(PathBuf, PathBuf)> {
    let mut found: Vec<(PathBuf, PathBuf)> = Vec::new();
    for module in &program.modules {
        let Origin::Disk { shown, .. } = &sources.get(module.file).origin else {
            continue;
        };
        let folder = shown.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut names = Vec::new();
        for item in &module.ast.items {
            if let ast::Item::Decl(decl) = item {
                data_names_in_block(&decl.body, &mut names);
            }
        }
        for name in names {
            let shown = folder.join(&name);
            if let Ok(canonical) = shown.canonicalize() {
                if canonical.is_file() && !found.iter().any(|(_, c)| *c == canonical) {
                    found.push((shown, canonical));
                }
            }
        }
    }
    found
}

/// Strings that name data files: `trace = "..."` and the file argument of `empirical(...)`.
fn data_names_in_block(block: &ast::Block, names: &mut Vec<String>) {
    for entry in &block.entries {
        match entry {
            ast::Entry::Attr(attr) => {
                if let (true, ast::ExprKind::Str(path)) =
                    (attr.name.name == "trace", &attr.value.kind)
                {
                    names.push(path.clone());
                }
                data_names_in_expr(&attr.value, names);
            }
            ast::Entry::Block(nested) => data_names_in_block(&nested.body, names),
            ast::Entry::Step(step) => {
                if let Some(when) = &step.when {
                    data_names_in_expr(when, names);
                }
                data_names_in_block(&step.body, names);
            }
            ast::Entry::Sweep(sweep) => data_names_in_expr(&sweep.values, names),
        }
    }
}

fn data_names_in_expr(expr: &ast::Expr, names: &mut Vec<String>) {
    use ast::ExprKind as E;
    match &expr.kind {
        E::Call { callee, args } => {
            if callee.name == "empirical" {
                let file = args.iter().find(|a| a.name.is_none());
                if let Some(ast::Arg {
                    value:
                        ast::Expr {
                            kind: E::Str(path), ..
                        },
                    ..
                }) = file
                {
                    names.push(path.clone());
                }
            }
            for arg in args {
                data_names_in_expr(&arg.value, names);
            }
        }
        E::List(items) => items.iter().for_each(|e| data_names_in_expr(e, names)),
        E::Unary { operand, .. } => data_names_in_expr(operand, names),
        E::Binary { lhs, rhs, .. } => {
            data_names_in_expr(lhs, names);
            data_names_in_expr(rhs, names);
        }
        E::If {
            cond,
            then,
            otherwise,
        } => {
            for e in [cond, then, otherwise] {
                data_names_in_expr(e, names);
            }
        }
        E::Match { scrutinee, arms } => {
            data_names_in_expr(scrutinee, names);
            for arm in arms {
                data_names_in_expr(&arm.body, names);
            }
        }
        E::Choice(entries) => entries
            .iter()
            .for_each(|c| data_names_in_expr(&c.weight, names)),
        E::Transfer { size, .. } => data_names_in_expr(size, names),
        E::Number(_) | E::Quantity { .. } | E::Bool(_) | E::Str(_) | E::Path(_) => {}
    }
}

/// The deepest folder containing every path (paths are canonical, so absolute).
fn common_folder(paths: &[&Path]) -> Option<PathBuf> {
    let mut common: Option<PathBuf> = None;
    for path in paths {
        let folder = path.parent()?.to_path_buf();
        common = Some(match common {
            None => folder,
            Some(current) => {
                let shared: PathBuf = current
                    .components()
                    .zip(folder.components())
                    .take_while(|(a, b)| a == b)
                    .map(|(a, _)| a)
                    .collect();
                shared
            }
        });
    }
    common
}

/// A relative path with `/` separators, whatever the platform.
fn slash_path(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_a_known_text() {
        // printf 'abc' | sha256sum
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn copies_keep_relative_layout_and_put_the_stdlib_under_std() {
        let root = tempfile::tempdir().unwrap();
        let mut sources = SourceMap::new();
        let disk = |p: &str| Origin::Disk {
            shown: PathBuf::from(p),
            canonical: PathBuf::from(format!("/home/u/project/{p}")),
        };
        let entry = sources.add(
            "scenarios/main.pipesim",
            disk("scenarios/main.pipesim"),
            "main".into(),
        );
        sources.add(
            "lib/common.pipesim",
            disk("lib/common.pipesim"),
            "lib".into(),
        );
        sources.add(
            "std/aiops",
            Origin::Stdlib("std/aiops".into()),
            "std".into(),
        );
        sources.add("--set x=1", Origin::Inline, "x=1".into());
        let run = RunDir::create(&root.path().join("run")).unwrap();
        let program = Program {
            modules: vec![crate::loader::Module {
                file: entry,
                ast: ast::File::default(),
                imports: Vec::new(),
            }],
        };
        let (entry_copy, inputs) = copy_sources(&sources, &program, &run).unwrap();
        assert_eq!(entry_copy, "scenario/scenarios/main.pipesim");
        let copies: Vec<_> = inputs.iter().map(|i| i.copy.as_str()).collect();
        assert_eq!(
            copies,
            [
                "scenario/scenarios/main.pipesim",
                "scenario/lib/common.pipesim",
                "scenario/std/aiops.pipesim"
            ]
        );
        let path = run.path().join("scenario/lib/common.pipesim");
        assert_eq!(std::fs::read_to_string(path).unwrap(), "lib");
        assert_eq!(inputs[2].sha256, sha256_hex(b"std"));
    }

    #[test]
    fn data_files_named_by_the_scenario_are_copied_beside_it() {
        let root = tempfile::tempdir().unwrap();
        let project = root.path().join("project");
        std::fs::create_dir_all(project.join("data")).unwrap();
        std::fs::write(project.join("data/jobs.csv"), "timestamp\n1\n2\n").unwrap();
        std::fs::write(project.join("sizes.csv"), "gb\n1\n").unwrap();
        let text = r#"
scenario s { horizon = 1d }
resource cpu { kind = pool  capacity = 1 }
pipeline p { task { on = cpu  duration = empirical("sizes.csv", column = "gb") * 1s } }
arrivals replay { trace = "data/jobs.csv"  time_column = "timestamp"  pipeline = p }
"#;
        std::fs::write(project.join("main.pipesim"), text).unwrap();
        let mut sources = SourceMap::new();
        let (program, diagnostics) =
            crate::loader::load(&project.join("main.pipesim"), &mut sources);
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let run = RunDir::create(&root.path().join("run")).unwrap();
        let (entry_copy, inputs) = copy_sources(&sources, &program, &run).unwrap();
        assert_eq!(entry_copy, "scenario/main.pipesim");
        let copies: Vec<_> = inputs.iter().map(|i| i.copy.as_str()).collect();
        assert_eq!(
            copies,
            [
                "scenario/main.pipesim",
                "scenario/sizes.csv",
                "scenario/data/jobs.csv"
            ]
        );
        let copied = std::fs::read(run.path().join("scenario/data/jobs.csv")).unwrap();
        assert_eq!(copied, b"timestamp\n1\n2\n");
        assert_eq!(inputs[2].sha256, sha256_hex(b"timestamp\n1\n2\n"));
    }

    /// How an overloaded pool and an overloaded link read beside the results (the console
    /// note, the report, compare's notes): in busy slots and in bytes per second.
    #[test]
    fn an_overloaded_pool_and_link_say_what_they_are_asked_for() {
        let pool = Overloaded {
            point: 0,
            resource: "gpu".into(),
            slots: Some(8),
            bandwidth: None,
            offered: Some(9.740528486491298),
            exact: false,
        };
        assert_eq!(
            pool.load_text(),
            "is offered at least 9.74 busy slots of 8 (at least 121.8%)"
        );
        let link = Overloaded {
            resource: "storage".into(),
            slots: None,
            bandwidth: Some(1.25e8),
            offered: Some(2e8),
            exact: true,
            ..pool
        };
        assert_eq!(
            link.load_text(),
            "is asked for 200 MB/s of its 125 MB/s (160%)"
        );
        let beyond = Overloaded {
            offered: None,
            ..link
        };
        assert_eq!(
            beyond.load_text(),
            "is asked for more than 1e308 B/s of its 125 MB/s"
        );
        // The manifest's form: a link has a bandwidth and no slots.
        let json = serde_json::to_value(&beyond).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"point": 0, "resource": "storage", "bandwidth": 1.25e8, "offered": null, "exact": true})
        );
        let back: Overloaded = serde_json::from_value(json).unwrap();
        assert_eq!(back, beyond);
    }
}
