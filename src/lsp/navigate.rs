//! What a name at the cursor refers to, for hover and go to definition.
//!
//! Names resolve as analysis resolves them: a bare name that is an attribute of the enclosing
//! declaration (pipeline user attributes such as `framework`, earlier dataset attributes) is
//! that attribute; otherwise an import alias, then a declaration of the file, then a label of
//! the enclosing declaration's `choice`s (first, for an operand of `==` or `!=`: `device ==
//! gpu` compares with the label `gpu` where a `choice` produces it, whatever else is so named); a second part names a member (`asset.size`, `classic.train`,
//! `aiops.edge` in the imported module). A step's `after` names the pipeline's steps. Standard
//! library modules are shown through their materialised read-only copies.

use super::document::{self, Document};
use super::scan::{BlockKind, TokenKind};
use crate::syntax::ast::DeclKind;
use lsp_types::{Location, Url};
use std::collections::HashMap;

/// What a name refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Symbol {
    /// A top-level declaration (a block index of the outline).
    Decl(usize),
    /// A pipeline step (a block index).
    Step(usize),
    /// An attribute (an index in `Outline::attrs`).
    Attr(usize),
    /// An import statement (an index in `Outline::imports`).
    Import(usize),
    /// A label: where a `choice` of the enclosing declaration first names it.
    Label(super::scan::Name),
}

/// A symbol and the document it is in (the open one, or an imported module).
#[derive(Clone, Debug)]
pub struct Resolved {
    pub doc: Document,
    pub symbol: Symbol,
}

/// Everything resolution may need: the document and the other open ones.
pub struct Context<'a> {
    pub doc: &'a Document,
    pub open: &'a HashMap<Url, Document>,
}

impl Context<'_> {
    /// The name (or import path) at `offset`, resolved.
    pub fn resolve_at(&self, offset: usize) -> Option<Resolved> {
        let index = self.doc.outline.token_at(offset)?;
        self.resolve_token(index, offset)
    }

    /// What token `index` names; `offset` (within the token) picks the part of a metric name.
    pub fn resolve_token(&self, index: usize, offset: usize) -> Option<Resolved> {
        let doc = self.doc;
        let outline = &doc.outline;
        let token = outline.tokens[index];
        if token.kind == TokenKind::Str {
            if let Some(import) = outline
                .imports
                .iter()
                .position(|i| i.path.as_ref().is_some_and(|p| p.start == token.start))
            {
                return Some(self.here(Symbol::Import(import)));
            }
            let parts = metric_parts(outline, &doc.text, index)?;
            let at = parts
                .iter()
                .position(|p| p.start <= offset && offset <= p.end)?;
            return (at > 0)
                .then(|| self.resolve_path(doc, &parts[1..=at], None))
                .flatten()
                .filter(|r| !matches!(r.symbol, Symbol::Attr(_) | Symbol::Label(_)));
        }
        // A block's keyword (`autoscale {`, `train {`) is a word of the language, whatever
        // a declaration of the same name is called.
        if outline
            .blocks
            .iter()
            .any(|b| b.keyword.as_ref().is_some_and(|k| k.start == token.start))
        {
            return None;
        }
        let (parts, at) = outline.path_at(&doc.text, index)?;
        let word = &parts[at];
        // A step's `after` list names steps of the same pipeline.
        for block in &outline.blocks {
            if block.after.iter().any(|n| n.start == word.start) {
                let pipeline = block.parent?;
                let (step, _) = outline
                    .steps(pipeline)
                    .find(|(_, s)| s.step_name().is_some_and(|n| n.text == word.text))?;
                return Some(self.here(Symbol::Step(step)));
            }
        }
        // The name of a declaration or step in its header is that declaration.
        for (i, block) in outline.blocks.iter().enumerate() {
            let is_name = block.name.as_ref().is_some_and(|n| n.start == word.start);
            match block.kind {
                BlockKind::Decl(_) if is_name => return Some(self.here(Symbol::Decl(i))),
                BlockKind::Step(_) if is_name => return Some(self.here(Symbol::Step(i))),
                _ => {}
            }
        }
        if let Some(attr) = outline
            .attrs
            .iter()
            .position(|a| a.name.start == word.start)
        {
            // An attribute's own name: the attribute (hover gives its meaning first), or, in
            // a replayed trace's `row { }`, the attribute of the template it sets.
            return self
                .row_target(attr)
                .or_else(|| Some(self.here(Symbol::Attr(attr))));
        }
        if let Some(alias) = outline
            .imports
            .iter()
            .position(|i| i.alias.as_ref().is_some_and(|a| a.start == word.start))
        {
            return Some(self.here(Symbol::Import(alias)));
        }
        if parts.len() == 1 {
            if let Some(label) = self.compared_label(index, offset, word) {
                return Some(self.here(Symbol::Label(label)));
            }
        }
        self.resolve_path(doc, &parts[..=at], Some(offset))
    }

    /// `device == gpu` where a `choice` of the enclosing declaration produces the label `gpu`
    /// and no attribute of it is called so: the label, as analysis reads a bare name compared
    /// with a label, even where a declaration (the resource `gpu`) has the name too. So is
    /// the key `gpu:` of that `choice`, unless a pipeline has its name (`pipeline = choice {
    /// classic: 0.6, ... }` chooses templates).
    fn compared_label(
        &self,
        index: usize,
        offset: usize,
        word: &super::scan::Name,
    ) -> Option<super::scan::Name> {
        let (outline, text) = (&self.doc.outline, &self.doc.text);
        let compared = |k: Option<usize>| {
            k.filter(|&k| k < outline.tokens.len())
                .is_some_and(|k| matches!(outline.text(text, k), "==" | "!="))
        };
        let is = |k: Option<usize>, word: &str| {
            k.filter(|&k| k < outline.tokens.len())
                .is_some_and(|k| outline.text(text, k) == word)
        };
        let key = is(Some(index + 1), ":") && !is(index.checked_sub(1), ".");
        if key
            && outline
                .decl(&word.text)
                .is_some_and(|(_, b)| b.kind == BlockKind::Decl(DeclKind::Pipeline))
        {
            return None;
        }
        if !key && !compared(index.checked_sub(1)) && !compared(Some(index + 1)) {
            return None;
        }
        let enclosing = outline.decl_at(offset)?;
        if outline
            .attrs
            .iter()
            .any(|a| a.block == enclosing && a.name.text == word.text)
        {
            return None;
        }
        outline
            .labels(text, enclosing)
            .into_iter()
            .find(|l| l.text == word.text)
    }

    /// For an attribute of an arrivals declaration's `row { }` (`gpus = row.num_gpus`): the
    /// attribute of that name of the first pipeline the declaration names.
    fn row_target(&self, attr: usize) -> Option<Resolved> {
        let outline = &self.doc.outline;
        let info = &outline.attrs[attr];
        let row = &outline.blocks[info.block];
        let arrivals = &outline.blocks[row.parent?];
        let is_row = row.kind == BlockKind::Nested("row".to_string())
            && arrivals.kind == BlockKind::Decl(DeclKind::Arrivals);
        if !is_row {
            return None;
        }
        let names = outline.tokens.iter().enumerate().filter(|(_, t)| {
            t.kind == TokenKind::Ident
                && arrivals.open < t.start
                && t.end <= arrivals.end
                && !(row.open < t.start && t.end <= row.end)
        });
        names
            .filter_map(|(k, t)| self.resolve_token(k, t.start))
            .find_map(|template| match template.symbol {
                Symbol::Decl(b)
                    if template.doc.outline.blocks[b].kind
                        == BlockKind::Decl(DeclKind::Pipeline) =>
                {
                    member(&template.doc, b, std::slice::from_ref(&info.name))
                        .filter(|r| matches!(r.symbol, Symbol::Attr(_)))
                }
                _ => None,
            })
    }

    fn here(&self, symbol: Symbol) -> Resolved {
        Resolved {
            doc: self.doc.clone(),
            symbol,
        }
    }

    /// Resolves `parts` in `doc`. `offset` (in the open document only) enables the names local
    /// to the enclosing declaration.
    pub fn resolve_path(
        &self,
        doc: &Document,
        parts: &[super::scan::Name],
        offset: Option<usize>,
    ) -> Option<Resolved> {
        let outline = &doc.outline;
        let first = parts.first()?.text.as_str();
        let found = |symbol| {
            Some(Resolved {
                doc: doc.clone(),
                symbol,
            })
        };
        // A bare name that is an attribute of the enclosing declaration is that attribute,
        // whatever else is called so: analysis looks at the instance's attributes first.
        let enclosing = offset.and_then(|o| outline.decl_at(o));
        if let (Some(enclosing), [_]) = (enclosing, parts) {
            if let Some(attr) = outline
                .attrs
                .iter()
                .position(|a| a.block == enclosing && a.name.text == first)
            {
                return found(Symbol::Attr(attr));
            }
        }
        if let Some(import) = outline
            .imports
            .iter()
            .position(|i| i.alias.as_ref().is_some_and(|a| a.text == first))
        {
            if parts.len() == 1 {
                return found(Symbol::Import(import));
            }
            let path = outline.imports[import].path.as_ref()?;
            let module = document::load_import(doc, &path.text, self.open)?;
            return self.resolve_path(&module, &parts[1..], None);
        }
        let decl = outline.decl(first).map(|(i, _)| i).or_else(|| {
            // `scenario.horizon` in a sweep path names the scenario, whatever it is called.
            (first == "scenario")
                .then(|| {
                    outline.decls().find(|(_, b)| {
                        b.kind == BlockKind::Decl(crate::syntax::ast::DeclKind::Scenario)
                    })
                })
                .flatten()
                .map(|(i, _)| i)
        });
        if let Some(decl) = decl {
            if parts.len() == 1 {
                return found(Symbol::Decl(decl));
            }
            return member(doc, decl, &parts[1..]);
        }
        let enclosing = outline.decl_at(offset?)?;
        if let Some(attr) = outline
            .attrs
            .iter()
            .position(|a| a.block == enclosing && a.name.text == first)
        {
            return found(Symbol::Attr(attr));
        }
        let label = outline
            .labels(&doc.text, enclosing)
            .into_iter()
            .find(|l| l.text == first)?;
        found(Symbol::Label(label))
    }
}

/// The dotted parts of string token `index` when it is a metric name that names declarations
/// (`"resource.gpu.utilization"`, `"step.aiops.edge.train.wait.mean"`) in an experiment's
/// `metrics` list, each with its span in the text; the first part is the metric's kind.
/// Whether the string token `index` is in `metrics = [...]`.
pub fn in_metrics_list(outline: &super::scan::Outline, text: &str, index: usize) -> bool {
    // Walk back over the list's strings and commas to `metrics = [`.
    let mut k = index;
    while k > 0
        && (outline.tokens[k - 1].kind == TokenKind::Str || outline.text(text, k - 1) == ",")
    {
        k -= 1;
    }
    let opener = |back: usize, word: &str| k >= back && outline.text(text, k - back) == word;
    opener(1, "[") && opener(2, "=") && opener(3, "metrics")
}

pub fn metric_parts(
    outline: &super::scan::Outline,
    text: &str,
    index: usize,
) -> Option<Vec<super::scan::Name>> {
    if !in_metrics_list(outline, text, index) {
        return None;
    }
    let token = outline.tokens[index];
    let inner = text.get(token.start + 1..token.end.checked_sub(1)?)?;
    if !matches!(inner.split('.').next(), Some("step" | "resource" | "link"))
        || inner.contains(['\\', '"'])
    {
        return None;
    }
    let mut start = token.start + 1;
    let mut parts = Vec::new();
    for part in inner.split('.') {
        parts.push(super::scan::Name {
            text: part.to_string(),
            start,
            end: start + part.len(),
        });
        start += part.len() + 1;
    }
    Some(parts)
}

/// `DECL.member...`: a step or attribute of a pipeline, an attribute of anything else.
fn member(doc: &Document, block: usize, rest: &[super::scan::Name]) -> Option<Resolved> {
    let outline = &doc.outline;
    let name = rest.first()?.text.as_str();
    let found = |symbol| {
        Some(Resolved {
            doc: doc.clone(),
            symbol,
        })
    };
    if let BlockKind::Decl(crate::syntax::ast::DeclKind::Pipeline) = outline.blocks[block].kind {
        if let Some((step, _)) = outline
            .steps(block)
            .find(|(_, s)| s.step_name().is_some_and(|n| n.text == name))
        {
            if rest.len() == 1 {
                return found(Symbol::Step(step));
            }
            return member(doc, step, &rest[1..]);
        }
    }
    let attr = outline
        .attrs
        .iter()
        .position(|a| a.block == block && a.name.text == name)?;
    found(Symbol::Attr(attr))
}

impl Resolved {
    /// Where the symbol is declared: its name (or keyword when it has none).
    pub fn location(&self) -> Option<Location> {
        let outline = &self.doc.outline;
        let (start, end) = match &self.symbol {
            Symbol::Decl(b) | Symbol::Step(b) => {
                let block = &outline.blocks[*b];
                let name = block.name.as_ref().or(block.keyword.as_ref())?;
                (name.start, name.end)
            }
            Symbol::Attr(a) => {
                let name = &outline.attrs[*a].name;
                (name.start, name.end)
            }
            Symbol::Import(i) => {
                let import = &outline.imports[*i];
                (import.start, import.end)
            }
            Symbol::Label(name) => (name.start, name.end),
        };
        Some(Location::new(
            self.doc.uri.clone(),
            self.doc.range(start, end),
        ))
    }

    /// For an import: the module file it names (the start of it).
    pub fn module_location(&self) -> Option<Location> {
        let Symbol::Import(i) = self.symbol else {
            return None;
        };
        let path = self.doc.outline.imports[i].path.as_ref()?;
        let target = document::import_target(&self.doc, &path.text)?;
        let uri = Url::from_file_path(target).ok()?;
        Some(Location::new(uri, lsp_types::Range::default()))
    }

    /// Markdown describing the symbol: what it is, its first line, the comment above it.
    /// The name of the resource this is, when it is declared in a module (a file without a
    /// `scenario`): analysis binds references to it to an importing scenario's resource of
    /// that name, which navigation cannot know (several scenarios may import the module).
    fn module_resource(&self) -> Option<&str> {
        let Symbol::Decl(b) = self.symbol else {
            return None;
        };
        let outline = &self.doc.outline;
        let block = &outline.blocks[b];
        let is_module = !outline
            .decls()
            .any(|(_, d)| matches!(d.kind, BlockKind::Decl(DeclKind::Scenario)));
        match block.kind {
            BlockKind::Decl(DeclKind::Resource) if is_module => {
                block.name.as_ref().map(|n| n.text.as_str())
            }
            _ => None,
        }
    }

    /// The offered load of the pool or link this names, if it is declared in a document whose
    /// last check worked it out.
    fn resource_load(&self) -> Option<&crate::analysis::load::ResourceLoad> {
        let Symbol::Decl(b) = self.symbol else {
            return None;
        };
        let block = &self.doc.outline.blocks[b];
        if block.kind != BlockKind::Decl(DeclKind::Resource) {
            return None;
        }
        let name = &block.name.as_ref()?.text;
        self.doc.loads.iter().find(|load| &load.name == name)
    }

    pub fn markdown(&self, from: &Url) -> String {
        let doc = &self.doc;
        let outline = &doc.outline;
        let (title, start) = match &self.symbol {
            Symbol::Decl(b) => {
                let block = &outline.blocks[*b];
                let kind = match block.kind {
                    BlockKind::Decl(kind) => kind.keyword(),
                    _ => "declaration",
                };
                let name = block
                    .name
                    .as_ref()
                    .map_or(String::new(), |n| format!(" `{}`", n.text));
                (format!("{kind}{name}"), block.start)
            }
            Symbol::Step(b) => {
                let block = &outline.blocks[*b];
                let step = block.step_name().map_or("?", |n| n.text.as_str());
                let pipeline = block
                    .parent
                    .and_then(|p| outline.blocks[p].name.as_ref())
                    .map_or(String::new(), |n| format!(" of pipeline `{}`", n.text));
                let kind = match block.kind {
                    BlockKind::Step(kind) => kind.keyword(),
                    _ => "step",
                };
                (format!("{kind} step `{step}`{pipeline}"), block.start)
            }
            Symbol::Attr(a) => {
                let attr = &outline.attrs[*a];
                let owner = &outline.blocks[attr.block];
                let owner_name = owner
                    .step_name()
                    .or(owner.name.as_ref())
                    .or(owner.keyword.as_ref())
                    .map_or(String::new(), |n| format!(" of `{}`", n.text));
                (
                    format!("attribute `{}`{owner_name}", attr.name.text),
                    attr.name.start,
                )
            }
            Symbol::Import(i) => {
                let import = &outline.imports[*i];
                let alias = import.alias.as_ref().map_or("?", |a| a.text.as_str());
                (format!("module `{alias}`"), import.start)
            }
            Symbol::Label(name) => (
                format!("label `{}`, produced by this `choice`", name.text),
                name.start,
            ),
        };
        let mut text = format!("{title}\n\n```pipesim\n{}\n```", doc.line_at(start).trim());
        // An import's explanation is its module's opening comment (below), not the comment
        // above the import, which is usually the importing file's own header.
        let is_import = matches!(self.symbol, Symbol::Import(_));
        let comments = if is_import {
            Vec::new()
        } else {
            doc.comments_above(start)
        };
        if !comments.is_empty() {
            text.push_str(&format!("\n\n{}", comments.join("\n")));
        }
        if let Some(load) = self.resource_load() {
            use crate::analysis::load::{format_bandwidth, Capacity};
            let at_least = if load.exact { "" } else { "at least " };
            let offered = match load.capacity {
                Capacity::Slots(slots) => format!(
                    "{at_least}{} of its {slots} {} busy on average",
                    crate::fit::format_significant(load.busy, 3),
                    if slots == 1 { "slot" } else { "slots" }
                ),
                Capacity::Bandwidth(bandwidth) => format!(
                    "{at_least}{} of its {} asked for on average",
                    format_bandwidth(load.busy),
                    format_bandwidth(bandwidth)
                ),
            };
            text.push_str(&format!(
                "\n\nOffered load: {offered} ({}{}%), worked out without running",
                if load.exact { "" } else { "≥ " },
                crate::output::table::format_percent(load.busy / load.capacity.amount()),
            ));
        }
        if let Symbol::Import(i) = self.symbol {
            if let Some(module) = outline.imports[i]
                .path
                .as_ref()
                .and_then(|p| document::load_import(doc, &p.text, &HashMap::new()))
            {
                let lead: Vec<String> = module
                    .text
                    .lines()
                    .map_while(|l| l.trim().strip_prefix("//").map(|c| c.trim().to_string()))
                    // The first paragraph: up to an empty comment line.
                    .take_while(|l| !l.is_empty())
                    .collect();
                if !lead.is_empty() {
                    text.push_str(&format!("\n\n{}", lead.join("\n")));
                }
                let names: Vec<String> = module
                    .outline
                    .decls()
                    .filter_map(|(_, b)| b.name.as_ref().map(|n| format!("`{}`", n.text)))
                    .collect();
                if !names.is_empty() {
                    text.push_str(&format!("\n\ndeclares {}", names.join(", ")));
                }
            }
        }
        if let Some(name) = self.module_resource() {
            text.push_str(&format!(
                "\n\nResources bind by name: where a scenario that imports this module declares \
                 its own `{name}`, this module's `{name}` is that one."
            ));
        }
        if &doc.uri != from {
            let file = doc
                .uri
                .path_segments()
                .and_then(|mut s| s.next_back().map(str::to_string))
                .unwrap_or_default();
            text.push_str(&format!("\n\ndeclared in `{file}`"));
        }
        text
    }
}
