//! SVG plots for `BENCHMARKS.md`, drawn with plotters' SVG backend. Text is laid out with
//! plotters' built-in size estimate and rendered by the viewer, so no font files are read.

use std::io;
use std::path::Path;

use plotters::prelude::*;

use crate::hit_ratio::{Policy, Row, SIZES_PERCENT};
use crate::report::{HOST_CLOCK, Op, ThroughputRow};
use crate::trace::TraceKind;

fn plot_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("plotting failed: {e}"))
}

/// A fixed, distinguishable colour per series (Tableau 10).
fn color(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 10] = [
        RGBColor(0x1f, 0x77, 0xb4),
        RGBColor(0xff, 0x7f, 0x0e),
        RGBColor(0x2c, 0xa0, 0x2c),
        RGBColor(0xd6, 0x27, 0x28),
        RGBColor(0x94, 0x67, 0xbd),
        RGBColor(0x8c, 0x56, 0x4b),
        RGBColor(0xe3, 0x77, 0xc2),
        RGBColor(0x7f, 0x7f, 0x7f),
        RGBColor(0xbc, 0xbd, 0x22),
        RGBColor(0x17, 0xbe, 0xcf),
    ];
    COLORS[i % COLORS.len()]
}

/// Height of the legend strip above the panels.
const LEGEND_HEIGHT: u32 = 56;

/// One shared legend for all panels, in rows across the top strip, so no legend hides data.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, RGBColor)],
) -> io::Result<()> {
    let (width, _) = area.dim_in_pixel();
    let (mut x, mut y) = (60i32, 16i32);
    for (name, color) in entries {
        // plotters' own estimate of the text width at this size, plus the swatch.
        let item = 40 + (name.len() as i32 * 7);
        if x + item > width as i32 - 20 {
            x = 60;
            y += 22;
        }
        area.draw(&PathElement::new(
            vec![(x, y), (x + 22, y)],
            color.stroke_width(4),
        ))
        .map_err(plot_error)?;
        area.draw(&Text::new(
            name.clone(),
            (x + 28, y - 7),
            ("sans-serif", 15).into_font().color(&BLACK),
        ))
        .map_err(plot_error)?;
        x += item + 18;
    }
    Ok(())
}

/// Hit ratio against cache size, one panel per trace, one line per policy.
pub fn hit_ratio(rows: &[Row], path: &Path) -> io::Result<()> {
    let traces: Vec<TraceKind> = TraceKind::ALL
        .into_iter()
        .filter(|t| rows.iter().any(|r| r.trace == *t))
        .collect();
    let columns = 3;
    let lines = traces.len().div_ceil(columns).max(1);
    let root =
        SVGBackend::new(path, (1200, LEGEND_HEIGHT + 380 * lines as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (top, body) = root.split_vertically(LEGEND_HEIGHT);
    let entries: Vec<(String, RGBColor)> = Policy::ALL
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p.name().to_owned(), color(i)))
        .collect();
    legend(&top, &entries)?;
    let panels = body.split_evenly((lines, columns));
    for (trace, area) in traces.iter().zip(panels.iter()) {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.trace == *trace).collect();
        let (lo, hi) = mine
            .iter()
            .flat_map(|r| r.ratios.iter().map(|&(_, x)| x * 100.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            });
        let pad = ((hi - lo) * 0.08).max(0.5);
        let mut chart = ChartBuilder::on(area)
            .caption(trace.description(), ("sans-serif", 19))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..11.0, (lo - pad).max(0.0)..(hi + pad).min(100.0))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("cache size, % of distinct keys")
            .y_desc("hit ratio, %")
            .x_labels(12)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(plot_error)?;
        for (i, policy) in Policy::ALL.into_iter().enumerate() {
            let points: Vec<(f64, f64)> = SIZES_PERCENT
                .iter()
                .filter_map(|&p| {
                    mine.iter()
                        .find(|r| r.percent == p)
                        .map(|r| (f64::from(p), r.ratio(policy) * 100.0))
                })
                .collect();
            let style = color(i).stroke_width(if policy == Policy::Chatcache { 3 } else { 2 });
            chart
                .draw_series(LineSeries::new(points.clone(), style))
                .map_err(plot_error)?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color(i).filled())))
                .map_err(plot_error)?;
        }
    }
    root.present().map_err(plot_error)
}

/// Throughput against thread count, one panel per operation, one line per contender
/// (single-threaded caches are single points at 1 thread).
pub fn throughput(rows: &[ThroughputRow], path: &Path) -> io::Result<()> {
    let ops: Vec<Op> = Op::ALL
        .into_iter()
        .filter(|op| rows.iter().any(|r| r.op == *op))
        .collect();
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        if r.contender != HOST_CLOCK && !names.contains(&r.contender) {
            names.push(r.contender.clone());
        }
    }
    names.sort_by_key(|n| (!n.starts_with("chatcache"), n.clone()));
    let max_threads = rows.iter().map(|r| r.threads).max().unwrap_or(1);
    let columns = 3;
    let lines = ops.len().div_ceil(columns).max(1);
    let root =
        SVGBackend::new(path, (1200, LEGEND_HEIGHT + 400 * lines as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (top, body) = root.split_vertically(LEGEND_HEIGHT);
    let entries: Vec<(String, RGBColor)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), color(i)))
        .collect();
    legend(&top, &entries)?;
    let panels = body.split_evenly((lines, columns));
    for (op, area) in ops.iter().zip(panels.iter()) {
        // Median over rounds per (contender, threads).
        let point = |name: &str, t: u32| {
            let mut v: Vec<f64> = rows
                .iter()
                .filter(|r| r.op == *op && r.contender == name && r.threads == t)
                .map(|r| r.mops)
                .collect();
            v.sort_by(f64::total_cmp);
            (!v.is_empty()).then(|| v[v.len() / 2])
        };
        let top = names
            .iter()
            .flat_map(|n| (1..=max_threads).filter_map(|t| point(n, t)))
            .fold(0.0f64, f64::max);
        let mut chart = ChartBuilder::on(area)
            .caption(op.name(), ("sans-serif", 19))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0.5..f64::from(max_threads) + 0.5, 0.0..top * 1.1)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("threads")
            .y_desc("M ops/s, all threads")
            .x_labels(max_threads as usize + 1)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 15))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(plot_error)?;
        for (i, name) in names.iter().enumerate() {
            let points: Vec<(f64, f64)> = (1..=max_threads)
                .filter_map(|t| point(name, t).map(|y| (f64::from(t), y)))
                .collect();
            if points.is_empty() {
                continue;
            }
            let width = if name.starts_with("chatcache") { 3 } else { 2 };
            chart
                .draw_series(LineSeries::new(
                    points.clone(),
                    color(i).stroke_width(width),
                ))
                .map_err(plot_error)?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 4, color(i).filled())))
                .map_err(plot_error)?;
        }
    }
    root.present().map_err(plot_error)
}
