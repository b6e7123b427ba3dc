//! `sms/delivery`: the truth about every SMS message, joined across files and shapes.
//!
//! A message is keyed by its message ID wherever its pieces sit: the send (SMSOperational
//! `SMSMessagesSent`, an item of a send response) and its delivery reports (Event Grid in either
//! schema and casing, SMSOperational `SMSDeliveryReportsReceived`, REST delivery reports). Each
//! message ends as delivered, failed (decoded with `rules/catalog/sms_delivery_status.csv`),
//! unknown (accepted, no report: 202 means queued, not delivered), pending (too recent to
//! judge) or refused at send (`rules/catalog/sms_send_status.csv`). Sends are also counted per
//! sender number, so 429s can be judged against the documented per-number limits
//! (`traffic.rs`).

use std::collections::BTreeMap;

use acs_triage_core::analyzer::{
    Analyzer, AnalyzerInfo, Context, Output, Pass, downcast_pass, keep_min, min_present,
};
use acs_triage_core::catalog::Decoded;
use acs_triage_core::redact::mask_phone;
use acs_triage_core::time::format_timestamp;
use acs_triage_core::{
    Evidence, Family, FastMap, Finding, IdKind, Occurrences, Origin, Record, Severity, Table,
};
use chrono::{DateTime, Utc};

use crate::records::{self, ReportStatus, SenderType, SmsEvent};
use crate::traffic::{self, Traffic};

pub struct Delivery;

pub static DELIVERY: Delivery = Delivery;

const FINDINGS: &[&str] = &[
    "sms/delivery-failed",
    "sms/carrier-no-report",
    "sms/no-delivery-report",
    "sms/delivery-reports-missing",
    "sms/report-pending",
    "sms/delivery-slow",
    "sms/send-refused",
    "sms/throttled",
];

const DOCS: &str = "https://learn.microsoft.com/azure/communication-services/resources/troubleshooting/voice-video-calling/troubleshooting-codes";
const REPORTS_DOCS: &str =
    "https://learn.microsoft.com/azure/communication-services/quickstarts/sms/handle-sms-events";

/// The table of every message (`analyze --table sms/messages`).
pub const MESSAGES_TABLE: &str = "sms/messages";
/// Messages per outcome (`analyze --table sms/outcomes`).
pub const OUTCOMES_TABLE: &str = "sms/outcomes";

impl Analyzer for Delivery {
    fn info(&self) -> AnalyzerInfo {
        AnalyzerInfo {
            id: "sms/delivery",
            title: "SMS delivery truth, refused sends and throttling",
            families: &[Family::Sms],
            findings: FINDINGS,
            tables: &[MESSAGES_TABLE, OUTCOMES_TABLE],
        }
    }

    fn start(&self, _ctx: &Context) -> Box<dyn Pass> {
        Box::new(SmsPass::default())
    }
}

/// Where a piece of a message came from (bit flags, for the table's "seen in" column).
const SEEN_SEND_LOG: u8 = 1;
const SEEN_SEND_RESPONSE: u8 = 2;
const SEEN_REPORT: u8 = 4;

/// The earliest send of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SendSeen {
    at: Option<DateTime<Utc>>,
    origin: Origin,
    status: i64,
}

impl SendSeen {
    fn order_key(&self) -> impl Ord {
        (self.at.is_none(), self.at, self.origin)
    }
}

/// One delivery report.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ReportSeen {
    status: ReportStatus,
    details: Option<Box<str>>,
    received: Option<DateTime<Utc>>,
    evidence: Evidence,
}

/// A send the service refused for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    status: i64,
    repeatability: Option<String>,
    error_message: Option<String>,
    to: Option<String>,
    sender: Option<String>,
    evidence: Evidence,
}

/// Everything known about one message.
#[derive(Debug, Default)]
struct Message {
    send: Option<SendSeen>,
    accepted: bool,
    reports: Vec<ReportSeen>,
    refusal: Option<Refusal>,
    to: Option<Box<str>>,
    from: Option<Box<str>>,
    seen: u8,
}

impl Message {
    fn note_send(&mut self, send: SendSeen) {
        if self.send.is_none_or(|s| send.order_key() < s.order_key()) {
            self.send = Some(send);
        }
    }

    fn note_refusal(&mut self, refusal: Refusal) {
        if self
            .refusal
            .as_ref()
            .is_none_or(|r| refusal.evidence < r.evidence)
        {
            self.refusal = Some(refusal);
        }
    }

    fn merge(&mut self, other: Message) {
        if let Some(s) = other.send {
            self.note_send(s);
        }
        if let Some(r) = other.refusal {
            self.note_refusal(r);
        }
        self.accepted |= other.accepted;
        for r in other.reports {
            if !self.reports.contains(&r) {
                self.reports.push(r);
            }
        }
        self.to = min_present(self.to.take(), other.to);
        self.from = min_present(self.from.take(), other.from);
        self.seen |= other.seen;
    }

    /// The report that decides the outcome: a stated status over an inferred one, then the
    /// latest, then the earliest evidence (a total order, so merges cannot change it).
    fn decisive_report(&self) -> Option<&ReportSeen> {
        self.reports.iter().max_by(|a, b| {
            let stated = |r: &ReportSeen| {
                !matches!(
                    r.status,
                    ReportStatus::InferredDelivered | ReportStatus::InferredFailed
                )
            };
            stated(a)
                .cmp(&stated(b))
                .then(a.received.cmp(&b.received))
                .then(b.evidence.cmp(&a.evidence))
        })
    }
}

/// The state of the analysis on one worker.
#[derive(Debug, Default)]
struct SmsPass {
    messages: FastMap<Box<str>, Message>,
    /// Refused sends without a message ID (the service assigns none to a refused recipient).
    unnamed_refusals: Vec<Refusal>,
    traffic: Traffic,
    /// Latest time of any SMS record: the logs' end, for "too recent to judge".
    latest: Option<DateTime<Utc>>,
}

impl Pass for SmsPass {
    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        // Any SMS record (received messages too) shows how far the SMS logs reach.
        if let Some(t) = record.time {
            self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
        }
        let Some(event) = records::read(record) else {
            return;
        };
        let evidence = || Evidence::from_record(record, records::EVIDENCE_FIELDS);
        let send_seen = |status| SendSeen {
            at: record.time,
            origin: record.origin,
            status,
        };
        match event {
            SmsEvent::Sent {
                message_id,
                status,
                sender,
                number_type,
            } => {
                self.traffic.attempt(
                    sender.as_deref(),
                    number_type,
                    record.time,
                    status,
                    evidence,
                );
                let refusal = (status >= 400).then(|| Refusal {
                    status,
                    repeatability: None,
                    error_message: None,
                    to: None,
                    sender: sender.clone(),
                    evidence: evidence(),
                });
                match message_id {
                    Some(id) => {
                        let m = self.messages.entry(id.into()).or_default();
                        m.seen |= SEEN_SEND_LOG;
                        m.note_send(send_seen(status));
                        // A logged send with a message ID was processed; without a status, take
                        // it as accepted.
                        m.accepted |= (200..300).contains(&status) || status == 0;
                        keep_min(&mut m.from, sender.map(Into::into));
                        if let Some(r) = refusal.filter(|r| r.status != 429) {
                            m.note_refusal(r);
                        }
                    }
                    None => {
                        if let Some(r) = refusal.filter(|r| r.status != 429) {
                            self.unnamed_refusals.push(r);
                        }
                    }
                }
            }
            SmsEvent::SendItem {
                message_id,
                to,
                status,
                successful,
                error_message,
                repeatability,
            } => {
                self.traffic
                    .attempt(None, SenderType::UNKNOWN, record.time, status, evidence);
                let accepted = successful && (200..300).contains(&status);
                let refusal = (!accepted && status != 429).then(|| Refusal {
                    status,
                    repeatability,
                    error_message,
                    to: to.clone(),
                    sender: None,
                    evidence: evidence(),
                });
                match message_id {
                    // A refused item may carry the message ID of another recipient of the same
                    // request (the REST example does): only accepted items name their message.
                    Some(id) if accepted => {
                        let m = self.messages.entry(id.into()).or_default();
                        m.seen |= SEEN_SEND_RESPONSE;
                        m.note_send(send_seen(status));
                        m.accepted = true;
                        keep_min(&mut m.to, to.map(Into::into));
                    }
                    _ => self.unnamed_refusals.extend(refusal),
                }
            }
            SmsEvent::Report {
                message_id,
                status,
                details,
                received,
                from,
                to,
            } => {
                let m = self.messages.entry(message_id.into()).or_default();
                m.seen |= SEEN_REPORT;
                keep_min(&mut m.to, to.map(Into::into));
                keep_min(&mut m.from, from.map(Into::into));
                let report = ReportSeen {
                    status,
                    details: details.map(Into::into),
                    received,
                    evidence: evidence(),
                };
                if !m.reports.contains(&report) {
                    m.reports.push(report);
                }
            }
            SmsEvent::HttpSend { status } => {
                self.traffic
                    .attempt(None, SenderType::UNKNOWN, record.time, status, evidence);
            }
        }
    }

    fn merge(&mut self, other: Box<dyn Pass>) {
        let other = downcast_pass::<SmsPass>(other);
        for (id, m) in other.messages {
            match self.messages.get_mut(&id) {
                Some(mine) => mine.merge(m),
                None => {
                    self.messages.insert(id, m);
                }
            }
        }
        self.unnamed_refusals.extend(other.unnamed_refusals);
        self.traffic.merge(other.traffic);
        self.latest = self.latest.max(other.latest);
    }

    fn finish(self: Box<Self>, ctx: &Context, out: &mut Output) {
        let pass = *self;
        let judge = Judge::new(ctx, pass.latest);
        let mut messages: Vec<(Box<str>, Message)> = pass.messages.into_iter().collect();
        messages.sort_by(|a, b| a.0.cmp(&b.0));
        let outcomes: Vec<Outcome> = messages
            .iter()
            .map(|(id, m)| judge.outcome(id, m))
            .collect();

        report_outcomes(ctx, &judge, &outcomes, out);
        let mut refusals: Vec<(Option<&str>, &Refusal)> = outcomes
            .iter()
            .filter(|o| o.fate == Fate::Refused)
            .filter_map(|o| o.refusal.map(|r| (Some(o.id), r)))
            .chain(pass.unnamed_refusals.iter().map(|r| (None, r)))
            .collect();
        refusals.sort_by(|a, b| a.1.evidence.cmp(&b.1.evidence));
        for (id, r) in refusals {
            out.push(refusal_finding(ctx, id, r));
        }
        traffic::report(ctx, pass.traffic, out);

        if ctx.wants_table(MESSAGES_TABLE) {
            out.table(messages_table(&outcomes));
        }
        if ctx.wants_table(OUTCOMES_TABLE) {
            let mut counts: BTreeMap<Fate, u64> = BTreeMap::new();
            for o in &outcomes {
                *counts.entry(o.fate).or_default() += 1;
            }
            let mut table = Table::new(OUTCOMES_TABLE, "SMS outcomes", &["outcome", "messages"]);
            for (fate, n) in counts {
                table.push(vec![fate.label().to_owned(), n.to_string()]);
            }
            out.table(table);
        }
    }
}

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fate {
    Delivered,
    Failed,
    /// The carrier gives no delivery reports (5002).
    CarrierNoReport,
    /// Accepted, no report, old enough that one should have come.
    Unknown,
    /// Accepted, no report yet, too close to the end of the logs to judge.
    Pending,
    Refused,
    /// Refused with 429 and never accepted.
    Throttled,
    /// Only a report with an unrecognized status.
    Unclear,
}

impl Fate {
    fn label(self) -> &'static str {
        match self {
            Fate::Delivered => "delivered",
            Fate::Failed => "failed",
            Fate::CarrierNoReport => "unknown (carrier gives no reports)",
            Fate::Unknown => "unknown (accepted, no report)",
            Fate::Pending => "pending (accepted, report may still come)",
            Fate::Refused => "refused at send",
            Fate::Throttled => "throttled at send (429)",
            Fate::Unclear => "unclear (unrecognized report)",
        }
    }
}

/// One message's verdict, with what the findings and the table need.
struct Outcome<'m> {
    id: &'m str,
    message: &'m Message,
    fate: Fate,
    report: Option<&'m ReportSeen>,
    decoded: Option<Decoded<'m>>,
    /// Seconds from send to report.
    latency: Option<f64>,
    refusal: Option<&'m Refusal>,
}

/// The judgement values of one run.
struct Judge<'c> {
    ctx: &'c Context,
    latest: Option<DateTime<Utc>>,
    wait: chrono::Duration,
}

impl<'c> Judge<'c> {
    fn new(ctx: &'c Context, latest: Option<DateTime<Utc>>) -> Judge<'c> {
        Judge {
            ctx,
            latest,
            wait: chrono::Duration::seconds(ctx.settings.judgement.sms_report_wait_seconds.into()),
        }
    }

    fn outcome<'m>(&self, id: &'m str, m: &'m Message) -> Outcome<'m>
    where
        'c: 'm,
    {
        let report = m.decisive_report();
        let decoded = report
            .and_then(|r| r.details.as_deref())
            .and_then(|d| self.ctx.catalogs.sms_delivery.decode_sms_details(d));
        let fate = match (report, &m.refusal) {
            (None, Some(_)) if !m.accepted => Fate::Refused,
            (None, None) if !m.accepted && m.send.is_some_and(|s| s.status == 429) => {
                Fate::Throttled
            }
            (None, _) => {
                let too_recent = match (m.send.and_then(|s| s.at), self.latest) {
                    (Some(sent), Some(latest)) => sent + self.wait > latest,
                    _ => false,
                };
                if too_recent {
                    Fate::Pending
                } else {
                    Fate::Unknown
                }
            }
            (Some(r), _) => match decoded.map(|d| (d.entry.code, d.entry.cause.as_str())) {
                Some((_, "no-report")) => Fate::CarrierNoReport,
                Some((Some(2000), _)) if !r.status.is_failed() => Fate::Delivered,
                Some((Some(code), _)) if code >= 4000 => Fate::Failed,
                _ if r.status.is_delivered() => Fate::Delivered,
                _ if r.status.is_failed() => Fate::Failed,
                _ => Fate::Unclear,
            },
        };
        let latency = match (m.send.and_then(|s| s.at), report.and_then(|r| r.received)) {
            (Some(sent), Some(received)) if received >= sent => {
                Some((received - sent).num_milliseconds() as f64 / 1000.0)
            }
            _ => None,
        };
        Outcome {
            id,
            message: m,
            fate,
            report,
            decoded,
            latency,
            refusal: m.refusal.as_ref(),
        }
    }
}

/// Findings for delivery outcomes: failures by code, unknowns (or one finding when reports are
/// missing across the board), pending, slow reports.
fn report_outcomes(ctx: &Context, judge: &Judge<'_>, outcomes: &[Outcome<'_>], out: &mut Output) {
    let j = &ctx.settings.judgement;
    let listed = j.sms_messages_listed as usize;

    // Failures, grouped by what the report says.
    let mut failed: BTreeMap<String, Vec<&Outcome<'_>>> = BTreeMap::new();
    for o in outcomes
        .iter()
        .filter(|o| matches!(o.fate, Fate::Failed | Fate::Unclear | Fate::CarrierNoReport))
    {
        let key = match o.decoded {
            Some(d) => d
                .entry
                .code
                .map_or_else(|| d.entry.meaning.clone(), |c| c.to_string()),
            None => o
                .report
                .and_then(|r| r.details.as_deref())
                .unwrap_or("no details")
                .to_owned(),
        };
        failed.entry(key).or_default().push(o);
    }
    for group in failed.values() {
        list_or_group(group, listed, out, |members| failure_finding(members));
    }

    // Accepted without a report.
    let judged: Vec<&Outcome<'_>> = outcomes
        .iter()
        .filter(|o| o.message.accepted && o.fate != Fate::Pending && o.fate != Fate::Refused)
        .collect();
    let unknown: Vec<&Outcome<'_>> = judged
        .iter()
        .copied()
        .filter(|o| o.fate == Fate::Unknown)
        .collect();
    let across_the_board = !unknown.is_empty()
        && unknown.len() as f64 >= j.sms_reports_missing_share * judged.len() as f64;
    if across_the_board {
        out.push(reports_missing_finding(&unknown, judged.len()));
    } else {
        list_or_group(&unknown, listed, out, |members| no_report_finding(members));
    }

    let pending: Vec<&Outcome<'_>> = outcomes
        .iter()
        .filter(|o| o.fate == Fate::Pending)
        .collect();
    if !pending.is_empty() {
        out.push(pending_finding(&pending, judge));
    }

    // Slow reports: above the judgement value, with the folder's median for comparison.
    let mut latencies: Vec<f64> = outcomes.iter().filter_map(|o| o.latency).collect();
    latencies.sort_by(f64::total_cmp);
    let median = latencies.get(latencies.len() / 2).copied();
    let limit = f64::from(j.sms_delivery_latency_seconds);
    let slow: Vec<&Outcome<'_>> = outcomes
        .iter()
        .filter(|o| o.latency.is_some_and(|l| l > limit))
        .collect();
    list_or_group(&slow, listed, out, |members| {
        slow_finding(members, limit, median)
    });
}

/// One finding per member when there are few, else one finding for all of them.
fn list_or_group<'a, 'm: 'a>(
    members: &[&'a Outcome<'m>],
    listed: usize,
    out: &mut Output,
    make: impl Fn(&[&'a Outcome<'m>]) -> Finding,
) {
    if members.is_empty() {
        return;
    }
    if members.len() <= listed {
        for m in members {
            out.push(make(std::slice::from_ref(m)));
        }
    } else {
        out.push(make(members));
    }
}

/// `SMS Outgoing_1 to +1*******01` / `312 SMS messages (Outgoing_1, Outgoing_2, ... and 307
/// more ...)`.
fn describe(members: &[&Outcome<'_>]) -> String {
    match members {
        [one] => {
            let to = one
                .message
                .to
                .as_deref()
                .map(|t| format!(" to {}", mask_phone(t)))
                .unwrap_or_default();
            format!("SMS {}{to}", one.id)
        }
        many => format!("{} SMS messages ({})", many.len(), id_list(many)),
    }
}

/// The first few message IDs, and how many more there are.
fn id_list(members: &[&Outcome<'_>]) -> String {
    let shown: Vec<&str> = members.iter().take(5).map(|o| o.id).collect();
    let more = members.len() - shown.len();
    if more > 0 {
        format!(
            "{}, ... and {more} more; `--table {MESSAGES_TABLE}` lists them all",
            shown.join(", ")
        )
    } else {
        shown.join(", ")
    }
}

/// Evidence of a group: the deciding report of each (or its send), first ones kept.
fn occurrences(members: &[&Outcome<'_>]) -> Occurrences {
    let mut occ = Occurrences::default();
    for o in members {
        match o.report {
            Some(r) => occ.add(r.evidence.clone()),
            None => {
                if let Some(e) = send_evidence(o) {
                    occ.add(e);
                }
            }
        }
    }
    occ
}

/// Evidence for a send known only by its position and time (its record is long gone): the
/// excerpt states what was kept.
fn send_evidence(o: &Outcome<'_>) -> Option<Evidence> {
    o.message.send.map(|send| Evidence {
        origin: send.origin,
        time: send.at,
        excerpt: format!("messageId={} status={}", o.id, send.status),
    })
}

fn with_ids(mut finding: Finding, members: &[&Outcome<'_>]) -> Finding {
    if let Some(first) = members.first() {
        finding = finding
            .id_value(IdKind::SmsMessageId, Some(first.id))
            .id_value(IdKind::PhoneNumber, first.message.to.as_deref());
    }
    finding.occurrences(occurrences(members))
}

fn failure_finding(members: &[&Outcome<'_>]) -> Finding {
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
            d.entry.action.clone(),
            Some(d.entry.source.clone()),
        ),
        None => (
            Severity::Error,
            format!("The report says \"{details}\", which is in no published status table."),
            "Open an Azure support request with the message ID and the time of the send."
                .to_owned(),
            None,
        ),
    };
    let (id, title) = if first.fate == Fate::CarrierNoReport {
        (
            "sms/carrier-no-report",
            "SMS outcome unknown: the carrier gives no delivery reports".to_owned(),
        )
    } else {
        (
            "sms/delivery-failed",
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
    let mut finding = Finding::new(id, severity, title)
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

fn no_report_finding(members: &[&Outcome<'_>]) -> Finding {
    let verb = if members.len() == 1 { "was" } else { "were" };
    with_ids(
        Finding::new(
            "sms/no-delivery-report",
            Severity::Warning,
            "SMS accepted but never reported delivered",
        )
        .message(format!(
            "{} {verb} accepted (202: queued, not delivered) and no delivery report for it is in \
             any file here: whether it arrived is unknown.",
            describe(members)
        ))
        .action(
            "Look the message ID up in the Event Grid subscription or SMSOperational logs for \
             that time; if the report is missing there too, open a support request with the ID.",
        )
        .docs(REPORTS_DOCS),
        members,
    )
}

fn reports_missing_finding(unknown: &[&Outcome<'_>], judged: usize) -> Finding {
    let share = if unknown.len() == judged {
        format!("None of the {judged} accepted SMS messages")
    } else {
        format!("{} of the {judged} accepted SMS messages", unknown.len())
    };
    with_ids(
        Finding::new(
            "sms/delivery-reports-missing",
            Severity::Warning,
            "SMS delivery reports are not being collected",
        )
        .message(format!(
            "{share} {} a delivery report in these logs, so whether they arrived is unknown (a \
             202 only means the message was queued): {}.",
            if unknown.len() == judged { "has" } else { "have no" },
            id_list(unknown)
        ))
        .action(
            "Send with enableDeliveryReport set to true and subscribe to \
             Microsoft.Communication.SMSDeliveryReportReceived with Event Grid (or turn on the \
             SMSOperational diagnostic setting), then collect those reports with the send logs.",
        )
        .docs(REPORTS_DOCS)
        .source("MicrosoftDocs/azure-docs:articles/event-grid/communication-services-telephony-sms-events.md@06867cc99470d00efa3831fdcb8fa76c8ebae256"),
        unknown,
    )
}

fn pending_finding(pending: &[&Outcome<'_>], judge: &Judge<'_>) -> Finding {
    let end = judge
        .latest
        .as_ref()
        .map(format_timestamp)
        .unwrap_or_default();
    with_ids(
        Finding::new(
            "sms/report-pending",
            Severity::Info,
            "SMS sent too close to the end of the logs to judge",
        )
        .message(format!(
            "{} {} accepted less than {} before the last SMS record ({end}); a delivery report \
             may still come.",
            describe(pending),
            if pending.len() == 1 { "was" } else { "were" },
            acs_triage_core::rules::run::format_seconds(judge.wait.num_seconds() as f64)
        ))
        .action(
            "Collect logs that reach past the wait (or run again later) to learn their outcome.",
        ),
        pending,
    )
}

fn slow_finding(members: &[&Outcome<'_>], limit: f64, median: Option<f64>) -> Finding {
    let worst = members
        .iter()
        .filter_map(|o| o.latency)
        .fold(0.0_f64, f64::max);
    let median = median
        .map(|m| format!("; the median over all reported messages is {}", seconds(m)))
        .unwrap_or_default();
    let took = if members.len() == 1 {
        format!("took {} from send to delivery report", seconds(worst))
    } else {
        format!(
            "took longer than {} from send to delivery report (slowest {})",
            seconds(limit),
            seconds(worst)
        )
    };
    with_ids(
        Finding::new(
            "sms/delivery-slow",
            Severity::Warning,
            "SMS delivery reported late",
        )
        .message(format!(
            "{} {took}, above the {} this tool flags{median}.",
            describe(members),
            seconds(limit)
        ))
        .action(
            "If the slow messages share a carrier or country, tell Azure support with their \
             message IDs; check that the app does not queue sends behind a backlog.",
        )
        .docs(REPORTS_DOCS),
        members,
    )
}

/// `75 s`, `12.5 min`.
fn seconds(s: f64) -> String {
    if s < 120.0 {
        format!("{} s", (s * 10.0).round() / 10.0)
    } else {
        format!("{} min", (s / 6.0).round() / 10.0)
    }
}

fn refusal_finding(ctx: &Context, message_id: Option<&str>, r: &Refusal) -> Finding {
    let entry = ctx
        .catalogs
        .sms_send
        .decode_send(r.status, r.repeatability.as_deref());
    let severity = match entry.map(|e| e.severity.severity()) {
        Some(Some(s)) => s,
        _ if r.status >= 500 => Severity::Warning,
        _ => Severity::Error,
    };
    let (meaning, action, source) = match entry {
        Some(e) => (e.meaning.clone(), e.action.clone(), Some(e.source.clone())),
        None => (
            format!("The service refused this send with HTTP {}.", r.status),
            "Read the error message of the send response and correct the request.".to_owned(),
            None,
        ),
    };
    let to =
        r.to.as_deref()
            .map(|t| format!(" to {}", mask_phone(t)))
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
    let mut finding = Finding::new(
        "sms/send-refused",
        severity,
        format!("SMS send refused with {}", r.status),
    )
    .message(format!(
        "The send{to} was refused with HTTP {}{repeat}{said}: {meaning}",
        r.status
    ))
    .action(action)
    .code(r.status.to_string())
    .id_value(IdKind::SmsMessageId, message_id)
    .id_value(IdKind::PhoneNumber, r.to.as_deref())
    .evidence(r.evidence.clone());
    if let Some(source) = source {
        finding = finding.source(source);
    }
    finding
}

/// One row per message: what became of it, and where each piece was seen.
fn messages_table(outcomes: &[Outcome<'_>]) -> Table {
    let mut table = Table::new(
        MESSAGES_TABLE,
        "SMS messages",
        &[
            "message ID",
            "to",
            "from",
            "sent (UTC)",
            "outcome",
            "delivery status",
            "report after",
            "seen in",
        ],
    );
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
            o.latency.map(seconds).unwrap_or_default(),
            seen.join(", "),
        ]);
    }
    table
}
