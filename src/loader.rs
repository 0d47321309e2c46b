//! Reads a scenario and everything it imports into the [`SourceMap`], parses each file once,
//! and resolves `import` paths: `std/...` from the standard library embedded in the binary,
//! anything else relative to the importing file. Reports missing files and import cycles at
//! the `import` that causes them.
//!
//! Invariants: a file reached twice (by two imports, or two spellings of one path) is loaded
//! and parsed once and both imports point at the same [`Module`]; module 0 is the entry file;
//! an import that closes a cycle is reported and left unresolved (`None`), so later phases
//! never loop. Loading never panics: unreadable, non-UTF-8 or missing files are diagnostics.

use crate::analysis::codes;
use crate::diagnostic::{suggest, Diagnostic, Diagnostics};
use crate::source::{FileId, Origin, SourceMap, Span};
use crate::syntax::{self, ast};
use std::path::{Path, PathBuf};

/// The standard library: import path and text, embedded in the binary.
pub const STDLIB: &[(&str, &str)] = &[
    ("std/aiops", include_str!("../stdlib/aiops.pipesim")),
    ("std/profiles", include_str!("../stdlib/profiles.pipesim")),
];

/// A parsed file and what its imports refer to.
#[derive(Clone, Debug)]
pub struct Module {
    pub file: FileId,
    pub ast: ast::File,
    /// `import "..." as alias`: the alias and the imported module's index in [`Program::modules`]
    /// (None when the import could not be loaded; a diagnostic says why).
    pub imports: Vec<(ast::Ident, Option<usize>)>,
}

/// The entry file (module 0) and every module it reaches.
#[derive(Clone, Debug, Default)]
pub struct Program {
    pub modules: Vec<Module>,
}

impl Program {
    /// The module parsed from `file`, if any.
    pub fn module_of(&self, file: FileId) -> Option<usize> {
        self.modules.iter().position(|m| m.file == file)
    }
}

/// Texts that stand in for files on disk, by canonical path: an editor's unsaved buffers, or
/// the files `check --fix` is mending. A file found here is never read.
pub type Unsaved = std::collections::HashMap<PathBuf, String>;

/// Loads `entry` and its imports. I/O errors on the entry itself are diagnostics too (with no
/// span), so the caller decides the exit code in one place; the program then has no modules.
pub fn load(entry: &Path, sources: &mut SourceMap) -> (Program, Diagnostics) {
    load_unsaved(entry, &Unsaved::new(), sources)
}

/// Like [`load`], with the files of `unsaved` (the entry among them, or not) read from there
/// instead of from disk.
pub fn load_unsaved(
    entry: &Path,
    unsaved: &Unsaved,
    sources: &mut SourceMap,
) -> (Program, Diagnostics) {
    let mut loader = Loader {
        sources,
        program: Program::default(),
        diagnostics: Diagnostics::default(),
        stack: Vec::new(),
        unsaved,
    };
    match loader.read(entry) {
        Ok((canonical, text)) => {
            let shown = entry.to_path_buf();
            let name = display_path(&shown);
            let file = loader
                .sources
                .add(name, Origin::Disk { shown, canonical }, text);
            loader.load_module(file);
        }
        Err(problem) => {
            loader
                .diagnostics
                .push(
                    problem
                        .diagnostic(&entry.display().to_string())
                        .help(match problem {
                            ReadProblem::NotUtf8 => "save the file as UTF-8",
                            _ => "check the path: it must name a `.pipesim` file",
                        }),
                )
        }
    }
    (loader.program, loader.diagnostics)
}

/// Loads `entry` from `text` instead of reading it (an editor's unsaved buffer, for the
/// language server). Its imports resolve relative to `entry`, from `unsaved` or from disk.
pub fn load_source(
    entry: &Path,
    text: String,
    unsaved: &Unsaved,
    sources: &mut SourceMap,
) -> (Program, Diagnostics) {
    let mut unsaved = unsaved.clone();
    // A buffer that was never saved has no canonical path yet: use the path as given.
    let canonical = std::fs::canonicalize(entry).unwrap_or_else(|_| entry.to_path_buf());
    unsaved.insert(canonical, text);
    load_unsaved(entry, &unsaved, sources)
}

struct Loader<'a> {
    sources: &'a mut SourceMap,
    program: Program,
    diagnostics: Diagnostics,
    /// Modules being loaded, outermost first: an import of one of these closes a cycle.
    stack: Vec<usize>,
    unsaved: &'a Unsaved,
}

enum ReadProblem {
    NotFound,
    Directory,
    NotUtf8,
    Other(String),
}

impl ReadProblem {
    fn diagnostic(&self, shown: &str) -> Diagnostic {
        match self {
            ReadProblem::NotFound => Diagnostic::error(
                codes::READ_FAILED,
                format!("cannot read `{shown}`: no such file"),
            ),
            ReadProblem::Directory => Diagnostic::error(
                codes::READ_FAILED,
                format!("cannot read `{shown}`: it is a directory"),
            ),
            ReadProblem::NotUtf8 => Diagnostic::error(
                codes::NOT_UTF8,
                format!("`{shown}` is not valid UTF-8 text"),
            ),
            ReadProblem::Other(reason) => Diagnostic::error(
                codes::READ_FAILED,
                format!("cannot read `{shown}`: {reason}"),
            ),
        }
    }
}

impl Loader<'_> {
    /// The file at `path` and its canonical path: its unsaved text if it has one, else what
    /// is on disk. A path that does not exist yet stands for itself, for an unsaved buffer.
    fn read(&self, path: &Path) -> Result<(PathBuf, String), ReadProblem> {
        if !self.unsaved.is_empty() {
            let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if let Some(text) = self.unsaved.get(&canonical) {
                return Ok((canonical, text.clone()));
            }
        }
        read_disk(path)
    }
}

fn read_disk(path: &Path) -> Result<(PathBuf, String), ReadProblem> {
    let canonical = std::fs::canonicalize(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadProblem::NotFound,
        _ => ReadProblem::Other(e.to_string().to_lowercase()),
    })?;
    if canonical.is_dir() {
        return Err(ReadProblem::Directory);
    }
    let bytes = std::fs::read(&canonical).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadProblem::NotFound,
        _ => ReadProblem::Other(e.to_string().to_lowercase()),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| ReadProblem::NotUtf8)?;
    Ok((canonical, text))
}

/// A path as shown in messages: forward slashes, without a leading `./`.
fn display_path(path: &Path) -> String {
    let text = path.display().to_string().replace('\\', "/");
    text.strip_prefix("./").map(str::to_string).unwrap_or(text)
}

/// Joins `relative` to `base`, removing `.` and resolving `..` textually, so that messages
/// show `dir/other.pipesim` rather than `dir/./sub/../other.pipesim`.
fn join_clean(base: &Path, relative: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for component in base.join(relative).components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                let last_is_normal = matches!(
                    out.components().next_back(),
                    Some(std::path::Component::Normal(_))
                );
                if last_is_normal {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl Loader<'_> {
    /// Parses `file` as a new module, then loads its imports depth first.
    fn load_module(&mut self, file: FileId) -> usize {
        let text = self.sources.get(file).text.clone();
        let (ast, syntax_errors) = syntax::parse_file(file, &text);
        for d in syntax_errors {
            self.diagnostics.push(d);
        }
        let index = self.program.modules.len();
        let imports: Vec<ast::Import> = ast
            .items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Import(import) => Some(import.clone()),
                ast::Item::Decl(_) => None,
            })
            .collect();
        self.program.modules.push(Module {
            file,
            ast,
            imports: Vec::new(),
        });
        self.stack.push(index);
        for import in imports {
            let target = self.load_import(file, &import);
            self.program.modules[index]
                .imports
                .push((import.alias.clone(), target));
        }
        self.stack.pop();
        index
    }

    fn load_import(&mut self, importer: FileId, import: &ast::Import) -> Option<usize> {
        let span = import.path_span;
        if import.path.starts_with("std/") {
            return self.load_stdlib(import, span);
        }
        let base = match &self.sources.get(importer).origin {
            Origin::Disk { shown, .. } => shown.parent().map(Path::to_path_buf).unwrap_or_default(),
            Origin::Stdlib(_) => {
                self.diagnostics.push(
                    Diagnostic::error(
                        codes::READ_FAILED,
                        format!(
                            "the standard library cannot import the file `{}`",
                            import.path
                        ),
                    )
                    .primary(span, "not a `std/` module"),
                );
                return None;
            }
            Origin::Inline => PathBuf::new(),
        };
        let shown = join_clean(&base, &import.path);
        let name = display_path(&shown);
        let canonical = std::fs::canonicalize(&shown).ok();
        if let Some(existing) = canonical.as_deref().and_then(|c| self.sources.find_disk(c)) {
            return self.existing(existing, span);
        }
        match self.read(&shown) {
            Ok((canonical, text)) => {
                let file = self
                    .sources
                    .add(name, Origin::Disk { shown, canonical }, text);
                Some(self.load_module(file))
            }
            Err(problem) => {
                let label = match problem {
                    ReadProblem::NotFound => "no such file",
                    ReadProblem::Directory => "a directory, not a file",
                    ReadProblem::NotUtf8 => "not UTF-8 text",
                    ReadProblem::Other(_) => "cannot be read",
                };
                let nearest = match problem {
                    ReadProblem::NotFound => crate::workspace::nearest_file(&base, &import.path),
                    _ => None,
                };
                let help = match problem {
                    _ if nearest.is_some() => format!(
                        "did you mean `{}`? Import paths are relative to the importing file",
                        nearest.as_deref().unwrap_or_default()
                    ),
                    ReadProblem::NotFound | ReadProblem::Directory => format!(
                        "import paths are relative to the importing file; this one names `{name}`"
                    ),
                    ReadProblem::NotUtf8 => "save the file as UTF-8".to_string(),
                    ReadProblem::Other(_) => "check the file's permissions".to_string(),
                };
                let mut d = problem.diagnostic(&name).primary(span, label).help(help);
                if let Some(nearest) = nearest {
                    d = d.replacement(nearest);
                }
                self.diagnostics.push(d);
                None
            }
        }
    }

    fn load_stdlib(&mut self, import: &ast::Import, span: Span) -> Option<usize> {
        let path = import.path.trim_end_matches(".pipesim");
        let Some((std_path, text)) = STDLIB.iter().find(|(p, _)| *p == path) else {
            let available: Vec<&str> = STDLIB.iter().map(|(p, _)| *p).collect();
            let mut d = Diagnostic::error(
                codes::UNKNOWN_STD_MODULE,
                format!("the standard library has no module `{}`", import.path),
            )
            .primary(span, "unknown module");
            let list = available
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ");
            d = match suggest(path, available.iter().copied()) {
                Some(s) => d.help(format!(
                    "did you mean `{s}`? the standard library has {list}"
                )),
                None => d.help(format!("the standard library has {list}")),
            };
            self.diagnostics.push(d);
            return None;
        };
        if let Some(existing) = self.sources.find_stdlib(std_path) {
            return self.existing(existing, span);
        }
        let file = self.sources.add(
            format!("{std_path}.pipesim"),
            Origin::Stdlib(std_path.to_string()),
            text.to_string(),
        );
        Some(self.load_module(file))
    }

    /// An import of a file already loaded: the same module, unless that closes a cycle.
    fn existing(&mut self, file: FileId, span: Span) -> Option<usize> {
        let module = self.program.module_of(file)?;
        if let Some(position) = self.stack.iter().position(|m| *m == module) {
            let mut names: Vec<String> = self.stack[position..]
                .iter()
                .map(|m| self.sources.get(self.program.modules[*m].file).name.clone())
                .collect();
            names.push(self.sources.get(file).name.clone());
            self.diagnostics.push(
                Diagnostic::error(
                    codes::IMPORT_CYCLE,
                    format!("import cycle: {}", names.join(" -> ")),
                )
                .primary(span, "this import closes the cycle")
                .help("move what both files need into a third module that neither imports back"),
            );
            return None;
        }
        Some(module)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_file_reached_twice_is_loaded_once() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "lib.pipesim",
            "resource cpu { kind = pool  capacity = 1 }\n",
        );
        write(
            dir.path(),
            "sub/mid.pipesim",
            "import \"../lib.pipesim\" as lib\n",
        );
        let entry = write(
            dir.path(),
            "main.pipesim",
            "import \"lib.pipesim\" as a\nimport \"./sub/../lib.pipesim\" as b\nimport \"sub/mid.pipesim\" as mid\n\
             import \"std/aiops\" as x\nimport \"std/aiops\" as y\n",
        );
        let mut sources = SourceMap::new();
        let (program, diagnostics) = load(&entry, &mut sources);
        assert!(diagnostics.is_empty(), "{:?}", diagnostics.0);
        // main, lib, mid, std/aiops: each once.
        assert_eq!(program.modules.len(), 4);
        let targets: Vec<Option<usize>> =
            program.modules[0].imports.iter().map(|(_, t)| *t).collect();
        assert_eq!(targets[0], targets[1], "two spellings of one file");
        assert_eq!(targets[3], targets[4], "the same standard library module");
        let mid = targets[2].unwrap();
        assert_eq!(
            program.modules[mid].imports[0].1, targets[0],
            "relative to the importing file"
        );
    }

    #[test]
    fn unreadable_entries_are_diagnostics_without_modules() {
        let dir = tempfile::tempdir().unwrap();
        let mut sources = SourceMap::new();
        let (program, diagnostics) = load(&dir.path().join("missing.pipesim"), &mut sources);
        assert!(program.modules.is_empty());
        assert_eq!(diagnostics.0[0].code, codes::READ_FAILED);
        let (program, diagnostics) = load(dir.path(), &mut sources);
        assert!(program.modules.is_empty());
        assert!(diagnostics.0[0].message.contains("directory"));
        let latin1 = dir.path().join("latin1.pipesim");
        std::fs::write(&latin1, b"// caf\xe9\n").unwrap();
        let (program, diagnostics) = load(&latin1, &mut sources);
        assert!(program.modules.is_empty());
        assert_eq!(diagnostics.0[0].code, codes::NOT_UTF8);
    }

    #[test]
    fn a_cycle_is_reported_once_and_left_unresolved() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.pipesim", "import \"a.pipesim\" as a\n");
        let entry = write(dir.path(), "a.pipesim", "import \"b.pipesim\" as b\n");
        let mut sources = SourceMap::new();
        let (program, diagnostics) = load(&entry, &mut sources);
        assert_eq!(program.modules.len(), 2);
        assert_eq!(diagnostics.0.len(), 1);
        assert_eq!(diagnostics.0[0].code, codes::IMPORT_CYCLE);
        let message = &diagnostics.0[0].message;
        let a = entry.display().to_string();
        let b = dir.path().join("b.pipesim").display().to_string();
        assert_eq!(message, &format!("import cycle: {a} -> {b} -> {a}"));
        assert_eq!(program.modules[1].imports[0].1, None);
    }
}
