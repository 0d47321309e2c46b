//! The command line: clap structures for the raw arguments, and dispatch to [`crate::commands`].
//!
//! Exit codes (contract): 0 success, 1 the scenario has errors, 2 usage or I/O errors; and
//! 130 when a run was interrupted and saved incomplete (`pipesim resume` finishes it).
//! stdout carries only the requested output; progress and logs go to stderr.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "pipesim",
    version,
    about = "Simulate AI-ops pipelines from declarative .pipesim scenarios",
    long_about = "pipesim checks and runs .pipesim scenarios: resources, pipeline templates, \
                  datasets, arrival processes, policies and experiments, simulated in a \
                  reproducible discrete-event engine."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse, resolve and type-check scenarios; print every diagnostic
    Check(CheckArgs),
    /// Explain a diagnostic code (E0304, W0601) with an example, or a topic of run's output
    /// (cautions, metrics); without one, list them all
    Explain(ExplainArgs),
    /// Run every sweep point and replication of a scenario and save a run directory
    Run(RunArgs),
    /// Write a self-contained HTML dashboard of a saved run
    Report(ReportArgs),
    /// Send a saved run to InfluxDB
    Export(ExportArgs),
    /// Compare two runs metric by metric, with confidence intervals and Welch's t-test
    Compare(CompareArgs),
    /// Finish an interrupted run, or add replications to a run, in place
    Resume(ResumeArgs),
    /// Join the run directories of shards into one run, identical to an unsharded run
    Merge(MergeArgs),
    /// Fit distributions to a recorded trace and write a .pipesim module
    Fit(FitArgs),
    /// Print the pipelines' step DAGs in Graphviz DOT
    Graph(GraphArgs),
    /// Format scenarios in the canonical layout
    Fmt(FmtArgs),
    /// Run the language server on stdio (for editors)
    Lsp,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// Human-readable reports (graphical on a terminal, plain when piped)
    Human,
    /// One JSON array of diagnostics on stdout
    Json,
    /// GitHub Actions workflow commands on stdout (`::error file=...,line=...::message`),
    /// which GitHub shows as annotations on the lines of a pull request
    Github,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Scenario files to check; a folder checks every `.pipesim` file under it
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Check with an attribute overridden or swept, as `run --set` would run it:
    /// PATH=VALUE or PATH=[a, b] (repeatable)
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
    /// Also print the load each pool and link is offered (mean busy slots, bytes per second),
    /// worked out without running the scenario: a table, or with `--format json` rows beside
    /// the diagnostics
    #[arg(long)]
    pub load: bool,
    /// Apply the quick fixes of the diagnostics (as an editor offers them), each only where
    /// checking again shows it mends its diagnostic; the files are rewritten, and the
    /// modules they import where a fix reaches them
    #[arg(long)]
    pub fix: bool,
    /// Like `--fix`, but write nothing: print what it would change as a unified diff on
    /// stdout (exit 1 when it would change a file)
    #[arg(long)]
    pub diff: bool,
}

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The code, as `check` prints it (E0304, W0601), or a topic (cautions, metrics)
    pub code: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    /// A summary table per experiment
    Table,
    /// summary.json, alone on stdout
    Json,
    /// summary.csv, alone on stdout
    Csv,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceMode {
    /// Keep full traces of the first replication of each sweep point
    First,
    /// Keep full traces of every replication
    All,
    /// Keep no traces
    None,
}

/// Where to send trace points (shared by `run` and `export`).
#[derive(Args, Debug, Clone, Default)]
pub struct InfluxArgs {
    /// InfluxDB base URL, e.g. http://127.0.0.1:8086
    #[arg(long, value_name = "URL")]
    pub influx: Option<String>,
    /// Organisation (v2 API; the token comes from INFLUX_TOKEN)
    #[arg(long, value_name = "ORG", requires = "influx")]
    pub influx_org: Option<String>,
    /// Bucket (v2 API)
    #[arg(long, value_name = "BUCKET", requires = "influx")]
    pub influx_bucket: Option<String>,
    /// Database (v1 API; optional INFLUX_USERNAME and INFLUX_PASSWORD)
    #[arg(long, value_name = "DB", requires = "influx", conflicts_with_all = ["influx_org", "influx_bucket"])]
    pub influx_db: Option<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The scenario to run
    pub file: PathBuf,
    /// Override an attribute: PATH=VALUE, e.g. gpu.capacity=16, or sweep it:
    /// gpu.capacity=[8, 16] (repeatable; replaces the experiment's sweep of PATH)
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Replications per sweep point (overrides the experiment block)
    #[arg(long, value_name = "N")]
    pub replications: Option<u32>,
    /// Base seed (overrides scenario.seed)
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Run directory to write (default runs/<scenario>-<UTC timestamp>)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output format on stdout
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
    /// Worker threads (default: all cores)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Which replications keep full traces
    #[arg(long, value_enum, default_value_t = TraceMode::First)]
    pub trace: TraceMode,
    #[command(flatten)]
    pub influx: InfluxArgs,
    /// Run only the K-th of N slices of the (point, replication) work list, K in 1..=N
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Double the replications until METRIC's confidence interval is within PERCENT of its
    /// mean (pipeline.wait.mean=5%), or its half-width within a bound (pipeline.wait.mean=±30s),
    /// at every sweep point (repeatable: all must hold)
    #[arg(long, value_name = "METRIC=TARGET", conflicts_with = "shard")]
    pub precision: Vec<String>,
    /// The most replications per point `--precision` may run
    #[arg(long, value_name = "N", default_value_t = 1000, requires = "precision")]
    pub max_replications: u32,
    /// The most pipelines a replication may hold at once: an overloaded scenario's queue
    /// grows until it is reached, and the run then stops and saves what finished rather than
    /// take all memory (about 650 bytes a pipeline of four steps)
    #[arg(long, value_name = "N", default_value_t = crate::experiment::DEFAULT_MAX_LIVE)]
    pub max_live: u32,
}

#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// The run directory of an interrupted `pipesim run` (or `resume`), or of any run to
    /// give more replications
    pub run_dir: PathBuf,
    /// Replications per point to reach: runs only those the run lacks (the first ones are
    /// the same whatever the count), so the result is the run made with N from the start
    #[arg(long, value_name = "N")]
    pub replications: Option<u32>,
    /// Output format on stdout
    #[arg(long, value_enum, default_value_t = RunFormat::Table)]
    pub format: RunFormat,
    /// Worker threads (default: all cores)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// The most pipelines a replication may hold at once (default: the run's own limit)
    #[arg(long, value_name = "N")]
    pub max_live: Option<u32>,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// A run directory written by `pipesim run`
    pub run_dir: PathBuf,
    /// The HTML file to write (default RUN_DIR/report.html)
    #[arg(short = 'o', long = "output", value_name = "FILE.html")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// A run directory written by `pipesim run`
    pub run_dir: PathBuf,
    #[command(flatten)]
    pub influx: InfluxArgs,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// The baseline run directory
    pub run_a: PathBuf,
    /// The run directory compared against it (default: RUN_A itself, to compare two of its
    /// sweep points chosen with --a and --b)
    pub run_b: Option<PathBuf>,
    /// Compare only A's sweep points where PATH has VALUE (repeatable), e.g. --a gpu.capacity=4
    #[arg(long = "a", value_name = "PATH=VALUE")]
    pub select_a: Vec<String>,
    /// Compare only B's sweep points where PATH has VALUE (repeatable), e.g. --b gpu.capacity=8
    #[arg(long = "b", value_name = "PATH=VALUE")]
    pub select_b: Vec<String>,
    /// Use the paired t-test where both points ran the same seed and replications (common
    /// random numbers: replication i of each drew the same workload), instead of Welch's
    #[arg(long)]
    pub paired: bool,
    /// Compare only the metrics whose name matches PATTERN (repeatable; `*` matches any
    /// text), e.g. --metric 'pipeline.wait.*' --metric resource.gpu.utilization
    #[arg(long = "metric", value_name = "PATTERN")]
    pub metrics: Vec<String>,
    /// Show only the metrics whose difference is significant (each point still ends with
    /// how many of its metrics differ and how many are the same in every replication)
    #[arg(long)]
    pub significant: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    /// A table per pair of compared sweep points
    Table,
    /// The comparison as JSON on stdout
    Json,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Run directories of the shards
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The merged run directory to write
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct FitArgs {
    /// A recorded trace (CSV with a header row)
    pub trace: PathBuf,
    /// The column of submit times
    #[arg(long, value_name = "NAME", default_value = crate::fit::DEFAULT_TIME_COLUMN)]
    pub time_column: String,
    /// Columns of durations (seconds) to fit, repeatable
    #[arg(long = "duration-column", value_name = "NAME")]
    pub duration_columns: Vec<String>,
    /// Where to write the module (default: stdout)
    #[arg(short = 'o', long = "output", value_name = "FILE.pipesim")]
    pub output: Option<PathBuf>,
    /// Fit interarrivals in calendar time and write no weekly profile (for short traces)
    #[arg(long)]
    pub no_profile: bool,
    /// The date-time a trace's numeric times count from (`2019-01-09T00:00:00Z`), for the
    /// weekly profile; default: a pipesim run's `start` (its manifest.json), else a Monday
    #[arg(long, value_name = "DATETIME")]
    pub start: Option<String>,
    /// Of a trace `pipesim run` wrote (with `point` and `replication` columns): the sweep
    /// point to fit (default: the first; points are never pooled)
    #[arg(long, value_name = "K")]
    pub point: Option<u64>,
    /// Of a trace `pipesim run` wrote: fit this replication alone (default: every traced
    /// replication of the point, pooled, with interarrivals taken within each)
    #[arg(long, value_name = "N")]
    pub replication: Option<u64>,
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    /// The scenario
    pub file: PathBuf,
    /// Only this pipeline
    #[arg(long, value_name = "NAME")]
    pub pipeline: Option<String>,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Files to format in place (`-` for standard input); a folder formats every `.pipesim`
    /// file under it
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Change nothing; exit 1 and name the files that would change
    #[arg(long)]
    pub check: bool,
}

/// How a command ended, mapped to the process exit code.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    ScenarioErrors = 1,
    UsageOrIo = 2,
    /// Ctrl-C: the finished replications were saved, the run is incomplete.
    Interrupted = 130,
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Exit {
    use crate::commands;
    let exit = match cli.command {
        Command::Check(args) => commands::check::main(&args),
        Command::Explain(args) => commands::explain::main(&args),
        Command::Run(args) => commands::run::main(&args),
        Command::Report(args) => commands::report::main(&args),
        Command::Export(args) => commands::export::main(&args),
        Command::Compare(args) => commands::compare::main(&args),
        Command::Resume(args) => commands::resume::main(&args),
        Command::Merge(args) => commands::merge::main(&args),
        Command::Fit(args) => commands::fit::main(&args),
        Command::Graph(args) => commands::graph::main(&args),
        Command::Fmt(args) => commands::fmt::main(&args),
        Command::Lsp => commands::lsp::main(),
    };
    // Output that could not be written (a full disk) is an I/O error, whatever the command
    // found; an interrupted run keeps its own code.
    if commands::stdout_failed() && !matches!(exit, Exit::Interrupted) {
        Exit::UsageOrIo
    } else {
        exit
    }
}
