//! The editor features on real text: the language reference's example, a module imported from
//! disk, and every truncation of them (the server must never panic while the user types).

use super::completion::{self, Options};
use super::document::Document;
use super::hover;
use super::navigate::{Context, Symbol};
use lsp_types::{CompletionItem, HoverContents, Url};
use std::collections::HashMap;

const SCENARIO: &str = r#"// One month of the platform under projected growth.
import "lib.pipesim" as lib

scenario growth {
  horizon = 30d
  seed    = 7
}

resource cpu     { kind = pool  capacity = 64 }
// The GPU cluster.
resource gpu     { kind = pool  capacity = 8   policy = sjf }
resource storage { kind = link  bandwidth = 1.25GB/s }

dataset asset {
  instances  = round(lognormal(median = 50000, sigma = 1.5))
  size       = instances * 8B
}

pipeline classic {
  data      = asset
  framework = choice { tensorflow: 0.45, sklearn: 0.55 }

  preprocess {
    on       = cpu
    reads    = asset.size from storage
    duration = 12s + asset.size * 0.8s/GB + normal(mean = 0s, sd = 5s)
  }
  train {
    on       = match framework { tensorflow => gpu, _ => cpu }
    duration = lognormal(median = 25min, sigma = 0.9)
  }
  validate after train { on = cpu  duration = exponential(mean = 90s)  pass = 0.95 }
}

monitor stale { every = 1h  when = model.accuracy < 0.8  retrain = true }

arrivals triggers {
  interarrival = exponweib(a = 1.8, c = 0.7, scale = 110s)
  pipeline     = choice { classic: 0.6, lib.edge: 0.4 }
}

experiment {
  replications = 20
  sweep gpu.capacity = [4, 8, 16]
}
"#;

const LIBRARY: &str = "// A small library.\n\n// Runs at the edge.\npipeline edge {\n  train { on = gpu  duration = 1min }\n}\n";

struct Fixture {
    _dir: tempfile::TempDir,
    doc: Document,
    open: HashMap<Url, Document>,
}

fn fixture(text: &str) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.pipesim"), LIBRARY).unwrap();
    let path = dir.path().join("main.pipesim");
    let uri = Url::from_file_path(&path).unwrap();
    Fixture {
        _dir: dir,
        doc: Document::new(uri, text.to_string(), 1),
        open: HashMap::new(),
    }
}

impl Fixture {
    fn context(&self) -> Context<'_> {
        Context {
            doc: &self.doc,
            open: &self.open,
        }
    }

    /// The offset of `needle` (which must occur once) plus `shift` bytes.
    fn offset(&self, needle: &str, shift: usize) -> usize {
        let text = &self.doc.text;
        let first = text.find(needle).unwrap_or_else(|| panic!("no `{needle}`"));
        assert_eq!(
            text.rfind(needle),
            Some(first),
            "`{needle}` occurs more than once"
        );
        first + shift
    }

    fn hover(&self, needle: &str, shift: usize) -> String {
        let hover = hover::hover(&self.context(), self.offset(needle, shift))
            .unwrap_or_else(|| panic!("no hover at `{needle}`+{shift}"));
        match hover.contents {
            HoverContents::Markup(markup) => markup.value,
            other => panic!("{other:?}"),
        }
    }

    fn complete_at(&self, offset: usize) -> Vec<CompletionItem> {
        completion::complete(&self.context(), offset, Options { snippets: true })
    }

    fn labels_at(&self, offset: usize) -> Vec<String> {
        self.complete_at(offset)
            .into_iter()
            .map(|i| i.label)
            .collect()
    }

    /// What a definition at `needle`+`shift` points at: the name there, and its whole line
    /// (trimmed), which says whether it is the declaration rather than another use.
    fn definition(&self, needle: &str, shift: usize) -> (String, String) {
        let resolved = self
            .context()
            .resolve_at(self.offset(needle, shift))
            .unwrap_or_else(|| panic!("`{needle}` does not resolve"));
        let location = resolved
            .module_location()
            .or_else(|| resolved.location())
            .unwrap();
        let target = &resolved.doc;
        let start = target.offset(location.range.start);
        let end = target.offset(location.range.end);
        (
            target.text[start..end].to_string(),
            target.line_at(start).trim().to_string(),
        )
    }
}

/// The example with the text at the cursor cut out, for completion while typing.
fn typing(before_cursor: &str, after_cursor: &str) -> (Fixture, usize) {
    let text = format!("{before_cursor}{after_cursor}");
    (fixture(&text), before_cursor.len())
}

#[test]
fn hover_explains_language_words_by_context() {
    let f = fixture(SCENARIO);
    assert!(f
        .hover("capacity = 64", 2)
        .contains("the number of identical slots of a pool"));
    let policy = f.hover("policy = sjf", 10);
    assert!(
        policy.starts_with("policy `sjf`: shortest job first"),
        "{policy}"
    );
    // What each policy reads, as the engine keys its queue: `sjf` a step's `estimate`, else
    // its sampled duration; `priority` and `edf` the pipeline's `priority` and `deadline`.
    assert!(
        policy.contains("shortest `estimate`")
            && policy.contains("without an `estimate` counts its sampled `duration`"),
        "{policy}"
    );
    let g = fixture(
        "resource a { kind = pool  capacity = 1  policy = priority }\n\
         resource b { kind = pool  capacity = 1  policy = edf }\n\
         resource c { kind = pool  capacity = 1  policy = fair_share }\n\
         experiment { sweep a.policy = [fifo, sjf] }\n",
    );
    let priority = g.hover("policy = priority", 10);
    assert!(
        priority.contains("pipeline `priority`") && priority.contains("default 0"),
        "{priority}"
    );
    let edf = g.hover("policy = edf", 10);
    assert!(
        edf.contains("pipeline's `deadline`")
            && edf.contains("after the pipeline's arrival")
            && edf.contains("without a `deadline` come last"),
        "{edf}"
    );
    assert!(g
        .hover("fair_share", 0)
        .contains("round robin over pipeline templates"));
    // In a sweep of a policy too.
    assert!(g.hover("fifo, sjf", 6).contains("shortest `estimate`"));
    let unit = f.hover("25min", 3);
    assert!(
        unit.contains("a duration in minutes") && unit.contains("1500 s"),
        "{unit}"
    );
    let bandwidth = f.hover("1.25GB/s", 0);
    assert!(
        bandwidth.contains("a bandwidth") && bandwidth.contains("1250000000 B/s"),
        "{bandwidth}"
    );
    let parameter = f.hover("median = 50000", 1);
    assert!(
        parameter.starts_with("`median`: the median (a parameter of `lognormal`)"),
        "{parameter}"
    );
    let function = f.hover("round(", 1);
    assert!(function.contains("round(x)"), "{function}");
    let distribution = f.hover("exponweib", 2);
    assert!(
        distribution.contains("exponweib(a = …, c = …, scale = …)")
            && distribution.contains("`scale`"),
        "{distribution}"
    );
    // `when` is a monitor attribute here, a step-header keyword elsewhere.
    assert!(f.hover("when = model", 0).contains("in `monitor`"));
    assert!(f
        .hover("after train", 1)
        .contains("the step starts when the named steps are done"));
    // `pass` is documented for a validate step.
    assert!(f.hover("pass = 0.95", 0).contains("a `validate` step"));
    assert!(f
        .hover("framework = choice", 0)
        .contains("user attribute of the pipeline"));
    assert!(f.hover("model.accuracy", 7).contains("deployed model"));
    assert!(f.hover("choice { tensorflow", 0).contains("categorical"));
}

/// In `metrics = [...]`, a metric's name is explained where no declaration is under the
/// cursor: its statistic, quantity and unit, and whether it is reported only because the
/// list names it.
#[test]
fn hover_on_a_metrics_name_says_what_it_measures() {
    let f = fixture(
        "resource gpu { kind = pool  capacity = 4 }\n\
         pipeline p { train { on = gpu  duration = 1h } }\n\
         experiment { metrics = [\"pipeline.wait.p95\", \"step.p.train.service.p999\", \
         \"resource.gpu.queue.max\", \"pipeline.makespan.p90\", \"nonsense\", \
         \"pipeline.p.rejected\"] }\n",
    );
    assert!(f.hover("pipeline.p.rejected", 13).starts_with(
        "`pipeline.p.rejected`: the pipelines of template `p` that arrived after `warmup` \
             and a failed `validate` rejected"
    ));
    let wait = f.hover("pipeline.wait.p95", 15);
    assert_eq!(
        wait,
        "`pipeline.wait.p95`: the 95th percentile (within 0.39%) of a pipeline's wait (the \
         time its steps queued for their pools; transfers on links are not waits), in seconds, \
         over completed pipelines (not those a `validate` rejected)."
    );
    let service = f.hover("step.p.train.service.p999", 22);
    assert!(
        service.starts_with("`step.p.train.service.p999`: the 99.9th percentile")
            && service.contains(
                "service time (its time holding its pool; its `reads` come before and its \
                 `writes` after) of step `train` of pipeline `p`"
            )
            && service.ends_with("Reported because `metrics` names it."),
        "{service}"
    );
    let makespan = f.hover("pipeline.makespan.p90", 19);
    assert!(makespan.contains("the 90th percentile"), "{makespan}");
    assert!(
        makespan.ends_with("Reported because `metrics` names it."),
        "{makespan}"
    );
    // The pool's part shows the pool; the statistic, the metric.
    assert!(
        f.hover("gpu.queue.max", 1).contains("resource gpu"),
        "{}",
        f.hover("gpu.queue.max", 1)
    );
    assert!(f
        .hover("gpu.queue.max", 11)
        .starts_with("`resource.gpu.queue.max`: the longest queue `gpu` had"));
    assert!(hover::hover(&f.context(), f.offset("nonsense", 2)).is_none());
}

#[test]
fn hover_on_a_name_shows_its_declaration_and_comment() {
    let f = fixture(SCENARIO);
    let gpu = f.hover("tensorflow => gpu", 15);
    assert!(gpu.starts_with("resource `gpu`"), "{gpu}");
    assert!(
        gpu.contains("resource gpu     { kind = pool  capacity = 8   policy = sjf }"),
        "{gpu}"
    );
    assert!(gpu.contains("The GPU cluster."), "{gpu}");
    let edge = f.hover("lib.edge", 5);
    assert!(
        edge.starts_with("pipeline `edge`")
            && edge.contains("Runs at the edge.")
            && edge.contains("declared in `lib.pipesim`"),
        "{edge}"
    );
    let module = f.hover("lib.edge", 1);
    assert!(
        module.contains("A small library.") && module.contains("declares `edge`"),
        "{module}"
    );
    let size = f.hover("reads    = asset.size", 18);
    assert!(size.starts_with("attribute `size` of `asset`"), "{size}");
    assert!(
        !gpu.contains("bind by name"),
        "a scenario's own resource: {gpu}"
    );
}

#[test]
fn hover_on_a_modules_resource_says_an_importing_scenario_can_replace_it() {
    let f = fixture(
        "// A module: no scenario.\nresource gpu { kind = pool  capacity = 2 }\npipeline edge { train { on = gpu  duration = 1min } }\n",
    );
    let gpu = f.hover("on = gpu", 6);
    assert!(gpu.starts_with("resource `gpu`"), "{gpu}");
    assert!(
        gpu.contains("where a scenario that imports this module declares its own `gpu`"),
        "{gpu}"
    );
}

#[test]
fn definition_finds_declarations_steps_members_and_modules() {
    let f = fixture(SCENARIO);
    let at = |needle: &str, shift: usize| f.definition(needle, shift);
    let pair = |name: &str, line: &str| (name.to_string(), line.to_string());
    assert_eq!(
        at("on       = cpu", 12),
        pair("cpu", "resource cpu     { kind = pool  capacity = 64 }")
    );
    assert_eq!(
        at("data      = asset", 13),
        pair("asset", "dataset asset {")
    );
    assert_eq!(at("after train", 7), pair("train", "train {"));
    assert_eq!(
        at("reads    = asset.size", 18),
        pair("size", "size       = instances * 8B")
    );
    assert_eq!(
        at("match framework", 7),
        pair(
            "framework",
            "framework = choice { tensorflow: 0.45, sklearn: 0.55 }"
        )
    );
    // A sweep path's attribute: the resource's own `capacity`, not the path itself.
    let resolved = f
        .context()
        .resolve_at(f.offset("sweep gpu.capacity", 12))
        .unwrap();
    let location = resolved.location().unwrap();
    let gpu_capacity = f.offset("capacity = 8 ", 0);
    assert_eq!(f.doc.offset(location.range.start), gpu_capacity);
    assert_eq!(at("classic: 0.6", 1), pair("classic", "pipeline classic {"));
    // A label in a `match` arm: where the pipeline's `choice` names it.
    let resolved = f
        .context()
        .resolve_at(f.offset("tensorflow => gpu", 3))
        .unwrap();
    let location = resolved.location().unwrap();
    assert_eq!(
        f.doc.offset(location.range.start),
        f.offset("tensorflow: 0.45", 0)
    );
    // An imported name: the declaration in the module's file.
    assert_eq!(at("lib.edge", 5), pair("edge", "pipeline edge {"));
    // The import path: the module file itself (an empty range at its start).
    let resolved = f
        .context()
        .resolve_at(f.offset("\"lib.pipesim\"", 2))
        .unwrap();
    let location = resolved.module_location().unwrap();
    assert!(
        location.uri.path().ends_with("/lib.pipesim"),
        "{location:?}"
    );
    assert!(matches!(resolved.symbol, Symbol::Import(0)));
}

#[test]
fn completion_offers_what_fits_the_cursor() {
    // Between declarations: top-level keywords.
    let f = fixture(SCENARIO);
    let top = f.labels_at(f.offset("\ndataset asset", 0));
    assert!(
        top.contains(&"pipeline".to_string()) && top.contains(&"import".to_string()),
        "{top:?}"
    );
    assert!(!top.contains(&"capacity".to_string()));

    // In a resource, a pool's attributes; in a train step, `accuracy` but not `pass`.
    let resource = f.labels_at(f.offset("capacity = 64 }", 14));
    // `kind` and `capacity` are written already; a pool has no `bandwidth`.
    assert_eq!(resource, ["policy", "backfill", "cost", "autoscale"]);
    let train = f.labels_at(f.offset("    duration = lognormal(median = 25min", 0));
    assert!(
        train.contains(&"accuracy".to_string()) && !train.contains(&"pass".to_string()),
        "{train:?}"
    );
    // In a pipeline, between steps: step keywords and pipeline attributes.
    let pipeline = f.labels_at(f.offset("  train {", 0));
    assert!(
        pipeline.contains(&"compress".to_string()) && pipeline.contains(&"deadline".to_string()),
        "{pipeline:?}"
    );

    let link = f.labels_at(f.offset("bandwidth = 1.25GB/s }", 21));
    assert!(link.is_empty(), "{link:?}");
    let (f, cursor) = typing("resource r { kind = link\n  ", "\n}\n");
    assert_eq!(f.labels_at(cursor), ["bandwidth"]);

    // After `policy =`: the policies first.
    let (f, cursor) = typing("resource r { kind = pool  policy = ", " }\n");
    let policies = f.labels_at(cursor);
    assert_eq!(
        &policies[..5],
        ["fifo", "sjf", "priority", "edf", "fair_share"]
    );

    // After `duration =` in a step: distributions, with snippets of their parameters.
    let (f, cursor) = typing(
        "resource gpu { kind = pool }\npipeline p { train { duration = ",
        " } }\n",
    );
    let values = f.labels_at(cursor);
    assert!(
        values.contains(&"normal(mean = …, sd = …)".to_string()),
        "{values:?}"
    );
    let normal = f
        .complete_at(cursor)
        .into_iter()
        .find(|i| i.label.starts_with("normal("))
        .unwrap();
    assert_eq!(
        normal.insert_text.as_deref(),
        Some("normal(mean = ${1}, sd = ${2})")
    );

    // `on` takes a pool (or a `match` of pools), `from` a link.
    let f = fixture(SCENARIO);
    let on = f.labels_at(f.offset("    on       = cpu", 15));
    assert_eq!(on, ["cpu", "gpu", "lib", "match", "if"]);
    let from = f.labels_at(f.offset("from storage", 5));
    assert_eq!(from, ["storage", "lib"]);

    // Units right after a number replace what is typed of the unit.
    let (f, cursor) = typing("scenario s { horizon = 30mi", " }\n");
    let units = f.complete_at(cursor);
    let minutes = units
        .iter()
        .find(|i| i.label == "min")
        .expect("`min` offered");
    let Some(lsp_types::CompletionTextEdit::Edit(edit)) = &minutes.text_edit else {
        panic!()
    };
    assert_eq!(
        (edit.range.start.character, edit.range.end.character),
        (25, 27)
    );

    // Named parameters inside a distribution's parentheses.
    let (f, cursor) = typing("dataset d { x = lognormal(", ") }\n");
    assert_eq!(f.labels_at(cursor), ["median", "sigma", "mu"]);

    // `after`: the pipeline's steps.
    let (f, cursor) = typing(
        "pipeline p {\n  preprocess { }\n  train { }\n  validate after ",
        "\n}\n",
    );
    assert_eq!(f.labels_at(cursor), ["preprocess", "train"]);

    // Members: a dataset's attributes; an imported module's declarations.
    let f = fixture(SCENARIO);
    let members = f.labels_at(f.offset("reads    = asset.size", 17));
    assert_eq!(members, ["instances", "size"]);
    let module = f.labels_at(f.offset("lib.edge", 4));
    assert_eq!(module, ["edge"]);

    // An import path: the standard library and the modules beside the file.
    let import = f.labels_at(f.offset("\"lib.pipesim\"", 1));
    assert_eq!(import, ["std/aiops", "std/profiles", "lib.pipesim"]);
    let (g, cursor) = typing("import \"std/ai", "\" as aiops\n");
    let std = g.complete_at(cursor);
    let Some(lsp_types::CompletionTextEdit::Edit(edit)) = &std[0].text_edit else {
        panic!("{std:?}")
    };
    assert_eq!(
        (edit.range.start.character, edit.range.end.character),
        (8, 14)
    );
    assert_eq!(edit.new_text, "std/aiops");

    // A sweep path: declarations, then their attributes.
    let f = fixture(SCENARIO);
    let sweep = f.labels_at(f.offset("sweep gpu.capacity", 6));
    assert!(
        sweep.contains(&"gpu".to_string()) && sweep.contains(&"scenario".to_string()),
        "{sweep:?}"
    );
    assert!(!sweep.contains(&"replications".to_string()), "{sweep:?}");
    let member = f.labels_at(f.offset("sweep gpu.capacity", 10));
    assert_eq!(member, ["kind", "capacity", "policy"]);

    // Metric names inside `metrics = [...]`, with the file's resources, links and steps.
    let (g, cursor) = typing(
        "resource gpu { kind = pool }\nresource lake { kind = link }\npipeline p { train { } }\nexperiment {\n  metrics = [\"pipeline.wait.p95\", \"res",
        "\"]\n}\n",
    );
    let metrics = g.labels_at(cursor);
    for expected in [
        "pipeline.wait.p95",
        "resource.gpu.utilization",
        "link.lake.bytes",
        "step.p.train.wait.mean",
        // Reported on request.
        "pipeline.wait.p90",
        "step.p.train.service.p95",
        "step.p.train.wait.max",
        "pipeline.p.wait.p95",
        "pipeline.p.completed",
        "pipeline.p.unfinished",
    ] {
        assert!(
            metrics.contains(&expected.to_string()),
            "{expected} missing from {metrics:?}"
        );
    }
    assert!(!metrics.contains(&"resource.lake.utilization".to_string()));
    // `pipeline.late` only where a pipeline has a deadline, after the other counts.
    assert!(!metrics.contains(&"pipeline.late".to_string()));
    let (h, cursor) = typing(
        "resource gpu { kind = pool }\npipeline p {\n  deadline = 2h\n  train { on = gpu }\n}\nexperiment {\n  metrics = [\"pip",
        "\"]\n}\n",
    );
    let metrics = h.labels_at(cursor);
    let position = |name: &str| metrics.iter().position(|m| m == name);
    assert!(position("pipeline.late").is_some(), "{metrics:?}");
    assert_eq!(
        position("pipeline.late"),
        position("pipeline.unfinished").map(|i| i + 1),
        "{metrics:?}"
    );

    // Nothing inside a comment.
    assert!(f.labels_at(f.offset("One month", 3)).is_empty());
}

/// At the start of an attribute's value, only what analysis accepts there (its table of
/// attribute types): the user found `policy =` offering resources and distributions.
#[test]
fn completion_after_an_attribute_offers_only_what_it_accepts() {
    let f = fixture(SCENARIO);
    // The cursor is at `|` in the needle.
    let labels = |needle: &str| {
        let (before, after) = needle.split_once('|').unwrap();
        f.labels_at(f.offset(&format!("{before}{after}"), before.len()))
    };
    let has = |labels: &[String], label: &str| labels.iter().any(|l| l == label);
    // A keyword attribute: its keywords and nothing else.
    assert_eq!(
        labels("policy = |sjf"),
        ["fifo", "sjf", "priority", "edf", "fair_share"]
    );
    assert_eq!(labels("resource cpu     { kind = |pool"), ["pool", "link"]);
    // A reference: declarations of that kind (and import aliases, for a module's).
    assert_eq!(labels("  data      = |asset"), ["asset", "lib"]);
    assert_eq!(
        labels("  pipeline     = |choice"),
        ["classic", "lib", "choice"]
    );
    // Booleans.
    assert_eq!(labels("retrain = |true"), ["true", "false"]);
    // A monitor's condition reads the deployed model.
    let when = labels("when = |model");
    assert!(
        has(&when, "model.accuracy") && !has(&when, "gpu"),
        "{when:?}"
    );
    // A number drawn per instance: names in scope, data sets, distributions, `match`.
    let duration = labels("    duration = |lognormal");
    for wanted in [
        "framework",
        "asset",
        "exponential(mean = …)",
        "round(x)",
        "match",
        "choice",
    ] {
        assert!(has(&duration, wanted), "{wanted} missing from {duration:?}");
    }
    for unwanted in ["gpu", "storage", "classic", "true", "fifo"] {
        assert!(!has(&duration, unwanted), "{unwanted} in {duration:?}");
    }
    // The size a step reads; its link after `from`.
    let reads = labels("reads    = |asset");
    assert!(has(&reads, "asset") && !has(&reads, "storage"), "{reads:?}");
    // A constant: functions only, no distribution (analysis wants a constant, E0308).
    let capacity = labels("capacity = |64");
    assert!(has(&capacity, "min(a, b, ...)"), "{capacity:?}");
    assert!(
        !capacity.iter().any(|l| l.starts_with("exponential(")) && !has(&capacity, "gpu"),
        "{capacity:?}"
    );
    let horizon = labels("horizon = |30d");
    assert!(!horizon.iter().any(|l| l.contains("(mean")), "{horizon:?}");
    // The interarrival time is drawn per arrival.
    let interarrival = labels("interarrival = |exponweib");
    assert!(
        has(&interarrival, "exponential(mean = …)"),
        "{interarrival:?}"
    );
    // In a `match` of pools: after `=>`, pools; a pattern is any label.
    assert_eq!(
        labels("tensorflow => |gpu"),
        ["cpu", "gpu", "lib", "match", "if"]
    );
    assert!(has(&labels("match framework { |tensorflow"), "tensorflow"));
    // A user attribute takes any value.
    let user = labels("framework = |choice");
    assert!(
        has(&user, "choice") && has(&user, "exponential(mean = …)"),
        "{user:?}"
    );
}

/// What completion leaves out as needing a constant, analysis rejects with `E0308`; what it
/// offers distributions for, analysis accepts drawn.
#[test]
fn drawn_attributes_agree_with_analysis() {
    use super::docs::{self, BlockContext};
    use crate::syntax::ast::DeclKind;
    let check = |text: &str| {
        let checked = crate::frontend::check_text(
            std::path::Path::new("drawn.pipesim"),
            text.to_string(),
            &[],
        );
        checked.diagnostics().0.iter().any(|d| d.code == "E0308")
    };
    let base = "resource gpu { kind = pool  capacity = 4 }\n";
    let cases = [
        (BlockContext::Decl(DeclKind::Resource), "capacity", format!("resource r {{ kind = pool  capacity = round(exponential(mean = 4)) }}\n{base}")),
        (BlockContext::Decl(DeclKind::Scenario), "horizon", format!("scenario s {{ horizon = exponential(mean = 1d) }}\n{base}")),
        (BlockContext::Decl(DeclKind::Arrivals), "growth", format!("{base}pipeline p {{ train {{ on = gpu  duration = 1h }} }}\narrivals a {{ interarrival = 1h  pipeline = p  growth = exponential(mean = 2) }}\n")),
        (BlockContext::Decl(DeclKind::Arrivals), "interarrival", format!("{base}pipeline p {{ train {{ on = gpu  duration = 1h }} }}\narrivals a {{ interarrival = exponential(mean = 1h)  pipeline = p }}\n")),
        (BlockContext::Model, "drop", format!("{base}pipeline p {{ train {{ on = gpu  duration = 1h }}  model {{ drift = exponential(mean = 20d)  drop = uniform(min = 0.1, max = 0.2) }} }}\n")),
        (BlockContext::Model, "drift", format!("{base}pipeline p {{ train {{ on = gpu  duration = 1h }}  model {{ drift = exponential(mean = 20d) }} }}\n")),
        (BlockContext::Decl(DeclKind::Pipeline), "priority", format!("{base}pipeline p {{ priority = uniform(min = 0, max = 3)  train {{ on = gpu  duration = 1h }} }}\n")),
    ];
    for (context, attribute, text) in cases {
        assert_eq!(
            check(&text),
            !docs::drawn(context, attribute),
            "{attribute}:\n{text}"
        );
    }
}

#[test]
fn features_never_panic_on_any_prefix_or_offset() {
    let text = format!("{SCENARIO}/* unclosed é𝜇 \"\n{LIBRARY}");
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    for (n, &cut) in boundaries.iter().enumerate() {
        if n % 23 != 0 && cut != text.len() {
            continue;
        }
        let f = fixture(&text[..cut]);
        for &offset in boundaries.iter().filter(|&&b| b <= cut).step_by(3) {
            let context = f.context();
            let _ = hover::hover(&context, offset);
            let _ = completion::complete(&context, offset, Options::default());
            let _ = super::signature::signature_help(&context, offset);
            if let Some(resolved) = context.resolve_at(offset) {
                let _ = resolved.location();
                let _ = resolved.markdown(&f.doc.uri);
            }
            let scope = super::references::Scope {
                open: &f.open,
                roots: &[],
            };
            let _ = super::references::find(&f.doc, &scope, offset);
            let _ = super::references::in_document(&f.doc, &scope, offset);
            let _ = super::references::prepare(&f.doc, &scope, offset);
            let _ = super::references::rename(&f.doc, &scope, offset, "renamed");
        }
        let _ = super::symbols::document_symbols(&f.doc);
        let _ = super::formatting::format(&f.doc);
        // The front end too: what the server publishes while the user types.
        let checked = super::diagnostics::check(&f.doc, &HashMap::new()).unwrap();
        let _ = super::diagnostics::by_file(&f.doc, &checked);
    }
}

/// A panic inside a handler becomes an error response, and the server keeps serving.
#[test]
fn a_panicking_request_is_an_internal_error_not_a_dead_server() {
    use lsp_server::{Connection, Message, Notification, Request, RequestId};
    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || super::serve(&server));
    let send = |message: Message| client.sender.send(message).unwrap();
    let receive = || {
        client
            .receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("an answer")
    };
    let params = serde_json::json!({"processId": null, "rootUri": null, "capabilities": {}});
    send(Request::new(RequestId::from(1), "initialize".to_string(), params).into());
    assert!(matches!(receive(), Message::Response(r) if r.error.is_none()));
    send(Notification::new("initialized".to_string(), serde_json::json!({})).into());

    send(Request::new(RequestId::from(2), super::TEST_PANIC.to_string(), ()).into());
    let Message::Response(response) = receive() else {
        panic!("expected a response")
    };
    let error = response.error.expect("an error response");
    assert_eq!(error.code, lsp_server::ErrorCode::InternalError as i32);
    assert!(error.message.contains("deliberate"), "{}", error.message);

    send(Request::new(RequestId::from(3), "shutdown".to_string(), ()).into());
    assert!(
        matches!(receive(), Message::Response(r) if r.id == RequestId::from(3) && r.error.is_none())
    );
    send(Notification::new("exit".to_string(), ()).into());
    assert_eq!(thread.join().unwrap(), Ok(super::Ending::Clean));
}

#[test]
fn signature_help_follows_the_parameter_being_written() {
    let help = |before: &str| {
        let (f, cursor) = typing(before, ")\n}\n");
        super::signature::signature_help(&f.context(), cursor)
    };
    // Nothing written yet: the first form, its first parameter.
    let start = help("dataset d {\n  x = lognormal(").unwrap();
    assert_eq!(start.signatures.len(), 2);
    assert_eq!(
        (start.active_signature, start.active_parameter),
        (Some(0), Some(0))
    );
    // `mu` selects the second form; after its value, still on `mu` until a comma.
    let mu = help("dataset d {\n  x = lognormal(mu = 2").unwrap();
    assert_eq!(
        (mu.active_signature, mu.active_parameter),
        (Some(1), Some(0))
    );
    assert_eq!(mu.signatures[1].label, "lognormal(mu = …, sigma = …)");
    let comma = help("dataset d {\n  x = lognormal(mu = 2, ").unwrap();
    assert_eq!(
        (comma.active_signature, comma.active_parameter),
        (Some(1), Some(1))
    );
    let sigma = help("dataset d {\n  x = lognormal(mu = 2, sigma = ").unwrap();
    assert_eq!(
        (sigma.active_signature, sigma.active_parameter),
        (Some(1), Some(1))
    );
    // A nested call does not confuse the outer one.
    let nested = help("dataset d {\n  x = normal(mean = max(1, 2), sd = ").unwrap();
    assert_eq!(nested.active_parameter, Some(1));
    let function = help("dataset d {\n  x = clamp(").unwrap();
    assert_eq!(function.signatures[0].label, "clamp(x, lo, hi)");
    assert!(help("dataset d {\n  x = (").is_none());
}

impl Fixture {
    /// Every reference to the symbol at `needle`+`shift`, as (file name, line) pairs, with the
    /// declaration marked `*`.
    fn references(&self, needle: &str, shift: usize) -> Vec<(String, String)> {
        let scope = super::references::Scope {
            open: &self.open,
            roots: &[],
        };
        let (_, found) = super::references::find(&self.doc, &scope, self.offset(needle, shift))
            .unwrap_or_else(|| panic!("`{needle}` has no references"));
        found
            .into_iter()
            .map(|r| {
                let file = r.uri.path().rsplit('/').next().unwrap().to_string();
                let text = if r.uri == self.doc.uri {
                    self.doc.text.clone()
                } else {
                    std::fs::read_to_string(r.uri.to_file_path().unwrap()).unwrap()
                };
                let mark = if r.declaration { "*" } else { "" };
                let line = text[..r.start].rsplit('\n').next().unwrap();
                let rest = text[r.start..].split('\n').next().unwrap();
                (
                    format!("{mark}{file}"),
                    format!("{line}[{rest}").trim().to_string(),
                )
            })
            .collect()
    }

    /// The text after renaming the symbol at `needle`+`shift`, or why it cannot be.
    fn rename(&self, needle: &str, shift: usize, new_name: &str) -> Result<String, String> {
        let scope = super::references::Scope {
            open: &self.open,
            roots: &[],
        };
        let offset = self.offset(needle, shift);
        super::references::prepare(&self.doc, &scope, offset)?
            .unwrap_or_else(|| panic!("nothing to rename at `{needle}`"));
        let edit = super::references::rename(&self.doc, &scope, offset, new_name)?.unwrap();
        let changes = edit.changes.unwrap();
        let mut edits: Vec<(usize, usize, String)> = changes[&self.doc.uri]
            .iter()
            .map(|e| {
                let start = self.doc.offset(e.range.start);
                (start, self.doc.offset(e.range.end), e.new_text.clone())
            })
            .collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut text = self.doc.text.clone();
        for (start, end, new_text) in edits {
            text.replace_range(start..end, &new_text);
        }
        Ok(text)
    }
}

#[test]
fn references_are_every_use_that_resolves_to_the_symbol() {
    let f = fixture(SCENARIO);
    let main = |line: &str| ("main.pipesim".to_string(), line.to_string());
    let declared = |line: &str| ("*main.pipesim".to_string(), line.to_string());
    // From a use or from the declaration: the same list, in the order of the text.
    let gpu = vec![
        declared("resource [gpu     { kind = pool  capacity = 8   policy = sjf }"),
        main("on       = match framework { tensorflow => [gpu, _ => cpu }"),
        main("sweep [gpu.capacity = [4, 8, 16]"),
    ];
    assert_eq!(f.references("tensorflow => gpu", 14), gpu);
    assert_eq!(f.references("resource gpu", 9), gpu);
    assert_eq!(
        f.references("dataset asset", 8),
        [
            declared("dataset [asset {"),
            main("data      = [asset"),
            main("reads    = [asset.size from storage"),
            main("duration = 12s + [asset.size * 0.8s/GB + normal(mean = 0s, sd = 5s)"),
        ]
    );
    // A step named by its keyword: the keyword is its declaration.
    assert_eq!(
        f.references("after train", 7),
        [
            declared("[train {"),
            main("validate after [train { on = cpu  duration = exponential(mean = 90s)  pass = 0.95 }")
        ]
    );
    // A module's declaration: in the module's file, and where the scenario names it.
    assert_eq!(
        f.references("lib.edge", 5),
        [
            ("*lib.pipesim".to_string(), "pipeline [edge {".to_string()),
            main("pipeline     = choice { classic: 0.6, lib.[edge: 0.4 }"),
        ]
    );
    // Not a named argument that happens to share the attribute's name.
    let text = SCENARIO.replace("framework", "mean");
    let f = fixture(&text);
    assert_eq!(
        f.references("match mean", 7),
        [
            declared("[mean = choice { tensorflow: 0.45, sklearn: 0.55 }"),
            main("on       = match [mean { tensorflow => gpu, _ => cpu }"),
        ]
    );
}

#[test]
fn references_and_definition_reach_into_metric_names() {
    let text = SCENARIO.replace(
        "  sweep gpu.capacity",
        "  metrics = [\"resource.gpu.utilization\", \"step.classic.train.wait.mean\", \
         \"step.lib.edge.train.count\", \"pipeline.wait.mean\"]\n  sweep gpu.capacity",
    );
    let f = fixture(&text);
    let metric = |line: &str| ("main.pipesim".to_string(), line.to_string());
    let metrics = "metrics = [\"resource.gpu.utilization\", \"step.classic.train.wait.mean\", \
                   \"step.lib.edge.train.count\", \"pipeline.wait.mean\"]";
    let marked = |name: &str| {
        let at = metrics.find(name).unwrap();
        format!("{}[{}", &metrics[..at], &metrics[at..])
    };
    let gpu = f.references("resource gpu", 9);
    assert_eq!(gpu[2], metric(&marked("gpu.utilization")));
    assert_eq!(gpu.len(), 4, "{gpu:?}");
    let train = f.references("after train", 7);
    assert_eq!(train[2], metric(&marked("train.wait")));
    let edge = f.references("lib.edge:", 5);
    assert_eq!(edge[2], metric(&marked("edge.train")));
    // Definition from inside a metric name: the step of the pipeline the metric names.
    assert_eq!(
        f.definition("classic.train.wait", 9),
        ("train".to_string(), "train {".to_string())
    );
    // Hover there shows the step, and marks only its part of the metric's name.
    let at = f.offset("classic.train.wait", 9);
    let hover = hover::hover(&f.context(), at).unwrap();
    let range = hover.range.unwrap();
    let (start, end) = (f.doc.offset(range.start), f.doc.offset(range.end));
    assert_eq!(&f.doc.text[start..end], "train");
    assert!(f
        .hover("classic.train.wait", 9)
        .contains("train step `train` of pipeline `classic`"));
    // The kind and the statistic are not names: nothing to go to.
    assert!(f
        .context()
        .resolve_at(f.offset("resource.gpu", 2))
        .is_none());
    assert!(f.context().resolve_at(f.offset("utilization", 2)).is_none());
    // Renamed from inside a metric name: every reference, the metric's part included.
    let renamed = f.rename("gpu.utilization", 1, "accelerators").unwrap();
    assert_eq!(renamed.matches("accelerators").count(), 4);
    assert!(renamed.contains("\"resource.accelerators.utilization\""));
}

#[test]
fn rename_changes_every_reference_and_the_result_checks_clean() {
    let f = fixture(SCENARIO);
    let clean = |text: &str| {
        let doc = Document::new(f.doc.uri.clone(), text.to_string(), 2);
        let checked = super::diagnostics::check(&doc, &HashMap::new()).unwrap();
        let files = super::diagnostics::by_file(&doc, &checked);
        let all: Vec<_> = files
            .values()
            .flatten()
            .map(|d| d.message.clone())
            .collect();
        assert!(all.is_empty(), "{all:?}\n{text}");
    };
    clean(SCENARIO);
    let renamed = f.rename("resource cpu", 9, "cpus").unwrap();
    assert_eq!(renamed.matches("cpus").count(), 4);
    assert!(!renamed.contains(" cpu "));
    clean(&renamed);
    let renamed = f.rename("dataset asset", 8, "photos").unwrap();
    assert_eq!(renamed, SCENARIO.replace("asset", "photos"));
    clean(&renamed);
    let renamed = f.rename("match framework", 7, "library").unwrap();
    assert_eq!(renamed, SCENARIO.replace("framework", "library"));
    // A step named by its keyword gets a name, and its uses take it.
    let renamed = f.rename("after train", 7, "fit").unwrap();
    assert!(renamed.contains("  train fit {\n") && renamed.contains("validate after fit {"));
    clean(&renamed);
    let renamed = f.rename("as lib", 3, "shared").unwrap();
    assert_eq!(
        renamed,
        SCENARIO
            .replace("as lib", "as shared")
            .replace("lib.edge", "shared.edge")
    );
    clean(&renamed);
    // A label, from a `match` arm: its `choice` key and every arm and comparison.
    let renamed = f.rename("tensorflow =>", 3, "tf").unwrap();
    assert_eq!(renamed, SCENARIO.replace("tensorflow", "tf"));
    clean(&renamed);
    let renamed = f.rename("scenario growth", 9, "projected").unwrap();
    assert_eq!(
        renamed,
        SCENARIO.replace("scenario growth", "scenario projected")
    );
    // The same name: nothing to do.
    let scope = super::references::Scope {
        open: &f.open,
        roots: &[],
    };
    let at = f.offset("dataset asset", 8);
    assert_eq!(
        super::references::rename(&f.doc, &scope, at, "asset"),
        Ok(None)
    );
}

#[test]
fn rename_refuses_what_would_change_the_meaning_without_an_error() {
    let f = fixture(SCENARIO);
    let refused = |needle: &str, shift: usize, new_name: &str| {
        f.rename(needle, shift, new_name)
            .expect_err(&format!("renaming `{needle}` to `{new_name}` was allowed"))
    };
    let says = |message: String, expected: &str| {
        assert!(message.contains(expected), "{message:?} lacks {expected:?}");
    };
    // (where, shift, new name, what the refusal says)
    let cases = [
        ("resource gpu", 9, "g pu", "is not a name"),
        ("resource gpu", 9, "2gpu", "is not a name"),
        ("resource gpu", 9, "match", "is a keyword"),
        (
            "resource gpu",
            9,
            "cpu",
            "already the name of the resource on line 9",
        ),
        (
            "resource gpu",
            9,
            "lib",
            "already the name of the import on line 2",
        ),
        // In `classic`, a bare `framework` is its attribute, which would hide the resource.
        (
            "resource gpu",
            9,
            "framework",
            "is an attribute of `classic`",
        ),
        ("after train", 7, "validate", "is a keyword"),
        (
            "match framework",
            7,
            "data",
            "already has an attribute `data`",
        ),
        (
            "match framework",
            7,
            "priority",
            "is an attribute of the language here",
        ),
        ("match framework", 7, "cpu", "the resource on line 9"),
        ("capacity = 8", 0, "slots", "attribute of the language"),
        // A label: not to one that exists, or to a name a comparison would read.
        ("tensorflow =>", 3, "sklearn", "already a label"),
        ("tensorflow =>", 3, "cpu", "the resource on line 9"),
        ("tensorflow =>", 3, "framework", "is an attribute"),
    ];
    for (needle, shift, new_name, expected) in cases {
        says(refused(needle, shift, new_name), expected);
    }
    // A scenario's resource that stands in for the module's resource of that name.
    let library = "resource gpu { kind = pool  capacity = 2 }\n\
                   pipeline edge {\n  train { on = gpu  duration = 1min }\n}\n";
    std::fs::write(f._dir.path().join("lib.pipesim"), library).unwrap();
    says(
        refused("resource gpu", 9, "accelerators"),
        "resources bind by name",
    );
}

/// A replayed trace's `row { }` sets attributes of the template its arrivals start: they are
/// that template's, for definition and for rename.
#[test]
fn a_row_attribute_is_the_templates_attribute() {
    let text = "scenario s { horizon = 1d }\n\
                resource gpu { kind = pool  capacity = 8 }\n\
                pipeline job {\n  gpus = 1\n  train { on = gpu  units = gpus  duration = 1h }\n}\n\
                arrivals jobs {\n  trace = \"jobs.csv\"  time_column = \"t\"  pipeline = job\n  \
                row { gpus = row.n }\n}\n";
    let f = fixture(text);
    assert_eq!(
        f.definition("gpus = row", 1),
        ("gpus".to_string(), "gpus = 1".to_string())
    );
    let renamed = f.rename("units = gpus", 9, "slots").unwrap();
    assert_eq!(renamed, text.replace("gpus", "slots"));
}

/// A scenario's resource is the resource of that name in the modules it imports (resources
/// bind by name): its references include the module's templates that run on it.
#[test]
fn references_to_a_resource_include_the_modules_that_bind_to_it() {
    let f = fixture(SCENARIO);
    let library = "resource gpu { kind = pool  capacity = 2 }\n\
                   pipeline edge {\n  train { on = gpu  duration = 1min }\n}\n";
    std::fs::write(f._dir.path().join("lib.pipesim"), library).unwrap();
    let found = f.references("resource gpu", 9);
    assert_eq!(
        found[0],
        (
            "lib.pipesim".to_string(),
            "train { on = [gpu  duration = 1min }".to_string()
        )
    );
    // The module's own declaration is replaced, not used: it is not among them.
    assert_eq!(found.len(), 4, "{found:?}");
}

/// Labels are names of their whole file: one produced by a data set's `choice` and compared
/// in a pipeline is renamed in both, from either place; one that an imported module also
/// writes is left to be renamed by hand.
#[test]
fn a_label_is_renamed_across_the_declarations_of_its_file() {
    let text = "scenario s { horizon = 1d }\n\
                resource cpu { kind = pool  capacity = 2 }\n\
                dataset photos { tier = choice { gold: 0.2, silver: 0.8 } }\n\
                pipeline p {\n  data = photos\n  \
                train when photos.tier == gold { on = cpu  duration = 1min }\n  \
                compress { on = cpu  duration = match photos.tier { gold => 1min, silver => 2min } }\n}\n\
                arrivals a { interarrival = exponential(mean = 1h)  pipeline = p }\n";
    let f = fixture(text);
    let found = f.references("== gold", 3);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(
        found[0],
        (
            "*main.pipesim".to_string(),
            "dataset photos { tier = choice { [gold: 0.2, silver: 0.8 } }".to_string()
        )
    );
    let renamed = f.rename("== gold", 3, "premium").unwrap();
    assert_eq!(renamed, text.replace("gold", "premium"));
    // While typing: the label's name as the very last word of the file.
    let typing = fixture(&format!("{text}gold"));
    let scope = super::references::Scope {
        open: &typing.open,
        roots: &[],
    };
    let at = typing.offset("== gold", 3);
    assert_eq!(
        super::references::find(&typing.doc, &scope, at)
            .unwrap()
            .1
            .len(),
        3
    );
    assert_eq!(f.rename("gold =>", 0, "premium").unwrap(), renamed);

    let f = fixture(SCENARIO);
    let library = "pipeline edge {\n  framework = choice { tensorflow: 1 }\n  \
                   train { on = match framework { tensorflow => gpu }  duration = 1min }\n}\n";
    std::fs::write(f._dir.path().join("lib.pipesim"), library).unwrap();
    let refused = f.rename("tensorflow =>", 3, "tf").unwrap_err();
    assert!(
        refused.contains("also a label in `lib.pipesim`"),
        "{refused}"
    );
}

/// An attribute hides a declaration of its name in its own declaration, as in analysis
/// (`on = gpu` reads a pipeline's `gpu = 1`, and `check` says it is not a pool): definition
/// goes where analysis looked.
#[test]
fn an_attribute_hides_a_declaration_of_its_name_where_it_is_read() {
    let text = "resource gpu { kind = pool  capacity = 2 }\n\
                pipeline p {\n  gpu = 1\n  train { on = gpu  duration = 1min }\n}\n\
                pipeline q {\n  train { on = gpu  duration = 2min }\n}\n";
    let f = fixture(text);
    assert_eq!(
        f.definition("on = gpu  duration = 1min", 5),
        ("gpu".to_string(), "gpu = 1".to_string())
    );
    assert_eq!(
        f.definition("on = gpu  duration = 2min", 5),
        (
            "gpu".to_string(),
            "resource gpu { kind = pool  capacity = 2 }".to_string()
        )
    );
}

/// `device == gpu` compares with the label `gpu` that the pipeline's `choice` produces, as
/// analysis reads it, while `on = gpu` is still the resource.
#[test]
fn a_compared_name_that_a_choice_produces_is_the_label() {
    let f = fixture(
        "resource gpu { kind = pool  capacity = 4 }\n\
         pipeline p {\n  \
         device = choice { gpu: 0.7, cpu: 0.3 }\n  \
         train when device == gpu { on = gpu  duration = 1min }\n  \
         validate when gpu != device { on = gpu  duration = 2min }\n}\n",
    );
    let pair = |name: &str, line: &str| (name.to_string(), line.to_string());
    let label = pair("gpu", "device = choice { gpu: 0.7, cpu: 0.3 }");
    assert_eq!(f.definition("== gpu", 3), label);
    assert_eq!(f.definition("gpu != device", 0), label);
    assert_eq!(f.definition("gpu: 0.7", 0), label);
    // Renaming the resource leaves the label alone, and renaming the label the resource.
    let renamed = f.rename("resource gpu", 9, "accel").unwrap();
    assert!(
        renamed.contains("resource accel {")
            && renamed.contains("choice { gpu: 0.7")
            && renamed.contains("when device == gpu { on = accel")
            && renamed.contains("when gpu != device { on = accel"),
        "{renamed}"
    );
    let renamed = f.rename("== gpu", 3, "fast").unwrap();
    assert!(
        renamed.contains("resource gpu {")
            && renamed.contains("choice { fast: 0.7")
            && renamed.contains("when device == fast { on = gpu")
            && renamed.contains("when fast != device { on = gpu"),
        "{renamed}"
    );
    assert_eq!(
        f.definition("on = gpu  duration = 2min", 5),
        pair("gpu", "resource gpu { kind = pool  capacity = 4 }")
    );
}

/// A data set's attributes are free-form and drawn per instance: distributions and its earlier
/// attributes, not the file's resources, policies or templates, which no data set reads.
#[test]
fn completion_in_a_dataset_offers_what_a_drawn_value_can_be() {
    let f = fixture(SCENARIO);
    let size = f.labels_at(f.offset("size       = instances", 13));
    for wanted in [
        "instances",
        "lognormal(median = …, sigma = …)",
        "round(x)",
        "match",
        "choice",
    ] {
        assert!(
            size.iter().any(|l| l == wanted),
            "{wanted} missing from {size:?}"
        );
    }
    for unwanted in [
        "gpu", "storage", "classic", "asset", "lib", "fifo", "triggers", "size",
    ] {
        assert!(
            !size.iter().any(|l| l == unwanted),
            "{unwanted} in {size:?}"
        );
    }
    let normal = f
        .complete_at(f.offset("size       = instances", 13))
        .into_iter()
        .find(|i| i.label.starts_with("normal("))
        .unwrap();
    assert_eq!(
        normal.insert_text.as_deref(),
        Some("normal(mean = ${1}, sd = ${2})")
    );
    // An operand inside a data set's value: no declaration either.
    let operand = f.labels_at(f.offset("instances * 8B", 12));
    assert!(operand.iter().any(|l| l == "instances"), "{operand:?}");
    assert!(
        !operand.iter().any(|l| l == "gpu" || l == "classic"),
        "{operand:?}"
    );
}

/// A template's steps read its data set's attributes through the name `data` gives
/// (`asset.size`, or `aiops.asset.size` for a module's data set).
#[test]
fn completion_in_a_template_offers_its_data_sets_attributes() {
    let f = fixture(SCENARIO);
    let duration = f.labels_at(f.offset("    duration = lognormal(median = 25min", 15));
    for wanted in ["asset.size", "asset.instances", "framework"] {
        assert!(
            duration.iter().any(|l| l == wanted),
            "{wanted} missing from {duration:?}"
        );
    }
    // `data` names the data set: it is no value a step reads.
    assert!(!duration.iter().any(|l| l == "data"), "{duration:?}");
    let operand = f.labels_at(f.offset("12s + asset.size", 6));
    assert!(operand.iter().any(|l| l == "asset.size"), "{operand:?}");

    // A data set of another name, from a module.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("data.pipesim"),
        "dataset photos {\n  count = 10\n  bytes = count * 1MB\n}\n",
    )
    .unwrap();
    let text = "import \"data.pipesim\" as d\nresource gpu { kind = pool }\npipeline p {\n  data = d.photos\n  train { on = gpu  duration = 1min * d.photos. }\n}\n";
    let doc = Document::new(
        Url::from_file_path(dir.path().join("main.pipesim")).unwrap(),
        text.to_string(),
        1,
    );
    let open = HashMap::new();
    let context = Context {
        doc: &doc,
        open: &open,
    };
    let labels = |offset: usize| -> Vec<String> {
        completion::complete(&context, offset, Options::default())
            .into_iter()
            .map(|i| i.label)
            .collect()
    };
    let operand = labels(text.find("d.photos. }").unwrap());
    for wanted in ["d.photos.count", "d.photos.bytes"] {
        assert!(
            operand.iter().any(|l| l == wanted),
            "{wanted} missing from {operand:?}"
        );
    }
    let members = labels(text.find("d.photos. }").unwrap() + 9);
    assert_eq!(members, ["count", "bytes"]);
}

/// After `device ==`, the labels `device` can take come first: the keys of its `choice`, the
/// labels its `match` arms give (through another attribute too).
#[test]
fn completion_after_a_comparison_offers_the_labels_first() {
    let (f, cursor) = typing(
        "resource gpu { kind = pool }\n\
         pipeline p {\n  \
         mode = choice { fast: 0.5, slow: 0.5 }\n  \
         device = choice { gpu: 0.7, cpu: 0.3 }\n  \
         train when device == ",
        " { on = gpu  duration = 1min }\n}\n",
    );
    let labels = f.labels_at(cursor);
    assert_eq!(&labels[..2], ["gpu", "cpu"], "{labels:?}");
    assert!(labels.iter().any(|l| l == "mode"), "{labels:?}");

    let (f, cursor) = typing(
        "resource gpu { kind = pool }\n\
         pipeline p {\n  \
         device = choice { gpu: 0.7, cpu: 0.3 }\n  \
         tier = match device { gpu => premium, _ => if true then basic else premium }\n  \
         level = tier\n  \
         train when level != ",
        " { on = gpu  duration = 1min }\n}\n\
         pipeline q { x = choice { premium: 1, basic: 1 } }\n",
    );
    let labels = f.labels_at(cursor);
    assert_eq!(&labels[..2], ["premium", "basic"], "{labels:?}");
}
