//! A hand-written SVG line chart of a run: queue length, desired and in-service capacity over time.

use std::fmt::Write;

use crate::run::Sample;

const W: f64 = 960.0;
const H: f64 = 400.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 56.0;
const BOTTOM: f64 = 44.0;

/// A plotted quantity: label, colour, value.
type Line = (&'static str, &'static str, fn(&Sample) -> i64);

/// The chart as a standalone SVG document.
pub fn plot(samples: &[Sample], title: &str) -> String {
    let t_max = samples.last().map_or(1, |s| s.t_ms.max(1)) as f64;
    let y_max = samples.iter().map(|s| s.queued.max(s.desired).max(s.in_service)).max().unwrap_or(0).max(1);
    let y_top = nice_ceiling(y_max);
    let x = |t: u64| LEFT + (t as f64 / t_max) * (W - LEFT - RIGHT);
    let y = |v: i64| H - BOTTOM - (v.max(0) as f64 / y_top as f64) * (H - TOP - BOTTOM);

    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{LEFT}" y="22" font-size="14">{}</text>
"##,
        escape(title)
    );
    for i in 0..=4 {
        let v = y_top * i / 4;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{v}</text>"##,
            W - RIGHT,
            y(v),
            y(v),
            LEFT - 6.0,
            y(v) + 4.0
        );
    }
    let hours = t_max / 3_600_000.0;
    let step = [1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 168.0].into_iter().find(|s| hours / s <= 12.0).unwrap_or(720.0);
    let mut h = 0.0;
    while h <= hours {
        let px = x((h * 3_600_000.0) as u64);
        let _ = writeln!(
            s,
            r##"<line x1="{px:.1}" x2="{px:.1}" y1="{TOP}" y2="{:.1}" stroke="#eee"/><text x="{px:.1}" y="{:.1}" text-anchor="middle">{h}h</text>"##,
            H - BOTTOM,
            H - BOTTOM + 16.0
        );
        h += step;
    }
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle">hours since the first job</text>"##,
        (LEFT + W - RIGHT) / 2.0,
        H - 8.0
    );
    let series: [Line; 3] =
        [("queued jobs", "#d62728", |s| s.queued), ("desired", "#1f77b4", |s| s.desired), ("in service", "#2ca02c", |s| s.in_service)];
    for (i, (label, color, value)) in series.iter().enumerate() {
        let points: Vec<String> = samples.iter().map(|p| format!("{:.1},{:.1}", x(p.t_ms), y(value(p)))).collect();
        let _ = writeln!(s, r##"<polyline fill="none" stroke="{color}" stroke-width="1.2" points="{}"/>"##, points.join(" "));
        let lx = LEFT + 120.0 * i as f64;
        let _ = writeln!(
            s,
            r##"<line x1="{lx:.1}" x2="{:.1}" y1="38" y2="38" stroke="{color}" stroke-width="3"/><text x="{:.1}" y="42">{label}</text>"##,
            lx + 16.0,
            lx + 20.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// 1, 2, 4, 6 or 8 times a power of ten, at least `v` (so quarter lines fall on integers from 4 up).
fn nice_ceiling(v: i64) -> i64 {
    let mut p: i64 = 1;
    loop {
        for m in [1i64, 2, 4, 6, 8] {
            if m.saturating_mul(p) >= v {
                return m.saturating_mul(p);
            }
        }
        p = p.saturating_mul(10);
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_three_series_and_escapes_the_title() {
        let samples = [
            Sample { t_ms: 0, queued: 3, desired: 1, in_service: 0, pending: 1 },
            Sample { t_ms: 7_200_000, queued: 0, desired: 4, in_service: 4, pending: 0 },
        ];
        let svg = plot(&samples, "a <b> & c");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert_eq!(svg.matches("<polyline").count(), 3);
        assert!(svg.contains("a &lt;b&gt; &amp; c"));
        assert_eq!(nice_ceiling(7), 8);
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(150), 200);
        assert_eq!(nice_ceiling(56), 60);
        assert!(plot(&[], "empty").contains("</svg>"));
    }
}
