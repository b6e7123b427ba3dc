//! Charts as inline SVG, so the HTML report is one file that needs no network and no script to
//! show them. The charts are simple (bars, histograms, lanes); drawing them here keeps the
//! report free of chart libraries and of the system font stack a plotting crate needs to lay
//! out text.

use std::fmt::Write;

/// Colours by severity, shared with the report's CSS.
pub const ERROR: &str = "#c62828";
pub const WARNING: &str = "#ef6c00";
pub const INFO: &str = "#1565c0";
pub const NORMAL: &str = "#78909c";
pub const GOOD: &str = "#2e7d32";
const GRID: &str = "#e0e0e0";

const FONT: &str = "font-family=\"system-ui, sans-serif\" font-size=\"12\"";

/// Text for SVG and HTML: `& < > " '` escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The opening tag of a chart: drawn in a `width` × `height` box, scaled to the page up to
/// `max_px` wide, named for screen readers.
fn open_svg(title: &str, width: f64, height: f64, max_px: u32) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{}" viewBox="0 0 {width} {height}" width="100%" style="max-width:{max_px}px">"#,
        escape(title)
    )
}

/// Shortens a label to `max` characters.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

/// One bar of a horizontal bar chart.
pub struct Bar {
    pub label: String,
    pub value: u64,
    pub color: &'static str,
    /// Shown on hover.
    pub tooltip: String,
}

/// Horizontal bars, largest scale first, values written at the bar ends.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    let row = 24;
    let label_w = 190;
    let chart_w = 200;
    let height = 30 + bars.len() * row;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(1).max(1) as f64;
    let mut s = open_svg(title, (label_w + chart_w + 50) as f64, height as f64, 560);
    for (i, b) in bars.iter().enumerate() {
        let y = 10 + i * row;
        let w = ((b.value as f64 / max) * chart_w as f64).max(1.0);
        let _ = write!(
            s,
            r#"<g><title>{tip}</title><text x="{lx}" y="{ty}" text-anchor="end" {FONT}>{label}</text><rect x="{x}" y="{y}" width="{w:.1}" height="{h}" fill="{c}" rx="2"/><text x="{vx:.1}" y="{ty}" {FONT}>{v}</text></g>"#,
            tip = escape(&b.tooltip),
            lx = label_w - 8,
            ty = y + 15,
            label = escape(&clip(&b.label, 24)),
            x = label_w,
            h = row - 6,
            c = b.color,
            vx = label_w as f64 + w + 6.0,
            v = b.value,
        );
    }
    s.push_str("</svg>");
    s
}

/// One bucket of a histogram.
pub struct Bucket {
    pub from: f64,
    pub to: Option<f64>,
    pub count: u64,
}

/// A histogram of measurements with the threshold drawn across it; buckets on the poor side
/// are red. Heights are on a log scale, so one poor stream among a thousand good ones still
/// shows.
pub fn histogram(
    title: &str,
    unit: &str,
    threshold: f64,
    poor_above: bool,
    buckets: &[Bucket],
) -> String {
    let (w, h, left, bottom) = (360.0, 170.0, 36.0, 30.0);
    let plot_h = h - bottom - 14.0;
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
    let scale = |count: u64| (1.0 + count as f64).ln() / (1.0 + max).ln();
    let bw = (w - left - 8.0) / buckets.len().max(1) as f64;
    let mut s = open_svg(title, w, h, 380);
    let _ = write!(
        s,
        r#"<text x="{left}" y="11" {FONT} font-weight="600">{}</text>"#,
        escape(title)
    );
    for (i, b) in buckets.iter().enumerate() {
        let bh = scale(b.count) * plot_h;
        let x = left + i as f64 * bw;
        let y = 14.0 + plot_h - bh;
        let mid = b.to.map_or(b.from, |t| (b.from + t) / 2.0);
        let poor = if poor_above {
            mid > threshold
        } else {
            mid < threshold
        };
        let range = match b.to {
            Some(t) => format!("{}–{} {unit}", num(b.from), num(t)),
            None => format!("≥ {} {unit}", num(b.from)),
        };
        let _ = write!(
            s,
            r#"<g><title>{}: {} streams</title><rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{}"/></g>"#,
            escape(&range),
            b.count,
            (bw - 2.0).max(1.0),
            if poor { ERROR } else { GOOD }
        );
        if i % 2 == 0 {
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{}" font-family="system-ui, sans-serif" font-size="9">{}</text>"#,
                h - bottom + 12.0,
                escape(&num(b.from))
            );
        }
    }
    // The threshold: bucket edges are fifths of it, so it sits after the fifth bucket.
    let tx = left + 5.0 * bw;
    let _ = write!(
        s,
        r#"<line x1="{tx:.1}" y1="14" x2="{tx:.1}" y2="{:.1}" stroke="{ERROR}" stroke-dasharray="4 3" stroke-width="1.5"/><text x="{:.1}" y="{}" {FONT} fill="{ERROR}">threshold {} {}</text>"#,
        14.0 + plot_h,
        tx + 4.0,
        26,
        escape(&num(threshold)),
        escape(unit)
    );
    let _ = write!(
        s,
        r#"<text x="2" y="{}" font-family="system-ui, sans-serif" font-size="9">{}</text>"#,
        h - 4.0,
        escape(&format!(
            "streams, by {unit}; log scale, peak {}",
            max as u64
        ))
    );
    s.push_str("</svg>");
    s
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// Findings per hour, stacked by severity (errors at the bottom).
pub fn over_time(title: &str, bins: &[(String, [u64; 3])]) -> String {
    let (w, h, left, bottom) = (760.0, 200.0, 36.0, 40.0);
    let plot_h = h - bottom - 10.0;
    let max = bins
        .iter()
        .map(|(_, c)| c.iter().sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let bw = ((w - left - 8.0) / bins.len().max(1) as f64).min(60.0);
    let mut s = open_svg(title, w, h, 780);
    let colors = [ERROR, WARNING, INFO];
    // A label is about 60 units wide: skip bins so labels never overlap.
    let every = ((62.0 / bw).ceil() as usize).max(1);
    for (i, (label, counts)) in bins.iter().enumerate() {
        let x = left + i as f64 * bw;
        let mut y = 10.0 + plot_h;
        for (k, n) in counts.iter().enumerate() {
            if *n == 0 {
                continue;
            }
            let bh = (*n as f64 / max) * plot_h;
            y -= bh;
            let _ = write!(
                s,
                r#"<g><title>{}: {n} {}</title><rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{}"/></g>"#,
                escape(label),
                ["errors", "warnings", "info"][k],
                (bw - 2.0).max(1.0),
                colors[k]
            );
        }
        if i % every == 0 {
            let _ = write!(
                s,
                r#"<text x="{x:.1}" y="{}" font-family="system-ui, sans-serif" font-size="9">{}</text>"#,
                h - bottom + 12.0,
                escape(label)
            );
        }
    }
    let _ = write!(
        s,
        r#"<text x="2" y="{}" font-family="system-ui, sans-serif" font-size="9">peak {} findings in an hour (UTC)</text>"#,
        h - 6.0,
        max as u64
    );
    s.push_str("</svg>");
    s
}

/// One participant's time in a call.
pub struct Lane {
    pub who: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub reason: String,
    pub color: &'static str,
}

/// A call's participants as lanes from joining to leaving, each labelled with its end reason,
/// under a time axis of seconds from the first join (`start_label` names that moment).
pub fn timeline(title: &str, start_label: &str, lanes: &[Lane]) -> String {
    let (label_w, chart_w, row, axis) = (300.0, 400.0, 26.0, 22.0);
    let h = axis + 24.0 + lanes.len() as f64 * row;
    let start = lanes.iter().map(|l| l.start_ms).min().unwrap_or(0);
    let end = lanes.iter().map(|l| l.end_ms).max().unwrap_or(start);
    let span = ((end - start) as f64).max(1000.0);
    let mut s = open_svg(title, label_w + chart_w + 90.0, h, 820);
    // The axis: five ticks with seconds from the first join.
    for k in 0..=4 {
        let x = label_w + chart_w * k as f64 / 4.0;
        let seconds = span / 1000.0 * k as f64 / 4.0;
        let _ = write!(
            s,
            r#"<line x1="{x:.1}" y1="{axis}" x2="{x:.1}" y2="{:.1}" stroke="{GRID}"/><text x="{x:.1}" y="14" text-anchor="middle" font-family="system-ui, sans-serif" font-size="9">+{} s</text>"#,
            h - 18.0,
            num((seconds * 10.0).round() / 10.0)
        );
    }
    for (i, l) in lanes.iter().enumerate() {
        let y = axis + 4.0 + i as f64 * row;
        let x = label_w + (l.start_ms - start) as f64 / span * chart_w;
        let w = ((l.end_ms - l.start_ms) as f64 / span * chart_w).max(3.0);
        let _ = write!(
            s,
            r#"<g><title>{tip}</title><text x="{lx}" y="{ty:.1}" text-anchor="end" font-family="ui-monospace, monospace" font-size="10">{who}</text><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{bh}" fill="{c}" rx="3"/><text x="{rx:.1}" y="{ty:.1}" {FONT}>{reason}</text></g>"#,
            tip = escape(&format!("{}: ended {}", l.who, l.reason)),
            lx = label_w - 8.0,
            ty = y + 14.0,
            who = escape(&clip(&l.who, 44)),
            bh = row - 8.0,
            c = l.color,
            rx = x + w + 5.0,
            reason = escape(&l.reason),
        );
    }
    let _ = write!(
        s,
        r#"<text x="{label_w}" y="{:.1}" font-family="system-ui, sans-serif" font-size="9">seconds from the first join ({}) to the last leave</text>"#,
        h - 4.0,
        escape(start_label)
    );
    s.push_str("</svg>");
    s
}
