//! JSON lines: one JSON value per line (storage-account `PT1H.json` blobs, and anything else
//! written a record per line). Each bad line is rejected on its own.

use std::io::BufRead;

use super::json_document::{parse_document_slice, report_empty_arrays};
use super::json_record::{parse_unit, preview, read_encoded_record, starts_with_wrapper_key};
use super::split::{Piece, split_document};
use crate::ingest::container::Container;
use crate::ingest::flatten::parse_object;
use crate::ingest::lines::{Chunk, ChunkedLines};
use crate::ingest::{Collector, Limits};

/// What a sampled line says about this shape: a whole JSON value (an object, an array, or a
/// string holding an object), or only the start of one.
pub fn complete_value(line: &[u8]) -> Option<bool> {
    match line.first() {
        // Complete, or cut short (the start of a document laid out over lines); a syntax error
        // (`[2024-12-22 18:49:26,996] INFO ...`, an app's own log) is no JSON at all.
        // A line the reader's parser takes whole is complete (the common case, and the quicker
        // parser); only the rest needs telling whether it is cut short or no JSON at all.
        Some(b'{' | b'[')
            if shallow(line) && sonic_rs::from_slice::<serde::de::IgnoredAny>(line).is_ok() =>
        {
            Some(true)
        }
        Some(b'{' | b'[') => match serde_json::from_slice::<serde::de::IgnoredAny>(line) {
            Ok(_) => Some(true),
            Err(e) if e.is_eof() => Some(false),
            // A whole value with more after it (records joined on one line) is for the
            // document reader to split.
            Err(_) => serde_json::Deserializer::from_slice(line)
                .into_iter::<serde::de::IgnoredAny>()
                .next()
                .is_some_and(|first| first.is_ok())
                .then_some(false),
        },
        Some(b'"') if super::json_record::is_encoded_object(line) => Some(true),
        _ => None,
    }
}

/// Brackets a line may open before only serde_json (which limits its depth) checks it: sonic-rs
/// skips a value by recursing without a limit, so `[[[[...` would overflow the stack.
const MAX_OPENINGS: usize = 128;

/// True when `line` cannot nest deeper than [`MAX_OPENINGS`] (it opens no more brackets than
/// that, counted inside strings too).
fn shallow(line: &[u8]) -> bool {
    let openings: usize = line
        .iter()
        .map(|&b| usize::from(b == b'{' || b == b'['))
        .sum();
    openings <= MAX_OPENINGS
}

/// Reads a file of one JSON value per line, the first at line `first_line`. Each bad line is
/// rejected on its own.
pub fn read(reader: &mut dyn BufRead, first_line: u64, limits: &Limits, out: &mut Collector<'_>) {
    let mut lines = ChunkedLines::new(reader, limits.max_line_bytes)
        .with_secret_prefilter(crate::secrets::Secrets::bundled());
    let mut line_no = first_line - 1;
    let mut empty_arrays = Vec::new();
    loop {
        line_no += 1;
        match lines.next_line_checked() {
            Ok(None) => break,
            Ok(Some((Chunk::TooLong(len), _))) => out.reject(
                Some(line_no),
                format!(
                    "line is {len} bytes, over the {} byte limit; skipped",
                    limits.max_line_bytes
                ),
            ),
            Ok(Some((Chunk::Line(line), clean))) => {
                let line = line.trim_ascii();
                if line.is_empty() {
                    continue;
                }
                if !clean {
                    out.scan_secrets(line, line_no);
                }
                read_line_value(line, line_no, limits, out, &mut empty_arrays);
            }
            Err(e) => {
                out.read_error(Some(line_no), &e);
                break;
            }
        }
    }
    if !out.defer_empty_arrays(&empty_arrays) {
        let records = out.records();
        report_empty_arrays(&empty_arrays, records, out);
    }
}

/// One non-blank line of a JSON-lines file.
fn read_line_value(
    line: &[u8],
    line_no: u64,
    limits: &Limits,
    out: &mut Collector<'_>,
    empty_arrays: &mut Vec<u64>,
) {
    match line[0] {
        b'{' if !starts_with_wrapper_key(line) => {
            if let Err(error) = parse_unit(line, line_no, None, Container::Lines, out) {
                // Records joined without a line break (`{...}{...}`) are read one by one;
                // anything else is rejected with the parser's reason.
                if !read_joined_records(line, line_no, limits, out) {
                    out.reject(Some(error.0), error.1);
                }
            }
        }
        b'{' | b'[' => parse_document_slice(
            line,
            line_no,
            Container::Lines,
            limits,
            out,
            Some(empty_arrays),
        ),
        b'"' => read_encoded_record(line, line_no, None, Container::Lines, out),
        _ if memchr::memchr(0, line).is_some() => out.reject(
            Some(line_no),
            "line holds binary bytes (NUL), not a JSON record".to_owned(),
        ),
        _ => out.reject(
            Some(line_no),
            format!("not a JSON record: `{}`", preview(line)),
        ),
    }
}

/// Reads a line holding several whole objects one after another. False (nothing read) unless
/// every piece of the line is a record.
fn read_joined_records(
    line: &[u8],
    line_no: u64,
    limits: &Limits,
    out: &mut Collector<'_>,
) -> bool {
    let mut pieces = 0usize;
    let mut clean = true;
    let _ = split_document(
        &mut &line[..],
        line_no,
        Container::Lines,
        limits.max_line_bytes,
        &mut |piece| match piece {
            Piece::Unit(u) if u.bytes.first() == Some(&b'{') && parse_object(u.bytes).is_ok() => {
                pieces += 1
            }
            _ => clean = false,
        },
    );
    if !clean || pieces < 2 {
        return false;
    }
    parse_document_slice(line, line_no, Container::Lines, limits, out, None);
    true
}
