//! Completed pipelines' waits summed in equal batches of arrival time from `warmup` to the
//! horizon: the input of the warm-up check ([`crate::stats::warmup`]), which asks whether the
//! counted waits still drift after `warmup`.
//!
//! Without a profile, [`BATCHES`] batches cover `[warmup, horizon]`. With one, a batch is the
//! smallest whole number of the profile's periods (a day, or a week when weekdays differ) at
//! least `(horizon - warmup) / BATCHES` wide, and only whole batches are kept: each then
//! holds whole cycles, so the daily or weekly rhythm does not read as a drift.

use crate::ir;

/// The number of batches when no profile widens them.
pub const BATCHES: usize = 100;

const DAY: f64 = 86_400.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct WaitBatches {
    /// The scenario's `warmup`, in seconds.
    pub warmup: f64,
    /// Why the workload has no steady state to check for (arrivals that replay a trace, or
    /// start or stop within the horizon); no batches are kept then.
    pub unsteady: Option<String>,
    /// Seconds of arrival time each batch covers; batch `i` is
    /// `[warmup + i * width, warmup + (i + 1) * width)`.
    pub width: f64,
    /// Completed pipelines that arrived in each batch.
    pub count: Vec<u64>,
    /// The sum of their waits, in seconds.
    pub wait: Vec<f64>,
    /// Pipelines that arrived in each batch and were still running at the end: their
    /// waits are missing from `wait`, so a batch with many is not a fair sample.
    pub unfinished: Vec<u64>,
}

impl WaitBatches {
    /// Empty batches laid out for `scenario` (none when its horizon is not a positive finite
    /// time, so that nothing is ever divided by it).
    pub fn new(scenario: &ir::Scenario) -> WaitBatches {
        let warmup = scenario.warmup.max(0.0);
        let span = scenario.horizon - warmup;
        let unsteady = unsteady(scenario);
        if unsteady.is_some() || !(span > 0.0 && span.is_finite()) {
            return WaitBatches {
                warmup,
                unsteady,
                ..WaitBatches::default()
            };
        }
        let (width, count) = match profile_period(scenario) {
            None => (span / BATCHES as f64, BATCHES),
            Some(period) => {
                let width = (span / BATCHES as f64 / period).ceil() * period;
                (width, (span / width) as usize)
            }
        };
        WaitBatches {
            warmup,
            unsteady: None,
            width,
            count: vec![0; count],
            wait: vec![0.0; count],
            unfinished: vec![0; count],
        }
    }

    /// Adds a completed pipeline that arrived at `arrival` and waited `wait`; one that
    /// arrived before `warmup`, or after the last whole batch, is left out.
    #[inline]
    pub fn push(&mut self, arrival: f64, wait: f64) {
        if let Some(batch) = self.batch(arrival) {
            self.count[batch] += 1;
            self.wait[batch] += wait;
        }
    }

    /// Adds a pipeline that arrived at `arrival` and had not finished at the end.
    pub fn push_unfinished(&mut self, arrival: f64) {
        if let Some(batch) = self.batch(arrival) {
            self.unfinished[batch] += 1;
        }
    }

    #[inline]
    fn batch(&self, arrival: f64) -> Option<usize> {
        if arrival < self.warmup {
            return None;
        }
        // `as` saturates, so a time past the end gives an index past the end.
        let batch = ((arrival - self.warmup) / self.width) as usize;
        (batch < self.count.len()).then_some(batch)
    }
}

/// The period of the arrivals' profiles: a week if any profile tells weekdays apart, a day if
/// every profile repeats daily, none without a profile.
pub fn profile_period(scenario: &ir::Scenario) -> Option<f64> {
    let profiles: Vec<&ir::Profile> = scenario
        .arrivals
        .iter()
        .filter_map(|arrivals| arrivals.profile)
        .map(|id| &scenario.profiles[id as usize])
        .collect();
    if profiles.is_empty() {
        return None;
    }
    let daily = |profile: &&ir::Profile| {
        profile
            .hourly
            .iter()
            .enumerate()
            .all(|(hour, &m)| m == profile.hourly[hour % 24])
    };
    Some(if profiles.iter().all(daily) {
        DAY
    } else {
        7.0 * DAY
    })
}

/// Why `scenario`'s workload changes over the horizon by design, if it does: a steady state
/// is then not what its figures describe, and the warm-up check is not made.
fn unsteady(scenario: &ir::Scenario) -> Option<String> {
    scenario.arrivals.iter().find_map(|arrivals| {
        let name = &arrivals.name;
        if let ir::ArrivalProcess::Replay { .. } = arrivals.process {
            Some(format!("arrivals `{name}` replay a recorded trace"))
        } else if arrivals.start > 0.0 || arrivals.stop.is_some_and(|stop| stop < scenario.horizon)
        {
            Some(format!(
                "arrivals `{name}` start or stop within the horizon"
            ))
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower(text: &str) -> ir::Scenario {
        let checked =
            crate::frontend::check_text(std::path::Path::new("t.pipesim"), text.into(), &[]);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics().0);
        checked.analysis.lowered.expect("a scenario")
    }

    fn scenario(horizon: &str, warmup: &str, arrivals: &str) -> ir::Scenario {
        lower(&format!(
            "scenario s {{ horizon = {horizon}  warmup = {warmup} }}\n\
             resource cpu {{ kind = pool  capacity = 1 }}\n\
             pipeline p {{ task t {{ on = cpu  duration = 1s }} }}\n\
             profile daily {{ hours = [{}] }}\n\
             profile weekly {{ hours = [{}]  days = [1, 1, 1, 1, 1, 0.5, 0.5] }}\n\
             arrivals a {{ rate = 1/h  pipeline = p  {arrivals} }}\n",
            ["1"; 24].join(", "),
            ["1"; 24].join(", "),
        ))
    }

    #[test]
    fn batches_cover_the_time_after_warmup() {
        let mut b = WaitBatches::new(&scenario("102d", "2d", ""));
        assert_eq!((b.width, b.count.len()), (86_400.0, 100));
        b.push(86_400.0, 5.0); // before `warmup`: not counted
        b.push(2.5 * 86_400.0, 5.0);
        b.push(101.9 * 86_400.0, 7.0);
        b.push(102.0 * 86_400.0, 9.0); // the horizon itself: past the last batch
        b.push_unfinished(3.0 * 86_400.0);
        assert_eq!(
            (b.count[0], b.wait[0], b.count[99], b.wait[99]),
            (1, 5.0, 1, 7.0)
        );
        assert_eq!(b.count.iter().sum::<u64>(), 2);
        assert_eq!(b.unfinished[1], 1);
    }

    #[test]
    fn a_profile_makes_batches_of_whole_periods() {
        // Weekdays differ: weeks, and only the whole ones (30 d after warmup hold 4).
        let weekly = WaitBatches::new(&scenario("32d", "2d", "profile = weekly"));
        assert_eq!((weekly.width, weekly.count.len()), (7.0 * 86_400.0, 4));
        // The same every day: days, as many as fit up to 100, and then whole days each.
        let daily = WaitBatches::new(&scenario("32d", "2d", "profile = daily"));
        assert_eq!((daily.width, daily.count.len()), (86_400.0, 30));
        let year = WaitBatches::new(&scenario("365d", "0s", "profile = daily"));
        assert_eq!((year.width, year.count.len()), (4.0 * 86_400.0, 91));
    }

    #[test]
    fn arrivals_that_start_or_stop_have_no_steady_state_to_check() {
        for arrivals in ["start = 1d", "stop = 5d"] {
            let b = WaitBatches::new(&scenario("10d", "0s", arrivals));
            assert_eq!(
                b.unsteady.as_deref(),
                Some("arrivals `a` start or stop within the horizon"),
                "{arrivals}"
            );
            assert!(b.count.is_empty());
        }
        assert_eq!(
            WaitBatches::new(&scenario("10d", "0s", "stop = 10d")).unsteady,
            None
        );
    }
}
