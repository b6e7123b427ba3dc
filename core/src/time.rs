//! Timestamp parsing for every form the ACS log shapes use.
//!
//! - ISO 8601 / RFC 3339 with `Z` or an offset and any number of fractional digits
//!   (`2022-09-13T00:55:08.2240104+00:00`, `2021-07-05T06:30:06.402Z`);
//! - the same without a zone (`2023-05-09T15:58:30.100`), read as UTC because Azure Monitor
//!   writes UTC everywhere;
//! - the Log Analytics portal's CSV export, which formats in the browser's locale:
//!   `11/20/2026, 3:10:05.120 PM` (US, month first) and `20/11/2026, 15:10:05.120` (day first,
//!   recognized when the first number cannot be a month); the 2020-2021 web SDKs wrote the same
//!   locale dates with milliseconds after a colon (`2/23/2021, 14:35:31:438`).

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// Which number comes first in a `11/05/2026` date: the portal writes dates in the browser's
/// locale, and a date whose numbers are both 12 or less reads either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOrder {
    /// Decided per file from a date that can only be read one way; month first when none can.
    #[default]
    Auto,
    MonthFirst,
    DayFirst,
}

/// Parses a timestamp in any supported form; `None` when the text is not a timestamp. A
/// locale date that reads both ways is read month first unless its first number cannot be a
/// month (files decide once for all their dates: [`parse_timestamp_in`]).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    parse_timestamp_in(text, DateOrder::Auto)
}

/// Like [`parse_timestamp`], with locale dates read in the given order.
pub fn parse_timestamp_in(text: &str, order: DateOrder) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if t.len() < 8 {
        return None;
    }
    let bytes = t.as_bytes();
    if bytes[0].is_ascii_digit() && bytes.len() > 10 && bytes[4] == b'-' {
        return parse_iso(t);
    }
    if t.contains('/') {
        return parse_locale(t, order);
    }
    None
}

/// The order a locale date proves (one of its first two numbers is over 12), if it is one.
pub fn proven_order(text: &str) -> Option<DateOrder> {
    let (date_part, _) = text.trim().split_once([',', ' '])?;
    let mut nums = date_part.trim().split('/');
    let a: u32 = nums.next()?.trim().parse().ok()?;
    let b: u32 = nums.next()?.trim().parse().ok()?;
    match (a > 12, b > 12) {
        (true, false) => Some(DateOrder::DayFirst),
        (false, true) => Some(DateOrder::MonthFirst),
        _ => None,
    }
}

fn parse_iso(t: &str) -> Option<DateTime<Utc>> {
    if let Some(dt) = parse_utc_fixed(t.as_bytes()) {
        return Some(dt);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    // RFC 3339 with a space separator, or lower-case markers.
    let normalized: String = t
        .chars()
        .enumerate()
        .map(|(i, c)| match (i, c) {
            (10, ' ') | (10, 't') => 'T',
            (_, 'z') => 'Z',
            _ => c,
        })
        .collect();
    if let Ok(dt) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&normalized, fmt) {
            return Some(naive.and_utc());
        }
    }
    None
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, the form of nearly every record's time, read without the
/// general parser (a sizeable part of classifying a record). Anything else, including a date
/// or time that does not exist and a leap second, is `None` and goes to the general parser,
/// which gives the same result for every text this one reads.
fn parse_utc_fixed(b: &[u8]) -> Option<DateTime<Utc>> {
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        b.get(range)?.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b.len() < 20 || [b[4], b[7], b[10], b[13], b[16]] != *b"--T::" || b[b.len() - 1] != b'Z' {
        return None;
    }
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => {
            digits(20..b.len() - 1)? * 10u32.pow(9 - fraction.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)?;
    // Second 60 (a leap second) is no time here.
    let time = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    Some(
        date.and_hms_nano_opt(time.0, time.1, time.2, nanos)?
            .and_utc(),
    )
}

/// `M/D/YYYY, h:mm:ss.fff AM` and `D/M/YYYY, HH:mm:ss.fff`, with or without the comma,
/// seconds fraction or AM/PM marker.
fn parse_locale(t: &str, order: DateOrder) -> Option<DateTime<Utc>> {
    let (date_part, time_part) = t.split_once([',', ' '])?;
    let mut nums = date_part.trim().split('/');
    let a: u32 = nums.next()?.trim().parse().ok()?;
    let b: u32 = nums.next()?.trim().parse().ok()?;
    let y: i32 = nums.next()?.trim().parse().ok()?;
    if nums.next().is_some() {
        return None;
    }
    let (month, day) = match order {
        DateOrder::DayFirst => (b, a),
        DateOrder::MonthFirst => (a, b),
        DateOrder::Auto if a > 12 => (b, a),
        DateOrder::Auto => (a, b),
    };
    let date = NaiveDate::from_ymd_opt(y, month, day)?;

    let time_text = time_part.trim();
    let (clock, meridiem) = match time_text.rsplit_once(' ') {
        Some((clock, m)) if m.eq_ignore_ascii_case("AM") || m.eq_ignore_ascii_case("PM") => {
            (clock.trim(), Some(m.eq_ignore_ascii_case("PM")))
        }
        _ => (time_text, None),
    };
    let mut hms = clock.split(':');
    let mut hour: u32 = hms.next()?.trim().parse().ok()?;
    let minute: u32 = hms.next()?.trim().parse().ok()?;
    let (second, mut nanos) = match hms.next() {
        Some(sec) => parse_seconds(sec.trim())?,
        None => (0, 0),
    };
    // Web SDKs of 2020-2021 write milliseconds after a colon, unpadded: `9:8:51:217`.
    if let Some(millis) = hms.next() {
        let millis = millis.trim();
        if nanos != 0 || millis.len() > 3 || hms.next().is_some() {
            return None;
        }
        nanos = millis.parse::<u32>().ok()? * 1_000_000;
    }
    if let Some(pm) = meridiem {
        if hour == 0 || hour > 12 {
            return None;
        }
        hour = match (hour, pm) {
            (12, false) => 0,
            (12, true) => 12,
            (h, true) => h + 12,
            (h, false) => h,
        };
    }
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

fn parse_seconds(text: &str) -> Option<(u32, u32)> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: u32 = whole.parse().ok()?;
    if frac.is_empty() {
        return Some((secs, 0));
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = frac.chars().take(9).collect();
    let scale = 10u32.pow(9 - digits.len() as u32);
    Some((secs, digits.parse::<u32>().ok()? * scale))
}

/// `t` moved by `seconds` (which may be fractional or negative), or `None` when the result is
/// not a representable time. Log values such as `participantDuration: 1e300` are user input, so
/// arithmetic on them never panics.
pub fn offset(t: DateTime<Utc>, seconds: f64) -> Option<DateTime<Utc>> {
    let millis = seconds * 1000.0;
    if !millis.is_finite() || millis.abs() > i64::MAX as f64 / 2.0 {
        return None;
    }
    t.checked_add_signed(chrono::TimeDelta::try_milliseconds(millis as i64)?)
}

/// Formats a timestamp the way every output of the tool does: RFC 3339, UTC, milliseconds.
pub fn format_timestamp(t: &DateTime<Utc>) -> String {
    const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";
    let (date, time) = (t.date_naive(), t.time());
    // Written digit by digit (a large report writes hundreds of thousands); years of other than
    // four digits and leap seconds go through chrono's formatter.
    let year = u32::try_from(date.year()).ok();
    let Some(year) = year.filter(|&y| y <= 9999 && time.nanosecond() < 1_000_000_000) else {
        return t.format(FORMAT).to_string();
    };
    let mut out = [0u8; 24];
    let mut put = |at: usize, width: usize, mut n: u32| {
        for slot in out[at..at + width].iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, date.month());
    put(8, 2, date.day());
    put(11, 2, time.hour());
    put(14, 2, time.minute());
    put(17, 2, time.second());
    put(20, 3, time.nanosecond() / 1_000_000);
    for (at, mark) in [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
        (23, b'Z'),
    ] {
        out[at] = mark;
    }
    out.iter().map(|&b| char::from(b)).collect()
}

/// Serializes an optional timestamp with [`format_timestamp`] (for `#[serde(serialize_with)]`).
pub fn serialize_opt<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_timestamp(t)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(t: &str) -> String {
        format_timestamp(&parse_timestamp(t).unwrap_or_else(|| panic!("no parse: {t}")))
    }

    proptest::proptest! {
        /// Timestamps are written as chrono's formatter writes them, in every year it can hold
        /// and with leap seconds.
        #[test]
        fn timestamps_are_written_as_chrono_writes_them(
            minutes in -7_000_000_000i64..7_000_000_000,
            second in 0i64..60,
            nanos in 0u32..1_000_000_000,
            leap in proptest::bool::weighted(0.1),
        ) {
            // A leap second is the 59th second with a second's worth more nanoseconds.
            let (second, nanos) = if leap { (59, nanos + 1_000_000_000) } else { (second, nanos) };
            let t = DateTime::from_timestamp(minutes * 60 + second, nanos);
            let t = t.expect("in chrono's range");
            let chrono = t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            proptest::prop_assert_eq!(format_timestamp(&t), chrono);
        }

        /// The fixed-form reader agrees with the general parser on every text it reads, and
        /// reads every valid time of its form.
        #[test]
        fn the_fixed_form_reads_as_the_general_parser(
            (y, mo, d) in (0u32..10000, 0u32..14, 0u32..33),
            (h, mi, s) in (0u32..26, 0u32..62, 0u32..62),
            fraction in "[0-9]{0,11}",
            zone in proptest::sample::select(vec!["Z", "z", "+00:00", ""]),
        ) {
            let dot = if fraction.is_empty() { "" } else { "." };
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{dot}{fraction}{zone}");
            let general = DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc));
            let fixed = parse_utc_fixed(text.as_bytes());
            if fixed.is_some() {
                proptest::prop_assert_eq!(fixed, general);
            } else if zone == "Z" && fraction.len() <= 9 && s < 60 {
                proptest::prop_assert_eq!(general, None);
            }
        }
    }

    #[test]
    fn iso_forms() {
        assert_eq!(iso("2021-07-05T06:30:06.402Z"), "2021-07-05T06:30:06.402Z");
        assert_eq!(
            iso("2022-09-13T00:55:08.2240104+00:00"),
            "2022-09-13T00:55:08.224Z"
        );
        assert_eq!(iso("2022-08-09T16:00:32Z"), "2022-08-09T16:00:32.000Z");
        assert_eq!(iso("2023-05-09T15:58:30.100"), "2023-05-09T15:58:30.100Z");
        assert_eq!(iso("2023-05-09 15:58:30.1Z"), "2023-05-09T15:58:30.100Z");
        assert_eq!(iso("2024-01-09T17:06:50.3Z"), "2024-01-09T17:06:50.300Z");
        assert_eq!(iso("2020-09-18T02:22:20+02:00"), "2020-09-18T00:22:20.000Z");
        assert_eq!(
            iso("2022-08-17T23:18:26.4332392Z"),
            "2022-08-17T23:18:26.433Z"
        );
    }

    #[test]
    fn portal_locale_forms() {
        assert_eq!(iso("5/25/2023, 5:43:25.746 PM"), "2023-05-25T17:43:25.746Z");
        assert_eq!(
            iso("11/20/2026, 3:10:05.120 PM"),
            "2026-11-20T15:10:05.120Z"
        );
        assert_eq!(
            iso("5/24/2023, 12:57:40.480 AM"),
            "2023-05-24T00:57:40.480Z"
        );
        assert_eq!(iso("5/24/2023, 12:57:40 PM"), "2023-05-24T12:57:40.000Z");
        assert_eq!(iso("20/11/2026, 15:10:05.120"), "2026-11-20T15:10:05.120Z");
        assert_eq!(iso("11/20/2026 15:10"), "2026-11-20T15:10:00.000Z");
        // Web SDK logs of 2020-2021: milliseconds after a colon, unpadded.
        assert_eq!(iso("2/23/2021, 14:35:31:438"), "2021-02-23T14:35:31.438Z");
        assert_eq!(iso("18/05/2021, 9:8:51:217"), "2021-05-18T09:08:51.217Z");
        assert_eq!(iso("18/05/2021, 9:8:51:7"), "2021-05-18T09:08:51.007Z");
        assert_eq!(parse_timestamp("18/05/2021, 9:8:51.5:217"), None);
        assert_eq!(parse_timestamp("18/05/2021, 9:8:51:2170"), None);
    }

    #[test]
    fn offsets_never_overflow() {
        let t = parse_timestamp("2026-11-20T15:00:00Z").unwrap();
        assert_eq!(
            offset(t, 1.5).map(|t| format_timestamp(&t)).as_deref(),
            Some("2026-11-20T15:00:01.500Z")
        );
        for huge in [1e300, -1e300, 1e26, f64::NAN, f64::INFINITY, 9.2e15] {
            assert_eq!(offset(t, huge), None, "{huge}");
        }
    }

    #[test]
    fn date_order_decided_once() {
        let day_first =
            |t| parse_timestamp_in(t, DateOrder::DayFirst).map(|t| format_timestamp(&t));
        assert_eq!(
            day_first("05/11/2026, 10:00").as_deref(),
            Some("2026-11-05T10:00:00.000Z")
        );
        assert_eq!(
            day_first("13/11/2026, 10:00").as_deref(),
            Some("2026-11-13T10:00:00.000Z")
        );
        assert_eq!(day_first("11/13/2026, 10:00"), None);
        assert_eq!(proven_order("13/11/2026, 10:00"), Some(DateOrder::DayFirst));
        assert_eq!(
            proven_order("11/13/2026, 10:00 PM"),
            Some(DateOrder::MonthFirst)
        );
        assert_eq!(proven_order("05/11/2026, 10:00"), None);
        assert_eq!(proven_order("2026-11-05T10:00:00Z"), None);
    }

    #[test]
    fn rejects_non_timestamps() {
        for t in [
            "",
            "202",
            "hello world",
            "13/13/2026, 1:00 PM",
            "1/1/2026, 13:00 PM",
            "2026-13-01T00:00:00Z",
            "a/b/c, d",
        ] {
            assert_eq!(parse_timestamp(t), None, "{t}");
        }
    }
}
