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
mod tally;
pub use health::HEALTH;
mod version_pattern;

use acs_triage_core::{FieldName, field, fields};
use std::collections::BTreeMap;
use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};

use acs_triage_core::analyzer::{Analysis, Context, Horizon, Output, keep_min, key_hash};
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
use tally::*;
use version_pattern::*;

const END_FIELDS: &[FieldName<'static>] = fields![
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
        Source::Summary => (
            field!("participantEndReason"),
            field!("participantEndSubCode"),
        ),
        Source::WebSdk if client::is_end_reason_line(record) => (field!("code"), field!("subCode")),
        _ => return None,
    };
    let code = code_value(record, code)?;
    let sub = code_value(record, sub);
    Some((
        code,
        sub,
        record.int(field!("callUpdatesVersion")).unwrap_or(0),
    ))
}

/// A code or subcode that is there but is no number a catalog can hold (29 digits, text): kept
/// as this marker, judged as unknown and shown as the log wrote it, never dropped.
const UNREADABLE: i64 = i32::MAX as i64;

fn code_value(record: &Record<'_>, field: FieldName<'_>) -> Option<i64> {
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

/// Accounts closed calls in order. Their state was last touched when their records were read and
/// has left the cache since: reading each call's box and then its participants waited on memory
/// twice (over half of accounting's time in the profile). The box of the call eight places ahead,
/// and the participants of the one four places ahead, are asked for early, so those waits
/// overlap.
fn account_all(tally: &mut tally::Tally, calls: Vec<(CallKey, OpenCall)>) {
    let mut calls = calls.into_iter();
    while let Some((key, open)) = calls.next() {
        let ahead = calls.as_slice();
        if let Some((_, far)) = ahead.get(7) {
            acs_triage_core::prefetch(&*far.state);
        }
        if let Some((_, near)) = ahead.get(3) {
            acs_triage_core::prefetch(near.state.parts.as_ptr());
        }
        tally.account(key, open.state);
    }
}

/// A version's 32-bit hash, its text kept once (the smallest spelling of that hash).
fn version_hash(versions: &mut FastMap<u32, String>, text: &str) -> u32 {
    let h = (hash_str(text) as u32).max(1);
    // Nearly every record repeats a version already kept: no copy for those.
    match versions.get_mut(&h) {
        Some(kept) if *kept.as_str() <= *text => {}
        Some(kept) => text.clone_into(kept),
        None => {
            versions.insert(h, text.to_owned());
        }
    }
    h
}

impl Analysis for CallsPass {
    fn start(ctx: &Context) -> Self {
        CallsPass {
            spans: ctx.wants_table(&TIMELINE),
            calls: acs_triage_core::spare::take_map(),
            ..CallsPass::default()
        }
    }

    fn observe(&mut self, ctx: &Context, record: &Record<'_>) {
        let Some(source) = Source::of(record) else {
            return;
        };
        if !self.tally.from_query_results && acs_triage_core::kql::tag_of(record).is_some() {
            self.tally.from_query_results = true;
        }
        // A web SDK line with a code that does not name its call (the 2021 SDKs'
        // `[onCallStatusChanged]`, an error object the app logged) still counts: under "a call
        // whose ID the log does not give".
        let call_id = match record.call_id() {
            Some(id) => id,
            None if source == Source::WebSdk && record.get(field!("code")).is_some() => {
                std::borrow::Cow::Borrowed("")
            }
            None => return,
        };
        let open = self.calls.entry(CallKey::new(&call_id)).or_default();
        open.last_ms = open
            .last_ms
            .max(record.time.map_or(i64::MAX, |t| t.timestamp_millis()));
        let state = &mut *open.state;
        state.sources |= source.bit();
        let participant = record.participant_id();
        let endpoint = record.endpoint_id();
        let (pkey, ekey) = party_keys(participant.as_deref(), endpoint.as_deref());
        if source != Source::Summary {
            keep_min(&mut state.first_other, Some(FirstSeen::of(record, source)));
            if (pkey, ekey) != (0, 0) && !state.others.contains(&(pkey, ekey)) {
                acs_triage_core::push_snug(&mut state.others, (pkey, ekey));
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
        if self.spans && from_summary {
            note_span(&mut state.spans, key, record, &participant, &endpoint);
        }
        let identity = record.text(field!("identifier"));
        let mut versions = [0u32; 4];
        let mut redacted = false;
        if from_summary {
            for (i, field) in [field!("sdkVersion"), field!("osVersion")]
                .into_iter()
                .enumerate()
            {
                match record.get(field) {
                    Some(v) if v.is_redacted() => redacted = true,
                    Some(v) => versions[i] = version_hash(&mut self.versions, &v.to_text()),
                    None => {}
                }
            }
            if let Some(app) = app_version(record) {
                versions[2] = version_hash(&mut self.versions, &app);
            }
            if let Some(t) = record
                .text(field!("endpointType"))
                .filter(|t| !t.trim().is_empty())
            {
                versions[3] = version_hash(&mut self.versions, t.trim());
            }
        }
        let detail = (judgement != Judgement::Normal).then(|| {
            let mut d = EndDetail {
                raw_label: (code == UNREADABLE || subcode == Some(UNREADABLE))
                    .then(|| raw_end_label(record, source).into()),
                participant_id: participant.as_deref().map(Box::from),
                endpoint_id: endpoint.as_deref().map(Box::from),
                identity: identity.as_deref().map(Box::from),
                endpoint_type: record
                    .text(field!("endpointType"))
                    .as_deref()
                    .map(Box::from),
                sdk: record.text(field!("sdkVersion")).as_deref().map(Box::from),
                os: record.text(field!("osVersion")).as_deref().map(Box::from),
                ended_at: ended_at(record),
                said: end_reason::log_says(record).map(String::into_boxed_str),
                pstn_call_type: record
                    .text(field!("PstnParticipantCallType"))
                    .filter(|t| !t.trim().is_empty())
                    .map(|t| t.trim().into()),
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
        for (k, v) in other.versions {
            keep_smallest(self.versions.entry(k), v);
        }
        self.late += other.late;
        self.tally.merge(other.tally);
        for (id, theirs) in other.calls.drain() {
            // One probe for both cases: most calls of a batch are new.
            let mine = match self.calls.entry(id) {
                Entry::Occupied(mine) => mine.into_mut(),
                Entry::Vacant(slot) => {
                    if !self.judged.is_empty() && self.judged.contains(key_hash(slot.key())) {
                        self.late += 1;
                    }
                    slot.insert(theirs);
                    continue;
                }
            };
            mine.last_ms = mine.last_ms.max(theirs.last_ms);
            let (mine, theirs) = (&mut *mine.state, *theirs.state);
            mine.sources |= theirs.sources;
            keep_min(&mut mine.first_other, theirs.first_other);
            for k in theirs.others {
                if !mine.others.contains(&k) {
                    acs_triage_core::push_snug(&mut mine.others, k);
                }
            }

            for p in theirs.parts {
                merge_part(&mut mine.parts, p);
            }
            for span in theirs.spans {
                merge_span(&mut mine.spans, span);
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
        // The next batch's pass on this thread fills it again (`acs_triage_core::spare`).
        acs_triage_core::spare::keep_map(other.calls);
    }

    fn close(&mut self, _ctx: &Context, horizon: &Horizon, _out: &mut Output) {
        self.judged.prune(horizon);
        let done = self
            .judged
            .take_finished(horizon, &mut self.calls, |_, open| {
                horizon.closes(open.last_ms, 0)
            });
        account_all(&mut self.tally, done);
    }

    fn kql(
        ctx: &Context,
    ) -> Result<Vec<acs_triage_core::kql::KqlQuery>, acs_triage_core::kql::TemplateError> {
        crate::kql::calls(ctx)
    }

    fn finish(mut self, ctx: &Context, out: &mut Output) {
        out.late("calls", self.late);
        // No record comes after `finish`: the keys watched for late records can go before the
        // findings are built.
        drop(std::mem::take(&mut self.judged));
        let mut calls: Vec<(CallKey, OpenCall)> =
            std::mem::take(&mut self.calls).into_iter().collect();
        calls.sort_by(|a, b| a.0.cmp(&b.0));
        account_all(&mut self.tally, calls);
        self.tally.judge(ctx, &self.versions, self.spans, out);
    }
}

fn note_span(
    spans: &mut Vec<Span>,
    key: u64,
    record: &Record<'_>,
    participant: &Option<std::borrow::Cow<'_, str>>,
    endpoint: &Option<std::borrow::Cow<'_, str>>,
) {
    let Some(start) = record
        .text(field!("participantStartTime"))
        .and_then(|t| acs_triage_core::time::parse_timestamp(&t))
    else {
        return;
    };
    let end = ended_at(record).unwrap_or(start);
    let who = match (participant, endpoint) {
        (Some(p), _) => Who::participant(p),
        (None, Some(e)) => Who::endpoint(e),
        (None, None) => Who::Unnamed,
    };
    let span = Span {
        key,
        start_ms: start.timestamp_millis(),
        end_ms: end.timestamp_millis(),
        who,
    };
    merge_span(spans, span);
}

fn ended_at(record: &Record<'_>) -> Option<DateTime<Utc>> {
    let start = record
        .text(field!("participantStartTime"))
        .and_then(|t| acs_triage_core::time::parse_timestamp(&t))?;
    let secs = record.number(field!("participantDuration"))?;
    acs_triage_core::time::offset(start, secs)
}

/// The end reason as the log wrote it (for codes no number can hold).
/// The app's name and version from `DiagnosticOptions`: documented as JSON (`appName`,
/// `appVersion`, `tags`), shown in the docs' own example as a user-agent-like text
/// (`contoso-healthcare-calling-services/2.1 azsdk-js-communication-calling/1.27.1 (...)`).
fn app_version(record: &Record<'_>) -> Option<String> {
    let name = record.text(field!("DiagnosticOptions.appName"));
    if let Some(version) = record.text(field!("DiagnosticOptions.appVersion")) {
        return Some(match name {
            Some(n) => format!("{n}/{version}"),
            None => version.into_owned(),
        });
    }
    let text = record.text(field!("DiagnosticOptions"))?;
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
