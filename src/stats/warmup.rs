//! The warm-up check: does the scenario's `warmup` cover the initial transient?
//!
//! A run starts empty, so early pipelines wait less than in the steady state the figures are
//! meant to describe (or more, after a burst). Pipelines arriving before `warmup` are not
//! counted; if the waits still drift after it, every figure carries that bias, and more
//! replications only narrow the confidence interval around the wrong value.
//!
//! The input: each replication's completed pipelines' waits in batches of arrival time from
//! `warmup` on ([`WaitBatches`]; whole days or weeks under a profile).
//!
//! 1. Where the waits settle. With at least [`MIN_BATCHES`] batches, MSER (White 1997;
//!    Franklin and White 2008) on the batch mean waits pooled over the replications (an
//!    ensemble average, so one replication's noise does not pass for a trend): it cuts the
//!    first `d` batches where `d` minimises `Σ_{i≥d} (Y_i - Ȳ_d)² / (n - d)²`, the squared
//!    standard error of the mean of the rest, over `d ≤ n / 2`. A minimum at `d = n / 2`
//!    means the series does not settle in the first half: the run is *drifting* (an
//!    overload, or a horizon too short for the system's time scale). With fewer batches
//!    (a profile's weeks over a month's horizon) the candidate is `d = 1`: does the first
//!    batch differ from the rest?
//! 2. Whether it matters. Each replication's mean wait counted from `warmup`, minus the same
//!    counted from the end of batch `d`: the *shift* a longer warm-up would make. Paired
//!    within replications, its noise is only the cut batches'. The run is *biased* when the
//!    shift's confidence interval (Student t over the replications) excludes zero and the
//!    shift is larger than the confidence half-width of `pipeline.wait.mean`: the
//!    systematic error is then real and larger than the statistical one the summary reports.
//!    With one replication, the shift of the pooled series is held against MSER's own
//!    standard error instead.
//!
//! Invariant: a pure function of the batches, summed in replication order, so a merged run's
//! check is the same bits as the unsharded run's.

use crate::sim::batches::WaitBatches;

/// Fewer batches than this with completed pipelines leave MSER nothing to judge a trend by.
pub const MIN_BATCHES: usize = 10;

#[derive(Clone, Debug, PartialEq)]
pub enum WarmupCheck {
    /// No check possible, and why.
    NotChecked {
        reason: String,
    },
    Checked(Checked),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The waits settle before `warmup` ends, or drift too little to matter.
    Settled,
    /// They settle after `warmup`, by more than the confidence interval.
    Biased,
    /// They do not settle within the first half of the counted time.
    Drifting,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Settled => "settled",
            Verdict::Biased => "biased",
            Verdict::Drifting => "drifting",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub verdict: Verdict,
    /// The scenario's `warmup`, seconds: where the batches start.
    pub warmup: f64,
    /// Batch width, seconds of arrival time.
    pub width: f64,
    /// The pooled mean wait of each batch (NaN where no pipeline completed).
    pub mean_wait: Vec<f64>,
    /// Where the waits have settled: the start of the first batch kept (`warmup` when none
    /// is cut).
    pub settled: f64,
    /// Mean wait counted from `warmup` minus counted from `settled` (mean over replications).
    pub shift: f64,
    /// The shift's confidence half-width (NaN when it has none).
    pub shift_ci: f64,
}

/// Checks one point from its replications' batches (in replication order). `wait_ci`: the
/// confidence half-width of the point's `pipeline.wait.mean`, if it has one. `None` when a
/// replication has no batches (a run written before they existed).
pub fn check(
    replications: &[Option<&WaitBatches>],
    wait_ci: Option<f64>,
    confidence: f64,
) -> Option<WarmupCheck> {
    let batches: Vec<&WaitBatches> = replications.iter().copied().flatten().collect();
    let first = batches.first()?;
    if let Some(reason) = &first.unsteady {
        return Some(WarmupCheck::NotChecked {
            reason: reason.clone(),
        });
    }
    // One point's replications share their layout; a mixture (a merge of runs of different
    // versions) is not judged.
    if batches.len() != replications.len()
        || batches
            .iter()
            .any(|b| b.width != first.width || b.count.len() != first.count.len())
    {
        return None;
    }
    let total = first.count.len();
    let mut count = vec![0u64; total];
    let mut wait = vec![0.0; total];
    let mut unfinished = vec![0u64; total];
    for b in &batches {
        for i in 0..total {
            count[i] += b.count[i];
            wait[i] += b.wait[i];
            unfinished[i] += b.unfinished[i];
        }
    }
    // The batches before the first that lost more than 1% of its pipelines to the end of the
    // run: the longer a pipeline takes, the likelier it is still running, so such a batch's
    // mean leans low (the end of a run without `drain`, or an overload).
    let fair = (0..total)
        .position(|i| unfinished[i] * 100 > count[i] + unfinished[i])
        .unwrap_or(total);
    let mean_wait: Vec<f64> = (0..total)
        .map(|i| {
            if count[i] > 0 {
                wait[i] / count[i] as f64
            } else {
                f64::NAN
            }
        })
        .collect();
    let kept: Vec<usize> = (0..fair).filter(|&i| count[i] > 0).collect();
    let series: Vec<f64> = kept.iter().map(|&i| mean_wait[i]).collect();
    let single = batches.len() < 2;
    let not_checked = |reason: String| Some(WarmupCheck::NotChecked { reason });
    let needed = if single { MIN_BATCHES } else { 2 };
    if series.len() < needed {
        let needs = if single {
            format!("{MIN_BATCHES} with one replication (or two replications)")
        } else {
            "two".to_string()
        };
        let reason = if total == 0 {
            "no whole batch of arrival time fits between `warmup` and the horizon".to_string()
        } else if fair < total && kept.len() < needed {
            format!(
                "pipelines still running at the end are missing from the last {} of the {total} batches of arrival time, which leaves {} to compare; the check needs {needs}",
                total - fair,
                kept.len()
            )
        } else if total < MIN_BATCHES {
            // Few batches only where a profile widened them to whole days or weeks.
            let period = if first.width % (7.0 * 86_400.0) == 0.0 {
                "week"
            } else {
                "day"
            };
            let horizon = first.warmup + needed as f64 * first.width;
            format!(
                "the time after `warmup` holds {total} whole {period}(s) of the arrivals' profile, and the check compares whole ones; it needs {needs} (a `horizon` of at least {})",
                literal_at_least(horizon)
            )
        } else {
            format!(
                "pipelines completed in {} batch(es) of arrival time; the check needs {needs}",
                kept.len()
            )
        };
        return not_checked(reason);
    }
    let (d, mser) = if series.len() >= MIN_BATCHES {
        mser(&series)
    } else {
        (1, f64::NAN)
    };
    let settled_batch = kept[d];
    let settled = first.warmup + settled_batch as f64 * first.width;
    // The mean wait of the fair batches from batch `from` on.
    let mean_from = |count: &[u64], wait: &[f64], from: usize| {
        let n: u64 = count[from..fair].iter().sum();
        wait[from..fair].iter().sum::<f64>() / n as f64
    };
    let (shift, shift_ci) = if single {
        let shift = mean_from(&count, &wait, 0) - mean_from(&count, &wait, settled_batch);
        let kept = (series.len() - d) as f64;
        (
            shift,
            super::t_critical(confidence, kept - 1.0) * mser.sqrt(),
        )
    } else {
        let shifts: Vec<f64> = batches
            .iter()
            .map(|b| mean_from(&b.count, &b.wait, 0) - mean_from(&b.count, &b.wait, settled_batch))
            .filter(|s| s.is_finite())
            .collect();
        let n = shifts.len() as f64;
        let ci = super::sample_variance(&shifts).map_or(f64::NAN, |v| {
            super::t_critical(confidence, n - 1.0) * (v / n).sqrt()
        });
        (super::mean(&shifts).unwrap_or(f64::NAN), ci)
    };
    // Without an interval of the mean wait (one replication), the shift's own decides.
    let beyond_wait_ci = match wait_ci {
        Some(ci) if ci.is_finite() => shift.abs() > ci,
        _ => true,
    };
    let matters = shift.abs() > shift_ci && beyond_wait_ci;
    let verdict = if series.len() >= MIN_BATCHES && d == series.len() / 2 {
        Verdict::Drifting
    } else if settled_batch > 0 && matters {
        Verdict::Biased
    } else {
        Verdict::Settled
    };
    Some(WarmupCheck::Checked(Checked {
        verdict,
        warmup: first.warmup,
        width: first.width,
        mean_wait,
        settled,
        shift,
        shift_ci,
    }))
}

/// MSER's truncation: the first `d` in `0..=n/2` minimising
/// `Σ_{i≥d} (y_i - ȳ_d)² / (n - d)²`, and that minimum.
pub fn mser(series: &[f64]) -> (usize, f64) {
    let n = series.len();
    let mut best = (0, f64::INFINITY);
    for d in 0..=n / 2 {
        let rest = &series[d..];
        let mean = rest.iter().sum::<f64>() / rest.len() as f64;
        let squares: f64 = rest.iter().map(|y| (y - mean) * (y - mean)).sum();
        let value = squares / (rest.len() * rest.len()) as f64;
        if value < best.1 {
            best = (d, value);
        }
    }
    best
}

/// `seconds` as a duration literal of the language, rounded up to a whole number of its
/// largest unit (days, hours, minutes, seconds) of at most `seconds`: what to write as
/// `warmup` to cover it.
pub fn literal_at_least(seconds: f64) -> String {
    const UNITS: [(f64, &str); 4] = [(86_400.0, "d"), (3_600.0, "h"), (60.0, "min"), (1.0, "s")];
    let (size, unit) = UNITS
        .iter()
        .copied()
        .find(|&(size, _)| seconds >= size)
        .unwrap_or(UNITS[3]);
    format!("{}{unit}", (seconds / size).ceil().max(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mser_cuts_a_ramp_and_keeps_a_level_series() {
        // A start that climbs to a level, then noise-free: cut where the level starts.
        let mut series: Vec<f64> = (0..10).map(|i| i as f64).collect();
        series.extend(std::iter::repeat_n(10.0, 90));
        assert_eq!(mser(&series).0, 10);
        // Alternating noise around a level: nothing to cut.
        let level: Vec<f64> = (0..100).map(|i| 5.0 + (i % 2) as f64).collect();
        assert_eq!(mser(&level).0, 0);
        // A steady climb never settles: the search ends at n / 2.
        let climb: Vec<f64> = (0..100).map(|i| i as f64).collect();
        assert_eq!(mser(&climb).0, 50);
    }

    /// Replications whose batch mean waits are `shape(i)` plus noise that differs by
    /// replication (a fixed pattern, so the test is deterministic), 100 pipelines a batch.
    fn replications(
        reps: usize,
        batches: usize,
        width: f64,
        shape: impl Fn(usize) -> f64,
    ) -> Vec<WaitBatches> {
        (0..reps)
            .map(|r| WaitBatches {
                warmup: 0.0,
                unsteady: None,
                width,
                count: vec![100; batches],
                wait: (0..batches)
                    .map(|i| {
                        100.0 * (shape(i) + 0.3 * (((i * 7 + r * 13) % 11) as f64 - 5.0) / 5.0)
                    })
                    .collect(),
                unfinished: vec![0; batches],
            })
            .collect()
    }

    fn checked(batches: &[WaitBatches], wait_ci: Option<f64>) -> Checked {
        let refs: Vec<_> = batches.iter().map(Some).collect();
        match check(&refs, wait_ci, 0.95) {
            Some(WarmupCheck::Checked(c)) => c,
            other => panic!("not checked: {other:?}"),
        }
    }

    #[test]
    fn a_start_that_climbs_to_its_level_is_biased_and_says_where_it_settles() {
        let reps = replications(
            10,
            100,
            60.0,
            |i| if i < 20 { i as f64 / 2.0 } else { 10.0 },
        );
        let c = checked(&reps, Some(0.5));
        assert_eq!(c.verdict, Verdict::Biased);
        assert!(
            (18.0 * 60.0..=22.0 * 60.0).contains(&c.settled),
            "{}",
            c.settled
        );
        // Counting from the settling time raises the mean wait: the shift is negative, and
        // about the first fifth's deficit (mean 5 below the level) spread over the run.
        assert!(c.shift < -0.5 && c.shift > -1.5, "{}", c.shift);
        // The same start, weighed against a wide interval, does not matter.
        assert_eq!(checked(&reps, Some(5.0)).verdict, Verdict::Settled);
    }

    #[test]
    fn a_level_series_is_settled_and_a_climb_is_drifting() {
        let level = checked(&replications(10, 100, 60.0, |_| 10.0), Some(0.1));
        assert_eq!(level.verdict, Verdict::Settled);
        let climb = checked(&replications(10, 100, 60.0, |i| i as f64), Some(0.1));
        assert_eq!(climb.verdict, Verdict::Drifting);
    }

    #[test]
    fn few_whole_periods_compare_the_first_with_the_rest() {
        let week = 7.0 * 86_400.0;
        let low_first = checked(
            &replications(10, 4, week, |i| if i == 0 { 6.0 } else { 10.0 }),
            Some(0.2),
        );
        assert_eq!(low_first.verdict, Verdict::Biased);
        assert_eq!(low_first.settled, week);
        let level = checked(&replications(10, 4, week, |_| 10.0), Some(0.2));
        assert_eq!(level.verdict, Verdict::Settled);
        // One replication and four weeks: too little to tell.
        let none = replications(3, 0, week, |_| 10.0);
        let refs: Vec<_> = none.iter().map(Some).collect();
        let Some(WarmupCheck::NotChecked { reason }) = check(&refs, None, 0.95) else {
            panic!("checked")
        };
        assert!(reason.starts_with("no whole batch"), "{reason}");
        let one = replications(1, 4, week, |_| 10.0);
        let Some(WarmupCheck::NotChecked { reason }) = check(&[Some(&one[0])], None, 0.95) else {
            panic!("checked")
        };
        // Ten weeks would do.
        assert!(
            reason.contains("4 whole week(s)") && reason.ends_with("(a `horizon` of at least 70d)"),
            "{reason}"
        );
    }

    #[test]
    fn batches_that_lost_pipelines_to_the_end_are_left_out() {
        // A climb from batch 50 on, where pipelines were still running at the end: only the
        // level part before it is judged.
        let mut reps = replications(10, 100, 60.0, |i| if i < 50 { 10.0 } else { i as f64 });
        for r in &mut reps {
            for i in 50..100 {
                r.unfinished[i] = 5;
            }
        }
        let c = checked(&reps, Some(0.1));
        assert_eq!(c.verdict, Verdict::Settled);
        for r in &mut reps {
            r.unfinished[1] = 5;
        }
        let refs: Vec<_> = reps.iter().map(Some).collect();
        let Some(WarmupCheck::NotChecked { reason }) = check(&refs, Some(0.1), 0.95) else {
            panic!("checked")
        };
        assert!(reason.contains("still running at the end"), "{reason}");
    }

    #[test]
    fn unsteady_workloads_and_old_runs_are_not_checked() {
        let unsteady = WaitBatches {
            unsteady: Some("arrivals `x` replay a recorded trace".into()),
            ..WaitBatches::default()
        };
        assert_eq!(
            check(&[Some(&unsteady)], None, 0.95),
            Some(WarmupCheck::NotChecked {
                reason: "arrivals `x` replay a recorded trace".into()
            })
        );
        let reps = replications(2, 100, 60.0, |_| 1.0);
        assert_eq!(check(&[Some(&reps[0]), None], None, 0.95), None);
    }

    #[test]
    fn literals_cover_the_time_they_are_given() {
        assert_eq!(literal_at_least(3.2 * 86_400.0), "4d");
        assert_eq!(literal_at_least(86_400.0), "1d");
        assert_eq!(literal_at_least(5_000.0), "2h");
        assert_eq!(literal_at_least(90.0), "2min");
        assert_eq!(literal_at_least(0.25), "1s");
    }
}
