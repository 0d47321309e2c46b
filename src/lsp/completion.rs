//! Completion: what may be written at the cursor. Top-level keywords between declarations;
//! the attributes (and steps, nested blocks) valid in the block the cursor is in; at the
//! start of an attribute's value, only what analysis accepts there (its attribute tables,
//! `lower::AttrType`: `policy =` the policies, `on =` the pools and `match`, `data =` the
//! data sets, a number the names in scope and functions, with distributions, `match` and
//! `choice` where values are drawn per instance); after an operator or in a user
//! attribute, any expression (in a data set, without declarations, which it cannot read;
//! in a template, with its data set's attributes as `asset.size`); after `x ==` the labels
//! `x` can take first; units after a number; the steps of the pipeline after `after`;
//! members after `alias.` or `dataset.`.

use super::docs::{self, BlockContext, Entry};
use super::document::{self, Document};
use super::navigate::Context;
use super::scan::{BlockKind, TokenKind};
use crate::syntax::ast::DeclKind;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, InsertTextFormat,
    MarkupContent, MarkupKind, TextEdit,
};

/// What the client can take.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub snippets: bool,
}

/// Tokens after which an expression (a value) is expected.
const VALUE_PRECEDERS: &[&str] = &[
    "=", "+", "-", "*", "/", "<", "<=", ">", ">=", "==", "!=", "&&", "||", "!", "(", ",", "[",
    "=>", ":", "|", "from", "to", "if", "then", "else", "when", "match",
];

pub fn complete(context: &Context, offset: usize, options: Options) -> Vec<CompletionItem> {
    let doc = context.doc;
    let outline = &doc.outline;
    let text = &doc.text;
    let mut out = Completions {
        items: Vec::new(),
        options,
    };
    if inside_comment(doc, offset) {
        return Vec::new();
    }
    let last = outline.token_before(offset);
    if let Some(i) = outline.token_at(offset) {
        if inside_string(doc, i, offset) {
            if i > 0 && outline.text(text, i - 1) == "import" {
                import_paths(doc, &mut out);
            } else if assigned_attribute(doc, offset).as_deref() == Some("metrics") {
                metric_names(doc, &mut out);
            }
            // Replace what is typed of the string: editors split words at `/` and `.`.
            let typed = doc.range(outline.tokens[i].start + 1, offset);
            for completion in &mut out.items {
                let edit = TextEdit::new(typed, completion.label.clone());
                completion.text_edit = Some(CompletionTextEdit::Edit(edit));
            }
            return out.items;
        }
    }
    let prefix = last.filter(|&i| {
        let t = outline.tokens[i];
        t.end == offset && matches!(t.kind, TokenKind::Ident | TokenKind::Number)
    });
    if let Some(i) = prefix {
        let t = outline.tokens[i];
        if t.kind == TokenKind::Number {
            units(doc, t.unit_start, offset, &mut out);
            return out.items;
        }
    }
    let before = match prefix {
        Some(i) => i.checked_sub(1),
        None => last,
    };
    let before_text = before.map(|i| outline.text(text, i));

    // `alias.` / `dataset.`: members.
    if before_text == Some(".") {
        if let Some(owner) = before.and_then(|i| i.checked_sub(1)) {
            members(context, owner, &mut out);
        }
        return out.items;
    }
    if before_text == Some("sweep") {
        // A sweep path starts with a declaration (or `scenario`); `.` then offers its members.
        declared_names(doc, None, &mut out);
        if let Some(scenario) = docs::keyword("scenario") {
            out.push(item(
                "scenario",
                CompletionItemKind::MODULE,
                scenario.doc,
                None,
            ));
        }
        return out.items;
    }
    let entry_block = outline.entry_block_at(offset);
    if let Some(pipeline) = after_list(doc, before, offset, entry_block) {
        for (_, step) in outline.steps(pipeline) {
            if let Some(name) = step.step_name() {
                out.push(item(&name.text, CompletionItemKind::FUNCTION, "step", None));
            }
        }
        return out.items;
    }
    let Some(block) = entry_block else {
        top_level(&mut out);
        return out.items;
    };
    let block_info = &outline.blocks[block];
    let in_expression_braces = outline
        .block_at(offset)
        .is_some_and(|b| outline.blocks[b].kind == BlockKind::Expr);
    // Inside a distribution's parentheses, before a name: its parameters.
    if matches!(before_text, Some("(" | ",")) {
        let after_paren = before.map_or(0, |i| i + 1);
        if let Some(callee) = outline.enclosing_callee(text, after_paren) {
            if let Some(distribution) = docs::distribution(&callee) {
                let mut seen = Vec::new();
                for param in distribution.forms.iter().flat_map(|f| f.iter()) {
                    if !seen.contains(&param.name) {
                        seen.push(param.name);
                        let insert = format!("{} = ", param.name);
                        out.push(
                            item(param.name, CompletionItemKind::FIELD, param.doc, None).insert(
                                &insert,
                                &insert,
                                out.options,
                            ),
                        );
                    }
                }
                return out.items;
            }
        }
    }
    let value_position =
        in_expression_braces || before_text.is_some_and(|b| VALUE_PRECEDERS.contains(&b));
    if value_position {
        let assigned = outline
            .attrs_of(block)
            .filter(|a| a.name.start < offset)
            .last()
            .map(|a| a.name.text.clone());
        let attribute = match before_text {
            Some("from" | "to") => Some("from".to_string()),
            _ => assigned,
        };
        // Where the attribute's own value starts (not an operand, a pattern or a weight),
        // only what it accepts.
        let starts_value = match before_text {
            Some("=" | "=>" | "then" | "else" | "from" | "to") => true,
            Some("[" | ",") => !in_expression_braces,
            _ => false,
        };
        if starts_value {
            if let Some(attribute) = attribute.as_deref() {
                if typed_values(context, block, attribute, offset, &mut out) {
                    return out.items;
                }
            }
        }
        if matches!(before_text, Some("==" | "!=")) {
            if let Some(operand) = before.and_then(|i| i.checked_sub(1)) {
                compared_labels(context, operand, offset, &mut out);
            }
        }
        values(context, offset, &mut out);
        return out.items;
    }
    if let Some(ctx) = block_info.context() {
        // Attributes already written are not offered again (a duplicate is an error), nor
        // those of the other kind of resource.
        let prefix_start = prefix.map(|i| outline.tokens[i].start);
        let written: Vec<&str> = outline
            .attrs_of(block)
            .filter(|a| Some(a.name.start) != prefix_start)
            .map(|a| a.name.text.as_str())
            .collect();
        let resource_kind = resource_kind(doc, block);
        for attribute in docs::attributes(ctx) {
            if written.contains(&attribute.name)
                || !fits_resource_kind(resource_kind, attribute.name)
            {
                continue;
            }
            let insert = format!("{} = ", attribute.name);
            let snippet = format!("{} = $0", attribute.name);
            out.push(
                item(
                    attribute.name,
                    CompletionItemKind::PROPERTY,
                    attribute.doc,
                    Some(ctx),
                )
                .insert(&insert, &snippet, out.options),
            );
        }
        for sub in docs::sub_blocks(ctx) {
            if sub.name == "autoscale" && resource_kind == Some("link") {
                // Autoscaling adds slots: a link has none.
                continue;
            }
            let (plain, snippet) = if sub.name == "sweep" {
                ("sweep ".to_string(), "sweep ${1:path} = [$0]".to_string())
            } else {
                (
                    format!("{} {{\n}}", sub.name),
                    format!("{} {{\n\t$0\n}}", sub.name),
                )
            };
            out.push(
                item(sub.name, CompletionItemKind::KEYWORD, sub.doc, None).insert(
                    &plain,
                    &snippet,
                    out.options,
                ),
            );
        }
    }
    out.items
}

/// The value of a resource block's `kind = ...`, if written.
fn resource_kind(doc: &Document, block: usize) -> Option<&str> {
    let outline = &doc.outline;
    if outline.blocks[block].kind != BlockKind::Decl(DeclKind::Resource) {
        return None;
    }
    let kind = outline.attrs_of(block).find(|a| a.name.text == "kind")?;
    let at = outline
        .tokens
        .partition_point(|t| t.start < kind.name.start);
    let value = at + 2;
    (value < outline.tokens.len() && outline.tokens[value].kind == TokenKind::Ident)
        .then(|| outline.text(&doc.text, value))
}

fn fits_resource_kind(kind: Option<&str>, attribute: &str) -> bool {
    use crate::analysis::lower::{LINK_ATTRS, POOL_ATTRS};
    let in_table = |table: &[(&str, _)]| table.iter().any(|(name, _)| *name == attribute);
    match kind {
        Some("pool") => in_table(POOL_ATTRS),
        Some("link") => in_table(LINK_ATTRS),
        _ => true,
    }
}

struct Completions {
    items: Vec<CompletionItem>,
    options: Options,
}

impl Completions {
    fn push(&mut self, item: CompletionItem) {
        if !self.items.iter().any(|i| i.label == item.label) {
            let mut item = item;
            // Keep the order the items were added in: the most likely first.
            item.sort_text = Some(format!("{:04}", self.items.len()));
            self.items.push(item);
        }
    }
}

fn item(
    label: &str,
    kind: CompletionItemKind,
    doc: &str,
    context: Option<BlockContext>,
) -> CompletionItem {
    let detail = context.map(docs::context_name);
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        documentation: (!doc.is_empty()).then(|| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: doc.to_string(),
            })
        }),
        ..CompletionItem::default()
    }
}

trait Insert {
    fn insert(self, plain: &str, snippet: &str, options: Options) -> Self;
}

impl Insert for CompletionItem {
    fn insert(mut self, plain: &str, snippet: &str, options: Options) -> CompletionItem {
        if options.snippets {
            self.insert_text = Some(snippet.to_string());
            self.insert_text_format = Some(InsertTextFormat::SNIPPET);
        } else {
            self.insert_text = Some(plain.to_string());
            self.insert_text_format = Some(InsertTextFormat::PLAIN_TEXT);
        }
        self
    }
}

fn inside_comment(doc: &Document, offset: usize) -> bool {
    doc.outline.comments.iter().any(|c| {
        let line_comment = doc.text[c.start..].starts_with("//");
        c.start < offset && (offset < c.end || (line_comment && offset == c.end))
    })
}

/// Whether `offset` is inside string token `index` (after its opening quote, and before its
/// closing one if it has one).
fn inside_string(doc: &Document, index: usize, offset: usize) -> bool {
    let t = doc.outline.tokens[index];
    if t.kind != TokenKind::Str || offset <= t.start {
        return false;
    }
    let literal = &doc.text[t.start..t.end];
    let closed = literal.len() >= 2 && literal.ends_with('"');
    offset < t.end || !closed
}

/// The attribute whose value the cursor is in: the last one written before it in its block.
fn assigned_attribute(doc: &Document, offset: usize) -> Option<String> {
    let block = doc.outline.entry_block_at(offset)?;
    doc.outline
        .attrs_of(block)
        .filter(|a| a.name.start < offset)
        .last()
        .map(|a| a.name.text.clone())
}

/// The metric names of the output contract, with this file's resources, links and steps.
fn metric_names(doc: &Document, out: &mut Completions) {
    let outline = &doc.outline;
    // The declarations' metrics; the contract's go first, once `late` is known.
    let mut names: Vec<String> = Vec::new();
    let mut on_request: Vec<String> = docs::PIPELINE_METRICS_ON_REQUEST
        .iter()
        .map(|m| m.to_string())
        .collect();
    // `pipeline.late`, where one of this file's pipelines has a deadline, or one of an imported
    // module's did at the last check.
    let mut late = false;
    for (block, decl) in outline.decls() {
        let Some(name) = &decl.name else { continue };
        let name = &name.text;
        match decl.kind {
            BlockKind::Decl(DeclKind::Resource) => match resource_kind(doc, block) {
                Some("link") => names.extend(
                    docs::LINK_METRICS
                        .iter()
                        .map(|m| format!("link.{name}.{m}")),
                ),
                _ => names.extend(
                    docs::RESOURCE_METRICS
                        .iter()
                        .map(|m| format!("resource.{name}.{m}")),
                ),
            },
            BlockKind::Decl(DeclKind::Pipeline) => {
                let deadline = outline.attrs_of(block).any(|a| a.name.text == "deadline");
                late |= deadline;
                on_request.extend(template_metrics_on_request(name, deadline));
                for (_, step) in outline.steps(block) {
                    let Some(step) = step.step_name() else {
                        continue;
                    };
                    let prefix = format!("step.{name}.{}", step.text);
                    names.extend(docs::STEP_METRICS.iter().map(|m| format!("{prefix}.{m}")));
                    on_request.extend(
                        docs::STEP_METRICS_ON_REQUEST
                            .iter()
                            .map(|m| format!("{prefix}.{m}")),
                    );
                }
            }
            _ => {}
        }
    }
    // What the last check lowered adds the imported modules' templates and resources; the
    // file's own come first, as written now.
    let lowered = &doc.lowered;
    late |= lowered.reported.iter().any(|m| m == "pipeline.late");
    for name in &lowered.reported {
        let declared = ["step.", "resource.", "link."]
            .iter()
            .any(|prefix| name.starts_with(prefix));
        if declared && !names.contains(name) {
            names.push(name.clone());
        }
    }
    for (template, deadline) in &lowered.templates {
        for name in template_metrics_on_request(template, *deadline) {
            if !on_request.contains(&name) {
                on_request.push(name);
            }
        }
    }
    let contract = docs::metrics(late).into_iter().map(String::from);
    for name in contract.chain(names) {
        out.push(item(
            &name,
            CompletionItemKind::VALUE,
            "a metric (seconds for times)",
            None,
        ));
    }
    for name in on_request {
        out.push(item(
            &name,
            CompletionItemKind::VALUE,
            "a metric reported because `metrics` names it (seconds)",
            None,
        ));
    }
}

/// A template's own pipeline metrics offered in completion (`late` where it has a deadline).
fn template_metrics_on_request(template: &str, deadline: bool) -> Vec<String> {
    let late = deadline.then_some("late");
    docs::TEMPLATE_METRICS_ON_REQUEST
        .iter()
        .copied()
        .chain(late)
        .map(|m| format!("pipeline.{template}.{m}"))
        .collect()
}

/// What an import may name: the standard library, and the other `.pipesim` files beside the
/// document.
fn import_paths(doc: &Document, out: &mut Completions) {
    for (path, _) in crate::loader::STDLIB {
        out.push(item(
            path,
            CompletionItemKind::MODULE,
            "standard library module",
            None,
        ));
    }
    let Some(dir) = doc.path.as_deref().and_then(|p| p.parent()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".pipesim"))
        .filter(|name| doc.path.as_deref().and_then(|p| p.file_name()) != Some(name.as_ref()))
        .collect();
    files.sort();
    for file in files {
        out.push(item(
            &file,
            CompletionItemKind::FILE,
            "a module beside this file",
            None,
        ));
    }
}

fn top_level(out: &mut Completions) {
    for keyword in docs::TOP_LEVEL_KEYWORDS {
        let (plain, snippet) = match keyword.name {
            "import" => (
                "import \"\" as ".to_string(),
                "import \"${1:std/aiops}\" as ${2:name}".to_string(),
            ),
            "experiment" => (
                "experiment {\n}".to_string(),
                "experiment {\n\t$0\n}".to_string(),
            ),
            name => (
                format!("{name} "),
                format!("{name} ${{1:name}} {{\n\t$0\n}}"),
            ),
        };
        out.push(
            item(keyword.name, CompletionItemKind::KEYWORD, keyword.doc, None).insert(
                &plain,
                &snippet,
                out.options,
            ),
        );
    }
}

/// Units after the digits of a number; the edit replaces whatever unit is already typed.
fn units(doc: &Document, unit_start: usize, offset: usize, out: &mut Completions) {
    let range = doc.range(unit_start, offset);
    for unit in docs::COMPLETION_UNITS {
        let meaning = docs::explain_unit(unit).unwrap_or_default();
        let mut completion = item(unit, CompletionItemKind::UNIT, &meaning, None);
        completion.detail = Some(meaning);
        completion.text_edit = Some(CompletionTextEdit::Edit(TextEdit::new(
            range,
            unit.to_string(),
        )));
        out.push(completion);
    }
}

/// When the cursor is in a step header's `after` list (`validate after train, |`), the
/// pipeline whose steps it may name.
fn after_list(
    doc: &Document,
    before: Option<usize>,
    offset: usize,
    block: Option<usize>,
) -> Option<usize> {
    let outline = &doc.outline;
    let block = block?;
    if outline.blocks[block].kind != BlockKind::Decl(DeclKind::Pipeline) {
        return None;
    }
    let line_start = doc.text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let mut k = before?;
    loop {
        let t = outline.tokens[k];
        if t.start < line_start {
            return None;
        }
        match outline.text(&doc.text, k) {
            "after" => return Some(block),
            "," => {}
            _ if t.kind == TokenKind::Ident => {}
            _ => return None,
        }
        k = k.checked_sub(1)?;
    }
}

/// `owner.`: the members of what `owner` names.
fn members(context: &Context, owner: usize, out: &mut Completions) {
    let doc = context.doc;
    let outline = &doc.outline;
    if outline.tokens[owner].kind != TokenKind::Ident {
        return;
    }
    let Some((parts, at)) = outline.path_at(&doc.text, owner) else {
        return;
    };
    let owner_name = parts[..=at]
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join(".");
    if owner_name == "model" {
        for builtin in docs::BUILTIN_PATHS {
            if let Some(member) = builtin.name.strip_prefix("model.") {
                out.push(item(member, CompletionItemKind::FIELD, builtin.doc, None));
            }
        }
        return;
    }
    if at == 0 {
        if let Some(path) = outline
            .imports
            .iter()
            .find(|i| i.alias.as_ref().is_some_and(|a| a.text == owner_name))
            .and_then(|i| i.path.as_ref())
        {
            if let Some(module) = document::load_import(doc, &path.text, context.open) {
                declared_names(&module, None, out);
            }
            return;
        }
    }
    let Some(resolved) = context.resolve_at(outline.tokens[owner].start) else {
        return;
    };
    let module = &resolved.doc;
    let block = match resolved.symbol {
        super::navigate::Symbol::Decl(b) | super::navigate::Symbol::Step(b) => b,
        _ => return,
    };
    for (_, step) in module.outline.steps(block) {
        if let Some(name) = step.step_name() {
            out.push(item(&name.text, CompletionItemKind::FUNCTION, "step", None));
        }
    }
    for attr in module.outline.attrs_of(block) {
        let line = module.line_at(attr.name.start).trim().to_string();
        out.push(item(
            &attr.name.text,
            CompletionItemKind::FIELD,
            &format!("`{line}`"),
            None,
        ));
    }
}

/// Declarations of a module, optionally only of one kind.
fn declared_names(doc: &Document, only: Option<&[DeclKind]>, out: &mut Completions) {
    for (_, decl) in doc.outline.decls() {
        let BlockKind::Decl(kind) = decl.kind else {
            continue;
        };
        if only.is_some_and(|kinds| !kinds.contains(&kind)) {
            continue;
        }
        if let Some(name) = &decl.name {
            let line = doc.line_at(decl.start).trim().to_string();
            let mut completion = item(
                &name.text,
                decl_item_kind(kind),
                &format!("```pipesim\n{line}\n```"),
                None,
            );
            completion.detail = Some(kind.keyword().to_string());
            out.push(completion);
        }
    }
}

/// The resources of one kind (and those whose kind is not written yet).
fn resources(doc: &Document, kind: &str, out: &mut Completions) {
    let mut matching = Completions {
        items: Vec::new(),
        options: out.options,
    };
    declared_names(doc, Some(&[DeclKind::Resource]), &mut matching);
    for completion in matching.items {
        let block = doc.outline.decl(&completion.label).map(|(b, _)| b);
        let written = block.and_then(|b| resource_kind(doc, b));
        if written.is_none_or(|k| k == kind) {
            out.push(completion);
        }
    }
}

fn decl_item_kind(kind: DeclKind) -> CompletionItemKind {
    match kind {
        DeclKind::Scenario | DeclKind::Experiment => CompletionItemKind::MODULE,
        DeclKind::Resource => CompletionItemKind::VARIABLE,
        DeclKind::Dataset => CompletionItemKind::STRUCT,
        DeclKind::Pipeline => CompletionItemKind::CLASS,
        DeclKind::Profile => CompletionItemKind::VALUE,
        DeclKind::Arrivals | DeclKind::Monitor => CompletionItemKind::EVENT,
    }
}

fn entries(entries: &[Entry], kind: CompletionItemKind, out: &mut Completions) {
    for entry in entries {
        out.push(item(entry.name, kind, entry.doc, None));
    }
}

/// The start of `attribute`'s value: only what analysis accepts there, from its table of
/// attribute types (`docs::attribute_type`). False where any expression fits (a user
/// attribute, a data set's), for [`values`] to offer everything.
fn typed_values(
    context: &Context,
    block: usize,
    attribute: &str,
    offset: usize,
    out: &mut Completions,
) -> bool {
    use crate::analysis::lower::AttrType;
    use crate::analysis::types::Expect;
    let doc = context.doc;
    if attribute == "from" {
        // `SIZE from LINK` / `SIZE to LINK`.
        resources(doc, "link", out);
        import_aliases(doc, out);
        return true;
    }
    let Some(ctx) = doc.outline.blocks[block].context() else {
        return false;
    };
    if ctx == BlockContext::Decl(DeclKind::Dataset) {
        // Free-form, but drawn per instance and read as numbers by the steps.
        numbers(context, offset, true, out);
        return true;
    }
    let Some(ty) = docs::attribute_type(ctx, resource_kind(doc, block), attribute) else {
        return false;
    };
    let drawn = docs::drawn(ctx, attribute);
    let keywords = |names: &[&str], out: &mut Completions| {
        let found: Vec<Entry> = names.iter().filter_map(|n| docs::keyword(n)).collect();
        entries(&found, CompletionItemKind::KEYWORD, out);
    };
    match ty {
        AttrType::Keyword(words) => {
            for word in words {
                let doc = docs::POLICIES
                    .iter()
                    .chain(docs::RESOURCE_KINDS)
                    .find(|e| e.name == *word)
                    .map_or("", |e| e.doc);
                out.push(item(word, CompletionItemKind::ENUM_MEMBER, doc, None));
            }
        }
        AttrType::Expect(Expect::Bool) => {
            keywords(&["true", "false"], out);
            if ctx == BlockContext::Decl(DeclKind::Monitor) && attribute == "when" {
                // A monitor's condition reads the deployed model.
                entries(docs::BUILTIN_PATHS, CompletionItemKind::FIELD, out);
                keywords(&["if"], out);
            }
        }
        AttrType::Expect(Expect::Pool) => {
            resources(doc, "pool", out);
            import_aliases(doc, out);
            keywords(&["match", "if"], out);
        }
        AttrType::Expect(Expect::Link) => {
            resources(doc, "link", out);
            import_aliases(doc, out);
        }
        AttrType::Expect(Expect::Dataset) => {
            declared_names(doc, Some(&[DeclKind::Dataset]), out);
            import_aliases(doc, out);
        }
        AttrType::Expect(Expect::Profile) => {
            declared_names(doc, Some(&[DeclKind::Profile]), out);
            import_aliases(doc, out);
        }
        AttrType::Expect(Expect::Pipeline) => {
            declared_names(doc, Some(&[DeclKind::Pipeline]), out);
            import_aliases(doc, out);
            keywords(&["choice"], out);
        }
        // A monitor's `pipelines`: templates.
        AttrType::List if attribute == "pipelines" => {
            declared_names(doc, Some(&[DeclKind::Pipeline]), out);
            import_aliases(doc, out);
        }
        // Strings (a file, a column, a date-time; `metrics` inside its quotes): nothing to
        // offer outside the quotes.
        AttrType::Expect(Expect::Str) => {}
        AttrType::List if attribute == "metrics" => {}
        AttrType::Expect(Expect::Dim(_))
        | AttrType::Drift
        | AttrType::Transfer(_)
        | AttrType::List => numbers(context, offset, drawn, out),
        AttrType::Expect(Expect::Value) | AttrType::User => return false,
    }
    true
}

/// What a number or quantity is made of: the attributes in scope and data sets (whose
/// attributes are `D.attr`), functions, and where values are drawn per instance,
/// distributions, `match`, `choice` and `if`.
fn numbers(context: &Context, offset: usize, drawn: bool, out: &mut Completions) {
    let doc = context.doc;
    if drawn {
        names_in_scope(context, offset, out);
        if reads_declarations(doc, offset) {
            declared_names(doc, Some(&[DeclKind::Dataset]), out);
            import_aliases(doc, out);
        }
        distributions(out);
    }
    functions(out);
    if drawn {
        let keywords: Vec<Entry> = ["match", "choice", "if"]
            .into_iter()
            .filter_map(docs::keyword)
            .collect();
        entries(&keywords, CompletionItemKind::KEYWORD, out);
    }
}

fn import_aliases(doc: &Document, out: &mut Completions) {
    for import in &doc.outline.imports {
        if let Some(alias) = &import.alias {
            let path = import.path.as_ref().map_or("", |p| p.text.as_str());
            out.push(item(
                &alias.text,
                CompletionItemKind::MODULE,
                &format!("`import \"{path}\"`"),
                None,
            ));
        }
    }
}

/// Whether a value at `offset` may name the file's declarations: not in a data set, whose
/// values read only its own attributes.
fn reads_declarations(doc: &Document, offset: usize) -> bool {
    let outline = &doc.outline;
    outline
        .decl_at(offset)
        .is_none_or(|decl| outline.blocks[decl].kind != BlockKind::Decl(DeclKind::Dataset))
}

/// The names of the enclosing declaration that a value reads: a pipeline's user attributes
/// (anywhere in it) and its data set's (`asset.size`), a data set's earlier attributes.
fn names_in_scope(context: &Context, offset: usize, out: &mut Completions) {
    let doc = context.doc;
    let outline = &doc.outline;
    let Some(decl) = outline.decl_at(offset) else {
        return;
    };
    let pipeline = outline.blocks[decl].kind == BlockKind::Decl(DeclKind::Pipeline);
    // The attribute whose value the cursor is in is not yet defined there.
    let current = outline
        .attrs_of(decl)
        .filter(|a| a.name.start < offset)
        .last()
        .map(|a| a.name.start);
    for attr in outline.attrs_of(decl) {
        let earlier = attr.name.start < offset && Some(attr.name.start) != current;
        // `data` names the data set, whose attributes are read instead.
        if (earlier || pipeline) && !(pipeline && attr.name.text == "data") {
            let line = doc.line_at(attr.name.start).trim().to_string();
            out.push(item(
                &attr.name.text,
                CompletionItemKind::FIELD,
                &format!("`{line}`"),
                None,
            ));
        }
    }
    if pipeline {
        if let Some((binding, dataset)) = data_set(context, decl) {
            let (module, block) = (dataset.doc(doc), dataset.block);
            for attr in module.outline.attrs_of(block) {
                let line = module.line_at(attr.name.start).trim().to_string();
                out.push(item(
                    &format!("{binding}.{}", attr.name.text),
                    CompletionItemKind::FIELD,
                    &format!("`{line}`"),
                    None,
                ));
            }
        }
    }
}

/// A declaration block, in the document or in a module it imports.
struct Found {
    module: Option<Document>,
    block: usize,
}

impl Found {
    fn doc<'d>(&'d self, here: &'d Document) -> &'d Document {
        self.module.as_ref().unwrap_or(here)
    }
}

/// The data set a pipeline's `data = D` names, and `D` as its steps write it (`asset`,
/// `aiops.asset`: the prefix of its attributes).
fn data_set(context: &Context, pipeline: usize) -> Option<(String, Found)> {
    let doc = context.doc;
    let outline = &doc.outline;
    let data = outline.attrs_of(pipeline).find(|a| a.name.text == "data")?;
    let value = outline.attr_value(data);
    let (parts, _) = outline.path_at(&doc.text, value.start)?;
    let binding = parts
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join(".");
    let is_dataset = |module: &Document, block: usize| {
        module.outline.blocks[block].kind == BlockKind::Decl(DeclKind::Dataset)
    };
    if let [only] = parts.as_slice() {
        // A data set of this file: no need to resolve (and copy the document).
        let (block, _) = outline.decl(&only.text)?;
        return is_dataset(doc, block).then_some((
            binding,
            Found {
                module: None,
                block,
            },
        ));
    }
    let last = parts.last()?;
    let resolved = context.resolve_at(last.start)?;
    let super::navigate::Symbol::Decl(block) = resolved.symbol else {
        return None;
    };
    is_dataset(&resolved.doc, block).then(|| {
        let module = (resolved.doc.uri != doc.uri).then_some(resolved.doc);
        (binding, Found { module, block })
    })
}

/// `NAME ==` or `NAME !=`: the labels the attribute `NAME` can take (a pipeline's, or its
/// data set's as `asset.kind`), which are what it is compared with.
fn compared_labels(context: &Context, operand: usize, offset: usize, out: &mut Completions) {
    let doc = context.doc;
    let outline = &doc.outline;
    let Some((parts, at)) = outline.path_at(&doc.text, operand) else {
        return;
    };
    if at + 1 != parts.len() {
        return;
    }
    let Some(decl) = outline.decl_at(offset) else {
        return;
    };
    let found = if let [name] = parts.as_slice() {
        Some((
            Found {
                module: None,
                block: decl,
            },
            name.text.clone(),
        ))
    } else {
        let written = parts[..at]
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(".");
        data_set(context, decl)
            .filter(|(binding, _)| *binding == written)
            .map(|(_, dataset)| (dataset, parts[at].text.clone()))
    };
    let Some((owner, name)) = found else {
        return;
    };
    let module = owner.doc(doc);
    let about = format!(
        "a label `{}` can take",
        parts
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join(".")
    );
    for label in labels_taken(module, owner.block, &name) {
        out.push(item(&label, CompletionItemKind::ENUM_MEMBER, &about, None));
    }
}

/// The labels attribute `name` of `block` can take: the keys of the `choice`s in its value,
/// and the names its `match` arms and `if` branches give that some `choice` of the file
/// produces (as analysis reads a bare name), following a branch that is another attribute.
fn labels_taken(doc: &Document, block: usize, name: &str) -> Vec<String> {
    const DEPTH: usize = 8;
    let outline = &doc.outline;
    let text = &doc.text;
    let produced: Vec<String> = outline
        .decls()
        .flat_map(|(decl, _)| outline.labels(text, decl))
        .map(|label| label.text)
        .collect();
    let mut labels: Vec<String> = Vec::new();
    let mut pending = vec![name.to_string()];
    let mut visited: Vec<String> = Vec::new();
    while let Some(name) = pending.pop() {
        if visited.contains(&name) || visited.len() >= DEPTH {
            continue;
        }
        let Some(attr) = outline.attrs_of(block).find(|a| a.name.text == name) else {
            continue;
        };
        visited.push(name);
        let is = |k: usize, word: &str| k < outline.tokens.len() && outline.text(text, k) == word;
        let value = outline.attr_value(attr);
        for k in value.clone() {
            if outline.tokens[k].kind != TokenKind::Ident {
                continue;
            }
            let word = outline.text(text, k);
            let key = is(k + 1, ":") && !(k > 0 && is(k - 1, "."));
            let branch = k == value.start || ["=>", "then", "else"].iter().any(|w| is(k - 1, w));
            let bare = ![".", "(", "{"].iter().any(|w| is(k + 1, w))
                && !matches!(word, "if" | "match" | "choice" | "true" | "false");
            let label = if key {
                Some(word)
            } else if branch && bare {
                if outline.attrs_of(block).any(|a| a.name.text == word) {
                    pending.push(word.to_string());
                    None
                } else {
                    produced.iter().any(|p| p == word).then_some(word)
                }
            } else {
                None
            };
            if let Some(label) = label {
                if !labels.iter().any(|l| l == label) {
                    labels.push(label.to_string());
                }
            }
        }
    }
    labels
}

/// Any expression (after an operator, in a user attribute or a data set): names of the
/// enclosing declaration, labels, declarations, distributions, functions and keywords.
fn values(context: &Context, offset: usize, out: &mut Completions) {
    let doc = context.doc;
    let outline = &doc.outline;
    names_in_scope(context, offset, out);
    if let Some(decl) = outline.decl_at(offset) {
        for label in outline.labels(&doc.text, decl) {
            let line = doc.line_at(label.start).trim().to_string();
            let about = format!("a label of `{line}`");
            out.push(item(
                &label.text,
                CompletionItemKind::ENUM_MEMBER,
                &about,
                None,
            ));
        }
    }
    if reads_declarations(doc, offset) {
        declared_names(doc, None, out);
        import_aliases(doc, out);
    }
    distributions(out);
    functions(out);
    let expression_keywords: Vec<Entry> = ["choice", "match", "if", "true", "false"]
        .into_iter()
        .filter_map(docs::keyword)
        .collect();
    entries(&expression_keywords, CompletionItemKind::KEYWORD, out);
}

/// Every distribution form, with a snippet of its named parameters.
fn distributions(out: &mut Completions) {
    for distribution in docs::DISTRIBUTIONS {
        for (form, signature) in distribution.forms.iter().zip(distribution.signatures()) {
            let snippet_args: Vec<String> = form
                .iter()
                .enumerate()
                .map(|(i, p)| format!("{} = ${{{}}}", p.name, i + 1))
                .collect();
            let (plain, snippet) = if distribution.name == "empirical" {
                (
                    "empirical(\"\", column = \"\")".to_string(),
                    "empirical(\"${1:file.csv}\", column = \"${2}\")".to_string(),
                )
            } else {
                let plain_args: Vec<String> =
                    form.iter().map(|p| format!("{} = ", p.name)).collect();
                (
                    format!("{}({})", distribution.name, plain_args.join(", ")),
                    format!("{}({})", distribution.name, snippet_args.join(", ")),
                )
            };
            let mut completion = item(
                &signature,
                CompletionItemKind::FUNCTION,
                &distribution.markdown(),
                None,
            )
            .insert(&plain, &snippet, out.options);
            completion.filter_text = Some(distribution.name.to_string());
            completion.detail = Some("distribution".to_string());
            out.push(completion);
        }
    }
}

/// The functions (`min`, `round`, ...).
fn functions(out: &mut Completions) {
    for (name, signature, doc) in docs::FUNCTIONS {
        let mut completion = item(signature, CompletionItemKind::FUNCTION, doc, None).insert(
            &format!("{name}("),
            &format!("{name}($0)"),
            out.options,
        );
        completion.filter_text = Some(name.to_string());
        out.push(completion);
    }
}
