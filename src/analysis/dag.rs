//! The step graph of a pipeline: an edge `A -> B` when `B` runs after `A` (explicitly with
//! `after A`, or implicitly because `B` is written right after `A` without an `after`).
//!
//! Invariant: a pipeline whose graph has a cycle is reported once per cycle, at the `after`
//! that closes it, with the cycle spelled out in running order (`train -> validate -> train`);
//! the lowered IR is only produced for acyclic graphs.

use super::codes;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::source::Span;
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::VecDeque;

/// One step as the graph sees it.
pub struct StepNode {
    pub name: String,
    /// Predecessors: the index of each step this one runs after, with the span of the name in
    /// `after` (or of the step keyword for the implicit edge).
    pub after: Vec<(usize, Span)>,
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
        diagnostics.push(d.help(format!(
            "a step can only run after steps that do not depend on it: remove one `after` of {}",
            names[..names.len().saturating_sub(1)]
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    acyclic
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
}
