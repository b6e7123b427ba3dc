//! The health overview: what the logs hold in all, healthy or not, as each analyzer counts it
//! (calls and how they ended, streams judged, messages sent and delivered, chat requests and
//! errors). Reports show it after the problems; problems measure their share against its totals.

use serde::Serialize;

/// What a total counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unit {
    Calls,
    Participants,
    Streams,
    AutomationOperations,
    SmsMessages,
    ChatRequests,
    ChatThreads,
    TokenRequests,
}

impl Unit {
    /// `call`, `calls`.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Unit::Calls => ("call", "calls"),
            Unit::Participants => ("participant", "participants"),
            Unit::Streams => ("stream", "streams"),
            Unit::AutomationOperations => {
                ("Call Automation operation", "Call Automation operations")
            }
            Unit::SmsMessages => ("SMS message", "SMS messages"),
            Unit::ChatRequests => ("chat request", "chat requests"),
            Unit::ChatThreads => ("chat thread", "chat threads"),
            Unit::TokenRequests => ("token request", "token requests"),
        }
    }
}

/// One line of the overview: an area (`Calls`, `SMS`), what was seen there in a sentence, and
/// its totals by unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthLine {
    /// Where the line goes among the others (calls first, then media, Call Automation, SMS,
    /// chat, tokens).
    #[serde(skip)]
    pub order: u16,
    pub area: &'static str,
    pub text: String,
    pub totals: Vec<(Unit, u64)>,
}

impl HealthLine {
    pub fn new(order: u16, area: &'static str, text: impl Into<String>) -> HealthLine {
        HealthLine {
            order,
            area,
            text: text.into(),
            totals: Vec::new(),
        }
    }

    pub fn total(mut self, unit: Unit, count: u64) -> HealthLine {
        self.totals.push((unit, count));
        self
    }
}

/// The total of `unit` over every line, if any line counts it.
pub fn total(lines: &[HealthLine], unit: Unit) -> Option<u64> {
    let mut found = None;
    for line in lines {
        for (u, n) in &line.totals {
            if *u == unit {
                found = Some(found.unwrap_or(0) + n);
            }
        }
    }
    found
}
