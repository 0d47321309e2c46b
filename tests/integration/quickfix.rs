//! `pipesim check --fix` and `--diff`: the quick fixes of the invalid corpus applied and
//! checked again, and the real binary rewriting files on disk (a scenario and the module it
//! imports) or showing the diff and writing nothing.

use pipesim::loader::Unsaved;
use pipesim::{frontend, quickfix};
use std::path::{Path, PathBuf};
use std::process::Command;

const ERR_DIR: &str = "tests/fixtures/check/err";

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(ERR_DIR)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pipesim"))
        .collect();
    files.sort();
    files
}

/// Each fixture holds one mistake. Where its diagnostic offers a fix, `--fix` keeps one and
/// the file then checks without errors, or keeps none and says so (a guess that would not
/// mend it); where it offers none, nothing changes. Every fix
/// offered edits something (one that edits nothing would be offered in vain). The snapshot
/// lists what was fixed, file by file.
#[test]
fn check_fix_mends_each_mistake_of_the_corpus_that_offers_a_fix() {
    let mut listing = String::new();
    for path in fixtures() {
        let checked = frontend::check_file(&path, &[]);
        let mut offered = 0;
        for d in &checked.diagnostics().0 {
            for fix in d.suggested_fixes(&checked.sources) {
                assert!(!fix.edits.is_empty(), "{}: `{}`", path.display(), fix.title);
                offered += 1;
            }
        }
        let mut unsaved = Unsaved::new();
        let mended = quickfix::mend(&path, &[], &mut unsaved, &[]);
        let name = path.file_name().unwrap().to_string_lossy();
        if offered == 0 {
            assert!(mended.applied.is_empty(), "{name}");
            assert!(unsaved.is_empty(), "{name}");
            continue;
        }
        assert!(
            mended.applied.is_empty() || !mended.checked.has_errors(),
            "{name}: errors remain: {:#?}",
            mended.checked.diagnostics().0
        );
        assert_eq!(
            mended.applied.is_empty(),
            !mended.dropped.is_empty(),
            "{name}: one mistake, mended or not"
        );
        let left: Vec<&str> = mended
            .checked
            .diagnostics()
            .0
            .iter()
            .map(|d| d.code)
            .collect();
        listing.push_str(&format!("{name}\n"));
        for fix in &mended.applied {
            listing.push_str(&format!("  [{}] {}\n", fix.code, fix.title));
        }
        for fix in &mended.dropped {
            listing.push_str(&format!("  not kept: [{}] {}\n", fix.code, fix.title));
        }
        if !left.is_empty() {
            listing.push_str(&format!("  left: {}\n", left.join(", ")));
        }
    }
    insta::assert_snapshot!(listing);
}

/// Runs `pipesim ARGS` in `dir`: exit code, stdout and stderr.
pub(crate) fn pipesim(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pipesim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run pipesim");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    )
}

const LIBRARY: &str = "resource gpu { kind = pool  capacity = 4 }\n\
                       dataset photos { siz = 2GB }\n\
                       pipeline edge {\n  data = photos\n  train { on = gpu  duration = 1min }\n}\n";

const SCENARIO: &str = "import \"lib.pipesim\" as lib\n\
                        scenario s { horizon = 1d }\n\
                        resource cpu { kind = pool  capacity = 2 }\n\
                        pipeline mine {\n  data = lib.photos\n  \
                        preproces { on = cpuu  duration = lib.photos.size * 1s/GB }\n  \
                        train after preprocess { on = lib.gpu  duration = lib.photos.size * 2s/GB }\n}\n\
                        arrivals a {\n  interarrival = exponential(mean = 1h)\n  \
                        pipeline = choice { mine: 0.5, lib.edge: 0.5 }\n}\n";

/// A scenario with three mistakes, one of them hidden by another (the body of a step of an
/// unknown kind is not analysed) and one mended in the module it imports.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.pipesim"), LIBRARY).unwrap();
    std::fs::write(dir.path().join("main.pipesim"), SCENARIO).unwrap();
    dir
}

#[test]
fn check_diff_shows_the_fixes_and_writes_nothing() {
    let dir = project();
    let (code, stdout, stderr) = pipesim(dir.path(), &["check", "--diff", "main.pipesim"]);
    assert_eq!(code, 1, "a file would change: {stderr}");
    insta::assert_snapshot!(stdout);
    assert!(stderr.contains("main.pipesim: ok"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lib.pipesim")).unwrap(),
        LIBRARY
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.pipesim")).unwrap(),
        SCENARIO
    );

    let (code, _, stderr) = pipesim(
        dir.path(),
        &["check", "--diff", "--format", "json", "main.pipesim"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`--diff` prints the diff on stdout"),
        "{stderr}"
    );
}

#[test]
fn check_fix_rewrites_the_scenario_and_its_module() {
    let dir = project();
    let library = dir.path().join("lib.pipesim");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&library, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let (code, stdout, stderr) = pipesim(dir.path(), &["check", "--fix", "main.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    let fixed: Vec<&str> = stderr.lines().filter(|l| l.contains(": fixed [")).collect();
    assert_eq!(
        fixed,
        [
            "main.pipesim:6:3: fixed [E0209]: Change `preproces` to `preprocess`",
            // Where `cpuu` is in the file as written (the fix before it lengthened the line).
            "main.pipesim:6:20: fixed [E0202]: Change `cpuu` to `cpu`",
            "main.pipesim:6:37: fixed [E0202]: Rename `lib.photos.siz` to `lib.photos.size` where it is declared",
        ],
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.pipesim")).unwrap(),
        SCENARIO
            .replace("preproces {", "preprocess {")
            .replace("cpuu", "cpu")
    );
    assert_eq!(
        std::fs::read_to_string(&library).unwrap(),
        LIBRARY.replace("siz =", "size =")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&library).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640, "the module keeps its permissions");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.ends_with(".pipesim"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let (code, _, stderr) = pipesim(dir.path(), &["check", "main.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = pipesim(dir.path(), &["check", "--diff", "main.pipesim"]);
    assert_eq!(code, 0, "nothing left to fix: {stderr}");
}

/// A fix is a guess: `trian` is nearest to the step kind `train`, but the pipeline has a
/// `train` step already. The fix gives an error where it writes, so it is not kept, and
/// `check` says so.
#[test]
fn check_fix_leaves_a_fix_that_does_not_mend_its_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let text = "scenario s { horizon = 1d }\n\
                resource gpu { kind = pool  capacity = 2 }\n\
                pipeline p {\n  train { on = gpu  duration = 1min }\n  \
                trian after train { on = gpu  duration = 1min }\n}\n\
                arrivals a { interarrival = exponential(mean = 1h)  pipeline = p }\n";
    let path = dir.path().join("wrong.pipesim");
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = pipesim(dir.path(), &["check", "--fix", "wrong.pipesim"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "wrong.pipesim:5:3: not fixed [E0001]: Change `trian` to `train` would not mend it\n"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("`trian` is not a kind of step"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

/// A misspelt import alias is renamed in the one `import` line, unless something uses the
/// alias as it is written there, or the alias is the name of the file it imports: then the
/// other spelling is the slip.
#[test]
fn a_misspelt_import_alias_is_renamed_only_where_no_use_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let mend = |text: &str| -> (Vec<String>, String) {
        let path = dir.path().join("main.pipesim");
        std::fs::write(&path, text).unwrap();
        let mut unsaved = Unsaved::new();
        let mended = quickfix::mend(&path, &[], &mut unsaved, &[]);
        assert!(!mended.checked.has_errors(), "{text}");
        let titles = mended.applied.iter().map(|a| a.title.clone()).collect();
        let canonical = std::fs::canonicalize(&path).unwrap();
        (titles, unsaved.remove(&canonical).unwrap())
    };
    let scenario = |import: &str, profile: &str| {
        format!(
            "import \"std/aiops\" as {import}\n\
             scenario s {{ horizon = 1d }}\n\
             arrivals a {{ rate = 6/h  profile = {profile}.weekly  pipeline = aiops.classic }}\n"
        )
    };
    let (titles, text) = mend(&scenario("aiop", "aiops"));
    assert_eq!(titles, ["Rename the import `aiop` to `aiops`"]);
    assert_eq!(text, scenario("aiops", "aiops"));
    let (titles, text) = mend(&scenario("aiop", "aiop"));
    assert_eq!(titles, ["Change `aiops.classic` to `aiop.classic`"]);
    assert!(text.contains("pipeline = aiop.classic"), "{text}");
    let (titles, text) = mend(&scenario("aiops", "aiop"));
    assert_eq!(titles, ["Change `aiop.weekly` to `aiops.weekly`"]);
    assert_eq!(text, scenario("aiops", "aiops"));
}

/// Every word of four letters or more in the shipped scenarios (but the Philly replay, whose
/// trace makes each check slow) and the valid corpus, with its last letter dropped: what
/// `check --fix` makes of the typo. The mutated text is handed to `mend` as unsaved text, so
/// nothing is written. A fix may guess the other way round where a name is written once and
/// declared once (`on = batch` against `resource batc`: both spellings then agree), so not
/// every typo gives the original back; the share that does is held here, and no mend may
/// leave more errors than it found.
#[test]
fn check_fix_gives_back_the_original_of_most_one_letter_typos() {
    let mut files: Vec<PathBuf> = ["scenarios", "tests/fixtures/check/ok"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pipesim"))
        .filter(|p| !p.ends_with("philly_replay.pipesim"))
        .collect();
    files.sort();
    let (mut typos, mut restored, mut equivalent) = (0, 0, 0);
    for path in &files {
        let original = std::fs::read_to_string(path).unwrap();
        let canonical = std::fs::canonicalize(path).unwrap();
        let in_comment = |at: usize| {
            let line_start = original[..at].rfind('\n').map_or(0, |i| i + 1);
            original[line_start..at].contains("//")
        };
        let mut at = 0;
        let bytes = original.as_bytes();
        while at < bytes.len() {
            let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            if !is_word(bytes[at]) || (at > 0 && is_word(bytes[at - 1])) {
                at += 1;
                continue;
            }
            let end = (at..bytes.len())
                .find(|&i| !is_word(bytes[i]))
                .unwrap_or(bytes.len());
            let word = &original[at..end];
            let start = at;
            at = end;
            if word.len() < 4 || word.as_bytes()[0].is_ascii_digit() || in_comment(start) {
                continue;
            }
            let typo = format!("{}{}", &original[..end - 1], &original[end..]);
            let mut unsaved = Unsaved::new();
            unsaved.insert(canonical.clone(), typo.clone());
            let before = frontend::check_unsaved(path, &unsaved, &[]);
            if before.diagnostics().is_empty() {
                continue;
            }
            typos += 1;
            let errors = |checked: &frontend::Checked| {
                checked
                    .diagnostics()
                    .0
                    .iter()
                    .filter(|d| d.is_error())
                    .count()
            };
            let mended = quickfix::mend(path, &[], &mut unsaved, &[]);
            assert!(
                errors(&mended.checked) <= errors(&before),
                "{}: `{word}` at {start}: more errors after the fixes",
                path.display()
            );
            if unsaved[&canonical] == original && unsaved.len() == 1 {
                restored += 1;
            } else if !mended.applied.is_empty() && !mended.checked.has_errors() {
                equivalent += 1;
            }
        }
    }
    eprintln!("{typos} typos: {restored} restored, {equivalent} mended the other way round");
    assert!(typos > 800, "{typos}");
    assert!(
        restored * 100 >= typos * 93,
        "{restored} of {typos} restored"
    );
}

/// `gpu = 1` for `gpus = 1` in a pipeline whose steps run `on = gpu`: the attribute hides the
/// pool, so the steps' `on = gpu` does not make the attribute's spelling right. The fix
/// renames the attribute, which mends the `units = gpus` and the `on = gpu` at once.
#[test]
fn an_attribute_slipped_onto_a_pools_name_is_renamed_back() {
    let dir = tempfile::tempdir().unwrap();
    let text = |attribute: &str| {
        format!(
            "scenario s {{ horizon = 1d }}\n\
             resource gpu {{ kind = pool  capacity = 8 }}\n\
             pipeline job {{\n  {attribute} = 1\n  \
             train {{ on = gpu  units = gpus  duration = 1h }}\n  \
             compress {{ on = gpu  units = gpus  duration = 1min }}\n}}\n\
             arrivals a {{ rate = 1/h  pipeline = job }}\n"
        )
    };
    let path = dir.path().join("main.pipesim");
    std::fs::write(&path, text("gpu")).unwrap();
    let mut unsaved = Unsaved::new();
    let mended = quickfix::mend(&path, &[], &mut unsaved, &[]);
    let titles: Vec<&str> = mended.applied.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(titles, ["Rename `gpu` to `gpus` where it is declared"]);
    assert!(!mended.checked.has_errors());
    let canonical = std::fs::canonicalize(&path).unwrap();
    assert_eq!(unsaved[&canonical], text("gpus"));
}

/// `after` or `when` written in a step's body moves to its header, with the blanks before it,
/// or its whole line where it stood alone.
/// Writes `text` to `path` and mends it alone: the titles of the fixes kept, and the text
/// they make, which must check without errors.
fn mend_alone(path: &Path, text: &str) -> (Vec<String>, String) {
    std::fs::write(path, text).unwrap();
    let mut unsaved = Unsaved::new();
    let mended = quickfix::mend(path, &[], &mut unsaved, &[]);
    assert!(!mended.checked.has_errors());
    let titles = mended.applied.iter().map(|a| a.title.clone()).collect();
    let canonical = std::fs::canonicalize(path).unwrap();
    (titles, unsaved[&canonical].clone())
}

/// Removing a unit keeps a `%`, which is part of the number: `pass = 90%/d` is `90%`, never
/// `90`. A `growth` written per time (a rate of growth, which the language cannot express) is
/// offered no fix, since the number alone would multiply or cut the traffic.
#[test]
fn removing_a_unit_keeps_the_percent_and_leaves_a_growth_rate_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("units.pipesim");
    for growth in ["30%/w", "0.3%/d", "1.1/w"] {
        let text = format!(
            "scenario s {{ horizon = 7d }}\n\
             resource gpu {{ kind = pool capacity = 8 }}\n\
             pipeline p {{ train {{ on = gpu duration = 1h }} validate {{ on = gpu duration = 1min pass = 90%/d }} }}\n\
             arrivals a {{ rate = 6/h pipeline = p growth = {growth} }}\n"
        );
        std::fs::write(&path, &text).unwrap();
        let mut unsaved = Unsaved::new();
        let mended = quickfix::mend(&path, &[], &mut unsaved, &[]);
        let titles: Vec<&str> = mended.applied.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(titles, ["Write `90%`"], "{growth}");
        let canonical = std::fs::canonicalize(&path).unwrap();
        let after = &unsaved[&canonical];
        assert!(after.contains("pass = 90% }"), "{after}");
        assert!(after.contains(&format!("growth = {growth} }}")), "{after}");
        let left = &mended.checked.diagnostics().0;
        assert_eq!(left.len(), 1, "{left:#?}");
        let help = left[0].help.as_deref().unwrap();
        assert!(help.contains("write `1.3` for 30% more"), "{help}");
        assert!(help.contains("`start`/`stop`"), "{help}");
        assert!(!left[0].message.contains("/s)"), "{}", left[0].message);
    }
}

/// A fix that writes new lines into a file whose lines end in `\r\n` writes `\r\n` too, so a
/// Windows checkout is not left with mixed line endings.
#[test]
fn fixes_keep_a_files_windows_line_endings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let text = "scenario s {\n  horizon = 1d\n  replications = 10\n}\n\
                resource gpu { kind = pool  capacity = 4 }\n\
                pipeline p { train { on = gpu  duration = 1h } }\n\
                arrivals a { rate = 1/h  pipeline = p  profile = profiles.flat }\n"
        .replace('\n', "\r\n");
    let (titles, mended) = mend_alone(&path, &text);
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(mended.contains("experiment {\r\n"), "{mended:?}");
    assert!(
        mended.starts_with("import \"std/profiles\" as profiles\r\n"),
        "{mended:?}"
    );
    assert_eq!(
        mended.matches('\n').count(),
        mended.matches("\r\n").count(),
        "every line ends in CRLF: {mended:?}"
    );
}

/// A replayed trace without `time_column` gets the one column of date-times, written after
/// `trace` on a line of its own (in the file's line ending) or on the same line in a
/// one-line block; the fix is kept when the times it completes are outside the horizon,
/// which is reported at the trace's path next to it.
#[test]
fn a_replay_without_its_time_column_is_given_the_column_of_date_times() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("jobs.csv"),
        "job,submit_time\na,2017-10-03 09:00:00\nb,2017-10-03 10:12:00\n",
    )
    .unwrap();
    let path = dir.path().join("main.pipesim");
    let head = "scenario s { start = \"2017-10-02T00:00:00Z\"  horizon = 7d }\n\
                resource gpu { kind = pool  capacity = 4 }\n\
                pipeline p { train { on = gpu  duration = 1h } }\n";
    let block =
        format!("{head}arrivals a {{\n  trace    = \"jobs.csv\"  // a week\n  pipeline = p\n}}\n")
            .replace('\n', "\r\n");
    let (titles, mended) = mend_alone(&path, &block);
    assert_eq!(titles, ["Add `time_column = \"submit_time\"`"]);
    assert!(
        mended.contains("  trace    = \"jobs.csv\"  // a week\r\n  time_column = \"submit_time\"\r\n  pipeline = p"),
        "{mended:?}"
    );
    let line = format!("{head}arrivals a {{ trace = \"jobs.csv\"  pipeline = p }}\n");
    let (_, mended) = mend_alone(&path, &line);
    assert!(
        mended.contains("{ trace = \"jobs.csv\" time_column = \"submit_time\"  pipeline = p }"),
        "{mended:?}"
    );
    // Outside a one-day horizon: fixed all the same, and the rows are reported.
    std::fs::write(&path, block.replace("horizon = 7d", "horizon = 1d")).unwrap();
    let mended = quickfix::mend(&path, &[], &mut Unsaved::new(), &[]);
    assert_eq!(mended.applied.len(), 1);
    let codes: Vec<&str> = mended
        .checked
        .diagnostics()
        .0
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(codes, ["E0704"]);
}

#[test]
fn a_clause_written_in_a_steps_body_moves_to_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let text = "scenario s { horizon = 1d }\n\
                resource gpu { kind = pool  capacity = 4 }\n\
                pipeline p {\n  framework = choice { tf: 0.5, pt: 0.5 }\n  \
                preprocess { on = gpu  duration = 1min }\n  \
                train {\n    on = gpu\n    after = preprocess\n    duration = 1h\n  }\n  \
                compress { on = gpu  duration = 1min  when = framework == tf }\n}\n\
                arrivals a { rate = 1/h  pipeline = p }\n";
    let (titles, mended) = mend_alone(&path, text);
    assert_eq!(
        titles,
        [
            "Move `after preprocess` to the step's header",
            "Move `when framework == tf` to the step's header"
        ]
    );
    assert_eq!(
        mended,
        text.replace("train {", "train after preprocess {")
            .replace("    after = preprocess\n", "")
            .replace("compress {", "compress when framework == tf {")
            .replace("  when = framework == tf", "")
    );
}

/// An experiment's attribute written in the scenario block, and the scenario's written in the
/// experiment, each move into the block that takes it; a file without an experiment gets one.
#[test]
fn an_attribute_of_the_other_block_moves_into_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let rest = "resource gpu { kind = pool  capacity = 4 }\n\
                pipeline p {\n  train { on = gpu  duration = 1h }\n}\n\
                arrivals a { rate = 1/h  pipeline = p }\n";
    let text = format!(
        "scenario s {{\n  horizon = 10d\n  replications = 8\n}}\n{rest}\n\
         experiment {{\n  sweep gpu.capacity = [2, 4]\n  warmup = 1d\n}}\n"
    );
    let (titles, mended) = mend_alone(&path, &text);
    assert_eq!(
        titles,
        [
            "Move `replications = 8` into the `experiment`",
            "Move `warmup = 1d` into the `scenario`"
        ]
    );
    assert_eq!(
        mended,
        format!(
            "scenario s {{\n  horizon = 10d\n  warmup = 1d\n}}\n{rest}\n\
             experiment {{\n  sweep gpu.capacity = [2, 4]\n  replications = 8\n}}\n"
        )
    );

    let alone = format!("scenario s {{ horizon = 10d  replications = 8 }}\n{rest}");
    assert_eq!(
        mend_alone(&path, &alone).1,
        format!("scenario s {{ horizon = 10d }}\n{rest}\nexperiment {{\n  replications = 8\n}}\n")
    );
}

/// A fix that renames a module's declaration is checked against every file the command mends:
/// where one importer uses the declared spelling, the rename would break it, so the use in
/// the other importer is changed instead. Alone, that importer gets the rename.
#[test]
fn a_fix_in_a_module_does_not_break_another_file_of_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let library = "resource gpu { kind = pool  capacity = 4 }\ndataset photos { siz = 2GB }\n";
    let declared = "import \"lib.pipesim\" as lib\n\
                    scenario s { horizon = 1d }\n\
                    pipeline mine {\n  data = lib.photos\n  \
                    preprocess { on = lib.gpu  duration = lib.photos.siz * 1s/GB }\n  \
                    train { on = lib.gpu  duration = lib.photos.siz * 2s/GB }\n}\n\
                    arrivals a { interarrival = exponential(mean = 1h)  pipeline = mine }\n";
    let slipped = declared.replace("photos.siz", "photos.size");
    std::fs::write(dir.path().join("lib.pipesim"), library).unwrap();
    std::fs::write(dir.path().join("a.pipesim"), declared).unwrap();
    std::fs::write(dir.path().join("b.pipesim"), &slipped).unwrap();

    let (code, stdout, stderr) = pipesim(dir.path(), &["check", "--diff", "b.pipesim"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("+++ b/lib.pipesim") && !stdout.contains("+++ b/b.pipesim"),
        "alone, the declaration is renamed: {stdout}"
    );

    let (code, _, stderr) = pipesim(dir.path(), &["check", "--fix", "a.pipesim", "b.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "b.pipesim:5:41: fixed [E0202]: Change `lib.photos.size` to `lib.photos.siz`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("a.pipesim: ok") && stderr.contains("b.pipesim: ok"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("lib.pipesim")).unwrap(),
        library
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.pipesim")).unwrap(),
        declared
    );
}

/// A name used once, one slip from a declaration nothing else names: either may be the slip
/// (`on = batch` against `resource batc`). The use is changed first, as for most typos; the
/// declaration's rename is offered second, for an editor's user to choose.
#[test]
fn a_name_used_once_is_offered_the_declarations_rename_second() {
    let dir = tempfile::tempdir().unwrap();
    let text = "scenario s { horizon = 1d }\n\
                resource batc { kind = pool  capacity = 2 }\n\
                pipeline p {\n  train { on = batch  duration = 1min }\n}\n\
                arrivals a { interarrival = exponential(mean = 1h)  pipeline = p }\n";
    std::fs::write(dir.path().join("once.pipesim"), text).unwrap();
    let (code, stdout, stderr) =
        pipesim(dir.path(), &["check", "--format", "json", "once.pipesim"]);
    assert_eq!(code, 1, "{stderr}");
    let diagnostics: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let titles: Vec<&str> = diagnostics[0]["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|fix| fix["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Change `batch` to `batc`",
            "Rename `batc` to `batch` where it is declared"
        ]
    );
    let rename = &diagnostics[0]["fixes"][1]["edits"][0];
    assert_eq!(
        (rename["line"].as_u64(), rename["column"].as_u64()),
        (Some(2), Some(10))
    );
    assert_eq!(rename["replacement"], "batch");
}

/// Commas between attributes, more than one in a block (or in several blocks of one
/// declaration), are one report, and `--fix` removes them all: removing the first alone
/// would leave the next reported in its place, and the fix would not be kept.
#[test]
fn every_comma_between_attributes_goes_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let text = "resource gpu { kind = pool capacity = 2 }\n\
                resource cpu { kind = pool capacity = 2 }\n\
                pipeline p {\n  train { on = gpu, duration = 1h, units = 1 }\n  \
                validate after train { on = cpu, duration = 1h, pass = 0.95 }\n}\n\
                arrivals a { rate = 1/h pipeline = p }\n\
                scenario s { horizon = 1d }\n";
    let checked = frontend::check_file(&path_with(&path, text), &[]);
    let diagnostics = &checked.diagnostics().0;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0].labels.len(), 4, "{diagnostics:#?}");
    let (titles, mended) = mend_alone(&path, text);
    assert_eq!(titles, ["Remove the 4 `,`"]);
    assert_eq!(mended, text.replace(", ", " "));

    let (code, _, stderr) = pipesim(dir.path(), &["check", "--fix", "main.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("main.pipesim:4:19: fixed [E0001]: Remove the 4 `,`"),
        "{stderr}"
    );
    assert!(!stderr.contains("not fixed"), "{stderr}");
}

/// Writes `text` to `path`, and gives `path` back.
fn path_with(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// An experiment's attribute written in the scenario is not moved into a new `experiment`
/// where the file has one that did not parse: that would be a second one once its slip is
/// mended. `--fix` mends the slip, then moves the attribute into it.
#[test]
fn a_misplaced_attribute_does_not_start_a_second_experiment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let head = "scenario s {\n  horizon = 1d\n  replications = 5\n}\n";
    let rest = "resource gpu { kind = pool capacity = 2 }\n\
                pipeline p {\n  train { on = gpu duration = 1h }\n}\n\
                arrivals a { rate = 1/h pipeline = p }\n";
    let text = format!(
        "{head}{rest}experiment {{\n  sweep gpu.capacity = [1, 2]\n  confidence = 0.9,\n}}\n"
    );
    let checked = frontend::check_file(&path_with(&path, &text), &[]);
    let moves: Vec<String> = checked
        .diagnostics()
        .0
        .iter()
        .flat_map(|d| d.suggested_fixes(&checked.sources))
        .map(|fix| fix.title)
        .filter(|title| title.starts_with("Move"))
        .collect();
    assert!(moves.is_empty(), "{moves:?}");
    let (titles, mended) = mend_alone(&path, &text);
    assert_eq!(
        titles,
        [
            "Remove the `,`",
            "Move `replications = 5` into the `experiment`"
        ]
    );
    assert_eq!(
        mended,
        format!(
            "scenario s {{\n  horizon = 1d\n}}\n{rest}experiment {{\n  sweep gpu.capacity = [1, 2]\n  confidence = 0.9\n  replications = 5\n}}\n"
        )
    );
}

/// A unit written after a space is joined to its number in every expression, not only at
/// the top of a value: in a call's argument, in a list (every one of the list at once) and
/// in a function's arguments; `check --fix` leaves a file that passes.
#[test]
fn a_spaced_unit_inside_a_call_or_list_is_joined() {
    let dir = tempfile::tempdir().unwrap();
    let text = "scenario s { horizon = 7d }\n\
                resource gpu { kind = pool capacity = 2 }\n\
                pipeline p {\n  \
                preprocess { on = gpu duration = exponential(mean = 2 min) }\n  \
                train after preprocess { on = gpu duration = lognormal(median = 20 minutes, sigma = 1) }\n  \
                validate after train { on = gpu duration = min(2 h, 3h) }\n}\n\
                arrivals a { rate = 1/h pipeline = p }\n\
                experiment {\n  replications = 2\n  sweep scenario.horizon = [7 days, 2 weeks]\n}\n";
    let path = dir.path().join("main.pipesim");
    let (titles, mended) = mend_alone(&path, text);
    assert_eq!(
        titles,
        [
            "Write `2min`",
            "Write `20min`",
            "Write `2h`",
            "Write `7d` and `2w`"
        ]
    );
    assert_eq!(
        mended,
        text.replace("2 min", "2min")
            .replace("20 minutes", "20min")
            .replace("2 h,", "2h,")
            .replace("[7 days, 2 weeks]", "[7d, 2w]")
    );
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = pipesim(dir.path(), &["check", "--fix", "main.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("not fixed"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), mended);
}

/// `--set` gets the same help as a file, naming the value to write; no fix, since no file
/// holds the command line.
#[test]
fn a_spaced_unit_in_a_set_value_is_explained() {
    let mut map = pipesim::source::SourceMap::new();
    let error =
        pipesim::frontend::parse_override(&mut map, "scenario.horizon=2 weeks").unwrap_err();
    assert_eq!(error.code, "E0001");
    assert_eq!(
        error.help.as_deref(),
        Some("a unit is written directly after its number, without a space, and weeks are written `w`: `2w`")
    );
    assert!(error.repair.is_none());
}

/// A singular unit's help names the unit in the plural: "days are written `d`", never "day
/// are written".
#[test]
fn a_singular_spaced_unit_reads_as_english() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let text = "scenario s { horizon = 7d warmup = 1 day }\n";
    let checked = frontend::check_file(&path_with(&path, text), &[]);
    let helps: Vec<_> = checked
        .diagnostics()
        .0
        .iter()
        .filter_map(|d| d.help.clone())
        .collect();
    assert_eq!(
        helps,
        ["a unit is written directly after its number, without a space, and days are written `d`: `1d`"]
    );
}

/// `after NAME, NAME` and `when CONDITION` written in a step's body without `=` move to its
/// header (`after` before a `when` there), and `check --fix` leaves a file that passes.
#[test]
fn a_clause_written_in_a_steps_body_without_equals_moves_to_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let text = "scenario s { horizon = 1d }\n\
                resource gpu { kind = pool  capacity = 4 }\n\
                pipeline p {\n  framework = choice { tf: 0.5, pt: 0.5 }\n  \
                preprocess { on = gpu  duration = 1min }\n  \
                train { on = gpu duration = 1h after preprocess }\n  \
                validate when framework == tf {\n    on = gpu\n    after train, preprocess\n    duration = 1min\n  }\n  \
                compress after train {\n    on = gpu\n    when framework == pt\n    duration = 1min\n  }\n}\n\
                arrivals a { rate = 1/h  pipeline = p }\n";
    let (titles, mended) = mend_alone(&path, text);
    assert_eq!(
        titles,
        [
            "Move `after preprocess` to the step's header",
            "Move `after train, preprocess` to the step's header",
            "Move `when framework == pt` to the step's header"
        ]
    );
    assert_eq!(
        mended,
        text.replace(
            "train { on = gpu duration = 1h after preprocess }",
            "train after preprocess { on = gpu duration = 1h }"
        )
        .replace("validate when", "validate after train, preprocess when")
        .replace("    after train, preprocess\n", "")
        .replace(
            "compress after train {",
            "compress after train when framework == pt {"
        )
        .replace("    when framework == pt\n", "")
    );
}

/// Curly quotes, pasted from a word processor, become straight ones, every one of the
/// declaration at once; a letter that is not ASCII in a name is explained.
#[test]
fn curly_quotes_become_straight_and_a_non_ascii_name_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let text = "scenario s { horizon = 1d }\n\
                resource gpu { kind = pool  capacity = 4 }\n\
                pipeline p { train { on = gpu  duration = 1h } }\n\
                arrivals a { rate = 1/h  pipeline = p }\n\
                experiment {\n  replications = 2\n  \
                metrics = [“pipeline.wait.p95”, ‘resource.gpu.utilization’]\n}\n";
    let (titles, mended) = mend_alone(&path, text);
    assert_eq!(titles, ["Write the 4 curly quotes `\"`"]);
    assert_eq!(mended, text.replace(['“', '”', '‘', '’'], "\""));

    let text = "scenario s { horizon = 1d }\nresource gpü { kind = pool  capacity = 4 }\n";
    let checked = frontend::check_file(&path_with(&path, text), &[]);
    let diagnostics = &checked.diagnostics().0;
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(
        diagnostics[0].message,
        "`gpü` is not a name: `ü` is not an ASCII letter"
    );
    assert!(diagnostics[0]
        .help
        .as_deref()
        .is_some_and(|h| h.starts_with("names are ASCII letters, digits and `_`")));
}

/// Where the help states the one right edit, `check --fix` makes it: a keyword in quotes and
/// capitals, a plain number written with a unit, a percentage without its `%`, minutes
/// written `m`, and a second unnamed step of a kind. The file then checks without errors.
#[test]
fn edits_the_help_states_are_fixes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let text = "scenario s { horizon = 7d }\n\
                resource gpu { kind = pool  capacity = 8  policy = \"SJF\" }\n\
                pipeline p {\n  \
                train { on = gpu  duration = gamma(shape = 2s, scale = 10min) }\n  \
                train { on = gpu  duration = 30m }\n  \
                validate after train { on = gpu  duration = 5min  pass = 95 }\n}\n\
                arrivals a { rate = 1/h  pipeline = p }\n";
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = pipesim(dir.path(), &["check", "--fix", "main.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("not fixed"), "{stderr}");
    let mended = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        mended,
        text.replace("\"SJF\"", "sjf")
            .replace("shape = 2s", "shape = 2")
            .replace(
                "train { on = gpu  duration = 30m",
                "train train_2 { on = gpu  duration = 30min"
            )
            .replace("pass = 95", "pass = 95%"),
        "{stderr}"
    );
    let (code, _, stderr) = pipesim(dir.path(), &["check", "main.pipesim"]);
    assert_eq!(code, 0, "{stderr}");
}

/// A cycle whose help names one edit that breaks it gets that edit as its fix: the name goes
/// from the `after` with its comma (or the whole `after` when it was the only name). With a
/// choice of edits, which dependency is wrong is the user's call: no fix is made.
#[test]
fn a_cycle_with_one_way_out_loses_that_after() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.pipesim");
    let scenario = "scenario s { horizon = 7d }\n\
                    resource cpu { kind = pool  capacity = 4 }\n\
                    arrivals a { rate = 1/h  pipeline = p }\n";
    let one = "pipeline p {\n  \
               preprocess { on = cpu  duration = 1min }\n  \
               train after validate { on = cpu  duration = 10min }\n  \
               validate after train { on = cpu  duration = 1min }\n}\n";
    let (titles, mended) = mend_alone(&path, &format!("{scenario}{one}"));
    assert_eq!(titles, ["Remove `after validate` from `train`"]);
    assert!(
        mended.contains("  train { on = cpu  duration = 10min }\n"),
        "{mended}"
    );

    let listed = "pipeline p {\n  \
                  preprocess { on = cpu  duration = 1min }\n  \
                  train after preprocess, validate { on = cpu  duration = 10min }\n  \
                  validate after train { on = cpu  duration = 1min }\n}\n";
    let (titles, mended) = mend_alone(&path, &format!("{scenario}{listed}"));
    assert_eq!(titles, ["Remove `validate` from the `after` of `train`"]);
    assert!(
        mended.contains("  train after preprocess { on = cpu"),
        "{mended}"
    );

    // A comment in what the removal would delete keeps the fix from being made (the help
    // still names the edit): the comment would go with it.
    let commented = "pipeline p {\n  \
                     preprocess { on = cpu  duration = 1min }\n  \
                     train after preprocess, // the data\n    \
                     validate // loops back\n    \
                     { on = cpu  duration = 10min }\n  \
                     validate after train { on = cpu  duration = 1min }\n}\n";
    std::fs::write(&path, format!("{scenario}{commented}")).unwrap();
    let (code, _, stderr) = pipesim(dir.path(), &["check", "--fix", "main.pipesim"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        !stderr.contains("fixed [E0603]") && stderr.contains("`validate` from the `after` of"),
        "{stderr}"
    );

    // Two steps each name the other beside `preprocess`: removing either name breaks it.
    let two_ways = "pipeline p {\n  \
                    preprocess { on = cpu  duration = 1min }\n  \
                    train after preprocess, validate { on = cpu  duration = 10min }\n  \
                    validate after preprocess, train { on = cpu  duration = 1min }\n}\n";
    std::fs::write(&path, format!("{scenario}{two_ways}")).unwrap();
    let (code, _, stderr) = pipesim(dir.path(), &["check", "--fix", "main.pipesim"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E0603"), "{stderr}");
    assert!(
        stderr.contains("`train` from the `after` of `validate` or remove `validate` from the"),
        "{stderr}"
    );
}

/// `check --fix` reports each fix where its mistake is in the file as the user has it, not in
/// the text earlier fixes made: moving `after` to the header takes a line out, and the
/// misspelt pool below it is still reported on its own line.
#[test]
fn fixes_are_reported_where_they_are_in_the_original_text() {
    let dir = tempfile::tempdir().unwrap();
    let text = "scenario s { horizon = 7d }\n\
                resource gpu { kind = pool  capacity = 8 }\n\
                pipeline p {\n  \
                preprocess { on = gpu  duration = 1min }\n  \
                train {\n    \
                after = preprocess\n    \
                on = gpu\n    \
                duration = 10min\n  \
                }\n  \
                validate { on = gpuu  duration = 1min }\n\
                }\n\
                arrivals a { rate = 1/h  pipeline = p }\n";
    std::fs::write(dir.path().join("main.pipesim"), text).unwrap();
    let (code, _, stderr) = pipesim(dir.path(), &["check", "--fix", "--diff", "main.pipesim"]);
    assert_eq!(code, 1, "the file would change: {stderr}");
    assert!(
        stderr.contains("main.pipesim:6:5: fixed [E0206]")
            && stderr.contains("main.pipesim:10:19: fixed [E0202]: Change `gpuu` to `gpu`"),
        "{stderr}"
    );
}
