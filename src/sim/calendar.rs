//! The event calendar: a 4-ary min-heap of pending events keyed by (time, insertion sequence).
//! A 4-ary heap is shallower than a binary one (half the levels), and the four children of a
//! node are adjacent in memory, so a pop touches fewer cache lines; the calendars of these
//! models are small (one entry per busy slot, transfer and arrival stream).
//!
//! Tie-breaking rule: events with equal times are delivered in the order they were
//! scheduled (first scheduled, first delivered). Together with seeded random streams this
//! makes a replication deterministic: nothing depends on heap layout, hashing or threads.
//!
//! Invariant: `schedule` never accepts a time earlier than the last delivered event's time
//! (the engine schedules only at `now + delay` with `delay >= 0`); NaN times are rejected by
//! treating them as "never" (they are not stored).

#[derive(Clone, Copy)]
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

/// Pending events in delivery order.
pub struct Calendar<E> {
    /// Heap-ordered: every entry's key is at most its children's (`4i + 1` to `4i + 4`).
    heap: Vec<Entry<E>>,
    next_sequence: u64,
    /// The root has been delivered by [`Calendar::pop`] but is still in the heap. The engine
    /// usually schedules an event right after a pop (the next service end): that event
    /// overwrites the root and sifts down once, instead of the pop sifting the last entry
    /// down and the schedule sifting the new one up. Otherwise the next `pop` removes it.
    delivered: bool,
}

impl<E: Copy> Default for Calendar<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// Events are small `Copy` values (the delivered root is copied out and left in place).
impl<E: Copy> Calendar<E> {
    pub fn new() -> Self {
        Calendar {
            heap: Vec::with_capacity(1024),
            next_sequence: 0,
            delivered: false,
        }
    }

    /// Schedules `event` at `time`. A NaN or infinite time means the event never happens.
    pub fn schedule(&mut self, time: f64, event: E) {
        if !time.is_finite() {
            return;
        }
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let key = (u128::from(ordered_bits(time)) << 64) | u128::from(sequence);
        let entry = Entry { key, event };
        if self.delivered {
            // The delivered root's place is free: put the new entry there and sift it down.
            self.delivered = false;
            self.sift_down_from_root(entry);
            return;
        }
        // Sift up: move parents down until the new key's place is found.
        self.heap.push(entry);
        let mut index = self.heap.len() - 1;
        while index > 0 {
            let parent = (index - 1) / 4;
            if self.heap[parent].key <= key {
                break;
            }
            self.heap.swap(index, parent);
            index = parent;
        }
    }

    /// Writes `entry` at the root (whose old entry is discarded) and restores heap order:
    /// move the least child up into the hole until `entry`'s key is no greater, then write
    /// it there once.
    fn sift_down_from_root(&mut self, entry: Entry<E>) {
        let len = self.heap.len();
        let key = entry.key;
        let mut hole = 0;
        loop {
            let first = 4 * hole + 1;
            if first >= len {
                break;
            }
            let end = (first + 4).min(len);
            let mut smallest = first;
            let mut smallest_key = self.heap[first].key;
            for child in first + 1..end {
                let child_key = self.heap[child].key;
                if child_key < smallest_key {
                    smallest = child;
                    smallest_key = child_key;
                }
            }
            if smallest_key >= key {
                break;
            }
            self.heap[hole] = self.heap[smallest];
            hole = smallest;
        }
        self.heap[hole] = entry;
    }

    /// Removes the root delivered by the last `pop`, if it is still there.
    fn remove_delivered(&mut self) {
        if self.delivered {
            self.delivered = false;
            if let Some(last) = self.heap.pop() {
                if !self.heap.is_empty() {
                    self.sift_down_from_root(last);
                }
            }
        }
    }

    /// The time of the next event, if any.
    pub fn peek_time(&mut self) -> Option<f64> {
        self.remove_delivered();
        self.heap
            .first()
            .map(|entry| time_of((entry.key >> 64) as u64))
    }

    /// Removes and returns the next event in (time, sequence) order.
    pub fn pop(&mut self) -> Option<(f64, E)> {
        self.remove_delivered();
        let top = *self.heap.first()?;
        self.delivered = true;
        Some((time_of((top.key >> 64) as u64), top.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.delivered)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    fn many_events_come_out_sorted_by_time_then_insertion() {
        let mut calendar = Calendar::new();
        let mut state = 99u64;
        let mut expected = Vec::new();
        let mut delivered = Vec::new();
        // Interleave schedules and pops, as the engine does, with many equal times.
        for index in 0..5_000u32 {
            state = crate::sim::rng::mix(state);
            let time = 1000.0 + (state % 64) as f64;
            calendar.schedule(time, index);
            expected.push((time, index));
            if index % 3 == 0 {
                delivered.push(calendar.pop().unwrap());
            }
        }
        delivered.extend(std::iter::from_fn(|| calendar.pop()));
        // Times here may be earlier than one already delivered (the engine never does that),
        // so check that each pop took the least (time, index) pending at that moment.
        let mut pending: Vec<(f64, u32)> = Vec::new();
        let mut next = 0;
        for index in 0..5_000u32 {
            pending.push(expected[index as usize]);
            if index % 3 == 0 {
                let least = *pending
                    .iter()
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                    .unwrap();
                assert_eq!(delivered[next], least);
                pending.retain(|entry| *entry != least);
                next += 1;
            }
        }
        pending.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        assert_eq!(&delivered[next..], &pending[..]);
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
