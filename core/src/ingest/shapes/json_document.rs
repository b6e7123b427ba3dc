//! JSON documents: arrays, wrappers (`{"records": [...]}`, `{"value": [...]}`), one or several
//! objects laid out over many lines. Split into records without parsing the whole (`split.rs`),
//! so one broken record costs one record and memory stays bounded.

use std::io::BufRead;

use super::json_record::handle_unit;
use super::split::{Piece, Resume, split_document, split_document_piece};
use crate::ingest::container::Container;
use crate::ingest::{Collector, Limits};

/// Reads a JSON document of any layout (array, wrapper, concatenated or pretty objects) that
/// starts at line `first_line`.
pub fn read(reader: &mut dyn BufRead, first_line: u64, limits: &Limits, out: &mut Collector<'_>) {
    if reader.fill_buf().is_ok_and(super::http::is_har_start) {
        super::http::read_har(reader, first_line, out);
        return;
    }
    let mut records_before = out.records();
    let mut empty_arrays = Vec::new();
    let result = split_document(
        reader,
        first_line,
        Container::Document,
        limits.max_line_bytes,
        &mut |piece| scan_and_handle(piece, limits, out, &mut empty_arrays),
    );
    if let Err(e) = result {
        out.read_error(None, &e);
    }
    records_before = out.records() - records_before;
    report_empty_arrays(&empty_arrays, records_before, out);
}

/// Reads one piece of a JSON document ([`crate::ingest::pieces`]): the bytes from a cut between
/// two records, read from the scanner's state there (`from`); `last` for the piece that ends
/// the file. Empty arrays wait for the joined report to judge them.
pub fn read_piece(
    reader: &mut dyn BufRead,
    from: Resume,
    last: bool,
    limits: &Limits,
    out: &mut Collector<'_>,
) {
    let mut empty_arrays = Vec::new();
    let result = split_document_piece(reader, from, last, limits.max_line_bytes, &mut |piece| {
        scan_and_handle(piece, limits, out, &mut empty_arrays)
    });
    if let Err(e) = result {
        out.read_error(None, &e);
    }
    if !out.defer_empty_arrays(&empty_arrays) {
        report_empty_arrays(&empty_arrays, out.records(), out);
    }
}

/// Looks for secrets in a record of the document, then reads it (or says what went wrong).
fn scan_and_handle(
    piece: Piece<'_>,
    limits: &Limits,
    out: &mut Collector<'_>,
    empty_arrays: &mut Vec<u64>,
) {
    if let Piece::Unit(unit) = &piece {
        out.scan_secrets(unit.bytes, unit.line);
    }
    handle_piece(piece, limits, out, empty_arrays)
}

/// Empty arrays hold no record: a whole document that is one is an export of zero rows (a note),
/// an empty array among records is a line that yields nothing (a rejection, so it is seen).
pub(super) fn report_empty_arrays(lines: &[u64], records: u64, out: &mut Collector<'_>) {
    for &line in lines {
        if records == 0 && lines.len() == 1 && out.rejected() == 0 {
            out.note(format!(
                "line {line}: an empty JSON array, no records in it"
            ));
        } else {
            out.reject(
                Some(line),
                "an empty JSON array, no records in it".to_owned(),
            );
        }
    }
}

pub(super) fn handle_piece(
    piece: Piece<'_>,
    limits: &Limits,
    out: &mut Collector<'_>,
    empty_arrays: &mut Vec<u64>,
) {
    match piece {
        Piece::Unit(unit) => handle_unit(unit, limits, out),
        Piece::Broken(err) => out.reject(Some(err.line), err.message),
        Piece::EmptyArray(line) => empty_arrays.push(line),
        Piece::StrayBom(_) => {
            out.note_once("byte-order marks between records (files joined together?); skipped")
        }
        Piece::LooseCommas(line) => out.note_first("loose commas", || {
            format!(
                "records are separated by commas outside an array (from line {line}); read anyway"
            )
        }),
    }
}

/// Reads a piece of a file (a line, or a record) as a document. Empty arrays in it go to
/// `empty_arrays` for the file to judge when given (a whole line), else are rejected (an
/// empty array inside a record's place holds nothing).
pub(super) fn parse_document_slice(
    bytes: &[u8],
    line: u64,
    top_container: Container,
    limits: &Limits,
    out: &mut Collector<'_>,
    empty_arrays: Option<&mut Vec<u64>>,
) {
    let mut reader = bytes;
    let mut empty = Vec::new();
    let result = split_document(
        &mut reader,
        line,
        top_container,
        limits.max_line_bytes,
        &mut |piece| handle_piece(piece, limits, out, &mut empty),
    );
    if let Err(e) = result {
        out.read_error(Some(line), &e);
    }
    match empty_arrays {
        Some(lines) => lines.extend(empty),
        None => {
            for line in empty {
                out.reject(
                    Some(line),
                    "an empty JSON array, no records in it".to_owned(),
                );
            }
        }
    }
}
