//! `sms/send-refused`: sends the service refused for a recipient.

use acs_triage_core::analyzer::Context;
use acs_triage_core::catalog::CodeTable;
use acs_triage_core::finding::SharedText;
use acs_triage_core::redact::mask_phone;
use acs_triage_core::{Finding, IdKind, Severity};

use crate::message::Refusal;
use crate::{SEND_REFUSED, SEND_STATUS};

pub fn finding(ctx: &Context, message_id: Option<&str>, r: &Refusal) -> Finding {
    let entry = ctx
        .catalogs
        .get::<CodeTable>(&SEND_STATUS)
        .decode_send(r.status, r.repeatability.as_deref());
    let severity = match entry.map(|e| e.severity.severity()) {
        Some(Some(s)) => s,
        _ if r.status >= 500 => Severity::Warning,
        _ => Severity::Error,
    };
    let (meaning, action, source) = match entry {
        Some(e) => (
            e.meaning.clone(),
            SharedText::from(&e.action),
            Some(SharedText::from(&e.source)),
        ),
        None => (
            format!("The service refused this send with HTTP {}.", r.status),
            SharedText::from(
                "Read the error message of the send response and correct the request.",
            ),
            None,
        ),
    };
    let to =
        r.to.as_deref()
            .map(|t| format!(" to {}", mask_phone(t)))
            .unwrap_or_default();
    let from = r
        .sender
        .as_deref()
        .map(|f| format!(" from {}", mask_phone(f)))
        .unwrap_or_default();
    let said = r
        .error_message
        .as_deref()
        .map(|m| format!(" (\"{m}\")"))
        .unwrap_or_default();
    let repeat = r
        .repeatability
        .as_deref()
        .map(|x| format!(", repeatability {x}"))
        .unwrap_or_default();
    let mut finding = SEND_REFUSED
        .finding()
        .severity(severity)
        .title(format!("SMS send refused with {}", r.status))
        .message(format!(
            "The send{from}{to} was refused with HTTP {}{repeat}{said}: {meaning}",
            r.status
        ))
        .action(action)
        .code(r.status.to_string())
        .docs(super::SEND_DOCS)
        .id_value(IdKind::SmsMessageId, message_id)
        .id_value(IdKind::PhoneNumber, r.to.as_deref())
        .evidence(r.evidence.clone());
    if let Some(source) = source {
        finding = finding.source(source);
    }
    finding
}
