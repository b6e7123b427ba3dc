//! Client-side evidence of a call: failed SDK operations and User Facing Diagnostics (UFD), from
//! the CallClientOperations table and web SDK console logs.
//!
//! UFD names, their bad values, severities and actions are data
//! (`rules/catalog/user_facing_diagnostics.csv`). A bad value later followed by a good one for the
//! same participant recovered; one that never did is reported as such.

use acs_triage_core::{FieldName, field, fields};
use std::collections::BTreeMap;

use acs_triage_core::analyzer::keep_min;
use acs_triage_core::analyzer::{Context, Output};
use acs_triage_core::catalog::{CodeEntry, Judgement, MatchKind, UfdEntry};
use acs_triage_core::record::embedded_object;
use acs_triage_core::{Evidence, IdKind, Occurrences, Record, Severity, SharedText};
use chrono::{DateTime, Utc};

use crate::calls::{Source, code_label};
use acs_triage_core::text::when;

const OPERATION_FIELDS: &[FieldName<'static>] = fields![
    "OperationName",
    "ResultType",
    "ResultSignature",
    "OperationPayload",
    "code",
    "subCode",
    "message",
];

/// True when a web SDK line reports how a call ended (rather than an API error): the reader marks
/// the lines it recognizes (`event = callEnded`); older wording is matched as a fallback.
pub fn is_end_reason_line(record: &Record<'_>) -> bool {
    if record
        .text(field!("event"))
        .is_some_and(|e| e.eq_ignore_ascii_case("callEnded"))
    {
        return true;
    }
    let message = record
        .text(field!("message"))
        .unwrap_or_default()
        .to_ascii_lowercase();
    ["ended", "endreason", "end reason", "callend"]
        .iter()
        .any(|w| message.contains(w))
}

/// The name of the operation a web SDK line reports: the one the SDK tagged
/// (`[a52d0810][Logout]`), else the message's first words (a component such as `CallClient70`).
fn web_operation(record: &Record<'_>) -> String {
    if let Some(op) = record.text(field!("operation")) {
        return op.into_owned();
    }
    if record.is_category("CallingCommunicationError") {
        return "A Calling SDK call (CallingCommunicationError)".to_owned();
    }
    let message = record.text(field!("message")).unwrap_or_default();
    let words: String = message
        .trim_start_matches(['[', ' '])
        .split(['[', ']', '{', ':', '.', ',', '('])
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .take(80)
        .collect();
    if words.is_empty() || !words.starts_with(|c: char| c.is_alphabetic()) {
        "SDK call".to_owned()
    } else {
        words
    }
}

/// A failed client operation.
#[derive(Debug, Clone)]
pub struct ClientEvent {
    pub participant: Option<String>,
    pub operation: String,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    /// What the log says of the failure (`FailureReason`, the SDK's phrase), quoted.
    pub said: Option<String>,
    pub evidence: Evidence,
}

/// Reads a JSON payload held as text (OperationPayload) into (lower-case key, value) pairs.
fn payload_pairs(record: &Record<'_>) -> Vec<(String, String)> {
    let Some(text) = record.text(field!("OperationPayload")) else {
        return Vec::new();
    };
    match embedded_object(&text) {
        Some(fields) => fields
            .into_iter()
            .map(|f| {
                let name = f
                    .name
                    .rsplit('.')
                    .next()
                    .unwrap_or(&f.name)
                    .to_ascii_lowercase();
                (name, f.value.to_text().into_owned())
            })
            .collect(),
        None => Vec::new(),
    }
}

fn payload_int(pairs: &[(String, String)], names: &[&str]) -> Option<i64> {
    pairs
        .iter()
        .find(|(k, _)| names.contains(&k.as_str()))
        .and_then(|(_, v)| v.trim().parse().ok())
}

/// A failed SDK operation, if the record is one.
pub fn client_event(_ctx: &Context, record: &Record<'_>, source: Source) -> Option<ClientEvent> {
    match source {
        Source::ClientOperations => {
            let operation = record.text(field!("OperationName"))?.into_owned();
            if operation.eq_ignore_ascii_case("UserFacingDiagnostics") {
                return None;
            }
            // `Failed`, `UnexpectedClientError`, `ExpectedError`...: the catalog judges the code.
            let failed_type = record.text(field!("ResultType")).is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                t.starts_with("fail") || t.contains("error")
            });
            let signature = record.int(field!("ResultSignature"));
            if !failed_type && signature.is_none_or(|s| s < 400) {
                return None;
            }
            let pairs = payload_pairs(record);
            let code = payload_int(&pairs, &["code", "errorcode", "resultcode"]).or(signature);
            let subcode = payload_int(&pairs, &["subcode", "errorsubcode", "resultsubcode"]);
            let said = pairs
                .iter()
                .find(|(k, v)| k == "failurereason" && !v.trim().is_empty())
                .map(|(_, v)| format!("\u{201c}{}\u{201d}", v.trim()))
                .or_else(|| crate::calls::log_says(record));
            Some(ClientEvent {
                participant: record.participant_id().map(|c| c.into_owned()),
                operation,
                code,
                subcode,
                said,
                evidence: Evidence::from_record(record, OPERATION_FIELDS),
            })
        }
        Source::WebSdk => {
            let code = record.int(field!("code"))?;
            if is_end_reason_line(record) {
                return None;
            }
            Some(ClientEvent {
                participant: record.participant_id().map(|c| c.into_owned()),
                operation: web_operation(record),
                code: Some(code),
                subcode: record.int(field!("subCode")),
                said: crate::calls::log_says(record),
                evidence: Evidence::from_record(record, fields!["code", "subCode", "message"]),
            })
        }
        _ => None,
    }
}

/// One UFD value seen.
#[derive(Debug, Clone)]
pub struct UfdObservation {
    pub value: String,
    pub bad: bool,
    pub evidence: Evidence,
}

/// The history of one diagnostic for one participant.
#[derive(Debug, Clone, Default)]
pub struct UfdTrack {
    pub bad: Occurrences,
    /// Worst value seen (the one of the earliest bad evidence).
    pub bad_value: Option<(Evidence, String)>,
    /// Times of good values.
    pub goods: Vec<Option<DateTime<Utc>>>,
}

impl UfdTrack {
    pub fn add(&mut self, o: UfdObservation) {
        if o.bad {
            if self.bad_value.as_ref().is_none_or(|(e, _)| o.evidence < *e) {
                self.bad_value = Some((o.evidence.clone(), o.value));
            }
            self.bad.add(o.evidence);
        } else {
            self.goods.push(o.evidence.time);
        }
    }

    pub fn merge(&mut self, other: UfdTrack) {
        if let Some((e, v)) = other.bad_value
            && self.bad_value.as_ref().is_none_or(|(mine, _)| e < *mine)
        {
            self.bad_value = Some((e, v));
        }
        self.bad.merge(other.bad);
        self.goods.extend(other.goods);
    }

    /// When a good value followed the last bad one.
    pub fn recovered_at(&self) -> Option<DateTime<Utc>> {
        let last_bad = self.bad.last?;
        self.goods
            .iter()
            .flatten()
            .filter(|g| **g > last_bad)
            .min()
            .copied()
    }
}

fn ufd_from_pairs<'c>(
    ctx: &'c Context,
    pairs: &[(String, String)],
) -> Option<(&'c UfdEntry, String)> {
    let lookup = |keys: &[&str]| {
        pairs
            .iter()
            .find(|(k, _)| keys.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
    };
    // Log Analytics: `{"DiagnosticChanged": "networkReconnect", "DiagnosticQuality": "Bad"}`.
    if let Some(name) = lookup(&[
        "diagnosticchanged",
        "diagnostickey",
        "diagnosticname",
        "name",
        "diagnostic",
        "key",
    ]) && let Some(entry) = ctx
        .catalogs
        .get::<acs_triage_core::catalog::UfdTable>(&crate::USER_FACING_DIAGNOSTICS)
        .get(&name)
    {
        let value = lookup(&[
            "diagnosticquality",
            "diagnosticvalue",
            "value",
            "newvalue",
            "currentvalue",
        ])
        .unwrap_or_default();
        return Some((entry, value));
    }
    // `{"networkRelaysNotReachable": true}`
    pairs.iter().find_map(|(k, v)| {
        ctx.catalogs
            .get::<acs_triage_core::catalog::UfdTable>(&crate::USER_FACING_DIAGNOSTICS)
            .get(k)
            .map(|e| (e, v.clone()))
    })
}

/// A UFD value, if the record carries one: `((participant, name), observation)`.
pub fn ufd_event(
    ctx: &Context,
    record: &Record<'_>,
    source: Source,
) -> Option<((String, String), UfdObservation)> {
    let (entry, value) = match source {
        Source::ClientOperations => {
            let op = record.text(field!("OperationName"))?;
            if !op.eq_ignore_ascii_case("UserFacingDiagnostics") {
                return None;
            }
            ufd_from_pairs(ctx, &payload_pairs(record))?
        }
        Source::WebSdk => {
            let message = record.text(field!("message"))?;
            web_ufd(ctx, &message)?
        }
        _ => return None,
    };
    let participant = record
        .participant_id()
        .map(|c| c.into_owned())
        .unwrap_or_default();
    let bad = entry.is_bad(&value);
    Some((
        (participant, entry.name.clone()),
        UfdObservation {
            value,
            bad,
            evidence: Evidence::from_record(
                record,
                fields!["OperationName", "OperationPayload", "message"],
            ),
        },
    ))
}

/// `networkRelaysNotReachable=true`, `networkReconnect: Bad` in a web SDK message.
fn web_ufd<'c>(ctx: &'c Context, message: &str) -> Option<(&'c UfdEntry, String)> {
    for entry in &ctx
        .catalogs
        .get::<acs_triage_core::catalog::UfdTable>(&crate::USER_FACING_DIAGNOSTICS)
        .entries
    {
        let Some(at) = message.find(entry.name.as_str()) else {
            continue;
        };
        let rest = message[at + entry.name.len()..]
            .trim_start_matches(['"', '\''])
            .trim_start();
        let rest = rest.strip_prefix([':', '=']).unwrap_or(rest).trim_start();
        let rest = rest.trim_start_matches(['"', '\'']);
        let value: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if !value.is_empty() {
            return Some((entry, value));
        }
    }
    None
}

/// A sentence for an end reason when the client's own diagnostics explain it.
pub fn ufd_hint_for_end(
    detail: Option<&crate::calls::Detail>,
    code: i64,
    sub: Option<i64>,
    participant: Option<&str>,
) -> String {
    let Some(detail) = detail else {
        return String::new();
    };
    if !(code == 410 || code == 490 || code == 496) {
        return String::new();
    }
    let wanted: &[&str] = if code == 410 && sub == Some(3112) {
        &["networkRelaysNotReachable", "noNetwork"]
    } else {
        &["networkReconnect", "noNetwork", "networkRelaysNotReachable"]
    };
    let hit = detail.ufd.iter().find(|((p, name), track)| {
        track.bad.count > 0
            && wanted.iter().any(|w| w.eq_ignore_ascii_case(name))
            && (participant.is_none() || p.is_empty() || Some(p.as_str()) == participant)
    });
    match hit {
        Some(((_, name), track)) => format!(
            " The client reported {name} = {}{} before the call ended, which explains it.",
            track.bad_value.as_ref().map_or("", |(_, v)| v.as_str()),
            track
                .bad
                .first
                .map(|t| format!(" at {}", when(Some(t))))
                .unwrap_or_default()
        ),
        None => String::new(),
    }
}

fn decode(ctx: &Context, code: i64, sub: Option<i64>) -> Option<(&CodeEntry, MatchKind)> {
    // Identity and CallAgent errors first (their subcodes are the most specific), then the calling
    // tables.
    if let Some(sub) = sub
        && let Some(e) = ctx
            .catalogs
            .get::<acs_triage_core::catalog::CodeTable>(&crate::IDENTITY_ERRORS)
            .entries
            .iter()
            .find(|e| e.code == Some(code) && e.subcode == Some(sub))
    {
        return Some((e, MatchKind::Exact));
    }
    ctx.catalogs
        .get::<acs_triage_core::catalog::CodeTable>(&crate::CALLING_END_REASONS)
        .decode(code, sub)
        .filter(|d| d.matched != MatchKind::SubcodeOnly)
        .map(|d| (d.entry, d.matched))
}

/// Participant, operation, code, subcode.
type OperationKey = (Option<String>, String, Option<i64>, Option<i64>);

/// Findings of a call's client-side trouble.
pub fn findings(ctx: &Context, call_id: &str, detail: &crate::calls::Detail, out: &mut Output) {
    // Failed operations, grouped by participant, operation and code.
    let mut groups: BTreeMap<OperationKey, (Occurrences, Option<String>)> = BTreeMap::new();
    for e in &detail.client {
        let group = groups
            .entry((
                e.participant.clone(),
                e.operation.clone(),
                e.code,
                e.subcode,
            ))
            .or_default();
        group.0.add(e.evidence.clone());
        keep_min(&mut group.1, e.said.clone());
    }
    for ((participant, operation, code, sub), (occ, said)) in groups {
        let decoded = code.and_then(|c| decode(ctx, c, sub));
        // A subcode no table has: the code's general meaning is context, not the diagnosis.
        let unknown_subcode = sub.is_some_and(|s| s != 0);
        let (entry, general) = match decoded {
            Some((e, MatchKind::CodeOnly)) if unknown_subcode => (None, Some(e)),
            Some((e, _)) => (Some(e), None),
            None => (None, None),
        };
        let severity = match entry.map(|e| e.severity) {
            Some(Judgement::Normal) => continue,
            Some(j) => j.severity().unwrap_or(Severity::Warning),
            None => Severity::Warning,
        };
        let label = code
            .map(|c| code_label(c, sub))
            .unwrap_or_else(|| "failure".to_owned());
        let who = participant
            .as_deref()
            .map(|p| format!(" for participant {p}"))
            .unwrap_or_default();
        let said_text = said
            .as_deref()
            .map(|s| format!(" The log says: {s}."))
            .unwrap_or_default();
        let meaning = match (entry, general) {
            (Some(e), _) => format!("{}{said_text}", e.meaning),
            (None, Some(g)) => format!(
                "No catalog row explains subcode {}.{said_text} Code {} in general: {}",
                sub.unwrap_or_default(),
                code.unwrap_or_default(),
                g.meaning
            ),
            (None, None) => format!("No catalog row explains {label}.{said_text}"),
        };
        let action = match entry {
            Some(e) => SharedText::from(&e.action),
            None if said.is_some() => SharedText::from(
                "Act on what the log says; if it is not clear, open an Azure support request with the call and participant IDs and this log line.",
            ),
            None => SharedText::from(
                "Read the client log around this time for the SDK's error message.",
            ),
        };
        let times = if occ.count > 1 {
            format!(" ({} times)", occ.count)
        } else {
            String::new()
        };
        let call = if call_id.is_empty() {
            "a call whose ID the log does not give".to_owned()
        } else {
            format!("call {call_id}")
        };
        let mut f = crate::CLIENT_OPERATION_FAILED
            .finding()
            .severity(severity)
            .title(format!("{operation} failed with {label}"))
            .message(format!(
                "{operation} failed{who} in {call} with {label}{times}: {meaning}"
            ))
            .action(action)
            .code(label)
            .id_value(IdKind::CallId, (!call_id.is_empty()).then_some(call_id))
            .id_value(IdKind::ParticipantId, participant.as_deref())
            .occurrences(occ);
        if let Some(e) = entry.or(general) {
            f = f.source(e.source.clone());
        }
        out.push(f);
    }

    // User Facing Diagnostics.
    for ((participant, name), track) in &detail.ufd {
        if track.bad.count == 0 {
            continue;
        }
        let Some(entry) = ctx
            .catalogs
            .get::<acs_triage_core::catalog::UfdTable>(&crate::USER_FACING_DIAGNOSTICS)
            .get(name)
        else {
            continue;
        };
        let Some(base) = entry.severity.severity() else {
            continue;
        };
        let recovered = track.recovered_at();
        let severity = match (recovered, base) {
            (Some(_), Severity::Error) => Severity::Warning,
            (Some(_), _) => Severity::Info,
            (None, s) => s,
        };
        let value = track.bad_value.as_ref().map_or("", |(_, v)| v.as_str());
        let who = if participant.is_empty() {
            "the client".to_owned()
        } else {
            format!("participant {participant}")
        };
        let outcome = match recovered {
            Some(t) => format!(" It recovered at {}.", when(Some(t))),
            None => " It did not recover before the call or the logs ended.".to_owned(),
        };
        out.push(
            crate::USER_FACING_DIAGNOSTIC
                .finding()
                .severity(severity)
                .title(format!("Client diagnostic {name} = {value}"))
                .message(format!(
                    "In call {call_id}, {who} reported {name} = {value}{}: {}{outcome}",
                    track
                        .bad
                        .first
                        .map(|t| format!(" at {}", when(Some(t))))
                        .unwrap_or_default(),
                    entry.meaning
                ))
                .action(entry.action.clone())
                .source(entry.source.clone())
                .id_value(IdKind::CallId, (!call_id.is_empty()).then_some(call_id))
                .id_value(
                    IdKind::ParticipantId,
                    (!participant.is_empty()).then_some(participant),
                )
                .occurrences(track.bad.clone()),
        );
    }
}
