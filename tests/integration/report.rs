//! `pipesim report`: the HTML dashboard of a run directory written as real files in the
//! contract format. The HTML is checked by a strict parser (Python's html.parser, in
//! `check_html.py`), every panel is looked for by id with its chart's axis descriptions, the
//! step statistics are compared with the traces and snapshot, and headless Chromium renders it.

use crate::influx::{make_traces, write_run_with_points, Trace, TINY_SCENARIO};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const PANELS: &[&str] = &[
    "parameters",
    "metrics",
    "steps",
    "outcomes",
    "utilization",
    "queue",
    "arrivals",
    "links",
    "wait-over-time",
    "wait-distribution",
    "makespan-distribution",
];

/// summary.json points of a two-point sweep over `gpu.capacity` with made-up metrics.
fn sweep_points() -> String {
    let point = |capacity: u32, wait: f64, utilization: f64| {
        format!(
            r#"{{"params": {{"gpu.capacity": {capacity}, "gpu.policy": "sjf"}}, "replications": 2,
               "metrics": {{"pipeline.arrived": {{"mean": 60, "ci": 3.5, "n": 2}},
                            "pipeline.wait.mean": {{"mean": {wait}, "ci": 12.5, "n": 2}},
                            "pipeline.wait.p95": {{"mean": {}, "ci": 30, "n": 2}},
                            "pipeline.completed": {{"mean": 50, "ci": 2, "n": 2}},
                            "resource.cpu.utilization": {{"mean": {utilization}, "ci": 0.02, "n": 2}}}}}}"#,
            wait * 3.0
        )
    };
    format!("[{}, {}]", point(4, 300.0, 0.71), point(8, 120.0, 0.4))
}

fn write_sweep_run(root: &Path) -> (PathBuf, Vec<Trace>) {
    let traces = make_traces(2, 2, 240);
    let dir = write_run_with_points(root, "growth-sweep", &traces, &sweep_points());
    (dir, traces)
}

fn pipesim(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs the strict checker; returns its JSON verdict.
pub fn check_html(path: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/check_html.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(path)
        .output()
        .expect("python3 is needed for the HTML check: run `scripts/install-test-deps.sh`");
    let verdict: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "check_html.py printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert!(
        output.status.success(),
        "the report is not well-formed: {:#}",
        verdict["errors"]
    );
    verdict
}

fn texts(verdict: &Value, id: &str) -> Vec<String> {
    verdict["svgs"][id]
        .as_array()
        .map(|a| a.iter().map(|t| t.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn the_report_is_well_formed_self_contained_html_with_every_panel() {
    let temp = tempfile::tempdir().unwrap();
    let (run_dir, _) = write_sweep_run(temp.path());
    let output = temp.path().join("out/report.html");
    std::fs::create_dir(temp.path().join("out")).unwrap();
    let (code, stderr) = pipesim(&[
        "report",
        run_dir.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("report written to"), "{stderr}");
    // Written through a temporary name: nothing else is left beside it.
    let names: Vec<_> = std::fs::read_dir(temp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["report.html"]);

    let verdict = check_html(&output);
    let ids: Vec<&str> = verdict["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    for point in 0..2 {
        assert!(ids.contains(&format!("point-{point}").as_str()));
        for panel in PANELS {
            let id = format!("point-{point}-{panel}");
            assert!(
                ids.contains(&id.as_str()),
                "panel {id} missing from {ids:?}"
            );
            assert!(
                verdict["headings"][&id]
                    .as_array()
                    .is_some_and(|h| !h.is_empty()),
                "{id} has no heading"
            );
        }
        // Every chart of the point, with its axis descriptions and units.
        let expected: &[(&str, &[&str])] = &[
            (
                "utilization",
                &["simulated time (hours)", "busy slots / capacity (%)", "cpu"],
            ),
            (
                "queue",
                &["simulated time (hours)", "waiting steps (time average)"],
            ),
            (
                "arrivals",
                &[
                    "simulated time (hours)",
                    "arrivals per hour",
                    "classic",
                    "edge",
                ],
            ),
            (
                "links",
                &["simulated time (hours)", "throughput (GB/s)", "storage"],
            ),
            (
                "wait-over-time",
                &["arrival time (hours)", "mean wait (seconds)"],
            ),
            (
                "wait-distribution",
                &["wait (seconds)", "pipelines with smaller wait (%)"],
            ),
            (
                "makespan-distribution",
                &["makespan (minutes)", "pipelines with smaller makespan (%)"],
            ),
        ];
        for (panel, labels) in expected {
            let id = format!("point-{point}-{panel}");
            let found = texts(&verdict, &id);
            for label in *labels {
                assert!(
                    found.iter().any(|t| t == label),
                    "{id}: `{label}` not in {found:?}"
                );
            }
            // Tick labels: numbers on both axes.
            let numbers = found.iter().filter(|t| t.parse::<f64>().is_ok()).count();
            assert!(numbers >= 4, "{id}: too few tick labels in {found:?}");
        }
    }
    // The sweep: metrics against gpu.capacity with error bars.
    for metric in [
        "pipeline-wait-mean",
        "pipeline-wait-p95",
        "pipeline-completed",
        "resource-cpu-utilization",
    ] {
        let id = format!("sweep-{metric}");
        let found = texts(&verdict, &id);
        assert!(found.iter().any(|t| t == "gpu.capacity"), "{id}: {found:?}");
    }
    assert!(texts(&verdict, "sweep-pipeline-wait-mean")
        .iter()
        .any(|t| t == "pipeline.wait.mean (minutes)"));
    assert!(texts(&verdict, "sweep-resource-cpu-utilization")
        .iter()
        .any(|t| t == "resource.cpu.utilization (%)"));
    let html = std::fs::read_to_string(&output).unwrap();
    assert!(html.contains("<h2>Point 1: gpu.capacity = 8, gpu.policy = sjf</h2>"));
}

/// Mean of seconds written with nanosecond digits.
fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

#[test]
fn step_statistics_match_the_traces() {
    let temp = tempfile::tempdir().unwrap();
    let (run_dir, traces) = write_sweep_run(temp.path());
    let data = pipesim::output::report::aggregate::read_run(&run_dir).unwrap();
    let steps = traces.iter().find(|t| t.file == "steps.csv").unwrap();
    let column = |name: &str| steps.header.iter().position(|h| *h == name).unwrap();
    let mut waits: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    for row in &steps.rows {
        waits
            .entry((
                row.values[0].clone(),
                row.values[column("template")].clone(),
                row.values[column("step")].clone(),
            ))
            .or_default()
            .push(row.values[column("wait")].parse().unwrap());
    }
    for ((point, template, step), values) in &waits {
        let traced = &data.traces[&point.parse::<u32>().unwrap()];
        let stats = &traced.steps[&(template.clone(), step.clone())];
        assert_eq!(stats.wait.count, values.len() as u64);
        let exact = mean(values);
        assert!((stats.wait.mean() - exact).abs() <= 1e-9 * exact.max(1.0));
        // p95 from the log-scale histogram: within its 2.3 % resolution of the sample's.
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let p95 = sorted[(0.95 * sorted.len() as f64).ceil() as usize - 1];
        let approximate = stats.wait.quantile(0.95);
        assert!(
            (approximate / p95 - 1.0).abs() < 0.0233 || p95 == approximate,
            "{approximate} vs {p95}"
        );
    }
    insta::assert_snapshot!(
        "step_statistics_table",
        pipesim::output::report::step_table(&data.traces[&0])
    );
}

#[test]
fn a_missing_run_directory_is_a_clear_error() {
    let temp = tempfile::tempdir().unwrap();
    let absent = temp.path().join("runs/nothing");
    let (code, stderr) = pipesim(&["report", absent.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("is not a directory; give a run directory written by `pipesim run`"),
        "{stderr}"
    );
    std::fs::create_dir_all(&absent).unwrap();
    let (code, stderr) = pipesim(&["report", absent.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("summary.json` is missing"), "{stderr}");
}

#[test]
fn a_run_without_traces_still_reports_its_metrics() {
    let temp = tempfile::tempdir().unwrap();
    let run_dir = write_run_with_points(temp.path(), "untraced", &[], &sweep_points());
    let (code, stderr) = pipesim(&["report", run_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let verdict = check_html(&run_dir.join("report.html"));
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(html.contains("No traces were kept for this point"));
    assert!(verdict["ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i == "point-1-utilization"));
    assert!(html.contains("no resource trace (traces/resources.csv)"));
}

#[test]
fn chromium_renders_the_report() {
    let chromium = Path::new("/usr/bin/chromium");
    assert!(
        chromium.exists(),
        "`/usr/bin/chromium` is missing: run `scripts/install-test-deps.sh`"
    );
    let temp = tempfile::tempdir().unwrap();
    let (run_dir, _) = write_sweep_run(temp.path());
    let (code, stderr) = pipesim(&["report", run_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let screenshot = std::env::var_os("PIPESIM_REPORT_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| temp.path().join("report.png"));
    let profile = temp.path().join("chromium-profile");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--window-size=1600,5200",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg(format!("file://{}", run_dir.join("report.html").display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let png = std::fs::read(&screenshot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // A blank page compresses to a few kilobytes; charts and tables do not.
    assert!(
        png.len() > 100_000,
        "the screenshot is suspiciously small: {} bytes",
        png.len()
    );
}

/// Runs `scenario` with `args` and checks the report of the run (see [`check_html`]).
fn report_of_a_run(scenario: &str, args: &[&str]) -> Value {
    report_and_html_of_a_run(scenario, args).0
}

/// [`report_of_a_run`], and the report's text.
fn report_and_html_of_a_run(scenario: &str, args: &[&str]) -> (Value, String) {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("tiny.pipesim");
    std::fs::write(&file, scenario).unwrap();
    let run_dir = temp.path().join("run");
    let mut run = vec![
        "run",
        file.to_str().unwrap(),
        "--out",
        run_dir.to_str().unwrap(),
    ];
    run.extend(args);
    let (code, stderr) = pipesim(&run);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = pipesim(&["report", run_dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    (check_html(&run_dir.join("report.html")), html)
}

#[test]
fn the_report_of_a_real_run_has_every_panel_of_every_point() {
    let verdict = report_of_a_run(TINY_SCENARIO, &[]);
    for point in 0..2 {
        for panel in PANELS {
            let id = format!("point-{point}-{panel}");
            assert!(
                verdict["ids"].as_array().unwrap().iter().any(|i| i == &id),
                "{id} missing"
            );
        }
        for panel in [
            "utilization",
            "queue",
            "arrivals",
            "links",
            "wait-over-time",
        ] {
            let id = format!("point-{point}-{panel}");
            let found = texts(&verdict, &id);
            assert!(
                found
                    .iter()
                    .any(|t| t == "simulated time (hours)" || t == "arrival time (hours)"),
                "{id}: {found:?}"
            );
        }
    }
    let sweep = texts(&verdict, "sweep-pipeline-wait-mean");
    assert!(sweep.iter().any(|t| t == "gpu.capacity"), "{sweep:?}");
}

/// A step's metrics (over every replication) are in the report, those the scenario asked
/// for included, even when no trace was kept: times as durations.
#[test]
fn the_report_lists_each_steps_metrics_without_traces() {
    let scenario = TINY_SCENARIO.replace(
        "replications = 2",
        "replications = 2\n  metrics = [\"step.job.train.service.p95\"]",
    );
    let (_, html) = report_and_html_of_a_run(&scenario, &["--trace", "none"]);
    assert!(html.contains("no step trace (traces/steps.csv)"), "{html}");
    // Three steps, four metrics each, and the one asked for.
    assert_eq!(html.matches("13 step metrics").count(), 2, "{html}");
    for name in [
        "step.job.preprocess.count",
        "step.job.train.wait.p95",
        "step.job.train.service.p95",
        "step.job.validate.service.mean",
    ] {
        let row = format!("<tr><td><code>{name}</code></td><td>");
        let at = html
            .find(&row)
            .unwrap_or_else(|| panic!("no row for {name}"));
        let cell = &html[at + row.len()..];
        let value = &cell[..cell.find("</td>").unwrap()];
        if name.ends_with(".count") {
            assert!(value.parse::<f64>().is_ok(), "{name}: {value}");
        } else {
            assert!(
                [" s", " min", " h"]
                    .iter()
                    .any(|unit| value.ends_with(unit)),
                "{name}: {value}"
            );
        }
    }
}

/// The sweep chart `id`'s SVG in `html`.
fn figure_svg<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<figure class=\"panel\" id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no figure {id}"));
    let end = start + html[start..].find("</figure>").unwrap();
    &html[start..end]
}

/// An overloaded point is named under the report's title, with a link to its section, and
/// again in that section, and circled in the sweep charts: its figures are not steady-state
/// figures.
#[test]
fn the_report_names_the_overloaded_points() {
    // 9 triggers an hour of 10 minutes' training: one GPU is offered 1.5 busy slots, two 0.75.
    // At least: the monitor's retraining runs add work that is not counted.
    let text = TINY_SCENARIO.replace("rate     = 6/h", "rate     = 9/h");
    assert_ne!(text, TINY_SCENARIO);
    let (verdict, html) = report_and_html_of_a_run(&text, &["--trace", "none"]);
    let chart = figure_svg(&html, "sweep-pipeline-wait-mean");
    // One circle, around the one overloaded point, and the caption says what it means.
    assert_eq!(chart.matches("stroke=\"#CF222E\"").count(), 1, "{chart}");
    assert!(
        chart.contains("Circled in red: overloaded points"),
        "{chart}"
    );
    // The other point, with a caution, in amber.
    assert_eq!(chart.matches("stroke=\"#BF8700\"").count(), 1, "{chart}");
    assert!(
        chart.contains("Circled in amber: points with a caution"),
        "{chart}"
    );
    // That caution (unfinished pipelines left out of the waits) does not bear on the
    // utilization: circled in its chart only the overloaded point.
    let utilization = figure_svg(&html, "sweep-resource-gpu-utilization");
    assert!(
        utilization.matches("stroke=\"#CF222E\"").count() == 1
            && !utilization.contains("#BF8700")
            && !utilization.contains("Circled in amber"),
        "{utilization}"
    );
    let notes = &verdict["notes"];
    assert_eq!(
        notes[""][0],
        "Overloaded points. A pool or link is asked for more than it can do, so its backlog \
         grows until the horizon: the waits and makespans of these points grow with the \
         horizon instead of settling. Point 0: gpu.capacity = 1: gpu is offered at least 1.5 \
         busy slots of 1 (at least 150%)",
        "{notes:#}"
    );
    // The other point's pipelines do not all finish in this short horizon: a caution, but
    // no overload. The overloaded point gets its overload note alone.
    let cautions = notes[""][1].as_str().unwrap_or_default();
    assert!(
        cautions.starts_with("Figures to read with care.")
            && cautions.contains("Point 1:")
            && !cautions.contains("Point 0:"),
        "{notes:#}"
    );
    assert_eq!(
        notes["point-0"].as_array().map(Vec::len),
        Some(1),
        "{notes:#}"
    );
    let section = notes["point-0"][0].as_str().unwrap_or_default();
    assert!(
        section.starts_with(
            "Overloaded: gpu is offered at least 1.5 busy slots of 1 (at least 150%)."
        ),
        "{notes:#}"
    );
    assert!(
        notes["point-1"].as_array().is_some_and(|n| n
            .iter()
            .all(|n| n.as_str().unwrap().starts_with("Caution:"))),
        "{notes:#}"
    );

    // Without an overloaded point, and with every pipeline drained to its end, no note at
    // all, and nothing circled.
    let (verdict, html) = report_and_html_of_a_run(
        TINY_SCENARIO,
        &["--trace", "none", "--set", "scenario.drain=true"],
    );
    assert_eq!(
        verdict["notes"],
        serde_json::json!({}),
        "{:#}",
        verdict["notes"]
    );
    let chart = figure_svg(&html, "sweep-pipeline-wait-mean");
    assert!(
        !chart.contains("#CF222E") && !chart.contains("#BF8700") && !chart.contains("Circled"),
        "{chart}"
    );
}

/// The texts of the mean wait's sweep chart in the report of a run of the tiny scenario with
/// `sweeps` in place of its sweep line.
fn sweep_chart_texts(sweeps: &str) -> Vec<String> {
    let text = TINY_SCENARIO.replace("sweep gpu.capacity = [1, 2]", sweeps);
    assert_ne!(text, TINY_SCENARIO);
    let verdict = report_of_a_run(&text, &["--trace", "none"]);
    texts(&verdict, "sweep-pipeline-wait-mean")
}

#[test]
fn the_sweep_chart_names_its_lines_by_the_values_as_written() {
    let sweep = sweep_chart_texts(
        "sweep gpu.capacity = [1, 2]\n  sweep storage.bandwidth = [100MB/s, 1GB/s]",
    );
    assert!(
        sweep.iter().any(|t| t == "storage.bandwidth = 1GB/s"),
        "{sweep:?}"
    );
}

#[test]
fn a_sweep_over_a_quantity_is_drawn_in_the_unit_the_scenario_writes() {
    let sweep = sweep_chart_texts("sweep storage.bandwidth = [100MB/s, 250MB/s, 1GB/s]");
    assert!(
        sweep.iter().any(|t| t == "storage.bandwidth (MB/s)"),
        "{sweep:?}"
    );
    // The ticks span 100 to 1000 MB/s, not 1e8 to 1e9 bytes per second ("100M", "1G"); a
    // wait's interval that reaches below zero (two replications) does not draw negative
    // minutes.
    assert!(
        sweep
            .iter()
            .all(|t| !t.ends_with('M') && !t.ends_with('G') && !t.starts_with('-')),
        "{sweep:?}"
    );
}

/// A run stopped at `--max-live` (an overloaded point's queue grew past it) is reported as
/// incomplete, with why and how to finish it; the point that did not run keeps its label;
/// the traces of the finished replications, not yet joined, are read from their parts.
#[test]
fn the_report_of_a_run_stopped_at_max_live_says_so_and_labels_every_point() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("full.pipesim");
    // Four GPUs keep up with two triggers a minute of a minute's training; one falls behind.
    std::fs::write(
        &file,
        r#"scenario full { horizon = 1d  seed = 5 }
resource gpu { kind = pool  capacity = 4 }
pipeline job { train { on = gpu  duration = exponential(mean = 1min) } }
arrivals triggers { rate = 2/min  pipeline = job }
experiment {
  replications = 2
  sweep gpu.capacity = [4, 1]
}
"#,
    )
    .unwrap();
    let run_dir = temp.path().join("cut");
    let run = run_dir.to_str().unwrap();
    let (code, stderr) = pipesim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        run,
        "--jobs",
        "1",
        "--max-live",
        "200",
    ]);
    assert_eq!(code, 2, "{stderr}");
    let html_path = temp.path().join("r.html");
    let (code, stderr) = pipesim(&["report", run, "-o", html_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "finish it with `pipesim resume {run} --max-live 2000`"
        )),
        "{stderr}"
    );
    let verdict = check_html(&html_path);
    let html = std::fs::read_to_string(&html_path).unwrap();
    let notes = &verdict["notes"];
    let banner = notes[""][0].as_str().unwrap_or_default();
    assert!(
        banner.starts_with(
            "Incomplete: 2 of 4 replications ran (stopped at --max-live 200: replication 0 of \
             point 1 (gpu.capacity = 1) held "
        ),
        "{notes:#}"
    );
    assert!(
        banner.contains("No replication ran of Point 1: gpu.capacity = 1.")
            && banner.ends_with(&format!(
                "Finish the run with pipesim resume {run} --max-live 2000."
            )),
        "{banner}"
    );
    // The header counts the sweep's points, the one that did not run included.
    assert!(html.contains(" · 2 sweep points</p>"), "{html}");
    // The overload note names the point by its params, not as the scenario as written.
    assert!(!html.contains("scenario as written"), "{html}");
    assert!(
        notes[""][1]
            .as_str()
            .unwrap_or_default()
            .contains("Point 1: gpu.capacity = 1: gpu is offered 2 busy slots of 1"),
        "{notes:#}"
    );
    assert_eq!(
        verdict["headings"]["point-0"][0], "Point 0: gpu.capacity = 4",
        "{:#}",
        verdict["headings"]
    );
    // The point that ran has its traces, read from the parts, and says where they came from.
    assert!(!html.contains("No trace files"), "{html}");
    assert!(html.contains("read from their parts"), "{html}");
    assert!(
        html.contains("Charts and step statistics from the traces of 1 replication;"),
        "{html}"
    );
    let steps = figure_svg(&html, "point-0-wait-distribution");
    assert!(!steps.contains("class=\"empty\""), "{steps}");
}

/// `--set` values that fix a value are in the report's header and each point's Parameters,
/// and swept values are shown there as written (`3/h`), not in base units.
#[test]
fn the_report_shows_the_runs_fixed_overrides_and_params_as_written() {
    let (verdict, html) = report_and_html_of_a_run(
        TINY_SCENARIO,
        &[
            "--trace",
            "none",
            "--set",
            "cpu.capacity=3",
            "--set",
            "triggers.rate=[3/h, 5/h]",
        ],
    );
    assert!(
        html.contains(
            "<p class=\"meta\" id=\"overrides\">Set on the command line: \
             <code>--set cpu.capacity=3</code>.</p>"
        ),
        "{html}"
    );
    assert!(
        html.contains("<tr><td><code>triggers.rate</code></td><td>3/h</td></tr>"),
        "{html}"
    );
    assert!(
        html.contains("<tr><td><code>cpu.capacity</code></td><td>3 (<code>--set</code>)</td></tr>"),
        "{html}"
    );
    assert!(!html.contains("0.000833"), "{html}");
    assert!(
        verdict["headings"]["point-0"][0]
            .as_str()
            .is_some_and(|h| h.contains("triggers.rate = 3/h")),
        "{:#}",
        verdict["headings"]
    );
}

/// A swept metric that no replication measured (`model.accuracy.mean` in a scenario without
/// models) gets no empty chart: it is named once in a note under the sweep's charts, with
/// why; the metrics with values are still charted.
#[test]
fn a_sweep_metric_without_values_is_named_in_a_note_not_charted() {
    let scenario = "scenario plain { horizon = 1d  seed = 1 }\n\
                    resource cpu { kind = pool  capacity = 4 }\n\
                    pipeline job { task { on = cpu  duration = 10min } }\n\
                    arrivals triggers { rate = 6/h  pipeline = job }\n\
                    experiment {\n\
                      replications = 2\n\
                      sweep cpu.capacity = [2, 4]\n\
                      metrics = [\"pipeline.wait.mean\", \"model.accuracy.mean\"]\n\
                    }\n";
    let (verdict, html) = report_and_html_of_a_run(scenario, &["--trace", "none"]);
    let ids: Vec<&str> = verdict["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert!(!ids.contains(&"sweep-model-accuracy-mean"), "{ids:?}");
    assert!(ids.contains(&"sweep-without-values"), "{ids:?}");
    let wait = texts(&verdict, "sweep-pipeline-wait-mean");
    assert!(wait.iter().any(|t| t == "cpu.capacity"), "{wait:?}");
    let notes: Vec<String> = verdict["notes"]["sweep"]
        .as_array()
        .expect("a note in the sweep section")
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        notes,
        vec![
            "Not charted, no values: model.accuracy.mean; no replication recorded a value: \
             model metrics are measured only where a pipeline deploys a model (a model { } \
             block)."
                .to_string()
        ],
        "{html}"
    );
}
