//! The shipped content as users meet it: every scenario and standard-library module checks
//! with no diagnostic at all (not even a warning), every scenario says which question it
//! answers and runs, every declaration of the standard library is documented, and the editor
//! snippets expand to text the parser accepts.

use pipesim::source::{Origin, SourceMap};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pipesim_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "pipesim"))
        .collect();
    files.sort();
    files
}

#[test]
fn scenarios_and_stdlib_check_without_any_diagnostic() {
    let mut files = pipesim_files("scenarios");
    files.extend(pipesim_files("stdlib"));
    assert!(
        files.len() >= 10,
        "expected the shipped files, found {files:?}"
    );
    for path in files {
        let checked = pipesim::frontend::check_file(&path, &[]);
        let diagnostics = &checked.diagnostics().0;
        assert!(
            diagnostics.is_empty(),
            "{} is not clean:\n{}",
            path.display(),
            pipesim::diagnostic::render(
                &checked.sources,
                diagnostics,
                pipesim::diagnostic::Style::Colourless,
                100
            )
        );
    }
}

#[test]
fn every_scenario_opens_with_its_question_and_answer() {
    for path in pipesim_files("scenarios") {
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("// Question"),
            "{} must open with `// Question: ...`",
            path.display()
        );
        let header: String = text
            .lines()
            .take_while(|line| line.starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            header.contains("// Answer"),
            "{} must state the answer it gives in its header",
            path.display()
        );
    }
}

#[test]
fn every_stdlib_declaration_has_a_comment_above_it() {
    let kinds = [
        "scenario ",
        "resource ",
        "dataset ",
        "pipeline ",
        "profile ",
        "arrivals ",
        "monitor ",
        "experiment ",
    ];
    for path in pipesim_files("stdlib") {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            if kinds.iter().any(|k| line.starts_with(k)) {
                assert!(
                    index > 0 && lines[index - 1].starts_with("//"),
                    "{}:{}: `{line}` has no comment saying what it is",
                    path.display(),
                    index + 1
                );
            }
        }
    }
}

#[test]
fn every_scenario_runs() {
    // One replication each, without traces: this catches scenarios the engine rejects or
    // that stop running, not their statistics (the headers quote those).
    for path in pipesim_files("scenarios") {
        let out = tempfile::tempdir().unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
            .args(["run", path.to_str().unwrap(), "--replications", "1"])
            .args(["--trace", "none", "--format", "json", "--out"])
            .arg(out.path().join("run"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{} does not run:\n{}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let points = summary["points"].as_array().expect("points");
        assert!(!points.is_empty());
        for point in points {
            let completed = point["metrics"]["pipeline.completed"]["mean"]
                .as_f64()
                .expect("pipeline.completed");
            assert!(completed > 0.0, "{}: nothing completed", path.display());
        }
    }
}

/// A snippet body with each placeholder replaced by its default (`${1:gpu}` → `gpu`,
/// `${3|fifo,sjf|}` → `fifo`, `$0` → nothing) and `\}` unescaped.
fn expand_snippet(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(start) = rest.find('$') {
        out.push_str(&rest[..start]);
        if !rest[start + 1..].starts_with('{') {
            // A bare tab stop such as `$0`.
            let digits = rest[start + 1..]
                .chars()
                .take_while(|c| c.is_ascii_digit())
                .count();
            rest = &rest[start + 1 + digits..];
            continue;
        }
        let after = &rest[start + 2..];
        let digits = after.chars().take_while(|c| c.is_ascii_digit()).count();
        let tail = &after[digits..];
        let (value, consumed) = if let Some(choices) = tail.strip_prefix('|') {
            let end = choices.find("|}").expect("choice closes");
            let first = choices[..end].split(',').next().unwrap();
            (first.to_string(), digits + 1 + end + 2)
        } else if let Some(default) = tail.strip_prefix(':') {
            // The default runs to the `}` that is not escaped.
            let mut end = 0;
            let bytes = default.as_bytes();
            while bytes[end] != b'}' || (end > 0 && bytes[end - 1] == b'\\') {
                end += 1;
            }
            (default[..end].replace("\\}", "}"), digits + 1 + end + 1)
        } else {
            (String::new(), digits + 1)
        };
        out.push_str(&value);
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

#[test]
fn editor_snippets_expand_to_valid_syntax() {
    let path = root().join("editors/vscode/snippets/pipesim.json");
    let snippets: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let snippets = snippets.as_object().unwrap();
    for kind in [
        "import",
        "scenario",
        "resource",
        "dataset",
        "pipeline",
        "profile",
        "arrivals",
        "monitor",
        "experiment",
    ] {
        assert!(
            snippets.values().any(|s| s["prefix"] == kind),
            "no snippet for `{kind}`"
        );
    }
    for (name, snippet) in snippets {
        let body: Vec<&str> = snippet["body"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| line.as_str().unwrap())
            .collect();
        let mut text = expand_snippet(&body.join("\n"));
        // Steps and nested blocks live inside a pipeline.
        let first_word = text.split_whitespace().next().unwrap_or("");
        if [
            "preprocess",
            "train",
            "validate",
            "compress",
            "task",
            "model",
        ]
        .contains(&first_word)
        {
            text = format!("pipeline p {{\n{text}\n}}\n");
        }
        let mut sources = SourceMap::new();
        let id = sources.add(name.clone(), Origin::Inline, text.clone());
        let (_, diagnostics) = pipesim::syntax::parse_file(id, &text);
        assert!(
            diagnostics.is_empty(),
            "snippet `{name}` expands to invalid syntax:\n{text}\n{}",
            pipesim::diagnostic::render(
                &sources,
                &diagnostics,
                pipesim::diagnostic::Style::Colourless,
                100
            )
        );
    }
}

#[test]
fn expand_snippet_fills_defaults_and_choices() {
    assert_eq!(
        expand_snippet("resource ${1:gpu} { policy = ${2|fifo,sjf|} }$0"),
        "resource gpu { policy = fifo }"
    );
    assert_eq!(
        expand_snippet("p = ${4:choice { a: 1 \\}}"),
        "p = choice { a: 1 }"
    );
}

#[test]
fn scenarios_and_stdlib_are_in_the_canonical_layout() {
    // Users open these files first; formatting them on save must not rewrite them.
    let mut files = pipesim_files("scenarios");
    files.extend(pipesim_files("stdlib"));
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut sources = SourceMap::new();
        let id = sources.add(path.display().to_string(), Origin::Inline, text.clone());
        let formatted = pipesim::format::format_source(id, &text).expect("parses");
        assert!(
            formatted == text,
            "{} is not in the canonical layout: run `pipesim fmt scenarios/*.pipesim \
             stdlib/*.pipesim`",
            path.display()
        );
    }
}

#[test]
fn shipped_data_carries_its_licenses_and_attribution() {
    // Data nobody on this project wrote ships with its licenses and a README that credits it.
    for entry in std::fs::read_dir(root().join("scenarios/data")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n == "README.md"),
            "{} has no README.md",
            dir.display()
        );
        assert!(
            names.iter().any(|n| n.starts_with("LICENSE")),
            "{} has no LICENSE file",
            dir.display()
        );
    }
    let readme = std::fs::read_to_string(root().join("scenarios/data/philly/README.md")).unwrap();
    assert!(
        readme.contains("Jeon") && readme.contains("LICENSE-CC-BY-4.0.txt"),
        "the Philly README must credit Jeon et al. and name the CC BY 4.0 license"
    );
}
