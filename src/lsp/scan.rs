//! A tolerant structural scan of a document: its tokens, imports, declarations, steps, nested
//! blocks and attributes, with byte spans.
//!
//! Editor features (outline, hover, go to definition, completion) must keep working while the
//! user types, when the text does not parse. So they read this scan rather than the parser's
//! tree: the scan never fails, recovers at every `}`, and understands just enough of the
//! language's shape (what opens a block, what names an attribute) to say where the cursor is.
//! Diagnostics, which must be exact, come from the real front end (see `diagnostics`).
//!
//! Invariant: every span is a pair of byte offsets on character boundaries of the scanned text.

use super::docs::{self, BlockContext};
use crate::syntax::ast::{DeclKind, StepKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Ident,
    /// A number, with its unit if one follows directly (`30min`, `1.25GB/s`, `5%`).
    Number,
    Str,
    Comment,
    Punct,
    /// A character the language does not use.
    Unknown,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    /// For a number: where its unit starts (`end` when it has none).
    pub unit_start: usize,
}

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// `import "PATH" as NAME`, as far as it was written.
#[derive(Clone, Debug)]
pub struct ImportInfo {
    pub path: Option<Name>,
    pub alias: Option<Name>,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockKind {
    Decl(DeclKind),
    Step(StepKind),
    /// `autoscale { }`, `model { }`, or a block of a name the language does not know.
    Nested(String),
    /// The braces of an expression: `choice { }`, `match x { }`.
    Expr,
    Other,
}

#[derive(Clone, Debug)]
pub struct BlockInfo {
    pub kind: BlockKind,
    /// The keyword of a declaration or step, or the name of a nested block.
    pub keyword: Option<Name>,
    /// The declaration's name, or the step's explicit name.
    pub name: Option<Name>,
    /// A step's `after` names.
    pub after: Vec<Name>,
    /// Where the header (keyword) starts, or the `{` when there is none.
    pub start: usize,
    /// Offset of the `{`.
    pub open: usize,
    /// Offset just past the `}`, or the end of the text when the block is not closed.
    pub end: usize,
    pub closed: bool,
    pub parent: Option<usize>,
}

impl BlockInfo {
    /// The step's name: explicit, or its keyword.
    pub fn step_name(&self) -> Option<&Name> {
        match self.kind {
            BlockKind::Step(_) => self.name.as_ref().or(self.keyword.as_ref()),
            _ => None,
        }
    }

    pub fn context(&self) -> Option<BlockContext> {
        match &self.kind {
            BlockKind::Decl(kind) => Some(BlockContext::Decl(*kind)),
            BlockKind::Step(kind) => Some(BlockContext::Step(*kind)),
            BlockKind::Nested(name) if name == "autoscale" => Some(BlockContext::Autoscale),
            BlockKind::Nested(name) if name == "model" => Some(BlockContext::Model),
            _ => None,
        }
    }

    /// Whether `offset` is between the braces (a cursor right before `}` is inside).
    pub fn contains(&self, offset: usize) -> bool {
        let inner_end = if self.closed { self.end - 1 } else { self.end };
        self.open < offset && offset <= inner_end
    }
}

/// `name = ...` directly in a block (not a named argument inside parentheses).
#[derive(Clone, Debug)]
pub struct AttrInfo {
    pub name: Name,
    pub block: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Outline {
    /// Every token but comments, in order.
    pub tokens: Vec<Token>,
    pub comments: Vec<Token>,
    pub imports: Vec<ImportInfo>,
    pub blocks: Vec<BlockInfo>,
    pub attrs: Vec<AttrInfo>,
}

/// Splits text into tokens. Total: every byte belongs to a token or to whitespace.
pub fn lex(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let token = |kind, start, end| Token {
        kind,
        start,
        end,
        unit_start: end,
    };
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            tokens.push(token(TokenKind::Comment, start, i));
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i = (i + 2).min(bytes.len());
            tokens.push(token(TokenKind::Comment, start, i));
        } else if c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                i += if bytes[i] == b'\\' && i + 1 < bytes.len() && bytes[i + 1] != b'\n' {
                    2
                } else {
                    1
                };
            }
            if i < bytes.len() && bytes[i] == b'"' {
                i += 1;
            }
            tokens.push(token(TokenKind::Str, start, i));
        } else if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                i += 1;
            }
            if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'_') {
                    i += 1;
                }
            }
            if matches!(bytes.get(i), Some(b'e' | b'E')) {
                let digits_at = match bytes.get(i + 1) {
                    Some(b'+' | b'-') => i + 2,
                    _ => i + 1,
                };
                if bytes.get(digits_at).is_some_and(u8::is_ascii_digit) {
                    i = digits_at;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let unit_start = i;
            // A unit: letters and `%`, and `/` when a letter follows (`GB/s`, `/h`, `%/d`).
            while i < bytes.len() {
                let b = bytes[i];
                let slash_then_letter =
                    b == b'/' && bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic);
                if !(b.is_ascii_alphabetic() || b == b'%' || slash_then_letter) {
                    break;
                }
                i += 1;
            }
            tokens.push(Token {
                kind: TokenKind::Number,
                start,
                end: i,
                unit_start,
            });
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            tokens.push(token(TokenKind::Ident, start, i));
        } else if c.is_ascii() {
            let two = bytes.get(i..i + 2).unwrap_or_default();
            i += match two {
                b"==" | b"!=" | b"<=" | b">=" | b"=>" | b"&&" | b"||" => 2,
                _ => 1,
            };
            tokens.push(token(TokenKind::Punct, start, i));
        } else {
            // Skip a whole non-ASCII character so spans stay on character boundaries.
            let width = text[i..].chars().next().map_or(1, char::len_utf8);
            i += width;
            tokens.push(token(TokenKind::Unknown, start, i));
        }
    }
    tokens
}

struct Frame {
    block: usize,
    /// Parenthesis depth when the block opened: attributes are only at this depth.
    paren_base: usize,
    /// Index of the first token after the last entry boundary (`=`, `;`, `}`, `{`).
    boundary: usize,
    /// `match` keywords whose `{` has not been seen yet.
    pending_match: usize,
}

impl Outline {
    pub fn scan(text: &str) -> Outline {
        let (comments, tokens): (Vec<Token>, Vec<Token>) = lex(text)
            .into_iter()
            .partition(|t| t.kind == TokenKind::Comment);
        let mut outline = Outline {
            tokens,
            comments,
            ..Outline::default()
        };
        outline.build(text);
        outline
    }

    pub fn text<'a>(&self, text: &'a str, index: usize) -> &'a str {
        let t = self.tokens[index];
        &text[t.start..t.end]
    }

    fn name(&self, text: &str, index: usize) -> Name {
        let t = self.tokens[index];
        Name {
            text: text[t.start..t.end].to_string(),
            start: t.start,
            end: t.end,
        }
    }

    fn is_ident(&self, index: usize) -> bool {
        self.tokens.get(index).map(|t| t.kind) == Some(TokenKind::Ident)
    }

    fn is(&self, text: &str, index: usize, word: &str) -> bool {
        index < self.tokens.len() && self.text(text, index) == word
    }

    fn build(&mut self, text: &str) {
        let mut stack: Vec<Frame> = Vec::new();
        let mut paren = 0usize;
        let mut top_boundary = 0usize;
        for i in 0..self.tokens.len() {
            let token = self.tokens[i];
            let word = self.text(text, i);
            match (token.kind, word) {
                (TokenKind::Punct, "(" | "[") => paren += 1,
                (TokenKind::Punct, ")" | "]") => {
                    let base = stack.last().map_or(0, |f| f.paren_base);
                    if paren > base {
                        paren -= 1;
                    }
                }
                (TokenKind::Punct, "{") => {
                    let kind_and_header = match stack.last_mut() {
                        None => self.top_level_header(text, top_boundary, i),
                        Some(frame) => {
                            let expr = paren > frame.paren_base
                                || (i > 0 && self.is(text, i - 1, "choice"))
                                || self.blocks[frame.block].kind == BlockKind::Expr;
                            if expr {
                                (BlockKind::Expr, None)
                            } else if frame.pending_match > 0 {
                                frame.pending_match -= 1;
                                (BlockKind::Expr, None)
                            } else {
                                let parent = self.blocks[frame.block].kind.clone();
                                self.nested_header(text, &parent, frame.boundary, i)
                            }
                        }
                    };
                    let (kind, header) = kind_and_header;
                    let header = header.unwrap_or_default();
                    let block = BlockInfo {
                        kind,
                        keyword: header.keyword,
                        name: header.name,
                        after: header.after,
                        start: header.start.unwrap_or(token.start),
                        open: token.start,
                        end: text.len(),
                        closed: false,
                        parent: stack.last().map(|f| f.block),
                    };
                    self.blocks.push(block);
                    stack.push(Frame {
                        block: self.blocks.len() - 1,
                        paren_base: paren,
                        boundary: i + 1,
                        pending_match: 0,
                    });
                }
                (TokenKind::Punct, "}") => {
                    if let Some(frame) = stack.pop() {
                        let block = &mut self.blocks[frame.block];
                        block.end = token.end;
                        block.closed = true;
                        paren = frame.paren_base;
                    }
                    match stack.last_mut() {
                        Some(parent) => parent.boundary = i + 1,
                        None => top_boundary = i + 1,
                    }
                }
                (TokenKind::Punct, "=" | ";") => {
                    if let Some(frame) = stack.last_mut() {
                        if paren == frame.paren_base {
                            frame.boundary = i + 1;
                        }
                    }
                }
                (TokenKind::Ident, "import") if stack.is_empty() => {
                    self.imports.push(self.import_at(text, i));
                    top_boundary = i;
                }
                (TokenKind::Ident, _) if !stack.is_empty() && self.starts_declaration(text, i) => {
                    // A declaration at the start of a line inside an unclosed block: the user
                    // has not written the `}` yet. Close what is open here, so one missing
                    // brace does not swallow the rest of the file.
                    for frame in stack.drain(..) {
                        self.blocks[frame.block].end = token.start;
                    }
                    paren = 0;
                    top_boundary = i;
                }
                (TokenKind::Ident, "match") => {
                    if let Some(frame) = stack.last_mut() {
                        frame.pending_match += 1;
                    }
                }
                (TokenKind::Ident, _) => {
                    if let Some(frame) = stack.last() {
                        let at_block_level = paren == frame.paren_base
                            && self.blocks[frame.block].kind != BlockKind::Expr;
                        // `sweep gpu.capacity = [...]` names a path, not an attribute.
                        let in_path_or_sweep =
                            i > 0 && matches!(self.text(text, i - 1), "." | "sweep");
                        if at_block_level && self.is(text, i + 1, "=") && !in_path_or_sweep {
                            self.attrs.push(AttrInfo {
                                name: self.name(text, i),
                                block: frame.block,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// `KIND NAME {` (or `experiment {`) with `KIND` at the start of its line.
    fn starts_declaration(&self, text: &str, i: usize) -> bool {
        let start = self.tokens[i].start;
        let at_line_start = text[..start].ends_with('\n');
        let named = self.is_ident(i + 1) && self.is(text, i + 2, "{");
        let experiment = self.text(text, i) == "experiment" && self.is(text, i + 1, "{");
        at_line_start && docs::decl_kind(self.text(text, i)).is_some() && (named || experiment)
    }

    fn import_at(&self, text: &str, i: usize) -> ImportInfo {
        let mut end = self.tokens[i].end;
        let path = self
            .tokens
            .get(i + 1)
            .filter(|t| t.kind == TokenKind::Str)
            .map(|t| {
                end = t.end;
                Name {
                    text: unquote(&text[t.start..t.end]),
                    start: t.start,
                    end: t.end,
                }
            });
        let alias =
            (path.is_some() && self.is(text, i + 2, "as") && self.is_ident(i + 3)).then(|| {
                end = self.tokens[i + 3].end;
                self.name(text, i + 3)
            });
        ImportInfo {
            path,
            alias,
            start: self.tokens[i].start,
            end,
        }
    }

    /// `KIND [NAME] {` at the top level.
    fn top_level_header(
        &self,
        text: &str,
        boundary: usize,
        open: usize,
    ) -> (BlockKind, Option<Header>) {
        let from = boundary.max(open.saturating_sub(2));
        for k in from..open {
            if let Some(kind) = docs::decl_kind(self.text(text, k)) {
                let name = (k + 1 < open && self.is_ident(k + 1)).then(|| self.name(text, k + 1));
                let header = Header {
                    keyword: Some(self.name(text, k)),
                    name,
                    after: Vec::new(),
                    start: Some(self.tokens[k].start),
                };
                return (BlockKind::Decl(kind), Some(header));
            }
        }
        (BlockKind::Other, None)
    }

    /// The header of a block opened inside another: a step, `model`, `autoscale`.
    fn nested_header(
        &self,
        text: &str,
        parent: &BlockKind,
        boundary: usize,
        open: usize,
    ) -> (BlockKind, Option<Header>) {
        let in_pipeline = *parent == BlockKind::Decl(DeclKind::Pipeline);
        for k in boundary..open {
            if !self.is_ident(k) {
                continue;
            }
            let word = self.text(text, k);
            let keyword = Some(self.name(text, k));
            let start = Some(self.tokens[k].start);
            if let (true, Some(step)) = (in_pipeline, docs::step_kind(word)) {
                let mut header = Header {
                    keyword,
                    start,
                    ..Header::default()
                };
                let mut j = k + 1;
                if j < open && self.is_ident(j) && !matches!(self.text(text, j), "after" | "when") {
                    header.name = Some(self.name(text, j));
                    j += 1;
                }
                if j < open && self.is(text, j, "after") {
                    j += 1;
                    while j < open && self.is_ident(j) && self.text(text, j) != "when" {
                        header.after.push(self.name(text, j));
                        j += 1;
                        if j < open && self.is(text, j, ",") {
                            j += 1;
                        } else {
                            break;
                        }
                    }
                }
                return (BlockKind::Step(step), Some(header));
            }
            if matches!(word, "model" | "autoscale") {
                let header = Header {
                    keyword,
                    start,
                    ..Header::default()
                };
                return (BlockKind::Nested(word.to_string()), Some(header));
            }
        }
        if open > boundary && self.is_ident(open - 1) {
            let header = Header {
                keyword: Some(self.name(text, open - 1)),
                start: Some(self.tokens[open - 1].start),
                ..Header::default()
            };
            return (
                BlockKind::Nested(self.text(text, open - 1).to_string()),
                Some(header),
            );
        }
        (BlockKind::Other, None)
    }

    /// Top-level declarations, in order.
    pub fn decls(&self) -> impl Iterator<Item = (usize, &BlockInfo)> {
        self.blocks
            .iter()
            .enumerate()
            .filter(|(_, b)| matches!(b.kind, BlockKind::Decl(_)) && b.parent.is_none())
    }

    /// The declaration named `name`.
    pub fn decl(&self, name: &str) -> Option<(usize, &BlockInfo)> {
        self.decls()
            .find(|(_, b)| b.name.as_ref().is_some_and(|n| n.text == name))
    }

    /// Direct child blocks of `block`.
    pub fn children(&self, block: usize) -> impl Iterator<Item = (usize, &BlockInfo)> {
        self.blocks
            .iter()
            .enumerate()
            .filter(move |(_, b)| b.parent == Some(block))
    }

    /// The steps of a pipeline block.
    pub fn steps(&self, pipeline: usize) -> impl Iterator<Item = (usize, &BlockInfo)> {
        self.children(pipeline)
            .filter(|(_, b)| matches!(b.kind, BlockKind::Step(_)))
    }

    /// The attributes written directly in `block`.
    pub fn attrs_of(&self, block: usize) -> impl Iterator<Item = &AttrInfo> {
        self.attrs.iter().filter(move |a| a.block == block)
    }

    /// The token indices of `attr`'s value: after its `=`, up to the next attribute or nested
    /// block of its block, or the block's end.
    pub fn attr_value(&self, attr: &AttrInfo) -> std::ops::Range<usize> {
        let block = &self.blocks[attr.block];
        let block_end = if block.closed {
            block.end - 1
        } else {
            block.end
        };
        let next_attr = self
            .attrs_of(attr.block)
            .map(|a| a.name.start)
            .find(|&start| start > attr.name.start);
        let next_block = self
            .children(attr.block)
            .filter(|(_, b)| b.kind != BlockKind::Expr)
            .map(|(_, b)| b.start)
            .find(|&start| start > attr.name.start);
        let end = [next_attr, next_block]
            .into_iter()
            .flatten()
            .fold(block_end, usize::min);
        let name = self.tokens.partition_point(|t| t.start < attr.name.start);
        let first = (name + 2).min(self.tokens.len());
        let last = self.tokens.partition_point(|t| t.start < end);
        first..last.max(first)
    }

    /// The labels the `choice { key: weight }` expressions inside block `root` can produce:
    /// each key's first occurrence.
    pub fn labels(&self, text: &str, root: usize) -> Vec<Name> {
        let mut labels: Vec<Name> = Vec::new();
        for (b, block) in self.blocks.iter().enumerate() {
            if block.kind != BlockKind::Expr || self.root(b) != root {
                continue;
            }
            let first = self.tokens.partition_point(|t| t.start <= block.open);
            for k in first..self.tokens.len() {
                if self.tokens[k].start >= block.end {
                    break;
                }
                // A qualified key (`aiops.edge: 0.25`) names a template, not a label.
                let is_key = self.is_ident(k)
                    && self.is(text, k + 1, ":")
                    && !(k > 0 && self.is(text, k - 1, "."));
                if is_key && self.block_at(self.tokens[k].start) == Some(b) {
                    let name = self.name(text, k);
                    if !labels.iter().any(|l| l.text == name.text) {
                        labels.push(name);
                    }
                }
            }
        }
        labels
    }

    /// The innermost block whose braces contain `offset`.
    pub fn block_at(&self, offset: usize) -> Option<usize> {
        // Blocks are pushed in order of their `{`, so the last one containing the offset is the
        // innermost.
        self.blocks
            .iter()
            .enumerate()
            .rev()
            .find(|(_, b)| b.contains(offset))
            .map(|(i, _)| i)
    }

    /// The innermost block around `offset` that is not an expression's braces.
    pub fn entry_block_at(&self, offset: usize) -> Option<usize> {
        let mut block = self.block_at(offset);
        while let Some(b) = block {
            if self.blocks[b].kind != BlockKind::Expr {
                return Some(b);
            }
            block = self.blocks[b].parent;
        }
        None
    }

    /// The top-level declaration around `offset` (the block or its header).
    pub fn decl_at(&self, offset: usize) -> Option<usize> {
        self.decls()
            .find(|(_, b)| b.start <= offset && offset < b.end.max(b.start + 1))
            .map(|(i, _)| i)
    }

    /// The top-level ancestor of `block`.
    pub fn root(&self, mut block: usize) -> usize {
        while let Some(parent) = self.blocks[block].parent {
            block = parent;
        }
        block
    }

    /// The index of the token that contains `offset` or ends right at it, preferring a name.
    pub fn token_at(&self, offset: usize) -> Option<usize> {
        let first = self.tokens.partition_point(|t| t.end < offset);
        let mut best = None;
        for (i, t) in self.tokens.iter().enumerate().skip(first) {
            if t.start > offset {
                break;
            }
            if best.is_none()
                || matches!(
                    t.kind,
                    TokenKind::Ident | TokenKind::Number | TokenKind::Str
                )
            {
                best = Some(i);
            }
        }
        best
    }

    /// The index of the last token that ends at or before `offset`.
    pub fn token_before(&self, offset: usize) -> Option<usize> {
        self.tokens
            .partition_point(|t| t.end <= offset)
            .checked_sub(1)
    }

    /// The dotted name around token `index` (`aiops.edge`), and which of its parts that token is.
    pub fn path_at(&self, text: &str, index: usize) -> Option<(Vec<Name>, usize)> {
        if !self.is_ident(index) {
            return None;
        }
        let mut first = index;
        while first >= 2
            && self.is(text, first - 1, ".")
            && self.is_ident(first - 2)
            && self.adjacent(first - 2, first)
        {
            first -= 2;
        }
        let mut last = index;
        while self.is(text, last + 1, ".")
            && self.is_ident(last + 2)
            && self.adjacent(last, last + 2)
        {
            last += 2;
        }
        let parts = (first..=last)
            .step_by(2)
            .map(|k| self.name(text, k))
            .collect();
        Some((parts, (index - first) / 2))
    }

    /// The name before the innermost unclosed `(` before token `index` (the callee whose
    /// arguments the token is in), within the token's block.
    pub fn enclosing_callee(&self, text: &str, index: usize) -> Option<String> {
        let mut depth = 0usize;
        let mut k = index.min(self.tokens.len());
        while k > 0 {
            k -= 1;
            match self.text(text, k) {
                ")" | "]" => depth += 1,
                "(" | "[" if depth > 0 => depth -= 1,
                "(" => {
                    return (k > 0 && self.is_ident(k - 1))
                        .then(|| self.text(text, k - 1).to_string());
                }
                "[" | "{" | "}" => return None,
                _ => {}
            }
        }
        None
    }

    /// Whether two name tokens are joined by a `.` with no space around it.
    fn adjacent(&self, left: usize, right: usize) -> bool {
        self.tokens[left].end + 1 == self.tokens[right].start
    }
}

#[derive(Default)]
struct Header {
    keyword: Option<Name>,
    name: Option<Name>,
    after: Vec<Name>,
    start: Option<usize>,
}

/// The contents of a string literal, with `\"` and `\\` unescaped.
pub fn unquote(literal: &str) -> String {
    let inner = literal.strip_prefix('"').unwrap_or(literal);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const EXAMPLE: &str = r#"// One month.
import "std/aiops" as aiops

scenario growth { horizon = 30d  seed = 7 }

resource gpu { kind = pool  capacity = 8   policy = sjf
  autoscale { min = 1 max = 4 }
}

dataset asset {
  instances = round(lognormal(median = 50000, sigma = 1.5))
  size      = instances * 8B
}

pipeline classic {
  data      = asset
  framework = choice { tensorflow: 0.45, sklearn: 0.55 }
  preprocess { on = cpu  duration = 12s + asset.size * 0.8s/GB }
  train {
    on       = match framework { tensorflow => gpu, _ => cpu }
    duration = exponential(mean = 4min)
  }
  validate after train, preprocess { on = cpu  pass = 0.95 }
  compress small when framework == tensorflow { on = gpu  size_factor = 0.4 }
}
"#;

    fn names(outline: &Outline) -> Vec<String> {
        outline
            .blocks
            .iter()
            .map(|b| {
                let name = b
                    .step_name()
                    .or(b.name.as_ref())
                    .map_or("", |n| n.text.as_str());
                format!("{:?} {name}", b.kind)
            })
            .collect()
    }

    #[test]
    fn finds_declarations_steps_and_nested_blocks() {
        let outline = Outline::scan(EXAMPLE);
        assert_eq!(
            names(&outline),
            [
                "Decl(Scenario) growth",
                "Decl(Resource) gpu",
                "Nested(\"autoscale\") ",
                "Decl(Dataset) asset",
                "Decl(Pipeline) classic",
                "Expr ",
                "Step(Preprocess) preprocess",
                "Step(Train) train",
                "Expr ",
                "Step(Validate) validate",
                "Step(Compress) small",
            ]
        );
        let validate = &outline.blocks[9];
        let after: Vec<&str> = validate.after.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(after, ["train", "preprocess"]);
        assert!(outline.blocks.iter().all(|b| b.closed));
        let import = &outline.imports[0];
        assert_eq!(import.path.as_ref().unwrap().text, "std/aiops");
        assert_eq!(import.alias.as_ref().unwrap().text, "aiops");
    }

    #[test]
    fn attributes_exclude_named_arguments() {
        let outline = Outline::scan(EXAMPLE);
        let (dataset, _) = outline.decl("asset").unwrap();
        let attrs: Vec<&str> = outline
            .attrs_of(dataset)
            .map(|a| a.name.text.as_str())
            .collect();
        assert_eq!(attrs, ["instances", "size"]);
    }

    #[test]
    fn unclosed_blocks_and_odd_text_do_not_confuse_the_scan() {
        let text = "resource gpu { capacity = 8 \u{e9}\u{1d707} \"open\npipeline p {\n  train {\n    on = \nexperiment {\n  ";
        let outline = Outline::scan(text);
        assert_eq!(
            names(&outline),
            [
                "Decl(Resource) gpu",
                "Decl(Pipeline) p",
                "Step(Train) train",
                "Decl(Experiment) "
            ]
        );
        assert!(outline.blocks.iter().all(|b| !b.closed));
        // The resource ends where the next declaration starts.
        assert_eq!(outline.blocks[0].end, text.find("pipeline").unwrap());
        let train = text.find("on = ").unwrap() + 5;
        let block = outline.entry_block_at(train).unwrap();
        assert_eq!(outline.blocks[block].kind, BlockKind::Step(StepKind::Train));
        let block = outline.entry_block_at(text.len()).unwrap();
        assert_eq!(
            outline.blocks[block].kind,
            BlockKind::Decl(DeclKind::Experiment)
        );
        for t in &outline.tokens {
            assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
        }
    }

    #[test]
    fn finds_the_dotted_name_under_a_token() {
        let outline = Outline::scan(EXAMPLE);
        let offset = EXAMPLE.find("asset.size").unwrap() + "asset.si".len();
        let index = outline.token_at(offset).unwrap();
        let (parts, at) = outline.path_at(EXAMPLE, index).unwrap();
        assert_eq!(
            parts.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(),
            ["asset", "size"]
        );
        assert_eq!(at, 1);
    }

    #[test]
    fn numbers_keep_their_units() {
        let tokens = lex("1.25GB/s 120/h 5% 1e-3 50_000 x/2");
        let units: Vec<&str> = tokens
            .iter()
            .filter(|t| t.kind == TokenKind::Number)
            .map(|t| &"1.25GB/s 120/h 5% 1e-3 50_000 x/2"[t.unit_start..t.end])
            .collect();
        assert_eq!(units, ["GB/s", "/h", "%", "", "", ""]);
    }
}
