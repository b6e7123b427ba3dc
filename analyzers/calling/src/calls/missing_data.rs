//! `calling/missing-data` and `calling/redacted-versions`: what the logs lack to judge calls.

use super::*;

/// What is missing for one call: sources that should be there, participants without an end.
pub(super) fn missing_data(call_id: &str, call: &CallState, out: &mut Output) {
    if call_id.is_empty() {
        return;
    }
    let has_summary = call.sources & Source::Summary.bit() != 0;
    if !has_summary {
        let seen: Vec<&str> = Source::ALL
            .iter()
            .filter(|s| call.sources & s.bit() != 0)
            .map(|s| s.label())
            .collect();
        let mut f = crate::MISSING_DATA.finding().severity(Severity::Info).title("Call has no CallSummary")
        .message(format!(
            "Call {call_id} appears in {} but has no CallSummary record, so how its participants left is unknown.",
            seen.join(", ")
        ))
        .action("Check that the CallSummary category is enabled on this resource and that the logs cover the hours after the call (records can arrive up to ~48 h late); a call from another resource needs that resource's logs.")
        .id_value(IdKind::CallId, Some(call_id))
        .id_value(
            IdKind::ServerCallId,
            call.detail.as_ref().and_then(|d| d.server_call_id.as_deref()),
        );
        if let Some(first) = call.first_other {
            f = f.evidence(first.evidence());
        }
        out.push(f);
        return;
    }
    let missing = missing_participants(call);
    if missing > 0 {
        let mut f = crate::MISSING_DATA.finding().severity(Severity::Info).title("Participant without an end record")
        .message(format!(
            "{missing} participant{} of call {call_id} appear{} in other logs (streams, client operations, events) but {} no CallSummary row: {} end reason is unknown.",
            if missing == 1 { "" } else { "s" },
            if missing == 1 { "s" } else { "" },
            if missing == 1 { "has" } else { "have" },
            if missing == 1 { "its" } else { "their" }
        ))
        .action("Include the hours after the call in the export (a participant's summary can land in a later hourly blob, up to ~48 h late); if it never comes, open a support request with the call ID.")
        .id_value(IdKind::CallId, Some(call_id));
        if let Some(first) = call.first_other {
            f = f.evidence(first.evidence());
        }
        out.push(f);
    }
}

/// Participants seen in other logs (streams, client operations, events) without a CallSummary
/// row.
pub(super) fn missing_participants(call: &CallState) -> usize {
    let ended: Vec<u64> = call
        .parts
        .iter()
        .filter(|p| p.from_summary)
        .flat_map(|p| [p.key, p.alt])
        .filter(|k| *k != 0)
        .collect();
    call.others
        .iter()
        .filter(|(p, e)| ![p, e].iter().any(|k| **k != 0 && ended.contains(k)))
        .count()
}
