//! The load `check` works out for each pool and link without running anything
//! (`analysis::load`, behind W0603 and W0604), against the utilization runs measure, and the
//! warnings themselves.

use pipesim::analysis::load;
use pipesim::diagnostic::Diagnostic;
use pipesim::frontend;
use pipesim::ir;
use pipesim::sim::run_replication;
use pipesim::sim::trace::NullSink;
use pipesim::stats::student_t;
use std::path::Path;

/// A resource's offered load over the measured window [warmup, horizon]: mean busy slots
/// over a pool's capacity, or bytes per second over a link's bandwidth; its metric; and
/// whether that is the mean itself or a bound from below.
struct Offered {
    name: String,
    metric: String,
    utilization: f64,
    exact: bool,
}

fn offered(scenario: &ir::Scenario) -> Vec<Offered> {
    let windows = load::offered_load(scenario);
    let (start, end) = (scenario.warmup.max(0.0), scenario.horizon);
    let mut resources = Vec::new();
    for (id, resource) in scenario.resources.iter().enumerate() {
        let (capacity, metric) = match &resource.kind {
            ir::ResourceKind::Pool(pool) => (f64::from(pool.capacity), "resource"),
            ir::ResourceKind::Link(link) => (link.bandwidth, "link"),
        };
        let overlap = |w: &load::Window| (w.to.min(end) - w.from.max(start)).max(0.0);
        let busy: f64 = windows.iter().map(|w| w.busy[id] * overlap(w)).sum::<f64>();
        resources.push(Offered {
            name: resource.name.clone(),
            metric: format!("{metric}.{}.utilization", resource.name),
            utilization: busy / (end - start) / capacity,
            exact: windows.iter().all(|w| w.exact[id]),
        });
    }
    resources
}

fn checked(path: &str, sets: &[&str]) -> (ir::Scenario, Vec<Diagnostic>) {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let checked = frontend::check_file(Path::new(path), &sets);
    let diagnostics = checked.diagnostics().0.clone();
    let scenario = checked
        .analysis
        .scenario
        .clone()
        .unwrap_or_else(|| panic!("{path} does not check: {diagnostics:?}"));
    (scenario, diagnostics)
}

/// Mean and 99% half-width of a metric over `n` replications.
fn measured(scenario: &ir::Scenario, metric: &str, n: u32) -> (f64, f64) {
    let values: Vec<f64> = (0..n)
        .map(|r| {
            run_replication(scenario, r, &mut NullSink)
                .get(metric)
                .unwrap_or_else(|| panic!("no metric `{metric}`"))
        })
        .collect();
    let k = f64::from(n);
    let mean = values.iter().sum::<f64>() / k;
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (k - 1.0);
    let t = student_t::quantile(0.995, k - 1.0);
    (mean, t * (variance / k).sqrt())
}

/// The year benchmark has a closed form for every pool's load: exponentiated Weibull
/// interarrivals under a weekly profile, a `choice` of framework that picks both the pool and
/// the duration of training (so the two must be worked out together), a duration affine in
/// the asset's size, and a 95% `pass` before the last step. Over a year, what a run measures
/// is that load, within its confidence interval. The links scenario's loads are exact too,
/// its link's among them: the bytes its steps read and write, a lognormal size scaled, over
/// the bandwidth, at 1 Gbit/s where the link is busy 89% of the time and at 10.
#[test]
fn an_exact_offered_load_is_the_utilization_a_run_measures() {
    for (path, sets) in [
        (
            "scenarios/bench/year.pipesim",
            &["scenario.horizon=91d"][..],
        ),
        ("scenarios/links.pipesim", &["storage.bandwidth=1Gbps"][..]),
        ("scenarios/links.pipesim", &["storage.bandwidth=10Gbps"][..]),
    ] {
        let (scenario, _) = checked(path, sets);
        for pool in offered(&scenario) {
            assert!(pool.exact, "{path}: `{}` has a closed form", pool.name);
            let (mean, half_width) = measured(&scenario, &pool.metric, 10);
            assert!(
                (pool.utilization - mean).abs() <= half_width,
                "{path}: `{}` offered {} against {mean} ± {half_width} measured",
                pool.name,
                pool.utilization
            );
        }
    }
}

/// A step run when a count drawn per pipeline reaches a threshold, and one run when a
/// continuous attribute exceeds one: the load offered through their chances is exact, and is
/// what runs measure (so the engine compares the values as the analysis does, `>=` on a
/// whole count included).
#[test]
fn an_exact_load_through_a_when_on_a_number_is_what_runs_measure() {
    let (scenario, diagnostics) = check_text(
        "scenario s { horizon = 60d  warmup = 1d }
resource gpu { kind = pool  capacity = 8 }
pipeline p {
  n = poisson(mean = 4)
  x = exponential(mean = 10)
  train when n >= 4 { on = gpu  duration = exponential(mean = 30min) }
  compress when x > 5 { on = gpu  duration = 20min }
}
arrivals a { rate = 6/h  pipeline = p }
",
    );
    let scenario = scenario.unwrap_or_else(|| panic!("{diagnostics:?}"));
    let gpu = offered(&scenario).into_iter().next().unwrap();
    assert!(gpu.exact);
    let expected = 6.0
        * ((1.0 - pipesim::math::exp(-4.0) * (1.0 + 4.0 + 8.0 + 32.0 / 3.0)) * 0.5
            + pipesim::math::exp(-0.5) / 3.0)
        / 8.0;
    assert!(
        (gpu.utilization - expected).abs() < 1e-12,
        "{}",
        gpu.utilization
    );
    let (mean, half_width) = measured(&scenario, &gpu.metric, 10);
    assert!(
        (gpu.utilization - mean).abs() <= half_width,
        "offered {} against {mean} ± {half_width} measured",
        gpu.utilization
    );
}

/// The quickstart's templates size their data sets with `max(100, round(lognormal(...)))`,
/// multiply two such attributes, and give lognormal durations medians that grow with the
/// size: no closed form, but bounds from below (the mean of a maximum is at least each
/// argument's, rounding loses at most half a unit, independent factors multiply their
/// means). Over 70 days, where the run's start and end weigh little, the bounds are below
/// what runs measure, and close to it.
#[test]
fn an_offered_load_known_from_below_is_at_most_what_runs_measure() {
    let (scenario, _) = checked("scenarios/quickstart.pipesim", &["scenario.horizon=70d"]);
    for pool in offered(&scenario) {
        assert!(!pool.exact, "`{}`'s load is only bounded", pool.name);
        let (mean, half_width) = measured(&scenario, &pool.metric, 8);
        assert!(
            pool.utilization <= mean + half_width,
            "`{}` offered at least {} against {mean} ± {half_width} measured",
            pool.name,
            pool.utilization
        );
        assert!(
            pool.utilization >= 0.9 * mean,
            "`{}`'s bound {} is far below {mean}",
            pool.name,
            pool.utilization
        );
    }
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.code).collect()
}

/// `check` warns when a pool is offered more than its slots can do, and only then: the
/// quickstart's 4 GPUs are offered about 2.44 slots of work; at 2 they are overloaded (and
/// a run then keeps them busy all the time), at 3 they are not.
#[test]
fn check_warns_of_a_pool_offered_more_than_it_can_do() {
    let (_, diagnostics) = checked("scenarios/quickstart.pipesim", &[]);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let (_, diagnostics) = checked("scenarios/quickstart.pipesim", &["gpu.capacity=3"]);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_overloaded(
        ("scenarios/quickstart.pipesim", "gpu.capacity=2"),
        "W0603",
        "`gpu` is offered more work than its 2 slots can do: it would keep at least 2.4",
        "resource.gpu.utilization",
    );
}

/// Checks `path` with `set`: a single warning `code` whose message says `says`, and a run
/// that keeps the overloaded resource busy all the time (`metric` above 97% over three
/// replications).
fn assert_overloaded((path, set): (&str, &str), code: &str, says: &str, metric: &str) {
    let (scenario, diagnostics) = checked(path, &[set]);
    assert_eq!(codes(&diagnostics), [code]);
    assert!(
        diagnostics[0].message.contains(says),
        "{}",
        diagnostics[0].message
    );
    let (mean, _) = measured(&scenario, metric, 3);
    assert!(
        mean > 0.97,
        "an overloaded resource is busy all the time: {mean}"
    );
}

/// `check` warns when a link is asked to move more bytes than its bandwidth can, and only
/// then: the links scenario's steps ask for 111 MB/s, which 1 Gbit/s (125 MB/s) carries and
/// 800 Mbit/s (100 MB/s) does not; a run then keeps the link busy all the time.
#[test]
fn check_warns_of_a_link_asked_for_more_than_it_can_move() {
    let (_, diagnostics) = checked("scenarios/links.pipesim", &["storage.bandwidth=1Gbps"]);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_overloaded(
        ("scenarios/links.pipesim", "storage.bandwidth=800Mbps"),
        "W0604",
        "`storage` is asked to move more than its 100 MB/s can: its transfers would ask for 111 MB/s on average",
        "link.storage.utilization",
    );
}

/// Writes `text` as a scenario and checks it.
fn check_text(text: &str) -> (Option<ir::Scenario>, Vec<Diagnostic>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("load.pipesim");
    std::fs::write(&path, text).unwrap();
    let checked = frontend::check_file(&path, &[]);
    let diagnostics = checked.diagnostics().0.clone();
    (checked.analysis.scenario.clone(), diagnostics)
}

/// What each construct of the language contributes, one case at a time, on a `gpu` pool fed
/// one pipeline a minute: the busy slots offered, and whether that is exact.
#[test]
fn each_construct_offers_its_mean_or_a_bound() {
    let cases: &[(&str, &str, f64, bool)] = &[
        (
            "a constant",
            "train { on = gpu  duration = 30s }",
            0.5,
            true,
        ),
        (
            "independent attributes multiply their means",
            "a = exponential(mean = 10)  b = uniform(min = 1, max = 3)
             train { on = gpu  duration = a * b * 1s }",
            20.0 / 60.0,
            true,
        ),
        (
            "an attribute times itself is not the square of its mean",
            "a = exponential(mean = 10)  train { on = gpu  duration = a * a * 1s }",
            0.0,
            false,
        ),
        (
            "a maximum is at least each argument",
            "train { on = gpu  duration = max(30s, exponential(mean = 10s)) }",
            0.5,
            false,
        ),
        (
            "the pool and the duration chosen by one attribute are worked out together",
            "kind = choice { big: 0.25, small: 0.75 }
             train {
               on       = match kind { big => gpu, small => cpu }
               duration = match kind { big => 240s, small => 4s }
             }",
            0.25 * 240.0 / 60.0,
            true,
        ),
        (
            "a lognormal whose median is an attribute",
            "m = uniform(min = 10, max = 50)
             train { on = gpu  duration = lognormal(median = m * 1s, sigma = 1) }",
            30.0 * pipesim::math::exp(0.5) / 60.0,
            true,
        ),
        (
            "a step after a validate runs as often as it passes",
            "validate { on = cpu  duration = 1s  pass = 0.25 }
             train { on = gpu  duration = 120s }",
            0.25 * 2.0,
            true,
        ),
        (
            "a step beside a validate runs at least as often",
            "preprocess { on = cpu  duration = 1s }
             validate { on = cpu  duration = 1s  pass = 0.25 }
             train after preprocess { on = gpu  duration = 120s }",
            0.25 * 2.0,
            false,
        ),
        (
            "a step whose `when` holds half the time runs half as often",
            "big = bernoulli(p = 0.5)  train when big { on = gpu  duration = 120s }",
            1.0,
            true,
        ),
        (
            "`when` on an attribute the duration depends on too",
            "kind = choice { big: 0.25, small: 0.75 }
             train when kind == big {
               on       = gpu
               duration = match kind { big => 240s, small => 4s }
             }",
            0.25 * 240.0 / 60.0,
            true,
        ),
        (
            "a pool chosen through an attribute computed from the one the duration reads",
            "kind = choice { big: 0.25, small: 0.75 }
             where = match kind { big => gpu, small => cpu }
             train {
               on       = where
               duration = match kind { big => 240s, small => 4s }
             }",
            0.25 * 240.0 / 60.0,
            true,
        ),
        (
            "a number computed from a `choice` that `when` also reads",
            "kind = choice { one: 0.5, three: 0.5 }
             n = match kind { one => 1, three => 3 }
             train when n > 2 { on = gpu  duration = n * 40s }",
            0.5 * 120.0 / 60.0,
            true,
        ),
        (
            "an `if` on a `bernoulli` attribute that `when` also reads",
            "big = bernoulli(p = 0.25)
             train when big { on = gpu  duration = if big then 240s else 4s }",
            0.25 * 240.0 / 60.0,
            true,
        ),
        (
            "a `when` comparing an attribute of its own with a constant holds by its law",
            "x = exponential(mean = 10)  train when x > 5 { on = gpu  duration = 120s }",
            2.0 * pipesim::math::exp(-0.5),
            true,
        ),
        (
            "a count's `when`, written either way round",
            "n = poisson(mean = 4)  train when 3 < n { on = gpu  duration = 120s }",
            // 1 - P(N <= 3) = 1 - e^-4 (1 + 4 + 8 + 32/3)
            2.0 * (1.0 - pipesim::math::exp(-4.0) * (1.0 + 4.0 + 8.0 + 32.0 / 3.0)),
            true,
        ),
        (
            "a count's `when` at or above its threshold counts the threshold",
            "n = poisson(mean = 4)  train when n >= 4 { on = gpu  duration = 120s }",
            2.0 * (1.0 - pipesim::math::exp(-4.0) * (1.0 + 4.0 + 8.0 + 32.0 / 3.0)),
            true,
        ),
        (
            "a size at or above its median",
            "size = lognormal(median = 1GB, sigma = 2)
             train when size >= 1GB { on = gpu  duration = 120s }",
            1.0,
            true,
        ),
        (
            "a Weibull's `when`, and an exponentiated Weibull's",
            "w = weibull(shape = 2, scale = 10)  e = exponweib(a = 2, c = 1, scale = 10)
             train when w > 10 { on = gpu  duration = 60s }
             compress when e <= 10 { on = gpu  duration = 60s }",
            // P(W > 10) = e^-1; P(E <= 10) = (1 - e^-1)^2
            pipesim::math::exp(-1.0)
                + (1.0 - pipesim::math::exp(-1.0)) * (1.0 - pipesim::math::exp(-1.0)),
            true,
        ),
        (
            "an Erlang's `when`, and a gamma's",
            "x = erlang(k = 2, mean = 20)  g = gamma(shape = 0.5, scale = 2)
             train when x <= 10 { on = gpu  duration = 60s }
             compress when g > 1 { on = gpu  duration = 60s }",
            // Rate 1/10, shape 2: P(X <= 10) = 1 - e^-1 (1 + 1). A gamma of shape 1/2 and
            // scale 2 is a chi-squared with one degree of freedom: P(G > 1) = P(|Z| > 1).
            1.0 - 2.0 * pipesim::math::exp(-1.0)
                + 2.0 * (1.0 - pipesim::math::standard_normal_cdf(1.0)),
            true,
        ),
        (
            "a `when` on a number the duration reads too may hold or not",
            "x = exponential(mean = 10)  train when x > 5 { on = gpu  duration = x * 12s }",
            0.0,
            false,
        ),
        (
            "a `when` on a number computed from another",
            "x = exponential(mean = 10)  y = x * 2  train when y > 5 { on = gpu  duration = 120s }",
            0.0,
            false,
        ),
        (
            "units take that many slots",
            "train { on = gpu  units = 3  duration = 20s }",
            1.0,
            true,
        ),
        (
            "units chosen per pipeline, at most the pool's slots as the engine takes them",
            "n = choice { one: 0.5, many: 0.5 }  k = match n { one => 1, many => 12 }
             train { on = gpu  units = k  duration = 30s }",
            // Half take one slot, half the whole pool of 8 (not 12).
            0.5 * (0.5 * 1.0 + 0.5 * 8.0),
            true,
        ),
        (
            "units that the duration reads too count as one slot",
            "n = choice { one: 0.5, three: 0.5 }  k = match n { one => 1, three => 3 }
             train { on = gpu  units = k  duration = k * 30s }",
            // E[k * 30s] = 60s a minute at one slot; the mean of the product is more.
            1.0,
            false,
        ),
    ];
    for (what, body, busy, exact) in cases {
        let text = format!(
            "scenario s {{ horizon = 7d }}
resource gpu {{ kind = pool  capacity = 8 }}
resource cpu {{ kind = pool  capacity = 8 }}
pipeline p {{
  {body}
}}
arrivals a {{ interarrival = 1min  pipeline = p }}
"
        );
        let (scenario, diagnostics) = check_text(&text);
        let scenario = scenario.unwrap_or_else(|| panic!("{what}: {diagnostics:?}"));
        let gpu = offered(&scenario)
            .into_iter()
            .find(|p| p.name == "gpu")
            .unwrap();
        let got = gpu.utilization * 8.0;
        assert!(
            (got - busy).abs() <= 1e-9 * busy.max(1.0),
            "{what}: {got} busy slots, expected {busy}"
        );
        assert_eq!(gpu.exact, *exact, "{what}: exactness");
    }
}

/// `units` resampled from a column count each value as the engine takes it: jobs of 1 or 3
/// GPUs (2 on average), two an hour for an hour each, offer 4 busy slots. Counted as one slot
/// each, a pool of 3 was told it was two-thirds busy while its queue grew without end; now it
/// is told of the overload, and a pool of 10 is offered exactly what runs measure.
#[test]
fn units_resampled_from_a_column_count_their_mean() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("g.csv"), "g\n1\n3\n").unwrap();
    let path = dir.path().join("s.pipesim");
    let check = |capacity: u32| {
        std::fs::write(
            &path,
            format!(
                "scenario s {{ horizon = 60d  warmup = 2d }}
resource gpu {{ kind = pool  capacity = {capacity} }}
pipeline p {{
  gpus = empirical(\"g.csv\", column = \"g\")
  train {{ on = gpu  units = gpus  duration = exponential(mean = 1h) }}
}}
arrivals a {{ rate = 2/h  pipeline = p }}
"
            ),
        )
        .unwrap();
        frontend::check_file(&path, &[])
    };
    let small = check(3);
    let codes: Vec<&str> = small.diagnostics().0.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["W0603"], "{:?}", small.diagnostics().0);

    let large = check(10);
    assert!(
        large.diagnostics().0.is_empty(),
        "{:?}",
        large.diagnostics().0
    );
    let scenario = large.analysis.scenario.clone().unwrap();
    let gpu = offered(&scenario).into_iter().next().unwrap();
    assert!(gpu.exact);
    assert!((gpu.utilization - 0.4).abs() < 1e-12, "{}", gpu.utilization);
    let (mean, half_width) = measured(&scenario, &gpu.metric, 10);
    assert!(
        (gpu.utilization - mean).abs() <= half_width,
        "offered {} against {mean} ± {half_width} measured",
        gpu.utilization
    );
}

/// Arrivals that overload a pool for a while and stop before the horizon leave the queue
/// time to drain, which is what such a scenario studies: no warning. Arrivals that start late
/// and last to the horizon are reported from when they start.
#[test]
fn only_an_overload_that_lasts_to_the_horizon_is_reported() {
    let scenario = |window: &str| {
        format!(
            "scenario s {{ horizon = 7d }}
resource gpu {{ kind = pool  capacity = 2 }}
pipeline p {{ train {{ on = gpu  duration = 10min }} }}
arrivals steady {{ interarrival = 1h  pipeline = p }}
arrivals burst {{ rate = 30/h  {window}  pipeline = p }}
"
        )
    };
    let (_, diagnostics) = check_text(&scenario("stop = 1d"));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let (_, diagnostics) = check_text(&scenario("start = 3d"));
    assert_eq!(codes(&diagnostics), ["W0603"]);
    let message = &diagnostics[0].message;
    assert!(
        message.contains("from 3d on: it would keep 5.17 busy"),
        "{message}"
    );
}

/// A replayed trace is judged on the window the run counts: a quiet start before `warmup`
/// does not dilute a load that overwhelms the pool after it. A steady rate stays one window
/// whether or not `warmup` cuts it.
#[test]
fn a_replayed_trace_is_judged_on_the_window_after_the_warmup() {
    let dir = tempfile::tempdir().unwrap();
    // A job a day for four days, then one every 20 minutes for three days: an hour's work
    // each on a pool of 2, so 3 busy slots offered after day 4, 1.31 over the whole week.
    let mut jobs = String::from("time\n");
    for day in 0..4 {
        jobs += &format!("{}\n", day * 86_400);
    }
    for k in 0..216 {
        jobs += &format!("{}\n", 4 * 86_400 + k * 1200);
    }
    std::fs::write(dir.path().join("jobs.csv"), jobs).unwrap();
    let check = |warmup: &str, arrivals: &str| {
        let path = dir.path().join("replay.pipesim");
        let text = format!(
            "scenario s {{ horizon = 7d  warmup = {warmup} }}
resource gpu {{ kind = pool  capacity = 2 }}
pipeline p {{ train {{ on = gpu  duration = 1h }} }}
arrivals jobs {{ {arrivals}  pipeline = p }}
"
        );
        std::fs::write(&path, text).unwrap();
        let checked = frontend::check_file(&path, &[]);
        let diagnostics = checked.diagnostics().0.clone();
        let scenario = checked.analysis.scenario.clone().expect("checks");
        (scenario, diagnostics)
    };
    let replay = "trace = \"jobs.csv\"  time_column = \"time\"";

    let (scenario, diagnostics) = check("0s", replay);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let windows = load::offered_load(&scenario);
    assert_eq!(windows.len(), 1);
    assert!(
        (windows[0].busy[0] - 220.0 / 168.0).abs() < 1e-9,
        "{windows:?}"
    );

    let (scenario, diagnostics) = check("4d", replay);
    assert_eq!(codes(&diagnostics), ["W0603"]);
    let message = &diagnostics[0].message;
    assert!(
        message.contains("from 4d on: it would keep 3 busy"),
        "{message}"
    );
    let windows = load::offered_load(&scenario);
    let spans: Vec<_> = windows.iter().map(|w| (w.from, w.to)).collect();
    assert_eq!(
        spans,
        [(0.0, 4.0 * 86_400.0), (4.0 * 86_400.0, 7.0 * 86_400.0)]
    );
    assert!(
        (windows[0].busy[0] - 4.0 / 96.0).abs() < 1e-9,
        "{windows:?}"
    );
    // The hover's figure is the counted window's too.
    assert!((load::resource_loads(&scenario)[0].busy - 3.0).abs() < 1e-9);
    // Every row within the horizon starts a pipeline, warm-up or not.
    let triggers = load::triggers_per_replication(&scenario, &windows);
    assert_eq!(triggers.len(), 1);
    assert!((triggers[0] - 220.0).abs() < 1e-9, "{triggers:?}");

    // Arrivals at a steady rate offer the same on both sides of the warm-up: one window.
    let (scenario, _) = check("4d", "interarrival = 1h");
    let windows = load::offered_load(&scenario);
    let spans: Vec<_> = windows.iter().map(|w| (w.from, w.to)).collect();
    assert_eq!(spans, [(0.0, 7.0 * 86_400.0)]);
}

/// Loads beyond what a number can hold are said so, and a billion slots are not suggested:
/// the rate's unit is the likely mistake.
#[test]
fn an_astronomical_load_is_reported_without_a_slot_count() {
    let (_, diagnostics) = check_text(
        "scenario s { horizon = 7d }
resource gpu { kind = pool  capacity = 8 }
pipeline p { train { on = gpu  duration = 1e10s } }
arrivals a { interarrival = 1e-300s  pipeline = p }
",
    );
    // Arrivals this fast also start more pipelines than a run could simulate (W0605).
    assert_eq!(codes(&diagnostics), ["W0605", "W0603"]);
    let diagnostic = &diagnostics[1];
    assert!(
        diagnostic
            .message
            .ends_with("it would keep more than 1e308 busy on average"),
        "{}",
        diagnostic.message
    );
    let help = diagnostic.help.as_deref().unwrap();
    assert!(help.ends_with("(`rate = 30/h` is not `30/s`)"), "{help}");
}

/// A replication that would start a hundred million pipelines or more, about a minute of
/// simulation, is warned of (W0605) with its count and the time it would take, at the
/// horizon and at each arrivals declaration; one under the threshold is not. Arrivals count
/// only between their `start` and `stop`.
#[test]
fn check_warns_of_a_replication_that_starts_too_many_pipelines() {
    let scenario = |horizon: &str, arrivals: &str| {
        format!(
            "scenario s {{ horizon = {horizon} }}
resource gpu {{ kind = pool  capacity = 1 }}
pipeline p {{ train {{ on = gpu  duration = 0.5s }} }}
arrivals a {{ interarrival = 1s  {arrivals}  pipeline = p }}
"
        )
    };
    // 1157 days of one arrival a second: 99,964,800 pipelines.
    let (checked, diagnostics) = check_text(&scenario("1157d", ""));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let checked = checked.unwrap();
    let triggers = load::triggers_per_replication(&checked, &load::offered_load(&checked));
    assert_eq!(triggers, [1157.0 * 86_400.0]);

    let (_, diagnostics) = check_text(&scenario("1158d", ""));
    assert_eq!(codes(&diagnostics), ["W0605"]);
    let diagnostic = &diagnostics[0];
    assert_eq!(
        diagnostic.message,
        "each replication would start about 100 million pipelines, for about 50s of simulation"
    );
    let labels: Vec<&str> = diagnostic.labels.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        labels,
        ["a horizon of 1158d", "`a` starts 100 million of them"]
    );

    // The same horizon with arrivals for a tenth of it is no warning.
    let (checked, diagnostics) = check_text(&scenario("1158d", "start = 100d  stop = 215.8d"));
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let checked = checked.unwrap();
    let triggers = load::triggers_per_replication(&checked, &load::offered_load(&checked));
    assert!(
        (triggers[0] - 115.8 * 86_400.0).abs() < 1e-3,
        "{triggers:?}"
    );

    // A horizon no run can finish.
    let (_, diagnostics) = check_text(&scenario("1e300d", ""));
    assert_eq!(codes(&diagnostics), ["W0605"]);
    assert!(
        diagnostics[0]
            .message
            .ends_with("for about 1.37e291 years of simulation"),
        "{}",
        diagnostics[0].message
    );
}

fn pipesim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// `check --load` prints each pool's offered load: exact for the year benchmark; for the
/// model-quality scenario, window by window (its onboarding arrivals stop at 3 days), and
/// bounds where retraining runs (not counted) also use a pool, and no column for its sweep of
/// the policy, which changes no load; for the growth scenario, at each sweep point (its GPUs
/// saturate at twice the users on 8 slots); for the Philly replay, row by row of the real
/// trace, at each capacity, its sweeps of backfilling and estimates changing no load.
#[test]
fn check_load_prints_the_offered_load_of_each_pool() {
    for (name, path) in [
        ("year", "scenarios/bench/year.pipesim"),
        ("model_quality", "scenarios/model_quality.pipesim"),
        ("growth", "scenarios/growth.pipesim"),
        ("philly_replay", "scenarios/philly_replay.pipesim"),
    ] {
        let output = pipesim(&["check", "--load", path]);
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        insta::assert_snapshot!(name, stdout);
    }
    let output = pipesim(&[
        "check",
        "--load",
        "--format",
        "github",
        "scenarios/quickstart.pipesim",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("`--load` prints a table or JSON"),
        "{stderr}"
    );
}

/// `check --load --format json`, for a CI gate on capacity: the diagnostics as `--format json`
/// gives them, and a row per sweep point, window and resource, numbers in base units. Without
/// `--load` the output stays the contract's array of diagnostics.
#[test]
fn check_load_in_json_gives_a_row_per_point_and_resource() {
    let output = pipesim(&[
        "check",
        "--load",
        "--format",
        "json",
        "scenarios/growth.pipesim",
        "scenarios/links.pipesim",
    ]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["diagnostics"], serde_json::json!([]));
    let rows = json["load"].as_array().unwrap();
    // growth: 9 points of cpu, gpu and storage, before and after its warm-up of a day (its
    // profile's Monday is busier than its mean); links: 3 points of cpu, gpu and storage.
    assert_eq!(rows.len(), 9 * 3 * 2 + 3 * 3, "{json:#}");
    // The last window's row: the one judged.
    let row = |file: &str, param: &str, value: serde_json::Value, resource: &str| {
        rows.iter()
            .rev()
            .find(|r| {
                r["file"] == file
                    && r["params"][param] == value
                    && r["resource"] == resource
                    && (file != "scenarios/growth.pipesim" || r["params"]["gpu.capacity"] == 8)
            })
            .unwrap_or_else(|| panic!("no row for {resource} at {param}={value}"))
    };
    // Twice the triggers on 8 GPUs after the warm-up: at least 120.0%, a bound.
    let gpu = row(
        "scenarios/growth.pipesim",
        "triggers.growth",
        serde_json::json!(2),
        "gpu",
    );
    assert_eq!(gpu["kind"], "pool");
    assert_eq!(gpu["capacity"], 8.0);
    assert_eq!(gpu["exact"], false);
    let utilization = gpu["utilization"].as_f64().unwrap();
    assert!((1.200..1.201).contains(&utilization), "{gpu}");
    assert_eq!(gpu["from"], 86400.0);
    assert_eq!(gpu["to"], 14.0 * 86400.0);
    // The links scenario's link at 1 Gbit/s, in bytes per second: exact, 88.6% busy.
    let link = row(
        "scenarios/links.pipesim",
        "storage.bandwidth",
        serde_json::json!(125_000_000),
        "storage",
    );
    assert_eq!(link["kind"], "link");
    assert_eq!(link["capacity"], 1.25e8);
    assert_eq!(link["exact"], true);
    let offered = link["offered"].as_f64().unwrap();
    assert!((1.10e8..1.12e8).contains(&offered), "{link}");

    // The pipelines a replication starts, per point: growth's triggers scale with
    // `triggers.growth` and not with the GPUs.
    let triggers = json["triggers"].as_array().unwrap();
    assert_eq!(triggers.len(), 9 + 3, "{json:#}");
    let count = |growth: f64, gpus: u32| {
        triggers
            .iter()
            .find(|t| {
                t["file"] == "scenarios/growth.pipesim"
                    && t["params"]["triggers.growth"].as_f64() == Some(growth)
                    && t["params"]["gpu.capacity"] == gpus
            })
            .and_then(|t| t["per_replication"].as_f64())
            .unwrap()
    };
    assert!(count(1.0, 8) > 1000.0, "{json:#}");
    assert!((count(2.0, 8) / count(1.0, 8) - 2.0).abs() < 1e-9);
    assert_eq!(count(2.0, 16), count(2.0, 8));

    let output = pipesim(&["check", "--format", "json", "scenarios/links.pipesim"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json, serde_json::json!([]));
}

/// A module without a `scenario` block has no horizon: `check --load` says so and still
/// passes the file.
#[test]
fn check_load_of_a_module_says_there_is_no_horizon() {
    let output = pipesim(&["check", "--load", "stdlib/aiops.pipesim"]);
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            "stdlib/aiops.pipesim: no `scenario` block, so no horizon to work out a load over"
        ),
        "{stderr}"
    );
}

/// An autoscaled pool is judged against the most slots it can grow to: 4 slots that may grow
/// to 24 are not overloaded by 4.87 busy slots (the shipped scenario), but are by six
/// times its triggers, and the message names `autoscale.max`.
#[test]
fn an_autoscaled_pool_is_judged_against_its_maximum() {
    let (_, diagnostics) = checked("scenarios/autoscale.pipesim", &[]);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let (_, diagnostics) = checked("scenarios/autoscale.pipesim", &["triggers.growth=6"]);
    assert_eq!(codes(&diagnostics), ["W0603"]);
    assert!(
        diagnostics[0]
            .message
            .starts_with("`gpu` is offered more work than its `autoscale.max` of 24 slots can do"),
        "{}",
        diagnostics[0].message
    );
}

/// A monitor's checks of a model (behind its W0605): ticks over the horizon times one plus the
/// mean live models, from the arrivals' starts and the models' `lifetime`. One start every 30
/// minutes for 14 days is 672 models: 336 live on average without a lifetime, and
/// `48/d * (2d - (2d)^2 / (2 * 14d))` with a lifetime of two days.
#[test]
fn a_monitors_checks_count_its_ticks_times_the_live_models() {
    let scenario = |lifetime: &str, watched: &str| {
        let text = format!(
            "scenario s {{ horizon = 14d }}\n\
             resource gpu {{ kind = pool  capacity = 50 }}\n\
             pipeline production {{\n  train {{ on = gpu  duration = 10min  accuracy = 0.9 }}\n  \
             model {{ drift = 0.1%/d {lifetime} }}\n}}\n\
             pipeline other {{\n  train {{ on = gpu  duration = 10min  accuracy = 0.9 }}\n  \
             model {{ drift = 0.1%/d }}\n}}\n\
             arrivals deploys {{ interarrival = 30min  pipeline = production }}\n\
             arrivals others {{ interarrival = 1h  pipeline = other }}\n\
             monitor stale {{ every = 10s  when = model.accuracy < 0.5  retrain = true {watched} }}\n"
        );
        let (scenario, diagnostics) = check_text(&text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        scenario.unwrap()
    };
    let checks = |scenario: &ir::Scenario| {
        let windows = load::offered_load(scenario);
        load::monitor_checks(scenario, &windows, &scenario.monitors[0])
    };
    let ticks = 14.0 * 86400.0 / 10.0;
    let close = |got: f64, want: f64| assert!((got / want - 1.0).abs() < 1e-9, "{got} != {want}");
    close(
        checks(&scenario("", "pipelines = [production]")),
        ticks * (1.0 + 336.0),
    );
    close(
        checks(&scenario("lifetime = 2d", "pipelines = [production]")),
        ticks * (1.0 + 48.0 * (2.0 - 4.0 / 28.0)),
    );
    // Without `pipelines`, a monitor watches every template with a model: 336 live
    // `production` models and 168 `other` ones.
    close(checks(&scenario("", "")), ticks * (1.0 + 336.0 + 168.0));
}

/// A profile moves arrivals within the week, so a window that is not whole weeks receives
/// the profile's mean over it, on the calendar from `scenario.start` (a Monday by default).
/// office_hours' days sum to 5.2, so a day's mean is its factor times 7 / 5.2: Monday to
/// Friday (4.9 over five days) is 1.3192, and 7.5 pipelines an hour of an hour's work keep
/// 9.89 of 8 GPUs busy (124%), 1187 pipelines in five days, which a run counts.
#[test]
fn a_profile_counts_the_days_a_window_covers() {
    let text = |warmup: &str| {
        format!(
            "import \"std/profiles\" as profiles
scenario s {{ horizon = 5d  warmup = {warmup} }}
resource gpu {{ kind = pool  capacity = 8 }}
pipeline p {{ train {{ on = gpu  duration = exponential(mean = 1h) }} }}
arrivals a {{ rate = 7.5/h  profile = profiles.office_hours  pipeline = p }}
experiment {{ replications = 20 }}
"
        )
    };
    let week = 4.9 / 5.0 * 7.0 / 5.2;
    let (scenario, diagnostics) = check_text(&text("0s"));
    let scenario = scenario.unwrap();
    assert_eq!(codes(&diagnostics), ["W0603"]);
    let message = &diagnostics[0].message;
    assert!(message.contains("it would keep 9.89 busy"), "{message}");
    assert_eq!(diagnostics[0].labels[0].text, "124% of its capacity");
    let windows = load::offered_load(&scenario);
    assert_eq!(windows.len(), 1);
    assert!(
        (windows[0].busy[0] - 7.5 * week).abs() < 1e-9,
        "{windows:?}"
    );
    let triggers = load::total_triggers(&scenario, &windows);
    let expected = 7.5 * 120.0 * week;
    assert!((triggers - expected).abs() < 1e-6, "{triggers}");
    // Arrivals are a Poisson process in profile time: their mean count is that, exactly.
    let (arrived, half_width) = measured(&scenario, "pipeline.arrived", 20);
    assert!(
        (arrived - expected).abs() < half_width,
        "{arrived} ± {half_width} against {expected}"
    );

    // After a warm-up of Monday and Tuesday the run counts Wednesday to Friday (2.9 over
    // three days): the load is judged there, and the counted window's figure is its.
    let (scenario, diagnostics) = check_text(&text("2d"));
    let scenario = scenario.unwrap();
    assert_eq!(codes(&diagnostics), ["W0603"]);
    let counted = 7.5 * 2.9 / 3.0 * 7.0 / 5.2;
    let windows = load::offered_load(&scenario);
    let spans: Vec<_> = windows.iter().map(|w| (w.from, w.to)).collect();
    assert_eq!(
        spans,
        [(0.0, 2.0 * 86_400.0), (2.0 * 86_400.0, 5.0 * 86_400.0)]
    );
    assert!((windows[1].busy[0] - counted).abs() < 1e-9, "{windows:?}");
    assert!((load::resource_loads(&scenario)[0].busy - counted).abs() < 1e-9);
    let triggers = load::total_triggers(&scenario, &windows);
    assert!((triggers - expected).abs() < 1e-6, "{triggers}");
}

/// Arrivals for one day under a profile start that day's share: 6 an hour on a Tuesday
/// (factor 1 of the week's 5.2) start 193.8, on a Saturday (0.15) 29.1.
#[test]
fn arrivals_for_a_day_start_that_days_share_of_the_week() {
    let (scenario, diagnostics) = check_text(
        "import \"std/profiles\" as profiles
scenario s { horizon = 7d }
resource gpu { kind = pool  capacity = 8 }
pipeline p { train { on = gpu  duration = 10min } }
arrivals tuesday { rate = 6/h  start = 1d  stop = 2d  profile = profiles.office_hours  pipeline = p }
arrivals saturday { rate = 6/h  start = 5d  stop = 6d  profile = profiles.office_hours  pipeline = p }
",
    );
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let scenario = scenario.unwrap();
    let triggers = load::triggers_per_replication(&scenario, &load::offered_load(&scenario));
    let day = 6.0 * 24.0 * 7.0 / 5.2;
    assert_eq!(triggers.len(), 2);
    assert!((triggers[0] - day).abs() < 1e-9, "{triggers:?}");
    assert!((triggers[1] - 0.15 * day).abs() < 1e-9, "{triggers:?}");
}

/// An autoscaled pool's slots in `check --load` run from `min` to `max` at every sweep point:
/// `capacity` is only the size it starts at, and it shrinks to `min` when idle. A sweep of
/// that size within the range changes neither the range nor the load: one row.
#[test]
fn check_load_gives_an_autoscaled_pool_its_range_at_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("autoscaled.pipesim");
    std::fs::write(
        &path,
        "scenario s { horizon = 7d }
resource gpu {
  kind = pool  capacity = 8
  autoscale { min = 8  max = 12  step = 1  when_queue_above = 2  for = 5min  idle_release = 30min  provision = 2min }
}
pipeline p { train { on = gpu  duration = 1h } }
arrivals a { rate = 4/h  pipeline = p }
experiment { replications = 2  sweep gpu.capacity = [8, 12] }
",
    )
    .unwrap();
    let output = pipesim(&["check", "--load", path.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.matches("8 to 12").count(), 1, "{stdout}");
    assert!(!stdout.contains("12 to 12"), "{stdout}");
    assert!(
        stdout.contains("The sweep of `gpu.capacity` changes no load."),
        "{stdout}"
    );
}
