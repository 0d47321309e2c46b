//! Engine tests: reproducibility, common random numbers, and agreement with queueing theory.
//!
//! Scenarios are built as `ir::Scenario` values in code. Statistical tests use fixed seeds and
//! independent replications: a test passes when the theoretical value lies in the 99%
//! confidence interval `mean ± t(0.995, n-1) * s / sqrt(n)` of the replication estimates.
//! Replications start empty, so each discards a warmup period, and `drain` lets the pipelines
//! that arrived finish (so long waits at the end are not censored).

// The platform's functions and statrs are independent references for the closed forms here.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use pipesim::ir::{self, Expr, Value};
use pipesim::sim::trace::{
    ArrivalRow, LinkRow, ModelEvent, ModelRow, NullSink, PipelineRow, ResourceRow, StepRow,
    TraceSink,
};
use pipesim::sim::{
    run_replication, run_replication_until, Abandoned, Control, ReplicationResult, PROGRESS_TICKS,
};
use statrs::distribution::{ChiSquared, ContinuousCDF, StudentsT};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

// ---------------------------------------------------------------------------------------------
// Building scenarios

fn c(x: f64) -> Expr {
    Expr::Const(Value::Num(x))
}

fn exponential(mean: f64) -> Expr {
    Expr::Dist(Box::new(ir::Distribution::Exponential { mean: c(mean) }))
}

fn resource_ref(id: u32) -> Option<Expr> {
    Some(Expr::Const(Value::Resource(id)))
}

fn scenario(horizon: f64, warmup: f64) -> ir::Scenario {
    ir::Scenario {
        name: "test".into(),
        start_unix: 1_546_819_200, // 2019-01-07T00:00:00Z, a Monday
        start_rfc3339: "2019-01-07T00:00:00Z".into(),
        horizon,
        warmup,
        seed: 1,
        drain: false,
        resources: Vec::new(),
        pipelines: Vec::new(),
        profiles: Vec::new(),
        arrivals: Vec::new(),
        monitors: Vec::new(),
        experiment: ir::Experiment {
            replications: 1,
            confidence: 0.95,
            metrics: Vec::new(),
        },
        labels: Vec::new(),
    }
}

fn pool(name: &str, capacity: u32, policy: ir::Policy) -> ir::Resource {
    ir::Resource {
        name: name.into(),
        kind: ir::ResourceKind::Pool(ir::Pool {
            capacity,
            policy,
            backfill: false,
            cost_per_slot_hour: 0.0,
            autoscale: None,
        }),
    }
}

fn link(name: &str, bandwidth: f64) -> ir::Resource {
    ir::Resource {
        name: name.into(),
        kind: ir::ResourceKind::Link(ir::Link { bandwidth }),
    }
}

fn step(name: &str, on: Option<u32>, duration: Expr, after: Vec<u32>) -> ir::Step {
    ir::Step {
        after,
        on: on.and_then(resource_ref),
        ..ir::Step::new(name, ir::StepKind::Task, duration)
    }
}

fn pipeline(name: &str, steps: Vec<ir::Step>) -> ir::Pipeline {
    ir::Pipeline {
        name: name.into(),
        vars: Vec::new(),
        priority_var: None,
        deadline_var: None,
        steps,
        model: None,
    }
}

fn arrivals(interarrival: Expr, template: u32) -> ir::Arrivals {
    ir::Arrivals {
        name: "triggers".into(),
        process: ir::ArrivalProcess::Interarrival(interarrival),
        profile: None,
        pipeline: Expr::Const(Value::Pipeline(template)),
        growth: 1.0,
        start: 0.0,
        stop: None,
        row: Default::default(),
    }
}

fn replay(times: Vec<f64>, template: u32) -> ir::Arrivals {
    ir::Arrivals {
        process: ir::ArrivalProcess::Replay { times },
        ..arrivals(c(1.0), template)
    }
}

/// One pool of `servers` and a one-step pipeline with Poisson arrivals at `rate`.
fn single_station(rate: f64, servers: u32, service: Expr, horizon: f64) -> ir::Scenario {
    let mut s = scenario(horizon, horizon / 10.0);
    s.drain = true;
    s.resources.push(pool("server", servers, ir::Policy::Fifo));
    s.pipelines.push(pipeline(
        "job",
        vec![step("work", Some(0), service, vec![])],
    ));
    s.arrivals.push(arrivals(exponential(1.0 / rate), 0));
    s
}

// ---------------------------------------------------------------------------------------------
// Running and collecting

#[derive(Default)]
struct Rows {
    pipelines: Vec<PipelineRow>,
    steps: Vec<StepRow>,
    resources: Vec<ResourceRow>,
    links: Vec<LinkRow>,
    models: Vec<ModelRow>,
    arrivals: Vec<ArrivalRow>,
}

impl TraceSink for Rows {
    fn pipeline(&mut self, row: &PipelineRow) {
        self.pipelines.push(row.clone());
    }
    fn step(&mut self, row: &StepRow) {
        self.steps.push(row.clone());
    }
    fn resource(&mut self, row: &ResourceRow) {
        self.resources.push(row.clone());
    }
    fn link(&mut self, row: &LinkRow) {
        self.links.push(row.clone());
    }
    fn model(&mut self, row: &ModelRow) {
        self.models.push(row.clone());
    }
    fn arrival(&mut self, row: &ArrivalRow) {
        self.arrivals.push(row.clone());
    }
}

fn run(scenario: &ir::Scenario, replication: u32) -> ReplicationResult {
    run_replication(scenario, replication, &mut NullSink)
}

fn run_traced(scenario: &ir::Scenario, replication: u32) -> (ReplicationResult, Rows) {
    let mut rows = Rows::default();
    let result = run_replication(scenario, replication, &mut rows);
    (result, rows)
}

fn metric(result: &ReplicationResult, name: &str) -> f64 {
    result
        .get(name)
        .unwrap_or_else(|| panic!("metric `{name}` missing"))
}

/// Mean and 99% half-width over replications of `estimate`.
fn interval(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .unwrap()
        .inverse_cdf(0.995);
    (mean, t * (variance / n).sqrt())
}

fn replications(
    scenario: &ir::Scenario,
    n: u32,
    estimate: impl Fn(&ReplicationResult) -> f64,
) -> Vec<f64> {
    (0..n).map(|r| estimate(&run(scenario, r))).collect()
}

#[track_caller]
fn assert_covers(what: &str, values: &[f64], theory: f64) {
    let (mean, half_width) = interval(values);
    assert!(
        (mean - theory).abs() <= half_width,
        "{what}: theory {theory} outside {mean} ± {half_width} (99% CI over {} replications)",
        values.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Queueing theory

#[test]
fn mm1_mean_wait_and_utilization() {
    // λ = 0.5, μ = 1: ρ = 0.5, Wq = ρ / (μ - λ) = 1.
    let s = single_station(0.5, 1, exponential(1.0), 20_000.0);
    let results: Vec<_> = (0..20).map(|r| run(&s, r)).collect();
    let waits: Vec<f64> = results
        .iter()
        .map(|r| metric(r, "pipeline.wait.mean"))
        .collect();
    let utilization: Vec<f64> = results
        .iter()
        .map(|r| metric(r, "resource.server.utilization"))
        .collect();
    assert_covers("M/M/1 mean wait", &waits, 1.0);
    assert_covers("M/M/1 utilization", &utilization, 0.5);
}

/// Erlang C: the probability an arrival waits in an M/M/c queue with offered load `a = λ/μ`.
fn erlang_c(servers: u32, offered: f64) -> f64 {
    let c = f64::from(servers);
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..servers {
        term *= offered / f64::from(k);
        sum += term;
    }
    let last = term * offered / c * c / (c - offered);
    last / (sum + last)
}

#[test]
fn mmc_mean_wait_follows_erlang_c() {
    // λ = 2.4, μ = 1, c = 3: ρ = 0.8, Wq = C(3, 2.4) / (cμ - λ).
    let s = single_station(2.4, 3, exponential(1.0), 10_000.0);
    let theory = erlang_c(3, 2.4) / (3.0 - 2.4);
    let results: Vec<_> = (0..20).map(|r| run(&s, r)).collect();
    let waits: Vec<f64> = results
        .iter()
        .map(|r| metric(r, "pipeline.wait.mean"))
        .collect();
    let utilization: Vec<f64> = results
        .iter()
        .map(|r| metric(r, "resource.server.utilization"))
        .collect();
    assert_covers("M/M/3 mean wait", &waits, theory);
    assert_covers("M/M/3 utilization", &utilization, 0.8);
}

#[test]
fn md1_mean_wait_follows_pollaczek_khinchine() {
    // λ = 0.7, deterministic service 1: Wq = λ E[S²] / (2 (1 - ρ)) = 0.7 / 0.6.
    let s = single_station(0.7, 1, c(1.0), 20_000.0);
    let waits = replications(&s, 20, |r| metric(r, "pipeline.wait.mean"));
    assert_covers("M/D/1 mean wait", &waits, 0.7 / 0.6);
}

#[test]
fn mg1_lognormal_mean_wait_follows_pollaczek_khinchine() {
    // Lognormal service with mu = -0.125, sigma = 0.5: E[S] = 1, E[S²] = exp(2mu + 2sigma²).
    let service = Expr::Dist(Box::new(ir::Distribution::LogNormal {
        mu: c(-0.125),
        sigma: c(0.5),
    }));
    let second_moment = (2.0f64 * -0.125 + 2.0 * 0.25).exp();
    let lambda = 0.6;
    let theory = lambda * second_moment / (2.0 * (1.0 - lambda));
    let s = single_station(lambda, 1, service, 20_000.0);
    let waits = replications(&s, 20, |r| metric(r, "pipeline.wait.mean"));
    assert_covers("M/G/1 mean wait", &waits, theory);
}

#[test]
fn tandem_fifo_stations_follow_jackson() {
    // Two stations in series, λ = 0.5, μ1 = 1, μ2 = 0.8: each behaves as an M/M/1 queue.
    let mut s = scenario(20_000.0, 2_000.0);
    s.drain = true;
    s.resources.push(pool("first", 1, ir::Policy::Fifo));
    s.resources.push(pool("second", 1, ir::Policy::Fifo));
    s.pipelines.push(pipeline(
        "line",
        vec![
            step("one", Some(0), exponential(1.0), vec![]),
            step("two", Some(1), exponential(1.25), vec![0]),
        ],
    ));
    s.arrivals.push(arrivals(exponential(2.0), 0));
    let results: Vec<_> = (0..20).map(|r| run(&s, r)).collect();
    let collect = |name: &str| -> Vec<f64> { results.iter().map(|r| metric(r, name)).collect() };
    let wait_one = 0.5 / (1.0 - 0.5);
    let wait_two = 0.625 / (0.8 - 0.5);
    assert_covers(
        "station 1 wait",
        &collect("step.line.one.wait.mean"),
        wait_one,
    );
    assert_covers(
        "station 2 wait",
        &collect("step.line.two.wait.mean"),
        wait_two,
    );
    assert_covers(
        "pipeline wait (sum of step waits)",
        &collect("pipeline.wait.mean"),
        wait_one + wait_two,
    );
    assert_covers(
        "makespan",
        &collect("pipeline.makespan.mean"),
        1.0 / (1.0 - 0.5) + 1.0 / (0.8 - 0.5),
    );
    assert_covers(
        "station 2 utilization",
        &collect("resource.second.utilization"),
        0.625,
    );
}

#[test]
fn littles_law_holds_for_the_queue() {
    // L = λ W for the queue of an M/G/2 station, each replication measuring all three:
    // the difference L - λ̂ W must be zero within its interval.
    let service = Expr::Dist(Box::new(ir::Distribution::Uniform {
        min: c(0.5),
        max: c(2.5),
    }));
    let s = single_station(1.1, 2, service, 20_000.0);
    let window = s.horizon - s.warmup;
    let differences = replications(&s, 20, |r| {
        let rate = metric(r, "pipeline.arrived") / window;
        metric(r, "resource.server.queue.mean") - rate * metric(r, "pipeline.wait.mean")
    });
    assert_covers("L - λW", &differences, 0.0);
}

#[test]
fn utilization_equals_offered_load_with_wide_steps() {
    // Steps take 2 of 8 slots for a gamma-distributed time: utilization = λ E[S] units / c.
    let service = Expr::Dist(Box::new(ir::Distribution::Gamma {
        shape: c(2.0),
        scale: c(1.5),
    }));
    let mut s = single_station(0.8, 8, service, 10_000.0);
    s.pipelines[0].steps[0].units = c(2.0);
    let utilization = replications(&s, 20, |r| metric(r, "resource.server.utilization"));
    assert_covers("utilization", &utilization, 0.8 * 3.0 * 2.0 / 8.0);
}

#[test]
fn profile_arrivals_follow_the_hourly_multipliers() {
    // A weekly profile with quiet nights, busy mornings and an empty hour; Poisson triggers
    // at 60 per hour on average. Counts per hour of the week over 8 weeks must match the
    // shares (chi-square goodness of fit at the 0.999 level).
    let mut hourly = Vec::with_capacity(168);
    for hour in 0..168 {
        let of_day = hour % 24;
        hourly.push(match of_day {
            0..=5 => 0.25,
            6 => 0.0,
            7..=11 => 3.0,
            _ => 1.0,
        });
    }
    let mean = hourly.iter().sum::<f64>() / 168.0;
    let hourly: Vec<f64> = hourly.iter().map(|m| m / mean).collect();
    let weeks = 8.0;
    let mut s = scenario(weeks * 168.0 * 3600.0, 0.0);
    s.resources.push(pool("cpu", 1_000, ir::Policy::Fifo));
    s.pipelines
        .push(pipeline("job", vec![step("work", Some(0), c(1.0), vec![])]));
    s.profiles.push(ir::Profile {
        name: "weekly".into(),
        hourly: hourly.clone(),
    });
    let mut triggers = arrivals(exponential(60.0), 0);
    triggers.profile = Some(0);
    s.arrivals.push(triggers);
    let (result, rows) = run_traced(&s, 0);
    let mut counts = [0.0f64; 168];
    for row in &rows.arrivals {
        counts[((row.time / 3600.0) as usize) % 168] += 1.0;
    }
    let total = metric(&result, "pipeline.arrived");
    assert_eq!(total as usize, rows.arrivals.len());
    let mut chi_square = 0.0;
    let mut cells = 0;
    for (hour, multiplier) in hourly.iter().enumerate() {
        if *multiplier == 0.0 {
            assert_eq!(counts[hour], 0.0, "an hour with multiplier 0 got arrivals");
            continue;
        }
        let expected = total * multiplier / 168.0;
        chi_square += (counts[hour] - expected).powi(2) / expected;
        cells += 1;
    }
    let critical = ChiSquared::new(f64::from(cells - 1))
        .unwrap()
        .inverse_cdf(0.999);
    assert!(
        chi_square < critical,
        "chi-square {chi_square} over {cells} hours exceeds {critical}"
    );
    // The profile keeps the overall mean: 60 per hour. Poisson count, 4 standard deviations.
    let expected_total = weeks * 168.0 * 60.0;
    assert!((total - expected_total).abs() < 4.0 * expected_total.sqrt());
}

#[test]
fn simultaneous_equal_transfers_each_take_twice_as_long() {
    // Two pipelines arrive at t = 0 and each reads 1000 bytes over a 100 B/s link: alone a
    // read takes 10 s, shared each takes 20 s. A third arriving at 100 s is alone again.
    let mut s = scenario(1_000.0, 0.0);
    s.resources.push(link("storage", 100.0));
    let mut read = step("load", None, c(0.0), vec![]);
    read.reads = Some(ir::Transfer {
        bytes: c(1000.0),
        link: 0,
    });
    s.pipelines.push(pipeline("copy", vec![read]));
    s.arrivals.push(replay(vec![0.0, 0.0, 100.0], 0));
    let (result, rows) = run_traced(&s, 0);
    let makespans: Vec<f64> = rows.pipelines.iter().map(|p| p.makespan).collect();
    assert_eq!(makespans.len(), 3);
    for (makespan, expected) in makespans.iter().zip([20.0, 20.0, 10.0]) {
        assert!(
            (makespan - expected).abs() < 1e-9,
            "makespans {makespans:?}"
        );
    }
    assert!((metric(&result, "link.storage.bytes") - 3000.0).abs() < 1e-6);
    assert!((metric(&result, "link.storage.utilization") - 0.03).abs() < 1e-12);
}

#[test]
fn mm1_processor_sharing_link_sojourn_is_one_over_mu_minus_lambda() {
    // Pure transfers of exponential size (mean 100 B) on a 100 B/s link: μ = 1, λ = 0.5;
    // under processor sharing the mean sojourn is 1 / (μ - λ) = 2.
    let mut s = scenario(20_000.0, 2_000.0);
    s.drain = true;
    s.resources.push(link("network", 100.0));
    let mut transfer = step("send", None, c(0.0), vec![]);
    transfer.reads = Some(ir::Transfer {
        bytes: exponential(100.0),
        link: 0,
    });
    s.pipelines.push(pipeline("message", vec![transfer]));
    s.arrivals.push(arrivals(exponential(2.0), 0));
    let results: Vec<_> = (0..20).map(|r| run(&s, r)).collect();
    let sojourn: Vec<f64> = results
        .iter()
        .map(|r| metric(r, "pipeline.makespan.mean"))
        .collect();
    let utilization: Vec<f64> = results
        .iter()
        .map(|r| metric(r, "link.network.utilization"))
        .collect();
    assert_covers("M/M/1-PS sojourn", &sojourn, 2.0);
    assert_covers("link utilization", &utilization, 0.5);
}

// ---------------------------------------------------------------------------------------------
// Reproducibility and common random numbers

/// A scenario that exercises every sampled part: attributes, a choice, a match on `on`,
/// reads and writes, parallel steps, validation.
fn rich_scenario() -> ir::Scenario {
    let mut s = scenario(3.0 * 86_400.0, 3_600.0);
    s.labels = vec!["tensorflow".into(), "sklearn".into()];
    s.resources.push(pool("cpu", 4, ir::Policy::Fifo));
    s.resources.push(pool("gpu", 2, ir::Policy::Sjf));
    s.resources.push(link("storage", 50e6));
    let size = Expr::Dist(Box::new(ir::Distribution::LogNormal {
        mu: c((2e8f64).ln()),
        sigma: c(1.0),
    }));
    let framework = Expr::Choice(vec![(Value::Label(0), c(0.6)), (Value::Label(1), c(0.4))]);
    let on_framework = Expr::Match {
        scrutinee: Box::new(Expr::Var(ir::VarRef::Instance(1))),
        arms: vec![(vec![0], Expr::Const(Value::Resource(1)))],
        default: Some(Box::new(Expr::Const(Value::Resource(0)))),
    };
    let mut preprocess = step(
        "preprocess",
        Some(0),
        Expr::Binary(
            ir::BinaryOp::Add,
            Box::new(c(30.0)),
            Box::new(Expr::Binary(
                ir::BinaryOp::Mul,
                Box::new(Expr::Var(ir::VarRef::Instance(0))),
                Box::new(c(1e-6)),
            )),
        ),
        vec![],
    );
    preprocess.reads = Some(ir::Transfer {
        bytes: Expr::Var(ir::VarRef::Instance(0)),
        link: 2,
    });
    let mut train = step("train", None, exponential(900.0), vec![0]);
    train.on = Some(on_framework);
    train.kind = ir::StepKind::Train;
    train.accuracy = Some(c(0.9));
    let report = step("report", Some(0), exponential(60.0), vec![0]);
    let mut validate = step("validate", Some(0), exponential(90.0), vec![1, 2]);
    validate.kind = ir::StepKind::Validate;
    validate.pass = Some(c(0.9));
    validate.writes = Some(ir::Transfer {
        bytes: c(1e7),
        link: 2,
    });
    let mut p = pipeline("classic", vec![preprocess, train, report, validate]);
    p.vars = vec![
        ir::InstanceVar {
            name: "asset.size".into(),
            expr: size,
        },
        ir::InstanceVar {
            name: "framework".into(),
            expr: framework,
        },
    ];
    s.pipelines.push(p);
    s.arrivals.push(arrivals(exponential(400.0), 0));
    s
}

#[test]
fn same_scenario_and_replication_give_identical_results_and_traces() {
    let s = rich_scenario();
    let (first, first_rows) = run_traced(&s, 3);
    let (second, second_rows) = run_traced(&s, 3);
    assert_eq!(
        format!("{:?}", first.metrics),
        format!("{:?}", second.metrics)
    );
    assert_eq!(
        format!("{:?}", first_rows.steps),
        format!("{:?}", second_rows.steps)
    );
    assert_eq!(
        format!("{:?}", first_rows.links),
        format!("{:?}", second_rows.links)
    );
    assert!(first_rows.steps.len() > 100);
    // Tracing does not change the results.
    assert_eq!(
        format!("{:?}", run(&s, 3).metrics),
        format!("{:?}", first.metrics)
    );
    // Another replication is a different sample.
    assert_ne!(
        metric(&run(&s, 4), "pipeline.wait.mean"),
        metric(&first, "pipeline.wait.mean")
    );
}

#[test]
fn a_capacity_change_leaves_the_sampled_workload_unchanged() {
    let base = rich_scenario();
    let mut more_gpus = base.clone();
    if let ir::ResourceKind::Pool(pool) = &mut more_gpus.resources[1].kind {
        pool.capacity = 8;
        pool.policy = ir::Policy::Fifo;
    }
    let (base_result, base_rows) = run_traced(&base, 0);
    let (more_result, more_rows) = run_traced(&more_gpus, 0);
    // Scheduling changed...
    assert_ne!(
        metric(&base_result, "pipeline.wait.mean"),
        metric(&more_result, "pipeline.wait.mean")
    );
    // ...the workload did not: same arrivals, and every step execution has the same
    // service time, resource and bytes.
    assert_eq!(
        format!("{:?}", base_rows.arrivals),
        format!("{:?}", more_rows.arrivals)
    );
    let key = |rows: &Rows| {
        let mut steps: Vec<_> = rows
            .steps
            .iter()
            .map(|r| {
                (
                    r.pipeline_id,
                    r.step,
                    r.resource,
                    r.service.to_bits(),
                    r.bytes.to_bits(),
                )
            })
            .collect();
        steps.sort();
        steps
    };
    let (base_steps, more_steps) = (key(&base_rows), key(&more_rows));
    // Compare the executions both runs finished (the end of the horizon cuts differently).
    let common: Vec<_> = base_steps
        .iter()
        .filter(|step| more_steps.binary_search(step).is_ok())
        .collect();
    let base_ids: std::collections::BTreeSet<_> = base_steps
        .iter()
        .map(|(id, step, ..)| (*id, *step))
        .collect();
    let more_ids: std::collections::BTreeSet<_> = more_steps
        .iter()
        .map(|(id, step, ..)| (*id, *step))
        .collect();
    let both = base_ids.intersection(&more_ids).count();
    assert!(both > 100);
    assert_eq!(
        common.len(),
        both,
        "a step sampled differently after a capacity change"
    );
    let outcomes = |rows: &Rows| {
        let mut outcomes: Vec<_> = rows
            .pipelines
            .iter()
            .filter(|p| p.outcome != pipesim::sim::trace::Outcome::Unfinished)
            .map(|p| (p.id, p.outcome))
            .collect();
        outcomes.sort_by_key(|(id, _)| *id);
        outcomes
    };
    // Validation draws are part of the workload too.
    let more_outcomes: std::collections::BTreeMap<_, _> =
        outcomes(&more_rows).into_iter().collect();
    for (id, outcome) in outcomes(&base_rows) {
        if let Some(other) = more_outcomes.get(&id) {
            assert_eq!(*other, outcome, "pipeline {id} validated differently");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Semantics

/// The progress counter a replication advances, read at each arrival.
struct ProgressSeen<'a> {
    counter: &'a AtomicU64,
    seen: Vec<(f64, u64)>,
}

impl TraceSink for ProgressSeen<'_> {
    fn arrival(&mut self, row: &ArrivalRow) {
        self.seen
            .push((row.time, self.counter.load(Ordering::Relaxed)));
    }
}

/// A replication reports its progress as its simulated time passes, never ahead of it and at
/// most one tick behind, and reports it whole when it ends (drain included), so that the
/// progress bar of a run of one long replication moves; one abandoned at `max_live` does not.
#[test]
fn progress_follows_simulated_time_and_is_whole_at_the_end() {
    let horizon = 10_000.0;
    let scenario = single_station(1.0, 1, exponential(0.8), horizon);
    let counter = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let control = Control {
        stop: &stop,
        max_live: u32::MAX,
        progress: Some(&counter),
    };
    let mut sink = ProgressSeen {
        counter: &counter,
        seen: Vec::new(),
    };
    let result = run_replication_until(&scenario, 0, &mut sink, &control);
    assert!(result.is_ok());
    assert_eq!(counter.load(Ordering::Relaxed), PROGRESS_TICKS);
    assert!(sink.seen.len() > 9_000, "{} arrivals", sink.seen.len());
    let per_second = PROGRESS_TICKS as f64 / horizon;
    for &(time, ticks) in &sink.seen {
        let due = (time * per_second).floor();
        assert!(
            ticks as f64 <= due && ticks as f64 >= due - 1.0,
            "{ticks} ticks reported at {time} s, {due} due"
        );
    }

    // Too many pipelines at once (one server for arrivals twice as fast as it serves): the
    // replication is abandoned part of the way through, where the counter stays.
    let overloaded = single_station(2.0, 1, exponential(1.0), horizon);
    let counter = AtomicU64::new(0);
    let control = Control {
        stop: &stop,
        max_live: 1_000,
        progress: Some(&counter),
    };
    match run_replication_until(&overloaded, 0, &mut NullSink, &control) {
        Err(Abandoned::Overfull(overfull)) => {
            assert!(overfull.live > 1_000, "{overfull:?}");
            assert_eq!(overfull.longest_queue.map(|(pool, _)| pool), Some(0));
            // About a thousand more arrive than leave in 1,000 s.
            assert!((500.0..5_000.0).contains(&overfull.time), "{overfull:?}");
            let ticks = counter.load(Ordering::Relaxed);
            assert!(ticks > 0 && ticks < PROGRESS_TICKS / 2, "{ticks}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn warmup_arrivals_are_simulated_but_not_counted() {
    let mut s = scenario(100.0, 5.0);
    s.resources.push(pool("cpu", 1, ir::Policy::Fifo));
    s.pipelines
        .push(pipeline("job", vec![step("work", Some(0), c(3.0), vec![])]));
    s.arrivals.push(replay(vec![1.0, 2.0, 10.0, 11.0], 0));
    let (result, rows) = run_traced(&s, 0);
    assert_eq!(metric(&result, "pipeline.arrived"), 2.0);
    assert_eq!(metric(&result, "pipeline.completed"), 2.0);
    assert_eq!(rows.pipelines.len(), 4);
    // The second arrival waited 2 s behind the first but is not counted; 11 waits 2 s
    // behind 10 and is.
    assert_eq!(metric(&result, "pipeline.wait.mean"), 1.0);
    // Busy 7..? Resource statistics over [5, 100]: busy [5, 7] and [10, 16] = 8 s.
    assert!((metric(&result, "resource.cpu.utilization") - 8.0 / 95.0).abs() < 1e-12);
}

#[test]
fn horizon_stops_the_run_and_drain_lets_work_finish() {
    let mut s = scenario(10.0, 0.0);
    s.resources.push(pool("cpu", 1, ir::Policy::Fifo));
    s.pipelines
        .push(pipeline("job", vec![step("work", Some(0), c(4.0), vec![])]));
    s.arrivals.push(replay(vec![0.0, 1.0, 2.0, 12.0], 0));
    let stopped = run(&s, 0);
    assert_eq!(metric(&stopped, "pipeline.arrived"), 3.0);
    assert_eq!(metric(&stopped, "pipeline.completed"), 2.0);
    assert_eq!(metric(&stopped, "pipeline.unfinished"), 1.0);
    s.drain = true;
    let drained = run(&s, 0);
    assert_eq!(metric(&drained, "pipeline.completed"), 3.0);
    assert_eq!(metric(&drained, "pipeline.unfinished"), 0.0);
    assert_eq!(metric(&drained, "pipeline.makespan.max"), 10.0);
}

#[test]
fn dag_steps_run_in_parallel_and_skipped_steps_count_as_done() {
    // a → (b ‖ c) → d, with c skipped: d starts when b ends.
    let mut s = scenario(100.0, 0.0);
    s.resources.push(pool("cpu", 4, ir::Policy::Fifo));
    let mut skipped = step("c", Some(0), c(50.0), vec![0]);
    skipped.when = Some(Expr::Const(Value::Bool(false)));
    s.pipelines.push(pipeline(
        "dag",
        vec![
            step("a", Some(0), c(1.0), vec![]),
            step("b", Some(0), c(2.0), vec![0]),
            skipped,
            step("d", Some(0), c(3.0), vec![1, 2]),
        ],
    ));
    s.arrivals.push(replay(vec![0.0], 0));
    let (result, rows) = run_traced(&s, 0);
    assert_eq!(metric(&result, "pipeline.makespan.max"), 6.0);
    assert_eq!(metric(&result, "step.dag.c.count"), 0.0);
    let steps: Vec<_> = rows
        .steps
        .iter()
        .map(|r| (r.step, r.start, r.end))
        .collect();
    assert_eq!(steps, vec![(0, 0.0, 1.0), (1, 1.0, 3.0), (3, 3.0, 6.0)]);
}

/// A template of more steps than an instance keeps inline (four) runs each of them in its
/// order, also when its instance's slot held a template of fewer steps before, and after.
#[test]
fn long_and_short_templates_take_turns_in_the_same_slots() {
    let mut s = scenario(1_000.0, 0.0);
    s.resources.push(pool("cpu", 1, ir::Policy::Fifo));
    let chain = |n: u32| -> Vec<ir::Step> {
        (0..n)
            .map(|k| {
                let after = if k == 0 { vec![] } else { vec![k - 1] };
                step(&format!("s{k}"), Some(0), c(f64::from(k + 1)), after)
            })
            .collect()
    };
    s.pipelines.push(pipeline("long", chain(7)));
    s.pipelines.push(pipeline("short", chain(2)));
    s.arrivals.push(replay(vec![0.0, 100.0, 200.0], 0));
    s.arrivals.push(replay(vec![50.0, 150.0, 250.0], 1));
    let (result, rows) = run_traced(&s, 0);
    assert_eq!(metric(&result, "pipeline.completed"), 6.0);
    assert_eq!(metric(&result, "pipeline.makespan.max"), 28.0);
    let mut steps: Vec<_> = rows
        .steps
        .iter()
        .map(|r| (r.start, r.step, r.end))
        .collect();
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut expected = Vec::new();
    for (arrival, n) in [
        (0.0, 7),
        (50.0, 2),
        (100.0, 7),
        (150.0, 2),
        (200.0, 7),
        (250.0, 2),
    ] {
        let mut start = arrival;
        for k in 0..n {
            let end = start + f64::from(k + 1);
            expected.push((start, k, end));
            start = end;
        }
    }
    assert_eq!(steps, expected);
}

#[test]
fn a_failed_validation_rejects_the_pipeline() {
    let mut s = scenario(100.0, 0.0);
    s.resources.push(pool("cpu", 1, ir::Policy::Fifo));
    let mut validate = step("validate", Some(0), c(1.0), vec![0]);
    validate.kind = ir::StepKind::Validate;
    validate.pass = Some(c(0.0));
    s.pipelines.push(pipeline(
        "p",
        vec![
            step("train", Some(0), c(1.0), vec![]),
            validate,
            step("deploy", Some(0), c(1.0), vec![1]),
        ],
    ));
    s.arrivals.push(replay(vec![0.0, 0.5], 0));
    let (result, rows) = run_traced(&s, 0);
    assert_eq!(metric(&result, "pipeline.rejected"), 2.0);
    assert_eq!(metric(&result, "pipeline.completed"), 0.0);
    assert_eq!(metric(&result, "step.p.deploy.count"), 0.0);
    assert!(rows
        .pipelines
        .iter()
        .all(|p| p.outcome == pipesim::sim::trace::Outcome::Rejected));
}

#[test]
fn priority_policy_serves_higher_priority_first() {
    // One slot busy until t = 10; then a low and a high priority job wait; high goes first.
    let mut s = scenario(100.0, 0.0);
    s.resources.push(pool("cpu", 1, ir::Policy::Priority));
    for (name, priority) in [("low", 1.0), ("high", 5.0)] {
        let mut p = pipeline(name, vec![step("work", Some(0), c(10.0), vec![])]);
        p.vars = vec![ir::InstanceVar {
            name: "priority".into(),
            expr: c(priority),
        }];
        p.priority_var = Some(0);
        s.pipelines.push(p);
    }
    s.arrivals.push(replay(vec![0.0, 1.0], 0));
    s.arrivals.push(replay(vec![2.0], 1));
    let (_, rows) = run_traced(&s, 0);
    let high = rows.steps.iter().find(|r| r.template == 1).unwrap();
    assert_eq!((high.start, high.wait), (10.0, 8.0));
    let late_low = rows.steps.iter().find(|r| r.pipeline_id == 1).unwrap();
    assert_eq!(late_low.start, 20.0);
}

/// A template whose every run deploys a new model of accuracy 0.9 that drifts 1% a day,
/// started twice an hour on a pool with room to spare; `model` and `extra` are added.
fn model_population(model: &str, extra: &str) -> ir::Scenario {
    lower(
        &format!(
            "scenario population {{ horizon = 40d  warmup = 10d  seed = 11 }}
resource gpu {{ kind = pool  capacity = 200 }}
pipeline production {{
  train {{ on = gpu  duration = 1min  accuracy = 0.9 }}
  model {{ drift = 1%/d  {model} }}
}}
arrivals onboarding {{ rate = 2/h  pipeline = production }}
{extra}
"
        ),
        &[],
    )
}

#[test]
fn retiring_models_keeps_a_steady_population() {
    // Models arrive as a Poisson process and live 10 days, so in steady state the live ones'
    // ages are uniform on [0, 10 d): their mean accuracy is 0.9 - 1%/d * 5 d = 0.85. (Without
    // a lifetime every model ever deployed stays live, and the mean keeps falling.)
    let scenario = model_population("lifetime = 10d", "");
    let accuracy = replications(&scenario, 12, |r| metric(r, "model.accuracy.mean"));
    assert_covers("mean accuracy of live models", &accuracy, 0.85);
    let forever = model_population("", "");
    let (mean, _) = interval(&replications(&forever, 3, |r| {
        metric(r, "model.accuracy.mean")
    }));
    assert!(mean < 0.8, "without a lifetime: {mean}");
}

#[test]
fn a_retired_model_is_neither_checked_nor_redeployed() {
    // Training takes a day; a model turns stale two days after it is deployed and its
    // retraining run takes a day, but it retires after two and a half: the run still
    // completes, and deploys nothing.
    let scenario = lower(
        "scenario retire { horizon = 20d  seed = 4 }
resource gpu { kind = pool  capacity = 200 }
pipeline production {
  train { on = gpu  duration = 1d  accuracy = 0.9 }
  model { drift = 1%/d  lifetime = 60h }
}
arrivals onboarding { rate = 1/d  stop = 10d  pipeline = production }
monitor stale { every = 1h  when = model.accuracy < 0.881  retrain = true }
",
        &[],
    );
    let (_, rows) = run_traced(&scenario, 0);
    let retired: std::collections::HashMap<u64, f64> = rows
        .models
        .iter()
        .filter(|row| row.event == ModelEvent::Retired)
        .map(|row| (row.model, row.time))
        .collect();
    assert!(retired.len() >= 5, "{} models retired", retired.len());
    // Models are numbered in the order they were first deployed, though a retired model's
    // slot in the engine is reused by a later one.
    let first_deployed: Vec<u64> = rows
        .models
        .iter()
        .filter(|row| row.event == ModelEvent::Deployed && row.version == 1)
        .map(|row| row.model)
        .collect();
    assert_eq!(
        first_deployed,
        (0..first_deployed.len() as u64).collect::<Vec<_>>()
    );
    let mut retrains_cut_short = 0;
    for (&model, &at) in &retired {
        let events: Vec<&ModelRow> = rows.models.iter().filter(|r| r.model == model).collect();
        let deployed = events
            .iter()
            .find(|r| r.event == ModelEvent::Deployed)
            .unwrap();
        assert!(
            (at - deployed.time - 60.0 * 3600.0).abs() < 1e-6,
            "retired at {at}"
        );
        assert!(
            events.iter().all(|r| r.time <= at),
            "model {model} has events after its retirement at {at}: {events:?}"
        );
        if events.iter().any(|r| r.event == ModelEvent::Retrain) {
            retrains_cut_short += 1;
        }
    }
    assert!(
        retrains_cut_short >= 5,
        "{retrains_cut_short} retrains cut short"
    );
}

#[test]
fn deployed_models_drift_and_monitors_retrain_them() {
    // One pipeline at t = 0 trains for 100 s to accuracy 0.9; the model loses 0.001 per
    // second. A monitor every 50 s retrains when accuracy < 0.8: first true at t = 250
    // (accuracy 0.75), the retrain deploys version 2 at t = 350 with accuracy 0.9 again.
    let mut s = scenario(400.0, 0.0);
    s.resources.push(pool("gpu", 1, ir::Policy::Fifo));
    let mut train = step("train", Some(0), c(100.0), vec![]);
    train.kind = ir::StepKind::Train;
    train.accuracy = Some(c(0.9));
    let mut p = pipeline("model", vec![train]);
    p.model = Some(ir::ModelSpec {
        lifetime: None,
        drift: ir::Drift::Linear { per_second: 0.001 },
    });
    s.pipelines.push(p);
    s.arrivals.push(replay(vec![0.0], 0));
    s.monitors.push(ir::Monitor {
        name: "stale".into(),
        every: 50.0,
        when: Expr::Binary(
            ir::BinaryOp::Lt,
            Box::new(Expr::Var(ir::VarRef::Model(ir::ModelVar::Accuracy))),
            Box::new(c(0.8)),
        ),
        retrain: true,
        pipelines: Vec::new(),
    });
    let (result, rows) = run_traced(&s, 0);
    assert_eq!(metric(&result, "model.retrains"), 1.0);
    // Live from 100 to 400. Version 1: 0.9 → 0.65 over [100, 350]: mean 0.775 for 250 s.
    // Version 2: 0.9 → 0.85 over [350, 400]: mean 0.875 for 50 s.
    let expected = (0.775 * 250.0 + 0.875 * 50.0) / 300.0;
    assert!((metric(&result, "model.accuracy.mean") - expected).abs() < 1e-9);
    // Stale from the check at 250 until the replacement at 350: 100 of 300 model-seconds.
    assert!((metric(&result, "model.stale.fraction") - 100.0 / 300.0).abs() < 1e-9);
    let events: Vec<_> = rows
        .models
        .iter()
        .map(|m| (m.time, m.version, m.event))
        .collect();
    use pipesim::sim::trace::ModelEvent::*;
    assert_eq!(
        events,
        vec![
            (100.0, 1, Deployed),
            (250.0, 1, Stale),
            (250.0, 1, Retrain),
            (350.0, 1, Replaced),
            (350.0, 2, Deployed),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Scenarios written in the language, through the front end

/// Checks and lowers `text` (written to a temporary file), failing on any diagnostic.
fn lower(text: &str, overrides: &[&str]) -> ir::Scenario {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("scenario.pipesim");
    std::fs::write(&path, text).unwrap();
    let overrides: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
    let checked = pipesim::frontend::check_file(&path, &overrides);
    assert!(
        !checked.has_errors(),
        "diagnostics: {:?}",
        checked.diagnostics().0
    );
    checked.analysis.lowered.expect("a scenario")
}

const MM1_TEXT: &str = r#"
// M/M/1: lambda = 0.5/s, mu = 1/s.
scenario mm1 {
  horizon = 20000s
  warmup  = 2000s
  seed    = 11
  drain   = true
}
resource server { kind = pool  capacity = 1 }
pipeline job {
  task work { on = server  duration = exponential(mean = 1s) }
}
arrivals poisson {
  rate     = 1800/h
  pipeline = job
}
"#;

#[test]
fn mm1_written_in_the_language_matches_theory() {
    let s = lower(MM1_TEXT, &[]);
    let results: Vec<_> = (0..20).map(|r| run(&s, r)).collect();
    let collect = |name: &str| -> Vec<f64> { results.iter().map(|r| metric(r, name)).collect() };
    assert_covers("M/M/1 mean wait", &collect("pipeline.wait.mean"), 1.0);
    assert_covers("M/M/1 makespan", &collect("pipeline.makespan.mean"), 2.0);
    assert_covers(
        "M/M/1 utilization",
        &collect("resource.server.utilization"),
        0.5,
    );
    assert_covers(
        "M/M/1 queue length",
        &collect("resource.server.queue.mean"),
        0.5,
    );
}

#[test]
fn sjf_follows_the_shortest_job_first_formula() {
    // Non-preemptive shortest-job-first M/G/1 (Phipps; Kleinrock, Queueing Systems II 3.6):
    // a job of size x waits W0 / (1 - rho(x))^2, rho(x) = lambda * int_0^x t dB(t). With
    // exponential sizes of mean 1 s and lambda = 0.7/s, rho(x) = 0.7 (1 - e^-x (1 + x)),
    // W0 = 0.7 s; the mean wait integrates W over the sizes (FIFO would give 2.33 s).
    let rho = |x: f64| 0.7 * (1.0 - (-x).exp() * (1.0 + x));
    let wait = |x: f64| 0.7 / (1.0 - rho(x)).powi(2) * (-x).exp();
    // Simpson's rule on [0, 60 s] (the integrand is below 1e-20 beyond).
    let (n, h) = (20_000, 60.0 / 20_000.0);
    let theory = (0..=n)
        .map(|i| {
            let weight = if i == 0 || i == n {
                1.0
            } else if i % 2 == 1 {
                4.0
            } else {
                2.0
            };
            weight * wait(f64::from(i) * h)
        })
        .sum::<f64>()
        * h
        / 3.0;
    assert!((theory - 1.3122).abs() < 1e-3, "{theory}");
    let s = lower(
        "scenario sjf { horizon = 20000s  warmup = 2000s  seed = 13  drain = true }
resource server { kind = pool  capacity = 1  policy = sjf }
pipeline job { task work { on = server  duration = exponential(mean = 1s) } }
arrivals poisson { rate = 2520/h  pipeline = job }
",
        &[],
    );
    let waits = replications(&s, 20, |r| metric(r, "step.job.work.wait.mean"));
    assert_covers("SJF mean wait", &waits, theory);
}

#[test]
fn a_set_override_changes_capacity_but_not_the_sampled_workload() {
    let one = lower(MM1_TEXT, &[]);
    let two = lower(MM1_TEXT, &["server.capacity=2"]);
    let (one_result, one_rows) = run_traced(&one, 0);
    let (two_result, two_rows) = run_traced(&two, 0);
    assert_eq!(
        format!("{:?}", one_rows.arrivals),
        format!("{:?}", two_rows.arrivals)
    );
    let services = |rows: &Rows| {
        let mut services: Vec<_> = rows
            .steps
            .iter()
            .map(|r| (r.pipeline_id, r.service.to_bits()))
            .collect();
        services.sort();
        services
    };
    // With drain, every pipeline finishes in both runs: the same durations, less waiting.
    assert_eq!(services(&one_rows), services(&two_rows));
    assert!(metric(&two_result, "pipeline.wait.mean") < metric(&one_result, "pipeline.wait.mean"));
}

#[test]
fn model_drift_and_monitor_written_in_the_language() {
    // The same story as `deployed_models_drift_and_monitors_retrain_them`, in text: one
    // trigger at t = 10 s (the window closes at 15 s), training 100 s to accuracy 0.9, drift
    // 0.1% per second, a monitor every 50 s retraining below 0.8.
    let s = lower(
        r#"
scenario drift { horizon = 410s  seed = 3 }
resource gpu { kind = pool  capacity = 1 }
pipeline model_run {
  train { on = gpu  duration = 100s  accuracy = 0.9 }
  model { drift = 0.1%/s }
}
arrivals once { interarrival = 10s  stop = 15s  pipeline = model_run }
monitor stale { every = 50s  when = model.accuracy < 0.8  retrain = true }
"#,
        &[],
    );
    let (result, rows) = run_traced(&s, 0);
    // Deployed at 110; below 0.8 at 210; the check at 250 sees 0.76 and retrains; version 2
    // is live at 350 with 0.9 and reaches 0.84 at 410.
    assert_eq!(metric(&result, "model.retrains"), 1.0);
    let version_one = (0.9 + 0.66) / 2.0 * 240.0;
    let version_two = (0.9 + 0.84) / 2.0 * 60.0;
    let expected = (version_one + version_two) / 300.0;
    assert!(
        (metric(&result, "model.accuracy.mean") - expected).abs() < 1e-9,
        "{} vs {expected}",
        metric(&result, "model.accuracy.mean")
    );
    let deployed: Vec<_> = rows
        .models
        .iter()
        .filter(|m| m.event == pipesim::sim::trace::ModelEvent::Deployed)
        .map(|m| (m.time, m.version))
        .collect();
    assert_eq!(deployed, vec![(110.0, 1), (350.0, 2)]);
}

#[test]
fn autoscale_adds_slots_while_the_queue_stays_long_and_releases_idle_ones() {
    // Five 100 s jobs at t = 0 on one slot; autoscale to at most 3 when the queue stays above
    // 0 for 10 s, slots arrive 5 s after the decision, and are released after 50 s idle.
    let mut s = scenario(300.0, 0.0);
    s.resources.push(ir::Resource {
        name: "gpu".into(),
        kind: ir::ResourceKind::Pool(ir::Pool {
            capacity: 1,
            policy: ir::Policy::Fifo,
            backfill: false,
            cost_per_slot_hour: 3.6,
            autoscale: Some(ir::Autoscale {
                min: 1,
                max: 3,
                step: 1,
                when_queue_above: 0.0,
                sustain: 10.0,
                idle_release: 50.0,
                provision: 5.0,
            }),
        }),
    });
    s.pipelines.push(pipeline(
        "job",
        vec![step("work", Some(0), c(100.0), vec![])],
    ));
    s.arrivals.push(replay(vec![0.0; 5], 0));
    let (result, rows) = run_traced(&s, 0);
    let starts: Vec<f64> = rows.steps.iter().map(|r| r.start).collect();
    assert_eq!(starts, vec![0.0, 15.0, 25.0, 100.0, 115.0]);
    // Capacity over time: 1 until 15, 2 until 25, 3 until 175 (the third slot idle since
    // 125), 2 until 250 (idle since 200), then 1 (the minimum).
    let capacity_changes: Vec<(f64, u32)> = rows
        .resources
        .windows(2)
        .filter(|pair| pair[0].capacity != pair[1].capacity)
        .map(|pair| (pair[1].time, pair[1].capacity))
        .collect();
    assert_eq!(
        capacity_changes,
        vec![(15.0, 2), (25.0, 3), (175.0, 2), (250.0, 1)]
    );
    let slot_seconds = 15.0 + 2.0 * 10.0 + 3.0 * 150.0 + 2.0 * 75.0 + 50.0;
    assert!((metric(&result, "resource.gpu.capacity.mean") - slot_seconds / 300.0).abs() < 1e-12);
    assert!((metric(&result, "resource.gpu.utilization") - 500.0 / slot_seconds).abs() < 1e-12);
    assert!((metric(&result, "cost.total") - slot_seconds / 3600.0 * 3.6).abs() < 1e-12);
}

#[test]
fn edf_and_fair_share_order_the_queue() {
    // One slot busy until 10 with pipeline 0. EDF: the later arrival with the earlier
    // deadline goes first. Fair share: templates alternate although one arrived in a burst.
    let mut s = scenario(1_000.0, 0.0);
    s.resources.push(pool("cpu", 1, ir::Policy::Edf));
    for (name, deadline) in [("relaxed", 1_000.0), ("urgent", 50.0)] {
        let mut p = pipeline(name, vec![step("work", Some(0), c(10.0), vec![])]);
        p.vars = vec![ir::InstanceVar {
            name: "deadline".into(),
            expr: c(deadline),
        }];
        p.deadline_var = Some(0);
        s.pipelines.push(p);
    }
    s.arrivals.push(replay(vec![0.0, 1.0], 0));
    s.arrivals.push(replay(vec![2.0], 1));
    let (_, rows) = run_traced(&s, 0);
    let order: Vec<u32> = rows.steps.iter().map(|r| r.template).collect();
    assert_eq!(order, vec![0, 1, 0]);

    let mut fair = s.clone();
    if let ir::ResourceKind::Pool(pool) = &mut fair.resources[0].kind {
        pool.policy = ir::Policy::FairShare;
    }
    fair.arrivals = vec![
        replay(vec![0.0, 1.0, 1.0, 1.0], 0),
        replay(vec![2.0, 2.0], 1),
    ];
    let (_, rows) = run_traced(&fair, 0);
    let order: Vec<u32> = rows.steps.iter().map(|r| r.template).collect();
    // After the first job, the round robin continues from template 1.
    assert_eq!(order, vec![0, 1, 0, 1, 0, 0]);
}

#[test]
fn late_counts_completed_pipelines_that_end_after_their_deadline() {
    // One slot, a 15 min job every 10 min from t = 10 min: job j (from 0) waits 5j min and
    // its makespan is 5j + 15 min. A 30 min deadline is met by jobs 0 to 3 (job 3 ends
    // exactly at its deadline, which is on time) and missed by the rest.
    let text = |deadline: &str, warmup: &str| {
        format!(
            "scenario late {{ horizon = 100min  warmup = {warmup}  drain = true }}\n\
             resource gpu {{ kind = pool  capacity = 1 }}\n\
             pipeline job {{\n  {deadline}\n  train {{ on = gpu  duration = 15min }}\n}}\n\
             arrivals a {{ interarrival = 10min  pipeline = job }}\n"
        )
    };
    let s = lower_with_files(&text("deadline = 30min", "0s"), &[]);
    let result = run(&s, 0);
    assert_eq!(metric(&result, "pipeline.completed"), 9.0);
    assert_eq!(metric(&result, "pipeline.late"), 5.0);
    // The template's own count, when `metrics` names it: the same, with one template.
    let mut asked = s.clone();
    asked.experiment.metrics = vec!["pipeline.job.late".into()];
    assert_eq!(metric(&run(&asked, 0), "pipeline.job.late"), 5.0);
    assert!(pipesim::analysis::paths::of_a_template(
        "pipeline.job.late",
        &s.pipelines
    ));
    assert!(
        pipesim::analysis::paths::metric_names(&s.resources, &s.pipelines)
            .contains(&"pipeline.late".to_string())
    );

    // Like the other counts, only pipelines that arrived after the warm-up: jobs 2 to 8.
    let s = lower_with_files(&text("deadline = 30min", "25min"), &[]);
    assert_eq!(metric(&run(&s, 0), "pipeline.late"), 5.0);
    let s = lower_with_files(&text("deadline = 30min", "55min"), &[]);
    assert_eq!(metric(&run(&s, 0), "pipeline.late"), 4.0);

    // Without a deadline nothing is late, and the metric is not reported at all.
    let s = lower_with_files(&text("", "0s"), &[]);
    let result = run(&s, 0);
    assert!(result
        .metrics
        .iter()
        .all(|(name, _)| name != "pipeline.late"));
    assert!(
        !pipesim::analysis::paths::metric_names(&s.resources, &s.pipelines)
            .contains(&"pipeline.late".to_string())
    );
    // Nor a template's own, which `check` calls unknown without a deadline.
    assert!(!pipesim::analysis::paths::of_a_template(
        "pipeline.job.late",
        &s.pipelines
    ));
    assert!(pipesim::analysis::paths::of_a_template(
        "pipeline.job.completed",
        &s.pipelines
    ));
}

/// `pipeline.TEMPLATE.*`, named in `metrics`, splits the pipeline metrics by template: the
/// counts add up to `pipeline.completed`, the means weighted by them give the overall mean,
/// and a template nobody asked about, or a metric nobody named, is not reported.
#[test]
fn a_templates_own_pipeline_metrics_are_reported_when_named() {
    let s = lower_with_files(
        r#"
scenario mix { horizon = 30d  warmup = 1d  seed = 3 }
resource gpu { kind = pool  capacity = 4 }
pipeline big   { train { on = gpu  duration = exponential(mean = 2h) } }
pipeline small { train { on = gpu  duration = exponential(mean = 20min) } }
pipeline idle  { train { on = gpu  duration = 1min } }
arrivals a { rate = 2/h  pipeline = choice { big: 0.5, small: 0.5 } }
experiment {
  metrics = ["pipeline.big.completed", "pipeline.small.completed", "pipeline.big.wait.mean",
             "pipeline.small.wait.mean", "pipeline.big.makespan.mean",
             "pipeline.small.makespan.mean", "pipeline.small.makespan.p95"]
}
"#,
        &[],
    );
    let result = run(&s, 0);
    let (big, small) = (
        metric(&result, "pipeline.big.completed"),
        metric(&result, "pipeline.small.completed"),
    );
    assert!(big > 100.0 && small > 100.0, "{big} {small}");
    assert_eq!(big + small, metric(&result, "pipeline.completed"));
    for quantity in ["wait", "makespan"] {
        let of = |template: &str| metric(&result, &format!("pipeline.{template}.{quantity}.mean"));
        let weighted = (big * of("big") + small * of("small")) / (big + small);
        let all = metric(&result, &format!("pipeline.{quantity}.mean"));
        assert!(
            (weighted - all).abs() <= 1e-9 * all,
            "{quantity}: {weighted} against {all}"
        );
    }
    // Small pipelines finish sooner than big ones (20 min against 2 h of service).
    assert!(
        metric(&result, "pipeline.small.makespan.p95")
            > metric(&result, "pipeline.small.makespan.mean")
    );
    assert!(
        metric(&result, "pipeline.small.makespan.mean")
            < metric(&result, "pipeline.big.makespan.mean")
    );
    let names: Vec<&str> = result.metrics.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        !names.iter().any(|n| n.starts_with("pipeline.idle.")),
        "{names:?}"
    );
    assert!(!names.contains(&"pipeline.big.makespan.p95"), "{names:?}");
    // In the order `metrics` names them, after the pipeline metrics of all templates.
    let own: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with("pipeline.big.") || n.starts_with("pipeline.small."))
        .collect();
    assert_eq!(own.len(), 7, "{own:?}");
    assert_eq!(own[0], "pipeline.big.completed");
}

/// A template's own counts split the pipeline counts: summed over the templates each gives
/// the pipeline metric of its name, and each template's arrivals end in one of its outcomes.
#[test]
fn a_templates_own_counts_add_up_to_the_pipeline_counts() {
    let s = lower_with_files(
        r#"
scenario split { horizon = 10d  warmup = 1d  seed = 5 }
resource cpu { kind = pool  capacity = 2 }
resource gpu { kind = pool  capacity = 1 }
pipeline flaky {
  train    { on = cpu  duration = exponential(mean = 10min) }
  validate after train { on = cpu  duration = 1min  pass = 0.5 }
}
pipeline slow { train { on = gpu  duration = exponential(mean = 2h) } }
arrivals a { rate = 2/h  pipeline = choice { flaky: 0.5, slow: 0.5 } }
experiment {
  metrics = ["pipeline.flaky.arrived", "pipeline.flaky.completed", "pipeline.flaky.rejected",
             "pipeline.flaky.unfinished", "pipeline.slow.arrived", "pipeline.slow.completed",
             "pipeline.slow.rejected", "pipeline.slow.unfinished"]
}
"#,
        &[],
    );
    let result = run(&s, 0);
    let own =
        |template: &str, count: &str| metric(&result, &format!("pipeline.{template}.{count}"));
    for count in ["arrived", "completed", "rejected", "unfinished"] {
        assert_eq!(
            own("flaky", count) + own("slow", count),
            metric(&result, &format!("pipeline.{count}")),
            "{count}"
        );
    }
    // Half the flaky runs fail validation; nothing rejects a slow one. The GPU is offered
    // one 2 h job an hour, twice what it can do, so slow pipelines pile up unfinished.
    let (flaky, rejected) = (own("flaky", "arrived"), own("flaky", "rejected"));
    assert!(
        (rejected - flaky / 2.0).abs() < 3.0 * (flaky / 4.0).sqrt(),
        "{rejected} of {flaky}"
    );
    assert_eq!(own("slow", "rejected"), 0.0);
    assert!(
        own("slow", "unfinished") > own("slow", "completed"),
        "{result:?}"
    );
    assert!(own("slow", "arrived") > 100.0);
}

#[test]
fn sudden_drops_lower_accuracy_at_sampled_times() {
    // Trained to 0.9 at t = 10; drops of 0.1 every 100 s: 0.8 at 110, 0.7 at 210, 0.6 at 310.
    let mut s = scenario(400.0, 0.0);
    s.resources.push(pool("gpu", 1, ir::Policy::Fifo));
    let mut train = step("train", Some(0), c(10.0), vec![]);
    train.kind = ir::StepKind::Train;
    train.accuracy = Some(c(0.9));
    let mut p = pipeline("model", vec![train]);
    p.model = Some(ir::ModelSpec {
        lifetime: None,
        drift: ir::Drift::Sudden {
            time_to_drop: c(100.0),
            drop: 0.1,
        },
    });
    s.pipelines.push(p);
    s.arrivals.push(replay(vec![0.0], 0));
    let (result, rows) = run_traced(&s, 0);
    let expected = (0.9 * 100.0 + 0.8 * 100.0 + 0.7 * 100.0 + 0.6 * 90.0) / 390.0;
    assert!((metric(&result, "model.accuracy.mean") - expected).abs() < 1e-9);
    let drops: Vec<f64> = rows
        .models
        .iter()
        .filter(|m| m.event == pipesim::sim::trace::ModelEvent::Dropped)
        .map(|m| m.time)
        .collect();
    assert_eq!(drops, vec![110.0, 210.0, 310.0]);
}

#[test]
fn growth_multiplies_the_rate_within_the_start_stop_window() {
    // Poisson at 1 per 10 s, growth 2, window [1000, 21000): 4000 arrivals expected.
    let mut s = scenario(50_000.0, 0.0);
    s.resources.push(pool("cpu", 100, ir::Policy::Fifo));
    s.pipelines
        .push(pipeline("job", vec![step("work", Some(0), c(1.0), vec![])]));
    let mut triggers = arrivals(exponential(10.0), 0);
    triggers.growth = 2.0;
    triggers.start = 1_000.0;
    triggers.stop = Some(21_000.0);
    s.arrivals.push(triggers);
    let (result, rows) = run_traced(&s, 0);
    let arrived = metric(&result, "pipeline.arrived");
    assert!((arrived - 4000.0).abs() < 4.0 * 4000f64.sqrt(), "{arrived}");
    assert!(rows
        .arrivals
        .iter()
        .all(|a| a.time > 1_000.0 && a.time <= 21_000.0));
}

#[test]
fn nonpreemptive_priority_waits_follow_cobham() {
    // Two classes, each Poisson at 0.3/s with exponential(1 s) service, one server. Cobham:
    // W0 = sum(λ E[S²]) / 2 = 0.6; high W = W0 / (1 - ρ_high) and
    // low W = W0 / ((1 - ρ_high)(1 - ρ_high - ρ_low)).
    let mut s = scenario(40_000.0, 4_000.0);
    s.drain = true;
    s.resources.push(pool("server", 1, ir::Policy::Priority));
    for (name, priority) in [("low", 0.0), ("high", 1.0)] {
        let mut p = pipeline(name, vec![step("work", Some(0), exponential(1.0), vec![])]);
        p.vars = vec![ir::InstanceVar {
            name: "priority".into(),
            expr: c(priority),
        }];
        p.priority_var = Some(0);
        s.pipelines.push(p);
    }
    s.arrivals.push(arrivals(exponential(1.0 / 0.3), 0));
    s.arrivals.push(arrivals(exponential(1.0 / 0.3), 1));
    let results: Vec<_> = (0..20).map(|r| run(&s, r)).collect();
    let collect = |name: &str| -> Vec<f64> { results.iter().map(|r| metric(r, name)).collect() };
    assert_covers(
        "high priority wait",
        &collect("step.high.work.wait.mean"),
        0.6 / 0.7,
    );
    assert_covers(
        "low priority wait",
        &collect("step.low.work.wait.mean"),
        0.6 / (0.7 * 0.4),
    );
}

#[test]
fn metric_names_follow_the_contract_order() {
    let mut s = scenario(10.0, 0.0);
    s.resources.push(pool("cpu", 1, ir::Policy::Fifo));
    s.resources.push(link("storage", 1e9));
    s.resources.push(pool("gpu", 1, ir::Policy::Fifo));
    s.pipelines.push(pipeline(
        "classic",
        vec![
            step("preprocess", Some(0), c(1.0), vec![]),
            step("train", Some(2), c(1.0), vec![0]),
        ],
    ));
    s.pipelines.push(pipeline(
        "edge",
        vec![step("task", Some(0), c(1.0), vec![])],
    ));
    let names: Vec<String> = run(&s, 0).metrics.into_iter().map(|(n, _)| n).collect();
    let expected = [
        "pipeline.arrived",
        "pipeline.completed",
        "pipeline.rejected",
        "pipeline.unfinished",
        "pipeline.wait.mean",
        "pipeline.wait.p50",
        "pipeline.wait.p95",
        "pipeline.wait.p99",
        "pipeline.wait.max",
        "pipeline.makespan.mean",
        "pipeline.makespan.p50",
        "pipeline.makespan.p95",
        "pipeline.makespan.p99",
        "pipeline.makespan.max",
        "step.classic.preprocess.count",
        "step.classic.preprocess.wait.mean",
        "step.classic.preprocess.wait.p95",
        "step.classic.preprocess.service.mean",
        "step.classic.train.count",
        "step.classic.train.wait.mean",
        "step.classic.train.wait.p95",
        "step.classic.train.service.mean",
        "step.edge.task.count",
        "step.edge.task.wait.mean",
        "step.edge.task.wait.p95",
        "step.edge.task.service.mean",
        "resource.cpu.utilization",
        "resource.cpu.queue.mean",
        "resource.cpu.queue.max",
        "resource.cpu.capacity.mean",
        "resource.gpu.utilization",
        "resource.gpu.queue.mean",
        "resource.gpu.queue.max",
        "resource.gpu.capacity.mean",
        "link.storage.bytes",
        "link.storage.utilization",
        "model.accuracy.mean",
        "model.stale.fraction",
        "model.retrains",
        "cost.total",
    ];
    assert_eq!(names, expected);
}

/// `resource.P.queue.max` is the longest queue the pool held for some time in the window
/// `[warmup, horizon]`: a pool whose steps all start at the instant they ask reports 0 (it
/// once counted each of them as a queue of one, passing through), and a loaded one the
/// longest queue its trace shows over the window.
#[test]
fn the_longest_queue_counts_only_steps_that_waited() {
    let idle = single_station(0.001, 50, exponential(1.0), 20_000.0);
    let result = run(&idle, 0);
    assert!(metric(&result, "step.job.work.count") > 0.0);
    assert_eq!(metric(&result, "step.job.work.wait.mean"), 0.0);
    assert_eq!(metric(&result, "resource.server.queue.mean"), 0.0);
    assert_eq!(metric(&result, "resource.server.queue.max"), 0.0);

    let loaded = single_station(0.9, 1, exponential(1.0), 20_000.0);
    let (result, rows) = run_traced(&loaded, 0);
    let (warmup, horizon) = (loaded.warmup, loaded.horizon);
    // A row's queue holds from its time to the next row's: count it if that overlaps the window.
    let mut longest = 0;
    for (row, next) in rows.resources.iter().zip(rows.resources.iter().skip(1)) {
        if next.time > warmup && row.time < horizon && next.time > row.time {
            longest = longest.max(row.queue);
        }
    }
    assert!(longest > 5, "a loaded pool queues: {longest}");
    assert_eq!(
        metric(&result, "resource.server.queue.max"),
        f64::from(longest)
    );
}

/// A pool's time averages over the window, as the resource trace shows the pool over time:
/// (busy, capacity and queue length after every change) integrated over `[warmup, horizon]`.
fn trace_integrals(rows: &Rows, resource: u32, from: f64, to: f64) -> (f64, f64, f64, u32) {
    let rows: Vec<&ResourceRow> = rows
        .resources
        .iter()
        .filter(|r| r.resource == resource)
        .collect();
    let (mut busy, mut capacity, mut queue, mut longest) = (0.0, 0.0, 0.0, 0);
    for (index, row) in rows.iter().enumerate() {
        // A row's state holds until the next row's time (the last until the window's end).
        let until = rows.get(index + 1).map_or(to, |next| next.time);
        let held = until.min(to) - row.time.max(from);
        if held > 0.0 {
            busy += held * f64::from(row.busy);
            capacity += held * f64::from(row.capacity);
            queue += held * f64::from(row.queue);
            longest = longest.max(row.queue);
        }
    }
    (busy, capacity, queue, longest)
}

/// The pools' statistics are summed per service and per wait, not integrated at every
/// change of the pool: they must agree with the trace's integrals wherever a service or a
/// wait crosses an edge of the window (the warm-up, the horizon without drain), with several
/// units per step, a backfilling pool, fair share, and an autoscaler changing the capacity.
#[test]
fn pool_statistics_are_the_integrals_of_the_resource_trace() {
    let text = r#"
scenario edges { horizon = 6h  warmup = 1h  seed = 5 }
resource cpu { kind = pool  capacity = 1  policy = fair_share }
resource gpu { kind = pool  capacity = 6  backfill = true }
resource burst {
  kind = pool  capacity = 1
  autoscale { min = 1  max = 4  step = 1  when_queue_above = 0  for = 1min  idle_release = 10min  provision = 2min }
}
pipeline wide {
  preprocess { on = cpu  duration = exponential(mean = 5min) }
  train      { on = gpu  units = 2  duration = lognormal(median = 20min, sigma = 0.8)  estimate = 30min }
  compress   { on = burst  duration = exponential(mean = 6min) }
}
pipeline narrow {
  preprocess { on = cpu  duration = exponential(mean = 2min) }
  task big   { on = gpu  units = 5  duration = exponential(mean = 10min)  estimate = 10min }
}
arrivals a { rate = 9/h  pipeline = wide }
arrivals b { rate = 3/h  pipeline = narrow }
"#;
    let s = lower(text, &[]);
    let (from, to) = (s.warmup, s.horizon);
    for replication in 0..3 {
        let (result, rows) = run_traced(&s, replication);
        for (resource, name) in s.resources.iter().enumerate() {
            let name = &name.name;
            let (busy, capacity, queue, longest) =
                trace_integrals(&rows, resource as u32, from, to);
            assert!(queue > 0.0 && busy > 0.0, "{name}: the pool is loaded");
            if name == "burst" {
                assert!(capacity > to - from, "the autoscaler added slots");
            }
            let close = |metric_name: String, expected: f64| {
                let reported = metric(&result, &metric_name);
                assert!(
                    (reported - expected).abs() <= 1e-9 * expected.abs(),
                    "{metric_name}: reported {reported}, the trace gives {expected}"
                );
            };
            close(format!("resource.{name}.utilization"), busy / capacity);
            close(format!("resource.{name}.queue.mean"), queue / (to - from));
            close(
                format!("resource.{name}.capacity.mean"),
                capacity / (to - from),
            );
            assert_eq!(
                metric(&result, &format!("resource.{name}.queue.max")),
                f64::from(longest),
                "{name}"
            );
        }
    }
}

/// A step's service-time percentiles and maximum, and its wait's maximum, are reported when
/// the scenario asks for them: the p95 of an exponential service is its quantile
/// `-ln(0.05)` times the mean, within the replications' 99% interval and the sketch's
/// relative error (2^-8). Asking changes no other metric.
#[test]
fn asked_for_service_percentiles_follow_the_service_distribution() {
    let plain = single_station(0.5, 2, exponential(1.0), 20_000.0);
    let mut asked = plain.clone();
    asked.experiment.metrics = [
        "step.job.work.service.p95",
        "step.job.work.service.max",
        "step.job.work.wait.max",
    ]
    .map(String::from)
    .to_vec();
    let results: Vec<_> = (0..20).map(|r| run(&asked, r)).collect();
    let p95: Vec<f64> = results
        .iter()
        .map(|r| metric(r, "step.job.work.service.p95"))
        .collect();
    let theory = -(0.05_f64.ln());
    let (mean, half_width) = interval(&p95);
    assert!(
        (mean - theory).abs() <= half_width + theory / 256.0,
        "service p95: theory {theory} outside {mean} ± {half_width} (+ the sketch's 2^-8)"
    );
    for result in &results {
        assert!(
            metric(result, "step.job.work.service.max")
                >= metric(result, "step.job.work.service.p95")
        );
        assert!(
            metric(result, "step.job.work.wait.max") >= metric(result, "step.job.work.wait.p95")
        );
    }
    // The names: after the mean of their quantity, in the order of their levels.
    let names: Vec<&str> = results[0].metrics.iter().map(|(n, _)| n.as_str()).collect();
    let step: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.starts_with("step."))
        .collect();
    assert_eq!(
        step,
        [
            "step.job.work.count",
            "step.job.work.wait.mean",
            "step.job.work.wait.p95",
            "step.job.work.wait.max",
            "step.job.work.service.mean",
            "step.job.work.service.p95",
            "step.job.work.service.max",
        ]
    );
    // Without asking: none of them, and every other metric the same bits.
    let without = run(&plain, 0);
    assert!(without.get("step.job.work.service.p95").is_none());
    let others: Vec<(String, u64)> = results[0]
        .metrics
        .iter()
        .filter(|(n, _)| !asked.experiment.metrics.contains(n))
        .map(|(n, v)| (n.clone(), v.to_bits()))
        .collect();
    let plain_bits: Vec<(String, u64)> = without
        .metrics
        .iter()
        .map(|(n, v)| (n.clone(), v.to_bits()))
        .collect();
    assert_eq!(others, plain_bits);
}

/// `pipesim explain metrics` names the metrics a run reports: each name it lists, with its
/// placeholders declared under their own names, is one a run of that scenario reports.
#[test]
fn explain_metrics_names_what_a_run_reports() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(["explain", "metrics"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    insta::assert_snapshot!(text);
    let s = lower(
        r#"
scenario s { horizon = 1h }
resource POOL { kind = pool  capacity = 1 }
resource LINK { kind = link  bandwidth = 1GB/s }
dataset d { size = 1GB }
pipeline PIPELINE {
  data = d
  deadline = 1h
  task STEP { on = POOL  reads = d.size from LINK  duration = 1s }
}
arrivals a { rate = 1/h  pipeline = PIPELINE }
experiment { metrics = ["pipeline.wait.p90", "step.PIPELINE.STEP.service.p95", "pipeline.PIPELINE.wait.p95"] }
"#,
        &[],
    );
    let reported: Vec<String> = run(&s, 0).metrics.into_iter().map(|(n, _)| n).collect();
    // A name alone on its line, or an example's name in backquotes.
    let listed: Vec<&str> = text
        .lines()
        .filter_map(|line| match line.strip_prefix("  `") {
            Some(example) => example.split('`').next(),
            // Not a wrapped sentence's last word.
            None => (!line.starts_with(' ')
                && !line.contains(' ')
                && line.contains('.')
                && !line.ends_with('.'))
            .then_some(line),
        })
        .collect();
    assert_eq!(listed.len(), 32, "{listed:?}");
    for name in listed {
        assert!(
            reported.iter().any(|r| r == name),
            "{name} is not reported: {reported:?}"
        );
    }
}

#[test]
fn replay_growth_repeats_rows_and_keeps_common_random_numbers() {
    // Growth on a replayed trace replays each row floor(g) times and once more with
    // probability g - floor(g), at the recorded time (the trace's rhythm is kept).
    const ROWS: usize = 4000;
    let times: Vec<f64> = (0..ROWS).map(|i| i as f64).collect();
    let arrival_times = |growth: f64| -> Vec<f64> {
        let mut s = scenario(ROWS as f64 + 10.0, 0.0);
        s.resources.push(pool("gpu", 10_000, ir::Policy::Fifo));
        s.pipelines
            .push(pipeline("job", vec![step("t", Some(0), c(0.5), vec![])]));
        s.arrivals.push(ir::Arrivals {
            growth,
            ..replay(times.clone(), 0)
        });
        let (_, rows) = run_traced(&s, 0);
        rows.arrivals.iter().map(|row| row.time).collect()
    };
    let copies = |arrived: &[f64]| -> Vec<usize> {
        let mut per_row = vec![0; ROWS];
        for &time in arrived {
            per_row[time as usize] += 1;
        }
        per_row
    };
    assert_eq!(arrival_times(1.0), times, "growth 1 is the trace itself");
    assert!(copies(&arrival_times(2.0)).iter().all(|&n| n == 2));
    assert!(copies(&arrival_times(3.0)).iter().all(|&n| n == 3));

    // A fractional part is a Bernoulli draw per row: the count of extra copies is
    // Binomial(ROWS, fraction); 3.29 standard deviations is a 99.9% interval.
    let binomial_bound = |p: f64| 3.29 * (ROWS as f64 * p * (1.0 - p)).sqrt();
    let half = copies(&arrival_times(0.5));
    let kept = half.iter().filter(|&&n| n == 1).count() as f64;
    assert!(half.iter().all(|&n| n <= 1));
    assert!(
        (kept - ROWS as f64 * 0.5).abs() <= binomial_bound(0.5),
        "kept {kept} of {ROWS} rows at growth 0.5"
    );
    let one_and_a_half = copies(&arrival_times(1.5));
    let doubled = one_and_a_half.iter().filter(|&&n| n == 2).count() as f64;
    assert!(one_and_a_half.iter().all(|&n| n == 1 || n == 2));
    assert!(
        (doubled - ROWS as f64 * 0.5).abs() <= binomial_bound(0.5),
        "doubled {doubled} of {ROWS} rows at growth 1.5"
    );

    // Common random numbers: one draw per row whatever the growth, so a row replayed (or
    // repeated) at one growth is replayed (or repeated) at every larger one.
    let seventy = copies(&arrival_times(0.7));
    assert!(half.iter().zip(&seventy).all(|(a, b)| a <= b));
    let one_seven = copies(&arrival_times(1.7));
    assert!(one_and_a_half.iter().zip(&one_seven).all(|(a, b)| a <= b));
}

/// Checks and lowers `text` written beside `files` (name, content) in a temporary directory.
fn lower_with_files(text: &str, files: &[(&str, &str)]) -> ir::Scenario {
    let directory = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(directory.path().join(name), content).unwrap();
    }
    let path = directory.path().join("scenario.pipesim");
    std::fs::write(&path, text).unwrap();
    let checked = pipesim::frontend::check_file(&path, &[]);
    assert!(
        !checked.has_errors(),
        "diagnostics: {:?}",
        checked.diagnostics().0
    );
    checked.analysis.lowered.expect("a scenario")
}

/// A small trace: unsorted, with a repeated time, and per-job GPUs and run times.
const JOBS_CSV: &str = "submitted,gpus,runtime,cluster\n\
    300,2,40,a1\n\
    0,1,10,b2\n\
    120,8,300,a1\n\
    120,4,25,c3\n\
    600,1,5,b2\n";

const ROW_TEXT: &str = r#"
scenario rows { horizon = 1h  drain = true }
resource gpu { kind = pool  capacity = 8 }
pipeline job {
  gpus    = 1
  runtime = 1min
  task { on = gpu  units = gpus  duration = runtime }
}
arrivals recorded {
  trace       = "jobs.csv"
  time_column = "submitted"
  pipeline    = job
  growth      = GROWTH
  row {
    gpus    = row.gpus
    runtime = row.runtime * 1s
  }
}
arrivals synthetic {
  interarrival = 10min
  pipeline     = job
}
"#;

#[test]
fn replayed_rows_set_each_instances_attributes() {
    // Each replayed job runs with its own row's GPUs and run time; the synthetic arrivals
    // of the same template keep its own values (1 GPU, 1 min). Growth copies share a row.
    for growth in [1.0, 2.0] {
        let text = ROW_TEXT.replace("GROWTH", &growth.to_string());
        let s = lower_with_files(&text, &[("jobs.csv", JOBS_CSV)]);
        let (_, rows) = run_traced(&s, 0);
        let arrival_of: std::collections::HashMap<u64, (f64, u32)> = rows
            .arrivals
            .iter()
            .map(|a| (a.pipeline_id, (a.time, a.source)))
            .collect();
        let mut replayed: Vec<(f64, u32, f64)> = Vec::new();
        for step in &rows.steps {
            let (time, source) = arrival_of[&step.pipeline_id];
            if source == 0 {
                replayed.push((time, step.units, step.service));
            } else {
                assert_eq!((step.units, step.service), (1, 60.0), "template values");
            }
        }
        replayed.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let mut expected: Vec<(f64, u32, f64)> = [
            (0.0, 1, 10.0),
            (120.0, 4, 25.0),
            (120.0, 8, 300.0),
            (300.0, 2, 40.0),
            (600.0, 1, 5.0),
        ]
        .iter()
        .flat_map(|&row| std::iter::repeat_n(row, growth as usize))
        .collect();
        expected.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(replayed, expected, "growth {growth}");
    }
}

#[test]
fn the_philly_replay_holds_each_jobs_gpus_for_its_run_time() {
    // With GPUs to spare nobody waits, so the pool's busy GPU-seconds over the counted
    // window are exactly those of the trace's rows (each row's GPUs times the part of its
    // run inside [warmup, horizon]), computed here from the CSV independently of pipesim.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let checked = pipesim::frontend::check_file(
        &root.join("scenarios/philly_replay.pipesim"),
        &["gpu.capacity=5000".to_string()],
    );
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics().0);
    let s = checked.analysis.lowered.expect("a scenario");
    let result = run(&s, 0);
    assert_eq!(metric(&result, "pipeline.wait.max"), 0.0, "GPUs to spare");

    let text = std::fs::read_to_string(root.join("scenarios/data/philly/jobs.csv")).unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2017, 9, 4)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let (from, to) = (s.warmup, s.horizon);
    let mut gpu_seconds = 0.0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let submitted = chrono::NaiveDateTime::parse_from_str(cells[0], "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .signed_duration_since(start)
            .num_seconds() as f64;
        let (duration, gpus): (f64, f64) = (cells[1].parse().unwrap(), cells[2].parse().unwrap());
        let overlap = (submitted + duration).min(to) - submitted.max(from);
        if overlap > 0.0 {
            gpu_seconds += overlap * gpus;
        }
    }
    let expected_busy = gpu_seconds / (to - from);
    let busy = metric(&result, "resource.gpu.utilization") * 5000.0;
    assert!(
        (busy - expected_busy).abs() <= 1e-9 * expected_busy,
        "pipesim {busy} busy GPUs, the trace {expected_busy}"
    );
}

#[test]
fn a_backfilling_pool_starts_short_narrow_steps_beside_a_blocked_wide_one() {
    // Four GPUs. At t = 0 a job takes three for 100 s; at 1 a four-GPU job must wait for
    // it (until 100); at 2 a one-GPU job of 50 s fits in the free GPU and ends before 100,
    // so a backfilling pool starts it at once; at 3 a one-GPU job of 200 s would delay the
    // four-GPU job, so it waits in both.
    let jobs = "submitted,gpus,runtime,requested\n0,3,100,100\n1,4,10,10\n2,1,50,50\n3,1,200,200\n";
    assert_eq!(
        replayed_starts(jobs, "backfill = false", ""),
        [0.0, 100.0, 110.0, 110.0]
    );
    assert_eq!(
        replayed_starts(jobs, "backfill = true", ""),
        [0.0, 100.0, 2.0, 110.0]
    );
}

/// When each replayed job of `jobs` (columns `submitted`, `gpus`, `runtime`, `requested`)
/// starts on a four-GPU pool with `pool` settings, in order of arrival; the template's step
/// has `estimate` as written.
fn replayed_starts(jobs: &str, pool: &str, estimate: &str) -> Vec<f64> {
    let text = format!(
        r#"
scenario wide {{ horizon = 1h  drain = true }}
resource gpu {{ kind = pool  capacity = 4  {pool} }}
pipeline job {{
  gpus      = 1
  runtime   = 1min
  requested = 1min
  task {{ on = gpu  units = gpus  duration = runtime  {estimate} }}
}}
arrivals recorded {{
  trace       = "jobs.csv"
  time_column = "submitted"
  pipeline    = job
  row {{ gpus = row.gpus  runtime = row.runtime * 1s  requested = row.requested * 1s }}
}}
"#
    );
    let s = lower_with_files(&text, &[("jobs.csv", jobs)]);
    let (_, rows) = run_traced(&s, 0);
    let mut by_arrival: Vec<(f64, f64)> = rows
        .steps
        .iter()
        .map(|step| (step.ready, step.start))
        .collect();
    by_arrival.sort_by(|a, b| a.partial_cmp(b).unwrap());
    by_arrival.into_iter().map(|(_, start)| start).collect()
}

#[test]
fn backfilling_plans_with_the_estimate() {
    // As above: at 1 a four-GPU job waits for the three-GPU job to end at 100. The job
    // submitted at 2 runs 50 s; told so, the pool backfills it. Told 120 s (an
    // overestimate), it would end after 100 as far as the pool knows, so it waits.
    let jobs = "submitted,gpus,runtime,requested\n0,3,100,100\n1,4,10,10\n2,1,50,120\n";
    let backfill = "backfill = true";
    assert_eq!(replayed_starts(jobs, backfill, ""), [0.0, 100.0, 2.0]);
    assert_eq!(
        replayed_starts(jobs, backfill, "estimate = runtime"),
        [0.0, 100.0, 2.0]
    );
    assert_eq!(
        replayed_starts(jobs, backfill, "estimate = requested"),
        [0.0, 100.0, 110.0]
    );
}

#[test]
fn sjf_orders_by_the_estimate() {
    // The first job holds all four GPUs until 100; three more four-GPU jobs wait. By their
    // run times (30, 10, 20 s) sjf starts the second arrival first; by what their users
    // asked for (5, 60, 40 s), the first.
    let jobs = "submitted,gpus,runtime,requested\n0,4,100,100\n1,4,30,5\n2,4,10,60\n3,4,20,40\n";
    let sjf = "policy = sjf";
    assert_eq!(replayed_starts(jobs, sjf, ""), [0.0, 130.0, 100.0, 110.0]);
    assert_eq!(
        replayed_starts(jobs, sjf, "estimate = requested"),
        [0.0, 100.0, 150.0, 130.0]
    );
}

#[test]
fn estimates_leave_the_sampled_workload_unchanged() {
    // An `estimate` is drawn after every other sample of its step, so adding one (here a
    // random one) changes no duration: with slots to spare, every step runs exactly as
    // before.
    let text = |estimate: &str| {
        format!(
            r#"
scenario crn {{ horizon = 2d  seed = 5 }}
resource gpu {{ kind = pool  capacity = 64  backfill = true }}
pipeline job {{
  gpus = round(uniform(min = 1, max = 4))
  train {{ on = gpu  units = gpus  duration = exponential(mean = 20min)  {estimate} }}
  compress {{ on = gpu  duration = lognormal(median = 2min, sigma = 0.5) }}
}}
arrivals a {{ rate = 6/h  pipeline = job }}
"#
        )
    };
    let steps = |estimate: &str| {
        let (_, rows) = run_traced(&lower(&text(estimate), &[]), 0);
        rows.steps
            .iter()
            .map(|step| {
                (
                    step.pipeline_id,
                    step.step,
                    step.units,
                    step.start,
                    step.service,
                )
            })
            .collect::<Vec<_>>()
    };
    let without = steps("");
    assert!(without.len() > 400, "{} step rows", without.len());
    let with = steps("estimate = exponential(mean = 1h)");
    assert_eq!(with.len(), without.len());
    if let Some((a, b)) = with.iter().zip(&without).find(|(a, b)| a != b) {
        panic!("with an estimate {a:?}, without {b:?}");
    }
}

#[test]
fn a_label_column_routes_each_replayed_job() {
    // The trace says which framework each job used; the template sends tensorflow to the
    // GPU pool and the rest to the CPU pool.
    let jobs = "t,framework\n0,tensorflow\n10,sklearn\n20,tensorflow\n30,sparkml\n";
    let text = r#"
scenario routed { horizon = 1h  drain = true }
resource cpu { kind = pool  capacity = 4 }
resource gpu { kind = pool  capacity = 4 }
pipeline job {
  framework = choice { tensorflow: 0.5, sparkml: 0.3, sklearn: 0.2 }
  train { on = match framework { tensorflow => gpu, _ => cpu }  duration = 1min }
}
arrivals recorded {
  trace       = "jobs.csv"
  time_column = "t"
  pipeline    = job
  row { framework = row.framework }
}
"#;
    assert_eq!(
        replayed_on_pool(text, jobs, "gpu"),
        [(0.0, true), (10.0, false), (20.0, true), (30.0, false)]
    );
}

/// Runs `text`, which replays `jobs` (as `jobs.csv`), and says for each step, by the time it
/// was ready, whether it ran on `pool`.
fn replayed_on_pool(text: &str, jobs: &str, pool: &str) -> Vec<(f64, bool)> {
    let s = lower_with_files(text, &[("jobs.csv", jobs)]);
    let (_, rows) = run_traced(&s, 0);
    let pool = s.resources.iter().position(|r| r.name == pool).unwrap() as u32;
    let mut on_pool: Vec<(f64, bool)> = rows
        .steps
        .iter()
        .map(|step| (step.ready, step.resource == Some(pool)))
        .collect();
    on_pool.sort_by(|a, b| a.partial_cmp(b).unwrap());
    on_pool
}

#[test]
fn a_boolean_attribute_is_set_from_a_comparison_of_the_row() {
    // Preemptible jobs go to the spot pool: the trace says which with 0 or 1.
    let jobs = "t,preemptible\n0,1\n10,0\n20,1\n30,0\n";
    let text = r#"
scenario routed { horizon = 1h  drain = true }
resource gpu { kind = pool  capacity = 4 }
resource spot { kind = pool  capacity = 4 }
pipeline job {
  preemptible = bernoulli(p = 0.5)
  train { on = if preemptible then spot else gpu  duration = 1min }
}
arrivals recorded {
  trace       = "jobs.csv"
  time_column = "t"
  pipeline    = job
  row { preemptible = row.preemptible == 1 }
}
"#;
    assert_eq!(
        replayed_on_pool(text, jobs, "spot"),
        [(0.0, true), (10.0, false), (20.0, true), (30.0, false)]
    );
}

/// A pool without `autoscale` reports its capacity as it is in every replication, so that
/// the summary's interval on it is 0, not the 1e-15 of an integral's rounding.
#[test]
fn a_fixed_capacity_is_reported_exactly() {
    // A window (horizon less warm-up) that is no round number of seconds.
    let mut s = single_station(0.7, 3, exponential(1.0), 1234.567);
    s.warmup = 98.765;
    for replication in 0..5 {
        let result = run(&s, replication);
        assert_eq!(metric(&result, "resource.server.capacity.mean"), 3.0);
    }
}

/// A data set size that only a duration's affine part reads has its `exp` taken after the
/// instance's other draws (a speed-up of the year model); read by anything else (here an
/// `estimate`, which a `fifo` pool ignores) it is made in its place. Both give the same
/// workload, so every metric has the same bits, traced or not.
#[test]
fn a_size_made_late_gives_the_same_bits_as_one_made_in_place() {
    let late = r#"
scenario late {
  start   = "2019-01-07T00:00:00Z"
  horizon = 20d
  seed    = 3
}
resource cpu { kind = pool  capacity = 2 }
resource gpu { kind = pool  capacity = 3 }
dataset asset { size = lognormal(median = 200MB, sigma = 1.2) }
pipeline classic {
  data      = asset
  framework = choice { tensorflow: 0.45, sparkml: 0.35, sklearn: 0.20 }
  preprocess { on = cpu  duration = 10s + asset.size * 0.8s/GB + exponential(mean = 20s) }
  train {
    on       = match framework { tensorflow => gpu, _ => cpu }
    duration = match framework {
      tensorflow => lognormal(median = 20min, sigma = 0.9),
      _          => lognormal(median = 4min, sigma = 0.7),
    }
  }
  validate { on = cpu  duration = exponential(mean = 90s)  pass = 0.95 }
  compress { on = gpu  duration = exponential(mean = 4min) ESTIMATE }
}
arrivals triggers { interarrival = exponential(mean = 10min)  pipeline = classic }
"#;
    let made_late = lower(&late.replace("ESTIMATE", ""), &[]);
    let in_place = lower(
        &late.replace("ESTIMATE", "estimate = 4min + asset.size * 1s/GB"),
        &[],
    );
    let bits = |result: &ReplicationResult| -> Vec<(String, u64)> {
        result
            .metrics
            .iter()
            .map(|(name, value)| (name.clone(), value.to_bits()))
            .collect()
    };
    for replication in 0..3 {
        let late = run(&made_late, replication);
        assert!(late.get("pipeline.completed").unwrap() > 2000.0);
        assert_eq!(bits(&late), bits(&run(&in_place, replication)));
        let (traced, _) = run_traced(&made_late, replication);
        assert_eq!(bits(&late), bits(&traced));
    }
}
