//! `calling/end-reason`: how each participant's call ended, decoded, with the client evidence
//! seen before it.

use super::*;

/// A client log line without IDs that reports the same reason as a participant of the same call is
/// that participant's own view: one finding, both pieces of evidence.
/// A client log line without IDs that reports the same reason as a participant of the same call is
/// that participant's own view: one finding, both pieces of evidence.
pub(super) fn fold_client_ends(parts: &mut Vec<Part>) {
    let mut i = 0;
    while i < parts.len() {
        if parts[i].from_summary {
            i += 1;
            continue;
        }
        let (code, sub) = (parts[i].end.code, parts[i].end.subcode);
        let target = parts
            .iter()
            .position(|p| p.from_summary && p.end.code == code && p.end.subcode == sub);
        match target {
            Some(t) => {
                let client = parts.remove(i);
                let t = if t > i { t - 1 } else { t };
                if let (Some(td), Some(cd)) = (parts[t].end.detail.as_mut(), client.end.detail) {
                    td.occurrences.merge(cd.occurrences);
                }
            }
            None => i += 1,
        }
    }
}

pub(super) fn end_finding(
    ctx: &Context,
    call_id: &str,
    part: &Part,
    d: &EndDetail,
    context: String,
) -> Option<Finding> {
    let (code, sub) = (part.end.code(), part.end.sub());
    let label = d.raw_label.clone().unwrap_or_else(|| code_label(code, sub));
    let who = match (&d.participant_id, &d.endpoint_id) {
        (Some(p), _) => format!("Participant {p}"),
        (None, Some(e)) => format!("Endpoint {e}"),
        (None, None) => "The local client".to_owned(),
    };
    let kind = d
        .endpoint_type
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let call = if call_id.is_empty() {
        "a call whose ID the log does not give".to_owned()
    } else {
        format!("call {call_id}")
    };
    let decoded: Option<Decoded<'_>> = d
        .raw_label
        .is_none()
        .then(|| {
            ctx.catalogs
                .get::<CodeTable>(&CALLING_END_REASONS)
                .decode(code, sub)
        })
        .flatten();
    let (severity, title, meaning, action, source) = match decoded {
        Some(dec) if dec.matched != MatchKind::SubcodeOnly => {
            let severity = dec.entry.severity.severity()?;
            let fallback = match dec.matched {
                MatchKind::Exact => String::new(),
                _ => format!(
                    " (subcode {} is in no published table; this is what code {code} means in general)",
                    sub.map_or("?".to_owned(), |s| s.to_string())
                ),
            };
            (
                severity,
                format!("Call ended with {label}: {}", cause_title(&dec.entry.cause)),
                format!("{}{fallback}", dec.entry.meaning),
                dec.entry.action.clone(),
                Some(dec.entry.source.clone()),
            )
        }
        _ => (
            Severity::Warning,
            format!("Call ended with unknown end reason {label}"),
            "This code is in no published table.".to_owned(),
            "Search the ACS troubleshooting codes for it; if it keeps occurring, open an Azure support request with the call and participant IDs.".to_owned(),
            None,
        ),
    };
    let sbc = match sub {
        Some(s) if (540_000..541_000).contains(&s) || (560_000..561_000).contains(&s) => {
            " The subcode comes from the customer's SBC (Direct Routing): its logs hold the reason."
        }
        _ => "",
    };
    let mut finding = crate::END_REASON
        .finding()
        .severity(severity)
        .title(title)
        .message(format!(
            "{who}{kind} left {call} with end reason {label}: {meaning}{sbc}{context}"
        ))
        .action(action)
        .code(label)
        .docs(DOCS)
        .id_value(IdKind::CallId, (!call_id.is_empty()).then_some(call_id))
        .id_value(IdKind::ParticipantId, d.participant_id.as_deref())
        .id_value(IdKind::EndpointId, d.endpoint_id.as_deref())
        .id_value(IdKind::UserId, d.identity.as_deref())
        .occurrences(d.occurrences.clone());
    if let Some(source) = source {
        finding = finding.source(source);
    }
    Some(finding)
}
