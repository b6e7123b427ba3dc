//! `sms/delivery`: what became of each SMS message.
//!
//! A message is one entity, keyed by its message ID, whatever file its pieces are in: the send
//! (`SMSOperational` `SMSMessagesSent`, or an item of a send response) and its delivery reports
//! (Event Grid `SMSDeliveryReportReceived` in either schema and casing, `SMSOperational`
//! `SMSDeliveryReportsReceived`, a REST delivery report). Failed reports are decoded with
//! `rules/catalog/sms_delivery_status.csv`; refused send items with `sms_send_status.csv`.

use acs_triage_core::Output;
use acs_triage_core::analyzer::{
    Analyzer, AnalyzerInfo, Context, EntityAnalysis, EntityPass, Pass,
};
use acs_triage_core::catalog::Decoded;
use acs_triage_core::redact::mask_phone;
use acs_triage_core::{Evidence, Family, Finding, Format, IdKind, Occurrences, Record, Severity};

const REPORT_FIELDS: &[&str] = &[
    "messageId",
    "deliveryStatus",
    "deliveryStatusDetails",
    "receivedTimestamp",
    "operationName",
];
const SEND_FIELDS: &[&str] = &[
    "messageId",
    "httpStatusCode",
    "successful",
    "errorMessage",
    "repeatabilityResult",
    "operationName",
    "resultSignature",
];

pub struct Delivery;

pub static DELIVERY: Delivery = Delivery;

impl Analyzer for Delivery {
    fn info(&self) -> AnalyzerInfo {
        AnalyzerInfo {
            id: "sms/delivery",
            title: "SMS delivery outcomes",
            families: &[Family::Sms, Family::Unknown],
            findings: &["sms/delivery-failed", "sms/send-refused"],
            tables: &[],
        }
    }

    fn start(&self, _ctx: &Context) -> Box<dyn Pass> {
        Box::new(EntityPass::new(Delivery))
    }
}

/// A delivery report's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Report {
    status: String,
    details: Option<String>,
    occurrences: Occurrences,
}

/// A refused send item (per recipient).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    http_status: i64,
    repeatability: Option<String>,
    error_message: Option<String>,
    occurrences: Occurrences,
}

/// Everything known about one message.
#[derive(Debug, Default)]
pub struct Message {
    to: Option<String>,
    from: Option<String>,
    reports: Vec<Report>,
    refusals: Vec<Refusal>,
}

/// What kind of SMS record this is.
enum Kind {
    Report,
    SendItem,
    Other,
}

fn kind(record: &Record<'_>) -> Kind {
    if record.format == Format::SmsSendResponse {
        return Kind::SendItem;
    }
    if record.get("deliveryStatus").is_some()
        || record
            .category_name()
            .ends_with("SMSDeliveryReportReceived")
        || record
            .text("operationName")
            .is_some_and(|op| op.eq_ignore_ascii_case("SMSDeliveryReportsReceived"))
    {
        return Kind::Report;
    }
    Kind::Other
}

fn message_id(record: &Record<'_>) -> Option<String> {
    record
        .sms_message_id()
        .or_else(|| record.text("messageId"))
        .map(|m| m.into_owned())
}

impl EntityAnalysis for Delivery {
    type Key = String;
    type State = Message;

    fn key(&self, _ctx: &Context, record: &Record<'_>) -> Option<String> {
        match kind(record) {
            Kind::Report => message_id(record),
            // Refused recipients may have no message ID: key them by their number.
            Kind::SendItem => {
                message_id(record).or_else(|| record.text("to").map(|t| format!("to:{t}")))
            }
            Kind::Other => None,
        }
    }

    fn observe(&self, _ctx: &Context, state: &mut Message, record: &Record<'_>) {
        if state.to.is_none() {
            state.to = record.text("to").map(|t| t.into_owned());
        }
        if state.from.is_none() {
            state.from = record.text("from").map(|t| t.into_owned());
        }
        match kind(record) {
            Kind::Report => {
                let status = record
                    .text("deliveryStatus")
                    .map(|s| s.into_owned())
                    .unwrap_or_else(|| "Unknown".to_owned());
                let details = record.text("deliveryStatusDetails").map(|s| s.into_owned());
                let evidence = Evidence::from_record(record, REPORT_FIELDS);
                match state
                    .reports
                    .iter_mut()
                    .find(|r| r.status == status && r.details == details)
                {
                    Some(r) => r.occurrences.add(evidence),
                    None => {
                        let mut occurrences = Occurrences::default();
                        occurrences.add(evidence);
                        state.reports.push(Report {
                            status,
                            details,
                            occurrences,
                        });
                    }
                }
            }
            Kind::SendItem => {
                let http_status = record.int("httpStatusCode").unwrap_or(0);
                let successful = record
                    .get("successful")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(http_status == 202);
                if successful && http_status == 202 {
                    return;
                }
                let repeatability = record.text("repeatabilityResult").map(|s| s.into_owned());
                let error_message = record.text("errorMessage").map(|s| s.into_owned());
                let evidence = Evidence::from_record(record, SEND_FIELDS);
                match state
                    .refusals
                    .iter_mut()
                    .find(|r| r.http_status == http_status && r.repeatability == repeatability)
                {
                    Some(r) => r.occurrences.add(evidence),
                    None => {
                        let mut occurrences = Occurrences::default();
                        occurrences.add(evidence);
                        state.refusals.push(Refusal {
                            http_status,
                            repeatability,
                            error_message,
                            occurrences,
                        });
                    }
                }
            }
            Kind::Other => {}
        }
    }

    fn merge(&self, into: &mut Message, from: Message) {
        if into.to.is_none() {
            into.to = from.to;
        }
        if into.from.is_none() {
            into.from = from.from;
        }
        for report in from.reports {
            match into
                .reports
                .iter_mut()
                .find(|r| r.status == report.status && r.details == report.details)
            {
                Some(r) => r.occurrences.merge(report.occurrences),
                None => into.reports.push(report),
            }
        }
        for refusal in from.refusals {
            match into.refusals.iter_mut().find(|r| {
                r.http_status == refusal.http_status && r.repeatability == refusal.repeatability
            }) {
                Some(r) => {
                    r.occurrences.merge(refusal.occurrences);
                    if r.error_message > refusal.error_message {
                        r.error_message = refusal.error_message;
                    }
                }
                None => into.refusals.push(refusal),
            }
        }
    }

    fn finish(&self, ctx: &Context, key: String, state: Message, out: &mut Output) {
        let message_id = (!key.starts_with("to:")).then_some(key.as_str());
        let to = state.to.as_deref().map(mask_phone);
        let recipient = to
            .as_deref()
            .map(|t| format!(" to {t}"))
            .unwrap_or_default();
        let mut reports = state.reports;
        reports.sort_by(|a, b| a.occurrences.evidence.cmp(&b.occurrences.evidence));
        for report in reports {
            let failed = report.status.eq_ignore_ascii_case("Failed");
            let decoded: Option<Decoded<'_>> = report
                .details
                .as_deref()
                .and_then(|d| ctx.catalogs.sms_delivery.decode_sms_details(d));
            let judged = decoded.and_then(|d| d.entry.severity.severity());
            let severity = match (judged, failed) {
                (Some(s), _) => s,
                (None, true) => Severity::Error,
                (None, false) => continue,
            };
            let details = report.details.as_deref().unwrap_or("no details");
            let (meaning, action, code, source) = match decoded {
                Some(d) => (
                    d.entry.meaning.clone(),
                    d.entry.action.clone(),
                    d.entry.code.map(|c| c.to_string()),
                    Some(d.entry.source.clone()),
                ),
                None => (
                    format!("The carrier reported \"{details}\", which is not a known status."),
                    "Open an Azure support request with the message ID and the time of the send."
                        .to_owned(),
                    None,
                    None,
                ),
            };
            let what = if failed {
                "was not delivered"
            } else {
                "has a delivery problem"
            };
            let mut finding = Finding::new(
                "sms/delivery-failed",
                severity,
                format!(
                    "SMS {what}{}",
                    code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default()
                ),
            )
            .message(format!(
                "SMS {}{recipient} {what}: delivery status {} \"{details}\". {meaning}",
                message_id.unwrap_or("(no message ID)"),
                report.status
            ))
            .action(action)
            .docs("https://learn.microsoft.com/azure/communication-services/resources/troubleshooting/voice-video-calling/troubleshooting-codes")
            .id_value(IdKind::SmsMessageId, message_id)
            .id_value(IdKind::PhoneNumber, state.to.as_deref())
            .occurrences(report.occurrences);
            if let Some(code) = code {
                finding = finding.code(code);
            }
            if let Some(source) = source {
                finding = finding.source(source);
            }
            out.push(finding);
        }
        let mut refusals = state.refusals;
        refusals.sort_by(|a, b| a.occurrences.evidence.cmp(&b.occurrences.evidence));
        for refusal in refusals {
            let entry = ctx
                .catalogs
                .sms_send
                .decode_send(refusal.http_status, refusal.repeatability.as_deref());
            let severity = match entry.map(|e| e.severity.severity()) {
                Some(Some(s)) => s,
                Some(None) => continue,
                None if refusal.http_status >= 500 => Severity::Warning,
                None => Severity::Error,
            };
            let (meaning, action, source) = match entry {
                Some(e) => (e.meaning.clone(), e.action.clone(), Some(e.source.clone())),
                None => (
                    format!(
                        "The service refused this recipient with HTTP {}.",
                        refusal.http_status
                    ),
                    "Read the errorMessage of the send response and correct the request."
                        .to_owned(),
                    None,
                ),
            };
            let said = refusal
                .error_message
                .as_deref()
                .map(|m| format!(" (\"{m}\")"))
                .unwrap_or_default();
            let repeat = refusal
                .repeatability
                .as_deref()
                .map(|r| format!(", repeatability {r}"))
                .unwrap_or_default();
            let mut finding = Finding::new(
                "sms/send-refused",
                severity,
                format!("SMS send refused with {}", refusal.http_status),
            )
            .message(format!(
                "The send{recipient} was refused with HTTP {}{repeat}{said}: {meaning}",
                refusal.http_status
            ))
            .action(action)
            .code(refusal.http_status.to_string())
            .id_value(IdKind::SmsMessageId, message_id)
            .id_value(IdKind::PhoneNumber, state.to.as_deref())
            .occurrences(refusal.occurrences);
            if let Some(source) = source {
                finding = finding.source(source);
            }
            out.push(finding);
        }
    }
}
