//! The stable diagnostic codes of loading (`E01xx`) and analysis (`E02xx`-`E09xx`, `W0xxx`),
//! each with a one-line description.
//!
//! Invariant: every code that the loader or analysis emits is listed here, and the invalid
//! corpus under `tests/fixtures/check/err/` triggers each of them (a test checks both).

/// Every code with its description, in code order.
pub const CODES: &[(&str, &str)] = &[
    // Loading and imports.
    (READ_FAILED, "a scenario or imported file cannot be read"),
    (NOT_UTF8, "a file is not valid UTF-8"),
    (
        UNKNOWN_STD_MODULE,
        "an import names a standard library module that does not exist",
    ),
    (IMPORT_CYCLE, "files import each other in a cycle"),
    // Names and declarations.
    (
        DUPLICATE_NAME,
        "two top-level declarations or imports share a name",
    ),
    (
        UNKNOWN_NAME,
        "a name that no declaration, attribute, label or import defines",
    ),
    (MISSING_NAME, "a declaration that needs a name has none"),
    (
        USED_BEFORE_DEFINED,
        "an attribute uses another that is defined after it",
    ),
    (
        DUPLICATE_SINGLETON,
        "more than one `scenario` or `experiment` in a file",
    ),
    (
        UNKNOWN_ATTRIBUTE,
        "an attribute that the declaration does not know",
    ),
    (
        DUPLICATE_ATTRIBUTE,
        "an attribute written twice in one block",
    ),
    (MISSING_ATTRIBUTE, "a required attribute is missing"),
    (
        MISPLACED_ENTRY,
        "a block, step or sweep where it is not allowed",
    ),
    (
        INAPPLICABLE_ATTRIBUTE,
        "an attribute that does not apply to this kind of declaration or step",
    ),
    (
        NOT_A_VALUE,
        "a module, scenario, arrivals, monitor or experiment used as a value",
    ),
    // Types and units.
    (
        TYPE_MISMATCH,
        "a value of the wrong type or dimension for where it is used",
    ),
    (
        DIMENSION_MISMATCH,
        "`+`, `-` or a comparison between different dimensions",
    ),
    (
        BAD_OPERAND,
        "an operator or function applied to a value it does not accept",
    ),
    (UNKNOWN_UNIT, "a unit that pipesim does not know"),
    (
        UNKNOWN_FUNCTION,
        "a call to a function or distribution that does not exist",
    ),
    (
        BAD_ARGUMENTS,
        "a function called with the wrong number or kind of arguments",
    ),
    (
        BRANCH_MISMATCH,
        "`if` branches or `match` arms of different types",
    ),
    (
        NOT_CONSTANT,
        "an attribute that must be a constant is random or depends on an instance",
    ),
    (
        OUT_OF_RANGE,
        "a constant outside the range the attribute accepts",
    ),
    (
        BAD_DATE_TIME,
        "`scenario.start` is not an RFC 3339 date-time",
    ),
    (
        UNKNOWN_KEYWORD,
        "an unknown policy, resource kind or other keyword value",
    ),
    // Match and choice.
    (
        NON_EXHAUSTIVE_MATCH,
        "a `match` that does not cover every label its subject can produce",
    ),
    (
        MATCH_NOT_LABEL,
        "a `match` over something that is not a label",
    ),
    (
        BAD_CHOICE_WEIGHT,
        "a `choice` weight that is not a positive number",
    ),
    (
        DUPLICATE_CHOICE_KEY,
        "a `choice` that names the same label or pipeline twice",
    ),
    (
        BAD_CHOICE_KEY,
        "a `choice` key that is not a plain label or a pipeline",
    ),
    // Distributions.
    (
        UNKNOWN_PARAMETER,
        "a distribution parameter that the distribution does not have",
    ),
    (
        MISSING_PARAMETER,
        "a distribution parameter that is required is missing",
    ),
    (
        POSITIONAL_PARAMETER,
        "a distribution parameter given without its name",
    ),
    (
        CONFLICTING_PARAMETERS,
        "alternative distribution parameters given together",
    ),
    (
        INVALID_PARAMETER,
        "a constant distribution parameter outside its valid range",
    ),
    (DUPLICATE_PARAMETER, "a distribution parameter given twice"),
    (
        DATA_FILE,
        "a data file (empirical values or trace) cannot be read or has no such column",
    ),
    (
        NON_NUMERIC_DATA,
        "a data file column holds a value of the wrong kind: not a number, a date-time or a label the attribute can hold",
    ),
    // Pipelines and steps.
    (DUPLICATE_STEP, "two steps of one pipeline share a name"),
    (
        UNKNOWN_STEP,
        "`after` names a step that the pipeline does not have",
    ),
    (STEP_CYCLE, "steps that wait for each other in a cycle"),
    // Profiles and arrivals.
    (
        PROFILE_SHAPE,
        "a profile without 24 hours and 7 days, or a 7x24 matrix",
    ),
    (
        PROFILE_VALUE,
        "a negative profile entry, or a profile that is zero all week",
    ),
    (
        ARRIVAL_SOURCE,
        "`arrivals` without exactly one of `interarrival`, `rate` and `trace`",
    ),
    (
        TRACE_EMPTY,
        "a replayed trace with no rows inside the scenario's horizon",
    ),
    // Experiments and overrides.
    (
        UNKNOWN_PATH,
        "a sweep or `--set` path that names no attribute",
    ),
    (
        NOT_LITERAL,
        "a sweep or `--set` path whose attribute is not a literal",
    ),
    (
        BAD_SWEEP,
        "a sweep whose values are not a non-empty list, or a path swept twice",
    ),
    (
        UNKNOWN_METRIC,
        "an experiment metric name that pipesim does not produce (any percentile of a wait, makespan or step's service time, and the longest of a step's wait or service, is produced when asked for, such as `pipeline.wait.p90` or `step.classic.train.service.max`)",
    ),
    // Models and monitors.
    (
        UNKNOWN_MODEL_PROPERTY,
        "`model.X` in a monitor where X is not `accuracy`, `age` or `version`",
    ),
    // Warnings.
    (
        NAMED_LIKE_BUILTIN,
        "a pipeline attribute of your own named one slip away from `priority` or `deadline`",
    ),
    (
        UNUSED_DECLARATION,
        "a resource, data set, profile, pipeline or pipeline attribute of the scenario that nothing uses, or a pipeline a monitor watches that no arrivals start",
    ),
    (UNREACHABLE_ARM, "a `match` arm that can never be taken"),
    (
        CONSTANT_COMPARISON,
        "`==` or `!=` between labels that can never be equal, or `model.accuracy` compared with a number outside 0 to 1",
    ),
    (
        LABEL_SLIP,
        "a label a `choice` produces that nothing matches, one slip from one that is matched and never produced",
    ),
    (
        NEGATIVE_SAMPLES,
        "a duration, size or count distribution often sampled below zero",
    ),
    (
        UNITS_OVER_POOL,
        "a step asks for more units than its pool ever has",
    ),
    (
        ESTIMATE_UNUSED,
        "a step's `estimate` on pools that neither backfill nor use `sjf`",
    ),
    (
        POOL_OVERLOADED,
        "a pool offered more work than it can do, whose queue grows without bound",
    ),
    (
        LINK_OVERLOADED,
        "a link asked to move more bytes than its bandwidth can, whose transfers pile up without bound",
    ),
    (
        MANY_TRIGGERS,
        "a horizon and arrivals that start so many pipelines, or a monitor that checks so often, that a replication takes minutes, or never ends",
    ),
    (
        STEP_NEVER_RUNS,
        "a step whose `when` is the literal `false`, so it is skipped in every run",
    ),
    (
        TRACE_ROWS_DROPPED,
        "trace rows outside the scenario's horizon, which are ignored",
    ),
    (
        ARRIVALS_AFTER_HORIZON,
        "arrivals that start at or after the horizon, so none arrive",
    ),
    (
        NO_ARRIVALS,
        "a scenario without `arrivals`, so no pipeline ever starts",
    ),
    (
        GROWTH_AS_A_CUT,
        "a `growth` written as a percentage below 100%, which cuts the arrivals (`30%` is 0.3 times the rate)",
    ),
    (
        SWEEP_VALUE_REPEATED,
        "a sweep that gives one value twice, so one point would run twice to the same results",
    ),
    (
        CAPACITY_SWEEP_OF_AUTOSCALED,
        "a sweep of the `capacity` of a pool that autoscales, which moves only its starting size",
    ),
    (
        MODEL_METRIC_WITHOUT_MODEL,
        "a `model.*` metric in a scenario where no pipeline deploys a model, so it has no values",
    ),
];

pub const READ_FAILED: &str = "E0101";
pub const NOT_UTF8: &str = "E0102";
pub const UNKNOWN_STD_MODULE: &str = "E0103";
pub const IMPORT_CYCLE: &str = "E0104";

pub const DUPLICATE_NAME: &str = "E0201";
pub const UNKNOWN_NAME: &str = "E0202";
pub const MISSING_NAME: &str = "E0203";
pub const USED_BEFORE_DEFINED: &str = "E0204";
pub const DUPLICATE_SINGLETON: &str = "E0205";
pub const UNKNOWN_ATTRIBUTE: &str = "E0206";
pub const DUPLICATE_ATTRIBUTE: &str = "E0207";
pub const MISSING_ATTRIBUTE: &str = "E0208";
pub const MISPLACED_ENTRY: &str = "E0209";
pub const INAPPLICABLE_ATTRIBUTE: &str = "E0210";
pub const NOT_A_VALUE: &str = "E0211";

pub const TYPE_MISMATCH: &str = "E0301";
pub const DIMENSION_MISMATCH: &str = "E0302";
pub const BAD_OPERAND: &str = "E0303";
pub const UNKNOWN_UNIT: &str = "E0304";
pub const UNKNOWN_FUNCTION: &str = "E0305";
pub const BAD_ARGUMENTS: &str = "E0306";
pub const BRANCH_MISMATCH: &str = "E0307";
pub const NOT_CONSTANT: &str = "E0308";
pub const OUT_OF_RANGE: &str = "E0309";
pub const BAD_DATE_TIME: &str = "E0310";
pub const UNKNOWN_KEYWORD: &str = "E0311";

pub const NON_EXHAUSTIVE_MATCH: &str = "E0401";
pub const MATCH_NOT_LABEL: &str = "E0402";
pub const BAD_CHOICE_WEIGHT: &str = "E0403";
pub const DUPLICATE_CHOICE_KEY: &str = "E0404";
pub const BAD_CHOICE_KEY: &str = "E0405";

pub const UNKNOWN_PARAMETER: &str = "E0501";
pub const MISSING_PARAMETER: &str = "E0502";
pub const POSITIONAL_PARAMETER: &str = "E0503";
pub const CONFLICTING_PARAMETERS: &str = "E0504";
pub const INVALID_PARAMETER: &str = "E0505";
pub const DUPLICATE_PARAMETER: &str = "E0506";
pub const DATA_FILE: &str = "E0507";
pub const NON_NUMERIC_DATA: &str = "E0508";

pub const DUPLICATE_STEP: &str = "E0601";
pub const UNKNOWN_STEP: &str = "E0602";
pub const STEP_CYCLE: &str = "E0603";

pub const PROFILE_SHAPE: &str = "E0701";
pub const PROFILE_VALUE: &str = "E0702";
pub const ARRIVAL_SOURCE: &str = "E0703";
pub const TRACE_EMPTY: &str = "E0704";

pub const UNKNOWN_PATH: &str = "E0801";
pub const NOT_LITERAL: &str = "E0802";
pub const BAD_SWEEP: &str = "E0803";
pub const UNKNOWN_METRIC: &str = "E0804";

pub const UNKNOWN_MODEL_PROPERTY: &str = "E0901";

pub const NAMED_LIKE_BUILTIN: &str = "W0201";
pub const UNUSED_DECLARATION: &str = "W0202";
pub const UNREACHABLE_ARM: &str = "W0401";
pub const CONSTANT_COMPARISON: &str = "W0402";
pub const LABEL_SLIP: &str = "W0403";
pub const NEGATIVE_SAMPLES: &str = "W0501";
pub const UNITS_OVER_POOL: &str = "W0601";
pub const ESTIMATE_UNUSED: &str = "W0602";
pub const POOL_OVERLOADED: &str = "W0603";
pub const LINK_OVERLOADED: &str = "W0604";
pub const MANY_TRIGGERS: &str = "W0605";
pub const STEP_NEVER_RUNS: &str = "W0606";
pub const TRACE_ROWS_DROPPED: &str = "W0701";
pub const ARRIVALS_AFTER_HORIZON: &str = "W0702";
pub const NO_ARRIVALS: &str = "W0703";
pub const GROWTH_AS_A_CUT: &str = "W0704";
pub const SWEEP_VALUE_REPEATED: &str = "W0801";
pub const MODEL_METRIC_WITHOUT_MODEL: &str = "W0802";
pub const CAPACITY_SWEEP_OF_AUTOSCALED: &str = "W0803";
