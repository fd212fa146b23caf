//! Inline SVG charts: plain bars with labels and values written out, so
//! they read without JavaScript and print well.

use crate::markup::escape;

/// Fills for the series of a chart, most severe first.
const FILLS: [&str; 6] = [
    "#b91c1c", "#c2410c", "#ca8a04", "#64748b", "#0f766e", "#6d28d9",
];

/// How several series share a bar's slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Parts of one whole (incidents by severity).
    Stacked,
    /// Separate measures side by side (median and 90th percentile).
    Grouped,
}

/// A vertical bar chart. `labels` name the slots; each series gives one
/// value per slot.
pub fn bars(
    title: &str,
    labels: &[String],
    series: &[(String, Vec<f64>)],
    layout: Layout,
) -> String {
    let width = 640.0_f64;
    let height = 220.0_f64;
    let (left, bottom, top) = (36.0, 36.0, 24.0);
    let plot_h = height - bottom - top;
    let n = labels.len().max(1) as f64;
    let slot = (width - left - 8.0) / n;
    let value = |s: &(String, Vec<f64>), i: usize| s.1.get(i).copied().unwrap_or(0.0);
    let max = (0..labels.len())
        .map(|i| match layout {
            Layout::Stacked => series.iter().map(|s| value(s, i)).sum(),
            Layout::Grouped => series.iter().map(|s| value(s, i)).fold(0.0, f64::max),
        })
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\" aria-label=\"{}\"><title>{}</title>",
        escape(title),
        escape(title)
    );
    svg.push_str(&format!(
        "<line x1=\"{left}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"currentColor\" stroke-opacity=\"0.4\"/>",
        y = height - bottom,
        x2 = width - 8.0
    ));
    svg.push_str(&format!(
        "<text x=\"{x}\" y=\"{y}\" font-size=\"10\" text-anchor=\"end\" fill=\"currentColor\">{}</text>",
        format_value(max),
        x = left - 4.0,
        y = top + 4.0
    ));
    let label_every = (labels.len() / 12).max(1);
    for (i, label) in labels.iter().enumerate() {
        let x = left + slot * i as f64 + slot * 0.15;
        let bar_w = (slot * 0.7).max(1.0);
        let mut y = height - bottom;
        for (s, (name, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let h = plot_h * v / max;
            let (x, bar_w) = match layout {
                Layout::Stacked => {
                    y -= h;
                    (x, bar_w)
                }
                Layout::Grouped => {
                    y = height - bottom - h;
                    let group_w = bar_w / series.len() as f64;
                    (x + group_w * s as f64, group_w)
                }
            };
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar_w:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{}: {} {}</title></rect>",
                FILLS[s % FILLS.len()],
                escape(label),
                format_value(v),
                escape(name)
            ));
        }
        if i % label_every == 0 {
            svg.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"currentColor\">{}</text>",
                x + bar_w / 2.0,
                height - bottom + 14.0,
                escape(label)
            ));
        }
    }
    if series.len() > 1 {
        for (s, (name, _)) in series.iter().enumerate() {
            let x = left + 90.0 * s as f64;
            svg.push_str(&format!(
                "<rect x=\"{x}\" y=\"4\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"13\" font-size=\"10\" fill=\"currentColor\">{}</text>",
                FILLS[s % FILLS.len()],
                x + 14.0,
                escape(name)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A small trend line of counts, for a row in a table.
pub fn sparkline(title: &str, values: &[usize]) -> String {
    let (width, height) = (120.0_f64, 24.0_f64);
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if values.len() > 1 {
        width / (values.len() - 1) as f64
    } else {
        0.0
    };
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                "{:.1},{:.1}",
                step * i as f64,
                height - 2.0 - (height - 4.0) * *v as f64 / max
            )
        })
        .collect();
    format!(
        "<svg class=\"spark\" role=\"img\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\" aria-label=\"{t}\"><title>{t}</title><polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" points=\"{}\"/></svg>",
        points.join(" "),
        t = escape(title)
    )
}

fn format_value(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 || v >= 100.0 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_label_and_stack_their_values() {
        let svg = bars(
            "Incidents <per> month",
            &["2024-01".into(), "2024-02".into()],
            &[("P0".into(), vec![1.0, 0.0]), ("P1".into(), vec![2.0, 3.0])],
            Layout::Stacked,
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("<title>Incidents &lt;per&gt; month</title>"));
        assert_eq!(
            svg.matches("<rect x").count(),
            3 + 2,
            "three bars and two legend keys"
        );
        assert!(svg.contains("<title>2024-02: 3 P1</title>"));
    }

    #[test]
    fn sparkline_scales_to_the_largest_count() {
        let svg = sparkline("trend", &[0, 2, 1]);
        assert!(
            svg.contains("points=\"0.0,22.0 60.0,2.0 120.0,12.0\""),
            "{svg}"
        );
    }
}
