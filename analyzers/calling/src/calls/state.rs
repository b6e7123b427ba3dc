//! The state of one call: where it was seen, and how each participant ended. Compact: strings
//! and evidence are only kept for what ended badly.

use super::*;

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

    pub(crate) fn bit(self) -> u16 {
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
        // The SDK's console log, or its error object the app logged as JSON.
        if record.format == Format::WebSdkLog || record.is_category("CallingCommunicationError") {
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

pub(crate) fn hash_tagged(tag: u8, s: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    h.write_u8(tag);
    // IDs are nearly always written in lower case: those are hashed where they are, in the
    // same pieces.
    // A fold rather than `any`: with no early exit the compiler checks many bytes at a time.
    let lower = !s
        .bytes()
        .fold(false, |upper, b| upper | b.is_ascii_uppercase());
    let mut buf = [0u8; 64];
    for chunk in s.as_bytes().chunks(64) {
        if lower {
            h.write(chunk);
            continue;
        }
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
        if let Some(halves) = acs_triage_core::finding::uuid_halves(id) {
            return CallKey::Uuid(halves);
        }
        CallKey::Text(id.into())
    }

    /// Like [`CallKey::new`], but a UUID is packed only when [`CallKey::text`] gives back the
    /// same text (lowercase), for IDs shown as the log wrote them.
    pub fn exact(id: &str) -> CallKey {
        if id.bytes().any(|b| b.is_ascii_uppercase()) {
            return CallKey::Text(id.into());
        }
        CallKey::new(id)
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
pub(crate) const NO_SUB: i32 = i32::MIN;

/// How one participant ended (only the newest version counts).
#[derive(Debug, Clone)]
pub(crate) struct End {
    pub(crate) code: i32,
    pub(crate) subcode: i32,
    pub(crate) version: i32,
    pub(crate) judgement: Judgement,
    /// Present for ends worth reporting (not normal).
    pub(crate) detail: Option<Box<EndDetail>>,
}

impl End {
    pub(crate) fn sub(&self) -> Option<i64> {
        (self.subcode != NO_SUB).then_some(self.subcode as i64)
    }

    pub(crate) fn code(&self) -> i64 {
        self.code as i64
    }
}

/// Texts are boxed (`Box<str>`, 16 bytes, no spare room): a large run keeps one of these for
/// every participant that ended badly until its end.
#[derive(Debug, Clone, Default)]
pub(crate) struct EndDetail {
    /// `code/subcode` as the log wrote it, when a part is no readable number.
    pub(crate) raw_label: Option<Box<str>>,
    pub(crate) participant_id: Option<Box<str>>,
    pub(crate) endpoint_id: Option<Box<str>>,
    pub(crate) identity: Option<Box<str>>,
    pub(crate) endpoint_type: Option<Box<str>>,
    pub(crate) sdk: Option<Box<str>>,
    pub(crate) os: Option<Box<str>>,
    pub(crate) ended_at: Option<DateTime<Utc>>,
    /// What the log itself says of the ending (the SDK's phrase and result categories), quoted
    /// when the catalog has no row for the code.
    pub(crate) said: Option<Box<str>>,
    /// `PstnParticipantCallType` of the row (its values are not published; quoted as written).
    pub(crate) pstn_call_type: Option<Box<str>>,
    pub(crate) occurrences: Occurrences,
}

/// A participant of a call, in 72 bytes. Hashes are 0 when absent.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// Hash of the participant ID, else the endpoint ID, else `<code>/<subcode>` (client log
    /// lines without IDs).
    pub(crate) key: u64,
    /// Hash of the endpoint ID when the row also has a participant ID (other sources may only
    /// name the endpoint, as P2P stream records do).
    pub(crate) alt: u64,
    pub(crate) identity: u64,
    /// 32-bit hashes of the versions (few distinct values; 0 = none).
    pub(crate) sdk: u32,
    pub(crate) os: u32,
    /// The app's name and version from `DiagnosticOptions`.
    pub(crate) app: u32,
    /// `endpointType` (VoIP, PSTN, Server, Bot...).
    pub(crate) endpoint: u32,
    /// True when the end came from CallSummary (not only from a client log).
    pub(crate) from_summary: bool,
    pub(crate) redacted_versions: bool,
    pub(crate) end: End,
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
pub(crate) struct FirstSeen {
    pub(crate) time_ms: i64,
    pub(crate) file: u32,
    pub(crate) line: u32,
    /// Position in the file's array, when there is one.
    pub(crate) index: u32,
    pub(crate) source: u8,
}

impl FirstSeen {
    pub(crate) fn of(record: &Record<'_>, source: Source) -> FirstSeen {
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

    pub(crate) fn evidence(self) -> Evidence {
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
                Source::WebSdk => "web SDK log".into(),
                other => other.label().into(),
            },
        }
    }
}

/// One call.
#[derive(Debug, Default)]
pub(crate) struct CallState {
    pub(crate) sources: u16,
    /// First record outside CallSummary (for "missing data" evidence).
    pub(crate) first_other: Option<FirstSeen>,
    pub(crate) parts: Vec<Part>,
    /// Participant keys seen outside CallSummary: (participant key, endpoint key), 0 = none.
    pub(crate) others: Vec<(u64, u64)>,
    pub(crate) detail: Option<Box<Detail>>,
    /// When each participant was in the call (by participant key), kept only when the
    /// timeline table is wanted, and only while the call is open: once it is judged the
    /// timeline keeps its rows if it is among the first failed calls (`tables::Timeline`).
    pub(crate) spans: Vec<Span>,
}

impl CallState {
    pub(crate) fn detail(&mut self) -> &mut Detail {
        self.detail.get_or_insert_with(Default::default)
    }
}

/// A call still open: its state, and when its latest record was.
#[derive(Debug, Default)]
pub(crate) struct OpenCall {
    /// Time of the latest record (milliseconds; `i64::MAX` once a record without a time came),
    /// for judging the call once its records are all read. Beside the key, not in the boxed
    /// state: after every batch each open call's time is read to see whether it closes, and
    /// from the box that is a read of one more place in memory per open call.
    pub(crate) last_ms: i64,
    pub(crate) state: Box<CallState>,
}

/// The pass: the calls still open, what the calls judged add up to, and the strings of versions
/// (few distinct values).
#[derive(Default)]
pub struct CallsPass {
    /// Boxed: the open calls are a window sliding through the hours, and a table that calls keep
    /// entering and leaving is rebuilt at twice the size now and then; with the state out of
    /// line a slot is 40 bytes, not 152.
    pub(crate) calls: FastMap<CallKey, OpenCall>,
    pub(crate) tally: super::tally::Tally,
    /// Keys of the calls judged early, to notice records that come for them afterwards.
    pub(crate) judged: acs_triage_core::analyzer::Judged,
    /// Calls that received records after they were judged.
    pub(crate) late: u64,
    pub(crate) versions: FastMap<u32, String>,
    /// Whether calls keep their participants' [`Span`]s (the timeline table is wanted).
    pub(crate) spans: bool,
}

/// When one participant was in a call (milliseconds), and who it was. Compact (no allocation
/// for a UUID): an HTML report keeps one for every participant of every call still open.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    /// The participant's key in [`CallState::parts`].
    pub(crate) key: u64,
    pub(crate) start_ms: i64,
    pub(crate) end_ms: i64,
    pub(crate) who: Who,
}

/// Who a [`Span`] is: the participant or endpoint ID, the way the log wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Who {
    Participant(CallKey),
    Endpoint(CallKey),
    Unnamed,
}

impl Who {
    pub(crate) fn participant(id: &str) -> Who {
        Who::Participant(CallKey::exact(id))
    }

    pub(crate) fn endpoint(id: &str) -> Who {
        Who::Endpoint(CallKey::exact(id))
    }

    /// `participant <id>`, `endpoint <id>` or `participant`.
    pub(crate) fn label(&self) -> String {
        match self {
            Who::Participant(id) => format!("participant {}", id.text()),
            Who::Endpoint(id) => format!("endpoint {}", id.text()),
            Who::Unnamed => "participant".to_owned(),
        }
    }
}

/// Adds a sighting of a participant to a call's spans: the span widens to cover it, and the
/// label is the smallest seen (so the result does not depend on the order of sightings).
pub(crate) fn merge_span(spans: &mut Vec<Span>, span: Span) {
    let Some(mine) = spans.iter_mut().find(|s| s.key == span.key) else {
        acs_triage_core::push_snug(spans, span);
        return;
    };
    mine.start_ms = mine.start_ms.min(span.start_ms);
    mine.end_ms = mine.end_ms.max(span.end_ms);
    if span.who != mine.who && span.who.label() < mine.who.label() {
        mine.who = span.who;
    }
}

/// Keeps the newest version of a participant's end; same version and reason merge; a different
/// reason at the same version keeps the one with the earliest evidence (order-independent).
pub(crate) fn merge_part(parts: &mut Vec<Part>, part: Part) {
    let Some(mine) = parts.iter_mut().find(|p| p.key == part.key) else {
        acs_triage_core::push_snug(parts, part);
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
            keep_min(&mut md.said, pd.said);
            keep_min(&mut md.pstn_call_type, pd.pstn_call_type);
        }
        keep_min_nonzero(&mut mine.identity, part.identity);
        keep_min_nonzero(&mut mine.sdk, part.sdk);
        keep_min_nonzero(&mut mine.os, part.os);
        keep_min_nonzero(&mut mine.app, part.app);
        keep_min_nonzero(&mut mine.endpoint, part.endpoint);
        keep_min_nonzero(&mut mine.alt, part.alt);
        mine.from_summary |= part.from_summary;
        mine.redacted_versions |= part.redacted_versions;
    }
}

/// Keeps the smallest text under one key (spellings that hash alike, say case variants).
pub(crate) fn keep_smallest<K>(
    entry: std::collections::hash_map::Entry<'_, K, String>,
    text: String,
) {
    entry
        .and_modify(|s| {
            if text < *s {
                s.clone_from(&text);
            }
        })
        .or_insert(text);
}

/// Keeps the smallest non-zero value (zero means "not known").
pub(crate) fn keep_min_nonzero<T: Ord + Default + Copy>(slot: &mut T, theirs: T) {
    if theirs != T::default() && (*slot == T::default() || theirs < *slot) {
        *slot = theirs;
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
        "pstn" => "answer from the phone network (carrier, or the SBC with Direct Routing)",
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

#[cfg(test)]
mod tests {
    use std::hash::Hasher;

    use super::*;

    /// Every text is hashed as its lower-case copy in 64-byte pieces would be: the same hash
    /// in every case and length (keys made before and after must agree).
    #[test]
    fn a_hash_ignores_case_and_does_not_depend_on_the_path_taken() {
        let reference = |tag: u8, s: &str| {
            let mut h = rustc_hash::FxHasher::default();
            h.write_u8(tag);
            for chunk in s.to_ascii_lowercase().as_bytes().chunks(64) {
                h.write(chunk);
            }
            h.finish().max(1)
        };
        let base = "0731a35e-7a71-4861-8b81-5defca0d14b5_8:acs:ffffffff-abcd-ÉÀ-";
        for len in 0..=200 {
            let text: String = base.chars().cycle().take(len).collect();
            for s in [text.clone(), text.to_ascii_uppercase()] {
                assert_eq!(hash_tagged(b'p', &s), reference(b'p', &s), "{s}");
            }
            assert_eq!(
                hash_tagged(7, &text),
                hash_tagged(7, &text.to_ascii_uppercase())
            );
        }
    }
}
