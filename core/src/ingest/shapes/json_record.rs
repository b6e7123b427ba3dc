//! One JSON record, wherever it sits: an object (parsed into flat fields), a string holding one
//! (a record encoded twice), a Log Analytics query result, or something that is no record.

use std::borrow::Cow;

use super::json_document::parse_document_slice;
use super::split::Unit;
use crate::ingest::container::{Container, WRAPPERS};
use crate::ingest::flatten::{parse_object, parse_object_into};
use crate::ingest::{Collector, Limits};
use crate::record::{Bag, Field, Origin, Record};
use crate::value::Value;

/// True for a JSON string whose text is itself a JSON object (a record encoded twice).
pub fn is_encoded_object(line: &[u8]) -> bool {
    serde_json::from_slice::<String>(line)
        .is_ok_and(|s| s.trim_start().starts_with('{') && s.trim_end().ends_with('}'))
}

/// The start of a line or value, for messages.
pub(super) fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]);
    let mut shown: String = text.chars().filter(|c| !c.is_control()).collect();
    if bytes.len() > 40 {
        shown.push('…');
    }
    shown
}

/// A JSON string holding a whole record (a record encoded twice by some exporter) is read as
/// that record; any other string is rejected.
pub(super) fn read_encoded_record(
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
pub(super) fn starts_with_wrapper_key(object: &[u8]) -> bool {
    WRAPPERS.iter().any(|(k, _)| first_key_is(object, k))
}

/// True when the object's first key is `key` (ASCII case ignored).
pub(super) fn first_key_is(object: &[u8], key: &str) -> bool {
    let rest = object[1..].trim_ascii_start();
    rest.len() > key.len() + 1
        && rest[0] == b'"'
        && rest[key.len() + 1] == b'"'
        && rest[1..=key.len()].eq_ignore_ascii_case(key.as_bytes())
}

pub(super) fn handle_unit(unit: Unit<'_>, limits: &Limits, out: &mut Collector<'_>) {
    let Unit {
        bytes,
        line,
        index,
        container,
    } = unit;
    match bytes.first() {
        Some(b'{') => {
            let result = if container == Container::Recording {
                super::http::read_recording_unit(bytes, line, index, limits, out)
            } else if !matches!(
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
pub(super) fn parse_unit(
    bytes: &[u8],
    line: u64,
    index: Option<u64>,
    container: Container,
    out: &mut Collector<'_>,
) -> Result<(), (u64, String)> {
    let fields = parse_object_into(bytes, out.field_list())
        .map_err(|e| (line + e.line.saturating_sub(1) as u64, e.to_string()))?;
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
                        key: f.key,
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
