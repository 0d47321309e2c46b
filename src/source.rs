//! The source map: every file pipesim reads, with its name and text, addressed by [`FileId`].
//!
//! Architecture invariant: this is the only owner of file names and source text. Everything
//! else refers to source positions through [`Span`] (a file id and a byte range), so syntax
//! trees stay small and diagnostics can always find the text they point at.

use std::path::{Path, PathBuf};

/// Index of a file in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct FileId(pub u32);

/// A byte range `[start, end)` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The smallest span covering both (they must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
}

/// Where a file came from: the standard library embedded in the binary, or the file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A `std/...` module; the string is its import path, e.g. `std/aiops`.
    Stdlib(String),
    /// A file on disk, with the path as the user named it (for messages) and canonicalised.
    Disk { shown: PathBuf, canonical: PathBuf },
    /// Text that came from the command line (`--set` values) or a test.
    Inline,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown in diagnostics.
    pub name: String,
    pub origin: Origin,
    pub text: String,
    /// Byte offset of the start of each line, for line/column conversion.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// One-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        };
        let line_start = self.line_starts[line];
        let column = self.text[line_start..floor_char_boundary(&self.text, offset)]
            .chars()
            .count();
        (line + 1, column + 1)
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        let start = floor_char_boundary(&self.text, span.start as usize);
        let end = floor_char_boundary(&self.text, span.end as usize);
        &self.text[start..end.max(start)]
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// All files of one check or run.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, origin: Origin, text: String) -> FileId {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        self.files.push(SourceFile {
            name: name.into(),
            origin,
            text,
            line_starts,
        });
        FileId((self.files.len() - 1) as u32)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// The file already loaded from this canonical path, if any.
    pub fn find_disk(&self, canonical: &Path) -> Option<FileId> {
        self.files().find_map(|(id, f)| match &f.origin {
            Origin::Disk { canonical: c, .. } if c == canonical => Some(id),
            _ => None,
        })
    }

    /// The standard-library module already loaded under this import path, if any.
    pub fn find_stdlib(&self, path: &str) -> Option<FileId> {
        self.files().find_map(|(id, f)| match &f.origin {
            Origin::Stdlib(p) if p == path => Some(id),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let mut map = SourceMap::new();
        let id = map.add("t", Origin::Inline, "ab\n\u{e9}cd\n".to_string());
        let file = map.get(id);
        assert_eq!(file.line_column(0), (1, 1));
        assert_eq!(file.line_column(3), (2, 1));
        // `c` follows a two-byte character: byte 5, column 2.
        assert_eq!(file.line_column(5), (2, 2));
        assert_eq!(file.line_column(100), (3, 1));
    }
}
