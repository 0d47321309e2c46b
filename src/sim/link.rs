//! Links: a shared bandwidth divided equally among the transfers in progress (processor
//! sharing).
//!
//! Method: a virtual clock `service` counts the bytes each active transfer has received
//! since the link was created; it advances at `bandwidth / n` while `n` transfers are
//! active. A transfer that starts when the clock reads `s` and moves `b` bytes finishes when
//! it reads `s + b`, so finish tags never change when the set changes and only the next
//! completion time does. The engine keeps one pending completion event per link, tagged with
//! a generation that is bumped whenever the set changes, and ignores stale ones.
//!
//! Float drift: the completion time is computed from the tag, and on delivery every transfer
//! whose tag is within a relative 1e-9 (or 1e-6 bytes) of the clock completes, so rounding
//! cannot leave a transfer with a sliver of bytes that would need an extra event. A current
//! completion event always completes the first transfer: the clock is moved up to its tag
//! if rounding left it short (a transfer far shorter than the time's precision would
//! otherwise be rescheduled at the same time forever).
//!
//! Invariant: the link is busy (serving at full bandwidth) exactly when a transfer is active.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Active {
    finish_tag: f64,
    sequence: u64,
    transfer: u32,
}

impl PartialEq for Active {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Active {}
impl PartialOrd for Active {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Active {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .finish_tag
            .total_cmp(&self.finish_tag)
            .then_with(|| other.sequence.cmp(&self.sequence))
    }
}

pub struct LinkState {
    pub bandwidth: f64,
    service: f64,
    last_update: f64,
    active: BinaryHeap<Active>,
    next_sequence: u64,
    /// Bumped whenever the set of transfers changes; completion events carry it.
    pub generation: u32,
    /// Seconds busy within the statistics window.
    pub busy_time: f64,
    window_start: f64,
    window_end: f64,
}

impl LinkState {
    pub fn new(bandwidth: f64, window_start: f64, window_end: f64) -> Self {
        LinkState {
            bandwidth,
            service: 0.0,
            last_update: 0.0,
            active: BinaryHeap::new(),
            next_sequence: 0,
            generation: 0,
            busy_time: 0.0,
            window_start,
            window_end,
        }
    }

    pub fn active(&self) -> usize {
        self.active.len()
    }

    /// Advances the virtual clock and the busy time to `now`.
    pub fn advance(&mut self, now: f64) {
        let n = self.active.len();
        if n > 0 {
            let dt = now - self.last_update;
            if dt > 0.0 {
                self.service += dt * self.bandwidth / n as f64;
                let from = self.last_update.max(self.window_start);
                let to = now.min(self.window_end);
                if to > from {
                    self.busy_time += to - from;
                }
            }
        }
        self.last_update = now;
    }

    /// Starts a transfer of `bytes` (> 0) identified by `transfer`; returns the time of the
    /// next completion and the generation to tag its event with.
    pub fn start(&mut self, now: f64, bytes: f64, transfer: u32) -> (f64, u32) {
        self.advance(now);
        self.active.push(Active {
            finish_tag: self.service + bytes,
            sequence: self.next_sequence,
            transfer,
        });
        self.next_sequence += 1;
        self.generation = self.generation.wrapping_add(1);
        (self.next_completion(now), self.generation)
    }

    fn next_completion(&self, now: f64) -> f64 {
        match self.active.peek() {
            Some(first) => {
                let n = self.active.len() as f64;
                now + (first.finish_tag - self.service).max(0.0) * n / self.bandwidth
            }
            None => f64::INFINITY,
        }
    }

    /// A completion event fired. If it is current, appends the finished transfers to
    /// `finished` (in start order among equal tags) and returns the next completion to
    /// schedule; a stale event returns `None` and changes nothing.
    pub fn complete(
        &mut self,
        now: f64,
        generation: u32,
        finished: &mut Vec<u32>,
    ) -> Option<(f64, u32)> {
        if generation != self.generation {
            return None;
        }
        self.advance(now);
        // The event is current, so it is the first transfer's completion: the clock has
        // reached its tag, even where the time it was scheduled at rounded to no later than
        // the last update (a byte at 1e15 B/s, a billion seconds in). Left behind, the
        // clock would schedule the same completion at the same time forever.
        if let Some(first) = self.active.peek() {
            self.service = self.service.max(first.finish_tag);
        }
        let tolerance = (self.service.abs() * 1e-9).max(1e-6);
        while let Some(first) = self.active.peek() {
            if first.finish_tag > self.service + tolerance {
                break;
            }
            finished.push(self.active.pop().expect("peeked").transfer);
        }
        self.generation = self.generation.wrapping_add(1);
        Some((self.next_completion(now), self.generation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_simultaneous_transfers_share_the_bandwidth() {
        let mut link = LinkState::new(100.0, 0.0, 1e9);
        link.start(0.0, 1000.0, 0);
        let (at, generation) = link.start(0.0, 1000.0, 1);
        // Alone each would take 10 s; together they take 20 s and end together.
        assert!((at - 20.0).abs() < 1e-9);
        let mut finished = Vec::new();
        let (next, _) = link.complete(at, generation, &mut finished).unwrap();
        assert_eq!(finished, vec![0, 1]);
        assert!(next.is_infinite());
        assert!((link.busy_time - 20.0).abs() < 1e-9);
    }

    /// A transfer far shorter than the time's precision completes when its event fires:
    /// a byte at 1e15 B/s, 1e12 seconds in, is due at the same time it started.
    #[test]
    fn a_transfer_shorter_than_the_time_precision_completes() {
        let mut link = LinkState::new(1e15, 0.0, f64::INFINITY);
        let now = 1e12;
        let (at, generation) = link.start(now, 1.0, 7);
        assert_eq!(at, now);
        let mut finished = Vec::new();
        let (next, _) = link.complete(at, generation, &mut finished).unwrap();
        assert_eq!(finished, vec![7]);
        assert!(next.is_infinite());
        // Two of them, one after the other.
        link.start(now, 1.0, 8);
        let (_, generation) = link.start(now, 2.0, 9);
        finished.clear();
        let (next, generation) = link.complete(now, generation, &mut finished).unwrap();
        assert_eq!(finished, vec![8]);
        assert_eq!(next, now);
        finished.clear();
        link.complete(next, generation, &mut finished).unwrap();
        assert_eq!(finished, vec![9]);
    }

    #[test]
    fn a_later_transfer_slows_the_first_down() {
        let mut link = LinkState::new(100.0, 0.0, 1e9);
        let (_, stale) = link.start(0.0, 1000.0, 0);
        // At t = 5 the first has 500 bytes left; a second of 200 bytes joins.
        let (at, generation) = link.start(5.0, 200.0, 1);
        let mut finished = Vec::new();
        assert!(link.complete(at, stale, &mut finished).is_none());
        // The second gets 50 B/s: done at t = 9; the first then has 300 left at 100 B/s.
        assert!((at - 9.0).abs() < 1e-9);
        let (next, generation2) = link.complete(at, generation, &mut finished).unwrap();
        assert_eq!(finished, vec![1]);
        assert!((next - 12.0).abs() < 1e-9);
        finished.clear();
        link.complete(next, generation2, &mut finished).unwrap();
        assert_eq!(finished, vec![0]);
    }
}
