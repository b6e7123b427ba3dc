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

mod end_reason;
mod health;
pub(crate) use end_reason::log_says;
mod missing_data;
mod repeated_failure;
mod service_side;
mod state;
pub mod tables;
pub use health::HEALTH;
mod version_pattern;

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use acs_triage_core::analyzer::{Analysis, Context, Output, keep_min};
use acs_triage_core::catalog::{CodeTable, Decoded, Judgement, MatchKind};
use acs_triage_core::{
    Evidence, Explains, Family, FastMap, Finding, Format, IdKind, Occurrences, Origin, Record,
    Severity, Table,
};
use chrono::{DateTime, Duration, Utc};

use crate::client::{self, ClientEvent, UfdTrack};
use crate::{CALLING_END_REASONS, CallsSettings};

use end_reason::*;
use health::*;
use missing_data::*;
use repeated_failure::*;
use service_side::*;
pub(crate) use state::*;
pub use state::{CallKey, Detail, Source, cause_title, code_label, hash_str};
use tables::*;
use version_pattern::*;

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
    match ctx
        .catalogs
        .get::<CodeTable>(&CALLING_END_REASONS)
        .decode(code, sub)
    {
        Some(d) if d.matched == MatchKind::Exact => d.entry.severity,
        // A subcode no table has: what the code means in general is no verdict on it.
        Some(d) if d.matched == MatchKind::CodeOnly && sub.is_none_or(|s| s == 0) => {
            d.entry.severity
        }
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

/// A version's 32-bit hash, its text kept once (the smallest spelling of that hash).
fn version_hash(versions: &mut FastMap<u32, String>, text: &str) -> u32 {
    let h = (hash_str(text) as u32).max(1);
    keep_smallest(versions.entry(h), text.to_owned());
    h
}

impl Analysis for CallsPass {
    fn start(ctx: &Context) -> Self {
        CallsPass {
            spans: ctx.wants_table(&TIMELINE).then(FastMap::default),
            ..CallsPass::default()
        }
    }

    fn observe(&mut self, ctx: &Context, record: &Record<'_>) {
        let Some(source) = Source::of(record) else {
            return;
        };
        // A web SDK line with a code that does not name its call (the 2021 SDKs'
        // `[onCallStatusChanged]`, an error object the app logged) still counts: under "a call
        // whose ID the log does not give".
        let call_id = match record.call_id() {
            Some(id) => id,
            None if source == Source::WebSdk && record.get("code").is_some() => {
                std::borrow::Cow::Borrowed("")
            }
            None => return,
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
        if matches!(source, Source::CallAutomation | Source::EventGrid)
            && let Some(id) = record.server_call_id()
        {
            let detail = state.detail();
            if detail
                .server_call_id
                .as_deref()
                .is_none_or(|cur| *id < *cur)
            {
                detail.server_call_id = Some(id.into_owned());
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
        let mut versions = [0u32; 4];
        let mut redacted = false;
        if from_summary {
            for (i, field) in ["sdkVersion", "osVersion"].into_iter().enumerate() {
                match record.get(field) {
                    Some(v) if v.is_redacted() => redacted = true,
                    Some(v) => versions[i] = version_hash(&mut self.versions, &v.to_text()),
                    None => {}
                }
            }
            if let Some(app) = app_version(record) {
                versions[2] = version_hash(&mut self.versions, &app);
            }
            if let Some(t) = record.text("endpointType").filter(|t| !t.trim().is_empty()) {
                versions[3] = version_hash(&mut self.versions, t.trim());
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
                said: end_reason::log_says(record),
                pstn_call_type: record
                    .text("PstnParticipantCallType")
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| t.trim().to_owned()),
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
            app: versions[2],
            endpoint: versions[3],
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

    fn merge(&mut self, mut other: Self) {
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
                if let Some(s) = d.server_call_id
                    && md.server_call_id.as_ref().is_none_or(|m| s < *m)
                {
                    md.server_call_id = Some(s);
                }
                md.client.extend(d.client);
                for (k, t) in d.ufd {
                    md.ufd.entry(k).or_default().merge(t);
                }
            }
        }
    }

    fn finish(self, ctx: &Context, out: &mut Output) {
        finish(self, ctx, out);
    }
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

/// The end reason as the log wrote it (for codes no number can hold).
/// The app's name and version from `DiagnosticOptions`: documented as JSON (`appName`,
/// `appVersion`, `tags`), shown in the docs' own example as a user-agent-like text
/// (`contoso-healthcare-calling-services/2.1 azsdk-js-communication-calling/1.27.1 (...)`).
fn app_version(record: &Record<'_>) -> Option<String> {
    let name = record.text("DiagnosticOptions.appName");
    if let Some(version) = record.text("DiagnosticOptions.appVersion") {
        return Some(match name {
            Some(n) => format!("{n}/{version}"),
            None => version.into_owned(),
        });
    }
    let text = record.text("DiagnosticOptions")?;
    let text = text.trim();
    if text.starts_with('{') {
        let fields = acs_triage_core::record::embedded_object(text)?;
        let get = |key: &str| {
            fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(key))
                .map(|f| f.value.to_text().into_owned())
                .filter(|v| !v.is_empty())
        };
        let version = get("appVersion")?;
        return Some(match get("appName") {
            Some(n) => format!("{n}/{version}"),
            None => version,
        });
    }
    // `<appName>/<appVersion> <SDK user agent> (...)`: the first token, unless it is the SDK's.
    let first = text.split_whitespace().next()?;
    (first.contains('/') && !first.starts_with("azsdk-")).then(|| first.to_owned())
}

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
    if ctx.wants_table(&END_REASONS) {
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
    let mut participants = Participants::default();
    let mut version_parts: Vec<VersionPart> = Vec::new();
    for (call_index, (_, call)) in calls.iter().enumerate() {
        any_summary |= call.sources & Source::Summary.bit() != 0;
        any_diagnostics |= call.sources & Source::Diagnostics.bit() != 0;
        let mut seen_in_call: Vec<u64> = Vec::new();
        for p in call.parts.iter().filter(|p| p.from_summary) {
            let failed = p.end.judgement >= Judgement::Warning;
            participants.all += 1;
            match p.end.judgement {
                Judgement::Normal => participants.normal += 1,
                Judgement::Info => participants.info += 1,
                _ => participants.failed += 1,
            }
            version_parts.push(VersionPart {
                versions: [p.sdk, p.os, p.app],
                identity: p.identity,
                end: (p.end.code, p.end.subcode),
                failed,
                call: call_index as u32,
            });
            for (kind, v) in [
                ("SDK", p.sdk),
                ("OS", p.os),
                ("app", p.app),
                ("endpoint type", p.endpoint),
            ] {
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
                if failed
                    && client_side
                    && let Some(d) = &p.end.detail
                {
                    redacted_failures.merge(d.occurrences.clone());
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
    let repeat_at = ctx
        .settings
        .get::<CallsSettings>()
        .judgement
        .repeated_failure_calls
        .max(2);

    let named_calls = calls
        .iter()
        .filter(|(k, _)| *k != CallKey::Text("".into()))
        .count();
    let first_call = calls.first().map(|(k, _)| k.text());
    let mut service_side_calls: Vec<u32> = Vec::new();
    for (call_index, (call_key, mut call)) in calls.into_iter().enumerate() {
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
        if service_side(&call_id, summary_parts, &failed_ends, out) {
            service_side_calls.push(call_index as u32);
        }
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
    let mut repeated_identities: Vec<(u64, i64, Option<i64>)> = Vec::new();
    for (id, stats) in repeated {
        for ((code, sub), n) in &stats.failures {
            if *n >= repeat_at && *n * 10 >= stats.calls * 8 {
                out.push(repeated_finding(ctx, stats, *code, *sub, *n));
                repeated_identities.push((*id, *code, *sub));
            }
        }
    }
    let explained = Explained {
        service_side_calls: &service_side_calls,
        repeated_identities: &repeated_identities,
    };
    version_patterns(ctx, &version_parts, &explained, &pass.versions, out);
    health(
        ctx,
        &versions,
        &pass.versions,
        named_calls,
        &participants,
        out,
    );
    if redacted_failures.count > 0 {
        out.push(
            crate::REDACTED_VERSIONS.finding().severity(Severity::Info).title("SDK and OS versions of some failed participants are redacted")
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
            crate::MISSING_DATA.finding().severity(severity).title("No CallSummary records")
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
            crate::MISSING_DATA.finding().severity(Severity::Info).title("No CallDiagnostics records")
                .message("The logs hold CallSummary records but no CallDiagnostics: media quality (round-trip time, jitter, packet loss) cannot be judged.")
                .action("Enable the CallDiagnostics category in the resource's diagnostic setting."),
        );
    }
}
