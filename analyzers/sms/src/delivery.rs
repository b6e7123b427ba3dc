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

use acs_triage_core::analyzer::{Analysis, Context, Horizon, Judged, Output, keep_min, key_hash};
use acs_triage_core::{Evidence, FastMap, Record};
use chrono::{DateTime, Utc};
use std::collections::hash_map::Entry;

use crate::findings;
use crate::message::{
    Message, Refusal, ReportSeen, SEEN_REPORT, SEEN_SEND_LOG, SEEN_SEND_RESPONSE, SendSeen,
};
use crate::outcome::{Closed, Fate, Judge, Outcome};
use crate::records::{self, SenderType, SmsEvent};
use crate::settings::SmsSettings;
use crate::tables;
use crate::traffic::{self, Traffic};

/// The state of the analysis on one worker.
#[derive(Debug, Default)]
pub struct Delivery {
    messages: FastMap<Box<str>, Message>,
    /// Refused sends without a message ID (the service assigns none to a refused recipient).
    unnamed_refusals: Vec<Refusal>,
    traffic: Traffic,
    /// Latest time of any SMS record: the logs' end, for "too recent to judge".
    latest: Option<DateTime<Utc>>,
    /// What the messages judged early add up to.
    closed: Closed,
    /// Keys of the messages judged early, to notice pieces that come for them afterwards.
    judged: Judged,
    /// Messages that received pieces after they were judged.
    late: u64,
}

impl Analysis for Delivery {
    fn start(_ctx: &Context) -> Self {
        Delivery {
            messages: acs_triage_core::spare::take_map(),
            ..Delivery::default()
        }
    }

    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        // Any SMS record (received messages too) shows how far the SMS logs reach.
        if let Some(t) = record.time {
            self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
        }
        let Some(event) = records::read(record) else {
            return;
        };
        let evidence = || Evidence::from_record(record, records::EVIDENCE_FIELDS);
        let at_ms = record.time.map_or(i64::MAX, |t| t.timestamp_millis());
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
                        m.last_ms = m.last_ms.max(at_ms);
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
                        m.last_ms = m.last_ms.max(at_ms);
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
                m.last_ms = m.last_ms.max(at_ms);
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
            SmsEvent::HttpSend {
                status,
                error,
                sender,
            } => {
                self.traffic
                    .attempt(None, SenderType::UNKNOWN, record.time, status, evidence);
                // The whole request was refused (401 from a number the resource does not
                // own, a malformed body): no recipient got a message ID.
                if status >= 400 && status != 429 {
                    self.unnamed_refusals.push(Refusal {
                        status,
                        repeatability: None,
                        error_message: error,
                        to: None,
                        sender,
                        evidence: evidence(),
                    });
                }
            }
        }
    }

    fn merge(&mut self, mut other: Self) {
        // The larger table takes in the smaller: each batch's workers start empty, and growing
        // one of them to the size of the other entry by entry cost fresh pages every batch.
        // Only while nothing is judged (then no message can be late); a message in both still
        // takes in the later one's records, whichever table it is in.
        let swapped = self.judged.is_empty() && other.messages.len() > self.messages.len();
        if swapped {
            std::mem::swap(&mut self.messages, &mut other.messages);
        }
        for (id, m) in other.messages.drain() {
            match self.messages.entry(id) {
                Entry::Occupied(mut slot) if swapped => {
                    let later = std::mem::replace(slot.get_mut(), m);
                    slot.get_mut().merge(later);
                }
                Entry::Occupied(mut slot) => slot.get_mut().merge(m),
                Entry::Vacant(slot) => {
                    if !self.judged.is_empty() && self.judged.contains(key_hash(slot.key())) {
                        self.late += 1;
                    }
                    slot.insert(m);
                }
            }
        }
        self.unnamed_refusals.extend(other.unnamed_refusals);
        self.traffic.merge(other.traffic);
        self.latest = self.latest.max(other.latest);
        self.closed.merge(other.closed);
        self.late += other.late;
        // The next batch's pass on this thread fills it again (`acs_triage_core::spare`).
        acs_triage_core::spare::keep_map(other.messages);
    }

    fn close(&mut self, ctx: &Context, horizon: &Horizon, out: &mut Output) {
        self.traffic.close(ctx, horizon, out);
        // The per-message table lists every message: they all stay.
        if ctx.wants_table(&tables::MESSAGES) {
            return;
        }
        self.judged.prune(horizon);
        let j = &ctx.settings.get::<SmsSettings>().judgement;
        let wait_ms = i64::from(j.report_wait_seconds) * 1000;
        let slow_after = f64::from(j.delivery_latency_seconds);
        let judge = Judge::new(ctx, self.latest);
        let done = self
            .judged
            .take_finished(horizon, &mut self.messages, |id, m| {
                horizon.closes(m.last_ms, wait_ms)
                    // "Pending" is decided by the end of the SMS logs, which may still move.
                    && judge.outcome(id, m).fate != Fate::Pending
            });
        for (id, m) in done {
            let o = judge.outcome(&id, &m);
            if o.is_problem(slow_after) {
                self.closed.kept.push((id, m));
                continue;
            }
            *self.closed.fates.entry(o.fate).or_default() += 1;
            if o.is_judged() {
                self.closed.judged += 1;
            }
            if let Some(l) = o.latency {
                self.closed.latencies.add(l);
            }
        }
    }

    fn kql(
        ctx: &Context,
    ) -> Result<Vec<acs_triage_core::kql::KqlQuery>, acs_triage_core::kql::TemplateError> {
        let wait = ctx
            .settings
            .get::<SmsSettings>()
            .judgement
            .report_wait_seconds;
        Ok(vec![acs_triage_core::kql::from_template(
            "sms-no-delivery-report",
            "sms/no-delivery-report",
            include_str!("../../../rules/kql/sms-no-delivery-report.kql"),
            &[(
                "report_wait",
                acs_triage_core::kql::seconds(f64::from(wait)),
            )],
        )?])
    }

    fn finish(mut self, ctx: &Context, out: &mut Output) {
        out.late("SMS messages", self.late);
        // No record comes after `finish`: the keys watched for late records can go first.
        drop(std::mem::take(&mut self.judged));
        let closed = std::mem::take(&mut self.closed);
        let pass = self;
        let judge = Judge::new(ctx, pass.latest);
        let mut messages: Vec<(Box<str>, Message)> = pass.messages.into_iter().collect();
        messages.extend(closed.kept);
        let closed = Closed {
            kept: Vec::new(),
            ..closed
        };
        messages.sort_by(|a, b| a.0.cmp(&b.0));
        let outcomes: Vec<Outcome> = messages
            .iter()
            .map(|(id, m)| judge.outcome(id, m))
            .collect();

        health(&outcomes, &closed.fates, out);
        if ctx.wants_table(&tables::OUTCOMES) {
            out.table(tables::outcomes(&outcomes, &closed.fates));
        }
        findings::report_outcomes(ctx, &judge, &outcomes, closed, out);
        let mut refusals: Vec<(Option<&str>, &Refusal)> = outcomes
            .iter()
            .filter(|o| o.fate == Fate::Refused)
            .filter_map(|o| o.refusal.map(|r| (Some(o.id), r)))
            .chain(pass.unnamed_refusals.iter().map(|r| (None, r)))
            .collect();
        refusals.sort_by(|a, b| a.1.evidence.cmp(&b.1.evidence));
        for (id, r) in refusals {
            out.push(findings::refused::finding(ctx, id, r));
        }
        traffic::report(ctx, pass.traffic, out);

        if ctx.wants_table(&tables::MESSAGES) {
            out.table(tables::messages(&outcomes));
        }
    }
}

/// SMS in the health overview: messages by what became of them, failures by code. `closed`:
/// the fates of the messages let go earlier.
fn health(
    outcomes: &[Outcome<'_>],
    closed: &std::collections::BTreeMap<Fate, u64>,
    out: &mut Output,
) {
    use acs_triage_core::health::{HealthLine, Unit};
    use acs_triage_core::text::{group_digits, plural};
    let mut fates: std::collections::BTreeMap<Fate, u64> = closed.clone();
    let total = outcomes.len() as u64 + fates.values().sum::<u64>();
    if total == 0 {
        return;
    }
    let mut failed_codes: std::collections::BTreeMap<String, u64> =
        std::collections::BTreeMap::new();
    for o in outcomes {
        *fates.entry(o.fate).or_default() += 1;
        if o.fate == Fate::Failed {
            let code = o
                .report
                .and_then(|r| r.details.as_deref())
                .map(|d| d.split(':').next().unwrap_or(d).trim().to_owned())
                .unwrap_or_else(|| "no details".to_owned());
            *failed_codes.entry(code).or_default() += 1;
        }
    }
    let mut parts: Vec<String> = fates
        .iter()
        .map(|(fate, n)| format!("{} {}", group_digits(*n), fate.label()))
        .collect();
    if !failed_codes.is_empty() {
        let mut codes: Vec<(&String, &u64)> = failed_codes.iter().collect();
        codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let codes: Vec<String> = codes
            .iter()
            .take(5)
            .map(|(c, n)| format!("{c} ×{}", group_digits(**n)))
            .collect();
        parts.push(format!("failures by code: {}", codes.join(", ")));
    }
    out.health(
        HealthLine::new(
            40,
            "SMS",
            format!(
                "{}: {}",
                plural(total, "message", "messages"),
                parts.join(", ")
            ),
        )
        .total(Unit::SmsMessages, total),
    );
}
