//! `run`'s progress bar, and its estimate of the time a run has left.
//!
//! The replications of one run do not take the same time. One that writes traces runs about
//! ten times slower per simulated hour than one that does not, and sweep points differ in
//! horizon and load. A single rate over the whole run (a progress bar's own estimate) follows
//! the fast replications: with `--trace first` the untraced ones finished early, and the bar
//! said "about 0s left" while the traced one still had most of its way to go. So the estimate
//! is made replication by replication ([`time_left`]): one in progress goes on at its own pace
//! so far, one not started takes as long as those of its kind have taken, and they are laid
//! out on the worker threads as the run takes them.

use crate::sim;
use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What sets replications apart in the time they take: their sweep point, and whether they
/// write traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kind {
    pub point: usize,
    pub traced: bool,
}

/// Where a replication is, as [`time_left`] reads it (times in seconds).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum State {
    Waiting,
    /// `fraction` of its simulated time done, in `elapsed`.
    Running {
        elapsed: f64,
        fraction: f64,
    },
    Done {
        took: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Item {
    pub kind: Kind,
    pub state: State,
}

/// Below this fraction of its simulated time, a replication's pace is not yet a guide to its
/// end: the first moments of a run can be quicker or slower than the rest.
const MIN_FRACTION: f64 = 0.01;

/// Seconds until the last of `items` is done on `workers` threads, the waiting ones taken in
/// order by whichever thread is free first. `None` while nothing yet tells how long some kind
/// of replication that is still to run takes.
pub fn time_left(items: &[Item], workers: usize) -> Option<f64> {
    let mut free = Vec::with_capacity(workers);
    for item in items {
        if let State::Running { elapsed, fraction } = item.state {
            free.push(if fraction >= MIN_FRACTION {
                elapsed * (1.0 - fraction) / fraction
            } else {
                (duration_of(items, item.kind)? - elapsed).max(0.0)
            });
        }
    }
    // Threads without a replication are free now.
    free.resize(free.len().max(workers.max(1)), 0.0);
    for item in items {
        if item.state == State::Waiting {
            let took = duration_of(items, item.kind)?;
            let first_free = (0..free.len())
                .min_by(|&a, &b| free[a].total_cmp(&free[b]))
                .unwrap_or(0);
            free[first_free] += took;
        }
    }
    Some(free.into_iter().fold(0.0, f64::max))
}

/// How long a replication of `kind` takes: the mean over those of its kind that finished or
/// are far enough along, else over those traced (or not) like it at other sweep points, else
/// over all.
fn duration_of(items: &[Item], kind: Kind) -> Option<f64> {
    mean_duration(items, |other| other == kind)
        .or_else(|| mean_duration(items, |other| other.traced == kind.traced))
        .or_else(|| mean_duration(items, |_| true))
}

fn mean_duration(items: &[Item], like: impl Fn(Kind) -> bool) -> Option<f64> {
    let (mut sum, mut count) = (0.0, 0u32);
    for item in items.iter().filter(|item| like(item.kind)) {
        match item.state {
            State::Done { took } => {
                sum += took;
                count += 1;
            }
            State::Running { elapsed, fraction } if fraction >= MIN_FRACTION => {
                sum += elapsed / fraction;
                count += 1;
            }
            _ => {}
        }
    }
    (count > 0).then(|| sum / f64::from(count))
}

/// One replication's progress, advanced by the worker that runs it.
struct Slot {
    kind: Kind,
    /// Of [`sim::PROGRESS_TICKS`], advanced by the engine as simulated time passes.
    ticks: AtomicU64,
    started: OnceLock<Instant>,
    finished: OnceLock<Instant>,
}

struct Shared {
    slots: Vec<Slot>,
    workers: usize,
    begun: Instant,
}

impl Shared {
    fn items(&self, now: Instant) -> Vec<Item> {
        let seconds = |from: Instant, to: Instant| to.saturating_duration_since(from).as_secs_f64();
        self.slots
            .iter()
            .map(|slot| {
                let state = match (slot.started.get(), slot.finished.get()) {
                    (Some(&started), Some(&finished)) => State::Done {
                        took: seconds(started, finished),
                    },
                    (Some(&started), None) => State::Running {
                        elapsed: seconds(started, now),
                        fraction: slot.ticks.load(Ordering::Relaxed) as f64
                            / sim::PROGRESS_TICKS as f64,
                    },
                    _ => State::Waiting,
                };
                Item {
                    kind: slot.kind,
                    state,
                }
            })
            .collect()
    }

    /// Moves `bar` on: as far as the time gone is of the time gone and left (by simulated
    /// time while there is no estimate), never back.
    fn show(&self, bar: &ProgressBar) {
        let now = Instant::now();
        let items = self.items(now);
        let elapsed = now.saturating_duration_since(self.begun).as_secs_f64();
        let left = time_left(&items, self.workers);
        let fraction = match left {
            Some(left) if elapsed + left > 0.0 => elapsed / (elapsed + left),
            _ => {
                let ticks: u64 = self
                    .slots
                    .iter()
                    .map(|slot| slot.ticks.load(Ordering::Relaxed))
                    .sum();
                ticks as f64 / (sim::PROGRESS_TICKS as f64 * self.slots.len().max(1) as f64)
            }
        };
        let position = (fraction.clamp(0.0, 1.0) * BAR_LENGTH as f64) as u64;
        bar.set_position(position.max(bar.position()));
        let finished = items
            .iter()
            .filter(|item| matches!(item.state, State::Done { .. }))
            .count();
        let mut message = format!(
            "{finished}/{} replications, {:#} elapsed",
            items.len(),
            HumanDuration(Duration::from_secs_f64(elapsed))
        );
        if let Some(left) = left {
            message += &format!(
                ", about {:#} left",
                HumanDuration(Duration::from_secs_f64(left))
            );
        }
        bar.set_message(message);
    }
}

const BAR_LENGTH: u64 = 1000;

/// A progress bar on stderr that appears only once a run has taken more than a second, and
/// never when stderr is not a terminal (logs and tests stay clean). It moves with the
/// simulated time of the replications in progress, not only as they finish, so that a run of
/// one long replication shows how far it is and how long it has left. A watcher thread shows
/// it after the delay and redraws it from what the workers record.
pub struct Progress {
    shared: Arc<Shared>,
    bar: ProgressBar,
    watcher: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    const DELAY: Duration = Duration::from_secs(1);
    const REDRAW: Duration = Duration::from_millis(200);

    /// A bar for replications of `kinds`, in the order the run takes them, on `workers`
    /// threads.
    pub fn new(kinds: impl IntoIterator<Item = Kind>, workers: usize) -> Progress {
        let slots = kinds
            .into_iter()
            .map(|kind| Slot {
                kind,
                ticks: AtomicU64::new(0),
                started: OnceLock::new(),
                finished: OnceLock::new(),
            })
            .collect();
        let shared = Arc::new(Shared {
            slots,
            workers,
            begun: Instant::now(),
        });
        let bar = ProgressBar::with_draw_target(Some(BAR_LENGTH), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {bar:40} {msg}") {
            bar.set_style(style);
        }
        let watcher = std::io::stderr().is_terminal().then(|| {
            let (stop, stopped) = mpsc::channel::<()>();
            let (shown, watched) = (bar.clone(), Arc::clone(&shared));
            let handle = std::thread::spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Self::DELAY) {
                    shown.set_draw_target(ProgressDrawTarget::stderr());
                    loop {
                        watched.show(&shown);
                        shown.tick();
                        if !matches!(
                            stopped.recv_timeout(Self::REDRAW),
                            Err(mpsc::RecvTimeoutError::Timeout)
                        ) {
                            break;
                        }
                    }
                }
            });
            (stop, handle)
        });
        Progress {
            shared,
            bar,
            watcher,
        }
    }

    /// Marks replication `index` started; the engine advances the counter it returns.
    pub fn start(&self, index: usize) -> &AtomicU64 {
        let slot = &self.shared.slots[index];
        let _ = slot.started.set(Instant::now());
        &slot.ticks
    }

    /// Marks replication `index` finished.
    pub fn finish(&self, index: usize) {
        let _ = self.shared.slots[index].finished.set(Instant::now());
    }

    /// Stops the watcher and clears the bar.
    pub fn close(mut self) {
        if let Some((stop, handle)) = self.watcher.take() {
            let _ = stop.send(());
            let _ = handle.join();
        }
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNTRACED: Kind = Kind {
        point: 0,
        traced: false,
    };
    const TRACED: Kind = Kind {
        point: 0,
        traced: true,
    };

    fn item(kind: Kind, state: State) -> Item {
        Item { kind, state }
    }

    fn done(kind: Kind, took: f64) -> Item {
        item(kind, State::Done { took })
    }

    fn running(kind: Kind, elapsed: f64, fraction: f64) -> Item {
        item(kind, State::Running { elapsed, fraction })
    }

    fn waiting(kind: Kind) -> Item {
        item(kind, State::Waiting)
    }

    fn assert_near(left: Option<f64>, expected: f64) {
        let left = left.expect("an estimate");
        assert!((left - expected).abs() < 1e-9, "{left} against {expected}");
    }

    #[test]
    fn a_slow_traced_replication_is_not_hurried_by_the_fast_ones() {
        // Five replications on two threads: the traced one is 30% through after 3 s, the four
        // others took a second each. The traced one needs 7 s more, whatever the others did.
        let items = [
            running(TRACED, 3.0, 0.3),
            done(UNTRACED, 1.0),
            done(UNTRACED, 1.0),
            done(UNTRACED, 1.0),
            done(UNTRACED, 1.0),
        ];
        assert_near(time_left(&items, 2), 7.0);
    }

    #[test]
    fn waiting_replications_go_to_the_first_free_thread() {
        // One thread is free in 1 s, the other now; three more of 2 s each: the free thread
        // takes the first (2 s), the other the second (3 s), the first the third (4 s).
        let items = [
            done(UNTRACED, 2.0),
            running(UNTRACED, 1.0, 0.5),
            waiting(UNTRACED),
            waiting(UNTRACED),
            waiting(UNTRACED),
        ];
        assert_near(time_left(&items, 2), 4.0);
        // On one thread they follow each other.
        assert_near(time_left(&items, 1), 7.0);
    }

    #[test]
    fn a_kind_not_yet_seen_takes_the_time_of_its_like() {
        // The traced replication of the second sweep point takes as long as the first
        // point's did, not as long as an untraced one.
        let second = |traced| Kind { point: 1, traced };
        let items = [
            done(TRACED, 10.0),
            done(UNTRACED, 1.0),
            waiting(second(true)),
            waiting(second(false)),
        ];
        assert_near(time_left(&items, 2), 10.0);
        // Once the second point's own replications have a pace, theirs counts.
        let items = [
            done(TRACED, 10.0),
            done(UNTRACED, 1.0),
            running(second(true), 4.0, 0.2),
            done(second(false), 3.0),
            waiting(second(false)),
        ];
        assert_near(time_left(&items, 2), 16.0);
    }

    #[test]
    fn a_replication_just_started_is_judged_by_its_kind() {
        // At 0.5% of its simulated time its own pace says little; its kind took 8 s.
        let items = [done(UNTRACED, 8.0), running(UNTRACED, 2.0, 0.005)];
        assert_near(time_left(&items, 2), 6.0);
    }

    #[test]
    fn no_estimate_until_something_has_a_pace() {
        let items = [running(UNTRACED, 0.5, 0.0), waiting(UNTRACED)];
        assert_eq!(time_left(&items, 2), None);
        assert_eq!(time_left(&[waiting(TRACED)], 2), None);
    }

    #[test]
    fn nothing_left_when_all_are_done() {
        assert_near(time_left(&[done(UNTRACED, 3.0)], 2), 0.0);
        assert_near(time_left(&[], 2), 0.0);
    }
}
