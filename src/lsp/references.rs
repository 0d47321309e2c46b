//! Find references, document highlights and rename: every place that names a declaration,
//! a step, a user attribute, an import or a label.
//!
//! A use is found the way go to definition finds a declaration: each name that could be one
//! is resolved ([`Context::resolve_token`]) and kept when it resolves to the same symbol in the
//! same file. That covers sweep paths (`gpu.capacity`), `after` lists, qualified names into
//! modules (`aiops.edge`) and the dotted parts of metric names (`"resource.gpu.utilization"`).
//! The files searched are the open documents, the declaring file, and, for a declaration in a
//! module (a file without `scenario`), every `.pipesim` file of the workspace that imports it.
//! A label is a name of its whole file, as analysis treats it: its uses are the `choice` keys,
//! `match` patterns and `==`/`!=` operands of the file that write it and name nothing else.
//!
//! Rename refuses, with a message the editor shows, what would change a scenario's meaning
//! without an error: a name of the standard library (read-only), an attribute of the
//! language, a resource that stands in for an imported module's resource of the same name
//! (resources bind by name), a label that another file writes too (labels are compared across
//! the files a scenario imports), and a new name that is not an identifier, is a keyword, or
//! would clash with, merge with or hide another name.

use super::docs::{self, BlockContext};
use super::document::{self, Document};
use super::navigate::{metric_parts, Context, Resolved, Symbol};
use super::scan::{BlockKind, Name, TokenKind};
use crate::syntax::ast::DeclKind;
use lsp_types::{TextEdit, Url, WorkspaceEdit};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One place that names the symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    pub uri: Url,
    pub start: usize,
    pub end: usize,
    /// The declaration's own name (for a step named by its keyword, the keyword).
    pub declaration: bool,
}

/// The documents a search for `target` reads: the open ones, the declaring one, and, when it
/// is declared in a module, the workspace's other files that import that module.
pub struct Scope<'a> {
    pub open: &'a HashMap<Url, Document>,
    /// Folders to search for importers of a module (the editor's workspace folders).
    pub roots: &'a [PathBuf],
}

/// The symbol at `offset` of `doc` and every reference to it, sorted by file and position.
/// `None` where there is no symbol.
pub fn find(doc: &Document, scope: &Scope, offset: usize) -> Option<(Resolved, Vec<Reference>)> {
    let target = target_at(doc, scope, offset)?;
    let references = references_to(&target, doc, scope)?;
    Some((target, references))
}

/// What the name at `offset` refers to, as go to definition resolves it; and a label wherever
/// it is written as one (a `choice` key, a `match` pattern, an operand of `==` or `!=`),
/// whichever declaration's `choice` produces it, since labels are names of the whole file.
fn target_at(doc: &Document, scope: &Scope, offset: usize) -> Option<Resolved> {
    let context = Context {
        doc,
        open: scope.open,
    };
    let index = doc.outline.token_at(offset)?;
    let resolved = context.resolve_token(index, offset);
    match &resolved {
        Some(r) if !matches!(r.symbol, Symbol::Label(_)) => resolved,
        _ if resolved.is_some() || is_label_position(doc, index) => {
            let token = doc.outline.tokens[index];
            let word = &doc.text[token.start..token.end];
            let label = label_uses(doc, word, scope)
                .into_iter()
                .find(|&(_, produced)| produced)
                .map_or(token.start, |(k, _)| doc.outline.tokens[k].start);
            Some(Resolved {
                doc: doc.clone(),
                symbol: Symbol::Label(Name {
                    text: word.to_string(),
                    start: label,
                    end: label + word.len(),
                }),
            })
        }
        _ => None,
    }
}

/// Whether token `index` is a single name where labels are written: a `choice` key, a
/// `match` pattern, or an operand of `==` or `!=`.
fn is_label_position(doc: &Document, index: usize) -> bool {
    let outline = &doc.outline;
    let text = |k: usize| (k < outline.tokens.len()).then(|| outline.text(&doc.text, k));
    let (before, after) = (index.checked_sub(1).and_then(text), text(index + 1));
    outline.tokens[index].kind == TokenKind::Ident
        && before != Some(".")
        && after != Some(".")
        && (matches!(after, Some(":" | "=>" | "|" | "==" | "!="))
            || matches!(before, Some("==" | "!=" | "|")))
}

/// The tokens of `doc` that use the label `word`, and whether each is a `choice` key (where
/// the label is produced). A name that resolves to a declaration or an attribute is not one.
fn label_uses(doc: &Document, word: &str, scope: &Scope) -> Vec<(usize, bool)> {
    let context = Context {
        doc,
        open: scope.open,
    };
    let outline = &doc.outline;
    (0..outline.tokens.len())
        .filter(|&k| {
            let token = outline.tokens[k];
            token.kind == TokenKind::Ident && doc.text[token.start..token.end] == *word
        })
        .filter_map(|k| {
            let start = outline.tokens[k].start;
            let resolved = context.resolve_token(k, start);
            let label = match &resolved {
                Some(r) => matches!(r.symbol, Symbol::Label(_)),
                None => is_label_position(doc, k),
            };
            let key = k + 1 < outline.tokens.len()
                && outline.text(&doc.text, k + 1) == ":"
                && is_label_position(doc, k);
            label.then_some((k, key))
        })
        .collect()
}

/// The places in `doc` alone that name the symbol at `offset`, for highlights: editors ask at
/// every move of the cursor, so no other file is read.
pub fn in_document(doc: &Document, scope: &Scope, offset: usize) -> Option<Vec<Reference>> {
    let target = target_at(doc, scope, offset)?;
    if let Symbol::Label(label) = &target.symbol {
        return Some(label_references(doc, label, scope));
    }
    let name = declared_name(&target)?;
    let mut found = uses_in(doc, &target, &name.text, scope);
    if target.doc.uri == doc.uri {
        found.push(Reference {
            uri: doc.uri.clone(),
            start: name.start,
            end: name.end,
            declaration: true,
        });
    }
    let mut seen = std::collections::HashSet::new();
    found.sort_by_key(|r| (r.start, !r.declaration));
    found.retain(|r| seen.insert(r.start));
    Some(found)
}

fn references_to(target: &Resolved, from: &Document, scope: &Scope) -> Option<Vec<Reference>> {
    if let Symbol::Label(label) = &target.symbol {
        return Some(label_references(&target.doc, label, scope));
    }
    let name = declared_name(target)?;
    let mut found = vec![Reference {
        uri: target.doc.uri.clone(),
        start: name.start,
        end: name.end,
        declaration: true,
    }];
    let workspace = if is_module(&target.doc) {
        importers(&target.doc, scope)
    } else {
        Vec::new()
    };
    let mut docs: Vec<&Document> = scope.open.values().chain(&workspace).collect();
    for doc in [from, &target.doc] {
        if !docs.iter().any(|d| d.uri == doc.uri) {
            docs.push(doc);
        }
    }
    docs.sort_by(|a, b| a.uri.as_str().cmp(b.uri.as_str()));
    for doc in docs {
        found.extend(uses_in(doc, target, &name.text, scope));
    }
    // A scenario's resource is also the resource of that name in every module it imports
    // (resources bind by name): the module's templates that run on it use it too.
    if let Symbol::Decl(b) = target.symbol {
        let is_resource = target.doc.outline.blocks[b].kind == BlockKind::Decl(DeclKind::Resource);
        if is_resource && !is_module(&target.doc) {
            for (_, module) in imported_resources(&target.doc, &name.text, scope) {
                // Not the module's own declaration, which this one replaces.
                let replaced = declared_name(&module).map(|n| n.start);
                let uses = uses_in(&module.doc, &module, &name.text, scope);
                found.extend(uses.into_iter().filter(|r| Some(r.start) != replaced));
            }
        }
    }
    // The declaration was pushed first: a later find of its name is the same place.
    let mut seen = std::collections::HashSet::new();
    found.retain(|r| seen.insert((r.uri.clone(), r.start)));
    found.sort_by(|a, b| (a.uri.as_str(), a.start).cmp(&(b.uri.as_str(), b.start)));
    Some(found)
}

/// The uses of a label in `doc`, the `choice` key that produces it first marked as its
/// declaration.
fn label_references(doc: &Document, label: &Name, scope: &Scope) -> Vec<Reference> {
    label_uses(doc, &label.text, scope)
        .into_iter()
        .map(|(k, _)| {
            let token = doc.outline.tokens[k];
            Reference {
                uri: doc.uri.clone(),
                start: token.start,
                end: token.end,
                declaration: token.start == label.start,
            }
        })
        .collect()
}

/// The places in `doc` that name `target` (called `name`): names, and parts of metric names.
fn uses_in(doc: &Document, target: &Resolved, name: &str, scope: &Scope) -> Vec<Reference> {
    let context = Context {
        doc,
        open: scope.open,
    };
    let outline = &doc.outline;
    let same = |at: usize, index: usize| {
        context
            .resolve_token(index, at)
            .is_some_and(|r| r.doc.uri == target.doc.uri && r.symbol == target.symbol)
    };
    let mut found = Vec::new();
    let mut push = |start: usize, end: usize| {
        found.push(Reference {
            uri: doc.uri.clone(),
            start,
            end,
            declaration: false,
        })
    };
    for (index, token) in outline.tokens.iter().enumerate() {
        match token.kind {
            TokenKind::Ident
                if doc.text[token.start..token.end] == *name
                    && !is_argument_name(doc, index)
                    && same(token.start, index) =>
            {
                push(token.start, token.end);
            }
            TokenKind::Str => {
                let parts = metric_parts(outline, &doc.text, index).unwrap_or_default();
                for part in parts.iter().skip(1).filter(|p| p.text == name) {
                    if same(part.start, index) {
                        push(part.start, part.end);
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// The resources called `name` that the modules `doc` imports declare, with the import path
/// that names each module: at run time, each is `doc`'s own resource of that name.
fn imported_resources(doc: &Document, name: &str, scope: &Scope) -> Vec<(String, Resolved)> {
    doc.outline
        .imports
        .iter()
        .filter_map(|import| {
            let path = &import.path.as_ref()?.text;
            let module = document::load_import(doc, path, scope.open)?;
            let (index, block) = module.outline.decl(name)?;
            let resolved = Resolved {
                symbol: Symbol::Decl(index),
                doc: module.clone(),
            };
            (block.kind == BlockKind::Decl(DeclKind::Resource)).then(|| (path.clone(), resolved))
        })
        .collect()
}

/// The name that declares the symbol: a declaration's or step's name (a step's keyword when it
/// has none), an attribute's name, an import's alias.
fn declared_name(target: &Resolved) -> Option<&Name> {
    let outline = &target.doc.outline;
    match &target.symbol {
        Symbol::Decl(b) => outline.blocks[*b].name.as_ref(),
        Symbol::Step(b) => outline.blocks[*b].step_name(),
        Symbol::Attr(a) => Some(&outline.attrs[*a].name),
        Symbol::Import(i) => outline.imports[*i].alias.as_ref(),
        Symbol::Label(label) => Some(label),
    }
}

/// `mean` in `exponential(mean = 5min)`: a named argument, which no declaration names.
fn is_argument_name(doc: &Document, index: usize) -> bool {
    let outline = &doc.outline;
    index + 1 < outline.tokens.len()
        && outline.text(&doc.text, index + 1) == "="
        && outline.enclosing_callee(&doc.text, index).is_some()
}

fn is_module(doc: &Document) -> bool {
    !doc.outline
        .decls()
        .any(|(_, b)| b.kind == BlockKind::Decl(DeclKind::Scenario))
}

/// The workspace's `.pipesim` files, not open in the editor, that import `module`.
fn importers(module: &Document, scope: &Scope) -> Vec<Document> {
    workspace_files(scope.roots)
        .into_iter()
        .filter_map(|path| {
            let uri = Url::from_file_path(&path).ok()?;
            if scope.open.contains_key(&uri) || uri == module.uri {
                return None;
            }
            let text = std::fs::read_to_string(&path).ok()?;
            let doc = Document::new(uri, text, 0);
            imports(&doc, module).then_some(doc)
        })
        .collect()
}

/// The `.pipesim` files under the workspace folders `roots`, sorted.
pub fn workspace_files(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = roots
        .iter()
        .flat_map(|root| crate::workspace::pipesim_files(root, crate::workspace::EDITOR))
        .collect();
    files.sort();
    files.dedup();
    files
}

/// The range to rename at `offset` (the name under the cursor) and its current text, or why it
/// cannot be renamed. `Ok(None)` where there is nothing to rename.
pub fn prepare(
    doc: &Document,
    scope: &Scope,
    offset: usize,
) -> Result<Option<(lsp_types::Range, String)>, String> {
    let Some(target) = target_at(doc, scope, offset) else {
        return Ok(None);
    };
    renameable(&target, scope)?;
    let Some(references) = references_to(&target, doc, scope) else {
        return Ok(None);
    };
    let here = references
        .iter()
        .find(|r| r.uri == doc.uri && r.start <= offset && offset <= r.end);
    Ok(here.map(|r| {
        (
            doc.range(r.start, r.end),
            doc.text[r.start..r.end].to_string(),
        )
    }))
}

/// The edits that rename the symbol at `offset` to `new_name` everywhere, or why they cannot.
pub fn rename(
    doc: &Document,
    scope: &Scope,
    offset: usize,
    new_name: &str,
) -> Result<Option<WorkspaceEdit>, String> {
    let Some((target, references)) = find(doc, scope, offset) else {
        return Ok(None);
    };
    renameable(&target, scope)?;
    let old = declared_name(&target).map_or("", |n| n.text.as_str());
    if new_name == old {
        return Ok(None);
    }
    valid_new_name(&target, new_name)?;
    // A step named by its keyword gets a name after the keyword: `train` becomes `train fit`.
    let keyword_named = match target.symbol {
        Symbol::Step(b) => target.doc.outline.blocks[b].name.is_none(),
        _ => false,
    };
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    let mut loaded: HashMap<Url, Document> = HashMap::new();
    for reference in references {
        let file = match scope.open.get(&reference.uri) {
            Some(open) => open,
            None if reference.uri == target.doc.uri => &target.doc,
            None => loaded.entry(reference.uri.clone()).or_insert_with(|| {
                let text = reference
                    .uri
                    .to_file_path()
                    .ok()
                    .and_then(|p| std::fs::read_to_string(p).ok())
                    .unwrap_or_default();
                Document::new(reference.uri.clone(), text, 0)
            }),
        };
        let edit = if reference.declaration && keyword_named {
            TextEdit::new(
                file.range(reference.end, reference.end),
                format!(" {new_name}"),
            )
        } else {
            TextEdit::new(
                file.range(reference.start, reference.end),
                new_name.to_string(),
            )
        };
        changes.entry(reference.uri).or_default().push(edit);
    }
    Ok(Some(WorkspaceEdit::new(changes)))
}

/// Why the symbol cannot be renamed, if it cannot.
fn renameable(target: &Resolved, scope: &Scope) -> Result<(), String> {
    let doc = &target.doc;
    let outline = &doc.outline;
    if let Symbol::Label(label) = &target.symbol {
        return label_renameable(doc, &label.text, scope);
    }
    let Some(name) = declared_name(target) else {
        return Err("this declaration has no name to rename".to_string());
    };
    let name = name.text.as_str();
    if doc.path.as_deref().is_some_and(document::is_stdlib_copy) {
        let replace = match target.symbol {
            Symbol::Decl(b) if outline.blocks[b].kind == BlockKind::Decl(DeclKind::Resource) => {
                format!(": to use another pool, declare your own `{name}` in the scenario")
            }
            _ => String::new(),
        };
        return Err(format!(
            "`{name}` is declared in the standard library, which is read-only{replace}"
        ));
    }
    match target.symbol {
        Symbol::Attr(a) => {
            let owner = &outline.blocks[outline.attrs[a].block];
            let user_attribute = match owner.kind {
                BlockKind::Decl(kind @ (DeclKind::Pipeline | DeclKind::Dataset)) => {
                    owner.parent.is_none()
                        && docs::attribute(BlockContext::Decl(kind), name).is_none()
                }
                _ => false,
            };
            if !user_attribute {
                return Err(format!(
                    "`{name}` is an attribute of the language, whose name is fixed; only the \
                     attributes you add to a pipeline or data set can be renamed"
                ));
            }
        }
        Symbol::Decl(b) if outline.blocks[b].kind == BlockKind::Decl(DeclKind::Resource) => {
            if let Some(why) = bound_by_name(doc, name, scope) {
                return Err(why);
            }
        }
        _ => {}
    }
    Ok(())
}

/// A label is a name of its whole file: it can be renamed where a `choice` of the file
/// produces it and no other file writes it (a module it imports, or one that imports it),
/// since the rename edits this file only.
fn label_renameable(doc: &Document, label: &str, scope: &Scope) -> Result<(), String> {
    if doc.path.as_deref().is_some_and(document::is_stdlib_copy) {
        return Err(format!(
            "`{label}` is a label of the standard library, which is read-only"
        ));
    }
    if !label_uses(doc, label, scope)
        .iter()
        .any(|&(_, produced)| produced)
    {
        return Err(format!(
            "no `choice` in this file produces `{label}`: rename it where it is produced"
        ));
    }
    let imported =
        doc.outline.imports.iter().filter_map(|import| {
            document::load_import(doc, &import.path.as_ref()?.text, scope.open)
        });
    let others: Vec<Document> = if is_module(doc) {
        imported.chain(importers(doc, scope)).collect()
    } else {
        imported.collect()
    };
    let importing = scope.open.values().filter(|d| imports(d, doc));
    for other in others.iter().chain(importing) {
        if !label_uses(other, label, scope).is_empty() {
            let file = file_name(other);
            return Err(format!(
                "`{label}` is also a label in `{file}`: labels are compared across the files a \
                 scenario imports, so rename it in both by hand"
            ));
        }
    }
    Ok(())
}

/// Whether `importer` imports `module`.
fn imports(importer: &Document, module: &Document) -> bool {
    importer.outline.imports.iter().any(|import| {
        import
            .path
            .as_ref()
            .and_then(|p| document::import_target(importer, &p.text))
            .and_then(|target| Url::from_file_path(target).ok())
            .is_some_and(|uri| uri == module.uri)
    })
}

/// The document's file name, for messages.
fn file_name(doc: &Document) -> String {
    doc.path
        .as_deref()
        .and_then(Path::file_name)
        .map_or(String::new(), |f| f.to_string_lossy().into_owned())
}

/// Resources bind by name: a scenario's `gpu` is the `gpu` of every module it imports. Renaming
/// either side of such a pair would silently move the module's templates to another pool.
fn bound_by_name(doc: &Document, name: &str, scope: &Scope) -> Option<String> {
    let declares = |d: &Document| {
        d.outline
            .decl(name)
            .is_some_and(|(_, b)| b.kind == BlockKind::Decl(DeclKind::Resource))
    };
    if !is_module(doc) {
        return imported_resources(doc, name, scope)
            .first()
            .map(|(path, _)| {
                format!(
                "`{name}` stands in for the `{name}` of \"{path}\": resources bind by name, so \
                 that module's templates run on this one. Renamed, they would run on the \
                 module's own `{name}` instead"
            )
            });
    }
    let importers = scope.open.values().filter(|d| imports(d, doc));
    for importer in importers {
        if !is_module(importer) && declares(importer) {
            let file = file_name(importer);
            return Some(format!(
                "`{file}` declares its own `{name}`, which this module's templates run on there: \
                 resources bind by name. Renamed here, they would no longer"
            ));
        }
    }
    None
}

/// Why `new_name` cannot be the symbol's name, if it cannot.
fn valid_new_name(target: &Resolved, new_name: &str) -> Result<(), String> {
    let mut chars = new_name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier {
        return Err(format!(
            "`{new_name}` is not a name: a name is a letter or `_`, then letters, digits and `_`"
        ));
    }
    // The language's keywords, and `row` and `_`, which mean a trace row and a wildcard
    // where names are read.
    if docs::keyword(new_name).is_some() || ["row", "_"].contains(&new_name) {
        return Err(format!(
            "`{new_name}` is a keyword of the language: choose another name"
        ));
    }
    let doc = &target.doc;
    let outline = &doc.outline;
    let line = |offset: usize| doc.range(offset, offset).start.line + 1;
    let declaration = outline.decl(new_name).map(|(_, b)| {
        let kind = match b.kind {
            BlockKind::Decl(kind) => kind.keyword(),
            _ => "declaration",
        };
        format!("the {kind} on line {}", line(b.start))
    });
    let import = outline
        .imports
        .iter()
        .find(|i| i.alias.as_ref().is_some_and(|a| a.text == new_name))
        .map(|i| format!("the import on line {}", line(i.start)));
    let taken = declaration.or(import);
    match target.symbol {
        Symbol::Decl(_) | Symbol::Import(_) => {
            if let Some(taken) = taken {
                return Err(format!(
                    "`{new_name}` is already the name of {taken}: the declarations and imports \
                     of a file share one namespace"
                ));
            }
            // A bare name resolves to an attribute of its declaration before anything else:
            // where that attribute is read, the renamed declaration would be hidden by it.
            if let Some(attr) = outline.attrs.iter().find(|a| {
                a.name.text == new_name
                    && matches!(
                        outline.blocks[a.block].kind,
                        BlockKind::Decl(DeclKind::Pipeline | DeclKind::Dataset)
                    )
            }) {
                let owner = outline.blocks[attr.block]
                    .name
                    .as_ref()
                    .map_or(String::new(), |n| format!(" of `{}`", n.text));
                return Err(format!(
                    "`{new_name}` is an attribute{owner} (line {}): there a bare `{new_name}` \
                     means the attribute, so uses of the renamed declaration would read it",
                    line(attr.name.start)
                ));
            }
        }
        Symbol::Step(b) => {
            let pipeline = outline.blocks[b].parent;
            let sibling = pipeline
                .into_iter()
                .flat_map(|p| outline.steps(p))
                .find(|(s, block)| {
                    *s != b && block.step_name().is_some_and(|n| n.text == new_name)
                });
            if let Some((_, sibling)) = sibling {
                return Err(format!(
                    "this pipeline already has a step `{new_name}` (line {})",
                    line(sibling.start)
                ));
            }
        }
        Symbol::Attr(a) => {
            let owner = outline.attrs[a].block;
            if let Some(other) = outline.attrs_of(owner).find(|o| o.name.text == new_name) {
                return Err(format!(
                    "this declaration already has an attribute `{new_name}` (line {})",
                    line(other.name.start)
                ));
            }
            if let Some(context) = outline.blocks[owner].context() {
                if let Some(entry) = docs::attribute(context, new_name) {
                    return Err(format!(
                        "`{new_name}` is an attribute of the language here ({}): the renamed \
                         attribute would take that meaning",
                        entry.doc
                    ));
                }
            }
            if let Some(taken) = taken {
                return Err(format!(
                    "`{new_name}` is the name of {taken}: in this declaration, the attribute \
                     would hide it"
                ));
            }
        }
        Symbol::Label(_) => {
            // Another label of that name would merge the two; a name of the file would take
            // the label's place in comparisons.
            let scope = Scope {
                open: &HashMap::new(),
                roots: &[],
            };
            if !label_uses(doc, new_name, &scope).is_empty() {
                return Err(format!(
                    "`{new_name}` is already a label in this file: the two would become one"
                ));
            }
            if let Some(taken) = taken {
                return Err(format!(
                    "`{new_name}` is the name of {taken}: a comparison with it would mean that"
                ));
            }
            if let Some(attr) = outline.attrs.iter().find(|a| a.name.text == new_name) {
                return Err(format!(
                    "`{new_name}` is an attribute (line {}): a comparison with it would read it",
                    line(attr.name.start)
                ));
            }
        }
    }
    Ok(())
}
