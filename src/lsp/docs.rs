//! What the language server knows about the language: keywords, the attributes each kind of
//! block accepts, distributions with their named parameters, functions, units and policies,
//! each with a short explanation taken from the language reference (`docs/LANGUAGE.md`,
//! sections 2-5).
//!
//! Invariants: hover and completion both read these tables, so what completion offers is
//! exactly what hover explains; and the tables list exactly what analysis accepts (a test
//! compares them with analysis's own tables, and units are interpreted by analysis's parser).

use crate::analysis::units;
use crate::syntax::ast::{DeclKind, StepKind};

/// A documented word: a keyword, an attribute, a policy.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub name: &'static str,
    pub doc: &'static str,
}

const fn e(name: &'static str, doc: &'static str) -> Entry {
    Entry { name, doc }
}

/// Keywords that start a top-level item, in the order a file usually has them.
pub const TOP_LEVEL_KEYWORDS: &[Entry] = &[
    e("import", "`import \"PATH\" as NAME` makes another module's declarations usable as `NAME.decl`. `std/...` names a module of the standard library shipped inside pipesim; any other path is relative to the importing file."),
    e("scenario", "`scenario NAME { ... }`: the simulated period: `start`, `horizon` (required), `warmup`, `seed`, `drain`. A file without a scenario is a module."),
    e("resource", "`resource NAME { ... }`: shared infrastructure. `kind = pool` has `capacity` identical slots (CPU cores, GPUs) ordered by a `policy`; `kind = link` has a shared `bandwidth` (storage, network)."),
    e("dataset", "`dataset NAME { ... }`: attributes sampled once per pipeline instance, in the order written; `size` is the asset's size in bytes by convention."),
    e("pipeline", "`pipeline NAME { ... }`: a pipeline template: `data`, `priority`, `deadline`, user attributes (sampled per instance), then its steps (`preprocess`, `train`, `validate`, `compress`, `task`)."),
    e("profile", "`profile NAME { hours = [24 numbers]  days = [7 numbers] }` or `{ matrix = [[24 numbers] x 7] }`: a rate multiplier by hour of day and weekday, normalised to a mean of 1 over the week."),
    e("arrivals", "`arrivals NAME { ... }`: how pipelines are triggered: `interarrival` or `rate`, `profile`, `pipeline`, `growth`, `start`/`stop`; or a replayed `trace`."),
    e("monitor", "`monitor NAME { every = 1h  when = model.accuracy < 0.8  retrain = true }`: checks every deployed model periodically and retrains those that match."),
    e("experiment", "`experiment { ... }`: `replications`, `confidence`, `sweep PATH = [values]` (each a cartesian factor) and the `metrics` shown first."),
];

/// Step keywords inside a pipeline.
pub const STEP_KEYWORDS: &[Entry] = &[
    e("preprocess", "`preprocess [NAME] [after A, B] [when COND] { ... }`: a data preparation step (`on`, `units`, `duration`, `reads`, `writes`)."),
    e("train", "`train [NAME] [after A, B] [when COND] { ... }`: a training step; its `accuracy` (0..1) is the trained model's quality."),
    e("validate", "`validate [NAME] [after A, B] [when COND] { ... }`: a validation step; `pass` is the probability the model passes (a failed pipeline ends as `rejected`)."),
    e("compress", "`compress [NAME] [after A, B] [when COND] { ... }`: a model compression step: `size_factor` and `accuracy_loss`."),
    e("task", "`task [NAME] [after A, B] [when COND] { ... }`: a generic step."),
];

/// Other keywords and literals.
pub const OTHER_KEYWORDS: &[Entry] = &[
    e("as", "`import \"PATH\" as NAME`: the name the imported module's declarations are used under."),
    e("after", "`STEP [NAME] after A, B { ... }`: the step starts when the named steps are done (any DAG; a cycle is an error). Without `after` a step follows the step written before it."),
    e("when", "`STEP [NAME] when CONDITION { ... }`: the step runs only when the condition holds; a skipped step counts as done for its dependants. In a `monitor`, the condition that triggers a retrain."),
    e("from", "`reads = SIZE from LINK`: a transfer over a link before the step starts."),
    e("to", "`writes = SIZE to LINK`: a transfer over a link after the step ends."),
    e("if", "`if COND then A else B`: a conditional expression."),
    e("then", "`if COND then A else B`: the value when the condition holds."),
    e("else", "`if COND then A else B`: the value when the condition does not hold."),
    e("match", "`match EXPR { a => X, b | c => Y, _ => Z }` over labels; exhaustiveness is checked against the labels the expression can produce."),
    e("choice", "`choice { label: weight, ... }`: a categorical random label (weights are relative and positive); in `arrivals.pipeline`, `choice { template: weight, ... }` picks a pipeline template."),
    e("sweep", "`sweep PATH = [values]` in an `experiment`: runs every value (a cartesian factor with other sweeps). PATH names an attribute whose value is a literal, such as `gpu.capacity`."),
    e("true", "The boolean true."),
    e("false", "The boolean false."),
];

/// Nested blocks: `autoscale { }` in a resource, `model { }` in a pipeline, `row { }` in
/// arrivals.
pub const NESTED_BLOCKS: &[Entry] = &[
    e("autoscale", "`autoscale { min max step when_queue_above for idle_release provision }` on a pool: slots are added while the queue stays above the threshold, with a provisioning delay, and released after being idle."),
    e("model", "`model { drift = ... }` in a pipeline: the deployed model's accuracy drifts, as a rate (`0.4%/d`) or as a time to a sudden drop of `drop`."),
    e("row", "`row { ATTR = EXPR ... }` in arrivals that replay a `trace`: sets the started template's attributes from each row, reading its columns as `row.COLUMN` (`gpus = row.num_gpus`, `runtime = row.duration * 1s`, a label attribute as `framework = row.framework`)."),
];

/// Scheduling policies of a pool (`policy = ...`): what each orders the waiting steps by, and
/// what it reads of the steps and pipelines (as `sim/engine.rs` keys a request).
pub const POLICIES: &[Entry] = &[
    e(
        "fifo",
        "first in, first out (the default): steps start in the order they joined the queue",
    ),
    e(
        "sjf",
        "shortest job first: the waiting step with the shortest `estimate` starts first; a step without an `estimate` counts its sampled `duration` (which a real scheduler would not know). Ties in queue order",
    ),
    e(
        "priority",
        "higher pipeline `priority` first (a number, default 0; set it in each `pipeline`); FIFO among equals",
    ),
    e(
        "edf",
        "earliest deadline first: the step whose pipeline's `deadline` (a duration after the pipeline's arrival) ends first starts first; pipelines without a `deadline` come last. Ties in queue order",
    ),
    e(
        "fair_share",
        "round robin over pipeline templates: each template waits in its own FIFO queue and they take turns; no `backfill`",
    ),
];

/// Resource kinds (`kind = ...`).
pub const RESOURCE_KINDS: &[Entry] = &[
    e("pool", "`capacity` identical slots (CPU cores, GPUs, nodes); a step takes `units` slots for its duration"),
    e("link", "a shared `bandwidth`; transfers that overlap share it equally (processor sharing)"),
];

/// Where the cursor is: which kind of block, for the attribute table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockContext {
    Decl(DeclKind),
    Step(StepKind),
    Autoscale,
    Model,
}

const SCENARIO_ATTRS: &[Entry] = &[
    e("start", "the calendar date-time of simulated time 0, RFC 3339 (default `\"2019-01-07T00:00:00Z\"`, a Monday); profiles and trace replay need it"),
    e("horizon", "how long to simulate (a duration, required)"),
    e("warmup", "a duration (default `0s`): pipelines arriving before it are simulated but not counted, and resource statistics start after it"),
    e("seed", "the random seed (default 1); the same file, seed and version give identical results"),
    e("drain", "`true` lets work already started finish after the horizon, without new arrivals (default `false`)"),
];

const RESOURCE_ATTRS: &[Entry] = &[
    e("kind", "`pool` (identical slots) or `link` (a shared bandwidth)"),
    e("capacity", "the number of identical slots of a pool"),
    e("policy", "the order of the waiting steps on a pool: `fifo` (default), `sjf`, `priority`, `edf`, `fair_share`"),
    e("backfill", "`true` lets a waiting step start ahead of a blocked head of the queue when it does not delay the head's reserved start (EASY backfilling; default `false`, strict order)"),
    e("cost", "the price per slot-hour, reported as `cost.total`"),
    e("bandwidth", "the shared bandwidth of a link, such as `1.25GB/s` or `10Gbps`"),
];

const AUTOSCALE_ATTRS: &[Entry] = &[
    e("min", "the smallest capacity"),
    e("max", "the largest capacity"),
    e("step", "slots added or released at a time"),
    e(
        "when_queue_above",
        "slots are added while the queue stays above this length",
    ),
    e(
        "for",
        "how long the queue must stay above the threshold before slots are added",
    ),
    e(
        "idle_release",
        "how long a slot stays idle before it is released",
    ),
    e("provision", "the delay before an added slot is usable"),
];

const DATASET_ATTRS: &[Entry] = &[e(
    "size",
    "the asset's size in bytes (by convention); other attributes are free, sampled per pipeline instance in the order written",
)];

const PIPELINE_ATTRS: &[Entry] = &[
    e(
        "data",
        "the dataset whose attributes each instance samples first (used as `DATASET.attr`)",
    ),
    e(
        "priority",
        "a number (default 0); the `priority` policy runs higher priorities first",
    ),
    e(
        "deadline",
        "a duration after arrival; the `edf` policy runs the earliest deadline first",
    ),
];

const STEP_ATTRS: &[Entry] = &[
    e(
        "on",
        "the pool the step runs on (required, except for pure transfers)",
    ),
    e(
        "units",
        "how many slots of the pool the step takes (default 1)",
    ),
    e(
        "duration",
        "how long the step holds its slots, sampled per execution",
    ),
    e(
        "reads",
        "`SIZE from LINK`: transferred before the step starts",
    ),
    e("writes", "`SIZE to LINK`: transferred after the step ends"),
    e(
        "estimate",
        "the run time the scheduler is told (a requested time limit); backfilling and `sjf` plan with it instead of the sampled duration",
    ),
];

const TRAIN_ATTRS: &[Entry] = &[e("accuracy", "the trained model's quality, 0..1")];
const VALIDATE_ATTRS: &[Entry] = &[e(
    "pass",
    "the probability the model passes; a failed pipeline ends as `rejected` without deploying",
)];
const COMPRESS_ATTRS: &[Entry] = &[
    e(
        "size_factor",
        "the compressed model's size relative to the original",
    ),
    e(
        "accuracy_loss",
        "the accuracy the compression costs, such as `0.5%`",
    ),
];

const PROFILE_ATTRS: &[Entry] = &[
    e(
        "hours",
        "24 multipliers, one per hour of the day (`0` for an hour without arrivals)",
    ),
    e(
        "days",
        "7 multipliers, one per weekday, Monday first (`0` for a day without arrivals)",
    ),
    e(
        "matrix",
        "7 lists of 24 multipliers (weekday by hour), instead of `hours` and `days`",
    ),
];

const ARRIVALS_ATTRS: &[Entry] = &[
    e("interarrival", "the distribution of the time between arrivals, such as `exponweib(a = 1.8, c = 0.7, scale = 110s)`"),
    e("rate", "a Poisson arrival rate, such as `120/h`"),
    e("profile", "a `profile` modulating the rate by hour of day and weekday"),
    e("pipeline", "the template each arrival runs, or a `choice { template: weight, ... }`"),
    e("growth", "multiplies the rate (default 1), for projected user growth"),
    e("start", "when arrivals begin, within the horizon"),
    e("stop", "when arrivals end, within the horizon"),
    e("trace", "a CSV file of recorded arrivals to replay, relative to this file"),
    e("time_column", "the trace's column holding arrival times (seconds, or date-times placed on the calendar from `scenario.start`)"),
];

const MONITOR_ATTRS: &[Entry] = &[
    e("every", "how often deployed models are checked"),
    e(
        "when",
        "the condition on `model.accuracy` that triggers the monitor",
    ),
    e(
        "retrain",
        "`true` runs the model's own pipeline again (one at a time per model)",
    ),
    e(
        "pipelines",
        "a list of the pipeline templates whose models are watched (default: every template that declares a `model`)",
    ),
];

const MODEL_ATTRS: &[Entry] = &[
    e("drift", "accuracy lost per day (`0.4%/d`), or a distribution of the time to a sudden drop (`exponential(mean = 20d)`)"),
    e("drop", "the accuracy lost at a sudden drop (default `10%`)"),
    e("lifetime", "how long after its first deployment a model retires (default: never)"),
];

const EXPERIMENT_ATTRS: &[Entry] = &[
    e("replications", "how many independent replications of each sweep point (default 1)"),
    e("confidence", "the confidence level of the reported intervals (default 0.95)"),
    e("metrics", "metric names as strings, shown first in the console table, such as `[\"pipeline.wait.p95\"]`"),
];

/// The attributes a block accepts, in the order they are usually written.
pub fn attributes(context: BlockContext) -> Vec<Entry> {
    let tables: &[&[Entry]] = match context {
        BlockContext::Decl(DeclKind::Scenario) => &[SCENARIO_ATTRS],
        BlockContext::Decl(DeclKind::Resource) => &[RESOURCE_ATTRS],
        BlockContext::Decl(DeclKind::Dataset) => &[DATASET_ATTRS],
        BlockContext::Decl(DeclKind::Pipeline) => &[PIPELINE_ATTRS],
        BlockContext::Decl(DeclKind::Profile) => &[PROFILE_ATTRS],
        BlockContext::Decl(DeclKind::Arrivals) => &[ARRIVALS_ATTRS],
        BlockContext::Decl(DeclKind::Monitor) => &[MONITOR_ATTRS],
        BlockContext::Decl(DeclKind::Experiment) => &[EXPERIMENT_ATTRS],
        BlockContext::Step(StepKind::Train) => &[STEP_ATTRS, TRAIN_ATTRS],
        BlockContext::Step(StepKind::Validate) => &[STEP_ATTRS, VALIDATE_ATTRS],
        BlockContext::Step(StepKind::Compress) => &[STEP_ATTRS, COMPRESS_ATTRS],
        BlockContext::Step(StepKind::Preprocess | StepKind::Task) => &[STEP_ATTRS],
        BlockContext::Autoscale => &[AUTOSCALE_ATTRS],
        BlockContext::Model => &[MODEL_ATTRS],
    };
    tables.iter().flat_map(|t| t.iter().copied()).collect()
}

/// How analysis checks an attribute's value in a block (`lower::AttrType`), from analysis's
/// own tables: what completion offers after `NAME =`. `None` for a user attribute (any
/// value) and in a `dataset`, whose attributes are free. A resource whose `kind` is not
/// written takes a pool's and a link's attributes.
pub fn attribute_type(
    context: BlockContext,
    resource_kind: Option<&str>,
    name: &str,
) -> Option<crate::analysis::lower::AttrType> {
    use crate::analysis::lower;
    let tables: &[&[(&str, lower::AttrType)]] = match context {
        BlockContext::Decl(DeclKind::Scenario) => &[lower::SCENARIO_ATTRS],
        BlockContext::Decl(DeclKind::Resource) => match resource_kind {
            Some("link") => &[lower::LINK_ATTRS],
            _ => &[lower::POOL_ATTRS, lower::LINK_ATTRS],
        },
        BlockContext::Decl(DeclKind::Dataset) => &[],
        BlockContext::Decl(DeclKind::Pipeline) => &[lower::PIPELINE_ATTRS],
        BlockContext::Decl(DeclKind::Profile) => &[lower::PROFILE_ATTRS],
        BlockContext::Decl(DeclKind::Arrivals) => &[lower::ARRIVALS_ATTRS],
        BlockContext::Decl(DeclKind::Monitor) => &[lower::MONITOR_ATTRS],
        BlockContext::Decl(DeclKind::Experiment) => &[lower::EXPERIMENT_ATTRS],
        BlockContext::Step(_) => &[lower::STEP_ATTRS],
        BlockContext::Autoscale => &[lower::AUTOSCALE_ATTRS],
        BlockContext::Model => &[lower::MODEL_ATTRS],
    };
    tables
        .iter()
        .flat_map(|t| t.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, ty)| *ty)
}

/// Whether an attribute's value is drawn per pipeline instance (or per arrival), so that
/// distributions, `choice` and `match` fit there; elsewhere analysis wants a constant
/// (`E0308`). Pipelines, data sets, steps and `model` hold drawn values, except `model`'s
/// `drop`; of the other blocks only arrivals' `interarrival` is drawn.
pub fn drawn(context: BlockContext, name: &str) -> bool {
    match context {
        BlockContext::Decl(DeclKind::Pipeline | DeclKind::Dataset) | BlockContext::Step(_) => true,
        BlockContext::Model => name != "drop",
        BlockContext::Decl(DeclKind::Arrivals) => name == "interarrival",
        _ => false,
    }
}

/// The nested blocks and steps a block may contain, besides attributes.
pub fn sub_blocks(context: BlockContext) -> Vec<Entry> {
    match context {
        BlockContext::Decl(DeclKind::Resource) => keyword("autoscale").into_iter().collect(),
        BlockContext::Decl(DeclKind::Pipeline) => STEP_KEYWORDS
            .iter()
            .copied()
            .chain(keyword("model"))
            .collect(),
        BlockContext::Decl(DeclKind::Experiment) => keyword("sweep").into_iter().collect(),
        BlockContext::Decl(DeclKind::Arrivals) => keyword("row").into_iter().collect(),
        _ => Vec::new(),
    }
}

/// A human name for a block context: "a `train` step", "a `resource`".
pub fn context_name(context: BlockContext) -> String {
    match context {
        BlockContext::Decl(kind) => format!("`{}`", kind.keyword()),
        BlockContext::Step(kind) => format!("a `{}` step", kind.keyword()),
        BlockContext::Autoscale => "`autoscale`".to_string(),
        BlockContext::Model => "`model`".to_string(),
    }
}

pub fn attribute(context: BlockContext, name: &str) -> Option<Entry> {
    attributes(context).into_iter().find(|a| a.name == name)
}

/// Any keyword, step keyword or nested block name.
pub fn keyword(name: &str) -> Option<Entry> {
    TOP_LEVEL_KEYWORDS
        .iter()
        .chain(STEP_KEYWORDS)
        .chain(OTHER_KEYWORDS)
        .chain(NESTED_BLOCKS)
        .find(|k| k.name == name)
        .copied()
}

pub fn decl_kind(keyword: &str) -> Option<DeclKind> {
    use DeclKind::*;
    [
        Scenario, Resource, Dataset, Pipeline, Profile, Arrivals, Monitor, Experiment,
    ]
    .into_iter()
    .find(|k| k.keyword() == keyword)
}

pub fn step_kind(keyword: &str) -> Option<StepKind> {
    use StepKind::*;
    [Preprocess, Train, Validate, Compress, Task]
        .into_iter()
        .find(|k| k.keyword() == keyword)
}

/// One named parameter of a distribution.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub doc: &'static str,
}

const fn p(name: &'static str, doc: &'static str) -> Param {
    Param { name, doc }
}

/// A distribution: its meaning and each accepted set of named parameters.
#[derive(Clone, Copy, Debug)]
pub struct Distribution {
    pub name: &'static str,
    pub doc: &'static str,
    pub forms: &'static [&'static [Param]],
}

pub const DISTRIBUTIONS: &[Distribution] = &[
    Distribution {
        name: "exponential",
        doc: "the exponential distribution (memoryless waiting times)",
        forms: &[
            &[p("mean", "the mean")],
            &[p("rate", "the rate, such as `12/h`")],
        ],
    },
    Distribution {
        name: "normal",
        doc: "the normal distribution; a duration, size or count sampled below zero is clamped to zero",
        forms: &[&[p("mean", "the mean"), p("sd", "the standard deviation")]],
    },
    Distribution {
        name: "lognormal",
        doc: "the log-normal distribution",
        forms: &[
            &[p("median", "the median"), p("sigma", "the standard deviation of the logarithm")],
            &[
                p("mu", "the mean of the logarithm, in log space of the value in base units (seconds, bytes)"),
                p("sigma", "the standard deviation of the logarithm"),
            ],
        ],
    },
    Distribution {
        name: "uniform",
        doc: "the continuous uniform distribution",
        forms: &[&[p("min", "the smallest value"), p("max", "the largest value")]],
    },
    Distribution {
        name: "triangular",
        doc: "the triangular distribution",
        forms: &[&[
            p("min", "the smallest value"),
            p("mode", "the most likely value"),
            p("max", "the largest value"),
        ]],
    },
    Distribution {
        name: "gamma",
        doc: "the gamma distribution",
        forms: &[&[p("shape", "the shape k"), p("scale", "the scale θ (the mean is k·θ)")]],
    },
    Distribution {
        name: "erlang",
        doc: "the Erlang distribution: the sum of `k` exponential phases",
        forms: &[&[p("k", "the number of phases"), p("mean", "the mean of the sum")]],
    },
    Distribution {
        name: "weibull",
        doc: "the Weibull distribution",
        forms: &[&[p("shape", "the shape k"), p("scale", "the scale λ")]],
    },
    Distribution {
        name: "exponweib",
        doc: "the exponentiated Weibull distribution, as the paper fits interarrival times: CDF (1 - exp(-(x/scale)^c))^a, with scipy's parameter names",
        forms: &[&[
            p("a", "the exponentiation parameter a"),
            p("c", "the Weibull shape c"),
            p("scale", "the scale"),
        ]],
    },
    Distribution {
        name: "bernoulli",
        doc: "a random boolean, true with probability `p`",
        forms: &[&[p("p", "the probability of true")]],
    },
    Distribution {
        name: "poisson",
        doc: "the Poisson distribution: a random count",
        forms: &[&[p("mean", "the mean count")]],
    },
    Distribution {
        name: "empirical",
        doc: "resamples observed values from a CSV file (the path is relative to the file that names it): `empirical(\"file.csv\", column = \"name\")`",
        forms: &[&[p("column", "the CSV column holding the values")]],
    },
];

pub fn distribution(name: &str) -> Option<&'static Distribution> {
    DISTRIBUTIONS.iter().find(|d| d.name == name)
}

impl Distribution {
    /// `normal(mean, sd)`, one line per form.
    pub fn signatures(&self) -> Vec<String> {
        self.forms
            .iter()
            .map(|form| {
                let params: Vec<String> = form.iter().map(|p| format!("{} = …", p.name)).collect();
                if self.name == "empirical" {
                    format!("empirical(\"file.csv\", {})", params.join(", "))
                } else {
                    format!("{}({})", self.name, params.join(", "))
                }
            })
            .collect()
    }

    pub fn param(&self, name: &str) -> Option<Param> {
        self.forms
            .iter()
            .flat_map(|f| f.iter())
            .find(|p| p.name == name)
            .copied()
    }

    /// Markdown for hover.
    pub fn markdown(&self) -> String {
        let mut text = format!(
            "```pipesim\n{}\n```\n{}",
            self.signatures().join("\n"),
            self.doc
        );
        let mut seen = Vec::new();
        for param in self.forms.iter().flat_map(|f| f.iter()) {
            if !seen.contains(&param.name) {
                seen.push(param.name);
                text.push_str(&format!("\n- `{}`: {}", param.name, param.doc));
            }
        }
        text.push_str(
            "\n\nParameters are named, never positional. Each evaluation samples afresh.",
        );
        text
    }
}

/// Functions (`min`, `round`, ...): name, signature, meaning.
pub const FUNCTIONS: &[(&str, &str, &str)] = &[
    ("min", "min(a, b, ...)", "the smallest of its arguments"),
    ("max", "max(a, b, ...)", "the largest of its arguments"),
    ("round", "round(x)", "`x` rounded to the nearest integer"),
    ("floor", "floor(x)", "the largest integer not above `x`"),
    ("ceil", "ceil(x)", "the smallest integer not below `x`"),
    ("abs", "abs(x)", "the absolute value of `x`"),
    (
        "clamp",
        "clamp(x, lo, hi)",
        "`x` limited to the range `lo`..`hi`",
    ),
    ("sqrt", "sqrt(x)", "the square root of `x`"),
    ("ln", "ln(x)", "the natural logarithm of `x`"),
];

pub fn function(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    FUNCTIONS.iter().find(|f| f.0 == name).copied()
}

/// The unit words a user may write alone, with what each means. What a unit *is* (its
/// dimension and factor) comes from analysis ([`units::parse_unit`]), so hover can never
/// disagree with `check`.
pub const UNITS: &[Entry] = &[
    e("ms", "milliseconds"),
    e("s", "seconds"),
    e("min", "minutes"),
    e("h", "hours"),
    e("d", "days"),
    e("w", "weeks"),
    e("B", "bytes"),
    e("KB", "kilobytes (1000 B)"),
    e("MB", "megabytes (1000² B)"),
    e("GB", "gigabytes (1000³ B)"),
    e("TB", "terabytes (1000⁴ B)"),
    e("PB", "petabytes (1000⁵ B)"),
    e("KiB", "kibibytes (1024 B)"),
    e("MiB", "mebibytes (1024² B)"),
    e("GiB", "gibibytes (1024³ B)"),
    e("TiB", "tebibytes (1024⁴ B)"),
    e("bps", "bits per second (1/8 B/s)"),
    e("Kbps", "kilobits per second (125 B/s)"),
    e("Mbps", "megabits per second (125000 B/s)"),
    e("Gbps", "gigabits per second (125000000 B/s)"),
    e("Tbps", "terabits per second (125000000000 B/s)"),
    e("%", "percent (0.01)"),
];

/// Units offered after a number: the simple ones and the usual compounds.
pub const COMPLETION_UNITS: &[&str] = &[
    "s", "ms", "min", "h", "d", "w", "B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "%", "MB/s",
    "GB/s", "s/GB", "s/MB", "/h", "/d", "/min", "%/d", "Mbps", "Gbps",
];

fn unit_words(unit: &str) -> &str {
    UNITS
        .iter()
        .find(|u| u.name == unit)
        .map_or(unit, |u| u.doc)
}

/// Explains a unit as written after a number (`GB/s`, `/h`, `%/d`), or says why it is not one.
pub fn explain_unit(unit_text: &str) -> Result<String, String> {
    let value = units::parse_unit(unit_text)
        .map_err(|e| format!("`{}` is not a unit: {}", e.unknown, e.help))?;
    let words = match unit_text.split_once('/') {
        None => format!("in {}", unit_words(unit_text)),
        Some(("", per)) => format!("per {}", singular(unit_words(per))),
        Some((amount, per)) => format!(
            "in {} per {}",
            unit_words(amount),
            singular(unit_words(per))
        ),
    };
    Ok(format!("{} {words}", value.dim.name()))
}

/// The value of `value UNIT` in base units (seconds, bytes, bytes per second...), when the
/// unit is one: the number and the base unit's name.
pub fn base_value(value: f64, unit_text: &str) -> Option<(f64, String)> {
    let unit = units::parse_unit(unit_text).ok()?;
    Some((value * unit.factor, unit.dim.base_unit()))
}

fn singular(meaning: &str) -> String {
    let word = meaning.split(' ').next().unwrap_or(meaning);
    word.strip_suffix('s').unwrap_or(word).to_string()
}

/// Metric names of the output contract (`docs/LANGUAGE.md` section 7), for `metrics = [...]`.
pub const METRICS: &[&str] = &[
    "pipeline.arrived",
    "pipeline.completed",
    "pipeline.rejected",
    "pipeline.unfinished",
    "pipeline.wait.mean",
    "pipeline.wait.p50",
    "pipeline.wait.p95",
    "pipeline.wait.p99",
    "pipeline.wait.max",
    "pipeline.makespan.mean",
    "pipeline.makespan.p50",
    "pipeline.makespan.p95",
    "pipeline.makespan.p99",
    "pipeline.makespan.max",
    "model.accuracy.mean",
    "model.stale.fraction",
    "model.retrains",
    "cost.total",
];

/// `resource.NAME.*`, `link.NAME.*` and `step.PIPELINE.STEP.*` metrics.
/// [`METRICS`] in the order a run reports them, with `pipeline.late` after the counts where
/// `late` (a pipeline has a `deadline`; `sim::metrics` reports it only then).
pub fn metrics(late: bool) -> Vec<&'static str> {
    let mut names = METRICS.to_vec();
    if late {
        let after_counts = names
            .iter()
            .position(|&m| m == "pipeline.unfinished")
            .map_or(0, |i| i + 1);
        names.insert(after_counts, "pipeline.late");
    }
    names
}

pub const RESOURCE_METRICS: &[&str] = &["utilization", "queue.mean", "queue.max", "capacity.mean"];
pub const LINK_METRICS: &[&str] = &["bytes", "utilization"];
pub const STEP_METRICS: &[&str] = &["count", "wait.mean", "wait.p95", "service.mean"];

/// Metrics reported when `experiment.metrics` asks for them (any level is; these are the
/// usual ones, offered in completion after the others).
pub const PIPELINE_METRICS_ON_REQUEST: &[&str] = &[
    "pipeline.wait.p90",
    "pipeline.wait.p999",
    "pipeline.makespan.p90",
    "pipeline.makespan.p999",
];
/// A template's own pipeline metrics offered after `pipeline.TEMPLATE.` (any percentile of
/// them is reported when named).
pub const TEMPLATE_METRICS_ON_REQUEST: &[&str] = &[
    "arrived",
    "completed",
    "rejected",
    "unfinished",
    "wait.mean",
    "wait.p95",
    "makespan.mean",
    "makespan.p95",
];
pub const STEP_METRICS_ON_REQUEST: &[&str] = &[
    "wait.p50",
    "wait.p99",
    "wait.max",
    "service.p50",
    "service.p95",
    "service.p99",
    "service.max",
];

/// Built-in names usable in expressions without a declaration.
pub const BUILTIN_PATHS: &[Entry] = &[
    e(
        "model.accuracy",
        "in a `monitor`: the current accuracy of the deployed model being checked",
    ),
    e(
        "model.age",
        "in a `monitor`: the time since the model's version was deployed (a duration)",
    ),
    e(
        "model.version",
        "in a `monitor`: 1 for the first deployed version of the model, then 2, 3...",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_kind_has_attributes_and_each_is_documented() {
        use DeclKind::*;
        let contexts = [
            Scenario, Resource, Dataset, Pipeline, Profile, Arrivals, Monitor, Experiment,
        ]
        .map(BlockContext::Decl)
        .into_iter()
        .chain(
            [
                StepKind::Preprocess,
                StepKind::Train,
                StepKind::Validate,
                StepKind::Compress,
                StepKind::Task,
            ]
            .map(BlockContext::Step),
        )
        .chain([BlockContext::Autoscale, BlockContext::Model]);
        for context in contexts {
            let attributes = attributes(context);
            assert!(!attributes.is_empty(), "{context:?}");
            for a in attributes {
                assert!(!a.doc.is_empty(), "{context:?} {}", a.name);
                // Completion after `NAME =` knows what analysis accepts there.
                let typed = attribute_type(context, None, a.name).is_some();
                let free = context == BlockContext::Decl(Dataset);
                assert!(typed != free, "{context:?} {}", a.name);
            }
        }
        assert!(attribute(BlockContext::Step(StepKind::Train), "accuracy").is_some());
        assert!(attribute(BlockContext::Step(StepKind::Preprocess), "accuracy").is_none());
    }

    /// The tables document exactly what analysis accepts: a new attribute, distribution
    /// parameter or policy in analysis fails here until hover and completion know it.
    #[test]
    fn tables_agree_with_what_analysis_accepts() {
        use crate::analysis::{distributions, lower, types};
        use std::collections::BTreeSet;
        fn names(table: &[(&'static str, lower::AttrType)]) -> BTreeSet<&'static str> {
            table.iter().map(|(n, _)| *n).collect()
        }
        fn ours(context: BlockContext) -> BTreeSet<&'static str> {
            attributes(context).iter().map(|a| a.name).collect()
        }
        use DeclKind::*;
        let resource: BTreeSet<_> = names(lower::POOL_ATTRS)
            .union(&names(lower::LINK_ATTRS))
            .copied()
            .collect();
        let expected = [
            (BlockContext::Decl(Scenario), names(lower::SCENARIO_ATTRS)),
            (BlockContext::Decl(Resource), resource),
            (BlockContext::Decl(Pipeline), names(lower::PIPELINE_ATTRS)),
            (BlockContext::Decl(Profile), names(lower::PROFILE_ATTRS)),
            (BlockContext::Decl(Arrivals), names(lower::ARRIVALS_ATTRS)),
            (BlockContext::Decl(Monitor), names(lower::MONITOR_ATTRS)),
            (
                BlockContext::Decl(Experiment),
                names(lower::EXPERIMENT_ATTRS),
            ),
            (BlockContext::Autoscale, names(lower::AUTOSCALE_ATTRS)),
            (BlockContext::Model, names(lower::MODEL_ATTRS)),
        ];
        for (context, accepted) in expected {
            assert_eq!(ours(context), accepted, "{context:?}");
        }
        for kind in [
            StepKind::Preprocess,
            StepKind::Train,
            StepKind::Validate,
            StepKind::Compress,
            StepKind::Task,
        ] {
            let accepted: BTreeSet<_> = names(lower::STEP_ATTRS)
                .into_iter()
                .filter(|a| lower::step_attr_kinds(a).is_none_or(|k| k == kind))
                .collect();
            assert_eq!(ours(BlockContext::Step(kind)), accepted, "{kind:?}");
        }
        for (name, params, _) in distributions::DISTRIBUTIONS {
            let ours = distribution(name).unwrap_or_else(|| panic!("`{name}` is not documented"));
            let our_params: BTreeSet<_> = ours
                .forms
                .iter()
                .flat_map(|f| f.iter().map(|p| p.name))
                .collect();
            assert_eq!(our_params, params.iter().copied().collect(), "{name}");
        }
        assert_eq!(DISTRIBUTIONS.len(), distributions::DISTRIBUTIONS.len());
        let functions: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
        assert_eq!(functions, distributions::FUNCTIONS);
        let policies: Vec<&str> = POLICIES.iter().map(|p| p.name).collect();
        assert_eq!(policies, lower::POLICIES);
        let kinds: Vec<&str> = RESOURCE_KINDS.iter().map(|k| k.name).collect();
        assert_eq!(kinds, lower::RESOURCE_KINDS);
        let properties: Vec<&str> = BUILTIN_PATHS
            .iter()
            .filter_map(|b| b.name.strip_prefix("model."))
            .collect();
        assert_eq!(properties, types::MODEL_PROPERTIES);
    }

    #[test]
    fn units_explain_themselves_and_convert_to_base_units() {
        assert_eq!(
            explain_unit("GB/s").unwrap(),
            "a bandwidth in gigabytes (1000³ B) per second"
        );
        assert_eq!(explain_unit("/h").unwrap(), "a frequency per hour");
        assert!(explain_unit("m").unwrap_err().contains("min"));
        assert_eq!(base_value(30.0, "min"), Some((1800.0, "s".to_string())));
        assert_eq!(base_value(1.25, "GB/s"), Some((1.25e9, "B/s".to_string())));
        assert_eq!(base_value(10.0, "Gbps"), Some((1.25e9, "B/s".to_string())));
        assert_eq!(
            base_value(120.0, "/h"),
            Some((120.0 / 3600.0, "/s".to_string()))
        );
        assert_eq!(base_value(1.0, "parsecs"), None);
        assert_eq!(
            explain_unit("5%").unwrap_err(),
            "`5%` is not a unit: did you mean `%`?"
        );
    }

    #[test]
    fn every_unit_analysis_knows_is_explained_and_every_offered_unit_is_valid() {
        let ours: Vec<&str> = UNITS.iter().map(|u| u.name).collect();
        let theirs: Vec<&str> = units::all_simple_units().collect();
        assert_eq!(ours.len(), theirs.len());
        for unit in theirs {
            assert!(ours.contains(&unit), "`{unit}` has no explanation");
        }
        for unit in COMPLETION_UNITS {
            assert!(
                explain_unit(unit).is_ok(),
                "`{unit}` is offered but is not a unit"
            );
        }
    }

    #[test]
    fn distribution_signatures_name_every_parameter() {
        let lognormal = distribution("lognormal").unwrap();
        assert_eq!(
            lognormal.signatures(),
            [
                "lognormal(median = …, sigma = …)",
                "lognormal(mu = …, sigma = …)"
            ]
        );
        assert!(lognormal.markdown().contains("`mu`"));
    }
}
