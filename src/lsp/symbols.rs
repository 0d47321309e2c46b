//! Document symbols: the outline of imports, declarations, their steps and nested blocks.

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
