//! The untyped syntax tree of one `.pipesim` file, with a [`Span`] on every node.
//!
//! Lowering from pest pairs to this tree is dumb and total: it records what was written,
//! including things the language does not allow (an unknown attribute, a positional argument,
//! a unit nobody knows). Every "is this allowed?" decision belongs to `analysis`, where a good
//! diagnostic can be written.

use crate::source::Span;

/// An identifier as written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A possibly qualified name: `gpu`, `aiops.edge`, `asset.size`, `classic.train.units`.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub parts: Vec<Ident>,
    pub span: Span,
}

impl Path {
    /// The name joined with dots, as written.
    pub fn dotted(&self) -> String {
        self.parts
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(".")
    }
}

/// A parsed file: its items in source order, and the comments (kept for the formatter).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
    pub comments: Vec<Comment>,
    /// The names of declarations that did not parse (`resource gpu { capacity 4 }`), read
    /// from their first words: known to analysis, so that uses of them are not reported as
    /// unknown on top of the syntax error.
    pub broken: Vec<Ident>,
    /// An item did not parse because its declaration's opening line is missing (attributes
    /// where a declaration should start): the name it declared is not in the text, so uses
    /// of names the file does not define are not reported on top of its syntax error.
    pub opener_lost: bool,
    /// The `scenario` block did not parse, or an item that lost its keyword may have been
    /// it: its start and horizon are unknown, so what is judged against them (a replayed
    /// trace's rows, a sweep of `scenario.horizon`) is not.
    pub scenario_lost: bool,
    /// The `experiment` block did not parse, or an item that lost its keyword may have been
    /// it: the file may have one already, so a fix must not start another.
    pub experiment_lost: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    /// The comment's text including its `//` or `/* */` delimiters.
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Import(Import),
    Decl(Decl),
}

/// `import "PATH" as NAME`
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// The path string, unescaped.
    pub path: String,
    pub path_span: Span,
    pub alias: Ident,
    pub span: Span,
}

/// The kinds of top-level declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclKind {
    Scenario,
    Resource,
    Dataset,
    Pipeline,
    Profile,
    Arrivals,
    Monitor,
    Experiment,
}

impl DeclKind {
    pub fn keyword(self) -> &'static str {
        match self {
            DeclKind::Scenario => "scenario",
            DeclKind::Resource => "resource",
            DeclKind::Dataset => "dataset",
            DeclKind::Pipeline => "pipeline",
            DeclKind::Profile => "profile",
            DeclKind::Arrivals => "arrivals",
            DeclKind::Monitor => "monitor",
            DeclKind::Experiment => "experiment",
        }
    }
}

/// `KIND [NAME] { BODY }`. The name is optional in the grammar (an `experiment` has none);
/// analysis reports a missing name where the kind needs one.
#[derive(Clone, Debug, PartialEq)]
pub struct Decl {
    pub kind: DeclKind,
    pub kind_span: Span,
    pub name: Option<Ident>,
    pub body: Block,
    pub span: Span,
}

/// `{ entries }`
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub entries: Vec<Entry>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// `name = expr`
    Attr(Attr),
    /// `name { ... }`: a nested block such as `autoscale { }` or `model { }`.
    Block(NestedBlock),
    /// A pipeline step.
    Step(Step),
    /// `sweep PATH = [values]` in an experiment.
    Sweep(Sweep),
}

impl Entry {
    pub fn span(&self) -> Span {
        match self {
            Entry::Attr(attr) => attr.span,
            Entry::Block(block) => block.span,
            Entry::Step(step) => step.span,
            Entry::Sweep(sweep) => sweep.span,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NestedBlock {
    pub name: Ident,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepKind {
    Preprocess,
    Train,
    Validate,
    Compress,
    Task,
}

impl StepKind {
    pub const ALL: [StepKind; 5] = [
        StepKind::Preprocess,
        StepKind::Train,
        StepKind::Validate,
        StepKind::Compress,
        StepKind::Task,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            StepKind::Preprocess => "preprocess",
            StepKind::Train => "train",
            StepKind::Validate => "validate",
            StepKind::Compress => "compress",
            StepKind::Task => "task",
        }
    }
}

/// `STEP [NAME] [after A, B] [when COND] { ... }`
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub kind_span: Span,
    pub name: Option<Ident>,
    pub after: Vec<Ident>,
    pub when: Option<Expr>,
    pub body: Block,
    pub span: Span,
}

impl Step {
    /// The step's name: the explicit one, or the keyword.
    pub fn name(&self) -> &str {
        self.name
            .as_ref()
            .map(|n| n.name.as_str())
            .unwrap_or(self.kind.keyword())
    }

    pub fn name_span(&self) -> Span {
        self.name.as_ref().map(|n| n.span).unwrap_or(self.kind_span)
    }
}

/// `sweep PATH = [v1, v2]`
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub path: Path,
    /// The list as written: normally an [`ExprKind::List`].
    pub values: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `42`, `3.5`, `1e-3`, `50_000`
    Number(f64),
    /// A number followed directly by a unit: `30s`, `1.25GB/s`, `120/h`, `0.4%/d`.
    /// The unit is kept as written (`"GB/s"`, `"/h"`, `"%/d"`); analysis gives it meaning.
    /// `5%` is `Quantity { value: 5.0, unit: "%" }`.
    Quantity {
        value: f64,
        unit: String,
        unit_span: Span,
    },
    Bool(bool),
    /// A string literal, unescaped.
    Str(String),
    /// A bare or qualified name.
    Path(Path),
    /// `[a, b, c]`
    List(Vec<Expr>),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `if COND then A else B`
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// `match EXPR { a => X, b | c => Y, _ => Z }`
    Match {
        scrutinee: Box<Expr>,
        arms: Vec<MatchArm>,
    },
    /// `name(args)`: a function (`min`, `round`) or a distribution (`normal(mean = .., sd = ..)`).
    Call {
        callee: Ident,
        args: Vec<Arg>,
    },
    /// `choice { key: weight, ... }`
    Choice(Vec<ChoiceEntry>),
    /// `SIZE from LINK` (in `reads`) or `SIZE to LINK` (in `writes`).
    Transfer {
        size: Box<Expr>,
        direction: TransferDirection,
        link: Path,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferDirection {
    From,
    To,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }
}

/// A call argument: `name = value`, or a bare value (which analysis rejects for distributions,
/// whose parameters are always named).
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatchArm {
    pub patterns: Vec<Pattern>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Pattern {
    /// A label, or a qualified name such as `aiops.edge` when matching templates.
    Name(Path),
    /// `_`
    Wildcard(Span),
}

/// `key: weight` in a `choice`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceEntry {
    pub key: Path,
    pub weight: Expr,
    pub span: Span,
}
