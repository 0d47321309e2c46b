//! Benchmark: one simulated year at the paper's scale (`scenarios/bench/year.pipesim`, built
//! here as IR in code so the benchmark does not depend on the front end), timed with traces
//! off.
//!
//! Usage: `cargo bench --bench year -- [--replications N] [--first K] [--years Y]
//! [--from-file PATH]`: replications K to K + N - 1 (K defaults to 0).
//! Prints one JSON line per replication (`seconds` of wall time, and the mean wait, mean
//! makespan and completed count it measured), then a summary line. `--from-file` loads the
//! scenario through the front end instead of building it in code. `benches/compare.sh` runs
//! this and the SimPy model and prints the ratio.

mod common;

use pipesim::ir::{self, BinaryOp, Distribution, Expr, Value, VarRef};
use pipesim::sim::{run_replication, trace::NullSink};
use std::time::Instant;

fn c(x: f64) -> Expr {
    Expr::Const(Value::Num(x))
}

fn dist(distribution: Distribution) -> Expr {
    Expr::Dist(Box::new(distribution))
}

fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary(op, Box::new(left), Box::new(right))
}

const MINUTE: f64 = 60.0;
const CPU: u32 = 0;
const GPU: u32 = 1;
const TENSORFLOW: u32 = 0;
const SPARKML: u32 = 1;
const SKLEARN: u32 = 2;

fn step(name: &str, kind: ir::StepKind, on: Expr, duration: Expr, after: Vec<u32>) -> ir::Step {
    ir::Step {
        after,
        on: Some(on),
        ..ir::Step::new(name, kind, duration)
    }
}

fn lognormal_median(median: f64, sigma: f64) -> Expr {
    dist(Distribution::LogNormal {
        mu: c(pipesim::math::ln(median)),
        sigma: c(sigma),
    })
}

/// The IR of `scenarios/bench/year.pipesim`, as analysis lowers it.
fn year(years: f64) -> ir::Scenario {
    let hourly = common::weekly_hourly();

    let size = VarRef::Instance(0);
    let framework = VarRef::Instance(1);
    let preprocess = step(
        "preprocess",
        ir::StepKind::Preprocess,
        Expr::Const(Value::Resource(CPU)),
        binary(
            BinaryOp::Add,
            binary(
                BinaryOp::Add,
                c(10.0),
                binary(BinaryOp::Mul, Expr::Var(size), c(0.8 / 1e9)),
            ),
            dist(Distribution::Exponential { mean: c(20.0) }),
        ),
        vec![],
    );
    let train = step(
        "train",
        ir::StepKind::Train,
        Expr::Match {
            scrutinee: Box::new(Expr::Var(framework)),
            arms: vec![(vec![TENSORFLOW], Expr::Const(Value::Resource(GPU)))],
            default: Some(Box::new(Expr::Const(Value::Resource(CPU)))),
        },
        Expr::Match {
            scrutinee: Box::new(Expr::Var(framework)),
            arms: vec![
                (vec![TENSORFLOW], lognormal_median(20.0 * MINUTE, 0.9)),
                (vec![SPARKML], lognormal_median(6.0 * MINUTE, 0.7)),
                (vec![SKLEARN], lognormal_median(2.0 * MINUTE, 0.6)),
            ],
            default: None,
        },
        vec![0],
    );
    let mut validate = step(
        "validate",
        ir::StepKind::Validate,
        Expr::Const(Value::Resource(CPU)),
        dist(Distribution::Exponential { mean: c(90.0) }),
        vec![1],
    );
    validate.pass = Some(c(0.95));
    let compress = step(
        "compress",
        ir::StepKind::Compress,
        Expr::Const(Value::Resource(GPU)),
        dist(Distribution::Exponential {
            mean: c(4.0 * MINUTE),
        }),
        vec![2],
    );
    let pool = |name: &str, capacity| ir::Resource {
        name: name.into(),
        kind: ir::ResourceKind::Pool(ir::Pool {
            capacity,
            policy: ir::Policy::Fifo,
            backfill: false,
            cost_per_slot_hour: 0.0,
            autoscale: None,
        }),
    };
    ir::Scenario {
        name: "year".into(),
        start_unix: 1_546_819_200,
        start_rfc3339: "2019-01-07T00:00:00Z".into(),
        horizon: years * 365.0 * 86_400.0,
        warmup: 0.0,
        seed: 1,
        drain: false,
        resources: vec![pool("cpu", 6), pool("gpu", 12)],
        pipelines: vec![ir::Pipeline {
            name: "classic".into(),
            vars: vec![
                ir::InstanceVar {
                    name: "asset.size".into(),
                    expr: lognormal_median(200e6, 1.2),
                },
                ir::InstanceVar {
                    name: "framework".into(),
                    expr: Expr::Choice(vec![
                        (Value::Label(TENSORFLOW), c(0.45)),
                        (Value::Label(SPARKML), c(0.35)),
                        (Value::Label(SKLEARN), c(0.20)),
                    ]),
                },
            ],
            priority_var: None,
            deadline_var: None,
            steps: vec![preprocess, train, validate, compress],
            model: None,
        }],
        profiles: vec![ir::Profile {
            name: "weekly".into(),
            hourly,
        }],
        arrivals: vec![ir::Arrivals {
            name: "triggers".into(),
            process: ir::ArrivalProcess::Interarrival(dist(Distribution::ExpWeib {
                a: c(1.8),
                c: c(0.7),
                scale: c(78.0),
            })),
            profile: Some(0),
            pipeline: Expr::Const(Value::Pipeline(0)),
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
        labels: vec!["tensorflow".into(), "sparkml".into(), "sklearn".into()],
    }
}

fn from_file(path: &str) -> ir::Scenario {
    let checked = pipesim::frontend::check_file(std::path::Path::new(path), &[]);
    if checked.has_errors() {
        pipesim::frontend::print_diagnostics(&checked.sources, &checked.diagnostics().0);
        std::process::exit(1);
    }
    match checked.analysis.lowered {
        Some(scenario) => scenario,
        None => {
            eprintln!("error: `{path}` did not lower to a scenario");
            std::process::exit(1);
        }
    }
}

fn main() {
    let mut replications = 1u32;
    let mut first = 0u32;
    let mut years = 1.0f64;
    let mut file = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--replications" => {
                replications = args.next().and_then(|v| v.parse().ok()).unwrap_or(1)
            }
            "--first" => first = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--years" => years = args.next().and_then(|v| v.parse().ok()).unwrap_or(1.0),
            "--from-file" => file = args.next(),
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => {}
        }
    }
    let mut scenario = match &file {
        Some(path) => from_file(path),
        None => year(years),
    };
    scenario.horizon = years * 365.0 * 86_400.0;
    let mut total = 0.0;
    for replication in first..first.saturating_add(replications) {
        let started = Instant::now();
        let cpu_started = common::thread_cpu_seconds();
        let result = run_replication(&scenario, replication, &mut NullSink);
        let cpu_seconds = common::thread_cpu_seconds() - cpu_started;
        let seconds = started.elapsed().as_secs_f64();
        total += cpu_seconds;
        let get = |name: &str| result.get(name).unwrap_or(f64::NAN);
        println!(
            "{{\"engine\": \"pipesim\", \"replication\": {replication}, \"seconds\": {seconds:.6}, \"cpu_seconds\": {cpu_seconds:.6}, \"arrived\": {}, \"completed\": {}, \"wait_mean\": {}, \"makespan_mean\": {}, \"gpu_utilization\": {}}}",
            get("pipeline.arrived"),
            get("pipeline.completed"),
            get("pipeline.wait.mean"),
            get("pipeline.makespan.mean"),
            get("resource.gpu.utilization"),
        );
    }
    eprintln!(
        "pipesim: {replications} replication(s) of {years} year(s), {:.3} CPU s per replication",
        total / f64::from(replications)
    );
}
