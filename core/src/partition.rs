//! The hour a storage-account export blob holds, from its path
//! (`insights-logs-callsummary/resourceId=/.../y=2026/m=11/d=20/h=15/m=00/PT1H.json`).
//!
//! Azure Monitor writes each hour's records to the blob of that hour, by the time it received
//! them. The engine reads the hours in order, so it knows when no record still to come can be
//! older than a given time (see [`crate::analyzer::Horizon`]).
//!
//! A file outside such a folder (an Event Grid capture, a Log Analytics export) is placed by the
//! earliest ISO 8601 time found in its first and last few KiB: exports are written in time order,
//! oldest or newest first, so one of its ends holds its earliest records. A compressed file, an
//! archive member or a file without such a time is read before every hour.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use chrono::NaiveDate;

/// The start of the hour a blob path names, in seconds since the Unix epoch; `None` for a path
/// without the `y=/m=/d=/h=` folders.
pub fn hour_of(path: &str) -> Option<i64> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    parts.windows(4).rev().find_map(|w| {
        let y: i32 = w[0].strip_prefix("y=")?.parse().ok()?;
        let m: u32 = w[1].strip_prefix("m=")?.parse().ok()?;
        let d: u32 = w[2].strip_prefix("d=")?.parse().ok()?;
        let h: u32 = w[3].strip_prefix("h=")?.parse().ok()?;
        let start = NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(h, 0, 0)?;
        Some(start.and_utc().timestamp())
    })
}

/// How much of each end of a file [`earliest_hour_of_file`] looks at.
const END_BYTES: u64 = 8 * 1024;

/// The start of the hour of the earliest ISO 8601 time (`2026-11-20T15:...`) in the first and
/// last [`END_BYTES`] of a plain file; `None` when neither end holds one or the file is
/// compressed.
pub fn earliest_hour_of_file(path: &Path) -> Option<i64> {
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let mut head = Vec::new();
    (&mut file).take(END_BYTES).read_to_end(&mut head).ok()?;
    if is_compressed(&head) {
        return None;
    }
    let mut earliest = earliest_hour_in(&head);
    if len > END_BYTES {
        let mut tail = Vec::new();
        file.seek(SeekFrom::Start(
            len.saturating_sub(END_BYTES).max(END_BYTES),
        ))
        .ok()?;
        file.take(END_BYTES).read_to_end(&mut tail).ok()?;
        earliest = earliest.into_iter().chain(earliest_hour_in(&tail)).min();
    }
    earliest
}

/// Gzip, zip, zstd, bzip2 and xz magic numbers: their bytes say nothing about times.
fn is_compressed(head: &[u8]) -> bool {
    const MAGIC: [&[u8]; 5] = [
        b"\x1f\x8b",
        b"PK\x03\x04",
        b"\x28\xb5\x2f\xfd",
        b"BZh",
        b"\xfd7zXZ",
    ];
    MAGIC.iter().any(|m| head.starts_with(m))
}

/// The start of the hour of the earliest `YYYY-MM-DDTHH:` time in `bytes` (years 2000-2199).
pub fn earliest_hour_in(bytes: &[u8]) -> Option<i64> {
    const LEN: usize = "2026-11-20T15:".len();
    let digits = |b: &[u8]| -> Option<u32> {
        b.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let mut earliest: Option<i64> = None;
    for at in memchr::memchr_iter(b'T', bytes) {
        let Some(start) = at.checked_sub(10) else {
            continue;
        };
        let Some(w) = bytes.get(start..start + LEN) else {
            break;
        };
        if w[4] != b'-' || w[7] != b'-' || w[13] != b':' {
            continue;
        }
        let (Some(y), Some(m), Some(d), Some(h)) = (
            digits(&w[..4]),
            digits(&w[5..7]),
            digits(&w[8..10]),
            digits(&w[11..13]),
        ) else {
            continue;
        };
        if !(2000..2200).contains(&y) {
            continue;
        }
        let Some(t) = NaiveDate::from_ymd_opt(y as i32, m, d).and_then(|d| d.and_hms_opt(h, 0, 0))
        else {
            continue;
        };
        let t = t.and_utc().timestamp();
        earliest = Some(earliest.map_or(t, |e| e.min(t)));
    }
    earliest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_time_at_either_end_of_a_file_places_it() {
        let hour = 1_795_186_800; // 2026-11-20T15:00:00Z
        let text = br#"[{"eventTime":"2026-11-20T16:05:00Z","x":"T"},{"eventTime":"2026-11-20T15:59:59.5Z"}]"#;
        assert_eq!(earliest_hour_in(text), Some(hour));
        for nothing in [
            &b"2026-13-20T15:00"[..],
            b"1970-01-01T00:00",
            b"T",
            b"20261120T15:00",
            b"",
        ] {
            assert_eq!(
                earliest_hour_in(nothing),
                None,
                "{}",
                String::from_utf8_lossy(nothing)
            );
        }
        let dir = tempfile::tempdir().unwrap();
        // Newest first: the earliest time is at the end.
        let mut lines = String::new();
        for h in (15..24).rev() {
            let line = format!(
                "{{\"time\":\"2026-11-20T{h:02}:00:00Z\",\"pad\":\"{}\"}}\n",
                "x".repeat(3000)
            );
            lines.push_str(&line);
        }
        let path = dir.path().join("newest-first.json");
        std::fs::write(&path, &lines).unwrap();
        assert_eq!(earliest_hour_of_file(&path), Some(hour));
        let gz = dir.path().join("x.json.gz");
        std::fs::write(&gz, b"\x1f\x8b\x08\x002026-11-20T15:00").unwrap();
        assert_eq!(earliest_hour_of_file(&gz), None);
    }

    #[test]
    fn blob_paths_name_their_hour() {
        let path = "insights-logs-callsummary/resourceId=/SUBSCRIPTIONS/X/y=2026/m=11/d=20/h=15/m=00/PT1H.json";
        assert_eq!(hour_of(path), Some(1_795_186_800));
        assert_eq!(
            hour_of("logs.zip!/y=2026/m=11/d=20/h=16/m=00/PT1H.json"),
            Some(1_795_186_800 + 3600)
        );
        for other in [
            "PT1H.json",
            "y=2026/m=11/d=20/PT1H.json",
            "y=2026/m=13/d=20/h=15/PT1H.json",
            "y=2026/m=11/d=20/h=24/PT1H.json",
            "y=x/m=11/d=20/h=15/PT1H.json",
        ] {
            assert_eq!(hour_of(other), None, "{other}");
        }
    }
}
