//! The HTML dashboard of a run (`pipesim report`): one self-contained file, inline CSS and
//! SVG, no scripts and nothing fetched, so it opens anywhere and can be mailed or archived.
//!
//! Layout (the paper's Figure 4, per sweep point): parameters and metrics; step statistics
//! per `template.step`; resource utilisation and queue length, arrivals per hour, link traffic
//! and pipeline wait over time; the distributions of wait and makespan. A sweep adds the
//! chosen metrics against the swept parameter, with confidence intervals as error bars.
//!
//! Invariants: panels have stable ids (`point-N-steps`, `point-N-utilization`, ..., `sweep`)
//! that tests and links rely on; a panel without data says so instead of vanishing; the file
//! is written to a temporary name beside the target and renamed into place.

pub mod aggregate;
pub mod charts;

use crate::output::manifest::Overloaded;
use crate::output::summary::{self, warmup_text};
use crate::output::table::{self, Unit};
use crate::stats::warmup::{Verdict, WarmupCheck};
use aggregate::{LogHistogram, Metric, PointSummary, PointTraces, RunData};
use charts::{Axes, Mark, Series};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Writes the report of `run_dir` to `output` (default `RUN_DIR/report.html`) and returns
/// the path written.
pub fn write_report(run_dir: &Path, output: Option<&Path>) -> Result<PathBuf, String> {
    let data = aggregate::read_run(run_dir)?;
    let html = render(&data)?;
    let target = output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| run_dir.join("report.html"));
    super::write_atomically(&target, html.as_bytes())
        .map_err(|e| format!("cannot write `{}`: {e}", target.display()))?;
    Ok(target)
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A duration in the unit a person would use: `0 s`, `42 s`, `3.5 min`, `2.1 h`, `4.2 d`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "–".into();
    }
    let a = seconds.abs();
    let (value, unit) = if a == 0.0 {
        return "0 s".into();
    } else if a < 120.0 {
        (seconds, "s")
    } else if a < 2.0 * 3600.0 {
        (seconds / 60.0, "min")
    } else if a < 2.0 * 86400.0 {
        (seconds / 3600.0, "h")
    } else {
        (seconds / 86400.0, "d")
    };
    format!("{} {unit}", significant(value))
}

/// A size in decimal units: `512 B`, `38.1 MB`, `84.3 GB`.
pub fn bytes(value: f64) -> String {
    let a = value.abs();
    let (scaled, unit) = if a >= 1e12 {
        (value / 1e12, "TB")
    } else if a >= 1e9 {
        (value / 1e9, "GB")
    } else if a >= 1e6 {
        (value / 1e6, "MB")
    } else if a >= 1e3 {
        (value / 1e3, "kB")
    } else {
        (value, "B")
    };
    format!("{} {unit}", significant(scaled))
}

/// Three significant digits, without float noise.
fn significant(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    let text = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.001 || a == 0.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.2e}")
    };
    if text.contains('.') && !text.contains('e') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A unit for a time axis covering `[0, seconds]`: (divisor, name).
fn time_unit(seconds: f64) -> (f64, &'static str) {
    if seconds <= 2.0 * 3600.0 {
        (60.0, "minutes")
    } else if seconds <= 4.0 * 86400.0 {
        (3600.0, "hours")
    } else {
        (86400.0, "days")
    }
}

/// A unit for durations up to `seconds`.
fn duration_unit(seconds: f64) -> (f64, &'static str) {
    if seconds <= 120.0 {
        (1.0, "seconds")
    } else if seconds <= 2.0 * 3600.0 {
        (60.0, "minutes")
    } else if seconds <= 2.0 * 86400.0 {
        (3600.0, "hours")
    } else {
        (86400.0, "days")
    }
}

/// A unit for rates of bytes up to `bytes_per_second`.
fn byte_rate_unit(bytes_per_second: f64) -> (f64, &'static str) {
    if bytes_per_second >= 1e9 {
        (1e9, "GB/s")
    } else if bytes_per_second >= 1e6 {
        (1e6, "MB/s")
    } else if bytes_per_second >= 1e3 {
        (1e3, "kB/s")
    } else {
        (1.0, "B/s")
    }
}

fn param_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
       margin: 0 auto; padding: 1rem 2rem 3rem; max-width: 1620px; color: #1d232a; background: #fafbfc; }
header { border-bottom: 2px solid #d0d7de; margin-bottom: 1rem; }
h1 { font-size: 1.6rem; margin: 0.6rem 0 0.3rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.6rem; padding-top: 0.6rem; border-top: 1px solid #d0d7de; }
h3 { font-size: 1.05rem; margin: 0 0 0.5rem; }
.meta { color: #57606a; margin: 0 0 0.8rem; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; }
nav a { color: #0969da; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(700px, 1fr)); gap: 1rem; }
.panel { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 0.8rem; margin: 0; }
.panel p { margin: 0.3rem 0; }
figcaption { color: #57606a; font-size: 0.9rem; margin-top: 0.3rem; }
svg { max-width: 100%; height: auto; display: block; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 0.25rem 0.7rem; border-bottom: 1px solid #eaeef2; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #d0d7de; }
td code, th code { font-size: 0.85rem; }
.empty { color: #8c959f; font-style: italic; }
details summary { cursor: pointer; color: #0969da; }
.warning { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 6px; padding: 0.5rem 0.8rem; margin: 0 0 0.8rem; }
.warning ul { margin: 0.3rem 0 0; padding-left: 1.2rem; }
";

/// The whole HTML document.
pub fn render(data: &RunData) -> Result<String, String> {
    let mut html = String::new();
    let title = format!("pipesim report: {}", data.scenario);
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&title)
    );
    let _ = write!(
        html,
        "<header>\n<h1>{}</h1>\n<p class=\"meta\">",
        escape(&title)
    );
    let mut meta = vec![format!("run <code>{}</code>", escape(&data.run_name))];
    if !data.version.is_empty() {
        meta.push(format!("pipesim {}", escape(&data.version)));
    }
    if let Some(seed) = data.seed {
        meta.push(format!("seed {seed}"));
    }
    if let Some(start) = &data.start {
        meta.push(format!("calendar start {}", escape(start)));
    }
    // The sweep's points, those that did not run (or another shard's) included.
    let count = data.point_params.len().max(data.points.len());
    meta.push(format!(
        "{count} sweep point{}",
        if count == 1 { "" } else { "s" }
    ));
    html += &meta.join(" · ");
    html += "</p>\n";
    let fixed = table::fixed_overrides(&data.overrides);
    if !fixed.is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"meta\" id=\"overrides\">Set on the command line: {}.</p>",
            fixed
                .iter()
                .map(|o| format!("<code>--set {}</code>", escape(o)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    html += &incomplete_warning(data);
    if !data.from_parts.is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"meta\">Traces of the finished replications, read from their parts in \
             <code>traces/.parts/</code>: the run stopped before its traces were joined into \
             <code>traces/*.csv</code> (<code>pipesim resume</code> joins them).</p>"
        );
    }
    if !data.missing_files.is_empty() {
        let why = if data.incomplete.is_some() {
            "the run kept no traces of that kind, or stopped before a replication it traces finished"
        } else {
            "the run kept no traces of that kind"
        };
        let _ = writeln!(
            html,
            "<p class=\"meta\">No trace files: {} ({why}).</p>",
            escape(&data.missing_files.join(", "))
        );
    }
    html += &overloaded_warning(data);
    html += &cautions_warning(data);
    html += "</header>\n";

    let point_ids = point_ids(data);
    html += "<nav>\n<ul>\n";
    let sweep = data.points.len() >= 2;
    if sweep {
        html += "<li><a href=\"#sweep\">Sweep</a></li>\n";
    }
    for &point in &point_ids {
        let _ = writeln!(
            html,
            "<li><a href=\"#point-{point}\">Point {point}: {}</a></li>",
            escape(&params_label(data, point as usize))
        );
    }
    html += "</ul>\n</nav>\n";

    if sweep {
        html += &sweep_section(data)?;
    }
    let empty_traces = PointTraces::default();
    let fixed: Vec<(String, String)> = table::fixed_overrides(&data.overrides)
        .iter()
        .filter_map(|o| {
            let (path, value) = o.split_once('=')?;
            Some((path.trim().to_string(), value.trim().to_string()))
        })
        .collect();
    for &point in &point_ids {
        let traces = data.traces.get(&point);
        html += &point_section(
            point,
            data.summary_of(point as usize),
            data.params_of(point as usize),
            traces.unwrap_or(&empty_traces),
            traces.is_some(),
            (&data.overloaded, &fixed),
        )?;
    }
    html += "</body>\n</html>\n";
    Ok(html)
}

/// Every point in the summary, plus any the traces name beyond it, in sweep order.
fn point_ids(data: &RunData) -> Vec<u32> {
    let mut ids: Vec<u32> = data.points.iter().map(|p| p.point as u32).collect();
    ids.extend(data.traces.keys().copied());
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Sweep point `point`'s params as written (`gpu.capacity = 1`), whether or not it ran.
fn params_label(data: &RunData, point: usize) -> String {
    written_label(data.params_of(point))
}

fn written_label(params: &[(String, Value)]) -> String {
    if params.is_empty() {
        return "scenario as written".into();
    }
    params
        .iter()
        .map(|(k, v)| format!("{k} = {}", param_text(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A link to point `point`'s section, or its plain name where it has none (it did not run).
fn point_link(data: &RunData, point: usize) -> String {
    let text = format!("Point {point}: {}", escape(&params_label(data, point)));
    if point_ids(data).contains(&(point as u32)) {
        format!("<a href=\"#point-{point}\">{text}</a>")
    } else {
        text
    }
}

/// Under the title, for a run that did not run every replication (Ctrl-C, `--max-live`, a
/// trace write error): how many ran, why it stopped, the points none of whose replications
/// ran, and how to finish it.
fn incomplete_warning(data: &RunData) -> String {
    let Some(incomplete) = &data.incomplete else {
        return String::new();
    };
    let dir = data.run_dir.display().to_string();
    let (why, resume) = match &incomplete.stopped {
        Some(stopped) if stopped.by == crate::output::manifest::STOPPED_BY_MAX_LIVE => {
            let limit = incomplete.max_live.unwrap_or(0);
            let mut why = format!("stopped at <code>--max-live {limit}</code>");
            if let (Some(point), Some(replication)) = (stopped.point, stopped.replication) {
                let _ =
                    write!(
                    why,
                    ": replication {replication} of point {point} ({}) held {} pipelines at once",
                    escape(&params_label(data, point)),
                    stopped.live.map_or_else(|| "too many".to_string(), |n| n.to_string())
                );
                if let Some(time) = stopped.time {
                    let _ = write!(why, " after {} of simulated time", duration(time));
                }
            }
            let larger =
                crate::output::manifest::larger_max_live(u32::try_from(limit).unwrap_or(u32::MAX));
            (why, format!("pipesim resume {dir} --max-live {larger}"))
        }
        Some(stopped) => (
            format!(
                "stopped by an error: {}",
                escape(stopped.error.as_deref().unwrap_or("writing traces failed"))
            ),
            format!("pipesim resume {dir}"),
        ),
        None => ("interrupted".to_string(), format!("pipesim resume {dir}")),
    };
    let mut html = format!(
        "<div class=\"warning\" role=\"note\" id=\"incomplete\"><strong>Incomplete:</strong> \
         {} of {} replications ran ({why}). The figures below are of the replications that ran.",
        incomplete.ran, incomplete.total
    );
    if !incomplete.points_not_run.is_empty() {
        let names: Vec<String> = incomplete
            .points_not_run
            .iter()
            .map(|&p| point_link(data, p))
            .collect();
        let _ = write!(html, " No replication ran of {}.", names.join("; "));
    }
    let _ = writeln!(
        html,
        " Finish the run with <code>{}</code>.</div>",
        escape(&resume)
    );
    html
}

/// The points whose pools or links are asked for more than they can do, under the report's
/// title: their figures are not steady-state figures, and a reader comparing points must
/// know it first.
fn overloaded_warning(data: &RunData) -> String {
    if data.overloaded.is_empty() {
        return String::new();
    }
    let mut html = String::from(
        "<div class=\"warning\" role=\"note\"><strong>Overloaded points.</strong> A pool or link is \
         asked for more than it can do, so its backlog grows until the horizon: the waits and \
         makespans of these points grow with the horizon instead of settling.\n<ul>\n",
    );
    for o in &data.overloaded {
        let _ = writeln!(
            html,
            "<li>{}: <code>{}</code> {}</li>",
            point_link(data, o.point),
            escape(&o.resource),
            escape(&o.load_text())
        );
    }
    html += "</ul>\n</div>\n";
    html
}

/// A point's cautions (`summary::cautions`: a warm-up too short, unfinished pipelines left
/// out); none for an overloaded point, whose overload note explains its figures.
fn point_cautions(overloaded: &[Overloaded], index: usize, p: &PointSummary) -> Vec<String> {
    if overloaded.iter().any(|o| o.point == index) {
        return Vec::new();
    }
    summary::cautions(p.warmup.as_ref(), unfinished_share(p))
}

/// Whether a point not overloaded has a caution that bears on `metric`.
fn caution_on(p: &PointSummary, metric: &str) -> bool {
    summary::caution_concerns(p.warmup.as_ref(), unfinished_share(p), metric)
}

fn unfinished_share(p: &PointSummary) -> Option<f64> {
    summary::unfinished_share(|name: &str| {
        p.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.mean)
            .filter(|mean| mean.is_finite())
    })
}

/// The points whose figures are not quite the steady state they seem, under the title with
/// the overloaded ones.
fn cautions_warning(data: &RunData) -> String {
    let items: Vec<(usize, String)> = data
        .points
        .iter()
        .flat_map(|p| {
            point_cautions(&data.overloaded, p.point, p)
                .into_iter()
                .map(move |text| (p.point, text))
        })
        .collect();
    if items.is_empty() {
        return String::new();
    }
    let mut html = String::from(
        "<div class=\"warning\" role=\"note\"><strong>Figures to read with care.</strong> \
         These points' figures carry the start of the run, or leave out pipelines still \
         running at the end.\n<ul>\n",
    );
    for (index, text) in items {
        let _ = writeln!(
            html,
            "<li>{}: {}</li>",
            point_link(data, index),
            escape(&text)
        );
    }
    html += "</ul>\n</div>\n";
    html
}

fn figure(id: &str, heading: &str, svg: Option<String>, caption: &str, empty: &str) -> String {
    let body = match svg {
        Some(svg) => {
            // plotters writes a bare <svg> element; give it an accessible name.
            svg.replacen(
                "<svg ",
                &format!("<svg role=\"img\" aria-label=\"{}\" ", escape(heading)),
                1,
            )
        }
        None => format!("<p class=\"empty\">{}</p>", escape(empty)),
    };
    format!(
        "<figure class=\"panel\" id=\"{id}\">\n<h3>{}</h3>\n{body}\n<figcaption>{}</figcaption>\n</figure>\n",
        escape(heading),
        escape(caption)
    )
}

/// Series a time chart draws at most: one colour each, and a legend that fits above the plot.
const MAX_SERIES: usize = 10;

/// The [`MAX_SERIES`] series of `series` with the largest mean, in their order, and a note
/// for the caption naming what was left out (`what` names the series: "pools"; `all` says
/// where the others are).
fn busiest(mut series: Vec<Series>, what: &str, all: &str) -> (Vec<Series>, String) {
    let total = series.len();
    if total <= MAX_SERIES {
        return (series, String::new());
    }
    let mean =
        |s: &Series| s.points.iter().map(|p| p.1).sum::<f64>() / s.points.len().max(1) as f64;
    let mut order: Vec<usize> = (0..total).collect();
    // Largest first; ties in the order given (the sort is stable).
    order.sort_by(|&a, &b| mean(&series[b]).total_cmp(&mean(&series[a])));
    let mut kept = vec![false; total];
    for &i in &order[..MAX_SERIES] {
        kept[i] = true;
    }
    let mut index = 0;
    series.retain(|_| {
        index += 1;
        kept[index - 1]
    });
    (
        series,
        format!(" The {MAX_SERIES} busiest of {total} {what} are drawn; {all}."),
    )
}

fn point_section(
    point: u32,
    summary: Option<&PointSummary>,
    written: &[(String, Value)],
    traces: &PointTraces,
    has_traces: bool,
    (overloaded, fixed): (&[Overloaded], &[(String, String)]),
) -> Result<String, String> {
    let mut html = String::new();
    let id = format!("point-{point}");
    let _ = write!(
        html,
        "<section class=\"point\" id=\"{id}\">\n<h2>Point {point}: {}</h2>\n",
        escape(&written_label(written))
    );
    for o in overloaded.iter().filter(|o| o.point == point as usize) {
        let _ = writeln!(
            html,
            "<p class=\"warning\" role=\"note\"><strong>Overloaded:</strong> <code>{}</code> {}. \
             Its backlog grows until the horizon, so this point's waits and makespans grow \
             with the horizon instead of settling.</p>",
            escape(&o.resource),
            escape(&o.load_text())
        );
    }
    let cautions = summary.map_or_else(Vec::new, |s| point_cautions(overloaded, point as usize, s));
    for text in cautions {
        let _ = writeln!(
            html,
            "<p class=\"warning\" role=\"note\"><strong>Caution:</strong> {}</p>",
            escape(&text)
        );
    }
    let reps = traces.replications.len();
    if has_traces {
        let _ = writeln!(
            html,
            "<p class=\"meta\">Charts and step statistics from the traces of {reps} replication{}; \
             time series are averaged over them.</p>",
            if reps == 1 { "" } else { "s" }
        );
    } else {
        html += "<p class=\"meta\">No traces were kept for this point (see <code>--trace</code>); \
                 only its summary metrics are shown.</p>\n";
    }
    html += "<div class=\"grid\">\n";
    html += &parameters_panel(&id, summary, fixed);
    html += &metrics_panel(&id, summary);
    html += &step_table_panel(&id, traces);
    html += &outcomes_panel(&id, traces);
    html += &warmup_panel(&id, summary)?;

    let (t_div, t_unit) = time_unit(traces.end_time);
    let time_label = format!("simulated time ({t_unit})");
    let n_reps = traces.n_replications();

    // Utilisation and queue length per resource.
    let mut utilization = Vec::new();
    let mut queue = Vec::new();
    for (name, series) in &traces.resources {
        let bins = &series.bins;
        let mut u = Vec::new();
        let mut q = Vec::new();
        for b in 0..bins.len() {
            let (busy, capacity, queued, covered) = (
                bins.get(b, 0),
                bins.get(b, 1),
                bins.get(b, 2),
                bins.get(b, 3),
            );
            let x = bins.middle(b) / t_div;
            if capacity > 0.0 {
                u.push((x, 100.0 * busy / capacity));
            }
            if covered > 0.0 {
                q.push((x, queued / covered));
            }
        }
        utilization.push(Series {
            name: name.clone(),
            points: u,
        });
        queue.push(Series {
            name: name.clone(),
            points: q,
        });
    }
    let (utilization, left_out) = busiest(
        utilization,
        "pools",
        "the metrics table has every pool's utilization",
    );
    html += &figure(
        &format!("{id}-utilization"),
        "Resource utilisation",
        charts::line_chart(
            &Axes {
                x_label: &time_label,
                y_label: "busy slots / capacity (%)",
            },
            &utilization,
            Some(100.0),
        )?,
        &format!("Time-weighted share of each pool's slots in use, per time bin.{left_out}"),
        "no resource trace (traces/resources.csv)",
    );
    let (queue, left_out) = busiest(
        queue,
        "pools",
        "the metrics table has every pool's mean queue",
    );
    html += &figure(
        &format!("{id}-queue"),
        "Queue length",
        charts::line_chart(
            &Axes {
                x_label: &time_label,
                y_label: "waiting steps (time average)",
            },
            &queue,
            None,
        )?,
        &format!("Steps waiting for each pool, averaged over each time bin.{left_out}"),
        "no resource trace (traces/resources.csv)",
    );

    // Arrivals per hour, per template.
    let arrivals: Vec<Series> = traces
        .arrivals
        .iter()
        .map(|(template, bins)| Series {
            name: template.clone(),
            points: (0..bins.len())
                .filter_map(|b| {
                    let span = covered(bins, b, traces.end_time)?;
                    Some((
                        bins.middle(b) / t_div,
                        bins.get(b, 0) / (span / 3600.0) / n_reps,
                    ))
                })
                .collect(),
        })
        .collect();
    let (arrivals, left_out) = busiest(
        arrivals,
        "templates",
        "traces/arrivals.csv has every arrival",
    );
    html += &figure(
        &format!("{id}-arrivals"),
        "Arrivals per hour",
        charts::line_chart(
            &Axes {
                x_label: &time_label,
                y_label: "arrivals per hour",
            },
            &arrivals,
            None,
        )?,
        &format!(
            "Pipeline triggers per template, counted per time bin and scaled to one hour.\
             {left_out}"
        ),
        "no arrival trace (traces/arrivals.csv)",
    );

    // Link traffic.
    let mut peak = 0.0f64;
    let mut raw_links = Vec::new();
    for (link, bins) in &traces.links {
        let points: Vec<(f64, f64)> = (0..bins.len())
            .filter_map(|b| {
                let span = covered(bins, b, traces.end_time)?;
                Some((bins.middle(b), bins.get(b, 0) / span / n_reps))
            })
            .collect();
        peak = points.iter().fold(peak, |m, p| m.max(p.1));
        raw_links.push((link.clone(), points));
    }
    let (b_div, b_unit) = byte_rate_unit(peak);
    let links: Vec<Series> = raw_links
        .into_iter()
        .map(|(name, points)| Series {
            name,
            points: points
                .into_iter()
                .map(|(t, v)| (t / t_div, v / b_div))
                .collect(),
        })
        .collect();
    let (links, left_out) = busiest(links, "links", "the metrics table has every link's bytes");
    html += &figure(
        &format!("{id}-links"),
        "Link traffic",
        charts::line_chart(
            &Axes {
                x_label: &time_label,
                y_label: &format!("throughput ({b_unit})"),
            },
            &links,
            None,
        )?,
        &format!("Bytes moved over each link, spread over each transfer's duration.{left_out}"),
        "no transfers (traces/links.csv)",
    );

    // Wait over time, by arrival time.
    let wait_bins = &traces.wait_by_arrival;
    let mean_waits: Vec<(f64, f64)> = (0..wait_bins.len())
        .filter(|&b| wait_bins.get(b, 1) > 0.0)
        .map(|b| {
            (
                wait_bins.middle(b),
                wait_bins.get(b, 0) / wait_bins.get(b, 1),
            )
        })
        .collect();
    let (w_div, w_unit) = duration_unit(mean_waits.iter().fold(0.0, |m, p| m.max(p.1)));
    html += &figure(
        &format!("{id}-wait-over-time"),
        "Mean pipeline wait by arrival time",
        mean_wait_chart(
            t_unit,
            w_unit,
            mean_waits
                .iter()
                .map(|p| (p.0 / t_div, p.1 / w_div))
                .collect(),
        )?,
        "A pipeline's wait is the sum of its steps' queueing times; pipelines grouped by when they arrived.",
        "no pipeline trace (traces/pipelines.csv)",
    );

    html += &distribution_figure(
        &format!("{id}-wait-distribution"),
        "Cumulative distribution of pipeline wait",
        "wait",
        &traces.wait,
    )?;
    html += &distribution_figure(
        &format!("{id}-makespan-distribution"),
        "Cumulative distribution of makespan",
        "makespan",
        &traces.makespan,
    )?;
    html += "</div>\n</section>\n";
    Ok(html)
}

/// Mean wait (in `w_unit`) against arrival time (in `t_unit`), one line.
fn mean_wait_chart(
    t_unit: &str,
    w_unit: &str,
    points: Vec<(f64, f64)>,
) -> Result<Option<String>, String> {
    charts::line_chart(
        &Axes {
            x_label: &format!("arrival time ({t_unit})"),
            y_label: &format!("mean wait ({w_unit})"),
        },
        &[Series {
            name: String::new(),
            points,
        }],
        None,
    )
}

/// The warm-up check's batch means over every replication, from `warmup` on, with the
/// check's verdict; or why no check was made. Nothing for runs that predate the check.
fn warmup_panel(id: &str, summary: Option<&PointSummary>) -> Result<String, String> {
    let Some(check) = summary.and_then(|s| s.warmup.as_ref()) else {
        return Ok(String::new());
    };
    let heading = "Warm-up check: mean wait by arrival time, all replications";
    let c = match check {
        WarmupCheck::NotChecked { reason } => {
            return Ok(format!(
                "<figure class=\"panel\" id=\"{id}-warmup\">\n<h3>{heading}</h3>\n\
                 <p class=\"empty\">Not checked: {}.</p>\n</figure>\n",
                escape(reason)
            ))
        }
        WarmupCheck::Checked(c) => c,
    };
    let end = c.warmup + c.width * c.mean_wait.len() as f64;
    let (t_div, t_unit) = time_unit(end);
    let (w_div, w_unit) = duration_unit(c.mean_wait.iter().copied().fold(0.0, f64::max));
    let points: Vec<(f64, f64)> = c
        .mean_wait
        .iter()
        .enumerate()
        .filter(|(_, w)| w.is_finite())
        .map(|(i, w)| ((c.warmup + (i as f64 + 0.5) * c.width) / t_div, w / w_div))
        .collect();
    let verdict = match c.verdict {
        Verdict::Settled if c.settled <= c.warmup => format!(
            "No drift after `warmup` ({}): it covers the start of the run.",
            duration(c.warmup)
        ),
        Verdict::Settled => format!(
            "Counting from {} instead of `warmup` ({}) would move pipeline.wait.mean by {}{} ± \
             {}, which is within the noise: `warmup` is long enough for these figures.",
            duration(c.settled),
            duration(c.warmup),
            if c.shift < 0.0 { "+" } else { "-" },
            duration(c.shift.abs()),
            duration(c.shift_ci)
        ),
        _ => {
            let text = warmup_text(check).unwrap_or_default();
            let mut chars = text.chars();
            chars.next().map_or(text.clone(), |first| {
                first.to_uppercase().chain(chars).collect()
            })
        }
    };
    Ok(figure(
        &format!("{id}-warmup"),
        heading,
        mean_wait_chart(t_unit, w_unit, points)?,
        &format!(
            "Completed pipelines' mean wait in batches of {} of arrival time from `warmup` on, \
             pooled over every replication (MSER truncation; `pipesim explain cautions` \
             says more). {verdict}",
            duration(c.width)
        ),
        "no pipeline completed after `warmup`",
    ))
}

/// The part of bin `b` before the end of the traces (the last bin is usually cut short, and
/// a rate over its full width would dip at the end of every chart); None when nothing is.
fn covered(bins: &aggregate::Bins, b: usize, end_time: f64) -> Option<f64> {
    let span = (end_time - b as f64 * bins.width).min(bins.width);
    (span > 0.0).then_some(span)
}

fn distribution_figure(
    id: &str,
    heading: &str,
    what: &str,
    histogram: &LogHistogram,
) -> Result<String, String> {
    // Up to the 99th percentile: the far tail would squeeze the body of the curve.
    let p99 = histogram.quantile(0.99);
    let (div, unit) = duration_unit(if p99.is_finite() { p99 } else { 0.0 });
    let points: Vec<(f64, f64)> = histogram
        .cdf()
        .into_iter()
        .filter(|p| p.0 <= p99 * 1.0001)
        .map(|(x, f)| (x / div, 100.0 * f))
        .collect();
    let svg = if histogram.count == 0 {
        None
    } else {
        charts::line_chart(
            &Axes {
                x_label: &format!("{what} ({unit})"),
                y_label: &format!("pipelines with smaller {what} (%)"),
            },
            &[Series {
                name: String::new(),
                points,
            }],
            Some(100.0),
        )?
    };
    let caption = if histogram.count == 0 {
        String::new()
    } else {
        format!(
            "{} pipelines: mean {}, median {}, p95 {}, p99 {}, max {} (shown up to p99; \
             percentiles within 2.3 %).",
            histogram.count,
            duration(histogram.mean()),
            duration(histogram.quantile(0.5)),
            duration(histogram.quantile(0.95)),
            duration(p99),
            duration(histogram.max)
        )
    };
    Ok(figure(
        id,
        heading,
        svg,
        &caption,
        &format!("no finished pipelines with a {what} (traces/pipelines.csv)"),
    ))
}

fn parameters_panel(
    id: &str,
    summary: Option<&PointSummary>,
    fixed: &[(String, String)],
) -> String {
    let mut html = format!(
        "<div class=\"panel\" id=\"{id}-parameters\">\n<h3>Parameters</h3>\n<table>\n<thead><tr><th>parameter</th><th>value</th></tr></thead>\n<tbody>\n"
    );
    match summary {
        Some(p) => {
            // As the scenario (or `--set`) writes them (`3/h`), not in base units.
            for (name, value) in &p.params {
                let written = p
                    .written
                    .iter()
                    .find(|(k, _)| k == name)
                    .map_or(value, |(_, v)| v);
                let _ = writeln!(
                    html,
                    "<tr><td><code>{}</code></td><td>{}</td></tr>",
                    escape(name),
                    escape(&param_text(written))
                );
            }
            for (name, value) in fixed
                .iter()
                .filter(|(name, _)| p.params.iter().all(|(swept, _)| swept != name))
            {
                let _ = writeln!(
                    html,
                    "<tr><td><code>{}</code></td><td>{} (<code>--set</code>)</td></tr>",
                    escape(name),
                    escape(value)
                );
            }
            let _ = writeln!(
                html,
                "<tr><td>replications</td><td>{}</td></tr>",
                p.replications
            );
        }
        None => html += "<tr><td colspan=\"2\" class=\"empty\">not in summary.json</td></tr>\n",
    }
    html += "</tbody>\n</table>\n</div>\n";
    html
}

/// A metric's mean and half-width as the metrics table shows them: in the metric's unit
/// (`Unit::of`), both in the mean's unit with the same decimals, as the console table writes
/// them (`2.42 h` and `0.75 h`, not `2.42 h` and `45 min`, which the reader must convert).
fn metric_cells(name: &str, mean: f64, half_width: f64) -> (String, String) {
    match table::value_parts(name, Some(mean), Some(half_width)) {
        Some(parts) => (
            format!("{}{}", parts.value, parts.suffix),
            parts
                .half_width
                .map_or_else(|| "–".into(), |h| format!("{h}{}", parts.suffix)),
        ),
        None => ("–".into(), "–".into()),
    }
}

fn metrics_panel(id: &str, summary: Option<&PointSummary>) -> String {
    let mut html = format!("<div class=\"panel\" id=\"{id}-metrics\">\n<h3>Metrics</h3>\n");
    let Some(p) = summary.filter(|p| !p.metrics.is_empty()) else {
        html += "<p class=\"empty\">no metrics in summary.json</p>\n</div>\n";
        return html;
    };
    let (steps, headline): (Vec<_>, Vec<_>) =
        p.metrics.iter().partition(|m| m.name.starts_with("step."));
    metrics_table(&mut html, "metrics", &headline, true);
    // A step's metrics over all replications (the step statistics below are of the traced
    // replication only, and absent without traces); open when they are few.
    if !steps.is_empty() {
        metrics_table(&mut html, "step metrics", &steps, steps.len() <= 16);
    }
    html += "</div>\n";
    html
}

/// A folding table of `metrics` (`what`: "metrics", "step metrics").
fn metrics_table(html: &mut String, what: &str, metrics: &[&Metric], open: bool) {
    let _ = writeln!(
        html,
        "<details{}>\n<summary>{} {what} (mean ± confidence half-width over replications)</summary>",
        if open { " open" } else { "" },
        metrics.len()
    );
    *html += "<table>\n<thead><tr><th>metric</th><th>mean</th><th>±</th><th>n</th></tr></thead>\n<tbody>\n";
    for m in metrics {
        let (mean, half_width) = metric_cells(&m.name, m.mean, m.ci);
        let _ = writeln!(
            html,
            "<tr><td><code>{}</code></td><td>{mean}</td><td>{half_width}</td><td>{}</td></tr>",
            escape(&m.name),
            m.n
        );
    }
    *html += "</tbody>\n</table>\n</details>\n";
}

/// The step statistics table (also snapshot-tested on its own).
pub fn step_table(traces: &PointTraces) -> String {
    let mut html = String::from(
        "<table>\n<thead><tr><th>step</th><th>count</th><th>mean wait</th><th>p95 wait</th>\
         <th>mean service</th><th>p95 service</th></tr></thead>\n<tbody>\n",
    );
    for ((template, step), stats) in &traces.steps {
        let _ = writeln!(
            html,
            "<tr><td><code>{}.{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(template),
            escape(step),
            stats.wait.count,
            duration(stats.wait.mean()),
            duration(stats.wait.quantile(0.95)),
            duration(stats.service.mean()),
            duration(stats.service.quantile(0.95)),
        );
    }
    html += "</tbody>\n</table>\n";
    html
}

fn step_table_panel(id: &str, traces: &PointTraces) -> String {
    let mut html = format!("<div class=\"panel\" id=\"{id}-steps\">\n<h3>Step statistics</h3>\n");
    if traces.steps.is_empty() {
        html += "<p class=\"empty\">no step trace (traces/steps.csv)</p>\n";
    } else {
        html += &step_table(traces);
        html += "<p class=\"meta\">Wait: time queued for the pool. Service: time holding it. \
                 p95 within 2.3 %. From the traces, warm-up included (the step metrics \
                 above are over every replication, after the warm-up).</p>\n";
    }
    html += "</div>\n";
    html
}

fn outcomes_panel(id: &str, traces: &PointTraces) -> String {
    let mut html = format!("<div class=\"panel\" id=\"{id}-outcomes\">\n<h3>Pipelines</h3>\n");
    if traces.outcomes.is_empty() {
        html += "<p class=\"empty\">no pipeline trace (traces/pipelines.csv)</p>\n";
    } else {
        html += "<table>\n<thead><tr><th>outcome</th><th>pipelines</th></tr></thead>\n<tbody>\n";
        for (outcome, n) in &traces.outcomes {
            let _ = writeln!(html, "<tr><td>{}</td><td>{n}</td></tr>", escape(outcome));
        }
        html += "</tbody>\n</table>\n";
    }
    html += "</div>\n";
    html
}

/// Metrics drawn against the swept parameter, when present: the experiment's chosen
/// `metrics`, or else the pipeline and utilisation headlines.
fn sweep_metrics(data: &RunData) -> Vec<String> {
    if !data.chosen_metrics.is_empty() {
        let mut names = data.chosen_metrics.clone();
        names.retain(|n| {
            data.points
                .iter()
                .any(|p| p.metrics.iter().any(|m| &m.name == n))
        });
        if !names.is_empty() {
            return names;
        }
    }
    let mut names: Vec<String> = [
        "pipeline.wait.mean",
        "pipeline.wait.p95",
        "pipeline.makespan.mean",
        "pipeline.completed",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(first) = data.points.first() {
        for m in &first.metrics {
            if m.name.starts_with("resource.") && m.name.ends_with(".utilization") {
                names.push(m.name.clone());
            }
        }
        if first
            .metrics
            .iter()
            .any(|m| m.name == "model.accuracy.mean")
        {
            names.push("model.accuracy.mean".into());
        }
    }
    names.retain(|n| {
        data.points
            .iter()
            .any(|p| p.metrics.iter().any(|m| &m.name == n))
    });
    names
}

fn sweep_section(data: &RunData) -> Result<String, String> {
    let mut html = String::from("<section id=\"sweep\">\n<h2>Sweep</h2>\n");
    // The x axis is the first parameter whose value changes; the others name the lines.
    let param_names: Vec<String> = data
        .points
        .first()
        .map(|p| p.params.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let value_of = |p: &PointSummary, name: &str| {
        p.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Null)
    };
    let varying: Vec<&String> = param_names
        .iter()
        .filter(|name| {
            let first = value_of(&data.points[0], name);
            data.points.iter().any(|p| value_of(p, name) != first)
        })
        .collect();
    let x_param = varying.first().map(|s| s.as_str());
    let numeric =
        x_param.is_some_and(|name| data.points.iter().all(|p| value_of(p, name).is_number()));
    let mut categories: Vec<String> = Vec::new();
    if let (Some(name), false) = (x_param, numeric) {
        for p in &data.points {
            let text = param_text(&value_of(p, name));
            if !categories.contains(&text) {
                categories.push(text);
            }
        }
    }
    // A numeric axis the scenario writes with a unit (`[1Gbps, 10Gbps]`, `[30min, 2h]`) is
    // drawn in the unit of its first value, not in base units (`1.25e8` bytes per second).
    let x_unit = x_param
        .filter(|_| numeric)
        .and_then(|name| written_unit(data, name));
    let x_of = |index: usize, p: &PointSummary| -> f64 {
        match x_param {
            None => index as f64,
            Some(name) if numeric => {
                let x = value_of(p, name).as_f64().unwrap_or(f64::NAN);
                x_unit.as_ref().map_or(x, |(factor, _)| x / factor)
            }
            Some(name) => {
                let text = param_text(&value_of(p, name));
                categories.iter().position(|c| *c == text).unwrap_or(0) as f64
            }
        }
    };
    // Lines are named by the values as the scenario writes them (`1Gbps`).
    let written_of = |p: &PointSummary, name: &str| {
        p.written
            .iter()
            .find(|(k, _)| k == name)
            .map_or_else(|| value_of(p, name), |(_, v)| v.clone())
    };
    let line_of = |p: &PointSummary| -> String {
        varying
            .iter()
            .skip(1)
            .map(|name| format!("{name} = {}", param_text(&written_of(p, name))))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let x_label = match (x_param, &x_unit) {
        (Some(name), Some((_, unit))) => format!("{name} ({unit})"),
        (Some(name), None) => name.to_string(),
        (None, _) => "sweep point".to_string(),
    };
    html += "<div class=\"grid\">\n";
    // A metric no replication measured (`model.accuracy.mean` where nothing deploys a
    // model) gets no empty chart: it is named once, below the charts, with why.
    let mut without_values: Vec<String> = Vec::new();
    for metric in sweep_metrics(data) {
        let has_values = data.points.iter().any(|p| {
            p.metrics
                .iter()
                .any(|m| m.name == metric && m.mean.is_finite())
        });
        if !has_values {
            without_values.push(metric);
            continue;
        }
        let mut lines: Vec<charts::ErrorSeries> = Vec::new();
        let mut largest = 0.0f64;
        for (index, p) in data.points.iter().enumerate() {
            let Some(m) = p.metrics.iter().find(|m| m.name == metric) else {
                continue;
            };
            largest = largest.max(m.mean.abs());
            let name = line_of(p);
            let entry = match lines.iter_mut().find(|l| l.0 == name) {
                Some(entry) => entry,
                None => {
                    lines.push((name, Vec::new()));
                    lines.last_mut().unwrap()
                }
            };
            let mark = if data.overloaded.iter().any(|o| o.point == p.point) {
                Mark::Overloaded
            } else if caution_on(p, &metric) {
                Mark::Caution
            } else {
                Mark::None
            };
            entry.1.push((x_of(index, p), m.mean, m.ci, mark));
        }
        for line in &mut lines {
            line.1.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        let unit = Unit::of(&metric);
        let (div, y_label) = match unit {
            Unit::Seconds => {
                let (div, unit) = duration_unit(largest);
                (div, format!("{metric} ({unit})"))
            }
            Unit::Fraction => (0.01, format!("{metric} (%)")),
            Unit::Bytes => (1e9, format!("{metric} (GB)")),
            Unit::Plain if metric.ends_with(".completed") => (1.0, format!("{metric} (pipelines)")),
            Unit::Plain => (1.0, metric.clone()),
        };
        for line in &mut lines {
            for p in &mut line.1 {
                p.1 /= div;
                p.2 /= div;
            }
        }
        let svg = charts::error_bar_chart(
            &Axes {
                x_label: &x_label,
                y_label: &y_label,
            },
            &lines,
            if numeric || x_param.is_none() {
                None
            } else {
                Some(&categories)
            },
            (unit == Unit::Fraction).then_some(100.0),
        )?;
        let mut caption = "Mean over replications; error bars are the confidence interval's half-width (cut where the metric cannot go: below zero, above 100%).".to_string();
        let marked = |mark: Mark| lines.iter().any(|line| line.1.iter().any(|p| p.3 == mark));
        if marked(Mark::Overloaded) {
            caption += " Circled in red: overloaded points, whose means grow with the horizon.";
        }
        if marked(Mark::Caution) {
            caption += " Circled in amber: points with a caution on this metric (a warm-up \
                        too short, or pipelines still running at the end left out of the \
                        wait and makespan; see the notes).";
        }
        html += &figure(
            &format!("sweep-{}", metric.replace('.', "-")),
            &metric,
            svg,
            &caption,
            "no values",
        );
    }
    html += "</div>\n";
    if !without_values.is_empty() {
        html += &without_values_note(&without_values);
    }
    html += "</section>\n";
    Ok(html)
}

/// The one line that names the sweep's metrics without a value at any point, and why.
fn without_values_note(metrics: &[String]) -> String {
    let names = metrics
        .iter()
        .map(|m| format!("<code>{}</code>", escape(m)))
        .collect::<Vec<_>>()
        .join(", ");
    let why = if metrics.iter().all(|m| m.starts_with("model.")) {
        "no replication recorded a value: model metrics are measured only where a pipeline \
         deploys a model (a <code>model { }</code> block)"
    } else {
        "no replication recorded a value (model metrics, for instance, are measured only \
         where a pipeline deploys a model)"
    };
    format!(
        "<p class=\"empty\" role=\"note\" id=\"sweep-without-values\">Not charted, no values: \
         {names}; {why}.</p>\n"
    )
}

/// The unit the scenario writes `param`'s swept values in, with its factor to base units:
/// the first point's, when every point's value is written as a quantity with a unit.
fn written_unit(data: &RunData, param: &str) -> Option<(f64, String)> {
    let mut first: Option<(f64, String)> = None;
    for p in &data.points {
        let (_, text) = p.written.iter().find(|(k, _)| k == param)?;
        let quantity = crate::analysis::units::written_quantity(text.as_str()?)?;
        if quantity.unit.is_empty() || quantity.factor.is_nan() || quantity.factor <= 0.0 {
            return None;
        }
        first.get_or_insert((quantity.factor, quantity.unit));
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0.0), "0 s");
        assert_eq!(duration(42.0), "42 s");
        assert_eq!(duration(0.25), "0.25 s");
        assert_eq!(duration(210.0), "3.5 min");
        assert_eq!(duration(3.0 * 3600.0), "3 h");
        assert_eq!(duration(5.0 * 86400.0), "5 d");
        assert_eq!(duration(f64::NAN), "–");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(84_272_916_141.0), "84.3 GB");
        assert_eq!(bytes(38_094_960.0), "38.1 MB");
    }

    /// A chart of hundreds of pools draws the busiest ten, in their order, and says so.
    #[test]
    fn a_chart_of_many_series_draws_the_busiest() {
        let series: Vec<Series> = (0..14)
            .map(|i| Series {
                name: format!("p{i}"),
                // p0 and p13 are the least busy, p7 and p9 next.
                points: vec![(
                    0.0,
                    [1, 8, 9, 10, 11, 12, 13, 2, 14, 2, 15, 16, 17, 0][i] as f64,
                )],
            })
            .collect();
        let (drawn, note) = busiest(series, "pools", "the table has all");
        let names: Vec<&str> = drawn.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["p1", "p2", "p3", "p4", "p5", "p6", "p8", "p10", "p11", "p12"]
        );
        assert_eq!(
            note,
            " The 10 busiest of 14 pools are drawn; the table has all."
        );
        let few = vec![Series {
            name: "gpu".into(),
            points: vec![],
        }];
        assert_eq!(busiest(few, "pools", "").1, "");
    }

    /// The report shows each metric in the unit the console table gives it: model accuracy
    /// is a percentage there too, and a step's service time a duration.
    #[test]
    fn metrics_are_shown_in_the_tables_units() {
        let cells = |name: &str, mean: f64, ci: f64| {
            let (mean, ci) = metric_cells(name, mean, ci);
            format!("{mean} | {ci}")
        };
        assert_eq!(cells("model.accuracy.mean", 0.885, 0.012), "88.5% | 1.2%");
        assert_eq!(
            cells("model.aiops.edge.accuracy.mean", 0.852, 0.0),
            "85.2% | 0.0%"
        );
        assert_eq!(cells("resource.gpu.utilization", 0.5, 0.02), "50.0% | 2.0%");
        assert_eq!(
            cells("step.p.train.service.mean", 210.0, 4.0),
            "3.50 min | 0.07 min"
        );
        // The half-width in the mean's unit, though 45 minutes would read better alone.
        assert_eq!(
            cells("pipeline.wait.mean", 2.42 * 3600.0, 2700.0),
            "2.42 h | 0.75 h"
        );
        assert_eq!(
            cells("link.storage.bytes", 38_094_960.0, 1e6),
            "38.1 MB | 1.0 MB"
        );
        assert_eq!(cells("step.p.train.count", 210.0, 9.27), "210 | 9");
        // A single replication has no interval.
        assert_eq!(cells("pipeline.completed", 144.0, f64::NAN), "144 | –");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
