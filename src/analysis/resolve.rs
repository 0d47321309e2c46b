//! Names and scopes: the namespace of each module (declarations and import aliases share it),
//! and what a possibly qualified name refers to.
//!
//! Binding rule for resources (a decision of the project lead): a bare name written in an
//! imported module that the entry file declares as a resource binds to the entry file's
//! resource, so library pipelines run on the scenario's `gpu`; every other name resolves in
//! the module where it is written (its own declarations, then its import aliases).

use super::codes;
use crate::diagnostic::{suggest, Diagnostic, Diagnostics};
use crate::loader::Program;
use crate::source::Span;
use crate::syntax::ast::{self, DeclKind};
use std::collections::HashMap;

/// What a top-level name of a module is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A declaration: its index in the module's `ast.items`, and its kind.
    Decl { item: usize, kind: DeclKind },
    /// An import alias, with the imported module (None if it failed to load).
    Import(Option<usize>),
    /// A declaration that did not parse (reported): uses of it stay silent.
    Broken,
}

/// The namespace of one module.
#[derive(Clone, Debug, Default)]
pub struct ModuleSymbols {
    /// Name → symbol and the span of the name where it is declared.
    pub names: HashMap<String, (Symbol, Span)>,
    /// Names in declaration order, for "did you mean" and stable iteration.
    pub order: Vec<String>,
    /// Item index of the (first) `scenario` block.
    pub scenario: Option<usize>,
    /// Item index of the (first) `experiment` block.
    pub experiment: Option<usize>,
}

/// Builds every module's namespace, reporting duplicates, missing names and repeated
/// `scenario`/`experiment` blocks.
pub fn build_symbols(program: &Program, diagnostics: &mut Diagnostics) -> Vec<ModuleSymbols> {
    let mut all = Vec::new();
    for module in &program.modules {
        let mut symbols = ModuleSymbols::default();
        let mut import_index = 0;
        for (item_index, item) in module.ast.items.iter().enumerate() {
            let (name, symbol) = match item {
                ast::Item::Import(import) => {
                    let target = module
                        .imports
                        .get(import_index)
                        .and_then(|(_, target)| *target);
                    import_index += 1;
                    (Some(&import.alias), Symbol::Import(target))
                }
                ast::Item::Decl(decl) => {
                    let singleton = match decl.kind {
                        DeclKind::Scenario => Some(&mut symbols.scenario),
                        DeclKind::Experiment => Some(&mut symbols.experiment),
                        _ => None,
                    };
                    if let Some(slot) = singleton {
                        match slot {
                            Some(first) => {
                                let first_span = match &module.ast.items[*first] {
                                    ast::Item::Decl(d) => d.kind_span,
                                    ast::Item::Import(i) => i.span,
                                };
                                diagnostics.push(
                                    Diagnostic::error(
                                        codes::DUPLICATE_SINGLETON,
                                        format!(
                                            "a file has at most one `{}` block",
                                            decl.kind.keyword()
                                        ),
                                    )
                                    .primary(decl.kind_span, "second block")
                                    .secondary(first_span, "first block here")
                                    .help(format!(
                                        "merge the attributes into the first `{}` block",
                                        decl.kind.keyword()
                                    )),
                                );
                            }
                            None => *slot = Some(item_index),
                        }
                    }
                    if decl.name.is_none() && decl.kind != DeclKind::Experiment {
                        diagnostics.push(
                            Diagnostic::error(
                                codes::MISSING_NAME,
                                format!("a `{}` needs a name", decl.kind.keyword()),
                            )
                            .primary(decl.kind_span, "no name after this keyword")
                            .help(format!(
                                "write a name after the keyword, such as `{} {} {{ ... }}`",
                                decl.kind.keyword(),
                                example_name(decl.kind)
                            )),
                        );
                    }
                    (
                        decl.name.as_ref(),
                        Symbol::Decl {
                            item: item_index,
                            kind: decl.kind,
                        },
                    )
                }
            };
            let Some(name) = name else { continue };
            if let Some((first, first_span)) = symbols.names.get(&name.name) {
                diagnostics.push(
                    Diagnostic::error(
                        codes::DUPLICATE_NAME,
                        format!("`{}` is declared twice", name.name),
                    )
                    .primary(name.span, format!("second {}", describe_symbol(&symbol)))
                    .secondary(*first_span, format!("first {} here", describe_symbol(first)))
                    .help("all top-level declarations and imports of a file share one namespace: rename one of them"),
                );
                continue;
            }
            symbols.names.insert(name.name.clone(), (symbol, name.span));
            symbols.order.push(name.name.clone());
        }
        for name in &module.ast.broken {
            if !symbols.names.contains_key(&name.name) {
                symbols
                    .names
                    .insert(name.name.clone(), (Symbol::Broken, name.span));
                symbols.order.push(name.name.clone());
            }
        }
        all.push(symbols);
    }
    all
}

fn example_name(kind: DeclKind) -> &'static str {
    match kind {
        DeclKind::Scenario => "baseline",
        DeclKind::Resource => "gpu",
        DeclKind::Dataset => "asset",
        DeclKind::Pipeline => "classic",
        DeclKind::Profile => "weekly",
        DeclKind::Arrivals => "triggers",
        DeclKind::Monitor => "stale",
        DeclKind::Experiment => "main",
    }
}

pub fn describe_symbol(symbol: &Symbol) -> String {
    match symbol {
        Symbol::Decl { kind, .. } => kind.keyword().to_string(),
        Symbol::Import(_) => "import".to_string(),
        Symbol::Broken => "declaration".to_string(),
    }
}

/// The result of resolving a declaration path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A declaration: module and item index.
    Decl {
        module: usize,
        item: usize,
        kind: DeclKind,
    },
    /// An import alias used alone.
    Module(usize),
    /// Behind an import that failed to load: already reported, stay silent.
    Broken,
}

/// Why a path did not resolve.
#[derive(Clone, Debug)]
pub struct NotFound {
    /// The part that is unknown.
    pub part: ast::Ident,
    /// Names that would have been valid there.
    pub candidates: Vec<String>,
    /// Parts consumed before the failing one (`aiops` in `aiops.edgee`).
    pub prefix: String,
}

/// Looks up names across modules.
pub struct Resolver<'a> {
    pub program: &'a Program,
    pub symbols: &'a [ModuleSymbols],
}

impl Resolver<'_> {
    /// The entry file's resource called `name`, if it declares one.
    fn entry_resource(&self, name: &str) -> Option<(Symbol, Span)> {
        match self.symbols[0].names.get(name) {
            Some(
                found @ (
                    Symbol::Decl {
                        kind: DeclKind::Resource,
                        ..
                    },
                    _,
                ),
            ) => Some(*found),
            _ => None,
        }
    }

    /// The symbol a bare name written in `module` refers to, with the module it lives in.
    pub fn lookup(&self, module: usize, name: &str) -> Option<(usize, Symbol)> {
        let own = self.symbols[module].names.get(name).copied();
        if module != 0 {
            let own_is_resource_or_absent = matches!(
                own,
                None | Some((
                    Symbol::Decl {
                        kind: DeclKind::Resource,
                        ..
                    },
                    _
                ))
            );
            if own_is_resource_or_absent {
                if let Some((symbol, _)) = self.entry_resource(name) {
                    return Some((0, symbol));
                }
            }
        }
        own.map(|(symbol, _)| (module, symbol))
    }

    /// Resolves all of `parts` as a declaration path written in `module`
    /// (`gpu`, `aiops.edge`, `aiops.profiles.weekly`).
    pub fn resolve(&self, module: usize, parts: &[ast::Ident]) -> Result<Target, NotFound> {
        self.resolve_prefix(module, parts)
            .and_then(|(target, used)| {
                if used == parts.len() {
                    Ok(target)
                } else {
                    let (module, candidates) = match target {
                        Target::Module(m) => (m, self.symbols[m].order.clone()),
                        _ => (module, Vec::new()),
                    };
                    let _ = module;
                    Err(NotFound {
                        part: parts[used].clone(),
                        candidates,
                        prefix: dotted(&parts[..used]),
                    })
                }
            })
    }

    /// Resolves the longest prefix of `parts` that names a declaration or module; returns it
    /// and how many parts it used. A declaration stops the walk (the rest may be attributes).
    pub fn resolve_prefix(
        &self,
        module: usize,
        parts: &[ast::Ident],
    ) -> Result<(Target, usize), NotFound> {
        let Some(first) = parts.first() else {
            return Ok((Target::Broken, 0));
        };
        let Some((found_in, symbol)) = self.lookup(module, &first.name) else {
            return Err(NotFound {
                part: first.clone(),
                candidates: self.symbols[module].order.clone(),
                prefix: String::new(),
            });
        };
        let mut target = match symbol {
            Symbol::Decl { item, kind } => {
                return Ok((
                    Target::Decl {
                        module: found_in,
                        item,
                        kind,
                    },
                    1,
                ))
            }
            Symbol::Import(None) | Symbol::Broken => return Ok((Target::Broken, parts.len())),
            Symbol::Import(Some(m)) => Target::Module(m),
        };
        let mut used = 1;
        while let (Target::Module(m), Some(part)) = (target, parts.get(used)) {
            match self.symbols[m].names.get(&part.name) {
                Some((Symbol::Decl { item, kind }, _)) => {
                    return Ok((
                        Target::Decl {
                            module: m,
                            item: *item,
                            kind: *kind,
                        },
                        used + 1,
                    ))
                }
                Some((Symbol::Import(None) | Symbol::Broken, _)) => {
                    return Ok((Target::Broken, parts.len()))
                }
                Some((Symbol::Import(Some(next)), _)) => {
                    target = Target::Module(*next);
                    used += 1;
                }
                None => {
                    return Err(NotFound {
                        part: part.clone(),
                        candidates: self.symbols[m].order.clone(),
                        prefix: dotted(&parts[..used]),
                    })
                }
            }
        }
        Ok((target, used))
    }

    /// The declaration at `item` of `module`.
    pub fn decl(&self, module: usize, item: usize) -> Option<&ast::Decl> {
        match self.program.modules.get(module)?.ast.items.get(item)? {
            ast::Item::Decl(d) => Some(d),
            ast::Item::Import(_) => None,
        }
    }
}

pub fn dotted(parts: &[ast::Ident]) -> String {
    parts
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// "did you mean `x`?" for `wrong` among `candidates`, as a help text.
/// Help for a qualified name whose first part is nothing in `symbols` (`aiops.classic`
/// without the import): the import alias it is one slip from, or the standard library module
/// of that name to import. `None` where neither applies, or where the first part is known.
pub fn missing_import_help(symbols: &ModuleSymbols, parts: &[ast::Ident]) -> Option<String> {
    let (first, rest) = parts.split_first()?;
    if rest.is_empty() || symbols.names.contains_key(&first.name) {
        return None;
    }
    let rest = dotted(rest);
    let aliases = symbols
        .order
        .iter()
        .filter(|name| matches!(symbols.names.get(*name), Some((Symbol::Import(_), _))));
    if let Some(alias) = suggest(&first.name, aliases.map(String::as_str)) {
        return Some(format!(
            "did you mean `{alias}.{rest}`? The import is named `{alias}`, not `{}`",
            first.name
        ));
    }
    let module = format!("std/{}", first.name);
    let declared = stdlib_declarations(&module)?;
    let import = format!(
        "`{0}` is not imported here: add `import \"{module}\" as {0}`",
        first.name
    );
    let wanted = &parts[1].name;
    if declared.contains(wanted) {
        return Some(import);
    }
    // The module has no such declaration: importing it alone would not mend the name.
    Some(match suggest(wanted, declared.iter().map(String::as_str)) {
        Some(meant) => format!(
            "{import}, and write `{}.{meant}`: `{module}` declares no `{wanted}`",
            first.name
        ),
        None => format!(
            "{import}; it declares no `{wanted}`, only {}",
            declared
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// The standard library modules that declare `name`, each with that declaration
/// (`std/profiles` and its `profile office_hours { ... }` for `office_hours`).
pub fn stdlib_declaring(name: &str) -> Vec<(&'static str, ast::Decl)> {
    crate::loader::STDLIB
        .iter()
        .filter_map(|(module, text)| {
            let (tree, _) = crate::syntax::parse_file(crate::source::FileId(0), text);
            tree.items.into_iter().find_map(|item| match item {
                ast::Item::Decl(decl) if decl.name.as_ref().is_some_and(|n| n.name == name) => {
                    Some((*module, decl))
                }
                _ => None,
            })
        })
        .collect()
}

/// `pool` or `link`: what a `resource` declaration's `kind` says it is.
pub fn resource_kind(decl: &ast::Decl) -> Option<&str> {
    if decl.kind != ast::DeclKind::Resource {
        return None;
    }
    decl.body.entries.iter().find_map(|entry| match entry {
        ast::Entry::Attr(attr) if attr.name.name == "kind" => match &attr.value.kind {
            ast::ExprKind::Path(path) => path.parts.first().map(|p| p.name.as_str()),
            _ => None,
        },
        _ => None,
    })
}

/// The names of the declarations of the standard library module `module` (`std/profiles`:
/// `flat`, `office_hours`, ...), in the order written; `None` when there is no such module.
pub fn stdlib_declarations(module: &str) -> Option<Vec<String>> {
    let (_, text) = crate::loader::STDLIB
        .iter()
        .find(|(path, _)| *path == module)?;
    let (tree, _) = crate::syntax::parse_file(crate::source::FileId(0), text);
    Some(
        tree.items
            .iter()
            .filter_map(|item| match item {
                ast::Item::Decl(decl) => decl.name.as_ref().map(|name| name.name.clone()),
                ast::Item::Import(_) => None,
            })
            .collect(),
    )
}

pub fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    suggest(wrong, candidates).map(|s| format!("did you mean `{s}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::Module;
    use crate::source::{Origin, SourceMap};

    /// An entry file importing one module as `lib` (or a failed import when `lib` is None).
    fn program(entry: &str, lib: Option<&str>) -> (Program, Vec<ModuleSymbols>, Diagnostics) {
        let mut sources = SourceMap::new();
        let mut modules = Vec::new();
        let entry_file = sources.add("entry.pipesim", Origin::Inline, entry.to_string());
        let (entry_ast, errors) = crate::syntax::parse_file(entry_file, entry);
        assert!(errors.is_empty(), "{errors:?}");
        let alias = entry_ast
            .items
            .iter()
            .find_map(|i| match i {
                ast::Item::Import(import) => Some(import.alias.clone()),
                _ => None,
            })
            .into_iter();
        modules.push(Module {
            file: entry_file,
            ast: entry_ast,
            imports: alias.map(|a| (a, lib.map(|_| 1))).collect(),
        });
        if let Some(lib) = lib {
            let file = sources.add("lib.pipesim", Origin::Inline, lib.to_string());
            let (ast, errors) = crate::syntax::parse_file(file, lib);
            assert!(errors.is_empty(), "{errors:?}");
            modules.push(Module {
                file,
                ast,
                imports: Vec::new(),
            });
        }
        let program = Program { modules };
        let mut diagnostics = Diagnostics::default();
        let symbols = build_symbols(&program, &mut diagnostics);
        (program, symbols, diagnostics)
    }

    fn ident(name: &str) -> ast::Ident {
        ast::Ident {
            name: name.to_string(),
            span: Span::new(crate::source::FileId(0), 0, 0),
        }
    }

    fn path(text: &str) -> Vec<ast::Ident> {
        text.split('.').map(ident).collect()
    }

    const LIB: &str = "resource gpu { kind = pool  capacity = 2 }\n\
                       resource scratch { kind = link  bandwidth = 1GB/s }\n\
                       pipeline edge { train { on = gpu  duration = 1min } }\n";

    #[test]
    fn declarations_and_imports_share_one_namespace() {
        let (_, _, diagnostics) = program(
            "import \"lib\" as gpu\nresource gpu { kind = pool  capacity = 4 }\n",
            Some(LIB),
        );
        assert_eq!(diagnostics.0.len(), 1, "{:?}", diagnostics.0);
        let d = &diagnostics.0[0];
        assert_eq!(d.code, "E0201");
        assert_eq!(d.labels.len(), 2, "the first declaration is labelled too");
        assert!(!d.labels[1].primary);
    }

    #[test]
    fn a_library_resource_binds_to_the_entry_resource_of_the_same_name() {
        let (program, symbols, diagnostics) = program(
            "import \"lib\" as lib\nresource gpu { kind = pool  capacity = 8 }\n",
            Some(LIB),
        );
        assert!(diagnostics.is_empty());
        let resolver = Resolver {
            program: &program,
            symbols: &symbols,
        };
        // `gpu` written in the library is the entry's `gpu`...
        assert!(matches!(
            resolver.lookup(1, "gpu"),
            Some((0, Symbol::Decl { item: 1, .. }))
        ));
        // ...while `scratch`, which the entry does not declare, stays the library's own.
        assert!(matches!(
            resolver.lookup(1, "scratch"),
            Some((1, Symbol::Decl { item: 1, .. }))
        ));
        // And the entry cannot see the library's names unqualified.
        assert!(resolver.lookup(0, "edge").is_none());
    }

    #[test]
    fn qualified_names_go_through_import_aliases() {
        let (program, symbols, _) = program("import \"lib\" as lib\n", Some(LIB));
        let resolver = Resolver {
            program: &program,
            symbols: &symbols,
        };
        assert_eq!(
            resolver.resolve(0, &path("lib.edge")).unwrap(),
            Target::Decl {
                module: 1,
                item: 2,
                kind: DeclKind::Pipeline
            }
        );
        assert_eq!(
            resolver.resolve(0, &path("lib")).unwrap(),
            Target::Module(1)
        );
        let missing = resolver.resolve(0, &path("lib.egde")).unwrap_err();
        assert_eq!(missing.part.name, "egde");
        assert_eq!(missing.prefix, "lib");
        assert!(missing.candidates.contains(&"edge".to_string()));
        // The rest of a path after a declaration is not a declaration.
        assert!(resolver.resolve(0, &path("lib.edge.train")).is_err());
    }

    #[test]
    fn names_behind_a_failed_import_are_silent() {
        let (program, symbols, _) = program("import \"missing\" as lib\n", None);
        let resolver = Resolver {
            program: &program,
            symbols: &symbols,
        };
        assert_eq!(
            resolver.resolve(0, &path("lib.edge")).unwrap(),
            Target::Broken
        );
        assert!(resolver.resolve(0, &path("other")).is_err());
    }
}
