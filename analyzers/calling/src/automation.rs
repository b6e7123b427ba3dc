//! `call-automation/results`: Call Automation outcomes decoded with
//! `rules/catalog/call_automation_result_codes.csv`.
//!
//! Sources: callback events (`resultInformation` with `code`, `subCode`, `message`, and sometimes
//! `sipDetails` / `q850Details` when the far end or a carrier answered), the
//! `ACSCallAutomationMediaSummary` table (`ResultCode` / `ResultSubcode`), and the
//! `ACSCallAutomationIncomingOperations` table (HTTP `ResultSignature` of each API request).
//! Results are grouped per call connection (the stable key of a Call Automation leg), event and
//! code.

use acs_triage_core::Output;
use acs_triage_core::analyzer::{Analysis, Context, EntityAnalysis, EntityPass, keep_min};
use acs_triage_core::catalog::{CodeEntry, CodeTable, Judgement};
use acs_triage_core::health::{HealthLine, Unit};
use acs_triage_core::text::{group_digits, percent, plural};
use acs_triage_core::{
    Evidence, Family, Format, IdKind, Occurrences, Record, Severity, SharedText,
};
use acs_triage_core::{FieldName, field, fields};
use std::collections::BTreeMap;

use crate::calls::code_label;

/// Call Automation outcomes, grouped per call connection, event and code.
pub struct Automation;

/// The outcomes judged per call connection, plus every outcome counted for the health
/// overview.
pub struct AutomationPass {
    results: EntityPass<Automation>,
    /// (event, failed) → outcomes.
    tally: BTreeMap<(String, bool), u64>,
}

impl Analysis for AutomationPass {
    fn start(_ctx: &Context) -> Self {
        AutomationPass {
            results: EntityPass::new(Automation),
            tally: BTreeMap::new(),
        }
    }

    fn observe(&mut self, ctx: &Context, record: &Record<'_>) {
        if let Some(o) = outcome(record) {
            let failed = judged(ctx, &o) >= Judgement::Warning;
            *self.tally.entry((o.event, failed)).or_default() += 1;
        }
        self.results.observe(ctx, record);
    }

    fn merge(&mut self, other: Self) {
        for (k, n) in other.tally {
            *self.tally.entry(k).or_default() += n;
        }
        self.results.merge(other.results);
    }

    fn finish(self, ctx: &Context, out: &mut Output) {
        let total: u64 = self.tally.values().sum();
        if total > 0 {
            let failed: u64 = self
                .tally
                .iter()
                .filter(|((_, f), _)| *f)
                .map(|(_, n)| n)
                .sum();
            let mut worst: Vec<(&str, u64)> = self
                .tally
                .iter()
                .filter(|((_, f), _)| *f)
                .map(|((e, _), n)| (e.as_str(), *n))
                .collect();
            worst.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            let worst: Vec<String> = worst
                .iter()
                .take(4)
                .map(|(e, n)| format!("{e} ×{}", group_digits(*n)))
                .collect();
            out.health(
                HealthLine::new(
                    30,
                    "Call Automation",
                    format!(
                        "{}: {} succeeded ({}){}",
                        plural(total, "outcome", "outcomes"),
                        group_digits(total - failed),
                        percent(total - failed, total),
                        if worst.is_empty() {
                            String::new()
                        } else {
                            format!(", failed: {}", worst.join(", "))
                        }
                    ),
                )
                .total(Unit::AutomationOperations, total),
            );
        }
        self.results.finish(ctx, out);
    }
}

const FIELDS: &[FieldName<'static>] = fields![
    "type",
    "OperationName",
    "resultInformation.code",
    "resultInformation.subCode",
    "resultInformation.message",
    "resultInformation.sipDetails.code",
    "resultInformation.q850Details.code",
    "ResultCode",
    "ResultSubcode",
    "ResultSignature",
    "operationContext",
];

/// One Call Automation outcome read from a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Outcome {
    /// Callback event or operation (`PlayFailed`, `Play`, `CreateCall`...).
    pub event: String,
    pub code: i64,
    pub subcode: Option<i64>,
    /// What the phone network answered, when the result carries it (`sipDetails`,
    /// `q850Details`).
    pub sip: Option<i64>,
    pub q850: Option<i64>,
    /// HTTP status of an API request (not a callback result).
    pub request: bool,
}

fn short_event(event: &str) -> String {
    event.rsplit('.').next().unwrap_or(event).to_owned()
}

/// The outcome a record reports, if any.
pub fn outcome(record: &Record<'_>) -> Option<Outcome> {
    if let Some(code) = record.int(field!("resultInformation.code")) {
        let event = record
            .text(field!("type"))
            .or_else(|| record.text(field!("eventType")))
            .map(|t| short_event(&t))
            .unwrap_or_else(|| "result".to_owned());
        return Some(Outcome {
            event,
            code,
            subcode: record.int(field!("resultInformation.subCode")),
            sip: record.int(field!("resultInformation.sipDetails.code")),
            q850: record.int(field!("resultInformation.q850Details.code")),
            request: false,
        });
    }
    if let Some(code) = record.int(field!("ResultCode")) {
        return Some(Outcome {
            event: record
                .text(field!("OperationName"))
                .map(|c| c.into_owned())
                .unwrap_or_else(|| "media operation".to_owned()),
            code,
            subcode: record.int(field!("ResultSubcode")),
            sip: None,
            q850: None,
            request: false,
        });
    }
    // A Call Automation REST call in an HTTP capture or an SDK's HTTP log.
    if record.family == Family::CallAutomation
        && matches!(
            record.format,
            Format::HttpCapture | Format::DotnetLog | Format::WebSdkLog
        )
        && let Some(status) = record.int(field!("status"))
    {
        return Some(Outcome {
            // `.../callConnections/{id}/participants:add?api-version=...` → `participants:add`.
            event: record
                .text(field!("uri"))
                .and_then(|u| {
                    let path = u
                        .split(['?', '#'])
                        .next()
                        .unwrap_or("")
                        .trim_end_matches('/');
                    path.rsplit('/').next().map(str::to_owned)
                })
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "request".to_owned()),
            code: status,
            subcode: None,
            sip: None,
            q850: None,
            request: true,
        });
    }
    if record.family == Family::CallAutomation && record.is_category("CallAutomationOperational") {
        let status = record.int(field!("ResultSignature"))?;
        return Some(Outcome {
            event: record
                .text(field!("OperationName"))
                .map(|c| c.into_owned())
                .unwrap_or_else(|| "request".to_owned()),
            code: status,
            subcode: None,
            sip: None,
            q850: None,
            request: true,
        });
    }
    None
}

fn judged(ctx: &Context, o: &Outcome) -> Judgement {
    if o.request && o.code < 400 {
        return Judgement::Normal;
    }
    // The phone network's own answer decides: a busy callee (SIP 486, Q.850 17) is a normal
    // outcome even inside a 500/560503 result.
    if let Some(answer) = network_answer(ctx, o) {
        return answer.severity;
    }
    match ctx
        .catalogs
        .get::<CodeTable>(&crate::CALL_AUTOMATION_CODES)
        .decode(o.code, o.subcode)
    {
        Some(d) => d.entry.severity,
        None if o.code < 400 => Judgement::Normal,
        None => Judgement::Warning,
    }
}

/// The catalog row of the SIP response, else the Q.850 cause, a result carries.
fn network_answer<'c>(ctx: &'c Context, o: &Outcome) -> Option<&'c CodeEntry> {
    let sip = o.sip.and_then(|c| {
        ctx.catalogs
            .get::<CodeTable>(&crate::SIP_RESPONSES)
            .decode(c, None)
    });
    let q850 = || {
        o.q850.and_then(|c| {
            ctx.catalogs
                .get::<CodeTable>(&crate::Q850_CAUSES)
                .decode(c, None)
        })
    };
    sip.or_else(q850).map(|d| d.entry)
}

#[derive(Debug, Default)]
pub struct Results {
    occurrences: Occurrences,
    call_id: Option<String>,
    server_call_id: Option<String>,
    message: Option<String>,
    sip: Option<String>,
    q850: Option<String>,
}

type Key = (String, Outcome);

impl EntityAnalysis for Automation {
    type Key = Key;
    type State = Results;
    const NOUN: &'static str = "Call Automation legs";

    fn new(_ctx: &Context) -> Self {
        Automation
    }

    fn key(&self, ctx: &Context, record: &Record<'_>) -> Option<Key> {
        let o = outcome(record)?;
        if judged(ctx, &o) == Judgement::Normal {
            return None;
        }
        let leg = record
            .call_connection_id()
            .or_else(|| record.text(field!("correlationId")))
            .map(|c| c.into_owned())
            .unwrap_or_default();
        Some((leg, o))
    }

    fn observe(&self, _ctx: &Context, s: &mut Results, record: &Record<'_>) {
        s.occurrences.add(Evidence::from_record(record, FIELDS));
        keep_min(
            &mut s.call_id,
            record.text(field!("correlationId")).map(|c| c.into_owned()),
        );
        keep_min(
            &mut s.server_call_id,
            record.server_call_id().map(|c| c.into_owned()),
        );
        keep_min(
            &mut s.message,
            record
                .text(field!("resultInformation.message"))
                .or_else(|| record.text(field!("ResultMessage")))
                .map(|c| c.into_owned()),
        );
        let detail = |code: &str, msg: &str| {
            record.text(code).map(|c| match record.text(msg) {
                Some(m) => format!("{c} {m}"),
                None => c.into_owned(),
            })
        };
        keep_min(
            &mut s.sip,
            detail(
                "resultInformation.sipDetails.code",
                "resultInformation.sipDetails.message",
            ),
        );
        keep_min(
            &mut s.q850,
            detail(
                "resultInformation.q850Details.code",
                "resultInformation.q850Details.message",
            ),
        );
    }

    fn merge(&self, into: &mut Results, from: Results) {
        into.occurrences.merge(from.occurrences);
        keep_min(&mut into.call_id, from.call_id);
        keep_min(&mut into.server_call_id, from.server_call_id);
        keep_min(&mut into.message, from.message);
        keep_min(&mut into.sip, from.sip);
        keep_min(&mut into.q850, from.q850);
    }

    fn finish(&self, ctx: &Context, key: Key, s: Results, out: &mut Output) {
        let (leg, o) = key;
        let decoded = ctx
            .catalogs
            .get::<CodeTable>(&crate::CALL_AUTOMATION_CODES)
            .decode(o.code, o.subcode);
        let severity = match judged(ctx, &o).severity() {
            Some(sev) => sev,
            None => return,
        };
        let answer = network_answer(ctx, &o);
        let label = code_label(o.code, o.subcode);
        let (meaning, action, source) = match decoded {
            Some(d) => (
                d.entry.meaning.clone(),
                SharedText::from(&d.entry.action),
                Some(SharedText::from(&d.entry.source)),
            ),
            None => (
                "This result is in no published Call Automation table.".to_owned(),
                SharedText::from(
                    "Read the result message; if the service keeps returning it, open an Azure support request with the call connection and server call IDs.",
                ),
                None,
            ),
        };
        let mut extra = String::new();
        if let Some(m) = &s.message {
            extra.push_str(&format!(" The service said: \"{m}\"."));
        }
        match (&s.sip, &s.q850) {
            (Some(sip), Some(q)) => extra.push_str(&format!(
                " The phone network answered SIP {sip} (Q.850 {q}): the carrier, or the SBC with Direct Routing, decided this, not ACS."
            )),
            (Some(sip), None) => extra.push_str(&format!(" The phone network answered SIP {sip}.")),
            (None, Some(q)) => extra.push_str(&format!(" Q.850 cause {q}.")),
            (None, None) => {}
        }
        // What the network answered is the diagnosis; the result code only carries it (the
        // code's own row only says to look at these details).
        let (meaning, action, source) = match answer {
            Some(a) => (
                a.meaning.clone(),
                SharedText::from(&a.action),
                Some(SharedText::from(&a.source)),
            ),
            None => (meaning, action, source),
        };
        let leg_text = if leg.is_empty() {
            "a call".to_owned()
        } else {
            format!("call connection {leg}")
        };
        let count = if s.occurrences.count > 1 {
            format!(" ({} times)", s.occurrences.count)
        } else {
            String::new()
        };
        let (id, title, what) = if o.request {
            (
                &crate::AUTOMATION_REQUEST_FAILED,
                format!("Call Automation request {} failed with {label}", o.event),
                format!(
                    "The {} request for {leg_text} failed with HTTP {label}{count}",
                    o.event
                ),
            )
        } else {
            (
                &crate::AUTOMATION_RESULT,
                format!("Call Automation {} with {label}", o.event),
                format!("{} reported {label} for {leg_text}{count}", o.event),
            )
        };
        let severity = if o.request && o.code >= 500 && severity < Severity::Error {
            Severity::Error
        } else {
            severity
        };
        let mut f = id
            .finding()
            .severity(severity)
            .title(title)
            .message(format!("{what}: {meaning}{extra}"))
            .action(action)
            .code(label)
            .docs("https://learn.microsoft.com/azure/communication-services/resources/troubleshooting/voice-video-calling/troubleshooting-codes")
            .id_value(IdKind::CallConnectionId, (!leg.is_empty()).then_some(&leg))
            .id_value(IdKind::CallId, s.call_id.as_deref())
            .id_value(IdKind::ServerCallId, s.server_call_id.as_deref())
            .occurrences(s.occurrences);
        if let Some(src) = source {
            f = f.source(src);
        }
        out.push(f);
    }
}
