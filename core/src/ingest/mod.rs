//! Ingestion: one file in, normalized records and an honest report out.
//!
//! The shape of a file is decided from its content, never its name (people rename, concatenate
//! and gzip logs). The only exception is the encrypted native SDK logs (`.blog`, `.etl`), whose
//! content is indistinguishable from noise. Every file yields a [`FileReport`] that counts the
//! records read and the records rejected, with reasons: nothing is dropped silently.

mod csv;
pub mod flatten;
mod json;
pub mod lines;
mod sdk;
pub mod split;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::classify::{Classifier, Container};
use crate::record::{Field, FileId, Format, Origin, Record};
use crate::secrets::{Secrets, Sightings};

pub use json::record_from_json;

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
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line_bytes: 16 * 1024 * 1024,
            max_issues_per_file: 20,
            max_text_scan_bytes: 64 * 1024 * 1024,
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
    pub compression: Option<&'static str>,
    pub bytes: u64,
    pub records: u64,
    pub rejected: u64,
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
            errors: Vec::new(),
            errors_not_listed: 0,
            note: None,
            secrets: Sightings::default(),
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

/// Receives the records of one file and keeps its counts.
pub struct Collector<'s> {
    pub file: FileId,
    pub classifier: &'s Classifier,
    sink: &'s mut dyn FnMut(&Record<'_>),
    report: &'s mut FileReport,
    formats: Vec<(Format, u64)>,
    max_issues: usize,
}

impl<'s> Collector<'s> {
    /// Classifies a parsed JSON / CSV object and hands it on.
    pub fn emit_json(&mut self, origin: Origin, fields: Vec<Field<'_>>, container: Container) {
        let mut record = Record::new(origin, Format::Json, fields);
        self.classifier.classify(&mut record, container);
        self.emit(record);
    }

    /// Hands a finished record on.
    pub fn emit(&mut self, record: Record<'_>) {
        self.report.records += 1;
        match self.formats.iter_mut().find(|(f, _)| *f == record.format) {
            Some((_, n)) => *n += 1,
            None => self.formats.push((record.format, 1)),
        }
        (self.sink)(&record);
    }

    /// Counts a rejected record with its reason.
    pub fn reject(&mut self, line: Option<u64>, message: String) {
        self.report.rejected += 1;
        self.issue(line, message);
    }

    /// Records a read failure (I/O error, corrupt compression): the rest of the file is lost and
    /// that loss counts as one rejection.
    pub fn read_error(&mut self, line: Option<u64>, error: &io::Error) {
        self.reject(
            line,
            format!("read failed, the rest of the file is lost: {error}"),
        );
    }

    /// Looks for live secrets in a piece of the input that starts at `line`.
    pub fn scan_secrets(&mut self, bytes: &[u8], line: u64) {
        self.report.secrets.scan(Secrets::bundled(), bytes, line);
    }

    /// A remark about the file that is not a rejection.
    pub fn note(&mut self, message: String) {
        self.report.note = Some(match self.report.note.take() {
            Some(prev) => format!("{prev}; {message}"),
            None => message,
        });
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
fn scan_text(reader: &mut dyn BufRead, limits: &Limits, report: &mut FileReport) {
    let mut lines = lines::ChunkedLines::new(reader, limits.max_line_bytes);
    let mut line_no = 0u64;
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

/// Size of the head read to detect a file's shape.
const SNIFF_BYTES: u64 = 64 * 1024;

/// File name extensions of the encrypted native SDK logs.
const NATIVE_EXTENSIONS: [&str; 2] = ["blog", "etl"];

/// The one sentence every native log gets.
pub const NATIVE_LOG_NOTE: &str = "encrypted native Calling SDK log (iOS/Android/Windows): it cannot be read here; attach it to an Azure support request with the call ID, participant ID and the time of the problem";

/// What the head of a file says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detected {
    JsonLines,
    JsonDocument,
    Csv,
    Sdk(Format),
    Empty,
    Binary,
    Text,
}

fn detect(head: &[u8]) -> Detected {
    let text_start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = text_start else {
        return Detected::Empty;
    };
    let sample = &head[start..];
    if sample.contains(&0) {
        return Detected::Binary;
    }
    // A .NET log line starts with `[Informational]`: check log formats before JSON.
    let first_line = sample.split(|&b| b == b'\n').next().unwrap_or(sample);
    if let Some(format) = std::str::from_utf8(first_line)
        .ok()
        .and_then(|l| sdk::detect_line(l.trim_end_matches('\r')))
    {
        return Detected::Sdk(format);
    }
    match sample[0] {
        b'{' => {
            let first_line = match memchr::memchr(b'\n', sample) {
                Some(end) => &sample[..end],
                None if (head.len() as u64) < SNIFF_BYTES => sample,
                None => return Detected::JsonDocument,
            };
            let complete = serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok();
            if complete {
                Detected::JsonLines
            } else {
                Detected::JsonDocument
            }
        }
        b'[' => Detected::JsonDocument,
        _ => {
            let text = String::from_utf8_lossy(sample);
            let mut lines = text.lines().filter(|l| !l.trim().is_empty()).take(50);
            if let Some(first) = lines.clone().next() {
                if csv::looks_like_header(first.trim_start_matches('\u{feff}')) {
                    return Detected::Csv;
                }
            }
            if let Some(format) = lines.find_map(sdk::detect_line) {
                return Detected::Sdk(format);
            }
            let controls = sample
                .iter()
                .filter(|&&b| b < 0x09 || (0x0e..0x20).contains(&b))
                .count();
            if controls * 10 > sample.len()
                || std::str::from_utf8(sample).is_err() && looks_binary(sample)
            {
                Detected::Binary
            } else {
                Detected::Text
            }
        }
    }
}

/// Invalid UTF-8 that is not just a truncated multi-byte character at the sniff boundary.
fn looks_binary(sample: &[u8]) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => false,
        Err(e) => {
            e.error_len().is_some() && {
                let bad = sample.len() - e.valid_up_to();
                bad > 16 || e.valid_up_to() < sample.len() / 2
            }
        }
    }
}

/// Reads one file and sends each record to `sink`.
pub fn ingest_file(
    path: &Path,
    display: String,
    file: FileId,
    classifier: &Classifier,
    limits: &Limits,
    sink: &mut dyn FnMut(&Record<'_>),
) -> FileReport {
    let mut report = FileReport::new(display);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if let Some(ext) = &ext {
        if NATIVE_EXTENSIONS.contains(&ext.as_str()) {
            report.status = FileStatus::NativeSdkLog;
            report.format = Some(Format::NativeSdkLog.name().to_owned());
            report.bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            report.note = Some(NATIVE_LOG_NOTE.to_owned());
            return report;
        }
    }
    let opened = File::open(path).and_then(|f| f.metadata().map(|m| (f, m.len())));
    let (file_handle, size) = match opened {
        Ok(x) => x,
        Err(e) => {
            report.status = FileStatus::Unreadable;
            report.note = Some(format!("cannot open: {e}"));
            return report;
        }
    };
    report.bytes = size;

    let mut raw = BufReader::with_capacity(256 * 1024, file_handle);
    let gzip = match raw.fill_buf() {
        Ok(b) => b.starts_with(&[0x1f, 0x8b]),
        Err(e) => {
            report.status = FileStatus::Unreadable;
            report.note = Some(format!("cannot read: {e}"));
            return report;
        }
    };
    let mut reader: Box<dyn BufRead> = if gzip {
        report.compression = Some("gzip");
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };

    let mut head = Vec::new();
    if let Err(e) = reader.by_ref().take(SNIFF_BYTES).read_to_end(&mut head) {
        report.status = FileStatus::Unreadable;
        report.note = Some(if gzip {
            format!("corrupt gzip data: {e}")
        } else {
            format!("cannot read: {e}")
        });
        return report;
    }
    // Byte order marks: UTF-8 is skipped; UTF-16 (PowerShell redirection) is decoded.
    let (head, utf16) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (head[3..].to_vec(), None)
    } else if head.starts_with(&[0xFF, 0xFE]) {
        (head, Some(false))
    } else if head.starts_with(&[0xFE, 0xFF]) {
        (head, Some(true))
    } else {
        (head, None)
    };
    let (head, mut reader): (Vec<u8>, Box<dyn BufRead>) = match utf16 {
        None => {
            let chained: Box<dyn BufRead> =
                Box::new(BufReader::new(Cursor::new(head.clone()).chain(reader)));
            (head, chained)
        }
        Some(big_endian) => {
            let mut all = head;
            if let Err(e) = reader.read_to_end(&mut all) {
                report.status = FileStatus::Unreadable;
                report.note = Some(format!("cannot read: {e}"));
                return report;
            }
            let text = decode_utf16(&all[2..], big_endian);
            report.note = Some("decoded from UTF-16".to_owned());
            let bytes = text.into_bytes();
            let sniff = bytes[..bytes.len().min(SNIFF_BYTES as usize)].to_vec();
            (sniff, Box::new(Cursor::new(bytes)))
        }
    };

    let detected = detect(&head);
    let mut formats = Vec::new();
    {
        let mut out = Collector {
            file,
            classifier,
            sink,
            report: &mut report,
            formats: Vec::new(),
            max_issues: limits.max_issues_per_file,
        };
        match detected {
            Detected::JsonLines => json::read_json_lines(&mut reader, limits, &mut out),
            Detected::JsonDocument => json::read_json_document(&mut reader, limits, &mut out),
            Detected::Csv => csv::read_csv(&mut reader, &mut out),
            Detected::Sdk(format) => sdk::read_sdk_log(&mut reader, format, limits, &mut out),
            Detected::Empty | Detected::Binary | Detected::Text => {}
        }
        std::mem::swap(&mut formats, &mut out.formats);
    }
    match detected {
        Detected::Empty => {
            report.status = FileStatus::Empty;
            report.note = Some("empty file".to_owned());
        }
        Detected::Binary => {
            report.status = FileStatus::Unrecognized;
            report.note = Some(
                "binary content that is not gzip and not a known log format (native SDK logs are recognized by their .blog/.etl name)"
                    .to_owned(),
            );
        }
        Detected::Text => {
            scan_text(&mut reader, limits, &mut report);
            report.status = FileStatus::Unrecognized;
            report.note = Some(
                "text that matches no ACS log shape (tried: JSON, JSON lines, Log Analytics CSV, web SDK console log, .NET Azure.Core log)"
                    .to_owned(),
            );
        }
        _ => {}
    }
    report.format = match formats.len() {
        0 => match detected {
            Detected::JsonLines | Detected::JsonDocument => Some("json".to_owned()),
            Detected::Csv => Some(Format::LogAnalyticsCsv.name().to_owned()),
            Detected::Sdk(f) => Some(f.name().to_owned()),
            _ => None,
        },
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
    };
    report
}

fn decode_utf16(bytes: &[u8], big_endian: bool) -> String {
    let units = bytes.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_from_content() {
        assert_eq!(detect(b"{\"a\":1}\n{\"a\":2}\n"), Detected::JsonLines);
        assert_eq!(detect(b"{\n  \"a\": 1\n}\n"), Detected::JsonDocument);
        assert_eq!(detect(b"  [ {} ]"), Detected::JsonDocument);
        assert_eq!(
            detect(b"TimeGenerated [UTC],CorrelationId\n1,2\n"),
            Detected::Csv
        );
        assert_eq!(
            detect(b"azure:ACS-calling:info hello\n"),
            Detected::Sdk(Format::WebSdkLog)
        );
        assert_eq!(
            detect(b"[Informational] Azure-Core: Request [x] GET https://a/chat/\nAccept:*\n"),
            Detected::Sdk(Format::DotnetLog)
        );
        assert_eq!(detect(b" \n\t"), Detected::Empty);
        assert_eq!(detect(b"\x00\x01\x02garbage"), Detected::Binary);
        assert_eq!(detect(b"hello world\n"), Detected::Text);
    }
}
