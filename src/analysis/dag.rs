//! The step graph of a pipeline: an edge `A -> B` when `B` runs after `A` (explicitly with
//! `after A`, or implicitly because `B` is written right after `A` without an `after`).
//!
//! Invariant: a pipeline whose graph has a cycle is reported once per cycle, at the `after`
//! that closes it, with the cycle spelled out in running order (`train -> validate -> train`);
//! the lowered IR is only produced for acyclic graphs.

use super::codes;
use crate::diagnostic::{Diagnostic, Diagnostics, Fix};
use crate::source::Span;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::VecDeque;

/// One step as the graph sees it.
pub struct StepNode {
    pub name: String,
    /// Predecessors: the index of each step this one runs after, with the span of the name in
    /// `after` (or of the step keyword for the implicit edge).
    pub after: Vec<(usize, Span)>,
    /// Written without `after`: it follows the step written before it (if any).
    pub implicit: bool,
    /// For each name in `after` (none when implicit), the text whose deletion takes it out;
    /// None where that text holds a comment, which the deletion would lose.
    pub removals: Vec<Option<Span>>,
}

/// Reports every cycle among `steps`; returns true when the graph is acyclic.
pub fn check_acyclic(pipeline: &str, steps: &[StepNode], diagnostics: &mut Diagnostics) -> bool {
    let mut graph: DiGraph<usize, Span> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..steps.len()).map(|i| graph.add_node(i)).collect();
    for (i, step) in steps.iter().enumerate() {
        for (before, span) in &step.after {
            if *before < steps.len() {
                graph.add_edge(nodes[*before], nodes[i], *span);
            }
        }
    }
    let mut acyclic = true;
    let mut components = petgraph::algo::tarjan_scc(&graph);
    components.sort_by_key(|c| c.iter().map(|n| n.index()).min());
    for component in components {
        let self_loop = component.len() == 1 && graph.contains_edge(component[0], component[0]);
        if component.len() < 2 && !self_loop {
            continue;
        }
        acyclic = false;
        let start = *component
            .iter()
            .min_by_key(|n| n.index())
            .unwrap_or(&component[0]);
        let cycle = shortest_cycle(&graph, &component, start);
        let names: Vec<&str> = cycle
            .iter()
            .map(|n| steps[graph[*n]].name.as_str())
            .collect();
        // The edge that closes the cycle: from the last step back to the first.
        let last = *cycle.get(cycle.len().saturating_sub(2)).unwrap_or(&start);
        let closing = graph.find_edge(last, start).map(|e| graph[e]);
        let mut d = Diagnostic::error(
            codes::STEP_CYCLE,
            format!(
                "the steps of `{pipeline}` wait for each other in a cycle: {}",
                names.join(" -> ")
            ),
        );
        if let Some(span) = closing {
            d = d.primary(span, "this `after` closes the cycle");
        }
        let links: Vec<(usize, usize)> = cycle
            .windows(2)
            .map(|w| (graph[w[0]], graph[w[1]]))
            .collect();
        // The links that come from the order the steps are written in, not from an `after`.
        let implicit: Vec<(usize, usize)> = links
            .iter()
            .copied()
            .filter(|(_, b)| steps[*b].implicit)
            .collect();
        for (a, b) in &implicit {
            if let Some((_, span)) = steps[*b].after.first() {
                d = d.secondary(
                    *span,
                    format!(
                        "`{}` runs after `{}` because it is written after it",
                        steps[*b].name, steps[*a].name
                    ),
                );
            }
        }
        let (help, fix) = cycle_help(steps, &links, &implicit);
        d = d.help(help);
        if let Some(fix) = fix {
            d.repair.get_or_insert_default().fixes.push(fix);
        }
        diagnostics.push(d);
    }
    acyclic
}

/// What makes the steps of a cycle wait for each other, and the edits that break it: only
/// edits that leave none of its steps in a cycle are offered. When the help names one edit,
/// and it removes a name from an `after`, that edit is also the quick fix; with a choice of
/// edits the user decides which dependency is wrong, so none is made for them.
fn cycle_help(
    steps: &[StepNode],
    links: &[(usize, usize)],
    implicit: &[(usize, usize)],
) -> (String, Option<Fix>) {
    let quoted = |i: usize| format!("`{}`", steps[i].name);
    let why = match implicit {
        [] => "a step can only run after steps that do not depend on it".to_string(),
        [(a, b)] => format!(
            "{} runs after {} because it is written after it (a step without `after` follows the step written before it)",
            quoted(*b),
            quoted(*a)
        ),
        more => format!(
            "{} have no `after`, so each runs after the step written before it",
            and_list(&more.iter().map(|(_, b)| quoted(*b)).collect::<Vec<_>>(), "and")
        ),
    };
    let in_cycle: Vec<usize> = links.iter().map(|(a, _)| *a).collect();
    let order: Vec<usize> = (0..steps.len()).collect();
    let explicit: Vec<Option<Vec<usize>>> = steps
        .iter()
        .map(|s| (!s.implicit).then(|| s.after.iter().map(|(i, _)| *i).collect()))
        .collect();
    let breaks = |order: &[usize], explicit: &[Option<Vec<usize>>]| {
        !in_a_cycle(steps.len(), &edges(order, explicit), &in_cycle)
    };
    let mut edits: Vec<(String, Option<Fix>)> = Vec::new();
    let mut removals = Vec::new();
    for (a, b) in links {
        let Some(Some(after)) = explicit.get(*b) else {
            continue;
        };
        let text = if after.len() == 1 {
            format!("remove `after {}` from {}", steps[*a].name, quoted(*b))
        } else {
            format!("remove {} from the `after` of {}", quoted(*a), quoted(*b))
        };
        let mut changed = explicit.clone();
        let rest: Vec<usize> = after.iter().copied().filter(|i| i != a).collect();
        changed[*b] = (!rest.is_empty()).then_some(rest);
        if breaks(&order, &changed) {
            let deletion = steps[*b]
                .after
                .iter()
                .position(|(i, _)| i == a)
                .and_then(|k| steps[*b].removals.get(k).copied().flatten());
            let fix = deletion.map(|span| Fix {
                title: capitalised(&text),
                edits: vec![(span, String::new())],
            });
            edits.push((text.clone(), fix));
        }
        removals.push(text);
    }
    for (a, b) in implicit {
        // `b` moved to just above `a`.
        let mut moved: Vec<usize> = order.iter().copied().filter(|i| i != b).collect();
        if let Some(at) = moved.iter().position(|i| i == a) {
            moved.insert(at, *b);
            if breaks(&moved, &explicit) {
                edits.push((format!("move {} above {}", quoted(*b), quoted(*a)), None));
            }
        }
        // `b` given an `after` of the step written before `a`.
        if let Some(before) = a.checked_sub(1).filter(|w| w != b) {
            let mut changed = explicit.clone();
            changed[*b] = Some(vec![before]);
            if breaks(&order, &changed) {
                edits.push((
                    format!(
                        "give {} an `after` of its own, such as `after {}`",
                        quoted(*b),
                        steps[before].name
                    ),
                    None,
                ));
            }
        }
    }
    if edits.is_empty() {
        if removals.is_empty() {
            return (why, None);
        }
        return (
            format!(
                "{why}; to break the cycle, change one of these: {}",
                and_list(&removals, "or")
            ),
            None,
        );
    }
    let texts: Vec<String> = edits.iter().map(|(text, _)| text.clone()).collect();
    let help = format!("{why}; to break the cycle, {}", and_list(&texts, "or"));
    let fix = match edits.pop() {
        Some((_, fix)) if edits.is_empty() => fix,
        _ => None,
    };
    (help, fix)
}

/// `remove ...` as a fix's title, `Remove ...`.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `a`, `a or b`, `a, b, or c`.
fn and_list(items: &[String], word: &str) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, [first])) => format!("{first} {word} {last}"),
        Some((last, rest)) => format!("{}, {word} {last}", rest.join(", ")),
    }
}

/// The links of steps written in `order`, each with its `after` (`None`: it follows the step
/// written before it).
fn edges(order: &[usize], explicit: &[Option<Vec<usize>>]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (at, &step) in order.iter().enumerate() {
        match explicit.get(step) {
            Some(Some(after)) => out.extend(after.iter().map(|&a| (a, step))),
            _ => {
                if let Some(&before) = at.checked_sub(1).and_then(|p| order.get(p)) {
                    out.push((before, step));
                }
            }
        }
    }
    out
}

/// Whether any of `steps` lies on a cycle of the graph of `n` nodes with `edges`.
fn in_a_cycle(n: usize, edges: &[(usize, usize)], steps: &[usize]) -> bool {
    let mut graph: DiGraph<(), ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..n).map(|_| graph.add_node(())).collect();
    for &(a, b) in edges {
        if a < n && b < n {
            graph.add_edge(nodes[a], nodes[b], ());
        }
    }
    petgraph::algo::tarjan_scc(&graph).iter().any(|component| {
        let cyclic = component.len() > 1 || graph.contains_edge(component[0], component[0]);
        cyclic && component.iter().any(|c| steps.contains(&c.index()))
    })
}

/// The shortest cycle through `start` within `component`, as nodes from `start` back to it.
fn shortest_cycle(
    graph: &DiGraph<usize, Span>,
    component: &[NodeIndex],
    start: NodeIndex,
) -> Vec<NodeIndex> {
    let mut previous: Vec<Option<NodeIndex>> = vec![None; graph.node_count()];
    let mut queue = VecDeque::from([start]);
    let mut seen = vec![false; graph.node_count()];
    while let Some(node) = queue.pop_front() {
        for next in graph.neighbors(node) {
            if !component.contains(&next) {
                continue;
            }
            if next == start {
                let mut chain = Vec::new();
                let mut at = node;
                while at != start {
                    chain.push(at);
                    at = previous[at.index()].unwrap_or(start);
                }
                chain.push(start);
                chain.reverse();
                chain.push(start);
                return chain;
            }
            if !seen[next.index()] {
                seen[next.index()] = true;
                previous[next.index()] = Some(node);
                queue.push_back(next);
            }
        }
    }
    vec![start, start]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn span() -> Span {
        Span::new(FileId(0), 0, 1)
    }

    fn node(name: &str, after: &[usize]) -> StepNode {
        StepNode {
            name: name.into(),
            after: after.iter().map(|a| (*a, span())).collect(),
            implicit: false,
            removals: after.iter().map(|_| Some(span())).collect(),
        }
    }

    /// A step written without `after`, following step `before` (if any).
    fn follows(name: &str, before: Option<usize>) -> StepNode {
        StepNode {
            name: name.into(),
            after: before.map(|b| (b, span())).into_iter().collect(),
            implicit: true,
            removals: Vec::new(),
        }
    }

    #[test]
    fn a_chain_and_a_fan_in_are_acyclic() {
        let mut d = Diagnostics::default();
        let steps = [
            node("a", &[]),
            node("b", &[0]),
            node("c", &[0]),
            node("d", &[1, 2]),
        ];
        assert!(check_acyclic("p", &steps, &mut d));
        assert!(d.is_empty());
    }

    #[test]
    fn a_cycle_is_printed_in_running_order() {
        let mut d = Diagnostics::default();
        // preprocess; train after validate; validate after train.
        let steps = [
            node("preprocess", &[]),
            node("train", &[2]),
            node("validate", &[1]),
        ];
        assert!(!check_acyclic("p", &steps, &mut d));
        assert_eq!(d.0.len(), 1);
        assert!(
            d.0[0].message.ends_with("train -> validate -> train"),
            "{}",
            d.0[0].message
        );
    }

    #[test]
    fn a_three_step_cycle_and_a_self_loop() {
        let mut d = Diagnostics::default();
        let steps = [
            node("a", &[2]),
            node("b", &[0]),
            node("c", &[1]),
            node("d", &[3]),
        ];
        assert!(!check_acyclic("p", &steps, &mut d));
        assert_eq!(d.0.len(), 2);
        assert!(
            d.0[0].message.ends_with("a -> b -> c -> a"),
            "{}",
            d.0[0].message
        );
        assert!(d.0[1].message.ends_with("d -> d"), "{}", d.0[1].message);
    }

    #[test]
    fn the_help_names_the_edits_that_break_a_cycle() {
        // preprocess after validate; train; validate.
        let mut d = Diagnostics::default();
        let steps = [
            node("preprocess", &[2]),
            follows("train", Some(0)),
            follows("validate", Some(1)),
        ];
        assert!(!check_acyclic("p", &steps, &mut d));
        let help = d.0[0].help.clone().unwrap_or_default();
        assert!(
            help.ends_with("to break the cycle, remove `after validate` from `preprocess`"),
            "{help}"
        );
        // train after validate; validate after train: removing the second leaves validate
        // following train, so only the first is offered.
        let mut d = Diagnostics::default();
        let steps = [
            follows("preprocess", None),
            node("train", &[2]),
            node("validate", &[1]),
        ];
        assert!(!check_acyclic("p", &steps, &mut d));
        let help = d.0[0].help.clone().unwrap_or_default();
        assert!(
            help.ends_with("to break the cycle, remove `after validate` from `train`"),
            "{help}"
        );
        // preprocess; train after x; x: moving x or giving it an `after` breaks it too.
        let mut d = Diagnostics::default();
        let steps = [
            follows("preprocess", None),
            node("train", &[2]),
            follows("x", Some(1)),
        ];
        assert!(!check_acyclic("p", &steps, &mut d));
        let help = d.0[0].help.clone().unwrap_or_default();
        assert!(
            help.starts_with("`x` runs after `train` because it is written after it"),
            "{help}"
        );
        assert!(
            help.ends_with(
                "remove `after x` from `train`, move `x` above `train`, or give `x` an `after` of its own, such as `after preprocess`"
            ),
            "{help}"
        );
    }
}
