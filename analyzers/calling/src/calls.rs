//! `calling/calls`: every call reconstructed from every source that mentions it, then judged.
//!
//! One entity per call ID, built from CallSummary (and its Updates table, newest
//! `callUpdatesVersion` per participant), CallDiagnostics, CallClientOperations,
//! CallClientMediaStatsTimeSeries, Call Automation logs and callbacks, Event Grid call events and
//! web SDK logs. P2P calls (no participant ID) are tracked by endpoint ID.
//!
//! Memory follows the problems: every call keeps a compact record (sources seen, one small entry
//! per participant with hashed identity and versions); strings and evidence are only kept for
//! participants that ended badly and for calls with client-side trouble.
//!
//! Findings: per participant end reasons (`calling/end-reason`), failed client operations
//! (`calling/client-operation-failed`), User Facing Diagnostics (`calling/user-facing-diagnostic`),
//! many participants of one call failing together (`calling/service-side-failure`), and across
//! calls: one identity failing the same way again and again (`calling/repeated-failure`), one SDK
//! or OS version behind most failures (`calling/version-pattern`), and what is missing from the
//! logs (`calling/missing-data`, `calling/redacted-versions`).

use std::collections::BTreeMap;

use acs_triage_core::FastMap;
use std::hash::{Hash, Hasher};

use acs_triage_core::analyzer::{
    Analyzer, AnalyzerInfo, Context, Output, Pass, downcast_pass, keep_min,
};
use acs_triage_core::catalog::{Decoded, Judgement, MatchKind};
use acs_triage_core::table::Table;
use acs_triage_core::time::format_timestamp;
use acs_triage_core::{
    Evidence, Family, Finding, Format, IdKind, Occurrences, Origin, Record, Severity,
};
use chrono::{DateTime, Duration, Utc};

use crate::client::{self, ClientEvent, UfdTrack};

const END_FIELDS: &[&str] = &[
    "participantEndReason",
    "participantEndSubCode",
    "resultCategory",
    "endpointType",
    "callUpdatesVersion",
    "code",
    "subCode",
    "phrase",
];

pub struct Calls;

pub static CALLS: Calls = Calls;

pub const FINDINGS: &[&str] = &[
    "calling/end-reason",
    "calling/client-operation-failed",
    "calling/user-facing-diagnostic",
    "calling/service-side-failure",
    "calling/repeated-failure",
    "calling/version-pattern",
    "calling/missing-data",
    "calling/redacted-versions",
];

impl Analyzer for Calls {
    fn info(&self) -> AnalyzerInfo {
        AnalyzerInfo {
            id: "calling/calls",
            title: "Calls: end reasons, client evidence, patterns, missing data",
            families: &[Family::Calling, Family::CallAutomation],
            findings: FINDINGS,
            tables: &[END_REASONS_TABLE, TIMELINE_TABLE],
        }
    }

    fn start(&self, ctx: &Context) -> Box<dyn Pass> {
        Box::new(CallsPass {
            spans: ctx.wants_table(TIMELINE_TABLE).then(FastMap::default),
            ..CallsPass::default()
        })
    }
}

/// Where a call was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Summary,
    Diagnostics,
    ClientOperations,
    MediaStats,
    CallAutomation,
    EventGrid,
    WebSdk,
}

impl Source {
    pub const ALL: [Source; 7] = [
        Source::Summary,
        Source::Diagnostics,
        Source::ClientOperations,
        Source::MediaStats,
        Source::CallAutomation,
        Source::EventGrid,
        Source::WebSdk,
    ];

    fn bit(self) -> u16 {
        1 << (self as u16)
    }

    pub fn label(self) -> &'static str {
        match self {
            Source::Summary => "CallSummary",
            Source::Diagnostics => "CallDiagnostics",
            Source::ClientOperations => "CallClientOperations",
            Source::MediaStats => "CallClientMediaStatsTimeSeries",
            Source::CallAutomation => "Call Automation",
            Source::EventGrid => "Event Grid call events",
            Source::WebSdk => "web SDK log",
        }
    }

    /// The source of a calling record, if it is one.
    pub fn of(record: &Record<'_>) -> Option<Source> {
        if record.format == Format::WebSdkLog {
            return Some(Source::WebSdk);
        }
        if record.family == Family::CallAutomation {
            return Some(Source::CallAutomation);
        }
        if record.format == Format::EventGrid || record.format == Format::CloudEvents {
            return Some(Source::EventGrid);
        }
        let cat = record.category_name();
        if cat.eq_ignore_ascii_case("CallSummary") || cat.eq_ignore_ascii_case("CallSummaryUpdates")
        {
            Some(Source::Summary)
        } else if cat.eq_ignore_ascii_case("CallDiagnostics")
            || cat.eq_ignore_ascii_case("CallDiagnosticsUpdates")
        {
            Some(Source::Diagnostics)
        } else if cat.eq_ignore_ascii_case("CallClientOperations") {
            Some(Source::ClientOperations)
        } else if cat.eq_ignore_ascii_case("CallClientMediaStatsTimeSeries") {
            Some(Source::MediaStats)
        } else {
            None
        }
    }
}

/// A stable 64-bit hash of text, ignoring ASCII case, without allocating (FxHasher has no
/// random keys, so hashes are the same in every run and thread). Never 0: 0 means "none".
pub fn hash_str(s: &str) -> u64 {
    hash_tagged(0, s)
}

fn hash_tagged(tag: u8, s: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write_u8(tag);
    let mut buf = [0u8; 64];
    for chunk in s.as_bytes().chunks(64) {
        let part = &mut buf[..chunk.len()];
        part.copy_from_slice(chunk);
        part.make_ascii_lowercase();
        h.write(part);
    }
    h.finish().max(1)
}

/// A call ID: UUIDs (nearly all of them) are held in 16 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CallKey {
    /// The 128 bits of a UUID, as two words (keeps the key at 24 bytes).
    Uuid([u64; 2]),
    Text(Box<str>),
}

impl CallKey {
    pub fn new(id: &str) -> CallKey {
        // Only the hyphenated form: `text` must give back what the log said.
        if id.len() == 36 {
            if let Ok(uuid) = uuid::Uuid::try_parse(id) {
                let v = uuid.as_u128();
                return CallKey::Uuid([(v >> 64) as u64, v as u64]);
            }
        }
        CallKey::Text(id.into())
    }

    pub fn text(&self) -> String {
        match self {
            CallKey::Uuid([hi, lo]) => {
                let v = (u128::from(*hi) << 64) | u128::from(*lo);
                uuid::Uuid::from_u128(v).hyphenated().to_string()
            }
            CallKey::Text(t) => t.to_string(),
        }
    }
}

/// No subcode (compact form of `Option<i64>`).
const NO_SUB: i32 = i32::MIN;

/// How one participant ended (only the newest version counts).
#[derive(Debug, Clone)]
struct End {
    code: i32,
    subcode: i32,
    version: i32,
    judgement: Judgement,
    /// Present for ends worth reporting (not normal).
    detail: Option<Box<EndDetail>>,
}

impl End {
    fn sub(&self) -> Option<i64> {
        (self.subcode != NO_SUB).then_some(self.subcode as i64)
    }

    fn code(&self) -> i64 {
        self.code as i64
    }
}

#[derive(Debug, Clone, Default)]
struct EndDetail {
    /// `code/subcode` as the log wrote it, when a part is no readable number.
    raw_label: Option<String>,
    participant_id: Option<String>,
    endpoint_id: Option<String>,
    identity: Option<String>,
    endpoint_type: Option<String>,
    sdk: Option<String>,
    os: Option<String>,
    ended_at: Option<DateTime<Utc>>,
    occurrences: Occurrences,
}

/// A participant of a call, in 64 bytes. Hashes are 0 when absent.
#[derive(Debug, Clone)]
struct Part {
    /// Hash of the participant ID, else the endpoint ID, else `<code>/<subcode>` (client log
    /// lines without IDs).
    key: u64,
    /// Hash of the endpoint ID when the row also has a participant ID (other sources may only
    /// name the endpoint, as P2P stream records do).
    alt: u64,
    identity: u64,
    /// 32-bit hashes of the versions (few distinct values; 0 = none).
    sdk: u32,
    os: u32,
    /// True when the end came from CallSummary (not only from a client log).
    from_summary: bool,
    redacted_versions: bool,
    end: End,
}

/// Client-side trouble and server-side IDs of a call (kept only when there are some).
#[derive(Debug, Default)]
pub struct Detail {
    pub client: Vec<ClientEvent>,
    pub ufd: BTreeMap<(String, String), UfdTrack>,
    pub server_call_id: Option<String>,
}

/// Where a call was first seen outside CallSummary, in 16 bytes: file, line, source and time
/// (milliseconds; `i64::MAX` when unknown, so records with a time come first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct FirstSeen {
    time_ms: i64,
    file: u32,
    line: u32,
    /// Position in the file's array, when there is one.
    index: u32,
    source: u8,
}

impl FirstSeen {
    fn of(record: &Record<'_>, source: Source) -> FirstSeen {
        FirstSeen {
            time_ms: record.time.map_or(i64::MAX, |t| t.timestamp_millis()),
            file: record.origin.file.0,
            line: record.origin.line.min(u32::MAX as u64) as u32,
            index: record
                .origin
                .index
                .map_or(u32::MAX, |i| i.min(u32::MAX as u64 - 1) as u32),
            source: source as u8,
        }
    }

    fn evidence(self) -> Evidence {
        let source = Source::ALL[self.source as usize];
        Evidence {
            origin: Origin {
                file: acs_triage_core::FileId(self.file),
                line: self.line as u64,
                index: (self.index != u32::MAX).then_some(self.index as u64),
            },
            time: (self.time_ms != i64::MAX)
                .then(|| DateTime::from_timestamp_millis(self.time_ms))
                .flatten(),
            excerpt: match source {
                Source::WebSdk => "web SDK log".to_owned(),
                other => other.label().to_owned(),
            },
        }
    }
}

/// One call.
#[derive(Debug, Default)]
struct CallState {
    sources: u16,
    /// First record outside CallSummary (for "missing data" evidence).
    first_other: Option<FirstSeen>,
    parts: Vec<Part>,
    /// Participant keys seen outside CallSummary: (participant key, endpoint key), 0 = none.
    others: Vec<(u64, u64)>,
    detail: Option<Box<Detail>>,
}

impl CallState {
    fn detail(&mut self) -> &mut Detail {
        self.detail.get_or_insert_with(Default::default)
    }
}

/// The pass: all calls plus the strings of versions (few distinct values).
#[derive(Default)]
pub struct CallsPass {
    calls: FastMap<CallKey, CallState>,
    versions: FastMap<u32, String>,
    /// When each participant was in each call, kept only when the timeline table is wanted.
    spans: Option<FastMap<(CallKey, u64), Span>>,
}

/// When one participant was in a call (milliseconds), and who it was.
#[derive(Debug, Clone)]
struct Span {
    start_ms: i64,
    end_ms: i64,
    who: Box<str>,
}

/// The end reasons of every participant, counted (`analyze --table calling/end-reasons`).
pub const END_REASONS_TABLE: &str = "calling/end-reasons";
/// Participants' time in the calls that ended badly (`analyze --table calling/timeline`).
pub const TIMELINE_TABLE: &str = "calling/timeline";
/// Calls in the timeline table (the earliest failures first).
const TIMELINE_CALLS: usize = 20;

fn read_end(record: &Record<'_>, source: Source) -> Option<(i64, Option<i64>, i64)> {
    let (code, sub) = match source {
        Source::Summary => ("participantEndReason", "participantEndSubCode"),
        Source::WebSdk if client::is_end_reason_line(record) => ("code", "subCode"),
        _ => return None,
    };
    let code = code_value(record, code)?;
    let sub = code_value(record, sub);
    Some((code, sub, record.int("callUpdatesVersion").unwrap_or(0)))
}

/// A code or subcode that is there but is no number a catalog can hold (29 digits, text): kept
/// as this marker, judged as unknown and shown as the log wrote it, never dropped.
const UNREADABLE: i64 = i32::MAX as i64;

fn code_value(record: &Record<'_>, field: &str) -> Option<i64> {
    let value = record.get(field)?;
    Some(
        value
            .as_i64()
            .filter(|v| (i32::MIN as i64 + 1..UNREADABLE).contains(v))
            .unwrap_or(UNREADABLE),
    )
}

fn judge(ctx: &Context, code: i64, sub: Option<i64>) -> Judgement {
    if code == UNREADABLE || sub == Some(UNREADABLE) {
        return Judgement::Warning;
    }
    match ctx.catalogs.calling.decode(code, sub) {
        Some(d) if d.matched != MatchKind::SubcodeOnly => d.entry.severity,
        _ => Judgement::Warning,
    }
}

/// Hashes of the participant and endpoint IDs (0 when absent).
fn party_keys(participant: Option<&str>, endpoint: Option<&str>) -> (u64, u64) {
    (
        participant.map_or(0, |p| hash_tagged(b'p', p)),
        endpoint.map_or(0, |e| hash_tagged(b'e', e)),
    )
}

impl Pass for CallsPass {
    fn observe(&mut self, ctx: &Context, record: &Record<'_>) {
        let Some(source) = Source::of(record) else {
            return;
        };
        let Some(call_id) = record.call_id() else {
            return;
        };
        let state = self.calls.entry(CallKey::new(&call_id)).or_default();
        state.sources |= source.bit();
        let participant = record.participant_id();
        let endpoint = record.endpoint_id();
        let (pkey, ekey) = party_keys(participant.as_deref(), endpoint.as_deref());
        if source != Source::Summary {
            keep_min(&mut state.first_other, Some(FirstSeen::of(record, source)));
            if (pkey, ekey) != (0, 0) && !state.others.contains(&(pkey, ekey)) {
                state.others.push((pkey, ekey));
            }
        }
        if matches!(source, Source::CallAutomation | Source::EventGrid) {
            if let Some(id) = record.server_call_id() {
                let detail = state.detail();
                if detail
                    .server_call_id
                    .as_deref()
                    .is_none_or(|cur| *id < *cur)
                {
                    detail.server_call_id = Some(id.into_owned());
                }
            }
        }

        // Client-side evidence.
        if matches!(source, Source::ClientOperations | Source::WebSdk) {
            if let Some(event) = client::client_event(ctx, record, source) {
                state.detail().client.push(event);
            }
            if let Some((key, ufd)) = client::ufd_event(ctx, record, source) {
                let track = state.detail().ufd.entry(key).or_default();
                track.add(ufd);
            }
        }

        // End reasons.
        let Some((code, subcode, version)) = read_end(record, source) else {
            return;
        };
        let judgement = judge(ctx, code, subcode);
        let from_summary = source == Source::Summary;

        let key = match (from_summary, pkey, ekey) {
            (true, p, _) if p != 0 => p,
            (true, _, e) if e != 0 => e,
            _ => hash_tagged(b'c', &format!("{code}/{subcode:?}")),
        };
        if let (Some(spans), true) = (&mut self.spans, from_summary) {
            note_span(spans, &call_id, key, record, &participant, &endpoint);
        }
        let identity = record.text("identifier");
        let mut versions = [0u32; 2];
        let mut redacted = false;
        if from_summary {
            for (i, field) in ["sdkVersion", "osVersion"].into_iter().enumerate() {
                match record.get(field) {
                    Some(v) if v.is_redacted() => redacted = true,
                    Some(v) => {
                        let text = v.to_text();
                        let h = (hash_str(&text) as u32).max(1);
                        keep_smallest(self.versions.entry(h), text.into_owned());
                        versions[i] = h;
                    }
                    None => {}
                }
            }
        }
        let detail = (judgement != Judgement::Normal).then(|| {
            let mut d = EndDetail {
                raw_label: (code == UNREADABLE || subcode == Some(UNREADABLE))
                    .then(|| raw_end_label(record, source)),
                participant_id: participant.as_ref().map(|c| c.to_string()),
                endpoint_id: endpoint.as_ref().map(|c| c.to_string()),
                identity: identity.as_ref().map(|c| c.to_string()),
                endpoint_type: record.text("endpointType").map(|c| c.into_owned()),
                sdk: record.text("sdkVersion").map(|c| c.into_owned()),
                os: record.text("osVersion").map(|c| c.into_owned()),
                ended_at: ended_at(record),
                occurrences: Occurrences::default(),
            };
            d.occurrences.add(Evidence::from_record(record, END_FIELDS));
            Box::new(d)
        });
        let part = Part {
            key,
            alt: if from_summary && pkey != 0 { ekey } else { 0 },
            identity: identity.map_or(0, |i| hash_str(&i)),
            sdk: versions[0],
            os: versions[1],
            from_summary,
            redacted_versions: redacted,
            end: End {
                code: code.clamp(i32::MIN as i64 + 1, i32::MAX as i64) as i32,
                subcode: subcode.map_or(NO_SUB, |s| {
                    s.clamp(i32::MIN as i64 + 1, i32::MAX as i64) as i32
                }),
                version: version.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
                judgement,
                detail,
            },
        };
        merge_part(&mut state.parts, part);
    }

    fn merge(&mut self, other: Box<dyn Pass>) {
        let mut other = downcast_pass::<CallsPass>(other);
        if let (Some(mine), Some(theirs)) = (&mut self.spans, other.spans.take()) {
            for (k, span) in theirs {
                merge_span(mine.entry(k), span);
            }
        }
        for (k, v) in other.versions {
            keep_smallest(self.versions.entry(k), v);
        }
        for (id, theirs) in other.calls {
            let Some(mine) = self.calls.get_mut(&id) else {
                self.calls.insert(id, theirs);
                continue;
            };
            mine.sources |= theirs.sources;
            keep_min(&mut mine.first_other, theirs.first_other);
            for k in theirs.others {
                if !mine.others.contains(&k) {
                    mine.others.push(k);
                }
            }

            for p in theirs.parts {
                merge_part(&mut mine.parts, p);
            }
            if let Some(d) = theirs.detail {
                let md = mine.detail();
                if let Some(s) = d.server_call_id {
                    if md.server_call_id.as_ref().is_none_or(|m| s < *m) {
                        md.server_call_id = Some(s);
                    }
                }
                md.client.extend(d.client);
                for (k, t) in d.ufd {
                    md.ufd.entry(k).or_default().merge(t);
                }
            }
        }
    }

    fn finish(self: Box<Self>, ctx: &Context, out: &mut Output) {
        finish(*self, ctx, out);
    }
}

/// Participants per end reason, over every call.
fn end_reasons_table(ctx: &Context, calls: &[(CallKey, CallState)]) -> Table {
    type Reason = (i64, Option<i64>);
    let mut counts: BTreeMap<Reason, (Judgement, u64)> = BTreeMap::new();
    for (_, call) in calls {
        for p in call.parts.iter().filter(|p| p.from_summary) {
            let e = counts
                .entry((p.end.code(), p.end.sub()))
                .or_insert((p.end.judgement, 0));
            e.1 += 1;
        }
    }
    let mut rows: Vec<(Reason, (Judgement, u64))> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.1.cmp(&a.1.1).then(a.0.cmp(&b.0)));
    let mut table = Table::new(
        END_REASONS_TABLE,
        "Call end reasons",
        &["end reason", "severity", "participants", "meaning"],
    );
    for ((code, sub), (judgement, n)) in rows {
        let meaning = ctx
            .catalogs
            .calling
            .decode(code, sub)
            .map(|d| d.entry.meaning.clone())
            .unwrap_or_default();
        table.push(vec![
            sub.map_or(code.to_string(), |s| format!("{code}/{s}")),
            judgement.name().to_owned(),
            n.to_string(),
            meaning,
        ]);
    }
    table
}

/// Who was in each badly ended call and when, for the calls whose failures came first.
fn timeline_table(calls: &[(CallKey, CallState)], spans: FastMap<(CallKey, u64), Span>) -> Table {
    let mut table = Table::new(
        TIMELINE_TABLE,
        "Calls that ended badly: who was in them, and when",
        &[
            "call ID",
            "participant",
            "joined (UTC)",
            "left (UTC)",
            "end reason",
            "severity",
        ],
    );
    let mut failing: Vec<(i64, &CallKey, &CallState)> = calls
        .iter()
        .filter(|(_, c)| {
            c.parts
                .iter()
                .any(|p| p.end.judgement >= Judgement::Warning)
        })
        .map(|(k, c)| {
            let first = c
                .parts
                .iter()
                .filter_map(|p| spans.get(&(k.clone(), p.key)))
                .map(|s| s.start_ms)
                .min()
                .unwrap_or(i64::MAX);
            (first, k, c)
        })
        .collect();
    failing.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
    let time = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
            .unwrap_or_default()
    };
    for (_, key, call) in failing.into_iter().take(TIMELINE_CALLS) {
        let call_id = key.text();
        let mut rows: Vec<(i64, Vec<String>)> = Vec::new();
        for p in call.parts.iter().filter(|p| p.from_summary) {
            let Some(span) = spans.get(&(key.clone(), p.key)) else {
                continue;
            };
            let reason = p.end.sub().map_or(p.end.code().to_string(), |s| {
                format!("{}/{s}", p.end.code())
            });
            rows.push((
                span.start_ms,
                vec![
                    call_id.clone(),
                    span.who.to_string(),
                    time(span.start_ms),
                    time(span.end_ms),
                    reason,
                    p.end.judgement.name().to_owned(),
                ],
            ));
        }
        rows.sort();
        for (_, row) in rows {
            table.push(row);
        }
    }
    table
}

fn note_span(
    spans: &mut FastMap<(CallKey, u64), Span>,
    call_id: &str,
    key: u64,
    record: &Record<'_>,
    participant: &Option<std::borrow::Cow<'_, str>>,
    endpoint: &Option<std::borrow::Cow<'_, str>>,
) {
    let Some(start) = record
        .text("participantStartTime")
        .and_then(|t| acs_triage_core::time::parse_timestamp(&t))
    else {
        return;
    };
    let end = ended_at(record).unwrap_or(start);
    let who = match (participant, endpoint) {
        (Some(p), _) => format!("participant {p}"),
        (None, Some(e)) => format!("endpoint {e}"),
        (None, None) => "participant".to_owned(),
    };
    let span = Span {
        start_ms: start.timestamp_millis(),
        end_ms: end.timestamp_millis(),
        who: who.into(),
    };
    merge_span(spans.entry((CallKey::new(call_id), key)), span);
}

/// Widens a participant's span to cover another sighting; the label is the smallest seen.
fn merge_span(entry: std::collections::hash_map::Entry<'_, (CallKey, u64), Span>, span: Span) {
    match entry {
        std::collections::hash_map::Entry::Occupied(mut o) => {
            let s = o.get_mut();
            s.start_ms = s.start_ms.min(span.start_ms);
            s.end_ms = s.end_ms.max(span.end_ms);
            if span.who < s.who {
                s.who = span.who;
            }
        }
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(span);
        }
    }
}

fn ended_at(record: &Record<'_>) -> Option<DateTime<Utc>> {
    let start = record
        .text("participantStartTime")
        .and_then(|t| acs_triage_core::time::parse_timestamp(&t))?;
    let secs = record.number("participantDuration")?;
    acs_triage_core::time::offset(start, secs)
}

/// Keeps the newest version of a participant's end; same version and reason merge; a different
/// reason at the same version keeps the one with the earliest evidence (order-independent).
fn merge_part(parts: &mut Vec<Part>, part: Part) {
    let Some(mine) = parts.iter_mut().find(|p| p.key == part.key) else {
        parts.push(part);
        return;
    };
    let same_reason = mine.end.code == part.end.code && mine.end.subcode == part.end.subcode;
    let first = |e: &End| {
        e.detail
            .as_ref()
            .and_then(|d| d.occurrences.evidence.first().cloned())
    };
    if part.end.version > mine.end.version
        || (part.end.version == mine.end.version
            && !same_reason
            && (part.end.code, part.end.subcode, first(&part.end))
                < (mine.end.code, mine.end.subcode, first(&mine.end)))
    {
        *mine = part;
    } else if part.end.version == mine.end.version && same_reason {
        // Every kept value is the smallest seen, so the order records came in never shows.
        if let (Some(md), Some(pd)) = (mine.end.detail.as_mut(), part.end.detail) {
            md.occurrences.merge(pd.occurrences);
            keep_min(&mut md.participant_id, pd.participant_id);
            keep_min(&mut md.endpoint_id, pd.endpoint_id);
            keep_min(&mut md.identity, pd.identity);
            keep_min(&mut md.endpoint_type, pd.endpoint_type);
            keep_min(&mut md.sdk, pd.sdk);
            keep_min(&mut md.os, pd.os);
            keep_min(&mut md.ended_at, pd.ended_at);
        }
        keep_min_nonzero(&mut mine.identity, part.identity);
        keep_min_nonzero(&mut mine.sdk, part.sdk);
        keep_min_nonzero(&mut mine.os, part.os);
        keep_min_nonzero(&mut mine.alt, part.alt);
        mine.from_summary |= part.from_summary;
        mine.redacted_versions |= part.redacted_versions;
    }
}

/// Keeps the smallest text under one key (spellings that hash alike, say case variants).
fn keep_smallest<K>(entry: std::collections::hash_map::Entry<'_, K, String>, text: String) {
    entry
        .and_modify(|s| {
            if text < *s {
                s.clone_from(&text);
            }
        })
        .or_insert(text);
}

/// Keeps the smallest non-zero value (zero means "not known").
fn keep_min_nonzero<T: Ord + Default + Copy>(slot: &mut T, theirs: T) {
    if theirs != T::default() && (*slot == T::default() || theirs < *slot) {
        *slot = theirs;
    }
}

/// The end reason as the log wrote it (for codes no number can hold).
fn raw_end_label(record: &Record<'_>, source: Source) -> String {
    let (code, sub) = match source {
        Source::Summary => ("participantEndReason", "participantEndSubCode"),
        _ => ("code", "subCode"),
    };
    match (record.text(code), record.text(sub)) {
        (Some(c), Some(s)) => format!("{c}/{s}"),
        (Some(c), None) => c.into_owned(),
        (None, _) => "?".to_owned(),
    }
}

/// `410/3112`, or `410` when there is no subcode.
pub fn code_label(code: i64, subcode: Option<i64>) -> String {
    match subcode {
        Some(s) => format!("{code}/{s}"),
        None => code.to_string(),
    }
}

/// A short title phrase per cause.
pub fn cause_title(cause: &str) -> &'static str {
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

const DOCS: &str = "https://learn.microsoft.com/azure/communication-services/resources/troubleshooting/voice-video-calling/troubleshooting-codes";

/// Failures of one identity over all calls (kept only for identities that failed).
#[derive(Default)]
struct IdentityStats {
    /// Calls of the identity (filled in from the all-identities count at the end).
    calls: u32,
    /// (code, subcode) → calls ending that way.
    failures: BTreeMap<(i64, Option<i64>), u32>,
    text: Option<String>,
}

fn finish(mut pass: CallsPass, ctx: &Context, out: &mut Output) {
    let spans = pass.spans.take();
    let mut calls: Vec<(CallKey, CallState)> = pass.calls.into_iter().collect();
    calls.sort_by(|a, b| a.0.cmp(&b.0));
    // Participants in key order (keys are unique in a call), not in the order first seen.
    for (_, call) in &mut calls {
        call.parts.sort_by_key(|p| p.key);
    }
    if ctx.wants_table(END_REASONS_TABLE) {
        out.table(end_reasons_table(ctx, &calls));
    }
    if let Some(spans) = spans {
        out.table(timeline_table(&calls, spans));
    }

    // Whole-run statistics first: they give the per-call findings their context.
    // Calls per identity for every identity (12 bytes each), details only for those that failed.
    let mut call_counts: FastMap<u64, u32> = FastMap::default();
    let mut identities: FastMap<u64, IdentityStats> = FastMap::default();
    let mut versions: BTreeMap<(&'static str, u32), (u32, u32)> = BTreeMap::new();
    let mut redacted_failures = Occurrences::default();
    let mut redacted_parts = 0u32;
    let mut any_summary = false;
    let mut any_diagnostics = false;
    for (_, call) in &calls {
        any_summary |= call.sources & Source::Summary.bit() != 0;
        any_diagnostics |= call.sources & Source::Diagnostics.bit() != 0;
        let mut seen_in_call: Vec<u64> = Vec::new();
        for p in call.parts.iter().filter(|p| p.from_summary) {
            let failed = p.end.judgement >= Judgement::Warning;
            for (kind, v) in [("SDK", p.sdk), ("OS", p.os)] {
                if v != 0 {
                    let e = versions.entry((kind, v)).or_default();
                    e.0 += 1;
                    if failed {
                        e.1 += 1;
                    }
                }
            }
            if p.redacted_versions {
                redacted_parts += 1;
                // PSTN and bot participants have no client logs to collect.
                let client_side = p
                    .end
                    .detail
                    .as_ref()
                    .and_then(|d| d.endpoint_type.as_deref())
                    .is_none_or(|t| {
                        !["pstn", "bot", "server"].contains(&t.to_ascii_lowercase().as_str())
                    });
                if failed && client_side {
                    if let Some(d) = &p.end.detail {
                        redacted_failures.merge(d.occurrences.clone());
                    }
                }
            }
            let id = p.identity;
            if id == 0 {
                continue;
            }
            if !seen_in_call.contains(&id) {
                seen_in_call.push(id);
                *call_counts.entry(id).or_default() += 1;
            }
            if p.end.judgement >= Judgement::Warning {
                let stats = identities.entry(id).or_default();
                *stats
                    .failures
                    .entry((p.end.code(), p.end.sub()))
                    .or_default() += 1;
                keep_min(
                    &mut stats.text,
                    p.end.detail.as_ref().and_then(|d| d.identity.clone()),
                );
            }
        }
    }
    for (id, stats) in identities.iter_mut() {
        stats.calls = call_counts.get(id).copied().unwrap_or(1);
    }
    drop(call_counts);
    let repeat_at = ctx.settings.judgement.repeated_failure_calls.max(2);

    let named_calls = calls
        .iter()
        .filter(|(k, _)| *k != CallKey::Text("".into()))
        .count();
    let first_call = calls.first().map(|(k, _)| k.text());
    for (call_key, mut call) in calls {
        let call_id = call_key.text();
        fold_client_ends(&mut call.parts);
        let summary_parts = call.parts.iter().filter(|p| p.from_summary).count();
        let mut failed_ends: Vec<(&Part, &EndDetail)> = Vec::new();
        for part in &call.parts {
            let Some(detail) = &part.end.detail else {
                continue;
            };
            let context = identities.get(&part.identity).and_then(|s| {
                let n = *s.failures.get(&(part.end.code(), part.end.sub()))?;
                match (s.calls, n) {
                    (1, _) => None,
                    (calls, 1) => Some(format!(
                        " This identity's {} other call{} in these logs did not end this way, so it looks transient.",
                        calls - 1,
                        if calls == 2 { "" } else { "s" }
                    )),
                    (calls, n) => Some(format!(
                        " This identity ended {n} of its {calls} calls in these logs this way."
                    )),
                }
            });
            let ufd_hint = client::ufd_hint_for_end(
                call.detail.as_deref(),
                part.end.code(),
                part.end.sub(),
                detail.participant_id.as_deref(),
            );
            if let Some(f) = end_finding(
                ctx,
                &call_id,
                part,
                detail,
                context.unwrap_or_default() + &ufd_hint,
            ) {
                if part.from_summary && part.end.judgement >= Judgement::Warning {
                    failed_ends.push((part, detail));
                }
                out.push(f);
            }
        }
        service_side(&call_id, summary_parts, &failed_ends, out);
        if let Some(detail) = &call.detail {
            client::findings(ctx, &call_id, detail, out);
        }
        if any_summary {
            missing_data(&call_id, &call, out);
        }
    }

    // Across calls.
    let mut repeated: Vec<(&u64, &IdentityStats)> = identities.iter().collect();
    repeated.sort_by(|a, b| a.1.text.cmp(&b.1.text).then(a.0.cmp(b.0)));
    for (_, stats) in repeated {
        for ((code, sub), n) in &stats.failures {
            if *n >= repeat_at && *n * 10 >= stats.calls * 8 {
                out.push(repeated_finding(ctx, stats, *code, *sub, *n));
            }
        }
    }
    version_patterns(&versions, &pass.versions, out);
    if redacted_failures.count > 0 {
        out.push(
            Finding::new(
                "calling/redacted-versions",
                Severity::Info,
                "SDK and OS versions of some failed participants are redacted",
            )
            .message(format!(
                "{} failed participant record{} carr{} sdkVersion/osVersion = Redacted ({redacted_parts} participant{} in all): the service hides them for cross-tenant participants, so version patterns cannot include them.",
                redacted_failures.count,
                if redacted_failures.count == 1 { "" } else { "s" },
                if redacted_failures.count == 1 { "ies" } else { "y" },
                if redacted_parts == 1 { "" } else { "s" }
            ))
            .action("For those participants, collect client-side logs (browser console or native .blog files) from the affected users.")
            .occurrences(redacted_failures),
        );
    }
    if !any_summary && named_calls > 0 {
        // Stream records without summaries point at the diagnostic setting; app-side logs alone
        // (Call Automation callbacks, client logs) may simply be all the user collected.
        let severity = if any_diagnostics {
            Severity::Warning
        } else {
            Severity::Info
        };
        out.push(
            Finding::new("calling/missing-data", severity, "No CallSummary records")
                .message(format!(
                    "The logs mention {} call{} but hold no CallSummary record at all: how each participant's call ended cannot be judged.",
                    named_calls,
                    if named_calls == 1 { "" } else { "s" }
                ))
                .action("Enable the CallSummary category in the resource's diagnostic setting and export it with the other logs (records can arrive up to ~48 h late).")
                .id_value(IdKind::CallId, first_call.as_deref()),
        );
    }
    if any_summary && !any_diagnostics {
        out.push(
            Finding::new("calling/missing-data", Severity::Info, "No CallDiagnostics records")
                .message("The logs hold CallSummary records but no CallDiagnostics: media quality (round-trip time, jitter, packet loss) cannot be judged.")
                .action("Enable the CallDiagnostics category in the resource's diagnostic setting."),
        );
    }
}

/// A client log line without IDs that reports the same reason as a participant of the same call is
/// that participant's own view: one finding, both pieces of evidence.
fn fold_client_ends(parts: &mut Vec<Part>) {
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

fn end_finding(
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
        .then(|| ctx.catalogs.calling.decode(code, sub))
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
    let mut finding = Finding::new("calling/end-reason", severity, title)
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

/// Many participants of one call failing together points at the service, not at clients.
fn service_side(
    call_id: &str,
    summary_parts: usize,
    failed: &[(&Part, &EndDetail)],
    out: &mut Output,
) {
    if failed.len() < 3 || failed.len() * 2 < summary_parts {
        return;
    }
    let times: Vec<DateTime<Utc>> = failed.iter().filter_map(|(_, d)| d.ended_at).collect();
    if times.len() == failed.len() {
        let (lo, hi) = (times.iter().min(), times.iter().max());
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if *hi - *lo > Duration::seconds(60) {
                return;
            }
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
    let mut f = Finding::new(
        "calling/service-side-failure",
        Severity::Error,
        "Many participants of one call failed together",
    )
    .message(format!(
        "{} of the {summary_parts} participants of call {call_id} ended with failures ({}) within a minute of each other: clients rarely fail together, so the cause is likely on the service side.",
        failed.len(),
        codes.join(", ")
    ))
    .action("Open an Azure support request with the call ID, the participant IDs and the time of the failure.")
    .id_value(IdKind::CallId, Some(call_id))
    .occurrences(occ);
    let first_failed = failed
        .iter()
        .filter_map(|(_, d)| d.participant_id.as_deref())
        .min();
    f = f.id_value(IdKind::ParticipantId, first_failed);
    out.push(f);
}

fn repeated_finding(
    ctx: &Context,
    stats: &IdentityStats,
    code: i64,
    sub: Option<i64>,
    n: u32,
) -> Finding {
    let label = code_label(code, sub);
    let who = stats.text.as_deref().unwrap_or("one identity");
    let decoded = ctx.catalogs.calling.decode(code, sub);
    let severity = decoded
        .and_then(|d| d.entry.severity.severity())
        .unwrap_or(Severity::Warning);
    let action = decoded.map_or_else(
        || "Look at that client's environment first: it fails the same way every time.".to_owned(),
        |d| {
            format!(
                "This is that client's setup, not chance: {}",
                d.entry.action
            )
        },
    );
    Finding::new(
        "calling/repeated-failure",
        severity,
        format!("The same identity fails with {label} on call after call"),
    )
    .message(format!(
        "{who} ended {n} of its {} calls in these logs with {label}{}: a failure that repeats on nearly every call is configuration (firewall, proxy, device, token handling), not a passing network problem.",
        stats.calls,
        decoded.map(|d| format!(" ({})", cause_title(&d.entry.cause))).unwrap_or_default()
    ))
    .action(action)
    .code(label)
    .id_value(IdKind::UserId, stats.text.as_deref())
}

/// One SDK or OS version behind most failures.
fn version_patterns(
    counts: &BTreeMap<(&'static str, u32), (u32, u32)>,
    names: &FastMap<u32, String>,
    out: &mut Output,
) {
    for kind in ["SDK", "OS"] {
        let of_kind: Vec<(&u32, &(u32, u32))> = counts
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, v), c)| (v, c))
            .collect();
        let total_failed: u32 = of_kind.iter().map(|(_, c)| c.1).sum();
        let total: u32 = of_kind.iter().map(|(_, c)| c.0).sum();
        if total_failed < 5 {
            continue;
        }
        for (v, (n, failed)) in &of_kind {
            let others_n = total - n;
            let others_failed = total_failed - failed;
            let rate = *failed as f64 / *n as f64;
            let others_rate = if others_n == 0 {
                0.0
            } else {
                others_failed as f64 / others_n as f64
            };
            if failed * 2 >= total_failed
                && others_n > 0
                && rate >= 2.0 * others_rate
                && *failed >= 3
            {
                let name = names.get(v).cloned().unwrap_or_default();
                out.push(
                    Finding::new(
                        "calling/version-pattern",
                        Severity::Warning,
                        format!("One {kind} version is behind most call failures"),
                    )
                    .message(format!(
                        "{kind} version {name} is behind {failed} of the {total_failed} failed participants ({:.0} % of its {n} participants failed, against {:.0} % for every other version).",
                        rate * 100.0,
                        others_rate * 100.0
                    ))
                    .action(if kind == "SDK" {
                        "Update the clients on that Calling SDK version to the current release and compare."
                    } else {
                        "Test that OS version with the current Calling SDK; check its known issues and network stack."
                    }),
                );
            }
        }
    }
}

/// What is missing for one call: sources that should be there, participants without an end.
fn missing_data(call_id: &str, call: &CallState, out: &mut Output) {
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
        let mut f = Finding::new(
            "calling/missing-data",
            Severity::Info,
            "Call has no CallSummary",
        )
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
    let ended: Vec<u64> = call
        .parts
        .iter()
        .filter(|p| p.from_summary)
        .flat_map(|p| [p.key, p.alt])
        .filter(|k| *k != 0)
        .collect();
    let missing = call
        .others
        .iter()
        .filter(|(p, e)| ![p, e].iter().any(|k| **k != 0 && ended.contains(k)))
        .count();
    if missing > 0 {
        let mut f = Finding::new(
            "calling/missing-data",
            Severity::Info,
            "Participant without an end record",
        )
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

/// Formats a time for messages.
pub fn when(t: Option<DateTime<Utc>>) -> String {
    t.as_ref()
        .map(format_timestamp)
        .unwrap_or_else(|| "an unknown time".to_owned())
}
