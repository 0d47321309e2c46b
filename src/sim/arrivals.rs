//! Arrival processes: interarrival times with growth, a start/stop window and profile time,
//! and trace replay.
//!
//! Profile time: a profile gives a rate multiplier `m(h)` for each hour of the week (mean 1).
//! Profile time is `Λ(t) = ∫₀ᵗ m(hour of week at start_unix + s) ds`; interarrival times are
//! drawn in profile time and mapped back with `Λ⁻¹`, so an hour whose multiplier is 2 receives
//! twice the average number of arrivals and the long-run mean interarrival is kept. Hours are
//! those of the UTC calendar from `scenario.start` (the week starts Monday 00:00 UTC).
//!
//! Growth divides each interarrival time (it multiplies the rate). Arrivals start at the
//! declaration's `start` (the first one an interarrival later) and stop at its `stop`.
//!
//! Replayed traces keep their recorded times (a profile does not apply; analysis rejects
//! one). Growth `g` replays each row `floor(g)` times, and once more with probability
//! `g - floor(g)`: more (or fewer) users doing what the recorded ones did, at the hours they
//! did it, rather than the trace squeezed in time, which would move its daily rhythm. The
//! extra copy's draw comes from a stream of its own, one draw per row, so a sweep of growth
//! keeps common random numbers: a row replayed at one growth is replayed at every larger one.
//!
//! Invariant: the times a stream produces depend only on its own random stream, never on the
//! rest of the simulation (common random numbers).

use crate::ir;
use crate::sim::compiled::Num;
use crate::sim::eval;
use crate::sim::rng::Stream;
use rand::Rng;

pub const HOUR: f64 = 3600.0;
pub const HOURS_PER_WEEK: usize = 168;
pub const WEEK: f64 = HOURS_PER_WEEK as f64 * HOUR;
/// Real times from this many seconds on (about 32 million years) are never reached: the clock
/// stops there. Far beyond it an hour is below the times' precision, and walking hour by
/// hour would not move the clock at all.
const FAR: f64 = 1e15;
/// 1970-01-05T00:00:00Z, the first Monday after the Unix epoch.
pub const FIRST_MONDAY_UNIX: i64 = 4 * 86_400;
/// A stream whose interarrival is zero this many times in a row is stopped, so a degenerate
/// distribution cannot freeze the clock.
const MAX_ZERO_GAPS: u32 = 1_000_000;

/// Maps real time (seconds from the scenario start) to profile time and back, walking
/// forward hour by hour from a cursor (both directions are only ever asked for increasing
/// times).
pub struct ProfileClock {
    hourly: Vec<f64>,
    /// Hour of the week (0 = Monday 00:00) of the segment the cursor is in.
    cursor_hour: usize,
    /// Real time at the start of the cursor's segment.
    cursor_time: f64,
    /// Real time at which the cursor's segment ends (the next hour boundary).
    cursor_end: f64,
    /// Profile time at `cursor_time`.
    cursor_profile: f64,
    /// Profile seconds in a whole week (168 h times the mean multiplier).
    week_profile: f64,
}

impl ProfileClock {
    pub fn new(profile: &ir::Profile, start_unix: i64) -> Option<Self> {
        if profile.hourly.is_empty() {
            return None;
        }
        let hourly = week_of_multipliers(profile);
        let since_monday = start_unix - FIRST_MONDAY_UNIX;
        let hour_index = since_monday.div_euclid(3600);
        let into_hour = since_monday.rem_euclid(3600) as f64;
        let week_profile = hourly.iter().sum::<f64>() * HOUR;
        Some(ProfileClock {
            cursor_hour: hour_index.rem_euclid(HOURS_PER_WEEK as i64) as usize,
            cursor_time: 0.0,
            cursor_end: HOUR - into_hour,
            cursor_profile: 0.0,
            week_profile,
            hourly,
        })
    }

    fn step_segment(&mut self) {
        let multiplier = self.hourly[self.cursor_hour];
        self.cursor_profile += multiplier * (self.cursor_end - self.cursor_time);
        self.cursor_time = self.cursor_end;
        self.cursor_end += HOUR;
        self.cursor_hour = (self.cursor_hour + 1) % HOURS_PER_WEEK;
    }

    /// Moves the cursor `weeks` (a whole number) whole weeks on.
    fn skip_weeks(&mut self, weeks: f64) {
        self.cursor_profile += weeks * self.week_profile;
        self.cursor_time += weeks * WEEK;
        self.cursor_end += weeks * WEEK;
    }

    /// Λ(t), for `t` not before any time asked before; infinite from [`FAR`] on.
    pub fn profile_time(&mut self, t: f64) -> f64 {
        if t.is_nan() || t >= FAR {
            return f64::INFINITY;
        }
        let gap_weeks = (t - self.cursor_time) / WEEK;
        if gap_weeks >= 2.0 {
            self.skip_weeks(gap_weeks.floor() - 1.0);
        }
        while t >= self.cursor_end {
            self.step_segment();
        }
        self.cursor_profile + self.hourly[self.cursor_hour] * (t - self.cursor_time)
    }

    /// Λ⁻¹(τ), the earliest real time at which profile time reaches `τ`, for `τ` not before
    /// any profile time asked before. Infinite if the profile is zero everywhere, or from
    /// [`FAR`] on.
    pub fn real_time(&mut self, tau: f64) -> f64 {
        if self.week_profile <= 0.0 || !tau.is_finite() {
            return f64::INFINITY;
        }
        // Skip whole weeks at a time (aligned with the cursor) when the gap is long. The
        // number of weeks, floor(x) - 1, is at least 1 exactly when x >= 2 (floor(x) is a
        // whole number, and NaN fails both), so the usual short gap skips the call to floor.
        // The quotient is below 2 whenever the gap is below one week's profile time, so the
        // usual short gap skips the division too (it decides nothing there).
        let gap = tau - self.cursor_profile;
        if gap >= self.week_profile {
            let gap_weeks = gap / self.week_profile;
            if gap_weeks >= 2.0 {
                self.skip_weeks(gap_weeks.floor() - 1.0);
                // Only a skip goes far: hour by hour, the clock would take billions of calls.
                if self.cursor_time.is_nan() || self.cursor_time >= FAR {
                    return f64::INFINITY;
                }
            }
        }
        loop {
            let multiplier = self.hourly[self.cursor_hour];
            let segment_end_profile =
                self.cursor_profile + multiplier * (self.cursor_end - self.cursor_time);
            if multiplier > 0.0 && tau <= segment_end_profile {
                // Never NaN (all finite, the multiplier positive), so a plain comparison
                // does what `min` would.
                let t = self.cursor_time + (tau - self.cursor_profile) / multiplier;
                return if t < self.cursor_end {
                    t
                } else {
                    self.cursor_end
                };
            }
            self.step_segment();
        }
    }
}

/// A profile's multiplier for each hour of the week from Monday 00:00, as the engine reads
/// it: a shorter list repeats, and what is not positive is zero. `profile.hourly` must not be
/// empty.
pub fn week_of_multipliers(profile: &ir::Profile) -> Vec<f64> {
    (0..HOURS_PER_WEEK)
        .map(|h| eval::non_negative(profile.hourly[h % profile.hourly.len()]))
        .collect()
}

/// One `arrivals` declaration in progress.
pub struct ArrivalStream {
    pub declaration: u32,
    pub rng: Stream,
    /// Triggers produced so far (the next trigger's sequence number).
    pub sequence: u64,
    clock: Option<ProfileClock>,
    /// Profile time (or real time without a profile) of the last arrival.
    last: f64,
    stop: f64,
    growth: f64,
    replay_index: usize,
    /// Copies of the last replayed row still to deliver (growth above 1).
    replay_copies: u32,
    /// Replay: the row (index into the replayed times) of the last time given out, which
    /// is the arrival pending on the calendar; its `row { }` attributes are read from it.
    pub row: usize,
    /// The draws that decide a row's extra copy under a fractional growth: the arrival
    /// stream long-jumped (a non-overlapping part of it), so template choices stay put.
    replay_rng: Stream,
    zero_gaps: u32,
    /// The interarrival expression, compiled (None for replay).
    interarrival: Option<Num>,
    /// Raw interarrival samples drawn ahead (see [`ArrivalStream::draw_ahead`]), and the
    /// index of the next one to use.
    gaps: Vec<f64>,
    next_gap: usize,
    draw_ahead: bool,
}

/// How many interarrival samples are drawn at once when drawing ahead.
const GAPS_AHEAD: usize = 32;

impl ArrivalStream {
    pub fn new(
        declaration: u32,
        arrivals: &ir::Arrivals,
        profiles: &[ir::Profile],
        start_unix: i64,
        horizon: f64,
        rng: Stream,
    ) -> Self {
        let mut clock = arrivals
            .profile
            .and_then(|id| profiles.get(id as usize))
            .and_then(|profile| ProfileClock::new(profile, start_unix));
        let start = eval::non_negative(arrivals.start);
        let last = match &mut clock {
            Some(clock) => clock.profile_time(start),
            None => start,
        };
        let stop = arrivals.stop.unwrap_or(horizon).min(horizon);
        let mut replay_rng = rng.clone();
        replay_rng.long_jump();
        ArrivalStream {
            declaration,
            rng,
            sequence: 0,
            clock,
            last,
            stop,
            growth: arrivals.growth,
            replay_index: 0,
            replay_copies: 0,
            row: 0,
            replay_rng,
            zero_gaps: 0,
            interarrival: match &arrivals.process {
                ir::ArrivalProcess::Interarrival(expr) => Some(Num::compile(expr)),
                ir::ArrivalProcess::Replay { .. } => None,
            },
            gaps: Vec::new(),
            next_gap: 0,
            draw_ahead: false,
        }
    }

    /// Lets the stream draw its interarrival samples in blocks ahead of need. Only for a
    /// stream whose random numbers go to nothing else (the engine's choice of template draws
    /// from it too unless that is a constant): the samples are then the same, in the same
    /// order. Why: the exponentiated Weibull's inverse CDF is a chain of five dependent
    /// logarithms and exponentials, bound by their latency; computed for a block at once,
    /// stage by stage ([`Num::eval_block`]), the samples' chains overlap in the processor.
    pub fn draw_ahead(&mut self) {
        self.draw_ahead = true;
    }

    /// The next raw interarrival sample.
    #[inline]
    fn raw_gap(&mut self) -> Option<f64> {
        if let Some(&gap) = self.gaps.get(self.next_gap) {
            self.next_gap += 1;
            return Some(gap);
        }
        self.raw_gap_slow()
    }

    /// [`ArrivalStream::raw_gap`] when no sample drawn ahead is left: a new block, or one
    /// sample. Out of line, so that the usual path, a sample from the block, needs no
    /// registers saved around calls.
    #[inline(never)]
    fn raw_gap_slow(&mut self) -> Option<f64> {
        let interarrival = self.interarrival.as_ref()?;
        if !self.draw_ahead {
            return Some(interarrival.eval(&[], &mut self.rng));
        }
        self.gaps.clear();
        interarrival.eval_block(&mut self.rng, GAPS_AHEAD, &mut self.gaps);
        self.next_gap = 1;
        self.gaps.first().copied()
    }

    /// The next replayed time at or after `start`, each row repeated as growth says.
    fn next_replayed(&mut self, times: &[f64], start: f64) -> Option<f64> {
        if self.replay_copies > 0 {
            self.replay_copies -= 1;
            return times.get(self.replay_index.checked_sub(1)?).copied();
        }
        let growth = if self.growth.is_nan() || self.growth <= 0.0 {
            0.0
        } else {
            self.growth
        };
        let whole = growth.floor();
        let fraction = growth - whole;
        loop {
            let time = *times.get(self.replay_index)?;
            self.replay_index += 1;
            if time < start {
                continue;
            }
            let mut copies = whole;
            // No draw at a whole growth (the default 1), so such a replay uses no random
            // numbers at all.
            if fraction > 0.0 && self.replay_rng.random::<f64>() < fraction {
                copies += 1.0;
            }
            if copies >= 1.0 {
                // Saturating: an absurd growth cannot overflow the counter.
                self.replay_copies = (copies - 1.0).min(f64::from(u32::MAX)) as u32;
                self.row = self.replay_index - 1;
                return Some(time);
            }
        }
    }

    /// The real time of the next trigger, or `None` when the stream has ended.
    pub fn next_time(&mut self, arrivals: &ir::Arrivals) -> Option<f64> {
        let time = match &arrivals.process {
            ir::ArrivalProcess::Replay { times } => self.next_replayed(times, arrivals.start)?,
            ir::ArrivalProcess::Interarrival(_) => {
                if self.growth.is_nan() || self.growth <= 0.0 {
                    return None;
                }
                let gap = self.raw_gap()?;
                if gap.is_nan() {
                    return None;
                }
                let gap = eval::non_negative(gap) / self.growth;
                if gap == 0.0 {
                    self.zero_gaps += 1;
                    if self.zero_gaps > MAX_ZERO_GAPS {
                        return None;
                    }
                } else {
                    self.zero_gaps = 0;
                }
                self.last += gap;
                match &mut self.clock {
                    Some(clock) => clock.real_time(self.last),
                    None => self.last,
                }
            }
        };
        (time <= self.stop).then_some(time)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(hourly: Vec<f64>) -> ir::Profile {
        ir::Profile {
            name: "p".into(),
            hourly,
        }
    }

    #[test]
    fn profile_clock_inverts_itself_across_hours() {
        // Monday 00:30 UTC: the first segment is half an hour long.
        let monday_half_past = 1_551_657_600 + 1800; // 2019-03-04T00:30:00Z
        let mut hourly = vec![1.0; 168];
        hourly[0] = 2.0;
        hourly[1] = 0.0;
        hourly[2] = 0.5;
        let mut clock = ProfileClock::new(&profile(hourly.clone()), monday_half_past).unwrap();
        // Half an hour at 2 gives 3600 profile seconds; hour 1 gives none; hour 2 gives 1800.
        assert_eq!(clock.real_time(1800.0), 900.0);
        assert_eq!(clock.real_time(3600.0), 1800.0);
        // Just past the end of the busy half hour, the zero hour is skipped.
        assert!((clock.real_time(3600.5) - (1800.0 + 3600.0 + 1.0)).abs() < 1e-9);
        let mut forward = ProfileClock::new(&profile(hourly), monday_half_past).unwrap();
        assert_eq!(
            forward.profile_time(1800.0 + 3600.0 + 3600.0),
            3600.0 + 1800.0
        );
    }

    #[test]
    fn drawing_ahead_gives_the_same_arrival_times() {
        use crate::ir::{Distribution, Expr, Value};
        use crate::sim::rng;
        let constant = |x: f64| Expr::Const(Value::Num(x));
        let arrivals = ir::Arrivals {
            name: "a".into(),
            process: ir::ArrivalProcess::Interarrival(Expr::Dist(Box::new(
                Distribution::ExpWeib {
                    a: constant(1.8),
                    c: constant(0.7),
                    scale: constant(78.0),
                },
            ))),
            profile: Some(0),
            pipeline: Expr::Const(Value::Pipeline(0)),
            growth: 1.3,
            start: 0.0,
            stop: None,
            row: Default::default(),
        };
        let hourly: Vec<f64> = (0..168).map(|h| 0.5 + (h % 24) as f64 / 12.0).collect();
        let profiles = [profile(hourly)];
        let stream = |ahead: bool| {
            let seed = rng::stream(rng::replication_seed(5, 0), rng::ARRIVALS, 0, 0);
            let mut stream =
                ArrivalStream::new(0, &arrivals, &profiles, FIRST_MONDAY_UNIX, 1e7, seed);
            if ahead {
                stream.draw_ahead();
            }
            stream
        };
        let (mut plain, mut ahead) = (stream(false), stream(true));
        // Several blocks of samples, and the end of the stream at the horizon.
        let mut count = 0;
        loop {
            let (expected, got) = (plain.next_time(&arrivals), ahead.next_time(&arrivals));
            assert_eq!(
                expected.map(f64::to_bits),
                got.map(f64::to_bits),
                "arrival {count}"
            );
            if expected.is_none() {
                break;
            }
            count += 1;
        }
        assert!(count > 10 * GAPS_AHEAD, "only {count} arrivals");
    }

    /// Times so late that an hour is below their precision (an interarrival of 1e20 minutes,
    /// a start a billion days on) end the stream, or are mapped whole weeks at a time, where
    /// walking hour by hour would never finish.
    #[test]
    fn profile_clock_handles_astronomical_times() {
        let mut hourly = vec![1.0; 168];
        hourly[5] = 3.0;
        hourly[100] = 0.0;
        let week_profile: f64 = hourly.iter().sum::<f64>() * 3600.0;
        let mut clock = ProfileClock::new(&profile(hourly.clone()), FIRST_MONDAY_UNIX).unwrap();
        assert_eq!(clock.real_time(6e21), f64::INFINITY);
        assert_eq!(clock.real_time(f64::MAX), f64::INFINITY);
        let mut clock = ProfileClock::new(&profile(hourly.clone()), FIRST_MONDAY_UNIX).unwrap();
        assert_eq!(clock.profile_time(1e300), f64::INFINITY);
        // A billion days is 142,857,142 weeks and 6 days: the weeks' profile time, then the
        // last 6 days hour by hour.
        let mut clock = ProfileClock::new(&profile(hourly.clone()), FIRST_MONDAY_UNIX).unwrap();
        let t = 1e9 * 86_400.0;
        let weeks = (t / WEEK).floor();
        let last_days: f64 = hourly[..144].iter().sum::<f64>() * 3600.0;
        let expected = weeks * week_profile + last_days;
        let got = clock.profile_time(t);
        assert!(
            (got - expected).abs() <= expected * 1e-12,
            "{got} != {expected}"
        );
        // And back.
        assert!((clock.real_time(expected) - t).abs() <= t * 1e-12);
    }

    #[test]
    fn profile_clock_skips_whole_weeks() {
        let mut hourly = vec![1.0; 168];
        hourly[5] = 3.0;
        let total: f64 = hourly.iter().sum::<f64>() * 3600.0;
        let mut clock = ProfileClock::new(&profile(hourly), FIRST_MONDAY_UNIX).unwrap();
        let t = clock.real_time(10.0 * total + 100.0);
        assert!((t - (10.0 * 168.0 * 3600.0 + 100.0)).abs() < 1e-6);
    }
}
