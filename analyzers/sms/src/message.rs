//! One SMS message: its send, its delivery reports and a refusal, from whichever files hold
//! them. Merging two views of a message keeps the same result in any order.

use acs_triage_core::analyzer::min_present;
use acs_triage_core::{Evidence, Origin};
use chrono::{DateTime, Utc};

use crate::records::ReportStatus;

/// Where a piece of a message came from (bit flags, for the table's "seen in" column).
pub const SEEN_SEND_LOG: u8 = 1;
pub const SEEN_SEND_RESPONSE: u8 = 2;
pub const SEEN_REPORT: u8 = 4;

/// The earliest send of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSeen {
    pub at: Option<DateTime<Utc>>,
    pub origin: Origin,
    pub status: i64,
}

impl SendSeen {
    pub fn order_key(&self) -> impl Ord {
        (self.at.is_none(), self.at, self.origin)
    }
}

/// One delivery report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSeen {
    pub status: ReportStatus,
    pub details: Option<Box<str>>,
    pub received: Option<DateTime<Utc>>,
    pub evidence: Evidence,
}

/// A send the service refused for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: i64,
    pub repeatability: Option<String>,
    pub error_message: Option<String>,
    pub to: Option<String>,
    pub sender: Option<String>,
    pub evidence: Evidence,
}

/// Everything known about one message.
#[derive(Debug, Default)]
pub struct Message {
    pub send: Option<SendSeen>,
    pub accepted: bool,
    pub reports: Vec<ReportSeen>,
    /// Boxed: few messages are refused, and inline the refusal made every message's entry in
    /// the tables about twice the size, moved whole at each rehash, merge and close.
    pub refusal: Option<Box<Refusal>>,
    pub to: Option<Box<str>>,
    pub from: Option<Box<str>>,
    pub seen: u8,
    /// Time of the latest piece (milliseconds; `i64::MAX` once a piece without a time came).
    pub last_ms: i64,
}

impl Message {
    pub fn note_send(&mut self, send: SendSeen) {
        if self.send.is_none_or(|s| send.order_key() < s.order_key()) {
            self.send = Some(send);
        }
    }

    pub fn note_refusal(&mut self, refusal: Refusal) {
        if self
            .refusal
            .as_ref()
            .is_none_or(|r| refusal.evidence < r.evidence)
        {
            self.refusal = Some(Box::new(refusal));
        }
    }

    pub fn merge(&mut self, other: Message) {
        if let Some(s) = other.send {
            self.note_send(s);
        }
        if let Some(r) = other.refusal {
            self.note_refusal(*r);
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
        self.last_ms = self.last_ms.max(other.last_ms);
    }

    /// The report that decides the outcome: a stated status over an inferred one, then the
    /// latest, then the earliest evidence (a total order, so merges cannot change it).
    pub fn decisive_report(&self) -> Option<&ReportSeen> {
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
