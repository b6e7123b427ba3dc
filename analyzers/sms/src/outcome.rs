//! What became of a message: delivered, failed, unknown, pending, refused, throttled.

use acs_triage_core::analyzer::Context;
use acs_triage_core::catalog::{CodeTable, Decoded};
use chrono::{DateTime, Utc};

use crate::DELIVERY_STATUS;
use crate::message::{Message, Refusal, ReportSeen};
use crate::settings::SmsSettings;

/// What became of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fate {
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
    pub fn label(self) -> &'static str {
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
pub struct Outcome<'m> {
    pub id: &'m str,
    pub message: &'m Message,
    pub fate: Fate,
    pub report: Option<&'m ReportSeen>,
    pub decoded: Option<Decoded<'m>>,
    /// Seconds from send to report.
    pub latency: Option<f64>,
    pub refusal: Option<&'m Refusal>,
}

/// The judgement values of one run.
pub struct Judge<'c> {
    pub ctx: &'c Context,
    pub latest: Option<DateTime<Utc>>,
    pub wait: chrono::Duration,
}

impl<'c> Judge<'c> {
    pub fn new(ctx: &'c Context, latest: Option<DateTime<Utc>>) -> Judge<'c> {
        Judge {
            ctx,
            latest,
            wait: chrono::Duration::seconds(
                ctx.settings
                    .get::<SmsSettings>()
                    .judgement
                    .report_wait_seconds
                    .into(),
            ),
        }
    }

    pub fn outcome<'m>(&self, id: &'m str, m: &'m Message) -> Outcome<'m>
    where
        'c: 'm,
    {
        let report = m.decisive_report();
        let decoded = report.and_then(|r| r.details.as_deref()).and_then(|d| {
            self.ctx
                .catalogs
                .get::<CodeTable>(&DELIVERY_STATUS)
                .decode_sms_details(d)
        });
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
            refusal: m.refusal.as_deref(),
        }
    }
}

/// Report latencies (seconds), counted at three significant digits: enough for the median the
/// slow-report finding quotes, in memory that does not grow with the messages.
#[derive(Debug, Default)]
pub struct Latencies {
    /// Milliseconds rounded to three significant digits → messages.
    counts: std::collections::BTreeMap<u64, u64>,
    total: u64,
}

impl Latencies {
    pub fn add(&mut self, seconds: f64) {
        let ms = (seconds * 1000.0).round().max(0.0) as u64;
        let mut scale = 1;
        while ms / scale >= 1000 {
            scale *= 10;
        }
        let rounded = (ms + scale / 2) / scale * scale;
        *self.counts.entry(rounded).or_default() += 1;
        self.total += 1;
    }

    pub fn merge(&mut self, other: Latencies) {
        for (k, n) in other.counts {
            *self.counts.entry(k).or_default() += n;
        }
        self.total += other.total;
    }

    /// The upper median, in seconds.
    pub fn median(&self) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let middle = self.total / 2;
        let mut seen = 0;
        for (ms, n) in &self.counts {
            seen += n;
            if seen > middle {
                return Some(*ms as f64 / 1000.0);
            }
        }
        None
    }
}

/// What the messages judged early add up to: healthy messages are only counted; those a
/// finding will come from are kept whole, to be judged again at the end with the others.
#[derive(Debug, Default)]
pub struct Closed {
    /// Messages let go, by fate.
    pub fates: std::collections::BTreeMap<Fate, u64>,
    /// Messages let go that were accepted and could have had a report by now (what "reports
    /// missing across the board" is measured against).
    pub judged: u64,
    pub latencies: Latencies,
    pub kept: Vec<(Box<str>, Message)>,
}

impl Closed {
    pub fn merge(&mut self, other: Closed) {
        for (fate, n) in other.fates {
            *self.fates.entry(fate).or_default() += n;
        }
        self.judged += other.judged;
        self.latencies.merge(other.latencies);
        self.kept.extend(other.kept);
    }
}

impl Outcome<'_> {
    /// True when a finding may come from this message: it failed, its fate is unknown or unclear,
    /// it was refused, or its report came later than `slow_after` seconds.
    pub fn is_problem(&self, slow_after: f64) -> bool {
        matches!(
            self.fate,
            Fate::Failed | Fate::Unclear | Fate::CarrierNoReport | Fate::Unknown | Fate::Refused
        ) || self.latency.is_some_and(|l| l > slow_after)
    }

    /// True when the message counts toward "reports missing across the board".
    pub fn is_judged(&self) -> bool {
        self.message.accepted && self.fate != Fate::Pending && self.fate != Fate::Refused
    }
}
