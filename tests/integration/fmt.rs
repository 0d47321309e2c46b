//! `pipesim fmt`: the canonical layout keeps what a file means and every comment, and
//! formatting twice changes nothing. Checked over every `.pipesim` file in the repository
//! (scenarios, standard library, fixtures), over each of them with any one line removed, and
//! snapshot-tested on badly formatted fixtures; the command is run as a user would.

use pipesim::format;
use pipesim::source::FileId;
use pipesim::syntax;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pipesim_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            pipesim_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "pipesim") {
            out.push(path);
        }
    }
}

/// Every `.pipesim` file that is meant to parse: shipped files and valid fixtures.
fn valid_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "scenarios",
        "stdlib",
        "tests/fixtures/fmt",
        "tests/fixtures/syntax/ok",
    ] {
        pipesim_files(&root().join(dir), &mut files);
    }
    files.push(root().join("tests/fixtures/syntax/language_example.pipesim"));
    files
}

/// The comments' texts, sorted (a comment inside an expression may move after its entry).
fn comment_texts(file: &syntax::ast::File) -> Vec<String> {
    let mut texts: Vec<String> = file
        .comments
        .iter()
        .map(|c| c.text.trim_end().to_string())
        .collect();
    texts.sort();
    texts
}

/// Formats `text` and checks that the result means the same, keeps every comment, and is
/// its own formatting. Returns the formatted text.
fn check_formatting(name: &str, text: &str) -> String {
    let formatted = match format::format_source(FileId(0), text) {
        Ok(formatted) => formatted,
        Err(diagnostics) => panic!("{name} does not parse: {diagnostics:#?}"),
    };
    let (mut before, _) = syntax::parse_file(FileId(0), text);
    let (mut after, diagnostics) = syntax::parse_file(FileId(0), &formatted);
    assert!(
        diagnostics.is_empty(),
        "{name}: the formatted text does not parse: {diagnostics:#?}\n{formatted}"
    );
    assert_eq!(
        comment_texts(&before),
        comment_texts(&after),
        "{name}: comments changed\n{formatted}"
    );
    format::erase_spans(&mut before);
    format::erase_spans(&mut after);
    assert_eq!(
        before.items, after.items,
        "{name}: formatting changed the meaning\n{formatted}"
    );
    let again = format::format_source(FileId(0), &formatted).unwrap();
    assert_eq!(
        again, formatted,
        "{name}: formatting twice changes the text"
    );
    formatted
}

/// The files we ship are examples of the canonical layout: `pipesim fmt --check` passes on
/// them, so a user who copies one into a repository that checks formatting starts clean.
#[test]
fn shipped_files_are_in_the_canonical_layout() {
    let mut files = Vec::new();
    for dir in ["scenarios", "stdlib"] {
        pipesim_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 5, "found only {files:?}");
    let unformatted: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).expect("readable");
            format::format_source(FileId(0), &text).ok().as_deref() != Some(text.as_str())
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        unformatted.is_empty(),
        "not in the canonical layout (run `pipesim fmt` on them): {unformatted:?}"
    );
}

#[test]
fn formatting_keeps_meaning_and_comments_and_is_idempotent() {
    let files = valid_files();
    assert!(files.len() >= 6, "too few files found: {files:?}");
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        check_formatting(&path.display().to_string(), &text);
    }
}

#[test]
fn documentation_blocks_format_without_changing_meaning() {
    for (name, text) in super::syntax::documentation_blocks() {
        check_formatting(&name, &text);
    }
}

#[test]
fn formatting_holds_with_any_one_line_removed() {
    for path in valid_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for removed in 0..lines.len() {
            let mutated: String = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != removed)
                .map(|(_, l)| *l)
                .collect();
            if syntax::parse_file(FileId(0), &mutated).1.is_empty() {
                let name = format!("{} without line {}", path.display(), removed + 1);
                check_formatting(&name, &mutated);
            }
        }
    }
}

#[test]
fn badly_formatted_files_get_the_canonical_layout() {
    insta::glob!("../fixtures/fmt", "*.pipesim", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let formatted = check_formatting(&path.display().to_string(), &text);
        insta::assert_snapshot!(format!("{text}\n=== formatted ===\n{formatted}"));
    });
}

/// A block comment before a list's element stays before it, and the comments between the
/// parts of an `if` stay in the order they were written (they were once moved after the
/// entry, behind its trailing comment, and a comment before `0.5` ended the row before it).
#[test]
fn comments_before_elements_and_inside_if_keep_their_order() {
    let written_order = |text: &str| -> Vec<String> {
        let (file, _) = syntax::parse_file(FileId(0), text);
        file.comments.iter().map(|c| c.text.clone()).collect()
    };
    for name in ["block_comments_before_elements", "comments_in_if"] {
        let path = root().join(format!("tests/fixtures/fmt/{name}.pipesim"));
        let text = std::fs::read_to_string(path).unwrap();
        let formatted = check_formatting(name, &text);
        assert_eq!(
            written_order(&text),
            written_order(&formatted),
            "{name}\n{formatted}"
        );
    }
    let days = "profile d { days = [1, 1, 1, 1, 1, /* weekend */ 0.5, 0.5] }\n";
    assert!(
        check_formatting("days", days).contains("1, /* weekend */ 0.5, 0.5,"),
        "{}",
        check_formatting("days", days)
    );
    let branches = "pipeline p { task t { x = if a then 1 /* one */ else 2 // two\n } }\n";
    assert_eq!(
        check_formatting("branches", branches),
        "pipeline p {\n  task t {\n    x = if a\n      then 1  /* one */\n      else 2  // two\n  }\n}\n"
    );
}

#[test]
fn the_language_example_keeps_its_layout() {
    let text =
        std::fs::read_to_string(root().join("tests/fixtures/syntax/language_example.pipesim"))
            .unwrap();
    insta::assert_snapshot!(check_formatting("example", &text));
}

/// A file keeps its line endings, by its first line (as rustfmt's `newline_style = "Auto"`),
/// and its byte-order mark: a repository checked out with CRLF on Windows passes `fmt --check`
/// when its layout is right.
#[test]
fn windows_line_endings_and_empty_files_are_handled() {
    let crlf = "resource cpu {\r\n  kind = pool // pool\r\n  capacity = 64\r\n}\r\n";
    assert_eq!(
        check_formatting("crlf", crlf),
        "resource cpu {\r\n  kind     = pool  // pool\r\n  capacity = 64\r\n}\r\n"
    );
    // Mixed endings take the first line's.
    assert_eq!(
        check_formatting(
            "mixed",
            "// a\nresource cpu { kind = pool }\r\nresource gpu { kind = pool }\r\n"
        ),
        "// a\nresource cpu { kind = pool }\nresource gpu { kind = pool }\n"
    );
    // A block comment's own line endings follow the file's: it is copied as written, and
    // once gained a `\r` at each of its lines on every run.
    assert_eq!(
        check_formatting(
            "crlf comment",
            "/* a\r\n   b */\r\nscenario s { horizon = 1d }\r\n"
        ),
        "/* a\r\n   b */\r\nscenario s { horizon = 1d }\r\n"
    );
    // In a file of mixed endings, a comment's take the first line's too.
    assert_eq!(
        format::format_source(
            FileId(0),
            "// a\n/* b\r\n c */\nscenario s { horizon = 1d }\n"
        )
        .unwrap(),
        "// a\n/* b\n c */\nscenario s { horizon = 1d }\n"
    );
    let bom = "\u{feff}resource cpu { kind = pool capacity = 64 }\r\n";
    assert_eq!(
        check_formatting("bom", bom),
        "\u{feff}resource cpu { kind = pool  capacity = 64 }\r\n"
    );
    assert_eq!(check_formatting("empty", ""), "");
    assert_eq!(check_formatting("blank", "\n\n  \n"), "");
    assert_eq!(check_formatting("comment", "// only\n\n\n"), "// only\n");
}

// --- the command ---------------------------------------------------------------------------

fn pipesim(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

const MESSY: &str = "resource cpu{kind=pool capacity=64}\n";
const TIDY: &str = "resource cpu { kind = pool  capacity = 64 }\n";

#[test]
fn a_formatted_file_with_windows_line_endings_passes_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let text = "resource cpu { kind = pool  capacity = 64 }\r\n";
    std::fs::write(dir.path().join("a.pipesim"), text).unwrap();
    let (code, stdout, stderr) = pipesim(dir.path(), &["fmt", "--check", "a.pipesim"]);
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    std::fs::write(
        dir.path().join("a.pipesim"),
        "resource cpu { kind = pool capacity = 64 }\r\n",
    )
    .unwrap();
    let (code, _, stderr) = pipesim(dir.path(), &["fmt", "a.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.pipesim")).unwrap(),
        text
    );
}

#[test]
fn check_names_the_files_that_would_change_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("messy.pipesim"), MESSY).unwrap();
    std::fs::write(dir.path().join("tidy.pipesim"), TIDY).unwrap();
    let (code, stdout, _) = pipesim(
        dir.path(),
        &["fmt", "--check", "messy.pipesim", "tidy.pipesim"],
    );
    assert_eq!((code, stdout.as_str()), (1, "messy.pipesim\n"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.pipesim")).unwrap(),
        MESSY
    );
    let (code, stdout, _) = pipesim(dir.path(), &["fmt", "--check", "tidy.pipesim"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[test]
fn fmt_rewrites_files_in_place_and_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("messy.pipesim"), MESSY).unwrap();
    let (code, stdout, _) = pipesim(dir.path(), &["fmt", "messy.pipesim"]);
    assert_eq!((code, stdout.as_str()), (0, ""));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.pipesim")).unwrap(),
        TIDY
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["messy.pipesim"]);
}

#[test]
fn files_with_syntax_errors_are_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let broken = "resource cpu{kind=pool capacity 64}\n";
    std::fs::write(dir.path().join("broken.pipesim"), broken).unwrap();
    std::fs::write(dir.path().join("messy.pipesim"), MESSY).unwrap();
    let (code, _, stderr) = pipesim(dir.path(), &["fmt", "broken.pipesim", "messy.pipesim"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("E0001"), "{stderr}");
    assert!(
        stderr.contains("broken.pipesim: not formatted because of syntax errors"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("broken.pipesim")).unwrap(),
        broken
    );
    // The other file is still formatted.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("messy.pipesim")).unwrap(),
        TIDY
    );
}

#[test]
fn an_unreadable_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = pipesim(dir.path(), &["fmt", "missing.pipesim"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read `missing.pipesim`"), "{stderr}");
}

#[test]
fn a_dash_formats_standard_input_to_standard_output() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(MESSY.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), TIDY);
}

/// `pipesim fmt --check DIR` (a CI step) names each file under the folder that would change;
/// `pipesim fmt DIR` rewrites them.
#[test]
fn a_folder_formats_every_scenario_under_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("scenarios/lib")).unwrap();
    std::fs::write(dir.path().join("scenarios/lib/messy.pipesim"), MESSY).unwrap();
    std::fs::write(dir.path().join("scenarios/tidy.pipesim"), TIDY).unwrap();
    let (code, stdout, _) = pipesim(dir.path(), &["fmt", "--check", "scenarios"]);
    assert_eq!((code, stdout.trim()), (1, "scenarios/lib/messy.pipesim"));
    let (code, _, stderr) = pipesim(dir.path(), &["fmt", "scenarios"]);
    assert_eq!(code, 0, "{stderr}");
    let formatted = std::fs::read_to_string(dir.path().join("scenarios/lib/messy.pipesim"));
    assert_eq!(formatted.unwrap(), TIDY);
}
