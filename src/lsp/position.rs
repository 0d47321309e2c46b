//! Conversion between byte offsets in a document's text and LSP positions.
//!
//! LSP positions are a zero-based line and a column counted in UTF-16 code units (the protocol's
//! default encoding, and the only one this server offers). Lines end at `\n`, `\r\n` or `\r`,
//! as the protocol defines them.
//!
//! Invariant: conversion is total. An offset inside a multi-byte character is floored to the
//! character's start; a position past the end of its line is clamped to the line's end (before
//! its terminator), a line past the last is clamped to the end of the text, and a column that
//! falls between the two halves of a surrogate pair maps to the start of that character. So any
//! position a client sends gives a valid `&text[..offset]` slice.

use lsp_types::{Position, Range};

/// Line starts of one text, for offset ↔ position conversion.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the start of each line; the first is 0.
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            line_starts,
            len: text.len(),
        }
    }

    /// The position of a byte offset (clamped to the text, floored to a character boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(self.len));
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        };
        let start = self.line_starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(
            self.position(text, start),
            self.position(text, end.max(start)),
        )
    }

    /// The byte offset of a position, clamped as the module docs say.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let line = position.line as usize;
        let Some(&start) = self.line_starts.get(line) else {
            return text.len();
        };
        let end = self.line_end(text, line);
        let mut remaining = position.character as usize;
        for (i, c) in text[start..end].char_indices() {
            let width = c.len_utf16();
            if remaining < width {
                return start + i;
            }
            remaining -= width;
        }
        end
    }

    /// The offset where `line`'s text ends, before its terminator.
    fn line_end(&self, text: &str, line: usize) -> usize {
        let mut end = self.line_starts.get(line + 1).copied().unwrap_or(self.len);
        let bytes = text.as_bytes();
        if end > self.line_starts[line] && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > self.line_starts[line] && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        end
    }
}

pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) {
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            if text[..offset].ends_with('\r') && text[offset..].starts_with('\n') {
                // Between `\r` and `\n`: not a place a position can name.
                continue;
            }
            let position = index.position(text, offset);
            assert_eq!(index.offset(text, position), offset, "{text:?} at {offset}");
        }
    }

    #[test]
    fn columns_count_utf16_code_units() {
        // `é` is 2 bytes and 1 UTF-16 unit; `𝜇` is 4 bytes and 2 units (a surrogate pair).
        let text = "// é𝜇\nresource gpu { }\n";
        let index = LineIndex::new(text);
        let after_e = "// é".len();
        assert_eq!(index.position(text, after_e), Position::new(0, 4));
        let after_mu = "// é𝜇".len();
        assert_eq!(index.position(text, after_mu), Position::new(0, 6));
        let gpu = text.find("gpu").unwrap();
        assert_eq!(index.position(text, gpu), Position::new(1, 9));
        assert_eq!(index.offset(text, Position::new(1, 9)), gpu);
        assert_eq!(index.offset(text, Position::new(0, 6)), after_mu);
        roundtrip(text);
    }

    #[test]
    fn positions_are_clamped_and_never_split_characters() {
        let text = "a𝜇b\r\nzz";
        let index = LineIndex::new(text);
        // Column 2 is between the surrogate halves of `𝜇`: the character's start.
        assert_eq!(index.offset(text, Position::new(0, 2)), 1);
        // Past the end of the line: before `\r\n`.
        assert_eq!(index.offset(text, Position::new(0, 99)), "a𝜇b".len());
        // Past the last line: the end of the text.
        assert_eq!(index.offset(text, Position::new(7, 0)), text.len());
        // An offset inside `𝜇` floors to its start.
        assert_eq!(index.position(text, 3), Position::new(0, 1));
        assert_eq!(index.position(text, 999), Position::new(1, 2));
        roundtrip(text);
    }

    #[test]
    fn all_three_line_terminators_end_a_line() {
        let text = "a\nb\r\nc\rd";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, text.find('b').unwrap()),
            Position::new(1, 0)
        );
        assert_eq!(
            index.position(text, text.find('c').unwrap()),
            Position::new(2, 0)
        );
        assert_eq!(
            index.position(text, text.find('d').unwrap()),
            Position::new(3, 0)
        );
        roundtrip(text);
    }
}
