//! Client SDK console logs: the web SDKs' `@azure/logger` output and .NET Azure.Core's
//! `AzureEventSourceListener` console output. Both are line-oriented with multi-line blocks
//! (JSON request dumps, header lines, stack traces); a block becomes one record.
//!
//! Line formats (derived from the SDK sources; see `tests/domain/samples/derived.sdk-log-line-templates.txt`):
//! - web: `azure:<package>[ <sub>]:<level> <message>`, level in verbose/info/warning/error;
//! - .NET: `[<Level>] <EventSource>: <message>`, or `<EventSource>: [<Level>] <message>` from the
//!   trace logger, with `Name:value` header lines after requests and responses.

mod dotnet;
mod web;

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::BufRead;

use crate::classify::Classifier;
use crate::ingest::flatten::parse_object;
use crate::ingest::lines::{Line, read_line};
use crate::ingest::{Collector, Limits};
use crate::record::{Bag, Family, Field, Format, Origin, Record};
use crate::time::DateOrder;
use crate::value::Value;

/// Which SDK log a line starts, if any.
pub fn detect_line(line: &str) -> Option<Format> {
    if web::starts_entry(line) {
        Some(Format::WebSdkLog)
    } else if dotnet::starts_entry(line) {
        Some(Format::DotnetLog)
    } else {
        None
    }
}

/// One block: its first line and continuation lines (the first ones, up to the limits; the
/// rest are counted).
struct Block {
    line: u64,
    head: String,
    more: Vec<String>,
    kept_bytes: usize,
    dropped_lines: u64,
    /// Hash of every line of the block, kept or not (for duplicate detection).
    hash: xxhash_rust::xxh3::Xxh3,
}

impl Block {
    fn new(line: u64, head: String) -> Block {
        let mut hash = xxhash_rust::xxh3::Xxh3::new();
        hash.update(head.as_bytes());
        Block {
            line,
            kept_bytes: head.len(),
            head,
            more: Vec::new(),
            dropped_lines: 0,
            hash,
        }
    }

    fn push(&mut self, text: &str, limits: &Limits) {
        self.hash.update(b"\n");
        self.hash.update(text.as_bytes());
        if self.more.len() < limits.max_block_lines
            && self.kept_bytes + text.len() <= limits.max_block_bytes
        {
            self.kept_bytes += text.len();
            self.more.push(text.to_owned());
        } else {
            self.dropped_lines += 1;
        }
    }
}

/// Request facts learned earlier in the same file, keyed by client request ID, so a response
/// block can say which endpoint (and so which family) it answers.
#[derive(Clone)]
struct RequestInfo {
    method: String,
    uri: String,
    family: Family,
}

/// Reads a console log of `format` whose first non-blank line is `first_line`.
pub fn read_sdk_log(
    reader: &mut dyn BufRead,
    format: Format,
    first_line: u64,
    limits: &Limits,
    out: &mut Collector<'_>,
) {
    let mut log = SdkLog {
        format,
        classifier: out.classifier,
        requests: HashMap::new(),
        pending_response: None,
        dates: LocaleDates {
            order: limits.csv_date_order,
            waiting: Vec::new(),
            contradicted: false,
        },
        occurrences: crate::FastMap::default(),
        cut_blocks: 0,
        cut_lines: 0,
    };
    let mut buf = Vec::new();
    let mut line_no = first_line - 1;
    let mut block: Option<Block> = None;
    let mut lossy_lines = 0u64;
    loop {
        line_no += 1;
        match read_line(reader, &mut buf, limits.max_line_bytes) {
            Ok(Line::Eof) => break,
            Ok(Line::TooLong(len)) => out.reject(
                Some(line_no),
                format!(
                    "line is {len} bytes, over the {} byte limit; skipped",
                    limits.max_line_bytes
                ),
            ),
            Ok(Line::Complete) => {
                out.scan_secrets(&buf, line_no);
                let text = match std::str::from_utf8(&buf) {
                    Ok(t) => Cow::Borrowed(t),
                    Err(_) => {
                        lossy_lines += 1;
                        String::from_utf8_lossy(&buf)
                    }
                };
                if detect_line(&text) == Some(format) {
                    if let Some(b) = block.take() {
                        log.flush(b, out);
                    }
                    block = Some(Block::new(line_no, text.into_owned()));
                } else if let Some(b) = block.as_mut() {
                    b.push(&text, limits);
                } else if !text.trim().is_empty() {
                    out.reject(
                        Some(line_no),
                        "text before the first SDK log line".to_owned(),
                    );
                }
            }
            Err(e) => {
                out.read_error(Some(line_no), &e);
                break;
            }
        }
    }
    if let Some(b) = block.take() {
        log.flush(b, out);
    }
    if let Some(pending) = log.pending_response.take() {
        log.emit(pending, out);
    }
    log.release_waiting(out);
    if lossy_lines > 0 {
        out.note(format!(
            "{lossy_lines} lines were not valid UTF-8; invalid bytes were replaced"
        ));
    }
    if log.cut_blocks > 0 {
        out.note(format!(
            "{} log entries were longer than {} lines or {} bytes: their first lines were read, {} lines after them were not",
            log.cut_blocks, limits.max_block_lines, limits.max_block_bytes, log.cut_lines
        ));
    }
}

/// What reading one console log remembers between blocks.
struct SdkLog<'c> {
    format: Format,
    classifier: &'c Classifier,
    requests: HashMap<String, RequestInfo>,
    /// A web `Response status code` record waiting for the `Headers:` line that may follow.
    pending_response: Option<Pending>,
    /// How this file's locale dates read.
    dates: LocaleDates,
    /// How often each block text was seen, for fingerprints that tell repeats from copies.
    occurrences: crate::FastMap<u64, u32>,
    cut_blocks: u64,
    cut_lines: u64,
}

impl SdkLog<'_> {
    fn flush(&mut self, block: Block, out: &mut Collector<'_>) {
        if block.dropped_lines > 0 {
            self.cut_blocks += 1;
            self.cut_lines += block.dropped_lines;
        }
        let text_hash = block.hash.digest();
        let seen = self.occurrences.entry(text_hash).or_insert(0);
        let fingerprint = crate::dedup::text_fingerprint(text_hash, *seen);
        *seen += 1;
        let origin = Origin {
            file: out.file,
            line: block.line,
            index: None,
        };
        let classifier = self.classifier;
        if self.format != Format::WebSdkLog {
            match dotnet::record(origin, &block, classifier, &mut self.requests) {
                Some(record) => out.emit_fingerprinted(record, fingerprint),
                None => out.reject(
                    Some(block.line),
                    "not a .NET Azure.Core log line".to_owned(),
                ),
            }
            return;
        }
        let Some(web) = web::record(origin, &block, classifier, &mut self.requests) else {
            out.reject(Some(block.line), "not a web SDK log line".to_owned());
            return;
        };
        let entry = Pending {
            record: web.record,
            fingerprint,
            locale_time: web.locale_time,
        };
        // `Headers: {...}` belongs to the `Response status code` line before it.
        let is_headers = entry
            .record
            .text("message")
            .is_some_and(|m| m.starts_with("Headers:"));
        if is_headers && let Some(mut response) = self.pending_response.take() {
            web::merge_headers(
                &mut response.record,
                &entry.record,
                classifier,
                &self.requests,
            );
            response.fingerprint ^= fingerprint.rotate_left(1);
            self.emit(response, out);
            return;
        }
        if let Some(previous) = self.pending_response.take() {
            self.emit(previous, out);
        }
        if entry.record.get("status").is_some() {
            self.pending_response = Some(entry);
        } else {
            self.emit(entry, out);
        }
    }

    /// Emits a web record once its time can be read: a locale date that reads both ways
    /// (`05/11/2021`) waits until a date of the same file proves the order, as in CSV exports.
    fn emit(&mut self, mut entry: Pending, out: &mut Collector<'_>) {
        let Some(text) = entry.locale_time.take() else {
            out.emit_fingerprinted(entry.record, entry.fingerprint);
            return;
        };
        let proven = crate::time::proven_order(&text);
        if self.dates.order == DateOrder::Auto {
            match proven {
                Some(order) => {
                    self.dates.order = order;
                    self.release_waiting(out);
                }
                None if self.dates.waiting.len() < LOCALE_ENTRIES_TO_DECIDE => {
                    entry.locale_time = Some(text);
                    self.dates.waiting.push(entry);
                    return;
                }
                None => {
                    self.dates.order = DateOrder::MonthFirst;
                    self.release_waiting(out);
                }
            }
        }
        if let Some(p) = proven
            && p != self.dates.order
            && !self.dates.contradicted
        {
            self.dates.contradicted = true;
            out.note(format!(
                "line {}: the date {text} can only be read one way, but the entries before it were read the other way (ambiguous dates such as 05/11 may have day and month swapped; set [ingest] csv_date_order in acs-triage.toml)",
                entry.record.origin.line
            ));
        }
        entry.record.time =
            crate::time::parse_timestamp_in(&text, proven.unwrap_or(self.dates.order));
        out.emit_fingerprinted(entry.record, entry.fingerprint);
    }

    /// Emits the entries waiting for the date order (month first when nothing decided it).
    fn release_waiting(&mut self, out: &mut Collector<'_>) {
        if self.dates.order == DateOrder::Auto {
            self.dates.order = DateOrder::MonthFirst;
        }
        for entry in std::mem::take(&mut self.dates.waiting) {
            self.emit(entry, out);
        }
    }
}

/// Web entries held while their locale dates cannot be read yet (a file decides its date
/// order from the first date that reads only one way, as CSV exports do).
const LOCALE_ENTRIES_TO_DECIDE: usize = 1000;

/// A web record not emitted yet.
struct Pending {
    record: Record<'static>,
    fingerprint: u64,
    /// Its time, when that is a locale date still to be read.
    locale_time: Option<String>,
}

/// How the locale dates of one file read.
struct LocaleDates {
    order: DateOrder,
    waiting: Vec<Pending>,
    contradicted: bool,
}

fn top(name: &str, value: Value<'static>) -> Field<'static> {
    Field::new(Bag::Top, name.to_owned(), value)
}

fn text_value(s: &str) -> Value<'static> {
    Value::from_text(Cow::Owned(s.to_owned()))
}

fn number_value(s: &str) -> Value<'static> {
    s.parse::<i64>()
        .map(Value::Int)
        .or_else(|_| s.parse::<f64>().map(Value::Float))
        .unwrap_or_else(|_| text_value(s))
}

/// Parses a JSON object into fields under `prefix.` (or as headers when `bag` is Headers).
fn json_fields(json: &str, prefix: Option<&str>, bag: Bag) -> Option<Vec<Field<'static>>> {
    let fields = parse_object(json.trim().as_bytes()).ok()?;
    Some(
        fields
            .into_iter()
            .map(|f| {
                let name = match prefix {
                    Some(p) => format!("{p}.{}", f.full_name()),
                    None => f.full_name().into_owned(),
                };
                Field::new(bag, name, f.value.into_owned())
            })
            .collect(),
    )
}

/// The time in an HTTP `Date` header (`Fri, 20 Nov 2026 15:40:12 GMT`).
fn header_date(fields: &[Field<'_>]) -> Option<chrono::DateTime<chrono::Utc>> {
    let date = fields
        .iter()
        .find(|f| f.bag == Bag::Headers && f.name.eq_ignore_ascii_case("date"))?;
    chrono::DateTime::parse_from_rfc2822(date.value.to_text().trim())
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_both_sdk_formats() {
        assert_eq!(
            detect_line("azure:ACS-calling:info CallAgent created"),
            Some(Format::WebSdkLog)
        );
        assert_eq!(
            detect_line(
                "azure:core-rest-pipeline retryPolicy:info Retry 1: Attempting to send request x"
            ),
            Some(Format::WebSdkLog)
        );
        assert_eq!(
            detect_line(
                "[CallClient][ACSCall{e8d39bfa-05e1-492c-9b7d-bf0f2b336d89}{Disconnected}] Call end reason=NoNgcEndpoint, code=480, subCode=10037"
            ),
            Some(Format::WebSdkLog)
        );
        assert_eq!(
            detect_line("[Informational] Azure-Core: Request [abc] POST https://x/chat/threads"),
            Some(Format::DotnetLog)
        );
        assert_eq!(
            detect_line("Azure-Core: [Warning] Response [abc] took 03.5s"),
            Some(Format::DotnetLog)
        );
        assert_eq!(detect_line("hello"), None);
    }
}
