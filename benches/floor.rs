//! The floor: the year benchmark's model (`scenarios/bench/year.pipesim`) written by hand in
//! Rust with nothing general in it, as a reference for what the model itself costs.
//!
//! Same distributions, parameters, profile and per-pipeline draws as `benches/year.rs` and
//! `benches/simpy/year.py`; a sorted array for the calendar, two FIFO pools, and only
//! the two means SimPy computes (no percentiles, no pool statistics, no per-step metrics, no
//! traces, no expression trees). It is not bit-identical to pipesim (its random streams are
//! seeded more simply), only the same model: its means agree within confidence intervals.
//!
//! Usage: `cargo bench --bench floor -- [--replications N] [--first K] [--years Y]
//! [--platform-math]`; prints one line per replication and the mean CPU seconds per
//! replication (see BENCHMARKS.md, "The floor"). `benches/compare.sh` runs it in turns with
//! the other two.

// The floor is a reference program, not a result: with `--platform-math` it samples with the
// platform's library and rand_distr, the fastest ready-made way, as a hand-written model
// would, to show what pipesim's reproducible math costs.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

mod common;

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus as Stream;
use std::collections::VecDeque;

/// The functions the model samples with: pipesim's own (the default, the same bits on every
/// platform, as pipesim samples) or the platform's library and rand_distr (`--platform-math`,
/// the fastest ready-made way a hand-written model would use). The difference is the cost
/// of reproducibility across platforms.
trait Math {
    fn ln(x: f64) -> f64;
    fn exp(x: f64) -> f64;
    fn ln_1p(x: f64) -> f64;
    fn normal(rng: &mut Stream) -> f64;
}

struct Own;
impl Math for Own {
    #[inline]
    fn ln(x: f64) -> f64 {
        pipesim::math::ln(x)
    }
    #[inline]
    fn exp(x: f64) -> f64 {
        pipesim::math::exp(x)
    }
    #[inline]
    fn ln_1p(x: f64) -> f64 {
        pipesim::math::ln_1p(x)
    }
    #[inline]
    fn normal(rng: &mut Stream) -> f64 {
        pipesim::sim::sample::standard_normal(rng)
    }
}

struct Platform;
impl Math for Platform {
    #[inline]
    fn ln(x: f64) -> f64 {
        x.ln()
    }
    #[inline]
    fn exp(x: f64) -> f64 {
        x.exp()
    }
    #[inline]
    fn ln_1p(x: f64) -> f64 {
        x.ln_1p()
    }
    #[inline]
    fn normal(rng: &mut Stream) -> f64 {
        rng.sample(StandardNormal)
    }
}

const CAPACITY: [u32; 2] = [6, 12];
/// The calendar entry of an arrival (others carry the pipeline's slot).
const ARRIVAL: u32 = u32::MAX;

fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One pipeline: its four sampled durations and pools, and where it is.
#[derive(Clone, Copy)]
struct Pipeline {
    arrival: f64,
    step: usize,
    wait: f64,
    enqueued: f64,
    duration: [f64; 4],
    pool: [usize; 4],
    rejected: bool,
}

/// Maps profile time to real time through the weekly profile, hour by hour.
struct ProfileClock {
    hourly: Vec<f64>,
    hour: usize,
    hour_start: f64,
    profile_at_hour_start: f64,
}

impl ProfileClock {
    fn real_time(&mut self, tau: f64) -> f64 {
        loop {
            let m = self.hourly[self.hour % 168];
            let end = self.profile_at_hour_start + m * 3600.0;
            if m > 0.0 && tau <= end {
                return self.hour_start + (tau - self.profile_at_hour_start) / m;
            }
            self.profile_at_hour_start = end;
            self.hour_start += 3600.0;
            self.hour += 1;
        }
    }
}

struct Simulation {
    now: f64,
    /// Pending events sorted by descending time (the next one last); equal times keep
    /// their scheduling order (the first scheduled nearer the end). Placing an entry is
    /// linear in the entries, which is cheap here: at most 19 are pending (18 slots and the
    /// next arrival), and the `std` binary heap it had before took a quarter more time.
    calendar: Vec<(u64, u32)>,
    pipelines: Vec<Pipeline>,
    free: Vec<u32>,
    busy: [u32; 2],
    queues: [VecDeque<u32>; 2],
}

impl Simulation {
    fn schedule(&mut self, time: f64, who: u32) {
        // Times are non-negative, so their bits order like the times.
        let bits = time.to_bits();
        let calendar = &mut self.calendar;
        calendar.push((bits, who));
        let mut place = calendar.len() - 1;
        while place > 0 && calendar[place - 1].0 <= bits {
            calendar[place] = calendar[place - 1];
            place -= 1;
        }
        calendar[place] = (bits, who);
    }

    /// The pipeline's current step joins its pool: starts at once or waits.
    fn queue_step(&mut self, index: u32) {
        let pipeline = &mut self.pipelines[index as usize];
        let pool = pipeline.pool[pipeline.step];
        pipeline.enqueued = self.now;
        if self.busy[pool] < CAPACITY[pool] && self.queues[pool].is_empty() {
            self.busy[pool] += 1;
            let end = self.now + pipeline.duration[pipeline.step];
            self.schedule(end, index);
        } else {
            self.queues[pool].push_back(index);
        }
    }
}

fn sample_pipeline<M: Math>(rng: &mut Stream, now: f64) -> Pipeline {
    let z = M::normal(rng);
    let size = M::exp(M::ln(200e6) + 1.2 * z);
    let u: f64 = rng.random();
    let framework = if u < 0.45 {
        0
    } else if u < 0.80 {
        1
    } else {
        2
    };
    let preprocess = 10.0 + size * 0.8e-9 + 20.0 * -M::ln(1.0 - rng.random::<f64>());
    let z = M::normal(rng);
    let train = match framework {
        0 => M::exp(M::ln(1200.0) + 0.9 * z),
        1 => M::exp(M::ln(360.0) + 0.7 * z),
        _ => M::exp(M::ln(120.0) + 0.6 * z),
    };
    let validate = 90.0 * -M::ln(1.0 - rng.random::<f64>());
    let rejected = rng.random::<f64>() >= 0.95;
    let compress = 240.0 * -M::ln(1.0 - rng.random::<f64>());
    Pipeline {
        arrival: now,
        step: 0,
        wait: 0.0,
        enqueued: now,
        duration: [preprocess, train, validate, compress],
        pool: [0, if framework == 0 { 1 } else { 0 }, 0, 1],
        rejected,
    }
}

/// One replication: (arrived, completed, mean wait, mean makespan).
fn replication<M: Math>(index: u64, horizon: f64, hourly: &[f64]) -> (u64, u64, f64, f64) {
    let mut arrivals = Stream::seed_from_u64(mix(index));
    let mut clock = ProfileClock {
        hourly: hourly.to_vec(),
        hour: 0,
        hour_start: 0.0,
        profile_at_hour_start: 0.0,
    };
    let mut tau = 0.0;
    let mut next_arrival = |rng: &mut Stream| {
        let u: f64 = rng.random();
        let v = M::exp(M::ln(u) / 1.8);
        let y = -M::ln_1p(-v);
        tau += 78.0 * M::exp(M::ln(y) / 0.7);
        clock.real_time(tau)
    };
    let mut sim = Simulation {
        now: 0.0,
        calendar: Vec::with_capacity(64),
        pipelines: Vec::new(),
        free: Vec::new(),
        busy: [0; 2],
        queues: [VecDeque::new(), VecDeque::new()],
    };
    let first = next_arrival(&mut arrivals);
    sim.schedule(first, ARRIVAL);
    let (mut arrived, mut completed, mut wait_sum, mut makespan_sum) = (0u64, 0u64, 0.0, 0.0);
    while let Some((bits, who)) = sim.calendar.pop() {
        sim.now = f64::from_bits(bits);
        if sim.now >= horizon {
            break;
        }
        if who == ARRIVAL {
            let next = next_arrival(&mut arrivals);
            sim.schedule(next, ARRIVAL);
            let mut rng = Stream::seed_from_u64(mix(mix(index) ^ arrived));
            arrived += 1;
            let pipeline = sample_pipeline::<M>(&mut rng, sim.now);
            let slot = match sim.free.pop() {
                Some(slot) => {
                    sim.pipelines[slot as usize] = pipeline;
                    slot
                }
                None => {
                    sim.pipelines.push(pipeline);
                    (sim.pipelines.len() - 1) as u32
                }
            };
            sim.queue_step(slot);
            continue;
        }
        let pipeline = sim.pipelines[who as usize];
        let pool = pipeline.pool[pipeline.step];
        sim.busy[pool] -= 1;
        if let Some(next) = sim.queues[pool].pop_front() {
            sim.busy[pool] += 1;
            let waiting = &mut sim.pipelines[next as usize];
            waiting.wait += sim.now - waiting.enqueued;
            let end = sim.now + waiting.duration[waiting.step];
            sim.schedule(end, next);
        }
        let done = pipeline.step == 3 || (pipeline.step == 2 && pipeline.rejected);
        if done {
            if pipeline.step == 3 {
                completed += 1;
                wait_sum += pipeline.wait;
                makespan_sum += sim.now - pipeline.arrival;
            }
            sim.free.push(who);
        } else {
            sim.pipelines[who as usize].step += 1;
            sim.queue_step(who);
        }
    }
    let n = completed.max(1) as f64;
    (arrived, completed, wait_sum / n, makespan_sum / n)
}

fn main() {
    let mut replications = 5u64;
    let mut first = 0u64;
    let mut years = 1.0f64;
    let mut platform_math = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--replications" => {
                replications = args.next().and_then(|v| v.parse().ok()).unwrap_or(5)
            }
            "--first" => first = args.next().and_then(|v| v.parse().ok()).unwrap_or(0),
            "--years" => years = args.next().and_then(|v| v.parse().ok()).unwrap_or(1.0),
            "--platform-math" => platform_math = true,
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => {}
        }
    }
    let hourly = common::weekly_hourly();
    let horizon = years * 365.0 * 86_400.0;
    let mut total = 0.0;
    for index in first..first + replications {
        let started = common::thread_cpu_seconds();
        let wall = std::time::Instant::now();
        let (arrived, completed, wait, makespan) = if platform_math {
            replication::<Platform>(index, horizon, &hourly)
        } else {
            replication::<Own>(index, horizon, &hourly)
        };
        let cpu_seconds = common::thread_cpu_seconds() - started;
        let seconds = wall.elapsed().as_secs_f64();
        total += cpu_seconds;
        println!(
            "{{\"engine\": \"floor\", \"replication\": {index}, \"cpu_seconds\": {cpu_seconds:.6}, \"seconds\": {seconds:.6}, \"arrived\": {arrived}, \"completed\": {completed}, \"wait_mean\": {wait}, \"makespan_mean\": {makespan}}}"
        );
    }
    eprintln!(
        "floor: {replications} replication(s) of {years} year(s), {:.4} CPU s per replication",
        total / replications as f64
    );
}
