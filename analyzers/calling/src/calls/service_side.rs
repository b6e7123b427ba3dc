//! `calling/service-side-failure`: many participants of one call failing together.

use super::*;

/// Many participants of one call failing together points at the service, not at clients.
/// Returns whether the call was reported so.
pub(super) fn service_side(
    call_id: &str,
    summary_parts: usize,
    failed: &[(&Part, &EndDetail)],
    out: &mut Output,
) -> bool {
    if failed.len() < 3 || failed.len() * 2 < summary_parts {
        return false;
    }
    let times: Vec<DateTime<Utc>> = failed.iter().filter_map(|(_, d)| d.ended_at).collect();
    if times.len() == failed.len() {
        let (lo, hi) = (times.iter().min(), times.iter().max());
        if let (Some(lo), Some(hi)) = (lo, hi)
            && *hi - *lo > Duration::seconds(60)
        {
            return false;
        }
    }
    let mut codes: Vec<String> = failed
        .iter()
        .map(|(p, _)| code_label(p.end.code(), p.end.sub()))
        .collect();
    codes.sort();
    codes.dedup();
    let mut occ = Occurrences::default();
    for (_, d) in failed {
        occ.merge(d.occurrences.clone());
    }
    let mut f = crate::SERVICE_SIDE_FAILURE.finding().severity(Severity::Error).title("Many participants of one call failed together")
    .message(format!(
        "{} of the {summary_parts} participants of call {call_id} ended with failures ({}) within a minute of each other: clients rarely fail together, so the cause is likely on the service side.",
        failed.len(),
        codes.join(", ")
    ))
    .action("Open an Azure support request with the call ID, the participant IDs and the time of the failure.")
    .id_value(IdKind::CallId, Some(call_id))
    .occurrences(occ)
    .explains(Explains {
        kind: crate::END_REASON.id.to_owned(),
        code: None,
        ids: vec![(IdKind::CallId, call_id.to_owned())],
        window: None,
    });
    let first_failed = failed
        .iter()
        .filter_map(|(_, d)| d.participant_id.as_deref())
        .min();
    f = f.id_value(IdKind::ParticipantId, first_failed);
    out.push(f);
    true
}
