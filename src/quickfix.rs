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
    let mut origins = Origins::default();
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
                let offset = primary_offset(&checked.sources, diagnostic);
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
                    kept = Some(((at, offset), trial, after, edited));
                    break 'search;
                }
                refused.insert(key);
                dropped.push((diagnostic.message.clone(), (at, offset), applied.len()));
            }
        }
        let Some((fix, trial, after, edited)) = kept else {
            break;
        };
        origins.keep(&checked.sources, &edited);
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
        .filter(|(message, (at, _), _)| remains(at.code, message))
        .map(|(_, at, before)| origins.place(at, before))
        .collect();
    let applied = applied
        .into_iter()
        .enumerate()
        .map(|(before, at)| origins.place(at, before))
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
    /// The length of what each of `written` replaced.
    replaced: Vec<usize>,
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
        let mut replaced = Vec::new();
        let mut at = 0;
        for (start, end, new) in edits {
            if start < at || end < start {
                return None;
            }
            text.push_str(source.text.get(at..start)?);
            written.push((text.len(), text.len() + new.len()));
            replaced.push(end - start);
            text.push_str(new);
            at = end;
        }
        text.push_str(source.text.get(at..)?);
        files.push(Edited {
            path: canonical.clone(),
            text,
            written,
            replaced,
        });
    }
    Some(files)
}

/// The file (canonical) and byte offset of `diagnostic`'s primary label, where it is on disk.
fn primary_offset(sources: &SourceMap, diagnostic: &Diagnostic) -> Option<(PathBuf, usize)> {
    let span = diagnostic.primary_span()?;
    match &sources.get(span.file).origin {
        Origin::Disk { canonical, .. } => Some((canonical.clone(), span.start as usize)),
        _ => None,
    }
}

/// A text a fix wrote: its start and end in the text after the fix, and the length of what
/// it replaced.
type Write = (usize, usize, usize);

/// The fixes kept so far, to report each fix where its mistake is in the files as they were
/// before the first (the text the user has open), not in a text mended by earlier fixes that
/// nobody sees: a fix that writes a line moves every later position.
#[derive(Default)]
struct Origins {
    /// Per kept fix, per file it edited, each text it wrote.
    kept: Vec<Vec<(PathBuf, Vec<Write>)>>,
    /// The text of each file before the first fix that edited it, to count lines in.
    first: SourceMap,
    ids: std::collections::HashMap<PathBuf, crate::source::FileId>,
}

impl Origins {
    fn keep(&mut self, before: &SourceMap, edited: &[Edited]) {
        for file in edited {
            if self.ids.contains_key(&file.path) {
                continue;
            }
            let source = before.files().map(|(_, source)| source).find(|source| {
                matches!(&source.origin, Origin::Disk { canonical, .. } if *canonical == file.path)
            });
            if let Some(source) = source {
                let id = self.first.add(
                    source.name.clone(),
                    source.origin.clone(),
                    source.text.clone(),
                );
                self.ids.insert(file.path.clone(), id);
            }
        }
        self.kept.push(
            edited
                .iter()
                .map(|file| {
                    let writes = file
                        .written
                        .iter()
                        .zip(&file.replaced)
                        .map(|(&(start, end), &replaced)| (start, end, replaced))
                        .collect();
                    (file.path.clone(), writes)
                })
                .collect(),
        );
    }

    /// `at` (found after the first `before` kept fixes, at `offset`) with its line and column
    /// in the text before any of them.
    fn place(
        &self,
        (mut at, offset): (Applied, Option<(PathBuf, usize)>),
        before: usize,
    ) -> Applied {
        let Some((path, mut offset)) = offset else {
            return at;
        };
        let Some(&id) = self.ids.get(&path) else {
            // No kept fix edited this file: its text is the first.
            return at;
        };
        for fix in self.kept[..before.min(self.kept.len())].iter().rev() {
            for (file, writes) in fix {
                if *file == path {
                    offset = back_through(writes, offset);
                }
            }
        }
        (at.line, at.column) = self.first.get(id).line_column(offset);
        at
    }
}

/// The offset in the text before a fix of `offset` in the text after it, which `writes`
/// (start, end, length replaced; in order) made: inside what was written, where it was.
fn back_through(writes: &[Write], offset: usize) -> usize {
    let mut grown = 0isize;
    for &(start, end, replaced) in writes {
        if offset < start {
            break;
        }
        if offset < end {
            return start.saturating_add_signed(-grown);
        }
        grown += (end - start) as isize - replaced as isize;
    }
    offset.saturating_add_signed(-grown)
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
