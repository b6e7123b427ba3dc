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
use acs_triage_core::record::{Bag, Field, name_key};
use acs_triage_core::table::{Column, Table, TableKind};
use acs_triage_core::{FieldName, FieldPath, field, fields};
use std::cell::OnceCell;
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
    /// Where each threshold's [`Reading`] is, among the [`StreamJudge`]'s.
    readings: Vec<usize>,
    counts: Vec<[u64; BUCKETS]>,
    /// Measurements past each threshold (the health overview).
    poor: Vec<u64>,
    /// Stream records with at least one measurement.
    streams: u64,
}

impl Histograms {
    fn new(media: &BTreeMap<String, MediaThreshold>) -> Histograms {
        // The judge reads every threshold, in the same (name) order.
        let (readings, thresholds): (Vec<usize>, Vec<(Arc<str>, MediaThreshold)>) = media
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| t.value > 0.0)
            .map(|(at, (id, t))| (at, (Arc::from(id.as_str()), t.clone())))
            .unzip();
        Histograms {
            readings,
            counts: vec![[0; BUCKETS]; thresholds.len()],
            poor: vec![0; thresholds.len()],
            streams: 0,
            thresholds,
        }
    }

    /// Counts a stream record of `kind` by what [`StreamJudge::read`] found in it.
    fn observe(&mut self, kind: StreamKind, readings: &[Reading]) {
        let mut measured = false;
        for ((((_, t), &at), counts), poor) in self
            .thresholds
            .iter()
            .zip(&self.readings)
            .zip(self.counts.iter_mut())
            .zip(self.poor.iter_mut())
        {
            if !t.streams.covers(kind) {
                continue;
            }
            if let Some(v) = readings[at].number.filter(|v| *v >= 0.0) {
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
    /// What the stream record being observed holds for each threshold (kept for the next).
    readings: Vec<Reading>,
}

impl Analysis for MediaPass {
    fn start(ctx: &Context) -> Self {
        let thresholds = &ctx.settings.get::<MediaThresholds>().0;
        MediaPass {
            streams: EntityPass::new(Streams {
                judge: StreamJudge::new(thresholds),
            }),
            histograms: Histograms::new(thresholds),
            readings: Vec::new(),
        }
    }

    /// A stream record's measures are read once, for the histograms and the judge alike.
    fn observe(&mut self, _ctx: &Context, record: &Record<'_>) {
        if !is_stream_record(record) {
            return;
        }
        let kind = stream_kind(record);
        let streams = self.streams.analysis();
        streams.judge.read(record, kind, &mut self.readings);
        self.histograms.observe(kind, &self.readings);
        let violations = streams.judge.violations(&self.readings);
        if let Some(key) = streams.key_judged(record, &violations) {
            self.streams.observe_keyed(key, record, |streams, state| {
                streams.observe_judged(state, record, violations)
            });
        }
    }

    fn merge(&mut self, other: Self) {
        let MediaPass {
            streams,
            histograms,
            readings: _,
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
    /// Each threshold's field resolved as a path (what the histograms count).
    fields: Vec<OwnedFieldName>,
    /// The distinct plain field names (no bag prefix), with their keys: [`StreamJudge::read`]
    /// finds them all in one pass over a record's fields (14 thresholds read 10 names).
    plain_names: Vec<(u32, Arc<str>)>,
    /// For each threshold whose path is a plain name, that name's place in `plain_names`
    /// (`None` for a path with a bag prefix): a record with one field of that name gives the
    /// histograms and the judge the same number ([`StreamJudge::read`]).
    name_of: Vec<Option<usize>>,
    /// For each `key % 64`, the one plain name with a key there (its place in `plain_names`,
    /// plus one), 0 when none has, [`SEVERAL_NAMES`] when more than one has. Most fields of a
    /// record are none of the names and this tells so without comparing keys; a field that may
    /// be one is compared with that one name only (where it was compared with each name in
    /// turn, the profile put a fifth of the pass's time on that loop's branch).
    name_at: [u8; 64],
}

/// In [`StreamJudge::name_at`]: several plain names share the slot, compare with each.
const SEVERAL_NAMES: u8 = u8::MAX;

/// The fields of one name that a pass over a record met.
#[derive(Clone, Copy)]
enum Met<'r, 'a> {
    None,
    One(&'r Field<'a>),
    Several,
}

/// Plain names [`StreamJudge::read`] follows in one pass; past that, each threshold looks its
/// field up alone.
const MAX_PASS_NAMES: usize = 16;

/// What a stream record holds for one threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// The number of the field the threshold names, as [`Record::number`] finds it.
    number: Option<f64>,
    /// The first number of a field of that name that fails the threshold, as
    /// [`StreamJudge::judge`] finds it.
    failing: Option<f64>,
}

impl StreamJudge {
    pub fn new(media: &BTreeMap<String, MediaThreshold>) -> StreamJudge {
        let thresholds: Vec<(Arc<str>, MediaThreshold)> = media
            .iter()
            .map(|(id, t)| (Arc::from(id.as_str()), t.clone()))
            .collect();
        let keys = thresholds.iter().map(|(_, t)| name_key(&t.field)).collect();
        let fields: Vec<OwnedFieldName> = thresholds
            .iter()
            .map(|(_, t)| OwnedFieldName::new(&t.field))
            .collect();
        let mut plain_names: Vec<(u32, Arc<str>)> = Vec::new();
        let name_of = thresholds
            .iter()
            .zip(&fields)
            .map(|((_, t), field)| {
                if field.field_name().bag().is_some() {
                    return None;
                }
                let key = name_key(&t.field);
                let at = plain_names
                    .iter()
                    .position(|(k, name)| *k == key && **name == *t.field)
                    .unwrap_or_else(|| {
                        plain_names.push((key, Arc::from(t.field.as_str())));
                        plain_names.len() - 1
                    });
                Some(at)
            })
            .collect();
        let mut name_at = [0u8; 64];
        for (at, (key, _)) in plain_names.iter().enumerate() {
            let slot = &mut name_at[(key % 64) as usize];
            *slot = match (*slot, u8::try_from(at + 1)) {
                (0, Ok(place)) if place != SEVERAL_NAMES => place,
                _ => SEVERAL_NAMES,
            };
        }
        StreamJudge {
            thresholds,
            keys,
            fields,
            plain_names,
            name_of,
            name_at,
        }
    }

    /// The fields of each plain name in `record`, met in one pass over its fields and noted in
    /// `met` (all `Met::None` to begin with; the caller's, so that 256 bytes are not copied out
    /// for every stream record): what [`Record::fields_named`] would find for each name, told
    /// as none, one or several. False when the record's names are not indexed (not yet, no
    /// longer, or too many for the index), so the fields' keys cannot stand for the lookups.
    fn meet<'r, 'a>(
        &self,
        record: &'r Record<'a>,
        met: &mut [Met<'r, 'a>; MAX_PASS_NAMES],
    ) -> bool {
        if !record.names_indexed() || self.plain_names.len() > MAX_PASS_NAMES {
            return false;
        }
        let mut meet = |at: usize, field| {
            met[at] = match met[at] {
                Met::None => Met::One(field),
                _ => Met::Several,
            };
        };
        for field in &record.fields {
            match self.name_at[(field.key % 64) as usize] {
                0 => {}
                SEVERAL_NAMES => {
                    for (at, (key, name)) in self.plain_names.iter().enumerate() {
                        if field.is_named(*key, name) {
                            meet(at, field);
                        }
                    }
                }
                place => {
                    let at = usize::from(place - 1);
                    let (key, name) = &self.plain_names[at];
                    if field.is_named(*key, name) {
                        meet(at, field);
                    }
                }
            }
        }
        true
    }

    /// Reads a stream record of `kind` for every threshold into `readings` (emptied first): a
    /// stream record is both counted and judged, and nearly always holds one field of each
    /// name, which settles both at once.
    pub fn read(&self, record: &Record<'_>, kind: StreamKind, readings: &mut Vec<Reading>) {
        readings.clear();
        let mut met = [Met::None; MAX_PASS_NAMES];
        let all_met = self.meet(record, &mut met);
        for at in 0..self.thresholds.len() {
            let plain = match (all_met, self.name_of[at]) {
                (true, Some(name)) => self.read_met(met[name], at, kind),
                _ => self.read_plain(record, at, kind),
            };
            // Several fields of the name, a bag prefix, a ` [UTC]` spelling: each the way it
            // is looked up alone.
            let reading = plain.unwrap_or_else(|| Reading {
                number: record.number(&self.fields[at]),
                failing: self.failing(record, at, &OnceCell::from(kind)),
            });
            readings.push(reading);
        }
    }

    /// Threshold `at`'s reading when its field is a plain name (no bag prefix) that the record
    /// holds at most once, outside HTTP headers and spelled exactly: one number for both.
    fn read_plain(&self, record: &Record<'_>, at: usize, kind: StreamKind) -> Option<Reading> {
        // A path with a bag prefix: the caller looks it up each way.
        self.name_of[at]?;
        let (_, t) = &self.thresholds[at];
        let mut named = record.fields_named(self.keys[at], &t.field);
        let met = match (named.next(), named.next()) {
            (None, _) => Met::None,
            (Some(only), None) => Met::One(only),
            _ => Met::Several,
        };
        self.read_met(met, at, kind)
    }

    /// Threshold `at`'s reading from what the record holds of its (plain) field, as
    /// [`StreamJudge::read_plain`] says.
    fn read_met(&self, met: Met<'_, '_>, at: usize, kind: StreamKind) -> Option<Reading> {
        let (_, t) = &self.thresholds[at];
        match met {
            Met::None => Some(Reading {
                number: None,
                failing: None,
            }),
            Met::One(only) if only.bag != Bag::Headers && only.name.len() == t.field.len() => {
                let number = only.value.as_f64();
                Some(Reading {
                    number,
                    failing: number.filter(|&v| t.streams.covers(kind) && t.is_poor(v)),
                })
            }
            _ => None,
        }
    }

    /// The thresholds that `readings` (of [`StreamJudge::read`]) fail, as [`StreamJudge::judge`]
    /// gives them.
    pub fn violations(&self, readings: &[Reading]) -> Vec<Violation> {
        let mut out: Vec<Violation> = self
            .thresholds
            .iter()
            .zip(readings)
            .filter_map(|((id, t), reading)| Some(violation(id, t, reading.failing?)))
            .collect();
        out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.threshold.cmp(&b.threshold)));
        out
    }

    /// The first number of a field named as threshold `at` names it (in any bag but HTTP
    /// headers, ignoring case) that fails it. The stream's `kind` is worked out only once a
    /// number is found.
    fn failing(&self, record: &Record<'_>, at: usize, kind: &OnceCell<StreamKind>) -> Option<f64> {
        let (_, t) = &self.thresholds[at];
        record
            .fields_named(self.keys[at], &t.field)
            // The name index also finds `<name> [UTC]`; a threshold names its field exactly.
            .filter(|f| f.bag != Bag::Headers && f.name.len() == t.field.len())
            .filter_map(|f| f.value.as_f64())
            .find(|&value| {
                let kind = *kind.get_or_init(|| stream_kind(record));
                t.streams.covers(kind) && t.is_poor(value)
            })
    }

    /// The thresholds a stream record fails, most telling first. A threshold counts the first
    /// field of its name (in any bag but HTTP headers, ignoring case) whose number fails it.
    pub fn judge(&self, record: &Record<'_>) -> Vec<Violation> {
        let kind = OnceCell::new();
        let mut out: Vec<Violation> = (0..self.thresholds.len())
            .filter_map(|at| {
                let value = self.failing(record, at, &kind)?;
                let (id, t) = &self.thresholds[at];
                Some(violation(id, t, value))
            })
            .collect();
        out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.threshold.cmp(&b.threshold)));
        out
    }
}

/// Threshold `id` failed with `value`.
fn violation(id: &Arc<str>, t: &MediaThreshold, value: f64) -> Violation {
    Violation {
        threshold: id.clone(),
        label: t.label.clone(),
        value,
        limit: t.value,
        unit: t.unit.clone(),
        poor_when: t.poor_when,
        rank: t.rank,
        action: t.action.clone(),
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

    /// The stream a stream record that fails `violations` belongs to, when it needs
    /// remembering: only poor streams, and every version of an updated stream, do.
    fn key_judged(&self, record: &Record<'_>, violations: &[Violation]) -> Option<Key> {
        let versioned = record.get(field!("callUpdatesVersion")).is_some();
        if !versioned && violations.is_empty() {
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

    /// [`EntityAnalysis::observe`] of a stream record that fails `violations`.
    fn observe_judged(
        &self,
        state: &mut StreamState,
        record: &Record<'_>,
        violations: Vec<Violation>,
    ) {
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
            violations,
            occurrences: Occurrences::default(),
        };
        seen.occurrences.add(evidence);
        self.merge(state, seen);
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
        self.key_judged(record, &self.judge.judge(record))
    }

    fn observe(&self, _ctx: &Context, state: &mut StreamState, record: &Record<'_>) {
        self.observe_judged(state, record, self.judge.judge(record));
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

    /// Reading a stream record once for every threshold gives the histograms what a lookup of
    /// each threshold's field gives, and the judge what judging the record alone gives: with
    /// one field of a name, several, a name in headers or with ` [UTC]`, values that are no
    /// number, and a threshold whose field names its bag.
    #[test]
    fn reading_once_gives_what_each_lookup_gives() {
        let mut media: MediaThresholds =
            toml::from_str(include_str!("../../../rules/thresholds/media.toml")).unwrap();
        let mut in_bag = media.0["jitter"].clone();
        in_bag.field = "properties.jitterAvg".to_owned();
        in_bag.value = 10.0;
        media.0.insert("jitter_in_bag".to_owned(), in_bag);
        let judge = StreamJudge::new(&media.0);
        assert!(judge.name_of.contains(&None) && judge.name_of.iter().any(Option::is_some));
        let kind = |media: &'static str| {
            Field::new(Bag::Properties, "mediaType", Value::Str(media.into()))
        };
        let int = |bag, name: &'static str, v| Field::new(bag, name, Value::Int(v));
        let text =
            |bag, name: &'static str, v: &'static str| Field::new(bag, name, Value::Str(v.into()));
        let mut records = vec![
            vec![
                kind("Audio"),
                text(Bag::Properties, "roundTripTimeAvg", "620"),
                text(Bag::Properties, "jitterAvg", "2"),
            ],
            vec![
                kind("Audio"),
                int(Bag::Top, "roundTripTimeAvg", 100),
                text(Bag::Properties, "RoundTripTimeAvg", "620"),
                int(Bag::Properties, "jitterAvg", 45),
            ],
            vec![
                kind("Audio"),
                int(Bag::Properties, "roundTripTimeAvg", 900),
                int(Bag::Top, "roundTripTimeAvg", 100),
            ],
            vec![kind("Audio"), int(Bag::Headers, "roundTripTimeAvg", 900)],
            vec![
                kind("Audio"),
                int(Bag::Top, "roundTripTimeAvg [UTC]", 900),
                int(Bag::Top, "jitterAvg [utc]", 90),
            ],
            vec![
                kind("Audio"),
                text(Bag::Top, "jitterAvg", "high"),
                Field::new(Bag::Top, "packetLossRateAvg", Value::Null),
                Field::new(Bag::Top, "roundTripTimeAvg", Value::Redacted),
            ],
            vec![
                kind("Video"),
                text(Bag::Properties, "videoFrameRateAvg", "3"),
                int(Bag::Properties, "jitterAvg", 30),
            ],
            vec![
                kind("ScreenSharing"),
                int(Bag::Properties, "videoFrameRateAvg", 1),
                text(Bag::Properties, "recvResolutionHeight", "-1"),
            ],
            vec![
                text(Bag::Properties, "packetLossRateAvg", "0.5"),
                int(Bag::Top, "jitterAvg", 12),
            ],
        ];
        // A judge with a threshold whose name differs from another's only in case, and one
        // with more plain names than one pass follows (each looked up alone).
        let mut cased = media.0.clone();
        let mut upper = media.0["jitter"].clone();
        upper.field = "JitterAvg".to_owned();
        upper.value = 40.0;
        cased.insert("jitter_cased".to_owned(), upper);
        let mut many = cased.clone();
        for i in 0..MAX_PASS_NAMES {
            let mut extra = media.0["jitter"].clone();
            extra.field = format!("extra{i}");
            many.insert(format!("extra{i}"), extra);
        }
        // A judge with a name whose key differs from `jitterAvg`'s but falls in the same one of
        // the 64 slots of `name_at`, so a field of either name is compared with both; and
        // records holding either or both.
        let jitter_slot = name_key("jitterAvg") % 64;
        let neighbour = (0..)
            .map(|i| format!("neighbour{i}"))
            .find(|n| name_key(n) % 64 == jitter_slot && name_key(n) != name_key("jitterAvg"))
            .expect("some name shares the slot");
        let mut shared = media.0.clone();
        let mut next_door = media.0["jitter"].clone();
        next_door.field = neighbour.clone();
        next_door.value = 5.0;
        shared.insert("jitter_next_door".to_owned(), next_door);
        let near =
            |v: &'static str| Field::new(Bag::Properties, neighbour.clone(), Value::Str(v.into()));
        records.push(vec![kind("Audio"), near("9")]);
        records.push(vec![
            kind("Audio"),
            text(Bag::Properties, "jitterAvg", "7"),
            near("3"),
        ]);
        records.push(vec![kind("Audio"), near("1"), near("8")]);
        let judges = [
            judge,
            StreamJudge::new(&cased),
            StreamJudge::new(&many),
            StreamJudge::new(&shared),
        ];
        assert!(judges[2].plain_names.len() > MAX_PASS_NAMES);
        assert_eq!(judges[3].name_at[jitter_slot as usize], SEVERAL_NAMES);
        for (fields, judge) in records
            .iter()
            .flat_map(|fields| judges.iter().map(move |judge| (fields.clone(), judge)))
        {
            // Indexed, the record is read in one pass over its fields; not indexed, by a lookup
            // for each threshold. Both must give what each lookup gives.
            let record = stream(fields);
            let mut unindexed = record.clone();
            unindexed.unindex();
            let (mut readings, mut looked_up) = (Vec::new(), Vec::new());
            judge.read(&record, stream_kind(&record), &mut readings);
            judge.read(&unindexed, stream_kind(&record), &mut looked_up);
            assert_eq!(readings, looked_up, "{record:?}");
            for (at, reading) in readings.iter().enumerate() {
                assert_eq!(
                    reading.number,
                    record.number(&judge.fields[at]),
                    "{:?} in {record:?}",
                    judge.thresholds[at].1.field
                );
            }
            assert_eq!(
                judge.violations(&readings),
                judge.judge(&record),
                "{record:?}"
            );
        }
    }

    /// The media pass reads a stream record once and hands its key in (`observe_keyed`); the
    /// trait's own path (`key`, then `observe`) must keep the same streams and find the same
    /// problems, so that the two cannot drift apart.
    #[test]
    fn the_trait_path_finds_what_the_media_pass_finds() {
        use acs_triage_core::catalog::Catalogs;
        use acs_triage_core::settings::Settings;
        let ctx = Context::new(Catalogs::bundled().unwrap(), Settings::bundled().unwrap());
        let text = |name: &'static str, v: &'static str| {
            Field::new(Bag::Properties, name, Value::Str(v.into()))
        };
        let call = || Field::new(Bag::Top, "correlationId", Value::Str("call-1".into()));
        let mut records: Vec<Record<'static>> = [
            // Poor audio for one participant, healthy audio for another.
            vec![
                call(),
                text("participantId", "p-1"),
                text("mediaType", "Audio"),
                text("streamId", "1000"),
                text("roundTripTimeAvg", "620"),
            ],
            vec![
                call(),
                text("participantId", "p-2"),
                text("mediaType", "Audio"),
                text("streamId", "1000"),
                text("roundTripTimeAvg", "80"),
            ],
            // An updated stream: healthy in its first version, poor in its second.
            vec![
                call(),
                text("participantId", "p-2"),
                text("mediaType", "Video"),
                text("streamId", "2000"),
                text("callUpdatesVersion", "1"),
                text("videoFrameRateAvg", "24"),
            ],
            vec![
                call(),
                text("participantId", "p-2"),
                text("mediaType", "Video"),
                text("streamId", "2000"),
                text("callUpdatesVersion", "2"),
                text("videoFrameRateAvg", "3"),
                text("jitterAvg", "45"),
            ],
        ]
        .into_iter()
        .map(stream)
        .collect();
        // Not a stream record: neither path keeps it.
        let mut summary = stream(vec![call(), text("roundTripTimeAvg", "900")]);
        summary.category = Some("CallSummary".into());
        records.push(summary);

        let mut pass = MediaPass::start(&ctx);
        let mut entities = EntityPass::<Streams>::start(&ctx);
        for record in &records {
            pass.observe(&ctx, record);
            Analysis::observe(&mut entities, &ctx, record);
        }
        let (mut by_pass, mut by_trait) = (Output::default(), Output::default());
        pass.streams.finish(&ctx, &mut by_pass);
        entities.finish(&ctx, &mut by_trait);
        let titles: Vec<&str> = by_pass.findings.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles.len(), 2, "{titles:?}");
        assert_eq!(by_pass.findings, by_trait.findings);
    }
}
