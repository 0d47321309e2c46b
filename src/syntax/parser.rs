//! The pest parser generated from `grammar/pipesim.pest`, and the loop that reads a file one
//! item at a time so that one syntax error does not hide the next.
//!
//! After an error the loop resumes at the next line that starts a declaration (see
//! [`scan::Scan::resync_after`]), keeping the items read so far. Input that could exhaust
//! pest's recursion (brackets nested beyond [`scan::MAX_NESTING`]) is refused before pest
//! sees it; deep nesting without brackets (long `if` chains) is stopped by pest's stack
//! guard and by the lowering's own depth limit.

use super::ast;
use super::errors;
use super::lower::Lowerer;
use super::scan::{self, Scan};
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/pipesim.pest"]
pub struct PipesimParser;

pub fn parse_file(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    let scan = scan::scan(file, text);
    let mut diagnostics: Vec<Diagnostic> = scan.errors.iter().map(|(_, d)| d.clone()).collect();
    for &offset in &scan.too_deep {
        diagnostics.push(errors::too_deep(file, offset, offset + 1));
    }
    let mut items = Vec::new();
    let mut broken = Vec::new();
    let mut offset = 0;
    loop {
        let start = scan.skip_trivia(text, offset);
        if start >= text.len() {
            break;
        }
        let resync = scan.resync_after(text, start);
        let segment_end = resync.unwrap_or(text.len());
        if scan.too_deep_in(start, segment_end).is_some() {
            // Already reported; skip the whole declaration rather than recurse into it.
            match resync {
                Some(next) => {
                    offset = next;
                    continue;
                }
                None => break,
            }
        }
        let limit = scan.too_deep_after(start).unwrap_or(text.len());
        match parse_item(&scan, text, start, segment_end, limit) {
            Ok(mut pairs) => {
                let Some(next_item) = pairs.next() else { break };
                let Some(pair) = next_item.into_inner().next() else {
                    break;
                };
                if pair.as_rule() == Rule::EOI {
                    break;
                }
                let end = start + pair.as_span().end();
                let mut lowerer = Lowerer::new(file, text, &scan.comments, start);
                match lowerer.item(pair) {
                    Ok(item) => items.push(item),
                    Err(too_deep) => diagnostics.push(too_deep),
                }
                diagnostics.append(&mut lowerer.diagnostics);
                offset = end;
            }
            Err(error) => {
                broken.extend(declared_name(file, text, start, segment_end));
                if !scan.has_error_in(start, segment_end) {
                    diagnostics.push(errors::convert(
                        file,
                        text,
                        &scan,
                        start,
                        segment_end,
                        &error,
                        errors::Context::File,
                    ));
                }
                match resync {
                    Some(next) => offset = next,
                    None => break,
                }
            }
        }
    }
    let comments = scan
        .comments
        .iter()
        .map(|&(start, end)| ast::Comment {
            text: text[start..end].to_string(),
            span: Span::new(file, start, end),
        })
        .collect();
    (
        ast::File {
            items,
            comments,
            broken,
        },
        diagnostics,
    )
}

/// The name a declaration that did not parse was to declare: the word after its keyword
/// (`gpu` in `resource gpu { capacity 4 }`), when its first two words read so.
fn declared_name(file: FileId, text: &str, start: usize, end: usize) -> Option<ast::Ident> {
    let segment = text.get(start..end)?;
    let keyword_end = segment.find(|c: char| !c.is_ascii_alphabetic())?;
    let keyword = &segment[..keyword_end];
    let kinds = [
        "resource", "dataset", "pipeline", "profile", "arrivals", "monitor",
    ];
    if !kinds.contains(&keyword) {
        return None;
    }
    let rest = &segment[keyword_end..];
    let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
    if gap == 0 {
        return None;
    }
    let name_start = keyword_end + gap;
    let name_len = segment[name_start..]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(segment.len() - name_start);
    let name = &segment[name_start..name_start + name_len];
    let leads = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    leads.then(|| ast::Ident {
        name: name.to_string(),
        span: Span::new(file, start + name_start, start + name_start + name_len),
    })
}

/// Parses the item at `start`, reading no further than `limit`.
///
/// pest's errors cost time in proportion to the input after the error, so the item is first
/// parsed alone, up to `segment_end` (where the next declaration seems to start). Only when
/// pest runs out of that input (a declaration continues past a line that looks like the
/// next one) is the input extended, over twice as many declarations each time. Without this
/// a file with many errors would take time quadratic in its length.
fn parse_item<'i>(
    scan: &Scan,
    text: &'i str,
    start: usize,
    segment_end: usize,
    limit: usize,
) -> Result<pest::iterators::Pairs<'i, Rule>, pest::error::Error<Rule>> {
    let mut end = segment_end.min(limit);
    let mut segments = 1;
    loop {
        let result = PipesimParser::parse(Rule::next_item, &text[start..end]);
        let ran_out = match &result {
            Err(error) => match error.location {
                pest::error::InputLocation::Pos(p) => start + p >= end,
                pest::error::InputLocation::Span((p, _)) => start + p >= end,
            },
            Ok(_) => false,
        };
        if !ran_out || end >= limit {
            return result;
        }
        segments *= 2;
        let first = scan.resync_points.partition_point(|p| p.offset <= end);
        end = scan
            .resync_points
            .get(first + segments - 1)
            .map_or(limit, |p| p.offset)
            .min(limit);
    }
}

pub fn parse_expr(file: FileId, text: &str) -> Result<ast::Expr, Vec<Diagnostic>> {
    let scan: Scan = scan::scan(file, text);
    if !scan.errors.is_empty() {
        return Err(scan.errors.into_iter().map(|(_, d)| d).collect());
    }
    // There are no declarations to count nesting per, so count over the whole text.
    let mut depth = 0usize;
    for bracket in &scan.brackets {
        if matches!(bracket.byte, b'{' | b'(' | b'[') {
            depth += 1;
            if depth > scan::MAX_NESTING {
                return Err(vec![errors::too_deep(
                    file,
                    bracket.offset,
                    bracket.offset + 1,
                )]);
            }
        } else {
            depth = depth.saturating_sub(1);
        }
    }
    match PipesimParser::parse(Rule::lone_expr, text) {
        Ok(mut pairs) => {
            let expr = pairs
                .next()
                .and_then(|lone| lone.into_inner().find(|p| p.as_rule() == Rule::expr));
            let Some(expr) = expr else {
                return Err(Vec::new());
            };
            let mut lowerer = Lowerer::new(file, text, &scan.comments, 0);
            let lowered = lowerer.expr(expr, 0);
            match lowered {
                Ok(expr) if lowerer.diagnostics.is_empty() => Ok(expr),
                Ok(_) => Err(lowerer.diagnostics),
                Err(too_deep) => Err(vec![too_deep]),
            }
        }
        Err(error) => Err(vec![errors::convert(
            file,
            text,
            &scan,
            0,
            text.len(),
            &error,
            errors::Context::Expression,
        )]),
    }
}
