//! The shipped scenarios, each with one word replaced or removed: what a user mid-edit, or
//! with a typo, hands `check` and `run`. Whatever the mistake, the front end must answer with
//! diagnostics that render (never a panic), and a scenario that still checks must run: its
//! sweep points lowered, its load worked out, and one replication of its first point run (on
//! a horizon cut to a day, within a time limit) without panicking.
//!
//! The grammar's own fuzzing (`src/syntax/tests.rs`) stops at the parser; these mistakes
//! reach name resolution, type checking, lowering, the load analysis and the engine.

use pipesim::analysis::load;
use pipesim::diagnostic::{self, Style};
use pipesim::experiment::{self, PlanError};
use pipesim::frontend;
use pipesim::sim::trace::NullSink;
use pipesim::sim::{run_replication_until, Control};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Mutants per shipped scenario, and the seed that picks them. A longer campaign than the
/// suite's: `PIPESIM_MUTANTS=2000 PIPESIM_MUTATION_SEED=7 cargo test --release --test
/// integration mutated -- --nocapture` (any seed; the failure names the mutant's text).
const MUTANTS: usize = 40;
const SEED: u64 = 13;

fn from_env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
const TIME_LIMIT: Duration = Duration::from_secs(60);

/// What a word may become besides another word of the same file: the language's extremes
/// and the punctuation a slip leaves behind.
const REPLACEMENTS: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "1e-308",
    "0.5",
    "1e999",
    "0s",
    "-5min",
    "1e-9s",
    "1e300d",
    "0B",
    "-1GB",
    "0/h",
    "1e9/s",
    "0%",
    "150%",
    "[]",
    "[0]",
    "\"\"",
    "\"x\"",
    "{",
    "}",
    "(",
    ")",
    "=",
    ",",
    "=>",
    "_",
    "true",
    "false",
    "if",
    "match",
    "after",
    "when",
    "on",
    "units",
    "sweep",
    "row",
    "model",
    "gpu",
    "cpu",
    "storage",
    "1Gbps",
    "0Gbps",
    "exponential()",
    "normal(mean = 0s, sd = 0s)",
    "choice { a: 0 }",
    "empirical(\"missing.csv\")",
];

#[test]
fn one_word_mistakes_in_the_shipped_scenarios_are_diagnosed_or_run() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(from_env("PIPESIM_MUTATION_SEED", SEED));
    let mutants = from_env("PIPESIM_MUTANTS", MUTANTS as u64);
    let mut files: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "pipesim"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    let (mut diagnosed, mut ran) = (0, 0);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let words: Vec<&str> = text.split_inclusive([' ', '\n']).collect();
        for mutant in 0..mutants {
            let at = rng.random_range(0..words.len());
            let mut mutated = words.clone();
            let replacement;
            match rng.random_range(0..3) {
                0 => {
                    mutated.remove(at);
                }
                1 => {
                    replacement =
                        format!("{} ", REPLACEMENTS[rng.random_range(0..REPLACEMENTS.len())]);
                    mutated[at] = &replacement;
                }
                _ => mutated[at] = words[rng.random_range(0..words.len())],
            }
            let text = mutated.concat();
            let what = format!("{} mutant {mutant}, word {at}:\n{text}", file.display());
            if check_and_run(file, &text, &what) {
                ran += 1;
            } else {
                diagnosed += 1;
            }
        }
    }
    // Both paths were taken often: the mutants are neither all broken nor all harmless.
    assert!(
        diagnosed > 100 && ran > 100,
        "{diagnosed} diagnosed, {ran} ran"
    );
}

/// Checks `text` as the file at `path`, renders its diagnostics, and runs it when it checks;
/// whether it ran. Panics, naming `what`, if any of that panics or a run does not end.
fn check_and_run(path: &Path, text: &str, what: &str) -> bool {
    let checked = catch_unwind(AssertUnwindSafe(|| {
        let checked = frontend::check_text(path, text.to_string(), &[]);
        let diagnostics = &checked.diagnostics().0;
        diagnostic::render(&checked.sources, diagnostics, Style::Colourless, 100);
        checked
    }))
    .unwrap_or_else(|_| panic!("check panicked on {what}"));
    if checked.has_errors() {
        return false;
    }
    let planned = catch_unwind(AssertUnwindSafe(|| {
        match experiment::plan(&checked, &[], None) {
            Ok(plan) => {
                for point in &plan.points {
                    load::offered_load(&point.scenario);
                }
                plan.points.into_iter().next().map(|point| point.scenario)
            }
            Err(PlanError::Diagnostics(sources, diagnostics)) => {
                diagnostic::render(&sources, &diagnostics.0, Style::Colourless, 100);
                None
            }
            Err(PlanError::Message(_)) => None,
        }
    }))
    .unwrap_or_else(|_| panic!("planning the sweep or the load analysis panicked on {what}"));
    let Some(mut scenario) = planned else {
        return false;
    };
    scenario.horizon = scenario.horizon.min(86_400.0);
    scenario.warmup = scenario.warmup.min(scenario.horizon);
    let stop = Arc::new(AtomicBool::new(false));
    let (done, finished) = mpsc::channel();
    let runner = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let control = Control {
                stop: &stop,
                max_live: 1_000_000,
                progress: None,
            };
            let ended = run_replication_until(&scenario, 0, &mut NullSink, &control).is_ok();
            let _ = done.send(());
            ended
        })
    };
    if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(TIME_LIMIT) {
        stop.store(true, Ordering::Relaxed);
        panic!("a run did not end within {TIME_LIMIT:?}: {what}");
    }
    runner
        .join()
        .unwrap_or_else(|_| panic!("the run panicked on {what}"));
    true
}
