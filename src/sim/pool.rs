//! Pools: `capacity` identical slots, a queue of waiting steps ordered by the pool's policy,
//! time-weighted statistics, and autoscaling.
//!
//! Invariants:
//! - `busy <= capacity` except transiently never: slots are only released when idle, and a
//!   request is granted only when `units <= capacity - busy`.
//! - Dispatch is strict by default: the request at the head of the policy's order is served
//!   first; when it needs more units than are free, nothing behind it starts, so a wide
//!   request cannot starve.
//! - With `backfill` (EASY backfilling), when the head does not fit, the first request in
//!   policy order that fits now and does not delay the head starts: it ends before the
//!   head's reserved start (the earliest time enough slots are free for it, from the known
//!   ends of the running steps), or it uses only slots the head will not need then. The
//!   head can still not be overtaken past its reservation, so it cannot starve either.
//! - Ties between equal keys (`sjf`, `priority`, `edf`) are broken by arrival at the queue
//!   (first come, first served), so the order is deterministic.
//! - Statistics integrate busy slots, queue length and capacity over `[warmup, horizon]`
//!   exactly (piecewise constant between changes).

use crate::ir;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// A step waiting for slots.
#[derive(Clone, Copy, Debug)]
pub struct Request {
    pub instance: u32,
    pub step: u32,
    /// Slots wanted, at least 1 (the engine rounds smaller requests up to 1).
    pub units: u32,
    pub enqueued: f64,
    /// How long the scheduler expects the request to run: the step's `estimate` where it
    /// has one, else its sampled duration (then backfilling knows when it will end).
    pub planned: f64,
    /// What the policy orders by (smaller first): the planned duration (`sjf`), minus the
    /// priority (`priority`), the absolute deadline (`edf`), unused otherwise.
    pub key: f64,
    /// The pipeline template, for `fair_share`.
    pub template: u32,
}

struct Keyed {
    request: Request,
    sequence: u64,
}

impl PartialEq for Keyed {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Keyed {}
impl PartialOrd for Keyed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Keyed {
    /// Reversed for the max-heap: the smallest (key, sequence) is the greatest.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .request
            .key
            .total_cmp(&self.request.key)
            .then_with(|| other.sequence.cmp(&self.sequence))
    }
}

enum Queue {
    Fifo(VecDeque<Request>),
    Keyed(BinaryHeap<Keyed>, u64),
    /// One FIFO per template, served round robin starting after the last template served.
    FairShare {
        queues: Vec<VecDeque<Request>>,
        next: usize,
        len: usize,
    },
}

impl Queue {
    #[inline]
    fn push(&mut self, request: Request) {
        match self {
            Queue::Fifo(queue) => queue.push_back(request),
            Queue::Keyed(heap, sequence) => {
                heap.push(Keyed {
                    request,
                    sequence: *sequence,
                });
                *sequence += 1;
            }
            Queue::FairShare { queues, len, .. } => {
                let template = request.template as usize;
                if queues.len() <= template {
                    queues.resize_with(template + 1, VecDeque::new);
                }
                queues[template].push_back(request);
                *len += 1;
            }
        }
    }

    /// Calls `f` with every waiting request, in no particular order.
    fn for_each(&self, mut f: impl FnMut(&Request)) {
        match self {
            Queue::Fifo(queue) => queue.iter().for_each(f),
            Queue::Keyed(heap, _) => heap.iter().for_each(|keyed| f(&keyed.request)),
            Queue::FairShare { queues, .. } => queues.iter().flatten().for_each(f),
        }
    }

    /// The template whose turn it is (fair share), given the queues are not all empty.
    fn fair_turn(queues: &[VecDeque<Request>], next: usize) -> usize {
        let n = queues.len();
        (0..n)
            .map(|offset| (next + offset) % n)
            .find(|&template| !queues[template].is_empty())
            .unwrap_or(0)
    }

    #[inline]
    fn peek(&self) -> Option<&Request> {
        match self {
            Queue::Fifo(queue) => queue.front(),
            Queue::Keyed(heap, _) => heap.peek().map(|keyed| &keyed.request),
            Queue::FairShare { queues, next, len } => {
                if *len == 0 {
                    None
                } else {
                    queues[Self::fair_turn(queues, *next)].front()
                }
            }
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<Request> {
        match self {
            Queue::Fifo(queue) => queue.pop_front(),
            Queue::Keyed(heap, _) => heap.pop().map(|keyed| keyed.request),
            Queue::FairShare { queues, next, len } => {
                if *len == 0 {
                    return None;
                }
                let template = Self::fair_turn(queues, *next);
                *len -= 1;
                *next = (template + 1) % queues.len();
                queues[template].pop_front()
            }
        }
    }
}

impl Queue {
    /// The first request in policy order after the head that `fits`, removed from the
    /// queue. FIFO queues are scanned in order; a keyed queue (a heap, in no order) is
    /// scanned whole for the least key among those that fit. Fair share has no backfilling
    /// (analysis rejects it).
    fn take_first_fitting(&mut self, fits: impl Fn(&Request) -> bool) -> Option<Request> {
        match self {
            Queue::Fifo(queue) => {
                let index = queue.iter().skip(1).position(fits)? + 1;
                queue.remove(index)
            }
            Queue::Keyed(heap, _) => {
                let head = heap.peek()?.sequence;
                let chosen = heap
                    .iter()
                    .filter(|keyed| keyed.sequence != head && fits(&keyed.request))
                    // `Keyed`'s order is reversed for the max-heap: the greatest is the
                    // least key, the one the policy serves first.
                    .max()?
                    .sequence;
                let mut taken = None;
                heap.retain(|keyed| {
                    if keyed.sequence == chosen {
                        taken = Some(keyed.request);
                        false
                    } else {
                        true
                    }
                });
                taken
            }
            Queue::FairShare { .. } => None,
        }
    }
}

/// Which running request: its instance and step (a step runs at most once at a time).
pub type Runner = (u32, u32);

/// What a backfilling pool knows of its running requests: when each is planned to end, how
/// many slots it holds, and which it is.
#[derive(Clone, Debug, Default)]
struct Backfill {
    running: Vec<(f64, u32, Runner)>,
    /// Scratch space for the reservation, kept to avoid an allocation per attempt.
    sorted: Vec<(f64, u32)>,
}

impl Backfill {
    fn started(&mut self, planned_end: f64, units: u32, who: Runner) {
        self.running.push((planned_end, units, who));
    }

    /// Forgets a request that has ended.
    fn ended(&mut self, who: Runner) {
        if let Some(index) = self.running.iter().position(|entry| entry.2 == who) {
            self.running.swap_remove(index);
        }
    }

    /// The head's reservation: the earliest time at which `needed` slots are free (with
    /// `free` free now and the running requests ending as planned), and how many slots are
    /// free then beyond the head's. Never, with every free slot spare, if the pool's
    /// capacity cannot hold the head (it waits for the autoscaler).
    ///
    /// A request still running past its planned end (its `estimate` was too short) is
    /// planned to end at once, `now`: the scheduler knows no better. The head's reservation
    /// can then pass, and a request backfilled on the strength of it can delay the head, as
    /// underestimates do in real schedulers.
    fn reservation(&mut self, now: f64, free: u32, needed: u32) -> (f64, u32) {
        self.sorted.clear();
        self.sorted.extend(
            self.running
                .iter()
                .map(|&(end, units, _)| (if end > now { end } else { now }, units)),
        );
        self.sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut available = free;
        let mut index = 0;
        while index < self.sorted.len() {
            // Requests ending at one instant all free their slots then.
            let end = self.sorted[index].0;
            while index < self.sorted.len() && self.sorted[index].0 == end {
                available += self.sorted[index].1;
                index += 1;
            }
            if available >= needed {
                return (end, available - needed);
            }
        }
        (f64::INFINITY, free)
    }
}

/// Time-weighted statistics over the window `[from, to]`.
#[derive(Clone, Debug, Default)]
pub struct PoolStats {
    pub busy_area: f64,
    pub queue_area: f64,
    pub capacity_area: f64,
    pub queue_max: u32,
}

/// Autoscaling state (see [`ir::Autoscale`]).
#[derive(Clone, Debug)]
pub struct AutoscaleState {
    pub spec: ir::Autoscale,
    /// Slots being provisioned.
    pub pending: u32,
    /// Since when the queue has been above the threshold (None when it is not).
    pub above_since: Option<f64>,
    /// Bumped to invalidate scheduled scale-up checks.
    pub up_generation: u32,
    /// Since when at least `step` slots have been idle with an empty queue.
    pub idle_since: Option<f64>,
    /// Bumped to invalidate scheduled release checks.
    pub idle_generation: u32,
}

/// What the engine must schedule after an autoscale-relevant change.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScaleAction {
    /// Check at this time whether the queue is still above the threshold.
    UpCheck { at: f64, generation: u32 },
    /// Check at this time whether the slots are still idle.
    IdleCheck { at: f64, generation: u32 },
}

pub struct PoolState {
    pub capacity: u32,
    pub busy: u32,
    /// The most slots the pool can ever have (capacity, or autoscale max).
    pub max_capacity: u32,
    pub cost_per_slot_hour: f64,
    queue: Queue,
    /// `queue`'s length, kept here: the statistics read it at every change, and the queue's
    /// own length is behind a match and a `usize` conversion.
    waiting: u32,
    pub autoscale: Option<AutoscaleState>,
    /// Present when the pool backfills.
    backfill: Option<Box<Backfill>>,
    pub stats: PoolStats,
    /// Since when the capacity has been what it is (see [`PoolState::integrate_capacity`]).
    capacity_since: f64,
    /// Since when the queue has had its length (see [`PoolState::note_queue`]).
    queue_since: f64,
    window_start: f64,
    window_end: f64,
}

impl PoolState {
    pub fn new(pool: &ir::Pool, templates: usize, window_start: f64, window_end: f64) -> Self {
        let queue = match pool.policy {
            ir::Policy::Fifo => Queue::Fifo(VecDeque::new()),
            ir::Policy::Sjf | ir::Policy::Priority | ir::Policy::Edf => {
                Queue::Keyed(BinaryHeap::new(), 0)
            }
            ir::Policy::FairShare => Queue::FairShare {
                queues: (0..templates.max(1)).map(|_| VecDeque::new()).collect(),
                next: 0,
                len: 0,
            },
        };
        let autoscale = pool.autoscale.as_ref().map(|spec| AutoscaleState {
            spec: spec.clone(),
            pending: 0,
            above_since: None,
            up_generation: 0,
            idle_since: None,
            idle_generation: 0,
        });
        let max_capacity = match &pool.autoscale {
            Some(spec) => spec.max.max(pool.capacity),
            None => pool.capacity,
        };
        PoolState {
            capacity: pool.capacity,
            busy: 0,
            max_capacity,
            cost_per_slot_hour: pool.cost_per_slot_hour,
            queue,
            waiting: 0,
            autoscale,
            backfill: (pool.backfill && pool.policy != ir::Policy::FairShare)
                .then(Box::<Backfill>::default),
            stats: PoolStats::default(),
            capacity_since: 0.0,
            queue_since: 0.0,
            window_start,
            window_end,
        }
    }

    pub fn queue_len(&self) -> u32 {
        self.waiting
    }

    /// The part of `[from, to]` inside the window, in seconds (0 for none). Plain
    /// comparisons rather than `f64::max`/`min`, whose NaN handling costs instructions: a
    /// NaN `from` or `to` (never produced) reads as the window's edge.
    #[inline(always)]
    fn in_window(&self, from: f64, to: f64) -> f64 {
        let from = if from > self.window_start {
            from
        } else {
            self.window_start
        };
        let to = if to < self.window_end {
            to
        } else {
            self.window_end
        };
        if to > from {
            to - from
        } else {
            0.0
        }
    }

    /// Accounts a service of `units` slots from `start` to `end` (its scheduled end, which
    /// may be infinite): call once for every request [`PoolState::grant`] returns
    /// ([`PoolState::start_now`] does it itself).
    ///
    /// The busy area is summed per service rather than integrated at every change of the
    /// pool: a service runs to its scheduled end (nothing cancels one), so its share of the
    /// window is known when it starts, and the pool's hot path does no integration. The same
    /// holds for the queue's area, summed per request as it leaves the queue.
    #[inline(always)]
    pub fn serve(&mut self, start: f64, end: f64, units: u32) {
        self.stats.busy_area += f64::from(units) * self.in_window(start, end);
    }

    /// Integrates the capacity up to `now`; call before the capacity changes, and at the
    /// end.
    fn integrate_capacity(&mut self, now: f64) {
        self.stats.capacity_area +=
            f64::from(self.capacity) * self.in_window(self.capacity_since, now);
        self.capacity_since = now;
    }

    /// Notes the queue's length up to `now`; call before the length changes, and at the
    /// end. The longest queue is of lengths held for some time inside the window, as
    /// `queue.mean` and the resource trace see it: a request that joins and is granted at
    /// one instant never waited.
    #[inline(always)]
    fn note_queue(&mut self, now: f64) {
        // Without branches: whether a change falls at the instant of the last one follows
        // the random order of events (mispredicted about once per pipeline, cachegrind).
        let held = (now != self.queue_since)
            & (now > self.window_start)
            & (self.queue_since < self.window_end);
        let longest = self.stats.queue_max.max(self.waiting);
        self.stats.queue_max = if held { longest } else { self.stats.queue_max };
        self.queue_since = now;
    }

    /// Brings the statistics up to `end`: the capacity's integral, the queue length held
    /// since its last change, and the queue's area of the requests still waiting.
    pub fn finish(&mut self, end: f64) {
        self.integrate_capacity(end);
        self.note_queue(end);
        let mut waited = 0.0;
        self.queue
            .for_each(|request| waited += self.in_window(request.enqueued, end));
        self.stats.queue_area += waited;
    }

    /// At the start of the window (the end of the warm-up): integrates the capacity up to
    /// it, and records the queue's length then (it may be non-zero).
    pub fn start_window(&mut self, now: f64) {
        self.integrate_capacity(now);
        self.note_queue(now);
        self.stats.queue_max = self.stats.queue_max.max(self.waiting);
    }

    /// Adds a request to the queue (then call [`PoolState::grant`] until it returns `None`).
    #[inline(always)]
    pub fn enqueue(&mut self, now: f64, request: Request) {
        self.note_queue(now);
        self.queue.push(request);
        self.waiting += 1;
    }

    /// Starts a request at once when the queue is empty, it fits in the free slots and the
    /// pool has no autoscaler: exactly what [`PoolState::enqueue`] then
    /// [`PoolState::grant`] then [`PoolState::serve`] would do, without touching the queue
    /// (`end` is the service's scheduled end). Fair share is left to the queue (its round
    /// robin moves on the request's template). Returns whether it started.
    #[inline(always)]
    pub fn start_now(&mut self, now: f64, units: u32, planned: f64, end: f64, who: Runner) -> bool {
        let fits = units <= self.capacity.saturating_sub(self.busy);
        let plain_queue = match &self.queue {
            Queue::Fifo(queue) => queue.is_empty(),
            Queue::Keyed(heap, _) => heap.is_empty(),
            Queue::FairShare { .. } => false,
        };
        if !fits || !plain_queue || self.autoscale.is_some() {
            return false;
        }
        self.serve(now, end, units);
        self.busy += units;
        if let Some(backfill) = &mut self.backfill {
            backfill.started(now + planned, units, who);
        }
        true
    }

    /// Grants the request at the head of the policy's order if it fits in the free slots
    /// (then call [`PoolState::serve`] with its service's end).
    /// Called until it returns `None`, it grants waiting requests in policy order while the
    /// head fits (strict order: nothing behind a head that does not fit starts), and then,
    /// in a backfilling pool, the requests that can start without delaying the head.
    #[inline(always)]
    pub fn grant(&mut self, now: f64) -> Option<Request> {
        // Every request takes at least one slot: a full pool starts nothing (the usual case
        // under load, checked without looking at the queue).
        let free = self.capacity.saturating_sub(self.busy);
        if free == 0 {
            return None;
        }
        let head_units = self.queue.peek()?.units;
        let request = if head_units <= free {
            self.note_queue(now);
            self.queue.pop()?
        } else if self.backfill.is_some() {
            self.backfill_one(now, free, head_units)?
        } else {
            return None;
        };
        self.waiting -= 1;
        self.stats.queue_area += self.in_window(request.enqueued, now);
        self.busy += request.units;
        if let Some(backfill) = &mut self.backfill {
            backfill.started(
                now + request.planned,
                request.units,
                (request.instance, request.step),
            );
        }
        Some(request)
    }

    /// EASY backfilling: takes the first request in policy order, behind a head that needs
    /// `head_units` of the `free` slots' worth, that fits now and either ends by the head's
    /// reserved start or needs only slots the head will not need then.
    #[cold]
    fn backfill_one(&mut self, now: f64, free: u32, head_units: u32) -> Option<Request> {
        let backfill = self.backfill.as_mut()?;
        let (reserved, spare) = backfill.reservation(now, free, head_units);
        let request = self.queue.take_first_fitting(|r| {
            r.units <= free && (now + r.planned <= reserved || r.units <= spare)
        })?;
        self.note_queue(now);
        Some(request)
    }

    /// Frees `units` slots (then call [`PoolState::grant`] until it returns `None`).
    #[inline(always)]
    pub fn release(&mut self, units: u32, who: Runner) {
        self.busy = self.busy.saturating_sub(units);
        if let Some(backfill) = &mut self.backfill {
            backfill.ended(who);
        }
    }

    /// Adds provisioned slots.
    pub fn add_capacity(&mut self, now: f64, slots: u32) {
        self.integrate_capacity(now);
        self.capacity += slots;
        if let Some(autoscale) = &mut self.autoscale {
            autoscale.pending = autoscale.pending.saturating_sub(slots);
        }
    }

    /// Updates the autoscaler after any change of queue, busy or capacity, and says which
    /// checks the engine must schedule.
    pub fn autoscale_update(&mut self, now: f64, actions: &mut Vec<ScaleAction>) {
        if self.autoscale.is_none() {
            return;
        }
        let queue_len = f64::from(self.waiting);
        let (capacity, busy) = (self.capacity, self.busy);
        let queue_empty = self.waiting == 0;
        let Some(autoscale) = &mut self.autoscale else {
            return;
        };
        if queue_len > autoscale.spec.when_queue_above {
            if autoscale.above_since.is_none() {
                autoscale.above_since = Some(now);
                autoscale.up_generation += 1;
                actions.push(ScaleAction::UpCheck {
                    at: now + autoscale.spec.sustain,
                    generation: autoscale.up_generation,
                });
            }
        } else if autoscale.above_since.is_some() {
            autoscale.above_since = None;
            autoscale.up_generation += 1;
        }
        let step = autoscale.spec.step.max(1);
        let idle = queue_empty
            && capacity.saturating_sub(busy) >= step
            && capacity.saturating_sub(step) >= autoscale.spec.min;
        if idle {
            if autoscale.idle_since.is_none() {
                autoscale.idle_since = Some(now);
                autoscale.idle_generation += 1;
                actions.push(ScaleAction::IdleCheck {
                    at: now + autoscale.spec.idle_release,
                    generation: autoscale.idle_generation,
                });
            }
        } else if autoscale.idle_since.is_some() {
            autoscale.idle_since = None;
            autoscale.idle_generation += 1;
        }
    }

    /// A scale-up check fired: returns the slots to provision (0 if none), and re-arms the
    /// check so slots keep being added while the queue stays above the threshold.
    pub fn autoscale_up_check(
        &mut self,
        now: f64,
        generation: u32,
        actions: &mut Vec<ScaleAction>,
    ) -> u32 {
        let capacity = self.capacity;
        let Some(autoscale) = &mut self.autoscale else {
            return 0;
        };
        if generation != autoscale.up_generation || autoscale.above_since.is_none() {
            return 0;
        }
        let headroom = autoscale
            .spec
            .max
            .saturating_sub(capacity + autoscale.pending);
        let add = autoscale.spec.step.max(1).min(headroom);
        autoscale.pending += add;
        if add > 0 {
            autoscale.above_since = Some(now);
            autoscale.up_generation += 1;
            actions.push(ScaleAction::UpCheck {
                at: now + autoscale.spec.sustain,
                generation: autoscale.up_generation,
            });
        }
        add
    }

    /// A release check fired: releases one step of idle slots if they stayed idle, and
    /// re-arms the check for the next step.
    pub fn autoscale_idle_check(&mut self, now: f64, generation: u32) -> bool {
        let valid = match &self.autoscale {
            Some(autoscale) => {
                generation == autoscale.idle_generation && autoscale.idle_since.is_some()
            }
            None => false,
        };
        if !valid {
            return false;
        }
        self.integrate_capacity(now);
        let autoscale = self.autoscale.as_mut().expect("checked");
        let step = autoscale.spec.step.max(1);
        self.capacity -= step;
        // Restart the idle clock for the next step of slots.
        autoscale.idle_since = None;
        autoscale.idle_generation += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(capacity: u32, policy: ir::Policy) -> PoolState {
        PoolState::new(
            &ir::Pool {
                capacity,
                policy,
                backfill: false,
                cost_per_slot_hour: 0.0,
                autoscale: None,
            },
            3,
            0.0,
            100.0,
        )
    }

    fn request(instance: u32, units: u32, key: f64, template: u32) -> Request {
        Request {
            instance,
            step: 0,
            units,
            enqueued: 0.0,
            planned: 1.0,
            key,
            template,
        }
    }

    fn backfilling(capacity: u32, policy: ir::Policy) -> PoolState {
        PoolState::new(
            &ir::Pool {
                capacity,
                policy,
                backfill: true,
                cost_per_slot_hour: 0.0,
                autoscale: None,
            },
            1,
            0.0,
            100.0,
        )
    }

    /// A request of `units` slots for `duration` (exactly planned), ordered by `key`.
    fn job(instance: u32, units: u32, duration: f64, key: f64) -> Request {
        Request {
            planned: duration,
            ..request(instance, units, key, 0)
        }
    }

    /// The instances granted at `now`, in order.
    fn granted_at(pool: &mut PoolState, now: f64) -> Vec<u32> {
        std::iter::from_fn(|| pool.grant(now))
            .map(|r| r.instance)
            .collect()
    }

    #[test]
    fn backfilling_starts_what_does_not_delay_the_head() {
        for policy in [ir::Policy::Fifo, ir::Policy::Sjf] {
            // Four slots; job 0 holds three until t = 10. The head (1) needs all four, so
            // it is reserved for t = 10 with no slot to spare. Behind it: a one-slot job
            // ending at t = 5 (2: starts), one ending at t = 20 (3: would delay the head),
            // and a two-slot job (4: does not fit in the one free slot).
            let mut pool = backfilling(4, policy);
            pool.enqueue(0.0, job(0, 3, 10.0, 0.0));
            assert_eq!(granted_at(&mut pool, 0.0), vec![0]);
            pool.enqueue(0.0, job(1, 4, 7.0, 1.0));
            pool.enqueue(0.0, job(3, 1, 20.0, 2.0));
            pool.enqueue(0.0, job(2, 1, 5.0, 3.0));
            pool.enqueue(0.0, job(4, 2, 1.0, 4.0));
            assert_eq!(granted_at(&mut pool, 0.0), vec![2], "{policy:?}");
            // Job 2 ends: its slot is free again, but nothing else may start before t = 10.
            pool.release(1, (2, 0));
            assert_eq!(granted_at(&mut pool, 5.0), Vec::<u32>::new());
            // Job 0 ends at 10: the head starts, then nothing fits beside it.
            pool.release(3, (0, 0));
            assert_eq!(granted_at(&mut pool, 10.0), vec![1], "{policy:?}");
        }
    }

    #[test]
    fn backfilling_uses_slots_the_head_will_not_need() {
        // Six slots; job 0 holds four until t = 10. The head needs three: at t = 10 six are
        // free, three of them spare. A two-slot job lasting past t = 10 may start now (it
        // leaves the head its three); the one-slot job behind it finds no free slot left.
        let mut pool = backfilling(6, ir::Policy::Fifo);
        pool.enqueue(0.0, job(0, 4, 10.0, 0.0));
        assert_eq!(granted_at(&mut pool, 0.0), vec![0]);
        pool.enqueue(0.0, job(1, 3, 5.0, 0.0));
        pool.enqueue(0.0, job(2, 2, 50.0, 0.0));
        pool.enqueue(0.0, job(3, 1, 50.0, 0.0));
        assert_eq!(granted_at(&mut pool, 0.0), vec![2]);
        // At t = 10 four slots free up: four free, the head takes three, job 3 the last.
        pool.release(4, (0, 0));
        assert_eq!(granted_at(&mut pool, 10.0), vec![1, 3]);
    }

    /// EASY's guarantee, on random workloads: once a request is at the head of the queue
    /// and blocked, it starts no later than the reservation computed then. Each job runs
    /// for its duration, and the scheduler plans with `planned(duration, rng)`.
    fn assert_heads_start_by_their_reservations(
        seed: u64,
        planned: impl Fn(f64, &mut crate::sim::rng::Stream) -> f64,
    ) {
        use rand::{Rng, SeedableRng};
        let mut rng = crate::sim::rng::Stream::seed_from_u64(seed);
        for _ in 0..50 {
            let capacity = rng.random_range(2..=8u32);
            let mut pool = backfilling(capacity, ir::Policy::Fifo);
            let mut durations = Vec::new();
            for i in 0..40 {
                let units = rng.random_range(1..=capacity);
                let duration = rng.random_range(1..=20) as f64;
                let plan = planned(duration, &mut rng);
                durations.push(duration);
                pool.enqueue(0.0, job(i, units, plan, 0.0));
            }
            let mut now = 0.0;
            let mut ends: Vec<(f64, u32, u32)> = Vec::new();
            let mut started = vec![f64::NAN; durations.len()];
            let mut promised = vec![f64::INFINITY; durations.len()];
            loop {
                for r in std::iter::from_fn(|| pool.grant(now)) {
                    started[r.instance as usize] = now;
                    ends.push((now + durations[r.instance as usize], r.units, r.instance));
                }
                // The head, if blocked: note its first reservation.
                if let Some(head) = pool.queue.peek().copied() {
                    let free = pool.capacity - pool.busy;
                    if head.units > free && promised[head.instance as usize].is_infinite() {
                        let backfill = pool.backfill.as_mut().unwrap();
                        promised[head.instance as usize] =
                            backfill.reservation(now, free, head.units).0;
                    }
                }
                // The next end.
                let Some(next) = ends.iter().map(|e| e.0).min_by(f64::total_cmp) else {
                    break;
                };
                now = next;
                ends.retain(|&(end, units, instance)| {
                    if end == now {
                        pool.release(units, (instance, 0));
                        false
                    } else {
                        true
                    }
                });
            }
            for (i, (&start, &promise)) in started.iter().zip(&promised).enumerate() {
                assert!(!start.is_nan(), "job {i} never started");
                assert!(
                    start <= promise,
                    "job {i} started at {start}, reserved for {promise}"
                );
            }
        }
    }

    #[test]
    fn backfilling_never_delays_the_head_past_its_reservation() {
        // Durations known exactly (no `estimate`): the running requests end when the
        // reservation assumed.
        assert_heads_start_by_their_reservations(7, |duration, _| duration);
    }

    #[test]
    fn overestimates_keep_the_guarantee() {
        // Users ask for up to four times what their jobs take (no job runs past its
        // estimate): every request ends no later than planned, so reservations still hold.
        use rand::Rng;
        assert_heads_start_by_their_reservations(11, |duration, rng| {
            duration * rng.random_range(1.0..4.0)
        });
    }

    #[test]
    fn an_underestimate_can_delay_the_head() {
        // Four slots; job 0 holds three until t = 10. The head (1) needs all four: reserved
        // for t = 10. Job 2 says it needs one slot for 5 s, so it is backfilled, but it runs
        // for 50: at t = 10 it still holds its slot and the head waits until it ends.
        let mut pool = backfilling(4, ir::Policy::Fifo);
        pool.enqueue(0.0, job(0, 3, 10.0, 0.0));
        assert_eq!(granted_at(&mut pool, 0.0), vec![0]);
        pool.enqueue(0.0, job(1, 4, 10.0, 0.0));
        pool.enqueue(0.0, job(2, 1, 5.0, 0.0));
        assert_eq!(granted_at(&mut pool, 0.0), vec![2]);
        pool.release(3, (0, 0));
        assert_eq!(granted_at(&mut pool, 10.0), Vec::<u32>::new());
        // Past its planned end, job 2 is planned to end at once: the reservation is now,
        // and nothing else is backfilled in front of the head.
        pool.enqueue(20.0, job(3, 1, 1.0, 0.0));
        assert_eq!(granted_at(&mut pool, 20.0), Vec::<u32>::new());
        let backfill = pool.backfill.as_mut().unwrap();
        assert_eq!(backfill.reservation(20.0, 3, 4), (20.0, 0));
        pool.release(1, (2, 0));
        assert_eq!(granted_at(&mut pool, 50.0), vec![1]);
    }

    #[test]
    fn requests_ending_at_one_instant_all_count_for_the_reservation() {
        // Two two-slot jobs end at t = 10: then six slots are free, two of them spare
        // beside the four-slot head, so a long two-slot job may start now in the two free
        // slots (counting only one of the two ends would leave none spare, and it would not).
        let mut pool = backfilling(6, ir::Policy::Fifo);
        pool.enqueue(0.0, job(0, 2, 10.0, 0.0));
        pool.enqueue(0.0, job(1, 2, 10.0, 0.0));
        assert_eq!(granted_at(&mut pool, 0.0), vec![0, 1]);
        pool.enqueue(0.0, job(2, 4, 5.0, 0.0));
        pool.enqueue(0.0, job(3, 2, 50.0, 0.0));
        assert_eq!(granted_at(&mut pool, 0.0), vec![3]);
    }

    /// The instances of every request the pool grants at time 0, in order.
    fn granted(pool: &mut PoolState) -> Vec<u32> {
        granted_at(pool, 0.0)
    }

    #[test]
    fn fifo_is_strict_and_does_not_backfill() {
        let mut pool = pool(2, ir::Policy::Fifo);
        pool.enqueue(0.0, request(0, 1, 0.0, 0));
        pool.enqueue(0.0, request(1, 2, 0.0, 0));
        pool.enqueue(0.0, request(2, 1, 0.0, 0));
        // 0 takes one slot; 1 needs two and blocks; 2 must wait behind it.
        assert_eq!(granted(&mut pool), vec![0]);
        pool.release(1, (0, 0));
        assert_eq!(granted(&mut pool), vec![1]);
    }

    #[test]
    fn keyed_policies_serve_smallest_key_first_then_fifo() {
        let mut pool = pool(0, ir::Policy::Sjf);
        pool.enqueue(0.0, request(0, 1, 5.0, 0));
        pool.enqueue(0.0, request(1, 1, 1.0, 0));
        pool.enqueue(0.0, request(2, 1, 5.0, 0));
        pool.enqueue(0.0, request(3, 1, 1.0, 0));
        pool.add_capacity(0.0, 4);
        assert_eq!(granted(&mut pool), vec![1, 3, 0, 2]);
    }

    #[test]
    fn fair_share_serves_templates_round_robin() {
        let mut pool = pool(0, ir::Policy::FairShare);
        for instance in 0..4 {
            pool.enqueue(0.0, request(instance, 1, 0.0, 0));
        }
        pool.enqueue(0.0, request(10, 1, 0.0, 1));
        pool.enqueue(0.0, request(20, 1, 0.0, 2));
        pool.enqueue(0.0, request(21, 1, 0.0, 2));
        pool.add_capacity(0.0, 7);
        assert_eq!(granted(&mut pool), vec![0, 10, 20, 1, 21, 2, 3]);
    }

    #[test]
    fn statistics_integrate_over_the_window() {
        let mut pool = PoolState::new(
            &ir::Pool {
                capacity: 1,
                policy: ir::Policy::Fifo,
                backfill: false,
                cost_per_slot_hour: 0.0,
                autoscale: None,
            },
            1,
            10.0,
            20.0,
        );
        pool.enqueue(0.0, request(0, 1, 0.0, 0));
        assert_eq!(granted_at(&mut pool, 0.0), vec![0]);
        pool.serve(0.0, 15.0, 1);
        pool.enqueue(
            5.0,
            Request {
                enqueued: 5.0,
                ..request(1, 1, 0.0, 0)
            },
        );
        pool.enqueue(
            12.0,
            Request {
                enqueued: 12.0,
                ..request(2, 1, 0.0, 0)
            },
        );
        pool.release(1, (0, 0));
        assert_eq!(granted_at(&mut pool, 15.0), vec![1]);
        // Runs past the window's end.
        pool.serve(15.0, 40.0, 1);
        pool.finish(30.0);
        // Busy from 0 to 15, then from 15 on: 5 + 5 slot-seconds inside [10, 20].
        assert_eq!(pool.stats.busy_area, 10.0);
        // Request 1 waited from 5 to 15 (5 s inside), request 2 from 12 to the end (8 s).
        assert_eq!(pool.stats.queue_area, 13.0);
        assert_eq!(pool.stats.capacity_area, 10.0);
        // Two waited from 12 to 15.
        assert_eq!(pool.stats.queue_max, 2);
    }
}
