//! Generated scenarios: random combinations of the language's features with extreme values
//! (zero and nanosecond durations, heavy tails, a byte at 1e15 B/s and 1e15 bytes at 1 B/s,
//! autoscale without delays, models that retire after a second, monitors every second, drain),
//! each checked and run for one replication, traced.
//!
//! Each must check without errors (the generator writes only valid scenarios, so that the runs
//! are what is tested), run to its end without panicking within a time limit, and satisfy what
//! holds of any run: every arrival is counted once as completed, rejected or unfinished,
//! utilizations are fractions, a step ends after it starts, and rows written as events happen
//! come in time order. A run that does not end is stopped and reported with its scenario:
//! the fuzzing these tests came from found two such hangs (a link whose completion rounded to
//! no time at all, a profile clock asked for a time 1e21 s away).

use pipesim::analysis::load;
use pipesim::frontend;
use pipesim::sim::trace::{ArrivalRow, ModelRow, PipelineRow, ResourceRow, StepRow, TraceSink};
use pipesim::sim::{run_replication_until, Control};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// How many scenarios, and how long one may run (each takes milliseconds; a loaded machine
/// is far inside this).
const SCENARIOS: u64 = 400;
const TIME_LIMIT: Duration = Duration::from_secs(60);

fn pick<'a>(rng: &mut Xoshiro256PlusPlus, options: &[&'a str]) -> &'a str {
    options[rng.random_range(0..options.len())]
}

fn duration(rng: &mut Xoshiro256PlusPlus) -> &'static str {
    pick(
        rng,
        &[
            "0s",
            "1e-9s",
            "1s",
            "5min",
            "1h",
            "30d",
            "exponential(mean = 1min)",
            "exponential(mean = 1e-9s)",
            "lognormal(median = 10min, sigma = 3)",
            "normal(mean = 1min, sd = 10min)",
            "uniform(min = 0s, max = 1s)",
            "gamma(shape = 0.01, scale = 1h)",
            "triangular(min = 0s, mode = 0s, max = 1s)",
            "exponweib(a = 0.1, c = 0.1, scale = 1s)",
            "weibull(shape = 0.1, scale = 1min)",
        ],
    )
}

fn size(rng: &mut Xoshiro256PlusPlus) -> &'static str {
    pick(
        rng,
        &[
            "0B",
            "1B",
            "1GB",
            "1e15B",
            "lognormal(median = 1GB, sigma = 2)",
        ],
    )
}

/// One scenario's text.
fn generate(rng: &mut Xoshiro256PlusPlus) -> String {
    let mut out = String::new();
    let horizon = pick(rng, &["1h", "1d", "3d"]);
    let warmup = pick(
        rng,
        &["", "warmup = 0s", "warmup = 10min", "warmup = 30min"],
    );
    let drain = pick(rng, &["true", "false"]);
    let seed = rng.random_range(1..10);
    out += &format!(
        "scenario generated {{ start = \"2019-01-07T00:00:00Z\"  horizon = {horizon}  {warmup}  seed = {seed}  drain = {drain} }}\n"
    );
    let policy = pick(rng, &["fifo", "sjf", "priority", "edf", "fair_share"]);
    let (capacity, autoscale) = if rng.random_bool(0.4) {
        let scale = format!(
            "autoscale {{ min = 1  max = {}  step = {}  when_queue_above = {}  for = {}  idle_release = {}  provision = {} }}",
            pick(rng, &["3", "5", "1000"]),
            pick(rng, &["1", "3"]),
            pick(rng, &["0", "1", "5"]),
            pick(rng, &["0s", "1min"]),
            pick(rng, &["0s", "10min"]),
            pick(rng, &["0s", "1min"]),
        );
        (pick(rng, &["1", "2", "3"]), scale)
    } else {
        (pick(rng, &["1", "2", "3", "1000", "100000"]), String::new())
    };
    out += &format!(
        "resource gpu {{ kind = pool  capacity = {capacity}  policy = {policy}  {autoscale} }}\n"
    );
    let backfill = if policy != "fair_share" && rng.random_bool(0.3) {
        "backfill = true"
    } else {
        ""
    };
    let cpu = pick(rng, &["1", "2", "3", "1000", "100000"]);
    out += &format!("resource cpu {{ kind = pool  capacity = {cpu}  {backfill} }}\n");
    let bandwidth = pick(rng, &["1B/s", "1Gbps", "1e15B/s", "10MB/s"]);
    out += &format!("resource net {{ kind = link  bandwidth = {bandwidth} }}\n");
    out += &format!("dataset d {{ size = {} }}\n", size(rng));

    out += "pipeline p {\n  data = d\n  fw = choice { a: 0.5, b: 0.5 }\n";
    out += &format!(
        "  {}\n  {}\n",
        pick(
            rng,
            &["", "priority = 3", "priority = normal(mean = 0, sd = 1)"]
        ),
        pick(
            rng,
            &["", "deadline = 1h", "deadline = exponential(mean = 1min)"]
        ),
    );
    let mut names = Vec::new();
    for index in 0..rng.random_range(1..6) {
        let kind = pick(rng, &["preprocess", "train", "validate", "compress"]);
        let mut header = format!("{kind} s{index}");
        if !names.is_empty() && rng.random_bool(0.5) {
            let first = rng.random_range(0..names.len());
            header += &format!(" after {}", names[first..].join(", "));
        }
        if rng.random_bool(0.2) {
            header += " when fw == a";
        }
        let mut attributes = vec![
            format!(
                "on = {}",
                pick(rng, &["gpu", "cpu", "match fw { a => gpu, _ => cpu }"])
            ),
            format!("duration = {}", duration(rng)),
        ];
        if rng.random_bool(0.4) {
            let units = pick(
                rng,
                &["1", "2", "7", "1000", "round(normal(mean = 2, sd = 3))"],
            );
            attributes.push(format!("units = {units}"));
        }
        if rng.random_bool(0.3) {
            attributes.push(format!("reads = {} from net", size(rng)));
        }
        if rng.random_bool(0.3) {
            attributes.push(format!("writes = {} to net", size(rng)));
        }
        if kind == "validate" && rng.random_bool(0.6) {
            attributes.push(format!(
                "pass = {}",
                pick(rng, &["0", "1", "0.5", "1%", "0.999999"])
            ));
        }
        if kind == "train" && rng.random_bool(0.5) {
            attributes.push("accuracy = clamp(normal(mean = 0.9, sd = 0.05), 0, 1)".into());
        }
        if kind == "compress" && rng.random_bool(0.5) {
            attributes.push("accuracy_loss = 1%".into());
        }
        if rng.random_bool(0.2) {
            attributes.push(format!("estimate = {}", duration(rng)));
        }
        out += &format!("  {header} {{ {} }}\n", attributes.join("  "));
        names.push(format!("s{index}"));
    }
    let model = rng.random_bool(0.5);
    if model {
        out += &format!(
            "  model {{ {}  {} }}\n",
            pick(
                rng,
                &[
                    "drift = 1%/d",
                    "drift = 100%/s",
                    "drift = exponential(mean = 1s)  drop = 50%",
                    "drift = exponential(mean = 1min)  drop = 0%",
                ]
            ),
            pick(
                rng,
                &["", "lifetime = 1s", "lifetime = 1h", "lifetime = 0s"]
            ),
        );
    }
    out += "}\n";
    out += "pipeline q {\n  priority = 1\n  deadline = 30min\n  train { on = gpu  duration = exponential(mean = 2min) }\n}\n";
    let hours: Vec<&str> = (0..24)
        .map(|_| pick(rng, &["0.05", "1", "2", "9"]))
        .collect();
    out += &format!(
        "profile weekly {{ hours = [{}]  days = [1, 0.05, 1, 1, 1, 1, 3] }}\n",
        hours.join(", ")
    );
    let process = pick(
        rng,
        &[
            "rate = 10/h",
            "rate = 1/min",
            "interarrival = exponential(mean = 1min)",
            "interarrival = exponweib(a = 1.8, c = 0.7, scale = 1min)",
            "interarrival = exponweib(a = 1.8, c = 0.7, scale = 1e20min)",
        ],
    );
    let template = pick(rng, &["p", "q", "choice { p: 0.7, q: 0.3 }"]);
    let extra = pick(
        rng,
        &[
            "",
            "profile = weekly",
            "growth = 2",
            "stop = 30min",
            "start = 10min",
            "growth = 0.5",
        ],
    );
    out += &format!("arrivals triggers {{ {process}  pipeline = {template}  {extra} }}\n");
    // Monitors every second check every live model: kept to scenarios whose models retire
    // or arrive at most a few hundred times.
    if model && rng.random_bool(0.6) {
        out += &format!(
            "monitor stale {{ every = {}  when = model.accuracy < {}  retrain = {} }}\n",
            pick(rng, &["1min", "1h"]),
            pick(rng, &["0.95", "2", "0"]),
            pick(rng, &["true", "false"]),
        );
    }
    out
}

/// Checks what any run's rows satisfy as they arrive.
#[derive(Default)]
struct CheckedRows {
    problems: Vec<String>,
    last_resource_time: f64,
    last_arrival_time: f64,
    last_model_time: f64,
    rows: u64,
}

impl CheckedRows {
    fn problem(&mut self, what: String) {
        if self.problems.len() < 5 {
            self.problems.push(what);
        }
    }

    fn in_order(&mut self, last: f64, time: f64, what: &str) -> f64 {
        if time < last {
            self.problem(format!("{what} row at {time} after one at {last}"));
        }
        self.rows += 1;
        time.max(last)
    }
}

impl TraceSink for CheckedRows {
    fn pipeline(&mut self, row: &PipelineRow) {
        self.rows += 1;
        if row.end.is_finite() && (row.end < row.arrival || row.wait < 0.0) {
            self.problem(format!("{row:?}"));
        }
    }
    fn step(&mut self, row: &StepRow) {
        self.rows += 1;
        let ordered = !(row.start < row.ready || row.end < row.start);
        if !ordered || row.wait < 0.0 || row.service < 0.0 {
            self.problem(format!("{row:?}"));
        }
    }
    fn resource(&mut self, row: &ResourceRow) {
        self.last_resource_time = self.in_order(self.last_resource_time, row.time, "resource");
    }
    fn model(&mut self, row: &ModelRow) {
        self.last_model_time = self.in_order(self.last_model_time, row.time, "model");
        if !(0.0..=1.0).contains(&row.accuracy) {
            self.problem(format!("{row:?}"));
        }
    }
    fn arrival(&mut self, row: &ArrivalRow) {
        self.last_arrival_time = self.in_order(self.last_arrival_time, row.time, "arrival");
    }
}

#[test]
fn generated_scenarios_check_run_to_their_end_and_keep_the_invariants() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2026);
    let mut traced_rows = 0;
    for index in 0..SCENARIOS {
        let text = generate(&mut rng);
        let checked = frontend::check_text(Path::new("generated.pipesim"), text.clone(), &[]);
        assert!(
            !checked.has_errors(),
            "scenario {index} does not check: {:?}\n{text}",
            checked.diagnostics().0
        );
        let scenario = checked.analysis.lowered.expect("a scenario");
        // The load `check` works out is a number of busy slots (infinite at worst), never
        // negative or NaN, whatever the scenario's extremes.
        for window in load::offered_load(&scenario) {
            assert!(
                window.busy.iter().all(|busy| *busy >= 0.0),
                "scenario {index}: offered load {:?}\n{text}",
                window.busy
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (done, finished) = mpsc::channel();
        let runner = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut rows = CheckedRows::default();
                let control = Control {
                    stop: &stop,
                    max_live: u32::MAX,
                    progress: None,
                };
                let result = run_replication_until(&scenario, 0, &mut rows, &control);
                let _ = done.send(());
                (result, rows)
            })
        };
        if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(TIME_LIMIT) {
            // Not joined: a hang outside the event loop (in an arrival stream, say) does not
            // see the flag, and the thread ends with the test process.
            stop.store(true, Ordering::Relaxed);
            panic!("scenario {index} did not end within {TIME_LIMIT:?}:\n{text}");
        }
        let (result, rows) = match runner.join() {
            Ok(ended) => ended,
            Err(_) => panic!("scenario {index} panicked:\n{text}"),
        };
        let result = result.expect("a replication never stopped and without a limit ends");
        assert!(
            rows.problems.is_empty(),
            "scenario {index}: {:?}\n{text}",
            rows.problems
        );
        traced_rows += rows.rows;
        let metric = |name: &str| result.get(name).unwrap_or(f64::NAN);
        let counted = metric("pipeline.completed")
            + metric("pipeline.rejected")
            + metric("pipeline.unfinished");
        assert_eq!(
            metric("pipeline.arrived"),
            counted,
            "scenario {index}: arrivals not each counted once\n{text}"
        );
        for (name, value) in &result.metrics {
            if name.ends_with(".utilization") {
                assert!(
                    value.is_nan() || (0.0..=1.0 + 1e-9).contains(value),
                    "scenario {index}: {name} = {value}\n{text}"
                );
            }
        }
    }
    // The scenarios did run: rows were traced.
    assert!(traced_rows > 10_000, "{traced_rows} rows traced");
}
