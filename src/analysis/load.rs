//! The load each pool is offered, worked out from the IR without running it: the mean number
//! of its slots that the arriving work keeps busy (slot-seconds of work per second); and for
//! each link, the mean bytes per second the steps that run read and write on it. A pool
//! offered more than its slots, or a link more than its bandwidth, can never catch up: its
//! queue (or its set of transfers in progress), and with it the memory a run takes, grows for
//! as long as the arrivals last (`check` warns: W0603, W0604). The usual cause is a rate in
//! the wrong unit (`rate = 300/s` meant as `/h`), or a size (`2GB` meant as `2MB`).
//!
//! What is offered is estimated from below, so a warning is never a guess:
//! - means are exact where the language gives them in closed form (sums, constant factors,
//!   independent attributes multiplied, `choice`, `match` on an attribute or a replayed
//!   column, every distribution with its shape constant, a `lognormal` whose median is an
//!   attribute, a step's `when` on attributes of finite law, or comparing a number drawn
//!   for it alone with a constant: `corpus.shards > 3`); bounds where convexity or
//!   rounding give them (`max`, `exp`, `round`); anything else (an `if` on a random value,
//!   `min`, a `when` on a number the step's work reads too, a `pass` that is not constant)
//!   counts as no work;
//! - a step's pool, `when` and duration are worked out together over every combination of
//!   the attributes its pool and `when` are computed from (down to independent draws), so
//!   that a `match framework` choosing the pool and one choosing the duration agree;
//! - a step counts only as often as every `validate` that could reject its pipeline before
//!   it starts passes; `units` count as the engine takes them (rounded, at least one, at
//!   most the pool) where their law is known (a constant, a column, `empirical`, a `match`
//!   or `choice` of numbers) and they read nothing the duration reads, else as one slot;
//! - arrivals come at their long-run rate, `growth` over the mean interarrival, times the
//!   mean of their profile's multiplier over the window, on the calendar from
//!   `scenario.start` (1 over whole weeks: a profile moves arrivals within the week; but a
//!   working week receives more than its share, a weekend less); replayed traces row by
//!   row; retraining runs are not counted.
//!
//! The window: the horizon is cut where arrivals start or stop, and where `warmup` ends, and
//! the load of each piece is worked out alone; neighbouring pieces with the same load are
//! one. Only the last piece, up to the horizon, is judged: a pool overloaded there is still
//! falling behind when the run ends, while a burst that ends earlier (a day of onboarding)
//! leaves the queue time to drain, which is what such a scenario studies. The cut at `warmup`
//! matters for replayed traces and profiles, whose rate changes: a trace that starts quietly
//! (or a weekend) must be judged on the window the run counts, not diluted by the quiet weeks
//! (or days) before it.

use crate::analysis::consts;
use crate::ir::{self, BinaryOp, Distribution, Expr, Func, LabelId, Value, VarRef};
use crate::math::{exp, exp_m1, ln, ln_1p};
use crate::sim::arrivals::{week_of_multipliers, HOUR, HOURS_PER_WEEK, WEEK};

/// The most a resource can do, in the unit its load is given in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Capacity {
    /// A pool's most slots (its `capacity`, or `autoscale.max`); its load is in busy slots.
    Slots(u32),
    /// A link's bandwidth, bytes per second; its load is the bytes per second offered.
    Bandwidth(f64),
}

impl Capacity {
    pub fn amount(self) -> f64 {
        match self {
            Capacity::Slots(slots) => f64::from(slots),
            Capacity::Bandwidth(bandwidth) => bandwidth,
        }
    }
}

/// The capacity of a resource (see [`Capacity`]).
pub fn capacity(scenario: &ir::Scenario, resource: ir::ResourceId) -> Option<Capacity> {
    match &scenario.resources.get(resource as usize)?.kind {
        ir::ResourceKind::Pool(_) => most_slots(scenario, resource).map(Capacity::Slots),
        ir::ResourceKind::Link(link) => Some(Capacity::Bandwidth(link.bandwidth)),
    }
}

/// A pool or a link offered more than it can ever serve, over a window of the horizon.
#[derive(Clone, Debug, PartialEq)]
pub struct Overload {
    pub resource: ir::ResourceId,
    pub capacity: Capacity,
    /// The mean slots the arriving work keeps busy (a pool), or the mean bytes per second
    /// it asks to move (a link), at least.
    pub offered: f64,
    /// Whether `offered` is the mean itself, not a bound from below.
    pub exact: bool,
    /// The window, seconds from the scenario start, up to the horizon (the whole horizon
    /// when no arrivals start late or stop early).
    pub from: f64,
    pub to: f64,
    /// The arrivals declarations (indices into [`ir::Scenario::arrivals`]) whose work
    /// reaches the pool in the window, with the triggers per second they bring.
    pub arrivals: Vec<(usize, f64)>,
}

/// Pools offered more than their most slots, and links more bytes per second than their
/// bandwidth, in the last window of the horizon, in declaration order.
pub fn overloads(scenario: &ir::Scenario) -> Vec<Overload> {
    overloads_in(scenario, &offered_load(scenario))
}

/// [`overloads`] from windows already worked out by [`offered_load`].
pub fn overloads_in(scenario: &ir::Scenario, offered: &[Window]) -> Vec<Overload> {
    let mut found: Vec<Overload> = Vec::new();
    if let Some(window) = offered.last() {
        for (resource, &busy) in window.busy.iter().enumerate() {
            let Some(capacity) = capacity(scenario, resource as u32) else {
                continue;
            };
            // A relative margin, so that a resource loaded exactly to its capacity (a
            // critical queue in a test) is not reported for a rounding error.
            if busy <= capacity.amount() * (1.0 + 1e-9) || busy.is_nan() {
                continue;
            }
            let overload = Overload {
                resource: resource as u32,
                capacity,
                offered: busy,
                exact: window.exact[resource],
                from: window.from,
                to: window.to,
                arrivals: window
                    .rates
                    .iter()
                    .filter(|(arrivals, _)| window.reaching[resource].contains(arrivals))
                    .copied()
                    .collect(),
            };
            found.push(overload);
        }
    }
    found
}

/// The pipelines each arrivals declaration starts in one replication, on average (its rate
/// in each window of [`offered_load`] times the window's length; the trace's rows for a
/// replay), indexed like [`ir::Scenario::arrivals`]. Retraining runs are not counted.
pub fn triggers_per_replication(scenario: &ir::Scenario, offered: &[Window]) -> Vec<f64> {
    let mut triggers = vec![0.0; scenario.arrivals.len()];
    for window in offered {
        for &(arrivals, rate) in &window.rates {
            if let Some(count) = triggers.get_mut(arrivals) {
                *count += rate * (window.to - window.from);
            }
        }
    }
    triggers
}

/// All the pipelines one replication starts, on average ([`triggers_per_replication`] summed).
pub fn total_triggers(scenario: &ir::Scenario, offered: &[Window]) -> f64 {
    triggers_per_replication(scenario, offered).iter().sum()
}

/// Pipelines per replication from which `check` warns (W0605) and `run` names a sweep point:
/// about a minute of simulation per replication, 500 years at the paper's scale.
pub const MANY_TRIGGERS: f64 = 1e8;

/// The engine's pace on the year benchmark (four-step pipelines, one core), for an estimate
/// of how long a replication takes.
pub const TRIGGERS_PER_SECOND: f64 = 2e6;

/// Whether a replication that starts `triggers` pipelines is worth a warning.
pub fn too_many_triggers(triggers: f64) -> bool {
    triggers >= MANY_TRIGGERS
}

/// A monitor's model checks that take about as long as one pipeline at the year benchmark's
/// pace: a check of one live model is about 18 ns (measured: `every = 1s` over 14 days with
/// about 340 live models takes 7.5 s per replication), a pipeline of four steps about 500.
pub const MODEL_CHECKS_PER_PIPELINE: f64 = 28.0;

/// The mean checks of a model that `monitor` makes in one replication: its ticks over the
/// horizon, each looking at every live model of the templates it watches (plus one for the
/// tick itself). Live models are worked out from the arrivals' mean starts of each template
/// (every start counted as a deployed model, so a bound from above where validation rejects
/// some) and the template's mean `lifetime`: deployed evenly over the horizon at `rate`, a
/// model lives `L`, so `rate * (L - L^2 / 2H)` are live on average, `N / 2` without one.
pub fn monitor_checks(scenario: &ir::Scenario, offered: &[Window], monitor: &ir::Monitor) -> f64 {
    let horizon = scenario.horizon;
    let ticks = horizon / monitor.every;
    let watched = |template: ir::PipelineId| {
        let spec = scenario
            .pipelines
            .get(template as usize)
            .and_then(|p| p.model.as_ref());
        let named = monitor.pipelines.is_empty() || monitor.pipelines.contains(&template);
        spec.filter(|_| named)
    };
    let mut live = 0.0;
    for (arrivals, starts) in scenario
        .arrivals
        .iter()
        .zip(triggers_per_replication(scenario, offered))
    {
        let mut budget = Budget::default();
        let Some(templates) = law(&arrivals.pipeline, &Env::new(&[], &[]), &mut budget) else {
            continue;
        };
        for (template, share) in templates {
            let Value::Pipeline(template) = template else {
                continue;
            };
            let Some(spec) = watched(template) else {
                continue;
            };
            let models = starts * share;
            let lifetime = spec
                .lifetime
                .as_ref()
                .and_then(|e| moment(e, &Env::new(&[], &[]), &mut budget))
                .map_or(f64::INFINITY, |m| m.mean.max(0.0));
            live += if lifetime >= horizon {
                models / 2.0
            } else {
                models / horizon * (lifetime - lifetime * lifetime / (2.0 * horizon))
            };
        }
    }
    ticks * (1.0 + live)
}

/// "about 150 billion pipelines, for about 21h of simulation".
pub fn triggers_text(triggers: f64) -> String {
    format!(
        "about {} pipelines, for {} of simulation",
        count_in_words(triggers),
        simulation_time(triggers)
    )
}

/// How long `triggers` pipelines take at the year benchmark's pace: "about 21h".
pub fn simulation_time(triggers: f64) -> String {
    let seconds = triggers / TRIGGERS_PER_SECOND;
    if seconds < 1.0 {
        "less than a second".to_string()
    } else if seconds < 2.0 * 365.0 * 86400.0 {
        // Two significant digits: the pace is a rough guide, not a measurement.
        let (value, unit) = [(86400.0, "d"), (3600.0, "h"), (60.0, "min")]
            .into_iter()
            .find(|&(length, _)| seconds >= 2.0 * length)
            .map_or((seconds, "s"), |(length, unit)| (seconds / length, unit));
        let mut step = 0.1;
        while value / step >= 100.0 {
            step *= 10.0;
        }
        let rounded = (value / step).round() * step;
        format!("about {}{unit}", crate::fit::format_significant(rounded, 2))
    } else {
        format!("about {} years", format_amount(seconds / (365.0 * 86400.0)))
    }
}

/// A large count for people: "100 million", "1.44 billion", and powers of ten beyond a
/// trillion.
pub fn count_in_words(x: f64) -> String {
    let significant = crate::fit::format_significant;
    if x >= 1e12 || !x.is_finite() {
        format_amount(x)
    } else if x >= 1e9 {
        format!("{} billion", significant(x / 1e9, 3))
    } else if x >= 1e6 {
        format!("{} million", significant(x / 1e6, 3))
    } else if x >= 1000.0 {
        // Three significant digits, with a thousands separator: "210,000".
        let mut unit = 1.0;
        while x / unit >= 1000.0 {
            unit *= 10.0;
        }
        let rounded = ((x / unit).round() * unit) as u64;
        if rounded >= 1_000_000 {
            "1 million".to_string()
        } else {
            format!("{},{:03}", rounded / 1000, rounded % 1000)
        }
    } else {
        format!("{}", x.round() as u64)
    }
}

/// A load or a rate for people: three significant digits, powers of ten from a billion, and
/// "more than 1e308" beyond a double.
pub fn format_amount(x: f64) -> String {
    if !x.is_finite() {
        "more than 1e308".into()
    } else if x >= 1e9 {
        format!("{x:.2e}")
    } else {
        crate::fit::format_significant(x, 3)
    }
}

/// Bytes per second for people, in decimal units as the language writes them: `1.25 GB/s`.
pub fn format_bandwidth(x: f64) -> String {
    if !x.is_finite() {
        return "more than 1e308 B/s".into();
    }
    let (factor, unit) = [(1e12, "TB/s"), (1e9, "GB/s"), (1e6, "MB/s"), (1e3, "kB/s")]
        .into_iter()
        .find(|&(factor, _)| x >= factor)
        .unwrap_or((1.0, "B/s"));
    format!("{} {unit}", format_amount(x / factor))
}

/// A pool's or a link's offered load averaged over the counted window.
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceLoad {
    /// As the scenario names it (`gpu`, `aiops.cpu`).
    pub name: String,
    pub capacity: Capacity,
    /// Mean busy slots offered to a pool, or bytes per second asked of a link (at least this
    /// much unless `exact`).
    pub busy: f64,
    pub exact: bool,
}

/// Each pool's and link's offered load averaged over the window the run counts, from
/// `warmup` to the horizon, in declaration order.
pub fn resource_loads(scenario: &ir::Scenario) -> Vec<ResourceLoad> {
    let windows = offered_load(scenario);
    let horizon = scenario.horizon;
    let counted_from = counted_from(scenario);
    (0..scenario.resources.len())
        .filter_map(|id| {
            let capacity = capacity(scenario, id as u32)?;
            let busy = windows
                .iter()
                .map(|w| w.busy[id] * (w.to - w.from.max(counted_from)).max(0.0))
                .sum::<f64>()
                / (horizon - counted_from);
            Some(ResourceLoad {
                name: scenario.resources[id].name.clone(),
                capacity,
                busy,
                exact: windows.iter().all(|w| w.exact[id]),
            })
        })
        .collect()
}

/// What arrives in one window of the horizon.
#[derive(Clone, Debug)]
pub struct Window {
    pub from: f64,
    pub to: f64,
    /// For each resource, at least: the mean slots the arriving work keeps busy (a pool),
    /// or the mean bytes per second its transfers ask to move (a link).
    pub busy: Vec<f64>,
    /// Whether `busy` is the mean itself rather than a bound from below, per resource.
    pub exact: Vec<bool>,
    /// Triggers per second of each arrivals declaration active in the window.
    pub rates: Vec<(usize, f64)>,
    /// For each resource, the arrivals declarations whose work reaches it.
    reaching: Vec<Vec<usize>>,
}

/// The load offered to every resource, window by window (see the module's documentation).
pub fn offered_load(scenario: &ir::Scenario) -> Vec<Window> {
    let horizon = scenario.horizon;
    if !(horizon > 0.0 && horizon.is_finite()) {
        return Vec::new();
    }
    let mut cuts = vec![0.0, counted_from(scenario), horizon];
    for arrivals in &scenario.arrivals {
        for t in [Some(arrivals.start), arrivals.stop].into_iter().flatten() {
            if t > 0.0 && t < horizon {
                cuts.push(t);
            }
        }
    }
    cuts.sort_by(f64::total_cmp);
    cuts.dedup();
    let resources = scenario.resources.len();
    let mut windows: Vec<Window> = cuts
        .windows(2)
        .map(|w| Window {
            from: w[0],
            to: w[1],
            busy: vec![0.0; resources],
            // Retraining runs are not counted.
            exact: vec![!scenario.monitors.iter().any(|m| m.retrain); resources],
            rates: Vec::new(),
            reaching: vec![Vec::new(); resources],
        })
        .collect();
    let mut budget = Budget::default();
    for (index, arrivals) in scenario.arrivals.iter().enumerate() {
        let start = arrivals.start.max(0.0);
        let stop = arrivals.stop.unwrap_or(horizon).min(horizon);
        if !(arrivals.growth > 0.0 && arrivals.growth.is_finite()) || stop <= start {
            continue;
        }
        // The resources some of whose work is not known exactly.
        let mut inexact = vec![false; resources];
        match &arrivals.process {
            ir::ArrivalProcess::Interarrival(gap) => {
                let env = Env::new(&[], &[]);
                let gap = moment(gap, &env, &mut budget);
                // The rate needs the mean itself: a bound from below would overstate it.
                let Some(gap) = gap.filter(|g| g.exact && g.nonneg && g.mean > 0.0) else {
                    inexact.iter_mut().for_each(|x| *x = true);
                    mark_inexact(&mut windows, start, stop, &inexact);
                    continue;
                };
                // Slot-seconds per trigger, per resource.
                let mut work = vec![0.0; resources];
                let (work, inexact) = (&mut work, &mut inexact);
                triggered_work(scenario, arrivals, &[], work, inexact, &mut budget);
                let rate = arrivals.growth / gap.mean;
                let profile = arrivals
                    .profile
                    .and_then(|id| scenario.profiles.get(id as usize));
                for window in &mut windows {
                    if window.from >= start && window.to <= stop {
                        let rate = match profile {
                            Some(profile) => {
                                let (from, to) = (window.from, window.to);
                                rate * profile_mean(profile, scenario.start_unix, from, to)
                            }
                            None => rate,
                        };
                        window.rates.push((index, rate));
                        add_work(window, index, work, rate);
                    }
                }
            }
            ir::ArrivalProcess::Replay { times } => {
                let width = arrivals.row.width as usize;
                let same_rows = arrivals.row.attributes.is_empty();
                let mut work = vec![0.0; resources];
                if same_rows {
                    let (work, inexact) = (&mut work, &mut inexact);
                    triggered_work(scenario, arrivals, &[], work, inexact, &mut budget);
                }
                let mut counts = vec![0.0; windows.len()];
                let mut totals = vec![vec![0.0; resources]; windows.len()];
                for (row, &time) in times.iter().enumerate() {
                    if !(time >= start && time <= stop) {
                        continue;
                    }
                    let Some(w) = windows.iter().position(|w| time < w.to || w.to == horizon)
                    else {
                        continue;
                    };
                    counts[w] += arrivals.growth;
                    if !same_rows {
                        let columns = arrivals
                            .row
                            .values
                            .get(row * width..(row + 1) * width)
                            .unwrap_or(&[]);
                        work.iter_mut().for_each(|x| *x = 0.0);
                        let (work, inexact) = (&mut work, &mut inexact);
                        triggered_work(scenario, arrivals, columns, work, inexact, &mut budget);
                    }
                    for (total, x) in totals[w].iter_mut().zip(&work) {
                        *total += arrivals.growth * x;
                    }
                }
                for ((window, count), total) in windows.iter_mut().zip(counts).zip(totals) {
                    if count > 0.0 {
                        let length = window.to - window.from;
                        window.rates.push((index, count / length));
                        add_work(window, index, &total, 1.0 / length);
                    }
                }
            }
        }
        mark_inexact(&mut windows, start, stop, &inexact);
    }
    merge_equal_neighbours(windows)
}

/// The mean of `profile`'s multiplier over `from..to` (seconds from the scenario start),
/// with its hours placed on the calendar as the engine places them (from `start_unix`, the
/// week starting Monday 00:00 UTC): the arrivals a window receives are its length times the
/// rate times this. Whole weeks have mean 1 exactly, as the profile is normalised over the
/// week; only what is left over depends on where it falls.
pub fn profile_mean(profile: &ir::Profile, start_unix: i64, from: f64, to: f64) -> f64 {
    let length = to - from;
    if profile.hourly.is_empty() || !(length > 0.0 && length.is_finite()) {
        return 1.0;
    }
    let hourly = week_of_multipliers(profile);
    let week_sum: f64 = hourly.iter().sum();
    if !(week_sum > 0.0 && week_sum.is_finite()) {
        // The engine's profile time never advances: no arrivals.
        return 0.0;
    }
    let weeks = (length / WEEK).floor();
    let rest = length - weeks * WEEK;
    if rest <= 0.0 {
        return 1.0;
    }
    // The part of a week left over falls where `from` does, the weeks before it being whole.
    let since_monday =
        (start_unix - crate::sim::arrivals::FIRST_MONDAY_UNIX).rem_euclid(WEEK as i64) as f64;
    let mut at = (since_monday + from).rem_euclid(WEEK);
    let mut left = rest;
    let mut integral = 0.0;
    // At most a week's hours and the two it starts and ends within; bounded so that no
    // rounding can keep it going.
    for _ in 0..HOURS_PER_WEEK + 2 {
        if left <= 0.0 {
            break;
        }
        let hour = ((at / HOUR) as usize).min(HOURS_PER_WEEK - 1);
        let end = (hour + 1) as f64 * HOUR;
        let piece = (end - at).max(0.0).min(left);
        integral += hourly[hour] * piece;
        left -= piece;
        at = if hour + 1 == HOURS_PER_WEEK { 0.0 } else { end };
    }
    let mean_hourly = week_sum / HOURS_PER_WEEK as f64;
    (weeks * WEEK + integral / mean_hourly) / length
}

/// Where the window the run counts starts: `warmup`, or 0 for a `warmup` that is none or
/// not within the horizon.
fn counted_from(scenario: &ir::Scenario) -> f64 {
    if scenario.warmup > 0.0 && scenario.warmup < scenario.horizon {
        scenario.warmup
    } else {
        0.0
    }
}

/// Joins neighbouring windows whose load is the same (arrivals at a steady rate on both
/// sides of `warmup`): one window, as if the horizon had not been cut there.
fn merge_equal_neighbours(windows: Vec<Window>) -> Vec<Window> {
    let mut merged: Vec<Window> = Vec::with_capacity(windows.len());
    for window in windows {
        match merged.last_mut() {
            Some(last)
                if last.busy == window.busy
                    && last.exact == window.exact
                    && last.rates == window.rates
                    && last.reaching == window.reaching =>
            {
                last.to = window.to;
            }
            _ => merged.push(window),
        }
    }
    merged
}

/// Marks the resources in `inexact` as known only from below in the windows in `start..stop`.
fn mark_inexact(windows: &mut [Window], start: f64, stop: f64, inexact: &[bool]) {
    for window in windows {
        if window.from >= start && window.to <= stop {
            for (exact, &inexact) in window.exact.iter_mut().zip(inexact) {
                *exact &= !inexact;
            }
        }
    }
}

/// Marks the pools `on` can name (every resource if that is not known) in `inexact`.
fn unknown_work(on: &Expr, env: &Env<'_>, budget: &mut Budget, inexact: &mut [bool]) {
    let mut named = Vec::new();
    on.for_each_result(&mut |value| named.push(value.clone()));
    let pools: Option<Vec<ir::ResourceId>> = match law(on, env, budget) {
        Some(values) => values.into_iter().map(|(v, _)| resource(&v)).collect(),
        None if !named.is_empty() => named.iter().map(resource).collect(),
        None => None,
    };
    match pools {
        Some(pools) => {
            for pool in pools {
                if let Some(x) = inexact.get_mut(pool as usize) {
                    *x = true;
                }
            }
        }
        None => inexact.iter_mut().for_each(|x| *x = true),
    }
}

fn resource(value: &Value) -> Option<ir::ResourceId> {
    match value {
        Value::Resource(id) => Some(*id),
        _ => None,
    }
}

fn add_work(window: &mut Window, arrivals: usize, work: &[f64], per_second: f64) {
    for (resource, &x) in work.iter().enumerate() {
        if x > 0.0 {
            window.busy[resource] += x * per_second;
            window.reaching[resource].push(arrivals);
        }
    }
}

/// The most slots `resource` ever has, or `None` if it is not a pool.
fn most_slots(scenario: &ir::Scenario, resource: ir::ResourceId) -> Option<u32> {
    match &scenario.resources.get(resource as usize)?.kind {
        ir::ResourceKind::Pool(pool) => Some(match &pool.autoscale {
            Some(autoscale) => autoscale.max.max(pool.capacity),
            None => pool.capacity,
        }),
        ir::ResourceKind::Link(_) => None,
    }
}

/// Adds to `work` the mean slot-seconds one trigger of `arrivals` asks of each resource
/// (`columns`: the replayed row's values, empty for generated arrivals).
fn triggered_work(
    scenario: &ir::Scenario,
    arrivals: &ir::Arrivals,
    columns: &[f64],
    work: &mut [f64],
    inexact: &mut [bool],
    budget: &mut Budget,
) {
    let env = Env::new(&[], columns);
    let Some(templates) = law(&arrivals.pipeline, &env, budget) else {
        inexact.iter_mut().for_each(|x| *x = true);
        return;
    };
    for (template, p) in templates {
        let Value::Pipeline(template) = template else {
            continue;
        };
        let Some(pipeline) = scenario.pipelines.get(template as usize) else {
            continue;
        };
        // A row attribute replaces the template's expression for that slot.
        let vars: Vec<&Expr> = pipeline
            .vars
            .iter()
            .enumerate()
            .map(|(slot, var)| {
                arrivals
                    .row
                    .attributes
                    .iter()
                    .find(|a| a.slots.contains(&(template, slot as u32)))
                    .map_or(&var.expr, |a| &a.expr)
            })
            .collect();
        let env = Env::new(&vars, columns);
        instance_work(scenario, pipeline, &env, p, work, inexact, budget);
    }
}

/// Adds to `work` the mean slot-seconds an instance of `pipeline` asks of each pool, and the
/// mean bytes it asks each link to move, times `weight`.
fn instance_work(
    scenario: &ir::Scenario,
    pipeline: &ir::Pipeline,
    env: &Env<'_>,
    weight: f64,
    work: &mut [f64],
    inexact: &mut [bool],
    budget: &mut Budget,
) {
    let steps = &pipeline.steps;
    let before = |s: usize, a: usize| depends_on(steps, s, a);
    for (s, step) in steps.iter().enumerate() {
        let transfers: Vec<&ir::Transfer> =
            [&step.reads, &step.writes].into_iter().flatten().collect();
        // The step's resources whose work is not known exactly when its cases are not.
        let unknown = |env: &Env<'_>, budget: &mut Budget, inexact: &mut [bool]| {
            if let Some(on) = &step.on {
                unknown_work(on, env, budget, inexact);
            }
            for transfer in &transfers {
                if let Some(x) = inexact.get_mut(transfer.link as usize) {
                    *x = true;
                }
            }
        };
        if step.on.is_none() && transfers.is_empty() {
            continue;
        }
        // A `validate` can end the pipeline before this step starts unless it must wait
        // for this step: the step runs at least as often as all of those pass, and exactly
        // that often if it waits for each of them.
        let mut runs = weight;
        let mut runs_exact = true;
        for (v, other) in steps.iter().enumerate() {
            if v == s || other.kind != ir::StepKind::Validate || before(v, s) {
                continue;
            }
            let Some(pass) = &other.pass else {
                continue;
            };
            match moment(pass, env, budget) {
                Some(p) if p.constant => runs *= p.mean.clamp(0.0, 1.0),
                _ => runs = 0.0,
            }
            runs_exact &= before(s, v) && runs > 0.0;
        }
        if !runs_exact {
            unknown(env, budget, inexact);
        }
        if runs <= 0.0 {
            continue;
        }
        // The pool, and whether the step runs at all, may be chosen by attributes the
        // duration (and the bytes moved) also depend on: take each combination of their
        // values in turn.
        // A `when` that compares an attribute nothing else of the step reads with a constant
        // (`corpus.shards > 3`, `asset.size >= 1GB`): its chance multiplies the step's work,
        // which is worked out without it.
        let (when, when_holds) = match independent_comparison(step, env) {
            Some(holds) => (None, holds),
            None => (step.when.as_ref(), 1.0),
        };
        let Some(cases) = root_cases(step.on.as_ref(), when, env, budget) else {
            unknown(env, budget, inexact);
            continue;
        };
        for (env, p) in cases {
            let p = p * when_holds;
            // The chance that `when` holds in this case (it may draw on its own).
            let holds = match when {
                None => Some(1.0),
                Some(condition) => law(condition, &env, budget).map(|values| {
                    values
                        .iter()
                        .filter(|(v, _)| *v == Value::Bool(true))
                        .map(|(_, q)| q)
                        .sum::<f64>()
                }),
            };
            let Some(holds) = holds else {
                unknown(&env, budget, inexact);
                continue;
            };
            let p = p * holds;
            if p <= 0.0 {
                continue;
            }
            // A skipped step moves nothing; one that runs reads before it queues and writes
            // after its service, whatever becomes of its pipeline. The engine clamps
            // negative bytes at zero, as durations.
            for transfer in &transfers {
                let bytes = moment(&transfer.bytes, &env, budget);
                let exact = bytes.is_some_and(|b| b.exact && b.nonneg);
                let bytes = bytes.map_or(0.0, |b| b.mean.max(0.0));
                if let Some(x) = work.get_mut(transfer.link as usize) {
                    *x += runs * p * bytes;
                    inexact[transfer.link as usize] |= !exact;
                }
            }
            let Some(on) = &step.on else {
                continue;
            };
            let Some(pools) = law(on, &env, budget) else {
                unknown_work(on, &env, budget, inexact);
                continue;
            };
            // The engine clamps a negative duration at zero: the mean of the clamped value
            // is at least the mean, and at least zero (the mean itself if never negative).
            let duration = moment(&step.duration, &env, budget);
            let duration_exact = duration.is_some_and(|d| d.exact && d.nonneg);
            let duration_reads = duration.map_or(0, |d| d.reads);
            let duration = duration.map_or(0.0, |d| d.mean.max(0.0));
            for (pool, q) in pools {
                let Value::Resource(pool) = pool else {
                    continue;
                };
                let Some(slots) = most_slots(scenario, pool) else {
                    continue;
                };
                // The mean of a product is the product of the means only for independent
                // factors: `units` and `duration` must read no attribute in common.
                let units = mean_units_taken(&step.units, &env, slots, budget)
                    .filter(|&(_, reads)| reads & duration_reads == 0);
                let exact = duration_exact && units.is_some();
                let units = units.map_or(1.0, |(mean, _)| mean);
                work[pool as usize] += runs * p * q * units * duration;
                inexact[pool as usize] |= !exact;
            }
        }
    }
}

/// The chance that `step`'s `when` holds, where it compares one attribute with a constant
/// (`corpus.shards > 3`), the attribute is drawn from a distribution with constant
/// parameters and a known distribution function, and nothing else the step samples reads
/// it (or what it is computed from): then whether the step runs is independent of its pool,
/// duration and bytes. `None` otherwise (the cases of `root_cases` handle labels).
fn independent_comparison(step: &ir::Step, env: &Env<'_>) -> Option<f64> {
    let Expr::Binary(op, a, b) = step.when.as_ref()? else {
        return None;
    };
    // As `attribute OP constant`.
    let (slot, threshold, op) = match (a.as_ref(), b.as_ref()) {
        (Expr::Var(VarRef::Instance(slot)), other) => (*slot, consts::const_num(other)?, *op),
        (other, Expr::Var(VarRef::Instance(slot))) => {
            let flipped = match op {
                BinaryOp::Lt => BinaryOp::Gt,
                BinaryOp::Le => BinaryOp::Ge,
                BinaryOp::Gt => BinaryOp::Lt,
                BinaryOp::Ge => BinaryOp::Le,
                _ => return None,
            };
            (*slot, consts::const_num(other)?, flipped)
        }
        _ => return None,
    };
    if env.is_given(slot) {
        return None;
    }
    let Expr::Dist(distribution) = env.var(slot)? else {
        return None;
    };
    let others = [Some(&step.duration), Some(&step.units), step.on.as_ref()]
        .into_iter()
        .flatten()
        .chain(
            [&step.reads, &step.writes]
                .into_iter()
                .flatten()
                .map(|t| &t.bytes),
        );
    let mut read = Vec::new();
    for expr in others {
        reads(expr, &mut read);
    }
    // Everything those read, down to the attributes that read none.
    let mut seen = Vec::new();
    while let Some(other) = read.pop() {
        if other == slot {
            return None;
        }
        if !seen.contains(&other) {
            seen.push(other);
            reads(env.var(other)?, &mut read);
        }
    }
    let (below, at_most) = distribution_function(distribution, threshold)?;
    let holds = match op {
        BinaryOp::Lt => below,
        BinaryOp::Le => at_most,
        BinaryOp::Gt => 1.0 - at_most,
        BinaryOp::Ge => 1.0 - below,
        _ => return None,
    };
    Some(holds.clamp(0.0, 1.0))
}

/// `P(X < t)` and `P(X <= t)` for a distribution with constant parameters, where they are
/// known in closed form (or, for a Poisson, as a short sum). Only for `t > 0` where the
/// distribution can go below zero: the engine clamps a negative count or size at zero.
fn distribution_function(distribution: &Distribution, t: f64) -> Option<(f64, f64)> {
    use crate::analysis::distributions::probability_below;
    use consts::const_num;
    let continuous = |p: f64| Some((p, p));
    match distribution {
        Distribution::Poisson { mean } => {
            let m = const_num(mean)?;
            if !(0.0..=700.0).contains(&m) {
                return None;
            }
            // P(X <= k), summed term by term (m at most 700: exp(-m) stays normal); beyond
            // 40 standard deviations above the mean, 1.
            let at_most = |k: f64| -> f64 {
                if k < 0.0 {
                    return 0.0;
                }
                if k >= m + 40.0 * m.sqrt() + 40.0 {
                    return 1.0;
                }
                let (mut term, mut sum) = (exp(-m), exp(-m));
                for i in 1..=k.floor() as u64 {
                    term *= m / i as f64;
                    sum += term;
                }
                sum.min(1.0)
            };
            let below = if t.fract() == 0.0 {
                at_most(t - 1.0)
            } else {
                at_most(t.floor())
            };
            Some((below, at_most(t.floor())))
        }
        Distribution::Exponential { mean } => {
            let m = const_num(mean)?;
            (m > 0.0)
                .then(|| if t <= 0.0 { 0.0 } else { -exp_m1(-t / m) })
                .and_then(continuous)
        }
        Distribution::LogNormal { mu, sigma } => {
            let (mu, sigma) = (const_num(mu)?, const_num(sigma)?);
            if sigma <= 0.0 {
                return None;
            }
            continuous(if t <= 0.0 {
                0.0
            } else {
                crate::math::standard_normal_cdf((ln(t) - mu) / sigma)
            })
        }
        // A Weibull is the exponentiated Weibull with `a = 1`.
        Distribution::Weibull { shape, scale } => {
            exponweib_cdf(1.0, const_num(shape)?, const_num(scale)?, t)
        }
        Distribution::ExpWeib { a, c, scale } => {
            exponweib_cdf(const_num(a)?, const_num(c)?, const_num(scale)?, t)
        }
        // An Erlang is the gamma with a whole shape.
        Distribution::Gamma { shape, scale } => {
            let (shape, scale) = (const_num(shape)?, const_num(scale)?);
            if scale.is_nan() || scale <= 0.0 {
                return None;
            }
            continuous(crate::math::gamma_p(shape, t / scale)?)
        }
        Distribution::Empirical { values } if t > 0.0 && !values.is_empty() => {
            let at_most = values.iter().filter(|v| **v <= t).count() as f64 / values.len() as f64;
            Some((probability_below(distribution, t)?, at_most))
        }
        Distribution::Normal { .. }
        | Distribution::Uniform { .. }
        | Distribution::Triangular { .. }
            if t > 0.0 =>
        {
            continuous(probability_below(distribution, t)?)
        }
        _ => None,
    }
}

/// `P(X <= t)` (and `P(X < t)`, the same) for an exponentiated Weibull, as `pipesim fit`
/// computes it.
fn exponweib_cdf(a: f64, c: f64, scale: f64, t: f64) -> Option<(f64, f64)> {
    if a <= 0.0 || c <= 0.0 || scale <= 0.0 {
        return None;
    }
    let p = crate::fit::ExpWeib { a, c, scale }.cdf(t);
    Some((p, p))
}

/// Most combinations of attribute values a step's pool and `when` are worked out over.
const CASES: usize = 4096;

/// The combinations of values of the attributes a step's `on` and `when` depend on, each
/// with the environment that gives them and its probability: the attributes they read, or
/// the attributes those are computed from, down to ones that read no other (which are
/// independent draws). `None` if one of those has no known finite law (a number).
fn root_cases<'a>(
    on: Option<&Expr>,
    when: Option<&Expr>,
    env: &Env<'a>,
    budget: &mut Budget,
) -> Option<Vec<(Env<'a>, f64)>> {
    let mut direct = Vec::new();
    for expr in [on, when].into_iter().flatten() {
        reads(expr, &mut direct);
    }
    // Down to the roots: an attribute computed from others is given through them, so that
    // anything else computed from the same ones (the duration) is worked out consistently.
    let mut roots: Vec<u32> = Vec::new();
    let mut seen: Vec<u32> = Vec::new();
    while let Some(slot) = direct.pop() {
        if seen.contains(&slot) || env.is_given(slot) {
            continue;
        }
        seen.push(slot);
        let mut inputs = Vec::new();
        reads(env.var(slot)?, &mut inputs);
        if inputs.is_empty() {
            roots.push(slot);
        } else {
            direct.extend(inputs);
        }
        budget.spend()?;
    }
    roots.sort_unstable();
    let mut cases = vec![(env.clone(), 1.0)];
    for slot in roots {
        let values = law(env.var(slot)?, env, budget)?;
        if cases.len() * values.len() > CASES {
            return None;
        }
        cases = cases
            .into_iter()
            .flat_map(|(env, p)| {
                values
                    .iter()
                    .map(move |(value, q)| (env.given_also(slot, value.clone()), p * q))
            })
            .collect();
    }
    Some(cases)
}

/// Adds the instance attributes `expr` reads directly to `out`.
fn reads(expr: &Expr, out: &mut Vec<u32>) {
    match expr {
        Expr::Var(VarRef::Instance(slot)) => out.push(*slot),
        Expr::Const(_) | Expr::Var(_) => {}
        Expr::Neg(a) | Expr::Not(a) => reads(a, out),
        Expr::Binary(_, a, b) => {
            reads(a, out);
            reads(b, out);
        }
        Expr::If(c, a, b) => {
            reads(c, out);
            reads(a, out);
            reads(b, out);
        }
        Expr::Match {
            scrutinee,
            arms,
            default,
        } => {
            reads(scrutinee, out);
            arms.iter().for_each(|(_, arm)| reads(arm, out));
            if let Some(default) = default {
                reads(default, out);
            }
        }
        Expr::Func(_, args) => args.iter().for_each(|a| reads(a, out)),
        Expr::Choice(options) => options.iter().for_each(|(_, w)| reads(w, out)),
        Expr::Dist(distribution) => match distribution.as_ref() {
            Distribution::Exponential { mean } | Distribution::Poisson { mean } => reads(mean, out),
            Distribution::Normal { mean, sd } => {
                reads(mean, out);
                reads(sd, out);
            }
            Distribution::LogNormal { mu, sigma } => {
                reads(mu, out);
                reads(sigma, out);
            }
            Distribution::Uniform { min, max } => {
                reads(min, out);
                reads(max, out);
            }
            Distribution::Triangular { min, mode, max } => {
                reads(min, out);
                reads(mode, out);
                reads(max, out);
            }
            Distribution::Gamma { shape, scale } | Distribution::Weibull { shape, scale } => {
                reads(shape, out);
                reads(scale, out);
            }
            Distribution::ExpWeib { a, c, scale } => {
                reads(a, out);
                reads(c, out);
                reads(scale, out);
            }
            Distribution::Bernoulli { p } => reads(p, out),
            Distribution::Empirical { .. } => {}
        },
    }
}

/// Whether step `s` waits, directly or not, for step `a` (a walk of `after`, which is acyclic:
/// checked; pipelines have a handful of steps).
fn depends_on(steps: &[ir::Step], s: usize, a: usize) -> bool {
    let mut stack: Vec<usize> = steps[s].after.iter().map(|&b| b as usize).collect();
    let mut seen = vec![false; steps.len()];
    while let Some(b) = stack.pop() {
        if b == a {
            return true;
        }
        if b < steps.len() && !seen[b] {
            seen[b] = true;
            stack.extend(steps[b].after.iter().map(|&c| c as usize));
        }
    }
    false
}

/// How many expression nodes one check may visit (a fraction of a second): attributes that
/// read earlier ones several times over could otherwise take exponential time. What is left
/// unvisited counts as no work, so the load stays a bound from below.
const NODES: u64 = 10_000_000;

struct Budget {
    left: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { left: NODES }
    }
}

impl Budget {
    fn spend(&mut self) -> Option<()> {
        self.left = self.left.checked_sub(1)?;
        Some(())
    }
}

/// The expressions of an instance's attributes, the replayed row, and the attributes whose
/// value is given (a case being worked out).
#[derive(Clone)]
struct Env<'a> {
    vars: &'a [&'a Expr],
    columns: &'a [f64],
    given: Vec<(u32, Value)>,
}

impl<'a> Env<'a> {
    fn new(vars: &'a [&'a Expr], columns: &'a [f64]) -> Self {
        Env {
            vars,
            columns,
            given: Vec::new(),
        }
    }

    fn var(&self, slot: u32) -> Option<&'a Expr> {
        self.vars.get(slot as usize).copied()
    }

    fn given(&self, slot: u32) -> Option<&Value> {
        self.given.iter().find(|(s, _)| *s == slot).map(|(_, v)| v)
    }

    fn is_given(&self, slot: u32) -> bool {
        self.given(slot).is_some()
    }

    fn given_also(&self, slot: u32, value: Value) -> Self {
        let mut env = self.clone();
        env.given.push((slot, value));
        env
    }
}

/// What is known of a numeric expression's mean for one instance: a lower bound, whether it
/// is the mean itself, whether the expression is a constant or never negative, and the
/// attributes it reads (directly or through others), which tells independent factors apart.
#[derive(Clone, Copy, Debug)]
struct Moment {
    /// At most the mean; the mean itself when `exact`.
    mean: f64,
    exact: bool,
    constant: bool,
    nonneg: bool,
    /// One bit per attribute slot read; the last bit stands for every slot from 127 on.
    reads: u128,
}

impl Moment {
    fn constant(x: f64) -> Option<Self> {
        x.is_finite().then_some(Moment {
            mean: x,
            exact: true,
            constant: true,
            nonneg: x >= 0.0,
            reads: 0,
        })
    }

    /// A random quantity with this mean (or lower bound), reading what `parts` read.
    fn random(mean: f64, exact: bool, nonneg: bool, parts: &[Moment]) -> Option<Self> {
        mean.is_finite().then(|| Moment {
            // A quantity never negative has a mean of at least zero.
            mean: if nonneg { mean.max(0.0) } else { mean },
            exact,
            constant: false,
            nonneg,
            reads: parts.iter().fold(0, |reads, part| reads | part.reads),
        })
    }

    /// The exact mean, if it is known.
    fn exact(self) -> Option<Self> {
        self.exact.then_some(self)
    }

    /// Whether two quantities are independent: they read no attribute in common, and any
    /// distribution in one is a draw of its own.
    fn independent(self, other: Moment) -> bool {
        self.reads & other.reads == 0
    }
}

fn slot_bit(slot: u32) -> u128 {
    1 << slot.min(127)
}

/// A lower bound of the mean of a numeric expression for one instance (the mean itself
/// where the language gives it in closed form), or `None` if nothing useful is known.
fn moment(expr: &Expr, env: &Env<'_>, budget: &mut Budget) -> Option<Moment> {
    budget.spend()?;
    match expr {
        Expr::Const(Value::Num(x)) => Moment::constant(*x),
        Expr::Const(Value::Bool(b)) => Moment::constant(f64::from(u8::from(*b))),
        Expr::Const(_) => None,
        Expr::Var(VarRef::Instance(slot)) => {
            match env.given(*slot) {
                Some(Value::Num(x)) => return Moment::constant(*x),
                Some(Value::Bool(b)) => return Moment::constant(f64::from(u8::from(*b))),
                Some(_) => return None,
                None => {}
            }
            let mut m = moment(env.var(*slot)?, env, budget)?;
            if !m.constant {
                m.reads |= slot_bit(*slot);
            }
            Some(m)
        }
        Expr::Var(VarRef::Column(k)) => Moment::constant(*env.columns.get(*k as usize)?),
        Expr::Var(_) => None,
        Expr::Neg(a) => {
            let a = moment(a, env, budget)?.exact()?;
            if a.constant {
                Moment::constant(-a.mean)
            } else {
                Moment::random(-a.mean, true, false, &[a])
            }
        }
        Expr::Binary(op, a, b) => {
            let (a, b) = (moment(a, env, budget)?, moment(b, env, budget)?);
            if a.constant && b.constant {
                return Moment::constant(match op {
                    BinaryOp::Add => a.mean + b.mean,
                    BinaryOp::Sub => a.mean - b.mean,
                    BinaryOp::Mul => a.mean * b.mean,
                    BinaryOp::Div if b.mean != 0.0 => a.mean / b.mean,
                    _ => return None,
                });
            }
            let exact = a.exact && b.exact;
            let (mean, exact, nonneg) = match op {
                BinaryOp::Add => (a.mean + b.mean, exact, a.nonneg && b.nonneg),
                // A lower bound minus the exact mean of what is taken away.
                BinaryOp::Sub => (a.mean - b.exact()?.mean, exact, false),
                // A constant factor scales the mean (a bound only if it is not negative);
                // two random factors multiply their means when they are independent.
                BinaryOp::Mul => {
                    let scaled = |x: Moment, k: f64| {
                        (x.exact || k >= 0.0).then_some((x.mean * k, x.exact, x.nonneg && k >= 0.0))
                    };
                    if b.constant {
                        scaled(a, b.mean)?
                    } else if a.constant {
                        scaled(b, a.mean)?
                    } else if a.independent(b) && a.nonneg && b.nonneg {
                        (a.mean * b.mean, exact, true)
                    } else if a.independent(b) && exact {
                        (a.mean * b.mean, true, false)
                    } else {
                        return None;
                    }
                }
                BinaryOp::Div if b.constant && b.mean != 0.0 => {
                    if !(a.exact || b.mean > 0.0) {
                        return None;
                    }
                    (a.mean / b.mean, a.exact, a.nonneg && b.mean > 0.0)
                }
                _ => return None,
            };
            Moment::random(mean, exact, nonneg, &[a, b])
        }
        Expr::If(condition, a, b) => match law(condition, env, budget)?.as_slice() {
            [(Value::Bool(true), _)] => moment(a, env, budget),
            [(Value::Bool(false), _)] => moment(b, env, budget),
            _ => None,
        },
        Expr::Match {
            scrutinee,
            arms,
            default,
        } => {
            let cases = cases(scrutinee, env, budget)?;
            let single = cases.len() == 1;
            let (mut mean, mut exact, mut constant, mut nonneg) = (0.0, true, single, true);
            let mut parts = Vec::with_capacity(cases.len());
            for (env, label, p) in cases {
                let arm = arm(arms, default, label)?;
                let m = moment(arm, &env, budget)?;
                mean += p * m.mean;
                exact &= m.exact;
                constant &= m.constant;
                nonneg &= m.nonneg;
                parts.push(m);
            }
            if constant {
                Moment::constant(mean)
            } else {
                let mut m = Moment::random(mean, exact, nonneg, &parts)?;
                if let Expr::Var(VarRef::Instance(slot)) = scrutinee.as_ref() {
                    m.reads |= slot_bit(*slot);
                }
                Some(m)
            }
        }
        Expr::Func(func, args) => function_moment(*func, args, env, budget),
        Expr::Choice(options) => {
            let weights = weights(options, env, budget)?;
            let mut mean = 0.0;
            let mut nonneg = true;
            for ((value, _), w) in options.iter().zip(&weights) {
                let x = match value {
                    Value::Num(x) => *x,
                    Value::Bool(b) => f64::from(u8::from(*b)),
                    _ => return None,
                };
                mean += w * x;
                nonneg &= x >= 0.0;
            }
            Moment::random(mean, true, nonneg, &[])
        }
        Expr::Dist(distribution) => distribution_mean(distribution, env, budget),
        Expr::Not(_) => None,
    }
}

/// A function's value: computed for constant arguments; otherwise the bounds that
/// convexity gives (the mean of a maximum is at least each argument's mean, the mean of
/// `exp` at least `exp` of the mean), and rounding's worst cases.
fn function_moment(
    func: Func,
    args: &[Expr],
    env: &Env<'_>,
    budget: &mut Budget,
) -> Option<Moment> {
    let known: Vec<Option<Moment>> = args.iter().map(|a| moment(a, env, budget)).collect();
    if let Some(known) = known.iter().copied().collect::<Option<Vec<Moment>>>() {
        if known.iter().all(|a| a.constant) {
            let x: Vec<f64> = known.iter().map(|a| a.mean).collect();
            return Moment::constant(consts::apply(func, &x)?);
        }
    }
    let parts: Vec<Moment> = known.iter().flatten().copied().collect();
    let first = known.first().copied().flatten();
    match func {
        Func::Max => {
            // Any argument bounds the maximum from below, even when others are unknown.
            let mean = parts
                .iter()
                .map(|m| m.mean)
                .fold(f64::NEG_INFINITY, f64::max);
            let nonneg = parts.iter().any(|m| m.nonneg);
            Moment::random(mean, false, nonneg, &parts)
        }
        Func::Round | Func::Floor | Func::Ceil => {
            let x = first?;
            let lower = match func {
                Func::Round => 0.5,
                Func::Floor => 1.0,
                _ => 0.0,
            };
            Moment::random(x.mean - lower, false, x.nonneg, &[x])
        }
        Func::Exp => {
            let x = first?;
            Moment::random(exp(x.mean), false, true, &[x])
        }
        Func::Abs => {
            let x = first?;
            // |E[x]| is at most E[|x|], but a bound of E[x] says nothing of |E[x]|.
            let mean = if x.exact { x.mean.abs() } else { 0.0 };
            Moment::random(mean, false, true, &[x])
        }
        _ => None,
    }
}

/// The mean of one draw of `distribution` (a lower bound where a parameter's is).
fn distribution_mean(
    distribution: &Distribution,
    env: &Env<'_>,
    budget: &mut Budget,
) -> Option<Moment> {
    let mut m = |e: &Expr| moment(e, env, budget);
    // A parameter the mean is linear in (a scale, a mean) may be random: an attribute of
    // the instance, drawn independently of the variate. Shapes must be constants.
    let positive = |x: Moment| (x.nonneg && x.mean > 0.0).then_some(x);
    let constant = |x: Moment| x.constant.then_some(x);
    match distribution {
        Distribution::Exponential { mean } => {
            let mean = m(mean)?;
            mean.nonneg.then_some(())?;
            Moment::random(mean.mean, mean.exact, true, &[mean])
        }
        Distribution::Normal { mean, sd } => {
            let (mean, _) = (m(mean)?, m(sd)?);
            Moment::random(mean.mean, mean.exact, false, &[mean])
        }
        Distribution::LogNormal { mu, sigma } => {
            // exp(mu + sigma Z) with Z independent of mu: E[exp(mu)] exp(sigma^2 / 2), and
            // `lognormal(median = m)` has mu = ln(m), so E[exp(mu)] is m's mean.
            let sigma = constant(m(sigma)?)?;
            let factor = exp(sigma.mean * sigma.mean / 2.0);
            let median = match mu {
                Expr::Func(Func::Ln, args) if args.len() == 1 => {
                    m(&args[0]).filter(|median| median.nonneg)
                }
                _ => None,
            };
            let median = match median {
                Some(median) => median,
                None => {
                    let mu = m(mu)?;
                    Moment::random(exp(mu.mean), mu.constant, true, &[mu])?
                }
            };
            Moment::random(median.mean * factor, median.exact, true, &[median])
        }
        Distribution::Uniform { min, max } => {
            let (min, max) = (m(min)?, m(max)?);
            Moment::random(
                (min.mean + max.mean) / 2.0,
                min.exact && max.exact,
                min.nonneg && max.nonneg,
                &[min, max],
            )
        }
        Distribution::Triangular { min, mode, max } => {
            let (min, mode, max) = (m(min)?, m(mode)?, m(max)?);
            Moment::random(
                (min.mean + mode.mean + max.mean) / 3.0,
                min.exact && mode.exact && max.exact,
                min.nonneg && mode.nonneg && max.nonneg,
                &[min, mode, max],
            )
        }
        Distribution::Gamma { shape, scale } => {
            let (shape, scale) = (positive(m(shape)?)?, positive(m(scale)?)?);
            if !(shape.constant || scale.constant || shape.independent(scale)) {
                return None;
            }
            Moment::random(
                shape.mean * scale.mean,
                shape.exact && scale.exact,
                true,
                &[shape, scale],
            )
        }
        Distribution::Weibull { shape, scale } => {
            let (shape, scale) = (constant(positive(m(shape)?)?)?, positive(m(scale)?)?);
            let mean = scale.mean * exponweib_mean(1.0, shape.mean)?;
            Moment::random(mean, scale.exact, true, &[scale])
        }
        Distribution::ExpWeib { a, c, scale } => {
            let a = constant(positive(m(a)?)?)?;
            let c = constant(positive(m(c)?)?)?;
            let scale = positive(m(scale)?)?;
            let mean = scale.mean * exponweib_mean(a.mean, c.mean)?;
            Moment::random(mean, scale.exact, true, &[scale])
        }
        Distribution::Bernoulli { p } => {
            let p = constant(m(p)?)?;
            Moment::random(p.mean.clamp(0.0, 1.0), true, true, &[])
        }
        Distribution::Poisson { mean } => {
            let mean = m(mean)?;
            Moment::random(
                mean.mean.max(0.0),
                mean.exact && mean.mean >= 0.0,
                true,
                &[mean],
            )
        }
        Distribution::Empirical { values } => {
            if values.is_empty() {
                return None;
            }
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            Moment::random(mean, true, values.iter().all(|&x| x >= 0.0), &[])
        }
    }
}

/// The mean of the exponentiated Weibull with unit scale, CDF (1 - exp(-x^c))^a: the
/// integral of its survival function, taken over ln x by the trapezoidal rule, which
/// converges fast for an integrand that vanishes at both ends as this one does (relative
/// error below 1e-9 for the parameters analysis accepts; the Weibull is a = 1).
pub fn exponweib_mean(a: f64, c: f64) -> Option<f64> {
    if !(a > 0.0 && c > 0.0 && a.is_finite() && c.is_finite()) {
        return None;
    }
    // Survival at x = e^z, computed without cancellation at both ends.
    let survival = |z: f64| {
        // x^c, then ln(1 - e^-t).
        let t = exp(c * z);
        let log_cdf_base = if t < 0.7 {
            ln(-exp_m1(-t))
        } else {
            ln_1p(-exp(-t))
        };
        -exp_m1(a * log_cdf_base)
    };
    // Below z = -60 the integrand is below e^-60 of the mean's scale; above, the survival
    // vanishes once x^c passes 745 (e^-745 underflows).
    let (low, high) = (-60.0 / c.min(1.0), (ln(745.0) + ln(a).max(0.0)) / c + 1.0);
    let h = 0.005 / c.max(1.0);
    let n = ((high - low) / h).ceil();
    if n > 5e7 {
        return None;
    }
    let n = n as u64;
    let h = (high - low) / n as f64;
    let mut sum = 0.0;
    for i in 0..=n {
        let z = low + i as f64 * h;
        let f = survival(z) * exp(z);
        sum += if i == 0 || i == n { f / 2.0 } else { f };
    }
    let mean = sum * h;
    mean.is_finite().then_some(mean)
}

/// The mean slots a step's `units` takes of a pool of at most `slots`, as the engine takes
/// them (rounded, at least one, at most the pool's most), and the attributes it reads: where
/// its values are known with their chances (a constant, a replayed column, a `match` or
/// `choice` of numbers) or it is a resampled column (`empirical(...)`), read directly or
/// through attributes. `None` for anything else, which counts as one slot, a bound from
/// below.
fn mean_units_taken(
    expr: &Expr,
    env: &Env<'_>,
    slots: u32,
    budget: &mut Budget,
) -> Option<(f64, u128)> {
    let reads = moment(expr, env, budget)?.reads;
    let taken = |units: f64| {
        let units = units.round();
        if units >= 1.0 {
            units.min(f64::from(slots.max(1)))
        } else {
            1.0
        }
    };
    if let Some(values) = law(expr, env, budget) {
        let (mut sum, mut total) = (0.0, 0.0);
        for (value, p) in values {
            let Value::Num(x) = value else { return None };
            sum += p * taken(x);
            total += p;
        }
        return (total > 0.0).then(|| (sum / total, reads));
    }
    let mut expr = expr;
    while let Expr::Var(VarRef::Instance(slot)) = expr {
        if env.is_given(*slot) {
            return None;
        }
        expr = env.var(*slot)?;
    }
    match expr {
        Expr::Dist(d) => match d.as_ref() {
            Distribution::Empirical { values } if !values.is_empty() => {
                let sum: f64 = values.iter().map(|&v| taken(v)).sum();
                Some((sum / values.len() as f64, reads))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The values a non-numeric expression takes, with their probabilities, where they are known.
fn law(expr: &Expr, env: &Env<'_>, budget: &mut Budget) -> Option<Vec<(Value, f64)>> {
    budget.spend()?;
    match expr {
        Expr::Const(value) => Some(vec![(value.clone(), 1.0)]),
        Expr::Var(VarRef::Instance(slot)) => match env.given(*slot) {
            Some(value) => Some(vec![(value.clone(), 1.0)]),
            None => law(env.var(*slot)?, env, budget),
        },
        Expr::Var(VarRef::LabelColumn(k)) => {
            let id = *env.columns.get(*k as usize)?;
            (id >= 0.0 && id.fract() == 0.0).then(|| vec![(Value::Label(id as LabelId), 1.0)])
        }
        Expr::Var(VarRef::Column(k)) => {
            Some(vec![(Value::Num(*env.columns.get(*k as usize)?), 1.0)])
        }
        Expr::Var(_) => None,
        Expr::Not(a) => law(a, env, budget)?
            .into_iter()
            .map(|(value, p)| match value {
                Value::Bool(b) => Some((Value::Bool(!b), p)),
                _ => None,
            })
            .collect(),
        // A comparison (or `and`, `or`) of two values, one of which is known: the other may
        // take several, each giving the result with its probability. Two uncertain operands
        // may depend on one another: not worked out.
        Expr::Binary(op, a, b) => {
            let (a, b) = (law(a, env, budget)?, law(b, env, budget)?);
            if a.len() != 1 && b.len() != 1 {
                return None;
            }
            let mut values: Vec<(Value, f64)> = Vec::new();
            for (x, p) in &a {
                for (y, q) in &b {
                    let pair = Expr::Binary(
                        *op,
                        Box::new(Expr::Const(x.clone())),
                        Box::new(Expr::Const(y.clone())),
                    );
                    let value = consts::const_value(&pair)?;
                    match values.iter_mut().find(|(v, _)| *v == value) {
                        Some((_, total)) => *total += p * q,
                        None => values.push((value, p * q)),
                    }
                }
            }
            Some(values)
        }
        Expr::If(condition, a, b) => match law(condition, env, budget)?.as_slice() {
            [(Value::Bool(true), _)] => law(a, env, budget),
            [(Value::Bool(false), _)] => law(b, env, budget),
            _ => None,
        },
        Expr::Choice(options) => {
            let weights = weights(options, env, budget)?;
            Some(
                options
                    .iter()
                    .zip(weights)
                    .filter(|(_, w)| *w > 0.0)
                    .map(|((value, _), w)| (value.clone(), w))
                    .collect(),
            )
        }
        Expr::Match {
            scrutinee,
            arms,
            default,
        } => {
            let mut values: Vec<(Value, f64)> = Vec::new();
            for (env, label, p) in cases(scrutinee, env, budget)? {
                for (value, q) in law(arm(arms, default, label)?, &env, budget)? {
                    match values.iter_mut().find(|(v, _)| *v == value) {
                        Some((_, total)) => *total += p * q,
                        None => values.push((value, p * q)),
                    }
                }
            }
            Some(values)
        }
        Expr::Dist(distribution) => match distribution.as_ref() {
            Distribution::Bernoulli { p } => {
                let p = moment(p, env, budget).filter(|p| p.constant)?.mean;
                let p = p.clamp(0.0, 1.0);
                Some(vec![(Value::Bool(true), p), (Value::Bool(false), 1.0 - p)])
            }
            _ => None,
        },
        _ => {
            let value = consts::const_value(expr)?;
            Some(vec![(value, 1.0)])
        }
    }
}

/// The labels a `match` scrutinee takes, each with the environment in which its arm is
/// worked out (the attribute matched on given that label) and its probability.
fn cases<'a>(
    scrutinee: &Expr,
    env: &Env<'a>,
    budget: &mut Budget,
) -> Option<Vec<(Env<'a>, LabelId, f64)>> {
    let values = law(scrutinee, env, budget)?;
    values
        .into_iter()
        .map(|(value, p)| {
            let Value::Label(label) = value else {
                return None;
            };
            let env = match scrutinee {
                Expr::Var(VarRef::Instance(slot)) if !env.is_given(*slot) => {
                    env.given_also(*slot, value)
                }
                _ => env.clone(),
            };
            Some((env, label, p))
        })
        .collect()
}

/// The arm a label takes (as the interpreter searches: the first arm naming it, else `_`).
fn arm<'e>(
    arms: &'e [(Vec<LabelId>, Expr)],
    default: &'e Option<Box<Expr>>,
    label: LabelId,
) -> Option<&'e Expr> {
    arms.iter()
        .find(|(labels, _)| labels.contains(&label))
        .map(|(_, arm)| arm)
        .or(default.as_deref())
}

/// A `choice`'s probabilities: constant weights, clamped at zero as the engine does.
fn weights(options: &[(Value, Expr)], env: &Env<'_>, budget: &mut Budget) -> Option<Vec<f64>> {
    let weights: Option<Vec<f64>> = options
        .iter()
        .map(|(_, w)| {
            moment(w, env, budget)
                .filter(|w| w.constant)
                .map(|w| w.mean.max(0.0))
        })
        .collect();
    let weights = weights?;
    let total: f64 = weights.iter().sum();
    (total > 0.0 && total.is_finite()).then(|| weights.iter().map(|w| w / total).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts and times as people read them: three significant digits with a separator or a
    /// word, times to two significant digits in the largest fitting unit.
    #[test]
    fn trigger_counts_and_times_read_plainly() {
        assert_eq!(count_in_words(210_224.0), "210,000");
        assert_eq!(count_in_words(1_050.4), "1,050");
        assert_eq!(count_in_words(999_999.0), "1 million");
        assert_eq!(count_in_words(1.44e9), "1.44 billion");
        assert_eq!(count_in_words(42.4), "42");
        assert_eq!(
            triggers_text(210_224.0),
            "about 210,000 pipelines, for less than a second of simulation"
        );
        assert_eq!(
            triggers_text(1.0005e8),
            "about 100 million pipelines, for about 50s of simulation"
        );
        // 74,880 s: 20.8 h, said as 21 h.
        assert_eq!(
            triggers_text(1.4976e11),
            "about 150 billion pipelines, for about 21h of simulation"
        );
        assert_eq!(
            triggers_text(4e6),
            "about 4 million pipelines, for about 2s of simulation"
        );
    }

    /// std/profiles' office_hours, as its `hours` times its `days` (not normalised:
    /// `profile_mean` is relative to the week's mean).
    fn office_hours() -> ir::Profile {
        let hours = [
            0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 2.0, 2.2, 2.2, 1.6, 2.0, 2.2, 2.2, 2.0,
            1.4, 0.6, 0.3, 0.2, 0.15, 0.1, 0.1,
        ];
        let days = [1.0, 1.0, 1.0, 1.0, 0.9, 0.15, 0.15];
        let hourly = days
            .iter()
            .flat_map(|day| hours.iter().map(move |hour| day * hour))
            .collect();
        ir::Profile {
            name: "office_hours".into(),
            hourly,
        }
    }

    const DAY: f64 = 86_400.0;
    /// 2019-01-07T00:00:00Z, the default `scenario.start`: a Monday.
    const MONDAY: i64 = 1_546_819_200;

    fn assert_close(got: f64, want: f64) {
        assert!(
            (got - want).abs() < 1e-12 * want.abs().max(1.0),
            "{got} against {want}"
        );
    }

    /// Whole days weigh by their `days` factor alone, the hours' cancelling: the week's days
    /// sum to 5.2, so a day's mean is its factor times 7 / 5.2. Monday to Friday (4.9 over
    /// five days) is 1.3192; a Tuesday 1.3462, a Saturday 0.2019; Wednesday to Friday 1.3013.
    #[test]
    fn a_profile_weighs_a_window_by_the_days_it_covers() {
        let profile = office_hours();
        let mean = |from: f64, to: f64| profile_mean(&profile, MONDAY, from, to);
        assert_close(mean(0.0, 5.0 * DAY), (4.9 / 5.0) * 7.0 / 5.2);
        assert_close(mean(DAY, 2.0 * DAY), 7.0 / 5.2);
        assert_close(mean(5.0 * DAY, 6.0 * DAY), 0.15 * 7.0 / 5.2);
        assert_close(mean(2.0 * DAY, 5.0 * DAY), (2.9 / 3.0) * 7.0 / 5.2);
        // From the first Saturday to the end of the third week: a weekend and two weeks.
        let weekend = (14.0 * DAY + 0.3 * 7.0 * DAY / 5.2) / (16.0 * DAY);
        assert_close(mean(-2.0 * DAY + 7.0 * DAY, 21.0 * DAY), weekend);
        // Started on a Saturday, the first day is a Saturday.
        assert_close(
            profile_mean(&profile, MONDAY + 5 * 86_400, 0.0, DAY),
            0.15 * 7.0 / 5.2,
        );
    }

    /// Within a day the hours count: Monday 09:00 to 09:30 is at the hour's factor 2.0 over
    /// the week's mean hour (the hours' sum, 21.55, times 5.2 over 168); 08:30 to 09:30 half
    /// at 1.0 and half at 2.0. A start at 08:30 puts the scenario's first half hour there.
    #[test]
    fn a_profile_weighs_a_window_by_its_hours() {
        let profile = office_hours();
        let mean_hour = 21.55 * 5.2 / 168.0;
        let nine = 9.0 * 3600.0;
        assert_close(
            profile_mean(&profile, MONDAY, nine, nine + 1800.0),
            2.0 / mean_hour,
        );
        assert_close(
            profile_mean(&profile, MONDAY, nine - 1800.0, nine + 1800.0),
            1.5 / mean_hour,
        );
        assert_close(
            profile_mean(&profile, MONDAY + 8 * 3600 + 1800, 0.0, 1800.0),
            1.0 / mean_hour,
        );
    }

    /// Over whole weeks a profile's mean is 1 exactly, wherever they start, so the load of a
    /// scenario of whole weeks is what it was before profiles counted; the same for a profile
    /// that is flat, over any window.
    #[test]
    fn a_profile_over_whole_weeks_has_mean_one() {
        let profile = office_hours();
        for start in [MONDAY, MONDAY + 3 * 86_400 + 1234, MONDAY - 17] {
            for (from, weeks) in [(0.0, 1.0), (2.0 * DAY + 0.25, 3.0), (1e9, 52.0)] {
                let to = from + weeks * 7.0 * DAY;
                assert_eq!(profile_mean(&profile, start, from, to), 1.0);
            }
        }
        let flat = ir::Profile {
            name: "flat".into(),
            hourly: vec![3.0; 168],
        };
        assert_close(profile_mean(&flat, MONDAY, 1234.5, 5.0 * DAY), 1.0);
    }

    #[test]
    fn exponweib_mean_matches_closed_forms() {
        // a = 1 is the Weibull, mean Γ(1 + 1/c): Γ(2) = 1, Γ(1.5) = √π / 2, Γ(3) = 2.
        for (c, mean) in [
            (1.0, 1.0),
            (2.0, std::f64::consts::PI.sqrt() / 2.0),
            (0.5, 2.0),
        ] {
            let got = exponweib_mean(1.0, c).unwrap();
            assert!(
                (got - mean).abs() < 1e-9 * mean,
                "c = {c}: {got} against {mean}"
            );
        }
        // c = 1 is the exponentiated exponential, mean H(a) (the harmonic number) for a
        // whole a: H(3) = 11/6.
        let got = exponweib_mean(3.0, 1.0).unwrap();
        assert!((got - 11.0 / 6.0).abs() < 1e-9, "{got}");
    }
}
