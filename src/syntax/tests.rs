//! Tests of the parser on the public entry points: trees, spans, comments, and the
//! guarantees against hostile input. Rendered diagnostics are snapshot-tested in
//! `tests/integration/syntax.rs`.

use super::ast::*;
use super::*;
use crate::source::{Origin, SourceMap};

const EXAMPLE: &str = include_str!("../../tests/fixtures/syntax/language_example.pipesim");

fn parse_ok(text: &str) -> File {
    let (file, diagnostics) = parse_file(FileId(0), text);
    assert!(diagnostics.is_empty(), "{text}\n{diagnostics:#?}");
    file
}

fn expr(text: &str) -> Expr {
    match parse_expr(FileId(0), text) {
        Ok(e) => e,
        Err(d) => panic!("{text}: {d:#?}"),
    }
}

fn codes_of(text: &str) -> Vec<&'static str> {
    parse_file(FileId(0), text)
        .1
        .iter()
        .map(|d| d.code)
        .collect()
}

/// A compact, span-free rendering of an expression for assertions.
fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => format!("{n}"),
        ExprKind::Quantity { value, unit, .. } => format!("{value}<{unit}>"),
        ExprKind::Bool(b) => format!("{b}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Path(p) => p.dotted(),
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(sexpr).collect::<Vec<_>>().join(" ")
        ),
        ExprKind::Unary { op, operand } => {
            let op = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Not => "!",
            };
            format!("({op} {})", sexpr(operand))
        }
        ExprKind::Binary { op, lhs, rhs, .. } => {
            format!("({} {} {})", op.symbol(), sexpr(lhs), sexpr(rhs))
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => format!("(if {} {} {})", sexpr(cond), sexpr(then), sexpr(otherwise)),
        ExprKind::Match { scrutinee, arms } => {
            let arms: Vec<String> = arms
                .iter()
                .map(|arm| {
                    let patterns: Vec<String> = arm
                        .patterns
                        .iter()
                        .map(|p| match p {
                            Pattern::Name(path) => path.dotted(),
                            Pattern::Wildcard(_) => "_".to_string(),
                        })
                        .collect();
                    format!("{} => {}", patterns.join("|"), sexpr(&arm.body))
                })
                .collect();
            format!("(match {} {{{}}})", sexpr(scrutinee), arms.join(", "))
        }
        ExprKind::Call { callee, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{}={}", n.name, sexpr(&a.value)),
                    None => sexpr(&a.value),
                })
                .collect();
            format!("{}({})", callee.name, args.join(" "))
        }
        ExprKind::Choice(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|c| format!("{}:{}", c.key.dotted(), sexpr(&c.weight)))
                .collect();
            format!("(choice {})", entries.join(" "))
        }
        ExprKind::Transfer {
            size,
            direction,
            link,
        } => format!("({direction:?} {} {})", sexpr(size), link.dotted()),
    }
}

fn decl<'a>(file: &'a File, name: &str) -> &'a Decl {
    file.items
        .iter()
        .find_map(|item| match item {
            Item::Decl(d) if d.name.as_ref().map(|n| n.name.as_str()) == Some(name) => Some(d),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no declaration `{name}`"))
}

fn attr<'a>(block: &'a Block, name: &str) -> &'a Expr {
    block
        .entries
        .iter()
        .find_map(|e| match e {
            Entry::Attr(a) if a.name.name == name => Some(&a.value),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no attribute `{name}`"))
}

fn steps(block: &Block) -> Vec<&Step> {
    block
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Step(s) => Some(s),
            _ => None,
        })
        .collect()
}

#[test]
fn the_language_example_parses_into_the_expected_tree() {
    let file = parse_ok(EXAMPLE);
    let kinds: Vec<String> = file
        .items
        .iter()
        .map(|item| match item {
            Item::Import(i) => format!("import {} as {}", i.path, i.alias.name),
            Item::Decl(d) => format!(
                "{} {}",
                d.kind.keyword(),
                d.name.as_ref().map_or("-", |n| n.name.as_str())
            ),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "import std/aiops as aiops",
            "scenario growth",
            "resource cpu",
            "resource gpu",
            "resource storage",
            "dataset asset",
            "pipeline classic",
            "arrivals triggers",
            "experiment -",
        ]
    );

    let scenario = decl(&file, "growth");
    assert_eq!(sexpr(attr(&scenario.body, "horizon")), "30<d>");
    assert_eq!(
        sexpr(attr(&scenario.body, "start")),
        "\"2019-03-04T00:00:00Z\""
    );
    assert_eq!(sexpr(attr(&scenario.body, "seed")), "7");

    let gpu = decl(&file, "gpu");
    assert_eq!(gpu.body.entries.len(), 3, "three attributes on one line");
    assert_eq!(sexpr(attr(&gpu.body, "policy")), "sjf");
    assert_eq!(
        sexpr(attr(&decl(&file, "storage").body, "bandwidth")),
        "1.25<GB/s>"
    );

    let asset = decl(&file, "asset");
    assert_eq!(
        sexpr(attr(&asset.body, "instances")),
        "round(lognormal(median=50000 sigma=1.5))"
    );
    assert_eq!(
        sexpr(attr(&asset.body, "size")),
        "(* (* instances dimensions) 8<B>)"
    );

    let classic = decl(&file, "classic");
    assert_eq!(
        sexpr(attr(&classic.body, "framework")),
        "(choice tensorflow:0.45 sparkml:0.35 sklearn:0.2)"
    );
    let steps = steps(&classic.body);
    let names: Vec<&str> = steps.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["preprocess", "train", "validate", "compress"]);
    assert_eq!(
        sexpr(attr(&steps[0].body, "reads")),
        "(From asset.size storage)"
    );
    assert_eq!(
        sexpr(attr(&steps[0].body, "duration")),
        "(+ (+ 12<s> (* asset.size 0.8<s/GB>)) normal(mean=0<s> sd=5<s>))"
    );
    assert_eq!(
        sexpr(attr(&steps[1].body, "on")),
        "(match framework {tensorflow => gpu, _ => cpu})"
    );
    assert_eq!(
        sexpr(attr(&steps[1].body, "duration")),
        "(match framework {tensorflow => lognormal(median=25<min> sigma=0.9), \
         sparkml => lognormal(median=8<min> sigma=0.7), \
         sklearn => lognormal(median=3<min> sigma=0.6)})"
    );
    assert_eq!(
        sexpr(attr(&steps[1].body, "accuracy")),
        "clamp(normal(mean=0.86 sd=0.04) 0 1)"
    );
    assert_eq!(steps[2].body.entries.len(), 3);
    assert_eq!(
        steps[3].when.as_ref().map(sexpr).as_deref(),
        Some("(== framework tensorflow)")
    );
    assert_eq!(sexpr(attr(&steps[3].body, "accuracy_loss")), "0.5<%>");

    let triggers = decl(&file, "triggers");
    assert_eq!(
        sexpr(attr(&triggers.body, "pipeline")),
        "(choice classic:0.6 aiops.edge:0.25 aiops.ensemble:0.15)"
    );
    assert_eq!(sexpr(attr(&triggers.body, "profile")), "aiops.weekly");

    let Some(Item::Decl(experiment)) = file.items.last() else {
        panic!("the experiment comes last")
    };
    let sweeps: Vec<String> = experiment
        .body
        .entries
        .iter()
        .filter_map(|e| match e {
            Entry::Sweep(s) => Some(format!("{} = {}", s.path.dotted(), sexpr(&s.values))),
            _ => None,
        })
        .collect();
    assert_eq!(
        sweeps,
        ["gpu.capacity = [4 8 16]", "triggers.growth = [1 1.5]"]
    );

    let comments: Vec<&str> = file.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        comments,
        [
            "// One month of the platform under projected growth.",
            "// a Monday: profiles need a calendar",
        ]
    );
}

/// Every span of the tree lies in the text, on character boundaries, and names cover
/// exactly their text.
fn check_spans(text: &str, file: &File) {
    let mut map = SourceMap::new();
    let id = map.add("t", Origin::Inline, text.to_string());
    let source = map.get(id);
    let check = |span: crate::source::Span| {
        assert!(
            span.start <= span.end && span.end as usize <= text.len(),
            "{span:?}"
        );
        assert!(text.is_char_boundary(span.start as usize), "{span:?}");
        assert!(text.is_char_boundary(span.end as usize), "{span:?}");
        let covered = &text[span.start as usize..span.end as usize];
        assert_eq!(covered.trim(), covered, "spans have no surrounding space");
    };
    let ident = |i: &Ident| {
        check(i.span);
        assert_eq!(source.slice(i.span), i.name);
    };
    fn walk_expr(e: &Expr, check: &dyn Fn(crate::source::Span), ident: &dyn Fn(&Ident)) {
        check(e.span);
        match &e.kind {
            ExprKind::Quantity { unit_span, .. } => check(*unit_span),
            ExprKind::Path(p) => p.parts.iter().for_each(ident),
            ExprKind::List(items) => items.iter().for_each(|i| walk_expr(i, check, ident)),
            ExprKind::Unary { operand, .. } => walk_expr(operand, check, ident),
            ExprKind::Binary {
                lhs, rhs, op_span, ..
            } => {
                check(*op_span);
                assert!(lhs.span.start >= e.span.start && rhs.span.end <= e.span.end);
                walk_expr(lhs, check, ident);
                walk_expr(rhs, check, ident);
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                for part in [cond, then, otherwise] {
                    walk_expr(part, check, ident);
                }
            }
            ExprKind::Match { scrutinee, arms } => {
                walk_expr(scrutinee, check, ident);
                for arm in arms {
                    check(arm.span);
                    walk_expr(&arm.body, check, ident);
                }
            }
            ExprKind::Call { callee, args } => {
                ident(callee);
                for arg in args {
                    check(arg.span);
                    if let Some(name) = &arg.name {
                        ident(name);
                    }
                    walk_expr(&arg.value, check, ident);
                }
            }
            ExprKind::Choice(entries) => {
                for entry in entries {
                    check(entry.span);
                    entry.key.parts.iter().for_each(ident);
                    walk_expr(&entry.weight, check, ident);
                }
            }
            ExprKind::Transfer { size, link, .. } => {
                walk_expr(size, check, ident);
                link.parts.iter().for_each(ident);
            }
            _ => {}
        }
    }
    fn walk_block(b: &Block, check: &dyn Fn(crate::source::Span), ident: &dyn Fn(&Ident)) {
        check(b.span);
        for entry in &b.entries {
            match entry {
                Entry::Attr(a) => {
                    ident(&a.name);
                    walk_expr(&a.value, check, ident);
                }
                Entry::Block(n) => {
                    ident(&n.name);
                    walk_block(&n.body, check, ident);
                }
                Entry::Step(s) => {
                    check(s.kind_span);
                    s.name.iter().for_each(ident);
                    s.after.iter().for_each(ident);
                    if let Some(w) = &s.when {
                        walk_expr(w, check, ident);
                    }
                    walk_block(&s.body, check, ident);
                }
                Entry::Sweep(s) => {
                    s.path.parts.iter().for_each(ident);
                    walk_expr(&s.values, check, ident);
                }
            }
        }
    }
    for item in &file.items {
        match item {
            Item::Import(i) => {
                ident(&i.alias);
                check(i.path_span);
            }
            Item::Decl(d) => {
                check(d.span);
                assert_eq!(source.slice(d.kind_span), d.kind.keyword());
                d.name.iter().for_each(ident);
                walk_block(&d.body, &check, &ident);
            }
        }
    }
    for comment in &file.comments {
        assert_eq!(source.slice(comment.span), comment.text);
    }
}

#[test]
fn spans_cover_exactly_what_was_written() {
    let file = parse_ok(EXAMPLE);
    check_spans(EXAMPLE, &file);
    let storage = decl(&file, "storage");
    let Entry::Attr(bandwidth) = &storage.body.entries[1] else {
        panic!()
    };
    assert_eq!(
        &EXAMPLE[bandwidth.span.start as usize..bandwidth.span.end as usize],
        "bandwidth = 1.25GB/s"
    );
    let ExprKind::Quantity { unit_span, .. } = &bandwidth.value.kind else {
        panic!()
    };
    assert_eq!(
        &EXAMPLE[unit_span.start as usize..unit_span.end as usize],
        "GB/s"
    );
    assert!(
        EXAMPLE[storage.span.start as usize..storage.span.end as usize]
            .starts_with("resource storage {")
    );
    assert!(EXAMPLE[storage.span.start as usize..storage.span.end as usize].ends_with('}'));

    let e = expr("  (a + b) * -c");
    assert_eq!((e.span.start, e.span.end), (2, 14));
    let ExprKind::Binary {
        lhs, rhs, op_span, ..
    } = &e.kind
    else {
        panic!()
    };
    assert_eq!((op_span.start, op_span.end), (10, 11));
    assert_eq!(
        (lhs.span.start, lhs.span.end),
        (3, 8),
        "the sum inside the parentheses"
    );
    assert_eq!((rhs.span.start, rhs.span.end), (12, 14));
}

#[test]
fn numbers_and_quantities_are_single_tokens_with_their_unit_as_written() {
    let cases = [
        ("42", "42"),
        ("3.5", "3.5"),
        ("1e-3", "0.001"),
        ("2E+2", "200"),
        ("50_000", "50000"),
        ("30s", "30<s>"),
        ("1.25GB/s", "1.25<GB/s>"),
        ("0.8s/GB", "0.8<s/GB>"),
        ("120/h", "120<h>"),
        ("10Gbps", "10<Gbps>"),
        ("5%", "5<%>"),
        ("0.4%/d", "0.4<%/d>"),
        ("1e3KiB", "1000<KiB>"),
        ("3m", "3<m>"),
        ("25min", "25<min>"),
    ];
    for (text, want) in cases {
        let got = sexpr(&expr(text)).replace("<h>", "</h>");
        let want = want.replace("<h>", "</h>");
        assert_eq!(got, want, "{text}");
    }
    // Separated by a space, a slash divides.
    assert_eq!(sexpr(&expr("120 / h")), "(/ 120 h)");
    assert_eq!(sexpr(&expr("-5s")), "(neg 5<s>)");
}

#[test]
fn strings_unescape_quotes_and_backslashes() {
    assert_eq!(sexpr(&expr(r#""a \"b\" c\\d""#)), r#""a \"b\" c\\d""#);
    let ExprKind::Str(s) = expr(r#""say \"hi\" \\ ok""#).kind else {
        panic!()
    };
    assert_eq!(s, r#"say "hi" \ ok"#);
    let ExprKind::Str(s) = expr(r#""// not a comment /* either */""#).kind else {
        panic!()
    };
    assert_eq!(s, "// not a comment /* either */");
}

#[test]
fn operators_follow_the_usual_precedence_and_group_to_the_left() {
    let cases = [
        ("a || b && c", "(|| a (&& b c))"),
        ("a && b || c", "(|| (&& a b) c)"),
        ("a == b + c * d", "(== a (+ b (* c d)))"),
        ("a - b - c", "(- (- a b) c)"),
        ("a / b * c", "(* (/ a b) c)"),
        ("-a * b", "(* (neg a) b)"),
        ("!a == b", "(== (! a) b)"),
        ("- -a", "(neg (neg a))"),
        ("!!ok", "(! (! ok))"),
        ("(a + b) * c", "(* (+ a b) c)"),
        (
            "a < b && c >= d || e != f",
            "(|| (&& (< a b) (>= c d)) (!= e f))",
        ),
        ("a <= b", "(<= a b)"),
        ("a > b", "(> a b)"),
        ("x/y", "(/ x y)"),
        ("a // comment\n + b", "(+ a b)"),
        ("a /* c */ / b", "(/ a b)"),
        ("true && !false", "(&& true (! false))"),
        ("if a > 1 then 2s else 3s", "(if (> a 1) 2<s> 3<s>)"),
        ("if a then b else if c then d else e", "(if a b (if c d e))"),
        ("1 + if a then 1 else 2", "(+ 1 (if a 1 2))"),
        ("[1, 2, [3]]", "[1 2 [3]]"),
        ("[1, 2,]", "[1 2]"),
        ("[]", "[]"),
        ("min(a, b)", "min(a b)"),
        ("clamp(x, 0, 1)", "clamp(x 0 1)"),
        ("f()", "f()"),
        (
            r#"empirical("f.csv", column = "x")"#,
            r#"empirical("f.csv" column="x")"#,
        ),
        ("normal(mean = 0s, sd = 5s,)", "normal(mean=0<s> sd=5<s>)"),
        ("f(a == b)", "f((== a b))"),
        (
            "match x { a => 1, b | c => 2, _ => 3 }",
            "(match x {a => 1, b|c => 2, _ => 3})",
        ),
        ("match x { a => 1, }", "(match x {a => 1})"),
        ("match t { aiops.edge => 1 }", "(match t {aiops.edge => 1})"),
        (
            "choice { a: 0.4, aiops.edge: 0.25 }",
            "(choice a:0.4 aiops.edge:0.25)",
        ),
        ("choice { a: 1, }", "(choice a:1)"),
    ];
    for (text, want) in cases {
        assert_eq!(sexpr(&expr(text)), want, "{text}");
    }
}

#[test]
fn keywords_do_not_swallow_names_that_start_with_them() {
    for name in [
        "trainer",
        "format",
        "importance",
        "iffy",
        "truely",
        "falsehood",
        "matcher",
        "choices",
        "thence",
        "elsewhere",
        "fromage",
        "today",
        "whence",
        "afters",
        "sweeper",
        "tasks",
    ] {
        assert_eq!(sexpr(&expr(name)), name);
        let text = format!("pipeline p {{ {name} = {name}  {name} {{ x = 1 }} }}");
        let file = parse_ok(&text);
        let Item::Decl(d) = &file.items[0] else {
            panic!()
        };
        assert!(
            matches!(&d.body.entries[..], [Entry::Attr(_), Entry::Block(_)]),
            "{text}: {:?}",
            d.body.entries
        );
    }
    // A step keyword or `sweep` followed by `=` is an attribute; `when` is an attribute name in
    // a monitor.
    let file = parse_ok(
        "monitor stale { every = 1h  when = model.accuracy < 0.8  retrain = true }\n\
         pipeline p { train = 1  sweep = 2  task = 3 }",
    );
    let Item::Decl(monitor) = &file.items[0] else {
        panic!()
    };
    assert_eq!(sexpr(attr(&monitor.body, "when")), "(< model.accuracy 0.8)");
    let Item::Decl(p) = &file.items[1] else {
        panic!()
    };
    assert_eq!(sexpr(attr(&p.body, "sweep")), "2");
    assert!(steps(&p.body).is_empty());
}

#[test]
fn steps_have_names_dependencies_and_conditions() {
    let file = parse_ok(
        "pipeline p {
           train a { on = gpu }
           train b { on = gpu }
           task merge after a, b when x > 1 && ok { on = cpu; duration = 1s; }
           validate after merge { pass = 0.9 }
           compress when framework == tensorflow { size_factor = 0.4 }
           task upload { writes = 1GB to storage }
           model { drift = 0.4%/d }
         }",
    );
    let Item::Decl(p) = &file.items[0] else {
        panic!()
    };
    let steps = steps(&p.body);
    let summary: Vec<String> = steps
        .iter()
        .map(|s| {
            format!(
                "{} {} after [{}] when {}",
                s.kind.keyword(),
                s.name(),
                s.after
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                s.when.as_ref().map_or("-".to_string(), sexpr)
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "train a after [] when -",
            "train b after [] when -",
            "task merge after [a,b] when (&& (> x 1) ok)",
            "validate validate after [merge] when -",
            "compress compress after [] when (== framework tensorflow)",
            "task upload after [] when -",
        ]
    );
    assert_eq!(steps[2].body.entries.len(), 2);
    assert_eq!(sexpr(attr(&steps[5].body, "writes")), "(To 1<GB> storage)");
    let Some(Entry::Block(model)) = p.body.entries.last() else {
        panic!()
    };
    assert_eq!(model.name.name, "model");
    assert_eq!(sexpr(attr(&model.body, "drift")), "0.4<%/d>");
}

#[test]
fn entries_may_share_a_line_with_or_without_semicolons() {
    let file = parse_ok(
        "resource cpu { kind = pool  capacity = 64 }\n\
         resource gpu { kind = pool; capacity = 8; autoscale { min = 1 max = 4 for = 5min } }\n\
         profile flat { hours = [1, 1] days = [1] }",
    );
    let counts: Vec<usize> = file
        .items
        .iter()
        .map(|i| match i {
            Item::Decl(d) => d.body.entries.len(),
            Item::Import(_) => 0,
        })
        .collect();
    assert_eq!(counts, [2, 3, 2]);
}

#[test]
fn comments_are_collected_in_order_and_strings_are_not_comments() {
    let text = "/* head\n */ resource a { x = \"//no\" // yes\n y = 1 /* in */ }\n// tail";
    let file = parse_ok(text);
    let comments: Vec<&str> = file.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(comments, ["/* head\n */", "// yes", "/* in */", "// tail"]);
    check_spans(text, &file);
}

#[test]
fn an_error_does_not_hide_the_next_ones_and_good_items_are_kept() {
    let text = "resource a { kind = pool }
resource b { kind = pool capacity 3 }
dataset d { size = 1GB }
pipeline p {
  train { on = gpu duration = }
}
resource c { kind = pool }
experiment { replications = 20 20 }
";
    let (file, diagnostics) = parse_file(FileId(0), text);
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0001", "E0001", "E0007"], "{diagnostics:#?}");
    let names: Vec<&str> = file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Decl(d) => d.name.as_ref().map(|n| n.name.as_str()),
            Item::Import(_) => None,
        })
        .collect();
    assert_eq!(names, ["a", "d", "c"]);
}

#[test]
fn lexical_errors_are_reported_once_and_parsing_goes_on() {
    assert_eq!(
        codes_of("resource a { x = \"abc }\nresource b { y = \"a\\q\" }\nresource c { z = 1 }"),
        ["E0002", "E0008"]
    );
    assert_eq!(
        codes_of("resource a { x = 1 } /* never closed\nresource b {}"),
        ["E0003"]
    );
    assert_eq!(
        codes_of("resource a { x = 1\nresource b { y = 2 }"),
        ["E0004"]
    );
    assert_eq!(codes_of("resource a { x = f(1, 2 }"), ["E0009"]);
    assert_eq!(codes_of("resource a { x = 1 } }"), ["E0009"]);
    assert_eq!(codes_of("resource a { x = 1e999 }"), ["E0006"]);
    assert_eq!(codes_of("resource a { x = 1e-999 }"), Vec::<&str>::new());
}

#[test]
fn lone_expressions_allow_surrounding_space_and_report_trailing_text() {
    assert_eq!(sexpr(&expr("   16  ")), "16");
    assert_eq!(sexpr(&expr("sjf")), "sjf");
    let errors = parse_expr(FileId(0), "16 17").unwrap_err();
    assert_eq!(errors[0].code, "E0001");
    assert!(
        errors[0].message.contains("end of input"),
        "{}",
        errors[0].message
    );
    let errors = parse_expr(FileId(0), "").unwrap_err();
    assert_eq!(
        errors[0].message,
        "expected an expression, found end of input"
    );
    assert!(parse_expr(FileId(0), "1 from storage").is_err());
}

fn nested(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

#[test]
fn nesting_up_to_the_limit_parses_and_beyond_it_is_refused() {
    let ok = format!(
        "resource a {{ x = {} }}",
        nested("(", "1", ")", MAX_NESTING - 2)
    );
    parse_ok(&ok);
    let ok = format!(
        "resource a {{ x = {} }}",
        nested("[", "1", "]", MAX_NESTING - 2)
    );
    parse_ok(&ok);
    let ok = format!(
        "resource a {{ x = {} }}",
        nested("f(", "1", ")", MAX_NESTING - 2)
    );
    parse_ok(&ok);
    let too_deep = format!(
        "resource a {{ x = {} }}\nresource b {{}}",
        nested("(", "1", ")", 100_000)
    );
    let (file, diagnostics) = parse_file(FileId(0), &too_deep);
    assert_eq!(
        diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["E0005"]
    );
    assert_eq!(
        file.items.len(),
        1,
        "the declaration after it is still read"
    );
    assert_eq!(
        parse_expr(FileId(0), &nested("[", "", "]", 100_000)).unwrap_err()[0].code,
        "E0005"
    );
}

#[test]
fn deep_trees_without_brackets_are_refused_too() {
    let unary = format!("resource a {{ x = {}1 }}", "-".repeat(100_000));
    assert_eq!(codes_of(&unary), ["E0005"]);
    let sum = format!("resource a {{ x = 1{} }}", " + 1".repeat(100_000));
    assert_eq!(codes_of(&sum), ["E0005"]);
    let chain = format!(
        "resource a {{ x = {}0 }}",
        "if a then 1 else ".repeat(100_000)
    );
    assert_eq!(codes_of(&chain), ["E0005"]);
    let blocks = format!("experiment {}{}", "x {\n".repeat(300), "}\n".repeat(301));
    assert_eq!(codes_of(&blocks), ["E0005"]);
    // Long but shallow input is fine.
    let list = format!("resource a {{ x = [{}] }}", "1, ".repeat(100_000));
    parse_ok(&list);
    let sum = format!("resource a {{ x = 1{} }}", " + 1".repeat(MAX_DEPTH - 10));
    parse_ok(&sum);
}

/// A small deterministic generator (xorshift64*), so the hostile inputs are the same on
/// every run.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Parses `text` as a file and as an expression, renders every diagnostic, and checks the
/// spans of whatever was read: nothing may panic or overflow the stack.
fn survives(text: &str) {
    let mut map = SourceMap::new();
    let id = map.add("fuzz.pipesim", Origin::Inline, text.to_string());
    let (file, diagnostics) = parse_file(id, text);
    check_spans(text, &file);
    for d in &diagnostics {
        for label in &d.labels {
            assert!(label.span.end as usize <= text.len(), "{d:?}");
            assert!(text.is_char_boundary(label.span.start as usize), "{d:?}");
            assert!(text.is_char_boundary(label.span.end as usize), "{d:?}");
        }
    }
    // Rendering copies the source per diagnostic; a sample shows the spans draw.
    let sample = &diagnostics[..diagnostics.len().min(20)];
    let _ = crate::diagnostic::render(&map, sample, crate::diagnostic::Style::Colourless, 80);
    let _ = parse_expr(id, text);
}

#[test]
fn hostile_input_never_panics() {
    // Every prefix of the example: unfinished declarations, strings, comments.
    for (end, _) in EXAMPLE.char_indices() {
        survives(&EXAMPLE[..end]);
    }
    let mut rng = Xorshift(0x5eed_1234_abcd_0001);
    // Random bytes, as text.
    for _ in 0..2_000 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        survives(&String::from_utf8_lossy(&bytes));
    }
    // Token soups: plausible tokens in implausible orders.
    const TOKENS: &[&str] = &[
        "scenario",
        "resource",
        "pipeline",
        "dataset",
        "experiment",
        "import",
        "as",
        "train",
        "task",
        "after",
        "when",
        "sweep",
        "if",
        "then",
        "else",
        "match",
        "choice",
        "from",
        "to",
        "true",
        "x",
        "a.b",
        "_",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ",",
        ":",
        ";",
        "=",
        "==",
        "=>",
        "|",
        "||",
        "&&",
        "!",
        "-",
        "+",
        "*",
        "/",
        "<",
        ">=",
        "42",
        "1.5",
        "1e-3",
        "30s",
        "1.25GB/s",
        "120/h",
        "5%",
        "1e999",
        "\"s\"",
        "\"",
        "\\",
        "//c\n",
        "/*",
        "*/",
        "\n",
        " ",
        "é",
        "\t",
    ];
    for _ in 0..3_000 {
        let len = rng.below(60);
        let text: String = (0..len).map(|_| TOKENS[rng.below(TOKENS.len())]).collect();
        survives(&text);
    }
    // The example with one token replaced or removed.
    let words: Vec<&str> = EXAMPLE.split_inclusive([' ', '\n']).collect();
    for _ in 0..300 {
        let at = rng.below(words.len());
        let mut mutated: Vec<&str> = words.clone();
        if rng.below(2) == 0 {
            mutated.remove(at);
        } else {
            mutated[at] = TOKENS[rng.below(TOKENS.len())];
        }
        survives(&mutated.concat());
    }
    // Deep, long and huge.
    for open in [
        "{",
        "(",
        "[",
        "f(",
        "x {",
        "-",
        "!",
        "if a then ",
        "match x { a => ",
        "choice { a: ",
    ] {
        survives(&open.repeat(100_000));
        survives(&format!("resource r {{ x = {} }}", open.repeat(100_000)));
    }
    survives(&"}".repeat(100_000));
    survives(&"\"".repeat(100_001));
    survives(&format!("resource r {{ x = {} }}", "9".repeat(100_000)));
    survives(&format!("resource r {{ x = 1e{} }}", "9".repeat(1_000)));
    survives(&format!("resource r {{ x = 0.{}1 }}", "0".repeat(1_000)));
    survives("resource r { x = 1_000_000_000_000_000_000_000_000_000e300 }");
    // Many small things: comments, errors, declarations, brackets on one line. Each costs
    // the parser about the same, however many there are.
    survives(&"// c\n".repeat(50_000));
    survives(&"resource a { x = }\n".repeat(5_000));
    survives(&"resource a { x = \"\n".repeat(5_000));
    survives(&"pipeline p { train {\n".repeat(5_000));
    survives(&format!(
        "resource a {{ x = {} }}",
        "(1) + ".repeat(20_000) + "1"
    ));
    survives(&"{}()[]".repeat(20_000));
}

#[test]
fn a_declaration_may_hold_lines_that_look_like_declarations() {
    // Unindented nested blocks named like declaration keywords: the parser reads on past
    // the line where it would resume after an error.
    let text = "pipeline p {\nmonitor { every = 1h }\nprofile {\n}\nexperiment { x = 1 }\n}\nresource r {}\n";
    let file = parse_ok(text);
    assert_eq!(file.items.len(), 2);
    let Item::Decl(p) = &file.items[0] else {
        panic!()
    };
    let names: Vec<&str> = p
        .body
        .entries
        .iter()
        .map(|e| match e {
            Entry::Block(b) => b.name.name.as_str(),
            _ => "?",
        })
        .collect();
    assert_eq!(names, ["monitor", "profile", "experiment"]);
}

#[test]
fn the_whole_file_rule_agrees_with_the_item_loop() {
    use super::parser::{PipesimParser, Rule};
    use pest::Parser as _;
    // `file` documents what a file is; the parser reads `next_item` in a loop instead.
    let every_construct = include_str!("../../tests/fixtures/syntax/ok/every_construct.pipesim");
    for text in [EXAMPLE, every_construct, "", "// only a comment\n"] {
        assert!(PipesimParser::parse(Rule::file, text).is_ok());
        assert!(parse_file(FileId(0), text).1.is_empty());
    }
    for text in ["resource a {", "resource a { x = 1 } }", "x = 1"] {
        assert!(PipesimParser::parse(Rule::file, text).is_err());
        assert!(!parse_file(FileId(0), text).1.is_empty());
    }
}

/// The names a declaration that did not parse was to declare are kept, so that analysis can
/// leave their uses alone: after a keyword (with or without `{`, and after a missing `}` that
/// swallowed the next declaration), an import's alias (with or without `as`, with or without
/// `import`), a name whose keyword is missing or misspelt; not words in comments, not a missing alias.
#[test]
fn declarations_that_do_not_parse_keep_their_names() {
    let broken = |text: &str| -> Vec<String> {
        let (file, diagnostics) = parse_file(FileId(0), text);
        assert!(!diagnostics.is_empty(), "{text} parses");
        file.broken.into_iter().map(|name| name.name).collect()
    };
    assert_eq!(broken("resource gpu { capacity 4 }"), ["gpu"]);
    assert_eq!(broken("resource gpu kind = pool }"), ["gpu"]);
    assert_eq!(
        broken("resource cpu { kind = pool  resource gpu { kind = pool }\n"),
        ["cpu", "gpu"]
    );
    assert_eq!(broken("import \"std/aiops\" aiops\n"), ["aiops"]);
    assert_eq!(broken("\"std/aiops\" as aiops\n"), ["aiops"]);
    assert_eq!(broken("import as aiops\n"), ["aiops"]);
    assert!(broken("import \"std/aiops\" as\n").is_empty());
    assert_eq!(broken("gpu { kind = pool }"), ["gpu"]);
    assert_eq!(broken("resourc gpu { kind = pool }"), ["gpu"]);
    assert!(broken("resource gpu { // such as cpu\n capacity 4 }").contains(&"gpu".into()));
    assert!(!broken("resource gpu { // such as cpu\n capacity 4 }").contains(&"cpu".into()));
    // The name's span is where it is written.
    let (file, _) = parse_file(FileId(0), "resource gpu { capacity 4 }");
    assert_eq!(
        (file.broken[0].span.start, file.broken[0].span.end),
        (9, 12)
    );
}

/// An import whose alias is missing does not take the next declaration's keyword for it; a
/// module aliased as a keyword still is one where no declaration follows the keyword.
#[test]
fn an_import_without_its_alias_leaves_the_next_declaration_whole() {
    let (file, diagnostics) = parse_file(
        FileId(0),
        "import \"std/aiops\" as\n\nscenario s { horizon = 7d }\n",
    );
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0].message, "an import without its alias");
    assert!(
        matches!(file.items.as_slice(), [ast::Item::Decl(_)]),
        "{:?}",
        file.items
    );
    let broken: Vec<&str> = file.broken.iter().map(|name| name.name.as_str()).collect();
    assert_eq!(broken, ["aiops"]);

    let (file, diagnostics) = parse_file(
        FileId(0),
        "import \"std/profiles\" as profile\nprofile weekly { shape = [1] }\n",
    );
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert!(matches!(&file.items[0], ast::Item::Import(import) if import.alias.name == "profile"));
}

#[test]
fn a_step_after_its_pipeline_ended_early_is_one_error_and_the_pipeline_is_left_alone() {
    let text = "pipeline p {\n  data = d\n    on = cpu\n  }\n  train { on = gpu }\n}\n\nresource gpu { kind = pool }\n";
    let (file, diagnostics) = parse_file(FileId(0), text);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(
        diagnostics[0].message,
        "a `train` step after the end of pipeline `p`"
    );
    // The pipeline is known by name (its uses stay silent), not read with the wrong body;
    // the declaration after the stray `}` is read whole.
    let broken: Vec<&str> = file.broken.iter().map(|name| name.name.as_str()).collect();
    assert_eq!(broken, ["p"]);
    assert!(
        matches!(file.items.as_slice(), [ast::Item::Decl(d)] if d.kind == ast::DeclKind::Resource),
        "{:?}",
        file.items
    );
    // A step keyword used as a declaration's name elsewhere is not this mistake.
    let (_, diagnostics) = parse_file(FileId(0), "resource r { kind = pool }\ntrain {\n");
    assert_ne!(
        diagnostics[0].message,
        "a `train` step after the end of pipeline `r`"
    );
}

/// A declaration without its kind is named from its contents, read past comments and strings
/// (whose brackets are text), and gets the fix that writes the kind.
#[test]
fn a_declaration_without_its_kind_is_named_from_its_contents() {
    let help = |text: &str| {
        let (_, diagnostics) = parse_file(FileId(0), text);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        diagnostics[0].help.clone().unwrap_or_default()
    };
    let text = "everything {\n  // café }\n  note = \"}é{\"  horizon = 7d\n}\n";
    assert_eq!(
        help(text),
        "its `horizon` belongs in a `scenario`: write `scenario everything {`"
    );
    let (_, diagnostics) = parse_file(FileId(0), text);
    let fixes = &diagnostics[0].repair.as_ref().unwrap().fixes;
    assert_eq!(fixes[0].edits[0].1, "scenario ");
    assert_eq!(
        help("triggers { interarrival = exponential(mean = 10min)  pipeline = p }"),
        "its `interarrival` belongs in an `arrivals`: write `arrivals triggers {`"
    );
    assert_eq!(
        help("photos { size = 2GB }"),
        "write its kind before `photos`"
    );
}

/// The parser tells `autoscale = { ... }` that `autoscale` is a block from its own list of
/// nested blocks: the ones analysis's tables take, no more and no fewer.
#[test]
fn the_parsers_nested_blocks_are_the_analysis_ones() {
    use crate::analysis::lower as l;
    let mut analysis: Vec<&str> = [l::POOL_BLOCKS, l::PIPELINE_BLOCKS, l::ARRIVALS_BLOCKS].concat();
    analysis.sort_unstable();
    let mut parser = super::errors::NESTED_BLOCKS.to_vec();
    parser.sort_unstable();
    assert_eq!(parser, analysis);
}

/// The words that tell a kindless declaration's kind are that kind's attributes, steps or
/// nested blocks in analysis's tables, and no other kind's attributes.
#[test]
fn the_words_that_tell_a_kind_belong_to_that_kind_only() {
    use crate::analysis::lower as l;
    fn names(tables: &[&[(&'static str, l::AttrType)]]) -> Vec<&'static str> {
        tables
            .iter()
            .flat_map(|t| t.iter().map(|(n, _)| *n))
            .collect()
    }
    let steps = ["preprocess", "train", "validate", "compress", "task"];
    let of = |kind: &str| -> Vec<&'static str> {
        match kind {
            "scenario" => names(&[l::SCENARIO_ATTRS]),
            "resource" => [
                names(&[l::POOL_ATTRS, l::LINK_ATTRS]),
                l::POOL_BLOCKS.to_vec(),
            ]
            .concat(),
            "pipeline" => [
                names(&[l::PIPELINE_ATTRS]),
                steps.to_vec(),
                l::PIPELINE_BLOCKS.to_vec(),
            ]
            .concat(),
            "profile" => names(&[l::PROFILE_ATTRS]),
            "arrivals" => [names(&[l::ARRIVALS_ATTRS]), l::ARRIVALS_BLOCKS.to_vec()].concat(),
            "monitor" => names(&[l::MONITOR_ATTRS]),
            "experiment" => [names(&[l::EXPERIMENT_ATTRS]), vec!["sweep"]].concat(),
            other => panic!("unknown kind {other}"),
        }
    };
    for (kind, words) in super::errors::KIND_TELLING {
        for word in *words {
            assert!(of(kind).contains(word), "`{word}` is not of a {kind}");
            for (other, _) in super::errors::KIND_TELLING
                .iter()
                .filter(|(o, _)| o != kind)
            {
                assert!(!of(other).contains(word), "`{word}` is also of a {other}");
            }
        }
    }
}

/// A keyword one slip off (`swee`, `afte`, `whe`, `fro`, `choic`, `matc`) is read as a name
/// and the parse fails a word or more later: one error, at the slipped word, proposing the
/// keyword, whose fix gives the file that parses.
#[test]
fn a_slipped_keyword_is_named_where_it_is_written() {
    let good = "scenario s { horizon = 1d }\n\
                resource gpu { kind = pool  capacity = 4 }\n\
                resource storage { kind = link  bandwidth = 1GB/s }\n\
                pipeline p {\n  framework = choice { tf: 0.5, pt: 0.5 }\n  \
                preprocess { on = gpu  duration = 1min  reads = 1GB from storage }\n  \
                train after preprocess { on = gpu  duration = match framework { tf => 1h, pt => 2h } }\n  \
                compress when framework == tf { on = gpu  duration = 1min }\n}\n\
                experiment { sweep gpu.capacity = [4, 8] }\n";
    parse_ok(good);
    for (keyword, slip) in [
        ("sweep gpu", "swee gpu"),
        ("after preprocess", "afte preprocess"),
        ("when framework", "whe framework"),
        ("from storage", "fro storage"),
        ("choice {", "choic {"),
        ("match framework", "matc framework"),
        ("match framework", "mtch framework"),
    ] {
        let text = good.replacen(keyword, slip, 1);
        let file = FileId(0);
        let (_, errors) = parse_file(file, &text);
        assert_eq!(errors.len(), 1, "{slip}: {errors:#?}");
        let word = slip.split(' ').next().unwrap();
        let meant = keyword.split(' ').next().unwrap();
        assert_eq!(
            errors[0].message,
            format!("`{word}` is not a keyword, and what follows it does not parse"),
        );
        assert_eq!(
            errors[0].help.as_deref(),
            Some(&*format!("did you mean `{meant}`?"))
        );
        let span = errors[0].primary_span().unwrap();
        let (start, end) = (span.start as usize, span.end as usize);
        assert_eq!(&text[start..end], word);
        parse_ok(&format!("{}{meant}{}", &text[..start], &text[end..]));
    }
    // Bytes of longer characters before the slip are skipped whole.
    let text = good.replacen("match framework", "é·matc framework", 1);
    let (_, errors) = parse_file(FileId(0), &text);
    assert!(!errors.is_empty());
}

/// A keyword the parser expects, written one slip off where it expects it (`tehn`, `esle`,
/// `atfer`, `wehn`), or a `match` whose arms start on the next line: one error, at the slip,
/// proposing the keyword.
#[test]
fn an_expected_keyword_one_slip_off_is_proposed() {
    let good = "resource gpu { kind = pool  capacity = 4 }\n\
                pipeline p {\n  framework = choice { tf: 0.5, pt: 0.5 }\n  \
                preprocess { on = gpu  duration = if framework == tf then 1min else 2min }\n  \
                train after preprocess {\n    on = gpu\n    duration = match framework {\n      \
                tf => 1h,\n      pt => 2h,\n    }\n  }\n  \
                compress when framework == tf { on = gpu  duration = 1min }\n}\n";
    parse_ok(good);
    for (keyword, slip) in [
        ("then", "tehn"),
        ("else", "esle"),
        ("after", "atfer"),
        ("when", "wehn"),
        ("match", "mtach"),
    ] {
        let text = good.replacen(&format!("{keyword} "), &format!("{slip} "), 1);
        let (_, errors) = parse_file(FileId(0), &text);
        assert_eq!(errors.len(), 1, "{slip}: {errors:#?}");
        let help = format!("did you mean `{keyword}`?");
        assert!(
            errors[0]
                .help
                .as_deref()
                .is_some_and(|h| h.starts_with(&help)),
            "{slip}: {:?}",
            errors[0].help
        );
        let span = errors[0].primary_span().unwrap();
        assert_eq!(&text[span.start as usize..span.end as usize], slip);
    }
    // A keyword where another is expected is not its slip: `if` deleted leaves `then`
    // where `when` could come, and a word is missing, not misspelt.
    let text = good.replacen("if framework", "framework", 1);
    let (_, errors) = parse_file(FileId(0), &text);
    assert!(
        errors
            .iter()
            .all(|e| e.help.as_deref().is_none_or(|h| !h.contains("`when`"))),
        "{errors:#?}"
    );
}

/// The keywords that the error messages never read as a slip are the grammar's own: every
/// `kw_*` rule and every `reserved` word of `grammar/pipesim.pest`.
#[test]
fn the_keywords_a_slip_is_never_read_from_are_the_grammars() {
    let grammar = include_str!("../../grammar/pipesim.pest");
    let mut words: Vec<&str> = grammar
        .lines()
        .filter(|line| line.starts_with("kw_") || line.starts_with("reserved"))
        .flat_map(|line| line.split('"').skip(1).step_by(2))
        .collect();
    words.sort_unstable();
    words.dedup();
    let mut listed = super::errors::GRAMMAR_KEYWORDS.to_vec();
    listed.sort_unstable();
    assert_eq!(listed, words);
}

/// A range is numbers (or quantities) on both sides of `..`; a relative path is not one.
#[test]
fn ranges_are_told_from_paths() {
    for range in [
        "4..16", "[4..16]", "1h..4h", "4..=16", " 2 .. 8 ", "4 to 16",
    ] {
        assert!(super::is_range(range), "{range}");
    }
    for other in [
        "../jobs.csv",
        "a..b",
        "4, 8",
        "[4, 8]",
        "4.5",
        "a to b",
        "4 to",
    ] {
        assert!(!super::is_range(other), "{other}");
    }
}

/// A sweep's values without brackets in a block written on one line: the block's closing
/// brace is not taken for a value, whichever brackets the values were written in.
#[test]
fn a_sweep_in_a_one_line_block_gets_brackets_around_its_values_only() {
    for written in ["4, 8", "(4, 8)", "{4, 8}"] {
        let text = format!(
            "scenario s {{ horizon = 1d }}\nexperiment {{ sweep gpu.capacity = {written} }}\n"
        );
        let (_, errors) = parse_file(FileId(0), &text);
        assert_eq!(errors.len(), 1, "{written}: {errors:#?}");
        let fixes = &errors[0].repair.as_ref().expect("a fix").fixes;
        let (span, replacement) = &fixes[0].edits[0];
        assert_eq!(replacement, "[4, 8]", "{written}");
        assert_eq!(&text[span.start as usize..span.end as usize], written);
    }
}

/// An attribute written in a step's header is moved into its braces, before `after` and
/// `when` are left where they are; where its value has braces of its own, the help stands
/// without a fix.
#[test]
fn an_attribute_in_a_step_header_moves_into_its_braces() {
    let pipeline = |step: &str| format!("pipeline job {{\n  {step}\n}}\n");
    let cases = [
        (
            "train on = gpu { duration = 1h }",
            Some("train { on = gpu  duration = 1h }"),
        ),
        (
            "train big on = gpu  duration = 1h after a when x > 1 { units = 2 }",
            Some("train big after a when x > 1 { on = gpu  duration = 1h  units = 2 }"),
        ),
        (
            "train on = gpu {\n    duration = 1h\n  }",
            Some("train {\n    on = gpu\n    duration = 1h\n  }"),
        ),
        ("train on = gpu{ duration = 1h }", None),
        ("train on = choice { gpu: 1 } { duration = 1h }", None),
    ];
    for (step, mended) in cases {
        let text = pipeline(step);
        let (_, errors) = parse_file(FileId(0), &text);
        assert_eq!(errors.len(), 1, "{step}: {errors:#?}");
        assert!(
            errors[0].message.contains("is written in the header of"),
            "{step}: {}",
            errors[0].message
        );
        let fix = errors[0].repair.as_ref().and_then(|r| r.fixes.first());
        let Some(mended) = mended else {
            assert!(fix.is_none(), "{step}: {fix:?}");
            continue;
        };
        let mut edits = fix.expect("a fix").edits.clone();
        edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
        let mut fixed = text.clone();
        for (span, replacement) in edits {
            fixed.replace_range(span.start as usize..span.end as usize, &replacement);
        }
        assert_eq!(fixed, pipeline(mended), "{step}");
        parse_ok(&fixed);
    }
}
