//! JSON inputs: storage-export lines, arrays, wrappers, Log Analytics API responses.

use std::borrow::Cow;
use std::io::BufRead;

use crate::classify::Container;
use crate::ingest::flatten::parse_object;
use crate::ingest::lines::{Chunk, ChunkedLines};
use crate::ingest::split::{Unit, split_document};
use crate::ingest::{Collector, Limits};
use crate::record::{Bag, Field, Origin, Record};
use crate::value::Value;

/// Reads a file of one JSON object per line. Each bad line is rejected on its own.
pub fn read_json_lines(reader: &mut dyn BufRead, limits: &Limits, out: &mut Collector<'_>) {
    let mut lines = ChunkedLines::new(reader, limits.max_line_bytes);
    let mut line_no = 0u64;
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
                let line = trim_ascii(line);
                if line.is_empty() {
                    continue;
                }
                out.scan_secrets(line, line_no);
                if line[0] != b'{' || starts_with_wrapper_key(line) {
                    parse_document_slice(line, line_no, Container::Lines, limits, out);
                } else {
                    parse_unit(line, line_no, None, Container::Lines, out);
                }
            }
            Err(e) => {
                out.read_error(Some(line_no), &e);
                break;
            }
        }
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
    let rest = trim_ascii(&object[1..]);
    rest.len() > key.len() + 1
        && rest[0] == b'"'
        && rest[key.len() + 1] == b'"'
        && rest[1..=key.len()].eq_ignore_ascii_case(key.as_bytes())
}

/// Reads a JSON document of any layout (array, wrapper, concatenated or pretty objects).
pub fn read_json_document(reader: &mut dyn BufRead, limits: &Limits, out: &mut Collector<'_>) {
    let result = split_document(
        reader,
        1,
        Container::Document,
        limits.max_line_bytes,
        &mut |piece| match piece {
            Ok(unit) => {
                out.scan_secrets(unit.bytes, unit.line);
                handle_unit(unit, limits, out)
            }
            Err(err) => out.reject(Some(err.line), err.message),
        },
    );
    if let Err(e) = result {
        out.read_error(None, &e);
    }
}

fn parse_document_slice(
    bytes: &[u8],
    line: u64,
    top_container: Container,
    limits: &Limits,
    out: &mut Collector<'_>,
) {
    let mut reader = bytes;
    let result = split_document(
        &mut reader,
        line,
        top_container,
        limits.max_line_bytes,
        &mut |piece| match piece {
            Ok(unit) => handle_unit(unit, limits, out),
            Err(err) => out.reject(Some(err.line), err.message),
        },
    );
    if let Err(e) = result {
        out.read_error(Some(line), &e);
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
            if !matches!(
                container,
                Container::Array | Container::Lines | Container::Document
            ) {
                // Already inside a wrapper: elements are records.
                parse_unit(bytes, line, index, container, out);
            } else if first_key_is(bytes, "tables") && try_la_tables(bytes, line, out) {
            } else if starts_with_wrapper_key(bytes) && index.is_some() {
                // An array of wrappers (several Event Hubs bodies in one array).
                parse_document_slice(bytes, line, Container::Array, limits, out);
            } else {
                parse_unit(bytes, line, index, container, out);
            }
        }
        // A whole line holding an array: split it once. Arrays inside arrays are not records.
        Some(b'[') if index.is_none() => {
            parse_document_slice(bytes, line, Container::Array, limits, out)
        }
        Some(b'[') => out.reject(
            Some(line),
            format!(
                "array element {} is itself an array; records are JSON objects",
                index.unwrap_or(0)
            ),
        ),
        _ => out.reject(
            Some(line),
            format!(
                "{} is not a JSON object: `{}`",
                index.map_or("value".to_owned(), |i| format!("array element {i}")),
                String::from_utf8_lossy(&bytes[..bytes.len().min(40)])
            ),
        ),
    }
}

/// Parses one object into a record and hands it on.
fn parse_unit(
    bytes: &[u8],
    line: u64,
    index: Option<u64>,
    container: Container,
    out: &mut Collector<'_>,
) {
    match parse_object(bytes) {
        Ok(fields) => {
            let origin = Origin {
                file: out.file,
                line,
                index,
            };
            out.emit_json(origin, fields, container);
        }
        Err(e) => out.reject(Some(line + e.line.saturating_sub(1) as u64), e.to_string()),
    }
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
    for table in tables {
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

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
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
