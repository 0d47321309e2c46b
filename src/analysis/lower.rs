//! Declarations to [`ir`]: the attributes each kind of declaration knows, which are required,
//! their defaults (LANGUAGE.md section 5), the checks that need a whole declaration (a pool
//! needs a capacity, a step an `on`), and the assembly of one [`ir::Scenario`].
//!
//! Invariants:
//! - Ids are given before anything is lowered, so references can point forward: resources of
//!   the entry file first (in source order), then those of imported modules that the entry
//!   does not shadow; pipelines and profiles of the entry first, then of each module.
//! - Only the entry file's `scenario`, `arrivals`, `monitor` and `experiment` blocks are
//!   lowered; those of imported modules are checked and otherwise ignored (a module provides
//!   declarations, it does not run).
//! - An attribute's value is taken from an [`Override`] when one names it, else from the
//!   source, else from its default; all three go through the same checks.

use super::codes;
use super::consts::{const_num, show};
use super::dag::{self, StepNode};
use super::distributions::probability_below;
use super::load;
use super::resolve::{self, did_you_mean, ModuleSymbols, Resolver, Target};
use super::types::{Expect, Scope, Ty, Typed, Var};
use super::units::Dim;
use super::{Override, SweepAxis};
use crate::diagnostic::{suggest, Diagnostic, Diagnostics};
use crate::fit::format_duration;
use crate::ir;
use crate::loader::Program;
use crate::source::{SourceMap, Span};
use crate::syntax::ast::{self, DeclKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResKind {
    Pool,
    Link,
}

/// A resource as references see it before it is lowered.
#[derive(Clone, Debug)]
pub struct ResourceInfo {
    pub name: String,
    pub kind: Option<ResKind>,
}

pub const POLICIES: &[&str] = &["fifo", "sjf", "priority", "edf", "fair_share"];
pub const RESOURCE_KINDS: &[&str] = &["pool", "link"];

/// The default start: a Monday.
pub const DEFAULT_START: &str = "2019-01-07T00:00:00Z";

/// The RFC 3339 date-time in UTC that `text` writes without its zone, or without its time
/// (`2020-02-29 08:00` is `2020-02-29T08:00:00Z`; `2020-02-29` is midnight): what a
/// `start` that is not RFC 3339 most likely means. `None` for anything else, or a day that
/// does not exist.
fn start_meant(text: &str) -> Option<String> {
    let text = text.trim().trim_matches('"').trim();
    let with_time = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok());
    let at = with_time.or_else(|| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|date| date.and_hms_opt(0, 0, 0))
    })?;
    Some(at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Writes the date-time `meant` (from [`start_meant`]) over `start`'s value at `span`.
fn start_fix(span: Span, meant: &str) -> crate::diagnostic::Fix {
    crate::diagnostic::Fix {
        title: format!("Write `\"{meant}\"`"),
        edits: vec![(span, format!("\"{meant}\""))],
    }
}

/// How an attribute's value is checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AttrType {
    Expect(Expect),
    /// One identifier among these.
    Keyword(&'static [&'static str]),
    /// `SIZE from LINK` / `SIZE to LINK`.
    Transfer(ast::TransferDirection),
    /// A list (of numbers, strings or pipelines).
    List,
    /// `model.drift`: a rate of accuracy loss or a duration.
    Drift,
    /// A user attribute: any value; its type is what is written.
    User,
}

const NUMBER: AttrType = AttrType::Expect(Expect::Dim(Dim::NONE));
const DURATION: AttrType = AttrType::Expect(Expect::Dim(Dim::TIME));

pub const SCENARIO_ATTRS: &[(&str, AttrType)] = &[
    ("start", AttrType::Expect(Expect::Str)),
    ("horizon", DURATION),
    ("warmup", DURATION),
    ("seed", NUMBER),
    ("drain", AttrType::Expect(Expect::Bool)),
];
pub const POOL_ATTRS: &[(&str, AttrType)] = &[
    ("kind", AttrType::Keyword(RESOURCE_KINDS)),
    ("capacity", NUMBER),
    ("policy", AttrType::Keyword(POLICIES)),
    ("backfill", AttrType::Expect(Expect::Bool)),
    ("cost", NUMBER),
];
pub const LINK_ATTRS: &[(&str, AttrType)] = &[
    ("kind", AttrType::Keyword(RESOURCE_KINDS)),
    ("bandwidth", AttrType::Expect(Expect::Dim(Dim::BANDWIDTH))),
];
pub const AUTOSCALE_ATTRS: &[(&str, AttrType)] = &[
    ("min", NUMBER),
    ("max", NUMBER),
    ("step", NUMBER),
    ("when_queue_above", NUMBER),
    ("for", DURATION),
    ("idle_release", DURATION),
    ("provision", DURATION),
];
pub const PIPELINE_ATTRS: &[(&str, AttrType)] = &[
    ("data", AttrType::Expect(Expect::Dataset)),
    ("priority", NUMBER),
    ("deadline", DURATION),
];
pub const STEP_ATTRS: &[(&str, AttrType)] = &[
    ("on", AttrType::Expect(Expect::Pool)),
    ("units", NUMBER),
    ("duration", DURATION),
    ("reads", AttrType::Transfer(ast::TransferDirection::From)),
    ("writes", AttrType::Transfer(ast::TransferDirection::To)),
    ("accuracy", NUMBER),
    ("pass", NUMBER),
    ("size_factor", NUMBER),
    ("accuracy_loss", NUMBER),
    ("estimate", DURATION),
];
pub const MODEL_ATTRS: &[(&str, AttrType)] = &[
    ("drift", AttrType::Drift),
    ("drop", NUMBER),
    ("lifetime", DURATION),
];
pub const ARRIVALS_ATTRS: &[(&str, AttrType)] = &[
    ("interarrival", DURATION),
    ("rate", AttrType::Expect(Expect::Dim(Dim::FREQUENCY))),
    ("trace", AttrType::Expect(Expect::Str)),
    ("time_column", AttrType::Expect(Expect::Str)),
    ("profile", AttrType::Expect(Expect::Profile)),
    ("pipeline", AttrType::Expect(Expect::Pipeline)),
    ("growth", NUMBER),
    ("start", DURATION),
    ("stop", DURATION),
];
pub const MONITOR_ATTRS: &[(&str, AttrType)] = &[
    ("every", DURATION),
    ("when", AttrType::Expect(Expect::Bool)),
    ("retrain", AttrType::Expect(Expect::Bool)),
    ("pipelines", AttrType::List),
];
pub const EXPERIMENT_ATTRS: &[(&str, AttrType)] = &[
    ("replications", NUMBER),
    ("confidence", NUMBER),
    ("metrics", AttrType::List),
];
pub const PROFILE_ATTRS: &[(&str, AttrType)] = &[
    ("hours", AttrType::List),
    ("days", AttrType::List),
    ("matrix", AttrType::List),
];

/// Which step kinds an attribute belongs to (all kinds when absent from this list).
pub fn step_attr_kinds(attr: &str) -> Option<ast::StepKind> {
    match attr {
        "accuracy" => Some(ast::StepKind::Train),
        "pass" => Some(ast::StepKind::Validate),
        "size_factor" | "accuracy_loss" => Some(ast::StepKind::Compress),
        _ => None,
    }
}

/// The entries of a block sorted by what they are, after unknown and duplicate attributes
/// and misplaced entries have been reported.
pub struct Entries<'b> {
    pub attrs: Vec<&'b ast::Attr>,
    pub blocks: Vec<&'b ast::NestedBlock>,
    pub steps: Vec<&'b ast::Step>,
    pub sweeps: Vec<&'b ast::Sweep>,
    /// Blocks reported as not allowed here (in a pipeline, usually a step whose keyword is
    /// not one), so that a pipeline is not also said to have no steps.
    pub rejected_blocks: usize,
    /// Attributes of the block that an unknown attribute is one slip from (`trac` for
    /// `trace`): reported there, so checks that depend on them stay silent.
    pub misspelt: Vec<String>,
}

impl<'b> Entries<'b> {
    pub fn get(&self, name: &str) -> Option<&'b ast::Attr> {
        self.attrs.iter().copied().find(|a| a.name.name == name)
    }
}

/// The names of a pipeline's steps whose keyword is not a step kind (`preproces { .. }`,
/// `augment { .. }`, reported as such): the keyword it is one slip from, else the block's
/// name (`task augment` with `task` left out). Uses of them (`after`, sweeps) are not
/// reported again.
pub fn lost_step_names(body: &ast::Block) -> Vec<String> {
    let keywords = ast::StepKind::ALL.map(|k| k.keyword());
    body.entries
        .iter()
        .filter_map(|entry| match entry {
            ast::Entry::Block(block) if block.name.name != "model" => Some(
                crate::diagnostic::suggest(&block.name.name, keywords)
                    .unwrap_or(&block.name.name)
                    .to_string(),
            ),
            _ => None,
        })
        .collect()
}

/// Other names for keyword values, as schedulers and papers write them (lower case, `_`
/// for `-`): each with the keyword the language writes and what it means, for the help.
const KEYWORD_SYNONYMS: &[(&str, &str, &str)] = &[
    ("fcfs", "fifo", "first come, first served"),
    (
        "first_come_first_served",
        "fifo",
        "first come, first served",
    ),
    ("first_in_first_out", "fifo", "first in, first out"),
    ("shortest_job_first", "sjf", "shortest job first"),
    ("shortest_job_next", "sjf", "shortest job next"),
    ("sjn", "sjf", "shortest job next"),
    ("spt", "sjf", "shortest processing time first"),
    (
        "shortest_processing_time",
        "sjf",
        "shortest processing time first",
    ),
    ("earliest_deadline_first", "edf", "earliest deadline first"),
    ("deadline", "edf", "earliest deadline first"),
    ("fairshare", "fair_share", "fair share"),
    ("fair", "fair_share", "fair share"),
    ("prio", "priority", "by priority"),
    ("priorities", "priority", "by priority"),
    ("strict_priority", "priority", "by priority"),
];

/// The attributes of a nested block (`autoscale`, `model`); `None` for `row`, whose
/// attributes are the template's own.
/// The nested blocks each kind of declaration holds (steps and `sweep` aside).
pub const POOL_BLOCKS: &[&str] = &["autoscale"];
pub const PIPELINE_BLOCKS: &[&str] = &["model"];
pub const ARRIVALS_BLOCKS: &[&str] = &["row"];

fn nested_block_attrs(block: &str) -> Option<&'static [(&'static str, AttrType)]> {
    match block {
        "autoscale" => Some(AUTOSCALE_ATTRS),
        "model" => Some(MODEL_ATTRS),
        _ => None,
    }
}

/// Two or more attributes a block does not take that all belong to one block it can hold
/// (`min`, `max`, .. loose in a resource) or to a step (`on`, `duration` loose in a
/// pipeline): the line that opened that block was lost. One report for them all, at the
/// first, rather than one per attribute.
fn stray_attributes(stray: &[(&str, Span, Diagnostic)], rules: &BlockRules) -> Option<Diagnostic> {
    let [(_, first, _), rest @ ..] = stray else {
        return None;
    };
    if rest.is_empty() {
        return None;
    }
    let nested = rules.blocks.iter().filter_map(|&block| {
        let attrs = nested_block_attrs(block)?;
        Some((
            format!("`{block} {{ }}`"),
            attrs,
            format!(
                "is the line `{block} {{` missing above them? Put them inside `{block} {{ ... }}`"
            ),
        ))
    });
    let step = rules.steps.then(|| {
        (
            "a step".to_string(),
            STEP_ATTRS,
            "is the line that opens their step (such as `train {`) missing above them? Put them inside a step".to_string(),
        )
    });
    let (owner, _, help) = nested.chain(step).find(|(_, attrs, _)| {
        stray
            .iter()
            .all(|(name, _, _)| attrs.iter().any(|(attr, _)| attr == name))
    })?;
    let names = stray
        .iter()
        .map(|(name, _, _)| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let grouped = Diagnostic::error(
        codes::UNKNOWN_ATTRIBUTE,
        format!("{names} are attributes of {owner}, not of {}", rules.owner),
    )
    .primary(*first, format!("the first of them, outside {owner}"));
    Some(grouped.help(help))
}

/// The kinds of block that take the attribute `name`, in words ("an `experiment`"), when
/// the block it was written in (taking `own`) does not: `replications` in the `scenario`
/// block belongs in an experiment.
fn owners_elsewhere(name: &str, own: &[&str]) -> Option<String> {
    const OWNERS: &[(&str, &[(&str, AttrType)])] = &[
        ("the `scenario` block", SCENARIO_ATTRS),
        ("a pool `resource`", POOL_ATTRS),
        ("a link `resource`", LINK_ATTRS),
        ("a pool's `autoscale { }`", AUTOSCALE_ATTRS),
        ("a `pipeline`", PIPELINE_ATTRS),
        ("a step", STEP_ATTRS),
        ("a pipeline's `model { }`", MODEL_ATTRS),
        ("an `arrivals` declaration", ARRIVALS_ATTRS),
        ("a `monitor`", MONITOR_ATTRS),
        ("an `experiment`", EXPERIMENT_ATTRS),
        ("a `profile`", PROFILE_ATTRS),
    ];
    // An attribute the block has under the same name is never "elsewhere" (`kind` is a
    // pool's and a link's; `start` the scenario's and an arrivals declaration's).
    if own.contains(&name) {
        return None;
    }
    let owners: Vec<&str> = OWNERS
        .iter()
        .filter(|(_, attrs)| attrs.iter().any(|(attr, _)| *attr == name))
        .map(|(owner, _)| *owner)
        .collect();
    match owners.as_slice() {
        [] => None,
        [one] => Some(one.to_string()),
        [first @ .., last] => Some(format!("{} and of {last}", first.join(", of "))),
    }
}

/// What a block allows.
pub struct BlockRules<'r> {
    /// What the block is, for messages: "resource `gpu`", "a `train` step".
    pub owner: String,
    pub attrs: &'r [&'r str],
    /// Attributes that exist elsewhere, with why they do not apply here.
    pub inapplicable: &'r [(&'r str, String)],
    /// A step's header before its clauses (`validate check`), empty for other blocks: a
    /// step's `after` or `when` written in its body is shown where it goes.
    pub step_header: &'r str,
    /// A step's own header clauses and the `{` of its body, where a quick fix moves a clause.
    pub step_clauses: Option<StepClauses>,
    /// Any other attribute name is a user attribute.
    pub user_attrs: bool,
    pub blocks: &'r [&'r str],
    pub steps: bool,
    pub sweeps: bool,
}

/// What a step's header already has, and where its body opens.
#[derive(Clone, Copy)]
pub struct StepClauses {
    pub has_after: bool,
    pub has_when: bool,
    pub body: Span,
}

impl<'r> BlockRules<'r> {
    /// A block of known attributes only: no user attributes, nested blocks, steps or sweeps.
    pub fn attributes(owner: String, attrs: &'r [&'r str]) -> BlockRules<'r> {
        BlockRules {
            owner,
            attrs,
            inapplicable: &[],
            step_header: "",
            step_clauses: None,
            user_attrs: false,
            blocks: &[],
            steps: false,
            sweeps: false,
        }
    }
}

pub struct LoweredDataset {
    /// Attribute name, type and lowered expression, in order (slots 0..n).
    pub vars: Vec<(String, Ty, ir::Expr)>,
    /// False when an attribute has an error (already reported): pipelines using the data set
    /// still see every attribute (erroneous ones as [`Ty::Error`]), so they report nothing
    /// more, but are not lowered.
    pub ok: bool,
}

pub struct Analyzer<'a> {
    pub sources: &'a SourceMap,
    pub program: &'a Program,
    pub symbols: Vec<ModuleSymbols>,
    pub diags: Diagnostics,
    pub overrides: Vec<Override>,
    /// `--set PATH=[a, b]`: sweeps from the command line, kept apart from `overrides` (a list
    /// is no attribute's value).
    command_sweeps: Vec<Override>,
    /// Paths the experiment sweeps that the command line sweeps or fixes instead.
    pub replaced_sweeps: Vec<String>,
    pub override_used: Vec<bool>,
    /// Overrides already reported as naming nothing valid: not applied, so that a wrong
    /// `--set` gives one diagnostic.
    pub override_rejected: Vec<bool>,
    pub labels: Vec<String>,
    pub label_ids: HashMap<String, ir::LabelId>,
    /// Every identifier some `choice` can produce.
    pub known_labels: BTreeSet<String>,
    /// Names that matches and comparisons use and no `choice` produces, each with the label
    /// one slip from it that a `choice` produces and nothing names (`tensorflow` →
    /// `tensorflo`): reported once, as `W0403`, at the `choice`, since each arm and
    /// comparison would otherwise warn with a "did you mean" pointing at the slip.
    pub label_slips: BTreeMap<String, String>,
    /// The W0403 report of each slipped label (`tensorflo`): a `match` it leaves without an
    /// arm makes that report an error, with the match as a label, instead of a second one.
    pub label_slip_reports: HashMap<String, usize>,
    /// (Owner, attribute) where an unknown attribute is one slip from the attribute: a
    /// missing one is not reported again.
    misspelt_attrs: std::collections::HashSet<(String, String)>,
    /// Unknown names in the entry file (see `entry_key`), with the index of their report:
    /// another use, a sweep or a metric that names one adds a label there rather than a
    /// report of its own.
    pub unknown_in_entry: HashMap<String, usize>,
    /// The declared name an unknown name's report (by index) suggests.
    pub unknown_meant: HashMap<usize, String>,
    /// While an attribute that names a declaration of one kind (`on`, a link, `profile`,
    /// `pipeline`, `data`) is typed: the spans of the paths that give its value, with the kind
    /// and the attribute, so that an unknown name there is suggested only names of that kind.
    pub wanted_kind: Vec<(Span, Expect, String)>,
    /// Declarations (module, item) that an expression names: `on = gpu`, `data = asset`,
    /// `profile = weekly`, `pipeline = classic`. Sweeps, `--set` and metrics do not count, so
    /// that a declaration only they name is reported as unused ([`codes::UNUSED_DECLARATION`]).
    pub used_decls: std::collections::HashSet<(usize, usize)>,
    /// The pipelines the entry file's monitors name in `pipelines = [..]`, where: a monitor
    /// watches only the models of runs that arrivals start, so one that no arrivals start
    /// is watched for nothing (see `report_unstarted_watched`).
    monitor_watched: Vec<(ir::PipelineId, Span)>,
    /// Where each of the entry file's monitors sets `every`, by monitor name.
    monitor_every_spans: HashMap<String, Span>,
    /// Attributes of the entry file's pipelines that no expression reads: (pipeline,
    /// attribute, where it is set), reported with the unused declarations.
    unread_attrs: Vec<(String, String, Span)>,
    /// Per module, the first part of every name its expressions use, for "did you mean":
    /// a declaration nothing names is likelier the slip than one in use.
    pub referenced: Vec<BTreeSet<String>>,
    /// Reads of a data set's `size` that is a plain number (name, where), and the report of
    /// the first dimension error each caused (see `Analyzer::blame_plain_size`).
    pub plain_sizes: Vec<(String, Span)>,
    pub plain_size_reports: HashMap<String, usize>,
    pub resource_ids: HashMap<(usize, usize), ir::ResourceId>,
    pub resources: Vec<ResourceInfo>,
    /// Module and item of the declaration lowered for each resource id.
    resource_decls: Vec<(usize, usize)>,
    pub pipeline_ids: HashMap<(usize, usize), ir::PipelineId>,
    pipeline_decls: Vec<(usize, usize, String)>,
    pub profile_ids: HashMap<(usize, usize), ir::ProfileId>,
    profile_decls: Vec<(usize, usize, String)>,
    /// `prefix.` of each module's declarations as the entry file names them (`aiops.`).
    pub module_prefix: Vec<Option<String>>,
    datasets: HashMap<(usize, usize), Option<Rc<LoweredDataset>>>,
    /// `scenario.start` and `horizon`, for trace replay.
    pub start_unix: i64,
    pub horizon: f64,
    /// The horizon as written, for messages, and where.
    horizon_text: Option<String>,
    horizon_span: Option<Span>,
    /// `scenario.start` was wrong (reported): trace times cannot be placed on the calendar.
    pub start_broken: bool,
    /// Steps with constant `units`, checked against their pools' sizes once every resource
    /// is lowered (a step can be lowered before the resource it runs on).
    units_checks: Vec<UnitsCheck>,
    /// Steps with an `estimate`: the template (filled in when its pipeline is lowered),
    /// where, and the pools their `on` can name, checked once the experiment's sweeps are
    /// known, for [`codes::ESTIMATE_UNUSED`].
    estimate_checks: Vec<(Option<ir::PipelineId>, Span, Vec<ir::ResourceId>)>,
    /// Each template's attributes (name, type, slot), for `row { }` blocks of arrivals.
    template_vars: HashMap<ir::PipelineId, Vec<Var>>,
    /// While a `row { }` block is typed: the trace's table, and the columns read so far
    /// (`row.X` is [`ir::VarRef::Column`] `k` for the `k`-th distinct column read, with
    /// where it is first read, and for a label column the labels its cells may hold).
    pub row_columns: Option<(std::sync::Arc<super::data::Table>, Vec<RowColumn>)>,
    /// Names of the resources and pipelines that did not lower (their errors reported):
    /// metrics that name them are not checked, since their kind or steps are unknown.
    pub broken_decls: Vec<String>,
    /// Where each pool's `capacity` and each link's `bandwidth` is set, for
    /// [`codes::POOL_OVERLOADED`] and [`codes::LINK_OVERLOADED`].
    capacity_spans: HashMap<ir::ResourceId, Span>,
    /// Where the entry file's arrivals set their source (`rate`, `interarrival`, `trace`),
    /// in the order of [`ir::Scenario::arrivals`]; `last_arrivals_source` is the latest
    /// lowered one's, pushed there if it is kept.
    arrivals_spans: Vec<Span>,
    last_arrivals_source: Option<Span>,
}

/// A column a `row { }` block reads: its index in the trace, where it is first read, and,
/// read as labels, the labels its cells may hold (else it is read as numbers).
pub type RowColumn = (usize, Span, Option<BTreeSet<ir::LabelId>>);

/// A step's constant `units` and the pools its `on` can name, for [`codes::UNITS_OVER_POOL`].
struct UnitsCheck {
    /// The template, filled in when its pipeline is lowered.
    pipeline: Option<ir::PipelineId>,
    units: UnitsFrom,
    span: Span,
    pools: Vec<ir::ResourceId>,
}

/// Where a checked `units` comes from.
enum UnitsFrom {
    Constant(f64),
    /// A template attribute (`units = gpus`), checked against the rows of a replayed trace
    /// that set it from a column.
    Attribute(u32),
}

impl<'a> Analyzer<'a> {
    pub fn new(
        sources: &'a SourceMap,
        program: &'a Program,
        overrides: &[Override],
    ) -> Analyzer<'a> {
        let mut diags = Diagnostics::default();
        let symbols = resolve::build_symbols(program, &mut diags);
        let (command_sweeps, overrides): (Vec<Override>, Vec<Override>) = overrides
            .iter()
            .cloned()
            .partition(|o| o.path_span.is_some() && matches!(o.value.kind, ast::ExprKind::List(_)));
        Analyzer {
            sources,
            program,
            symbols,
            diags,
            command_sweeps,
            replaced_sweeps: Vec::new(),
            override_used: vec![false; overrides.len()],
            override_rejected: vec![false; overrides.len()],
            overrides,
            labels: Vec::new(),
            label_ids: HashMap::new(),
            known_labels: BTreeSet::new(),
            label_slips: BTreeMap::new(),
            label_slip_reports: HashMap::new(),
            misspelt_attrs: Default::default(),
            unknown_in_entry: HashMap::new(),
            unknown_meant: HashMap::new(),
            wanted_kind: Vec::new(),
            used_decls: Default::default(),
            monitor_watched: Vec::new(),
            monitor_every_spans: HashMap::new(),
            unread_attrs: Vec::new(),
            referenced: Vec::new(),
            plain_sizes: Vec::new(),
            plain_size_reports: HashMap::new(),
            resource_ids: HashMap::new(),
            resources: Vec::new(),
            resource_decls: Vec::new(),
            pipeline_ids: HashMap::new(),
            pipeline_decls: Vec::new(),
            profile_ids: HashMap::new(),
            profile_decls: Vec::new(),
            module_prefix: Vec::new(),
            datasets: HashMap::new(),
            start_unix: 0,
            horizon: 0.0,
            horizon_text: None,
            horizon_span: None,
            start_broken: false,
            units_checks: Vec::new(),
            estimate_checks: Vec::new(),
            template_vars: HashMap::new(),
            row_columns: None,
            broken_decls: Vec::new(),
            capacity_spans: HashMap::new(),
            arrivals_spans: Vec::new(),
            last_arrivals_source: None,
        }
    }

    pub fn finish(self) -> Diagnostics {
        self.diags
    }

    pub fn resolver(&self) -> Resolver<'_> {
        Resolver {
            program: self.program,
            symbols: &self.symbols,
        }
    }

    /// The declaration at `item` of `module`, borrowed from the program (not from `self`).
    pub fn decl_of(&self, module: usize, item: usize) -> Option<&'a ast::Decl> {
        let program: &'a Program = self.program;
        match program.modules.get(module)?.ast.items.get(item)? {
            ast::Item::Decl(d) => Some(d),
            ast::Item::Import(_) => None,
        }
    }

    /// The source text of a span, for quoting a value as the user wrote it.
    pub fn text(&self, span: Span) -> String {
        self.sources.get(span.file).slice(span).trim().to_string()
    }

    pub fn label_name(&self, id: ir::LabelId) -> &str {
        self.labels
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }

    pub fn intern_label(&mut self, name: &str) -> ir::LabelId {
        if let Some(id) = self.label_ids.get(name) {
            return *id;
        }
        let id = self.labels.len() as ir::LabelId;
        self.labels.push(name.to_string());
        self.label_ids.insert(name.to_string(), id);
        id
    }

    /// The label called `name`, if some `choice` can produce it.
    pub fn known_label(&mut self, name: &str) -> Option<ir::LabelId> {
        self.known_labels
            .contains(name)
            .then(|| self.intern_label(name))
    }

    fn decls(&self, module: usize) -> impl Iterator<Item = (usize, &'a ast::Decl)> {
        let program: &'a Program = self.program;
        program.modules[module]
            .ast
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| match item {
                ast::Item::Decl(d) => Some((i, d)),
                ast::Item::Import(_) => None,
            })
    }

    fn decl_name(decl: &ast::Decl) -> String {
        decl.name
            .as_ref()
            .map(|n| n.name.clone())
            .unwrap_or_else(|| decl.kind.keyword().to_string())
    }

    /// Lowers everything; returns the scenario, whether the entry has a `scenario` block, and
    /// the sweep axes.
    pub fn run(&mut self) -> (ir::Scenario, bool, Vec<SweepAxis>) {
        self.compute_prefixes();
        self.collect_labels();
        self.assign_ids();
        self.check_override_paths();
        let n_modules = self.program.modules.len();

        // Scenario header first: traces need its start and horizon.
        let scenario_item = self.symbols[0].scenario;
        let header = self.lower_scenario(scenario_item);
        for module in 1..n_modules {
            if let Some(item) = self.symbols[module].scenario {
                self.check_foreign_scenario(module, item);
            }
        }

        let mut resources: Vec<Option<ir::Resource>> = vec![None; self.resources.len()];
        let mut profiles: Vec<Option<ir::Profile>> = vec![None; self.profile_decls.len()];
        let mut pipelines: Vec<Option<ir::Pipeline>> = vec![None; self.pipeline_decls.len()];
        for module in 0..n_modules {
            let decls: Vec<(usize, &ast::Decl)> = self.decls(module).collect();
            for (item, decl) in decls {
                match decl.kind {
                    DeclKind::Resource => {
                        let lowered = self.lower_resource(module, item, decl);
                        if let Some(id) = self
                            .resource_decls
                            .iter()
                            .position(|d| *d == (module, item))
                        {
                            resources[id] = lowered;
                        }
                    }
                    DeclKind::Profile => {
                        let lowered = self.lower_profile(module, item, decl);
                        if let Some(&id) = self.profile_ids.get(&(module, item)) {
                            profiles[id as usize] = lowered;
                        }
                    }
                    DeclKind::Dataset => {
                        self.dataset(module, item);
                    }
                    DeclKind::Pipeline => {
                        let lowered = self.lower_pipeline(module, item, decl);
                        if let Some(&id) = self.pipeline_ids.get(&(module, item)) {
                            pipelines[id as usize] = lowered;
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut arrivals = Vec::new();
        let mut monitors = Vec::new();
        for module in 0..n_modules {
            let decls: Vec<(usize, &ast::Decl)> = self.decls(module).collect();
            for (_, decl) in decls {
                match decl.kind {
                    DeclKind::Arrivals => {
                        if let Some(a) = self.lower_arrivals(module, decl) {
                            if module == 0 {
                                arrivals.push(a);
                                let span = self.last_arrivals_source.unwrap_or(decl.kind_span);
                                self.arrivals_spans.push(span);
                            }
                        }
                    }
                    DeclKind::Monitor => {
                        if let Some(m) = self.lower_monitor(module, decl) {
                            if module == 0 {
                                monitors.push(m);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        for (i, r) in resources.iter().enumerate() {
            if r.is_none() {
                self.broken_decls.push(self.resources[i].name.clone());
            }
        }
        if let Some(entry) = self.program.modules.first() {
            let unparsed = entry.ast.broken.iter().map(|name| name.name.clone());
            self.broken_decls.extend(unparsed);
        }
        for (i, p) in pipelines.iter().enumerate() {
            if p.is_none() {
                self.broken_decls.push(self.pipeline_decls[i].2.clone());
            }
        }
        let resources: Vec<ir::Resource> = resources
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.unwrap_or_else(|| ir::Resource {
                    name: self.resources[i].name.clone(),
                    kind: ir::ResourceKind::Link(ir::Link { bandwidth: 1.0 }),
                })
            })
            .collect();
        let pipelines: Vec<ir::Pipeline> = pipelines
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                p.unwrap_or_else(|| ir::Pipeline {
                    name: self.pipeline_decls[i].2.clone(),
                    vars: Vec::new(),
                    priority_var: None,
                    deadline_var: None,
                    steps: Vec::new(),
                    model: None,
                })
            })
            .collect();
        self.check_units_fit(&resources, &arrivals);
        let profiles: Vec<ir::Profile> = profiles
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                p.unwrap_or_else(|| ir::Profile {
                    name: self.profile_decls[i].2.clone(),
                    hourly: vec![1.0; 168],
                })
            })
            .collect();
        let mut experiment = ir::Experiment {
            replications: 1,
            confidence: 0.95,
            metrics: Vec::new(),
        };
        let mut written_sweeps = Vec::new();
        for module in 0..n_modules {
            if let Some(item) = self.symbols[module].experiment {
                if let Some(decl) = self.decl_of(module, item) {
                    let (e, s) = self.lower_experiment(module, decl, &resources, &pipelines);
                    if module == 0 {
                        experiment = e;
                        written_sweeps = s;
                    }
                }
            }
        }
        let sweep_paths: Vec<ast::Path> = written_sweeps.iter().map(|s| s.path.clone()).collect();
        let sweeps = self.sweeps_with_command_line(written_sweeps);
        self.check_estimates_used(&resources, &arrivals, &sweeps);
        self.warn_capacity_sweeps_of_autoscaled(&resources, &sweeps);
        self.report_unused_overrides();
        if scenario_item.is_some() && !self.diags.has_errors() {
            let no_arrivals = self.no_arrivals_written();
            if no_arrivals {
                self.report_no_arrivals(scenario_item);
            }
            self.report_unused_declarations(&sweep_paths, no_arrivals);
            self.report_unstarted_watched(&arrivals);
        }
        let scenario = ir::Scenario {
            name: header.name,
            start_unix: header.start_unix,
            start_rfc3339: header.start_rfc3339,
            horizon: header.horizon,
            warmup: header.warmup,
            seed: header.seed,
            drain: header.drain,
            resources,
            pipelines,
            profiles,
            arrivals,
            monitors,
            experiment,
            labels: self.labels.clone(),
        };
        if !self.diags.has_errors() {
            self.check_offered_load(&scenario);
        }
        (scenario, scenario_item.is_some(), sweeps)
    }

    /// An override whose path is valid but that no lowering read changes nothing: say so
    /// rather than run a sweep point identical to another.
    fn report_unused_overrides(&mut self) {
        for i in 0..self.overrides.len() {
            if self.override_used[i] || self.override_rejected[i] {
                continue;
            }
            let (path, span) = (self.overrides[i].path.clone(), self.overrides[i].value.span);
            self.diags.push(
                Diagnostic::error(codes::UNKNOWN_PATH, format!("`{path}` changes nothing in this scenario"))
                    .primary(span, "never used")
                    .help("the attribute is not read: its block (`autoscale`, `model`) is missing, or its declaration is replaced by the scenario's own (resources bind by name)"),
            );
        }
    }

    /// A resource, data set, profile or pipeline of the entry file that no expression names
    /// changes nothing in a run: most often its name is a slip, so the pipelines run on a
    /// library's resource of the intended name, or a sweep of it compares identical points.
    /// Only run on a scenario without errors: an expression that failed to type may have
    /// stopped before the names it holds.
    /// Without any `arrivals`, pipelines and profiles are not reported one by one: the
    /// missing `arrivals` is the mistake, and `W0703` says so once.
    fn report_unused_declarations(&mut self, sweeps: &[ast::Path], no_arrivals: bool) {
        let items = &self.program.modules[0].ast.items;
        for (index, item) in items.iter().enumerate() {
            let ast::Item::Decl(decl) = item else {
                continue;
            };
            let Some(name) = &decl.name else { continue };
            // Named by an expression that was checked, or written in one that `--set`
            // replaces for this run (`--set p.train.on=tpu` leaves the written `gpu` in use).
            let written = self
                .referenced
                .first()
                .is_some_and(|r| r.contains(&name.name));
            if self.used_decls.contains(&(0, index)) || written {
                continue;
            }
            let (what, use_it) = match decl.kind {
                DeclKind::Resource => (
                    "no step runs on it or transfers through it",
                    format!(
                        "run a step on it (`on = {0}`, `reads = SIZE from {0}`), or delete it",
                        name.name
                    ),
                ),
                DeclKind::Dataset => (
                    "no pipeline reads it",
                    format!("give a pipeline `data = {}`, or delete it", name.name),
                ),
                DeclKind::Profile | DeclKind::Pipeline if no_arrivals => continue,
                DeclKind::Profile => (
                    "no arrivals follow it",
                    format!(
                        "set `profile = {}` in an `arrivals`, or delete it",
                        name.name
                    ),
                ),
                DeclKind::Pipeline => (
                    "no arrivals start it",
                    format!(
                        "start it from an `arrivals` (`pipeline = {}`), or delete it",
                        name.name
                    ),
                ),
                _ => continue,
            };
            let mut d = Diagnostic::warning(
                codes::UNUSED_DECLARATION,
                format!("{} `{}` is never used", decl.kind.keyword(), name.name),
            )
            .primary(name.span, what);
            for sweep in sweeps {
                if sweep.parts.first().is_some_and(|p| p.name == name.name) {
                    d = d.secondary(sweep.span, "so this sweep compares identical points");
                }
            }
            let help = match decl.kind {
                DeclKind::Resource => self.library_resource_slip(&name.name),
                _ => None,
            };
            self.diags.push(d.help(help.unwrap_or(use_it)));
        }
        for (pipeline, attr, span) in std::mem::take(&mut self.unread_attrs) {
            let mut d = Diagnostic::warning(
                codes::UNUSED_DECLARATION,
                format!("attribute `{attr}` of pipeline `{pipeline}` is never read"),
            )
            .primary(span, "no step and no other attribute reads it");
            for sweep in sweeps {
                if let [p, a] = sweep.parts.as_slice() {
                    if p.name == pipeline && a.name == attr {
                        d = d.secondary(sweep.span, "so this sweep compares identical points");
                    }
                }
            }
            self.diags.push(d.help(format!(
                "read it in a step (such as `duration = {attr} * 1min` or `when {attr} > 1`), or delete it"
            )));
        }
    }

    /// A scenario without `arrivals` starts no pipeline (monitors retrain only the models
    /// that started pipelines deploy): a run reports zeros and empty columns, and exits 0, so
    /// a forgotten block would pass a CI job unnoticed.
    /// The entry file declares no `arrivals` (and every item of it parsed: one that did not
    /// may have been the arrivals).
    fn no_arrivals_written(&self) -> bool {
        let ast = &self.program.modules[0].ast;
        ast.broken.is_empty()
            && !ast.opener_lost
            && !ast.items.iter().any(
                |item| matches!(item, ast::Item::Decl(decl) if decl.kind == DeclKind::Arrivals),
            )
    }

    fn report_no_arrivals(&mut self, scenario_item: Option<usize>) {
        let Some(decl) = scenario_item.and_then(|item| self.decl_of(0, item)) else {
            return;
        };
        let span = decl.name.as_ref().map_or(decl.kind_span, |name| name.span);
        let example = self
            .pipeline_decls
            .iter()
            .find(|(module, _, _)| *module == 0)
            .map_or_else(|| "PIPELINE".to_string(), |(_, _, name)| name.clone());
        self.diags.push(
            Diagnostic::warning(
                codes::NO_ARRIVALS,
                "the scenario starts no pipelines: it has no `arrivals`",
            )
            .primary(span, "nothing arrives in this scenario")
            .help(format!(
                "add an `arrivals` declaration that starts a pipeline, such as `arrivals triggers {{ rate = 6/h  pipeline = {example} }}` (or `interarrival = ...`, or `trace = \"jobs.csv\"` to replay a trace)"
            )),
        );
    }

    /// A pipeline a monitor watches that no arrivals start: it never runs, so it has no models
    /// and the monitor never retrains anything (naming it in the monitor is all that keeps it
    /// from `W0202`).
    fn report_unstarted_watched(&mut self, arrivals: &[ir::Arrivals]) {
        let started = templates_started(arrivals);
        let mut reported = Vec::new();
        for (id, span) in std::mem::take(&mut self.monitor_watched) {
            if started.contains(&id) || reported.contains(&id) {
                continue;
            }
            reported.push(id);
            let Some((module, item, name)) = self.pipeline_decls.get(id as usize).cloned() else {
                continue;
            };
            let written = self.text(span).to_string();
            let mut d = Diagnostic::warning(
                codes::UNUSED_DECLARATION,
                format!(
                    "pipeline `{written}` is never started, so the monitor watches nothing of it"
                ),
            )
            .primary(span, "no arrivals start it");
            if let Some(declared) = self
                .decl_of(module, item)
                .and_then(|decl| decl.name.as_ref())
                .filter(|_| module == 0)
            {
                d = d.secondary(declared.span, format!("`{name}` declared here"));
            }
            self.diags.push(d.help(format!(
                "a monitor retrains the models that runs of the pipeline deploy: start it from an `arrivals` (`pipeline = {written}`), or take it out of `pipelines`"
            )));
        }
    }

    /// "did you mean `gpu`?" for an entry-file resource one slip from a resource an imported
    /// module declares and the entry file does not: the module's templates run on the
    /// scenario's resource only under the same name.
    fn library_resource_slip(&self, name: &str) -> Option<String> {
        let mut candidates: Vec<(String, String)> = Vec::new();
        for (m, symbols) in self.symbols.iter().enumerate().skip(1) {
            for (candidate, (symbol, _)) in &symbols.names {
                let is_resource = matches!(
                    symbol,
                    resolve::Symbol::Decl {
                        kind: DeclKind::Resource,
                        ..
                    }
                );
                if is_resource && !self.symbols[0].names.contains_key(candidate) {
                    let module = self.module_prefix[m].clone().unwrap_or_default();
                    candidates.push((candidate.clone(), module.trim_end_matches('.').to_string()));
                }
            }
        }
        candidates.sort();
        let meant = crate::diagnostic::suggest(name, candidates.iter().map(|(c, _)| c.as_str()))?;
        let (_, module) = candidates.iter().find(|(c, _)| c == meant)?;
        Some(format!(
            "did you mean `{meant}`? The templates of `{module}` run on the scenario's own `{meant}` only under that name (resources bind by name): now they run on `{module}.{meant}`"
        ))
    }

    /// Gives each module the prefix the entry file uses for it (`aiops.`), breadth first.
    fn compute_prefixes(&mut self) {
        let n = self.program.modules.len();
        let mut prefix: Vec<Option<String>> = vec![None; n];
        prefix[0] = Some(String::new());
        let mut queue = std::collections::VecDeque::from([0usize]);
        while let Some(m) = queue.pop_front() {
            let base = prefix[m].clone().unwrap_or_default();
            for (alias, target) in &self.program.modules[m].imports {
                if let Some(t) = target {
                    if prefix[*t].is_none() {
                        prefix[*t] = Some(format!("{base}{}.", alias.name));
                        queue.push_back(*t);
                    }
                }
            }
        }
        self.module_prefix = prefix;
    }

    fn qualified(&self, module: usize, name: &str) -> String {
        format!(
            "{}{name}",
            self.module_prefix
                .get(module)
                .cloned()
                .flatten()
                .unwrap_or_default()
        )
    }

    /// Every identifier a `choice` produces (except choices of pipelines in `arrivals`), and
    /// the label slips among them (see `label_slips`).
    fn collect_labels(&mut self) {
        #[derive(Default)]
        struct Seen {
            /// Label → where a `choice` first produces it.
            produced: BTreeMap<String, Span>,
            /// Name → how many match arms and `==`/`!=` operands name it.
            named: BTreeMap<String, usize>,
            /// The first part of every name an expression uses (`gpu`, `asset` of
            /// `asset.size`, the templates of a `choice`).
            referenced: BTreeSet<String>,
        }
        fn single(path: &ast::Path) -> Option<String> {
            (path.parts.len() == 1).then(|| path.dotted())
        }
        fn walk(e: &ast::Expr, out: &mut Seen) {
            match &e.kind {
                ast::ExprKind::Path(path) => {
                    if let Some(first) = path.parts.first() {
                        out.referenced.insert(first.name.clone());
                    }
                }
                ast::ExprKind::Choice(entries) => {
                    for entry in entries {
                        if let Some(first) = entry.key.parts.first() {
                            out.referenced.insert(first.name.clone());
                        }
                        if let Some(label) = single(&entry.key) {
                            out.produced.entry(label).or_insert(entry.key.span);
                        }
                        walk(&entry.weight, out);
                    }
                }
                ast::ExprKind::List(items) => items.iter().for_each(|i| walk(i, out)),
                ast::ExprKind::Unary { operand, .. } => walk(operand, out),
                ast::ExprKind::Binary { op, lhs, rhs, .. } => {
                    if matches!(op, ast::BinaryOp::Eq | ast::BinaryOp::Ne) {
                        for side in [lhs, rhs] {
                            if let ast::ExprKind::Path(path) = &side.kind {
                                if let Some(name) = single(path) {
                                    *out.named.entry(name).or_default() += 1;
                                }
                            }
                        }
                    }
                    walk(lhs, out);
                    walk(rhs, out);
                }
                ast::ExprKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    walk(cond, out);
                    walk(then, out);
                    walk(otherwise, out);
                }
                ast::ExprKind::Match { scrutinee, arms } => {
                    walk(scrutinee, out);
                    for arm in arms {
                        for pattern in &arm.patterns {
                            if let ast::Pattern::Name(path) = pattern {
                                if let Some(name) = single(path) {
                                    *out.named.entry(name).or_default() += 1;
                                }
                            }
                        }
                        walk(&arm.body, out);
                    }
                }
                ast::ExprKind::Call { args, .. } => args.iter().for_each(|a| walk(&a.value, out)),
                ast::ExprKind::Transfer { size, link, .. } => {
                    if let Some(first) = link.parts.first() {
                        out.referenced.insert(first.name.clone());
                    }
                    walk(size, out)
                }
                _ => {}
            }
        }
        fn block(b: &ast::Block, arrivals: bool, out: &mut Seen) {
            for entry in &b.entries {
                match entry {
                    ast::Entry::Attr(a) => {
                        if !(arrivals && a.name.name == "pipeline") {
                            walk(&a.value, out);
                        } else {
                            // The templates it starts, not labels.
                            let mut templates = Seen::default();
                            walk(&a.value, &mut templates);
                            out.referenced.extend(templates.referenced);
                        }
                    }
                    ast::Entry::Block(nb) => block(&nb.body, false, out),
                    ast::Entry::Step(s) => {
                        if let Some(w) = &s.when {
                            walk(w, out);
                        }
                        block(&s.body, false, out);
                    }
                    ast::Entry::Sweep(_) => {}
                }
            }
        }
        // Per module: a library's templates produce and match their own labels, which a
        // scenario's slip in a label of the same name must not hide. And per pipeline, whose
        // labels only its own steps read: `tensorflo` slipped in one pipeline's `choice` is
        // not hidden by another pipeline that produces `tensorflow`.
        let mut seen: Vec<Seen> = Vec::new();
        let mut pipelines: Vec<(usize, String, Seen)> = Vec::new();
        let mut from_datasets: Vec<BTreeSet<String>> = Vec::new();
        for (m, module) in self.program.modules.iter().enumerate() {
            let mut in_module = Seen::default();
            let mut datasets = Seen::default();
            for item in &module.ast.items {
                if let ast::Item::Decl(d) = item {
                    block(&d.body, d.kind == DeclKind::Arrivals, &mut in_module);
                    match d.kind {
                        DeclKind::Pipeline => {
                            let mut own = Seen::default();
                            block(&d.body, false, &mut own);
                            let name = d.name.as_ref().map_or("", |n| n.name.as_str());
                            pipelines.push((m, name.to_string(), own));
                        }
                        DeclKind::Dataset => block(&d.body, false, &mut datasets),
                        _ => {}
                    }
                }
            }
            seen.push(in_module);
            from_datasets.push(datasets.produced.into_keys().collect());
        }
        if let Some(entry) = seen.first_mut() {
            for o in self.overrides.iter().chain(&self.command_sweeps) {
                walk(&o.value, entry);
            }
        }
        for in_module in &seen {
            self.find_label_slips(
                &in_module.produced,
                &in_module.produced,
                &in_module.named,
                None,
            );
        }
        for (m, pipeline, own) in &pipelines {
            // What the pipeline names and neither it nor a data set produces, against the
            // labels it produces that nothing in the module names.
            let in_module = &seen[*m];
            let named: BTreeMap<String, usize> = own
                .named
                .iter()
                .filter(|(name, _)| !from_datasets[*m].contains(*name))
                .map(|(name, uses)| (name.clone(), *uses))
                .collect();
            let produced: BTreeMap<String, Span> = own
                .produced
                .iter()
                .filter(|(label, _)| !in_module.named.contains_key(*label))
                .map(|(label, at)| (label.clone(), *at))
                .collect();
            self.find_label_slips(&produced, &own.produced, &named, Some(pipeline));
        }
        self.referenced = seen
            .iter_mut()
            .map(|in_module| std::mem::take(&mut in_module.referenced))
            .collect();
        self.known_labels = seen
            .into_iter()
            .flat_map(|in_module| in_module.produced.into_keys())
            .collect();
    }

    /// Reports a label of `produced` that nothing names, one slip from a name that matches
    /// and comparisons use and nothing produces (of `all_produced`, which `produced` is part
    /// of: a pipeline's labels that its module names elsewhere are no candidates for a slip,
    /// but still produced): one of the two is misspelt.
    fn find_label_slips(
        &mut self,
        produced: &BTreeMap<String, Span>,
        all_produced: &BTreeMap<String, Span>,
        named: &BTreeMap<String, usize>,
        pipeline: Option<&str>,
    ) {
        let unnamed: Vec<&str> = produced
            .keys()
            .filter(|label| !named.contains_key(*label))
            .map(String::as_str)
            .collect();
        for (name, &uses) in named {
            // Named once, the name is as likely the slip as the label: the arm or comparison
            // is then told of the label (W0401, W0402).
            if uses < 2 || all_produced.contains_key(name) {
                continue;
            }
            let Some(label) = crate::diagnostic::suggest(name, unnamed.iter().copied()) else {
                continue;
            };
            if self.label_slips.values().any(|slip| slip == label) {
                continue;
            }
            let at = produced[label];
            let times = match uses {
                2 => "twice".to_string(),
                _ => format!("{uses} times"),
            };
            self.diags.push(
                Diagnostic::warning(
                    codes::LABEL_SLIP,
                    match pipeline {
                        None => format!("`{label}` is never matched, and `{name}`, which is matched, is never produced"),
                        Some(p) => format!("`{label}` is never matched, and pipeline `{p}` matches `{name}` but never produces it"),
                    },
                )
                .primary(at, "nothing matches or compares this label")
                .help(format!(
                    "did you mean `{name}`? {}",
                    match pipeline {
                        None => format!("Matches and comparisons in this file name `{name}` {times}, and no `choice` here produces it"),
                        Some(p) => format!("Matches and comparisons in pipeline `{p}` name `{name}` {times}, and no `choice` of it or of a data set produces it"),
                    }
                )),
            );
            self.label_slips.insert(name.clone(), label.to_string());
            self.label_slip_reports
                .insert(label.to_string(), self.diags.0.len() - 1);
        }
    }

    /// The written `kind = pool|link` of a resource (or its override).
    fn resource_kind(&self, module: usize, decl: &ast::Decl) -> Option<ResKind> {
        let prefix = self.attr_prefix(module, decl);
        let overridden = prefix.as_ref().and_then(|p| {
            self.overrides
                .iter()
                .find(|o| o.path == format!("{p}.kind"))
                .map(|o| &o.value)
        });
        let written = decl.body.entries.iter().find_map(|e| match e {
            ast::Entry::Attr(a) if a.name.name == "kind" => Some(&a.value),
            _ => None,
        });
        match &overridden.or(written)?.kind {
            ast::ExprKind::Path(p) if p.dotted() == "pool" => Some(ResKind::Pool),
            ast::ExprKind::Path(p) if p.dotted() == "link" => Some(ResKind::Link),
            _ => None,
        }
    }

    fn assign_ids(&mut self) {
        let n = self.program.modules.len();
        for module in 0..n {
            let decls: Vec<(usize, &ast::Decl)> = self.decls(module).collect();
            for (item, decl) in decls {
                let Some(name) = &decl.name else { continue };
                // A second declaration of a name is reported and not given an id.
                if !matches!(self.symbols[module].names.get(&name.name), Some((resolve::Symbol::Decl { item: i, .. }, _)) if *i == item)
                {
                    continue;
                }
                let qualified = self.qualified(module, &name.name);
                match decl.kind {
                    DeclKind::Resource => {
                        let shadowing = (module != 0)
                            .then(|| self.resolver().lookup(module, &name.name))
                            .flatten()
                            .filter(|(m, _)| *m == 0);
                        if let Some((
                            _,
                            resolve::Symbol::Decl {
                                item: entry_item, ..
                            },
                        )) = shadowing
                        {
                            if let Some(&id) = self.resource_ids.get(&(0, entry_item)) {
                                self.resource_ids.insert((module, item), id);
                                continue;
                            }
                        }
                        let id = self.resources.len() as ir::ResourceId;
                        let kind = self.resource_kind(module, decl);
                        self.resources.push(ResourceInfo {
                            name: qualified,
                            kind,
                        });
                        self.resource_decls.push((module, item));
                        self.resource_ids.insert((module, item), id);
                    }
                    DeclKind::Pipeline => {
                        let id = self.pipeline_decls.len() as ir::PipelineId;
                        self.pipeline_decls.push((module, item, qualified));
                        self.pipeline_ids.insert((module, item), id);
                    }
                    DeclKind::Profile => {
                        let id = self.profile_decls.len() as ir::ProfileId;
                        self.profile_decls.push((module, item, qualified));
                        self.profile_ids.insert((module, item), id);
                    }
                    _ => {}
                }
            }
        }
    }

    /// The override path prefix of a declaration (`gpu`, `aiops.edge`, `scenario`), or None
    /// when the entry file cannot name it.
    pub fn attr_prefix(&self, module: usize, decl: &ast::Decl) -> Option<String> {
        if decl.kind == DeclKind::Scenario {
            return (module == 0).then(|| "scenario".to_string());
        }
        if decl.kind == DeclKind::Experiment {
            return (module == 0).then(|| "experiment".to_string());
        }
        let prefix = self.module_prefix.get(module).cloned().flatten()?;
        decl.name.as_ref().map(|n| format!("{prefix}{}", n.name))
    }

    /// The value of attribute `name`: an override of `prefix.name`, or the written one.
    pub fn value<'e>(
        &mut self,
        prefix: Option<&str>,
        entries: &Entries<'e>,
        name: &str,
    ) -> Option<ast::Expr> {
        if let Some(prefix) = prefix {
            let path = format!("{prefix}.{name}");
            // The last override of a path wins: a sweep point's value comes after the
            // command line's `--set`, and is what the point's params report.
            let matching: Vec<usize> = (0..self.overrides.len())
                .filter(|i| !self.override_rejected[*i] && self.overrides[*i].path == path)
                .collect();
            if let Some(&last) = matching.last() {
                for i in &matching {
                    self.override_used[*i] = true;
                }
                return Some(self.overrides[last].value.clone());
            }
        }
        entries.get(name).map(|a| a.value.clone())
    }

    /// Sorts a block's entries, reporting unknown, duplicate and misplaced ones.
    pub fn entries<'b>(&mut self, block: &'b ast::Block, rules: &BlockRules) -> Entries<'b> {
        let mut out = Entries {
            attrs: Vec::new(),
            blocks: Vec::new(),
            steps: Vec::new(),
            sweeps: Vec::new(),
            rejected_blocks: 0,
            misspelt: Vec::new(),
        };
        // Attributes that are not this block's, with their report: pushed after the entries
        // unless they all belong to one nested block or step (see `stray_attributes`).
        let mut stray: Vec<(&str, Span, Diagnostic)> = Vec::new();
        for entry in &block.entries {
            match entry {
                ast::Entry::Attr(attr) => {
                    let name = attr.name.name.as_str();
                    if let Some(first) = out.get(name) {
                        self.diags.push(
                            Diagnostic::error(
                                codes::DUPLICATE_ATTRIBUTE,
                                format!("`{name}` is set twice in {}", rules.owner),
                            )
                            .primary(attr.name.span, "set again here")
                            .secondary(first.name.span, "first set here")
                            .help("keep one of them"),
                        );
                        continue;
                    }
                    if rules.attrs.contains(&name)
                        || (rules.user_attrs && !rules.inapplicable.iter().any(|(n, _)| *n == name))
                    {
                        out.attrs.push(attr);
                        continue;
                    }
                    if let Some((_, why)) = rules.inapplicable.iter().find(|(n, _)| *n == name) {
                        stray.push((
                            name,
                            attr.name.span,
                            Diagnostic::error(
                                codes::INAPPLICABLE_ATTRIBUTE,
                                format!("`{name}` does not apply to {}", rules.owner),
                            )
                            .primary(attr.name.span, "not applicable here")
                            .help(why.clone()),
                        ));
                        continue;
                    }
                    if !rules.step_header.is_empty() && matches!(name, "after" | "when") {
                        // The `after` clause as it would be written in the header, where the
                        // value is plain step names (`None` otherwise: the help shows the form).
                        let plain_after = match &attr.value.kind {
                            ast::ExprKind::Path(path) => Some(vec![path.dotted()]),
                            ast::ExprKind::List(items) => items
                                .iter()
                                .map(|item| match &item.kind {
                                    ast::ExprKind::Path(path) => Some(path.dotted()),
                                    _ => None,
                                })
                                .collect::<Option<Vec<String>>>()
                                .filter(|names| !names.is_empty()),
                            _ => None,
                        }
                        .filter(|_| name == "after")
                        .map(|names| format!("after {}", names.join(", ")));
                        let clause = match (name, &plain_after) {
                            (_, Some(plain)) => plain.clone(),
                            ("after", None) => "after STEP, STEP".to_string(),
                            _ => "when CONDITION".to_string(),
                        };
                        let header = rules.step_header;
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_ATTRIBUTE,
                            format!(
                                "`{name}` belongs in the header of {}, not in its body",
                                rules.owner
                            ),
                        )
                        .primary(attr.name.span, "not an attribute")
                        .help(format!(
                            "write it before the braces: `{header} {clause} {{ ... }}`"
                        ));
                        if let Some(fix) =
                            self.move_to_header(name, plain_after.as_deref(), attr, rules)
                        {
                            d.repair.get_or_insert_default().fixes = vec![fix];
                        }
                        self.diags.push(d);
                        continue;
                    }
                    if rules.blocks.contains(&name) {
                        // `autoscale = true`: a nested block written as an attribute.
                        let takes = nested_block_attrs(name)
                            .map(|attrs| {
                                let names: Vec<&str> = attrs.iter().map(|a| a.0).collect();
                                format!(", which takes `{}`", names.join("`, `"))
                            })
                            .unwrap_or_default();
                        stray.push((
                            name,
                            attr.name.span,
                            Diagnostic::error(
                                codes::UNKNOWN_ATTRIBUTE,
                                format!("`{name}` is a block of {}, not an attribute", rules.owner),
                            )
                            .primary(attr.name.span, "written as an attribute")
                            .help(format!(
                                "write it without `=`, as a block of its own: `{name} {{ ... }}`{takes}"
                            )),
                        ));
                        continue;
                    }
                    let known: Vec<&str> = rules.attrs.to_vec();
                    if let Some(meant) = crate::diagnostic::suggest(name, known.iter().copied()) {
                        out.misspelt.push(meant.to_string());
                        self.misspelt_attrs
                            .insert((rules.owner.clone(), meant.to_string()));
                    }
                    let help = match did_you_mean(name, known.iter().copied()) {
                        Some(h) => h,
                        None if let Some(owners) = owners_elsewhere(name, &known) => format!(
                            "`{name}` is an attribute of {owners}, not of {}: move it there",
                            rules.owner
                        ),
                        None if known.is_empty() => format!("{} takes no attributes", rules.owner),
                        None => format!(
                            "{} takes `{}`{}",
                            rules.owner,
                            known.join("`, `"),
                            rules
                                .blocks
                                .iter()
                                .map(|b| format!(", and a block `{b} {{ ... }}`"))
                                .collect::<String>()
                        ),
                    };
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_ATTRIBUTE,
                        format!("unknown attribute `{name}` in {}", rules.owner),
                    )
                    .primary(attr.name.span, "unknown attribute")
                    .help(help);
                    if let Some(fix) = self.move_to_block(name, attr, &known) {
                        d.repair.get_or_insert_default().fixes = vec![fix];
                    }
                    stray.push((name, attr.name.span, d));
                }
                ast::Entry::Block(nb) => {
                    if rules.blocks.contains(&nb.name.name.as_str()) {
                        out.blocks.push(nb);
                    } else if rules.steps {
                        // In a pipeline, `NAME { ... }` is most likely a step whose keyword was
                        // left out or misspelt.
                        out.rejected_blocks += 1;
                        let name = &nb.name.name;
                        let keywords = ast::StepKind::ALL.iter().map(|k| k.keyword());
                        let help = match did_you_mean(name, keywords.chain(rules.blocks.iter().copied())) {
                            Some(h) => h,
                            None => format!(
                                "a step starts with its kind, then an optional name: write `task {name} {{ ... }}` for a generic step, or `train {name} {{ ... }}`"
                            ),
                        };
                        self.diags.push(
                            Diagnostic::error(
                                codes::MISPLACED_ENTRY,
                                format!("`{name}` is not a kind of step: steps are `preprocess`, `train`, `validate`, `compress` and `task`"),
                            )
                            .primary(nb.name.span, "not a step kind")
                            .help(help),
                        );
                    } else {
                        let help = match did_you_mean(&nb.name.name, rules.blocks.iter().copied()) {
                            Some(h) => h,
                            None if nb.name.name == "autoscale" => {
                                "only pools (`kind = pool`) autoscale".to_string()
                            }
                            None if rules.blocks.is_empty() => {
                                format!("{} has no nested blocks", rules.owner)
                            }
                            None => format!(
                                "{} can hold `{}` blocks",
                                rules.owner,
                                rules.blocks.join("`, `")
                            ),
                        };
                        self.diags.push(
                            Diagnostic::error(
                                codes::MISPLACED_ENTRY,
                                format!("`{}` is not allowed in {}", nb.name.name, rules.owner),
                            )
                            .primary(nb.name.span, "not allowed here")
                            .help(help),
                        );
                    }
                }
                ast::Entry::Step(step) => {
                    if rules.steps {
                        out.steps.push(step);
                    } else {
                        self.diags.push(
                            Diagnostic::error(
                                codes::MISPLACED_ENTRY,
                                format!(
                                    "a `{}` step is not allowed in {}",
                                    step.kind.keyword(),
                                    rules.owner
                                ),
                            )
                            .primary(step.kind_span, "steps belong in a pipeline")
                            .help("move the step into a `pipeline` block"),
                        );
                    }
                }
                ast::Entry::Sweep(sweep) => {
                    if rules.sweeps {
                        out.sweeps.push(sweep);
                    } else {
                        self.diags.push(
                            Diagnostic::error(
                                codes::MISPLACED_ENTRY,
                                format!("`sweep` is not allowed in {}", rules.owner),
                            )
                            .primary(sweep.span, "sweeps belong in the experiment")
                            .help("move the sweep into the `experiment` block"),
                        );
                    }
                }
            }
        }
        match stray_attributes(&stray, rules) {
            Some(grouped) => {
                if rules.steps {
                    // Their step lost its opening line: the pipeline has one.
                    out.rejected_blocks += 1;
                }
                self.diags.push(grouped);
            }
            None => {
                for (_, _, diagnostic) in stray {
                    self.diags.push(diagnostic);
                }
            }
        }
        out
    }

    /// Whether the entry scenario's `start` is written with a slip (reported there).
    pub fn scenario_start_misspelt(&self) -> bool {
        self.misspelt_attrs
            .iter()
            .any(|(owner, attr)| owner.starts_with("scenario") && attr == "start")
    }

    /// "Move `after preprocess` to the step's header": the clause written before the step's
    /// `{`, and the attribute taken out of its body. None where the header has that clause
    /// already, or a `when` that an `after` would have to come before, or an `after` that is
    /// not plain step names (`plain_after`, the clause as the header would read it).
    fn move_to_header(
        &self,
        name: &str,
        plain_after: Option<&str>,
        attr: &ast::Attr,
        rules: &BlockRules,
    ) -> Option<crate::diagnostic::Fix> {
        let step = rules.step_clauses?;
        let clause = match (name, plain_after) {
            ("after", Some(clause)) if !step.has_after && !step.has_when => clause.to_string(),
            ("when", _) if !step.has_when => format!(
                "when {}",
                self.sources
                    .get(attr.value.span.file)
                    .slice(attr.value.span)
            ),
            _ => return None,
        };
        let at = Span::new(
            step.body.file,
            step.body.start as usize,
            step.body.start as usize,
        );
        Some(crate::diagnostic::Fix {
            title: format!("Move `{clause}` to the step's header"),
            edits: vec![
                (at, format!("{clause} ")),
                (self.removal(attr), String::new()),
            ],
        })
    }

    /// What removing an attribute removes: its line where it is alone on it, else the
    /// attribute and the blanks before it.
    fn removal(&self, attr: &ast::Attr) -> Span {
        let text = &self.sources.get(attr.span.file).text;
        let (start, end) = (attr.span.start as usize, attr.span.end as usize);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
        let alone =
            text[line_start..start].trim().is_empty() && text[end..line_end].trim().is_empty();
        if alone && line_end < text.len() {
            Span::new(attr.span.file, line_start, line_end + 1)
        } else {
            let blanks = text[line_start..start].len() - text[line_start..start].trim_end().len();
            Span::new(attr.span.file, start - blanks, end)
        }
    }

    /// "Move `replications = 10` into the `experiment`": an attribute of the `scenario` block
    /// written in the experiment, or one of the experiment's written in the scenario block
    /// (or anywhere else), moved into that block where the scenario's file has one that
    /// does not set it yet. An experiment's attribute in a file without an experiment starts
    /// one (not where an `experiment` did not parse: it is there, with a syntax error). Not in an imported module, whose scenario and experiment blocks do not count.
    fn move_to_block(
        &self,
        name: &str,
        attr: &ast::Attr,
        own: &[&str],
    ) -> Option<crate::diagnostic::Fix> {
        if own.contains(&name) {
            return None;
        }
        let has = |attrs: &[(&str, AttrType)]| attrs.iter().any(|(a, _)| *a == name);
        let kind = match (has(SCENARIO_ATTRS), has(EXPERIMENT_ATTRS)) {
            // `start` is an arrivals declaration's too: which one is meant is not clear.
            (true, false) if name != "start" => ast::DeclKind::Scenario,
            (false, true) => ast::DeclKind::Experiment,
            _ => return None,
        };
        if self.program.module_of(attr.span.file)? != 0 {
            return None;
        }
        let module = self.program.modules.first()?;
        let mut targets = module.ast.items.iter().filter_map(|item| match item {
            ast::Item::Decl(decl) if decl.kind == kind => Some(decl),
            _ => None,
        });
        let source = self.sources.get(attr.span.file);
        let written = source.slice(attr.span);
        let title = format!("Move `{written}` into the `{}`", kind.keyword());
        let removed = (self.removal(attr), String::new());
        let (target, others) = (targets.next(), targets.next());
        let target = match (target, others) {
            (Some(target), None) => target,
            // Not where the file's experiment may be one that did not parse: a second would
            // be an error once it is mended (its slip is reported, and fixed first).
            (None, _) if kind == ast::DeclKind::Experiment && !module.ast.experiment_lost => {
                let end = source.text.len();
                // One blank line before it, whatever the file ends with.
                let blank = match source.text.len() - source.text.trim_end_matches('\n').len() {
                    0 => "\n\n",
                    1 => "\n",
                    _ => "",
                };
                return Some(crate::diagnostic::Fix {
                    title: format!("Move `{written}` into a new `experiment`"),
                    edits: vec![
                        removed,
                        (
                            Span::new(attr.span.file, end, end),
                            format!("{blank}experiment {{\n  {written}\n}}\n"),
                        ),
                    ],
                });
            }
            _ => return None,
        };
        let taken = target
            .body
            .entries
            .iter()
            .any(|entry| matches!(entry, ast::Entry::Attr(a) if a.name.name == name));
        if taken {
            return None;
        }
        // Before the block's closing brace: on a line of its own, indented as the block's
        // first entry (two spaces when it has none), where the brace is on its own line.
        let close = target.body.span.end as usize - 1;
        let text = &source.text;
        let line_start = text[..close].rfind('\n').map_or(0, |i| i + 1);
        let inserted = if text[line_start..close].trim().is_empty() {
            let indent = target
                .body
                .entries
                .first()
                .map(|entry| {
                    let start = entry.span().start as usize;
                    let from = text[..start].rfind('\n').map_or(0, |i| i + 1);
                    text[from..start].to_string()
                })
                .filter(|indent| indent.trim().is_empty())
                .unwrap_or_else(|| "  ".to_string());
            (
                Span::new(attr.span.file, line_start, line_start),
                format!("{indent}{written}\n"),
            )
        } else {
            (
                Span::new(attr.span.file, close, close),
                format!("{written} "),
            )
        };
        Some(crate::diagnostic::Fix {
            title,
            edits: vec![inserted, removed],
        })
    }

    /// The edit that writes the attribute `written` (`time_column = "submit"`) after `attr`:
    /// on a line of its own, indented as `attr`, where `attr` ends its line; else after it
    /// on the same line.
    pub fn attribute_after(&self, attr: &ast::Attr, written: &str) -> (Span, String) {
        let source = self.sources.get(attr.span.file);
        let text = &source.text;
        let (start, end) = (attr.span.start as usize, attr.span.end as usize);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
        let indent = &text[line_start..start];
        // Only a comment may follow it on its line.
        let rest = text[end..line_end].trim();
        if indent.trim().is_empty() && (rest.is_empty() || rest.starts_with("//")) {
            // Before the line's end, in the file's own line ending.
            let (line_end, newline) = match text[..line_end].strip_suffix('\r') {
                Some(before) => (before.len(), "\r\n"),
                None => (line_end, "\n"),
            };
            (
                Span::new(attr.span.file, line_end, line_end),
                format!("{newline}{indent}{written}"),
            )
        } else {
            (Span::new(attr.span.file, end, end), format!(" {written}"))
        }
    }

    /// "Rename the import `aiop` to `aiops`" (see [`Self::misspelt_alias_fix`]), or
    /// "Add `import "std/aiops" as aiops`" for `aiops.NAME` written in `module` where no
    /// alias `aiops` is, and the standard library has that module: the line goes after the
    /// module's last import, or before its first item.
    pub fn missing_import_fix(
        &self,
        module: usize,
        parts: &[ast::Ident],
    ) -> Option<crate::diagnostic::Fix> {
        let (first, rest) = parts.split_first()?;
        if rest.is_empty() || self.symbols[module].names.contains_key(&first.name) {
            return None;
        }
        if let Some(fix) = self.misspelt_alias_fix(module, &first.name) {
            return Some(fix);
        }
        let stdlib = format!("std/{}", first.name);
        let m = self.program.modules.get(module)?;
        // Imported already under another name: that name is the one to write.
        let imported = m.ast.items.iter().any(|item| {
            matches!(item, ast::Item::Import(import)
                if import.path.trim_end_matches(".pipesim") == stdlib)
        });
        if imported
            || !crate::loader::STDLIB
                .iter()
                .any(|(path, _)| *path == stdlib)
        {
            return None;
        }
        // `profiles.office`, which `std/profiles` does not declare: the import alone would
        // not mend it; with the declaration one slip away, the fix writes that one too.
        let declared = resolve::stdlib_declarations(&stdlib)?;
        let wanted = &rest[0];
        let renamed = if declared.contains(&wanted.name) {
            None
        } else {
            let meant =
                crate::diagnostic::suggest(&wanted.name, declared.iter().map(String::as_str))?;
            Some((wanted.span, meant.to_string()))
        };
        let line = format!("import \"{stdlib}\" as {}", first.name);
        let mut edits = vec![self.import_line_edit(module, &line)?];
        let mut title = format!("Add `{line}`");
        if let Some((span, meant)) = renamed {
            title += &format!(" and change `{}` to `{meant}`", wanted.name);
            edits.push((span, meant));
        }
        Some(crate::diagnostic::Fix { title, edits })
    }

    /// The edit that adds the import `line` to `module`: after its last import, or above
    /// its first declaration.
    pub fn import_line_edit(&self, module: usize, line: &str) -> Option<(Span, String)> {
        let m = self.program.modules.get(module)?;
        let last_import = m.ast.items.iter().rev().find_map(|item| match item {
            ast::Item::Import(import) => Some(import.span.end as usize),
            ast::Item::Decl(_) => None,
        });
        let (at, text) = match (last_import, m.ast.items.first()) {
            (Some(end), _) => (end, format!("\n{line}")),
            (None, Some(item)) => {
                let start = match item {
                    ast::Item::Decl(d) => d.span.start,
                    ast::Item::Import(i) => i.span.start,
                } as usize;
                (start, format!("{line}\n\n"))
            }
            (None, None) => (0, format!("{line}\n")),
        };
        Some((Span::new(m.file, at, at), text))
    }

    /// Whether `file` is a standard library module, which no quick fix may edit.
    fn read_only(&self, file: crate::source::FileId) -> bool {
        matches!(
            self.sources.get(file).origin,
            crate::source::Origin::Stdlib(_)
        )
    }

    /// "Rename the import `aiop` to `aiops`" where `aiops.NAME` is written in `module` and
    /// the module imports something as `aiop`, one slip away, that no expression uses: the
    /// slip is in the one `import` line, not in each use. Not where the alias is the name of
    /// the file it imports (`import "std/profiles" as profiles`): the use is the slip.
    fn misspelt_alias_fix(&self, module: usize, written: &str) -> Option<crate::diagnostic::Fix> {
        let symbols = &self.symbols[module];
        let aliases = symbols.order.iter().filter(|name| {
            matches!(
                symbols.names.get(*name),
                Some((resolve::Symbol::Import(_), _))
            )
        });
        let alias = suggest(written, aliases.map(String::as_str))?;
        let used = self
            .referenced
            .get(module)
            .is_some_and(|names| names.contains(alias));
        let (_, at) = symbols.names.get(alias)?;
        let named_as_its_file =
            self.program.modules[module]
                .ast
                .items
                .iter()
                .any(|item| match item {
                    ast::Item::Import(import) => {
                        import.alias.name == alias
                            && import
                                .path
                                .rsplit('/')
                                .next()
                                .is_some_and(|file| file.trim_end_matches(".pipesim") == alias)
                    }
                    ast::Item::Decl(_) => false,
                });
        (!used && !self.read_only(at.file) && !named_as_its_file).then(|| crate::diagnostic::Fix {
            title: format!("Rename the import `{alias}` to `{written}`"),
            edits: vec![(*at, written.to_string())],
        })
    }

    /// Whether a declaration of `module` lost its name or its opening line (reported): a name
    /// the module does not define may be that one, so it is not reported as unknown, nor a
    /// sweep or metric of it.
    pub fn names_lost(&self, module: usize) -> bool {
        self.program.modules.get(module).is_some_and(|m| {
            m.ast.opener_lost
                || m.ast.items.iter().any(|item| {
                    matches!(item, ast::Item::Decl(d) if d.name.is_none()
                        && !matches!(d.kind, DeclKind::Scenario | DeclKind::Experiment))
                })
        })
    }

    /// What an unknown name in `module` is recorded under in `unknown_in_entry`, so that its
    /// other uses are labels on one report: a single name (a declaration's) as it is, and
    /// `ALIAS.NAME` whose alias is not an import as `ALIAS.*`. Only in the entry file.
    pub fn entry_key(&self, module: usize, parts: &[ast::Ident]) -> Option<String> {
        match parts {
            _ if module != 0 => None,
            [only] => Some(only.name.clone()),
            [first, ..] if resolve::missing_import_help(&self.symbols[module], parts).is_some() => {
                Some(format!("{}.*", first.name))
            }
            _ => None,
        }
    }

    /// Adds `span` as "also named here" to the report of `name` as an unknown name in the
    /// entry file, if there is one; whether there was.
    pub fn also_unknown(&mut self, name: &str, span: Span) -> bool {
        let Some(&index) = self.unknown_in_entry.get(name) else {
            return false;
        };
        self.unknown_again(index, name, span, "also named here");
        true
    }

    /// Another use of the unknown name that report `index` is about: a label on it. Named
    /// more than once against one declared name like it, the slip is more likely where that
    /// one is declared, and the help says so.
    pub fn unknown_again(&mut self, index: usize, name: &str, span: Span, text: &str) {
        let meant = self.unknown_meant.get(&index).cloned();
        let module = self.program.module_of(span.file);
        // An attribute of a template is declared in the template around one of the uses
        // (a trace's `row { }` sets it from outside).
        let uses: Vec<Span> = self.diags.0.get(index).map_or(Vec::new(), |d| {
            d.labels.iter().map(|l| l.span).chain([span]).collect()
        });
        // The template's attribute first: it hides a declaration of its name in the steps.
        let attribute = meant.as_ref().zip(module).and_then(|(declared, m)| {
            uses.iter()
                .find_map(|&at| self.enclosing_attribute(m, at, declared, name))
        });
        let rename = attribute.clone().or_else(|| {
            meant
                .as_ref()
                .zip(module)
                .and_then(|(declared, m)| self.declared_site(m, declared, name))
        });
        // `gpu = 1` for `gpus = 1` in a pipeline whose steps run `on = gpu`: the attribute
        // hides the pool, so what names `gpu` elsewhere says nothing about the attribute.
        let hides_a_declaration = attribute.is_some()
            && meant
                .as_ref()
                .zip(module)
                .is_some_and(|(declared, m)| self.symbols[m].names.contains_key(declared));
        let Some(reported) = self.diags.0.get_mut(index) else {
            return;
        };
        reported.labels.push(crate::diagnostic::Label {
            span,
            text: text.to_string(),
            primary: false,
        });
        // Named again, and declared where nothing else in the file names it: the
        // declaration is likelier the slip than each use.
        let named_elsewhere = |declared: &String| {
            module
                .and_then(|m| self.referenced.get(m))
                .is_some_and(|names| names.contains(declared))
        };
        if let Some(declared) =
            meant.filter(|declared| hides_a_declaration || !named_elsewhere(declared))
        {
            let uses = match reported.labels.len() {
                2 => "twice".to_string(),
                n => format!("{n} times"),
            };
            reported.help = Some(format!(
                "`{name}` is named {uses}, and `{declared}` is declared: is `{declared}` misspelt where it is declared? If not, write `{declared}` at each use"
            ));
            // The likelier mend, for an editor's quick fix: the one declaration, not the uses.
            if let Some((declared_at, new_name)) = rename {
                let repair = reported.repair.get_or_insert_default();
                repair.alternatives.clear();
                repair.fixes = vec![crate::diagnostic::Fix {
                    title: format!("Rename `{declared}` to `{name}` where it is declared"),
                    edits: vec![(declared_at, new_name)],
                }];
            }
        }
    }

    /// Where `declared` (as named in module `m`) is written, and what it would read to be
    /// `wanted`: a declaration's name (`storag`), or a data set's attribute (`siz` of
    /// `asset.siz`, for `asset.size`), followed through import aliases into a module on disk
    /// (`lib.photos.siz`). `None` in a standard library module, which is read-only.
    pub(super) fn declared_site(
        &self,
        m: usize,
        declared: &str,
        wanted: &str,
    ) -> Option<(Span, String)> {
        if let (Some((alias, declared_rest)), Some((same_alias, wanted_rest))) =
            (declared.split_once('.'), wanted.split_once('.'))
        {
            if let Some((resolve::Symbol::Import(Some(module)), _)) =
                self.symbols[m].names.get(alias)
            {
                return (alias == same_alias)
                    .then(|| self.declared_site(*module, declared_rest, wanted_rest))
                    .flatten();
            }
        }
        if self.read_only(self.program.modules[m].file) {
            return None;
        }
        match self.symbols[m].names.get(declared) {
            Some((resolve::Symbol::Decl { .. }, at)) => Some((*at, wanted.to_string())),
            _ => {
                let (dataset, attribute) = declared.split_once('.')?;
                let (_, wanted) = wanted.split_once('.')?;
                let attr = self.dataset_attribute(m, dataset, attribute)?;
                Some((attr.name.span, wanted.to_string()))
            }
        }
    }

    /// Where the declaration around `used_at` sets its attribute `declared` (`framewor` in
    /// a pipeline whose steps read `framework`), and what it would read to be `wanted`.
    /// `None` in a standard library module, which is read-only.
    fn enclosing_attribute(
        &self,
        m: usize,
        used_at: Span,
        declared: &str,
        wanted: &str,
    ) -> Option<(Span, String)> {
        let module = &self.program.modules[m];
        if self.read_only(module.file) {
            return None;
        }
        module.ast.items.iter().find_map(|item| match item {
            ast::Item::Decl(decl)
                if decl.span.start <= used_at.start && used_at.end <= decl.span.end =>
            {
                decl.body.entries.iter().find_map(|entry| match entry {
                    ast::Entry::Attr(attr) if attr.name.name == declared => {
                        Some((attr.name.span, wanted.to_string()))
                    }
                    _ => None,
                })
            }
            _ => None,
        })
    }

    pub fn missing(&mut self, span: Span, owner: &str, attr: &str, help: String) {
        if self
            .misspelt_attrs
            .contains(&(owner.to_string(), attr.to_string()))
        {
            // `horizo = 30d`: "unknown attribute, did you mean `horizon`?" says it all.
            return;
        }
        self.diags.push(
            Diagnostic::error(codes::MISSING_ATTRIBUTE, format!("{owner} needs `{attr}`"))
                .primary(span, format!("no `{attr}`"))
                .help(help),
        );
    }

    pub fn out_of_range(&mut self, span: Span, message: String, help: String) {
        self.diags.push(
            Diagnostic::error(codes::OUT_OF_RANGE, message)
                .primary(span, "out of range")
                .help(help),
        );
    }

    /// Checks and lowers an attribute value that must be a constant of `expect`.
    pub fn constant(
        &mut self,
        e: &ast::Expr,
        expect: Expect,
        what: &str,
        scope: &Scope,
    ) -> Option<f64> {
        let typed = self.expr(e, scope);
        if !self.expect(&typed, expect, e.span, what) || typed.ty == Ty::Error {
            return None;
        }
        match const_num(&typed.ir) {
            Some(v) => Some(v),
            None => {
                self.diags.push(
                    Diagnostic::error(codes::NOT_CONSTANT, format!("`{what}` must be a constant"))
                        .primary(e.span, "random or computed per instance")
                        .help(format!("write a fixed value for `{what}`; randomness belongs in pipeline, dataset and step attributes")),
                );
                None
            }
        }
    }

    /// A constant boolean attribute.
    pub fn constant_bool(&mut self, e: &ast::Expr, what: &str, scope: &Scope) -> Option<bool> {
        let typed = self.expr(e, scope);
        if !self.expect(&typed, Expect::Bool, e.span, what) || typed.ty == Ty::Error {
            return None;
        }
        match super::consts::const_value(&typed.ir) {
            Some(ir::Value::Bool(b)) => Some(b),
            _ => {
                self.diags.push(
                    Diagnostic::error(codes::NOT_CONSTANT, format!("`{what}` must be a constant"))
                        .primary(e.span, "random or computed")
                        .help("write `true` or `false`"),
                );
                None
            }
        }
    }

    /// A constant whole number ≥ `min`.
    pub fn whole(&mut self, e: &ast::Expr, what: &str, min: f64, scope: &Scope) -> Option<f64> {
        let v = self.constant(e, Expect::Dim(Dim::NONE), what, scope)?;
        if v.fract() != 0.0 || v < min || v > u32::MAX as f64 {
            self.out_of_range(
                e.span,
                format!(
                    "`{what}` must be a whole number of at least {}, found {}",
                    show(min),
                    show(v)
                ),
                if v.fract() != 0.0 && v > min && v < u32::MAX as f64 {
                    format!(
                        "write a whole number, such as `{}` or `{}`",
                        show(v.floor().max(min)),
                        show(v.ceil())
                    )
                } else {
                    format!("write a whole number such as `{}`", show(min.max(1.0)))
                },
            );
            return None;
        }
        Some(v)
    }

    /// A keyword attribute (`policy = sjf`). `taken` are the values a sweep gives beside this
    /// one, which an unknown value is not suggested: `[fifo, lifo]` is not told "did you
    /// mean `fifo`?".
    pub fn keyword(
        &mut self,
        e: &ast::Expr,
        what: &str,
        allowed: &[&str],
        taken: &[String],
    ) -> Option<usize> {
        let ast::ExprKind::Path(p) = &e.kind else {
            let mut d = Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("expected one of `{}` for `{what}`", allowed.join("`, `")),
            )
            .primary(e.span, "not a keyword");
            // `policy = "sjf"`: the keyword in quotes, as other formats write it.
            d = match &e.kind {
                ast::ExprKind::Str(text) if allowed.contains(&text.as_str()) => {
                    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                        title: format!("Write `{text}`"),
                        edits: vec![(e.span, text.clone())],
                    }];
                    d.help(format!("`{text}` is a keyword, written without quotes"))
                }
                // `policy = "SJF"`: in quotes and in capitals, both as other formats write it.
                ast::ExprKind::Str(text) if allowed.contains(&text.to_lowercase().as_str()) => {
                    let keyword = text.to_lowercase();
                    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                        title: format!("Write `{keyword}`"),
                        edits: vec![(e.span, keyword.clone())],
                    }];
                    d.help(format!(
                        "`{keyword}` is a keyword, written in lower case and without quotes"
                    ))
                }
                _ => d.help(format!("write one of `{}`", allowed.join("`, `"))),
            };
            self.diags.push(d);
            return None;
        };
        let name = p.dotted();
        if let Some(i) = allowed.iter().position(|a| *a == name) {
            return Some(i);
        }
        let listed = format!("`{what}` is one of `{}`", allowed.join("`, `"));
        // `shortest_job_first`, `fcfs`: a keyword's long name or another scheduler's word.
        let spelled = name.to_lowercase().replace('-', "_");
        if let Some(&(_, keyword, meaning)) = KEYWORD_SYNONYMS
            .iter()
            .find(|(synonym, keyword, _)| *synonym == spelled && allowed.contains(keyword))
        {
            let mut d =
                Diagnostic::error(codes::UNKNOWN_KEYWORD, format!("unknown {what} `{name}`"))
                    .primary(e.span, format!("not a {what}"))
                    .help(format!("{meaning} is written `{keyword}`; {listed}"));
            d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                title: format!("Write `{keyword}`"),
                edits: vec![(e.span, keyword.to_string())],
            }];
            self.diags.push(d);
            return None;
        }
        let free = allowed
            .iter()
            .copied()
            .filter(|a| !taken.iter().any(|t| t == a));
        let help = match did_you_mean(&name, free) {
            Some(h) => format!("{h} {listed}"),
            None => match did_you_mean(&name, allowed.iter().copied()) {
                Some(_) => {
                    format!("{listed}, and the sweep gives the one nearest `{name}` already")
                }
                None => listed,
            },
        };
        self.diags.push(
            Diagnostic::error(codes::UNKNOWN_KEYWORD, format!("unknown {what} `{name}`"))
                .primary(e.span, format!("not a {what}"))
                .help(help),
        );
        None
    }

    /// Warns when a duration, size or count is a distribution that often samples below zero.
    /// Warns where a step asks for more slots than a pool it can run on ever has (its
    /// `capacity`, or its `autoscale.max`): the engine gives such a step the whole pool
    /// (docs/LANGUAGE.md section 8), which a capacity study should not do silently. Steps
    /// of imported templates are checked only when the entry file's arrivals start them, so
    /// an unused template of a module written for bigger pools says nothing.
    fn check_units_fit(&mut self, resources: &[ir::Resource], arrivals: &[ir::Arrivals]) {
        let started = templates_started(arrivals);
        let checks = std::mem::take(&mut self.units_checks);
        for check in &checks {
            let Some(pipeline) = check.pipeline else {
                continue;
            };
            let (module, _, _) = self.pipeline_decls[pipeline as usize];
            if module != 0 && !started.contains(&pipeline) {
                continue;
            }
            for &pool in &check.pools {
                let Some((name, spec)) = pool_of(resources, pool) else {
                    continue;
                };
                // As the engine reads them: `units` rounded, a pool at most `max` with autoscale.
                let (most, what) = match &spec.autoscale {
                    Some(a) => (a.max.max(spec.capacity), "its `autoscale.max`"),
                    None => (spec.capacity, "its `capacity`"),
                };
                let slots = if most == 1 { "slot" } else { "slots" };
                match check.units {
                    UnitsFrom::Constant(units) => {
                        let units = units.round();
                        if units > f64::from(most) {
                            self.diags.push(
                                Diagnostic::warning(
                                    codes::UNITS_OVER_POOL,
                                    format!("the step asks for {} units of `{name}`, which never has more than {most} {slots}", show(units)),
                                )
                                .primary(check.span, format!("more than `{name}` can hold; the step gets all {most} {slots} instead"))
                                .help(format!("ask for at most {most} {}, or make `{name}` bigger ({what})", if most == 1 { "unit" } else { "units" })),
                            );
                        }
                    }
                    UnitsFrom::Attribute(slot) => {
                        for (arrivals, (over, largest)) in rows_over(arrivals, pipeline, slot, most)
                        {
                            let rows = if over == 1 { "row" } else { "rows" };
                            self.diags.push(
                                Diagnostic::warning(
                                    codes::UNITS_OVER_POOL,
                                    format!("{over} replayed {rows} of `{arrivals}` ask for more units of `{name}` than it ever has ({most} {slots}), up to {}", show(largest)),
                                )
                                .primary(check.span, format!("set from the trace; those steps get all {most} {slots} instead"))
                                .help(format!("make `{name}` bigger ({what}), or leave the wider jobs out of the trace")),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Warns where a pool is offered more work than it can ever do, or a link more bytes than
    /// it can move ([`load::overloads`]): its queue, or its set of transfers, grows for as
    /// long as the arrivals last, usually because a rate's unit is wrong.
    fn check_offered_load(&mut self, scenario: &ir::Scenario) {
        let windows = load::offered_load(scenario);
        self.check_triggers(scenario, &windows);
        self.check_monitor_ticks(scenario, &windows);
        for overload in load::overloads_in(scenario, &windows) {
            let Some(&span) = self.capacity_spans.get(&overload.resource) else {
                continue;
            };
            let name = &scenario.resources[overload.resource as usize].name;
            let when = if overload.from > 0.0 {
                format!(" from {} on", format_duration(overload.from))
            } else {
                String::new()
            };
            let at_least = if overload.exact { "" } else { "at least " };
            let ratio = overload.offered / overload.capacity.amount();
            let share = |of: &str| {
                if ratio >= 2.0 {
                    format!("{} times its {of}", load::format_amount(ratio))
                } else {
                    format!("{:.0}% of its {of}", 100.0 * ratio)
                }
            };
            let mut diagnostic = match overload.capacity {
                load::Capacity::Slots(slots) => {
                    let slots_text = if slots == 1 { "slot" } else { "slots" };
                    let most = match &scenario.resources[overload.resource as usize].kind {
                        ir::ResourceKind::Pool(pool) if pool.autoscale.is_some() => {
                            format!("its `autoscale.max` of {slots} {slots_text}")
                        }
                        _ => format!("its {slots} {slots_text}"),
                    };
                    Diagnostic::warning(
                        codes::POOL_OVERLOADED,
                        format!(
                            "`{name}` is offered more work than {most} can do{when}: it would keep {at_least}{} busy on average",
                            load::format_amount(overload.offered)
                        ),
                    )
                    .primary(span, share("capacity"))
                }
                load::Capacity::Bandwidth(bandwidth) => Diagnostic::warning(
                    codes::LINK_OVERLOADED,
                    format!(
                        "`{name}` is asked to move more than its {} can{when}: its transfers would ask for {at_least}{} on average",
                        load::format_bandwidth(bandwidth),
                        load::format_bandwidth(overload.offered)
                    ),
                )
                .primary(span, share("bandwidth")),
            };
            for &(arrivals, rate) in &overload.arrivals {
                if let Some(&at) = self.arrivals_spans.get(arrivals) {
                    diagnostic = diagnostic.secondary(
                        at,
                        format!(
                            "`{}` starts {} pipelines an hour",
                            scenario.arrivals[arrivals].name,
                            load::format_amount(rate * 3600.0)
                        ),
                    );
                }
            }
            // A suggestion of a billion slots would only distract from the likely mistake.
            let more = match overload.capacity {
                load::Capacity::Slots(_) if overload.offered < 1e9 => format!(
                    ", or give `{name}` at least {} slots",
                    show(overload.offered.ceil())
                ),
                load::Capacity::Bandwidth(_) if overload.offered.is_finite() => format!(
                    ", or give `{name}` more than {} of bandwidth",
                    load::format_bandwidth(overload.offered)
                ),
                _ => String::new(),
            };
            let help = match overload.capacity {
                load::Capacity::Slots(_) => format!(
                    "a pool offered more than it can do falls further behind for as long as the arrivals last: its queue, the waits and the memory a run takes grow without bound. Check the arrivals' rate and its unit (`rate = 30/h` is not `30/s`){more}"
                ),
                load::Capacity::Bandwidth(_) => format!(
                    "a link shares its bandwidth among the transfers in progress: asked for more than it has, it moves each more and more slowly, and the transfers in progress, the waits and the memory a run takes grow without bound. Check the arrivals' rate and the sizes read and written (`2GB` is not `2MB`){more}"
                ),
            };
            self.diags.push(diagnostic.help(help));
        }
    }

    /// Warns where a replication would start so many pipelines that the run takes minutes per
    /// replication, or could never end: usually a horizon in the wrong unit or with a digit
    /// too many (`1e300d` runs until Ctrl-C), or a rate in the wrong unit.
    fn check_triggers(&mut self, scenario: &ir::Scenario, windows: &[load::Window]) {
        let triggers = load::triggers_per_replication(scenario, windows);
        let total: f64 = triggers.iter().sum();
        if !load::too_many_triggers(total) {
            return;
        }
        let Some(span) = self.horizon_span else {
            return;
        };
        let horizon = self.horizon_text.clone().unwrap_or_default();
        let mut diagnostic = Diagnostic::warning(
            codes::MANY_TRIGGERS,
            format!(
                "each replication would start {}",
                load::triggers_text(total)
            ),
        )
        .primary(span, format!("a horizon of {horizon}"));
        for (arrivals, &count) in triggers.iter().enumerate() {
            if let (Some(&at), true) = (self.arrivals_spans.get(arrivals), count > 0.0) {
                diagnostic = diagnostic.secondary(
                    at,
                    format!(
                        "`{}` starts {} of them",
                        scenario.arrivals[arrivals].name,
                        load::count_in_words(count)
                    ),
                );
            }
        }
        self.diags.push(diagnostic.help(format!(
            "the time is at the year benchmark's pace, about {} pipelines of four steps a second on one core, for each replication of each sweep point. Check the horizon (`365d` is a year) and the arrivals' rate and its unit (`rate = 30/h` is not `30/s`). If you mean it, try `--replications 1` first: Ctrl-C stops a run and keeps the finished replications, and `pipesim resume` goes on",
            load::count_in_words(load::TRIGGERS_PER_SECOND)
        )));
    }

    /// Warns where a monitor would check the models so often that its checks alone take a
    /// replication minutes, or forever (`every = 1e-300h`): each check is an event of the
    /// run, and looks at every live model. The horizon's warning (above) covers a horizon
    /// too long, so this one is given only where the arrivals' is not.
    fn check_monitor_ticks(&mut self, scenario: &ir::Scenario, windows: &[load::Window]) {
        if self.diags.0.iter().any(|d| d.code == codes::MANY_TRIGGERS) {
            return;
        }
        for monitor in &scenario.monitors {
            let checks = load::monitor_checks(scenario, windows, monitor);
            if !load::too_many_triggers(checks / load::MODEL_CHECKS_PER_PIPELINE) {
                continue;
            }
            let Some(&span) = self.monitor_every_spans.get(&monitor.name) else {
                continue;
            };
            let ticks = scenario.horizon / monitor.every;
            let mut diagnostic = Diagnostic::warning(
                codes::MANY_TRIGGERS,
                format!(
                    "monitor `{}` would make {} checks of a model in each replication",
                    monitor.name,
                    load::count_in_words(checks)
                ),
            )
            .primary(
                span,
                format!("{} checks of every live model", load::count_in_words(ticks)),
            );
            if let Some(horizon) = self.horizon_span {
                diagnostic = diagnostic.secondary(horizon, "over this horizon");
            }
            self.diags.push(diagnostic.help(format!(
                "each check looks at every live model, and the checks alone would take {} of simulation for each replication of each sweep point. Check `every` and its unit (`every = 1h`, not `1ms`): models drift over hours and days. Models without a `lifetime` stay live to the end",
                load::simulation_time(checks / load::MODEL_CHECKS_PER_PIPELINE)
            )));
        }
    }

    /// Warns where a step's `estimate` can change nothing: only backfilling and `sjf` plan
    /// with it, and none of the pools the step can run on does either, at any sweep point.
    /// As for [`Self::check_units_fit`], imported templates only when arrivals start them.
    /// `sweep gpu.capacity = [8, 12]` of a pool with `autoscale` moves only its size at the
    /// start: the autoscaler takes it to the same range at every point, and the points differ
    /// in their first hours, if at all. The user meant to compare pool sizes.
    fn warn_capacity_sweeps_of_autoscaled(
        &mut self,
        resources: &[ir::Resource],
        sweeps: &[SweepAxis],
    ) {
        for axis in sweeps {
            let Some(pool) = axis.path.strip_suffix(".capacity") else {
                continue;
            };
            let autoscale = resources.iter().find_map(|resource| match &resource.kind {
                ir::ResourceKind::Pool(spec) if resource.name == pool => spec.autoscale.as_ref(),
                _ => None,
            });
            let (Some(autoscale), Some((first, _)), Some((last, _))) =
                (autoscale, axis.values.first(), axis.values.last())
            else {
                continue;
            };
            self.diags.push(
                Diagnostic::warning(
                    codes::CAPACITY_SWEEP_OF_AUTOSCALED,
                    format!("`sweep {}` changes only the size `{pool}` starts at: it autoscales", axis.path),
                )
                .primary(first.span.to(last.span), format!("every point scales between {} and {} slots", autoscale.min, autoscale.max))
                .help(format!("with `autoscale`, `capacity` is the starting size; to compare sizes, sweep `{pool}.autoscale.max` (and `{pool}.autoscale.min`)")),
            );
        }
    }

    fn check_estimates_used(
        &mut self,
        resources: &[ir::Resource],
        arrivals: &[ir::Arrivals],
        sweeps: &[SweepAxis],
    ) {
        let started = templates_started(arrivals);
        let checks = std::mem::take(&mut self.estimate_checks);
        // With errors, a sweep that would read the estimate may be the mistake (a misspelt
        // `gpu.backfill`): the warning would be a follow-up, not news.
        if self.diags.has_errors() {
            return;
        }
        for (pipeline, span, pools) in checks {
            let Some(pipeline) = pipeline else {
                continue;
            };
            if self.pipeline_decls[pipeline as usize].0 != 0 && !started.contains(&pipeline) {
                continue;
            }
            let mut names = Vec::new();
            let mut used = false;
            for &pool in &pools {
                let Some((name, spec)) = pool_of(resources, pool) else {
                    continue;
                };
                // A sweep point that backfills, or orders by `sjf`, reads it.
                let swept = sweeps.iter().any(|axis| {
                    let reads = |value: &serde_json::Value| {
                        (axis.path == format!("{name}.backfill") && *value == true)
                            || (axis.path == format!("{name}.policy") && value == "sjf")
                    };
                    axis.values.iter().any(|(_, value)| reads(value))
                });
                used |= spec.backfill || spec.policy == ir::Policy::Sjf || swept;
                names.push(format!("`{name}`"));
            }
            if used || names.is_empty() {
                continue;
            }
            let (pools, which) = match names.as_slice() {
                [one] => (one.clone(), format!("{one} neither backfills nor uses")),
                _ => (
                    names.join(" or "),
                    format!("none of {} backfills or uses", names.join(", ")),
                ),
            };
            self.diags.push(
                Diagnostic::warning(
                    codes::ESTIMATE_UNUSED,
                    format!("this `estimate` changes nothing: {which} `policy = sjf`"),
                )
                .primary(span, "only backfilling and `sjf` plan with the estimate")
                .help(format!("set `backfill = true` (or `policy = sjf`) on {pools}, or remove the `estimate`")),
            );
        }
    }

    pub fn warn_negative(&mut self, e: &ir::Expr, span: Span, what: &str) {
        // An expression with an error in it (`12s + size * 0.8s/GB` where `size` lost its
        // unit) is lowered without the broken part: what is left says nothing of its sign.
        let broken = self.diags.0.iter().any(|d| {
            d.severity == crate::diagnostic::Severity::Error
                && d.labels.iter().any(|l| {
                    l.span.file == span.file && span.start <= l.span.start && l.span.end <= span.end
                })
        });
        if broken {
            return;
        }
        let mut worst: Option<(f64, &'static str)> = None;
        /// `P(e < t)` and the distribution's name, for a distribution shifted or scaled by
        /// constants (`10s + normal(...)`, `2 * uniform(...)`).
        fn below(e: &ir::Expr, t: f64) -> Option<(f64, &'static str)> {
            use ir::BinaryOp::{Add, Div, Mul, Sub};
            match e {
                ir::Expr::Dist(d) => {
                    let name = match **d {
                        ir::Distribution::Normal { .. } => "normal",
                        ir::Distribution::Uniform { .. } => "uniform",
                        ir::Distribution::Triangular { .. } => "triangular",
                        ir::Distribution::Empirical { .. } => "empirical",
                        _ => return None,
                    };
                    Some((probability_below(d, t)?, name))
                }
                ir::Expr::Binary(op, l, r) => match (op, const_num(l), const_num(r)) {
                    (Add, Some(c), None) => below(r, t - c),
                    (Add, None, Some(c)) => below(l, t - c),
                    (Sub, None, Some(c)) => below(l, t + c),
                    (Mul, Some(k), None) if k > 0.0 => below(r, t / k),
                    (Mul, None, Some(k)) if k > 0.0 => below(l, t / k),
                    (Div, None, Some(k)) if k > 0.0 => below(l, t * k),
                    _ => None,
                },
                _ => None,
            }
        }
        fn visit(e: &ir::Expr, worst: &mut Option<(f64, &'static str)>) {
            match e {
                ir::Expr::Dist(_) | ir::Expr::Binary(..) => {
                    if let Some((p, name)) = below(e, 0.0) {
                        if worst.is_none_or(|(w, _)| p > w) {
                            *worst = Some((p, name));
                        }
                    }
                }
                ir::Expr::If(_, a, b) => {
                    visit(a, worst);
                    visit(b, worst);
                }
                ir::Expr::Match { arms, default, .. } => {
                    arms.iter().for_each(|(_, body)| visit(body, worst));
                    if let Some(d) = default {
                        visit(d, worst);
                    }
                }
                _ => {}
            }
        }
        visit(e, &mut worst);
        if let Some((p, name)) = worst {
            if p > 0.01 {
                let percent = if p * 100.0 >= 1.0 {
                    format!("{:.0}%", p * 100.0)
                } else {
                    format!("{:.1}%", p * 100.0)
                };
                let help = match name {
                    "normal" => "a normal whose mean is under 2.33 standard deviations goes below zero more than 1% of the time: use `lognormal` or `gamma`, or a larger mean",
                    _ => "use a distribution that stays positive, such as `lognormal`, `gamma` or `uniform` with `min >= 0`",
                };
                self.diags.push(
                    Diagnostic::warning(
                        codes::NEGATIVE_SAMPLES,
                        format!("`{what}` is below zero in about {percent} of samples, which are clamped to zero"),
                    )
                    .primary(span, format!("this {name} distribution goes negative"))
                    .help(help),
                );
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Scenario

    fn check_foreign_scenario(&mut self, module: usize, item: usize) {
        if let Some(decl) = self.decl_of(module, item) {
            let decl: &ast::Decl = decl;
            // Checked like the entry's, so a module is clean on its own; not lowered.
            let program: &'a Program = self.program;
            let _ = program;
            let decl = decl.clone();
            let saved = (self.start_unix, self.horizon);
            self.scenario_header(module, Some(&decl));
            (self.start_unix, self.horizon) = saved;
        }
    }

    fn lower_scenario(&mut self, item: Option<usize>) -> Header {
        let decl = item.and_then(|i| self.decl_of(0, i).cloned());
        self.scenario_header(0, decl.as_ref())
    }

    fn scenario_header(&mut self, module: usize, decl: Option<&ast::Decl>) -> Header {
        let file_stem = {
            let name = &self.sources.get(self.program.modules[0].file).name;
            std::path::Path::new(name)
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_else(|| "scenario".into())
        };
        let mut header = Header {
            name: file_stem,
            start_unix: default_start_unix(),
            start_rfc3339: DEFAULT_START.to_string(),
            horizon: 0.0,
            warmup: 0.0,
            seed: 1,
            drain: false,
        };
        let Some(decl) = decl else {
            self.start_unix = header.start_unix;
            return header;
        };
        if let Some(n) = &decl.name {
            header.name = n.name.clone();
        }
        let names: Vec<&str> = SCENARIO_ATTRS.iter().map(|a| a.0).collect();
        let rules = BlockRules::attributes(format!("scenario `{}`", Self::decl_name(decl)), &names);
        let entries = self.entries(&decl.body, &rules);
        let prefix = (module == 0).then_some("scenario");
        let scope = Scope::module(module);
        if let Some(e) = self.value(prefix, &entries, "start") {
            match &e.kind {
                ast::ExprKind::Str(s) => match chrono::DateTime::parse_from_rfc3339(s) {
                    Ok(t) => {
                        header.start_unix = t.timestamp();
                        header.start_rfc3339 = s.clone();
                    }
                    Err(err) => {
                        if module == 0 {
                            self.start_broken = true;
                        }
                        let mut d = Diagnostic::error(
                            codes::BAD_DATE_TIME,
                            format!("`start` is not an RFC 3339 date-time: {err}"),
                        )
                        .primary(e.span, "not a date-time");
                        d = match start_meant(s) {
                            // `"2020-02-29"`, `"2020-02-29 08:00"`: a zone (and a time) is
                            // all that is missing.
                            Some(meant) => {
                                d.repair
                                    .get_or_insert_default()
                                    .fixes
                                    .push(start_fix(e.span, &meant));
                                d.help(format!(
                                    "a date-time needs its zone: `\"{meant}\"` is that time in UTC \
                                     (or write the offset, such as `+02:00`)"
                                ))
                            }
                            None => d.help(format!(
                                "write a date, `T`, a time and a zone, such as \
                                 `\"{DEFAULT_START}\"`"
                            )),
                        };
                        self.diags.push(d);
                    }
                },
                // `start = 2020-02-29`: a date written without quotes reads as a subtraction.
                _ => match start_meant(&self.text(e.span)) {
                    Some(meant) => {
                        if module == 0 {
                            self.start_broken = true;
                        }
                        let mut d = Diagnostic::error(
                            codes::BAD_DATE_TIME,
                            "`start` is a date-time, written in quotes",
                        )
                        .primary(e.span, "read as arithmetic, not as a date")
                        .help(format!(
                            "write `start = \"{meant}\"` (a date, `T`, a time and a zone)"
                        ));
                        d.repair
                            .get_or_insert_default()
                            .fixes
                            .push(start_fix(e.span, &meant));
                        self.diags.push(d);
                    }
                    None => {
                        let t = self.expr(&e, &scope);
                        self.expect(&t, Expect::Str, e.span, "start");
                    }
                },
            }
        }
        match self.value(prefix, &entries, "horizon") {
            Some(e) => {
                if let Some(v) = self.constant(&e, Expect::Dim(Dim::TIME), "horizon", &scope) {
                    if v <= 0.0 {
                        self.out_of_range(
                            e.span,
                            format!("`horizon` must be positive, found {}", self.text(e.span)),
                            "simulate for some time, such as `horizon = 30d`".into(),
                        );
                    } else {
                        header.horizon = v;
                        self.horizon_text = Some(self.text(e.span));
                        self.horizon_span = Some(e.span);
                    }
                }
            }
            None => {
                let span = decl.name.as_ref().map(|n| n.span).unwrap_or(decl.kind_span);
                self.missing(
                    span,
                    &rules.owner,
                    "horizon",
                    "say how long to simulate, such as `horizon = 30d`".into(),
                );
            }
        }
        if let Some(e) = self.value(prefix, &entries, "warmup") {
            if let Some(v) = self.constant(&e, Expect::Dim(Dim::TIME), "warmup", &scope) {
                if v < 0.0 || (header.horizon > 0.0 && v >= header.horizon) {
                    self.out_of_range(
                        e.span,
                        format!(
                            "`warmup` ({}) must be shorter than the horizon ({})",
                            self.text(e.span),
                            self.horizon_text.clone().unwrap_or_else(|| "0s".into())
                        ),
                        "the warm-up is the start of the horizon that statistics ignore".into(),
                    );
                } else {
                    header.warmup = v;
                }
            }
        }
        if let Some(e) = self.value(prefix, &entries, "seed") {
            if let Some(v) = self.whole(&e, "seed", 0.0, &scope) {
                header.seed = v as u64;
            }
        }
        if let Some(e) = self.value(prefix, &entries, "drain") {
            if let Some(b) = self.constant_bool(&e, "drain", &scope) {
                header.drain = b;
            }
        }
        self.start_unix = header.start_unix;
        self.horizon = header.horizon;
        header
    }

    // -----------------------------------------------------------------------------------------
    // Resources

    fn lower_resource(
        &mut self,
        module: usize,
        item: usize,
        decl: &ast::Decl,
    ) -> Option<ir::Resource> {
        let name = Self::decl_name(decl);
        let owner = format!("resource `{name}`");
        let kind = self
            .resource_ids
            .get(&(module, item))
            .and_then(|id| self.resources[*id as usize].kind);
        let kind = match self
            .resource_decls
            .iter()
            .position(|d| *d == (module, item))
        {
            Some(_) => kind,
            None => self.resource_kind(module, decl),
        };
        let pool_only: Vec<(&str, String)> = ["capacity", "policy", "backfill", "cost"]
            .iter()
            .map(|a| {
                (
                    *a,
                    format!(
                        "`{a}` is an attribute of pools (`kind = pool`); a link has `bandwidth`"
                    ),
                )
            })
            .collect();
        let link_only = vec![(
            "bandwidth",
            "`bandwidth` is an attribute of links (`kind = link`); a pool has `capacity`"
                .to_string(),
        )];
        let all: Vec<&str> = POOL_ATTRS.iter().chain(LINK_ATTRS).map(|a| a.0).collect();
        let (attrs, inapplicable, blocks): (Vec<&str>, Vec<(&str, String)>, &[&str]) = match kind {
            Some(ResKind::Pool) => (
                POOL_ATTRS.iter().map(|a| a.0).collect(),
                link_only,
                POOL_BLOCKS,
            ),
            Some(ResKind::Link) => (LINK_ATTRS.iter().map(|a| a.0).collect(), pool_only, &[]),
            None => (all, Vec::new(), POOL_BLOCKS),
        };
        let rules = BlockRules {
            owner: owner.clone(),
            attrs: &attrs,
            inapplicable: &inapplicable,
            step_header: "",
            step_clauses: None,
            user_attrs: false,
            blocks,
            steps: false,
            sweeps: false,
        };
        let entries = self.entries(&decl.body, &rules);
        // A library resource replaced by the scenario's is checked but never used, so no
        // override can reach it.
        let shadowed = !self.resource_decls.contains(&(module, item));
        let prefix = if shadowed {
            None
        } else {
            self.attr_prefix(module, decl)
        };
        let prefix = prefix.as_deref();
        let scope = Scope::module(module);
        let name_span = decl.name.as_ref().map(|n| n.span).unwrap_or(decl.kind_span);
        match self.value(prefix, &entries, "kind") {
            Some(e) => {
                self.keyword(&e, "resource kind", RESOURCE_KINDS, &[]);
            }
            None => self.missing(name_span, &owner, "kind", "write `kind = pool` for slots (CPUs, GPUs) or `kind = link` for a shared bandwidth".into()),
        }
        let kind = kind?;
        let lowered_name = self
            .resource_ids
            .get(&(module, item))
            .map(|id| self.resources[*id as usize].name.clone())
            .unwrap_or(name);
        match kind {
            ResKind::Link => {
                let bandwidth = match self.value(prefix, &entries, "bandwidth") {
                    Some(e) => {
                        if let Some(&id) = self.resource_ids.get(&(module, item)) {
                            if !shadowed {
                                self.capacity_spans.insert(id, e.span);
                            }
                        }
                        let v =
                            self.constant(&e, Expect::Dim(Dim::BANDWIDTH), "bandwidth", &scope)?;
                        if v <= 0.0 {
                            self.out_of_range(
                                e.span,
                                format!(
                                    "`bandwidth` must be positive, found {}",
                                    self.text(e.span)
                                ),
                                "write a bandwidth such as `1.25GB/s` or `10Gbps`".into(),
                            );
                            return None;
                        }
                        v
                    }
                    None => {
                        self.missing(
                            name_span,
                            &owner,
                            "bandwidth",
                            "a link needs its shared bandwidth, such as `bandwidth = 1.25GB/s`"
                                .into(),
                        );
                        return None;
                    }
                };
                Some(ir::Resource {
                    name: lowered_name,
                    kind: ir::ResourceKind::Link(ir::Link { bandwidth }),
                })
            }
            ResKind::Pool => {
                let capacity = match self.value(prefix, &entries, "capacity") {
                    Some(e) => {
                        if let Some(&id) = self.resource_ids.get(&(module, item)) {
                            if !shadowed {
                                self.capacity_spans.insert(id, e.span);
                            }
                        }
                        self.whole(&e, "capacity", 1.0, &scope)
                    }
                    None => {
                        self.missing(
                            name_span,
                            &owner,
                            "capacity",
                            "a pool needs its number of slots, such as `capacity = 8`".into(),
                        );
                        None
                    }
                };
                let policy = match self.value(prefix, &entries, "policy") {
                    Some(e) => self.keyword(&e, "policy", POLICIES, &[]).map(|i| match i {
                        0 => ir::Policy::Fifo,
                        1 => ir::Policy::Sjf,
                        2 => ir::Policy::Priority,
                        3 => ir::Policy::Edf,
                        _ => ir::Policy::FairShare,
                    }),
                    None => Some(ir::Policy::Fifo),
                };
                let backfill = match self.value(prefix, &entries, "backfill") {
                    Some(e) => self.constant_bool(&e, "backfill", &scope).and_then(|on| {
                        if on && policy == Some(ir::Policy::FairShare) {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::INAPPLICABLE_ATTRIBUTE,
                                    "`backfill` does not apply to a `fair_share` pool",
                                )
                                .primary(e.span, "not with `fair_share`")
                                .help("backfilling follows one order of the queue; use `fifo`, `sjf`, `priority` or `edf` with it, or remove `backfill`"),
                            );
                            None
                        } else {
                            Some(on)
                        }
                    }),
                    None => Some(false),
                };
                let cost = match self.value(prefix, &entries, "cost") {
                    Some(e) => self
                        .constant(&e, Expect::Dim(Dim::NONE), "cost", &scope)
                        .and_then(|v| {
                            if v < 0.0 {
                                self.out_of_range(
                                    e.span,
                                    format!("`cost` must not be negative, found {}", show(v)),
                                    "`cost` is the price per slot-hour".into(),
                                );
                                None
                            } else {
                                Some(v)
                            }
                        }),
                    None => Some(0.0),
                };
                let autoscale = match entries.blocks.first() {
                    Some(block) => {
                        let block_prefix = prefix.map(|p| format!("{p}.autoscale"));
                        Some(self.lower_autoscale(module, block, block_prefix.as_deref(), capacity))
                    }
                    None => None,
                };
                for extra in entries.blocks.iter().skip(1) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::DUPLICATE_ATTRIBUTE,
                            format!("`autoscale` is set twice in {owner}"),
                        )
                        .primary(extra.name.span, "set again here")
                        .secondary(entries.blocks[0].name.span, "first set here")
                        .help("keep one `autoscale` block"),
                    );
                }
                let autoscale = match autoscale {
                    Some(None) => return None,
                    Some(Some(a)) => Some(a),
                    None => None,
                };
                Some(ir::Resource {
                    name: lowered_name,
                    kind: ir::ResourceKind::Pool(ir::Pool {
                        capacity: capacity? as u32,
                        policy: policy?,
                        backfill: backfill?,
                        cost_per_slot_hour: cost?,
                        autoscale,
                    }),
                })
            }
        }
    }

    fn lower_autoscale(
        &mut self,
        module: usize,
        block: &ast::NestedBlock,
        prefix: Option<&str>,
        capacity: Option<f64>,
    ) -> Option<ir::Autoscale> {
        let names: Vec<&str> = AUTOSCALE_ATTRS.iter().map(|a| a.0).collect();
        let rules = BlockRules::attributes("`autoscale`".into(), &names);
        let entries = self.entries(&block.body, &rules);
        let scope = Scope::module(module);
        let mut ok = true;
        let whole = |this: &mut Self, name: &str, min: f64, default: Option<f64>| -> Option<f64> {
            match this.value(prefix, &entries, name) {
                Some(e) => this.whole(&e, name, min, &scope),
                None => match default {
                    Some(d) => Some(d),
                    None => {
                        this.missing(
                            block.name.span,
                            "`autoscale`",
                            name,
                            format!("write `{name} = N`"),
                        );
                        None
                    }
                },
            }
        };
        let min = whole(self, "min", 1.0, capacity);
        let max = whole(self, "max", 1.0, None);
        let step = whole(self, "step", 1.0, Some(1.0));
        let duration = |this: &mut Self, name: &str, default: f64| -> Option<f64> {
            match this.value(prefix, &entries, name) {
                Some(e) => {
                    let v = this.constant(&e, Expect::Dim(Dim::TIME), name, &scope)?;
                    if v < 0.0 {
                        this.out_of_range(
                            e.span,
                            format!("`{name}` must not be negative"),
                            "write a duration such as `5min`".into(),
                        );
                        return None;
                    }
                    Some(v)
                }
                None => Some(default),
            }
        };
        let sustain = duration(self, "for", 60.0);
        let idle_release = duration(self, "idle_release", 600.0);
        let provision = duration(self, "provision", 0.0);
        let threshold = match self.value(prefix, &entries, "when_queue_above") {
            Some(e) => self.constant(&e, Expect::Dim(Dim::NONE), "when_queue_above", &scope),
            None => Some(0.0),
        };
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                self.out_of_range(
                    block.name.span,
                    format!(
                        "`autoscale` has `min` {} above `max` {}",
                        show(lo),
                        show(hi)
                    ),
                    "`min` must not exceed `max`".into(),
                );
                ok = false;
            } else if let Some(c) = capacity {
                if c < lo || c > hi {
                    self.out_of_range(
                        block.name.span,
                        format!(
                            "the pool's `capacity` {} is outside `autoscale` {}..{}",
                            show(c),
                            show(lo),
                            show(hi)
                        ),
                        "the starting capacity must lie between `min` and `max`".into(),
                    );
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        Some(ir::Autoscale {
            min: min? as u32,
            max: max? as u32,
            step: step? as u32,
            when_queue_above: threshold?,
            sustain: sustain?,
            idle_release: idle_release?,
            provision: provision?,
        })
    }

    // -----------------------------------------------------------------------------------------
    // Profiles

    fn lower_profile(
        &mut self,
        module: usize,
        _item: usize,
        decl: &ast::Decl,
    ) -> Option<ir::Profile> {
        let name = Self::decl_name(decl);
        let owner = format!("profile `{name}`");
        let names: Vec<&str> = PROFILE_ATTRS.iter().map(|a| a.0).collect();
        let rules = BlockRules::attributes(owner.clone(), &names);
        let entries = self.entries(&decl.body, &rules);
        let prefix = self.attr_prefix(module, decl);
        let scope = Scope::module(module);
        let hours = self.value(prefix.as_deref(), &entries, "hours");
        let days = self.value(prefix.as_deref(), &entries, "days");
        let matrix = self.value(prefix.as_deref(), &entries, "matrix");
        let name_span = decl.name.as_ref().map(|n| n.span).unwrap_or(decl.kind_span);
        let mut hourly = Vec::with_capacity(168);
        // The list whose zeros silence the whole week, for the report of a profile that does.
        let zero_list = if let Some(m) = &matrix {
            if let Some(other) = hours.as_ref().or(days.as_ref()) {
                self.diags.push(
                    Diagnostic::error(
                        codes::PROFILE_SHAPE,
                        format!("{owner} has both `matrix` and `hours`/`days`"),
                    )
                    .primary(other.span, "remove this")
                    .secondary(m.span, "or this")
                    .help("a profile is either `hours` and `days`, or a 7x24 `matrix`"),
                );
                return None;
            }
            let rows = self.list_items(m, "matrix", 7, "7 rows, one per day from Monday")?;
            let mut ok = true;
            let mut bad = Vec::new();
            for row in rows {
                match self.numbers(
                    &row,
                    "matrix",
                    24,
                    "24 numbers, one per hour",
                    &scope,
                    &mut bad,
                ) {
                    Some(values) => hourly.extend(values),
                    None => ok = false,
                }
            }
            self.negative_entries("matrix", &bad);
            if !ok {
                return None;
            }
            Some(m.span)
        } else {
            if hours.is_none() && days.is_none() {
                if ["hours", "days", "matrix"]
                    .iter()
                    .any(|shape| entries.misspelt.iter().any(|m| m == shape))
                {
                    // Reported as an unknown attribute, with the one meant.
                    return None;
                }
                self.diags.push(
                    Diagnostic::error(codes::PROFILE_SHAPE, format!("{owner} has no `hours`, `days` or `matrix`"))
                        .primary(name_span, "empty profile")
                        .help("write `hours = [24 numbers]` and `days = [7 numbers, Monday first]`, or `matrix = [[24 numbers] x 7]`"),
                );
                return None;
            }
            let mut bad = Vec::new();
            let h = match &hours {
                Some(e) => self.numbers(
                    e,
                    "hours",
                    24,
                    "24 numbers, one per hour from midnight",
                    &scope,
                    &mut bad,
                ),
                None => Some(vec![1.0; 24]),
            };
            self.negative_entries("hours", &bad);
            bad.clear();
            let d = match &days {
                Some(e) => self.numbers(e, "days", 7, "7 numbers, Monday first", &scope, &mut bad),
                None => Some(vec![1.0; 7]),
            };
            self.negative_entries("days", &bad);
            let (h, d) = (h?, d?);
            let silent = |list: &[f64]| list.iter().all(|&m| m == 0.0);
            for day in &d {
                for hour in &h {
                    hourly.push(day * hour);
                }
            }
            match (&days, &hours) {
                (Some(days), _) if silent(&d) => Some(days.span),
                (_, Some(hours)) if silent(&h) => Some(hours.span),
                _ => None,
            }
        };
        let mean = hourly.iter().sum::<f64>() / hourly.len().max(1) as f64;
        if mean.is_nan() || mean <= 0.0 {
            // Every hour of the week is zero: arrivals following it would never come.
            self.diags.push(
                Diagnostic::error(
                    codes::PROFILE_VALUE,
                    format!("{owner} is zero in every hour of the week"),
                )
                .primary(zero_list.unwrap_or(name_span), "all zero")
                .help("arrivals that follow it would never come: give some hours and some days a multiplier above 0 (`0` is an hour or day without arrivals)"),
            );
            return None;
        }
        Some(ir::Profile {
            name: self.qualified(module, &name),
            hourly: hourly.into_iter().map(|v| v / mean).collect(),
        })
    }

    fn list_items(
        &mut self,
        e: &ast::Expr,
        what: &str,
        len: usize,
        shape: &str,
    ) -> Option<Vec<ast::Expr>> {
        let ast::ExprKind::List(items) = &e.kind else {
            self.diags.push(
                Diagnostic::error(
                    codes::PROFILE_SHAPE,
                    format!("`{what}` must be a list of {shape}"),
                )
                .primary(e.span, "not a list")
                .help(format!("write `{what} = [...]` with {shape}")),
            );
            return None;
        };
        if items.len() != len {
            self.diags.push(
                Diagnostic::error(
                    codes::PROFILE_SHAPE,
                    format!("`{what}` must have {shape}, found {}", items.len()),
                )
                .primary(e.span, format!("{} entries", items.len()))
                .help(format!("write exactly {shape}")),
            );
            return None;
        }
        Some(items.clone())
    }

    /// A profile's list of multipliers; negative ones are added to `bad`, for one report of
    /// the whole list (`negative_entries`).
    fn numbers(
        &mut self,
        e: &ast::Expr,
        what: &str,
        len: usize,
        shape: &str,
        scope: &Scope,
        bad: &mut Vec<(Span, f64)>,
    ) -> Option<Vec<f64>> {
        let items = self.list_items(e, what, len, shape)?;
        let mut out = Vec::new();
        let mut ok = true;
        for item in &items {
            match self.constant(item, Expect::Dim(Dim::NONE), what, scope) {
                // Zero is an hour (or day) without arrivals: profile time skips it.
                Some(v) if v >= 0.0 => out.push(v),
                Some(v) => {
                    bad.push((item.span, v));
                    ok = false;
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// One report for the entries of a profile's `what` (`hours`, `days`, `matrix`) that are
    /// negative, with a label at each: one mistake, written in several places.
    fn negative_entries(&mut self, what: &str, bad: &[(Span, f64)]) {
        let Some(&(first, value)) = bad.first() else {
            return;
        };
        let message = match bad.len() {
            1 => format!("profile entries cannot be negative, found {}", show(value)),
            n => format!("profile entries cannot be negative, found {n} that are"),
        };
        let unit = if what == "days" { "day" } else { "hour" };
        let mut d = Diagnostic::error(codes::PROFILE_VALUE, message)
            .primary(first, "negative")
            .help(format!(
                "an entry multiplies the average rate in its {unit}: `2` gives it twice the average arrivals, `0` none"
            ));
        for &(span, _) in &bad[1..] {
            d = d.secondary(span, "negative too");
        }
        self.diags.push(d);
    }

    // -----------------------------------------------------------------------------------------
    // Datasets and pipelines

    /// A data set's attributes, lowered once (slots 0..n, which are also their slots in any
    /// pipeline that uses the data set, since data attributes come first).
    fn dataset(&mut self, module: usize, item: usize) -> Option<Rc<LoweredDataset>> {
        if let Some(done) = self.datasets.get(&(module, item)) {
            return done.clone();
        }
        self.datasets.insert((module, item), None);
        let decl = self.decl_of(module, item)?.clone();
        let name = Self::decl_name(&decl);
        let rules = BlockRules {
            owner: format!("dataset `{name}`"),
            attrs: &[],
            inapplicable: &[],
            step_header: "",
            step_clauses: None,
            user_attrs: true,
            blocks: &[],
            steps: false,
            sweeps: false,
        };
        let entries = self.entries(&decl.body, &rules);
        let prefix = self.attr_prefix(module, &decl);
        let mut scope = Scope::module(module);
        scope.within = super::types::Within::Dataset;
        let mut vars = Vec::new();
        let mut ok = true;
        for (i, attr) in entries.attrs.iter().enumerate() {
            scope.later = entries.attrs[i + 1..]
                .iter()
                .map(|a| (a.name.name.clone(), a.name.span))
                .collect();
            let e = self
                .value(prefix.as_deref(), &entries, &attr.name.name)
                .unwrap_or_else(|| attr.value.clone());
            let typed = self.expr(&e, &scope);
            ok &= self.user_value(&typed, e.span, &attr.name.name);
            scope.vars.push(Var {
                name: attr.name.name.clone(),
                ty: typed.ty.clone(),
                slot: i as u32,
            });
            vars.push((attr.name.name.clone(), typed.ty, typed.ir));
        }
        let lowered = Some(Rc::new(LoweredDataset { vars, ok }));
        self.datasets.insert((module, item), lowered.clone());
        lowered
    }

    /// Warns of a user attribute one slip away from `priority` or `deadline` in a pipeline
    /// that does not set that one (`priorit = 10`): it is valid, as any user attribute is,
    /// and so the policy that should read it silently reads the default instead.
    /// Returns whether it warned.
    fn check_named_like_builtin(&mut self, attr: &ast::Attr, entries: &Entries) -> bool {
        let name = attr.name.name.as_str();
        let Some(builtin) = crate::diagnostic::suggest(name, ["priority", "deadline"]) else {
            return false;
        };
        if entries.get(builtin).is_some() {
            return false;
        }
        let reader = match builtin {
            "priority" => {
                "The `priority` policy orders pipelines by `priority`, 0 where it is not set"
            }
            _ => "The `edf` policy orders pipelines by `deadline`, last where it is not set",
        };
        self.diags.push(
            Diagnostic::warning(
                codes::NAMED_LIKE_BUILTIN,
                format!("`{name}` is an attribute of your own, not `{builtin}`"),
            )
            .primary(attr.name.span, "a user attribute, which no policy reads")
            .help(format!("did you mean `{builtin}`? {reader}")),
        );
        true
    }

    /// An instance attribute must hold a value (not a list, string, transfer or reference to a
    /// profile or data set).
    fn user_value(&mut self, typed: &Typed, span: Span, what: &str) -> bool {
        if matches!(typed.ty, Ty::Error) {
            return false;
        }
        if Self::accepts_value(&typed.ty) {
            return true;
        }
        self.expect(typed, Expect::Value, span, what)
    }

    fn accepts_value(ty: &Ty) -> bool {
        matches!(
            ty,
            Ty::Num(_) | Ty::AnyNum | Ty::Bool | Ty::Labels(_) | Ty::Pool | Ty::Link | Ty::Pipeline
        )
    }

    fn lower_pipeline(
        &mut self,
        module: usize,
        item: usize,
        decl: &ast::Decl,
    ) -> Option<ir::Pipeline> {
        let name = Self::decl_name(decl);
        let owner = format!("pipeline `{name}`");
        let known: Vec<&str> = PIPELINE_ATTRS.iter().map(|a| a.0).collect();
        let step_attrs: Vec<(&str, String)> = STEP_ATTRS
            .iter()
            .filter(|(a, _)| !matches!(*a, "accuracy" | "pass" | "size_factor" | "accuracy_loss" | "units"))
            .map(|(a, _)| (*a, format!("`{a}` is a step attribute: put it inside a step such as `train {{ {a} = ... }}`")))
            .collect();
        let rules = BlockRules {
            owner: owner.clone(),
            attrs: &known,
            inapplicable: &step_attrs,
            step_header: "",
            step_clauses: None,
            user_attrs: true,
            blocks: PIPELINE_BLOCKS,
            steps: true,
            sweeps: false,
        };
        let entries = self.entries(&decl.body, &rules);
        let prefix = self.attr_prefix(module, decl);
        let prefix = prefix.as_deref();
        let mut ok = true;
        let mut scope = Scope::module(module);
        scope.within = super::types::Within::Pipeline;
        let mut vars: Vec<ir::InstanceVar> = Vec::new();

        // The data set's attributes come first.
        if let Some(e) = self.value(prefix, &entries, "data") {
            let typed = self.expr_expecting(&e, &scope, Expect::Dataset, "data");
            match typed.ty {
                Ty::Dataset(m, i) => {
                    let qualifier = match &e.kind {
                        ast::ExprKind::Path(p) => p.dotted(),
                        _ => String::new(),
                    };
                    match self.dataset(m, i) {
                        Some(ds) => {
                            ok &= ds.ok;
                            for (attr, ty, expr) in &ds.vars {
                                let slot = vars.len() as u32;
                                let var_name = format!("{qualifier}.{attr}");
                                scope.vars.push(Var {
                                    name: var_name.clone(),
                                    ty: ty.clone(),
                                    slot,
                                });
                                vars.push(ir::InstanceVar {
                                    name: var_name,
                                    expr: expr.clone(),
                                });
                            }
                        }
                        None => ok = false,
                    }
                }
                _ => {
                    self.expect(&typed, Expect::Dataset, e.span, "data");
                    // Without its data set, the pipeline's `D.attr` names cannot resolve:
                    // stay silent about them rather than repeat the mistake.
                    scope.data_broken = true;
                    ok = false;
                }
            }
        }
        let own: Vec<&ast::Attr> = entries
            .attrs
            .iter()
            .copied()
            .filter(|a| a.name.name != "data")
            .collect();
        let mut priority_var = None;
        let mut deadline_var = None;
        for (i, attr) in own.iter().enumerate() {
            let attr_name = attr.name.name.as_str();
            scope.later = own[i + 1..]
                .iter()
                .map(|a| (a.name.name.clone(), a.name.span))
                .collect();
            let e = self
                .value(prefix, &entries, attr_name)
                .unwrap_or_else(|| attr.value.clone());
            let typed = self.expr(&e, &scope);
            let good = match attr_name {
                "priority" => self.expect(&typed, Expect::Dim(Dim::NONE), e.span, "priority"),
                "deadline" => {
                    let good = self.expect(&typed, Expect::Dim(Dim::TIME), e.span, "deadline");
                    match typed.constant() {
                        Some(v) if good && v <= 0.0 => {
                            self.out_of_range(
                                e.span,
                                format!("`deadline` must be positive, found {}", self.text(e.span)),
                                "a deadline is a duration after the pipeline arrives, such as `6h`"
                                    .into(),
                            );
                            false
                        }
                        _ => good,
                    }
                }
                _ if matches!(typed.ty, Ty::Dataset(..)) => {
                    // `dat = photos`: a data set is only ever the pipeline's `data`, and its
                    // attributes' uses below would each be reported as unknown.
                    let dataset = self.text(e.span);
                    let help = if crate::diagnostic::suggest(attr_name, ["data"]).is_some() {
                        format!("did you mean `data`? A pipeline's data set is its `data` attribute: `data = {dataset}`")
                    } else {
                        format!("a pipeline's data set is its `data` attribute: `data = {dataset}`")
                    };
                    self.diags.push(
                        Diagnostic::error(
                            codes::TYPE_MISMATCH,
                            format!(
                                "`{attr_name}` is given a data set, which only `data` can hold"
                            ),
                        )
                        .primary(attr.name.span, "not `data`")
                        .secondary(e.span, "a data set")
                        .help(help),
                    );
                    scope.data_broken = true;
                    false
                }
                _ => {
                    if self.check_named_like_builtin(attr, &entries) {
                        // W0201 says what reads it instead: not also "never read".
                        scope.reads.borrow_mut().insert(vars.len() as u32);
                    }
                    self.user_value(&typed, e.span, attr_name)
                }
            };
            ok &= good && typed.ty != Ty::Error;
            let slot = vars.len() as u32;
            match attr_name {
                "priority" => priority_var = Some(slot),
                "deadline" => deadline_var = Some(slot),
                _ => {}
            }
            scope.vars.push(Var {
                name: attr_name.to_string(),
                ty: typed.ty.clone(),
                slot,
            });
            vars.push(ir::InstanceVar {
                name: attr_name.to_string(),
                expr: typed.ir,
            });
        }
        // `priority` and `deadline` given only by an override.
        for (attr_name, expect) in [("priority", Dim::NONE), ("deadline", Dim::TIME)] {
            if entries.get(attr_name).is_some() {
                continue;
            }
            if let Some(e) = self.value(prefix, &entries, attr_name) {
                let typed = self.expr(&e, &scope);
                ok &= self.expect(&typed, Expect::Dim(expect), e.span, attr_name);
                let slot = vars.len() as u32;
                if attr_name == "priority" {
                    priority_var = Some(slot);
                } else {
                    deadline_var = Some(slot);
                }
                vars.push(ir::InstanceVar {
                    name: attr_name.to_string(),
                    expr: typed.ir,
                });
            }
        }
        scope.later.clear();
        if let Some(&id) = self.pipeline_ids.get(&(module, item)) {
            self.template_vars.insert(id, scope.vars.clone());
        }

        let checks_before = (self.units_checks.len(), self.estimate_checks.len());
        let lost = lost_step_names(&decl.body);
        let steps = self.lower_steps(&name, prefix, &entries.steps, &lost, &scope);
        let id = self.pipeline_ids.get(&(module, item)).copied();
        for check in &mut self.units_checks[checks_before.0..] {
            check.pipeline = id;
        }
        for check in &mut self.estimate_checks[checks_before.1..] {
            check.0 = id;
        }
        let model = match entries.blocks.first() {
            Some(block) => {
                let model_prefix = prefix.map(|p| format!("{p}.model"));
                self.lower_model(block, model_prefix.as_deref(), &scope)
            }
            None => Some(None),
        };
        for extra in entries.blocks.iter().skip(1) {
            self.diags.push(
                Diagnostic::error(
                    codes::DUPLICATE_ATTRIBUTE,
                    format!("`model` is set twice in {owner}"),
                )
                .primary(extra.name.span, "set again here")
                .secondary(entries.blocks[0].name.span, "first set here")
                .help("keep one `model` block"),
            );
        }
        if module == 0 {
            let reads = scope.reads.borrow();
            for var in &scope.vars {
                let attr = entries.attrs.iter().find(|a| a.name.name == var.name);
                let builtin = matches!(var.name.as_str(), "priority" | "deadline");
                if let (Some(attr), false) = (attr, builtin || reads.contains(&var.slot)) {
                    self.unread_attrs
                        .push((name.clone(), var.name.clone(), attr.name.span));
                }
            }
        }
        // A step whose keyword is wrong (reported) is missing from the template: it is not
        // lowered, so metrics and sweeps of its steps are not judged against the rest.
        ok &= entries.rejected_blocks == 0;
        if entries.steps.is_empty() && entries.rejected_blocks == 0 {
            let span = decl.name.as_ref().map(|n| n.span).unwrap_or(decl.kind_span);
            self.diags.push(
                Diagnostic::error(codes::MISSING_ATTRIBUTE, format!("{owner} has no steps"))
                    .primary(span, "no steps")
                    .help("add at least one step, such as `train { on = gpu  duration = 10min }`"),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some(ir::Pipeline {
            name: self.qualified(module, &name),
            vars,
            priority_var,
            deadline_var,
            steps: steps?,
            model: model?,
        })
    }

    /// `lost`: names of steps whose keyword was wrong (reported): `after` them is silent.
    fn lower_steps(
        &mut self,
        pipeline: &str,
        prefix: Option<&str>,
        steps: &[&ast::Step],
        lost: &[String],
        scope: &Scope,
    ) -> Option<Vec<ir::Step>> {
        let mut ok = true;
        let mut names: Vec<(String, Span)> = Vec::new();
        for step in steps {
            let name = step.name().to_string();
            if let Some((_, first)) = names.iter().find(|(n, _)| *n == name) {
                let keyword = step.kind.keyword();
                // The first of `train_2`, `train_3`, ... that no step of the pipeline is called.
                let free = (2..)
                    .map(|n| format!("{keyword}_{n}"))
                    .find(|candidate| steps.iter().all(|s| s.name() != candidate.as_str()))
                    .unwrap_or_else(|| format!("{keyword}_2"));
                let mut d = Diagnostic::error(
                    codes::DUPLICATE_STEP,
                    format!("pipeline `{pipeline}` has two steps called `{name}`"),
                )
                .primary(step.name_span(), "second step")
                .secondary(*first, "first step");
                if step.name.is_none() {
                    // `train { ... }` twice: the second gets a name after its kind.
                    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                        title: format!("Name the second step `{free}`"),
                        edits: vec![(
                            Span::new(
                                step.kind_span.file,
                                step.kind_span.end as usize,
                                step.kind_span.end as usize,
                            ),
                            format!(" {free}"),
                        )],
                    }];
                    d = d.help(format!(
                        "give the steps names, such as `{keyword} {free} {{ ... }}`"
                    ));
                } else {
                    d = d.help("rename one of them");
                }
                self.diags.push(d);
                ok = false;
            }
            names.push((name, step.name_span()));
        }
        let mut nodes = Vec::new();
        let mut lowered = Vec::new();
        for (index, step) in steps.iter().enumerate() {
            let mut after = Vec::new();
            let mut removals = Vec::new();
            if step.after.is_empty() {
                if index > 0 {
                    after.push((index - 1, step.kind_span));
                }
            } else {
                let deletions = after_removals(step);
                for (a, deletion) in step.after.iter().zip(deletions) {
                    match names.iter().position(|(n, _)| *n == a.name) {
                        Some(i) => {
                            after.push((i, a.span));
                            // A comment in what the deletion covers would go with it.
                            let text = self.text(deletion);
                            let comment = text.contains("//") || text.contains("/*");
                            removals.push((!comment).then_some(deletion));
                        }
                        None if lost.contains(&a.name) => ok = false,
                        None => {
                            let help = match did_you_mean(
                                &a.name,
                                names.iter().map(|(n, _)| n.as_str()),
                            ) {
                                Some(h) => h,
                                None => format!(
                                    "the steps of `{pipeline}` are {}",
                                    names
                                        .iter()
                                        .map(|(n, _)| format!("`{n}`"))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            };
                            self.diags.push(
                                Diagnostic::error(
                                    codes::UNKNOWN_STEP,
                                    format!("pipeline `{pipeline}` has no step `{}`", a.name),
                                )
                                .primary(a.span, "unknown step")
                                .help(help),
                            );
                            ok = false;
                        }
                    }
                }
            }
            nodes.push(StepNode {
                name: step.name().to_string(),
                after: after.clone(),
                implicit: step.after.is_empty(),
                removals,
            });
            let step_prefix = prefix.map(|p| format!("{p}.{}", step.name()));
            match self.lower_step(
                step,
                step_prefix.as_deref(),
                after.iter().map(|(i, _)| *i as u32).collect(),
                scope,
            ) {
                Some(s) => lowered.push(s),
                None => ok = false,
            }
        }
        ok &= dag::check_acyclic(pipeline, &nodes, &mut self.diags);
        ok.then_some(lowered)
    }

    /// A step whose `when` is `false` as written: a leftover of turning the step off. Only
    /// literals count; an attribute or a parameter may be false here and turned by a sweep
    /// or `--set`, which is what it is there for.
    fn warn_never_runs(&mut self, when: &ast::Expr, lowered: &ir::Expr, owner: &str) {
        if !literals_only(when)
            || super::consts::const_value(lowered) != Some(ir::Value::Bool(false))
        {
            return;
        }
        self.diags.push(
            Diagnostic::warning(
                codes::STEP_NEVER_RUNS,
                format!("{owner} never runs: its `when` is always false"),
            )
            .primary(when.span, "always false")
            .help(
                "it is skipped in every run (the steps after it start as if it had finished); remove the step, or remove its `when` to run it every time",
            ),
        );
    }

    fn lower_step(
        &mut self,
        step: &ast::Step,
        prefix: Option<&str>,
        after: Vec<u32>,
        scope: &Scope,
    ) -> Option<ir::Step> {
        let keyword = step.kind.keyword();
        let owner = if step.name.is_some() {
            format!("the `{keyword}` step `{}`", step.name())
        } else {
            format!("the `{keyword}` step")
        };
        let mut attrs = Vec::new();
        let mut inapplicable = Vec::new();
        for (a, _) in STEP_ATTRS {
            match step_attr_kinds(a) {
                Some(k) if k != step.kind => inapplicable.push((
                    *a,
                    format!("`{a}` is an attribute of `{}` steps", k.keyword()),
                )),
                _ => attrs.push(*a),
            }
        }
        let header_start = match &step.name {
            Some(_) => format!("{keyword} {}", step.name()),
            None => keyword.to_string(),
        };
        let rules = BlockRules {
            owner: owner.clone(),
            attrs: &attrs,
            inapplicable: &inapplicable,
            step_header: &header_start,
            step_clauses: Some(StepClauses {
                has_after: !step.after.is_empty(),
                has_when: step.when.is_some(),
                body: step.body.span,
            }),
            user_attrs: false,
            blocks: &[],
            steps: false,
            sweeps: false,
        };
        let entries = self.entries(&step.body, &rules);
        let mut ok = true;
        let when_text = step.when.as_ref().map(|w| self.text(w.span));
        let when = match &step.when {
            Some(w) => {
                let t = self.expr(w, scope);
                let is_bool = self.expect(&t, Expect::Bool, w.span, "when");
                ok &= is_bool;
                if is_bool {
                    self.warn_never_runs(w, &t.ir, &owner);
                }
                Some(t.ir)
            }
            None => None,
        };
        let on = match self.value(prefix, &entries, "on") {
            Some(e) => {
                let t = self.expr_expecting(&e, scope, Expect::Pool, "on");
                ok &= self.expect(&t, Expect::Pool, e.span, "on") && t.ty != Ty::Error;
                Some(t.ir)
            }
            None => None,
        };
        let reads = self.transfer(
            prefix,
            &entries,
            "reads",
            ast::TransferDirection::From,
            scope,
            &mut ok,
        );
        let writes = self.transfer(
            prefix,
            &entries,
            "writes",
            ast::TransferDirection::To,
            scope,
            &mut ok,
        );
        if on.is_none()
            && reads.is_none()
            && writes.is_none()
            && entries.get("reads").is_none()
            && entries.get("writes").is_none()
            && !entries
                .misspelt
                .iter()
                .any(|m| matches!(m.as_str(), "on" | "reads" | "writes"))
        {
            self.missing(step.name_span(), &owner, "on", "say which pool runs the step, such as `on = gpu`; only a pure transfer (`reads` or `writes` alone) runs without a pool".into());
            ok = false;
        }
        let units = match self.value(prefix, &entries, "units") {
            Some(e) => {
                let t = self.expr(&e, scope);
                ok &= self.expect(&t, Expect::Dim(Dim::NONE), e.span, "units");
                if let Some(v) = t.constant() {
                    if v < 1.0 {
                        self.out_of_range(
                            e.span,
                            format!("`units` must be at least 1, found {}", show(v)),
                            "a step takes at least one slot".into(),
                        );
                        ok = false;
                    } else if v.fract() != 0.0 {
                        // A pool's slots are whole (as its `capacity` is); the engine would
                        // round a written 2.5 to 3 without a word.
                        self.out_of_range(
                            e.span,
                            format!("`units` must be a whole number of slots, found {}", show(v)),
                            format!(
                                "a step takes whole slots of its pool: write `{}` or `{}`",
                                show(v.floor()),
                                show(v.ceil())
                            ),
                        );
                        ok = false;
                    }
                }
                self.warn_negative(&t.ir, e.span, "units");
                let from = match (const_num(&t.ir), &t.ir) {
                    // A fraction is reported above, not measured against the pools.
                    (Some(units), _) if units.fract() != 0.0 => None,
                    (Some(units), _) => Some(UnitsFrom::Constant(units)),
                    (None, ir::Expr::Var(ir::VarRef::Instance(slot))) => {
                        Some(UnitsFrom::Attribute(*slot))
                    }
                    _ => None,
                };
                if let (Some(units), Some(on)) = (from, &on) {
                    let mut pools = Vec::new();
                    resources_named(on, &mut pools);
                    self.units_checks.push(UnitsCheck {
                        pipeline: None,
                        units,
                        span: e.span,
                        pools,
                    });
                }
                t.ir
            }
            None => super::consts::num(1.0),
        };
        let duration = match self.value(prefix, &entries, "duration") {
            Some(e) => {
                let t = self.expr(&e, scope);
                ok &= self.expect(&t, Expect::Dim(Dim::TIME), e.span, "duration");
                self.warn_negative(&t.ir, e.span, "duration");
                t.ir
            }
            None => {
                if entries.get("on").is_some() || on.is_some() {
                    self.missing(
                        step.name_span(),
                        &owner,
                        "duration",
                        "say how long the step runs, such as `duration = exponential(mean = 90s)`"
                            .into(),
                    );
                    ok = false;
                }
                super::consts::num(0.0)
            }
        };
        let mut fraction = |this: &mut Self, name: &str, max: Option<f64>| -> Option<ir::Expr> {
            let e = this.value(prefix, &entries, name)?;
            let t = this.expr(&e, scope);
            ok &= this.expect(&t, Expect::Dim(Dim::NONE), e.span, name);
            if let Some(v) = const_num(&t.ir) {
                let bad = v < 0.0 || max.is_some_and(|m| v > m);
                if bad {
                    let range = match max {
                        Some(m) => format!("between 0 and {}", show(m)),
                        None => "at least 0".into(),
                    };
                    let message = format!("`{name}` must be {range}, found {}", show(v));
                    match &e.kind {
                        // `pass = 95`: a percentage written as a plain number.
                        ast::ExprKind::Number(x) if max == Some(1.0) && *x > 1.0 && *x <= 100.0 => {
                            let written = this.text(e.span);
                            let percent = format!("{written}%");
                            let mut d = Diagnostic::error(codes::OUT_OF_RANGE, message)
                                .primary(e.span, "out of range")
                                .help(format!(
                                    "`{name}` is a fraction: for {written} percent, write `{percent}` (or `{}`)",
                                    show(x / 100.0)
                                ));
                            d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                                title: format!("Write `{percent}`"),
                                edits: vec![(e.span, percent)],
                            }];
                            this.diags.push(d);
                        }
                        _ => this.out_of_range(
                            e.span,
                            message,
                            format!("`{name}` is a fraction, such as `0.95` or `5%`"),
                        ),
                    }
                    ok = false;
                }
            }
            Some(t.ir)
        };
        let accuracy = fraction(self, "accuracy", Some(1.0));
        let pass = fraction(self, "pass", Some(1.0));
        let size_factor = fraction(self, "size_factor", None);
        let accuracy_loss = fraction(self, "accuracy_loss", Some(1.0));
        let estimate = match self.value(prefix, &entries, "estimate") {
            Some(e) => {
                let t = self.expr(&e, scope);
                ok &= self.expect(&t, Expect::Dim(Dim::TIME), e.span, "estimate");
                self.warn_negative(&t.ir, e.span, "estimate");
                if let Some(on) = &on {
                    let mut pools = Vec::new();
                    resources_named(on, &mut pools);
                    self.estimate_checks.push((None, e.span, pools));
                }
                Some(t.ir)
            }
            None => None,
        };
        if !ok {
            return None;
        }
        Some(ir::Step {
            name: step.name().to_string(),
            kind: match step.kind {
                ast::StepKind::Preprocess => ir::StepKind::Preprocess,
                ast::StepKind::Train => ir::StepKind::Train,
                ast::StepKind::Validate => ir::StepKind::Validate,
                ast::StepKind::Compress => ir::StepKind::Compress,
                ast::StepKind::Task => ir::StepKind::Task,
            },
            after,
            when,
            when_text,
            on,
            units,
            duration,
            reads,
            writes,
            accuracy,
            pass,
            size_factor,
            accuracy_loss,
            estimate,
        })
    }

    fn transfer(
        &mut self,
        prefix: Option<&str>,
        entries: &Entries,
        name: &str,
        direction: ast::TransferDirection,
        scope: &Scope,
        ok: &mut bool,
    ) -> Option<ir::Transfer> {
        let e = self.value(prefix, entries, name)?;
        let word = match direction {
            ast::TransferDirection::From => "from",
            ast::TransferDirection::To => "to",
        };
        let ast::ExprKind::Transfer {
            size,
            direction: written,
            link,
        } = &e.kind
        else {
            let t = self.expr(&e, scope);
            if t.ty != Ty::Error {
                let found = self.describe(&t.ty);
                self.diags.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("expected `SIZE {word} LINK`, found {found}"),
                    )
                    .primary(e.span, format!("this is {found}"))
                    .help(format!(
                        "write the size and the link, such as `{name} = asset.size {word} storage`"
                    )),
                );
            }
            *ok = false;
            return None;
        };
        if *written != direction {
            let other = if word == "from" { "to" } else { "from" };
            self.diags.push(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("`{name}` transfers {word} a link, found `{other}`"),
                )
                .primary(e.span, format!("`{other}` here"))
                .help(format!("write `{name} = SIZE {word} LINK`")),
            );
            *ok = false;
            return None;
        }
        let bytes = self.expr(size, scope);
        *ok &= self.expect(&bytes, Expect::Dim(Dim::SIZE), size.span, name);
        self.warn_negative(&bytes.ir, size.span, name);
        let link_typed = self.expr_expecting(
            &ast::Expr {
                kind: ast::ExprKind::Path(link.clone()),
                span: link.span,
            },
            scope,
            Expect::Link,
            name,
        );
        *ok &= self.expect(&link_typed, Expect::Link, link.span, name);
        match link_typed.ir {
            ir::Expr::Const(ir::Value::Resource(id)) if *ok => Some(ir::Transfer {
                bytes: bytes.ir,
                link: id,
            }),
            _ => {
                *ok = false;
                None
            }
        }
    }

    /// `model { drift = RATE | DISTRIBUTION, drop = X }`. Returns None on errors.
    fn lower_model(
        &mut self,
        block: &ast::NestedBlock,
        prefix: Option<&str>,
        scope: &Scope,
    ) -> Option<Option<ir::ModelSpec>> {
        let names: Vec<&str> = MODEL_ATTRS.iter().map(|a| a.0).collect();
        let rules = BlockRules::attributes("`model`".into(), &names);
        let entries = self.entries(&block.body, &rules);
        let scope = Scope::module(scope.module);
        let drop = match self.value(prefix, &entries, "drop") {
            Some(e) => {
                let v = self.constant(&e, Expect::Dim(Dim::NONE), "drop", &scope)?;
                if !(0.0..=1.0).contains(&v) {
                    self.out_of_range(
                        e.span,
                        format!("`drop` must be between 0 and 1, found {}", show(v)),
                        "`drop` is the accuracy lost at once, such as `10%`".into(),
                    );
                    return None;
                }
                Some((v, e.span))
            }
            None => None,
        };
        let drift = match self.value(prefix, &entries, "drift") {
            None => ir::Drift::None,
            Some(e) => {
                let t = self.expr(&e, &scope);
                match t.ty {
                    Ty::Error => return None,
                    Ty::Num(Dim::FREQUENCY) => {
                        let Some(rate) = const_num(&t.ir) else {
                            self.diags.push(
                                Diagnostic::error(codes::NOT_CONSTANT, "a linear `drift` must be a constant rate")
                                    .primary(e.span, "random")
                                    .help("write a rate such as `drift = 0.4%/d`, or a time to a sudden drop such as `drift = exponential(mean = 20d)`"),
                            );
                            return None;
                        };
                        if let Some((_, span)) = drop {
                            self.diags.push(
                                Diagnostic::error(codes::INAPPLICABLE_ATTRIBUTE, "`drop` does not apply to a linear drift")
                                    .primary(span, "not applicable here")
                                    .help("`drop` is the accuracy lost at each sudden drop, with `drift = DURATION`"),
                            );
                            return None;
                        }
                        if rate < 0.0 {
                            self.out_of_range(
                                e.span,
                                "`drift` must not be negative".into(),
                                "a drift is accuracy lost per time, such as `0.4%/d`".into(),
                            );
                            return None;
                        }
                        ir::Drift::Linear { per_second: rate }
                    }
                    Ty::Num(Dim::TIME) | Ty::AnyNum => {
                        self.warn_negative(&t.ir, e.span, "drift");
                        ir::Drift::Sudden {
                            time_to_drop: t.ir,
                            drop: drop.map(|d| d.0).unwrap_or(0.1),
                        }
                    }
                    ref other => {
                        let found = self.describe(other);
                        self.diags.push(
                            Diagnostic::error(codes::TYPE_MISMATCH, format!("expected a frequency or a duration for `drift`, found {found}"))
                                .primary(e.span, format!("this is {found}"))
                                .help("write accuracy lost per time, such as `drift = 0.4%/d`, or the time to a sudden drop, such as `drift = exponential(mean = 20d)`"),
                        );
                        return None;
                    }
                }
            }
        };
        let lifetime = match self.value(prefix, &entries, "lifetime") {
            Some(e) => {
                let t = self.expr(&e, &scope);
                if !self.expect(&t, Expect::Dim(Dim::TIME), e.span, "lifetime") {
                    return None;
                }
                self.warn_negative(&t.ir, e.span, "lifetime");
                Some(t.ir)
            }
            None => None,
        };
        Some(Some(ir::ModelSpec { drift, lifetime }))
    }

    // -----------------------------------------------------------------------------------------
    // Arrivals and monitors

    fn lower_arrivals(&mut self, module: usize, decl: &ast::Decl) -> Option<ir::Arrivals> {
        let name = Self::decl_name(decl);
        let owner = format!("arrivals `{name}`");
        let names: Vec<&str> = ARRIVALS_ATTRS.iter().map(|a| a.0).collect();
        let rules = BlockRules {
            blocks: ARRIVALS_BLOCKS,
            ..BlockRules::attributes(owner.clone(), &names)
        };
        let entries = self.entries(&decl.body, &rules);
        let prefix = self.attr_prefix(module, decl);
        let prefix = prefix.as_deref();
        let scope = Scope::module(module);
        let name_span = decl.name.as_ref().map(|n| n.span).unwrap_or(decl.kind_span);
        let mut ok = true;
        let sources: Vec<(&str, ast::Expr)> = ["interarrival", "rate", "trace"]
            .into_iter()
            .filter_map(|s| self.value(prefix, &entries, s).map(|e| (s, e)))
            .collect();
        let mut replayed_rows = None;
        self.last_arrivals_source = sources.first().map(|(_, e)| e.span);
        // A misspelt `trace` (or `rate`) is reported as an unknown attribute; what depends on
        // it is not reported again.
        let misspelt = |source: &str| entries.misspelt.iter().any(|m| m == source);
        // What only a replayed trace reads.
        let replay_only: Vec<(&str, Span)> = entries
            .get("time_column")
            .map(|a| ("time_column", a.name.span))
            .into_iter()
            .chain(entries.blocks.first().map(|b| ("row", b.name.span)))
            .collect();
        let process = match sources.as_slice() {
            [] if ["interarrival", "rate", "trace"]
                .iter()
                .any(|s| misspelt(s)) =>
            {
                None
            }
            // `time_column` or `row` without a source: `trace` is what is missing, and the
            // attributes that need it are labels here, not errors of their own.
            [] if !replay_only.is_empty() => {
                let mut d = Diagnostic::error(
                    codes::ARRIVAL_SOURCE,
                    format!("{owner} replays a trace but has no `trace`"),
                )
                .primary(name_span, "no `trace`");
                for (what, span) in &replay_only {
                    d = d.secondary(*span, format!("`{what}` reads the replayed trace"));
                }
                self.diags.push(
                    d.help("add the recorded trace's CSV file, such as `trace = \"jobs.csv\"`"),
                );
                None
            }
            [] => {
                self.diags.push(
                    Diagnostic::error(codes::ARRIVAL_SOURCE, format!("{owner} needs one of `interarrival`, `rate` and `trace`"))
                        .primary(name_span, "no arrivals")
                        .help("write `interarrival = exponential(mean = 2min)`, `rate = 30/h` or `trace = \"jobs.csv\"`"),
                );
                None
            }
            [(kind, e)] => match *kind {
                "interarrival" => {
                    let t = self.expr(e, &scope);
                    ok &= self.expect(&t, Expect::Dim(Dim::TIME), e.span, "interarrival");
                    if let Some(v) = t.constant() {
                        if v <= 0.0 {
                            self.out_of_range(
                                e.span,
                                format!(
                                    "`interarrival` must be positive, found {}",
                                    self.text(e.span)
                                ),
                                "write a duration or a distribution of durations".into(),
                            );
                            ok = false;
                        }
                    }
                    self.warn_negative(&t.ir, e.span, "interarrival");
                    Some(ir::ArrivalProcess::Interarrival(t.ir))
                }
                "rate" => {
                    let t = self.expr(e, &scope);
                    let typed = self.expect(&t, Expect::Dim(Dim::FREQUENCY), e.span, "rate");
                    ok &= typed;
                    match const_num(&t.ir) {
                        // A mistake reported already (a unit, a string) is no value to judge.
                        _ if t.ty == Ty::Error || !typed => {
                            ok = false;
                            None
                        }
                        Some(v) if v <= 0.0 => {
                            self.out_of_range(
                                e.span,
                                "`rate` must be positive".into(),
                                "write a frequency such as `120/h`".into(),
                            );
                            ok = false;
                            None
                        }
                        Some(v) => Some(ir::ArrivalProcess::Interarrival(ir::Expr::Dist(
                            Box::new(ir::Distribution::Exponential {
                                mean: super::consts::num(1.0 / v),
                            }),
                        ))),
                        // Drawn again at every gap, a random rate would be a mixture of
                        // exponentials whose rate is neither the one written nor what
                        // `--load` reckons with.
                        None => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::NOT_CONSTANT,
                                    "`rate` must be a constant",
                                )
                                .primary(e.span, "random or computed")
                                .help(
                                    "a Poisson process has one rate: write a frequency such as `120/h`, or random gaps as `interarrival = DISTRIBUTION`",
                                ),
                            );
                            ok = false;
                            None
                        }
                    }
                }
                _ => self.replay(module, prefix, &entries, e, name_span).map(
                    |(process, table, kept)| {
                        replayed_rows = Some((table, kept));
                        process
                    },
                ),
            },
            [(first, first_e), (second, second_e), ..] => {
                self.diags.push(
                    Diagnostic::error(
                        codes::ARRIVAL_SOURCE,
                        format!("{owner} has both `{first}` and `{second}`"),
                    )
                    .primary(second_e.span, format!("`{second}` here"))
                    .secondary(first_e.span, format!("`{first}` here"))
                    .help("keep exactly one of `interarrival`, `rate` and `trace`"),
                );
                None
            }
        };
        // Without any source, E0703 above names what needs the trace.
        if !sources.is_empty() && sources.iter().all(|(k, _)| *k != "trace") && !misspelt("trace") {
            if let Some(attr) = entries.get("time_column") {
                self.diags.push(
                    Diagnostic::error(
                        codes::INAPPLICABLE_ATTRIBUTE,
                        "`time_column` only applies with `trace`",
                    )
                    .primary(attr.name.span, "not applicable here")
                    .help("remove it, or replay a recorded trace with `trace = \"jobs.csv\"`"),
                );
                ok = false;
            }
        }
        let replayed = sources.iter().any(|(k, _)| *k == "trace");
        if replayed {
            if let Some(attr) = entries.get("profile") {
                self.diags.push(
                    Diagnostic::error(
                        codes::INAPPLICABLE_ATTRIBUTE,
                        "`profile` does not apply to a replayed trace",
                    )
                    .primary(attr.name.span, "not applicable with `trace`")
                    .help("a replayed trace keeps its recorded times, and with them its own daily and weekly rhythm: remove `profile` (`growth` does apply: it replays each row `growth` times on average)"),
                );
                ok = false;
            }
        }
        // With a trace, `profile` is reported above and not read (its value would only
        // add a second diagnostic to the same line).
        let profile = match self
            .value(prefix, &entries, "profile")
            .filter(|_| !replayed)
        {
            Some(e) => {
                let t = self.expr_expecting(&e, &scope, Expect::Profile, "profile");
                ok &= self.expect(&t, Expect::Profile, e.span, "profile");
                match t.ty {
                    Ty::Profile(id) => Some(id),
                    _ => None,
                }
            }
            None => None,
        };
        let pipeline = match self.value(prefix, &entries, "pipeline") {
            Some(e) => self.pipeline_value(&e, &scope),
            None => {
                self.missing(name_span, &owner, "pipeline", "say which pipeline each arrival starts, such as `pipeline = classic` or `pipeline = choice { classic: 0.7, edge: 0.3 }`".into());
                None
            }
        };
        let growth = match self.value(prefix, &entries, "growth") {
            Some(e) => self
                .constant(&e, Expect::Dim(Dim::NONE), "growth", &scope)
                .and_then(|v| {
                    if v <= 0.0 {
                        self.out_of_range(
                            e.span,
                            format!("`growth` must be positive, found {}", show(v)),
                            "`growth` multiplies the arrival rate: `1.5` is 50% more arrivals"
                                .into(),
                        );
                        None
                    } else {
                        if module == 0 && v < 1.0 {
                            self.warn_growth_cut(&e, v);
                        }
                        Some(v)
                    }
                }),
            None => Some(1.0),
        };
        let window = |this: &mut Self, what: &str| -> Option<Option<f64>> {
            match this.value(prefix, &entries, what) {
                Some(e) => {
                    let v = this.constant(&e, Expect::Dim(Dim::TIME), what, &scope)?;
                    if v < 0.0 {
                        this.out_of_range(
                            e.span,
                            format!("`{what}` must not be negative"),
                            format!("`{what}` is a time from the scenario start"),
                        );
                        return None;
                    }
                    Some(Some(v))
                }
                None => Some(None),
            }
        };
        let row = match (entries.blocks.as_slice(), &pipeline) {
            ([], _) => Some(ir::RowAttributes::default()),
            ([block, rest @ ..], pipeline) => {
                for extra in rest {
                    self.diags.push(
                        Diagnostic::error(
                            codes::DUPLICATE_ATTRIBUTE,
                            format!("`row` is set twice in {owner}"),
                        )
                        .primary(extra.name.span, "set again here")
                        .secondary(block.name.span, "first set here")
                        .help("keep one `row` block"),
                    );
                }
                match (replayed_rows.take(), pipeline) {
                    (Some((table, kept)), Some(pipeline)) => {
                        self.lower_row_block(module, block, pipeline, table, &kept)
                    }
                    (None, _) if misspelt("trace") || sources.is_empty() => None,
                    (None, _) if !sources.iter().any(|(k, _)| *k == "trace") => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::INAPPLICABLE_ATTRIBUTE,
                                "`row` only applies with `trace`",
                            )
                            .primary(block.name.span, "not applicable here")
                            .help("`row { }` sets template attributes from each replayed row: add `trace = \"jobs.csv\"`, or remove it"),
                        );
                        None
                    }
                    // The trace or the pipeline is wrong (reported).
                    _ => None,
                }
            }
        };
        let start = window(self, "start");
        let stop = window(self, "stop");
        if let (Some(Some(a)), Some(e)) = (start, self.value(prefix, &entries, "start")) {
            if module == 0 && self.horizon > 0.0 && a >= self.horizon {
                let horizon = self
                    .horizon_text
                    .clone()
                    .unwrap_or_else(|| format!("{}s", show(self.horizon)));
                self.diags.push(
                    Diagnostic::warning(
                        codes::ARRIVALS_AFTER_HORIZON,
                        format!("{owner} start at {}, not before the {horizon} horizon: none arrive", self.text(e.span)),
                    )
                    .primary(e.span, "at or after the horizon")
                    .help("`start` is a time from the scenario start: make it earlier, or the horizon longer"),
                );
            }
        }
        if let (Some(Some(a)), Some(Some(b))) = (start, stop) {
            if b <= a {
                if let Some(e) = self.value(prefix, &entries, "stop") {
                    self.out_of_range(
                        e.span,
                        format!(
                            "`stop` ({}s) must come after `start` ({}s)",
                            show(b),
                            show(a)
                        ),
                        "arrivals happen between `start` and `stop`".into(),
                    );
                }
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(ir::Arrivals {
            name: self.qualified(module, &name),
            process: process?,
            profile,
            pipeline: pipeline?,
            growth: growth?,
            start: start?.unwrap_or(0.0),
            stop: stop?,
            row: row?,
        })
    }

    /// `growth = 30%` is 0.3 times the rate, 70% fewer arrivals, where "30% growth" means
    /// 1.3: a percentage below 100% is said back as the cut it is. A cut written as a plain
    /// number (`0.3`) is taken as meant.
    fn warn_growth_cut(&mut self, e: &ast::Expr, v: f64) {
        let written = self.text(e.span).trim().to_string();
        let Some(number) = written.strip_suffix('%') else {
            return;
        };
        let number = number.trim();
        let fewer = show(((1.0 - v) * 1e6).round() / 1e4);
        let more = show(((1.0 + v) * 1e6).round() / 1e4);
        self.diags.push(
            Diagnostic::warning(
                codes::GROWTH_AS_A_CUT,
                format!("`growth = {written}` cuts the arrivals to {written} of the rate, {fewer}% fewer"),
            )
            .primary(e.span, format!("{} times the rate", show(v)))
            .help(format!(
                "`growth` multiplies the rate: for {number}% more arrivals write `{more}%` (or `{}`); to mean the cut, write it as a number, `{}`",
                show(1.0 + v),
                show(v)
            )),
        );
    }

    /// `row { ATTR = EXPR ... }` of a replayed trace: each ATTR is an attribute of every
    /// template the arrivals can start, set for each instance from its row (`row.COLUMN`
    /// reads a numeric column) instead of its template expression.
    fn lower_row_block(
        &mut self,
        module: usize,
        block: &ast::NestedBlock,
        pipeline: &ir::Expr,
        table: std::sync::Arc<super::data::Table>,
        kept: &[usize],
    ) -> Option<ir::RowAttributes> {
        let rules = BlockRules {
            user_attrs: true,
            ..BlockRules::attributes("a `row` block".into(), &[])
        };
        let entries = self.entries(&block.body, &rules);
        let mut templates = Vec::new();
        pipelines_named(pipeline, &mut templates);
        templates.sort_unstable();
        templates.dedup();
        let scope = Scope::module(module);
        self.row_columns = Some((table, Vec::new()));
        let mut ok = true;
        let mut attributes = Vec::new();
        for attr in &entries.attrs {
            let name = attr.name.name.as_str();
            // A label attribute takes a column's cells as labels: those every template's
            // attribute can hold.
            let label_sets: Vec<BTreeSet<ir::LabelId>> = templates
                .iter()
                .filter_map(|t| self.template_vars.get(t)?.iter().find(|v| v.name == name))
                .filter_map(|v| match &v.ty {
                    Ty::Labels(set) => Some(set.clone()),
                    _ => None,
                })
                .collect();
            let typed = match label_sets.split_first() {
                None => self.expr(&attr.value, &scope),
                Some((first, rest)) => {
                    let allowed: BTreeSet<ir::LabelId> = first
                        .iter()
                        .copied()
                        .filter(|label| rest.iter().all(|set| set.contains(label)))
                        .collect();
                    self.row_label_column(&attr.value, name, allowed)
                }
            };
            let mut slots = Vec::new();
            for &template in &templates {
                let var = self
                    .template_vars
                    .get(&template)
                    .and_then(|vars| vars.iter().find(|v| v.name == name))
                    .cloned();
                let template_name = self.pipeline_decls[template as usize].2.clone();
                match var {
                    Some(var) => {
                        let expect = match var.ty {
                            Ty::Num(dim) => Expect::Dim(dim),
                            // A number of no fixed dimension (such as an `empirical` draw
                            // scaled by a unit): any number fits.
                            Ty::AnyNum if matches!(typed.ty, Ty::Num(_) | Ty::AnyNum) => {
                                slots.push((template, var.slot));
                                continue;
                            }
                            Ty::AnyNum => Expect::Dim(Dim::NONE),
                            // From a comparison of the row's numbers (`spot = row.spot == 1`).
                            Ty::Bool if matches!(typed.ty, Ty::Num(_) | Ty::AnyNum) => {
                                self.diags.push(
                                    Diagnostic::error(
                                        codes::TYPE_MISMATCH,
                                        format!("`{name}` of pipeline `{template_name}` is a boolean, and this is a number"),
                                    )
                                    .primary(attr.value.span, "a number")
                                    .help(format!("compare the row's number, such as `{name} = {} == 1`", match &attr.value.kind {
                                        ast::ExprKind::Path(path) => path.dotted(),
                                        _ => "row.COLUMN".to_string(),
                                    })),
                                );
                                ok = false;
                                continue;
                            }
                            Ty::Bool => Expect::Bool,
                            Ty::Error => continue,
                            // Read from the column as labels above (or reported there).
                            Ty::Labels(_) => {
                                ok &= typed.ty != Ty::Error;
                                slots.push((template, var.slot));
                                continue;
                            }
                            ref other => {
                                let found = self.describe(other);
                                self.diags.push(
                                    Diagnostic::error(
                                        codes::TYPE_MISMATCH,
                                        format!("`row` can set only numbers, labels and booleans, and `{name}` of pipeline `{template_name}` is {found}"),
                                    )
                                    .primary(attr.name.span, "neither a number, a label nor a boolean")
                                    .help("set a numeric or label attribute from the trace, and derive others from it in the template"),
                                );
                                ok = false;
                                continue;
                            }
                        };
                        // A column read as it is, where the template holds a quantity: the
                        // usual help ("add a unit, such as `30s`") would not say how.
                        let bare_column = match &attr.value.kind {
                            ast::ExprKind::Path(path)
                                if path.parts.len() == 2 && path.parts[0].name == "row" =>
                            {
                                Some(path.dotted())
                            }
                            _ => None,
                        };
                        match (expect, &typed.ty, bare_column) {
                            (Expect::Dim(want), Ty::Num(Dim::NONE), Some(column))
                                if want != Dim::NONE =>
                            {
                                self.diags.push(
                                    Diagnostic::error(
                                        codes::TYPE_MISMATCH,
                                        format!("`{name}` of pipeline `{template_name}` is {}, and `{column}` is a plain number", want.name()),
                                    )
                                    .primary(attr.value.span, "a plain number")
                                    .help(format!(
                                        "a trace's columns are plain numbers: multiply by the unit the column is in, such as `{column} * 1{}`",
                                        want.base_unit()
                                    )),
                                );
                                ok = false;
                            }
                            _ => ok &= self.expect(&typed, expect, attr.value.span, name),
                        }
                        slots.push((template, var.slot));
                    }
                    // The template's steps use `name` too and it is reported unknown there:
                    // the attribute is misspelt where the template declares it.
                    None if self.also_unknown(name, attr.name.span) => ok = false,
                    None => {
                        let declared: Vec<String> = self
                            .template_vars
                            .get(&template)
                            .map(|vars| vars.iter().map(|v| v.name.clone()).collect())
                            .unwrap_or_default();
                        let help = match did_you_mean(name, declared.iter().map(String::as_str)) {
                            Some(slip) => format!("{slip} Or declare `{name}` in `{template_name}` with the value used when no trace sets it, and read it in its steps"),
                            None => format!("declare it in `{template_name}` with the value used when no trace sets it, such as `{name} = 1`, and read it in its steps"),
                        };
                        self.diags.push(
                            Diagnostic::error(
                                codes::UNKNOWN_ATTRIBUTE,
                                format!("pipeline `{template_name}` has no attribute `{name}` for `row` to set"),
                            )
                            .primary(attr.name.span, "not an attribute of the template")
                            .help(help),
                        );
                        ok = false;
                    }
                }
            }
            attributes.push(ir::RowAttribute {
                name: name.to_string(),
                expr: typed.ir,
                slots,
            });
        }
        let (table, used) = self.row_columns.take()?;
        if !ok {
            return None;
        }
        // The columns read, parsed for the rows kept, row-major.
        let mut values = Vec::with_capacity(kept.len() * used.len());
        for &row in kept {
            for (column, read_at, labels) in &used {
                let (column, read_at) = (*column, *read_at);
                let cell = table.cell(row, column).unwrap_or("");
                if let Some(labels) = labels {
                    // A label id, exact as an `f64` (ids are small).
                    match self.label_ids.get(cell).filter(|id| labels.contains(id)) {
                        Some(&id) => values.push(f64::from(id)),
                        None => {
                            let mut names: Vec<String> = labels
                                .iter()
                                .map(|&l| format!("`{}`", self.label_name(l)))
                                .collect();
                            names.sort();
                            self.diags.push(
                                Diagnostic::error(
                                    codes::NON_NUMERIC_DATA,
                                    format!(
                                        "`{}` line {}: `{cell}` in column `{}` is not a label the attribute can hold",
                                        table.name,
                                        row + 2,
                                        table.headers[column]
                                    ),
                                )
                                .primary(read_at, "reads that column as labels")
                                .help(format!("the labels it can hold are {}: fix the row, or add the label to the template's attribute", names.join(", "))),
                            );
                            return None;
                        }
                    }
                    continue;
                }
                match cell.parse::<f64>() {
                    Ok(v) if v.is_finite() => values.push(v),
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::NON_NUMERIC_DATA,
                                format!(
                                    "`{}` line {}: {} in column `{}` is not a number",
                                    table.name,
                                    row + 2,
                                    if cell.is_empty() {
                                        "the empty cell".to_string()
                                    } else {
                                        format!("`{cell}`")
                                    },
                                    table.headers[column]
                                ),
                            )
                            .primary(read_at, "reads that column")
                            .help("`row.COLUMN` reads numbers: fix or remove the row, or read another column"),
                        );
                        return None;
                    }
                }
            }
        }
        Some(ir::RowAttributes {
            values,
            width: used.len() as u32,
            attributes,
        })
    }

    /// `ATTR = row.COLUMN` for a label attribute: the column's cells are labels among
    /// `allowed` (checked when the rows are read). Anything but a bare column is reported.
    fn row_label_column(
        &mut self,
        value: &ast::Expr,
        name: &str,
        allowed: BTreeSet<ir::LabelId>,
    ) -> Typed {
        let column = match &value.kind {
            ast::ExprKind::Path(path) if path.parts.len() == 2 && path.parts[0].name == "row" => {
                Some(path)
            }
            _ => None,
        };
        let (Some(path), Some((table, mut used))) = (column, self.row_columns.take()) else {
            self.diags.push(
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("`{name}` is a label: `row` sets it from a column as it is"),
                )
                .primary(value.span, "not a column")
                .help(format!("write `{name} = row.COLUMN`; the column's cells must be labels `{name}` can hold")),
            );
            return Typed::error();
        };
        let typed = match self.find_column(&table, &path.parts[1].name, path.parts[1].span) {
            Some(index) => {
                let k = match used
                    .iter()
                    .position(|(c, _, labels)| *c == index && labels.as_ref() == Some(&allowed))
                {
                    Some(k) => k,
                    None => {
                        used.push((index, path.span, Some(allowed.clone())));
                        used.len() - 1
                    }
                };
                Typed {
                    ty: Ty::Labels(allowed),
                    ir: ir::Expr::Var(ir::VarRef::LabelColumn(k as u32)),
                }
            }
            None => Typed::error(),
        };
        self.row_columns = Some((table, used));
        typed
    }

    /// `arrivals.pipeline`: a template, or a `choice` of templates.
    fn pipeline_value(&mut self, e: &ast::Expr, scope: &Scope) -> Option<ir::Expr> {
        let ast::ExprKind::Choice(entries) = &e.kind else {
            let t = self.expr_expecting(e, scope, Expect::Pipeline, "pipeline");
            return (self.expect(&t, Expect::Pipeline, e.span, "pipeline") && t.ty != Ty::Error)
                .then_some(t.ir);
        };
        let mut ok = true;
        let mut options = Vec::new();
        let mut seen: Vec<(String, Span)> = Vec::new();
        for entry in entries {
            let weight = self.choice_weight(&entry.weight, scope);
            let name = entry.key.dotted();
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
                self.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE_CHOICE_KEY,
                        format!("`{name}` appears twice in this `choice`"),
                    )
                    .primary(entry.key.span, "second time")
                    .secondary(*first, "first time")
                    .help("add the weights together into one entry"),
                );
                ok = false;
                continue;
            }
            seen.push((name.clone(), entry.key.span));
            let resolved = self.resolver().resolve(scope.module, &entry.key.parts);
            match resolved {
                Ok(Target::Decl {
                    module,
                    item,
                    kind: DeclKind::Pipeline,
                }) => match self.pipeline_ids.get(&(module, item)) {
                    Some(&id) => {
                        self.used_decls.insert((module, item));
                        options.push((ir::Value::Pipeline(id), weight))
                    }
                    None => ok = false,
                },
                Ok(Target::Broken) => ok = false,
                Ok(Target::Decl { kind, .. }) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_CHOICE_KEY,
                            format!("`{name}` is a {}, not a pipeline", kind.keyword()),
                        )
                        .primary(entry.key.span, "not a pipeline")
                        .help("`arrivals.pipeline` chooses among pipeline templates"),
                    );
                    ok = false;
                }
                Ok(Target::Module(_)) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_CHOICE_KEY,
                            format!("`{name}` is a module, not a pipeline"),
                        )
                        .primary(entry.key.span, "not a pipeline")
                        .help(format!("name one of its pipelines, such as `{name}.NAME`")),
                    );
                    ok = false;
                }
                Err(nf) => {
                    let mut candidates: Vec<String> = Vec::new();
                    for (m, _) in self.program.modules.iter().enumerate() {
                        let prefix = match self.module_prefix.get(m).cloned().flatten() {
                            Some(p) if scope.module == 0 => p,
                            _ if m == scope.module => String::new(),
                            _ => continue,
                        };
                        for (n, (sym, _)) in &self.symbols[m].names {
                            if matches!(
                                sym,
                                resolve::Symbol::Decl {
                                    kind: DeclKind::Pipeline,
                                    ..
                                }
                            ) {
                                candidates.push(format!("{prefix}{n}"));
                            }
                        }
                    }
                    candidates.sort();
                    let _ = nf;
                    if self.names_lost(scope.module) {
                        ok = false;
                        continue;
                    }
                    // Named elsewhere in the entry file: a declaration's name, or an alias
                    // that is not an import's.
                    let entry_key = self.entry_key(scope.module, &entry.key.parts);
                    if let Some(key) = &entry_key {
                        if self.also_unknown(key, entry.key.span) {
                            ok = false;
                            continue;
                        }
                        self.unknown_in_entry
                            .entry(key.clone())
                            .or_insert(self.diags.0.len());
                    }
                    let mut d = Diagnostic::error(
                        codes::UNKNOWN_NAME,
                        format!("unknown pipeline `{name}`"),
                    )
                    .primary(entry.key.span, "not defined");
                    if let Some(h) =
                        resolve::missing_import_help(&self.symbols[scope.module], &entry.key.parts)
                    {
                        d = d.help(h);
                        if let Some(fix) = self.missing_import_fix(scope.module, &entry.key.parts) {
                            d.repair.get_or_insert_default().fixes.push(fix);
                        }
                    } else if let Some(h) =
                        did_you_mean(&name, candidates.iter().map(String::as_str))
                    {
                        d = d.help(h);
                    } else if !candidates.is_empty() {
                        d = d.help(format!(
                            "the pipelines are {}",
                            candidates
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    self.diags.push(d);
                    ok = false;
                }
            }
        }
        (ok && !options.is_empty()).then_some(ir::Expr::Choice(options))
    }

    fn lower_monitor(&mut self, module: usize, decl: &ast::Decl) -> Option<ir::Monitor> {
        let name = Self::decl_name(decl);
        let owner = format!("monitor `{name}`");
        let names: Vec<&str> = MONITOR_ATTRS.iter().map(|a| a.0).collect();
        let rules = BlockRules::attributes(owner.clone(), &names);
        let entries = self.entries(&decl.body, &rules);
        let prefix = self.attr_prefix(module, decl);
        let prefix = prefix.as_deref();
        let scope = Scope::module(module);
        let name_span = decl.name.as_ref().map(|n| n.span).unwrap_or(decl.kind_span);
        let every = match self.value(prefix, &entries, "every") {
            Some(e) => {
                if module == 0 {
                    self.monitor_every_spans.insert(name.to_string(), e.span);
                }
                self.constant(&e, Expect::Dim(Dim::TIME), "every", &scope)
                    .and_then(|v| {
                        if v <= 0.0 {
                            self.out_of_range(
                                e.span,
                                "`every` must be positive".into(),
                                "write how often to check, such as `every = 1h`".into(),
                            );
                            None
                        } else {
                            Some(v)
                        }
                    })
            }
            None => {
                self.missing(
                    name_span,
                    &owner,
                    "every",
                    "say how often the monitor checks, such as `every = 1h`".into(),
                );
                None
            }
        };
        let when = match self.value(prefix, &entries, "when") {
            Some(e) => {
                let model_scope = Scope {
                    model: true,
                    ..Scope::module(module)
                };
                let t = self.expr(&e, &model_scope);
                (self.expect(&t, Expect::Bool, e.span, "when") && t.ty != Ty::Error).then_some(t.ir)
            }
            None => {
                self.missing(
                    name_span,
                    &owner,
                    "when",
                    "say when a model is stale, such as `when = model.accuracy < 0.8`".into(),
                );
                None
            }
        };
        let retrain = match self.value(prefix, &entries, "retrain") {
            Some(e) => self.constant_bool(&e, "retrain", &scope),
            None => Some(false),
        };
        let watched = match self.value(prefix, &entries, "pipelines") {
            Some(e) => match &e.kind {
                ast::ExprKind::List(items) => {
                    let mut ids = Vec::new();
                    let mut ok = true;
                    for item in items {
                        let t = self.expr_expecting(item, &scope, Expect::Pipeline, "pipelines");
                        if self.expect(&t, Expect::Pipeline, item.span, "pipelines") {
                            match t.ir {
                                ir::Expr::Const(ir::Value::Pipeline(id)) => {
                                    if module == 0 {
                                        self.monitor_watched.push((id, item.span));
                                    }
                                    ids.push(id);
                                }
                                _ => ok = false,
                            }
                        } else {
                            ok = false;
                        }
                    }
                    ok.then_some(ids)
                }
                _ => {
                    let t = self.expr(&e, &scope);
                    if t.ty != Ty::Error {
                        self.diags.push(
                            Diagnostic::error(
                                codes::TYPE_MISMATCH,
                                format!(
                                    "expected a list of pipelines, found {}",
                                    self.describe(&t.ty)
                                ),
                            )
                            .primary(e.span, "not a list")
                            .help("write `pipelines = [classic, aiops.edge]`"),
                        );
                    }
                    None
                }
            },
            None => Some(Vec::new()),
        };
        Some(ir::Monitor {
            name: self.qualified(module, &name),
            every: every?,
            when: when?,
            retrain: retrain?,
            pipelines: watched?,
        })
    }

    // -----------------------------------------------------------------------------------------
    // Experiment

    fn lower_experiment(
        &mut self,
        module: usize,
        decl: &ast::Decl,
        resources: &[ir::Resource],
        pipelines: &[ir::Pipeline],
    ) -> (ir::Experiment, Vec<ast::Sweep>) {
        let rules = BlockRules {
            owner: "the `experiment`".into(),
            attrs: &EXPERIMENT_ATTRS.iter().map(|a| a.0).collect::<Vec<_>>(),
            inapplicable: &[],
            step_header: "",
            step_clauses: None,
            user_attrs: false,
            blocks: &[],
            steps: false,
            sweeps: true,
        };
        let entries = self.entries(&decl.body, &rules);
        let prefix = (module == 0).then_some("experiment");
        let scope = Scope::module(module);
        let mut experiment = ir::Experiment {
            replications: 1,
            confidence: 0.95,
            metrics: Vec::new(),
        };
        if let Some(e) = self.value(prefix, &entries, "replications") {
            if let Some(v) = self.whole(&e, "replications", 1.0, &scope) {
                experiment.replications = v as u32;
            }
        }
        if let Some(e) = self.value(prefix, &entries, "confidence") {
            if let Some(v) = self.constant(&e, Expect::Dim(Dim::NONE), "confidence", &scope) {
                if v <= 0.0 || v >= 1.0 {
                    self.out_of_range(
                        e.span,
                        format!("`confidence` must be between 0 and 1, found {}", show(v)),
                        "write a confidence level such as `0.95` or `99%`".into(),
                    );
                } else {
                    experiment.confidence = v;
                }
            }
        }
        if let Some(e) = self.value(prefix, &entries, "metrics") {
            experiment.metrics = self.metrics(&e, resources, pipelines);
            if module == 0 {
                self.warn_model_metrics_without_models(&e, &experiment.metrics, pipelines);
            }
        }
        let sweeps = if module == 0 {
            entries.sweeps.iter().map(|&sweep| sweep.clone()).collect()
        } else {
            Vec::new()
        };
        (experiment, sweeps)
    }

    /// `model.accuracy.mean` and the other metrics over all models are names every scenario
    /// knows, but they measure only the models that pipelines deploy: where no pipeline
    /// declares a `model` and no monitor names one to watch, a run has no model to measure.
    /// (`model.TEMPLATE.*` of a template without a model is an unknown metric, `E0804`.)
    fn warn_model_metrics_without_models(
        &mut self,
        list: &ast::Expr,
        accepted: &[String],
        pipelines: &[ir::Pipeline],
    ) {
        // A pipeline that did not lower (reported) may be the one with the model.
        if !self.broken_decls.is_empty() || self.names_lost(0) {
            return;
        }
        let tracked =
            pipelines.iter().any(|p| p.model.is_some()) || !self.monitor_watched.is_empty();
        let ast::ExprKind::List(items) = &list.kind else {
            return;
        };
        if tracked {
            return;
        }
        for (index, item) in items.iter().enumerate() {
            let ast::ExprKind::Str(name) = &item.kind else {
                continue;
            };
            if !name.starts_with("model.") || !accepted.contains(name) {
                continue;
            }
            // The fix takes the name out with the comma and space that part it from its
            // neighbour: up to the next item, or from the previous one for the last.
            let removed = match (index.checked_sub(1), items.get(index + 1)) {
                (_, Some(next)) => Span {
                    end: next.span.start,
                    ..item.span
                },
                (Some(previous), None) => Span {
                    start: items[previous].span.end,
                    ..item.span
                },
                (None, None) => item.span,
            };
            // A count of retrains is a value, zero; the others are averages over no models.
            let outcome = if name.ends_with(".retrains") {
                "is always 0"
            } else {
                "has no values"
            };
            let mut d = Diagnostic::warning(
                codes::MODEL_METRIC_WITHOUT_MODEL,
                format!("no model is declared, so metric `{name}` {outcome}"),
            )
            .primary(item.span, "no pipeline deploys a model")
            .help(
                "declare a model in the pipeline whose runs deploy one (`model { drift = 0.4%/d }`), or remove the metric",
            );
            d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                title: format!("Remove `{name}` from `metrics`"),
                edits: vec![(removed, String::new())],
            }];
            self.diags.push(d);
        }
    }

    /// The experiment's sweep lines as the command line changes them, checked: `--set
    /// PATH=[a, b]` sweeps PATH, in place of the experiment's sweep of it or after the
    /// others, and `--set PATH=VALUE` on a swept PATH runs that value alone, without the
    /// sweep. The command line is the user's latest word.
    fn sweeps_with_command_line(&mut self, mut sweeps: Vec<ast::Sweep>) -> Vec<SweepAxis> {
        // What `run` reports as replaced: the experiment's own sweeps, each once (a second
        // `--set` list of one path replaces the first, which was no sweep of the experiment's).
        let written: Vec<String> = sweeps.iter().map(|s| s.path.dotted()).collect();
        let fixed: Vec<String> = self
            .overrides
            .iter()
            .filter(|o| o.path_span.is_some())
            .map(|o| o.path.clone())
            .collect();
        for path in fixed {
            if let Some(place) = sweeps.iter().position(|s| s.path.dotted() == path) {
                sweeps.remove(place);
                self.replaced_sweeps.push(path);
            }
        }
        for o in self.command_sweeps.clone() {
            let span = o.path_span.unwrap_or(o.value.span);
            let sweep = ast::Sweep {
                path: ast::Path {
                    parts: o
                        .path
                        .split('.')
                        .map(|name| ast::Ident {
                            name: name.to_string(),
                            span,
                        })
                        .collect(),
                    span,
                },
                span: span.to(o.value.span),
                values: o.value,
            };
            match sweeps.iter().position(|s| s.path.dotted() == o.path) {
                Some(place) => {
                    sweeps[place] = sweep;
                    if written.contains(&o.path) && !self.replaced_sweeps.contains(&o.path) {
                        self.replaced_sweeps.push(o.path);
                    }
                }
                None => sweeps.push(sweep),
            }
        }
        let sweeps: Vec<&ast::Sweep> = sweeps.iter().collect();
        self.sweeps(&sweeps)
    }
}

struct Header {
    name: String,
    start_unix: i64,
    start_rfc3339: String,
    horizon: f64,
    warmup: f64,
    seed: u64,
    drain: bool,
}

pub fn default_start_unix() -> i64 {
    chrono::DateTime::parse_from_rfc3339(DEFAULT_START)
        .map(|t| t.timestamp())
        .unwrap_or(1546819200)
}

/// For each replayed arrivals declaration whose `row { }` sets attribute `slot` of `template`
/// straight from a column: how many rows ask for more than `most` units (rounded, as the
/// engine rounds), and the largest such request.
fn rows_over(
    arrivals: &[ir::Arrivals],
    template: ir::PipelineId,
    slot: u32,
    most: u32,
) -> Vec<(String, (usize, f64))> {
    let mut found = Vec::new();
    for a in arrivals {
        let row = &a.row;
        let width = row.width as usize;
        for attribute in &row.attributes {
            let ir::Expr::Var(ir::VarRef::Column(k)) = attribute.expr else {
                continue;
            };
            if width == 0 || !attribute.slots.contains(&(template, slot)) {
                continue;
            }
            let over: Vec<f64> = row
                .values
                .iter()
                .skip(k as usize)
                .step_by(width)
                .map(|v| v.round())
                .filter(|&v| v > f64::from(most))
                .collect();
            if let Some(largest) = over.iter().copied().reduce(f64::max) {
                found.push((a.name.clone(), (over.len(), largest)));
            }
        }
    }
    found
}

/// The resources an `on` expression can evaluate to (constants in any branch).
/// The templates that some arrivals can start.
fn templates_started(arrivals: &[ir::Arrivals]) -> Vec<ir::PipelineId> {
    let mut started = Vec::new();
    for a in arrivals {
        pipelines_named(&a.pipeline, &mut started);
    }
    started
}

/// The name and spec of resource `id` if it is a pool.
fn pool_of(resources: &[ir::Resource], id: ir::ResourceId) -> Option<(&str, &ir::Pool)> {
    match resources.get(id as usize)? {
        ir::Resource {
            name,
            kind: ir::ResourceKind::Pool(spec),
        } => Some((name, spec)),
        _ => None,
    }
}

fn resources_named(e: &ir::Expr, out: &mut Vec<ir::ResourceId>) {
    e.for_each_result(&mut |value| {
        if let ir::Value::Resource(id) = value {
            out.push(*id);
        }
    });
}

/// The templates an arrivals' `pipeline` expression can start.
fn pipelines_named(e: &ir::Expr, out: &mut Vec<ir::PipelineId>) {
    e.for_each_result(&mut |value| {
        if let ir::Value::Pipeline(id) = value {
            out.push(*id);
        }
    });
}

/// For each name in `step`'s `after`, the text to delete to take it out: `after a` as a whole
/// when it is the only one (from the end of the step's name, so `train after a {` becomes
/// `train {`), else the name with the comma that joins it to its neighbour.
fn after_removals(step: &ast::Step) -> Vec<Span> {
    let names = &step.after;
    let between = |from: u32, to: u32| Span::new(step.span.file, from as usize, to as usize);
    (0..names.len())
        .map(
            |i| match (i.checked_sub(1).map(|p| &names[p]), names.get(i + 1)) {
                (None, None) => between(step.name_span().end, names[i].span.end),
                (_, Some(next)) => between(names[i].span.start, next.span.start),
                (Some(previous), None) => between(previous.span.end, names[i].span.end),
            },
        )
        .collect()
}

/// Whether an expression is made of literals alone (`false`, `1 > 2`, `!true`): no name, which
/// a sweep or `--set` could change, and nothing drawn.
fn literals_only(e: &ast::Expr) -> bool {
    match &e.kind {
        ast::ExprKind::Number(_)
        | ast::ExprKind::Quantity { .. }
        | ast::ExprKind::Bool(_)
        | ast::ExprKind::Str(_) => true,
        ast::ExprKind::Unary { operand, .. } => literals_only(operand),
        ast::ExprKind::Binary { lhs, rhs, .. } => literals_only(lhs) && literals_only(rhs),
        ast::ExprKind::If {
            cond,
            then,
            otherwise,
        } => literals_only(cond) && literals_only(then) && literals_only(otherwise),
        _ => false,
    }
}
