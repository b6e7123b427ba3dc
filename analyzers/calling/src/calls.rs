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

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};

use acs_triage_core::analyzer::{Analyzer, AnalyzerInfo, Context, Pass, downcast_pass};
use acs_triage_core::catalog::{Decoded, Judgement, MatchKind};
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
        }
    }

    fn start(&self, _ctx: &Context) -> Box<dyn Pass> {
        Box::new(CallsPass::default())
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

/// A stable 64-bit hash (DefaultHasher::new has fixed keys).
pub fn hash_str(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.to_ascii_lowercase().hash(&mut h);
    h.finish()
}

/// How one participant ended (only the newest version counts).
#[derive(Debug, Clone)]
struct End {
    code: i64,
    subcode: Option<i64>,
    version: i64,
    judgement: Judgement,
    /// Present for ends worth reporting (not normal).
    detail: Option<Box<EndDetail>>,
}

#[derive(Debug, Clone, Default)]
struct EndDetail {
    participant_id: Option<String>,
    endpoint_id: Option<String>,
    identity: Option<String>,
    endpoint_type: Option<String>,
    sdk: Option<String>,
    os: Option<String>,
    ended_at: Option<DateTime<Utc>>,
    occurrences: Occurrences,
}

/// A participant of a call.
#[derive(Debug, Clone)]
struct Part {
    /// Hash of `p:<participantId>`, `e:<endpointId>` or `c:<code>/<subcode>` (client log lines).
    key: u64,
    /// Hash of `e:<endpointId>` when the row also has a participant ID (other sources may only
    /// name the endpoint, as P2P stream records do).
    alt: Option<u64>,
    /// True when the end came from CallSummary (not only from a client log).
    from_summary: bool,
    identity: Option<u64>,
    sdk: Option<u64>,
    os: Option<u64>,
    redacted_versions: bool,
    end: End,
}

/// Client-side trouble of a call (kept only when there is some).
#[derive(Debug, Default)]
pub struct Detail {
    pub client: Vec<ClientEvent>,
    pub ufd: BTreeMap<(String, String), UfdTrack>,
}

/// One call.
#[derive(Debug, Default)]
struct CallState {
    sources: u16,
    /// First record outside CallSummary (for "missing data" evidence): origin and time.
    first_other: Option<(Origin, Option<DateTime<Utc>>, &'static str)>,
    parts: Vec<Part>,
    /// Participant keys seen outside CallSummary: (participant key, endpoint key).
    others: Vec<(Option<u64>, Option<u64>)>,
    server_call_id: Option<String>,
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
    calls: HashMap<String, CallState>,
    versions: HashMap<u64, String>,
}

fn is_redacted(record: &Record<'_>, field: &str) -> bool {
    record.get(field).is_some_and(|v| v.is_redacted())
}

fn read_end(record: &Record<'_>, source: Source) -> Option<(i64, Option<i64>, i64)> {
    let (code, sub) = match source {
        Source::Summary => (
            record.int("participantEndReason")?,
            record.int("participantEndSubCode"),
        ),
        Source::WebSdk if client::is_end_reason_line(record) => {
            (record.int("code")?, record.int("subCode"))
        }
        _ => return None,
    };
    Some((code, sub, record.int("callUpdatesVersion").unwrap_or(0)))
}

fn judge(ctx: &Context, code: i64, sub: Option<i64>) -> Judgement {
    match ctx.catalogs.calling.decode(code, sub) {
        Some(d) if d.matched != MatchKind::SubcodeOnly => d.entry.severity,
        _ => Judgement::Warning,
    }
}

/// Hashes of `p:<participantId>` and `e:<endpointId>`, when present.
fn party_keys(record: &Record<'_>) -> (Option<u64>, Option<u64>) {
    (
        record.participant_id().map(|p| hash_str(&format!("p:{p}"))),
        record.endpoint_id().map(|e| hash_str(&format!("e:{e}"))),
    )
}

fn participant_key(record: &Record<'_>) -> Option<String> {
    match (record.participant_id(), record.endpoint_id()) {
        (Some(p), _) => Some(format!("p:{p}")),
        (None, Some(e)) => Some(format!("e:{e}")),
        (None, None) => None,
    }
}

fn min_first(
    slot: &mut Option<(Origin, Option<DateTime<Utc>>, &'static str)>,
    cand: (Origin, Option<DateTime<Utc>>, &'static str),
) {
    let better = match slot {
        None => true,
        Some(cur) => (cand.1.is_none(), cand.1, cand.0) < (cur.1.is_none(), cur.1, cur.0),
    };
    if better {
        *slot = Some(cand);
    }
}

impl Pass for CallsPass {
    fn observe(&mut self, ctx: &Context, record: &Record<'_>) {
        let Some(source) = Source::of(record) else {
            return;
        };
        let Some(call_id) = record.call_id() else {
            return;
        };
        let call_id = call_id.into_owned();
        let state = self.calls.entry(call_id).or_default();
        state.sources |= source.bit();
        if source != Source::Summary {
            let label = match source {
                Source::WebSdk => "web SDK log",
                _ => source.label(),
            };
            min_first(&mut state.first_other, (record.origin, record.time, label));
            let keys = party_keys(record);
            if keys != (None, None) && !state.others.contains(&keys) {
                state.others.push(keys);
            }
        }
        if state.server_call_id.is_none() {
            state.server_call_id = record.server_call_id().map(|c| c.into_owned());
        }

        // Client-side evidence.
        if let Some(event) = client::client_event(ctx, record, source) {
            state.detail().client.push(event);
        }
        if let Some((key, ufd)) = client::ufd_event(ctx, record, source) {
            let track = state.detail().ufd.entry(key).or_default();
            track.add(ufd);
        }

        // End reasons.
        let Some((code, subcode, version)) = read_end(record, source) else {
            return;
        };
        let judgement = judge(ctx, code, subcode);
        let key_text = participant_key(record)
            .filter(|_| source == Source::Summary)
            .unwrap_or_else(|| format!("c:{code}/{subcode:?}"));
        let key = hash_str(&key_text);
        let mut sdk = None;
        let mut os = None;
        if source == Source::Summary {
            for (field, slot) in [("sdkVersion", &mut sdk), ("osVersion", &mut os)] {
                if let Some(v) = record.text(field).filter(|_| !is_redacted(record, field)) {
                    let h = hash_str(&v);
                    self.versions.entry(h).or_insert_with(|| v.into_owned());
                    *slot = Some(h);
                }
            }
        }
        let detail = (judgement != Judgement::Normal).then(|| {
            let mut d = EndDetail {
                participant_id: record.participant_id().map(|c| c.into_owned()),
                endpoint_id: record.endpoint_id().map(|c| c.into_owned()),
                identity: record.text("identifier").map(|c| c.into_owned()),
                endpoint_type: record.text("endpointType").map(|c| c.into_owned()),
                sdk: record.text("sdkVersion").map(|c| c.into_owned()),
                os: record.text("osVersion").map(|c| c.into_owned()),
                ended_at: ended_at(record),
                occurrences: Occurrences::default(),
            };
            d.occurrences.add(Evidence::from_record(record, END_FIELDS));
            Box::new(d)
        });
        let alt = (source == Source::Summary && record.participant_id().is_some())
            .then(|| party_keys(record).1)
            .flatten();
        let part = Part {
            key,
            alt,
            from_summary: source == Source::Summary,
            identity: record.text("identifier").map(|i| hash_str(&i)),
            sdk,
            os,
            redacted_versions: is_redacted(record, "sdkVersion")
                || is_redacted(record, "osVersion"),
            end: End {
                code,
                subcode,
                version,
                judgement,
                detail,
            },
        };
        merge_part(&mut state.parts, part);
    }

    fn merge(&mut self, other: Box<dyn Pass>) {
        let other = downcast_pass::<CallsPass>(other);
        for (k, v) in other.versions {
            self.versions.entry(k).or_insert(v);
        }
        for (id, theirs) in other.calls {
            let Some(mine) = self.calls.get_mut(&id) else {
                self.calls.insert(id, theirs);
                continue;
            };
            mine.sources |= theirs.sources;
            if let Some(f) = theirs.first_other {
                min_first(&mut mine.first_other, f);
            }
            for k in theirs.others {
                if !mine.others.contains(&k) {
                    mine.others.push(k);
                }
            }
            if let Some(s) = theirs.server_call_id {
                if mine.server_call_id.as_ref().is_none_or(|m| s < *m) {
                    mine.server_call_id = Some(s);
                }
            }
            for p in theirs.parts {
                merge_part(&mut mine.parts, p);
            }
            if let Some(d) = theirs.detail {
                let md = mine.detail();
                md.client.extend(d.client);
                for (k, t) in d.ufd {
                    md.ufd.entry(k).or_default().merge(t);
                }
            }
        }
    }

    fn finish(self: Box<Self>, ctx: &Context, out: &mut Vec<Finding>) {
        finish(*self, ctx, out);
    }
}

fn ended_at(record: &Record<'_>) -> Option<DateTime<Utc>> {
    let start = record
        .text("participantStartTime")
        .and_then(|t| acs_triage_core::time::parse_timestamp(&t))?;
    let secs = record.number("participantDuration")?;
    Some(start + Duration::milliseconds((secs * 1000.0) as i64))
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
        if let (Some(md), Some(pd)) = (mine.end.detail.as_mut(), part.end.detail) {
            md.occurrences.merge(pd.occurrences);
            fill(&mut md.participant_id, pd.participant_id);
            fill(&mut md.endpoint_id, pd.endpoint_id);
            fill(&mut md.identity, pd.identity);
            fill(&mut md.endpoint_type, pd.endpoint_type);
            fill(&mut md.sdk, pd.sdk);
            fill(&mut md.os, pd.os);
            if md.ended_at.is_none() {
                md.ended_at = pd.ended_at;
            }
        }
        mine.identity = mine.identity.or(part.identity);
        mine.sdk = mine.sdk.or(part.sdk);
        mine.os = mine.os.or(part.os);
        mine.redacted_versions |= part.redacted_versions;
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

/// Per-identity counts over all calls.
#[derive(Default)]
struct IdentityStats {
    calls: u32,
    /// (code, subcode) → calls ending that way.
    failures: BTreeMap<(i64, Option<i64>), u32>,
    text: Option<String>,
}

fn finish(pass: CallsPass, ctx: &Context, out: &mut Vec<Finding>) {
    let mut calls: Vec<(String, CallState)> = pass.calls.into_iter().collect();
    calls.sort_by(|a, b| a.0.cmp(&b.0));

    // Whole-run statistics first: they give the per-call findings their context.
    let mut identities: HashMap<u64, IdentityStats> = HashMap::new();
    let mut versions: BTreeMap<(&'static str, u64), (u32, u32)> = BTreeMap::new();
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
                if let Some(v) = v {
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
            let Some(id) = p.identity else { continue };
            let stats = identities.entry(id).or_default();
            if !seen_in_call.contains(&id) {
                seen_in_call.push(id);
                stats.calls += 1;
            }
            if p.end.judgement >= Judgement::Warning {
                *stats
                    .failures
                    .entry((p.end.code, p.end.subcode))
                    .or_default() += 1;
                if stats.text.is_none() {
                    stats.text = p.end.detail.as_ref().and_then(|d| d.identity.clone());
                }
            }
        }
    }
    let repeat_at = ctx.settings.judgement.repeated_failure_calls.max(2);

    let calls_seen: Vec<String> = calls
        .iter()
        .filter(|(id, _)| !id.is_empty())
        .map(|(id, _)| id.clone())
        .collect();
    for (call_id, mut call) in calls {
        fold_client_ends(&mut call.parts);
        let summary_parts = call.parts.iter().filter(|p| p.from_summary).count();
        let mut failed_ends: Vec<(&Part, &EndDetail)> = Vec::new();
        for part in &call.parts {
            let Some(detail) = &part.end.detail else {
                continue;
            };
            let context = part.identity.and_then(|id| identities.get(&id)).and_then(|s| {
                let n = *s.failures.get(&(part.end.code, part.end.subcode))?;
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
                part.end.code,
                part.end.subcode,
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
    if !any_summary && !calls_seen.is_empty() {
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
                    calls_seen.len(),
                    if calls_seen.len() == 1 { "" } else { "s" }
                ))
                .action("Enable the CallSummary category in the resource's diagnostic setting and export it with the other logs (records can arrive up to ~48 h late).")
                .id_value(IdKind::CallId, calls_seen.first()),
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
    let (code, sub) = (part.end.code, part.end.subcode);
    let label = code_label(code, sub);
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
    let decoded: Option<Decoded<'_>> = ctx.catalogs.calling.decode(code, sub);
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
    out: &mut Vec<Finding>,
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
        .map(|(p, _)| code_label(p.end.code, p.end.subcode))
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
    for (_, d) in failed.iter().take(1) {
        f = f.id_value(IdKind::ParticipantId, d.participant_id.as_deref());
    }
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
    counts: &BTreeMap<(&'static str, u64), (u32, u32)>,
    names: &HashMap<u64, String>,
    out: &mut Vec<Finding>,
) {
    for kind in ["SDK", "OS"] {
        let of_kind: Vec<(&u64, &(u32, u32))> = counts
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
fn missing_data(call_id: &str, call: &CallState, out: &mut Vec<Finding>) {
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
        .id_value(IdKind::ServerCallId, call.server_call_id.as_deref());
        if let Some((origin, time, label)) = call.first_other {
            f = f.evidence(Evidence {
                origin,
                time,
                excerpt: label.to_owned(),
            });
        }
        out.push(f);
        return;
    }
    let ended: Vec<u64> = call
        .parts
        .iter()
        .filter(|p| p.from_summary)
        .flat_map(|p| [Some(p.key), p.alt])
        .flatten()
        .collect();
    let missing = call
        .others
        .iter()
        .filter(|(p, e)| ![p, e].iter().any(|k| k.is_some_and(|k| ended.contains(&k))))
        .count();
    if missing > 0 {
        let mut f = Finding::new(
            "calling/missing-data",
            Severity::Info,
            "Participant without an end record",
        )
        .message(format!(
            "{missing} participant{} of call {call_id} appear{} in other logs (streams, client operations, events) but have no CallSummary row: their end reason is unknown.",
            if missing == 1 { "" } else { "s" },
            if missing == 1 { "s" } else { "" }
        ))
        .action("Include the hours after the call in the export (a participant's summary can land in a later hourly blob, up to ~48 h late); if it never comes, open a support request with the call ID.")
        .id_value(IdKind::CallId, Some(call_id));
        if let Some((origin, time, label)) = call.first_other {
            f = f.evidence(Evidence {
                origin,
                time,
                excerpt: label.to_owned(),
            });
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
