//! The SMS tables: every message with its outcome, and messages per outcome.

use std::collections::BTreeMap;

use acs_triage_core::redact::mask_phone;
use acs_triage_core::{Column, Table, TableKind, text};

use crate::message::{SEEN_REPORT, SEEN_SEND_LOG, SEEN_SEND_RESPONSE};
use crate::outcome::{Fate, Outcome};
use crate::records::ReportStatus;

/// Every message (`analyze --table sms/messages`).
pub static MESSAGES: TableKind = TableKind {
    id: "sms/messages",
    title: "SMS messages",
    doc: "One row per SMS message: recipient and sender (masked), when it was sent, what became of it, the delivery status its report gave, how long the report took, and which logs held its pieces.",
    columns: &[
        Column::text("message ID"),
        Column::text("to"),
        Column::text("from"),
        Column::text("sent (UTC)"),
        Column::text("outcome"),
        Column::text("delivery status"),
        Column::text("report after"),
        Column::text("seen in"),
    ],
};

/// Messages per outcome (`analyze --table sms/outcomes`; the HTML report charts it).
pub static OUTCOMES: TableKind = TableKind {
    id: "sms/outcomes",
    title: "SMS outcomes",
    doc: "How many messages ended each way: delivered, failed, unknown, pending, refused, throttled.",
    columns: &[Column::text("outcome"), Column::integer("messages")],
};

/// Messages per outcome (`closed`: the fates of messages let go earlier).
pub fn outcomes(outcomes: &[Outcome<'_>], closed: &BTreeMap<Fate, u64>) -> Table {
    let mut counts: BTreeMap<Fate, u64> = closed.clone();
    for o in outcomes {
        *counts.entry(o.fate).or_default() += 1;
    }
    let mut table = OUTCOMES.table();
    for (fate, n) in counts {
        table.push(vec![fate.label().to_owned(), n.to_string()]);
    }
    table
}

/// One row per message: what became of it, and where each piece was seen.
pub fn messages(outcomes: &[Outcome<'_>]) -> Table {
    let mut table = MESSAGES.table();
    for o in outcomes {
        let m = o.message;
        let status = match (o.report, o.refusal) {
            (Some(r), _) => {
                let word = match r.status {
                    ReportStatus::Delivered => "Delivered",
                    ReportStatus::Failed => "Failed",
                    ReportStatus::InferredDelivered => "Delivered (SMSOperational: Succeeded)",
                    ReportStatus::InferredFailed => "Failed (SMSOperational: Failed)",
                    ReportStatus::Other => "other",
                };
                match r.details.as_deref() {
                    Some(d) => format!("{word}: {d}"),
                    None => word.to_owned(),
                }
            }
            (None, Some(r)) => format!("HTTP {}", r.status),
            (None, None) => String::new(),
        };
        let mut seen = Vec::new();
        if m.seen & SEEN_SEND_LOG != 0 {
            seen.push("send log");
        }
        if m.seen & SEEN_SEND_RESPONSE != 0 {
            seen.push("send response");
        }
        if m.seen & SEEN_REPORT != 0 {
            seen.push(if m.reports.len() > 1 {
                "reports"
            } else {
                "report"
            });
        }
        if m.send.is_none() {
            seen.push("(send not in these logs)");
        }
        table.push(vec![
            o.id.to_owned(),
            m.to.as_deref().map(mask_phone).unwrap_or_default(),
            m.from.as_deref().map(mask_phone).unwrap_or_default(),
            m.send
                .and_then(|s| s.at)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
                .unwrap_or_default(),
            o.fate.label().to_owned(),
            status,
            o.latency.map(text::duration).unwrap_or_default(),
            seen.join(", "),
        ]);
    }
    table
}
