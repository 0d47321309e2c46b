//! `pipesim fit`: maximum-likelihood recovery of known parameters from synthetic samples
//! (fixed seeds; tolerances are multiples of the standard error the sample size implies), the
//! grouped-data treatment of rounded times, the weekly profile, and the real Philly trace end
//! to end through the binary.

// The platform's functions are independent references, and `fit` itself uses them.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use pipesim::fit::{self, ExpWeib, FitOptions, Grouped, TimeKind};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How many standard errors an estimate may stray: for a normal estimator the chance of a
/// larger error is 6e-5 per parameter, so a failure means a biased or broken fit, not bad luck.
const Z: f64 = 4.0;

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Draws from the exponentiated Weibull by inverting its CDF, written out here independently
/// of `fit::ExpWeib::quantile`: F(x) = (1 - exp(-(x/s)^c))^a = u  =>  x = s (-ln(1 - u^(1/a)))^(1/c).
fn exponweib_sample(a: f64, c: f64, scale: f64, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = rng(seed);
    (0..n)
        .map(|_| {
            let u: f64 = rng.random_range(f64::EPSILON..1.0);
            scale * (-(1.0 - u.powf(1.0 / a)).ln()).powf(1.0 / c)
        })
        .collect()
}

fn assert_within(name: &str, estimate: f64, truth: f64, standard_error: f64) {
    assert!(
        standard_error > 0.0 && standard_error.is_finite(),
        "{name}: standard error {standard_error} is not usable"
    );
    assert!(
        (estimate - truth).abs() <= Z * standard_error,
        "{name}: estimate {estimate} is {:.2} standard errors ({standard_error}) from the true {truth}",
        (estimate - truth).abs() / standard_error
    );
}

fn assert_recovers(truth: ExpWeib, n: usize, seed: u64) {
    let sample = exponweib_sample(truth.a, truth.c, truth.scale, n, seed);
    let fitted = fit::fit_exponweib(&Grouped::exact(sample)).expect("fit succeeds");
    assert!(
        fitted.at_bound.is_empty(),
        "fit hit a bound: {:?}",
        fitted.at_bound
    );
    let errors = fitted
        .standard_errors
        .expect("an interior optimum has standard errors");
    assert_within("a", fitted.dist.a, truth.a, errors[0]);
    assert_within("c", fitted.dist.c, truth.c, errors[1]);
    assert_within("scale", fitted.dist.scale, truth.scale, errors[2]);
    // The standard errors themselves must shrink like 1/sqrt(n): a sanity bound that catches a
    // Hessian that is off by orders of magnitude (which would make the checks above vacuous).
    for (name, error, value) in [
        ("a", errors[0], truth.a),
        ("c", errors[1], truth.c),
        ("scale", errors[2], truth.scale),
    ] {
        let relative = error / value;
        assert!(
            relative < 20.0 / (n as f64).sqrt() && relative > 0.05 / (n as f64).sqrt(),
            "{name}: relative standard error {relative} is implausible for n = {n}"
        );
    }
    // Under the true model with estimated parameters, the KS distance stays below the 5%
    // critical value of a fully specified null (estimating parameters only makes it smaller).
    assert!(
        fitted.ks < fit::ks_critical_5_percent(n),
        "KS D = {} above the 5% critical value {}",
        fitted.ks,
        fit::ks_critical_5_percent(n)
    );
}

#[test]
fn exponweib_mle_recovers_the_papers_shape() {
    // The shape LANGUAGE.md's example uses: a > 1, c < 1.
    assert_recovers(
        ExpWeib {
            a: 1.8,
            c: 0.7,
            scale: 110.0,
        },
        4000,
        1,
    );
}

#[test]
fn exponweib_mle_recovers_a_shape_with_a_below_one() {
    assert_recovers(
        ExpWeib {
            a: 0.6,
            c: 1.6,
            scale: 30.0,
        },
        4000,
        2,
    );
}

#[test]
fn exponweib_mle_recovers_the_exponential_special_case() {
    // a = c = 1 is the exponential: the fit must not wander off along the family's ridges.
    assert_recovers(
        ExpWeib {
            a: 1.0,
            c: 1.0,
            scale: 60.0,
        },
        4000,
        3,
    );
}

#[test]
fn exponweib_mle_on_a_large_sample_uses_the_subsample_race_and_still_recovers() {
    // Above 10,000 values the starts race on a subsample before the full-data polish.
    assert_recovers(
        ExpWeib {
            a: 2.5,
            c: 0.5,
            scale: 40.0,
        },
        30_000,
        4,
    );
}

#[test]
fn times_rounded_to_whole_seconds_give_zero_gaps_that_the_fit_absorbs() {
    // Submit times recorded to the second, as real traces are: with a median gap of a few
    // seconds a fifth of the recorded gaps are zero. A density-only likelihood would be
    // infinite; the grouped likelihood must still recover the parameters.
    let truth = ExpWeib {
        a: 0.8,
        c: 0.9,
        scale: 6.0,
    };
    let gaps = exponweib_sample(truth.a, truth.c, truth.scale, 6000, 5);
    let mut t = 1_000_000.0;
    let mut csv = String::from("submitted,other\n");
    for gap in gaps {
        t += gap;
        csv.push_str(&format!("{},x\n", t.floor()));
    }
    csv.push('\n'); // a blank last line, as the Philly trace has
    let trace = fit::read_trace_from(csv.as_bytes(), "synthetic.csv", "submitted", &[])
        .expect("trace reads");
    assert_eq!(trace.time_kind, TimeKind::Seconds);
    assert_eq!(trace.resolution, 1.0);
    let options = FitOptions {
        profile: false,
        ..FitOptions::default()
    };
    let fitted = fit::fit_trace(&trace, &options).expect("fit succeeds");
    let zeros = fitted.interarrival.zeros as f64 / fitted.interarrival.n as f64;
    assert!(zeros > 0.1, "the test needs many zero gaps, got {zeros}");
    let errors = fitted
        .interarrival
        .standard_errors
        .expect("standard errors");
    assert_within("a", fitted.interarrival.dist.a, truth.a, errors[0]);
    assert_within("c", fitted.interarrival.dist.c, truth.c, errors[1]);
    assert_within(
        "scale",
        fitted.interarrival.dist.scale,
        truth.scale,
        errors[2],
    );
}

#[test]
fn lognormal_mle_recovers_mu_and_sigma() {
    let (mu, sigma, n) = ((600.0f64).ln(), 1.2, 5000);
    let mut rng = rng(6);
    let normal = rand_distr::Normal::new(mu, sigma).unwrap();
    let sample: Vec<f64> = (0..n)
        .map(|_| rand_distr::Distribution::sample(&normal, &mut rng).exp())
        .collect();
    let fitted = fit::fit_lognormal(&sample).expect("fit succeeds");
    // Closed-form standard errors of the maximum-likelihood estimates.
    assert_within("mu", fitted.mu, mu, sigma / (n as f64).sqrt());
    assert_within(
        "sigma",
        fitted.sigma,
        sigma,
        sigma / (2.0 * n as f64).sqrt(),
    );
    assert!(fitted.ks < fit::ks_critical_5_percent(n));
}

#[test]
fn ks_rejects_a_lognormal_for_uniform_data() {
    // A goodness-of-fit number that cannot tell a bad fit from a good one is no use.
    let mut rng = rng(7);
    let sample: Vec<f64> = (0..5000).map(|_| rng.random_range(100.0..200.0)).collect();
    let fitted = fit::fit_lognormal(&sample).expect("fit succeeds");
    assert!(
        fitted.ks > 2.0 * fit::ks_critical_5_percent(5000),
        "KS D = {} does not reject",
        fitted.ks
    );
}

/// Arrivals of a Poisson process whose rate on weekdays is `weekday_factor` times the
/// weekend's, for `weeks` weeks from a Monday 00:00 (time 0), by thinning.
fn weekly_poisson(
    weeks: usize,
    weekend_rate_per_hour: f64,
    weekday_factor: f64,
    seed: u64,
) -> Vec<f64> {
    let mut rng = rng(seed);
    let peak = weekend_rate_per_hour * weekday_factor / 3600.0;
    let horizon = weeks as f64 * 7.0 * 86_400.0;
    let mut times = Vec::new();
    let mut t = 0.0;
    loop {
        let u: f64 = rng.random_range(f64::EPSILON..1.0);
        t += -u.ln() / peak;
        if t >= horizon {
            break;
        }
        let weekday = (t / 86_400.0).floor() as usize % 7 < 5;
        let keep = if weekday { 1.0 } else { 1.0 / weekday_factor };
        if rng.random_range(0.0..1.0) < keep {
            times.push(t);
        }
    }
    times
}

#[test]
fn weekly_profile_recovers_a_weekday_effect() {
    // 20 weeks at 30 arrivals an hour on weekends and 60 on weekdays: the weekday mean
    // multiplier is 60/mean and the weekend one 30/mean, mean = (5*60 + 2*30)/7.
    let times = weekly_poisson(20, 30.0, 2.0, 8);
    let profile = fit::weekly_profile(&times, TimeKind::Seconds);
    let mean_rate = (5.0 * 60.0 + 2.0 * 30.0) / 7.0;
    let (weekday, weekend) = profile.weekday_weekend_means();
    // Standard errors by the delta method. The weekday rate rests on 5 x 24 x 20 = 2400 hours
    // at 60 (144,000 arrivals), the weekend rate on 960 hours at 30 (28,800); relative errors
    // e_d = 1/sqrt(144000), e_e = 1/sqrt(28800). The weekday multiplier is r_d / m with
    // m = (5 r_d + 2 r_e) / 7, so d ln(r_d/m) = (1/6) d ln r_d - (1/6) d ln r_e; the weekend
    // multiplier's is (5/6) d ln r_e - (5/6) d ln r_d.
    let (e_d, e_e) = (1.0 / 144_000.0f64.sqrt(), 1.0 / 28_800.0f64.sqrt());
    let combined = (e_d * e_d + e_e * e_e).sqrt();
    let weekday_truth = 60.0 / mean_rate;
    let weekend_truth = 30.0 / mean_rate;
    assert_within(
        "weekday multiplier",
        weekday,
        weekday_truth,
        weekday_truth * combined / 6.0,
    );
    assert_within(
        "weekend multiplier",
        weekend,
        weekend_truth,
        weekend_truth * combined * 5.0 / 6.0,
    );
    let mean: f64 = profile.multipliers.iter().sum::<f64>() / 168.0;
    assert!((mean - 1.0).abs() < 1e-9, "profile mean {mean} is not 1");
}

#[test]
fn profile_time_of_a_flat_profile_is_calendar_time() {
    let flat = fit::WeeklyProfile::flat();
    for t in [0.0, 1234.5, 86_400.0 * 3.3, 1.5e9] {
        let calendar = flat.profile_time(t, TimeKind::Calendar);
        assert!((calendar - t).abs() < 1e-6, "{calendar} != {t}");
    }
}

#[test]
fn profile_time_runs_at_the_profile_rate() {
    // A profile twice as busy on weekdays: one weekday hour is 2x the weekend's in profile time.
    let times = weekly_poisson(20, 30.0, 2.0, 9);
    let profile = fit::weekly_profile(&times, TimeKind::Seconds);
    let monday_hour = profile.profile_time(3600.0 * 11.0, TimeKind::Seconds)
        - profile.profile_time(3600.0 * 10.0, TimeKind::Seconds);
    let saturday = 5.0 * 86_400.0;
    let saturday_hour = profile.profile_time(saturday + 3600.0 * 11.0, TimeKind::Seconds)
        - profile.profile_time(saturday + 3600.0 * 10.0, TimeKind::Seconds);
    let close = |x: f64, y: f64| (x - y).abs() < 1e-6 * y;
    assert!(close(monday_hour, profile.multipliers[10] * 3600.0));
    assert!(close(
        saturday_hour,
        profile.multipliers[5 * 24 + 10] * 3600.0
    ));
    // The busy hour really is about twice as long in profile time as the quiet one.
    assert!((monday_hour / saturday_hour - 2.0).abs() < 0.2);
    // A whole week of profile time is a week.
    let week = profile.profile_time(7.0 * 86_400.0 + 100.0, TimeKind::Seconds)
        - profile.profile_time(100.0, TimeKind::Seconds);
    assert!((week - 7.0 * 86_400.0).abs() < 1e-6);
}

#[test]
fn parse_time_reads_numbers_and_date_times() {
    let (seconds, kind, resolution) = fit::parse_time("2017-10-09 07:01:55").unwrap();
    assert_eq!(kind, TimeKind::Calendar);
    assert_eq!(seconds, 1_507_532_515.0);
    assert_eq!(resolution, 1.0);
    let (rfc, _, _) = fit::parse_time("2017-10-09T09:01:55+02:00").unwrap();
    assert_eq!(rfc, seconds);
    let (_, _, millis) = fit::parse_time("2017-10-09T07:01:55.250Z").unwrap();
    assert_eq!(millis, 0.001);
    assert_eq!(
        fit::parse_time("12.50"),
        Some((12.5, TimeKind::Seconds, 0.01))
    );
    assert_eq!(
        fit::parse_time("1e3"),
        Some((1000.0, TimeKind::Seconds, 1000.0))
    );
    assert_eq!(fit::parse_time("yesterday"), None);
}

#[test]
fn nelder_mead_finds_the_rosenbrock_minimum() {
    let rosenbrock = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
    let (x, fx) = fit::nelder_mead_restarted(&rosenbrock, &[-1.2, 1.0], 0.5, 1e-14, 20_000);
    assert!(fx < 1e-10, "f = {fx} at {x:?}");
    assert!(
        (x[0] - 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4,
        "{x:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Through the binary

fn pipesim(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("pipesim runs")
}

fn philly_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/data/philly/jobs.csv")
}

/// The profile matrix of a module written by `pipesim fit`: 7 rows of 24 numbers, however
/// the rows are laid out over lines.
fn profile_matrix(module: &str) -> Vec<Vec<f64>> {
    let start = module.find("matrix = [").expect("a matrix") + "matrix = [".len();
    let body: String = module[start..]
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    let mut rows = Vec::new();
    let mut rest = body.as_str();
    while let Some(open) = rest.find('[') {
        let close = rest.find(']').expect("brackets close");
        if close < open {
            break; // the matrix's own closing bracket
        }
        rows.push(
            rest[open + 1..close]
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| v.parse::<f64>().expect("a number"))
                .collect(),
        );
        rest = &rest[close + 1..];
    }
    rows
}

#[test]
fn fitting_the_philly_trace_writes_a_module_that_checks_clean_and_shows_the_weekday_effect() {
    let dir = tempfile::tempdir().unwrap();
    let trace = philly_trace();
    let output = pipesim(
        &[
            "fit",
            trace.to_str().unwrap(),
            "--duration-column",
            "duration",
            "-o",
            "philly_fit.pipesim",
        ],
        dir.path(),
    );
    assert!(
        output.status.success(),
        "fit failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let module = std::fs::read_to_string(dir.path().join("philly_fit.pipesim")).unwrap();
    assert!(module.contains("// 82247 submit times from 2017-09-04 10:30:41 UTC"));
    assert!(module.contains("6664 interarrivals (8.1%) are zero"));
    assert!(module.contains("interarrival = exponweib(a = "));
    assert!(module.contains("duration = lognormal(median = "));

    let matrix = profile_matrix(&module);
    assert_eq!(matrix.len(), 7);
    assert!(matrix.iter().all(|row| row.len() == 24));
    let day_mean = |day: usize| matrix[day].iter().sum::<f64>() / 24.0;
    let weekday = (0..5).map(day_mean).sum::<f64>() / 5.0;
    let weekend = (5..7).map(day_mean).sum::<f64>() / 2.0;
    // The trace has 10k-17k jobs per weekday and about 7k per weekend day over 16 weeks; with
    // tens of thousands of arrivals behind each mean, a ratio under 1.5 would be a broken
    // estimate, not noise.
    assert!(
        weekday / weekend > 1.5,
        "weekday mean {weekday} vs weekend mean {weekend}"
    );

    // Written in the canonical layout: formatting it (say, on save) changes nothing.
    let fmt = pipesim(&["fmt", "--check", "philly_fit.pipesim"], dir.path());
    assert!(
        fmt.status.success(),
        "the fitted module is not formatted:\n{}",
        String::from_utf8_lossy(&fmt.stderr)
    );

    let check = pipesim(&["check", "philly_fit.pipesim"], dir.path());
    assert!(
        check.status.success(),
        "the fitted module does not check clean:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn fit_names_a_missing_column_and_suggests_the_closest() {
    let dir = tempfile::tempdir().unwrap();
    let trace = philly_trace();
    let output = pipesim(
        &[
            "fit",
            trace.to_str().unwrap(),
            "--time-column",
            "timestamps",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has no column `timestamps`: did you mean `timestamp`?"),
        "{stderr}"
    );
}

#[test]
fn fit_says_when_a_trace_is_separated_by_semicolons_or_tabs() {
    let dir = tempfile::tempdir().unwrap();
    for (separator, said) in [(";", "with `;`"), ("\t", "with tabs")] {
        std::fs::write(
            dir.path().join("jobs.csv"),
            format!("timestamp{separator}duration\n1{separator}5\n2{separator}6\n"),
        )
        .unwrap();
        let output = pipesim(&["fit", "jobs.csv"], dir.path());
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("seems to separate its columns {said}"))
                && stderr.contains("save the file as CSV with commas")
                && !stderr.contains("did you mean"),
            "{stderr}"
        );
    }
}

/// A column of a few whole numbers (GPUs per job) given as durations is fitted, and told
/// apart: the note names the `empirical` that draws it as recorded, which checks as written.
/// A column of many durations in whole seconds gets no such note.
#[test]
fn fit_tells_a_column_of_counts_from_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("timestamp,duration,gpus\n");
    for i in 0..400u64 {
        let gpus = [1, 1, 1, 2, 4, 8][(i * 7 % 6) as usize];
        csv.push_str(&format!(
            "{},{},{gpus}\n",
            i * 97 % 1000 + i * 1000,
            30 + i * 13 % 977
        ));
    }
    std::fs::write(dir.path().join("jobs.csv"), csv).unwrap();
    let output = pipesim(
        &[
            "fit",
            "jobs.csv",
            "--no-profile",
            "--duration-column",
            "duration",
            "--duration-column",
            "gpus",
        ],
        dir.path(),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let module = String::from_utf8_lossy(&output.stdout);
    let note = "note: only 4 distinct whole numbers, 1 to 8";
    assert_eq!(module.matches(note).count(), 1, "{module}");
    let gpus_section = &module[module.find("Column `gpus`").unwrap()..];
    assert!(gpus_section.contains(note), "{module}");
    assert!(
        module.contains("`empirical(\"jobs.csv\", column = \"gpus\")`"),
        "{module}"
    );
    // The suggestion is the language's.
    std::fs::write(
        dir.path().join("s.pipesim"),
        "scenario s { horizon = 1d }
resource gpu { kind = pool  capacity = 8 }
pipeline job { train { on = gpu  units = empirical(\"jobs.csv\", column = \"gpus\")  duration = 1h } }
arrivals a { rate = 1/h  pipeline = job }
",
    )
    .unwrap();
    let check = pipesim(&["check", "s.pipesim"], dir.path());
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn fit_points_at_the_line_with_a_bad_time() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.csv"),
        "timestamp,duration\n2017-10-09 07:01:55,5\n2017-10-09 07:0x:55,6\n",
    )
    .unwrap();
    let output = pipesim(&["fit", "bad.csv"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 3 of `bad.csv`: `2017-10-09 07:0x:55` in column `timestamp`"),
        "{stderr}"
    );
}

#[test]
fn fit_writes_to_stdout_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("t\n");
    for t in weekly_poisson(2, 20.0, 2.0, 10) {
        csv.push_str(&format!("{t:.3}\n"));
    }
    std::fs::write(dir.path().join("short.csv"), csv).unwrap();
    let output = pipesim(&["fit", "short.csv", "--time-column", "t"], dir.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("// Fitted by `pipesim fit` from `short.csv`."));
    assert!(stdout.contains("profile weekly {"));
    assert_eq!(profile_matrix(&stdout).len(), 7);
}

// ---------------------------------------------------------------------------------------------
// Round trips through the engine: arrivals that pipesim simulates from known parameters are
// fitted back. This checks the fit against the engine's own sampler and its profile-time
// semantics, which the fitted module must reproduce.

/// Runs `scenario` (one replication) and returns the path of its `arrivals.csv` trace.
fn simulated_arrivals(dir: &Path, scenario: &str) -> PathBuf {
    std::fs::write(dir.join("synthetic.pipesim"), scenario).unwrap();
    let output = pipesim(
        &[
            "run",
            "synthetic.pipesim",
            "--replications",
            "1",
            "--trace",
            "all",
            "--out",
            "run",
        ],
        dir,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join("run/traces/arrivals.csv")
}

#[test]
fn fit_recovers_the_exponweib_the_engine_sampled() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals = simulated_arrivals(
        dir.path(),
        "scenario synthetic { horizon = 21d  seed = 5 }\n\
         resource cpu { kind = pool  capacity = 100 }\n\
         pipeline job { task { on = cpu  duration = 1s } }\n\
         arrivals triggers {\n\
           interarrival = exponweib(a = 1.8, c = 0.7, scale = 60s)\n\
           pipeline     = job\n\
         }\n",
    );
    let trace = fit::read_trace(&arrivals, "time", &[]).unwrap();
    let options = FitOptions {
        profile: false,
        ..FitOptions::default()
    };
    let fitted = fit::fit_trace(&trace, &options).unwrap();
    let ia = &fitted.interarrival;
    assert!(ia.n > 10_000, "only {} interarrivals", ia.n);
    let errors = ia.standard_errors.expect("standard errors");
    assert_within("a", ia.dist.a, 1.8, errors[0]);
    assert_within("c", ia.dist.c, 0.7, errors[1]);
    assert_within("scale", ia.dist.scale, 60.0, errors[2]);
}

/// A profile's zeros are hours and days without arrivals: office hours on weekdays only. The
/// other hours share every arrival, and the profile keeps the overall mean rate.
#[test]
fn a_profile_of_zeros_gives_hours_and_days_without_arrivals() {
    let dir = tempfile::tempdir().unwrap();
    let arrivals = simulated_arrivals(
        dir.path(),
        "scenario synthetic { start = \"2019-01-07T00:00:00Z\"  horizon = 14d  seed = 3 }\n\
         resource cpu { kind = pool  capacity = 100 }\n\
         pipeline job { task { on = cpu  duration = 1s } }\n\
         profile office {\n\
           hours = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]\n\
           days  = [1, 1, 1, 1, 1, 0, 0]\n\
         }\n\
         arrivals triggers { rate = 30/h  profile = office  pipeline = job }\n",
    );
    let trace = fit::read_trace(&arrivals, "time", &[]).unwrap();
    let outside: Vec<f64> = trace
        .times
        .iter()
        .copied()
        .filter(|&t| {
            let hour_of_week = (t / 3600.0).floor() as u64 % 168;
            let (day, hour) = (hour_of_week / 24, hour_of_week % 24);
            day >= 5 || !(8..18).contains(&hour)
        })
        .collect();
    assert!(
        outside.is_empty(),
        "arrivals outside office hours: {outside:?}"
    );
    // Poisson: 30 per hour over 336 hours; four standard deviations.
    let expected = 30.0 * 336.0;
    let count = trace.times.len() as f64;
    assert!(
        (count - expected).abs() < 4.0 * f64::sqrt(expected),
        "{count} arrivals, expected about {expected}"
    );
}

#[test]
fn fit_recovers_the_weekly_profile_the_engine_followed() {
    // Poisson arrivals at 60 an hour on average, twice as many per hour on weekdays as on
    // weekends: normalised, weekdays get 2 x 7/12 and weekends 7/12 of the mean rate.
    let dir = tempfile::tempdir().unwrap();
    let arrivals = simulated_arrivals(
        dir.path(),
        "scenario synthetic { horizon = 28d  seed = 6 }\n\
         resource cpu { kind = pool  capacity = 100 }\n\
         pipeline job { task { on = cpu  duration = 1s } }\n\
         profile business {\n\
           hours = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n\
           days  = [2, 2, 2, 2, 2, 1, 1]\n\
         }\n\
         arrivals triggers {\n\
           rate     = 60/h\n\
           profile  = business\n\
           pipeline = job\n\
         }\n",
    );
    let trace = fit::read_trace(&arrivals, "time", &[]).unwrap();
    let profile = fit::weekly_profile(&trace.times, trace.time_kind);
    let (weekday, weekend) = profile.weekday_weekend_means();
    let (weekday_truth, weekend_truth) = (14.0 / 12.0, 7.0 / 12.0);
    // Delta-method errors as in `weekly_profile_recovers_a_weekday_effect`: 4 weeks of
    // weekdays at 70/h (33,600 arrivals) and of weekends at 35/h (6,720 arrivals).
    let (e_d, e_e) = (1.0 / 33_600.0f64.sqrt(), 1.0 / 6_720.0f64.sqrt());
    let combined = (e_d * e_d + e_e * e_e).sqrt();
    assert_within(
        "weekday multiplier",
        weekday,
        weekday_truth,
        weekday_truth * combined / 6.0,
    );
    assert_within(
        "weekend multiplier",
        weekend,
        weekend_truth,
        weekend_truth * combined * 5.0 / 6.0,
    );
}

#[test]
fn profile_exposure_counts_each_weekday_hour_the_span_covers() {
    // From Monday 00:00 through 52 whole weeks and 5.5 more hours: Monday's first five hours
    // are covered 53 times, the sixth 52.5 times, every other hour of the week 52 times.
    let week = 7.0 * 86_400.0;
    let last = 52.0 * week + 5.5 * 3600.0;
    let profile = fit::weekly_profile(&[0.0, 1000.0, last], TimeKind::Seconds);
    for (hour, &exposure) in profile.exposure.iter().enumerate() {
        let expected = match hour {
            0..=4 => 53.0,
            5 => 52.5,
            _ => 52.0,
        };
        assert!(
            (exposure - expected).abs() < 1e-9,
            "hour {hour}: exposure {exposure}, expected {expected}"
        );
    }
    assert_eq!(profile.counts[0], 2);
    assert_eq!(profile.counts[5], 1);
}

#[test]
fn fit_refuses_times_too_large_to_be_seconds() {
    let csv = "t\n0\n1e13\n5\n7\n";
    let error = fit::read_trace_from(csv.as_bytes(), "huge.csv", "t", &[]).unwrap_err();
    assert!(error.0.contains("line 3 of `huge.csv`"), "{error}");
}

#[test]
fn the_written_module_reads_as_documented() {
    // Two weeks of date-times with a weekday effect, rounded to whole seconds, and a duration
    // column: the module a user gets, whole (fixed seed, so the numbers are stable).
    let mut rng = rng(11);
    let mut csv = String::from("submitted,runtime\n");
    let start = 1_546_819_200.0; // 2019-01-07 00:00:00 UTC, a Monday
    let normal = rand_distr::Normal::new((300.0f64).ln(), 0.8).unwrap();
    for t in weekly_poisson(2, 20.0, 2.0, 12) {
        let when = chrono::DateTime::from_timestamp((start + t).floor() as i64, 0).unwrap();
        let runtime = rand_distr::Distribution::sample(&normal, &mut rng).exp();
        csv.push_str(&format!(
            "{},{runtime:.1}\n",
            when.format("%Y-%m-%d %H:%M:%S")
        ));
    }
    let trace = fit::read_trace_from(
        csv.as_bytes(),
        "two_weeks.csv",
        "submitted",
        &["runtime".to_string()],
    )
    .unwrap();
    let options = FitOptions {
        import_path: "two_weeks.pipesim".to_string(),
        ..FitOptions::default()
    };
    let fitted = fit::fit_trace(&trace, &options).unwrap();
    insta::assert_snapshot!(fit::render_module(
        "two_weeks.csv",
        &trace,
        &fitted,
        &options
    ));
}

#[test]
fn a_spreadsheet_csv_with_a_byte_order_mark_and_crlf_lines_reads() {
    let csv =
        "\u{feff}timestamp,duration\r\n2019-01-07 10:00:00,5\r\n2019-01-07 10:00:07,6\r\n\r\n";
    let trace = fit::read_trace_from(
        csv.as_bytes(),
        "excel.csv",
        "timestamp",
        &["duration".into()],
    )
    .unwrap();
    assert_eq!(trace.times, vec![1_546_855_200.0, 1_546_855_207.0]);
    assert_eq!(trace.durations[0].1, vec![5.0, 6.0]);
}

// ---------------------------------------------------------------------------------------------
// pipesim's own traces: sweep points and replications share one clock

/// A swept, replicated run with every replication traced: Poisson arrivals, a mean gap of
/// 60 s at point 0 and 20 s at point 1, four replications each. Returns the run directory.
fn swept_replicated_run(dir: &Path) -> PathBuf {
    std::fs::write(
        dir.join("swept.pipesim"),
        "scenario swept { horizon = 2d  seed = 7 }\n\
         resource cpu { kind = pool  capacity = 100 }\n\
         pipeline job { task { on = cpu  duration = 1s } }\n\
         arrivals triggers { rate = 60/h  pipeline = job }\n\
         experiment {\n\
           replications = 4\n\
           sweep triggers.rate = [60/h, 180/h]\n\
         }\n",
    )
    .unwrap();
    let output = pipesim(
        &["run", "swept.pipesim", "--trace", "all", "--out", "run"],
        dir,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join("run")
}

/// Rows of `pipelines.csv` per (point, replication), counted from the file itself.
fn rows_per_run(csv: &Path) -> std::collections::BTreeMap<(u64, u64), usize> {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("point,replication,"));
    let mut counts = std::collections::BTreeMap::new();
    for line in lines {
        let mut fields = line.split(',');
        let point: u64 = fields.next().unwrap().parse().unwrap();
        let replication: u64 = fields.next().unwrap().parse().unwrap();
        *counts.entry((point, replication)).or_insert(0) += 1;
    }
    counts
}

/// By default one sweep point (the first) is fitted, its replications pooled with every gap
/// taken within a replication: the fitted mean gap is the simulated one, not a quarter of it
/// (four replications overlaid) or a mix of both points' rates.
#[test]
fn fit_of_a_swept_replicated_run_fits_one_point_and_gaps_within_replications() {
    let dir = tempfile::tempdir().unwrap();
    let run = swept_replicated_run(dir.path());
    let csv = run.join("traces/pipelines.csv");
    let rows = rows_per_run(&csv);
    assert_eq!(rows.len(), 8, "{rows:?}");
    let options = FitOptions {
        profile: false,
        ..FitOptions::default()
    };
    for (choose, truth) in [
        (fit::Choose::default(), 60.0),
        (
            fit::Choose {
                point: Some(1),
                replication: None,
            },
            20.0,
        ),
    ] {
        let point = choose.point.unwrap_or(0);
        let trace = fit::read_trace_choosing(&csv, "arrival", &[], choose).unwrap();
        let selection = trace.selection.clone().expect("a pipesim trace");
        assert_eq!(selection.points, vec![0, 1]);
        assert_eq!(selection.point, point);
        assert_eq!(selection.replications, vec![0, 1, 2, 3]);
        assert_eq!(trace.runs.len(), 4);
        let point_rows: usize = (0..4).map(|r| rows[&(point, r)]).sum();
        assert_eq!(trace.times.len(), point_rows);
        let fitted = fit::fit_trace(&trace, &options).unwrap();
        // One gap fewer than rows in each replication: none across replications.
        assert_eq!(fitted.interarrival.n, point_rows - 4);
        // Exponential gaps: the mean's standard error is the mean over sqrt(n).
        let n = fitted.interarrival.n as f64;
        assert_within(
            &format!("point {point}'s mean gap"),
            fitted.interarrival_mean,
            truth,
            truth / n.sqrt(),
        );
    }
}

/// Through the binary: `--point` and `--replication` choose, stderr and the module say what
/// was fitted and how to choose, and the module checks clean where it is written.
#[test]
fn fit_names_the_point_and_replication_it_fitted_of_a_pipesim_trace() {
    let dir = tempfile::tempdir().unwrap();
    let run = swept_replicated_run(dir.path());
    let rows = rows_per_run(&run.join("traces/pipelines.csv"));

    // Without `--time-column`: pipesim's traces have no `timestamp`; a pipeline's time is
    // its `arrival`, and the note says so.
    let output = pipesim(
        &["fit", "run/traces/pipelines.csv", "--no-profile"],
        dir.path(),
    );
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let module = String::from_utf8_lossy(&output.stdout);
    for text in [&stderr, &module] {
        assert!(
            text.contains("fitted sweep point 0 (triggers.rate=60/h) of the trace's points 0, 1")
                && text.contains("choose one with `--point K`")
                && text.contains("its 4 replications (0, 1, 2, 3) pooled")
                && text.contains("`--replication N`")
                && text.contains("times from its `arrival` column"),
            "{text}"
        );
    }
    let gaps: usize = (0..4).map(|replication| rows[&(0, replication)] - 1).sum();
    let n = format!("n = {gaps} interarrivals");
    assert!(module.contains(&n), "{n} in {module}");

    std::fs::create_dir(dir.path().join("models")).unwrap();
    let output = pipesim(
        &[
            "fit",
            "run/traces/pipelines.csv",
            "--time-column",
            "arrival",
            "--point",
            "1",
            "--replication",
            "2",
            "-o",
            "models/point1.pipesim",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("fitted sweep point 1 (triggers.rate=180/h) of the trace's points 0, 1")
            && stderr.contains("replication 2 alone, of the point's 4 traced"),
        "{stderr}"
    );
    let module = std::fs::read_to_string(dir.path().join("models/point1.pipesim")).unwrap();
    // Imports are relative to the importer: the usage names the module from where `fit` ran.
    assert!(
        module.contains("//   import \"models/point1.pipesim\" as fitted"),
        "{module}"
    );
    let n = format!("n = {} interarrivals", rows[&(1, 2)] - 1);
    assert!(module.contains(&n), "{n} in {module}");
    let check = pipesim(&["check", "models/point1.pipesim"], dir.path());
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // A point or replication the trace lacks is an error naming those it has.
    let output = pipesim(
        &[
            "fit",
            "run/traces/pipelines.csv",
            "--time-column",
            "arrival",
            "--point",
            "5",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has no rows of sweep point 5 (its points: 0, 1)"),
        "{stderr}"
    );
    let output = pipesim(
        &[
            "fit",
            "run/traces/pipelines.csv",
            "--time-column",
            "arrival",
            "--replication",
            "9",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has no rows of replication 9 at sweep point 0"),
        "{stderr}"
    );
}

/// `--point` on a trace without pipesim's columns says what it is for.
#[test]
fn point_on_a_recorded_trace_is_an_error() {
    let csv = "timestamp\n1\n2\n3\n5\n";
    let error = fit::read_trace_from_choosing(
        csv.as_bytes(),
        "jobs.csv",
        "timestamp",
        &[],
        fit::Choose {
            point: Some(0),
            replication: None,
        },
    )
    .unwrap_err();
    assert!(
        error
            .0
            .contains("`jobs.csv` has no `point` and `replication` columns"),
        "{error}"
    );
}

/// Replications over the same clock add their arrivals and their hours: two identical runs
/// give the profile of one, with twice the counts and exposure.
#[test]
fn the_profile_of_replications_adds_counts_and_hours() {
    let times = weekly_poisson(2, 20.0, 2.0, 21);
    let one = fit::weekly_profile(&times, TimeKind::Seconds);
    let two = fit::weekly_profile_of_runs(&[&times, &times], TimeKind::Seconds);
    assert_eq!(one.multipliers, two.multipliers);
    for hour in 0..168 {
        assert_eq!(two.counts[hour], 2 * one.counts[hour]);
        assert_eq!(two.exposure[hour], 2.0 * one.exposure[hour]);
    }
}

/// The `empirical(...)` that the note on a column of counts suggests names the trace relative
/// to the module's folder, where the module is written elsewhere than the trace: pasted into
/// the module, it loads, also when a scenario in a third folder imports the module.
#[test]
fn the_suggested_empirical_path_is_relative_to_the_written_module() {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["data", "models", "scenarios"] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
    }
    let mut csv = String::from("timestamp,gpus\n");
    for i in 0..400u64 {
        let gpus = [1, 1, 2, 4, 8][(i * 7 % 5) as usize];
        csv.push_str(&format!("{},{gpus}\n", i * 97 % 1000 + i * 1000));
    }
    std::fs::write(dir.path().join("data/jobs.csv"), csv).unwrap();
    let output = pipesim(
        &[
            "fit",
            "data/jobs.csv",
            "--no-profile",
            "--duration-column",
            "gpus",
            "-o",
            "models/fitted.pipesim",
        ],
        dir.path(),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let module = std::fs::read_to_string(dir.path().join("models/fitted.pipesim")).unwrap();
    let start = module.find("`empirical(").expect("the note") + 1;
    let expression = &module[start..start + module[start..].find('`').unwrap()];
    assert_eq!(
        expression,
        "empirical(\"../data/jobs.csv\", column = \"gpus\")"
    );
    std::fs::write(
        dir.path().join("models/fitted.pipesim"),
        format!(
            "{module}\nresource gpu {{ kind = pool  capacity = 8 }}\n\
             pipeline job {{ train {{ on = gpu  units = {expression}  duration = 1h }} }}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("scenarios/s.pipesim"),
        "import \"../models/fitted.pipesim\" as fitted\n\
         scenario s { horizon = 1d }\n\
         arrivals a { rate = 1/h  pipeline = fitted.job }\n",
    )
    .unwrap();
    // From another working folder, so that nothing resolves against it.
    let check = pipesim(&["check", "s.pipesim"], &dir.path().join("scenarios"));
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// The mean multipliers of weekdays and of the weekend, as the module's comment gives them.
fn weekday_weekend(module: &str) -> (f64, f64) {
    let line = module
        .lines()
        .find(|l| l.starts_with("// Mean multiplier Monday-Friday "))
        .unwrap_or_else(|| panic!("no mean multipliers in {module}"));
    let numbers: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|w| w.trim_end_matches('.').parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

/// A run that starts on a Wednesday: its traces' times count from there (manifest.json), so
/// the fitted profile has the scenario's busy weekdays and quiet weekend (about 1.2 and 0.5),
/// not the same pattern moved two days (time 0 read as a Monday puts the weekday peaks on the
/// weekend). `--start` says what a trace without its run counts from.
#[test]
fn fit_counts_a_runs_times_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.pipesim");
    let output = pipesim(
        &[
            "run",
            scenario.to_str().unwrap(),
            "--set",
            "scenario.start=\"2019-01-09T00:00:00Z\"",
            "--trace",
            "all",
            "--out",
            "run",
        ],
        dir.path(),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let output = pipesim(&["fit", "run/traces/pipelines.csv"], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("times count from the run's start, 2019-01-09T00:00:00Z"),
        "{stderr}"
    );
    let module = String::from_utf8_lossy(&output.stdout);
    assert!(module.contains("submit times from 2019-01-09 "), "{module}");
    let (weekdays, weekend) = weekday_weekend(&module);
    assert!(weekdays > 1.05 && weekend < 0.8, "{weekdays} {weekend}");

    // arrivals.csv's submit times are its `time`; steps.csv and resources.csv hold none.
    let output = pipesim(&["fit", "run/traces/arrivals.csv"], dir.path());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("times from its `time` column"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for trace in ["steps", "resources"] {
        let output = pipesim(&["fit", &format!("run/traces/{trace}.csv")], dir.path());
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("holds no submit times"), "{stderr}");
        assert!(stderr.contains("`pipelines.csv`"), "{stderr}");
    }

    // Half the waits are zero (pipelines that never queued): the lognormal of the others
    // comes with a caution and the column's `empirical`.
    let output = pipesim(
        &[
            "fit",
            "run/traces/pipelines.csv",
            "--duration-column",
            "wait",
        ],
        dir.path(),
    );
    let module = String::from_utf8_lossy(&output.stdout);
    assert!(
        module.contains("are zero or below, which no lognormal")
            && module.contains("column = \"wait\")"),
        "{module}"
    );
    let output = pipesim(
        &[
            "fit",
            "run/traces/pipelines.csv",
            "--duration-column",
            "makespan",
        ],
        dir.path(),
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains("caution:"));

    // The same trace moved away from its run: time 0 is a Monday unless `--start` says.
    std::fs::copy(
        dir.path().join("run/traces/pipelines.csv"),
        dir.path().join("alone.csv"),
    )
    .unwrap();
    let output = pipesim(&["fit", "alone.csv"], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("give the run's start with `--start`"),
        "{stderr}"
    );
    let (weekdays_moved, weekend_moved) = weekday_weekend(&String::from_utf8_lossy(&output.stdout));
    assert!(
        weekend_moved > weekend + 0.2,
        "{weekdays_moved} {weekend_moved}"
    );
    let output = pipesim(
        &["fit", "alone.csv", "--start", "2019-01-09 00:00:00"],
        dir.path(),
    );
    assert!(output.status.success());
    assert_eq!(
        weekday_weekend(&String::from_utf8_lossy(&output.stdout)),
        (weekdays, weekend)
    );

    // A trace of date-times counts from them: `--start` is not used, and says so.
    let output = pipesim(
        &[
            "fit",
            philly_trace().to_str().unwrap(),
            "--start",
            "2019-01-09 00:00:00",
        ],
        dir.path(),
    );
    assert!(output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("`--start` is not used"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let output = pipesim(&["fit", "alone.csv", "--start", "Wednesday"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("`--start Wednesday` is not a date-time"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `-o` into a folder that does not exist is refused before the fit, naming the folder
/// (not the temporary file the write would have used).
#[test]
fn fit_into_a_missing_folder_names_it_before_fitting() {
    let dir = tempfile::tempdir().unwrap();
    let output = pipesim(
        &[
            "fit",
            philly_trace().to_str().unwrap(),
            "-o",
            "some/dir/module.pipesim",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("the folder `some/dir` does not exist") && !stderr.contains(".pipesim-"),
        "{stderr}"
    );
}
