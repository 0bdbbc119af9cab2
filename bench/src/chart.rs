//! The results chart: for each workload, each contender's median throughput
//! relative to the fastest contender of that workload, as an SVG.

use std::path::Path;

use plotters::prelude::*;

use crate::report::WorkloadResult;

const WIDTH: u32 = 1000;
const LABELS: i32 = 250;
const BAR_HEIGHT: i32 = 11;
const BAR_GAP: i32 = 2;
const GROUP_GAP: i32 = 14;
const TOP: i32 = 70;

/// One colour per contender, in the order they first appear.
const COLOURS: [RGBColor; 6] = [
    RGBColor(200, 40, 40),
    RGBColor(70, 110, 190),
    RGBColor(90, 160, 90),
    RGBColor(220, 150, 40),
    RGBColor(150, 150, 150),
    RGBColor(120, 80, 160),
];

/// Writes the chart of `results` to `path`; `subtitle` says where it ran.
pub fn write(path: &Path, results: &[WorkloadResult], subtitle: &str) -> Result<(), String> {
    let mut contenders: Vec<&str> = Vec::new();
    for row in results.iter().flat_map(|r| &r.rows) {
        if !contenders.contains(&row.contender) {
            contenders.push(row.contender);
        }
    }
    let group = contenders.len() as i32 * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP;
    let height = (TOP + group * results.len() as i32 + 30) as u32;
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let text = |size| ("sans-serif", size).into_font();
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();

    root.draw(&Text::new(
        "Throughput relative to the fastest contender of each workload (median of rounds)",
        (10, 8),
        text(16).style(FontStyle::Bold),
    ))
    .map_err(err)?;
    root.draw(&Text::new(subtitle.to_string(), (10, 28), text(12)))
        .map_err(err)?;
    let mut x = LABELS;
    for (i, name) in contenders.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        root.draw(&Rectangle::new([(x, 48), (x + 12, 60)], colour.filled()))
            .map_err(err)?;
        root.draw(&Text::new(name.to_string(), (x + 16, 48), text(12)))
            .map_err(err)?;
        x += 24 + 8 * name.len() as i32 + 10;
    }

    let bar_width = WIDTH as i32 - LABELS - 130;
    for (g, result) in results.iter().enumerate() {
        let top = TOP + g as i32 * group;
        let best = result
            .rows
            .iter()
            .map(|r| r.median_ops())
            .fold(0.0, f64::max);
        root.draw(&Text::new(
            result.name.to_string(),
            (10, top + group / 2 - GROUP_GAP),
            text(13),
        ))
        .map_err(err)?;
        for row in &result.rows {
            let i = contenders
                .iter()
                .position(|c| *c == row.contender)
                .unwrap_or(0);
            let y = top + i as i32 * (BAR_HEIGHT + BAR_GAP);
            let ops = row.median_ops();
            let length = ((ops / best) * bar_width as f64).round() as i32;
            root.draw(&Rectangle::new(
                [(LABELS, y), (LABELS + length.max(1), y + BAR_HEIGHT)],
                COLOURS[i % COLOURS.len()].filled(),
            ))
            .map_err(err)?;
            root.draw(&Text::new(
                format!("{:.2} ({:.0}k/s)", ops / best, ops / 1000.0),
                (LABELS + length + 4, y),
                text(10),
            ))
            .map_err(err)?;
        }
    }
    root.present().map_err(|e| e.to_string())
}
