//! `pipesim graph FILE [--pipeline NAME]`: the pipelines' step DAGs in Graphviz DOT on stdout.
//!
//! One cluster per pipeline template; each node is a step labelled with its name, its kind
//! and the resources it uses; an edge `A -> B` means `B` runs after `A`; conditional steps
//! (with `when`) are dashed, with their condition as the scenario writes it. Works on
//! modules too (files without a `scenario`).

use crate::cli::{Exit, GraphArgs};
use crate::diagnostic::suggest;
use crate::frontend;
use crate::ir;

pub fn main(args: &GraphArgs) -> Exit {
    let checked = frontend::check_file(&args.file, &[]);
    let diagnostics = &checked.diagnostics().0;
    if checked.program.modules.is_empty() {
        frontend::print_diagnostics(&checked.sources, diagnostics);
        return Exit::UsageOrIo;
    }
    if checked.has_errors() {
        frontend::print_diagnostics(&checked.sources, diagnostics);
        return Exit::ScenarioErrors;
    }
    let Some(scenario) = &checked.analysis.lowered else {
        return super::fail("the scenario could not be lowered");
    };
    if let Some(only) = &args.pipeline {
        if !scenario.pipelines.iter().any(|p| &p.name == only) {
            let names: Vec<&str> = scenario.pipelines.iter().map(|p| p.name.as_str()).collect();
            let hint = match suggest(only, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the pipelines are `{}`", names.join("`, `")),
            };
            return super::fail(format!(
                "no pipeline `{only}` in `{}`: {hint}",
                args.file.display()
            ));
        }
    }
    super::print_out(dot(scenario, args.pipeline.as_deref()));
    Exit::Success
}

/// The DOT text for the pipelines of `scenario` (all, or only the one called `only`).
pub fn dot(scenario: &ir::Scenario, only: Option<&str>) -> String {
    let mut out = String::new();
    out.push_str("digraph pipesim {\n");
    out.push_str("  rankdir=LR;\n");
    out.push_str("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    for pipeline in &scenario.pipelines {
        if only.is_some_and(|o| o != pipeline.name) {
            continue;
        }
        let id = |step: &ir::Step| quote(&format!("{}.{}", pipeline.name, step.name));
        out.push_str(&format!(
            "  subgraph {} {{\n",
            quote(&format!("cluster_{}", pipeline.name))
        ));
        out.push_str(&format!("    label={};\n", quote(&pipeline.name)));
        for step in &pipeline.steps {
            // A step named by its kind (`train { }`) is not named twice.
            let kind = kind_name(step.kind);
            let mut label = if step.name == kind {
                kind.to_string()
            } else {
                format!("{}\\n{kind}", escape(&step.name))
            };
            let pools = step
                .on
                .as_ref()
                .map(|e| resource_names(scenario, e))
                .unwrap_or_default();
            if !pools.is_empty() {
                label.push_str(&format!(" on {}", escape(&pools.join(" | "))));
            }
            if let Some(t) = &step.reads {
                label.push_str(&format!(
                    "\\nreads from {}",
                    escape(&resource_name(scenario, t.link))
                ));
            }
            if let Some(t) = &step.writes {
                label.push_str(&format!(
                    "\\nwrites to {}",
                    escape(&resource_name(scenario, t.link))
                ));
            }
            if let Some(condition) = &step.when_text {
                label.push_str(&format!("\\nwhen {}", escape(&one_line(condition))));
            }
            let style = if step.when.is_some() {
                ", style=\"rounded,dashed\""
            } else {
                ""
            };
            out.push_str(&format!("    {} [label=\"{label}\"{style}];\n", id(step)));
        }
        out.push_str("  }\n");
        for step in &pipeline.steps {
            for before in &step.after {
                if let Some(b) = pipeline.steps.get(*before as usize) {
                    out.push_str(&format!("  {} -> {};\n", id(b), id(step)));
                }
            }
        }
    }
    out.push_str("}\n");
    out
}

/// A condition as one line of a label, however it was laid out: runs of whitespace and
/// comments outside string literals become one space; a string's text is kept as written.
fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        if c == '"' {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
            while let Some(c) = chars.next() {
                out.push(c);
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => break,
                    _ => {}
                }
            }
        } else if c == '/' && chars.peek() == Some(&'/') {
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
            space = true;
        } else if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    out
}

fn kind_name(kind: ir::StepKind) -> &'static str {
    match kind {
        ir::StepKind::Preprocess => "preprocess",
        ir::StepKind::Train => "train",
        ir::StepKind::Validate => "validate",
        ir::StepKind::Compress => "compress",
        ir::StepKind::Task => "task",
    }
}

fn resource_name(scenario: &ir::Scenario, id: ir::ResourceId) -> String {
    scenario
        .resources
        .get(id as usize)
        .map(|r| r.name.clone())
        .unwrap_or_else(|| format!("#{id}"))
}

/// The resources an `on` expression can yield, in order of appearance.
fn resource_names(scenario: &ir::Scenario, e: &ir::Expr) -> Vec<String> {
    let mut ids = Vec::new();
    e.for_each_result(&mut |value| match value {
        ir::Value::Resource(id) if !ids.contains(id) => ids.push(*id),
        _ => {}
    });
    ids.into_iter()
        .map(|id| resource_name(scenario, id))
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_condition_is_one_line_with_its_strings_as_written() {
        assert_eq!(
            super::one_line(
                "framework == tf\n    && team  ==  \"ml  \\\"ops\\\"\" // the team's own\n  || size > 2GB"
            ),
            "framework == tf && team == \"ml  \\\"ops\\\"\" || size > 2GB"
        );
        assert_eq!(super::one_line("  x  "), "x");
    }
}
