//! `check --fix`: the quick fixes that diagnostics carry (the ones an editor offers), applied
//! from the command line, each only where it is seen to mend what it was proposed for.
//!
//! A fix is a guess (a misspelt name's nearest declaration, a kind read from a declaration's
//! contents), so each is tried on the texts in memory and the file is checked again. It is
//! kept when its diagnostic is gone and nothing new is reported where it wrote, else it is
//! dropped and the next one tried: a name changed to one of the wrong kind gives an error at
//! the name, a policy changed to one the sweep already has a warning. New reports elsewhere
//! are allowed, since analysis leaves alone what holds a mistake (a step of an unknown kind,
//! an item that did not parse), and mending it shows what is inside. Fixes are applied one at
//! a time, since each moves the text after it.
//!
//! Nothing here writes: the mended texts are kept by canonical path in a
//! [`loader::Unsaved`], which later checks read instead of the disk, and the command writes
//! or shows them at the end.

use crate::diagnostic::{Diagnostic, Fix};
use crate::frontend::{self, Checked};
use crate::loader::Unsaved;
use crate::source::{Origin, SourceMap};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// At most this many fixes are kept for one entry file, and tried: a bound on the work, should
/// fixes undo each other.
const MOST_KEPT: usize = 200;
const MOST_TRIED: usize = 1000;

/// A fix that was kept: where its diagnostic was, in the text as it was then.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// The file of the diagnostic, as diagnostics name it.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub code: &'static str,
    pub title: String,
}

/// What [`mend`] did to one entry file and what remains.
pub struct Mended {
    pub applied: Vec<Applied>,
    /// Fixes tried and dropped, since they did not mend their diagnostic, which remains.
    pub dropped: Vec<Applied>,
    /// The check of the mended texts.
    pub checked: Checked,
}

/// Applies the fixes of `entry`'s diagnostics that mend them, one at a time, until none is
/// left that does. `unsaved` holds the texts mended so far (by this or earlier entry files,
/// so a module two scenarios import is mended once) and receives the new ones; the edits may
/// reach the modules `entry` imports, never the standard library. A fix that edits a module
/// is also checked against `others` (the other files mended by the same command), and dropped
/// if it would give one of them a report it did not have: renaming a module's declaration to
/// the spelling one importer uses must not break another that uses the declared one.
pub fn mend(
    entry: &Path,
    others: &[PathBuf],
    unsaved: &mut Unsaved,
    overrides: &[String],
) -> Mended {
    let mut checked = frontend::check_unsaved(entry, unsaved, overrides);
    let entry_path = std::fs::canonicalize(entry).unwrap_or_else(|_| entry.to_path_buf());
    let mut applied = Vec::new();
    let mut refused: HashSet<(&'static str, String, String)> = HashSet::new();
    let mut dropped = Vec::new();
    let mut tried = 0;
    // The other files as the texts mended so far leave them, worked out at the first fix
    // that reaches beyond `entry`, and again after a fix is kept.
    let mut others_before: Option<Vec<(&PathBuf, Checked)>> = None;
    while applied.len() < MOST_KEPT && tried < MOST_TRIED {
        let mut kept = None;
        'search: for diagnostic in &checked.diagnostics().0 {
            for fix in diagnostic.suggested_fixes(&checked.sources) {
                let key = (
                    diagnostic.code,
                    diagnostic.message.clone(),
                    fix.title.clone(),
                );
                if refused.contains(&key) {
                    continue;
                }
                if tried == MOST_TRIED {
                    break 'search;
                }
                tried += 1;
                let Some(edited) = edited_texts(&checked.sources, &fix) else {
                    refused.insert(key);
                    continue;
                };
                let mut trial = unsaved.clone();
                for file in &edited {
                    trial.insert(file.path.clone(), file.text.clone());
                }
                let after = frontend::check_unsaved(entry, &trial, overrides);
                let at = applied_at(&checked.sources, diagnostic, fix);
                let reaches_others = edited.iter().any(|file| file.path != entry_path);
                if mends(diagnostic, &checked, &after, &edited)
                    && !(reaches_others && {
                        let before = others_before.get_or_insert_with(|| {
                            others
                                .iter()
                                .map(|file| {
                                    (file, frontend::check_unsaved(file, unsaved, overrides))
                                })
                                .collect()
                        });
                        worsens_any(before, &edited, &trial, overrides)
                    })
                {
                    kept = Some((at, trial, after));
                    break 'search;
                }
                refused.insert(key);
                dropped.push((diagnostic.message.clone(), at));
            }
        }
        let Some((fix, trial, after)) = kept else {
            break;
        };
        applied.push(fix);
        *unsaved = trial;
        checked = after;
        others_before = None;
    }
    let remains = |code: &str, message: &str| {
        checked
            .diagnostics()
            .0
            .iter()
            .any(|d| d.code == code && d.message == message)
    };
    let dropped = dropped
        .into_iter()
        .filter(|(message, at)| remains(at.code, message))
        .map(|(_, at)| at)
        .collect();
    Mended {
        applied,
        dropped,
        checked,
    }
}

/// Whether `after` shows `diagnostic` of `before` mended: fewer diagnostics with its code and
/// message, and no diagnostic new in `after` (by code and message) that touches what was
/// written.
fn mends(diagnostic: &Diagnostic, before: &Checked, after: &Checked, edited: &[Edited]) -> bool {
    if count(after, diagnostic) >= count(before, diagnostic) {
        return false;
    }
    let touches_an_edit = |d: &Diagnostic| {
        d.labels.iter().filter(|l| l.primary).any(|label| {
            let source = after.sources.get(label.span.file);
            let Origin::Disk { canonical, .. } = &source.origin else {
                return false;
            };
            let (start, end) = (label.span.start as usize, label.span.end as usize);
            // Overlapping what was written, not only next to it: a missing attribute written
            // after `trace = "jobs.csv"` may reveal a mistake in the trace's rows, reported at
            // the path just before it, which the fix did not make.
            edited
                .iter()
                .filter(|file| file.path == *canonical)
                .flat_map(|file| &file.written)
                .any(|&(from, to)| {
                    if start == end || from == to {
                        from <= end && start <= to
                    } else {
                        start < to && from < end
                    }
                })
        })
    };
    !after
        .diagnostics()
        .0
        .iter()
        .any(|d| count(after, d) > count(before, d) && touches_an_edit(d))
}

/// How many of `checked`'s diagnostics have `d`'s code and message.
fn count(checked: &Checked, d: &Diagnostic) -> usize {
    checked
        .diagnostics()
        .0
        .iter()
        .filter(|e| e.code == d.code && e.message == d.message)
        .count()
}

/// Whether any of the files checked in `before` has a diagnostic (by code and message) more
/// often with the texts of `trial`. Only a file that loads one of the `edited` ones can.
fn worsens_any(
    before: &[(&PathBuf, Checked)],
    edited: &[Edited],
    trial: &Unsaved,
    overrides: &[String],
) -> bool {
    before.iter().any(|(file, before)| {
        let loads_an_edited_file = before.sources.files().any(|(_, source)| {
            matches!(&source.origin, Origin::Disk { canonical, .. }
                if edited.iter().any(|e| e.path == *canonical))
        });
        if !loads_an_edited_file {
            return false;
        }
        let after = frontend::check_unsaved(file, trial, overrides);
        after
            .diagnostics()
            .0
            .iter()
            .any(|d| count(&after, d) > count(before, d))
    })
}

/// A file as a fix leaves it.
struct Edited {
    path: PathBuf,
    text: String,
    /// The byte ranges the fix wrote, in `text`.
    written: Vec<(usize, usize)>,
}

/// The files `fix` edits, with its edits made; None when it edits a file that is not on disk
/// (the standard library) or two of its edits overlap.
fn edited_texts(sources: &SourceMap, fix: &Fix) -> Option<Vec<Edited>> {
    let mut by_file: BTreeMap<u32, Vec<(usize, usize, &str)>> = BTreeMap::new();
    for (span, text) in &fix.edits {
        by_file.entry(span.file.0).or_default().push((
            span.start as usize,
            span.end as usize,
            text.as_str(),
        ));
    }
    if by_file.is_empty() {
        return None;
    }
    let mut files = Vec::new();
    for (file, mut edits) in by_file {
        let source = sources.get(crate::source::FileId(file));
        let Origin::Disk { canonical, .. } = &source.origin else {
            return None;
        };
        edits.sort_by_key(|&(start, end, _)| (start, end));
        let mut text = String::with_capacity(source.text.len());
        let mut written = Vec::new();
        let mut at = 0;
        for (start, end, new) in edits {
            if start < at || end < start {
                return None;
            }
            text.push_str(source.text.get(at..start)?);
            written.push((text.len(), text.len() + new.len()));
            text.push_str(new);
            at = end;
        }
        text.push_str(source.text.get(at..)?);
        files.push(Edited {
            path: canonical.clone(),
            text,
            written,
        });
    }
    Some(files)
}

fn applied_at(sources: &SourceMap, diagnostic: &Diagnostic, fix: Fix) -> Applied {
    let (file, line, column) = match diagnostic.primary_span() {
        Some(span) => {
            let source = sources.get(span.file);
            let (line, column) = source.line_column(span.start as usize);
            (source.name.clone(), line, column)
        }
        None => (String::new(), 0, 0),
    };
    Applied {
        file,
        line,
        column,
        code: diagnostic.code,
        title: fix.title,
    }
}
