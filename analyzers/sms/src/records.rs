//! What an SMS record says, whatever its shape: a send, one recipient of a send response, a
//! delivery report, or an SDK's HTTP call to the send API.
//!
//! Shapes (ACS-LOGS.md §1–3): SMSOperational (`SMSMessagesSent`, `SMSDeliveryReportsReceived`)
//! in storage, Event Hubs and Log Analytics form, where `PhoneNumber`/`NumberType` are the ACS
//! number that sent the message (Azure Monitor reference, ACSSMSIncomingOperations); send
//! responses (`{"value": [...]}`, one item per recipient); Event Grid `SMSDeliveryReportReceived`
//! in either schema and casing; REST delivery reports; .NET and web SDK HTTP logs.

use acs_triage_core::{FieldName, field, fields};
use acs_triage_core::{Format, Record};
use chrono::{DateTime, Utc};

/// What a delivery report says about the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportStatus {
    Delivered,
    Failed,
    /// A status other than Delivered/Failed (kept as the report's details).
    Other,
    /// SMSOperational reports carry no delivery status, only whether the report was processed:
    /// `ResultType` Succeeded is read as delivered, Failed as failed.
    InferredDelivered,
    InferredFailed,
}

impl ReportStatus {
    pub fn is_delivered(self) -> bool {
        matches!(
            self,
            ReportStatus::Delivered | ReportStatus::InferredDelivered
        )
    }

    pub fn is_failed(self) -> bool {
        matches!(self, ReportStatus::Failed | ReportStatus::InferredFailed)
    }
}

/// The kind of number a message was sent from; it decides the documented send limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NumberType {
    TollFree,
    ShortCode,
    Alphanumeric,
    LongCode,
    Unknown,
}

/// A sender's number type and how it is known. The order puts the best-known first: a type the
/// log declares (`NumberType`), then one inferred from the number, then none; ties go to the
/// type's own order. Keeping the smallest over all sends gives the same answer whatever order
/// they are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SenderType {
    /// 0 declared, 1 inferred from the number, 2 unknown.
    certainty: u8,
    pub kind: NumberType,
}

impl SenderType {
    pub const UNKNOWN: SenderType = SenderType {
        certainty: 2,
        kind: NumberType::Unknown,
    };

    /// From `NumberType` (`TollFreeNumber`, `LongCodeNumber`, ...) or, without it, from the
    /// number itself.
    pub fn of(declared: Option<&str>, number: Option<&str>) -> SenderType {
        if let Some(kind) = declared.and_then(NumberType::declared) {
            return SenderType { certainty: 0, kind };
        }
        match NumberType::of(None, number) {
            NumberType::Unknown => SenderType::UNKNOWN,
            kind => SenderType { certainty: 1, kind },
        }
    }
}

impl NumberType {
    /// The type a `NumberType` value names, if it names one.
    fn declared(declared: &str) -> Option<NumberType> {
        let d = declared.to_ascii_lowercase();
        if d.contains("toll") {
            Some(NumberType::TollFree)
        } else if d.contains("short") {
            Some(NumberType::ShortCode)
        } else if d.contains("alpha") {
            Some(NumberType::Alphanumeric)
        } else if d.contains("long") || d.contains("geographic") || d.contains("10dlc") {
            Some(NumberType::LongCode)
        } else {
            None
        }
    }

    /// From `NumberType` (`TollFreeNumber`, `LongCodeNumber`, ...) or, without it, from the
    /// number itself.
    pub fn of(declared: Option<&str>, number: Option<&str>) -> NumberType {
        if let Some(kind) = declared.and_then(NumberType::declared) {
            return kind;
        }
        let Some(number) = number.map(str::trim).filter(|n| !n.is_empty()) else {
            return NumberType::Unknown;
        };
        if number.chars().any(|c| c.is_ascii_alphabetic()) {
            return NumberType::Alphanumeric;
        }
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        if !number.starts_with('+') && (5..=6).contains(&digits.len()) {
            return NumberType::ShortCode;
        }
        // North American toll-free prefixes.
        const TOLL_FREE: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];
        if digits.len() == 11 && digits.starts_with('1') && TOLL_FREE.contains(&&digits[1..4]) {
            return NumberType::TollFree;
        }
        NumberType::LongCode
    }

    pub fn label(self) -> &'static str {
        match self {
            NumberType::TollFree => "toll-free number",
            NumberType::ShortCode => "short code",
            NumberType::Alphanumeric => "alphanumeric sender ID",
            NumberType::LongCode => "long code number",
            NumberType::Unknown => "number of unknown type",
        }
    }
}

/// One SMS fact.
#[derive(Debug, Clone, PartialEq)]
pub enum SmsEvent {
    /// The service logged a send (SMSOperational `SMSMessagesSent`).
    Sent {
        message_id: Option<String>,
        status: i64,
        sender: Option<String>,
        number_type: SenderType,
    },
    /// One recipient of a send response.
    SendItem {
        message_id: Option<String>,
        to: Option<String>,
        status: i64,
        successful: bool,
        error_message: Option<String>,
        repeatability: Option<String>,
    },
    /// A delivery report.
    Report {
        message_id: String,
        status: ReportStatus,
        details: Option<String>,
        /// When the report says the outcome was known (`receivedTimestamp`), else the record's
        /// time.
        received: Option<DateTime<Utc>>,
        from: Option<String>,
        to: Option<String>,
    },
    /// An SDK's HTTP call to the send API (one call may carry several recipients), from its
    /// console log or an HTTP capture.
    HttpSend {
        status: i64,
        /// The error the response body gives (`Unauthorized`, a validation message).
        error: Option<String>,
        /// The From number of the request, when the capture has its body.
        sender: Option<String>,
    },
}

/// Field names shown in evidence excerpts.
pub const EVIDENCE_FIELDS: &[FieldName<'static>] = fields![
    "operationName",
    "messageId",
    "resultSignature",
    "resultType",
    "httpStatusCode",
    "successful",
    "errorMessage",
    "repeatabilityResult",
    "deliveryStatus",
    "deliveryStatusDetails",
    "receivedTimestamp",
    "numberType",
    "method",
    "uri",
    "status",
    "reason",
];

fn text(record: &Record<'_>, name: FieldName<'_>) -> Option<String> {
    record
        .text(name)
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

fn operation_is(record: &Record<'_>, name: &str) -> bool {
    record
        .text(field!("operationName"))
        .is_some_and(|op| op.trim().eq_ignore_ascii_case(name))
}

/// True for a POST to the SMS send endpoint (`.../sms?api-version=...`).
fn is_send_call(record: &Record<'_>) -> bool {
    let post = record
        .text(field!("method"))
        .is_some_and(|m| m.eq_ignore_ascii_case("POST"));
    let path_is_sms = record.text(field!("uri")).is_some_and(|u| {
        let path = u.split(['?', '#']).next().unwrap_or("");
        path.trim_end_matches('/')
            .to_ascii_lowercase()
            .ends_with("/sms")
    });
    post && path_is_sms
}

/// Reads one record; `None` when it says nothing about outgoing SMS.
pub fn read(record: &Record<'_>) -> Option<SmsEvent> {
    if record.format == Format::SmsSendResponse {
        let status = record.int(field!("httpStatusCode")).unwrap_or(0);
        let successful = record
            .get(field!("successful"))
            .and_then(|v| v.as_bool())
            .unwrap_or(status == 202);
        return Some(SmsEvent::SendItem {
            message_id: text(record, field!("messageId")),
            to: text(record, field!("to")),
            status,
            successful,
            error_message: text(record, field!("errorMessage")),
            repeatability: text(record, field!("repeatabilityResult")),
        });
    }
    if matches!(
        record.format,
        Format::DotnetLog | Format::WebSdkLog | Format::HttpCapture
    ) {
        let status = record.int(field!("status"))?;
        return is_send_call(record).then(|| SmsEvent::HttpSend {
            status,
            error: text(record, field!("reason")),
            sender: text(record, field!("request.from")),
        });
    }
    let is_report = record.get(field!("deliveryStatus")).is_some()
        || record
            .category_name()
            .ends_with("SMSDeliveryReportReceived")
        || operation_is(record, "SMSDeliveryReportsReceived");
    if is_report {
        let message_id = text(record, field!("messageId"))?;
        let details = text(record, field!("deliveryStatusDetails"));
        let status = match record.text(field!("deliveryStatus")) {
            Some(s) if s.trim().eq_ignore_ascii_case("Delivered") => ReportStatus::Delivered,
            Some(s) if s.trim().eq_ignore_ascii_case("Failed") => ReportStatus::Failed,
            Some(_) => ReportStatus::Other,
            None => match record.text(field!("resultType")) {
                Some(r) if r.trim().eq_ignore_ascii_case("Failed") => ReportStatus::InferredFailed,
                _ => ReportStatus::InferredDelivered,
            },
        };
        let received = record
            .text(field!("receivedTimestamp"))
            .and_then(|t| acs_triage_core::time::parse_timestamp(&t))
            .or(record.time);
        return Some(SmsEvent::Report {
            message_id,
            status,
            details,
            received,
            from: text(record, field!("from")),
            to: text(record, field!("to")),
        });
    }
    if operation_is(record, "SMSMessagesSent") {
        let sender = text(record, field!("phoneNumber"));
        let declared = text(record, field!("numberType"));
        return Some(SmsEvent::Sent {
            message_id: text(record, field!("messageId")),
            status: record.int(field!("resultSignature")).unwrap_or(0),
            number_type: SenderType::of(declared.as_deref(), sender.as_deref()),
            sender,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_types_from_declaration_or_number() {
        assert_eq!(
            NumberType::of(Some("TollFreeNumber"), None),
            NumberType::TollFree
        );
        assert_eq!(
            NumberType::of(Some("LongCodeNumber"), Some("+18445791704")),
            NumberType::LongCode
        );
        assert_eq!(
            NumberType::of(None, Some("+18005550199")),
            NumberType::TollFree
        );
        assert_eq!(NumberType::of(None, Some("12345")), NumberType::ShortCode);
        assert_eq!(
            NumberType::of(None, Some("CONTOSO")),
            NumberType::Alphanumeric
        );
        assert_eq!(
            NumberType::of(None, Some("+442071234567")),
            NumberType::LongCode
        );
        assert_eq!(NumberType::of(None, None), NumberType::Unknown);
    }

    #[test]
    fn a_declared_type_beats_an_inferred_one_in_any_order() {
        let declared = SenderType::of(Some("TollFreeNumber"), Some("+14255550100"));
        let inferred = SenderType::of(None, Some("+14255550100"));
        assert_eq!(inferred.kind, NumberType::LongCode);
        assert_eq!(declared.min(inferred), declared);
        assert_eq!(inferred.min(declared), declared);
        assert_eq!(SenderType::UNKNOWN.min(inferred), inferred);
    }
}
