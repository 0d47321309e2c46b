//! Cautions: figures that are not the steady state they seem to describe, named where a
//! user reads them.
//!
//! The warm-up check, end to end against queueing theory: an M/M/1 queue started empty
//! waits less at first than its steady state, `ρ / (μ − λ)`. With too short a `warmup`, the
//! run's confidence interval excludes the steady-state wait and `run` says so, naming a
//! `warmup` to use; with that one, the interval covers it and `run` is silent. `compare`
//! and the report carry the note too. Pipelines still running at the end are the other
//! caution, which `drain` answers.

use crate::report::check_html;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// λ = 0.9/s, μ = 1/s: Wq = 0.9 / (1 − 0.9) = 9 s. The relaxation time of the queue from
/// empty, about 1 / (μ (1 − √ρ)²) ≈ 360 s, is a quarter of the horizon, so counting from
/// t = 0 biases the mean wait by more than the 99% interval of 1000 replications.
const MM1: &str = r#"
scenario transient {
  horizon = 1500s
  seed    = 3
  drain   = true
}
resource server { kind = pool  capacity = 1 }
pipeline job {
  task work { on = server  duration = exponential(mean = 1s) }
}
arrivals poisson { rate = 3240/h  pipeline = job }
experiment { replications = 1000  confidence = 0.99 }
"#;

const STEADY_WAIT: f64 = 9.0;

/// Runs pipesim in `dir`, insists on success; returns stdout and stderr.
fn pipesim(dir: &Path, args: &[&str]) -> (Vec<u8>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "pipesim {args:?}: {stderr}");
    (output.stdout, stderr)
}

/// Runs `scenario.pipesim` with `--set set` into `out`; returns the summary's one point and
/// stderr.
fn run(dir: &Path, out: &str, set: &str) -> (Value, String) {
    let (stdout, stderr) = pipesim(
        dir,
        &[
            "run",
            "scenario.pipesim",
            "--format",
            "json",
            "--out",
            out,
            "--set",
            set,
        ],
    );
    let summary: Value = serde_json::from_slice(&stdout).unwrap();
    (summary["points"][0].clone(), stderr)
}

/// The report of run directory `run` in `dir`, written as `name`.
fn report(dir: &Path, run: &str, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    pipesim(dir, &["report", run, "-o", path.to_str().unwrap()]);
    path
}

/// The 99% interval of the point's mean wait.
fn wait_interval(point: &Value) -> (f64, f64) {
    let wait = &point["metrics"]["pipeline.wait.mean"];
    let (mean, ci) = (wait["mean"].as_f64().unwrap(), wait["ci"].as_f64().unwrap());
    (mean - ci, mean + ci)
}

#[test]
fn a_warmup_too_short_for_the_transient_is_named_and_the_one_it_suggests_is_unbiased() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join("scenario.pipesim"), MM1).unwrap();

    // Counted from the start, the waits of the empty queue pull the mean below theory.
    let (point, stderr) = run(temp.path(), "from-zero", "scenario.warmup=0s");
    let (low, high) = wait_interval(&point);
    assert!(
        high < STEADY_WAIT,
        "the transient should bias the mean wait: [{low}, {high}]"
    );
    let check = &point["warmup_check"];
    assert_eq!(check["verdict"], "biased", "{check:#}");
    // The shift is the bias: the mean wait less the shift is theory's, within the interval.
    let shift = check["shift"].as_f64().unwrap();
    let half_width = (high - low) / 2.0;
    let corrected = (low + high) / 2.0 - shift;
    assert!(
        shift < 0.0 && (corrected - STEADY_WAIT).abs() <= half_width,
        "corrected {corrected} ± {half_width}: {check:#}"
    );
    assert!(
        stderr.contains("warning: caution:") && stderr.contains("`pipesim explain cautions`"),
        "{stderr}"
    );
    let suggested = stderr
        .split("Set `warmup = ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no warmup suggested: {stderr}"))
        .to_string();

    // From the suggested warm-up on, theory is inside the interval and the check passes.
    let (point, stderr) = run(
        temp.path(),
        "suggested",
        &format!("scenario.warmup={suggested}"),
    );
    let (low, high) = wait_interval(&point);
    assert!(
        (low..=high).contains(&STEADY_WAIT),
        "warmup = {suggested}: [{low}, {high}] should cover {STEADY_WAIT}"
    );
    assert_eq!(point["warmup_check"]["verdict"], "settled");
    assert!(!stderr.contains("caution"), "{stderr}");

    // `compare` names the biased side only.
    let (_, notes) = pipesim(temp.path(), &["compare", "from-zero", "suggested"]);
    assert!(
        notes.contains("note: A: the mean wait settles only"),
        "{notes}"
    );
    assert!(!notes.contains("B: the mean wait"), "{notes}");

    // The report of the first run carries the note and the batch means' chart.
    let zero_report = report(temp.path(), "from-zero", "report.html");
    let verdict = check_html(&zero_report);
    let notes = verdict["notes"]["point-0"].to_string();
    assert!(
        notes.contains("Caution:") && notes.contains(&suggested),
        "{notes}"
    );
    let header = verdict["notes"][""].to_string();
    assert!(
        header.contains("Figures to read with care.") && header.contains("Point 0"),
        "{header}"
    );
    // The settled run's report says its warm-up is long enough.
    let settled = report(temp.path(), "suggested", "settled.html");
    let html = std::fs::read_to_string(&settled).unwrap();
    let panel = html
        .split("id=\"point-0-warmup\"")
        .nth(1)
        .unwrap_or_default();
    let caption = panel.split("</figcaption>").next().unwrap_or_default();
    assert!(
        caption.contains("it covers the start of the run")
            || caption.contains("`warmup` is long enough"),
        "{caption}"
    );
    let chart = verdict["svgs"]["point-0-warmup"].to_string();
    assert!(
        chart.contains("arrival time (minutes)") && chart.contains("mean wait (seconds)"),
        "{chart}"
    );
}

/// Pipelines of two hours on average over two days: without `drain`, about the last two
/// hours' arrivals (4%) are still running at the end, and they are the long ones.
const LONG_JOBS: &str = r#"
scenario long_jobs {
  horizon = 2d
  seed    = 5
}
resource server { kind = pool  capacity = 8 }
pipeline job {
  task work { on = server  duration = exponential(mean = 2h) }
}
arrivals poisson { rate = 1/h  pipeline = job }
experiment { replications = 50 }
"#;

#[test]
fn pipelines_left_unfinished_are_a_caution_that_drain_answers() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join("scenario.pipesim"), LONG_JOBS).unwrap();
    let (cut, stderr) = run(temp.path(), "cut", "scenario.drain=false");
    let unfinished = cut["metrics"]["pipeline.unfinished"]["mean"]
        .as_f64()
        .unwrap();
    assert!(unfinished > 0.0);
    assert!(
        stderr.contains("of the counted pipelines were still running at the end")
            && stderr.contains("Set `drain = true`"),
        "{stderr}"
    );

    let (drained, stderr) = run(temp.path(), "drained", "scenario.drain=true");
    assert!(!stderr.contains("caution"), "{stderr}");
    let drained = &drained["metrics"];
    assert_eq!(drained["pipeline.unfinished"]["mean"], 0.0);
    // What the caution says: the figures without the unfinished ones lean low (the same
    // workload, by common random numbers, only cut at the horizon).
    let makespan = |metrics: &Value| metrics["pipeline.makespan.mean"]["mean"].as_f64().unwrap();
    assert!(makespan(&cut["metrics"]) < makespan(drained));
}

/// M/M/1 at ρ = 0.8 with a `warmup` of 500 s, five times the queue's relaxation time from
/// empty (1 / (μ (1 − √ρ)²) ≈ 89 s): nothing left to find.
const COVERED: &str = r#"
scenario covered {
  horizon = 20000s
  warmup  = 500s
}
resource server { kind = pool  capacity = 1 }
pipeline job {
  task work { on = server  duration = exponential(mean = 1s) }
}
arrivals poisson { rate = 2880/h  pipeline = job }
experiment { replications = 20 }
"#;

#[test]
fn a_warmup_that_covers_the_transient_draws_no_caution_over_thirty_seeds() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::write(temp.path().join("scenario.pipesim"), COVERED).unwrap();
    let seeds: Vec<String> = (1..=30).map(|s| s.to_string()).collect();
    let sweep = format!("scenario.seed=[{}]", seeds.join(", "));
    let (stdout, stderr) = pipesim(
        temp.path(),
        &[
            "run",
            "scenario.pipesim",
            "--format",
            "json",
            "--trace",
            "none",
            "--set",
            &sweep,
        ],
    );
    assert!(!stderr.contains("caution"), "{stderr}");
    let summary: Value = serde_json::from_slice(&stdout).unwrap();
    let points = summary["points"].as_array().unwrap();
    assert_eq!(points.len(), 30);
    for point in points {
        assert_eq!(point["warmup_check"]["verdict"], "settled", "{point:#}");
    }
}
