//! Findings: what went wrong, why, what to do, which IDs, and the evidence.

use std::borrow::Cow;
use std::cmp::{Ordering, Reverse};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::record::{FieldPath, Origin, Record};

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.trim().to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The kinds of ID support asks for (ACS-LOGS.md §3), in the order reports list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IdKind {
    CallId,
    ServerCallId,
    CallConnectionId,
    ParticipantId,
    EndpointId,
    UserId,
    ChatThreadId,
    ChatMessageId,
    SmsMessageId,
    MsCv,
    ClientRequestId,
    ResourceId,
    /// A phone number (masked in redacted output).
    PhoneNumber,
}

impl IdKind {
    pub fn name(self) -> &'static str {
        match self {
            IdKind::CallId => "callId",
            IdKind::ServerCallId => "serverCallId",
            IdKind::CallConnectionId => "callConnectionId",
            IdKind::ParticipantId => "participantId",
            IdKind::EndpointId => "endpointId",
            IdKind::UserId => "userId",
            IdKind::ChatThreadId => "chatThreadId",
            IdKind::ChatMessageId => "chatMessageId",
            IdKind::SmsMessageId => "smsMessageId",
            IdKind::MsCv => "msCv",
            IdKind::ClientRequestId => "clientRequestId",
            IdKind::ResourceId => "resourceId",
            IdKind::PhoneNumber => "phoneNumber",
        }
    }

    /// A label for human output.
    pub fn label(self) -> &'static str {
        match self {
            IdKind::CallId => "call",
            IdKind::ServerCallId => "server call",
            IdKind::CallConnectionId => "call connection",
            IdKind::ParticipantId => "participant",
            IdKind::EndpointId => "endpoint",
            IdKind::UserId => "user",
            IdKind::ChatThreadId => "chat thread",
            IdKind::ChatMessageId => "chat message",
            IdKind::SmsMessageId => "SMS message",
            IdKind::MsCv => "MS-CV",
            IdKind::ClientRequestId => "client request",
            IdKind::ResourceId => "resource",
            IdKind::PhoneNumber => "phone number",
        }
    }
}

/// One record that supports a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub origin: Origin,
    pub time: Option<DateTime<Utc>>,
    /// A short rendering of the record's relevant fields.
    pub excerpt: Box<str>,
}

impl Evidence {
    /// Evidence from a record, showing the named fields (resolved beforehand with
    /// [`fields!`](crate::fields), or as text).
    pub fn from_record(record: &Record<'_>, fields: &[impl FieldPath]) -> Evidence {
        Evidence {
            origin: record.origin,
            time: record.time,
            excerpt: record.excerpt(fields).into_boxed_str(),
        }
    }

    /// Order used everywhere evidence is chosen: earliest time first (records without a time
    /// last), then position in the input. Total, so choices never depend on thread timing.
    pub fn order_key(&self) -> (Reverse<Option<Reverse<DateTime<Utc>>>>, Origin) {
        (Reverse(self.time.map(Reverse)), self.origin)
    }
}

impl Ord for Evidence {
    fn cmp(&self, other: &Self) -> Ordering {
        self.order_key()
            .cmp(&other.order_key())
            .then_with(|| self.excerpt.cmp(&other.excerpt))
    }
}

impl PartialOrd for Evidence {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// How many evidence records a finding keeps.
pub const MAX_EVIDENCE: usize = 5;

/// Occurrences of one thing: a count, first and last time, and the earliest evidence.
/// Merging two is order-independent, which keeps parallel runs deterministic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Occurrences {
    pub count: u64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub evidence: Vec<Evidence>,
}

impl Occurrences {
    /// ` at <time>` or ` between <first> and <last>`, or nothing when no record had a time.
    pub fn when(&self) -> String {
        match (self.first, self.last) {
            (Some(a), Some(b)) if a == b => format!(" at {}", crate::time::format_timestamp(&a)),
            (Some(a), Some(b)) => format!(
                " between {} and {}",
                crate::time::format_timestamp(&a),
                crate::time::format_timestamp(&b)
            ),
            _ => String::new(),
        }
    }

    pub fn add(&mut self, evidence: Evidence) {
        self.count += 1;
        self.note_time(evidence.time);
        self.keep(evidence);
    }

    fn note_time(&mut self, t: Option<DateTime<Utc>>) {
        if let Some(t) = t {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
        }
    }

    /// Keeps the evidence if it is among the first [`MAX_EVIDENCE`]. Most findings have one
    /// piece of evidence and a large run keeps hundreds of thousands of them, so the list grows
    /// as [`crate::reserve_snug`] says (an excerpt is boxed, so it holds no spare room).
    fn keep(&mut self, evidence: Evidence) {
        if self.evidence.len() == MAX_EVIDENCE
            && self.evidence.last().is_some_and(|worst| *worst <= evidence)
        {
            return;
        }
        let at = self.evidence.partition_point(|e| *e <= evidence);
        crate::reserve_snug(&mut self.evidence);
        self.evidence.insert(at, evidence);
        self.evidence.truncate(MAX_EVIDENCE);
    }

    pub fn merge(&mut self, other: Occurrences) {
        self.count += other.count;
        self.note_time(other.first);
        self.note_time(other.last);
        for e in other.evidence {
            self.keep(e);
        }
    }
}

/// One ID's value. A UUID written as the services write it (lowercase, hyphenated) is held in
/// its 16 bytes, and a Communication Services identity (`8:acs:<resource>_<user>` or
/// `acs:<resource>_<user>`, two such UUIDs) in 32 beside the list; anything else as its text.
/// Either way it reads back exactly as the log wrote it. Most IDs findings name are of these
/// forms, and a large run keeps hundreds of thousands. Built only by [`IdValue::new`], so a
/// packable ID is always packed and equal texts are equal values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdValue(Packed);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Packed {
    Uuid([u64; 2]),
    /// An identity: the resource's and the user's UUIDs, and which prefix it was written with.
    Identity(Box<[[u64; 2]; 2]>, IdentityPrefix),
    Text(Box<str>),
}

/// How an identity was written: `8:acs:` (chat, the SDKs) or `acs:` (CallSummary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum IdentityPrefix {
    // In text order: '8' sorts before 'a'.
    Typed,
    Bare,
}

impl IdentityPrefix {
    fn text(self) -> &'static str {
        match self {
            IdentityPrefix::Typed => "8:acs:",
            IdentityPrefix::Bare => "acs:",
        }
    }
}

/// A UUID in lowercase hyphenated form (the only form that packs: the text must come back as
/// written), as two halves.
fn packed_uuid(text: &str) -> Option<[u64; 2]> {
    if text.len() != 36 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    uuid_halves(text)
}

/// A UUID in hyphenated form (`8-4-4-4-12` hex digits, either case; what
/// `uuid::Uuid::try_parse` accepts at 36 bytes), as its high and low 64 bits. Call IDs are read
/// this way for every calling record: eight digits are decoded at once in a register
/// ([`hex_digits`]). With the `uuid` parser, which writes its result a byte at a time, the
/// profile showed the read of the result as numbers waiting on those writes; a loop over the
/// digits took more time than the parser.
pub fn uuid_halves(text: &str) -> Option<[u64; 2]> {
    let b = text.as_bytes();
    if b.len() != 36 || b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    let eight = |at: usize| {
        b.get(at..at + 8)
            .and_then(|s| s.try_into().ok())
            .map(u64::from_le_bytes)
    };
    let four = |at: usize| {
        b.get(at..at + 4)
            .and_then(|s| s.try_into().ok())
            .map(u32::from_le_bytes)
    };
    // Two groups of four digits side by side read as eight.
    let joined = |first: usize, second: usize| {
        Some(u64::from(four(first)?) | (u64::from(four(second)?) << 32))
    };
    let high = (hex_digits(eight(0)?)? << 32) | hex_digits(joined(9, 14)?)?;
    let low = (hex_digits(joined(19, 24)?)? << 32) | hex_digits(eight(28)?)?;
    Some([high, low])
}

/// Eight ASCII hex digits of either case (the first in the lowest byte, as
/// `u64::from_le_bytes` reads them) as the 32-bit number they write; `None` if a byte is not a
/// hex digit. Every byte is worked on at once.
fn hex_digits(x: u64) -> Option<u64> {
    const fn each(byte: u8) -> u64 {
        u64::from_ne_bytes([byte; 8])
    }
    let high_bits = each(0x80);
    if x & high_bits != 0 {
        return None;
    }
    // Bytes below 0x80 here: adding `0x80 - lo` sets a byte's high bit exactly when the byte
    // is at least `lo`, adding `0x7F - hi` exactly when it is above `hi`, and no sum carries
    // into the next byte.
    let within = |v: u64, lo: u8, hi: u8| {
        v.wrapping_add(each(0x80 - lo)) & !v.wrapping_add(each(0x7F - hi)) & high_bits
    };
    let digit = within(x, b'0', b'9');
    // Setting bit 5 turns `A`-`F` into `a`-`f` and nothing else into them.
    let letter = within(x | each(0x20), b'a', b'f');
    if digit | letter != high_bits {
        return None;
    }
    // Each byte's value: its low four bits, plus 9 for a letter.
    let nibbles = (x & each(0x0F)) + (letter >> 7) * 9;
    // Pairs, then fours, then all eight, the first digit highest.
    let pairs = ((nibbles << 4) | (nibbles >> 8)) & 0x00FF_00FF_00FF_00FF;
    let fours = ((pairs << 8) | (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    Some(((fours << 16) | (fours >> 32)) & 0xFFFF_FFFF)
}

/// Writes a packed UUID into `buf` (36 bytes) in lowercase hyphenated form.
fn write_uuid(half: &[u64; 2], buf: &mut [u8]) {
    let v = (u128::from(half[0]) << 64) | u128::from(half[1]);
    uuid::Uuid::from_u128(v).hyphenated().encode_lower(buf);
}

impl IdValue {
    pub fn new(text: &str) -> IdValue {
        if let Some(uuid) = packed_uuid(text) {
            return IdValue(Packed::Uuid(uuid));
        }
        let identity = [IdentityPrefix::Typed, IdentityPrefix::Bare]
            .into_iter()
            .find_map(|prefix| {
                let rest = text.strip_prefix(prefix.text())?;
                let (resource, user) = rest.split_once('_')?;
                Some(Packed::Identity(
                    Box::new([packed_uuid(resource)?, packed_uuid(user)?]),
                    prefix,
                ))
            });
        IdValue(identity.unwrap_or_else(|| Packed::Text(text.into())))
    }

    /// The same ID in ASCII lower case (to tell IDs apart as the service does, ignoring case).
    /// A packed value is lower case already.
    pub fn folded(&self) -> IdValue {
        match &self.0 {
            Packed::Text(t) if t.bytes().any(|b| b.is_ascii_uppercase()) => {
                IdValue::new(&t.to_ascii_lowercase())
            }
            _ => self.clone(),
        }
    }

    /// The ID as the log wrote it.
    pub fn text(&self) -> Cow<'_, str> {
        match &self.0 {
            Packed::Text(t) => Cow::Borrowed(t),
            _ => Cow::Owned(self.with_text(str::to_owned)),
        }
    }

    /// Calls `f` with the text, without allocating for a packed value.
    fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        // "8:acs:" + UUID + "_" + UUID, the longest packed text.
        let mut buf = [0u8; 79];
        let len = match &self.0 {
            Packed::Text(t) => return f(t),
            Packed::Uuid(uuid) => {
                write_uuid(uuid, &mut buf[..36]);
                36
            }
            Packed::Identity(uuids, prefix) => {
                let prefix = prefix.text();
                let at = prefix.len();
                buf[..at].copy_from_slice(prefix.as_bytes());
                write_uuid(&uuids[0], &mut buf[at..at + 36]);
                buf[at + 36] = b'_';
                write_uuid(&uuids[1], &mut buf[at + 37..at + 73]);
                at + 73
            }
        };
        // Only ASCII was written.
        f(std::str::from_utf8(&buf[..len]).unwrap_or_default())
    }
}

/// Ordered by text, as the IDs were before they were packed.
impl Ord for IdValue {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            // Lowercase hexadecimal in fixed places sorts as the number does.
            (Packed::Uuid(a), Packed::Uuid(b)) => a.cmp(b),
            // The prefixes sort as their texts do, and the UUIDs after them have fixed widths.
            (Packed::Identity(a, pa), Packed::Identity(b, pb)) => (pa, a).cmp(&(pb, b)),
            _ => self.with_text(|a| other.with_text(|b| a.cmp(b))),
        }
    }
}

impl PartialOrd for IdValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for IdValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_text(|t| f.write_str(t))
    }
}

impl Serialize for IdValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_text(|t| serializer.serialize_str(t))
    }
}

/// The IDs a finding names, at most one per kind, in kind order (the order reports list them).
/// A short sorted list: a finding names two to four IDs, where a map node would take ten times
/// the room (a large run keeps hundreds of thousands of findings).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ids(Vec<(IdKind, IdValue)>);

impl Ids {
    /// Sets the ID of `kind`, replacing any it had.
    pub fn insert(&mut self, kind: IdKind, value: &str) {
        let value = IdValue::new(value);
        match self.0.binary_search_by(|(k, _)| k.cmp(&kind)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => {
                crate::reserve_snug(&mut self.0);
                self.0.insert(i, (kind, value));
            }
        }
    }

    /// The stored ID of `kind`.
    fn value(&self, kind: &IdKind) -> Option<&IdValue> {
        self.0
            .binary_search_by(|(k, _)| k.cmp(kind))
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// The ID of `kind`, as the log wrote it.
    pub fn get(&self, kind: &IdKind) -> Option<Cow<'_, str>> {
        self.value(kind).map(IdValue::text)
    }

    /// True when the ID of `kind` is `text`, ignoring ASCII case (without writing a packed ID
    /// out on the heap: patterns ask this of every finding of the kinds they explain).
    pub fn has_ignore_case(&self, kind: &IdKind, text: &str) -> bool {
        self.value(kind)
            .is_some_and(|id| id.with_text(|have| have.eq_ignore_ascii_case(text)))
    }

    /// The IDs in kind order.
    pub fn iter(&self) -> impl Iterator<Item = (IdKind, &IdValue)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    /// Rewrites every ID's text (redaction).
    pub fn edit_values(&mut self, edit: impl Fn(&mut String)) {
        for (_, value) in &mut self.0 {
            let before = value.text();
            let mut text = before.clone().into_owned();
            edit(&mut text);
            if text != before {
                *value = IdValue::new(&text);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Serialized as a map from kind to ID, in kind order.
impl Serialize for Ids {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// Text many findings carry alike (an action, a documentation link, a source: a literal or a
/// catalog row's): cloning it copies a pointer, so a hundred thousand findings of one code
/// share one copy of each.
#[derive(Debug, Clone)]
pub enum SharedText {
    Static(&'static str),
    Shared(Arc<str>),
}

/// Distinct texts [`SharedText::interned`] shares at most: titles and sources depend on a
/// finding's kind and code (`Call ended with 410/3112: media path blocked`, `Poor video
/// stream`), so there are few; a rule whose title names each record's values could make many,
/// which are then kept apart.
const INTERNED_TEXTS: usize = 4096;

impl SharedText {
    /// The one copy of a text every finding with that text points to (a large run has tens of
    /// thousands of findings under a handful of titles); a literal stays as it is.
    pub fn interned(text: impl Into<SharedText>) -> SharedText {
        static TEXTS: std::sync::LazyLock<std::sync::Mutex<crate::FastSet<Arc<str>>>> =
            std::sync::LazyLock::new(Default::default);
        let text = match text.into() {
            SharedText::Shared(text) => text,
            literal => return literal,
        };
        let mut texts = TEXTS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = texts.get(&*text) {
            return SharedText::Shared(known.clone());
        }
        if texts.len() < INTERNED_TEXTS {
            texts.insert(text.clone());
        }
        SharedText::Shared(text)
    }

    pub fn as_str(&self) -> &str {
        match self {
            SharedText::Static(s) => s,
            SharedText::Shared(s) => s,
        }
    }

    /// Applies `edit` to a copy of the text and keeps the copy only when it changed, so the
    /// text stays shared where nothing changes (redaction, escaping).
    pub fn edit(&mut self, edit: impl Fn(&mut String)) {
        let mut text = self.as_str().to_owned();
        edit(&mut text);
        if text != self.as_str() {
            *self = SharedText::from(text);
        }
    }
}

impl Default for SharedText {
    fn default() -> Self {
        SharedText::Static("")
    }
}

impl std::ops::Deref for SharedText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for SharedText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for SharedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq for SharedText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for SharedText {}

impl PartialEq<str> for SharedText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<String> for SharedText {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialOrd for SharedText {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SharedText {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for SharedText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialEq<&str> for SharedText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&'static str> for SharedText {
    fn from(s: &'static str) -> Self {
        SharedText::Static(s)
    }
}

impl From<String> for SharedText {
    fn from(s: String) -> Self {
        SharedText::Shared(s.into())
    }
}

impl From<&String> for SharedText {
    fn from(s: &String) -> Self {
        SharedText::Shared(s.as_str().into())
    }
}

impl From<Arc<str>> for SharedText {
    fn from(s: Arc<str>) -> Self {
        SharedText::Shared(s)
    }
}

impl From<&Arc<str>> for SharedText {
    fn from(s: &Arc<str>) -> Self {
        SharedText::Shared(s.clone())
    }
}

impl Serialize for SharedText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A finding as every output format shows it.
#[derive(Clone)]
pub struct Finding {
    /// Stable identifier: `<analyzer>/<check>` or a rule ID.
    pub id: SharedText,
    pub severity: Severity,
    /// Shared with every finding of the same title (see [`SharedText::interned`]).
    pub title: SharedText,
    /// What happened, with the concrete values: read it with [`Finding::message_text`]. Once
    /// the finding is handed to an [`crate::analyzer::Output`], the finding's own IDs in it
    /// are held once, in `ids` (see [`Finding::hold_ids_once`]). Boxed texts and lists (here,
    /// in `code` and `explains`) keep a finding within 256 bytes, the allocator's next size
    /// down from 320: a large run holds over 100,000 findings.
    said: Box<str>,
    /// True when `said` refers to `ids` rather than spelling them out.
    said_refers_to_ids: bool,
    /// The one next step.
    pub action: SharedText,
    /// The code the finding decodes (`410/3112`, `4007`), if any.
    pub code: Option<Box<str>>,
    /// Documentation link for the user.
    pub docs: Option<SharedText>,
    /// Where the knowledge behind the finding comes from (a document reference).
    pub source: Option<SharedText>,
    /// Read with [`Finding::ids`], set with [`Finding::id_value`]: the message may refer to
    /// them by their place in the list, so nothing else changes the list.
    ids: Ids,
    pub occurrences: Occurrences,
    /// The findings this one explains (a pattern and the cases it accounts for): reports put
    /// them under it as one problem instead of repeating them.
    pub explains: Box<[Explains]>,
}

/// Findings a pattern accounts for: those of `kind` (with `code`, when given) whose IDs include
/// every one of `ids`, last seen within `window` when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explains {
    pub kind: String,
    pub code: Option<String>,
    pub ids: Vec<(IdKind, String)>,
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Explains {
    /// True when `finding` is one of those this explains.
    pub fn covers(&self, finding: &Finding) -> bool {
        finding.id == self.kind
            && self
                .code
                .as_ref()
                .is_none_or(|c| finding.code.as_deref() == Some(c.as_str()))
            && self
                .ids
                .iter()
                .all(|(k, v)| finding.ids.has_ignore_case(k, v))
            && self.window.is_none_or(|(from, to)| {
                let first = finding.occurrences.first;
                let last = finding.occurrences.last;
                first.is_some_and(|f| f >= from) && last.is_some_and(|l| l <= to)
            })
    }
}

impl Finding {
    /// A finding with one piece of evidence.
    pub fn new(
        id: impl Into<SharedText>,
        severity: Severity,
        title: impl Into<SharedText>,
    ) -> Finding {
        Finding {
            id: id.into(),
            severity,
            title: SharedText::interned(title),
            said: Box::default(),
            said_refers_to_ids: false,
            action: SharedText::default(),
            code: None,
            docs: None,
            source: None,
            ids: Ids::default(),
            occurrences: Occurrences::default(),
            explains: Box::default(),
        }
    }

    /// Declares findings this one explains (see [`Explains`]).
    pub fn explains(mut self, explains: Explains) -> Self {
        let mut list = std::mem::take(&mut self.explains).into_vec();
        list.push(explains);
        self.explains = list.into_boxed_slice();
        self
    }

    /// A title of its own (the kind's title says what kind of finding it is; this one can
    /// say which code or which stream).
    pub fn title(mut self, title: impl Into<SharedText>) -> Self {
        self.title = SharedText::interned(title);
        self
    }

    /// A severity of its own (codes are rated per code).
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// What happened. Kept without spare room: a message is usually built with `format!`,
    /// which leaves up to half its buffer unused, and a large run keeps one per finding.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.said = message.into().into_boxed_str();
        self.said_refers_to_ids = false;
        self
    }

    /// What happened, as the reports show it.
    pub fn message_text(&self) -> Cow<'_, str> {
        if !self.said_refers_to_ids {
            return Cow::Borrowed(&self.said);
        }
        // Room for the IDs as they usually are (a packed one is at most 79 bytes).
        let mut text = String::with_capacity(self.said.len() + 80 * self.ids.0.len());
        let mut rest = &*self.said;
        while let Some(at) = rest.find(ID_REF) {
            text.push_str(&rest[..at]);
            let id = match rest.as_bytes().get(at + 1) {
                Some(b'\0') => {
                    text.push(ID_REF);
                    rest = &rest[at + 2..];
                    continue;
                }
                Some(which) => which
                    .checked_sub(b'A')
                    .and_then(|i| self.ids.0.get(usize::from(i))),
                None => None,
            };
            match id {
                // Both bytes of a reference are ASCII: the rest starts on a character boundary.
                Some((_, id)) => {
                    id.with_text(|t| text.push_str(t));
                    rest = &rest[at + 2..];
                }
                // Never made by `hold_ids_once`; kept as it stands rather than lost.
                None => {
                    text.push(ID_REF);
                    rest = &rest[at + 1..];
                }
            }
        }
        text.push_str(rest);
        Cow::Owned(text)
    }

    /// The message as the reports show it, taken out of the finding (moved rather than
    /// copied when it spells everything out).
    pub fn take_message(&mut self) -> Box<str> {
        self.spell_out();
        std::mem::take(&mut self.said)
    }

    /// Writes the IDs the message refers to back into it (before the list they are numbered
    /// in changes or goes).
    fn spell_out(&mut self) {
        if self.said_refers_to_ids {
            self.said = self.message_text().into();
            self.said_refers_to_ids = false;
        }
    }

    /// Holds the finding's own IDs once: where the message spells out one of them (a call ID
    /// and a participant ID are 72 of a typical 300 characters), it refers to it in `ids`
    /// instead, in two bytes: `\0` and a letter that numbers the ID (`\0\0` stands for a NUL
    /// of the text itself). [`Finding::message_text`] writes the IDs back as they are written
    /// in `ids`, which is how the message spelled them.
    pub fn hold_ids_once(&mut self) {
        if self.said_refers_to_ids || self.ids.0.is_empty() {
            return;
        }
        // Each place an ID is spelled, leftmost first (the longer ID where two start at once).
        let mut spelled: Vec<(usize, usize, u8)> = Vec::new();
        for (i, (_, id)) in self.ids.0.iter().enumerate().take(MAX_ID_REFS) {
            id.with_text(|t| {
                if t.len() > 2 && !t.contains(ID_REF) {
                    spelled.extend(
                        places_spelled(&self.said, t).map(|at| (at, at + t.len(), b'A' + i as u8)),
                    );
                }
            });
        }
        if spelled.is_empty() {
            return;
        }
        spelled.sort_by_key(|&(start, end, _)| (start, std::cmp::Reverse(end)));
        let mut held = String::with_capacity(self.said.len());
        let mut done = 0;
        let literal = |held: &mut String, text: &str| {
            for (i, part) in text.split(ID_REF).enumerate() {
                if i > 0 {
                    held.push_str("\0\0");
                }
                held.push_str(part);
            }
        };
        for (start, end, which) in spelled {
            if start < done {
                continue;
            }
            literal(&mut held, &self.said[done..start]);
            held.push(ID_REF);
            held.push(char::from(which));
            done = end;
        }
        literal(&mut held, &self.said[done..]);
        self.said = held.into_boxed_str();
        self.said_refers_to_ids = true;
    }

    pub fn action(mut self, action: impl Into<SharedText>) -> Self {
        self.action = action.into();
        self
    }

    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into().into_boxed_str());
        self
    }

    pub fn docs(mut self, docs: impl Into<SharedText>) -> Self {
        self.docs = Some(docs.into());
        self
    }

    pub fn source(mut self, source: impl Into<SharedText>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Adds an ID when there is one (empty values are ignored).
    pub fn id_value(mut self, kind: IdKind, value: Option<impl AsRef<str>>) -> Self {
        if let Some(v) = value {
            let v = v.as_ref().trim();
            if !v.is_empty() {
                // The message's references number the IDs as they stand.
                self.spell_out();
                self.ids.insert(kind, v);
            }
        }
        self
    }

    /// The IDs the finding names.
    pub fn ids(&self) -> &Ids {
        &self.ids
    }

    /// The IDs, taken out of the finding: the message spells them out first.
    pub fn take_ids(&mut self) -> Ids {
        self.spell_out();
        std::mem::take(&mut self.ids)
    }

    pub fn occurrences(mut self, occurrences: Occurrences) -> Self {
        self.occurrences = occurrences;
        self
    }

    pub fn evidence(mut self, evidence: Evidence) -> Self {
        self.occurrences.add(evidence);
        self
    }

    /// The order findings are reported in: most severe first, then by ID, entity and evidence
    /// (and, should all of those be equal, by message).
    pub fn report_order(&self, other: &Finding) -> Ordering {
        fn key(f: &Finding) -> impl Ord + '_ {
            (
                Reverse(f.severity),
                f.id.as_str(),
                &f.ids,
                f.occurrences.evidence.first().map(Evidence::order_key),
            )
        }
        // Messages are written out only for a tie.
        key(self)
            .cmp(&key(other))
            .then_with(|| self.message_text().cmp(&other.message_text()))
    }
}

/// Where `needle` starts in `text` (nowhere for an empty needle). Messages are short and IDs
/// few: each place the first byte occurs is compared, which costs less than building a
/// substring searcher for every ID of every finding.
fn places_spelled<'t>(text: &'t str, needle: &'t str) -> impl Iterator<Item = usize> + 't {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    let first = needle.first().copied();
    memchr::memchr_iter(first.unwrap_or(0), text)
        .filter(move |&at| first.is_some() && text[at..].starts_with(needle))
}

/// Starts a reference to one of a finding's own IDs in its held message
/// ([`Finding::hold_ids_once`]).
const ID_REF: char = '\0';

/// IDs a message can refer to: one letter each from `A` (a finding names at most one ID of
/// each of the thirteen kinds).
const MAX_ID_REFS: usize = 26;

/// Shows the message as the reports do, not as it is held.
impl fmt::Debug for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Finding")
            .field("id", &self.id)
            .field("severity", &self.severity)
            .field("title", &self.title)
            .field("message", &self.message_text())
            .field("action", &self.action)
            .field("code", &self.code)
            .field("docs", &self.docs)
            .field("source", &self.source)
            .field("ids", &self.ids)
            .field("occurrences", &self.occurrences)
            .field("explains", &self.explains)
            .finish()
    }
}

/// Equal when they say the same: a message that refers to its IDs equals the one that spells
/// them out.
impl PartialEq for Finding {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.severity == other.severity
            && self.title == other.title
            && self.message_text() == other.message_text()
            && self.action == other.action
            && self.code == other.code
            && self.docs == other.docs
            && self.source == other.source
            && self.ids == other.ids
            && self.occurrences == other.occurrences
            && self.explains == other.explains
    }
}

/// Sorts findings into report order, on every thread of the current pool (a large run ends
/// with a hundred thousand findings, and the order is total, so how they are split does not
/// show).
pub fn sort_findings(findings: &mut [Box<Finding>]) {
    use rayon::slice::ParallelSliceMut;
    findings.par_sort_by(|a, b| a.report_order(b));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::FileId;
    use proptest::prelude::*;

    /// What the `uuid` crate makes of the same text, for comparison.
    fn by_uuid_crate(text: &str) -> Option<[u64; 2]> {
        if text.len() != 36 {
            return None;
        }
        let v = uuid::Uuid::try_parse(text).ok()?.as_u128();
        Some([(v >> 64) as u64, v as u64])
    }

    #[test]
    fn uuid_halves_reads_hyphenated_uuids_in_either_case() {
        let id = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
        assert_eq!(
            uuid_halves(id),
            Some([0x0a1b_2c3d_4e5f_6789, 0xabcd_ef01_2345_6789])
        );
        assert_eq!(uuid_halves(&id.to_uppercase()), uuid_halves(id));
        for bad in [
            "0a1b2c3d-4e5f-6789-abcd-ef012345678",   // short
            "0a1b2c3d-4e5f-6789-abcd-ef01234567890", // long
            "0a1b2c3d04e5f-6789-abcd-ef0123456789",  // no hyphen
            "0a1b2c3d-4e5f-6789-abcd-ef012345678g",  // not hex
            "0a1b2c3d-4e5f-6789-abcd-ef012345678\u{e9}",
            "0a1b2c3d-4e5f-6789-abcd-ef01234567\u{e9}", // 36 bytes, the last two not ASCII
            "0a1b2c3d-4e5f-6789-abcd-ef012345678:",     // just past the digits
            "0a1b2c3d-4e5f-6789-abcd-ef012345678/",     // just before them
            "0a1b2c3d-4e5f-6789-abcd-ef012345678@",     // just before the capitals
            "0a1b2c3d-4e5f-6789-abcd-ef012345678`",     // just before the small letters
            "{a1b2c3d-4e5f-6789-abcd-ef012345678}",
        ] {
            assert_eq!(uuid_halves(bad), None, "{bad}");
            assert_eq!(uuid_halves(bad), by_uuid_crate(bad), "{bad}");
        }
        // Not packed unless the text comes back as written.
        assert!(packed_uuid(id).is_some());
        assert_eq!(packed_uuid(&id.to_uppercase()), None);
    }

    proptest! {
        /// The same as the `uuid` crate on UUID-like text with any byte changed.
        #[test]
        fn uuid_halves_agrees_with_the_uuid_crate(
            v in any::<u128>(),
            upper in any::<bool>(),
            at in 0usize..36,
            byte in prop_oneof![
                Just(b'-'), Just(b'g'), Just(b'G'), Just(b'F'), Just(b'0'), any::<u8>()
            ],
        ) {
            let mut text = uuid::Uuid::from_u128(v).hyphenated().to_string();
            if upper {
                text.make_ascii_uppercase();
            }
            prop_assert_eq!(uuid_halves(&text), Some([(v >> 64) as u64, v as u64]));
            let mut bytes = text.into_bytes();
            bytes[at] = byte;
            if let Ok(changed) = String::from_utf8(bytes) {
                prop_assert_eq!(uuid_halves(&changed), by_uuid_crate(&changed));
            }
        }

        /// Eight bytes of any value, hex digits more often, decoded at once as one at a time.
        #[test]
        fn hex_digits_agrees_with_digits_one_at_a_time(
            bytes in proptest::array::uniform8(prop_oneof![
                3 => proptest::sample::select(b"0123456789abcdefABCDEF".to_vec()),
                1 => any::<u8>(),
            ]),
        ) {
            let one_at_a_time = bytes.iter().try_fold(0u64, |acc, &b| {
                Some((acc << 4) | u64::from(char::from(b).to_digit(16)?))
            });
            prop_assert_eq!(hex_digits(u64::from_le_bytes(bytes)), one_at_a_time);
        }
    }

    #[test]
    fn hex_digits_turns_away_every_byte_that_is_not_a_digit() {
        for byte in 0..=u8::MAX {
            for at in 0..8 {
                let mut bytes = *b"0123abcD";
                bytes[at] = byte;
                let expected = char::from(byte).is_ascii_hexdigit();
                assert_eq!(
                    hex_digits(u64::from_le_bytes(bytes)).is_some(),
                    expected,
                    "byte {byte:#04x} at {at}"
                );
            }
        }
    }

    fn ev(line: u64, secs: Option<i64>) -> Evidence {
        Evidence {
            origin: Origin {
                file: FileId(0),
                line,
                index: None,
            },
            time: secs.map(|s| DateTime::from_timestamp(s, 0).unwrap()),
            excerpt: Box::default(),
        }
    }

    #[test]
    fn occurrences_merge_in_any_order_to_the_same_result() {
        let items: Vec<Evidence> = (0..12).map(|i| ev(i, Some(100 - i as i64))).collect();
        let mut a = Occurrences::default();
        let mut b = Occurrences::default();
        for (i, e) in items.iter().enumerate() {
            if i % 2 == 0 {
                a.add(e.clone())
            } else {
                b.add(e.clone())
            }
        }
        let mut ab = a.clone();
        ab.merge(b.clone());
        let mut ba = b;
        ba.merge(a);
        assert_eq!(ab, ba);
        assert_eq!(ab.count, 12);
        assert_eq!(ab.evidence.len(), MAX_EVIDENCE);
        assert_eq!(ab.evidence[0].origin.line, 11, "earliest time first");
    }

    #[test]
    fn evidence_without_time_sorts_last() {
        let mut o = Occurrences::default();
        o.add(ev(1, None));
        o.add(ev(2, Some(5)));
        assert_eq!(o.evidence[0].origin.line, 2);
    }

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Error > Severity::Warning);
        assert_eq!(Severity::parse("WARN"), Some(Severity::Warning));
        assert_eq!(Severity::parse("fatal"), None);
    }

    /// IDs read back exactly as written; only lowercase hyphenated UUIDs are packed, and
    /// packed or not they sort as their text does.
    #[test]
    fn ids_read_back_as_written_and_sort_as_text() {
        let texts = [
            "0731a35e-7a71-4861-8b81-5defca0d14b5",
            "0731A35E-7A71-4861-8B81-5DEFCA0D14B5",
            "ffffffff-ffff-ffff-ffff-ffffffffffff",
            "00000000-0000-0000-0000-000000000000",
            "0731a35e-7a71-4861-8b81-5defca0d14b",
            "0731a35e7a7148618b815defca0d14b5abcd",
            "{0731a35e-7a71-4861-8b81-5defca0d14}",
            "8:acs:6f2a1c3e-0000-4000-8000-00000000ab01_5a87fd0d",
            "8:acs:6f2a1c3e-0000-4000-8000-00000000ab01_5a87fd0d-a78c-4e77-8670-aae1580afe95",
            "acs:6f2a1c3e-0000-4000-8000-00000000ab01_5a87fd0d-a78c-4e77-8670-aae1580afe95",
            "acs:6f2a1c3e-0000-4000-8000-00000000ab01_00000000-0000-0000-0000-000000000000",
            "acs:6f2a1c3e-0000-4000-8000-00000000ab01_5A87FD0D-A78C-4E77-8670-AAE1580AFE95",
            "8:acs:6f2a1c3e-0000-4000-8000-00000000ab01_5a87fd0d-a78c-4e77-8670-aae1580afe95 ",
            "8:spool:6f2a1c3e-0000-4000-8000-00000000ab01_5a87fd0d-a78c-4e77-8670-aae1580afe95",
            "1",
            "",
            "z",
        ];
        for t in texts {
            let v = IdValue::new(t);
            assert_eq!(v.text(), t);
            assert_eq!(v.to_string(), t);
            let packed = match v.0 {
                Packed::Uuid(_) => "uuid",
                Packed::Identity(..) => "identity",
                Packed::Text(_) => "text",
            };
            let expected = match t {
                _ if t == texts[0] || t == texts[2] || t == texts[3] => "uuid",
                _ if t == texts[8] || t == texts[9] || t == texts[10] => "identity",
                _ => "text",
            };
            assert_eq!(packed, expected, "{t}");
        }
        for a in texts {
            for b in texts {
                assert_eq!(
                    IdValue::new(a).cmp(&IdValue::new(b)),
                    a.cmp(b),
                    "{a} vs {b}"
                );
                // Compared ignoring case as their texts are, packed or not.
                let mut ids = Ids::default();
                ids.insert(IdKind::ParticipantId, a);
                assert_eq!(
                    ids.has_ignore_case(&IdKind::ParticipantId, b),
                    a.eq_ignore_ascii_case(b),
                    "{a} vs {b}"
                );
                assert!(!ids.has_ignore_case(&IdKind::CallId, b));
            }
            // Folded, an ID is the one its lower-case text makes (packed when it can be).
            let lower = a.to_ascii_lowercase();
            assert_eq!(IdValue::new(a).folded(), IdValue::new(&lower), "{a}");
            assert_eq!(IdValue::new(a).folded().text(), lower);
        }
        let mut ids = Ids::default();
        ids.insert(IdKind::UserId, "8:acs:x");
        ids.insert(IdKind::CallId, texts[0]);
        assert_eq!(ids.get(&IdKind::CallId).as_deref(), Some(texts[0]));
        ids.edit_values(|t| *t = t.to_uppercase());
        assert_eq!(ids.get(&IdKind::CallId).as_deref(), Some(texts[1]));
        assert_eq!(ids.get(&IdKind::UserId).as_deref(), Some("8:ACS:X"));
        assert_eq!(
            serde_json::to_string(&ids).unwrap(),
            format!("{{\"callId\":\"{}\",\"userId\":\"8:ACS:X\"}}", texts[1])
        );
    }

    /// A message that spells out the finding's IDs holds each once, in `ids`, and reads back
    /// exactly as written: twice-named IDs, one ID inside another, NULs of the text itself,
    /// IDs that are not packed and IDs too short to be worth a reference.
    #[test]
    fn a_message_holds_its_ids_once() {
        let call = "0011d3e7-839a-4527-82b6-b8c4c25e5a2b";
        let user =
            "8:acs:6f2a1c3e-0000-4000-8000-00000000ab01_83f2b912-3f6f-4b9a-82da-83fa7607c364";
        let user_uuid = "83f2b912-3f6f-4b9a-82da-83fa7607c364";
        let cases = [
            format!("Participant {user_uuid} ({user}) left call {call}; {call} again."),
            format!("\0{call}\0\0 ends with a NUL\0"),
            format!("{call}{user}{call}"),
            "no IDs here, only ab and a NUL \0".to_owned(),
            format!("A thread ID as text: Thread-19:meeting_Ab1 in call {call}."),
            format!("Ünïcode around {call} and ünïcode after."),
        ];
        for message in cases {
            let mut f = Finding::new("t/a", Severity::Error, "t")
                .message(message.clone())
                .id_value(IdKind::CallId, Some(call))
                .id_value(IdKind::ParticipantId, Some(user_uuid))
                .id_value(IdKind::UserId, Some(user))
                .id_value(IdKind::ChatThreadId, Some("Thread-19:meeting_Ab1"))
                .id_value(IdKind::MsCv, Some("ab"));
            let plain = f.clone();
            f.hold_ids_once();
            assert_eq!(f.message_text(), message);
            assert_eq!(f, plain);
            if message.contains(call) {
                assert!(f.said.len() < message.len(), "{:?}", f.said);
                assert!(!f.said.contains(call), "{:?}", f.said);
            }
            // Holding twice changes nothing; an ID added later spells the message out first.
            f.hold_ids_once();
            assert_eq!(f.message_text(), message);
            let mut f = f.id_value(IdKind::EndpointId, Some("e-1234567890"));
            assert_eq!(f.message_text(), message);
            assert_eq!(f.take_message().as_ref(), message);
        }
    }

    /// Taking the IDs out spells the message out first; a held message that is not what
    /// `hold_ids_once` makes (a NUL at the end, an unknown letter) reads back as it stands.
    #[test]
    fn ids_taken_out_leave_the_message_whole() {
        let call = "0011d3e7-839a-4527-82b6-b8c4c25e5a2b";
        let message = format!("left call {call}");
        let mut f = Finding::new("t/a", Severity::Error, "t")
            .message(message.clone())
            .id_value(IdKind::CallId, Some(call));
        f.hold_ids_once();
        assert!(f.said_refers_to_ids);
        let ids = f.take_ids();
        assert_eq!(ids.get(&IdKind::CallId).as_deref(), Some(call));
        assert_eq!(f.message_text(), message);
        assert!(format!("{f:?}").contains(&message));

        for (held, shown) in [
            ("end\0", "end\0"),
            ("a\0zb", "a\0zb"),
            ("\0\u{e9}x", "\0\u{e9}x"),
        ] {
            let mut f = Finding::new("t/a", Severity::Error, "t");
            f.said = held.into();
            f.said_refers_to_ids = true;
            assert_eq!(f.message_text(), shown);
        }
    }

    /// A finding without IDs keeps its message as it is, and `take_message` moves it out.
    #[test]
    fn a_message_without_ids_is_kept_as_written() {
        let mut f = Finding::new("t/a", Severity::Error, "t").message("nothing to refer to");
        f.hold_ids_once();
        assert!(!f.said_refers_to_ids);
        assert_eq!(&*f.take_message(), "nothing to refer to");
        assert_eq!(f.message_text(), "");
    }

    /// Findings alike in everything but their message are ordered by the message as written,
    /// whether or not it refers to the IDs.
    #[test]
    fn report_order_reads_messages_as_written() {
        let call = "0011d3e7-839a-4527-82b6-b8c4c25e5a2b";
        let finding = |message: String| {
            let mut f = Finding::new("t/a", Severity::Error, "t")
                .message(message)
                .id_value(IdKind::CallId, Some(call));
            f.hold_ids_once();
            f
        };
        // Written out, the ID ('0') sorts after a blank; its reference (`\0`) would sort before.
        let with_id = finding(format!("x {call}"));
        let with_blank = finding("x  later".to_owned());
        assert_eq!(with_blank.report_order(&with_id), Ordering::Less);
        assert_eq!(with_id.report_order(&with_blank), Ordering::Greater);
    }

    /// A large run holds over 100,000 findings and their evidence: each stays within the
    /// allocator size it was fitted to (mimalloc rounds 257 to 320 bytes up, and 73 to 80).
    #[test]
    fn findings_and_evidence_stay_small() {
        assert!(std::mem::size_of::<Finding>() <= 256);
        assert!(std::mem::size_of::<Evidence>() <= 64);
    }

    /// Findings built with equal titles point to one copy of the text.
    #[test]
    fn findings_of_one_title_share_it() {
        let title = || format!("Shared title test {}", 410);
        let a = Finding::new("t/a", Severity::Error, title());
        let b = Finding::new("t/a", Severity::Error, "kind title").title(title());
        match (&a.title, &b.title) {
            (SharedText::Shared(x), SharedText::Shared(y)) => assert!(Arc::ptr_eq(x, y)),
            other => panic!("not shared: {other:?}"),
        }
        assert_eq!(b.title.as_str(), "Shared title test 410");
        let c = Finding::new("t/a", Severity::Error, "a literal");
        assert!(matches!(c.title, SharedText::Static("a literal")));
    }
}
