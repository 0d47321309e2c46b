//! An open document (or an imported module read for navigation): its text, line index and
//! structural scan, kept together so they always describe the same text; and how `import`
//! paths find the modules they name.

use super::position::LineIndex;
use super::scan::Outline;
use lsp_types::{Position, Range, Url};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Document {
    pub uri: Url,
    /// The file's path when the URI is a `file:` URI.
    pub path: Option<PathBuf>,
    pub version: i32,
    pub text: String,
    pub index: LineIndex,
    pub outline: Outline,
    /// Each pool's offered load, from the document's last check without errors (hover shows
    /// it on the pool); empty before that, or for a module without a scenario.
    pub loads: Vec<crate::analysis::load::ResourceLoad>,
    /// What the document's scenario reports, imported modules' templates and resources
    /// included, from its last check that lowered a scenario (completion offers these
    /// metrics beside the ones this file declares); kept through checks that do not lower,
    /// such as while a metric name is half typed.
    pub lowered: LoweredMetrics,
}

/// The metric names of a lowered scenario, for completion.
#[derive(Clone, Debug, Default)]
pub struct LoweredMetrics {
    /// Every metric a run reports without being asked (`analysis::paths::metric_names`).
    pub reported: Vec<String>,
    /// Each template's name, and whether it has a `deadline` (then its own `late` exists).
    pub templates: Vec<(String, bool)>,
}

impl Document {
    pub fn new(uri: Url, text: String, version: i32) -> Document {
        let path = uri.to_file_path().ok();
        let index = LineIndex::new(&text);
        let outline = Outline::scan(&text);
        Document {
            uri,
            path,
            version,
            text,
            index,
            outline,
            loads: Vec::new(),
            lowered: LoweredMetrics::default(),
        }
    }

    /// Replaces a range of the text (or all of it) and rescans.
    pub fn apply_change(&mut self, range: Option<Range>, new_text: &str) {
        match range {
            None => self.text = new_text.to_string(),
            Some(range) => {
                let start = self.index.offset(&self.text, range.start);
                let end = self.index.offset(&self.text, range.end).max(start);
                self.text.replace_range(start..end, new_text);
            }
        }
        self.index = LineIndex::new(&self.text);
        self.outline = Outline::scan(&self.text);
    }

    pub fn offset(&self, position: Position) -> usize {
        self.index.offset(&self.text, position)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        self.index.range(&self.text, start, end)
    }

    /// The whole line around `offset`, without its terminator.
    pub fn line_at(&self, offset: usize) -> &str {
        let offset = super::position::floor_char_boundary(&self.text, offset);
        let start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i);
        self.text[start..end].trim_end_matches('\r')
    }

    /// The `//` comment lines right above the line holding `offset`, without the slashes.
    pub fn comments_above(&self, offset: usize) -> Vec<String> {
        let offset = super::position::floor_char_boundary(&self.text, offset);
        let line_start = self.text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let mut lines: Vec<String> = Vec::new();
        for line in self.text[..line_start].lines().rev() {
            let trimmed = line.trim();
            match trimmed.strip_prefix("//") {
                Some(comment) => lines.push(comment.trim().to_string()),
                None => break,
            }
        }
        lines.reverse();
        lines
    }
}

/// The embedded text of a standard-library module, by import path (`std/aiops`).
pub fn stdlib_text(import_path: &str) -> Option<&'static str> {
    crate::loader::STDLIB
        .iter()
        .find(|(path, _)| *path == import_path)
        .map(|(_, text)| *text)
}

/// Where a standard-library module is written so an editor can open it: a read-only copy under
/// the user's cache directory (`$XDG_CACHE_HOME/pipesim/std/NAME.pipesim`). Rewritten only when
/// its text differs from the embedded one (another pipesim version wrote it).
pub fn materialise_stdlib(import_path: &str) -> Option<PathBuf> {
    let text = stdlib_text(import_path)?;
    let name = import_path.strip_prefix("std/")?;
    if name.is_empty() || name.contains(['/', '\\', '.']) {
        return None;
    }
    let dir = cache_dir().join("pipesim").join("std");
    let path = dir.join(format!("{name}.pipesim"));
    if std::fs::read_to_string(&path).is_ok_and(|existing| existing == text) {
        return Some(path);
    }
    std::fs::create_dir_all(&dir).ok()?;
    // Written to a temporary name, then renamed into place, so a reader never sees half a file.
    let file = tempfile::NamedTempFile::new_in(&dir).ok()?;
    std::fs::write(file.path(), text).ok()?;
    let mut permissions = std::fs::metadata(file.path()).ok()?.permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(file.path(), permissions).ok()?;
    file.persist(&path).ok()?;
    Some(path)
}

/// Whether `path` is a standard-library module's read-only copy (see [`materialise_stdlib`]).
pub fn is_stdlib_copy(path: &Path) -> bool {
    path.starts_with(cache_dir().join("pipesim").join("std"))
}

fn cache_dir() -> PathBuf {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty("XDG_CACHE_HOME") {
        return PathBuf::from(dir);
    }
    if let Some(home) = non_empty("HOME") {
        return PathBuf::from(home).join(".cache");
    }
    std::env::temp_dir()
}

/// The file an import path names, relative to the importing document as the loader resolves
/// it; `std/...` gives the materialised standard-library copy.
pub fn import_target(importer: &Document, import_path: &str) -> Option<PathBuf> {
    if import_path.starts_with("std/") {
        return materialise_stdlib(import_path);
    }
    let path = importer.path.as_deref()?.parent()?.join(import_path);
    path.is_file().then_some(path)
}

/// The module an import names, read for navigation: the open document when the editor has it
/// (its unsaved text is what the user sees), otherwise the file.
pub fn load_import(
    importer: &Document,
    import_path: &str,
    open: &HashMap<Url, Document>,
) -> Option<Document> {
    let path = import_target(importer, import_path)?;
    let uri = Url::from_file_path(&path).ok()?;
    if let Some(doc) = open.get(&uri) {
        return Some(doc.clone());
    }
    let text = match stdlib_text(import_path) {
        Some(text) => text.to_string(),
        None => std::fs::read_to_string(&path).ok()?,
    };
    Some(Document::new(uri, text, 0))
}

/// A `file:` URI for a path, made absolute first (URIs cannot hold relative paths).
pub fn file_uri(path: &Path) -> Option<Url> {
    let absolute = std::path::absolute(path).ok()?;
    Url::from_file_path(absolute).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ranged_change_edits_at_utf16_positions_and_rescans() {
        let uri = Url::parse("file:///d.pipesim").unwrap();
        let mut doc = Document::new(uri, "// 𝜇\nresource gpu { }\n".to_string(), 1);
        // Replace `gpu` (line 1, columns 9-12) with `tpu`; then insert after the `𝜇` (column 5).
        doc.apply_change(
            Some(Range::new(Position::new(1, 9), Position::new(1, 12))),
            "tpu",
        );
        doc.apply_change(
            Some(Range::new(Position::new(0, 5), Position::new(0, 5))),
            "!",
        );
        assert_eq!(doc.text, "// 𝜇!\nresource tpu { }\n");
        assert!(doc.outline.decl("tpu").is_some());
        doc.apply_change(None, "dataset d { }\n");
        assert!(doc.outline.decl("d").is_some() && doc.outline.decl("tpu").is_none());
    }

    #[test]
    fn comments_above_stop_at_a_blank_line() {
        let uri = Url::parse("file:///d.pipesim").unwrap();
        let text = "// header\n\n// The GPUs.\n// Eight of them.\nresource gpu { }\n";
        let doc = Document::new(uri, text.to_string(), 1);
        let at = text.find("resource").unwrap();
        assert_eq!(doc.comments_above(at), ["The GPUs.", "Eight of them."]);
        assert_eq!(doc.line_at(at + 3), "resource gpu { }");
    }
}
