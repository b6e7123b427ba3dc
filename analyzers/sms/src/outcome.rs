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
            refusal: m.refusal.as_ref(),
        }
    }
}
