//! The SMS findings, one file per finding kind, and what they share: a finding per message
//! when there are few, one for the group when there are many, with their IDs and evidence.

mod delivery_failed;
mod no_report;
mod pending;
pub mod refused;
mod slow;

use std::collections::BTreeMap;

use acs_triage_core::analyzer::{Context, Output};
use acs_triage_core::redact::mask_phone;
use acs_triage_core::{Evidence, Finding, IdKind, Occurrences};

use crate::outcome::{Closed, Fate, Judge, Latencies, Outcome};
use crate::settings::SmsSettings;

/// Delivery report statuses and their codes: the ACS codes page, which holds the SMS table
/// (`includes/codes/sms-sdk.md`) beside the calling ones.
const DOCS: &str = "https://learn.microsoft.com/azure/communication-services/resources/troubleshooting/voice-video-calling/troubleshooting-codes";
/// HTTP errors of the SMS send API.
const SEND_DOCS: &str = "https://learn.microsoft.com/rest/api/communication/errorcodes";
const REPORTS_DOCS: &str =
    "https://learn.microsoft.com/azure/communication-services/quickstarts/sms/handle-sms-events";

/// Findings for delivery outcomes: failures by code, unknowns (or one finding when reports are
/// missing across the board), pending, slow reports. `outcomes` are the messages still held;
/// `closed`, what the messages let go earlier add up to.
pub fn report_outcomes(
    ctx: &Context,
    judge: &Judge<'_>,
    outcomes: &[Outcome<'_>],
    closed: Closed,
    out: &mut Output,
) {
    let j = &ctx.settings.get::<SmsSettings>().judgement;
    let listed = j.messages_listed as usize;

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
        list_or_group(group, listed, out, |members| {
            delivery_failed::finding(members)
        });
    }

    // Accepted without a report.
    let judged = outcomes.iter().filter(|o| o.is_judged()).count() + closed.judged as usize;
    let unknown: Vec<&Outcome<'_>> = outcomes
        .iter()
        .filter(|o| o.is_judged() && o.fate == Fate::Unknown)
        .collect();
    let across_the_board =
        !unknown.is_empty() && unknown.len() as f64 >= j.reports_missing_share * judged as f64;
    if across_the_board {
        out.push(no_report::across_the_board(&unknown, judged));
    } else {
        list_or_group(&unknown, listed, out, |members| no_report::finding(members));
    }

    let pending: Vec<&Outcome<'_>> = outcomes
        .iter()
        .filter(|o| o.fate == Fate::Pending)
        .collect();
    if !pending.is_empty() {
        out.push(pending::finding(&pending, judge));
    }

    // Slow reports: above the judgement value, with the folder's median for comparison.
    let mut latencies: Latencies = closed.latencies;
    for l in outcomes.iter().filter_map(|o| o.latency) {
        latencies.add(l);
    }
    let median = latencies.median();
    let limit = f64::from(j.delivery_latency_seconds);
    let slow: Vec<&Outcome<'_>> = outcomes
        .iter()
        .filter(|o| o.latency.is_some_and(|l| l > limit))
        .collect();
    list_or_group(&slow, listed, out, |members| {
        slow::finding(members, limit, median)
    });
}

/// One finding per member when there are few, else one finding for all of them.
pub(crate) fn list_or_group<'a, 'm: 'a>(
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
pub(crate) fn describe(members: &[&Outcome<'_>]) -> String {
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
pub(crate) fn id_list(members: &[&Outcome<'_>]) -> String {
    let shown: Vec<&str> = members.iter().take(5).map(|o| o.id).collect();
    let more = members.len() - shown.len();
    if more > 0 {
        format!(
            "{}, ... and {more} more; `--table {}` lists them all",
            shown.join(", "),
            crate::tables::MESSAGES.id
        )
    } else {
        shown.join(", ")
    }
}

/// Evidence of a group: the deciding report of each (or its send), first ones kept.
pub(crate) fn occurrences(members: &[&Outcome<'_>]) -> Occurrences {
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
pub(crate) fn send_evidence(o: &Outcome<'_>) -> Option<Evidence> {
    o.message.send.map(|send| Evidence {
        origin: send.origin,
        time: send.at,
        excerpt: format!("messageId={} status={}", o.id, send.status).into(),
    })
}

pub(crate) fn with_ids(mut finding: Finding, members: &[&Outcome<'_>]) -> Finding {
    if let Some(first) = members.first() {
        finding = finding
            .id_value(IdKind::SmsMessageId, Some(first.id))
            .id_value(IdKind::PhoneNumber, first.message.to.as_deref());
    }
    finding.occurrences(occurrences(members))
}
