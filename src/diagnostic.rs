//! Diagnostics: what pipesim tells a user about a mistake in a scenario, and how it is shown.
//!
//! A [`Diagnostic`] is plain data (severity, stable code, message, labelled spans, help) so that
//! every phase can produce many of them and keep going; rendering happens once, at the edge,
//! through miette (graphical on a terminal, plain text when piped, colourless in tests) or as
//! the JSON of the command-line contract.
//!
//! Style of messages: lower case, names in backticks, no final full stop; the message says what
//! was expected and what was found, the help says how to fix it.

use crate::source::{FileId, SourceMap, Span};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A span with a short text shown under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub text: String,
    /// The primary label is where the mistake is; others explain (e.g. "first declared here").
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code such as `E0201`, listed in [`crate::analysis::codes`] or the syntax module.
    pub code: &'static str,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// How to mend it, for editors; boxed, since few diagnostics have one and every phase
    /// passes diagnostics by value.
    pub repair: Option<Box<Repair>>,
}

/// What an editor can offer to mend a diagnostic (see [`Diagnostic::suggested_fixes`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Repair {
    /// Edits that mend it, best first, beside the one `replacement` or a "did you mean" help
    /// proposes.
    pub fixes: Vec<Fix>,
    /// What the primary label's text should read, where it is a misspelt name.
    pub replacement: Option<String>,
    /// The replacement is the primary label's name qualified (`aiops.asset` for `asset`
    /// where only the import declares it), not a slip: it is offered however far apart
    /// the two are.
    pub qualified: bool,
    /// Edits offered after the replacement, as less likely: for a name used once against a
    /// declaration nothing else names, renaming the declaration instead of the use.
    pub alternatives: Vec<Fix>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            repair: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Adds the primary label: where the mistake is.
    pub fn primary(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: true,
        });
        self
    }

    /// Adds a secondary label: a place that explains the mistake.
    pub fn secondary(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            text: text.into(),
            primary: false,
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The first primary label's span, or the first label's.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }

    /// The edits that mend it, best first, for an editor's quick fixes: those its
    /// [`Repair`] lists, then the one its misspelt name proposes.
    pub fn suggested_fixes(&self, sources: &SourceMap) -> Vec<Fix> {
        let mut fixes = self
            .repair
            .as_ref()
            .map(|r| r.fixes.clone())
            .unwrap_or_default();
        fixes.extend(self.change_each(sources));
        if let Some(repair) = &self.repair {
            fixes.extend(repair.alternatives.iter().cloned());
        }
        // Fixes write new lines as `\n`; a file whose lines end in `\r\n` keeps them so.
        for fix in &mut fixes {
            for (span, text) in &mut fix.edits {
                if text.contains('\n') && uses_crlf(&sources.get(span.file).text) {
                    *text = text.replace("\r\n", "\n").replace('\n', "\r\n");
                }
            }
        }
        fixes
    }

    /// Says that the primary label marks a slip for `meant` (a misspelt name).
    pub fn replacement(mut self, meant: impl Into<String>) -> Diagnostic {
        self.repair.get_or_insert_default().replacement = Some(meant.into());
        self
    }

    /// Says that the primary label's name should be written `meant`, the same name reached
    /// another way (through an import's alias, or the pipeline's data set's qualified name).
    pub fn qualified(mut self, meant: impl Into<String>) -> Diagnostic {
        let repair = self.repair.get_or_insert_default();
        repair.replacement = Some(meant.into());
        repair.qualified = true;
        self
    }

    /// "Change `gpuu` to `gpu`": the misspelt text of the primary label becomes what
    /// [`Diagnostic::replacement`] or a help of the form "did you mean `X`?" names, and so
    /// does each other label in that file that shows it (the other uses of a misspelt name,
    /// a sweep `gpuu.capacity`, a metric `"resource.gpuu.utilization"`). Only when the
    /// primary label's text is one slip from it (as [`suggest`] judges, part by part for a
    /// help's), so a help that suggests something other than a replacement of the marked
    /// text proposes nothing.
    fn change_each(&self, sources: &SourceMap) -> Option<Fix> {
        // A replacement is the phase's own judgement (a file that exists one slip away, a
        // sweep path corrected part by part); a help's "did you mean" is a name's nearest
        // candidate, a slip only where each dotted part is one.
        let (meant, judged) = match self.repair.as_ref().and_then(|r| r.replacement.as_ref()) {
            Some(meant) => (meant.as_str(), true),
            None => {
                let rest = self.help.as_deref()?.strip_prefix("did you mean `")?;
                (&rest[..rest.find('`')?], false)
            }
        };
        let primary = self.labels.iter().find(|l| l.primary)?.span;
        let text = sources.get(primary.file).text.as_str();
        let marked = text.get(primary.start as usize..primary.end as usize)?;
        let wrong = marked.trim_matches('"');
        let qualified = self.repair.as_ref().is_some_and(|r| r.qualified);
        let slip = if qualified {
            wrong != meant
        } else if judged {
            suggest(wrong, [meant]).is_some()
        } else {
            is_slip(wrong, meant)
        };
        if !slip {
            return None;
        }
        let mut edits: Vec<(Span, String)> = Vec::new();
        for label in self.labels.iter().filter(|l| l.span.file == primary.file) {
            if let Some(at) = occurrence(text, label.span, wrong) {
                if !edits.iter().any(|(span, _)| *span == at) {
                    edits.push((at, meant.to_string()));
                }
            }
        }
        // A fix that edits nothing would be offered and do nothing.
        (!edits.is_empty()).then(|| Fix {
            title: format!("Change `{wrong}` to `{meant}`"),
            edits,
        })
    }
}

/// Whether `meant` reads as `wrong` with a slip in some of its dotted parts, each judged as
/// [`suggest`] judges a name: `gpu.capacit` for `gpu.capacity`, not `resource..utilization`
/// for `resource.cpu.utilization` (a missing part is not a slip, and over the whole name a
/// few letters would seem one).
fn is_slip(wrong: &str, meant: &str) -> bool {
    let (wrong_parts, meant_parts): (Vec<&str>, Vec<&str>) =
        (wrong.split('.').collect(), meant.split('.').collect());
    wrong != meant
        && wrong_parts.len() == meant_parts.len()
        && wrong_parts
            .iter()
            .zip(&meant_parts)
            .all(|(w, m)| w == m || suggest(w, [*m]).is_some())
}

/// Where `name` is in the text `span` marks: all of it, its first part (`gpu` in
/// `gpu.capacity`), or, in a quoted string, all of its text or one of its dotted parts
/// (`"resource.gpu.queue"`).
fn occurrence(text: &str, span: Span, name: &str) -> Option<Span> {
    let (start, end) = (span.start as usize, span.end as usize);
    let marked = text.get(start..end)?;
    let at = |offset: usize| {
        Some(Span::new(
            span.file,
            start + offset,
            start + offset + name.len(),
        ))
    };
    if marked == name
        || marked
            .strip_prefix(name)
            .is_some_and(|t| t.starts_with('.'))
    {
        return at(0);
    }
    let inner = marked.strip_prefix('"')?.strip_suffix('"')?;
    if inner == name {
        return at(1);
    }
    let mut offset = 1;
    for part in inner.split('.') {
        if part == name {
            return at(offset);
        }
        offset += part.len() + 1;
    }
    None
}

/// A replacement that mends a diagnostic: each span's text becomes the string.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<(Span, String)>,
}

/// Diagnostics collected by a phase; phases push and keep going rather than stopping at the
/// first mistake.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorts by file, position, then severity, and removes exact duplicates, so output is
    /// stable whatever order the phases found them in.
    pub fn sort(&mut self) {
        self.0.sort_by_key(|d| {
            let span = d.primary_span();
            (
                span.map(|s| (s.file, s.start, s.end)),
                d.severity,
                d.code,
                d.message.clone(),
            )
        });
        self.0.dedup();
    }
}

/// How diagnostics are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Unicode boxes and colours, for a terminal.
    Fancy,
    /// Unicode boxes without colour: what snapshot tests record.
    Colourless,
    /// ASCII only, no colour, for pipes and logs.
    Plain,
}

/// Renders diagnostics as miette reports, one after the other.
pub fn render(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    style: Style,
    width: usize,
) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let theme = match style {
        Style::Fancy => GraphicalTheme::unicode(),
        Style::Colourless => GraphicalTheme::unicode_nocolor(),
        Style::Plain => GraphicalTheme::none(),
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_links(false);
    let mut out = String::new();
    for d in diagnostics {
        let report = MietteReport::new(sources, d);
        if handler.render_report(&mut out, &report).is_err() {
            // Rendering into a String cannot fail for I/O reasons; fall back to the message.
            out.push_str(&d.message);
        }
        out.push('\n');
    }
    out
}

/// How many warnings of one code in one file are drawn in full: past that (a generated
/// scenario's 400 unused pools) the rest are one line, so that the output does not flood.
pub const DRAWN_PER_CODE: usize = 10;

/// The diagnostics to draw, and one line for each code whose warnings in one file are more
/// than [`DRAWN_PER_CODE`], naming how many more there are and where. Errors are all drawn:
/// each needs mending. Only the drawn report folds them: JSON, annotations and the language
/// server keep every diagnostic.
pub fn fold_repeats(
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
) -> (Vec<Diagnostic>, Vec<String>) {
    type Key = (&'static str, Option<FileId>);
    let mut drawn = Vec::new();
    let mut counts: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
    let mut folded: Vec<(Key, Vec<Span>, usize)> = Vec::new();
    for d in diagnostics {
        let key = (d.code, d.primary_span().map(|s| s.file));
        let count = counts.entry(key).or_insert(0);
        *count += 1;
        if d.is_error() || *count <= DRAWN_PER_CODE {
            drawn.push(d.clone());
            continue;
        }
        let at = folded
            .iter()
            .position(|(k, _, _)| *k == key)
            .unwrap_or_else(|| {
                folded.push((key, Vec::new(), 0));
                folded.len() - 1
            });
        folded[at].2 += 1;
        folded[at].1.extend(d.primary_span());
    }
    let notes = folded
        .into_iter()
        .map(|((code, file), spans, count)| {
            let place = match (file, spans.first(), spans.last()) {
                (Some(file), Some(first), Some(last)) => {
                    let source = sources.get(file);
                    let line = |span: &Span| source.line_column(span.start as usize).0;
                    let (from, to) = (line(first), line(last));
                    let lines = if from == to {
                        format!("line {from}")
                    } else {
                        format!("lines {from} to {to}")
                    };
                    format!(" in {} ({lines})", source.name)
                }
                _ => String::new(),
            };
            format!(
                "warning[{code}]: {count} more like the above{place}, not shown; `--format json` lists every one"
            )
        })
        .collect();
    (drawn, notes)
}

/// One line summing up a check: "2 errors, 1 warning".
pub fn summary_line(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

/// The JSON form of the command-line contract: one object per diagnostic.
#[derive(serde::Serialize)]
pub struct JsonDiagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub help: Option<String>,
    /// The edits that mend it, best first (what an editor offers as quick fixes); absent
    /// when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<JsonFix>,
}

#[derive(serde::Serialize)]
pub struct JsonFix {
    pub title: String,
    pub edits: Vec<JsonEdit>,
}

/// Replace the text from `line:column` to `end_line:end_column` (1-based, columns in
/// characters, end exclusive, as for the diagnostic's own span) with `replacement`.
#[derive(serde::Serialize)]
pub struct JsonEdit {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub replacement: String,
}

pub fn to_json(sources: &SourceMap, diagnostics: &[Diagnostic]) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| {
            let span = d.primary_span();
            let file = span.map(|s| sources.get(s.file));
            let start = span.zip(file).map(|(s, f)| f.line_column(s.start as usize));
            let end = span.zip(file).map(|(s, f)| f.line_column(s.end as usize));
            JsonDiagnostic {
                severity: d.severity,
                code: d.code,
                message: d.message.clone(),
                file: file.map(|f| f.name.clone()),
                line: start.map(|p| p.0),
                column: start.map(|p| p.1),
                end_line: end.map(|p| p.0),
                end_column: end.map(|p| p.1),
                help: d.help.clone(),
                fixes: d
                    .suggested_fixes(sources)
                    .into_iter()
                    .map(|fix| JsonFix {
                        title: fix.title,
                        edits: fix
                            .edits
                            .into_iter()
                            .map(|(span, replacement)| {
                                let file = sources.get(span.file);
                                let (line, column) = file.line_column(span.start as usize);
                                let (end_line, end_column) = file.line_column(span.end as usize);
                                JsonEdit {
                                    file: file.name.clone(),
                                    line,
                                    column,
                                    end_line,
                                    end_column,
                                    replacement,
                                }
                            })
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// GitHub Actions workflow commands, one line per diagnostic: `::error file=F,line=L,
/// col=C,endLine=L2,endColumn=C2,title=CODE::MESSAGE` (or `::warning`), which GitHub shows
/// as annotations on those lines of a pull request. The help follows the message on a line of
/// its own. A diagnostic in no file on disk (a `--set` value) names no file, and GitHub shows
/// it on the run instead.
pub fn to_github(sources: &SourceMap, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (d, json) in diagnostics.iter().zip(to_json(sources, diagnostics)) {
        let on_disk = d.primary_span().is_some_and(|span| {
            !matches!(sources.get(span.file).origin, crate::source::Origin::Inline)
        });
        let mut properties = Vec::new();
        if let (true, Some(file)) = (on_disk, &json.file) {
            properties.push(format!("file={}", github_property(file)));
            let place = [
                ("line", json.line),
                ("col", json.column),
                ("endLine", json.end_line),
                ("endColumn", json.end_column),
            ];
            for (name, value) in place {
                if let Some(value) = value {
                    properties.push(format!("{name}={value}"));
                }
            }
        }
        properties.push(format!("title={}", github_property(json.code)));
        let mut message = json.message.clone();
        if let Some(help) = &json.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            github_data(&message)
        ));
    }
    out
}

/// A workflow command's message: `%`, CR and LF escaped, as GitHub's toolkit escapes them.
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: also `:` and `,`, which end a property.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// Adapts a [`Diagnostic`] to miette. miette draws labels from one source per report, so
/// labels in other files (an earlier declaration in an imported module) become related
/// reports, each with its own source.
struct MietteReport {
    severity: miette::Severity,
    code: &'static str,
    message: String,
    help: Option<String>,
    source: Option<miette::NamedSource<String>>,
    labels: Vec<miette::LabeledSpan>,
    related: Vec<MietteReport>,
}

impl MietteReport {
    fn new(sources: &SourceMap, d: &Diagnostic) -> MietteReport {
        let main_file = d.primary_span().map(|s| s.file);
        let mut related = Vec::new();
        let mut other_files: Vec<FileId> = d
            .labels
            .iter()
            .map(|l| l.span.file)
            .filter(|f| Some(*f) != main_file)
            .collect();
        other_files.dedup();
        for file in other_files {
            related.push(MietteReport {
                // A pointer to more of the same mistake, not a second one: miette heads it
                // `Advice:` rather than `Error:`.
                severity: miette::Severity::Advice,
                code: "",
                message: format!("see also `{}`", sources.get(file).name),
                help: None,
                source: drawable(sources, d, file).then(|| named_source(sources, file)),
                labels: if drawable(sources, d, file) {
                    labels_in(sources, d, file)
                } else {
                    Vec::new()
                },
                related: Vec::new(),
            });
        }
        MietteReport {
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            code: d.code,
            message: d.message.clone(),
            help: d.help.clone(),
            source: main_file
                .filter(|f| drawable(sources, d, *f))
                .map(|f| named_source(sources, f)),
            labels: main_file
                .filter(|f| drawable(sources, d, *f))
                .map(|f| labels_in(sources, d, f))
                .unwrap_or_default(),
            related,
        }
    }
}

/// Whether miette can draw the labels in `file`: it panics on a label beyond column 65535 of
/// a line (an overflowing format width), and such a snippet would be unreadable anyway, so
/// the report then goes without it.
fn drawable(sources: &SourceMap, d: &Diagnostic, file: FileId) -> bool {
    let source = sources.get(file);
    d.labels.iter().filter(|l| l.span.file == file).all(|l| {
        source.line_column(l.span.start as usize).1 < 10_000
            && source.line_column(l.span.end as usize).1 < 10_000
    })
}

fn named_source(sources: &SourceMap, file: FileId) -> miette::NamedSource<String> {
    let f = sources.get(file);
    miette::NamedSource::new(f.name.clone(), f.text.clone())
}

fn labels_in(sources: &SourceMap, d: &Diagnostic, file: FileId) -> Vec<miette::LabeledSpan> {
    let text_len = sources.get(file).text.len();
    d.labels
        .iter()
        .filter(|l| l.span.file == file)
        .map(|l| {
            let start = (l.span.start as usize).min(text_len);
            let len = (l.span.end as usize).min(text_len).saturating_sub(start);
            let text = (!l.text.is_empty()).then(|| l.text.clone());
            if l.primary {
                miette::LabeledSpan::new_primary_with_span(text, (start, len))
            } else {
                miette::LabeledSpan::new_with_span(text, (start, len))
            }
        })
        .collect()
}

impl fmt::Debug for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for MietteReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteReport {}

impl miette::Diagnostic for MietteReport {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// "Did you mean" for a misspelt name: the closest candidate within a small edit distance.
pub fn suggest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    suggest_preferring(wrong, candidates, |_| false)
}

/// [`suggest`], where among the nearest candidates one that `preferred` accepts comes first
/// (`gpu` against `gp`, nothing else names, and `cpu`, which steps run on).
///
/// A slip is judged on the dotted parts that differ: `profiles.office` is not one slip from
/// `profiles.flat`, though five edits in fifteen letters would be. Without a slip, a name
/// written in part (`office` for `office_hours`, `size` for `size_gb`) means the one
/// candidate it starts, up to a `_`.
pub fn suggest_preferring<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    preferred: impl Fn(&str) -> bool,
) -> Option<&'a str> {
    let candidates: Vec<&'a str> = candidates.into_iter().collect();
    let slip = candidates
        .iter()
        // A name in other capitals (`GPU` for `gpu`) is the nearest slip there is, however
        // many letters it changes.
        .map(|&c| {
            let distance = if wrong.eq_ignore_ascii_case(c) {
                0
            } else {
                strsim::damerau_levenshtein(wrong, c)
            };
            (distance, c)
        })
        .filter(|&(distance, c)| {
            let (wrong_rest, c_rest) = after_common_parts(wrong, c);
            let longer = wrong_rest.chars().count().max(c_rest.chars().count());
            // One letter for another (`x` for `a`) is a different name, not a slip.
            c != wrong && (distance == 0 || (longer > 1 && distance <= (longer / 3).max(1)))
        })
        .min_by_key(|(distance, c)| (*distance, !preferred(c), *c))
        .map(|(_, c)| c);
    slip.or_else(|| {
        if wrong.rsplit('.').next().is_none_or(|last| last.len() < 3) {
            return None;
        }
        let mut starting = candidates.iter().filter(|c| {
            c.strip_prefix(wrong)
                .is_some_and(|rest| rest.starts_with('_'))
        });
        match (starting.next(), starting.next()) {
            (Some(&only), None) => Some(only),
            _ => None,
        }
    })
}

/// `a` and `b` without the dotted parts they begin with in common (`office` and `flat` for
/// `profiles.office` and `profiles.flat`).
fn after_common_parts<'a, 'b>(a: &'a str, b: &'b str) -> (&'a str, &'b str) {
    let mut common = 0;
    for ((i, x), y) in a.char_indices().zip(b.chars()) {
        if x != y {
            break;
        }
        if x == '.' {
            common = i + 1;
        }
    }
    (&a[common..], &b[common..])
}

/// Whether `text`'s lines end in `\r\n`, as its first line's does (`pipesim fmt` keeps the
/// same convention).
pub fn uses_crlf(text: &str) -> bool {
    text.find('\n')
        .is_some_and(|end| text[..end].ends_with('\r'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Origin;

    #[test]
    fn a_misspelt_name_is_changed_at_each_use_sweep_and_metric() {
        let mut map = SourceMap::new();
        let text = "on = gpuu\nsweep gpuu.capacity = [1]\n\"resource.gpuu.queue.mean\" gpuux\n";
        let file = map.add("a.pipesim", Origin::Inline, text.into());
        let span_of = |needle: &str| {
            let start = text.find(needle).unwrap();
            Span::new(file, start, start + needle.len())
        };
        let d = Diagnostic::error("E0202", "unknown name `gpuu`")
            .primary(span_of("gpuu"), "not defined")
            .secondary(span_of("gpuu.capacity"), "also named here")
            .secondary(span_of("\"resource.gpuu.queue.mean\""), "also named here")
            .secondary(span_of("gpuux"), "not the same name")
            .help("did you mean `gpu`?");
        let fixes = d.suggested_fixes(&map);
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].title, "Change `gpuu` to `gpu`");
        let mut fixed = text.to_string();
        let mut edits = fixes[0].edits.clone();
        edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
        for (span, new) in edits {
            fixed.replace_range(span.start as usize..span.end as usize, &new);
        }
        assert_eq!(
            fixed,
            "on = gpu\nsweep gpu.capacity = [1]\n\"resource.gpu.queue.mean\" gpuux\n"
        );
        // A help that suggests something other than the marked text proposes nothing.
        let other = Diagnostic::error("E0206", "x")
            .primary(span_of("gpuu.capacity"), "")
            .help("did you mean `bandwidth`?");
        assert!(other.suggested_fixes(&map).is_empty());
    }

    #[test]
    fn a_change_is_offered_only_for_a_slip_in_each_dotted_part() {
        assert!(is_slip("gpu.capacit", "gpu.capacity"));
        assert!(is_slip("trigger.rate", "triggers.rate"));
        assert!(is_slip(
            "suppor/train_second.csv",
            "support/train_seconds.csv"
        ));
        // A part missing, not misspelt: over the whole name it would look like a slip.
        assert!(!is_slip(
            "resource..utilization",
            "resource.cpu.utilization"
        ));
        assert!(!is_slip("pipeline.wait.", "pipeline.wait.max"));
        assert!(!is_slip("gpu", "gpu.capacity"));
        assert!(!is_slip("gpu", "gpu"));
    }

    /// A name in other capitals is the nearest slip, even where every letter differs.
    #[test]
    fn a_name_in_other_capitals_is_suggested_first() {
        assert_eq!(suggest("GPU", ["cpu", "gpu"]), Some("gpu"));
        assert_eq!(suggest("Cpu", ["gpu", "cpu"]), Some("cpu"));
        assert_eq!(suggest("gpu", ["gpu"]), None);
        assert!(is_slip(
            "resource.GPU.utilization",
            "resource.gpu.utilization"
        ));
    }

    #[test]
    fn a_slip_is_judged_on_the_parts_that_differ_and_a_name_in_part_means_its_one_completion() {
        // Five edits in fifteen letters, but `office` is no slip for `flat`.
        let profiles = [
            "profiles.flat",
            "profiles.office_hours",
            "profiles.nightly_batch",
        ];
        assert_eq!(suggest("profiles.office", ["profiles.flat"]), None);
        assert_eq!(
            suggest("profiles.office", profiles),
            Some("profiles.office_hours")
        );
        assert_eq!(
            suggest("profiles.ofice_hours", profiles),
            Some("profiles.office_hours")
        );
        assert_eq!(
            suggest("trigger.rate", ["triggers.rate"]),
            Some("triggers.rate")
        );
        // Two completions, or too short a start, or no word boundary: nothing.
        assert_eq!(suggest("office", ["office_hours", "office_days"]), None);
        assert_eq!(suggest("of", ["of_hours"]), None);
        assert_eq!(suggest("offic", ["office_hours"]), None);
        // A slip comes before a completion.
        assert_eq!(suggest("gpux", ["gpu", "gpux_big"]), Some("gpu"));
    }

    #[test]
    fn suggest_finds_close_names_only() {
        assert_eq!(suggest("gpuu", ["gpu", "cpu", "storage"]), Some("gpu"));
        assert_eq!(suggest("stroage", ["gpu", "storage"]), Some("storage"));
        assert_eq!(suggest("network", ["gpu", "cpu"]), None);
        assert_eq!(suggest("gpu", ["gpu"]), None);
        // One letter for another is another name; a letter added or in capitals is a slip.
        assert_eq!(suggest("x", ["a", "p"]), None);
        assert_eq!(suggest("x", ["xs"]), Some("xs"));
        assert_eq!(suggest("A", ["a"]), Some("a"));
        assert_eq!(suggest("jobs.x", ["jobs.a"]), None);
    }

    #[test]
    fn renders_labels_code_and_help_without_colour() {
        let mut map = SourceMap::new();
        let file = map.add(
            "a.pipesim",
            Origin::Inline,
            "resource gpu { capacity = 2s }\n".into(),
        );
        let d = Diagnostic::error("E0001", "expected a number, found a duration (s)")
            .primary(Span::new(file, 26, 28), "this is a duration")
            .help("write a plain number of slots, such as `capacity = 2`");
        let text = render(&map, &[d], Style::Colourless, 80);
        assert!(text.contains("E0001"), "{text}");
        assert!(text.contains("this is a duration"), "{text}");
        assert!(text.contains("help: write a plain number"), "{text}");
        assert!(text.contains("a.pipesim:1:27"), "{text}");
    }
}
