//! `pipesim check` as users meet it: the invalid corpus with its rendered reports, the valid
//! scenarios, every shipped file, and the real binary's exit codes and JSON.
//!
//! Corpus convention: `tests/fixtures/check/err/CODE_what.pipesim` holds one mistake, and
//! checking it gives exactly one diagnostic, with that code (files named `syntax_*` give one
//! syntax error, `E00xx`). Files under `err/support/` are what the corpus imports or reads.

use pipesim::analysis::codes::CODES;
use pipesim::diagnostic::{self, Style};
use pipesim::frontend;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const ERR_DIR: &str = "tests/fixtures/check/err";
const OK_DIR: &str = "tests/fixtures/check/ok";

/// A path relative to the crate root, so reports name files the same way on every machine.
fn relative(path: &Path) -> PathBuf {
    // From `tests/` on: robust to a crate root reached through a symlink.
    let text = path.to_string_lossy().replace('\\', "/");
    match text.find("tests/fixtures/") {
        Some(i) => PathBuf::from(&text[i..]),
        None => {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            path.strip_prefix(root).unwrap_or(path).to_path_buf()
        }
    }
}

fn pipesim_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .unwrap_or_else(|e| panic!("cannot list {dir}: {e}"))
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "pipesim"))
            .map(|p| relative(&p))
            .collect();
    files.sort();
    files
}

/// The code a corpus file's name promises.
fn expected_code(path: &Path) -> String {
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    stem.split('_').next().unwrap().to_string()
}

#[test]
fn invalid_scenarios_report_their_one_mistake() {
    insta::glob!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/check/err"),
        "*.pipesim",
        |absolute| {
            let path = relative(absolute);
            let checked = frontend::check_file(&path, &[]);
            let diagnostics = &checked.diagnostics().0;
            let report = diagnostic::render(&checked.sources, diagnostics, Style::Colourless, 80);
            let source = std::fs::read(&path).expect("fixture");
            let source = String::from_utf8_lossy(&source);
            insta::assert_snapshot!(format!(
                "{source}\n---\n{report}{}",
                diagnostic::summary_line(diagnostics)
            ));

            assert_eq!(
                diagnostics.len(),
                1,
                "{} should give exactly one diagnostic, got:\n{report}",
                path.display()
            );
            let code = expected_code(&path);
            if code == "syntax" {
                assert!(
                    diagnostics[0].code.starts_with("E00"),
                    "{}: {}",
                    path.display(),
                    diagnostics[0].code
                );
            } else {
                assert_eq!(diagnostics[0].code, code, "{}:\n{report}", path.display());
            }
            assert_eq!(
                diagnostics[0].is_error(),
                !code.starts_with('W'),
                "{}",
                path.display()
            );
            assert!(
                diagnostics[0].help.is_some(),
                "{}: every diagnostic says how to fix it",
                path.display()
            );
        }
    );
}

#[test]
fn the_invalid_corpus_covers_every_code() {
    let covered: BTreeSet<String> = pipesim_files(ERR_DIR)
        .iter()
        .map(|p| expected_code(p))
        .collect();
    let missing: Vec<&str> = CODES
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| !covered.contains(*code))
        .collect();
    assert!(
        missing.is_empty(),
        "codes without an invalid scenario in {ERR_DIR}: {missing:?}"
    );
    assert!(pipesim_files(ERR_DIR).len() >= 45);
    let known: BTreeSet<&str> = CODES.iter().map(|(c, _)| *c).collect();
    for code in &covered {
        assert!(
            code == "syntax" || known.contains(code.as_str()),
            "fixture for unlisted code {code}"
        );
    }
}

#[test]
fn codes_are_unique_and_described() {
    let mut seen = BTreeSet::new();
    for (code, description) in CODES {
        assert!(seen.insert(*code), "{code} listed twice");
        assert!(
            code.len() == 5 && (code.starts_with('E') || code.starts_with('W')),
            "{code}"
        );
        assert!(!code.starts_with("E00"), "{code}: E00xx are the parser's");
        assert!(
            !description.is_empty() && !description.ends_with('.'),
            "{code}: {description}"
        );
    }
}

fn assert_clean(path: &Path) {
    let checked = frontend::check_file(path, &[]);
    let diagnostics = &checked.diagnostics().0;
    let report = diagnostic::render(&checked.sources, diagnostics, Style::Colourless, 100);
    assert!(
        diagnostics.is_empty(),
        "{} should check clean:\n{report}",
        path.display()
    );
}

#[test]
fn valid_scenarios_check_without_any_diagnostic() {
    let files = pipesim_files(OK_DIR);
    assert!(files.len() >= 2);
    for file in files {
        assert_clean(&file);
    }
}

#[test]
fn the_language_example_is_kept_verbatim() {
    // The section 1 example of LANGUAGE.md (a contract): this fixture must be it, unchanged.
    let text = std::fs::read_to_string(Path::new(OK_DIR).join("language_example.pipesim")).unwrap();
    assert!(text.starts_with(
        "// One month of the platform under projected growth.\nimport \"std/aiops\" as aiops\n"
    ));
    assert!(text.contains("sweep gpu.capacity      = [4, 8, 16]"));
}

#[test]
fn every_shipped_scenario_and_library_module_checks_clean() {
    let mut files = Vec::new();
    for dir in ["scenarios", "stdlib"] {
        let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let Ok(entries) = std::fs::read_dir(&full) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.extension().is_some_and(|x| x == "pipesim") {
                files.push(relative(&path));
            }
        }
    }
    files.sort();
    assert!(
        files.iter().any(|f| f.starts_with("stdlib")),
        "stdlib/ holds modules"
    );
    for file in files {
        let checked = frontend::check_file(&file, &[]);
        let errors: Vec<_> = checked
            .diagnostics()
            .0
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect();
        let report = diagnostic::render(&checked.sources, &errors, Style::Colourless, 100);
        assert!(
            errors.is_empty(),
            "{} has errors:\n{report}",
            file.display()
        );
    }
}

#[test]
fn the_language_example_lowers_to_the_documented_ir() {
    let checked = frontend::check_file(&Path::new(OK_DIR).join("language_example.pipesim"), &[]);
    let scenario = checked
        .analysis
        .scenario
        .as_ref()
        .expect("lowered scenario");
    assert_eq!(scenario.name, "growth");
    assert_eq!(scenario.start_rfc3339, "2019-03-04T00:00:00Z");
    assert_eq!(scenario.start_unix, 1551657600);
    assert_eq!(scenario.horizon, 30.0 * 86400.0);
    assert_eq!(scenario.warmup, 2.0 * 86400.0);
    assert_eq!(scenario.seed, 7);
    assert!(!scenario.drain);
    // The entry's resources first, in order; the library's defaults are shadowed by them.
    let names: Vec<&str> = scenario.resources.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(&names[..3], ["cpu", "gpu", "storage"]);
    assert_eq!(
        names.len(),
        3,
        "std/aiops's cpu, gpu and storage bind to the scenario's: {names:?}"
    );
    match &scenario.resources[2].kind {
        pipesim::ir::ResourceKind::Link(link) => assert_eq!(link.bandwidth, 1.25e9),
        other => panic!("storage is a link: {other:?}"),
    }
    match &scenario.resources[1].kind {
        pipesim::ir::ResourceKind::Pool(pool) => {
            assert_eq!(pool.capacity, 8);
            assert_eq!(pool.policy, pipesim::ir::Policy::Sjf);
        }
        other => panic!("gpu is a pool: {other:?}"),
    }
    let classic = &scenario.pipelines[0];
    assert_eq!(classic.name, "classic");
    let vars: Vec<&str> = classic.vars.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        vars,
        [
            "asset.instances",
            "asset.dimensions",
            "asset.size",
            "framework",
            "priority"
        ]
    );
    assert_eq!(classic.priority_var, Some(4));
    let steps: Vec<(&str, Vec<u32>)> = classic
        .steps
        .iter()
        .map(|s| (s.name.as_str(), s.after.clone()))
        .collect();
    assert_eq!(
        steps,
        [
            ("preprocess", vec![]),
            ("train", vec![0]),
            ("validate", vec![1]),
            ("compress", vec![2])
        ]
    );
    assert!(classic.steps[3].when.is_some());
    assert!(scenario.pipelines.iter().any(|p| p.name == "aiops.edge"));
    assert_eq!(scenario.arrivals.len(), 1);
    let arrivals = &scenario.arrivals[0];
    assert_eq!(arrivals.growth, 1.0);
    assert!(arrivals.profile.is_some());
    let profile = &scenario.profiles[arrivals.profile.unwrap() as usize];
    assert_eq!(profile.name, "aiops.weekly");
    assert_eq!(profile.hourly.len(), 168);
    let mean = profile.hourly.iter().sum::<f64>() / 168.0;
    assert!(
        (mean - 1.0).abs() < 1e-12,
        "profiles are normalised to mean 1: {mean}"
    );
    assert_eq!(scenario.experiment.replications, 20);
    let sweeps: Vec<(&str, Vec<serde_json::Value>)> = checked
        .analysis
        .sweeps
        .iter()
        .map(|s| {
            (
                s.path.as_str(),
                s.values.iter().map(|v| v.1.clone()).collect(),
            )
        })
        .collect();
    assert_eq!(
        sweeps,
        [
            ("gpu.capacity", vec![4.into(), 8.into(), 16.into()]),
            ("triggers.growth", vec![1.into(), 1.5.into()]),
        ]
    );
}

#[test]
fn overrides_replace_written_values_and_defaults() {
    let path = Path::new(OK_DIR).join("language_example.pipesim");
    let sets = [
        "gpu.capacity=16",
        "gpu.policy=fifo",
        "scenario.horizon=7d",
        "classic.train.units=2",
    ]
    .map(String::from);
    let checked = frontend::check_file(&path, &sets);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics());
    let scenario = checked.analysis.scenario.as_ref().unwrap();
    assert_eq!(scenario.horizon, 7.0 * 86400.0);
    match &scenario.resources[1].kind {
        pipesim::ir::ResourceKind::Pool(pool) => {
            assert_eq!(pool.capacity, 16);
            assert_eq!(pool.policy, pipesim::ir::Policy::Fifo);
        }
        other => panic!("gpu is a pool: {other:?}"),
    }
    let units = &scenario.pipelines[0].steps[1].units;
    assert!(
        matches!(units, pipesim::ir::Expr::Const(pipesim::ir::Value::Num(v)) if *v == 2.0),
        "{units:?}"
    );
}

#[test]
fn overrides_are_checked_like_written_values() {
    let path = Path::new(OK_DIR).join("language_example.pipesim");
    let bad = |set: &str| {
        let checked = frontend::check_file(&path, &[set.to_string()]);
        let all = checked
            .diagnostics()
            .0
            .iter()
            .map(|d| (d.code, d.message.clone()))
            .collect::<Vec<_>>();
        assert_eq!(all.len(), 1, "one mistake, one diagnostic: {all:?}");
        all
    };
    assert_eq!(bad("gpu.capacity=2s")[0].0, "E0301");
    assert_eq!(bad("gpu.polcy=sjf")[0].0, "E0801");
    assert!(bad("gpu.polcy=sjf")[0].1.contains("no attribute `polcy`"));
    assert_eq!(bad("gpu.policy=lifo")[0].0, "E0311");
    assert_eq!(bad("classic.framework=sklearn")[0].0, "E0802");
}

fn pipesim(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run pipesim");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

#[test]
fn check_exits_0_for_a_clean_scenario() {
    let (code, stdout, stderr) =
        pipesim(&["check", "tests/fixtures/check/ok/language_example.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.is_empty(),
        "stdout carries only requested output: {stdout}"
    );
    assert!(stderr.contains("ok"), "{stderr}");
}

#[test]
fn check_exits_1_with_every_error_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.pipesim");
    std::fs::write(
        &file,
        "resource gpu { kind = pool  capacity = 0 }\nresource cpu { kind = pool  capacity = 4  polcy = sjf }\n",
    )
    .unwrap();
    let (code, stdout, stderr) = pipesim(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("E0309") && stderr.contains("E0206"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `policy`?"), "{stderr}");
    assert!(stderr.contains("2 errors, 0 warnings"), "{stderr}");
}

#[test]
fn check_exits_2_when_the_file_cannot_be_read() {
    let (code, stdout, stderr) = pipesim(&["check", "tests/fixtures/check/no_such_file.pipesim"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("no such file"), "{stderr}");
    let (code, _, stderr) = pipesim(&["check", "tests/fixtures/check"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("it is a directory"), "{stderr}");
}

#[test]
fn check_json_has_the_contract_fields() {
    let (code, stdout, stderr) = pipesim(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/check/err/E0301_duration_given_a_size.pipesim",
        "tests/fixtures/check/err/W0501_negative_samples.pipesim",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON array on stdout");
    let items = value.as_array().expect("an array");
    assert_eq!(items.len(), 2);
    let error = &items[0];
    assert_eq!(error["severity"], "error");
    assert_eq!(error["code"], "E0301");
    assert_eq!(error["message"], "expected a duration, found a size (B)");
    assert_eq!(
        error["file"],
        "tests/fixtures/check/err/E0301_duration_given_a_size.pipesim"
    );
    assert_eq!(error["line"], 5);
    assert_eq!(error["column"], 32);
    assert_eq!(error["end_line"], 5);
    assert_eq!(error["end_column"], 35);
    assert!(
        error["help"].as_str().is_some_and(|h| h.contains("30s")),
        "{error}"
    );
    assert_eq!(items[1]["severity"], "warning");
    assert_eq!(items[1]["code"], "W0501");
}

#[test]
fn graph_prints_the_step_dags_in_dot() {
    let (code, stdout, stderr) = pipesim(&[
        "graph",
        "tests/fixtures/check/ok/language_example.pipesim",
        "--pipeline",
        "classic",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("digraph pipesim {"), "{stdout}");
    assert!(
        stdout.contains("\"classic.train\" [label=\"train\\ntrain on gpu | cpu\"];"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"classic.preprocess\" -> \"classic.train\";"),
        "{stdout}"
    );
    assert!(
        stdout.contains("style=\"rounded,dashed\""),
        "compress has a `when`: {stdout}"
    );
    assert!(
        !stdout.contains("aiops.edge"),
        "only the chosen pipeline: {stdout}"
    );
    let (code, _, stderr) = pipesim(&[
        "graph",
        "tests/fixtures/check/ok/language_example.pipesim",
        "--pipeline",
        "clasic",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `classic`?"), "{stderr}");
    let (code, _, _) = pipesim(&["graph", "tests/fixtures/check/err/E0603_step_cycle.pipesim"]);
    assert_eq!(code, 1);
}
