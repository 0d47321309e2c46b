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

/// `--set` of a pipeline's attribute written as an expression is shown the way to vary it
/// that the language gives: a factor made an attribute of the pipeline, in the user's names.
#[test]
fn a_set_of_an_expression_shows_the_factor_to_set_instead() {
    let path = Path::new(ERR_DIR).join("E0802_sweep_of_a_step_distribution.pipesim");
    let checked = frontend::check_file(&path, &["nlp.train.duration=30min".to_string()]);
    let set = checked
        .diagnostics()
        .0
        .iter()
        .find(|d| d.message.contains("--set nlp.train.duration"))
        .expect("the `--set` is reported");
    assert_eq!(set.code, "E0802");
    let help = set.help.as_deref().unwrap();
    assert!(
        help.contains("`padding = 1` in the pipeline `nlp` and `duration = lognormal(...) * padding`, then `--set nlp.padding=1.2`"),
        "{help}"
    );
}

/// A pipeline metric of one template is not answered with the metric of all of them as if a
/// slip; `run --precision` and `compare --metric` say the same as `check`.
#[test]
fn a_pipeline_metric_of_one_template_names_its_steps_metrics() {
    let known: Vec<String> = [
        "pipeline.makespan.mean",
        "step.nlp.train.wait.mean",
        "step.nlp.validate.wait.mean",
        "step.ocr.train.wait.mean",
    ]
    .map(String::from)
    .to_vec();
    let Some(pipesim::analysis::paths::MetricHint::Help(help)) =
        pipesim::analysis::paths::metric_hint("pipeline.nlp.makespan.p95", &known, false)
    else {
        panic!("a help");
    };
    assert!(!help.starts_with("did you mean"), "{help}");
    assert!(
        help.contains("`pipeline.makespan.p95` is every pipeline's"),
        "{help}"
    );
    assert!(
        help.contains("`step.nlp.train.wait.p95`, `step.nlp.validate.wait.p95`"),
        "{help}"
    );
    assert!(!help.contains("ocr"), "{help}");
}

/// A slip from a template's own metric (`pipeline.nlp.rejectd`) is told the one meant by
/// `run --precision`, as `check` tells it; `compare` offers it only where its runs report it.
#[test]
fn a_slip_from_a_templates_own_metric_is_told_the_one_meant() {
    use pipesim::analysis::paths::{metric_hint, MetricHint};
    let mut known: Vec<String> = [
        "pipeline.completed",
        "step.nlp.train.count",
        "step.nlp.train.wait.mean",
        "step.aiops.edge.wait.count",
    ]
    .map(String::from)
    .to_vec();
    let help = |name: &str, known: &[String], present: bool| match metric_hint(name, known, present)
    {
        Some(MetricHint::Help(help)) => help,
        _ => panic!("a help for {name}"),
    };
    for (slip, meant) in [
        ("pipeline.nlp.rejectd", "pipeline.nlp.rejected"),
        ("pipeline.nlp.makespn.p95", "pipeline.nlp.makespan.p95"),
        // The template `aiops.edge`, whose step is named `wait`.
        ("pipeline.aiops.edge.arived", "pipeline.aiops.edge.arrived"),
    ] {
        let told = help(slip, &known, false);
        assert!(
            told.starts_with(&format!("did you mean `{meant}`? (a template's own")),
            "{told}"
        );
        // `compare`: only a name its runs report.
        assert!(
            !help(slip, &known, true).starts_with("did you mean"),
            "{slip}"
        );
    }
    // Any level is a percentile of the right shape, reported when asked for: no slip.
    assert!(!help("pipeline.nlp.makespan.p59", &known, false).starts_with("did you mean"));
    known.push("pipeline.nlp.rejected".into());
    assert!(help("pipeline.nlp.rejectd", &known, true)
        .starts_with("did you mean `pipeline.nlp.rejected`?"));
    // `late` only where some pipeline has a deadline.
    assert!(!help("pipeline.nlp.lat", &known, false).contains("`pipeline.nlp.late`?"));
    known.push("pipeline.late".into());
    assert!(
        help("pipeline.nlp.lat", &known, false).starts_with("did you mean `pipeline.nlp.late`?")
    );
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

/// `growth = 30%` is 0.3 times the rate: a percentage below 100% is warned of as the cut it
/// is; the same cut written as a number, and a growth above 100%, are taken as meant.
#[test]
fn a_growth_percentage_below_one_hundred_is_warned_of_as_a_cut() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.pipesim");
    let codes = |growth: &str| {
        std::fs::write(
            &file,
            format!(
                "scenario s {{ horizon = 1d }}\n\
                 resource cpu {{ kind = pool  capacity = 4 }}\n\
                 pipeline p {{ task {{ on = cpu  duration = 10min }} }}\n\
                 arrivals a {{ rate = 1/h  pipeline = p  growth = {growth} }}\n"
            ),
        )
        .unwrap();
        let (_, stdout, stderr) = pipesim(&["check", file.to_str().unwrap(), "--format", "json"]);
        let diagnostics: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
        diagnostics
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(codes("30%"), ["W0704"]);
    assert_eq!(codes("99.5%"), ["W0704"]);
    assert!(codes("0.3").is_empty());
    assert!(codes("130%").is_empty());
    assert!(codes("100%").is_empty());
}

/// A pool the scenario forgot to declare is its own to size: `check` names the standard
/// module's `gpu` in the help, but offers no fix that would bring in the library's pool.
#[test]
fn an_undeclared_pool_is_not_fixed_by_importing_the_librarys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.pipesim");
    std::fs::write(
        &file,
        "scenario s { horizon = 1d }\n\
         pipeline p { train { on = gpu  duration = 1h } }\n\
         arrivals a { rate = 1/h  pipeline = p }\n",
    )
    .unwrap();
    let (code, stdout, stderr) = pipesim(&["check", file.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 1, "{stderr}");
    let diagnostics: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let unknown = diagnostics
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().unwrap_or("").contains("`gpu`"))
        .unwrap_or_else(|| panic!("{stdout}"));
    let help = unknown["help"].as_str().unwrap_or("");
    assert!(
        help.contains("declare it (`resource gpu { kind = pool  capacity = N }`)")
            && help.contains("std/aiops"),
        "{help}"
    );
    assert!(
        unknown
            .get("fixes")
            .is_none_or(|fixes| !fixes.to_string().contains("aiops")),
        "{unknown}"
    );
}

/// A declaration with a syntax error is left out of analysis, so its other mistakes (the
/// `5m` here) are found only once it parses: `check` says so, rather than let "1 error" read
/// as all there is; and the mistake then shows.
#[test]
fn a_declaration_that_does_not_parse_is_named_as_not_checked_yet() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.pipesim");
    let text = "scenario s { horizon = 7d }\n\
                resource cpu { kind = pool  capacity = 4 }\n\
                pipeline p {\n\
                  a { on = cpu  duration = 5m }\n\
                  b { on = cpu, duration = 2min }\n\
                }\n\
                arrivals x { rate = 1/h  pipeline = p }\n";
    std::fs::write(&file, text).unwrap();
    let (code, _, stderr) = pipesim(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E0001"), "{stderr}");
    assert!(
        stderr.contains("note: `p` did not parse, so the rest of it is not checked yet"),
        "{stderr}"
    );
    std::fs::write(&file, text.replace("cpu, duration", "cpu  duration")).unwrap();
    let (code, _, stderr) = pipesim(&["check", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`5m`") || stderr.contains("5m"), "{stderr}");
    assert!(!stderr.contains("did not parse"), "{stderr}");
}

/// A mistake in a module is reported once per command, however many of its files import it
/// or name it: a CI step over a folder (`check scenarios/ --format github`) posted one
/// annotation per importer. A file whose mistakes were all reported says so instead of `ok`.
#[test]
fn a_modules_mistake_is_reported_once_by_a_command_over_its_importers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    std::fs::write(
        dir.path().join("lib/platform.pipesim"),
        "resource cpu { kind = pool  capacity = 4 }
pipeline p { task { on = cpuu  duration = 1h } }
",
    )
    .unwrap();
    for name in ["a", "b"] {
        std::fs::write(
            dir.path().join(format!("{name}.pipesim")),
            "import \"lib/platform.pipesim\" as platform
scenario s { horizon = 7d }
arrivals a { rate = 1/h  pipeline = platform.p }
",
        )
        .unwrap();
    }
    let folder = dir.path().to_str().unwrap();
    let (code, stdout, _) = pipesim(&["check", "--format", "json", folder]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let reports: Vec<(&str, &str)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["file"].as_str().unwrap(), d["code"].as_str().unwrap()))
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].0.ends_with("platform.pipesim") && reports[0].1 == "E0202");

    let (_, stdout, _) = pipesim(&["check", "--format", "github", folder]);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");

    let (code, _, stderr) = pipesim(&["check", folder]);
    assert_eq!(code, 1);
    assert_eq!(stderr.matches("unknown name `cpuu`").count(), 1, "{stderr}");
    assert_eq!(
        stderr
            .matches("1 error, 0 warnings, reported above")
            .count(),
        2,
        "{stderr}"
    );
}

/// `check --format github`: one workflow command per diagnostic, at the place and with the
/// code, message and help that `--format json` gives, escaped as GitHub reads them.
#[test]
fn github_annotations_carry_what_json_says() {
    let files = [
        "tests/fixtures/check/err/E0304_minutes_written_m.pipesim",
        "tests/fixtures/check/err/W0601_units_over_pool.pipesim",
    ];
    for file in files {
        let (code, json, _) = pipesim(&["check", file, "--format", "json"]);
        let (github_code, github, stderr) = pipesim(&["check", file, "--format", "github"]);
        assert_eq!(code, github_code, "{stderr}");
        let json: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
        let lines: Vec<&str> = github.lines().collect();
        assert_eq!(lines.len(), json.len(), "{github}");
        for (line, d) in lines.iter().zip(&json) {
            let command = format!("::{} ", d["severity"].as_str().unwrap());
            let rest = line
                .strip_prefix(&command)
                .unwrap_or_else(|| panic!("{line}"));
            let (properties, message) = rest.split_once("::").unwrap();
            let expected_properties = format!(
                "file={},line={},col={},endLine={},endColumn={},title={}",
                file,
                d["line"],
                d["column"],
                d["end_line"],
                d["end_column"],
                d["code"].as_str().unwrap()
            );
            assert_eq!(properties, expected_properties);
            let help = d["help"]
                .as_str()
                .map_or(String::new(), |h| format!("%0Ahelp: {h}"));
            let expected = format!("{}{help}", d["message"].as_str().unwrap());
            assert_eq!(
                message,
                expected.replace('%', "%25").replace("%250Ahelp", "%0Ahelp")
            );
            assert!(!message.contains('\n'));
        }
    }
    let (_, github, _) = pipesim(&["check", files[0], "--format", "github"]);
    assert!(github.starts_with("::error file="), "{github}");
    let (_, github, _) = pipesim(&["check", files[1], "--format", "github"]);
    assert!(github.starts_with("::warning file="), "{github}");
}

/// `check --set` checks what `run --set` would run: overrides and command-line sweeps, with
/// their mistakes blamed on the command line.
#[test]
fn check_applies_set_like_run() {
    let file = "tests/fixtures/check/ok/language_example.pipesim";
    let (code, _, stderr) = pipesim(&["check", file, "--set", "gpu.capacity=[4, 8]"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = pipesim(&["check", file, "--set", "gpu.capacity=[4, 0]"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("must be a whole number of at least 1"),
        "{stderr}"
    );
    assert!(stderr.contains("--set gpu.capacity=[4, 0]"), "{stderr}");
    // Annotations name no file for a mistake in a `--set` value.
    let (code, github, _) = pipesim(&[
        "check",
        file,
        "--set",
        "gpu.capacity=2s",
        "--format",
        "github",
    ]);
    assert_eq!(code, 1);
    assert!(github.starts_with("::error title=E0301::"), "{github}");
}

/// `pipesim explain CODE`: the description, an example scenario and what check says of it;
/// `check` points there.
#[test]
fn explain_shows_a_code_with_an_example() {
    let (code, stdout, stderr) = pipesim(&["explain", "w0601"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    // An example that needs a file beside it shows the file, and paths relative to it.
    let (code, stdout, stderr) = pipesim(&["explain", "E0104"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("with `support/cycle_back.pipesim` beside it"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[support/cycle_back.pipesim:2:8]"),
        "{stdout}"
    );
    let temp = std::env::temp_dir().display().to_string();
    assert!(!stdout.contains(&temp), "{stdout}");
    let (code, list, _) = pipesim(&["explain"]);
    assert_eq!(code, 0);
    assert!(list.lines().any(|l| l.starts_with("E0304  ")), "{list}");
    assert!(list.lines().any(|l| l.starts_with("cautions  ")), "{list}");
    assert!(list.lines().any(|l| l.starts_with("metrics  ")), "{list}");
    // A topic that run's notes point to.
    let (code, text, _) = pipesim(&["explain", "Cautions"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("MSER") && text.contains("drain = true"),
        "{text}"
    );
    let (code, _, stderr) = pipesim(&["explain", "E0999"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`E0999` is not a pipesim diagnostic code"),
        "{stderr}"
    );
    let (_, _, stderr) = pipesim(&[
        "check",
        "tests/fixtures/check/err/E0304_minutes_written_m.pipesim",
    ]);
    assert!(stderr.contains("try `pipesim explain E0304`"), "{stderr}");
}

/// `pipesim explain 0603`: a number without its letter is two codes, E0603 (a step cycle)
/// and W0603 (an overloaded pool); both are shown, each named, with how to ask for one.
#[test]
fn explain_a_number_shows_every_code_of_that_number() {
    let (code, stdout, stderr) = pipesim(&["explain", "0603"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("0603 is the number of 2 codes: E0603 (error) and W0603 (warning)."),
        "{stdout}"
    );
    let error = stdout.find("\nE0603 (error): ").expect("E0603 shown");
    let warning = stdout.find("\nW0603 (warning): ").expect("W0603 shown");
    assert!(error < warning);
    insta::assert_snapshot!(stdout);
    // Leading zeros may be left out; a number of one code is that code.
    let (code, short, _) = pipesim(&["explain", "603"]);
    assert_eq!(code, 0);
    assert_eq!(short, stdout);
    let (code, long, _) = pipesim(&["explain", "00603"]);
    assert_eq!(code, 0);
    assert_eq!(long, stdout);
    let (code, one, _) = pipesim(&["explain", "0304"]);
    assert_eq!(code, 0);
    assert!(one.starts_with("E0304 (error): "), "{one}");
    let (code, _, stderr) = pipesim(&["explain", "0999"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`0999` is not a pipesim diagnostic code"),
        "{stderr}"
    );
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
    // Warnings alone do not fail a check.
    let (code, _, stderr) = pipesim(&[
        "check",
        "tests/fixtures/check/err/W0501_negative_samples.pipesim",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("0 errors, 1 warning"), "{stderr}");
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
    assert_eq!(error["message"], "expected a duration, found a size (GB)");
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
    // Without a fix, no `fixes` key: the contract's fields only.
    assert!(error.get("fixes").is_none(), "{error}");
}

#[test]
fn check_json_gives_the_fixes_an_editor_would_offer() {
    let (code, stdout, stderr) = pipesim(&[
        "check",
        "--format",
        "json",
        "tests/fixtures/check/err/W0202_resource_never_used.pipesim",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let value: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON array");
    let fixes = &value[0]["fixes"];
    assert_eq!(fixes[0]["title"], "Change `gpus` to `gpu`");
    let file = "tests/fixtures/check/err/W0202_resource_never_used.pipesim";
    assert_eq!(
        fixes[0]["edits"],
        serde_json::json!([
            {"file": file, "line": 7, "column": 10, "end_line": 7, "end_column": 14, "replacement": "gpu"},
            {"file": file, "line": 12, "column": 9, "end_line": 12, "end_column": 13, "replacement": "gpu"},
        ])
    );
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
        stdout.contains("\"classic.train\" [label=\"train on gpu | cpu\"];"),
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
    // A module without a scenario can be drawn too.
    let (code, stdout, stderr) = pipesim(&["graph", "stdlib/aiops.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("\"ensemble.preprocess\" -> \"ensemble.network\";"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"ensemble.forest\" -> \"ensemble.validate\";"),
        "{stdout}"
    );
}

/// Graphviz itself reads what `graph` prints for every shipped scenario and standard module,
/// without a warning, and draws one node per step and one edge per `after`; a conditional
/// step shows its condition.
#[test]
fn graphviz_draws_every_shipped_graph() {
    use std::io::Write;
    let dot = Path::new("/usr/bin/dot");
    assert!(
        dot.exists(),
        "`/usr/bin/dot` (Graphviz) is missing: run `scripts/install-test-deps.sh`"
    );
    let mut files = pipesim_files("scenarios");
    files.extend(pipesim_files("stdlib"));
    assert!(files.len() >= 10, "{files:?}");
    let mut conditions = Vec::new();
    for file in &files {
        let (code, graph, stderr) = pipesim(&["graph", file.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {stderr}", file.display());
        let mut child = Command::new(dot)
            .arg("-Tjson")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run dot");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(graph.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let warnings = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && warnings.is_empty(),
            "{}: dot says {warnings}\n{graph}",
            file.display()
        );
        let drawn: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        // A module without pipelines (`std/profiles`) is an empty graph, without objects.
        let nodes: Vec<&serde_json::Value> = drawn["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| !o["name"].as_str().unwrap().starts_with("cluster_"))
            .collect();
        let node_lines = graph.lines().filter(|l| l.contains("[label=")).count();
        let edge_lines = graph.lines().filter(|l| l.contains(" -> ")).count();
        assert_eq!(nodes.len(), node_lines, "{}", file.display());
        let edges = drawn["edges"].as_array().map_or(0, Vec::len);
        assert_eq!(edges, edge_lines, "{}", file.display());
        for node in nodes {
            let label = node["label"].as_str().unwrap();
            if let Some((_, condition)) = label.split_once("\\nwhen ") {
                assert_eq!(node["style"], "rounded,dashed", "{label}");
                conditions.push(condition.to_string());
            }
        }
    }
    assert!(
        conditions.contains(&"framework == tensorflow".to_string()),
        "{conditions:?}"
    );
}

/// Every prefix of every corpus file (cut at every few bytes, so most cuts land mid-token)
/// checks without a panic: truncated and broken text is the most common bad input.
#[test]
fn truncated_scenarios_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = pipesim_files(OK_DIR);
    files.extend(pipesim_files(ERR_DIR).into_iter().step_by(4));
    let mut checked_count = 0;
    for file in files {
        let text = std::fs::read(&file).unwrap();
        let path = dir.path().join("cut.pipesim");
        for end in (0..text.len()).step_by(23) {
            std::fs::write(&path, &text[..end]).unwrap();
            let checked = frontend::check_file(&path, &[]);
            // Rendering must not panic either.
            let _ = diagnostic::render(
                &checked.sources,
                &checked.diagnostics().0,
                Style::Colourless,
                80,
            );
            checked_count += 1;
        }
    }
    assert!(checked_count > 250);
}

#[test]
fn an_override_that_changes_nothing_is_reported() {
    let path = Path::new(OK_DIR).join("language_example.pipesim");
    // std/aiops's own `gpu` is replaced by the scenario's, so setting it would do nothing.
    let checked = frontend::check_file(&path, &["aiops.gpu.capacity=2".to_string()]);
    let diagnostics = &checked.diagnostics().0;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].code, "E0801");
    assert!(
        diagnostics[0].message.contains("changes nothing"),
        "{}",
        diagnostics[0].message
    );
}

/// A diagnostic whose labels are in two files (the `--set` text and the scenario) draws the
/// second as advice pointing there, not as a second error.
#[test]
fn labels_in_another_file_are_drawn_as_a_pointer_there() {
    let path = Path::new(OK_DIR).join("language_example.pipesim");
    let set = "triggers.interarrival=exponential(mean = 1min)".to_string();
    let checked = frontend::check_file(&path, &[set]);
    let diagnostics = &checked.diagnostics().0;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let report = diagnostic::render(&checked.sources, diagnostics, Style::Colourless, 100);
    assert!(!report.contains("Error:"), "{report}");
    insta::assert_snapshot!(report);
}

/// A `--set` without `=`, without a path or without a value says which part is missing.
#[test]
fn a_malformed_override_says_what_it_lacks() {
    let path = Path::new(OK_DIR).join("language_example.pipesim");
    let mut reports = String::new();
    for set in ["gpu.capacity", "=16", " =16", "gpu.capacity="] {
        let checked = frontend::check_file(&path, &[set.to_string()]);
        let diagnostics = &checked.diagnostics().0;
        assert_eq!(diagnostics.len(), 1, "{set}: {diagnostics:?}");
        assert_eq!(diagnostics[0].code, "E0010", "{set}");
        reports += &diagnostic::render(&checked.sources, diagnostics, Style::Colourless, 100);
    }
    insta::assert_snapshot!(reports);
}

/// A sweep from the command line written as in other tools (`4,8`, `(4, 8)`, `4..16`) says
/// that its values are a list in brackets, and how to quote it for the shell.
#[test]
fn an_override_sweep_without_brackets_is_shown_the_list() {
    let path = Path::new(OK_DIR).join("language_example.pipesim");
    let mut reports = String::new();
    for set in [
        "gpu.capacity=4,8",
        "gpu.capacity=(4, 8)",
        "gpu.capacity=4..16",
    ] {
        let checked = frontend::check_file(&path, &[set.to_string()]);
        let diagnostics = &checked.diagnostics().0;
        assert_eq!(diagnostics.len(), 1, "{set}: {diagnostics:?}");
        assert_eq!(diagnostics[0].code, "E0803", "{set}");
        reports += &diagnostic::render(&checked.sources, diagnostics, Style::Colourless, 100);
    }
    // What does parse is left to the parser and analysis.
    let checked = frontend::check_file(&path, &["gpu.capacity=[4, 8]".to_string()]);
    assert!(
        checked.diagnostics().is_empty(),
        "{:?}",
        checked.diagnostics()
    );
    insta::assert_snapshot!(reports);
}

#[test]
fn the_last_override_of_a_path_wins() {
    // A sweep point's overrides follow the command line's, and must win.
    let path = Path::new(OK_DIR).join("language_example.pipesim");
    let sets = ["gpu.capacity=4", "gpu.capacity=16"].map(String::from);
    let checked = frontend::check_file(&path, &sets);
    assert!(
        checked.diagnostics().is_empty(),
        "{:?}",
        checked.diagnostics()
    );
    match &checked.analysis.scenario.as_ref().unwrap().resources[1].kind {
        pipesim::ir::ResourceKind::Pool(pool) => assert_eq!(pool.capacity, 16),
        other => panic!("gpu is a pool: {other:?}"),
    }
}

#[test]
fn every_construct_lowers_with_base_units_and_defaults() {
    use pipesim::ir::{ArrivalProcess, Distribution, Drift, Expr, ResourceKind, Value};
    let checked = frontend::check_file(&Path::new(OK_DIR).join("every_construct.pipesim"), &[]);
    let s = checked.analysis.scenario.as_ref().expect("lowered");
    assert_eq!(
        (s.horizon, s.warmup, s.seed, s.drain),
        (1209600.0, 43200.0, 42, true)
    );
    let resource = |name: &str| {
        s.resources
            .iter()
            .position(|r| r.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    match &s.resources[resource("cpu")].kind {
        ResourceKind::Pool(pool) => {
            assert_eq!(pool.policy, pipesim::ir::Policy::FairShare);
            assert_eq!(pool.cost_per_slot_hour, 0.2);
            let a = pool.autoscale.as_ref().expect("autoscale");
            assert_eq!((a.min, a.max, a.step), (8, 64, 4));
            assert_eq!(
                (a.when_queue_above, a.sustain, a.idle_release, a.provision),
                (10.0, 300.0, 1800.0, 90.0)
            );
        }
        other => panic!("{other:?}"),
    }
    match &s.resources[resource("network")].kind {
        ResourceKind::Link(link) => assert_eq!(link.bandwidth, 1e8, "800Mbps is 100 MB/s"),
        other => panic!("{other:?}"),
    }
    // The library's `gpu` binds to the scenario's; its `scratch` link is its own.
    assert!(s.resources.iter().all(|r| r.name != "templates.gpu"));
    let scratch = resource("templates.scratch");
    let finetune = s
        .pipelines
        .iter()
        .find(|p| p.name == "templates.finetune")
        .expect("finetune");
    assert!(
        finetune.steps[0].on.is_none(),
        "a pure transfer has no pool"
    );
    assert_eq!(
        finetune.steps[0].reads.as_ref().map(|t| t.link),
        Some(scratch as u32)
    );
    assert!(
        matches!(finetune.steps[1].on, Some(Expr::Const(Value::Resource(id))) if id as usize == resource("gpu"))
    );

    let vision = s.pipelines.iter().find(|p| p.name == "vision").unwrap();
    assert!(vision.deadline_var.is_some());
    match vision.model.as_ref().map(|m| &m.drift) {
        Some(Drift::Linear { per_second }) => assert!((per_second - 0.004 / 86400.0).abs() < 1e-18),
        other => panic!("{other:?}"),
    }
    let validate = vision
        .steps
        .iter()
        .find(|st| st.name == "validate")
        .unwrap();
    assert_eq!(validate.after, [2, 3], "fan-in after train and shadow");
    let nightly = s.pipelines.iter().find(|p| p.name == "nightly").unwrap();
    assert!(
        matches!(nightly.model.as_ref().map(|m| &m.drift), Some(Drift::Sudden { drop, .. }) if *drop == 0.1)
    );

    let arrivals = |name: &str| s.arrivals.iter().find(|a| a.name == name).unwrap();
    let users = arrivals("users");
    assert_eq!(
        (users.growth, users.start, users.stop),
        (1.2, 86400.0, Some(13.0 * 86400.0))
    );
    match &arrivals("cron").process {
        ArrivalProcess::Interarrival(Expr::Dist(d)) => {
            assert!(
                matches!(**d, Distribution::Exponential { mean: Expr::Const(Value::Num(m)) } if m == 86400.0)
            )
        }
        other => panic!("`rate = 1/d` is an exponential interarrival: {other:?}"),
    }
    match &arrivals("replay").process {
        // Seconds stay seconds; date-times (with or without a zone) are placed from the start.
        ArrivalProcess::Replay { times } => {
            assert_eq!(times, &[3600.0, 32400.0, 34200.0, 126000.0])
        }
        other => panic!("{other:?}"),
    }
    let handmade = s.profiles.iter().find(|p| p.name == "handmade").unwrap();
    // Weekdays 1, weekends 0.5: the mean is 6/7, so weekdays become 7/6.
    assert!((handmade.hourly[0] - 7.0 / 6.0).abs() < 1e-12);
    assert!((handmade.hourly[167] - 7.0 / 12.0).abs() < 1e-12);

    let stale = s.monitors.iter().find(|m| m.name == "stale").unwrap();
    assert_eq!(
        (stale.every, stale.retrain, stale.pipelines.len()),
        (3600.0, true, 2)
    );
    let watch = s.monitors.iter().find(|m| m.name == "watch_all").unwrap();
    assert!(!watch.retrain && watch.pipelines.is_empty());
    assert_eq!(
        (s.experiment.replications, s.experiment.confidence),
        (5, 0.9)
    );
    assert_eq!(s.experiment.metrics.len(), 7);
    let axis = |path: &str| {
        checked
            .analysis
            .sweeps
            .iter()
            .find(|a| a.path == path)
            .unwrap()
    };
    let json = |path: &str| {
        axis(path)
            .values
            .iter()
            .map(|v| v.1.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(json("gpu.policy"), ["fifo", "sjf", "priority"]);
    assert_eq!(json("scenario.horizon"), [604800, 1209600]);
    assert_eq!(json("vision.deadline"), [14400, 28800]);
}

#[test]
fn independent_mistakes_are_all_reported_once_without_cascades() {
    let checked = frontend::check_file(
        Path::new("tests/fixtures/check/multi/eight_mistakes.pipesim"),
        &[],
    );
    let found: Vec<(&str, usize)> = checked
        .diagnostics()
        .0
        .iter()
        .map(|d| {
            let span = d.primary_span().expect("a span");
            (
                d.code,
                checked
                    .sources
                    .get(span.file)
                    .line_column(span.start as usize)
                    .0,
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("E0310", 3),
            ("E0311", 7),
            ("E0208", 8),
            ("E0501", 11),
            ("E0202", 19),
            ("E0602", 23),
            ("E0210", 30),
            ("E0202", 36),
        ]
    );
}

#[test]
fn experiment_metric_names_are_exactly_the_ones_a_run_produces() {
    // `metrics = [...]` is validated against names analysis derives from the scenario; they
    // must be the engine's, or a valid name would be rejected (or a typo accepted).
    let checked = frontend::check_file(
        &Path::new(OK_DIR).join("every_construct.pipesim"),
        &["scenario.horizon=1d".to_string()],
    );
    let scenario = checked.analysis.scenario.as_ref().expect("lowered");
    let result = pipesim::sim::run_replication(scenario, 0, &mut pipesim::sim::trace::NullSink);
    let produced: BTreeSet<String> = result
        .metrics
        .iter()
        .map(|(name, _)| name.clone())
        .collect();
    let accepted: BTreeSet<String> =
        pipesim::analysis::paths::metric_names(&scenario.resources, &scenario.pipelines)
            .into_iter()
            .collect();
    assert_eq!(produced, accepted);
}

#[test]
fn documentation_scenarios_check_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let blocks = super::syntax::documentation_blocks();
    assert!(!blocks.is_empty());
    for (index, (name, text)) in blocks.iter().enumerate() {
        let path = dir.path().join(format!("block{index}.pipesim"));
        std::fs::write(&path, text).unwrap();
        let checked = frontend::check_file(&path, &[]);
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
            "the block at {name} has errors:\n{report}"
        );
    }
}

/// The codes and messages `check` gives for `text` with `sets` applied.
fn warnings_of(text: &str, sets: &[&str]) -> Vec<(&'static str, String)> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let checked = frontend::check_text(Path::new("units.pipesim"), text.to_string(), &sets);
    checked
        .diagnostics()
        .0
        .iter()
        .map(|d| (d.code, d.message.clone()))
        .collect()
}

#[test]
fn a_step_asking_for_more_units_than_its_pool_ever_has_is_flagged() {
    // The engine gives such a step the whole pool (docs/LANGUAGE.md section 8); a capacity
    // study must hear of it. Autoscale counts up to `max`, a `match` checks every pool it
    // can name. A written `units` is a whole number of slots (2.4 once passed, rounded).
    let scenario = |gpu: &str, units: &str| {
        format!(
            "resource cpu {{ kind = pool  capacity = 2 }}
resource gpu {{ {gpu} }}
pipeline classic {{
  framework = choice {{ tensorflow: 0.5, sklearn: 0.5 }}
  train {{
    on       = match framework {{ tensorflow => gpu, _ => cpu }}
    units    = {units}
    duration = 10min
  }}
}}
arrivals a {{ interarrival = exponential(mean = 1h)  pipeline = classic }}
"
        )
    };
    let fixed = "kind = pool  capacity = 4";
    let scaled = "kind = pool  capacity = 1  autoscale { min = 1  max = 8 }";
    assert_eq!(warnings_of(&scenario(fixed, "2"), &[]), vec![]);
    assert_eq!(
        warnings_of(&scenario(fixed, "2.4"), &[]),
        vec![(
            "E0309",
            "`units` must be a whole number of slots, found 2.4".into()
        )]
    );
    assert_eq!(
        warnings_of(&scenario(fixed, "3"), &[]),
        vec![(
            "W0601",
            "the step asks for 3 units of `cpu`, which never has more than 2 slots".into()
        )]
    );
    let over_both = warnings_of(&scenario(fixed, "6"), &[]);
    assert_eq!(over_both.len(), 2, "{over_both:?}");
    assert!(over_both[1]
        .1
        .contains("`gpu`, which never has more than 4 slots"));
    // Autoscale: the pool can grow to 8.
    let scaled_six = warnings_of(&scenario(scaled, "6"), &[]);
    assert_eq!(scaled_six.len(), 1, "only cpu is too small: {scaled_six:?}");
    assert!(scaled_six[0].1.contains("`cpu`"));
    assert!(warnings_of(&scenario(scaled, "9"), &[])
        .iter()
        .any(|(_, m)| m.contains("`gpu`, which never has more than 8 slots")));
    // `--set` is applied first, like every other check.
    assert_eq!(
        warnings_of(&scenario(fixed, "3"), &["cpu.capacity=3"]),
        vec![]
    );
}

#[test]
fn an_estimate_no_pool_plans_with_is_flagged() {
    // Only backfilling and `sjf` read a step's `estimate`: on any other pool it is a no-op
    // the user should hear of, unless a sweep or `--set` makes the pool read it.
    let scenario = |pool: &str, experiment: &str| {
        format!(
            "resource gpu {{ kind = pool  capacity = 4  {pool} }}
pipeline classic {{ train {{ on = gpu  duration = 10min  estimate = 1h }} }}
arrivals a {{ interarrival = exponential(mean = 1h)  pipeline = classic }}
{experiment}
"
        )
    };
    let unused = vec![(
        "W0602",
        "this `estimate` changes nothing: `gpu` neither backfills nor uses `policy = sjf`".into(),
    )];
    assert_eq!(warnings_of(&scenario("", ""), &[]), unused);
    assert_eq!(warnings_of(&scenario("backfill = true", ""), &[]), vec![]);
    assert_eq!(warnings_of(&scenario("policy = sjf", ""), &[]), vec![]);
    assert_eq!(
        warnings_of(&scenario("", ""), &["gpu.backfill=true"]),
        vec![]
    );
    let sweep = |path: &str| format!("experiment {{ sweep {path} = [false, true] }}");
    assert_eq!(
        warnings_of(&scenario("", &sweep("gpu.backfill")), &[]),
        vec![]
    );
    let policies = "experiment { sweep gpu.policy = [fifo, sjf] }";
    assert_eq!(warnings_of(&scenario("", policies), &[]), vec![]);
    // A sweep of something else, or of values that do not read it, does not count.
    let sizes = "experiment { sweep gpu.capacity = [4, 8] }";
    assert_eq!(warnings_of(&scenario("", sizes), &[]), unused);
    let others = "experiment { sweep gpu.policy = [fifo, priority] }";
    assert_eq!(warnings_of(&scenario("", others), &[]), unused);
}

#[test]
fn an_imported_estimate_is_flagged_only_when_the_scenario_starts_its_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jobs.pipesim"),
        "resource gpu { kind = pool  capacity = 4  backfill = true }
pipeline padded { train { on = gpu  duration = 10min  estimate = 1h } }
",
    )
    .unwrap();
    let codes = |arrivals: &str| -> Vec<&'static str> {
        let path = dir.path().join("scenario.pipesim");
        std::fs::write(
            &path,
            format!(
                "import \"jobs.pipesim\" as jobs
resource gpu {{ kind = pool  capacity = 4 }}
{arrivals}
"
            ),
        )
        .unwrap();
        frontend::check_file(&path, &[])
            .diagnostics()
            .0
            .iter()
            .map(|d| d.code)
            .collect()
    };
    // The module's own pool backfills, but the scenario's `gpu` replaces it.
    assert_eq!(codes(""), Vec::<&str>::new());
    assert_eq!(
        codes("arrivals a { interarrival = exponential(mean = 1h)  pipeline = jobs.padded }"),
        vec!["W0602"]
    );
}

#[test]
fn an_imported_template_is_flagged_only_when_the_scenario_starts_it() {
    // std/aiops's ensemble trains on four CPU slots; this scenario's cpu has two.
    let scenario = |template: &str| {
        format!(
            "import \"std/aiops\" as aiops
resource cpu {{ kind = pool  capacity = 2 }}
resource gpu {{ kind = pool  capacity = 2 }}
arrivals a {{ interarrival = exponential(mean = 1h)  pipeline = aiops.{template} }}
"
        )
    };
    assert_eq!(warnings_of(&scenario("classic"), &[]), vec![]);
    let ensemble = warnings_of(&scenario("ensemble"), &[]);
    assert_eq!(
        ensemble,
        vec![
            (
                "W0601",
                "the step asks for 4 units of `cpu`, which never has more than 2 slots".into()
            );
            2
        ],
        "the two four-core candidates"
    );
}

#[test]
fn a_sweep_value_too_small_for_a_step_is_shown_at_the_value() {
    let path = Path::new("sweep.pipesim");
    let text = "resource gpu { kind = pool  capacity = 8 }
pipeline classic {
  train { on = gpu  units = 4  duration = 10min }
}
arrivals a { interarrival = exponential(mean = 1h)  pipeline = classic }
experiment e {
  sweep gpu.capacity = [2, 4, 8]
}
";
    let checked = frontend::check_text(path, text.to_string(), &[]);
    let report = diagnostic::render(
        &checked.sources,
        &checked.diagnostics().0,
        Style::Plain,
        100,
    );
    insta::assert_snapshot!(report);
}

#[test]
fn a_misspelt_metric_is_reported_beside_other_errors_but_not_for_a_broken_declaration() {
    // `gpu` has an error, so its metrics are not judged; `pipeline.wiat.mean` is wrong
    // whatever else is, and is reported with the other error.
    let text = r#"
resource gpu { kind = pool  capacity = 2s }
resource cpu { kind = pool  capacity = 2 }
pipeline classic {
  train { on = cpu  duration = 10min }
}
arrivals a { interarrival = exponential(mean = 1h)  pipeline = classic }
experiment {
  metrics = ["pipeline.wiat.mean", "resource.gpu.utilization", "resource.cpu.utilization"]
}
"#;
    let found = warnings_of(text, &[]);
    let codes: Vec<&str> = found.iter().map(|(code, _)| *code).collect();
    assert_eq!(codes, ["E0301", "E0804"], "{found:?}");
    assert!(found[1].1.contains("`pipeline.wiat.mean`"));
}

#[test]
fn a_distribution_shifted_by_a_constant_is_checked_for_negative_samples() {
    // `10s + normal(mean = 0s, sd = 5min)` is below zero about 48% of the time; shifted far
    // enough it is not; scaling by a positive constant changes nothing.
    let scenario = |duration: &str| {
        format!(
            "resource gpu {{ kind = pool  capacity = 4 }}
pipeline classic {{ train {{ on = gpu  duration = {duration} }} }}
"
        )
    };
    let shifted = warnings_of(&scenario("10s + normal(mean = 0s, sd = 5min)"), &[]);
    assert_eq!(shifted.len(), 1, "{shifted:?}");
    assert_eq!(shifted[0].0, "W0501");
    assert!(shifted[0].1.contains("about 49%"), "{shifted:?}");
    assert_eq!(
        warnings_of(&scenario("1h + normal(mean = 0s, sd = 5min)"), &[]),
        vec![]
    );
    assert_eq!(
        warnings_of(&scenario("normal(mean = 1h, sd = 5min) - 30min"), &[]),
        vec![]
    );
    let scaled = warnings_of(&scenario("2 * uniform(min = -1min, max = 3min)"), &[]);
    assert!(
        scaled.len() == 1 && scaled[0].1.contains("about 25%"),
        "{scaled:?}"
    );
}

#[test]
fn an_edited_data_file_is_read_again() {
    // Parsed tables are reused between analyses (sweep values, the language server's
    // edits) only while the file's bytes are the same.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("observed.csv");
    let path = dir.path().join("empirical.pipesim");
    std::fs::write(
        &path,
        r#"resource cpu { kind = pool  capacity = 2 }
pipeline job { task { on = cpu  duration = empirical("observed.csv", column = "seconds") * 1s } }
"#,
    )
    .unwrap();
    let codes = || -> Vec<&'static str> {
        frontend::check_file(&path, &[])
            .diagnostics()
            .0
            .iter()
            .map(|d| d.code)
            .collect()
    };
    std::fs::write(&data, "seconds\n10\n20\n").unwrap();
    assert_eq!(codes(), Vec::<&str>::new());
    std::fs::write(&data, "seconds\n10\nlate\n").unwrap();
    assert_eq!(codes(), vec!["E0508"]);
    std::fs::write(&data, "seconds\n10\n20\n").unwrap();
    assert_eq!(codes(), Vec::<&str>::new());
}

/// The code, message and help of every diagnostic of a scenario replaying `jobs` (the CSV
/// `jobs.csv` beside it) into a one-pool, one-step template whose `row { }` block is `row`.
fn replay_diagnostics(
    jobs: &str,
    attributes: &str,
    row: &str,
    capacity: u32,
) -> Vec<(&'static str, String, Option<String>)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("jobs.csv"), jobs).unwrap();
    let path = dir.path().join("replay.pipesim");
    std::fs::write(
        &path,
        format!(
            r#"resource gpu {{ kind = pool  capacity = {capacity} }}
pipeline job {{
  {attributes}
  task {{ on = gpu  units = gpus  duration = 1min }}
}}
arrivals recorded {{
  trace       = "jobs.csv"
  time_column = "t"
  pipeline    = job
  row {{ {row} }}
}}
"#
        ),
    )
    .unwrap();
    let checked = frontend::check_file(&path, &[]);
    checked
        .diagnostics()
        .0
        .iter()
        .map(|d| (d.code, d.message.clone(), d.help.clone()))
        .collect()
}

#[test]
fn a_boolean_attribute_set_from_a_number_asks_for_a_comparison() {
    let found = replay_diagnostics(
        "t,gpus\n0,1\n",
        "gpus = 1  spot = bernoulli(p = 0.5)",
        "spot = row.gpus",
        4,
    );
    assert_eq!(
        found,
        vec![(
            "E0301",
            "`spot` of pipeline `job` is a boolean, and this is a number".to_string(),
            Some("compare the row's number, such as `spot = row.gpus == 1`".to_string()),
        )]
    );
    assert_eq!(
        replay_diagnostics(
            "t,gpus\n0,1\n",
            "gpus = 1  spot = bernoulli(p = 0.5)",
            "spot = row.gpus > 0",
            4
        ),
        vec![]
    );
}

#[test]
fn a_replayed_row_with_an_empty_cell_is_named_by_its_line() {
    let found = replay_diagnostics(
        "t,gpus\n0,1\n60,\n120,2\n",
        "gpus = 1",
        "gpus = row.gpus",
        4,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "E0508");
    assert!(
        found[0]
            .1
            .ends_with("line 3: the empty cell in column `gpus` is not a number"),
        "{found:?}"
    );
}

#[test]
fn a_label_column_holds_only_labels_the_attribute_can_take() {
    let found = |value: &str| {
        replay_diagnostics(
            "t,framework\n0,sklearn\n60,pytorch\n",
            "gpus = 1\n  framework = choice { tensorflow: 0.5, sklearn: 0.5 }",
            &format!("framework = {value}"),
            4,
        )
    };
    let unknown = found("row.framework");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0].0, "E0508");
    assert!(
        unknown[0].1.ends_with(
            "line 3: `pytorch` in column `framework` is not a label the attribute can hold"
        ),
        "{unknown:?}"
    );
    assert!(
        unknown[0]
            .2
            .as_deref()
            .unwrap_or("")
            .contains("`sklearn`, `tensorflow`"),
        "{unknown:?}"
    );
    let computed = found("row.framework + 1");
    assert_eq!(computed.len(), 1, "{computed:?}");
    assert_eq!(computed[0].0, "E0301");
    assert!(
        computed[0].1.contains("`framework` is a label"),
        "{computed:?}"
    );
}

#[test]
fn replayed_rows_asking_for_more_units_than_the_pool_has_are_flagged() {
    let warnings = |capacity: u32| -> Vec<(&'static str, String)> {
        replay_diagnostics(
            "t,gpus\n0,1\n60,8\n120,16\n180,12\n",
            "gpus = 1",
            "gpus = row.gpus",
            capacity,
        )
        .into_iter()
        .map(|(code, message, _)| (code, message))
        .collect()
    };
    assert_eq!(
        warnings(8),
        vec![(
            "W0601",
            "2 replayed rows of `recorded` ask for more units of `gpu` than it ever has (8 slots), up to 16".to_string()
        )]
    );
    assert_eq!(warnings(16), vec![]);
}

/// A misspelt unit is one mistake and gets one diagnostic, wherever it is written: every
/// quantity of the shipped scenarios, the standard library and the valid corpus (`30min`, `1.25GB/s`, `120/h`, ...), its unit spoilt
/// in turn, gives exactly E0304, not also a follow-up about the value (`must be positive`,
/// `must be at least 1`) computed from the mistake's placeholder.
#[test]
fn a_misspelt_unit_anywhere_is_one_diagnostic() {
    let files = shipped_and_valid(&["scenarios", "stdlib", OK_DIR]);
    let mut spoilt = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for at in quantity_units(&text) {
            let mutant = format!("{}q{}", &text[..at], &text[at..]);
            let checked = frontend::check_text(file, mutant.clone(), &[]);
            let codes: Vec<&str> = checked.diagnostics().0.iter().map(|d| d.code).collect();
            let line = text[..at].lines().count();
            assert_eq!(
                codes,
                ["E0304"],
                "{}:{line}: `q` before the unit gives {codes:?}",
                file.display()
            );
            spoilt += 1;
        }
    }
    assert!(spoilt > 100, "only {spoilt} quantities found");
}

/// Where the unit of each quantity (`30min`, `1.25GB/s`, `/h` after a number) starts, outside
/// comments and strings; `%` is left out (`0.5q%` is a syntax error, not a misspelt unit).
fn quantity_units(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut units = Vec::new();
    let mut i = 0;
    let (mut in_string, mut in_comment) = (false, false);
    while i < bytes.len() {
        let b = bytes[i];
        if in_comment {
            in_comment = b != b'\n';
        } else if in_string {
            in_string = b != b'"';
        } else if b == b'"' {
            in_string = true;
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'/') {
            in_comment = true;
        } else if b.is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            // A number: digits, a point, an exponent; then its unit, if letters or `/` follow.
            let mut j = i;
            while j < bytes.len()
                && (bytes[j].is_ascii_digit()
                    || bytes[j] == b'.'
                    || ((bytes[j] == b'e' || bytes[j] == b'E')
                        && bytes
                            .get(j + 1)
                            .is_some_and(|c| c.is_ascii_digit() || *c == b'-')))
            {
                j += 1;
            }
            let unit = bytes.get(j).is_some_and(|c| c.is_ascii_alphabetic())
                || (bytes.get(j) == Some(&b'/')
                    && bytes.get(j + 1).is_some_and(|c| c.is_ascii_alphabetic()));
            if unit {
                units.push(j);
            }
            i = j;
            continue;
        }
        i += 1;
    }
    units
}

/// A misspelt name is one mistake and gets one diagnostic: every use (not the declaration)
/// of every resource, dataset, pipeline and profile the shipped scenarios declare, misspelt in
/// turn, gives exactly one error, not follow-ups from the declaration it failed to reach.
#[test]
fn a_misspelt_name_anywhere_is_one_diagnostic() {
    let files = shipped_and_valid(&["scenarios", OK_DIR]);
    let mut spoilt = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (at, name) in name_uses(&text) {
            let end = at + name.len();
            let mutant = format!("{}{name}q{}", &text[..at], &text[end..]);
            let checked = frontend::check_text(file, mutant, &[]);
            let diagnostics = &checked.diagnostics().0;
            let line = text[..at].lines().count();
            let errors: Vec<(&str, &str)> = diagnostics
                .iter()
                .map(|d| (d.code, d.message.as_str()))
                .collect();
            assert!(
                errors.len() == 1 && checked.has_errors(),
                "{}:{line}: `{name}q` gives {errors:#?}",
                file.display()
            );
            spoilt += 1;
        }
    }
    assert!(spoilt > 50, "only {spoilt} uses found");
}

/// Every use of a name the file declares with `resource`, `dataset`, `pipeline` or `profile`:
/// where it starts, and the name; outside comments and strings, and not the declaration.
fn name_uses(text: &str) -> Vec<(usize, String)> {
    let code: String = text
        .lines()
        .map(|line| {
            // Comments and strings blanked out, so that offsets stay the same.
            let mut out = String::with_capacity(line.len());
            let mut in_string = false;
            for (i, c) in line.char_indices() {
                if !in_string && line[i..].starts_with("//") {
                    out.extend(std::iter::repeat_n(' ', line.len() - i));
                    break;
                }
                if c == '"' {
                    in_string = !in_string;
                }
                out.push(if in_string || c == '"' { ' ' } else { c });
            }
            out + "\n"
        })
        .collect();
    let mut declared = Vec::new();
    let words: Vec<&str> = code.split_whitespace().collect();
    for pair in words.windows(2) {
        let name = pair[1];
        if ["resource", "dataset", "pipeline", "profile"].contains(&pair[0])
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !declared.iter().any(|d| d == name)
        {
            declared.push(name.to_string());
        }
    }
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = code.as_bytes();
    let mut uses = Vec::new();
    for name in &declared {
        let mut from = 0;
        while let Some(found) = code[from..].find(name.as_str()) {
            let at = from + found;
            from = at + name.len();
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(from).copied();
            // A whole word, not a member (`aiops.gpu`), and not the declaration itself.
            if before.is_some_and(|b| ident(b) || b == b'.') || after.is_some_and(ident) {
                continue;
            }
            let declaration = ["resource ", "dataset ", "pipeline ", "profile "]
                .iter()
                .any(|kw| code[..at].ends_with(kw));
            if !declaration {
                uses.push((at, name.clone()));
            }
        }
    }
    uses.sort();
    uses
}

/// A declaration that does not parse is one mistake: each declaration of the shipped
/// scenarios and the valid corpus, its first `=` removed in turn, gives one diagnostic, and
/// the names it declares are not reported unknown where they are used.
#[test]
fn a_declaration_that_does_not_parse_is_one_diagnostic() {
    let broken = each_line_spoilt(|text, start, line| {
        if !DECLARATION_KINDS.iter().any(|k| line.starts_with(k)) {
            return None;
        }
        let equals = text[start..].find(" = ").map(|i| start + i + 1)?;
        Some(format!("{}{}", &text[..equals], &text[equals + 1..]))
    })
    .map(|spoilt| spoilt.assert_one_error("without its first `=`"))
    .count();
    assert!(broken > 30, "only {broken} declarations found");
}

/// A step whose opening line is lost (its `}` then ends the pipeline early) is one mistake:
/// each multi-line step of the shipped scenarios and the valid corpus, its first line
/// deleted in turn, gives one diagnostic.
#[test]
fn a_step_without_its_opening_line_is_one_diagnostic() {
    let spoilt = each_line_deleted(|line| {
        let words = line.trim_start();
        STEP_KEYWORDS
            .iter()
            .any(|s| words.starts_with(&format!("{s} ")))
            && words.trim_end().ends_with('{')
    })
    .map(|spoilt| spoilt.assert_one_error("without its opening line"))
    .count();
    assert!(spoilt > 15, "only {spoilt} steps spoilt");
}

/// A nested block whose opening line is lost (`autoscale {`, `model {`) is one mistake too:
/// its attributes are one report, or its `}` ends the declaration and the declaration's own
/// `}` is.
#[test]
fn a_nested_block_without_its_opening_line_is_one_diagnostic() {
    let spoilt = each_line_deleted(|line| ["autoscale {", "model {"].contains(&line.trim()))
        .map(|spoilt| spoilt.assert_one_error("without its opening line"))
        .count();
    assert!(spoilt >= 4, "only {spoilt} blocks spoilt");
}

/// A standard library import deleted is one mistake, at its first use with the others as
/// labels (metrics too), and its quick fix adds the import back: the file checks clean.
#[test]
fn a_missing_standard_library_import_is_one_diagnostic_with_a_fix() {
    let spoilt = each_line_deleted(|line| line.starts_with("import \"std/"))
        .map(|spoilt| {
            spoilt.assert_one_error("deleted");
            let fixed = with_quick_fix(&spoilt.checked)
                .unwrap_or_else(|| panic!("{}: no quick fix", spoilt.place()));
            let again = frontend::check_text(&spoilt.file, fixed, &[]);
            assert!(
                again.diagnostics().is_empty(),
                "{}: fixed, gives {:?}",
                spoilt.place(),
                again.diagnostics().0
            );
        })
        .count();
    assert!(spoilt >= 5, "only {spoilt} imports deleted");
}

/// A step keyword misspelt (`preproces {`) is one mistake, whatever names the step (`after`,
/// a sweep of its attributes), and its quick fix gives the file back.
#[test]
fn a_misspelt_step_keyword_is_one_diagnostic() {
    let spoilt = each_line_spoilt(|text, start, line| {
        let indent = line.len() - line.trim_start().len();
        let keyword = STEP_KEYWORDS
            .iter()
            .find(|s| line[indent..].starts_with(&format!("{s} ")))?;
        let end = start + indent + keyword.len();
        Some(format!("{}{}", &text[..end - 1], &text[end..]))
    })
    .map(|spoilt| {
        spoilt.assert_one_error("its keyword misspelt");
        spoilt.assert_quick_fix_restores();
    })
    .count();
    assert!(spoilt > 15, "only {spoilt} steps spoilt");
}

/// A declaration whose opening line, or name, is lost is one mistake: its name is not in the
/// text, so the names the file uses and does not define (uses, sweeps and metrics of it) are
/// not reported again. Each multi-line declaration of the shipped scenarios and the valid
/// corpus, its first line deleted, and each declaration, its name deleted, gives one error.
#[test]
fn a_declaration_without_its_opening_line_or_name_is_one_diagnostic() {
    let spoilt = each_line_deleted(|line| {
        DECLARATION_KINDS.iter().any(|k| line.starts_with(k)) && line.trim_end().ends_with('{')
    })
    .map(|spoilt| spoilt.assert_one_error("without its opening line"))
    .count();
    assert!(spoilt > 15, "only {spoilt} declarations spoilt");
    let spoilt = each_line_spoilt(|text, start, line| {
        let kind = DECLARATION_KINDS.iter().find(|k| line.starts_with(*k))?;
        let name_start = start + kind.len();
        let name_end = text[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map(|i| name_start + i)?;
        Some(format!("{}{}", &text[..name_start], &text[name_end..]))
    })
    .map(|spoilt| spoilt.assert_one_error("without its name"))
    .count();
    assert!(spoilt > 30, "only {spoilt} declarations spoilt");
}

/// A declaration whose kind is deleted (`everything { horizon = 7d }`) is one mistake, and
/// where its attributes or steps tell the kind (all but a data set's), the quick fix that
/// writes it gives the file back.
#[test]
fn a_declaration_without_its_kind_is_one_diagnostic() {
    let spoilt = each_line_spoilt(|text, start, line| {
        let kind = DECLARATION_KINDS
            .iter()
            .chain(&["scenario "])
            .find(|k| line.starts_with(*k))?;
        Some(format!("{}{}", &text[..start], &text[start + kind.len()..]))
    })
    .map(|spoilt| {
        spoilt.assert_one_error("without its kind");
        if !spoilt.line.starts_with("dataset ") {
            spoilt.assert_quick_fix_restores();
        }
    })
    .count();
    assert!(spoilt > 30, "only {spoilt} declarations spoilt");
}

/// ...and a misspelt keyword's quick fix gives the file back.
#[test]
fn a_misspelt_keyword_or_a_missing_alias_is_one_diagnostic() {
    let spoilt = each_line_spoilt(|text, start, line| {
        // `resourc gpu {`, or `import "std/aiops" as` with the next declaration after it.
        if let Some(kind) = DECLARATION_KINDS.iter().find(|k| line.starts_with(*k)) {
            let keyword_end = start + kind.len() - 1;
            Some(format!(
                "{}{}",
                &text[..keyword_end - 1],
                &text[keyword_end..]
            ))
        } else if line.starts_with("import ") && line.contains(" as ") {
            let alias = start + line.find(" as ")? + 3;
            Some(format!(
                "{}{}",
                &text[..alias],
                &text[start + line.trim_end().len()..]
            ))
        } else {
            None
        }
    })
    .map(|spoilt| {
        spoilt.assert_one_error("spoilt");
        if !spoilt.line.starts_with("import ") {
            spoilt.assert_quick_fix_restores();
        }
    })
    .count();
    assert!(spoilt > 30, "only {spoilt} lines spoilt");
}

/// ...and its quick fix (an editor's "Change `horizo` to `horizon`") gives the file back.
#[test]
fn a_misspelt_attribute_of_the_language_is_one_diagnostic() {
    use pipesim::analysis::lower as l;
    // The attributes the language defines (a user's own are names that other places use).
    let builtin: std::collections::BTreeSet<&str> = [
        l::SCENARIO_ATTRS,
        l::POOL_ATTRS,
        l::LINK_ATTRS,
        l::AUTOSCALE_ATTRS,
        l::PIPELINE_ATTRS,
        l::STEP_ATTRS,
        l::MODEL_ATTRS,
        l::ARRIVALS_ATTRS,
        l::MONITOR_ATTRS,
        l::EXPERIMENT_ATTRS,
        l::PROFILE_ATTRS,
    ]
    .iter()
    .flat_map(|attrs| attrs.iter().map(|(name, _)| *name))
    .collect();
    let mut spoilt = 0;
    for file in shipped_and_valid(&["scenarios", OK_DIR]) {
        let text = std::fs::read_to_string(&file).unwrap();
        let words = text.char_indices().filter(|&(i, c)| {
            c.is_ascii_lowercase()
                && !text[..i].ends_with(|p: char| p.is_ascii_alphanumeric() || p == '_' || p == '.')
        });
        for (start, _) in words {
            let end = text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(text.len(), |i| start + i);
            let name = &text[start..end];
            let rest = text[end..].trim_start_matches(' ');
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let in_comment = text[line_start..start].contains("//");
            if !builtin.contains(name)
                || name.len() < 3
                || !rest.starts_with('=')
                || rest.starts_with("==")
                || in_comment
            {
                continue;
            }
            // Its last letter dropped: `horizo = 7d`.
            let mutant = format!("{}{}", &text[..end - 1], &text[end..]);
            let checked = frontend::check_text(&file, mutant, &[]);
            let found: Vec<(&str, &str)> = checked
                .diagnostics()
                .0
                .iter()
                .map(|d| (d.code, d.message.as_str()))
                .collect();
            let at = text[..start].lines().count() + 1;
            // A pipeline's `priority` or `deadline` misspelt is a valid attribute of its
            // own, and a warning (W0201); anything else is an error.
            assert!(
                found.len() == 1 && (checked.has_errors() || found[0].0 == "W0201"),
                "{}:{at}: `{name}` misspelt gives {found:#?}",
                file.display()
            );
            spoilt += 1;
            // The editor's quick fix gives the file back.
            assert!(
                with_quick_fix(&checked).is_some_and(|fixed| fixed == text),
                "{}:{at}: no quick fix gives `{name}` back",
                file.display()
            );
        }
    }
    assert!(spoilt > 100, "only {spoilt} attributes spoilt");
}

/// ...and where it is named more than once, its quick fix renames the declaration back.
#[test]
fn a_misspelt_declaration_name_is_one_diagnostic() {
    let renamed = std::cell::Cell::new(0);
    let spoilt = each_line_spoilt(|text, start, line| {
        let kind = DECLARATION_KINDS[..4]
            .iter()
            .find(|k| line.starts_with(*k))?;
        let name_start = start + kind.len();
        let name_end = text[name_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(text.len(), |i| name_start + i);
        // Its last letter dropped: `resource storag { .. }`.
        (name_end - name_start >= 3)
            .then(|| format!("{}{}", &text[..name_end - 1], &text[name_end..]))
    })
    .filter(|spoilt| {
        let errors: Vec<(&str, &str)> = spoilt
            .found()
            .into_iter()
            .filter(|(code, _)| code.starts_with('E'))
            .collect();
        // A declaration nothing in its file names (a pipeline only `arrivals` of another
        // file start) is a valid rename; any other gives one error for all its uses.
        assert!(
            errors.len() <= 1,
            "{}: misspelt gives {errors:#?}",
            spoilt.place()
        );
        // Named more than once, the quick fix renames the declaration back.
        if errors.len() == 1 && errors[0].1.starts_with("unknown name") {
            let named = spoilt.checked.diagnostics().0[0].labels.len();
            if named > 1 {
                spoilt.assert_quick_fix_restores();
                renamed.set(renamed.get() + 1);
            }
        }
        errors.len() == 1
    })
    .count();
    assert!(spoilt > 20, "only {spoilt} declarations spoilt");
    assert!(renamed.get() > 10, "only {} renamed back", renamed.get());
}

/// The keywords of declarations that start a line; the first four are those whose names
/// other declarations use.
const DECLARATION_KINDS: [&str; 6] = [
    "resource ",
    "dataset ",
    "pipeline ",
    "profile ",
    "arrivals ",
    "monitor ",
];

/// The keywords that start a step.
const STEP_KEYWORDS: [&str; 5] = ["preprocess", "train", "validate", "compress", "task"];

/// A shipped or valid scenario with one line spoilt, checked.
struct Spoilt {
    file: PathBuf,
    line: String,
    at: usize,
    checked: frontend::Checked,
}

impl Spoilt {
    fn found(&self) -> Vec<(&'static str, &str)> {
        self.checked
            .diagnostics()
            .0
            .iter()
            .map(|d| (d.code, d.message.as_str()))
            .collect()
    }

    /// Asserts that the spoilt line (`what` was done to it) gives one diagnostic, an error.
    fn assert_one_error(&self, what: &str) {
        let found = self.found();
        assert!(
            found.len() == 1 && self.checked.has_errors(),
            "{}: {what}, gives {found:#?}",
            self.place()
        );
    }

    /// Asserts that the quick fix of its diagnostic gives back the file as it was.
    fn assert_quick_fix_restores(&self) {
        let original = std::fs::read_to_string(&self.file).unwrap();
        assert!(
            with_quick_fix(&self.checked).is_some_and(|fixed| fixed == original),
            "{}: no quick fix gives the line back",
            self.place()
        );
    }

    fn place(&self) -> String {
        format!(
            "{}:{}: `{}`",
            self.file.display(),
            self.at,
            self.line.trim_end()
        )
    }
}

/// Each line of the shipped scenarios and the valid corpus that `spoil` (given the text, the
/// line's offset and the line) makes a mutant of, checked.
fn each_line_spoilt(
    spoil: impl Fn(&str, usize, &str) -> Option<String>,
) -> impl Iterator<Item = Spoilt> {
    shipped_and_valid(&["scenarios", OK_DIR])
        .into_iter()
        .flat_map(move |file| {
            let text = std::fs::read_to_string(&file).unwrap();
            let mut offset = 0;
            let mut spoilt = Vec::new();
            for (index, line) in text.split_inclusive('\n').enumerate() {
                let start = offset;
                offset += line.len();
                if let Some(mutant) = spoil(&text, start, line) {
                    spoilt.push(Spoilt {
                        checked: frontend::check_text(&file, mutant, &[]),
                        file: file.clone(),
                        line: line.to_string(),
                        at: index + 1,
                    });
                }
            }
            spoilt
        })
}

/// The entry file's text with the first quick fix of its one fixable diagnostic applied
/// (what an editor's "Change `x` to `y`" does), if it has one.
fn with_quick_fix(checked: &frontend::Checked) -> Option<String> {
    let fixes: Vec<diagnostic::Fix> = checked
        .diagnostics()
        .0
        .iter()
        .filter_map(|d| d.suggested_fixes(&checked.sources).into_iter().next())
        .collect();
    let [fix] = fixes.as_slice() else {
        return None;
    };
    let entry = checked.program.modules.first()?.file;
    let mut text = checked.sources.get(entry).text.clone();
    let mut edits = fix.edits.clone();
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    for (span, new) in edits {
        if span.file != entry {
            return None;
        }
        text.replace_range(span.start as usize..span.end as usize, &new);
    }
    Some(text)
}

/// Each line of the shipped scenarios and the valid corpus that `deleted` picks, deleted in
/// turn, checked.
fn each_line_deleted(deleted: impl Fn(&str) -> bool) -> impl Iterator<Item = Spoilt> {
    each_line_spoilt(move |text, start, line| {
        deleted(line).then(|| format!("{}{}", &text[..start], &text[start + line.len()..]))
    })
}

/// The `.pipesim` files of `dirs`, in order.
fn shipped_and_valid(dirs: &[&str]) -> Vec<PathBuf> {
    dirs.iter().flat_map(|dir| pipesim_files(dir)).collect()
}

#[test]
fn an_empirical_number_takes_the_unit_it_is_multiplied_by() {
    // Observed numbers are in base units and fit any dimension; with a unit they have its
    // dimension, and are checked as such.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("runs.csv"), "seconds\n12.5\n40\n").unwrap();
    let codes = |duration: &str| -> Vec<&'static str> {
        let file = dir.path().join("scenario.pipesim");
        std::fs::write(
            &file,
            format!(
                "scenario s {{ horizon = 1d }}\nresource gpu {{ kind = pool  capacity = 2 }}\n\
                 pipeline p {{ task {{ on = gpu  duration = {duration} }} }}\n\
                 arrivals a {{ rate = 1/h  pipeline = p }}\n"
            ),
        )
        .unwrap();
        let checked = frontend::check_file(&file, &[]);
        let diagnostics = checked.diagnostics();
        diagnostics.0.iter().map(|d| d.code).collect()
    };
    let observed = r#"empirical("runs.csv", column = "seconds")"#;
    assert_eq!(codes(observed), Vec::<&str>::new());
    assert_eq!(codes(&format!("{observed} * 1.5")), Vec::<&str>::new());
    assert_eq!(codes(&format!("{observed} * 1s")), Vec::<&str>::new());
    assert_eq!(
        codes(&format!("{observed} / 60 * 1min")),
        Vec::<&str>::new()
    );
    assert_eq!(codes(&format!("{observed} * 1GB")), ["E0301"]);
    assert_eq!(codes(&format!("{observed} * 1s + 1GB")), ["E0302"]);
}

#[test]
fn an_attribute_one_slip_from_priority_or_deadline_is_flagged() {
    let warned = |attributes: &str| -> Vec<String> {
        let text = format!(
            "resource gpu {{ kind = pool  capacity = 4  policy = edf }}\n\
             pipeline p {{ {attributes}  train {{ on = gpu  duration = 1h }} }}\n"
        );
        warnings_of(&text, &[])
            .into_iter()
            .filter(|(code, _)| *code == "W0201")
            .map(|(_, message)| message)
            .collect()
    };
    assert_eq!(
        warned("deadlin = 6h"),
        ["`deadlin` is an attribute of your own, not `deadline`"]
    );
    assert_eq!(
        warned("prioirty = 2"),
        ["`prioirty` is an attribute of your own, not `priority`"]
    );
    // Set beside it, the built-in is not what was meant; and a name further off is a name.
    assert!(warned("priority = 1  priorty = 2").is_empty());
    assert!(warned("prior = 1  deadline_slack = 2h").is_empty());
}

#[test]
fn a_label_misspelt_where_a_choice_produces_it_is_reported_there() {
    let codes = |text: &str| -> Vec<(&'static str, String)> { warnings_of(text, &[]) };
    let pipeline = |choice: &str, uses: &str| {
        format!(
            "resource gpu {{ kind = pool  capacity = 4 }}\n\
             pipeline p {{ framework = choice {{ {choice} }}\n{uses} }}\n"
        )
    };
    // Two arms and two comparisons name `pytorch`: one report at the choice, an error since
    // the match has no arm for `pytorh`, with the match and the comparisons as labels.
    let found = codes(&pipeline(
        "tensorflow: 0.6, pytorh: 0.4",
        "train { on = gpu  duration = match framework { pytorch => 40min, tensorflow => 25min } }\n\
         compress when framework == pytorch { on = gpu  duration = 2min }\n\
         validate when framework != pytorch { on = gpu  duration = 1min }",
    ));
    let listed: Vec<&str> = found.iter().map(|(code, _)| *code).collect();
    assert_eq!(listed, ["E0401"], "{found:#?}");
    assert!(
        found[0].1.starts_with("`pytorh` is never matched"),
        "{found:#?}"
    );
    // Without a match left short, the comparisons alone make it an error too.
    let found = codes(&pipeline(
        "tensorflow: 0.6, pytorh: 0.4",
        "train { on = gpu  duration = match framework { pytorch => 40min, _ => 25min } }\n\
         compress when framework == pytorch { on = gpu  duration = 2min }",
    ));
    let listed: Vec<&str> = found.iter().map(|(code, _)| *code).collect();
    assert_eq!(listed, ["E0202"], "{found:#?}");
    // Matched twice, behind `_` arms and with no comparison, it stays a warning.
    let found = codes(&pipeline(
        "tensorflow: 0.6, pytorh: 0.4",
        "train { on = gpu  duration = match framework { pytorch => 40min, _ => 25min } }\n\
         compress { on = gpu  duration = match framework { pytorch => 2min, _ => 1min } }",
    ));
    let listed: Vec<&str> = found.iter().map(|(code, _)| *code).collect();
    assert_eq!(listed, ["W0403"], "{found:#?}");
    // Named once, either side may be the slip: the arm is told of the label instead.
    let found = codes(&pipeline(
        "tensorflow: 0.6, pytorch: 0.4",
        "train { on = gpu  duration = match framework { pytorh => 40min, _ => 25min } }",
    ));
    let listed: Vec<&str> = found.iter().map(|(code, _)| *code).collect();
    assert_eq!(listed, ["W0401"], "{found:#?}");
    // A label compared twice that the choice produces is no slip, however near another
    // label it never compares is (`tensorflou` is one letter from `tensorflow`).
    let found = codes(&pipeline(
        "tensorflow: 0.6, tensorflou: 0.4",
        "compress when framework == tensorflow { on = gpu  duration = 2min }\n\
         validate when tensorflow != framework { on = gpu  duration = 1min }",
    ));
    assert_eq!(found, [], "{found:#?}");
}

#[test]
fn a_declaration_of_the_scenario_that_nothing_uses_is_flagged() {
    let hours = ["1"; 24].join(", ");
    let days = ["1"; 7].join(", ");
    let scenario = |extra: &str| {
        format!(
            "scenario s {{ horizon = 1d }}\n\
             resource gpu {{ kind = pool  capacity = 4 }}\n\
             dataset asset {{ size = 1GB }}\n\
             profile office {{ hours = [{hours}]  days = [{days}] }}\n\
             pipeline p {{ data = asset  train {{ on = gpu  duration = asset.size * 1s/GB }} }}\n\
             arrivals a {{ rate = 1/h  profile = office  pipeline = p }}\n\
             {extra}\n"
        )
    };
    let unused = |text: &str| -> Vec<String> {
        warnings_of(text, &[])
            .into_iter()
            .filter(|(code, _)| *code == "W0202")
            .map(|(_, message)| message)
            .collect()
    };
    assert!(unused(&scenario("")).is_empty());
    assert_eq!(
        unused(
            &scenario(
                "resource spare { kind = pool  capacity = 2 }\n\
             dataset logs { size = 1MB }\n\
             profile night { hours = [1]  days = [1] }\n\
             pipeline q { train { on = gpu  duration = 1h } }"
            )
            .replace("hours = [1]", &format!("hours = [{hours}]"))
            .replace("days = [1]", &format!("days = [{days}]"))
        ),
        [
            "resource `spare` is never used",
            "dataset `logs` is never used",
            "profile `night` is never used",
            "pipeline `q` is never used",
        ]
    );
    // A sweep is no use: it would compare identical points.
    assert_eq!(
        unused(&scenario(
            "resource spare { kind = pool  capacity = 2 }\n\
             experiment { sweep spare.capacity = [2, 4] }"
        )),
        ["resource `spare` is never used"]
    );
    // What `--set` replaces for one run stays in use: it is written.
    let found: Vec<String> = warnings_of(
        &scenario("resource spare { kind = pool  capacity = 2 }"),
        &["p.train.on=spare"],
    )
    .into_iter()
    .filter(|(code, _)| *code == "W0202")
    .map(|(_, message)| message)
    .collect();
    assert!(found.is_empty(), "{found:?}");
    // A pipeline started through a `choice` of templates is used.
    assert!(unused(
        &scenario("pipeline q { train { on = gpu  duration = 1h } }\n")
            .replace("pipeline = p", "pipeline = choice { p: 0.5, q: 0.5 }")
    )
    .is_empty());
    // A pipeline attribute no step or attribute reads: a sweep of it changes nothing. One
    // slip from `priority` it is W0201 alone, which says what should read it.
    let attributes = |attrs: &str| {
        unused(
            &scenario("")
                .replace("data = asset", &format!("data = asset  {attrs}"))
                .replace("asset.size * 1s/GB", "asset.size * scale * 1s/GB"),
        )
    };
    assert!(attributes("scale = 2").is_empty());
    assert!(attributes("base = 2  scale = base * 2  priority = 3").is_empty());
    assert_eq!(
        attributes("scale = 2  padding = 3  priorty = 1"),
        ["attribute `padding` of pipeline `p` is never read"]
    );
    // One slip from a library's resource, the quick fix renames it and its sweep, and the
    // library's templates run on it.
    let file = Path::new(ERR_DIR).join("W0202_resource_never_used.pipesim");
    let fixed = with_quick_fix(&frontend::check_file(&file, &[])).unwrap();
    let original = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        fixed,
        original
            .replace("resource gpus", "resource gpu")
            .replace("sweep gpus.", "sweep gpu.")
    );
    assert!(frontend::check_text(&file, fixed, &[])
        .diagnostics()
        .is_empty());
    // A module (no `scenario`) is a library: what it declares is for others to use.
    assert!(unused("resource spare { kind = pool  capacity = 2 }\n").is_empty());
    // Beside an error, a use may be in what failed to check or to parse: no second report.
    for broken in [
        "pipeline r { train { on = gpux  duration = 1h } }",
        "pipeline r { train { on = } }",
    ] {
        let found = warnings_of(
            &scenario(&format!(
                "resource spare {{ kind = pool  capacity = 2 }}\n{broken}"
            )),
            &[],
        );
        assert!(
            found.iter().all(|(code, _)| *code != "W0202") && !found.is_empty(),
            "{broken}: {found:?}"
        );
    }
}

/// `scenarios/quickstart.pipesim` checked in `dir` against `library` in place of `std/aiops`.
fn quickstart_with_library(dir: &Path, library: &str) -> frontend::Checked {
    std::fs::write(dir.join("aiops.pipesim"), library).unwrap();
    let scenario = std::fs::read_to_string("scenarios/quickstart.pipesim")
        .unwrap()
        .replace("\"std/aiops\"", "\"aiops.pipesim\"");
    let file = dir.join("quickstart.pipesim");
    std::fs::write(&file, scenario).unwrap();
    frontend::check_file(&file, &[])
}

#[test]
fn a_data_set_size_without_its_unit_is_one_error_however_often_it_is_used() {
    // `std/aiops` uses `asset.size` sixteen times; copied with `8B` written `8`, each use
    // would be wrong on its own.
    let dir = tempfile::tempdir().unwrap();
    let library = std::fs::read_to_string("stdlib/aiops.pipesim").unwrap();
    assert!(library.contains("* 8B"));
    let checked = quickstart_with_library(dir.path(), &library.replace("* 8B", "* 8"));
    let found = &checked.diagnostics().0;
    assert_eq!(found.len(), 1, "{found:#?}");
    let help = found[0].help.as_deref().unwrap_or_default();
    assert!(
        help.starts_with("`asset.size` is a plain number: give `size` a unit"),
        "{help}"
    );
    assert!(found[0].labels.len() > 10, "{:#?}", found[0].labels);
}

#[test]
fn a_comparison_with_an_unknown_subject_reports_only_the_subject() {
    let text = |attributes: &str| {
        format!(
            "resource gpu {{ kind = pool  capacity = 4 }}\n\
             pipeline p {{ {attributes}\n  priority = if tier == gold then 2 else 1\n\
             train {{ on = gpu  duration = 1h }} }}\n"
        )
    };
    // Without `tier`, `gold` may be a label of it: only `tier` is reported.
    assert_eq!(
        warnings_of(&text(""), &[]),
        [("E0202", "unknown name `tier`".to_string())]
    );
    // With it, a label its `choice` does not produce is still reported.
    let found = warnings_of(&text("tier = choice { gold: 0.2, silver: 0.8 }"), &[]);
    assert!(found.is_empty(), "{found:?}");
    let found = warnings_of(
        &text("tier = choice { gold: 0.2, silver: 0.8 }").replace("== gold", "== bronze"),
        &[],
    );
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn a_data_set_attribute_misspelt_where_declared_is_one_error_for_every_pipeline() {
    // `std/aiops` reads `asset.size` in each of its three templates.
    let dir = tempfile::tempdir().unwrap();
    let library = std::fs::read_to_string("stdlib/aiops.pipesim").unwrap();
    let spoilt = library.replacen("  size ", "  siz ", 1);
    assert_ne!(spoilt, library);
    let checked = quickstart_with_library(dir.path(), &spoilt);
    let found = &checked.diagnostics().0;
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].message, "unknown name `asset.size`");
    assert!(found[0].labels.len() > 10, "{:#?}", found[0].labels);
    // The quick fix renames the attribute where the data set declares it.
    let fixes = found[0].suggested_fixes(&checked.sources);
    assert_eq!(
        fixes[0].title,
        "Rename `asset.siz` to `asset.size` where it is declared"
    );
    let [(span, new)] = fixes[0].edits.as_slice() else {
        panic!("{:?}", fixes[0].edits)
    };
    let mut mended = spoilt.clone();
    mended.replace_range(span.start as usize..span.end as usize, new);
    assert!(mended == library, "the fix does not give `size` back");
}

#[test]
fn a_scenario_block_that_does_not_parse_leaves_its_trace_and_sweeps_unjudged() {
    // Its start and horizon are unknown: "no row inside the horizon" would be a second report.
    let file = Path::new("scenarios/philly_replay.pipesim");
    let text = std::fs::read_to_string(file).unwrap();
    for spoil in ["horizon = ", "scenario philly_replay {"] {
        let spoilt = text.replacen(spoil, &spoil.replace(" = ", " ").replace(" {", ""), 1);
        assert_ne!(spoilt, text);
        let checked = frontend::check_text(file, spoilt, &[]);
        let found: Vec<&str> = checked.diagnostics().0.iter().map(|d| d.code).collect();
        assert_eq!(found, ["E0001"], "{spoil}");
    }
    // Nor is a sweep of `scenario.horizon` of a file that "has no scenario block".
    let file = Path::new("tests/fixtures/check/ok/every_construct.pipesim");
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains("sweep scenario.horizon"));
    let spoilt = text.replacen("  horizon = ", "  horizon ", 1);
    let checked = frontend::check_text(file, spoilt, &[]);
    let found: Vec<&str> = checked.diagnostics().0.iter().map(|d| d.code).collect();
    assert_eq!(found, ["E0001"]);
}

/// `pipesim check scenarios/`: a folder checks every `.pipesim` file under it, in order, the
/// benchmark's subfolder included; a folder without any is an I/O error that names it.
#[test]
fn a_folder_checks_every_scenario_under_it() {
    let (code, _, stderr) = pipesim(&["check", "scenarios"]);
    assert_eq!(code, 0, "{stderr}");
    let checked: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_suffix(": ok"))
        .collect();
    let mut expected: Vec<String> = pipesim_files("scenarios")
        .iter()
        .chain(&pipesim_files("scenarios/bench"))
        .map(|p| {
            p.strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(p)
                .display()
                .to_string()
                .trim_start_matches('/')
                .to_string()
        })
        .collect();
    expected.sort();
    assert_eq!(checked, expected);
    let (code, _, stderr) = pipesim(&["check", "scenarios/data"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no `.pipesim` file under `scenarios/data`"),
        "{stderr}"
    );
}

/// `pipesim graph FILE | head -1` and the like: output to a reader that has gone ends
/// quietly (the exit code is the command's own), and output that cannot be written (a full
/// disk) is an I/O error with a message, exit 2; neither is a panic.
#[test]
fn output_to_a_closed_pipe_or_a_full_disk_is_no_panic() {
    let commands: [&[&str]; 4] = [
        &["graph", "tests/fixtures/check/ok/language_example.pipesim"],
        &["explain"],
        &[
            "check",
            "--format",
            "json",
            "tests/fixtures/check/ok/language_example.pipesim",
        ],
        &["fmt", "-"],
    ];
    for args in commands {
        // A pipe whose reading end is closed before pipesim writes: every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
            .args(args)
            .stdin(std::fs::File::open("tests/fixtures/check/ok/language_example.pipesim").unwrap())
            .stdout(writer)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
    if Path::new("/dev/full").exists() {
        let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
            .args(["explain"])
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with("error: cannot write to standard output: ")
                && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

/// `pipesim run FILE 2>&1 | head` closes the reader of stderr too: the diagnostics, notes
/// and "run saved to" written there must not panic (exit 101) after the run is saved.
#[test]
fn messages_to_a_closed_stderr_are_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("overloaded.pipesim");
    std::fs::write(
        &scenario,
        "scenario s { horizon = 1d }\n\
         resource gpu { kind = pool  capacity = 2 }\n\
         pipeline p { train { on = gpu  units = 3  duration = 1h } }\n\
         arrivals a { rate = 1/h  pipeline = p }\n",
    )
    .unwrap();
    let out = dir.path().join("run");
    let cases: [(&[&std::ffi::OsStr], i32); 3] = [
        // Warnings, the overload note and "run saved to" on stderr; the table on stdout.
        (
            &[
                "run".as_ref(),
                scenario.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ],
            0,
        ),
        // Diagnostics of a file with errors.
        (
            &[
                "check".as_ref(),
                "tests/fixtures/check/err/E0202_declaration_misspelt.pipesim".as_ref(),
            ],
            1,
        ),
        // A usage error.
        (
            &[
                "run".as_ref(),
                scenario.as_os_str(),
                "--replications".as_ref(),
                "0".as_ref(),
            ],
            2,
        ),
    ];
    for (args, code) in cases {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let (out_reader, out_writer) = std::io::pipe().unwrap();
        drop(out_reader);
        let status = Command::new(env!("CARGO_BIN_EXE_pipesim"))
            .args(args)
            .stdout(out_writer)
            .stderr(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
    assert!(out.join("summary.json").is_file(), "the run was saved");
}

/// Runs `pipesim check ARGS` in `dir`: exit code, stdout and stderr.
fn check_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let args: Vec<&str> = std::iter::once("check")
        .chain(args.iter().copied())
        .collect();
    crate::quickfix::pipesim(dir, &args)
}

/// A small scenario, with `extra` declarations after it and `on` as its step's pool.
fn small_scenario(on: &str, extra: &str) -> String {
    format!(
        "resource cpu {{ kind = pool  capacity = 4 }}
pipeline p {{ task {{ on = {on}  duration = 1h }} }}
scenario s {{ horizon = 7d }}
arrivals a {{ rate = 1/h  pipeline = p }}
{extra}"
    )
}

/// `check DIR` ends with the totals over its files (files, files with errors, errors,
/// warnings), the line a CI log is read for; one file gets no such line. The exit status is
/// the one the files give.
#[test]
fn a_check_of_several_files_ends_with_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.pipesim"), small_scenario("cpu", "")).unwrap();
    std::fs::write(
        dir.path().join("mistaken.pipesim"),
        small_scenario("cpuu", ""),
    )
    .unwrap();
    let spare = "resource spare { kind = pool  capacity = 2 }\n";
    std::fs::write(
        dir.path().join("unused.pipesim"),
        small_scenario("cpu", spare),
    )
    .unwrap();
    let (code, _, stderr) = check_in(dir.path(), &["."]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr);
    assert_eq!(
        stderr.lines().last(),
        Some("3 files checked, 1 with errors: 1 error, 1 warning")
    );
    // Each file's count names its file, which the report above it may not (a mistake in a
    // module it imports is drawn in the module).
    assert!(
        stderr
            .lines()
            .any(|l| l == "mistaken.pipesim: 1 error, 0 warnings"),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l == "unused.pipesim: 0 errors, 1 warning"),
        "{stderr}"
    );
    // One file's count is as it always was.
    let (code, _, stderr) = check_in(dir.path(), &["mistaken.pipesim"]);
    assert_eq!(code, 1);
    assert!(
        stderr.lines().any(|l| l == "1 error, 0 warnings"),
        "{stderr}"
    );
    assert!(!stderr.contains("mistaken.pipesim: 1 error"), "{stderr}");

    // Warnings alone exit 0, with the totals.
    let (code, _, stderr) = check_in(dir.path(), &["good.pipesim", "unused.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some("2 files checked, 0 with errors: 0 errors, 1 warning")
    );

    let (code, _, stderr) = check_in(dir.path(), &["good.pipesim"]);
    assert_eq!((code, stderr.as_str()), (0, "good.pipesim: ok\n"));

    // A file named twice, or also in a named folder, is checked and counted once; the files
    // of `.` are named as the diagnostics name them.
    let (code, _, stderr) = check_in(dir.path(), &["good.pipesim", "./good.pipesim", "."]);
    assert_eq!(code, 1);
    assert_eq!(stderr.matches("good.pipesim: ok").count(), 1, "{stderr}");
    assert!(!stderr.contains("./"), "{stderr}");
    assert_eq!(
        stderr.lines().last(),
        Some("3 files checked, 1 with errors: 1 error, 1 warning")
    );
}

/// 400 pools of a generated scenario, one used: the report draws the first ten `W0202` in
/// full and sums up the rest in one line, while `--format json` and the diagnostics the
/// language server publishes keep all 399, each at its declaration. Errors are never folded.
#[test]
fn many_warnings_of_one_code_in_a_file_are_summed_up_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let pools: String = (0..399)
        .map(|i| format!("resource pool{i} {{ kind = pool  capacity = 1 }}\n"))
        .collect();
    let path = dir.path().join("generated.pipesim");
    std::fs::write(&path, small_scenario("cpu", &pools)).unwrap();

    let (code, _, stderr) = check_in(dir.path(), &["generated.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.matches("is never used").count(), 10, "{stderr}");
    assert!(stderr.contains("`pool9` is never used"), "{stderr}");
    assert!(!stderr.contains("`pool10` is never used"), "{stderr}");
    assert!(
        stderr.contains(
            "warning[W0202]: 389 more like the above in generated.pipesim (lines 15 to 403), not shown; `--format json` lists every one"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("0 errors, 399 warnings"), "{stderr}");

    let (_, stdout, _) = check_in(dir.path(), &["--format", "json", "generated.pipesim"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 399);

    let checked = frontend::check_file(&path, &[]);
    assert_eq!(checked.diagnostics().0.len(), 399);

    // 12 errors of one code: every one is drawn.
    let broken: String = (0..12)
        .map(|i| format!("pipeline q{i} {{ task {{ on = gpuu{i}  duration = 1h }} }}\n"))
        .collect();
    std::fs::write(&path, small_scenario("cpu", &broken)).unwrap();
    let (code, _, stderr) = check_in(dir.path(), &["generated.pipesim"]);
    assert_eq!(code, 1);
    assert_eq!(stderr.matches("unknown name `gpuu").count(), 12, "{stderr}");
    assert!(!stderr.contains("more like the above"), "{stderr}");
}

/// `when device == gpu`, where `device` is a `choice` of labels and `gpu` is also a
/// resource: compared with `device`, `gpu` is the label, as in `match device { gpu => .. }`,
/// and the step runs when the label is drawn (and is skipped by `!=`).
#[test]
fn a_label_named_like_a_resource_is_compared_as_the_label() {
    let scenario = |op: &str| {
        format!(
            "resource gpu {{ kind = pool  capacity = 4 }}
resource cpu {{ kind = pool  capacity = 4 }}
pipeline p {{
  device = choice {{ gpu: 0.7, cpu: 0.3 }}
  train on_gpu when device {op} gpu {{ on = gpu  duration = 1h }}
  train on_cpu when gpu {op} device {{ on = cpu  duration = 1h }}
  train after_both after on_gpu, on_cpu {{ on = cpu  duration = match device {{ gpu => 1h, cpu => 2h }} }}
}}
scenario s {{ horizon = 7d }}
arrivals a {{ rate = 1/h  pipeline = p }}
"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labels.pipesim");
    let mut utilization = Vec::new();
    for op in ["==", "!="] {
        std::fs::write(&path, scenario(op)).unwrap();
        let checked = frontend::check_file(&path, &[]);
        assert!(
            checked.diagnostics().0.is_empty(),
            "{op}: {:?}",
            checked.diagnostics()
        );
        let scenario = checked.analysis.scenario.as_ref().expect("lowered");
        let result = pipesim::sim::run_replication(scenario, 0, &mut pipesim::sim::trace::NullSink);
        utilization.push(result.get("resource.gpu.utilization").unwrap());
    }
    // The same draws: `==` runs `on_gpu` for 70% of the pipelines, `!=` for 30%.
    assert!(utilization[0] > utilization[1] * 1.5, "{utilization:?}");

    // Where `device` is never `gpu` (another pipeline's `choice` has it), `gpu` is the
    // resource, and the report says why.
    std::fs::write(
        &path,
        "resource gpu { kind = pool  capacity = 4 }
pipeline p {
  device = choice { cpu: 0.5, tpu: 0.5 }
  train when device == gpu { on = gpu  duration = 1h }
}
pipeline q {
  kind = choice { gpu: 0.5, cpu: 0.5 }
  train { on = gpu  duration = match kind { gpu => 1h, cpu => 2h } }
}
scenario s { horizon = 7d }
arrivals a { rate = 1/h  pipeline = choice { p: 0.5, q: 0.5 } }
",
    )
    .unwrap();
    let checked = frontend::check_file(&path, &[]);
    let diagnostics = &checked.diagnostics().0;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("`device` is never the label `gpu` (it can be `cpu`, `tpu`), so `gpu` names the declaration: compare `device` with one of its labels, or add `gpu` to the `choice` that gives it"),
        "{diagnostics:?}"
    );
    // The same where no `choice` has the label at all.
    std::fs::write(
        &path,
        "resource gpu { kind = pool  capacity = 4 }
pipeline p {
  device = choice { cpu: 0.5, tpu: 0.5 }
  train when gpu != device { on = gpu  duration = 1h }
}
scenario s { horizon = 7d }
arrivals a { rate = 1/h  pipeline = p }
",
    )
    .unwrap();
    let checked = frontend::check_file(&path, &[]);
    let diagnostics = &checked.diagnostics().0;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0].help.as_deref().is_some_and(
            |h| h.starts_with("`device` is never the label `gpu` (it can be `cpu`, `tpu`)")
        ),
        "{diagnostics:?}"
    );
}

/// The codes `check` gives a scenario written inline, with `--set` overrides.
fn codes_of(text: &str, sets: &[&str]) -> Vec<&'static str> {
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let checked = frontend::check_text(Path::new("inline.pipesim"), text.to_string(), &sets);
    checked.diagnostics().0.iter().map(|d| d.code).collect()
}

/// `W0606` is for a `when` that is false as written: literals alone. A `when` on an attribute
/// is what a sweep or `--set` turns, and `when true` is only redundant.
#[test]
fn a_step_whose_when_is_written_false_is_warned_of() {
    let scenario = |when: &str| {
        format!(
            "scenario s {{ horizon = 7d }}
resource gpu {{ kind = pool  capacity = 4 }}
pipeline p {{
  enabled = false
  train {{ on = gpu  duration = 1h }}
  validate {when} {{ on = gpu  duration = 10min }}
  compress after validate {{ on = gpu  duration = 5min }}
}}
arrivals a {{ rate = 1/h  pipeline = p }}
"
        )
    };
    for when in [
        "when false",
        "when 1 > 2",
        "when !true",
        "when true && (2h < 1h)",
    ] {
        // `enabled`, read by no `when` here, is the unused attribute `W0202`.
        assert_eq!(codes_of(&scenario(when), &[]), ["W0202", "W0606"], "{when}");
    }
    for when in ["", "when true", "when enabled", "when enabled || false"] {
        let codes = codes_of(&scenario(when), &[]);
        assert!(!codes.contains(&"W0606"), "{when}: {codes:?}");
    }
    assert_eq!(
        codes_of(&scenario("when enabled"), &["p.enabled=[true, false]"]),
        [""; 0]
    );

    let text = scenario("when false");
    let checked = frontend::check_text(Path::new("inline.pipesim"), text.clone(), &[]);
    let warning = &checked.diagnostics().0[1];
    assert_eq!(
        warning.message,
        "the `validate` step never runs: its `when` is always false"
    );
    let span = warning.primary_span().unwrap();
    assert_eq!(&text[span.start as usize..span.end as usize], "false");
}

/// `W0802`: the metrics over all models measure the models pipelines deploy, and where no
/// pipeline declares one (nor a monitor names one to watch) a run has none.
#[test]
fn a_model_metric_without_any_model_is_warned_of() {
    let scenario = |model: &str, extra: &str, metric: &str| {
        format!(
            "scenario s {{ horizon = 7d }}
resource gpu {{ kind = pool  capacity = 4 }}
pipeline p {{
  train {{ on = gpu  duration = 1h }}
  {model}
}}
arrivals a {{ rate = 1/h  pipeline = p }}
{extra}
experiment {{ metrics = [\"pipeline.wait.mean\", \"{metric}\"] }}
"
        )
    };
    for metric in [
        "model.accuracy.mean",
        "model.stale.fraction",
        "model.retrains",
    ] {
        assert_eq!(
            codes_of(&scenario("", "", metric), &[]),
            ["W0802"],
            "{metric}"
        );
        let with_model = scenario("model { drift = 1%/d }", "", metric);
        assert_eq!(codes_of(&with_model, &[]), [""; 0], "{metric}");
    }
    // A monitor that names the pipeline makes its runs deploy models.
    let watched = scenario(
        "",
        "monitor m { every = 1h  when = model.accuracy < 0.8  pipelines = [p] }",
        "model.accuracy.mean",
    );
    assert_eq!(codes_of(&watched, &[]), [""; 0]);
    // A template's own model metrics need its `model`: an unknown metric, as before.
    assert_eq!(
        codes_of(&scenario("", "", "model.p.accuracy.mean"), &[]),
        ["E0804"]
    );

    let text = scenario("", "", "model.retrains");
    let checked = frontend::check_text(Path::new("inline.pipesim"), text.clone(), &[]);
    let warning = &checked.diagnostics().0[0];
    assert_eq!(
        warning.message,
        "no model is declared, so metric `model.retrains` is always 0"
    );
    let span = warning.primary_span().unwrap();
    assert_eq!(
        &text[span.start as usize..span.end as usize],
        "\"model.retrains\""
    );
}
