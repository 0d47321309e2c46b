//! Syntax diagnostics as a user sees them: each file of `tests/fixtures/syntax/err` is parsed
//! and its rendered report snapshot-tested together with the source, and every syntax code
//! must be shown by at least one of them. Files in `tests/fixtures/syntax/ok`, every shipped
//! `.pipesim` file and every `pipesim` block of the documentation must parse without a
//! syntax error.

use pipesim::diagnostic::{self, Style};
use pipesim::source::{Origin, SourceMap};
use pipesim::syntax;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/syntax")
}

/// The source with line numbers, then the rendered report.
fn report(name: &str, text: &str) -> (String, Vec<&'static str>) {
    let mut map = SourceMap::new();
    let id = map.add(name, Origin::Inline, text.to_string());
    let (_, diagnostics) = syntax::parse_file(id, text);
    let rendered = diagnostic::render(&map, &diagnostics, Style::Colourless, 80);
    let numbered: String = text
        .lines()
        .enumerate()
        .map(|(i, line)| format!("{:>3} | {line}\n", i + 1))
        .collect();
    let codes = diagnostics.iter().map(|d| d.code).collect();
    (format!("{numbered}\n{rendered}"), codes)
}

#[test]
fn syntax_errors_render_with_labels_and_help() {
    insta::glob!("../fixtures/syntax/err", "*.pipesim", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let (report, codes) = report(&name, &text);
        assert!(!codes.is_empty(), "{name} has no syntax error");
        // The file name says which code it shows.
        if let Some(code) = name.split('_').next().filter(|c| c.starts_with('e')) {
            assert_eq!(codes[0], code.to_uppercase(), "{name}");
        }
        insta::assert_snapshot!(report);
    });
}

#[test]
fn every_syntax_code_is_shown_by_a_fixture() {
    let mut shown = BTreeSet::new();
    for entry in std::fs::read_dir(fixtures().join("err")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        shown.extend(report("f", &text).1);
    }
    let mut map = SourceMap::new();
    if let Err(d) = pipesim::frontend::parse_override(&mut map, "gpu.capacity") {
        shown.insert(d.code);
    }
    let missing: Vec<_> = syntax::CODES
        .iter()
        .filter(|(code, _)| !shown.contains(code))
        .collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
}

#[test]
fn a_set_option_without_equals_is_explained() {
    let mut map = SourceMap::new();
    let error = pipesim::frontend::parse_override(&mut map, "gpu.capacity").unwrap_err();
    insta::assert_snapshot!(diagnostic::render(&map, &[error], Style::Colourless, 80));
}

#[test]
fn a_set_path_that_names_nothing_is_blamed_on_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.pipesim");
    std::fs::write(
        &file,
        "scenario s { horizon = 1d }\nresource gpu { kind = pool  capacity = 2 }\n",
    )
    .unwrap();
    let checked = pipesim::frontend::check_file(&file, &["gpu.capacty=3".to_string()]);
    let errors = &checked.diagnostics().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "E0801");
    let span = errors[0].primary_span().unwrap();
    assert_eq!(checked.sources.get(span.file).slice(span), "gpu.capacty");
    assert_eq!(errors[0].help.as_deref(), Some("did you mean `capacity`?"));
}

/// Every `.pipesim` file under `dir`, recursively.
fn pipesim_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            pipesim_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "pipesim") {
            out.push(path);
        }
    }
}

#[test]
fn shipped_and_valid_files_have_no_syntax_errors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "scenarios",
        "stdlib",
        "tests/fixtures/syntax/ok",
        "tests/fixtures/fmt",
    ] {
        pipesim_files(&root.join(dir), &mut files);
    }
    files.push(fixtures().join("language_example.pipesim"));
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let (report, codes) = report(&path.display().to_string(), &text);
        assert!(codes.is_empty(), "{report}");
    }
}

/// The `pipesim` code blocks of the README and the documentation, with where they are.
pub fn documentation_blocks() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut docs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        docs.sort();
        files.extend(
            docs.into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "md")),
        );
    }
    let mut blocks = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let mut current: Option<(usize, String)> = None;
        for (number, line) in text.lines().enumerate() {
            match &mut current {
                None if line.trim_start().starts_with("```pipesim") => {
                    current = Some((number + 1, String::new()))
                }
                Some((start, block)) if line.trim_start().starts_with("```") => {
                    blocks.push((format!("{}:{start}", file.display()), std::mem::take(block)));
                    current = None;
                }
                Some((_, block)) => {
                    block.push_str(line);
                    block.push('\n');
                }
                None => {}
            }
        }
    }
    blocks
}

#[test]
fn documentation_blocks_have_no_syntax_errors() {
    let blocks = documentation_blocks();
    assert!(!blocks.is_empty(), "the README shows a scenario");
    for (name, text) in blocks {
        let (report, codes) = report(&name, &text);
        assert!(codes.is_empty(), "{report}");
    }
}
