//! `sms/delivery-slow`: delivery reports that came late.

use acs_triage_core::Finding;
use acs_triage_core::text::duration;

use super::{REPORTS_DOCS, describe, with_ids};
use crate::DELIVERY_SLOW;
use crate::outcome::Outcome;

pub fn finding(members: &[&Outcome<'_>], limit: f64, median: Option<f64>) -> Finding {
    let worst = members
        .iter()
        .filter_map(|o| o.latency)
        .fold(0.0_f64, f64::max);
    let median = median
        .map(|m| format!("; the median over all reported messages is {}", duration(m)))
        .unwrap_or_default();
    let took = if members.len() == 1 {
        format!("took {} from send to delivery report", duration(worst))
    } else {
        format!(
            "took longer than {} from send to delivery report (slowest {})",
            duration(limit),
            duration(worst)
        )
    };
    with_ids(
        DELIVERY_SLOW
            .finding()
            .message(format!(
                "{} {took}, above the {} this tool flags{median}.",
                describe(members),
                duration(limit)
            ))
            .action(
                "If the slow messages share a carrier or country, tell Azure support with their \
             message IDs; check that the app does not queue sends behind a backlog.",
            )
            .docs(REPORTS_DOCS),
        members,
    )
}
