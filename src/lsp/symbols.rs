//! Document symbols (the outline of imports, declarations, their steps and nested blocks),
//! and workspace symbols: the declarations and steps of every `.pipesim` file of the workspace
//! whose name matches a query.

use super::document::Document;
use super::scan::BlockKind;
use crate::syntax::ast::DeclKind;
use lsp_types::{DocumentSymbol, SymbolKind};

pub fn document_symbols(doc: &Document) -> Vec<DocumentSymbol> {
    let outline = &doc.outline;
    let mut symbols = Vec::new();
    for import in &outline.imports {
        let Some(alias) = &import.alias else { continue };
        let path = import.path.as_ref().map_or("", |p| p.text.as_str());
        symbols.push(symbol(
            doc,
            alias.text.clone(),
            format!("import \"{path}\""),
            SymbolKind::MODULE,
            (import.start, import.end),
            (alias.start, alias.end),
            Vec::new(),
        ));
    }
    for (index, decl) in outline.decls() {
        let BlockKind::Decl(kind) = decl.kind else {
            continue;
        };
        let Some(selection) = decl.name.as_ref().or(decl.keyword.as_ref()) else {
            continue;
        };
        let children = outline
            .children(index)
            .filter_map(|(_, child)| {
                let (detail, kind) = match &child.kind {
                    BlockKind::Step(step) => {
                        (format!("{} step", step.keyword()), SymbolKind::METHOD)
                    }
                    BlockKind::Nested(name) => (name.clone(), SymbolKind::OBJECT),
                    _ => return None,
                };
                let name = child.step_name().or(child.keyword.as_ref())?;
                Some(symbol(
                    doc,
                    name.text.clone(),
                    detail,
                    kind,
                    (child.start, child.end),
                    (name.start, name.end),
                    Vec::new(),
                ))
            })
            .collect();
        symbols.push(symbol(
            doc,
            selection.text.clone(),
            kind.keyword().to_string(),
            symbol_kind(kind),
            (decl.start, decl.end),
            (selection.start, selection.end),
            children,
        ));
    }
    symbols
}

fn symbol_kind(kind: DeclKind) -> SymbolKind {
    match kind {
        DeclKind::Scenario | DeclKind::Experiment => SymbolKind::NAMESPACE,
        DeclKind::Resource => SymbolKind::VARIABLE,
        DeclKind::Dataset => SymbolKind::STRUCT,
        DeclKind::Pipeline => SymbolKind::CLASS,
        DeclKind::Profile => SymbolKind::ARRAY,
        DeclKind::Arrivals | DeclKind::Monitor => SymbolKind::EVENT,
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written out; it is left unset.
fn symbol(
    doc: &Document,
    name: String,
    detail: String,
    kind: SymbolKind,
    range: (usize, usize),
    selection: (usize, usize),
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    // The selection must lie inside the range, which clients check.
    let start = range.0.min(selection.0);
    let end = range.1.max(selection.1);
    DocumentSymbol {
        name,
        detail: Some(detail),
        kind,
        tags: None,
        deprecated: None,
        range: doc.range(start, end),
        selection_range: doc.range(selection.0, selection.1),
        children: (!children.is_empty()).then_some(children),
    }
}

/// The declarations and steps, in the open documents and the workspace's `.pipesim` files,
/// whose names contain the query's letters in order (case-insensitive), the closest first:
/// names that start with the query, then shorter names. At most 200.
#[allow(deprecated)] // `SymbolInformation::deprecated` must be written out; it is left unset.
pub fn workspace_symbols(
    query: &str,
    open: &std::collections::HashMap<lsp_types::Url, Document>,
    roots: &[std::path::PathBuf],
) -> Vec<lsp_types::SymbolInformation> {
    let mut docs: Vec<Document> = open.values().cloned().collect();
    for path in super::references::workspace_files(roots) {
        let Ok(uri) = lsp_types::Url::from_file_path(&path) else {
            continue;
        };
        if open.contains_key(&uri) {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(&path) {
            docs.push(Document::new(uri, text, 0));
        }
    }
    docs.sort_by(|a, b| a.uri.as_str().cmp(b.uri.as_str()));
    let query = query.to_lowercase();
    let matches = |name: &str| {
        let mut letters = name.chars().flat_map(char::to_lowercase);
        query.chars().all(|q| letters.any(|c| c == q))
    };
    let mut found = Vec::new();
    for doc in &docs {
        for top in document_symbols(doc) {
            if top.kind == SymbolKind::MODULE {
                continue;
            }
            for child in top.children.iter().flatten() {
                if matches(&child.name) && child.kind == SymbolKind::METHOD {
                    found.push(lsp_types::SymbolInformation {
                        name: child.name.clone(),
                        kind: child.kind,
                        tags: None,
                        deprecated: None,
                        location: lsp_types::Location::new(doc.uri.clone(), child.range),
                        container_name: Some(top.name.clone()),
                    });
                }
            }
            if matches(&top.name) {
                let file = doc
                    .path
                    .as_deref()
                    .and_then(std::path::Path::file_name)
                    .map(|f| f.to_string_lossy().into_owned());
                found.push(lsp_types::SymbolInformation {
                    name: top.name,
                    kind: top.kind,
                    tags: None,
                    deprecated: None,
                    location: lsp_types::Location::new(doc.uri.clone(), top.range),
                    container_name: file,
                });
            }
        }
    }
    found.sort_by_key(|s| {
        let prefix = s.name.to_lowercase().starts_with(&query);
        (!prefix, s.name.len())
    });
    found.truncate(200);
    found
}
