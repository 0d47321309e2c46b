//! The event loop and the pipeline and step state machines.
//!
//! A replication is a loop over a [`Calendar`] of [`Event`]s: plain `Copy` values holding
//! indices (no names, no boxes, no closures). Pipeline instances live in a slab of reusable
//! slots (their variable and step vectors are cleared and reused, so a long run does not
//! allocate per event or per pipeline once warmed up).
//!
//! A step's life: dependencies done → `ready` → (`when` false: skipped, counts as done) →
//! reads on its link → queued on its pool → service for its sampled duration → slots
//! released → writes on its link → done; a `validate` step that fails its `pass` draw ends
//! the pipeline as rejected (steps of it already queued still run). A step without a pool is
//! a pure transfer: its duration (if any) elapses without holding slots.
//!
//! Common random numbers: when an instance is created, everything it will ever sample (its
//! variables, then for each step in source order: `when`, `on`, `units`, `duration`,
//! `reads`, `writes`, `accuracy`, `pass`, `size_factor`, `accuracy_loss`) is drawn from its
//! own stream, named by (arrivals declaration, sequence number). Steps are sampled even when
//! their `when` turns out false, so the draws do not depend on any value. An attribute that a
//! replayed trace's `row { }` sets is evaluated from that expression and the instance's row
//! instead of the template's (drawing only what it draws), in the template's order.
//!
//! Horizon: events at or after `horizon` are not processed; with `drain`, events of work
//! already arrived still are (no new arrivals, monitor checks or drops). Pipelines still in
//! progress at the end are reported as unfinished.

use crate::ir::{self, StepKind, Value};
use crate::sim::arrivals::ArrivalStream;
use crate::sim::batches::WaitBatches;
use crate::sim::calendar::Calendar;
use crate::sim::compiled::{self, Num, Val};
use crate::sim::eval::{self, Context, ModelView};
use crate::sim::link::LinkState;
use crate::sim::metrics::{Collector, LinkTotals, ModelTotals, PoolTotals, Totals};
use crate::sim::model::{DriftState, Model};
use crate::sim::pool::{PoolState, Request, ScaleAction};
use crate::sim::rng::{self, Stream};
use crate::sim::sample::standard_normal;
use crate::sim::trace::{
    ArrivalRow, Direction, LinkRow, ModelEvent, ModelRow, Outcome, PipelineRow, ResourceRow,
    StepRow, TraceSink,
};
use crate::sim::ReplicationResult;
use rand::Rng;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const NONE: u32 = u32::MAX;
/// `ArrivalRow::source` of a retraining run started by a monitor.
const RETRAIN_SOURCE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival { stream: u32 },
    ServiceEnd { instance: u32, step: u32 },
    LinkCompletion { link: u32, generation: u32 },
    ScaleUpCheck { pool: u32, generation: u32 },
    Provisioned { pool: u32, slots: u32 },
    IdleCheck { pool: u32, generation: u32 },
    MonitorTick { monitor: u32 },
    ModelDrop { model: u32, version: u32 },
    WarmupStart,
    ModelRetire { model: u32 },
}

/// An [`Event`] packed into one integer for the calendar: `kind << 64 | a << 32 | b`.
///
/// Why: an enum of three `u32`s is copied into the calendar's arrays through a stack slot
/// written field by field and read back in wider pieces, which stalls store-to-load
/// forwarding on every schedule; an integer built in registers is stored directly.
#[derive(Clone, Copy, Default)]
struct PackedEvent(u128);

impl Event {
    #[inline(always)]
    fn pack(self) -> PackedEvent {
        let (kind, a, b): (u32, u32, u32) = match self {
            Event::Arrival { stream } => (0, stream, 0),
            Event::ServiceEnd { instance, step } => (1, instance, step),
            Event::LinkCompletion { link, generation } => (2, link, generation),
            Event::ScaleUpCheck { pool, generation } => (3, pool, generation),
            Event::Provisioned { pool, slots } => (4, pool, slots),
            Event::IdleCheck { pool, generation } => (5, pool, generation),
            Event::MonitorTick { monitor } => (6, monitor, 0),
            Event::ModelDrop { model, version } => (7, model, version),
            Event::WarmupStart => (8, 0, 0),
            Event::ModelRetire { model } => (9, model, 0),
        };
        PackedEvent((u128::from(kind) << 64) | (u128::from(a) << 32) | u128::from(b))
    }

    #[inline(always)]
    fn unpack(packed: PackedEvent) -> Event {
        let (a, b) = ((packed.0 >> 32) as u32, packed.0 as u32);
        match (packed.0 >> 64) as u32 {
            0 => Event::Arrival { stream: a },
            1 => Event::ServiceEnd {
                instance: a,
                step: b,
            },
            2 => Event::LinkCompletion {
                link: a,
                generation: b,
            },
            3 => Event::ScaleUpCheck {
                pool: a,
                generation: b,
            },
            4 => Event::Provisioned { pool: a, slots: b },
            5 => Event::IdleCheck {
                pool: a,
                generation: b,
            },
            6 => Event::MonitorTick { monitor: a },
            7 => Event::ModelDrop {
                model: a,
                version: b,
            },
            8 => Event::WarmupStart,
            _ => Event::ModelRetire { model: a },
        }
    }
}

/// The calendar of [`Event`]s, stored packed.
struct EventCalendar(Calendar<PackedEvent>);

impl EventCalendar {
    #[inline(always)]
    fn schedule(&mut self, time: f64, event: Event) {
        self.0.schedule(time, event.pack());
    }

    #[inline(always)]
    fn pop(&mut self) -> Option<(f64, Event)> {
        self.0
            .pop()
            .map(|(time, packed)| (time, Event::unpack(packed)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Pool(u32),
    Link(u32),
}

/// The state of one step of an instance that its transitions read: 32 bytes, two steps to a
/// cache line. A step is touched at events minutes of simulated time apart, with the other
/// pipelines' state in between, so each line it spans is a likely first-level cache miss
/// (112 bytes, 18 misses per pipeline in the year benchmark, most of them here). What only
/// transfers, estimates, models and traces need is in [`StepCold`].
#[derive(Clone, Copy, Debug, Default)]
struct StepRun {
    /// Dependencies not yet done.
    pending: u32,
    /// Pool index, or NONE for a pure transfer.
    pool: u32,
    units: u32,
    /// [`StepRun::SKIPPED`] and the other flags.
    flags: u8,
    /// The step's one dependant, or [`StepRun::NO_DEPENDANT`] or [`StepRun::DEPENDANTS`]
    /// (see [`CompiledStep::next`]).
    next: u8,
    duration: f64,
    /// When the step joined its pool's queue; from its start on, how long it waited there
    /// (start - enqueued, the same bits).
    queued: f64,
}

impl StepRun {
    /// Its `when` was false.
    const SKIPPED: u8 = 1;
    /// A `validate` step whose `pass` draw failed: finishing it rejects the pipeline.
    const REJECTS: u8 = 2;
    /// Its service and writes are over (what deploying a model looks at).
    const EXECUTED: u8 = 4;
    /// It reads [`StepCold::read_bytes`] (more than none) over its link before it queues.
    const READS: u8 = 8;
    /// It writes [`StepCold::write_bytes`] over its link after its service.
    const WRITES: u8 = 16;
    /// Its `estimate` was drawn: the scheduler plans with [`StepCold::planned`], not with
    /// `duration`.
    const ESTIMATED: u8 = 32;

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// [`StepRun::next`]: nothing waits for the step.
    const NO_DEPENDANT: u8 = u8::MAX - 1;
    /// [`StepRun::next`]: several steps wait for it (or one numbered past 253), listed in
    /// [`TemplateInfo::dependants`].
    const DEPENDANTS: u8 = u8::MAX;

    /// [`StepRun::next`] of a step whose dependants are `dependants`.
    fn next_of(dependants: &[u32]) -> u8 {
        match dependants {
            [] => StepRun::NO_DEPENDANT,
            &[one] if one < u32::from(StepRun::NO_DEPENDANT) => one as u8,
            _ => StepRun::DEPENDANTS,
        }
    }
}

/// What a step needs beside its [`StepRun`] only for transfers, estimates, models and
/// traces: kept for the instances of a template with such steps ([`TemplateInfo::cold`]),
/// and for every instance when traces are on.
#[derive(Clone, Copy, Debug, Default)]
struct StepCold {
    read_bytes: f64,
    write_bytes: f64,
    accuracy: f64,
    accuracy_loss: f64,
    /// The sampled `estimate` (see [`StepRun::ESTIMATED`]).
    planned: f64,
    /// The trace's times, written only when traces are on.
    ready: f64,
    start: f64,
    end: f64,
}

/// A pipeline instance. What its step transitions read and write is in its first 64 bytes,
/// aligned to a cache line, so that an event of a pipeline last touched minutes of simulated
/// time ago misses on one line of it, not on two or three; the rest is read when it arrives,
/// ends, or with traces on.
#[derive(Default)]
#[repr(C, align(64))]
struct Instance {
    template: u32,
    steps_left: u32,
    /// Steps started (reads, queue, service or writes) and not yet finished.
    in_flight: u32,
    /// The model this run retrains, or NONE.
    model: u32,
    counted: bool,
    ended: bool,
    wait: f64,
    arrival: f64,
    deadline: f64,
    // The second line and after.
    steps: Steps,
    id: u64,
    /// Kept only with traces on (its one reader).
    first_start: f64,
    priority: f64,
    vars: Vec<Value>,
    /// Beside `steps` when the template needs it or traces are on, else left as it was
    /// (and not read).
    cold: Vec<StepCold>,
}

/// An instance's [`StepRun`]s: the first [`INLINE_STEPS`] inside the instance, the rest (of
/// a longer template) in a vector. A step's event reaches its state by comparing its index
/// with a constant, without first loading the length or where the steps are (in the year
/// benchmark, -1.5% instructions for keeping them inline, -1.4% more for not loading the
/// length). An index is always below the template's step count (the engine makes them from
/// it), so the inline places past the length are never read.
#[derive(Default)]
struct Steps {
    len: u32,
    inline: [StepRun; INLINE_STEPS],
    /// The steps from [`INLINE_STEPS`] on: empty for a template of up to that many.
    rest: Vec<StepRun>,
}

/// The steps kept inside an instance: the four kinds of the paper's pipelines (preprocess,
/// train, validate, compress), in two cache lines.
const INLINE_STEPS: usize = 4;

impl Steps {
    /// Holds `len` steps, whose states the caller then writes (they are left as they were).
    fn reset(&mut self, len: usize) {
        self.len = len as u32;
        self.rest
            .resize(len.saturating_sub(INLINE_STEPS), StepRun::default());
    }

    fn len(&self) -> usize {
        self.len as usize
    }
}

impl std::ops::Index<usize> for Steps {
    type Output = StepRun;
    #[inline(always)]
    fn index(&self, step: usize) -> &StepRun {
        if step < INLINE_STEPS {
            &self.inline[step]
        } else {
            &self.rest[step - INLINE_STEPS]
        }
    }
}

impl std::ops::IndexMut<usize> for Steps {
    #[inline(always)]
    fn index_mut(&mut self, step: usize) -> &mut StepRun {
        if step < INLINE_STEPS {
            &mut self.inline[step]
        } else {
            &mut self.rest[step - INLINE_STEPS]
        }
    }
}

#[derive(Clone, Copy)]
struct TransferRecord {
    instance: u32,
    step: u32,
    direction: Direction,
    start: f64,
    bytes: f64,
}

/// Per template, computed once.
struct TemplateInfo {
    /// The steps that wait for each step, all in one list: step `s`'s are
    /// `dependants[steps[s].dependants.0 .. steps[s].dependants.1]`.
    dependants: Vec<u32>,
    /// Steps with no dependencies.
    roots: Vec<u32>,
    /// Whether completed runs deploy tracked models.
    tracks_models: bool,
    /// Whether any step has an `estimate` (drawn after everything else the instance draws).
    estimates: bool,
    /// Whether any step has an estimate or any of the samples that [`CompiledStep::extras`]
    /// names: the instances keep [`StepCold`]s.
    cold: bool,
    /// The template's variables and step samples, compiled.
    vars: Vec<VarSampler>,
    steps: Vec<CompiledStep>,
    /// Whether any step's duration is [`Late`].
    late: bool,
    /// The slots of the [`VarSampler::LateLogNormal`] variables.
    late_vars: Vec<u32>,
}

/// How an instance variable is sampled.
enum VarSampler {
    /// Evaluated in its place.
    Now(Val),
    /// `lognormal(mu, sigma)` with constant parameters, which nothing reads before the
    /// instance's late pass (the year model's data set size, read only by the affine part
    /// of a [`Late`] duration): the exponent `mu + sigma * z` is drawn in its place and
    /// kept in the slot, and its `exp` is taken in the late pass, beside the durations'
    /// logarithms, where the processor overlaps the latency chains. The same operations as
    /// [`Val::eval`]: the same bits, and no draw moves.
    LateLogNormal { mu: f64, sigma: f64 },
}

impl VarSampler {
    /// What [`start_instance`](Simulation::start_instance) keeps in the variable's slot
    /// until the late pass, written there (see [`Val::eval_into`]).
    #[inline(always)]
    fn draw_into(&self, vars: &[Value], rng: &mut Stream, out: &mut Value) {
        match self {
            VarSampler::Now(val) => val.eval_into(vars, rng, out),
            VarSampler::LateLogNormal { mu, sigma } => {
                *out = Value::Num(mu + sigma * standard_normal(rng))
            }
        }
    }

    /// The variable's value, at once.
    fn eval(&self, vars: &[Value], rng: &mut Stream) -> Value {
        match self {
            VarSampler::Now(val) => val.eval(vars, rng),
            VarSampler::LateLogNormal { mu, sigma } => {
                Value::Num(crate::math::exp(mu + sigma * standard_normal(rng)))
            }
        }
    }
}

/// Whether variable `slot` of `pipeline` can be a [`VarSampler::LateLogNormal`] (given that
/// it is a lognormal with constant parameters): nothing reads it before the late pass. Not
/// another variable, the priority or the deadline; and of what a step samples, only the
/// affine part of a [`Late`] duration (which reads it in the late pass, after it is made).
fn read_only_late(pipeline: &ir::Pipeline, steps: &[CompiledStep], slot: u32) -> bool {
    let reads = |expr: &ir::Expr| expr.reads_instance(slot);
    let reads_any = |expr: &Option<ir::Expr>| expr.as_ref().is_some_and(reads);
    let transfer_reads =
        |transfer: &Option<ir::Transfer>| transfer.as_ref().is_some_and(|t| reads(&t.bytes));
    pipeline.priority_var != Some(slot)
        && pipeline.deadline_var != Some(slot)
        && !pipeline.vars.iter().any(|var| reads(&var.expr))
        && pipeline.steps.iter().zip(steps).all(|(step, compiled)| {
            let late_affine = matches!(
                compiled.late,
                Some(Late::Exponential { affine: Some((_, read, _)), .. }) if read == slot
            );
            !(reads_any(&step.when)
                || reads_any(&step.on)
                || reads(&step.units)
                || (reads(&step.duration) && !late_affine)
                || transfer_reads(&step.reads)
                || transfer_reads(&step.writes)
                || reads_any(&step.accuracy)
                || reads_any(&step.pass)
                || reads_any(&step.size_factor)
                || reads_any(&step.accuracy_loss)
                || reads_any(&step.estimate))
        })
}

/// What [`sample_step`] evaluates, compiled (`when` stays interpreted: it is rare), and what
/// the step's transitions need of the template, resolved to indices.
struct CompiledStep {
    /// The step's `when`, kept here so that sampling reads one table, not the template's too.
    when: Option<Box<ir::Expr>>,
    /// The pool and units, when they can be resolved without evaluating anything.
    placement: Placement,
    on: Option<Val>,
    /// Dependencies that must be done before the step is ready.
    pending: u32,
    /// Whether the step has any of `reads`, `writes`, `accuracy`, `size_factor` or
    /// `accuracy_loss` (most have none).
    extras: bool,
    /// The range of this step's dependants in [`TemplateInfo::dependants`].
    dependants: (u32, u32),
    /// The one step that waits for this one, where there is one (the usual chain of
    /// steps), kept in each [`StepRun`]: a step that ends then releases its dependant
    /// without looking up the template's tables.
    next: u8,
    read_link: u32,
    write_link: u32,
    validate: bool,
    units: Num,
    duration: Num,
    reads: Option<Num>,
    writes: Option<Num>,
    accuracy: Option<Num>,
    pass: Option<Num>,
    size_factor: Option<Num>,
    accuracy_loss: Option<Num>,
    estimate: Option<Num>,
    /// `duration` when its logarithm can wait until the instance's draws are all made.
    late: Option<Late>,
}

/// A duration whose last function can wait until the instance's draws are all made (the
/// year model's shapes): [`sample_step`] draws in its place in the stream and keeps a
/// number, [`Late::finish`] makes the duration of it once every step is sampled, one step
/// after another. The logarithms and exponentials of an instance's steps then follow each
/// other without the samplers' dispatch between them, so the processor overlaps their
/// latency chains (as drawing interarrivals in blocks did). The same operations in the
/// same order as [`Num::eval`]: the same bits, and no draw moves.
#[derive(Clone, Copy)]
enum Late {
    /// `mean * -ln(1 - u)`, or `(c + var * k) + mean * -ln(1 - u)`, with constants `mean`,
    /// `c` and `k`: `1 - u` is kept.
    Exponential {
        mean: f64,
        affine: Option<(f64, u32, f64)>,
    },
    /// A `match` on a label with lognormal arms ([`Num::is_lognormal_by_label`]): the
    /// exponent is kept.
    LogNormal,
}

impl Late {
    fn of(duration: &Num) -> Option<Self> {
        match duration {
            Num::ExponentialConst(mean) => Some(Late::Exponential {
                mean: *mean,
                affine: None,
            }),
            Num::Arithmetic(ir::BinaryOp::Add, operands) => match operands.as_ref() {
                (Num::Affine { c, slot, k }, Num::ExponentialConst(mean)) => {
                    Some(Late::Exponential {
                        mean: *mean,
                        affine: Some((*c, *slot, *k)),
                    })
                }
                _ => None,
            },
            _ if duration.is_lognormal_by_label() => Some(Late::LogNormal),
            _ => None,
        }
    }

    /// What [`sample_step`] keeps: the draw.
    #[inline(always)]
    fn draw(&self, duration: &Num, vars: &[Value], rng: &mut Stream) -> f64 {
        match self {
            Late::Exponential { .. } => 1.0 - rng.random::<f64>(),
            Late::LogNormal => duration.lognormal_exponent(vars, rng),
        }
    }

    /// The duration, from what [`Late::draw`] kept.
    #[inline(always)]
    fn finish(&self, kept: f64, vars: &[Value]) -> f64 {
        eval::non_negative(match *self {
            Late::Exponential { mean, affine } => {
                let draw = mean * -crate::math::ln(kept);
                match affine {
                    Some((c, slot, k)) => c + compiled::var_number(vars, slot) * k + draw,
                    None => draw,
                }
            }
            Late::LogNormal => crate::math::exp(kept),
        })
    }
}

/// A step's pool and units taken, as far as they are known before sampling (`on` and
/// `units` of a template are mostly constants, or `on` a `match` on a label with constant
/// arms): neither draws anything, so resolving them once leaves every draw as it was.
enum Placement {
    /// `(pool, units)` for every instance.
    Fixed((u32, u32)),
    /// `(pool, units)` by the label in an instance variable (by label id), and for any other
    /// value.
    ByLabel {
        slot: u32,
        by_label: Vec<(u32, u32)>,
        other: (u32, u32),
    },
    /// `on` or `units` is evaluated for each instance.
    Sampled,
}

impl Placement {
    fn new(on: Option<&Val>, units: &Num, slots: &[Option<Slot>], pools: &[PoolState]) -> Self {
        /// `Some` of an arm that is a constant or absent (a missing default gives NaN, which
        /// is no resource); a constant arm is always a `Val::Const`.
        fn constant(arm: Option<&Val>) -> Option<Option<&Value>> {
            match arm {
                None => Some(None),
                Some(Val::Const(value)) => Some(Some(value)),
                Some(_) => None,
            }
        }
        let Num::Const(units) = *units else {
            return Placement::Sampled;
        };
        let units = units.round();
        let place = |value: Option<&Value>| {
            let pool = value.map_or(NONE, |value| pool_of(value, slots));
            (pool, units_taken(units, pool, pools))
        };
        match on {
            None => Placement::Fixed(place(None)),
            Some(Val::Const(value)) => Placement::Fixed(place(Some(value))),
            Some(Val::MatchTable(table)) => {
                let (arms, default) = table.arms_by_label();
                let Some(arms) = arms.into_iter().map(constant).collect::<Option<Vec<_>>>() else {
                    return Placement::Sampled;
                };
                let Some(default) = constant(default) else {
                    return Placement::Sampled;
                };
                Placement::ByLabel {
                    slot: table.slot(),
                    by_label: arms.into_iter().map(place).collect(),
                    other: place(default),
                }
            }
            Some(_) => Placement::Sampled,
        }
    }

    /// The `(pool, units)` of an instance with these variables, or `None` if they must be
    /// sampled.
    #[inline(always)]
    fn resolve(&self, vars: &[Value]) -> Option<(u32, u32)> {
        match self {
            Placement::Fixed(placement) => Some(*placement),
            Placement::ByLabel {
                slot,
                by_label,
                other,
            } => Some(match vars.get(*slot as usize) {
                Some(Value::Label(label)) => *by_label.get(*label as usize).unwrap_or(other),
                _ => *other,
            }),
            Placement::Sampled => None,
        }
    }
}

/// Puts `item` in a free slot of `items` (the last freed), else in a new one; gives its index.
fn place<T>(items: &mut Vec<T>, free: &mut Vec<u32>, item: T) -> u32 {
    match free.pop() {
        Some(index) => {
            items[index as usize] = item;
            index
        }
        None => {
            items.push(item);
            (items.len() - 1) as u32
        }
    }
}

/// The pool a step's `on` value names, or NONE (not a resource, or a link).
fn pool_of(value: &Value, slots: &[Option<Slot>]) -> u32 {
    match value {
        Value::Resource(resource) => match slots.get(*resource as usize).copied().flatten() {
            Some(Slot::Pool(index)) => index,
            _ => NONE,
        },
        _ => NONE,
    }
}

/// The slots a step takes of `pool` for its rounded `units`: at least one, and never more
/// than its pool can ever have (it would wait forever).
fn units_taken(units: f64, pool: u32, pools: &[PoolState]) -> u32 {
    let max_units = if pool == NONE {
        1
    } else {
        pools[pool as usize].max_capacity.max(1)
    };
    if units >= 1.0 {
        let max_units = f64::from(max_units);
        (if units < max_units { units } else { max_units }) as u32
    } else {
        1
    }
}

impl CompiledStep {
    /// `slots` maps resource ids to pools and links; `pending`, `dependants` and `next` come
    /// from the template's graph.
    fn new(
        step: &ir::Step,
        slots: &[Option<Slot>],
        pools: &[PoolState],
        pending: u32,
        dependants: (u32, u32),
        next: u8,
    ) -> Self {
        let compile = |expr: &Option<ir::Expr>| expr.as_ref().map(Num::compile);
        let link = |transfer: &Option<ir::Transfer>| match transfer
            .as_ref()
            .and_then(|t| slots.get(t.link as usize).copied().flatten())
        {
            Some(Slot::Link(index)) => index,
            _ => NONE,
        };
        let on = step.on.as_ref().map(Val::compile);
        let units = Num::compile(&step.units);
        let placement = Placement::new(on.as_ref(), &units, slots, pools);
        let duration = Num::compile(&step.duration);
        let extras = step.reads.is_some()
            || step.writes.is_some()
            || step.accuracy.is_some()
            || step.size_factor.is_some()
            || step.accuracy_loss.is_some();
        CompiledStep {
            when: step.when.clone().map(Box::new),
            placement,
            on,
            pending,
            extras,
            dependants,
            next,
            read_link: link(&step.reads),
            write_link: link(&step.writes),
            validate: step.kind == StepKind::Validate,
            units,
            late: Late::of(&duration),
            duration,
            reads: step.reads.as_ref().map(|t| Num::compile(&t.bytes)),
            writes: step.writes.as_ref().map(|t| Num::compile(&t.bytes)),
            accuracy: compile(&step.accuracy),
            pass: compile(&step.pass),
            size_factor: compile(&step.size_factor),
            accuracy_loss: compile(&step.accuracy_loss),
            estimate: compile(&step.estimate),
        }
    }
}

struct Simulation<'a> {
    scenario: &'a ir::Scenario,
    sink: &'a mut dyn TraceSink,
    tracing: bool,
    replication: u32,
    replication_seed: u64,
    now: f64,
    calendar: EventCalendar,
    slots: Vec<Option<Slot>>,
    /// Resource id of each pool and link.
    pool_resource: Vec<u32>,
    link_resource: Vec<u32>,
    pools: Vec<PoolState>,
    pool_policies: Vec<ir::Policy>,
    links: Vec<LinkState>,
    streams: Vec<ArrivalStream>,
    /// Per arrivals declaration, [`rng::owner`] of the streams of the instances it triggers.
    instance_owners: Vec<u64>,
    /// Each arrivals declaration's `pipeline` expression, compiled (usually a constant).
    arrival_templates: Vec<Val>,
    templates: Vec<TemplateInfo>,
    instances: Vec<Instance>,
    free_instances: Vec<u32>,
    live_instances: u32,
    transfers: Vec<TransferRecord>,
    free_transfers: Vec<u32>,
    /// Models by slot. A retired model's slot is reused once nothing refers to it (see
    /// [`Model::is_released`]), so a long run whose models retire holds as many slots as it
    /// ever has models live, not every model it deployed. Events, retraining runs and
    /// `live_models` name models by slot; traces and streams by [`Model::number`].
    models: Vec<Model>,
    free_models: Vec<u32>,
    /// The number of the next new model.
    next_model: u32,
    /// The models not retired, in the order they were first deployed (what monitors check).
    live_models: Vec<u32>,
    /// Window totals of the deployed models, per template.
    model_totals: Vec<ModelTotals>,
    next_id: u64,
    collector: Collector,
    // Reused buffers, so handling an event never allocates.
    finished_transfers: Vec<u32>,
    scale_actions: Vec<ScaleAction>,
    /// Ticks of [`Control::progress`] reported so far.
    progress_reported: u64,
}

/// Events between two looks at the stop flag, whatever the simulated time: a few
/// milliseconds of work.
const POLL_EVENTS: u32 = 1 << 16;

/// Why a replication ended before its end.
#[derive(Clone, Debug, PartialEq)]
pub enum Abandoned {
    /// `stop` was set (Ctrl-C).
    Stopped,
    /// More pipelines were in the system at once than the run allows.
    Overfull(Overfull),
}

/// A replication that held more pipelines at once than its limit: where it stood.
#[derive(Clone, Debug, PartialEq)]
pub struct Overfull {
    /// Simulated seconds from the scenario start.
    pub time: f64,
    /// Pipelines arrived and not ended.
    pub live: u32,
    /// The pool with the longest queue (resource id) and its length, if any pool has one.
    pub longest_queue: Option<(u32, u32)>,
}

/// What the caller of a replication controls and sees while it runs.
pub struct Control<'a> {
    /// Set to abandon the replication (Ctrl-C).
    pub stop: &'a AtomicBool,
    /// The most pipelines it may hold at once before it is abandoned.
    pub max_live: u32,
    /// Advanced by [`PROGRESS_TICKS`] over a replication that ends: by its simulated time
    /// as it runs, the rest when it ends (the drain, a horizon of zero).
    pub progress: Option<&'a AtomicU64>,
}

/// What one replication adds to [`Control::progress`].
pub const PROGRESS_TICKS: u64 = 4096;

/// Runs one replication (see [`crate::sim::run_replication`]), or abandons it once `stop` is
/// set or more than `max_live` pipelines are in the system at once.
pub fn run(
    scenario: &ir::Scenario,
    replication: u32,
    sink: &mut dyn TraceSink,
    control: &Control,
) -> Result<ReplicationResult, Abandoned> {
    let mut simulation = Simulation::new(scenario, replication, sink);
    simulation.run(control)?;
    if let Some(progress) = control.progress {
        progress.fetch_add(
            PROGRESS_TICKS.saturating_sub(simulation.progress_reported),
            Ordering::Relaxed,
        );
    }
    Ok(simulation.finish())
}

impl<'a> Simulation<'a> {
    fn new(scenario: &'a ir::Scenario, replication: u32, sink: &'a mut dyn TraceSink) -> Self {
        let window_start = scenario.warmup.max(0.0);
        let window_end = scenario.horizon.max(window_start);
        let mut slots = Vec::with_capacity(scenario.resources.len());
        let mut pools = Vec::new();
        let mut links = Vec::new();
        let mut pool_resource = Vec::new();
        let mut pool_policies = Vec::new();
        let mut link_resource = Vec::new();
        for (id, resource) in scenario.resources.iter().enumerate() {
            match &resource.kind {
                ir::ResourceKind::Pool(pool) => {
                    slots.push(Some(Slot::Pool(pools.len() as u32)));
                    pool_resource.push(id as u32);
                    pool_policies.push(pool.policy);
                    pools.push(PoolState::new(
                        pool,
                        scenario.pipelines.len(),
                        window_start,
                        window_end,
                    ));
                }
                ir::ResourceKind::Link(link) => {
                    if link.bandwidth > 0.0 {
                        slots.push(Some(Slot::Link(links.len() as u32)));
                        link_resource.push(id as u32);
                        links.push(LinkState::new(link.bandwidth, window_start, window_end));
                    } else {
                        // A link without bandwidth cannot move anything: transfers on it
                        // are treated as instantaneous rather than stuck forever.
                        slots.push(None);
                    }
                }
            }
        }
        let monitored = |template: usize| {
            scenario
                .monitors
                .iter()
                .any(|monitor| monitor.pipelines.contains(&(template as u32)))
        };
        let templates = scenario
            .pipelines
            .iter()
            .enumerate()
            .map(|(index, pipeline)| {
                let mut dependants_of = vec![Vec::new(); pipeline.steps.len()];
                let mut pending = vec![0u32; pipeline.steps.len()];
                let mut roots = Vec::new();
                for (step_index, step) in pipeline.steps.iter().enumerate() {
                    let valid: Vec<u32> = step
                        .after
                        .iter()
                        .copied()
                        .filter(|&d| {
                            (d as usize) < pipeline.steps.len() && d as usize != step_index
                        })
                        .collect();
                    if valid.is_empty() {
                        roots.push(step_index as u32);
                    }
                    pending[step_index] = valid.len() as u32;
                    for dependency in valid {
                        dependants_of[dependency as usize].push(step_index as u32);
                    }
                }
                let mut dependants = Vec::new();
                let mut steps = Vec::with_capacity(pipeline.steps.len());
                for (step_index, step) in pipeline.steps.iter().enumerate() {
                    let start = dependants.len() as u32;
                    dependants.extend_from_slice(&dependants_of[step_index]);
                    let range = (start, dependants.len() as u32);
                    steps.push(CompiledStep::new(
                        step,
                        &slots,
                        &pools,
                        pending[step_index],
                        range,
                        StepRun::next_of(&dependants_of[step_index]),
                    ));
                }
                let estimates = pipeline.steps.iter().any(|s| s.estimate.is_some());
                let vars: Vec<VarSampler> = pipeline
                    .vars
                    .iter()
                    .zip(0u32..)
                    .map(|(var, slot)| match Val::compile(&var.expr) {
                        Val::Num(Num::LogNormalConst(mu, sigma))
                            if read_only_late(pipeline, &steps, slot) =>
                        {
                            VarSampler::LateLogNormal { mu, sigma }
                        }
                        val => VarSampler::Now(val),
                    })
                    .collect();
                let late_vars = (0u32..)
                    .zip(&vars)
                    .filter(|(_, var)| matches!(var, VarSampler::LateLogNormal { .. }))
                    .map(|(slot, _)| slot)
                    .collect();
                TemplateInfo {
                    dependants,
                    roots,
                    tracks_models: pipeline.model.is_some() || monitored(index),
                    estimates,
                    cold: estimates || steps.iter().any(|s| s.extras),
                    late: steps.iter().any(|s| s.late.is_some()),
                    late_vars,
                    vars,
                    steps,
                }
            })
            .collect();
        let replication_seed = rng::replication_seed(scenario.seed, replication);
        let mut streams: Vec<ArrivalStream> = scenario
            .arrivals
            .iter()
            .enumerate()
            .map(|(index, arrivals)| {
                ArrivalStream::new(
                    index as u32,
                    arrivals,
                    &scenario.profiles,
                    scenario.start_unix,
                    scenario.horizon,
                    rng::stream(replication_seed, rng::ARRIVALS, index as u64, 0),
                )
            })
            .collect();
        let arrival_templates: Vec<Val> = scenario
            .arrivals
            .iter()
            .map(|arrivals| Val::compile(&arrivals.pipeline))
            .collect();
        for (stream, template) in streams.iter_mut().zip(&arrival_templates) {
            // A constant template draws nothing from the stream, so its interarrival
            // samples can be drawn ahead without changing any of them.
            if matches!(template, Val::Const(_)) {
                stream.draw_ahead();
            }
        }
        let tracing = sink.enabled();
        Simulation {
            scenario,
            sink,
            tracing,
            replication,
            replication_seed,
            now: 0.0,
            calendar: EventCalendar(Calendar::new()),
            slots,
            pool_resource,
            link_resource,
            pools,
            pool_policies,
            links,
            streams,
            instance_owners: (0..scenario.arrivals.len() as u64)
                .map(|index| rng::owner(replication_seed, rng::INSTANCE, index))
                .collect(),
            arrival_templates,
            templates,
            instances: Vec::new(),
            free_instances: Vec::new(),
            live_instances: 0,
            transfers: Vec::new(),
            free_transfers: Vec::new(),
            models: Vec::new(),
            free_models: Vec::new(),
            next_model: 0,
            live_models: Vec::new(),
            model_totals: vec![ModelTotals::default(); scenario.pipelines.len()],
            next_id: 0,
            collector: Collector {
                wait_batches: WaitBatches::new(scenario),
                ..Collector::new(
                    scenario.pipelines.iter().map(|p| {
                        (
                            p.name.as_str(),
                            p.steps.iter().map(|s| s.name.as_str()).collect(),
                        )
                    }),
                    &scenario.experiment.metrics,
                )
            },
            finished_transfers: Vec::new(),
            scale_actions: Vec::new(),
            progress_reported: 0,
        }
    }

    fn window(&self) -> (f64, f64) {
        let start = self.scenario.warmup.max(0.0);
        (start, self.scenario.horizon.max(start))
    }

    /// Runs to the end, or until `stop` is set or more than `max_live` pipelines are in the
    /// system at once. Both are looked at together, at the same moments, when progress is
    /// reported.
    fn run(&mut self, control: &Control) -> Result<(), Abandoned> {
        let scenario = self.scenario;
        if scenario.warmup > 0.0 {
            self.calendar.schedule(scenario.warmup, Event::WarmupStart);
        }
        for index in 0..self.streams.len() {
            self.schedule_next_arrival(index as u32);
        }
        for (index, monitor) in scenario.monitors.iter().enumerate() {
            if monitor.every > 0.0 {
                self.calendar.schedule(
                    monitor.every,
                    Event::MonitorTick {
                        monitor: index as u32,
                    },
                );
            }
        }
        for pool in 0..self.pools.len() {
            self.emit_resource(pool as u32);
        }
        // A NaN horizon (never produced by analysis) would never stop the loop.
        let horizon = if scenario.horizon.is_nan() {
            0.0
        } else {
            scenario.horizon
        };
        // `stop` is looked at every 1/4096 of the horizon in simulated time, so the one
        // comparison each event makes with a time is against whichever of the two comes
        // first; and every `POLL_EVENTS` events, for a run whose simulated time hardly moves
        // (arrivals a nanosecond apart), which would otherwise not stop at all.
        let poll_every = horizon / 4096.0;
        let mut next_poll = if poll_every > 0.0 {
            poll_every
        } else {
            horizon
        };
        let mut limit = next_poll.min(horizon);
        let mut countdown = POLL_EVENTS;
        while let Some((time, event)) = self.calendar.pop() {
            countdown -= 1;
            if countdown == 0 {
                countdown = POLL_EVENTS;
                if let Some(abandoned) = self.poll(control, time, horizon) {
                    return Err(abandoned);
                }
            }
            if time >= limit {
                if time < horizon {
                    if let Some(abandoned) = self.poll(control, time, horizon) {
                        return Err(abandoned);
                    }
                    next_poll = time + poll_every;
                    limit = next_poll.min(horizon);
                } else {
                    if !scenario.drain {
                        break;
                    }
                    if matches!(
                        event,
                        Event::Arrival { .. }
                            | Event::MonitorTick { .. }
                            | Event::ModelDrop { .. }
                            | Event::ModelRetire { .. }
                    ) {
                        continue;
                    }
                    if self.live_instances == 0 {
                        break;
                    }
                }
            }
            self.now = time;
            self.handle(event);
        }
        Ok(())
    }

    /// Reports progress up to `time`, then whether to go on: not if `stop` is set, nor with
    /// more than `max_live` pipelines in the system (an overloaded scenario's queue would
    /// otherwise take all memory; between two looks at most [`POLL_EVENTS`] more can arrive).
    #[cold]
    fn poll(&mut self, control: &Control, time: f64, horizon: f64) -> Option<Abandoned> {
        if let Some(progress) = control.progress {
            // Saturating float-to-integer conversion: a time past the horizon counts whole.
            let ticks = ((time / horizon) * PROGRESS_TICKS as f64) as u64;
            let ticks = ticks.min(PROGRESS_TICKS);
            if ticks > self.progress_reported {
                progress.fetch_add(ticks - self.progress_reported, Ordering::Relaxed);
                self.progress_reported = ticks;
            }
        }
        if control.stop.load(Ordering::Relaxed) {
            return Some(Abandoned::Stopped);
        }
        if self.live_instances > control.max_live {
            let longest_queue = (0..self.pools.len())
                .map(|pool| (self.pool_resource[pool], self.pools[pool].queue_len()))
                .filter(|&(_, length)| length > 0)
                .max_by_key(|&(_, length)| length);
            return Some(Abandoned::Overfull(Overfull {
                time: self.now,
                live: self.live_instances,
                longest_queue,
            }));
        }
        None
    }

    /// The two common kinds are tested one after the other, the rest is out of line: a
    /// `match` on every kind is a jump table, an indirect branch whose target changes with
    /// the random order of service ends and arrivals (cachegrind put 36,000 mispredictions
    /// on it per 0.1 simulated year).
    #[inline(always)]
    fn handle(&mut self, event: Event) {
        match event {
            Event::ServiceEnd { instance, step } => self.service_end(instance, step),
            Event::Arrival { stream } => self.arrival(stream),
            _ => self.handle_rare(event),
        }
    }

    /// Every kind but the two [`Simulation::handle`] answers itself.
    #[inline(never)]
    fn handle_rare(&mut self, event: Event) {
        match event {
            Event::Arrival { .. } | Event::ServiceEnd { .. } => {
                unreachable!("handled in `handle`")
            }
            Event::LinkCompletion { link, generation } => self.link_completion(link, generation),
            Event::ScaleUpCheck { pool, generation } => {
                let mut actions = std::mem::take(&mut self.scale_actions);
                let add = self.pools[pool as usize].autoscale_up_check(
                    self.now,
                    generation,
                    &mut actions,
                );
                if add > 0 {
                    let provision = self.pools[pool as usize]
                        .autoscale
                        .as_ref()
                        .map_or(0.0, |a| a.spec.provision.max(0.0));
                    self.calendar.schedule(
                        self.now + provision,
                        Event::Provisioned { pool, slots: add },
                    );
                }
                self.schedule_scale_actions(pool, &mut actions);
                self.scale_actions = actions;
            }
            Event::Provisioned { pool, slots } => {
                self.pools[pool as usize].add_capacity(self.now, slots);
                self.pool_changed(pool);
            }
            Event::IdleCheck { pool, generation } => {
                if self.pools[pool as usize].autoscale_idle_check(self.now, generation) {
                    self.pool_changed(pool);
                }
            }
            Event::MonitorTick { monitor } => self.monitor_tick(monitor),
            Event::ModelDrop { model, version } => self.model_drop(model, version),
            Event::ModelRetire { model } => self.model_retire(model),
            Event::WarmupStart => {
                for pool in &mut self.pools {
                    pool.start_window(self.now);
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Arrivals and instances

    fn schedule_next_arrival(&mut self, stream: u32) {
        let arrivals = &self.scenario.arrivals[stream as usize];
        if let Some(time) = self.streams[stream as usize].next_time(arrivals) {
            // Replayed times are sorted by analysis; never let one run the clock backwards.
            self.calendar.schedule(
                if time > self.now { time } else { self.now },
                Event::Arrival { stream },
            );
        }
    }

    fn arrival(&mut self, stream_index: u32) {
        let scenario = self.scenario;
        let stream = &mut self.streams[stream_index as usize];
        let sequence = stream.sequence;
        stream.sequence += 1;
        // Read before the next arrival is drawn: the row of this one.
        let row = stream.row;
        let template = self.arrival_templates[stream_index as usize].eval(&[], &mut stream.rng);
        self.schedule_next_arrival(stream_index);
        if let Value::Pipeline(template) = template {
            if (template as usize) < scenario.pipelines.len() {
                let rng = rng::owned_stream(self.instance_owners[stream_index as usize], sequence);
                let from_row = (!scenario.arrivals[stream_index as usize]
                    .row
                    .attributes
                    .is_empty())
                .then_some((stream_index, row));
                self.start_instance(template, stream_index, rng, NONE, from_row);
            }
        }
    }

    fn allocate_instance(&mut self) -> u32 {
        match self.free_instances.pop() {
            Some(index) => index,
            None => {
                self.instances.push(Instance::default());
                (self.instances.len() - 1) as u32
            }
        }
    }

    /// Creates an instance of `template` arriving now, samples everything it will need from
    /// `rng`, and starts its first steps. `from_row` is the arrivals declaration and the
    /// replayed row whose `row { }` attributes replace the template's expressions.
    fn start_instance(
        &mut self,
        template: u32,
        source: u32,
        mut rng: Stream,
        model: u32,
        from_row: Option<(u32, usize)>,
    ) {
        let scenario = self.scenario;
        let pipeline = &scenario.pipelines[template as usize];
        let index = self.allocate_instance();
        let id = self.next_id;
        self.next_id += 1;
        let now = self.now;
        let counted = now >= scenario.warmup;
        self.live_instances += 1;
        {
            let instance = &mut self.instances[index as usize];
            instance.id = id;
            instance.template = template;
            instance.arrival = now;
            instance.counted = counted;
            instance.first_start = f64::NAN;
            instance.wait = 0.0;
            instance.steps_left = pipeline.steps.len() as u32;
            instance.in_flight = 0;
            instance.ended = false;
            instance.model = model;
            let compiled = &self.templates[template as usize];
            match from_row {
                None => {
                    // Each variable is written in its slot, and sees the ones before it. A
                    // reused slot usually held the same template, whose vector has the
                    // length already.
                    let vars = &mut instance.vars;
                    if vars.len() != compiled.vars.len() {
                        vars.clear();
                        vars.resize(compiled.vars.len(), Value::Num(f64::NAN));
                    }
                    for (slot, var) in compiled.vars.iter().enumerate() {
                        let (before, rest) = vars.split_at_mut(slot);
                        if let Some(out) = rest.first_mut() {
                            var.draw_into(before, &mut rng, out);
                        }
                    }
                }
                Some((arrivals, row)) => {
                    instance.vars.clear();
                    let row_attributes = &scenario.arrivals[arrivals as usize].row;
                    let width = row_attributes.width as usize;
                    let columns = row_attributes
                        .values
                        .get(row * width..(row + 1) * width)
                        .unwrap_or(&[]);
                    for (slot, var) in compiled.vars.iter().enumerate() {
                        // An attribute the row sets is evaluated instead of the template's
                        // (whose draws are then not made).
                        let set = row_attributes
                            .attributes
                            .iter()
                            .find(|attribute| attribute.slots.contains(&(template, slot as u32)));
                        let value = match set {
                            Some(attribute) => {
                                let context = Context {
                                    vars: &instance.vars,
                                    model: None,
                                    columns,
                                };
                                eval::eval(&attribute.expr, &context, &mut rng)
                            }
                            None => var.eval(&instance.vars, &mut rng),
                        };
                        instance.vars.push(value);
                    }
                }
            }
            let var_number = |slot: Option<u32>| {
                slot.and_then(|s| instance.vars.get(s as usize))
                    .and_then(|value| match value {
                        Value::Num(x) => Some(*x),
                        _ => None,
                    })
            };
            instance.priority = var_number(pipeline.priority_var).unwrap_or(0.0);
            instance.deadline =
                var_number(pipeline.deadline_var).map_or(f64::INFINITY, |deadline| now + deadline);
            // A reused slot usually held the same template: its step table is overwritten in
            // place rather than cleared and pushed to.
            let steps = compiled.steps.len();
            if instance.steps.len() != steps {
                instance.steps.reset(steps);
            }
            let keep_cold = compiled.cold || self.tracing;
            if keep_cold && instance.cold.len() != steps {
                instance.cold.resize(steps, StepCold::default());
            }
            // One call site, so that `sample_step` is inlined.
            // By index rather than by iterators: the steps are in two parts (see `Steps`),
            // and a chained iterator costs more than the index's one comparison.
            for index in 0..steps {
                let cold;
                (instance.steps[index], cold) = sample_step(
                    &compiled.steps[index],
                    &instance.vars,
                    &mut rng,
                    &self.slots,
                    &self.pools,
                );
                if keep_cold {
                    instance.cold[index] = cold;
                }
            }
            // On a replayed row every variable was made in its place (a row's attribute
            // may read any of them).
            if from_row.is_none() {
                for &slot in &compiled.late_vars {
                    if let Some(Value::Num(exponent)) = instance.vars.get_mut(slot as usize) {
                        *exponent = crate::math::exp(*exponent);
                    }
                }
            }
            if compiled.late {
                for (index, step) in compiled.steps.iter().enumerate() {
                    if let Some(late) = &step.late {
                        let run = &mut instance.steps[index];
                        run.duration = late.finish(run.duration, &instance.vars);
                        if keep_cold {
                            instance.cold[index].planned = run.duration;
                        }
                    }
                }
            }
            // Estimates come last, after every step's samples, so adding one (or a sweep
            // of them) leaves every duration and choice of the workload as it was.
            if compiled.estimates {
                let colds = instance.cold.iter_mut();
                for (index, (compiled, cold)) in compiled.steps.iter().zip(colds).enumerate() {
                    if let Some(estimate) = &compiled.estimate {
                        let run = &mut instance.steps[index];
                        cold.planned = eval::non_negative(estimate.eval(&instance.vars, &mut rng));
                        run.flags |= StepRun::ESTIMATED;
                    }
                }
            }
        }
        if counted {
            self.collector.arrived += 1;
        }
        if self.tracing {
            self.sink.arrival(&ArrivalRow {
                replication: self.replication,
                time: now,
                source,
                pipeline_id: id,
                template,
            });
        }
        if pipeline.steps.is_empty() {
            self.end_instance(index, Outcome::Completed);
            return;
        }
        let roots = self.templates[template as usize].roots.len();
        for root in 0..roots {
            let step = self.templates[template as usize].roots[root];
            if self.instances[index as usize].ended {
                break;
            }
            self.step_ready(index, step);
        }
    }

    // -----------------------------------------------------------------------------------------
    // Steps

    // Inlined into the step end (through `step_done`), so a service end runs as one
    // function: calls between the small transitions cost more than their bodies. A skipped
    // step goes out of line, which also breaks the `step_done` -> `step_ready` recursion that
    // would otherwise stop the inlining.
    #[inline(always)]
    fn step_ready(&mut self, instance_index: u32, step: u32) {
        let now = self.now;
        let instance = &mut self.instances[instance_index as usize];
        if self.tracing {
            instance.cold[step as usize].ready = now;
        }
        let run = &instance.steps[step as usize];
        if run.has(StepRun::SKIPPED) {
            self.skip_step(instance_index, step);
            return;
        }
        let reads = run.has(StepRun::READS);
        instance.in_flight += 1;
        if reads {
            let bytes = instance.cold[step as usize].read_bytes;
            let link = self.templates[instance.template as usize].steps[step as usize].read_link;
            self.start_transfer(instance_index, step, link, Direction::Read, bytes)
        } else {
            self.step_queue(instance_index, step)
        }
    }

    /// A step whose `when` was false is done as soon as it is ready.
    #[inline(never)]
    fn skip_step(&mut self, instance_index: u32, step: u32) {
        self.step_done(instance_index, step);
    }

    /// [`Simulation::step_queue`] out of line, for the rare callers (a read that ends).
    #[inline(never)]
    fn step_queue_out_of_line(&mut self, instance_index: u32, step: u32) {
        self.step_queue(instance_index, step);
    }

    /// Reads are done: join the pool's queue (or, without a pool, start the delay).
    #[inline(always)]
    fn step_queue(&mut self, instance_index: u32, step: u32) {
        let now = self.now;
        // The wait of a step that starts as it queues, `start - enqueued` with both `now` as
        // it always was: 0, or NaN at an infinite time.
        #[allow(clippy::eq_op)]
        let no_wait = now - now;
        let tracing = self.tracing;
        let instance = &mut self.instances[instance_index as usize];
        let run = &mut instance.steps[step as usize];
        if run.pool == NONE {
            run.queued = no_wait;
            if tracing {
                instance.cold[step as usize].start = now;
            }
            if tracing && instance.first_start.is_nan() {
                instance.first_start = now;
            }
            let duration = run.duration;
            self.calendar.schedule(
                now + duration,
                Event::ServiceEnd {
                    instance: instance_index,
                    step,
                },
            );
            return;
        }
        let pool = run.pool;
        let planned = if run.has(StepRun::ESTIMATED) {
            instance.cold[step as usize].planned
        } else {
            run.duration
        };
        let end = now + run.duration;
        if self.pools[pool as usize].start_now(now, run.units, planned, end, (instance_index, step))
        {
            // Free slots and nobody waiting: start here, as granting would (no wait).
            run.queued = no_wait;
            if tracing {
                instance.cold[step as usize].start = now;
            }
            if tracing && instance.first_start.is_nan() {
                instance.first_start = now;
            }
            self.calendar.schedule(
                end,
                Event::ServiceEnd {
                    instance: instance_index,
                    step,
                },
            );
            self.emit_resource(pool);
            return;
        }
        let policy = self.pool_policies[pool as usize];
        run.queued = now;
        let key = match policy {
            ir::Policy::Sjf => planned,
            ir::Policy::Priority => -instance.priority,
            ir::Policy::Edf => instance.deadline,
            ir::Policy::Fifo | ir::Policy::FairShare => 0.0,
        };
        let request = Request {
            instance: instance_index,
            step,
            units: run.units,
            enqueued: now,
            planned,
            key,
            template: instance.template,
        };
        self.pools[pool as usize].enqueue(now, request);
        self.pool_changed(pool);
    }

    /// After any change of a pool: start what fits, update the autoscaler, trace the state.
    // Inlined at its callers: the usual pool (no autoscale, traces off) only grants.
    #[inline(always)]
    fn pool_changed(&mut self, pool: u32) {
        let state = &self.pools[pool as usize];
        if state.autoscale.is_some() || self.tracing {
            self.pool_changed_in_full(pool);
            return;
        }
        // The usual cases: a full pool, or one nobody waits for, starts nothing.
        if state.busy >= state.capacity || state.queue_len() == 0 {
            return;
        }
        self.grant_waiting(pool);
    }

    /// [`Simulation::pool_changed`] for a pool with an autoscaler, or with traces on.
    #[inline(never)]
    fn pool_changed_in_full(&mut self, pool: u32) {
        self.grant_waiting(pool);
        if self.pools[pool as usize].autoscale.is_some() {
            let now = self.now;
            let mut actions = std::mem::take(&mut self.scale_actions);
            actions.clear();
            self.pools[pool as usize].autoscale_update(now, &mut actions);
            self.schedule_scale_actions(pool, &mut actions);
            self.scale_actions = actions;
        }
        self.emit_resource(pool);
    }

    /// Starts the waiting requests the pool grants now.
    #[inline(always)]
    fn grant_waiting(&mut self, pool: u32) {
        let now = self.now;
        let tracing = self.tracing;
        while let Some(request) = self.pools[pool as usize].grant(now) {
            let instance = &mut self.instances[request.instance as usize];
            if tracing {
                instance.cold[request.step as usize].start = now;
            }
            let run = &mut instance.steps[request.step as usize];
            let wait = now - run.queued;
            run.queued = wait;
            instance.wait += wait;
            if tracing && instance.first_start.is_nan() {
                instance.first_start = now;
            }
            let end = now + run.duration;
            self.pools[pool as usize].serve(now, end, request.units);
            self.calendar.schedule(
                end,
                Event::ServiceEnd {
                    instance: request.instance,
                    step: request.step,
                },
            );
        }
    }

    fn schedule_scale_actions(&mut self, pool: u32, actions: &mut Vec<ScaleAction>) {
        for action in actions.drain(..) {
            match action {
                ScaleAction::UpCheck { at, generation } => self
                    .calendar
                    .schedule(at, Event::ScaleUpCheck { pool, generation }),
                ScaleAction::IdleCheck { at, generation } => self
                    .calendar
                    .schedule(at, Event::IdleCheck { pool, generation }),
            }
        }
    }

    /// The test inline, the row out of line: called at every start and release, it was a
    /// call that only returned (and an instruction cache line) in a run without traces.
    #[inline(always)]
    fn emit_resource(&mut self, pool: u32) {
        if self.tracing {
            self.emit_resource_row(pool);
        }
    }

    #[cold]
    #[inline(never)]
    fn emit_resource_row(&mut self, pool: u32) {
        let state = &self.pools[pool as usize];
        self.sink.resource(&ResourceRow {
            replication: self.replication,
            time: self.now,
            resource: self.pool_resource[pool as usize],
            busy: state.busy,
            capacity: state.capacity,
            queue: state.queue_len(),
        });
    }

    #[inline(always)]
    fn service_end(&mut self, instance_index: u32, step: u32) {
        let now = self.now;
        let instance = &mut self.instances[instance_index as usize];
        if self.tracing {
            instance.cold[step as usize].end = now;
        }
        let run = &instance.steps[step as usize];
        let (pool, units, writes) = (run.pool, run.units, run.has(StepRun::WRITES));
        if pool != NONE {
            self.pools[pool as usize].release(units, (instance_index, step));
            self.pool_changed(pool);
        }
        if writes {
            let instance = &self.instances[instance_index as usize];
            let bytes = instance.cold[step as usize].write_bytes;
            let link = self.templates[instance.template as usize].steps[step as usize].write_link;
            self.start_transfer(instance_index, step, link, Direction::Write, bytes)
        } else {
            self.step_finished(instance_index, step)
        }
    }

    fn start_transfer(
        &mut self,
        instance: u32,
        step: u32,
        link: u32,
        direction: Direction,
        bytes: f64,
    ) {
        let record = TransferRecord {
            instance,
            step,
            direction,
            start: self.now,
            bytes,
        };
        let transfer = place(&mut self.transfers, &mut self.free_transfers, record);
        let (at, generation) = self.links[link as usize].start(self.now, bytes, transfer);
        self.calendar
            .schedule(at, Event::LinkCompletion { link, generation });
    }

    fn link_completion(&mut self, link: u32, generation: u32) {
        let mut finished = std::mem::take(&mut self.finished_transfers);
        finished.clear();
        let next = self.links[link as usize].complete(self.now, generation, &mut finished);
        if let Some((at, generation)) = next {
            self.calendar
                .schedule(at, Event::LinkCompletion { link, generation });
        }
        for &transfer in &finished {
            let record = self.transfers[transfer as usize];
            self.free_transfers.push(transfer);
            if self.tracing {
                let instance = &self.instances[record.instance as usize];
                self.sink.link(&LinkRow {
                    replication: self.replication,
                    link: self.link_resource[link as usize],
                    pipeline_id: instance.id,
                    template: instance.template,
                    step: record.step,
                    direction: record.direction,
                    start: record.start,
                    end: self.now,
                    bytes: record.bytes,
                });
            }
            match record.direction {
                Direction::Read => self.step_queue_out_of_line(record.instance, record.step),
                Direction::Write => self.step_finished_out_of_line(record.instance, record.step),
            }
        }
        self.finished_transfers = finished;
    }

    /// [`Simulation::step_finished`] out of line, for the rare callers (a write that ends).
    #[inline(never)]
    fn step_finished_out_of_line(&mut self, instance_index: u32, step: u32) {
        self.step_finished(instance_index, step);
    }

    /// The step's service and writes are over.
    #[inline(always)]
    fn step_finished(&mut self, instance_index: u32, step: u32) {
        let instance = &mut self.instances[instance_index as usize];
        instance.in_flight -= 1;
        let run = &mut instance.steps[step as usize];
        run.flags |= StepRun::EXECUTED;
        let run = &*run;
        let template = instance.template;
        if instance.counted {
            let metrics = &mut self.collector.steps[template as usize][step as usize];
            metrics.record(run.queued, run.duration);
        }
        let (rejects, ended) = (run.has(StepRun::REJECTS), instance.ended);
        if self.tracing {
            self.trace_step(instance_index, step);
        }
        if ended {
            self.maybe_free(instance_index);
            return;
        }
        if rejects {
            self.end_instance(instance_index, Outcome::Rejected);
            return;
        }
        self.step_done(instance_index, step);
    }

    #[cold]
    #[inline(never)]
    fn trace_step(&mut self, instance_index: u32, step: u32) {
        let scenario = self.scenario;
        let instance = &self.instances[instance_index as usize];
        let run = &instance.steps[step as usize];
        let cold = &instance.cold[step as usize];
        let template = instance.template;
        self.sink.step(&StepRow {
            replication: self.replication,
            pipeline_id: instance.id,
            template,
            step,
            kind: scenario.pipelines[template as usize].steps[step as usize].kind,
            resource: (run.pool != NONE).then(|| self.pool_resource[run.pool as usize]),
            units: if run.pool != NONE { run.units } else { 0 },
            ready: cold.ready,
            start: cold.start,
            end: cold.end,
            wait: run.queued,
            // The sampled duration itself (end - start up to rounding).
            service: run.duration,
            bytes: cold.read_bytes + cold.write_bytes,
        });
    }

    /// The step is done or skipped: release its dependants; the last step ends the pipeline.
    #[inline(always)]
    fn step_done(&mut self, instance_index: u32, step: u32) {
        let instance = &mut self.instances[instance_index as usize];
        let template = instance.template as usize;
        instance.steps_left -= 1;
        match instance.steps[step as usize].next {
            StepRun::NO_DEPENDANT => {}
            StepRun::DEPENDANTS => {
                let (first, end) = self.templates[template].steps[step as usize].dependants;
                for k in first..end {
                    let dependant = self.templates[template].dependants[k as usize];
                    if !self.release_dependant(instance_index, dependant) {
                        return;
                    }
                }
            }
            dependant => {
                if !self.release_dependant(instance_index, u32::from(dependant)) {
                    return;
                }
            }
        }
        let instance = &self.instances[instance_index as usize];
        if instance.steps_left == 0 && !instance.ended {
            self.end_instance(instance_index, Outcome::Completed);
        }
    }

    /// One of a done step's dependants has one dependency fewer: it is ready at none. False
    /// when the instance has ended (a rejection), which releases nothing more.
    #[inline(always)]
    fn release_dependant(&mut self, instance_index: u32, dependant: u32) -> bool {
        let instance = &mut self.instances[instance_index as usize];
        if instance.ended {
            return false;
        }
        let run = &mut instance.steps[dependant as usize];
        run.pending -= 1;
        if run.pending == 0 {
            self.step_ready(instance_index, dependant);
        }
        true
    }

    #[inline(never)]
    fn end_instance(&mut self, instance_index: u32, outcome: Outcome) {
        let now = self.now;
        let instance = &mut self.instances[instance_index as usize];
        instance.ended = true;
        let (template, arrival, wait, counted, model, deadline) = (
            instance.template,
            instance.arrival,
            instance.wait,
            instance.counted,
            instance.model,
            instance.deadline,
        );
        match outcome {
            Outcome::Completed => self.collector.wait_batches.push(arrival, wait),
            Outcome::Unfinished => self.collector.wait_batches.push_unfinished(arrival),
            Outcome::Rejected => {}
        }
        if counted {
            match outcome {
                Outcome::Completed => {
                    self.collector.completed += 1;
                    // Without a deadline it is infinite, never passed.
                    if now > deadline {
                        self.collector.late += 1;
                    }
                    self.collector.waits.push(wait);
                    self.collector.makespans.push(now - arrival);
                    if let Some(own) = self.collector.own(template) {
                        own.record(wait, now - arrival, now > deadline);
                    }
                }
                Outcome::Rejected => {
                    self.collector.rejected += 1;
                    if let Some(own) = self.collector.own(template) {
                        own.rejected += 1;
                    }
                }
                Outcome::Unfinished => {
                    self.collector.unfinished += 1;
                    if let Some(own) = self.collector.own(template) {
                        own.unfinished += 1;
                    }
                }
            }
        }
        if self.tracing {
            let finished = outcome != Outcome::Unfinished;
            let instance = &self.instances[instance_index as usize];
            self.sink.pipeline(&PipelineRow {
                replication: self.replication,
                id: instance.id,
                template,
                arrival,
                start: instance.first_start,
                end: if finished { now } else { f64::NAN },
                wait,
                makespan: if finished { now - arrival } else { f64::NAN },
                outcome,
            });
        }
        match outcome {
            Outcome::Completed => self.deploy(instance_index),
            _ => {
                if model != NONE {
                    self.models[model as usize].retraining = false;
                    self.release_model(model);
                }
            }
        }
        self.maybe_free(instance_index);
    }

    fn maybe_free(&mut self, instance_index: u32) {
        let instance = &self.instances[instance_index as usize];
        if instance.ended && instance.in_flight == 0 {
            self.free_instances.push(instance_index);
            self.live_instances -= 1;
        }
    }

    // -----------------------------------------------------------------------------------------
    // Models and monitors

    fn deploy(&mut self, instance_index: u32) {
        let scenario = self.scenario;
        let instance = &self.instances[instance_index as usize];
        let template = instance.template;
        if !self.templates[template as usize].tracks_models {
            if instance.model != NONE {
                let model = instance.model;
                self.models[model as usize].retraining = false;
                self.release_model(model);
            }
            return;
        }
        let pipeline = &scenario.pipelines[template as usize];
        let mut accuracy = f64::NAN;
        let mut loss = 0.0;
        // Without cold data no step has an accuracy or a loss (kept with traces on, it
        // holds defaults, not the samples' NaN accuracy).
        let cold: &[StepCold] = if self.templates[template as usize].cold {
            &instance.cold
        } else {
            &[]
        };
        for (index, (spec, cold)) in pipeline.steps.iter().zip(cold).enumerate() {
            let run = &instance.steps[index];
            if !run.has(StepRun::EXECUTED) {
                continue;
            }
            match spec.kind {
                StepKind::Train if !cold.accuracy.is_nan() => accuracy = cold.accuracy,
                StepKind::Compress => loss += cold.accuracy_loss,
                _ => {}
            }
        }
        let model_index = instance.model;
        let id = instance.id;
        if accuracy.is_nan() {
            if model_index != NONE {
                self.models[model_index as usize].retraining = false;
                self.release_model(model_index);
            }
            return;
        }
        let accuracy = accuracy - loss;
        let now = self.now;
        let drift = match pipeline.model.as_ref().map(|m| &m.drift) {
            Some(ir::Drift::Linear { per_second }) => DriftState::Linear(*per_second),
            Some(ir::Drift::Sudden { drop, .. }) => DriftState::Sudden(*drop),
            Some(ir::Drift::None) | None => DriftState::None,
        };
        let model_index = if model_index == NONE {
            let number = self.next_model;
            self.next_model += 1;
            let model = Model::new(number, template, accuracy, now, drift, id);
            let model_index = place(&mut self.models, &mut self.free_models, model);
            self.live_models.push(model_index);
            if let Some(lifetime) = pipeline.model.as_ref().and_then(|m| m.lifetime.as_ref()) {
                let mut stream =
                    rng::stream(self.replication_seed, rng::RETIRE, u64::from(number), 0);
                let vars = &self.instances[instance_index as usize].vars;
                let lifetime =
                    eval::non_negative(eval::num(lifetime, &Context::instance(vars), &mut stream));
                self.calendar
                    .schedule(now + lifetime, Event::ModelRetire { model: model_index });
            }
            model_index
        } else if self.models[model_index as usize].retired {
            // Retired while its retraining ran: nothing to deploy it to.
            self.models[model_index as usize].retraining = false;
            self.release_model(model_index);
            return;
        } else {
            self.account_model(model_index);
            let model = &mut self.models[model_index as usize];
            if self.tracing {
                self.sink.model(&ModelRow {
                    replication: self.replication,
                    time: now,
                    model: u64::from(model.number),
                    template,
                    version: model.version,
                    event: ModelEvent::Replaced,
                    accuracy: model.accuracy(now),
                    pipeline_id: id,
                });
            }
            model.redeploy(now, accuracy, id);
            model_index
        };
        let (number, version) = {
            let model = &self.models[model_index as usize];
            (model.number, model.version)
        };
        if self.tracing {
            self.sink.model(&ModelRow {
                replication: self.replication,
                time: now,
                model: u64::from(number),
                template,
                version,
                event: ModelEvent::Deployed,
                accuracy,
                pipeline_id: id,
            });
        }
        if let Some(ir::Drift::Sudden { time_to_drop, .. }) =
            pipeline.model.as_ref().map(|m| &m.drift)
        {
            let mut stream = rng::stream(
                self.replication_seed,
                rng::MODEL,
                u64::from(number),
                u64::from(version),
            );
            let vars = &self.instances[instance_index as usize].vars;
            let delay = eval::non_negative(eval::num(
                time_to_drop,
                &Context::instance(vars),
                &mut stream,
            ));
            let model = &mut self.models[model_index as usize];
            model.drop_stream = Some(stream);
            model.drops_pending += 1;
            self.calendar.schedule(
                now + delay,
                Event::ModelDrop {
                    model: model_index,
                    version,
                },
            );
        }
    }

    fn model_drop(&mut self, model_index: u32, version: u32) {
        let scenario = self.scenario;
        let now = self.now;
        let model = &mut self.models[model_index as usize];
        model.drops_pending -= 1;
        if model.version != version || model.retired {
            self.release_model(model_index);
            return;
        }
        let template = model.template;
        let Some(ir::Drift::Sudden { time_to_drop, drop }) = scenario.pipelines[template as usize]
            .model
            .as_ref()
            .map(|m| &m.drift)
        else {
            return;
        };
        self.account_model(model_index);
        let model = &mut self.models[model_index as usize];
        model.drop_accuracy(now, *drop);
        // Drops stop once they can change nothing, so a zero time to drop cannot loop forever.
        let more_drops = *drop > 0.0 && model.accuracy(now) > 0.0;
        self.trace_model(model_index, ModelEvent::Dropped);
        let model = &mut self.models[model_index as usize];
        if let (true, Some(stream)) = (more_drops, &mut model.drop_stream) {
            let delay =
                eval::non_negative(eval::num(time_to_drop, &Context::instance(&[]), stream));
            model.drops_pending += 1;
            self.calendar.schedule(
                now + delay,
                Event::ModelDrop {
                    model: model_index,
                    version,
                },
            );
        }
    }

    /// A model's `lifetime` is over: its time stops counting, and monitors stop checking it.
    fn model_retire(&mut self, model_index: u32) {
        self.account_model(model_index);
        let model = &mut self.models[model_index as usize];
        model.retired = true;
        model.drop_stream = None;
        self.trace_model(model_index, ModelEvent::Retired);
        self.live_models.retain(|&m| m != model_index);
        self.release_model(model_index);
    }

    /// Frees the model's slot for the next new model if it is released (and only then: each
    /// call follows a change that may have released it, and once released nothing changes
    /// it again, so a slot is freed once).
    fn release_model(&mut self, model_index: u32) {
        if self.models[model_index as usize].is_released() {
            self.free_models.push(model_index);
        }
    }

    /// Adds the model's time up to now to its template's window totals (before it changes).
    fn account_model(&mut self, model_index: u32) {
        let (from, to) = self.window();
        let model = &mut self.models[model_index as usize];
        model.account(
            self.now,
            from,
            to,
            &mut self.model_totals[model.template as usize],
        );
    }

    /// Traces an event of the model as it is now, naming the run that deployed it.
    fn trace_model(&mut self, model_index: u32, event: ModelEvent) {
        if !self.tracing {
            return;
        }
        let model = &self.models[model_index as usize];
        self.sink.model(&ModelRow {
            replication: self.replication,
            time: self.now,
            model: u64::from(model.number),
            template: model.template,
            version: model.version,
            event,
            accuracy: model.accuracy(self.now),
            pipeline_id: model.deployed_by,
        });
    }

    fn monitor_tick(&mut self, monitor_index: u32) {
        let scenario = self.scenario;
        let monitor = &scenario.monitors[monitor_index as usize];
        let now = self.now;
        // Monitor expressions draw from a stream of their own per tick, so a distribution in
        // `when` cannot disturb any other stream.
        let mut stream = rng::stream(
            self.replication_seed,
            rng::MODEL ^ 0xFFFF,
            u64::from(monitor_index),
            (now / monitor.every) as u64,
        );
        // By index: a retraining run started here cannot deploy (or retire) before this
        // returns, but the list is read afresh each time all the same.
        let mut position = 0;
        while let Some(&model_index) = self.live_models.get(position) {
            position += 1;
            let model_index = model_index as usize;
            let model = &self.models[model_index];
            let watched = if monitor.pipelines.is_empty() {
                scenario.pipelines[model.template as usize].model.is_some()
            } else {
                monitor.pipelines.contains(&model.template)
            };
            if !watched {
                continue;
            }
            let view = ModelView {
                accuracy: model.accuracy(now),
                age: now - model.deployed_at,
                version: model.version,
            };
            let context = Context {
                vars: &[],
                model: Some(view),
                columns: &[],
            };
            let stale = eval::boolean(&monitor.when, &context, &mut stream);
            if stale != self.models[model_index].stale {
                self.account_model(model_index as u32);
                self.models[model_index].stale = stale;
                if stale {
                    self.trace_model(model_index as u32, ModelEvent::Stale);
                }
            }
            let model = &mut self.models[model_index];
            if stale && monitor.retrain && !model.retraining {
                model.retraining = true;
                let run = model.retrain_runs;
                model.retrain_runs += 1;
                let template = model.template;
                if now >= scenario.warmup {
                    self.collector.retrains[template as usize] += 1;
                }
                let number = u64::from(model.number);
                let rng = rng::stream(self.replication_seed, rng::RETRAIN, number, run);
                let pipeline_id = self.next_id;
                if self.tracing {
                    self.sink.model(&ModelRow {
                        replication: self.replication,
                        time: now,
                        model: number,
                        template,
                        version: view.version,
                        event: ModelEvent::Retrain,
                        accuracy: view.accuracy,
                        pipeline_id,
                    });
                }
                self.start_instance(template, RETRAIN_SOURCE, rng, model_index as u32, None);
            }
        }
        self.calendar.schedule(
            now + monitor.every,
            Event::MonitorTick {
                monitor: monitor_index,
            },
        );
    }

    // -----------------------------------------------------------------------------------------
    // End of run

    fn finish(mut self) -> ReplicationResult {
        let scenario = self.scenario;
        let end = self.now.max(scenario.horizon);
        // Everything still in progress is unfinished.
        for index in 0..self.instances.len() {
            let instance = &self.instances[index];
            let free = instance.ended && instance.in_flight == 0;
            if !instance.ended && !free && instance.steps_left > 0 {
                self.end_instance_unfinished(index as u32);
            }
        }
        let (from, to) = self.window();
        // Retired models were accounted up to their retirement. The live ones are added in the
        // order they were first deployed, whatever their slots.
        for &model_index in &self.live_models {
            let model = &mut self.models[model_index as usize];
            model.account(
                end,
                from,
                to,
                &mut self.model_totals[model.template as usize],
            );
        }
        for pool in &mut self.pools {
            pool.finish(end);
        }
        for link in &mut self.links {
            link.advance(end);
        }
        let totals = Totals {
            templates: scenario
                .pipelines
                .iter()
                .map(|p| {
                    (
                        p.name.as_str(),
                        p.steps.iter().map(|s| s.name.as_str()).collect(),
                    )
                })
                .collect(),
            pools: self
                .pools
                .iter()
                .zip(&self.pool_resource)
                .map(|(pool, &resource)| PoolTotals {
                    name: &scenario.resources[resource as usize].name,
                    busy_area: pool.stats.busy_area,
                    queue_area: pool.stats.queue_area,
                    capacity_area: pool.stats.capacity_area,
                    fixed_capacity: pool.autoscale.is_none().then_some(pool.capacity),
                    queue_max: pool.stats.queue_max,
                    cost_per_slot_hour: pool.cost_per_slot_hour,
                })
                .collect(),
            links: scenario
                .resources
                .iter()
                .enumerate()
                .filter_map(|(id, resource)| match &resource.kind {
                    ir::ResourceKind::Link(link) => Some(LinkTotals {
                        name: &resource.name,
                        bandwidth: link.bandwidth,
                        busy_time: match self.slots[id] {
                            Some(Slot::Link(index)) => self.links[index as usize].busy_time,
                            _ => 0.0,
                        },
                    }),
                    ir::ResourceKind::Pool(_) => None,
                })
                .collect(),
            models: scenario
                .pipelines
                .iter()
                .zip(&self.model_totals)
                .map(|(p, totals)| (p.name.as_str(), p.model.is_some(), *totals))
                .collect(),
            deadlines: scenario.pipelines.iter().any(|p| p.deadline_var.is_some()),
            window: to - from,
            requested: &scenario.experiment.metrics,
        };
        let wait_batches = std::mem::take(&mut self.collector.wait_batches);
        ReplicationResult {
            metrics: self.collector.finish(totals),
            wait_batches,
        }
    }

    fn end_instance_unfinished(&mut self, index: u32) {
        let instance = &mut self.instances[index as usize];
        instance.ended = true;
        if instance.counted {
            self.collector.unfinished += 1;
            if let Some(own) = self.collector.own(instance.template) {
                own.unfinished += 1;
            }
        }
        self.collector
            .wait_batches
            .push_unfinished(instance.arrival);
        if self.tracing {
            let instance = &self.instances[index as usize];
            self.sink.pipeline(&PipelineRow {
                replication: self.replication,
                id: instance.id,
                template: instance.template,
                arrival: instance.arrival,
                start: instance.first_start,
                end: f64::NAN,
                wait: instance.wait,
                makespan: f64::NAN,
                outcome: Outcome::Unfinished,
            });
        }
    }
}

/// Samples everything one step execution needs, in the documented fixed order.
fn sample_step(
    compiled: &CompiledStep,
    vars: &[Value],
    rng: &mut Stream,
    slots: &[Option<Slot>],
    pools: &[PoolState],
) -> (StepRun, StepCold) {
    let when = compiled
        .when
        .as_ref()
        .is_none_or(|condition| eval::boolean(condition, &Context::instance(vars), rng));
    let (pool, units) = match compiled.placement.resolve(vars) {
        Some(placement) => placement,
        None => {
            let pool = match compiled.on.as_ref().map(|on| on.eval(vars, rng)) {
                Some(value) => pool_of(&value, slots),
                None => NONE,
            };
            let units = compiled.units.eval(vars, rng).round();
            (pool, units_taken(units, pool, pools))
        }
    };
    let duration = match &compiled.late {
        // Only the draw here; the duration once every step is sampled.
        Some(late) => late.draw(&compiled.duration, vars, rng),
        None => eval::non_negative(compiled.duration.eval_inline(vars, rng)),
    };
    // Most steps have none of the optional samples: one test skips them all (the draws keep
    // their documented order either way).
    let flag = |set: bool, flag: u8| if set { flag } else { 0 };
    let (mut read_bytes, mut write_bytes, mut accuracy, mut accuracy_loss) =
        (0.0, 0.0, f64::NAN, 0.0);
    // Transfers only where a step reads or writes something.
    let mut transfers = 0;
    if compiled.extras {
        if let Some(bytes) = &compiled.reads {
            read_bytes = eval::non_negative(bytes.eval(vars, rng));
        }
        if let Some(bytes) = &compiled.writes {
            write_bytes = eval::non_negative(bytes.eval(vars, rng));
        }
        if let Some(expr) = &compiled.accuracy {
            accuracy = expr.eval(vars, rng);
        }
        transfers = flag(
            compiled.read_link != NONE && read_bytes > 0.0,
            StepRun::READS,
        ) | flag(
            compiled.write_link != NONE && write_bytes > 0.0,
            StepRun::WRITES,
        );
    }
    let pass = match &compiled.pass {
        Some(probability) => {
            let p = probability.eval(vars, rng);
            let u: f64 = rng.random();
            u < p
        }
        None => true,
    };
    if compiled.extras {
        if let Some(size_factor) = &compiled.size_factor {
            // Drawn for its place in the stream; model size is not simulated yet.
            let _ = size_factor.eval(vars, rng);
        }
        if let Some(expr) = &compiled.accuracy_loss {
            accuracy_loss = expr.eval(vars, rng);
        }
    }
    let run = StepRun {
        pending: compiled.pending,
        pool,
        units,
        next: compiled.next,
        flags: flag(!when, StepRun::SKIPPED)
            | flag(compiled.validate && !pass, StepRun::REJECTS)
            | transfers,
        duration,
        queued: f64::NAN,
    };
    let cold = StepCold {
        read_bytes,
        write_bytes,
        accuracy,
        accuracy_loss,
        // The estimate, if any, is drawn once every step is sampled.
        planned: duration,
        ready: f64::NAN,
        start: f64::NAN,
        end: f64::NAN,
    };
    (run, cold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Expr, VarRef};
    use crate::sim::trace::NullSink;

    /// Models that retire give their slots to new ones: a run that deploys 19,200 models, 480
    /// of them live at once on average (two an hour, living ten days), holds about as many
    /// slots as it ever had live models, not one per model deployed.
    #[test]
    fn retired_models_give_their_slots_to_new_ones() {
        let text = "scenario population { horizon = 400d  seed = 11 }
resource gpu { kind = pool  capacity = 200 }
pipeline production {
  train { on = gpu  duration = 1min  accuracy = 0.9 }
  model { drift = exponential(mean = 2d)  drop = 1%  lifetime = 10d }
}
arrivals onboarding { rate = 2/h  pipeline = production }
monitor stale { every = 6h  when = model.accuracy < 0.88  retrain = true }
";
        let checked = crate::frontend::check_text(
            std::path::Path::new("population.pipesim"),
            text.to_string(),
            &[],
        );
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics().0);
        let scenario = checked.analysis.lowered.expect("a scenario");
        let mut sink = NullSink;
        let mut simulation = Simulation::new(&scenario, 0, &mut sink);
        let control = Control {
            stop: &AtomicBool::new(false),
            max_live: u32::MAX,
            progress: None,
        };
        assert_eq!(simulation.run(&control), Ok(()));
        let deployed = simulation.next_model as usize;
        assert!(deployed > 18_000, "{deployed} models deployed");
        // Live models are Poisson(480) at any time: over the run, at most about 480 plus
        // four standard deviations (22), and a retired model's slot waits a few hours at
        // most for its pending drop or retraining run.
        let slots = simulation.models.len();
        assert!(slots < 650, "{slots} slots for {deployed} models");
    }

    /// A placement resolved once gives what evaluating `on` and `units` gives, for each
    /// label of the variable matched on and for a value that is no label.
    /// A lognormal variable is made late only where nothing but a late duration's affine
    /// part reads it: any other reader would see its exponent.
    #[test]
    fn only_variables_that_late_durations_alone_read_are_made_late() {
        let c = |x: f64| Expr::Const(Value::Num(x));
        let size = || Expr::Var(VarRef::Instance(0));
        let binary = |op, l, r| Expr::Binary(op, Box::new(l), Box::new(r));
        let exponential =
            |mean: f64| Expr::Dist(Box::new(ir::Distribution::Exponential { mean: c(mean) }));
        // `10 + size * 0.8e-9 + exponential(20)`, a late duration that reads the size.
        let late_duration = binary(
            ir::BinaryOp::Add,
            binary(
                ir::BinaryOp::Add,
                c(10.0),
                binary(ir::BinaryOp::Mul, size(), c(0.8e-9)),
            ),
            exponential(20.0),
        );
        let step = |duration: Expr| ir::Step::new("work", StepKind::Task, duration);
        let var = |name: &str, expr: Expr| ir::InstanceVar {
            name: name.into(),
            expr,
        };
        let lognormal = Expr::Dist(Box::new(ir::Distribution::LogNormal {
            mu: c(19.0),
            sigma: c(1.2),
        }));
        let pipeline = ir::Pipeline {
            name: "p".into(),
            vars: vec![var("size", lognormal), var("other", c(1.0))],
            priority_var: None,
            deadline_var: None,
            steps: vec![step(late_duration.clone()), step(exponential(60.0))],
            model: None,
        };
        let late = |pipeline: &ir::Pipeline| {
            let steps: Vec<CompiledStep> = pipeline
                .steps
                .iter()
                .map(|step| CompiledStep::new(step, &[], &[], 0, (0, 0), StepRun::NO_DEPENDANT))
                .collect();
            read_only_late(pipeline, &steps, 0)
        };
        assert!(late(&pipeline));
        let read_by = |change: &dyn Fn(&mut ir::Pipeline)| {
            let mut changed = pipeline.clone();
            change(&mut changed);
            late(&changed)
        };
        // The duration that reads it is not late (a lognormal is added to it).
        assert!(!read_by(&|p| {
            p.steps[0].duration = binary(ir::BinaryOp::Add, late_duration.clone(), c(1.0))
        }));
        assert!(!read_by(&|p| p.steps[1].duration = size()));
        assert!(!read_by(&|p| p.steps[1].units = size()));
        assert!(!read_by(&|p| p.steps[1].pass = Some(size())));
        assert!(!read_by(&|p| p.steps[1].estimate = Some(size())));
        assert!(!read_by(&|p| p.steps[1].when = Some(size())));
        assert!(!read_by(
            &|p| p.vars[1].expr = binary(ir::BinaryOp::Mul, size(), c(2.0))
        ));
        assert!(!read_by(&|p| p.priority_var = Some(0)));
        assert!(!read_by(&|p| p.deadline_var = Some(0)));
        // Read by nothing at all: late too.
        assert!(read_by(&|p| p.steps[0].duration = exponential(20.0)));
    }

    /// A step's one dependant is kept in its state; none, several, or one whose index does
    /// not fit below the two markers send `step_done` to the template's list.
    #[test]
    fn a_steps_one_dependant_is_kept_in_its_state() {
        assert_eq!(StepRun::next_of(&[]), StepRun::NO_DEPENDANT);
        assert_eq!(StepRun::next_of(&[3]), 3);
        assert_eq!(StepRun::next_of(&[253]), 253);
        for many in [&[1, 2][..], &[254], &[255], &[300]] {
            assert_eq!(StepRun::next_of(many), StepRun::DEPENDANTS, "{many:?}");
        }
    }

    #[test]
    fn placements_resolve_as_sampled() {
        let pool = |capacity| ir::Pool {
            capacity,
            policy: ir::Policy::Fifo,
            backfill: false,
            cost_per_slot_hour: 0.0,
            autoscale: None,
        };
        let pools = [
            PoolState::new(&pool(4), 1, 0.0, 1.0),
            PoolState::new(&pool(12), 1, 0.0, 1.0),
        ];
        // Resources 0 and 2 are pools, 1 a link, 3 a link without bandwidth.
        let slots = [
            Some(Slot::Pool(0)),
            Some(Slot::Link(0)),
            Some(Slot::Pool(1)),
            None,
        ];
        let resource = |id| Expr::Const(Value::Resource(id));
        let match_on = |arms: Vec<(Vec<u32>, Expr)>, default: Option<Expr>| Expr::Match {
            scrutinee: Box::new(Expr::Var(VarRef::Instance(1))),
            arms,
            default: default.map(Box::new),
        };
        let ons = [
            None,
            Some(resource(0)),
            Some(resource(1)),
            Some(resource(2)),
            Some(resource(3)),
            Some(resource(9)),
            Some(Expr::Const(Value::Num(1.0))),
            Some(match_on(
                vec![(vec![0], resource(2)), (vec![2, 3], resource(1))],
                Some(resource(0)),
            )),
            Some(match_on(
                vec![(vec![3], resource(0)), (vec![1, 3], resource(2))],
                None,
            )),
        ];
        for on in &ons {
            for units in [0.0, 0.4, 1.0, 2.6, 30.0, -3.0, f64::NAN] {
                let on = on.as_ref().map(Val::compile);
                let units = Num::compile(&Expr::Const(Value::Num(units)));
                let placement = Placement::new(on.as_ref(), &units, &slots, &pools);
                for var in (0..6).map(Value::Label).chain([Value::Num(0.0)]) {
                    let vars = [Value::Num(1.0), var];
                    let mut rng = rng::stream(1, 1, 0, 0);
                    let pool = on
                        .as_ref()
                        .map_or(NONE, |on| pool_of(&on.eval(&vars, &mut rng), &slots));
                    let units = units.eval(&vars, &mut rng).round();
                    let expected = (pool, units_taken(units, pool, &pools));
                    assert_eq!(placement.resolve(&vars), Some(expected), "{on:?} {vars:?}");
                }
            }
        }
    }
}
