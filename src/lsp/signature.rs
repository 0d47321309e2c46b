//! Signature help: inside a distribution's or function's parentheses, its named parameters,
//! with the one being written highlighted and the form (`lognormal(median, sigma)` or
//! `lognormal(mu, sigma)`) that matches the names already written.

use super::docs;
use super::navigate::Context;
use super::scan::TokenKind;
use lsp_types::{
    Documentation, MarkupContent, MarkupKind, ParameterInformation, ParameterLabel, SignatureHelp,
    SignatureInformation,
};

pub fn signature_help(context: &Context, offset: usize) -> Option<SignatureHelp> {
    let doc = context.doc;
    let outline = &doc.outline;
    let next_token = outline.token_before(offset).map_or(0, |i| i + 1);
    let callee = outline.enclosing_callee(&doc.text, next_token)?;
    let written = written_names(context, next_token);
    if let Some(distribution) = docs::distribution(&callee) {
        let signatures: Vec<SignatureInformation> = distribution
            .forms
            .iter()
            .zip(distribution.signatures())
            .map(|(form, label)| SignatureInformation {
                parameters: Some(
                    form.iter()
                        .map(|p| ParameterInformation {
                            label: ParameterLabel::Simple(format!("{} = …", p.name)),
                            documentation: Some(Documentation::String(p.doc.to_string())),
                        })
                        .collect(),
                ),
                label,
                documentation: Some(Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: distribution.doc.to_string(),
                })),
                active_parameter: None,
            })
            .collect();
        // The form that has every name written so far; the parameter being written.
        let active_signature = distribution
            .forms
            .iter()
            .position(|form| written.iter().all(|w| form.iter().any(|p| p.name == w)))
            .unwrap_or(0);
        let form = distribution.forms[active_signature];
        // Right after `(` or `,` the next parameter is the first not yet written; otherwise
        // the cursor is in the last one written.
        let after_separator = next_token
            .checked_sub(1)
            .is_some_and(|i| matches!(outline.text(&doc.text, i), "(" | ","));
        let next_unwritten = || {
            form.iter()
                .position(|p| !written.iter().any(|w| w == p.name))
        };
        let active_parameter = if after_separator {
            next_unwritten()
        } else {
            written
                .last()
                .and_then(|w| form.iter().position(|p| p.name == w))
                .or_else(next_unwritten)
        };
        return Some(SignatureHelp {
            signatures,
            active_signature: Some(active_signature as u32),
            active_parameter: active_parameter.map(|p| p as u32),
        });
    }
    let (_, signature, meaning) = docs::function(&callee)?;
    Some(SignatureHelp {
        signatures: vec![SignatureInformation {
            label: signature.to_string(),
            documentation: Some(Documentation::String(meaning.to_string())),
            parameters: None,
            active_parameter: None,
        }],
        active_signature: Some(0),
        active_parameter: None,
    })
}

/// The parameter names written in the innermost open call before token `end`, in order; the
/// last is the one the cursor is in when nothing follows its value.
fn written_names(context: &Context, end: usize) -> Vec<String> {
    let doc = context.doc;
    let outline = &doc.outline;
    let mut depth = 0usize;
    let mut names = Vec::new();
    let mut k = end;
    while k > 0 {
        k -= 1;
        match outline.text(&doc.text, k) {
            ")" | "]" => depth += 1,
            "(" | "[" if depth > 0 => depth -= 1,
            "(" => break,
            "=" if depth == 0 && k > 0 && outline.tokens[k - 1].kind == TokenKind::Ident => {
                names.push(outline.text(&doc.text, k - 1).to_string());
            }
            _ => {}
        }
    }
    names.reverse();
    names
}
