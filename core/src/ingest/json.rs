//! JSON inputs: storage-export lines, arrays, wrappers, Log Analytics API responses.

use std::borrow::Cow;
use std::io::BufRead;

use crate::classify::Container;
use crate::ingest::flatten::parse_object;
use crate::ingest::lines::{Chunk, ChunkedLines};
use crate::ingest::split::{Piece, Unit, split_document};
use crate::ingest::{Collector, Limits};
use crate::record::{Bag, Field, Origin, Record};
use crate::value::Value;

/// Reads a file of one JSON value per line, the first at line `first_line`. Each bad line is
/// rejected on its own.
pub fn read_json_lines(
    reader: &mut dyn BufRead,
    first_line: u64,
    limits: &Limits,
    out: &mut Collector<'_>,
) {
    let mut lines = ChunkedLines::new(reader, limits.max_line_bytes);
    let mut line_no = first_line - 1;
    let mut empty_arrays = Vec::new();
    loop {
        line_no += 1;
        match lines.next_line() {
            Ok(None) => break,
            Ok(Some(Chunk::TooLong(len))) => out.reject(
                Some(line_no),
                format!(
                    "line is {len} bytes, over the {} byte limit; skipped",
                    limits.max_line_bytes
                ),
            ),
            Ok(Some(Chunk::Line(line))) => {
                let line = line.trim_ascii();
                if line.is_empty() {
                    continue;
                }
                out.scan_secrets(line, line_no);
                read_line_value(line, line_no, limits, out, &mut empty_arrays);
            }
            Err(e) => {
                out.read_error(Some(line_no), &e);
                break;
            }
        }
    }
    let records = out.records();
    report_empty_arrays(&empty_arrays, records, out);
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

/// The start of a line or value, for messages.
fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]);
    let mut shown: String = text.chars().filter(|c| !c.is_control()).collect();
    if bytes.len() > 40 {
        shown.push('…');
    }
    shown
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

/// A JSON string holding a whole record (a record encoded twice by some exporter) is read as
/// that record; any other string is rejected.
fn read_encoded_record(
    bytes: &[u8],
    line: u64,
    index: Option<u64>,
    container: Container,
    out: &mut Collector<'_>,
) {
    match serde_json::from_slice::<String>(bytes) {
        Ok(inner) if inner.trim_start().starts_with('{') => {
            if let Err((_, error)) =
                parse_unit(inner.trim().as_bytes(), line, index, container, out)
            {
                out.reject_item(
                    line,
                    index,
                    format!("a JSON string holding a broken record: {error}"),
                );
            } else {
                out.note_once("some records are JSON strings holding the record (encoded twice); they were decoded and read");
            }
        }
        Ok(_) => out.reject_item(
            line,
            index,
            format!("a JSON string, not a record: `{}`", preview(bytes)),
        ),
        Err(e) => out.reject_item(line, index, format!("invalid JSON string: {e}")),
    }
}

/// True when an object's first key is `records`, `value` or `tables`: the wrappers (Event Hubs,
/// send responses, Log Analytics API) always put it first, and checking only the first key keeps
/// the per-line cost constant.
fn starts_with_wrapper_key(object: &[u8]) -> bool {
    ["records", "value", "tables"]
        .iter()
        .any(|k| first_key_is(object, k))
}

/// True when the object's first key is `key` (ASCII case ignored).
fn first_key_is(object: &[u8], key: &str) -> bool {
    let rest = object[1..].trim_ascii();
    rest.len() > key.len() + 1
        && rest[0] == b'"'
        && rest[key.len() + 1] == b'"'
        && rest[1..=key.len()].eq_ignore_ascii_case(key.as_bytes())
}

/// Reads a JSON document of any layout (array, wrapper, concatenated or pretty objects) that
/// starts at line `first_line`.
pub fn read_json_document(
    reader: &mut dyn BufRead,
    first_line: u64,
    limits: &Limits,
    out: &mut Collector<'_>,
) {
    let mut records_before = out.records();
    let mut empty_arrays = Vec::new();
    let result = split_document(
        reader,
        first_line,
        Container::Document,
        limits.max_line_bytes,
        &mut |piece| {
            if let Piece::Unit(unit) = &piece {
                out.scan_secrets(unit.bytes, unit.line);
            }
            handle_piece(piece, limits, out, &mut empty_arrays)
        },
    );
    if let Err(e) = result {
        out.read_error(None, &e);
    }
    records_before = out.records() - records_before;
    report_empty_arrays(&empty_arrays, records_before, out);
}

/// Empty arrays hold no record: a whole document that is one is an export of zero rows (a note),
/// an empty array among records is a line that yields nothing (a rejection, so it is seen).
fn report_empty_arrays(lines: &[u64], records: u64, out: &mut Collector<'_>) {
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

fn handle_piece(
    piece: Piece<'_>,
    limits: &Limits,
    out: &mut Collector<'_>,
    empty_arrays: &mut Vec<u64>,
) {
    match piece {
        Piece::Unit(unit) => handle_unit(unit, limits, out),
        Piece::Broken(err) => out.reject(Some(err.line), err.message),
        Piece::EmptyArray(line) => empty_arrays.push(line),
        Piece::LooseCommas(line) => out.note(format!(
            "records are separated by commas outside an array (from line {line}); read anyway"
        )),
    }
}

/// Reads a piece of a file (a line, or a record) as a document. Empty arrays in it go to
/// `empty_arrays` for the file to judge when given (a whole line), else are rejected (an
/// empty array inside a record's place holds nothing).
fn parse_document_slice(
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

fn handle_unit(unit: Unit<'_>, limits: &Limits, out: &mut Collector<'_>) {
    let Unit {
        bytes,
        line,
        index,
        container,
    } = unit;
    match bytes.first() {
        Some(b'{') => {
            let result = if !matches!(
                container,
                Container::Array | Container::Lines | Container::Document
            ) {
                // Already inside a wrapper: elements are records.
                parse_unit(bytes, line, index, container, out)
            } else if first_key_is(bytes, "tables") && try_la_tables(bytes, line, out) {
                Ok(())
            } else if starts_with_wrapper_key(bytes) && index.is_some() {
                // An array of wrappers (several Event Hubs bodies in one array).
                parse_document_slice(bytes, line, Container::Array, limits, out, None);
                Ok(())
            } else {
                parse_unit(bytes, line, index, container, out)
            };
            if let Err((at, error)) = result {
                out.reject_item(at, index, error);
            }
        }
        // A whole line holding an array: split it once. Arrays inside arrays are not records.
        Some(b'[') if index.is_none() => {
            parse_document_slice(bytes, line, Container::Array, limits, out, None)
        }
        Some(b'[') => out.reject_item(
            line,
            index,
            format!(
                "array element {} is itself an array; records are JSON objects",
                index.unwrap_or(0)
            ),
        ),
        Some(b'"') => read_encoded_record(bytes, line, index, container, out),
        _ => out.reject_item(
            line,
            index,
            format!(
                "{} is not a JSON object: `{}`",
                index.map_or("value".to_owned(), |i| format!("array element {i}")),
                preview(bytes)
            ),
        ),
    }
}

/// Parses one object into a record and hands it on; the parser's reason when it is not one.
fn parse_unit(
    bytes: &[u8],
    line: u64,
    index: Option<u64>,
    container: Container,
    out: &mut Collector<'_>,
) -> Result<(), (u64, String)> {
    let fields =
        parse_object(bytes).map_err(|e| (line + e.line.saturating_sub(1) as u64, e.to_string()))?;
    let origin = Origin {
        file: out.file,
        line,
        index,
    };
    out.emit_json(origin, fields, container);
    Ok(())
}

/// The Log Analytics query API response: `{"tables": [{"columns": [...], "rows": [[...]]}]}`.
/// Returns false when the object is not of that shape.
fn try_la_tables(bytes: &[u8], line: u64, out: &mut Collector<'_>) -> bool {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return false;
    };
    let Some(tables) = doc.get("tables").and_then(|t| t.as_array()) else {
        return false;
    };
    let mut index = 0u64;
    if tables.is_empty() {
        out.reject(
            Some(line),
            "a Log Analytics result with no table in `tables`".to_owned(),
        );
    }
    for (t, table) in tables.iter().enumerate() {
        let columns: Vec<String> = table
            .get("columns")
            .and_then(|c| c.as_array())
            .map(|cols| {
                cols.iter()
                    .map(|c| {
                        c.get("name")
                            .and_then(|n| n.as_str())
                            .unwrap_or("")
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let Some(rows) = table.get("rows").and_then(|r| r.as_array()) else {
            out.reject(
                Some(line),
                format!("table {t} of `tables` has no `rows` array: not a query result"),
            );
            continue;
        };
        for row in rows {
            let origin = Origin {
                file: out.file,
                line,
                index: Some(index),
            };
            index += 1;
            let Some(cells) = row.as_array() else {
                out.reject(
                    Some(line),
                    format!("row {} of `tables` is not an array", index - 1),
                );
                continue;
            };
            if cells.len() != columns.len() {
                out.reject(
                    Some(line),
                    format!(
                        "row {} has {} cells but the table has {} columns",
                        index - 1,
                        cells.len(),
                        columns.len()
                    ),
                );
                continue;
            }
            let mut fields = Vec::with_capacity(cells.len());
            for (name, cell) in columns.iter().zip(cells) {
                fields.extend(json_value_fields(name, cell));
            }
            out.emit_json(origin, fields, Container::LaTables);
        }
    }
    true
}

/// Fields of one Log Analytics cell. Dynamic columns holding objects are flattened.
fn json_value_fields(name: &str, cell: &serde_json::Value) -> Vec<Field<'static>> {
    let value = match cell {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
        serde_json::Value::String(s) => Value::from_text(Cow::Owned(s.clone())),
        other => {
            let text = other.to_string();
            let wrapped = format!("{{\"{}\":{}}}", name.replace('"', "\\\""), text);
            if let Ok(fields) = parse_object(wrapped.as_bytes()) {
                return fields
                    .into_iter()
                    .map(|f| Field {
                        bag: Bag::Top,
                        name: Cow::Owned(f.name.into_owned()),
                        value: f.value.into_owned(),
                    })
                    .collect();
            }
            Value::Str(Cow::Owned(text))
        }
    };
    vec![Field::new(Bag::Top, name.to_owned(), value)]
}

/// Parses a record from JSON text outside the file pipeline (rule tests, `explain-match`).
pub fn record_from_json(json: &str) -> Result<Record<'_>, String> {
    let fields = parse_object(json.as_bytes()).map_err(|e| e.to_string())?;
    let mut record = Record::new(
        Origin {
            file: crate::record::FileId(0),
            line: 1,
            index: None,
        },
        crate::record::Format::Json,
        fields,
    );
    crate::classify::Classifier::bundled().classify(&mut record, Container::Array);
    Ok(record)
}
