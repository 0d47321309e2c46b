//! The event calendar: pending events keyed by (time, insertion sequence).
//!
//! Two layouts, chosen by size. A small calendar (the usual case: one entry per busy slot,
//! transfer and arrival stream) is an array sorted by descending key: the next event is the
//! last entry, so a pop is O(1), and a new entry is placed by scanning from the earliest
//! end. New events are mostly among the earliest pending ones (in the year benchmark a new
//! entry has on average 3.4 earlier ones out of 13), so the scan and the shift are short,
//! much cheaper than a heap's sift. A calendar that grows past [`SORTED_MAX`] entries
//! becomes a 4-ary min-heap (a sorted array read backwards is already one), whose cost does
//! not grow with the number of pending events; it goes back to the sorted array when it
//! shrinks to [`SORTED_MIN`] (apart from `SORTED_MAX`, so it does not switch back and forth).
//!
//! Tie-breaking rule: events with equal times are delivered in the order they were
//! scheduled (first scheduled, first delivered). Keys are unique (the sequence is), so the
//! delivery order is the same whatever the layout. Together with seeded random streams this
//! makes a replication deterministic: nothing depends on layout, hashing or threads.
//!
//! Invariant: `schedule` never accepts a time earlier than the last delivered event's time
//! (the engine schedules only at `now + delay` with `delay >= 0`); NaN times are rejected by
//! treating them as "never" (they are not stored).

/// Above this many entries the calendar is a heap.
const SORTED_MAX: usize = 32;
/// A heap that shrinks to this many entries becomes a sorted array again.
const SORTED_MIN: usize = 8;

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
    /// Sorted layout: the [`ordered_bits`] of each entry's time in `times[..len]`, in
    /// descending order of delivery (the next event last). Equal times are ordered by their
    /// place alone (the one scheduled first is nearer the end), so the sorted layout needs
    /// no sequence numbers. Arrays rather than vectors: a schedule or a pop then updates
    /// one length and checks no capacity. Empty (`len` 0) in the heap layout.
    times: [u64; SORTED_MAX],
    /// Sorted layout: the event of each entry, at the same index as its time.
    events: [E; SORTED_MAX],
    /// Sorted layout: the number of entries.
    len: usize,
    /// Heap layout: `(ordered bits of the time) << 64 | sequence` of each entry, heap
    /// ordered (every key is at most its children's, `4i + 1` to `4i + 4`): one integer
    /// comparison orders entries by time, then by insertion. Empty in the sorted layout.
    keys: Vec<u128>,
    /// Heap layout: the event of each entry, at the same index as its key.
    heap_events: Vec<E>,
    /// Which layout the entries are in.
    heap: bool,
    /// Heap layout: the sequence of the next entry scheduled (greater than every key's).
    next_sequence: u64,
    /// Heap layout only: the root has been delivered by [`Calendar::pop`] but is still in
    /// the heap. An event scheduled right after a pop overwrites the root and sifts down
    /// once, instead of the pop sifting the last entry down and the schedule sifting the
    /// new one up. Otherwise the next `pop` removes it.
    delivered: bool,
}

impl<E: Copy + Default> Default for Calendar<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// Events are small `Copy` values (the delivered root is copied out and left in place);
/// `Default` fills the sorted layout's unused places.
impl<E: Copy + Default> Calendar<E> {
    pub fn new() -> Self {
        Calendar {
            times: [0; SORTED_MAX],
            events: [E::default(); SORTED_MAX],
            len: 0,
            keys: Vec::new(),
            heap_events: Vec::new(),
            heap: false,
            next_sequence: 0,
            delivered: false,
        }
    }

    /// Schedules `event` at `time`. A NaN or infinite time means the event never happens.
    /// Inlined: it is small, and an event passed in registers need not go through memory.
    #[inline(always)]
    pub fn schedule(&mut self, time: f64, event: E) {
        if !time.is_finite() {
            return;
        }
        let bits = ordered_bits(time);
        let len = self.len;
        if self.heap || len >= SORTED_MAX {
            self.schedule_in_heap(bits, event);
            return;
        }
        // Sorted layout: move the entries delivered before this one (the earlier times, and
        // equal times scheduled before it) one place up, from the end, then write it into
        // the place left.
        let mut place = len;
        while place > 0 {
            let previous = self.times[place - 1];
            if previous > bits {
                break;
            }
            self.times[place] = previous;
            self.events[place] = self.events[place - 1];
            place -= 1;
        }
        self.times[place] = bits;
        self.events[place] = event;
        self.len = len + 1;
    }

    /// Schedules an entry in the heap layout, switching to it first if needed.
    #[inline(never)]
    fn schedule_in_heap(&mut self, bits: u64, event: E) {
        if !self.heap {
            // The sorted entries read backwards are in delivery order: number them in that
            // order, and they are ascending, which is heap ordered.
            let len = self.len;
            self.heap_events.clear();
            self.heap_events
                .extend(self.events[..len].iter().rev().copied());
            self.keys.clear();
            self.keys.extend(
                self.times[..len]
                    .iter()
                    .rev()
                    .zip(0u64..)
                    .map(|(&bits, sequence)| (u128::from(bits) << 64) | u128::from(sequence)),
            );
            self.next_sequence = len as u64;
            self.len = 0;
            self.heap = true;
        }
        let sequence = self.next_sequence;
        self.next_sequence += 1;
        let key = (u128::from(bits) << 64) | u128::from(sequence);
        if self.delivered {
            // The delivered root's place is free: put the new entry there and sift it down.
            self.delivered = false;
            self.sift_down_from_root(key, event);
            return;
        }
        // Sift up: move parents down into the hole until the new key's place is found.
        let mut index = self.keys.len();
        self.keys.push(key);
        self.heap_events.push(event);
        while index > 0 {
            let parent = (index - 1) / 4;
            let parent_key = self.keys[parent];
            if parent_key <= key {
                break;
            }
            self.keys[index] = parent_key;
            self.heap_events[index] = self.heap_events[parent];
            index = parent;
        }
        self.keys[index] = key;
        self.heap_events[index] = event;
    }

    /// Heap layout: writes the entry `(key, event)` at the root (whose old entry is
    /// discarded) and restores heap order: move the least child up into the hole until
    /// `key` is no greater, then write the entry there once.
    fn sift_down_from_root(&mut self, key: u128, event: E) {
        let len = self.keys.len();
        let mut hole = 0;
        loop {
            let first = 4 * hole + 1;
            if first >= len {
                break;
            }
            let end = (first + 4).min(len);
            let mut smallest = first;
            let mut smallest_key = self.keys[first];
            for child in first + 1..end {
                let child_key = self.keys[child];
                if child_key < smallest_key {
                    smallest = child;
                    smallest_key = child_key;
                }
            }
            if smallest_key >= key {
                break;
            }
            self.keys[hole] = smallest_key;
            self.heap_events[hole] = self.heap_events[smallest];
            hole = smallest;
        }
        self.keys[hole] = key;
        self.heap_events[hole] = event;
    }

    /// Heap layout: removes the root delivered by the last `pop`, if it is still there,
    /// and goes back to the sorted layout if the heap has become small.
    fn remove_delivered(&mut self) {
        if self.delivered {
            self.delivered = false;
            if let (Some(key), Some(event)) = (self.keys.pop(), self.heap_events.pop()) {
                if !self.keys.is_empty() {
                    self.sift_down_from_root(key, event);
                }
            }
        }
        if self.keys.len() <= SORTED_MIN {
            let mut entries: Vec<(u128, E)> = self
                .keys
                .iter()
                .copied()
                .zip(self.heap_events.iter().copied())
                .collect();
            entries.sort_unstable_by_key(|entry| std::cmp::Reverse(entry.0));
            self.keys.clear();
            self.heap_events.clear();
            // At most SORTED_MIN entries, below SORTED_MAX.
            self.len = entries.len();
            for (place, (key, event)) in entries.into_iter().enumerate() {
                self.times[place] = (key >> 64) as u64;
                self.events[place] = event;
            }
            self.heap = false;
        }
    }

    /// Heap layout: the next entry (left in place as the delivered root).
    #[inline(never)]
    fn pop_from_heap(&mut self) -> Option<(f64, E)> {
        self.remove_delivered();
        if !self.heap {
            return self.pop();
        }
        let key = *self.keys.first()?;
        let event = *self.heap_events.first()?;
        self.delivered = true;
        Some((time_of((key >> 64) as u64), event))
    }

    /// The time of the next event, if any.
    pub fn peek_time(&mut self) -> Option<f64> {
        if self.heap {
            self.remove_delivered();
            if self.heap {
                return self.keys.first().map(|key| time_of((key >> 64) as u64));
            }
        }
        self.len
            .checked_sub(1)
            .map(|last| time_of(self.times[last]))
    }

    /// Removes and returns the next event in (time, sequence) order.
    #[inline]
    pub fn pop(&mut self) -> Option<(f64, E)> {
        if self.heap {
            return self.pop_from_heap();
        }
        let last = self.len.checked_sub(1)?;
        self.len = last;
        Some((time_of(self.times[last]), self.events[last]))
    }

    pub fn len(&self) -> usize {
        if self.heap {
            self.keys.len() - usize::from(self.delivered)
        } else {
            self.len
        }
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
    fn switching_between_the_sorted_and_heap_layouts_keeps_the_order() {
        let mut calendar = Calendar::new();
        let mut pending: Vec<(f64, u32)> = Vec::new();
        let mut state = 7u64;
        let mut now = 0.0;
        let mut index = 0u32;
        // Grow past SORTED_MAX and shrink below SORTED_MIN several times, with schedules
        // right after pops (the delivered root) and runs of pops, and many equal times.
        for round in 0..6 {
            let target = if round % 2 == 0 { 3 * SORTED_MAX } else { 2 };
            while (round % 2 == 0 && pending.len() < target)
                || (round % 2 == 1 && pending.len() > target)
            {
                state = crate::sim::rng::mix(state);
                let pops = if round % 2 == 0 {
                    state % 2
                } else {
                    1 + state % 3
                };
                for _ in 0..pops {
                    let least = pending
                        .iter()
                        .enumerate()
                        .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(a.1 .1.cmp(&b.1 .1)))
                        .map(|(at, entry)| (at, *entry));
                    assert_eq!(calendar.peek_time(), least.map(|(_, entry)| entry.0));
                    let delivered = calendar.pop();
                    assert_eq!(delivered, least.map(|(_, entry)| entry));
                    if let Some((at, (time, _))) = least {
                        pending.swap_remove(at);
                        now = time;
                    }
                }
                let schedules = if round % 2 == 0 { 2 } else { state % 2 };
                for _ in 0..schedules {
                    state = crate::sim::rng::mix(state);
                    let time = now + (state % 8) as f64;
                    calendar.schedule(time, index);
                    pending.push((time, index));
                    index += 1;
                }
                assert_eq!(calendar.len(), pending.len());
            }
        }
        pending.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let rest: Vec<_> = std::iter::from_fn(|| calendar.pop()).collect();
        assert_eq!(rest, pending);
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
