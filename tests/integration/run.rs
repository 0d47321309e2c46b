//! `pipesim run`, `merge` and `compare`, through the real binary in temporary directories:
//! reproducibility (same seed, any thread count, sharded or not: the same bytes), the run
//! directory's layout, the console table and summary.json (snapshots for a fixed seed), the
//! statistics `compare` reports, and what happens on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small platform: pipelines of a CPU preprocess (reading its data set over a link) and a
/// GPU training step, arriving about every 20 minutes for two days. Training takes 30
/// minutes on average, so one GPU is overloaded (offered load 1.5) and four are not (0.375).
const SCENARIO: &str = r#"// A small platform for the tests of `pipesim run`.
scenario tiny {
  horizon = 2d
  warmup  = 2h
  seed    = 11
}

resource cpu     { kind = pool  capacity = 4 }
resource gpu     { kind = pool  capacity = 2 }
resource storage { kind = link  bandwidth = 1GB/s }

dataset asset {
  size = lognormal(median = 2GB, sigma = 0.5)
}

pipeline job {
  data = asset
  preprocess { on = cpu  reads = asset.size from storage  duration = exponential(mean = 5min) }
  train      { on = gpu  duration = exponential(mean = 30min)  accuracy = 0.9 }
}

arrivals triggers {
  interarrival = exponential(mean = 20min)
  pipeline     = job
}

experiment {
  replications = 4
  sweep gpu.capacity = [1, 4]
  metrics = ["pipeline.wait.mean", "resource.gpu.utilization"]
}
"#;

/// The same platform without a sweep, for `compare`.
fn single_point(capacity: u32, replications: u32) -> String {
    SCENARIO
        .replace("sweep gpu.capacity = [1, 4]", "")
        .replace("capacity = 2 }", &format!("capacity = {capacity} }}"))
        .replace(
            "replications = 4",
            &format!("replications = {replications}"),
        )
}

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let sandbox = Sandbox {
            dir: tempfile::tempdir().unwrap(),
        };
        sandbox.write("tiny.pipesim", SCENARIO);
        sandbox
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn write(&self, relative: &str, text: &str) {
        std::fs::write(self.path(relative), text).unwrap();
    }

    fn pipesim(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_pipesim"))
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    /// Runs pipesim and insists on success, showing stderr otherwise.
    fn ok(&self, args: &[&str]) -> Output {
        let output = self.pipesim(args);
        assert!(
            output.status.success(),
            "pipesim {args:?} failed with {:?}\nstderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn read(&self, relative: &str) -> Vec<u8> {
        std::fs::read(self.path(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    /// A JSON file of a run directory, such as `run/manifest.json`.
    fn json(&self, relative: &str) -> serde_json::Value {
        serde_json::from_slice(&self.read(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
    }

    /// Runs pipesim, insists on exit `code` and on `says` in stderr.
    fn fails(&self, args: &[&str], code: i32, says: &str) {
        assert_exited(&self.pipesim(args), code, says);
    }

    /// Starts `command` here with its output captured, for a test that signals it.
    fn spawn(&self, mut command: Command) -> std::process::Child {
        command
            .current_dir(self.dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}

const TRACE_FILES: [&str; 6] = [
    "pipelines.csv",
    "steps.csv",
    "resources.csv",
    "links.csv",
    "models.csv",
    "arrivals.csv",
];

/// Asserts that two run directories hold the same summary, raw values and traces.
fn assert_same_results(sandbox: &Sandbox, a: &str, b: &str) {
    for file in ["summary.json", "summary.csv", "replications.jsonl"] {
        assert!(
            sandbox.read(&format!("{a}/{file}")) == sandbox.read(&format!("{b}/{file}")),
            "{file} differs between {a} and {b}"
        );
    }
    for file in TRACE_FILES {
        let path = format!("traces/{file}");
        assert!(
            sandbox.read(&format!("{a}/{path}")) == sandbox.read(&format!("{b}/{path}")),
            "{path} differs between {a} and {b}"
        );
    }
}

fn line_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--out",
        "a",
        "--trace",
        "all",
        "--jobs",
        "2",
    ]);
    sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--out",
        "b",
        "--trace",
        "all",
        "--jobs",
        "2",
    ]);
    assert_same_results(&sandbox, "a", "b");
    // The traces are not trivially equal: every replication wrote rows.
    let pipelines = sandbox.read("a/traces/pipelines.csv");
    assert!(
        line_count(&pipelines) > 2 * 4 * 50,
        "a two-day run has well over 50 pipelines per replication"
    );

    // Another seed samples another workload.
    sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--out",
        "c",
        "--seed",
        "12",
        "--trace",
        "none",
    ]);
    assert_ne!(
        sandbox.read("a/summary.json"),
        sandbox.read("c/summary.json")
    );
}

#[test]
fn the_number_of_threads_does_not_change_the_results() {
    let sandbox = Sandbox::new();
    sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--out",
        "one",
        "--trace",
        "all",
        "--jobs",
        "1",
    ]);
    sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--out",
        "two",
        "--trace",
        "all",
        "--jobs",
        "2",
    ]);
    assert_same_results(&sandbox, "one", "two");
}

#[test]
fn merged_shards_equal_the_unsharded_run() {
    let sandbox = Sandbox::new();
    // 2 points × 4 replications = 8 items over 3 shards: slices of 2, 3 and 3 items, so a
    // point's replications are split between shards.
    sandbox.ok(&["run", "tiny.pipesim", "--out", "whole", "--trace", "all"]);
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = format!("shard-{k}");
        let output = sandbox.ok(&[
            "run",
            "tiny.pipesim",
            "--shard",
            &shard,
            "--out",
            &out,
            "--trace",
            "all",
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&format!("shard {shard}")), "{stderr}");
        // The table says it is a slice, not an interrupted run.
        let table = String::from_utf8_lossy(&output.stdout);
        let held = if k == 1 { 2 } else { 3 };
        assert!(
            table.starts_with(&format!(
                "tiny: 2 points × 4 replications (shard {shard}: {held} of 8), mean"
            )),
            "{table}"
        );
    }
    // Given in any order.
    let output = sandbox.ok(&["merge", "shard-3", "shard-1", "shard-2", "--out", "merged"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("merged 3 shards into merged"), "{stderr}");
    assert_same_results(&sandbox, "whole", "merged");

    // The merged run keeps the scenario and says where it came from.
    assert_eq!(
        sandbox.read("merged/scenario/tiny.pipesim"),
        SCENARIO.as_bytes()
    );
    let manifest: serde_json::Value = sandbox.json("merged/manifest.json");
    assert_eq!(manifest["shard"], serde_json::Value::Null);
    assert_eq!(manifest["merged_from"].as_array().unwrap().len(), 3);
}

/// A sweep through overload names the overloaded points beside the results, in every output
/// a reader of the numbers sees: after the table, on stderr beside `--format json` (whose
/// stdout stays summary.json alone), and in the manifest, which a merge and a resume keep.
#[test]
fn overloaded_sweep_points_are_named_beside_the_results() {
    let sandbox = Sandbox::new();
    // One GPU is offered 1.5 busy slots (30 min of training every 20 min); four are not.
    let output = sandbox.ok(&["run", "tiny.pipesim", "--out", "json", "--format", "json"]);
    assert_eq!(output.stdout, sandbox.read("json/summary.json"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("warning: overloaded sweep points")
            && stderr.contains("gpu.capacity=1: `gpu` is offered 1.5 busy slots of 1 (150%)")
            && !stderr.contains("gpu.capacity=4"),
        "{stderr}"
    );
    let expected = serde_json::json!([
        {"point": 0, "resource": "gpu", "slots": 1, "offered": 1.5, "exact": true}
    ]);
    assert_eq!(sandbox.json("json/manifest.json")["overloaded"], expected);

    // Sharded and merged: the merged manifest keeps what every shard worked out. Each shard
    // names only the overloaded points of its own table (the first shard holds point 0).
    for k in 1..=2 {
        let shard = format!("{k}/2");
        let out = format!("shard-{k}");
        let output = sandbox.ok(&["run", "tiny.pipesim", "--shard", &shard, "--out", &out]);
        let table = String::from_utf8_lossy(&output.stdout);
        assert_eq!(table.contains("gpu.capacity=1: `gpu`"), k == 1, "{table}");
    }
    sandbox.ok(&["merge", "shard-1", "shard-2", "--out", "merged"]);
    assert_eq!(sandbox.json("merged/manifest.json")["overloaded"], expected);

    // Two GPUs at least at every point: nothing to say, and no key in the manifest.
    sandbox.write(
        "enough.pipesim",
        &SCENARIO.replace("sweep gpu.capacity = [1, 4]", "sweep gpu.capacity = [2, 4]"),
    );
    let output = sandbox.ok(&[
        "run",
        "enough.pipesim",
        "--out",
        "enough",
        "--trace",
        "none",
    ]);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(!table.contains("overloaded"), "{table}");
    let manifest = sandbox.json("enough/manifest.json");
    assert!(manifest.get("overloaded").is_none(), "{manifest:#}");

    // Without a sweep the scenario itself is named, after check's W0603 before the run.
    sandbox.write("one.pipesim", &single_point(1, 2));
    let output = sandbox.ok(&["run", "one.pipesim", "--out", "one", "--trace", "none"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("W0603"), "{stderr}");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table
            .contains("overloaded: a pool or link is asked for more than it can do (W0603, W0604)")
            && table.contains("\n  `gpu` is offered 1.5 busy slots of 1 (150%)\n"),
        "{table}"
    );
}

#[test]
fn merge_refuses_incomplete_or_mismatched_shards() {
    let sandbox = Sandbox::new();
    for (shard, out, seed) in [
        ("1/3", "s1", "11"),
        ("2/3", "s2", "11"),
        ("3/3", "s3", "11"),
        ("3/3", "other-seed", "99"),
    ] {
        sandbox.ok(&[
            "run",
            "tiny.pipesim",
            "--shard",
            shard,
            "--out",
            out,
            "--seed",
            seed,
            "--trace",
            "none",
        ]);
    }
    sandbox.fails(
        &["merge", "s1", "s2", "--out", "m1"],
        2,
        "shard 3/3 is missing",
    );

    sandbox.fails(
        &["merge", "s1", "s2", "s2", "--out", "m2"],
        2,
        "shard 2/3 is given twice",
    );

    sandbox.fails(
        &["merge", "s1", "s2", "other-seed", "--out", "m3"],
        2,
        "the seed is 11 in the first and 99 in the second",
    );

    let whole = sandbox.pipesim(&["run", "tiny.pipesim", "--out", "whole", "--trace", "none"]);
    assert!(whole.status.success());
    sandbox.fails(
        &["merge", "whole", "s1", "--out", "m4"],
        2,
        "`whole` is not a shard",
    );

    for out in ["m1", "m2", "m3", "m4"] {
        assert!(!sandbox.path(out).exists(), "a failed merge wrote `{out}`");
    }
}

/// The values of `metric` at point 0 of a compare JSON.
fn compared<'a>(json: &'a serde_json::Value, metric: &str) -> &'a serde_json::Value {
    &json["points"][0]["metrics"][metric]
}

#[test]
fn compare_tells_a_real_difference_from_noise() {
    let sandbox = Sandbox::new();
    sandbox.write("one-gpu.pipesim", &single_point(1, 8));
    sandbox.write("four-gpus.pipesim", &single_point(4, 8));
    let run = |file: &str, out: &str, seed: &str| {
        sandbox.ok(&["run", file, "--out", out, "--seed", seed, "--trace", "none"]);
    };
    run("one-gpu.pipesim", "one-gpu", "1");
    run("four-gpus.pipesim", "four-gpus", "1");
    run("four-gpus.pipesim", "four-gpus-seed-2", "2");

    // Offered load 1.5 on one GPU against 0.375 on four: waits differ by far more than noise.
    let output = sandbox.ok(&["compare", "one-gpu", "four-gpus", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // Runs with one seed could be paired: compare says so.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`--paired` removes the variance"),
        "{stderr}"
    );
    // `--metric` keeps the metrics asked for, and a pattern that matches none is an error.
    let output = sandbox.ok(&[
        "compare",
        "one-gpu",
        "four-gpus",
        "--metric",
        "pipeline.wait.*",
        "--metric",
        "resource.gpu.utilization",
        "--format",
        "json",
    ]);
    let kept: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut names: Vec<String> = kept["points"][0]["metrics"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    names.sort();
    let mut expected: Vec<String> = ["mean", "p50", "p95", "p99", "max"]
        .iter()
        .map(|s| format!("pipeline.wait.{s}"))
        .collect();
    expected.push("resource.gpu.utilization".into());
    expected.sort();
    assert_eq!(names, expected);
    sandbox.fails(
        &[
            "compare",
            "one-gpu",
            "four-gpus",
            "--metric",
            "pipeline.wait.maen",
        ],
        2,
        "did you mean `pipeline.wait.mean`?",
    );
    // A percentile not reported is offered the nearest level, not the nearest spelling.
    sandbox.fails(
        &[
            "compare",
            "one-gpu",
            "four-gpus",
            "--metric",
            "pipeline.wait.p90",
        ],
        2,
        "did you mean `pipeline.wait.p95`? The percentiles reported are `p50`, `p95` and `p99`",
    );
    // The start of several names is shown the pattern that keeps them all.
    sandbox.fails(
        &[
            "compare",
            "one-gpu",
            "four-gpus",
            "--metric",
            "pipeline.wait",
        ],
        2,
        "`--metric 'pipeline.wait.*'` keeps every metric whose name starts with it",
    );
    let wait = compared(&json, "pipeline.wait.mean");
    assert!(wait["p"].as_f64().unwrap() < 0.05, "{wait}");
    assert_eq!(wait["verdict"], "b_better", "{wait}");
    assert!(wait["difference"].as_f64().unwrap() < 0.0, "{wait}");
    assert_eq!(wait["a"]["n"], 8);
    assert_eq!(
        json["points"][0]["test"], "welch",
        "Welch's test unless asked"
    );

    // One seed: replication i of each run draws the same workload (common random numbers).
    // Paired, the arrivals, which no capacity changes, differ by exactly nothing, and the
    // training service times' difference (the completed sets differ) is known more closely.
    let paired: serde_json::Value = serde_json::from_slice(
        &sandbox
            .ok(&[
                "compare",
                "one-gpu",
                "four-gpus",
                "--paired",
                "--format",
                "json",
            ])
            .stdout,
    )
    .unwrap();
    assert_eq!(paired["points"][0]["test"], "paired");
    let arrived = compared(&paired, "pipeline.arrived");
    assert_eq!(
        (arrived["difference"].as_f64(), arrived["ci"].as_f64()),
        (Some(0.0), Some(0.0))
    );
    // The capacity touched no arrival and no preprocessing on the CPUs, which is told apart
    // from a difference lost in the noise, with either test.
    for json in [&json, &paired] {
        for metric in ["pipeline.arrived", "step.job.preprocess.service.mean"] {
            assert_eq!(compared(json, metric)["verdict"], "identical", "{metric}");
        }
        let service = compared(json, "step.job.train.service.mean");
        assert_eq!(service["verdict"], "no_significant_difference");
    }
    // `--significant` keeps the metrics that differ, and only those.
    let significant: serde_json::Value = serde_json::from_slice(
        &sandbox
            .ok(&[
                "compare",
                "one-gpu",
                "four-gpus",
                "--significant",
                "--format",
                "json",
            ])
            .stdout,
    )
    .unwrap();
    let all = json["points"][0]["metrics"].as_object().unwrap();
    let kept = significant["points"][0]["metrics"].as_object().unwrap();
    let differing = |m: &serde_json::Value| {
        ["a_better", "b_better", "b_higher", "b_lower"].contains(&m["verdict"].as_str().unwrap())
    };
    assert!(kept.contains_key("pipeline.wait.mean"), "{kept:?}");
    assert_eq!(
        kept.keys().collect::<Vec<_>>(),
        all.iter()
            .filter(|(_, m)| differing(m))
            .map(|(name, _)| name)
            .collect::<Vec<_>>()
    );
    let service = "step.job.train.service.mean";
    let (welch_ci, paired_ci) = (
        compared(&json, service)["ci"].as_f64().unwrap(),
        compared(&paired, service)["ci"].as_f64().unwrap(),
    );
    assert!(
        paired_ci < welch_ci,
        "paired ±{paired_ci} against Welch ±{welch_ci}"
    );

    // Two seeds of one configuration: the same system, so no difference at the 95% level.
    // (With fixed seeds this is deterministic; a true null gives p < 0.05 one time in 20,
    // and these seeds were chosen before the test was first run.)
    let output = sandbox.ok(&[
        "compare",
        "four-gpus",
        "four-gpus-seed-2",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // Two seeds cannot be paired: no such advice.
    assert!(!String::from_utf8_lossy(&output.stderr).contains("--paired"));
    assert_eq!(
        json["points"][0]["test"], "welch",
        "different seeds: independent"
    );
    let wait = compared(&json, "pipeline.wait.mean");
    assert!(wait["p"].as_f64().unwrap() >= 0.05, "{wait}");
    assert_eq!(wait["verdict"], "no_significant_difference", "{wait}");

    // The table says the same in words.
    let output = sandbox.ok(&["compare", "one-gpu", "four-gpus"]);
    let table = String::from_utf8_lossy(&output.stdout);
    let wait_line = table
        .lines()
        .find(|l| l.starts_with("pipeline.wait.mean "))
        .unwrap_or_else(|| panic!("no wait row in\n{table}"));
    assert!(wait_line.ends_with("B better"), "{wait_line}");
    insta::assert_snapshot!("compare_table", table);
    // With `--significant` the table keeps the differing rows and ends with the same count.
    let output = sandbox.ok(&["compare", "one-gpu", "four-gpus", "--significant"]);
    let short = String::from_utf8_lossy(&output.stdout);
    let count = |text: &str| text.lines().last().unwrap_or_default().to_string();
    assert_eq!(count(&short), count(&table));
    assert!(
        count(&table).contains(" of 36 metrics differ significantly"),
        "{table}"
    );
    assert!(short.contains("pipeline.wait.mean "), "{short}");
    assert!(!short.contains("pipeline.arrived "), "{short}");
}

#[test]
fn an_invalid_scenario_runs_nothing() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "broken.pipesim",
        &SCENARIO.replace("on = gpu  duration", "on = gpuu  duration"),
    );
    let output = sandbox.pipesim(&["run", "broken.pipesim"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("gpuu"), "{stderr}");
    assert!(stderr.contains("1 error"), "{stderr}");
    // The same diagnostics as `check`.
    let check = sandbox.pipesim(&["check", "broken.pipesim"]);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&check.stderr), stderr);
    assert!(output.stdout.is_empty());
    assert!(
        !sandbox.path("runs").exists(),
        "no run directory for an invalid scenario"
    );
}

#[test]
fn a_missing_file_is_an_io_error() {
    let sandbox = Sandbox::new();
    sandbox.fails(
        &["run", "missing.pipesim"],
        2,
        "cannot read `missing.pipesim`",
    );
    assert!(!sandbox.path("runs").exists());
}

#[test]
fn a_module_without_a_scenario_has_nothing_to_run() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "module.pipesim",
        "resource gpu { kind = pool  capacity = 2 }\n",
    );
    sandbox.fails(&["run", "module.pipesim"], 2, "no `scenario` block");
    assert!(!sandbox.path("runs").exists());
}

#[test]
fn usage_errors_exit_2_before_running() {
    let sandbox = Sandbox::new();
    for (args, expected) in [
        (vec!["run", "tiny.pipesim", "--shard", "4/3"], "--shard K/N"),
        (vec!["run", "tiny.pipesim", "--jobs", "0"], "--jobs 0"),
        (
            vec!["run", "tiny.pipesim", "--max-live", "0"],
            "--max-live 0",
        ),
        (vec!["resume", "nowhere", "--max-live", "0"], "--max-live 0"),
        (
            vec!["run", "tiny.pipesim", "--replications", "0"],
            "--replications 0",
        ),
        (
            vec!["run", "tiny.pipesim", "--seed", "9007199254740993"],
            "`--seed` must be at most",
        ),
        // InfluxDB options that name no database are refused before anything runs.
        (
            vec!["run", "tiny.pipesim", "--influx", "http://127.0.0.1:9"],
            "--influx-db",
        ),
    ] {
        let output = sandbox.pipesim(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(!sandbox.path("runs").exists());

    std::fs::create_dir(sandbox.path("taken")).unwrap();
    sandbox.write("taken/summary.json", "{}");
    let output = sandbox.pipesim(&["run", "tiny.pipesim", "--out", "taken"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
    assert_eq!(
        sandbox.read("taken/summary.json"),
        b"{}",
        "an existing run is never overwritten"
    );
}

#[test]
fn the_run_directory_holds_everything_to_repeat_and_read_the_run() {
    let sandbox = Sandbox::new();
    let output = sandbox.ok(&["run", "tiny.pipesim", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let saved = stderr
        .lines()
        .find_map(|l| l.strip_prefix("run saved to "))
        .unwrap_or_else(|| panic!("no path on stderr:\n{stderr}"));
    assert!(saved.starts_with("runs/tiny-"), "{saved}");
    let run = Path::new(saved);

    // --format json prints summary.json alone on stdout.
    assert_eq!(
        output.stdout,
        sandbox.read(&format!("{saved}/summary.json"))
    );
    // No temporary directory is left beside it.
    let entries: Vec<_> = std::fs::read_dir(sandbox.path("runs")).unwrap().collect();
    assert_eq!(entries.len(), 1);

    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let points = summary["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(points[0]["params"]["gpu.capacity"].as_f64(), Some(1.0));
    assert_eq!(points[1]["params"]["gpu.capacity"].as_f64(), Some(4.0));
    assert_eq!(points[0]["replications"], 4);

    // Traces of replication 0 of each point (`--trace first`), with names and header rows.
    let pipelines =
        String::from_utf8(sandbox.read(&format!("{saved}/traces/pipelines.csv"))).unwrap();
    let mut lines = pipelines.lines();
    assert_eq!(
        lines.next(),
        Some("point,replication,id,template,arrival,start,end,wait,makespan,outcome")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(
        rows.iter().all(|r| r[1] == "0" && r[3] == "job"),
        "only replication 0, names not ids"
    );
    assert!(rows.iter().any(|r| r[0] == "0") && rows.iter().any(|r| r[0] == "1"));
    let steps = String::from_utf8(sandbox.read(&format!("{saved}/traces/steps.csv"))).unwrap();
    assert!(
        steps
            .lines()
            .skip(1)
            .any(|l| l.contains(",job,train,train,gpu,")),
        "{}",
        &steps[..steps.len().min(500)]
    );

    // Raw values: one line per replication.
    let records = sandbox.read(&format!("{saved}/replications.jsonl"));
    assert_eq!(line_count(&records), 8);

    // The scenario copy repeats the run.
    let again = sandbox.ok(&[
        "run",
        run.join("scenario/tiny.pipesim").to_str().unwrap(),
        "--out",
        "again",
        "--format",
        "json",
    ]);
    assert_eq!(again.stdout, output.stdout);
}

#[test]
fn console_table_and_summary_for_a_fixed_seed() {
    let sandbox = Sandbox::new();
    let output = sandbox.ok(&["run", "tiny.pipesim", "--out", "run", "--trace", "none"]);
    insta::assert_snapshot!("run_table", String::from_utf8_lossy(&output.stdout));
    insta::assert_snapshot!(
        "run_summary_json",
        String::from_utf8(sandbox.read("run/summary.json")).unwrap()
    );
    let manifest: serde_json::Value = sandbox.json("run/manifest.json");
    insta::assert_json_snapshot!("run_manifest", manifest, {
        ".command" => "[command line]",
        ".started_utc" => "[start time]",
        ".wall_seconds" => "[wall time]",
        ".jobs" => "[threads]",
    });
}

/// The Slurm script's array-task branch (what each task of the job array runs) writes shards
/// that merge into the unsharded run. Slurm itself is not here; the submission branch only
/// calls `sbatch`.
#[test]
fn the_slurm_array_tasks_shard_the_run() {
    let sandbox = Sandbox::new();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slurm/pipesim-array.sbatch");
    for task in 1..=3 {
        let output = Command::new("bash")
            .arg(&script)
            .current_dir(sandbox.dir.path())
            .env("PIPESIM", env!("CARGO_BIN_EXE_pipesim"))
            .env("SCENARIO", "tiny.pipesim")
            .env("SHARDS", "3")
            .env("RUN", "runs/tiny")
            .env("PIPESIM_ARGS", "--seed 5")
            .env("SLURM_ARRAY_TASK_ID", task.to_string())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "task {task}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    sandbox.ok(&[
        "merge",
        "runs/tiny.shards/shard-1",
        "runs/tiny.shards/shard-2",
        "runs/tiny.shards/shard-3",
        "--out",
        "merged",
    ]);
    sandbox.ok(&["run", "tiny.pipesim", "--seed", "5", "--out", "whole"]);
    // With the default `--trace first`, replication 0 of point 1 lies in the second shard.
    assert_same_results(&sandbox, "whole", "merged");
}

/// Two runs sweeping different paths share no configuration: pairing their points in order
/// gave verdicts between unrelated platforms, so `compare` refuses and shows how to choose a
/// point of each. Sweeps of different paths over the same values (a pool renamed between the
/// runs) still pair in order.
#[test]
fn compare_refuses_to_pair_unrelated_sweeps() {
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "tiny.pipesim", "--out", "gpus", "--trace", "none"]);
    sandbox.write(
        "rates.pipesim",
        &SCENARIO.replace(
            "sweep gpu.capacity = [1, 4]",
            "sweep triggers.growth = [1, 2]",
        ),
    );
    sandbox.ok(&["run", "rates.pipesim", "--out", "rates", "--trace", "none"]);
    let refused = sandbox.pipesim(&["compare", "gpus", "rates"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("the runs share no sweep point: `gpus` sweeps gpu.capacity and `rates` sweeps triggers.growth")
            && stderr.contains("`--a gpu.capacity=1 --b triggers.growth=1`"),
        "{stderr}"
    );
    // The command it proposes compares those two points.
    sandbox.ok(&[
        "compare",
        "gpus",
        "rates",
        "--a",
        "gpu.capacity=1",
        "--b",
        "triggers.growth=1",
    ]);

    sandbox.write(
        "renamed.pipesim",
        &SCENARIO
            .replace("resource gpu ", "resource accel ")
            .replace("on = gpu", "on = accel")
            .replace("sweep gpu.capacity", "sweep accel.capacity")
            .replace("resource.gpu.utilization", "resource.accel.utilization"),
    );
    sandbox.ok(&[
        "run",
        "renamed.pipesim",
        "--out",
        "renamed",
        "--trace",
        "none",
    ]);
    let paired = sandbox.ok(&["compare", "gpus", "renamed"]);
    assert!(String::from_utf8_lossy(&paired.stderr).contains(
        "the runs sweep different paths over the same values; points are paired in order"
    ));
}

#[test]
fn compare_chooses_two_points_of_one_swept_run() {
    // The sweep's points share their random streams, so the point at one GPU of the swept
    // run is the same run as the one-GPU scenario alone: comparing the two points of the
    // sweep must give exactly what comparing two single-point runs gives.
    let sandbox = Sandbox::new();
    sandbox.ok(&["run", "tiny.pipesim", "--out", "swept", "--trace", "none"]);
    sandbox.write("one-gpu.pipesim", &single_point(1, 4));
    sandbox.write("four-gpus.pipesim", &single_point(4, 4));
    for (file, out) in [("one-gpu.pipesim", "one"), ("four-gpus.pipesim", "four")] {
        sandbox.ok(&["run", file, "--out", out, "--trace", "none"]);
    }
    let json = |args: &[&str]| -> (serde_json::Value, String) {
        let output = sandbox.ok(args);
        let notes = String::from_utf8_lossy(&output.stderr).into_owned();
        (serde_json::from_slice(&output.stdout).unwrap(), notes)
    };
    let (within, within_notes) = json(&[
        "compare",
        "swept",
        "--a",
        "gpu.capacity=1",
        "--b",
        "gpu.capacity=4",
        "--format",
        "json",
    ]);
    let (across, across_notes) = json(&["compare", "one", "four", "--format", "json"]);
    // One GPU is offered 1.5 busy slots: its waits are not steady-state figures, and the
    // notes say so of that side only.
    let overloaded = "is overloaded: `gpu` is offered 1.5 busy slots of 1 (150%), so its backlog grows until the horizon";
    assert!(
        within_notes.contains(&format!("note: A's point gpu.capacity=1 {overloaded}"))
            && !within_notes.contains("B's point"),
        "{within_notes}"
    );
    assert!(
        across_notes.contains(&format!("note: A {overloaded}"))
            && !across_notes.contains("note: B"),
        "{across_notes}"
    );
    assert_eq!(within["points"].as_array().unwrap().len(), 1, "{within}");
    assert_eq!(within["points"][0]["params"]["gpu.capacity"], 1);
    assert_eq!(within["points"][0]["params_b"]["gpu.capacity"], 4);
    for metric in ["pipeline.wait.mean", "resource.gpu.utilization"] {
        let (w, a) = (compared(&within, metric), compared(&across, metric));
        for field in ["difference", "ci", "p", "verdict"] {
            assert_eq!(w[field], a[field], "{metric} {field}: {w} against {a}");
        }
    }
    assert_eq!(
        compared(&within, "pipeline.wait.mean")["verdict"],
        "b_better"
    );

    // One run needs both selections; a value the sweep never takes is named with the ones
    // it does.
    let alone = sandbox.pipesim(&["compare", "swept", "--a", "gpu.capacity=1"]);
    assert!(!alone.status.success());
    assert!(String::from_utf8_lossy(&alone.stderr).contains("both `--a` and `--b`"));
    let missing = sandbox.pipesim(&[
        "compare",
        "swept",
        "--a",
        "gpu.capacity=3",
        "--b",
        "gpu.capacity=4",
    ]);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("`gpu.capacity` is never 3 (its values: 1, 4)"),
        "{stderr}"
    );
}

/// 40 points × 3 replications, each a simulated 60 days: long enough to interrupt. With
/// `--trace first`, replication 0 of each point writes trace parts as it starts: that shows
/// how far the run is.
fn many_points() -> String {
    let values: Vec<String> = (4..44).map(|c| c.to_string()).collect();
    SCENARIO
        .replace("horizon = 2d", "horizon = 60d")
        .replace("replications = 4", "replications = 3")
        .replace(
            "sweep gpu.capacity = [1, 4]",
            &format!("sweep cpu.capacity = [{}]", values.join(", ")),
        )
}

/// Starts `command` (a run of [`many_points`] with `--jobs 1 --trace first` into `out`, or a
/// script that execs one), interrupts it once at least three replications have finished,
/// and waits for it.
fn interrupt_after_three(sandbox: &Sandbox, command: Command, out: &str) -> Output {
    interrupt_after_three_more(sandbox, command, out, 0)
}

/// [`interrupt_after_three`] for a run that starts with `parts` trace part files (a resume).
fn interrupt_after_three_more(
    sandbox: &Sandbox,
    command: Command,
    out: &str,
    parts: usize,
) -> Output {
    let child = sandbox.spawn(command);
    let parts_dir = sandbox.path(&format!("{out}.tmp-{}/traces/.parts", child.id()));
    let started = std::time::Instant::now();
    // Two more traced items have started (positions 3k and 3k + 3), so the first of them and
    // the two after it have finished.
    while std::fs::read_dir(&parts_dir).map_or(0, |d| d.count()) < parts + 2 * TRACE_FILES.len() {
        assert!(started.elapsed().as_secs() < 60, "the run made no progress");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    interrupt(child.id());
    child.wait_with_output().unwrap()
}

/// Insists that a finished pipesim exited with `code` and said `says` on stderr; returns
/// stderr.
fn assert_exited(output: &Output, code: i32, says: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(says), "{stderr}");
    stderr
}

/// Sends SIGINT to `pid` once per entry, as Ctrl-C in a terminal does; whether every signal
/// was delivered. (Bash's builtin `kill`: a minimal machine may lack procps' `/bin/kill`.)
fn send_sigint(pids: &[u32]) -> bool {
    Command::new("bash")
        .args(["-c", r#"kill -INT "$@""#, "kill"])
        .args(pids.iter().map(u32::to_string))
        .status()
        .is_ok_and(|status| status.success())
}

/// Sends SIGINT to `pid`, as Ctrl-C in a terminal does.
fn interrupt(pid: u32) {
    assert!(send_sigint(&[pid]), "kill -INT {pid} failed");
}

/// A `--precision` run interrupted while it doubles is resumed to the end: `resume`
/// completes the doubling and goes on doubling until the target holds, as the run made in
/// one go did, with the same results byte for byte.
#[test]
fn resume_goes_on_doubling_a_precision_run_interrupted_while_it_doubled() {
    let sandbox = Sandbox::new();
    // Forty points of ten days: every replication of every point traced, so the part files
    // show how far the run has come.
    sandbox.write(
        "long.pipesim",
        &many_points().replace("horizon = 60d", "horizon = 10d"),
    );
    let args = [
        "run",
        "long.pipesim",
        "--replications",
        "1",
        "--precision",
        "resource.gpu.utilization=5%",
        "--jobs",
        "1",
        "--trace",
        "all",
    ];
    sandbox.ok(&[&args[..], &["--out", "whole"]].concat());
    let whole: serde_json::Value = sandbox.json("whole/manifest.json");
    let reached = whole["replications"].as_u64().unwrap();
    assert!(
        reached >= 4,
        "the test wants two doublings or more: {reached}"
    );

    // Interrupted once the first doubling (replication 1 of each point) is under way.
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipesim"));
    command.args([&args[..], &["--out", "cut"]].concat());
    let output = interrupt_after_three_more(&sandbox, command, "cut", 40 * TRACE_FILES.len());
    assert_exited(&output, 130, "pipesim resume cut");
    let cut: serde_json::Value = sandbox.json("cut/manifest.json");
    assert!(!cut["missing"].as_array().unwrap().is_empty(), "{cut}");
    assert!(cut["replications"].as_u64().unwrap() < reached, "{cut}");
    assert_eq!(
        cut["precision"]["targets"][0],
        "resource.gpu.utilization=5%"
    );

    let output = sandbox.ok(&["resume", "cut"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "within 5% of the mean at every point after {reached} replications"
        )),
        "{stderr}"
    );
    assert_same_results(&sandbox, "whole", "cut");
}

#[test]
fn ctrl_c_saves_the_finished_replications_and_resume_completes_the_run_identically() {
    let sandbox = Sandbox::new();
    let scenario = many_points();
    sandbox.write("long.pipesim", &scenario);
    let args = ["run", "long.pipesim", "--jobs", "1", "--trace", "first"];
    sandbox.ok(&[&args[..], &["--out", "whole"]].concat());

    let mut command = Command::new(env!("CARGO_BIN_EXE_pipesim"));
    command.args([&args[..], &["--out", "cut"]].concat());
    let output = interrupt_after_three(&sandbox, command, "cut");
    let stderr = assert_exited(&output, 130, "finish the run with `pipesim resume cut`");

    // The interrupted run: the finished replications, and the list of those that are not.
    let manifest: serde_json::Value = sandbox.json("cut/manifest.json");
    let missing = manifest["missing"].as_array().unwrap();
    let records = String::from_utf8(sandbox.read("cut/replications.jsonl")).unwrap();
    let finished = records.lines().count();
    assert!(finished >= 3, "{finished} replications finished");
    assert!(!missing.is_empty(), "the run finished before the interrupt");
    assert_eq!(finished + missing.len(), 120);
    let whole_records = String::from_utf8(sandbox.read("whole/replications.jsonl")).unwrap();
    for line in records.lines() {
        assert!(
            whole_records.contains(line),
            "a saved replication differs: {line}"
        );
    }
    assert!(!sandbox.path("cut/traces/steps.csv").exists());
    assert!(stderr.contains(&format!(
        "interrupted: {finished} of 120 replications saved"
    )));
    // The table says the run is incomplete, and shows the points that ran.
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.starts_with(&format!(
            "tiny: 40 points × 3 replications (interrupted: {finished} of 120 ran)"
        )),
        "{table}"
    );

    // The other commands know it is incomplete: `report` shows what ran, `export` (which
    // sends traces, not written yet) and `merge` refuse.
    let report = sandbox.ok(&["report", "cut", "-o", "cut.html"]);
    let stderr = String::from_utf8_lossy(&report.stderr);
    assert!(
        stderr.contains("warning: `cut` was interrupted"),
        "{stderr}"
    );
    sandbox.fails(
        &[
            "export",
            "cut",
            "--influx",
            "http://127.0.0.1:9",
            "--influx-db",
            "x",
        ],
        2,
        "finish it with `pipesim resume cut`",
    );
    sandbox.fails(
        &["merge", "cut", "--out", "merged"],
        2,
        "`cut` was interrupted",
    );

    // Running again into the same directory points to resume.
    sandbox.fails(
        &[&args[..], &["--out", "cut"]].concat(),
        2,
        "`cut` was interrupted: ",
    );

    // A resume refuses a scenario copy that changed since.
    copy_dir(&sandbox.path("cut"), &sandbox.path("edited"));
    let copy = sandbox.path("edited/scenario/long.pipesim");
    std::fs::write(&copy, scenario.replace("seed    = 11", "seed    = 12")).unwrap();
    sandbox.fails(
        &["resume", "edited"],
        2,
        "was changed after the run started",
    );

    // A resume can be interrupted too.
    let parts = std::fs::read_dir(sandbox.path("cut/traces/.parts"))
        .unwrap()
        .count();
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipesim"));
    command.args(["resume", "cut", "--jobs", "1"]);
    let output = interrupt_after_three_more(&sandbox, command, "cut", parts);
    let ran = format!("{} replications to run", missing.len());
    assert_exited(&output, 130, &ran);
    let manifest: serde_json::Value = sandbox.json("cut/manifest.json");
    let still_missing = manifest["missing"].as_array().unwrap().len();
    assert!(
        still_missing + 3 <= missing.len(),
        "{still_missing} of {}",
        missing.len()
    );
    assert_eq!(manifest["resumed"], 1);

    // Resumed again, it is the run that was never interrupted, byte for byte.
    let resumed = sandbox.ok(&["resume", "cut", "--jobs", "1"]);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(
        stderr.contains(&format!("{still_missing} replications to run")),
        "{stderr}"
    );
    assert_same_results(&sandbox, "whole", "cut");
    let manifest: serde_json::Value = sandbox.json("cut/manifest.json");
    assert_eq!(manifest["missing"], serde_json::Value::Null);
    assert_eq!(manifest["resumed"], 2);
    assert!(!sandbox.path("cut/traces/.parts").exists());
    let leftovers: Vec<_> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("cut.") && name != "cut.html")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    sandbox.fails(&["resume", "cut"], 2, "is a complete run");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Starts `pipesim run` of one replication of the small platform over `horizon`, into
/// `cut`, with `--trace trace`.
fn start_one_long_replication(
    sandbox: &Sandbox,
    horizon: &str,
    trace: &str,
) -> std::process::Child {
    let scenario = single_point(2, 1).replace("horizon = 2d", &format!("horizon = {horizon}"));
    sandbox.write("long.pipesim", &scenario);
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipesim"));
    command.args(["run", "long.pipesim", "--trace", trace, "--out", "cut"]);
    sandbox.spawn(command)
}

#[test]
fn ctrl_c_abandons_a_long_replication_in_progress() {
    let sandbox = Sandbox::new();
    // One replication of 1,400 simulated years: about ten seconds of work, stopped within
    // milliseconds.
    let child = start_one_long_replication(&sandbox, "500000d", "none");
    // The temporary directory appears once Ctrl-C is handled; the replication starts a few
    // milliseconds later.
    let temporary = sandbox.path(&format!("cut.tmp-{}", child.id()));
    while !temporary.exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    interrupt(child.id());
    let output = child.wait_with_output().unwrap();
    assert_exited(&output, 130, "interrupted: 0 of 1 replications saved");
    let manifest: serde_json::Value = sandbox.json("cut/manifest.json");
    assert_eq!(
        manifest["missing"],
        serde_json::json!([{"point": 0, "replication": 0}])
    );
    assert!(sandbox.read("cut/replications.jsonl").is_empty());
}

/// Ctrl-C stops a replication whose simulated clock hardly moves (arrivals about 1e-300 s
/// apart, so the run never reaches a later simulated time to look at the flag) as soon.
#[test]
fn ctrl_c_stops_a_replication_whose_clock_hardly_moves() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "flood.pipesim",
        "scenario flood { horizon = 1h }
resource cpu { kind = pool  capacity = 2 }
pipeline p { train { on = cpu  duration = 5min } }
arrivals a { interarrival = exponential(mean = 1e-300s)  pipeline = p }
",
    );
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipesim"));
    command.args(["run", "flood.pipesim", "--trace", "none", "--out", "cut"]);
    let mut child = sandbox.spawn(command);
    let temporary = sandbox.path(&format!("cut.tmp-{}", child.id()));
    while !temporary.exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    interrupt(child.id());
    // The queue grows by hundreds of megabytes a second: do not wait long for a run that
    // does not stop.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the run did not stop within 10 s of Ctrl-C");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let output = child.wait_with_output().unwrap();
    assert_exited(&output, 130, "interrupted: 0 of 1 replications saved");
}

/// The Slurm array task run again after its shard was interrupted (a time limit's SIGTERM)
/// resumes the shard, and the shards still merge into the run never interrupted.
#[test]
fn a_slurm_task_run_again_resumes_its_interrupted_shard() {
    let sandbox = Sandbox::new();
    sandbox.write("long.pipesim", &many_points());
    sandbox.ok(&["run", "long.pipesim", "--jobs", "1", "--out", "whole"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/slurm/pipesim-array.sbatch");
    let task = |k: u32| {
        let mut command = Command::new("bash");
        command
            .arg(&script)
            .current_dir(sandbox.dir.path())
            .env("PIPESIM", env!("CARGO_BIN_EXE_pipesim"))
            .env("SCENARIO", "long.pipesim")
            .env("SHARDS", "2")
            .env("RUN", "runs/long")
            .env("CPUS", "1")
            .env_remove("SLURM_CPUS_PER_TASK")
            .env("SLURM_ARRAY_TASK_ID", k.to_string());
        command
    };
    // The script execs pipesim, so the signal reaches it as Slurm's would.
    let cut = interrupt_after_three(&sandbox, task(1), "runs/long.shards/shard-1");
    assert_eq!(cut.status.code(), Some(130));
    let manifest = String::from_utf8(sandbox.read("runs/long.shards/shard-1/manifest.json"));
    assert!(manifest.unwrap().contains("\"missing\""));
    for (k, says) in [(1, "resuming"), (2, ""), (1, "is already complete")] {
        let output = task(k).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "task {k}: {stderr}");
        assert!(stderr.contains(says), "task {k}: {stderr}");
    }
    sandbox.ok(&[
        "merge",
        "runs/long.shards/shard-1",
        "runs/long.shards/shard-2",
        "--out",
        "merged",
    ]);
    assert_same_results(&sandbox, "whole", "merged");
}

/// The shell scripts of a Kubernetes manifest's `args: - |` blocks, dedented, in order.
fn yaml_block_scripts(yaml: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut scripts = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        if line.trim() != "- |" {
            continue;
        }
        let body: Vec<&str> = lines[at + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || indent(l) > indent(line))
            .copied()
            .collect();
        let margin = body
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| indent(l))
            .min();
        let margin = margin.unwrap_or(0);
        let dedented: Vec<&str> = body.iter().map(|l| l.get(margin..).unwrap_or("")).collect();
        scripts.push(dedented.join("\n"));
    }
    scripts
}

/// The Kubernetes Indexed Job's scripts: a shard pod evicted mid-run (SIGTERM) saves its
/// finished replications; the merge keeps waiting for it; the retried pod resumes it; then
/// the merge joins the shards into the run never interrupted.
#[test]
fn a_kubernetes_shard_pod_retried_after_eviction_resumes_its_shard() {
    let sandbox = Sandbox::new();
    sandbox.write("long.pipesim", &many_points());
    sandbox.ok(&["run", "long.pipesim", "--jobs", "1", "--out", "whole"]);
    let yaml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/kubernetes/pipesim-indexed-job.yaml"),
    )
    .unwrap();
    let root = sandbox.dir.path().display().to_string();
    let scripts: Vec<String> = yaml_block_scripts(&yaml)
        .iter()
        .map(|script| {
            script
                .replace(
                    "/scenario/scenario.pipesim",
                    &format!("{root}/long.pipesim"),
                )
                .replace("/runs/", &format!("{root}/runs/"))
                .replace("$(nproc)", "1")
                // The test asks once instead of polling every 30 seconds.
                .replace("sleep 30", "exit 3")
        })
        .collect();
    let [shard, wait, merge] = &scripts[..] else {
        panic!(
            "expected the shard, wait and merge scripts, found {}",
            scripts.len()
        );
    };
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_pipesim")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pod = |script: &str, index: u32| {
        let mut command = Command::new("sh");
        command
            .args(["-c", script])
            .current_dir(sandbox.dir.path())
            .env("PATH", &path)
            .env("SHARDS", "2")
            .env("RUN", "long")
            .env("PIPESIM_ARGS", "")
            .env("JOB_COMPLETION_INDEX", index.to_string());
        command
    };
    let evicted = interrupt_after_three(&sandbox, pod(shard, 0), "runs/long.shards/shard-1");
    assert_eq!(evicted.status.code(), Some(130));
    let waiting = pod(wait, 0).output().unwrap();
    assert_eq!(waiting.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&waiting.stdout).contains("0 of 2 shards done"));
    for index in [0, 1, 0] {
        let output = pod(shard, index).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "pod {index}: {stderr}");
    }
    let waited = pod(wait, 0).output().unwrap();
    assert!(waited.status.success());
    assert!(String::from_utf8_lossy(&waited.stdout).contains("2 of 2 shards done"));
    let merged = pod(merge, 0).output().unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_same_results(&sandbox, "whole", "runs/long");
}

/// More replications for a finished run: only the new ones run, and the run is the one made
/// with that many from the start, traces included, whichever replications keep them.
#[test]
fn resume_adds_replications_to_a_finished_run() {
    let sandbox = Sandbox::new();
    for trace in ["all", "first", "none"] {
        let (short, long) = (format!("short-{trace}"), format!("long-{trace}"));
        let run = |replications: &str, out: &str| {
            sandbox.ok(&[
                "run",
                "tiny.pipesim",
                "--replications",
                replications,
                "--trace",
                trace,
                "--out",
                out,
            ]);
        };
        run("2", &short);
        run("5", &long);
        let output = sandbox.ok(&["resume", &short, "--replications", "5"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        // 2 points × 3 more replications.
        assert!(stderr.contains("6 replications to run"), "{stderr}");
        if trace == "none" {
            for file in ["summary.json", "replications.jsonl"] {
                assert!(
                    sandbox.read(&format!("{short}/{file}"))
                        == sandbox.read(&format!("{long}/{file}")),
                    "{file} differs"
                );
            }
        } else {
            assert_same_results(&sandbox, &long, &short);
        }
        let manifest: serde_json::Value = sandbox.json(&format!("{short}/manifest.json"));
        assert_eq!(manifest["replications"], 5);
        assert_eq!(manifest["work_items"], 10);
    }

    // Nothing to do, fewer, or a shard: said, and nothing changes.
    let before = sandbox.read("long-all/replications.jsonl");
    for (args, says) in [
        (
            vec!["resume", "long-all"],
            "give `--replications N` above 5",
        ),
        (
            vec!["resume", "long-all", "--replications", "3"],
            "can add replications, not remove them",
        ),
    ] {
        sandbox.fails(&args, 2, says);
    }
    assert!(sandbox.read("long-all/replications.jsonl") == before);
    sandbox.ok(&["run", "tiny.pipesim", "--shard", "1/2", "--out", "shard"]);
    sandbox.fails(
        &["resume", "shard", "--replications", "9"],
        2,
        "merge the shards, then add replications",
    );
}

/// The relative half-width of `metric` at each point of a summary.json.
fn relative_half_widths(summary: &[u8], metric: &str) -> Vec<f64> {
    let summary: serde_json::Value = serde_json::from_slice(summary).unwrap();
    summary["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let e = &p["metrics"][metric];
            e["ci"].as_f64().unwrap() / e["mean"].as_f64().unwrap().abs()
        })
        .collect()
}

/// `--precision`: replications double until every point's interval is within the target
/// (γ/(1+γ) of the mean, Law and Kelton), not one doubling later; the run is the plain run
/// with the final count.
#[test]
fn precision_doubles_replications_until_every_interval_is_narrow_enough() {
    let sandbox = Sandbox::new();
    let metric = "resource.gpu.utilization";
    let output = sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--replications",
        "2",
        "--precision",
        &format!("{metric}=5%"),
        "--trace",
        "none",
        "--out",
        "precise",
    ]);
    let manifest: serde_json::Value = sandbox.json("precise/manifest.json");
    let reached = manifest["replications"].as_u64().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "precision: `{metric}` within 5% of the mean at every point after {reached} replications"
        )),
        "{stderr}"
    );
    assert!(reached > 2 && reached.is_power_of_two(), "{reached}");
    let bound = 0.05 / 1.05;
    let widths = relative_half_widths(&sandbox.read("precise/summary.json"), metric);
    assert!(widths.iter().all(|&w| w <= bound), "{widths:?}");
    // Half as many were not enough at some point.
    let half = (reached / 2).to_string();
    sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--replications",
        &half,
        "--trace",
        "none",
        "--out",
        "half",
    ]);
    let widths = relative_half_widths(&sandbox.read("half/summary.json"), metric);
    assert!(widths.iter().any(|&w| w > bound), "{widths:?}");
    // And it is the plain run with that many.
    let count = reached.to_string();
    sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--replications",
        &count,
        "--trace",
        "none",
        "--out",
        "plain",
    ]);
    for file in ["summary.json", "replications.jsonl"] {
        assert!(
            sandbox.read(&format!("precise/{file}")) == sandbox.read(&format!("plain/{file}")),
            "{file}"
        );
    }

    // Several targets must all hold: the count is the larger of their own counts.
    let replications_for = |targets: &[&str], out: &str| -> u64 {
        let mut args = vec![
            "run",
            "tiny.pipesim",
            "--replications",
            "2",
            "--trace",
            "none",
        ];
        for target in targets {
            args.extend(["--precision", target]);
        }
        args.extend(["--out", out]);
        sandbox.ok(&args);
        let manifest: serde_json::Value = sandbox.json(&format!("{out}/manifest.json"));
        manifest["replications"].as_u64().unwrap()
    };
    let completed = replications_for(&["pipeline.completed=10%"], "completed");
    let both = replications_for(&[&format!("{metric}=5%"), "pipeline.completed=10%"], "both");
    assert_ne!(
        completed, reached,
        "the test wants targets that need different counts"
    );
    assert_eq!(both, completed.max(reached));

    // Traces too: parts of every doubling join in work-list order.
    for out in ["precise-traced", "plain-traced"] {
        let mut args = vec!["run", "tiny.pipesim", "--trace", "all", "--out", out];
        args.extend(match out {
            "precise-traced" => [
                "--replications",
                "2",
                "--precision",
                "resource.gpu.utilization=5%",
            ]
            .to_vec(),
            _ => ["--replications", count.as_str()].to_vec(),
        });
        sandbox.ok(&args);
    }
    assert_same_results(&sandbox, "plain-traced", "precise-traced");

    // An absolute target (`±30s`): every point's half-width within it, not one doubling
    // later. The target is a third of the widest half-width two replications give.
    let half_widths = |out: &str| -> Vec<f64> {
        let summary: serde_json::Value = sandbox.json(&format!("{out}/summary.json"));
        summary["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["metrics"]["pipeline.wait.mean"]["ci"].as_f64().unwrap())
            .collect()
    };
    sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--replications",
        "2",
        "--trace",
        "none",
        "--out",
        "two",
    ]);
    let target = (half_widths("two").into_iter().fold(0.0, f64::max) / 3.0).round();
    let output = sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--replications",
        "2",
        "--precision",
        &format!("pipeline.wait.mean=±{target}s"),
        "--trace",
        "none",
        "--out",
        "absolute",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let manifest: serde_json::Value = sandbox.json("absolute/manifest.json");
    let reached = manifest["replications"].as_u64().unwrap();
    assert!(
        stderr.contains(&format!(
            "precision: `pipeline.wait.mean` within ±{target}s at every point after {reached} replications"
        )),
        "{stderr}"
    );
    assert!(reached > 2 && reached.is_power_of_two(), "{reached}");
    let widths = half_widths("absolute");
    assert!(widths.iter().all(|&w| w <= target), "{widths:?} {target}");
    sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--replications",
        &(reached / 2).to_string(),
        "--trace",
        "none",
        "--out",
        "absolute-half",
    ]);
    let widths = half_widths("absolute-half");
    assert!(widths.iter().any(|&w| w > target), "{widths:?} {target}");

    // A target out of reach stops at the cap, and says where it fell short.
    let output = sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--replications",
        "2",
        "--precision",
        "pipeline.wait.mean=0.01%",
        "--max-replications",
        "8",
        "--trace",
        "none",
        "--out",
        "capped",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("precision not reached after 8 replications"),
        "{stderr}"
    );
    assert!(stderr.contains("gpu.capacity=1 at ±"), "{stderr}");
    let output = sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--replications",
        "2",
        "--precision",
        "pipeline.wait.mean=±1ms",
        "--max-replications",
        "4",
        "--trace",
        "none",
        "--out",
        "capped-absolute",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The half-width reached, as a time ("±16.8 min").
    let reached = stderr
        .split("`pipeline.wait.mean`: gpu.capacity=1 at ±")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        [" s", " min", " h", " d"]
            .iter()
            .any(|unit| reached.ends_with(unit)),
        "{reached}: {stderr}"
    );
    let manifest: serde_json::Value = sandbox.json("capped/manifest.json");
    assert_eq!(manifest["replications"], 8);

    // A metric the scenario does not measure is an error before anything runs.
    sandbox.fails(
        &[
            "run",
            "tiny.pipesim",
            "--precision",
            "pipeline.wait.maen=5%",
            "--out",
            "typo",
        ],
        2,
        "did you mean `pipeline.wait.mean`?",
    );
    sandbox.fails(
        &[
            "run",
            "tiny.pipesim",
            "--precision",
            "pipeline.wait.p100=5%",
            "--out",
            "typo",
        ],
        2,
        "did you mean `pipeline.wait.max`?",
    );
    // A statistic as other tools name it is told pipesim's name.
    sandbox.fails(
        &[
            "run",
            "tiny.pipesim",
            "--precision",
            "pipeline.wait.median=5%",
        ],
        2,
        "did you mean `pipeline.wait.p50`? (the median is the 50th percentile, `p50`)",
    );
    assert!(!sandbox.path("typo").exists());
    // The start of several names is told so, not given the nearest (`pipeline.wait.max`).
    sandbox.fails(
        &["run", "tiny.pipesim", "--precision", "pipeline.wait=5%"],
        2,
        "it is the start of 5 metrics' names, such as `pipeline.wait.mean`",
    );
    // A name without its kind is told the whole name; a part of several, so; a word other
    // tools use, what pipesim reports instead.
    for (metric, says) in [
        (
            "gpu.utilization",
            "did you mean `resource.gpu.utilization`? (its whole name starts `resource.`)",
        ),
        (
            "wait",
            "it is part of 9 metrics' names, such as `pipeline.wait.mean`",
        ),
        // Part of two names, but a pipeline's metric without its `pipeline.`, as `check`
        // says.
        (
            "wait.p95",
            "did you mean `pipeline.wait.p95`? (a pipeline's metrics start `pipeline.`)",
        ),
        (
            "throughput",
            "`pipeline.completed` counts the pipelines that arrived after the warm-up and completed",
        ),
    ] {
        let precision = format!("{metric}=5%");
        sandbox.fails(&["run", "tiny.pipesim", "--precision", &precision], 2, says);
    }
}

/// A percentile beyond those always reported is reported when `experiment.metrics` names it,
/// or `--precision` does: beside the others of its quantity in the order of their levels,
/// and between its neighbours. `compare` of runs that did not ask for one says how to.
#[test]
fn asked_for_percentiles_are_reported_in_level_order() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "asked.pipesim",
        &single_point(1, 3).replace(
            r#"metrics = ["pipeline.wait.mean", "resource.gpu.utilization"]"#,
            r#"metrics = ["pipeline.wait.p90", "pipeline.makespan.p999", "step.job.train.wait.p50"]"#,
        ),
    );
    let output = sandbox.ok(&["run", "asked.pipesim", "--trace", "none", "--out", "asked"]);
    // The table shows the asked-for metrics first.
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("pipeline.wait.p90"), "{table}");
    let text = String::from_utf8(sandbox.read("asked/summary.json")).unwrap();
    let position = |name: &str| {
        text.find(&format!("\"{name}\""))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    let in_order = |names: &[&str]| {
        let positions: Vec<usize> = names.iter().map(|name| position(name)).collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "{names:?}: {text}"
        );
    };
    in_order(&[
        "pipeline.wait.mean",
        "pipeline.wait.p50",
        "pipeline.wait.p90",
        "pipeline.wait.p95",
        "pipeline.wait.p99",
        "pipeline.wait.max",
    ]);
    in_order(&[
        "pipeline.makespan.p99",
        "pipeline.makespan.p999",
        "pipeline.makespan.max",
    ]);
    in_order(&[
        "step.job.train.wait.mean",
        "step.job.train.wait.p50",
        "step.job.train.wait.p95",
        "step.job.train.service.mean",
    ]);
    let summary = sandbox.json("asked/summary.json");
    let mean = |name: &str| {
        summary["points"][0]["metrics"][name]["mean"]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: {summary}"))
    };
    // Each replication's percentiles are ordered, so their means are too; one GPU is
    // overloaded, so the waits are far from zero and the levels differ.
    assert!(mean("pipeline.wait.p50") < mean("pipeline.wait.p90"));
    assert!(mean("pipeline.wait.p90") < mean("pipeline.wait.p95"));
    assert!(mean("pipeline.makespan.p99") <= mean("pipeline.makespan.p999"));
    assert!(mean("pipeline.makespan.p999") <= mean("pipeline.makespan.max"));
    assert!(mean("step.job.train.wait.p50") <= mean("step.job.train.wait.p95"));

    // `--precision` on a percentile the scenario does not ask for asks for it, and shows it.
    let run_precise = |target: &str, out: &str| {
        let output = sandbox.ok(&[
            "run",
            "tiny.pipesim",
            "--set",
            "gpu.capacity=4",
            "--precision",
            target,
            "--trace",
            "none",
            "--out",
            out,
        ]);
        let table = String::from_utf8_lossy(&output.stdout).to_string();
        let metric = target.split('=').next().unwrap();
        assert!(table.contains(metric), "{table}");
        sandbox.json(&format!("{out}/summary.json"))
    };
    let precise = run_precise("pipeline.makespan.p90=50%", "precise");
    let p90 = &precise["points"][0]["metrics"]["pipeline.makespan.p90"];
    assert!(p90["mean"].as_f64().unwrap() > 0.0, "{precise}");
    // And on a template's own metric: asked for too, equal to all pipelines' with one template.
    let own = run_precise("pipeline.job.makespan.mean=50%", "own");
    let metrics = &own["points"][0]["metrics"];
    assert_eq!(
        metrics["pipeline.job.makespan.mean"]["mean"], metrics["pipeline.makespan.mean"]["mean"],
        "{own}"
    );

    // `compare` says which metrics only one run reports, and compares the rest.
    let output = sandbox.ok(&["compare", "asked", "precise", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "`pipeline.makespan.p999`, `pipeline.wait.p90` and `step.job.train.wait.p50` are only in A's results, so not compared"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("`pipeline.makespan.p90` is only in B's results"),
        "{stderr}"
    );
    let compared: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        compared.to_string().contains("pipeline.wait.p95"),
        "{compared}"
    );
    assert!(
        !compared.to_string().contains("pipeline.wait.p90"),
        "{compared}"
    );
    for (metric, says) in [
        (
            "pipeline.wait.p90",
            "`--metric pipeline.wait.p90` matches only metrics one run reports (`pipeline.wait.p90` is only in A's results)",
        ),
        (
            "step.job.train.wait.p50",
            "`step.job.train.wait.p50` is only in A's results), so there is nothing to compare them with; to compare it, ask for it in both scenarios'",
        ),
        // A level neither asked for is told how to ask for it.
        (
            "pipeline.wait.p75",
            "any other level is reported when the scenario asks for it: `experiment { metrics = [\"pipeline.wait.p75\"] }`",
        ),
        // A name without its kind is told the whole name; a part of several, how to keep
        // them.
        (
            "gpu.utilization",
            "did you mean `resource.gpu.utilization`? (its whole name starts `resource.`)",
        ),
        (
            "makespan",
            "`--metric '*makespan*'` keeps every metric whose name holds it",
        ),
        (
            "wait.p95",
            "did you mean `pipeline.wait.p95`? (a pipeline's metrics start `pipeline.`)",
        ),
    ] {
        sandbox.fails(&["compare", "asked", "precise", "--metric", metric], 2, says);
    }
}

/// A percentile `--precision` asked for is asked for again when the run is resumed, so the
/// replications it adds report it too: the result is the one-go run's, byte for byte.
#[test]
fn resume_asks_again_for_the_percentile_precision_asked_for() {
    let sandbox = Sandbox::new();
    let run = |replications: &str, out: &str| {
        sandbox.ok(&[
            "run",
            "tiny.pipesim",
            "--precision",
            "pipeline.wait.p90=±100d",
            "--replications",
            replications,
            "--max-replications",
            replications,
            "--out",
            out,
        ]);
    };
    run("2", "extended");
    sandbox.ok(&["resume", "extended", "--replications", "4"]);
    run("4", "whole");
    assert_same_results(&sandbox, "whole", "extended");
    let summary = sandbox.json("extended/summary.json");
    assert_eq!(
        summary["points"][0]["metrics"]["pipeline.wait.p90"]["n"], 4,
        "{summary}"
    );
}

/// The console table shows swept values as the scenario writes them; summary.json keeps the
/// numbers in base units (the contract).
#[test]
fn the_table_shows_swept_values_as_written() {
    let sandbox = Sandbox::new();
    let scenario = SCENARIO.replace(
        "sweep gpu.capacity = [1, 4]",
        "sweep storage.bandwidth = [500MB/s, 1.5GB/s]",
    );
    sandbox.write("swept.pipesim", &scenario);
    let output = sandbox.ok(&["run", "swept.pipesim", "--trace", "none", "--out", "run"]);
    let table = String::from_utf8_lossy(&output.stdout);
    let rows: Vec<&str> = table.lines().skip(4).collect();
    assert!(rows[0].starts_with("500MB/s "), "{table}");
    assert!(rows[1].starts_with("1.5GB/s "), "{table}");
    let summary: serde_json::Value = sandbox.json("run/summary.json");
    assert_eq!(summary["points"][0]["params"]["storage.bandwidth"], 5e8);
    assert_eq!(summary["points"][1]["params"]["storage.bandwidth"], 1.5e9);

    // compare selects points by value, in any unit, and names them as written.
    let output = sandbox.ok(&[
        "compare",
        "run",
        "--a",
        "storage.bandwidth=4000Mbps",
        "--b",
        "storage.bandwidth=1.5GB/s",
    ]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("point A storage.bandwidth=500MB/s / B storage.bandwidth=1.5GB/s"),
        "{text}"
    );
    let output = sandbox.pipesim(&[
        "compare",
        "run",
        "--a",
        "storage.bandwidth=2GB/s",
        "--b",
        "storage.bandwidth=1.5GB/s",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`storage.bandwidth` is never 2GB/s (its values: 500MB/s, 1.5GB/s)"),
        "{stderr}"
    );
    // The report's point headings too.
    sandbox.ok(&["report", "run", "-o", "report.html"]);
    let html = String::from_utf8(sandbox.read("report.html")).unwrap();
    assert!(
        html.contains("Point 1: storage.bandwidth = 1.5GB/s"),
        "headings"
    );
}

/// An error writing traces (a full disk, say) stops the run but keeps every finished
/// replication; once the cause is gone, resume completes it.
#[test]
fn a_trace_write_error_saves_the_finished_replications() {
    let sandbox = Sandbox::new();
    sandbox.write("long.pipesim", &many_points());
    let args = ["run", "long.pipesim", "--jobs", "1", "--trace", "first"];
    sandbox.ok(&[&args[..], &["--out", "whole"]].concat());
    let mut command = Command::new(env!("CARGO_BIN_EXE_pipesim"));
    command.args([&args[..], &["--out", "cut"]].concat());
    let child = sandbox.spawn(command);
    // A directory where the last point's trace part will go: creating that file fails, as
    // writing to a full disk would (permissions would not stop a test run as root).
    let parts = sandbox.path(&format!("cut.tmp-{}/traces/.parts", child.id()));
    while !parts.exists() {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let blocker = parts.join("pipelines.39.0.csv");
    std::fs::create_dir(&blocker).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = assert_exited(&output, 2, "error: cannot write traces: ");
    assert!(
        stderr.contains("the finished replications are saved in `cut`"),
        "{stderr}"
    );
    let manifest: serde_json::Value = sandbox.json("cut/manifest.json");
    let missing = manifest["missing"].as_array().unwrap();
    assert!(missing.contains(&serde_json::json!({"point": 39, "replication": 0})));
    let finished = String::from_utf8(sandbox.read("cut/replications.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(finished + missing.len(), 120);
    assert!(finished >= 100, "{finished}");

    // The cause removed, resume finishes the run as if nothing had happened.
    std::fs::remove_dir(sandbox.path("cut/traces/.parts/pipelines.39.0.csv")).unwrap();
    sandbox.ok(&["resume", "cut", "--jobs", "1"]);
    assert_same_results(&sandbox, "whole", "cut");
}

/// A second Ctrl-C quits at once and leaves no temporary directory behind.
/// A scenario whose queue grows without end (a rate in the wrong unit, too few slots) stops
/// at `--max-live` pipelines in the system instead of taking all memory, says why and how to
/// go on, and keeps what finished; `resume` with a higher limit completes the run, which is
/// then the run made with that limit from the start: the limit changes no result.
#[test]
fn a_replication_holding_too_many_pipelines_stops_the_run_and_keeps_what_finished() {
    let sandbox = Sandbox::new();
    // Two triggers a minute of a minute's training: four GPUs keep up, one falls behind and
    // holds about 1,440 pipelines at the end of the day.
    let scenario = r#"scenario full { horizon = 1d  seed = 5 }
resource gpu { kind = pool  capacity = 4 }
pipeline job { train { on = gpu  duration = exponential(mean = 1min) } }
arrivals triggers { rate = 2/min  pipeline = job }
experiment {
  replications = 2
  sweep gpu.capacity = [4, 1]
}
"#;
    sandbox.write("full.pipesim", scenario);
    let args = ["run", "full.pipesim", "--jobs", "1"];
    let output = sandbox.pipesim(&[&args[..], &["--max-live", "500", "--out", "cut"]].concat());
    let stderr = assert_exited(&output, 2, "error: replication 0 at gpu.capacity=1 held ");
    for says in [
        "stopped: 2 of 4 replications saved to cut",
        "of them in `gpu`'s queue, more than `--max-live 500` allows: `gpu` is offered 2 busy slots of 1",
        "The finished replications are saved in `cut`",
        "`pipesim resume cut --max-live 5000` (or a larger limit)",
    ] {
        assert!(stderr.contains(says), "{says}: {stderr}");
    }
    let held: u32 = stderr
        .split("held ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!((501..2000).contains(&held), "{held}: {stderr}");
    let manifest = sandbox.json("cut/manifest.json");
    assert_eq!(manifest["max_live"], 500);
    assert_eq!(
        manifest["missing"],
        serde_json::json!([{"point": 1, "replication": 0}, {"point": 1, "replication": 1}])
    );
    // The manifest says why the run stopped, for `report` and `resume`'s advice.
    let stopped = &manifest["stopped"];
    assert_eq!(stopped["by"], "max_live", "{manifest:#}");
    assert_eq!(
        (&stopped["point"], &stopped["replication"]),
        (&1.into(), &0.into())
    );
    assert_eq!(stopped["live"], held);
    // Told again by what reads the run, the advice names a limit that lets it go on.
    let output = sandbox.pipesim(&["report", "cut", "-o", "cut.html"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`cut` stopped at `--max-live 500`: 2 of its replications did not run (finish it with `pipesim resume cut --max-live 5000`, or a larger limit)"),
        "{stderr}"
    );

    // Resumed with room for the day's backlog, the run is the one made with it in one go.
    sandbox.ok(&["resume", "cut", "--jobs", "1", "--max-live", "5000"]);
    sandbox.ok(&[&args[..], &["--max-live", "5000", "--out", "whole"]].concat());
    assert_same_results(&sandbox, "whole", "cut");
    assert_eq!(sandbox.json("cut/manifest.json")["max_live"], 5000);
    assert!(sandbox.json("cut/manifest.json").get("stopped").is_none());
    // And as the default limit gives it.
    sandbox.ok(&[&args[..], &["--out", "default"]].concat());
    assert_same_results(&sandbox, "whole", "default");
}

#[test]
fn a_second_ctrl_c_quits_and_leaves_nothing_half_written() {
    use std::io::{BufRead, Read};
    let sandbox = Sandbox::new();
    // One replication of 137,000 simulated years: the engine looks at the stop flag every
    // 1/4096 of that, about a third of a second apart, so the second Ctrl-C comes before the
    // first has stopped the run.
    let mut child = start_one_long_replication(&sandbox, "50000000d", "first");
    let parts = sandbox.path(&format!("cut.tmp-{}/traces/.parts", child.id()));
    while std::fs::read_dir(&parts).map_or(0, |d| d.count()) == 0 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    interrupt(child.id());
    // The second once the first is acknowledged (a signal sent before would merge with it).
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("interrupted: saving") {
        assert!(stderr.read_line(&mut seen).unwrap() > 0, "{seen}");
    }
    interrupt(child.id());
    stderr.read_to_string(&mut seen).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(
        seen.contains("stopped; replications not yet saved are lost"),
        "{seen}"
    );
    let names: Vec<String> = std::fs::read_dir(sandbox.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with("cut")),
        "{names:?}\n{seen}"
    );
}

/// `--set PATH=[a, b]` sweeps PATH from the command line, exactly as a `sweep` line would;
/// `--set PATH=VALUE` on a swept path runs that value alone (the command line wins, and says
/// so), exactly as the scenario with that value written in.
#[test]
fn set_with_a_list_sweeps_and_set_on_a_swept_path_fixes_it() {
    let sandbox = Sandbox::new();
    let unswept = SCENARIO.replace("  sweep gpu.capacity = [1, 4]\n", "");
    assert_ne!(unswept, SCENARIO);
    sandbox.write("unswept.pipesim", &unswept);
    let quiet = ["--replications", "2", "--trace", "none"];
    // The written sweep and the command line's give the same run.
    sandbox.ok(&[&["run", "tiny.pipesim", "--out", "written"][..], &quiet].concat());
    sandbox.ok(&[
        &["run", "unswept.pipesim", "--out", "set"][..],
        &["--set", "gpu.capacity=[1, 4]"],
        &quiet,
    ]
    .concat());
    assert!(sandbox.read("written/summary.json") == sandbox.read("set/summary.json"));
    assert!(sandbox.read("written/replications.jsonl") == sandbox.read("set/replications.jsonl"));
    // A sweep on the command line replaces the experiment's sweep of the same path, and a
    // second path adds an axis.
    let output = sandbox.ok(&[
        &["run", "tiny.pipesim", "--out", "replaced"][..],
        &[
            "--set",
            "gpu.capacity=[2, 3, 4]",
            "--set",
            "gpu.policy=[fifo, sjf]",
        ],
        &quiet,
    ]
    .concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("replaces the experiment's `sweep gpu.capacity`"),
        "{stderr}"
    );
    let summary: serde_json::Value = sandbox.json("replaced/summary.json");
    let params: Vec<String> = summary["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["params"].to_string())
        .collect();
    assert_eq!(
        params,
        [
            r#"{"gpu.capacity":2,"gpu.policy":"fifo"}"#,
            r#"{"gpu.capacity":2,"gpu.policy":"sjf"}"#,
            r#"{"gpu.capacity":3,"gpu.policy":"fifo"}"#,
            r#"{"gpu.capacity":3,"gpu.policy":"sjf"}"#,
            r#"{"gpu.capacity":4,"gpu.policy":"fifo"}"#,
            r#"{"gpu.capacity":4,"gpu.policy":"sjf"}"#,
        ]
    );

    // One value for a swept path: that value alone, as if written in.
    let output = sandbox.ok(&[
        &["run", "tiny.pipesim", "--out", "fixed"][..],
        &["--set", "gpu.capacity=3"],
        &quiet,
    ]
    .concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "note: `--set gpu.capacity=...` replaces the experiment's `sweep gpu.capacity`"
        ),
        "{stderr}"
    );
    sandbox.write(
        "three.pipesim",
        &unswept.replace("capacity = 2 }", "capacity = 3 }"),
    );
    sandbox.ok(&[&["run", "three.pipesim", "--out", "three"][..], &quiet].concat());
    assert!(sandbox.read("fixed/replications.jsonl") == sandbox.read("three/replications.jsonl"));

    // A command-line sweep is checked like a written one, and blamed on the command line.
    sandbox.fails(
        &[
            &["run", "tiny.pipesim", "--out", "typo"][..],
            &["--set", "gpu.capcity=[1, 2]"],
        ]
        .concat(),
        1,
        "cannot sweep `gpu.capcity`",
    );
    sandbox.fails(
        &[
            &["run", "tiny.pipesim", "--out", "typo"][..],
            &["--set", "gpu.capacity=[1, 2s]"],
        ]
        .concat(),
        1,
        "--set gpu.capacity=[1, 2s]",
    );
    sandbox.fails(
        &[
            &["run", "tiny.pipesim", "--out", "typo"][..],
            &["--set", "gpu.capacity=[]"],
        ]
        .concat(),
        1,
        "such as `--set gpu.capacity=[a, b, c]`",
    );
    assert!(!sandbox.path("typo").exists());
}

/// `summary.csv` holds `summary.json`'s numbers exactly, one row per point and metric, and
/// parses as plain CSV.
#[test]
fn summary_csv_holds_the_summary_s_numbers() {
    let sandbox = Sandbox::new();
    let output = sandbox.ok(&[
        "run",
        "tiny.pipesim",
        "--trace",
        "none",
        "--out",
        "out",
        "--format",
        "csv",
    ]);
    let summary: serde_json::Value = sandbox.json("out/summary.json");
    let text = sandbox.read("out/summary.csv");
    // `--format csv` prints it, alone on stdout.
    assert!(output.stdout == text);
    let mut reader = csv::Reader::from_reader(text.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "point",
            "replications",
            "gpu.capacity",
            "metric",
            "mean",
            "ci",
            "n"
        ]
    );
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let point = &summary["points"][record[0].parse::<usize>().unwrap()];
        assert_eq!(record[1], point["replications"].to_string());
        assert_eq!(record[2], point["params"]["gpu.capacity"].to_string());
        let estimate = &point["metrics"][&record[3]];
        for (column, key) in [(4, "mean"), (5, "ci")] {
            match estimate[key].as_f64() {
                Some(x) => assert_eq!(record[column].parse::<f64>().unwrap(), x, "{key}"),
                None => assert_eq!(&record[column], "", "{key}"),
            }
        }
        assert_eq!(record[6], estimate["n"].to_string());
        rows += 1;
    }
    let expected: usize = summary["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metrics"].as_object().unwrap().len())
        .sum();
    assert_eq!(rows, expected);
}

/// One step per distribution, on a pool large enough that nobody waits: each step's
/// `service.mean` is the mean of its sampled durations, so the snapshot pins the bits of
/// every sampler (the normal's ziggurat and its tail, gamma below and above shape one, the
/// Poisson's two methods, the Weibull's `pow`, the exponentiated Weibull's chain) and of
/// the t quantile in the intervals. These bits must be the same on every platform: the
/// samplers and their math are pipesim's own (docs/LANGUAGE.md, "Reproducibility").
const EVERY_DISTRIBUTION: &str = r#"scenario samplers {
  horizon = 20d
  seed    = 5
}

resource pool { kind = pool  capacity = 1000 }

pipeline draws {
  preprocess                     { on = pool  duration = 10min + normal(mean = 0s, sd = 2min) }
  train                          { on = pool  duration = lognormal(median = 10min, sigma = 1.2) }
  validate                       { on = pool  duration = gamma(shape = 0.4, scale = 25min) }
  compress                       { on = pool  duration = gamma(shape = 3.5, scale = 3min) }
  task few after compress        { on = pool  duration = poisson(mean = 4) * 1min }
  task many after few            { on = pool  duration = poisson(mean = 250) * 1s }
  task weibull after many        { on = pool  duration = weibull(shape = 0.6, scale = 7min) }
  task expweib after weibull     { on = pool  duration = exponweib(a = 1.8, c = 0.7, scale = 5min) }
  task erlang after expweib      { on = pool  duration = erlang(k = 1, mean = 6min) }
}

arrivals triggers {
  interarrival = exponweib(a = 1.8, c = 0.7, scale = 110s)
  pipeline     = draws
}

experiment {
  replications = 3
}
"#;

#[test]
fn every_sampler_gives_pinned_bits() {
    let sandbox = Sandbox::new();
    sandbox.write("samplers.pipesim", EVERY_DISTRIBUTION);
    sandbox.ok(&["run", "samplers.pipesim", "--out", "run", "--trace", "none"]);
    let summary = sandbox.json("run/summary.json");
    let metrics = summary["points"][0]["metrics"]
        .as_object()
        .expect("the point's metrics");
    let lines: Vec<String> = metrics
        .iter()
        .filter(|(name, _)| {
            name.contains("service.mean") || name.starts_with("pipeline.makespan.mean")
        })
        .map(|(name, estimate)| format!("{name} {} ± {}", estimate["mean"], estimate["ci"]))
        .collect();
    insta::assert_snapshot!("every_sampler", lines.join("\n"));
}

/// A value fixed with `--set PATH=VALUE` is not a sweep's, so no column shows it: the console
/// table's title names it, and `compare` notes runs made with different ones.
#[test]
fn fixed_overrides_are_named_in_the_table_title_and_by_compare() {
    let sandbox = Sandbox::new();
    let quiet = ["--replications", "2", "--trace", "none", "--jobs", "1"];
    let output = sandbox.ok(&[
        &["run", "tiny.pipesim", "--out", "ten"][..],
        &[
            "--set",
            "cpu.capacity=10",
            "--set",
            "gpu.policy=[fifo, sjf]",
        ],
        &quiet,
    ]
    .concat());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let title = stdout.lines().next().unwrap_or_default();
    assert_eq!(
        title,
        "tiny: 4 points × 2 replications, mean ± 95% confidence half-width, with --set cpu.capacity=10",
        "{stdout}"
    );
    // Only `--seed`: no fixed value beyond the seed, which the run's seed shows.
    let output = sandbox.ok(&[
        &["run", "tiny.pipesim", "--out", "plain", "--seed", "11"][..],
        &quiet,
    ]
    .concat());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        stdout.lines().next().unwrap_or_default(),
        "tiny: 2 points × 2 replications, mean ± 95% confidence half-width",
        "{stdout}"
    );
    let output = sandbox.pipesim(&["compare", "plain", "ten", "--b", "gpu.policy=fifo"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "note: the runs were made with different fixed values: A with no `--set`, B with `--set cpu.capacity=10`"
        ),
        "{stderr}"
    );
    let output = sandbox.pipesim(&[
        "compare",
        "ten",
        "ten",
        "--a",
        "gpu.capacity=1",
        "--b",
        "gpu.capacity=4",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("different fixed values"), "{stderr}");
}

/// A run that fixes a swept path with `--set` is one configuration of a run that sweeps it:
/// `compare` finds that point by what each run ran (its sweep, its `--set`s, its scenario's
/// own values), pairs the replications both ran, and shows a difference that is exactly
/// nothing as `0`.
#[test]
fn compare_matches_a_set_run_with_the_point_of_a_sweep_it_ran() {
    let sandbox = Sandbox::new();
    let quiet = ["--trace", "none", "--jobs", "1"];
    let run = |out: &str, extra: &[&str]| {
        sandbox.ok(&[&["run", "tiny.pipesim", "--out", out][..], extra, &quiet].concat());
    };
    // The scenario sweeps `gpu.capacity = [1, 4]` and does not write `gpu.policy` (fifo).
    run("four", &["--set", "gpu.capacity=4", "--replications", "2"]);
    run(
        "swept",
        &["--set", "gpu.policy=[fifo, sjf]", "--replications", "3"],
    );
    let output = sandbox.ok(&["compare", "four", "swept", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 1, "{json}");
    assert_eq!(
        points[0]["params_b"],
        serde_json::json!({"gpu.capacity": 4, "gpu.policy": "fifo"})
    );
    assert_eq!(points[0]["test"], "welch");
    // The capacity A fixes is the one it is matched on, not a difference to note.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("different fixed values"), "{stderr}");
    let table = sandbox.ok(&["compare", "four", "swept"]).stdout;
    let table = String::from_utf8_lossy(&table);
    assert!(
        table.contains(
            "\npoint A (no sweep: gpu.capacity=4 gpu.policy=fifo) / B gpu.capacity=4 gpu.policy=fifo\n"
        ),
        "{table}"
    );
    // A run that sweeps fewer paths shows the value it ran at of the ones it does not.
    run("capacities", &["--replications", "2"]);
    let table = sandbox.ok(&["compare", "capacities", "swept"]).stdout;
    let table = String::from_utf8_lossy(&table);
    assert!(
        table.contains(
            "\npoint A gpu.capacity=1 (unswept: gpu.policy=fifo) / B gpu.capacity=1 gpu.policy=fifo\n"
        ),
        "{table}"
    );

    // Replications 0 and 1 ran in both, on one seed and one configuration: paired, they
    // are the same replication by replication, and B's third is left out of the test.
    let output = sandbox.ok(&["compare", "four", "swept", "--paired", "--format", "json"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("note: 2 replications ran in both A and B and are paired (0–1); B's other 1 is left out of the paired test, not of the means"),
        "{stderr}"
    );
    assert!(!stderr.contains("Welch's test is used"), "{stderr}");
    let paired: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(paired["points"][0]["test"], "paired");
    assert_eq!(paired["points"][0]["pairs"], 2);
    for (name, metric) in paired["points"][0]["metrics"].as_object().unwrap() {
        // No models deploy in this scenario: nothing to compare there.
        if metric["verdict"] == "not_measured" {
            continue;
        }
        assert_eq!(metric["verdict"], "identical", "{name}: {metric}");
        assert_eq!(
            (metric["difference"].as_f64(), metric["ci"].as_f64()),
            (Some(0.0), Some(0.0)),
            "{name}: {metric}"
        );
    }

    // The same in every replication: `0`, not an interval around the values' own spread.
    run(
        "four-again",
        &["--set", "gpu.capacity=4", "--replications", "2"],
    );
    let output = sandbox.ok(&["compare", "four", "four-again"]);
    let table = String::from_utf8_lossy(&output.stdout);
    let completed = table
        .lines()
        .find(|l| l.starts_with("pipeline.completed "))
        .unwrap_or_else(|| panic!("no completed row in\n{table}"));
    let columns: Vec<&str> = completed.split("  ").filter(|c| !c.is_empty()).collect();
    assert_eq!(columns[3].trim(), "0", "{completed}");
    assert!(
        completed.ends_with("the same in every replication"),
        "{completed}"
    );
    let output = sandbox.ok(&["compare", "four", "four-again", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let completed = compared(&json, "pipeline.completed");
    assert_eq!(
        (completed["difference"].as_f64(), completed["ci"].as_f64()),
        (Some(0.0), Some(0.0)),
        "{completed}"
    );

    // A capacity the sweep never ran matches no point: the error names the path and the
    // values, and how to choose a point anyway.
    run("three", &["--set", "gpu.capacity=3", "--replications", "2"]);
    let refused = sandbox.pipesim(&["compare", "three", "swept"]);
    let stderr = assert_exited(&refused, 2, "the runs share no sweep point");
    assert!(
        stderr.contains("`three` ran gpu.capacity at none of the values `swept` sweeps (1, 4)")
            && stderr.contains("`--b gpu.capacity=1 --b gpu.policy=fifo`"),
        "{stderr}"
    );
}

/// A run stopped before any replication finished has nothing to compare, and `compare`
/// says that, and how to finish it, rather than that the runs share no point.
#[test]
fn compare_says_when_a_run_finished_no_replication() {
    let sandbox = Sandbox::new();
    sandbox.write(
        "full.pipesim",
        r#"scenario full { horizon = 1d  seed = 5 }
resource gpu { kind = pool  capacity = 1 }
pipeline job { train { on = gpu  duration = exponential(mean = 1min) } }
arrivals triggers { rate = 2/min  pipeline = job }
experiment { replications = 2 }
"#,
    );
    let output = sandbox.pipesim(&[
        "run",
        "full.pipesim",
        "--jobs",
        "1",
        "--max-live",
        "5",
        "--out",
        "cut",
    ]);
    assert_exited(&output, 2, "held ");
    let output = sandbox.pipesim(&["compare", "cut", "cut"]);
    let stderr = assert_exited(
        &output,
        2,
        "no replication of `cut` finished, so there is nothing to compare",
    );
    assert!(
        stderr.contains("finish it with `pipesim resume cut --max-live 50`"),
        "{stderr}"
    );
    assert!(!stderr.contains("no sweep point in common"), "{stderr}");
}
