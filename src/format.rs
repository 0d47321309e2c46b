//! The canonical layout of a `.pipesim` file (`pipesim fmt`), printed from the syntax tree
//! and the comments.
//!
//! The layout:
//! - two spaces of indentation; blank lines between entries and declarations are kept,
//!   several collapsed to one;
//! - one attribute per line, the `=` of consecutive attributes (and sweeps) aligned; a blank
//!   line or another kind of entry starts a new group;
//! - a block of at most three attributes whose values fit on one line is written on one line
//!   when it fits in [`WIDTH`] columns, two spaces between attributes
//!   (`resource cpu { kind = pool  capacity = 64 }`); consecutive one-line declarations of
//!   one kind align their `{`;
//! - an expression stays on one line when it fits; otherwise `match`, `choice`, lists and
//!   calls break one element per line with trailing commas (a `match` aligns its `=>`, a list
//!   of plain values fills lines), and a chain of operators breaks before each operator;
//! - one space around binary operators, parentheses only where precedence needs them.
//!
//! Kept as written: number literals (`50_000`, `1.0`, `1e-3`) and units. Analysis knows units
//! only by their canonical spelling (`min`, `GB/s`), so renaming a unit would change what the
//! file means; the formatter leaves misspelt units to `check`'s "did you mean".
//!
//! Invariants: formatting is meaning-preserving (the formatted text parses to the same tree,
//! spans aside) and idempotent (formatting formatted text changes nothing), and every comment
//! is kept where it was written: before an entry or declaration, after one on the same line,
//! after an opening `{`, around the elements of a broken `match`, `choice`, list or call (a
//! comment after the closing bracket of a broken one, on the line of its last element, ends
//! that element's row; a one-line block comment that an element follows on its line stays
//! right before that element, `/* weekend */ 0.5`, on whichever row it lands), between the
//! operands of a chain of operators (which it breaks, one operand per line: a comment on an
//! operand's line ends that line, one on its own line stays on its own line before the next
//! operator), and between the parts of an `if` (which it breaks likewise, `if COND`,
//! `then A` and `else B` on lines of their own; a comment after `then` or `else` stays after
//! it). A comment in a header that is printed on one line (a declaration's or step's name,
//! `after` and `when`, or an attribute's name and `=`) goes on its own line before the entry.
//! A comment anywhere else (a call's argument name, a `match`'s scrutinee, inside the
//! parentheses after a part) moves to its own line after the entry: where it lands depends
//! only on the tree, so formatting stays idempotent.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::{
    self,
    ast::{
        self, BinaryOp, Block, Decl, Entry, Expr, ExprKind, Item, Pattern, TransferDirection,
        UnaryOp,
    },
};

/// The column limit the layout aims for.
pub const WIDTH: usize = 100;

/// A block this short (and on one line within [`WIDTH`]) is written on one line.
const MAX_ONE_LINE_ENTRIES: usize = 3;

/// Parses and formats `text`. Syntax errors are returned instead (a file that does not parse
/// cannot be formatted safely).
///
/// The file keeps its line endings (those of its first line, as rustfmt's
/// `newline_style = "Auto"` does) and its byte-order mark: a file checked out with CRLF on
/// Windows stays CRLF, and `fmt --check` does not fail on it for line endings alone.
pub fn format_source(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let (tree, diagnostics) = syntax::parse_file(file, text);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    // A block comment is copied as written, line endings and all: make them `\n` first, or
    // a CRLF file's comment would gain a `\r` at each line on every run.
    let formatted = format_file(&tree, text).replace("\r\n", "\n");
    let crlf = crate::diagnostic::uses_crlf(text);
    let mut out = String::with_capacity(formatted.len() + formatted.len() / 16 + 3);
    if text.starts_with('\u{feff}') {
        out.push('\u{feff}');
    }
    if crlf {
        out.push_str(&formatted.replace('\n', "\r\n"));
    } else {
        out.push_str(&formatted);
    }
    Ok(out)
}

/// Formats a parsed file; `text` is the text it was parsed from (for number literals and
/// the placement of comments).
pub fn format_file(file: &ast::File, text: &str) -> String {
    let mut printer = Printer {
        text,
        comments: &file.comments,
        emitted: vec![false; file.comments.len()],
        out: String::new(),
        last_end: 0,
        at_block_start: true,
        first_unemitted: 0,
    };
    printer.items(&file.items);
    let trimmed_len = printer.out.trim_end().len();
    printer.out.truncate(trimmed_len);
    if !printer.out.is_empty() {
        printer.out.push('\n');
    }
    printer.out
}

/// Sets every span in the tree to the empty span at the start of file 0, so that two trees
/// can be compared for what they say, wherever it was written.
pub fn erase_spans(file: &mut ast::File) {
    let zero = Span::new(FileId(0), 0, 0);
    for comment in &mut file.comments {
        comment.span = zero;
    }
    for item in &mut file.items {
        match item {
            Item::Import(import) => {
                import.path_span = zero;
                import.alias.span = zero;
                import.span = zero;
            }
            Item::Decl(decl) => {
                decl.kind_span = zero;
                decl.span = zero;
                if let Some(name) = &mut decl.name {
                    name.span = zero;
                }
                erase_block(&mut decl.body, zero);
            }
        }
    }
}

fn erase_path(path: &mut ast::Path, zero: Span) {
    path.span = zero;
    for part in &mut path.parts {
        part.span = zero;
    }
}

fn erase_block(block: &mut Block, zero: Span) {
    block.span = zero;
    for entry in &mut block.entries {
        match entry {
            Entry::Attr(attr) => {
                attr.span = zero;
                attr.name.span = zero;
                erase_expr(&mut attr.value, zero);
            }
            Entry::Block(nested) => {
                nested.span = zero;
                nested.name.span = zero;
                erase_block(&mut nested.body, zero);
            }
            Entry::Step(step) => {
                step.span = zero;
                step.kind_span = zero;
                if let Some(name) = &mut step.name {
                    name.span = zero;
                }
                for after in &mut step.after {
                    after.span = zero;
                }
                if let Some(when) = &mut step.when {
                    erase_expr(when, zero);
                }
                erase_block(&mut step.body, zero);
            }
            Entry::Sweep(sweep) => {
                sweep.span = zero;
                erase_path(&mut sweep.path, zero);
                erase_expr(&mut sweep.values, zero);
            }
        }
    }
}

fn erase_expr(expr: &mut Expr, zero: Span) {
    expr.span = zero;
    match &mut expr.kind {
        ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Str(_) => {}
        ExprKind::Quantity { unit_span, .. } => *unit_span = zero,
        ExprKind::Path(path) => erase_path(path, zero),
        ExprKind::List(items) => items.iter_mut().for_each(|e| erase_expr(e, zero)),
        ExprKind::Unary { operand, .. } => erase_expr(operand, zero),
        ExprKind::Binary {
            op_span, lhs, rhs, ..
        } => {
            *op_span = zero;
            erase_expr(lhs, zero);
            erase_expr(rhs, zero);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            erase_expr(cond, zero);
            erase_expr(then, zero);
            erase_expr(otherwise, zero);
        }
        ExprKind::Match { scrutinee, arms } => {
            erase_expr(scrutinee, zero);
            for arm in arms {
                arm.span = zero;
                for pattern in &mut arm.patterns {
                    match pattern {
                        Pattern::Name(path) => erase_path(path, zero),
                        Pattern::Wildcard(span) => *span = zero,
                    }
                }
                erase_expr(&mut arm.body, zero);
            }
        }
        ExprKind::Call { callee, args } => {
            callee.span = zero;
            for arg in args {
                arg.span = zero;
                if let Some(name) = &mut arg.name {
                    name.span = zero;
                }
                erase_expr(&mut arg.value, zero);
            }
        }
        ExprKind::Choice(entries) => {
            for entry in entries {
                entry.span = zero;
                erase_path(&mut entry.key, zero);
                erase_expr(&mut entry.weight, zero);
            }
        }
        ExprKind::Transfer { size, link, .. } => {
            erase_expr(size, zero);
            erase_path(link, zero);
        }
    }
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [ast::Comment],
    /// Which comments are already printed.
    emitted: Vec<bool>,
    out: String,
    /// The end, in the original text, of the last thing printed: a blank line between it and
    /// the next one is kept.
    last_end: usize,
    /// Just after a `{` or at the start of the file, where no blank line is printed.
    at_block_start: bool,
    /// Every comment before this index is printed.
    first_unemitted: usize,
}

/// The keywords before the three parts of an `if`.
const IF_KEYWORDS: [&str; 3] = ["if", "then", "else"];

/// The comments before one part of a broken `if`: before its keyword (those on the line
/// where the previous part ends, then those on lines of their own), after its keyword (on
/// the keyword's line, then on lines of their own), and the one-line block comments right
/// before the part on its line.
struct IfGap {
    before_keyword: (Vec<String>, Vec<String>),
    after_keyword: (Vec<String>, Vec<String>),
    inline: Vec<String>,
}

/// One element of a broken `match`, `choice`, list or call: its span in the original (for
/// comments) and its text.
struct Element {
    span: Span,
    text: String,
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// The column after `text` is printed starting at `column`.
fn column_after(column: usize, text: &str) -> usize {
    match text.rfind('\n') {
        Some(newline) => width(&text[newline + 1..]),
        None => column + width(text),
    }
}

fn indentation(level: usize) -> String {
    "  ".repeat(level)
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Binding strength: higher binds tighter.
fn precedence(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary { op, .. } => binary_precedence(*op),
        ExprKind::Unary { .. } => 6,
        ExprKind::If { .. } | ExprKind::Transfer { .. } => 0,
        _ => 7,
    }
}

fn binary_precedence(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne => {
            3
        }
        BinaryOp::Add | BinaryOp::Sub => 4,
        BinaryOp::Mul | BinaryOp::Div => 5,
    }
}

fn unary_symbol(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Neg => "-",
        UnaryOp::Not => "!",
    }
}

fn is_plain_value(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Number(_)
        | ExprKind::Quantity { .. }
        | ExprKind::Bool(_)
        | ExprKind::Str(_)
        | ExprKind::Path(_) => true,
        ExprKind::Unary { operand, .. } => is_plain_value(operand),
        _ => false,
    }
}

impl<'a> Printer<'a> {
    // --- comments and blank lines ----------------------------------------------------------

    /// The index of the first comment starting at or after `offset`.
    fn first_comment_from(&self, offset: usize) -> usize {
        self.comments
            .partition_point(|c| (c.span.start as usize) < offset)
    }

    fn has_comment_in(&self, span: Span) -> bool {
        self.comments
            .get(self.first_comment_from(span.start as usize))
            .is_some_and(|c| c.span.start < span.end)
    }

    fn comment_text(&self, index: usize) -> &'a str {
        let text = self.comments[index].text.as_str();
        if text.starts_with("//") {
            text.trim_end()
        } else {
            text
        }
    }

    /// Prints a blank line if the original had one between the last thing printed and
    /// `start`.
    fn blank_line_before(&mut self, start: usize) {
        if self.at_block_start {
            return;
        }
        let gap = self.text.get(self.last_end..start).unwrap_or("");
        if has_blank_line(gap) {
            self.out.push('\n');
        }
    }

    /// Prints, each on its own line, the comments not yet printed that start before `before`.
    fn leading_comments(&mut self, before: usize, level: usize) {
        let end = self.first_comment_from(before);
        for index in self.first_unemitted..end {
            let start = self.comments[index].span.start as usize;
            if self.emitted[index] {
                continue;
            }
            self.emitted[index] = true;
            self.blank_line_before(start);
            self.out.push_str(&indentation(level));
            self.out.push_str(self.comment_text(index));
            self.out.push('\n');
            self.last_end = self.last_end.max(self.comments[index].span.end as usize);
            self.at_block_start = false;
        }
        while self.first_unemitted < self.comments.len() && self.emitted[self.first_unemitted] {
            self.first_unemitted += 1;
        }
    }

    /// The comments that follow `after` on the same line of the original, each preceded by
    /// two spaces; they are marked printed.
    fn trailing_comments(&mut self, after: usize) -> String {
        self.trailing_comments_through(after, None)
    }

    /// [`Self::trailing_comments`], also through the closing brackets `close` that end the
    /// line: a comment after `c]` in `[a,\n c]  // last` ends the row of `c`, where the
    /// broken list prints it.
    fn trailing_comments_through(&mut self, after: usize, close: Option<char>) -> String {
        let mut out = String::new();
        let mut position = after;
        for index in self.first_comment_from(after)..self.comments.len() {
            let span = self.comments[index].span;
            let start = span.start as usize;
            if self.emitted[index] || start < position {
                continue;
            }
            // Only separators, on the same line, may stand between the element and its
            // comment (checked up to the first other character, so this stays cheap).
            let gap = self.text.get(position..start).unwrap_or("\n");
            let separated_only = gap
                .chars()
                .find(|c| !matches!(c, ' ' | '\t' | ',' | ';') && Some(*c) != close)
                .is_none();
            // A block comment that something follows on its line is written before that
            // thing (`1, /* weekend */ 0.5`), not after the element it follows.
            if !separated_only || self.leads_on_its_line(index) {
                break;
            }
            self.emitted[index] = true;
            out.push_str("  ");
            out.push_str(self.comment_text(index));
            position = span.end as usize;
            self.last_end = self.last_end.max(position);
            if self.comment_text(index).contains('\n') {
                break;
            }
        }
        out
    }

    /// Whether comment `index` is a one-line block comment that an element follows on its
    /// line, with only spaces, `(` and more such comments between them.
    fn leads_on_its_line(&self, index: usize) -> bool {
        let mut index = index;
        loop {
            if !self.is_inline_block(index) {
                return false;
            }
            let end = self.comments[index].span.end as usize;
            let rest = self.text.get(end..).unwrap_or("");
            let next = rest.find(|c: char| !matches!(c, ' ' | '\t' | '('));
            let Some(offset) = next else {
                return false;
            };
            let next_comment = index + 1;
            if self
                .comments
                .get(next_comment)
                .is_some_and(|c| c.span.start as usize == end + offset)
            {
                if rest[offset..].starts_with("//") {
                    return false;
                }
                index = next_comment;
                continue;
            }
            let next_char = rest[offset..].chars().next().unwrap_or('\n');
            return !matches!(next_char, ',' | ';' | ')' | ']' | '}' | '\n' | '\r');
        }
    }

    fn is_inline_block(&self, index: usize) -> bool {
        self.comments
            .get(index)
            .is_some_and(|c| c.text.starts_with("/*") && !c.text.contains('\n'))
    }

    /// Where the one-line block comments written right before `start` on its line begin
    /// (`start` itself if there are none): they are printed on the element's row, before it.
    fn inline_leading_from(&self, start: usize) -> usize {
        let mut from = start;
        let mut index = self.first_comment_from(start);
        while index > 0 {
            index -= 1;
            let span = self.comments[index].span;
            let between = self.text.get(span.end as usize..from).unwrap_or("\n");
            if self.emitted[index]
                || !self.is_inline_block(index)
                || !between.chars().all(|c| matches!(c, ' ' | '\t' | '('))
            {
                break;
            }
            from = span.start as usize;
        }
        from
    }

    // --- items -----------------------------------------------------------------------------

    fn items(&mut self, items: &[Item]) {
        // One-line declarations that follow each other align their `{`.
        let one_line: Vec<Option<String>> = items
            .iter()
            .map(|item| match item {
                Item::Decl(decl) => self.one_line_body(width(&decl_header(decl)), &decl.body, 0),
                Item::Import(_) => None,
            })
            .collect();
        let mut header_width = vec![0; items.len()];
        let mut run_start = 0;
        for index in 0..=items.len() {
            let same_kind = index > 0
                && index < items.len()
                && matches!(
                    (&items[index - 1], &items[index]),
                    (Item::Decl(a), Item::Decl(b)) if a.kind == b.kind
                );
            let continues = index < items.len()
                && one_line[index].is_some()
                && index > run_start
                && one_line[index - 1].is_some()
                && same_kind
                && !self.breaks_group(item_span(&items[index - 1]), item_span(&items[index]));
            if !continues {
                let widest = (run_start..index)
                    .filter_map(|i| match &items[i] {
                        Item::Decl(decl) => Some(width(&decl_header(decl))),
                        Item::Import(_) => None,
                    })
                    .max()
                    .unwrap_or(0);
                for slot in &mut header_width[run_start..index] {
                    *slot = widest;
                }
                run_start = index;
            }
        }

        for (index, item) in items.iter().enumerate() {
            let span = item_span(item);
            // A comment in a declaration's header goes on its own line before it.
            let header_end = match item {
                Item::Import(import) => import.span.end,
                Item::Decl(decl) => decl.body.span.start,
            };
            self.leading_comments(header_end as usize, 0);
            self.blank_line_before(span.start as usize);
            match item {
                Item::Import(import) => {
                    self.out.push_str(&format!(
                        "import {} as {}",
                        escape(&import.path),
                        import.alias.name
                    ));
                }
                Item::Decl(decl) => {
                    let header = decl_header(decl);
                    match &one_line[index] {
                        Some(body) => {
                            let padded = format!("{header:width$}", width = header_width[index]);
                            self.out.push_str(&padded);
                            self.out.push(' ');
                            self.out.push_str(body);
                        }
                        None => self.block(&header, &decl.body, 0),
                    }
                }
            }
            let trailing = self.trailing_comments(span.end as usize);
            self.out.push_str(&trailing);
            self.out.push('\n');
            self.last_end = self.last_end.max(span.end as usize);
            self.at_block_start = false;
        }
        self.leading_comments(usize::MAX, 0);
    }

    /// Whether a blank line stands between two entries or declarations: it ends an alignment
    /// group.
    fn breaks_group(&self, previous: Span, next: Span) -> bool {
        let gap = self
            .text
            .get(previous.end as usize..next.start as usize)
            .unwrap_or("");
        has_blank_line(gap)
    }

    // --- blocks ----------------------------------------------------------------------------

    /// The block on one line, `{ a = 1  b = 2 }`, if it is short and simple enough and fits
    /// after a header `header_width` wide on a line indented `level` times.
    fn one_line_body(&self, header_width: usize, block: &Block, level: usize) -> Option<String> {
        if block.entries.len() > MAX_ONE_LINE_ENTRIES || self.has_comment_in(block.span) {
            return None;
        }
        let mut parts = Vec::new();
        for entry in &block.entries {
            let Entry::Attr(attr) = entry else {
                return None;
            };
            parts.push(format!("{} = {}", attr.name.name, self.flat(&attr.value)));
        }
        let body = if parts.is_empty() {
            "{}".to_string()
        } else {
            format!("{{ {} }}", parts.join("  "))
        };
        (2 * level + header_width + 1 + width(&body) <= WIDTH).then_some(body)
    }

    /// Prints `header { entries }` starting at the current position (already indented), up
    /// to its closing brace.
    fn block(&mut self, header: &str, block: &Block, level: usize) {
        if let Some(body) = self.one_line_body(width(header), block, level) {
            self.out.push_str(header);
            self.out.push(' ');
            self.out.push_str(&body);
            return;
        }
        self.out.push_str(header);
        self.out.push_str(" {");
        let open = block.span.start as usize + 1;
        let trailing = self.trailing_comments(open);
        self.out.push_str(&trailing);
        self.out.push('\n');
        self.last_end = self.last_end.max(open);
        self.at_block_start = true;
        self.entries(&block.entries, level + 1);
        let close = (block.span.end as usize).saturating_sub(1);
        self.leading_comments(close, level + 1);
        self.out.push_str(&indentation(level));
        self.out.push('}');
        self.last_end = self.last_end.max(block.span.end as usize);
    }

    fn entries(&mut self, entries: &[Entry], level: usize) {
        // Alignment groups: consecutive attributes (or sweeps) with no blank line or comment
        // between them.
        let key_width = |entry: &Entry| match entry {
            Entry::Attr(attr) => Some((0, width(&attr.name.name))),
            Entry::Sweep(sweep) => Some((1, width(&sweep.path.dotted()))),
            _ => None,
        };
        let mut pad = vec![0; entries.len()];
        let mut run_start = 0;
        for index in 0..=entries.len() {
            let continues = index < entries.len()
                && index > run_start
                && key_width(&entries[index]).map(|k| k.0)
                    == key_width(&entries[index - 1]).map(|k| k.0)
                && key_width(&entries[index]).is_some()
                && !self.breaks_group(entry_span(&entries[index - 1]), entry_span(&entries[index]));
            if !continues {
                let widest = entries[run_start..index]
                    .iter()
                    .filter_map(|e| key_width(e).map(|k| k.1))
                    .max()
                    .unwrap_or(0);
                for slot in &mut pad[run_start..index] {
                    *slot = widest;
                }
                run_start = index;
            }
        }

        for (index, entry) in entries.iter().enumerate() {
            let span = entry_span(entry);
            // A comment in the entry's header (before its value or body) goes on its own
            // line before the entry: the header is printed on one line.
            self.leading_comments(entry_header_end(entry), level);
            self.blank_line_before(span.start as usize);
            self.at_block_start = false;
            let indent = indentation(level);
            self.out.push_str(&indent);
            match entry {
                Entry::Attr(attr) => {
                    let head = format!("{:width$} = ", attr.name.name, width = pad[index]);
                    let value = self.expr(&attr.value, level, width(&indent) + width(&head));
                    self.out.push_str(&head);
                    self.out.push_str(&value);
                }
                Entry::Sweep(sweep) => {
                    let head = format!(
                        "sweep {:width$} = ",
                        sweep.path.dotted(),
                        width = pad[index]
                    );
                    let value = self.expr(&sweep.values, level, width(&indent) + width(&head));
                    self.out.push_str(&head);
                    self.out.push_str(&value);
                }
                Entry::Block(nested) => self.block(&nested.name.name, &nested.body, level),
                Entry::Step(step) => {
                    let mut header = step.kind.keyword().to_string();
                    if let Some(name) = &step.name {
                        header.push(' ');
                        header.push_str(&name.name);
                    }
                    if !step.after.is_empty() {
                        let after: Vec<&str> = step.after.iter().map(|a| a.name.as_str()).collect();
                        header.push_str(" after ");
                        header.push_str(&after.join(", "));
                    }
                    if let Some(when) = &step.when {
                        header.push_str(" when ");
                        header.push_str(&self.flat(when));
                    }
                    self.block(&header, &step.body, level);
                }
            }
            let trailing = self.trailing_comments(span.end as usize);
            self.out.push_str(&trailing);
            self.out.push('\n');
            self.last_end = self.last_end.max(span.end as usize);
        }
    }

    // --- expressions -----------------------------------------------------------------------

    /// The expression on one line, whatever its length (comments inside are not printed).
    fn flat(&self, expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Number(_) => self.literal(expr.span),
            ExprKind::Quantity {
                unit, unit_span, ..
            } => {
                let number = self.literal(Span {
                    end: unit_span.start,
                    ..expr.span
                });
                format!("{number}{unit}")
            }
            ExprKind::Bool(value) => value.to_string(),
            ExprKind::Str(text) => escape(text),
            ExprKind::Path(path) => path.dotted(),
            ExprKind::List(items) => {
                let items: Vec<String> = items.iter().map(|e| self.flat(e)).collect();
                format!("[{}]", items.join(", "))
            }
            ExprKind::Unary { op, operand } => {
                let inner = self.flat(operand);
                if precedence(operand) <= 6 {
                    format!("{}({inner})", unary_symbol(*op))
                } else {
                    format!("{}{inner}", unary_symbol(*op))
                }
            }
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let (left, right) = self.operands(*op, lhs, rhs);
                format!(
                    "{} {} {}",
                    wrap(self.flat(lhs), left),
                    op.symbol(),
                    wrap(self.flat(rhs), right)
                )
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => format!(
                "if {} then {} else {}",
                wrap(self.flat(cond), matches!(cond.kind, ExprKind::If { .. })),
                wrap(self.flat(then), matches!(then.kind, ExprKind::If { .. })),
                self.flat(otherwise)
            ),
            ExprKind::Match { scrutinee, arms } => {
                let arms: Vec<String> = arms
                    .iter()
                    .map(|arm| format!("{} => {}", patterns(&arm.patterns), self.flat(&arm.body)))
                    .collect();
                if arms.is_empty() {
                    format!("match {} {{}}", self.flat(scrutinee))
                } else {
                    format!("match {} {{ {} }}", self.flat(scrutinee), arms.join(", "))
                }
            }
            ExprKind::Call { callee, args } => {
                let args: Vec<String> = args.iter().map(|a| self.arg(a)).collect();
                format!("{}({})", callee.name, args.join(", "))
            }
            ExprKind::Choice(entries) => {
                let entries: Vec<String> = entries
                    .iter()
                    .map(|c| format!("{}: {}", c.key.dotted(), self.flat(&c.weight)))
                    .collect();
                if entries.is_empty() {
                    "choice {}".to_string()
                } else {
                    format!("choice {{ {} }}", entries.join(", "))
                }
            }
            ExprKind::Transfer {
                size,
                direction,
                link,
            } => format!(
                "{} {} {}",
                self.flat(size),
                direction_word(*direction),
                link.dotted()
            ),
        }
    }

    fn arg(&self, arg: &ast::Arg) -> String {
        match &arg.name {
            Some(name) => format!("{} = {}", name.name, self.flat(&arg.value)),
            None => self.flat(&arg.value),
        }
    }

    /// A literal as written (numbers keep `_`, exponents and trailing zeros).
    fn literal(&self, span: Span) -> String {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .to_string()
    }

    /// Whether the operands of `op` need parentheses: equal precedence groups to the left,
    /// so only a right operand of equal precedence does.
    fn operands(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> (bool, bool) {
        let own = binary_precedence(op);
        (precedence(lhs) < own, precedence(rhs) <= own)
    }

    /// The expression starting at `column` on a line indented `level` times: on one line if it
    /// fits and holds no comment, otherwise broken.
    fn expr(&mut self, expr: &Expr, level: usize, column: usize) -> String {
        let flat = self.flat(expr);
        let fits = column + width(&flat) <= WIDTH;
        if fits && !self.places_comments(expr) {
            return flat;
        }
        match &expr.kind {
            ExprKind::Match { scrutinee, arms } => {
                let head = format!("match {} {{", self.flat(scrutinee));
                // The arrows of the arms line up.
                let pattern_width = arms
                    .iter()
                    .map(|arm| width(&patterns(&arm.patterns)))
                    .max()
                    .unwrap_or(0);
                let elements = arms
                    .iter()
                    .map(|arm| {
                        let pats = format!(
                            "{:width$} => ",
                            patterns(&arm.patterns),
                            width = pattern_width
                        );
                        let body = self.expr(&arm.body, level + 1, 2 * (level + 1) + width(&pats));
                        Element {
                            span: arm.span,
                            text: format!("{pats}{body}"),
                        }
                    })
                    .collect();
                self.broken(&head, elements, "}", expr.span, level)
            }
            ExprKind::Choice(entries) => {
                let elements = entries
                    .iter()
                    .map(|entry| {
                        let key = format!("{}: ", entry.key.dotted());
                        let weight =
                            self.expr(&entry.weight, level + 1, 2 * (level + 1) + width(&key));
                        Element {
                            span: entry.span,
                            text: format!("{key}{weight}"),
                        }
                    })
                    .collect();
                self.broken("choice {", elements, "}", expr.span, level)
            }
            ExprKind::Call { callee, args } => {
                let elements = args
                    .iter()
                    .map(|arg| {
                        let name = arg
                            .name
                            .as_ref()
                            .map(|n| format!("{} = ", n.name))
                            .unwrap_or_default();
                        let value =
                            self.expr(&arg.value, level + 1, 2 * (level + 1) + width(&name));
                        Element {
                            span: arg.span,
                            text: format!("{name}{value}"),
                        }
                    })
                    .collect();
                self.broken(
                    &format!("{}(", callee.name),
                    elements,
                    ")",
                    expr.span,
                    level,
                )
            }
            ExprKind::List(items) => {
                if items.iter().all(is_plain_value) {
                    return self.filled_list(items, expr.span, level);
                }
                let elements = items
                    .iter()
                    .map(|item| Element {
                        span: item.span,
                        text: self.expr(item, level + 1, 2 * (level + 1)),
                    })
                    .collect();
                self.broken("[", elements, "]", expr.span, level)
            }
            ExprKind::Binary { op, .. } if !fits || self.chain_has_comments(expr, *op) => {
                self.broken_chain(expr, *op, level, column)
            }
            ExprKind::Binary { op, lhs, rhs, .. } => {
                let (left, right) = self.operands(*op, lhs, rhs);
                let lhs_text = self.operand(lhs, left, level, column);
                let middle = format!(" {} ", op.symbol());
                let rhs_column = column_after(column, &lhs_text) + width(&middle);
                let rhs_text = self.operand(rhs, right, level, rhs_column);
                format!("{lhs_text}{middle}{rhs_text}")
            }
            ExprKind::Unary { op, operand } => {
                let parenthesised = precedence(operand) <= 6;
                let inner = self.operand(operand, parenthesised, level, column + 1);
                format!("{}{inner}", unary_symbol(*op))
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } if self.if_has_comments(expr, [cond, then, otherwise]) => {
                self.broken_if(expr, [cond, then, otherwise], level, column)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond_text = self.operand(
                    cond,
                    matches!(cond.kind, ExprKind::If { .. }),
                    level,
                    column + 3,
                );
                let then_column = column_after(column + 3, &cond_text) + 6;
                let then_text = self.operand(
                    then,
                    matches!(then.kind, ExprKind::If { .. }),
                    level,
                    then_column,
                );
                let else_column = column_after(then_column, &then_text) + 6;
                let else_text = self.expr(otherwise, level, else_column);
                format!("if {cond_text} then {then_text} else {else_text}")
            }
            ExprKind::Transfer {
                size,
                direction,
                link,
            } => {
                let size_text = self.expr(size, level, column);
                format!(
                    "{size_text} {} {}",
                    direction_word(*direction),
                    link.dotted()
                )
            }
            _ => flat,
        }
    }

    /// A chain of operators of one precedence too long for its line, broken before each
    /// operator: `a\n  + b\n  - c`.
    fn broken_chain(&mut self, expr: &Expr, op: BinaryOp, level: usize, column: usize) -> String {
        let own = binary_precedence(op);
        let mut operators = Vec::new();
        let mut operands = Vec::new();
        let mut current = expr;
        while let ExprKind::Binary { op, lhs, rhs, .. } = &current.kind {
            if binary_precedence(*op) != own {
                break;
            }
            operators.push(*op);
            operands.push(rhs.as_ref());
            current = lhs;
        }
        operators.reverse();
        operands.reverse();
        let mut out = self.operand(current, precedence(current) < own, level, column);
        let inner = indentation(level + 1);
        let mut previous_end = current.span.end as usize;
        for (op, operand) in operators.into_iter().zip(operands) {
            // The comments between two operands: one on the line where the left operand
            // ends stays at the end of that line, one on a line of its own stays on its own
            // line before the operator.
            let (trailing, own_line) =
                self.comments_between(previous_end, operand.span.start as usize);
            for comment in trailing {
                out.push_str("  ");
                out.push_str(&comment);
            }
            for comment in own_line {
                out.push('\n');
                out.push_str(&inner);
                out.push_str(&comment);
            }
            previous_end = operand.span.end as usize;
            out.push('\n');
            out.push_str(&inner);
            out.push_str(op.symbol());
            out.push(' ');
            let operand_column = width(&inner) + op.symbol().len() + 1;
            let text = self.operand(
                operand,
                precedence(operand) <= own,
                level + 1,
                operand_column,
            );
            out.push_str(&text);
        }
        out
    }

    /// Whether a comment stands between the parts of an `if` (`parts` are its condition and
    /// branches), outside all of them.
    fn if_has_comments(&self, expr: &Expr, parts: [&Expr; 3]) -> bool {
        let mut from = expr.span.start as usize;
        parts.iter().any(|part| {
            let between = self.has_comment_between(from, part.span.start as usize);
            from = part.span.end as usize;
            between
        })
    }

    /// Where `keyword` is written between `from` and `to`, outside comments.
    fn keyword_between(&self, from: usize, to: usize, keyword: &str) -> usize {
        let mut position = from;
        while let Some(found) = self
            .text
            .get(position..to)
            .and_then(|gap| gap.find(keyword))
        {
            let at = position + found;
            let inside = self
                .first_comment_from(at + 1)
                .checked_sub(1)
                .and_then(|i| {
                    let span = self.comments[i].span;
                    (span.end as usize > at).then_some(span.end as usize)
                });
            match inside {
                Some(comment_end) => position = comment_end,
                None => return at,
            }
        }
        from
    }

    /// An `if` with comments between its parts, one part per line (`if COND`, then
    /// `then A` and `else B` on lines of their own), so that each comment keeps its place
    /// and its order: one on the line where a part ends ends that line, one on a line of its
    /// own stays on its own line before the next keyword, one after a keyword stays after it
    /// (a block comment that the part follows on its line stays right before the part;
    /// otherwise the part moves to the next line).
    fn broken_if(&mut self, expr: &Expr, parts: [&Expr; 3], level: usize, column: usize) -> String {
        // The comments of every gap are taken first: a part that is a broken list would
        // otherwise take a comment after its `]` into its last row, and the `if` would not
        // break the next time.
        let mut gaps = Vec::with_capacity(parts.len());
        let mut previous_end = expr.span.start as usize;
        for (index, (keyword, part)) in IF_KEYWORDS.into_iter().zip(parts).enumerate() {
            let part_start = part.span.start as usize;
            let keyword_start = if index == 0 {
                previous_end
            } else {
                self.keyword_between(previous_end, part_start, keyword)
            };
            let before_keyword = self.comments_between(previous_end, keyword_start);
            let inline_from = self.inline_leading_from(part_start);
            let after_keyword = self.comments_between(keyword_start + keyword.len(), inline_from);
            let (inline, inline_too) = self.comments_between(inline_from, part_start);
            gaps.push(IfGap {
                before_keyword,
                after_keyword,
                inline: inline.into_iter().chain(inline_too).collect(),
            });
            previous_end = part.span.end as usize;
        }

        let inner = indentation(level + 1);
        let deeper = indentation(level + 2);
        let mut out = String::new();
        for (index, ((keyword, part), gap)) in
            IF_KEYWORDS.into_iter().zip(parts).zip(gaps).enumerate()
        {
            let mut keyword_column = column;
            if index > 0 {
                let (trailing, own_line) = gap.before_keyword;
                push_comments_then_break(&mut out, trailing, own_line, &inner);
                keyword_column = width(&inner);
            }
            out.push_str(keyword);
            let (after_keyword, own_line) = gap.after_keyword;
            let (part_level, mut part_column) = if after_keyword.is_empty() && own_line.is_empty() {
                out.push(' ');
                (
                    level + usize::from(index > 0),
                    keyword_column + keyword.len() + 1,
                )
            } else {
                push_comments_then_break(&mut out, after_keyword, own_line, &deeper);
                (level + 2, width(&deeper))
            };
            for comment in gap.inline {
                out.push_str(&comment);
                out.push(' ');
                part_column += width(&comment) + 1;
            }
            let parenthesised = index < 2 && matches!(part.kind, ExprKind::If { .. });
            let text = self.operand(part, parenthesised, part_level, part_column);
            out.push_str(&text);
        }
        out
    }

    /// Whether a comment stands between two operands of the chain of operators of `op`'s
    /// precedence that `expr` starts: the chain is then broken, one operand per line, so
    /// that each comment keeps its place.
    fn chain_has_comments(&self, expr: &Expr, op: BinaryOp) -> bool {
        let own = binary_precedence(op);
        let mut current = expr;
        while let ExprKind::Binary { op, lhs, rhs, .. } = &current.kind {
            if binary_precedence(*op) != own {
                break;
            }
            if self.has_comment_between(lhs.span.end as usize, rhs.span.start as usize) {
                return true;
            }
            current = lhs;
        }
        false
    }

    fn has_comment_between(&self, from: usize, to: usize) -> bool {
        self.comments
            .get(self.first_comment_from(from))
            .is_some_and(|c| (c.span.start as usize) < to)
    }

    /// The comments not yet printed that start between `from` and `to`, marked printed: those
    /// on the line where `from` is, then those on lines of their own.
    fn comments_between(&mut self, from: usize, to: usize) -> (Vec<String>, Vec<String>) {
        let mut trailing = Vec::new();
        let mut own_line = Vec::new();
        for index in self.first_comment_from(from)..self.first_comment_from(to) {
            if self.emitted[index] {
                continue;
            }
            self.emitted[index] = true;
            let start = self.comments[index].span.start as usize;
            let text = self.comment_text(index).to_string();
            let same_line = own_line.is_empty()
                && !self.text.get(from..start).unwrap_or("\n").contains('\n')
                && trailing.last().is_none_or(|t: &String| !t.contains('\n'));
            if same_line {
                trailing.push(text);
            } else {
                own_line.push(text);
            }
        }
        (trailing, own_line)
    }

    /// Whether the broken form of `expr` would print a comment that its one-line form drops:
    /// a comment between the elements of a `match`, `choice`, list or call in it, or between
    /// the parts of an `if`. (Comments
    /// elsewhere in an expression move after the entry either way, so they decide nothing:
    /// that keeps formatting idempotent.)
    fn places_comments(&self, expr: &Expr) -> bool {
        let between = |elements: &[Span]| {
            let from = self.first_comment_from(expr.span.start as usize);
            self.comments[from..]
                .iter()
                .take_while(|c| c.span.end <= expr.span.end)
                .any(|c| {
                    let start = c.span.start;
                    start >= expr.span.start
                        && start < expr.span.end
                        && !elements.iter().any(|e| start >= e.start && start < e.end)
                })
        };
        match &expr.kind {
            ExprKind::Number(_)
            | ExprKind::Quantity { .. }
            | ExprKind::Bool(_)
            | ExprKind::Str(_)
            | ExprKind::Path(_) => false,
            ExprKind::List(items) => {
                let spans: Vec<Span> = items.iter().map(|e| e.span).collect();
                between(&spans) || items.iter().any(|e| self.places_comments(e))
            }
            ExprKind::Match { arms, .. } => {
                let spans: Vec<Span> = arms.iter().map(|a| a.span).collect();
                between(&spans) || arms.iter().any(|a| self.places_comments(&a.body))
            }
            ExprKind::Choice(entries) => {
                let spans: Vec<Span> = entries.iter().map(|c| c.span).collect();
                between(&spans) || entries.iter().any(|c| self.places_comments(&c.weight))
            }
            ExprKind::Call { args, .. } => {
                let spans: Vec<Span> = args.iter().map(|a| a.span).collect();
                between(&spans) || args.iter().any(|a| self.places_comments(&a.value))
            }
            ExprKind::Unary { operand, .. } => self.places_comments(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.has_comment_between(lhs.span.end as usize, rhs.span.start as usize)
                    || self.places_comments(lhs)
                    || self.places_comments(rhs)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.if_has_comments(expr, [cond, then, otherwise])
                    || self.places_comments(cond)
                    || self.places_comments(then)
                    || self.places_comments(otherwise)
            }
            ExprKind::Transfer { size, .. } => self.places_comments(size),
        }
    }

    fn operand(&mut self, expr: &Expr, parenthesised: bool, level: usize, column: usize) -> String {
        if parenthesised {
            format!("({})", self.expr(expr, level, column + 1))
        } else {
            self.expr(expr, level, column)
        }
    }

    /// `head` then one element per line, each followed by a comma and its trailing comments,
    /// with the comments before each element on their own lines, then `close`.
    fn broken(
        &mut self,
        head: &str,
        elements: Vec<Element>,
        close: &str,
        span: Span,
        level: usize,
    ) -> String {
        let inner = indentation(level + 1);
        let mut out = String::from(head);
        let head_end = elements.first().map_or(span.end as usize, |e| {
            self.inline_leading_from(e.span.start as usize)
        });
        // A comment on the opening line stays there.
        let opening = self.trailing_comments_before(span.start as usize + 1, head_end);
        out.push_str(&opening);
        out.push('\n');
        let close_char = close.chars().next();
        for (index, element) in elements.iter().enumerate() {
            let start = element.span.start as usize;
            for comment in self.comments_before(self.inline_leading_from(start), span) {
                out.push_str(&inner);
                out.push_str(&comment);
                out.push('\n');
            }
            out.push_str(&inner);
            for comment in self.comments_before(start, span) {
                out.push_str(&comment);
                out.push(' ');
            }
            out.push_str(&element.text);
            out.push(',');
            let last = index + 1 == elements.len();
            let trailing = self
                .trailing_comments_through(element.span.end as usize, close_char.filter(|_| last));
            out.push_str(&trailing);
            out.push('\n');
        }
        for comment in self.comments_before(span.end as usize, span) {
            out.push_str(&inner);
            out.push_str(&comment);
            out.push('\n');
        }
        out.push_str(&indentation(level));
        out.push_str(close);
        out
    }

    /// Comments on the line of `after`, before `limit`, marked printed.
    fn trailing_comments_before(&mut self, after: usize, limit: usize) -> String {
        let first_line_end = self.text[after.min(self.text.len())..]
            .find('\n')
            .map_or(self.text.len(), |n| after + n)
            .min(limit);
        let mut out = String::new();
        for index in self.first_comment_from(after)..self.first_comment_from(first_line_end) {
            if !self.emitted[index] {
                self.emitted[index] = true;
                out.push_str("  ");
                out.push_str(self.comment_text(index));
            }
        }
        out
    }

    /// The comments not yet printed inside `within` that start before `before`, marked
    /// printed.
    fn comments_before(&mut self, before: usize, within: Span) -> Vec<String> {
        let mut out = Vec::new();
        let from = self.first_comment_from(within.start as usize);
        for index in from..self.first_comment_from(before).max(from) {
            if !self.emitted[index] {
                self.emitted[index] = true;
                out.push(self.comment_text(index).to_string());
            }
        }
        out
    }

    /// A list of plain values, as many per line as fit. A comment before a value goes on its
    /// own line, a comment after one ends its line.
    fn filled_list(&mut self, items: &[Expr], span: Span, level: usize) -> String {
        let inner = indentation(level + 1);
        let mut out = String::from("[");
        out.push_str(&self.trailing_comments_before(
            span.start as usize + 1,
            items.first().map_or(span.end as usize, |e| {
                self.inline_leading_from(e.span.start as usize)
            }),
        ));
        out.push('\n');
        let mut line = String::new();
        let flush = |out: &mut String, line: &mut String| {
            if !line.is_empty() {
                out.push_str(&inner);
                out.push_str(line);
                out.push('\n');
                line.clear();
            }
        };
        for (index, item) in items.iter().enumerate() {
            let start = item.span.start as usize;
            let leading = self.comments_before(self.inline_leading_from(start), span);
            if !leading.is_empty() {
                flush(&mut out, &mut line);
                for comment in leading {
                    out.push_str(&inner);
                    out.push_str(&comment);
                    out.push('\n');
                }
            }
            // A block comment written before the value stays before it, on whichever row
            // the value lands.
            let mut text = String::new();
            for comment in self.comments_before(start, span) {
                text.push_str(&comment);
                text.push(' ');
            }
            text.push_str(&self.flat(item));
            text.push(',');
            if !line.is_empty() && width(&inner) + width(&line) + 1 + width(&text) > WIDTH {
                flush(&mut out, &mut line);
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&text);
            let last = index + 1 == items.len();
            let trailing =
                self.trailing_comments_through(item.span.end as usize, Some(']').filter(|_| last));
            if !trailing.is_empty() {
                line.push_str(&trailing);
                flush(&mut out, &mut line);
            }
        }
        flush(&mut out, &mut line);
        for comment in self.comments_before(span.end as usize, span) {
            out.push_str(&inner);
            out.push_str(&comment);
            out.push('\n');
        }
        out.push_str(&indentation(level));
        out.push(']');
        out
    }
}

/// Whether the text between two things holds a line with nothing on it.
fn has_blank_line(gap: &str) -> bool {
    let lines: Vec<&str> = gap.split('\n').collect();
    lines.len() > 2
        && lines[1..lines.len() - 1]
            .iter()
            .any(|l| l.trim().is_empty())
}

fn wrap(text: String, parenthesised: bool) -> String {
    if parenthesised {
        format!("({text})")
    } else {
        text
    }
}

fn patterns(patterns: &[Pattern]) -> String {
    patterns
        .iter()
        .map(|p| match p {
            Pattern::Name(path) => path.dotted(),
            Pattern::Wildcard(_) => "_".to_string(),
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn direction_word(direction: TransferDirection) -> &'static str {
    match direction {
        TransferDirection::From => "from",
        TransferDirection::To => "to",
    }
}

fn decl_header(decl: &Decl) -> String {
    match &decl.name {
        Some(name) => format!("{} {}", decl.kind.keyword(), name.name),
        None => decl.kind.keyword().to_string(),
    }
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Import(import) => import.span,
        Item::Decl(decl) => decl.span,
    }
}

fn entry_span(entry: &Entry) -> Span {
    match entry {
        Entry::Attr(attr) => attr.span,
        Entry::Block(nested) => nested.span,
        Entry::Step(step) => step.span,
        Entry::Sweep(sweep) => sweep.span,
    }
}

/// Where an entry's header ends: the start of its value, or of its body.
fn entry_header_end(entry: &Entry) -> usize {
    let end = match entry {
        Entry::Attr(attr) => attr.value.span.start,
        Entry::Block(nested) => nested.body.span.start,
        Entry::Step(step) => step.body.span.start,
        Entry::Sweep(sweep) => sweep.values.span.start,
    };
    end as usize
}

/// Comments in a gap of a broken `if`: those written at the end of a line stay at the end of
/// the current one, those on lines of their own go on lines of their own at `indent`; then
/// the line breaks, indented, for what follows.
fn push_comments_then_break(
    out: &mut String,
    trailing: Vec<String>,
    own_line: Vec<String>,
    indent: &str,
) {
    for comment in trailing {
        out.push_str("  ");
        out.push_str(&comment);
    }
    for comment in own_line {
        out.push('\n');
        out.push_str(indent);
        out.push_str(&comment);
    }
    out.push('\n');
    out.push_str(indent);
}
