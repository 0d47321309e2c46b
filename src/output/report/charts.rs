//! SVG charts for the report, drawn with plotters' SVG backend. Text stays SVG `<text>` (no
//! fonts are embedded or needed), so the charts are small, sharp and searchable.
//!
//! Every chart has both axis descriptions with units, and its title in the heading of the
//! figure it is drawn in (not again inside the chart); its legend is above the plot, where it
//! covers no data; a chart with no data is not drawn (the caller shows a sentence instead).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub const WIDTH: u32 = 760;
pub const HEIGHT: u32 = 320;

/// Tableau 10: distinguishable, and readable on white.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub fn color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// A named line of (x, mean, confidence half-width, mark) for [`error_bar_chart`].
pub type ErrorSeries = (String, Vec<(f64, f64, f64, Mark)>);

/// What a sweep point's circle says about its mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    None,
    /// Overloaded: the mean grows with the horizon. Circled in [`MARK`].
    Overloaded,
    /// A caution (a warm-up too short, unfinished pipelines left out). Circled in
    /// [`CAUTION_MARK`].
    Caution,
}

/// The circle around an overloaded point: a red that none of the lines' colors is.
pub const MARK: RGBColor = RGBColor(207, 34, 46);
/// The circle around a point with a caution: an amber that none of the lines' colors is.
pub const CAUTION_MARK: RGBColor = RGBColor(191, 135, 0);

/// One named line.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A chart's axis descriptions, with their units. Its title is the heading of the figure it
/// is drawn in (and the SVG's accessible name), not drawn again inside it.
pub struct Axes<'a> {
    pub x_label: &'a str,
    pub y_label: &'a str,
}

fn error(e: impl std::fmt::Display) -> String {
    format!("cannot draw a chart: {e}")
}

/// A range that shows `values` with a little room, from 0 when `from_zero`.
fn range(values: impl Iterator<Item = f64>, from_zero: bool) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return None;
    }
    if from_zero {
        lo = lo.min(0.0);
    }
    if hi <= lo {
        hi = lo + 1.0;
    } else {
        hi += (hi - lo) * 0.05;
    }
    Some((lo, hi))
}

fn new_root(svg: &mut String) -> DrawingArea<SVGBackend<'_>, Shift> {
    SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area()
}

/// The chart's margin on every side, in pixels.
const MARGIN: i32 = 12;
/// The width of the y axis's label area, where the plot begins.
const Y_LABEL_AREA: i32 = 64;
/// The height of one row of the legend.
const LEGEND_ROW: i32 = 18;

/// A legend laid out above the plot, in rows, so that it never covers a line or a point:
/// each entry's position (of its sample line's left end, at the text's middle) in the
/// chart's pixels, and the height the rows take.
fn legend_layout(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    names: &[&str],
) -> (Vec<(i32, i32)>, i32) {
    let font = TextStyle::from(("sans-serif", 12));
    let (left, right) = (MARGIN + Y_LABEL_AREA, WIDTH as i32 - MARGIN);
    let mut at = Vec::with_capacity(names.len());
    let (mut x, mut row) = (left, 0);
    for name in names {
        let text = root
            .estimate_text_size(name, &font)
            .map_or(8 * name.len() as i32, |(w, _)| w as i32);
        let width = 18 + 6 + text;
        if x > left && x + width > right {
            x = left;
            row += 1;
        }
        at.push((x, MARGIN + row * LEGEND_ROW + LEGEND_ROW / 2));
        x += width + 18;
    }
    let height = if names.is_empty() {
        0
    } else {
        (row + 1) * LEGEND_ROW
    };
    (at, height)
}

/// Draws the legend of [`legend_layout`]: a short line in each series' style, and its name.
fn draw_legend(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    entries: &[(&str, ShapeStyle)],
    at: &[(i32, i32)],
) -> Result<(), String> {
    let text = TextStyle::from(("sans-serif", 12))
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (&(name, style), &(x, y)) in entries.iter().zip(at) {
        root.draw(&PathElement::new(vec![(x, y), (x + 18, y)], style))
            .map_err(error)?;
        root.draw(&Text::new(name, (x + 24, y), text.clone()))
            .map_err(error)?;
    }
    Ok(())
}

/// Lines over a shared x axis; `y_max` fixes the top (e.g. 100 for percentages).
pub fn line_chart(
    axes: &Axes<'_>,
    series: &[Series],
    y_max: Option<f64>,
) -> Result<Option<String>, String> {
    let Some((x0, x1)) = range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        true,
    ) else {
        return Ok(None);
    };
    let (y0, mut y1) = range(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        true,
    )
    .unwrap_or((0.0, 1.0));
    if let Some(top) = y_max {
        y1 = top;
    }
    let mut svg = String::new();
    {
        let root = new_root(&mut svg);
        root.fill(&WHITE).map_err(error)?;
        let legend: Vec<&str> = if series.len() > 1 || series.iter().any(|s| !s.name.is_empty()) {
            series.iter().map(|s| s.name.as_str()).collect()
        } else {
            Vec::new()
        };
        let (legend_at, legend_height) = legend_layout(&root, &legend);
        let mut chart = ChartBuilder::on(&root)
            .margin(MARGIN)
            .margin_top(MARGIN + legend_height)
            .x_label_area_size(44)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(error)?;
        chart
            .configure_mesh()
            .x_desc(axes.x_label)
            .y_desc(axes.y_label)
            .axis_desc_style(("sans-serif", 14))
            .label_style(("sans-serif", 12))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| short_number(*v))
            .draw()
            .map_err(error)?;
        let mut entries = Vec::with_capacity(legend.len());
        for (i, s) in series.iter().enumerate() {
            let style = ShapeStyle::from(color(i)).stroke_width(2);
            chart
                .draw_series(LineSeries::new(
                    s.points.iter().copied().filter(|p| p.1.is_finite()),
                    style,
                ))
                .map_err(error)?;
            entries.push((s.name.as_str(), style));
        }
        if !legend.is_empty() {
            draw_legend(&root, &entries, &legend_at)?;
        }
        root.present().map_err(error)?;
    }
    Ok(Some(svg))
}

/// Means with confidence intervals as error bars, one line per series; `categories` names
/// the x positions 0, 1, 2... when the swept values are not numbers; `ceiling` is the
/// largest value the metric can take (100 for a percentage), where intervals are cut.
pub fn error_bar_chart(
    axes: &Axes<'_>,
    series: &[ErrorSeries],
    categories: Option<&[String]>,
    ceiling: Option<f64>,
) -> Result<Option<String>, String> {
    let ceiling = ceiling.unwrap_or(f64::INFINITY);
    let xs = || series.iter().flat_map(|s| s.1.iter().map(|p| p.0));
    let Some((mut x0, mut x1)) = range(xs(), false) else {
        return Ok(None);
    };
    // Swept whole numbers (capacities, units) get whole-number ticks: the span padded by
    // half a unit would otherwise be ticked at 3.5, 4, 4.5...
    let whole = categories.is_none() && xs().all(|x| !x.is_finite() || x.fract() == 0.0);
    // Room on both sides so the end bars are not on the frame: at least half a category or
    // unit where those are the positions, a share of the span for other numbers (a growth
    // factor swept from 1 to 2 would otherwise get half its width again as margins).
    let pad = if categories.is_some() || whole {
        ((x1 - x0) * 0.08).max(0.5)
    } else {
        (x1 - x0) * 0.08
    };
    x0 -= pad;
    x1 += pad;
    // Every metric pipesim reports is non-negative: when every mean is, an interval reaching
    // below zero (few replications) is cut there rather than drawing negative waits.
    let floor = if series
        .iter()
        .all(|s| s.1.iter().all(|p| p.1.is_nan() || p.1 >= 0.0))
    {
        0.0
    } else {
        f64::NEG_INFINITY
    };
    let Some((y0, y1)) = range(
        series.iter().flat_map(|s| {
            s.1.iter().flat_map(|p| {
                let (low, high) = drawn_interval(p.1, p.2, floor, ceiling);
                [low, high]
            })
        }),
        true,
    ) else {
        return Ok(None);
    };
    let mut svg = String::new();
    {
        let root = new_root(&mut svg);
        root.fill(&WHITE).map_err(error)?;
        let legend: Vec<&str> = if series.len() > 1 {
            series.iter().map(|s| s.0.as_str()).collect()
        } else {
            Vec::new()
        };
        let (legend_at, legend_height) = legend_layout(&root, &legend);
        let mut chart = ChartBuilder::on(&root)
            .margin(MARGIN)
            .margin_top(MARGIN + legend_height)
            .x_label_area_size(44)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(error)?;
        // Categories are labelled below (plotters would put their labels against the axis
        // line, since they have no tick marks).
        let category = |v: &f64| -> String {
            match categories {
                Some(_) => String::new(),
                None if whole && v.fract() != 0.0 => String::new(),
                None => short_number(*v),
            }
        };
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(axes.x_label)
            .y_desc(axes.y_label)
            .axis_desc_style(("sans-serif", 14))
            .label_style(("sans-serif", 12))
            .light_line_style(TRANSPARENT)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_label_formatter(&category)
            .y_label_formatter(&|v| short_number(*v));
        if let Some(names) = categories {
            // No grid line or tick mark of plotters' own: those between categories mark
            // nothing. The categories' lines, ticks and labels are drawn below.
            mesh.x_labels(names.len().max(2))
                .disable_x_mesh()
                .set_tick_mark_size(LabelAreaPosition::Bottom, 0);
        } else if whole {
            // At most one tick per unit: the nicest step plotters then picks is a whole one.
            mesh.x_labels(((x1 - x0).floor() as usize + 1).clamp(2, 10));
        }
        mesh.draw().map_err(error)?;
        if let Some(names) = categories {
            let label = TextStyle::from(("sans-serif", 12))
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Top));
            for (i, name) in names.iter().enumerate() {
                let x = i as f64;
                chart
                    .draw_series(LineSeries::new([(x, y0), (x, y1)], RGBColor(225, 225, 225)))
                    .map_err(error)?;
                let (px, py) = chart.backend_coord(&(x, y0));
                root.draw(&PathElement::new(vec![(px, py), (px, py + 5)], BLACK))
                    .map_err(error)?;
                root.draw(&Text::new(name.as_str(), (px, py + 10), label.clone()))
                    .map_err(error)?;
            }
        }
        for (i, (_, points)) in series.iter().enumerate() {
            let style = ShapeStyle::from(color(i)).stroke_width(2);
            let finite: Vec<_> = points.iter().filter(|p| p.1.is_finite()).copied().collect();
            // Categories (policies, labels) have no order: no line between them.
            let joined = if categories.is_none() {
                finite.len()
            } else {
                0
            };
            chart
                .draw_series(LineSeries::new(
                    finite.iter().take(joined).map(|p| (p.0, p.1)),
                    style,
                ))
                .map_err(error)?;
            chart
                .draw_series(finite.iter().map(|&(x, mean, ci, _)| {
                    let (low, high) = drawn_interval(mean, ci, floor, ceiling);
                    ErrorBar::new_vertical(x, low, mean, high, style.filled(), 10)
                }))
                .map_err(error)?;
            chart
                .draw_series(finite.iter().filter_map(|p| {
                    let color = match p.3 {
                        Mark::None => return None,
                        Mark::Overloaded => MARK,
                        Mark::Caution => CAUTION_MARK,
                    };
                    Some(Circle::new(
                        (p.0, p.1),
                        9,
                        ShapeStyle::from(color).stroke_width(2),
                    ))
                }))
                .map_err(error)?;
        }
        if !legend.is_empty() {
            let entries: Vec<(&str, ShapeStyle)> = series
                .iter()
                .enumerate()
                .map(|(i, s)| (s.0.as_str(), ShapeStyle::from(color(i)).stroke_width(2)))
                .collect();
            draw_legend(&root, &entries, &legend_at)?;
        }
        root.present().map_err(error)?;
    }
    Ok(Some(svg))
}

/// The part of `mean ± ci` drawn: within `[floor, ceiling]`, or cut at the mean if it lies
/// outside them; an undefined half-width draws no bar.
fn drawn_interval(mean: f64, ci: f64, floor: f64, ceiling: f64) -> (f64, f64) {
    let ci = if ci.is_finite() { ci.max(0.0) } else { 0.0 };
    (
        (mean - ci).max(floor.min(mean)),
        (mean + ci).min(ceiling.max(mean)),
    )
}

/// Axis tick labels: few digits, no float noise (0.30000000000000004 → 0.3, 12000 → 12k).
pub fn short_number(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1e9 {
        format!("{}G", trim(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e4 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let text = if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_on_axes_are_short() {
        assert_eq!(short_number(0.30000000000000004), "0.3");
        assert_eq!(short_number(12000.0), "12k");
        assert_eq!(short_number(2.5e9), "2.5G");
        assert_eq!(short_number(-3.0), "-3");
        assert_eq!(short_number(150.4), "150");
    }

    /// The texts of an SVG chart with the `y` they are drawn at.
    fn texts_with_y(svg: &str) -> Vec<(String, f64)> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let (attributes, rest) = t.split_once('>')?;
                let y = attributes.split_once(" y=\"")?.1.split_once('"')?.0;
                let text = rest.split_once("</text>")?.0.trim();
                Some((text.to_string(), y.parse().ok()?))
            })
            .collect()
    }

    #[test]
    fn categories_are_labelled_once_each_clear_of_the_axis() {
        let names = [
            "fifo".to_string(),
            "sjf".to_string(),
            "priority".to_string(),
        ];
        let svg = error_bar_chart(
            &Axes {
                x_label: "gpu.policy",
                y_label: "wait (minutes)",
            },
            &[(
                String::new(),
                vec![
                    (0.0, 110.0, 10.0, Mark::None),
                    (1.0, 30.0, 1.0, Mark::None),
                    (2.0, 80.0, 5.0, Mark::None),
                ],
            )],
            Some(&names),
            None,
        )
        .unwrap()
        .unwrap();
        let texts = texts_with_y(&svg);
        // The plotting area ends where the x label area (44 px, above the 12 px margin) begins.
        let axis = f64::from(HEIGHT) - 12.0 - 44.0;
        for name in &names {
            let at: Vec<f64> = texts.iter().filter(|t| &t.0 == name).map(|t| t.1).collect();
            assert_eq!(at.len(), 1, "{name} is written once: {texts:?}");
            assert!(
                at[0] >= axis + 8.0,
                "{name} at y {} is clear of the axis at {axis}",
                at[0]
            );
        }
    }

    /// The numbers an SVG chart writes as text (its tick labels).
    fn numbers_in(svg: &str) -> Vec<f64> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                t.split_once('>')?
                    .1
                    .split_once("</text>")?
                    .0
                    .trim()
                    .parse()
                    .ok()
            })
            .collect()
    }

    #[test]
    fn error_bars_stop_where_the_metric_cannot_go() {
        let axes = Axes {
            x_label: "gpu.capacity",
            y_label: "utilization (%)",
        };
        // 97% ± 12 at one point, 4% ± 9 at another: an interval past 100% and below zero.
        let series = [(
            String::new(),
            vec![(1.0, 97.0, 12.0, Mark::None), (2.0, 4.0, 9.0, Mark::None)],
        )];
        let ticks = |ceiling| {
            numbers_in(
                &error_bar_chart(&axes, &series, None, ceiling)
                    .unwrap()
                    .unwrap(),
            )
        };
        for ceiling in [Some(100.0), None] {
            let ticks = ticks(ceiling);
            assert!(ticks.iter().all(|&t| t >= 0.0), "{ticks:?}");
        }
        assert_eq!(drawn_interval(97.0, 12.0, 0.0, 100.0), (85.0, 100.0));
        assert_eq!(drawn_interval(4.0, 9.0, 0.0, 100.0), (0.0, 13.0));
        assert_eq!(
            drawn_interval(4.0, 9.0, f64::NEG_INFINITY, f64::INFINITY),
            (-5.0, 13.0)
        );
        assert_eq!(drawn_interval(4.0, f64::NAN, 0.0, 100.0), (4.0, 4.0));
    }

    #[test]
    fn a_sweep_of_whole_numbers_is_ticked_at_whole_numbers() {
        let axes = Axes {
            x_label: "gpu.capacity",
            y_label: "wait (minutes)",
        };
        for xs in [
            vec![4.0, 8.0],
            vec![1.0, 2.0],
            vec![2.0, 3.0, 4.0],
            vec![16.0],
        ] {
            let points = xs
                .iter()
                .map(|&x| (x, 100.0 / x, 10.0, Mark::None))
                .collect();
            let svg = error_bar_chart(&axes, &[(String::new(), points)], None, None)
                .unwrap()
                .unwrap();
            let ticks = numbers_in(&svg);
            for x in &xs {
                assert!(ticks.contains(x), "{x} is ticked: {ticks:?}");
            }
            // The y axis (0 to about 110) is ticked in whole numbers too.
            assert!(ticks.iter().all(|t| t.fract() == 0.0), "{xs:?}: {ticks:?}");
        }
        // Fractional sweep values keep fractional ticks.
        let svg = error_bar_chart(
            &axes,
            &[(
                String::new(),
                vec![(0.5, 10.0, 1.0, Mark::None), (1.5, 12.0, 1.0, Mark::None)],
            )],
            None,
            None,
        )
        .unwrap()
        .unwrap();
        assert!(numbers_in(&svg).iter().any(|t| t.fract() != 0.0));
    }

    /// A sweep of fractional values (a growth factor from 1 to 2) is drawn over its span
    /// with a small margin, not with half a unit on each side.
    #[test]
    fn a_fractional_sweep_fills_its_chart() {
        let points = [1.0, 1.5, 2.0]
            .iter()
            .map(|&x| (x, 100.0 * x, 10.0, Mark::None))
            .collect();
        let svg = error_bar_chart(
            &Axes {
                x_label: "triggers.growth",
                y_label: "wait (minutes)",
            },
            &[(String::new(), points)],
            None,
            None,
        )
        .unwrap()
        .unwrap();
        // The y axis is ticked from 0 in steps of tens or more; the x axis is what is below 10.
        let x_ticks: Vec<f64> = numbers_in(&svg)
            .into_iter()
            .filter(|&t| t > 0.0 && t < 10.0)
            .collect();
        assert!(
            x_ticks.contains(&1.0) && x_ticks.contains(&2.0),
            "{x_ticks:?}"
        );
        assert!(
            x_ticks.iter().all(|&t| (0.8..=2.2).contains(&t)),
            "{x_ticks:?}"
        );
    }

    #[test]
    fn a_chart_has_its_axis_descriptions_and_legend_as_text() {
        let svg = line_chart(
            &Axes {
                x_label: "time (hours)",
                y_label: "busy (%)",
            },
            &[Series {
                name: "gpu".into(),
                points: vec![(0.0, 10.0), (1.0, 50.0)],
            }],
            Some(100.0),
        )
        .unwrap()
        .unwrap();
        let texts: Vec<&str> = svg
            .split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim()))
            .collect();
        for text in ["time (hours)", "busy (%)", "gpu"] {
            assert!(texts.contains(&text), "{text} in {texts:?}");
        }
        // The legend is above the plot, so that it covers none of it: above the top tick.
        let at = texts_with_y(&svg);
        let y_of = |text: &str| at.iter().find(|t| t.0 == text).map(|t| t.1).unwrap();
        assert!(y_of("gpu") < y_of("100") - 6.0, "{at:?}");
        assert!(line_chart(
            &Axes {
                x_label: "x",
                y_label: "y"
            },
            &[],
            None
        )
        .unwrap()
        .is_none());
    }
}
