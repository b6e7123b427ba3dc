//! `calling/media-quality`: every media stream judged against the documented thresholds
//! (`rules/thresholds/media.toml`, overridable in `acs-triage.toml` under `[thresholds.media]`).
//!
//! A CallDiagnostics record describes one stream. In P2P calls it is an endpoint's outbound
//! stream; in group calls a record whose `endpointType` is `Server` describes a stream the
//! server sends *to* the participant, so a poor one hurts that participant's reception. When a
//! `streamDirection` field is present it wins. For the Updates table only the highest
//! `callUpdatesVersion` of a stream counts.

use acs_triage_core::Output;
use acs_triage_core::analyzer::{Analysis, Context, EntityAnalysis, EntityPass, Horizon};
use acs_triage_core::record::{Bag, name_key};
use acs_triage_core::table::{Column, Table, TableKind};
use acs_triage_core::{FieldName, field, fields};
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::settings::{MediaThreshold, MediaThresholds, PoorWhen, StreamKind};
use acs_triage_core::health::{HealthLine, Unit};
use acs_triage_core::text::{percent, plural};
use acs_triage_core::{
    Evidence, IdKind, Occurrences, OwnedFieldName, Record, Severity, SharedText,
};

const EVIDENCE_FIELDS: &[FieldName<'static>] = fields![
    "mediaType",
    "streamId",
    "endpointType",
    "transportType",
    "roundTripTimeAvg",
    "jitterAvg",
    "packetLossRateAvg",
    "jitterBufferSizeAvg",
    "healedDataRatioAvg",
    "videoFrameRateAvg",
    "recvResolutionHeight",
    "recvFreezeDurationPerMinuteInMs",
    "packetUtilization",
    "callUpdatesVersion",
];

/// How every stream measured against each threshold (`analyze --table calling/stream-quality`;
/// the HTML report draws it).
pub static QUALITY: TableKind = TableKind {
    id: "calling/stream-quality",
    title: "Stream measurements against the thresholds",
    doc: "For each media-quality threshold, how many stream measurements fell in each band of a fifth of the threshold (the last band open-ended).",
    columns: &[
        Column::text("measure"),
        Column::text("unit"),
        Column::text("poor when"),
        Column::number("threshold"),
        Column::number("from"),
        Column::number("to"),
        Column::integer("streams"),
    ],
};

/// Buckets per threshold, each a fifth of the threshold wide, the last open-ended.
const BUCKETS: usize = 11;

/// Counts of stream measurements per bucket, for each threshold (fixed memory, whatever the
/// number of streams): the quality table and the health overview.
struct Histograms {
    thresholds: Vec<(Arc<str>, MediaThreshold)>,
    /// Each threshold's field, resolved once (every stream record looks them all up).
    fields: Vec<OwnedFieldName>,
    counts: Vec<[u64; BUCKETS]>,
    /// Measurements past each threshold (the health overview).
    poor: Vec<u64>,
    /// Stream records with at least one measurement.
    streams: u64,
}

impl Histograms {
    fn new(media: &BTreeMap<String, MediaThreshold>) -> Histograms {
        let thresholds: Vec<(Arc<str>, MediaThreshold)> = media
            .iter()
            .filter(|(_, t)| t.value > 0.0)
            .map(|(id, t)| (Arc::from(id.as_str()), t.clone()))
            .collect();
        Histograms {
            fields: thresholds
                .iter()
                .map(|(_, t)| OwnedFieldName::new(&t.field))
                .collect(),
            counts: vec![[0; BUCKETS]; thresholds.len()],
            poor: vec![0; thresholds.len()],
            streams: 0,
            thresholds,
        }
    }

    fn observe(&mut self, record: &Record<'_>) {
        if !is_stream_record(record) {
            return;
        }
        let kind = stream_kind(record);
        let mut measured = false;
        for ((((_, t), field), counts), poor) in self
            .thresholds
            .iter()
            .zip(&self.fields)
            .zip(self.counts.iter_mut())
            .zip(self.poor.iter_mut())
        {
            if !t.streams.covers(kind) {
                continue;
            }
            if let Some(v) = record.number(field).filter(|v| *v >= 0.0) {
                let bucket = ((v / (t.value / 5.0)) as usize).min(BUCKETS - 1);
                counts[bucket] += 1;
                measured = true;
                if t.is_poor(v) {
                    *poor += 1;
                }
            }
        }
        if measured {
            self.streams += 1;
        }
    }

    fn merge(&mut self, other: Histograms) {
        self.streams += other.streams;
        for (mine, theirs) in self.poor.iter_mut().zip(other.poor) {
            *mine += theirs;
        }
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
    }

    /// Streams judged, and the share poor per metric.
    fn health(&self) -> Option<HealthLine> {
        if self.streams == 0 {
            return None;
        }
        let metrics: Vec<String> = self
            .thresholds
            .iter()
            .zip(self.counts.iter().zip(&self.poor))
            .filter(|(_, (counts, _))| counts.iter().any(|c| *c > 0))
            .map(|((_, t), (counts, poor))| {
                let measured: u64 = counts.iter().sum();
                format!("{} {}", t.label, percent(*poor, measured))
            })
            .collect();
        Some(
            HealthLine::new(
                20,
                "Media",
                format!(
                    "{} judged; poor: {}",
                    plural(self.streams, "stream record", "stream records"),
                    metrics.join(", ")
                ),
            )
            .total(Unit::Streams, self.streams),
        )
    }

    fn table(&self) -> Table {
        let mut table = QUALITY.table();
        for ((_, t), counts) in self.thresholds.iter().zip(&self.counts) {
            if counts.iter().all(|c| *c == 0) {
                continue;
            }
            let width = t.value / 5.0;
            let poor = match t.poor_when {
                PoorWhen::Above => "above",
                PoorWhen::Below => "below",
                PoorWhen::Equal => "equal",
            };
            for (i, n) in counts.iter().enumerate() {
                let to = if i == BUCKETS - 1 {
                    String::new()
                } else {
                    trim_number(width * (i + 1) as f64)
                };
                table.push(vec![
                    t.label.to_string(),
                    t.unit.to_string(),
                    poor.to_owned(),
                    trim_number(t.value),
                    trim_number(width * i as f64),
                    to,
                    n.to_string(),
                ]);
            }
        }
        table
    }
}

/// The stream analysis, plus the histograms.
pub struct MediaPass {
    streams: EntityPass<Streams>,
    histograms: Histograms,
}

impl Analysis for MediaPass {
    fn start(ctx: &Context) -> Self {
        let thresholds = &ctx.settings.get::<MediaThresholds>().0;
        MediaPass {
            streams: EntityPass::new(Streams {
                judge: StreamJudge::new(thresholds),
            }),
            histograms: Histograms::new(thresholds),
        }
    }

    fn observe(&mut self, ctx: &Context, record: &Record<'_>) {
        self.histograms.observe(record);
        self.streams.observe(ctx, record);
    }

    fn merge(&mut self, other: Self) {
        let MediaPass {
            streams,
            histograms,
        } = other;
        self.histograms.merge(histograms);
        self.streams.merge(streams);
    }

    fn close(&mut self, ctx: &Context, horizon: &Horizon, out: &mut Output) {
        self.streams.close(ctx, horizon, out);
    }

    fn kql(
        ctx: &Context,
    ) -> Result<Vec<acs_triage_core::kql::KqlQuery>, acs_triage_core::kql::TemplateError> {
        crate::kql::media(ctx)
    }

    fn finish(self, ctx: &Context, out: &mut Output) {
        if ctx.wants_table(&QUALITY) {
            out.table(self.histograms.table());
        }
        if let Some(line) = self.histograms.health() {
            out.health(line);
        }
        self.streams.finish(ctx, out);
    }
}

/// The kind of a stream, from `mediaType`.
pub fn stream_kind(record: &Record<'_>) -> StreamKind {
    let media = record.text(field!("mediaType")).unwrap_or_default();
    // Nearly every stream record says `Audio` or `Video` (two lookups a record).
    if media.eq_ignore_ascii_case("audio") {
        return StreamKind::Audio;
    }
    if media.eq_ignore_ascii_case("video") {
        return StreamKind::Video;
    }
    let has = |word: &str| contains_ignore_case(&media, word);
    if has("screen") || has("vbss") || has("applicationsharing") {
        StreamKind::ScreenShare
    } else if has("video") {
        StreamKind::Video
    } else if has("audio") {
        StreamKind::Audio
    } else {
        StreamKind::All
    }
}

/// `needle` (lowercase ASCII) occurs in `haystack`, ignoring ASCII case. Runs for every stream
/// record, so it does not allocate a lowercased copy.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// One threshold a stream failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The threshold's ID, label, unit and action are shared with the thresholds in force: a
    /// kept stream holds pointers, not copies.
    pub threshold: Arc<str>,
    pub label: Arc<str>,
    pub value: f64,
    pub limit: f64,
    pub unit: Arc<str>,
    pub poor_when: PoorWhen,
    pub rank: u32,
    pub action: Arc<str>,
}

impl Violation {
    /// `average packet loss 14.0 % (poor above 10 %)`.
    pub fn describe(&self) -> String {
        let side = match self.poor_when {
            PoorWhen::Above => "above",
            PoorWhen::Below => "below",
            PoorWhen::Equal => "at",
        };
        format!(
            "{} {} (poor {side} {})",
            self.label,
            format_value(self.value, &self.unit),
            format_value(self.limit, &self.unit)
        )
    }
}

/// A measurement in its unit: ratios as percentages.
pub fn format_value(value: f64, unit: &str) -> String {
    match unit {
        "ratio" => format!("{:.1} %", value * 100.0),
        "count" => trim_number(value),
        "ms" | "ms per minute" => format!("{} {unit}", trim_number(value)),
        _ => format!("{} {unit}", trim_number(value)),
    }
}

fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// The media thresholds in force, with the key of each one's field name: the check runs for
/// every stream record, so each threshold finds its fields through the record's name index
/// instead of comparing names with every field.
pub struct StreamJudge {
    thresholds: Vec<(Arc<str>, MediaThreshold)>,
    /// [`name_key`] of each threshold's field.
    keys: Vec<u32>,
}

impl StreamJudge {
    pub fn new(media: &BTreeMap<String, MediaThreshold>) -> StreamJudge {
        let thresholds: Vec<(Arc<str>, MediaThreshold)> = media
            .iter()
            .map(|(id, t)| (Arc::from(id.as_str()), t.clone()))
            .collect();
        let keys = thresholds.iter().map(|(_, t)| name_key(&t.field)).collect();
        StreamJudge { thresholds, keys }
    }

    /// The thresholds a stream record fails, most telling first. A threshold counts the first
    /// field of its name (in any bag but HTTP headers, ignoring case) whose number fails it.
    pub fn judge(&self, record: &Record<'_>) -> Vec<Violation> {
        let mut kind = None;
        let mut out: Vec<Violation> = Vec::new();
        for ((id, t), &key) in self.thresholds.iter().zip(&self.keys) {
            let failing = record
                .fields_named(key, &t.field)
                // The name index also finds `<name> [UTC]`; a threshold names its field exactly.
                .filter(|f| f.bag != Bag::Headers && f.name.len() == t.field.len())
                .filter_map(|f| f.value.as_f64())
                .find(|&value| {
                    let kind = *kind.get_or_insert_with(|| stream_kind(record));
                    t.streams.covers(kind) && t.is_poor(value)
                });
            let Some(value) = failing else {
                continue;
            };
            out.push(Violation {
                threshold: id.clone(),
                label: t.label.clone(),
                value,
                limit: t.value,
                unit: t.unit.clone(),
                poor_when: t.poor_when,
                rank: t.rank,
                action: t.action.clone(),
            });
        }
        out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.threshold.cmp(&b.threshold)));
        out
    }
}

fn is_stream_record(record: &Record<'_>) -> bool {
    record.is_category("CallDiagnostics") || record.is_category("CallDiagnosticsUpdates")
}

/// A stream: which way it flows and for whom.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    pub participant_id: Option<String>,
    pub endpoint_id: Option<String>,
    pub identifier: Option<String>,
    /// True when the participant receives the stream (server → client).
    pub inbound: bool,
}

impl Party {
    pub fn of(record: &Record<'_>) -> Party {
        let direction = record
            .text(field!("streamDirection"))
            .map(|d| d.to_ascii_lowercase());
        let inbound = match direction.as_deref() {
            Some(d) if d.contains("in") || d.contains("recv") => true,
            Some(_) => false,
            None => record
                .text(field!("endpointType"))
                .is_some_and(|t| t.eq_ignore_ascii_case("Server")),
        };
        Party {
            participant_id: record.participant_id().map(|c| c.into_owned()),
            endpoint_id: record.endpoint_id().map(|c| c.into_owned()),
            identifier: record.text(field!("identifier")).map(|c| c.into_owned()),
            inbound,
        }
    }

    /// `received by participant X` / `sent by endpoint Y`.
    pub fn describe(&self) -> String {
        let who = match (&self.participant_id, &self.endpoint_id) {
            (Some(p), _) => format!("participant {p}"),
            (None, Some(e)) => format!("endpoint {e}"),
            (None, None) => "an unnamed party".to_owned(),
        };
        if self.inbound {
            format!("received by {who}")
        } else {
            format!("sent by {who}")
        }
    }
}

/// The newest verdict on one stream.
#[derive(Debug, Default)]
pub struct StreamState {
    version: i64,
    media: String,
    stream_id: String,
    party: Party,
    violations: Vec<Violation>,
    occurrences: Occurrences,
}

type Key = (String, String, String);

/// The per-stream analysis behind [`MediaQuality`].
pub struct Streams {
    judge: StreamJudge,
}

impl Streams {
    /// `packet_loss, jitter in rules/thresholds/media.toml`, shared with every finding that
    /// names the same thresholds.
    fn source(violations: &[Violation]) -> SharedText {
        SharedText::interned(
            violations
                .iter()
                .map(|v| &*v.threshold)
                .collect::<Vec<_>>()
                .join(", ")
                + " in rules/thresholds/media.toml",
        )
    }
}

impl EntityAnalysis for Streams {
    type Key = Key;
    type State = StreamState;
    const NOUN: &'static str = "media streams";
    const CLOSES: bool = true;

    fn new(ctx: &Context) -> Self {
        Streams {
            judge: StreamJudge::new(&ctx.settings.get::<MediaThresholds>().0),
        }
    }

    fn key(&self, _ctx: &Context, record: &Record<'_>) -> Option<Key> {
        if !is_stream_record(record) {
            return None;
        }
        let versioned = record.get(field!("callUpdatesVersion")).is_some();
        // Only poor streams, and every version of an updated stream, need remembering.
        if !versioned && self.judge.judge(record).is_empty() {
            return None;
        }
        let call = record.call_id().map(|c| c.into_owned()).unwrap_or_default();
        let party = record
            .participant_id()
            .or_else(|| record.endpoint_id())
            .map(|c| c.into_owned())
            .unwrap_or_default();
        let stream = record
            .text(field!("streamId"))
            .or_else(|| record.text(field!("mediaType")))
            .map(|c| c.into_owned())
            .unwrap_or_default();
        Some((call, party, stream))
    }

    fn observe(&self, _ctx: &Context, state: &mut StreamState, record: &Record<'_>) {
        let version = record.int(field!("callUpdatesVersion")).unwrap_or(0);
        let evidence = Evidence::from_record(record, EVIDENCE_FIELDS);
        let mut seen = StreamState {
            version,
            media: record
                .text(field!("mediaType"))
                .map(|c| c.into_owned())
                .unwrap_or_default(),
            stream_id: record
                .text(field!("streamId"))
                .map(|c| c.into_owned())
                .unwrap_or_default(),
            party: Party::of(record),
            violations: self.judge.judge(record),
            occurrences: Occurrences::default(),
        };
        seen.occurrences.add(evidence);
        self.merge(state, seen);
    }

    /// The newest version wins; records of the same version (two directions of one stream
    /// without a stream ID, or a duplicate export) show the view of the earliest evidence. The
    /// same rule whether a record is observed or a pass merged, so order never shows.
    fn merge(&self, into: &mut StreamState, from: StreamState) {
        if from.occurrences.count == 0 {
            return;
        }
        if into.occurrences.count == 0 || from.version > into.version {
            *into = from;
        } else if from.version == into.version {
            if from.occurrences.evidence.first() < into.occurrences.evidence.first() {
                into.violations = from.violations;
                into.party = from.party;
                into.media = from.media;
                into.stream_id = from.stream_id;
            }
            into.occurrences.merge(from.occurrences);
        }
    }

    fn finish(&self, _ctx: &Context, key: Key, state: StreamState, out: &mut Output) {
        if state.violations.is_empty() {
            return;
        }
        let (call, _, _) = key;
        let no_media = state
            .violations
            .iter()
            .any(|v| &*v.threshold == "no_packets");
        let media = if state.media.is_empty() {
            "media".to_owned()
        } else {
            state.media.to_ascii_lowercase()
        };
        let stream = if state.stream_id.is_empty() {
            String::new()
        } else {
            format!(" {}", state.stream_id)
        };
        let call_text = if call.is_empty() {
            "a call whose ID the log does not give".to_owned()
        } else {
            format!("call {call}")
        };
        let details: Vec<String> = state.violations.iter().map(Violation::describe).collect();
        let (id, severity, title) = if no_media {
            (
                &crate::NO_MEDIA,
                Severity::Error,
                format!("No {media} flowing"),
            )
        } else {
            (
                &crate::POOR_STREAM,
                Severity::Warning,
                format!("Poor {media} stream"),
            )
        };
        let message = format!(
            "The {media} stream{stream} {} in {call_text} was poor: {}.",
            state.party.describe(),
            details.join("; ")
        );
        let action = state.violations[0].action.clone();
        out.push(
            id.finding().severity(severity).title(title)
                .message(message)
                .action(action)
                .source(Self::source(&state.violations))
                .docs("https://learn.microsoft.com/azure/communication-services/concepts/analytics/logs/call-diagnostics-log-schema")
                .id_value(IdKind::CallId, (!call.is_empty()).then_some(&call))
                .id_value(IdKind::ParticipantId, state.party.participant_id.as_deref())
                .id_value(IdKind::EndpointId, state.party.endpoint_id.as_deref())
                .id_value(IdKind::UserId, state.party.identifier.as_deref())
                .occurrences(state.occurrences),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use acs_triage_core::record::Field;
    use acs_triage_core::{FileId, Format, Origin, Value};

    fn stream(fields: Vec<Field<'static>>) -> Record<'static> {
        let origin = Origin {
            file: FileId(0),
            line: 1,
            index: None,
        };
        let mut record = Record::new(origin, Format::StorageExport, fields);
        record.category = Some("CallDiagnostics".into());
        record.index_names();
        record
    }

    /// The kind of a stream from its `mediaType`, in any case; screen sharing wins over the
    /// other words, and a stream without a known word is of every kind.
    #[test]
    fn stream_kinds_from_media_type() {
        let kind = |media: Option<&str>| {
            let fields = media
                .map(|m| {
                    Field::new(
                        Bag::Properties,
                        "mediaType",
                        Value::Str(m.to_owned().into()),
                    )
                })
                .into_iter()
                .collect();
            stream_kind(&stream(fields))
        };
        for (media, expected) in [
            (Some("Audio"), StreamKind::Audio),
            (Some("AUDIO"), StreamKind::Audio),
            (Some("video"), StreamKind::Video),
            (Some("Video "), StreamKind::Video),
            (Some("ScreenSharing"), StreamKind::ScreenShare),
            (Some("VBSS"), StreamKind::ScreenShare),
            (Some("applicationSharingVideo"), StreamKind::ScreenShare),
            (Some("mainAudio"), StreamKind::Audio),
            (Some("data"), StreamKind::All),
            (None, StreamKind::All),
        ] {
            assert_eq!(kind(media), expected, "{media:?}");
        }
    }

    /// A threshold counts the first field of its name, in any bag but HTTP headers, whose
    /// number fails it; other names, and `<name> [UTC]`, are not its field.
    #[test]
    fn judging_reads_every_field_of_a_threshold_name() {
        let media: MediaThresholds =
            toml::from_str(include_str!("../../../rules/thresholds/media.toml")).unwrap();
        let judge = StreamJudge::new(&media.0);
        let judged = |fields: Vec<Field<'static>>| -> Vec<(String, f64)> {
            judge
                .judge(&stream(fields))
                .iter()
                .map(|v| (v.threshold.to_string(), v.value))
                .collect()
        };
        let audio = || Field::new(Bag::Properties, "mediaType", Value::Str("Audio".into()));
        // A healthy value first, then a poor one of the same name in another bag.
        assert_eq!(
            judged(vec![
                audio(),
                Field::new(Bag::Top, "roundTripTimeAvg", Value::Int(100)),
                Field::new(
                    Bag::Properties,
                    "RoundTripTimeAvg",
                    Value::Str("620".into())
                ),
                Field::new(Bag::Properties, "jitterAvg", Value::Int(45)),
            ]),
            vec![("round_trip_time".into(), 620.0), ("jitter".into(), 45.0)]
        );
        // Headers, a name with a suffix, and text that is no number do not count.
        assert_eq!(
            judged(vec![
                audio(),
                Field::new(Bag::Headers, "roundTripTimeAvg", Value::Int(900)),
                Field::new(Bag::Top, "roundTripTimeAvg [UTC]", Value::Int(900)),
                Field::new(Bag::Top, "jitterAvg", Value::Str("high".into())),
                Field::new(Bag::Top, "roundTripTimeAvgX", Value::Int(900)),
            ]),
            vec![]
        );
        // Thresholds of other stream kinds leave an audio stream alone.
        assert_eq!(
            judged(vec![
                audio(),
                Field::new(Bag::Properties, "videoFrameRateAvg", Value::Int(1)),
            ]),
            vec![]
        );
    }
}
