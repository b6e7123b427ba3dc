//! Time windows over sorted timestamps (milliseconds): bursts and the busiest window. Shared by
//! threshold rules and the throttling analyses, which judge "how many within how long".

use std::ops::Range;

/// Splits sorted times into runs whose neighbours are no more than `gap` apart.
pub fn runs(times: &[i64], gap: i64) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=times.len() {
        if i == times.len() || times[i] - times[i - 1] > gap {
            if start < i {
                out.push(start..i);
            }
            start = i;
        }
    }
    out
}

/// Splits items sorted by time (those without a time last) into bursts whose neighbours are no
/// more than `gap_ms` apart; the items without a time form one group of their own, at the end.
pub fn bursts<T>(
    items: &[T],
    time: impl Fn(&T) -> Option<chrono::DateTime<chrono::Utc>>,
    gap_ms: i64,
) -> Vec<Range<usize>> {
    let times: Vec<i64> = items
        .iter()
        .map_while(|i| time(i).map(|t| t.timestamp_millis()))
        .collect();
    let mut out = runs(&times, gap_ms);
    if times.len() < items.len() {
        out.push(times.len()..items.len());
    }
    out
}

/// The largest number of sorted times inside one window `width` long (both ends included), and
/// the time the first of them falls on.
pub fn busiest(times: &[i64], width: i64) -> (usize, Option<i64>) {
    let mut best = (0, None);
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi] - times[lo] > width {
            lo += 1;
        }
        if hi - lo + 1 > best.0 {
            best = (hi - lo + 1, Some(times[lo]));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_on_gaps() {
        assert_eq!(runs(&[], 10), Vec::<Range<usize>>::new());
        assert_eq!(runs(&[0, 5, 10, 30, 35], 10), vec![0..3, 3..5]);
        assert_eq!(runs(&[0, 11], 10), vec![0..1, 1..2]);
    }

    #[test]
    fn busiest_window() {
        assert_eq!(busiest(&[], 10), (0, None));
        assert_eq!(busiest(&[0, 5, 10, 11, 30], 10), (3, Some(0)));
        assert_eq!(busiest(&[0, 20, 21, 22, 30], 10), (4, Some(20)));
    }
}
