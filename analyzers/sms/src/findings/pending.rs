//! `sms/report-pending`: messages too recent to judge.

use acs_triage_core::time::format_timestamp;
use acs_triage_core::{Finding, text};

use super::{describe, with_ids};
use crate::REPORT_PENDING;
use crate::outcome::{Judge, Outcome};

pub fn finding(pending: &[&Outcome<'_>], judge: &Judge<'_>) -> Finding {
    let end = judge
        .latest
        .as_ref()
        .map(format_timestamp)
        .unwrap_or_default();
    with_ids(
        REPORT_PENDING
            .finding()
            .message(format!(
            "{} {} accepted less than {} before the last SMS record ({end}); a delivery report \
             may still come.",
            describe(pending),
            if pending.len() == 1 { "was" } else { "were" },
            text::duration_literal(judge.wait.num_seconds() as f64)
        ))
        .action(
            "Collect logs that reach past the wait (or run again later) to learn their outcome.",
        ),
        pending,
    )
}
