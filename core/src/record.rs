//! The normalized record: one type for every log shape.
//!
//! Whatever the input looked like — a storage-export line with a camelCase `properties` bag, a
//! flat PascalCase Log Analytics row, an Event Grid event with its `data` object, a web SDK
//! console line — it becomes a [`Record`]: where it came from, when, which family and category,
//! and a flat list of [`Field`]s. Field names match case-insensitively and the `properties` /
//! `data` bags are transparent, so `participantEndReason`, `ParticipantEndReason` and
//! `properties.participantEndReason` all name the same field.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::value::Value;

/// Index of an input file in the run's sorted file list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileId(pub u32);

/// Where a record came from inside its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub file: FileId,
    /// 1-based line where the record starts; 0 when the shape has no meaningful line.
    pub line: u64,
    /// 0-based position inside a JSON array or `records` / `value` wrapper.
    pub index: Option<u64>,
}

/// Which part of the original document a field came from. Bags are transparent to lookups
/// without a prefix; a lookup with a prefix (`data.messageId`) only matches inside that bag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bag {
    Top,
    Properties,
    Data,
    Headers,
}

impl Bag {
    const fn prefix(self) -> Option<&'static str> {
        match self {
            Bag::Top => None,
            Bag::Properties => Some("properties"),
            Bag::Data => Some("data"),
            Bag::Headers => Some("headers"),
        }
    }
}

/// One named value of a record. Nested objects are flattened into dotted names
/// (`resultInformation.code`); arrays of objects into indexed names (`deliveryAttempts[0].timestamp`).
#[derive(Debug, Clone, PartialEq)]
pub struct Field<'a> {
    pub bag: Bag,
    /// [`name_key`] of `name`, set by [`Record::index_names`]; 0 until then.
    pub key: u32,
    pub name: Cow<'a, str>,
    pub value: Value<'a>,
}

impl<'a> Field<'a> {
    pub fn new(bag: Bag, name: impl Into<Cow<'a, str>>, value: Value<'a>) -> Self {
        Field {
            bag,
            key: 0,
            name: name.into(),
            value,
        }
    }

    /// Appends to `fields` a field of `bag` called `name` whose value is the text `text` as it
    /// is (a [`Value::Str`]; the caller has settled that nothing needs normalizing, see
    /// [`Value::is_settled_text`]). Same as pushing the field, but each member is written
    /// straight into the list: `Vec::push` built the field on the stack in 8-byte pieces and
    /// then copied it in 16-byte ones, which the processor cannot forward from pending stores;
    /// that copy took about a quarter of the samples of the plain reader's main loop
    /// (`Plain::object`), on most fields of every record.
    #[inline(always)]
    pub fn push_text(fields: &mut Vec<Field<'a>>, bag: Bag, name: &'a str, text: &'a str) {
        // Names every member (no `..`): a member added to `Field` fails to compile here until
        // it is written below too.
        let _every_member_is_written = |field: Field<'a>| {
            let Field {
                bag: _,
                key: _,
                name: _,
                value: _,
            } = field;
        };
        fields.reserve(1);
        let slot = fields.spare_capacity_mut()[0].as_mut_ptr();
        // SAFETY: `slot` points to the first unused element of the list's allocation (there is
        // one: reserved just above), valid for writes and properly aligned. Every member is
        // written before the length grows over it, so the list never holds an element that is
        // not wholly initialized; nothing runs in between that could panic.
        unsafe {
            std::ptr::addr_of_mut!((*slot).bag).write(bag);
            std::ptr::addr_of_mut!((*slot).key).write(0);
            std::ptr::addr_of_mut!((*slot).name).write(Cow::Borrowed(name));
            std::ptr::addr_of_mut!((*slot).value).write(Value::Str(Cow::Borrowed(text)));
            fields.set_len(fields.len() + 1);
        }
    }

    /// True when the field is called `name` (ignoring ASCII case and a ` [UTC]` suffix) and its
    /// key, set by [`Record::index_names`], is `key` (`name`'s [`name_key`]): what
    /// [`Record::fields_named`] finds.
    #[inline]
    pub fn is_named(&self, key: u32, name: &str) -> bool {
        self.key == key && name_matches(&self.name, name)
    }

    /// True when the field holds memory of its own (an owned name or value): dropping it
    /// frees something, where a field that only borrows from the record's text needs nothing.
    pub fn owns_memory(&self) -> bool {
        matches!(self.name, Cow::Owned(_)) || self.value.owns_memory()
    }

    /// The name as written in the source, with its bag prefix (`properties.participantId`).
    pub fn full_name(&self) -> Cow<'_, str> {
        match self.bag.prefix() {
            None => Cow::Borrowed(&self.name),
            Some(p) => Cow::Owned(format!("{p}.{}", self.name)),
        }
    }
}

/// The service a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Calling,
    CallAutomation,
    Recording,
    Chat,
    Sms,
    Auth,
    Email,
    Rooms,
    JobRouter,
    AdvancedMessaging,
    Usage,
    /// Recognized shape, but nothing says which service (e.g. a bare HTTP log line).
    Unknown,
}

impl Family {
    pub const ALL: [Family; 12] = [
        Family::Calling,
        Family::CallAutomation,
        Family::Recording,
        Family::Chat,
        Family::Sms,
        Family::Auth,
        Family::Email,
        Family::Rooms,
        Family::JobRouter,
        Family::AdvancedMessaging,
        Family::Usage,
        Family::Unknown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::Calling => "calling",
            Family::CallAutomation => "call-automation",
            Family::Recording => "recording",
            Family::Chat => "chat",
            Family::Sms => "sms",
            Family::Auth => "auth",
            Family::Email => "email",
            Family::Rooms => "rooms",
            Family::JobRouter => "job-router",
            Family::AdvancedMessaging => "advanced-messaging",
            Family::Usage => "usage",
            Family::Unknown => "unknown",
        }
    }

    pub fn from_name(name: &str) -> Option<Family> {
        Family::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The shape a record arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Azure Monitor records, one JSON object per line (storage-account `PT1H.json` blobs).
    StorageExport,
    /// Azure Monitor records wrapped as `{"records": [...]}` (Event Hubs).
    EventHubs,
    /// Azure Monitor records in a plain JSON array.
    JsonArray,
    /// Azure Monitor records as whole JSON objects (one pretty-printed record, or several one
    /// after another).
    JsonObjects,
    /// Flat Log Analytics rows exported as JSON.
    LogAnalyticsJson,
    /// Log Analytics query API response (`tables` / `columns` / `rows`).
    LogAnalyticsApi,
    /// Log Analytics portal CSV export.
    LogAnalyticsCsv,
    /// Event Grid schema events.
    EventGrid,
    /// CloudEvents schema events.
    CloudEvents,
    /// Call Automation callback events (CloudEvents from `calling/callConnections/...`).
    CallAutomationCallbacks,
    /// SMS send response (`{"value": [{to, messageId, httpStatusCode, ...}]}`).
    SmsSendResponse,
    /// JSON that matched no known ACS shape; fields are still available to rules.
    Json,
    /// Web SDK console output (`azure:<package>:<level> ...`).
    WebSdkLog,
    /// .NET Azure.Core console output (`[Informational] Azure-Core: ...`).
    DotnetLog,
    /// Encrypted native SDK logs (`.blog`, `.etl`): recognized, never parsed.
    NativeSdkLog,
    /// An HTTP request and its response from a capture: a browser's HAR file or an Azure SDK's
    /// test recording.
    HttpCapture,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::StorageExport => "storage-export",
            Format::EventHubs => "event-hubs",
            Format::JsonArray => "json-array",
            Format::JsonObjects => "json-objects",
            Format::LogAnalyticsJson => "log-analytics-json",
            Format::LogAnalyticsApi => "log-analytics-api",
            Format::LogAnalyticsCsv => "log-analytics-csv",
            Format::EventGrid => "event-grid",
            Format::CloudEvents => "cloud-events",
            Format::CallAutomationCallbacks => "call-automation-callbacks",
            Format::SmsSendResponse => "sms-send-response",
            Format::Json => "json",
            Format::WebSdkLog => "web-sdk-log",
            Format::DotnetLog => "dotnet-log",
            Format::NativeSdkLog => "native-sdk-log",
            Format::HttpCapture => "http-capture",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A normalized log record. Borrows from the buffer it was parsed from: analyzers copy what they
/// keep.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub origin: Origin,
    pub format: Format,
    pub family: Family,
    /// Diagnostic category (`CallSummary`), event type, or SDK log source.
    pub category: Option<Cow<'a, str>>,
    pub time: Option<DateTime<Utc>>,
    pub fields: Vec<Field<'a>>,
    /// The fields by name, built by [`Record::index_names`]; until then (and for records with
    /// very many fields) lookups compare every name.
    pub names: NameIndex,
    /// A row an `acs-triage kql` query returned (it has the [`crate::kql::TAG_COLUMN`] column);
    /// set by classification.
    pub query_row: bool,
}

/// Compares a stored field name with a queried one, ignoring ASCII case and the ` [UTC]` suffix
/// the portal adds to time columns (`TimeGenerated [UTC]`).
fn name_matches(stored: &str, query: &str) -> bool {
    // Most lookups name a field as the record spells it: the plain comparison settles those.
    if same_bytes(stored.as_bytes(), query.as_bytes()) || stored.eq_ignore_ascii_case(query) {
        return true;
    }
    const UTC: &[u8] = b" [utc]";
    let (stored, query) = (stored.as_bytes(), query.as_bytes());
    stored.len() == query.len() + UTC.len()
        && stored[query.len()..].eq_ignore_ascii_case(UTC)
        && stored[..query.len()].eq_ignore_ascii_case(query)
}

/// Byte equality for short texts such as field names, eight bytes at a time: the library's
/// comparison calls out to `memcmp` for every pair, which costs more than comparing a name.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    if len < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    // Whole words, the last one ending at the end (it may overlap the one before).
    let mut at = 0;
    while at + 8 < len {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, len - 8) == word(b, len - 8)
}

/// The lookup key of a field name: a hash of its bytes with ASCII case folded and without the
/// ` [UTC]` suffix, never 0. Lookups compare keys and check the name only where keys agree.
///
/// Folding sets bit 5 of every byte (`A` and `a` both become `a`; a few punctuation pairs such
/// as `[` and `{` meet too, which costs one name comparison, never a wrong answer). Eight bytes
/// are hashed at a time: this runs for every field of every record and every lookup.
#[inline]
pub fn name_key(name: &str) -> u32 {
    let bytes = without_utc(name).as_bytes();
    let mut hash: u64 = 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        hash = key_step(hash, word | FOLD);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let unused = 8 * (8 - tail.len());
        let word = match bytes.len().checked_sub(8) {
            // The last eight bytes, shifted so that only the tail's remain (no copy).
            Some(start) => {
                u64::from_le_bytes(bytes[start..].try_into().expect("8 bytes")) >> unused
            }
            None => tail.iter().rev().fold(0, |w, &b| (w << 8) | u64::from(b)),
        };
        hash = key_step(hash, word | (FOLD >> unused));
    }
    key_of(hash, bytes.len())
}

/// [`name_key`] at compile time, for fixed names (classification's slots).
pub const fn const_name_key(name: &str) -> u32 {
    let bytes = name.as_bytes();
    let mut len = bytes.len();
    if len >= 6 && bytes[len - 1] == b']' {
        let tail = *b" [utc]";
        let mut same = true;
        let mut i = 0;
        while i < 6 {
            same &= bytes[len - 6 + i].to_ascii_lowercase() == tail[i];
            i += 1;
        }
        if same {
            len -= 6;
        }
    }
    let mut hash: u64 = 0;
    let mut at = 0;
    while at < len {
        let mut word: u64 = 0;
        let mut j = 0;
        while j < 8 && at + j < len {
            word |= ((bytes[at + j] | 0x20) as u64) << (8 * j);
            j += 1;
        }
        hash = key_step(hash, word);
        at += 8;
    }
    key_of(hash, len)
}

/// Bit 5 of every byte of a word.
const FOLD: u64 = 0x2020_2020_2020_2020;

/// One step of FxHash over a word.
const fn key_step(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95)
}

const fn key_of(hash: u64, len: usize) -> u32 {
    let mixed = hash ^ (len as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((mixed >> 32) as u32) | 1
}

/// The fields of one name: [`Record::fields_named`].
pub struct FieldsNamed<'r, 'a, 'n> {
    record: &'r Record<'a>,
    key: u32,
    name: &'n str,
    /// The next slot of the probe sequence (indexed), or field position (not indexed).
    next: usize,
}

impl<'r, 'a> Iterator for FieldsNamed<'r, 'a, '_> {
    type Item = &'r Field<'a>;

    fn next(&mut self) -> Option<&'r Field<'a>> {
        let (fields, index) = (&self.record.fields, &self.record.names);
        if index.built {
            // An empty slot ends the probe sequence (and stays empty: the iterator is fused).
            while let Some(at) = index.slots[self.next].checked_sub(1) {
                self.next = (self.next + 1) % INDEX_SLOTS;
                let field = &fields[usize::from(at)];
                if field.is_named(self.key, self.name) {
                    return Some(field);
                }
            }
            return None;
        }
        while let Some(field) = fields.get(self.next) {
            self.next += 1;
            if name_matches(&field.name, self.name) {
                return Some(field);
            }
        }
        None
    }
}

thread_local! {
    static LAST_NAMES: std::cell::RefCell<LastNames> = const {
        std::cell::RefCell::new(LastNames {
            names: Vec::new(),
            ends: Vec::new(),
            keys: Vec::new(),
            index: NameIndex::EMPTY,
        })
    };
}

/// The field names of the last record a thread indexed, with their keys and [`NameIndex`]:
/// comparing a record's names with these costs less than hashing them.
struct LastNames {
    /// The names, one after another.
    names: Vec<u8>,
    /// Where each name ends in `names`.
    ends: Vec<usize>,
    keys: Vec<u32>,
    index: NameIndex,
}

impl LastNames {
    /// Names longer than this in all are not remembered (a record with thousands of fields).
    const MAX_BYTES: usize = 4096;

    /// Gives `record` the keys and index of the last record when its names are the same, in
    /// the same order, byte for byte; false (and `record` untouched) when they are not.
    fn copy_to(&self, record: &mut Record<'_>) -> bool {
        if record.fields.len() != self.ends.len() || self.ends.is_empty() {
            return false;
        }
        let mut start = 0;
        for (field, &end) in record.fields.iter().zip(&self.ends) {
            if !same_bytes(field.name.as_bytes(), &self.names[start..end]) {
                return false;
            }
            start = end;
        }
        for (field, &key) in record.fields.iter_mut().zip(&self.keys) {
            field.key = key;
        }
        record.names = self.index.clone();
        true
    }

    /// Remembers the names, keys and index of `record`, just indexed.
    fn remember(&mut self, record: &Record<'_>) {
        self.names.clear();
        self.ends.clear();
        self.keys.clear();
        let bytes: usize = record.fields.iter().map(|f| f.name.len()).sum();
        if bytes > Self::MAX_BYTES {
            return;
        }
        for field in &record.fields {
            self.names.extend_from_slice(field.name.as_bytes());
            self.ends.push(self.names.len());
            self.keys.push(field.key);
        }
        self.index = record.names.clone();
    }
}

/// Slots of a [`NameIndex`].
const INDEX_SLOTS: usize = 64;
/// Records with more fields are looked up by comparing every name (the table would fill up).
const MAX_INDEXED: usize = 48;

/// Which field has which name: an open-addressing table from [`name_key`]s to positions in
/// [`Record::fields`], built by [`Record::index_names`]. A lookup costs a hash of the name and
/// a probe or two, where comparing names cost one step per field (records have 20 to 30;
/// 64 slots keep probes short up to 48 fields).
#[derive(Debug, Clone)]
pub struct NameIndex {
    /// 0 for an empty slot, else 1 + a field's position. Fields of one key lie along its probe
    /// sequence in field order, so the first match is the first such field of the record.
    slots: [u8; INDEX_SLOTS],
    built: bool,
}

impl NameIndex {
    /// No names indexed (lookups compare every name).
    const EMPTY: NameIndex = NameIndex {
        slots: [0; INDEX_SLOTS],
        built: false,
    };
}

impl Default for NameIndex {
    fn default() -> Self {
        NameIndex::EMPTY
    }
}

/// A name without the ` [UTC]` suffix the portal adds to time columns.
pub(crate) fn without_utc(name: &str) -> &str {
    if name.as_bytes().last() != Some(&b']') {
        return name;
    }
    name.len()
        .checked_sub(6)
        .filter(|&cut| name.is_char_boundary(cut) && name[cut..].eq_ignore_ascii_case(" [utc]"))
        .map_or(name, |cut| &name[..cut])
}

/// A lookup path's bag (`properties.`, `data.`, `headers.`) and the name inside it.
const fn split_bag(path: &str) -> (Option<Bag>, &str) {
    let bags = [Bag::Properties, Bag::Data, Bag::Headers];
    let mut i = 0;
    while i < bags.len() {
        let prefix = match bags[i].prefix() {
            Some(p) => p.as_bytes(),
            None => b"",
        };
        let bytes = path.as_bytes();
        if bytes.len() > prefix.len() && bytes[prefix.len()] == b'.' {
            let mut j = 0;
            while j < prefix.len() && bytes[j].to_ascii_lowercase() == prefix[j] {
                j += 1;
            }
            if j == prefix.len() {
                // The dot is ASCII, so the split falls on a character boundary.
                return (Some(bags[i]), path.split_at(prefix.len() + 1).1);
            }
        }
        i += 1;
    }
    (None, path)
}

/// A field path resolved once: the bag its `properties.` / `data.` / `headers.` prefix names,
/// the name inside it and the name's [`name_key`]. Lookups take any [`FieldPath`]; one by a
/// `FieldName` skips splitting and hashing the path, which a lookup by text does every time
/// (analyzers look up a few dozen fields of every record). [`field!`](crate::field) makes one
/// at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldName<'n> {
    /// The path as written (what an excerpt shows).
    path: &'n str,
    bag: Option<Bag>,
    name: &'n str,
    key: u32,
}

impl<'n> FieldName<'n> {
    /// Resolves a path (usable in constants).
    pub const fn new(path: &'n str) -> FieldName<'n> {
        let (bag, name) = split_bag(path);
        FieldName {
            path,
            bag,
            name,
            key: const_name_key(name),
        }
    }

    /// The bag the path's prefix names (`properties.` ...), if it has one.
    pub fn bag(&self) -> Option<Bag> {
        self.bag
    }

    /// Resolves a path at run time (the same result as [`FieldName::new`], hashed faster).
    pub fn of(path: &'n str) -> FieldName<'n> {
        let (bag, name) = split_bag(path);
        FieldName {
            path,
            bag,
            name,
            key: name_key(name),
        }
    }
}

/// A path resolved once that owns its text: for paths read from configuration, looked up in
/// every record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedFieldName {
    path: Box<str>,
    bag: Option<Bag>,
    /// Where the name starts in `path` (after the bag prefix).
    name_at: usize,
    key: u32,
}

impl OwnedFieldName {
    pub fn new(path: &str) -> OwnedFieldName {
        let FieldName { bag, name, key, .. } = FieldName::of(path);
        OwnedFieldName {
            path: path.into(),
            bag,
            name_at: path.len() - name.len(),
            key,
        }
    }
}

impl FieldPath for OwnedFieldName {
    fn field_name(&self) -> FieldName<'_> {
        FieldName {
            path: &self.path,
            bag: self.bag,
            name: &self.path[self.name_at..],
            key: self.key,
        }
    }
}

/// What a lookup accepts: a path as text (`"properties.participantId"`), or a [`FieldName`]
/// resolved beforehand.
pub trait FieldPath {
    fn field_name(&self) -> FieldName<'_>;
}

impl FieldPath for str {
    fn field_name(&self) -> FieldName<'_> {
        FieldName::of(self)
    }
}

impl FieldPath for String {
    fn field_name(&self) -> FieldName<'_> {
        FieldName::of(self)
    }
}

impl FieldPath for FieldName<'_> {
    fn field_name(&self) -> FieldName<'_> {
        *self
    }
}

impl<T: FieldPath + ?Sized> FieldPath for &T {
    fn field_name(&self) -> FieldName<'_> {
        (**self).field_name()
    }
}

/// A [`FieldName`] resolved at compile time: `record.text(field!("participantId"))`.
#[macro_export]
macro_rules! field {
    ($path:literal) => {{
        const NAME: $crate::record::FieldName<'static> = $crate::record::FieldName::new($path);
        NAME
    }};
}

/// Several paths resolved at compile time, as [`field!`] resolves one: the fields an evidence
/// excerpt shows (`fields!["operationName", "headers.ms-cv"]`).
#[macro_export]
macro_rules! fields {
    ($($path:literal),* $(,)?) => {{
        const NAMES: &[$crate::record::FieldName<'static>] =
            &[$($crate::record::FieldName::new($path)),*];
        NAMES
    }};
}

impl<'a> Record<'a> {
    /// Computes each field's [`Field::key`] and the [`NameIndex`]; call again after changing
    /// the fields.
    ///
    /// Records of one file nearly always name their fields alike, in the same order: when this
    /// record's names are the last indexed record's on this thread ([`LastNames`]), its keys
    /// and index are copied instead of hashed again.
    pub fn index_names(&mut self) {
        let remembered = LAST_NAMES.try_with(|last| {
            let mut last = last.try_borrow_mut().ok()?;
            if !last.copy_to(self) {
                self.hash_names();
                last.remember(self);
            }
            Some(())
        });
        // The memo is out of reach (the thread is ending): hash.
        if !matches!(remembered, Ok(Some(()))) {
            self.hash_names();
        }
    }

    /// [`Record::index_names`] from scratch: every name hashed, every key placed.
    fn hash_names(&mut self) {
        let index = &mut self.names;
        index.slots = [0; INDEX_SLOTS];
        index.built = self.fields.len() <= MAX_INDEXED;
        for (at, field) in self.fields.iter_mut().enumerate() {
            field.key = name_key(&field.name);
            if index.built {
                let mut slot = field.key as usize % INDEX_SLOTS;
                while index.slots[slot] != 0 {
                    slot = (slot + 1) % INDEX_SLOTS;
                }
                index.slots[slot] = at as u8 + 1;
            }
        }
    }

    /// True when [`Record::index_names`] has indexed every field: each field's `key` is then
    /// set, and, until the fields change, a field is among [`Record::fields_named`] exactly
    /// when [`Field::is_named`] says so, so one pass over the fields can stand for many
    /// lookups.
    pub fn names_indexed(&self) -> bool {
        self.names.built
    }

    /// Forgets the [`NameIndex`]: lookups compare every name (as before classification).
    pub fn unindex(&mut self) {
        self.names = NameIndex::default();
    }

    pub fn new(origin: Origin, format: Format, fields: Vec<Field<'a>>) -> Self {
        Record {
            origin,
            format,
            family: Family::Unknown,
            category: None,
            time: None,
            fields,
            names: NameIndex::default(),
            query_row: false,
        }
    }

    /// Looks a field up by name, case-insensitively. `properties.` / `data.` / `headers.`
    /// prefixes restrict the lookup to that bag; without a prefix top-level fields win over bag
    /// fields of the same name. `null` and blank values count as absent.
    pub fn get(&self, path: impl FieldPath) -> Option<&Value<'a>> {
        self.get_raw(path).filter(|v| !v.is_null())
    }

    /// Like [`Record::get`] but also returns `null` values (to tell "present but null" apart).
    pub fn get_raw(&self, path: impl FieldPath) -> Option<&Value<'a>> {
        let FieldName { bag, name, key, .. } = path.field_name();
        let mut found: Option<&Value<'a>> = None;
        for field in self.fields_named(key, name) {
            if bag.is_some_and(|b| b != field.bag) {
                continue;
            }
            if field.bag == Bag::Top || bag.is_some() {
                return Some(&field.value);
            }
            found.get_or_insert(&field.value);
        }
        found
    }

    /// The fields called `name` (in any bag, ignoring ASCII case and a ` [UTC]` suffix), in
    /// field order; `key` is `name`'s [`name_key`]. Found through the [`NameIndex`] when it is
    /// built, else by comparing every name.
    pub fn fields_named<'n>(&self, key: u32, name: &'n str) -> FieldsNamed<'_, 'a, 'n> {
        FieldsNamed {
            record: self,
            key,
            name,
            next: if self.names.built {
                key as usize % INDEX_SLOTS
            } else {
                0
            },
        }
    }

    /// First present value among several candidate names.
    pub fn get_any<P: FieldPath>(&self, names: &[P]) -> Option<&Value<'a>> {
        names.iter().find_map(|n| self.get(n))
    }

    /// Text of a field (numbers and booleans rendered as text).
    pub fn text(&self, path: impl FieldPath) -> Option<Cow<'_, str>> {
        self.get(path).map(Value::to_text)
    }

    /// First present text among several candidate names.
    pub fn text_any<P: FieldPath>(&self, names: &[P]) -> Option<Cow<'_, str>> {
        self.get_any(names).map(Value::to_text)
    }

    /// Number of a field (strings holding numbers included).
    pub fn number(&self, path: impl FieldPath) -> Option<f64> {
        self.get(path).and_then(Value::as_f64)
    }

    /// Integer of a field (strings holding integers included).
    pub fn int(&self, path: impl FieldPath) -> Option<i64> {
        self.get(path).and_then(Value::as_i64)
    }

    /// True when the field is present and not null, or an object or array was flattened under
    /// it (`prefix.<...>`, `prefix[<...>`).
    pub fn has(&self, path: impl FieldPath) -> bool {
        let FieldName { bag, name, .. } = path.field_name();
        if self.get(&path).is_some() {
            return true;
        }
        // `x` is present when some field is `x.<...>` or `x[<...>`, with or without its bag prefix.
        let nested_under = |stored: &str| {
            stored.len() > name.len()
                && stored.as_bytes()[..name.len()].eq_ignore_ascii_case(name.as_bytes())
                && matches!(stored.as_bytes()[name.len()], b'.' | b'[')
        };
        self.fields
            .iter()
            .any(|f| bag.is_none_or(|b| b == f.bag) && nested_under(&f.name))
    }

    /// The category, or `""`.
    pub fn category_name(&self) -> &str {
        self.category.as_deref().unwrap_or("")
    }

    /// True when the category is `name`, ignoring case.
    pub fn is_category(&self, name: &str) -> bool {
        self.category_name().eq_ignore_ascii_case(name)
    }

    /// Detaches the record from its input buffer.
    pub fn into_owned(self) -> Record<'static> {
        Record {
            origin: self.origin,
            format: self.format,
            family: self.family,
            category: self.category.map(|c| Cow::Owned(c.into_owned())),
            time: self.time,
            fields: self
                .fields
                .into_iter()
                .map(|f| Field {
                    bag: f.bag,
                    key: f.key,
                    name: Cow::Owned(f.name.into_owned()),
                    value: f.value.into_owned(),
                })
                .collect(),
            names: self.names,
            query_row: self.query_row,
        }
    }

    /// A short `name=value` rendering of the given fields (those present), for evidence.
    /// Message bodies are never shown ([`Record::is_body`]).
    pub fn excerpt(&self, names: &[impl FieldPath]) -> String {
        let mut out = String::new();
        if let Some(cat) = &self.category {
            out.push_str(cat);
        }
        for name in names {
            let name = name.field_name();
            if let Some(v) = self.get_raw(name) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(name.path);
                out.push('=');
                if self.is_body(name.path) {
                    out.push_str(BODY_NOT_SHOWN);
                } else {
                    push_truncated(&mut out, &v.to_text(), 120);
                }
            }
        }
        out
    }

    /// True when the field holds what people wrote: a chat message or SMS text (Event Grid
    /// `messageBody` / `message`), or an HTTP body in an SDK log (`content`). Triage never needs
    /// them, and they are personal data, so no output shows them.
    pub fn is_body(&self, name: &str) -> bool {
        let name = name.rsplit('.').next().unwrap_or(name);
        name.eq_ignore_ascii_case("messageBody")
            || (name.eq_ignore_ascii_case("content")
                && matches!(self.format, Format::DotnetLog | Format::WebSdkLog))
            || (name.eq_ignore_ascii_case("message")
                && matches!(self.format, Format::EventGrid | Format::CloudEvents)
                && matches!(self.family, Family::Sms | Family::Chat))
            // HTTP captures: the SMS text or chat message a request or response carries.
            || (self.format == Format::HttpCapture
                && ["message", "content", "body", "text"]
                    .iter()
                    .any(|b| name.eq_ignore_ascii_case(b)))
    }
}

/// A GUID written in braces (`{c0ffee01-...}`, as .NET and Windows print them) without its
/// braces; anything else as it is.
fn unbrace(id: Cow<'_, str>) -> Cow<'_, str> {
    let inner = id
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
        .filter(|inner| inner.len() == 36 && inner.bytes().filter(|&b| b == b'-').count() == 4)
        .map(str::to_owned);
    inner.map_or(id, Cow::Owned)
}

/// The fields of a JSON object written as text inside a field (`OperationPayload`,
/// `DiagnosticOptions`, a stringified `properties`), named as a record's fields are: nested
/// objects flattened into dotted names. `None` when the text is no JSON object.
pub fn embedded_object(text: &str) -> Option<Vec<Field<'_>>> {
    let text = text.trim();
    if !text.starts_with('{') {
        return None;
    }
    crate::ingest::flatten::parse_object(text.as_bytes()).ok()
}

/// What stands in for a message body.
pub const BODY_NOT_SHOWN: &str = "[message body not shown]";

/// Appends at most `max` characters of `text`, never cutting inside a secret or a phone number
/// (so what redaction removes later is whole, or not there at all).
fn push_truncated(out: &mut String, text: &str, max: usize) {
    let (kept, cut) = crate::redact::safe_prefix(text, max);
    out.push_str(kept);
    if cut {
        out.push('…');
    }
}

/// Canonical IDs (ACS-LOGS.md §3). Each accessor knows every name the ID goes by, in every shape.
impl Record<'_> {
    /// Call ID: `correlationId` of calling records, `CallId` of client tables, `callId` in SDK
    /// logs, `correlationId` of Event Grid call events.
    pub fn call_id(&self) -> Option<Cow<'_, str>> {
        if let Some(id) = self.text_any(&[crate::field!("callId"), crate::field!("call.id")]) {
            return Some(unbrace(id));
        }
        match self.family {
            Family::Calling | Family::CallAutomation | Family::Recording => self
                .text(crate::field!("correlationId"))
                .map(unbrace)
                .filter(|id| !id.starts_with('{')),
            _ => None,
        }
    }

    /// Participant ID (absent in P2P calls: callers fall back to [`Record::endpoint_id`]).
    pub fn participant_id(&self) -> Option<Cow<'_, str>> {
        self.text(crate::field!("participantId"))
    }

    pub fn endpoint_id(&self) -> Option<Cow<'_, str>> {
        self.text(crate::field!("endpointId"))
    }

    /// Server call ID of Call Automation, recording and Event Grid call events.
    pub fn server_call_id(&self) -> Option<Cow<'_, str>> {
        self.text(crate::field!("serverCallId"))
            .filter(|id| !id.starts_with('{'))
    }

    /// Call Automation call connection ID: the stable key of one leg.
    pub fn call_connection_id(&self) -> Option<Cow<'_, str>> {
        self.text(crate::field!("callConnectionId"))
    }

    /// MS-CV: the response header in SDK HTTP logs; the `correlationId` of chat, SMS and auth
    /// logs has the same form.
    pub fn ms_cv(&self) -> Option<Cow<'_, str>> {
        if let Some(v) = self.text_any(&[
            crate::field!("headers.ms-cv"),
            crate::field!("ms-cv"),
            crate::field!("msCv"),
        ]) {
            return Some(v);
        }
        match self.family {
            Family::Chat | Family::Sms | Family::Auth => self.text(crate::field!("correlationId")),
            _ => None,
        }
    }

    /// SMS message ID (`Outgoing_...` / `Incoming_...`).
    pub fn sms_message_id(&self) -> Option<Cow<'_, str>> {
        if self.family != Family::Sms {
            return None;
        }
        self.text(crate::field!("messageId"))
    }

    pub fn chat_thread_id(&self) -> Option<Cow<'_, str>> {
        self.text_any(&[crate::field!("chatThreadId"), crate::field!("threadId")])
    }

    pub fn chat_message_id(&self) -> Option<Cow<'_, str>> {
        if let Some(id) = self.text(crate::field!("chatMessageId")) {
            return Some(id);
        }
        if self.family == Family::Chat {
            return self.text(crate::field!("messageId"));
        }
        None
    }

    /// The user: `UserId`, `identifier`, chat sender, or Event Grid participant raw ID.
    pub fn user_id(&self) -> Option<Cow<'_, str>> {
        self.text_any(&[
            crate::field!("userId"),
            crate::field!("identifier"),
            crate::field!("senderId"),
            crate::field!("user.communicationIdentifier.rawId"),
        ])
    }

    pub fn client_request_id(&self) -> Option<Cow<'_, str>> {
        self.text_any(&[
            crate::field!("clientRequestId"),
            crate::field!("headers.x-ms-client-request-id"),
            crate::field!("x-ms-client-request-id"),
        ])
    }

    pub fn resource_id(&self) -> Option<Cow<'_, str>> {
        self.text_any(&[
            crate::field!("resourceId"),
            crate::field!("_ResourceId"),
            crate::field!("topic"),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            file: FileId(0),
            line: 1,
            index: None,
        }
    }

    fn rec(fields: Vec<Field<'static>>) -> Record<'static> {
        Record::new(origin(), Format::Json, fields)
    }

    /// Word-at-a-time equality agrees with the library's for every length up to three words,
    /// with the texts differing at each place (a word boundary, the overlapping last word).
    #[test]
    fn same_bytes_is_byte_equality() {
        for len in 0..=24usize {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "{len}");
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{len} at {at}");
            }
            let longer = [&a[..], b"x"].concat();
            assert!(
                !same_bytes(&a, &longer) && !same_bytes(&longer, &a),
                "{len}"
            );
        }
    }

    /// Names for the property test: some alike but for case or one byte, some with ` [UTC]`.
    const NAMES: &[&str] = &[
        "time",
        "Time",
        "timf",
        "callId",
        "participantId",
        "participantIe",
        "TimeGenerated [UTC]",
        "roundTripTimeAvg",
        "a",
        "",
    ];

    proptest::proptest! {
        /// A record's keys and index are the ones hashing its names gives, whether they were
        /// hashed or copied from the record indexed before it on the thread (records alike
        /// but for one name, its case or one byte of it, the order, or the count).
        #[test]
        fn remembered_names_index_as_hashing_does(
            records in proptest::collection::vec(
                proptest::collection::vec(0..NAMES.len(), 0..6), 1..12
            ),
            repeat in proptest::collection::vec(proptest::bool::ANY, 12),
        ) {
            let mut previous: Option<Vec<usize>> = None;
            for (names, again) in records.into_iter().zip(repeat) {
                // Often the same names as the record before, as in a real file.
                let names = match (&previous, again) {
                    (Some(p), true) => p.clone(),
                    _ => names,
                };
                let fields = || -> Vec<Field<'static>> {
                    names
                        .iter()
                        .map(|&n| Field::new(Bag::Top, NAMES[n], Value::Int(1)))
                        .collect()
                };
                let mut indexed = rec(fields());
                indexed.index_names();
                let mut hashed = rec(fields());
                hashed.hash_names();
                proptest::prop_assert_eq!(&indexed.fields, &hashed.fields);
                proptest::prop_assert_eq!(indexed.names.slots, hashed.names.slots);
                proptest::prop_assert_eq!(indexed.names.built, hashed.names.built);
                previous = Some(names);
            }
        }
    }

    /// Records too large for the index (more than 48 fields) or for the memo (names of more
    /// than 4 KB in all) are indexed as hashing indexes them, the second time too.
    #[test]
    fn large_records_index_as_hashing_does() {
        let many: Vec<String> = (0..60).map(|i| format!("field{i}")).collect();
        let long: Vec<String> = (0..8).map(|i| format!("{i}{}", "n".repeat(600))).collect();
        for names in [&many, &long] {
            for _ in 0..2 {
                let fields = || -> Vec<Field<'static>> {
                    names
                        .iter()
                        .map(|n| Field::new(Bag::Top, n.clone(), Value::Int(1)))
                        .collect()
                };
                let mut indexed = rec(fields());
                indexed.index_names();
                let mut hashed = rec(fields());
                hashed.hash_names();
                assert_eq!(indexed.fields, hashed.fields);
                assert_eq!(indexed.names.slots, hashed.names.slots);
                assert_eq!(indexed.names.built, hashed.names.built);
                assert_eq!(indexed.names_indexed(), names.len() <= MAX_INDEXED);
                assert_eq!(indexed.get("field59").is_some(), names.len() == 60);
            }
        }
    }

    #[test]
    fn the_name_index_never_hides_a_field() {
        let mut r = rec(vec![
            Field::new(
                Bag::Top,
                "TimeGenerated [UTC]",
                Value::Str("2026-11-20".into()),
            ),
            Field::new(Bag::Properties, "ParticipantId", Value::Str("p".into())),
            Field::new(
                Bag::Top,
                "deliveryAttempts[0].segmentsFailed",
                Value::Int(1),
            ),
        ]);
        r.index_names();
        assert!(r.get("timegenerated").is_some());
        assert!(r.get("properties.participantid").is_some());
        assert!(r.get("participantId").is_some());
        assert!(r.get("deliveryAttempts[0].segmentsFailed").is_some());
        assert!(r.get("callId").is_none());
        assert!(r.get("participantIdX").is_none());
        // Without the index every lookup compares names, with the same answers.
        r.unindex();
        assert!(r.get("participantId").is_some() && r.get("callId").is_none());
    }

    #[test]
    fn compile_time_keys_are_the_run_time_keys() {
        for name in [
            "",
            "a",
            "to",
            "time",
            "callId",
            "category",
            "TimeGenerated",
            "TimeGenerated [UTC]",
            "timegenerated [utc]",
            "participantEndReason",
            "deliveryAttempts[0].segmentsFailed",
            "x]",
            "ñame",
        ] {
            assert_eq!(const_name_key(name), name_key(name), "{name}");
        }
        assert_eq!(name_key("CallId"), name_key("callid"));
        assert_eq!(name_key("TimeGenerated [UTC]"), name_key("TimeGenerated"));
        assert_ne!(name_key("callId"), name_key("callIds"));
    }

    #[test]
    fn resolved_names_look_up_what_their_text_does() {
        const RESOLVED: FieldName<'static> = FieldName::new("Properties.ParticipantId");
        let paths = [
            "participantId",
            "PARTICIPANTID",
            "properties.participantId",
            "Properties.ParticipantId",
            "data.participantId",
            "headers.ms-cv",
            "Headers.MS-CV",
            "ms-cv",
            "TimeGenerated",
            "TimeGenerated [UTC]",
            "properties.",
            "data",
            "propertiesX.participantId",
            "callId",
            "ñame",
        ];
        let mut r = rec(vec![
            Field::new(Bag::Top, "TimeGenerated [UTC]", Value::Str("t".into())),
            Field::new(Bag::Properties, "ParticipantId", Value::Str("p".into())),
            Field::new(Bag::Data, "participantId", Value::Str("d".into())),
            Field::new(Bag::Headers, "MS-CV", Value::Str("cv".into())),
            Field::new(Bag::Top, "data", Value::Str("top".into())),
            Field::new(Bag::Top, "ñame", Value::Str("n".into())),
        ]);
        r.index_names();
        for path in paths {
            // The same resolution at compile time (const) and at run time.
            assert_eq!(FieldName::new(path), FieldName::of(path), "{path}");
            let by_text = r.get_raw(path).cloned();
            assert_eq!(r.get_raw(FieldName::of(path)).cloned(), by_text, "{path}");
            assert_eq!(
                r.get_raw(OwnedFieldName::new(path)).cloned(),
                by_text,
                "{path}"
            );
            assert_eq!(r.has(FieldName::of(path)), r.has(path), "{path}");
        }
        let text = |path: &str| r.text(path).map(|t| t.into_owned());
        assert_eq!(text("Headers.MS-CV").as_deref(), Some("cv"));
        assert_eq!(text("DATA.participantId").as_deref(), Some("d"));
        assert_eq!(text("participantId").as_deref(), Some("p"));
        assert_eq!(text("data").as_deref(), Some("top"));
        assert_eq!(text("propertiesX.participantId"), None);
        assert_eq!(text("timegenerated").as_deref(), Some("t"));
        assert_eq!(r.text(RESOLVED).as_deref(), Some("p"));
        assert_eq!(
            r.text(crate::field!("data.participantId")).as_deref(),
            Some("d")
        );
        assert_eq!(r.text(crate::field!("ms-cv")).as_deref(), Some("cv"));
        assert_eq!(
            r.text_any(&[crate::field!("callId"), crate::field!("participantId")])
                .as_deref(),
            Some("p")
        );
    }

    /// An excerpt names each field by its path as written, whether the path is text, resolved
    /// at compile time or resolved when loaded; absent fields are left out.
    #[test]
    fn excerpts_show_paths_as_written() {
        let mut r = rec(vec![
            Field::new(Bag::Properties, "ParticipantId", Value::Str("p".into())),
            Field::new(Bag::Headers, "MS-CV", Value::Str("cv".into())),
            Field::new(Bag::Top, "resultType", Value::Str("x".repeat(130).into())),
        ]);
        r.category = Some("ChatOperational".into());
        r.index_names();
        let expected = format!(
            "ChatOperational Properties.ParticipantId=p headers.ms-cv=cv resultType={}…",
            "x".repeat(120)
        );
        let paths = [
            "Properties.ParticipantId",
            "headers.ms-cv",
            "callId",
            "resultType",
        ];
        assert_eq!(r.excerpt(&paths), expected);
        let resolved = crate::fields![
            "Properties.ParticipantId",
            "headers.ms-cv",
            "callId",
            "resultType"
        ];
        assert_eq!(r.excerpt(resolved), expected);
        let owned: Vec<OwnedFieldName> = paths.iter().map(|p| OwnedFieldName::new(p)).collect();
        assert_eq!(r.excerpt(&owned), expected);
    }

    /// Every lookup answers the same with and without the index: names in several bags and
    /// cases, repeated names, and records too large to index.
    #[test]
    fn indexed_and_scanned_lookups_agree() {
        for size in [3, 30, 48, 49, 80] {
            let mut fields = Vec::new();
            for i in 0..size {
                let bag = [Bag::Top, Bag::Properties, Bag::Data][i % 3];
                let name = match i % 4 {
                    0 => format!("field{}", i / 8),
                    1 => format!("Field{} [UTC]", i / 8),
                    2 => format!("FIELD{}", i / 8),
                    _ => format!("other.name{i}"),
                };
                fields.push(Field::new(bag, name, Value::Int(i as i64)));
            }
            let mut indexed = rec(fields);
            indexed.index_names();
            let scanned = {
                let mut r = indexed.clone();
                r.unindex();
                r
            };
            for i in 0..size + 2 {
                for query in [
                    format!("field{}", i / 8),
                    format!("properties.field{}", i / 8),
                    format!("data.FIELD{}", i / 8),
                    format!("other.name{i}"),
                    format!("field{}x", i / 8),
                ] {
                    assert_eq!(
                        indexed.get_raw(&query),
                        scanned.get_raw(&query),
                        "{size} {query}"
                    );
                }
            }
        }
    }

    #[test]
    fn lookups_ignore_case_and_bags() {
        let r = rec(vec![
            Field::new(Bag::Top, "correlationId", Value::text("c1")),
            Field::new(Bag::Properties, "participantEndReason", Value::text("410")),
            Field::new(
                Bag::Top,
                "TimeGenerated [UTC]",
                Value::text("5/25/2023, 5:43 PM"),
            ),
        ]);
        assert_eq!(r.text("ParticipantEndReason").as_deref(), Some("410"));
        assert_eq!(
            r.text("properties.participantendreason").as_deref(),
            Some("410")
        );
        assert_eq!(r.text("data.participantEndReason"), None);
        assert_eq!(r.text("CORRELATIONID").as_deref(), Some("c1"));
        assert!(r.get("TimeGenerated").is_some());
        assert!(r.get("TimeGenerated [UTC]").is_some());
    }

    #[test]
    fn top_level_wins_over_bag() {
        let r = rec(vec![
            Field::new(Bag::Data, "id", Value::text("inner")),
            Field::new(Bag::Top, "id", Value::text("outer")),
        ]);
        assert_eq!(r.text("id").as_deref(), Some("outer"));
        assert_eq!(r.text("data.id").as_deref(), Some("inner"));
    }

    #[test]
    fn null_counts_as_absent() {
        let r = rec(vec![Field::new(
            Bag::Properties,
            "participantId",
            Value::text("null"),
        )]);
        assert!(r.participant_id().is_none());
        assert!(r.get_raw("participantId").is_some());
        assert!(
            !r.has("participantId"),
            "exists() means present and not null"
        );
    }

    #[test]
    fn family_indices_follow_declaration_order() {
        for (i, f) in Family::ALL.iter().enumerate() {
            assert_eq!(*f as usize, i, "{f}");
        }
    }

    #[test]
    fn multi_byte_names_never_split_a_character() {
        let r = rec(vec![Field::new(
            Bag::Top,
            "abcde\u{e9}xxxxx",
            Value::Int(1),
        )]);
        assert!(r.get("abcde").is_none());
        assert!(r.get("abcde\u{e9}xxxx").is_none());
        assert!(r.get("ABCDE\u{e9}XXXXX").is_some());
    }

    #[test]
    fn braced_call_ids_are_call_ids() {
        let mut r = rec(vec![Field::new(
            Bag::Top,
            "correlationId",
            Value::text("{c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a}"),
        )]);
        r.family = Family::Calling;
        assert_eq!(
            r.call_id().as_deref(),
            Some("c0ffee01-5d1b-4a7e-9c3a-1f0e2d3c4b5a")
        );
        let mut json = rec(vec![Field::new(
            Bag::Top,
            "correlationId",
            Value::text("{\"a\":1}"),
        )]);
        json.family = Family::Calling;
        assert_eq!(json.call_id(), None);
    }

    #[test]
    fn has_sees_flattened_objects() {
        let r = rec(vec![Field::new(
            Bag::Data,
            "resultInformation.code",
            Value::Int(500),
        )]);
        assert!(r.has("resultInformation"));
        assert!(r.has("data.resultInformation"));
        assert!(!r.has("resultInfo"));
    }
}
