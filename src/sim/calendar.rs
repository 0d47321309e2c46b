//! The event calendar: a binary heap of pending events keyed by (time, insertion sequence).
//!
//! Tie-breaking rule: events with equal times are delivered in the order they were
//! scheduled (first scheduled, first delivered). Together with seeded random streams this
//! makes a replication deterministic: nothing depends on heap layout, hashing or threads.
//!
//! Invariant: `schedule` never accepts a time earlier than the last delivered event's time
//! (the engine schedules only at `now + delay` with `delay >= 0`); NaN times are rejected by
//! treating them as "never" (they are not stored).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    /// `(ordered bits of the time) << 64 | sequence`: one integer comparison orders entries
    /// by time, then by insertion.
    key: u128,
    event: E,
}

/// Inverse of [`ordered_bits`].
fn time_of(bits: u64) -> f64 {
    if bits >> 63 == 1 {
        f64::from_bits(bits & !(1 << 63))
    } else {
        f64::from_bits(!bits)
    }
}

/// Maps an `f64` to a `u64` with the same order (for all non-NaN values).
fn ordered_bits(time: f64) -> u64 {
    let bits = time.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, so that the max-heap `BinaryHeap` pops the earliest (time, sequence) first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// Pending events in delivery order.
pub struct Calendar<E> {
    heap: BinaryHeap<Entry<E>>,
    next_sequence: u64,
}

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Calendar<E> {
    pub fn new() -> Self {
        Calendar {
            heap: BinaryHeap::with_capacity(1024),
            next_sequence: 0,
        }
    }

    /// Schedules `event` at `time`. A NaN or infinite time means the event never happens.
    pub fn schedule(&mut self, time: f64, event: E) {
        if !time.is_finite() {
            return;
        }
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        self.heap.push(Entry {
            key: (u128::from(ordered_bits(time)) << 64) | u128::from(sequence),
            event,
        });
    }

    /// The time of the next event, if any.
    pub fn peek_time(&self) -> Option<f64> {
        self.heap
            .peek()
            .map(|entry| time_of((entry.key >> 64) as u64))
    }

    /// Removes and returns the next event in (time, sequence) order.
    pub fn pop(&mut self) -> Option<(f64, E)> {
        self.heap
            .pop()
            .map(|entry| (time_of((entry.key >> 64) as u64), entry.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_in_time_order_and_equal_times_in_insertion_order() {
        let mut calendar = Calendar::new();
        calendar.schedule(2.0, "c");
        calendar.schedule(1.0, "a");
        calendar.schedule(2.0, "d");
        calendar.schedule(1.0, "b");
        calendar.schedule(0.5, "first");
        let order: Vec<_> = std::iter::from_fn(|| calendar.pop()).collect();
        assert_eq!(
            order,
            vec![
                (0.5, "first"),
                (1.0, "a"),
                (1.0, "b"),
                (2.0, "c"),
                (2.0, "d")
            ]
        );
    }

    #[test]
    fn ordered_bits_preserve_the_order_of_times() {
        let times = [-5.0, -0.5, 0.0, 1e-300, 0.5, 1.0, 3.0e9];
        for pair in times.windows(2) {
            assert!(ordered_bits(pair[0]) < ordered_bits(pair[1]), "{pair:?}");
        }
        for time in times {
            assert_eq!(time_of(ordered_bits(time)).to_bits(), time.to_bits());
        }
    }

    #[test]
    fn non_finite_times_are_never_delivered() {
        let mut calendar = Calendar::new();
        calendar.schedule(f64::NAN, 1);
        calendar.schedule(f64::INFINITY, 2);
        calendar.schedule(3.0, 3);
        assert_eq!(calendar.len(), 1);
        assert_eq!(calendar.pop(), Some((3.0, 3)));
        assert!(calendar.is_empty());
    }
}
