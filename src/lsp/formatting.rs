//! Formatting through [`crate::format`], the same canonical layout as `pipesim fmt`.
//!
//! A file with syntax errors is left alone (no edits): it cannot be formatted safely, and its
//! diagnostics already say why. The answer is one edit covering only the part that changes,
//! so the editor keeps the cursor and folds where the text stays the same.

use super::document::Document;
use super::position::floor_char_boundary;
use crate::source::FileId;
use lsp_types::TextEdit;

pub fn format(doc: &Document) -> Option<Vec<TextEdit>> {
    let formatted = crate::format::format_source(FileId(0), &doc.text).ok()?;
    Some(minimal_edit(doc, &formatted).into_iter().collect())
}

/// One edit that turns the document's text into `new`, replacing only what differs between
/// their common prefix and common suffix.
fn minimal_edit(doc: &Document, new: &str) -> Option<TextEdit> {
    let old = doc.text.as_str();
    if old == new {
        return None;
    }
    let prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let prefix = floor_char_boundary(old, prefix);
    let max_suffix = (old.len() - prefix).min(new.len() - prefix);
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    // Keep both cuts on character boundaries of both texts.
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    Some(TextEdit::new(
        doc.range(prefix, old.len() - suffix),
        new[prefix..new.len() - suffix].to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Url;

    fn apply(doc: &Document, edits: &[TextEdit]) -> String {
        let mut text = doc.text.clone();
        for edit in edits.iter().rev() {
            let start = doc.offset(edit.range.start);
            let end = doc.offset(edit.range.end);
            text.replace_range(start..end, &edit.new_text);
        }
        text
    }

    fn document(text: &str) -> Document {
        Document::new(
            Url::parse("file:///f.pipesim").unwrap(),
            text.to_string(),
            1,
        )
    }

    #[test]
    fn edits_give_the_formatters_text_and_touch_only_what_changes() {
        let text = "// é𝜇 stays\nresource gpu {kind=pool capacity=8}\n\n\n\nresource cpu { kind = pool  capacity = 2 }\n";
        let doc = document(text);
        let edits = format(&doc).unwrap();
        let expected = crate::format::format_source(FileId(0), text).unwrap();
        assert_ne!(expected, text);
        assert_eq!(apply(&doc, &edits), expected);
        assert_eq!(edits.len(), 1);
        // The comment line before the first change is not part of the edit.
        assert!(edits[0].range.start.line >= 1, "{edits:?}");
        // Formatting formatted text gives no edits.
        assert_eq!(format(&document(&expected)).unwrap(), []);
    }

    #[test]
    fn a_file_with_syntax_errors_is_left_alone() {
        assert!(format(&document("resource gpu { capacity = }\n")).is_none());
    }

    #[test]
    fn minimal_edits_respect_multi_byte_characters() {
        // The texts share the first byte of `é` and `è` (both start with 0xC3).
        let doc = document("aé");
        let edit = minimal_edit(&doc, "aè").unwrap();
        assert_eq!(apply(&doc, &[edit]), "aè");
        let doc = document("x𝜇y");
        let edit = minimal_edit(&doc, "x𝜈y").unwrap();
        assert_eq!(apply(&doc, &[edit]), "x𝜈y");
    }
}
