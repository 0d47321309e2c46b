//! Lowering from pest pairs to the syntax tree of [`ast`]: dumb and total, it records what
//! was written. Punctuation pairs are skipped; parentheses leave no node (the tree's shape
//! says how operands group).
//!
//! Invariants: every node's span is a byte range of the file (the pair's range shifted by the
//! offset of the slice that was parsed). No syntax tree deeper than [`MAX_DEPTH`] is built:
//! deeper input is refused with a diagnostic, so that every later pass (analysis, the
//! formatter, even dropping the tree) can recurse over the tree without exhausting the stack.
//! Binary operators of equal precedence group to the left.

use super::ast::{self, BinaryOp, Expr, ExprKind, TransferDirection, UnaryOp};
use super::codes;
use super::errors;
use super::parser::Rule;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// The deepest syntax tree built, counting expression nodes and nested blocks.
pub const MAX_DEPTH: usize = 256;

type Pair<'i> = pest::iterators::Pair<'i, Rule>;

/// The result of lowering: the only failure is a tree too deep to build.
type Lowered<T> = Result<T, Diagnostic>;

pub struct Lowerer<'t> {
    file: FileId,
    /// The whole file's text and its comments, to trim trailing trivia off spans.
    text: &'t str,
    comments: &'t [(usize, usize)],
    /// Byte offset of the parsed slice in the file.
    offset: usize,
    /// Non-fatal problems found while lowering (numbers out of range).
    pub diagnostics: Vec<Diagnostic>,
}

/// Rules that are punctuation or keywords: they carry no content for the tree.
fn is_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::lbrace
            | Rule::rbrace
            | Rule::lparen
            | Rule::rparen
            | Rule::lbracket
            | Rule::rbracket
            | Rule::comma
            | Rule::colon
            | Rule::semicolon
            | Rule::assign
            | Rule::fat_arrow
            | Rule::pipe
            | Rule::kw_import
            | Rule::kw_as
            | Rule::kw_sweep
            | Rule::kw_after
            | Rule::kw_when
            | Rule::kw_if
            | Rule::kw_then
            | Rule::kw_else
            | Rule::kw_match
            | Rule::kw_choice
            | Rule::EOI
    )
}

/// The children of a pair that carry content.
fn content<'i>(pair: Pair<'i>) -> impl Iterator<Item = Pair<'i>> {
    pair.into_inner().filter(|p| !is_token(p.as_rule()))
}

impl<'t> Lowerer<'t> {
    pub fn new(
        file: FileId,
        text: &'t str,
        comments: &'t [(usize, usize)],
        offset: usize,
    ) -> Lowerer<'t> {
        Lowerer {
            file,
            text,
            comments,
            offset,
            diagnostics: Vec::new(),
        }
    }

    /// The pair's span in the file. pest lets a rule end after the whitespace and comments
    /// that follow its last token (when an optional part after it is absent); spans stop at
    /// the last token.
    fn span(&self, pair: &Pair<'_>) -> Span {
        let span = pair.as_span();
        let start = self.offset + span.start();
        let mut end = self.offset + span.end();
        let bytes = self.text.as_bytes();
        loop {
            while end > start && matches!(bytes[end - 1], b' ' | b'\t' | b'\r' | b'\n') {
                end -= 1;
            }
            // Comments are sorted and disjoint, so sorted by their end too.
            match self.comments.binary_search_by_key(&end, |c| c.1) {
                Ok(i) if self.comments[i].0 >= start => end = self.comments[i].0,
                _ => break,
            }
        }
        Span::new(self.file, start, end)
    }

    /// A diagnostic for a pair the grammar should not have produced here. The grammar and this
    /// lowering are written together, so this is a bug; it is reported rather than panicking.
    fn unexpected(&self, pair: &Pair<'_>) -> Diagnostic {
        Diagnostic::error(
            codes::UNEXPECTED,
            format!("internal parser error: unexpected `{:?}`", pair.as_rule()),
        )
        .primary(self.span(pair), "the parser did not expect this")
        .help("this is a bug in pipesim; please report it with this file")
    }

    fn check_depth(&self, pair: &Pair<'_>, depth: usize) -> Lowered<()> {
        if depth > MAX_DEPTH {
            let span = self.span(pair);
            let end = (span.start + 1).min(span.end.max(span.start)) as usize;
            Err(errors::too_deep(self.file, span.start as usize, end))
        } else {
            Ok(())
        }
    }

    fn ident(&self, pair: &Pair<'_>) -> ast::Ident {
        ast::Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    fn path(&self, pair: Pair<'_>) -> ast::Path {
        let span = self.span(&pair);
        let parts = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.ident(&p))
            .collect();
        ast::Path { parts, span }
    }

    pub fn item(&mut self, pair: Pair<'_>) -> Lowered<ast::Item> {
        match pair.as_rule() {
            Rule::import => self.import(pair).map(ast::Item::Import),
            Rule::decl => self.decl(pair).map(ast::Item::Decl),
            _ => Err(self.unexpected(&pair)),
        }
    }

    fn import(&mut self, pair: Pair<'_>) -> Lowered<ast::Import> {
        let span = self.span(&pair);
        let mut path = None;
        let mut alias = None;
        for child in content(pair) {
            match child.as_rule() {
                Rule::string => path = Some((self.string(&child), self.span(&child))),
                Rule::ident => alias = Some(self.ident(&child)),
                _ => return Err(self.unexpected(&child)),
            }
        }
        match (path, alias) {
            (Some((path, path_span)), Some(alias)) => Ok(ast::Import {
                path,
                path_span,
                alias,
                span,
            }),
            _ => Err(self.missing(span, "import")),
        }
    }

    fn missing(&self, span: Span, what: &str) -> Diagnostic {
        Diagnostic::error(
            codes::UNEXPECTED,
            format!("internal parser error: incomplete `{what}`"),
        )
        .primary(span, "the parser could not read this")
        .help("this is a bug in pipesim; please report it with this file")
    }

    fn decl(&mut self, pair: Pair<'_>) -> Lowered<ast::Decl> {
        let span = self.span(&pair);
        let mut kind = None;
        let mut name = None;
        let mut body = None;
        for child in content(pair) {
            match child.as_rule() {
                Rule::decl_kind => {
                    let decl_kind = match child.as_str() {
                        "scenario" => ast::DeclKind::Scenario,
                        "resource" => ast::DeclKind::Resource,
                        "dataset" => ast::DeclKind::Dataset,
                        "pipeline" => ast::DeclKind::Pipeline,
                        "profile" => ast::DeclKind::Profile,
                        "arrivals" => ast::DeclKind::Arrivals,
                        "monitor" => ast::DeclKind::Monitor,
                        "experiment" => ast::DeclKind::Experiment,
                        _ => return Err(self.unexpected(&child)),
                    };
                    kind = Some((decl_kind, self.span(&child)));
                }
                Rule::ident => name = Some(self.ident(&child)),
                Rule::block => body = Some(self.block(child, 1)?),
                _ => return Err(self.unexpected(&child)),
            }
        }
        match (kind, body) {
            (Some((kind, kind_span)), Some(body)) => Ok(ast::Decl {
                kind,
                kind_span,
                name,
                body,
                span,
            }),
            _ => Err(self.missing(span, "declaration")),
        }
    }

    fn block(&mut self, pair: Pair<'_>, depth: usize) -> Lowered<ast::Block> {
        self.check_depth(&pair, depth)?;
        let span = self.span(&pair);
        let mut entries = Vec::new();
        for child in content(pair) {
            let entry = match child.as_rule() {
                Rule::attr => ast::Entry::Attr(self.attr(child, depth + 1)?),
                Rule::nested_block => {
                    let span = self.span(&child);
                    let mut inner = content(child);
                    let (Some(name), Some(body)) = (inner.next(), inner.next()) else {
                        return Err(self.missing(span, "nested block"));
                    };
                    ast::Entry::Block(ast::NestedBlock {
                        name: self.ident(&name),
                        body: self.block(body, depth + 1)?,
                        span,
                    })
                }
                Rule::step => ast::Entry::Step(self.step(child, depth + 1)?),
                Rule::sweep => {
                    let span = self.span(&child);
                    let mut inner = content(child);
                    let (Some(path), Some(values)) = (inner.next(), inner.next()) else {
                        return Err(self.missing(span, "sweep"));
                    };
                    ast::Entry::Sweep(ast::Sweep {
                        path: self.path(path),
                        values: self.expr(values, depth + 1)?,
                        span,
                    })
                }
                _ => return Err(self.unexpected(&child)),
            };
            entries.push(entry);
        }
        Ok(ast::Block { entries, span })
    }

    fn attr(&mut self, pair: Pair<'_>, depth: usize) -> Lowered<ast::Attr> {
        let span = self.span(&pair);
        let mut inner = content(pair);
        let (Some(name), Some(value)) = (inner.next(), inner.next()) else {
            return Err(self.missing(span, "attribute"));
        };
        let name = self.ident(&name);
        let value = match inner.next() {
            None => self.expr(value, depth + 1)?,
            Some(transfer) => {
                let transfer_span = self.span(&transfer);
                let size = self.expr(value, depth + 2)?;
                let mut parts = transfer.into_inner();
                let (Some(direction), Some(link)) = (parts.next(), parts.next()) else {
                    return Err(self.missing(transfer_span, "transfer"));
                };
                let direction = if direction.as_rule() == Rule::kw_from {
                    TransferDirection::From
                } else {
                    TransferDirection::To
                };
                Expr {
                    span: size.span.to(transfer_span),
                    kind: ExprKind::Transfer {
                        size: Box::new(size),
                        direction,
                        link: self.path(link),
                    },
                }
            }
        };
        Ok(ast::Attr { name, value, span })
    }

    fn step(&mut self, pair: Pair<'_>, depth: usize) -> Lowered<ast::Step> {
        let span = self.span(&pair);
        let mut kind = None;
        let mut name = None;
        let mut after = Vec::new();
        let mut when = None;
        let mut body = None;
        for child in content(pair) {
            match child.as_rule() {
                Rule::step_kind => {
                    let step_kind = match child.as_str() {
                        "preprocess" => ast::StepKind::Preprocess,
                        "train" => ast::StepKind::Train,
                        "validate" => ast::StepKind::Validate,
                        "compress" => ast::StepKind::Compress,
                        "task" => ast::StepKind::Task,
                        _ => return Err(self.unexpected(&child)),
                    };
                    kind = Some((step_kind, self.span(&child)));
                }
                Rule::step_name => {
                    if let Some(ident) = child.into_inner().next() {
                        name = Some(self.ident(&ident));
                    }
                }
                Rule::after_clause => {
                    after = content(child).map(|p| self.ident(&p)).collect();
                }
                Rule::when_clause => {
                    if let Some(condition) = content(child).next() {
                        when = Some(self.expr(condition, depth + 1)?);
                    }
                }
                Rule::block => body = Some(self.block(child, depth)?),
                _ => return Err(self.unexpected(&child)),
            }
        }
        match (kind, body) {
            (Some((kind, kind_span)), Some(body)) => Ok(ast::Step {
                kind,
                kind_span,
                name,
                after,
                when,
                body,
                span,
            }),
            _ => Err(self.missing(span, "step")),
        }
    }

    /// Lowers any expression pair at tree depth `depth`.
    pub fn expr(&mut self, mut pair: Pair<'_>, depth: usize) -> Lowered<Expr> {
        self.check_depth(&pair, depth)?;
        // Walk down through wrappers that add no node (an operator layer with one operand, a
        // unary without operators, parentheses) without recursing: bracket nesting costs no
        // stack here.
        loop {
            let rule = pair.as_rule();
            let wrapper = match rule {
                Rule::expr | Rule::paren | Rule::lone_expr => true,
                Rule::or_expr
                | Rule::and_expr
                | Rule::cmp_expr
                | Rule::sum_expr
                | Rule::product
                | Rule::unary => pair.clone().into_inner().count() == 1,
                _ => false,
            };
            if !wrapper {
                break;
            }
            match content(pair.clone()).next() {
                Some(inner) => pair = inner,
                None => return Err(self.unexpected(&pair)),
            }
        }
        match pair.as_rule() {
            Rule::or_expr | Rule::and_expr | Rule::cmp_expr | Rule::sum_expr | Rule::product => {
                self.binary_chain(pair, depth)
            }
            Rule::unary => self.unary(pair, depth),
            _ => self.atom(pair, depth),
        }
    }

    /// `t0 op1 t1 op2 t2 ... opn tn`, grouped to the left: the node of `opk` sits `n - k`
    /// levels below the chain's root, and `tk` one level below its operator.
    fn binary_chain(&mut self, pair: Pair<'_>, depth: usize) -> Lowered<Expr> {
        let children: Vec<Pair<'_>> = pair.into_inner().collect();
        let n_ops = children.len() / 2;
        self.check_depth(&children[0], depth + n_ops)?;
        let mut chain = children.into_iter();
        let Some(first) = chain.next() else {
            return Err(Diagnostic::error(
                codes::UNEXPECTED,
                "internal parser error: empty operator chain",
            ));
        };
        let mut lhs_start = self.span(&first);
        let mut lhs = self.expr(first, depth + n_ops)?;
        let mut k = 0;
        while let (Some(op), Some(operand)) = (chain.next(), chain.next()) {
            k += 1;
            let op_span = self.span(&op);
            let op = match op.as_rule() {
                Rule::op_or => BinaryOp::Or,
                Rule::op_and => BinaryOp::And,
                Rule::op_eq => BinaryOp::Eq,
                Rule::op_ne => BinaryOp::Ne,
                Rule::op_le => BinaryOp::Le,
                Rule::op_lt => BinaryOp::Lt,
                Rule::op_ge => BinaryOp::Ge,
                Rule::op_gt => BinaryOp::Gt,
                Rule::op_add => BinaryOp::Add,
                Rule::op_sub => BinaryOp::Sub,
                Rule::op_mul => BinaryOp::Mul,
                Rule::op_div => BinaryOp::Div,
                _ => return Err(self.unexpected(&op)),
            };
            let operand_span = self.span(&operand);
            let rhs = self.expr(operand, depth + n_ops - k + 1)?;
            lhs_start = lhs_start.to(operand_span);
            lhs = Expr {
                span: lhs_start,
                kind: ExprKind::Binary {
                    op,
                    op_span,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
            };
        }
        Ok(lhs)
    }

    /// `-a`, `!!a`: prefix operators apply right to left, the last one innermost.
    fn unary(&mut self, pair: Pair<'_>, depth: usize) -> Lowered<Expr> {
        let end = self.span(&pair).end;
        let mut ops = Vec::new();
        let mut operand = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::op_neg => ops.push((UnaryOp::Neg, self.span(&child))),
                Rule::op_not => ops.push((UnaryOp::Not, self.span(&child))),
                _ => operand = Some(child),
            }
        }
        let Some(operand) = operand else {
            return Err(Diagnostic::error(
                codes::UNEXPECTED,
                "internal parser error: unary without operand",
            ));
        };
        self.check_depth(&operand, depth + ops.len())?;
        let mut expr = self.expr(operand, depth + ops.len())?;
        for (op, op_span) in ops.into_iter().rev() {
            expr = Expr {
                span: Span { end, ..op_span },
                kind: ExprKind::Unary {
                    op,
                    operand: Box::new(expr),
                },
            };
        }
        Ok(expr)
    }

    fn atom(&mut self, pair: Pair<'_>, depth: usize) -> Lowered<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::number => ExprKind::Number(self.number(&pair)),
            Rule::quantity => {
                let mut inner = pair.into_inner();
                let (Some(number), Some(unit)) = (inner.next(), inner.next()) else {
                    return Err(self.missing(span, "quantity"));
                };
                ExprKind::Quantity {
                    value: self.number(&number),
                    unit: unit.as_str().to_string(),
                    unit_span: self.span(&unit),
                }
            }
            Rule::string => ExprKind::Str(self.string(&pair)),
            Rule::boolean => ExprKind::Bool(pair.as_str() == "true"),
            Rule::name => match pair.into_inner().next() {
                Some(path) => ExprKind::Path(self.path(path)),
                None => return Err(self.missing(span, "name")),
            },
            Rule::list => {
                let items = content(pair)
                    .map(|item| self.expr(item, depth + 1))
                    .collect::<Lowered<Vec<_>>>()?;
                ExprKind::List(items)
            }
            Rule::if_expr => {
                let mut inner = content(pair);
                let (Some(cond), Some(then), Some(otherwise)) =
                    (inner.next(), inner.next(), inner.next())
                else {
                    return Err(self.missing(span, "if"));
                };
                ExprKind::If {
                    cond: Box::new(self.expr(cond, depth + 1)?),
                    then: Box::new(self.expr(then, depth + 1)?),
                    otherwise: Box::new(self.expr(otherwise, depth + 1)?),
                }
            }
            Rule::match_expr => {
                let mut inner = content(pair);
                let Some(scrutinee) = inner.next() else {
                    return Err(self.missing(span, "match"));
                };
                let scrutinee = Box::new(self.expr(scrutinee, depth + 1)?);
                let arms = inner
                    .map(|arm| self.match_arm(arm, depth + 1))
                    .collect::<Lowered<Vec<_>>>()?;
                ExprKind::Match { scrutinee, arms }
            }
            Rule::choice_expr => {
                let entries = content(pair)
                    .map(|entry| {
                        let span = self.span(&entry);
                        let mut inner = content(entry);
                        let (Some(key), Some(weight)) = (inner.next(), inner.next()) else {
                            return Err(self.missing(span, "choice entry"));
                        };
                        Ok(ast::ChoiceEntry {
                            key: self.path(key),
                            weight: self.expr(weight, depth + 1)?,
                            span,
                        })
                    })
                    .collect::<Lowered<Vec<_>>>()?;
                ExprKind::Choice(entries)
            }
            Rule::call => {
                let mut inner = content(pair);
                let Some(callee) = inner.next() else {
                    return Err(self.missing(span, "call"));
                };
                let callee = self.ident(&callee);
                let args = inner
                    .map(|arg| self.arg(arg, depth + 1))
                    .collect::<Lowered<Vec<_>>>()?;
                ExprKind::Call { callee, args }
            }
            _ => return Err(self.unexpected(&pair)),
        };
        Ok(Expr { kind, span })
    }

    fn match_arm(&mut self, pair: Pair<'_>, depth: usize) -> Lowered<ast::MatchArm> {
        let span = self.span(&pair);
        let mut patterns = Vec::new();
        let mut body = None;
        for child in content(pair) {
            match child.as_rule() {
                Rule::pattern => match child.into_inner().next() {
                    Some(p) if p.as_rule() == Rule::wildcard => {
                        patterns.push(ast::Pattern::Wildcard(self.span(&p)))
                    }
                    Some(p) => patterns.push(ast::Pattern::Name(self.path(p))),
                    None => return Err(self.missing(span, "pattern")),
                },
                _ => body = Some(self.expr(child, depth + 1)?),
            }
        }
        match body {
            Some(body) => Ok(ast::MatchArm {
                patterns,
                body,
                span,
            }),
            None => Err(self.missing(span, "match arm")),
        }
    }

    fn arg(&mut self, pair: Pair<'_>, depth: usize) -> Lowered<ast::Arg> {
        let span = self.span(&pair);
        let mut name = None;
        let mut value = None;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::arg_name => {
                    name = child
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::ident)
                        .map(|p| self.ident(&p))
                }
                _ => value = Some(self.expr(child, depth)?),
            }
        }
        match value {
            Some(value) => Ok(ast::Arg { name, value, span }),
            None => Err(self.missing(span, "argument")),
        }
    }

    /// The value of a number token; one too large for a 64-bit float is reported.
    fn number(&mut self, pair: &Pair<'_>) -> f64 {
        let text: String = pair.as_str().chars().filter(|c| *c != '_').collect();
        let value = text.parse::<f64>().unwrap_or(f64::INFINITY);
        if !value.is_finite() {
            self.diagnostics.push(
                Diagnostic::error(
                    codes::NUMBER_OUT_OF_RANGE,
                    format!("number `{}` is too large", pair.as_str()),
                )
                .primary(self.span(pair), "this does not fit in a 64-bit float")
                .help("numbers must be below about 1.8e308; use a larger unit (`GB` instead of `B`, `d` instead of `s`) or a smaller exponent"),
            );
        }
        value
    }

    /// The unescaped text of a string pair.
    fn string(&self, pair: &Pair<'_>) -> String {
        let raw = pair
            .clone()
            .into_inner()
            .next()
            .map(|p| p.as_str())
            .unwrap_or("");
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
