//! The lowered scenario: everything the engine needs, resolved, with ids instead of names.
//!
//! Architecture invariants:
//! - Free of pest, miette and spans. Names appear only as labels for outputs (metric names,
//!   trace columns); the engine never looks anything up by name.
//! - All times are seconds and all sizes bytes (`f64`); rates are per second; percentages
//!   are fractions.
//! - Expressions are already type- and unit-checked: the engine may assume a duration
//!   expression yields a number of seconds, a `when` yields a boolean, an `on` yields a pool.
//! - One IR is one sweep point: sweep values and `--set` overrides have been substituted.

use serde::Serialize;

pub type ResourceId = u32;
pub type PipelineId = u32;
pub type ProfileId = u32;
pub type LabelId = u32;
pub type StepIdx = u32;

#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    pub name: String,
    /// `scenario.start` as seconds since the Unix epoch (UTC).
    pub start_unix: i64,
    /// The same instant as written (RFC 3339), for outputs.
    pub start_rfc3339: String,
    pub horizon: f64,
    pub warmup: f64,
    pub seed: u64,
    pub drain: bool,
    pub resources: Vec<Resource>,
    pub pipelines: Vec<Pipeline>,
    pub profiles: Vec<Profile>,
    pub arrivals: Vec<Arrivals>,
    pub monitors: Vec<Monitor>,
    pub experiment: Experiment,
    /// Label names by [`LabelId`] (the labels of every `choice` and `match`).
    pub labels: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Resources

#[derive(Clone, Debug, Serialize)]
pub struct Resource {
    pub name: String,
    pub kind: ResourceKind,
}

#[derive(Clone, Debug, Serialize)]
pub enum ResourceKind {
    Pool(Pool),
    Link(Link),
}

#[derive(Clone, Debug, Serialize)]
pub struct Pool {
    /// Slots at the start (with autoscale: at least `min`, at most `max`).
    pub capacity: u32,
    pub policy: Policy,
    /// EASY backfilling: when the request at the head of the queue does not fit, a later
    /// one may start if it fits now and does not delay the head's reserved start.
    pub backfill: bool,
    /// Price per slot-hour; `cost.total` sums capacity-time times this.
    pub cost_per_slot_hour: f64,
    pub autoscale: Option<Autoscale>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Policy {
    Fifo,
    /// Shortest sampled duration first.
    Sjf,
    /// Higher pipeline priority first, FIFO among equals.
    Priority,
    /// Earliest pipeline deadline first (pipelines without one last).
    Edf,
    /// Round robin over pipeline templates.
    FairShare,
}

#[derive(Clone, Debug, Serialize)]
pub struct Autoscale {
    pub min: u32,
    pub max: u32,
    /// Slots added or released at a time.
    pub step: u32,
    /// Scale up when the queue length stays above this...
    pub when_queue_above: f64,
    /// ...for this long (seconds).
    pub sustain: f64,
    /// Release a step of slots after they have been idle this long (seconds).
    pub idle_release: f64,
    /// Delay between deciding to add slots and their availability (seconds).
    pub provision: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Link {
    /// Bytes per second, shared equally among overlapping transfers.
    pub bandwidth: f64,
}

// ---------------------------------------------------------------------------------------------
// Pipelines

/// A pipeline template.
#[derive(Clone, Debug, Serialize)]
pub struct Pipeline {
    /// Qualified as the user refers to it from the main file (`classic`, `aiops.edge`).
    pub name: String,
    /// Sampled once per instance, in order; a later variable's expression may read earlier
    /// ones through [`Expr::Var`] with [`VarRef::Instance`]. The data set's attributes come
    /// first (named `asset.size` and so on), then the pipeline's own attributes.
    pub vars: Vec<InstanceVar>,
    /// Slot of `priority` in `vars`, if given (default priority 0).
    pub priority_var: Option<u32>,
    /// Slot of `deadline` (a duration after arrival), if given.
    pub deadline_var: Option<u32>,
    /// Steps in source order; `after` indices always point at other steps of this pipeline.
    /// The graph is acyclic (checked).
    pub steps: Vec<Step>,
    /// What a deployed model of this template does at run time, if declared.
    pub model: Option<ModelSpec>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InstanceVar {
    pub name: String,
    pub expr: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum StepKind {
    Preprocess,
    Train,
    Validate,
    Compress,
    Task,
}

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub name: String,
    pub kind: StepKind,
    /// Steps that must be done (or skipped) before this one is ready. Empty for a first step.
    pub after: Vec<StepIdx>,
    /// Evaluated when the step becomes ready; false skips it (it counts as done).
    pub when: Option<Expr>,
    /// The condition as the scenario writes it, for `graph`.
    pub when_text: Option<String>,
    /// Yields a [`Value::Resource`] that is a pool; `None` for a pure transfer step.
    pub on: Option<Expr>,
    /// Slots taken; sampled per execution, rounded, at least 1 (default 1).
    pub units: Expr,
    /// Seconds of service; sampled per execution, clamped at 0.
    pub duration: Expr,
    /// Transferred on the link before the step queues for its pool.
    pub reads: Option<Transfer>,
    /// Transferred on the link after the step's service ends (slots already released).
    pub writes: Option<Transfer>,
    /// `train.accuracy`: the model's quality in 0..1.
    pub accuracy: Option<Expr>,
    /// `validate.pass`: probability the model passes; a failure rejects the pipeline.
    pub pass: Option<Expr>,
    /// `compress.size_factor`: multiplies the model's size.
    pub size_factor: Option<Expr>,
    /// `compress.accuracy_loss`: subtracted from the model's accuracy (a fraction).
    pub accuracy_loss: Option<Expr>,
    /// Seconds the scheduler is told the step will run (a requested time limit); sampled
    /// per execution after everything else the instance samples, clamped at 0. Backfilling and `sjf` plan with
    /// it instead of the sampled duration; `None` plans with the duration itself.
    pub estimate: Option<Expr>,
}

impl Step {
    /// A step of `kind` taking `duration`, one unit, on no resource, with nothing else set
    /// (what the language gives a step that names only its duration).
    pub fn new(name: impl Into<String>, kind: StepKind, duration: Expr) -> Step {
        Step {
            name: name.into(),
            kind,
            after: Vec::new(),
            when: None,
            when_text: None,
            on: None,
            units: Expr::Const(Value::Num(1.0)),
            duration,
            reads: None,
            writes: None,
            accuracy: None,
            pass: None,
            size_factor: None,
            accuracy_loss: None,
            estimate: None,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Transfer {
    /// Bytes, sampled per execution, clamped at 0.
    pub bytes: Expr,
    pub link: ResourceId,
}

// ---------------------------------------------------------------------------------------------
// Models and monitors (the runtime view)

#[derive(Clone, Debug, Serialize)]
pub struct ModelSpec {
    pub drift: Drift,
    /// Time from a model's first deployment to its retirement (sampled once per model,
    /// clamped at 0); `None`: it never retires.
    pub lifetime: Option<Expr>,
}

#[derive(Clone, Debug, Serialize)]
pub enum Drift {
    None,
    /// Accuracy lost per second, linearly (`drift = 0.4%/d` is 0.004/86400).
    Linear {
        per_second: f64,
    },
    /// Time to a sudden drop (sampled afresh after each drop) and the accuracy lost then.
    Sudden {
        time_to_drop: Expr,
        drop: f64,
    },
}

#[derive(Clone, Debug, Serialize)]
pub struct Monitor {
    pub name: String,
    /// Seconds between checks.
    pub every: f64,
    /// Over [`VarRef::Model`]; true means the model is stale.
    pub when: Expr,
    /// Whether a stale model triggers a new run of its own pipeline (one at a time per model).
    pub retrain: bool,
    /// The templates watched; empty means every template that declares a model.
    pub pipelines: Vec<PipelineId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ModelVar {
    /// Current accuracy.
    Accuracy,
    /// Seconds since this version was deployed.
    Age,
    /// 1 for the first deployed version, then 2, 3...
    Version,
}

// ---------------------------------------------------------------------------------------------
// Arrivals and profiles

#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    pub name: String,
    /// Rate multiplier for each hour of the week, Monday 00:00 first, normalised to mean 1.
    pub hourly: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Arrivals {
    pub name: String,
    pub process: ArrivalProcess,
    pub profile: Option<ProfileId>,
    /// Yields a [`Value::Pipeline`] (a constant or a `choice`).
    pub pipeline: Expr,
    /// Multiplies the rate (divides interarrival times). Default 1.
    pub growth: f64,
    /// Window within the horizon, seconds from the scenario start.
    pub start: f64,
    pub stop: Option<f64>,
    /// Template attributes set from each replayed row (`row { }`); empty otherwise.
    pub row: RowAttributes,
}

/// What a replayed trace's `row { }` block sets in the instances it starts.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RowAttributes {
    /// The trace's values the attributes read ([`VarRef::Column`] `k` is the `k`-th of each
    /// row), row-major: `width` values per time of [`ArrivalProcess::Replay`], in its order.
    pub values: Vec<f64>,
    pub width: u32,
    pub attributes: Vec<RowAttribute>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RowAttribute {
    /// The template attribute it sets.
    pub name: String,
    /// Its value, evaluated (instead of the template's expression) when the instance
    /// samples that attribute; reads the row through [`VarRef::Column`].
    pub expr: Expr,
    /// Each template the arrivals can start, with the attribute's slot in its `vars`.
    pub slots: Vec<(PipelineId, u32)>,
}

#[derive(Clone, Debug, Serialize)]
pub enum ArrivalProcess {
    /// Seconds between triggers, sampled afresh each time (in profile time).
    Interarrival(Expr),
    /// Recorded trigger times, seconds from the scenario start, sorted ascending.
    Replay { times: Vec<f64> },
}

// ---------------------------------------------------------------------------------------------
// Experiment

#[derive(Clone, Debug, Serialize)]
pub struct Experiment {
    pub replications: u32,
    pub confidence: f64,
    /// Metric names the console table shows first.
    pub metrics: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Expressions

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Value {
    Num(f64),
    Bool(bool),
    Label(LabelId),
    Resource(ResourceId),
    Pipeline(PipelineId),
}

#[derive(Clone, Debug, Serialize)]
pub enum Expr {
    Const(Value),
    Var(VarRef),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// Arms in order; the first whose label list contains the scrutinee's label wins; `default`
    /// is the `_` arm. Exhaustiveness is checked, so some arm always matches.
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<(Vec<LabelId>, Expr)>,
        default: Option<Box<Expr>>,
    },
    Func(Func, Vec<Expr>),
    Dist(Box<Distribution>),
    /// A categorical draw; weights are positive (checked when constant, clamped at 0 if not).
    Choice(Vec<(Value, Expr)>),
}

impl Expr {
    /// Whether the expression reads the instance variable in `slot` anywhere.
    pub fn reads_instance(&self, slot: u32) -> bool {
        let reads = |expr: &Expr| expr.reads_instance(slot);
        match self {
            Expr::Const(_) => false,
            Expr::Var(var) => *var == VarRef::Instance(slot),
            Expr::Neg(operand) | Expr::Not(operand) => reads(operand),
            Expr::Binary(_, left, right) => reads(left) || reads(right),
            Expr::If(condition, then, otherwise) => {
                reads(condition) || reads(then) || reads(otherwise)
            }
            Expr::Match {
                scrutinee,
                arms,
                default,
            } => {
                reads(scrutinee)
                    || arms.iter().any(|(_, arm)| reads(arm))
                    || default.as_deref().is_some_and(reads)
            }
            Expr::Func(_, arguments) => arguments.iter().any(reads),
            Expr::Dist(distribution) => distribution.parameters().into_iter().any(reads),
            Expr::Choice(options) => options.iter().any(|(_, weight)| reads(weight)),
        }
    }

    /// Calls `found` on every constant the expression can yield as its value: itself, the
    /// branches of `if` and `match`, the options of `choice` (not operands of arithmetic).
    /// What pools an `on` can name, what templates arrivals can start.
    pub fn for_each_result(&self, found: &mut dyn FnMut(&Value)) {
        match self {
            Expr::Const(value) => found(value),
            Expr::If(_, a, b) => {
                a.for_each_result(found);
                b.for_each_result(found);
            }
            Expr::Match { arms, default, .. } => {
                arms.iter()
                    .for_each(|(_, body)| body.for_each_result(found));
                if let Some(d) = default {
                    d.for_each_result(found);
                }
            }
            Expr::Choice(options) => options.iter().for_each(|(value, _)| found(value)),
            _ => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum VarRef {
    /// A slot of the pipeline instance ([`Pipeline::vars`]).
    Instance(u32),
    /// A property of the model a monitor is checking.
    Model(ModelVar),
    /// A value of the replayed trace row that started the instance ([`RowAttributes`]).
    Column(u32),
    /// The same for a column of labels: the value is the label whose id it holds.
    LabelColumn(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Func {
    Min,
    Max,
    Round,
    Floor,
    Ceil,
    Abs,
    /// `clamp(x, lo, hi)`
    Clamp,
    Sqrt,
    Ln,
    /// `exp(x)`: used when lowering `lognormal(median = ...)`.
    Exp,
}

/// Distributions in canonical parameters, all in base units. Analysis rewrites the language's
/// alternatives into these (`exponential(rate = r)` → mean 1/r, `lognormal(median = m)` →
/// mu = ln m, `erlang(k, mean)` → gamma(k, mean/k)).
#[derive(Clone, Debug, Serialize)]
pub enum Distribution {
    Exponential {
        mean: Expr,
    },
    Normal {
        mean: Expr,
        sd: Expr,
    },
    LogNormal {
        mu: Expr,
        sigma: Expr,
    },
    Uniform {
        min: Expr,
        max: Expr,
    },
    Triangular {
        min: Expr,
        mode: Expr,
        max: Expr,
    },
    Gamma {
        shape: Expr,
        scale: Expr,
    },
    Weibull {
        shape: Expr,
        scale: Expr,
    },
    /// CDF (1 - exp(-(x/scale)^c))^a, scipy's `exponweib`; sampled by inverse CDF.
    ExpWeib {
        a: Expr,
        c: Expr,
        scale: Expr,
    },
    /// Yields a boolean.
    Bernoulli {
        p: Expr,
    },
    Poisson {
        mean: Expr,
    },
    /// Resamples observed values (already in base units), uniformly.
    Empirical {
        values: Vec<f64>,
    },
}

impl Distribution {
    /// The parameters' expressions, in their declared order.
    pub fn parameters(&self) -> Vec<&Expr> {
        match self {
            Distribution::Exponential { mean } | Distribution::Poisson { mean } => vec![mean],
            Distribution::Normal { mean, sd } => vec![mean, sd],
            Distribution::LogNormal { mu, sigma } => vec![mu, sigma],
            Distribution::Uniform { min, max } => vec![min, max],
            Distribution::Triangular { min, mode, max } => vec![min, mode, max],
            Distribution::Gamma { shape, scale } | Distribution::Weibull { shape, scale } => {
                vec![shape, scale]
            }
            Distribution::ExpWeib { a, c, scale } => vec![a, c, scale],
            Distribution::Bernoulli { p } => vec![p],
            Distribution::Empirical { .. } => Vec::new(),
        }
    }
}
