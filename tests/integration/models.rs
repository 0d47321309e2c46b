//! Issue 6's acceptance: the shipped `model_quality` scenario shows, through `pipesim compare`,
//! that giving retraining runs priority on the GPU pool changes how long deployed models stay
//! stale, and by a significant margin; and the model metrics come per template too.

use std::path::Path;
use std::process::Command;

fn pipesim(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the pipesim binary runs")
}

#[test]
fn retraining_priority_reduces_staleness_significantly() {
    let dir = tempfile::tempdir().unwrap();
    // The shipped scenario sweeps the policy; compare works on two runs, so run the same file
    // without its sweep line once per policy. Same seed: common random numbers.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/model_quality.pipesim");
    let text = std::fs::read_to_string(&shipped).unwrap();
    assert!(
        text.contains("sweep gpu.policy"),
        "the scenario sweeps the GPU policy"
    );
    let without_sweep: String = text
        .lines()
        .filter(|line| !line.contains("sweep gpu.policy"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(dir.path().join("mq.pipesim"), without_sweep).unwrap();

    for policy in ["fifo", "priority"] {
        let set = format!("gpu.policy={policy}");
        let out = pipesim(
            dir.path(),
            &[
                "run",
                "mq.pipesim",
                "--set",
                &set,
                "--out",
                policy,
                "--trace",
                "none",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = pipesim(
        dir.path(),
        &["compare", "fifo", "priority", "--format", "json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stale = &report["points"][0]["metrics"]["model.stale.fraction"];
    let (fifo, priority) = (
        stale["a"]["mean"].as_f64().unwrap(),
        stale["b"]["mean"].as_f64().unwrap(),
    );
    let p = stale["p"].as_f64().unwrap();
    assert!(
        priority < fifo,
        "priority should leave models stale less often: fifo {fifo}, priority {priority}"
    );
    assert!(
        p < 0.05,
        "the difference should be significant at 95%: p = {p}"
    );
    assert_eq!(stale["verdict"], "b_better", "{stale}");

    // Per-template variants: only `production` declares a model, so its metrics are the
    // platform's, value for value.
    let metrics = &report["points"][0]["metrics"];
    for name in ["accuracy.mean", "stale.fraction", "retrains"] {
        let all = &metrics[format!("model.{name}")];
        let production = &metrics[format!("model.production.{name}")];
        assert!(
            production.is_object(),
            "`model.production.{name}` is reported"
        );
        assert_eq!(all["a"]["mean"], production["a"]["mean"], "{name}");
        assert_eq!(all["b"]["mean"], production["b"]["mean"], "{name}");
    }
    assert!(
        metrics.get("model.experiment_run.stale.fraction").is_none(),
        "a template without a `model` block has no model metrics"
    );
}
