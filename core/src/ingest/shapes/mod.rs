//! The shapes a file can have, one module each: how a line of it looks (for sniffing), how it
//! is read into records, and its name.
//!
//! - `json_lines`: one JSON value per line (storage exports);
//! - `json_document`: arrays, wrappers and pretty-printed objects (`split` cuts them into
//!   records; `json_record` reads each);
//! - `csv`: Log Analytics portal exports;
//! - `sdk`: web SDK and .NET Azure.Core console logs;
//! - `http`: HTTP captures (HAR files, the Azure SDKs' test recordings).

pub mod csv;
pub mod http;
pub mod json_document;
pub mod json_lines;
pub mod json_record;
pub mod sdk;
pub mod split;

use std::io::BufRead;

use crate::ingest::{Collector, Limits};
use crate::record::Format;

/// How a file will be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One JSON value per line (storage exports; also one-line documents).
    JsonLines,
    /// A JSON document laid out over many lines (arrays, wrappers, pretty-printed objects).
    JsonDocument,
    /// A Log Analytics portal CSV export.
    Csv,
    /// A client SDK console log.
    Sdk(Format),
    /// Nothing but blank space.
    Empty,
    /// Bytes that are not text.
    Binary,
    /// Text of no shape acs-triage reads.
    Text,
}

impl Shape {
    /// The format reported for a file of this shape that yielded no record.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Shape::JsonLines | Shape::JsonDocument => Some("json"),
            Shape::Csv => Some(Format::LogAnalyticsCsv.name()),
            Shape::Sdk(f) => Some(f.name()),
            Shape::Empty | Shape::Binary | Shape::Text => None,
        }
    }
}

/// Reads a file of `shape` whose first non-blank line is `first_line`.
pub fn read(
    shape: Shape,
    reader: &mut dyn BufRead,
    first_line: u64,
    limits: &Limits,
    out: &mut Collector<'_>,
) {
    match shape {
        Shape::JsonLines => json_lines::read(reader, first_line, limits, out),
        Shape::JsonDocument => json_document::read(reader, first_line, limits, out),
        Shape::Csv => csv::read_csv(reader, first_line, limits, out),
        Shape::Sdk(format) => sdk::read_sdk_log(reader, format, first_line, limits, out),
        Shape::Empty | Shape::Binary | Shape::Text => {}
    }
}
