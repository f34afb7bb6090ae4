//! `out/<scenario>/chart.svg`: price, debt in auction, bad debt and insurance over time,
//! Ballast against the baseline. SVG only; text is laid out without fonts from the system.

use std::path::Path;

use plotters::prelude::*;

use crate::stats::BlockRow;

const BALLAST: RGBColor = RGBColor(0, 102, 204);
const BASELINE: RGBColor = RGBColor(214, 39, 40);
const EXO: RGBColor = RGBColor(120, 120, 120);

struct Series<'a> {
    label: &'a str,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

fn panel(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    shade: &[(f64, f64)],
) -> anyhow::Result<()> {
    let x_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let (mut y_min, mut y_max) = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|y| y.is_finite())
        .fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
    if y_min > y_max {
        (y_min, y_max) = (0.0, 1.0);
    }
    if (y_max - y_min).abs() < 1e-9 {
        y_max = y_min + 1.0;
    }
    let pad = (y_max - y_min) * 0.05;
    let y_lo = if y_min >= 0.0 && y_min - pad < 0.0 {
        0.0
    } else {
        y_min - pad
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, y_lo..(y_max + pad))?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (from, to) in shade {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(*from, y_lo), (*to, y_max + pad)],
            RGBColor(255, 200, 0).mix(0.15).filled(),
        )))?;
    }
    for s in series {
        let color = s.color;
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(s.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    Ok(())
}

/// Draws the four panels for `rows` (the first risk asset's price).
pub fn draw(path: &Path, title: &str, risk_label: &str, rows: &[BlockRow]) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (1400, 900)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(title, ("sans-serif", 22))?;
    let areas = root.split_evenly((2, 2));
    let long = rows.last().map(|r| r.seconds).unwrap_or(0) > 6 * 3600;
    let (unit, x_label) = if long {
        (3600.0, "hours")
    } else {
        (60.0, "minutes")
    };
    let x = |r: &BlockRow| r.seconds as f64 / unit;
    let line = |label, color, f: &dyn Fn(&BlockRow) -> f64| Series {
        label,
        color,
        points: rows.iter().map(|r| (x(r), f(r))).collect(),
    };
    // outage stretches, shaded
    let mut shade = vec![];
    let mut start: Option<f64> = None;
    for r in rows {
        match (r.outage, start) {
            (true, None) => start = Some(x(r)),
            (false, Some(s)) => {
                shade.push((s, x(r)));
                start = None;
            }
            _ => {}
        }
    }
    if let (Some(s), Some(last)) = (start, rows.last()) {
        shade.push((s, x(last)));
    }
    panel(
        &areas[0],
        &format!("{risk_label} oracle price"),
        x_label,
        "USD",
        &[
            line("exogenous", EXO, &|r| {
                r.exo_price.first().copied().unwrap_or(0.0)
            }),
            line("Ballast", BALLAST, &|r| {
                r.ballast_price.first().copied().unwrap_or(0.0)
            }),
            line("baseline", BASELINE, &|r| {
                r.baseline_price.first().copied().unwrap_or(0.0)
            }),
        ],
        &shade,
    )?;
    panel(
        &areas[1],
        "debt in auction",
        x_label,
        "USD",
        &[
            line("Ballast", BALLAST, &|r| r.ballast.in_auction_usd),
            line("baseline (instant)", BASELINE, &|r| {
                r.baseline.in_auction_usd
            }),
        ],
        &shade,
    )?;
    panel(
        &areas[2],
        "bad debt recognised (cumulative)",
        x_label,
        "USD",
        &[
            line("Ballast", BALLAST, &|r| r.ballast.bad_debt_usd),
            line("baseline", BASELINE, &|r| r.baseline.bad_debt_usd),
        ],
        &shade,
    )?;
    panel(
        &areas[3],
        "insurance fund + stake",
        x_label,
        "USD",
        &[
            line("Ballast", BALLAST, &|r| r.ballast.insurance_usd),
            line("baseline", BASELINE, &|r| r.baseline.insurance_usd),
        ],
        &shade,
    )?;
    root.present()?;
    Ok(())
}
