//! Ingestion: one file in, normalized records and an honest report out.
//!
//! The shape of a file is decided from its content, never its name (people rename, concatenate
//! and gzip logs). The only exception is the encrypted native SDK logs (`.blog`, `.etl`), whose
//! content is indistinguishable from noise. Every file yields a [`FileReport`] that counts the
//! records read and the records rejected, with reasons: nothing is dropped silently.

pub mod archive;
pub mod container;
pub(crate) mod flatten;
#[doc(hidden)]
pub use flatten::both_readings;
pub mod lines;
pub mod pieces;
pub mod shapes;
pub mod sniff;
pub mod source;
pub mod stdin;

use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::classify::Classifier;
use crate::dedup::{Fingerprints, Seen};
use crate::record::{Field, FileId, Format, Origin, Record};
use crate::secrets::{Secrets, Sightings};
use container::Container;
use shapes::Shape;

pub use shapes::json_record::record_from_json;

/// Ingestion limits. Defaults suit real exports; `acs-triage.toml` can change them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Longest line (or single JSON record in a document) kept, in bytes.
    pub max_line_bytes: usize,
    /// Problems listed per file; more are counted but not listed.
    pub max_issues_per_file: usize,
    /// Bytes of an unrecognized text file read to look for secrets in it.
    pub max_text_scan_bytes: u64,
    /// Continuation lines kept per console-log entry (a request dump, a stack trace); more are
    /// counted, not kept.
    pub max_block_lines: usize,
    /// Bytes kept per console-log entry, likewise.
    pub max_block_bytes: usize,
    /// How dates such as `05/11/2026` in portal CSV exports are read: `auto` (decided per file
    /// from a date that reads only one way, month first when none does), `month-first` or
    /// `day-first`.
    pub csv_date_order: crate::time::DateOrder,
    /// Members read from one archive (zip, tar); more are reported, not read.
    pub max_archive_members: usize,
    /// Storage-account exports are read hour by hour; a call, SMS message or chat thread is
    /// judged for good, and its state let go, once the hours read reach this far past its latest
    /// record. Memory then follows this window, not the folder.
    pub close_after: Span,
    /// How long the keys of what was judged early are remembered, so that records arriving later
    /// for it are counted and reported rather than judged apart in silence. ACS records can sit
    /// in a blob up to about 48 hours after their own time.
    pub watch_late: Span,
    /// A plain JSON-lines file larger than this is read in pieces of about this many bytes, by
    /// several threads at once (see [`pieces`]); 0 reads every file whole.
    pub split_bytes: u64,
    /// Hours are read in batches of about this many bytes per reading thread (whole hours, at
    /// most `close_after / 2`), judging what can no longer change after each: enough to keep
    /// every thread busy, little enough that what the threads hold between two judgements (and
    /// the memory the allocator gives back and takes again) stays small. 0: one hour per batch.
    pub batch_bytes: u64,
}

/// A length of time written as the rule language writes durations (`12h`, `90m`, `2d`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub seconds: f64,
}

impl Span {
    pub const fn hours(hours: u32) -> Span {
        Span {
            seconds: hours as f64 * 3600.0,
        }
    }

    pub fn millis(self) -> i64 {
        (self.seconds * 1000.0) as i64
    }
}

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::text::duration_literal(self.seconds))
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        crate::rules::syntax::parse_duration(&text)
            .map(|seconds| Span { seconds })
            .map_err(|e| {
                serde::de::Error::custom(format!("{} ({})", e.message, e.help.unwrap_or_default()))
            })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 16 * 1024 * 1024,
            max_issues_per_file: 20,
            max_text_scan_bytes: 64 * 1024 * 1024,
            max_block_lines: 1000,
            max_block_bytes: 1024 * 1024,
            csv_date_order: crate::time::DateOrder::Auto,
            max_archive_members: 100_000,
            close_after: Span::hours(12),
            watch_late: Span::hours(48),
            split_bytes: 32 * 1024 * 1024,
            batch_bytes: 16 * 1024 * 1024,
        }
    }
}

/// What happened to a file as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    /// Read; see the record and rejection counts.
    Parsed,
    /// Nothing in it.
    Empty,
    /// Content matches no shape acs-triage reads.
    Unrecognized,
    /// An encrypted native SDK log: cannot be read, must go to Azure support.
    NativeSdkLog,
    /// Not a regular file (FIFO, device, socket) or a symbolic link not followed.
    Skipped,
    /// Could not be opened or read at all.
    Unreadable,
}

/// One problem inside a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileIssue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub message: String,
}

/// The outcome of reading one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// Path relative to the folder analyzed (or as given, for files named directly).
    pub path: String,
    pub status: FileStatus,
    /// Detected shape(s); `None` when nothing was recognized.
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    pub bytes: u64,
    pub records: u64,
    pub rejected: u64,
    /// Records dropped because the same record was already read (here or in another input).
    #[serde(skip_serializing_if = "is_zero")]
    pub duplicates: u64,
    /// Records of no family acs-triage analyzes (no known category, table, event type,
    /// endpoint or logger).
    #[serde(skip_serializing_if = "is_zero")]
    pub unknown: u64,
    pub errors: Vec<FileIssue>,
    /// Problems beyond the listing limit (counted, not listed).
    #[serde(skip_serializing_if = "is_zero")]
    pub errors_not_listed: u64,
    /// A sentence about the file as a whole (why it was skipped, what to do with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Live secrets written in the file: kind and line, never the value.
    #[serde(skip_serializing_if = "Sightings::is_empty")]
    pub secrets: Sightings,
    /// JSON records of no known kind: how many, and the first (line, field names). Said in
    /// the note once the whole file is read ([`FileReport::note_unrecognized`]).
    #[serde(skip)]
    pub unrecognized: Option<Unrecognized>,
    /// Records per format, kept for a piece of a file ([`pieces`]) so that the joined report
    /// names its formats as a whole read would.
    #[serde(skip)]
    pub piece_formats: Vec<(Format, u64)>,
    /// Set while a piece of a file is read: what only the whole file can decide.
    #[serde(skip)]
    pub piece_tail: Option<PieceTail>,
}

/// What a piece of a file leaves for the joined report to decide ([`FileReport::close_pieces`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PieceTail {
    /// Lines holding an empty JSON array: a note when it is the file's only content, else
    /// rejections.
    pub empty_arrays: Vec<u64>,
    /// The first and last items rejected (line, array index): one item rejected twice in a
    /// row counts once, across pieces too.
    pub first_rejected: Option<(Option<u64>, Option<u64>)>,
    pub last_rejected: Option<(Option<u64>, Option<u64>)>,
    /// Remarks, in order, each with its kind when it is said once per file however often it
    /// applies ([`Collector::note_first`]).
    pub notes: Vec<(String, Option<&'static str>)>,
    /// Where the piece being read ends when more of the file follows it: a read failure loses
    /// the bytes up to there, not the rest of the file (the pieces after it are read).
    pub ends_at: Option<u64>,
}

/// JSON records of a file that no analyzer reads (no known category, table, event type or
/// endpoint).
#[derive(Debug, Clone, PartialEq)]
pub struct Unrecognized {
    pub count: u64,
    pub first_line: u64,
    pub first_fields: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl FileReport {
    /// True when the file was not read as a whole, lost records, or has a remark: reports list
    /// such inputs first.
    pub fn needs_attention(&self) -> bool {
        self.status != FileStatus::Parsed || self.rejected > 0 || self.note.is_some()
    }

    pub fn new(path: String) -> Self {
        FileReport {
            path,
            status: FileStatus::Parsed,
            format: None,
            compression: None,
            bytes: 0,
            records: 0,
            rejected: 0,
            duplicates: 0,
            unknown: 0,
            errors: Vec::new(),
            errors_not_listed: 0,
            note: None,
            secrets: Sightings::default(),
            unrecognized: None,
            piece_formats: Vec::new(),
            piece_tail: None,
        }
    }

    /// Decides, once every piece of a file is joined, what a whole read decides at its end:
    /// the formats, the remarks, the empty arrays, and the note on records of no known kind.
    pub fn close_pieces(&mut self, shape: Shape, max_issues: usize) {
        self.format = format_name(std::mem::take(&mut self.piece_formats), shape);
        let tail = self.piece_tail.take().unwrap_or_default();
        for (note, _) in tail.notes {
            self.add_note(note);
        }
        let message = "an empty JSON array, no records in it";
        let mut last = tail.last_rejected;
        for &line in &tail.empty_arrays {
            if self.records == 0 && tail.empty_arrays.len() == 1 && self.rejected == 0 {
                self.add_note(format!("line {line}: {message}"));
                continue;
            }
            if last != Some((Some(line), None)) {
                self.rejected += 1;
            }
            last = Some((Some(line), None));
            if self.errors.len() < max_issues {
                self.errors.push(FileIssue {
                    line: Some(line),
                    message: message.to_owned(),
                });
            } else {
                self.errors_not_listed += 1;
            }
        }
        self.note_unrecognized();
    }

    /// Says in the note how many records were of no known kind and what the first looked
    /// like: read, but judged by nobody, so the user must hear of it.
    pub fn note_unrecognized(&mut self) {
        let Some(u) = &self.unrecognized else {
            return;
        };
        let (records, line, names) = (self.records, u.first_line, &u.first_fields);
        let message = if u.count == records {
            format!(
                "none of its {records} records is of a kind acs-triage analyzes (no known category, table, event type or endpoint); line {line} has the fields {names}"
            )
        } else {
            format!(
                "{} of its {records} records are of no kind acs-triage analyzes; the first (line {line}) has the fields {names}",
                u.count
            )
        };
        self.add_note(message);
    }

    /// Takes in the report of the next piece of the same file ([`pieces`]): counts add up,
    /// problems and secrets are listed in line order up to their limits; formats and remarks
    /// wait, in order, for [`FileReport::close_pieces`] (one said once per file is said once).
    pub fn absorb_piece(&mut self, next: FileReport, max_issues: usize) {
        self.records += next.records;
        self.rejected += next.rejected;
        self.duplicates += next.duplicates;
        self.unknown += next.unknown;
        for issue in next.errors {
            if self.errors.len() < max_issues {
                self.errors.push(issue);
            } else {
                self.errors_not_listed += 1;
            }
        }
        self.errors_not_listed += next.errors_not_listed;
        if self.status == FileStatus::Parsed {
            self.status = next.status;
        }
        for (format, n) in next.piece_formats {
            match self.piece_formats.iter_mut().find(|(f, _)| *f == format) {
                Some((_, count)) => *count += n,
                None => self.piece_formats.push((format, n)),
            }
        }
        if let Some(note) = next.note {
            self.add_note(note);
        }
        self.secrets.absorb(next.secrets);
        if let Some(theirs) = next.piece_tail {
            let mine = self.piece_tail.get_or_insert_with(PieceTail::default);
            // A line holding several stray values may be cut between them: the piece after the
            // cut counted its first rejection, which a whole read counts with the one before.
            if let Some(first @ (Some(_), _)) = theirs.first_rejected
                && mine.last_rejected == Some(first)
            {
                self.rejected -= 1;
            }
            mine.empty_arrays.extend(theirs.empty_arrays);
            mine.last_rejected = theirs.last_rejected.or(mine.last_rejected);
            mine.ends_at = theirs.ends_at;
            for (note, once) in theirs.notes {
                if once.is_none() || mine.notes.iter().all(|(_, kind)| *kind != once) {
                    mine.notes.push((note, once));
                }
            }
        }
        match (&mut self.unrecognized, next.unrecognized) {
            (Some(mine), Some(theirs)) => mine.count += theirs.count,
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
    }

    /// Adds a sentence to the file's note.
    pub fn add_note(&mut self, message: String) {
        match &mut self.note {
            Some(note) => {
                note.push_str("; ");
                note.push_str(&message);
            }
            None => self.note = Some(message),
        }
    }

    /// A report for a file that was not read, with the reason.
    pub fn not_read(path: String, status: FileStatus, note: impl Into<String>) -> Self {
        FileReport {
            status,
            note: Some(note.into()),
            ..FileReport::new(path)
        }
    }
}

/// The first top-level field names of a record, for a note: `{to, from, serverCallId, …}`.
fn field_names(record: &Record<'_>) -> String {
    let mut names: Vec<&str> = Vec::new();
    for f in &record.fields {
        let top = f.name.split(['.', '[']).next().unwrap_or(&f.name);
        if !names.contains(&top) {
            names.push(top);
        }
    }
    let more = names.len() > 8;
    names.truncate(8);
    format!("{{{}{}}}", names.join(", "), if more { ", …" } else { "" })
}

/// Duplicate detection for the files read together: how to fingerprint, and what was seen.
pub struct Dedup<'d> {
    pub fingerprints: &'d Fingerprints,
    pub seen: &'d mut Seen,
}

/// The list emptied, keeping its allocation, and no longer tied to the text its fields borrowed.
fn emptied(mut fields: Vec<Field<'_>>) -> Vec<Field<'static>> {
    if fields.iter().any(Field::owns_memory) {
        for field in fields.drain(..) {
            // Most fields only borrow from the record's text: nothing to free, so no call to
            // free it (this spared a third of the cost of handing the list on).
            if !field.owns_memory() {
                std::mem::forget(field);
            }
        }
    } else {
        // Nothing to free at all (nearly every record): the fields are let go at once rather
        // than moved out one by one, which read each of them whole. A forgotten drain leaves
        // the list empty; `clear` makes sure of it, at no cost when it is.
        std::mem::forget(fields.drain(..));
        fields.clear();
    }
    // Collecting a vector's own iterator into a vector of the same layout reuses its
    // allocation (the standard library's in-place collection); there is nothing to map.
    fields.into_iter().map(|_| unreachable!()).collect()
}

/// Receives the records of one file and keeps its counts.
pub struct Collector<'s> {
    pub file: FileId,
    pub classifier: &'s Classifier,
    sink: &'s mut dyn FnMut(&Record<'_>),
    report: &'s mut FileReport,
    formats: Vec<(Format, u64)>,
    max_issues: usize,
    dedup: Option<Dedup<'s>>,
    /// The last item rejected, (line, array index): several problems with one item count once.
    last_rejected: Option<(Option<u64>, Option<u64>)>,
    notes_said: Vec<&'static str>,
    /// Records of no kind any analyzer reads, and what the first looked like (line, names).
    unknown: u64,
    first_unknown: Option<(u64, String)>,
    /// The emptied field list of the last record, kept for the next (see
    /// [`Collector::field_list`]).
    spare_fields: Vec<Field<'static>>,
}

impl<'s> Collector<'s> {
    /// An empty field list for the next record: the last record's, whose allocation is reused.
    /// A list per record allocated and freed some 2 KiB each time, and with the allocator
    /// returning freed pages at once (`cli/src/main.rs`) that often meant a page handed back to
    /// the system and faulted in again.
    pub fn field_list<'a>(&mut self) -> Vec<Field<'a>> {
        std::mem::take(&mut self.spare_fields)
    }

    /// Classifies a parsed JSON / CSV object and hands it on.
    pub fn emit_json(&mut self, origin: Origin, fields: Vec<Field<'_>>, container: Container) {
        let mut record = Record::new(origin, Format::Json, fields);
        self.classifier.classify(&mut record, container);
        self.hand_on(&mut record);
    }

    /// Hands a finished record on, unless it duplicates one already read.
    pub fn emit(&mut self, mut record: Record<'_>) {
        self.hand_on(&mut record);
    }

    /// [`Collector::emit`] by reference: the record (some 200 bytes) is not copied on the way,
    /// as it was twice for every JSON record when handed on by value.
    fn hand_on(&mut self, record: &mut Record<'_>) {
        let fingerprint = self.dedup.as_ref().map(|d| d.fingerprints.of(record));
        self.emit_with(record, fingerprint);
    }

    /// Hands on a record whose fingerprint the reader computed (text logs).
    pub fn emit_fingerprinted(&mut self, mut record: Record<'_>, fingerprint: u64) {
        self.emit_with(&mut record, Some(fingerprint));
    }

    /// Hands `record` on, then takes its field list back to fill again.
    fn emit_with(&mut self, record: &mut Record<'_>, fingerprint: Option<u64>) {
        // The formats say what the file holds, duplicates included.
        match self.formats.iter_mut().find(|(f, _)| *f == record.format) {
            Some((_, n)) => *n += 1,
            None => self.formats.push((record.format, 1)),
        }
        if let (Some(fp), Some(dedup)) = (fingerprint, self.dedup.as_mut())
            && !dedup.seen.first(fp)
        {
            self.report.duplicates += 1;
            self.spare_fields = emptied(std::mem::take(&mut record.fields));
            return;
        }
        self.report.records += 1;
        if record.family == crate::record::Family::Unknown {
            self.report.unknown += 1;
        }
        // A JSON or CSV record with no category, table, event type or endpoint acs-triage
        // knows: no analyzer reads it (console-log lines of other loggers are ordinary).
        if record.family == crate::record::Family::Unknown
            && !matches!(record.format, Format::WebSdkLog | Format::DotnetLog)
        {
            self.unknown += 1;
            if self.first_unknown.is_none() {
                self.first_unknown = Some((record.origin.line, field_names(record)));
            }
        }
        (self.sink)(record);
        self.spare_fields = emptied(std::mem::take(&mut record.fields));
    }

    /// Hands the count and first of the records of no known kind to the file's report.
    fn report_unknown(&mut self) {
        let Some((line, names)) = self.first_unknown.take() else {
            return;
        };
        self.report.unrecognized = Some(Unrecognized {
            count: self.unknown,
            first_line: line,
            first_fields: names,
        });
    }

    /// Records handed on so far.
    pub fn records(&self) -> u64 {
        self.report.records
    }

    /// Items rejected so far.
    pub fn rejected(&self) -> u64 {
        self.report.rejected
    }

    /// Counts a rejected line with its reason.
    pub fn reject(&mut self, line: Option<u64>, message: String) {
        self.reject_at(line, None, message);
    }

    /// Counts a rejected array element (or a line, without an index) with its reason.
    pub fn reject_item(&mut self, line: u64, index: Option<u64>, message: String) {
        self.reject_at(Some(line), index, message);
    }

    fn reject_at(&mut self, line: Option<u64>, index: Option<u64>, message: String) {
        let item = (line, index);
        if self.last_rejected.is_none()
            && let Some(tail) = &mut self.report.piece_tail
        {
            tail.first_rejected = Some(item);
        }
        if line.is_none() || self.last_rejected != Some(item) {
            self.report.rejected += 1;
        }
        self.last_rejected = Some(item);
        self.issue(line, message);
    }

    /// Records a read failure (I/O error, corrupt compression): the rest of the file (or of the
    /// piece being read) is lost and that loss counts as one rejection.
    pub fn read_error(&mut self, line: Option<u64>, error: &io::Error) {
        let lost = match self.report.piece_tail.as_ref().and_then(|t| t.ends_at) {
            Some(end) => {
                format!("the bytes from here to byte {end} are lost (the file after them is read)")
            }
            None => "the rest of the file is lost".to_owned(),
        };
        self.reject(line, format!("read failed, {lost}: {error}"));
    }

    /// Looks for live secrets in a piece of the input that starts at `line`.
    pub fn scan_secrets(&mut self, bytes: &[u8], line: u64) {
        self.report.secrets.scan(Secrets::bundled(), bytes, line);
    }

    /// A remark about the file that is not a rejection.
    pub fn note(&mut self, message: String) {
        self.remark(message, None);
    }

    /// Leaves empty-array lines for the joined report to judge when this is a piece of a file
    /// ([`pieces`]); false when the reader must judge them itself.
    pub fn defer_empty_arrays(&mut self, lines: &[u64]) -> bool {
        match &mut self.report.piece_tail {
            Some(tail) => {
                tail.empty_arrays.extend_from_slice(lines);
                true
            }
            None => false,
        }
    }

    /// A remark said once per file however often it applies.
    pub fn note_once(&mut self, message: &'static str) {
        self.note_first(message, || message.to_owned());
    }

    /// A remark of the kind `kind` said once per file, in the words of its first occurrence
    /// (which name its line): a remark each JSON line could earn again would otherwise grow
    /// the note with every line.
    pub fn note_first(&mut self, kind: &'static str, message: impl FnOnce() -> String) {
        if !self.notes_said.contains(&kind) {
            self.notes_said.push(kind);
            self.remark(message(), Some(kind));
        }
    }

    /// Says a remark on the file's report; a piece's remarks join the other pieces' first
    /// (`once`: the kind of a remark said once per file, by the first piece that has it).
    fn remark(&mut self, message: String, once: Option<&'static str>) {
        match &mut self.report.piece_tail {
            Some(tail) => tail.notes.push((message, once)),
            None => self.report.add_note(message),
        }
    }

    fn issue(&mut self, line: Option<u64>, message: String) {
        if self.report.errors.len() < self.max_issues {
            self.report.errors.push(FileIssue { line, message });
        } else {
            self.report.errors_not_listed += 1;
        }
    }
}

/// Reads a text file no shape fits, only to look for secrets in it (an app's own log may hold a
/// connection string); at most `limits.max_text_scan_bytes`.
fn scan_text(reader: &mut dyn BufRead, first_line: u64, limits: &Limits, report: &mut FileReport) {
    let mut lines = lines::ChunkedLines::new(reader, limits.max_line_bytes);
    let mut line_no = first_line - 1;
    let mut read = 0u64;
    while let Ok(Some(chunk)) = lines.next_line() {
        line_no += 1;
        if let lines::Chunk::Line(line) = chunk {
            read += line.len() as u64;
            report.secrets.scan(Secrets::bundled(), line, line_no);
        }
        if read > limits.max_text_scan_bytes {
            break;
        }
    }
}

/// The start of a zip or tar archive.
fn is_archive_start(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || (head.len() >= 263 && &head[257..262] == b"ustar")
}

/// File name extensions of the encrypted native SDK logs.
const NATIVE_EXTENSIONS: [&str; 2] = ["blog", "etl"];

/// The one sentence every native log gets.
pub const NATIVE_LOG_NOTE: &str = "encrypted native Calling SDK log (iOS/Android/Windows): it cannot be read here; attach it to an Azure support request with the call ID, participant ID and the time of the problem";

/// True when the file's name says it is an encrypted native SDK log.
pub fn is_native_log(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| NATIVE_EXTENSIONS.iter().any(|n| e.eq_ignore_ascii_case(n)))
}

/// How one file is read: its classifier, limits, duplicate detection and where records go.
pub struct ReadSetup<'a> {
    pub file: FileId,
    pub classifier: &'a Classifier,
    pub limits: &'a Limits,
    pub dedup: Option<Dedup<'a>>,
}

/// Reads one input (a file, or a member of a zip or tar archive) and sends each record to
/// `sink`.
pub fn ingest_input(
    input: &crate::walk::InputFile,
    setup: ReadSetup<'_>,
    sink: &mut dyn FnMut(&Record<'_>),
) -> FileReport {
    let mut report = FileReport::new(input.display.clone());
    if is_native_log(Path::new(&input.display)) {
        report.status = FileStatus::NativeSdkLog;
        report.format = Some(Format::NativeSdkLog.name().to_owned());
        report.bytes = input.size();
        report.note = Some(NATIVE_LOG_NOTE.to_owned());
        return report;
    }
    let handle = match input.open() {
        Ok(h) => h,
        Err(e) => {
            report.status = FileStatus::Unreadable;
            report.note = Some(format!("cannot open: {e}"));
            return report;
        }
    };
    report.bytes = input.size();
    ingest_stream(handle, report, setup, sink)
}

/// Reads a member of a `.tar.gz` handed over in archive order.
pub fn ingest_member_stream(
    input: &crate::walk::InputFile,
    reader: &mut dyn Read,
    setup: ReadSetup<'_>,
    sink: &mut dyn FnMut(&Record<'_>),
) -> FileReport {
    let mut report = FileReport::new(input.display.clone());
    report.bytes = input.size();
    if is_native_log(Path::new(&input.display)) {
        report.status = FileStatus::NativeSdkLog;
        report.format = Some(Format::NativeSdkLog.name().to_owned());
        report.note = Some(NATIVE_LOG_NOTE.to_owned());
        return report;
    }
    ingest_stream(Box::new(reader), report, setup, sink)
}

/// Reads records of a file whose shape is known; returns how many came in each format.
fn read_shape(
    reader: &mut dyn BufRead,
    shape: Shape,
    first_line: u64,
    setup: ReadSetup<'_>,
    report: &mut FileReport,
    sink: &mut dyn FnMut(&Record<'_>),
) -> Vec<(Format, u64)> {
    collect(setup, report, sink, &mut |limits, out| {
        shapes::read(shape, reader, first_line, limits, out)
    })
}

/// Runs `read` with a collector that sends its records to `sink` and its problems to `report`;
/// returns the records per format.
fn collect(
    setup: ReadSetup<'_>,
    report: &mut FileReport,
    sink: &mut dyn FnMut(&Record<'_>),
    read: &mut dyn FnMut(&Limits, &mut Collector<'_>),
) -> Vec<(Format, u64)> {
    let limits = setup.limits;
    let mut out = Collector {
        file: setup.file,
        classifier: setup.classifier,
        sink,
        report,
        formats: Vec::new(),
        max_issues: limits.max_issues_per_file,
        dedup: setup.dedup,
        last_rejected: None,
        notes_said: Vec::new(),
        unknown: 0,
        first_unknown: None,
        spare_fields: Vec::new(),
    };
    read(limits, &mut out);
    out.report_unknown();
    let last_rejected = out.last_rejected;
    if let Some(tail) = &mut out.report.piece_tail {
        tail.last_rejected = last_rejected;
    }
    out.formats
}

/// Reads `bytes` with the reader of `shape`, as they are: no decompression, no sniffing. Fuzz
/// targets and tests drive each reader directly this way.
pub fn read_bytes_as(
    bytes: &[u8],
    shape: Shape,
    setup: ReadSetup<'_>,
    sink: &mut dyn FnMut(&Record<'_>),
) -> FileReport {
    let mut report = FileReport::new(String::new());
    report.bytes = bytes.len() as u64;
    let formats = read_shape(&mut &bytes[..], shape, 1, setup, &mut report, sink);
    report.note_unrecognized();
    report.format = formats.first().map(|(f, _)| f.name().to_owned());
    report
}

/// Reads `bytes` as a whole input: decompression, byte-order marks, sniffing, then the reader
/// the content calls for (as [`ingest_file`] does for a file).
pub fn ingest_bytes(
    bytes: &[u8],
    setup: ReadSetup<'_>,
    sink: &mut dyn FnMut(&Record<'_>),
) -> FileReport {
    let mut report = FileReport::new(String::new());
    report.bytes = bytes.len() as u64;
    ingest_stream(Box::new(bytes), report, setup, sink)
}

/// Reads only the sampled head of an input (see [`sniff`]) and sends its records to `sink`: a
/// cheap look at what the input holds.
pub fn sample_input(
    input: &crate::walk::InputFile,
    classifier: &Classifier,
    limits: &Limits,
    sink: &mut dyn FnMut(&Record<'_>),
) {
    if is_native_log(Path::new(&input.display)) {
        return;
    }
    let Ok(handle) = input.open() else {
        return;
    };
    sample_stream(handle, input.size(), classifier, limits, sink);
}

/// How much of a file a sample reads at a time (see [`sample_stream`]).
const SAMPLE_BUFFER: u64 = 64 * 1024;

/// Like [`sample_input`], for bytes already open (a member of a `.tar.gz` being streamed).
pub fn sample_stream(
    handle: Box<dyn Read + '_>,
    size: u64,
    classifier: &Classifier,
    limits: &Limits,
    sink: &mut dyn FnMut(&Record<'_>),
) {
    // The buffer of a whole read would be filled at the first read: a quarter of a MiB of
    // every plain file copied for a sample that nearly always lies in its first few dozen KiB.
    // The reader fills it again if the sample goes on. (Gzip and UTF-16 layers keep their own
    // buffers of that size.)
    let Ok(opened) = source::open(handle, size.min(SAMPLE_BUFFER)) else {
        return;
    };
    let mut reader = opened.reader;
    let Ok(sample) = sniff::sniff(&mut reader) else {
        return;
    };
    let setup = ReadSetup {
        file: FileId(0),
        classifier,
        limits,
        dedup: None,
    };
    let mut report = FileReport::new(String::new());
    read_shape(
        &mut &sample.bytes[..],
        sample.shape,
        sample.first_line,
        setup,
        &mut report,
        sink,
    );
}

/// Reads the bytes of one input (a file, or anything else) into records. `report` carries the
/// input's name and size.
pub fn ingest_stream(
    raw: Box<dyn Read + '_>,
    mut report: FileReport,
    setup: ReadSetup<'_>,
    sink: &mut dyn FnMut(&Record<'_>),
) -> FileReport {
    let opened = match source::open(raw, report.bytes) {
        Ok(o) => o,
        Err(e) => {
            report.status = FileStatus::Unreadable;
            report.note = Some(format!("cannot read: {e}"));
            return report;
        }
    };
    report.compression = opened.compression.clone();
    if opened.utf16 {
        report.add_note("decoded from UTF-16".to_owned());
    }
    let damage = opened.damage.clone();
    let mut reader = opened.reader;
    let sample = match sniff::sniff(&mut reader) {
        Ok(s) => s,
        Err(e) => {
            report.status = FileStatus::Unreadable;
            report.note = Some(format!("cannot read: {e}"));
            return report;
        }
    };
    let first_line = sample.first_line;
    let shape = sample.shape;
    let sample_head: Vec<u8> = sample.bytes[..sample.bytes.len().min(512)].to_vec();
    let mut reader: Box<dyn BufRead + '_> =
        Box::new(BufReader::new(Cursor::new(sample.bytes).chain(reader)));
    let limits = setup.limits;
    let formats = read_shape(&mut reader, shape, first_line, setup, &mut report, sink);
    report.note_unrecognized();
    match shape {
        Shape::Empty => {
            report.status = FileStatus::Empty;
            report.note = Some("empty file".to_owned());
        }
        Shape::Binary if is_archive_start(&sample_head) => {
            report.status = FileStatus::Unrecognized;
            report.note = Some(
                "an archive inside an archive: not read; extract it and analyze the folder"
                    .to_owned(),
            );
        }
        Shape::Binary => {
            report.status = FileStatus::Unrecognized;
            report.note = Some(format!(
                "binary content that is not a known log format{} (native SDK logs are recognized by their .blog/.etl name)",
                if report.compression.is_some() {
                    " (after undoing gzip)"
                } else {
                    " and not gzip"
                }
            ));
        }
        Shape::Text => {
            scan_text(&mut reader, first_line, limits, &mut report);
            report.status = FileStatus::Unrecognized;
            report.note = Some(
                "text that matches no ACS log shape (tried: JSON, JSON lines, Log Analytics CSV, web SDK console log, .NET Azure.Core log)"
                    .to_owned(),
            );
        }
        _ => {}
    }
    // A read that ran into the end of the data (every reader stops there) may have hit damage.
    for d in damage.borrow().iter() {
        if d.loses_data() {
            report.rejected += 1;
            if report.errors.len() < limits.max_issues_per_file {
                report.errors.push(FileIssue {
                    line: None,
                    message: d.describe(),
                });
            } else {
                report.errors_not_listed += 1;
            }
        } else {
            report.add_note(d.describe());
        }
    }
    report.format = format_name(formats, shape);
    report
}

/// The format a file is reported as: the one its records came in, `mixed: ...` (most records
/// first), or the shape's name when no record came.
fn format_name(mut formats: Vec<(Format, u64)>, shape: Shape) -> Option<String> {
    match formats.len() {
        0 => shape.name().map(str::to_owned),
        1 => Some(formats[0].0.name().to_owned()),
        _ => {
            formats.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            Some(format!(
                "mixed: {}",
                formats
                    .iter()
                    .map(|(f, _)| f.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

/// Reads one piece of a plain JSON-lines file or JSON document ([`pieces`]); the engine joins
/// the reports of a file's pieces with [`FileReport::absorb_piece`].
pub fn ingest_piece(
    input: &crate::walk::InputFile,
    piece: pieces::Piece,
    setup: ReadSetup<'_>,
    sink: &mut dyn FnMut(&Record<'_>),
) -> FileReport {
    let mut report = FileReport::new(input.display.clone());
    report.bytes = piece.len();
    report.piece_tail = Some(PieceTail {
        ends_at: (!piece.last).then_some(piece.end),
        ..PieceTail::default()
    });
    let opened = std::fs::File::open(&input.path).and_then(|mut f| {
        use std::io::Seek;
        f.seek(std::io::SeekFrom::Start(piece.start))?;
        Ok(f)
    });
    let file = match opened {
        Ok(f) => f,
        Err(e) => {
            report.status = FileStatus::Unreadable;
            report.note = Some(format!("cannot read: {e}"));
            return report;
        }
    };
    let mut reader = BufReader::with_capacity(256 * 1024, file.take(piece.len()));
    let formats = match piece.document {
        None => read_shape(
            &mut reader,
            Shape::JsonLines,
            piece.first_line,
            setup,
            &mut report,
            sink,
        ),
        Some(from) => collect(setup, &mut report, sink, &mut |limits, out| {
            shapes::json_document::read_piece(&mut reader, from, piece.last, limits, out)
        }),
    };
    report.piece_formats = formats;
    report
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::record::Bag;
    use crate::value::Value;

    #[test]
    fn an_emptied_field_list_keeps_its_allocation() {
        let text = String::from("x");
        let mut fields = Vec::with_capacity(40);
        fields.push(Field::new(Bag::Top, text.as_str(), Value::text(&text)));
        // Fields that own their name or text are freed, not forgotten.
        fields.push(Field::new(
            Bag::Properties,
            String::from("owned"),
            Value::Str(Cow::Owned(String::from("text"))),
        ));
        fields.push(Field::new(
            Bag::Top,
            "list",
            Value::List(vec![Value::Int(1)]),
        ));
        let (at, capacity) = (fields.as_ptr() as usize, fields.capacity());
        let spare = emptied(fields);
        drop(text);
        assert!(spare.is_empty());
        assert_eq!(spare.capacity(), capacity);
        assert_eq!(spare.as_ptr() as usize, at);
        // The next record's parse fills the same list, whatever it held.
        let mut left_over = spare;
        left_over.push(Field::new(Bag::Top, "stale", Value::Null));
        let fields = flatten::parse_object_into(br#"{"a":1}"#, left_over).unwrap();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].name, "a");
        assert_eq!(fields.as_ptr() as usize, at);
    }

    #[test]
    fn a_list_of_borrowed_fields_is_emptied_in_place() {
        let text = String::from("{\"a\":\"x\",\"b\":2}");
        let fields = flatten::parse_object_into(text.as_bytes(), Vec::with_capacity(40)).unwrap();
        assert!(fields.iter().all(|f| !f.owns_memory()));
        let (at, capacity) = (fields.as_ptr() as usize, fields.capacity());
        let spare = emptied(fields);
        drop(text);
        assert!(spare.is_empty());
        assert_eq!((spare.as_ptr() as usize, spare.capacity()), (at, capacity));
    }

    /// What a reader needs for one file: the bundled classifier, no duplicate detection (the
    /// readers' own tests use it too).
    pub(super) fn test_setup(limits: &Limits) -> ReadSetup<'_> {
        ReadSetup {
            file: FileId(0),
            classifier: Classifier::bundled(),
            limits,
            dedup: None,
        }
    }

    /// Bytes that end in a read failure after `good`.
    struct FailsAfter<'a>(&'a [u8]);

    impl Read for FailsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("device went away"));
            }
            let n = buf.len().min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// The report of one good line and then a read failure, as a whole file or as a piece.
    fn read_failure(piece_tail: Option<PieceTail>) -> (FileReport, u64) {
        let limits = Limits::default();
        let setup = test_setup(&limits);
        let mut report = FileReport::new("PT1H.json".to_owned());
        report.piece_tail = piece_tail;
        let line = b"{\"category\":\"CallSummary\",\"properties\":{\"callId\":\"a\"}}\n";
        let mut reader = BufReader::new(FailsAfter(line));
        let mut records = 0;
        read_shape(
            &mut reader,
            Shape::JsonLines,
            1,
            setup,
            &mut report,
            &mut |_| records += 1,
        );
        (report, records)
    }

    /// JSON lines that each hold records separated by commas outside an array: the note says
    /// so once, from the first such line, not once per line.
    #[test]
    fn a_remark_each_line_earns_is_said_once() {
        let limits = Limits::default();
        let setup = test_setup(&limits);
        let record = "{\"category\":\"CallSummary\",\"properties\":{\"callId\":\"a\"}}";
        let text = format!(
            "{}{}",
            format!("{record}\n").repeat(70),
            format!("{{\"records\":[{record}]}},\n").repeat(500)
        );
        let mut records = 0;
        let report = read_bytes_as(text.as_bytes(), Shape::JsonLines, setup, &mut |_| {
            records += 1
        });
        assert_eq!(records, 570);
        let note = report.note.unwrap_or_default();
        let start: String = note.chars().take(400).collect();
        assert_eq!(
            note.matches("commas outside an array").count(),
            1,
            "{start}"
        );
        assert!(note.contains("from line 71"), "{note}");
    }

    #[test]
    fn a_read_failure_says_what_is_lost() {
        let (whole, records) = read_failure(None);
        assert_eq!(records, 1);
        assert_eq!(whole.rejected, 1);
        assert_eq!(
            whole.errors[0].message,
            "read failed, the rest of the file is lost: device went away"
        );
        // A piece that other pieces follow loses only the bytes up to its end.
        let (piece, _) = read_failure(Some(PieceTail {
            ends_at: Some(4096),
            ..PieceTail::default()
        }));
        assert_eq!(
            piece.errors[0].message,
            "read failed, the bytes from here to byte 4096 are lost (the file after them is read): device went away"
        );
        let (last, _) = read_failure(Some(PieceTail::default()));
        assert!(
            last.errors[0]
                .message
                .contains("the rest of the file is lost")
        );
    }
}
