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
    let mut opener_lost = false;
    let mut scenario_lost = false;
    let mut experiment_lost = false;
    // An item that does not start with a declaration keyword (`philly_replay {` with its
    // `scenario` deleted, or attributes whose opening line is gone).
    let mut keyword_lost = false;
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
        // Only where an item fails to parse; a valid item never starts with a step or `}`.
        let early_end = step_after_pipeline(&scan, text, start, &items)
            .map(|(step, pipeline)| errors::step_after_pipeline(file, text, step, pipeline));
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
                let mut next = end;
                match lowerer.item(pair) {
                    Ok(ast::Item::Import(import)) if missing_alias(text, &import).is_some() => {
                        let as_at = missing_alias(text, &import).unwrap_or(start);
                        let alias = path_alias(&import);
                        let suggested = alias.as_ref().map(|alias| alias.name.as_str());
                        diagnostics.push(errors::import_without_alias(
                            file, text, &import, as_at, suggested,
                        ));
                        // Its uses are left alone, under the name the path suggests; the
                        // declaration whose keyword it took is read next.
                        broken.extend(alias);
                        next = import.alias.span.start as usize;
                    }
                    Ok(item) => items.push(item),
                    Err(too_deep) => diagnostics.push(too_deep),
                }
                diagnostics.append(&mut lowerer.diagnostics);
                offset = next;
            }
            Err(_) if early_end.is_some() => {
                // A `}` closed the pipeline early (a step's opening line lost, or a `}` too
                // many): one error, and the pipeline is left alone, since the steps and
                // attributes it was read with are not what was written.
                diagnostics.extend(early_end);
                if let Some(ast::Item::Decl(decl)) = items.pop() {
                    experiment_lost |= decl.kind == ast::DeclKind::Experiment;
                    broken.extend(decl.name);
                }
                match resync {
                    Some(next) => offset = next,
                    None => break,
                }
            }
            Err(error) => {
                let word_end = text[start..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(text.len(), |i| start + i);
                let word = &text[start..word_end];
                opener_lost |= !scan::ITEM_KEYWORDS.contains(&word)
                    && errors::is_attribute_start(word, &text[word_end..]);
                scenario_lost |= word == "scenario";
                experiment_lost |= word == "experiment";
                keyword_lost |= !scan::ITEM_KEYWORDS.contains(&word);
                broken.extend(declared_names(
                    file,
                    text,
                    start,
                    segment_end,
                    &scan.comments,
                ));
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
    // Without a `scenario` block, the one that lost its keyword may have been it.
    scenario_lost |= keyword_lost
        && !items.iter().any(
            |item| matches!(item, ast::Item::Decl(decl) if decl.kind == ast::DeclKind::Scenario),
        );
    // Likewise the `experiment`, in a file where none parsed.
    experiment_lost |= keyword_lost
        && !items.iter().any(
            |item| matches!(item, ast::Item::Decl(decl) if decl.kind == ast::DeclKind::Experiment),
        );
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
            opener_lost,
            scenario_lost,
            experiment_lost,
        },
        diagnostics,
    )
}

/// A step keyword where a declaration should start (`train {`, `task load after a {`) right
/// after a pipeline, or a `}` right after any declaration: where it is, and that declaration.
fn step_after_pipeline<'i>(
    scan: &Scan,
    text: &str,
    start: usize,
    items: &'i [ast::Item],
) -> Option<(std::ops::Range<usize>, &'i ast::Decl)> {
    let Some(ast::Item::Decl(pipeline)) = items.last() else {
        return None;
    };
    if scan.skip_trivia(text, pipeline.span.end as usize) != start {
        return None;
    }
    let rest = &text[start..];
    // After any declaration: its `}` came early (`autoscale {` lost in a resource).
    if rest.starts_with('}') {
        return Some((start..start + 1, pipeline));
    }
    if pipeline.kind != ast::DeclKind::Pipeline {
        return None;
    }
    let word_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let word = &rest[..word_end];
    let after = rest[word_end..].trim_start();
    let opens =
        after.starts_with('{') || after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    // A step, or the `model` block, of the pipeline.
    let is_step = ast::StepKind::ALL.iter().any(|k| k.keyword() == word) || word == "model";
    (is_step && opens).then_some((start..start + word_end, pipeline))
}

/// Where `as` is in an import whose alias is missing: the parser took the keyword of the
/// declaration after it as the alias (`import "std/aiops" as` then `scenario s { .. }`). An
/// alias that is a keyword is a missing one only when an item follows it (`KEYWORD [NAME] {`,
/// `import "..."`): `as profile` followed by `profile weekly { .. }` is a module named
/// `profile`.
fn missing_alias(text: &str, import: &ast::Import) -> Option<usize> {
    let alias = &import.alias;
    if !scan::ITEM_KEYWORDS.contains(&alias.name.as_str()) {
        return None;
    }
    let after = text[alias.span.end as usize..].trim_start();
    let starts_an_item = if alias.name == "import" {
        after.starts_with('"')
    } else {
        let name_end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        after[name_end..].trim_start().starts_with('{')
    };
    if !starts_an_item {
        return None;
    }
    let (path_end, alias_start) = (import.path_span.end as usize, alias.span.start as usize);
    text[path_end..alias_start]
        .find("as")
        .map(|at| path_end + at)
}

/// The alias an import's path suggests (`aiops` for `std/aiops`), spanning the path.
fn path_alias(import: &ast::Import) -> Option<ast::Ident> {
    let last = import.path.rsplit('/').next()?;
    let name = last.strip_suffix(".pipesim").unwrap_or(last);
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then(|| ast::Ident {
        name: name.to_string(),
        span: import.path_span,
    })
}

/// The names the text of an item that did not parse was to declare, so that analysis does
/// not report their uses as unknown on top of its syntax error: the name after each
/// declaration keyword (`resource gpu`, with or without its `{`; a missing `}` can swallow
/// the declarations after it), an import's alias (`as aiops`, or the last word of an `import`
/// line whose `as` is missing), and, at the item's start, a name before `{` whose keyword is
/// missing (`gpu {`).
fn declared_names(
    file: FileId,
    text: &str,
    start: usize,
    end: usize,
    comments: &[(usize, usize)],
) -> Vec<ast::Ident> {
    let keyword = |word: &str| scan::ITEM_KEYWORDS.contains(&word);
    // The keywords of declarations that have a name.
    let named = |word: &str| keyword(word) && !["import", "scenario", "experiment"].contains(&word);
    let Some(segment) = text.get(start..end) else {
        return Vec::new();
    };
    let bytes = segment.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let skip_blanks = |mut at: usize| {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        at
    };
    // The word (an identifier) starting at `at`, and where it ends.
    let word_at = |at: usize| -> Option<(&str, usize)> {
        let first = *bytes.get(at)?;
        if !(first.is_ascii_alphabetic() || first == b'_') || (at > 0 && is_ident(bytes[at - 1])) {
            return None;
        }
        let mut end = at;
        while end < bytes.len() && is_ident(bytes[end]) {
            end += 1;
        }
        Some((&segment[at..end], end))
    };
    let ident = |at: usize, end: usize| ast::Ident {
        name: segment[at..end].to_string(),
        span: Span::new(file, start + at, start + end),
    };
    let mut names = Vec::new();
    let first = skip_blanks(0);
    // A name whose keyword is missing (`gpu { ... }`) or misspelt (`resourc gpu { ... }`).
    if let Some((_, after)) = word_at(first).filter(|&(word, _)| !keyword(word)) {
        let second = skip_blanks(after);
        if bytes.get(second) == Some(&b'{') {
            names.push(ident(first, after));
        } else if let Some((_, end)) = word_at(second).filter(|_| second > after) {
            if bytes.get(skip_blanks(end)) == Some(&b'{') {
                names.push(ident(second, end));
            }
        }
    }
    // The comments within the item, in order: one pass over both.
    let mut comments = comments
        .iter()
        .filter(|&&(a, b)| b > start && a < end)
        .peekable();
    for at in 0..bytes.len() {
        while comments.next_if(|&&(_, b)| b <= start + at).is_some() {}
        if comments.peek().is_some_and(|&&(a, _)| a <= start + at) {
            continue;
        }
        let Some((word, after)) = word_at(at) else {
            continue;
        };
        if word == "as" || (word == "import" && at == first) {
            // An import's alias: after `as`, or the last word of the line.
            let line_end = segment[at..].find('\n').map_or(bytes.len(), |i| at + i);
            let alias = if word == "as" {
                word_at(skip_blanks(after)).map(|(_, end)| (skip_blanks(after), end))
            } else if !segment[at..line_end].contains(" as ") {
                let trimmed = segment[at..line_end].trim_end();
                let end = at + trimmed.len();
                let mut begin = end;
                while begin > at && is_ident(bytes[begin - 1]) {
                    begin -= 1;
                }
                let last = word_at(begin).filter(|&(word, _)| word != "as");
                (begin > after && last.is_some()).then_some((begin, end))
            } else {
                None
            };
            names.extend(alias.map(|(begin, end)| ident(begin, end)));
        } else if named(word) {
            let name_at = skip_blanks(after);
            if let Some((_, name_end)) = word_at(name_at).filter(|_| name_at > after) {
                names.push(ident(name_at, name_end));
            }
        }
    }
    names
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
