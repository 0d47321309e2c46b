//! Deployed models (the runtime view): accuracy that drifts linearly or drops suddenly, the
//! monitors' stale flag, and exact time integrals for the model metrics.
//!
//! Identity: a model is created when a pipeline triggered by an `arrivals` declaration
//! completes (passing validation) and its template tracks models (it declares `model { }`
//! or a monitor names it). A retraining run a monitor starts is a new instance of the same
//! template; when it completes it deploys the next version of the same model. At most one
//! retraining run per model is in progress. A model whose template has a `lifetime` retires
//! that long after its first deployment (retraining does not extend it).
//!
//! Accuracy: the last executed `train` step's `accuracy`, minus every executed `compress`
//! step's `accuracy_loss`; it never drifts below 0. A completed pipeline without a train
//! accuracy deploys nothing.
//!
//! Invariant: [`Model::account`] is called at every change of a model (drop, stale flag,
//! replacement) and at the end of the run, so the integrals cover `[warmup, horizon]` exactly
//! (linear drift is integrated in closed form, including the clamp at 0).

use crate::sim::metrics::ModelTotals;
use crate::sim::rng::Stream;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DriftState {
    None,
    /// Accuracy lost per second.
    Linear(f64),
    /// Sudden drops of this size at sampled times.
    Sudden(f64),
}

pub struct Model {
    /// The model's number, in order of first deployment: what traces show and what names its
    /// random streams (its slot in the engine's table is reused once it has retired).
    pub number: u32,
    pub template: u32,
    pub version: u32,
    pub deployed_at: f64,
    /// The pipeline instance that deployed the current version (for trace rows).
    pub deployed_by: u64,
    /// Accuracy at `reference_time`.
    reference_accuracy: f64,
    reference_time: f64,
    pub drift: DriftState,
    pub stale: bool,
    /// A retraining run is in progress.
    pub retraining: bool,
    /// Retraining runs started so far (names their random streams).
    pub retrain_runs: u64,
    /// The stream of sudden-drop times of the current version.
    pub drop_stream: Option<Stream>,
    /// Its `lifetime` is over: it counts in no metric from then on, no monitor checks it,
    /// and a retraining run of it that completes later deploys nothing.
    pub retired: bool,
    /// Sudden-drop events scheduled for it and not yet delivered (one per version at most).
    pub drops_pending: u32,
}

/// Area under `max(0, a - rate * s)` for s in [0, dt].
fn linear_area(a: f64, rate: f64, dt: f64) -> f64 {
    let a = a.max(0.0);
    if rate <= 0.0 {
        return a * dt;
    }
    let to_zero = a / rate;
    if dt <= to_zero {
        a * dt - rate * dt * dt / 2.0
    } else {
        a * a / (2.0 * rate)
    }
}

impl Model {
    pub fn new(
        number: u32,
        template: u32,
        accuracy: f64,
        now: f64,
        drift: DriftState,
        deployed_by: u64,
    ) -> Self {
        Model {
            number,
            template,
            version: 1,
            deployed_at: now,
            deployed_by,
            reference_accuracy: accuracy,
            reference_time: now,
            drift,
            stale: false,
            retraining: false,
            retrain_runs: 0,
            drop_stream: None,
            retired: false,
            drops_pending: 0,
        }
    }

    /// Accuracy at `now` (not before the last change).
    pub fn accuracy(&self, now: f64) -> f64 {
        match self.drift {
            DriftState::Linear(rate) => {
                let lost = rate * (now - self.reference_time);
                (self.reference_accuracy - lost).max(0.0)
            }
            _ => self.reference_accuracy,
        }
    }

    /// Adds this model's contribution over `[reference_time, now] ∩ [from, to]` to `totals`
    /// and moves the reference to `now`.
    pub fn account(&mut self, now: f64, from: f64, to: f64, totals: &mut ModelTotals) {
        let start = self.reference_time.max(from);
        let end = now.min(to);
        if end > start {
            let dt = end - start;
            let accuracy_at_start = self.accuracy(start);
            let rate = match self.drift {
                DriftState::Linear(rate) => rate,
                _ => 0.0,
            };
            totals.accuracy_area += linear_area(accuracy_at_start, rate, dt);
            totals.live_area += dt;
            if self.stale {
                totals.stale_area += dt;
            }
        }
        if now > self.reference_time {
            self.reference_accuracy = self.accuracy(now);
            self.reference_time = now;
        }
    }

    /// A sudden drop at `now` (call [`Model::account`] first).
    pub fn drop_accuracy(&mut self, now: f64, amount: f64) {
        self.reference_accuracy = (self.accuracy(now) - amount).max(0.0);
        self.reference_time = now;
    }

    /// Retired, and nothing refers to it any more: no retraining run that could deploy it, no
    /// pending drop. Its slot can hold the next new model.
    pub fn is_released(&self) -> bool {
        self.retired && !self.retraining && self.drops_pending == 0
    }

    /// A new version goes live at `now` (call [`Model::account`] first).
    pub fn redeploy(&mut self, now: f64, accuracy: f64, deployed_by: u64) {
        self.version += 1;
        self.deployed_at = now;
        self.deployed_by = deployed_by;
        self.reference_accuracy = accuracy;
        self.reference_time = now;
        self.stale = false;
        self.retraining = false;
        self.drop_stream = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_drift_integrates_exactly_with_the_clamp() {
        // 0.9 falling at 0.1/s reaches 0 at 9 s; over [0, 20] the area is 0.9 * 9 / 2.
        let mut model = Model::new(0, 0, 0.9, 0.0, DriftState::Linear(0.1), 0);
        let mut totals = ModelTotals::default();
        model.account(20.0, 0.0, 100.0, &mut totals);
        assert!((totals.accuracy_area - 4.05).abs() < 1e-12);
        assert_eq!(totals.live_area, 20.0);
        assert_eq!(model.accuracy(20.0), 0.0);
    }

    #[test]
    fn accounting_respects_the_window_and_splits_cleanly() {
        let mut whole = Model::new(0, 0, 0.8, 0.0, DriftState::Linear(0.01), 0);
        let mut split = Model::new(0, 0, 0.8, 0.0, DriftState::Linear(0.01), 0);
        let mut totals_whole = ModelTotals::default();
        let mut totals_split = ModelTotals::default();
        whole.account(30.0, 5.0, 25.0, &mut totals_whole);
        for t in [3.0, 10.0, 17.5, 30.0] {
            split.account(t, 5.0, 25.0, &mut totals_split);
        }
        assert!((totals_whole.accuracy_area - totals_split.accuracy_area).abs() < 1e-12);
        assert_eq!(totals_whole.live_area, 20.0);
        // Accuracy at 5 is 0.75, at 25 is 0.55: the mean over the window is 0.65.
        assert!((totals_whole.accuracy_area / 20.0 - 0.65).abs() < 1e-12);
    }
}
