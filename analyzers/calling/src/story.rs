//! One call's story for `analyze --call`: participants, timeline, streams with their quality,
//! end reasons, and the IDs to give Azure support — built from every record of the call,
//! whatever file and shape it came from.

use acs_triage_core::field;
use std::collections::BTreeMap;

use acs_triage_core::analyzer::Context;
use acs_triage_core::time::{format_timestamp, parse_timestamp};
use acs_triage_core::{Format, Record};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::calls::{Source, code_label};
use crate::media::{Party, StreamJudge, format_value};

/// Where the story's records came from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SourceSeen {
    pub source: String,
    pub records: u64,
    pub files: Vec<String>,
}

/// How a participant ended.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EndReason {
    pub code: String,
    pub severity: String,
    pub meaning: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ParticipantRow {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// `None` when no CallSummary row tells how the participant ended.
    pub end_reason: Option<EndReason>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TimelineEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    pub source: String,
    pub what: String,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StreamRow {
    pub media: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_id: Option<String>,
    /// `sent by endpoint X` / `received by participant Y`.
    pub flow: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    pub measures: BTreeMap<String, String>,
    pub poor: Vec<String>,
}

/// One call's story.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CallStory {
    pub call_id: String,
    pub records: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    pub sources: Vec<SourceSeen>,
    pub participants: Vec<ParticipantRow>,
    pub streams: Vec<StreamRow>,
    pub timeline: Vec<TimelineEvent>,
    /// The IDs Azure support asks for, by kind.
    pub support_ids: BTreeMap<String, Vec<String>>,
}

const MEASURES: &[(&str, &str, &str)] = &[
    ("roundTripTimeAvg", "round-trip time", "ms"),
    ("jitterAvg", "jitter", "ms"),
    ("packetLossRateAvg", "packet loss", "ratio"),
    ("jitterBufferSizeAvg", "jitter buffer", "ms"),
    ("healedDataRatioAvg", "healed audio", "ratio"),
    ("videoFrameRateAvg", "frame rate", "fps"),
    ("recvResolutionHeight", "received height", "px"),
    ("recvFreezeDurationPerMinuteInMs", "frozen", "ms per minute"),
    ("packetUtilization", "packet count", "count"),
];

fn text(r: &Record<'_>, f: &str) -> Option<String> {
    r.text(f).map(|c| c.into_owned())
}

fn ts(t: Option<DateTime<Utc>>) -> Option<String> {
    t.as_ref().map(format_timestamp)
}

fn push_id(ids: &mut BTreeMap<String, Vec<String>>, kind: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        let list = ids.entry(kind.to_owned()).or_default();
        if !list.contains(&v) {
            list.push(v);
        }
    }
}

/// Builds the story of `call_id` from its records (in input order) and the run's file paths.
pub fn build(
    ctx: &Context,
    call_id: &str,
    records: &[Record<'static>],
    paths: &[String],
) -> CallStory {
    let path = |r: &Record<'_>| {
        paths
            .get(r.origin.file.0 as usize)
            .cloned()
            .unwrap_or_default()
    };
    let mut sources: BTreeMap<Source, SourceSeen> = BTreeMap::new();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    ids.insert("callId".to_owned(), vec![call_id.to_owned()]);
    let mut participants: BTreeMap<String, (i64, ParticipantRow)> = BTreeMap::new();
    let mut others: BTreeMap<String, ParticipantRow> = BTreeMap::new();
    let mut streams: BTreeMap<String, (i64, StreamRow)> = BTreeMap::new();
    let mut timeline = Vec::new();
    let mut call_type = None;
    let mut start: Option<DateTime<Utc>> = None;
    let mut duration = None;
    let stream_judge = StreamJudge::new(&ctx.settings.get::<crate::MediaThresholds>().0);

    for r in records {
        let Some(source) = Source::of(r) else {
            continue;
        };
        let seen = sources.entry(source).or_insert_with(|| SourceSeen {
            source: source.label().to_owned(),
            records: 0,
            files: Vec::new(),
        });
        seen.records += 1;
        let file = path(r);
        if !seen.files.contains(&file) {
            seen.files.push(file.clone());
        }
        push_id(
            &mut ids,
            "serverCallId",
            r.server_call_id().map(|c| c.into_owned()),
        );
        push_id(
            &mut ids,
            "callConnectionId",
            r.call_connection_id().map(|c| c.into_owned()),
        );
        push_id(
            &mut ids,
            "participantId",
            r.participant_id().map(|c| c.into_owned()),
        );
        push_id(
            &mut ids,
            "endpointId",
            r.endpoint_id().map(|c| c.into_owned()),
        );
        push_id(
            &mut ids,
            "clientRequestId",
            r.client_request_id().map(|c| c.into_owned()),
        );
        if r.format == Format::WebSdkLog || r.format == Format::DotnetLog {
            push_id(&mut ids, "msCv", r.ms_cv().map(|c| c.into_owned()));
        }
        let event = |time: Option<DateTime<Utc>>, what: String| TimelineEvent {
            time: ts(time),
            source: source.label().to_owned(),
            what,
            file: file.clone(),
            line: (r.origin.line > 0).then_some(r.origin.line),
        };

        match source {
            Source::Summary => {
                call_type = call_type.or_else(|| text(r, "callType"));
                if let Some(s) = text(r, "callStartTime").and_then(|t| parse_timestamp(&t)) {
                    start = Some(start.map_or(s, |cur| cur.min(s)));
                }
                duration = duration.or_else(|| r.number(field!("callDuration")));
                let key = r
                    .participant_id()
                    .or_else(|| r.endpoint_id())
                    .map(|c| c.into_owned())
                    .unwrap_or_default();
                let version = r.int(field!("callUpdatesVersion")).unwrap_or(0);
                let joined = text(r, "participantStartTime").and_then(|t| parse_timestamp(&t));
                let secs = r.number(field!("participantDuration"));
                let left = joined
                    .zip(secs)
                    .and_then(|(j, s)| acs_triage_core::time::offset(j, s));
                let end_reason = r.int(field!("participantEndReason")).map(|code| {
                    let sub = r.int(field!("participantEndSubCode"));
                    let decoded = ctx
                        .catalogs
                        .get::<acs_triage_core::catalog::CodeTable>(&crate::CALLING_END_REASONS)
                        .decode(code, sub);
                    EndReason {
                        code: code_label(code, sub),
                        severity: decoded
                            .map_or("unknown".to_owned(), |d| d.entry.severity.name().to_owned()),
                        meaning: decoded.map_or("in no published table".to_owned(), |d| {
                            d.entry.meaning.clone()
                        }),
                    }
                });
                let row = ParticipantRow {
                    participant_id: r.participant_id().map(|c| c.into_owned()),
                    endpoint_id: r.endpoint_id().map(|c| c.into_owned()),
                    identity: text(r, "identifier"),
                    endpoint_type: text(r, "endpointType"),
                    sdk_version: r
                        .get(field!("sdkVersion"))
                        .map(|v| v.to_text().into_owned()),
                    os_version: r.get(field!("osVersion")).map(|v| v.to_text().into_owned()),
                    joined: ts(joined),
                    left: ts(left),
                    duration_seconds: secs,
                    end_reason: end_reason.clone(),
                };
                let who = row
                    .participant_id
                    .clone()
                    .or(row.endpoint_id.clone())
                    .unwrap_or_default();
                if joined.is_some() {
                    timeline.push(event(joined, format!("participant {who} joined")));
                }
                if let Some(end) = &end_reason {
                    timeline.push(event(
                        left,
                        format!(
                            "participant {who} left: {} ({}) {}",
                            end.code, end.severity, end.meaning
                        ),
                    ));
                }
                match participants.get(&key) {
                    Some((v, _)) if *v > version => {}
                    _ => {
                        participants.insert(key, (version, row));
                    }
                }
            }
            Source::Diagnostics => {
                let party = Party::of(r);
                let key = format!(
                    "{}|{}|{}",
                    party
                        .participant_id
                        .as_deref()
                        .or(party.endpoint_id.as_deref())
                        .unwrap_or(""),
                    text(r, "streamId").unwrap_or_default(),
                    text(r, "mediaType").unwrap_or_default()
                );
                let version = r.int(field!("callUpdatesVersion")).unwrap_or(0);
                let measures = MEASURES
                    .iter()
                    .filter_map(|(f, label, unit)| {
                        r.number(f)
                            .map(|v| (label.to_string(), format_value(v, unit)))
                    })
                    .collect();
                let row = StreamRow {
                    media: text(r, "mediaType").unwrap_or_else(|| "media".to_owned()),
                    stream_id: text(r, "streamId"),
                    flow: party.describe(),
                    transport: text(r, "transportType"),
                    measures,
                    poor: stream_judge.judge(r).iter().map(|v| v.describe()).collect(),
                };
                record_other(&mut others, r);
                match streams.get(&key) {
                    Some((v, _)) if *v > version => {}
                    _ => {
                        streams.insert(key, (version, row));
                    }
                }
            }
            Source::ClientOperations => {
                let op = text(r, "OperationName").unwrap_or_else(|| "operation".to_owned());
                let result = text(r, "ResultType").unwrap_or_default();
                let payload = text(r, "OperationPayload").unwrap_or_default();
                let mut what = format!("{op} {result}");
                if op.eq_ignore_ascii_case("UserFacingDiagnostics")
                    || result.to_ascii_lowercase().contains("fail")
                {
                    what.push_str(&format!(" {}", truncate(&payload, 100)));
                }
                if let Some(p) = r.participant_id() {
                    what.push_str(&format!(" (participant {p})"));
                }
                let time = text(r, "CallClientTimeStamp")
                    .and_then(|t| parse_timestamp(&t))
                    .or(r.time);
                timeline.push(event(time, what.trim().to_owned()));
                record_other(&mut others, r);
            }
            Source::MediaStats => {}
            Source::CallAutomation => {
                let what = match (
                    text(r, "type").map(|t| t.rsplit('.').next().unwrap_or(&t).to_owned()),
                    r.int(field!("resultInformation.code")),
                ) {
                    (Some(t), Some(code)) => format!(
                        "{t}: {}{}",
                        code_label(code, r.int(field!("resultInformation.subCode"))),
                        text(r, "resultInformation.message")
                            .map(|m| format!(" {m}"))
                            .unwrap_or_default()
                    ),
                    (Some(t), None) => t,
                    (None, _) => format!(
                        "{} {}",
                        text(r, "OperationName").unwrap_or_else(|| "request".to_owned()),
                        text(r, "ResultSignature").unwrap_or_default()
                    ),
                };
                timeline.push(event(r.time, what.trim().to_owned()));
            }
            Source::EventGrid => {
                let t = r
                    .category_name()
                    .rsplit('.')
                    .next()
                    .unwrap_or("event")
                    .to_owned();
                let who = text(r, "participantId")
                    .map(|p| format!(" participant {p}"))
                    .unwrap_or_default();
                timeline.push(event(r.time, format!("{t}{who}")));
                record_other(&mut others, r);
            }
            Source::WebSdk => {
                let message = text(r, "message").unwrap_or_default();
                let first = message.lines().next().unwrap_or_default();
                timeline.push(event(
                    r.time,
                    format!(
                        "{} {}",
                        text(r, "level").unwrap_or_default(),
                        truncate(first, 140)
                    ),
                ));
            }
        }
    }

    let mut rows: Vec<ParticipantRow> = participants.into_values().map(|(_, p)| p).collect();
    let known: Vec<String> = rows
        .iter()
        .flat_map(|p| [p.participant_id.clone(), p.endpoint_id.clone()])
        .flatten()
        .collect();
    for (key, row) in others {
        if !known.contains(&key) {
            rows.push(row);
        }
    }
    timeline.sort_by(|a, b| {
        (a.time.is_none(), &a.time, &a.file, a.line).cmp(&(
            b.time.is_none(),
            &b.time,
            &b.file,
            b.line,
        ))
    });
    CallStory {
        call_id: call_id.to_owned(),
        records: records.len() as u64,
        call_type,
        start: ts(start),
        duration_seconds: duration,
        sources: sources.into_values().collect(),
        participants: rows,
        streams: streams.into_values().map(|(_, s)| s).collect(),
        timeline,
        support_ids: ids,
    }
}

/// A participant seen outside CallSummary (no end record yet).
fn record_other(others: &mut BTreeMap<String, ParticipantRow>, r: &Record<'_>) {
    let Some(key) = r
        .participant_id()
        .or_else(|| r.endpoint_id())
        .map(|c| c.into_owned())
    else {
        return;
    };
    others.entry(key).or_insert_with(|| ParticipantRow {
        participant_id: r.participant_id().map(|c| c.into_owned()),
        endpoint_id: r.endpoint_id().map(|c| c.into_owned()),
        identity: text(r, "identifier"),
        endpoint_type: text(r, "endpointType").filter(|t| !t.eq_ignore_ascii_case("Server")),
        sdk_version: None,
        os_version: None,
        joined: None,
        left: None,
        duration_seconds: None,
        end_reason: None,
    });
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}
