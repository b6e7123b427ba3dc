//! `calling/end-reason`: how each participant left each call, decoded.
//!
//! End reasons arrive as `participantEndReason` / `participantEndSubCode` in CallSummary (any
//! shape, including the Updates table, where only the highest `callUpdatesVersion` of a
//! participant counts) and as `reason={"code":..,"subCode":..}` in web SDK logs. Each
//! code/subcode pair is judged by the catalog (`rules/catalog/calling_end_reasons.csv`): normal
//! endings (0/0, 487/0, 603/0, answered elsewhere, ...) are never reported.

use std::collections::BTreeMap;

use acs_triage_core::analyzer::{
    Analyzer, AnalyzerInfo, Context, EntityAnalysis, EntityPass, Pass,
};
use acs_triage_core::catalog::{Judgement, MatchKind};
use acs_triage_core::{Evidence, Family, Finding, IdKind, Occurrences, Record, Severity};

/// Fields shown in the evidence of an end reason.
const EVIDENCE_FIELDS: &[&str] = &[
    "participantEndReason",
    "participantEndSubCode",
    "resultCategory",
    "endpointType",
    "callUpdatesVersion",
    "code",
    "subCode",
    "phrase",
];

pub struct EndReasons;

pub static END_REASONS: EndReasons = EndReasons;

impl Analyzer for EndReasons {
    fn info(&self) -> AnalyzerInfo {
        AnalyzerInfo {
            id: "calling/end-reason",
            title: "Call end reasons",
            families: &[Family::Calling],
            findings: &["calling/end-reason"],
        }
    }

    fn start(&self, _ctx: &Context) -> Box<dyn Pass> {
        Box::new(EntityPass::new(&END_REASONS))
    }
}

/// One participant's end, as the newest record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantEnd {
    code: i64,
    subcode: Option<i64>,
    /// `callUpdatesVersion`; records of the plain CallSummary table count as 0.
    version: i64,
    participant_id: Option<String>,
    endpoint_id: Option<String>,
    user_id: Option<String>,
    endpoint_type: Option<String>,
    occurrences: Occurrences,
}

/// End reasons of one call, by participant.
#[derive(Debug, Default)]
pub struct CallEnds {
    participants: BTreeMap<String, ParticipantEnd>,
}

/// An end reason read from a record.
struct Read {
    code: i64,
    subcode: Option<i64>,
    version: i64,
}

fn read_end(record: &Record<'_>) -> Option<Read> {
    let summary = record.is_category("CallSummary") || record.is_category("CallSummaryUpdates");
    let (code, subcode) = if summary {
        (
            record.int("participantEndReason")?,
            record.int("participantEndSubCode"),
        )
    } else if record.format == acs_triage_core::Format::WebSdkLog {
        (record.int("code")?, record.int("subCode"))
    } else {
        return None;
    };
    let version = record.int("callUpdatesVersion").unwrap_or(0);
    Some(Read {
        code,
        subcode,
        version,
    })
}

fn participant_key(record: &Record<'_>, read: &Read) -> String {
    match (record.participant_id(), record.endpoint_id()) {
        (Some(p), _) => format!("p:{p}"),
        (None, Some(e)) => format!("e:{e}"),
        // A client log line without IDs: one entry per distinct reason.
        (None, None) => format!("c:{}/{:?}", read.code, read.subcode),
    }
}

fn is_normal(ctx: &Context, read: &Read) -> bool {
    ctx.catalogs
        .calling
        .decode(read.code, read.subcode)
        .is_some_and(|d| {
            d.entry.severity == Judgement::Normal && d.matched != MatchKind::SubcodeOnly
        })
}

impl EntityAnalysis for EndReasons {
    type Key = String;
    type State = CallEnds;

    fn key(&self, ctx: &Context, record: &Record<'_>) -> Option<String> {
        let read = read_end(record)?;
        // A normal ending of a record without versions can never matter: skip it, so memory
        // follows the failures, not the corpus.
        if read.version == 0 && is_normal(ctx, &read) {
            return None;
        }
        Some(record.call_id().map(|c| c.into_owned()).unwrap_or_default())
    }

    fn observe(&self, _ctx: &Context, state: &mut CallEnds, record: &Record<'_>) {
        let Some(read) = read_end(record) else {
            return;
        };
        let key = participant_key(record, &read);
        let mut end = ParticipantEnd {
            code: read.code,
            subcode: read.subcode,
            version: read.version,
            participant_id: record.participant_id().map(|c| c.into_owned()),
            endpoint_id: record.endpoint_id().map(|c| c.into_owned()),
            user_id: record.user_id().map(|c| c.into_owned()),
            endpoint_type: record.text("endpointType").map(|c| c.into_owned()),
            occurrences: Occurrences::default(),
        };
        end.occurrences
            .add(Evidence::from_record(record, EVIDENCE_FIELDS));
        merge_end(&mut state.participants, key, end);
    }

    fn merge(&self, into: &mut CallEnds, from: CallEnds) {
        for (key, end) in from.participants {
            merge_end(&mut into.participants, key, end);
        }
    }

    fn finish(&self, ctx: &Context, call_id: String, state: CallEnds, out: &mut Vec<Finding>) {
        let mut participants = state.participants;
        // A client log line without IDs that reports the same reason as a participant of the same
        // call is that participant's own view: one finding, both pieces of evidence.
        let client_keys: Vec<String> = participants
            .keys()
            .filter(|k| k.starts_with("c:"))
            .cloned()
            .collect();
        for key in client_keys {
            let Some(client) = participants.get(&key) else {
                continue;
            };
            let (code, subcode) = (client.code, client.subcode);
            let target = participants
                .iter()
                .find(|(k, e)| !k.starts_with("c:") && e.code == code && e.subcode == subcode)
                .map(|(k, _)| k.clone());
            let Some(target) = target else {
                continue;
            };
            if let Some(client) = participants.remove(&key) {
                if let Some(end) = participants.get_mut(&target) {
                    end.occurrences.merge(client.occurrences);
                }
            }
        }
        for end in participants.into_values() {
            if let Some(finding) = end_finding(ctx, &call_id, end) {
                out.push(finding);
            }
        }
    }
}

/// Keeps the newest version of a participant's end; same version and reason merge.
fn merge_end(map: &mut BTreeMap<String, ParticipantEnd>, key: String, end: ParticipantEnd) {
    match map.get_mut(&key) {
        None => {
            map.insert(key, end);
        }
        Some(mine) => {
            let same_reason = mine.code == end.code && mine.subcode == end.subcode;
            if end.version > mine.version
                || (end.version == mine.version
                    && !same_reason
                    && end.occurrences.evidence.first() < mine.occurrences.evidence.first())
            {
                *mine = end;
            } else if end.version == mine.version && same_reason {
                mine.occurrences.merge(end.occurrences);
                fill(&mut mine.participant_id, end.participant_id);
                fill(&mut mine.endpoint_id, end.endpoint_id);
                fill(&mut mine.user_id, end.user_id);
                fill(&mut mine.endpoint_type, end.endpoint_type);
            }
        }
    }
}

fn fill(slot: &mut Option<String>, other: Option<String>) {
    if slot.is_none() {
        *slot = other;
    }
}

/// `410/3112`, or `410` when there is no subcode.
pub fn code_label(code: i64, subcode: Option<i64>) -> String {
    match subcode {
        Some(s) => format!("{code}/{s}"),
        None => code.to_string(),
    }
}

fn end_finding(ctx: &Context, call_id: &str, end: ParticipantEnd) -> Option<Finding> {
    let label = code_label(end.code, end.subcode);
    let who = match (&end.participant_id, &end.endpoint_id) {
        (Some(p), _) => format!("participant {p}"),
        (None, Some(e)) => format!("endpoint {e}"),
        (None, None) => "the local client".to_owned(),
    };
    let kind = end
        .endpoint_type
        .as_deref()
        .map(|t| format!(" ({t})"))
        .unwrap_or_default();
    let call = if call_id.is_empty() {
        "a call whose ID the log does not give".to_owned()
    } else {
        format!("call {call_id}")
    };
    let decoded = ctx.catalogs.calling.decode(end.code, end.subcode);
    let (severity, title, message, action, source) = match decoded {
        Some(d) => {
            let severity = d.entry.severity.severity()?;
            let fallback = match d.matched {
                MatchKind::Exact => String::new(),
                MatchKind::CodeOnly | MatchKind::SubcodeOnly => format!(
                    " (subcode {} is not in the catalog; this is what code {} means in general)",
                    end.subcode.map_or("?".to_owned(), |s| s.to_string()),
                    end.code
                ),
            };
            (
                severity,
                format!("Call ended with {label}: {}", cause_title(&d.entry.cause)),
                format!(
                    "{who}{kind} left {call} with end reason {label}: {}{fallback}",
                    d.entry.meaning
                ),
                d.entry.action.clone(),
                Some(d.entry.source.clone()),
            )
        }
        None => (
            Severity::Warning,
            format!("Call ended with unknown end reason {label}"),
            format!(
                "{who}{kind} left {call} with end reason {label}, which is in no published table"
            ),
            "Search the ACS troubleshooting docs for this code; if it keeps occurring, open an Azure support request with the call ID and participant ID.".to_owned(),
            None,
        ),
    };
    let mut finding = Finding::new("calling/end-reason", severity, title)
        .message(message)
        .action(action)
        .code(label)
        .docs("https://learn.microsoft.com/azure/communication-services/resources/troubleshooting/voice-video-calling/troubleshooting-codes")
        .id_value(IdKind::CallId, (!call_id.is_empty()).then_some(call_id))
        .id_value(IdKind::ParticipantId, end.participant_id.as_deref())
        .id_value(IdKind::EndpointId, end.endpoint_id.as_deref())
        .id_value(IdKind::UserId, end.user_id.as_deref())
        .occurrences(end.occurrences);
    if let Some(source) = source {
        finding = finding.source(source);
    }
    Some(finding)
}

/// A short title phrase per cause.
fn cause_title(cause: &str) -> &'static str {
    match cause {
        "network" => "client network problem",
        "media-path" => "media path blocked",
        "media-stack" => "media failure",
        "auth" => "authentication failure",
        "permission" => "permission denied",
        "device" => "device problem",
        "not-registered" => "callee not reachable",
        "teams-policy" => "Teams policy refused the call",
        "rooms-policy" => "Rooms policy refused the join",
        "spam-blocked" => "call blocked",
        "sbc" => "answer from the SBC (Direct Routing)",
        "pstn-number" => "phone number problem",
        "service" => "service error",
        "client-app" => "client application problem",
        "sdk-usage" => "SDK used in the wrong state",
        "timeout" => "timed out",
        "no-answer" => "no answer",
        "busy" => "callee busy",
        "declined" => "declined",
        "cancelled" => "cancelled",
        "removed" => "participant removed",
        _ => "unexpected ending",
    }
}
