//! `calling/end-reason`: how each participant's call ended, decoded, with the client evidence
//! seen before it.

use super::*;
use acs_triage_core::SharedText;
use acs_triage_core::field;

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
    let label = d
        .raw_label
        .as_deref()
        .map_or_else(|| code_label(code, sub), str::to_owned);
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
    let said = d
        .said
        .as_deref()
        .map(|s| format!(" The log says: {s}."))
        .unwrap_or_default();
    let unknown_subcode = sub.is_some_and(|s| s != 0);
    let (severity, title, meaning, action, source) = match decoded {
        Some(dec)
            if dec.matched == MatchKind::Exact
                || (dec.matched == MatchKind::CodeOnly && !unknown_subcode) =>
        {
            let severity = dec.entry.severity.severity()?;
            (
                severity,
                format!("Call ended with {label}: {}", cause_title(&dec.entry.cause)),
                dec.entry.meaning.clone(),
                SharedText::from(&dec.entry.action),
                Some(SharedText::from(&dec.entry.source)),
            )
        }
        // The code is known, the subcode is not: what the code means in general is context,
        // not a diagnosis; the log's own words come first.
        Some(dec) if dec.matched == MatchKind::CodeOnly => (
            Severity::Warning,
            format!("Call ended with {label}, a subcode no published table explains"),
            format!(
                "No catalog row explains subcode {}.{said} Code {code} in general: {}",
                sub.unwrap_or_default(),
                lower_first(&dec.entry.meaning)
            ),
            if d.said.is_some() {
                SharedText::from(
                    "Act on what the log says; if it is not clear, open an Azure support request with the call and participant IDs and this log line.",
                )
            } else {
                SharedText::from(format!(
                    "Look the subcode up in the ACS troubleshooting codes before acting; for code {code} in general: {}",
                    lower_first(&dec.entry.action)
                ))
            },
            Some(SharedText::from(&dec.entry.source)),
        ),
        _ => (
            Severity::Warning,
            format!("Call ended with unknown end reason {label}"),
            format!("This code is in no published table.{said}"),
            SharedText::from(
                "Search the ACS troubleshooting codes for it; if it keeps occurring, open an Azure support request with the call and participant IDs.",
            ),
            None,
        ),
    };
    // Quoted already when the catalog could not explain the code.
    // A known code needs no quotation, unless the log adds a phrase of its own.
    let meaning = match (decoded, &d.said) {
        (Some(dec), Some(s))
            if dec.matched == MatchKind::Exact
                && s.starts_with('\u{201c}')
                && !quoted_in(&meaning, s) =>
        {
            format!("{meaning}{said}")
        }
        _ => meaning,
    };
    let pstn = pstn_side(sub, d.pstn_call_type.as_deref());
    // The client's own diagnostic that explains the ending is part of this problem.
    let explains_ufd = context.contains("The client reported");
    let mut finding = crate::END_REASON
        .finding()
        .severity(severity)
        .title(title)
        .message(format!(
            "{who}{kind} left {call} with end reason {label}: {meaning}{pstn}{context}"
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
    if explains_ufd && !call_id.is_empty() {
        finding = finding.explains(Explains {
            kind: crate::USER_FACING_DIAGNOSTIC.id.to_owned(),
            code: None,
            ids: vec![(IdKind::CallId, call_id.to_owned())],
            window: None,
        });
    }
    Some(finding)
}

/// What the log itself says of an ending: the SDK's phrase (or an operation's failure reason)
/// and its result categories, as a quotation.
pub(crate) fn log_says(record: &Record<'_>) -> Option<String> {
    let phrase = ["phrase", "FailureReason", "reason.message", "resultMessage"]
        .iter()
        .find_map(|f| record.text(f).filter(|t| !t.trim().is_empty()));
    let categories = record
        .get(field!("resultCategories"))
        .or_else(|| record.get(field!("ResultCategory")))
        .map(|v| {
            v.to_text()
                .trim_matches(['[', ']'])
                .replace('"', "")
                .trim()
                .to_owned()
        })
        .filter(|c| !c.is_empty());
    match (phrase, categories) {
        (Some(p), Some(c)) => Some(format!("\u{201c}{}\u{201d} ({c})", p.trim())),
        (Some(p), None) => Some(format!("\u{201c}{}\u{201d}", p.trim())),
        (None, Some(c)) => Some(format!("result category {c}")),
        (None, None) => None,
    }
}

/// `The request...` as `the request...`, to follow a colon.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Who answered for a phone-network subcode (540xxx inbound, 560xxx outbound: the final answer
/// came from the PSTN side, not from ACS). With Direct Routing that is the customer's own SBC;
/// with ACS phone numbers, the carrier; the catalog's meaning names both. When the row has a
/// `PstnParticipantCallType` it is quoted (its values are not published), and a value naming
/// Direct Routing settles it.
fn pstn_side(sub: Option<i64>, call_type: Option<&str>) -> String {
    let Some(s) = sub else {
        return String::new();
    };
    if !((540_000..541_000).contains(&s) || (560_000..561_000).contains(&s)) {
        return String::new();
    }
    match call_type {
        Some(t)
            if t.to_ascii_lowercase()
                .replace([' ', '-', '_'], "")
                .contains("directrouting") =>
        {
            format!(
                " This call used Direct Routing (PstnParticipantCallType {t:?}): the customer's SBC gave the final answer, and its logs hold the reason."
            )
        }
        Some(t) => format!(" (PstnParticipantCallType {t:?}.)"),
        // The catalog's meaning already names both sides.
        None => String::new(),
    }
}

/// True when the catalog's meaning already quotes the log's phrase.
fn quoted_in(meaning: &str, said: &str) -> bool {
    said.trim_start_matches('\u{201c}')
        .split('\u{201d}')
        .next()
        .is_some_and(|phrase| !phrase.is_empty() && meaning.contains(phrase))
}
