//! The words and numbers findings are written with: one place for durations, counts and times,
//! so every analyzer, rule and output says them the same way.

use chrono::{DateTime, Utc};

/// A duration for prose: `75 s` up to two minutes, then `12.5 min`.
pub fn duration(seconds: f64) -> String {
    if seconds <= 120.0 {
        format!("{} s", (seconds * 10.0).round() / 10.0)
    } else {
        format!("{} min", (seconds / 6.0).round() / 10.0)
    }
}

/// A duration as the rule language writes it, so it can be pasted back into a rule:
/// `3600` → `1h`, `90` → `90s`, `0.5` → `500ms`.
pub fn duration_literal(seconds: f64) -> String {
    let s = seconds.round() as i64;
    if s > 0 && s % 86400 == 0 {
        format!("{}d", s / 86400)
    } else if s > 0 && s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s > 0 && s % 60 == 0 {
        format!("{}m", s / 60)
    } else if seconds < 1.0 {
        format!("{}ms", (seconds * 1000.0).round())
    } else {
        format!("{s}s")
    }
}

/// A time for a message, or `an unknown time`.
pub fn when(t: Option<DateTime<Utc>>) -> String {
    t.as_ref()
        .map(crate::time::format_timestamp)
        .unwrap_or_else(|| "an unknown time".to_owned())
}

/// A share as a percentage that never reads `0 %` for a count above zero: `2.2 %`, `0.26 %`,
/// `<0.01 %`; `0 %` only for nothing.
pub fn percent(count: u64, total: u64) -> String {
    if count == 0 || total == 0 {
        return "0 %".to_owned();
    }
    let p = 100.0 * count as f64 / total as f64;
    if p >= 9.95 {
        format!("{p:.0} %")
    } else if p >= 0.995 {
        format!("{p:.1} %")
    } else if p >= 0.005 {
        format!("{p:.2} %")
    } else {
        "<0.01 %".to_owned()
    }
}

/// `4 of 1,150 calls, 0.35 %`.
pub fn share(count: u64, total: u64, one: &str, many: &str) -> String {
    format!(
        "{} of {} {}, {}",
        group_digits(count),
        group_digits(total),
        if total == 1 { one } else { many },
        percent(count, total)
    )
}

/// `1 call`, `1,150 calls`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", group_digits(n))
    }
}

/// `1150` → `1,150`.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `28.3 KiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `was` or `were`, agreeing with a count.
pub fn was(n: usize) -> &'static str {
    if n == 1 { "was" } else { "were" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(75.0), "75 s");
        assert_eq!(duration(120.0), "120 s");
        assert_eq!(duration(750.0), "12.5 min");
        assert_eq!(duration_literal(3600.0), "1h");
        assert_eq!(duration_literal(60.0), "1m");
        assert_eq!(duration_literal(90.0), "90s");
        assert_eq!(duration_literal(0.5), "500ms");
    }

    #[test]
    fn counts() {
        assert_eq!(plural(1, "call", "calls"), "1 call");
        assert_eq!(plural(1150, "call", "calls"), "1,150 calls");
        assert_eq!(bytes(29_000), "28.3 KiB");
    }
}
