//! A quick lexical pass over a whole file before pest sees it.
//!
//! It finds what pest cannot report well or safely: comments (collected for the formatter),
//! strings that never end, block comments that never end, unknown escapes, and bracket
//! nesting deep enough to exhaust pest's recursion. It also marks where declarations start
//! (a line whose first word is a declaration keyword or `import`), which is where the parser
//! resumes after a syntax error.
//!
//! Invariant: its idea of comments and strings is the grammar's (`grammar/pipesim.pest`): a
//! `//` or `/*` inside a string is text, a `"` inside a comment is text, and strings end at
//! the end of their line.

use super::codes;
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};

/// Bracket nesting allowed in one declaration before pest is asked to parse it. Real
/// scenarios nest a handful of levels; the limit only stops hostile or broken input.
pub const MAX_NESTING: usize = 200;

/// Words that start a top-level item when they open a line (and are not an attribute name,
/// that is, not followed by `=`).
pub const ITEM_KEYWORDS: &[&str] = &[
    "import",
    "scenario",
    "resource",
    "dataset",
    "pipeline",
    "profile",
    "arrivals",
    "monitor",
    "experiment",
];

/// An opening or closing bracket outside strings and comments.
#[derive(Clone, Copy, Debug)]
pub struct Bracket {
    pub offset: usize,
    pub byte: u8,
}

/// A line that starts with an item keyword: where parsing may resume after an error.
#[derive(Clone, Copy, Debug)]
pub struct ResyncPoint {
    /// Byte offset of the keyword.
    pub offset: usize,
    /// Its column in bytes from the start of the line (indentation).
    pub column: usize,
}

#[derive(Debug, Default)]
pub struct Scan {
    /// Byte ranges of every comment, in order.
    pub comments: Vec<(usize, usize)>,
    /// Lexical errors, each with the byte offset it is about.
    pub errors: Vec<(usize, Diagnostic)>,
    pub brackets: Vec<Bracket>,
    pub resync_points: Vec<ResyncPoint>,
    /// Offsets of brackets that open a level beyond [`MAX_NESTING`] within one declaration.
    pub too_deep: Vec<usize>,
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_'
}

fn is_ident_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Scans `text` (of file `file`, for the spans of diagnostics).
pub fn scan(file: FileId, text: &str) -> Scan {
    let bytes = text.as_bytes();
    let mut out = Scan::default();
    let mut depth = 0usize;
    let mut at_line_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if at_line_start {
            if matches!(byte, b' ' | b'\t' | b'\r') {
                i += 1;
                continue;
            }
            at_line_start = false;
            if is_ident_start(byte) {
                if let Some(point) = resync_point(text, i) {
                    out.resync_points.push(point);
                    // Nesting is counted per declaration, so that one missing `}` does not
                    // make every later declaration look deeply nested.
                    depth = 0;
                }
            }
        }
        match byte {
            b'\n' => {
                at_line_start = true;
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let mut end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                // The `\r` of a CRLF line ending is not part of the comment.
                if end > i + 2 && bytes[end - 1] == b'\r' {
                    end -= 1;
                }
                out.comments.push((i, end));
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => match text[i + 2..].find("*/") {
                Some(n) => {
                    let end = i + 2 + n + 2;
                    out.comments.push((i, end));
                    // A block comment spanning lines leaves us mid-line, like any token.
                    i = end;
                }
                None => {
                    out.comments.push((i, bytes.len()));
                    let diagnostic = Diagnostic::error(
                        codes::UNTERMINATED_COMMENT,
                        "block comment is never closed",
                    )
                    .primary(
                        Span::new(file, i, i + 2),
                        "this comment runs to the end of the file",
                    )
                    .help("end the comment with `*/`");
                    out.errors.push((i, diagnostic));
                    i = bytes.len();
                }
            },
            b'"' => i = scan_string(file, text, i, &mut out),
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth == MAX_NESTING + 1 {
                    out.too_deep.push(i);
                }
                out.brackets.push(Bracket { offset: i, byte });
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                out.brackets.push(Bracket { offset: i, byte });
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// Scans the string starting at the quote at `start`; returns the offset after it.
fn scan_string(file: FileId, text: &str, start: usize, out: &mut Scan) -> usize {
    let bytes = text.as_bytes();
    let mut i = start + 1;
    loop {
        match bytes.get(i) {
            Some(b'"') => return i + 1,
            Some(b'\\') => match bytes.get(i + 1) {
                Some(b'"') | Some(b'\\') => i += 2,
                Some(b'\n') | Some(b'\r') | None => i += 1,
                Some(_) => {
                    let escaped = text[i + 1..].chars().next().unwrap_or(' ');
                    let end = i + 1 + escaped.len_utf8();
                    let diagnostic = Diagnostic::error(
                        codes::UNKNOWN_ESCAPE,
                        format!("unknown escape `\\{escaped}` in a string"),
                    )
                    .primary(Span::new(file, i, end), "not an escape pipesim knows")
                    .help("strings know two escapes: `\\\"` for a quote and `\\\\` for a backslash; write a backslash as `\\\\`");
                    out.errors.push((i, diagnostic));
                    i = end;
                }
            },
            Some(b'\n') | None => {
                let mut end = i;
                if end > start + 1 && bytes[end - 1] == b'\r' {
                    end -= 1;
                }
                let diagnostic = Diagnostic::error(codes::UNTERMINATED_STRING, "string is never closed")
                    .primary(Span::new(file, start, end), "this string has no closing `\"`")
                    .help("end the string with `\"` on the same line; strings cannot span lines, and a quote inside one is written `\\\"`");
                out.errors.push((start, diagnostic));
                return i;
            }
            Some(_) => i += 1,
        }
    }
}

/// The resync point at `offset` (the first non-blank byte of a line), if the line starts
/// with an item keyword that is not an attribute name.
fn resync_point(text: &str, offset: usize) -> Option<ResyncPoint> {
    let bytes = text.as_bytes();
    let mut end = offset;
    while end < bytes.len() && is_ident_char(bytes[end]) {
        end += 1;
    }
    let word = &text[offset..end];
    if !ITEM_KEYWORDS.contains(&word) {
        return None;
    }
    let rest = text[end..].trim_start_matches([' ', '\t']);
    if rest.starts_with('=') {
        return None;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |n| n + 1);
    Some(ResyncPoint {
        offset,
        column: offset - line_start,
    })
}

impl Scan {
    /// The first offset at or after `offset` that is not whitespace or inside a comment.
    pub fn skip_trivia(&self, text: &str, mut offset: usize) -> usize {
        let bytes = text.as_bytes();
        loop {
            while offset < bytes.len() && matches!(bytes[offset], b' ' | b'\t' | b'\r' | b'\n') {
                offset += 1;
            }
            if text[offset..].starts_with('\u{FEFF}') {
                offset += '\u{FEFF}'.len_utf8();
                continue;
            }
            match self.comments.binary_search_by_key(&offset, |c| c.0) {
                Ok(index) => offset = self.comments[index].1,
                Err(_) => return offset,
            }
        }
    }

    /// Where to resume after a syntax error in the item starting at `item_start`: the next
    /// line that starts an item, indented no more than the failed item.
    pub fn resync_after(&self, text: &str, item_start: usize) -> Option<usize> {
        let line_end = text[item_start..]
            .find('\n')
            .map_or(text.len(), |n| item_start + n);
        let line_start = text[..item_start].rfind('\n').map_or(0, |n| n + 1);
        let column = item_start - line_start;
        let first = self.resync_points.partition_point(|p| p.offset <= line_end);
        self.resync_points[first..]
            .iter()
            .find(|p| p.column <= column)
            .map(|p| p.offset)
    }

    /// The first bracket nested too deeply in `[start, end)`.
    pub fn too_deep_in(&self, start: usize, end: usize) -> Option<usize> {
        self.too_deep_after(start).filter(|&o| o < end)
    }

    /// The first too-deep bracket at or after `start`, if any: pest must not see it.
    pub fn too_deep_after(&self, start: usize) -> Option<usize> {
        let first = self.too_deep.partition_point(|&o| o < start);
        self.too_deep.get(first).copied()
    }

    /// Whether a lexical error lies in `[start, end)`.
    pub fn has_error_in(&self, start: usize, end: usize) -> bool {
        let first = self.errors.partition_point(|(o, _)| *o < start);
        self.errors.get(first).is_some_and(|(o, _)| *o < end)
    }

    /// The brackets in `[start, end)`.
    fn brackets_in(&self, start: usize, end: usize) -> &[Bracket] {
        let first = self.brackets.partition_point(|b| b.offset < start);
        let last = self.brackets.partition_point(|b| b.offset < end);
        &self.brackets[first..last.max(first)]
    }

    /// The brackets opened and never closed in `[start, end)`, outermost first, ignoring
    /// closers that do not match.
    pub fn unclosed_in(&self, start: usize, end: usize) -> Vec<Bracket> {
        let mut stack: Vec<Bracket> = Vec::new();
        for bracket in self.brackets_in(start, end) {
            match bracket.byte {
                b'{' | b'(' | b'[' => stack.push(*bracket),
                closer => {
                    if stack.last().map(|b| b.byte) == Some(opener_of(closer)) {
                        stack.pop();
                    }
                }
            }
        }
        stack
    }

    /// The bracket most likely left unclosed in `[start, end)`, and where its closing bracket
    /// most likely belongs (the end of the last token before it).
    ///
    /// Brackets are matched as usual, with one heuristic from indentation: a closer that
    /// starts its line belongs to the open bracket whose line is indented the same, so the
    /// brackets opened after that one and still open are the unclosed ones. Without it a
    /// missing `}` of a step would be blamed on its pipeline.
    pub fn unclosed_opener(
        &self,
        text: &str,
        start: usize,
        end: usize,
    ) -> Option<(Bracket, usize)> {
        // Openers with the indentation of their line. Lines are followed forward from bracket
        // to bracket, so the whole walk is linear in the text.
        let bytes = text.as_bytes();
        let indent_at = |line_start: usize| {
            bytes[line_start..]
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t'))
                .count()
        };
        let mut line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
        let mut line_indent = indent_at(line_start);
        let mut scanned = start;
        let mut stack: Vec<(Bracket, usize)> = Vec::new();
        for bracket in self.brackets_in(start, end) {
            if let Some(newline) = text[scanned..bracket.offset].rfind('\n') {
                line_start = scanned + newline + 1;
                line_indent = indent_at(line_start);
            }
            scanned = bracket.offset;
            match bracket.byte {
                b'{' | b'(' | b'[' => stack.push((*bracket, line_indent)),
                closer => {
                    let Some((top, _)) = stack.last() else {
                        continue;
                    };
                    if top.byte != opener_of(closer) {
                        continue;
                    }
                    let starts_line = bracket.offset - line_start == line_indent;
                    if starts_line {
                        let same_indent = stack.iter().rposition(|(b, indent)| {
                            b.byte == opener_of(closer) && *indent == line_indent
                        });
                        if let Some(index) = same_indent {
                            if index + 1 < stack.len() {
                                let unclosed = stack[index + 1].0;
                                return Some((
                                    unclosed,
                                    self.last_token_end(text, start, bracket.offset),
                                ));
                            }
                        }
                    }
                    stack.pop();
                }
            }
        }
        stack
            .last()
            .map(|(b, _)| (*b, self.last_token_end(text, start, end)))
    }

    /// The end of the last token before `end` (skipping whitespace and comments), at or
    /// after `start`.
    pub fn last_token_end(&self, text: &str, start: usize, end: usize) -> usize {
        let bytes = text.as_bytes();
        let mut offset = end.min(bytes.len());
        loop {
            while offset > start && matches!(bytes[offset - 1], b' ' | b'\t' | b'\r' | b'\n') {
                offset -= 1;
            }
            // Comments are sorted and disjoint, so sorted by their end too.
            match self.comments.binary_search_by_key(&offset, |c| c.1) {
                Ok(index) if self.comments[index].0 >= start && self.comments[index].0 < offset => {
                    offset = self.comments[index].0
                }
                _ => return offset,
            }
        }
    }
}

pub fn opener_of(closer: u8) -> u8 {
    match closer {
        b'}' => b'{',
        b')' => b'(',
        _ => b'[',
    }
}

pub fn closer_of(opener: u8) -> u8 {
    match opener {
        b'{' => b'}',
        b'(' => b')',
        _ => b']',
    }
}
