//! `pipesim explain [CODE]`: what a diagnostic code means, with a scenario that makes the
//! mistake and what `check` says of it (checked live, so the example is always current).
//! Without a code, every code with its one-line description. A few topics of `run`'s output
//! that its notes point to (`cautions`) are explained by name the same way.
//!
//! The examples are the invalid corpus of the tests (`tests/fixtures/*/err/`), one per code;
//! those whose mistake needs a file beside the scenario (a CSV, an imported module, bytes that
//! are not UTF-8) carry their files and are checked in a temporary directory. A test checks
//! that each example still makes its code.

use crate::cli::{Exit, ExplainArgs};
use crate::diagnostic::{self, Style};
use crate::frontend;
use std::fmt::Write as _;
use std::io::IsTerminal;

/// One scenario per code that makes that mistake, for codes whose mistake is in the file
/// alone.
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "E0001",
        include_str!("../../tests/fixtures/syntax/err/e0001_attribute_after_early_brace.pipesim"),
    ),
    (
        "E0002",
        include_str!("../../tests/fixtures/syntax/err/e0002_unterminated_string.pipesim"),
    ),
    (
        "E0003",
        include_str!("../../tests/fixtures/syntax/err/e0003_unterminated_comment.pipesim"),
    ),
    (
        "E0004",
        include_str!("../../tests/fixtures/syntax/err/e0004_missing_brace.pipesim"),
    ),
    (
        "E0005",
        include_str!("../../tests/fixtures/syntax/err/e0005_nesting_too_deep.pipesim"),
    ),
    (
        "E0006",
        include_str!("../../tests/fixtures/syntax/err/e0006_number_out_of_range.pipesim"),
    ),
    (
        "E0007",
        include_str!("../../tests/fixtures/syntax/err/e0007_value_after_value.pipesim"),
    ),
    (
        "E0008",
        include_str!("../../tests/fixtures/syntax/err/e0008_unknown_escape.pipesim"),
    ),
    (
        "E0009",
        include_str!("../../tests/fixtures/syntax/err/e0009_brace_before_parenthesis.pipesim"),
    ),
    (
        "E0101",
        include_str!("../../tests/fixtures/check/err/E0101_import_missing_file.pipesim"),
    ),
    (
        "E0103",
        include_str!("../../tests/fixtures/check/err/E0103_unknown_std_module.pipesim"),
    ),
    (
        "E0201",
        include_str!("../../tests/fixtures/check/err/E0201_duplicate_declaration.pipesim"),
    ),
    (
        "E0202",
        include_str!("../../tests/fixtures/check/err/E0202_misspelt_data_set.pipesim"),
    ),
    (
        "E0203",
        include_str!("../../tests/fixtures/check/err/E0203_missing_name.pipesim"),
    ),
    (
        "E0204",
        include_str!("../../tests/fixtures/check/err/E0204_used_before_defined.pipesim"),
    ),
    (
        "E0205",
        include_str!("../../tests/fixtures/check/err/E0205_two_scenarios.pipesim"),
    ),
    (
        "E0206",
        include_str!("../../tests/fixtures/check/err/E0206_unknown_attribute.pipesim"),
    ),
    (
        "E0207",
        include_str!("../../tests/fixtures/check/err/E0207_duplicate_attribute.pipesim"),
    ),
    (
        "E0208",
        include_str!("../../tests/fixtures/check/err/E0208_pool_without_capacity.pipesim"),
    ),
    (
        "E0209",
        include_str!("../../tests/fixtures/check/err/E0209_autoscale_on_link.pipesim"),
    ),
    (
        "E0210",
        include_str!("../../tests/fixtures/check/err/E0210_backfill_with_fair_share.pipesim"),
    ),
    (
        "E0211",
        include_str!("../../tests/fixtures/check/err/E0211_not_a_value.pipesim"),
    ),
    (
        "E0301",
        include_str!("../../tests/fixtures/check/err/E0301_duration_given_a_size.pipesim"),
    ),
    (
        "E0302",
        include_str!("../../tests/fixtures/check/err/E0302_dimension_mismatch.pipesim"),
    ),
    (
        "E0303",
        include_str!("../../tests/fixtures/check/err/E0303_bad_operand.pipesim"),
    ),
    (
        "E0304",
        include_str!("../../tests/fixtures/check/err/E0304_minutes_written_m.pipesim"),
    ),
    (
        "E0305",
        include_str!("../../tests/fixtures/check/err/E0305_unknown_function.pipesim"),
    ),
    (
        "E0306",
        include_str!("../../tests/fixtures/check/err/E0306_bad_arguments.pipesim"),
    ),
    (
        "E0307",
        include_str!("../../tests/fixtures/check/err/E0307_branch_mismatch.pipesim"),
    ),
    (
        "E0308",
        include_str!("../../tests/fixtures/check/err/E0308_not_constant.pipesim"),
    ),
    (
        "E0309",
        include_str!("../../tests/fixtures/check/err/E0309_out_of_range.pipesim"),
    ),
    (
        "E0310",
        include_str!("../../tests/fixtures/check/err/E0310_bad_date_time.pipesim"),
    ),
    (
        "E0311",
        include_str!("../../tests/fixtures/check/err/E0311_sweep_of_unknown_policy.pipesim"),
    ),
    (
        "E0401",
        include_str!("../../tests/fixtures/check/err/E0401_non_exhaustive_match.pipesim"),
    ),
    (
        "E0402",
        include_str!("../../tests/fixtures/check/err/E0402_match_not_label.pipesim"),
    ),
    (
        "E0403",
        include_str!("../../tests/fixtures/check/err/E0403_bad_choice_weight.pipesim"),
    ),
    (
        "E0404",
        include_str!("../../tests/fixtures/check/err/E0404_duplicate_choice_key.pipesim"),
    ),
    (
        "E0405",
        include_str!("../../tests/fixtures/check/err/E0405_bad_choice_key.pipesim"),
    ),
    (
        "E0501",
        include_str!("../../tests/fixtures/check/err/E0501_unknown_parameter.pipesim"),
    ),
    (
        "E0502",
        include_str!("../../tests/fixtures/check/err/E0502_missing_parameter.pipesim"),
    ),
    (
        "E0503",
        include_str!("../../tests/fixtures/check/err/E0503_positional_parameter.pipesim"),
    ),
    (
        "E0504",
        include_str!("../../tests/fixtures/check/err/E0504_conflicting_parameters.pipesim"),
    ),
    (
        "E0505",
        include_str!("../../tests/fixtures/check/err/E0505_invalid_parameter.pipesim"),
    ),
    (
        "E0506",
        include_str!("../../tests/fixtures/check/err/E0506_duplicate_parameter.pipesim"),
    ),
    (
        "E0507",
        include_str!("../../tests/fixtures/check/err/E0507_empirical_missing_file.pipesim"),
    ),
    (
        "E0601",
        include_str!("../../tests/fixtures/check/err/E0601_duplicate_step.pipesim"),
    ),
    (
        "E0602",
        include_str!("../../tests/fixtures/check/err/E0602_unknown_step.pipesim"),
    ),
    (
        "E0603",
        include_str!("../../tests/fixtures/check/err/E0603_step_cycle.pipesim"),
    ),
    (
        "E0701",
        include_str!("../../tests/fixtures/check/err/E0701_profile_shape.pipesim"),
    ),
    (
        "E0702",
        include_str!("../../tests/fixtures/check/err/E0702_profile_value.pipesim"),
    ),
    (
        "E0703",
        include_str!("../../tests/fixtures/check/err/E0703_arrival_source.pipesim"),
    ),
    (
        "E0801",
        include_str!("../../tests/fixtures/check/err/E0801_unknown_sweep_path.pipesim"),
    ),
    (
        "E0802",
        include_str!("../../tests/fixtures/check/err/E0802_sweep_of_an_expression.pipesim"),
    ),
    (
        "E0803",
        include_str!("../../tests/fixtures/check/err/E0803_empty_sweep.pipesim"),
    ),
    (
        "E0804",
        include_str!("../../tests/fixtures/check/err/E0804_unknown_metric.pipesim"),
    ),
    (
        "E0901",
        include_str!("../../tests/fixtures/check/err/E0901_unknown_model_property.pipesim"),
    ),
    (
        "W0201",
        include_str!("../../tests/fixtures/check/err/W0201_priority_misspelt.pipesim"),
    ),
    (
        "W0202",
        include_str!("../../tests/fixtures/check/err/W0202_resource_never_used.pipesim"),
    ),
    (
        "W0401",
        include_str!("../../tests/fixtures/check/err/W0401_unreachable_arm.pipesim"),
    ),
    (
        "W0402",
        include_str!("../../tests/fixtures/check/err/W0402_label_never_equal.pipesim"),
    ),
    (
        "W0403",
        include_str!("../../tests/fixtures/check/err/W0403_label_misspelt_in_a_choice.pipesim"),
    ),
    (
        "W0501",
        include_str!("../../tests/fixtures/check/err/W0501_negative_samples.pipesim"),
    ),
    (
        "W0601",
        include_str!("../../tests/fixtures/check/err/W0601_units_over_pool.pipesim"),
    ),
    (
        "W0602",
        include_str!("../../tests/fixtures/check/err/W0602_estimate_unused.pipesim"),
    ),
    (
        "W0603",
        include_str!("../../tests/fixtures/check/err/W0603_pool_overloaded.pipesim"),
    ),
    (
        "W0604",
        include_str!("../../tests/fixtures/check/err/W0604_link_overloaded.pipesim"),
    ),
    (
        "W0605",
        include_str!("../../tests/fixtures/check/err/W0605_horizon_too_long.pipesim"),
    ),
    (
        "W0606",
        include_str!("../../tests/fixtures/check/err/W0606_step_when_false.pipesim"),
    ),
    (
        "W0702",
        include_str!("../../tests/fixtures/check/err/W0702_arrivals_after_horizon.pipesim"),
    ),
    (
        "W0703",
        include_str!("../../tests/fixtures/check/err/W0703_no_arrivals.pipesim"),
    ),
    (
        "W0704",
        include_str!("../../tests/fixtures/check/err/W0704_growth_as_a_cut.pipesim"),
    ),
    (
        "W0801",
        include_str!("../../tests/fixtures/check/err/W0801_sweep_value_repeated.pipesim"),
    ),
    (
        "W0802",
        include_str!("../../tests/fixtures/check/err/W0802_model_metric_without_model.pipesim"),
    ),
    (
        "W0803",
        include_str!("../../tests/fixtures/check/err/W0803_capacity_sweep_of_autoscaled.pipesim"),
    ),
];

/// The corpus directory of the examples that need files, from this source file.
macro_rules! corpus {
    ($path:literal) => {
        concat!("../../tests/fixtures/check/err/", $path)
    };
}

/// An example whose mistake needs files beside the scenario.
pub struct FileExample {
    pub code: &'static str,
    /// The scenario's file name, and its text.
    pub name: &'static str,
    pub text: &'static str,
    /// The files beside it, by their path relative to it, with their bytes.
    pub files: &'static [(&'static str, &'static [u8])],
}

/// A corpus file and the one file beside it that its mistake needs.
macro_rules! file_example {
    ($code:literal, $name:literal, $beside:literal) => {
        FileExample {
            code: $code,
            name: $name,
            text: include_str!(corpus!($name)),
            files: &[($beside, include_bytes!(corpus!($beside)))],
        }
    };
}

pub const FILE_EXAMPLES: &[FileExample] = &[
    file_example!(
        "E0102",
        "E0102_import_not_utf8.pipesim",
        "support/latin1.pipesim"
    ),
    file_example!(
        "E0104",
        "E0104_import_cycle.pipesim",
        "support/cycle_back.pipesim"
    ),
    file_example!(
        "E0508",
        "E0508_empirical_non_numeric.pipesim",
        "support/durations.csv"
    ),
    file_example!(
        "E0704",
        "E0704_trace_outside_horizon.pipesim",
        "support/jobs_2017.csv"
    ),
    file_example!(
        "W0701",
        "W0701_trace_rows_dropped.pipesim",
        "support/jobs_2019.csv"
    ),
];

impl FileExample {
    /// Writes the example and its files into `dir` and checks it there.
    pub fn check_in(&self, dir: &std::path::Path) -> Result<frontend::Checked, String> {
        let write = |path: &str, bytes: &[u8]| {
            let path = dir.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
            }
            std::fs::write(&path, bytes)
                .map_err(|e| format!("cannot write `{}`: {e}", path.display()))
        };
        write(self.name, self.text.as_bytes())?;
        for (path, bytes) in self.files {
            write(path, bytes)?;
        }
        Ok(frontend::check_file(&dir.join(self.name), &[]))
    }

    /// `check`'s report of the example, checked in a temporary directory; paths are shown
    /// relative to it, as if the user had checked it there (file names and the texts of the
    /// diagnostics are rewritten before rendering, so lines wrap as they would).
    pub fn report(&self, style: Style) -> Result<String, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("cannot create a directory: {e}"))?;
        let checked = self.check_in(dir.path())?;
        let prefix = format!("{}/", dir.path().display());
        let relative = |text: &str| text.replace(&prefix, "");
        let mut sources = crate::source::SourceMap::new();
        for (_, file) in checked.sources.files() {
            sources.add(relative(&file.name), file.origin.clone(), file.text.clone());
        }
        let diagnostics: Vec<diagnostic::Diagnostic> = checked
            .diagnostics()
            .0
            .iter()
            .map(|d| diagnostic::Diagnostic {
                message: relative(&d.message),
                help: d.help.as_deref().map(relative),
                labels: d
                    .labels
                    .iter()
                    .map(|l| diagnostic::Label {
                        text: relative(&l.text),
                        ..l.clone()
                    })
                    .collect(),
                ..d.clone()
            })
            .collect();
        Ok(diagnostic::render(&sources, &diagnostics, style, 100))
    }
}

/// Every code of the language with its description: syntax, loading and analysis.
pub fn all_codes() -> impl Iterator<Item = (&'static str, &'static str)> {
    crate::syntax::CODES
        .iter()
        .chain(crate::analysis::codes::CODES)
        .copied()
}

/// A topic of `run`'s output: its name, a one-line description for the list, and what
/// writes its text.
type Topic = (&'static str, &'static str, fn() -> String);

/// Topics of `run`'s output, explained by name as codes are.
pub const TOPICS: &[Topic] = &[
    (
        "cautions",
        "why run says a point's figures are not quite the steady state they seem",
        || include_str!("explain/cautions.txt").to_string(),
    ),
    (
        "metrics",
        "every metric a run reports, and what it measures",
        metrics_topic,
    ),
];

/// `pipesim explain metrics`: each metric's name (LANGUAGE.md section 7) with its meaning,
/// from the words the language server's hover uses.
fn metrics_topic() -> String {
    use crate::output::table::wrap;
    const WIDTH: usize = 94;
    let mut text = String::from("metrics: every metric a run reports, and what it measures.\n\n");
    text += &wrap(
        "The names are those of summary.json, `experiment { metrics = [...] }`, \
         `run --precision` and `compare --metric`. Each is a replication's figure; a run \
         reports its mean over replications with a confidence half-width.",
        WIDTH,
        "",
        "",
    );
    text.push('\n');
    // In the contract's order, from the language server's lists.
    use crate::lsp::docs::{self, LINK_METRICS, RESOURCE_METRICS, STEP_METRICS};
    let (pipeline, others): (Vec<&str>, Vec<&str>) = docs::metrics(true)
        .into_iter()
        .partition(|m| m.starts_with("pipeline."));
    let names = pipeline
        .into_iter()
        .map(String::from)
        .chain(
            STEP_METRICS
                .iter()
                .map(|m| format!("step.PIPELINE.STEP.{m}")),
        )
        .chain(
            RESOURCE_METRICS
                .iter()
                .map(|m| format!("resource.POOL.{m}")),
        )
        .chain(LINK_METRICS.iter().map(|m| format!("link.LINK.{m}")))
        .chain(others.into_iter().map(String::from));
    for name in names {
        if let Some(words) = crate::sim::metrics::describe(&name) {
            let meaning = words.strip_prefix(&format!("`{name}`: ")).unwrap_or(&words);
            let _ = writeln!(text, "{name}");
            text += &wrap(meaning, WIDTH, "    ", "    ");
        }
    }
    text.push('\n');
    text += &wrap(
        "A template that declares a `model` also gets model.TEMPLATE.accuracy.mean, \
         .stale.fraction and .retrains.",
        WIDTH,
        "",
        "",
    );
    text.push('\n');
    text += &wrap(
        "Reported when `metrics` names them: any other percentile of pipeline.wait, \
         pipeline.makespan, step.PIPELINE.STEP.wait and step.PIPELINE.STEP.service (`pN` \
         for N from 1 to 99; digits after the first two are decimals, so `p999` is the \
         99.9th), the largest of a step's wait and service time (`.max`), and a template's \
         own pipeline metrics: the counts pipeline.PIPELINE.arrived, .completed, .rejected, \
         .unfinished and (with a `deadline`) .late, and pipeline.PIPELINE.wait.* and \
         pipeline.PIPELINE.makespan.* (`mean`, `pN`, `max`), such as:",
        WIDTH,
        "",
        "",
    );
    for name in [
        "pipeline.wait.p90",
        "step.PIPELINE.STEP.service.p95",
        "pipeline.PIPELINE.wait.p95",
    ] {
        if let Some(words) = crate::sim::metrics::describe(name) {
            text += &wrap(&words, WIDTH, "  ", "    ");
        }
    }
    text
}

pub fn main(args: &ExplainArgs) -> Exit {
    let Some(code) = &args.code else {
        for (code, description) in all_codes() {
            super::print_out(format_args!("{code}  {description}\n"));
        }
        for (topic, description, _) in TOPICS {
            super::print_out(format_args!("{topic}  {description}\n"));
        }
        return Exit::Success;
    };
    if let Some((_, _, text)) = TOPICS
        .iter()
        .find(|(topic, _, _)| topic.eq_ignore_ascii_case(code.trim()))
    {
        super::print_out(text());
        return Exit::Success;
    }
    let wanted = code.trim().to_uppercase();
    if let Some(text) = by_number(&wanted, style()) {
        super::print_out(text);
        return Exit::Success;
    }
    let Some((code, description)) = all_codes().find(|(c, _)| *c == wanted) else {
        let hint = diagnostic::suggest(&wanted, all_codes().map(|(c, _)| c))
            .map(|c| format!("; did you mean {c}?"))
            .unwrap_or_default();
        return super::fail(format!(
            "`{code}` is not a pipesim diagnostic code{hint} (`pipesim explain` lists them all)"
        ));
    };
    super::print_out(explanation(code, description, style()));
    Exit::Success
}

/// `pipesim explain 0603`: a number without its letter. Every code of that number is
/// shown (`E0603` and `W0603` are different mistakes), after a line that names them and how
/// to ask for one; a number of one code is that code's explanation. `None` when `wanted` is
/// not a number of up to four digits, or no code has it.
pub fn by_number(wanted: &str, style: Style) -> Option<String> {
    // Leading zeros beyond the four digits are still the number (`00603`).
    let digits = wanted.trim_start_matches('0');
    if wanted.is_empty() || digits.len() > 4 || !wanted.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = format!("{digits:0>4}");
    let codes: Vec<(&str, &str)> = all_codes()
        .filter(|(code, _)| code.get(1..) == Some(number.as_str()))
        .collect();
    match codes.as_slice() {
        [] => None,
        [(code, description)] => Some(explanation(code, description, style)),
        several => {
            let named: Vec<String> = several
                .iter()
                .map(|(code, _)| format!("{code} ({})", severity(code)))
                .collect();
            let asks: Vec<String> = several
                .iter()
                .map(|(code, _)| format!("`pipesim explain {code}`"))
                .collect();
            let mut text = format!(
                "{number} is the number of {} codes: {}. Each is explained below; {} shows one.\n",
                several.len(),
                join_and(&named),
                asks.join(" or "),
            );
            for (code, description) in several {
                text += &format!("\n{}\n\n", "=".repeat(40));
                text += &explanation(code, description, style);
            }
            Some(text)
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn severity(code: &str) -> &'static str {
    if code.starts_with('W') {
        "warning"
    } else {
        "error"
    }
}

fn style() -> Style {
    if std::io::stdout().is_terminal() {
        Style::Fancy
    } else {
        Style::Plain
    }
}

/// The text `pipesim explain CODE` prints.
pub fn explanation(code: &str, description: &str, style: Style) -> String {
    let mut text = format!("{code} ({}): {description}.\n", severity(code));
    if let Some((_, example)) = EXAMPLES.iter().find(|(c, _)| *c == code) {
        text += "\nFor example, this scenario:\n\n";
        text += &indented(example);
        text += "\nmakes `pipesim check` say:\n\n";
        let checked = check_example(example);
        text += &diagnostic::render(&checked.sources, &checked.diagnostics().0, style, 100);
    } else if let Some(example) = FILE_EXAMPLES.iter().find(|e| e.code == code) {
        text += &format!("\nFor example, this scenario, `{}`:\n\n", example.name);
        text += &indented(example.text);
        for (path, bytes) in example.files {
            match std::str::from_utf8(bytes) {
                Ok(file) => {
                    text += &format!("\nwith `{path}` beside it:\n\n");
                    text += &indented(file);
                }
                Err(_) => {
                    text += &format!(
                        "\nwith `{path}` beside it, {} bytes that are not UTF-8,\n",
                        bytes.len()
                    );
                }
            }
        }
        text += "\nmakes `pipesim check` say:\n\n";
        match example.report(style) {
            Ok(report) => text += &report,
            Err(message) => {
                text += &format!("(the example could not be checked here: {message})\n")
            }
        }
    } else {
        text += "\nThe mistake is made on the command line, in `--set PATH=VALUE`, not in a file: write the attribute's path, `=`, and its value, such as `--set gpu.capacity=16`.\n";
    }
    text
}

/// `text` indented by four spaces (blank lines left empty).
fn indented(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_string()
            } else {
                format!("    {line}\n")
            }
        })
        .collect()
}

/// `check` of an example, as a file `example.pipesim` in the current directory.
pub fn check_example(text: &str) -> frontend::Checked {
    frontend::check_text(
        std::path::Path::new("example.pipesim"),
        text.to_string(),
        &[],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_makes_its_code_and_every_code_is_explained() {
        for (code, example) in EXAMPLES {
            let checked = check_example(example);
            let codes: Vec<&str> = checked.diagnostics().0.iter().map(|d| d.code).collect();
            assert!(codes.contains(code), "{code}: {codes:?}");
        }
        for example in FILE_EXAMPLES {
            let dir = tempfile::tempdir().unwrap();
            let checked = example.check_in(dir.path()).unwrap();
            let codes: Vec<&str> = checked.diagnostics().0.iter().map(|d| d.code).collect();
            assert!(codes.contains(&example.code), "{}: {codes:?}", example.code);
        }
        // The one code without an example is about the command line.
        let without: Vec<&str> = all_codes()
            .map(|(code, _)| code)
            .filter(|code| {
                !EXAMPLES.iter().any(|(c, _)| c == code)
                    && !FILE_EXAMPLES.iter().any(|e| e.code == *code)
            })
            .collect();
        assert_eq!(without, ["E0010"]);

        for (code, description) in all_codes() {
            let text = explanation(code, description, Style::Plain);
            assert!(text.starts_with(&format!("{code} (")), "{text}");
        }
    }
}
