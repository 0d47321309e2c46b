//! Turns pest's errors ("expected rule_x, rule_y") into diagnostics a user can act on: the
//! expected rules in words, what was found instead, a label on it, and a help line.
//!
//! Some errors have a cause pest cannot see, recognised here from the shape of the error and
//! the lexical scan: a block never closed (pest only sees the next declaration where it
//! wanted a `}`), a stray closing bracket, a second value after an attribute's value, nesting
//! too deep for pest's stack.

use super::codes;
use super::parser::Rule;
use super::scan::{closer_of, Scan, ITEM_KEYWORDS};
use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Span};
use pest::error::{ErrorVariant, InputLocation};

/// What was being parsed, for the words used at the end of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    File,
    Expression,
}

pub fn too_deep(file: FileId, start: usize, end: usize) -> Diagnostic {
    Diagnostic::error(codes::TOO_DEEP, "nesting is too deep")
        .primary(Span::new(file, start, end), "too deeply nested from here on")
        .help(format!(
            "pipesim reads up to {} levels of brackets and {} levels of nested expressions; split the expression into attributes",
            super::scan::MAX_NESTING,
            super::lower::MAX_DEPTH
        ))
}

/// Converts the error of parsing `text[start..]` (pest positions are relative to `start`);
/// `segment_end` is where the failed item's declaration ends at the latest (the next line
/// that starts a declaration, or the end of the file).
pub fn convert(
    file: FileId,
    text: &str,
    scan: &Scan,
    start: usize,
    segment_end: usize,
    error: &pest::error::Error<Rule>,
    context: Context,
) -> Diagnostic {
    let position = start
        + match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((p, _)) => p,
        };
    let position = position.min(text.len());
    let positives: &[Rule] = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives,
        // pest's only custom errors here are its call and stack limits.
        ErrorVariant::CustomError { .. } => {
            let end = next_boundary(text, position);
            return too_deep(file, position, end);
        }
    };
    let (found, found_len) = describe_found(text, position, context);
    let found_span = Span::new(file, position, position + found_len);

    if context == Context::File {
        let last_end = scan.last_token_end(text, start, segment_end);
        if let Some((opener, insert_at)) = scan.unclosed_opener(text, start, segment_end) {
            if position >= last_end {
                let closer = closer_of(opener.byte) as char;
                let opener_char = opener.byte as char;
                let at_next_declaration =
                    segment_end < text.len() && position >= segment_end && insert_at == last_end;
                let help = if at_next_declaration {
                    format!("add `{closer}` to close it before the next declaration")
                } else {
                    format!("add `{closer}` to close it")
                };
                return Diagnostic::error(codes::UNCLOSED, format!("missing `{closer}`"))
                    .primary(
                        Span::new(file, insert_at, insert_at),
                        format!("expected `{closer}` after this"),
                    )
                    .secondary(
                        Span::new(file, opener.offset, opener.offset + 1),
                        format!("this `{opener_char}` is never closed"),
                    )
                    .help(help);
            }
        }
    }

    let found_byte = text.as_bytes().get(position).copied();
    if let Some(closer @ (b'}' | b')' | b']')) = found_byte {
        let expected_closer = match closer {
            b'}' => Rule::rbrace,
            b')' => Rule::rparen,
            _ => Rule::rbracket,
        };
        let open = scan.unclosed_in(start, position);
        let matches_innermost = open.last().map(|o| closer_of(o.byte)) == Some(closer);
        if !positives.contains(&expected_closer) && !matches_innermost {
            let closer = closer as char;
            let mut diagnostic =
                Diagnostic::error(codes::UNMATCHED_CLOSER, format!("unexpected `{closer}`"));
            diagnostic = match open.last() {
                Some(opener) => {
                    let opener_char = opener.byte as char;
                    let expected = closer_of(opener.byte) as char;
                    diagnostic
                        .primary(found_span, format!("this `{closer}` does not match"))
                        .secondary(
                            Span::new(file, opener.offset, opener.offset + 1),
                            format!("the innermost open bracket is this `{opener_char}`"),
                        )
                        .help(format!("close the `{opener_char}` with `{expected}` first, or remove this `{closer}`"))
                }
                None => diagnostic
                    .primary(found_span, format!("this `{closer}` closes nothing"))
                    .help(format!(
                        "remove this `{closer}`, or add the `{}` it was meant to close",
                        closer_of_to_opener(closer)
                    )),
            };
            return diagnostic;
        }
    }

    if let Some(diagnostic) = non_ascii(file, text, position, segment_end) {
        return diagnostic;
    }
    if let Some(diagnostic) = sweep_without_list(file, text, position) {
        return diagnostic;
    }
    if let Some(diagnostic) = import_path_unquoted(file, text, position) {
        return diagnostic;
    }
    if let Some(diagnostic) = word_operator(file, text, position) {
        return diagnostic;
    }

    let expected = Expected::from_rules(positives);
    if expected.tokens.contains(&"`=`") && expected.tokens.contains(&"`{`") {
        if let Some(diagnostic) = clause_in_step_body(file, text, scan, start, position) {
            return diagnostic;
        }
    }
    if expected.tokens.contains(&"`when`") && expected.tokens.contains(&"`{`") {
        if let Some(diagnostic) = attribute_in_step_header(file, text, position) {
            return diagnostic;
        }
    }
    // `capacity: 8` or `train: {`, as YAML writes them.
    if found_byte == Some(b':') && expected.tokens.contains(&"`=`") {
        let rest = text[position + 1..].trim_start();
        let (title, replacement, help) = if rest.starts_with('{') {
            (
                "Remove the `:`",
                "",
                "a block's name is followed by its `{`, without `:`",
            )
        } else {
            (
                "Write `=`",
                " =",
                "an attribute is written `name = value`, with `=`",
            )
        };
        let mut d = Diagnostic::error(codes::UNEXPECTED, "expected `=` or `{`, found `:`")
            .primary(found_span, "not `=`")
            .help(help);
        d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
            title: title.to_string(),
            edits: vec![(found_span, replacement.to_string())],
        }];
        return d;
    }
    // `autoscale = { min = 2 }`: a nested block written as an attribute's value.
    if found_byte == Some(b'{') && expected.expression {
        let before = text[..position].trim_end_matches([' ', '\t']);
        if let Some(before_equals) = before.strip_suffix('=') {
            let name_end = before_equals.trim_end_matches([' ', '\t']).len();
            let name_start = text[..name_end]
                .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_')
                .len();
            let name = &text[name_start..name_end];
            // `pipeline = { classic: 0.6, edge: 0.4 }`: a choice without its keyword.
            let inside = text[position + 1..].trim_start();
            let label_end = inside
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(inside.len());
            let weighted = label_end > 0 && inside[label_end..].trim_start().starts_with(':');
            if !name.is_empty() && weighted {
                let mut d = Diagnostic::error(
                    codes::UNEXPECTED,
                    format!("expected an expression after `{name} =`, found `{{`"),
                )
                .primary(found_span, "weighted options without `choice`")
                .help("weighted options are a random pick, written `choice { ... }`");
                d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                    title: "Write `choice`".to_string(),
                    edits: vec![(Span::new(file, position, position), "choice ".to_string())],
                }];
                return d;
            }
            if !name.is_empty() {
                let block = NESTED_BLOCKS.contains(&name);
                let help = if block {
                    format!("`{name}` is a block: write `{name} {{ ... }}`, without `=`")
                } else {
                    format!("an attribute's value is an expression, and a block is written `NAME {{ ... }}` without `=`; `{name}` is no block (those are `autoscale`, `model` and `row`)")
                };
                let mut d = Diagnostic::error(
                    codes::UNEXPECTED,
                    format!("expected an expression after `{name} =`, found `{{`"),
                )
                .primary(found_span, "a block, not a value")
                .help(help);
                if block {
                    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                        title: "Remove the `=`".to_string(),
                        edits: vec![(Span::new(file, name_end, position), " ".to_string())],
                    }];
                }
                return d;
            }
        }
    }
    // `on = gpu | cpu`: `|` joins a `match` arm's labels, and is no operator.
    if found_byte == Some(b'|') && expected.operator && !text[position..].starts_with("||") {
        return Diagnostic::error(codes::UNEXPECTED, format!("expected {}, found `|`", expected.words(context)))
            .primary(found_span, "not an operator")
            .help("`|` joins the labels of a `match` arm (`a | b => ...`); one of two values is chosen by `match` or drawn by `choice`, as in `choice { gpu: 0.7, cpu: 0.3 }`, and `||` is the boolean or");
    }
    // `when framework = tensorflow`: `=` where an operator may come, meant as `==`.
    if found_byte == Some(b'=')
        && expected.operator
        && !matches!(text.as_bytes().get(position + 1), Some(b'=' | b'>'))
    {
        let mut d = Diagnostic::error(
            codes::UNEXPECTED,
            format!("expected {}, found `=`", expected.words(context)),
        )
        .primary(found_span, "`=` does not compare")
        .help("to compare, write `==`; a single `=` gives an attribute its value");
        d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
            title: "Write `==`".to_string(),
            edits: vec![(found_span, "==".to_string())],
        }];
        return d;
    }
    // `on = gpu, duration = 1h`, as JSON writes it (the grammar takes `;` there). Every such
    // comma of the declaration is one report, each after the first a label, and the fix
    // removes them all: removing one alone would leave the next reported in its place.
    if found_byte == Some(b',') && expected.block_entry {
        let mut d = Diagnostic::error(codes::UNEXPECTED, "attributes are not separated by `,`")
            .primary(found_span, "not needed")
            .help("write attributes one after another, separated by spaces, new lines or `;`");
        let others = match context {
            Context::File => separator_commas_after(text, start, segment_end, position),
            Context::Expression => Vec::new(),
        };
        let mut edits = vec![comma_removal(file, text, position)];
        for &comma in &others {
            d = d.secondary(Span::new(file, comma, comma + 1), "also not needed");
            edits.push(comma_removal(file, text, comma));
        }
        let title = if others.is_empty() {
            "Remove the `,`".to_string()
        } else {
            format!("Remove the {} `,`", others.len() + 1)
        };
        d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix { title, edits }];
        return d;
    }
    if expected.block_entry
        && expected.rbrace
        && matches!(found_byte, Some(b'0'..=b'9' | b'"' | b'(' | b'[' | b'.'))
    {
        return Diagnostic::error(
            codes::VALUE_AFTER_VALUE,
            format!("expected an operator or the next attribute, found {found}"),
        )
        .primary(found_span, "this is not part of the value before it")
        .help("an attribute holds one expression: join the parts with an operator such as `+` or `*`, or start a new attribute with `name = `");
    }

    let words = expected.words(context);
    let message = if words.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {words}, found {found}")
    };
    let label = if words.is_empty() {
        "unexpected here".to_string()
    } else {
        format!("expected {words}")
    };
    let mut diagnostic =
        Diagnostic::error(codes::UNEXPECTED, message.clone()).primary(found_span, label);
    let found_word = &text[position..position + found_len];
    let keyword = expected
        .declaration
        .then(|| crate::diagnostic::suggest(found_word, ITEM_KEYWORDS.iter().copied()))
        .flatten()
        // `tehn`, `esle`, `atfer` where `then`, `else` or `after` is expected; not a word
        // that is a keyword itself (`then` where `when` is expected: a word is missing).
        .or_else(|| {
            let words = expected
                .tokens
                .iter()
                .filter_map(|t| t.strip_prefix('`')?.strip_suffix('`'))
                .filter(|t| t.chars().all(|c| c.is_ascii_alphabetic()));
            crate::diagnostic::suggest(found_word, words)
                .filter(|_| !GRAMMAR_KEYWORDS.contains(&found_word))
        });
    // `horizon = 2 weeks`: at the top of a value the word is read as the next attribute's
    // name, so the error comes after it; inside a call, a list or `--set`, it is at the word.
    let spaced_unit = if expected.tokens.contains(&"`=`") {
        spaced_unit(text, start, position)
    } else if expected.operator {
        spaced_unit(text, start, position + found_len)
            .filter(|s| s.word_at.0 == position && spaced_rewrite(text, s).is_some())
    } else {
        None
    };
    let stray_attribute = expected.declaration
        && keyword.is_none()
        && is_attribute_start(found_word, &text[position + found_len..]);
    // `compres when x {`, `trai boosted after a {`: a step whose keyword is misspelt, read as
    // an attribute's name until `when`, `after` or its own name.
    let step_keyword = if expected.tokens.contains(&"`=`") {
        misspelt_step_keyword(text, position)
    } else {
        None
    };
    // `everything { horizon = 7d }`: a declaration whose kind was deleted. Where the word
    // is also near a keyword (`experiment_run {` and `experiment`), the block's contents
    // decide: a `priority` and a step say `pipeline`, not a misspelt `experiment`.
    let kindless = expected
        .declaration
        .then(|| kindless_declaration(text, position, found_word))
        .flatten()
        .filter(|guess| match (guess, keyword) {
            (_, None) => true,
            (Some((kind, _)), Some(keyword)) => *kind != keyword,
            (None, Some(_)) => false,
        });
    let keyword = keyword.filter(|_| kindless.is_none());
    // `swee gpu.capacity = [..]`, `train afte preprocess {`, `reads = 1GB fro storage`,
    // `choic {`, `matc framework {`: a keyword one slip off, read as a name.
    let slipped_keyword = if keyword.is_none() && kindless.is_none() && step_keyword.is_none() {
        misspelt_keyword(text, position)
    } else {
        None
    };
    if let Some(keyword) = keyword {
        diagnostic = diagnostic.help(format!("did you mean `{keyword}`?"));
    } else if let Some(kind) = kindless {
        let kinds = "`scenario`, `resource`, `dataset`, `pipeline`, `profile`, `arrivals`, `monitor` or `experiment`";
        diagnostic = Diagnostic::error(
            codes::UNEXPECTED,
            format!("`{found_word} {{` has no kind: a declaration starts with {kinds}"),
        )
        .primary(found_span, "a declaration's name without its kind");
        diagnostic = match kind {
            Some((kind, because)) => {
                let article = if kind.starts_with(['a', 'e']) {
                    "an"
                } else {
                    "a"
                };
                let mut d = diagnostic.help(format!(
                    "its `{because}` belongs in {article} `{kind}`: write `{kind} {found_word} {{`"
                ));
                d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
                    title: format!("Write `{kind} {found_word}`"),
                    edits: vec![(Span::new(file, position, position), format!("{kind} "))],
                }];
                d
            }
            None => diagnostic.help(format!("write its kind before `{found_word}`")),
        };
    } else if let Some((word, at, meant)) = step_keyword {
        diagnostic = Diagnostic::error(
            codes::UNEXPECTED,
            format!("`{word}` is not a kind of step: steps are `preprocess`, `train`, `validate`, `compress` and `task`"),
        )
        .primary(Span::new(file, at, at + word.len()), "not a step kind")
        .help(format!("did you mean `{meant}`?"));
    } else if let Some((word, at, meant)) = slipped_keyword {
        diagnostic = Diagnostic::error(
            codes::UNEXPECTED,
            format!("`{word}` is not a keyword, and what follows it does not parse"),
        )
        .primary(Span::new(file, at, at + word.len()), "read as a name")
        .help(format!("did you mean `{meant}`?"));
    } else if stray_attribute {
        // Usually a block closed a line too early, or its opening line was deleted.
        let before = text[..position].trim_end();
        let early_brace = before.ends_with('}').then(|| before.len() - 1);
        diagnostic = Diagnostic::error(codes::UNEXPECTED, message)
            .primary(found_span, "an attribute outside any block");
        diagnostic = match early_brace {
            Some(brace) => diagnostic
                .secondary(Span::new(file, brace, brace + 1), "this `}` ends the block above")
                .help(format!(
                    "attributes go inside a declaration's braces: if `{found_word}` belongs to the block above, move this `}}` below it; otherwise its block's opening line (such as `resource NAME {{`) is missing"
                )),
            None => diagnostic.help(format!(
                "attributes go inside a declaration's braces, as in `resource NAME {{ {found_word} = ... }}`: is the line that opens its block missing?"
            )),
        };
    } else if let Some(spaced) = spaced_unit {
        let SpacedUnit {
            number,
            number_at,
            word: unit,
            word_at: unit_span,
        } = spaced;
        let (help, written, end) = spaced_help(text, &spaced);
        let is_unit =
            |written: &str| crate::analysis::units::parse_unit(&written[number.len()..]).is_ok();
        // A word that is no unit even when joined to its number (`3 per job`, `4 to 16`) is
        // not told to be joined to it.
        let (label, help) = if is_unit(&written) {
            (format!("is this the unit of `{number}`?"), help)
        } else {
            let next = text[unit_span.1..].trim_start();
            let next = &next[..next
                .find(|c: char| c.is_whitespace() || matches!(c, '}' | ';' | ','))
                .unwrap_or(next.len())];
            match unit {
                "to" if range_ends(&format!("{number} to {next}")).is_some() => (
                    "a range?".to_string(),
                    format!(
                        "a value is a number or a distribution: one drawn evenly between `{number}` and `{next}` is `uniform(min = {number}, max = {next})`, and an experiment runs several values with `sweep NAME = [{number}, {next}]`"
                    ),
                ),
                // `1 year`, `6 months`: units the language leaves out on purpose.
                _ if let Some(help) = crate::analysis::units::left_out_unit(unit) => {
                    ("not a unit".to_string(), help.to_string())
                }
                "per" => (
                    "not a unit".to_string(),
                    format!(
                        "a rate is written as a number of events per unit of time, as in `{number}/h`"
                    ),
                ),
                _ => (
                    "not a unit".to_string(),
                    format!(
                        "`{unit}` is not a unit: write the number alone if it is a count (`{number}`), or with its unit directly after it, as in `30min`, `4GB`, `10Gbps` or `3/h`"
                    ),
                ),
            }
        };
        diagnostic = diagnostic
            .secondary(Span::new(file, unit_span.0, unit_span.1), label)
            .help(help);
        // A guess (the word may be the next attribute's name), so only where what it writes
        // is a unit the language has; checking again keeps it only where it mends the error.
        if is_unit(&written) {
            // The other numbers with a spaced unit in the same brackets (`[7 days, 14 days]`)
            // are mended at once: mending the first alone leaves the next reported in its place.
            let others = match scan.unclosed_in(start, position).last() {
                Some(opener) => {
                    let close = matching_closer(text, opener.offset).unwrap_or(segment_end);
                    other_spaced_units(text, end, close.min(segment_end.max(end)))
                }
                None if context == Context::Expression => other_spaced_units(text, end, text.len()),
                None => Vec::new(),
            };
            let mut edits = vec![(Span::new(file, number_at, end), written.clone())];
            let mut shown = vec![format!("`{written}`")];
            for (from, to, other) in others {
                diagnostic = diagnostic.secondary(Span::new(file, from, to), "also spaced");
                shown.push(format!("`{other}`"));
                edits.push((Span::new(file, from, to), other));
            }
            let title = match shown.split_last() {
                Some((last, first)) if !first.is_empty() => {
                    format!("Write {} and {last}", first.join(", "))
                }
                _ => format!("Write `{written}`"),
            };
            diagnostic.repair.get_or_insert_default().fixes =
                vec![crate::diagnostic::Fix { title, edits }];
        }
    } else if let Some(help) = expected.help() {
        diagnostic = diagnostic.help(help);
    }
    diagnostic
}

/// Quotes a word processor curls, which the language does not read.
const CURLY_QUOTES: [char; 6] = ['“', '”', '„', '‘', '’', '‚'];

/// A character pipesim does not read, at `position`: a curly quote (`“pipeline.wait.p95”`,
/// pasted from a word processor), whose fix writes straight quotes for every curly one from
/// there to the end of the declaration (strings and comments left alone), or a letter that is
/// not ASCII in a name (`gpü`).
fn non_ascii(file: FileId, text: &str, position: usize, segment_end: usize) -> Option<Diagnostic> {
    let found = text[position..].chars().next()?;
    if CURLY_QUOTES.contains(&found) {
        let found_span = Span::new(file, position, position + found.len_utf8());
        let mut d = Diagnostic::error(
            codes::UNEXPECTED,
            format!("`{found}` is a curly quote: a string is written in straight quotes"),
        )
        .primary(found_span, "not `\"`")
        .help("use straight double quotes `\"`, as in `\"pipeline.wait.p95\"`: curly quotes (“ ” ‘ ’) come from pasting through a word processor");
        let end = segment_end.max(position).min(text.len());
        let mut edits = Vec::new();
        let mut in_string = false;
        let mut chars = text[position..end].char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let at = position + at;
            match c {
                '"' => in_string = !in_string,
                '\\' if in_string => {
                    chars.next();
                }
                '/' if !in_string && text[at..].starts_with("//") => {
                    while chars.peek().is_some_and(|&(_, c)| c != '\n') {
                        chars.next();
                    }
                }
                _ if !in_string && CURLY_QUOTES.contains(&c) => {
                    edits.push((Span::new(file, at, at + c.len_utf8()), "\"".to_string()));
                }
                _ => {}
            }
        }
        let title = if edits.len() > 1 {
            format!("Write the {} curly quotes `\"`", edits.len())
        } else {
            "Write `\"`".to_string()
        };
        d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix { title, edits }];
        return Some(d);
    }
    if found.is_ascii() || !found.is_alphabetic() {
        return None;
    }
    // The whole word, the letters before the one found included.
    let is_letter = |c: char| c.is_alphanumeric() || c == '_';
    let word_start = text[..position].trim_end_matches(is_letter).len();
    let word_end = text[position..]
        .find(|c: char| !is_letter(c))
        .map_or(text.len(), |n| position + n);
    let word = &text[word_start..word_end];
    Some(
        Diagnostic::error(
            codes::UNEXPECTED,
            format!("`{word}` is not a name: `{found}` is not an ASCII letter"),
        )
        .primary(Span::new(file, word_start, word_end), format!("`{found}` is not ASCII"))
        .help("names are ASCII letters, digits and `_`, starting with a letter or `_`: write the name without accents or other scripts (a string, in quotes, may hold any text)"),
    )
}

/// `sweep gpu.capacity = 4, 8, 16`, `= (4, 8)`, `= {4, 8}` or `= 4..16` (an error at
/// `position`, within the sweep's values on its line): a sweep lists its values in
/// brackets. The same code as a sweep of a single value (`BAD_SWEEP`), with a fix that
/// writes the brackets, except for a range, whose values are not known.
fn sweep_without_list(file: FileId, text: &str, position: usize) -> Option<Diagnostic> {
    let line_start = text[..position].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[position..]
        .find('\n')
        .map_or(text.len(), |i| position + i);
    let line = &text[line_start..line_end];
    // The last `sweep` before the error, at the line's start or after a block's `{`.
    let indent = line[..position - line_start]
        .match_indices("sweep")
        .map(|(at, _)| at)
        .filter(|&at| {
            let before = line[..at].trim_end();
            (before.is_empty() || before.ends_with(['{', ';']))
                && line[at + "sweep".len()..].starts_with([' ', '\t'])
        })
        .last()?;
    let rest = &line[indent + "sweep".len()..];
    let equals = line_start + indent + "sweep".len() + rest.find('=')?;
    let path = text[line_start + indent + "sweep".len()..equals].trim();
    let path_ok = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !path_ok || position <= equals {
        return None;
    }
    // The values: the rest of the line, without a comment.
    let after = &text[equals + 1..line_end];
    let after = after.find("//").map_or(after, |i| &after[..i]);
    let value_start = equals + 1 + (after.len() - after.trim_start().len());
    let mut value = after.trim();
    // A block on one line: `experiment e { sweep gpu.capacity = 4, 8 }` (or `= {4, 8} }`).
    if value.ends_with('}') && value.matches('}').count() > value.matches('{').count() {
        value = value[..value.len() - 1].trim_end();
    }
    let value_end = value_start + value.len();
    if value.is_empty() || value.starts_with('[') && !is_range(value) {
        return None;
    }
    let span = Span::new(file, value_start, value_end);
    let diagnostic = |message: String, label: &str, help: String| {
        Diagnostic::error(crate::analysis::codes::BAD_SWEEP, message)
            .primary(span, label)
            .help(help)
    };
    if is_range(value) {
        return Some(diagnostic(
            format!("`sweep {path}` takes a list of values, not a range"),
            "a range",
            range_help(&format!("sweep {path} = "), value),
        ));
    }
    let inner = match (value.as_bytes()[0], value.as_bytes()[value.len() - 1]) {
        (b'(', b')') | (b'{', b'}') => &value[1..value.len() - 1],
        _ if value.contains(',') => value,
        _ => return None,
    };
    if inner.split(',').any(|part| part.trim().is_empty()) {
        return None;
    }
    let list = format!("[{}]", inner.trim());
    let mut d = diagnostic(
        format!("the values of `sweep {path}` are a list, in brackets"),
        "not a list in brackets",
        format!("write `sweep {path} = {list}`"),
    );
    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
        title: format!("Write `{list}`"),
        edits: vec![(span, list)],
    }];
    Some(d)
}

/// The edit that removes the comma at `position` between two attributes, and the blank after
/// it where one is before it too; a space where it alone stood between two words.
fn comma_removal(file: FileId, text: &str, position: usize) -> (Span, String) {
    let next = text.as_bytes().get(position + 1).copied();
    let blank_before = position > 0 && text.as_bytes()[position - 1] == b' ';
    let end = if next == Some(b' ') && blank_before {
        position + 2
    } else {
        position + 1
    };
    let replacement = if next.is_some_and(|b| b.is_ascii_alphabetic()) && !blank_before {
        " "
    } else {
        ""
    };
    (Span::new(file, position, end), replacement.to_string())
}

/// The commas between attributes after the one at `comma`, in the item at `start`: the
/// parser is asked again with each found one blanked out, and each next error that is a
/// comma where an attribute may start is one more (at most [`MOST_COMMAS`]). The parser
/// judges, so a comma in a list, a call or a `choice` is never taken for one.
fn separator_commas_after(
    text: &str,
    start: usize,
    segment_end: usize,
    comma: usize,
) -> Vec<usize> {
    use pest::Parser as _;
    let Some(item) = text.get(start..segment_end) else {
        return Vec::new();
    };
    let mut blanked = item.to_string();
    let mut found = Vec::new();
    let mut at = comma;
    while found.len() < MOST_COMMAS {
        // A comma is one byte, and a space keeps every offset after it. An item read past
        // `segment_end` (a line inside it looked like a declaration) is not read again.
        let Some(offset) = at.checked_sub(start).filter(|&o| o < blanked.len()) else {
            break;
        };
        blanked.replace_range(offset..offset + 1, " ");
        let Err(error) = super::parser::PipesimParser::parse(Rule::next_item, &blanked) else {
            break;
        };
        let next = start
            + match error.location {
                InputLocation::Pos(p) => p,
                InputLocation::Span((p, _)) => p,
            };
        let ErrorVariant::ParsingError { positives, .. } = &error.variant else {
            break;
        };
        if next <= at
            || text.as_bytes().get(next) != Some(&b',')
            || !Expected::from_rules(positives).block_entry
        {
            break;
        }
        found.push(next);
        at = next;
    }
    found
}

/// At most this many commas between attributes are reported, each found by parsing the item
/// again.
const MOST_COMMAS: usize = 100;

/// `model.accuracy < 0.8 and model.age > 30d`: `and` or `or` (other languages' operators)
/// as the word right before the error at `position`, after a value.
fn word_operator(file: FileId, text: &str, position: usize) -> Option<Diagnostic> {
    let before = text[..position].trim_end();
    let word_start = before
        .char_indices()
        .rfind(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[word_start..];
    let operator = match word {
        "and" => "&&",
        "or" => "||",
        _ => return None,
    };
    // Something that ends a value comes before it, and a blank between.
    let ahead = &before[..word_start];
    if ahead.len() == ahead.trim_end().len() || ahead.trim_end().is_empty() {
        return None;
    }
    let span = Span::new(file, word_start, word_start + word.len());
    let mut d = Diagnostic::error(
        codes::UNEXPECTED,
        format!("`{word}` is written `{operator}`"),
    )
    .primary(span, format!("write `{operator}`"))
    .help("conditions are joined with `&&` (and) and `||` (or), and negated with `!`");
    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
        title: format!("Write `{operator}`"),
        edits: vec![(span, operator.to_string())],
    }];
    Some(d)
}

/// `import std/aiops as aiops`: an import's path written without its quotes (an error at
/// `position`, on the `import` line after the keyword).
fn import_path_unquoted(file: FileId, text: &str, position: usize) -> Option<Diagnostic> {
    let line_start = text[..position].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let indent = line.len() - line.trim_start().len();
    let after = line.trim_start().strip_prefix("import")?;
    let gap = after.len() - after.trim_start().len();
    if gap == 0 {
        return None;
    }
    let path_at = line_start + indent + "import".len() + gap;
    let path_text = &text[path_at..];
    let path_len = path_text
        .find(|c: char| c.is_whitespace())
        .unwrap_or(path_text.len());
    let path = &path_text[..path_len];
    if path.is_empty()
        || path.starts_with('"')
        || position < path_at
        || position > path_at + path_len
    {
        return None;
    }
    let quoted = format!("\"{path}\"");
    let span = Span::new(file, path_at, path_at + path_len);
    let mut d = Diagnostic::error(
        codes::UNEXPECTED,
        format!("an import's path is a string: {quoted}"),
    )
    .primary(span, "not in quotes")
    .help(format!("write `import {quoted} as NAME`"));
    d.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
        title: format!("Write {quoted}"),
        edits: vec![(span, quoted)],
    }];
    Some(d)
}

/// Whether `text` is a range of numbers, `4..16`, `[4..16]` or `4 to 16` (quantities too:
/// `1h..4h`), not a path such as `../jobs.csv`.
pub fn is_range(text: &str) -> bool {
    range_ends(text).is_some()
}

/// The two ends of a range written `A..B`, `A..=B` or `A to B` (in brackets or not), when
/// both are numbers or quantities.
fn range_ends(text: &str) -> Option<(&str, &str)> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    let numeric = |end: &str| {
        end.trim_start_matches('-')
            .starts_with(|c: char| c.is_ascii_digit())
    };
    let (from, to) = inner
        .split_once("..")
        .map(|(from, to)| (from, to.trim_start().trim_start_matches('=')))
        .or_else(|| inner.split_once(" to "))?;
    let (from, to) = (from.trim(), to.trim());
    (numeric(from) && numeric(to)).then_some((from, to))
}

/// What to write for a range `A..B` or `A to B` (in brackets or not) after `before`: its
/// two ends, and the values between to add, since how many the range meant is not known.
pub fn range_help(before: &str, range: &str) -> String {
    match range_ends(range) {
        Some((from, to)) => format!(
            "list the values to run, in brackets: `{before}[{from}, {to}]` runs `{from}` and `{to}`; add the values between them that you want"
        ),
        None => format!("list the values to run, in brackets, such as `{before}[4, 8, 16]`"),
    }
}

/// `import "PATH" as` whose alias is missing: the next declaration's keyword was read as the
/// alias (see `parser::missing_alias`). `alias` is the one the path suggests.
pub fn import_without_alias(
    file: FileId,
    text: &str,
    import: &super::ast::Import,
    as_at: usize,
    alias: Option<&str>,
) -> Diagnostic {
    let keyword = import.alias.span;
    let alias = alias.unwrap_or("NAME");
    Diagnostic::error(codes::UNEXPECTED, "an import without its alias")
        .primary(Span::new(file, as_at, as_at + 2), "needs a name after it")
        .secondary(
            keyword,
            format!(
                "`{}` starts the next declaration",
                &text[keyword.start as usize..keyword.end as usize]
            ),
        )
        .help(format!(
            "name the module after `as`, as in `import \"{}\" as {alias}`, and use its declarations as `{alias}.NAME`",
            import.path
        ))
}

/// A step after the `}` that ended its pipeline, or a `}` after any declaration's (see
/// `parser::step_after_pipeline`).
pub fn step_after_pipeline(
    file: FileId,
    text: &str,
    step: std::ops::Range<usize>,
    pipeline: &super::ast::Decl,
) -> Diagnostic {
    let keyword = &text[step.clone()];
    let kind = pipeline.kind.keyword();
    let name = pipeline.name.as_ref().map_or("", |n| n.name.as_str());
    let end = pipeline.span.end as usize;
    let help = match pipeline.kind {
        super::ast::DeclKind::Pipeline => "a `}` above ends the pipeline too early: is a step's opening line (such as `preprocess {`) missing, or is there a `}` too many?",
        super::ast::DeclKind::Resource => "a `}` above ends the resource too early: is the line `autoscale {` missing, or is there a `}` too many?",
        _ => "a `}` above ends the block too early: is a nested block's opening line missing, or is there a `}` too many?",
    };
    let (code, message, label) = if keyword == "}" {
        (
            codes::UNMATCHED_CLOSER,
            format!("a `}}` after the end of {kind} `{name}`"),
            "closes nothing",
        )
    } else {
        (
            codes::UNEXPECTED,
            format!(
                "a `{keyword}` {} after the end of pipeline `{name}`",
                if keyword == "model" { "block" } else { "step" }
            ),
            "outside any pipeline",
        )
    };
    Diagnostic::error(code, message)
        .primary(Span::new(file, step.start, step.end), label)
        .secondary(
            Span::new(file, end.saturating_sub(1), end),
            format!("{kind} `{name}` ends here"),
        )
        .help(help)
}

/// The first word of the line of `position`, when it is one slip from a step keyword and
/// `position` is further on: the word, where it starts, and the keyword.
fn misspelt_step_keyword(text: &str, position: usize) -> Option<(&str, usize, &'static str)> {
    let line_start = text[..position].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..position];
    let at = line_start + (before.len() - before.trim_start().len());
    let word_end = text[at..position]
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(|i| at + i)?;
    let word = &text[at..word_end];
    let keywords = super::ast::StepKind::ALL.map(|k| k.keyword());
    let meant = crate::diagnostic::suggest(word, keywords)?;
    Some((word, at, meant))
}

/// The grammar's keywords (`kw_*` and `reserved` in `grammar/pipesim.pest`; a test holds
/// the list to the grammar): a word written as one of them is not a slip for another.
pub(super) const GRAMMAR_KEYWORDS: &[&str] = &[
    "true", "false", "if", "then", "else", "match", "import", "as", "sweep", "after", "when",
    "from", "to", "choice",
];

/// Keywords that a slip turns into a name, which the parser then reads as an attribute's
/// name or a value, failing at the next word.
const SLIPPABLE_KEYWORDS: &[&str] = &["sweep", "after", "when", "from", "match", "choice"];

/// A word one slip from a keyword of [`SLIPPABLE_KEYWORDS`] that explains the error at
/// `position`: the word right before it (`afte` in `train afte preprocess`; for `choice`,
/// only where a `{` follows), or, on this line or the one before, a `match` whose subject
/// and `{` follow it (`matc framework {`, where pest fails later, inside the braces). The
/// word, where it starts, and the keyword.
fn misspelt_keyword(text: &str, position: usize) -> Option<(&str, usize, &'static str)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let line_start = text[..position].rfind('\n').map_or(0, |i| i + 1);
    let before = text[line_start..position].trim_end();
    let bytes = text.as_bytes();
    let word_at = |end: usize| {
        // Words are ASCII: a byte of a longer character stops the scan at a character bound.
        let mut start = end;
        while start > line_start && is_word(bytes[start - 1] as char) {
            start -= 1;
        }
        // Not a part of a dotted name.
        (start < end && !text[..start].ends_with('.')).then(|| (&text[start..end], start))
    };
    if let Some((word, at)) =
        word_at(line_start + before.len()).filter(|(word, _)| !GRAMMAR_KEYWORDS.contains(word))
    {
        let found_brace = text[position..].starts_with('{');
        if let Some(meant) = crate::diagnostic::suggest(word, SLIPPABLE_KEYWORDS.iter().copied()) {
            if (meant != "choice" || found_brace) && meant != "match" {
                return Some((word, at, meant));
            }
        }
    }
    // `NAME = matc SUBJECT {`: each word of the line, or of the line before (where the
    // arms start on the next line), followed by a name and a `{`.
    let mut next = text[..line_start.saturating_sub(1)]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    while next < position {
        // Words are ASCII, so their bounds are character bounds.
        if !is_word(bytes[next] as char) {
            next += 1;
            continue;
        }
        let at = next;
        while next < position && is_word(bytes[next] as char) {
            next += 1;
        }
        let word = &text[at..next];
        if GRAMMAR_KEYWORDS.contains(&word) || text[..at].ends_with('.') {
            continue;
        }
        if crate::diagnostic::suggest(word, ["match"]).is_none() {
            continue;
        }
        let rest = text[at + word.len()..position].trim_start();
        let subject_end = rest
            .find(|c: char| !(is_word(c) || c == '.'))
            .unwrap_or(rest.len());
        if subject_end > 0 && rest[subject_end..].trim_start().starts_with('{') {
            return Some((word, at, "match"));
        }
    }
    None
}

/// A short word just before `position` that follows a number and a space, as in
/// `horizon = 30 d`: the number, the word and the word's byte range.
fn spaced_unit(text: &str, start: usize, position: usize) -> Option<SpacedUnit<'_>> {
    let before = text[start..position].trim_end();
    // Byte indices after the char found: it may be wider than one byte (`7E€`).
    let word_start = before
        .char_indices()
        .rfind(|&(_, c)| !c.is_ascii_alphabetic())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let word = &before[word_start..];
    let gap_and_number = &before[..word_start];
    let number_text = gap_and_number.trim_end_matches([' ', '\t']);
    // Longer words are units only when spelled out (`30 minutes`).
    let unit_like = word.len() <= 4
        || crate::analysis::units::spelled_out_time(word).is_some()
        || crate::analysis::units::left_out_unit(word).is_some();
    if word.is_empty() || !unit_like || number_text.len() == gap_and_number.len() {
        return None;
    }
    let number_start = number_text
        .char_indices()
        .rfind(|&(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | '_')))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let number = &number_text[number_start..];
    let preceded_by_name = number_text[..number_start]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if number.is_empty() || !number.starts_with(|c: char| c.is_ascii_digit()) || preceded_by_name {
        return None;
    }
    let word_offset = start + word_start;
    Some(SpacedUnit {
        number,
        number_at: start + number_start,
        word,
        word_at: (word_offset, word_offset + word.len()),
    })
}

/// The help for a number and a word after it, what it writes instead, and where what it
/// replaces ends (after `hour` in `3 per hour`).
fn spaced_help(text: &str, spaced: &SpacedUnit) -> (String, String, usize) {
    let SpacedUnit {
        number,
        word: unit,
        word_at: unit_span,
        ..
    } = *spaced;
    let spelled = crate::analysis::units::spelled_out_time;
    // `3 per hour`: the word after `per` is the unit of time.
    let per = (unit == "per")
        .then(|| {
            let gap = text[unit_span.1..].len() - text[unit_span.1..].trim_start().len();
            let next_at = unit_span.1 + gap;
            let next = &text[next_at..];
            let end = next
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(next.len());
            let time = spelled(&next[..end]).or(["s", "min", "h", "d", "w"]
                .into_iter()
                .find(|u| *u == &next[..end]))?;
            Some((time, next_at + end))
        })
        .flatten();
    match (per, spelled(unit)) {
        (Some((time, end)), _) => (
            format!("a rate is written as a number of events per unit of time: `{number}/{time}`"),
            format!("{number}/{time}"),
            end,
        ),
        (None, Some(canonical)) => {
            let words = crate::analysis::units::time_unit_words(canonical);
            (
                format!(
                    "a unit is written directly after its number, without a space, and {words} are written `{canonical}`: `{number}{canonical}`"
                ),
                format!("{number}{canonical}"),
                unit_span.1,
            )
        }
        (None, None) => (
            format!(
                "a unit is written directly after its number, without a space: `{number}{unit}`"
            ),
            format!("{number}{unit}"),
            unit_span.1,
        ),
    }
}

/// What a number and the word after it are written as, where that is a unit of the language,
/// and where what it replaces ends.
fn spaced_rewrite(text: &str, spaced: &SpacedUnit) -> Option<(String, usize)> {
    let (_, written, end) = spaced_help(text, spaced);
    crate::analysis::units::parse_unit(&written[spaced.number.len()..])
        .is_ok()
        .then_some((written, end))
}

/// The numbers followed by a spaced unit in `text[from..to]`: where each starts and ends, and
/// what it is written as.
fn other_spaced_units(text: &str, from: usize, to: usize) -> Vec<(usize, usize, String)> {
    let mut found = Vec::new();
    let mut at = from;
    while at < to {
        let c = text.as_bytes()[at];
        if c == b'"' {
            // A string's words are text: skip to its closing quote.
            at += 1;
            while at < to && text.as_bytes()[at] != b'"' {
                at += if text.as_bytes()[at] == b'\\' { 2 } else { 1 };
            }
            at += 1;
            continue;
        }
        if !c.is_ascii_alphabetic() || (at > 0 && text.as_bytes()[at - 1].is_ascii_alphanumeric()) {
            at += 1;
            continue;
        }
        let end = text[at..to]
            .find(|c: char| !c.is_ascii_alphabetic())
            .map_or(to, |n| at + n);
        if let Some(spaced) = spaced_unit(text, from, end).filter(|s| s.word_at.0 == at) {
            if let Some((written, written_end)) = spaced_rewrite(text, &spaced) {
                if written_end <= to {
                    found.push((spaced.number_at, written_end, written));
                    at = written_end;
                    continue;
                }
            }
        }
        at = end;
    }
    found
}

/// The closing bracket that matches the opening one at `open`, skipping strings.
fn matching_closer(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut at = open;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
        at += 1;
    }
    None
}

/// A number and the word after it, which may be its unit (see [`spaced_unit`]).
#[derive(Clone, Copy)]
struct SpacedUnit<'t> {
    number: &'t str,
    number_at: usize,
    word: &'t str,
    word_at: (usize, usize),
}

/// Whether `word`, followed by `rest`, starts an attribute (`name = ...`, not `==`) or a
/// nested block (`name { ... }`).
/// Words that belong to one kind of declaration only: an attribute, step or nested block
/// (checked against analysis's tables in `syntax::tests`).
pub(super) const KIND_TELLING: &[(&str, &[&str])] = &[
    ("scenario", &["horizon", "seed", "warmup", "drain"]),
    (
        "resource",
        &[
            "kind",
            "capacity",
            "bandwidth",
            "policy",
            "backfill",
            "cost",
            "autoscale",
        ],
    ),
    (
        "pipeline",
        &[
            "preprocess",
            "train",
            "validate",
            "compress",
            "task",
            "data",
            "priority",
            "deadline",
            "model",
        ],
    ),
    ("profile", &["hours", "days", "matrix"]),
    (
        "arrivals",
        &[
            "interarrival",
            "rate",
            "trace",
            "time_column",
            "profile",
            "pipeline",
            "growth",
            "stop",
            "row",
        ],
    ),
    ("monitor", &["every", "when", "retrain", "pipelines"]),
    (
        "experiment",
        &["replications", "confidence", "metrics", "sweep"],
    ),
];

/// For `NAME {` where a declaration should start: `Some` (a declaration without its kind),
/// with the kind its first telling attribute or step names and that word, where one does.
#[allow(clippy::option_option)] // "a kindless declaration" and "whose kind is guessed" differ.
fn kindless_declaration(
    text: &str,
    position: usize,
    word: &str,
) -> Option<Option<(&'static str, String)>> {
    if word.is_empty() || !is_attribute_start(word, &text[position + word.len()..]) {
        return None;
    }
    let rest = text[position + word.len()..].trim_start_matches([' ', '\t']);
    let body_start = text.len() - rest.len() + 1;
    if !rest.starts_with('{') {
        return None;
    }
    // The words that open the block's entries at its own depth.
    let mut depth = 0usize;
    let mut at_entry = true;
    let mut words = Vec::new();
    let body = &text[body_start..];
    let mut i = 0;
    while i < body.len() {
        let c = body.as_bytes()[i];
        match c {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' if depth == 0 => break,
            b'}' | b')' | b']' => depth -= 1,
            b'/' if body[i..].starts_with("//") => {
                i = body[i..].find('\n').map_or(body.len(), |n| i + n);
                continue;
            }
            // A string's brackets are text (`note = "}"`): skip to its closing quote.
            b'"' => {
                let mut j = i + 1;
                while j < body.len() && body.as_bytes()[j] != b'"' {
                    j += if body.as_bytes()[j] == b'\\' { 2 } else { 1 };
                }
                i = (j + 1).min(body.len());
                continue;
            }
            _ if depth == 0 && at_entry && (c.is_ascii_alphabetic() || c == b'_') => {
                let end = body[i..]
                    .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                    .map_or(body.len(), |n| i + n);
                words.push(&body[i..end]);
                at_entry = false;
                i = end;
                continue;
            }
            b'\n' | b';' => at_entry = true,
            _ => {}
        }
        // After a value, the next entry starts at a word followed by `=` or `{`.
        if depth == 0 && !at_entry && c == b' ' {
            let next = body[i..].trim_start_matches(' ');
            let next_word_end = next
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(next.len());
            at_entry = next_word_end > 0
                && is_attribute_start(&next[..next_word_end], &next[next_word_end..]);
        }
        i += 1;
    }
    let guess = words.iter().find_map(|w| {
        KIND_TELLING
            .iter()
            .find(|(_, telling)| telling.contains(w))
            .map(|(kind, _)| (*kind, w.to_string()))
    });
    Some(guess)
}

/// `train on = gpu {` or `train big on = gpu after a {`: an attribute written in a step's
/// header (an error at `position`, at its `=` or at its name where the step has a name).
/// The header holds only the step's kind, name, `after` and `when`; the fix moves what lies
/// between the attribute and the next `after`, `when` or `{` of the line into the braces.
fn attribute_in_step_header(file: FileId, text: &str, position: usize) -> Option<Diagnostic> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let before = &text[..position];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[position..]
        .find('\n')
        .map_or(text.len(), |i| position + i);
    // The attribute's name: the word at `position` followed by `=`, or the word before a
    // `=` at `position`.
    let name_start = if text[position..].starts_with('=') {
        before
            .trim_end_matches([' ', '\t'])
            .trim_end_matches(is_word)
            .len()
    } else {
        // A name and `=` (not `{`: `train afte preprocess {` is a misspelt `after`).
        let word_end = position + text[position..].find(|c: char| !is_word(c))?;
        let rest = text[word_end..].trim_start_matches([' ', '\t']);
        (word_end > position && rest.starts_with('=') && !rest.starts_with("=="))
            .then_some(position)?
    };
    let name_end = name_start + text[name_start..].find(|c: char| !is_word(c))?;
    let name = &text[name_start..name_end];
    let header = text[line_start..name_start].trim_start();
    let kind = &header[..header.find(|c: char| !is_word(c)).unwrap_or(header.len())];
    if name.is_empty()
        || !super::ast::StepKind::ALL
            .iter()
            .any(|k| k.keyword() == kind)
    {
        return None;
    }
    // What moves: up to the next `after`, `when` or `{` on the line.
    let rest = &text[name_end..line_end];
    let mut end = None;
    for (at, _) in rest.match_indices(' ') {
        let next = &rest[at + 1..];
        let word = &next[..next.find(|c: char| !is_word(c)).unwrap_or(next.len())];
        if matches!(word, "after" | "when") || next.starts_with('{') {
            end = Some(name_end + at);
            break;
        }
    }
    let step = text[line_start..name_start].trim();
    let mut diagnostic = Diagnostic::error(
        codes::UNEXPECTED,
        format!("`{name}` is written in the header of `{step}`: a step's attributes go inside its braces"),
    )
    .primary(Span::new(file, name_start, name_end), "an attribute in the step's header")
    .help(format!(
        "a step's header holds its kind, its name, `after` and `when`: write `{step} {{ {name} = ... }}`"
    ));
    // The fix needs the body's `{` on this line, and an attribute without braces of its own
    // (a `choice { ... }` would be cut at its own brace).
    let Some(end) = end else {
        return Some(diagnostic);
    };
    let moved = text[name_start..end].trim_end();
    let Some(brace) = rest.find('{').map(|at| name_end + at) else {
        return Some(diagnostic);
    };
    let braced_value = moved
        .split(|c: char| !is_word(c))
        .any(|word| matches!(word, "choice" | "match"));
    if braced_value || moved.contains(['{', '}']) || text[end..brace].contains(['{', '}']) {
        return Some(diagnostic);
    }
    let after_brace = &text[brace + 1..line_end];
    let insertion = if after_brace.trim().is_empty() {
        // A body on the lines below: the attribute becomes its first line, indented as the
        // next one.
        let next_line = text[line_end..].trim_start_matches(['\r', '\n']);
        let indent =
            &next_line[..next_line.len() - next_line.trim_start_matches([' ', '\t']).len()];
        let newline = if text[line_start..line_end].ends_with('\r') {
            "\r\n"
        } else {
            "\n"
        };
        format!("{newline}{indent}{moved}")
    } else {
        format!(" {moved} ")
    };
    let before_name = text[..name_start].trim_end_matches([' ', '\t']).len();
    diagnostic.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
        title: format!("Move `{moved}` into the step's braces"),
        edits: vec![
            (Span::new(file, before_name, end), String::new()),
            (Span::new(file, brace + 1, brace + 1), insertion),
        ],
    }];
    Some(diagnostic)
}

/// `validate { on = cpu  duration = 2min  after train }` or `... when framework == tf }`: a
/// step's `after` or `when` clause written in its body, read as an attribute without its `=`
/// (an error at `position`, the word after `after` or `when`). The fix moves the clause to
/// the step's header, as analysis does for `after = train`.
fn clause_in_step_body(
    file: FileId,
    text: &str,
    scan: &Scan,
    start: usize,
    position: usize,
) -> Option<Diagnostic> {
    use pest::Parser;
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let before = text[..position].trim_end_matches([' ', '\t']);
    if before.len() == position {
        return None;
    }
    let keyword_at = before.trim_end_matches(is_word).len();
    let keyword = &before[keyword_at..];
    if !matches!(keyword, "after" | "when")
        || !text[..keyword_at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_whitespace() || c == ';' || c == '{')
    {
        return None;
    }
    let body = *scan.unclosed_in(start, keyword_at).last()?;
    if body.byte != b'{' {
        return None;
    }
    let header_start = text[..body.offset]
        .rfind(['\n', '{', '}', ';'])
        .map_or(0, |i| i + 1);
    let header = text[header_start..body.offset].trim();
    let kind = &header[..header.find(|c: char| !is_word(c)).unwrap_or(header.len())];
    if !super::ast::StepKind::ALL
        .iter()
        .any(|k| k.keyword() == kind)
    {
        return None;
    }
    let rule = if keyword == "after" {
        Rule::after_clause
    } else {
        Rule::when_clause
    };
    let parsed = super::parser::PipesimParser::parse(rule, &text[keyword_at..])
        .ok()?
        .next()?;
    // The clause without the blanks pest takes after it.
    let clause_end = keyword_at
        + text[keyword_at..keyword_at + parsed.as_span().end()]
            .trim_end()
            .len();
    let clause = &text[keyword_at..clause_end];
    // Where `word` stands alone in the header (byte offsets, so char bounds).
    let header_words = |word: &str| {
        header.match_indices(word).map(|(at, _)| at).find(|&at| {
            !header[..at].ends_with(is_word) && !header[at + word.len()..].starts_with(is_word)
        })
    };
    let header_after = header_words("after");
    let header_when = header_words("when");
    let already = if keyword == "after" {
        header_after
    } else {
        header_when
    };
    let mut diagnostic = Diagnostic::error(
        codes::UNEXPECTED,
        format!("`{keyword}` belongs in the header of `{kind}`, not in its body"),
    )
    .primary(
        Span::new(file, keyword_at, clause_end),
        "a header clause in the body",
    );
    if already.is_some() {
        let join = if keyword == "after" {
            "list all the steps it waits for in one `after`, as in `after a, b`"
        } else {
            "join the conditions in one `when` with `&&`"
        };
        return Some(diagnostic.help(format!(
            "a step's header holds `after` and `when`, and `{header}` has its `{keyword}` already: {join}"
        )));
    }
    // `after` comes before `when` in the header.
    let (insert_at, new_header) = match header_when.filter(|_| keyword == "after") {
        Some(when) => {
            let at = text[header_start..].len() - text[header_start..].trim_start().len();
            let at = header_start + at + when;
            (
                at,
                format!("{} {clause} {}", header[..when].trim_end(), &header[when..]),
            )
        }
        None => (body.offset, format!("{header} {clause}")),
    };
    diagnostic = diagnostic.help(format!(
        "a step's `after` and `when` are written in its header, before the braces: `{new_header} {{ ... }}`"
    ));
    let inserted = if insert_at == body.offset
        && !text[..body.offset].ends_with(|c: char| c.is_whitespace())
    {
        format!(" {clause} ")
    } else {
        format!("{clause} ")
    };
    // Its line where the clause is alone on it, else the clause and the blanks before it.
    let line_start = text[..keyword_at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[clause_end..]
        .find('\n')
        .map_or(text.len(), |i| clause_end + i);
    let alone = text[line_start..keyword_at].trim().is_empty()
        && text[clause_end..line_end].trim().is_empty();
    let removal = if alone && line_end < text.len() {
        Span::new(file, line_start, line_end + 1)
    } else {
        let blanks =
            text[line_start..keyword_at].len() - text[line_start..keyword_at].trim_end().len();
        Span::new(file, keyword_at - blanks, clause_end)
    };
    diagnostic.repair.get_or_insert_default().fixes = vec![crate::diagnostic::Fix {
        title: format!("Move `{clause}` to the step's header"),
        edits: vec![
            (Span::new(file, insert_at, insert_at), inserted),
            (removal, String::new()),
        ],
    }];
    Some(diagnostic)
}

/// The names of nested blocks: `autoscale` in a pool, `model` in a pipeline, `row` in a
/// replay.
pub(super) const NESTED_BLOCKS: [&str; 3] = ["autoscale", "model", "row"];

pub fn is_attribute_start(word: &str, rest: &str) -> bool {
    let is_name = word
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest = rest.trim_start_matches([' ', '\t']);
    is_name && ((rest.starts_with('=') && !rest.starts_with("==")) || rest.starts_with('{'))
}

fn closer_of_to_opener(closer: char) -> char {
    match closer {
        '}' => '{',
        ')' => '(',
        _ => '[',
    }
}

fn next_boundary(text: &str, position: usize) -> usize {
    let mut end = (position + 1).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    end
}

/// Describes the token at `position` for "found ...", and its length in bytes.
fn describe_found(text: &str, position: usize, context: Context) -> (String, usize) {
    let rest = &text[position..];
    let Some(first) = rest.chars().next() else {
        let end = match context {
            Context::File => "end of file",
            Context::Expression => "end of input",
        };
        return (end.to_string(), 0);
    };
    let len = if first.is_ascii_alphabetic() || first == '_' {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else if first.is_ascii_digit() {
        rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '%' | '/')))
            .unwrap_or(rest.len())
    } else if first == '"' {
        return ("a string".to_string(), 1);
    } else {
        const TWO_CHAR: &[&str] = &["==", "!=", "<=", ">=", "&&", "||", "=>"];
        if TWO_CHAR.iter().any(|op| rest.starts_with(op)) {
            2
        } else {
            first.len_utf8()
        }
    };
    let token = &rest[..len];
    let shown: String = token.chars().take(40).collect();
    let ellipsis = if shown.len() < token.len() { "…" } else { "" };
    (format!("`{shown}{ellipsis}`"), len)
}

/// The expected rules, grouped into what a user thinks in.
#[derive(Debug, Default)]
struct Expected {
    declaration: bool,
    end: bool,
    block_entry: bool,
    expression: bool,
    operator: bool,
    name: bool,
    rbrace: bool,
    /// Single tokens, in the order first seen, e.g. "`=`".
    tokens: Vec<&'static str>,
}

impl Expected {
    fn from_rules(rules: &[Rule]) -> Expected {
        let mut expected = Expected::default();
        for rule in rules {
            match rule {
                Rule::decl | Rule::import | Rule::item | Rule::decl_kind | Rule::kw_import => {
                    expected.declaration = true
                }
                Rule::EOI => expected.end = true,
                Rule::next_item | Rule::file => {
                    expected.declaration = true;
                    expected.end = true;
                }
                Rule::attr | Rule::nested_block | Rule::step | Rule::sweep | Rule::entry => {
                    expected.block_entry = true
                }
                Rule::expr
                | Rule::or_expr
                | Rule::and_expr
                | Rule::cmp_expr
                | Rule::sum_expr
                | Rule::product
                | Rule::unary
                | Rule::atom
                | Rule::quantity
                | Rule::number
                | Rule::string
                | Rule::boolean
                | Rule::list
                | Rule::paren
                | Rule::if_expr
                | Rule::match_expr
                | Rule::choice_expr
                | Rule::call
                | Rule::name
                | Rule::op_neg
                | Rule::op_not
                | Rule::lone_expr => expected.expression = true,
                Rule::op_or
                | Rule::op_and
                | Rule::op_eq
                | Rule::op_ne
                | Rule::op_le
                | Rule::op_lt
                | Rule::op_ge
                | Rule::op_gt
                | Rule::op_add
                | Rule::op_sub
                | Rule::op_mul
                | Rule::op_div
                | Rule::cmp_op
                | Rule::transfer
                | Rule::kw_from
                | Rule::kw_to => expected.operator = true,
                Rule::ident | Rule::path | Rule::step_name | Rule::arg_name => expected.name = true,
                Rule::rbrace => {
                    expected.rbrace = true;
                    expected.push("`}`");
                }
                other => {
                    if let Some(token) = token_words(*other) {
                        expected.push(token);
                    }
                }
            }
        }
        // An entry of a block can start with a name, `sweep` or a step keyword; where `}` may
        // also come, say "an attribute" rather than listing the ways an entry starts.
        let entry_tokens = ["`sweep`", "a step"];
        if expected.rbrace
            && (expected.name || expected.tokens.iter().any(|t| entry_tokens.contains(t)))
        {
            expected.block_entry = true;
            expected.name = false;
            expected.tokens.retain(|t| !entry_tokens.contains(t));
        }
        // `;` is optional between entries: mentioning it adds nothing.
        if expected.block_entry {
            expected.tokens.retain(|t| *t != "`;`");
        }
        expected
            .tokens
            .sort_by_key(|t| TOKEN_ORDER.iter().position(|o| o == t));
        expected
    }

    fn push(&mut self, token: &'static str) {
        if !self.tokens.contains(&token) {
            self.tokens.push(token);
        }
    }

    /// "`=`, `{` or an expression"
    fn words(&self, context: Context) -> String {
        let mut parts: Vec<&str> = Vec::new();
        if self.declaration {
            parts.push("a declaration");
        }
        if self.expression {
            parts.push("an expression");
        }
        if self.name {
            parts.push("a name");
        }
        if self.operator {
            parts.push("an operator");
        }
        if self.block_entry {
            parts.push("an attribute");
        }
        parts.extend(self.tokens.iter().copied());
        if self.end {
            parts.push(match context {
                Context::File => "end of file",
                Context::Expression => "end of input",
            });
        }
        match parts.len() {
            0 => String::new(),
            1 => parts[0].to_string(),
            n => format!("{} or {}", parts[..n - 1].join(", "), parts[n - 1]),
        }
    }

    fn help(&self) -> Option<&'static str> {
        if self.declaration {
            Some("a file holds `import \"PATH\" as NAME` lines and declarations such as `resource NAME { ... }`: `scenario`, `resource`, `dataset`, `pipeline`, `profile`, `arrivals`, `monitor`, `experiment`")
        } else if self.tokens.contains(&"`=`") && self.tokens.contains(&"`{`") {
            Some("write `name = value` for an attribute, or `name { ... }` for a nested block")
        } else if self.expression && !self.operator {
            Some("a value is a number, a quantity such as `30s`, a name, a string, a list `[...]`, a call such as `normal(mean = 0s, sd = 5s)`, or an `if`, `match` or `choice` expression")
        } else if self.tokens.contains(&"`=>`") {
            Some("a match arm is written `label => value`, or `a | b => value`, or `_ => value`")
        } else if self.tokens.contains(&"`:`") {
            Some("a choice entry is written `label: weight`")
        } else if self.tokens.contains(&"`as`") {
            Some("an import is written `import \"PATH\" as NAME`")
        } else if self.tokens.contains(&"`then`") || self.tokens.contains(&"`else`") {
            Some("a conditional is written `if CONDITION then VALUE else VALUE`")
        } else {
            None
        }
    }
}

/// The order in which single tokens are listed: the most telling first, closing brackets last.
const TOKEN_ORDER: &[&str] = &[
    "a label",
    "a choice entry",
    "an argument",
    "a step",
    "a unit",
    "a string",
    "`=`",
    "`=>`",
    "`:`",
    "`|`",
    "`_`",
    "`as`",
    "`sweep`",
    "`after`",
    "`when`",
    "`if`",
    "`then`",
    "`else`",
    "`match`",
    "`choice`",
    "`{`",
    "`(`",
    "`[`",
    "`,`",
    "`;`",
    "`)`",
    "`]`",
    "`}`",
];

/// Words for single-token rules; `None` for rules handled as groups.
fn token_words(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::lbrace | Rule::block => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::semicolon => "`;`",
        Rule::assign => "`=`",
        Rule::fat_arrow => "`=>`",
        Rule::pipe => "`|`",
        Rule::wildcard => "`_`",
        Rule::pattern | Rule::match_arm => "a label",
        Rule::choice_entry => "a choice entry",
        Rule::arg => "an argument",
        Rule::kw_as => "`as`",
        Rule::kw_sweep => "`sweep`",
        Rule::kw_after | Rule::after_clause => "`after`",
        Rule::kw_when | Rule::when_clause => "`when`",
        Rule::kw_if => "`if`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_match => "`match`",
        Rule::kw_choice => "`choice`",
        Rule::step_kind => "a step",
        Rule::unit => "a unit",
        Rule::string_inner => "a string",
        _ => return None,
    })
}
