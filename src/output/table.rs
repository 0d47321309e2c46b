//! Console tables: numbers with units readable at a glance (`12.3 min ± 0.4`, `83.1% ± 1.2`,
//! `4.20 GB ± 0.31`), and plain aligned columns that survive copy and paste.
//!
//! A metric's unit comes from its name (LANGUAGE.md section 7): waits, makespans and service
//! times are seconds, utilisations and fractions are shown as percentages, link bytes as
//! sizes; everything else is a plain number. The interval is written in the mean's unit.

use super::summary::Summary;
use crate::stats::Estimate;
use serde_json::Value;

/// How a metric's values are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    /// A fraction shown as a percentage.
    Fraction,
    Bytes,
    Plain,
}

impl Unit {
    pub fn of(metric: &str) -> Unit {
        let fraction = metric.ends_with(".utilization")
            || metric.ends_with(".fraction")
            || metric.starts_with("model.") && metric.ends_with(".accuracy.mean");
        let seconds = metric.contains(".wait.")
            || metric.contains(".makespan.")
            || metric.starts_with("step.") && metric.contains(".service.");
        if fraction {
            Unit::Fraction
        } else if seconds {
            Unit::Seconds
        } else if metric.starts_with("link.") && metric.ends_with(".bytes") {
            Unit::Bytes
        } else {
            Unit::Plain
        }
    }

    /// The divisor and suffix that show `magnitude` best.
    fn scale(self, magnitude: f64) -> (f64, &'static str) {
        let magnitude = magnitude.abs();
        match self {
            Unit::Seconds => [(86400.0, " d"), (3600.0, " h"), (60.0, " min")]
                .into_iter()
                .find(|(size, _)| magnitude >= *size)
                .unwrap_or((1.0, " s")),
            Unit::Bytes => [
                (1e15, " PB"),
                (1e12, " TB"),
                (1e9, " GB"),
                (1e6, " MB"),
                (1e3, " KB"),
            ]
            .into_iter()
            .find(|(size, _)| magnitude >= *size)
            .unwrap_or((1.0, " B")),
            Unit::Fraction => (0.01, "%"),
            Unit::Plain => (1.0, ""),
        }
    }
}

/// Decimals that give about three significant digits for `x`.
fn decimals(x: f64) -> usize {
    let x = x.abs();
    if x >= 100.0 || x == 0.0 {
        0
    } else if x >= 10.0 {
        1
    } else if x >= 1.0 {
        2
    } else {
        3
    }
}

/// `value ± half_width` in the unit of `metric`; `-` when the value is undefined. The unit
/// suits the value (or the half-width, when the value is zero); the decimals suit the larger
/// of the two, so no more digits are shown than the interval supports.
pub fn format_value(metric: &str, value: Option<f64>, half_width: Option<f64>) -> String {
    let Some(parts) = value_parts(metric, value, half_width) else {
        return "-".to_string();
    };
    let mut text = format!("{}{}", parts.value, parts.suffix);
    if let Some(half_width) = parts.half_width {
        text.push_str(&format!(" ± {half_width}"));
    }
    text
}

/// A value and its half-width written in one unit with the same decimals, for a table that
/// shows them in columns of their own (the report's metrics).
pub struct ValueParts {
    pub value: String,
    pub half_width: Option<String>,
    /// The unit, with its leading space (`" h"`), or `"%"`, or nothing.
    pub suffix: &'static str,
}

/// The parts of [`format_value`]; `None` when the value is undefined.
pub fn value_parts(
    metric: &str,
    value: Option<f64>,
    half_width: Option<f64>,
) -> Option<ValueParts> {
    let value = value.filter(|v| v.is_finite())?;
    let half_width = half_width.filter(|h| h.is_finite());
    let magnitude = if value == 0.0 {
        half_width.unwrap_or(0.0)
    } else {
        value
    };
    let unit = Unit::of(metric);
    let (divisor, suffix) = unit.scale(magnitude);
    let scaled = value / divisor;
    // A whole count without an interval (pipelines of one replication, a pool's fixed
    // capacity) is shown whole: `63`, not `63.0`.
    let exact = unit == Unit::Plain && half_width.is_none_or(|h| h == 0.0) && scaled.fract() == 0.0;
    let places = if exact {
        0
    } else {
        decimals(scaled.abs().max(half_width.unwrap_or(0.0) / divisor))
    };
    Some(ValueParts {
        value: format!("{scaled:.places$}"),
        half_width: half_width.map(|h| format!("{:.places$}", h / divisor)),
        suffix,
    })
}

pub fn format_estimate(metric: &str, estimate: &Estimate) -> String {
    format_value(metric, estimate.mean, estimate.ci)
}

/// A sweep value as a table cell: labels bare, whole numbers without a fraction (`4`, not
/// `4.0`), other numbers in their shortest form.
pub fn format_param(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

/// Lays out `rows` under `headers`; the first `left` columns are left-aligned, the others
/// right-aligned (numbers).
pub fn render(headers: &[String], rows: &[Vec<String>], left: usize) -> String {
    render_aligned(headers, rows, |column| column < left)
}

/// Lays out `rows` under `headers`; columns for which `is_left` holds are left-aligned, the
/// others right-aligned.
pub fn render_aligned(
    headers: &[String],
    rows: &[Vec<String>],
    is_left: impl Fn(usize) -> bool,
) -> String {
    let columns = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(columns) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate().take(columns) {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = widths[i] - cell.chars().count();
            if is_left(i) {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            }
        }
        text.trim_end().to_string() + "\n"
    };
    let mut out = line(headers);
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(&rule));
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

/// Pools whose utilisation the run table shows by default: a platform of hundreds of pools
/// would otherwise get a column each, a table no terminal shows.
pub const DEFAULT_POOL_COLUMNS: usize = 6;

/// The columns of the run table, and what it leaves out.
pub struct RunColumns {
    pub columns: Vec<String>,
    /// Metrics of `experiment.metrics` that no point measured, for a warning.
    pub missing: Vec<String>,
    /// Pools whose utilisation is not a column (beyond [`DEFAULT_POOL_COLUMNS`]).
    pub pools_left_out: usize,
}

/// The metric columns of the run table: the experiment's chosen metrics first, then a
/// default set (pipelines completed, wait mean and p95, makespan mean, and the utilisation
/// of the pools, at most [`DEFAULT_POOL_COLUMNS`] of them: the busiest at any point, in the
/// order declared), each once and only if measured.
pub fn run_columns(summary: &Summary, chosen: &[String]) -> RunColumns {
    let measured = |name: &str| summary.points.iter().any(|p| p.metric(name).is_some());
    let mut columns: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    for name in chosen {
        if measured(name) {
            if !columns.contains(name) {
                columns.push(name.clone());
            }
        } else {
            missing.push(name.clone());
        }
    }
    let mut defaults: Vec<String> = [
        "pipeline.completed",
        "pipeline.wait.mean",
        "pipeline.wait.p95",
        "pipeline.makespan.mean",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut utilizations: Vec<&String> = summary.points.first().map_or_else(Vec::new, |first| {
        first
            .metrics
            .iter()
            .map(|(name, _)| name)
            .filter(|name| name.starts_with("resource.") && name.ends_with(".utilization"))
            .filter(|name| !columns.contains(name))
            .collect()
    });
    let pools_left_out = utilizations.len().saturating_sub(DEFAULT_POOL_COLUMNS);
    if pools_left_out > 0 {
        let busiest = |name: &str| {
            summary
                .points
                .iter()
                .filter_map(|p| p.metric(name).and_then(|e| e.mean))
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let mut ranked = utilizations.clone();
        // Busiest first; ties (and NaN) in the order declared, as the sort is stable.
        ranked.sort_by(|a, b| busiest(b).total_cmp(&busiest(a)));
        ranked.truncate(DEFAULT_POOL_COLUMNS);
        utilizations.retain(|name| ranked.contains(name));
    }
    defaults.extend(utilizations.into_iter().cloned());
    for name in defaults {
        if measured(&name) && !columns.contains(&name) {
            columns.push(name);
        }
    }
    RunColumns {
        columns,
        missing,
        pools_left_out,
    }
}

/// Like [`render`], but when the table is wider than `width` its columns after the first
/// `left` (the params) are split into several tables, each no wider than `width` where one
/// column allows, each repeating the `left` columns, one after the other: a terminal shows
/// them without wrapping lines. `None` never splits (output to a file or a pipe).
pub fn render_fitted(
    headers: &[String],
    rows: &[Vec<String>],
    left: usize,
    width: Option<usize>,
) -> String {
    let column_width = |i: usize| {
        rows.iter()
            .map(|row| row.get(i).map_or(0, |c| c.chars().count()))
            .chain([headers[i].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..headers.len()).map(column_width).collect();
    // Two spaces between columns.
    let span = |columns: &[usize]| -> usize {
        columns.iter().map(|&i| widths[i]).sum::<usize>() + 2 * columns.len().saturating_sub(1)
    };
    let all: Vec<usize> = (0..headers.len()).collect();
    let Some(width) = width.filter(|&w| span(&all) > w) else {
        return render(headers, rows, left);
    };
    let fixed: Vec<usize> = (0..left.min(headers.len())).collect();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut current = fixed.clone();
    for i in left..headers.len() {
        let mut tried = current.clone();
        tried.push(i);
        if span(&tried) > width && current.len() > fixed.len() {
            groups.push(std::mem::replace(&mut current, fixed.clone()));
            current.push(i);
        } else {
            current = tried;
        }
    }
    if current.len() > fixed.len() || groups.is_empty() {
        groups.push(current);
    }
    let tables: Vec<String> = groups
        .iter()
        .map(|group| {
            let pick = |cells: &[String]| -> Vec<String> {
                group
                    .iter()
                    .map(|&i| cells.get(i).cloned().unwrap_or_default())
                    .collect()
            };
            let rows: Vec<Vec<String>> = rows.iter().map(|row| pick(row)).collect();
            render(&pick(headers), &rows, fixed.len())
        })
        .collect();
    tables.join("\n")
}

/// The `--set PATH=VALUE` texts that fix a value (not a sweep's `PATH=[..]`, which the
/// points' labels show; not `--seed`'s `scenario.seed=N`, which the header shows).
pub fn fixed_overrides(overrides: &[String]) -> Vec<String> {
    overrides
        .iter()
        .filter(|o| {
            let (path, value) = o.split_once('=').unwrap_or((o.as_str(), ""));
            path.trim() != "scenario.seed" && !value.trim_start().starts_with('[')
        })
        .cloned()
        .collect()
}

/// The console table of a run: a title line, then one row per sweep point with its params and
/// the metric `columns`, means ± confidence half-widths; split into several tables when wider
/// than `width` (see [`render_fitted`]).
/// `layout` is the run's (points, replications per point); `note`, if any, is said in
/// parentheses after them (a shard, or an interrupted run); `overrides` are the run's `--set`
/// texts, of which those that fix a value end the title (the rows show the swept ones).
pub fn run_table(
    summary: &Summary,
    columns: &[String],
    layout: (usize, u32),
    (note, overrides): (Option<&str>, &[String]),
    confidence: f64,
    width: Option<usize>,
) -> String {
    let (points, replications) = layout;
    let params: Vec<String> = summary
        .points
        .first()
        .map(|p| p.params.keys().cloned().collect())
        .unwrap_or_default();
    let note = note.map_or_else(String::new, |note| format!(" ({note})"));
    let fixed = fixed_overrides(overrides);
    let fixed = if fixed.is_empty() {
        String::new()
    } else {
        let set: Vec<String> = fixed.iter().map(|o| format!("--set {o}")).collect();
        format!(", with {}", set.join(" "))
    };
    let mut out = format!(
        "{}: {} point{} × {} replication{}{note}, mean ± {}% confidence half-width{fixed}\n\n",
        summary.scenario,
        points,
        if points == 1 { "" } else { "s" },
        replications,
        if replications == 1 { "" } else { "s" },
        format_percent(confidence),
    );
    // A shard or an interrupted run: say how many replications each point's estimates rest on.
    let partial = summary
        .points
        .iter()
        .any(|p| p.replications != replications as usize);
    let counted = partial.then(|| "replications".to_string());
    let headers: Vec<String> = params
        .iter()
        .chain(&counted)
        .chain(columns)
        .cloned()
        .collect();
    let rows: Vec<Vec<String>> = summary
        .points
        .iter()
        .map(|p| {
            let mut row: Vec<String> = params
                .iter()
                .map(|k| p.params.get(k).map(format_param).unwrap_or_default())
                .collect();
            if partial {
                row.push(p.replications.to_string());
            }
            row.extend(columns.iter().map(|name| match p.metric(name) {
                Some(e) => format_estimate(name, e),
                None => "-".to_string(),
            }));
            row
        })
        .collect();
    if !rows.is_empty() {
        out.push_str(&render_fitted(&headers, &rows, params.len(), width));
    }
    out
}

/// `0.95` as `95`, `0.999` as `99.9`, `0.000112` as `0.011`.
pub fn format_percent(fraction: f64) -> String {
    let percent = (fraction * 1000.0).round() / 10.0;
    if percent == 0.0 && fraction > 0.0 {
        // A small load is not none: `0.011`, not `0`.
        crate::fit::format_significant(fraction * 100.0, 2)
    } else if percent.fract() == 0.0 {
        format!("{percent:.0}")
    } else {
        format!("{percent}")
    }
}

/// `text` broken between words into lines of at most `width` characters (a longer word keeps
/// its own line), the first indented by `first`, the rest by `rest`; ends with a newline.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::from(first);
    let mut line = first.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let length = word.chars().count();
        if !empty && line + 1 + length > width {
            out.push('\n');
            out += rest;
            line = rest.chars().count();
            empty = true;
        }
        if !empty {
            out.push(' ');
            line += 1;
        }
        out += word;
        line += length;
        empty = false;
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_words_within_the_width() {
        let text = "counting from there moves pipeline.wait.mean by +0.49 s";
        assert_eq!(
            wrap(text, 24, "  ", "    "),
            "  counting from there\n    moves\n    pipeline.wait.mean\n    by +0.49 s\n"
        );
        assert_eq!(wrap("short", 80, "", ""), "short\n");
    }

    #[test]
    fn an_interrupted_run_says_so_and_counts_each_points_replications() {
        use crate::experiment::{Params, WorkItem};
        use crate::output::records::Record;
        let points: Vec<Params> = [4, 8, 16]
            .into_iter()
            .map(|c| Params::from_iter([("gpu.capacity".to_string(), c.into())]))
            .collect();
        // Point 0 ran all three replications, point 1 one, point 2 none.
        let records: Vec<Record> = [(0, 0), (0, 1), (0, 2), (1, 0)]
            .into_iter()
            .map(|(point, replication)| Record {
                item: WorkItem { point, replication },
                metrics: vec![("pipeline.wait.mean".into(), 60.0 * (point + 1) as f64)],
                wait_batches: None,
            })
            .collect();
        let summary = crate::output::summary::summarize("s", 1, 0.95, &points, &records);
        let columns = ["pipeline.wait.mean".to_string()];
        let note = Some("interrupted: 4 of 9 ran");
        let table = run_table(&summary, &columns, (3, 3), (note, &[]), 0.95, None);
        insta::assert_snapshot!(table, @r"
        s: 3 points × 3 replications (interrupted: 4 of 9 ran), mean ± 95% confidence half-width

        gpu.capacity  replications  pipeline.wait.mean
        ------------  ------------  ------------------
        4                        3     1.00 min ± 0.00
        8                        1            2.00 min
        ");
        // A complete run has neither.
        let whole = crate::output::summary::summarize("s", 1, 0.95, &points[..1], &records[..3]);
        let table = run_table(&whole, &columns, (1, 3), (None, &[]), 0.95, None);
        assert!(
            table.starts_with("s: 1 point × 3 replications, mean"),
            "{table}"
        );
        assert!(!table.contains("  replications"), "{table}");
    }

    #[test]
    fn whole_counts_without_an_interval_are_whole() {
        assert_eq!(format_value("pipeline.completed", Some(31.0), None), "31");
        assert_eq!(
            format_value("resource.gpu.capacity.mean", Some(18.0), Some(0.0)),
            "18 ± 0"
        );
        assert_eq!(format_value("pipeline.completed", Some(31.5), None), "31.5");
        assert_eq!(
            format_value("pipeline.completed", Some(144.0), Some(9.55)),
            "144 ± 10"
        );
        assert_eq!(
            format_value("resource.gpu.queue.max", Some(1.0), Some(0.5)),
            "1.00 ± 0.50"
        );
    }

    /// A platform of many pools gets the busiest pools' utilization as columns, not one each.
    #[test]
    fn the_run_table_shows_the_busiest_pools_only() {
        use crate::experiment::{Params, WorkItem};
        use crate::output::records::Record;
        let pools = DEFAULT_POOL_COLUMNS + 3;
        let record = Record {
            item: WorkItem {
                point: 0,
                replication: 0,
            },
            metrics: (0..pools)
                .map(|i| {
                    // Pool 2 is the busiest, then 5, 8, 0, 3, 6, ...
                    let busy = [0.3, 0.1, 0.9, 0.3, 0.1, 0.8, 0.3, 0.1, 0.7][i];
                    (format!("resource.p{i}.utilization"), busy)
                })
                .chain([("pipeline.completed".to_string(), 10.0)])
                .collect(),
            wait_batches: None,
        };
        let summary = crate::output::summary::summarize("s", 1, 0.95, &[Params::new()], &[record]);
        let columns = run_columns(&summary, &["resource.p1.utilization".to_string()]);
        assert_eq!(columns.pools_left_out, 2);
        let pools: Vec<&str> = columns
            .columns
            .iter()
            .filter_map(|c| c.strip_prefix("resource."))
            .collect();
        // The chosen one first; then six by declaration, the two least busy left out.
        assert_eq!(
            pools,
            [
                "p1.utilization",
                "p0.utilization",
                "p2.utilization",
                "p3.utilization",
                "p5.utilization",
                "p6.utilization",
                "p8.utilization"
            ]
        );
    }

    #[test]
    fn values_are_shown_in_readable_units() {
        assert_eq!(
            format_value("pipeline.wait.mean", Some(738.0), Some(24.0)),
            "12.3 min ± 0.4"
        );
        assert_eq!(
            format_value("pipeline.makespan.p95", Some(5400.0), Some(360.0)),
            "1.50 h ± 0.10"
        );
        assert_eq!(
            format_value("pipeline.wait.mean", Some(42.0), None),
            "42.0 s"
        );
        assert_eq!(
            format_value(
                "step.classic.train.service.mean",
                Some(2.0 * 86400.0),
                Some(0.0)
            ),
            "2.00 d ± 0.00"
        );
        assert_eq!(
            format_value("resource.gpu.utilization", Some(0.8312), Some(0.012)),
            "83.1% ± 1.2"
        );
        assert_eq!(
            format_value("link.storage.bytes", Some(4.2e9), Some(3.1e8)),
            "4.20 GB ± 0.31"
        );
        assert_eq!(
            format_value("pipeline.completed", Some(412.35), Some(12.2)),
            "412 ± 12"
        );
        assert_eq!(format_value("pipeline.wait.mean", None, None), "-");
        assert_eq!(
            format_value("pipeline.wait.mean", Some(f64::NAN), None),
            "-"
        );
        assert_eq!(format_value("cost.total", Some(0.0), Some(0.0)), "0 ± 0");
        // A wide interval limits the digits; a zero value takes the interval's unit.
        assert_eq!(
            format_value("pipeline.wait.mean", Some(-3.29), Some(210.76)),
            "-3 s ± 211"
        );
        assert_eq!(
            format_value("link.storage.bytes", Some(0.0), Some(2.714e10)),
            "0.0 GB ± 27.1"
        );
    }

    #[test]
    fn a_table_wider_than_the_terminal_is_split_repeating_the_params() {
        let headers: Vec<String> = [
            "gpu.capacity",
            "pipeline.wait.mean",
            "pipeline.wait.p95",
            "resource.gpu.utilization",
        ]
        .map(String::from)
        .to_vec();
        let rows = vec![
            ["4", "12.3 min ± 0.4", "1.02 h ± 0.10", "91.2% ± 0.3"]
                .map(String::from)
                .to_vec(),
            ["16", "1.0 s", "2.0 s", "22.8% ± 0.1"]
                .map(String::from)
                .to_vec(),
        ];
        let whole = render(&headers, &rows, 1);
        // Wide enough, or not a terminal: one table.
        assert_eq!(render_fitted(&headers, &rows, 1, Some(200)), whole);
        assert_eq!(render_fitted(&headers, &rows, 1, None), whole);
        let split = render_fitted(&headers, &rows, 1, Some(60));
        insta::assert_snapshot!(split);
        assert!(split.lines().all(|l| l.chars().count() <= 60), "{split}");
        // Too narrow for even one metric beside the params: one metric per table.
        let narrow = render_fitted(&headers, &rows, 1, Some(10));
        assert_eq!(narrow.matches("gpu.capacity").count(), 3, "{narrow}");
    }

    #[test]
    fn columns_line_up() {
        let text = render(
            &["gpu.capacity".into(), "wait".into()],
            &[
                vec!["4".into(), "12.3 min ± 0.4".into()],
                vec!["16".into(), "1.0 s".into()],
            ],
            1,
        );
        assert_eq!(
            text,
            "gpu.capacity            wait\n\
             ------------  --------------\n\
             4             12.3 min ± 0.4\n\
             16                     1.0 s\n"
        );
    }

    #[test]
    fn params_print_plainly() {
        assert_eq!(format_param(&serde_json::json!(4.0)), "4");
        assert_eq!(format_param(&serde_json::json!(1.5)), "1.5");
        assert_eq!(format_param(&serde_json::json!(-2)), "-2");
        assert_eq!(format_param(&serde_json::json!("sjf")), "sjf");
    }

    #[test]
    fn confidence_as_percent() {
        assert_eq!(format_percent(0.95), "95");
        assert_eq!(format_percent(0.999), "99.9");
        assert_eq!(format_percent(0.000_112), "0.011");
        assert_eq!(format_percent(0.0), "0");
    }
}
