//! Hover: what the word under the cursor means. Language words (keywords, attributes of the
//! block they are in, distributions and their parameters, functions, units, policies) are
//! explained from [`docs`]; a name shows the declaration it refers to.

use super::docs::{self, BlockContext};
use super::navigate::Context;
use super::scan::TokenKind;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

pub fn hover(context: &Context, offset: usize) -> Option<Hover> {
    let doc = context.doc;
    let outline = &doc.outline;
    let index = outline.token_at(offset)?;
    let token = outline.tokens[index];
    let word = outline.text(&doc.text, index);
    let markdown = match token.kind {
        TokenKind::Number => number(
            &doc.text[token.start..token.unit_start],
            &doc.text[token.unit_start..token.end],
        ),
        TokenKind::Ident => language_word(context, index, word)
            .or_else(|| context.resolve_at(offset).map(|r| r.markdown(&doc.uri)))
            .or_else(|| keyword(word))
            .or_else(|| builtin(context, index)),
        // A declaration named in a string; else, in `metrics = [...]`, what the metric is.
        TokenKind::Str => context
            .resolve_at(offset)
            .map(|r| r.markdown(&doc.uri))
            .or_else(|| {
                super::navigate::in_metrics_list(outline, &doc.text, index)
                    .then(|| crate::sim::metrics::describe(word.trim_matches('"')))
                    .flatten()
            }),
        _ => None,
    }?;
    // In a metric name, the part under the cursor (`gpu` of `"resource.gpu.utilization"`).
    let (start, end) = super::navigate::metric_parts(outline, &doc.text, index)
        .and_then(|parts| {
            parts
                .into_iter()
                .find(|p| p.start <= offset && offset <= p.end)
        })
        .map_or((token.start, token.end), |part| (part.start, part.end));
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(doc.range(start, end)),
    })
}

/// A number: its unit's meaning and its value in base units.
fn number(value_text: &str, unit_text: &str) -> Option<String> {
    if unit_text.is_empty() {
        return None;
    }
    let value: Option<f64> = value_text.replace('_', "").parse().ok();
    match docs::explain_unit(unit_text) {
        Ok(meaning) => {
            let mut text = format!("`{value_text}{unit_text}`: {meaning}");
            if let Some((base, name)) = value.and_then(|v| docs::base_value(v, unit_text)) {
                if !name.is_empty() {
                    text.push_str(&format!("\n\n= {base} {name} in base units"));
                } else {
                    text.push_str(&format!("\n\n= {base}"));
                }
            }
            Some(text)
        }
        Err(problem) => Some(format!("`{value_text}{unit_text}`: {problem}")),
    }
}

/// Words whose meaning depends on where they are: attribute names, parameter names, callees,
/// policies and resource kinds.
fn language_word(context: &Context, index: usize, word: &str) -> Option<String> {
    let doc = context.doc;
    let outline = &doc.outline;
    let text = &doc.text;
    let next = |k: usize| (index + k < outline.tokens.len()).then(|| outline.text(text, index + k));
    let previous = |k: usize| index.checked_sub(k).map(|i| outline.text(text, i));
    let token = outline.tokens[index];
    // An attribute name: its meaning in this kind of block.
    if let Some(attr) = outline.attrs.iter().find(|a| a.name.start == token.start) {
        let block = &outline.blocks[attr.block];
        return Some(match block.context() {
            Some(ctx) => match docs::attribute(ctx, word) {
                Some(entry) => format!("`{word}` in {}: {}", docs::context_name(ctx), entry.doc),
                None => user_attribute(ctx, word),
            },
            None => format!("attribute `{word}`"),
        });
    }
    // A named argument of a distribution: `mean` in `normal(mean = ...)`.
    if next(1) == Some("=") {
        if let Some(callee) = doc.outline.enclosing_callee(&doc.text, index) {
            if let Some(distribution) = docs::distribution(&callee) {
                let param = distribution.param(word)?;
                return Some(format!(
                    "`{word}`: {} (a parameter of `{}`)\n\n```pipesim\n{}\n```",
                    param.doc,
                    distribution.name,
                    distribution.signatures().join("\n")
                ));
            }
        }
    }
    if next(1) == Some("(") {
        if let Some(distribution) = docs::distribution(word) {
            return Some(distribution.markdown());
        }
        if let Some((_, signature, doc)) = docs::function(word) {
            return Some(format!("```pipesim\n{signature}\n```\n{doc}"));
        }
    }
    let assigned_to = previous(1).filter(|p| *p == "=").and(previous(2));
    match assigned_to {
        Some("policy") => docs::POLICIES
            .iter()
            .find(|p| p.name == word)
            .map(|p| format!("policy `{word}`: {}", p.doc)),
        Some("kind") => docs::RESOURCE_KINDS
            .iter()
            .find(|k| k.name == word)
            .map(|k| format!("resource kind `{word}`: {}", k.doc)),
        _ => None,
    }
}

fn user_attribute(context: BlockContext, word: &str) -> String {
    match context {
        BlockContext::Decl(crate::syntax::ast::DeclKind::Pipeline) => format!(
            "`{word}`: a user attribute of the pipeline, sampled once per pipeline instance and usable in its steps as a bare name"
        ),
        BlockContext::Decl(crate::syntax::ast::DeclKind::Dataset) => format!(
            "`{word}`: a dataset attribute, sampled once per pipeline instance in the order written (later attributes may use it)"
        ),
        _ => format!("`{word}` is not an attribute of {}", docs::context_name(context)),
    }
}

fn keyword(word: &str) -> Option<String> {
    docs::keyword(word).map(|k| k.doc.to_string())
}

/// `model.accuracy` and other names that need no declaration.
fn builtin(context: &Context, index: usize) -> Option<String> {
    let doc = context.doc;
    let (parts, _) = doc.outline.path_at(&doc.text, index)?;
    let dotted: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
    let dotted = dotted.join(".");
    docs::BUILTIN_PATHS
        .iter()
        .find(|b| b.name == dotted)
        .map(|b| format!("`{}`: {}", b.name, b.doc))
        .or_else(|| {
            docs::POLICIES
                .iter()
                .find(|p| p.name == dotted)
                .map(|p| format!("policy `{}`: {}", p.name, p.doc))
        })
}
