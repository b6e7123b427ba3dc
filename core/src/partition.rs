//! The hour a storage-account export blob holds, from its path
//! (`insights-logs-callsummary/resourceId=/.../y=2026/m=11/d=20/h=15/m=00/PT1H.json`).
//!
//! Azure Monitor writes each hour's records to the blob of that hour, by the time it received
//! them. The engine reads the hours in order, so it knows when no record still to come can be
//! older than a given time (see [`crate::analyzer::Horizon`]).

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

#[cfg(test)]
mod tests {
    use super::*;

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
