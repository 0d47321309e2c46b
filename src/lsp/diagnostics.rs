//! Diagnostics as the user types: the open document's text goes through the same front end as
//! `pipesim check` (loader and analysis; imports relative to the document, read as the editor
//! has them where they are open, else from disk), and each diagnostic is published with its
//! code, message, severity, range and secondary labels.
//!
//! Diagnostics located in imported files are published to those files, so the editor shows
//! them where the mistake is; the server remembers which files it published to for each open
//! document so it can clear them when they are fixed.

use super::document::{self, Document};
use super::position::LineIndex;
use crate::diagnostic::{Diagnostic, Severity};
use crate::frontend::{self, Checked};
use crate::source::{FileId, Origin};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, DiagnosticRelatedInformation,
    DiagnosticSeverity, Location, NumberOrString, Range, TextEdit, Url, WorkspaceEdit,
};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Runs the front end on the document's text. The modules it imports are read as the editor
/// has them, where they are open (their unsaved text is what the user sees), else from disk.
pub fn check(doc: &Document, open: &HashMap<Url, Document>) -> Option<Checked> {
    let (path, unsaved) = as_the_editor_has_it(doc, open)?;
    Some(frontend::check_unsaved(&path, &unsaved, &[]))
}

/// The path the document is checked as, and the texts of the open documents (itself among
/// them) by canonical path.
fn as_the_editor_has_it(
    doc: &Document,
    open: &HashMap<Url, Document>,
) -> Option<(PathBuf, crate::loader::Unsaved)> {
    let path = match &doc.path {
        Some(path) => path.clone(),
        // A buffer never saved (`untitled:Untitled-1`): check it as if it were a file in the
        // working directory, so relative imports resolve from there.
        None => {
            let name = doc.uri.path().rsplit('/').next().unwrap_or_default();
            let name = if name.is_empty() { "untitled" } else { name };
            std::env::current_dir().ok()?.join(name)
        }
    };
    let mut unsaved: crate::loader::Unsaved = open
        .values()
        .filter_map(|other| {
            let canonical = std::fs::canonicalize(other.path.as_deref()?).ok()?;
            Some((canonical, other.text.clone()))
        })
        .collect();
    let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
    unsaved.insert(canonical, doc.text.clone());
    Some((path, unsaved))
}

/// "Fix all" (`source.fixAll`, which editors can run on save): the fixes `pipesim check
/// --fix` would keep for the document, as one action that rewrites each file they change,
/// the open ones as the editor has them. `None` when there is nothing to fix.
pub fn fix_all(doc: &Document, open: &HashMap<Url, Document>) -> Option<CodeAction> {
    let (path, before) = as_the_editor_has_it(doc, open)?;
    let mut after = before.clone();
    // A fix that renames in a module must not break the other files open beside it.
    let others: Vec<PathBuf> = open
        .values()
        .filter(|other| other.uri != doc.uri)
        .filter_map(|other| other.path.clone())
        .collect();
    let mended = crate::quickfix::mend(&path, &others, &mut after, &[]);
    if mended.applied.is_empty() {
        return None;
    }
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for (canonical, text) in &after {
        let old = match before.get(canonical) {
            Some(old) => old.clone(),
            None => std::fs::read_to_string(canonical).ok()?,
        };
        if old == *text {
            continue;
        }
        // The open document's own URI, which may name the file by another path.
        let uri = open
            .values()
            .find(|d| {
                d.path
                    .as_deref()
                    .and_then(|p| std::fs::canonicalize(p).ok())
                    .is_some_and(|p| p == *canonical)
            })
            .map(|d| d.uri.clone())
            .or_else(|| Url::from_file_path(canonical).ok())?;
        let edits = changed_lines(&Document::new(uri.clone(), old, 0), text);
        changes.insert(uri, edits);
    }
    let count = mended.applied.len();
    Some(CodeAction {
        title: match count {
            1 => format!("Fix all: {}", mended.applied[0].title),
            n => format!("Fix all: {n} fixes"),
        },
        kind: Some(CodeActionKind::SOURCE_FIX_ALL),
        edit: Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })
}

/// The edits that turn `old` into `new`, one per run of changed lines, so that an editor
/// keeps the cursor, the selection and the folds of every line the fixes leave alone (a single
/// edit of the whole document would move them all).
fn changed_lines(old: &Document, new: &str) -> Vec<TextEdit> {
    let diff = similar::TextDiff::from_lines(old.text.as_str(), new);
    let starts = |lines: &[&str]| {
        let mut at = 0;
        let mut starts = Vec::with_capacity(lines.len() + 1);
        for line in lines {
            starts.push(at);
            at += line.len();
        }
        starts.push(at);
        starts
    };
    let (old_starts, new_starts) = (starts(diff.old_slices()), starts(diff.new_slices()));
    diff.grouped_ops(0)
        .iter()
        .filter_map(|group| {
            let (first, last) = (group.first()?, group.last()?);
            let (from, to) = (first.old_range().start, last.old_range().end);
            let (new_from, new_to) = (first.new_range().start, last.new_range().end);
            Some(TextEdit::new(
                old.range(old_starts[from], old_starts[to]),
                new[new_starts[new_from]..new_starts[new_to]].to_string(),
            ))
        })
        .collect()
}

/// The diagnostics of a check, grouped by the file they are in. The document itself is always
/// present (with an empty list when it is clean).
pub fn by_file(doc: &Document, checked: &Checked) -> BTreeMap<Url, Vec<lsp_types::Diagnostic>> {
    let entry = checked.program.modules.first().map(|m| m.file);
    let mut files = Files {
        doc,
        checked,
        entry,
        cache: HashMap::new(),
    };
    let mut out: BTreeMap<Url, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
    out.insert(doc.uri.clone(), Vec::new());
    for diagnostic in &checked.diagnostics().0 {
        let (uri, range) = match diagnostic.primary_span() {
            Some(span) => match files.location(span.file, span.start as usize, span.end as usize) {
                Some(location) => (location.uri, location.range),
                None => (doc.uri.clone(), Range::default()),
            },
            None => (doc.uri.clone(), Range::default()),
        };
        let converted = convert(diagnostic, range, &mut files);
        // Each other use of the same mistake (`also named here`) gets a hint of its own, so
        // the editor marks it and offers the fixes there too; the report stays one error.
        let mut hints = Vec::new();
        for label in &diagnostic.labels {
            if label.primary || !label.text.starts_with("also ") {
                continue;
            }
            let start = label.span.start as usize;
            let Some(at) = files.location(label.span.file, start, label.span.end as usize) else {
                continue;
            };
            let report = Location::new(uri.clone(), range);
            hints.push((
                at.uri,
                lsp_types::Diagnostic {
                    range: at.range,
                    severity: Some(DiagnosticSeverity::HINT),
                    message: format!("{} ({})", diagnostic.message, label.text),
                    related_information: Some(vec![DiagnosticRelatedInformation {
                        location: report,
                        message: "the report".to_string(),
                    }]),
                    tags: None,
                    ..converted.clone()
                },
            ));
        }
        out.entry(uri).or_default().push(converted);
        for (file, hint) in hints {
            out.entry(file).or_default().push(hint);
        }
    }
    out
}

fn convert(diagnostic: &Diagnostic, range: Range, files: &mut Files) -> lsp_types::Diagnostic {
    let mut message = diagnostic.message.clone();
    let primary = diagnostic.labels.iter().find(|l| l.primary);
    if let Some(label) = primary.filter(|l| !l.text.is_empty()) {
        message.push_str(&format!("\n{}", label.text));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let primary_span = diagnostic.primary_span();
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .labels
        .iter()
        .filter(|l| Some(l.span) != primary_span || !l.primary)
        .filter(|l| !(l.primary && Some(l.span) == primary_span))
        .filter_map(|l| {
            let location =
                files.location(l.span.file, l.span.start as usize, l.span.end as usize)?;
            Some(DiagnosticRelatedInformation {
                location,
                message: if l.text.is_empty() {
                    "see here".to_string()
                } else {
                    l.text.clone()
                },
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range,
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        source: Some("pipesim".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        // Editors fade a declaration that nothing uses, as they do dead code.
        tags: (diagnostic.code == crate::analysis::codes::UNUSED_DECLARATION)
            .then(|| vec![lsp_types::DiagnosticTag::UNNECESSARY]),
        data: quick_fixes(diagnostic, files),
        ..lsp_types::Diagnostic::default()
    }
}

/// The diagnostic's fixes, kept in its `data` for `textDocument/codeAction` ([`code_actions`]):
/// `{"fixes": [{"title", "changes": {URI: [TextEdit]}}]}`. A fix may edit other files than the
/// one the diagnostic is published to (a module's declaration, for a misspelt use in the
/// scenario); one that would edit a standard library module, which is read-only, is left out.
fn quick_fixes(diagnostic: &Diagnostic, files: &mut Files) -> Option<serde_json::Value> {
    diagnostic.primary_span()?;
    let fixes: Vec<serde_json::Value> = diagnostic
        .suggested_fixes(&files.checked.sources)
        .into_iter()
        .filter_map(|fix| {
            let mut changes: BTreeMap<Url, Vec<TextEdit>> = BTreeMap::new();
            for (span, text) in &fix.edits {
                let location = files.location(span.file, span.start as usize, span.end as usize)?;
                let read_only = location
                    .uri
                    .to_file_path()
                    .is_ok_and(|path| super::document::is_stdlib_copy(&path));
                if read_only {
                    return None;
                }
                changes
                    .entry(location.uri)
                    .or_default()
                    .push(TextEdit::new(location.range, text.clone()));
            }
            Some(serde_json::json!({"title": fix.title, "changes": changes}))
        })
        .collect();
    (!fixes.is_empty()).then(|| serde_json::json!({ "fixes": fixes }))
}

/// The quick fixes of `diagnostics` (as published for a document) whose ranges meet `range`.
pub fn code_actions<'a>(
    range: Range,
    diagnostics: impl IntoIterator<Item = &'a lsp_types::Diagnostic>,
) -> Vec<CodeActionOrCommand> {
    let meets = |r: &Range| r.start <= range.end && range.start <= r.end;
    let mut actions = Vec::new();
    for diagnostic in diagnostics.into_iter().filter(|d| meets(&d.range)) {
        let Some(fixes) = diagnostic
            .data
            .as_ref()
            .and_then(|data| data.get("fixes"))
            .and_then(|f| f.as_array())
        else {
            continue;
        };
        for (index, fix) in fixes.iter().enumerate() {
            let (Some(title), Some(changes)) = (
                fix.get("title").and_then(|t| t.as_str()),
                fix.get("changes").and_then(|c| {
                    serde_json::from_value::<HashMap<Url, Vec<TextEdit>>>(c.clone()).ok()
                }),
            ) else {
                continue;
            };
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: title.to_string(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diagnostic.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(changes),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(index == 0),
                ..CodeAction::default()
            }));
        }
    }
    actions
}

/// Maps the source map's files to URIs and ranges.
struct Files<'a> {
    doc: &'a Document,
    checked: &'a Checked,
    entry: Option<FileId>,
    cache: HashMap<FileId, Option<(Url, LineIndex)>>,
}

impl Files<'_> {
    fn location(&mut self, file: FileId, start: usize, end: usize) -> Option<Location> {
        let source = self.checked.sources.get(file);
        let (doc, entry) = (self.doc, self.entry);
        let (uri, index) = self
            .cache
            .entry(file)
            .or_insert_with(|| {
                let uri = if Some(file) == entry {
                    doc.uri.clone()
                } else {
                    match &source.origin {
                        Origin::Disk { canonical, .. } => Url::from_file_path(canonical).ok()?,
                        Origin::Stdlib(path) => {
                            Url::from_file_path(document::materialise_stdlib(path)?).ok()?
                        }
                        Origin::Inline => return None,
                    }
                };
                Some((uri, LineIndex::new(&source.text)))
            })
            .as_ref()?;
        Some(Location::new(
            uri.clone(),
            index.range(&source.text, start, end),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::Position;

    #[test]
    fn diagnostics_go_to_their_files_with_secondary_labels_as_related_information() {
        let dir = tempfile::tempdir().unwrap();
        let library = "resource cpu { kind = pool  capacity = 1 }\npipeline q { train { on = nope  duration = 1s } }\n";
        std::fs::write(dir.path().join("lib.pipesim"), library).unwrap();
        let text = "import \"lib.pipesim\" as lib\nresource gpu { kind = pool  capacity = 8 }\nresource gpu { kind = pool  capacity = 2 }\n";
        let path = dir.path().join("main.pipesim");
        let uri = Url::from_file_path(&path).unwrap();
        // Never written to disk: the text is the editor's.
        let doc = Document::new(uri.clone(), text.to_string(), 3);
        let checked = check(&doc, &HashMap::new()).unwrap();
        let files = by_file(&doc, &checked);

        let here = &files[&uri];
        assert_eq!(here.len(), 1, "{here:?}");
        let twice = &here[0];
        assert_eq!(
            twice.code,
            Some(NumberOrString::String("E0201".to_string()))
        );
        assert_eq!(twice.range.start, Position::new(2, 9));
        assert!(twice.message.contains("\nhelp: "), "{}", twice.message);
        let related = twice.related_information.as_ref().unwrap();
        assert_eq!(related.len(), 1);
        assert_eq!(related[0].location.uri, uri);
        assert_eq!(related[0].location.range.start, Position::new(1, 9));

        let library_uri =
            Url::from_file_path(std::fs::canonicalize(dir.path().join("lib.pipesim")).unwrap())
                .unwrap();
        let there = &files[&library_uri];
        assert_eq!(there.len(), 1, "{there:?}");
        assert_eq!(
            there[0].code,
            Some(NumberOrString::String("E0202".to_string()))
        );
        assert_eq!(there[0].range.start, Position::new(1, 26));
    }

    #[test]
    fn a_buffer_never_saved_is_checked_too() {
        let uri = Url::parse("untitled:Untitled-1").unwrap();
        let doc = Document::new(
            uri.clone(),
            "resource gpu { kind = pool  capacity = 2s }\n".to_string(),
            1,
        );
        let checked = check(&doc, &HashMap::new()).unwrap();
        let files = by_file(&doc, &checked);
        assert_eq!(files.len(), 1);
        let codes: Vec<_> = files[&uri].iter().map(|d| d.code.clone()).collect();
        assert!(
            codes.contains(&Some(NumberOrString::String("E0301".to_string()))),
            "{codes:?}"
        );
    }
}
