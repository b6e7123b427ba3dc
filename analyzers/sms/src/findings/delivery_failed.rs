//! `sms/delivery-failed` and `sms/carrier-no-report`: what the delivery report of a message says, decoded.

use acs_triage_core::finding::SharedText;
use acs_triage_core::{Finding, Severity};

use super::{DOCS, describe, with_ids};
use crate::outcome::{Fate, Outcome};
use crate::records::ReportStatus;
use crate::{CARRIER_NO_REPORT, DELIVERY_FAILED};

pub fn finding(members: &[&Outcome<'_>]) -> Finding {
    let first = members[0];
    let report = first.report;
    let details = report
        .and_then(|r| r.details.as_deref())
        .unwrap_or("no details");
    let status = match report.map(|r| r.status) {
        Some(ReportStatus::Delivered) => "Delivered",
        Some(ReportStatus::Failed) => "Failed",
        Some(ReportStatus::InferredFailed) => "Failed (SMSOperational ResultType)",
        Some(ReportStatus::InferredDelivered) => "Succeeded (SMSOperational ResultType)",
        Some(ReportStatus::Other) | None => "unrecognized",
    };
    let code = first
        .decoded
        .and_then(|d| d.entry.code)
        .map(|c| c.to_string());
    let (severity, meaning, action, source) = match first.decoded {
        Some(d) => (
            d.entry.severity.severity().unwrap_or(Severity::Warning),
            d.entry.meaning.clone(),
            SharedText::from(&d.entry.action),
            Some(SharedText::from(&d.entry.source)),
        ),
        None => (
            Severity::Error,
            format!("The report says \"{details}\", which is in no published status table."),
            SharedText::from(
                "Open an Azure support request with the message ID and the time of the send.",
            ),
            None,
        ),
    };
    let (kind, title) = if first.fate == Fate::CarrierNoReport {
        (
            &CARRIER_NO_REPORT,
            "SMS outcome unknown: the carrier gives no delivery reports".to_owned(),
        )
    } else {
        (
            &DELIVERY_FAILED,
            format!(
                "SMS not delivered{}",
                code.as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            ),
        )
    };
    let verb = if members.len() == 1 { "was" } else { "were" };
    let said = format!("the report says {status}, \"{details}\"");
    let what = if first.fate == Fate::CarrierNoReport {
        format!(
            "{}: {said}, so whether it arrived is unknown",
            describe(members)
        )
    } else {
        format!("{} {verb} not delivered: {said}", describe(members))
    };
    let mut finding = kind
        .finding()
        .severity(severity)
        .title(title)
        .message(format!("{what}. {meaning}"))
        .action(action)
        .docs(DOCS);
    if let Some(code) = code {
        finding = finding.code(code);
    }
    if let Some(source) = source {
        finding = finding.source(source);
    }
    with_ids(finding, members)
}
